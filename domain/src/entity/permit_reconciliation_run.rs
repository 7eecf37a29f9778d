//! `permit_reconciliation_runs` table.

use sea_orm::entity::prelude::*;

/// The record of one permit reconciliation run.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "permit_reconciliation_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub definition_id: i64,
    /// `YYYY-MM` (Asia/Shanghai) for scheduled runs, unique per definition; `None` for runs by hand.
    pub period: Option<String>,
    /// `running`, `done` or `error`.
    pub status: String,
    /// `schedule` or `manual`.
    pub trigger: String,
    /// `files` or `datasets`.
    pub input: String,
    pub run_by: Option<i64>,
    pub definition_version: i32,
    /// The date expiry was judged on (`YYYY-MM-DD`, Asia/Shanghai).
    pub run_date: String,
    /// File name or `source.table` of each side.
    pub city_name: String,
    pub national_name: String,
    pub city_rows: i64,
    pub national_rows: i64,
    pub matched: i64,
    /// Items per category, JSON object keyed by category id.
    pub counts: String,
    pub items_total: i64,
    pub items_stored: i64,
    /// Tickets opened or recurred.
    pub tickets: i64,
    /// The difference list workbook in the blob store.
    pub xlsx_sha256: Option<String>,
    pub error: Option<String>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
