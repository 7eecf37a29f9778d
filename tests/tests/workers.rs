//! Several worker processes on one database and queue, and a worker killed mid-job: every
//! email still goes out exactly once.

use std::sync::Arc;
use std::time::Duration;

use ecogov::app::{self, Parts};
use ecogov_domain::service::notify;
use ecogov_workers::WorkerSettings;
use serde_json::json;

use crate::TestApp;
use crate::tickets::{act, cast, new_ticket};

#[tokio::test]
async fn two_worker_processes_send_each_breach_once() {
    let app = TestApp::spawn().await;
    // A second, workers-only instance on the same database and queue (as `ecogov worker`).
    let fast = WorkerSettings {
        scan_every: Duration::from_secs(1),
        relay_every: Duration::from_millis(200),
        checkpoint_every: Duration::from_secs(3600),
        email_concurrency: 2,
        drift_every: Duration::from_secs(3600),
    };
    let second = app::start(&app.settings, Arc::new(app.clock.clone()), Parts::WorkersOnly, fast)
        .await
        .unwrap();
    let c = cast(&app).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let t = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
        ids.push(
            act(
                &app,
                &c.manager.1,
                &t,
                json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
            )
            .await,
        );
    }
    app.smtp.wait_for(5, Duration::from_secs(60)).await;
    app.clock.set(crate::sh(2026, 12, 8, 10, 0));
    // Both processes scan (every second) and relay; 5 breaches + 5 escalations.
    let mails = app.smtp.wait_for(15, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails_later = app.smtp.received();
    assert_eq!(mails.len(), 15);
    assert_eq!(
        mails_later.len(),
        15,
        "{:?}",
        mails_later.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    let mut message_ids: Vec<String> = mails_later.iter().filter_map(|m| m.header("Message-ID")).collect();
    message_ids.sort();
    message_ids.dedup();
    assert_eq!(message_ids.len(), 15);
    second.stop().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_job_held_by_a_killed_worker_is_sent_once_after_its_lease() {
    let app = TestApp::spawn_with(crate::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let c = cast(&app).await;
    let t = new_ticket(&app, &c.manager.1, &c.dept, "LOW").await;
    act(
        &app,
        &c.manager.1,
        &t,
        json!({"event": "ASSIGN", "assigneeId": c.operator.0}),
    )
    .await;
    // A worker takes the row and dies before sending: the row stays `sending` under a lease.
    let due = notify::take_due(&app.core, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let claimed = notify::claim(&app.core, due[0]).await.unwrap();
    assert!(claimed.is_some());
    assert!(
        notify::claim(&app.core, due[0]).await.unwrap().is_none(),
        "a held row cannot be claimed twice"
    );
    // Workers start; nothing is sent while the lease holds.
    let fast = WorkerSettings {
        scan_every: Duration::from_secs(1),
        relay_every: Duration::from_millis(200),
        checkpoint_every: Duration::from_secs(3600),
        email_concurrency: 2,
        drift_every: Duration::from_secs(3600),
    };
    let workers = app::start(&app.settings, Arc::new(app.clock.clone()), Parts::WorkersOnly, fast)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(app.smtp.received().is_empty());
    // After the lease, the relay takes it again and it is delivered exactly once.
    app.clock.advance(chrono::Duration::minutes(15));
    let mails = app.smtp.wait_for(1, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(app.smtp.received().len(), 1);
    workers.stop().await.unwrap();
    app.stop().await;
}
