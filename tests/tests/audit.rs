//! The audit chain: intact after real activity; every direct edit, deletion, reordering and
//! truncation in the database is detected with the first broken sequence number.

use ecogov_domain::role::Role;
use ecogov_domain::service::audit;
use serde_json::json;

use crate::tickets::{act, cast, new_ticket};
use crate::{Options, TestApp};

async fn busy_app(alg: &'static str) -> (TestApp, String) {
    let app = TestApp::spawn_with(Options {
        workers: false,
        audit_algorithm: alg,
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
    act(&app, &c.operator.1, &t, json!({"event": "START"})).await;
    // Link every committed event now, so the tests can tamper with numbered rows.
    audit::sequence(&app.core).await.unwrap();
    (app, c.auditor.1)
}

async fn verify(app: &TestApp, aud: &str) -> serde_json::Value {
    app.ok(
        aud,
        "{ auditVerify { intact checked headSeq firstBrokenSeq breakKind message } }",
        json!({}),
    )
    .await["auditVerify"]
        .clone()
}

#[tokio::test]
async fn the_chain_is_intact_and_covers_every_change() {
    let (app, aud) = busy_app("sha256").await;
    let v = verify(&app, &aud).await;
    assert_eq!(v["intact"], true, "{v}");
    assert!(v["checked"].as_i64().unwrap() >= 10);
    let ev = app
        .ok(
            &aud,
            "{ auditEvents(first: 100) { edges { node { seq action actorName before after algorithm } } } }",
            json!({}),
        )
        .await;
    let edges = ev["auditEvents"]["edges"].as_array().unwrap();
    let actions: Vec<&str> = edges.iter().map(|e| e["node"]["action"].as_str().unwrap()).collect();
    for a in [
        "calendar.seed",
        "user.create",
        "department.create",
        "department.set_manager",
        "auth.login",
        "ticket.create",
        "ticket.transition",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let start = edges.iter().find(|e| e["node"]["after"]["event"] == "start").unwrap();
    assert_eq!(start["node"]["before"]["state"], "assigned");
    assert_eq!(start["node"]["after"]["state"], "rectifying");
    assert_eq!(start["node"]["actorName"], "op");
    assert_eq!(start["node"]["algorithm"], "sha256");
    app.stop().await;
}

#[tokio::test]
async fn sm3_chains_verify() {
    let (app, aud) = busy_app("sm3").await;
    let v = verify(&app, &aud).await;
    assert_eq!(v["intact"], true, "{v}");
    let ev = app
        .ok(
            &aud,
            "{ auditEvents(first: 1) { edges { node { algorithm } } } }",
            json!({}),
        )
        .await;
    assert_eq!(ev["auditEvents"]["edges"][0]["node"]["algorithm"], "sm3");
    app.stop().await;
}

#[tokio::test]
async fn an_edited_row_is_detected_at_its_sequence_number() {
    let (app, aud) = busy_app("sha256").await;
    app.sql("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 5")
        .await;
    let v = verify(&app, &aud).await;
    assert_eq!(
        (v["intact"].clone(), v["firstBrokenSeq"].clone(), v["breakKind"].clone()),
        (json!(false), json!(5), json!("hash_mismatch"))
    );
    assert!(v["message"].as_str().unwrap().contains("序号 5"));
    app.stop().await;
}

#[tokio::test]
async fn an_edited_json_payload_is_detected() {
    let (app, aud) = busy_app("sha256").await;
    app.sql("UPDATE audit_events SET after = REPLACE(after, 'rectifying', 'closed') WHERE action = 'ticket.transition' AND after LIKE '%rectifying%'").await;
    let v = verify(&app, &aud).await;
    assert_eq!(v["intact"], false);
    assert_eq!(v["breakKind"], "hash_mismatch");
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_row_is_detected() {
    let (app, aud) = busy_app("sha256").await;
    app.sql("DELETE FROM audit_events WHERE seq = 6").await;
    let v = verify(&app, &aud).await;
    assert_eq!(
        (v["firstBrokenSeq"].clone(), v["breakKind"].clone()),
        (json!(7), json!("gap"))
    );
    app.stop().await;
}

#[tokio::test]
async fn reordered_rows_are_detected() {
    let (app, aud) = busy_app("sha256").await;
    app.sql("UPDATE audit_events SET seq = -4 WHERE seq = 4").await;
    app.sql("UPDATE audit_events SET seq = 4 WHERE seq = 5").await;
    app.sql("UPDATE audit_events SET seq = 5 WHERE seq = -4").await;
    let v = verify(&app, &aud).await;
    assert_eq!(v["intact"], false);
    assert_eq!(v["firstBrokenSeq"], 4);
    app.stop().await;
}

#[tokio::test]
async fn truncation_after_a_checkpoint_is_detected() {
    let (app, aud) = busy_app("sha256").await;
    let v = app
        .ok(&aud, "mutation { recordAuditCheckpoint { intact headSeq } }", json!({}))
        .await["recordAuditCheckpoint"]
        .clone();
    let head = v["headSeq"].as_i64().unwrap();
    app.sql(&format!("DELETE FROM audit_events WHERE seq = {head}")).await;
    app.sql(&format!(
        "UPDATE audit_head SET seq = {}, hash = (SELECT hash FROM audit_events WHERE seq = {})",
        head - 1,
        head - 1
    ))
    .await;
    let v = verify(&app, &aud).await;
    assert_eq!(v["intact"], false);
    assert_eq!(v["breakKind"], "truncated");
    // The domain function the CLI (`ecogov audit verify`) uses agrees.
    let d = audit::verify(&app.core).await.unwrap();
    assert!(d.first_break.is_some());
    app.stop().await;
}

#[tokio::test]
async fn only_auditors_read_the_trail() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    for (name, role) in [
        ("mgr2", Role::Manager),
        ("opr2", Role::Operator),
        ("sec2", Role::SecurityAdmin),
    ] {
        let (_, tok) = app.user(name, role, None).await;
        assert_eq!(
            app.err(Some(&tok), "{ auditEvents { edges { node { seq } } } }", json!({}))
                .await,
            "forbidden"
        );
    }
    app.stop().await;
}
