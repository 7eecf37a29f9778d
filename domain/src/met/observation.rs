//! What an hourly surface observation is: a station, a UTC hour and seven optional values
//! (`None` is missing). A [`StationSeries`] is one station's observations in hour order,
//! without duplicates; it is the only input the engine takes.

use std::fmt;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The observed elements, in the order of [`Values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Element {
    /// Air temperature, °C.
    Temperature,
    /// Dew-point temperature, °C.
    DewPoint,
    /// Relative humidity, %.
    RelativeHumidity,
    /// Pressure, hPa.
    Pressure,
    /// Wind speed (2- or 10-minute mean), m/s.
    WindSpeed,
    /// Wind direction, degrees (0 = calm, 360 = north).
    WindDirection,
    /// Precipitation in the hour, mm.
    Precipitation,
}

impl Element {
    /// Number of elements.
    pub const COUNT: usize = 7;
    /// All elements, in index order.
    pub const ALL: [Element; Element::COUNT] = [
        Element::Temperature,
        Element::DewPoint,
        Element::RelativeHumidity,
        Element::Pressure,
        Element::WindSpeed,
        Element::WindDirection,
        Element::Precipitation,
    ];

    /// Position in [`Values`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Stable snake_case code.
    pub const fn code(self) -> &'static str {
        match self {
            Element::Temperature => "temperature",
            Element::DewPoint => "dew_point",
            Element::RelativeHumidity => "relative_humidity",
            Element::Pressure => "pressure",
            Element::WindSpeed => "wind_speed",
            Element::WindDirection => "wind_direction",
            Element::Precipitation => "precipitation",
        }
    }

    /// Chinese name.
    pub const fn zh(self) -> &'static str {
        match self {
            Element::Temperature => "气温",
            Element::DewPoint => "露点温度",
            Element::RelativeHumidity => "相对湿度",
            Element::Pressure => "气压",
            Element::WindSpeed => "风速",
            Element::WindDirection => "风向",
            Element::Precipitation => "降水量",
        }
    }
}

/// A station identifier (区站号 such as `58367`, or a regional automatic station such as
/// `A1234`): 1 to 16 ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StationId(pub(super) String);

impl StationId {
    /// Parses a station identifier.
    pub fn parse(s: &str) -> Result<StationId, SeriesError> {
        if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SeriesError::StationId(s.to_owned()));
        }
        Ok(StationId(s.to_owned()))
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StationId {
    type Error = SeriesError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StationId::parse(&s)
    }
}

impl From<StationId> for String {
    fn from(s: StationId) -> String {
        s.0
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A whole UTC hour, counted from the Unix epoch (so consecutive hours differ by one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UtcHour(pub i64);

impl UtcHour {
    /// The hour containing `t` (observations are stamped at the end of their hour, so pass
    /// the stamp itself).
    pub fn containing(t: DateTime<Utc>) -> UtcHour {
        UtcHour(t.timestamp().div_euclid(3600))
    }

    /// The start of the hour.
    pub fn start(self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.0 * 3600, 0).single().unwrap_or_default()
    }

    /// The calendar day this hour belongs to when days start at 00:00 in UTC+`offset_hours`
    /// (8 for Beijing time), as a day number from the epoch.
    pub fn day_number(self, offset_hours: i8) -> i64 {
        (self.0 + i64::from(offset_hours)).div_euclid(24)
    }

    /// The calendar date of a day number from [`UtcHour::day_number`].
    pub fn date_of_day_number(day: i64) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).unwrap_or(i32::MAX)).unwrap_or_default()
    }
}

impl fmt::Display for UtcHour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.start().format("%Y-%m-%dT%H:00Z"))
    }
}

/// The seven values of one observation, indexed by [`Element`]; `None` is missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Values(pub [Option<f64>; Element::COUNT]);

impl Values {
    /// The value of one element.
    pub fn get(&self, e: Element) -> Option<f64> {
        self.0[e.index()]
    }

    /// Sets (or clears, with `None`) one element.
    pub fn set(&mut self, e: Element, v: Option<f64>) {
        self.0[e.index()] = v;
    }
}

/// One station's observation for one hour.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HourlyObservation {
    /// The UTC hour.
    pub hour: UtcHour,
    /// The observed values.
    pub values: Values,
}

/// Why observations cannot form a series.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    /// The station identifier is malformed.
    #[error("station identifier {0:?} must be 1 to 16 ASCII letters or digits")]
    StationId(String),
    /// Two observations of one station carry the same hour.
    #[error("station {station} has two observations for {hour}")]
    DuplicateHour {
        /// The station.
        station: StationId,
        /// The repeated hour.
        hour: UtcHour,
    },
}

/// One station's observations, sorted by hour, each hour at most once.
#[derive(Debug, Clone, PartialEq)]
pub struct StationSeries {
    station: StationId,
    observations: Vec<HourlyObservation>,
}

impl StationSeries {
    /// Sorts the observations by hour and refuses duplicate hours (which one is right is a
    /// question for the data owner, not for QC).
    pub fn new(station: StationId, mut observations: Vec<HourlyObservation>) -> Result<StationSeries, SeriesError> {
        if !observations.windows(2).all(|w| w[0].hour < w[1].hour) {
            observations.sort_by_key(|o| o.hour);
            if let Some(w) = observations.windows(2).find(|w| w[0].hour == w[1].hour) {
                return Err(SeriesError::DuplicateHour {
                    station,
                    hour: w[0].hour,
                });
            }
        }
        Ok(StationSeries { station, observations })
    }

    /// A series from observations already in strictly increasing hour order (the generator).
    pub(super) fn from_sorted(station: StationId, observations: Vec<HourlyObservation>) -> StationSeries {
        debug_assert!(observations.windows(2).all(|w| w[0].hour < w[1].hour));
        StationSeries { station, observations }
    }

    /// The station.
    pub fn station(&self) -> &StationId {
        &self.station
    }

    /// The observations in hour order.
    pub fn observations(&self) -> &[HourlyObservation] {
        &self.observations
    }
}
