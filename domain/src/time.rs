//! Time as the domain sees it: an injected [`Clock`], and display in Asia/Shanghai.
//!
//! Logic never calls `Utc::now()` itself; it asks the clock it was given, so SLA and
//! schedule tests are exact. Times are stored in UTC and shown in Asia/Shanghai.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};

/// The display time zone of the bureau.
pub const DISPLAY_TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests, replays).
#[derive(Debug, Clone)]
pub struct ManualClock {
    micros: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            micros: Arc::new(AtomicI64::new(at.timestamp_micros())),
        }
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.micros.store(at.timestamp_micros(), Ordering::SeqCst);
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.micros
            .fetch_add(by.num_microseconds().unwrap_or(0), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let micros = self.micros.load(Ordering::SeqCst);
        Utc.timestamp_micros(micros).single().unwrap_or_default()
    }
}

/// Shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// `2026-12-04 16:30`, in Asia/Shanghai.
pub fn format_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&DISPLAY_TZ).format("%Y-%m-%d %H:%M").to_string()
}

/// Truncates to microseconds, the precision every database keeps.
pub fn db_precision(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_micros(t.timestamp_micros()).single().unwrap_or(t)
}
