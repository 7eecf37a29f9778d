#![doc = include_str!("../README.md")]

pub mod jobs;
pub mod mailer;
pub mod queue;
pub mod schedule;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis::prelude::{BackendExt, Event, Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_cron::CronScheduler;
use ecogov_domain::service::Core;

pub use crate::jobs::email_delivery::EmailDelivery;
pub use crate::mailer::Mailer;
pub use crate::queue::Queue;
use crate::schedule::{Every, RunGuard};

/// How long in-flight jobs may take to finish after shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Intervals and limits of the workers.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// SLA scan interval (whole seconds; at least 1 s).
    pub scan_every: Duration,
    /// Outbox relay interval; the email workers also poll the queue at this pace
    /// (clamped to 0.2–5 s).
    pub relay_every: Duration,
    /// Audit checkpoint (and queue housekeeping) interval.
    pub checkpoint_every: Duration,
    /// Emails sent concurrently by this process.
    pub email_concurrency: usize,
    /// How often each published catalog resource is compared with its tables (the scan
    /// ticks every `scan_every` and compares the resources that are due).
    pub drift_every: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            scan_every: Duration::from_secs(30),
            relay_every: Duration::from_secs(5),
            checkpoint_every: Duration::from_secs(3600),
            email_concurrency: 4,
            drift_every: Duration::from_secs(6 * 3600),
        }
    }
}

/// A name unique to this process: apalis registers workers by name in the queue backend and
/// re-queues the jobs of a "dead" worker of the same name, so two processes must never share
/// worker names.
fn instance_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!("{host}-{}-{nanos:x}", std::process::id())
}

/// Pause before re-creating a worker that stopped with a backend error (queue unreachable),
/// so a dead Redis does not turn into a hot restart loop.
fn restart_delay(restarts: usize) -> Duration {
    Duration::from_secs(restarts.min(30) as u64)
}

/// Registers the email worker for one backend type (the two arms differ only in type).
macro_rules! register_email_worker {
    ($monitor:expr, $storage:expr, $name:expr, $core:expr, $mailer:expr, $concurrency:expr, $poll:expr) => {{
        let storage = $storage;
        let (name, core, mailer, concurrency, poll) = ($name, $core, $mailer, $concurrency, $poll);
        $monitor.register(move |restarts| {
            let delay = restart_delay(restarts);
            let backend = storage
                .clone()
                .poll_with_interval(poll)
                .before_start(move |_| async move {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    Ok(())
                });
            WorkerBuilder::new(name.clone())
                .backend(backend)
                .concurrency(concurrency)
                .data(core.clone())
                .data(mailer.clone())
                .build(jobs::email_delivery::handle)
        })
    }};
}

/// Runs all workers until `shutdown` resolves (graceful: finish in-flight jobs, up to
/// [`SHUTDOWN_GRACE`]). Used by `ecogov serve` (in-process with the API) and `ecogov worker`.
///
/// Workers: SLA scan, schema drift scan, quality scan (schedules and re-checks), monthly
/// reconciliation, monthly permit reconciliation, outbox relay, audit checkpoint, queue housekeeping (periodic, via
/// apalis-cron) and `email_concurrency` concurrent email deliveries (from `queue`). Several
/// processes may run this against the same database and queue.
pub async fn run(
    core: Core,
    queue: Queue,
    mailer: Arc<Mailer>,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let id = instance_id();
    tracing::info!(instance = %id, ?queue, ?mailer, ?settings, "starting workers");
    let poll = settings
        .relay_every
        .clamp(Duration::from_millis(200), Duration::from_secs(5));
    let concurrency = settings.email_concurrency.max(1);

    let mut monitor = Monitor::new()
        .should_restart(|ctx, error| {
            let restart = !ctx.is_shutting_down();
            tracing::warn!(worker = ctx.name(), %error, restart, "worker stopped with an error");
            restart
        })
        .on_event(|ctx, event| {
            if let Event::Error(error) = event {
                tracing::warn!(worker = ctx.name(), %error, "job failed");
            }
        })
        .shutdown_timeout(SHUTDOWN_GRACE);

    // One registration per periodic job: each handler has its own signature (its own data),
    // hence its own worker type. Each worker gets its own RunGuard.
    macro_rules! periodic {
        ($job:literal, $every:expr, $handler:path, $($data:expr),+) => {{
            let name = format!("{}@{id}", $job);
            let every = $every;
            monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(CronScheduler::new(Every::new(every)))
                    $(.data($data.clone()))+
                    .data(RunGuard::default())
                    .build($handler)
            })
        }};
    }
    monitor = {
        let core = core.clone();
        periodic!("sla-scan", settings.scan_every, jobs::sla_scan::handle, core)
    };
    monitor = {
        let (core, every) = (core.clone(), jobs::drift_scan::DriftInterval(settings.drift_every));
        periodic!("drift-scan", settings.scan_every, jobs::drift_scan::handle, core, every)
    };
    monitor = {
        let core = core.clone();
        periodic!("quality-scan", settings.scan_every, jobs::quality_scan::handle, core)
    };
    monitor = {
        let core = core.clone();
        periodic!(
            "reconciliation-schedule",
            settings.scan_every,
            jobs::reconciliation_schedule::handle,
            core
        )
    };
    monitor = {
        let core = core.clone();
        periodic!(
            "permit-reconciliation-schedule",
            settings.scan_every,
            jobs::permit_schedule::handle,
            core
        )
    };
    monitor = {
        let (core, queue) = (core.clone(), queue.clone());
        periodic!(
            "outbox-relay",
            settings.relay_every,
            jobs::outbox_relay::handle,
            core,
            queue
        )
    };
    monitor = {
        let core = core.clone();
        periodic!(
            "audit-checkpoint",
            settings.checkpoint_every,
            jobs::audit_checkpoint::handle,
            core
        )
    };
    monitor = {
        let queue = queue.clone();
        periodic!(
            "queue-housekeeping",
            settings.checkpoint_every,
            jobs::queue_housekeeping::handle,
            queue
        )
    };

    let name = format!("email-delivery@{id}");
    monitor = match queue {
        Queue::Sqlite(storage) => register_email_worker!(monitor, storage, name, core, mailer, concurrency, poll),
        Queue::Redis(storage) => register_email_worker!(monitor, storage, name, core, mailer, concurrency, poll),
    };

    monitor
        .run_with_signal(async move {
            shutdown.await;
            tracing::info!("shutdown requested; finishing in-flight jobs");
            Ok(())
        })
        .await?;
    tracing::info!("workers stopped");
    Ok(())
}
