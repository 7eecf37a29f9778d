//! Several writes of one transaction sent in one round trip.
//!
//! On PostgreSQL the writes become data-modifying common table expressions of a single
//! statement (`WITH w0 AS (UPDATE ... RETURNING 1), w1 AS (INSERT ... RETURNING 1) SELECT
//! (SELECT count(*) FROM w0), ...`), so a transition that updates the ticket and its clock and
//! inserts its history, audit event and outbox row costs one round trip instead of five. The
//! statements are built by sea-query with bound parameters, numbered across the whole batch:
//! no value is ever written into the SQL text. On SQLite, which runs in process, they are
//! executed one by one. Either way each write's affected-row count comes back, so a
//! version-guarded update can still detect a lost race.
//!
//! The writes of one batch must touch different rows: PostgreSQL runs all the sub-statements
//! on one snapshot, so none sees another's effect.
//!
//! [`Batch::commit`] makes the batch its own transaction: on PostgreSQL the one statement runs
//! on its own (a single statement is atomic), so a transition costs no `BEGIN` and `COMMIT`
//! round trips. A write pushed with [`Batch::push_guarded`] must affect exactly one row (a
//! version-guarded update); if it does not, the statement raises (`ecogov_require`, migration
//! 000014) and nothing of the batch is written.

use sea_orm::sea_query::{
    DeleteStatement, InsertStatement, PostgresQueryBuilder, SqlWriter, SqlWriterValues, UpdateStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::Core;
use crate::error::{Error, Result};

/// SQLSTATE raised by `ecogov_require` when a guarded write missed its row.
const GUARD_SQLSTATE: &str = "EGV01";

/// One write.
#[derive(Debug, Clone)]
pub enum Write {
    /// `INSERT` (may carry `ON CONFLICT DO NOTHING`; must not carry `RETURNING`).
    Insert(InsertStatement),
    /// `UPDATE` (must not carry `RETURNING`).
    Update(UpdateStatement),
    /// `DELETE` (must not carry `RETURNING`).
    Delete(DeleteStatement),
}

impl From<InsertStatement> for Write {
    fn from(s: InsertStatement) -> Self {
        Self::Insert(s)
    }
}

impl From<UpdateStatement> for Write {
    fn from(s: UpdateStatement) -> Self {
        Self::Update(s)
    }
}

impl From<DeleteStatement> for Write {
    fn from(s: DeleteStatement) -> Self {
        Self::Delete(s)
    }
}

/// Writes collected in order; [`Batch::exec`] runs them.
#[derive(Debug, Default)]
pub struct Batch {
    writes: Vec<Write>,
    /// Writes that must affect exactly one row (see [`Batch::push_guarded`]).
    guards: Vec<usize>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a write; returns its index in the result of [`Batch::exec`].
    pub fn push(&mut self, w: impl Into<Write>) -> usize {
        self.writes.push(w.into());
        self.writes.len() - 1
    }

    /// Adds a write that must affect exactly one row, e.g. an update guarded by the version
    /// the caller read: if it affects none, [`Batch::commit`] writes nothing and returns None.
    pub fn push_guarded(&mut self, w: impl Into<Write>) -> usize {
        let i = self.push(w);
        self.guards.push(i);
        i
    }

    /// Runs the batch as its own transaction and returns the rows each write affected, or
    /// None (and nothing written) if a guarded write did not affect exactly one row.
    /// PostgreSQL: one statement, no explicit transaction. SQLite: the writes one by one in
    /// a `BEGIN IMMEDIATE` transaction, rolled back when a guard fails.
    pub async fn commit(self, core: &Core) -> Result<Option<Vec<u64>>> {
        if self.writes.is_empty() {
            return Ok(Some(Vec::new()));
        }
        if core.db.get_database_backend() == DbBackend::Postgres {
            let n = self.writes.len();
            return match core.db.query_one_raw(self.postgres_statement()).await {
                Ok(row) => {
                    let row = row.ok_or_else(|| Error::Internal("batch returned no row".into()))?;
                    Ok(Some(counts(&row, n)?))
                }
                Err(e) if is_guard_failure(&e) => Ok(None),
                Err(e) => Err(e.into()),
            };
        }
        let txn = core.begin().await?;
        let mut counts = Vec::with_capacity(self.writes.len());
        for (i, w) in self.writes.iter().enumerate() {
            let n = txn
                .execute_raw(build(txn.get_database_backend(), w))
                .await?
                .rows_affected();
            if n != 1 && self.guards.contains(&i) {
                // Dropping the transaction rolls it back.
                return Ok(None);
            }
            counts.push(n);
        }
        txn.commit().await?;
        Ok(Some(counts))
    }

    /// Runs the writes inside the caller's transaction (in one statement on PostgreSQL) and
    /// returns the rows each affected. Guards belong to [`Batch::commit`]: a batch run here
    /// has none, and the caller checks the counts it cares about.
    pub async fn exec<C: ConnectionTrait>(self, conn: &C) -> Result<Vec<u64>> {
        debug_assert!(self.guards.is_empty(), "guarded batches run through Batch::commit");
        let backend = conn.get_database_backend();
        match (backend, self.writes.len()) {
            (_, 0) => Ok(Vec::new()),
            (DbBackend::Postgres, n) if n > 1 => {
                let stmt = self.postgres_statement();
                let row = conn
                    .query_one_raw(stmt)
                    .await?
                    .ok_or_else(|| Error::Internal("batch returned no row".into()))?;
                counts(&row, n)
            }
            _ => {
                let mut counts = Vec::with_capacity(self.writes.len());
                for w in &self.writes {
                    counts.push(conn.execute_raw(build(backend, w)).await?.rows_affected());
                }
                Ok(counts)
            }
        }
    }

    /// The single PostgreSQL statement, parameters numbered across all writes.
    fn postgres_statement(&self) -> Statement {
        let mut sql = SqlWriterValues::new("$", true);
        sql.as_writer().write_str("WITH ").ok();
        for (i, w) in self.writes.iter().enumerate() {
            if i > 0 {
                sql.as_writer().write_str(", ").ok();
            }
            sql.as_writer().write_fmt(format_args!("w{i} AS (")).ok();
            match w {
                Write::Insert(s) => s.build_collect_into(PostgresQueryBuilder, &mut sql),
                Write::Update(s) => s.build_collect_into(PostgresQueryBuilder, &mut sql),
                Write::Delete(s) => s.build_collect_into(PostgresQueryBuilder, &mut sql),
            }
            sql.as_writer().write_str(" RETURNING 1)").ok();
        }
        sql.as_writer().write_str(" SELECT ").ok();
        for i in 0..self.writes.len() {
            if i > 0 {
                sql.as_writer().write_str(", ").ok();
            }
            sql.as_writer()
                .write_fmt(format_args!("(SELECT count(*) FROM w{i}) AS n{i}"))
                .ok();
        }
        if !self.guards.is_empty() {
            let checks: Vec<String> = self
                .guards
                .iter()
                .map(|i| format!("(SELECT count(*) FROM w{i}) = 1"))
                .collect();
            sql.as_writer()
                .write_fmt(format_args!(", ecogov_require({}) AS guard", checks.join(" AND ")))
                .ok();
        }
        let (text, values) = sql.into_parts();
        Statement::from_sql_and_values(DbBackend::Postgres, text, values)
    }
}

fn build(backend: DbBackend, w: &Write) -> Statement {
    match w {
        Write::Insert(s) => backend.build(s),
        Write::Update(s) => backend.build(s),
        Write::Delete(s) => backend.build(s),
    }
}

fn counts(row: &sea_orm::QueryResult, n: usize) -> Result<Vec<u64>> {
    (0..n)
        .map(|i| {
            let c: i64 = row.try_get_by_index(i)?;
            Ok(u64::try_from(c).unwrap_or(0))
        })
        .collect()
}

/// Whether the error is `ecogov_require` refusing a batch whose guard failed.
fn is_guard_failure(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            matches!(&**e, sea_orm::sqlx::Error::Database(d) if d.code().as_deref() == Some(GUARD_SQLSTATE))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};

    use super::*;

    #[test]
    fn postgres_statement_numbers_parameters_across_writes() {
        let mut b = Batch::new();
        b.push(
            Query::update()
                .table(Alias::new("ticket"))
                .value(Alias::new("state"), "assigned")
                .and_where(Expr::col(Alias::new("id")).eq(7))
                .and_where(Expr::col(Alias::new("version")).eq(3))
                .to_owned(),
        );
        b.push(
            Query::insert()
                .into_table(Alias::new("notification"))
                .columns([Alias::new("dedup_key"), Alias::new("subject")])
                .values_panic(["k".into(), "it's $1".into()])
                .on_conflict(OnConflict::column(Alias::new("dedup_key")).do_nothing().to_owned())
                .to_owned(),
        );
        let s = b.postgres_statement();
        assert_eq!(
            s.sql,
            "WITH w0 AS (UPDATE \"ticket\" SET \"state\" = $1 WHERE \"id\" = $2 AND \"version\" = $3 RETURNING 1), \
             w1 AS (INSERT INTO \"notification\" (\"dedup_key\", \"subject\") VALUES ($4, $5) \
             ON CONFLICT (\"dedup_key\") DO NOTHING RETURNING 1) \
             SELECT (SELECT count(*) FROM w0) AS n0, (SELECT count(*) FROM w1) AS n1"
        );
        let values = s.values.map(|v| v.0.len());
        assert_eq!(values, Some(5), "values are bound, not inlined");
    }

    #[test]
    fn guarded_writes_are_checked_in_the_statement() {
        let mut b = Batch::new();
        b.push_guarded(
            Query::update()
                .table(Alias::new("ticket"))
                .value(Alias::new("state"), "assigned")
                .and_where(Expr::col(Alias::new("version")).eq(3))
                .to_owned(),
        );
        b.push(
            Query::insert()
                .into_table(Alias::new("event"))
                .columns([Alias::new("name")])
                .values_panic(["x".into()])
                .to_owned(),
        );
        let s = b.postgres_statement();
        assert!(
            s.sql.ends_with(
                "SELECT (SELECT count(*) FROM w0) AS n0, (SELECT count(*) FROM w1) AS n1, \
                 ecogov_require((SELECT count(*) FROM w0) = 1) AS guard"
            ),
            "{}",
            s.sql
        );
    }
}
