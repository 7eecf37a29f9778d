//! `met_qc_days` table.

use sea_orm::entity::prelude::*;

/// One station-day of a met QC run.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "met_qc_days")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub station: String,
    /// `YYYY-MM-DD` in the reporting day of the configuration.
    pub date: String,
    pub expected_hours: i32,
    pub present_hours: i32,
    pub missing_hours: i32,
    /// Values flagged 1, over all elements.
    pub suspect: i32,
    /// Values flagged 2, over all elements.
    pub wrong: i32,
    /// Values flagged 8 (absent hours included), over all elements.
    pub missing: i32,
    /// Flag counts per element as JSON.
    pub counts: String,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
