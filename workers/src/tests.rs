//! Tests of the workers against a real, migrated, temporary SQLite database (and Redis when
//! `ECOGOV_TEST_REDIS_URL` is set).
//!
//! Rules: every test builds its own database and mail directory in a temp dir, and Redis tests
//! use a unique queue namespace, so tests run in parallel without seeing each other.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::Utc;
use ecogov_domain::blob::BlobStore;
use ecogov_domain::entity::notification;
use ecogov_domain::hashchain::HashAlgorithm;
use ecogov_domain::service::{Core, SecurityPolicy, notify};
use ecogov_domain::time::SystemClock;
use ecogov_domain::token::TokenSigner;
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ActiveModelTrait, ConnectOptions, Database, EntityTrait, Set};
use sea_orm_migration::MigratorTrait;

use crate::jobs::email_delivery::{Outcome, deliver};
use crate::jobs::outbox_relay;
use crate::{EmailDelivery, Mailer, Queue, WorkerSettings};

type TestResult = anyhow::Result<()>;

const SUBJECT: &str = "【生态环境数据治理】工单已超出整改时限";

async fn test_core(dir: &Path) -> anyhow::Result<Core> {
    let url = format!("sqlite://{}?mode=rwc", dir.join("ecogov.db").display());
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(1)
        .min_connections(1)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    let db = Database::connect(opts).await?;
    ecogov_migrations::Migrator::up(&db, None).await?;
    Ok(Core {
        db,
        clock: Arc::new(SystemClock),
        signer: TokenSigner::new(b"k"),
        blobs: BlobStore::new(dir.join("blobs")),
        audit_algorithm: HashAlgorithm::Sha256,
        security: SecurityPolicy::default(),
        public_url: "http://localhost:8080".into(),
        mail_from: "生态环境局 <noreply@ecogov.local>".into(),
        catalog_index: Default::default(),
        secrets: ecogov_domain::secretbox::SecretBox::new(b"test"),
    })
}

async fn insert_notification(core: &Core, n: usize) -> anyhow::Result<i64> {
    let past = Utc::now() - chrono::Duration::minutes(1);
    let row = notification::ActiveModel {
        dedup_key: Set(format!("test-{n}")),
        kind: Set("breach".into()),
        ticket_id: Set(None),
        recipient_id: Set(None),
        recipient_email: Set(format!("user{n}@example.com")),
        subject: Set(SUBJECT.into()),
        body_text: Set(format!("您好，工单 {n} 已超出整改时限。")),
        body_html: Set(format!("<p>您好，工单 {n} 已超出整改时限。</p>")),
        status: Set(notify::status::PENDING.into()),
        attempts: Set(0),
        max_attempts: Set(notify::MAX_ATTEMPTS),
        next_attempt_at: Set(past),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(past),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(&core.db)
    .await?;
    Ok(row.id)
}

fn eml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "eml") {
            out.push(path);
        }
    }
    Ok(out)
}

/// Decodes an RFC 2047 (`=?utf-8?b?...?=`, possibly folded) Subject header.
fn decoded_subject(eml: &str) -> Option<String> {
    let start = eml.find("\r\nSubject: ")? + "\r\nSubject: ".len();
    let mut value = String::new();
    for (i, line) in eml[start..].split("\r\n").enumerate() {
        if i > 0 && !line.starts_with([' ', '\t']) {
            break;
        }
        value.push_str(line.trim());
    }
    let mut bytes = Vec::new();
    for word in value.split("?=").filter(|w| !w.is_empty()) {
        let b64 = word
            .trim()
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.trim().strip_prefix("=?UTF-8?B?"))?;
        bytes.extend(base64::engine::general_purpose::STANDARD.decode(b64).ok()?);
    }
    String::from_utf8(bytes).ok()
}

fn fast_settings() -> WorkerSettings {
    WorkerSettings {
        scan_every: Duration::from_secs(1),
        relay_every: Duration::from_secs(1),
        checkpoint_every: Duration::from_secs(1),
        email_concurrency: 2,
        drift_every: Duration::from_secs(3600),
    }
}

/// Inserts `n` due rows, runs two worker sets (as two processes would) plus a duplicate job
/// per row, and checks each row is sent exactly once.
async fn end_to_end(core: Core, queue: Queue, tmp: &Path) -> TestResult {
    let mail_dir = tmp.join("mail");
    let mailer = Arc::new(Mailer::file(&mail_dir)?);
    assert!(mailer.is_file());
    queue.ping().await?;

    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(insert_notification(&core, n).await?);
    }
    // Two jobs for the first row, as an at-least-once redelivery would produce: the second
    // finds the row already claimed or sent.
    queue
        .push(EmailDelivery {
            notification_id: ids[0],
        })
        .await?;
    queue
        .push(EmailDelivery {
            notification_id: ids[0],
        })
        .await?;

    let mut stops = Vec::new();
    let mut runners = Vec::new();
    for _ in 0..2 {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        stops.push(tx);
        let fut = crate::run(
            core.clone(),
            queue.clone(),
            mailer.clone(),
            fast_settings(),
            async move {
                let _ = rx.await;
            },
        );
        runners.push(tokio::spawn(fut));
    }

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows = notification::Entity::find().all(&core.db).await?;
        if rows.iter().all(|r| r.status == notify::status::SENT) {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "rows not sent in time: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let the relays and email workers run a few more rounds: nothing may be sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(outbox_relay::run_once(&core, &queue).await?, 0);
    assert_eq!(outbox_relay::run_once(&core, &queue).await?, 0);
    assert_eq!(deliver(&core, &mailer, ids[0]).await?, Outcome::Skipped);

    let files = eml_files(&mail_dir)?;
    assert_eq!(files.len(), ids.len(), "exactly one email per row");
    let mut seen = Vec::new();
    for f in &files {
        let eml = std::fs::read_to_string(f)?;
        assert_eq!(decoded_subject(&eml).as_deref(), Some(SUBJECT), "{eml}");
        assert!(eml.contains("multipart/alternative"), "{eml}");
        assert!(
            eml.contains("From: =?utf-8?b?") && eml.contains("<noreply@ecogov.local>"),
            "{eml}"
        );
        let id = ids
            .iter()
            .copied()
            .find(|id| eml.contains(&format!("Message-ID: <notification-{id}@ecogov.local>")))
            .ok_or_else(|| anyhow::anyhow!("no known Message-ID in {eml}"))?;
        let n = ids.iter().position(|x| *x == id).unwrap_or(usize::MAX);
        assert!(eml.contains(&format!("To: user{n}@example.com")), "{eml}");
        seen.push(id);
    }
    seen.sort_unstable();
    assert_eq!(seen, ids);
    for r in notification::Entity::find().all(&core.db).await? {
        assert_eq!(r.attempts, 1);
        assert!(r.sent_at.is_some() && r.locked_until.is_none());
    }

    // Graceful shutdown of both worker sets.
    for tx in stops {
        let _ = tx.send(());
    }
    for r in runners {
        tokio::time::timeout(Duration::from_secs(15), r).await???;
    }
    // The periodic audit checkpoint ran too.
    let checkpoints = ecogov_domain::entity::audit_checkpoint::Entity::find()
        .all(&core.db)
        .await?;
    assert_eq!(checkpoints.len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_end_to_end_sends_each_row_once() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let core = test_core(tmp.path()).await?;
    let before = crate::queue::sqlite_synchronous(&core).await?;
    let queue = Queue::sqlite(&core).await?;
    // Idempotent set-up.
    let queue2 = Queue::sqlite(&core).await?;
    assert!(queue.is_sqlite() && queue2.is_sqlite());
    // apalis-sqlite's `setup` would have switched the shared connection to synchronous=OFF.
    assert_eq!(crate::queue::sqlite_synchronous(&core).await?, before);
    assert_ne!(before, 0);
    end_to_end(core.clone(), queue.clone(), tmp.path()).await?;
    // Finished jobs are kept for a day, then deleted by housekeeping.
    assert_eq!(queue.vacuum(Duration::from_secs(3600)).await?, 0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(queue.vacuum(Duration::ZERO).await? >= 4);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_end_to_end_sends_each_row_once() -> TestResult {
    let Ok(url) = std::env::var("ECOGOV_TEST_REDIS_URL") else {
        eprintln!("ECOGOV_TEST_REDIS_URL not set; skipping the Redis test");
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let core = test_core(tmp.path()).await?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let namespace = format!("ecogov-test-{}-{nanos}", std::process::id());
    let queue = Queue::redis(&url, &namespace).await?;
    assert!(!queue.is_sqlite());
    let result = end_to_end(core, queue.clone(), tmp.path()).await;
    let vacuumed = queue.vacuum(Duration::ZERO).await;
    // Remove the test namespace's keys (apalis leaves worker registrations behind).
    if let Queue::Redis(s) = &queue {
        let mut s = s.clone();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{namespace}:*"))
            .query_async(s.get_connection())
            .await?;
        if !keys.is_empty() {
            let _: i64 = redis::cmd("DEL").arg(keys).query_async(s.get_connection()).await?;
        }
    }
    result?;
    assert!(vacuumed? >= 4);
    Ok(())
}

#[tokio::test]
async fn failed_send_schedules_a_retry_and_the_job_succeeds() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let core = test_core(tmp.path()).await?;
    let id = insert_notification(&core, 7).await?;
    // Nothing listens on port 1: the connection is refused.
    let mailer = Arc::new(Mailer::smtp("smtp://127.0.0.1:1")?);
    assert!(!mailer.is_file());
    assert_eq!(
        deliver(&core, &mailer, id).await?,
        Outcome::Failed(notify::status::PENDING)
    );
    let row = notification::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("row"))?;
    assert_eq!(row.status, notify::status::PENDING);
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.as_deref().is_some_and(|e| e.starts_with("SMTP")));
    assert!(row.next_attempt_at > Utc::now());
    // The apalis handler never fails the job (our retries live in the table).
    let res = crate::jobs::email_delivery::handle(
        EmailDelivery { notification_id: id },
        apalis::prelude::Data::new(core.clone()),
        apalis::prelude::Data::new(mailer),
    )
    .await;
    assert!(res.is_ok());
    // Not due yet: the relay does not take it.
    let queue = Queue::sqlite(&core).await?;
    assert_eq!(outbox_relay::run_once(&core, &queue).await?, 0);
    Ok(())
}

#[test]
fn smtp_needs_a_runtime() {
    assert!(Mailer::smtp("smtp://127.0.0.1:2525").is_err());
}

#[tokio::test]
async fn smtp_urls() {
    assert!(Mailer::smtp("smtp://127.0.0.1:2525").is_ok());
    assert!(Mailer::smtp("smtp://mail.example.com?tls=required").is_ok());
    assert!(Mailer::smtp("smtps://user:p%40ss@mail.example.com").is_ok());
    assert!(Mailer::smtp("http://mail.example.com").is_err());
}

#[test]
fn message_has_deterministic_id_and_alternative_parts() -> TestResult {
    let now = Utc::now();
    let n = notification::Model {
        id: 42,
        dedup_key: "k".into(),
        kind: "assigned".into(),
        ticket_id: None,
        recipient_id: None,
        recipient_email: "a@example.com".into(),
        subject: SUBJECT.into(),
        body_text: "正文".into(),
        body_html: "<p>正文</p>".into(),
        facts: None,
        status: "sending".into(),
        attempts: 0,
        max_attempts: 5,
        next_attempt_at: now,
        locked_until: None,
        last_error: None,
        created_at: now,
        sent_at: None,
    };
    let msg = Mailer::build_message("生态环境局 <noreply@ecogov.local>", &n).map_err(anyhow::Error::msg)?;
    let raw = String::from_utf8(msg.formatted())?;
    assert!(raw.contains("Message-ID: <notification-42@ecogov.local>"));
    assert!(raw.contains("To: a@example.com"));
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("text/plain; charset=utf-8") && raw.contains("text/html; charset=utf-8"));
    assert_eq!(decoded_subject(&raw).as_deref(), Some(SUBJECT));
    let bad = notification::Model {
        recipient_email: "not an address".into(),
        ..n
    };
    assert!(Mailer::build_message("noreply@ecogov.local", &bad).is_err());
    Ok(())
}
