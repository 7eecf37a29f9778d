//! `air_check_results` table.

use sea_orm::entity::prelude::*;

/// One station-hour whose reported AQI or primary pollutant does not match its
/// concentrations (or could not be recomputed).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "air_check_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub station: String,
    /// The hour's label as read (end of the averaging hour), UTC.
    pub observed_at: DateTimeUtc,
    /// `HJ 633-2012` or `HJ 633-2026`.
    pub standard: String,
    /// `inconsistent` or `unverifiable`.
    pub status: String,
    pub reported_aqi: Option<i32>,
    pub reported_primary: String,
    pub computed_aqi: Option<i32>,
    pub computed_primary: String,
    /// The Chinese reason.
    pub reason: String,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
