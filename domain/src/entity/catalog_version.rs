//! `catalog_versions` table.

use sea_orm::entity::prelude::*;

/// One row of `catalog_versions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "catalog_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resource_id: i64,
    pub version: i32,
    /// The `Snapshot` as JSON.
    pub snapshot: String,
    /// The `FieldChange` list from the previous version, as JSON.
    pub changes: String,
    pub actor_id: Option<i64>,
    pub note: String,
    pub created_at: DateTimeUtc,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
