use chrono::{NaiveDate, TimeZone, Utc};

use super::c;
use crate::air::breakpoints::{AqiStandard, IAQI_LEVELS, Iaqi, SubIndex, sub_index};
use crate::air::pollutant::Metric;

/// The tables as written in standards.md (2026) and HJ 633-2012 table 1.
fn expected(standard: AqiStandard, metric: Metric) -> &'static [f64] {
    let pm_2012 = standard == AqiStandard::Hj633_2012;
    match metric {
        Metric::So2_24h => &[0.0, 50.0, 150.0, 475.0, 800.0, 1600.0, 2100.0, 2620.0],
        Metric::So2_1h => &[0.0, 150.0, 500.0, 650.0, 800.0],
        Metric::No2_24h => &[0.0, 40.0, 80.0, 180.0, 280.0, 565.0, 750.0, 940.0],
        Metric::No2_1h => &[0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0],
        Metric::Co_24h => &[0.0, 2.0, 4.0, 14.0, 24.0, 36.0, 48.0, 60.0],
        Metric::Co_1h => &[0.0, 5.0, 10.0, 35.0, 60.0, 90.0, 120.0, 150.0],
        Metric::O3_8h => &[0.0, 100.0, 160.0, 215.0, 265.0, 800.0],
        Metric::O3_1h => &[0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0],
        Metric::Pm10_24h if pm_2012 => &[0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0],
        Metric::Pm10_24h => &[0.0, 50.0, 120.0, 250.0, 350.0, 420.0, 500.0, 600.0],
        Metric::Pm25_24h if pm_2012 => &[0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0],
        Metric::Pm25_24h => &[0.0, 35.0, 60.0, 115.0, 150.0, 250.0, 350.0, 500.0],
    }
}

const STANDARDS: [AqiStandard; 2] = [AqiStandard::Hj633_2012, AqiStandard::Hj633_2026];

fn value(standard: AqiStandard, metric: Metric, conc: f64) -> SubIndex {
    sub_index(standard, metric, c(conc))
}

fn iaqi(v: u16) -> SubIndex {
    SubIndex::Value(Iaqi::new(v))
}

#[test]
fn tables_are_the_published_ones() {
    for standard in STANDARDS {
        for metric in Metric::ALL {
            assert_eq!(
                standard.breakpoints(metric),
                expected(standard, metric),
                "{standard:?} {metric}"
            );
        }
    }
}

#[test]
fn the_two_editions_differ_only_in_the_pm_100_level() {
    for metric in Metric::ALL {
        let (old, new) = (
            AqiStandard::Hj633_2012.breakpoints(metric),
            AqiStandard::Hj633_2026.breakpoints(metric),
        );
        let differing: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
        match metric {
            Metric::Pm10_24h | Metric::Pm25_24h => assert_eq!(differing, [2], "{metric}"),
            _ => assert!(differing.is_empty(), "{metric}"),
        }
    }
    assert_eq!(AqiStandard::Hj633_2012.breakpoints(Metric::Pm10_24h)[2], 150.0);
    assert_eq!(AqiStandard::Hj633_2012.breakpoints(Metric::Pm25_24h)[2], 75.0);
}

/// Every breakpoint of every table in both editions: on it the level itself, a hair above it
/// the level + 1 (rounded up), a hair below it the level (rounded up from just under).
#[test]
fn every_breakpoint_boundary() {
    let mut checked = 0;
    for standard in STANDARDS {
        for metric in Metric::ALL {
            let bp = expected(standard, metric);
            for (i, &b) in bp.iter().enumerate() {
                let level = IAQI_LEVELS[i];
                let at = format!("{standard:?} {metric} at {b}");
                assert_eq!(value(standard, metric, b), iaqi(level), "{at}");
                if i > 0 {
                    assert_eq!(value(standard, metric, b - 0.001), iaqi(level), "{at} - 0.001");
                }
                if i + 1 < bp.len() {
                    assert_eq!(value(standard, metric, b + 0.001), iaqi(level + 1), "{at} + 0.001");
                }
                checked += 1;
            }
        }
    }
    // 8 breakpoints in 8 tables, 5 in SO2 1h, 6 in O3 8h; two editions.
    assert_eq!(checked, 2 * (8 * 8 + 5 + 6));
}

#[test]
fn above_the_top_breakpoint() {
    for standard in STANDARDS {
        for metric in Metric::ALL {
            let top = *expected(standard, metric).last().unwrap_or(&0.0);
            let got = value(standard, metric, top + 0.001);
            let want = match metric {
                Metric::So2_1h => SubIndex::UseInstead(Metric::So2_24h),
                Metric::O3_8h => SubIndex::UseInstead(Metric::O3_1h),
                _ => SubIndex::Value(Iaqi::BEYOND_SCALE),
            };
            assert_eq!(got, want, "{standard:?} {metric}");
            assert_eq!(
                value(standard, metric, top * 10.0),
                want,
                "{standard:?} {metric} far above"
            );
        }
    }
    let beyond = Iaqi::BEYOND_SCALE;
    assert_eq!((beyond.value(), beyond.is_beyond_scale()), (500, true));
    // 500 reached exactly at the top breakpoint is on the scale.
    assert_eq!(value(AqiStandard::Hj633_2026, Metric::Pm25_24h, 500.0), iaqi(500));
    assert!(!Iaqi::new(500).is_beyond_scale());
    assert_eq!(Iaqi::new(501), Iaqi::BEYOND_SCALE);
}

#[test]
fn interpolation_and_rounding_up() {
    let s = AqiStandard::Hj633_2026;
    // Exact interpolations stay as they are.
    assert_eq!(value(s, Metric::Pm25_24h, 47.5), iaqi(75));
    assert_eq!(value(s, Metric::Pm25_24h, 36.0), iaqi(52));
    assert_eq!(value(s, Metric::So2_24h, 100.0), iaqi(75));
    // Any fraction rounds up, however small.
    assert_eq!(value(s, Metric::Pm25_24h, 36.1), iaqi(53)); // 52.2
    assert_eq!(value(s, Metric::So2_24h, 51.0), iaqi(51)); // 50.5
    assert_eq!(value(s, Metric::No2_1h, 101.0), iaqi(51)); // 50.5
    assert_eq!(value(s, Metric::Pm10_24h, 52.0), iaqi(52)); // 51.43
    assert_eq!(value(s, Metric::O3_8h, 1.0), iaqi(1)); // 0.5
    assert_eq!(value(s, Metric::Pm25_24h, 0.01), iaqi(1)); // 0.014
    assert_eq!(value(s, Metric::Pm25_24h, 0.0), iaqi(0));
    // Decimal CO values whose binary arithmetic lands a hair above the integer do not round up.
    assert_eq!(value(s, Metric::Co_1h, 0.1), iaqi(1)); // 1
    assert_eq!(value(s, Metric::Co_24h, 2.2), iaqi(55)); // 55.00000000000001 in f64
    assert_eq!(value(s, Metric::Co_24h, 0.1), iaqi(3)); // 2.5
    assert_eq!(value(s, Metric::Co_24h, 3.3), iaqi(83)); // 82.5
    // PM2.5 70: 93.75 → 94 (良) under 2012, 109.09 → 110 (轻度污染) under 2026.
    assert_eq!(value(AqiStandard::Hj633_2012, Metric::Pm25_24h, 70.0), iaqi(94));
    assert_eq!(value(s, Metric::Pm25_24h, 70.0), iaqi(110));
    // PM10 130: 90 under 2012, 100 + 50×10/130 = 103.85 → 104 under 2026.
    assert_eq!(value(AqiStandard::Hj633_2012, Metric::Pm10_24h, 130.0), iaqi(90));
    assert_eq!(value(s, Metric::Pm10_24h, 130.0), iaqi(104));
}

#[test]
fn edition_switches_at_midnight_shanghai_on_1_march_2026() {
    let tz = chrono_tz::Asia::Shanghai;
    let at = |y, mo, d, h, mi, s| tz.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap().with_timezone(&Utc);
    assert_eq!(
        AqiStandard::for_period_start(at(2026, 2, 28, 23, 59, 59)),
        AqiStandard::Hj633_2012
    );
    assert_eq!(
        AqiStandard::for_period_start(at(2026, 3, 1, 0, 0, 0)),
        AqiStandard::Hj633_2026
    );
    assert_eq!(
        AqiStandard::for_period_start(at(2026, 2, 28, 23, 0, 0)),
        AqiStandard::Hj633_2012
    );
    // The same instants in UTC: the switch is 16:00Z on 28 February, not midnight UTC.
    let utc = |d, h, mi, s| Utc.with_ymd_and_hms(2026, 2, d, h, mi, s).unwrap();
    assert_eq!(
        AqiStandard::for_period_start(utc(28, 15, 59, 59)),
        AqiStandard::Hj633_2012
    );
    assert_eq!(
        AqiStandard::for_period_start(utc(28, 16, 0, 0)),
        AqiStandard::Hj633_2026
    );
    assert_eq!(
        AqiStandard::for_period_start(utc(28, 12, 0, 0)),
        AqiStandard::Hj633_2012
    );
    // Far from the switch.
    assert_eq!(AqiStandard::for_period_start(utc(1, 0, 0, 0)), AqiStandard::Hj633_2012);
    assert_eq!(
        AqiStandard::for_period_start(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
        AqiStandard::Hj633_2026
    );
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(AqiStandard::for_date(date(2026, 2, 28)), AqiStandard::Hj633_2012);
    assert_eq!(AqiStandard::for_date(date(2026, 3, 1)), AqiStandard::Hj633_2026);
    assert_eq!(AqiStandard::for_date(date(2013, 1, 1)), AqiStandard::Hj633_2012);
    assert_eq!(AqiStandard::CUTOVER_DATE, date(2026, 3, 1));
}

#[test]
fn standard_codes() {
    assert_eq!(AqiStandard::Hj633_2012.code(), "HJ 633-2012");
    assert_eq!(AqiStandard::Hj633_2026.code(), "HJ 633-2026");
}
