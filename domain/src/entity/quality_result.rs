//! `quality_results` table.

use sea_orm::entity::prelude::*;

/// The outcome of one rule in one run.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quality_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub rule_id: i64,
    pub rule_code: String,
    pub bound_table: String,
    pub severity: String,
    /// `pass`, `warn`, `fail` or `error`.
    pub status: String,
    pub checked: i64,
    pub failing: i64,
    pub percent: f64,
    /// JSON array of masked sample rows.
    pub samples: String,
    /// The query listing every failing row.
    pub failing_query: String,
    /// JSON array of the values bound to `failing_query`.
    pub failing_params: String,
    pub note: Option<String>,
    /// The quality ticket this result opened or added to.
    pub ticket_id: Option<i64>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
