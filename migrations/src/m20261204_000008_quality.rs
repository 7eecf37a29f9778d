//! Data quality monitoring: rules, schedules, runs and per-rule results; the re-check state of
//! tickets opened by rules.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `quality_rules` (a rule per catalog resource and bound table, its definition as
/// JSON, and the streak of passing runs used for automatic closing), `quality_schedules` (one
/// cron schedule per resource, claimed by one worker at a time through `next_run_at`),
/// `quality_runs` and `quality_results` (metrics, masked samples and the failing-rows query of
/// every rule of every run); adds `tickets.verification` and `data_sources.time_zone` (the zone of
/// the source's naive timestamps).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let n = Alias::new;
        manager
            .alter_table(
                Table::alter()
                    .table(n("tickets"))
                    .add_column(string_null(n("verification")))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(n("data_sources"))
                    .add_column(string(n("time_zone")).default("Asia/Shanghai"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("quality_rules"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("resource_id")))
                    .col(string(n("code")))
                    .col(string(n("bound_table")))
                    .col(string(n("kind")))
                    .col(string(n("severity")))
                    .col(text(n("definition")))
                    .col(integer_null(n("auto_close_after")))
                    .col(boolean(n("enabled")))
                    .col(integer(n("pass_streak")).default(0))
                    .col(string_null(n("last_status")))
                    .col(integer(n("version")))
                    .col(big_integer_null(n("created_by")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(n("quality_rules"), n("resource_id"))
                            .to(n("catalog_resources"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_quality_rules_code")
                    .table(n("quality_rules"))
                    .col(n("resource_id"))
                    .col(n("code"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("quality_schedules"))
                    .col(big_integer(n("resource_id")).primary_key())
                    .col(string(n("cron")))
                    .col(boolean(n("working_days_only")))
                    .col(boolean(n("incremental")))
                    .col(string_null(n("watermark_column")))
                    .col(text(n("watermarks")))
                    .col(boolean(n("enabled")))
                    .col(timestamp_with_time_zone_null(n("next_run_at")))
                    .col(integer(n("version")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(n("quality_schedules"), n("resource_id"))
                            .to(n("catalog_resources"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("quality_runs"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("resource_id")))
                    .col(string(n("trigger")))
                    .col(big_integer_null(n("ticket_id")))
                    .col(boolean(n("incremental")))
                    .col(string(n("status")))
                    .col(integer(n("rules_total")))
                    .col(integer(n("passed")))
                    .col(integer(n("warned")))
                    .col(integer(n("failed")))
                    .col(integer(n("errored")))
                    .col(double_null(n("score")))
                    .col(text_null(n("error")))
                    .col(big_integer_null(n("started_by")))
                    .col(timestamp_with_time_zone(n("started_at")))
                    .col(timestamp_with_time_zone_null(n("finished_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(n("quality_runs"), n("resource_id"))
                            .to(n("catalog_resources"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_quality_runs_resource")
                    .table(n("quality_runs"))
                    .col(n("resource_id"))
                    .col(n("started_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("quality_results"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("run_id")))
                    .col(big_integer(n("rule_id")))
                    .col(string(n("rule_code")))
                    .col(string(n("bound_table")))
                    .col(string(n("severity")))
                    .col(string(n("status")))
                    .col(big_integer(n("checked")))
                    .col(big_integer(n("failing")))
                    .col(double(n("percent")))
                    .col(text(n("samples")))
                    .col(text(n("failing_query")))
                    .col(text(n("failing_params")))
                    .col(text_null(n("note")))
                    .col(big_integer_null(n("ticket_id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(n("quality_results"), n("run_id"))
                            .to(n("quality_runs"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_quality_results_run")
                    .table(n("quality_results"))
                    .col(n("run_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_quality_results_rule")
                    .table(n("quality_results"))
                    .col(n("rule_id"))
                    .col(n("id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let n = Alias::new;
        for t in ["quality_results", "quality_runs", "quality_schedules", "quality_rules"] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(n("data_sources"))
                    .drop_column(n("time_zone"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(n("tickets"))
                    .drop_column(n("verification"))
                    .to_owned(),
            )
            .await
    }
}
