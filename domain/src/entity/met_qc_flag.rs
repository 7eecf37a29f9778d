//! `met_qc_flags` table.

use sea_orm::entity::prelude::*;

/// One value with a non-zero QC flag.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "met_qc_flags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub station: String,
    /// The start of the observation's UTC hour.
    pub observed_at: DateTimeUtc,
    /// Element code (`temperature`, `dew_point`, ...).
    pub element: String,
    /// The value as read (none when missing).
    pub value: Option<f64>,
    /// 1 suspect, 2 wrong, 8 missing, 9 not checked.
    pub flag: i16,
    /// Reason code of the check (`climate_limit`, `persistence`, ...); empty for flag 9.
    pub reason: String,
    /// The reason in Chinese.
    pub reason_zh: String,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
