use crate::air::validity::{
    AnnualShortfall, annual_value_valid, daily_mean, daily_value_valid, eight_hour_value_valid, hourly_value_valid,
    min_days_in_month, o3_daily_max_8h, o3_eight_hour_means,
};

#[test]
fn hourly_needs_45_minutes() {
    assert!(!hourly_value_valid(0));
    assert!(!hourly_value_valid(44));
    assert!(hourly_value_valid(45));
    assert!(hourly_value_valid(60));
}

#[test]
fn daily_needs_20_hours() {
    assert!(!daily_value_valid(19));
    assert!(daily_value_valid(20));
    assert!(daily_value_valid(24));

    let mut hours = [Some(10.0); 24];
    for h in hours.iter_mut().take(4) {
        *h = None;
    }
    let m = daily_mean(&hours);
    assert_eq!((m.mean, m.valid_hours), (Some(10.0), 20));
    hours[4] = None;
    let m = daily_mean(&hours);
    assert_eq!((m.mean, m.valid_hours), (None, 19));
    // The mean is over valid hours only.
    let mut hours = [None; 24];
    for (i, h) in hours.iter_mut().enumerate().take(20) {
        *h = Some(i as f64);
    }
    assert_eq!(daily_mean(&hours).mean, Some(9.5));
}

#[test]
fn eight_hour_needs_6_hours() {
    assert!(!eight_hour_value_valid(5));
    assert!(eight_hour_value_valid(6));
    assert!(eight_hour_value_valid(8));
}

#[test]
fn o3_moving_means() {
    let hours: Vec<Option<f64>> = (1..=10).map(|h| Some(f64::from(h) * 10.0)).collect();
    let means: Vec<Option<f64>> = o3_eight_hour_means(&hours).map(|w| w.mean).collect();
    // Windows 1..=8, 2..=9, 3..=10 (×10).
    assert_eq!(means, [Some(45.0), Some(55.0), Some(65.0)]);
    // Fewer than 8 hours: no window.
    assert_eq!(o3_eight_hour_means(&hours[..7]).count(), 0);

    let mut hours = [Some(100.0); 9];
    hours[0] = None;
    hours[1] = None;
    let w: Vec<_> = o3_eight_hour_means(&hours).collect();
    assert_eq!((w[0].mean, w[0].valid_hours), (Some(100.0), 6));
    assert_eq!((w[1].mean, w[1].valid_hours), (Some(100.0), 7));
    hours[2] = None;
    let w: Vec<_> = o3_eight_hour_means(&hours).collect();
    assert_eq!((w[0].mean, w[0].valid_hours), (None, 5));
    assert_eq!((w[1].mean, w[1].valid_hours), (Some(100.0), 6));
}

#[test]
fn o3_daily_max_uses_the_17_windows_inside_the_day() {
    let mut hours = [Some(50.0); 24];
    assert_eq!(o3_eight_hour_means(&hours).count(), 17);
    // A peak over the hours ending 13:00–20:00 (slots 12..20).
    for h in &mut hours[12..20] {
        *h = Some(150.0);
    }
    let d = o3_daily_max_8h(&hours);
    assert_eq!((d.max, d.valid_windows), (Some(150.0), 17));
    // Knock out hours so that only the windows with ≥ 6 valid hours count.
    let mut sparse = [None; 24];
    for h in &mut sparse[0..6] {
        *h = Some(80.0);
    }
    let d = o3_daily_max_8h(&sparse);
    assert_eq!((d.max, d.valid_windows), (Some(80.0), 1));
    let d = o3_daily_max_8h(&[None; 24]);
    assert_eq!((d.max, d.valid_windows), (None, 0));
}

#[test]
fn annual_needs_324_days_and_27_per_month_25_in_february() {
    // 29 + 25 + 10 × 27 = 324: February's 25 is enough.
    let mut year = [27; 12];
    year[0] = 29;
    year[1] = 25;
    assert_eq!(annual_value_valid(&year), Ok(()));
    // 24 in February is not.
    year[1] = 24;
    year[0] = 30;
    assert_eq!(
        annual_value_valid(&year),
        Err(AnnualShortfall::TooFewInMonth {
            month: 2,
            days: 24,
            required: 25
        })
    );
    // 26 in April is not, whatever the total.
    let mut year = [31; 12];
    year[3] = 26;
    assert_eq!(
        annual_value_valid(&year),
        Err(AnnualShortfall::TooFewInMonth {
            month: 4,
            days: 26,
            required: 27
        })
    );
    year[3] = 27;
    assert_eq!(annual_value_valid(&year), Ok(()));
    // Every month at its minimum is only 322 days: too few for the year.
    let mut year = [27; 12];
    year[1] = 25;
    assert_eq!(
        annual_value_valid(&year),
        Err(AnnualShortfall::TooFewDays { days: 322 })
    );
    // 323 vs 324.
    year[0] = 28;
    assert_eq!(
        annual_value_valid(&year),
        Err(AnnualShortfall::TooFewDays { days: 323 })
    );
    year[6] = 28;
    assert_eq!(annual_value_valid(&year), Ok(()));
    assert_eq!(min_days_in_month(2), 25);
    assert_eq!(min_days_in_month(3), 27);
}

#[test]
fn annual_shortfall_reasons_in_chinese() {
    assert_eq!(
        AnnualShortfall::TooFewDays { days: 323 }.to_string(),
        "全年有效日均值 323 个，少于 324 个"
    );
    assert_eq!(
        AnnualShortfall::TooFewInMonth {
            month: 2,
            days: 24,
            required: 25
        }
        .to_string(),
        "2 月有效日均值 24 个，少于 25 个"
    );
}
