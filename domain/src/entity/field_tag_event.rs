//! `field_tag_events` table.

use sea_orm::entity::prelude::*;

/// One row of `field_tag_events`: a sensitivity tag added to, removed from, confirmed on or
/// rejected for a catalog field (the tag history). Append-only.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "field_tag_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resource_id: i64,
    pub field_name: String,
    /// A `sensitivity::Tag` identifier.
    pub tag: String,
    /// added, removed, confirmed or rejected.
    pub action: String,
    pub actor_id: Option<i64>,
    pub at: DateTimeUtc,
    pub note: String,
    /// The catalog version that carried the change (None for a rejection).
    pub catalog_version: Option<i32>,
    pub suggestion_id: Option<i64>,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
