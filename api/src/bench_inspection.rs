//! `ecogov bench inspection`: the 12-check air-quality inspection on a generated hourly table
//! in PostgreSQL, next to the hand-written SQL a DBA would run for the same metrics (the floor).
//!
//! The table is generated in the server (`INSERT … SELECT generate_series`), deterministically:
//! 1,000 stations, one row per station and hour, and each defect on about 0.2–0.35 % of the
//! rows (nulls, out-of-range values, duplicate keys, malformed station codes, bad HJ 212 flags,
//! stations missing from the station table). Nothing but aggregates and samples enters this
//! process, so its peak RSS stays small whatever the row count.

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use ecogov_domain::catalog::introspect::SourceKind;
use ecogov_domain::catalog::model::DataType;
use ecogov_domain::quality::compile::{CompileOptions, QualifiedTable, compile};
use ecogov_domain::quality::rule::{ColumnInfo, Rule, RuleKind, Severity, TableRef, Threshold, UpdateCycle, Validity};
use ecogov_domain::quality::run::execute;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

const TABLE: &str = "air_hourly";
const STATIONS: &str = "stations";

/// Generation: row `i` (1-based) is station `i % 1000` at hour `i / 1000` from the base time.
fn generate_sql(rows: u64) -> String {
    format!(
        "INSERT INTO {TABLE} (station_code, observed_at, pm25, pm10, co, o3, flag)
         SELECT
           CASE WHEN i % 601 = 0 THEN lpad((i % 1000)::text, 4, '0') || 'a'
                ELSE lpad((i % 1000)::text, 4, '0') || 'A' END,
           TIMESTAMPTZ '2026-01-01 00:00:00+00'
             + make_interval(hours => (i / 1000)::int - CASE WHEN i % 397 = 0 AND i > 1000 THEN 1 ELSE 0 END),
           CASE WHEN i % 311 = 0 THEN NULL WHEN i % 433 = 0 THEN (CASE WHEN i % 2 = 0 THEN -1 ELSE 1500 END)
                ELSE ((i * 7) % 300) + 0.5 END,
           CASE WHEN i % 293 = 0 THEN NULL WHEN i % 457 = 0 THEN 2500 ELSE ((i * 11) % 500) + 1 END,
           CASE WHEN i % 509 = 0 THEN 60 ELSE (i % 40) / 10.0 END,
           CASE WHEN i % 521 = 0 THEN 1300 ELSE (i % 200) + 2 END,
           CASE WHEN i % 347 = 0 THEN 'X' ELSE 'N' END
         FROM generate_series(1::bigint, {rows}::bigint) AS g(i)"
    )
}

fn rules() -> Vec<Rule> {
    let any = |id: &str, kind: RuleKind| Rule {
        id: id.to_owned(),
        kind,
        severity: Severity::Medium,
        warn: Threshold::Count(0),
        fail: Threshold::Percent(1.0),
    };
    let range = |id: &str, col: &str, max: f64| {
        any(
            id,
            RuleKind::Validity {
                column: col.to_owned(),
                check: Validity::Range {
                    min: Some(0.0),
                    max: Some(max),
                },
            },
        )
    };
    vec![
        any(
            "freshness",
            RuleKind::Timeliness {
                column: "observed_at".into(),
                cycle: UpdateCycle::Hours(2),
            },
        ),
        any("pm25_null", RuleKind::Completeness { column: "pm25".into() }),
        any("pm10_null", RuleKind::Completeness { column: "pm10".into() }),
        range("pm25_range", "pm25", 1000.0),
        range("pm10_range", "pm10", 2000.0),
        range("co_range", "co", 50.0),
        range("o3_range", "o3", 1200.0),
        any(
            "duplicates",
            RuleKind::Uniqueness {
                columns: vec!["station_code".into(), "observed_at".into()],
            },
        ),
        any(
            "station_code_format",
            RuleKind::Validity {
                column: "station_code".into(),
                check: Validity::Regex {
                    pattern: "^[0-9]{4}A$".into(),
                },
            },
        ),
        any(
            "flag",
            RuleKind::Validity {
                column: "flag".into(),
                check: Validity::Hj212Flag,
            },
        ),
        any(
            "station_known",
            RuleKind::Referential {
                column: "station_code".into(),
                target: TableRef {
                    schema: None,
                    name: STATIONS.into(),
                },
                target_column: "code".into(),
            },
        ),
    ]
}

fn table() -> QualifiedTable {
    let col = |name: &str, t: DataType| ColumnInfo {
        name: name.to_owned(),
        data_type: Some(t),
        mask: None,
    };
    QualifiedTable {
        schema: None,
        name: TABLE.into(),
        columns: vec![
            col("station_code", DataType::String),
            col("observed_at", DataType::DateTime),
            col("pm25", DataType::Decimal),
            col("pm10", DataType::Decimal),
            col("co", DataType::Decimal),
            col("o3", DataType::Decimal),
            col("flag", DataType::String),
        ],
    }
}

/// The twelve metrics: row count, stale (0/1), then the failing counts of the other rules in
/// the order of [`rules`] after freshness.
type Metrics = Vec<(String, i64)>;

/// The floor: one aggregate pass joining the stations table, then one GROUP BY for duplicates.
async fn floor(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<Metrics> {
    let agg = format!(
        "SELECT count(*) AS n, max(a.observed_at) AS newest,
           count(*) FILTER (WHERE a.pm25 IS NULL) AS pm25_null,
           count(*) FILTER (WHERE a.pm10 IS NULL) AS pm10_null,
           count(*) FILTER (WHERE a.pm25 < 0 OR a.pm25 > 1000) AS pm25_range,
           count(*) FILTER (WHERE a.pm10 < 0 OR a.pm10 > 2000) AS pm10_range,
           count(*) FILTER (WHERE a.co < 0 OR a.co > 50) AS co_range,
           count(*) FILTER (WHERE a.o3 < 0 OR a.o3 > 1200) AS o3_range,
           count(*) FILTER (WHERE a.station_code !~ '^[0-9]{{4}}A$') AS station_code_format,
           count(*) FILTER (WHERE a.flag NOT IN ('N','F','M','S','D','C','T','B')) AS flag,
           count(*) FILTER (WHERE a.station_code IS NOT NULL AND s.code IS NULL) AS station_known
         FROM {TABLE} a LEFT JOIN {STATIONS} s ON s.code = a.station_code"
    );
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), agg))
        .await?
        .context("no aggregate row")?;
    let dup = format!(
        "SELECT coalesce(sum(c - 1), 0)::bigint AS surplus FROM
           (SELECT count(*) AS c FROM {TABLE} GROUP BY station_code, observed_at HAVING count(*) > 1) d"
    );
    let dups = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), dup))
        .await?
        .context("no duplicate row")?;
    let newest: DateTime<Utc> = row.try_get("", "newest")?;
    let stale = i64::from(newest < now - chrono::Duration::hours(2));
    let mut m: Metrics = vec![("rows".into(), row.try_get("", "n")?), ("freshness".into(), stale)];
    for k in [
        "pm25_null",
        "pm10_null",
        "pm25_range",
        "pm10_range",
        "co_range",
        "o3_range",
    ] {
        m.push((k.into(), row.try_get("", k)?));
    }
    m.push(("duplicates".into(), dups.try_get("", "surplus")?));
    for k in ["station_code_format", "flag", "station_known"] {
        m.push((k.into(), row.try_get("", k)?));
    }
    Ok(m)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs the benchmark on a scratch database of the server named by `database_url`.
pub async fn inspection(database_url: &str, rows: u64) -> anyhow::Result<String> {
    anyhow::ensure!(
        database_url.starts_with("postgres"),
        "bench inspection needs --database-url postgres://..."
    );
    let name = format!("ecogov_inspection_{}", std::process::id());
    let admin = Database::connect(database_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
        .await?;
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
    let base = database_url.rsplit_once('/').map_or(database_url, |(b, _)| b);
    let url = format!("{base}/{name}");
    let result = run(&url, rows).await;
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    let _ = admin.close().await;
    result
}

async fn run(url: &str, rows: u64) -> anyhow::Result<String> {
    let db = Database::connect(url).await?;
    let t0 = Instant::now();
    for sql in [
        format!(
            "CREATE TABLE {TABLE} (station_code varchar(8), observed_at timestamptz NOT NULL,
             pm25 numeric(7,1), pm10 numeric(7,1), co numeric(6,2), o3 numeric(7,1), flag varchar(2))"
        ),
        format!("CREATE TABLE {STATIONS} (code varchar(8) PRIMARY KEY, name text NOT NULL)"),
        // Stations 0000A..0996A are registered; 0997A..0999A are not (0.3 % of the rows).
        format!(
            "INSERT INTO {STATIONS} SELECT lpad(s::text, 4, '0') || 'A', '站点 ' || s FROM generate_series(0, 996) AS s"
        ),
        generate_sql(rows),
        format!("ANALYZE {TABLE}"),
        format!("ANALYZE {STATIONS}"),
    ] {
        db.execute_unprepared(&sql).await?;
    }
    let generate_s = t0.elapsed().as_secs_f64();
    // "Now" is one hour after the newest generated hour: the data is fresh.
    let hours = i64::try_from(rows / 1000).unwrap_or(0);
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .context("base time")?
        + chrono::Duration::hours(hours + 1);

    let rules = rules();
    let t = table();
    for r in &rules {
        r.check(&t.columns)
            .map_err(|e| anyhow::anyhow!("rule {}: {}", r.id, e.user_message()))?;
    }
    let t1 = Instant::now();
    let plan = compile(&t, &rules, SourceKind::Postgres, &CompileOptions::full(now));
    let result = execute(&db, &plan, 20).await;
    let ecogov_s = t1.elapsed().as_secs_f64();
    let samples: usize = result.rules.iter().map(|r| r.samples.len()).sum();
    if let Some(bad) = result
        .rules
        .iter()
        .find(|r| r.note.is_some() && r.failing == 0 && r.checked == 0)
    {
        anyhow::bail!("rule {} could not run: {:?}", bad.rule_id, bad.note);
    }
    // The timing counts only if every failing rule came with its failing-row samples.
    if let Some(bare) = result.rules.iter().find(|r| r.failing > 0 && r.samples.is_empty()) {
        anyhow::bail!("rule {} failed without samples: {:?}", bare.rule_id, bare.note);
    }

    let t2 = Instant::now();
    let expected = floor(&db, now).await?;
    let floor_s = t2.elapsed().as_secs_f64();
    let _ = db.close().await;

    let by_id = |id: &str| result.rules.iter().find(|r| r.rule_id == id);
    let mut ours: Metrics = vec![(
        "rows".into(),
        by_id("pm25_null").map_or(-1, |r| i64::try_from(r.checked).unwrap_or(-1)),
    )];
    for (id, _) in expected.iter().skip(1) {
        ours.push((
            id.clone(),
            by_id(id).map_or(-1, |r| i64::try_from(r.failing).unwrap_or(-1)),
        ));
    }
    let mismatches: Vec<String> = expected
        .iter()
        .zip(&ours)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, b)| format!("{}: sql={} ecogov={}", a.0, a.1, b.1))
        .collect();
    let metrics = expected
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(format!(
        "rows={rows} generate_s={generate_s:.1} aggregate_statements={} samples={samples}\nmetrics: {metrics}\n{}ecogov_s={ecogov_s:.3} floor_s={floor_s:.3} ratio={:.2} metrics_match={} peak_rss_mb={:.1}",
        plan.aggregates.len(),
        if mismatches.is_empty() {
            String::new()
        } else {
            format!("mismatches: {}\n", mismatches.join("; "))
        },
        ecogov_s / floor_s,
        mismatches.is_empty(),
        peak_rss_mb()
    ))
}
