//! `sla_pauses` table.

use sea_orm::entity::prelude::*;

/// One row of `sla_pauses`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_pauses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub clock_id: i64,
    pub ticket_id: i64,
    pub reason: String,
    pub paused_at: DateTimeUtc,
    pub resumed_at: Option<DateTimeUtc>,
}

/// No declared relations: lookups go through ids and DataLoaders.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
