//! `sla_policies` table.

use sea_orm::entity::prelude::*;

/// One row of `sla_policies`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_policies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub severity: String,
    pub feedback_minutes: i64,
    pub resolution_minutes: i64,
    pub warn_ratio: f64,
    pub updated_at: DateTimeUtc,
}

/// No declared relations: lookups go through ids and DataLoaders.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
