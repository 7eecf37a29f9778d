//! `catalog_fields` table.

use sea_orm::entity::prelude::*;

/// One row of `catalog_fields`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "catalog_fields")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resource_id: i64,
    pub position: i32,
    pub name: String,
    pub cn_name: String,
    pub data_type: String,
    pub grade: String,
    pub sub_level: Option<i16>,
    /// The whole `FieldDraft` as JSON.
    pub draft: String,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
