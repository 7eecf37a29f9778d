//! Starting ecogov: database, queue, mailer, HTTP server and (optionally) the workers.
//! `ecogov serve`, `ecogov worker` and the integration tests all start through here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use ecogov_domain::service::Core;
use ecogov_domain::time::SharedClock;
use ecogov_workers::{Mailer, Queue, WorkerSettings};
use tokio::sync::watch;

use crate::bootstrap::{self, FirstStart};
use crate::server::{AppState, Metrics, routes};
use crate::settings::Settings;

/// What to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parts {
    /// API and workers in one process (`ecogov serve`).
    ApiAndWorkers,
    /// API only (tests that drive workers by hand).
    ApiOnly,
    /// Workers only (`ecogov worker`).
    WorkersOnly,
}

/// A running instance.
pub struct Running {
    /// Bound address of the HTTP server (None for workers only).
    pub addr: Option<SocketAddr>,
    /// Core services.
    pub core: Core,
    /// The job queue.
    pub queue: Queue,
    /// The mailer.
    pub mailer: Arc<Mailer>,
    /// What the first start did.
    pub first_start: FirstStart,
    /// Statements executed on the application database since start.
    pub db_queries: Arc<AtomicU64>,
    server: Option<actix_web::dev::ServerHandle>,
    server_task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    workers_task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    sequencer_task: Option<tokio::task::JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

/// Connects, migrates and builds the core, queue and mailer.
pub async fn prepare(
    settings: &Settings,
    clock: SharedClock,
) -> anyhow::Result<(Core, Queue, Arc<Mailer>, FirstStart)> {
    prepare_counted(settings, clock, Arc::new(AtomicU64::new(0))).await
}

/// [`prepare`], counting statements into `queries`.
pub async fn prepare_counted(
    settings: &Settings,
    clock: SharedClock,
    queries: Arc<AtomicU64>,
) -> anyhow::Result<(Core, Queue, Arc<Mailer>, FirstStart)> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("cannot create data directory {}", settings.data_dir.display()))?;
    let mut db = crate::db::connect(&settings.database_url, 20).await?;
    crate::db::instrument(&mut db, queries);
    crate::db::migrate(&db).await?;
    let core = bootstrap::core(settings, db, clock)?;
    let first = bootstrap::first_start(&core, settings).await?;
    let queue = match &settings.redis_url {
        Some(url) => Queue::redis(url, &settings.redis_namespace).await.with_context(|| {
            format!(
                "cannot connect to Redis ({})",
                ecogov_domain::secretbox::redact_url(url)
            )
        })?,
        None if settings.is_sqlite() => Queue::sqlite(&core).await?,
        None => anyhow::bail!("a PostgreSQL database needs ECOGOV_REDIS_URL for the job queue"),
    };
    let mailer = Arc::new(match &settings.smtp_url {
        Some(url) => Mailer::smtp(url)?,
        None => Mailer::file(settings.data_dir.join("mail"))?,
    });
    Ok((core, queue, mailer, first))
}

/// Worker intervals from the settings.
pub fn worker_settings(settings: &Settings) -> WorkerSettings {
    WorkerSettings {
        scan_every: Duration::from_secs(settings.scan_every_secs),
        relay_every: Duration::from_secs(settings.relay_every_secs),
        drift_every: Duration::from_secs(settings.drift_every_minutes * 60),
        ..WorkerSettings::default()
    }
}

/// Starts the requested parts.
pub async fn start(
    settings: &Settings,
    clock: SharedClock,
    parts: Parts,
    workers: WorkerSettings,
) -> anyhow::Result<Running> {
    let db_queries = Arc::new(AtomicU64::new(0));
    let (core, queue, mailer, first_start) = prepare_counted(settings, clock, db_queries.clone()).await?;
    let (stop, stop_rx) = watch::channel(false);

    let mut addr = None;
    let mut server = None;
    let mut server_task = None;
    if parts != Parts::WorkersOnly {
        let state = AppState {
            core: core.clone(),
            schema: ecogov_graphql::build_schema(core.clone()),
            queue: queue.clone(),
            graphiql: settings.graphiql,
            metrics: Metrics::new(db_queries.clone())?,
        };
        let http = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .app_data(web::PayloadConfig::new(32 * 1024 * 1024))
                .wrap(actix_web::middleware::Logger::new("%r %s %Dms").exclude("/healthz"))
                .configure(routes)
        })
        .bind(&settings.listen)
        .with_context(|| format!("cannot listen on {}", settings.listen))?
        .shutdown_timeout(10);
        addr = http.addrs().first().copied();
        let srv = http.run();
        server = Some(srv.handle());
        server_task = Some(tokio::spawn(srv));
    }

    // Link committed audit events into the chain a few times a second (every process does
    // it; they serialise on the chain head, so it is safe and cheap).
    let sequencer_task = {
        let core = core.clone();
        let mut rx = stop_rx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = ecogov_domain::service::audit::sequence(&core).await {
                            tracing::warn!(error = %e, "audit sequencer failed; will retry");
                        }
                    }
                    changed = rx.changed() => {
                        if changed.is_err() || *rx.borrow() {
                            break;
                        }
                    }
                }
            }
        })
    };

    let mut workers_task = None;
    if parts != Parts::ApiOnly {
        let mut rx = stop_rx.clone();
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        workers_task = Some(tokio::spawn(ecogov_workers::run(
            core.clone(),
            queue.clone(),
            mailer.clone(),
            workers,
            shutdown,
        )));
    }
    Ok(Running {
        addr,
        db_queries,
        core,
        queue,
        mailer,
        first_start,
        server,
        server_task,
        workers_task,
        sequencer_task: Some(sequencer_task),
        stop,
    })
}

impl Running {
    /// Stops gracefully: the server finishes requests, workers finish jobs.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        if let Some(s) = self.server.take() {
            s.stop(true).await;
        }
        if let Some(t) = self.server_task.take() {
            let _ = t.await;
        }
        if let Some(t) = self.sequencer_task.take() {
            let _ = t.await;
        }
        if let Some(t) = self.workers_task.take() {
            t.await.context("worker task panicked")??;
        }
        Ok(())
    }

    /// Waits until Ctrl-C / SIGTERM, then stops.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let term = async {
            if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                s.recv().await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term => {} }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
