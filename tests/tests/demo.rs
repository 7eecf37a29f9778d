//! The demo data `ecogov serve` seeds on the embedded default: users, tickets, and a source
//! database of Wuhan-like datasets, catalogued and published, with planted defects.

use ecogov_tests::{Options, TestApp};
use serde_json::json;

#[tokio::test]
async fn demo_seeds_a_catalogued_source_database_with_findable_defects() {
    let app = TestApp::spawn_with(Options {
        demo: true,
        workers: false,
        ..Default::default()
    })
    .await;
    let mgr = app.login("zhangwei", "Demo-Wuhan-2026").await;

    let list = app
        .ok(
            &mgr,
            "{ catalogResources(first: 50) { edges { node { id code status } } } }",
            json!({}),
        )
        .await;
    let nodes: Vec<_> = list["catalogResources"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let mut codes: Vec<&str> = nodes.iter().map(|n| n["code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "WH-AIR-HOURLY",
            "WH-DISCHARGE-PERMIT",
            "WH-ENFORCEMENT-CASE",
            "WH-ENTERPRISE",
            "WH-MET-HOURLY",
            "WH-WATER-MONTHLY"
        ]
    );
    assert!(nodes.iter().all(|n| n["status"] == "published"), "{nodes:?}");

    // The source is registered and reachable.
    let admin = app.admin().await;
    let sources = app.ok(&admin, "{ dataSources { id code } }", json!({})).await;
    let ds = sources["dataSources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "wuhan-demo")
        .cloned()
        .unwrap();
    let op = app.login("wangfang", "Demo-Wuhan-2026").await;
    let t = app
        .ok(
            &op,
            "mutation($id:ID!){ testDataSource(id:$id){ ok } }",
            json!({"id": ds["id"]}),
        )
        .await;
    assert_eq!(t["testDataSource"]["ok"], true);

    // The planted catalog/table mismatch (pm25 nullable in the table, required in the
    // catalog) is the only drift, and the other resources match their tables exactly.
    let check = "mutation($id:ID!){ checkSchemaDrift(resourceId:$id){ clean changes } }";
    for n in &nodes {
        let d = app.ok(&mgr, check, json!({"id": n["id"]})).await["checkSchemaDrift"].clone();
        if n["code"] == "WH-AIR-HOURLY" {
            assert_eq!(d[0]["clean"], false, "{d}");
            assert_eq!(
                d[0]["changes"],
                json!([{"kind": "nullability_changed", "column": "pm25", "catalog": false, "actual": true}]),
                "{d}"
            );
        } else {
            assert_eq!(d[0]["clean"], true, "{}: {d}", n["code"]);
        }
    }

    // Demo tickets exist, in several states.
    let tickets = app
        .ok(&mgr, "{ tickets { edges { node { state } } } }", json!({}))
        .await;
    let states: Vec<&str> = tickets["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["state"].as_str().unwrap())
        .collect();
    assert!(
        states.len() >= 4 && states.contains(&"RECTIFYING") && states.contains(&"NEW"),
        "{states:?}"
    );
}

/// Drift tickets of the demo's air resource, newest first: (id, state).
async fn drift_tickets(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let r = app
        .ok(
            token,
            "{ tickets(filter: {kinds: [METADATA_DRIFT]}) { edges { node { id state title } } } }",
            json!({}),
        )
        .await;
    r["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["id"].as_str().unwrap().to_owned(),
                e["node"]["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Polls until `f` holds (the periodic scan runs every second in tests), at most 15 s.
async fn eventually<F, Fut>(mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..150 {
        if f().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("condition not reached within 15 s");
}

#[tokio::test]
async fn the_periodic_scan_finds_drift_and_a_rejected_drift_stays_quiet_until_it_changes() {
    let app = TestApp::spawn_with(Options {
        demo: true,
        ..Default::default()
    })
    .await;
    let mgr = app.login("zhangwei", "Demo-Wuhan-2026").await;
    let op = app.login("wangfang", "Demo-Wuhan-2026").await;

    // The workers compare every published resource on their own: the planted pm25
    // nullability mismatch opens exactly one drift ticket.
    eventually(|| async { drift_tickets(&app, &mgr).await.len() == 1 }).await;
    let (ticket_id, state) = drift_tickets(&app, &mgr).await.remove(0);
    assert_eq!(state, "NEW");

    let air = app
        .ok(&mgr, "{ catalogResource(code: \"WH-AIR-HOURLY\") { id } }", json!({}))
        .await["catalogResource"]["id"]
        .clone();
    let reject = "mutation($id:ID!, $t:String!, $r:String!){ rejectSchemaDrift(resourceId:$id, table:$t, reason:$r){ clean rejectedReason changes } }";
    let table = "wuhan-demo.air_station_hourly";
    let vars = |reason: &str| json!({"id": air, "t": table, "r": reason});
    // A reason is required, operators may not reject, and a table without drift has nothing to reject.
    assert_eq!(app.err(Some(&mgr), reject, vars("  ")).await, "invalid_input");
    assert_eq!(app.err(Some(&op), reject, vars("不采纳")).await, "forbidden");
    let water = app
        .ok(
            &mgr,
            "{ catalogResource(code: \"WH-WATER-MONTHLY\") { id } }",
            json!({}),
        )
        .await["catalogResource"]["id"]
        .clone();
    assert_eq!(
        app.err(
            Some(&mgr),
            reject,
            json!({"id": water, "t": "wuhan-demo.water_section_monthly", "r": "无"})
        )
        .await,
        "invalid_input"
    );
    assert_eq!(
        drift_tickets(&app, &mgr).await[0].1,
        "NEW",
        "failed rejections change nothing"
    );

    let reason = "源表允许空值系历史遗留，目录保持必填并由质量规则检查";
    let r = app.ok(&mgr, reject, vars(reason)).await["rejectSchemaDrift"].clone();
    assert_eq!(r["rejectedReason"], reason);
    assert_eq!(r["clean"], false);
    assert_eq!(
        drift_tickets(&app, &mgr).await,
        [(ticket_id.clone(), "INVALID".to_owned())]
    );
    assert_eq!(
        app.err(Some(&mgr), reject, vars(reason)).await,
        "invalid_input",
        "rejected once"
    );

    // Later scans see the same drift, rejected: no new ticket; the check says why.
    app.clock.advance(chrono::Duration::minutes(5));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(drift_tickets(&app, &mgr).await.len(), 1);
    let d = app
        .ok(
            &mgr,
            "mutation($id:ID!){ checkSchemaDrift(resourceId:$id){ clean rejectedReason } }",
            json!({"id": air}),
        )
        .await["checkSchemaDrift"][0]
        .clone();
    assert_eq!(d["rejectedReason"], reason);

    // The source changes again: a different drift opens a new ticket.
    let path = app.settings.data_dir.join("demo").join("wuhan-sources.sqlite");
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rw", path.display()))
        .await
        .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&db, "ALTER TABLE air_station_hourly ADD COLUMN remark TEXT")
        .await
        .unwrap();
    db.close().await.unwrap();
    app.clock.advance(chrono::Duration::minutes(5));
    eventually(|| async { drift_tickets(&app, &mgr).await.len() == 2 }).await;

    // The rejection is in the audit trail.
    let auditor = app.login("chenjing", "Demo-Wuhan-2026").await;
    let trail = app
        .ok(
            &auditor,
            "query($id:String!){ auditEvents(subjectType: \"catalog_resource\", subjectId: $id, first: 100) { edges { node { action after } } } }",
            json!({"id": air}),
        )
        .await;
    let rejections: Vec<_> = trail["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["action"] == "catalog.drift_reject")
        .collect();
    assert_eq!(rejections.len(), 1, "{trail}");
    assert_eq!(rejections[0]["node"]["after"]["reason"], reason);
    app.stop().await;
}

/// The first scheduled inspection after start (the workers running, as under `ecogov serve`)
/// finds every planted defect with its exact row count, and the rules with nothing to find
/// pass; each failing rule opened one quality ticket.
#[tokio::test]
async fn the_first_scheduled_inspection_finds_every_planted_defect() {
    let app = TestApp::spawn_with(Options {
        demo: true,
        workers: true,
        ..Default::default()
    })
    .await;
    let mgr = app.login("zhangwei", "Demo-Wuhan-2026").await;
    let list = app
        .ok(
            &mgr,
            "{ catalogResources(first: 50) { edges { node { id code } } } }",
            json!({}),
        )
        .await;
    let ids: std::collections::BTreeMap<String, String> = list["catalogResources"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["code"].as_str().unwrap().to_owned(),
                e["node"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let runs = "query($r:ID!){ qualityRuns(resourceId:$r, trigger:\"schedule\", first: 1){ edges { node { status error results { ruleCode status failing checked } } } } }";
    let mut latest = std::collections::BTreeMap::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while latest.len() < ids.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "scheduled runs did not all happen: {latest:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for (code, id) in &ids {
            let r = app.ok(&mgr, runs, json!({"r": id})).await;
            // A run row exists from its start ("running"); wait for it to finish.
            if let Some(run) = r["qualityRuns"]["edges"][0]["node"].as_object()
                && run["status"] != "running"
            {
                latest.insert(code.clone(), serde_json::Value::Object(run.clone()));
            }
        }
    }
    let mut failing_rules = 0;
    for rule in ecogov::demo_quality::rules() {
        let run = &latest[rule.resource];
        assert_eq!(run["status"], "done", "{}: {run}", rule.resource);
        let res = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["ruleCode"] == rule.code)
            .unwrap_or_else(|| panic!("{} has no result", rule.code));
        let expected = rule.expected_failing();
        assert_eq!(res["failing"], expected, "{} {}: {res}", rule.resource, rule.code);
        assert_eq!(
            res["status"],
            if expected > 0 { "fail" } else { "pass" },
            "{}",
            rule.code
        );
        if expected > 0 {
            failing_rules += 1;
        }
    }
    // Every planted defect has its rule.
    let covered: std::collections::BTreeSet<usize> = ecogov::demo_quality::rules()
        .iter()
        .filter_map(|r| match r.finds {
            ecogov::demo_quality::Finds::Defect(i) => Some(i),
            ecogov::demo_quality::Finds::Rows(_) => None,
        })
        .collect();
    let planted = ecogov::demo_source::defects().len();
    assert_eq!(
        covered.len() + 1,
        planted,
        "all but the stopped station (counted per station) by index"
    );
    let tickets = app
        .ok(
            &mgr,
            "{ tickets(filter:{kinds:[QUALITY_ISSUE], search:\"（规则 \"}, first: 100){ edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(tickets["tickets"]["edges"].as_array().unwrap().len(), failing_rules);
    app.stop().await;
}
