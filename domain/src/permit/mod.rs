//! Discharge-permit reconciliation (排污许可证对账): the city's returned permit data (市局回流)
//! against the national platform's export, matched by permit number.
//!
//! Pure rules, no database: the caller loads both sides as [`RawTable`]s (from uploaded files,
//! see [`file`], or from data-source tables), says which column holds which [`Field`]
//! ([`Mapping`]) and gets an [`Outcome`] back ([`compare::reconcile`]).
//!
//! - **Key**: the permit number (HJ 608-2017, [`crate::ident::PermitNumber`]), after trimming and
//!   full-width → half-width folding; case is not changed (a lower-case number is malformed).
//! - **Categories** ([`Category`]): only in the city, only in the national data, field
//!   differences (one item per permit and field), expired, about to expire, malformed numbers,
//!   malformed values, duplicates (the same number twice on one side; the first row is the one
//!   compared).
//! - **Normalisation** ([`normalise`]) before comparing, so only real differences count: width
//!   folding, trimming and collapsing spaces in text; 重点/简化/登记 spellings; dates in the usual
//!   spellings (2026-01-05, 2026/1/5, 2026.1.5, 20260105, 2026年1月5日, Excel serial numbers);
//!   numbers with thousands separators; outlet lists as sets. A value that cannot be read is a
//!   malformed-value item (with row number and reason) and that field is not compared for that
//!   permit, so one bad cell is reported once, not twice.
//! - **Expiry**: a permit is valid five years (排污许可管理条例 Art. 14); renewal is applied for
//!   60 days before expiry. On the run date (Asia/Shanghai) a permit whose last valid day is past
//!   is expired; one whose last valid day is within [`RENEWAL_DAYS`] days is about to expire.
//!   The national platform's dates are authoritative, the city's are used when it has none;
//!   a missing end date is the start date + 5 years − 1 day.

pub mod compare;
pub mod file;
pub mod normalise;
pub mod report;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Days before expiry from which renewal is due (排污许可管理条例: apply 60 days before expiry).
pub const RENEWAL_DAYS: i64 = 60;

/// Years a permit is valid.
pub const VALIDITY_YEARS: u32 = 5;

/// How a field's values are read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (width-folded, trimmed, inner spaces collapsed).
    Text,
    /// Management category: 重点管理 / 简化管理 / 登记管理.
    Category,
    /// A calendar date.
    Date,
    /// A decimal number (thousands separators allowed); equal within 1e-6.
    Number,
    /// A set of outlet codes (`DA001`, `DW001`), any separator, any order.
    Outlets,
}

macro_rules! fields {
    ($($v:ident $id:literal $zh:literal $kind:ident,)+) => {
        /// The 20 compared fields of a permit (the permit number is the key, not a field).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Field { $(#[doc = $zh] $v,)+ }

        impl Field {
            /// All fields, in report order.
            pub const ALL: &'static [Field] = &[$(Field::$v,)+];

            /// Stable identifier.
            pub fn as_str(self) -> &'static str {
                match self { $(Field::$v => $id,)+ }
            }

            /// Chinese label.
            pub fn label(self) -> &'static str {
                match self { $(Field::$v => $zh,)+ }
            }

            /// How its values are compared.
            pub fn kind(self) -> Kind {
                match self { $(Field::$v => Kind::$kind,)+ }
            }

            /// Parses the stable identifier.
            pub fn parse(s: &str) -> Option<Field> {
                match s { $($id => Some(Field::$v),)+ _ => None }
            }
        }
    };
}

fields! {
    HolderName "holder_name" "单位名称" Text,
    ManagementCategory "management_category" "管理类别" Category,
    Industry "industry" "行业类别" Text,
    ValidFrom "valid_from" "有效期起" Date,
    ValidTo "valid_to" "有效期止" Date,
    IssueDate "issue_date" "发证日期" Date,
    IssuingAuthority "issuing_authority" "发证机关" Text,
    Address "address" "生产经营场所地址" Text,
    LegalRepresentative "legal_representative" "法定代表人" Text,
    RegionCode "region_code" "行政区划代码" Text,
    Longitude "longitude" "经度" Number,
    Latitude "latitude" "纬度" Number,
    MainPollutants "main_pollutants" "主要污染物类别" Text,
    AirOutlets "air_outlets" "废气排放口" Outlets,
    WaterOutlets "water_outlets" "废水排放口" Outlets,
    So2Limit "so2_limit" "二氧化硫许可排放量(t/a)" Number,
    NoxLimit "nox_limit" "氮氧化物许可排放量(t/a)" Number,
    CodLimit "cod_limit" "化学需氧量许可排放量(t/a)" Number,
    Nh3nLimit "nh3n_limit" "氨氮许可排放量(t/a)" Number,
    ParticulateLimit "particulate_limit" "颗粒物许可排放量(t/a)" Number,
}

/// What kind of discrepancy an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// In the city's data, not in the national data.
    OnlyCity,
    /// In the national data, not in the city's.
    OnlyNational,
    /// Both have the permit; one field differs.
    FieldDiff,
    /// The last valid day is past.
    Expired,
    /// The last valid day is within [`RENEWAL_DAYS`] days.
    Expiring,
    /// The permit number is not a valid HJ 608-2017 number.
    MalformedNumber,
    /// A value cannot be read (a date that is not a date, an unknown category…).
    MalformedValue,
    /// The same permit number appears more than once on one side.
    Duplicate,
}

impl Category {
    /// All categories, in report order.
    pub const ALL: &'static [Category] = &[
        Category::OnlyCity,
        Category::OnlyNational,
        Category::FieldDiff,
        Category::Expired,
        Category::Expiring,
        Category::MalformedNumber,
        Category::MalformedValue,
        Category::Duplicate,
    ];

    /// Stable identifier (also in ticket dedup keys).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::OnlyCity => "only_city",
            Category::OnlyNational => "only_national",
            Category::FieldDiff => "field_diff",
            Category::Expired => "expired",
            Category::Expiring => "expiring",
            Category::MalformedNumber => "malformed_number",
            Category::MalformedValue => "malformed_value",
            Category::Duplicate => "duplicate",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Category::OnlyCity => "仅市局有",
            Category::OnlyNational => "仅国家平台有",
            Category::FieldDiff => "字段不一致",
            Category::Expired => "已过期",
            Category::Expiring => "即将到期",
            Category::MalformedNumber => "许可证编号格式错误",
            Category::MalformedValue => "数据格式错误",
            Category::Duplicate => "编号重复",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// Index into per-category count arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Which side a row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The city's returned data (市局回流).
    City,
    /// The national platform's export (国家平台).
    National,
}

impl Side {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::City => "city",
            Side::National => "national",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Side::City => "市局回流",
            Side::National => "国家平台",
        }
    }
}

/// Which column of a side holds the permit number and each field (column titles as in the
/// file's header row or the table's column names). Fields mapped on one side only are not
/// compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// Column of the permit number.
    pub permit_number: String,
    /// Column of each field.
    pub fields: BTreeMap<Field, String>,
}

impl Mapping {
    /// The default titles: the fields' Chinese labels and `许可证编号`.
    pub fn chinese_default() -> Mapping {
        Mapping {
            permit_number: "许可证编号".into(),
            fields: Field::ALL.iter().map(|f| (*f, f.label().to_owned())).collect(),
        }
    }

    /// Trims the titles and drops empty ones; refuses a mapping without a number column or
    /// one that uses a column twice (Chinese message).
    pub fn normalised(&self) -> Result<Mapping, String> {
        let permit_number = self.permit_number.trim().to_owned();
        if permit_number.is_empty() {
            return Err("须指定许可证编号所在的列".into());
        }
        let fields: BTreeMap<Field, String> = self
            .fields
            .iter()
            .map(|(f, c)| (*f, c.trim().to_owned()))
            .filter(|(_, c)| !c.is_empty())
            .collect();
        let mut seen = std::collections::HashSet::new();
        seen.insert(permit_number.clone());
        for c in fields.values() {
            if !seen.insert(c.clone()) {
                return Err(format!("列“{c}”被映射了两次"));
            }
        }
        Ok(Mapping { permit_number, fields })
    }
}

/// One side's rows as text, before any checking: a header and the data rows. `first_row` is the
/// row number (as the user sees it, e.g. 2 for a file with a header row) of `rows[0]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawTable {
    /// Column titles.
    pub headers: Vec<String>,
    /// Cells; `None` is empty.
    pub rows: Vec<Vec<Option<String>>>,
    /// Row number of the first data row.
    pub first_row: u64,
}

/// One discrepancy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// What it is.
    pub category: Category,
    /// The permit number as written (trimmed, width-folded; may be malformed or empty).
    pub permit_number: String,
    /// Holder name, when known (for people reading the list).
    pub holder_name: Option<String>,
    /// The side it concerns (`None`: both).
    pub side: Option<Side>,
    /// Row numbers on the city side.
    pub city_rows: Vec<u64>,
    /// Row numbers on the national side.
    pub national_rows: Vec<u64>,
    /// The field, for field differences and malformed values.
    pub field: Option<Field>,
    /// The city's value (normalised when readable).
    pub city_value: Option<String>,
    /// The national value (normalised when readable).
    pub national_value: Option<String>,
    /// Why, in Chinese.
    pub message: String,
}

/// A reconciliation's result.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    /// Data rows on the city side.
    pub city_rows: u64,
    /// Data rows on the national side.
    pub national_rows: u64,
    /// Distinct valid numbers in both.
    pub matched: u64,
    /// Items per category (index: [`Category::index`]).
    pub counts: [u64; 8],
    /// Field differences per field.
    pub field_counts: BTreeMap<Field, u64>,
    /// Every item, in category then input order.
    pub items: Vec<Item>,
}

impl Outcome {
    /// Items of one category.
    pub fn count(&self, c: Category) -> u64 {
        self.counts.get(c.index()).copied().unwrap_or(0)
    }

    /// Whether anything was found.
    pub fn has_differences(&self) -> bool {
        self.counts.iter().any(|&n| n > 0)
    }
}
