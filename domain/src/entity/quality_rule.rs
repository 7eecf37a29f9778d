//! `quality_rules` table.

use sea_orm::entity::prelude::*;

/// A quality rule on one bound table of a catalog resource.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quality_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resource_id: i64,
    /// Unique within the resource; the rule's id in results and tickets.
    pub code: String,
    /// `data_source_code.table`.
    pub bound_table: String,
    /// `completeness`, `validity`, ... (the definition's kind, for filters).
    pub kind: String,
    pub severity: String,
    /// The [`crate::quality::rule::Rule`] as JSON.
    pub definition: String,
    /// Low-severity rules: close the open ticket after this many passing runs in a row.
    pub auto_close_after: Option<i32>,
    pub enabled: bool,
    /// Passing runs in a row (reset by a warn, fail or error).
    pub pass_streak: i32,
    /// Status of the latest run of the rule.
    pub last_status: Option<String>,
    pub version: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
