use super::some;
use crate::air::aqi::{Aqi, Category, DailyConcentrations, HourlyConcentrations};
use crate::air::breakpoints::{AqiStandard, Iaqi};
use crate::air::pollutant::{PerPollutant, Pollutant, PollutantSet};

const NEW: AqiStandard = AqiStandard::Hj633_2026;
const OLD: AqiStandard = AqiStandard::Hj633_2012;

fn set(ps: &[Pollutant]) -> PollutantSet {
    ps.iter().copied().collect()
}

fn clean_hour() -> HourlyConcentrations {
    HourlyConcentrations {
        so2: some(10.0),
        no2: some(20.0),
        pm10: some(30.0),
        co: some(0.5),
        o3: some(60.0),
        pm25: some(20.0),
        so2_24h: None,
    }
}

fn clean_day() -> DailyConcentrations {
    DailyConcentrations {
        so2: some(10.0),
        no2: some(20.0),
        pm10: some(30.0),
        co: some(0.5),
        o3_8h_max: some(60.0),
        pm25: some(20.0),
        o3_1h_max: some(80.0),
    }
}

#[test]
fn hourly_uses_1h_tables_and_24h_tables_for_pm() {
    let h = HourlyConcentrations {
        so2: some(150.0),  // 1h table: 50 (24h table would say 100)
        no2: some(200.0),  // 1h table: 100
        pm10: some(120.0), // 24h table 2026: 100
        co: some(10.0),    // 1h table: 100
        o3: some(200.0),   // 1h table: 100
        pm25: some(60.0),  // 24h table 2026: 100
        so2_24h: None,
    };
    let a = Aqi::hourly(NEW, &h);
    let got: Vec<u16> = Pollutant::ALL.iter().map(|&p| a.iaqi(p).unwrap().value()).collect();
    assert_eq!(got, [50, 100, 100, 100, 100, 100]);
    assert_eq!(a.value(), Some(100));
    assert_eq!(
        a.primary(),
        set(&[
            Pollutant::No2,
            Pollutant::Pm10,
            Pollutant::Co,
            Pollutant::O3,
            Pollutant::Pm25
        ])
    );
    assert_eq!(a.category(), Some(Category::Good));
    assert!(a.missing().is_empty());
}

#[test]
fn daily_uses_24h_tables_and_o3_max_8h() {
    let d = DailyConcentrations {
        so2: some(150.0),       // 24h: 100
        no2: some(80.0),        // 24h: 100
        pm10: some(50.0),       // 50
        co: some(4.0),          // 24h: 100
        o3_8h_max: some(160.0), // 8h: 100
        pm25: some(35.0),       // 50
        o3_1h_max: some(400.0), // 1h would be 200: not used below 800 µg/m³ 8h
    };
    let a = Aqi::daily(NEW, &d);
    let got: Vec<u16> = Pollutant::ALL.iter().map(|&p| a.iaqi(p).unwrap().value()).collect();
    assert_eq!(got, [100, 100, 50, 100, 100, 50]);
    assert_eq!(a.value(), Some(100));
    assert_eq!(
        a.primary(),
        set(&[Pollutant::So2, Pollutant::No2, Pollutant::Co, Pollutant::O3])
    );
}

#[test]
fn so2_1h_above_800_uses_24h_table() {
    let mut h = clean_hour();
    h.so2 = some(800.0);
    assert_eq!(Aqi::hourly(NEW, &h).iaqi(Pollutant::So2), Some(Iaqi::new(200)));
    // 801 on the 24h table: 200 + 100 × 1/800 = 200.125 → 201.
    h.so2 = some(801.0);
    assert_eq!(Aqi::hourly(NEW, &h).iaqi(Pollutant::So2), Some(Iaqi::new(201)));
    // With the 24-hour mean supplied, its IAQI is reported instead.
    h.so2_24h = some(100.0);
    let a = Aqi::hourly(NEW, &h);
    assert_eq!(a.iaqi(Pollutant::So2), Some(Iaqi::new(75)));
    assert_eq!(a.value(), Some(75));
    assert_eq!(a.primary(), set(&[Pollutant::So2]));
    // The 24-hour mean is ignored at or below 800.
    h.so2 = some(700.0);
    assert_eq!(Aqi::hourly(NEW, &h).iaqi(Pollutant::So2), Some(Iaqi::new(167))); // 166.67
    // Beyond the 24h table as well.
    h.so2 = some(3000.0);
    h.so2_24h = None;
    assert_eq!(Aqi::hourly(NEW, &h).iaqi(Pollutant::So2), Some(Iaqi::BEYOND_SCALE));
}

#[test]
fn o3_8h_above_800_uses_1h() {
    let mut d = clean_day();
    d.o3_8h_max = some(800.0);
    assert_eq!(Aqi::daily(NEW, &d).iaqi(Pollutant::O3), Some(Iaqi::new(300)));
    d.o3_8h_max = some(801.0);
    d.o3_1h_max = some(900.0); // 300 + 100 × 100/200 = 350
    let a = Aqi::daily(NEW, &d);
    assert_eq!(a.iaqi(Pollutant::O3), Some(Iaqi::new(350)));
    assert_eq!(a.category(), Some(Category::SeverelyPolluted));
    assert_eq!(a.primary(), set(&[Pollutant::O3]));
    // Without the 1-hour max the O3 sub-index cannot be given.
    d.o3_1h_max = None;
    let a = Aqi::daily(NEW, &d);
    assert_eq!(a.iaqi(Pollutant::O3), None);
    assert_eq!(a.missing(), set(&[Pollutant::O3]));
    assert_eq!(a.value(), Some(30)); // PM10 30 → 30, the highest left
}

#[test]
fn hourly_o3_beyond_1200_is_beyond_scale() {
    let mut h = clean_hour();
    h.o3 = some(1200.5);
    let a = Aqi::hourly(NEW, &h);
    assert_eq!(a.value(), Some(500));
    assert!(a.is_beyond_scale());
    assert_eq!(a.category(), Some(Category::SeverelyPolluted));
    assert_eq!(a.primary(), set(&[Pollutant::O3]));
    h.o3 = some(1200.0);
    let a = Aqi::hourly(NEW, &h);
    assert_eq!(a.value(), Some(500));
    assert!(!a.is_beyond_scale());
}

#[test]
fn primary_pollutant_ties_are_all_listed_in_table_order() {
    // PM10 250 and PM2.5 115 are both exactly 150.
    let mut d = clean_day();
    d.pm10 = some(250.0);
    d.pm25 = some(115.0);
    let a = Aqi::daily(NEW, &d);
    assert_eq!(a.value(), Some(150));
    assert_eq!(
        a.primary().iter().collect::<Vec<_>>(),
        [Pollutant::Pm10, Pollutant::Pm25]
    );
    assert_eq!(a.primary().to_string(), "PM10、PM2.5");
    // Ties are on the rounded-up values: PM10 52 → 51.43 and PM2.5 36 → 52.0 both publish 52.
    d.pm10 = some(52.0);
    d.pm25 = some(36.0);
    let a = Aqi::daily(NEW, &d);
    assert_eq!(a.value(), Some(52));
    assert_eq!(a.primary(), set(&[Pollutant::Pm10, Pollutant::Pm25]));
    // One above the other: a single primary pollutant.
    d.pm25 = some(36.1);
    assert_eq!(Aqi::daily(NEW, &d).primary(), set(&[Pollutant::Pm25]));
    // A three-way tie among O3, NO2 and SO2 at 100.
    let d = DailyConcentrations {
        so2: some(150.0),
        no2: some(80.0),
        o3_8h_max: some(160.0),
        ..DailyConcentrations::default()
    };
    assert_eq!(Aqi::daily(NEW, &d).primary().to_string(), "SO2、NO2、O3");
}

#[test]
fn no_primary_pollutant_at_or_below_50() {
    let mut d = clean_day();
    d.pm25 = some(35.0); // exactly 50
    let a = Aqi::daily(NEW, &d);
    assert_eq!(a.value(), Some(50));
    assert!(a.primary().is_empty());
    assert_eq!(a.primary().to_string(), "—");
    assert_eq!(a.category(), Some(Category::Excellent));
    d.pm25 = some(35.001); // 50.0014 → 51
    let a = Aqi::daily(NEW, &d);
    assert_eq!(a.value(), Some(51));
    assert_eq!(a.primary(), set(&[Pollutant::Pm25]));
    assert_eq!(a.category(), Some(Category::Good));
}

#[test]
fn same_concentrations_under_both_editions() {
    let mut d = clean_day();
    d.pm25 = some(70.0);
    d.pm10 = some(140.0); // 2012: 95; 2026: 100 + 50 × 20/130 = 107.69 → 108
    let old = Aqi::daily(OLD, &d);
    let new = Aqi::daily(NEW, &d);
    assert_eq!((old.value(), old.primary()), (Some(95), set(&[Pollutant::Pm10])));
    assert_eq!((new.value(), new.primary()), (Some(110), set(&[Pollutant::Pm25])));
    assert_eq!(old.category().map(Category::name_zh), Some("良"));
    assert_eq!(new.category().map(Category::name_zh), Some("轻度污染"));
    assert_eq!(old.standard(), OLD);
}

#[test]
fn missing_pollutants_are_left_out() {
    let h = HourlyConcentrations {
        pm25: some(75.0),
        ..HourlyConcentrations::default()
    };
    let a = Aqi::hourly(NEW, &h);
    assert_eq!(a.value(), Some(114)); // 100 + 50 × 15/55 = 113.6
    assert_eq!(a.missing().len(), 5);
    assert!(!a.missing().contains(Pollutant::Pm25));
    let none = Aqi::hourly(NEW, &HourlyConcentrations::default());
    assert_eq!((none.value(), none.category()), (None, None));
    assert!(none.primary().is_empty());
    assert_eq!(none.missing().len(), 6);
}

#[test]
fn from_sub_indices_beyond_scale_wins_over_500() {
    let mut sub = PerPollutant([None; 6]);
    sub.set(Pollutant::Pm10, Some(Iaqi::new(500)));
    sub.set(Pollutant::Pm25, Some(Iaqi::BEYOND_SCALE));
    let a = Aqi::from_sub_indices(NEW, sub);
    assert_eq!(a.value(), Some(500));
    assert!(a.is_beyond_scale());
    // Both publish 500, so both are primary.
    assert_eq!(a.primary(), set(&[Pollutant::Pm10, Pollutant::Pm25]));
}

#[test]
fn categories_at_every_boundary() {
    let cases = [
        (0, 1, "一级", "优", "绿色"),
        (50, 1, "一级", "优", "绿色"),
        (51, 2, "二级", "良", "黄色"),
        (100, 2, "二级", "良", "黄色"),
        (101, 3, "三级", "轻度污染", "橙色"),
        (150, 3, "三级", "轻度污染", "橙色"),
        (151, 4, "四级", "中度污染", "红色"),
        (200, 4, "四级", "中度污染", "红色"),
        (201, 5, "五级", "重度污染", "紫色"),
        (300, 5, "五级", "重度污染", "紫色"),
        (301, 6, "六级", "严重污染", "褐红色"),
        (500, 6, "六级", "严重污染", "褐红色"),
    ];
    for (aqi, level, level_zh, name, colour) in cases {
        let cat = Category::of(aqi);
        assert_eq!(
            (cat.level(), cat.level_zh(), cat.name_zh(), cat.colour_zh()),
            (level, level_zh, name, colour),
            "AQI {aqi}"
        );
        assert_eq!(cat.to_string(), name);
    }
}
