//! Outbox relay: moves due `notifications` rows into the job queue.
//!
//! Why it exists: outbox rows are written in the same transaction as the state change that
//! caused them (so none is lost or sent for a rolled-back change); this periodic job is the
//! bridge from that table to the queue the email workers consume.
//!
//! Rules:
//! - `notify::take_due` marks each row `queued` with a lease by a conditional update, so two
//!   relays (two processes) never both take the same row in one lease period.
//! - One [`EmailDelivery`] job per row. If a push fails, the rest of the batch is left
//!   `queued`; its lease expires and a later run takes those rows again. Duplicated jobs are
//!   harmless (the handler's `claim` skips them).
//! - No database connection is held while pushing (each domain query releases its
//!   connection), which matters for the single-connection SQLite pool.

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use ecogov_domain::service::{Core, notify};

use crate::jobs::email_delivery::EmailDelivery;
use crate::queue::Queue;
use crate::schedule::RunGuard;

/// Rows taken per run.
pub const BATCH: u64 = 100;

/// Takes up to [`BATCH`] due rows and queues one job per row; returns how many were queued.
pub async fn run_once(core: &Core, queue: &Queue) -> anyhow::Result<usize> {
    let ids = notify::take_due(core, BATCH).await?;
    for (i, id) in ids.iter().enumerate() {
        if let Err(e) = queue.push(EmailDelivery { notification_id: *id }).await {
            return Err(e.context(format!("queued {i} of {} due notifications", ids.len())));
        }
    }
    if !ids.is_empty() {
        tracing::debug!(count = ids.len(), "outbox rows queued for delivery");
    }
    Ok(ids.len())
}

/// The apalis handler (one schedule tick).
pub async fn handle(
    _tick: Tick,
    core: Data<Core>,
    queue: Data<Queue>,
    guard: Data<RunGuard>,
) -> Result<(), BoxDynError> {
    let Some(_running) = guard.try_enter() else {
        tracing::debug!("previous outbox relay still running; tick skipped");
        return Ok(());
    };
    run_once(&core, &queue).await?;
    Ok(())
}
