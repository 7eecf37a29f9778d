//! `departments` table.

use sea_orm::entity::prelude::*;

/// One row of `departments`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub external: bool,
    pub manager_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

/// No declared relations: lookups go through ids and DataLoaders.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
