//! `permit_reconciliation_items` table.

use sea_orm::entity::prelude::*;

/// One discrepancy of a permit reconciliation run.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "permit_reconciliation_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    /// Position in the run's list (1-based).
    pub seq: i32,
    pub category: String,
    pub permit_number: String,
    pub holder_name: Option<String>,
    /// `city`, `national` or none (both).
    pub side: Option<String>,
    pub field: Option<String>,
    pub city_value: Option<String>,
    pub national_value: Option<String>,
    /// `{"city":[..],"national":[..]}` row numbers.
    pub rows: String,
    pub message: String,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
