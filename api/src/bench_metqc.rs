//! `ecogov bench metqc`: hourly surface observations through every meteorological QC check,
//! per second on one core (target >= 1,000,000 observations/s).
//!
//! The data come from `ecogov_domain::met::synthetic` (100 stations, realistic diurnal values,
//! defects of every kind planted); generation is not timed. The timed part is what a QC run
//! does: every check on every station's series, the day summaries, and the findings. The run
//! then proves it checked for real: every planted defect found, nothing else flagged.

use std::collections::BTreeMap;
use std::time::Instant;

use ecogov_domain::met::{Element, QcEngine, QcFlag, StationQc, synthetic};

/// Runs the benchmark on at least `observations` hourly records.
pub fn metqc(observations: usize) -> anyhow::Result<String> {
    let stations = (observations / 10_000).clamp(1, 100);
    // 1 % more hours than asked, since the generator removes some hours as planted gaps.
    let days = (observations + observations / 100).div_ceil(stations * 24) + 1;
    let t0 = Instant::now();
    let data = synthetic::generate(stations, days, 0x5EED_2026);
    let generate_s = t0.elapsed().as_secs_f64();
    let n = data.observations();
    let engine = QcEngine::new(data.config.clone())?;

    // Warm up on one station, then measure everything.
    if let Some(s) = data.series.first() {
        std::hint::black_box(engine.check(s));
    }
    let t0 = Instant::now();
    let results: Vec<StationQc> = data.series.iter().map(|s| engine.check(s)).collect();
    let findings = engine.findings(&results);
    let secs = t0.elapsed().as_secs_f64();

    let expected: BTreeMap<_, _> = data
        .planted
        .iter()
        .map(|p| ((p.station.clone(), p.hour, p.element), (p.flag, p.check)))
        .collect();
    let (mut found, mut unexpected) = (0usize, 0usize);
    for r in &results {
        for (h, f) in r.hours().iter().zip(r.flags()) {
            for e in Element::ALL {
                let got = f[e.index()];
                match expected.get(&(r.station().clone(), *h, e)) {
                    Some((flag, check)) if got.flag == *flag && got.reason == Some(*check) => found += 1,
                    Some(_) => {}
                    None if got.flag != QcFlag::Correct => unexpected += 1,
                    None => {}
                }
            }
        }
    }
    let missing_hours: u32 = results
        .iter()
        .flat_map(|r| r.days())
        .map(|d| u32::from(d.missing_hours))
        .sum();
    let removed: usize = data.removed_hours.values().map(Vec::len).sum();
    let per_sec = n as f64 / secs;
    Ok(format!(
        "observations={n} stations={stations} days={days} generate_s={generate_s:.3} check_s={secs:.3} \
         planted={} found={found} unexpected={unexpected} missing_hours={missing_hours} removed_hours={removed} \
         findings={}\nobs_per_sec={per_sec:.0} target=1000000 target_ratio={:.2}",
        data.planted.len(),
        findings.len(),
        per_sec / 1_000_000.0
    ))
}
