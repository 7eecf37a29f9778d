//! SLA scan: finds clocks due for a warning or past their deadline.
//!
//! Why it exists: SLA warnings, breaches and escalations are time-driven, not event-driven;
//! something has to look at the clocks regularly.
//!
//! Rules: `sla::scan` is idempotent and safe to run concurrently in several processes (it
//! records breaches by conditional updates and writes outbox rows with unique dedup keys),
//! so every process runs this job on its own schedule; no leader election is needed.

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use ecogov_domain::service::{Core, sla};

use crate::schedule::RunGuard;

/// One scan.
pub async fn run_once(core: &Core) -> ecogov_domain::Result<sla::ScanReport> {
    let report = sla::scan(core).await?;
    if report.warnings + report.breaches + report.notifications > 0 {
        tracing::info!(
            warnings = report.warnings,
            breaches = report.breaches,
            notifications = report.notifications,
            "SLA scan"
        );
    }
    Ok(report)
}

/// The apalis handler (one schedule tick).
pub async fn handle(_tick: Tick, core: Data<Core>, guard: Data<RunGuard>) -> Result<(), BoxDynError> {
    let Some(_running) = guard.try_enter() else {
        tracing::debug!("previous SLA scan still running; tick skipped");
        return Ok(());
    };
    run_once(&core).await?;
    Ok(())
}
