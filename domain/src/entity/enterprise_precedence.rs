//! `enterprise_precedence` table.

use sea_orm::entity::prelude::*;

/// The admin's source order for one identity field.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_precedence")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub field: String,
    /// JSON list of source identifiers, highest first.
    pub sources: String,
    /// Coordinates only: distance within which sources agree, metres.
    pub tolerance_m: Option<f64>,
    pub version: i32,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
