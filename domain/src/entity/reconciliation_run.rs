//! `reconciliation_runs` table.

use sea_orm::entity::prelude::*;

/// The record of one reconciliation for one month (unique per reconciliation and month: a
/// re-run replaces it).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliation_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reconciliation_id: i64,
    /// `YYYY-MM`, Asia/Shanghai.
    pub month: String,
    /// `running`, `done` or `error`.
    pub status: String,
    /// `schedule` or `manual` (of the latest run).
    pub trigger: String,
    /// Who ran it by hand last (None: the schedule).
    pub run_by: Option<i64>,
    /// How many runs of this month have completed.
    pub attempts: i32,
    /// The definition's version the latest run compared with.
    pub definition_version: i32,
    pub source_keys: i64,
    pub center_keys: i64,
    pub common_keys: i64,
    pub source_only: i64,
    pub center_only: i64,
    pub mismatched_keys: i64,
    pub source_rows: i64,
    pub center_rows: i64,
    /// Differences found.
    pub items_total: i64,
    /// Of which stored as items (at most `MAX_STORED_ITEMS`).
    pub items_stored: i64,
    pub error: Option<String>,
    /// The mismatch or collection-failure ticket the run reported to, if any.
    pub ticket_id: Option<i64>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
