//! Monthly reconciliation (月度专项对账): definitions, one record per reconciliation and month,
//! and the differences of each record.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `reconciliations`, `reconciliation_runs` (unique per reconciliation and month: the
/// schedule claims a month by inserting its row, and a re-run replaces the row's figures) and
/// `reconciliation_items`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(s: &'static str) -> Alias {
    Alias::new(s)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("reconciliations"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("code")))
                    .col(string(n("name")))
                    .col(string(n("domain")))
                    .col(big_integer_null(n("department_id")))
                    .col(boolean(n("enabled")))
                    .col(text(n("spec")))
                    .col(integer(n("version")))
                    .col(big_integer_null(n("created_by")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reconciliations_department")
                            .from(n("reconciliations"), n("department_id"))
                            .to(n("departments"), n("id"))
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        let mut runs = Table::create();
        runs.table(n("reconciliation_runs"))
            .col(big_pk_auto(n("id")))
            .col(big_integer(n("reconciliation_id")))
            .col(string_len(n("month"), 7))
            .col(string(n("status")))
            .col(string(n("trigger")))
            .col(big_integer_null(n("run_by")))
            .col(integer(n("attempts")))
            .col(integer(n("definition_version")));
        for c in [
            "source_keys",
            "center_keys",
            "common_keys",
            "source_only",
            "center_only",
            "mismatched_keys",
            "source_rows",
            "center_rows",
            "items_total",
            "items_stored",
        ] {
            runs.col(big_integer(n(c)).default(0));
        }
        runs.col(text_null(n("error")))
            .col(big_integer_null(n("ticket_id")))
            .col(timestamp_with_time_zone(n("started_at")))
            .col(timestamp_with_time_zone_null(n("finished_at")))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_reconciliation_runs_reconciliation")
                    .from(n("reconciliation_runs"), n("reconciliation_id"))
                    .to(n("reconciliations"), n("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            );
        manager.create_table(runs.to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_reconciliation_runs_month")
                    .table(n("reconciliation_runs"))
                    .col(n("reconciliation_id"))
                    .col(n("month"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reconciliation_runs_month")
                    .table(n("reconciliation_runs"))
                    .col(n("month"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("reconciliation_items"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("run_id")))
                    .col(string(n("category")))
                    .col(text(n("key")))
                    .col(string(n("metric")))
                    .col(text_null(n("source_value")))
                    .col(text_null(n("center_value")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reconciliation_items_run")
                            .from(n("reconciliation_items"), n("run_id"))
                            .to(n("reconciliation_runs"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reconciliation_items_run")
                    .table(n("reconciliation_items"))
                    .col(n("run_id"))
                    .col(n("category"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["reconciliation_items", "reconciliation_runs", "reconciliations"] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        Ok(())
    }
}
