//! `notifications` table.

use sea_orm::entity::prelude::*;

/// One row of `notifications`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dedup_key: String,
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub recipient_id: Option<i64>,
    pub recipient_email: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// The message's facts (JSON of `service::notify::StoredFacts`), rendered into subject
    /// and bodies when sent; then `body_text`/`body_html` are empty. NULL for rows that
    /// store rendered bodies.
    pub facts: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

/// No declared relations: lookups go through ids and DataLoaders.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
