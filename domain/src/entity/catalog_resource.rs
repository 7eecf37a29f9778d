//! `catalog_resources` table.

use sea_orm::entity::prelude::*;

/// One row of `catalog_resources`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "catalog_resources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub status: String,
    pub version: i32,
    pub department: String,
    pub classification: String,
    pub share_type: String,
    pub open_type: String,
    pub grade: String,
    pub sub_level: Option<i16>,
    /// The whole `ResourceDraft` as JSON.
    pub draft: String,
    pub submitted_by: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
