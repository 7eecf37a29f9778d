//! Meteorological data QC (气象数据质量核查) of hourly surface observations, after
//! QX/T 118-2020 and WMO practice: climatological limits, station extremes, persistence,
//! step between consecutive hours, internal consistency and completeness.
//!
//! Rules of the module:
//! - Pure domain: no database, HTTP or job types. Observations come in as a [`StationSeries`]
//!   per station, results go out as flags per value ([`StationQc`]), per station-day summaries
//!   ([`DaySummary`]) and findings grouped by station and check ([`Finding`]) for tickets.
//! - Thresholds are data: a serde [`QcConfig`] whose defaults come from the standards file
//!   (or are marked as our screening defaults where the standards give none).
//! - Every value gets one [`QcFlag`] and the [`Check`] that set it; the worst flag wins, and
//!   between equal flags the earlier check keeps the reason.
//! - Checks run in stages so that one bad value is reported once, by the check that caught it:
//!   1. limits (climatological range, station extremes) on every present value;
//!   2. temporal (persistence, then step) on values not flagged wrong by now;
//!   3. internal consistency on values still flagged correct.

mod config;
mod engine;
mod observation;
mod report;
pub mod synthetic;

#[cfg(test)]
mod tests;

pub use config::{
    CompletenessConfig, ConsistencyConfig, PerElement, PersistenceLimit, QcConfig, QcConfigError, Range, StationConfig,
    StepLimit,
};
pub use engine::{QcEngine, magnus_rh};
pub use observation::{Element, HourlyObservation, SeriesError, StationId, StationSeries, UtcHour, Values};
pub use report::{Check, DaySummary, Finding, FlagCounts, QcFlag, StationQc, ValueQc, findings};
