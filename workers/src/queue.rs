//! The job queue carrying [`EmailDelivery`] jobs: apalis SQLite storage (embedded default) or
//! apalis Redis storage (production).
//!
//! Why it exists: the outbox relay and the email workers may live in different processes;
//! the queue is what connects them, and `/readyz` needs to know it is reachable.
//!
//! Rules:
//! - SQLite shares the sea-orm pool (`max_connections = 1`). apalis-sqlite only ever holds
//!   that connection for one short transaction at a time (register, heartbeat, fetch, ack,
//!   push), never across an `await` on something else, so it coexists with sea-orm. We run
//!   only apalis-sqlite's *migrations*, not `SqliteStorage::setup`: `setup` also issues
//!   `PRAGMA synchronous = OFF` (and cache/journal pragmas) on whatever pooled connection it
//!   gets, which here is the application's only connection: it would silently weaken the
//!   durability of every domain write, the audit chain included.
//! - We never call apalis-sqlite's `vacuum`/`vacuum_before`: they end with a full-database
//!   `VACUUM` (an exclusive rewrite of the application database) and compare an integer
//!   column with a text date. [`Queue::vacuum`] deletes finished rows of our queue itself.
//! - The queue names are explicit (not apalis's default, the Rust type path), so renaming a
//!   module never strands queued jobs. On Redis the name is `{namespace}:email_delivery`.
//! - Both backends hand a job to one worker at a time (SQLite: `UPDATE .. RETURNING` under
//!   SQLite's single writer; Redis: Lua scripts) and re-queue the jobs of a dead worker, so
//!   delivery is at least once; `notify::claim` makes the handler idempotent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow, bail};
use apalis::prelude::TaskSink;
use apalis_core::backend::Vacuum;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use ecogov_domain::service::Core;
use sea_orm::DbBackend;

use crate::jobs::email_delivery::EmailDelivery;

/// Queue name of the email jobs in the SQLite `Jobs` table.
pub const SQLITE_QUEUE: &str = "ecogov.email_delivery";

/// The email job queue.
#[derive(Clone)]
pub enum Queue {
    /// apalis SQLite storage on the application's own database (embedded default).
    Sqlite(SqliteStorage<EmailDelivery>),
    /// apalis Redis storage (production).
    Redis(RedisStorage<EmailDelivery>),
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Queue::Sqlite(_) => f.write_str("Queue::Sqlite"),
            Queue::Redis(s) => write!(f, "Queue::Redis({})", s.get_config().queue),
        }
    }
}

impl Queue {
    /// Embedded default: apalis SQLite storage sharing the sea-orm pool
    /// (`core.db.get_sqlite_connection_pool()`), after running apalis-sqlite's migrations
    /// (idempotent). Fails if `core.db` is not SQLite.
    pub async fn sqlite(core: &Core) -> anyhow::Result<Self> {
        if core.db.get_database_backend() != DbBackend::Sqlite {
            bail!("the SQLite job queue needs a SQLite database; use Redis with PostgreSQL");
        }
        let pool = core.db.get_sqlite_connection_pool();
        SqliteStorage::migrations()
            .run(pool)
            .await
            .context("creating the apalis job tables")?;
        let config = apalis_sqlite::Config::default().queue(SQLITE_QUEUE);
        Ok(Queue::Sqlite(SqliteStorage::new(pool).with_config(config)))
    }

    /// Production: apalis Redis storage; `namespace` separates queues (tests use a unique one
    /// per test so parallel tests never see each other's jobs).
    pub async fn redis(url: &str, namespace: &str) -> anyhow::Result<Self> {
        let conn = apalis_redis::connect(url).await.context("connecting to Redis")?;
        let config = apalis_redis::Config::default().queue(format!("{namespace}:email_delivery"));
        let queue = Queue::Redis(RedisStorage::new(conn).with_config(config));
        queue.ping().await?;
        Ok(queue)
    }

    /// Enqueues one email job.
    pub async fn push(&self, job: EmailDelivery) -> anyhow::Result<()> {
        match self {
            Queue::Sqlite(s) => s
                .clone()
                .push(job)
                .await
                .map_err(|e| anyhow!("pushing to the SQLite queue: {e}")),
            Queue::Redis(s) => s
                .clone()
                .push(job)
                .await
                .map_err(|e| anyhow!("pushing to the Redis queue: {e}")),
        }
    }

    /// A cheap round trip to the queue backend (for `/readyz`).
    pub async fn ping(&self) -> anyhow::Result<()> {
        match self {
            Queue::Sqlite(s) => {
                sea_orm::sqlx::query("SELECT 1")
                    .execute(s.pool())
                    .await
                    .context("SQLite queue ping")?;
            }
            Queue::Redis(s) => {
                let mut s = s.clone();
                let pong: String = redis::cmd("PING")
                    .query_async(s.get_connection())
                    .await
                    .context("Redis queue ping")?;
                if pong != "PONG" {
                    bail!("Redis answered {pong:?} to PING");
                }
            }
        }
        Ok(())
    }

    /// Deletes finished jobs older than `older_than`; returns how many.
    pub async fn vacuum(&self, older_than: Duration) -> anyhow::Result<u64> {
        match self {
            Queue::Sqlite(s) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let cutoff = i64::try_from(now.saturating_sub(older_than.as_secs())).unwrap_or(i64::MAX);
                let res = sea_orm::sqlx::query(
                    "DELETE FROM Jobs WHERE job_type = ?1 AND done_at IS NOT NULL AND done_at < ?2 \
                     AND (status IN ('Done', 'Killed') OR (status = 'Failed' AND attempts >= max_attempts))",
                )
                .bind(SQLITE_QUEUE)
                .bind(cutoff)
                .execute(s.pool())
                .await
                .context("deleting finished SQLite jobs")?;
                Ok(res.rows_affected())
            }
            Queue::Redis(s) => {
                let n = s
                    .clone()
                    .vacuum_before(older_than)
                    .await
                    .context("deleting finished Redis jobs")?;
                Ok(n as u64)
            }
        }
    }

    /// Whether this is the SQLite queue.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Queue::Sqlite(_))
    }
}

/// Checks that a connection-level setting did not leak: used by tests.
#[cfg(test)]
pub(crate) async fn sqlite_synchronous(core: &Core) -> anyhow::Result<i64> {
    use sea_orm::ConnectionTrait as _;
    let row = core
        .db
        .query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, "PRAGMA synchronous"))
        .await?
        .ok_or_else(|| anyhow!("no row"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}
