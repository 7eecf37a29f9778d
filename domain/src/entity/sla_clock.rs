//! `sla_clocks` table.

use sea_orm::entity::prelude::*;

/// One row of `sla_clocks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "sla_clocks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub clock: String,
    pub status: String,
    pub budget_minutes: i64,
    pub warn_ratio: f64,
    pub consumed_minutes: i64,
    pub running_since: Option<DateTimeUtc>,
    pub deadline_at: Option<DateTimeUtc>,
    pub warn_at: Option<DateTimeUtc>,
    pub deadline_version: i32,
    pub breached_at: Option<DateTimeUtc>,
    pub warned_version: Option<i32>,
    pub breach_notified_version: Option<i32>,
    pub started_at: DateTimeUtc,
    pub stopped_at: Option<DateTimeUtc>,
}

/// The owning ticket.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ticket whose clock this is.
    #[sea_orm(
        belongs_to = "super::ticket::Entity",
        from = "Column::TicketId",
        to = "super::ticket::Column::Id"
    )]
    Ticket,
}

impl Related<super::ticket::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Ticket.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
