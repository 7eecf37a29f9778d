//! `enterprise_conflicts` table.

use sea_orm::entity::prelude::*;

/// Sources disagreeing on a field of an enterprise (one row per enterprise and field; kept,
/// `resolved`, when they agree again).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_conflicts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub credit_code: String,
    pub field: String,
    /// JSON list of [`crate::enterprise::Candidate`], in precedence order.
    pub candidates: String,
    /// `open` or `resolved`.
    pub status: String,
    pub ticket_id: Option<i64>,
    pub detected_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
