//! The air-quality consistency check (口径不一致) over any air dataset: reported hourly AQI and
//! primary pollutant against the ones recomputed from the concentrations with HJ 633 (the 2012
//! breakpoints for hours that start before 2026-03-01 00:00 Asia/Shanghai, the 2026 ones
//! after), stored per run, with tickets by station.
//!
//! - The time column labels an hour by its end (the value “01:00” covers 00:00–01:00), as the
//!   national release does; the edition is chosen by the hour's start.
//! - PM10 and PM2.5 hourly values are looked up in the 24-hour tables; SO2 above 800 µg/m³ uses
//!   the 24-hour mean when a column for it is mapped (see [`crate::air::aqi`]).
//! - Every hour that does not match (or has no usable concentration) is stored with its
//!   Chinese reason; mismatches open one quality ticket per station (dedup key
//!   `aircheck:{resource}:{station}`, department: the resource's provider). Hours without any
//!   concentration are stored as unverifiable and open no ticket.
//! - A negative or non-numeric concentration is unusable (the pollutant is missing for that
//!   hour); a missing or non-integer reported AQI is a mismatch.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Change};
use super::thematic::{self, DateRange, DefinitionInput, Kind, parse_number, parse_time};
use super::tickets::{Finding as TicketFinding, Subject, report_finding};
use super::{Actor, Core, Page};
use crate::air::{Aqi, AqiStandard, Concentration, Consistency, HourlyConcentrations, Reported, check_hourly};
use crate::entity::{air_check_result, thematic_check, thematic_run};
use crate::role::Operation;
use crate::workflow::{Severity, TicketKind};
use crate::{Error, Result};

/// Mismatching hours listed in a station's ticket description.
pub const TICKET_LINES: usize = 20;

/// Which columns hold what (hourly data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AirMapping {
    /// Station identifier.
    pub station: String,
    /// Hour label (end of the averaging hour).
    pub time: String,
    /// IANA zone of naive times; none: the data source's.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// SO2 1-hour mean, µg/m³.
    pub so2: String,
    /// NO2 1-hour mean, µg/m³.
    pub no2: String,
    /// PM10 1-hour mean, µg/m³.
    pub pm10: String,
    /// CO 1-hour mean, mg/m³.
    pub co: String,
    /// O3 1-hour mean, µg/m³.
    pub o3: String,
    /// PM2.5 1-hour mean, µg/m³.
    pub pm25: String,
    /// SO2 24-hour mean ending with the hour (used only above 800 µg/m³ of SO2 1h).
    #[serde(default)]
    pub so2_24h: Option<String>,
    /// Reported AQI.
    pub aqi: String,
    /// Reported primary pollutant(s).
    pub primary: String,
}

impl AirMapping {
    fn columns(&self) -> Vec<&str> {
        let mut c = vec![
            self.station.as_str(),
            &self.time,
            &self.so2,
            &self.no2,
            &self.pm10,
            &self.co,
            &self.o3,
            &self.pm25,
            &self.aqi,
            &self.primary,
        ];
        if let Some(s) = &self.so2_24h {
            c.push(s);
        }
        c
    }

    fn named(&self) -> Vec<(&'static str, &str)> {
        const NAMES: [&str; 10] = [
            "station", "time", "so2", "no2", "pm10", "co", "o3", "pm25", "aqi", "primary",
        ];
        let mut out: Vec<(&'static str, &str)> = NAMES.into_iter().zip(self.columns()).collect();
        if let Some(s) = &self.so2_24h {
            out.push(("so2_24h", s));
        }
        out
    }

    fn trimmed(self) -> AirMapping {
        let t = |s: String| s.trim().to_owned();
        AirMapping {
            station: t(self.station),
            time: t(self.time),
            time_zone: self.time_zone,
            so2: t(self.so2),
            no2: t(self.no2),
            pm10: t(self.pm10),
            co: t(self.co),
            o3: t(self.o3),
            pm25: t(self.pm25),
            so2_24h: self.so2_24h.map(t).filter(|s| !s.is_empty()),
            aqi: t(self.aqi),
            primary: t(self.primary),
        }
    }
}

/// The stored mapping of a definition.
pub fn mapping_of(m: &thematic_check::Model) -> Result<AirMapping> {
    serde_json::from_str(&m.mapping).map_err(|e| Error::Internal(format!("air mapping: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}

async fn check(
    core: &Core,
    input: DefinitionInput,
    mapping: AirMapping,
) -> Result<(DefinitionInput, String, AirMapping)> {
    let mut mapping = mapping.trimmed();
    mapping.time_zone = thematic::check_time_zone(mapping.time_zone.as_deref())?;
    let (input, table) = thematic::check_common(core, input, &mapping.named()).await?;
    Ok((input, table, mapping))
}

/// Creates an air consistency definition (version 1).
pub async fn create(
    core: &Core,
    actor: &Actor,
    input: DefinitionInput,
    mapping: AirMapping,
) -> Result<thematic_check::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let (input, table, mapping) = check(core, input, mapping).await?;
    thematic::create(
        core,
        actor,
        Kind::AirConsistency,
        input,
        table,
        to_json(&mapping)?,
        "{}".into(),
    )
    .await
}

/// Replaces a definition's name, resource, table and mapping (a new version).
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    input: DefinitionInput,
    mapping: AirMapping,
) -> Result<thematic_check::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let (input, table, mapping) = check(core, input, mapping).await?;
    let mapping = to_json(&mapping)?;
    thematic::write_version(
        core,
        actor,
        Kind::AirConsistency,
        id,
        expected_version,
        "air_check.update",
        |cur| {
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
        },
    )
    .await
}

/// The hourly AQI of given concentrations for an hour label (end of the hour), for staff
/// checking a value by hand. Negative concentrations are refused.
pub fn compute_hourly(actor: &Actor, hour_end: DateTime<Utc>, values: [Option<f64>; 7]) -> Result<Aqi> {
    actor.require(Operation::ViewQuality)?;
    const FIELDS: [&str; 7] = ["so2", "no2", "pm10", "co", "o3", "pm25", "so2_24h"];
    let mut c = [None; 7];
    for ((slot, v), field) in c.iter_mut().zip(values).zip(FIELDS) {
        if let Some(v) = v {
            *slot = Some(Concentration::new(v).ok_or_else(|| Error::invalid(field, "浓度须为非负数"))?);
        }
    }
    let conc = HourlyConcentrations {
        so2: c[0],
        no2: c[1],
        pm10: c[2],
        co: c[3],
        o3: c[4],
        pm25: c[5],
        so2_24h: c[6],
    };
    Ok(Aqi::hourly(
        AqiStandard::for_period_start(hour_end - Duration::hours(1)),
        &conc,
    ))
}

/// One stored mismatch before it is written.
struct Row {
    station: String,
    hour: DateTime<Utc>,
    standard: AqiStandard,
    unverifiable: bool,
    reported_aqi: Option<i32>,
    reported_primary: String,
    computed: Aqi,
    reason: String,
}

struct Checked {
    records: i64,
    stations: i64,
    consistent: i64,
    rows: Vec<Row>,
    notes: Vec<String>,
}

fn check_rows(rows: &[Vec<Option<String>>], tz: chrono_tz::Tz, range: DateRange, so2_24h: bool) -> Checked {
    let (start, end) = (range.start(), range.end());
    let mut out = Checked {
        records: 0,
        stations: 0,
        consistent: 0,
        rows: Vec::new(),
        notes: Vec::new(),
    };
    let (mut unreadable, mut not_numbers) = (0u64, 0u64);
    let mut stations = std::collections::BTreeSet::new();
    for row in rows {
        let station = row[0].as_deref().map(str::trim).filter(|s| !s.is_empty());
        let time = row[1].as_deref().and_then(|t| parse_time(t, tz));
        let (Some(station), Some(time)) = (station, time) else {
            unreadable += 1;
            continue;
        };
        // The hour label is its end: the hour belongs to the range by its start.
        let hour_start = time - Duration::hours(1);
        if hour_start < start || hour_start >= end {
            continue;
        }
        out.records += 1;
        stations.insert(station.to_owned());
        let mut conc = |i: usize| match parse_number(row[i].as_deref()) {
            Ok(v) => v.and_then(Concentration::new),
            Err(()) => {
                not_numbers += 1;
                None
            }
        };
        let c = HourlyConcentrations {
            so2: conc(2),
            no2: conc(3),
            pm10: conc(4),
            co: conc(5),
            o3: conc(6),
            pm25: conc(7),
            so2_24h: if so2_24h { conc(10) } else { None },
        };
        let standard = AqiStandard::for_period_start(hour_start);
        let primary = row[9].as_deref().unwrap_or("").trim();
        let aqi_text = row[8].as_deref().map(str::trim).unwrap_or("");
        let reported_aqi = aqi_text.parse::<u16>().ok().or_else(|| {
            // `85.0` from a numeric column read as text.
            aqi_text
                .parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(v))
                .map(|v| v as u16)
        });
        let computed = Aqi::hourly(standard, &c);
        let (unverifiable, reason) = match reported_aqi {
            None => {
                if computed.value().is_none() {
                    (true, Consistency::Unverifiable.reason().unwrap_or_default())
                } else {
                    let shown = if aqi_text.is_empty() { "空" } else { aqi_text };
                    (
                        false,
                        format!(
                            "AQI 未上报或不是整数（{shown}），按 {} 重算为 {}",
                            standard.code(),
                            computed.value().unwrap_or_default()
                        ),
                    )
                }
            }
            Some(aqi) => match check_hourly(Reported { aqi, primary }, standard, &c) {
                Consistency::Consistent => {
                    out.consistent += 1;
                    continue;
                }
                v @ Consistency::Unverifiable => (true, v.reason().unwrap_or_default()),
                v @ Consistency::Inconsistent(_) => (false, v.reason().unwrap_or_default()),
            },
        };
        out.rows.push(Row {
            station: station.to_owned(),
            hour: time,
            standard,
            unverifiable,
            reported_aqi: reported_aqi.map(i32::from),
            reported_primary: primary.to_owned(),
            computed,
            reason,
        });
    }
    out.stations = stations.len() as i64;
    if unreadable > 0 {
        out.notes.push(format!("{unreadable} 行站点编码或时间无法识别，未检查"));
    }
    if not_numbers > 0 {
        out.notes.push(format!("{not_numbers} 个浓度不是数字，按缺测处理"));
    }
    out
}

/// Runs a definition over whole days `from`..=`to` (Asia/Shanghai, by the hour's start) and
/// stores what it found.
#[tracing::instrument(skip_all, fields(check = id, from, to))]
pub async fn run(core: &Core, actor: &Actor, id: i64, from: &str, to: &str) -> Result<thematic_run::Model> {
    actor.require(Operation::RunQuality)?;
    let range = DateRange::parse(from, to)?;
    let def = thematic::get(core, actor, id).await?;
    if def.kind != Kind::AirConsistency.as_str() {
        return Err(Error::NotFound("thematic_check"));
    }
    let mapping = mapping_of(&def)?;
    let (resource, department_id) = thematic::resource_and_department(core, &def).await?;
    let run = thematic::start_run(core, actor, &def, range).await?;
    // The hour ending at the range's first midnight starts the day before: read from there.
    let read_range = DateRange {
        from: range.from - Duration::days(1),
        to: range.to + Duration::days(1),
    };
    let read = thematic::read_rows(
        core,
        &def.bound_table,
        &mapping.columns(),
        mapping.time_zone.as_deref(),
        read_range,
    )
    .await;
    let src = match read {
        Ok(src) => src,
        Err(failure) => {
            tracing::warn!(check = %def.code, error = %failure.message, "air check could not read its source");
            let ticket = thematic::report_unreachable(core, &def, &failure, department_id).await?;
            return thematic::finish_error(core, actor, &def, run, &failure.message, ticket).await;
        }
    };
    let checked = check_rows(&src.rows, src.tz, range, mapping.so2_24h.is_some());
    let mut by_station: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in checked.rows.iter().filter(|r| !r.unverifiable) {
        by_station.entry(&r.station).or_default().push(r);
    }
    for (station, rows) in &by_station {
        report_station(core, &def, &resource, department_id, run.id, station, rows).await?;
    }
    let reported = by_station.len() as i64;
    drop(by_station);
    finish(core, actor, &def, run, checked, reported).await
}

/// Opens or adds to a station's ticket.
async fn report_station(
    core: &Core,
    def: &thematic_check::Model,
    resource: &crate::entity::catalog_resource::Model,
    department_id: Option<i64>,
    run_id: i64,
    station: &str,
    rows: &[&Row],
) -> Result<()> {
    let local = |t: DateTime<Utc>| t.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M");
    let mut description = format!(
        "空气质量口径一致性检查（{}）：站点 {station} 有 {} 个小时上报的 AQI 或首要污染物与按浓度重算的不一致：",
        def.name,
        rows.len()
    );
    for r in rows.iter().take(TICKET_LINES) {
        description.push_str(&format!("\n{}：{}", local(r.hour), r.reason));
    }
    if rows.len() > TICKET_LINES {
        description.push_str(&format!("\n……另有 {} 个小时", rows.len() - TICKET_LINES));
    }
    let hours: Vec<serde_json::Value> = rows
        .iter()
        .take(TICKET_LINES)
        .map(|r| {
            json!({
                "hour": r.hour, "reported_aqi": r.reported_aqi, "reported_primary": r.reported_primary,
                "computed_aqi": r.computed.value(), "computed_primary": r.computed.primary().to_string(),
                "standard": r.standard.code(), "reason": r.reason,
            })
        })
        .collect();
    report_finding(
        core,
        TicketFinding {
            kind: TicketKind::QualityIssue,
            source: "air_check".into(),
            dedup_key: format!("aircheck:{}:{station}", resource.code),
            title: format!("空气质量数据口径不一致：站点 {station}（{}）", resource.name),
            description,
            severity: Severity::Medium,
            subject: Some(Subject {
                kind: "station".into(),
                id: station.to_owned(),
            }),
            department_id,
            detail: json!({
                "run_id": run_id, "thematic_check": def.code, "resource": resource.code,
                "station": station, "hours_total": rows.len(), "hours": hours,
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
    stations_reported: i64,
) -> Result<thematic_run::Model> {
    let rows: Vec<air_check_result::ActiveModel> = checked
        .rows
        .iter()
        .map(|r| air_check_result::ActiveModel {
            run_id: Set(run.id),
            station: Set(r.station.clone()),
            observed_at: Set(r.hour),
            standard: Set(r.standard.code().to_owned()),
            status: Set(if r.unverifiable { "unverifiable" } else { "inconsistent" }.to_owned()),
            reported_aqi: Set(r.reported_aqi),
            reported_primary: Set(r.reported_primary.clone()),
            computed_aqi: Set(r.computed.value().map(i32::from)),
            computed_primary: Set(r.computed.primary().to_string()),
            reason: Set(r.reason.clone()),
            ..Default::default()
        })
        .collect();
    let unverifiable = checked.rows.iter().filter(|r| r.unverifiable).count() as i64;
    let now = core.now();
    let txn = core.begin().await?;
    for chunk in rows.chunks(500) {
        air_check_result::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let note = (!checked.notes.is_empty()).then(|| checked.notes.join("；"));
    let mut am: thematic_run::ActiveModel = run.into();
    am.status = Set("done".into());
    am.records = Set(checked.records);
    am.stations = Set(checked.stations);
    am.consistent = Set(checked.consistent);
    am.inconsistent = Set(rows.len() as i64 - unverifiable);
    am.unverifiable = Set(unverifiable);
    am.findings = Set(stations_reported);
    am.tickets = Set(stations_reported);
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
                "consistent": run.consistent, "inconsistent": run.inconsistent,
                "unverifiable": run.unverifiable, "tickets": run.tickets, "note": run.error,
                "check_version": run.check_version,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(run)
}

/// A run's stored hours by station and hour, optionally of one station.
pub async fn results(
    core: &Core,
    actor: &Actor,
    run_id: i64,
    station: Option<&str>,
    page: Page,
) -> Result<(Vec<air_check_result::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = air_check_result::Entity::find().filter(air_check_result::Column::RunId.eq(run_id));
    if let Some(s) = station {
        q = q.filter(air_check_result::Column::Station.eq(s.trim()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(air_check_result::Column::Station)
        .order_by_asc(air_check_result::Column::ObservedAt)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}
