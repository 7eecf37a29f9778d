//! Services: the operations of ecogov over the database.
//!
//! Each public operation takes the acting user, checks the permission table, runs its
//! writes in one transaction and appends the audit event (and outbox rows) in that same
//! transaction, so a state change and its consequences commit or fail together.

pub mod air_check;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod calendar;
pub mod catalog;
pub mod classification;
pub mod data_model;
pub mod datasource;
pub mod directory;
pub mod enterprise;
pub mod met_qc;
pub mod notify;
pub mod permit_reconciliation;
pub mod quality;
pub mod reconciliation;
pub mod sensitivity;
pub mod sla;
pub mod source_system;
pub mod thematic;
pub mod tickets;
mod versioned;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::blob::BlobStore;
use crate::hashchain::HashAlgorithm;
use crate::role::{Operation, Role, allowed};
use crate::time::SharedClock;
use crate::token::TokenSigner;
use crate::{Error, Result};

/// Account and session rules (GB/T 22239-2019): lockout and timeouts.
#[derive(Debug, Clone)]
pub struct SecurityPolicy {
    /// Failed logins on one account before it locks.
    pub max_failed_per_account: u32,
    /// Failed logins from one client address (within the window) before it locks.
    pub max_failed_per_address: u32,
    /// Window for counting failures by address, and lock duration.
    pub lockout_minutes: i64,
    /// A session idle longer than this expires.
    pub idle_timeout_minutes: i64,
    /// Absolute token lifetime.
    pub token_ttl_hours: i64,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            max_failed_per_account: 5,
            max_failed_per_address: 20,
            lockout_minutes: 30,
            idle_timeout_minutes: 30,
            token_ttl_hours: 12,
        }
    }
}

/// Everything a service needs, built once at start-up.
#[derive(Clone)]
pub struct Core {
    /// The database.
    pub db: DatabaseConnection,
    /// The injected clock.
    pub clock: SharedClock,
    /// Token signer.
    pub signer: TokenSigner,
    /// Evidence blob store.
    pub blobs: BlobStore,
    /// Hash algorithm for new audit events.
    pub audit_algorithm: HashAlgorithm,
    /// Account rules.
    pub security: SecurityPolicy,
    /// Base URL of the web front end, for links in emails.
    pub public_url: Arc<str>,
    /// Sender address of emails.
    pub mail_from: Arc<str>,
    /// Encrypts data-source credentials at rest.
    pub secrets: crate::secretbox::SecretBox,
    /// This process's catalog search index (kept in step with the database on each search).
    pub catalog_index: Arc<catalog::IndexState>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
    /// up front, so a transaction that reads before it writes waits (busy timeout) for another
    /// process's writer instead of failing with "database is locked" on upgrade. PostgreSQL
    /// ignores the mode.
    pub async fn begin(&self) -> Result<sea_orm::DatabaseTransaction> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        Ok(self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    }

    /// Now, from the injected clock, at database precision.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        crate::time::db_precision(self.clock.now())
    }
}

/// The authenticated caller of an operation.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// The single role.
    pub role: Role,
    /// Department, if any.
    pub department_id: Option<i64>,
    /// Session id the request came with.
    pub sid: String,
}

impl Actor {
    /// Fails with `forbidden` unless the role may perform `op`.
    pub fn require(&self, op: Operation) -> Result<()> {
        if allowed(self.role, op) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Whether the caller may perform `op`.
    pub fn can(&self, op: Operation) -> bool {
        allowed(self.role, op)
    }

    /// The system itself (workers, seeding): used as the audit actor of automatic changes.
    pub fn system() -> Self {
        Actor {
            id: 0,
            username: "system".into(),
            role: Role::Manager,
            department_id: None,
            sid: String::new(),
        }
    }

    /// The system acting with the administrator's duties (seeding demo data).
    pub fn system_admin() -> Self {
        Actor {
            role: Role::Admin,
            ..Actor::system()
        }
    }

    /// The audit actor id (None for the system).
    pub fn audit_id(&self) -> Option<i64> {
        (self.id != 0).then_some(self.id)
    }
}

/// Offset pagination request, clamped to sane bounds.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return (1..=200).
    pub limit: u64,
}

impl Page {
    /// A page, with the limit clamped to 1..=200.
    pub fn new(offset: u64, limit: u64) -> Self {
        Self {
            offset,
            limit: limit.clamp(1, 200),
        }
    }
}
