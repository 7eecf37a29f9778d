//! Running a compiled [`Plan`] inside the source database.
//!
//! Every statement runs under a time limit: on PostgreSQL in a read-only transaction with
//! `SET LOCAL statement_timeout`, on MariaDB in a read-only transaction as `SET STATEMENT
//! max_statement_time=… FOR …`, and on every dialect under a `tokio` timeout as well (the only
//! limit SQLite gets). A statement that fails or times out makes the rules that need it
//! [`Status::Error`]; the others still report.
//!
//! Samples are at most `sample_limit` rows of the failing rows, every value as text, masked by
//! [`crate::sensitivity::mask`] for columns that carry a mask rule.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use futures::StreamExt;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, FromQueryResult, QueryResult, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::compile::{Bound, CompiledRule, Evaluation, MAX_LISTED_VALUES, MetricRef, Plan, Query, RowPass};
use super::rule::{Rule, RuleKind, Severity, percent};
use crate::catalog::introspect::SourceKind;
use crate::sensitivity::{MaskRule, mask};

/// Samples per failing rule unless the caller asks otherwise.
pub const DEFAULT_SAMPLE_LIMIT: u32 = 20;

/// How long one statement may run.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within the warn threshold.
    Pass,
    /// Above the warn threshold.
    Warn,
    /// Above the fail threshold.
    Fail,
    /// The rule could not be evaluated.
    Error,
}

/// The result of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's severity.
    pub severity: Severity,
    /// Rows (or, for timeliness, volume and consistency, checks) inspected.
    pub checked: u64,
    /// Failing rows (duplicates: surplus rows beyond the first of each key).
    pub failing: u64,
    /// `failing` as a percentage of `checked`.
    pub percent: f64,
    /// Against the thresholds.
    pub status: Status,
    /// Up to the sample limit of failing rows, masked (column name → text or null).
    pub samples: Vec<serde_json::Value>,
    /// The query listing all failing rows (empty when there is none).
    pub failing_query: String,
    /// Values bound to [`failing_query`](Self::failing_query)'s placeholders.
    pub failing_params: Vec<serde_json::Value>,
    /// Why the rule could not be evaluated ([`Status::Error`]), or a note on the failing query.
    pub note: Option<String>,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Per rule, in the plan's order.
    pub rules: Vec<RuleResult>,
    /// The newest watermark seen (for the next incremental run), if the plan has one.
    pub watermark: Option<DateTime<Utc>>,
}

/// Runs `plan` with the default statement time limit.
pub async fn execute(db: &DatabaseConnection, plan: &Plan, sample_limit: u32) -> RunResult {
    execute_with_timeout(db, plan, sample_limit, STATEMENT_TIMEOUT).await
}

/// Runs `plan`, each statement limited to `limit`.
pub async fn execute_with_timeout(
    db: &DatabaseConnection,
    plan: &Plan,
    sample_limit: u32,
    limit: Duration,
) -> RunResult {
    let runner = Runner {
        db,
        d: plan.dialect,
        limit,
        tz: plan.source_tz.parse::<Tz>().ok(),
    };
    // SQLite has one connection: a second statement in flight would only wait for it, and
    // could time out waiting behind a long one.
    let width = if plan.dialect == SourceKind::Sqlite {
        1
    } else {
        CONCURRENCY
    };
    let aggregates = async {
        let mut out = Vec::with_capacity(plan.aggregates.len());
        for q in &plan.aggregates {
            out.push(runner.counts(q, Session::Plain).await);
        }
        out
    };
    // The rules' own statements (duplicates, references, row passes, comparisons) need nothing
    // from the aggregate pass: they run alongside it on the rest of the pool.
    let own: Vec<_> = plan.rules.iter().map(|r| runner.own(plan, r, sample_limit)).collect();
    let own = futures::stream::iter(own)
        .buffered(width.saturating_sub(1).max(1))
        .collect::<Vec<_>>();
    let (aggregates, own) = if width == 1 {
        let aggregates = aggregates.await;
        (aggregates, own.await)
    } else {
        futures::join!(aggregates, own)
    };
    // Then thresholds and the samples of failing rules; results keep the plan's order.
    let pending: Vec<_> = plan
        .rules
        .iter()
        .zip(own)
        .map(|(r, own)| runner.rule(plan, r, &aggregates, own, sample_limit))
        .collect();
    let rules: Vec<RuleResult> = futures::stream::iter(pending).buffered(width).collect().await;
    let watermark = match &plan.watermark {
        Some(q) => runner
            .rows(q, Session::Plain)
            .await
            .ok()
            .and_then(|rows| rows.first().and_then(|r| text_at(r, 0)))
            .and_then(|t| parse_watermark(&t, plan.source_tz.parse::<Tz>().unwrap_or(chrono_tz::Asia::Shanghai))),
        None => None,
    };
    RunResult { rules, watermark }
}

/// Reads a timestamp as the source printed it (wall-clock in `tz`, or with an offset).
fn parse_watermark(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let t = text.trim();
    for f in [
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, f) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d",
    ] {
        let parsed = NaiveDateTime::parse_from_str(t, f).ok().or_else(|| {
            chrono::NaiveDate::parse_from_str(t, f)
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
        if let Some(naive) = parsed {
            return naive.and_local_timezone(tz).earliest().map(|dt| dt.with_timezone(&Utc));
        }
    }
    None
}

/// Statements of one run in flight at once (the source connection pool holds as many).
pub const CONCURRENCY: usize = 3;

struct Runner<'a> {
    db: &'a DatabaseConnection,
    d: SourceKind,
    limit: Duration,
    /// The source's zone, when it is a valid IANA name (PostgreSQL sessions use it).
    tz: Option<Tz>,
}

type Counts = Result<Vec<i64>, String>;

/// Session settings a statement runs under (PostgreSQL; the other dialects ignore them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Session {
    /// The time limit and the source's zone.
    Plain,
    /// The same, grouping every key of a large table: by sorting, with room to sort in memory.
    /// Nearly every key is distinct, so a hash table would hold the whole table and spill.
    Grouping,
}

/// Work memory of a [`Session::Grouping`] statement (PostgreSQL's default is 4 MB).
const GROUPING_WORK_MEM: &str = "64MB";

/// Evaluated counts of one rule before thresholds.
struct Measured {
    checked: u64,
    failing: u64,
    failing_query: Option<Query>,
    sample_query: Option<Query>,
    /// Samples already taken by the statement that counted.
    samples: Option<Vec<serde_json::Value>>,
    note: Option<String>,
}

/// What a rule's own statements found before the aggregate pass is known.
enum Own {
    /// The rule is measured from the aggregates alone.
    Nothing,
    /// Its failing count, with samples when the counting statement took them.
    Failing {
        failing: u64,
        samples: Option<Vec<serde_json::Value>>,
    },
    /// Measured by its own statements alone (comparisons, row passes).
    Measured(Measured),
}

impl Runner<'_> {
    /// Runs one statement under the time limit, read-only where the dialect allows.
    async fn rows(&self, q: &Query, session: Session) -> Result<Vec<QueryResult>, String> {
        // JIT compilation is off: on a large table PostgreSQL inlines and optimises for a
        // second or more, longer than it then saves on these simple expressions.
        let mut settings = "SET LOCAL jit = off".to_owned();
        if session == Session::Grouping {
            settings.push_str(&format!(
                "; SET LOCAL enable_hashagg = off; SET LOCAL work_mem = '{GROUPING_WORK_MEM}'"
            ));
        }
        let values = q.values.iter().map(Bound::to_value).collect();
        read_only(self.db, self.d, self.tz, &q.sql, values, self.limit, &settings).await
    }

    /// One row of integer counts.
    async fn counts(&self, q: &Query, session: Session) -> Counts {
        let rows = self.rows(q, session).await?;
        let Some(row) = rows.first() else {
            return Err("聚合查询没有返回行".to_owned());
        };
        (0..row.column_names().len())
            .map(|i| {
                row.try_get_by_index::<Option<i64>>(i)
                    .map(|v| v.unwrap_or(0))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    /// Runs the statements a rule needs besides the aggregate pass.
    async fn own(&self, plan: &Plan, r: &CompiledRule, sample_limit: u32) -> Result<Own, String> {
        let failing = |v: i64| u64::try_from(v).unwrap_or(0);
        match &r.evaluation {
            Evaluation::Counts { .. }
            | Evaluation::Timeliness { .. }
            | Evaluation::Volume { .. }
            | Evaluation::Refused(_) => Ok(Own::Nothing),
            Evaluation::Statement { count, .. } => {
                let n = self
                    .counts(count, Session::Plain)
                    .await?
                    .first()
                    .copied()
                    .ok_or("计数查询没有返回值")?;
                Ok(Own::Failing {
                    failing: failing(n),
                    samples: None,
                })
            }
            Evaluation::Duplicates {
                count, sampled, limits, ..
            } => {
                if sample_limit == 0 {
                    let n = self
                        .counts(count, Session::Grouping)
                        .await?
                        .first()
                        .copied()
                        .ok_or("计数查询没有返回值")?;
                    return Ok(Own::Failing {
                        failing: failing(n),
                        samples: None,
                    });
                }
                let mut q = sampled.clone();
                for &at in limits {
                    if let Some(v) = q.values.get_mut(at) {
                        *v = Bound::Int(i64::from(sample_limit));
                    }
                }
                let rows = self.rows(&q, Session::Grouping).await?;
                let first = rows.first().ok_or("计数查询没有返回值")?;
                let n = first
                    .try_get_by_index::<Option<i64>>(0)
                    .map_err(|e| e.to_string())?
                    .unwrap_or(0);
                // Column 1 marks a sample row; the projection follows.
                let sampled: Vec<QueryResult> = rows.into_iter().filter(|row| text_at(row, 1).is_some()).collect();
                Ok(Own::Failing {
                    failing: failing(n),
                    samples: Some(sample_values(plan, &sampled, true, 2)?),
                })
            }
            Evaluation::Consistency {
                compare,
                tolerance_percent,
            } => {
                let rows = self.rows(compare, Session::Plain).await?;
                let row = rows.first().ok_or("比对查询没有返回行")?;
                let num = |i| -> Result<Option<f64>, String> {
                    text_at(row, i)
                        .map(|t| t.trim().parse::<f64>().map_err(|_| format!("聚合值不是数字：{t}")))
                        .transpose()
                };
                let (a, b) = (num(0)?, num(1)?);
                let differs = match (a, b) {
                    (None, None) => false,
                    (Some(a), Some(b)) => {
                        let base = a.abs().max(b.abs());
                        base > 0.0 && (a - b).abs() * 100.0 / base > *tolerance_percent
                    }
                    _ => true,
                };
                Ok(Own::Measured(Measured {
                    checked: 1,
                    failing: u64::from(differs),
                    failing_query: r.failing.clone(),
                    sample_query: r.sample.clone(),
                    samples: None,
                    note: Some(format!(
                        "本表 {}，对方 {}",
                        a.map_or("空".to_owned(), |v| v.to_string()),
                        b.map_or("空".to_owned(), |v| v.to_string())
                    )),
                }))
            }
            Evaluation::RowPass(pass) => self.row_pass(pass).await.map(Own::Measured),
        }
    }

    async fn rule(
        &self,
        plan: &Plan,
        r: &CompiledRule,
        aggregates: &[Counts],
        own: Result<Own, String>,
        sample_limit: u32,
    ) -> RuleResult {
        let measured = measure(r, aggregates, own);
        let rule = &r.rule;
        match measured {
            Err(e) => error_result(rule, e),
            Ok(m) => {
                let status = if rule.fail.exceeded(m.failing, m.checked) {
                    Status::Fail
                } else if rule.warn.exceeded(m.failing, m.checked) {
                    Status::Warn
                } else {
                    Status::Pass
                };
                let mut samples = Vec::new();
                let mut note = m.note;
                if let Some(taken) = m.samples {
                    samples = taken;
                } else if m.failing > 0
                    && sample_limit > 0
                    && let Some(q) = &m.sample_query
                {
                    let projected = !matches!(rule.kind, RuleKind::CustomSql { .. });
                    match self.samples(plan, q, sample_limit, projected).await {
                        Ok(s) => samples = s,
                        Err(e) => note = Some(format!("样例读取失败：{e}")),
                    }
                }
                let (failing_query, failing_params) = m.failing_query.map_or((String::new(), Vec::new()), |q| {
                    (q.sql, q.values.iter().map(Bound::to_json).collect())
                });
                RuleResult {
                    rule_id: rule.id.clone(),
                    severity: rule.severity,
                    checked: m.checked,
                    failing: m.failing,
                    percent: percent(m.failing, m.checked),
                    status,
                    samples,
                    failing_query,
                    failing_params,
                    note,
                }
            }
        }
    }

    /// Counts every row by distinct value in keyset-paged batches, checking each value in Rust.
    async fn row_pass(&self, pass: &RowPass) -> Result<Measured, String> {
        let matcher = pass.check.matcher().ok_or("正则表达式无效")?;
        let (mut checked, mut failing) = (0u64, 0u64);
        let mut bad: Vec<String> = Vec::new();
        let mut listed_all = true;
        let mut last: Option<String> = None;
        loop {
            let q = match &last {
                None => pass.first.limited(self.d, pass.batch),
                Some(key) => {
                    let mut q = pass.next.clone();
                    if let Some(v) = q.values.last_mut() {
                        *v = Bound::Text(key.clone());
                    }
                    q.limited(self.d, pass.batch)
                }
            };
            let rows = self.rows(&q, Session::Plain).await?;
            for row in &rows {
                let value = text_at(row, 0).unwrap_or_default();
                let n = u64::try_from(row.try_get_by_index::<i64>(1).map_err(|e| e.to_string())?).unwrap_or(0);
                checked += n;
                if !matcher(&value) {
                    failing += n;
                    if bad.len() < MAX_LISTED_VALUES {
                        bad.push(value.clone());
                    } else {
                        listed_all = false;
                    }
                }
                last = Some(value);
            }
            if rows.len() < pass.batch as usize {
                break;
            }
        }
        let with_list = |prefix: &Query| -> Query {
            let mut q = prefix.clone();
            if bad.is_empty() {
                q.sql.push_str("(NULL)");
                return q;
            }
            q.sql.push('(');
            for (i, v) in bad.iter().enumerate() {
                if i > 0 {
                    q.sql.push_str(", ");
                }
                q.values.push(Bound::Text(v.clone()));
                q.sql.push_str(&match self.d {
                    SourceKind::Postgres => format!("${}", q.values.len()),
                    _ => "?".to_owned(),
                });
            }
            q.sql.push(')');
            q
        };
        Ok(Measured {
            checked,
            failing,
            failing_query: Some(with_list(&pass.failing_prefix)),
            sample_query: Some(with_list(&pass.sample_prefix)),
            samples: None,
            note: (!listed_all)
                .then(|| format!("失败值超过 {MAX_LISTED_VALUES} 个，失败行查询只列出前 {MAX_LISTED_VALUES} 个")),
        })
    }

    /// Sample rows: `projected` queries select every known column as text, in order; a custom
    /// query's columns are whatever it selects.
    async fn samples(
        &self,
        plan: &Plan,
        q: &Query,
        limit: u32,
        projected: bool,
    ) -> Result<Vec<serde_json::Value>, String> {
        let rows = self.rows(&q.limited(self.d, limit), Session::Plain).await?;
        sample_values(plan, &rows, projected, 0)
    }
}

/// A rule's counts from the aggregates and its own statements' results.
fn measure(r: &CompiledRule, aggregates: &[Counts], own: Result<Own, String>) -> Result<Measured, String> {
    let metric = |m: MetricRef| -> Result<u64, String> {
        let stmt = aggregates.get(m.stmt).ok_or("缺少聚合语句")?;
        let v = stmt
            .as_ref()
            .map_err(Clone::clone)?
            .get(m.col)
            .copied()
            .ok_or("缺少聚合列")?;
        Ok(u64::try_from(v).unwrap_or(0))
    };
    let plain = |checked, failing| Measured {
        checked,
        failing,
        failing_query: r.failing.clone(),
        sample_query: r.sample.clone(),
        samples: None,
        note: None,
    };
    match &r.evaluation {
        Evaluation::Counts { checked, failing } => Ok(plain(metric(*checked)?, metric(*failing)?)),
        Evaluation::Timeliness { fresh } => Ok(plain(1, u64::from(metric(*fresh)? == 0))),
        Evaluation::Volume {
            current,
            previous,
            min_rows,
            max_change_percent,
        } => {
            let (cur, prev) = (metric(*current)?, metric(*previous)?);
            let too_few = min_rows.is_some_and(|m| cur < m);
            let changed = max_change_percent.is_some_and(|max| prev > 0 && percent(cur.abs_diff(prev), prev) > max);
            let mut m = plain(1, u64::from(too_few || changed));
            m.note = Some(format!("窗口内 {cur} 行，上一窗口 {prev} 行"));
            Ok(m)
        }
        Evaluation::Statement { checked, .. } | Evaluation::Duplicates { checked, .. } => {
            let checked = metric(*checked)?;
            match own? {
                Own::Failing { failing, samples } => Ok(Measured {
                    samples,
                    ..plain(checked, failing)
                }),
                _ => Err("缺少计数结果".to_owned()),
            }
        }
        Evaluation::Consistency { .. } | Evaluation::RowPass(_) => match own? {
            Own::Measured(m) => Ok(m),
            _ => Err("缺少计数结果".to_owned()),
        },
        Evaluation::Refused(e) => Err(format!("规则无效：{e}")),
    }
}

/// Sample rows as JSON, masked; `projected` rows carry the plan's sample columns in order from
/// column `offset` on.
fn sample_values(
    plan: &Plan,
    rows: &[QueryResult],
    projected: bool,
    offset: usize,
) -> Result<Vec<serde_json::Value>, String> {
    let masks = |name: &str| -> Option<MaskRule> {
        plan.sample_columns
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, m)| *m)
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut map = serde_json::Map::new();
        if projected {
            for (i, (name, m)) in plan.sample_columns.iter().enumerate() {
                let v = text_at(row, offset + i).map(|t| match m {
                    Some(rule) => mask(&t, *rule),
                    None => t,
                });
                map.insert(
                    name.clone(),
                    v.map_or(serde_json::Value::Null, serde_json::Value::String),
                );
            }
        } else {
            let json = serde_json::Value::from_query_result(row, "").map_err(|e| e.to_string())?;
            if let serde_json::Value::Object(fields) = json {
                for (name, v) in fields {
                    let v = match (masks(&name), v) {
                        (_, serde_json::Value::Null) => serde_json::Value::Null,
                        (Some(rule), serde_json::Value::String(s)) => mask(&s, rule).into(),
                        (Some(rule), other) => mask(&other.to_string(), rule).into(),
                        (None, other) => other,
                    };
                    map.insert(name, v);
                }
            }
        }
        out.push(serde_json::Value::Object(map));
    }
    Ok(out)
}

fn error_result(rule: &Rule, e: String) -> RuleResult {
    RuleResult {
        rule_id: rule.id.clone(),
        severity: rule.severity,
        checked: 0,
        failing: 0,
        percent: 0.0,
        status: Status::Error,
        samples: Vec::new(),
        failing_query: String::new(),
        failing_params: Vec::new(),
        note: Some(e),
    }
}

/// The message of a statement ended by the client-side time limit.
pub(crate) const TIMEOUT_MESSAGE: &str = "查询超时";

/// Runs one statement on a source database, read-only where the dialect allows, limited to
/// `limit` by the server (PostgreSQL `statement_timeout`, MariaDB `max_statement_time`) and by
/// a client-side timeout on every dialect (the only limit SQLite gets). PostgreSQL sessions run
/// in `tz` (cutoffs bound as the source's wall-clock time then compare rightly with
/// `timestamptz` columns) with `pg_settings` (more `SET LOCAL`s, our own text, never input).
pub(crate) async fn read_only(
    db: &DatabaseConnection,
    kind: SourceKind,
    tz: Option<Tz>,
    sql: &str,
    values: Vec<sea_orm::Value>,
    limit: Duration,
    pg_settings: &str,
) -> Result<Vec<QueryResult>, String> {
    let ms = limit.as_millis();
    let backend = db.get_database_backend();
    let work = async {
        match kind {
            SourceKind::Postgres => {
                let txn = db
                    .begin_with_config(None, Some(AccessMode::ReadOnly))
                    .await
                    .map_err(|e| e.to_string())?;
                // A number we computed and a name that parsed as a zone (no quote in it).
                let mut set = format!("SET LOCAL statement_timeout = {ms}");
                if let Some(tz) = tz {
                    set.push_str(&format!("; SET LOCAL TIME ZONE '{}'", tz.name()));
                }
                if !pg_settings.is_empty() {
                    set.push_str("; ");
                    set.push_str(pg_settings);
                }
                txn.execute_unprepared(&set).await.map_err(|e| e.to_string())?;
                let rows = txn
                    .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
                    .await
                    .map_err(|e| e.to_string());
                // Nothing was written; ending the transaction either way is fine.
                let _ = txn.rollback().await;
                rows
            }
            SourceKind::MySql => {
                let txn = db
                    .begin_with_config(None, Some(AccessMode::ReadOnly))
                    .await
                    .map_err(|e| e.to_string())?;
                #[expect(clippy::cast_precision_loss, reason = "milliseconds of a timeout")]
                let secs = ms as f64 / 1000.0;
                let sql = format!("SET STATEMENT max_statement_time={secs} FOR {sql}");
                let rows = txn
                    .query_all_raw(Statement::from_sql_and_values(backend, &sql, values))
                    .await
                    .map_err(|e| e.to_string());
                let _ = txn.rollback().await;
                rows
            }
            SourceKind::Sqlite => db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
                .await
                .map_err(|e| e.to_string()),
        }
    };
    tokio::time::timeout(limit + Duration::from_secs(1), work)
        .await
        .map_err(|_| TIMEOUT_MESSAGE.to_owned())?
}

/// A cell as text; bytes (MariaDB binary casts) are decoded lossily.
pub(crate) fn text_at(row: &QueryResult, idx: usize) -> Option<String> {
    match row.try_get_by_index::<Option<String>>(idx) {
        Ok(v) => v,
        Err(_) => row
            .try_get_by_index::<Option<Vec<u8>>>(idx)
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
    }
}
