//! Monthly reconciliation (月度专项对账): once a month is over, every enabled reconciliation is
//! run for it.
//!
//! Why it exists: the bureau reconciles its key domains (stations, enterprises, permits) with
//! the source systems every month; the record of each month must exist without anyone asking.
//!
//! Rules: the job ticks with the SLA scan and asks the domain to run the previous month
//! (Asia/Shanghai, by the injected clock) of each enabled reconciliation that has no record for
//! it yet. `reconciliation::run_due` claims a month by inserting its record first (unique per
//! reconciliation and month), so every process may run this job on its own schedule, apalis may
//! deliver a tick twice, and each month is still run once. A tick with nothing due costs two
//! small queries.

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use ecogov_domain::service::{Core, reconciliation};

use crate::schedule::RunGuard;

/// One pass.
pub async fn run_once(core: &Core) -> ecogov_domain::Result<reconciliation::ScheduleReport> {
    let report = reconciliation::run_due(core).await?;
    if report.ran > 0 {
        tracing::info!(
            month = %report.month,
            ran = report.ran,
            differing = report.differing,
            errors = report.errors,
            "monthly reconciliation"
        );
    }
    Ok(report)
}

/// The apalis handler (one schedule tick).
#[tracing::instrument(skip_all)]
pub async fn handle(_tick: Tick, core: Data<Core>, guard: Data<RunGuard>) -> Result<(), BoxDynError> {
    let Some(_running) = guard.try_enter() else {
        tracing::debug!("previous reconciliation pass still running; tick skipped");
        return Ok(());
    };
    run_once(&core).await?;
    Ok(())
}
