//! `enterprise_dirty` table.

use sea_orm::entity::prelude::*;

/// An enterprise whose records changed since its last merge.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_dirty")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub credit_code: String,
    pub marked_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
