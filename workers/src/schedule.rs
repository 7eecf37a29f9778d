//! Fixed-interval schedules for the periodic jobs, on top of apalis-cron.
//!
//! Why it exists: the periodic intervals are `Duration`s in [`crate::WorkerSettings`] (30 s,
//! 5 s, 1 h by default; 1 s in tests). A cron expression cannot express every such interval
//! (45 s, 90 s, 7 min...), so instead of translating durations into cron strings we implement
//! apalis-cron's [`Schedule`] trait (its documented extension point) and hand the schedule to
//! `CronScheduler::new`, which then acts as the apalis backend of the periodic worker.
//!
//! Rules:
//! - apalis-cron ticks are whole Unix seconds, so the smallest period is 1 s.
//! - The first tick is one second after start-up (a freshly started process scans, relays and
//!   checkpoints at once instead of waiting a full period); later ticks are one period apart.
//! - A tick is never in the past: apalis-cron turns a past tick into a backend error, and a
//!   backend error ends the worker. The next tick is computed when the previous one fires, so
//!   it is `max(previous + period, now + 1 s)`.
//! - The periodic workers run without a concurrency limit (a limit would stop apalis from
//!   polling the scheduler while a slow run is in flight, making the next tick late, i.e. in
//!   the past). Overlap is prevented by [`RunGuard`] instead: a tick that finds the previous
//!   run still going is skipped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis_cron::{Schedule, Tick};
use chrono::Utc;

/// A schedule firing every `period` (rounded up to whole seconds, at least 1 s).
#[derive(Debug, Clone)]
pub struct Every {
    period_secs: u64,
    last: Option<u64>,
}

impl Every {
    /// A schedule firing every `period`.
    pub fn new(period: Duration) -> Self {
        let whole = period.as_secs() + u64::from(period.subsec_nanos() > 0);
        Self {
            period_secs: whole.max(1),
            last: None,
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Schedule<Utc> for Every {
    fn next_tick(&mut self, _tz: &Utc) -> Option<Tick<Utc>> {
        let soonest = unix_now() + 1;
        let next = match self.last {
            Some(last) => (last + self.period_secs).max(soonest),
            None => soonest,
        };
        self.last = Some(next);
        Some(Tick::new(next))
    }
}

/// Skips a periodic run while the previous one is still in flight (per worker, per process).
#[derive(Debug, Clone, Default)]
pub struct RunGuard(Arc<AtomicBool>);

/// Held while a run is in flight; releases the guard when dropped (also on panic).
#[derive(Debug)]
pub struct Running(Arc<AtomicBool>);

impl RunGuard {
    /// Enters the guard, or `None` if a run is already in flight.
    pub fn try_enter(&self) -> Option<Running> {
        self.0
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Running(self.0.clone()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_in_the_future_and_one_period_apart() {
        let mut every = Every::new(Duration::from_secs(5));
        let now = unix_now();
        let first = every.next_tick(&Utc).map(|t| t.get_timestamp()).unwrap_or(0);
        assert!(first > now && first <= now + 2);
        let second = every.next_tick(&Utc).map(|t| t.get_timestamp()).unwrap_or(0);
        assert_eq!(second, first + 5);
    }

    #[test]
    fn sub_second_periods_round_up_to_one_second() {
        assert_eq!(Every::new(Duration::from_millis(10)).period_secs, 1);
        assert_eq!(Every::new(Duration::from_millis(1500)).period_secs, 2);
    }

    #[test]
    fn guard_skips_overlapping_runs() {
        let guard = RunGuard::default();
        let first = guard.try_enter();
        assert!(first.is_some());
        assert!(guard.try_enter().is_none());
        drop(first);
        assert!(guard.try_enter().is_some());
    }
}
