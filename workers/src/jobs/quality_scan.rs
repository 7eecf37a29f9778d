//! Quality scan: runs the inspections whose schedule is due, re-checks rectified quality
//! tickets, and closes runs left `running` by a killed process.
//!
//! Why it exists: routine inspection (常态化巡检) is time-driven, and a rectification must be
//! verified by running its rule again before a reviewer may close the ticket.
//!
//! Rules: `quality::scan_due` claims each due schedule by moving its `next_run_at` forward
//! with a conditional write, and each waiting re-check by a conditional update of the ticket,
//! so every process may run this job on its own schedule and each occurrence runs once.
//! Tickets opened by runs are deduplicated, so a repeated run adds occurrences, not tickets.

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use ecogov_domain::service::{Core, quality};

use crate::schedule::RunGuard;

/// One scan.
pub async fn run_once(core: &Core) -> ecogov_domain::Result<quality::ScanReport> {
    let report = quality::scan_due(core).await?;
    if report.runs + report.rechecks + report.stale > 0 {
        tracing::info!(
            runs = report.runs,
            rechecks = report.rechecks,
            stale = report.stale,
            "quality scan"
        );
    }
    Ok(report)
}

/// The apalis handler (one schedule tick).
pub async fn handle(_tick: Tick, core: Data<Core>, guard: Data<RunGuard>) -> Result<(), BoxDynError> {
    let Some(_running) = guard.try_enter() else {
        tracing::debug!("previous quality scan still running; tick skipped");
        return Ok(());
    };
    run_once(&core).await?;
    Ok(())
}
