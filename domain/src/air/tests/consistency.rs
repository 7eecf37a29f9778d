use super::some;
use crate::air::aqi::{Aqi, DailyConcentrations, HourlyConcentrations};
use crate::air::breakpoints::AqiStandard;
use crate::air::consistency::{
    Consistency, PrimaryMismatch, Reported, check, check_daily, check_hourly, parse_reported_primary,
};
use crate::air::pollutant::{Pollutant, PollutantSet};

const NEW: AqiStandard = AqiStandard::Hj633_2026;
const OLD: AqiStandard = AqiStandard::Hj633_2012;

fn reported(aqi: u16, primary: &str) -> Reported<'_> {
    Reported { aqi, primary }
}

/// A day with PM2.5 70 (2026: 110; 2012: 94) and everything else low.
fn day() -> DailyConcentrations {
    DailyConcentrations {
        so2: some(8.0),
        no2: some(30.0),
        pm10: some(60.0),
        co: some(0.6),
        o3_8h_max: some(90.0),
        pm25: some(70.0),
        o3_1h_max: some(120.0),
    }
}

#[test]
fn matching_report_is_consistent() {
    assert_eq!(
        check_daily(reported(110, "PM2.5"), NEW, &day()),
        Consistency::Consistent
    );
    assert_eq!(
        check_daily(reported(94, "细颗粒物"), OLD, &day()),
        Consistency::Consistent
    );
    assert!(check_daily(reported(110, " pm2_5 "), NEW, &day()).is_consistent());
    assert_eq!(check_daily(reported(110, "PM2.5"), NEW, &day()).reason(), None);
}

#[test]
fn different_aqi_gives_a_chinese_reason() {
    // The station still applied the 2012 table after the switch.
    let v = check_daily(reported(94, "PM2.5"), NEW, &day());
    assert!(!v.is_consistent());
    assert_eq!(v.reason().unwrap(), "AQI 不一致：上报 94，按 HJ 633-2026 重算为 110");
    let Consistency::Inconsistent(m) = v else {
        panic!("expected a mismatch")
    };
    assert!(m.aqi_differs);
    assert_eq!(m.primary, None);
    assert_eq!(m.computed.value(), Some(110));
    // Off by one (rounded instead of up).
    let v = check_daily(reported(109, "PM2.5"), NEW, &day());
    assert_eq!(v.reason().unwrap(), "AQI 不一致：上报 109，按 HJ 633-2026 重算为 110");
}

#[test]
fn different_primary_pollutant() {
    let v = check_daily(reported(110, "PM10"), NEW, &day());
    assert_eq!(v.reason().unwrap(), "首要污染物不一致：上报 PM10，重算为 PM2.5");
    let v = check_daily(reported(120, "PM10,PM2.5"), NEW, &day());
    assert_eq!(
        v.reason().unwrap(),
        "AQI 不一致：上报 120，按 HJ 633-2026 重算为 110；首要污染物不一致：上报 PM10、PM2.5，重算为 PM2.5"
    );
    // Missing primary pollutant when one is due.
    let v = check_daily(reported(110, "—"), NEW, &day());
    assert_eq!(v.reason().unwrap(), "首要污染物不一致：上报 —，重算为 PM2.5");
}

#[test]
fn no_primary_pollutant_at_or_below_50() {
    let mut d = day();
    d.pm25 = some(35.0); // 50
    d.pm10 = some(50.0); // 50
    for none in ["", "—", "-", "--", "无", " / "] {
        assert!(check_daily(reported(50, none), NEW, &d).is_consistent(), "{none:?}");
    }
    let v = check_daily(reported(50, "PM2.5"), NEW, &d);
    assert_eq!(
        v.reason().unwrap(),
        "首要污染物不一致：上报 PM2.5，重算为 —（AQI 50 不大于 50，不应报首要污染物）"
    );
}

#[test]
fn ties_must_all_be_reported_in_any_order_and_spelling() {
    let mut d = day();
    d.pm10 = some(250.0); // 150
    d.pm25 = some(115.0); // 150
    for text in [
        "PM10,PM2.5",
        "PM2.5，PM10",
        "PM2.5、PM10",
        "颗粒物(PM10);细颗粒物",
        "PM₂.₅/PM10",
    ] {
        assert!(check_daily(reported(150, text), NEW, &d).is_consistent(), "{text}");
    }
    let v = check_daily(reported(150, "PM2.5"), NEW, &d);
    assert_eq!(v.reason().unwrap(), "首要污染物不一致：上报 PM2.5，重算为 PM10、PM2.5");
}

#[test]
fn ozone_is_compared_as_a_pollutant() {
    let mut d = day();
    d.o3_8h_max = some(215.0); // 150
    for text in ["O3", "O3_8h", "O3-8H", "臭氧8小时", "O₃", "ｏ３"] {
        assert!(check_daily(reported(150, text), NEW, &d).is_consistent(), "{text}");
    }
}

#[test]
fn unreadable_primary_pollutant() {
    let v = check_daily(reported(110, "PM2.5,TSP"), NEW, &day());
    let Consistency::Inconsistent(m) = v else {
        panic!("expected a mismatch")
    };
    assert_eq!(m.primary, Some(PrimaryMismatch::Unreadable("TSP")));
    assert_eq!(v.reason().unwrap(), "首要污染物无法识别：「TSP」");
}

#[test]
fn beyond_scale_accepts_500_and_above() {
    let mut d = day();
    d.pm25 = some(650.0);
    assert!(check_daily(reported(500, "PM2.5"), NEW, &d).is_consistent());
    assert!(check_daily(reported(617, "PM2.5"), NEW, &d).is_consistent());
    let v = check_daily(reported(499, "PM2.5"), NEW, &d);
    assert_eq!(
        v.reason().unwrap(),
        "AQI 不一致：上报 499，按 HJ 633-2026 重算为 500（浓度超过最高限值，AQI 应报 500 及以上）"
    );
    // Exactly at the top breakpoint the index is 500 and nothing else.
    d.pm25 = some(500.0);
    assert!(check_daily(reported(500, "PM2.5"), NEW, &d).is_consistent());
    assert!(!check_daily(reported(501, "PM2.5"), NEW, &d).is_consistent());
}

#[test]
fn missing_concentrations_are_named_in_the_reason() {
    let h = HourlyConcentrations {
        pm25: some(75.0), // 114
        ..HourlyConcentrations::default()
    };
    assert!(check_hourly(reported(114, "PM2.5"), NEW, &h).is_consistent());
    let v = check_hourly(reported(120, "PM2.5"), NEW, &h);
    assert_eq!(
        v.reason().unwrap(),
        "AQI 不一致：上报 120，按 HJ 633-2026 重算为 114（缺少 SO2、NO2、PM10、CO、O3 浓度，按其余污染物重算）"
    );
}

#[test]
fn nothing_to_recompute_is_unverifiable() {
    let v = check_hourly(reported(80, "PM10"), NEW, &HourlyConcentrations::default());
    assert_eq!(v, Consistency::Unverifiable);
    assert!(!v.is_consistent());
    assert_eq!(v.reason().unwrap(), "无可用浓度，无法重算 AQI");
}

#[test]
fn check_takes_a_precomputed_aqi() {
    let a = Aqi::daily(NEW, &day());
    assert!(check(reported(110, "PM2.5"), &a).is_consistent());
}

#[test]
fn reported_names() {
    let cases = [
        ("SO2", Pollutant::So2),
        ("so₂", Pollutant::So2),
        ("二氧化硫", Pollutant::So2),
        ("NO2", Pollutant::No2),
        ("二氧化氮", Pollutant::No2),
        ("PM10", Pollutant::Pm10),
        ("可吸入颗粒物", Pollutant::Pm10),
        ("颗粒物（PM10）", Pollutant::Pm10),
        ("CO", Pollutant::Co),
        ("一氧化碳", Pollutant::Co),
        ("O3_1h", Pollutant::O3),
        ("臭氧1小时", Pollutant::O3),
        ("PM25", Pollutant::Pm25),
        ("ＰＭ２．５", Pollutant::Pm25),
        ("颗粒物(PM2.5)", Pollutant::Pm25),
    ];
    for (text, p) in cases {
        assert_eq!(Pollutant::parse_reported(text), Some(p), "{text}");
    }
    for bad in ["", "PM", "PM2", "O3_24h", "SO3", "臭", "PM10.5"] {
        assert_eq!(Pollutant::parse_reported(bad), None, "{bad}");
    }
    assert_eq!(parse_reported_primary("—"), Ok(PollutantSet::EMPTY));
    assert_eq!(
        parse_reported_primary("PM10,,PM10"),
        Ok([Pollutant::Pm10].into_iter().collect())
    );
    assert_eq!(parse_reported_primary("PM10,XX"), Err("XX"));
}
