//! Queue housekeeping: deletes finished email jobs from the queue backend.
//!
//! Why it exists: apalis keeps every finished job (SQLite rows in `Jobs`, Redis hash entries)
//! and has no retention of its own; the durable record of a notification is its
//! `notifications` row, so queue entries are only needed while in flight.
//!
//! Rules: only finished jobs older than [`RETENTION`] are deleted (never pending or running
//! ones); running it in several processes is harmless.

use std::time::Duration;

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;

use crate::queue::Queue;
use crate::schedule::RunGuard;

/// How long finished jobs are kept (for debugging with apalis tooling).
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// The apalis handler (one schedule tick).
pub async fn handle(_tick: Tick, queue: Data<Queue>, guard: Data<RunGuard>) -> Result<(), BoxDynError> {
    let Some(_running) = guard.try_enter() else {
        return Ok(());
    };
    let n = queue.vacuum(RETENTION).await?;
    if n > 0 {
        tracing::debug!(deleted = n, "finished email jobs deleted");
    }
    Ok(())
}
