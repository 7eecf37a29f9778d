//! `quality_runs` table.

use sea_orm::entity::prelude::*;

/// One inspection of a resource.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quality_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resource_id: i64,
    /// `schedule`, `manual` or `recheck`.
    pub trigger: String,
    /// The ticket re-checked (trigger `recheck`).
    pub ticket_id: Option<i64>,
    pub incremental: bool,
    /// `running`, `done` or `error` (a source could not be reached or a statement failed).
    pub status: String,
    pub rules_total: i32,
    pub passed: i32,
    pub warned: i32,
    pub failed: i32,
    pub errored: i32,
    /// 0–100, severity-weighted; NULL when no rule could be evaluated.
    pub score: Option<f64>,
    pub error: Option<String>,
    pub started_by: Option<i64>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
