//! The 口径不一致 check: does a station's reported AQI and primary pollutant match what its
//! concentrations give under HJ 633?
//!
//! Rules:
//! - The AQI must equal the recomputed one. When a concentration lies above its table's top
//!   breakpoint the standard defines no index, so any reported AQI ≥ 500 is accepted.
//! - The reported primary pollutant(s) must be exactly the recomputed set: none when the AQI is
//!   50 or less (HJ 633 prints “—”), all tied pollutants otherwise. Names are read with
//!   [`Pollutant::parse_reported`]; a list may be separated by `,` `，` `、` `;` `；` `/` `|`;
//!   `—`, `-`, `--`, `无`, `/` and an empty text mean none. Ozone is compared as a pollutant
//!   (`O3_8h` and `O3_1h` both read as O3).
//! - Without any concentration the AQI cannot be recomputed: the verdict is
//!   [`Consistency::Unverifiable`], not a mismatch.
//!
//! The verdict borrows the reported text and holds the recomputed [`Aqi`]; the Chinese reason is
//! written only when displayed, so checking millions of consistent rows allocates nothing.

use std::fmt;

use super::aqi::{Aqi, DailyConcentrations, HourlyConcentrations};
use super::breakpoints::{AqiStandard, IAQI_MAX};
use super::pollutant::{Pollutant, PollutantSet};

/// What a station reported for one hour or day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reported<'a> {
    /// The reported AQI.
    pub aqi: u16,
    /// The reported primary pollutant text, as published (e.g. `PM2.5`, `PM10,O3_8h`, `—`).
    pub primary: &'a str,
}

/// Reads a reported primary-pollutant text into a set; `Err` carries the first unreadable name.
pub fn parse_reported_primary(text: &str) -> Result<PollutantSet, &str> {
    let mut set = PollutantSet::EMPTY;
    for token in text.split([',', '，', '、', ';', '；', '/', '|']) {
        let token = token.trim();
        if matches!(token, "" | "—" | "-" | "--" | "——" | "无") {
            continue;
        }
        set.insert(Pollutant::parse_reported(token).ok_or(token)?);
    }
    Ok(set)
}

/// The outcome of a consistency check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Consistency<'a> {
    /// The reported AQI and primary pollutant(s) match the recomputed ones.
    Consistent,
    /// They do not; [`Mismatch`] displays the Chinese reason.
    Inconsistent(Mismatch<'a>),
    /// No concentration could be used, so nothing was recomputed.
    Unverifiable,
}

impl Consistency<'_> {
    /// Whether the report matched.
    pub fn is_consistent(&self) -> bool {
        matches!(self, Consistency::Consistent)
    }

    /// The Chinese reason when the report did not match (or could not be checked).
    pub fn reason(&self) -> Option<String> {
        match self {
            Consistency::Consistent => None,
            Consistency::Inconsistent(m) => Some(m.to_string()),
            Consistency::Unverifiable => Some("无可用浓度，无法重算 AQI".to_owned()),
        }
    }
}

/// How the primary pollutant disagreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrimaryMismatch<'a> {
    /// The reported set differs from the recomputed one.
    Differs(PollutantSet),
    /// A reported name could not be read.
    Unreadable(&'a str),
}

/// A report that does not match its concentrations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mismatch<'a> {
    /// What was reported.
    pub reported: Reported<'a>,
    /// The recomputed AQI (with sub-indices and primary pollutants).
    pub computed: Aqi,
    /// Whether the AQI itself differs.
    pub aqi_differs: bool,
    /// Whether (and how) the primary pollutant differs.
    pub primary: Option<PrimaryMismatch<'a>>,
}

impl fmt::Display for Mismatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let standard = self.computed.standard().code();
        let computed = self.computed.value().unwrap_or_default();
        let mut sep = "";
        if self.aqi_differs {
            write!(
                f,
                "AQI 不一致：上报 {}，按 {standard} 重算为 {computed}",
                self.reported.aqi
            )?;
            if self.computed.is_beyond_scale() {
                f.write_str("（浓度超过最高限值，AQI 应报 500 及以上）")?;
            }
            sep = "；";
        }
        match self.primary {
            Some(PrimaryMismatch::Differs(reported)) => {
                let expected = self.computed.primary();
                write!(f, "{sep}首要污染物不一致：上报 {reported}，重算为 {expected}")?;
                if expected.is_empty() {
                    write!(f, "（AQI {computed} 不大于 50，不应报首要污染物）")?;
                }
            }
            Some(PrimaryMismatch::Unreadable(name)) => {
                write!(f, "{sep}首要污染物无法识别：「{name}」")?;
            }
            None => {}
        }
        let missing = self.computed.missing();
        if !missing.is_empty() {
            write!(f, "（缺少 {missing} 浓度，按其余污染物重算）")?;
        }
        Ok(())
    }
}

/// Checks a report against a recomputed AQI.
pub fn check<'a>(reported: Reported<'a>, computed: &Aqi) -> Consistency<'a> {
    let Some(value) = computed.value() else {
        return Consistency::Unverifiable;
    };
    let aqi_differs = if computed.is_beyond_scale() {
        reported.aqi < IAQI_MAX
    } else {
        reported.aqi != value
    };
    let primary = match parse_reported_primary(reported.primary) {
        Ok(set) if set == computed.primary() => None,
        Ok(set) => Some(PrimaryMismatch::Differs(set)),
        Err(name) => Some(PrimaryMismatch::Unreadable(name)),
    };
    if !aqi_differs && primary.is_none() {
        Consistency::Consistent
    } else {
        Consistency::Inconsistent(Mismatch {
            reported,
            computed: *computed,
            aqi_differs,
            primary,
        })
    }
}

/// Checks an hourly report against its concentrations.
pub fn check_hourly<'a>(reported: Reported<'a>, standard: AqiStandard, c: &HourlyConcentrations) -> Consistency<'a> {
    check(reported, &Aqi::hourly(standard, c))
}

/// Checks a daily report against its concentrations.
pub fn check_daily<'a>(reported: Reported<'a>, standard: AqiStandard, c: &DailyConcentrations) -> Consistency<'a> {
    check(reported, &Aqi::daily(standard, c))
}
