//! `drift_rejections` table.

use sea_orm::entity::prelude::*;

/// A drift a person decided not to adopt, with the reason.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drift_rejections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resource_id: i64,
    pub bound_table: String,
    /// [`crate::catalog::drift::Drift::fingerprint`] of the rejected drift.
    pub fingerprint: String,
    /// The rejected changes as JSON.
    pub changes: String,
    pub reason: String,
    pub actor_id: i64,
    pub at: DateTimeUtc,
}

/// No declared relations: lookups go through ids.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
