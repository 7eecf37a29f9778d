//! `reconciliations` table.

use sea_orm::entity::prelude::*;

/// One reconciliation definition (月度专项对账).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `station`, `enterprise`, `permit` or `other`.
    pub domain: String,
    pub department_id: Option<i64>,
    pub enabled: bool,
    /// The sides, measures and tolerances as JSON (`reconciliation::Spec`).
    pub spec: String,
    pub version: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
