//! What QC says: a flag and a reason per value, summaries per station-day, and findings
//! grouped by station and check (one finding is what a ticket is opened for).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::observation::{Element, StationId, UtcHour};

/// QC flag of one value (codes commonly used with QX/T 118-2020; 3 corrected and 4 modified
/// are for the correction workflow, which this module does not do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum QcFlag {
    /// 0: passed every check that applies.
    Correct = 0,
    /// 1: suspect, a person should look.
    Suspect = 1,
    /// 2: wrong.
    Wrong = 2,
    /// 8: missing.
    Missing = 8,
    /// 9: present but no check applies (every threshold for the element switched off).
    NotChecked = 9,
}

impl QcFlag {
    /// The numeric code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// Severity among the flags a check can set: correct < suspect < wrong.
    const fn severity(self) -> u8 {
        match self {
            QcFlag::NotChecked | QcFlag::Missing | QcFlag::Correct => 0,
            QcFlag::Suspect => 1,
            QcFlag::Wrong => 2,
        }
    }
}

/// The check behind a flag; its code and Chinese text are the reason shown with the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Missing value or hour.
    Missing,
    /// Outside the climatological limits (wind direction outside 0..360 included).
    ClimateLimit,
    /// Outside the station's recorded extremes.
    StationExtreme,
    /// Unchanged for too many consecutive hours.
    Persistence,
    /// Change from the previous hour too large.
    Step,
    /// Dew point above air temperature.
    DewPointAboveTemperature,
    /// Relative humidity disagrees with temperature and dew point (Magnus).
    HumidityInconsistent,
    /// Calm wind reported with a direction.
    CalmWindDirection,
    /// Fewer records in a station-day than expected.
    Completeness,
}

impl Check {
    /// Stable snake_case reason code.
    pub const fn code(self) -> &'static str {
        match self {
            Check::Missing => "missing",
            Check::ClimateLimit => "climate_limit",
            Check::StationExtreme => "station_extreme",
            Check::Persistence => "persistence",
            Check::Step => "step",
            Check::DewPointAboveTemperature => "dew_point_above_temperature",
            Check::HumidityInconsistent => "humidity_inconsistent",
            Check::CalmWindDirection => "calm_wind_direction",
            Check::Completeness => "completeness",
        }
    }

    /// The reason in Chinese.
    pub const fn zh(self) -> &'static str {
        match self {
            Check::Missing => "缺测",
            Check::ClimateLimit => "超出气候学界限值",
            Check::StationExtreme => "超出台站历史极值",
            Check::Persistence => "数值长时间不变（持续性检查未通过）",
            Check::Step => "相邻小时变化超过允许值（时间一致性检查未通过）",
            Check::DewPointAboveTemperature => "露点温度高于气温（内部一致性检查未通过）",
            Check::HumidityInconsistent => "相对湿度与气温、露点温度不一致（内部一致性检查未通过）",
            Check::CalmWindDirection => "静风时风向不为零（内部一致性检查未通过）",
            Check::Completeness => "日观测次数不足（完整性检查未通过）",
        }
    }
}

/// The QC result of one value: its flag and, unless it is correct or not checked, the check
/// that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueQc {
    /// The flag.
    pub flag: QcFlag,
    /// The check that set the flag.
    pub reason: Option<Check>,
}

impl ValueQc {
    pub(super) const CORRECT: ValueQc = ValueQc {
        flag: QcFlag::Correct,
        reason: None,
    };
    pub(super) const MISSING: ValueQc = ValueQc {
        flag: QcFlag::Missing,
        reason: Some(Check::Missing),
    };
    pub(super) const NOT_CHECKED: ValueQc = ValueQc {
        flag: QcFlag::NotChecked,
        reason: None,
    };

    /// Raises the flag to `flag` for `check` if that is worse; equal flags keep the earlier
    /// reason.
    #[inline]
    pub(super) fn raise(&mut self, flag: QcFlag, check: Check) {
        if flag.severity() > self.flag.severity() {
            *self = ValueQc {
                flag,
                reason: Some(check),
            };
        }
    }
}

/// The result for one station: per observation (in series order) one [`ValueQc`] per element.
#[derive(Debug, Clone, PartialEq)]
pub struct StationQc {
    pub(super) station: StationId,
    pub(super) hours: Vec<UtcHour>,
    pub(super) flags: Vec<[ValueQc; Element::COUNT]>,
    pub(super) days: Vec<DaySummary>,
}

/// Counts of values per flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagCounts {
    /// Flag 0.
    pub correct: u32,
    /// Flag 1.
    pub suspect: u32,
    /// Flag 2.
    pub wrong: u32,
    /// Flag 8: missing values plus hours without a record.
    pub missing: u32,
    /// Flag 9.
    pub not_checked: u32,
}

impl FlagCounts {
    pub(super) fn add(&mut self, flag: QcFlag) {
        match flag {
            QcFlag::Correct => self.correct += 1,
            QcFlag::Suspect => self.suspect += 1,
            QcFlag::Wrong => self.wrong += 1,
            QcFlag::Missing => self.missing += 1,
            QcFlag::NotChecked => self.not_checked += 1,
        }
    }

    /// All values counted.
    pub fn total(&self) -> u32 {
        self.correct + self.suspect + self.wrong + self.missing + self.not_checked
    }
}

/// One station-day: records expected and present, and flag counts per element. For each
/// element the counts add up to the expected hours (absent hours count as missing), unless
/// the station reported more records than expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySummary {
    /// The station.
    pub station: StationId,
    /// The day (in the configured reporting time zone).
    pub date: NaiveDate,
    /// Records expected.
    pub expected_hours: u8,
    /// Records present.
    pub present_hours: u8,
    /// Records absent (expected minus present, not below zero).
    pub missing_hours: u8,
    /// Flag counts per element.
    pub counts: super::PerElement<FlagCounts>,
}

/// A group of failures of one check at one station (and element), with when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The station.
    pub station: StationId,
    /// The check.
    pub check: Check,
    /// The element, for value checks (none for completeness).
    pub element: Option<Element>,
    /// The worst flag in the group (suspect for completeness).
    pub flag: QcFlag,
    /// Values flagged (for completeness: hours missing).
    pub count: u32,
    /// First hour flagged (for completeness: the first incomplete day's first hour).
    pub first_hour: UtcHour,
    /// Last hour flagged.
    pub last_hour: UtcHour,
    /// Incomplete days, for completeness; otherwise days with a flagged value.
    pub days: Vec<NaiveDate>,
    /// One line in Chinese for the ticket title.
    pub summary_zh: String,
}

impl StationQc {
    /// The station.
    pub fn station(&self) -> &StationId {
        &self.station
    }

    /// The hours of the series, in order.
    pub fn hours(&self) -> &[UtcHour] {
        &self.hours
    }

    /// The flags of the `i`-th observation, indexed by [`Element::index`].
    pub fn flags(&self) -> &[[ValueQc; Element::COUNT]] {
        &self.flags
    }

    /// The result of one value, if the station has a record for that hour.
    pub fn value(&self, hour: UtcHour, e: Element) -> Option<ValueQc> {
        let i = self.hours.binary_search(&hour).ok()?;
        Some(self.flags[i][e.index()])
    }

    /// Summaries per station-day, from the series' first day to its last.
    pub fn days(&self) -> &[DaySummary] {
        &self.days
    }
}

/// Groups failures (suspect or wrong values; incomplete days) by station, check and element,
/// in station order: what a ticket per station and check is opened from. Missing values are
/// reported once per station through completeness and the day summaries, not per value.
pub fn findings<'a>(results: impl IntoIterator<Item = &'a StationQc>, day_offset_hours: i8) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in results {
        let mut groups: BTreeMap<(Check, Element), Finding> = BTreeMap::new();
        for (hour, flags) in r.hours.iter().zip(&r.flags) {
            for e in Element::ALL {
                let v = flags[e.index()];
                let (QcFlag::Suspect | QcFlag::Wrong, Some(check)) = (v.flag, v.reason) else {
                    continue;
                };
                let date = UtcHour::date_of_day_number(hour.day_number(day_offset_hours));
                let f = groups.entry((check, e)).or_insert_with(|| Finding {
                    station: r.station.clone(),
                    check,
                    element: Some(e),
                    flag: v.flag,
                    count: 0,
                    first_hour: *hour,
                    last_hour: *hour,
                    days: Vec::new(),
                    summary_zh: String::new(),
                });
                f.count += 1;
                f.last_hour = *hour;
                if v.flag == QcFlag::Wrong {
                    f.flag = QcFlag::Wrong;
                }
                if f.days.last() != Some(&date) {
                    f.days.push(date);
                }
            }
        }
        for mut f in groups.into_values() {
            let e = f.element.map(Element::zh).unwrap_or_default();
            let level = if f.flag == QcFlag::Wrong { "错误" } else { "可疑" };
            f.summary_zh = format!(
                "站点{}{}{}：{}个值{}，{}至{}",
                f.station,
                e,
                f.check.zh(),
                f.count,
                level,
                f.first_hour,
                f.last_hour
            );
            out.push(f);
        }
        let incomplete: Vec<&DaySummary> = r.days.iter().filter(|d| d.missing_hours > 0).collect();
        if let (Some(first), Some(last)) = (incomplete.first(), incomplete.last()) {
            let count: u32 = incomplete.iter().map(|d| u32::from(d.missing_hours)).sum();
            let day_start = |d: NaiveDate| {
                let n = i64::from(d.num_days_from_ce()) - 719_163;
                UtcHour(n * 24 - i64::from(day_offset_hours))
            };
            let first_hour = day_start(first.date);
            let last_hour = UtcHour(day_start(last.date).0 + 23);
            out.push(Finding {
                station: r.station.clone(),
                check: Check::Completeness,
                element: None,
                flag: QcFlag::Suspect,
                count,
                first_hour,
                last_hour,
                days: incomplete.iter().map(|d| d.date).collect(),
                summary_zh: format!(
                    "站点{}{}：{}天共缺{}个小时记录，{}至{}",
                    r.station,
                    Check::Completeness.zh(),
                    incomplete.len(),
                    count,
                    first.date,
                    last.date
                ),
            });
        }
    }
    out
}
