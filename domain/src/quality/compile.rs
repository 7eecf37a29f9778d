//! Compiling the rules of one table into a [`Plan`]: as few statements as possible, all
//! read-only, with every identifier quoted for the dialect and every literal bound.
//!
//! - **One aggregate pass** computes every counting metric: row count, non-null counts,
//!   `COUNT(*) FILTER (WHERE <failing>)` (PostgreSQL) or `SUM(CASE WHEN <failing> THEN 1 ELSE 0
//!   END)` per completeness and validity rule, fresh-row
//!   counts for timeliness (`ts >= cutoff`, the cutoff computed here from the update cycle) and
//!   window counts for volume. In incremental mode (a watermark column and the last run's
//!   watermark) the pass reads only newer rows; timeliness and volume, which are about the whole
//!   table, then get a second, unfiltered aggregate.
//! - **Separate statements** where the shape differs: duplicates (`GROUP BY key HAVING
//!   COUNT(*) > 1`, grouped once: the same statement returns the surplus and the sample rows of
//!   the first duplicated keys), references (`NOT EXISTS` against the other table), cross-table
//!   consistency, custom queries (`SELECT COUNT(*) FROM (<query>) q`). They run alongside the
//!   aggregate pass.
//! - **Row passes in Rust** for what SQL cannot check: the domain validators (credit code,
//!   citizen ID, permit number: checksums) on every dialect, and regular expressions on SQLite
//!   (no `REGEXP` built in, and sea-orm gives no hook to register one). A row pass reads
//!   `SELECT v, COUNT(*) ... GROUP BY v ORDER BY v` in keyset-paged batches, so it counts
//!   *every* row exactly with memory bounded by the batch, and checks each distinct value once.
//!   Its failing-rows query is `... WHERE v IN (<the failing values>)`, exact up to
//!   [`MAX_LISTED_VALUES`] distinct failing values.
//!
//! Naive timestamps in the source are taken as wall-clock times in [`CompileOptions::source_tz`]
//! (the bureau's systems store Beijing time); cutoffs and watermarks are bound in that zone.
//!
//! Regular expressions: PostgreSQL `!~` and MariaDB `NOT REGEXP` are unanchored searches, like
//! Rust's `is_match`; MariaDB's pattern gets a `(?-i)` prefix so that a case-insensitive column
//! collation does not make it case-insensitive. Code tables and HJ 212 flags compare the binary
//! value on MariaDB for the same reason.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::rule::{
    Aggregate, BUILTIN_RUN_DATE, BUILTIN_RUN_TIME, ColumnInfo, Param, Rule, RuleKind, UpdateCycle, Validity,
};
use super::run::DEFAULT_SAMPLE_LIMIT;
use super::sql::ReadOnlyQuery;
use crate::calendar::WorkCalendar;
use crate::catalog::introspect::SourceKind;
use crate::catalog::model::DataType;
use crate::ident::{CitizenId, CreditCode, PermitNumber};
use crate::sensitivity::MaskRule;

/// Most distinct failing values a row pass lists in its failing-rows query.
pub const MAX_LISTED_VALUES: usize = 1_000;

/// Distinct values read per batch by a row pass.
pub const SCAN_BATCH: u32 = 5_000;

/// The HJ 212-2017 value flags.
pub const HJ212_FLAGS: [&str; 8] = ["N", "F", "M", "S", "D", "C", "T", "B"];

/// The checked table and what the catalog knows of its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualifiedTable {
    /// Schema (PostgreSQL) or database (MySQL), if qualified.
    pub schema: Option<String>,
    /// Table name as the database spells it.
    pub name: String,
    /// Its columns.
    pub columns: Vec<ColumnInfo>,
}

/// How to compile.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// Column whose increase marks new rows (incremental mode with [`since`](Self::since)).
    pub watermark_column: Option<String>,
    /// The last run's watermark: only rows with a newer watermark are inspected.
    pub since: Option<DateTime<Utc>>,
    /// The time of the run (injected, never read here).
    pub now: DateTime<Utc>,
    /// Zone of the source's naive timestamps.
    pub source_tz: Tz,
    /// Working-day calendar for [`UpdateCycle::WorkingDays`].
    pub calendar: WorkCalendar,
}

impl CompileOptions {
    /// Full (non-incremental) run at `now`, Beijing time, built-in holiday calendar.
    pub fn full(now: DateTime<Utc>) -> Self {
        CompileOptions {
            watermark_column: None,
            since: None,
            now,
            source_tz: chrono_tz::Asia::Shanghai,
            calendar: WorkCalendar::with_builtin_holidays(chrono_tz::Asia::Shanghai),
        }
    }
}

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Integer.
    Int(i64),
    /// Number.
    Float(f64),
    /// Text.
    Text(String),
    /// Naive timestamp (source wall-clock time).
    Timestamp(NaiveDateTime),
}

impl From<&Param> for Bound {
    fn from(p: &Param) -> Self {
        match p {
            Param::Int(i) => Bound::Int(*i),
            Param::Float(f) => Bound::Float(*f),
            Param::Text(t) => Bound::Text(t.clone()),
        }
    }
}

impl Bound {
    /// As a sea-orm value.
    pub fn to_value(&self) -> sea_orm::Value {
        match self {
            Bound::Int(i) => (*i).into(),
            Bound::Float(f) => (*f).into(),
            Bound::Text(t) => t.as_str().into(),
            Bound::Timestamp(t) => (*t).into(),
        }
    }

    /// As JSON, for showing the bound values next to a query.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Bound::Int(i) => (*i).into(),
            Bound::Float(f) => (*f).into(),
            Bound::Text(t) => t.as_str().into(),
            Bound::Timestamp(t) => t.format("%Y-%m-%d %H:%M:%S").to_string().into(),
        }
    }
}

/// A statement with its bound values, ready to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// SQL text with dialect placeholders (`$1` or `?`).
    pub sql: String,
    /// Values for the placeholders, in order.
    pub values: Vec<Bound>,
}

impl Query {
    /// This query with `LIMIT n` appended (bound).
    pub fn limited(&self, dialect: SourceKind, n: u32) -> Query {
        let mut q = self.clone();
        q.values.push(Bound::Int(i64::from(n)));
        q.sql.push_str(" LIMIT ");
        q.sql.push_str(&placeholder(dialect, q.values.len()));
        q
    }
}

fn placeholder(dialect: SourceKind, n: usize) -> String {
    match dialect {
        SourceKind::Postgres => format!("${n}"),
        SourceKind::MySql | SourceKind::Sqlite => "?".to_owned(),
    }
}

/// SQL under construction: text pieces and values, numbered only when finished, so that one
/// fragment can be reused in several statements.
#[derive(Debug, Clone, Default)]
struct Sql(Vec<Piece>);

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Value(Bound),
}

impl Sql {
    fn new(s: &str) -> Self {
        Sql(vec![Piece::Text(s.to_owned())])
    }
    fn s(mut self, s: &str) -> Self {
        self.0.push(Piece::Text(s.to_owned()));
        self
    }
    fn v(mut self, v: Bound) -> Self {
        self.0.push(Piece::Value(v));
        self
    }
    fn q(mut self, other: &Sql) -> Self {
        self.0.extend(other.0.iter().cloned());
        self
    }
    /// Values bound so far (the index the next one gets).
    fn values(&self) -> usize {
        self.0.iter().filter(|p| matches!(p, Piece::Value(_))).count()
    }
    fn finish(&self, dialect: SourceKind) -> Query {
        let mut sql = String::new();
        let mut values = Vec::new();
        for p in &self.0 {
            match p {
                Piece::Text(t) => sql.push_str(t),
                Piece::Value(v) => {
                    values.push(v.clone());
                    sql.push_str(&placeholder(dialect, values.len()));
                }
            }
        }
        Query { sql, values }
    }
}

/// Quotes an identifier for the dialect, doubling embedded quote characters.
pub fn quote(dialect: SourceKind, ident: &str) -> String {
    dialect.quote(ident)
}

fn quote_table(dialect: SourceKind, schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", quote(dialect, s), quote(dialect, name)),
        None => quote(dialect, name),
    }
}

/// Where a metric is read from: statement `stmt` of [`Plan::aggregates`], column `col`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricRef {
    /// Index into [`Plan::aggregates`].
    pub stmt: usize,
    /// Column of that statement's single row.
    pub col: usize,
}

/// A domain check run in Rust by a row pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowCheck {
    /// Unified social credit code with its checksum (pilot codes that fail it count as failing).
    CreditCode,
    /// Citizen ID with checksum and date.
    CitizenId,
    /// Permit number with one of these identifier letters (empty: `P`).
    PermitNumber(Vec<char>),
    /// Regular expression (unanchored search).
    Regex(String),
}

impl RowCheck {
    /// A matcher for values; `None` when the pattern does not compile (refused at save time).
    pub fn matcher(&self) -> Option<Matcher> {
        Some(match self {
            RowCheck::CreditCode => Box::new(|v| CreditCode::parse(v).is_ok_and(|c| !c.is_suspect())),
            RowCheck::CitizenId => Box::new(|v| CitizenId::parse(v).is_ok()),
            RowCheck::PermitNumber(letters) => {
                let letters = if letters.is_empty() {
                    PermitNumber::DEFAULT_LETTERS.to_vec()
                } else {
                    letters.clone()
                };
                Box::new(move |v| PermitNumber::parse(v, &letters).is_ok())
            }
            RowCheck::Regex(p) => {
                let re = regex::Regex::new(p).ok()?;
                Box::new(move |v| re.is_match(v))
            }
        })
    }
}

/// Whether a value passes a [`RowCheck`].
pub type Matcher = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// A keyset-paged row pass over the distinct values of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowPass {
    /// First batch: `SELECT v, COUNT(*) ... GROUP BY v ORDER BY v LIMIT n`.
    pub first: Query,
    /// Later batches: the same with `AND v > <last value>` (bound as the last-but-one value;
    /// the runner appends it before the limit).
    pub next: Query,
    /// The failing-rows query without its `IN (...)` list: `SELECT * ... WHERE ... AND v IN `.
    pub failing_prefix: Query,
    /// The same with the sample projection.
    pub sample_prefix: Query,
    /// The value check.
    pub check: RowCheck,
    /// Distinct values per batch ([`SCAN_BATCH`]).
    pub batch: u32,
}

/// How a rule's checked and failing counts are obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// Both counts from the aggregate pass.
    Counts {
        /// Rows checked.
        checked: MetricRef,
        /// Rows failing.
        failing: MetricRef,
    },
    /// One check: failing when no row is at least as new as the cutoff.
    Timeliness {
        /// Rows at least as new as the cutoff.
        fresh: MetricRef,
    },
    /// One check: failing when the window has too few rows or changed too much.
    Volume {
        /// Rows in the current window.
        current: MetricRef,
        /// Rows in the window before.
        previous: MetricRef,
        /// Fewest rows expected.
        min_rows: Option<u64>,
        /// Largest tolerated change, percent.
        max_change_percent: Option<f64>,
    },
    /// Failing count from a separate statement (single integer), checked from the aggregate.
    Statement {
        /// Rows checked.
        checked: MetricRef,
        /// The counting statement.
        count: Query,
    },
    /// Duplicate keys: the surplus and samples from one statement (the grouping runs once).
    Duplicates {
        /// Rows checked.
        checked: MetricRef,
        /// The surplus alone (one integer), for runs without samples.
        count: Query,
        /// Per row: the surplus, a marker, then the sample projection of a row of the first
        /// duplicated keys; a single row with a null marker when no key is duplicated.
        sampled: Query,
        /// Positions in `sampled.values` of the sample limit, which the runner sets.
        limits: Vec<usize>,
    },
    /// Two aggregates (as text) compared within a tolerance: one check.
    Consistency {
        /// `SELECT (this aggregate), (that aggregate)`.
        compare: Query,
        /// Largest tolerated relative difference, percent.
        tolerance_percent: f64,
    },
    /// A row pass in Rust.
    RowPass(RowPass),
    /// The rule cannot be compiled (it should have been refused when saved); reported as an error.
    Refused(String),
}

/// One compiled rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompiledRule {
    /// The rule.
    pub rule: Rule,
    /// How it is counted.
    pub evaluation: Evaluation,
    /// The query listing all failing rows (for row passes: completed by the runner).
    pub failing: Option<Query>,
    /// The sample query (text-cast projection, unlimited; the runner appends the limit).
    pub sample: Option<Query>,
}

/// Everything needed to run one table's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The dialect the statements are written in.
    pub dialect: SourceKind,
    /// The aggregate statements: one, or two in incremental mode with whole-table metrics.
    /// Every column is an integer count.
    pub aggregates: Vec<Query>,
    /// The newest watermark among the inspected rows, as text (incremental mode only).
    pub watermark: Option<Query>,
    /// The compiled rules, in input order.
    pub rules: Vec<CompiledRule>,
    /// Columns shown in samples, with their masks.
    pub sample_columns: Vec<(String, Option<MaskRule>)>,
    /// Zone of the source's naive timestamps (IANA name), for reading the watermark back.
    pub source_tz: String,
}

struct Ctx<'a> {
    d: SourceKind,
    table: String,
    columns: &'a [ColumnInfo],
    /// `AND wm > ?` (empty when not incremental); unqualified column.
    window: Sql,
    /// Metric expressions per aggregate statement: 0 filtered, 1 whole table.
    metrics: [Vec<(String, Sql)>; 2],
    incremental: bool,
}

impl Ctx<'_> {
    fn q(&self, c: &str) -> String {
        quote(self.d, c)
    }

    fn is_text(&self, c: &str) -> bool {
        self.columns.iter().any(|x| x.name == c && x.is_text())
    }

    fn is_decimal(&self, c: &str) -> bool {
        self.columns
            .iter()
            .any(|x| x.name == c && x.data_type == Some(DataType::Decimal))
    }

    /// A bound number compared with column `c`. PostgreSQL compares a `numeric` column with a
    /// `float8` value by converting every row to `float8`, which doubles the cost of a range
    /// check on a large table; the value is converted once instead.
    fn number(&self, c: &str, v: f64) -> Sql {
        if self.d == SourceKind::Postgres && self.is_decimal(c) {
            Sql::new("CAST(").v(Bound::Float(v)).s(" AS NUMERIC)")
        } else {
            Sql::default().v(Bound::Float(v))
        }
    }

    /// The column as text.
    fn text(&self, c: &str) -> String {
        let q = self.q(c);
        if self.is_text(c) {
            return q;
        }
        match self.d {
            SourceKind::MySql => format!("CAST({q} AS CHAR)"),
            SourceKind::Postgres | SourceKind::Sqlite => format!("CAST({q} AS TEXT)"),
        }
    }

    /// The column as compared for exact text equality (binary on MariaDB).
    fn exact(&self, c: &str) -> String {
        match self.d {
            SourceKind::MySql => format!("CAST({} AS BINARY)", self.q(c)),
            _ => self.text(c),
        }
    }

    /// Opening and closing text of an integer `SUM` that is 0 over no rows.
    fn sum_wrap(&self) -> (&'static str, &'static str) {
        match self.d {
            SourceKind::Postgres => ("COALESCE(CAST(SUM(", ") AS BIGINT), 0)"),
            SourceKind::MySql => ("COALESCE(CAST(SUM(", ") AS SIGNED), 0)"),
            SourceKind::Sqlite => ("COALESCE(SUM(", "), 0)"),
        }
    }

    fn int_sum(&self, expr: &str) -> String {
        let (open, close) = self.sum_wrap();
        format!("{open}{expr}{close}")
    }

    /// Registers a metric (deduplicated by key) and returns where to read it.
    fn metric(&mut self, whole_table: bool, key: String, expr: Sql) -> MetricRef {
        let stmt = usize::from(whole_table && self.incremental);
        let list = &mut self.metrics[stmt];
        let col = match list.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                list.push((key, expr));
                list.len() - 1
            }
        };
        MetricRef { stmt, col }
    }

    fn rows(&mut self) -> MetricRef {
        self.metric(false, "rows".into(), Sql::new("COUNT(*)"))
    }

    fn non_null(&mut self, c: &str) -> MetricRef {
        let e = format!("COUNT({})", self.q(c));
        self.metric(false, format!("nonnull:{c}"), Sql::new(&e))
    }

    /// Rows where `cond` holds: `COUNT(*) FILTER (WHERE cond)` on PostgreSQL (cheaper per row),
    /// `SUM(CASE WHEN cond THEN 1 ELSE 0 END)` elsewhere.
    fn count_where(&mut self, whole_table: bool, key: String, cond: &Sql) -> MetricRef {
        let expr = if self.d == SourceKind::Postgres {
            Sql::new("COUNT(*) FILTER (WHERE ").q(cond).s(")")
        } else {
            let (open, close) = self.sum_wrap();
            Sql::new(&format!("{open}CASE WHEN "))
                .q(cond)
                .s(&format!(" THEN 1 ELSE 0 END{close}"))
        };
        self.metric(whole_table, key, expr)
    }

    /// `SELECT * FROM t WHERE cond [AND wm > ?]`.
    fn failing(&self, cond: &Sql) -> Query {
        Sql::new(&format!("SELECT * FROM {} WHERE ", self.table))
            .q(cond)
            .q(&self.window)
            .finish(self.d)
    }

    /// The sample projection for `SELECT ... FROM t WHERE cond [AND wm > ?]`.
    fn sample(&self, cond: &Sql) -> Query {
        Sql::new(&format!("SELECT {} FROM {} WHERE ", self.projection(""), self.table))
            .q(cond)
            .q(&self.window)
            .finish(self.d)
    }

    /// Every column as text, named as itself; `prefix` qualifies it (`o.`).
    fn projection(&self, prefix: &str) -> String {
        self.columns
            .iter()
            .map(|c| {
                let q = format!("{prefix}{}", self.q(&c.name));
                let cast = match self.d {
                    SourceKind::MySql => format!("CAST({q} AS CHAR)"),
                    _ => format!("CAST({q} AS TEXT)"),
                };
                format!("{cast} AS {}", self.q(&c.name))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Wall-clock time of `t` in `tz`, as the source stores it.
fn local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// Start (source wall-clock) of the `n`-th working day before the day of `now`.
fn working_days_cutoff(calendar: &WorkCalendar, tz: Tz, now: DateTime<Utc>, n: u32) -> NaiveDateTime {
    let mut date = now.with_timezone(&tz).date_naive();
    let mut left = n;
    // Bounded: a calendar has far fewer than 60 non-working days in a row.
    for _ in 0..(u64::from(n) * 7 + 60) {
        if left == 0 {
            break;
        }
        match date.pred_opt() {
            Some(d) => date = d,
            None => break,
        }
        if calendar.is_working_day(date) {
            left -= 1;
        }
    }
    date.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// Compiles the rules of one table. Rules are expected to have passed [`Rule::validate`]
/// against `table.columns`; a rule naming an unknown column is compiled all the same (its
/// identifier is quoted) and fails at run time with the database's error.
pub fn compile(table: &QualifiedTable, rules: &[Rule], dialect: SourceKind, opts: &CompileOptions) -> Plan {
    let d = dialect;
    let qtable = quote_table(d, table.schema.as_deref(), &table.name);
    let incremental = opts.watermark_column.is_some() && opts.since.is_some();
    let window = match (&opts.watermark_column, opts.since) {
        (Some(wm), Some(since)) => {
            Sql::new(&format!(" AND {} > ", quote(d, wm))).v(Bound::Timestamp(local(opts.source_tz, since)))
        }
        _ => Sql::default(),
    };
    let mut cx = Ctx {
        d,
        table: qtable.clone(),
        columns: &table.columns,
        window,
        metrics: [Vec::new(), Vec::new()],
        incremental,
    };
    let now = local(opts.source_tz, opts.now);
    let mut compiled = Vec::with_capacity(rules.len());
    for rule in rules {
        let (evaluation, failing, sample) = compile_rule(&mut cx, rule, opts, now);
        compiled.push(CompiledRule {
            rule: rule.clone(),
            evaluation,
            failing,
            sample,
        });
    }

    // Statement 0 (filtered in incremental mode) always exists; statement 1 (whole table) only
    // in incremental mode with timeliness or volume rules.
    let mut aggregates = Vec::new();
    for (i, list) in cx.metrics.iter().enumerate() {
        if i == 1 && list.is_empty() {
            continue;
        }
        let mut sql = Sql::new("SELECT ");
        if list.is_empty() {
            sql = sql.s("COUNT(*)");
        }
        for (n, (_, e)) in list.iter().enumerate() {
            if n > 0 {
                sql = sql.s(", ");
            }
            sql = sql.q(e);
        }
        sql = sql.s(&format!(" FROM {qtable}"));
        if i == 0 && incremental {
            sql = sql.s(" WHERE 1 = 1").q(&cx.window);
        }
        aggregates.push(sql.finish(d));
    }
    let watermark = match (&opts.watermark_column, incremental) {
        (Some(wm), true) => {
            let cast = match d {
                SourceKind::MySql => format!("CAST(MAX({}) AS CHAR)", quote(d, wm)),
                _ => format!("CAST(MAX({}) AS TEXT)", quote(d, wm)),
            };
            Some(
                Sql::new(&format!("SELECT {cast} FROM {qtable} WHERE 1 = 1"))
                    .q(&cx.window)
                    .finish(d),
            )
        }
        (Some(wm), false) => {
            let cast = match d {
                SourceKind::MySql => format!("CAST(MAX({}) AS CHAR)", quote(d, wm)),
                _ => format!("CAST(MAX({}) AS TEXT)", quote(d, wm)),
            };
            Some(Sql::new(&format!("SELECT {cast} FROM {qtable}")).finish(d))
        }
        _ => None,
    };
    Plan {
        dialect: d,
        aggregates,
        watermark,
        rules: compiled,
        sample_columns: table.columns.iter().map(|c| (c.name.clone(), c.mask)).collect(),
        source_tz: opts.source_tz.name().to_owned(),
    }
}

type Compiled = (Evaluation, Option<Query>, Option<Query>);

fn compile_rule(cx: &mut Ctx<'_>, rule: &Rule, opts: &CompileOptions, now: NaiveDateTime) -> Compiled {
    let d = cx.d;
    match &rule.kind {
        RuleKind::Timeliness { column, cycle } => {
            let cutoff = match cycle {
                UpdateCycle::Hours(h) => now - Duration::hours(i64::from(*h)),
                UpdateCycle::WorkingDays(n) => working_days_cutoff(&opts.calendar, opts.source_tz, opts.now, *n),
            };
            let c = cx.q(column);
            let cond = Sql::new(&format!("{c} >= ")).v(Bound::Timestamp(cutoff));
            let fresh = cx.count_where(true, format!("fresh:{column}:{cutoff}"), &cond);
            let newest = Sql::new(&format!("{c} = (SELECT MAX({c}) FROM {})", cx.table));
            let failing = Sql::new(&format!("SELECT * FROM {} WHERE ", cx.table))
                .q(&newest)
                .finish(d);
            let sample = Sql::new(&format!("SELECT {} FROM {} WHERE ", cx.projection(""), cx.table))
                .q(&newest)
                .finish(d);
            (Evaluation::Timeliness { fresh }, Some(failing), Some(sample))
        }
        RuleKind::Volume {
            column,
            window_hours,
            min_rows,
            max_change_percent,
        } => {
            let c = cx.q(column);
            let start = now - Duration::hours(i64::from(*window_hours));
            let before = start - Duration::hours(i64::from(*window_hours));
            let cur = Sql::new(&format!("{c} >= ")).v(Bound::Timestamp(start));
            let prev = Sql::new(&format!("{c} >= "))
                .v(Bound::Timestamp(before))
                .s(&format!(" AND {c} < "))
                .v(Bound::Timestamp(start));
            let current = cx.count_where(true, format!("window:{column}:{start}"), &cur);
            let previous = cx.count_where(true, format!("window:{column}:{before}:{start}"), &prev);
            let failing = Sql::new(&format!("SELECT * FROM {} WHERE ", cx.table))
                .q(&cur)
                .finish(d);
            (
                Evaluation::Volume {
                    current,
                    previous,
                    min_rows: *min_rows,
                    max_change_percent: *max_change_percent,
                },
                Some(failing),
                None,
            )
        }
        RuleKind::Completeness { column } => {
            let c = cx.q(column);
            let cond = if cx.is_text(column) {
                Sql::new(&format!("({c} IS NULL OR TRIM({c}) = '')"))
            } else {
                Sql::new(&format!("{c} IS NULL"))
            };
            let checked = cx.rows();
            let failing = cx.count_where(false, format!("{}:missing", rule.id), &cond);
            let (f, s) = (cx.failing(&cond), cx.sample(&cond));
            (Evaluation::Counts { checked, failing }, Some(f), Some(s))
        }
        RuleKind::Validity { column, check } => compile_validity(cx, rule, column, check),
        RuleKind::Uniqueness { columns } => compile_uniqueness(cx, columns),
        RuleKind::Referential {
            column,
            target,
            target_column,
        } => {
            let c = cx.q(column);
            let t = quote_table(d, target.schema.as_deref(), &target.name);
            let tc = cx.q(target_column);
            let cond = Sql::new(&format!(
                "o.{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {t} AS x WHERE x.{tc} = o.{c})"
            ))
            .q(&window_on(cx, "o."));
            let from = format!(" FROM {} AS o WHERE ", cx.table);
            let count = Sql::new(&format!("SELECT COUNT(*){from}")).q(&cond).finish(d);
            let failing = Sql::new(&format!("SELECT o.*{from}")).q(&cond).finish(d);
            let sample = Sql::new(&format!("SELECT {}{from}", cx.projection("o.")))
                .q(&cond)
                .finish(d);
            let checked = cx.non_null(column);
            (Evaluation::Statement { checked, count }, Some(failing), Some(sample))
        }
        RuleKind::Consistency {
            column,
            aggregate,
            target,
            target_column,
            tolerance_percent,
        } => {
            let agg = |c: String| match aggregate {
                Aggregate::Count => format!("COUNT({c})"),
                Aggregate::Sum => format!("SUM({c})"),
                Aggregate::Min => format!("MIN({c})"),
                Aggregate::Max => format!("MAX({c})"),
            };
            let text = |e: String| match d {
                SourceKind::MySql => format!("CAST({e} AS CHAR)"),
                _ => format!("CAST({e} AS TEXT)"),
            };
            let t = quote_table(d, target.schema.as_deref(), &target.name);
            let compare = Sql::new(&format!(
                "SELECT (SELECT {} FROM {}), (SELECT {} FROM {t})",
                text(agg(cx.q(column))),
                cx.table,
                text(agg(cx.q(target_column)))
            ))
            .finish(d);
            (
                Evaluation::Consistency {
                    compare: compare.clone(),
                    tolerance_percent: *tolerance_percent,
                },
                Some(compare),
                None,
            )
        }
        RuleKind::CustomSql { sql, params } => match ReadOnlyQuery::parse(sql) {
            Ok(q) => {
                let mut values = Vec::new();
                let (text, names) = q.rewrite(|i| placeholder(d, i + 1));
                for name in names {
                    values.push(match name.as_str() {
                        BUILTIN_RUN_TIME => Bound::Timestamp(now),
                        BUILTIN_RUN_DATE => Bound::Text(now.date().format("%Y-%m-%d").to_string()),
                        _ => params.get(&name).map_or(Bound::Text(String::new()), Bound::from),
                    });
                }
                let count = Query {
                    sql: format!("SELECT COUNT(*) FROM ({text}) q"),
                    values: values.clone(),
                };
                let failing = Query {
                    sql: text.clone(),
                    values: values.clone(),
                };
                let sample = Query {
                    sql: format!("SELECT * FROM ({text}) q"),
                    values,
                };
                let checked = cx.rows();
                (Evaluation::Statement { checked, count }, Some(failing), Some(sample))
            }
            // Refused at save time already; never sent to the database.
            Err(e) => (Evaluation::Refused(e), None, None),
        },
        // Compared with the catalog by the caller (schema drift), never compiled to SQL.
        RuleKind::Schema => (Evaluation::Refused("表结构规则由目录比对执行".into()), None, None),
    }
}

/// Duplicate keys: one statement both counts the surplus and takes the sample rows, since the
/// grouping of every key is by far the costliest statement of a run.
///
/// On PostgreSQL the keys are grouped with fixed-width columns first and text in the `"C"`
/// collation: the groups are the same (under a deterministic collation, equal means
/// byte-equal), but comparing timestamps and bytes sorts several times faster than comparing
/// text through the locale. The runner also asks for a sort rather than a hash (nearly every
/// key is distinct, so a hash table would hold the whole table).
fn compile_uniqueness(cx: &mut Ctx<'_>, columns: &[String]) -> Compiled {
    let d = cx.d;
    let keys: Vec<String> = columns.iter().map(|c| cx.q(c)).collect();
    let not_null = keys
        .iter()
        .map(|k| format!("{k} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let group = keys.join(", ");
    let pg_text = |c: &str| d == SourceKind::Postgres && cx.is_text(c);
    // Grouping expressions in grouping order, each with the key's position.
    let mut grouped: Vec<(usize, String)> = columns
        .iter()
        .zip(&keys)
        .enumerate()
        .map(|(i, (c, k))| {
            (
                i,
                if pg_text(c) {
                    format!("{k} COLLATE \"C\"")
                } else {
                    k.clone()
                },
            )
        })
        .collect();
    if d == SourceKind::Postgres {
        grouped.sort_by_key(|(i, _)| columns.get(*i).is_some_and(|c| cx.is_text(c)));
    }
    let group_fast = grouped.iter().map(|(_, e)| e.as_str()).collect::<Vec<_>>().join(", ");
    let from_keys = |select: &str| {
        Sql::new(&format!("{select} FROM {} WHERE {not_null}", cx.table))
            .q(&cx.window)
            .s(&format!(" GROUP BY {group_fast} HAVING COUNT(*) > 1"))
    };

    let surplus = cx.int_sum("d.n - 1");
    let count = Sql::new(&format!("SELECT {surplus} FROM ("))
        .q(&from_keys("SELECT COUNT(*) AS n"))
        .s(") d")
        .finish(d);

    // The surplus on every row, then a marker and the sample projection of the rows of the
    // first duplicated keys; one row with a null marker when no key is duplicated.
    let mut by_key: Vec<&(usize, String)> = grouped.iter().collect();
    by_key.sort_by_key(|(i, _)| *i);
    let select_keys = by_key
        .iter()
        .map(|(i, e)| format!("{e} AS k{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let key_names = (0..keys.len()).map(|i| format!("k{i}")).collect::<Vec<_>>();
    let first_order = key_names.join(", ");
    let on = columns
        .iter()
        .zip(&keys)
        .enumerate()
        .map(|(i, (c, k))| {
            let collate = if pg_text(c) { " COLLATE \"C\"" } else { "" };
            format!("o.{k}{collate} = f.k{i}")
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    let sample_order = key_names
        .iter()
        .map(|k| format!("f.{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let head = Sql::new("WITH ecogov_dups AS (")
        .q(&from_keys(&format!("SELECT {select_keys}, COUNT(*) AS n")))
        .s(&format!(
            "), ecogov_first AS (SELECT {first_order} FROM ecogov_dups ORDER BY {first_order} LIMIT "
        ));
    let first_limit = head.values();
    let sample_sum = cx.int_sum("n - 1");
    let middle = head
        .v(Bound::Int(i64::from(DEFAULT_SAMPLE_LIMIT)))
        .s(&format!(
            ") SELECT tot.surplus, smp.* FROM (SELECT {sample_sum} AS surplus FROM ecogov_dups) tot \
             LEFT JOIN (SELECT '1' AS ecogov_sample, {} FROM {} AS o JOIN ecogov_first AS f ON {on} WHERE 1 = 1",
            cx.projection("o."),
            cx.table
        ))
        .q(&window_on(cx, "o."))
        .s(&format!(" ORDER BY {sample_order} LIMIT "));
    let rows_limit = middle.values();
    let sampled = middle
        .v(Bound::Int(i64::from(DEFAULT_SAMPLE_LIMIT)))
        .s(") smp ON 1 = 1")
        .finish(d);

    // The failing rows, for a person to run: every row of every duplicated key.
    let dups = Sql::new(&format!("SELECT {group} FROM {} WHERE {not_null}", cx.table))
        .q(&cx.window)
        .s(&format!(" GROUP BY {group} HAVING COUNT(*) > 1"));
    let on_all = keys
        .iter()
        .map(|k| format!("o.{k} = d.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let order = keys.iter().map(|k| format!("o.{k}")).collect::<Vec<_>>().join(", ");
    let failing = Sql::new(&format!("SELECT o.* FROM {} AS o JOIN (", cx.table))
        .q(&dups)
        .s(&format!(") d ON {on_all} WHERE 1 = 1"))
        .q(&window_on(cx, "o."))
        .s(&format!(" ORDER BY {order}"))
        .finish(d);
    let checked = cx.rows();
    (
        Evaluation::Duplicates {
            checked,
            count,
            sampled,
            limits: vec![first_limit, rows_limit],
        },
        Some(failing),
        None,
    )
}

/// The incremental filter on a qualified column (`AND o.wm > ?`).
fn window_on(cx: &Ctx<'_>, prefix: &str) -> Sql {
    let mut out = Sql::default();
    for p in &cx.window.0 {
        out.0.push(match p {
            Piece::Text(t) => Piece::Text(t.replacen(" AND ", &format!(" AND {prefix}"), 1)),
            Piece::Value(v) => Piece::Value(v.clone()),
        });
    }
    out
}

fn compile_validity(cx: &mut Ctx<'_>, rule: &Rule, column: &str, check: &Validity) -> Compiled {
    let d = cx.d;
    let c = cx.q(column);
    let row_check = match check {
        Validity::CreditCode => Some(RowCheck::CreditCode),
        Validity::CitizenId => Some(RowCheck::CitizenId),
        Validity::PermitNumber { letters } => Some(RowCheck::PermitNumber(letters.clone())),
        Validity::Regex { pattern } if d == SourceKind::Sqlite => Some(RowCheck::Regex(pattern.clone())),
        _ => None,
    };
    if let Some(check) = row_check {
        let v = match d {
            SourceKind::MySql => format!("CAST({c} AS BINARY)"),
            _ => cx.text(column),
        };
        let base = Sql::new(&format!("SELECT {v}, COUNT(*) FROM {} WHERE {c} IS NOT NULL", cx.table)).q(&cx.window);
        let tail = format!(" GROUP BY {v} ORDER BY {v}");
        let first = base.clone().s(&tail).finish(d);
        let next = base
            .s(&format!(" AND {v} > "))
            .v(Bound::Text(String::new()))
            .s(&tail)
            .finish(d);
        let prefix = |select: String| {
            Sql::new(&format!("{select} FROM {} WHERE {c} IS NOT NULL", cx.table))
                .q(&cx.window)
                .s(&format!(" AND {v} IN "))
                .finish(d)
        };
        let failing_prefix = prefix("SELECT *".to_owned());
        let sample_prefix = prefix(format!("SELECT {}", cx.projection("")));
        let evaluation = Evaluation::RowPass(RowPass {
            first,
            next,
            failing_prefix,
            sample_prefix,
            check,
            batch: SCAN_BATCH,
        });
        return (evaluation, None, None);
    }
    let cond = match check {
        Validity::Range { min, max } => {
            let mut parts = Vec::new();
            if let Some(lo) = min {
                parts.push(Sql::new(&format!("{c} < ")).q(&cx.number(column, *lo)));
            }
            if let Some(hi) = max {
                parts.push(Sql::new(&format!("{c} > ")).q(&cx.number(column, *hi)));
            }
            any_of(&c, parts)
        }
        Validity::Regex { pattern } => {
            let (op, pattern) = match d {
                SourceKind::MySql => ("NOT REGEXP", format!("(?-i){pattern}")),
                _ => ("!~", pattern.clone()),
            };
            Sql::new(&format!("{c} IS NOT NULL AND {} {op} ", cx.text(column))).v(Bound::Text(pattern))
        }
        Validity::OneOf { values } => not_in(cx, column, values.iter().map(String::as_str)),
        Validity::Hj212Flag => not_in(cx, column, HJ212_FLAGS.into_iter()),
        Validity::Length { min, max } => {
            let len = match d {
                SourceKind::Postgres => format!("CHAR_LENGTH({})", cx.text(column)),
                SourceKind::MySql => format!("CHAR_LENGTH({c})"),
                SourceKind::Sqlite => format!("LENGTH({})", cx.text(column)),
            };
            let mut parts = Vec::new();
            if let Some(lo) = min {
                parts.push(Sql::new(&format!("{len} < ")).v(Bound::Int(i64::from(*lo))));
            }
            if let Some(hi) = max {
                parts.push(Sql::new(&format!("{len} > ")).v(Bound::Int(i64::from(*hi))));
            }
            any_of(&c, parts)
        }
        // Handled as row passes above.
        Validity::CreditCode | Validity::CitizenId | Validity::PermitNumber { .. } => Sql::new("1 = 0"),
    };
    let checked = cx.non_null(column);
    let failing = cx.count_where(false, format!("{}:invalid", rule.id), &cond);
    let (f, s) = (cx.failing(&cond), cx.sample(&cond));
    (Evaluation::Counts { checked, failing }, Some(f), Some(s))
}

/// `c IS NOT NULL AND (p1 OR p2)`.
fn any_of(c: &str, parts: Vec<Sql>) -> Sql {
    let mut out = Sql::new(&format!("{c} IS NOT NULL AND ("));
    if parts.is_empty() {
        out = out.s("1 = 0");
    }
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out = out.s(" OR ");
        }
        out = out.q(p);
    }
    out.s(")")
}

fn not_in<'a>(cx: &Ctx<'_>, column: &str, values: impl Iterator<Item = &'a str>) -> Sql {
    let mut out = Sql::new(&format!(
        "{} IS NOT NULL AND {} NOT IN (",
        cx.q(column),
        cx.exact(column)
    ));
    for (i, v) in values.enumerate() {
        if i > 0 {
            out = out.s(", ");
        }
        out = out.v(Bound::Text(v.to_owned()));
    }
    out.s(")")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;

    use super::*;
    use crate::quality::rule::{Severity, TableRef, Threshold};

    fn table() -> QualifiedTable {
        let col = |name: &str, t: DataType| ColumnInfo {
            name: name.to_owned(),
            data_type: Some(t),
            mask: None,
        };
        QualifiedTable {
            schema: Some("monitor".into()),
            name: "air_hourly".into(),
            columns: vec![
                col("station_code", DataType::String),
                col("observed_at", DataType::DateTime),
                col("pm25", DataType::Decimal),
                col("flag", DataType::String),
                col("we\"ird`col", DataType::String),
            ],
        }
    }

    fn rule(id: &str, kind: RuleKind) -> Rule {
        Rule {
            id: id.into(),
            kind,
            severity: Severity::Medium,
            warn: Threshold::Count(0),
            fail: Threshold::Count(1),
        }
    }

    fn rules() -> Vec<Rule> {
        vec![
            rule("pm25_missing", RuleKind::Completeness { column: "pm25".into() }),
            rule(
                "pm25_range",
                RuleKind::Validity {
                    column: "pm25".into(),
                    check: Validity::Range {
                        min: Some(0.0),
                        max: Some(1000.0),
                    },
                },
            ),
            rule(
                "code_shape",
                RuleKind::Validity {
                    column: "station_code".into(),
                    check: Validity::Regex {
                        pattern: "^4201[0-9]{4}$' OR 1=1 --".into(),
                    },
                },
            ),
            rule(
                "flag",
                RuleKind::Validity {
                    column: "flag".into(),
                    check: Validity::Hj212Flag,
                },
            ),
            rule(
                "weird_blank",
                RuleKind::Completeness {
                    column: "we\"ird`col".into(),
                },
            ),
            rule(
                "fresh",
                RuleKind::Timeliness {
                    column: "observed_at".into(),
                    cycle: UpdateCycle::Hours(2),
                },
            ),
            rule(
                "key",
                RuleKind::Uniqueness {
                    columns: vec!["station_code".into(), "observed_at".into()],
                },
            ),
            rule(
                "station_ref",
                RuleKind::Referential {
                    column: "station_code".into(),
                    target: TableRef {
                        schema: None,
                        name: "station".into(),
                    },
                    target_column: "code".into(),
                },
            ),
            rule(
                "custom",
                RuleKind::CustomSql {
                    sql: "SELECT * FROM monitor.air_hourly WHERE pm25 > :limit AND station_code <> :code;".into(),
                    params: BTreeMap::from([
                        ("limit".to_owned(), Param::Int(500)),
                        ("code".to_owned(), Param::Text("x'y".into())),
                    ]),
                },
            ),
        ]
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
    }

    fn placeholders(d: SourceKind, sql: &str) -> usize {
        match d {
            SourceKind::Postgres => (1..100).take_while(|n| sql.contains(&format!("${n}"))).count(),
            _ => sql.matches('?').count(),
        }
    }

    fn assert_bound(d: SourceKind, q: &Query) {
        assert_eq!(
            placeholders(d, &q.sql),
            q.values.len(),
            "{d:?}: {} {:?}",
            q.sql,
            q.values
        );
    }

    #[test]
    fn one_aggregate_pass_per_table_in_every_dialect() {
        for d in [SourceKind::Postgres, SourceKind::MySql, SourceKind::Sqlite] {
            let plan = compile(&table(), &rules(), d, &CompileOptions::full(now()));
            assert_eq!(plan.aggregates.len(), 1, "{d:?}");
            let agg = &plan.aggregates[0];
            assert_bound(d, agg);
            assert!(agg.sql.starts_with("SELECT COUNT(*), "), "{}", agg.sql);
            let counting = if d == SourceKind::Postgres {
                "COUNT(*) FILTER (WHERE "
            } else {
                "CASE WHEN"
            };
            assert!(agg.sql.contains(counting), "{}", agg.sql);
            // Literals are bound, never formatted.
            assert!(!agg.sql.contains("4201"), "{}", agg.sql);
            assert!(!agg.sql.contains("1000"), "{}", agg.sql);
            assert!(!agg.sql.contains("'N'"), "{}", agg.sql);
            assert!(agg.values.contains(&Bound::Text("N".into())));
            assert!(agg.values.contains(&Bound::Float(1000.0)));
            for r in &plan.rules {
                for q in r.failing.iter().chain(r.sample.iter()) {
                    assert_bound(d, q);
                }
                match &r.evaluation {
                    Evaluation::Statement { count, .. } => assert_bound(d, count),
                    Evaluation::Duplicates {
                        count, sampled, limits, ..
                    } => {
                        assert_bound(d, count);
                        assert_bound(d, sampled);
                        for &at in limits {
                            assert_eq!(sampled.values[at], Bound::Int(20), "{d:?}: {}", sampled.sql);
                        }
                    }
                    _ => {}
                }
            }
            match d {
                SourceKind::Postgres => {
                    assert!(agg.sql.contains(r#"FROM "monitor"."air_hourly""#), "{}", agg.sql);
                    assert!(agg.sql.contains(r#""we""ird`col""#), "{}", agg.sql);
                    assert!(agg.sql.contains(r#""station_code" !~ $"#), "{}", agg.sql);
                    assert!(
                        agg.sql.contains(r#"COUNT(*) FILTER (WHERE "pm25" IS NULL)"#),
                        "{}",
                        agg.sql
                    );
                    // A numeric column meets a numeric bound, not every row a float.
                    assert!(agg.sql.contains(r#""pm25" < CAST($1 AS NUMERIC)"#), "{}", agg.sql);
                    assert!(agg.values.contains(&Bound::Text("^4201[0-9]{4}$' OR 1=1 --".into())));
                }
                SourceKind::MySql => {
                    assert!(agg.sql.contains("FROM `monitor`.`air_hourly`"), "{}", agg.sql);
                    assert!(agg.sql.contains("`we\"ird``col`"), "{}", agg.sql);
                    assert!(agg.sql.contains("`station_code` NOT REGEXP ?"), "{}", agg.sql);
                    assert!(
                        agg.sql
                            .contains("CAST(`flag` AS BINARY) NOT IN (?, ?, ?, ?, ?, ?, ?, ?)")
                    );
                    assert!(
                        agg.values
                            .contains(&Bound::Text("(?-i)^4201[0-9]{4}$' OR 1=1 --".into()))
                    );
                }
                SourceKind::Sqlite => {
                    assert!(!agg.sql.contains("REGEXP") && !agg.sql.contains("!~"), "{}", agg.sql);
                    let shape = plan.rules.iter().find(|r| r.rule.id == "code_shape").unwrap();
                    let Evaluation::RowPass(pass) = &shape.evaluation else {
                        panic!("SQLite regex must be a row pass: {:?}", shape.evaluation);
                    };
                    assert_eq!(
                        pass.first.sql,
                        r#"SELECT "station_code", COUNT(*) FROM "monitor"."air_hourly" WHERE "station_code" IS NOT NULL GROUP BY "station_code" ORDER BY "station_code""#
                    );
                    assert!(pass.next.sql.contains(r#"AND "station_code" > ? GROUP BY"#));
                }
            }
        }
    }

    #[test]
    fn separate_statements_for_duplicates_references_and_custom_queries() {
        let plan = compile(&table(), &rules(), SourceKind::Postgres, &CompileOptions::full(now()));
        let by_id = |id: &str| plan.rules.iter().find(|r| r.rule.id == id).unwrap();

        // Duplicates: grouped timestamp first and text by bytes (same groups, cheaper sort);
        // the samples come from the same statement, which groups once.
        let key = by_id("key");
        let Evaluation::Duplicates {
            count, sampled, limits, ..
        } = &key.evaluation
        else {
            panic!("{:?}", key.evaluation)
        };
        assert_eq!(
            count.sql,
            r#"SELECT COALESCE(CAST(SUM(d.n - 1) AS BIGINT), 0) FROM (SELECT COUNT(*) AS n FROM "monitor"."air_hourly" WHERE "station_code" IS NOT NULL AND "observed_at" IS NOT NULL GROUP BY "observed_at", "station_code" COLLATE "C" HAVING COUNT(*) > 1) d"#
        );
        assert_eq!(
            sampled.sql,
            concat!(
                r#"WITH ecogov_dups AS (SELECT "station_code" COLLATE "C" AS k0, "observed_at" AS k1, COUNT(*) AS n FROM "monitor"."air_hourly" WHERE "station_code" IS NOT NULL AND "observed_at" IS NOT NULL GROUP BY "observed_at", "station_code" COLLATE "C" HAVING COUNT(*) > 1), "#,
                r#"ecogov_first AS (SELECT k0, k1 FROM ecogov_dups ORDER BY k0, k1 LIMIT $1) "#,
                r#"SELECT tot.surplus, smp.* FROM (SELECT COALESCE(CAST(SUM(n - 1) AS BIGINT), 0) AS surplus FROM ecogov_dups) tot "#,
                r#"LEFT JOIN (SELECT '1' AS ecogov_sample, CAST(o."station_code" AS TEXT) AS "station_code", CAST(o."observed_at" AS TEXT) AS "observed_at", CAST(o."pm25" AS TEXT) AS "pm25", CAST(o."flag" AS TEXT) AS "flag", CAST(o."we""ird`col" AS TEXT) AS "we""ird`col" "#,
                r#"FROM "monitor"."air_hourly" AS o JOIN ecogov_first AS f ON o."station_code" COLLATE "C" = f.k0 AND o."observed_at" = f.k1 WHERE 1 = 1 ORDER BY f.k0, f.k1 LIMIT $2) smp ON 1 = 1"#
            )
        );
        assert_eq!(limits, &[0, 1]);
        assert!(key.failing.as_ref().unwrap().sql.starts_with("SELECT o.* FROM"));
        assert!(
            key.failing
                .as_ref()
                .unwrap()
                .sql
                .contains(r#"GROUP BY "station_code", "observed_at""#),
            "the failing rows' query stays plain for people to read"
        );
        let mariadb = compile(&table(), &rules(), SourceKind::MySql, &CompileOptions::full(now()));
        let mariadb_key = mariadb.rules.iter().find(|r| r.rule.id == "key").unwrap();
        let Evaluation::Duplicates { count, .. } = &mariadb_key.evaluation else {
            panic!()
        };
        assert!(
            count.sql.contains("GROUP BY `station_code`, `observed_at` HAVING"),
            "{}",
            count.sql
        );

        let reference = by_id("station_ref");
        let Evaluation::Statement { count, .. } = &reference.evaluation else {
            panic!()
        };
        assert_eq!(
            count.sql,
            r#"SELECT COUNT(*) FROM "monitor"."air_hourly" AS o WHERE o."station_code" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "station" AS x WHERE x."code" = o."station_code")"#
        );

        let custom = by_id("custom");
        let Evaluation::Statement { count, .. } = &custom.evaluation else {
            panic!()
        };
        assert_eq!(
            count.sql,
            "SELECT COUNT(*) FROM (SELECT * FROM monitor.air_hourly WHERE pm25 > $1 AND station_code <> $2) q"
        );
        assert_eq!(count.values, [Bound::Int(500), Bound::Text("x'y".into())]);

        // Failing-rows query of a counting rule: the same condition, all columns.
        let range = by_id("pm25_range");
        let failing = range.failing.as_ref().unwrap();
        assert_eq!(
            failing.sql,
            r#"SELECT * FROM "monitor"."air_hourly" WHERE "pm25" IS NOT NULL AND ("pm25" < CAST($1 AS NUMERIC) OR "pm25" > CAST($2 AS NUMERIC))"#
        );
        assert_eq!(failing.values, [Bound::Float(0.0), Bound::Float(1000.0)]);
        let limited = range.sample.as_ref().unwrap().limited(SourceKind::Postgres, 20);
        assert!(limited.sql.ends_with(" LIMIT $3"), "{}", limited.sql);
        assert_eq!(limited.values.last(), Some(&Bound::Int(20)));

        // Text columns count blanks too.
        let blank = by_id("weird_blank").failing.as_ref().unwrap();
        assert!(
            blank
                .sql
                .contains(r#"("we""ird`col" IS NULL OR TRIM("we""ird`col") = '')"#)
        );
    }

    #[test]
    fn incremental_mode_filters_by_watermark_and_keeps_whole_table_metrics_apart() {
        let mut opts = CompileOptions::full(now());
        opts.source_tz = chrono_tz::UTC;
        opts.watermark_column = Some("observed_at".into());
        opts.since = Some(Utc.with_ymd_and_hms(2026, 4, 30, 12, 0, 0).unwrap());
        for d in [SourceKind::Postgres, SourceKind::MySql, SourceKind::Sqlite] {
            let plan = compile(&table(), &rules(), d, &opts);
            assert_eq!(plan.aggregates.len(), 2, "timeliness reads the whole table");
            let since = Bound::Timestamp(opts.since.unwrap().naive_utc());
            assert!(
                plan.aggregates[0].sql.contains(" WHERE 1 = 1 AND "),
                "{}",
                plan.aggregates[0].sql
            );
            assert_eq!(plan.aggregates[0].values.last(), Some(&since));
            let (_, from) = plan.aggregates[1].sql.split_once(" FROM ").unwrap();
            assert!(!from.contains("WHERE"), "{}", plan.aggregates[1].sql);
            let fresh = plan.rules.iter().find(|r| r.rule.id == "fresh").unwrap();
            assert_eq!(
                fresh.evaluation,
                Evaluation::Timeliness {
                    fresh: MetricRef { stmt: 1, col: 0 }
                }
            );
            // The cutoff is two hours before now.
            assert_eq!(
                plan.aggregates[1].values,
                [Bound::Timestamp(now().naive_utc() - Duration::hours(2))]
            );
            let key = plan.rules.iter().find(|r| r.rule.id == "key").unwrap();
            let failing = key.failing.as_ref().unwrap();
            assert_eq!(failing.values, [since.clone(), since.clone()], "{}", failing.sql);
            assert_bound(d, failing);
            assert!(plan.watermark.as_ref().unwrap().sql.contains("MAX("));
        }
    }

    #[test]
    fn row_checks_use_the_domain_validators() {
        let credit = RowCheck::CreditCode.matcher().unwrap();
        assert!(credit("91350100M000100Y43"));
        assert!(
            !credit("91350100M000100Y44"),
            "a failed check character is failing here"
        );
        assert!(!credit("9135010"));
        let id = RowCheck::CitizenId.matcher().unwrap();
        assert!(id("11010519491231002X"));
        assert!(!id("110105194912310021"));
        let permit = RowCheck::PermitNumber(Vec::new()).matcher().unwrap();
        assert!(permit("91130200699229617X001P"));
        assert!(!permit("91130200699229617X001Q"));
        let permit = RowCheck::PermitNumber(vec!['P', 'Q']).matcher().unwrap();
        assert!(permit("91130200699229617X001Q") && !permit("91130200699229617X001R"));
        let re = RowCheck::Regex("^D[AW][0-9]{3}$".into()).matcher().unwrap();
        assert!(re("DW001") && !re("dw001"));
        assert!(RowCheck::Regex("([".into()).matcher().is_none());
    }

    #[test]
    fn working_days_cutoff_skips_weekends_and_holidays() {
        let cal = WorkCalendar::with_builtin_holidays(chrono_tz::Asia::Shanghai);
        let tz = chrono_tz::Asia::Shanghai;
        // Monday 2026-05-11 10:00 Beijing: one working day back is Saturday 2026-05-09, a make-up
        // working day; two back is Thursday 2026-05-07... Friday 05-08 first.
        let monday = tz.with_ymd_and_hms(2026, 5, 11, 10, 0, 0).unwrap().with_timezone(&Utc);
        let day = |d: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 5, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        };
        assert_eq!(working_days_cutoff(&cal, tz, monday, 1), day(9));
        assert_eq!(working_days_cutoff(&cal, tz, monday, 2), day(8));
        // Tuesday 2026-05-06 after the Labour Day holiday (05-01..05-05): back to Thursday 04-30.
        let wednesday = tz.with_ymd_and_hms(2026, 5, 6, 9, 0, 0).unwrap().with_timezone(&Utc);
        assert_eq!(
            working_days_cutoff(&cal, tz, wednesday, 1),
            chrono::NaiveDate::from_ymd_opt(2026, 4, 30)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        );
    }
}
