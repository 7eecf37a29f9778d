//! HTTP conventions: health, readiness, metrics, the committed SDL, limits, downloads.

use ecogov_domain::role::Role;
use serde_json::json;

use crate::tickets::{cast, new_ticket, upload};
use crate::{Options, TestApp};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let h = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let r: serde_json::Value = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"database": true, "queue": true}));
    let m = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("ecogov_outbox_notifications"), "{m}");
    app.stop().await;
}

#[tokio::test]
async fn the_committed_sdl_matches_the_schema() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../graphql/schema.graphql")).unwrap();
    assert!(
        committed == ecogov_graphql::sdl(),
        "graphql/schema.graphql is stale: run `cargo run -p ecogov -- schema > graphql/schema.graphql` and review the diff"
    );
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (_, op) = app.user("op", Role::Operator, None).await;
    let deep = "{ me { department { manager { department { manager { department { manager { department { manager { department { manager { department { id } } } } } } } } } } } } }";
    let r = app.gql(Some(&op), deep, json!({})).await;
    assert!(
        r["errors"][0]["message"].as_str().unwrap().contains("nested too deep"),
        "{r}"
    );
    assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_query");
    let big = app
        .gql(
            Some(&op),
            "{ tickets(first: 5000) { edges { node { comments { body } history { note } } } } }",
            json!({}),
        )
        .await;
    assert!(big["errors"].is_array(), "{big}");
    app.stop().await;
}

#[tokio::test]
async fn evidence_downloads_with_its_digest_and_permissions() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let t = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    let a = upload(&app, &c.manager.1, &t, "整改报告内容".as_bytes()).await;
    let url = format!("{}/attachments/{}", app.base, a["id"].as_str().unwrap());
    let res = app.http.get(&url).bearer_auth(&c.operator.1).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["x-content-sha256"].to_str().unwrap(),
        a["sha256"].as_str().unwrap()
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), "整改报告内容".as_bytes());
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 401);
    let ext = app.department("EXT", "外部", true).await;
    let (_, outsider) = app.user("outsider", Role::Department, Some(&ext)).await;
    assert_eq!(
        app.http.get(&url).bearer_auth(&outsider).send().await.unwrap().status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn workflows_are_listed() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (_, op) = app.user("op", Role::Operator, None).await;
    let w = app
        .ok(
            &op,
            "{ workflows { kind initial terminal transitions { from event to roles requires } } }",
            json!({}),
        )
        .await;
    let all = w["workflows"].as_array().unwrap();
    assert_eq!(all.len(), 8);
    let asset = all.iter().find(|w| w["kind"] == "ASSET_COMPLIANCE").unwrap();
    assert_eq!(asset["initial"], "DRAFT");
    assert!(
        asset["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["from"] == "UNDER_REVIEW" && t["event"] == "CERTIFY" && t["to"] == "CERTIFIED")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_page_of_tickets_costs_a_constant_number_of_queries() {
    use std::sync::atomic::Ordering;
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    for _ in 0..60 {
        let t = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
        crate::tickets::act(
            &app,
            &c.manager.1,
            &t,
            json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
        )
        .await;
    }
    let q = "query($n:Int){ tickets(first: $n) { edges { node { id title assignee { displayName department { name } } department { name manager { displayName } } sla { clock deadlineAt breachedAt } } } } }";
    let mut cost = Vec::new();
    // The background audit sequencer also runs statements: take the least of a few runs.
    for n in [5, 50] {
        let mut best = u64::MAX;
        for _ in 0..5 {
            let before = app.db_queries.load(Ordering::SeqCst);
            let d = app.ok(&c.manager.1, q, json!({"n": n})).await;
            assert_eq!(d["tickets"]["edges"].as_array().unwrap().len(), n as usize);
            best = best.min(app.db_queries.load(Ordering::SeqCst) - before);
        }
        cost.push(best);
    }
    // Constant in the page size: 45 more tickets must not mean 45 more statements. (Under load
    // a DataLoader may split one batch in two, hence the small allowance.)
    assert!(cost[1] <= cost[0] + 2, "queries for 5 vs 50 tickets: {cost:?}");
    assert!(cost[1] <= 10, "{cost:?}");
    app.stop().await;
}
