//! `enterprise_records` table.

use sea_orm::entity::prelude::*;

/// One record of a source about an enterprise (unique per source and record key).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source: String,
    pub record_key: String,
    pub credit_code: String,
    /// JSON of [`crate::enterprise::Payload`].
    pub payload: String,
    /// SHA-256 hex of code and payload: a re-import of the same content changes nothing.
    pub content_hash: String,
    pub first_received_at: DateTimeUtc,
    /// When the current content arrived.
    pub received_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
