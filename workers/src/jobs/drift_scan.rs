//! Schema drift scan: compares every published catalog resource with its real tables.
//!
//! Why it exists: source systems change their tables without telling the catalog (数据源切换,
//! 标准变更适配); drift must be found on a schedule, not only when someone asks.
//!
//! Rules: `datasource::scan_due` claims each resource with a conditional write before
//! comparing it, so every process may run this job on its own schedule and each resource is
//! still compared once per interval; findings are deduplicated tickets.

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use ecogov_domain::service::{Core, datasource};

use crate::schedule::RunGuard;

/// How often each published resource is compared (the job itself ticks more often).
#[derive(Debug, Clone, Copy)]
pub struct DriftInterval(pub std::time::Duration);

/// One scan.
pub async fn run_once(core: &Core, every: std::time::Duration) -> ecogov_domain::Result<datasource::DriftScanReport> {
    let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::hours(6));
    let report = datasource::scan_due(core, every).await?;
    if report.checked > 0 {
        tracing::info!(
            checked = report.checked,
            drifting = report.drifting,
            errors = report.errors,
            "schema drift scan"
        );
    }
    Ok(report)
}

/// The apalis handler (one schedule tick).
pub async fn handle(
    _tick: Tick,
    core: Data<Core>,
    every: Data<DriftInterval>,
    guard: Data<RunGuard>,
) -> Result<(), BoxDynError> {
    let Some(_running) = guard.try_enter() else {
        tracing::debug!("previous drift scan still running; tick skipped");
        return Ok(());
    };
    let DriftInterval(interval) = *every;
    run_once(&core, interval).await?;
    Ok(())
}
