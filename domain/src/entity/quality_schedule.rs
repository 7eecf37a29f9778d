//! `quality_schedules` table.

use sea_orm::entity::prelude::*;

/// When a resource's rules run.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quality_schedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_id: i64,
    /// Cron expression (5 or 6 fields), Asia/Shanghai.
    pub cron: String,
    /// Skip occurrences that fall on non-working days of the office calendar.
    pub working_days_only: bool,
    /// Inspect only rows newer than the last run's watermark.
    pub incremental: bool,
    /// Column whose increase marks new rows.
    pub watermark_column: Option<String>,
    /// JSON object: bound table → last watermark (RFC 3339).
    pub watermarks: String,
    pub enabled: bool,
    /// The next due run; a worker claims it by moving it forward.
    pub next_run_at: Option<DateTimeUtc>,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
