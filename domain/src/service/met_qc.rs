//! Meteorological data QC (气象数据质量核查) over a catalog dataset: definitions with their
//! column mapping and thresholds, runs over a date range, per station-day summaries, every
//! non-zero flag with its reason, and tickets by station.
//!
//! - The thresholds are data: a [`QcConfig`] stored as JSON with the definition, defaulting to
//!   the engine's defaults, checked by [`QcConfig::validate`] when saved (a refused one changes
//!   nothing) and versioned with the definition (`expectedVersion`, audited before/after).
//! - A run reads the seven elements of every station for whole Asia/Shanghai days, checks each
//!   station's series with the engine and stores the run's counts, its station-days and each
//!   value flagged 1, 2, 8 or 9, in one transaction with the audit event.
//! - Findings open one quality ticket per station (dedup key `metqc:{resource}:{station}`,
//!   department: the resource's provider) listing what was found; while it is open a re-run
//!   adds an occurrence.
//! - Rows whose station or time cannot be read, duplicate station-hours (the first is kept) and
//!   non-numeric values (checked as missing) are counted in the run's note, never dropped
//!   silently.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Change};
use super::thematic::{self, DateRange, DefinitionInput, Kind, parse_number, parse_time};
use super::tickets::{Finding as TicketFinding, Subject, report_finding};
use super::{Actor, Core, Page};
use crate::entity::{met_qc_day, met_qc_flag, thematic_check, thematic_run};
use crate::met::{
    Element, Finding, HourlyObservation, QcConfig, QcConfigError, QcEngine, QcFlag, StationId, StationQc,
    StationSeries, UtcHour, Values,
};
use crate::role::Operation;
use crate::workflow::{Severity, TicketKind};
use crate::{Error, Result};

/// Findings listed in a station's ticket description.
pub const TICKET_LINES: usize = 20;

/// Which columns hold what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetMapping {
    /// Station identifier.
    pub station: String,
    /// Observation time (end of the hour).
    pub time: String,
    /// IANA zone of naive times; none: the data source's.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Air temperature, °C.
    pub temperature: String,
    /// Dew point, °C.
    pub dew_point: String,
    /// Relative humidity, %.
    pub relative_humidity: String,
    /// Pressure, hPa.
    pub pressure: String,
    /// Wind speed, m/s.
    pub wind_speed: String,
    /// Wind direction, degrees.
    pub wind_direction: String,
    /// Precipitation, mm.
    pub precipitation: String,
}

impl MetMapping {
    /// The element columns in [`Element::ALL`] order.
    fn elements(&self) -> [&str; Element::COUNT] {
        [
            &self.temperature,
            &self.dew_point,
            &self.relative_humidity,
            &self.pressure,
            &self.wind_speed,
            &self.wind_direction,
            &self.precipitation,
        ]
    }

    fn named(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("station", self.station.as_str()), ("time", self.time.as_str())];
        for (e, c) in [
            "temperature",
            "dewPoint",
            "relativeHumidity",
            "pressure",
            "windSpeed",
            "windDirection",
            "precipitation",
        ]
        .into_iter()
        .zip(self.elements())
        {
            out.push((e, c));
        }
        out
    }

    fn trimmed(self) -> MetMapping {
        let t = |s: String| s.trim().to_owned();
        MetMapping {
            station: t(self.station),
            time: t(self.time),
            time_zone: self.time_zone,
            temperature: t(self.temperature),
            dew_point: t(self.dew_point),
            relative_humidity: t(self.relative_humidity),
            pressure: t(self.pressure),
            wind_speed: t(self.wind_speed),
            wind_direction: t(self.wind_direction),
            precipitation: t(self.precipitation),
        }
    }
}

/// The Chinese message of a refused configuration.
pub fn config_error_zh(e: &QcConfigError) -> String {
    match e {
        QcConfigError::Range {
            what,
            element,
            min,
            max,
        } => {
            let what = if *what == "station extreme" {
                "台站极值"
            } else {
                "气候学界限值"
            };
            format!("{what}（{element}）范围 {min}..{max} 为空或不是有限数")
        }
        QcConfigError::Threshold { what, value } => format!("{what} 须为非负有限数，实际为 {value}"),
        QcConfigError::ExpectedHours(h) => format!("每日应有观测次数须为 1 到 24，实际为 {h}"),
        QcConfigError::DayOffset(h) => format!("日界时区偏移须为 -12 到 14 小时，实际为 {h}"),
        QcConfigError::Run(e) => format!("{e} 的持续性检查连续次数须至少为 2，且可疑次数小于错误次数"),
    }
}

/// Parses and checks a configuration given as JSON.
pub fn parse_config(value: serde_json::Value) -> Result<QcConfig> {
    let config: QcConfig =
        serde_json::from_value(value).map_err(|e| Error::invalid("config", format!("质控参数格式不正确：{e}")))?;
    config
        .validate()
        .map_err(|e| Error::invalid("config", config_error_zh(&e)))?;
    Ok(config)
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}

/// The stored mapping of a definition.
pub fn mapping_of(m: &thematic_check::Model) -> Result<MetMapping> {
    serde_json::from_str(&m.mapping).map_err(|e| Error::Internal(format!("met mapping: {e}")))
}

/// The stored thresholds of a definition.
pub fn config_of(m: &thematic_check::Model) -> Result<QcConfig> {
    serde_json::from_str(&m.config).map_err(|e| Error::Internal(format!("met config: {e}")))
}

async fn check(
    core: &Core,
    input: DefinitionInput,
    mapping: MetMapping,
) -> Result<(DefinitionInput, String, MetMapping)> {
    let mut mapping = mapping.trimmed();
    mapping.time_zone = thematic::check_time_zone(mapping.time_zone.as_deref())?;
    let (input, table) = thematic::check_common(core, input, &mapping.named()).await?;
    Ok((input, table, mapping))
}

/// Creates a met QC definition (version 1); without a configuration the engine's defaults.
pub async fn create(
    core: &Core,
    actor: &Actor,
    input: DefinitionInput,
    mapping: MetMapping,
    config: Option<serde_json::Value>,
) -> Result<thematic_check::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let config = match config {
        Some(v) => parse_config(v)?,
        None => QcConfig::default(),
    };
    let (input, table, mapping) = check(core, input, mapping).await?;
    thematic::create(
        core,
        actor,
        Kind::MetQc,
        input,
        table,
        to_json(&mapping)?,
        to_json(&config)?,
    )
    .await
}

/// Replaces a definition's name, resource, table and mapping (a new version; the code cannot
/// change; the thresholds stay).
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    input: DefinitionInput,
    mapping: MetMapping,
) -> Result<thematic_check::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let (input, table, mapping) = check(core, input, mapping).await?;
    let mapping = to_json(&mapping)?;
    thematic::write_version(core, actor, Kind::MetQc, id, expected_version, "met_qc.update", |cur| {
        if cur.code != input.code {
            return Err(Error::invalid("code", "编码创建后不能修改"));
        }
        Ok(thematic_check::ActiveModel {
            name: Set(input.name),
            resource_id: Set(input.resource_id),
            bound_table: Set(table),
            mapping: Set(mapping),
            ..Default::default()
        })
    })
    .await
}

/// Replaces a definition's thresholds (a new version, audited with before and after).
pub async fn set_config(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    config: serde_json::Value,
) -> Result<thematic_check::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let config = to_json(&parse_config(config)?)?;
    thematic::write_version(
        core,
        actor,
        Kind::MetQc,
        id,
        expected_version,
        "met_qc.set_config",
        |_| {
            Ok(thematic_check::ActiveModel {
                config: Set(config),
                ..Default::default()
            })
        },
    )
    .await
}

/// What reading and checking found, before it is written.
struct Checked {
    records: i64,
    results: Vec<StationQc>,
    values: BTreeMap<StationId, Vec<Values>>,
    findings: Vec<Finding>,
    notes: Vec<String>,
}

/// Builds the station series from the rows read.
fn series_of(
    rows: &[Vec<Option<String>>],
    tz: chrono_tz::Tz,
    range: DateRange,
) -> (Vec<StationSeries>, i64, Vec<String>) {
    let (start, end) = (UtcHour::containing(range.start()), UtcHour::containing(range.end()));
    let mut by_station: BTreeMap<StationId, Vec<HourlyObservation>> = BTreeMap::new();
    let (mut unreadable, mut duplicates, mut not_numbers, mut records) = (0u64, 0u64, 0u64, 0i64);
    for row in rows {
        let station = row[0].as_deref().map(str::trim).and_then(|s| StationId::parse(s).ok());
        let time = row[1].as_deref().and_then(|t| parse_time(t, tz));
        let (Some(station), Some(time)) = (station, time) else {
            unreadable += 1;
            continue;
        };
        let hour = UtcHour::containing(time);
        if hour < start || hour >= end {
            continue;
        }
        records += 1;
        let mut values = Values::default();
        for e in Element::ALL {
            match parse_number(row[2 + e.index()].as_deref()) {
                Ok(v) => values.set(e, v),
                Err(()) => not_numbers += 1,
            }
        }
        by_station
            .entry(station)
            .or_default()
            .push(HourlyObservation { hour, values });
    }
    let mut series = Vec::with_capacity(by_station.len());
    for (station, mut obs) in by_station {
        obs.sort_by_key(|o| o.hour);
        let before = obs.len();
        obs.dedup_by_key(|o| o.hour);
        duplicates += (before - obs.len()) as u64;
        if let Ok(s) = StationSeries::new(station, obs) {
            series.push(s);
        }
    }
    let mut notes = Vec::new();
    if unreadable > 0 {
        notes.push(format!("{unreadable} 行站点编码或观测时间无法识别，未检查"));
    }
    if duplicates > 0 {
        notes.push(format!("{duplicates} 行与同站同小时的记录重复，按首条检查"));
    }
    if not_numbers > 0 {
        notes.push(format!("{not_numbers} 个值不是数字，按缺测处理"));
    }
    (series, records, notes)
}

fn check_rows(engine: &QcEngine, rows: &[Vec<Option<String>>], tz: chrono_tz::Tz, range: DateRange) -> Checked {
    let (series, records, notes) = series_of(rows, tz, range);
    let results: Vec<StationQc> = series.iter().map(|s| engine.check(s)).collect();
    let findings = engine.findings(&results);
    let values = series
        .iter()
        .map(|s| (s.station().clone(), s.observations().iter().map(|o| o.values).collect()))
        .collect();
    Checked {
        records,
        results,
        values,
        findings,
        notes,
    }
}

/// Runs a definition over whole days `from`..=`to` (Asia/Shanghai) and stores what it found.
#[tracing::instrument(skip_all, fields(check = id, from, to))]
pub async fn run(core: &Core, actor: &Actor, id: i64, from: &str, to: &str) -> Result<thematic_run::Model> {
    actor.require(Operation::RunQuality)?;
    let range = DateRange::parse(from, to)?;
    let def = thematic::get(core, actor, id).await?;
    if def.kind != Kind::MetQc.as_str() {
        return Err(Error::NotFound("thematic_check"));
    }
    let mapping = mapping_of(&def)?;
    let engine = QcEngine::new(config_of(&def)?).map_err(|e| Error::invalid("config", config_error_zh(&e)))?;
    let (resource, department_id) = thematic::resource_and_department(core, &def).await?;
    let run = thematic::start_run(core, actor, &def, range).await?;
    let mut columns = vec![mapping.station.as_str(), mapping.time.as_str()];
    columns.extend(mapping.elements());
    let read = thematic::read_rows(core, &def.bound_table, &columns, mapping.time_zone.as_deref(), range).await;
    let src = match read {
        Ok(src) => src,
        Err(failure) => {
            tracing::warn!(check = %def.code, error = %failure.message, "met QC could not read its source");
            let ticket = thematic::report_unreachable(core, &def, &failure, department_id).await?;
            return thematic::finish_error(core, actor, &def, run, &failure.message, ticket).await;
        }
    };
    let checked = check_rows(&engine, &src.rows, src.tz, range);
    let mut tickets = 0i64;
    let mut by_station: BTreeMap<&StationId, Vec<&Finding>> = BTreeMap::new();
    for f in &checked.findings {
        by_station.entry(&f.station).or_default().push(f);
    }
    for (station, findings) in &by_station {
        report_station(core, &def, &resource, department_id, run.id, station, findings).await?;
        tickets += 1;
    }
    finish(core, actor, &def, run, checked, tickets).await
}

fn dedup_key(resource_code: &str, station: &StationId) -> String {
    format!("metqc:{resource_code}:{station}")
}

/// Opens or adds to a station's ticket.
async fn report_station(
    core: &Core,
    def: &thematic_check::Model,
    resource: &crate::entity::catalog_resource::Model,
    department_id: Option<i64>,
    run_id: i64,
    station: &StationId,
    findings: &[&Finding],
) -> Result<()> {
    let wrong = findings.iter().any(|f| f.flag == QcFlag::Wrong);
    let mut description = format!(
        "气象数据质量核查（{}）发现站点 {station} 有 {} 类问题：",
        def.name,
        findings.len()
    );
    for f in findings.iter().take(TICKET_LINES) {
        description.push('\n');
        description.push_str(&f.summary_zh);
    }
    if findings.len() > TICKET_LINES {
        description.push_str(&format!("\n……另有 {} 类", findings.len() - TICKET_LINES));
    }
    report_finding(
        core,
        TicketFinding {
            kind: TicketKind::QualityIssue,
            source: "met_qc".into(),
            dedup_key: dedup_key(&resource.code, station),
            title: format!("气象数据质量问题：站点 {station}（{}）", resource.name),
            description,
            severity: if wrong { Severity::High } else { Severity::Medium },
            subject: Some(Subject {
                kind: "station".into(),
                id: station.to_string(),
            }),
            department_id,
            detail: json!({
                "run_id": run_id, "thematic_check": def.code, "resource": resource.code,
                "station": station.to_string(), "findings": findings,
            }),
        },
    )
    .await?;
    Ok(())
}

async fn finish(
    core: &Core,
    actor: &Actor,
    def: &thematic_check::Model,
    run: thematic_run::Model,
    checked: Checked,
    tickets: i64,
) -> Result<thematic_run::Model> {
    let mut days = Vec::new();
    let mut flags = Vec::new();
    let (mut suspect, mut wrong, mut missing, mut not_checked) = (0i64, 0i64, 0i64, 0i64);
    for r in &checked.results {
        let station = r.station().to_string();
        let values = checked.values.get(r.station());
        for d in r.days() {
            let (mut s, mut w, mut m) = (0u32, 0u32, 0u32);
            for e in Element::ALL {
                let c = d.counts.get(e);
                s += c.suspect;
                w += c.wrong;
                m += c.missing;
                not_checked += i64::from(c.not_checked);
            }
            suspect += i64::from(s);
            wrong += i64::from(w);
            missing += i64::from(m);
            days.push(met_qc_day::ActiveModel {
                run_id: Set(run.id),
                station: Set(station.clone()),
                date: Set(d.date.to_string()),
                expected_hours: Set(i32::from(d.expected_hours)),
                present_hours: Set(i32::from(d.present_hours)),
                missing_hours: Set(i32::from(d.missing_hours)),
                suspect: Set(i32::try_from(s).unwrap_or(i32::MAX)),
                wrong: Set(i32::try_from(w).unwrap_or(i32::MAX)),
                missing: Set(i32::try_from(m).unwrap_or(i32::MAX)),
                counts: Set(to_json(&d.counts)?),
                ..Default::default()
            });
        }
        for (i, (hour, fl)) in r.hours().iter().zip(r.flags()).enumerate() {
            for e in Element::ALL {
                let v = fl[e.index()];
                if v.flag == QcFlag::Correct {
                    continue;
                }
                let observed_at: DateTime<Utc> = hour.start();
                flags.push(met_qc_flag::ActiveModel {
                    run_id: Set(run.id),
                    station: Set(station.clone()),
                    observed_at: Set(observed_at),
                    element: Set(e.code().to_owned()),
                    value: Set(values.and_then(|vs| vs.get(i)).and_then(|x| x.get(e))),
                    flag: Set(i16::from(v.flag.code())),
                    reason: Set(v.reason.map(|c| c.code()).unwrap_or_default().to_owned()),
                    reason_zh: Set(v
                        .reason
                        .map(|c| c.zh())
                        .unwrap_or("未检查（该要素无适用的检查）")
                        .to_owned()),
                    ..Default::default()
                });
            }
        }
    }
    let now = core.now();
    let txn = core.begin().await?;
    for chunk in days.chunks(500) {
        met_qc_day::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    for chunk in flags.chunks(500) {
        met_qc_flag::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let note = (!checked.notes.is_empty()).then(|| checked.notes.join("；"));
    let mut am: thematic_run::ActiveModel = run.into();
    am.status = Set("done".into());
    am.records = Set(checked.records);
    am.stations = Set(checked.results.len() as i64);
    am.suspect = Set(suspect);
    am.wrong = Set(wrong);
    am.missing = Set(missing);
    am.not_checked = Set(not_checked);
    am.flags_stored = Set(flags.len() as i64);
    am.days = Set(days.len() as i64);
    am.findings = Set(checked.findings.len() as i64);
    am.tickets = Set(tickets);
    am.error = Set(note);
    am.finished_at = Set(Some(now));
    let run = sea_orm::ActiveModelTrait::update(am, &txn).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "thematic_check.run",
            subject_type: "thematic_check",
            subject_id: def.code.clone(),
            before: None,
            after: Some(json!({
                "run_id": run.id, "kind": run.kind, "status": run.status, "from": run.from_date,
                "to": run.to_date, "records": run.records, "stations": run.stations,
                "suspect": run.suspect, "wrong": run.wrong, "missing": run.missing,
                "findings": run.findings, "tickets": run.tickets, "note": run.error,
                "check_version": run.check_version,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(run)
}

/// Filters of a run's flags.
#[derive(Debug, Clone, Default)]
pub struct FlagFilter {
    /// Only this station.
    pub station: Option<String>,
    /// Only this flag (1, 2, 8, 9).
    pub flag: Option<u8>,
    /// Only this element.
    pub element: Option<Element>,
}

/// A run's flagged values by station, hour and element.
pub async fn flags(
    core: &Core,
    actor: &Actor,
    run_id: i64,
    filter: &FlagFilter,
    page: Page,
) -> Result<(Vec<met_qc_flag::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = met_qc_flag::Entity::find().filter(met_qc_flag::Column::RunId.eq(run_id));
    if let Some(s) = &filter.station {
        q = q.filter(met_qc_flag::Column::Station.eq(s.trim()));
    }
    if let Some(f) = filter.flag {
        q = q.filter(met_qc_flag::Column::Flag.eq(i16::from(f)));
    }
    if let Some(e) = filter.element {
        q = q.filter(met_qc_flag::Column::Element.eq(e.code()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(met_qc_flag::Column::Station)
        .order_by_asc(met_qc_flag::Column::ObservedAt)
        .order_by_asc(met_qc_flag::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// A run's station-days by station and date.
pub async fn days(
    core: &Core,
    actor: &Actor,
    run_id: i64,
    station: Option<&str>,
    page: Page,
) -> Result<(Vec<met_qc_day::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = met_qc_day::Entity::find().filter(met_qc_day::Column::RunId.eq(run_id));
    if let Some(s) = station {
        q = q.filter(met_qc_day::Column::Station.eq(s.trim()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(met_qc_day::Column::Station)
        .order_by_asc(met_qc_day::Column::Date)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}
