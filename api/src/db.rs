//! Database connection and migrations.
//!
//! SQLite is opened in WAL mode with a busy timeout and foreign keys on, and with a single
//! pooled connection: writers are serialised in the pool instead of failing with "database
//! is locked" under load. PostgreSQL gets a normal pool whose connections are pinged before
//! use only after being idle for a second.

use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

/// Connects to the database named by `url`.
pub async fn connect(url: &str, max_pg_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        if let Some(path) = url.strip_prefix("sqlite://").and_then(|p| p.split('?').next())
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        opts.max_connections(1).min_connections(1).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    } else {
        // A connection is pinged before use only when it has been idle for a second or more
        // (the window in which a server restart, proxy or firewall may have dropped it), not
        // on every checkout: a busy connection proves itself alive by its last statement, and
        // the per-checkout ping was a round trip of its own on every transition.
        opts.max_connections(max_pg_connections)
            .min_connections(1)
            .test_before_acquire_if_idle_for(Duration::from_secs(1));
    }
    Database::connect(opts).await.with_context(|| {
        format!(
            "cannot connect to the database ({})",
            ecogov_domain::secretbox::redact_url(url)
        )
    })
}

/// Counts statements (for `/metrics` and the DataLoader test) and logs slow ones.
pub fn instrument(db: &mut DatabaseConnection, counter: std::sync::Arc<std::sync::atomic::AtomicU64>) {
    db.set_metric_callback(move |info| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if info.elapsed > Duration::from_millis(500) {
            tracing::warn!(
                elapsed_ms = info.elapsed.as_millis() as u64,
                failed = info.failed,
                "slow statement: {}",
                info.statement.sql
            );
        }
    });
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    ecogov_migrations::Migrator::up(db, None)
        .await
        .context("migration failed")
}
