#![doc = include_str!("../README.md")]

//! Test support: a [`TestApp`] that runs the real ecogov (HTTP on a loopback port, workers,
//! queue, SMTP mailer) on its own fresh database, with an injected clock and a real SMTP
//! listener.
//!
//! Backends: SQLite in a temporary directory by default; PostgreSQL + Redis when
//! `ECOGOV_TEST_DATABASE_URL` (an admin URL, e.g. `postgres://postgres@127.0.0.1/postgres`)
//! and `ECOGOV_TEST_REDIS_URL` are set. Each test gets its own database (and Redis namespace).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: failing fast is the point"
)]

pub mod smtp;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ecogov::app::{self, Parts, Running};
use ecogov::settings::{RawSettings, Secret, Settings};
use ecogov_domain::service::Core;
use ecogov_domain::time::ManualClock;
use ecogov_workers::WorkerSettings;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

pub use smtp::{ReceivedMail, SmtpSink};

/// Password of every account the tests create.
pub const PASSWORD: &str = "Test-Pass-2026!";
/// The first admin's password.
pub const ADMIN_PASSWORD: &str = "Wuhan-Root-2026!";

/// Shanghai local time as UTC.
pub fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz_shanghai(y, m, d, h, min)
}

fn chrono_tz_shanghai(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    // Asia/Shanghai is UTC+8 without daylight saving since 1991.
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap() - chrono::Duration::hours(8)
}

/// Which backends the suite runs on.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("ECOGOV_TEST_DATABASE_URL").ok().filter(|s| !s.is_empty())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Options of a test app.
#[derive(Clone)]
pub struct Options {
    /// Start the workers in-process.
    pub workers: bool,
    /// Where the clock starts.
    pub start: DateTime<Utc>,
    /// Audit algorithm.
    pub audit_algorithm: &'static str,
    /// Idle session timeout (long by default: SLA tests move the clock by days).
    pub idle_timeout_minutes: i64,
    /// Seed the demo data on first start (as `ecogov serve` does on the embedded default).
    pub demo: bool,
}

impl Default for Options {
    fn default() -> Self {
        // Monday 2026-12-07 09:00 in Wuhan: a working day, inside business hours.
        Options {
            workers: true,
            start: sh(2026, 12, 7, 9, 0),
            audit_algorithm: "sha256",
            idle_timeout_minutes: 60 * 24 * 30,
            demo: false,
        }
    }
}

/// A running ecogov for one test.
pub struct TestApp {
    /// Base URL, e.g. http://127.0.0.1:40123
    pub base: String,
    /// Core services (direct database access for assertions and tampering).
    pub core: Core,
    /// The injected clock.
    pub clock: ManualClock,
    /// The SMTP listener that receives every email.
    pub smtp: SmtpSink,
    /// Settings used.
    pub settings: Settings,
    /// HTTP client.
    pub http: reqwest::Client,
    /// Statements executed on the app's database so far.
    pub db_queries: Arc<std::sync::atomic::AtomicU64>,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

async fn fresh_postgres(admin: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    let name = format!(
        "ecogov_t_{pid}_{n}_{}",
        uuid::Uuid::new_v4().simple().to_string().get(..8).unwrap_or("x")
    );
    let db = Database::connect(admin)
        .await
        .expect("connect to PostgreSQL (ECOGOV_TEST_DATABASE_URL)");
    if n == 0 {
        // Drop databases left by earlier runs (other processes).
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT datname FROM pg_database WHERE datname LIKE 'ecogov_t_%'".to_owned(),
            ))
            .await
            .unwrap_or_default();
        for r in rows {
            let dn: String = r.try_get("", "datname").unwrap_or_default();
            if !dn.starts_with(&format!("ecogov_t_{pid}_")) {
                let _ = db
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{dn}\" WITH (FORCE)"))
                    .await;
            }
        }
    }
    db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    format!("{base}/{name}")
}

impl TestApp {
    /// Spawns with default options.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    /// Spawns with options.
    pub async fn spawn_with(opts: Options) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpSink::start().await.unwrap();
        let (database_url, redis_url) = match postgres_admin_url() {
            Some(admin) => (
                Some(fresh_postgres(&admin).await),
                std::env::var("ECOGOV_TEST_REDIS_URL").ok().filter(|s| !s.is_empty()),
            ),
            None => (None, None),
        };
        let raw = RawSettings {
            data_dir: Some(dir.path().to_path_buf()),
            database_url,
            redis_url,
            redis_namespace: Some(format!("ecogov_t_{}", uuid::Uuid::new_v4().simple())),
            smtp_url: Some(smtp.url()),
            listen: Some("127.0.0.1:0".into()),
            public_url: Some("https://ecogov.example".into()),
            mail_from: Some("ecogov@sthjj.wuhan.gov.cn".into()),
            signing_key: Some(Secret::new("test-signing-key-0123456789abcdef")),
            admin_password: Some(Secret::new(ADMIN_PASSWORD)),
            audit_algorithm: Some(opts.audit_algorithm.into()),
            demo: Some(opts.demo),
            graphiql: Some(false),
            idle_timeout_minutes: Some(opts.idle_timeout_minutes),
            token_ttl_hours: Some(24 * 60),
            ..Default::default()
        };
        let settings = Settings::resolve(raw).unwrap();
        let clock = ManualClock::new(opts.start);
        let parts = if opts.workers {
            Parts::ApiAndWorkers
        } else {
            Parts::ApiOnly
        };
        let workers = WorkerSettings {
            scan_every: Duration::from_secs(1),
            relay_every: Duration::from_millis(200),
            checkpoint_every: Duration::from_secs(3600),
            email_concurrency: 2,
            drift_every: Duration::from_secs(60),
        };
        let running = app::start(&settings, Arc::new(clock.clone()), parts, workers)
            .await
            .unwrap();
        let base = format!("http://{}", running.addr.unwrap());
        TestApp {
            db_queries: running.db_queries.clone(),
            base,
            core: running.core.clone(),
            clock,
            smtp,
            settings,
            http: reqwest::Client::new(),
            running: Some(running),
            _dir: dir,
        }
    }

    /// Stops the app gracefully.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }

    /// Whether this run uses PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        !self.settings.is_sqlite()
    }

    /// Posts a GraphQL request; returns the whole response JSON.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    /// Posts and expects success; returns `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let r = self.gql(Some(token), query, variables).await;
        assert!(r.get("errors").is_none(), "unexpected errors: {r}");
        r["data"].clone()
    }

    /// Posts and expects an error; returns its `extensions.code`.
    pub async fn err(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let r = self.gql(token, query, variables).await;
        r["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error, got {r}"))
            .to_owned()
    }

    /// Logs in; returns the token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .gql(
                None,
                "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }",
                json!({"u": username, "p": password}),
            )
            .await;
        r["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {r}"))
            .to_owned()
    }

    /// The first admin's token.
    pub async fn admin(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates a department (as admin); returns its id.
    pub async fn department(&self, code: &str, name: &str, external: bool) -> String {
        let admin = self.admin().await;
        let d = self
            .ok(
                &admin,
                "mutation($i:CreateDepartmentInput!){ createDepartment(input:$i){ id } }",
                json!({"i": {"code": code, "name": name, "external": external}}),
            )
            .await;
        d["createDepartment"]["id"].as_str().unwrap().to_owned()
    }

    /// Creates a user through the domain (any role); returns (id, token).
    pub async fn user(
        &self,
        username: &str,
        role: ecogov_domain::role::Role,
        department: Option<&str>,
    ) -> (String, String) {
        let u = ecogov_domain::service::directory::create_user(
            &self.core,
            None,
            ecogov_domain::service::directory::NewUser {
                username: username.into(),
                display_name: format!("用户{username}"),
                email: Some(format!("{username}@sthjj.wuhan.gov.cn")),
                role,
                department_id: department.map(|d| d.parse().unwrap()),
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
        (u.id.to_string(), self.login(username, PASSWORD).await)
    }

    /// Runs the SLA scan once, now.
    pub async fn scan(&self) -> ecogov_domain::service::sla::ScanReport {
        ecogov_domain::service::sla::scan(&self.core).await.unwrap()
    }

    /// Raw SQL on the app's database (tampering tests).
    pub async fn sql(&self, statement: &str) {
        self.core.db.execute_unprepared(statement).await.unwrap();
    }

    /// The first column of the first row of a query, as an integer (a count, say).
    pub async fn scalar(&self, sql: &str) -> i64 {
        let db = &self.core.db;
        db.query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    }
}
