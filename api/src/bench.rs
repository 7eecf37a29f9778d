//! `ecogov bench <name>`: measured figures, each run ending with one `key=value` line.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use ecogov_domain::calendar::{BusinessHours, WorkCalendar, builtin_overrides};
use ecogov_domain::time::DISPLAY_TZ;

/// A deterministic pseudo-random sequence (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Deadlines per second for `n` tickets on one core: random starts over 2025-2026 and
/// budgets of 1 to 20 working days, on the built-in Chinese calendar. Target >= 2,000,000/s.
pub fn sla(n: usize) -> String {
    let cal = WorkCalendar::new(DISPLAY_TZ, BusinessHours::default_office(), &builtin_overrides());
    let day = cal.minutes_per_working_day();
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        .timestamp();
    let span = 2 * 365 * 86_400;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let inputs: Vec<(chrono::DateTime<Utc>, i64)> = (0..n)
        .map(|_| {
            let start = Utc
                .timestamp_opt(base + (rng.next() % span) as i64, 0)
                .single()
                .unwrap_or_default();
            let budget = day * (1 + (rng.next() % 20) as i64);
            (start, budget)
        })
        .collect();
    // Warm up, then measure.
    let mut checksum = 0i64;
    for (s, b) in inputs.iter().take(10_000) {
        checksum ^= cal.add_working_minutes(*s, *b).timestamp();
    }
    let t0 = Instant::now();
    for (s, b) in &inputs {
        checksum ^= cal.add_working_minutes(*s, *b).timestamp();
    }
    let secs = t0.elapsed().as_secs_f64();
    let per_sec = n as f64 / secs;
    format!(
        "tickets={n} seconds={secs:.3} checksum={checksum}\ndeadlines_per_sec={per_sec:.0} target=2000000 ratio={:.2}",
        per_sec / 2_000_000.0
    )
}

pub(crate) mod load {
    //! Shared set-up of the database-backed benchmarks.

    use anyhow::Context;
    use ecogov_domain::role::Role;
    use ecogov_domain::service::{Actor, Core, auth, directory};
    use sea_orm::{ConnectionTrait, Database};

    use crate::settings::{RawSettings, Secret, Settings};

    /// Creates a fresh database next to `url` (PostgreSQL) or in a temp dir (SQLite) and
    /// returns settings pointing at it.
    pub async fn fresh_settings(
        url: Option<&str>,
        dir: &std::path::Path,
    ) -> anyhow::Result<(Settings, Option<(String, String)>)> {
        let mut raw = RawSettings {
            data_dir: Some(dir.to_path_buf()),
            signing_key: Some(Secret::new("bench-signing-key-0123456789abcdef")),
            admin_password: Some(Secret::new("Bench-Root-2026!")),
            demo: Some(false),
            listen: Some("127.0.0.1:0".into()),
            idle_timeout_minutes: Some(600),
            max_failed_logins_per_address: Some(1_000_000),
            ..Default::default()
        };
        let mut created = None;
        if let Some(url) = url.filter(|u| u.starts_with("postgres")) {
            let name = format!("ecogov_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(url)
                .await
                .context("connecting to the benchmark database server")?;
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
            let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url).to_owned();
            raw.database_url = Some(format!("{base}/{name}"));
            created = Some((url.to_owned(), name));
            raw.redis_url = Some(std::env::var("ECOGOV_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()));
            raw.redis_namespace = Some(format!("ecogov_bench_{}", uuid::Uuid::new_v4().simple()));
        }
        Ok((Settings::resolve(raw)?, created))
    }

    /// Drops a database created by [`fresh_settings`].
    pub async fn drop_database(created: Option<(String, String)>) {
        if let Some((url, name)) = created
            && let Ok(admin) = Database::connect(&url).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }

    /// A department with a manager and `operators` operators; returns (manager, operators).
    pub async fn staff(core: &Core, operators: usize) -> anyhow::Result<(Actor, Vec<Actor>)> {
        let e = |e: ecogov_domain::Error| anyhow::anyhow!("{e}");
        let d = directory::create_department(
            core,
            None,
            directory::NewDepartment {
                code: "BENCH".into(),
                name: "基准测试科".into(),
                external: false,
                manager_id: None,
            },
        )
        .await
        .map_err(e)?;
        let mk = |name: String, role| directory::NewUser {
            username: name.clone(),
            display_name: name.clone(),
            email: Some(format!("{name}@bench.local")),
            role,
            department_id: Some(d.id),
            password: "Bench-Pass-2026!".into(),
        };
        let m = directory::create_user(core, None, mk("benchmgr".into(), Role::Manager))
            .await
            .map_err(e)?;
        let mut ops = Vec::new();
        for i in 0..operators {
            let o = directory::create_user(core, None, mk(format!("benchop{i}"), Role::Operator))
                .await
                .map_err(e)?;
            ops.push(auth::actor_of(&o, "").map_err(e)?);
        }
        Ok((auth::actor_of(&m, "").map_err(e)?, ops))
    }
}

/// Ticket transitions per second with audit, SLA and outbox included, on PostgreSQL, next to
/// `pgbench -b simple-update` TPS measured in the same run. Target ratio >= 0.5.
///
/// The two alternate in three rounds of `seconds` each (ours, pgbench, ours, pgbench, ...)
/// and the medians are compared, so a load change on the machine during the run hits both.
/// The audit sequencer links events every 200 ms during our rounds, as in `ecogov serve`.
pub async fn transitions(database_url: &str, seconds: u64, clients: usize) -> anyhow::Result<String> {
    use std::sync::atomic::{AtomicU64, Ordering};

    use ecogov_domain::service::{audit, tickets};
    use ecogov_domain::workflow::{Event, Severity, TicketKind};

    const ROUNDS: usize = 3;
    anyhow::ensure!(
        database_url.starts_with("postgres"),
        "bench transitions needs --database-url postgres://..."
    );
    let dir = tempfile_dir()?;
    let (settings, created) = load::fresh_settings(Some(database_url), &dir).await?;
    let pg = Pgbench::init(database_url).await?;
    let result = async {
        let (core, _queue, _mailer, _) =
            crate::app::prepare(&settings, std::sync::Arc::new(ecogov_domain::time::SystemClock)).await?;
        let (manager, ops) = load::staff(&core, 2).await?;
        // One ticket per client: clients do not contend on a ticket.
        let mut tks = Vec::new();
        for i in 0..clients {
            let t = tickets::create(
                &core,
                &manager,
                tickets::NewTicket {
                    kind: TicketKind::QualityIssue,
                    title: format!("基准工单 {i}"),
                    description: String::new(),
                    severity: Severity::Medium,
                    subject: None,
                    department_id: None,
                    reviewer_id: None,
                    watcher_ids: vec![],
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let t = tickets::transition(
                &core,
                &manager,
                t.id,
                tickets::TransitionInput {
                    event: Some(Event::Assign),
                    expected_version: t.version,
                    assignee_id: Some(ops[0].id),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            tks.push((t.id, t.version));
        }
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut count = 0;
        for _ in 0..ROUNDS {
            let done = std::sync::Arc::new(AtomicU64::new(0));
            let deadline = Instant::now() + std::time::Duration::from_secs(seconds);
            let sequencer = {
                let core = core.clone();
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        audit::sequence(&core).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    }
                    Ok::<_, anyhow::Error>(())
                })
            };
            let mut handles = Vec::new();
            for (i, (id, version)) in tks.iter().copied().enumerate() {
                let (core, manager, ops, done) = (core.clone(), manager.clone(), ops.clone(), done.clone());
                handles.push(tokio::spawn(async move {
                    let mut version = version;
                    let mut n = 0usize;
                    while Instant::now() < deadline {
                        // Reassign back and forth: a state change, a history row, an SLA
                        // restart, an audit event and an outbox email, in one transaction.
                        let to = ops[(n + i) % ops.len()].id;
                        let t = tickets::transition(
                            &core,
                            &manager,
                            id,
                            tickets::TransitionInput {
                                event: Some(Event::Reassign),
                                expected_version: version,
                                assignee_id: Some(to),
                                ..Default::default()
                            },
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("transition failed: {e}"))?;
                        version = t.version;
                        done.fetch_add(1, Ordering::Relaxed);
                        n += 1;
                    }
                    Ok::<_, anyhow::Error>((id, version))
                }));
            }
            let t0 = Instant::now();
            let mut next = Vec::new();
            for h in handles {
                next.push(h.await??);
            }
            let secs = t0.elapsed().as_secs_f64();
            sequencer.await??;
            tks = next;
            let n = done.load(Ordering::Relaxed);
            count += n;
            ours.push(n as f64 / secs);
            theirs.push(pg.run(seconds, clients).await?);
        }
        let audit_ok = audit::verify(&core)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .first_break
            .is_none();
        Ok::<_, anyhow::Error>((median(&mut ours), median(&mut theirs), count, audit_ok, ours, theirs))
    }
    .await;
    load::drop_database(created).await;
    pg.drop().await;
    let (tps, pg_tps, count, audit_ok, ours, theirs) = result?;
    let rounds = |v: &[f64]| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(",");
    Ok(format!(
        "transitions={count} clients={clients} rounds={ROUNDS}x{seconds}s audit_chain_intact={audit_ok} ours_rounds={} pgbench_rounds={}\ntransitions_per_sec={tps:.0} pgbench_tps={pg_tps:.0} ratio={:.2}",
        rounds(&ours),
        rounds(&theirs),
        tps / pg_tps
    ))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("ecogov-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// `pgbench -b simple-update` on a scratch database of the same server.
struct Pgbench {
    bin: std::path::PathBuf,
    admin_url: String,
    name: String,
    url: String,
}

impl Pgbench {
    /// Creates the scratch database and runs `pgbench -i -s 1`.
    async fn init(database_url: &str) -> anyhow::Result<Pgbench> {
        use anyhow::Context;
        use sea_orm::{ConnectionTrait, Database};
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path().join("bin/pgbench"))
                    .find(|p| p.exists())
            })
            .or_else(|| which("pgbench"))
            .context("pgbench not found (Debian: /usr/lib/postgresql/<version>/bin/pgbench)")?;
        let name = format!("ecogov_pgbench_{}", std::process::id());
        let admin = Database::connect(database_url).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
            .await?;
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
        let _ = admin.close().await;
        let base = database_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(database_url);
        let url = format!("{base}/{name}");
        let init = tokio::process::Command::new(&bin)
            .args(["-i", "-q", "-s", "1", &url])
            .output()
            .await?;
        anyhow::ensure!(
            init.status.success(),
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        Ok(Pgbench {
            bin,
            admin_url: database_url.to_owned(),
            name,
            url,
        })
    }

    /// One timed run; returns its TPS.
    async fn run(&self, seconds: u64, clients: usize) -> anyhow::Result<f64> {
        use anyhow::Context;
        let run = tokio::process::Command::new(&self.bin)
            .args([
                "-b",
                "simple-update",
                "-c",
                &clients.to_string(),
                "-j",
                "2",
                "-T",
                &seconds.to_string(),
                &self.url,
            ])
            .output()
            .await?;
        let out = String::from_utf8_lossy(&run.stdout);
        out.lines()
            .find_map(|l| {
                l.strip_prefix("tps = ")
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|v| v.parse().ok())
            })
            .with_context(|| format!("cannot read pgbench output: {out}"))
    }

    async fn drop(self) {
        use sea_orm::{ConnectionTrait, Database};
        if let Ok(admin) = Database::connect(&self.admin_url).await {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
                .await;
            let _ = admin.close().await;
        }
    }
}

fn which(bin: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(bin)).find(|p| p.exists()))
}

/// Latency and throughput of the ticket-list query (page of 50 with assignee, department and
/// SLA) under `clients` concurrent clients on loopback, against the real server.
pub async fn api(database_url: Option<&str>, seconds: u64, clients: usize, tickets_n: usize) -> anyhow::Result<String> {
    use ecogov_domain::service::tickets;
    use ecogov_domain::workflow::{Event, Severity, TicketKind};

    let dir = tempfile_dir()?;
    let (settings, created) = load::fresh_settings(database_url, &dir).await?;
    let result = async {
        let running = crate::app::start(&settings, std::sync::Arc::new(ecogov_domain::time::SystemClock), crate::app::Parts::ApiOnly, ecogov_workers::WorkerSettings::default()).await?;
        let core = running.core.clone();
        let (manager, ops) = load::staff(&core, 5).await?;
        for i in 0..tickets_n {
            let t = tickets::create(&core, &manager, tickets::NewTicket { kind: TicketKind::QualityIssue, title: format!("站点数据缺测 {i}"), description: String::new(), severity: Severity::Medium, subject: None, department_id: manager.department_id, reviewer_id: None, watcher_ids: vec![] }).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            tickets::transition(&core, &manager, t.id, tickets::TransitionInput { event: Some(Event::Assign), expected_version: t.version, assignee_id: Some(ops[i % ops.len()].id), ..Default::default() }).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let addr = running.addr.ok_or_else(|| anyhow::anyhow!("no address"))?;
        let url = format!("http://{addr}/graphql");
        let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
        let login: serde_json::Value = http.post(&url).json(&serde_json::json!({"query": "mutation { login(username: \"benchmgr\", password: \"Bench-Pass-2026!\") { token } }"})).send().await?.json().await?;
        let token = login["data"]["login"]["token"].as_str().ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?.to_owned();
        let query = serde_json::json!({"query": "{ tickets(first: 50) { edges { node { id title state assignee { displayName } department { name } sla { clock deadlineAt breachedAt } } } } }"});
        let deadline = Instant::now() + std::time::Duration::from_secs(seconds);
        let mut handles = Vec::new();
        for _ in 0..clients {
            let (http, url, token, query) = (http.clone(), url.clone(), token.clone(), query.clone());
            handles.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let r: serde_json::Value = http.post(&url).bearer_auth(&token).json(&query).send().await?.json().await?;
                    anyhow::ensure!(r["errors"].is_null() && r["data"]["tickets"]["edges"].as_array().map(Vec::len) == Some(50), "bad response: {r}");
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                Ok::<_, anyhow::Error>(lat)
            }));
        }
        let t0 = Instant::now();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.await??);
        }
        let secs = t0.elapsed().as_secs_f64();
        running.stop().await?;
        all.sort_by(f64::total_cmp);
        let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0.0);
        Ok::<_, anyhow::Error>(format!(
            "backend={} clients={clients} tickets={tickets_n} requests={}\np50_ms={:.1} p99_ms={:.1} rps={:.0}",
            if settings.is_sqlite() { "sqlite" } else { "postgres" },
            all.len(),
            pct(0.50),
            pct(0.99),
            all.len() as f64 / secs
        ))
    }
    .await;
    load::drop_database(created).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
