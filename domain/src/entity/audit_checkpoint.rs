//! `audit_checkpoints` table.

use sea_orm::entity::prelude::*;

/// One row of `audit_checkpoints`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_checkpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub day: String,
    pub head_seq: i64,
    pub head_hash: String,
    pub created_at: DateTimeUtc,
}

/// No declared relations: lookups go through ids and DataLoaders.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
