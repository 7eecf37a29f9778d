//! `data_model_relations` table.

use sea_orm::entity::prelude::*;

/// One row of `data_model_relations`: a field of one resource related to a field of another.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "data_model_relations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub model_id: i64,
    pub from_resource_id: i64,
    pub from_field: String,
    pub to_resource_id: i64,
    pub to_field: String,
    /// `one_to_one`, `one_to_many`, `many_to_one` or `many_to_many`.
    pub cardinality: String,
    pub description: String,
    pub position: i32,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
