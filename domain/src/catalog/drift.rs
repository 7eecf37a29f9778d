//! Schema drift (结构漂移): how a resource's catalogued fields differ from the real table, and
//! what the catalog becomes when a steward adopts the difference.
//!
//! Pure functions over [`FieldDraft`]s and an introspected [`Table`]; reading the table is
//! [`super::introspect`]'s job, opening a ticket for a drift is the caller's.
//!
//! # Rules
//! - Column names compare case-insensitively (`StationCode` is `stationcode`).
//! - Types compare on the normalised [`DataType`]; 字符型 and 文本型 (String and Text) are
//!   compatible, any other difference (Decimal vs Float included) is a [`Change::TypeChanged`].
//!   A column whose native type the catalog cannot express is a type change (actual = the native
//!   type) unless the catalog has no type for it either.
//! - Lengths compare only when the types are compatible and the real type carries a length
//!   (character, text, decimal precision, binary); an integer's "length" is not checked.
//! - A removed catalog field and an added column whose types are compatible and whose names are
//!   similar (see [`name_similarity`]) are reported once as [`Change::RenamedLooking`], plus any
//!   type, length or nullability change of the pair, named by the new column.
//!
//! # Name similarity
//! Names are compared in two ways. If they are equal once case and separators are dropped
//! (`pm25`/`pm2_5`, `station_code`/`stationCode`) the similarity is 1. Otherwise both are split
//! into tokens (at `_`, `-`, spaces and camelCase humps) and scored with a Dice coefficient
//! `2 × Σ match / (tokens(a) + tokens(b))`, each token used once, where two tokens match with
//! - 1.0 when equal;
//! - 0.9 when both are alphabetic, at least 5 letters, and within 20 % edit distance (a typo:
//!   `temprature`/`temperature`);
//! - 0.9 when both are alphabetic and one abbreviates the other (a prefix of at least 3 letters,
//!   a same-initial subsequence at most half as long, or a shared stem of at least 5 letters:
//!   `temp`/`temperature`, `cd`/`code`, `observed`/`observation`) — but only if the two names
//!   also share an equal token, so that lone pollutant codes such as `cod`/`codmn` never match.
//!
//! A pair is a rename when the similarity is at least [`RENAME_THRESHOLD`] (0.75): every token of
//! a two-token name must match (`water_temp` → `water_temperature` 0.95), while changing one
//! token of two or three (`station_code` → `station_name` 0.5, `daily_avg_value` →
//! `daily_max_value` 0.67, `so2_avg` → `so2_max` 0.5) or a different pollutant (`so2` → `no2`)
//! is not. `obs_time` → `observed_at` scores 0 (`obs`/`observed` has no equal token to anchor it)
//! and is deliberately left as removed + added: a person should decide. Candidate pairs are taken greedily, most similar first.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::introspect::{Column, Table};
use super::model::{DataType, FieldDraft};

/// Minimum [`name_similarity`] for a removed and an added column to be reported as a rename.
pub const RENAME_THRESHOLD: f64 = 0.75;

/// One difference between the catalog and the real table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The bound table does not exist (or is not visible).
    MissingTable {
        /// The table as bound in the catalog.
        table: String,
    },
    /// A column the catalog does not list.
    Added {
        /// Column name.
        column: String,
        /// Its native type.
        native_type: String,
    },
    /// A catalogued field with no column.
    Removed {
        /// Field name.
        column: String,
    },
    /// A removed field and an added column that look like one renamed column.
    RenamedLooking {
        /// Catalogued name.
        from: String,
        /// Column name in the table.
        to: String,
        /// Name similarity, 0..=1, two decimals.
        similarity: f64,
    },
    /// The type differs.
    TypeChanged {
        /// Column name.
        column: String,
        /// Catalog type identifier (`decimal`), empty when the catalog has none.
        catalog: String,
        /// Real type identifier, or the native type when the catalog cannot express it.
        actual: String,
    },
    /// The length or precision differs.
    LengthChanged {
        /// Column name.
        column: String,
        /// Catalogued length.
        catalog: Option<u32>,
        /// Real length.
        actual: Option<u32>,
    },
    /// Nullability differs.
    NullabilityChanged {
        /// Column name.
        column: String,
        /// Catalogued nullability.
        catalog: bool,
        /// Real nullability.
        actual: bool,
    },
}

/// The drift of one bound table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The table as bound in the catalog.
    pub table: String,
    /// The changes in a stable order: each rename (followed by that column's type, length or
    /// nullability changes), removals in catalog order, additions in table order, then the
    /// changes of same-named columns in table order.
    pub changes: Vec<Change>,
}

impl Drift {
    /// True when the catalog matches the table.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// A stable SHA-256 hex digest of the table and its changes (order-independent), used as a
    /// dedup key so that the same drift never opens a second ticket.
    pub fn fingerprint(&self) -> String {
        let mut lines: Vec<String> = self
            .changes
            .iter()
            .map(|c| serde_json::to_string(c).unwrap_or_else(|_| format!("{c:?}")))
            .collect();
        lines.sort();
        let mut hasher = Sha256::new();
        hasher.update(b"ecogov-drift-v1\n");
        hasher.update(self.table.as_bytes());
        for line in lines {
            hasher.update(b"\n");
            hasher.update(line.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    /// A one-line Chinese summary: `新增列 2，删除列 1，疑似改名 1，类型变化 1`; `无变化` when empty.
    pub fn summary_zh(&self) -> String {
        let mut counts = [0usize; 7];
        for c in &self.changes {
            let slot = match c {
                Change::MissingTable { .. } => 0,
                Change::Added { .. } => 1,
                Change::Removed { .. } => 2,
                Change::RenamedLooking { .. } => 3,
                Change::TypeChanged { .. } => 4,
                Change::LengthChanged { .. } => 5,
                Change::NullabilityChanged { .. } => 6,
            };
            if let Some(n) = counts.get_mut(slot) {
                *n += 1;
            }
        }
        let labels = [
            "表不存在",
            "新增列",
            "删除列",
            "疑似改名",
            "类型变化",
            "长度变化",
            "可空性变化",
        ];
        let mut out = String::new();
        for (i, (label, n)) in labels.iter().zip(counts).enumerate() {
            if n == 0 {
                continue;
            }
            if !out.is_empty() {
                out.push('，');
            }
            if i == 0 {
                out.push_str(label);
            } else {
                let _ = write!(out, "{label} {n}");
            }
        }
        if out.is_empty() { "无变化".to_owned() } else { out }
    }
}

/// String and Text are interchangeable; everything else must be equal.
fn compatible(a: DataType, b: DataType) -> bool {
    a == b
        || matches!(
            (a, b),
            (DataType::String, DataType::Text) | (DataType::Text, DataType::String)
        )
}

fn types_agree(catalog: Option<DataType>, actual: Option<DataType>) -> bool {
    match (catalog, actual) {
        (Some(c), Some(a)) => compatible(c, a),
        (None, None) => true,
        _ => false,
    }
}

/// Types whose length the database reports and the catalog records.
fn has_length(t: Option<DataType>) -> bool {
    matches!(
        t,
        Some(DataType::String | DataType::Text | DataType::Decimal | DataType::Binary)
    )
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let delete = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = substitute.min(delete).min(insert);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// Lower-case tokens split at non-alphanumerics and camelCase humps.
fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_subsequence(short: &str, long: &str) -> bool {
    let mut rest = long.chars();
    short.chars().all(|c| rest.by_ref().any(|l| l == c))
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// How well two tokens match, and whether the match needs an equal token elsewhere as an anchor.
fn token_match(a: &str, b: &str) -> Option<(f64, bool)> {
    if a == b {
        return Some((1.0, false));
    }
    if !a.chars().all(|c| c.is_alphabetic()) || !b.chars().all(|c| c.is_alphabetic()) {
        return None;
    }
    let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if ac.len() <= bc.len() { (a, b) } else { (b, a) };
    let (ns, nl) = (ac.len().min(bc.len()), ac.len().max(bc.len()));
    if ns >= 5 && levenshtein(&ac, &bc) * 5 <= nl {
        return Some((0.9, false));
    }
    let prefix = ns >= 3 && long.starts_with(short);
    let abbreviation =
        ns >= 2 && 2 * ns <= nl && short.chars().next() == long.chars().next() && is_subsequence(short, long);
    let stem = common_prefix(a, b) >= 5;
    (prefix || abbreviation || stem).then_some((0.9, true))
}

/// Similarity of two column names in `0..=1`, as defined in the module documentation.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (sa, sb) = (squash(a), squash(b));
    if sa.is_empty() || sb.is_empty() {
        return 0.0;
    }
    if sa == sb {
        return 1.0;
    }
    let (ta, tb) = (tokens(a), tokens(b));
    let mut pairs: Vec<(f64, bool, usize, usize)> = Vec::new();
    for (i, x) in ta.iter().enumerate() {
        for (j, y) in tb.iter().enumerate() {
            if let Some((score, needs_anchor)) = token_match(x, y) {
                pairs.push((score, needs_anchor, i, j));
            }
        }
    }
    pairs.sort_by(|p, q| q.0.total_cmp(&p.0).then(p.2.cmp(&q.2)).then(p.3.cmp(&q.3)));
    let (mut used_a, mut used_b) = (vec![false; ta.len()], vec![false; tb.len()]);
    let (mut exact, mut loose, mut anchored) = (0.0, 0.0, false);
    for (score, needs_anchor, i, j) in pairs {
        if used_a.get(i).copied().unwrap_or(true) || used_b.get(j).copied().unwrap_or(true) {
            continue;
        }
        if let Some(u) = used_a.get_mut(i) {
            *u = true;
        }
        if let Some(u) = used_b.get_mut(j) {
            *u = true;
        }
        if needs_anchor {
            loose += score;
        } else {
            exact += score;
            anchored |= score >= 1.0;
        }
    }
    let total = if anchored { exact + loose } else { exact };
    round2(2.0 * total / (ta.len() + tb.len()) as f64)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// How catalog fields and table columns correspond.
struct Pairing {
    /// (field index, column index) with the same name.
    same: Vec<(usize, usize)>,
    /// (field index, column index, similarity) that look renamed.
    renamed: Vec<(usize, usize, f64)>,
    removed: Vec<usize>,
    added: Vec<usize>,
}

fn pair_up(catalog: &[FieldDraft], columns: &[Column]) -> Pairing {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (j, c) in columns.iter().enumerate() {
        by_name.entry(c.name.to_lowercase()).or_insert(j);
    }
    let mut taken = vec![false; columns.len()];
    let mut same = Vec::new();
    let mut unmatched_fields = Vec::new();
    for (i, f) in catalog.iter().enumerate() {
        match by_name.get(&f.name.trim().to_lowercase()) {
            Some(&j) if !taken.get(j).copied().unwrap_or(true) => {
                if let Some(t) = taken.get_mut(j) {
                    *t = true;
                }
                same.push((i, j));
            }
            _ => unmatched_fields.push(i),
        }
    }
    let unmatched_columns: Vec<usize> = (0..columns.len())
        .filter(|&j| !taken.get(j).copied().unwrap_or(true))
        .collect();

    let mut candidates = Vec::new();
    for &i in &unmatched_fields {
        for &j in &unmatched_columns {
            let (Some(f), Some(c)) = (catalog.get(i), columns.get(j)) else {
                continue;
            };
            if !types_agree(f.data_type, c.data_type) {
                continue;
            }
            let s = name_similarity(f.name.trim(), &c.name);
            if s >= RENAME_THRESHOLD {
                candidates.push((i, j, s));
            }
        }
    }
    candidates.sort_by(|p, q| q.2.total_cmp(&p.2).then(p.0.cmp(&q.0)).then(p.1.cmp(&q.1)));
    let mut renamed = Vec::new();
    let (mut field_done, mut column_done) = (vec![false; catalog.len()], vec![false; columns.len()]);
    for (i, j, s) in candidates {
        if field_done.get(i).copied().unwrap_or(true) || column_done.get(j).copied().unwrap_or(true) {
            continue;
        }
        if let Some(d) = field_done.get_mut(i) {
            *d = true;
        }
        if let Some(d) = column_done.get_mut(j) {
            *d = true;
        }
        renamed.push((i, j, s));
    }
    renamed.sort_by_key(|r| r.1);
    Pairing {
        same,
        renamed,
        removed: unmatched_fields
            .into_iter()
            .filter(|&i| !field_done.get(i).copied().unwrap_or(true))
            .collect(),
        added: unmatched_columns
            .into_iter()
            .filter(|&j| !column_done.get(j).copied().unwrap_or(true))
            .collect(),
    }
}

/// Type, length and nullability changes of one field against its column (named by the column).
fn column_changes(f: &FieldDraft, c: &Column, out: &mut Vec<Change>) {
    let catalog_label = f.data_type.map(|t| t.as_str().to_owned()).unwrap_or_default();
    match (f.data_type, c.data_type) {
        (None, None) => {}
        (Some(_), None) => out.push(Change::TypeChanged {
            column: c.name.clone(),
            catalog: catalog_label,
            actual: c.native_type.clone(),
        }),
        (catalog, Some(actual)) if !catalog.is_some_and(|t| compatible(t, actual)) => {
            out.push(Change::TypeChanged {
                column: c.name.clone(),
                catalog: catalog_label,
                actual: actual.as_str().to_owned(),
            });
        }
        (_, actual) => {
            if has_length(actual) && f.length != c.length {
                out.push(Change::LengthChanged {
                    column: c.name.clone(),
                    catalog: f.length,
                    actual: c.length,
                });
            }
        }
    }
    if f.nullable != c.nullable {
        out.push(Change::NullabilityChanged {
            column: c.name.clone(),
            catalog: f.nullable,
            actual: c.nullable,
        });
    }
}

/// Compares catalogued fields with the real table (`None` when the table is missing).
pub fn compare(table: &str, catalog: &[FieldDraft], actual: Option<&Table>) -> Drift {
    let Some(actual) = actual else {
        return Drift {
            table: table.to_owned(),
            changes: vec![Change::MissingTable {
                table: table.to_owned(),
            }],
        };
    };
    let cols = &actual.columns;
    let p = pair_up(catalog, cols);
    let mut changes = Vec::new();
    for &(i, j, similarity) in &p.renamed {
        if let (Some(f), Some(c)) = (catalog.get(i), cols.get(j)) {
            changes.push(Change::RenamedLooking {
                from: f.name.clone(),
                to: c.name.clone(),
                similarity,
            });
            column_changes(f, c, &mut changes);
        }
    }
    changes.extend(
        p.removed
            .iter()
            .filter_map(|&i| catalog.get(i))
            .map(|f| Change::Removed { column: f.name.clone() }),
    );
    changes.extend(p.added.iter().filter_map(|&j| cols.get(j)).map(|c| Change::Added {
        column: c.name.clone(),
        native_type: c.native_type.clone(),
    }));
    let mut same = p.same;
    same.sort_by_key(|s| s.1);
    for (i, j) in same {
        if let (Some(f), Some(c)) = (catalog.get(i), cols.get(j)) {
            column_changes(f, c, &mut changes);
        }
    }
    Drift {
        table: table.to_owned(),
        changes,
    }
}

/// The field a column turns into when the drift is adopted, keeping `base`'s metadata.
fn adopted(base: FieldDraft, c: &Column) -> FieldDraft {
    let keep_type = types_agree(base.data_type, c.data_type);
    let data_type = if keep_type { base.data_type } else { c.data_type };
    let length = if has_length(c.data_type) {
        c.length
    } else if keep_type {
        base.length
    } else {
        None
    };
    FieldDraft {
        name: c.name.clone(),
        data_type,
        length,
        nullable: c.nullable,
        ..base
    }
}

/// The catalog fields after adopting the drift, in the table's column order.
///
/// Added columns become new fields (中文名称 = the column comment, or the column name), removed
/// fields are dropped, renamed-looking fields keep their metadata under the new name, and type,
/// length and nullability follow the table. A compatible type (String vs Text) is kept as
/// catalogued; an unknown native type leaves the field without a type for the steward to choose.
/// `compare` of the result against the same table is empty.
pub fn adopt(catalog: &[FieldDraft], actual: &Table) -> Vec<FieldDraft> {
    let p = pair_up(catalog, &actual.columns);
    let mut source: HashMap<usize, usize> = p.same.iter().map(|&(i, j)| (j, i)).collect();
    source.extend(p.renamed.iter().map(|&(i, j, _)| (j, i)));
    actual
        .columns
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let base = match source.get(&j).and_then(|&i| catalog.get(i)) {
                Some(f) => f.clone(),
                None => FieldDraft {
                    cn_name: c.comment.clone().unwrap_or_else(|| c.name.clone()),
                    data_type: c.data_type,
                    ..FieldDraft::default()
                },
            };
            adopted(base, c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::catalog::introspect::normalise;

    fn col(name: &str, native: &str, nullable: bool) -> Column {
        let (data_type, length) = normalise(native);
        Column {
            name: name.to_owned(),
            native_type: native.to_owned(),
            data_type,
            length,
            nullable,
            comment: None,
        }
    }

    fn table(columns: Vec<Column>) -> Table {
        Table {
            schema: Some("public".into()),
            name: "air_station_hourly".into(),
            columns,
            comment: None,
        }
    }

    fn field(name: &str, cn_name: &str, data_type: DataType, length: Option<u32>, nullable: bool) -> FieldDraft {
        FieldDraft {
            name: name.into(),
            cn_name: cn_name.into(),
            data_type: Some(data_type),
            length,
            nullable,
            ..FieldDraft::default()
        }
    }

    fn air_table() -> Table {
        table(vec![
            col("station_code", "character varying(8)", false),
            col("observed_at", "timestamp without time zone", true),
            col("pm25", "numeric(6,1)", true),
            col("pm10", "integer", true),
            col("flag", "character(1)", true),
        ])
    }

    fn air_catalog() -> Vec<FieldDraft> {
        vec![
            FieldDraft {
                unit: String::new(),
                code_table: "HJ 212-2017".into(),
                ..field("station_code", "站点编码", DataType::String, Some(8), false)
            },
            field("observed_at", "监测时间", DataType::DateTime, None, true),
            FieldDraft {
                unit: "μg/m³".into(),
                ..field("pm25", "PM2.5 浓度", DataType::Decimal, Some(6), true)
            },
            FieldDraft {
                unit: "μg/m³".into(),
                ..field("pm10", "PM10 浓度", DataType::Integer, Some(11), true)
            },
            field("flag", "数据标记", DataType::String, Some(1), true),
        ]
    }

    #[test]
    fn no_drift_when_equal() {
        let d = compare("demo.air_station_hourly", &air_catalog(), Some(&air_table()));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(d.summary_zh(), "无变化");
    }

    #[test]
    fn names_compare_case_insensitively() {
        let mut catalog = air_catalog();
        catalog[0].name = "STATION_CODE".into();
        catalog[2].name = "PM25".into();
        assert!(compare("t", &catalog, Some(&air_table())).is_empty());
    }

    #[test]
    fn a_missing_table_is_one_change() {
        let d = compare("demo.gone", &air_catalog(), None);
        assert_eq!(
            d.changes,
            vec![Change::MissingTable {
                table: "demo.gone".into()
            }]
        );
        assert_eq!(d.summary_zh(), "表不存在");
    }

    #[test]
    fn each_change_kind() {
        let actual = table(vec![
            col("station_code", "character varying(12)", true), // length 8→12, nullable false→true
            col("observed_at", "timestamp with time zone", true),
            col("pm25", "double precision", true), // decimal → float
            col("pm10", "integer", true),
            col("aqi", "smallint", true),              // added
            col("geom", "geometry(Point,4326)", true), // added, unknown type
        ]);
        let d = compare("t", &air_catalog(), Some(&actual));
        assert_eq!(
            d.changes,
            vec![
                Change::Removed { column: "flag".into() },
                Change::Added {
                    column: "aqi".into(),
                    native_type: "smallint".into()
                },
                Change::Added {
                    column: "geom".into(),
                    native_type: "geometry(Point,4326)".into()
                },
                Change::LengthChanged {
                    column: "station_code".into(),
                    catalog: Some(8),
                    actual: Some(12)
                },
                Change::NullabilityChanged {
                    column: "station_code".into(),
                    catalog: false,
                    actual: true
                },
                Change::TypeChanged {
                    column: "pm25".into(),
                    catalog: "decimal".into(),
                    actual: "float".into()
                },
            ]
        );
        assert_eq!(
            d.summary_zh(),
            "新增列 2，删除列 1，类型变化 1，长度变化 1，可空性变化 1"
        );
    }

    #[test]
    fn string_and_text_are_compatible_but_lengths_still_count() {
        let catalog = vec![
            field("remark", "备注", DataType::String, None, true),
            field("name", "名称", DataType::Text, None, true),
            field("code", "编码", DataType::String, Some(32), true),
        ];
        let actual = table(vec![
            col("remark", "text", true),
            col("name", "varchar", true),
            col("code", "text", true),
        ]);
        let d = compare("t", &catalog, Some(&actual));
        assert_eq!(
            d.changes,
            vec![Change::LengthChanged {
                column: "code".into(),
                catalog: Some(32),
                actual: None
            }]
        );
    }

    #[test]
    fn integer_lengths_are_not_checked() {
        // The catalog says 整数型 length 11; int(11) is a display width, not a length.
        let catalog = vec![field("pm10", "PM10", DataType::Integer, Some(11), true)];
        assert!(compare("t", &catalog, Some(&table(vec![col("pm10", "int(11)", true)]))).is_empty());
        assert!(compare("t", &catalog, Some(&table(vec![col("pm10", "bigint", true)]))).is_empty());
    }

    #[test]
    fn unknown_actual_types_are_type_changes_with_the_native_type() {
        let catalog = vec![
            field("area", "区域", DataType::Text, None, true),
            FieldDraft {
                data_type: None,
                ..field("shape", "形状", DataType::Text, None, true)
            },
        ];
        let actual = table(vec![col("area", "polygon", true), col("shape", "geometry", true)]);
        let d = compare("t", &catalog, Some(&actual));
        assert_eq!(
            d.changes,
            vec![Change::TypeChanged {
                column: "area".into(),
                catalog: "text".into(),
                actual: "polygon".into()
            }]
        );
    }

    #[test]
    fn a_catalog_without_type_is_a_type_change() {
        let catalog = vec![FieldDraft {
            data_type: None,
            ..field("pm10", "PM10", DataType::Integer, None, true)
        }];
        let d = compare("t", &catalog, Some(&table(vec![col("pm10", "int", true)])));
        assert_eq!(
            d.changes,
            vec![Change::TypeChanged {
                column: "pm10".into(),
                catalog: String::new(),
                actual: "integer".into()
            }]
        );
    }

    #[test]
    fn similarity_examples() {
        let s = name_similarity;
        assert_eq!(s("pm25", "pm2_5"), 1.0);
        assert_eq!(s("station_code", "stationcode"), 1.0);
        assert_eq!(s("station_code", "StationCode"), 1.0);
        assert_eq!(s("temprature", "temperature"), 0.9);
        assert_eq!(s("water_temp", "water_temperature"), 0.95);
        assert_eq!(s("enterprise_name", "ent_name"), 0.95);
        assert_eq!(s("pollutant_code", "pollutant_cd"), 0.95);
        assert_eq!(s("observed_time", "observation_time"), 0.95);
        assert_eq!(s("so2_avg", "so2_average"), 0.95);
        assert_eq!(s("station_code", "station_code_new"), 0.8);
        // Below the threshold: a person decides.
        assert_eq!(s("obs_time", "observed_at"), 0.0);
        assert_eq!(s("station_code", "station_name"), 0.5);
        assert_eq!(s("daily_avg_value", "daily_max_value"), 0.67);
        assert_eq!(s("so2_avg", "so2_max"), 0.5);
        assert_eq!(s("so2", "no2"), 0.0);
        assert_eq!(s("no2", "nox"), 0.0);
        assert_eq!(s("cod", "codmn"), 0.0);
        assert_eq!(s("co", "cod"), 0.0);
        assert_eq!(s("pm10", "pm25"), 0.0);
        assert_eq!(s("pm25", "pm25_avg"), 0.67);
        for (a, b) in [
            ("pm25", "pm2_5"),
            ("water_temp", "water_temperature"),
            ("station_code", "station_code_new"),
        ] {
            assert!(s(a, b) >= RENAME_THRESHOLD, "{a} {b}");
        }
        for (a, b) in [
            ("obs_time", "observed_at"),
            ("daily_avg_value", "daily_max_value"),
            ("pm25", "pm25_avg"),
        ] {
            assert!(s(a, b) < RENAME_THRESHOLD, "{a} {b}");
        }
    }

    #[test]
    fn renames_are_reported_once() {
        let actual = table(vec![
            col("stationcode", "character varying(8)", false),
            col("observed_at", "timestamp without time zone", true),
            col("pm2_5", "numeric(8,1)", true),
            col("pm10", "integer", true),
            col("flag", "character(1)", true),
        ]);
        let d = compare("t", &air_catalog(), Some(&actual));
        assert_eq!(
            d.changes,
            vec![
                Change::RenamedLooking {
                    from: "station_code".into(),
                    to: "stationcode".into(),
                    similarity: 1.0
                },
                Change::RenamedLooking {
                    from: "pm25".into(),
                    to: "pm2_5".into(),
                    similarity: 1.0
                },
                Change::LengthChanged {
                    column: "pm2_5".into(),
                    catalog: Some(6),
                    actual: Some(8)
                },
            ]
        );
        assert_eq!(d.summary_zh(), "疑似改名 2，长度变化 1");
    }

    #[test]
    fn renames_need_compatible_types_and_the_threshold() {
        // Similar names but Decimal → Integer: not a rename.
        let actual = table(vec![col("pm2_5", "integer", true)]);
        let catalog = vec![field("pm25", "PM2.5", DataType::Decimal, Some(6), true)];
        let d = compare("t", &catalog, Some(&actual));
        assert_eq!(
            d.changes,
            vec![
                Change::Removed { column: "pm25".into() },
                Change::Added {
                    column: "pm2_5".into(),
                    native_type: "integer".into()
                }
            ]
        );
        // Same type, dissimilar names: not a rename.
        let actual = table(vec![col("observed_at", "timestamp", true)]);
        let catalog = vec![field("obs_time", "监测时间", DataType::DateTime, None, true)];
        let kinds: Vec<&str> = compare("t", &catalog, Some(&actual))
            .changes
            .iter()
            .map(|c| match c {
                Change::Removed { .. } => "removed",
                Change::Added { .. } => "added",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, vec!["removed", "added"]);
        // Text vs String counts as the same type for renames.
        let actual = table(vec![col("remark_text", "text", true)]);
        let catalog = vec![field("remarktext", "备注", DataType::String, None, true)];
        assert!(matches!(
            compare("t", &catalog, Some(&actual)).changes.as_slice(),
            [Change::RenamedLooking { similarity, .. }] if *similarity == 1.0
        ));
    }

    #[test]
    fn the_best_rename_wins() {
        let catalog = vec![field("water_temp", "水温", DataType::Decimal, Some(4), true)];
        let actual = table(vec![
            col("water_temperature", "decimal(4,1)", true),
            col("watertemp", "decimal(4,1)", true),
        ]);
        let d = compare("t", &catalog, Some(&actual));
        assert_eq!(
            d.changes,
            vec![
                Change::RenamedLooking {
                    from: "water_temp".into(),
                    to: "watertemp".into(),
                    similarity: 1.0
                },
                Change::Added {
                    column: "water_temperature".into(),
                    native_type: "decimal(4,1)".into()
                }
            ]
        );
    }

    #[test]
    fn fingerprint_is_stable_and_order_independent() {
        let actual = table(vec![col("station_code", "varchar(12)", true), col("aqi", "int", true)]);
        let d = compare("demo.t", &air_catalog(), Some(&actual));
        let mut reversed = d.clone();
        reversed.changes.reverse();
        assert_eq!(d.fingerprint(), reversed.fingerprint());
        assert_eq!(d.fingerprint().len(), 64);
        assert!(d.fingerprint().bytes().all(|b| b.is_ascii_hexdigit()));
        let other_table = Drift {
            table: "demo.u".into(),
            ..d.clone()
        };
        assert_ne!(d.fingerprint(), other_table.fingerprint());
        let mut fewer = d.clone();
        fewer.changes.pop();
        assert_ne!(d.fingerprint(), fewer.fingerprint());
    }

    #[test]
    fn changes_serialise_with_a_kind_tag() {
        let json = serde_json::to_value(Change::RenamedLooking {
            from: "pm25".into(),
            to: "pm2_5".into(),
            similarity: 1.0,
        })
        .unwrap();
        assert_eq!(json["kind"], "renamed_looking");
        assert_eq!(json["to"], "pm2_5");
        let back: Change = serde_json::from_value(json).unwrap();
        assert!(matches!(back, Change::RenamedLooking { .. }));
    }

    #[test]
    fn adopt_follows_the_table_and_keeps_metadata() {
        let actual = Table {
            columns: vec![
                col("stationcode", "character varying(10)", false),
                col("observed_at", "timestamp without time zone", false),
                col("pm25", "double precision", true),
                col("pm10", "integer", true),
                Column {
                    comment: Some("空气质量指数".into()),
                    ..col("aqi", "smallint", true)
                },
                col("geom", "geometry", true),
                col("remark", "text", true),
            ],
            ..air_table()
        };
        let catalog = air_catalog();
        let adopted = adopt(&catalog, &actual);
        let names: Vec<&str> = adopted.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["stationcode", "observed_at", "pm25", "pm10", "aqi", "geom", "remark"]
        );
        // Renamed: metadata kept under the new name, length from the table.
        assert_eq!(adopted[0].cn_name, "站点编码");
        assert_eq!(adopted[0].code_table, "HJ 212-2017");
        assert_eq!(adopted[0].length, Some(10));
        assert!(!adopted[1].nullable);
        // Type change: metadata kept, type and length follow the table.
        assert_eq!(adopted[2].unit, "μg/m³");
        assert_eq!(adopted[2].data_type, Some(DataType::Float));
        assert_eq!(adopted[2].length, None);
        // The integer keeps its catalogued length.
        assert_eq!(adopted[3].length, Some(11));
        // New columns: comment or name as 中文名称.
        assert_eq!(adopted[4].cn_name, "空气质量指数");
        assert_eq!(adopted[4].data_type, Some(DataType::Integer));
        assert_eq!(adopted[5].cn_name, "geom");
        assert_eq!(adopted[5].data_type, None);
        assert_eq!(adopted[6].data_type, Some(DataType::Text));
        // flag is gone.
        assert!(adopted.iter().all(|f| f.name != "flag"));

        assert!(compare("t", &adopted, Some(&actual)).is_empty());
    }

    #[test]
    fn adopting_then_comparing_is_empty_for_every_scenario() {
        let scenarios = [
            air_table(),
            table(vec![]),
            table(vec![col("STATION_CODE", "varchar(8)", true), col("x", "json", true)]),
            table(vec![col("pm2_5", "decimal(8,2)", false), col("flag", "text", true)]),
            table(vec![col("pm25", "blob", true), col("pm10", "geometry", true)]),
        ];
        for actual in &scenarios {
            for catalog in [air_catalog(), vec![], adopt(&air_catalog(), &air_table())] {
                let adopted = adopt(&catalog, actual);
                let d = compare("t", &adopted, Some(actual));
                assert!(d.is_empty(), "{actual:?} → {d:?}");
            }
        }
    }

    #[test]
    fn adopting_keeps_a_compatible_catalog_type() {
        let catalog = vec![field("remark", "备注", DataType::String, Some(200), true)];
        let actual = table(vec![col("remark", "text", true)]);
        let adopted = adopt(&catalog, &actual);
        assert_eq!(adopted[0].data_type, Some(DataType::String));
        assert_eq!(adopted[0].length, None);
        assert!(compare("t", &adopted, Some(&actual)).is_empty());
    }
}
