//! The working-day calendar behind SLA deadlines.
//!
//! Service-level agreements at the bureau are stated in *working* time: "reply within
//! 3 working days" means 3 × 420 business minutes, counted only inside office hours on
//! days the office is open. This module turns such budgets into instants and back.
//!
//! # Rules
//!
//! - **Working days.** Monday to Friday are working days, Saturday and Sunday are not,
//!   unless a [`DayOverride`] says otherwise. Overrides always win over the weekend rule;
//!   they carry the State Council's holiday arrangement: statutory holidays on weekdays
//!   (`working: false`) and make-up working days on weekends (调休上班, `working: true`).
//!   [`builtin_overrides`] provides the arrangement for 2025 and 2026.
//! - **Business hours.** Each working day has the same [`BusinessHours`], by default
//!   08:30–12:00 and 14:00–17:30 (420 minutes). Periods are half-open: the start minute
//!   is business time, the end minute is not.
//! - **Local time.** Days and hours are judged in the calendar's time zone
//!   (Asia/Shanghai in practice); instants come in and go out as UTC.
//! - **Counting.** [`WorkCalendar::add_working_minutes`] starts at the given instant, or
//!   at the next business start if the instant is outside business time. One working day
//!   of minutes lands on the same clock time of the next working day, and an end that
//!   falls exactly on the end of a period stays there (17:30, not 08:30 next morning;
//!   so one working day from exactly 14:00 ends at 12:00 the next working day).
//!   Seconds and sub-seconds of the start are kept: counting is exact, budgets are whole
//!   minutes.
//! - **Supported range.** Overrides are held in a precomputed table for
//!   [`SUPPORTED_FIRST`]`..=`[`SUPPORTED_LAST`] (2000-01-01..=2100-12-31). Outside it the
//!   plain weekend rule applies (every day, for the 24×7 calendar).
//!
//! # Performance
//!
//! Deadlines may be computed in bulk (e.g. recomputing every open SLA), so the hot path
//! does no allocation, no map look-ups and no per-day loops. The table stores, for
//! every day, the number of working days before it (its *ordinal*), and the list of
//! working days by ordinal. Skipping any number of whole working days is then two array
//! reads. The time zone is consulted exactly twice per deadline: once to turn the start
//! into local time, once to turn the result back into UTC.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::{GapInfo, Tz};

/// First date of the precomputed working-day table.
pub const SUPPORTED_FIRST: NaiveDate = const_date(2000, 1, 1);
/// Last date of the precomputed working-day table.
pub const SUPPORTED_LAST: NaiveDate = const_date(2100, 12, 31);

/// First date [`builtin_overrides`] covers.
const BUILTIN_FIRST: NaiveDate = const_date(2025, 1, 1);
/// Last date [`builtin_overrides`] covers (the `chinese_holiday` data ends here).
const BUILTIN_LAST: NaiveDate = const_date(2026, 12, 25);
/// `chinese_holiday::chinese_holiday` panics outside this range.
const HOLIDAY_CRATE_FIRST: NaiveDate = const_date(2004, 1, 1);
/// See [`HOLIDAY_CRATE_FIRST`].
const HOLIDAY_CRATE_LAST: NaiveDate = const_date(2026, 12, 25);

const MINUTES_PER_DAY: i64 = 24 * 60;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;

const fn const_date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => NaiveDate::MIN,
    }
}

/// Errors of calendar construction.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    /// The business hours are empty, unsorted, overlapping, inverted or not whole minutes.
    #[error("invalid business hours: {0}")]
    InvalidHours(String),
    /// A date lies outside [`SUPPORTED_FIRST`]`..=`[`SUPPORTED_LAST`].
    #[error("date out of supported range: {0}")]
    OutOfRange(NaiveDate),
}

/// One business period in minutes of the day, with the business minutes of the day that
/// lie before it (`before`) and up to its end (`after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: i64,
    end: i64,
    before: i64,
    after: i64,
}

/// The business periods of a working day: sorted, non-overlapping, whole minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    periods: Vec<(NaiveTime, NaiveTime)>,
    spans: Vec<Span>,
    minutes_per_day: i64,
}

impl BusinessHours {
    /// Business hours from `(start, end)` periods, each half-open `[start, end)`.
    /// Periods may touch (`12:00` end, `12:00` start).
    ///
    /// # Errors
    ///
    /// [`CalendarError::InvalidHours`] if the list is empty, unsorted or overlapping, if a
    /// period has `start >= end`, or if a boundary is not a whole minute.
    pub fn new(periods: Vec<(NaiveTime, NaiveTime)>) -> Result<Self, CalendarError> {
        if periods.is_empty() {
            return Err(CalendarError::InvalidHours("no periods".to_owned()));
        }
        let mut spans = Vec::with_capacity(periods.len());
        let mut total = 0_i64;
        let mut previous: Option<(NaiveTime, NaiveTime)> = None;
        for &(start, end) in &periods {
            let (Some(start_minute), Some(end_minute)) = (whole_minute(start), whole_minute(end)) else {
                return Err(CalendarError::InvalidHours(format!(
                    "{start}-{end}: boundaries must be whole minutes"
                )));
            };
            if start >= end {
                return Err(CalendarError::InvalidHours(format!(
                    "{start}-{end}: start must be before end"
                )));
            }
            if let Some((previous_start, previous_end)) = previous {
                if start < previous_start {
                    return Err(CalendarError::InvalidHours(format!(
                        "{start}-{end} comes before {previous_start}-{previous_end}: periods must be sorted"
                    )));
                }
                if start < previous_end {
                    return Err(CalendarError::InvalidHours(format!(
                        "{start}-{end} overlaps {previous_start}-{previous_end}"
                    )));
                }
            }
            previous = Some((start, end));
            let length = end_minute - start_minute;
            spans.push(Span {
                start: start_minute,
                end: end_minute,
                before: total,
                after: total + length,
            });
            total += length;
        }
        Ok(Self {
            periods,
            spans,
            minutes_per_day: total,
        })
    }

    /// The bureau's office hours: 08:30–12:00 and 14:00–17:30 (420 minutes).
    pub fn default_office() -> Self {
        Self::from_minutes(&[(8 * 60 + 30, 12 * 60), (14 * 60, 17 * 60 + 30)])
    }

    /// The whole day, 00:00–24:00 (1440 minutes), as used by the 24×7 calendar.
    ///
    /// [`NaiveTime`] cannot express 24:00, so [`periods`](Self::periods) reports the end as
    /// 23:59:59.999999999; arithmetic uses midnight.
    pub fn full_day() -> Self {
        Self::from_minutes(&[(0, MINUTES_PER_DAY)])
    }

    /// Builds hours from known-good minute ranges (sorted, non-overlapping, non-empty).
    fn from_minutes(ranges: &[(i64, i64)]) -> Self {
        let mut periods = Vec::with_capacity(ranges.len());
        let mut spans = Vec::with_capacity(ranges.len());
        let mut total = 0_i64;
        for &(start, end) in ranges {
            periods.push((time_of_minute(start), time_of_minute(end)));
            spans.push(Span {
                start,
                end,
                before: total,
                after: total + end - start,
            });
            total += end - start;
        }
        Self {
            periods,
            spans,
            minutes_per_day: total,
        }
    }

    /// The periods, sorted and non-overlapping.
    pub fn periods(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.periods
    }

    /// Business minutes in one working day.
    pub fn minutes_per_day(&self) -> i64 {
        self.minutes_per_day
    }
}

impl Default for BusinessHours {
    /// Same as [`BusinessHours::default_office`].
    fn default() -> Self {
        Self::default_office()
    }
}

/// Minutes since midnight, if `time` is a whole minute.
fn whole_minute(time: NaiveTime) -> Option<i64> {
    if time.second() != 0 || time.nanosecond() != 0 {
        return None;
    }
    Some(i64::from(time.hour() * 60 + time.minute()))
}

/// The clock time of a minute of the day; 1440 (midnight at the end) is shown as the last
/// representable instant of the day.
fn time_of_minute(minute: i64) -> NaiveTime {
    if minute >= MINUTES_PER_DAY {
        return NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).unwrap_or(NaiveTime::MIN);
    }
    u32::try_from(minute * 60)
        .ok()
        .and_then(|seconds| NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0))
        .unwrap_or(NaiveTime::MIN)
}

/// A day whose working status differs from the weekend rule: a statutory holiday on a
/// weekday (`working: false`) or a make-up working day on a weekend (`working: true`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DayOverride {
    /// The local date.
    pub date: NaiveDate,
    /// Whether the office is open that day.
    pub working: bool,
    /// Display name, e.g. "国庆节" or "春节调休上班".
    pub name: String,
}

/// What decides working days outside the precomputed table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fallback {
    /// Monday to Friday.
    Weekdays,
    /// Every day (24×7).
    EveryDay,
}

impl Fallback {
    /// Whether day number `day` (0 = Monday 0001-01-01) is a working day.
    fn is_working(self, day: i64) -> bool {
        match self {
            Self::Weekdays => day.rem_euclid(7) < 5,
            Self::EveryDay => true,
        }
    }

    /// Working days in `[0, day)`, negative for days before day 0.
    fn count_before(self, day: i64) -> i64 {
        match self {
            Self::Weekdays => 5 * day.div_euclid(7) + day.rem_euclid(7).min(5),
            Self::EveryDay => day,
        }
    }

    /// The working day with `count` working days before it (inverse of `count_before`).
    fn nth(self, count: i64) -> Option<i64> {
        match self {
            Self::Weekdays => count.div_euclid(5).checked_mul(7)?.checked_add(count.rem_euclid(5)),
            Self::EveryDay => Some(count),
        }
    }
}

/// Day number of a date: days since Monday 0001-01-01, so `rem_euclid(7)` is the weekday
/// counted from Monday = 0.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 1
}

/// Inverse of [`day_number`], `None` outside chrono's range.
fn date_of_number(day: i64) -> Option<NaiveDate> {
    i32::try_from(day.checked_add(1)?)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// A local instant split for arithmetic.
#[derive(Debug, Clone, Copy)]
struct Local {
    /// [`day_number`] of the local date.
    day: i64,
    /// Minute of the day, `0..1440`.
    minute: i64,
    /// Nanoseconds into the minute, `0..60e9`.
    frac: i64,
}

/// A point on the business time line: `offset` business minutes (plus `frac`
/// nanoseconds) into the working day with ordinal `ordinal`.
#[derive(Debug, Clone, Copy)]
struct Position {
    ordinal: i64,
    /// `0..minutes_per_day`.
    offset: i64,
    frac: i64,
    /// Whether the instant itself is business time (else the position is the next
    /// business start).
    inside: bool,
}

/// A working-day calendar: which days are working days, the business hours of those days,
/// and the time zone both are judged in. Cheap to clone (the day table is shared).
#[derive(Clone)]
pub struct WorkCalendar {
    tz: Tz,
    hours: BusinessHours,
    fallback: Fallback,
    /// Day number of [`SUPPORTED_FIRST`].
    first: i64,
    /// Day number one past [`SUPPORTED_LAST`].
    end: i64,
    /// `ordinals[i]`: working days in `[first, first + i)`; `end - first + 1` entries.
    ordinals: Arc<[u32]>,
    /// `working_days[k]`: offset from `first` of the working day with ordinal `k`.
    working_days: Arc<[u32]>,
    /// `working_days.len()`.
    in_table: i64,
    /// `fallback.count_before(first)`.
    fallback_first: i64,
    /// `fallback.count_before(end)`.
    fallback_end: i64,
    /// The effective in-range overrides, sorted by date, one per date.
    overrides: Arc<[DayOverride]>,
}

impl fmt::Debug for WorkCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkCalendar")
            .field("tz", &self.tz)
            .field("hours", &self.hours.periods)
            .field("fallback", &self.fallback)
            .field("working_days_in_range", &self.in_table)
            .field("overrides", &self.overrides.len())
            .finish()
    }
}

impl WorkCalendar {
    /// A calendar in time zone `tz` (Asia/Shanghai in practice) with the given business
    /// hours and overrides. Overrides win over the weekend rule (Mon–Fri working, Sat/Sun
    /// not); for a date listed twice the last entry wins. Overrides outside
    /// [`SUPPORTED_FIRST`]`..=`[`SUPPORTED_LAST`] are ignored, see [`Self::try_new`].
    pub fn new(tz: Tz, hours: BusinessHours, overrides: &[DayOverride]) -> Self {
        Self::build(tz, hours, overrides, Fallback::Weekdays)
    }

    /// Like [`Self::new`], but rejects overrides outside the supported range instead of
    /// ignoring them.
    ///
    /// # Errors
    ///
    /// [`CalendarError::OutOfRange`] with the first override dated before
    /// [`SUPPORTED_FIRST`] or after [`SUPPORTED_LAST`].
    pub fn try_new(tz: Tz, hours: BusinessHours, overrides: &[DayOverride]) -> Result<Self, CalendarError> {
        if let Some(outside) = overrides
            .iter()
            .find(|o| o.date < SUPPORTED_FIRST || o.date > SUPPORTED_LAST)
        {
            return Err(CalendarError::OutOfRange(outside.date));
        }
        Ok(Self::new(tz, hours, overrides))
    }

    /// The bureau's standard calendar: office hours ([`BusinessHours::default_office`]) and
    /// the statutory holidays of [`builtin_overrides`].
    pub fn with_builtin_holidays(tz: Tz) -> Self {
        Self::new(tz, BusinessHours::default_office(), &builtin_overrides())
    }

    /// Every minute of every day is business time (for end-to-end tests).
    pub fn twenty_four_seven(tz: Tz) -> Self {
        Self::build(tz, BusinessHours::full_day(), &[], Fallback::EveryDay)
    }

    fn build(tz: Tz, hours: BusinessHours, overrides: &[DayOverride], fallback: Fallback) -> Self {
        let first = day_number(SUPPORTED_FIRST);
        let end = day_number(SUPPORTED_LAST) + 1;
        let mut working: Vec<bool> = (first..end).map(|day| fallback.is_working(day)).collect();

        let mut effective: Vec<DayOverride> = Vec::with_capacity(overrides.len());
        for o in overrides {
            let day = day_number(o.date);
            if day < first || day >= end {
                continue;
            }
            if let Some(slot) = usize::try_from(day - first).ok().and_then(|i| working.get_mut(i)) {
                *slot = o.working;
            }
            effective.push(o.clone());
        }
        // Stable sort, then keep the last entry of each date.
        effective.sort_by_key(|o| o.date);
        let mut deduplicated: Vec<DayOverride> = Vec::with_capacity(effective.len());
        for o in effective {
            match deduplicated.last_mut() {
                Some(last) if last.date == o.date => *last = o,
                _ => deduplicated.push(o),
            }
        }

        let mut ordinals = Vec::with_capacity(working.len() + 1);
        let mut working_days = Vec::with_capacity(working.len());
        let mut count = 0_u32;
        for (i, &is_working) in working.iter().enumerate() {
            ordinals.push(count);
            if is_working {
                working_days.push(u32::try_from(i).unwrap_or(u32::MAX));
                count += 1;
            }
        }
        ordinals.push(count);

        Self {
            tz,
            hours,
            fallback,
            first,
            end,
            ordinals: ordinals.into(),
            working_days: working_days.into(),
            in_table: i64::from(count),
            fallback_first: fallback.count_before(first),
            fallback_end: fallback.count_before(end),
            overrides: deduplicated.into(),
        }
    }

    /// The time zone days and hours are judged in.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The business hours of every working day.
    pub fn hours(&self) -> &BusinessHours {
        &self.hours
    }

    /// The overrides in effect (within the supported range), sorted by date.
    pub fn overrides(&self) -> &[DayOverride] {
        &self.overrides
    }

    /// The override for `date`, if any (e.g. to show "国庆节").
    pub fn override_for(&self, date: NaiveDate) -> Option<&DayOverride> {
        self.overrides
            .binary_search_by_key(&date, |o| o.date)
            .ok()
            .and_then(|i| self.overrides.get(i))
    }

    /// Whether the office is open on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.is_working(day_number(date))
    }

    /// Working minutes of one working day (420 by default; 1440 for 24×7).
    pub fn minutes_per_working_day(&self) -> i64 {
        self.hours.minutes_per_day
    }

    /// The instant reached after `minutes` business minutes counted from `start`.
    ///
    /// If `start` is outside business time, counting begins at the next business start.
    /// `minutes == 0` returns `start` unchanged if it is business time, else the next
    /// business start. Negative budgets count as zero.
    ///
    /// From 10:00 on a working day, [`minutes_per_working_day`](Self::minutes_per_working_day)
    /// minutes reach 10:00 on the next working day. The result is the earliest instant at
    /// which the budget is used up, so an end that falls exactly on the end of a period
    /// stays there (e.g. 17:30), it does not roll over to the next period's start. In
    /// particular one working day from exactly 08:30 ends at 17:30 the same day, and from
    /// exactly 14:00 at 12:00 the next working day (the same business instant as 14:00).
    ///
    /// Seconds of `start` carry into the result (10:00:30 + 1 → 10:01:30). Saturates at
    /// [`DateTime::<Utc>::MAX_UTC`].
    pub fn add_working_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let Some(local) = self.to_local(start) else {
            return start;
        };
        let position = self.position(local);
        let minutes = minutes.max(0);
        if minutes == 0 && position.inside {
            return start;
        }
        // An end exactly on a minute boundary is placed at the end of the period it
        // completes rather than at the start of the next one.
        let at_period_end = minutes > 0 && position.frac == 0;
        let per_day = self.hours.minutes_per_day.max(1);
        let Some(total) = position.offset.checked_add(minutes) else {
            return DateTime::<Utc>::MAX_UTC;
        };
        let mut days = total / per_day;
        let mut offset = total % per_day;
        if at_period_end && offset == 0 {
            days -= 1;
            offset = per_day;
        }
        let Some(day) = position
            .ordinal
            .checked_add(days)
            .and_then(|ordinal| self.day_of_ordinal(ordinal))
        else {
            return DateTime::<Utc>::MAX_UTC;
        };
        let minute = self.minute_of_offset(offset, at_period_end);
        self.to_utc(day, minute, position.frac)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Business minutes in `[a, b)`, whole minutes rounded down (0 if `b <= a`).
    ///
    /// Inverse of [`add_working_minutes`](Self::add_working_minutes):
    /// `working_minutes_between(s, add_working_minutes(s, m)) == m`.
    pub fn working_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b <= a {
            return 0;
        }
        let (Some(la), Some(lb)) = (self.to_local(a), self.to_local(b)) else {
            return 0;
        };
        let pa = self.position(la);
        let pb = self.position(lb);
        let days = pb.ordinal.saturating_sub(pa.ordinal);
        let minutes = days
            .saturating_mul(self.hours.minutes_per_day)
            .saturating_add(pb.offset - pa.offset);
        let minutes = if pb.frac < pa.frac {
            minutes.saturating_sub(1)
        } else {
            minutes
        };
        minutes.max(0)
    }

    /// True if `t` is inside a business period of a working day (local time, start
    /// inclusive, end exclusive).
    pub fn is_business_time(&self, t: DateTime<Utc>) -> bool {
        let Some(local) = self.to_local(t) else {
            return false;
        };
        self.is_working(local.day)
            && self
                .hours
                .spans
                .iter()
                .any(|span| span.start <= local.minute && local.minute < span.end)
    }

    /// `t` itself if it is business time, else the start of the next business period.
    pub fn next_business_time(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        self.add_working_minutes(t, 0)
    }

    /// The next `n` working days strictly after `from`.
    pub fn next_working_days(&self, from: NaiveDate, n: usize) -> Vec<NaiveDate> {
        let next = self.ordinal(day_number(from) + 1);
        (0..n)
            .map_while(|k| {
                let ordinal = next.checked_add(i64::try_from(k).ok()?)?;
                date_of_number(self.day_of_ordinal(ordinal)?)
            })
            .collect()
    }

    // ----- day table -------------------------------------------------------------------

    fn table_index(&self, day: i64) -> Option<usize> {
        if day < self.first || day >= self.end {
            return None;
        }
        usize::try_from(day - self.first).ok()
    }

    fn is_working(&self, day: i64) -> bool {
        match self.table_index(day) {
            Some(i) => match (self.ordinals.get(i), self.ordinals.get(i + 1)) {
                (Some(before), Some(after)) => after > before,
                _ => self.fallback.is_working(day),
            },
            None => self.fallback.is_working(day),
        }
    }

    /// Number of working days in `[first, day)`; negative before the table.
    fn ordinal(&self, day: i64) -> i64 {
        let in_table = self.in_table;
        if day < self.first {
            self.fallback.count_before(day) - self.fallback_first
        } else if day > self.end {
            in_table + self.fallback.count_before(day) - self.fallback_end
        } else {
            usize::try_from(day - self.first)
                .ok()
                .and_then(|i| self.ordinals.get(i))
                .map_or(in_table, |&count| i64::from(count))
        }
    }

    /// The working day with the given ordinal.
    fn day_of_ordinal(&self, ordinal: i64) -> Option<i64> {
        let in_table = self.in_table;
        if ordinal < 0 {
            self.fallback.nth(self.fallback_first.checked_add(ordinal)?)
        } else if ordinal < in_table {
            let index = usize::try_from(ordinal).ok()?;
            let offset = self.working_days.get(index)?;
            Some(self.first + i64::from(*offset))
        } else {
            self.fallback.nth(self.fallback_end.checked_add(ordinal - in_table)?)
        }
    }

    // ----- business time line ----------------------------------------------------------

    /// The business position of a local instant: the instant itself if it is business
    /// time, else the next business start.
    fn position(&self, local: Local) -> Position {
        let ordinal = self.ordinal(local.day);
        if !self.is_working(local.day) {
            // A non-working day has as many working days before it as the next working
            // day does, so its ordinal is the next working day's.
            return Position {
                ordinal,
                offset: 0,
                frac: 0,
                inside: false,
            };
        }
        for span in &self.hours.spans {
            if local.minute < span.end {
                if local.minute >= span.start {
                    return Position {
                        ordinal,
                        offset: span.before + local.minute - span.start,
                        frac: local.frac,
                        inside: true,
                    };
                }
                return Position {
                    ordinal,
                    offset: span.before,
                    frac: 0,
                    inside: false,
                };
            }
        }
        Position {
            ordinal: ordinal + 1,
            offset: 0,
            frac: 0,
            inside: false,
        }
    }

    /// Minute of the day at `offset` business minutes into a working day. With
    /// `at_period_end`, an offset equal to a period's cumulative end maps to that period's
    /// end instead of the next period's start.
    fn minute_of_offset(&self, offset: i64, at_period_end: bool) -> i64 {
        let spans = &self.hours.spans;
        for span in spans {
            if offset < span.after || (at_period_end && offset == span.after) {
                return span.start + (offset - span.before);
            }
        }
        spans.last().map_or(0, |span| span.end)
    }

    // ----- time zone -------------------------------------------------------------------

    fn to_local(&self, t: DateTime<Utc>) -> Option<Local> {
        let utc = t.naive_utc();
        let offset = self.tz.offset_from_utc_datetime(&utc).fix();
        let local = utc.checked_add_offset(offset)?;
        let frac = i64::from(local.second()) * NANOS_PER_SECOND + i64::from(local.nanosecond());
        Some(Local {
            day: day_number(local.date()),
            minute: i64::from(local.hour() * 60 + local.minute()),
            // A leap second may push the nanoseconds past the minute.
            frac: frac.min(NANOS_PER_MINUTE - 1),
        })
    }

    /// UTC instant of local `day` at `minute` (`0..=1440`) plus `frac` nanoseconds.
    /// Ambiguous local times take the earlier instant; non-existent ones (DST gaps) the
    /// end of the gap.
    fn to_utc(&self, day: i64, minute: i64, frac: i64) -> Option<DateTime<Utc>> {
        let (day, minute) = if minute >= MINUTES_PER_DAY {
            (day.checked_add(1)?, minute - MINUTES_PER_DAY)
        } else {
            (day, minute)
        };
        let date = date_of_number(day)?;
        let seconds = u32::try_from(minute * 60 + frac / NANOS_PER_SECOND).ok()?;
        let nanos = u32::try_from(frac % NANOS_PER_SECOND).ok()?;
        let local = date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos)?);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => GapInfo::new(&local, &self.tz)
                .and_then(|gap| gap.end)
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// Statutory holidays and make-up working days for 2025 and 2026, from the
/// `chinese_holiday` crate (data of the State Council's annual notices).
///
/// Returns every date in 2025-01-01..=2026-12-25 whose status differs from the plain
/// weekend rule, sorted by date, with a Chinese name ("春节", "国庆节", "春节调休上班", ...).
/// Holidays that fall on a weekend anyway (e.g. Saturday 2026-10-03) are not listed.
pub fn builtin_overrides() -> Vec<DayOverride> {
    BUILTIN_FIRST
        .iter_days()
        .take_while(|date| *date <= BUILTIN_LAST)
        .filter_map(|date| {
            let kind = holiday_kind(date)?;
            let working = kind.is_workday();
            if working == Fallback::Weekdays.is_working(day_number(date)) {
                return None;
            }
            Some(DayOverride {
                date,
                working,
                name: holiday_name(kind).to_owned(),
            })
        })
        .collect()
}

/// The crate's verdict for `date`, `None` where the crate would panic.
fn holiday_kind(date: NaiveDate) -> Option<chinese_holiday::DayKind> {
    if date < HOLIDAY_CRATE_FIRST || date > HOLIDAY_CRATE_LAST {
        return None;
    }
    let ymd = chinese_holiday::Ymd::new(
        u16::try_from(date.year()).ok()?,
        u8::try_from(date.month()).ok()?,
        u8::try_from(date.day()).ok()?,
    );
    Some(chinese_holiday::chinese_holiday(ymd))
}

fn holiday_name(kind: chinese_holiday::DayKind) -> &'static str {
    use chinese_holiday::DayKind;
    match kind {
        DayKind::NormalWorkday => "工作日",
        DayKind::NormalHoliday => "休息日",
        DayKind::NewYearsDayHoliday => "元旦",
        DayKind::NewYearsDayWorkday => "元旦调休上班",
        DayKind::SpringFestivalHoliday => "春节",
        DayKind::SpringFestivalWorkday => "春节调休上班",
        DayKind::ChingMingFestivalHoliday => "清明节",
        DayKind::ChingMingFestivalWorkday => "清明节调休上班",
        DayKind::InternationalWorkersDayHoliday => "劳动节",
        DayKind::InternationalWorkersDayWorkday => "劳动节调休上班",
        DayKind::DragonBoatFestivalHoliday => "端午节",
        DayKind::DragonBoatFestivalWorkday => "端午节调休上班",
        DayKind::MidAutumnFestivalHoliday => "中秋节",
        DayKind::MidAutumnFestivalWorkday => "中秋节调休上班",
        DayKind::NationalDayHoliday => "国庆节",
        DayKind::NationalDayWorkday => "国庆节调休上班",
        DayKind::OtherHoliday => "其他假日",
        DayKind::OtherWorkday => "调休上班",
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use chrono::{Duration, Weekday};
    use chrono_tz::Asia::Shanghai;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// A Shanghai wall-clock instant as UTC.
    fn sh(y: i32, mo: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
        sh_s(y, mo, day, h, mi, 0)
    }

    fn sh_s(y: i32, mo: u32, day: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, mo, day, h, mi, s)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn china() -> WorkCalendar {
        WorkCalendar::with_builtin_holidays(Shanghai)
    }

    const MAKEUP_2025: [(i32, u32, u32); 5] = [
        (2025, 1, 26),
        (2025, 2, 8),
        (2025, 4, 27),
        (2025, 9, 28),
        (2025, 10, 11),
    ];
    const MAKEUP_2026: [(i32, u32, u32); 6] = [
        (2026, 1, 4),
        (2026, 2, 14),
        (2026, 2, 28),
        (2026, 5, 9),
        (2026, 9, 20),
        (2026, 10, 10),
    ];

    /// Minute-by-minute reference for whole-minute starts.
    fn reference_add(cal: &WorkCalendar, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let mut at = start;
        let mut counted = 0;
        loop {
            if cal.is_business_time(at) {
                if counted == minutes {
                    return at;
                }
                counted += 1;
                if counted == minutes {
                    return at + Duration::minutes(1);
                }
            }
            at += Duration::minutes(1);
        }
    }

    /// Deterministic pseudo-random numbers for property-style loops.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % bound
        }
    }

    #[test]
    fn day_numbers_align_with_weekdays() {
        assert_eq!(day_number(d(1, 1, 1)), 0);
        assert_eq!(d(1, 1, 1).weekday(), Weekday::Mon);
        let cal = WorkCalendar::new(Shanghai, BusinessHours::default_office(), &[]);
        // Inside the table, and on both sides of it.
        for start in [d(1999, 6, 1), d(2024, 1, 1), d(2100, 10, 1)] {
            for date in start.iter_days().take(800) {
                let weekday = date.weekday().number_from_monday() <= 5;
                assert_eq!(cal.is_working_day(date), weekday, "{date}");
                assert_eq!(date_of_number(day_number(date)), Some(date));
            }
        }
    }

    #[test]
    fn makeup_days_are_working() {
        let cal = china();
        for (y, m, day) in MAKEUP_2025.iter().chain(MAKEUP_2026.iter()) {
            let date = d(*y, *m, *day);
            assert!(
                matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
                "{date} should be a weekend day"
            );
            assert!(cal.is_working_day(date), "{date} should be working");
        }
        assert_eq!(
            cal.override_for(d(2026, 2, 14)).map(|o| o.name.as_str()),
            Some("春节调休上班")
        );
    }

    #[test]
    fn statutory_holidays_are_not_working() {
        let cal = china();
        let mut holidays: Vec<NaiveDate> = Vec::new();
        holidays.extend(d(2026, 10, 1).iter_days().take(7)); // 国庆节
        holidays.extend(d(2026, 2, 15).iter_days().take(9)); // 春节 2026
        holidays.extend(d(2025, 1, 28).iter_days().take(8)); // 春节 2025
        holidays.extend(d(2025, 10, 1).iter_days().take(8)); // 国庆节+中秋节 2025
        holidays.extend([
            d(2025, 1, 1),
            d(2026, 1, 1),
            d(2026, 1, 2),
            d(2026, 4, 6),
            d(2026, 5, 4),
            d(2026, 5, 5),
            d(2026, 6, 19),
            d(2026, 9, 25),
        ]);
        for date in holidays {
            assert!(!cal.is_working_day(date), "{date} should be a holiday");
        }
        assert!(cal.is_working_day(d(2026, 10, 8)));
        assert!(cal.is_working_day(d(2026, 2, 24)));
        assert!(cal.is_working_day(d(2025, 10, 9)));
        assert_eq!(
            cal.override_for(d(2026, 10, 1)).map(|o| o.name.as_str()),
            Some("国庆节")
        );
        // Weekends without make-up work stay off.
        assert!(!cal.is_working_day(d(2026, 10, 11)));
        assert!(!cal.is_working_day(d(2026, 3, 7)));
    }

    #[test]
    fn one_working_day_across_national_day() {
        let cal = china();
        // 2026-09-30 is a Wednesday; 10-01..07 are holidays, 10-08 (Thursday) is working.
        assert_eq!(d(2026, 9, 30).weekday(), Weekday::Wed);
        assert!(!cal.is_working_day(d(2026, 10, 7)));
        assert!(cal.is_working_day(d(2026, 10, 8)));
        let start = sh(2026, 9, 30, 10, 0);
        assert_eq!(cal.add_working_minutes(start, 420), sh(2026, 10, 8, 10, 0));
        assert_eq!(cal.add_working_minutes(start, 840), sh(2026, 10, 9, 10, 0));
        // Saturday 10-10 is a make-up working day.
        assert_eq!(cal.add_working_minutes(start, 3 * 420), sh(2026, 10, 10, 10, 0));
        assert_eq!(cal.add_working_minutes(start, 4 * 420), sh(2026, 10, 12, 10, 0));
        // Mid-Autumn (Friday 09-25) and the weekend.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 9, 24, 10, 0), 420),
            sh(2026, 9, 28, 10, 0)
        );
        // Spring Festival 2026: Friday 02-13 → Saturday 02-14 (make-up) → Tuesday 02-24.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 2, 13, 10, 0), 420),
            sh(2026, 2, 14, 10, 0)
        );
        assert_eq!(
            cal.add_working_minutes(sh(2026, 2, 13, 10, 0), 840),
            sh(2026, 2, 24, 10, 0)
        );
        assert_eq!(cal.working_minutes_between(start, sh(2026, 10, 8, 10, 0)), 420);
    }

    #[test]
    fn starts_outside_business_time() {
        let cal = china();
        // On a holiday: counting starts 2026-10-08 08:30.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 10, 3, 15, 0), 60),
            sh(2026, 10, 8, 9, 30)
        );
        // At night (Monday 2026-03-09 20:00).
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 9, 20, 0), 30),
            sh(2026, 3, 10, 9, 0)
        );
        // After midnight, before opening.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 2, 0), 30),
            sh(2026, 3, 10, 9, 0)
        );
        // Lunch break.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 12, 30), 30),
            sh(2026, 3, 10, 14, 30)
        );
        // Friday evening → Monday.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 13, 18, 0), 420),
            sh(2026, 3, 16, 17, 30)
        );
        // Zero minutes.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 7, 0), 0),
            sh(2026, 3, 10, 8, 30)
        );
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 12, 0), 0),
            sh(2026, 3, 10, 14, 0)
        );
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 17, 30), 0),
            sh(2026, 3, 11, 8, 30)
        );
        let inside = sh_s(2026, 3, 10, 9, 15, 42) + Duration::nanoseconds(123);
        assert_eq!(cal.add_working_minutes(inside, 0), inside);
        assert_eq!(cal.next_business_time(inside), inside);
        assert_eq!(cal.next_business_time(sh(2026, 9, 30, 18, 0)), sh(2026, 10, 8, 8, 30));
        // Negative budgets count as zero.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 7, 0), -5),
            sh(2026, 3, 10, 8, 30)
        );
    }

    #[test]
    fn period_end_edges() {
        let cal = china();
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 11, 0), 60),
            sh(2026, 3, 10, 12, 0)
        );
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 11, 0), 61),
            sh(2026, 3, 10, 14, 1)
        );
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 16, 30), 60),
            sh(2026, 3, 10, 17, 30)
        );
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 16, 30), 61),
            sh(2026, 3, 11, 8, 31)
        );
        // A full day from opening ends at closing of the same day.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 8, 30), 420),
            sh(2026, 3, 10, 17, 30)
        );
        // From the afternoon start, a full day is used up at 12:00 the next day (the same
        // business instant as 14:00, but the earlier clock time).
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 14, 0), 420),
            sh(2026, 3, 11, 12, 0)
        );
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 14, 1), 420),
            sh(2026, 3, 11, 14, 1)
        );
        // Friday closing before a holiday week stays on Friday.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 9, 30, 17, 0), 30),
            sh(2026, 9, 30, 17, 30)
        );
        // Ending at 12:00 from the morning of the previous day.
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 12, 0), 210),
            sh(2026, 3, 10, 17, 30)
        );
        assert!(cal.is_business_time(sh(2026, 3, 10, 8, 30)));
        assert!(cal.is_business_time(sh(2026, 3, 10, 11, 59)));
        assert!(!cal.is_business_time(sh(2026, 3, 10, 12, 0)));
        assert!(!cal.is_business_time(sh(2026, 3, 10, 17, 30)));
        assert!(!cal.is_business_time(sh(2026, 10, 5, 10, 0)));
        assert!(cal.is_business_time(sh(2026, 10, 10, 10, 0)));
    }

    #[test]
    fn seconds_are_kept() {
        let cal = china();
        assert_eq!(
            cal.add_working_minutes(sh_s(2026, 3, 10, 10, 0, 30), 1),
            sh_s(2026, 3, 10, 10, 1, 30)
        );
        assert_eq!(
            cal.add_working_minutes(sh_s(2026, 3, 10, 11, 59, 30), 1),
            sh_s(2026, 3, 10, 14, 0, 30)
        );
        assert_eq!(
            cal.add_working_minutes(sh_s(2026, 3, 10, 17, 29, 30), 1),
            sh_s(2026, 3, 11, 8, 30, 30)
        );
        assert_eq!(
            cal.add_working_minutes(sh_s(2026, 3, 10, 10, 0, 30), 420),
            sh_s(2026, 3, 11, 10, 0, 30)
        );
        // Seconds outside business time are dropped with the jump to the next start.
        assert_eq!(
            cal.add_working_minutes(sh_s(2026, 3, 10, 12, 10, 30), 1),
            sh(2026, 3, 10, 14, 1)
        );
        assert_eq!(
            cal.working_minutes_between(sh_s(2026, 3, 10, 10, 0, 30), sh_s(2026, 3, 10, 10, 1, 0)),
            0
        );
        assert_eq!(
            cal.working_minutes_between(sh_s(2026, 3, 10, 10, 0, 30), sh_s(2026, 3, 10, 10, 1, 30)),
            1
        );
        assert_eq!(
            cal.working_minutes_between(sh_s(2026, 3, 10, 11, 59, 30), sh_s(2026, 3, 10, 14, 0, 29)),
            0
        );
    }

    #[test]
    fn working_minutes_between_basics() {
        let cal = china();
        let a = sh(2026, 3, 10, 10, 0);
        assert_eq!(cal.working_minutes_between(a, a), 0);
        assert_eq!(cal.working_minutes_between(a, a - Duration::hours(5)), 0);
        assert_eq!(
            cal.working_minutes_between(sh(2026, 3, 10, 0, 0), sh(2026, 3, 11, 0, 0)),
            420
        );
        assert_eq!(
            cal.working_minutes_between(sh(2026, 3, 10, 11, 0), sh(2026, 3, 10, 15, 0)),
            120
        );
        // A whole week of National Day.
        assert_eq!(
            cal.working_minutes_between(sh(2026, 9, 30, 17, 30), sh(2026, 10, 8, 8, 30)),
            0
        );
        // Whole 2026: working days × 420.
        let working_days = d(2026, 1, 1)
            .iter_days()
            .take_while(|date| date.year() == 2026)
            .filter(|date| cal.is_working_day(*date))
            .count() as i64;
        assert_eq!(
            cal.working_minutes_between(sh(2026, 1, 1, 0, 0), sh(2027, 1, 1, 0, 0)),
            working_days * 420
        );
    }

    #[test]
    fn round_trip_property() {
        let cal = china();
        let mut rng = Lcg(42);
        let base = sh(2025, 1, 1, 0, 0);
        for _ in 0..20_000 {
            // Any second in 2025-01-01..~2026-12-15, budgets up to 20 working days.
            let start = base + Duration::seconds(rng.next(710 * 86_400) as i64);
            let minutes = rng.next(20 * 420 + 1) as i64;
            let end = cal.add_working_minutes(start, minutes);
            assert_eq!(
                cal.working_minutes_between(start, end),
                minutes,
                "start {start}, minutes {minutes}, end {end}"
            );
            assert!(end >= start);
            if minutes > 0 {
                assert!(end > cal.add_working_minutes(start, minutes - 1));
            }
            if cal.is_business_time(start) {
                let whole_days = minutes / 420;
                let rest = minutes % 420;
                if rest == 0 && whole_days > 0 {
                    // "1 working day = same clock time next working day", except at a
                    // period start where the result stays at the previous period end.
                    let local_start = start.with_timezone(&Shanghai).time();
                    let local_end = end.with_timezone(&Shanghai).time();
                    if local_start != t(8, 30) && local_start != t(14, 0) {
                        assert_eq!(local_start, local_end, "start {start}");
                    }
                }
            }
        }
    }

    #[test]
    fn matches_minute_by_minute_reference() {
        let cal = china();
        let mut rng = Lcg(7);
        // Starts around Spring Festival and National Day 2026, whole minutes.
        for base in [sh(2026, 2, 10, 0, 0), sh(2026, 9, 22, 0, 0)] {
            for _ in 0..300 {
                let start = base + Duration::minutes(rng.next(6 * 1440) as i64);
                let minutes = rng.next(3 * 420) as i64;
                assert_eq!(
                    cal.add_working_minutes(start, minutes),
                    reference_add(&cal, start, minutes),
                    "start {start}, minutes {minutes}"
                );
            }
        }
        // Custom hours with touching periods.
        let hours = BusinessHours::new(vec![(t(9, 0), t(12, 0)), (t(12, 0), t(13, 0))]).unwrap();
        let cal = WorkCalendar::new(Shanghai, hours, &builtin_overrides());
        assert_eq!(cal.minutes_per_working_day(), 240);
        for _ in 0..300 {
            let start = sh(2026, 4, 1, 0, 0) + Duration::minutes(rng.next(10 * 1440) as i64);
            let minutes = rng.next(3 * 240) as i64;
            assert_eq!(
                cal.add_working_minutes(start, minutes),
                reference_add(&cal, start, minutes),
                "start {start}, minutes {minutes}"
            );
        }
    }

    #[test]
    fn twenty_four_seven() {
        let cal = WorkCalendar::twenty_four_seven(Shanghai);
        assert_eq!(cal.minutes_per_working_day(), 1440);
        assert_eq!(cal.hours().minutes_per_day(), 1440);
        for date in [d(2026, 10, 1), d(2026, 10, 3), d(2026, 2, 17), d(2150, 1, 4)] {
            assert!(cal.is_working_day(date), "{date}");
        }
        assert!(cal.is_business_time(sh(2026, 10, 4, 3, 0)));
        let start = sh_s(2026, 9, 30, 10, 17, 5);
        assert_eq!(cal.add_working_minutes(start, 1440), start + Duration::days(1));
        assert_eq!(
            cal.add_working_minutes(start, 7 * 1440 + 3),
            start + Duration::days(7) + Duration::minutes(3)
        );
        assert_eq!(cal.add_working_minutes(start, 0), start);
        let midnight = sh(2026, 10, 1, 0, 0);
        assert_eq!(cal.add_working_minutes(midnight, 1440), sh(2026, 10, 2, 0, 0));
        assert_eq!(
            cal.working_minutes_between(start, start + Duration::days(30)),
            30 * 1440
        );
        // Across the end of the table.
        let late = sh(2100, 12, 31, 23, 0);
        assert_eq!(cal.add_working_minutes(late, 120), late + Duration::hours(2));
        assert_eq!(
            cal.next_working_days(d(2026, 10, 1), 3),
            vec![d(2026, 10, 2), d(2026, 10, 3), d(2026, 10, 4)]
        );
    }

    #[test]
    fn business_hours_validation() {
        let invalid = |periods: Vec<(NaiveTime, NaiveTime)>| {
            matches!(BusinessHours::new(periods), Err(CalendarError::InvalidHours(_)))
        };
        assert!(invalid(vec![]));
        assert!(invalid(vec![(t(9, 0), t(9, 0))]));
        assert!(invalid(vec![(t(17, 0), t(9, 0))]));
        assert!(invalid(vec![(t(14, 0), t(17, 0)), (t(9, 0), t(12, 0))]));
        assert!(invalid(vec![(t(9, 0), t(12, 0)), (t(11, 0), t(17, 0))]));
        assert!(invalid(vec![(NaiveTime::from_hms_opt(9, 0, 30).unwrap(), t(12, 0))]));
        let ok = BusinessHours::new(vec![(t(9, 0), t(12, 0)), (t(13, 0), t(18, 0))]).unwrap();
        assert_eq!(ok.minutes_per_day(), 480);
        assert_eq!(ok.periods(), &[(t(9, 0), t(12, 0)), (t(13, 0), t(18, 0))]);

        let office = BusinessHours::default_office();
        assert_eq!(office.minutes_per_day(), 420);
        assert_eq!(office.periods(), &[(t(8, 30), t(12, 0)), (t(14, 0), t(17, 30))]);
        assert_eq!(BusinessHours::default(), office);
        assert_eq!(BusinessHours::new(office.periods().to_vec()).unwrap(), office);
        let message = BusinessHours::new(vec![]).unwrap_err().to_string();
        assert!(message.starts_with("invalid business hours:"), "{message}");
    }

    #[test]
    fn next_working_days_across_holidays() {
        let cal = china();
        assert_eq!(
            cal.next_working_days(d(2026, 9, 30), 4),
            vec![d(2026, 10, 8), d(2026, 10, 9), d(2026, 10, 10), d(2026, 10, 12)]
        );
        assert_eq!(
            cal.next_working_days(d(2026, 2, 13), 3),
            vec![d(2026, 2, 14), d(2026, 2, 24), d(2026, 2, 25)]
        );
        // `from` itself is excluded even if it is a working day; holidays as `from` work.
        assert_eq!(cal.next_working_days(d(2026, 10, 3), 1), vec![d(2026, 10, 8)]);
        assert!(cal.next_working_days(d(2026, 10, 3), 0).is_empty());
        // Across the end of the table: weekend rule.
        assert_eq!(
            cal.next_working_days(d(2100, 12, 30), 3),
            vec![d(2100, 12, 31), d(2101, 1, 3), d(2101, 1, 4)]
        );
        // Before the table.
        assert_eq!(
            cal.next_working_days(d(1999, 12, 30), 3),
            vec![d(1999, 12, 31), d(2000, 1, 3), d(2000, 1, 4)]
        );
    }

    #[test]
    fn builtin_overrides_contents() {
        let overrides = builtin_overrides();
        let mut expected: Vec<NaiveDate> = MAKEUP_2025
            .iter()
            .chain(MAKEUP_2026.iter())
            .map(|(y, m, day)| d(*y, *m, *day))
            .collect();
        expected.sort();
        let weekend_working: Vec<NaiveDate> = overrides.iter().filter(|o| o.working).map(|o| o.date).collect();
        assert_eq!(weekend_working, expected);
        for o in &overrides {
            assert!(o.date >= d(2025, 1, 1) && o.date <= d(2026, 12, 25));
            let weekend = matches!(o.date.weekday(), Weekday::Sat | Weekday::Sun);
            // Every entry differs from the weekend rule.
            assert_eq!(o.working, weekend, "{o:?}");
            assert!(!o.name.is_empty());
        }
        assert!(overrides.windows(2).all(|w| w[0].date < w[1].date));
        let names: Vec<&str> = overrides
            .iter()
            .filter(|o| o.date.year() == 2026 && o.date.month() == 10)
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(
            names,
            vec!["国庆节", "国庆节", "国庆节", "国庆节", "国庆节", "国庆节调休上班"]
        );
        assert!(overrides.contains(&DayOverride {
            date: d(2026, 9, 25),
            working: false,
            name: "中秋节".to_owned(),
        }));
        // Serde round trip.
        let json = serde_json::to_string(&overrides[0]).unwrap();
        assert_eq!(json, r#"{"date":"2025-01-01","working":false,"name":"元旦"}"#);
        let back: DayOverride = serde_json::from_str(&json).unwrap();
        assert_eq!(back, overrides[0]);
    }

    #[test]
    fn overrides_win_and_range() {
        let overrides = [
            DayOverride {
                date: d(2030, 5, 15), // Wednesday
                working: false,
                name: "测试假日".to_owned(),
            },
            DayOverride {
                date: d(2030, 5, 18), // Saturday
                working: true,
                name: "测试调休上班".to_owned(),
            },
            DayOverride {
                date: d(2030, 5, 15),
                working: false,
                name: "后者优先".to_owned(),
            },
            DayOverride {
                date: d(2101, 1, 2), // Sunday outside the table: ignored by `new`
                working: true,
                name: "超出范围".to_owned(),
            },
        ];
        let cal = WorkCalendar::new(Shanghai, BusinessHours::default_office(), &overrides);
        assert!(!cal.is_working_day(d(2030, 5, 15)));
        assert!(cal.is_working_day(d(2030, 5, 18)));
        assert!(cal.is_working_day(d(2030, 5, 14)));
        assert_eq!(d(2101, 1, 2).weekday(), Weekday::Sun);
        assert!(!cal.is_working_day(d(2101, 1, 2)));
        assert_eq!(cal.overrides().len(), 2);
        assert_eq!(
            cal.override_for(d(2030, 5, 15)).map(|o| o.name.as_str()),
            Some("后者优先")
        );
        assert_eq!(
            WorkCalendar::try_new(Shanghai, BusinessHours::default_office(), &overrides).unwrap_err(),
            CalendarError::OutOfRange(d(2101, 1, 2))
        );
        assert!(WorkCalendar::try_new(Shanghai, BusinessHours::default_office(), &builtin_overrides()).is_ok());
        // Deadlines crossing the end of the table and starting before it.
        let cal = china();
        assert_eq!(
            cal.add_working_minutes(sh(2100, 12, 31, 10, 0), 420),
            sh(2101, 1, 3, 10, 0)
        );
        assert_eq!(
            cal.add_working_minutes(sh(1999, 12, 31, 10, 0), 420),
            sh(2000, 1, 3, 10, 0)
        );
        assert_eq!(
            cal.add_working_minutes(sh(1990, 1, 1, 10, 0), 5 * 420),
            sh(1990, 1, 8, 10, 0)
        );
        assert_eq!(
            cal.working_minutes_between(sh(1999, 12, 31, 10, 0), sh(2101, 1, 3, 10, 0)) % 420,
            0
        );
    }

    #[test]
    fn extremes_do_not_panic() {
        let cal = china();
        assert_eq!(
            cal.add_working_minutes(sh(2026, 3, 10, 10, 0), i64::MAX),
            DateTime::<Utc>::MAX_UTC
        );
        let _ = cal.add_working_minutes(DateTime::<Utc>::MAX_UTC, 10);
        let _ = cal.add_working_minutes(DateTime::<Utc>::MIN_UTC, 10);
        let _ = cal.add_working_minutes(DateTime::<Utc>::MIN_UTC, i64::MAX);
        let _ = cal.working_minutes_between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let _ = cal.is_business_time(DateTime::<Utc>::MAX_UTC);
        let _ = cal.next_business_time(DateTime::<Utc>::MIN_UTC);
        let _ = cal.next_working_days(NaiveDate::MAX, 3);
        let _ = cal.next_working_days(NaiveDate::MIN, 3);
        let far = cal.add_working_minutes(sh(2026, 3, 10, 10, 0), 1_000_000_000);
        assert_eq!(cal.working_minutes_between(sh(2026, 3, 10, 10, 0), far), 1_000_000_000);
        let _ = format!("{cal:?}");
    }

    #[test]
    fn daylight_saving_time_zone() {
        let tz = chrono_tz::America::New_York;
        let hours = BusinessHours::new(vec![(t(1, 0), t(4, 0))]).unwrap();
        // Sunday 2026-03-08 is the spring-forward day (02:00 → 03:00); make it working.
        let cal = WorkCalendar::new(
            tz,
            hours,
            &[DayOverride {
                date: d(2026, 3, 8),
                working: true,
                name: "test".to_owned(),
            }],
        );
        let start = tz.with_ymd_and_hms(2026, 3, 8, 1, 30, 0).unwrap().with_timezone(&Utc);
        // 02:30 does not exist; the deadline moves to the end of the gap.
        let end = cal.add_working_minutes(start, 60);
        assert_eq!(
            end,
            tz.with_ymd_and_hms(2026, 3, 8, 3, 0, 0).unwrap().with_timezone(&Utc)
        );
        // A regular day keeps local clock time across the change.
        let friday = tz.with_ymd_and_hms(2026, 3, 6, 2, 0, 0).unwrap().with_timezone(&Utc);
        assert_eq!(
            cal.add_working_minutes(friday, 2 * 180),
            tz.with_ymd_and_hms(2026, 3, 9, 2, 0, 0).unwrap().with_timezone(&Utc)
        );
    }
}
