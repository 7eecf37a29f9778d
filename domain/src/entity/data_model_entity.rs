//! `data_model_entities` table.

use sea_orm::entity::prelude::*;

/// One row of `data_model_entities`: a catalog resource's bound table in a model's group.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "data_model_entities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub model_id: i64,
    /// 实体分组.
    pub group_name: String,
    pub resource_id: i64,
    /// One of the resource's bound tables, `data_source_code.table`.
    pub table_name: String,
    pub position: i32,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
