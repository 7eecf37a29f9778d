//! The QC engine: one pass per stage over a station's series, no allocation per value.

use super::config::{PersistenceLimit, QcConfig, QcConfigError, Range, StepLimit};
use super::observation::{Element, StationSeries, UtcHour};
use super::report::{Check, DaySummary, Finding, FlagCounts, QcFlag, StationQc, ValueQc, findings};
use super::{PerElement, StationConfig};

/// Magnus coefficients over water (WMO-No. 8, 2018 edition, Annex 4.B).
const MAGNUS_B: f64 = 17.62;
const MAGNUS_C: f64 = 243.12;

/// Values closer than this count as unchanged (well below any reported resolution).
const UNCHANGED: f64 = 1e-9;

/// Relative humidity (%) from temperature and dew point (°C) by the Magnus formula; the
/// 6.112 hPa factor cancels out.
pub fn magnus_rh(temperature: f64, dew_point: f64) -> f64 {
    100.0 * (MAGNUS_B * dew_point / (MAGNUS_C + dew_point) - MAGNUS_B * temperature / (MAGNUS_C + temperature)).exp()
}

/// Checks station series against a validated [`QcConfig`].
#[derive(Debug, Clone)]
pub struct QcEngine {
    config: QcConfig,
    no_station: StationConfig,
}

impl QcEngine {
    /// Builds an engine from a configuration, refusing an invalid one.
    pub fn new(config: QcConfig) -> Result<QcEngine, QcConfigError> {
        config.validate()?;
        Ok(QcEngine {
            config,
            no_station: StationConfig::default(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &QcConfig {
        &self.config
    }

    /// Groups the failures of `results` by station and check (see [`findings`]).
    pub fn findings<'a>(&self, results: impl IntoIterator<Item = &'a StationQc>) -> Vec<Finding> {
        findings(results, self.config.completeness.day_offset_hours)
    }

    /// Runs every check on one station's series.
    pub fn check(&self, series: &StationSeries) -> StationQc {
        let cfg = &self.config;
        let station = cfg.stations.get(series.station()).unwrap_or(&self.no_station);
        let obs = series.observations();
        let hours: Vec<UtcHour> = obs.iter().map(|o| o.hour).collect();
        let mut flags = vec![[ValueQc::CORRECT; Element::COUNT]; obs.len()];

        // Which elements any check applies to; the others are "not checked".
        let consistency = |e: Element| {
            matches!(
                e,
                Element::Temperature | Element::DewPoint | Element::RelativeHumidity | Element::WindDirection
            )
        };
        let applies = Element::ALL.map(|e| {
            cfg.climate_limits.get(e).is_some()
                || station.extremes.get(e).is_some()
                || cfg.step.get(e).is_some()
                || cfg.persistence.get(e).is_some()
                || consistency(e)
        });

        // Stage 1: limits.
        let climate: [Option<Range>; Element::COUNT] = Element::ALL.map(|e| *cfg.climate_limits.get(e));
        let extremes: [Option<Range>; Element::COUNT] = Element::ALL.map(|e| *station.extremes.get(e));
        for (o, f) in obs.iter().zip(flags.iter_mut()) {
            for k in 0..Element::COUNT {
                let Some(v) = o.values.0[k] else {
                    f[k] = ValueQc::MISSING;
                    continue;
                };
                if !applies[k] {
                    f[k] = ValueQc::NOT_CHECKED;
                    continue;
                }
                if let Some(r) = climate[k]
                    && !r.contains(v)
                {
                    f[k].raise(QcFlag::Wrong, Check::ClimateLimit);
                }
                if let Some(r) = extremes[k]
                    && !r.contains(v)
                {
                    f[k].raise(QcFlag::Suspect, Check::StationExtreme);
                }
            }
        }

        // Stage 2: temporal, on values not yet wrong; persistence first, so that a stuck
        // sensor's values (wrong) do not also make steps.
        for e in Element::ALL {
            if let Some(limit) = cfg.persistence.get(e) {
                persistence(series, &mut flags, e, limit);
            }
            if let Some(limit) = cfg.step.get(e) {
                step(series, &mut flags, e, limit);
            }
        }

        // Stage 3: internal consistency, on values still correct.
        let c = &cfg.consistency;
        let (t, td, rh) = (
            Element::Temperature.index(),
            Element::DewPoint.index(),
            Element::RelativeHumidity.index(),
        );
        let (ws, wd) = (Element::WindSpeed.index(), Element::WindDirection.index());
        for (o, f) in obs.iter().zip(flags.iter_mut()) {
            let v = &o.values.0;
            let ok = |f: &[ValueQc; Element::COUNT], k: usize| if f[k].flag == QcFlag::Correct { v[k] } else { None };
            let (tv, tdv, rhv, wdv) = (ok(f, t), ok(f, td), ok(f, rh), ok(f, wd));
            if let (Some(tv), Some(tdv)) = (tv, tdv) {
                if tdv > tv + c.dew_point_above_temperature_c {
                    f[t].raise(QcFlag::Suspect, Check::DewPointAboveTemperature);
                    f[td].raise(QcFlag::Suspect, Check::DewPointAboveTemperature);
                } else if let Some(rhv) = rhv
                    && (rhv - magnus_rh(tv, tdv)).abs() > c.humidity_tolerance_pct
                {
                    f[rh].raise(QcFlag::Suspect, Check::HumidityInconsistent);
                }
            }
            if let (Some(speed), Some(dir)) = (v[ws], wdv)
                && f[ws].flag != QcFlag::Wrong
                && speed < c.calm_speed_ms
                && dir != 0.0
            {
                f[wd].raise(QcFlag::Suspect, Check::CalmWindDirection);
            }
        }

        let days = day_summaries(self, series, &hours, &flags, station);
        StationQc {
            station: series.station().clone(),
            hours,
            flags,
            days,
        }
    }
}

/// Flags runs of equal consecutive values (see [`PersistenceLimit`]).
fn persistence(series: &StationSeries, flags: &mut [[ValueQc; Element::COUNT]], e: Element, limit: &PersistenceLimit) {
    let k = e.index();
    let obs = series.observations();
    let usable = |i: usize, flags: &[[ValueQc; Element::COUNT]]| -> Option<f64> {
        let v = obs[i].values.0[k]?;
        if flags[i][k].flag == QcFlag::Wrong || limit.exempt_below.is_some_and(|x| v < x) {
            return None;
        }
        Some(v)
    };
    let min_run = limit.suspect_run.unwrap_or(limit.wrong_run) as usize;
    let mut start: Option<usize> = None;
    for i in 0..=obs.len() {
        let current = if i < obs.len() { usable(i, flags) } else { None };
        let continues = match (start, current) {
            (Some(_), Some(v)) => {
                obs[i].hour.0 == obs[i - 1].hour.0 + 1
                    && usable(i - 1, flags).is_some_and(|p| (v - p).abs() < UNCHANGED)
            }
            _ => false,
        };
        if continues {
            continue;
        }
        if let Some(s) = start {
            let len = i - s;
            if len >= min_run {
                let flag = if len >= limit.wrong_run as usize {
                    QcFlag::Wrong
                } else {
                    QcFlag::Suspect
                };
                for f in &mut flags[s..i] {
                    f[k].raise(flag, Check::Persistence);
                }
            }
        }
        start = current.map(|_| i);
    }
}

/// Flags changes between consecutive hours above the limit (see [`StepLimit`]).
fn step(series: &StationSeries, flags: &mut [[ValueQc; Element::COUNT]], e: Element, limit: &StepLimit) {
    let k = e.index();
    let obs = series.observations();
    // The direction of the change that flagged the previous value, if it was flagged.
    let mut flagged_prev: Option<bool> = None;
    let mut prev: Option<(i64, f64)> = None;
    for (o, f) in obs.iter().zip(flags.iter_mut()) {
        let current = match o.values.0[k] {
            Some(v) if f[k].flag != QcFlag::Wrong => Some(v),
            _ => None,
        };
        let mut flagged_now = None;
        if let (Some(v), Some((ph, pv))) = (current, prev)
            && o.hour.0 == ph + 1
        {
            let d = v - pv;
            if d.abs() > limit.suspect {
                let up = d > 0.0;
                if flagged_prev == Some(!up) {
                    // The return from a flagged spike: the value after it is fine.
                } else {
                    let flag = if limit.wrong.is_some_and(|w| d.abs() > w) {
                        QcFlag::Wrong
                    } else {
                        QcFlag::Suspect
                    };
                    f[k].raise(flag, Check::Step);
                    flagged_now = Some(up);
                }
            }
        }
        flagged_prev = flagged_now;
        prev = current.map(|v| (o.hour.0, v));
    }
}

/// Per station-day counts, from the first day of the series to the last.
fn day_summaries(
    engine: &QcEngine,
    series: &StationSeries,
    hours: &[UtcHour],
    flags: &[[ValueQc; Element::COUNT]],
    station: &StationConfig,
) -> Vec<DaySummary> {
    let offset = engine.config.completeness.day_offset_hours;
    let expected = station
        .expected_hours_per_day
        .unwrap_or(engine.config.completeness.expected_hours_per_day);
    let (Some(first), Some(last)) = (hours.first(), hours.last()) else {
        return Vec::new();
    };
    let first_day = first.day_number(offset);
    let last_day = last.day_number(offset);
    let mut days: Vec<(u32, PerElement<FlagCounts>)> =
        vec![(0, PerElement::default()); usize::try_from(last_day - first_day + 1).unwrap_or(0)];
    for (h, f) in hours.iter().zip(flags) {
        let slot = &mut days[usize::try_from(h.day_number(offset) - first_day).unwrap_or(0)];
        slot.0 += 1;
        for e in Element::ALL {
            slot.1.get_mut(e).add(f[e.index()].flag);
        }
    }
    days.into_iter()
        .zip(first_day..)
        .map(|((present, mut counts), day)| {
            let present = u8::try_from(present).unwrap_or(u8::MAX);
            let missing_hours = expected.saturating_sub(present);
            for e in Element::ALL {
                counts.get_mut(e).missing += u32::from(missing_hours);
            }
            DaySummary {
                station: series.station().clone(),
                date: UtcHour::date_of_day_number(day),
                expected_hours: expected,
                present_hours: present,
                missing_hours,
                counts,
            }
        })
        .collect()
}
