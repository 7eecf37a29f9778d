//! The HJ 633 breakpoint tables (2012 and 2026) and the individual air quality index (IAQI).
//!
//! `IAQI = (IAQI_hi − IAQI_lo) / (BP_hi − BP_lo) × (C − BP_lo) + IAQI_lo`, on the segment whose
//! breakpoints enclose C, rounded **up** to an integer (standards file: “AQI and IAQI round
//! up”). At a breakpoint both neighbouring segments give the same value, so the level itself is
//! returned (PM2.5 = 35 → 50; 35.01 → 51).
//!
//! Choices made here, beyond the letter of the standards file:
//! - Rounding up tolerates 1e-9 of binary floating-point error, so that a concentration exactly
//!   at a breakpoint whose arithmetic lands on `50.000000000000007` still gives 50. Real
//!   concentrations carry at most 3 decimals, far coarser than that tolerance.
//! - Concentrations above the highest breakpoint (IAQI would exceed 500): HJ 633 defines no
//!   index there. The IAQI is reported as 500 with [`Iaqi::is_beyond_scale`] set, never
//!   extrapolated, so that the category (严重污染) and the primary pollutant stay defined and the
//!   consistency check can accept any reported value ≥ 500.
//! - SO2 1-hour above 800 µg/m³ and O3 8-hour above 800 µg/m³: the standard says their IAQI is
//!   not computed, the SO2 24-hour / O3 1-hour one is reported instead. [`sub_index`] returns
//!   [`SubIndex::UseInstead`] naming that table; the hourly and daily AQI apply it.
//!
//! The 2012 tables: the standards file gives the 2026 tables and says the 2012 ones differed in
//! PM10 (100-level 150 µg/m³) and PM2.5 (100-level 75 µg/m³). All other 2012 breakpoints are
//! taken equal to the 2026 ones, which is the published HJ 633-2012 table 1 (SO2, NO2, CO, O3
//! unchanged; PM10 0/50/150/250/350/420/500/600; PM2.5 0/35/75/115/150/250/350/500).

use chrono::{DateTime, NaiveDate, Utc};

use super::pollutant::{Concentration, Metric};

/// The IAQI levels the breakpoints stand for.
pub const IAQI_LEVELS: [u16; 8] = [0, 50, 100, 150, 200, 300, 400, 500];

/// The highest IAQI HJ 633 defines.
pub const IAQI_MAX: u16 = 500;

/// Which edition of HJ 633 (and GB 3095) applies to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AqiStandard {
    /// HJ 633-2012, for data before 2026-03-01 (Asia/Shanghai).
    Hj633_2012,
    /// HJ 633-2026, in force since 2026-03-01 00:00 Asia/Shanghai.
    Hj633_2026,
}

/// 2026-03-01T00:00:00+08:00 as a Unix timestamp (2026-02-28T16:00:00Z). Asia/Shanghai has no
/// daylight saving since 1991, so a fixed instant is exact; a test checks it against chrono-tz.
const CUTOVER_UNIX: i64 = 1_772_294_400;

impl AqiStandard {
    /// The first day (Asia/Shanghai) of HJ 633-2026.
    pub const CUTOVER_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2026, 3, 1) {
        Some(d) => d,
        None => panic!("2026-03-01 is a date"),
    };

    /// The edition for a daily (or longer) value of the given Asia/Shanghai calendar date.
    #[inline]
    pub fn for_date(date: NaiveDate) -> AqiStandard {
        if date < Self::CUTOVER_DATE {
            AqiStandard::Hj633_2012
        } else {
            AqiStandard::Hj633_2026
        }
    }

    /// The edition for a value whose averaging period **starts** at `start`.
    ///
    /// Chinese monitoring data usually labels an hour by its end (the value “01:00” covers
    /// 00:00–01:00); callers with end-labelled hours pass the label minus one hour, so the hour
    /// ending 2026-03-01 00:00 (+08:00) is still HJ 633-2012.
    #[inline]
    pub fn for_period_start(start: DateTime<Utc>) -> AqiStandard {
        if start.timestamp() < CUTOVER_UNIX {
            AqiStandard::Hj633_2012
        } else {
            AqiStandard::Hj633_2026
        }
    }

    /// The standard's designation, e.g. `HJ 633-2026`.
    pub const fn code(self) -> &'static str {
        match self {
            AqiStandard::Hj633_2012 => "HJ 633-2012",
            AqiStandard::Hj633_2026 => "HJ 633-2026",
        }
    }

    /// The concentration breakpoints of one table, one per level of [`IAQI_LEVELS`] from 0.
    ///
    /// SO2 1-hour has five (up to IAQI 200) and O3 8-hour six (up to IAQI 300); the others eight.
    pub const fn breakpoints(self, metric: Metric) -> &'static [f64] {
        match (self, metric) {
            (_, Metric::So2_24h) => &[0.0, 50.0, 150.0, 475.0, 800.0, 1600.0, 2100.0, 2620.0],
            (_, Metric::So2_1h) => &[0.0, 150.0, 500.0, 650.0, 800.0],
            (_, Metric::No2_24h) => &[0.0, 40.0, 80.0, 180.0, 280.0, 565.0, 750.0, 940.0],
            (_, Metric::No2_1h) => &[0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0],
            (_, Metric::Co_24h) => &[0.0, 2.0, 4.0, 14.0, 24.0, 36.0, 48.0, 60.0],
            (_, Metric::Co_1h) => &[0.0, 5.0, 10.0, 35.0, 60.0, 90.0, 120.0, 150.0],
            (_, Metric::O3_8h) => &[0.0, 100.0, 160.0, 215.0, 265.0, 800.0],
            (_, Metric::O3_1h) => &[0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0],
            (AqiStandard::Hj633_2012, Metric::Pm10_24h) => &[0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0],
            (AqiStandard::Hj633_2026, Metric::Pm10_24h) => &[0.0, 50.0, 120.0, 250.0, 350.0, 420.0, 500.0, 600.0],
            (AqiStandard::Hj633_2012, Metric::Pm25_24h) => &[0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0],
            (AqiStandard::Hj633_2026, Metric::Pm25_24h) => &[0.0, 35.0, 60.0, 115.0, 150.0, 250.0, 350.0, 500.0],
        }
    }
}

/// An individual air quality index, rounded up, at most 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iaqi {
    value: u16,
    beyond_scale: bool,
}

impl Iaqi {
    /// An IAQI inside the scale (values above 500 are clamped and flagged).
    pub const fn new(value: u16) -> Iaqi {
        if value > IAQI_MAX {
            Iaqi::BEYOND_SCALE
        } else {
            Iaqi {
                value,
                beyond_scale: false,
            }
        }
    }

    /// The concentration was above the highest breakpoint.
    pub const BEYOND_SCALE: Iaqi = Iaqi {
        value: IAQI_MAX,
        beyond_scale: true,
    };

    /// The index, 0..=500.
    #[inline]
    pub const fn value(self) -> u16 {
        self.value
    }

    /// Whether the concentration lay above the table's highest breakpoint (index shown as 500).
    #[inline]
    pub const fn is_beyond_scale(self) -> bool {
        self.beyond_scale
    }
}

/// The result of looking a concentration up in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubIndex {
    /// The IAQI.
    Value(Iaqi),
    /// The table does not apply at this concentration; the standard reports the IAQI of the
    /// named table instead (SO2 1h > 800 → SO2 24h; O3 8h > 800 → O3 1h).
    UseInstead(Metric),
}

/// Tolerance for binary floating-point error when rounding up.
const ROUNDING_TOLERANCE: f64 = 1e-9;

/// The IAQI of concentration `c` in the table of `metric` under `standard`.
#[inline]
pub fn sub_index(standard: AqiStandard, metric: Metric, c: Concentration) -> SubIndex {
    let bp = standard.breakpoints(metric);
    let c = c.value();
    // Segment i spans bp[i-1]..=bp[i]; a value on a breakpoint takes the lower segment, which
    // gives the same (exact) level as the upper one.
    let Some(hi) = bp.iter().position(|&b| c <= b) else {
        return match metric {
            Metric::So2_1h => SubIndex::UseInstead(Metric::So2_24h),
            Metric::O3_8h => SubIndex::UseInstead(Metric::O3_1h),
            _ => SubIndex::Value(Iaqi::BEYOND_SCALE),
        };
    };
    if hi == 0 {
        return SubIndex::Value(Iaqi::new(0));
    }
    let (bp_lo, bp_hi) = (bp[hi - 1], bp[hi]);
    let (i_lo, i_hi) = (f64::from(IAQI_LEVELS[hi - 1]), f64::from(IAQI_LEVELS[hi]));
    // Multiply before dividing: at c == bp_hi the product divides back exactly for the integer
    // breakpoints of the tables.
    let iaqi = (i_hi - i_lo) * (c - bp_lo) / (bp_hi - bp_lo) + i_lo;
    SubIndex::Value(Iaqi::new(round_up(iaqi)))
}

/// Rounds an index in 0..=500 up to an integer, forgiving floating-point noise.
#[inline]
fn round_up(iaqi: f64) -> u16 {
    let up = (iaqi - ROUNDING_TOLERANCE).ceil().clamp(0.0, f64::from(IAQI_MAX));
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=500 just above"
    )]
    let up = up as u16;
    up
}
