//! Audit checkpoint: records today's head of the audit hash chain.
//!
//! Why it exists: a daily checkpoint (day, seq, hash) lets a later verification start from a
//! known-good point and makes silent rewriting of older events detectable.
//!
//! Rules: `audit::checkpoint` is idempotent per day (Asia/Shanghai), so the job runs often
//! (hourly by default) to make sure each day gets one even if a process was down at midnight;
//! runs after the first of the day are a single cheap lookup. Several processes may run it.

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use ecogov_domain::service::{Core, audit};

use crate::schedule::RunGuard;

/// Records today's checkpoint unless it exists.
pub async fn run_once(core: &Core) -> ecogov_domain::Result<()> {
    let cp = audit::checkpoint(core).await?;
    tracing::debug!(day = %cp.day, "audit checkpoint present");
    Ok(())
}

/// The apalis handler (one schedule tick).
pub async fn handle(_tick: Tick, core: Data<Core>, guard: Data<RunGuard>) -> Result<(), BoxDynError> {
    let Some(_running) = guard.try_enter() else {
        tracing::debug!("previous audit checkpoint still running; tick skipped");
        return Ok(());
    };
    run_once(&core).await?;
    Ok(())
}
