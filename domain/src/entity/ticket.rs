//! `tickets` table.

use sea_orm::entity::prelude::*;

/// One row of `tickets`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub source: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub reviewer_id: Option<i64>,
    pub created_by: Option<i64>,
    pub rectified_by: Option<i64>,
    pub dedup_key: Option<String>,
    /// Equal to `dedup_key` while open, NULL once finished: a unique index on it makes "one open ticket per key" a database rule.
    pub open_dedup_key: Option<String>,
    pub recurrence_count: i32,
    pub reopen_count: i32,
    /// Re-check of the last rectification (inspection tickets): NULL (not run yet),
    /// `running`, `passed`, `failed` or `error`.
    pub verification: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

/// Related rows (other lookups go through ids and DataLoaders).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ticket's SLA clocks (read with the ticket in one query on transitions).
    #[sea_orm(has_many = "super::sla_clock::Entity")]
    SlaClock,
}

impl Related<super::sla_clock::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SlaClock.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
