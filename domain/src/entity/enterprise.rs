//! `enterprises` table.

use sea_orm::entity::prelude::*;

/// The merged identity of one enterprise (一企一档), keyed by its credit code.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprises")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub credit_code: String,
    /// The code fails its check character (GB 32100-2015).
    pub suspect: bool,
    pub name: Option<String>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    pub industry: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    /// JSON: field → winning `{source, record_key, received_at}`.
    pub winners: String,
    /// Fields whose sources disagree now.
    pub open_conflicts: i32,
    /// Source records of the enterprise.
    pub record_count: i32,
    /// Last merged.
    pub merged_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// Last time a merged value changed.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: lookups go through the credit code.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
