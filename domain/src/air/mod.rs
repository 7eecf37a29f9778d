//! Air quality by the letter of HJ 633 (AQI) and GB 3095 (validity): sub-indices, AQI, primary
//! pollutant, category, data validity and the 口径不一致 consistency check.
//!
//! Pure rules, no database, web or job framework: the air-quality check over datasets, its
//! GraphQL and its tickets build on this module elsewhere. The hot path (one hour or day of one
//! station) works on `Copy` values and never allocates, so millions of hours can be recomputed.
//!
//! - [`pollutant`]: the six pollutants, the ten averaging-period tables, checked concentrations.
//! - [`breakpoints`]: the HJ 633-2012 and HJ 633-2026 tables, [`AqiStandard::for_date`] /
//!   [`AqiStandard::for_period_start`] (switch at 2026-03-01 00:00 Asia/Shanghai) and the
//!   rounded-up IAQI with its special rules.
//! - [`aqi`]: hourly and daily AQI, primary pollutant(s), 优 … 严重污染.
//! - [`validity`]: GB 3095-2026 table 4 and the O3 8-hour moving mean.
//! - [`consistency`]: reported AQI and primary pollutant against recomputed ones, with a Chinese
//!   reason.
//!
//! Source of truth: `standards.md`, section “Air quality (in force since 2026-03-01)”; each
//! submodule documents where it had to choose beyond that text.

pub mod aqi;
pub mod breakpoints;
pub mod consistency;
pub mod pollutant;
pub mod validity;

pub use aqi::{Aqi, Category, DailyConcentrations, HourlyConcentrations};
pub use breakpoints::{AqiStandard, Iaqi, SubIndex, sub_index};
pub use consistency::{Consistency, Reported, check, check_daily, check_hourly};
pub use pollutant::{Concentration, Metric, PerPollutant, Pollutant, PollutantSet};

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests;
