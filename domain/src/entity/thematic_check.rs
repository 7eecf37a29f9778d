//! `thematic_checks` table.

use sea_orm::entity::prelude::*;

/// A thematic check definition: meteorological QC or air-quality consistency over one bound
/// table of a catalog resource.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "thematic_checks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    /// `met_qc` or `air_consistency`.
    pub kind: String,
    pub name: String,
    pub resource_id: i64,
    /// `data_source_code.table`, one of the resource's bound tables.
    pub bound_table: String,
    /// The column mapping as JSON.
    pub mapping: String,
    /// The thresholds as JSON (met QC: a `QcConfig`; air: `{}`).
    pub config: String,
    pub enabled: bool,
    pub version: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
