//! One file per enterprise (一企一档) in the schema: the whole file of an enterprise, the paged
//! list, the import of source records, the merge and the source precedence.
//!
//! Reads need `ViewEnterprises`; imports and merges `ImportEnterpriseData`; the precedence
//! `ManageEnterpriseSources`. A page of enterprises costs a constant number of queries: records,
//! conflicts and open tickets come through DataLoaders keyed by credit code.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use ecogov_domain::enterprise::{Detail, EnforcementKind, Field, Payload, RawEmission, RawOutlet, RawRecord, Source};
use ecogov_domain::entity::{
    enterprise, enterprise_conflict, enterprise_field_history, enterprise_precedence, enterprise_record, ticket,
};
use ecogov_domain::service::enterprise::{self as svc, EnterpriseFilter};
use ecogov_domain::service::{Core, tickets};

use crate::error::ApiError;
use crate::query::{actor, core, paginate};
use crate::types::{Ticket, User, load_user};

/// A source system describing enterprises.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EnterpriseSource {
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

impl From<EnterpriseSource> for Source {
    fn from(s: EnterpriseSource) -> Self {
        match s {
            EnterpriseSource::Permit => Source::Permit,
            EnterpriseSource::EiaApproval => Source::EiaApproval,
            EnterpriseSource::EmissionDeclaration => Source::EmissionDeclaration,
            EnterpriseSource::MonitoringPoint => Source::MonitoringPoint,
            EnterpriseSource::Enforcement => Source::Enforcement,
        }
    }
}

impl From<Source> for EnterpriseSource {
    fn from(s: Source) -> Self {
        match s {
            Source::Permit => EnterpriseSource::Permit,
            Source::EiaApproval => EnterpriseSource::EiaApproval,
            Source::EmissionDeclaration => EnterpriseSource::EmissionDeclaration,
            Source::MonitoringPoint => EnterpriseSource::MonitoringPoint,
            Source::Enforcement => EnterpriseSource::Enforcement,
        }
    }
}

/// An identity field of an enterprise.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EnterpriseField {
    /// 企业名称
    Name,
    /// 地址
    Address,
    /// 法定代表人
    LegalRepresentative,
    /// 行业类别
    Industry,
    /// 经纬度 (`longitude,latitude`)
    Coordinates,
}

impl From<EnterpriseField> for Field {
    fn from(f: EnterpriseField) -> Self {
        match f {
            EnterpriseField::Name => Field::Name,
            EnterpriseField::Address => Field::Address,
            EnterpriseField::LegalRepresentative => Field::LegalRepresentative,
            EnterpriseField::Industry => Field::Industry,
            EnterpriseField::Coordinates => Field::Coordinates,
        }
    }
}

impl From<Field> for EnterpriseField {
    fn from(f: Field) -> Self {
        match f {
            Field::Name => EnterpriseField::Name,
            Field::Address => EnterpriseField::Address,
            Field::LegalRepresentative => EnterpriseField::LegalRepresentative,
            Field::Industry => EnterpriseField::Industry,
            Field::Coordinates => EnterpriseField::Coordinates,
        }
    }
}

fn source_of(s: &str) -> async_graphql::Result<EnterpriseSource> {
    Ok(Source::parse(s).map_err(ApiError)?.into())
}

fn field_of(s: &str) -> async_graphql::Result<EnterpriseField> {
    Ok(Field::parse(s).map_err(ApiError)?.into())
}

type LoadError = Arc<ecogov_domain::Error>;

/// Source records by credit code.
pub struct EnterpriseRecordsLoader(pub Core);
/// Conflicts (open and resolved) by credit code.
pub struct EnterpriseConflictsLoader(pub Core);
/// Open tickets about an enterprise by credit code.
pub struct EnterpriseTicketsLoader(pub Core);

fn group<T>(keys: &[String], rows: Vec<T>, key: impl Fn(&T) -> String) -> HashMap<String, Vec<T>> {
    let mut out: HashMap<String, Vec<T>> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}

impl Loader<String> for EnterpriseRecordsLoader {
    type Value = Vec<enterprise_record::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = svc::records_of(&self.0, keys).await.map_err(Arc::new)?;
        Ok(group(keys, rows, |r| r.credit_code.clone()))
    }
}

impl Loader<String> for EnterpriseConflictsLoader {
    type Value = Vec<enterprise_conflict::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = svc::conflicts_of(&self.0, keys).await.map_err(Arc::new)?;
        Ok(group(keys, rows, |r| r.credit_code.clone()))
    }
}

impl Loader<String> for EnterpriseTicketsLoader {
    type Value = Vec<ticket::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = svc::open_tickets_of(&self.0, keys).await.map_err(Arc::new)?;
        Ok(group(keys, rows, |t| t.subject_id.clone().unwrap_or_default()))
    }
}

fn load_err(e: LoadError) -> async_graphql::Error {
    async_graphql::Error::from(ApiError(ecogov_domain::Error::Internal(e.to_string())))
}

/// A merged identity value with the source it comes from.
#[derive(SimpleObject)]
pub struct EnterpriseFieldValue {
    /// The field.
    pub field: EnterpriseField,
    /// Its Chinese label.
    pub label: String,
    /// Merged value (coordinates as `longitude,latitude`).
    pub value: String,
    /// Winning source.
    pub source: EnterpriseSource,
    /// The record it comes from.
    pub record_key: String,
    /// When that record's content was received.
    pub received_at: DateTime<Utc>,
    /// Whether sources disagree on it now.
    pub conflict: bool,
}

/// What one source says in a conflict.
#[derive(SimpleObject)]
pub struct EnterpriseCandidate {
    /// Source.
    pub source: EnterpriseSource,
    /// Record.
    pub record_key: String,
    /// Value.
    pub value: String,
    /// When received.
    pub received_at: DateTime<Utc>,
}

/// Whether a conflict stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EnterpriseConflictStatus {
    /// Sources disagree.
    Open,
    /// Sources agree again.
    Resolved,
}

/// Sources disagreeing on a field, side by side.
pub struct EnterpriseConflict(pub enterprise_conflict::Model);

#[Object]
impl EnterpriseConflict {
    async fn field(&self) -> async_graphql::Result<EnterpriseField> {
        field_of(&self.0.field)
    }
    async fn status(&self) -> EnterpriseConflictStatus {
        if self.0.status == "open" {
            EnterpriseConflictStatus::Open
        } else {
            EnterpriseConflictStatus::Resolved
        }
    }
    /// Each source's value, in precedence order (when resolved: the agreeing values).
    async fn candidates(&self) -> Vec<EnterpriseCandidate> {
        svc::candidates_of(&self.0)
            .into_iter()
            .map(|c| EnterpriseCandidate {
                source: c.source.into(),
                record_key: c.record_key,
                value: c.value.display(),
                received_at: c.received_at,
            })
            .collect()
    }
    /// The quality-issue ticket it reported to.
    async fn ticket_id(&self) -> Option<async_graphql::ID> {
        self.0.ticket_id.map(|t| async_graphql::ID(t.to_string()))
    }
    async fn detected_at(&self) -> DateTime<Utc> {
        self.0.detected_at
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
}

/// One value a source stated (append-only history).
pub struct EnterpriseFieldChange(pub enterprise_field_history::Model);

#[Object]
impl EnterpriseFieldChange {
    async fn field(&self) -> async_graphql::Result<EnterpriseField> {
        field_of(&self.0.field)
    }
    async fn source(&self) -> async_graphql::Result<EnterpriseSource> {
        source_of(&self.0.source)
    }
    async fn record_key(&self) -> &str {
        &self.0.record_key
    }
    /// The value (null: the record no longer states it).
    async fn value(&self) -> Option<&str> {
        self.0.value.as_deref()
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
}

/// A source record as stored.
pub struct EnterpriseRecord(pub enterprise_record::Model);

#[Object]
impl EnterpriseRecord {
    async fn source(&self) -> async_graphql::Result<EnterpriseSource> {
        source_of(&self.0.source)
    }
    async fn record_key(&self) -> &str {
        &self.0.record_key
    }
    /// SHA-256 of the content.
    async fn content_hash(&self) -> &str {
        &self.0.content_hash
    }
    /// The typed content as JSON.
    async fn payload(&self) -> &str {
        &self.0.payload
    }
    async fn first_received_at(&self) -> DateTime<Utc> {
        self.0.first_received_at
    }
    /// When the current content arrived.
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
}

/// A permitted outlet.
#[derive(SimpleObject, Clone)]
pub struct EnterpriseOutlet {
    /// `DA`/`DW` + 3 digits.
    pub code: String,
    /// Name.
    pub name: Option<String>,
    /// 废气 or 废水.
    pub kind: String,
    /// Permit numbers listing it.
    pub permit_numbers: Vec<String>,
    /// Monitoring points on it.
    pub monitoring_points: Vec<String>,
}

/// A discharge permit or registration.
#[derive(SimpleObject)]
pub struct EnterprisePermit {
    /// HJ 608-2017 number.
    pub permit_number: String,
    /// 重点管理 / 简化管理 / 登记管理.
    pub management_category: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// Outlet codes.
    pub outlet_codes: Vec<String>,
    pub received_at: DateTime<Utc>,
}

/// An online monitoring point.
#[derive(SimpleObject)]
pub struct EnterpriseMonitoringPoint {
    pub point_code: String,
    pub outlet_code: Option<String>,
    pub pollutants: Vec<String>,
    pub received_at: DateTime<Utc>,
}

/// An inspection or a penalty case.
#[derive(SimpleObject)]
pub struct EnterpriseEnforcement {
    pub case_number: String,
    /// 现场检查 or 行政处罚.
    pub kind_label: String,
    pub occurred_on: NaiveDate,
    pub finding: Option<String>,
    /// Yuan.
    pub penalty_amount: Option<f64>,
}

/// An environmental impact approval.
#[derive(SimpleObject)]
pub struct EnterpriseEiaApproval {
    pub approval_number: String,
    pub project_name: Option<String>,
    pub approved_on: NaiveDate,
    pub authority: Option<String>,
}

/// A declared emission.
#[derive(SimpleObject)]
pub struct EnterpriseEmission {
    pub pollutant: String,
    /// Tonnes per year.
    pub tonnes: f64,
}

/// A yearly emission declaration.
#[derive(SimpleObject)]
pub struct EnterpriseDeclaration {
    pub year: i32,
    pub emissions: Vec<EnterpriseEmission>,
}

/// Overall data-quality status of an enterprise file.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EnterpriseQualityLevel {
    /// Valid code, sources agree.
    Ok,
    /// The credit code fails its check character.
    SuspectCode,
    /// Sources disagree on at least one field.
    Conflicts,
    /// Both.
    SuspectCodeAndConflicts,
}

/// The data-quality status of an enterprise file.
#[derive(SimpleObject)]
pub struct EnterpriseQuality {
    pub level: EnterpriseQualityLevel,
    /// The credit code fails its check character (GB 32100-2015).
    pub suspect_code: bool,
    /// Fields in conflict now.
    pub open_conflicts: i32,
    /// Conflicts whose sources agree again.
    pub resolved_conflicts: i32,
    /// What is wrong, in Chinese.
    pub problems: Vec<String>,
}

/// One enterprise's file (一企一档).
pub struct Enterprise(pub enterprise::Model);

impl Enterprise {
    async fn payloads(
        &self,
        ctx: &Context<'_>,
        source: Source,
    ) -> async_graphql::Result<Vec<(enterprise_record::Model, Payload)>> {
        let rows = ctx
            .data_unchecked::<DataLoader<EnterpriseRecordsLoader>>()
            .load_one(self.0.credit_code.clone())
            .await
            .map_err(load_err)?
            .unwrap_or_default();
        rows.into_iter()
            .filter(|r| r.source == source.as_str())
            .map(|r| {
                let p = Payload::from_json(&r.payload).map_err(ApiError)?;
                Ok((r, p))
            })
            .collect()
    }

    async fn conflict_rows(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<enterprise_conflict::Model>> {
        Ok(ctx
            .data_unchecked::<DataLoader<EnterpriseConflictsLoader>>()
            .load_one(self.0.credit_code.clone())
            .await
            .map_err(load_err)?
            .unwrap_or_default())
    }

    async fn enforcement(
        &self,
        ctx: &Context<'_>,
        kind: EnforcementKind,
    ) -> async_graphql::Result<Vec<EnterpriseEnforcement>> {
        let mut out: Vec<EnterpriseEnforcement> = self
            .payloads(ctx, Source::Enforcement)
            .await?
            .into_iter()
            .filter_map(|(_, p)| match p.detail {
                Detail::Enforcement {
                    case_number,
                    case_kind,
                    occurred_on,
                    finding,
                    penalty_amount,
                } if case_kind == kind => Some(EnterpriseEnforcement {
                    case_number,
                    kind_label: case_kind.label().to_owned(),
                    occurred_on,
                    finding,
                    penalty_amount,
                }),
                _ => None,
            })
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.occurred_on));
        Ok(out)
    }
}

#[Object]
impl Enterprise {
    /// 统一社会信用代码.
    async fn credit_code(&self) -> &str {
        &self.0.credit_code
    }
    /// The code fails its check character (an early pilot code or a typo).
    async fn suspect(&self) -> bool {
        self.0.suspect
    }
    /// Merged name.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn legal_representative(&self) -> Option<&str> {
        self.0.legal_representative.as_deref()
    }
    async fn industry(&self) -> Option<&str> {
        self.0.industry.as_deref()
    }
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }
    /// Every merged field with its winning source.
    async fn identity(&self) -> Vec<EnterpriseFieldValue> {
        let winners = svc::winners_of(&self.0);
        Field::ALL
            .into_iter()
            .filter_map(|f| {
                winners.get(&f).map(|w| EnterpriseFieldValue {
                    field: f.into(),
                    label: f.label().to_owned(),
                    value: w.value.clone(),
                    source: w.source.into(),
                    record_key: w.record_key.clone(),
                    received_at: w.received_at,
                    conflict: w.conflict,
                })
            })
            .collect()
    }
    /// Source records.
    async fn record_count(&self) -> i32 {
        self.0.record_count
    }
    /// Fields in conflict now.
    async fn open_conflict_count(&self) -> i32 {
        self.0.open_conflicts
    }
    async fn merged_at(&self) -> DateTime<Utc> {
        self.0.merged_at
    }
    /// Last time a merged value changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Conflicts between sources (open ones first), optionally of one status.
    async fn conflicts(
        &self,
        ctx: &Context<'_>,
        status: Option<EnterpriseConflictStatus>,
    ) -> async_graphql::Result<Vec<EnterpriseConflict>> {
        let mut rows: Vec<EnterpriseConflict> = self
            .conflict_rows(ctx)
            .await?
            .into_iter()
            .map(EnterpriseConflict)
            .filter(|c| match status {
                Some(EnterpriseConflictStatus::Open) => c.0.status == "open",
                Some(EnterpriseConflictStatus::Resolved) => c.0.status != "open",
                None => true,
            })
            .collect();
        rows.sort_by_key(|c| (c.0.status != "open", c.0.id));
        Ok(rows)
    }
    /// Data-quality status.
    async fn quality_status(&self, ctx: &Context<'_>) -> async_graphql::Result<EnterpriseQuality> {
        let conflicts = self.conflict_rows(ctx).await?;
        let open: Vec<&enterprise_conflict::Model> = conflicts.iter().filter(|c| c.status == "open").collect();
        let resolved = conflicts.len() - open.len();
        let mut problems = Vec::new();
        if self.0.suspect {
            problems.push("统一社会信用代码校验位不正确（可能为早期试点代码或录入错误）".to_owned());
        }
        for c in &open {
            let label = Field::parse(&c.field).map(Field::label).unwrap_or("字段");
            problems.push(format!("{label}在各来源间不一致"));
        }
        let level = match (self.0.suspect, !open.is_empty()) {
            (false, false) => EnterpriseQualityLevel::Ok,
            (true, false) => EnterpriseQualityLevel::SuspectCode,
            (false, true) => EnterpriseQualityLevel::Conflicts,
            (true, true) => EnterpriseQualityLevel::SuspectCodeAndConflicts,
        };
        Ok(EnterpriseQuality {
            level,
            suspect_code: self.0.suspect,
            open_conflicts: i32::try_from(open.len()).unwrap_or(i32::MAX),
            resolved_conflicts: i32::try_from(resolved).unwrap_or(i32::MAX),
            problems,
        })
    }
    /// Which source said what about each field, and when (oldest first), optionally one field.
    async fn field_history(
        &self,
        ctx: &Context<'_>,
        field: Option<EnterpriseField>,
    ) -> async_graphql::Result<Vec<EnterpriseFieldChange>> {
        Ok(
            svc::history(core(ctx)?, actor(ctx)?, &self.0.credit_code, field.map(Into::into))
                .await
                .map_err(ApiError)?
                .into_iter()
                .map(EnterpriseFieldChange)
                .collect(),
        )
    }
    /// Source records, optionally of one source.
    async fn records(
        &self,
        ctx: &Context<'_>,
        source: Option<EnterpriseSource>,
    ) -> async_graphql::Result<Vec<EnterpriseRecord>> {
        let rows = ctx
            .data_unchecked::<DataLoader<EnterpriseRecordsLoader>>()
            .load_one(self.0.credit_code.clone())
            .await
            .map_err(load_err)?
            .unwrap_or_default();
        let source = source.map(Source::from);
        Ok(rows
            .into_iter()
            .filter(|r| source.is_none_or(|s| r.source == s.as_str()))
            .map(EnterpriseRecord)
            .collect())
    }
    /// Discharge permits and registrations.
    async fn permits(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EnterprisePermit>> {
        Ok(self
            .payloads(ctx, Source::Permit)
            .await?
            .into_iter()
            .filter_map(|(r, p)| match p.detail {
                Detail::Permit {
                    permit_number,
                    management_category,
                    valid_from,
                    valid_to,
                    outlets,
                } => Some(EnterprisePermit {
                    permit_number,
                    management_category: management_category.label().to_owned(),
                    valid_from,
                    valid_to,
                    outlet_codes: outlets.into_iter().map(|o| o.code).collect(),
                    received_at: r.received_at,
                }),
                _ => None,
            })
            .collect())
    }
    /// Outlets from the permits and the monitoring points, by code.
    async fn outlets(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EnterpriseOutlet>> {
        let mut by_code: BTreeMap<String, EnterpriseOutlet> = BTreeMap::new();
        let kind = |code: &str| if code.starts_with("DW") { "废水" } else { "废气" }.to_owned();
        for (_, p) in self.payloads(ctx, Source::Permit).await? {
            if let Detail::Permit {
                permit_number, outlets, ..
            } = p.detail
            {
                for o in outlets {
                    let e = by_code.entry(o.code.clone()).or_insert_with(|| EnterpriseOutlet {
                        kind: kind(&o.code),
                        code: o.code.clone(),
                        name: None,
                        permit_numbers: Vec::new(),
                        monitoring_points: Vec::new(),
                    });
                    if e.name.is_none() {
                        e.name = o.name;
                    }
                    e.permit_numbers.push(permit_number.clone());
                }
            }
        }
        for (_, p) in self.payloads(ctx, Source::MonitoringPoint).await? {
            if let Detail::MonitoringPoint {
                point_code,
                outlet_code: Some(code),
                ..
            } = p.detail
            {
                by_code
                    .entry(code.clone())
                    .or_insert_with(|| EnterpriseOutlet {
                        kind: kind(&code),
                        code: code.clone(),
                        name: None,
                        permit_numbers: Vec::new(),
                        monitoring_points: Vec::new(),
                    })
                    .monitoring_points
                    .push(point_code);
            }
        }
        Ok(by_code.into_values().collect())
    }
    /// Online monitoring points.
    async fn monitoring_points(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EnterpriseMonitoringPoint>> {
        Ok(self
            .payloads(ctx, Source::MonitoringPoint)
            .await?
            .into_iter()
            .filter_map(|(r, p)| match p.detail {
                Detail::MonitoringPoint {
                    point_code,
                    outlet_code,
                    pollutants,
                } => Some(EnterpriseMonitoringPoint {
                    point_code,
                    outlet_code,
                    pollutants,
                    received_at: r.received_at,
                }),
                _ => None,
            })
            .collect())
    }
    /// On-site inspections, newest first.
    async fn inspections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EnterpriseEnforcement>> {
        self.enforcement(ctx, EnforcementKind::Inspection).await
    }
    /// Penalty cases, newest first.
    async fn enforcement_cases(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EnterpriseEnforcement>> {
        self.enforcement(ctx, EnforcementKind::Case).await
    }
    /// Environmental impact approvals.
    async fn eia_approvals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EnterpriseEiaApproval>> {
        Ok(self
            .payloads(ctx, Source::EiaApproval)
            .await?
            .into_iter()
            .filter_map(|(_, p)| match p.detail {
                Detail::EiaApproval {
                    approval_number,
                    project_name,
                    approved_on,
                    authority,
                } => Some(EnterpriseEiaApproval {
                    approval_number,
                    project_name,
                    approved_on,
                    authority,
                }),
                _ => None,
            })
            .collect())
    }
    /// Yearly emission declarations.
    async fn emission_declarations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EnterpriseDeclaration>> {
        Ok(self
            .payloads(ctx, Source::EmissionDeclaration)
            .await?
            .into_iter()
            .filter_map(|(_, p)| match p.detail {
                Detail::EmissionDeclaration { year, emissions } => Some(EnterpriseDeclaration {
                    year,
                    emissions: emissions
                        .into_iter()
                        .map(|e| EnterpriseEmission {
                            pollutant: e.pollutant,
                            tonnes: e.tonnes,
                        })
                        .collect(),
                }),
                _ => None,
            })
            .collect())
    }
    /// Open tickets about the enterprise that the caller may see.
    async fn open_tickets(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Ticket>> {
        let a = actor(ctx)?;
        let rows = ctx
            .data_unchecked::<DataLoader<EnterpriseTicketsLoader>>()
            .load_one(self.0.credit_code.clone())
            .await
            .map_err(load_err)?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|t| tickets::visible(a, t))
            .map(Ticket)
            .collect())
    }
}

/// An outlet as imported.
#[derive(InputObject)]
pub struct EnterpriseOutletInput {
    /// `DA`/`DW` + 3 digits.
    pub code: String,
    pub name: Option<String>,
}

/// An emission as imported.
#[derive(InputObject)]
pub struct EnterpriseEmissionInput {
    pub pollutant: String,
    /// Tonnes per year.
    pub tonnes: f64,
}

/// One source record as imported; which source-specific fields are required depends on the
/// source (permit: permitNumber, managementCategory; monitoring point: pointCode; enforcement:
/// caseNumber, caseKind, occurredOn; EIA: approvalNumber, approvedOn; declaration: year).
#[derive(InputObject)]
pub struct EnterpriseRecordInput {
    /// 统一社会信用代码.
    pub credit_code: String,
    pub name: Option<String>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    pub industry: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub permit_number: Option<String>,
    /// 重点管理 / 简化管理 / 登记管理.
    pub management_category: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    #[graphql(default)]
    pub outlets: Vec<EnterpriseOutletInput>,
    pub point_code: Option<String>,
    pub outlet_code: Option<String>,
    #[graphql(default)]
    pub pollutants: Vec<String>,
    pub case_number: Option<String>,
    /// `inspection` (现场检查) or `case` (行政处罚).
    pub case_kind: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    pub finding: Option<String>,
    pub penalty_amount: Option<f64>,
    pub approval_number: Option<String>,
    pub project_name: Option<String>,
    pub approved_on: Option<NaiveDate>,
    pub authority: Option<String>,
    pub year: Option<i32>,
    #[graphql(default)]
    pub emissions: Vec<EnterpriseEmissionInput>,
}

impl From<EnterpriseRecordInput> for RawRecord {
    fn from(r: EnterpriseRecordInput) -> Self {
        RawRecord {
            credit_code: r.credit_code,
            name: r.name,
            address: r.address,
            legal_representative: r.legal_representative,
            industry: r.industry,
            longitude: r.longitude,
            latitude: r.latitude,
            permit_number: r.permit_number,
            management_category: r.management_category,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            outlets: r
                .outlets
                .into_iter()
                .map(|o| RawOutlet {
                    code: o.code,
                    name: o.name,
                })
                .collect(),
            point_code: r.point_code,
            outlet_code: r.outlet_code,
            pollutants: r.pollutants,
            case_number: r.case_number,
            case_kind: r.case_kind,
            occurred_on: r.occurred_on,
            finding: r.finding,
            penalty_amount: r.penalty_amount,
            approval_number: r.approval_number,
            project_name: r.project_name,
            approved_on: r.approved_on,
            authority: r.authority,
            year: r.year,
            emissions: r
                .emissions
                .into_iter()
                .map(|e| RawEmission {
                    pollutant: e.pollutant,
                    tonnes: e.tonnes,
                })
                .collect(),
        }
    }
}

/// A bad row of an import.
#[derive(SimpleObject)]
pub struct EnterpriseImportProblem {
    /// 1-based row number in the batch.
    pub row: i32,
    /// Input field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// What an import did; with any problem nothing is written (`applied: false`).
#[derive(SimpleObject)]
pub struct EnterpriseImportResult {
    pub applied: bool,
    pub received: i32,
    pub created: i32,
    pub updated: i32,
    /// Received again unchanged (not written).
    pub unchanged: i32,
    /// Enterprises waiting for the next merge because of this import.
    pub dirty: i32,
    /// Credit codes of the batch that fail their check character (kept, flagged suspect).
    pub suspect_codes: Vec<String>,
    pub problems: Vec<EnterpriseImportProblem>,
}

/// What a merge did.
#[derive(SimpleObject)]
pub struct EnterpriseMergeResult {
    /// Enterprises merged (only those whose records changed, unless full).
    pub merged: i32,
    /// Of which the merged identity changed.
    pub changed: i32,
    pub conflicts_opened: i32,
    pub conflicts_resolved: i32,
    /// Tickets opened or given an occurrence.
    pub tickets_reported: i32,
}

/// A field's source order.
pub struct EnterprisePrecedenceRule(pub enterprise_precedence::Model);

#[Object]
impl EnterprisePrecedenceRule {
    async fn field(&self) -> async_graphql::Result<EnterpriseField> {
        field_of(&self.0.field)
    }
    /// Configured sources, highest first (unlisted ones follow in the default order).
    async fn sources(&self) -> async_graphql::Result<Vec<EnterpriseSource>> {
        let names: Vec<String> = serde_json::from_str(&self.0.sources).unwrap_or_default();
        names.iter().map(|s| source_of(s)).collect()
    }
    /// Coordinates: distance within which sources agree, metres (default 500).
    async fn tolerance_meters(&self) -> Option<f64> {
        self.0.tolerance_m
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn updated_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.updated_by).await
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Filters of the enterprise list.
#[derive(InputObject, Default)]
pub struct EnterpriseFilterInput {
    /// Name or credit code contains.
    pub search: Option<String>,
    /// Only suspect (true) or valid (false) credit codes.
    pub suspect: Option<bool>,
    /// Only with (true) or without (false) open conflicts.
    pub has_conflicts: Option<bool>,
}

fn n(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Enterprise queries.
#[derive(Default)]
pub struct EnterpriseQuery;

#[Object]
impl EnterpriseQuery {
    /// One enterprise's whole file by credit code.
    async fn enterprise(&self, ctx: &Context<'_>, credit_code: String) -> async_graphql::Result<Enterprise> {
        Ok(Enterprise(
            svc::get(core(ctx)?, actor(ctx)?, &credit_code)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Enterprises by credit code (Relay connection, at most 200 per page).
    async fn enterprises(
        &self,
        ctx: &Context<'_>,
        filter: Option<EnterpriseFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, Enterprise, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let f = filter.unwrap_or_default();
        let filter = EnterpriseFilter {
            search: f.search,
            suspect: f.suspect,
            has_conflicts: f.has_conflicts,
        };
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::list(&c, &a, &filter, page).await?;
            Ok((rows.into_iter().map(Enterprise).collect(), total))
        })
        .await
    }

    /// The configured source precedence per field.
    async fn enterprise_precedence(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EnterprisePrecedenceRule>> {
        Ok(svc::precedence_rules(core(ctx)?, actor(ctx)?)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(EnterprisePrecedenceRule)
            .collect())
    }

    /// Enterprises whose records changed since their last merge.
    async fn enterprises_pending_merge(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let n = svc::dirty_count(core(ctx)?, actor(ctx)?).await.map_err(ApiError)?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Enterprise mutations.
#[derive(Default)]
pub struct EnterpriseMutation;

#[Object]
impl EnterpriseMutation {
    /// Imports a batch of records of one source (at most 10,000). All or nothing: with any bad
    /// row nothing is written and every problem is returned; unchanged records are not written.
    async fn import_enterprise_records(
        &self,
        ctx: &Context<'_>,
        source: EnterpriseSource,
        records: Vec<EnterpriseRecordInput>,
    ) -> async_graphql::Result<EnterpriseImportResult> {
        let rows: Vec<RawRecord> = records.into_iter().map(Into::into).collect();
        let o = svc::import(core(ctx)?, actor(ctx)?, source.into(), &rows)
            .await
            .map_err(ApiError)?;
        Ok(EnterpriseImportResult {
            applied: o.applied,
            received: n(o.received),
            created: n(o.created),
            updated: n(o.updated),
            unchanged: n(o.unchanged),
            dirty: n(o.dirty),
            suspect_codes: o.suspect_codes,
            problems: o
                .problems
                .into_iter()
                .map(|p| EnterpriseImportProblem {
                    row: n(p.row),
                    field: p.field,
                    message: p.message,
                })
                .collect(),
        })
    }

    /// Merges the enterprises whose records changed (all of them with `full: true`).
    async fn merge_enterprises(
        &self,
        ctx: &Context<'_>,
        full: Option<bool>,
    ) -> async_graphql::Result<EnterpriseMergeResult> {
        let o = svc::merge(core(ctx)?, actor(ctx)?, full.unwrap_or(false))
            .await
            .map_err(ApiError)?;
        Ok(EnterpriseMergeResult {
            merged: n(o.merged),
            changed: n(o.changed),
            conflicts_opened: n(o.conflicts_opened),
            conflicts_resolved: n(o.conflicts_resolved),
            tickets_reported: n(o.tickets_reported),
        })
    }

    /// Sets a field's source order (and for coordinates the tolerance in metres); the next
    /// merge applies it to every enterprise.
    async fn set_enterprise_precedence(
        &self,
        ctx: &Context<'_>,
        field: EnterpriseField,
        sources: Vec<EnterpriseSource>,
        tolerance_meters: Option<f64>,
    ) -> async_graphql::Result<EnterprisePrecedenceRule> {
        let sources: Vec<Source> = sources.into_iter().map(Into::into).collect();
        let m = svc::set_precedence(core(ctx)?, actor(ctx)?, field.into(), &sources, tolerance_meters)
            .await
            .map_err(ApiError)?;
        Ok(EnterprisePrecedenceRule(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for s in Source::ALL {
            assert_eq!(Source::from(EnterpriseSource::from(s)), s);
        }
        for f in Field::ALL {
            assert_eq!(Field::from(EnterpriseField::from(f)), f);
        }
    }
}
