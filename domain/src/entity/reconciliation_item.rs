//! `reconciliation_items` table.

use sea_orm::entity::prelude::*;

/// One difference of a month's reconciliation.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliation_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    /// `source_only`, `center_only` or `value_mismatch`.
    pub category: String,
    /// The key as a JSON array of texts (null for a NULL key column).
    pub key: String,
    /// `row_count` or a measure's name.
    pub metric: String,
    pub source_value: Option<String>,
    pub center_value: Option<String>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
