//! Data validity (GB 3095-2026 table 4) and the O3 8-hour moving mean.
//!
//! The thresholds (standards file, “Validity”): an hourly value needs ≥ 45 minutes of sampling;
//! a daily value ≥ 20 hourly values; an O3 8-hour value ≥ 6 hourly values; an annual value
//! ≥ 324 daily values and ≥ 27 in every month (≥ 25 in February, leap year or not). The same
//! thresholds stood in GB 3095-2012, so they apply to data of both editions.
//!
//! Hourly series are slices of `Option<f64>`, one slot per hour in time order, `None` for a
//! missing or invalid hour (decided with [`hourly_value_valid`] upstream). Nothing here
//! allocates.

/// Minimum sampling minutes for a valid hourly value.
pub const MIN_SAMPLING_MINUTES_PER_HOUR: u32 = 45;
/// Minimum hourly values for a valid daily value.
pub const MIN_HOURS_PER_DAY: usize = 20;
/// Minimum hourly values for a valid O3 8-hour value.
pub const MIN_HOURS_PER_8H: usize = 6;
/// Minimum daily values for a valid annual value.
pub const MIN_DAYS_PER_YEAR: u32 = 324;
/// Minimum daily values in each month except February for a valid annual value.
pub const MIN_DAYS_PER_MONTH: u32 = 27;
/// Minimum daily values in February for a valid annual value.
pub const MIN_DAYS_IN_FEBRUARY: u32 = 25;

/// Whether an hour with `sampling_minutes` of sampling gives a valid hourly value (≥ 45).
#[inline]
pub const fn hourly_value_valid(sampling_minutes: u32) -> bool {
    sampling_minutes >= MIN_SAMPLING_MINUTES_PER_HOUR
}

/// Whether a day with `hourly_values` valid hours gives a valid daily value (≥ 20).
#[inline]
pub const fn daily_value_valid(hourly_values: usize) -> bool {
    hourly_values >= MIN_HOURS_PER_DAY
}

/// Whether an 8-hour window with `hourly_values` valid hours gives a valid O3 8-hour value (≥ 6).
#[inline]
pub const fn eight_hour_value_valid(hourly_values: usize) -> bool {
    hourly_values >= MIN_HOURS_PER_8H
}

/// The minimum daily values required in `month` (1–12) for a valid annual value.
#[inline]
pub const fn min_days_in_month(month: u32) -> u32 {
    if month == 2 {
        MIN_DAYS_IN_FEBRUARY
    } else {
        MIN_DAYS_PER_MONTH
    }
}

/// Why a year of daily values does not give a valid annual value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnualShortfall {
    /// Fewer than 324 daily values in the year.
    TooFewDays {
        /// Daily values in the year.
        days: u32,
    },
    /// Too few daily values in one month (the first such month).
    TooFewInMonth {
        /// Month, 1–12.
        month: u32,
        /// Daily values in that month.
        days: u32,
        /// Required: 27, or 25 in February.
        required: u32,
    },
}

impl std::fmt::Display for AnnualShortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            AnnualShortfall::TooFewDays { days } => {
                write!(f, "全年有效日均值 {days} 个，少于 {MIN_DAYS_PER_YEAR} 个")
            }
            AnnualShortfall::TooFewInMonth { month, days, required } => {
                write!(f, "{month} 月有效日均值 {days} 个，少于 {required} 个")
            }
        }
    }
}

/// Checks a year's count of valid daily values per month (index 0 = January).
///
/// The yearly total is checked first, then the months in calendar order.
pub fn annual_value_valid(daily_values_per_month: &[u32; 12]) -> Result<(), AnnualShortfall> {
    let days: u32 = daily_values_per_month.iter().sum();
    if days < MIN_DAYS_PER_YEAR {
        return Err(AnnualShortfall::TooFewDays { days });
    }
    for (month, &days) in (1..).zip(daily_values_per_month) {
        let required = min_days_in_month(month);
        if days < required {
            return Err(AnnualShortfall::TooFewInMonth { month, days, required });
        }
    }
    Ok(())
}

/// A mean over some hours with the number of valid hours that entered it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowMean {
    /// The mean of the valid hours, `None` when the window is not valid.
    pub mean: Option<f64>,
    /// Valid hours in the window.
    pub valid_hours: usize,
}

/// Mean of the present values and their count; the mean is `None` when there are none.
#[inline]
fn mean_of(hours: &[Option<f64>]) -> (Option<f64>, usize) {
    let (sum, n) = hours
        .iter()
        .flatten()
        .fold((0.0_f64, 0_usize), |(s, n), &v| (s + v, n + 1));
    #[expect(clippy::cast_precision_loss, reason = "at most 24 hours")]
    let mean = (n > 0).then(|| sum / n as f64);
    (mean, n)
}

/// The daily (24-hour) mean of a day's hourly values, valid with ≥ 20 of them.
pub fn daily_mean(hours: &[Option<f64>; 24]) -> WindowMean {
    let (mean, valid_hours) = mean_of(hours);
    WindowMean {
        mean: mean.filter(|_| daily_value_valid(valid_hours)),
        valid_hours,
    }
}

/// The O3 8-hour moving means of an hourly series (HJ 663: the mean of the current hour and
/// the 7 before it).
///
/// Yields one value per hour from the 8th slot on: item `k` is the window
/// `hours[k..k + 8]`, labelled by its last hour `k + 7`. A window is valid with ≥ 6 valid hours.
/// To get the 8-hour values of a day's first hours, start the slice 7 hours earlier.
pub fn o3_eight_hour_means(hours: &[Option<f64>]) -> impl Iterator<Item = WindowMean> + '_ {
    hours.windows(8).map(|w| {
        let (mean, valid_hours) = mean_of(w);
        WindowMean {
            mean: mean.filter(|_| eight_hour_value_valid(valid_hours)),
            valid_hours,
        }
    })
}

/// The O3 daily maximum 8-hour mean of one day and how many valid 8-hour windows it was taken
/// from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyMax8h {
    /// The maximum over the valid windows, `None` when none is valid.
    pub max: Option<f64>,
    /// Valid 8-hour windows among the 17.
    pub valid_windows: usize,
}

/// The O3 daily maximum 8-hour mean from a day's 24 hourly values.
///
/// Slot `i` holds the hour ending at `i + 1` o'clock (Chinese hour labelling, 01:00 … 24:00).
/// The 17 windows ending 08:00 … 24:00 lie wholly inside the day, following HJ 663-2013's
/// definition (8 时至 24 时的 8 小时滑动平均). HJ 663 also asks for at least 14 valid windows
/// for the daily value; that rule is not in the standards file, so it is not enforced here:
/// `valid_windows` lets the caller apply it.
pub fn o3_daily_max_8h(hours: &[Option<f64>; 24]) -> DailyMax8h {
    o3_eight_hour_means(hours).fold(
        DailyMax8h {
            max: None,
            valid_windows: 0,
        },
        |acc, w| match w.mean {
            Some(m) => DailyMax8h {
                max: Some(acc.max.map_or(m, |a| a.max(m))),
                valid_windows: acc.valid_windows + 1,
            },
            None => acc,
        },
    )
}
