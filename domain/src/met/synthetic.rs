//! Deterministic synthetic observations with planted defects, for the benchmark and for the
//! test that every planted defect is found and nothing else is flagged.
//!
//! Values follow a humid subtropical city: temperature with a season and a diurnal cycle,
//! dew point 1–6 °C below it (smallest before dawn), RH from both by Magnus, pressure with
//! synoptic and semi-diurnal waves, wind with calm hours (direction 0), showers. Each station's
//! series is cut into 48-hour slots; each slot holds at most one defect, placed so that it
//! cannot touch another.

use std::collections::BTreeMap;
use std::f64::consts::TAU;

use super::config::{QcConfig, Range, StationConfig};
use super::engine::magnus_rh;
use super::observation::{Element, HourlyObservation, StationId, StationSeries, UtcHour, Values};
use super::report::{Check, QcFlag};

/// A planted defect in one value: what QC must say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    /// The station.
    pub station: StationId,
    /// The hour.
    pub hour: UtcHour,
    /// The element.
    pub element: Element,
    /// The flag QC must give.
    pub flag: QcFlag,
    /// The reason QC must give.
    pub check: Check,
}

/// A generated data set.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// One series per station.
    pub series: Vec<StationSeries>,
    /// Every planted defective or missing value.
    pub planted: Vec<Planted>,
    /// Hours whose whole record was removed, per station.
    pub removed_hours: BTreeMap<StationId, Vec<UtcHour>>,
    /// The default configuration plus the stations' extremes.
    pub config: QcConfig,
}

impl Synthetic {
    /// Number of observations (records).
    pub fn observations(&self) -> usize {
        self.series.iter().map(|s| s.observations().len()).sum()
    }
}

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The first hour of the data: 2026-01-01 00:00 Beijing time.
pub const START: UtcHour = UtcHour(490_888);

const SLOT: usize = 48;
const KINDS: usize = 14;

/// Generates `stations` stations with `days` whole Beijing-time days each, from [`START`].
pub fn generate(stations: usize, days: usize, seed: u64) -> Synthetic {
    let hours = days * 24;
    let mut config = QcConfig::default();
    let mut series = Vec::with_capacity(stations);
    let mut planted = Vec::new();
    let mut removed_hours = BTreeMap::new();
    for s in 0..stations {
        let station = StationId(format!("S{:05}", 58_000 + s));
        let extremes = super::PerElement {
            temperature: Some(Range { min: -15.0, max: 42.0 }),
            pressure: Some(Range {
                min: 980.0,
                max: 1045.0,
            }),
            ..super::PerElement::default()
        };
        config.stations.insert(
            station.clone(),
            StationConfig {
                extremes,
                expected_hours_per_day: None,
            },
        );
        let mut rng = Rng(seed ^ (0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(s as u64 + 1)) | 1);
        let mut obs = clean_series(&mut rng, s, hours);
        let mut removed = Vec::new();
        for slot in 0..hours / SLOT {
            let kind = (s + slot) % KINDS;
            let p = slot * SLOT + 8 + (rng.next() % 8) as usize;
            plant(&mut obs, &station, kind, p, &mut planted, &mut removed);
        }
        let kept: Vec<HourlyObservation> = obs.into_iter().flatten().collect();
        series.push(StationSeries::from_sorted(station.clone(), kept));
        removed_hours.insert(station, removed);
    }
    Synthetic {
        series,
        planted,
        removed_hours,
        config,
    }
}

/// A defect-free series for station number `s`.
fn clean_series(rng: &mut Rng, s: usize, hours: usize) -> Vec<Option<HourlyObservation>> {
    let mut noise = 0.0;
    let mut wind_noise = 0.0;
    let mut direction: f64 = 1.0 + (rng.next() % 360) as f64;
    let offset = (s % 5) as f64 * 0.5 - 1.0;
    let phase = s as f64;
    (0..hours)
        .map(|i| {
            let hour = UtcHour(START.0 + i as i64);
            let local = ((i + 24) % 24) as f64; // START is local midnight.
            let day = (i / 24) as f64;
            let season = 17.0 + 10.0 * (TAU * (day - 110.0) / 365.0).sin() + offset;
            let diurnal = (TAU * (local - 9.0) / 24.0).sin();
            noise = 0.9 * noise + 0.2 * (rng.unit() - 0.5);
            let t = round1(season + 4.0 * diurnal + noise);
            let td = round1(t - (3.5 + 2.5 * diurnal));
            let rh = magnus_rh(t, td).round();
            let p = round1(1012.0 + 6.0 * (TAU * i as f64 / 120.0 + phase).sin() + (TAU * 2.0 * local / 24.0).sin());
            wind_noise = 0.8 * wind_noise + 0.6 * (rng.unit() - 0.5);
            let speed = round1((2.0 + 1.5 * (TAU * (local - 10.0) / 24.0).sin() + 2.0 * wind_noise).max(0.0));
            direction = (direction + (rng.next() % 61) as f64 - 30.0).rem_euclid(360.0);
            let dir = if speed < 0.3 { 0.0 } else { direction.round().max(1.0) };
            let rain = if rng.unit() < 0.05 {
                round1(0.1 + rng.unit() * 8.0)
            } else {
                0.0
            };
            Some(HourlyObservation {
                hour,
                values: Values([Some(t), Some(td), Some(rh), Some(p), Some(speed), Some(dir), Some(rain)]),
            })
        })
        .collect()
}

fn get(obs: &[Option<HourlyObservation>], i: usize, e: Element) -> f64 {
    obs[i].and_then(|o| o.values.get(e)).unwrap_or(f64::NAN)
}

fn set(obs: &mut [Option<HourlyObservation>], i: usize, e: Element, v: Option<f64>) {
    if let Some(o) = obs[i].as_mut() {
        o.values.set(e, v);
    }
}

/// Plants defect `kind` at index `p` (8 <= p % SLOT < 16, so the slot has room after it).
fn plant(
    obs: &mut [Option<HourlyObservation>],
    station: &StationId,
    kind: usize,
    p: usize,
    planted: &mut Vec<Planted>,
    removed: &mut Vec<UtcHour>,
) {
    let hour = |i: usize| UtcHour(START.0 + i as i64);
    let mut mark = |i: usize, element: Element, flag: QcFlag, check: Check| {
        planted.push(Planted {
            station: station.clone(),
            hour: hour(i),
            element,
            flag,
            check,
        });
    };
    use Element::*;
    match kind {
        0 => {
            set(obs, p, Temperature, Some(75.0));
            mark(p, Temperature, QcFlag::Wrong, Check::ClimateLimit);
        }
        1 => {
            set(obs, p, Pressure, Some(850.0));
            mark(p, Pressure, QcFlag::Wrong, Check::ClimateLimit);
        }
        2 => {
            set(obs, p, RelativeHumidity, Some(104.0));
            mark(p, RelativeHumidity, QcFlag::Wrong, Check::ClimateLimit);
        }
        3 => {
            set(obs, p, WindDirection, Some(400.0));
            mark(p, WindDirection, QcFlag::Wrong, Check::ClimateLimit);
        }
        4 => {
            set(obs, p, Pressure, Some(1050.0));
            mark(p, Pressure, QcFlag::Suspect, Check::StationExtreme);
        }
        5 => {
            let t = get(obs, p, Temperature);
            set(obs, p, Temperature, Some(round1(t + 8.0)));
            mark(p, Temperature, QcFlag::Suspect, Check::Step);
        }
        6 | 7 => {
            // A stuck sensor across midnight: 30 (or 26) equal values, distinct from the
            // values just before and after so that the run has exactly that length.
            let (e, len) = if kind == 6 { (Temperature, 30) } else { (Pressure, 26) };
            let mut v = get(obs, p, e);
            while (v - get(obs, p - 1, e)).abs() < 0.05 || (v - get(obs, p + len, e)).abs() < 0.05 {
                v = round1(v + 0.1);
            }
            for i in p..p + len {
                set(obs, i, e, Some(v));
                mark(i, e, QcFlag::Wrong, Check::Persistence);
            }
        }
        8 => {
            // Before dawn (04:00 local), when dew point is closest to temperature.
            let i = p - p % 24 + 28;
            let t = get(obs, i, Temperature);
            set(obs, i, DewPoint, Some(round1(t + 0.5)));
            mark(i, Temperature, QcFlag::Suspect, Check::DewPointAboveTemperature);
            mark(i, DewPoint, QcFlag::Suspect, Check::DewPointAboveTemperature);
        }
        9 => {
            let rh = get(obs, p, RelativeHumidity);
            set(obs, p, RelativeHumidity, Some(rh - 25.0));
            mark(p, RelativeHumidity, QcFlag::Suspect, Check::HumidityInconsistent);
        }
        10 => {
            set(obs, p, WindSpeed, Some(0.1));
            set(obs, p, WindDirection, Some(90.0));
            mark(p, WindDirection, QcFlag::Suspect, Check::CalmWindDirection);
        }
        11 => {
            for (i, o) in obs.iter_mut().enumerate().skip(p).take(3) {
                *o = None;
                removed.push(hour(i));
            }
        }
        12 => {
            set(obs, p, Temperature, None);
            set(obs, p, WindSpeed, None);
            mark(p, Temperature, QcFlag::Missing, Check::Missing);
            mark(p, WindSpeed, QcFlag::Missing, Check::Missing);
        }
        _ => {}
    }
}
