//! Source records of an enterprise, parsed once at the edge.
//!
//! A batch of rows from one source is parsed whole ([`parse_batch`]): every row with a problem
//! is reported with its 1-based row number, the field and a Chinese reason, so that an import
//! can refuse the batch and name every bad row. A record's key in its source is its permit
//! number (HJ 608-2017), monitoring point code, case number, approval number or declaration
//! year; it must be unique within the batch.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::merge::Coordinates;
use crate::ident::{CreditCode, OutletCode, PermitNumber};

/// Longest text value kept, in characters.
pub const MAX_TEXT: usize = 200;

/// A source system describing enterprises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 排污许可证及排污登记
    Permit,
    /// 环评审批
    EiaApproval,
    /// 排放申报
    EmissionDeclaration,
    /// 在线监测点位
    MonitoringPoint,
    /// 执法检查与行政处罚
    Enforcement,
}

impl Source {
    /// Every source, in the default precedence order.
    pub const ALL: [Source; 5] = [
        Source::Permit,
        Source::EiaApproval,
        Source::EmissionDeclaration,
        Source::MonitoringPoint,
        Source::Enforcement,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Permit => "permit",
            Source::EiaApproval => "eia_approval",
            Source::EmissionDeclaration => "emission_declaration",
            Source::MonitoringPoint => "monitoring_point",
            Source::Enforcement => "enforcement",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Source::Permit => "排污许可",
            Source::EiaApproval => "环评审批",
            Source::EmissionDeclaration => "排放申报",
            Source::MonitoringPoint => "在线监测",
            Source::Enforcement => "执法监管",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> crate::Result<Source> {
        Source::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| crate::Error::invalid("source", format!("未知数据来源：{s}")))
    }
}

/// Permit management category (排污许可管理办法, 生态环境部令第32号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagementCategory {
    /// 重点管理
    Key,
    /// 简化管理
    Simplified,
    /// 登记管理 (排污登记)
    Registration,
}

impl ManagementCategory {
    /// Chinese label, also the accepted input.
    pub fn label(self) -> &'static str {
        match self {
            ManagementCategory::Key => "重点管理",
            ManagementCategory::Simplified => "简化管理",
            ManagementCategory::Registration => "登记管理",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "重点管理" | "重点" | "key" => Some(ManagementCategory::Key),
            "简化管理" | "简化" | "simplified" => Some(ManagementCategory::Simplified),
            "登记管理" | "登记" | "排污登记" | "registration" => Some(ManagementCategory::Registration),
            _ => None,
        }
    }
}

/// Inspection or penalty case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcementKind {
    /// 现场检查
    Inspection,
    /// 行政处罚案件
    Case,
}

impl EnforcementKind {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            EnforcementKind::Inspection => "现场检查",
            EnforcementKind::Case => "行政处罚",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "inspection" | "检查" | "现场检查" => Some(EnforcementKind::Inspection),
            "case" | "处罚" | "行政处罚" => Some(EnforcementKind::Case),
            _ => None,
        }
    }
}

/// The identity fields a record states (any may be absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// 企业名称
    pub name: Option<String>,
    /// 地址
    pub address: Option<String>,
    /// 法定代表人
    pub legal_representative: Option<String>,
    /// 行业类别 (code or name as the source gives it)
    pub industry: Option<String>,
    /// 经纬度
    pub coordinates: Option<Coordinates>,
}

/// A permitted outlet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlet {
    /// `DA`/`DW` + 3 digits.
    pub code: String,
    /// Name.
    pub name: Option<String>,
}

/// A declared emission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmissionItem {
    /// Pollutant name.
    pub pollutant: String,
    /// Tonnes per year.
    pub tonnes: f64,
}

/// What is specific to a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// A discharge permit or registration.
    Permit {
        /// HJ 608-2017 number.
        permit_number: String,
        /// 重点 / 简化 / 登记.
        management_category: ManagementCategory,
        /// Valid from.
        valid_from: Option<NaiveDate>,
        /// Valid to.
        valid_to: Option<NaiveDate>,
        /// Outlets.
        outlets: Vec<Outlet>,
    },
    /// An online monitoring point.
    MonitoringPoint {
        /// Point code (MN).
        point_code: String,
        /// The outlet it measures.
        outlet_code: Option<String>,
        /// Pollutants measured.
        pollutants: Vec<String>,
    },
    /// An inspection or a penalty case.
    Enforcement {
        /// Case or inspection number.
        case_number: String,
        /// Inspection or case.
        case_kind: EnforcementKind,
        /// Date.
        occurred_on: NaiveDate,
        /// Finding or violation.
        finding: Option<String>,
        /// Penalty in yuan.
        penalty_amount: Option<f64>,
    },
    /// An environmental impact approval.
    EiaApproval {
        /// Approval number.
        approval_number: String,
        /// Project.
        project_name: Option<String>,
        /// Date approved.
        approved_on: NaiveDate,
        /// Approving authority.
        authority: Option<String>,
    },
    /// A yearly emission declaration.
    EmissionDeclaration {
        /// Year.
        year: i32,
        /// Emissions.
        emissions: Vec<EmissionItem>,
    },
}

/// A record's typed content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// Identity fields.
    pub identity: Identity,
    /// Source-specific content.
    pub detail: Detail,
}

impl Payload {
    /// Stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form.
    pub fn from_json(s: &str) -> crate::Result<Payload> {
        serde_json::from_str(s).map_err(|e| crate::Error::Internal(format!("enterprise record payload: {e}")))
    }
}

/// A parsed record.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// Source.
    pub source: Source,
    /// The enterprise.
    pub credit_code: CreditCode,
    /// Key in the source.
    pub key: String,
    /// Content.
    pub payload: Payload,
}

impl SourceRecord {
    /// SHA-256 (hex) over the code and the stored payload: an unchanged record has the same hash.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.credit_code.as_str().as_bytes());
        h.update([0]);
        h.update(self.payload.to_json().as_bytes());
        hex::encode(h.finalize())
    }
}

/// An outlet as received.
#[derive(Debug, Clone, Default)]
pub struct RawOutlet {
    /// Code.
    pub code: String,
    /// Name.
    pub name: Option<String>,
}

/// An emission as received.
#[derive(Debug, Clone, Default)]
pub struct RawEmission {
    /// Pollutant.
    pub pollutant: String,
    /// Tonnes per year.
    pub tonnes: f64,
}

/// A row as received; which source-specific fields are required depends on the source.
#[derive(Debug, Clone, Default)]
pub struct RawRecord {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// 企业名称.
    pub name: Option<String>,
    /// 地址.
    pub address: Option<String>,
    /// 法定代表人.
    pub legal_representative: Option<String>,
    /// 行业类别.
    pub industry: Option<String>,
    /// 经度.
    pub longitude: Option<f64>,
    /// 纬度.
    pub latitude: Option<f64>,
    /// Permit: number.
    pub permit_number: Option<String>,
    /// Permit: 重点管理 / 简化管理 / 登记管理.
    pub management_category: Option<String>,
    /// Permit: valid from.
    pub valid_from: Option<NaiveDate>,
    /// Permit: valid to.
    pub valid_to: Option<NaiveDate>,
    /// Permit: outlets.
    pub outlets: Vec<RawOutlet>,
    /// Monitoring: point code.
    pub point_code: Option<String>,
    /// Monitoring: outlet code.
    pub outlet_code: Option<String>,
    /// Monitoring: pollutants.
    pub pollutants: Vec<String>,
    /// Enforcement: number.
    pub case_number: Option<String>,
    /// Enforcement: `inspection` / `case` (检查 / 处罚).
    pub case_kind: Option<String>,
    /// Enforcement: date.
    pub occurred_on: Option<NaiveDate>,
    /// Enforcement: finding.
    pub finding: Option<String>,
    /// Enforcement: penalty in yuan.
    pub penalty_amount: Option<f64>,
    /// EIA: approval number.
    pub approval_number: Option<String>,
    /// EIA: project.
    pub project_name: Option<String>,
    /// EIA: date approved.
    pub approved_on: Option<NaiveDate>,
    /// EIA: authority.
    pub authority: Option<String>,
    /// Declaration: year.
    pub year: Option<i32>,
    /// Declaration: emissions.
    pub emissions: Vec<RawEmission>,
}

/// A problem of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// 1-based row number in the batch.
    pub row: usize,
    /// Input field (client naming).
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

struct RowCheck {
    row: usize,
    problems: Vec<RowProblem>,
}

impl RowCheck {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(RowProblem {
            row: self.row,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn text(&mut self, field: &str, v: &Option<String>) -> Option<String> {
        let t = v.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
        if t.chars().count() > MAX_TEXT {
            self.problem(field, format!("不能超过 {MAX_TEXT} 字"));
        }
        Some(t.to_owned())
    }

    fn required(&mut self, field: &str, v: &Option<String>, what: &str) -> Option<String> {
        let t = self.text(field, v);
        if t.is_none() {
            self.problem(field, format!("缺少{what}"));
        }
        t
    }

    fn date<T: Copy>(&mut self, field: &str, v: Option<T>, what: &str) -> Option<T> {
        if v.is_none() {
            self.problem(field, format!("缺少{what}"));
        }
        v
    }
}

/// Parses a batch of one source. Returns the records when every row is good, else every problem
/// in row order (nothing is returned for a partly bad batch).
pub fn parse_batch(source: Source, rows: &[RawRecord]) -> Result<Vec<SourceRecord>, Vec<RowProblem>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    let mut first_row_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, raw) in rows.iter().enumerate() {
        let mut c = RowCheck {
            row: i + 1,
            problems: Vec::new(),
        };
        let record = parse_row(source, raw, &mut c);
        if let Some(r) = &record {
            if let Some(first) = first_row_of.get(&r.key) {
                c.problem("key", format!("记录编号 {} 与第 {first} 行重复", r.key));
            } else {
                first_row_of.insert(r.key.clone(), c.row);
            }
        }
        match (record, c.problems.is_empty()) {
            (Some(r), true) => out.push(r),
            _ => problems.extend(c.problems),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn parse_row(source: Source, raw: &RawRecord, c: &mut RowCheck) -> Option<SourceRecord> {
    let credit_code = match CreditCode::parse(&raw.credit_code) {
        Ok(code) => Some(code),
        Err(e) => {
            c.problem("creditCode", format!("统一社会信用代码{}", e.message_zh()));
            None
        }
    };
    let coordinates = match (raw.longitude, raw.latitude) {
        (None, None) => None,
        (Some(lon), Some(lat)) => {
            if (73.0..=136.0).contains(&lon) && (3.0..=54.0).contains(&lat) {
                Some(Coordinates {
                    longitude: lon,
                    latitude: lat,
                })
            } else {
                c.problem("longitude", "经纬度超出中国范围（经度 73–136，纬度 3–54）");
                None
            }
        }
        _ => {
            c.problem("latitude", "经度和纬度须同时填写");
            None
        }
    };
    let identity = Identity {
        name: c.text("name", &raw.name),
        address: c.text("address", &raw.address),
        legal_representative: c.text("legalRepresentative", &raw.legal_representative),
        industry: c.text("industry", &raw.industry),
        coordinates,
    };
    let detail = match source {
        Source::Permit => permit(raw, c, credit_code.as_ref()),
        Source::MonitoringPoint => {
            let point_code = c.required("pointCode", &raw.point_code, "监测点位编码");
            let outlet_code = match c.text("outletCode", &raw.outlet_code) {
                Some(o) => match OutletCode::parse(&o) {
                    Ok(o) => Some(o.as_str().to_owned()),
                    Err(e) => {
                        c.problem("outletCode", format!("排放口编码{}", e.message_zh()));
                        None
                    }
                },
                None => None,
            };
            let pollutants = raw
                .pollutants
                .iter()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect();
            point_code.map(|point_code| Detail::MonitoringPoint {
                point_code,
                outlet_code,
                pollutants,
            })
        }
        Source::Enforcement => {
            let case_number = c.required("caseNumber", &raw.case_number, "案件或检查编号");
            let case_kind = match raw.case_kind.as_deref().map(EnforcementKind::parse) {
                Some(Some(k)) => Some(k),
                Some(None) => {
                    c.problem("caseKind", "类型须为 inspection（现场检查）或 case（行政处罚）");
                    None
                }
                None => {
                    c.problem("caseKind", "缺少类型（现场检查或行政处罚）");
                    None
                }
            };
            let occurred_on = c.date("occurredOn", raw.occurred_on, "日期");
            if raw.penalty_amount.is_some_and(|p| !p.is_finite() || p < 0.0) {
                c.problem("penaltyAmount", "罚款金额不能为负数");
            }
            let finding = c.text("finding", &raw.finding);
            match (case_number, case_kind, occurred_on) {
                (Some(case_number), Some(case_kind), Some(occurred_on)) => Some(Detail::Enforcement {
                    case_number,
                    case_kind,
                    occurred_on,
                    finding,
                    penalty_amount: raw.penalty_amount,
                }),
                _ => None,
            }
        }
        Source::EiaApproval => {
            let approval_number = c.required("approvalNumber", &raw.approval_number, "环评批复文号");
            let approved_on = c.date("approvedOn", raw.approved_on, "批复日期");
            let project_name = c.text("projectName", &raw.project_name);
            let authority = c.text("authority", &raw.authority);
            match (approval_number, approved_on) {
                (Some(approval_number), Some(approved_on)) => Some(Detail::EiaApproval {
                    approval_number,
                    project_name,
                    approved_on,
                    authority,
                }),
                _ => None,
            }
        }
        Source::EmissionDeclaration => {
            let year = match raw.year {
                Some(y) if (2000..=2100).contains(&y) => Some(y),
                Some(_) => {
                    c.problem("year", "申报年度须在 2000–2100 之间");
                    None
                }
                None => {
                    c.problem("year", "缺少申报年度");
                    None
                }
            };
            let mut emissions = Vec::new();
            for e in &raw.emissions {
                let pollutant = e.pollutant.trim();
                if pollutant.is_empty() {
                    c.problem("emissions", "污染物名称不能为空");
                } else if !e.tonnes.is_finite() || e.tonnes < 0.0 {
                    c.problem("emissions", format!("{pollutant} 的排放量不能为负数"));
                } else {
                    emissions.push(EmissionItem {
                        pollutant: pollutant.to_owned(),
                        tonnes: e.tonnes,
                    });
                }
            }
            year.map(|year| Detail::EmissionDeclaration { year, emissions })
        }
    };
    let (credit_code, detail) = (credit_code?, detail?);
    let key = match &detail {
        Detail::Permit { permit_number, .. } => permit_number.clone(),
        Detail::MonitoringPoint { point_code, .. } => point_code.clone(),
        Detail::Enforcement { case_number, .. } => case_number.clone(),
        Detail::EiaApproval { approval_number, .. } => approval_number.clone(),
        // One declaration per enterprise and year.
        Detail::EmissionDeclaration { year, .. } => format!("{}:{year}", credit_code.as_str()),
    };
    Some(SourceRecord {
        source,
        credit_code,
        key,
        payload: Payload { identity, detail },
    })
}

fn permit(raw: &RawRecord, c: &mut RowCheck, code: Option<&CreditCode>) -> Option<Detail> {
    let number = c.required("permitNumber", &raw.permit_number, "排污许可证编号");
    let number = match number.map(|n| PermitNumber::parse(&n, PermitNumber::DEFAULT_LETTERS)) {
        Some(Ok(n)) => {
            if code.is_some_and(|code| n.credit_code().as_str() != code.as_str()) {
                c.problem("permitNumber", "排污许可证编号中的统一社会信用代码与本行不一致");
            }
            Some(n.as_str().to_owned())
        }
        Some(Err(e)) => {
            c.problem("permitNumber", format!("排污许可证编号{}", e.message_zh()));
            None
        }
        None => None,
    };
    let category = match raw.management_category.as_deref().map(ManagementCategory::parse) {
        Some(Some(m)) => Some(m),
        Some(None) => {
            c.problem("managementCategory", "管理类别须为重点管理、简化管理或登记管理");
            None
        }
        None => {
            c.problem("managementCategory", "缺少管理类别");
            None
        }
    };
    if let (Some(from), Some(to)) = (raw.valid_from, raw.valid_to)
        && to < from
    {
        c.problem("validTo", "有效期截止日期早于起始日期");
    }
    let mut outlets = Vec::new();
    for o in &raw.outlets {
        match OutletCode::parse(&o.code) {
            Ok(code) => outlets.push(Outlet {
                code: code.as_str().to_owned(),
                name: o
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
            }),
            Err(e) => c.problem("outlets", format!("排放口编码 {} {}", o.code.trim(), e.message_zh())),
        }
    }
    Some(Detail::Permit {
        permit_number: number?,
        management_category: category?,
        valid_from: raw.valid_from,
        valid_to: raw.valid_to,
        outlets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "91350100M000100Y43";

    fn row(code: &str, name: &str) -> RawRecord {
        RawRecord {
            credit_code: code.into(),
            name: Some(name.into()),
            point_code: Some(format!("MN{code}")),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_batch_parses_and_suspect_codes_are_kept() {
        // The standard's worked example has check character 3; 4 fails only the check.
        let suspect = "91350100M000100Y44";
        let rows = [row(GOOD, "甲"), row(suspect, "乙")];
        let recs = parse_batch(Source::MonitoringPoint, &rows).unwrap_or_default();
        assert_eq!(recs.len(), 2);
        assert_eq!(
            recs.iter().map(|r| r.credit_code.is_suspect()).collect::<Vec<_>>(),
            [false, true]
        );
        assert_eq!(recs.first().map(|r| r.key.as_str()), Some("MN91350100M000100Y43"));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_number() {
        let mut bad_coords = row(GOOD, "丙");
        bad_coords.point_code = Some("MN-2".into());
        bad_coords.longitude = Some(10.0);
        bad_coords.latitude = Some(30.0);
        let rows = [
            row(GOOD, "甲"),
            row("91350100M000100Y4", "短"),
            bad_coords,
            row(GOOD, "重复"),
            row("9135010OM000100Y43", "含O"),
        ];
        let problems = parse_batch(Source::MonitoringPoint, &rows).err().unwrap_or_default();
        let rows_fields: Vec<(usize, &str)> = problems.iter().map(|p| (p.row, p.field.as_str())).collect();
        assert_eq!(
            rows_fields,
            [(2, "creditCode"), (3, "longitude"), (4, "key"), (5, "creditCode")]
        );
        assert!(problems.iter().all(|p| !p.message.is_empty()));
        assert!(problems.get(2).is_some_and(|p| p.message.contains("第 1 行")));
    }

    #[test]
    fn permits_check_number_category_dates_and_outlets() {
        let ok = RawRecord {
            credit_code: GOOD.into(),
            permit_number: Some(format!("{GOOD}001P")),
            management_category: Some("重点管理".into()),
            valid_from: NaiveDate::from_ymd_opt(2024, 1, 1),
            valid_to: NaiveDate::from_ymd_opt(2028, 12, 31),
            outlets: vec![RawOutlet {
                code: "DA001".into(),
                name: Some("锅炉废气排放口".into()),
            }],
            ..Default::default()
        };
        assert!(parse_batch(Source::Permit, std::slice::from_ref(&ok)).is_ok());
        let bad = RawRecord {
            permit_number: Some("91130200699229617X001P".into()),
            management_category: Some("一般".into()),
            valid_to: NaiveDate::from_ymd_opt(2023, 1, 1),
            outlets: vec![RawOutlet {
                code: "DX001".into(),
                name: None,
            }],
            ..ok
        };
        let fields: Vec<String> = parse_batch(Source::Permit, &[bad])
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["permitNumber", "managementCategory", "validTo", "outlets"]);
    }

    #[test]
    fn the_hash_follows_the_content() {
        let a = parse_batch(Source::MonitoringPoint, &[row(GOOD, "甲")]).unwrap_or_default();
        let b = parse_batch(Source::MonitoringPoint, &[row(GOOD, " 甲 ")]).unwrap_or_default();
        let c = parse_batch(Source::MonitoringPoint, &[row(GOOD, "乙")]).unwrap_or_default();
        let h = |v: &Vec<SourceRecord>| v.first().map(SourceRecord::content_hash);
        assert_eq!(h(&a), h(&b));
        assert_ne!(h(&a), h(&c));
    }
}
