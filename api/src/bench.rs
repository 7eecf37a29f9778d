//! `ecogov bench <name>`: measured figures, each run ending with one `key=value` line.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use ecogov_domain::calendar::{BusinessHours, WorkCalendar, builtin_overrides};
use ecogov_domain::time::DISPLAY_TZ;

/// A deterministic pseudo-random sequence (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Deadlines per second for `n` tickets on one core: random starts over 2025-2026 and
/// budgets of 1 to 20 working days, on the built-in Chinese calendar. Target >= 2,000,000/s.
pub fn sla(n: usize) -> String {
    let cal = WorkCalendar::new(DISPLAY_TZ, BusinessHours::default_office(), &builtin_overrides());
    let day = cal.minutes_per_working_day();
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        .timestamp();
    let span = 2 * 365 * 86_400;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let inputs: Vec<(chrono::DateTime<Utc>, i64)> = (0..n)
        .map(|_| {
            let start = Utc
                .timestamp_opt(base + (rng.next() % span) as i64, 0)
                .single()
                .unwrap_or_default();
            let budget = day * (1 + (rng.next() % 20) as i64);
            (start, budget)
        })
        .collect();
    // Warm up, then measure.
    let mut checksum = 0i64;
    for (s, b) in inputs.iter().take(10_000) {
        checksum ^= cal.add_working_minutes(*s, *b).timestamp();
    }
    let t0 = Instant::now();
    for (s, b) in &inputs {
        checksum ^= cal.add_working_minutes(*s, *b).timestamp();
    }
    let secs = t0.elapsed().as_secs_f64();
    let per_sec = n as f64 / secs;
    format!(
        "tickets={n} seconds={secs:.3} checksum={checksum}\ndeadlines_per_sec={per_sec:.0} target=2000000 ratio={:.2}",
        per_sec / 2_000_000.0
    )
}
