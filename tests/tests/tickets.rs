//! Tickets through the GraphQL API: the closed loop, conflicts, idempotency, bad input,
//! deduplication, visibility, listing.

use base64::Engine;
use ecogov_domain::role::Role;
use ecogov_domain::service::tickets::{Finding, report_finding};
use ecogov_domain::workflow::{Severity, TicketKind};
use serde_json::{Value, json};
use sha2::Digest;

use crate::{TestApp, q};

pub struct Cast {
    pub dept: String,
    pub manager: (String, String),
    pub reviewer: (String, String),
    pub operator: (String, String),
    pub auditor: (String, String),
}

pub async fn cast(app: &TestApp) -> Cast {
    let dept = app.department("DRC", "数据资源中心", false).await;
    let manager = app.user("mgr", Role::Manager, Some(&dept)).await;
    let reviewer = app.user("rev", Role::Manager, Some(&dept)).await;
    let operator = app.user("op", Role::Operator, Some(&dept)).await;
    let auditor = app.user("aud", Role::Auditor, None).await;
    let admin = app.admin().await;
    app.ok(
        &admin,
        "mutation($d:ID!,$m:ID){ setDepartmentManager(departmentId:$d, managerId:$m){ id } }",
        json!({"d": dept, "m": manager.0}),
    )
    .await;
    Cast {
        dept,
        manager,
        reviewer,
        operator,
        auditor,
    }
}

pub async fn new_ticket(app: &TestApp, token: &str, dept: &str, severity: &str) -> Value {
    let d = app.ok(token, &q::create(), json!({"i": {"kind": "QUALITY_ISSUE", "title": "国控站 PM2.5 小时数据缺测", "description": "东湖梨园站 6 小时缺测", "severity": severity, "departmentId": dept, "subject": {"kind": "dataset", "id": "air_station_hourly"}}})).await;
    d["createTicket"].clone()
}

pub async fn act(app: &TestApp, token: &str, ticket: &Value, input: Value) -> Value {
    let mut i = input;
    i["ticketId"] = ticket["id"].clone();
    i["expectedVersion"] = ticket["version"].clone();
    app.ok(token, &q::transition(), json!({"i": i})).await["transition"].clone()
}

pub async fn upload(app: &TestApp, token: &str, ticket: &Value, content: &[u8]) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD.encode(content);
    app.ok(token, q::UPLOAD, json!({"i": {"ticketId": ticket["id"], "fileName": "整改报告.pdf", "contentType": "application/pdf", "contentBase64": b64}})).await["uploadEvidence"].clone()
}

#[tokio::test]
async fn closed_loop_with_rejection_and_independent_review() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let (mgr, op, rev) = (&c.manager.1, &c.operator.1, &c.reviewer.1);
    let t = new_ticket(&app, mgr, &c.dept, "HIGH").await;
    assert_eq!(t["state"], "NEW");
    let events: Vec<&str> = t["availableTransitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, vec!["ASSIGN", "CLOSE_INVALID"]);

    let t = act(&app, mgr, &t, json!({"event": "ASSIGN", "assigneeId": c.operator.0})).await;
    assert_eq!(t["state"], "ASSIGNED");
    assert_eq!(t["assignee"]["username"], "op");
    let feedback = t["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["clock"] == "FEEDBACK")
        .unwrap();
    // Assigned Monday 09:00: one working day later is Tuesday 09:00 (Wuhan time).
    assert_eq!(feedback["deadlineLocal"], "2026-12-08 09:00");

    let t = act(&app, op, &t, json!({"event": "START"})).await;
    assert_eq!(t["state"], "RECTIFYING");
    // Submitting without evidence is refused and changes nothing.
    let code = app
        .err(
            Some(op),
            &q::transition(),
            json!({"i": {"ticketId": t["id"], "event": "SUBMIT", "expectedVersion": t["version"], "note": "已补采"}}),
        )
        .await;
    assert_eq!(code, "missing_field");
    let evidence = b"%PDF-1.4 rectification report";
    let a = upload(&app, op, &t, evidence).await;
    assert_eq!(a["sha256"], hex::encode(sha2::Sha256::digest(evidence)));
    let t = app.ok(op, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    let t = act(
        &app,
        op,
        &t,
        json!({"event": "SUBMIT", "note": "已联系运维补采数据", "evidenceIds": [a["id"]]}),
    )
    .await;
    assert_eq!(t["state"], "PENDING_REVIEW");

    // The operator cannot review; a reject needs a reason.
    assert_eq!(
        app.err(
            Some(op),
            &q::transition(),
            json!({"i": {"ticketId": t["id"], "event": "APPROVE", "expectedVersion": t["version"]}})
        )
        .await,
        "forbidden"
    );
    assert_eq!(
        app.err(
            Some(mgr),
            &q::transition(),
            json!({"i": {"ticketId": t["id"], "event": "REJECT", "expectedVersion": t["version"]}})
        )
        .await,
        "missing_field"
    );
    let t = act(
        &app,
        mgr,
        &t,
        json!({"event": "REJECT", "reason": "补采数据未附质控记录"}),
    )
    .await;
    assert_eq!(t["state"], "RECTIFYING");

    let a2 = upload(&app, op, &t, b"qc record").await;
    let t = app.ok(op, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    let t = act(
        &app,
        op,
        &t,
        json!({"event": "SUBMIT", "note": "补充质控记录", "evidenceIds": [a2["id"]]}),
    )
    .await;
    let t = act(&app, rev, &t, json!({"event": "APPROVE"})).await;
    assert_eq!(t["state"], "CLOSED");
    let resolution = t["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["clock"] == "RESOLUTION")
        .unwrap();
    assert_eq!(resolution["status"], "stopped");

    let full = app.ok(rev, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    let path: Vec<&str> = full["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(path, vec!["ASSIGN", "START", "SUBMIT", "REJECT", "SUBMIT", "APPROVE"]);
    assert_eq!(full["history"][3]["reason"], "补采数据未附质控记录");

    // Reopen is counted.
    let t = act(&app, mgr, &t, json!({"event": "REOPEN", "reason": "复查发现仍有缺测"})).await;
    assert_eq!(t["reopenCount"], 1);
    assert_eq!(t["state"], "RECTIFYING");

    // The assignee got an assignment email and a rejection email, in Chinese, over SMTP.
    let mails = app.smtp.wait_for(2, std::time::Duration::from_secs(60)).await;
    let subjects: Vec<String> = mails.iter().map(|m| m.subject()).collect();
    assert!(
        subjects.contains(&"【生态环境数据治理】新工单待处理".to_owned()),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"【生态环境数据治理】整改未通过复核".to_owned()),
        "{subjects:?}"
    );
    let reject = mails.iter().find(|m| m.subject().contains("未通过")).unwrap();
    assert!(reject.text_body().unwrap().contains("补采数据未附质控记录"));
    let html = reject.html_body().unwrap();
    assert!(
        html.contains("ecogov.example") && html.contains("tickets") && html.contains("查看工单"),
        "{html}"
    );
    assert_eq!(reject.to, vec!["op@sthjj.wuhan.gov.cn".to_owned()]);
    app.stop().await;
}

#[tokio::test]
async fn a_manager_cannot_approve_their_own_rectification() {
    let app = TestApp::spawn_with(crate::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let mgr = &c.manager.1;
    let t = new_ticket(&app, mgr, &c.dept, "LOW").await;
    let t = act(&app, mgr, &t, json!({"event": "ASSIGN", "assigneeId": c.manager.0})).await;
    let t = act(&app, mgr, &t, json!({"event": "START"})).await;
    let a = upload(&app, mgr, &t, b"evidence").await;
    let t = app.ok(mgr, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    let t = act(
        &app,
        mgr,
        &t,
        json!({"event": "SUBMIT", "note": "done", "evidenceIds": [a["id"]]}),
    )
    .await;
    assert!(
        t["availableTransitions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["event"] != "APPROVE")
    );
    let code = app
        .err(
            Some(mgr),
            &q::transition(),
            json!({"i": {"ticketId": t["id"], "event": "APPROVE", "expectedVersion": t["version"]}}),
        )
        .await;
    assert_eq!(code, "self_review");
    let t2 = app.ok(mgr, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    assert_eq!(t2["state"], "PENDING_REVIEW");
    assert_eq!(t2["version"], t["version"]);
    app.stop().await;
}

#[tokio::test]
async fn stale_version_conflicts_and_idempotent_replay_returns_first_result() {
    let app = TestApp::spawn_with(crate::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let mgr = &c.manager.1;
    let t = new_ticket(&app, mgr, &c.dept, "MEDIUM").await;
    let input = json!({"i": {"ticketId": t["id"], "event": "ASSIGN", "expectedVersion": t["version"], "assigneeId": c.operator.0, "idempotencyKey": "assign-1"}});
    let first = app.ok(mgr, &q::transition(), input.clone()).await["transition"].clone();
    let replay = app.ok(mgr, &q::transition(), input.clone()).await["transition"].clone();
    assert_eq!(first["version"], replay["version"]);
    assert_eq!(first["state"], "ASSIGNED");
    // Same stale version without the key: conflict, nothing changes.
    let r = app.gql(Some(mgr), &q::transition(), json!({"i": {"ticketId": t["id"], "event": "REASSIGN", "expectedVersion": t["version"], "assigneeId": c.manager.0}})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "version_conflict");
    assert_eq!(r["errors"][0]["extensions"]["currentVersion"], first["version"]);
    let now = app.ok(mgr, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    assert_eq!(now["assignee"]["username"], "op");
    assert_eq!(now["history"].as_array().unwrap().len(), 1);
    app.stop().await;
}

/// Transitions racing on one ticket with the same expected version (all pass the early
/// version check, then meet at the guarded write): exactly one commits; the others get a
/// version conflict and write nothing: no history, audit event, clock restart or email.
#[tokio::test]
async fn racing_transitions_commit_once_and_losers_write_nothing() {
    let app = TestApp::spawn_with(crate::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let mgr = &c.manager.1;
    let t = new_ticket(&app, mgr, &c.dept, "MEDIUM").await;
    let assigned = app
        .ok(mgr, &q::transition(), json!({"i": {"ticketId": t["id"], "event": "ASSIGN", "expectedVersion": t["version"], "assigneeId": c.operator.0}}))
        .await["transition"]
        .clone();
    let transition = q::transition();
    let race = |to: &str| {
        app.gql(
            Some(mgr),
            &transition,
            json!({"i": {"ticketId": t["id"], "event": "REASSIGN", "expectedVersion": assigned["version"], "assigneeId": to}}),
        )
    };
    let (r1, r2, r3, r4, r5, r6) = tokio::join!(
        race(&c.manager.0),
        race(&c.reviewer.0),
        race(&c.operator.0),
        race(&c.manager.0),
        race(&c.reviewer.0),
        race(&c.operator.0)
    );
    let results = [r1, r2, r3, r4, r5, r6];
    let winners: Vec<&Value> = results.iter().filter(|r| r["errors"].is_null()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| !r["errors"].is_null()) {
        assert_eq!(r["errors"][0]["extensions"]["code"], "version_conflict", "{r}");
    }
    let won = &winners[0]["data"]["transition"];
    let now = app.ok(mgr, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    assert_eq!(now["version"], won["version"]);
    assert_eq!(now["version"].as_i64(), assigned["version"].as_i64().map(|v| v + 1));
    assert_eq!(now["assignee"]["id"], won["assignee"]["id"]);
    assert_eq!(now["history"].as_array().unwrap().len(), 2, "assign and one reassign");
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.transition' AND subject_id = '{id}'"
        ))
        .await,
        2
    );
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM notifications WHERE ticket_id = {id}"))
            .await,
        2,
        "one email for the assignment, one for the winning reassignment"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT CAST(MAX(deadline_version) AS BIGINT) FROM sla_clocks WHERE ticket_id = {id} AND clock = 'feedback'"
        ))
        .await,
        now["sla"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["clock"] == "FEEDBACK")
            .unwrap()["deadlineVersion"]
            .as_i64()
            .unwrap()
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_input_gets_stable_codes_and_changes_nothing() {
    let app = TestApp::spawn_with(crate::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let mgr = &c.manager.1;
    let count = |v: Value| v["tickets"]["totalCount"].as_i64();
    let _ = count;
    let before = app
        .ok(mgr, "{ tickets(first: 5) { edges { node { id } } } }", json!({}))
        .await;
    for (input, code) in [
        (
            json!({"kind": "QUALITY_ISSUE", "title": "", "severity": "LOW"}),
            "invalid_input",
        ),
        (
            json!({"kind": "QUALITY_ISSUE", "title": "x".repeat(201), "severity": "LOW"}),
            "invalid_input",
        ),
        (
            json!({"kind": "QUALITY_ISSUE", "title": "ok", "severity": "LOW", "departmentId": "999"}),
            "invalid_input",
        ),
        (
            json!({"kind": "QUALITY_ISSUE", "title": "ok", "severity": "LOW", "departmentId": "abc"}),
            "invalid_input",
        ),
        (
            json!({"kind": "QUALITY_ISSUE", "title": "ok", "severity": "LOW", "subject": {"kind": "spaceship", "id": "1"}}),
            "invalid_input",
        ),
    ] {
        assert_eq!(
            app.err(Some(mgr), &q::create(), json!({"i": input})).await,
            code,
            "{input}"
        );
    }
    let after = app
        .ok(mgr, "{ tickets(first: 5) { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(before, after);
    let t = new_ticket(&app, mgr, &c.dept, "LOW").await;
    // Unknown assignee, wrong role as assignee, event not in the table.
    assert_eq!(
        app.err(
            Some(mgr),
            &q::transition(),
            json!({"i": {"ticketId": t["id"], "event": "ASSIGN", "expectedVersion": 1, "assigneeId": "9999"}})
        )
        .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(
            Some(mgr),
            &q::transition(),
            json!({"i": {"ticketId": t["id"], "event": "ASSIGN", "expectedVersion": 1, "assigneeId": c.auditor.0}})
        )
        .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(
            Some(mgr),
            &q::transition(),
            json!({"i": {"ticketId": t["id"], "event": "APPROVE", "expectedVersion": 1}})
        )
        .await,
        "transition_not_allowed"
    );
    assert_eq!(
        app.err(
            Some(mgr),
            &q::transition(),
            json!({"i": {"ticketId": "424242", "event": "ASSIGN", "expectedVersion": 1}})
        )
        .await,
        "not_found"
    );
    assert_eq!(
        app.err(
            Some(mgr),
            q::UPLOAD,
            json!({"i": {"ticketId": t["id"], "fileName": "a.txt", "contentBase64": "***"}})
        )
        .await,
        "invalid_input"
    );
    let same = app.ok(mgr, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    assert_eq!(same["version"], 1);
    assert_eq!(same["state"], "NEW");
    app.stop().await;
}

#[tokio::test]
async fn automatic_findings_are_deduplicated_while_open() {
    let app = TestApp::spawn_with(crate::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let finding = |n: i32| Finding {
        kind: TicketKind::QualityIssue,
        source: "inspection_rule".into(),
        dedup_key: "rule:pm25_null:air_station_hourly".into(),
        title: "PM2.5 空值率超阈值".into(),
        description: "空值率 3.2%".into(),
        severity: Severity::Medium,
        subject: None,
        department_id: Some(c.dept.parse().unwrap()),
        detail: json!({"run": n, "null_rate": 0.032}),
    };
    let (t1, new1) = report_finding(&app.core, finding(1)).await.unwrap();
    let (t2, new2) = report_finding(&app.core, finding(2)).await.unwrap();
    let (t3, new3) = report_finding(&app.core, finding(3)).await.unwrap();
    assert!(new1 && !new2 && !new3);
    assert_eq!(t1.id, t2.id);
    assert_eq!(t3.recurrence_count, 3);
    let occ = app
        .ok(
            &c.manager.1,
            "query($id:ID!){ ticket(id:$id){ recurrenceCount occurrences { detail } } }",
            json!({"id": t1.id.to_string()}),
        )
        .await;
    assert_eq!(occ["ticket"]["occurrences"].as_array().unwrap().len(), 3);
    assert_eq!(occ["ticket"]["occurrences"][2]["detail"]["run"], 3);
    // Once closed, the same finding opens a new ticket.
    let t = app
        .ok(&c.manager.1, &q::ticket(), json!({"id": t1.id.to_string()}))
        .await["ticket"]
        .clone();
    act(
        &app,
        &c.manager.1,
        &t,
        json!({"event": "CLOSE_INVALID", "reason": "规则阈值调整"}),
    )
    .await;
    let (t4, new4) = report_finding(&app.core, finding(4)).await.unwrap();
    assert!(new4);
    assert_ne!(t4.id, t1.id);
    app.stop().await;
}

#[tokio::test]
async fn department_users_see_only_their_own_requests() {
    let app = TestApp::spawn_with(crate::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let ops = app.department("CITY-OPS", "市城市运行管理中心", true).await;
    let credit = app.department("CREDIT", "市社会信用信息中心", true).await;
    let (_, ops_user) = app.user("cityops", Role::Department, Some(&ops)).await;
    let (_, credit_user) = app.user("credit", Role::Department, Some(&credit)).await;
    let req = app
        .ok(
            &ops_user,
            &q::create(),
            json!({"i": {"kind": "DATA_REQUEST", "title": "申请空气质量小时数据", "severity": "MEDIUM"}}),
        )
        .await["createTicket"]
        .clone();
    assert_eq!(req["state"], "SUBMITTED");
    assert_eq!(req["department"]["id"], ops);
    // A department user cannot open internal kinds.
    assert_eq!(
        app.err(
            Some(&ops_user),
            &q::create(),
            json!({"i": {"kind": "QUALITY_ISSUE", "title": "x", "severity": "LOW"}})
        )
        .await,
        "forbidden"
    );
    let internal = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    let list = |tok: String| {
        let app = &app;
        async move {
            app.ok(&tok, "{ tickets(first: 50) { edges { node { id } } } }", json!({}))
                .await["tickets"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(ops_user.clone()).await,
        vec![req["id"].as_str().unwrap().to_owned()]
    );
    assert!(list(credit_user.clone()).await.is_empty());
    assert_eq!(
        app.err(Some(&credit_user), &q::ticket(), json!({"id": req["id"]}))
            .await,
        "not_found"
    );
    assert_eq!(
        app.err(Some(&ops_user), &q::ticket(), json!({"id": internal["id"]}))
            .await,
        "not_found"
    );
    assert_eq!(list(c.manager.1.clone()).await.len(), 2);
    // The manager reviews, the department confirms delivery.
    let r = act(&app, &c.manager.1, &req, json!({"event": "START_REVIEW"})).await;
    let r = act(&app, &c.manager.1, &r, json!({"event": "APPROVE"})).await;
    let r = act(&app, &c.operator.1, &r, json!({"event": "PROVISION"})).await;
    let r = act(
        &app,
        &c.operator.1,
        &r,
        json!({"event": "DELIVER", "note": "已通过共享交换平台推送"}),
    )
    .await;
    let r = app.ok(&ops_user, &q::ticket(), json!({"id": r["id"]})).await["ticket"].clone();
    assert!(
        r["availableTransitions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["event"] == "CONFIRM")
    );
    let r = act(&app, &ops_user, &r, json!({"event": "CONFIRM"})).await;
    assert_eq!(r["state"], "CLOSED");
    app.stop().await;
}

#[tokio::test]
async fn list_filters_sorts_and_paginates() {
    let app = TestApp::spawn_with(crate::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let mgr = &c.manager.1;
    let mut ids = Vec::new();
    for sev in ["LOW", "CRITICAL", "MEDIUM", "HIGH", "LOW"] {
        ids.push(new_ticket(&app, mgr, &c.dept, sev).await);
    }
    act(
        &app,
        mgr,
        &ids[0],
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    let page = |after: Option<String>| {
        let app = &app;
        async move {
            app.ok(mgr, "query($a:String){ tickets(first: 2, after: $a, sort: CREATED_ASC) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }", json!({"a": after})).await["tickets"].clone()
        }
    };
    let p1 = page(None).await;
    let p2 = page(p1["pageInfo"]["endCursor"].as_str().map(str::to_owned)).await;
    let p3 = page(p2["pageInfo"]["endCursor"].as_str().map(str::to_owned)).await;
    let seen: Vec<String> = [&p1, &p2, &p3]
        .iter()
        .flat_map(|p| {
            p["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        seen,
        ids.iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    );
    assert_eq!(p3["pageInfo"]["hasNextPage"], false);
    let assigned = app
        .ok(
            mgr,
            "query($a:ID){ tickets(filter: {assigneeId: $a, states: [ASSIGNED]}) { edges { node { id } } } }",
            json!({"a": c.operator.0}),
        )
        .await;
    assert_eq!(assigned["tickets"]["edges"].as_array().unwrap().len(), 1);
    let sev = app
        .ok(
            mgr,
            "{ tickets(sort: SEVERITY_DESC, first: 1) { edges { node { severity } } } }",
            json!({}),
        )
        .await;
    assert_eq!(sev["tickets"]["edges"][0]["node"]["severity"], "CRITICAL");
    app.stop().await;
}
