//! `enterprise_field_history` table (append-only).

use sea_orm::entity::prelude::*;

/// What a source said about a field of an enterprise, and when.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_field_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub credit_code: String,
    pub field: String,
    pub source: String,
    pub record_key: String,
    /// The value (None: the record no longer states it).
    pub value: Option<String>,
    pub received_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
