//! The comparison itself: both sides' rows in, every discrepancy out.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::NaiveDate;

use super::normalise::{self, default_valid_to};
use super::{Category, Field, Item, Mapping, Outcome, RENEWAL_DAYS, RawTable, Side};
use crate::ident::PermitNumber;

/// A cell after normalisation.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    /// The field is not mapped on this side.
    Unmapped,
    /// Canonical value (`None`: empty).
    Value(Option<String>),
    /// Not readable; the raw text (already reported as a malformed value).
    Bad(String),
}

/// One permit's first row on one side.
#[derive(Debug)]
struct Record {
    number: String,
    row: u64,
    cells: Vec<Cell>,
}

/// One side, checked.
#[derive(Debug, Default)]
struct Checked {
    records: Vec<Record>,
    index: HashMap<String, usize>,
    /// Extra row numbers of numbers seen more than once (first row, then the repeats).
    duplicates: Vec<(usize, Vec<u64>)>,
    malformed_numbers: Vec<Item>,
    malformed_values: Vec<Item>,
    rows: u64,
}

/// Resolves a mapping's columns in a header; a missing column refuses the whole side (Chinese
/// message), since comparing without it would report every permit as different.
fn columns(side: Side, table: &RawTable, mapping: &Mapping) -> Result<(usize, Vec<(Field, usize)>), String> {
    let find = |title: &str| {
        table
            .headers
            .iter()
            .position(|h| normalise::text(h).as_deref() == normalise::text(title).as_deref())
            .ok_or_else(|| format!("{}数据缺少映射的列“{title}”", side.label()))
    };
    let number = find(&mapping.permit_number)?;
    let fields = mapping
        .fields
        .iter()
        .map(|(f, title)| find(title).map(|i| (*f, i)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((number, fields))
}

fn field_slot(f: Field) -> usize {
    Field::ALL.iter().position(|x| *x == f).unwrap_or(0)
}

fn check_side(side: Side, table: &RawTable, mapping: &Mapping, letters: &[char]) -> Result<Checked, String> {
    let (number_col, field_cols) = columns(side, table, mapping)?;
    let mut out = Checked {
        records: Vec::with_capacity(table.rows.len()),
        index: HashMap::with_capacity(table.rows.len()),
        ..Default::default()
    };
    let mut dup_slots: HashMap<usize, usize> = HashMap::new();
    let on_side = |row: u64| -> (Vec<u64>, Vec<u64>) {
        match side {
            Side::City => (vec![row], Vec::new()),
            Side::National => (Vec::new(), vec![row]),
        }
    };
    for (i, cells) in table.rows.iter().enumerate() {
        if cells.iter().all(|c| c.as_deref().is_none_or(|s| s.trim().is_empty())) {
            continue;
        }
        out.rows += 1;
        let row = table.first_row + i as u64;
        let raw = cells.get(number_col).cloned().flatten().unwrap_or_default();
        let number = normalise::permit_number(&raw);
        if let Err(reason) = if number.is_empty() {
            Err("许可证编号为空".to_owned())
        } else {
            PermitNumber::parse(&number, letters)
                .map(|_| ())
                .map_err(|e| format!("许可证编号“{number}”{}", e.message_zh()))
        } {
            let (city_rows, national_rows) = on_side(row);
            out.malformed_numbers.push(Item {
                category: Category::MalformedNumber,
                permit_number: number,
                holder_name: None,
                side: Some(side),
                city_rows,
                national_rows,
                field: None,
                city_value: None,
                national_value: None,
                message: format!("{}第 {row} 行：{reason}", side.label()),
            });
            continue;
        }
        match out.index.entry(number) {
            Entry::Occupied(e) => {
                let first = *e.get();
                let slot = *dup_slots.entry(first).or_insert_with(|| {
                    let first_row = out.records.get(first).map(|r| r.row).unwrap_or_default();
                    out.duplicates.push((first, vec![first_row]));
                    out.duplicates.len() - 1
                });
                if let Some((_, rows)) = out.duplicates.get_mut(slot) {
                    rows.push(row);
                }
            }
            Entry::Vacant(e) => {
                let number = e.key().clone();
                e.insert(out.records.len());
                let mut record = Record {
                    number,
                    row,
                    cells: vec![Cell::Unmapped; Field::ALL.len()],
                };
                for &(field, col) in &field_cols {
                    let raw = cells.get(col).and_then(|c| c.as_deref()).unwrap_or("");
                    let cell = match normalise::value(field.kind(), raw) {
                        Ok(v) => Cell::Value(v),
                        Err(reason) => {
                            let (city_rows, national_rows) = on_side(row);
                            let (city_value, national_value) = match side {
                                Side::City => (Some(raw.to_owned()), None),
                                Side::National => (None, Some(raw.to_owned())),
                            };
                            out.malformed_values.push(Item {
                                category: Category::MalformedValue,
                                permit_number: record.number.clone(),
                                holder_name: None,
                                side: Some(side),
                                city_rows,
                                national_rows,
                                field: Some(field),
                                city_value,
                                national_value,
                                message: format!("{}第 {row} 行“{}”：{reason}", side.label(), field.label()),
                            });
                            Cell::Bad(raw.to_owned())
                        }
                    };
                    if let Some(slot) = record.cells.get_mut(field_slot(field)) {
                        *slot = cell;
                    }
                }
                out.records.push(record);
            }
        }
    }
    Ok(out)
}

fn blank(category: Category, number: &str) -> Item {
    Item {
        category,
        permit_number: number.to_owned(),
        holder_name: None,
        side: None,
        city_rows: Vec::new(),
        national_rows: Vec::new(),
        field: None,
        city_value: None,
        national_value: None,
        message: String::new(),
    }
}

/// The expired / about-to-expire item of a permit whose last valid day is `to`, if any.
fn expiry(
    today: NaiveDate,
    number: &str,
    name: Option<String>,
    to: Option<NaiveDate>,
    rows: (Vec<u64>, Vec<u64>),
) -> Option<Item> {
    let to = to?;
    let days = (to - today).num_days();
    let (category, message) = if days < 0 {
        (
            Category::Expired,
            format!("许可证已于 {to} 到期（已过期 {} 天）", -days),
        )
    } else if days <= RENEWAL_DAYS {
        (
            Category::Expiring,
            format!("许可证将于 {to} 到期（剩余 {days} 天），应在到期前 {RENEWAL_DAYS} 日申请延续"),
        )
    } else {
        return None;
    };
    Some(Item {
        holder_name: name,
        city_rows: rows.0,
        national_rows: rows.1,
        national_value: Some(to.to_string()),
        message,
        ..blank(category, number)
    })
}

fn value_of(r: &Record, f: Field) -> Option<&str> {
    match r.cells.get(field_slot(f)) {
        Some(Cell::Value(Some(v))) => Some(v),
        _ => None,
    }
}

fn date_of(r: &Record, f: Field) -> Option<NaiveDate> {
    value_of(r, f).and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
}

/// The last valid day of a record: its end date, else its start date + 5 years − 1 day.
fn valid_to(r: &Record) -> Option<NaiveDate> {
    date_of(r, Field::ValidTo).or_else(|| date_of(r, Field::ValidFrom).and_then(default_valid_to))
}

/// Compares the two sides as of `today` (the run date, Asia/Shanghai). `letters` are the allowed
/// permit identifier letters. A mapped column missing from a side's header refuses the whole
/// run (`Err`, Chinese); everything else is an item.
pub fn reconcile(
    city: &RawTable,
    city_mapping: &Mapping,
    national: &RawTable,
    national_mapping: &Mapping,
    letters: &[char],
    today: NaiveDate,
) -> Result<Outcome, String> {
    // The two sides are read independently: one thread each.
    let (c, n) = std::thread::scope(|scope| {
        let national = scope.spawn(|| check_side(Side::National, national, national_mapping, letters));
        let c = check_side(Side::City, city, city_mapping, letters);
        let n = national
            .join()
            .unwrap_or_else(|_| Err("national side check panicked".to_owned()));
        (c, n)
    });
    let (c, n) = (c?, n?);
    let compared: Vec<Field> = Field::ALL
        .iter()
        .copied()
        .filter(|f| city_mapping.fields.contains_key(f) && national_mapping.fields.contains_key(f))
        .collect();
    let mut by_cat: Vec<Vec<Item>> = vec![Vec::new(); Category::ALL.len()];
    let mut out = Outcome {
        city_rows: c.rows,
        national_rows: n.rows,
        ..Default::default()
    };
    let holder = |r: &Record| value_of(r, Field::HolderName).map(str::to_owned);
    let mut push = |item: Item| {
        if let Some(v) = by_cat.get_mut(item.category.index()) {
            v.push(item);
        }
    };
    for rc in &c.records {
        let Some(rn) = n.index.get(&rc.number).and_then(|&i| n.records.get(i)) else {
            let item = Item {
                holder_name: holder(rc),
                side: Some(Side::City),
                city_rows: vec![rc.row],
                message: format!("市局回流第 {} 行的许可证在国家平台数据中不存在", rc.row),
                ..blank(Category::OnlyCity, &rc.number)
            };
            push(item);
            if let Some(e) = expiry(today, &rc.number, holder(rc), valid_to(rc), (vec![rc.row], Vec::new())) {
                push(e);
            }
            continue;
        };
        out.matched += 1;
        let name = holder(rn).or_else(|| holder(rc));
        for &f in &compared {
            let slot = field_slot(f);
            let (Some(Cell::Value(a)), Some(Cell::Value(b))) = (rc.cells.get(slot), rn.cells.get(slot)) else {
                continue;
            };
            if a == b {
                continue;
            }
            *out.field_counts.entry(f).or_default() += 1;
            push(Item {
                holder_name: name.clone(),
                city_rows: vec![rc.row],
                national_rows: vec![rn.row],
                field: Some(f),
                city_value: a.clone(),
                national_value: b.clone(),
                message: format!(
                    "“{}”不一致：市局为“{}”，国家平台为“{}”",
                    f.label(),
                    a.as_deref().unwrap_or("（空）"),
                    b.as_deref().unwrap_or("（空）")
                ),
                ..blank(Category::FieldDiff, &rc.number)
            });
        }
        if let Some(e) = expiry(
            today,
            &rc.number,
            name,
            valid_to(rn).or_else(|| valid_to(rc)),
            (vec![rc.row], vec![rn.row]),
        ) {
            push(e);
        }
    }
    for rn in &n.records {
        if c.index.contains_key(&rn.number) {
            continue;
        }
        push(Item {
            holder_name: holder(rn),
            side: Some(Side::National),
            national_rows: vec![rn.row],
            message: format!("国家平台第 {} 行的许可证在市局回流数据中不存在", rn.row),
            ..blank(Category::OnlyNational, &rn.number)
        });
        if let Some(e) = expiry(today, &rn.number, holder(rn), valid_to(rn), (Vec::new(), vec![rn.row])) {
            push(e);
        }
    }
    for (side, checked) in [(Side::City, &c), (Side::National, &n)] {
        for (first, rows) in &checked.duplicates {
            let Some(r) = checked.records.get(*first) else { continue };
            let list = rows.iter().map(u64::to_string).collect::<Vec<_>>().join("、");
            let (city_rows, national_rows) = match side {
                Side::City => (rows.clone(), Vec::new()),
                Side::National => (Vec::new(), rows.clone()),
            };
            push(Item {
                holder_name: holder(r),
                side: Some(side),
                city_rows,
                national_rows,
                message: format!("{}第 {list} 行的许可证编号重复（按第 {} 行比对）", side.label(), r.row),
                ..blank(Category::Duplicate, &r.number)
            });
        }
    }
    for checked in [c, n] {
        checked.malformed_numbers.into_iter().for_each(&mut push);
        checked.malformed_values.into_iter().for_each(&mut push);
    }
    for (i, items) in by_cat.into_iter().enumerate() {
        if let Some(n) = out.counts.get_mut(i) {
            *n = items.len() as u64;
        }
        out.items.extend(items);
    }
    Ok(out)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    const A: &str = "91420100177760591W001P";

    fn numbers() -> Vec<String> {
        // Valid credit codes built with the GB 32100 check character, sequence 001..
        (0..6)
            .map(|i| {
                let first17 = format!("9142010017776{i:04}");
                let check = crate::ident::CreditCode::expected_check(&first17).unwrap();
                format!("{first17}{check}001P")
            })
            .collect()
    }

    fn table(rows: &[&[&str]]) -> RawTable {
        RawTable {
            headers: [
                "许可证编号",
                "单位名称",
                "管理类别",
                "有效期起",
                "有效期止",
                "废气排放口",
                "氨氮许可排放量(t/a)",
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| (!c.is_empty()).then(|| (*c).to_owned())).collect())
                .collect(),
            first_row: 2,
        }
    }

    fn mapping() -> Mapping {
        let mut m = Mapping {
            permit_number: "许可证编号".into(),
            ..Default::default()
        };
        for f in [
            Field::HolderName,
            Field::ManagementCategory,
            Field::ValidFrom,
            Field::ValidTo,
            Field::AirOutlets,
            Field::Nh3nLimit,
        ] {
            m.fields.insert(f, f.label().to_owned());
        }
        m
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    #[test]
    fn every_defect_once_and_nothing_else() {
        let n = numbers();
        let city = table(&[
            // Equal after normalisation: width, spaces, category spelling, date, order, number.
            &[
                &n[0],
                "Ａ公司 ",
                "重点",
                "2024/1/1",
                "2028年12月31日",
                "DA002、DA001",
                "1,200.0",
            ],
            // Only in the city.
            &[&n[1], "B公司", "简化管理", "2024-01-01", "2028-12-31", "", ""],
            // Holder name differs.
            &[&n[2], "C公司", "登记", "2024-01-01", "2028-12-31", "", ""],
            // Expires in 4 days (the national dates are authoritative; the city's differ too).
            &[&n[3], "D公司", "重点管理", "2022-01-04", "2027-01-04", "", ""],
            // Malformed number.
            &["91420100177760591W01P", "E公司", "重点管理", "", "", "", ""],
            // Duplicate of n[0].
            &[&n[0], "A公司", "重点管理", "", "", "", ""],
            // A malformed date.
            &[&n[5], "F公司", "重点管理", "2024-02-30", "", "", ""],
            // A blank row is skipped, not reported.
            &["", "", "", "", "", "", ""],
        ]);
        let national = table(&[
            &[
                &n[0],
                "A公司",
                "重点管理",
                "2024-01-01",
                "2028-12-31",
                "DA001,DA002",
                "1200",
            ],
            &[&n[2], "C有限公司", "登记管理", "2024-01-01", "2028-12-31", "", ""],
            &[&n[3], "D公司", "重点管理", "2021-12-10", "2026-12-09", "", ""],
            // Only national, and expired (start + 5 years − 1 day = 2026-11-30).
            &[&n[4], "G公司", "简化管理", "2021-12-01", "", "", ""],
            &[&n[5], "F公司", "重点管理", "", "", "", ""],
        ]);
        let o = reconcile(&city, &mapping(), &national, &mapping(), &['P'], today()).unwrap();
        let got: Vec<(Category, &str, Option<Field>)> = o
            .items
            .iter()
            .map(|i| (i.category, i.permit_number.as_str(), i.field))
            .collect();
        assert_eq!(
            got,
            vec![
                (Category::OnlyCity, n[1].as_str(), None),
                (Category::OnlyNational, n[4].as_str(), None),
                (Category::FieldDiff, n[2].as_str(), Some(Field::HolderName)),
                (Category::FieldDiff, n[3].as_str(), Some(Field::ValidFrom)),
                (Category::FieldDiff, n[3].as_str(), Some(Field::ValidTo)),
                (Category::Expired, n[4].as_str(), None),
                (Category::Expiring, n[3].as_str(), None),
                (Category::MalformedNumber, "91420100177760591W01P", None),
                (Category::MalformedValue, n[5].as_str(), Some(Field::ValidFrom)),
                (Category::Duplicate, n[0].as_str(), None),
            ]
        );
        assert_eq!(o.city_rows, 7);
        assert_eq!(o.national_rows, 5);
        assert_eq!(o.matched, 4);
        let dup = o.items.iter().find(|i| i.category == Category::Duplicate).unwrap();
        assert_eq!(dup.city_rows, vec![2, 7]);
        let bad = o
            .items
            .iter()
            .find(|i| i.category == Category::MalformedNumber)
            .unwrap();
        assert!(bad.message.contains("第 6 行"), "{}", bad.message);
        let expiring = o.items.iter().find(|i| i.category == Category::Expiring).unwrap();
        assert!(expiring.message.contains("剩余 4 天"), "{}", expiring.message);
    }

    #[test]
    fn expiry_boundaries() {
        let n = numbers();
        let mk = |to: &str| table(&[&[&n[0], "A", "重点管理", "", to, "", ""]]);
        let cat = |to: &str| {
            let t = mk(to);
            reconcile(&t, &mapping(), &t, &mapping(), &['P'], today())
                .unwrap()
                .items
                .first()
                .map(|i| i.category)
        };
        assert_eq!(cat("2026-12-04"), Some(Category::Expired));
        assert_eq!(cat("2026-12-05"), Some(Category::Expiring));
        assert_eq!(cat("2027-02-03"), Some(Category::Expiring)); // 60 days left
        assert_eq!(cat("2027-02-04"), None); // 61 days left
    }

    #[test]
    fn a_missing_mapped_column_refuses_the_side() {
        let t = table(&[&[A, "A", "重点管理", "", "", "", ""]]);
        let mut m = mapping();
        m.fields.insert(Field::Industry, "行业类别".into());
        let e = reconcile(&t, &m, &t, &mapping(), &['P'], today()).unwrap_err();
        assert_eq!(e, "市局回流数据缺少映射的列“行业类别”");
    }

    #[test]
    fn fields_mapped_on_one_side_only_are_not_compared() {
        let n = numbers();
        let city = table(&[&[&n[0], "A", "重点管理", "", "", "", "1"]]);
        let national = table(&[&[&n[0], "A", "重点管理", "", "", "", "2"]]);
        let mut one = mapping();
        one.fields.remove(&Field::Nh3nLimit);
        let o = reconcile(&city, &mapping(), &national, &one, &['P'], today()).unwrap();
        assert!(!o.has_differences(), "{:?}", o.items);
        let o = reconcile(&city, &mapping(), &national, &mapping(), &['P'], today()).unwrap();
        assert_eq!(o.count(Category::FieldDiff), 1);
    }
}
