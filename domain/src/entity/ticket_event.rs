//! `ticket_events` table.

use sea_orm::entity::prelude::*;

/// One row of `ticket_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub event: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_id: i64,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub at: DateTimeUtc,
}

/// No declared relations: lookups go through ids and DataLoaders.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
