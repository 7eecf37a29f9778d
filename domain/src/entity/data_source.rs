//! `data_sources` table.

use sea_orm::entity::prelude::*;

/// One row of `data_sources`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "data_sources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub name: String,
    /// postgres, mysql or sqlite.
    pub kind: String,
    /// The connection URL, encrypted (`SecretBox`). Never leaves the server.
    pub url_sealed: String,
    /// The URL with its password replaced by `***`.
    pub url_display: String,
    pub source_system: String,
    /// IANA zone of the source's naive timestamps (default Asia/Shanghai).
    pub time_zone: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub checked_at: Option<DateTimeUtc>,
    pub check_ok: Option<bool>,
    pub latency_ms: Option<i64>,
    pub check_error: Option<String>,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
