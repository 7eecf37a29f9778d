//! `classifications` table.

use sea_orm::entity::prelude::*;

/// One node of the resource classification (类/项/目/细目).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "classifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Codes joined by `/`, e.g. `1/02/003`.
    #[sea_orm(unique)]
    pub path: String,
    pub parent_path: Option<String>,
    /// 1 类, 2 项, 3 目, 4 细目.
    pub level: i16,
    pub name: String,
    pub description: String,
    pub active: bool,
    /// Seeded with the built-in scheme (still editable).
    pub builtin: bool,
    pub updated_at: DateTimeUtc,
}

/// No declared relations: lookups go through paths.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
