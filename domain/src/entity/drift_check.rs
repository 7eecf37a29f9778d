//! `drift_checks` table.

use sea_orm::entity::prelude::*;

/// When a resource was last compared with its tables, and how it went.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drift_checks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_id: i64,
    pub checked_at: DateTimeUtc,
    /// `clean`, `drift` or `error`.
    pub outcome: String,
    pub error: Option<String>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
