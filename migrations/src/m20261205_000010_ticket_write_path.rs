//! A lighter write path for ticket transitions (issue 2, the transitions benchmark).
//!
//! - `notifications.facts`: an outbox row keeps the facts of its message (a few hundred bytes
//!   of JSON) and is rendered when sent, instead of carrying its rendered text and HTML.
//! - `tickets`: no indexes on `state` and `assignee_id`, the two columns a transition changes,
//!   so that PostgreSQL can update the row in place (a HOT update: no index entries to add);
//!   pages keep room for that (fillfactor). The ticket list is ordered by creation time, which
//!   gets an index instead (it never changes).
//! - `sla_clocks`: the scan index covers `status` only; `deadline_at`, which every clock
//!   restart moves, is filtered on the running clocks, so a restart is a HOT update too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// See the module documentation.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(s: &'static str) -> Alias {
    Alias::new(s)
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(n(table));
    for c in cols {
        i.col(n(c));
    }
    i.to_owned()
}

fn drop_index(name: &'static str, table: &'static str) -> IndexDropStatement {
    Index::drop().name(name).table(n(table)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(n("notifications"))
                    .add_column(text_null(n("facts")))
                    .to_owned(),
            )
            .await?;
        manager.drop_index(drop_index("ix_tickets_state", "tickets")).await?;
        manager.drop_index(drop_index("ix_tickets_assignee", "tickets")).await?;
        manager
            .create_index(index("ix_tickets_created", "tickets", &["created_at"]))
            .await?;
        manager
            .drop_index(drop_index("ix_sla_clock_status", "sla_clocks"))
            .await?;
        manager
            .create_index(index("ix_sla_clock_status", "sla_clocks", &["status"]))
            .await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE tickets SET (fillfactor = 80)")
                .await?;
            db.execute_unprepared("ALTER TABLE sla_clocks SET (fillfactor = 80)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE tickets RESET (fillfactor)").await?;
            db.execute_unprepared("ALTER TABLE sla_clocks RESET (fillfactor)")
                .await?;
        }
        manager
            .drop_index(drop_index("ix_sla_clock_status", "sla_clocks"))
            .await?;
        manager
            .create_index(index("ix_sla_clock_status", "sla_clocks", &["status", "deadline_at"]))
            .await?;
        manager.drop_index(drop_index("ix_tickets_created", "tickets")).await?;
        manager
            .create_index(index("ix_tickets_assignee", "tickets", &["assignee_id"]))
            .await?;
        manager
            .create_index(index("ix_tickets_state", "tickets", &["state"]))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(n("notifications"))
                    .drop_column(n("facts"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
