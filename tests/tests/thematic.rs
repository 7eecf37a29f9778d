//! Thematic data checks through the API: meteorological QC over generated hourly observations
//! with every kind of planted defect stored in a real source table (each found with the right
//! flag and reason, nothing else flagged), thresholds edited as data (audited, versioned,
//! changing results), tickets by station deduplicated on re-run, the air-quality 口径不一致
//! check across the HJ 633-2012/2026 switch with the standard's breakpoints, the AQI
//! calculator, refused mappings and configurations, and an unreachable source.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use ecogov_domain::met::synthetic::{self, Synthetic};
use ecogov_domain::met::{Check, Element, UtcHour};
use ecogov_domain::role::Role;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::{Options, TestApp};

const TICKETS: &str = "query($k:[TicketKind!]){ tickets(filter:{kinds:$k}, first: 100){ edges { node { id title dedupKey recurrenceCount description department { id name } } } } }";
const CREATE_MET: &str = "mutation($i:ThematicCheckInput!,$m:MetQcMappingInput!,$c:JSON){ createMetQcCheck(input:$i, mapping:$m, config:$c){ id code kind version boundTable metConfig metMapping { station time temperature } } }";
const SET_CONFIG: &str = "mutation($id:ID!,$v:Int!,$c:JSON!){ setMetQcConfig(id:$id, expectedVersion:$v, config:$c){ id version metConfig } }";
const RUN_MET: &str = "mutation($id:ID!,$f:String!,$t:String!){ runMetQc(id:$id, from:$f, to:$t){ id status records stations suspect wrong missing notChecked flagsStored daysTotal findings tickets note checkVersion } }";
const FLAGS: &str = "query($id:ID!,$a:String){ thematicRun(id:$id){ flags(first: 200, after:$a){ pageInfo { hasNextPage endCursor } edges { node { station observedAt element elementName value flag reason reasonZh } } } } }";
const DAYS: &str = "query($id:ID!,$a:String){ thematicRun(id:$id){ days(first: 200, after:$a){ pageInfo { hasNextPage endCursor } edges { node { station date expectedHours presentHours missingHours suspect wrong missing } } } } }";
const CREATE_AIR: &str = "mutation($i:ThematicCheckInput!,$m:AirCheckMappingInput!){ createAirCheck(input:$i, mapping:$m){ id code kind version airMapping { station aqi primary } } }";
const RUN_AIR: &str = "mutation($id:ID!,$f:String!,$t:String!){ runAirCheck(id:$id, from:$f, to:$t){ id status records stations consistent inconsistent unverifiable findings tickets note airResults(first: 100){ edges { node { station observedAt standard status reportedAqi reportedPrimary computedAqi computedPrimary reason } } } } }";

/// An app without in-process workers: the runs here are by hand, and no background scan adds
/// occurrences to the tickets counted.
async fn spawn() -> TestApp {
    TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await
}

fn sqlite_url(app: &TestApp, name: &str) -> String {
    let path = app.settings.data_dir.join(format!("{name}.db"));
    format!("sqlite://{}?mode=rwc", path.display())
}

async fn data_source(app: &TestApp, admin: &str, code: &str, url: &str) {
    app.ok(
        admin,
        "mutation($c:String!,$u:String!){ createDataSource(code:$c, name:$c, url:$u){ id } }",
        json!({"c": code, "u": url}),
    )
    .await;
}

async fn resource(app: &TestApp, token: &str, code: &str, table: &str, fields: &[(&str, &str, &str)]) -> String {
    let fields: Vec<Value> = fields
        .iter()
        .map(|(n, cn, t)| json!({"name": n, "cnName": cn, "dataType": t, "nullable": true}))
        .collect();
    let input = json!({
        "code": code, "name": format!("{code} 数据"), "classification": ["1", "02"], "providerDepartment": "MET",
        "shareType": "无条件共享", "openType": "不予开放", "updateCycle": "每小时", "tables": [table],
        "fields": fields,
    });
    app.ok(
        token,
        "mutation($i:CatalogResourceInput!){ createCatalogResource(input:$i){ id } }",
        json!({"i": input}),
    )
    .await["createCatalogResource"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

const MET_FIELDS: &[(&str, &str, &str)] = &[
    ("station_id", "站号", "string"),
    ("observed_at", "观测时间", "datetime"),
    ("t", "气温", "decimal"),
    ("td", "露点温度", "decimal"),
    ("rh", "相对湿度", "decimal"),
    ("p", "气压", "decimal"),
    ("ws", "风速", "decimal"),
    ("wd", "风向", "decimal"),
    ("rain", "降水量", "decimal"),
];

fn met_mapping() -> Value {
    json!({
        "station": "station_id", "time": "observed_at", "timeZone": "Asia/Shanghai",
        "temperature": "t", "dewPoint": "td", "relativeHumidity": "rh", "pressure": "p",
        "windSpeed": "ws", "windDirection": "wd", "precipitation": "rain",
    })
}

fn local(h: UtcHour) -> String {
    (h.start() + Duration::hours(8)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Writes the generated observations into `met_obs` of a SQLite database (Beijing time).
async fn plant_met(url: &str, data: &Synthetic) {
    let db = Database::connect(url).await.unwrap();
    db.execute_unprepared(
        "CREATE TABLE met_obs (station_id VARCHAR(16), observed_at TIMESTAMP, t REAL, td REAL, rh REAL, p REAL, ws REAL, wd REAL, rain REAL)",
    )
    .await
    .unwrap();
    let mut rows = Vec::new();
    for s in &data.series {
        for o in s.observations() {
            let v: Vec<String> = Element::ALL
                .iter()
                .map(|&e| o.values.get(e).map_or("NULL".to_owned(), |x| x.to_string()))
                .collect();
            rows.push(format!("('{}', '{}', {})", s.station(), local(o.hour), v.join(", ")));
        }
    }
    for chunk in rows.chunks(300) {
        db.execute_unprepared(&format!("INSERT INTO met_obs VALUES {}", chunk.join(", ")))
            .await
            .unwrap();
    }
    db.close().await.unwrap();
}

type FlagKey = (String, i64, String, i64, String);

fn planted_flags(data: &Synthetic, without_extremes: bool) -> BTreeSet<FlagKey> {
    data.planted
        .iter()
        .map(|p| {
            // Without the station's extremes the planted 1050 hPa is still a 38 hPa jump.
            let check = if without_extremes && p.check == Check::StationExtreme {
                Check::Step
            } else {
                p.check
            };
            (
                p.station.to_string(),
                p.hour.0,
                p.element.code().to_owned(),
                i64::from(p.flag.code()),
                check.code().to_owned(),
            )
        })
        .collect()
}

async fn all_pages(app: &TestApp, token: &str, query: &str, run: &str, field: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.ok(token, query, json!({"id": run, "a": after})).await["thematicRun"][field].clone();
        out.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()));
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn stored_flags(app: &TestApp, token: &str, run: &str) -> BTreeSet<FlagKey> {
    all_pages(app, token, FLAGS, run, "flags")
        .await
        .iter()
        .map(|f| {
            let at: DateTime<Utc> = f["observedAt"].as_str().unwrap().parse().unwrap();
            assert!(!f["reasonZh"].as_str().unwrap().is_empty(), "{f}");
            (
                f["station"].as_str().unwrap().to_owned(),
                UtcHour::containing(at).0,
                f["element"].as_str().unwrap().to_owned(),
                f["flag"].as_i64().unwrap(),
                f["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn tickets(app: &TestApp, token: &str) -> Vec<Value> {
    app.ok(token, TICKETS, json!({"k": ["QUALITY_ISSUE"]})).await["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

struct Setup {
    mgr: String,
    resource: String,
}

async fn setup(app: &TestApp, source: &str, url: &str, table: &str, fields: &[(&str, &str, &str)]) -> Setup {
    let admin = app.admin().await;
    app.department("MET", "气象与大气处", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    let (_, op) = app.user("opr", Role::Operator, None).await;
    data_source(app, &admin, source, url).await;
    let resource = resource(app, &op, "WH-THEMATIC", &format!("{source}.{table}"), fields).await;
    Setup { mgr, resource }
}

#[tokio::test]
async fn met_qc_finds_every_planted_defect_and_nothing_else_with_thresholds_as_data() {
    let app = spawn().await;
    // Two stations over 28 days: every defect kind of the generator at least once.
    let data = synthetic::generate(2, 28, 7);
    let url = sqlite_url(&app, "met");
    plant_met(&url, &data).await;
    let s = setup(&app, "metdb", &url, "met_obs", MET_FIELDS).await;
    let input = json!({"code": "WH-MET-QC", "name": "武汉自动站小时数据质控", "resourceId": s.resource});
    let def = app
        .ok(&s.mgr, CREATE_MET, json!({"i": input, "m": met_mapping(), "c": null}))
        .await["createMetQcCheck"]
        .clone();
    assert_eq!(def["kind"], "MET_QC");
    assert_eq!(def["boundTable"], "metdb.met_obs");
    assert_eq!(
        def["metConfig"]["step"]["temperature"]["suspect"], 5.0,
        "engine defaults"
    );
    let id = def["id"].as_str().unwrap().to_owned();

    // Default thresholds: no station extremes yet.
    let run = app
        .ok(&s.mgr, RUN_MET, json!({"id": id, "f": "2026-01-01", "t": "2026-01-28"}))
        .await["runMetQc"]
        .clone();
    assert_eq!(run["status"], "DONE", "{run}");
    assert_eq!(run["records"], data.observations() as i64);
    assert_eq!(run["stations"], 2);
    assert_eq!(run["daysTotal"], 56);
    assert_eq!(run["notChecked"], 0);
    assert!(run["note"].is_null(), "{run}");
    let run_id = run["id"].as_str().unwrap().to_owned();
    let found = stored_flags(&app, &s.mgr, &run_id).await;
    let want = planted_flags(&data, true);
    assert_eq!(
        found.difference(&want).collect::<Vec<_>>(),
        Vec::<&FlagKey>::new(),
        "nothing else is flagged"
    );
    assert_eq!(
        want.difference(&found).collect::<Vec<_>>(),
        Vec::<&FlagKey>::new(),
        "every defect is found"
    );
    assert_eq!(run["flagsStored"], want.len() as i64);
    let kinds: BTreeSet<&str> = found.iter().map(|f| f.4.as_str()).collect();
    for k in [
        "climate_limit",
        "persistence",
        "step",
        "dew_point_above_temperature",
        "humidity_inconsistent",
        "calm_wind_direction",
        "missing",
    ] {
        assert!(kinds.contains(k), "planted {k} found");
    }

    // Completeness: each day's absent hours are the removed ones.
    let mut removed: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (station, hours) in &data.removed_hours {
        for h in hours {
            let date = UtcHour::date_of_day_number(h.day_number(8)).to_string();
            *removed.entry((station.to_string(), date)).or_default() += 1;
        }
    }
    assert!(!removed.is_empty());
    let days = all_pages(&app, &s.mgr, DAYS, &run_id, "days").await;
    assert_eq!(days.len(), 56);
    for d in &days {
        let key = (
            d["station"].as_str().unwrap().to_owned(),
            d["date"].as_str().unwrap().to_owned(),
        );
        let gone = removed.get(&key).copied().unwrap_or(0);
        assert_eq!(d["missingHours"], gone, "{d}");
        assert_eq!(d["presentHours"], 24 - gone, "{d}");
    }

    // One ticket per station, to the provider department, deduplicated on re-run.
    let t = tickets(&app, &s.mgr).await;
    let keys: BTreeSet<&str> = t.iter().map(|t| t["dedupKey"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["metqc:WH-THEMATIC:S58000", "metqc:WH-THEMATIC:S58001"])
    );
    assert!(
        t.iter()
            .all(|t| t["department"]["name"] == "气象与大气处" && t["recurrenceCount"] == 1)
    );
    assert!(t[0]["description"].as_str().unwrap().contains("站点"), "{}", t[0]);
    assert_eq!(run["tickets"], 2);

    // Thresholds are data: the stations' extremes turn the 1050 hPa jump into an extreme.
    let config = serde_json::to_value(&data.config).unwrap();
    let bad = json!({"climate_limits": {"temperature": {"min": 10.0, "max": -10.0}}});
    let r = app
        .gql(Some(&s.mgr), SET_CONFIG, json!({"id": id, "v": 1, "c": bad}))
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_input", "{r}");
    assert!(
        r["errors"][0]["message"].as_str().unwrap().contains("气候学界限值"),
        "{r}"
    );
    assert_eq!(
        app.err(Some(&s.mgr), SET_CONFIG, json!({"id": id, "v": 7, "c": config}))
            .await,
        "version_conflict"
    );
    let updated = app.ok(&s.mgr, SET_CONFIG, json!({"id": id, "v": 1, "c": config})).await["setMetQcConfig"].clone();
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["metConfig"]["stations"]["S58000"]["extremes"]["pressure"]["max"],
        1045.0
    );
    let run2 = app
        .ok(&s.mgr, RUN_MET, json!({"id": id, "f": "2026-01-01", "t": "2026-01-28"}))
        .await["runMetQc"]
        .clone();
    assert_eq!(run2["checkVersion"], 2);
    let found2 = stored_flags(&app, &s.mgr, run2["id"].as_str().unwrap()).await;
    assert_eq!(found2, planted_flags(&data, false));
    assert!(found2.iter().any(|f| f.4 == "station_extreme"));
    let t2 = tickets(&app, &s.mgr).await;
    assert_eq!(t2.len(), 2, "re-run adds occurrences, no new tickets");
    assert!(t2.iter().all(|t| t["recurrenceCount"] == 2), "{t2:?}");

    // Audited: the change with before and after, and each run.
    let (_, auditor) = app.user("aud", Role::Auditor, None).await;
    let audit = app
        .ok(
            &auditor,
            "{ auditEvents(first: 50, subjectType: \"thematic_check\") { edges { node { action before after } } } }",
            json!({}),
        )
        .await;
    let events = audit["auditEvents"]["edges"].as_array().unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e["node"]["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"thematic_check.create"), "{actions:?}");
    assert!(actions.contains(&"met_qc.set_config"), "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "thematic_check.run").count(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_bad_mapping_or_time_zone_is_refused_and_changes_nothing() {
    let app = spawn().await;
    let url = sqlite_url(&app, "met");
    plant_met(&url, &synthetic::generate(1, 2, 1)).await;
    let s = setup(&app, "metdb", &url, "met_obs", MET_FIELDS).await;
    let input = json!({"code": "WH-MET-QC", "name": "质控", "resourceId": s.resource});
    let mut mapping = met_mapping();
    mapping["temperature"] = json!("air_temp");
    let r = app
        .gql(Some(&s.mgr), CREATE_MET, json!({"i": input, "m": mapping, "c": null}))
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_input", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("资源没有字段：air_temp"),
        "{r}"
    );
    let mut mapping = met_mapping();
    mapping["timeZone"] = json!("Mars/Olympus");
    assert_eq!(
        app.err(Some(&s.mgr), CREATE_MET, json!({"i": input, "m": mapping, "c": null}))
            .await,
        "invalid_input"
    );
    let bad_config = json!({"completeness": {"expected_hours_per_day": 30, "day_offset_hours": 8}});
    assert_eq!(
        app.err(
            Some(&s.mgr),
            CREATE_MET,
            json!({"i": input, "m": met_mapping(), "c": bad_config})
        )
        .await,
        "invalid_input"
    );
    // Only quality-rule managers write definitions.
    let (_, op) = app.user("opr2", Role::Operator, None).await;
    assert_eq!(
        app.err(
            Some(&op),
            CREATE_MET,
            json!({"i": input, "m": met_mapping(), "c": null})
        )
        .await,
        "forbidden"
    );
    let list = app
        .ok(&s.mgr, "{ thematicChecks { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(list["thematicChecks"]["edges"], json!([]));
    // A range backwards or too long is refused before anything runs.
    let def = app
        .ok(&s.mgr, CREATE_MET, json!({"i": input, "m": met_mapping(), "c": null}))
        .await;
    let id = def["createMetQcCheck"]["id"].clone();
    // A bad mapping on update changes nothing either; a good one is a new version.
    let update = "mutation($id:ID!,$v:Int!,$i:ThematicCheckInput!,$m:MetQcMappingInput!){ updateMetQcCheck(id:$id, expectedVersion:$v, input:$i, mapping:$m){ version metMapping { temperature } } }";
    let mut mapping = met_mapping();
    mapping["pressure"] = json!("station_pressure");
    assert_eq!(
        app.err(
            Some(&s.mgr),
            update,
            json!({"id": id, "v": 1, "i": input, "m": mapping})
        )
        .await,
        "invalid_input"
    );
    let mut mapping = met_mapping();
    mapping["temperature"] = json!("td");
    let updated = app
        .ok(&s.mgr, update, json!({"id": id, "v": 1, "i": input, "m": mapping}))
        .await;
    assert_eq!(
        updated["updateMetQcCheck"],
        json!({"version": 2, "metMapping": {"temperature": "td"}})
    );
    let disable =
        "mutation($id:ID!){ setThematicCheckEnabled(id:$id, enabled:false, expectedVersion:2){ enabled version } }";
    let disabled = app.ok(&s.mgr, disable, json!({"id": id})).await;
    assert_eq!(
        disabled["setThematicCheckEnabled"],
        json!({"enabled": false, "version": 3})
    );
    assert_eq!(
        app.err(Some(&s.mgr), disable, json!({"id": id})).await,
        "version_conflict"
    );
    for (f, t) in [
        ("2026-01-05", "2026-01-01"),
        ("2026-01-01", "2027-06-01"),
        ("1/1/2026", "2026-01-02"),
    ] {
        assert_eq!(
            app.err(Some(&s.mgr), RUN_MET, json!({"id": id, "f": f, "t": t})).await,
            "invalid_input"
        );
    }
    let runs = app
        .ok(&s.mgr, "{ thematicRuns { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(runs["thematicRuns"]["edges"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_source_is_an_error_run_and_a_collection_failure_ticket() {
    let app = spawn().await;
    let s = setup(&app, "metdb", "mysql://etl:pw@127.0.0.1:1/met", "met_obs", MET_FIELDS).await;
    let input = json!({"code": "WH-MET-QC", "name": "质控", "resourceId": s.resource});
    let def = app
        .ok(&s.mgr, CREATE_MET, json!({"i": input, "m": met_mapping(), "c": null}))
        .await;
    let id = def["createMetQcCheck"]["id"].clone();
    let run = app
        .ok(&s.mgr, RUN_MET, json!({"id": id, "f": "2026-01-01", "t": "2026-01-02"}))
        .await["runMetQc"]
        .clone();
    assert_eq!(run["status"], "ERROR");
    assert!(run["note"].as_str().unwrap().contains("不可达"), "{run}");
    app.ok(&s.mgr, RUN_MET, json!({"id": id, "f": "2026-01-01", "t": "2026-01-02"}))
        .await;
    let failures = app.ok(&s.mgr, TICKETS, json!({"k": ["COLLECTION_FAILURE"]})).await;
    let edges = failures["tickets"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["dedupKey"], "unreachable:metdb");
    assert_eq!(edges[0]["node"]["recurrenceCount"], 2);
    assert_eq!(tickets(&app, &s.mgr).await, Vec::<Value>::new(), "no quality ticket");
    app.stop().await;
}

const AIR_FIELDS: &[(&str, &str, &str)] = &[
    ("station", "站点", "string"),
    ("hour_end", "时间", "datetime"),
    ("so2", "SO2", "decimal"),
    ("no2", "NO2", "decimal"),
    ("pm10", "PM10", "decimal"),
    ("co", "CO", "decimal"),
    ("o3", "O3", "decimal"),
    ("pm25", "PM2.5", "decimal"),
    ("aqi", "AQI", "decimal"),
    ("primary_pollutant", "首要污染物", "string"),
];

/// Hours (labelled by their end, Beijing time) with reports checked by hand against the HJ 633
/// breakpoints of `standards.md`.
const AIR_ROWS: &str = "INSERT INTO air_hourly VALUES
    ('A1001', '2026-02-28 00:00:00', 10, 20, 40, 0.5, 50, 60, 10, 'PM10'),
    ('A1001', '2026-02-28 23:00:00', 10, 20, 40, 0.5, 50, 60, 82, 'PM2.5'),
    ('A1001', '2026-03-01 00:00:00', 10, 20, 40, 0.5, 50, 60, 82, 'PM2.5'),
    ('A1001', '2026-03-01 01:00:00', 10, 20, 40, 0.5, 50, 60, 82, 'PM2.5'),
    ('A1001', '2026-03-01 02:00:00', 10, 20, 40, 0.5, 50, 60, 100, 'PM₂.₅'),
    ('A1001', '2026-03-01 03:00:00', 10, 20, 40, 0.5, 50, 20, 40, 'PM10'),
    ('A1001', '2026-03-01 04:00:00', 10, 20, 120, 0.5, 50, 35, 100, 'PM10'),
    ('A1001', '2026-03-01 05:00:00', NULL, NULL, NULL, NULL, NULL, NULL, 60, 'PM2.5'),
    ('A1002', '2026-03-01 01:00:00', 10, 200, 40, 0.5, 200, 10, 100, 'NO2,O3_1h'),
    ('A1002', '2026-03-01 02:00:00', 10, 20, 40, 10, 50, 10, 99, 'CO'),
    ('A1002', '2026-03-01 03:00:00', 10, 20, 40, 0.5, 50, 10, 'abc', '—'),
    ('A1002', '2026-03-02 01:00:00', 10, 20, 40, 0.5, 50, 10, 15, '—')";

fn air_mapping() -> Value {
    json!({
        "station": "station", "time": "hour_end", "so2": "so2", "no2": "no2", "pm10": "pm10",
        "co": "co", "o3": "o3", "pm25": "pm25", "aqi": "aqi", "primary": "primary_pollutant",
    })
}

/// The verdicts on `AIR_ROWS`, whatever database they were read from.
fn assert_planted_air(run: &Value) {
    assert_eq!(run["status"], "DONE", "{run}");
    assert_eq!((run["records"].clone(), run["stations"].clone()), (json!(10), json!(2)));
    assert_eq!(
        (
            run["consistent"].clone(),
            run["inconsistent"].clone(),
            run["unverifiable"].clone()
        ),
        (json!(5), json!(4), json!(1)),
        "{run}"
    );
    let results: Vec<Value> = run["airResults"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let at = |r: &Value| {
        let t: DateTime<Utc> = r["observedAt"].as_str().unwrap().parse().unwrap();
        (t + Duration::hours(8)).format("%m-%d %H:%M").to_string()
    };
    let got: Vec<(String, String, String, Value)> = results
        .iter()
        .map(|r| {
            (
                r["station"].as_str().unwrap().to_owned(),
                at(r),
                r["status"].as_str().unwrap().to_owned(),
                r["computedAqi"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // PM2.5 60 µg/m³: IAQI 82 under HJ 633-2012, 100 under HJ 633-2026.
            ("A1001".into(), "03-01 01:00".into(), "inconsistent".into(), json!(100)),
            // AQI 40: no primary pollutant.
            ("A1001".into(), "03-01 03:00".into(), "inconsistent".into(), json!(40)),
            ("A1001".into(), "03-01 05:00".into(), "unverifiable".into(), Value::Null),
            // CO 10 mg/m³ (1 h) is IAQI 100.
            ("A1002".into(), "03-01 02:00".into(), "inconsistent".into(), json!(100)),
            // A report that is not a number; PM10 40 (IAQI 40) is above PM2.5 10 (IAQI 15).
            ("A1002".into(), "03-01 03:00".into(), "inconsistent".into(), json!(40)),
        ]
    );
    assert_eq!(results[0]["standard"], "HJ 633-2026");
    assert_eq!(results[0]["reason"], "AQI 不一致：上报 82，按 HJ 633-2026 重算为 100");
    assert!(
        results[1]["reason"]
            .as_str()
            .unwrap()
            .contains("首要污染物不一致：上报 PM10，重算为 —"),
        "{}",
        results[1]
    );
    assert!(
        results[4]["reason"]
            .as_str()
            .unwrap()
            .contains("AQI 未上报或不是整数（abc）"),
        "{}",
        results[4]
    );
}

#[tokio::test]
async fn air_consistency_recomputes_with_the_edition_of_each_hour_and_tickets_by_station() {
    let app = spawn().await;
    let url = sqlite_url(&app, "air");
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared(
        "CREATE TABLE air_hourly (station TEXT, hour_end TEXT, so2 REAL, no2 REAL, pm10 REAL, co REAL, o3 REAL, pm25 REAL, aqi, primary_pollutant TEXT)",
    )
    .await
    .unwrap();
    db.execute_unprepared(AIR_ROWS).await.unwrap();
    db.close().await.unwrap();
    let s = setup(&app, "airdb", &url, "air_hourly", AIR_FIELDS).await;
    let input = json!({"code": "WH-AIR-AQI", "name": "空气质量小时 AQI 口径核查", "resourceId": s.resource});
    let def = app
        .ok(&s.mgr, CREATE_AIR, json!({"i": input, "m": air_mapping()}))
        .await["createAirCheck"]
        .clone();
    assert_eq!(def["kind"], "AIR_CONSISTENCY");
    let id = def["id"].clone();
    // Hours starting on 2026-02-28 and 2026-03-01 (Beijing): the first and the last row are
    // outside and must not be looked at.
    let run = app
        .ok(&s.mgr, RUN_AIR, json!({"id": id, "f": "2026-02-28", "t": "2026-03-01"}))
        .await["runAirCheck"]
        .clone();
    assert_planted_air(&run);
    let t = tickets(&app, &s.mgr).await;
    let keys: BTreeSet<&str> = t.iter().map(|t| t["dedupKey"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["aircheck:WH-THEMATIC:A1001", "aircheck:WH-THEMATIC:A1002"])
    );
    assert!(t.iter().all(|t| t["title"].as_str().unwrap().contains("口径不一致")));
    app.ok(&s.mgr, RUN_AIR, json!({"id": id, "f": "2026-02-28", "t": "2026-03-01"}))
        .await;
    let t2 = tickets(&app, &s.mgr).await;
    assert_eq!(t2.len(), 2);
    assert!(t2.iter().all(|t| t["recurrenceCount"] == 2));
    // A mapped column the resource does not have is refused.
    let mut bad = air_mapping();
    bad["so2_24h"] = json!("so2_daily");
    let input = json!({"code": "WH-AIR-2", "name": "另一个", "resourceId": s.resource});
    assert_eq!(
        app.err(Some(&s.mgr), CREATE_AIR, json!({"i": input, "m": bad})).await,
        "invalid_input"
    );
    app.stop().await;
}

#[tokio::test]
async fn compute_aqi_follows_the_breakpoints_of_each_edition() {
    let app = spawn().await;
    let (_, viewer) = app.user("mgr", Role::Manager, None).await;
    let q = "query($i:HourlyConcentrationsInput!){ computeAqi(input:$i){ standard aqi category level primary missing subIndices { pollutant iaqi beyondScale } } }";
    // PM10 120 and PM2.5 60 sit on the 2026 100-level breakpoints; in 2012 they were 150 and 75.
    let at = |hour: &str, pm10: f64, pm25: f64| json!({"i": {"hour": hour, "pm10": pm10, "pm25": pm25}});
    let new = app.ok(&viewer, q, at("2026-03-01T01:00:00+08:00", 120.0, 60.0)).await["computeAqi"].clone();
    assert_eq!(new["standard"], "HJ 633-2026");
    assert_eq!(new["aqi"], 100);
    assert_eq!(new["category"], "良");
    assert_eq!(new["primary"], json!(["PM10", "PM2.5"]));
    assert_eq!(new["missing"], json!(["SO2", "NO2", "CO", "O3"]));
    let old = app.ok(&viewer, q, at("2026-03-01T00:00:00+08:00", 120.0, 60.0)).await["computeAqi"].clone();
    assert_eq!(old["standard"], "HJ 633-2012");
    // 2012: PM10 50 + 50·70/100 = 85; PM2.5 50 + 50·25/40 = 81.25 → 82.
    assert_eq!(old["aqi"], 85);
    assert_eq!(old["primary"], json!(["PM10"]));
    assert_eq!(old["subIndices"][1]["iaqi"], 82);
    // Above the top breakpoint: 500, beyond the scale.
    let top = app.ok(&viewer, q, at("2026-06-01T12:00:00+08:00", 700.0, 10.0)).await["computeAqi"].clone();
    assert_eq!(
        (top["aqi"].clone(), top["subIndices"][0]["beyondScale"].clone()),
        (json!(500), json!(true))
    );
    assert_eq!(
        app.err(Some(&viewer), q, at("2026-06-01T12:00:00+08:00", -1.0, 10.0))
            .await,
        "invalid_input"
    );
    app.stop().await;
}

async fn exec(db: &sea_orm::DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn air_consistency_reads_postgres_timestamptz_and_mariadb_datetime_sources_alike() {
    if std::env::var("ECOGOV_NO_EXTERNAL_DB").is_ok_and(|v| v == "1") {
        println!("ECOGOV_NO_EXTERNAL_DB=1: skipping the PostgreSQL/MariaDB air check test");
        return;
    }
    let app = spawn().await;
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let pg_admin = Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    let pg_name = format!("air_src_{suffix}");
    exec(&pg_admin, &format!("CREATE DATABASE {pg_name}")).await;
    let pg_url = format!("postgres://postgres@127.0.0.1:5432/{pg_name}");
    let pg = Database::connect(&pg_url).await.unwrap();
    exec(
        &pg,
        "CREATE TABLE air_hourly (station varchar(16), hour_end timestamptz, so2 double precision, no2 double precision, pm10 numeric(8,1), co numeric(6,2), o3 double precision, pm25 double precision, aqi text, primary_pollutant text)",
    )
    .await;
    // Stamped with their zone: the session zone of the server does not matter.
    exec(&pg, &AIR_ROWS.replace(":00:00',", ":00:00+08',")).await;
    pg.close().await.unwrap();
    let maria = Database::connect("mysql://root@127.0.0.1:3306/test").await.unwrap();
    let maria_table = format!("air_hourly_{suffix}");
    exec(
        &maria,
        &format!("CREATE TABLE {maria_table} (station VARCHAR(16), hour_end DATETIME, so2 DOUBLE, no2 DOUBLE, pm10 DECIMAL(8,1), co DECIMAL(6,2), o3 DOUBLE, pm25 DOUBLE, aqi VARCHAR(8), primary_pollutant VARCHAR(32)) DEFAULT CHARSET=utf8mb4"),
    )
    .await;
    exec(&maria, &AIR_ROWS.replace("air_hourly", &maria_table)).await;

    let s = setup(&app, "airpg", &pg_url, "air_hourly", AIR_FIELDS).await;
    let input = json!({"code": "WH-AIR-PG", "name": "PostgreSQL 源", "resourceId": s.resource});
    let id = app
        .ok(&s.mgr, CREATE_AIR, json!({"i": input, "m": air_mapping()}))
        .await["createAirCheck"]["id"]
        .clone();
    let run = app
        .ok(&s.mgr, RUN_AIR, json!({"id": id, "f": "2026-02-28", "t": "2026-03-01"}))
        .await["runAirCheck"]
        .clone();
    assert_planted_air(&run);

    let admin = app.admin().await;
    data_source(&app, &admin, "airmaria", "mysql://root@127.0.0.1:3306/test").await;
    let (_, op) = app.user("opr2", Role::Operator, None).await;
    let res = resource(
        &app,
        &op,
        "WH-AIR-MARIA",
        &format!("airmaria.{maria_table}"),
        AIR_FIELDS,
    )
    .await;
    let mut mapping = air_mapping();
    mapping["timeZone"] = json!("Asia/Shanghai");
    let input = json!({"code": "WH-AIR-MARIA", "name": "MariaDB 源", "resourceId": res});
    let id = app.ok(&s.mgr, CREATE_AIR, json!({"i": input, "m": mapping})).await["createAirCheck"]["id"].clone();
    let run = app
        .ok(&s.mgr, RUN_AIR, json!({"id": id, "f": "2026-02-28", "t": "2026-03-01"}))
        .await["runAirCheck"]
        .clone();
    assert_planted_air(&run);

    exec(&maria, &format!("DROP TABLE {maria_table}")).await;
    maria.close().await.unwrap();
    let _ = pg_admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))
        .await;
    app.stop().await;
}
