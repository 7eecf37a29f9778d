//! The difference list (差异清单) of a run as an XLSX workbook with Chinese headers: one sheet
//! of counts (汇总) and one row per item (差异明细).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{Category, Item, Outcome};

/// Column titles of the item sheet.
pub const ITEM_HEADERS: [&str; 9] = [
    "序号",
    "差异类别",
    "许可证编号",
    "单位名称",
    "字段",
    "市局回流值",
    "国家平台值",
    "所在行",
    "说明",
];

/// Name of the item sheet.
pub const ITEM_SHEET: &str = "差异明细";

fn rows_text(item: &Item) -> String {
    let mut parts = Vec::new();
    if !item.city_rows.is_empty() {
        let r: Vec<String> = item.city_rows.iter().map(u64::to_string).collect();
        parts.push(format!("市局第 {} 行", r.join("、")));
    }
    if !item.national_rows.is_empty() {
        let r: Vec<String> = item.national_rows.iter().map(u64::to_string).collect();
        parts.push(format!("国家平台第 {} 行", r.join("、")));
    }
    parts.join("；")
}

/// Writes the workbook. `items` may be the stored subset; `outcome` gives the exact counts.
pub fn workbook(title: &str, run_at: &str, outcome: &Outcome, items: &[Item]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let code = Format::new().set_num_format("@");
    let summary = book.add_worksheet();
    summary.set_name("汇总")?;
    summary.write_string_with_format(0, 0, title, &bold)?;
    summary.write_string(1, 0, "对账时间")?;
    summary.write_string(1, 1, run_at)?;
    let lines: Vec<(String, u64)> = [
        ("市局回流行数".to_owned(), outcome.city_rows),
        ("国家平台行数".to_owned(), outcome.national_rows),
        ("两侧均有的许可证".to_owned(), outcome.matched),
    ]
    .into_iter()
    .chain(Category::ALL.iter().map(|c| (c.label().to_owned(), outcome.count(*c))))
    .collect();
    for (i, (label, n)) in lines.iter().enumerate() {
        let r = u32::try_from(i + 3).unwrap_or(u32::MAX);
        summary.write_string(r, 0, label)?;
        #[expect(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
        summary.write_number(r, 1, *n as f64)?;
    }
    summary.set_column_width(0, 24)?;
    let sheet = book.add_worksheet();
    sheet.set_name(ITEM_SHEET)?;
    for (c, h) in ITEM_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
    }
    for (i, item) in items.iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        #[expect(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
        sheet.write_number(r, 0, (i + 1) as f64)?;
        sheet.write_string(r, 1, item.category.label())?;
        sheet.write_string_with_format(r, 2, &item.permit_number, &code)?;
        sheet.write_string(r, 3, item.holder_name.as_deref().unwrap_or(""))?;
        sheet.write_string(r, 4, item.field.map(|f| f.label()).unwrap_or(""))?;
        sheet.write_string(r, 5, item.city_value.as_deref().unwrap_or(""))?;
        sheet.write_string(r, 6, item.national_value.as_deref().unwrap_or(""))?;
        sheet.write_string(r, 7, rows_text(item))?;
        sheet.write_string(r, 8, &item.message)?;
    }
    for (c, w) in [
        (1u16, 16.0),
        (2, 26.0),
        (3, 24.0),
        (4, 20.0),
        (5, 24.0),
        (6, 24.0),
        (7, 22.0),
        (8, 60.0),
    ] {
        sheet.set_column_width(c, w)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
