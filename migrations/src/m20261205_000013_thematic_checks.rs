//! Thematic data checks: meteorological QC (气象数据质量核查) and air-quality consistency
//! (口径不一致) over catalog datasets — definitions with their column mapping and thresholds,
//! runs, and what each run found.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `thematic_checks` (definition: resource, bound table, column mapping, thresholds,
/// version), `thematic_runs` (one per run, with counts), `met_qc_days` (per station-day
/// summaries), `met_qc_flags` (every value with a non-zero flag) and `air_check_results`
/// (every hour whose report does not match its concentrations).
#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(s: &'static str) -> Alias {
    Alias::new(s)
}

fn fk(
    name: &str,
    from: &'static str,
    col: &'static str,
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(n(from), n(col))
        .to(n(to), n("id"))
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("thematic_checks"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("code")))
                    .col(string(n("kind")))
                    .col(string(n("name")))
                    .col(big_integer(n("resource_id")))
                    .col(string(n("bound_table")))
                    .col(text(n("mapping")))
                    .col(text(n("config")))
                    .col(boolean(n("enabled")))
                    .col(integer(n("version")))
                    .col(big_integer_null(n("created_by")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .foreign_key(&mut fk(
                        "fk_thematic_checks_resource",
                        "thematic_checks",
                        "resource_id",
                        "catalog_resources",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        let mut runs = Table::create();
        runs.table(n("thematic_runs"))
            .col(big_pk_auto(n("id")))
            .col(big_integer(n("check_id")))
            .col(string(n("kind")))
            .col(string(n("status")))
            .col(string(n("trigger")))
            .col(big_integer_null(n("run_by")))
            .col(integer(n("check_version")))
            .col(string_len(n("from_date"), 10))
            .col(string_len(n("to_date"), 10));
        for c in [
            "records",
            "stations",
            "suspect",
            "wrong",
            "missing",
            "not_checked",
            "flags_stored",
            "days",
            "consistent",
            "inconsistent",
            "unverifiable",
            "findings",
            "tickets",
        ] {
            runs.col(big_integer(n(c)).default(0));
        }
        runs.col(text_null(n("error")))
            .col(timestamp_with_time_zone(n("started_at")))
            .col(timestamp_with_time_zone_null(n("finished_at")))
            .foreign_key(&mut fk(
                "fk_thematic_runs_check",
                "thematic_runs",
                "check_id",
                "thematic_checks",
                ForeignKeyAction::Cascade,
            ));
        manager.create_table(runs.to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_thematic_runs_check")
                    .table(n("thematic_runs"))
                    .col(n("check_id"))
                    .col(n("started_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("met_qc_days"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("run_id")))
                    .col(string(n("station")))
                    .col(string_len(n("date"), 10))
                    .col(integer(n("expected_hours")))
                    .col(integer(n("present_hours")))
                    .col(integer(n("missing_hours")))
                    .col(integer(n("suspect")))
                    .col(integer(n("wrong")))
                    .col(integer(n("missing")))
                    .col(text(n("counts")))
                    .foreign_key(&mut fk(
                        "fk_met_qc_days_run",
                        "met_qc_days",
                        "run_id",
                        "thematic_runs",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_met_qc_days_run")
                    .table(n("met_qc_days"))
                    .col(n("run_id"))
                    .col(n("station"))
                    .col(n("date"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("met_qc_flags"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("run_id")))
                    .col(string(n("station")))
                    .col(timestamp_with_time_zone(n("observed_at")))
                    .col(string(n("element")))
                    .col(double_null(n("value")))
                    .col(small_integer(n("flag")))
                    .col(string(n("reason")))
                    .col(string(n("reason_zh")))
                    .foreign_key(&mut fk(
                        "fk_met_qc_flags_run",
                        "met_qc_flags",
                        "run_id",
                        "thematic_runs",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_met_qc_flags_run")
                    .table(n("met_qc_flags"))
                    .col(n("run_id"))
                    .col(n("station"))
                    .col(n("observed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("air_check_results"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("run_id")))
                    .col(string(n("station")))
                    .col(timestamp_with_time_zone(n("observed_at")))
                    .col(string(n("standard")))
                    .col(string(n("status")))
                    .col(integer_null(n("reported_aqi")))
                    .col(string(n("reported_primary")))
                    .col(integer_null(n("computed_aqi")))
                    .col(string(n("computed_primary")))
                    .col(text(n("reason")))
                    .foreign_key(&mut fk(
                        "fk_air_check_results_run",
                        "air_check_results",
                        "run_id",
                        "thematic_runs",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_air_check_results_run")
                    .table(n("air_check_results"))
                    .col(n("run_id"))
                    .col(n("station"))
                    .col(n("observed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "air_check_results",
            "met_qc_flags",
            "met_qc_days",
            "thematic_runs",
            "thematic_checks",
        ] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        Ok(())
    }
}
