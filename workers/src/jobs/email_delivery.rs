//! `EmailDelivery`: sends one outbox row (`notifications`) by id.
//!
//! Why it exists: sending is slow and fails independently of the state change that wrote the
//! outbox row, so it runs in a worker pulling from the job queue.
//!
//! Rules:
//! - Idempotent: apalis delivers at least once. The handler first `notify::claim`s the row
//!   (a conditional update); `None` means already sent, dead, or held by another sender, and
//!   the job then succeeds doing nothing. A duplicate job therefore sends nothing.
//! - The apalis job never fails and never retries: our retry policy (attempt count,
//!   exponential backoff, `dead` after `max_attempts`, admin retry) lives in the
//!   `notifications` table, where admins can see it. On a send error the handler records it
//!   with `notify::fail` (which schedules the next attempt) and returns `Ok`; the outbox relay
//!   queues a new job when the attempt is due. If apalis retried as well, every failure would
//!   be retried twice over (apalis-redis even hard-codes 25 retries).
//! - If the database itself fails (claim/complete/fail error), the job also returns `Ok`
//!   after logging: the row stays `queued`/`sending` with a lease, and the relay takes it again
//!   when the lease expires.
//! - The only remaining duplicate window is a crash between the SMTP `250 OK` and
//!   `notify::complete`; the deterministic Message-ID makes such a copy recognisable.

use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data};
use ecogov_domain::service::{Core, notify};
use serde::{Deserialize, Serialize};

use crate::mailer::Mailer;

/// The queued job: send notification row `notification_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailDelivery {
    /// Id of the `notifications` row.
    pub notification_id: i64,
}

/// What one delivery attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent and marked sent.
    Sent,
    /// Nothing to do: already sent, dead, or claimed by another sender.
    Skipped,
    /// The send failed; the row's new status (`pending` = retry scheduled, or `dead`).
    Failed(&'static str),
}

/// Claims row `id`, sends it and marks it sent, or records the failure.
pub async fn deliver(core: &Core, mailer: &Mailer, id: i64) -> ecogov_domain::Result<Outcome> {
    let Some(n) = notify::claim(core, id).await? else {
        tracing::debug!(notification = id, "already sent or claimed elsewhere; nothing to do");
        return Ok(Outcome::Skipped);
    };
    match mailer.send(&core.mail_from, &n).await {
        Ok(()) => {
            notify::complete(core, id).await?;
            tracing::info!(notification = id, "email sent");
            Ok(Outcome::Sent)
        }
        Err(error) => {
            let status = notify::fail(core, id, &error).await?;
            tracing::warn!(notification = id, %error, new_status = status, "email delivery failed");
            Ok(Outcome::Failed(status))
        }
    }
}

/// The apalis handler: [`deliver`], never failing the apalis job (see the module doc).
pub async fn handle(job: EmailDelivery, core: Data<Core>, mailer: Data<Arc<Mailer>>) -> Result<(), BoxDynError> {
    if let Err(error) = deliver(&core, &mailer, job.notification_id).await {
        tracing::error!(notification = job.notification_id, %error, "email job hit a database error; the relay will retry after the lease");
    }
    Ok(())
}
