//! Monthly reconciliation (月度专项对账): a source system's table against the data center's
//! table, per month and per key (station, enterprise, permit...).
//!
//! A definition names, for each side, a bound table (`data_source_code.table`), its key columns
//! (compound keys allowed; the sides' keys pair up by position), and the column that places a
//! row in a month; and, for both sides together, the measures compared per key: the row count
//! and the SUM of named numeric columns, each with a tolerance.
//!
//! Running a month sends one statement to each side, in that side's database:
//!
//! ```sql
//! SELECT CAST(k1 AS TEXT), …, COUNT(*), CAST(SUM(m1) AS TEXT), … FROM t
//! WHERE month_col >= ? AND month_col < ? GROUP BY k1, …
//! ```
//!
//! and compares the two results here: keys only in the source, keys only in the center, and,
//! for keys on both sides, the metrics whose difference exceeds the tolerance.
//!
//! Rules:
//! - Nothing typed by a person is formatted into SQL: names are checked when the definition is
//!   saved ([`Spec::validate`]), resolved at run time against the columns the database itself
//!   reports, and quoted for the dialect; the month bounds are bound values.
//! - Statements run read-only (PostgreSQL and MariaDB: a read-only transaction) under a time
//!   limit ([`STATEMENT_TIMEOUT`], enforced by the server where it can and by a `tokio` timeout
//!   everywhere), and at most [`MAX_GROUPS`] keys per side are read.
//! - Months are calendar months in Asia/Shanghai. Naive timestamps in a source are wall-clock
//!   time in the data source's zone (`data_sources.time_zone`, Beijing time by default;
//!   PostgreSQL sessions are set to that zone, so `timestamptz` columns compare rightly). When
//!   the zone's months begin with Beijing's (Beijing time itself, or any UTC+8 zone), date and
//!   timestamp columns are bounded by the first days of the month and of the next month, and
//!   text columns (and every SQLite column, where dates are text) by the `YYYY-MM` prefixes,
//!   which bound `YYYY-MM`, `YYYY-MM-DD` and `YYYY-MM-DD hh:mm:ss` texts alike. In another zone
//!   the bounds are the month's first and last instants as that zone's wall-clock time (a date
//!   column still by first days: a date has no time of day).
//! - Keys are compared as trimmed text (an integer key `1001` equals a text key `'1001'`); a
//!   NULL key is a key of its own. Sums are compared as numbers; a NULL sum (no non-NULL value)
//!   counts as 0. Without a tolerance, values must agree to within floating-point noise
//!   (1e-9 relative), so that a SQLite `REAL` sum equals a PostgreSQL `numeric` one.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use crate::catalog::introspect::{SourceKind, Table};
use crate::catalog::model::DataType;
use crate::quality::run::{TIMEOUT_MESSAGE, read_only, text_at};
use crate::time::DISPLAY_TZ;
use crate::{Error, Result};

/// How long one side's statement may run.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The most keys read from one side for one month; more is refused as an error run.
pub const MAX_GROUPS: usize = 200_000;

/// Most key columns per side.
pub const MAX_KEYS: usize = 5;

/// Most summed measures per definition.
pub const MAX_MEASURES: usize = 10;

/// The metric name of the row count (reserved: no measure may use it).
pub const ROW_COUNT: &str = "row_count";

/// A calendar month in Asia/Shanghai, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Parses `YYYY-MM` (years 2000-2999).
    pub fn parse(s: &str) -> Result<Month> {
        let bad = || Error::invalid("month", "月份须为 YYYY-MM 格式，如 2026-11");
        let s = s.trim();
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let (year, month) = (
            y.parse::<i32>().map_err(|_| bad())?,
            m.parse::<u32>().map_err(|_| bad())?,
        );
        if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month containing `t`, in Asia/Shanghai.
    pub fn containing(t: DateTime<Utc>) -> Month {
        let local = t.with_timezone(&DISPLAY_TZ);
        Month {
            year: local.year(),
            month: local.month(),
        }
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    /// The wall-clock time in `tz` at which it begins (Beijing time).
    pub fn start_in(self, tz: Tz) -> NaiveDateTime {
        self.start().with_timezone(&tz).naive_local()
    }

    /// The instant it begins (midnight of its first day in Asia/Shanghai), in UTC.
    pub fn start(self) -> DateTime<Utc> {
        DISPLAY_TZ
            .from_local_datetime(&self.first_day().and_time(NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = Error;
    fn from_str(s: &str) -> Result<Month> {
        Month::parse(s)
    }
}

/// The key domain a reconciliation covers (对账领域).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// 监测站点.
    Station,
    /// 企业.
    Enterprise,
    /// 排污许可.
    Permit,
    /// 其他.
    Other,
}

impl Domain {
    /// Every value.
    pub const ALL: [Domain; 4] = [Domain::Station, Domain::Enterprise, Domain::Permit, Domain::Other];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Station => "station",
            Domain::Enterprise => "enterprise",
            Domain::Permit => "permit",
            Domain::Other => "other",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Domain::Station => "监测站点",
            Domain::Enterprise => "企业",
            Domain::Permit => "排污许可",
            Domain::Other => "其他",
        }
    }
}

impl FromStr for Domain {
    type Err = Error;
    fn from_str(s: &str) -> Result<Domain> {
        Domain::ALL
            .into_iter()
            .find(|d| d.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("domain", format!("未知的对账领域：{s}")))
    }
}

/// How far two values may differ and still agree. Either bound suffices when both are given;
/// with neither, the values must be equal (to within floating-point noise).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// Largest allowed absolute difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute: Option<f64>,
    /// Largest allowed difference as a percentage of the larger absolute value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
}

impl Tolerance {
    /// Whether `a` and `b` agree within this tolerance.
    pub fn allows(&self, a: f64, b: f64) -> bool {
        let diff = (a - b).abs();
        let base = a.abs().max(b.abs());
        // Sums of binary floats carry noise; a difference of exactly the tolerance is allowed.
        let noise = base * 1e-9;
        diff <= noise
            || self.absolute.is_some_and(|t| diff <= t + noise)
            || self.percent.is_some_and(|p| diff <= base * p / 100.0 + noise)
    }

    fn validate(&self, field: &str, out: &mut Vec<Problem>) {
        if self.absolute.is_some_and(|v| !v.is_finite() || v < 0.0) {
            out.push(problem(format!("{field}.absolute"), "绝对容差须为不小于 0 的有限数"));
        }
        if self
            .percent
            .is_some_and(|v| !v.is_finite() || !(0.0..=100.0).contains(&v))
        {
            out.push(problem(format!("{field}.percent"), "百分比容差须在 0 到 100 之间"));
        }
    }
}

/// One side of a reconciliation: a bound table, its keys and its month column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// `data_source_code.table` (the table may be `schema.table` on PostgreSQL and MySQL).
    pub table: String,
    /// Key columns, in the order they pair with the other side's.
    pub keys: Vec<String>,
    /// The date, timestamp or `YYYY-MM…` text column placing a row in a month.
    pub month_column: String,
}

impl Side {
    /// The data source code and the table name within it.
    pub fn split(&self) -> Option<(&str, &str)> {
        self.table.split_once('.')
    }
}

/// A summed measure: a numeric column on each side, compared per key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// Metric name in results (e.g. `emission_kg`).
    pub name: String,
    /// Column summed on the source side.
    pub source_column: String,
    /// Column summed on the center side.
    pub center_column: String,
    /// How far the sums may differ.
    #[serde(default)]
    pub tolerance: Tolerance,
}

/// What is compared: the two sides, the row count's tolerance and the summed measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// The source system's table.
    pub source: Side,
    /// The data center's table.
    pub center: Side,
    /// How far the row counts per key may differ.
    #[serde(default)]
    pub count_tolerance: Tolerance,
    /// Summed measures.
    #[serde(default)]
    pub measures: Vec<Measure>,
}

/// A problem with a definition: the input field (client naming) and what is wrong, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field, e.g. `source.keys[1]`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// Whether `s` is a plain identifier: a letter (any script) or `_`, then letters, digits or `_`,
/// at most 64 characters. Such names need no quoting anywhere, and are quoted anyway.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    s.chars().count() <= 64
        && chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn is_source_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
}

impl Spec {
    /// Trims every name.
    pub fn normalise(mut self) -> Spec {
        for side in [&mut self.source, &mut self.center] {
            side.table = side.table.trim().to_owned();
            side.month_column = side.month_column.trim().to_owned();
            for k in &mut side.keys {
                *k = k.trim().to_owned();
            }
        }
        for m in &mut self.measures {
            m.name = m.name.trim().to_owned();
            m.source_column = m.source_column.trim().to_owned();
            m.center_column = m.center_column.trim().to_owned();
        }
        self
    }

    /// Everything wrong with the definition (empty when it can be saved).
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (name, side) in [("source", &self.source), ("center", &self.center)] {
            match side.split() {
                Some((code, table)) if is_source_code(code) => {
                    let parts: Vec<&str> = table.split('.').collect();
                    if parts.len() > 2 || !parts.iter().all(|p| is_identifier(p)) {
                        out.push(problem(
                            format!("{name}.table"),
                            "表名须为字母、数字或下划线组成的标识符（可带模式名：模式.表）",
                        ));
                    }
                }
                _ => out.push(problem(format!("{name}.table"), "须为 数据源编码.表名")),
            }
            if side.keys.is_empty() {
                out.push(problem(format!("{name}.keys"), "须至少给出一个主键列"));
            } else if side.keys.len() > MAX_KEYS {
                out.push(problem(format!("{name}.keys"), format!("主键列至多 {MAX_KEYS} 个")));
            }
            for (i, k) in side.keys.iter().enumerate() {
                if !is_identifier(k) {
                    out.push(problem(format!("{name}.keys[{i}]"), format!("列名无效：{k}")));
                } else if side.keys.iter().take(i).any(|o| o.eq_ignore_ascii_case(k)) {
                    out.push(problem(format!("{name}.keys[{i}]"), format!("主键列重复：{k}")));
                }
            }
            if !is_identifier(&side.month_column) {
                out.push(problem(
                    format!("{name}.monthColumn"),
                    format!("月份列名无效：{}", side.month_column),
                ));
            }
        }
        if !self.source.keys.is_empty()
            && !self.center.keys.is_empty()
            && self.source.keys.len() != self.center.keys.len()
        {
            out.push(problem("center.keys", "两侧主键列的个数须相同（按顺序对应）"));
        }
        self.count_tolerance.validate("countTolerance", &mut out);
        if self.measures.len() > MAX_MEASURES {
            out.push(problem("measures", format!("求和指标至多 {MAX_MEASURES} 个")));
        }
        for (i, m) in self.measures.iter().enumerate() {
            let f = |s: &str| format!("measures[{i}].{s}");
            if !is_identifier(&m.name) || m.name == ROW_COUNT {
                out.push(problem(
                    f("name"),
                    format!("指标名须为标识符且不能为 {ROW_COUNT}：{}", m.name),
                ));
            } else if self.measures.iter().take(i).any(|o| o.name == m.name) {
                out.push(problem(f("name"), format!("指标名重复：{}", m.name)));
            }
            if !is_identifier(&m.source_column) {
                out.push(problem(f("sourceColumn"), format!("列名无效：{}", m.source_column)));
            }
            if !is_identifier(&m.center_column) {
                out.push(problem(f("centerColumn"), format!("列名无效：{}", m.center_column)));
            }
            m.tolerance.validate(&f("tolerance"), &mut out);
        }
        out
    }

    /// [`validate`](Self::validate) as a domain error (`invalid_input`) naming the first problem.
    pub fn check(&self) -> Result<()> {
        match self.validate().into_iter().next() {
            None => Ok(()),
            Some(p) => Err(Error::invalid(p.field, p.message)),
        }
    }
}

/// Which side of a reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideName {
    /// The source system.
    Source,
    /// The data center.
    Center,
}

impl SideName {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            SideName::Source => "源系统",
            SideName::Center => "数据中心",
        }
    }
}

/// One side's statement, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouped {
    /// SQL with dialect placeholders.
    pub sql: String,
    /// The month bounds.
    pub values: Vec<sea_orm::Value>,
    /// Key columns read.
    pub keys: usize,
    /// Sums read.
    pub sums: usize,
}

/// Builds one side's statement against `table` as the database described it, for a source
/// whose naive timestamps are in `tz`. `keys`, `month_column` and `sums` are names as the caller
/// configured them; each must be a column of the table (matched exactly, else ignoring ASCII
/// case) and is quoted as the database spells it.
pub fn grouped_query(
    kind: SourceKind,
    tz: Tz,
    table: &Table,
    keys: &[String],
    month_column: &str,
    sums: &[String],
    month: Month,
) -> std::result::Result<Grouped, String> {
    let column = |name: &str| {
        table
            .columns
            .iter()
            .find(|c| c.name == name)
            .or_else(|| table.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
            .ok_or_else(|| format!("表 {} 没有列 {name}", table.name))
    };
    let text = match kind {
        SourceKind::MySql => "CHAR",
        SourceKind::Postgres | SourceKind::Sqlite => "TEXT",
    };
    let mut select = Vec::new();
    let mut group = Vec::new();
    for k in keys {
        let q = kind.quote(&column(k)?.name);
        select.push(format!("CAST({q} AS {text})"));
        group.push(q);
    }
    select.push("COUNT(*)".to_owned());
    for s in sums {
        let c = column(s)?;
        if matches!(
            c.data_type,
            Some(
                DataType::String
                    | DataType::Text
                    | DataType::Boolean
                    | DataType::Date
                    | DataType::DateTime
                    | DataType::Time
                    | DataType::Binary
                    | DataType::Json
            )
        ) {
            return Err(format!("列 {} 不是数值类型（{}），不能求和", c.name, c.native_type));
        }
        select.push(format!("CAST(SUM({}) AS {text})", kind.quote(&c.name)));
    }
    let mc = column(month_column)?;
    let (start, end) = (month.start_in(tz), month.next().start_in(tz));
    // The zone's months begin with Beijing's: midnight of the first day.
    let aligned = [start, end].iter().all(|t| t.time() == NaiveTime::MIN && t.day() == 1);
    let text = |t: NaiveDateTime| sea_orm::Value::from(t.format("%Y-%m-%d %H:%M:%S").to_string());
    let (from, to): (sea_orm::Value, sea_orm::Value) = match (kind, mc.data_type) {
        (SourceKind::Sqlite, _) | (_, Some(DataType::String | DataType::Text)) if aligned => {
            (month.to_string().into(), month.next().to_string().into())
        }
        (SourceKind::Sqlite, _) | (_, Some(DataType::String | DataType::Text)) => (text(start), text(end)),
        (_, Some(DataType::Date)) => (month.first_day().into(), month.next().first_day().into()),
        (_, Some(DataType::DateTime)) if aligned => (month.first_day().into(), month.next().first_day().into()),
        (_, Some(DataType::DateTime)) => (start.into(), end.into()),
        _ => {
            return Err(format!(
                "月份列 {} 须为日期、日期时间或文本类型（实际为 {}）",
                mc.name, mc.native_type
            ));
        }
    };
    let (p1, p2) = match kind {
        SourceKind::Postgres => ("$1", "$2"),
        SourceKind::MySql | SourceKind::Sqlite => ("?", "?"),
    };
    let table_name = match &table.schema {
        Some(s) if kind != SourceKind::Sqlite => format!("{}.{}", kind.quote(s), kind.quote(&table.name)),
        _ => kind.quote(&table.name),
    };
    let mq = kind.quote(&mc.name);
    Ok(Grouped {
        sql: format!(
            "SELECT {} FROM {table_name} WHERE {mq} >= {p1} AND {mq} < {p2} GROUP BY {}",
            select.join(", "),
            group.join(", ")
        ),
        values: vec![from, to],
        keys: keys.len(),
        sums: sums.len(),
    })
}

/// A key: one text per key column (trimmed), `None` for NULL.
pub type Key = Vec<Option<String>>;

/// What one side holds for one key in the month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Rows.
    pub count: i64,
    /// Sums in measure order (`None`: no non-NULL value).
    pub sums: Vec<Option<f64>>,
}

/// One side's month: totals per key.
pub type SideData = BTreeMap<Key, Totals>;

/// Why a side's statement failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// For people (the database's own message where it gave one).
    pub message: String,
    /// The time limit ended it (a collection failure rather than a definition problem).
    pub timed_out: bool,
}

impl FetchError {
    fn new(message: impl Into<String>) -> Self {
        let message = message.into();
        let timed_out = message == TIMEOUT_MESSAGE
            || message.contains("statement timeout")
            || message.contains("max_statement_time");
        FetchError { message, timed_out }
    }
}

/// Runs one side's statement read-only under `limit` and reads its groups.
pub async fn fetch(
    db: &DatabaseConnection,
    kind: SourceKind,
    tz: Tz,
    q: &Grouped,
    limit: Duration,
) -> std::result::Result<SideData, FetchError> {
    let rows = read_only(db, kind, Some(tz), &q.sql, q.values.clone(), limit, "")
        .await
        .map_err(FetchError::new)?;
    if rows.len() > MAX_GROUPS {
        return Err(FetchError::new(format!(
            "一个月的主键超过 {MAX_GROUPS} 个，请缩小对账范围"
        )));
    }
    let mut out = SideData::new();
    for row in &rows {
        let key: Key = (0..q.keys)
            .map(|i| text_at(row, i).map(|t| t.trim().to_owned()))
            .collect();
        let count = row
            .try_get_by_index::<i64>(q.keys)
            .map_err(|e| FetchError::new(format!("读取行数失败：{e}")))?;
        let mut sums = Vec::with_capacity(q.sums);
        for i in 0..q.sums {
            let v = text_at(row, q.keys + 1 + i)
                .map(|t| {
                    t.trim()
                        .parse::<f64>()
                        .map_err(|_| FetchError::new(format!("合计值不是数字：{t}")))
                })
                .transpose()?;
            sums.push(v);
        }
        // Keys that differ only in surrounding space are one key.
        let e = out.entry(key).or_insert_with(|| Totals {
            count: 0,
            sums: vec![None; q.sums],
        });
        e.count += count;
        for (acc, v) in e.sums.iter_mut().zip(sums) {
            if let Some(v) = v {
                *acc = Some(acc.unwrap_or(0.0) + v);
            }
        }
    }
    Ok(out)
}

/// What kind of difference an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The key is in the source system only (missing from the data center).
    SourceOnly,
    /// The key is in the data center only.
    CenterOnly,
    /// The key is on both sides, a metric differs beyond its tolerance.
    ValueMismatch,
}

impl Category {
    /// Every value.
    pub const ALL: [Category; 3] = [Category::SourceOnly, Category::CenterOnly, Category::ValueMismatch];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::SourceOnly => "source_only",
            Category::CenterOnly => "center_only",
            Category::ValueMismatch => "value_mismatch",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Category::SourceOnly => "数据中心缺失",
            Category::CenterOnly => "源系统缺失",
            Category::ValueMismatch => "数值不一致",
        }
    }
}

impl FromStr for Category {
    type Err = Error;
    fn from_str(s: &str) -> Result<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::Internal(format!("unknown reconciliation category {s}")))
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The key (source side's values for keys on both sides).
    pub key: Key,
    /// What kind of difference.
    pub category: Category,
    /// [`ROW_COUNT`] or a measure's name.
    pub metric: String,
    /// The source's value (None: key absent, or NULL sum).
    pub source_value: Option<String>,
    /// The center's value.
    pub center_value: Option<String>,
}

/// The comparison of one month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    /// Keys in the source.
    pub source_keys: u64,
    /// Keys in the center.
    pub center_keys: u64,
    /// Keys on both sides.
    pub common_keys: u64,
    /// Keys in the source only.
    pub source_only: u64,
    /// Keys in the center only.
    pub center_only: u64,
    /// Keys on both sides with at least one metric beyond tolerance.
    pub mismatched_keys: u64,
    /// Rows in the source's month.
    pub source_rows: i64,
    /// Rows in the center's month.
    pub center_rows: i64,
    /// Every difference, by category then key then metric order.
    #[serde(skip)]
    pub items: Vec<Item>,
}

impl Outcome {
    /// Whether anything differs.
    pub fn has_differences(&self) -> bool {
        self.source_only + self.center_only + self.mismatched_keys > 0
    }
}

/// A number as people read it: integers without a decimal point, others as Rust prints them.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Compares the two sides of a month.
pub fn compare(spec: &Spec, source: &SideData, center: &SideData) -> Outcome {
    let mut out = Outcome {
        source_keys: source.len() as u64,
        center_keys: center.len() as u64,
        source_rows: source.values().map(|t| t.count).sum(),
        center_rows: center.values().map(|t| t.count).sum(),
        ..Default::default()
    };
    let (mut only_s, mut only_c, mut diffs) = (Vec::new(), Vec::new(), Vec::new());
    for (key, s) in source {
        let Some(c) = center.get(key) else {
            out.source_only += 1;
            only_s.push(Item {
                key: key.clone(),
                category: Category::SourceOnly,
                metric: ROW_COUNT.to_owned(),
                source_value: Some(s.count.to_string()),
                center_value: None,
            });
            continue;
        };
        out.common_keys += 1;
        let before = diffs.len();
        #[expect(clippy::cast_precision_loss, reason = "row counts far below 2^52")]
        let counts = (s.count as f64, c.count as f64);
        if !spec.count_tolerance.allows(counts.0, counts.1) {
            diffs.push(Item {
                key: key.clone(),
                category: Category::ValueMismatch,
                metric: ROW_COUNT.to_owned(),
                source_value: Some(s.count.to_string()),
                center_value: Some(c.count.to_string()),
            });
        }
        for (i, m) in spec.measures.iter().enumerate() {
            let sv = s.sums.get(i).copied().flatten();
            let cv = c.sums.get(i).copied().flatten();
            if !m.tolerance.allows(sv.unwrap_or(0.0), cv.unwrap_or(0.0)) {
                diffs.push(Item {
                    key: key.clone(),
                    category: Category::ValueMismatch,
                    metric: m.name.clone(),
                    source_value: sv.map(format_number),
                    center_value: cv.map(format_number),
                });
            }
        }
        if diffs.len() > before {
            out.mismatched_keys += 1;
        }
    }
    for (key, c) in center {
        if !source.contains_key(key) {
            out.center_only += 1;
            only_c.push(Item {
                key: key.clone(),
                category: Category::CenterOnly,
                metric: ROW_COUNT.to_owned(),
                source_value: None,
                center_value: Some(c.count.to_string()),
            });
        }
    }
    out.items = only_s.into_iter().chain(only_c).chain(diffs).collect();
    out
}

/// A key as one line of text: values joined by ` / `, NULL shown as `（空）`.
pub fn key_text(key: &[Option<String>]) -> String {
    key.iter()
        .map(|k| k.as_deref().unwrap_or("（空）"))
        .collect::<Vec<_>>()
        .join(" / ")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::catalog::introspect::Column;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn side(table: &str, keys: &[&str], month: &str) -> Side {
        Side {
            table: table.into(),
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            month_column: month.into(),
        }
    }

    fn spec() -> Spec {
        Spec {
            source: side("src.emissions", &["enterprise", "outlet"], "reported_at"),
            center: side("dc.ods_emissions", &["qydm", "pkbh"], "sbsj"),
            count_tolerance: Tolerance::default(),
            measures: vec![
                Measure {
                    name: "emission_kg".into(),
                    source_column: "emission_kg".into(),
                    center_column: "pfl".into(),
                    tolerance: Tolerance {
                        absolute: Some(0.5),
                        percent: None,
                    },
                },
                Measure {
                    name: "flow".into(),
                    source_column: "flow".into(),
                    center_column: "ll".into(),
                    tolerance: Tolerance {
                        absolute: None,
                        percent: Some(1.0),
                    },
                },
            ],
        }
    }

    #[test]
    fn months_parse_and_step_in_shanghai() {
        let m = Month::parse("2026-11").unwrap();
        assert_eq!(m.to_string(), "2026-11");
        assert_eq!(m.next().to_string(), "2026-12");
        assert_eq!(Month::parse("2026-01").unwrap().previous().to_string(), "2025-12");
        assert_eq!(Month::parse("2026-12").unwrap().next().to_string(), "2027-01");
        for bad in [
            "2026-13", "2026-00", "26-11", "2026/11", "2026-1", "", "abcd-ef", "1999-12",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        // 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Wuhan.
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap();
        assert_eq!(Month::containing(t).to_string(), "2026-12");
        assert_eq!(
            Month::parse("2026-12").unwrap().start(),
            Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap()
        );
    }

    #[test]
    fn tolerances() {
        let exact = Tolerance::default();
        assert!(exact.allows(0.3, 0.1 + 0.2));
        assert!(!exact.allows(10.0, 10.001));
        let abs = Tolerance {
            absolute: Some(0.5),
            percent: None,
        };
        assert!(abs.allows(100.0, 100.5) && !abs.allows(100.0, 100.6));
        let pct = Tolerance {
            absolute: None,
            percent: Some(1.0),
        };
        assert!(pct.allows(100.0, 99.0) && !pct.allows(100.0, 98.0));
        let either = Tolerance {
            absolute: Some(0.1),
            percent: Some(1.0),
        };
        assert!(either.allows(1000.0, 1009.0) && either.allows(1.0, 1.1));
    }

    #[test]
    fn definitions_are_validated() {
        assert!(spec().validate().is_empty(), "{:?}", spec().validate());
        let fields = |f: &dyn Fn(&mut Spec)| {
            let mut s = spec();
            f(&mut s);
            s.validate().into_iter().map(|p| p.field).collect::<Vec<_>>()
        };
        assert_eq!(fields(&|s| s.source.table = "emissions".into()), ["source.table"]);
        assert_eq!(fields(&|s| s.source.table = "src.a.b.c".into()), ["source.table"]);
        assert_eq!(
            fields(&|s| s.center.table = "dc.t; DROP TABLE x".into()),
            ["center.table"]
        );
        assert!(fields(&|s| s.source.keys.clear()).contains(&"source.keys".to_owned()));
        assert_eq!(fields(&|s| s.center.keys[1] = "a\"b".into()), ["center.keys[1]"]);
        assert_eq!(fields(&|s| s.center.keys[1] = "QYDM".into()), ["center.keys[1]"]);
        assert_eq!(fields(&|s| s.center.keys.truncate(1)), ["center.keys"]);
        assert_eq!(
            fields(&|s| s.source.month_column = String::new()),
            ["source.monthColumn"]
        );
        assert_eq!(
            fields(&|s| s.measures[1].name = "emission_kg".into()),
            ["measures[1].name"]
        );
        assert_eq!(fields(&|s| s.measures[0].name = ROW_COUNT.into()), ["measures[0].name"]);
        assert_eq!(
            fields(&|s| s.measures[0].tolerance.percent = Some(-1.0)),
            ["measures[0].tolerance.percent"]
        );
        assert_eq!(
            fields(&|s| s.count_tolerance.absolute = Some(f64::NAN)),
            ["countTolerance.absolute"]
        );
        // Chinese column names are identifiers; schema-qualified tables are allowed.
        assert!(
            fields(&|s| {
                s.source.keys[0] = "企业代码".into();
                s.source.table = "src.public.emissions".into();
            })
            .is_empty()
        );
    }

    fn table(cols: &[(&str, DataType)]) -> Table {
        Table {
            schema: Some("public".into()),
            name: "Emissions".into(),
            columns: cols
                .iter()
                .map(|(n, t)| Column {
                    name: (*n).to_owned(),
                    native_type: t.as_str().to_owned(),
                    data_type: Some(*t),
                    length: None,
                    nullable: true,
                    comment: None,
                })
                .collect(),
            comment: None,
        }
    }

    #[test]
    fn one_grouped_statement_per_side_with_quoted_names_and_bound_months() {
        let t = table(&[
            ("Enterprise", DataType::String),
            ("outlet", DataType::String),
            ("reported_at", DataType::DateTime),
            ("emission_kg", DataType::Decimal),
            ("remark", DataType::Text),
        ]);
        let m = Month::parse("2026-11").unwrap();
        let keys = ["enterprise".to_owned(), "outlet".to_owned()];
        let q = grouped_query(
            SourceKind::Postgres,
            SH,
            &t,
            &keys,
            "reported_at",
            &["emission_kg".into()],
            m,
        )
        .unwrap();
        assert_eq!(
            q.sql,
            "SELECT CAST(\"Enterprise\" AS TEXT), CAST(\"outlet\" AS TEXT), COUNT(*), CAST(SUM(\"emission_kg\") AS TEXT) \
             FROM \"public\".\"Emissions\" WHERE \"reported_at\" >= $1 AND \"reported_at\" < $2 GROUP BY \"Enterprise\", \"outlet\""
        );
        assert_eq!(
            q.values,
            vec![
                NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().into(),
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().into()
            ]
        );
        let q = grouped_query(SourceKind::MySql, SH, &t, &keys, "reported_at", &[], m).unwrap();
        assert!(q.sql.starts_with("SELECT CAST(`Enterprise` AS CHAR)"), "{}", q.sql);
        assert!(q.sql.contains("`reported_at` >= ? AND `reported_at` < ?"));
        let q = grouped_query(SourceKind::Sqlite, SH, &t, &keys, "reported_at", &[], m).unwrap();
        assert!(q.sql.contains("FROM \"Emissions\""), "{}", q.sql);
        assert_eq!(q.values, vec!["2026-11".into(), "2026-12".into()]);
        // A source in UTC: Beijing's November is 16:00 on 31 October to 16:00 on 30 November.
        let at = |d: u32, mo: u32| {
            NaiveDate::from_ymd_opt(2026, mo, d)
                .unwrap()
                .and_hms_opt(16, 0, 0)
                .unwrap()
        };
        let utc = grouped_query(SourceKind::Postgres, chrono_tz::UTC, &t, &keys, "reported_at", &[], m).unwrap();
        assert_eq!(utc.values, vec![at(31, 10).into(), at(30, 11).into()]);
        let utc = grouped_query(SourceKind::Sqlite, chrono_tz::UTC, &t, &keys, "reported_at", &[], m).unwrap();
        assert_eq!(
            utc.values,
            vec!["2026-10-31 16:00:00".into(), "2026-11-30 16:00:00".into()]
        );
        assert!(
            grouped_query(
                SourceKind::Postgres,
                SH,
                &t,
                &keys,
                "reported_at",
                &["remark".into()],
                m
            )
            .is_err()
        );
        assert!(grouped_query(SourceKind::Postgres, SH, &t, &keys, "missing", &[], m).is_err());
        assert!(grouped_query(SourceKind::Postgres, SH, &t, &keys, "emission_kg", &[], m).is_err());
    }

    fn data(rows: &[(&str, &str, i64, f64, f64)]) -> SideData {
        rows.iter()
            .map(|(e, o, n, a, b)| {
                (
                    vec![Some((*e).to_owned()), Some((*o).to_owned())],
                    Totals {
                        count: *n,
                        sums: vec![Some(*a), Some(*b)],
                    },
                )
            })
            .collect()
    }

    #[test]
    fn every_category_is_found_and_tolerated_differences_are_not() {
        let source = data(&[
            ("E1", "O1", 3, 30.0, 300.0),
            ("E2", "O1", 3, 30.0, 300.0),
            ("E3", "O1", 1, 10.0, 100.0),
            ("E5", "O1", 2, 20.0, 200.0),
            ("E6", "O1", 2, 20.0, 200.0),
        ]);
        let center = data(&[
            ("E1", "O1", 3, 30.0, 300.0),
            ("E2", "O1", 2, 30.0, 300.0),
            ("E4", "O1", 1, 10.0, 100.0),
            ("E5", "O1", 2, 20.3, 201.0),
            ("E6", "O1", 2, 22.0, 210.0),
        ]);
        let o = compare(&spec(), &source, &center);
        assert_eq!(
            (
                o.source_keys,
                o.center_keys,
                o.common_keys,
                o.source_only,
                o.center_only,
                o.mismatched_keys
            ),
            (5, 5, 4, 1, 1, 2)
        );
        assert_eq!((o.source_rows, o.center_rows), (11, 10));
        let got: Vec<(Category, String, &str)> = o
            .items
            .iter()
            .map(|i| (i.category, key_text(&i.key), i.metric.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Category::SourceOnly, "E3 / O1".into(), ROW_COUNT),
                (Category::CenterOnly, "E4 / O1".into(), ROW_COUNT),
                (Category::ValueMismatch, "E2 / O1".into(), ROW_COUNT),
                (Category::ValueMismatch, "E6 / O1".into(), "emission_kg"),
                (Category::ValueMismatch, "E6 / O1".into(), "flow"),
            ]
        );
        assert_eq!(o.items[3].source_value.as_deref(), Some("20"));
        assert_eq!(o.items[3].center_value.as_deref(), Some("22"));
        assert!(o.has_differences());
        assert!(!compare(&spec(), &source, &source).has_differences());
    }

    /// A side whose statement outlives the limit fails as a timeout (a collection failure) and
    /// returns within a second of the limit, long before the statement would have ended.
    #[tokio::test]
    async fn statements_are_time_limited_on_postgres_and_mariadb() {
        use crate::catalog::introspect::connect;
        use crate::testdb::external_disabled;
        if external_disabled("PostgreSQL/MariaDB time limit") {
            return;
        }
        let slow = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                SourceKind::Postgres,
                "SELECT '1', COUNT(*) FROM generate_series(1, 500000000) WHERE $1 <> $2",
            ),
            (
                "mysql://root@127.0.0.1:3306/test",
                SourceKind::MySql,
                "SELECT '1', COUNT(*) FROM seq_1_to_100000 a, seq_1_to_100000 b WHERE ? <> ?",
            ),
        ];
        for (url, kind, sql) in slow {
            let (db, _) = connect(url).await.unwrap();
            let q = Grouped {
                sql: sql.into(),
                values: vec!["a".into(), "b".into()],
                keys: 1,
                sums: 0,
            };
            let started = std::time::Instant::now();
            let e = fetch(&db, kind, SH, &q, Duration::from_millis(500)).await.unwrap_err();
            assert!(e.timed_out, "{kind:?}: {e:?}");
            assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
            let _ = db.close().await;
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(format_number(12.0), "12");
        assert_eq!(format_number(12.5), "12.5");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
    }
}
