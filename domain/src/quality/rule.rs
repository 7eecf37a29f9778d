//! Quality rules as data: what is checked, on which columns, and how many failing rows are
//! tolerated before the rule warns or fails. [`Rule::validate`] is run when a rule is saved;
//! a rule that passes it compiles without surprises.
//!
//! Thresholds are the most failing rows (or the highest failing percentage of checked rows)
//! still tolerated: a result above `warn` warns, above `fail` fails. `Count(0)` therefore means
//! "no failing row at all".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sql::ReadOnlyQuery;
use crate::catalog::model::{DataType, Problem};
use crate::error::Error;
use crate::sensitivity::MaskRule;

/// How bad a failed rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Cosmetic.
    Low,
    /// Worth fixing.
    Medium,
    /// Affects use of the data.
    High,
    /// Makes the data unusable.
    Critical,
}

/// The most failing rows tolerated, as a count or as a percentage of the rows checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// Failing rows.
    Count(u64),
    /// Failing rows as a percentage (0..=100) of rows checked.
    Percent(f64),
}

impl Threshold {
    /// Whether `failing` of `checked` rows exceeds this threshold.
    pub fn exceeded(self, failing: u64, checked: u64) -> bool {
        match self {
            Threshold::Count(n) => failing > n,
            Threshold::Percent(p) => failing > 0 && percent(failing, checked) > p,
        }
    }
}

/// `failing` as a percentage of `checked` (100 when nothing was checked but something failed).
pub fn percent(failing: u64, checked: u64) -> f64 {
    if checked == 0 {
        if failing == 0 { 0.0 } else { 100.0 }
    } else {
        #[expect(clippy::cast_precision_loss, reason = "row counts far below 2^52")]
        let p = failing as f64 * 100.0 / checked as f64;
        p
    }
}

/// A resource's update cycle (更新周期).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateCycle {
    /// Every so many hours.
    Hours(u32),
    /// Every so many working days of the office calendar.
    WorkingDays(u32),
}

/// What a validity rule checks on each non-null value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Validity {
    /// Numeric range, both ends inclusive.
    Range {
        /// Lowest valid value.
        min: Option<f64>,
        /// Highest valid value.
        max: Option<f64>,
    },
    /// The whole value must match the pattern (anchor it yourself with `^...$`).
    ///
    /// Validated with Rust's `regex` syntax; keep to the common subset (classes, repetition,
    /// alternation, anchors), which PostgreSQL and MariaDB interpret the same way.
    Regex {
        /// The pattern.
        pattern: String,
    },
    /// One of an enumerated set (a code table), compared as text.
    OneOf {
        /// The allowed values.
        values: Vec<String>,
    },
    /// Length in characters, both ends inclusive.
    Length {
        /// Shortest valid length.
        min: Option<u32>,
        /// Longest valid length.
        max: Option<u32>,
    },
    /// Unified social credit code (GB 32100-2015), checksum included.
    CreditCode,
    /// Citizen ID number (GB 11643-1999), checksum and date included.
    CitizenId,
    /// Fixed pollution source / permit code (HJ 608-2017): credit code, 3-digit sequence and an
    /// identifier letter among `letters` (default `P`, the only one the standard confirms).
    PermitNumber {
        /// Allowed identifier letters (A-Z); empty: `P`.
        #[serde(default)]
        letters: Vec<char>,
    },
    /// HJ 212-2017 value flag (`N`, `F`, `M`, `S`, `D`, `C`, `T`, `B`).
    Hj212Flag,
}

/// An aggregate for consistency rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Number of non-null values.
    Count,
    /// Sum.
    Sum,
    /// Minimum.
    Min,
    /// Maximum.
    Max,
}

/// Another table, named as the source database names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRef {
    /// Schema (PostgreSQL) or database (MySQL), if qualified.
    pub schema: Option<String>,
    /// Table name.
    pub name: String,
}

/// A bound value of a custom query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// Text.
    Text(String),
}

/// What a rule checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// The newest record (by `column`) must be younger than the update cycle.
    Timeliness {
        /// Timestamp column.
        column: String,
        /// Update cycle.
        cycle: UpdateCycle,
    },
    /// Rows in the last `window_hours` (by `column`), at least `min_rows`, and changed by at
    /// most `max_change_percent` against the window before.
    Volume {
        /// Timestamp column.
        column: String,
        /// Window length in hours.
        window_hours: u32,
        /// Fewest rows expected in the window.
        min_rows: Option<u64>,
        /// Largest tolerated change against the previous window, in percent.
        max_change_percent: Option<f64>,
    },
    /// Null (and, for text columns, blank) values.
    Completeness {
        /// Checked column.
        column: String,
    },
    /// Non-null values that are not valid.
    Validity {
        /// Checked column.
        column: String,
        /// The check.
        #[serde(flatten)]
        check: Validity,
    },
    /// Rows whose (compound) key occurs more than once; rows with a null key part are skipped.
    Uniqueness {
        /// Key columns.
        columns: Vec<String>,
    },
    /// Non-null values missing from another table's column.
    Referential {
        /// Checked column.
        column: String,
        /// Referenced table.
        target: TableRef,
        /// Referenced column.
        target_column: String,
    },
    /// An aggregate of this table's column compared with the same aggregate of another's.
    Consistency {
        /// This table's column.
        column: String,
        /// The aggregate.
        aggregate: Aggregate,
        /// The other table.
        target: TableRef,
        /// The other table's column.
        target_column: String,
        /// Largest tolerated relative difference, in percent.
        tolerance_percent: f64,
    },
    /// The table still matches the catalog (columns, types, nullability): each difference is a
    /// failing item. Evaluated by the service with the schema-drift comparison, not by SQL.
    Schema,
    /// An admin's read-only query returning the failing rows, with `:name` parameters; `:run_time`
    /// (the run's time as a source wall-clock timestamp) and `:run_date` are always bound.
    CustomSql {
        /// A single `SELECT` or `WITH` statement.
        sql: String,
        /// Values for its `:name` parameters.
        #[serde(default)]
        params: BTreeMap<String, Param>,
    },
}

/// A quality rule attached to a catalog resource (table) or one of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable identifier.
    pub id: String,
    /// What is checked.
    pub kind: RuleKind,
    /// How bad a failure is.
    pub severity: Severity,
    /// Above this, the rule warns.
    pub warn: Threshold,
    /// Above this, the rule fails.
    pub fail: Threshold,
}

/// A column of the checked table, as the catalog knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    /// Column name as the database spells it.
    pub name: String,
    /// Catalog type, when known (decides text-only checks such as blanks).
    pub data_type: Option<DataType>,
    /// How to mask the column's values in samples; `None` shows them as they are.
    pub mask: Option<MaskRule>,
}

impl ColumnInfo {
    /// Whether the column holds text (blank checks and comparisons without a cast).
    pub fn is_text(&self) -> bool {
        matches!(self.data_type, Some(DataType::String | DataType::Text))
    }
}

/// Largest number of values in a code table (each becomes a bound parameter).
pub const MAX_ENUM_VALUES: usize = 500;

/// Built-in custom-query parameter: the run's time as the source's wall-clock timestamp.
pub const BUILTIN_RUN_TIME: &str = "run_time";
/// Built-in custom-query parameter: the run's date in the source's zone, `YYYY-MM-DD`.
pub const BUILTIN_RUN_DATE: &str = "run_date";

fn builtin_param(name: &str) -> bool {
    name == BUILTIN_RUN_TIME || name == BUILTIN_RUN_DATE
}

fn problem(field: &str, message: impl Into<String>) -> Problem {
    Problem {
        field: field.to_owned(),
        message: message.into(),
    }
}

impl Rule {
    /// Every problem with the rule against the table's columns; empty when it may be saved.
    pub fn validate(&self, columns: &[ColumnInfo]) -> Vec<Problem> {
        let mut out = Vec::new();
        let known = |out: &mut Vec<Problem>, field: &str, name: &str| {
            if !columns.iter().any(|c| c.name == name) {
                out.push(problem(field, format!("未知的列：{name}")));
            }
        };
        // A check that needs a kind of column, when the catalog knows the column's type.
        let typed = |out: &mut Vec<Problem>, name: &str, ok: &[DataType], what: &str| {
            if let Some(t) = columns.iter().find(|c| c.name == name).and_then(|c| c.data_type)
                && !ok.contains(&t)
            {
                out.push(problem("column", format!("列 {name} 不是{what}")));
            }
        };
        const TIMES: &[DataType] = &[DataType::Date, DataType::DateTime];
        const NUMBERS: &[DataType] = &[DataType::Integer, DataType::Decimal, DataType::Float];
        if self.id.trim().is_empty() {
            out.push(problem("id", "不能为空"));
        }
        for (field, t) in [("warn", self.warn), ("fail", self.fail)] {
            match t {
                Threshold::Percent(p) if !(0.0..=100.0).contains(&p) => {
                    out.push(problem(field, "百分比须在 0 到 100 之间"));
                }
                _ => {}
            }
        }
        match (self.warn, self.fail) {
            (Threshold::Count(w), Threshold::Count(f)) if w > f => {
                out.push(problem("warn", "预警阈值不能高于失败阈值"));
            }
            (Threshold::Percent(w), Threshold::Percent(f)) if w > f => {
                out.push(problem("warn", "预警阈值不能高于失败阈值"));
            }
            _ => {}
        }
        match &self.kind {
            RuleKind::Timeliness { column, cycle } => {
                known(&mut out, "column", column);
                typed(&mut out, column, TIMES, "日期时间列");
                if matches!(cycle, UpdateCycle::Hours(0) | UpdateCycle::WorkingDays(0)) {
                    out.push(problem("cycle", "更新周期须大于 0"));
                }
            }
            RuleKind::Volume {
                column,
                window_hours,
                min_rows,
                max_change_percent,
            } => {
                known(&mut out, "column", column);
                typed(&mut out, column, TIMES, "日期时间列");
                if *window_hours == 0 {
                    out.push(problem("window_hours", "统计窗口须大于 0"));
                }
                if min_rows.is_none() && max_change_percent.is_none() {
                    out.push(problem("min_rows", "须给出最少行数或最大变化率"));
                }
                if max_change_percent.is_some_and(|p| !(p.is_finite() && p >= 0.0)) {
                    out.push(problem("max_change_percent", "变化率须为非负数"));
                }
            }
            RuleKind::Completeness { column } => known(&mut out, "column", column),
            RuleKind::Validity { column, check } => {
                known(&mut out, "column", column);
                if matches!(check, Validity::Range { .. }) {
                    typed(&mut out, column, NUMBERS, "数值列");
                }
                validate_check(&mut out, check);
            }
            RuleKind::Uniqueness { columns: key } => {
                if key.is_empty() {
                    out.push(problem("columns", "须至少给出一列"));
                }
                for (i, c) in key.iter().enumerate() {
                    known(&mut out, "columns", c);
                    if key.get(..i).is_some_and(|before| before.contains(c)) {
                        out.push(problem("columns", format!("列重复：{c}")));
                    }
                }
            }
            RuleKind::Referential {
                column,
                target,
                target_column,
            } => {
                known(&mut out, "column", column);
                validate_target(&mut out, target, target_column);
            }
            RuleKind::Consistency {
                column,
                target,
                target_column,
                tolerance_percent,
                ..
            } => {
                known(&mut out, "column", column);
                validate_target(&mut out, target, target_column);
                if !(tolerance_percent.is_finite() && *tolerance_percent >= 0.0) {
                    out.push(problem("tolerance_percent", "容差须为非负数"));
                }
            }
            RuleKind::Schema => {}
            RuleKind::CustomSql { sql, params } => match ReadOnlyQuery::parse(sql) {
                Err(e) => out.push(problem("sql", e)),
                Ok(q) => {
                    let used = q.params();
                    for name in &used {
                        if !params.contains_key(*name) && !builtin_param(name) {
                            out.push(problem("params", format!("缺少参数：{name}")));
                        }
                    }
                    for name in params.keys() {
                        if builtin_param(name) {
                            out.push(problem("params", format!("{name} 是内置参数，不能自定义")));
                        } else if !used.contains(&name.as_str()) {
                            out.push(problem("params", format!("未使用的参数：{name}")));
                        }
                    }
                }
            },
        }
        out
    }

    /// [`validate`](Self::validate) as a domain error (`invalid_input`) naming the first problem.
    pub fn check(&self, columns: &[ColumnInfo]) -> Result<(), Error> {
        match self.validate(columns).into_iter().next() {
            None => Ok(()),
            Some(p) => Err(Error::invalid(p.field, p.message)),
        }
    }

    /// The column a field-level rule is attached to, if any.
    pub fn column(&self) -> Option<&str> {
        match &self.kind {
            RuleKind::Timeliness { column, .. }
            | RuleKind::Volume { column, .. }
            | RuleKind::Completeness { column }
            | RuleKind::Validity { column, .. }
            | RuleKind::Referential { column, .. }
            | RuleKind::Consistency { column, .. } => Some(column),
            RuleKind::Uniqueness { .. } | RuleKind::CustomSql { .. } | RuleKind::Schema => None,
        }
    }
}

fn validate_check(out: &mut Vec<Problem>, check: &Validity) {
    match check {
        Validity::Range { min, max } => {
            if min.is_none() && max.is_none() {
                out.push(problem("min", "须给出下限或上限"));
            }
            if min.is_some_and(|v| !v.is_finite()) || max.is_some_and(|v| !v.is_finite()) {
                out.push(problem("min", "上下限须为有限数"));
            }
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                out.push(problem("min", "下限不能高于上限"));
            }
        }
        Validity::Regex { pattern } => {
            if pattern.is_empty() {
                out.push(problem("pattern", "不能为空"));
            } else if let Err(e) = regex::Regex::new(pattern) {
                out.push(problem("pattern", format!("正则表达式无效：{e}")));
            }
        }
        Validity::OneOf { values } => {
            if values.is_empty() {
                out.push(problem("values", "须至少给出一个值"));
            } else if values.len() > MAX_ENUM_VALUES {
                out.push(problem("values", format!("至多 {MAX_ENUM_VALUES} 个值")));
            }
        }
        Validity::Length { min, max } => {
            if min.is_none() && max.is_none() {
                out.push(problem("min", "须给出最短或最长长度"));
            }
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                out.push(problem("min", "最短长度不能大于最长长度"));
            }
        }
        Validity::PermitNumber { letters } => {
            if letters.iter().any(|c| !c.is_ascii_uppercase()) {
                out.push(problem("letters", "标识字母须为 A-Z 大写字母"));
            }
        }
        Validity::CreditCode | Validity::CitizenId | Validity::Hj212Flag => {}
    }
}

fn validate_target(out: &mut Vec<Problem>, target: &TableRef, target_column: &str) {
    // The referenced table's columns are checked against its own catalog entry by the caller;
    // here only that the names are present (they are quoted, never trusted, when compiled).
    if target.name.trim().is_empty() || target.schema.as_deref().is_some_and(|s| s.trim().is_empty()) {
        out.push(problem("target", "须给出被引用的表"));
    }
    if target_column.trim().is_empty() {
        out.push(problem("target_column", "须给出被引用的列"));
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn columns() -> Vec<ColumnInfo> {
        [
            ("station_code", DataType::String),
            ("observed_at", DataType::DateTime),
            ("pm25", DataType::Decimal),
            ("flag", DataType::String),
        ]
        .iter()
        .map(|(n, t)| ColumnInfo {
            name: (*n).to_owned(),
            data_type: Some(*t),
            mask: None,
        })
        .collect()
    }

    fn rule(kind: RuleKind) -> Rule {
        Rule {
            id: "r1".into(),
            kind,
            severity: Severity::High,
            warn: Threshold::Count(0),
            fail: Threshold::Count(10),
        }
    }

    fn fields(r: &Rule) -> Vec<String> {
        r.validate(&columns()).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn good_rules_pass() {
        let columns = columns();
        for kind in [
            RuleKind::Completeness { column: "pm25".into() },
            RuleKind::Validity {
                column: "pm25".into(),
                check: Validity::Range {
                    min: Some(0.0),
                    max: Some(1000.0),
                },
            },
            RuleKind::Validity {
                column: "station_code".into(),
                check: Validity::Regex {
                    pattern: "^4201[0-9]{4}$".into(),
                },
            },
            RuleKind::Uniqueness {
                columns: vec!["station_code".into(), "observed_at".into()],
            },
            RuleKind::CustomSql {
                sql: "SELECT * FROM t WHERE pm25 > :limit".into(),
                params: BTreeMap::from([("limit".to_owned(), Param::Int(500))]),
            },
        ] {
            let r = rule(kind);
            assert!(r.validate(&columns).is_empty(), "{r:?}: {:?}", r.validate(&columns));
            assert!(r.check(&columns).is_ok());
        }
    }

    #[test]
    fn bad_rules_are_refused_with_a_stable_code() {
        let r = rule(RuleKind::Completeness { column: "pm2_5".into() });
        assert_eq!(fields(&r), ["column"]);
        assert_eq!(r.check(&columns()).unwrap_err().code(), "invalid_input");

        let r = rule(RuleKind::Validity {
            column: "flag".into(),
            check: Validity::Regex {
                pattern: "([a-z".into(),
            },
        });
        assert_eq!(fields(&r), ["pattern"]);

        let r = rule(RuleKind::Validity {
            column: "pm25".into(),
            check: Validity::Range {
                min: Some(5.0),
                max: Some(1.0),
            },
        });
        assert_eq!(fields(&r), ["min"]);

        let mut r = rule(RuleKind::Completeness { column: "pm25".into() });
        r.warn = Threshold::Count(5);
        r.fail = Threshold::Count(1);
        assert_eq!(fields(&r), ["warn"]);
        r.warn = Threshold::Percent(-1.0);
        r.fail = Threshold::Percent(120.0);
        assert_eq!(fields(&r), ["warn", "fail"]);

        let r = rule(RuleKind::Uniqueness {
            columns: vec!["pm25".into(), "pm25".into(), "nope".into()],
        });
        assert_eq!(fields(&r), ["columns", "columns"]);

        let r = rule(RuleKind::CustomSql {
            sql: "SELECT 1; DELETE FROM t".into(),
            params: BTreeMap::new(),
        });
        assert_eq!(fields(&r), ["sql"]);
        assert_eq!(r.check(&columns()).unwrap_err().code(), "invalid_input");

        let r = rule(RuleKind::CustomSql {
            sql: "SELECT * FROM t WHERE a = :a".into(),
            params: BTreeMap::from([("b".to_owned(), Param::Int(1))]),
        });
        assert_eq!(fields(&r), ["params", "params"]);

        let r = rule(RuleKind::Timeliness {
            column: "observed_at".into(),
            cycle: UpdateCycle::WorkingDays(0),
        });
        assert_eq!(fields(&r), ["cycle"]);

        // Type-bound checks, when the catalog knows the column's type.
        let typed = columns();
        let range = |column: &str| {
            rule(RuleKind::Validity {
                column: column.into(),
                check: Validity::Range {
                    min: Some(0.0),
                    max: None,
                },
            })
        };
        assert!(range("pm25").validate(&typed).is_empty());
        assert_eq!(range("station_code").validate(&typed).len(), 1);
        let fresh = |column: &str| {
            rule(RuleKind::Timeliness {
                column: column.into(),
                cycle: UpdateCycle::Hours(1),
            })
        };
        assert!(fresh("observed_at").validate(&typed).is_empty());
        assert_eq!(fresh("pm25").validate(&typed).len(), 1);
    }

    #[test]
    fn thresholds() {
        assert!(!Threshold::Count(0).exceeded(0, 100));
        assert!(Threshold::Count(0).exceeded(1, 100));
        assert!(!Threshold::Percent(1.0).exceeded(1, 100));
        assert!(Threshold::Percent(1.0).exceeded(2, 100));
        assert!(!Threshold::Percent(0.0).exceeded(0, 0));
    }

    #[test]
    fn rules_round_trip_as_json() {
        let r = rule(RuleKind::Validity {
            column: "flag".into(),
            check: Validity::Hj212Flag,
        });
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["kind"]["kind"], "validity");
        assert_eq!(json["kind"]["check"], "hj212_flag");
        assert_eq!(json["warn"], serde_json::json!({"count": 0}));
        let back: Rule = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }
}
