//! The QC thresholds as data. [`QcConfig::default`] carries the standards file's figures
//! (`shared/reference/standards.md`, "Meteorological observation QC": CMA climatological
//! ranges, 24 h persistence, 5 °C/h temperature step, dew point not above temperature);
//! every other default is our screening choice and says so on its field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::observation::{Element, StationId};

/// One value per element, written in JSON as an object keyed by element code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PerElement<T> {
    /// Air temperature.
    pub temperature: T,
    /// Dew point.
    pub dew_point: T,
    /// Relative humidity.
    pub relative_humidity: T,
    /// Pressure.
    pub pressure: T,
    /// Wind speed.
    pub wind_speed: T,
    /// Wind direction.
    pub wind_direction: T,
    /// Precipitation.
    pub precipitation: T,
}

impl<T> PerElement<T> {
    /// The entry of one element.
    pub fn get(&self, e: Element) -> &T {
        match e {
            Element::Temperature => &self.temperature,
            Element::DewPoint => &self.dew_point,
            Element::RelativeHumidity => &self.relative_humidity,
            Element::Pressure => &self.pressure,
            Element::WindSpeed => &self.wind_speed,
            Element::WindDirection => &self.wind_direction,
            Element::Precipitation => &self.precipitation,
        }
    }

    /// The entry of one element, mutably.
    pub fn get_mut(&mut self, e: Element) -> &mut T {
        match e {
            Element::Temperature => &mut self.temperature,
            Element::DewPoint => &mut self.dew_point,
            Element::RelativeHumidity => &mut self.relative_humidity,
            Element::Pressure => &mut self.pressure,
            Element::WindSpeed => &mut self.wind_speed,
            Element::WindDirection => &mut self.wind_direction,
            Element::Precipitation => &mut self.precipitation,
        }
    }
}

/// An inclusive range of acceptable values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// Lowest acceptable value.
    pub min: f64,
    /// Highest acceptable value.
    pub max: f64,
}

impl Range {
    /// Whether `v` lies within the range (bounds included).
    pub fn contains(&self, v: f64) -> bool {
        v >= self.min && v <= self.max
    }
}

/// Largest change between two consecutive hours. A change strictly greater than `suspect`
/// flags the later value suspect, strictly greater than `wrong` (if set) wrong. The return
/// from a flagged spike (the next change, in the opposite direction) is not flagged again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepLimit {
    /// Suspect above this change per hour.
    pub suspect: f64,
    /// Wrong above this change per hour.
    #[serde(default)]
    pub wrong: Option<f64>,
}

/// How long a value may stay unchanged. A run of `wrong_run` or more consecutive hourly
/// values that are all equal is wrong (every value in it); from `suspect_run` on it is
/// suspect. A missing hour ends a run. Values below `exempt_below` (calm wind, the calm
/// direction code 0) neither form nor extend runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PersistenceLimit {
    /// Run length (in hourly values) from which the run is wrong.
    pub wrong_run: u32,
    /// Run length from which the run is suspect, if shorter runs should be looked at.
    #[serde(default)]
    pub suspect_run: Option<u32>,
    /// Values strictly below this take no part in runs.
    #[serde(default)]
    pub exempt_below: Option<f64>,
}

/// Internal consistency between elements of the same hour. Failures are suspect: the check
/// cannot tell which of the values is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConsistencyConfig {
    /// Dew point may exceed temperature by at most this (°C). Standards: not at all (0.0).
    pub dew_point_above_temperature_c: f64,
    /// Largest difference (%RH) between reported relative humidity and the one computed from
    /// temperature and dew point with the Magnus formula (WMO-No. 8 coefficients over water:
    /// 6.112 hPa, 17.62, 243.12 °C). Our screening default: 5 %RH, which covers the rounding
    /// of RH to 1 % and of temperatures to 0.1 °C with room for sensor tolerance.
    pub humidity_tolerance_pct: f64,
    /// Wind speeds strictly below this are calm (m/s); a calm hour must report direction 0
    /// (or none). Default 0.3 m/s: CMA records wind of 0.0–0.2 m/s as calm (静风, "C").
    pub calm_speed_ms: f64,
}

/// Completeness: how many hourly records each station-day should have.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompletenessConfig {
    /// Expected records per station-day (24 for hourly stations), unless a station says
    /// otherwise.
    pub expected_hours_per_day: u8,
    /// Days run from 00:00 to 24:00 in UTC+this many hours: 8 for Beijing time (the bureau's
    /// reporting day), 0 for UTC days.
    pub day_offset_hours: i8,
}

/// Per-station settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StationConfig {
    /// The station's recorded extremes; a value outside them is suspect (it may be a new
    /// record, so a person looks before it is called wrong).
    pub extremes: PerElement<Option<Range>>,
    /// Overrides [`CompletenessConfig::expected_hours_per_day`] for this station.
    pub expected_hours_per_day: Option<u8>,
}

/// All QC thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QcConfig {
    /// Climatological limits (values outside are wrong). Elements without a range are not
    /// range-checked.
    pub climate_limits: PerElement<Option<Range>>,
    /// Step limits between consecutive hours.
    pub step: PerElement<Option<StepLimit>>,
    /// Persistence limits.
    pub persistence: PerElement<Option<PersistenceLimit>>,
    /// Internal consistency.
    pub consistency: ConsistencyConfig,
    /// Completeness.
    pub completeness: CompletenessConfig,
    /// Per-station settings, keyed by station identifier.
    pub stations: BTreeMap<StationId, StationConfig>,
}

impl Default for ConsistencyConfig {
    fn default() -> Self {
        ConsistencyConfig {
            dew_point_above_temperature_c: 0.0,
            humidity_tolerance_pct: 5.0,
            calm_speed_ms: 0.3,
        }
    }
}

impl Default for CompletenessConfig {
    fn default() -> Self {
        CompletenessConfig {
            expected_hours_per_day: 24,
            day_offset_hours: 8,
        }
    }
}

impl Default for QcConfig {
    fn default() -> Self {
        let range = |min, max| Some(Range { min, max });
        let step = |suspect| Some(StepLimit { suspect, wrong: None });
        let day = Some(PersistenceLimit {
            wrong_run: 24,
            suspect_run: None,
            exempt_below: None,
        });
        QcConfig {
            // CMA climatological ranges from the standards file; wind direction by definition.
            // Pressure 870..1100 hPa suits sea-level pressure and low stations; plateau
            // station pressure needs a wider range here.
            climate_limits: PerElement {
                temperature: range(-80.0, 60.0),
                dew_point: range(-80.0, 35.0),
                relative_humidity: range(0.0, 100.0),
                pressure: range(870.0, 1100.0),
                wind_speed: range(0.0, 75.0),
                wind_direction: range(0.0, 360.0),
                precipitation: range(0.0, 600.0),
            },
            // Temperature 5 °C/h is the standards file's screening value. The others are our
            // screening defaults (none in the standards): dew point as temperature; RH 40 %/h
            // (sunrise and showers move RH fast); pressure 3 hPa/h (typhoon-scale tendency);
            // wind speed 20 m/s/h. Direction and precipitation have no meaningful step.
            step: PerElement {
                temperature: step(5.0),
                dew_point: step(5.0),
                relative_humidity: step(40.0),
                pressure: step(3.0),
                wind_speed: step(20.0),
                wind_direction: None,
                precipitation: None,
            },
            // The standards file: an hourly value unchanged for 24 hours is wrong, read as 24
            // consecutive equal hourly values. Calm wind and its direction code are exempt;
            // precipitation is 0 for days on end, so it is not checked.
            persistence: PerElement {
                temperature: day,
                dew_point: day,
                relative_humidity: day,
                pressure: day,
                wind_speed: Some(PersistenceLimit {
                    wrong_run: 24,
                    suspect_run: None,
                    exempt_below: Some(0.3),
                }),
                wind_direction: Some(PersistenceLimit {
                    wrong_run: 24,
                    suspect_run: None,
                    exempt_below: Some(1.0),
                }),
                precipitation: None,
            },
            consistency: ConsistencyConfig::default(),
            completeness: CompletenessConfig::default(),
            stations: BTreeMap::new(),
        }
    }
}

/// A configuration the engine refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QcConfigError {
    /// A range whose minimum exceeds its maximum, or that is not finite.
    #[error("{what} for {element}: range {min}..{max} is empty or not finite")]
    Range {
        /// Which setting.
        what: &'static str,
        /// The element code.
        element: &'static str,
        /// Minimum given.
        min: f64,
        /// Maximum given.
        max: f64,
    },
    /// A threshold that must be a non-negative finite number.
    #[error("{what} must be a non-negative number, not {value}")]
    Threshold {
        /// Which setting.
        what: String,
        /// The value given.
        value: f64,
    },
    /// Expected hours per day outside 1..=24.
    #[error("expected hours per day must be 1..=24, not {0}")]
    ExpectedHours(u8),
    /// A day offset outside -12..=14.
    #[error("day offset must be -12..=14 hours, not {0}")]
    DayOffset(i8),
    /// A persistence run shorter than two values.
    #[error("persistence runs for {0} must be at least 2 values, with suspect_run below wrong_run")]
    Run(&'static str),
}

impl QcConfig {
    /// Checks the configuration; the engine is only built from a valid one.
    pub fn validate(&self) -> Result<(), QcConfigError> {
        let check_ranges = |what: &'static str, ranges: &PerElement<Option<Range>>| {
            for e in Element::ALL {
                if let Some(r) = ranges.get(e)
                    && !(r.min.is_finite() && r.max.is_finite() && r.min <= r.max)
                {
                    return Err(QcConfigError::Range {
                        what,
                        element: e.code(),
                        min: r.min,
                        max: r.max,
                    });
                }
            }
            Ok(())
        };
        let non_negative = |what: String, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(QcConfigError::Threshold { what, value })
            }
        };
        check_ranges("climate limit", &self.climate_limits)?;
        for station in self.stations.values() {
            check_ranges("station extreme", &station.extremes)?;
            if let Some(h) = station.expected_hours_per_day
                && !(1..=24).contains(&h)
            {
                return Err(QcConfigError::ExpectedHours(h));
            }
        }
        for e in Element::ALL {
            if let Some(s) = self.step.get(e) {
                non_negative(format!("step.{}.suspect", e.code()), s.suspect)?;
                if let Some(w) = s.wrong {
                    non_negative(format!("step.{}.wrong", e.code()), w)?;
                }
            }
            if let Some(p) = self.persistence.get(e) {
                let suspect_ok = p.suspect_run.is_none_or(|s| s >= 2 && s < p.wrong_run);
                if p.wrong_run < 2 || !suspect_ok {
                    return Err(QcConfigError::Run(e.code()));
                }
                if let Some(x) = p.exempt_below
                    && !x.is_finite()
                {
                    return Err(QcConfigError::Threshold {
                        what: format!("persistence.{}.exempt_below", e.code()),
                        value: x,
                    });
                }
            }
        }
        let c = &self.consistency;
        non_negative(
            "consistency.dew_point_above_temperature_c".into(),
            c.dew_point_above_temperature_c,
        )?;
        non_negative("consistency.humidity_tolerance_pct".into(), c.humidity_tolerance_pct)?;
        non_negative("consistency.calm_speed_ms".into(), c.calm_speed_ms)?;
        let h = self.completeness.expected_hours_per_day;
        if !(1..=24).contains(&h) {
            return Err(QcConfigError::ExpectedHours(h));
        }
        let o = self.completeness.day_offset_hours;
        if !(-12..=14).contains(&o) {
            return Err(QcConfigError::DayOffset(o));
        }
        Ok(())
    }
}
