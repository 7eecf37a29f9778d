//! Catalog metadata as typed rows, following the government catalog guide (政务信息资源目录
//! 编制指南, GB/T 21063): the shape of a resource and of its fields, with the checks every
//! entry path (GraphQL, Excel import) shares. A [`ResourceDraft`] or [`FieldDraft`] that
//! passes [`ResourceDraft::validate`] / [`FieldDraft::validate`] is safe to store.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One problem with one input value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Field (column) name as the client or the workbook names it.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl Problem {
    fn new(field: &str, message: impl Into<String>) -> Self {
        Problem {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

macro_rules! label_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// Stable identifier.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            /// The Chinese label used in workbooks and screens.
            pub fn label(self) -> &'static str { match self { $($name::$v => $label),+ } }
            /// Parses an identifier or a Chinese label.
            pub fn parse_any(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s || v.label() == s)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.label()) }
        }
        impl FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, crate::Error> {
                Self::parse_any(s).ok_or_else(|| crate::Error::invalid(stringify!($name), format!("未知取值：{s}")))
            }
        }
    };
}

label_enum!(
    /// 共享类型.
    ShareType {
        /// 无条件共享
        Unconditional => "unconditional" / "无条件共享",
        /// 有条件共享
        Conditional => "conditional" / "有条件共享",
        /// 不予共享
        NotShared => "not_shared" / "不予共享",
    }
);

label_enum!(
    /// 开放类型 (武汉市公共数据资源管理办法).
    OpenType {
        /// 无条件开放
        Unconditional => "unconditional" / "无条件开放",
        /// 有条件开放
        Conditional => "conditional" / "有条件开放",
        /// 不予开放
        NotOpen => "not_open" / "不予开放",
    }
);

label_enum!(
    /// 更新周期.
    UpdateCycle {
        /// 实时
        Realtime => "realtime" / "实时",
        /// 每小时
        Hourly => "hourly" / "每小时",
        /// 每日
        Daily => "daily" / "每日",
        /// 每周
        Weekly => "weekly" / "每周",
        /// 每月
        Monthly => "monthly" / "每月",
        /// 每季度
        Quarterly => "quarterly" / "每季度",
        /// 每年
        Yearly => "yearly" / "每年",
        /// 不定期
        Irregular => "irregular" / "不定期",
    }
);

label_enum!(
    /// 资源格式.
    ResourceFormat {
        /// 数据库表
        Table => "table" / "数据库表",
        /// 电子文件
        File => "file" / "电子文件",
        /// 接口
        Api => "api" / "接口",
        /// 其他
        Other => "other" / "其他",
    }
);

label_enum!(
    /// Grades of GB/T 43697-2024, high to low. General data has configurable sub-levels.
    Grade {
        /// 核心数据
        Core => "core" / "核心数据",
        /// 重要数据
        Important => "important" / "重要数据",
        /// 一般数据
        General => "general" / "一般数据",
    }
);

impl Grade {
    /// Rank for "highest wins" (就高从严): core 3, important 2, general 1.
    pub fn rank(self) -> u8 {
        match self {
            Grade::Core => 3,
            Grade::Important => 2,
            Grade::General => 1,
        }
    }
}

/// A grade with its general sub-level (1 = lowest sensitivity .. N), compared "highest wins".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GradeLevel {
    /// The grade.
    pub grade: Grade,
    /// Sub-level within general data (None for core and important).
    pub sub_level: Option<u8>,
}

impl GradeLevel {
    fn key(self) -> (u8, u8) {
        (self.grade.rank(), self.sub_level.unwrap_or(0))
    }

    /// The stricter of two grades.
    pub fn max(self, other: GradeLevel) -> GradeLevel {
        if other.key() > self.key() { other } else { self }
    }

    /// A dataset's grade: the highest of its fields' (就高从严); general level 1 if none.
    pub fn of_fields(fields: impl IntoIterator<Item = GradeLevel>) -> GradeLevel {
        fields.into_iter().fold(
            GradeLevel {
                grade: Grade::General,
                sub_level: Some(1),
            },
            GradeLevel::max,
        )
    }
}

label_enum!(
    /// 数据类型.
    DataType {
        /// 字符型
        String => "string" / "字符型",
        /// 整数型
        Integer => "integer" / "整数型",
        /// 数值型（小数）
        Decimal => "decimal" / "数值型",
        /// 浮点型
        Float => "float" / "浮点型",
        /// 布尔型
        Boolean => "boolean" / "布尔型",
        /// 日期型
        Date => "date" / "日期型",
        /// 日期时间型
        DateTime => "datetime" / "日期时间型",
        /// 时间型
        Time => "time" / "时间型",
        /// 文本型
        Text => "text" / "文本型",
        /// 二进制
        Binary => "binary" / "二进制",
        /// JSON
        Json => "json" / "JSON",
    }
);

/// A catalog resource as entered (before it is stored and versioned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResourceDraft {
    /// 资源代码: unique, 1-64 of `[A-Za-z0-9_.-]`.
    pub code: String,
    /// 资源名称.
    pub name: String,
    /// 资源分类 as 类/项/目/细目 codes, e.g. `["1", "01", "001"]` (类 1 digit, 项 2, 目 3, 细目 any).
    pub classification: Vec<String>,
    /// 资源提供方 (department code).
    pub provider_department: String,
    /// 摘要.
    pub summary: String,
    /// 格式.
    pub format: Option<ResourceFormat>,
    /// 共享类型.
    pub share_type: Option<ShareType>,
    /// 共享条件 (required when conditional).
    pub share_conditions: String,
    /// 共享方式 (接口/库表/文件).
    pub share_method: String,
    /// 开放类型.
    pub open_type: Option<OpenType>,
    /// 更新周期.
    pub update_cycle: Option<UpdateCycle>,
    /// 发布日期.
    pub publish_date: Option<NaiveDate>,
    /// 关联资源代码.
    pub related_codes: Vec<String>,
    /// 来源系统: the code of a registered source system (checked by the catalog service), or empty.
    pub source_system: String,
    /// Bound physical tables as `data_source_code.table` (schema-qualified tables allowed).
    pub tables: Vec<String>,
}

/// A field (信息项 / 数据元) of a resource as entered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FieldDraft {
    /// Column name in the bound table.
    pub name: String,
    /// 中文名称.
    pub cn_name: String,
    /// 数据类型.
    pub data_type: Option<DataType>,
    /// 长度 (characters or precision).
    pub length: Option<u32>,
    /// 可为空.
    pub nullable: bool,
    /// 计量单位 (e.g. μg/m³).
    pub unit: String,
    /// 代码表或标准引用 (e.g. `HJ 212-2017 表 B.1`).
    pub code_table: String,
    /// 说明.
    pub description: String,
    /// 分级.
    pub grade: Option<Grade>,
    /// 一般数据子级 (1..=configured sub-levels).
    pub sub_level: Option<u8>,
    /// 敏感标签 (confirmed tags from [`crate::sensitivity::Tag`], by identifier).
    pub tags: Vec<String>,
}

fn code_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn text(problems: &mut Vec<Problem>, field: &str, v: &str, max: usize, required: bool) {
    let n = v.trim().chars().count();
    if required && n == 0 {
        problems.push(Problem::new(field, "不能为空"));
    } else if n > max {
        problems.push(Problem::new(field, format!("不能超过 {max} 字")));
    }
}

/// Column names: letters, digits and `_`, starting with a letter or `_`, at most 64.
pub fn column_name_ok(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && s.len() <= 64
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

impl ResourceDraft {
    /// Every problem of this draft (empty when valid). `sub_levels` is the configured number of
    /// general-data sub-levels.
    pub fn validate(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        if !code_ok(self.code.trim(), 64) {
            p.push(Problem::new("code", "资源代码须为 1-64 位字母、数字、_ . -"));
        }
        text(&mut p, "name", &self.name, 200, true);
        text(&mut p, "summary", &self.summary, 4000, false);
        let widths: [Option<usize>; 3] = [Some(1), Some(2), Some(3)];
        if self.classification.is_empty() || self.classification.len() > 4 {
            p.push(Problem::new("classification", "资源分类须为 类/项/目/细目 一至四级"));
        } else {
            for (i, c) in self.classification.iter().enumerate() {
                let want = widths.get(i).copied().flatten();
                let digits = !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit());
                if !digits || want.is_some_and(|w| c.len() != w) || c.len() > 8 {
                    p.push(Problem::new(
                        "classification",
                        format!("第 {} 级分类代码“{c}”格式错误（类 1 位、项 2 位、目 3 位数字）", i + 1),
                    ));
                }
            }
        }
        if !code_ok(self.provider_department.trim(), 32) {
            p.push(Problem::new("providerDepartment", "资源提供方须填写部门编码"));
        }
        if self.share_type.is_none() {
            p.push(Problem::new("shareType", "须填写共享类型"));
        }
        if self.share_type == Some(ShareType::Conditional) && self.share_conditions.trim().is_empty() {
            p.push(Problem::new("shareConditions", "有条件共享须填写共享条件"));
        }
        text(&mut p, "shareConditions", &self.share_conditions, 1000, false);
        text(&mut p, "shareMethod", &self.share_method, 100, false);
        if self.open_type.is_none() {
            p.push(Problem::new("openType", "须填写开放类型"));
        }
        if self.update_cycle.is_none() {
            p.push(Problem::new("updateCycle", "须填写更新周期"));
        }
        for r in &self.related_codes {
            if !code_ok(r.trim(), 64) {
                p.push(Problem::new("relatedCodes", format!("关联资源代码“{r}”格式错误")));
            } else if r.trim() == self.code.trim() {
                p.push(Problem::new("relatedCodes", "不能关联自身"));
            }
        }
        if !self.source_system.is_empty() && !code_ok(self.source_system.trim(), 64) {
            p.push(Problem::new("sourceSystem", "来源系统须填写系统编码"));
        }
        for t in &self.tables {
            let ok = t.split_once('.').is_some_and(|(src, table)| {
                code_ok(src, 64) && !table.is_empty() && table.split('.').all(column_name_ok)
            });
            if !ok {
                p.push(Problem::new("tables", format!("挂接表“{t}”须为 数据源编码.表名")));
            }
        }
        p
    }
}

impl FieldDraft {
    /// Every problem of this field (empty when valid).
    pub fn validate(&self, sub_levels: u8) -> Vec<Problem> {
        let mut p = Vec::new();
        if !column_name_ok(self.name.trim()) {
            p.push(Problem::new(
                "name",
                format!("字段名“{}”须为字母、数字、下划线，且以字母或下划线开头", self.name),
            ));
        }
        text(&mut p, "cnName", &self.cn_name, 100, true);
        if self.data_type.is_none() {
            p.push(Problem::new("dataType", "须填写数据类型"));
        }
        if let Some(l) = self.length
            && !(1..=65_535).contains(&l)
        {
            p.push(Problem::new("length", "长度须在 1 至 65535 之间"));
        }
        text(&mut p, "unit", &self.unit, 50, false);
        text(&mut p, "codeTable", &self.code_table, 200, false);
        text(&mut p, "description", &self.description, 2000, false);
        match (self.grade, self.sub_level) {
            (Some(Grade::General), Some(l)) if l == 0 || l > sub_levels => {
                p.push(Problem::new(
                    "subLevel",
                    format!("一般数据子级须在 1 至 {sub_levels} 之间"),
                ));
            }
            (Some(Grade::Core | Grade::Important), Some(_)) => {
                p.push(Problem::new("subLevel", "只有一般数据可以细分子级"));
            }
            (None, Some(_)) => p.push(Problem::new("subLevel", "须先填写分级")),
            _ => {}
        }
        for t in &self.tags {
            if !crate::sensitivity::Tag::ALL
                .iter()
                .any(|x| x.as_str() == t || x.label() == t)
            {
                p.push(Problem::new("tags", format!("未知敏感标签：{t}")));
            }
        }
        p
    }

    /// The field's grade level (general level 1 when not graded).
    pub fn grade_level(&self) -> GradeLevel {
        match self.grade {
            Some(Grade::General) | None => GradeLevel {
                grade: Grade::General,
                sub_level: Some(self.sub_level.unwrap_or(1)),
            },
            Some(g) => GradeLevel {
                grade: g,
                sub_level: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_resource() -> ResourceDraft {
        ResourceDraft {
            code: "WHEE-AIR-0001".into(),
            name: "空气质量小时数据".into(),
            classification: vec!["1".into(), "02".into(), "003".into()],
            provider_department: "AIR".into(),
            summary: "全市国控、省控站点逐小时监测数据".into(),
            format: Some(ResourceFormat::Table),
            share_type: Some(ShareType::Unconditional),
            open_type: Some(OpenType::Conditional),
            update_cycle: Some(UpdateCycle::Hourly),
            tables: vec!["demo.air_station_hourly".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_resource_is_valid() {
        assert_eq!(ok_resource().validate(), vec![]);
    }

    #[test]
    fn problems_name_the_field() {
        let r = ResourceDraft {
            code: "bad code".into(),
            classification: vec!["12".into()],
            share_type: Some(ShareType::Conditional),
            tables: vec!["nosource".into()],
            ..ok_resource()
        };
        let fields: Vec<String> = r.validate().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["code", "classification", "shareConditions", "tables"]);
    }

    #[test]
    fn labels_and_identifiers_parse() {
        assert_eq!(ShareType::parse_any("有条件共享"), Some(ShareType::Conditional));
        assert_eq!(UpdateCycle::parse_any("hourly"), Some(UpdateCycle::Hourly));
        assert_eq!(DataType::parse_any("日期时间型"), Some(DataType::DateTime));
        assert_eq!(Grade::parse_any("重要数据"), Some(Grade::Important));
        assert!(DataType::parse_any("varchar2").is_none());
    }

    #[test]
    fn grade_is_the_highest_of_the_fields() {
        let g = |grade, sub_level| GradeLevel { grade, sub_level };
        assert_eq!(GradeLevel::of_fields([]), g(Grade::General, Some(1)));
        assert_eq!(
            GradeLevel::of_fields([g(Grade::General, Some(2)), g(Grade::General, Some(4))]),
            g(Grade::General, Some(4))
        );
        assert_eq!(
            GradeLevel::of_fields([g(Grade::General, Some(4)), g(Grade::Important, None)]),
            g(Grade::Important, None)
        );
        assert_eq!(
            GradeLevel::of_fields([g(Grade::Core, None), g(Grade::Important, None)]),
            g(Grade::Core, None)
        );
    }

    #[test]
    fn field_checks() {
        let f = FieldDraft {
            name: "pm25".into(),
            cn_name: "PM2.5 浓度".into(),
            data_type: Some(DataType::Decimal),
            unit: "μg/m³".into(),
            grade: Some(Grade::General),
            sub_level: Some(2),
            ..Default::default()
        };
        assert_eq!(f.validate(4), vec![]);
        let bad = FieldDraft {
            name: "1x".into(),
            sub_level: Some(7),
            tags: vec!["tattoo".into()],
            ..f
        };
        let fields: Vec<String> = bad.validate(4).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["name", "subLevel", "tags"]);
    }
}
