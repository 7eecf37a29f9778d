//! Hand-made cases at every threshold, and the planted-defect data set.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::{BTreeMap, BTreeSet};

use super::synthetic::{self, START};
use super::*;

const T: Element = Element::Temperature;
const TD: Element = Element::DewPoint;
const RH: Element = Element::RelativeHumidity;
const P: Element = Element::Pressure;
const WS: Element = Element::WindSpeed;
const WD: Element = Element::WindDirection;
const PR: Element = Element::Precipitation;

fn station() -> StationId {
    StationId::parse("58367").unwrap()
}

fn values(pairs: &[(Element, f64)]) -> Values {
    let mut v = Values::default();
    for (e, x) in pairs {
        v.set(*e, Some(*x));
    }
    v
}

/// Consecutive hours from `START` with the given values.
fn run(engine: &QcEngine, rows: &[Values]) -> StationQc {
    let obs = rows
        .iter()
        .enumerate()
        .map(|(i, v)| HourlyObservation {
            hour: UtcHour(START.0 + i as i64),
            values: *v,
        })
        .collect();
    engine.check(&StationSeries::new(station(), obs).unwrap())
}

fn engine() -> QcEngine {
    QcEngine::new(QcConfig::default()).unwrap()
}

fn flag(r: &StationQc, i: usize, e: Element) -> (QcFlag, Option<Check>) {
    let v = r.flags()[i][e.index()];
    (v.flag, v.reason)
}

const OK: (QcFlag, Option<Check>) = (QcFlag::Correct, None);

fn single(engine: &QcEngine, e: Element, x: f64) -> (QcFlag, Option<Check>) {
    flag(&run(engine, &[values(&[(e, x)])]), 0, e)
}

#[test]
fn climate_limits_at_their_bounds() {
    let eng = engine();
    let wrong = (QcFlag::Wrong, Some(Check::ClimateLimit));
    for (e, lo, hi) in [
        (T, -80.0, 60.0),
        (TD, -80.0, 35.0),
        (RH, 0.0, 100.0),
        (P, 870.0, 1100.0),
        (WS, 0.0, 75.0),
        (WD, 0.0, 360.0),
        (PR, 0.0, 600.0),
    ] {
        assert_eq!(single(&eng, e, lo), OK, "{e:?} at {lo}");
        assert_eq!(single(&eng, e, hi), OK, "{e:?} at {hi}");
        assert_eq!(single(&eng, e, lo - 0.1), wrong, "{e:?} below {lo}");
        assert_eq!(single(&eng, e, hi + 0.1), wrong, "{e:?} above {hi}");
    }
    assert_eq!(Check::ClimateLimit.code(), "climate_limit");
    assert_eq!(Check::ClimateLimit.zh(), "超出气候学界限值");
    assert_eq!(QcFlag::Wrong.code(), 2);
}

#[test]
fn station_extremes_are_per_station_and_suspect() {
    let mut cfg = QcConfig::default();
    let mut sc = StationConfig::default();
    sc.extremes.temperature = Some(Range { min: -5.0, max: 38.0 });
    cfg.stations.insert(station(), sc);
    let eng = QcEngine::new(cfg).unwrap();
    assert_eq!(single(&eng, T, 38.0), OK);
    assert_eq!(single(&eng, T, -5.0), OK);
    assert_eq!(single(&eng, T, 38.1), (QcFlag::Suspect, Some(Check::StationExtreme)));
    assert_eq!(single(&eng, T, -5.1), (QcFlag::Suspect, Some(Check::StationExtreme)));
    // Worst flag wins: beyond the climatological limit too, the value is wrong.
    assert_eq!(single(&eng, T, 60.5), (QcFlag::Wrong, Some(Check::ClimateLimit)));
    // Equal flags keep the earlier check's reason: 20 -> 38.5 is also a step, but the
    // extreme (stage 1) named it first.
    let r = run(&eng, &temps(&[20.0, 38.5, 20.0]));
    assert_eq!(flag(&r, 1, T), (QcFlag::Suspect, Some(Check::StationExtreme)));
    assert_eq!(flag(&r, 2, T), OK);
    // Another station has no extremes.
    let other = StationSeries::new(
        StationId::parse("58238").unwrap(),
        vec![HourlyObservation {
            hour: START,
            values: values(&[(T, 39.0)]),
        }],
    )
    .unwrap();
    assert_eq!(eng.check(&other).flags()[0][T.index()], ValueQc::CORRECT);
}

fn temps(xs: &[f64]) -> Vec<Values> {
    xs.iter().map(|x| values(&[(T, *x)])).collect()
}

#[test]
fn step_at_the_threshold_spikes_and_jumps() {
    let eng = engine();
    let suspect = (QcFlag::Suspect, Some(Check::Step));
    let r = run(&eng, &temps(&[10.0, 15.0, 10.0]));
    assert!((0..3).all(|i| flag(&r, i, T) == OK), "exactly 5 °C/h passes");
    let r = run(&eng, &temps(&[10.0, 15.1, 10.0]));
    assert_eq!(
        [flag(&r, 0, T), flag(&r, 1, T), flag(&r, 2, T)],
        [OK, suspect, OK],
        "spike: only the spike"
    );
    let r = run(&eng, &temps(&[10.0, 4.8, 5.0, 5.2]));
    assert_eq!(flag(&r, 1, T), suspect, "downward jump");
    assert_eq!([flag(&r, 2, T), flag(&r, 3, T)], [OK, OK], "the new level is fine");
    // Two jumps up in a row are both flagged (no return between them).
    let r = run(&eng, &temps(&[10.0, 16.0, 22.0]));
    assert_eq!([flag(&r, 1, T), flag(&r, 2, T)], [suspect, suspect]);
    // No step across a missing hour or a missing value.
    let mut rows = temps(&[10.0, 0.0, 20.0]);
    rows[1] = Values::default();
    let r = run(&eng, &rows);
    assert_eq!(flag(&r, 2, T), OK);
    assert_eq!(flag(&r, 1, T), (QcFlag::Missing, Some(Check::Missing)));
    // A wrong value takes no part in steps.
    let r = run(&eng, &temps(&[10.0, 99.0, 10.2]));
    assert_eq!(
        [flag(&r, 1, T), flag(&r, 2, T)],
        [(QcFlag::Wrong, Some(Check::ClimateLimit)), OK]
    );
    // A "wrong" step threshold, when configured.
    let mut cfg = QcConfig::default();
    cfg.step.temperature = Some(StepLimit {
        suspect: 5.0,
        wrong: Some(10.0),
    });
    let eng = QcEngine::new(cfg).unwrap();
    let r = run(&eng, &temps(&[10.0, 20.0, 30.1]));
    assert_eq!(flag(&r, 1, T), suspect);
    assert_eq!(flag(&r, 2, T), (QcFlag::Wrong, Some(Check::Step)));
}

#[test]
fn persistence_counts_values_across_midnight() {
    let eng = engine();
    // START is local midnight; begin at 20:00 the day before so the run crosses midnight.
    let at = |n: usize, x: f64| {
        let mut v = vec![values(&[(P, 1004.0)])];
        v.extend((0..n).map(|_| values(&[(P, x)])));
        v.push(values(&[(P, 1006.0)]));
        v
    };
    let r = run(&eng, &at(23, 1005.0));
    assert!((0..25).all(|i| flag(&r, i, P) == OK), "23 equal values pass");
    let r = run(&eng, &at(24, 1005.0));
    assert_eq!(flag(&r, 0, P), OK);
    assert!((1..=24).all(|i| flag(&r, i, P) == (QcFlag::Wrong, Some(Check::Persistence))));
    assert_eq!(flag(&r, 25, P), OK);

    // Across a day boundary in Beijing time: 20:00 to 19:00 next day.
    let obs: Vec<HourlyObservation> = (0..24)
        .map(|i| HourlyObservation {
            hour: UtcHour(START.0 - 4 + i),
            values: values(&[(T, 12.3)]),
        })
        .collect();
    let r = eng.check(&StationSeries::new(station(), obs).unwrap());
    assert!(r.flags().iter().all(|f| f[T.index()].flag == QcFlag::Wrong));
    let days = r.days();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0].date.to_string(), "2025-12-31");
    assert_eq!(
        (days[0].counts.temperature.wrong, days[1].counts.temperature.wrong),
        (4, 20)
    );

    // A missing hour ends a run.
    let mut rows: Vec<Values> = (0..25).map(|_| values(&[(T, 12.3)])).collect();
    rows[12] = Values::default();
    let r = run(&eng, &rows);
    assert!((0..25).filter(|i| *i != 12).all(|i| flag(&r, i, T) == OK));

    // Calm wind and its direction code are exempt.
    let calm: Vec<Values> = (0..30).map(|_| values(&[(WS, 0.0), (WD, 0.0)])).collect();
    let r = run(&eng, &calm);
    assert!((0..30).all(|i| flag(&r, i, WS) == OK && flag(&r, i, WD) == OK));

    // A suspect level when configured.
    let mut cfg = QcConfig::default();
    cfg.persistence.temperature = Some(PersistenceLimit {
        wrong_run: 24,
        suspect_run: Some(6),
        exempt_below: None,
    });
    let eng = QcEngine::new(cfg).unwrap();
    let r = run(&eng, &temps(&[1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.0]));
    assert!((1..7).all(|i| flag(&r, i, T) == (QcFlag::Suspect, Some(Check::Persistence))));
    let r = run(&eng, &temps(&[1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.0]));
    assert!((0..7).all(|i| flag(&r, i, T) == OK));
}

#[test]
fn dew_point_not_above_temperature() {
    let eng = engine();
    let rel = |t: f64, td: f64| values(&[(T, t), (TD, td)]);
    let r = run(&eng, &[rel(10.0, 10.0)]);
    assert_eq!((flag(&r, 0, T), flag(&r, 0, TD)), (OK, OK));
    let r = run(&eng, &[rel(10.0, 10.1)]);
    let s = (QcFlag::Suspect, Some(Check::DewPointAboveTemperature));
    assert_eq!((flag(&r, 0, T), flag(&r, 0, TD)), (s, s));
    assert_eq!(
        Check::DewPointAboveTemperature.zh(),
        "露点温度高于气温（内部一致性检查未通过）"
    );
    let mut cfg = QcConfig::default();
    cfg.consistency.dew_point_above_temperature_c = 0.2;
    let eng = QcEngine::new(cfg).unwrap();
    let r = run(&eng, &[rel(10.0, 10.1)]);
    assert_eq!(flag(&r, 0, TD), OK);
}

#[test]
fn humidity_agrees_with_magnus_within_tolerance() {
    let eng = engine();
    let calc = magnus_rh(20.0, 10.0);
    assert!(
        (calc - 52.5).abs() < 0.5,
        "Magnus RH at 20/10 °C is about 52.5 %, got {calc}"
    );
    let row = |rh: f64| values(&[(T, 20.0), (TD, 10.0), (RH, rh)]);
    let r = run(&eng, &[row(calc + 4.99), row(calc - 4.99)]);
    assert_eq!((flag(&r, 0, RH), flag(&r, 1, RH)), (OK, OK));
    let s = (QcFlag::Suspect, Some(Check::HumidityInconsistent));
    let r = run(&eng, &[row(calc + 5.01), row(calc - 5.01)]);
    assert_eq!((flag(&r, 0, RH), flag(&r, 1, RH)), (s, s));
    assert_eq!((flag(&r, 0, T), flag(&r, 0, TD)), (OK, OK), "only RH is flagged");
    // Saturation: RH 100 at T = Td.
    let r = run(&eng, &[values(&[(T, 5.0), (TD, 5.0), (RH, 100.0)])]);
    assert_eq!(flag(&r, 0, RH), OK);
}

#[test]
fn calm_wind_must_have_no_direction() {
    let eng = engine();
    let w = |s: f64, d: f64| values(&[(WS, s), (WD, d)]);
    let r = run(&eng, &[w(0.29, 90.0), w(0.3, 90.0), w(0.2, 0.0), w(0.0, 0.0)]);
    assert_eq!(flag(&r, 0, WD), (QcFlag::Suspect, Some(Check::CalmWindDirection)));
    assert_eq!(flag(&r, 0, WS), OK);
    assert_eq!([flag(&r, 1, WD), flag(&r, 2, WD), flag(&r, 3, WD)], [OK, OK, OK]);
    // Direction outside 0..360 is a climatological-limit failure.
    let r = run(&eng, &[w(3.0, 361.0), w(3.0, -1.0)]);
    assert_eq!(flag(&r, 0, WD), (QcFlag::Wrong, Some(Check::ClimateLimit)));
    assert_eq!(flag(&r, 1, WD), (QcFlag::Wrong, Some(Check::ClimateLimit)));
}

#[test]
fn missing_values_hours_and_not_checked() {
    let mut cfg = QcConfig::default();
    cfg.climate_limits.precipitation = None;
    let eng = QcEngine::new(cfg).unwrap();
    // One Beijing day with 20 of 24 records; hour 5 has no temperature.
    let obs: Vec<HourlyObservation> = (0..24)
        .filter(|i| ![3, 4, 10, 23].contains(i))
        .map(|i| HourlyObservation {
            hour: UtcHour(START.0 + i),
            values: if i == 5 {
                values(&[(P, 1000.0 + i as f64 * 0.1), (PR, 0.0)])
            } else {
                values(&[(T, 10.0 + i as f64 * 0.1), (P, 1000.0 + i as f64 * 0.1), (PR, 0.0)])
            },
        })
        .collect();
    let r = eng.check(&StationSeries::new(station(), obs).unwrap());
    assert_eq!(
        r.value(UtcHour(START.0 + 5), T),
        Some(ValueQc {
            flag: QcFlag::Missing,
            reason: Some(Check::Missing)
        })
    );
    assert_eq!(r.value(START, PR).map(|v| v.flag), Some(QcFlag::NotChecked));
    assert_eq!(QcFlag::NotChecked.code(), 9);
    assert_eq!(QcFlag::Missing.code(), 8);
    let d = &r.days()[0];
    assert_eq!((d.expected_hours, d.present_hours, d.missing_hours), (24, 20, 4));
    assert_eq!(
        d.counts.temperature,
        FlagCounts {
            correct: 19,
            missing: 5,
            ..FlagCounts::default()
        }
    );
    assert_eq!(d.counts.precipitation.not_checked, 20);
    assert_eq!(d.counts.dew_point.missing, 24);
    assert!(Element::ALL.iter().all(|e| d.counts.get(*e).total() == 24));
    let f = eng.findings([&r]);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].check, f[0].count, f[0].element), (Check::Completeness, 4, None));
    assert_eq!(f[0].days, vec![d.date]);
    assert!(f[0].summary_zh.contains("缺4个小时"), "{}", f[0].summary_zh);

    // A station expecting 8 records a day.
    let mut cfg = QcConfig::default();
    cfg.stations.insert(
        station(),
        StationConfig {
            expected_hours_per_day: Some(8),
            ..StationConfig::default()
        },
    );
    let eng = QcEngine::new(cfg).unwrap();
    let obs = (0..8)
        .map(|i| HourlyObservation {
            hour: UtcHour(START.0 + 3 * i),
            values: values(&[(T, 10.0)]),
        })
        .collect();
    let r = eng.check(&StationSeries::new(station(), obs).unwrap());
    assert_eq!(r.days()[0].missing_hours, 0);
}

#[test]
fn series_are_sorted_and_refuse_duplicates() {
    let o = |h: i64| HourlyObservation {
        hour: UtcHour(h),
        values: Values::default(),
    };
    let s = StationSeries::new(station(), vec![o(3), o(1), o(2)]).unwrap();
    assert_eq!(s.observations().iter().map(|o| o.hour.0).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(matches!(
        StationSeries::new(station(), vec![o(3), o(1), o(3)]),
        Err(SeriesError::DuplicateHour { hour: UtcHour(3), .. })
    ));
    assert!(StationId::parse("").is_err());
    assert!(StationId::parse("58 367").is_err());
    assert!(StationId::parse("A1234").is_ok());
}

#[test]
fn config_round_trips_through_json_and_is_validated() {
    let mut cfg = QcConfig::default();
    let mut sc = StationConfig::default();
    sc.extremes.pressure = Some(Range {
        min: 980.0,
        max: 1045.0,
    });
    sc.expected_hours_per_day = Some(8);
    cfg.stations.insert(station(), sc);
    let json = serde_json::to_string_pretty(&cfg).unwrap();
    assert!(json.contains("\"58367\""), "{json}");
    assert!(json.contains("\"calm_speed_ms\": 0.3"), "{json}");
    let back: QcConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cfg);
    // Partial documents fill in the defaults.
    let partial: QcConfig = serde_json::from_str(
        r#"{"consistency":{"dew_point_above_temperature_c":0.0,"humidity_tolerance_pct":8.0,"calm_speed_ms":0.3}}"#,
    )
    .unwrap();
    assert_eq!(partial.consistency.humidity_tolerance_pct, 8.0);
    assert_eq!(partial.climate_limits, QcConfig::default().climate_limits);
    // Refused configurations.
    let mut bad = QcConfig::default();
    bad.climate_limits.temperature = Some(Range { min: 10.0, max: 0.0 });
    assert!(matches!(QcEngine::new(bad), Err(QcConfigError::Range { .. })));
    let mut bad = QcConfig::default();
    bad.completeness.expected_hours_per_day = 25;
    assert!(matches!(QcEngine::new(bad), Err(QcConfigError::ExpectedHours(25))));
    let mut bad = QcConfig::default();
    bad.consistency.humidity_tolerance_pct = -1.0;
    assert!(QcEngine::new(bad).is_err());
    let mut bad = QcConfig::default();
    bad.persistence.temperature = Some(PersistenceLimit {
        wrong_run: 24,
        suspect_run: Some(30),
        exempt_below: None,
    });
    assert!(matches!(QcEngine::new(bad), Err(QcConfigError::Run("temperature"))));
    assert!(serde_json::from_str::<QcConfig>(r#"{"stations":{"58 367":{}}}"#).is_err());
}

#[test]
fn generated_data_every_planted_defect_found_and_nothing_else() {
    let data = synthetic::generate(6, 60, 42);
    let eng = QcEngine::new(data.config.clone()).unwrap();
    let expected: BTreeMap<(StationId, UtcHour, Element), (QcFlag, Check)> = data
        .planted
        .iter()
        .map(|p| ((p.station.clone(), p.hour, p.element), (p.flag, p.check)))
        .collect();
    assert_eq!(expected.len(), data.planted.len(), "planted defects do not overlap");
    let results: Vec<StationQc> = data.series.iter().map(|s| eng.check(s)).collect();
    let mut found = 0;
    let mut kinds = BTreeSet::new();
    for r in &results {
        for (h, f) in r.hours().iter().zip(r.flags()) {
            for e in Element::ALL {
                let got = f[e.index()];
                match expected.get(&(r.station().clone(), *h, e)) {
                    Some((flag, check)) => {
                        assert_eq!(
                            (got.flag, got.reason),
                            (*flag, Some(*check)),
                            "{} {h} {e:?}",
                            r.station()
                        );
                        found += 1;
                        kinds.insert(*check);
                    }
                    None => assert_eq!(got, ValueQc::CORRECT, "unexpected flag at {} {h} {e:?}", r.station()),
                }
            }
        }
        let removed = &data.removed_hours[r.station()];
        let missing: u32 = r.days().iter().map(|d| u32::from(d.missing_hours)).sum();
        assert_eq!(missing as usize, removed.len(), "{}", r.station());
        assert!(removed.iter().all(|h| r.value(*h, T).is_none()));
        assert_eq!(r.days().len(), 60);
    }
    assert_eq!(found, data.planted.len());
    assert_eq!(kinds.len(), 8, "every check has planted defects: {kinds:?}");

    // Findings: one per (station, check, element), counts adding up to the planted values.
    let findings = eng.findings(&results);
    let flagged: u32 = findings
        .iter()
        .filter(|f| f.check != Check::Completeness)
        .map(|f| f.count)
        .sum();
    let planted_flags = data.planted.iter().filter(|p| p.flag != QcFlag::Missing).count();
    assert_eq!(flagged as usize, planted_flags);
    let completeness: u32 = findings
        .iter()
        .filter(|f| f.check == Check::Completeness)
        .map(|f| f.count)
        .sum();
    assert_eq!(
        completeness as usize,
        data.removed_hours.values().map(Vec::len).sum::<usize>()
    );
    let persistence = findings
        .iter()
        .find(|f| f.check == Check::Persistence && f.element == Some(T))
        .unwrap();
    assert_eq!(persistence.flag, QcFlag::Wrong);
    assert!(
        persistence.summary_zh.contains("气温数值长时间不变"),
        "{}",
        persistence.summary_zh
    );
}
