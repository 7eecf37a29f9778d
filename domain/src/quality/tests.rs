//! End-to-end: the same defective table on SQLite, PostgreSQL and MariaDB, checked by every
//! kind of rule, with exact counts, statuses, masked samples and failing-rows queries.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::compile::{CompileOptions, QualifiedTable, compile};
use super::rule::{Aggregate, ColumnInfo, Param, Rule, RuleKind, Severity, TableRef, Threshold, UpdateCycle, Validity};
use super::run::{RuleResult, Status, execute};
use crate::catalog::introspect::{SourceKind, connect};
use crate::catalog::model::DataType;
use crate::sensitivity::MaskRule;
use crate::testdb::{exec, external_disabled, suffix};

const VALID_CREDIT: &str = "91350100M000100Y43";
const BAD_CREDIT: &str = "91350100M000100Y44";
const MOBILE: &str = "18012341999";

fn base() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// One row of the defective table: (station, observed_at, pm25, flag, outlet, credit, contact).
type Row = (
    String,
    NaiveDateTime,
    Option<f64>,
    String,
    String,
    String,
    Option<String>,
);

/// 1,000 hourly rows with known defects, each in its own rows:
/// 7 null pm25, 3 pm25 out of range, 2 surplus duplicate keys (4 rows share 2 keys),
/// 4 orphan station codes, 5 bad HJ 212 flags, 6 outlet codes failing the regex (2 of them also
/// of the wrong length), 3 credit codes with a wrong check character, 3 missing contacts.
fn rows() -> Vec<Row> {
    (0..1000)
        .map(|i: i64| {
            let mut station = format!("4201{:04}", i % 10);
            let mut at = base() + Duration::hours(i);
            let mut pm25 = Some((i % 50) as f64 + 0.5);
            let mut flag = "N".to_owned();
            let mut outlet = "DW001".to_owned();
            let mut credit = VALID_CREDIT.to_owned();
            let mut contact = Some(MOBILE.to_owned());
            match i {
                0..7 => pm25 = None,
                10..13 => pm25 = Some(9999.0),
                21 | 23 => {
                    station = format!("4201{:04}", (i - 1) % 10);
                    at = base() + Duration::hours(i - 1);
                }
                30..34 => station = "42019999".to_owned(),
                40..45 => flag = ["X", "n", "Z", "0", ""][(i - 40) as usize].to_owned(),
                50..56 => outlet = ["dw001", "DW01", "DA0001", "XW001", "DW00A", "D W01"][(i - 50) as usize].to_owned(),
                60..63 => credit = BAD_CREDIT.to_owned(),
                70 => contact = Some(String::new()),
                71 => contact = Some("   ".to_owned()),
                72 => contact = None,
                _ => {}
            }
            (station, at, pm25, flag, outlet, credit, contact)
        })
        .collect()
}

async fn create(db: &DatabaseConnection, kind: SourceKind, t: &str, stations: &str) {
    let ts = if kind == SourceKind::MySql {
        "datetime"
    } else {
        "timestamp"
    };
    exec(
        db,
        &format!(
            "CREATE TABLE {t} (station_code varchar(8), observed_at {ts} null, pm25 decimal(6,1), \
             flag char(1), outlet varchar(8), credit_code varchar(18), contact varchar(20))"
        ),
    )
    .await;
    exec(
        db,
        &format!("CREATE TABLE {stations} (code varchar(8) primary key, name varchar(20))"),
    )
    .await;
    let station_rows: Vec<String> = (0..10).map(|i| format!("('4201{i:04}', '站点{i}')")).collect();
    exec(
        db,
        &format!("INSERT INTO {stations} VALUES {}", station_rows.join(", ")),
    )
    .await;
    for chunk in rows().chunks(250) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(s, at, pm25, flag, outlet, credit, contact)| {
                format!(
                    "('{s}', '{}', {}, '{flag}', '{outlet}', '{credit}', {})",
                    at.format("%Y-%m-%d %H:%M:%S"),
                    pm25.map_or("NULL".to_owned(), |v| v.to_string()),
                    contact.as_ref().map_or("NULL".to_owned(), |c| format!("'{c}'"))
                )
            })
            .collect();
        exec(
            db,
            &format!(
                "INSERT INTO {t} (station_code, observed_at, pm25, flag, outlet, credit_code, contact) VALUES {}",
                values.join(", ")
            ),
        )
        .await;
    }
}

fn columns() -> Vec<ColumnInfo> {
    let col = |name: &str, t: DataType, mask: Option<MaskRule>| ColumnInfo {
        name: name.to_owned(),
        data_type: Some(t),
        mask,
    };
    vec![
        col("station_code", DataType::String, None),
        col("observed_at", DataType::DateTime, None),
        col("pm25", DataType::Decimal, None),
        col("flag", DataType::String, None),
        col("outlet", DataType::String, None),
        col(
            "credit_code",
            DataType::String,
            Some(MaskRule::KeepFirstLast { first: 2, last: 2 }),
        ),
        col(
            "contact",
            DataType::String,
            Some(MaskRule::KeepFirstLast { first: 3, last: 4 }),
        ),
    ]
}

fn rule(id: &str, kind: RuleKind, warn: Threshold, fail: Threshold) -> Rule {
    Rule {
        id: id.to_owned(),
        kind,
        severity: Severity::High,
        warn,
        fail,
    }
}

fn rules(t: &str, stations: &str) -> Vec<Rule> {
    use Threshold::{Count, Percent};
    let validity = |column: &str, check: Validity| RuleKind::Validity {
        column: column.to_owned(),
        check,
    };
    vec![
        rule(
            "pm25_missing",
            RuleKind::Completeness { column: "pm25".into() },
            Count(0),
            Count(10),
        ),
        rule(
            "contact_missing",
            RuleKind::Completeness {
                column: "contact".into(),
            },
            Count(0),
            Count(2),
        ),
        rule(
            "pm25_range",
            validity(
                "pm25",
                Validity::Range {
                    min: Some(0.0),
                    max: Some(1000.0),
                },
            ),
            Count(0),
            Percent(0.1),
        ),
        rule(
            "flag",
            validity("flag", Validity::Hj212Flag),
            Percent(0.1),
            Percent(1.0),
        ),
        rule(
            "outlet_shape",
            validity(
                "outlet",
                Validity::Regex {
                    pattern: "^D[AW][0-9]{3}$".into(),
                },
            ),
            Count(0),
            Count(5),
        ),
        rule(
            "outlet_length",
            validity(
                "outlet",
                Validity::Length {
                    min: Some(5),
                    max: Some(5),
                },
            ),
            Count(5),
            Count(10),
        ),
        rule(
            "credit",
            validity("credit_code", Validity::CreditCode),
            Count(0),
            Count(0),
        ),
        rule(
            "key",
            RuleKind::Uniqueness {
                columns: vec!["station_code".into(), "observed_at".into()],
            },
            Count(0),
            Count(0),
        ),
        rule(
            "station_ref",
            RuleKind::Referential {
                column: "station_code".into(),
                target: TableRef {
                    schema: None,
                    name: stations.to_owned(),
                },
                target_column: "code".into(),
            },
            Count(3),
            Count(10),
        ),
        rule(
            "fresh_day",
            RuleKind::Timeliness {
                column: "observed_at".into(),
                cycle: UpdateCycle::Hours(24),
            },
            Count(0),
            Count(0),
        ),
        rule(
            "fresh_hour",
            RuleKind::Timeliness {
                column: "observed_at".into(),
                cycle: UpdateCycle::Hours(1),
            },
            Count(0),
            Count(0),
        ),
        rule(
            "volume",
            RuleKind::Volume {
                column: "observed_at".into(),
                window_hours: 24,
                min_rows: Some(30),
                max_change_percent: None,
            },
            Count(0),
            Count(0),
        ),
        rule(
            "same_sum",
            RuleKind::Consistency {
                column: "pm25".into(),
                aggregate: Aggregate::Sum,
                target: TableRef {
                    schema: None,
                    name: t.to_owned(),
                },
                target_column: "pm25".into(),
                tolerance_percent: 0.0,
            },
            Count(0),
            Count(0),
        ),
        rule(
            "custom_high",
            RuleKind::CustomSql {
                sql: format!("SELECT station_code, contact FROM {t} WHERE pm25 > :limit"),
                params: BTreeMap::from([("limit".to_owned(), Param::Int(5000))]),
            },
            Count(0),
            Count(1),
        ),
    ]
}

fn now() -> DateTime<Utc> {
    // Two hours after the newest row (base + 999 h), times in the source read as UTC.
    Utc.from_utc_datetime(&(base() + Duration::hours(1001)))
}

fn options() -> CompileOptions {
    let mut o = CompileOptions::full(now());
    o.source_tz = chrono_tz::UTC;
    o
}

/// Runs a failing-rows query with the parameters as reported and counts its rows.
async fn count_rows(db: &DatabaseConnection, r: &RuleResult) -> usize {
    let values: Vec<sea_orm::Value> = r
        .failing_params
        .iter()
        .map(|v| match v {
            serde_json::Value::Number(n) if n.is_i64() => n.as_i64().unwrap().into(),
            serde_json::Value::Number(n) => n.as_f64().unwrap().into(),
            serde_json::Value::String(s) => s.as_str().into(),
            other => panic!("unexpected parameter {other}"),
        })
        .collect();
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), &r.failing_query, values);
    db.query_all_raw(stmt)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", r.failing_query))
        .len()
}

async fn story(db: DatabaseConnection, kind: SourceKind, t: String, stations: String) {
    create(&db, kind, &t, &stations).await;
    let table = QualifiedTable {
        schema: None,
        name: t.clone(),
        columns: columns(),
    };
    let rules = rules(&t, &stations);
    for r in &rules {
        assert!(
            r.validate(&table.columns).is_empty(),
            "{}: {:?}",
            r.id,
            r.validate(&table.columns)
        );
    }
    let plan = compile(&table, &rules, kind, &options());
    assert_eq!(plan.aggregates.len(), 1);
    let result = execute(&db, &plan, 2).await;
    let by_id = |id: &str| result.rules.iter().find(|r| r.rule_id == id).unwrap();

    // (rule, checked, failing, status, rows listed by the failing-rows query)
    let expected: &[(&str, u64, u64, Status, Option<usize>)] = &[
        ("pm25_missing", 1000, 7, Status::Warn, Some(7)),
        ("contact_missing", 1000, 3, Status::Fail, Some(3)),
        ("pm25_range", 993, 3, Status::Fail, Some(3)),
        ("flag", 1000, 5, Status::Warn, Some(5)),
        ("outlet_shape", 1000, 6, Status::Fail, Some(6)),
        ("outlet_length", 1000, 2, Status::Pass, Some(2)),
        ("credit", 1000, 3, Status::Fail, Some(3)),
        // Two surplus rows; the query lists every row of the two duplicated keys.
        ("key", 1000, 2, Status::Fail, Some(4)),
        ("station_ref", 1000, 4, Status::Warn, Some(4)),
        ("fresh_day", 1, 0, Status::Pass, None),
        ("fresh_hour", 1, 1, Status::Fail, None),
        ("volume", 1, 1, Status::Fail, None),
        ("same_sum", 1, 0, Status::Pass, None),
        ("custom_high", 1000, 3, Status::Fail, Some(3)),
    ];
    for &(id, checked, failing, status, listed) in expected {
        let r = by_id(id);
        assert_eq!(
            (r.checked, r.failing, r.status),
            (checked, failing, status),
            "{kind:?} {id}: {r:#?}"
        );
        assert!(r.samples.len() <= 2, "{id}: {:?}", r.samples);
        if failing > 0 && listed.is_some() {
            assert_eq!(r.samples.len(), 2.min(listed.unwrap_or(0)), "{kind:?} {id}: {r:#?}");
        }
        if let Some(n) = listed {
            assert_eq!(count_rows(&db, r).await, n, "{kind:?} {id}: {}", r.failing_query);
        }
    }
    assert!(
        by_id("volume")
            .note
            .as_deref()
            .unwrap()
            .contains("窗口内 23 行，上一窗口 24 行"),
        "{:?}",
        by_id("volume").note
    );

    // Samples are masked by the fields' mask rules.
    let sample = &by_id("pm25_missing").samples[0];
    assert_eq!(sample["contact"], "180****1999", "{sample}");
    assert_eq!(sample["credit_code"], "91**************43", "{sample}");
    assert_eq!(sample["pm25"], serde_json::Value::Null);
    let custom = &by_id("custom_high").samples[0];
    assert_eq!(custom["contact"], "180****1999", "{custom}");
    let credit = &by_id("credit").samples[0];
    assert_eq!(credit["credit_code"], "91**************44", "{credit}");

    // Duplicates take their samples in the statement that counts them: the rows of the first
    // duplicated key (station 42010000 at 20:00, twice). Without samples, the count alone.
    let key = by_id("key");
    for sample in &key.samples {
        assert_eq!(sample["station_code"], "42010000", "{kind:?} {sample}");
        assert!(
            sample["observed_at"]
                .as_str()
                .unwrap()
                .starts_with("2026-01-01 20:00:00"),
            "{kind:?} {sample}"
        );
    }
    let unsampled = execute(&db, &plan, 0).await;
    for (with, without) in result.rules.iter().zip(&unsampled.rules) {
        assert_eq!(
            (without.checked, without.failing, without.status),
            (with.checked, with.failing, with.status),
            "{kind:?} {}",
            with.rule_id
        );
        assert!(without.samples.is_empty(), "{kind:?} {}", with.rule_id);
    }

    // Row passes page through the distinct values in keyset batches: tiny batches, same counts.
    let mut paged = compile(&table, &rules, kind, &options());
    for r in &mut paged.rules {
        if let super::compile::Evaluation::RowPass(pass) = &mut r.evaluation {
            pass.batch = 2;
        }
    }
    let again = execute(&db, &paged, 2).await;
    for id in ["credit", "outlet_shape"] {
        let before = by_id(id);
        let after = again.rules.iter().find(|r| r.rule_id == id).unwrap();
        assert_eq!(
            (after.checked, after.failing),
            (before.checked, before.failing),
            "{kind:?} {id}"
        );
        assert_eq!(after.failing_query, before.failing_query);
    }

    // A custom query refused when saved never reaches the database.
    let refused = vec![rule(
        "evil",
        RuleKind::CustomSql {
            sql: format!("DELETE FROM {t}"),
            params: BTreeMap::new(),
        },
        Threshold::Count(0),
        Threshold::Count(0),
    )];
    let result = execute(&db, &compile(&table, &refused, kind, &options()), 2).await;
    assert_eq!(result.rules[0].status, Status::Error);

    // Incremental: only rows newer than the watermark are inspected; timeliness still sees all.
    let mut opts = options();
    opts.watermark_column = Some("observed_at".into());
    opts.since = Some(Utc.from_utc_datetime(&(base() + Duration::hours(990))));
    let plan = compile(&table, &rules, kind, &opts);
    assert_eq!(plan.aggregates.len(), 2);
    let result = execute(&db, &plan, 2).await;
    let by_id = |id: &str| result.rules.iter().find(|r| r.rule_id == id).unwrap();
    assert_eq!(by_id("pm25_missing").checked, 9);
    assert_eq!(by_id("pm25_missing").status, Status::Pass);
    assert_eq!(by_id("credit").checked, 9);
    assert_eq!(by_id("key").failing, 0);
    assert_eq!(by_id("fresh_day").status, Status::Pass);
    assert_eq!(by_id("fresh_hour").status, Status::Fail);
    assert_eq!(
        result.watermark,
        Some(Utc.from_utc_datetime(&(base() + Duration::hours(999))))
    );

    // A broken rule errors alone; the others still report.
    let broken = vec![
        rule(
            "ok",
            RuleKind::Completeness { column: "pm25".into() },
            Threshold::Count(0),
            Threshold::Count(10),
        ),
        rule(
            "gone",
            RuleKind::Referential {
                column: "station_code".into(),
                target: TableRef {
                    schema: None,
                    name: format!("{stations}_missing"),
                },
                target_column: "code".into(),
            },
            Threshold::Count(0),
            Threshold::Count(0),
        ),
    ];
    let result = execute(&db, &compile(&table, &broken, kind, &options()), 2).await;
    assert_eq!(result.rules[0].failing, 7);
    assert_eq!(result.rules[1].status, Status::Error);
    assert!(result.rules[1].note.is_some());
}

async fn run_then_cleanup<F: Future<Output = ()>>(
    db: DatabaseConnection,
    kind: SourceKind,
    t: String,
    stations: String,
    cleanup: impl FnOnce() -> F,
) {
    let outcome = tokio::spawn(story(db, kind, t, stations)).await;
    cleanup().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test]
async fn sqlite_quality_end_to_end() {
    let path = std::env::temp_dir().join(format!("ecogov-quality-{}.db", suffix()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let (db, _) = connect(&url).await.unwrap();
    run_then_cleanup(
        db,
        SourceKind::Sqlite,
        "air_hourly".into(),
        "station".into(),
        || async move {
            let _ = std::fs::remove_file(&path);
        },
    )
    .await;
}

#[tokio::test]
async fn postgres_quality_end_to_end() {
    if external_disabled("PostgreSQL") {
        return;
    }
    let (admin, _) = connect("postgres://postgres@127.0.0.1:5432/postgres").await.unwrap();
    let name = format!("ecogov_quality_{}", suffix());
    exec(&admin, &format!("CREATE DATABASE {name}")).await;
    let (db, _) = connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
        .await
        .unwrap();
    let story_db = db.clone();
    run_then_cleanup(
        story_db,
        SourceKind::Postgres,
        "air_hourly".into(),
        "station".into(),
        || async move {
            let _ = db.close().await;
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        },
    )
    .await;
}

#[tokio::test]
async fn mariadb_quality_end_to_end() {
    if external_disabled("MariaDB") {
        return;
    }
    let (db, _) = connect("mysql://root@127.0.0.1:3306/test").await.unwrap();
    let s = suffix();
    let (t, stations) = (format!("air_hourly_{s}"), format!("station_{s}"));
    let cleanup_db = db.clone();
    let (ct, cs) = (t.clone(), stations.clone());
    run_then_cleanup(db, SourceKind::MySql, t, stations, || async move {
        for sql in [
            format!("DROP TABLE IF EXISTS {ct}"),
            format!("DROP TABLE IF EXISTS {cs}"),
        ] {
            let _ = cleanup_db.execute_unprepared(&sql).await;
        }
    })
    .await;
}

#[tokio::test]
async fn statement_time_limit_is_enforced() {
    if external_disabled("PostgreSQL") {
        return;
    }
    let (db, _) = connect("postgres://postgres@127.0.0.1:5432/postgres").await.unwrap();
    // pg_sleep is refused in custom rules; the limit is tested with a slow aggregate instead.
    let plan = super::compile::Plan {
        dialect: SourceKind::Postgres,
        aggregates: vec![super::compile::Query {
            sql: "SELECT COUNT(*) FROM generate_series(1, 200000000)".into(),
            values: vec![],
        }],
        watermark: None,
        rules: compile(
            &QualifiedTable {
                schema: None,
                name: "x".into(),
                columns: vec![],
            },
            &[rule(
                "rows",
                RuleKind::Completeness { column: "x".into() },
                Threshold::Count(0),
                Threshold::Count(0),
            )],
            SourceKind::Postgres,
            &options(),
        )
        .rules,
        sample_columns: vec![],
        source_tz: "UTC".into(),
    };
    let started = std::time::Instant::now();
    let result = super::run::execute_with_timeout(&db, &plan, 2, std::time::Duration::from_millis(300)).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(result.rules[0].status, Status::Error, "{:?}", result.rules[0]);
    let _ = db.close().await;
}

/// Timeliness on a `timestamptz` column: the cutoff is bound as Beijing wall time, and the
/// session runs in the source's zone, so an hour-old row is fresh and a three-hour-old one is
/// not (a session in UTC would shift the cutoff by eight hours).
#[tokio::test]
async fn postgres_timeliness_on_timestamptz_uses_the_source_zone() {
    if external_disabled("PostgreSQL") {
        return;
    }
    let (admin, _) = connect("postgres://postgres@127.0.0.1:5432/postgres").await.unwrap();
    let name = format!("ecogov_quality_tz_{}", suffix());
    exec(&admin, &format!("CREATE DATABASE {name}")).await;
    let (db, _) = connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
        .await
        .unwrap();
    exec(&db, "CREATE TABLE obs (observed_at timestamptz NOT NULL)").await;
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 3, 0, 0).unwrap();
    let table = QualifiedTable {
        schema: None,
        name: "obs".into(),
        columns: vec![ColumnInfo {
            name: "observed_at".into(),
            data_type: Some(DataType::DateTime),
            mask: None,
        }],
    };
    let rule = Rule {
        id: "fresh".into(),
        kind: RuleKind::Timeliness {
            column: "observed_at".into(),
            cycle: UpdateCycle::Hours(2),
        },
        severity: Severity::High,
        warn: Threshold::Count(0),
        fail: Threshold::Count(0),
    };
    let mut statuses = Vec::new();
    for age_hours in [1, 3] {
        exec(&db, "DELETE FROM obs").await;
        let at = (now - Duration::hours(age_hours)).format("%Y-%m-%d %H:%M:%S+00");
        exec(&db, &format!("INSERT INTO obs VALUES ('{at}')")).await;
        let plan = compile(
            &table,
            std::slice::from_ref(&rule),
            SourceKind::Postgres,
            &CompileOptions::full(now),
        );
        statuses.push(execute(&db, &plan, 5).await.rules[0].status);
    }
    let _ = db.close().await;
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
    assert_eq!(statuses, [Status::Pass, Status::Fail]);
}
