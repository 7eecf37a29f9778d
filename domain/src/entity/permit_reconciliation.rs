//! `permit_reconciliations` table.

use sea_orm::entity::prelude::*;

/// A permit reconciliation definition: where both sides come from, how their columns map, and
/// where its tickets go.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "permit_reconciliations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// The monthly schedule runs enabled ones (with datasets on both sides).
    pub enabled: bool,
    /// `PermitSpec` as JSON.
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
