//! Data quality monitoring through the API: rules validated on save, inspections pushed down
//! to real source tables (SQLite, PostgreSQL, MariaDB), results with masked samples, tickets
//! opened once per (resource, rule), re-check before approval, schedules, automatic closing,
//! unreachable sources and score trends.

use base64::Engine as _;
use ecogov_domain::entity::quality_run;
use ecogov_domain::role::Role;
use ecogov_domain::service::quality;
use ecogov_domain::time::Clock as _;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, Set};
use serde_json::{Value, json};

use crate::{Options, TestApp, q};

const AIR_ROWS: &str = "INSERT INTO air (station_code, observed_at, pm25, contact_phone) VALUES
    ('4201A', '2026-12-07 00:00:00', 35, '13812345678'),
    ('4201A', '2026-12-07 01:00:00', NULL, '13812345678'),
    ('4202A', '2026-12-07 00:00:00', 1500, '13987654321'),
    ('4202A', '2026-12-07 00:00:00', 40, '13987654321'),
    ('4203A', '2026-12-07 00:00:00', -5, '13500001111'),
    ('4203A', '2026-12-07 01:00:00', NULL, '13500001111')";

/// A SQLite source with the planted defects: 2 null pm25, 2 out of range, 1 duplicate key.
async fn sqlite_source(app: &TestApp, name: &str) -> String {
    let path = app.settings.data_dir.join(format!("{name}.db"));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared(
        "CREATE TABLE air (station_code VARCHAR(8), observed_at TIMESTAMP, pm25 DECIMAL(6,1), contact_phone VARCHAR(20))",
    )
    .await
    .unwrap();
    db.execute_unprepared(AIR_ROWS).await.unwrap();
    db.close().await.unwrap();
    url
}

struct Setup {
    admin: String,
    mgr: String,
    reviewer: String,
    op: (String, String),
    resource: String,
    source_url: String,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = app.admin().await;
    app.department("AIR", "大气环境处", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    let (_, reviewer) = app.user("rev", Role::Manager, None).await;
    let op = app.user("opr", Role::Operator, None).await;
    let source_url = sqlite_source(app, "src").await;
    app.ok(
        &admin,
        "mutation($u:String!){ createDataSource(code:\"src\", name:\"监测库\", url:$u){ id } }",
        json!({"u": source_url}),
    )
    .await;
    let resource = create_resource(app, &op.1, "WH-AIR-Q", "src.air").await;
    Setup {
        admin,
        mgr,
        reviewer,
        op,
        resource,
        source_url,
    }
}

async fn create_resource(app: &TestApp, token: &str, code: &str, table: &str) -> String {
    let input = json!({
        "code": code, "name": "空气质量小时数据", "classification": ["1", "02"], "providerDepartment": "AIR",
        "shareType": "无条件共享", "openType": "不予开放", "updateCycle": "每小时", "tables": [table],
        "fields": [
            {"name": "station_code", "cnName": "站点编码", "dataType": "string", "length": 8},
            {"name": "observed_at", "cnName": "监测时间", "dataType": "datetime"},
            {"name": "pm25", "cnName": "PM2.5", "dataType": "decimal", "length": 6, "nullable": true},
            {"name": "contact_phone", "cnName": "联系电话", "dataType": "string", "length": 20, "grade": "general", "subLevel": 3, "tags": ["mobile"]}
        ]
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

const CREATE_RULE: &str = "mutation($i:QualityRuleInput!){ createQualityRule(input:$i){ id code kind version severity warn { count percent } fail { count percent } check } }";
const RUN: &str = "mutation($r:ID!){ runQualityInspection(resourceId:$r){ id status rulesTotal passed warned failed errored score error results { ruleCode status checked failing samples failingQuery failingParams ticketId note } } }";

fn rule(resource: &str, code: &str, severity: &str, check: Value) -> Value {
    json!({"resourceId": resource, "code": code, "severity": severity, "check": check})
}

async fn standard_rules(app: &TestApp, s: &Setup) {
    for r in [
        rule(
            &s.resource,
            "pm25-null",
            "HIGH",
            json!({"kind": "completeness", "column": "pm25"}),
        ),
        rule(
            &s.resource,
            "pm25-range",
            "MEDIUM",
            json!({"kind": "validity", "column": "pm25", "check": "range", "min": 0, "max": 1000}),
        ),
        rule(
            &s.resource,
            "key-unique",
            "HIGH",
            json!({"kind": "uniqueness", "columns": ["station_code", "observed_at"]}),
        ),
    ] {
        app.ok(&s.mgr, CREATE_RULE, json!({"i": r})).await;
    }
}

fn result<'a>(run: &'a Value, code: &str) -> &'a Value {
    run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleCode"] == code)
        .unwrap_or_else(|| panic!("no result {code}: {run}"))
}

async fn quality_tickets(app: &TestApp, token: &str) -> Vec<Value> {
    app.ok(
        token,
        "{ tickets(filter:{kinds:[QUALITY_ISSUE]}, first: 50){ edges { node { id title state version recurrenceCount verification } } } }",
        json!({}),
    )
    .await["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn rules_are_validated_permissioned_and_audited() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let s = setup(&app).await;
    let ok = app
        .ok(
            &s.mgr,
            CREATE_RULE,
            json!({"i": rule(&s.resource, "pm25-null", "HIGH", json!({"kind": "completeness", "column": "pm25"}))}),
        )
        .await["createQualityRule"]
        .clone();
    assert_eq!(ok["kind"], "completeness");
    assert_eq!(ok["warn"], json!({"count": 0, "percent": null}));
    assert_eq!(ok["check"], json!({"kind": "completeness", "column": "pm25"}));

    let refused = [
        // unknown column
        json!({"kind": "completeness", "column": "pm2_5"}),
        // invalid regex
        json!({"kind": "validity", "column": "station_code", "check": "regex", "pattern": "([0-9"}),
        // a range on a text column
        json!({"kind": "validity", "column": "station_code", "check": "range", "min": 0}),
        // not a rule at all
        json!({"kind": "teleport"}),
    ];
    for (i, check) in refused.into_iter().enumerate() {
        let r = app
            .gql(
                Some(&s.mgr),
                CREATE_RULE,
                json!({"i": rule(&s.resource, &format!("bad-{i}"), "LOW", check.clone())}),
            )
            .await;
        assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_input", "{check}: {r}");
    }
    // Thresholds that make no sense.
    let mut bad = rule(
        &s.resource,
        "bad-t",
        "LOW",
        json!({"kind": "completeness", "column": "pm25"}),
    );
    bad["warn"] = json!({"count": 10});
    bad["fail"] = json!({"count": 1});
    assert_eq!(
        app.err(Some(&s.mgr), CREATE_RULE, json!({"i": bad})).await,
        "invalid_input"
    );
    let mut bad = rule(
        &s.resource,
        "bad-p",
        "LOW",
        json!({"kind": "completeness", "column": "pm25"}),
    );
    bad["fail"] = json!({"percent": 150.0});
    assert_eq!(
        app.err(Some(&s.mgr), CREATE_RULE, json!({"i": bad})).await,
        "invalid_input"
    );
    // Auto-close only for low severity.
    let mut bad = rule(
        &s.resource,
        "bad-a",
        "HIGH",
        json!({"kind": "completeness", "column": "pm25"}),
    );
    bad["autoCloseAfter"] = json!(3);
    assert_eq!(
        app.err(Some(&s.mgr), CREATE_RULE, json!({"i": bad})).await,
        "invalid_input"
    );
    // Duplicate code.
    assert_eq!(
        app.err(
            Some(&s.mgr),
            CREATE_RULE,
            json!({"i": rule(&s.resource, "pm25-null", "LOW", json!({"kind": "completeness", "column": "pm25"}))})
        )
        .await,
        "duplicate"
    );
    // Custom SQL: administrators only, one read-only SELECT.
    let custom = |sql: &str| {
        rule(
            &s.resource,
            "custom",
            "LOW",
            json!({"kind": "custom_sql", "sql": sql, "params": {"limit": 500}}),
        )
    };
    let sql = "SELECT * FROM air WHERE pm25 > :limit";
    assert_eq!(
        app.err(Some(&s.mgr), CREATE_RULE, json!({"i": custom(sql)})).await,
        "forbidden"
    );
    assert_eq!(
        app.err(
            Some(&s.admin),
            CREATE_RULE,
            json!({"i": custom("DELETE FROM air WHERE pm25 > :limit")})
        )
        .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(
            Some(&s.admin),
            CREATE_RULE,
            json!({"i": custom("SELECT * FROM air WHERE pm25 > :limit; DROP TABLE air")})
        )
        .await,
        "invalid_input"
    );
    let c = app.ok(&s.admin, CREATE_RULE, json!({"i": custom(sql)})).await["createQualityRule"].clone();
    // Operators cannot write rules; auditors can read them.
    assert_eq!(
        app.err(
            Some(&s.op.1),
            CREATE_RULE,
            json!({"i": rule(&s.resource, "x", "LOW", json!({"kind": "completeness", "column": "pm25"}))})
        )
        .await,
        "forbidden"
    );
    let (_, auditor) = app.user("aud", Role::Auditor, None).await;
    let rules = app
        .ok(
            &auditor,
            "query($r:ID!){ qualityRules(resourceId:$r){ code enabled } }",
            json!({"r": s.resource}),
        )
        .await;
    assert_eq!(rules["qualityRules"].as_array().unwrap().len(), 2);

    // Update: versioned; a manager cannot touch the administrator's custom query.
    let update = "mutation($id:ID!,$v:Int!,$i:QualityRuleInput!){ updateQualityRule(id:$id, expectedVersion:$v, input:$i){ version severity check } }";
    let new_def = rule(
        &s.resource,
        "ignored",
        "CRITICAL",
        json!({"kind": "validity", "column": "pm25", "check": "range", "min": 0}),
    );
    let u = app
        .ok(&s.mgr, update, json!({"id": ok["id"], "v": 1, "i": new_def}))
        .await["updateQualityRule"]
        .clone();
    assert_eq!(
        (u["version"].as_i64(), u["severity"].as_str()),
        (Some(2), Some("CRITICAL"))
    );
    assert_eq!(
        app.err(Some(&s.mgr), update, json!({"id": ok["id"], "v": 1, "i": new_def}))
            .await,
        "version_conflict"
    );
    assert_eq!(
        app.err(Some(&s.mgr), update, json!({"id": c["id"], "v": 1, "i": new_def}))
            .await,
        "forbidden"
    );
    let disabled = app
        .ok(
            &s.mgr,
            "mutation($id:ID!){ setQualityRuleEnabled(id:$id, enabled:false){ enabled version } }",
            json!({"id": ok["id"]}),
        )
        .await;
    assert_eq!(disabled["setQualityRuleEnabled"]["enabled"], false);

    // Refused inputs wrote nothing; accepted ones are in the audit trail.
    let rules = app
        .ok(
            &s.mgr,
            "query($r:ID!){ qualityRules(resourceId:$r){ code } }",
            json!({"r": s.resource}),
        )
        .await;
    let codes: Vec<&str> = rules["qualityRules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["custom", "pm25-null"]);
    let audit = app
        .ok(
            &auditor,
            "{ auditEvents(subjectType:\"quality_rule\", first: 20){ edges { node { action } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = audit["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    for a in ["quality_rule.create", "quality_rule.update", "quality_rule.disable"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn failing_rules_open_one_ticket_each_and_rectification_is_verified_by_a_rerun() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let s = setup(&app).await;
    standard_rules(&app, &s).await;
    let run = app.ok(&s.op.1, RUN, json!({"r": s.resource})).await["runQualityInspection"].clone();
    assert_eq!(run["status"], "done", "{run}");
    assert_eq!((run["rulesTotal"].as_i64(), run["failed"].as_i64()), (Some(3), Some(3)));
    let null = result(&run, "pm25-null");
    assert_eq!((null["checked"].as_i64(), null["failing"].as_i64()), (Some(6), Some(2)));
    let range = result(&run, "pm25-range");
    assert_eq!(range["failing"], 2);
    let dup = result(&run, "key-unique");
    assert_eq!(dup["failing"], 1);
    // Samples are masked by the field's sensitivity tag; the query lists every failing row.
    let samples = range["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 2);
    let phones: Vec<&str> = samples.iter().map(|r| r["contact_phone"].as_str().unwrap()).collect();
    assert!(
        phones.contains(&"139****4321") && phones.contains(&"135****1111"),
        "{phones:?}"
    );
    assert!(!range.to_string().contains("13987654321"));
    assert!(range["failingQuery"].as_str().unwrap().contains("pm25"));
    assert!(run["score"].as_f64().unwrap() < 1.0);

    let tickets = quality_tickets(&app, &s.mgr).await;
    assert_eq!(tickets.len(), 3, "{tickets:?}");
    // A second run adds occurrences, not tickets.
    let again = app.ok(&s.op.1, RUN, json!({"r": s.resource})).await["runQualityInspection"].clone();
    assert_eq!(again["failed"], 3);
    let tickets = quality_tickets(&app, &s.mgr).await;
    assert_eq!(tickets.len(), 3);
    // Two occurrences each; no rectification yet, so nothing to verify.
    assert!(
        tickets
            .iter()
            .all(|t| t["recurrenceCount"] == 2 && t["verification"].is_null()),
        "{tickets:?}"
    );
    assert_eq!(
        result(&again, "pm25-range")["ticketId"],
        result(&run, "pm25-range")["ticketId"]
    );
    let ticket_id = result(&run, "pm25-range")["ticketId"].clone();
    let t = app.ok(&s.mgr, &q::ticket(), json!({"id": ticket_id})).await["ticket"].clone();
    assert_eq!(t["kind"], "QUALITY_ISSUE");
    assert_eq!(
        t["department"]["name"], "大气环境处",
        "the provider department answers for its data"
    );

    // The loop: assign, start, submit with evidence.
    let act = |t: &Value, mut i: Value| {
        i["ticketId"] = t["id"].clone();
        i["expectedVersion"] = t["version"].clone();
        json!({ "i": i })
    };
    let t = app
        .ok(
            &s.mgr,
            &q::transition(),
            act(&t, json!({"event": "ASSIGN", "assigneeId": s.op.0})),
        )
        .await["transition"]
        .clone();
    let t = app
        .ok(&s.op.1, &q::transition(), act(&t, json!({"event": "START"})))
        .await["transition"]
        .clone();
    let b64 = base64::engine::general_purpose::STANDARD.encode("已核查：超限值为仪器故障");
    let ev = app
        .ok(
            &s.op.1,
            q::UPLOAD,
            json!({"i": {"ticketId": t["id"], "fileName": "核查说明.txt", "contentBase64": b64}}),
        )
        .await["uploadEvidence"]
        .clone();
    let submit = |t: &Value| {
        act(
            t,
            json!({"event": "SUBMIT", "note": "已通知运维修正", "evidenceIds": [ev["id"].clone()]}),
        )
    };
    let t = app.ok(&s.op.1, &q::transition(), submit(&t)).await["transition"].clone();
    let read = "query($id:ID!){ ticket(id:$id){ id state version verification rechecks { status failed } availableTransitions { event } } }";
    let view = app.ok(&s.reviewer, read, json!({"id": t["id"]})).await["ticket"].clone();
    assert_eq!(view["verification"], "pending");
    // The reviewer cannot approve before the re-check.
    assert_eq!(
        app.err(
            Some(&s.reviewer),
            &q::transition(),
            act(&view, json!({"event": "APPROVE"}))
        )
        .await,
        "not_verified"
    );
    assert!(!view["availableTransitions"].to_string().contains("APPROVE"));
    // A worker killed in the middle of a re-check left the ticket `running` with a running
    // re-check run: nothing happens until the run is stale, then the tick marks the run as
    // an error and re-checks the ticket. The data is unchanged, so it fails.
    let ticket_id: i64 = t["id"].as_str().unwrap().parse().unwrap();
    app.sql(&format!(
        "UPDATE tickets SET verification = 'running' WHERE id = {ticket_id}"
    ))
    .await;
    quality_run::ActiveModel {
        resource_id: Set(s.resource.parse().unwrap()),
        trigger: Set("recheck".into()),
        ticket_id: Set(Some(ticket_id)),
        incremental: Set(false),
        status: Set("running".into()),
        rules_total: Set(1),
        passed: Set(0),
        warned: Set(0),
        failed: Set(0),
        errored: Set(0),
        started_at: Set(app.clock.now()),
        ..Default::default()
    }
    .insert(&app.core.db)
    .await
    .unwrap();
    assert_eq!(
        quality::scan_due(&app.core).await.unwrap(),
        quality::ScanReport::default(),
        "a re-check under way is left alone"
    );
    app.clock
        .advance(chrono::Duration::minutes(quality::STALE_RUN_MINUTES + 1));
    let report = quality::scan_due(&app.core).await.unwrap();
    assert_eq!((report.stale, report.rechecks), (1, 1));
    assert_eq!(quality::scan_due(&app.core).await.unwrap().rechecks, 0, "claimed once");
    let view = app.ok(&s.reviewer, read, json!({"id": t["id"]})).await["ticket"].clone();
    assert_eq!(view["verification"], "failed");
    assert_eq!(view["rechecks"][0]["failed"], 1);
    assert_eq!(
        view["rechecks"].as_array().unwrap().len(),
        2,
        "the interrupted run and the re-run"
    );
    assert_eq!(
        app.err(
            Some(&s.reviewer),
            &q::transition(),
            act(&view, json!({"event": "APPROVE"}))
        )
        .await,
        "not_verified"
    );
    // Rejected; the source is really fixed; resubmitted; the re-check passes; approved.
    let t = app
        .ok(
            &s.reviewer,
            &q::transition(),
            act(&view, json!({"event": "REJECT", "reason": "复核仍有超限值"})),
        )
        .await["transition"]
        .clone();
    let src = Database::connect(&s.source_url).await.unwrap();
    src.execute_unprepared("UPDATE air SET pm25 = NULL WHERE pm25 > 1000 OR pm25 < 0")
        .await
        .unwrap();
    src.close().await.unwrap();
    let t = app.ok(&s.op.1, &q::transition(), submit(&t)).await["transition"].clone();
    // By hand this time (operators and managers may re-check).
    let rc = app
        .ok(
            &s.reviewer,
            "mutation($t:ID!){ recheckTicket(ticketId:$t){ trigger status passed failed } }",
            json!({"t": t["id"]}),
        )
        .await["recheckTicket"]
        .clone();
    assert_eq!(
        (rc["trigger"].as_str(), rc["passed"].as_i64()),
        (Some("recheck"), Some(1))
    );
    let view = app.ok(&s.reviewer, read, json!({"id": t["id"]})).await["ticket"].clone();
    assert_eq!(view["verification"], "passed");
    // The operator who rectified still cannot review it.
    let closed = app
        .ok(&s.reviewer, &q::transition(), act(&view, json!({"event": "APPROVE"})))
        .await["transition"]
        .clone();
    assert_eq!(closed["state"], "CLOSED");
    // Re-checks are not inspections: they leave the rule's streak and other tickets alone.
    let runs = app
        .ok(
            &s.mgr,
            "query($r:ID!){ qualityRuns(resourceId:$r, trigger:\"recheck\"){ edges { node { id } } } }",
            json!({"r": s.resource}),
        )
        .await;
    assert_eq!(runs["qualityRuns"]["edges"].as_array().unwrap().len(), 3);
    assert_eq!(quality_tickets(&app, &s.mgr).await.len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn schedules_run_once_per_occurrence_and_low_severity_tickets_close_after_passing_runs() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let s = setup(&app).await;
    let mut r = rule(
        &s.resource,
        "pm25-range",
        "LOW",
        json!({"kind": "validity", "column": "pm25", "check": "range", "min": 0, "max": 1000}),
    );
    r["autoCloseAfter"] = json!(2);
    app.ok(&s.mgr, CREATE_RULE, json!({"i": r})).await;
    let set = "mutation($r:ID!,$i:QualityScheduleInput!){ setQualitySchedule(resourceId:$r, input:$i){ cron nextRunAt workingDaysOnly } }";
    assert_eq!(
        app.err(Some(&s.mgr), set, json!({"r": s.resource, "i": {"cron": "every hour"}}))
            .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(Some(&s.op.1), set, json!({"r": s.resource, "i": {"cron": "0 * * * *"}}))
            .await,
        "forbidden"
    );
    // Monday 2026-12-07 09:00 Beijing: the next "minute 30 of every hour" is 09:30.
    let sched = app
        .ok(
            &s.mgr,
            set,
            json!({"r": s.resource, "i": {"cron": "30 * * * *", "workingDaysOnly": true}}),
        )
        .await["setQualitySchedule"]
        .clone();
    assert_eq!(sched["nextRunAt"], "2026-12-07T01:30:00+00:00");
    assert_eq!(quality::scan_due(&app.core).await.unwrap().runs, 0, "not due yet");
    app.clock.advance(chrono::Duration::minutes(31));
    // Two workers' ticks: the occurrence runs once.
    let (a, b) = tokio::join!(quality::scan_due(&app.core), quality::scan_due(&app.core));
    assert_eq!(a.unwrap().runs + b.unwrap().runs, 1);
    let tickets = quality_tickets(&app, &s.mgr).await;
    assert_eq!(tickets.len(), 1);
    // The source is fixed; two passing scheduled runs close the low-severity ticket.
    let src = Database::connect(&s.source_url).await.unwrap();
    src.execute_unprepared("DELETE FROM air WHERE pm25 > 1000 OR pm25 < 0")
        .await
        .unwrap();
    src.close().await.unwrap();
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(quality::scan_due(&app.core).await.unwrap().runs, 1);
    assert_eq!(
        quality_tickets(&app, &s.mgr).await[0]["state"],
        "NEW",
        "one pass is not enough"
    );
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(quality::scan_due(&app.core).await.unwrap().runs, 1);
    let t = &quality_tickets(&app, &s.mgr).await[0];
    assert_eq!(t["state"], "CLOSED", "{t}");
    let history = app.ok(&s.mgr, &q::ticket(), json!({"id": t["id"]})).await["ticket"]["history"].clone();
    assert_eq!(history.as_array().unwrap().last().unwrap()["event"], "AUTO_CLOSE");
    // Nobody can fire the system's event by hand.
    let (_, mgr2) = app.user("mgr2", Role::Manager, None).await;
    let r = app
        .ok(
            &mgr2,
            "{ tickets(filter:{kinds:[QUALITY_ISSUE]}){ edges { node { availableTransitions { event } } } } }",
            json!({}),
        )
        .await;
    assert!(!r.to_string().contains("AUTO_CLOSE"));

    // Working days only: Friday evening's next occurrence skips the weekend.
    app.clock.set(crate::sh(2026, 12, 11, 18, 0));
    let sched = app
        .ok(
            &s.mgr,
            set,
            json!({"r": s.resource, "i": {"cron": "0 2 * * *", "workingDaysOnly": true}}),
        )
        .await["setQualitySchedule"]
        .clone();
    assert_eq!(sched["nextRunAt"], "2026-12-13T18:00:00+00:00"); // Monday 12-14 02:00 Beijing

    // Scores and trend by day.
    let trend = app
        .ok(
            &s.mgr,
            "query($r:ID!){ qualityTrend(resourceId:$r, granularity:DAY, from:\"2026-12-01T00:00:00Z\", to:\"2026-12-31T00:00:00Z\"){ period runs averageScore minScore lastScore failedRules } }",
            json!({"r": s.resource}),
        )
        .await["qualityTrend"]
        .clone();
    assert_eq!(
        trend,
        json!([{"period": "2026-12-07", "runs": 3, "averageScore": 66.7, "minScore": 0.0, "lastScore": 100.0, "failedRules": 1}])
    );
    let monthly = app
        .ok(
            &s.mgr,
            "query($r:ID!){ qualityTrend(resourceId:$r, granularity:MONTH, from:\"2026-11-01T00:00:00Z\", to:\"2027-01-01T00:00:00Z\"){ period runs averageScore } }",
            json!({"r": s.resource}),
        )
        .await["qualityTrend"]
        .clone();
    assert_eq!(monthly, json!([{"period": "2026-12", "runs": 3, "averageScore": 66.7}]));
    assert_eq!(
        app.err(
            Some(&s.mgr),
            "query($r:ID!){ qualityTrend(resourceId:$r, granularity:DAY, from:\"2027-01-01T00:00:00Z\", to:\"2026-01-01T00:00:00Z\"){ period } }",
            json!({"r": s.resource})
        )
        .await,
        "invalid_input"
    );
    let status = app
        .ok(
            &s.mgr,
            "query($id:ID!){ catalogResource(id:$id){ qualityStatus { score trigger failed } } }",
            json!({"id": s.resource}),
        )
        .await;
    assert_eq!(status["catalogResource"]["qualityStatus"]["score"], 100.0);
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_source_is_a_run_error_and_a_collection_failure_not_a_quality_ticket() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let s = setup(&app).await;
    let missing = app.settings.data_dir.join("gone.db");
    app.ok(
        &s.admin,
        "mutation($u:String!){ createDataSource(code:\"gone\", name:\"已下线库\", url:$u){ id } }",
        json!({"u": format!("sqlite://{}?mode=ro", missing.display())}),
    )
    .await;
    // Bad input changes nothing.
    let tz = "mutation($id:ID!,$z:String!){ setDataSourceTimeZone(id:$id, timeZone:$z){ timeZone } }";
    let ds_id = app.ok(&s.admin, "{ dataSources { id code } }", json!({})).await["dataSources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "gone")
        .unwrap()["id"]
        .clone();
    assert_eq!(
        app.err(Some(&s.admin), tz, json!({"id": ds_id, "z": "Mars/Olympus"}))
            .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(Some(&s.mgr), tz, json!({"id": ds_id, "z": "UTC"})).await,
        "forbidden"
    );
    let zones = app.ok(&s.admin, "{ dataSources { code timeZone } }", json!({})).await;
    assert!(
        zones["dataSources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["timeZone"] == "Asia/Shanghai"),
        "{zones}"
    );
    let set = app.ok(&s.admin, tz, json!({"id": ds_id, "z": "UTC"})).await;
    assert_eq!(set["setDataSourceTimeZone"]["timeZone"], "UTC");
    let resource = create_resource(&app, &s.op.1, "WH-AIR-GONE", "gone.air").await;
    app.ok(
        &s.mgr,
        CREATE_RULE,
        json!({"i": rule(&resource, "pm25-null", "HIGH", json!({"kind": "completeness", "column": "pm25"}))}),
    )
    .await;
    let run = app.ok(&s.op.1, RUN, json!({"r": resource})).await["runQualityInspection"].clone();
    assert_eq!(run["status"], "error", "{run}");
    assert_eq!(run["errored"], 1);
    assert!(run["error"].as_str().unwrap().contains("不可达"), "{run}");
    assert!(run["score"].is_null());
    assert!(quality_tickets(&app, &s.mgr).await.is_empty());
    let failures = app
        .ok(
            &s.mgr,
            "{ tickets(filter:{kinds:[COLLECTION_FAILURE]}){ edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert!(
        !failures["tickets"]["edges"].as_array().unwrap().is_empty(),
        "{failures}"
    );
    // A ticket no rule found cannot be re-checked.
    let manual = app
        .ok(
            &s.mgr,
            &q::create(),
            json!({"i": {"kind": "QUALITY_ISSUE", "title": "人工发现的问题", "severity": "LOW"}}),
        )
        .await["createTicket"]["id"]
        .clone();
    assert_eq!(
        app.err(
            Some(&s.mgr),
            "mutation($t:ID!){ recheckTicket(ticketId:$t){ id } }",
            json!({"t": manual})
        )
        .await,
        "invalid_input"
    );
    app.stop().await;
}

/// The same rules on the same rows in PostgreSQL and MariaDB give the same metrics as SQLite.
#[tokio::test]
async fn the_same_rules_give_the_same_metrics_on_postgres_and_mariadb_sources() {
    if std::env::var("ECOGOV_NO_EXTERNAL_DB").is_ok_and(|v| v == "1") {
        println!("ECOGOV_NO_EXTERNAL_DB=1: skipping the PostgreSQL and MariaDB sources");
        return;
    }
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let s = setup(&app).await;
    standard_rules(&app, &s).await;
    let base = app.ok(&s.op.1, RUN, json!({"r": s.resource})).await["runQualityInspection"].clone();
    let sfx = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let pg_admin = "postgres://postgres@127.0.0.1:5432/postgres";
    let pg_db = format!("ecogov_qsrc_{sfx}");
    let admin_conn = Database::connect(pg_admin).await.unwrap();
    admin_conn
        .execute_unprepared(&format!("CREATE DATABASE {pg_db}"))
        .await
        .unwrap();
    let pg_url = format!("postgres://postgres@127.0.0.1:5432/{pg_db}");
    let my_table = format!("air_{sfx}");
    let my_url = "mysql://root@127.0.0.1:3306/test".to_owned();
    let sources = [
        ("pg", pg_url.clone(), "air".to_owned()),
        ("my", my_url.clone(), my_table.clone()),
    ];
    for (code, url, table) in &sources {
        let db = Database::connect(url.as_str()).await.unwrap();
        let ts = if *code == "pg" { "TIMESTAMP" } else { "DATETIME" };
        db.execute_unprepared(&format!(
            "CREATE TABLE {table} (station_code VARCHAR(8), observed_at {ts}, pm25 DECIMAL(6,1), contact_phone VARCHAR(20))"
        ))
        .await
        .unwrap();
        db.execute_unprepared(&AIR_ROWS.replace("INSERT INTO air", &format!("INSERT INTO {table}")))
            .await
            .unwrap();
        db.close().await.unwrap();
        app.ok(
            &s.admin,
            "mutation($c:String!,$u:String!){ createDataSource(code:$c, name:\"源库\", url:$u){ id } }",
            json!({"c": code, "u": url}),
        )
        .await;
    }
    for (code, _, table) in &sources {
        let resource = create_resource(&app, &s.op.1, &format!("WH-AIR-{code}"), &format!("{code}.{table}")).await;
        let s2 = Setup {
            resource: resource.clone(),
            admin: s.admin.clone(),
            mgr: s.mgr.clone(),
            reviewer: s.reviewer.clone(),
            op: s.op.clone(),
            source_url: String::new(),
        };
        standard_rules(&app, &s2).await;
        let run = app.ok(&s.op.1, RUN, json!({"r": resource})).await["runQualityInspection"].clone();
        assert_eq!(run["status"], "done", "{code}: {run}");
        for rule in ["pm25-null", "pm25-range", "key-unique"] {
            let (a, b) = (result(&base, rule), result(&run, rule));
            assert_eq!(
                (&a["status"], &a["checked"], &a["failing"]),
                (&b["status"], &b["checked"], &b["failing"]),
                "{code} {rule}"
            );
            assert_eq!(
                a["samples"].as_array().unwrap().len(),
                b["samples"].as_array().unwrap().len()
            );
        }
    }
    let my = Database::connect(my_url.as_str()).await.unwrap();
    my.execute_unprepared(&format!("DROP TABLE {my_table}")).await.unwrap();
    my.close().await.unwrap();
    app.stop().await;
    admin_conn
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"))
        .await
        .unwrap();
}

#[tokio::test]
async fn incremental_schedules_inspect_only_rows_newer_than_the_last_watermark() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let s = setup(&app).await;
    app.ok(
        &s.mgr,
        CREATE_RULE,
        json!({"i": rule(&s.resource, "pm25-null", "HIGH", json!({"kind": "completeness", "column": "pm25"}))}),
    )
    .await;
    let set = "mutation($r:ID!,$i:QualityScheduleInput!){ setQualitySchedule(resourceId:$r, input:$i){ incremental watermarkColumn } }";
    assert_eq!(
        app.err(
            Some(&s.mgr),
            set,
            json!({"r": s.resource, "i": {"cron": "0 * * * *", "incremental": true}})
        )
        .await,
        "invalid_input",
        "incremental needs a watermark column"
    );
    app.ok(
        &s.mgr,
        set,
        json!({"r": s.resource, "i": {"cron": "0 * * * *", "incremental": true, "watermarkColumn": "observed_at", "firstRunAt": "2026-12-07T01:00:00Z"}}),
    )
    .await;
    let latest = "query($r:ID!){ qualityRuns(resourceId:$r, first: 1){ edges { node { incremental results { checked failing } } } } }";
    assert_eq!(quality::scan_due(&app.core).await.unwrap().runs, 1);
    let first = app.ok(&s.mgr, latest, json!({"r": s.resource})).await["qualityRuns"]["edges"][0]["node"].clone();
    assert_eq!(
        first["results"][0],
        json!({"checked": 6, "failing": 2}),
        "no watermark yet: all rows"
    );
    let src = Database::connect(&s.source_url).await.unwrap();
    src.execute_unprepared(
        "INSERT INTO air VALUES ('4201A', '2026-12-07 02:00:00', NULL, '13812345678'), ('4202A', '2026-12-07 02:00:00', 12, '13987654321')",
    )
    .await
    .unwrap();
    src.close().await.unwrap();
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(quality::scan_due(&app.core).await.unwrap().runs, 1);
    let second = app.ok(&s.mgr, latest, json!({"r": s.resource})).await["qualityRuns"]["edges"][0]["node"].clone();
    assert_eq!(second["incremental"], true);
    assert_eq!(
        second["results"][0],
        json!({"checked": 2, "failing": 1}),
        "only the two new rows"
    );
    app.stop().await;
}
