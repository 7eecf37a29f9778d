//! Monthly reconciliation (月度专项对账): planted differences between a source system's table
//! and the data center's (SQLite files, and PostgreSQL and MariaDB when they run locally) are
//! found exactly; tolerances hold; tickets open once per month and record re-runs; an
//! unreachable source is a collection failure; the schedule runs the previous month once with
//! two worker processes; permissions and bad definitions are refused.

use std::sync::Arc;
use std::time::Duration;

use ecogov::app::{self, Parts};
use ecogov_domain::role::Role;
use ecogov_workers::WorkerSettings;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

use crate::{Options, TestApp, sh};

const CREATE: &str = "mutation($i:ReconciliationInput!, $e:Boolean! = true){ createReconciliation(input:$i, enabled:$e){ id code version enabled source { table keyColumns monthColumn } measures { name tolerance { absolute percent } } } }";
const RUN: &str = "mutation($id:ID!, $m:String!){ runReconciliation(id:$id, month:$m){ id month status scheduled attempts sourceKeys centerKeys commonKeys sourceOnly centerOnly mismatchedKeys sourceRows centerRows itemsTotal itemsStored error ticket { id kind recurrenceCount } } }";
const ITEMS: &str = "query($id:ID!, $c:ReconciliationCategory){ reconciliationRun(id:$id){ items(category:$c, first: 50){ edges { node { category key keyText metric sourceValue centerValue } } } } }";
const TICKETS: &str = "query($k:[TicketKind!]){ tickets(filter:{kinds:$k}){ edges { node { id title dedupKey recurrenceCount department { id } occurrences { detail } } } } }";

/// Which SQL flavour a planted table is written in.
#[derive(Clone, Copy, PartialEq)]
enum Flavour {
    Sqlite,
    Postgres,
    MariaDb,
}

/// Source rows: (enterprise, outlet, reported at (Beijing time), emission kg, flow m³).
const SOURCE_ROWS: &[(&str, &str, &str, f64, f64)] = &[
    // E1/O1: equal on both sides; the first row is on the month's first instant.
    ("E1", "O1", "2026-11-01 00:00:00", 10.0, 100.0),
    ("E1", "O1", "2026-11-15 10:00:00", 10.0, 100.0),
    ("E1", "O1", "2026-11-30 23:59:00", 10.0, 100.0),
    // A compound key: E1/O2 is another key than E1/O1.
    ("E1", "O2", "2026-11-03 08:00:00", 5.0, 50.0),
    // E2: three rows here, two in the center (same sums): the row count differs.
    ("E2", "O1", "2026-11-05 08:00:00", 10.0, 100.0),
    ("E2", "O1", "2026-11-06 08:00:00", 10.0, 100.0),
    ("E2", "O1", "2026-11-07 08:00:00", 10.0, 100.0),
    // E3: only in the source.
    ("E3", "O1", "2026-11-08 08:00:00", 10.0, 100.0),
    // E5: sums differ within the tolerances (0.3 kg, 0.5 %).
    ("E5", "O1", "2026-11-09 08:00:00", 10.0, 100.0),
    ("E5", "O1", "2026-11-10 08:00:00", 10.0, 100.0),
    // E6: sums differ beyond the tolerances (2 kg, 4.8 %).
    ("E6", "O1", "2026-11-11 08:00:00", 10.0, 100.0),
    ("E6", "O1", "2026-11-12 08:00:00", 10.0, 100.0),
    // Outside November: never counted.
    ("E7", "O1", "2026-10-31 23:30:00", 10.0, 100.0),
    ("E1", "O1", "2026-12-01 00:00:00", 10.0, 100.0),
];

/// Center rows.
const CENTER_ROWS: &[(&str, &str, &str, f64, f64)] = &[
    ("E1", "O1", "2026-11-01 00:00:00", 10.0, 100.0),
    ("E1", "O1", "2026-11-15 10:00:00", 10.0, 100.0),
    ("E1", "O1", "2026-11-30 23:59:00", 10.0, 100.0),
    ("E1", "O2", "2026-11-03 08:00:00", 5.0, 50.0),
    ("E2", "O1", "2026-11-05 08:00:00", 15.0, 150.0),
    ("E2", "O1", "2026-11-06 08:00:00", 15.0, 150.0),
    ("E4", "O1", "2026-11-08 08:00:00", 10.0, 100.0),
    ("E5", "O1", "2026-11-09 08:00:00", 10.0, 100.0),
    ("E5", "O1", "2026-11-10 08:00:00", 10.3, 101.0),
    ("E6", "O1", "2026-11-11 08:00:00", 10.0, 100.0),
    ("E6", "O1", "2026-11-12 08:00:00", 12.0, 110.0),
    ("E8", "O1", "2026-12-01 00:00:00", 10.0, 100.0),
    ("E9", "O1", "2026-10-31 23:59:59", 10.0, 100.0),
];

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Creates `table` with the source's (`center == false`) or the center's column names and rows.
async fn plant(db: &DatabaseConnection, flavour: Flavour, table: &str, center: bool) {
    let (cols, rows) = if center {
        (["qydm", "pkbh", "sbsj", "pfl", "ll"], CENTER_ROWS)
    } else {
        (
            ["enterprise", "outlet", "reported_at", "emission_kg", "flow"],
            SOURCE_ROWS,
        )
    };
    let (ts, num, float) = match flavour {
        Flavour::Sqlite => ("TIMESTAMP", "DECIMAL(10,2)", "REAL"),
        // The center's PostgreSQL column is a timestamptz: months are Beijing months.
        Flavour::Postgres => ("timestamptz", "numeric(10,2)", "double precision"),
        Flavour::MariaDb => ("datetime", "decimal(10,2)", "double"),
    };
    exec(
        db,
        &format!(
            "CREATE TABLE {table} ({} varchar(20), {} varchar(10), {} {ts}, {} {num}, {} {float})",
            cols[0], cols[1], cols[2], cols[3], cols[4]
        ),
    )
    .await;
    let zone = if flavour == Flavour::Postgres { "+08" } else { "" };
    let values: Vec<String> = rows
        .iter()
        .map(|(e, o, t, a, b)| format!("('{e}', '{o}', '{t}{zone}', {a}, {b})"))
        .collect();
    exec(db, &format!("INSERT INTO {table} VALUES {}", values.join(", "))).await;
}

/// A SQLite source file in the app's data directory with one planted table; returns its URL.
async fn sqlite_source(app: &TestApp, file: &str, table: &str, center: bool) -> String {
    let url = format!("sqlite://{}?mode=rwc", app.settings.data_dir.join(file).display());
    let db = Database::connect(&url).await.unwrap();
    plant(&db, Flavour::Sqlite, table, center).await;
    db.close().await.unwrap();
    url
}

async fn data_source(app: &TestApp, admin: &str, code: &str, url: &str) {
    app.ok(
        admin,
        "mutation($c:String!,$u:String!){ createDataSource(code:$c, name:$c, url:$u){ id } }",
        json!({"c": code, "u": url}),
    )
    .await;
}

/// The planted definition: compound keys, different column names on each side, 0.5 kg and 1 %.
fn definition(code: &str, source: &str, center: &str) -> Value {
    json!({
        "code": code, "name": "重点企业月度排放量对账", "domain": "ENTERPRISE",
        "source": {"table": source, "keyColumns": ["enterprise", "outlet"], "monthColumn": "reported_at"},
        "center": {"table": center, "keyColumns": ["qydm", "pkbh"], "monthColumn": "sbsj"},
        "measures": [
            {"name": "emission_kg", "sourceColumn": "emission_kg", "centerColumn": "pfl", "tolerance": {"absolute": 0.5}},
            {"name": "flow", "sourceColumn": "flow", "centerColumn": "ll", "tolerance": {"percent": 1.0}}
        ]
    })
}

/// The planted differences, and nothing else, in the order they are listed.
async fn assert_planted(app: &TestApp, token: &str, run: &Value) {
    assert_eq!(run["status"], "DONE", "{run}");
    let counts: Vec<i64> = [
        "sourceKeys",
        "centerKeys",
        "commonKeys",
        "sourceOnly",
        "centerOnly",
        "mismatchedKeys",
        "sourceRows",
        "centerRows",
        "itemsTotal",
        "itemsStored",
    ]
    .iter()
    .map(|k| run[*k].as_i64().unwrap())
    .collect();
    assert_eq!(counts, vec![6, 6, 5, 1, 1, 2, 12, 11, 5, 5], "{run}");
    let items = app.ok(token, ITEMS, json!({"id": run["id"]})).await["reconciliationRun"]["items"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            format!(
                "{} {} {} {}|{}",
                n["category"].as_str().unwrap(),
                n["keyText"].as_str().unwrap(),
                n["metric"].as_str().unwrap(),
                n["sourceValue"].as_str().unwrap_or("-"),
                n["centerValue"].as_str().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        items,
        vec![
            "SOURCE_ONLY E3 / O1 row_count 1|-",
            "CENTER_ONLY E4 / O1 row_count -|1",
            "VALUE_MISMATCH E2 / O1 row_count 3|2",
            "VALUE_MISMATCH E6 / O1 emission_kg 20|22",
            "VALUE_MISMATCH E6 / O1 flow 200|210",
        ]
    );
    let mismatches = app
        .ok(token, ITEMS, json!({"id": run["id"], "c": "VALUE_MISMATCH"}))
        .await["reconciliationRun"]["items"]["edges"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(mismatches, 3);
}

#[tokio::test]
async fn planted_differences_are_found_exactly_and_a_rerun_replaces_the_month() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let dept = app.department("WRYGL", "污染源管理处", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, Some(&dept)).await;
    let (_, opr) = app.user("opr", Role::Operator, Some(&dept)).await;
    let src = sqlite_source(&app, "pollution.db", "emissions", false).await;
    let dc = sqlite_source(&app, "center.db", "ods_emissions", true).await;
    data_source(&app, &admin, "pollution", &src).await;
    data_source(&app, &admin, "dc", &dc).await;

    let mut def = definition("EMISSION-MONTHLY", "pollution.emissions", "dc.ods_emissions");
    def["departmentId"] = json!(dept);
    let r = app.ok(&mgr, CREATE, json!({"i": def})).await["createReconciliation"].clone();
    assert_eq!(r["version"], 1);
    assert_eq!(r["enabled"], true);
    assert_eq!(r["source"]["keyColumns"], json!(["enterprise", "outlet"]));

    let run = app.ok(&opr, RUN, json!({"id": r["id"], "m": "2026-11"})).await["runReconciliation"].clone();
    assert_eq!(
        (run["attempts"].clone(), run["scheduled"].clone()),
        (json!(1), json!(false))
    );
    assert_planted(&app, &opr, &run).await;

    // One mismatch ticket for the month, in the responsible department, with the evidence.
    let t = &run["ticket"];
    assert_eq!(
        (t["kind"].clone(), t["recurrenceCount"].clone()),
        (json!("RECONCILIATION_MISMATCH"), json!(1))
    );
    let tickets = app.ok(&mgr, TICKETS, json!({"k": ["RECONCILIATION_MISMATCH"]})).await["tickets"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(tickets.len(), 1);
    let ticket = &tickets[0]["node"];
    assert_eq!(ticket["dedupKey"], "recon:EMISSION-MONTHLY:2026-11");
    assert_eq!(ticket["department"]["id"], json!(dept));
    let detail = &ticket["occurrences"][0]["detail"];
    assert_eq!(detail["counts"]["source_only"], 1);
    assert_eq!(detail["items"].as_array().unwrap().len(), 5);
    assert_eq!(detail["items"][0]["key"], json!(["E3", "O1"]));

    // A re-run of the month replaces the record (same id, one more attempt) and adds an
    // occurrence to the open ticket instead of opening another.
    let again = app.ok(&mgr, RUN, json!({"id": r["id"], "m": "2026-11"})).await["runReconciliation"].clone();
    assert_eq!(again["id"], run["id"]);
    assert_eq!(again["attempts"], 2);
    assert_eq!(again["ticket"]["id"], t["id"]);
    assert_eq!(again["ticket"]["recurrenceCount"], 2);
    assert_planted(&app, &mgr, &again).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reconciliation_items").await,
        5,
        "the earlier items are replaced"
    );
    let tickets = app.ok(&mgr, TICKETS, json!({"k": ["RECONCILIATION_MISMATCH"]})).await;
    assert_eq!(tickets["tickets"]["edges"].as_array().unwrap().len(), 1);

    // October holds the two rows just before November: E7 in the source, E9 in the center.
    // Its own record and its own ticket.
    let oct = app.ok(&opr, RUN, json!({"id": r["id"], "m": "2026-10"})).await["runReconciliation"].clone();
    assert_eq!(
        (
            oct["sourceOnly"].clone(),
            oct["centerOnly"].clone(),
            oct["sourceRows"].clone(),
            oct["centerRows"].clone()
        ),
        (json!(1), json!(1), json!(1), json!(1)),
        "{oct}"
    );
    assert_ne!(oct["ticket"]["id"], t["id"]);

    // Tighter tolerances flag E5 too; a stale version is refused.
    let mut strict = definition("EMISSION-MONTHLY", "pollution.emissions", "dc.ods_emissions");
    strict["measures"][0]["tolerance"] = json!({"absolute": 0.1});
    let update = "mutation($id:ID!,$v:Int!,$i:ReconciliationInput!){ updateReconciliation(id:$id, expectedVersion:$v, input:$i){ version } }";
    assert_eq!(
        app.ok(&mgr, update, json!({"id": r["id"], "v": 1, "i": strict})).await["updateReconciliation"]["version"],
        2
    );
    assert_eq!(
        app.err(Some(&mgr), update, json!({"id": r["id"], "v": 1, "i": strict}))
            .await,
        "version_conflict"
    );
    let strict_run = app.ok(&opr, RUN, json!({"id": r["id"], "m": "2026-11"})).await["runReconciliation"].clone();
    assert_eq!(strict_run["mismatchedKeys"], 3);
    let version = "query($id:ID!){ reconciliationRun(id:$id){ definitionVersion attempts } }";
    assert_eq!(
        app.ok(&mgr, version, json!({"id": strict_run["id"]})).await["reconciliationRun"],
        json!({"definitionVersion": 2, "attempts": 3})
    );

    // Runs are listed for the monthly report, newest month first.
    let runs = app
        .ok(
            &mgr,
            "query($r:ID){ reconciliationRuns(reconciliationId:$r){ edges { node { month status } } } }",
            json!({"r": r["id"]}),
        )
        .await;
    let months: Vec<&str> = runs["reconciliationRuns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, vec!["2026-11", "2026-10"]);
    // Every change and run is audited.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE subject_type = 'reconciliation'")
            .await,
        6,
        "create, update and four runs"
    );
    app.stop().await;
}

fn external_disabled(what: &str) -> bool {
    let off = std::env::var("ECOGOV_NO_EXTERNAL_DB").is_ok_and(|v| v == "1");
    if off {
        println!("ECOGOV_NO_EXTERNAL_DB=1: skipping the {what} test");
    }
    off
}

#[tokio::test]
async fn a_mariadb_source_against_a_postgres_center_finds_the_same_differences() {
    if external_disabled("MariaDB/PostgreSQL reconciliation") {
        return;
    }
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();

    let pg_admin = Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    let pg_name = format!("recon_dc_{suffix}");
    exec(&pg_admin, &format!("CREATE DATABASE {pg_name}")).await;
    let pg_url = format!("postgres://postgres@127.0.0.1:5432/{pg_name}");
    let pg = Database::connect(&pg_url).await.unwrap();
    exec(&pg, "CREATE SCHEMA ods").await;
    plant(&pg, Flavour::Postgres, "ods.emissions", true).await;
    pg.close().await.unwrap();

    let maria = Database::connect("mysql://root@127.0.0.1:3306/test").await.unwrap();
    let maria_table = format!("emissions_{suffix}");
    plant(&maria, Flavour::MariaDb, &maria_table, false).await;

    data_source(&app, &admin, "pollution", "mysql://root@127.0.0.1:3306/test").await;
    data_source(&app, &admin, "dc", &pg_url).await;
    // The center keeps UTC: its timestamptz rows are still counted in Beijing's November.
    let dc_id = app.ok(&admin, "{ dataSources { id code } }", json!({})).await["dataSources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "dc")
        .unwrap()["id"]
        .clone();
    app.ok(
        &admin,
        "mutation($id:ID!){ setDataSourceTimeZone(id:$id, timeZone:\"UTC\"){ id } }",
        json!({"id": dc_id}),
    )
    .await;
    let def = definition("EMISSION-X", &format!("pollution.{maria_table}"), "dc.ods.emissions");
    let r = app.ok(&mgr, CREATE, json!({"i": def})).await["createReconciliation"].clone();
    let run = app.gql(Some(&mgr), RUN, json!({"id": r["id"], "m": "2026-11"})).await;
    // The sources are dropped before asserting: the record lives in the app's database.
    let _ = maria
        .execute_unprepared(&format!("DROP TABLE IF EXISTS {maria_table}"))
        .await;
    let _ = maria.close().await;
    let _ = pg_admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))
        .await;
    assert!(run.get("errors").is_none(), "{run}");
    assert_planted(&app, &mgr, &run["data"]["runReconciliation"]).await;
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_source_records_an_error_run_and_a_collection_failure_ticket() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    let dc = sqlite_source(&app, "center.db", "ods_emissions", true).await;
    data_source(&app, &admin, "pollution", "mysql://etl:pw@127.0.0.1:1/pollution").await;
    data_source(&app, &admin, "dc", &dc).await;
    let def = definition("EMISSION-DOWN", "pollution.emissions", "dc.ods_emissions");
    let r = app.ok(&mgr, CREATE, json!({"i": def})).await["createReconciliation"].clone();
    let run = app.ok(&mgr, RUN, json!({"id": r["id"], "m": "2026-11"})).await["runReconciliation"].clone();
    assert_eq!(run["status"], "ERROR");
    assert!(run["error"].as_str().unwrap().contains("不可达"), "{run}");
    assert_eq!(run["ticket"]["kind"], "COLLECTION_FAILURE");
    assert_eq!(
        (run["sourceKeys"].clone(), run["itemsTotal"].clone()),
        (json!(0), json!(0))
    );
    let again = app.ok(&mgr, RUN, json!({"id": r["id"], "m": "2026-11"})).await["runReconciliation"].clone();
    assert_eq!(again["ticket"]["id"], run["ticket"]["id"]);
    assert_eq!(again["ticket"]["recurrenceCount"], 2);
    let kinds = app
        .ok(
            &mgr,
            TICKETS,
            json!({"k": ["COLLECTION_FAILURE", "RECONCILIATION_MISMATCH"]}),
        )
        .await;
    let edges = kinds["tickets"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "no mismatch ticket for a month that was not compared");
    assert_eq!(edges[0]["node"]["dedupKey"], "unreachable:pollution");
    assert_eq!(edges[0]["node"]["occurrences"][0]["detail"]["month"], "2026-11");
    app.stop().await;
}

async fn runs_of(app: &TestApp, token: &str) -> Vec<(String, String, i64)> {
    let v = app
        .ok(
            token,
            "{ reconciliationRuns(first: 50){ edges { node { month status attempts scheduled reconciliation { code } } } } }",
            json!({}),
        )
        .await;
    v["reconciliationRuns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            assert_eq!(n["scheduled"], true);
            (
                n["reconciliation"]["code"].as_str().unwrap().to_owned(),
                format!("{} {}", n["month"].as_str().unwrap(), n["status"].as_str().unwrap()),
                n["attempts"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn eventually<F, Fut>(mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition not reached within 20 s");
}

#[tokio::test]
async fn the_schedule_runs_the_previous_month_once_across_two_worker_processes() {
    // 2026-11-20 in Wuhan: October is over, November is not.
    let app = TestApp::spawn_with(Options {
        start: sh(2026, 11, 20, 9, 0),
        ..Default::default()
    })
    .await;
    let second = app::start(
        &app.settings,
        Arc::new(app.clock.clone()),
        Parts::WorkersOnly,
        WorkerSettings {
            scan_every: Duration::from_secs(1),
            relay_every: Duration::from_millis(200),
            checkpoint_every: Duration::from_secs(3600),
            email_concurrency: 1,
            drift_every: Duration::from_secs(3600),
        },
    )
    .await
    .unwrap();
    let admin = app.admin().await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    let src = sqlite_source(&app, "pollution.db", "emissions", false).await;
    let dc = sqlite_source(&app, "center.db", "ods_emissions", true).await;
    data_source(&app, &admin, "pollution", &src).await;
    data_source(&app, &admin, "dc", &dc).await;
    let def = definition("EMISSION-SCHED", "pollution.emissions", "dc.ods_emissions");
    app.ok(&mgr, CREATE, json!({"i": def})).await;
    let off = definition("EMISSION-OFF", "pollution.emissions", "dc.ods_emissions");
    app.ok(&mgr, CREATE, json!({"i": off, "e": false})).await;

    // October runs at once (the only month that is over); the disabled one never runs.
    eventually(|| async { runs_of(&app, &mgr).await.iter().any(|r| r.1 == "2026-10 DONE") }).await;
    // The last minutes of November: still nothing for November.
    app.clock.set(sh(2026, 11, 30, 23, 50));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        runs_of(&app, &mgr).await,
        vec![("EMISSION-SCHED".to_owned(), "2026-10 DONE".to_owned(), 1)]
    );
    // From 1 December (Beijing time), November is run once, by one of the two processes.
    app.clock.set(sh(2026, 12, 1, 0, 5));
    eventually(|| async { runs_of(&app, &mgr).await.iter().any(|r| r.1 == "2026-11 DONE") }).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        runs_of(&app, &mgr).await,
        vec![
            ("EMISSION-SCHED".to_owned(), "2026-11 DONE".to_owned(), 1),
            ("EMISSION-SCHED".to_owned(), "2026-10 DONE".to_owned(), 1),
        ]
    );
    // One ticket per month (both months have differences), each reported once.
    let tickets = app.ok(&mgr, TICKETS, json!({"k": ["RECONCILIATION_MISMATCH"]})).await;
    let mut seen: Vec<(String, i64)> = tickets["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["dedupKey"].as_str().unwrap().to_owned(),
                e["node"]["recurrenceCount"].as_i64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("recon:EMISSION-SCHED:2026-10".to_owned(), 1),
            ("recon:EMISSION-SCHED:2026-11".to_owned(), 1)
        ]
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'reconciliation.run'")
            .await,
        2
    );
    second.stop().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn permissions_are_enforced_and_bad_definitions_change_nothing() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let ext = app.department("EXT", "市城市运行管理中心", true).await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    let (_, opr) = app.user("opr", Role::Operator, None).await;
    let (_, aud) = app.user("aud", Role::Auditor, None).await;
    let (_, dep) = app.user("dep", Role::Department, Some(&ext)).await;
    let src = sqlite_source(&app, "pollution.db", "emissions", false).await;
    let dc = sqlite_source(&app, "center.db", "ods_emissions", true).await;
    data_source(&app, &admin, "pollution", &src).await;
    data_source(&app, &admin, "dc", &dc).await;
    let good = definition("EMISSION-P", "pollution.emissions", "dc.ods_emissions");

    // Bad definitions: a stable code, the field, and nothing written.
    let bad: Vec<(&str, Value)> = vec![
        (
            "source.table",
            json!({"source": {"table": "nosuch.emissions", "keyColumns": ["enterprise", "outlet"], "monthColumn": "reported_at"}}),
        ),
        (
            "source.table",
            json!({"source": {"table": "emissions", "keyColumns": ["enterprise", "outlet"], "monthColumn": "reported_at"}}),
        ),
        (
            "source.table",
            json!({"source": {"table": "pollution.emissions; DROP TABLE x", "keyColumns": ["enterprise", "outlet"], "monthColumn": "reported_at"}}),
        ),
        (
            "source.keys",
            json!({"source": {"table": "pollution.emissions", "keyColumns": [], "monthColumn": "reported_at"}}),
        ),
        (
            "center.keys[0]",
            json!({"center": {"table": "dc.ods_emissions", "keyColumns": ["qydm\"--", "pkbh"], "monthColumn": "sbsj"}}),
        ),
        (
            "center.keys",
            json!({"center": {"table": "dc.ods_emissions", "keyColumns": ["qydm"], "monthColumn": "sbsj"}}),
        ),
        (
            "center.monthColumn",
            json!({"center": {"table": "dc.ods_emissions", "keyColumns": ["qydm", "pkbh"], "monthColumn": ""}}),
        ),
        (
            "measures[0].name",
            json!({"measures": [{"name": "row_count", "sourceColumn": "flow", "centerColumn": "ll"}]}),
        ),
        (
            "measures[0].tolerance.percent",
            json!({"measures": [{"name": "flow", "sourceColumn": "flow", "centerColumn": "ll", "tolerance": {"percent": -5}}]}),
        ),
        ("countTolerance.absolute", json!({"countTolerance": {"absolute": -1}})),
        ("code", json!({"code": "坏 code"})),
        ("name", json!({"name": " "})),
        ("departmentId", json!({"departmentId": "999999"})),
    ];
    for (field, change) in bad {
        let mut input = good.clone();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let r = app.gql(Some(&mgr), CREATE, json!({"i": input})).await;
        let ext = &r["errors"][0]["extensions"];
        assert_eq!(ext["code"], "invalid_input", "{field}: {r}");
        assert_eq!(ext["field"], field, "{r}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reconciliations").await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE subject_type = 'reconciliation'")
            .await,
        0
    );

    // Who may do what.
    for token in [&opr, &aud, &dep, &admin] {
        assert_eq!(app.err(Some(token), CREATE, json!({"i": good})).await, "forbidden");
    }
    let r = app.ok(&mgr, CREATE, json!({"i": good})).await["createReconciliation"].clone();
    assert_eq!(app.err(Some(&mgr), CREATE, json!({"i": good})).await, "duplicate");
    let list = "{ reconciliations { edges { node { code latestRun { month } } } } }";
    for token in [&mgr, &opr, &aud, &admin] {
        assert_eq!(
            app.ok(token, list, json!({})).await["reconciliations"]["edges"][0]["node"]["code"],
            "EMISSION-P"
        );
    }
    assert_eq!(app.err(Some(&dep), list, json!({})).await, "forbidden");
    for token in [&aud, &dep, &admin] {
        assert_eq!(
            app.err(Some(token), RUN, json!({"id": r["id"], "m": "2026-11"})).await,
            "forbidden"
        );
    }
    let enable = "mutation($id:ID!,$e:Boolean!,$v:Int!){ setReconciliationEnabled(id:$id, enabled:$e, expectedVersion:$v){ enabled version } }";
    assert_eq!(
        app.err(Some(&opr), enable, json!({"id": r["id"], "e": false, "v": 1}))
            .await,
        "forbidden"
    );
    let off =
        app.ok(&mgr, enable, json!({"id": r["id"], "e": false, "v": 1})).await["setReconciliationEnabled"].clone();
    assert_eq!(off, json!({"enabled": false, "version": 2}));
    assert_eq!(
        app.err(Some(&mgr), enable, json!({"id": r["id"], "e": true, "v": 1}))
            .await,
        "version_conflict"
    );
    // The code is fixed: it names the tickets.
    let mut renamed = good.clone();
    renamed["code"] = json!("EMISSION-Q");
    let update = "mutation($id:ID!,$v:Int!,$i:ReconciliationInput!){ updateReconciliation(id:$id, expectedVersion:$v, input:$i){ version } }";
    assert_eq!(
        app.err(Some(&mgr), update, json!({"id": r["id"], "v": 2, "i": renamed}))
            .await,
        "invalid_input"
    );
    // Only months that are over (it is 7 December 2026), written YYYY-MM.
    for month in ["2026-12", "2027-01", "2026-13", "11/2026"] {
        assert_eq!(
            app.err(Some(&opr), RUN, json!({"id": r["id"], "m": month})).await,
            "invalid_input",
            "{month}"
        );
    }
    // A disabled reconciliation can still be run by hand (trying it before enabling it).
    let run = app.ok(&opr, RUN, json!({"id": r["id"], "m": "2026-11"})).await["runReconciliation"].clone();
    assert_eq!(run["status"], "DONE");
    // The run shows no ticket to those who may not see tickets.
    let read = "query($id:ID!){ reconciliationRun(id:$id){ mismatchedKeys ticket { id } } }";
    let by_admin = app.ok(&admin, read, json!({"id": run["id"]})).await["reconciliationRun"].clone();
    assert_eq!(by_admin, json!({"mismatchedKeys": 2, "ticket": null}));
    assert_eq!(app.err(Some(&dep), read, json!({"id": run["id"]})).await, "forbidden");
    app.stop().await;
}
