//! Monthly permit reconciliation (排污许可证对账): every enabled permit reconciliation with
//! tables on both sides is run once a month.
//!
//! Why it exists: the city's returned permit data and the national platform's export drift
//! apart; the bureau wants a record (and tickets) each month without anyone asking.
//!
//! Rules: the job ticks with the SLA scan and asks the domain to run the current month
//! (Asia/Shanghai, by the injected clock) of each enabled definition that has no record for it.
//! `permit_reconciliation::run_due` claims the month by inserting its record first (unique per
//! definition and month), so every process may run this job, apalis may deliver a tick twice,
//! and each (definition, month) is still run once.

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use ecogov_domain::service::{Core, permit_reconciliation};

use crate::schedule::RunGuard;

/// One pass.
pub async fn run_once(core: &Core) -> ecogov_domain::Result<permit_reconciliation::ScheduleReport> {
    let report = permit_reconciliation::run_due(core).await?;
    if report.ran > 0 {
        tracing::info!(
            month = %report.month,
            ran = report.ran,
            errors = report.errors,
            "monthly permit reconciliation"
        );
    }
    Ok(report)
}

/// The apalis handler (one schedule tick).
#[tracing::instrument(skip_all)]
pub async fn handle(_tick: Tick, core: Data<Core>, guard: Data<RunGuard>) -> Result<(), BoxDynError> {
    let Some(_running) = guard.try_enter() else {
        tracing::debug!("previous permit reconciliation pass still running; tick skipped");
        return Ok(());
    };
    run_once(&core).await?;
    Ok(())
}
