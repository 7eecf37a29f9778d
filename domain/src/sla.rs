//! SLA clocks measured in business minutes.
//!
//! A clock has a budget in business minutes, the minutes consumed while it ran, and, when
//! running, the instant it last (re)started. Its deadline is the instant the remaining
//! budget runs out on the working-day calendar. Pausing banks the consumed minutes; a
//! calendar or policy change re-bases a running clock at "now" so that the past is never
//! re-measured, and a recorded breach is never rewritten.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::workflow::{ClockKind, Severity, TicketKind};

/// Budgets for one (kind, severity).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budgets {
    /// Feedback budget in business minutes.
    pub feedback_minutes: i64,
    /// Resolution budget in business minutes.
    pub resolution_minutes: i64,
    /// Share of the budget at which a warning goes out (0 < r < 1).
    pub warn_ratio: f64,
}

impl Budgets {
    /// Budget of a clock.
    pub fn for_clock(&self, clock: ClockKind) -> i64 {
        match clock {
            ClockKind::Feedback => self.feedback_minutes,
            ClockKind::Resolution => self.resolution_minutes,
        }
    }
}

/// Built-in defaults in working days of `day_minutes`: feedback 1 working day; resolution
/// 1 / 3 / 5 / 10 working days for critical / high / medium / low; warning at 75 %.
pub fn default_budgets(_kind: TicketKind, severity: Severity, day_minutes: i64) -> Budgets {
    let days = match severity {
        Severity::Critical => 1,
        Severity::High => 3,
        Severity::Medium => 5,
        Severity::Low => 10,
    };
    Budgets {
        feedback_minutes: day_minutes,
        resolution_minutes: days * day_minutes,
        warn_ratio: 0.75,
    }
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Counting.
    Running,
    /// Stopped for a recorded reason; will resume.
    Paused,
    /// Finished.
    Stopped,
}

impl ClockStatus {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStatus::Running => "running",
            ClockStatus::Paused => "paused",
            ClockStatus::Stopped => "stopped",
        }
    }

    /// Parses a stored value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(ClockStatus::Running),
            "paused" => Some(ClockStatus::Paused),
            "stopped" => Some(ClockStatus::Stopped),
            _ => None,
        }
    }
}

/// The state of one clock: what is persisted, minus identifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockState {
    /// Budget in business minutes.
    pub budget_minutes: i64,
    /// Warning ratio.
    pub warn_ratio: f64,
    /// Business minutes consumed before `running_since`.
    pub consumed_minutes: i64,
    /// When it last started counting (None unless running).
    pub running_since: Option<DateTime<Utc>>,
    /// Running, paused or stopped.
    pub status: ClockStatus,
    /// When the budget runs out (None unless running).
    pub deadline_at: Option<DateTime<Utc>>,
    /// When the warning is due (None unless running and not yet past it).
    pub warn_at: Option<DateTime<Utc>>,
    /// Bumped whenever the deadline moves, so that notifications are per deadline.
    pub deadline_version: i32,
    /// The recorded breach, if the deadline passed while running. Never rewritten.
    pub breached_at: Option<DateTime<Utc>>,
}

impl ClockState {
    /// A clock that starts now with a fresh budget.
    pub fn start(cal: &WorkCalendar, now: DateTime<Utc>, budget: i64, warn_ratio: f64) -> Self {
        let mut c = ClockState {
            budget_minutes: budget,
            warn_ratio,
            consumed_minutes: 0,
            running_since: Some(now),
            status: ClockStatus::Running,
            deadline_at: None,
            warn_at: None,
            deadline_version: 0,
            breached_at: None,
        };
        c.recompute(cal);
        c
    }

    /// Restarts with a fresh budget (reassignment, reopen). Keeps the version counter moving
    /// and clears the breach only for the new period: the old breach stays in the history
    /// the caller wrote before restarting.
    pub fn restart(&mut self, cal: &WorkCalendar, now: DateTime<Utc>, budget: i64, warn_ratio: f64) {
        let version = self.deadline_version;
        *self = ClockState::start(cal, now, budget, warn_ratio);
        self.deadline_version = version + 1;
    }

    /// Business minutes consumed up to `now`.
    pub fn consumed_at(&self, cal: &WorkCalendar, now: DateTime<Utc>) -> i64 {
        match self.running_since {
            Some(since) if self.status == ClockStatus::Running => {
                self.consumed_minutes + cal.working_minutes_between(since, now)
            }
            _ => self.consumed_minutes,
        }
    }

    /// Pauses a running clock.
    pub fn pause(&mut self, cal: &WorkCalendar, now: DateTime<Utc>) {
        if self.status != ClockStatus::Running {
            return;
        }
        self.consumed_minutes = self.consumed_at(cal, now);
        self.running_since = None;
        self.status = ClockStatus::Paused;
        self.deadline_at = None;
        self.warn_at = None;
        self.deadline_version += 1;
    }

    /// Resumes a paused clock.
    pub fn resume(&mut self, cal: &WorkCalendar, now: DateTime<Utc>) {
        if self.status != ClockStatus::Paused {
            return;
        }
        self.status = ClockStatus::Running;
        self.running_since = Some(now);
        self.deadline_version += 1;
        self.recompute(cal);
    }

    /// Stops the clock; returns whether it was met (not breached).
    pub fn stop(&mut self, cal: &WorkCalendar, now: DateTime<Utc>) -> bool {
        if self.status == ClockStatus::Stopped {
            return self.breached_at.is_none();
        }
        if self.status == ClockStatus::Running
            && self.breached_at.is_none()
            && let Some(deadline) = self.deadline_at
            && deadline <= now
        {
            self.breached_at = Some(deadline);
        }
        self.consumed_minutes = self.consumed_at(cal, now);
        self.running_since = None;
        self.status = ClockStatus::Stopped;
        self.deadline_at = None;
        self.warn_at = None;
        self.breached_at.is_none()
    }

    /// Re-bases a running clock at `now` after a calendar or policy change: minutes consumed
    /// so far are banked using `old_cal`, the rest is scheduled on `new_cal` with `budget`.
    /// Returns whether the deadline moved.
    pub fn rebase(
        &mut self,
        old_cal: &WorkCalendar,
        new_cal: &WorkCalendar,
        now: DateTime<Utc>,
        budget: i64,
        warn_ratio: f64,
    ) -> bool {
        let before = (self.deadline_at, self.warn_at, self.budget_minutes);
        if self.status == ClockStatus::Running {
            self.consumed_minutes = self.consumed_at(old_cal, now);
            self.running_since = Some(now);
        }
        self.budget_minutes = budget;
        self.warn_ratio = warn_ratio;
        self.recompute(new_cal);
        let moved = before != (self.deadline_at, self.warn_at, self.budget_minutes);
        if moved {
            self.deadline_version += 1;
        }
        moved
    }

    /// Recomputes deadline and warning instants from the running state.
    fn recompute(&mut self, cal: &WorkCalendar) {
        match (self.status, self.running_since) {
            (ClockStatus::Running, Some(since)) => {
                let remaining = (self.budget_minutes - self.consumed_minutes).max(0);
                self.deadline_at = Some(cal.add_working_minutes(since, remaining));
                let warn_total = (self.budget_minutes as f64 * self.warn_ratio).floor() as i64;
                let warn_remaining = warn_total - self.consumed_minutes;
                self.warn_at = (warn_remaining > 0).then(|| cal.add_working_minutes(since, warn_remaining));
            }
            _ => {
                self.deadline_at = None;
                self.warn_at = None;
            }
        }
    }

    /// Records a breach if the deadline has passed; returns true when newly recorded.
    pub fn record_breach(&mut self, now: DateTime<Utc>) -> bool {
        match (self.status, self.deadline_at, self.breached_at) {
            (ClockStatus::Running, Some(deadline), None) if deadline <= now => {
                self.breached_at = Some(deadline);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::calendar::{BusinessHours, WorkCalendar, builtin_overrides};

    fn cal() -> WorkCalendar {
        WorkCalendar::new(
            chrono_tz::Asia::Shanghai,
            BusinessHours::default_office(),
            &builtin_overrides(),
        )
    }

    fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn one_working_day_is_same_time_next_working_day() {
        let cal = cal();
        // Friday 2026-12-04 10:00 -> Monday 2026-12-07 10:00
        let c = ClockState::start(&cal, sh(2026, 12, 4, 10, 0), 420, 0.75);
        assert_eq!(c.deadline_at, Some(sh(2026, 12, 7, 10, 0)));
        // 75 % of 420 = 315 minutes: Friday 10:00 + 120 (to 12:00) + 195 (14:00 -> 17:15)
        assert_eq!(c.warn_at, Some(sh(2026, 12, 4, 17, 15)));
    }

    #[test]
    fn pause_banks_time_and_resume_moves_deadline() {
        let cal = cal();
        let mut c = ClockState::start(&cal, sh(2026, 12, 7, 9, 0), 420, 0.75);
        c.pause(&cal, sh(2026, 12, 7, 11, 0)); // 120 minutes consumed
        assert_eq!(c.consumed_minutes, 120);
        assert_eq!(c.deadline_at, None);
        c.resume(&cal, sh(2026, 12, 9, 9, 0));
        // 300 minutes left from Wed 09:00: 180 to 12:00, 120 more -> 16:00
        assert_eq!(c.deadline_at, Some(sh(2026, 12, 9, 16, 0)));
        assert_eq!(c.deadline_version, 2);
    }

    #[test]
    fn breach_is_recorded_once_and_survives_rebase() {
        let cal = cal();
        let mut c = ClockState::start(&cal, sh(2026, 12, 7, 9, 0), 60, 0.75);
        assert!(!c.record_breach(sh(2026, 12, 7, 9, 59)));
        assert!(c.record_breach(sh(2026, 12, 7, 10, 1)));
        assert!(!c.record_breach(sh(2026, 12, 7, 10, 2)));
        let breach = c.breached_at;
        let tf = WorkCalendar::twenty_four_seven(chrono_tz::Asia::Shanghai);
        c.rebase(&cal, &tf, sh(2026, 12, 7, 11, 0), 600, 0.75);
        assert_eq!(c.breached_at, breach);
        assert!(!c.stop(&cal, sh(2026, 12, 7, 12, 0)));
    }

    #[test]
    fn stop_before_deadline_is_met() {
        let cal = cal();
        let mut c = ClockState::start(&cal, sh(2026, 12, 7, 9, 0), 420, 0.75);
        assert!(c.stop(&cal, sh(2026, 12, 7, 15, 0)));
        assert_eq!(c.status, ClockStatus::Stopped);
    }
}
