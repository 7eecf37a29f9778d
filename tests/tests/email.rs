//! Email delivery: retries with backoff through a failing SMTP server, dead letters for
//! admins, and retry from the dead-letter list.

use std::time::Duration;

use serde_json::json;

use crate::TestApp;
use crate::tickets::{act, cast, new_ticket};

async fn notification_status(app: &TestApp, admin: &str) -> (String, i64) {
    let d = app
        .ok(
            admin,
            "{ notifications(first: 50) { edges { node { kind status attempts lastError } } } }",
            json!({}),
        )
        .await;
    let Some(n) = d["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["kind"] == "assigned")
    else {
        return (String::new(), 0);
    };
    (
        n["status"].as_str().unwrap_or_default().to_owned(),
        n["attempts"].as_i64().unwrap_or_default(),
    )
}

async fn wait_status(app: &TestApp, admin: &str, want: &str, attempts: i64) {
    for _ in 0..600 {
        let (s, a) = notification_status(app, admin).await;
        if s == want && a >= attempts {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "notification never reached {want}/{attempts}: {:?}",
        notification_status(app, admin).await
    );
}

#[tokio::test]
async fn failed_sends_are_retried_with_backoff() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let admin = app.admin().await;
    app.smtp.fail_next(2);
    let t = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    act(
        &app,
        &c.manager.1,
        &t,
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    wait_status(&app, &admin, "pending", 1).await;
    // Not due yet: the backoff holds it back.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(notification_status(&app, &admin).await, ("pending".into(), 1));
    app.clock.advance(chrono::Duration::minutes(5));
    wait_status(&app, &admin, "pending", 2).await;
    app.clock.advance(chrono::Duration::minutes(5));
    wait_status(&app, &admin, "sent", 3).await;
    let mails = app.smtp.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn exhausted_emails_are_dead_letters_an_admin_can_retry() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let admin = app.admin().await;
    app.smtp.fail_next(5);
    let t = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    act(
        &app,
        &c.manager.1,
        &t,
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    for attempt in 1..=4 {
        wait_status(&app, &admin, "pending", attempt).await;
        // Past the backoff (30 s, 1, 2, 4 min) but far from any SLA warning, whose emails would
        // take the injected failures.
        app.clock.advance(chrono::Duration::minutes(5));
    }
    wait_status(&app, &admin, "dead", 5).await;
    let dead = app
        .ok(
            &admin,
            r#"{ notifications(status: "dead") { edges { node { id kind subject lastError } } } }"#,
            json!({}),
        )
        .await;
    let edges = dead["notifications"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert!(edges[0]["node"]["lastError"].as_str().unwrap().contains("451"));
    // Operators cannot see or retry dead letters.
    let (_, op) = (c.operator.0.clone(), c.operator.1.clone());
    assert_eq!(
        app.err(
            Some(&op),
            r#"{ notifications(status: "dead") { edges { node { id } } } }"#,
            json!({})
        )
        .await,
        "forbidden"
    );
    app.ok(
        &admin,
        "mutation($id:ID!){ retryNotification(id:$id){ status } }",
        json!({"id": edges[0]["node"]["id"]}),
    )
    .await;
    wait_status(&app, &admin, "sent", 1).await;
    let mails = app.smtp.received();
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject() == "【生态环境数据治理】新工单待处理")
            .count(),
        1
    );
    // Retrying a sent notification is refused.
    assert_eq!(
        app.err(
            Some(&admin),
            "mutation($id:ID!){ retryNotification(id:$id){ status } }",
            json!({"id": edges[0]["node"]["id"]})
        )
        .await,
        "invalid_input"
    );
    app.stop().await;
}
