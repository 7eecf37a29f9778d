//! Working-day calendar queries and SLA clocks: deadlines, warnings only in business hours,
//! exactly one breach email and one escalation, pauses, calendar edits.

use std::time::Duration;

use ecogov_domain::role::Role;
use serde_json::json;

use crate::tickets::{act, cast, new_ticket};
use crate::{Options, TestApp, q, sh};

#[tokio::test]
async fn calendar_queries_follow_the_chinese_schedule() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (_, op) = app.user("op", Role::Operator, None).await;
    let d = app.ok(&op, r#"{ sat: isWorkingDay(date: "2026-02-14") fri: isWorkingDay(date: "2026-10-02") mon: isWorkingDay(date: "2026-12-07") sun: isWorkingDay(date: "2026-12-06")
        next: nextWorkingDays(from: "2026-09-30", n: 3)
        add: addWorkingTime(start: "2026-09-30T02:00:00Z", minutes: 420) }"#, json!({})).await;
    assert_eq!(d["sat"], true, "2026-02-14 is a make-up working Saturday");
    assert_eq!(d["fri"], false, "National Day");
    assert_eq!(d["mon"], true);
    assert_eq!(d["sun"], false);
    assert_eq!(d["next"], json!(["2026-10-08", "2026-10-09", "2026-10-10"]));
    // Wednesday 10:00 + one working day = Thursday 2026-10-08 10:00 (Wuhan) after the holiday.
    assert_eq!(d["add"], "2026-10-08T02:00:00+00:00");

    // 2027 is not in any package: admins add it. Operators cannot.
    let admin = app.admin().await;
    let days = json!([{"date": "2027-01-01", "working": false, "name": "元旦"}, {"date": "2027-02-20", "working": true, "name": "春节调休上班"}]);
    assert_eq!(
        app.err(
            Some(&op),
            "mutation($d:[CalendarDayInput!]!){ setCalendarDays(days:$d, replaceYear: 2027) }",
            json!({"d": days})
        )
        .await,
        "forbidden"
    );
    app.ok(
        &admin,
        "mutation($d:[CalendarDayInput!]!){ setCalendarDays(days:$d, replaceYear: 2027) }",
        json!({"d": days}),
    )
    .await;
    let d = app.ok(&op, r#"{ a: isWorkingDay(date: "2027-01-01") b: isWorkingDay(date: "2027-02-20") c: calendar(year: 2027) { mode periods { start end } days { date name source } } }"#, json!({})).await;
    assert_eq!(d["a"], false);
    assert_eq!(d["b"], true);
    assert_eq!(d["c"]["days"].as_array().unwrap().len(), 2);
    assert_eq!(
        d["c"]["periods"],
        json!([{"start": "08:30", "end": "12:00"}, {"start": "14:00", "end": "17:30"}])
    );
    // A date outside the year being replaced is refused and nothing changes.
    let bad = json!([{"date": "2028-01-01", "working": false, "name": "元旦"}]);
    assert_eq!(
        app.err(
            Some(&admin),
            "mutation($d:[CalendarDayInput!]!){ setCalendarDays(days:$d, replaceYear: 2027) }",
            json!({"d": bad})
        )
        .await,
        "invalid_input"
    );
    let d = app
        .ok(&op, r#"{ c: calendar(year: 2027) { days { date } } }"#, json!({}))
        .await;
    assert_eq!(d["c"]["days"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn overdue_ticket_yields_exactly_one_breach_email_and_one_escalation() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let t = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    act(
        &app,
        &c.manager.1,
        &t,
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    let assigned = app.smtp.wait_for(1, Duration::from_secs(60)).await;
    assert_eq!(assigned.len(), 1);

    // Tuesday 10:00: the feedback deadline (Tuesday 09:00) has passed.
    app.clock.set(sh(2026, 12, 8, 10, 0));
    let first = app.scan().await;
    assert_eq!(first.breaches, 1);
    // Scanning again (and the background scanner) must not send anything more.
    assert_eq!(app.scan().await.notifications, 0);
    let mails = app.smtp.wait_for(3, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails_later = app.smtp.received();
    assert_eq!(
        mails.len(),
        3,
        "{:?}",
        mails.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    assert_eq!(mails_later.len(), 3);
    let breach: Vec<_> = mails
        .iter()
        .filter(|m| m.subject() == "【生态环境数据治理】工单已超出反馈时限")
        .collect();
    let escalation: Vec<_> = mails
        .iter()
        .filter(|m| m.subject() == "【生态环境数据治理】超期升级：工单已超出反馈时限")
        .collect();
    assert_eq!(breach.len(), 1);
    assert_eq!(escalation.len(), 1);
    assert_eq!(breach[0].to, vec!["op@sthjj.wuhan.gov.cn".to_owned()]);
    assert_eq!(escalation[0].to, vec!["mgr@sthjj.wuhan.gov.cn".to_owned()]);
    let text = breach[0].text_body().unwrap();
    assert!(text.contains("2026-12-08 09:00（北京时间）"), "{text}");
    assert!(text.contains("接单反馈"), "{text}");
    assert!(escalation[0].html_body().unwrap().contains("用户op"));

    let tk = app.ok(&c.manager.1, &q::ticket(), json!({"id": t["id"]})).await["ticket"].clone();
    let fb = tk["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["clock"] == "FEEDBACK")
        .unwrap()
        .clone();
    assert_eq!(fb["breachedAt"], "2026-12-08T01:00:00+00:00");
    let overdue = app
        .ok(
            &c.manager.1,
            "{ tickets(filter: {overdue: true}) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(overdue["tickets"]["edges"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn warnings_wait_for_business_hours() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let t = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    let t = act(
        &app,
        &c.manager.1,
        &t,
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    // 75 % of 420 minutes from Monday 09:00 is Monday 15:15.
    app.clock.set(sh(2026, 12, 7, 18, 0));
    assert_eq!(app.scan().await.warnings, 0, "no reminders outside business hours");
    app.clock.set(sh(2026, 12, 8, 8, 40));
    let r = app.scan().await;
    assert_eq!((r.warnings, r.notifications), (1, 1));
    assert_eq!(app.scan().await.notifications, 0);
    let _ = t;
    app.stop().await;
}

#[tokio::test]
async fn waiting_for_an_external_department_pauses_the_resolution_clock() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let t = new_ticket(&app, &c.manager.1, &c.dept, "CRITICAL").await;
    let t = act(
        &app,
        &c.manager.1,
        &t,
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    let t = act(&app, &c.operator.1, &t, json!({"event": "START"})).await;
    app.clock.set(sh(2026, 12, 7, 11, 0)); // 120 business minutes consumed
    assert_eq!(
        app.err(
            Some(&c.operator.1),
            &q::transition(),
            json!({"i": {"ticketId": t["id"], "event": "AWAIT_EXTERNAL", "expectedVersion": t["version"]}})
        )
        .await,
        "missing_field"
    );
    let t = act(
        &app,
        &c.operator.1,
        &t,
        json!({"event": "AWAIT_EXTERNAL", "reason": "等待省站提供校准记录"}),
    )
    .await;
    let res = t["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["clock"] == "RESOLUTION")
        .unwrap()
        .clone();
    assert_eq!(res["status"], "paused");
    assert_eq!(res["consumedMinutes"], 120);
    app.clock.set(sh(2026, 12, 9, 9, 0)); // two days later
    assert_eq!(app.scan().await.breaches, 0);
    let t = act(&app, &c.operator.1, &t, json!({"event": "RESUME"})).await;
    let res = t["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["clock"] == "RESOLUTION")
        .unwrap()
        .clone();
    // 300 minutes left from Wednesday 09:00: 180 until 12:00, 120 more -> 16:00.
    assert_eq!(res["deadlineLocal"], "2026-12-09 16:00");
    let p = app
        .ok(
            &c.manager.1,
            "query($id:ID!){ ticket(id:$id){ slaPauses { reason pausedAt resumedAt } } }",
            json!({"id": t["id"]}),
        )
        .await;
    assert_eq!(p["ticket"]["slaPauses"][0]["reason"], "等待省站提供校准记录");
    assert!(p["ticket"]["slaPauses"][0]["resumedAt"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn calendar_and_policy_edits_recompute_open_clocks_but_keep_breaches() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let admin = app.admin().await;
    let t1 = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    let t1 = act(
        &app,
        &c.manager.1,
        &t1,
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    app.clock.set(sh(2026, 12, 8, 10, 0));
    assert_eq!(app.scan().await.breaches, 1);
    let t2 = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    let t2 = act(
        &app,
        &c.manager.1,
        &t2,
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    let fb = |t: &serde_json::Value| {
        t["sla"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["clock"] == "FEEDBACK")
            .unwrap()
            .clone()
    };
    assert_eq!(fb(&t2)["deadlineLocal"], "2026-12-09 10:00");
    // Wednesday becomes a holiday: the open clock moves to Thursday, the old breach stays.
    app.ok(
        &admin,
        r#"mutation { setCalendarDays(days: [{date: "2026-12-09", working: false, name: "临时停工"}]) }"#,
        json!({}),
    )
    .await;
    let t2b = app.ok(&c.manager.1, &q::ticket(), json!({"id": t2["id"]})).await["ticket"].clone();
    assert_eq!(fb(&t2b)["deadlineLocal"], "2026-12-10 10:00");
    assert!(fb(&t2b)["deadlineVersion"].as_i64() > fb(&t2)["deadlineVersion"].as_i64());
    let t1b = app.ok(&c.manager.1, &q::ticket(), json!({"id": t1["id"]})).await["ticket"].clone();
    assert_eq!(fb(&t1b)["breachedAt"], "2026-12-08T01:00:00+00:00");
    // A policy edit: feedback within 2 working days for quality issues.
    app.ok(&admin, "mutation { setSlaPolicy(input: {kind: QUALITY_ISSUE, feedbackMinutes: 840, resolutionMinutes: 4200}) { feedbackMinutes } }", json!({})).await;
    let t2c = app.ok(&c.manager.1, &q::ticket(), json!({"id": t2["id"]})).await["ticket"].clone();
    assert_eq!(fb(&t2c)["budgetMinutes"], 840);
    assert_eq!(fb(&t2c)["deadlineLocal"], "2026-12-11 10:00");
    // Both edits are audited.
    let (aid, aud) = c.auditor.clone();
    let _ = aid;
    let ev = app
        .ok(
            &aud,
            "{ auditEvents(first: 50) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = ev["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"calendar.set_days") && actions.contains(&"sla.set_policy"),
        "{actions:?}"
    );
    // Bad policy input changes nothing.
    assert_eq!(app.err(Some(&admin), "mutation { setSlaPolicy(input: {kind: QUALITY_ISSUE, feedbackMinutes: 0, resolutionMinutes: 10}) { feedbackMinutes } }", json!({})).await, "invalid_input");
    assert_eq!(app.err(Some(&admin), "mutation { setSlaPolicy(input: {kind: QUALITY_ISSUE, feedbackMinutes: 10, resolutionMinutes: 10, warnRatio: 1.5}) { feedbackMinutes } }", json!({})).await, "invalid_input");
    app.stop().await;
}

#[tokio::test]
async fn business_hours_and_24x7_mode_are_configurable() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let (_, op) = app.user("op", Role::Operator, None).await;
    let set = "mutation($p:[PeriodInput!]!,$m:String!){ setBusinessHours(periods:$p, mode:$m) }";
    // Friday 16:00 and Saturday 10:00 (Wuhan) + 120 business minutes.
    let add = r#"{ fri: addWorkingTime(start: "2026-12-11T08:00:00Z", minutes: 120) sat: addWorkingTime(start: "2026-12-12T02:00:00Z", minutes: 120) }"#;
    let get = |d: serde_json::Value| {
        (
            d["fri"].as_str().unwrap().to_owned(),
            d["sat"].as_str().unwrap().to_owned(),
        )
    };
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        get(app.ok(&op, add, json!({})).await),
        pair("2026-12-14T01:00:00+00:00", "2026-12-14T02:30:00+00:00")
    );
    app.ok(
        &admin,
        set,
        json!({"p": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}], "m": "office"}),
    )
    .await;
    assert_eq!(
        get(app.ok(&op, add, json!({})).await),
        pair("2026-12-11T10:00:00+00:00", "2026-12-14T03:00:00+00:00")
    );
    app.ok(
        &admin,
        set,
        json!({"p": [{"start": "09:00", "end": "12:00"}], "m": "24x7"}),
    )
    .await;
    assert_eq!(
        get(app.ok(&op, add, json!({})).await),
        pair("2026-12-11T10:00:00+00:00", "2026-12-12T04:00:00+00:00")
    );
    for bad in [
        json!([{"start": "25:00", "end": "26:00"}]),
        json!([{"start": "10:00", "end": "09:00"}]),
        json!([{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]),
        json!([]),
    ] {
        assert_eq!(
            app.err(Some(&admin), set, json!({"p": bad, "m": "office"})).await,
            "invalid_input",
            "{bad}"
        );
    }
    assert_eq!(
        app.err(
            Some(&admin),
            set,
            json!({"p": [{"start": "09:00", "end": "12:00"}], "m": "sometimes"})
        )
        .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(
            Some(&op),
            set,
            json!({"p": [{"start": "09:00", "end": "12:00"}], "m": "office"})
        )
        .await,
        "forbidden"
    );
    // Still 24x7 after the refused edits.
    assert_eq!(
        get(app.ok(&op, add, json!({})).await),
        pair("2026-12-11T10:00:00+00:00", "2026-12-12T04:00:00+00:00")
    );
    app.stop().await;
}
