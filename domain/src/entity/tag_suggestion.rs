//! `tag_suggestions` table.

use sea_orm::entity::prelude::*;

/// One row of `tag_suggestions`: a tag the scanner proposes for a field of a resource, and
/// the decision on it. Unique per (resource, field, tag).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tag_suggestions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resource_id: i64,
    pub field_name: String,
    /// A `sensitivity::Tag` identifier.
    pub tag: String,
    pub confidence: f64,
    pub matched: i32,
    pub sampled: i32,
    /// Why, in Chinese (from the scanner).
    pub reason: String,
    /// pending, confirmed or rejected.
    pub status: String,
    pub scanned_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: Option<String>,
    /// The confidence when the decision was taken: a later scan reopens the suggestion only
    /// if the evidence became clearly stronger than this.
    pub decided_confidence: Option<f64>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
