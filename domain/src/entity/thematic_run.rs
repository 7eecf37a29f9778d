//! `thematic_runs` table.

use sea_orm::entity::prelude::*;

/// One run of a thematic check over a date range, with its counts.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "thematic_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub check_id: i64,
    /// `met_qc` or `air_consistency`.
    pub kind: String,
    /// `running`, `done` or `error`.
    pub status: String,
    /// `manual`.
    pub trigger: String,
    pub run_by: Option<i64>,
    /// The definition's version the run used.
    pub check_version: i32,
    /// First day, `YYYY-MM-DD` (Asia/Shanghai).
    pub from_date: String,
    /// Last day, included.
    pub to_date: String,
    /// Records (rows) read.
    pub records: i64,
    pub stations: i64,
    /// Met QC: values flagged 1.
    pub suspect: i64,
    /// Met QC: values flagged 2.
    pub wrong: i64,
    /// Met QC: values flagged 8, absent hours included.
    pub missing: i64,
    /// Met QC: values flagged 9.
    pub not_checked: i64,
    /// Met QC: flag rows stored.
    pub flags_stored: i64,
    /// Met QC: station-days summarised.
    pub days: i64,
    /// Air: hours whose report matches.
    pub consistent: i64,
    /// Air: hours whose report does not match (口径不一致).
    pub inconsistent: i64,
    /// Air: hours without any usable concentration.
    pub unverifiable: i64,
    /// Findings (met: per station, check and element; air: stations with mismatches).
    pub findings: i64,
    /// Tickets opened or added to.
    pub tickets: i64,
    pub error: Option<String>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
