//! The jobs the workers run, one per file.
//!
//! Why it exists: each job is a thin adapter from an apalis task (a queued [`EmailDelivery`]
//! or a schedule tick) to one idempotent domain operation; the domain owns the rules.
//!
//! Rules:
//! - apalis delivers at least once and several processes run the same periodic jobs, so
//!   every job must be safe to run twice or concurrently (the domain operations are).
//! - Each job exposes a plain `run_once`/`deliver` function (used by tests and by the CLI)
//!   and an apalis handler wrapping it.
//!
//! [`EmailDelivery`]: email_delivery::EmailDelivery

pub mod audit_checkpoint;
pub mod drift_scan;
pub mod email_delivery;
pub mod outbox_relay;
pub mod permit_schedule;
pub mod quality_scan;
pub mod queue_housekeeping;
pub mod reconciliation_schedule;
pub mod sla_scan;
