//! `ecogov bench aqi`: hourly AQI recomputations (HJ 633: six IAQIs, AQI, primary pollutant,
//! edition by hour) with the 口径不一致 check against a reported value, per second on one core.
//!
//! Rows are generated (not timed): stations × hours from 2026-02-01 (so both editions occur),
//! concentrations that wander through every category, and a reported AQI and primary pollutant
//! per hour; every 97th hour's report is planted wrong (AQI off by one). The timed part is what
//! an air consistency run does per row after reading it: choose the edition by the hour's
//! start, recompute, compare. The run then proves it checked for real: every planted mismatch
//! found, nothing else.

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ecogov_domain::air::{Aqi, AqiStandard, Concentration, HourlyConcentrations, Reported, check};

/// One generated hour.
struct Row {
    hour_end: DateTime<Utc>,
    c: HourlyConcentrations,
    aqi: u16,
    primary: String,
}

fn generate(rows: usize) -> (Vec<Row>, usize) {
    let mut x: u64 = 0x05EE_DA01;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let start = Utc.with_ymd_and_hms(2026, 1, 31, 17, 0, 0).single().unwrap_or_default();
    let stations = 100;
    let mut out = Vec::with_capacity(rows);
    let mut planted = 0;
    for i in 0..rows {
        let hour_end = start + Duration::hours((i / stations) as i64);
        // Skewed towards clean air, with a tail through every category.
        let mut conc = |scale: f64| Concentration::new((next() * next() * scale * 10.0).round() / 10.0);
        let c = HourlyConcentrations {
            so2: conc(900.0),
            no2: conc(1500.0),
            pm10: conc(650.0),
            co: conc(40.0),
            o3: conc(1100.0),
            pm25: conc(450.0),
            so2_24h: conc(300.0),
        };
        let standard = AqiStandard::for_period_start(hour_end - Duration::hours(1));
        let truth = Aqi::hourly(standard, &c);
        let mut aqi = truth.value().unwrap_or_default();
        if i % 97 == 0 {
            aqi = if aqi == 0 { 1 } else { aqi - 1 };
            planted += 1;
        }
        out.push(Row {
            hour_end,
            c,
            aqi,
            primary: truth.primary().to_string(),
        });
    }
    (out, planted)
}

/// Runs the benchmark on `rows` station-hours.
pub fn aqi(rows: usize) -> anyhow::Result<String> {
    let t0 = Instant::now();
    let (data, planted) = generate(rows);
    let generate_s = t0.elapsed().as_secs_f64();
    let run = |data: &[Row]| {
        let (mut inconsistent, mut new_edition) = (0usize, 0usize);
        for r in data {
            let standard = AqiStandard::for_period_start(r.hour_end - Duration::hours(1));
            new_edition += usize::from(standard == AqiStandard::Hj633_2026);
            let computed = Aqi::hourly(standard, &r.c);
            let verdict = check(
                Reported {
                    aqi: r.aqi,
                    primary: &r.primary,
                },
                &computed,
            );
            inconsistent += usize::from(!verdict.is_consistent());
        }
        (inconsistent, new_edition)
    };
    std::hint::black_box(run(data.get(..10_000).unwrap_or(&data)));
    let t0 = Instant::now();
    let (inconsistent, new_edition) = std::hint::black_box(run(&data));
    let secs = t0.elapsed().as_secs_f64();
    let per_sec = data.len() as f64 / secs;
    Ok(format!(
        "rows={} hj633_2026_rows={new_edition} generate_s={generate_s:.3} check_s={secs:.3} planted={planted} \
         inconsistent={inconsistent}\naqi_per_sec={per_sec:.0}",
        data.len()
    ))
}
