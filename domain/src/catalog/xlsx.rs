//! The standard catalog workbook (目录 Excel 模板): the bureau keeps its catalog in Excel, so
//! this module fixes one layout and converts it both ways.
//!
//! # Layout
//! - Sheet [`RESOURCE_SHEET`] (“数据资源”): one row per resource, columns [`ResourceColumn::ALL`].
//! - Sheet [`FIELD_SHEET`] (“信息项”): one row per field (信息项), columns [`FieldColumn::ALL`],
//!   tied to its resource by 资源代码.
//!
//! Row 1 holds the column titles, data starts on row 2. Enums are written as their Chinese
//! label; lists are joined with “/” (资源分类) or “；” (关联资源代码, 挂接表, 敏感标签); 发布日期 is
//! a date cell.
//!
//! # Import rules
//! - Structural faults (not an xlsx file, a sheet or a column missing, too large) fail the whole
//!   import with a [`WorkbookError`]; everything else is a [`RowProblem`] naming the Excel row
//!   and the column title, so the bureau can fix its sheet and upload again.
//! - Columns are found by title, in any order; extra columns are ignored. A title matches with or
//!   without its bracketed hint and with half-width brackets (“资源分类”, “可为空(是/否)”). When a
//!   title appears twice, the leftmost column wins.
//! - Cells are trimmed; rows with nothing in the known columns are skipped.
//! - Enums accept the label or the identifier; lists also accept “;”, “,”, “，”, “、” and line
//!   breaks; dates accept a date cell, an Excel serial number or `YYYY-MM-DD`, `YYYY/MM/DD`,
//!   `YYYY.MM.DD`, `YYYY年MM月DD日`; 可为空 accepts 是/否, Y/N, true/false, 1/0 and is 否 when
//!   blank (the [`FieldDraft`] default). Sensitivity tags are stored as identifiers.
//! - Each row is checked by [`ResourceDraft::validate`] / [`FieldDraft::validate`]; the workbook
//!   adds: duplicate 资源代码, duplicate field names within a resource (case-insensitive, as
//!   databases fold unquoted names), and field rows whose 资源代码 is not on the resource sheet.
//! - A resource with any problem, on its own row or on one of its fields, is left out whole and
//!   its code listed in [`ImportReport::invalid_codes`]: a half-imported resource would be worse
//!   than none.
//!
//! # Limits
//! Files over [`MAX_FILE_BYTES`], sheets with more than [`MAX_ROWS`] data rows, and archives that
//! unpack to more than 256 MiB (zip bombs) are refused with [`WorkbookError::TooLarge`]. The
//! sheets are streamed, and only the known columns are kept.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use chrono::{Days, NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};
use serde::Serialize;

use crate::catalog::model::{
    DataType, FieldDraft, Grade, OpenType, Problem, ResourceDraft, ResourceFormat, ShareType, UpdateCycle,
};
use crate::sensitivity::Tag;

/// Name of the resource sheet.
pub const RESOURCE_SHEET: &str = "数据资源";
/// Name of the field (信息项) sheet.
pub const FIELD_SHEET: &str = "信息项";
/// Largest workbook accepted by [`import`], in bytes (20 MiB).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Most data rows accepted per sheet by [`import`].
pub const MAX_ROWS: usize = LAST_ROW as usize;

/// Zero-based index of the last data row allowed (row 1 is the header, index 0).
const LAST_ROW: u32 = 100_000;
/// Largest total unpacked size of the archive's parts. The zip reader refuses to inflate a part
/// past its declared size, so checking the declared sizes is enough.
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// Most text copied out of the cells; a short shared string repeated on every row cannot blow
/// up memory past this.
const MAX_TEXT_BYTES: usize = 256 * 1024 * 1024;
/// Separator written between list items.
const LIST_SEPARATOR: &str = "；";
/// Separators accepted between list items.
const LIST_SEPARATORS: &[char] = &['；', ';', ',', '，', '、', '\n'];
/// Separator written between classification levels.
const CLASS_SEPARATOR: &str = "/";
/// Separators accepted between classification levels.
const CLASS_SEPARATORS: &[char] = &['/', '／'];
const YES: &str = "是";
const NO: &str = "否";

/// One resource with its fields, as one workbook holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogEntry {
    /// The resource row.
    pub resource: ResourceDraft,
    /// Its field rows, in workbook order.
    pub fields: Vec<FieldDraft>,
}

/// One problem on one row of the workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowProblem {
    /// Sheet name.
    pub sheet: String,
    /// Excel row number (1-based; row 2 is the first data row).
    pub row: usize,
    /// The row's 资源代码 (may be empty).
    pub code: String,
    /// Column title.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// Outcome of an [`import`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    /// Every resource that parsed and validated, with its fields, in workbook order.
    pub entries: Vec<CatalogEntry>,
    /// Every problem found, resource sheet first, in row order.
    pub problems: Vec<RowProblem>,
    /// Non-blank data rows read, both sheets together.
    pub rows_read: usize,
    /// Resource codes left out because of a problem (their fields included), in workbook order;
    /// codes named only by field rows (unknown resources) come last.
    pub invalid_codes: Vec<String>,
}

/// A workbook that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    /// Not an xlsx file (or a damaged one).
    #[error("不是有效的 xlsx 文件")]
    NotXlsx,
    /// A required sheet is missing.
    #[error("缺少工作表：{0}")]
    MissingSheet(String),
    /// Required columns are missing from the header row.
    #[error("表头不符合标准模板（工作表 {sheet}，缺少列：{missing:?}）")]
    BadHeader {
        /// Sheet name.
        sheet: String,
        /// Missing column titles, in template order.
        missing: Vec<String>,
    },
    /// The file or a sheet exceeds the limits.
    #[error("文件过大")]
    TooLarge,
}

/// Writing a workbook failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The xlsx writer refused the content (e.g. a text longer than Excel's 32,767 characters,
    /// or more rows than a sheet holds).
    #[error("生成 xlsx 文件失败：{0}")]
    Write(#[from] XlsxError),
}

/// What the generic sheet code needs to know about a column.
trait Column: Copy + 'static {
    fn all() -> &'static [Self];
    fn title(self) -> &'static str;
    /// The field name [`Problem::field`] uses for this column.
    fn key(self) -> &'static str;
    fn width(self) -> f64;
    /// Code-like column: formatted as text so that Excel keeps leading zeros users type.
    fn is_code(self) -> bool;
    fn index(self) -> usize;
}

macro_rules! columns {
    ($(#[$m:meta])* $name:ident {
        $($(#[$vm:meta])* $v:ident => $title:literal, $key:literal, $width:literal, $code:literal;)+
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every column, in template order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The column title in the header row.
            pub fn title(self) -> &'static str {
                match self { $($name::$v => $title),+ }
            }

            fn col(self) -> u16 {
                self as u16
            }
        }

        impl Column for $name {
            fn all() -> &'static [Self] { $name::ALL }
            fn title(self) -> &'static str { $name::title(self) }
            fn key(self) -> &'static str { match self { $($name::$v => $key),+ } }
            fn width(self) -> f64 { match self { $($name::$v => $width),+ } }
            fn is_code(self) -> bool { match self { $($name::$v => $code),+ } }
            fn index(self) -> usize { self as usize }
        }
    };
}

columns!(
    /// Columns of the resource sheet.
    ResourceColumn {
        /// 资源代码
        Code => "资源代码", "code", 24.0, true;
        /// 资源名称
        Name => "资源名称", "name", 28.0, false;
        /// 资源分类, levels joined with “/”
        Classification => "资源分类（类/项/目/细目）", "classification", 24.0, true;
        /// 资源提供方 (department code)
        Provider => "资源提供方", "providerDepartment", 12.0, true;
        /// 摘要
        Summary => "摘要", "summary", 40.0, false;
        /// 资源格式
        Format => "资源格式", "format", 12.0, false;
        /// 共享类型
        ShareType => "共享类型", "shareType", 14.0, false;
        /// 共享条件
        ShareConditions => "共享条件", "shareConditions", 24.0, false;
        /// 共享方式
        ShareMethod => "共享方式", "shareMethod", 12.0, false;
        /// 开放类型
        OpenType => "开放类型", "openType", 14.0, false;
        /// 更新周期
        UpdateCycle => "更新周期", "updateCycle", 10.0, false;
        /// 发布日期
        PublishDate => "发布日期", "publishDate", 12.0, false;
        /// 关联资源代码, joined with “；”
        RelatedCodes => "关联资源代码", "relatedCodes", 24.0, true;
        /// 来源系统
        SourceSystem => "来源系统", "sourceSystem", 12.0, true;
        /// 挂接表 (`data_source.table`), joined with “；”
        Tables => "挂接表", "tables", 36.0, true;
    }
);

columns!(
    /// Columns of the field (信息项) sheet.
    FieldColumn {
        /// 资源代码 of the resource the field belongs to
        ResourceCode => "资源代码", "resourceCode", 24.0, true;
        /// 字段名
        Name => "字段名", "name", 20.0, true;
        /// 中文名称
        CnName => "中文名称", "cnName", 20.0, false;
        /// 数据类型
        DataType => "数据类型", "dataType", 12.0, false;
        /// 长度
        Length => "长度", "length", 8.0, false;
        /// 可为空 (是/否)
        Nullable => "可为空（是/否）", "nullable", 10.0, false;
        /// 计量单位
        Unit => "计量单位", "unit", 10.0, false;
        /// 代码表/标准
        CodeTable => "代码表/标准", "codeTable", 24.0, false;
        /// 说明
        Description => "说明", "description", 36.0, false;
        /// 分级
        Grade => "分级", "grade", 10.0, false;
        /// 一般数据子级
        SubLevel => "一般数据子级", "subLevel", 12.0, false;
        /// 敏感标签, joined with “；”
        Tags => "敏感标签", "tags", 20.0, false;
    }
);

/// The model's label enums, seen alike.
trait Choice: Copy + 'static {
    fn all() -> &'static [Self];
    fn label(self) -> &'static str;
    fn parse(s: &str) -> Option<Self>;
}

macro_rules! choices {
    ($($t:ident),+) => {
        $(impl Choice for $t {
            fn all() -> &'static [Self] { $t::ALL }
            fn label(self) -> &'static str { $t::label(self) }
            fn parse(s: &str) -> Option<Self> { $t::parse_any(s) }
        })+
    };
}

choices!(ResourceFormat, ShareType, OpenType, UpdateCycle, DataType, Grade);

fn labels<E: Choice>() -> Vec<&'static str> {
    E::all().iter().map(|v| v.label()).collect()
}

fn tag_of(s: &str) -> Option<Tag> {
    Tag::ALL.iter().copied().find(|t| t.as_str() == s || t.label() == s)
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// Parses a workbook in the standard layout.
///
/// Structural faults are an `Err`; problems with single rows are collected in
/// [`ImportReport::problems`] and the rest of the workbook is still read. `sub_levels` is the
/// configured number of general-data sub-levels (for [`FieldDraft::validate`]).
///
/// # Errors
/// [`WorkbookError::TooLarge`] past the limits, [`WorkbookError::NotXlsx`] when the bytes are not
/// a readable xlsx file, [`WorkbookError::MissingSheet`] and [`WorkbookError::BadHeader`] when
/// the layout is not the standard one.
pub fn import(bytes: &[u8], sub_levels: u8) -> Result<ImportReport, WorkbookError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(WorkbookError::TooLarge);
    }
    check_unpacked_size(bytes)?;
    let mut book: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(bytes)).map_err(|_| WorkbookError::NotXlsx)?;
    let names = book.sheet_names();
    let resource_sheet = find_sheet(&names, RESOURCE_SHEET)?;
    let field_sheet = find_sheet(&names, FIELD_SHEET)?;
    let mut budget = MAX_TEXT_BYTES;
    let resource_rows = read_sheet::<ResourceColumn>(&mut book, &resource_sheet, &mut budget)?;
    let field_rows = read_sheet::<FieldColumn>(&mut book, &field_sheet, &mut budget)?;
    Ok(check(&resource_rows, &field_rows, sub_levels))
}

fn check_unpacked_size(bytes: &[u8]) -> Result<(), WorkbookError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| WorkbookError::NotXlsx)?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let part = archive.by_index_raw(i).map_err(|_| WorkbookError::NotXlsx)?;
        total = total.saturating_add(part.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(WorkbookError::TooLarge);
        }
    }
    Ok(())
}

fn find_sheet(names: &[String], wanted: &str) -> Result<String, WorkbookError> {
    names
        .iter()
        .find(|n| n.as_str() == wanted)
        .or_else(|| names.iter().find(|n| n.trim() == wanted))
        .cloned()
        .ok_or_else(|| WorkbookError::MissingSheet(wanted.to_owned()))
}

/// A cell value as the checks see it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Empty,
    /// Trimmed, never empty.
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    /// An Excel error value such as `#N/A`.
    Error(String),
}

/// A non-blank data row: its Excel row number and its cells, indexed by `Column::index`.
#[derive(Debug)]
struct Row {
    number: usize,
    cells: Vec<Value>,
}

fn read_sheet<C: Column>(
    book: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
    budget: &mut usize,
) -> Result<Vec<Row>, WorkbookError> {
    let mut reader = book.worksheet_cells_reader(sheet).map_err(|_| WorkbookError::NotXlsx)?;
    let mut header: Vec<(u32, String)> = Vec::new();
    let mut columns: Option<HashMap<u32, C>> = None;
    let mut rows: BTreeMap<u32, Vec<Value>> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(|_| WorkbookError::NotXlsx)? {
        let (r, c) = cell.get_position();
        let data = cell.get_value();
        if r == 0 {
            if columns.is_none()
                && let Value::Text(title) = value(data, budget)?
            {
                header.push((c, title));
            }
            continue;
        }
        if r > LAST_ROW && !matches!(data, DataRef::Empty) {
            return Err(WorkbookError::TooLarge);
        }
        if columns.is_none() {
            columns = Some(locate::<C>(sheet, &header)?);
        }
        let Some(column) = columns.as_ref().and_then(|m| m.get(&c)) else {
            continue;
        };
        let v = value(data, budget)?;
        if v != Value::Empty {
            let cells = rows.entry(r).or_insert_with(|| vec![Value::Empty; C::all().len()]);
            if let Some(slot) = cells.get_mut(column.index()) {
                *slot = v;
            }
        }
    }
    if columns.is_none() {
        locate::<C>(sheet, &header)?;
    }
    Ok(rows
        .into_iter()
        .map(|(r, cells)| Row {
            number: r as usize + 1,
            cells,
        })
        .collect())
}

/// Maps sheet columns to template columns, or names the missing titles.
fn locate<C: Column>(sheet: &str, header: &[(u32, String)]) -> Result<HashMap<u32, C>, WorkbookError> {
    let mut found = HashMap::new();
    let mut missing = Vec::new();
    for &column in C::all() {
        let want = title_key(column.title());
        let at = header
            .iter()
            .filter(|(_, t)| title_key(t) == want)
            .map(|(c, _)| *c)
            .min();
        match at {
            Some(c) => {
                found.insert(c, column);
            }
            None => missing.push(column.title().to_owned()),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(WorkbookError::BadHeader {
            sheet: sheet.to_owned(),
            missing,
        })
    }
}

/// A title without blanks and bracketed hint: “资源分类（类/项/目/细目）” and “资源分类 (…)” are
/// both “资源分类”.
fn title_key(title: &str) -> String {
    let compact: String = title.chars().filter(|c| !c.is_whitespace()).collect();
    match compact.find(['（', '(']) {
        Some(i) => compact.get(..i).unwrap_or_default().to_owned(),
        None => compact,
    }
}

fn value(data: &DataRef<'_>, budget: &mut usize) -> Result<Value, WorkbookError> {
    let mut text = |s: &str| -> Result<Value, WorkbookError> {
        let s = s.trim();
        *budget = budget.checked_sub(s.len()).ok_or(WorkbookError::TooLarge)?;
        Ok(if s.is_empty() {
            Value::Empty
        } else {
            Value::Text(s.to_owned())
        })
    };
    Ok(match data {
        DataRef::Empty => Value::Empty,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => text(s)?,
        DataRef::SharedString(s) => text(s)?,
        DataRef::Int(i) => Value::Number(*i as f64),
        DataRef::Float(f) => Value::Number(*f),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(dt) if dt.is_duration() => Value::Number(dt.as_f64()),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(d) => Value::Date(d.date()),
            // Out of chrono's range: left as a number, which the date check then refuses.
            None => Value::Number(dt.as_f64()),
        },
        DataRef::Error(e) => Value::Error(e.to_string()),
    })
}

/// Reads the typed values of one row, collecting (column title, message) problems.
struct RowParser<'a> {
    row: &'a Row,
    problems: Vec<(String, String)>,
}

impl<'a> RowParser<'a> {
    fn new(row: &'a Row) -> Self {
        RowParser {
            row,
            problems: Vec::new(),
        }
    }

    fn fail<C: Column>(&mut self, c: C, message: impl Into<String>) {
        self.problems.push((c.title().to_owned(), message.into()));
    }

    fn cell<C: Column>(&mut self, c: C) -> Option<&'a Value> {
        let row = self.row;
        match row.cells.get(c.index()) {
            None | Some(Value::Empty) => None,
            Some(Value::Error(e)) => {
                self.fail(c, format!("单元格为错误值（{e}）"));
                None
            }
            Some(v) => Some(v),
        }
    }

    fn text<C: Column>(&mut self, c: C) -> String {
        match self.cell(c) {
            Some(Value::Text(s)) => s.clone(),
            Some(Value::Number(n)) => number_text(*n),
            Some(Value::Bool(b)) => (if *b { "TRUE" } else { "FALSE" }).to_owned(),
            Some(Value::Date(d)) => d.format("%Y-%m-%d").to_string(),
            None | Some(Value::Empty | Value::Error(_)) => String::new(),
        }
    }

    fn list<C: Column>(&mut self, c: C, separators: &[char]) -> Vec<String> {
        self.text(c)
            .split(separators)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn choice<C: Column, E: Choice>(&mut self, c: C) -> Option<E> {
        let s = self.text(c);
        if s.is_empty() {
            return None;
        }
        let parsed = E::parse(&s);
        if parsed.is_none() {
            self.fail(c, format!("“{s}”不是有效取值，可选：{}", labels::<E>().join("、")));
        }
        parsed
    }

    fn date<C: Column>(&mut self, c: C) -> Option<NaiveDate> {
        let parsed = match self.cell(c)? {
            Value::Date(d) => Some(*d),
            Value::Number(n) => date_from_serial(*n),
            Value::Text(s) => date_from_text(s),
            Value::Bool(_) | Value::Empty | Value::Error(_) => None,
        };
        if parsed.is_none() {
            let shown = self.text(c);
            self.fail(c, format!("“{shown}”不是有效日期，应为 YYYY-MM-DD，如 2024-03-15"));
        }
        parsed
    }

    /// A whole number; `range_message` is reported when it does not fit `T`.
    fn whole<C: Column, T: TryFrom<i64>>(&mut self, c: C, range_message: &str) -> Option<T> {
        let n = match self.cell(c)? {
            Value::Number(n) => as_whole(*n),
            Value::Text(s) => s.parse::<f64>().ok().and_then(as_whole),
            Value::Bool(_) | Value::Date(_) | Value::Empty | Value::Error(_) => None,
        };
        let Some(n) = n else {
            let shown = self.text(c);
            self.fail(c, format!("“{shown}”不是整数"));
            return None;
        };
        let fitted = T::try_from(n).ok();
        if fitted.is_none() {
            self.fail(c, range_message);
        }
        fitted
    }

    fn yes_no<C: Column>(&mut self, c: C) -> bool {
        let answer = match self.cell(c) {
            None => return false,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Number(n)) if *n == 1.0 => Some(true),
            Some(Value::Number(n)) if *n == 0.0 => Some(false),
            Some(Value::Text(s)) => match s.to_lowercase().as_str() {
                "是" | "y" | "yes" | "true" | "1" => Some(true),
                "否" | "n" | "no" | "false" | "0" => Some(false),
                _ => None,
            },
            Some(_) => None,
        };
        answer.unwrap_or_else(|| {
            let shown = self.text(c);
            self.fail(c, format!("“{shown}”不是有效取值，可选：是、否"));
            false
        })
    }

    /// Tags as identifiers; unknown ones are reported (with the allowed labels) and dropped.
    fn tags<C: Column>(&mut self, c: C) -> Vec<String> {
        let mut tags = Vec::new();
        for s in self.list(c, LIST_SEPARATORS) {
            match tag_of(&s) {
                Some(t) => tags.push(t.as_str().to_owned()),
                None => {
                    let allowed: Vec<&str> = Tag::ALL.iter().map(|t| t.label()).collect();
                    self.fail(c, format!("未知敏感标签“{s}”，可选：{}", allowed.join("、")));
                }
            }
        }
        tags
    }

    /// Adds the model's problems, except on columns that already failed to parse (the model
    /// would only repeat “须填写” for them).
    fn validated<C: Column>(mut self, problems: Vec<Problem>) -> Vec<(String, String)> {
        let failed: HashSet<String> = self.problems.iter().map(|(f, _)| f.clone()).collect();
        for p in problems {
            let title = C::all()
                .iter()
                .find(|c| c.key() == p.field)
                .map_or_else(|| p.field.clone(), |c| c.title().to_owned());
            if !failed.contains(&title) {
                self.problems.push((title, p.message));
            }
        }
        self.problems
    }
}

fn as_whole(n: f64) -> Option<i64> {
    (n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15).then_some(n as i64)
}

fn number_text(n: f64) -> String {
    as_whole(n).map_or_else(|| n.to_string(), |i| i.to_string())
}

/// An Excel serial date (1900 system). Serials before 1900-03-01 fall around Excel's phantom
/// 1900-02-29 and are no plausible catalog date, so they are refused.
fn date_from_serial(n: f64) -> Option<NaiveDate> {
    if !n.is_finite() || !(61.0..2_958_466.0).contains(&n) {
        return None;
    }
    let days = n.floor() as u64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(days))
}

fn date_from_text(s: &str) -> Option<NaiveDate> {
    const DATES: [&str; 4] = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"];
    const DATE_TIMES: [&str; 3] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y/%m/%d %H:%M:%S"];
    DATES
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .or_else(|| {
            DATE_TIMES
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .map(|d| d.date())
        })
}

fn parse_resource(row: &Row) -> (ResourceDraft, Vec<(String, String)>) {
    use ResourceColumn as C;
    let mut p = RowParser::new(row);
    let draft = ResourceDraft {
        code: p.text(C::Code),
        name: p.text(C::Name),
        classification: p.list(C::Classification, CLASS_SEPARATORS),
        provider_department: p.text(C::Provider),
        summary: p.text(C::Summary),
        format: p.choice(C::Format),
        share_type: p.choice(C::ShareType),
        share_conditions: p.text(C::ShareConditions),
        share_method: p.text(C::ShareMethod),
        open_type: p.choice(C::OpenType),
        update_cycle: p.choice(C::UpdateCycle),
        publish_date: p.date(C::PublishDate),
        related_codes: p.list(C::RelatedCodes, LIST_SEPARATORS),
        source_system: p.text(C::SourceSystem),
        tables: p.list(C::Tables, LIST_SEPARATORS),
    };
    let problems = p.validated::<C>(draft.validate());
    (draft, problems)
}

fn parse_field(row: &Row, sub_levels: u8, sub_level_range: &str) -> (String, FieldDraft, Vec<(String, String)>) {
    use FieldColumn as C;
    let mut p = RowParser::new(row);
    let code = p.text(C::ResourceCode);
    let draft = FieldDraft {
        name: p.text(C::Name),
        cn_name: p.text(C::CnName),
        data_type: p.choice(C::DataType),
        length: p.whole(C::Length, "长度须在 1 至 65535 之间"),
        nullable: p.yes_no(C::Nullable),
        unit: p.text(C::Unit),
        code_table: p.text(C::CodeTable),
        description: p.text(C::Description),
        grade: p.choice(C::Grade),
        sub_level: p.whole(C::SubLevel, sub_level_range),
        tags: p.tags(C::Tags),
    };
    let problems = p.validated::<C>(draft.validate(sub_levels));
    (code, draft, problems)
}

/// Runs the row and cross-row checks and assembles the report.
fn check(resource_rows: &[Row], field_rows: &[Row], sub_levels: u8) -> ImportReport {
    let mut problems = Vec::new();
    let mut invalid: HashSet<String> = HashSet::new();
    let mut note = |sheet: &str, row: &Row, code: &str, found: Vec<(String, String)>| {
        if !found.is_empty() && !code.is_empty() {
            invalid.insert(code.to_owned());
        }
        let ok = found.is_empty();
        problems.extend(found.into_iter().map(|(field, message)| RowProblem {
            sheet: sheet.to_owned(),
            row: row.number,
            code: code.to_owned(),
            field,
            message,
        }));
        ok
    };

    let mut resources: Vec<(ResourceDraft, bool)> = Vec::new();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    for row in resource_rows {
        let (draft, mut found) = parse_resource(row);
        if !draft.code.is_empty() {
            if let Some(first) = first_row.get(&draft.code) {
                let message = format!("资源代码“{}”与第 {first} 行重复", draft.code);
                found.push((ResourceColumn::Code.title().to_owned(), message));
            } else {
                first_row.insert(draft.code.clone(), row.number);
            }
        }
        let ok = note(RESOURCE_SHEET, row, &draft.code, found);
        resources.push((draft, ok));
    }

    let mut fields: HashMap<String, Vec<FieldDraft>> = HashMap::new();
    let mut field_codes: Vec<String> = Vec::new();
    let mut first_field_row: HashMap<(String, String), usize> = HashMap::new();
    let sub_level_range = format!("一般数据子级须在 1 至 {sub_levels} 之间");
    for row in field_rows {
        let (code, draft, mut found) = parse_field(row, sub_levels, &sub_level_range);
        let code_title = FieldColumn::ResourceCode.title().to_owned();
        if code.is_empty() {
            found.insert(0, (code_title, "须填写资源代码".to_owned()));
        } else if !first_row.contains_key(&code) {
            found.insert(
                0,
                (
                    code_title,
                    format!("资源代码“{code}”在“{RESOURCE_SHEET}”工作表中不存在"),
                ),
            );
        }
        if !code.is_empty() && !draft.name.is_empty() {
            let key = (code.clone(), draft.name.to_ascii_lowercase());
            if let Some(first) = first_field_row.get(&key) {
                let message = format!("资源“{code}”的字段名“{}”与第 {first} 行重复", draft.name);
                found.push((FieldColumn::Name.title().to_owned(), message));
            } else {
                first_field_row.insert(key, row.number);
            }
        }
        note(FIELD_SHEET, row, &code, found);
        if !code.is_empty() {
            field_codes.push(code.clone());
            fields.entry(code).or_default().push(draft);
        }
    }

    let mut entries = Vec::new();
    for (resource, ok) in &resources {
        if *ok && !invalid.contains(&resource.code) {
            let own = fields.remove(&resource.code).unwrap_or_default();
            entries.push(CatalogEntry {
                resource: resource.clone(),
                fields: own,
            });
        }
    }
    let mut seen = HashSet::new();
    let invalid_codes = resources
        .iter()
        .map(|(r, _)| &r.code)
        .chain(field_codes.iter())
        .filter(|c| invalid.contains(*c) && seen.insert(*c))
        .cloned()
        .collect();
    ImportReport {
        entries,
        problems,
        rows_read: resource_rows.len() + field_rows.len(),
        invalid_codes,
    }
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// Writes the standard workbook for these entries: bold frozen header, column widths for Chinese
/// text, dates as date cells, drop-down lists on the enum columns.
///
/// # Errors
/// [`ExportError::Write`] when the writer refuses the content (a text over Excel's 32,767
/// characters, more than a sheet's 1,048,576 rows).
pub fn export(entries: &[CatalogEntry]) -> Result<Vec<u8>, ExportError> {
    let formats = Formats::new();
    let mut book = Workbook::new();
    write_resources(book.add_worksheet(), entries, &formats)?;
    write_fields(book.add_worksheet(), entries, &formats)?;
    Ok(book.save_to_buffer()?)
}

/// The empty standard workbook (header rows only), offered for download.
///
/// # Errors
/// As [`export`]; not expected for the empty workbook.
pub fn template() -> Result<Vec<u8>, ExportError> {
    export(&[])
}

struct Formats {
    header: Format,
    date: Format,
    code: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0x00DD_EBF7))
                .set_border(FormatBorder::Thin),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            code: Format::new().set_num_format("@"),
        }
    }
}

/// Names the sheet and writes the header, widths, frozen header row and a filter over `rows` data
/// rows.
fn prepare<C: Column>(sheet: &mut Worksheet, name: &str, rows: usize, formats: &Formats) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    let mut last = 0;
    for &c in C::all() {
        let col = u16::try_from(c.index()).map_err(|_| XlsxError::RowColumnLimitError)?;
        if c.is_code() {
            sheet.set_column_format(col, &formats.code)?;
        }
        sheet.set_column_width(col, c.width())?;
        sheet.write_string_with_format(0, col, c.title(), &formats.header)?;
        last = col;
    }
    sheet.set_freeze_panes(1, 0)?;
    let last_row = u32::try_from(rows).map_err(|_| XlsxError::RowColumnLimitError)?;
    sheet.autofilter(0, 0, last_row, last)?;
    Ok(())
}

fn dropdown(sheet: &mut Worksheet, col: u16, values: &[&str]) -> Result<(), XlsxError> {
    // A warning, not a stop: import also accepts identifiers, and pasted values bypass the list
    // anyway.
    let rule = DataValidation::new()
        .allow_list_strings(values)?
        .set_error_style(DataValidationErrorStyle::Warning);
    sheet.add_data_validation(1, col, LAST_ROW, col, &rule)?;
    Ok(())
}

fn row_number(index: usize) -> Result<u32, XlsxError> {
    index
        .checked_add(1)
        .and_then(|r| u32::try_from(r).ok())
        .ok_or(XlsxError::RowColumnLimitError)
}

fn put(sheet: &mut Worksheet, row: u32, col: u16, text: &str) -> Result<(), XlsxError> {
    if !text.is_empty() {
        sheet.write_string(row, col, text)?;
    }
    Ok(())
}

fn write_resources(sheet: &mut Worksheet, entries: &[CatalogEntry], formats: &Formats) -> Result<(), XlsxError> {
    use ResourceColumn as C;
    prepare::<C>(sheet, RESOURCE_SHEET, entries.len(), formats)?;
    // Dates users type into the template show as dates too.
    sheet.set_column_format(C::PublishDate.col(), &formats.date)?;
    for (i, entry) in entries.iter().enumerate() {
        let row = row_number(i)?;
        let r = &entry.resource;
        put(sheet, row, C::Code.col(), &r.code)?;
        put(sheet, row, C::Name.col(), &r.name)?;
        put(
            sheet,
            row,
            C::Classification.col(),
            &r.classification.join(CLASS_SEPARATOR),
        )?;
        put(sheet, row, C::Provider.col(), &r.provider_department)?;
        put(sheet, row, C::Summary.col(), &r.summary)?;
        put(sheet, row, C::Format.col(), r.format.map_or("", ResourceFormat::label))?;
        put(
            sheet,
            row,
            C::ShareType.col(),
            r.share_type.map_or("", ShareType::label),
        )?;
        put(sheet, row, C::ShareConditions.col(), &r.share_conditions)?;
        put(sheet, row, C::ShareMethod.col(), &r.share_method)?;
        put(sheet, row, C::OpenType.col(), r.open_type.map_or("", OpenType::label))?;
        put(
            sheet,
            row,
            C::UpdateCycle.col(),
            r.update_cycle.map_or("", UpdateCycle::label),
        )?;
        if let Some(d) = r.publish_date {
            sheet.write_date_with_format(row, C::PublishDate.col(), d, &formats.date)?;
        }
        put(sheet, row, C::RelatedCodes.col(), &r.related_codes.join(LIST_SEPARATOR))?;
        put(sheet, row, C::SourceSystem.col(), &r.source_system)?;
        put(sheet, row, C::Tables.col(), &r.tables.join(LIST_SEPARATOR))?;
    }
    dropdown(sheet, C::Format.col(), &labels::<ResourceFormat>())?;
    dropdown(sheet, C::ShareType.col(), &labels::<ShareType>())?;
    dropdown(sheet, C::OpenType.col(), &labels::<OpenType>())?;
    dropdown(sheet, C::UpdateCycle.col(), &labels::<UpdateCycle>())?;
    Ok(())
}

fn write_fields(sheet: &mut Worksheet, entries: &[CatalogEntry], formats: &Formats) -> Result<(), XlsxError> {
    use FieldColumn as C;
    let total: usize = entries.iter().map(|e| e.fields.len()).sum();
    prepare::<C>(sheet, FIELD_SHEET, total, formats)?;
    let rows = entries
        .iter()
        .flat_map(|e| e.fields.iter().map(|f| (e.resource.code.as_str(), f)));
    for (i, (code, f)) in rows.enumerate() {
        let row = row_number(i)?;
        put(sheet, row, C::ResourceCode.col(), code)?;
        put(sheet, row, C::Name.col(), &f.name)?;
        put(sheet, row, C::CnName.col(), &f.cn_name)?;
        put(sheet, row, C::DataType.col(), f.data_type.map_or("", DataType::label))?;
        if let Some(l) = f.length {
            sheet.write_number(row, C::Length.col(), f64::from(l))?;
        }
        put(sheet, row, C::Nullable.col(), if f.nullable { YES } else { NO })?;
        put(sheet, row, C::Unit.col(), &f.unit)?;
        put(sheet, row, C::CodeTable.col(), &f.code_table)?;
        put(sheet, row, C::Description.col(), &f.description)?;
        put(sheet, row, C::Grade.col(), f.grade.map_or("", Grade::label))?;
        if let Some(l) = f.sub_level {
            sheet.write_number(row, C::SubLevel.col(), f64::from(l))?;
        }
        let tags: Vec<&str> = f
            .tags
            .iter()
            .map(|t| tag_of(t).map_or(t.as_str(), |tag| tag.label()))
            .collect();
        put(sheet, row, C::Tags.col(), &tags.join(LIST_SEPARATOR))?;
    }
    dropdown(sheet, C::DataType.col(), &labels::<DataType>())?;
    dropdown(sheet, C::Nullable.col(), &[YES, NO])?;
    dropdown(sheet, C::Grade.col(), &labels::<Grade>())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// A nullable field of general data, level 1; the [`Fixture`] methods change the rest.
    fn field(name: &str, cn_name: &str, data_type: DataType) -> FieldDraft {
        FieldDraft {
            name: name.into(),
            cn_name: cn_name.into(),
            data_type: Some(data_type),
            nullable: true,
            grade: Some(Grade::General),
            sub_level: Some(1),
            ..Default::default()
        }
    }

    /// Short setters so that each test field fits on one line.
    trait Fixture {
        fn len(self, length: u32) -> Self;
        fn required(self) -> Self;
        fn unit(self, unit: &str) -> Self;
        fn standard(self, code_table: &str) -> Self;
        fn note(self, description: &str) -> Self;
        fn graded(self, grade: Option<Grade>, sub_level: Option<u8>) -> Self;
        fn tagged(self, tags: &[&str]) -> Self;
    }

    impl Fixture for FieldDraft {
        fn len(self, length: u32) -> Self {
            FieldDraft {
                length: Some(length),
                ..self
            }
        }
        fn required(self) -> Self {
            FieldDraft {
                nullable: false,
                ..self
            }
        }
        fn unit(self, unit: &str) -> Self {
            FieldDraft {
                unit: unit.into(),
                ..self
            }
        }
        fn standard(self, code_table: &str) -> Self {
            FieldDraft {
                code_table: code_table.into(),
                ..self
            }
        }
        fn note(self, description: &str) -> Self {
            FieldDraft {
                description: description.into(),
                ..self
            }
        }
        fn graded(self, grade: Option<Grade>, sub_level: Option<u8>) -> Self {
            FieldDraft {
                grade,
                sub_level,
                ..self
            }
        }
        fn tagged(self, tags: &[&str]) -> Self {
            FieldDraft {
                tags: strings(tags),
                ..self
            }
        }
    }

    /// Three realistic resources of the bureau's catalog.
    fn catalog() -> Vec<CatalogEntry> {
        use DataType as T;
        let general = Some(Grade::General);
        let air = CatalogEntry {
            resource: ResourceDraft {
                code: "WHEE-AIR-0001".into(),
                name: "空气质量自动监测小时数据".into(),
                classification: strings(&["1", "02", "003"]),
                provider_department: "DQC".into(),
                summary: "全市国控、省控空气质量自动监测站逐小时浓度及 AQI（HJ 633-2026）".into(),
                format: Some(ResourceFormat::Table),
                share_type: Some(ShareType::Unconditional),
                share_conditions: String::new(),
                share_method: "接口".into(),
                open_type: Some(OpenType::Unconditional),
                update_cycle: Some(UpdateCycle::Hourly),
                publish_date: Some(date(2026, 3, 1)),
                related_codes: strings(&["WHEE-WATER-0002"]),
                source_system: "AQMS".into(),
                tables: strings(&["aqms.air_station_hourly", "aqms.air_station"]),
            },
            fields: vec![
                field("station_code", "站点编码", T::String)
                    .len(10)
                    .required()
                    .standard("HJ 664-2013 附录 A"),
                field("monitor_time", "监测时间", T::DateTime).required(),
                field("pm25", "PM2.5 小时浓度", T::Decimal).len(8).unit("μg/m³"),
                field("co", "一氧化碳小时浓度", T::Float).unit("mg/m³"),
                field("aqi", "空气质量指数", T::Integer).note("按 HJ 633-2026 计算，向上取整"),
                field("longitude", "经度", T::Decimal)
                    .len(10)
                    .unit("°")
                    .graded(general, Some(3))
                    .tagged(&["precise_coordinates"]),
            ],
        };
        let water = CatalogEntry {
            resource: ResourceDraft {
                code: "WHEE-WATER-0002".into(),
                name: "地表水断面水质监测数据".into(),
                classification: strings(&["1", "03", "001", "0102"]),
                provider_department: "SHJ".into(),
                summary: "长江、汉江武汉段及湖泊国控、省控断面水质自动站与手工监测结果".into(),
                format: Some(ResourceFormat::File),
                share_type: Some(ShareType::Conditional),
                share_conditions: "仅限生态环境执法与水环境管理业务使用，不得对外提供".into(),
                share_method: "库表".into(),
                open_type: Some(OpenType::Conditional),
                update_cycle: Some(UpdateCycle::Monthly),
                publish_date: Some(date(2024, 12, 31)),
                related_codes: strings(&["WHEE-AIR-0001", "WHEE-PERMIT-0003"]),
                source_system: "SWZD".into(),
                tables: strings(&["swzd.section_monthly", "swzd.public.section"]),
            },
            fields: vec![
                field("section_code", "断面编码", T::String).len(12).required(),
                field("water_class", "水质类别", T::String)
                    .len(4)
                    .standard("GB 3838-2002")
                    .note("Ⅰ～劣Ⅴ类"),
                field("cod", "化学需氧量", T::Decimal)
                    .len(10)
                    .unit("mg/L")
                    .graded(general, Some(2)),
                field("sample_date", "采样日期", T::Date).required(),
                field("sample_clock", "采样时刻", T::Time).graded(None, None),
                field("over_limit", "是否超标", T::Boolean).graded(None, None),
                field("raw_report", "原始报告", T::Binary).graded(Some(Grade::Important), None),
            ],
        };
        let permit = CatalogEntry {
            resource: ResourceDraft {
                code: "WHEE-PERMIT-0003".into(),
                name: "排污许可证信息".into(),
                classification: strings(&["2", "01"]),
                provider_department: "PWXK".into(),
                summary: String::new(),
                format: Some(ResourceFormat::Api),
                share_type: Some(ShareType::NotShared),
                share_conditions: String::new(),
                share_method: String::new(),
                open_type: Some(OpenType::NotOpen),
                update_cycle: Some(UpdateCycle::Irregular),
                publish_date: None,
                related_codes: vec![],
                source_system: String::new(),
                tables: strings(&["pwxk.permit"]),
            },
            fields: vec![
                field("permit_no", "许可证编号", T::String)
                    .len(22)
                    .required()
                    .standard("HJ 608-2017"),
                field("credit_code", "统一社会信用代码", T::String)
                    .len(18)
                    .required()
                    .tagged(&["credit_code"]),
                field("legal_person", "法定代表人", T::String)
                    .len(50)
                    .graded(general, Some(4))
                    .tagged(&["person_name"]),
                field("contact_phone", "联系电话", T::String)
                    .len(20)
                    .graded(general, Some(4))
                    .tagged(&["mobile", "landline"]),
                field("address", "生产经营场所地址", T::Text)
                    .graded(general, Some(3))
                    .tagged(&["address"]),
                field("discharge_json", "排放口及许可排放量", T::Json)
                    .unit("t/a")
                    .graded(Some(Grade::Core), None),
            ],
        };
        vec![air, water, permit]
    }

    #[test]
    fn export_then_import_changes_nothing() {
        let entries = catalog();
        for e in &entries {
            assert_eq!(e.resource.validate(), vec![], "{}", e.resource.code);
            for f in &e.fields {
                assert_eq!(f.validate(4), vec![], "{}", f.name);
            }
        }
        let report = import(&export(&entries).unwrap(), 4).unwrap();
        assert_eq!(report.problems, vec![]);
        assert_eq!(report.invalid_codes, Vec::<String>::new());
        assert_eq!(report.rows_read, 3 + 19);
        assert_eq!(report.entries, entries);
    }

    #[test]
    fn every_choice_survives_a_round_trip() {
        let base = catalog().remove(0);
        let entries: Vec<CatalogEntry> = UpdateCycle::ALL
            .iter()
            .enumerate()
            .map(|(i, &cycle)| {
                let share = ShareType::ALL[i % ShareType::ALL.len()];
                let resource = ResourceDraft {
                    code: format!("WHEE-T{i}"),
                    format: Some(ResourceFormat::ALL[i % ResourceFormat::ALL.len()]),
                    share_type: Some(share),
                    share_conditions: if share == ShareType::Conditional {
                        "仅限内部".into()
                    } else {
                        String::new()
                    },
                    open_type: Some(OpenType::ALL[i % OpenType::ALL.len()]),
                    update_cycle: Some(cycle),
                    related_codes: vec![],
                    ..base.resource.clone()
                };
                let fields = DataType::ALL
                    .iter()
                    .enumerate()
                    .map(|(j, &t)| {
                        let grade = Grade::ALL[(i + j) % Grade::ALL.len()];
                        let sub_level = (grade == Grade::General).then_some(1 + (j % 4) as u8);
                        let tag = Tag::ALL[(i + j) % Tag::ALL.len()].as_str();
                        let f = field(&format!("f{j}"), "字段", t)
                            .graded(Some(grade), sub_level)
                            .tagged(&[tag]);
                        if j % 2 == 0 { f.required() } else { f }
                    })
                    .collect();
                CatalogEntry { resource, fields }
            })
            .collect();
        let report = import(&export(&entries).unwrap(), 4).unwrap();
        assert_eq!(report.problems, vec![]);
        assert_eq!(report.entries, entries);
    }

    #[test]
    fn the_template_has_headers_only() {
        let report = import(&template().unwrap(), 4).unwrap();
        assert_eq!(
            report,
            ImportReport {
                entries: vec![],
                problems: vec![],
                rows_read: 0,
                invalid_codes: vec![]
            }
        );
    }

    /// A cell written by a test workbook.
    enum Cell {
        Text(String),
        Number(f64),
        Date(NaiveDate),
    }

    /// Sheets of rows (row 1 first; an empty row stays blank), written with rust_xlsxwriter.
    fn workbook(sheets: &[(&str, Vec<Vec<Cell>>)]) -> Vec<u8> {
        let mut book = Workbook::new();
        let date_format = Format::new().set_num_format("yyyy-mm-dd");
        for (name, rows) in sheets {
            let sheet = book.add_worksheet().set_name(*name).unwrap();
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    let (r, c) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
                    match cell {
                        Cell::Text(s) if s.is_empty() => {}
                        Cell::Text(s) => {
                            sheet.write_string(r, c, s).unwrap();
                        }
                        Cell::Number(n) => {
                            sheet.write_number(r, c, *n).unwrap();
                        }
                        Cell::Date(d) => {
                            sheet.write_date_with_format(r, c, d, &date_format).unwrap();
                        }
                    }
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    fn text_row(items: &[&str]) -> Vec<Cell> {
        items.iter().map(|s| Cell::Text((*s).to_owned())).collect()
    }

    fn resource_header() -> Vec<Cell> {
        text_row(&ResourceColumn::ALL.iter().map(|c| c.title()).collect::<Vec<_>>())
    }

    fn field_header() -> Vec<Cell> {
        text_row(&FieldColumn::ALL.iter().map(|c| c.title()).collect::<Vec<_>>())
    }

    /// A valid resource row with `changes` as (column, value).
    fn resource_row(code: &str, changes: &[(ResourceColumn, &str)]) -> Vec<Cell> {
        let mut row = [
            code,
            "空气质量日数据",
            "1/02/004",
            "DQC",
            "全市空气质量日均值",
            "数据库表",
            "无条件共享",
            "",
            "接口",
            "不予开放",
            "每日",
            "2024-03-15",
            "",
            "AQMS",
            "aqms.air_daily",
        ];
        for (c, v) in changes {
            row[c.index()] = *v;
        }
        text_row(&row)
    }

    /// A valid field row with `changes` as (column, value).
    fn field_row(code: &str, name: &str, changes: &[(FieldColumn, &str)]) -> Vec<Cell> {
        let mut row = [
            code,
            name,
            "PM2.5 日均浓度",
            "数值型",
            "8",
            "是",
            "μg/m³",
            "",
            "",
            "一般数据",
            "2",
            "",
        ];
        for (c, v) in changes {
            row[c.index()] = *v;
        }
        text_row(&row)
    }

    fn problem_keys(report: &ImportReport) -> Vec<(&str, usize, &str, &str)> {
        report
            .problems
            .iter()
            .map(|p| (p.sheet.as_str(), p.row, p.code.as_str(), p.field.as_str()))
            .collect()
    }

    #[test]
    fn random_bytes_are_not_xlsx() {
        let mut x: u32 = 0x2545_F491;
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            })
            .collect();
        assert!(matches!(import(&bytes, 4), Err(WorkbookError::NotXlsx)));
        assert!(matches!(import(b"", 4), Err(WorkbookError::NotXlsx)));
    }

    #[test]
    fn a_missing_sheet_is_named() {
        let bytes = workbook(&[
            (RESOURCE_SHEET, vec![resource_header()]),
            ("Sheet2", vec![field_header()]),
        ]);
        match import(&bytes, 4) {
            Err(WorkbookError::MissingSheet(name)) => assert_eq!(name, FIELD_SHEET),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_column_is_named() {
        let header: Vec<&str> = ResourceColumn::ALL
            .iter()
            .filter(|c| **c != ResourceColumn::ShareType)
            .map(|c| c.title())
            .collect();
        let bytes = workbook(&[
            (RESOURCE_SHEET, vec![text_row(&header)]),
            (FIELD_SHEET, vec![field_header()]),
        ]);
        match import(&bytes, 4) {
            Err(WorkbookError::BadHeader { sheet, missing }) => {
                assert_eq!(sheet, RESOURCE_SHEET);
                assert_eq!(missing, vec!["共享类型"]);
            }
            other => panic!("{other:?}"),
        }
        // An empty sheet lacks every column.
        let bytes = workbook(&[(RESOURCE_SHEET, vec![resource_header()]), (FIELD_SHEET, vec![])]);
        match import(&bytes, 4) {
            Err(WorkbookError::BadHeader { sheet, missing }) => {
                assert_eq!(sheet, FIELD_SHEET);
                assert_eq!(missing.len(), FieldColumn::ALL.len());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn row_problems_name_row_and_column() {
        use FieldColumn as F;
        use ResourceColumn as R;
        let bytes = workbook(&[
            (
                RESOURCE_SHEET,
                vec![
                    resource_header(),
                    resource_row("WHEE-A", &[]),
                    resource_row("bad code", &[]),
                    resource_row("WHEE-C", &[(R::ShareType, "部分共享")]),
                    resource_row("WHEE-D", &[(R::PublishDate, "2024-13-45")]),
                    resource_row("WHEE-A", &[(R::Name, "重复的资源")]),
                    resource_row("WHEE-G", &[]),
                    resource_row("WHEE-H", &[]),
                ],
            ),
            (
                FIELD_SHEET,
                vec![
                    field_header(),
                    field_row("WHEE-H", "pm25", &[]),
                    field_row("WHEE-X", "pm10", &[]),
                    field_row("WHEE-G", "so2", &[(F::DataType, "varchar2")]),
                    field_row("WHEE-G", "no2", &[(F::SubLevel, "7")]),
                    field_row("WHEE-G", "SO2", &[]),
                ],
            ),
        ]);
        let report = import(&bytes, 4).unwrap();
        assert_eq!(
            problem_keys(&report),
            vec![
                (RESOURCE_SHEET, 3, "bad code", "资源代码"),
                (RESOURCE_SHEET, 4, "WHEE-C", "共享类型"),
                (RESOURCE_SHEET, 5, "WHEE-D", "发布日期"),
                (RESOURCE_SHEET, 6, "WHEE-A", "资源代码"),
                (FIELD_SHEET, 3, "WHEE-X", "资源代码"),
                (FIELD_SHEET, 4, "WHEE-G", "数据类型"),
                (FIELD_SHEET, 5, "WHEE-G", "一般数据子级"),
                (FIELD_SHEET, 6, "WHEE-G", "字段名"),
            ]
        );
        let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages[1].contains("部分共享") && messages[1].contains("无条件共享、有条件共享、不予共享"));
        assert!(messages[2].contains("YYYY-MM-DD"));
        assert!(messages[3].contains("第 2 行"));
        assert!(messages[5].contains("varchar2") && messages[5].contains("字符型"));
        assert_eq!(messages[6], "一般数据子级须在 1 至 4 之间");
        assert!(messages[7].contains("第 4 行"));
        assert_eq!(
            report.invalid_codes,
            strings(&["WHEE-A", "bad code", "WHEE-C", "WHEE-D", "WHEE-G", "WHEE-X"])
        );
        let codes: Vec<&str> = report.entries.iter().map(|e| e.resource.code.as_str()).collect();
        assert_eq!(codes, vec!["WHEE-H"]);
        assert_eq!(report.entries[0].fields.len(), 1);
        assert_eq!(report.rows_read, 12);
    }

    #[test]
    fn blank_rows_are_skipped() {
        let bytes = workbook(&[
            (
                RESOURCE_SHEET,
                vec![
                    resource_header(),
                    vec![],
                    resource_row("WHEE-A", &[]),
                    text_row(&["  ", "", "\t"]),
                    resource_row("WHEE-B", &[(ResourceColumn::OpenType, "随便")]),
                ],
            ),
            (
                FIELD_SHEET,
                vec![field_header(), vec![], vec![], field_row("WHEE-A", "pm25", &[])],
            ),
        ]);
        let report = import(&bytes, 4).unwrap();
        assert_eq!(problem_keys(&report), vec![(RESOURCE_SHEET, 5, "WHEE-B", "开放类型")]);
        assert_eq!(report.rows_read, 3);
        assert_eq!(report.entries.len(), 1);
        assert_eq!(report.entries[0].fields[0].name, "pm25");
    }

    #[test]
    fn column_order_and_extra_columns_do_not_matter() {
        let reversed = |header: Vec<Cell>, row: Vec<Cell>| -> Vec<Vec<Cell>> {
            let mut header: Vec<Cell> = header.into_iter().rev().collect();
            let mut row: Vec<Cell> = row.into_iter().rev().collect();
            header.insert(3, Cell::Text("备注".into()));
            row.insert(3, Cell::Text("内部备注，不导入".into()));
            vec![header, row]
        };
        let plain = workbook(&[
            (RESOURCE_SHEET, vec![resource_header(), resource_row("WHEE-A", &[])]),
            (FIELD_SHEET, vec![field_header(), field_row("WHEE-A", "pm25", &[])]),
        ]);
        let mut field_header = field_header();
        field_header[FieldColumn::Nullable.index()] = Cell::Text("可为空 (是/否)".into());
        let shuffled = workbook(&[
            (RESOURCE_SHEET, reversed(resource_header(), resource_row("WHEE-A", &[]))),
            (FIELD_SHEET, reversed(field_header, field_row("WHEE-A", "pm25", &[]))),
        ]);
        let plain = import(&plain, 4).unwrap();
        assert_eq!(plain.problems, vec![]);
        assert_eq!(plain.entries.len(), 1);
        assert_eq!(import(&shuffled, 4).unwrap(), plain);
    }

    #[test]
    fn dates_lists_and_identifiers_are_read_leniently() {
        use FieldColumn as F;
        use ResourceColumn as R;
        let mut serial = resource_row("WHEE-B", &[(R::RelatedCodes, "WHEE-A;WHEE-C，WHEE-D")]);
        serial[R::PublishDate.index()] = Cell::Number(45366.0);
        let mut cell = resource_row("WHEE-C", &[(R::Classification, "1／02／004")]);
        cell[R::PublishDate.index()] = Cell::Date(date(2024, 3, 15));
        let identifiers = [
            (R::ShareType, "conditional"),
            (R::ShareConditions, "仅限内部"),
            (R::OpenType, "not_open"),
            (R::UpdateCycle, "daily"),
            (R::Format, "api"),
            (R::PublishDate, "2024/3/15"),
            (R::Tables, "aqms.a, aqms.b、aqms.c"),
        ];
        let mut field = field_row("WHEE-A", "pm25", &[(F::DataType, "decimal"), (F::Grade, "general")]);
        field[F::Nullable.index()] = Cell::Text("否".into());
        field[F::Tags.index()] = Cell::Text("mobile；姓名".into());
        field[F::Length.index()] = Cell::Number(8.0);
        let bytes = workbook(&[
            (
                RESOURCE_SHEET,
                vec![
                    resource_header(),
                    resource_row("WHEE-A", &identifiers),
                    serial,
                    cell,
                    resource_row("WHEE-D", &[(R::PublishDate, "2024年3月15日")]),
                ],
            ),
            (FIELD_SHEET, vec![field_header(), field]),
        ]);
        let report = import(&bytes, 4).unwrap();
        assert_eq!(report.problems, vec![]);
        for e in &report.entries {
            assert_eq!(e.resource.publish_date, Some(date(2024, 3, 15)), "{}", e.resource.code);
        }
        let a = &report.entries[0].resource;
        assert_eq!(a.share_type, Some(ShareType::Conditional));
        assert_eq!(a.open_type, Some(OpenType::NotOpen));
        assert_eq!(a.update_cycle, Some(UpdateCycle::Daily));
        assert_eq!(a.format, Some(ResourceFormat::Api));
        assert_eq!(a.tables, strings(&["aqms.a", "aqms.b", "aqms.c"]));
        assert_eq!(
            report.entries[1].resource.related_codes,
            strings(&["WHEE-A", "WHEE-C", "WHEE-D"])
        );
        assert_eq!(report.entries[2].resource.classification, strings(&["1", "02", "004"]));
        let f = &report.entries[0].fields[0];
        assert_eq!(f.data_type, Some(DataType::Decimal));
        assert_eq!(f.grade, Some(Grade::General));
        assert_eq!(f.length, Some(8));
        assert!(!f.nullable);
        assert_eq!(f.tags, strings(&["mobile", "person_name"]));
    }

    /// A zip archive with one deflated, empty part that claims to unpack to 4 GiB.
    fn zip_bomb() -> Vec<u8> {
        let name = b"xl/sharedStrings.xml";
        let le16 = |v: u16| v.to_le_bytes();
        let le32 = |v: u32| v.to_le_bytes();
        let name_len = le16(u16::try_from(name.len()).unwrap());
        let data = [0x03_u8, 0x00]; // an empty deflate stream
        let crc = le32(0);
        let (packed, unpacked) = (le32(2), le32(0xFFFF_0000));
        let mut out = Vec::new();
        for part in [
            &le32(0x0403_4b50)[..],
            &le16(20),
            &le16(0),
            &le16(8),
            &le32(0),
            &crc,
            &packed,
            &unpacked,
        ] {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&name_len);
        out.extend_from_slice(&le16(0));
        out.extend_from_slice(name);
        out.extend_from_slice(&data);
        let directory_at = le32(u32::try_from(out.len()).unwrap());
        let directory_start = out.len();
        for part in [
            &le32(0x0201_4b50)[..],
            &le16(20),
            &le16(20),
            &le16(0),
            &le16(8),
            &le32(0),
            &crc,
            &packed,
        ] {
            out.extend_from_slice(part);
        }
        for part in [
            &unpacked[..],
            &name_len,
            &le16(0),
            &le16(0),
            &le16(0),
            &le16(0),
            &le32(0),
            &le32(0),
        ] {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(name);
        let directory_len = le32(u32::try_from(out.len() - directory_start).unwrap());
        for part in [
            &le32(0x0605_4b50)[..],
            &le16(0),
            &le16(0),
            &le16(1),
            &le16(1),
            &directory_len,
            &directory_at,
        ] {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&le16(0));
        out
    }

    #[test]
    fn oversized_input_is_refused() {
        assert!(matches!(import(&zip_bomb(), 4), Err(WorkbookError::TooLarge)));

        let huge = vec![0_u8; MAX_FILE_BYTES + 1];
        assert!(matches!(import(&huge, 4), Err(WorkbookError::TooLarge)));

        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name(RESOURCE_SHEET).unwrap();
        for (c, title) in ResourceColumn::ALL.iter().map(|c| c.title()).enumerate() {
            sheet.write_string(0, u16::try_from(c).unwrap(), title).unwrap();
        }
        sheet.write_string(LAST_ROW + 1, 0, "WHEE-LAST").unwrap();
        let sheet = book.add_worksheet().set_name(FIELD_SHEET).unwrap();
        for (c, title) in FieldColumn::ALL.iter().map(|c| c.title()).enumerate() {
            sheet.write_string(0, u16::try_from(c).unwrap(), title).unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        assert!(matches!(import(&bytes, 4), Err(WorkbookError::TooLarge)));
    }
}
