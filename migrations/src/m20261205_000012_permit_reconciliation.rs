//! Discharge-permit reconciliation (排污许可证对账): definitions, one record per run with its
//! counts and difference list, and the items of each record.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `permit_reconciliations`, `permit_reconciliation_runs` (unique per definition and
/// scheduled month: the schedule claims a month by inserting its row; runs by hand have no
/// month) and `permit_reconciliation_items`.
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
                    .table(n("permit_reconciliations"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("code")))
                    .col(string(n("name")))
                    .col(boolean(n("enabled")))
                    .col(text(n("spec")))
                    .col(integer(n("version")))
                    .col(big_integer_null(n("created_by")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("permit_reconciliation_runs"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("definition_id")))
                    .col(string_len_null(n("period"), 7))
                    .col(string(n("status")))
                    .col(string(n("trigger")))
                    .col(string(n("input")))
                    .col(big_integer_null(n("run_by")))
                    .col(integer(n("definition_version")))
                    .col(string_len(n("run_date"), 10))
                    .col(text(n("city_name")))
                    .col(text(n("national_name")))
                    .col(big_integer(n("city_rows")).default(0))
                    .col(big_integer(n("national_rows")).default(0))
                    .col(big_integer(n("matched")).default(0))
                    .col(text(n("counts")))
                    .col(big_integer(n("items_total")).default(0))
                    .col(big_integer(n("items_stored")).default(0))
                    .col(big_integer(n("tickets")).default(0))
                    .col(string_len_null(n("xlsx_sha256"), 64))
                    .col(text_null(n("error")))
                    .col(timestamp_with_time_zone(n("started_at")))
                    .col(timestamp_with_time_zone_null(n("finished_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_permit_runs_definition")
                            .from(n("permit_reconciliation_runs"), n("definition_id"))
                            .to(n("permit_reconciliations"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_permit_runs_period")
                    .table(n("permit_reconciliation_runs"))
                    .col(n("definition_id"))
                    .col(n("period"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("permit_reconciliation_items"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("run_id")))
                    .col(integer(n("seq")))
                    .col(string(n("category")))
                    .col(text(n("permit_number")))
                    .col(text_null(n("holder_name")))
                    .col(string_null(n("side")))
                    .col(string_null(n("field")))
                    .col(text_null(n("city_value")))
                    .col(text_null(n("national_value")))
                    .col(text(n("rows")))
                    .col(text(n("message")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_permit_items_run")
                            .from(n("permit_reconciliation_items"), n("run_id"))
                            .to(n("permit_reconciliation_runs"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_permit_items_run")
                    .table(n("permit_reconciliation_items"))
                    .col(n("run_id"))
                    .col(n("category"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "permit_reconciliation_items",
            "permit_reconciliation_runs",
            "permit_reconciliations",
        ] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        Ok(())
    }
}
