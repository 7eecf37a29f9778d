//! Uploaded permit files (CSV, XLSX, JSON) read into a [`RawTable`].
//!
//! A file that cannot be read as a table at all (not UTF-8 / GBK-free CSV, not a workbook, JSON
//! that is not an array of objects, no header, too many rows) is refused whole with a Chinese
//! reason; rows inside a readable file are never dropped here (a blank row is skipped by the
//! comparison, every other row is checked there and reported with its row number).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::RawTable;

/// Most data rows accepted per file.
pub const MAX_ROWS: usize = 500_000;

/// The format of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, UTF-8 (a BOM is allowed), RFC 4180 quoting.
    Csv,
    /// An Excel workbook; the first sheet, first row is the header.
    Xlsx,
    /// An array of objects (keys are the column titles).
    Json,
}

impl Format {
    /// From a file name's extension.
    pub fn of_file_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Reads a file of `format`.
pub fn read(format: Format, bytes: &[u8]) -> Result<RawTable, String> {
    let table = match format {
        Format::Csv => csv(bytes)?,
        Format::Xlsx => xlsx(bytes)?,
        Format::Json => json(bytes)?,
    };
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err("文件没有表头行".into());
    }
    if table.rows.len() > MAX_ROWS {
        return Err(format!("文件超过 {MAX_ROWS} 行上限"));
    }
    Ok(table)
}

/// RFC 4180 CSV: quoted fields may hold commas, quotes (doubled) and line breaks.
fn csv(bytes: &[u8]) -> Result<RawTable, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "CSV 文件须为 UTF-8 编码".to_owned())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records: Vec<Vec<Option<String>>> = Vec::new();
    let mut record: Vec<Option<String>> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let end_field = |field: &mut String, quoted: &mut bool, record: &mut Vec<Option<String>>| {
        let v = std::mem::take(field);
        record.push(if v.is_empty() && !*quoted { None } else { Some(v) });
        *quoted = false;
    };
    while let Some(ch) = chars.next() {
        if in_quotes {
            if ch == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(ch);
            }
            continue;
        }
        match ch {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            ',' => end_field(&mut field, &mut quoted, &mut record),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                end_field(&mut field, &mut quoted, &mut record);
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(ch),
        }
    }
    if in_quotes {
        return Err(format!("CSV 第 {} 行的引号没有闭合", records.len() + 1));
    }
    if !field.is_empty() || quoted || !record.is_empty() {
        end_field(&mut field, &mut quoted, &mut record);
        records.push(record);
    }
    let mut it = records.into_iter();
    let headers = it
        .next()
        .ok_or_else(|| "文件为空".to_owned())?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    Ok(RawTable {
        headers,
        rows: it.collect(),
        first_row: 2,
    })
}

fn cell_text(d: &Data) -> Option<String> {
    match d {
        Data::Empty => None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) => Some(f.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if !dt.is_duration() => Some(t.date().format("%Y-%m-%d").to_string()),
            _ => Some(dt.as_f64().to_string()),
        },
        Data::Error(e) => Some(format!("#{e:?}")),
    }
}

fn xlsx(bytes: &[u8]) -> Result<RawTable, String> {
    let not = || "不是有效的 XLSX 工作簿".to_owned();
    let mut book: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(bytes)).map_err(|_| not())?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| "工作簿中没有工作表".to_owned())?
        .map_err(|_| not())?;
    // Row numbers as Excel shows them: the range may start below row 1.
    let top = u64::from(range.start().map(|(r, _)| r).unwrap_or(0)) + 1;
    let mut rows = range.rows();
    let headers = rows
        .next()
        .ok_or_else(|| "文件为空".to_owned())?
        .iter()
        .map(|c| cell_text(c).unwrap_or_default())
        .collect();
    Ok(RawTable {
        headers,
        rows: rows.map(|r| r.iter().map(cell_text).collect()).collect(),
        first_row: top + 1,
    })
}

/// An array of flat objects; the header is every key in first-seen order. Row numbers are the
/// object's position (1 = the first object).
fn json(bytes: &[u8]) -> Result<RawTable, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("JSON 无法解析：第 {} 行", e.line()))?;
    let serde_json::Value::Array(items) = v else {
        return Err("JSON 须为对象数组".into());
    };
    let mut headers: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let serde_json::Value::Object(map) = item else {
            return Err(format!("JSON 第 {} 个元素不是对象", i + 1));
        };
        let mut row: Vec<Option<String>> = vec![None; headers.len()];
        for (k, v) in map {
            let col = *index.entry(k.clone()).or_insert_with(|| {
                headers.push(k);
                headers.len() - 1
            });
            if row.len() <= col {
                row.resize(col + 1, None);
            }
            let text = match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Array(a) => Some(
                    a.iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                other => Some(other.to_string()),
            };
            if let Some(slot) = row.get_mut(col) {
                *slot = text;
            }
        }
        rows.push(row);
    }
    Ok(RawTable {
        headers,
        rows,
        first_row: 1,
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_bom_and_line_breaks() {
        let t = read(
            Format::Csv,
            "\u{feff}许可证编号,单位名称\r\n\"A,1\",\"说\"\"明\"\"\n第二行\"\n,\nB,\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(t.headers, vec!["许可证编号", "单位名称"]);
        assert_eq!(
            t.rows,
            vec![
                vec![Some("A,1".into()), Some("说\"明\"\n第二行".into())],
                vec![None, None],
                vec![Some("B".into()), None],
            ]
        );
        assert_eq!(t.first_row, 2);
        assert!(read(Format::Csv, b"a,b\n\"x,1\n").unwrap_err().contains("引号"));
        assert!(read(Format::Csv, &[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
        assert!(read(Format::Csv, b"").is_err());
    }

    #[test]
    fn json_objects() {
        let t = read(
            Format::Json,
            r#"[{"许可证编号":"A","经度":114.3},{"许可证编号":"B","废气排放口":["DA001","DA002"],"经度":null}]"#
                .as_bytes(),
        )
        .unwrap();
        // serde_json orders an object's keys; the columns are found by title.
        let col = |h: &str| t.headers.iter().position(|x| x == h).unwrap();
        let cell = |r: usize, h: &str| t.rows[r].get(col(h)).cloned().flatten();
        assert_eq!(t.headers.len(), 3);
        assert_eq!(cell(0, "许可证编号").as_deref(), Some("A"));
        assert_eq!(cell(0, "经度").as_deref(), Some("114.3"));
        assert_eq!(cell(0, "废气排放口"), None);
        assert_eq!(cell(1, "经度"), None);
        assert_eq!(cell(1, "废气排放口").as_deref(), Some("DA001,DA002"));
        assert!(read(Format::Json, b"{}").unwrap_err().contains("对象数组"));
        assert!(read(Format::Json, b"[1]").unwrap_err().contains("第 1 个"));
    }

    #[test]
    fn xlsx_first_sheet() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "许可证编号").unwrap();
        sheet.write_string(0, 1, "有效期止").unwrap();
        sheet.write_string(1, 0, "X").unwrap();
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 5).unwrap();
        let f = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_datetime_with_format(1, 1, &d, &f).unwrap();
        sheet.write_number(2, 0, 12.5).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let t = read(Format::Xlsx, &bytes).unwrap();
        assert_eq!(t.headers, vec!["许可证编号", "有效期止"]);
        assert_eq!(t.rows[0], vec![Some("X".into()), Some("2026-01-05".into())]);
        assert_eq!(t.rows[1][0].as_deref(), Some("12.5"));
        assert_eq!(t.first_row, 2);
        assert!(read(Format::Xlsx, b"PK no").is_err());
        assert_eq!(Format::of_file_name("city.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::of_file_name("city.txt"), None);
    }
}
