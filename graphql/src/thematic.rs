//! Thematic data checks in the schema: meteorological QC (气象数据质量核查) and air-quality
//! consistency (口径不一致) over catalog datasets — definitions, runs, station-day summaries,
//! flagged values, mismatching hours, and an AQI calculator.
//!
//! Reads need `ViewQuality`; definitions and thresholds are written with `ManageQualityRules`;
//! runs need `RunQuality`. Lists are Relay connections over offset pages.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use ecogov_domain::Error;
use ecogov_domain::air::{Aqi, Pollutant};
use ecogov_domain::entity::{air_check_result, met_qc_day, met_qc_flag, thematic_check, thematic_run};
use ecogov_domain::met::{Element, QcConfig};
use ecogov_domain::service::thematic::{self as svc, DefinitionInput, Kind, RunFilter};
use ecogov_domain::service::{air_check, met_qc};

use crate::error::ApiError;
use crate::query::{actor, core, paginate, parse_id};
use crate::types::{User, load_user};

/// Which thematic check a definition is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ThematicCheckKind {
    /// 气象数据质量核查
    MetQc,
    /// 空气质量口径一致性检查
    AirConsistency,
}

impl From<ThematicCheckKind> for Kind {
    fn from(k: ThematicCheckKind) -> Self {
        match k {
            ThematicCheckKind::MetQc => Kind::MetQc,
            ThematicCheckKind::AirConsistency => Kind::AirConsistency,
        }
    }
}

impl From<Kind> for ThematicCheckKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::MetQc => ThematicCheckKind::MetQc,
            Kind::AirConsistency => ThematicCheckKind::AirConsistency,
        }
    }
}

/// Where a run stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ThematicRunStatus {
    /// In progress.
    Running,
    /// Checked.
    Done,
    /// The source could not be read.
    Error,
}

/// The common part of a definition.
#[derive(InputObject)]
pub struct ThematicCheckInput {
    /// 1-64 of `[A-Za-z0-9_.-]`; fixed after creation.
    pub code: String,
    /// Name.
    pub name: String,
    /// The catalog resource whose dataset is checked.
    pub resource_id: ID,
    /// One of the resource's bound tables (`source.table`); none: its only one.
    pub bound_table: Option<String>,
}

impl ThematicCheckInput {
    fn into_domain(self) -> async_graphql::Result<DefinitionInput> {
        Ok(DefinitionInput {
            code: self.code,
            name: self.name,
            resource_id: parse_id("resourceId", &self.resource_id)?,
            bound_table: self.bound_table,
        })
    }
}

/// Which columns of a meteorological dataset hold what (hourly surface observations).
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "MetQcMappingInput")]
pub struct MetQcMapping {
    /// Station identifier column.
    pub station: String,
    /// Observation time column (end of the hour).
    pub time: String,
    /// IANA zone of naive times (default: the data source's).
    pub time_zone: Option<String>,
    /// 气温 °C.
    pub temperature: String,
    /// 露点温度 °C.
    pub dew_point: String,
    /// 相对湿度 %.
    pub relative_humidity: String,
    /// 气压 hPa.
    pub pressure: String,
    /// 风速 m/s.
    pub wind_speed: String,
    /// 风向 °.
    pub wind_direction: String,
    /// 降水量 mm.
    pub precipitation: String,
}

impl From<MetQcMapping> for met_qc::MetMapping {
    fn from(m: MetQcMapping) -> Self {
        met_qc::MetMapping {
            station: m.station,
            time: m.time,
            time_zone: m.time_zone,
            temperature: m.temperature,
            dew_point: m.dew_point,
            relative_humidity: m.relative_humidity,
            pressure: m.pressure,
            wind_speed: m.wind_speed,
            wind_direction: m.wind_direction,
            precipitation: m.precipitation,
        }
    }
}

impl From<met_qc::MetMapping> for MetQcMapping {
    fn from(m: met_qc::MetMapping) -> Self {
        MetQcMapping {
            station: m.station,
            time: m.time,
            time_zone: m.time_zone,
            temperature: m.temperature,
            dew_point: m.dew_point,
            relative_humidity: m.relative_humidity,
            pressure: m.pressure,
            wind_speed: m.wind_speed,
            wind_direction: m.wind_direction,
            precipitation: m.precipitation,
        }
    }
}

/// Which columns of an hourly air-quality dataset hold what.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "AirCheckMappingInput")]
pub struct AirCheckMapping {
    /// Station identifier column.
    pub station: String,
    /// Hour label column (end of the averaging hour).
    pub time: String,
    /// IANA zone of naive times (default: the data source's).
    pub time_zone: Option<String>,
    /// SO2 1-hour mean µg/m³.
    pub so2: String,
    /// NO2 1-hour mean µg/m³.
    pub no2: String,
    /// PM10 1-hour mean µg/m³.
    pub pm10: String,
    /// CO 1-hour mean mg/m³.
    pub co: String,
    /// O3 1-hour mean µg/m³.
    pub o3: String,
    /// PM2.5 1-hour mean µg/m³.
    pub pm25: String,
    /// SO2 24-hour mean ending with the hour (used above 800 µg/m³ of SO2 1h), optional.
    #[graphql(name = "so2_24h")]
    pub so2_24h: Option<String>,
    /// Reported AQI column.
    pub aqi: String,
    /// Reported primary pollutant column.
    pub primary: String,
}

impl From<AirCheckMapping> for air_check::AirMapping {
    fn from(m: AirCheckMapping) -> Self {
        air_check::AirMapping {
            station: m.station,
            time: m.time,
            time_zone: m.time_zone,
            so2: m.so2,
            no2: m.no2,
            pm10: m.pm10,
            co: m.co,
            o3: m.o3,
            pm25: m.pm25,
            so2_24h: m.so2_24h,
            aqi: m.aqi,
            primary: m.primary,
        }
    }
}

impl From<air_check::AirMapping> for AirCheckMapping {
    fn from(m: air_check::AirMapping) -> Self {
        AirCheckMapping {
            station: m.station,
            time: m.time,
            time_zone: m.time_zone,
            so2: m.so2,
            no2: m.no2,
            pm10: m.pm10,
            co: m.co,
            o3: m.o3,
            pm25: m.pm25,
            so2_24h: m.so2_24h,
            aqi: m.aqi,
            primary: m.primary,
        }
    }
}

/// A thematic check definition.
pub struct ThematicCheck(pub thematic_check::Model);

impl ThematicCheck {
    fn domain_kind(&self) -> async_graphql::Result<Kind> {
        Ok(Kind::parse(&self.0.kind).map_err(ApiError)?)
    }
}

#[Object]
impl ThematicCheck {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn kind(&self) -> async_graphql::Result<ThematicCheckKind> {
        Ok(self.domain_kind()?.into())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The catalog resource checked.
    async fn resource_id(&self) -> ID {
        ID(self.0.resource_id.to_string())
    }
    /// The bound table read (`source.table`).
    async fn bound_table(&self) -> &str {
        &self.0.bound_table
    }
    /// The column mapping of a met QC definition.
    async fn met_mapping(&self) -> async_graphql::Result<Option<MetQcMapping>> {
        if self.domain_kind()? != Kind::MetQc {
            return Ok(None);
        }
        Ok(Some(met_qc::mapping_of(&self.0).map_err(ApiError)?.into()))
    }
    /// The column mapping of an air consistency definition.
    async fn air_mapping(&self) -> async_graphql::Result<Option<AirCheckMapping>> {
        if self.domain_kind()? != Kind::AirConsistency {
            return Ok(None);
        }
        Ok(Some(air_check::mapping_of(&self.0).map_err(ApiError)?.into()))
    }
    /// The QC thresholds of a met QC definition (the engine's `QcConfig` as JSON).
    async fn met_config(&self) -> async_graphql::Result<Option<Json<serde_json::Value>>> {
        if self.domain_kind()? != Kind::MetQc {
            return Ok(None);
        }
        Ok(Some(Json(
            serde_json::from_str(&self.0.config).map_err(|e| ApiError(Error::Internal(e.to_string())))?,
        )))
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Send as `expectedVersion` with the next change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One run of a thematic check.
pub struct ThematicRun(pub thematic_run::Model);

#[Object]
impl ThematicRun {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<ThematicCheck> {
        Ok(ThematicCheck(
            svc::get(core(ctx)?, actor(ctx)?, self.0.check_id)
                .await
                .map_err(ApiError)?,
        ))
    }
    async fn kind(&self) -> async_graphql::Result<ThematicCheckKind> {
        Ok(Kind::parse(&self.0.kind).map_err(ApiError)?.into())
    }
    async fn status(&self) -> ThematicRunStatus {
        match self.0.status.as_str() {
            "running" => ThematicRunStatus::Running,
            "done" => ThematicRunStatus::Done,
            _ => ThematicRunStatus::Error,
        }
    }
    async fn run_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.run_by).await
    }
    /// The definition's version used.
    async fn check_version(&self) -> i32 {
        self.0.check_version
    }
    /// First day (Asia/Shanghai).
    async fn from_date(&self) -> &str {
        &self.0.from_date
    }
    /// Last day, included.
    async fn to_date(&self) -> &str {
        &self.0.to_date
    }
    /// Records read in the range.
    async fn records(&self) -> i64 {
        self.0.records
    }
    async fn stations(&self) -> i64 {
        self.0.stations
    }
    /// Met QC: values flagged 1 (可疑).
    async fn suspect(&self) -> i64 {
        self.0.suspect
    }
    /// Met QC: values flagged 2 (错误).
    async fn wrong(&self) -> i64 {
        self.0.wrong
    }
    /// Met QC: values flagged 8 (缺测), absent hours included.
    async fn missing(&self) -> i64 {
        self.0.missing
    }
    /// Met QC: values flagged 9 (未检查).
    async fn not_checked(&self) -> i64 {
        self.0.not_checked
    }
    /// Met QC: flagged values stored.
    async fn flags_stored(&self) -> i64 {
        self.0.flags_stored
    }
    /// Met QC: station-days summarised.
    async fn days_total(&self) -> i64 {
        self.0.days
    }
    /// Air: hours whose report matches.
    async fn consistent(&self) -> i64 {
        self.0.consistent
    }
    /// Air: hours whose report does not match (口径不一致).
    async fn inconsistent(&self) -> i64 {
        self.0.inconsistent
    }
    /// Air: hours without a usable concentration.
    async fn unverifiable(&self) -> i64 {
        self.0.unverifiable
    }
    /// Met QC: findings by station, check and element; air: stations with mismatches.
    async fn findings(&self) -> i64 {
        self.0.findings
    }
    /// Station tickets opened or added to (or 1 for a collection failure).
    async fn tickets(&self) -> i64 {
        self.0.tickets
    }
    /// Why the run failed, or notes on rows that could not be read as they are.
    async fn note(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Met QC: station-day summaries by station and date (Relay connection, at most 200 per page).
    async fn days(
        &self,
        ctx: &Context<'_>,
        station: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, MetQcDay, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let id = self.0.id;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = met_qc::days(&c, &a, id, station.as_deref(), page).await?;
            Ok((rows.into_iter().map(MetQcDay).collect(), total))
        })
        .await
    }
    /// Met QC: every value flagged 1, 2, 8 or 9, by station, hour and element (Relay
    /// connection, at most 200 per page).
    async fn flags(
        &self,
        ctx: &Context<'_>,
        station: Option<String>,
        flag: Option<i32>,
        element: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, MetQcFlag, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let element = match element.as_deref().map(str::trim) {
            None => None,
            Some(code) => Some(
                Element::ALL
                    .into_iter()
                    .find(|e| e.code() == code)
                    .ok_or_else(|| ApiError(Error::invalid("element", format!("要素代码无效：{code}"))))?,
            ),
        };
        let flag = match flag {
            None => None,
            Some(f @ (1 | 2 | 8 | 9)) => u8::try_from(f).ok(),
            Some(_) => return Err(ApiError(Error::invalid("flag", "质控码须为 1、2、8 或 9")).into()),
        };
        let filter = met_qc::FlagFilter { station, flag, element };
        let id = self.0.id;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = met_qc::flags(&c, &a, id, &filter, page).await?;
            Ok((rows.into_iter().map(MetQcFlag).collect(), total))
        })
        .await
    }
    /// Air: the hours whose report does not match or could not be recomputed, by station and
    /// hour (Relay connection, at most 200 per page).
    async fn air_results(
        &self,
        ctx: &Context<'_>,
        station: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, AirCheckResult, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let id = self.0.id;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = air_check::results(&c, &a, id, station.as_deref(), page).await?;
            Ok((rows.into_iter().map(AirCheckResult).collect(), total))
        })
        .await
    }
}

/// One station-day of a met QC run.
pub struct MetQcDay(pub met_qc_day::Model);

#[Object]
impl MetQcDay {
    async fn station(&self) -> &str {
        &self.0.station
    }
    /// The reporting day (Beijing time by default).
    async fn date(&self) -> &str {
        &self.0.date
    }
    async fn expected_hours(&self) -> i32 {
        self.0.expected_hours
    }
    async fn present_hours(&self) -> i32 {
        self.0.present_hours
    }
    async fn missing_hours(&self) -> i32 {
        self.0.missing_hours
    }
    /// Values flagged 1 over all elements.
    async fn suspect(&self) -> i32 {
        self.0.suspect
    }
    /// Values flagged 2 over all elements.
    async fn wrong(&self) -> i32 {
        self.0.wrong
    }
    /// Values flagged 8 over all elements (absent hours included).
    async fn missing(&self) -> i32 {
        self.0.missing
    }
    /// Flag counts per element.
    async fn counts(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.counts).unwrap_or_default())
    }
}

/// One value with a non-zero QC flag.
pub struct MetQcFlag(pub met_qc_flag::Model);

#[Object]
impl MetQcFlag {
    async fn station(&self) -> &str {
        &self.0.station
    }
    /// The start of the observation's hour (UTC).
    async fn observed_at(&self) -> DateTime<Utc> {
        self.0.observed_at
    }
    /// Element code (`temperature`, `dew_point`, …).
    async fn element(&self) -> &str {
        &self.0.element
    }
    /// The element's Chinese name.
    async fn element_name(&self) -> &str {
        Element::ALL
            .into_iter()
            .find(|e| e.code() == self.0.element)
            .map(Element::zh)
            .unwrap_or_default()
    }
    /// The value as read (none when missing).
    async fn value(&self) -> Option<f64> {
        self.0.value
    }
    /// 1 可疑, 2 错误, 8 缺测, 9 未检查.
    async fn flag(&self) -> i32 {
        i32::from(self.0.flag)
    }
    /// The check's code (`climate_limit`, `persistence`, …; empty for flag 9).
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// The reason in Chinese.
    async fn reason_zh(&self) -> &str {
        &self.0.reason_zh
    }
}

/// One station-hour whose report does not match its concentrations.
pub struct AirCheckResult(pub air_check_result::Model);

#[Object]
impl AirCheckResult {
    async fn station(&self) -> &str {
        &self.0.station
    }
    /// The hour's label (end of the hour), UTC.
    async fn observed_at(&self) -> DateTime<Utc> {
        self.0.observed_at
    }
    /// `HJ 633-2012` or `HJ 633-2026`.
    async fn standard(&self) -> &str {
        &self.0.standard
    }
    /// `inconsistent` (口径不一致) or `unverifiable` (无法重算).
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn reported_aqi(&self) -> Option<i32> {
        self.0.reported_aqi
    }
    async fn reported_primary(&self) -> &str {
        &self.0.reported_primary
    }
    async fn computed_aqi(&self) -> Option<i32> {
        self.0.computed_aqi
    }
    /// Recomputed primary pollutant(s), `—` when the AQI is 50 or less.
    async fn computed_primary(&self) -> &str {
        &self.0.computed_primary
    }
    /// The Chinese reason.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
}

/// One pollutant's sub-index.
#[derive(SimpleObject)]
pub struct SubIndexValue {
    /// `SO2`, `NO2`, `PM10`, `CO`, `O3`, `PM2.5`.
    pub pollutant: String,
    /// The IAQI (rounded up).
    pub iaqi: i32,
    /// The concentration was above the table's top breakpoint.
    pub beyond_scale: bool,
}

/// An hourly AQI computed from concentrations.
#[derive(SimpleObject)]
pub struct AqiResult {
    /// `HJ 633-2012` or `HJ 633-2026`.
    pub standard: String,
    /// The AQI (none without any concentration).
    pub aqi: Option<i32>,
    /// 优, 良, 轻度污染, 中度污染, 重度污染, 严重污染.
    pub category: Option<String>,
    /// 1..6.
    pub level: Option<i32>,
    /// Primary pollutant codes (empty when the AQI is 50 or less).
    pub primary: Vec<String>,
    /// Sub-indices of the pollutants given.
    pub sub_indices: Vec<SubIndexValue>,
    /// Pollutants without a sub-index.
    pub missing: Vec<String>,
}

impl From<Aqi> for AqiResult {
    fn from(a: Aqi) -> Self {
        AqiResult {
            standard: a.standard().code().to_owned(),
            aqi: a.value().map(i32::from),
            category: a.category().map(|c| c.name_zh().to_owned()),
            level: a.category().map(|c| i32::from(c.level())),
            primary: a.primary().iter().map(|p| p.code().to_owned()).collect(),
            sub_indices: Pollutant::ALL
                .into_iter()
                .filter_map(|p| {
                    a.iaqi(p).map(|i| SubIndexValue {
                        pollutant: p.code().to_owned(),
                        iaqi: i32::from(i.value()),
                        beyond_scale: i.is_beyond_scale(),
                    })
                })
                .collect(),
            missing: a.missing().iter().map(|p| p.code().to_owned()).collect(),
        }
    }
}

/// Hourly concentrations for the AQI calculator.
#[derive(InputObject)]
pub struct HourlyConcentrationsInput {
    /// The hour's label (end of the hour); chooses HJ 633-2012 or -2026.
    pub hour: DateTime<Utc>,
    /// SO2 1h µg/m³.
    pub so2: Option<f64>,
    /// NO2 1h µg/m³.
    pub no2: Option<f64>,
    /// PM10 1h µg/m³.
    pub pm10: Option<f64>,
    /// CO 1h mg/m³.
    pub co: Option<f64>,
    /// O3 1h µg/m³.
    pub o3: Option<f64>,
    /// PM2.5 1h µg/m³.
    pub pm25: Option<f64>,
    /// SO2 24h µg/m³ (used only above 800 µg/m³ of SO2 1h).
    #[graphql(name = "so2_24h")]
    pub so2_24h: Option<f64>,
}

/// Thematic check queries.
#[derive(Default)]
pub struct ThematicQuery;

#[Object]
impl ThematicQuery {
    /// One thematic check by id or code.
    async fn thematic_check(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> async_graphql::Result<ThematicCheck> {
        let (a, c) = (actor(ctx)?, core(ctx)?);
        let m = match (id, code) {
            (Some(id), _) => svc::get(c, a, parse_id("id", &id)?).await,
            (None, Some(code)) => svc::get_by_code(c, a, &code).await,
            (None, None) => Err(Error::MissingField("id")),
        };
        Ok(ThematicCheck(m.map_err(ApiError)?))
    }

    /// Thematic checks by code, optionally of one kind (Relay connection, at most 200 per page).
    async fn thematic_checks(
        &self,
        ctx: &Context<'_>,
        kind: Option<ThematicCheckKind>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, ThematicCheck, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::list(&c, &a, kind.map(Into::into), page).await?;
            Ok((rows.into_iter().map(ThematicCheck).collect(), total))
        })
        .await
    }

    /// Runs, newest first, optionally of one check or kind (Relay connection, at most 200 per page).
    async fn thematic_runs(
        &self,
        ctx: &Context<'_>,
        check_id: Option<ID>,
        kind: Option<ThematicCheckKind>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, ThematicRun, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let filter = RunFilter {
            check_id: check_id.as_ref().map(|i| parse_id("checkId", i)).transpose()?,
            kind: kind.map(Into::into),
        };
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::runs(&c, &a, &filter, page).await?;
            Ok((rows.into_iter().map(ThematicRun).collect(), total))
        })
        .await
    }

    /// One run.
    async fn thematic_run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ThematicRun> {
        Ok(ThematicRun(
            svc::get_run(core(ctx)?, actor(ctx)?, parse_id("id", &id)?)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// The met QC engine's default thresholds (a starting point for `setMetQcConfig`).
    async fn met_qc_default_config(&self, ctx: &Context<'_>) -> async_graphql::Result<Json<serde_json::Value>> {
        actor(ctx)?
            .require(ecogov_domain::role::Operation::ViewQuality)
            .map_err(ApiError)?;
        Ok(Json(
            serde_json::to_value(QcConfig::default()).map_err(|e| ApiError(Error::Internal(e.to_string())))?,
        ))
    }

    /// The hourly AQI, IAQIs and primary pollutant of given concentrations (HJ 633 edition by
    /// the hour), for checking a value by hand.
    async fn compute_aqi(
        &self,
        ctx: &Context<'_>,
        input: HourlyConcentrationsInput,
    ) -> async_graphql::Result<AqiResult> {
        let a = air_check::compute_hourly(
            actor(ctx)?,
            input.hour,
            [
                input.so2,
                input.no2,
                input.pm10,
                input.co,
                input.o3,
                input.pm25,
                input.so2_24h,
            ],
        )
        .map_err(ApiError)?;
        Ok(a.into())
    }
}

/// Thematic check mutations.
#[derive(Default)]
pub struct ThematicMutation;

#[Object]
impl ThematicMutation {
    /// Creates a met QC definition (version 1); without `config` the engine's defaults.
    async fn create_met_qc_check(
        &self,
        ctx: &Context<'_>,
        input: ThematicCheckInput,
        mapping: MetQcMapping,
        config: Option<Json<serde_json::Value>>,
    ) -> async_graphql::Result<ThematicCheck> {
        let m = met_qc::create(
            core(ctx)?,
            actor(ctx)?,
            input.into_domain()?,
            mapping.into(),
            config.map(|j| j.0),
        )
        .await
        .map_err(ApiError)?;
        Ok(ThematicCheck(m))
    }

    /// Replaces a met QC definition's name, resource, table and mapping (a new version).
    async fn update_met_qc_check(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ThematicCheckInput,
        mapping: MetQcMapping,
    ) -> async_graphql::Result<ThematicCheck> {
        let m = met_qc::update(
            core(ctx)?,
            actor(ctx)?,
            parse_id("id", &id)?,
            expected_version,
            input.into_domain()?,
            mapping.into(),
        )
        .await
        .map_err(ApiError)?;
        Ok(ThematicCheck(m))
    }

    /// Replaces a met QC definition's thresholds whole (climatological limits, station
    /// extremes, step, persistence, consistency, completeness; a new version).
    async fn set_met_qc_config(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        config: Json<serde_json::Value>,
    ) -> async_graphql::Result<ThematicCheck> {
        let m = met_qc::set_config(
            core(ctx)?,
            actor(ctx)?,
            parse_id("id", &id)?,
            expected_version,
            config.0,
        )
        .await
        .map_err(ApiError)?;
        Ok(ThematicCheck(m))
    }

    /// Creates an air consistency definition (version 1).
    async fn create_air_check(
        &self,
        ctx: &Context<'_>,
        input: ThematicCheckInput,
        mapping: AirCheckMapping,
    ) -> async_graphql::Result<ThematicCheck> {
        let m = air_check::create(core(ctx)?, actor(ctx)?, input.into_domain()?, mapping.into())
            .await
            .map_err(ApiError)?;
        Ok(ThematicCheck(m))
    }

    /// Replaces an air consistency definition's name, resource, table and mapping.
    async fn update_air_check(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ThematicCheckInput,
        mapping: AirCheckMapping,
    ) -> async_graphql::Result<ThematicCheck> {
        let m = air_check::update(
            core(ctx)?,
            actor(ctx)?,
            parse_id("id", &id)?,
            expected_version,
            input.into_domain()?,
            mapping.into(),
        )
        .await
        .map_err(ApiError)?;
        Ok(ThematicCheck(m))
    }

    /// Enables or disables a thematic check.
    async fn set_thematic_check_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
        expected_version: i32,
    ) -> async_graphql::Result<ThematicCheck> {
        let m = svc::set_enabled(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, expected_version, enabled)
            .await
            .map_err(ApiError)?;
        Ok(ThematicCheck(m))
    }

    /// Runs met QC over whole days `from`..=`to` (`YYYY-MM-DD`, Asia/Shanghai) now.
    async fn run_met_qc(
        &self,
        ctx: &Context<'_>,
        id: ID,
        from: String,
        to: String,
    ) -> async_graphql::Result<ThematicRun> {
        let m = met_qc::run(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, &from, &to)
            .await
            .map_err(ApiError)?;
        Ok(ThematicRun(m))
    }

    /// Runs the air consistency check over the hours starting in days `from`..=`to`
    /// (`YYYY-MM-DD`, Asia/Shanghai) now.
    async fn run_air_check(
        &self,
        ctx: &Context<'_>,
        id: ID,
        from: String,
        to: String,
    ) -> async_graphql::Result<ThematicRun> {
        let m = air_check::run(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, &from, &to)
            .await
            .map_err(ApiError)?;
        Ok(ThematicRun(m))
    }
}
