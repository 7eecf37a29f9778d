//! The six AQI pollutants, their averaging periods, checked concentrations and sets of pollutants.
//!
//! Everything here is `Copy` and allocation-free: a [`PollutantSet`] is a bit set whose
//! iteration order is the order of HJ 633 table 1 (SO2, NO2, PM10, CO, O3, PM2.5), which is also
//! the stable order in which tied primary pollutants are listed.

use std::fmt;

/// One of the six pollutants that enter the AQI, in HJ 633 table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pollutant {
    /// Sulphur dioxide, µg/m³.
    So2,
    /// Nitrogen dioxide, µg/m³.
    No2,
    /// Particulate matter ≤ 10 µm, µg/m³.
    Pm10,
    /// Carbon monoxide, **mg/m³**.
    Co,
    /// Ozone, µg/m³.
    O3,
    /// Particulate matter ≤ 2.5 µm, µg/m³.
    Pm25,
}

impl Pollutant {
    /// All six, in HJ 633 table order.
    pub const ALL: [Pollutant; 6] = [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Pm10,
        Pollutant::Co,
        Pollutant::O3,
        Pollutant::Pm25,
    ];

    /// Position in [`Pollutant::ALL`], used to index per-pollutant arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The code used in published reports (`SO2`, `NO2`, `PM10`, `CO`, `O3`, `PM2.5`).
    pub const fn code(self) -> &'static str {
        match self {
            Pollutant::So2 => "SO2",
            Pollutant::No2 => "NO2",
            Pollutant::Pm10 => "PM10",
            Pollutant::Co => "CO",
            Pollutant::O3 => "O3",
            Pollutant::Pm25 => "PM2.5",
        }
    }

    /// The Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Pollutant::So2 => "二氧化硫",
            Pollutant::No2 => "二氧化氮",
            Pollutant::Pm10 => "颗粒物(PM10)",
            Pollutant::Co => "一氧化碳",
            Pollutant::O3 => "臭氧",
            Pollutant::Pm25 => "颗粒物(PM2.5)",
        }
    }

    /// Reads one pollutant name as stations report it.
    ///
    /// Accepts the codes (any ASCII case, Unicode subscripts such as `PM₂.₅`, full-width
    /// letters and brackets), `PM25`/`PM2_5`, the ozone variants `O3_1h`/`O3_8h`/`O3-8H`
    /// (the averaging period is not compared, only the pollutant) and the Chinese names
    /// (`二氧化硫`, `细颗粒物`, `臭氧8小时`, …). Returns `None` for anything else.
    pub fn parse_reported(text: &str) -> Option<Pollutant> {
        const NAMES: &[(&str, Pollutant)] = &[
            ("so2", Pollutant::So2),
            ("二氧化硫", Pollutant::So2),
            ("no2", Pollutant::No2),
            ("二氧化氮", Pollutant::No2),
            ("pm10", Pollutant::Pm10),
            ("颗粒物(pm10)", Pollutant::Pm10),
            ("可吸入颗粒物", Pollutant::Pm10),
            ("可吸入颗粒物(pm10)", Pollutant::Pm10),
            ("co", Pollutant::Co),
            ("一氧化碳", Pollutant::Co),
            ("o3", Pollutant::O3),
            ("o31h", Pollutant::O3),
            ("o38h", Pollutant::O3),
            ("臭氧", Pollutant::O3),
            ("臭氧1小时", Pollutant::O3),
            ("臭氧8小时", Pollutant::O3),
            ("臭氧(o3)", Pollutant::O3),
            ("pm2.5", Pollutant::Pm25),
            ("pm25", Pollutant::Pm25),
            ("颗粒物(pm2.5)", Pollutant::Pm25),
            ("细颗粒物", Pollutant::Pm25),
            ("细颗粒物(pm2.5)", Pollutant::Pm25),
        ];
        NAMES
            .iter()
            .find(|(name, _)| normalized(text).eq(name.chars()))
            .map(|&(_, p)| p)
    }
}

/// Folds the spellings stations use onto one: ASCII lower case, subscripts and full-width forms
/// to ASCII, and separators inside a name (`_`, `-`, spaces) dropped. No allocation.
fn normalized(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter_map(|c| {
        let c = match c {
            '₀'..='₉' => char::from_digit(c as u32 - '₀' as u32, 10)?,
            // Full-width ASCII block (！..～, including （）．) maps onto ASCII by a fixed offset.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0)?,
            _ => c,
        };
        match c {
            '_' | '-' | ' ' | '\u{3000}' | '\t' => None,
            _ => Some(c.to_ascii_lowercase()),
        }
    })
}

impl fmt::Display for Pollutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A pollutant with the averaging period of one HJ 633 breakpoint table.
///
/// There are ten tables: SO2, NO2 and CO have a 24-hour and a 1-hour table, O3 a 1-hour and an
/// 8-hour table, PM10 and PM2.5 only a 24-hour table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[expect(
    non_camel_case_types,
    reason = "variants spell the standard's codes, e.g. CO_24h, O3_8h"
)]
pub enum Metric {
    /// SO2 24-hour mean.
    So2_24h,
    /// SO2 1-hour mean (table stops at 800 µg/m³; above it the 24-hour table applies).
    So2_1h,
    /// NO2 24-hour mean.
    No2_24h,
    /// NO2 1-hour mean.
    No2_1h,
    /// PM10 24-hour mean.
    Pm10_24h,
    /// CO 24-hour mean (mg/m³).
    Co_24h,
    /// CO 1-hour mean (mg/m³).
    Co_1h,
    /// O3 1-hour mean.
    O3_1h,
    /// O3 8-hour moving mean (table stops at 800 µg/m³; above it the 1-hour table applies).
    O3_8h,
    /// PM2.5 24-hour mean.
    Pm25_24h,
}

impl Metric {
    /// All ten tables.
    pub const ALL: [Metric; 10] = [
        Metric::So2_24h,
        Metric::So2_1h,
        Metric::No2_24h,
        Metric::No2_1h,
        Metric::Pm10_24h,
        Metric::Co_24h,
        Metric::Co_1h,
        Metric::O3_1h,
        Metric::O3_8h,
        Metric::Pm25_24h,
    ];

    /// The pollutant measured.
    pub const fn pollutant(self) -> Pollutant {
        match self {
            Metric::So2_24h | Metric::So2_1h => Pollutant::So2,
            Metric::No2_24h | Metric::No2_1h => Pollutant::No2,
            Metric::Pm10_24h => Pollutant::Pm10,
            Metric::Co_24h | Metric::Co_1h => Pollutant::Co,
            Metric::O3_1h | Metric::O3_8h => Pollutant::O3,
            Metric::Pm25_24h => Pollutant::Pm25,
        }
    }

    /// A short code such as `SO2_1h`, `O3_8h`, `PM2.5_24h`.
    pub const fn code(self) -> &'static str {
        match self {
            Metric::So2_24h => "SO2_24h",
            Metric::So2_1h => "SO2_1h",
            Metric::No2_24h => "NO2_24h",
            Metric::No2_1h => "NO2_1h",
            Metric::Pm10_24h => "PM10_24h",
            Metric::Co_24h => "CO_24h",
            Metric::Co_1h => "CO_1h",
            Metric::O3_1h => "O3_1h",
            Metric::O3_8h => "O3_8h",
            Metric::Pm25_24h => "PM2.5_24h",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A concentration that can enter an IAQI: finite and not negative.
///
/// Units are those of the tables: µg/m³, except CO in mg/m³. The value is taken as reported;
/// no rounding of concentrations is applied here.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Concentration(f64);

impl Concentration {
    /// Checks a raw value: `None` for NaN, infinities and negative numbers.
    #[inline]
    pub fn new(value: f64) -> Option<Concentration> {
        (value.is_finite() && value >= 0.0).then_some(Concentration(value))
    }

    /// The value in the table's unit.
    #[inline]
    pub const fn value(self) -> f64 {
        self.0
    }
}

/// A set of pollutants, iterated in HJ 633 table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PollutantSet(u8);

impl PollutantSet {
    /// The empty set.
    pub const EMPTY: PollutantSet = PollutantSet(0);

    /// Adds a pollutant.
    #[inline]
    pub fn insert(&mut self, p: Pollutant) {
        self.0 |= 1 << p.index();
    }

    /// Whether the set holds `p`.
    #[inline]
    pub const fn contains(self, p: Pollutant) -> bool {
        self.0 & (1 << p.index()) != 0
    }

    /// Whether the set is empty.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of pollutants in the set.
    #[inline]
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The pollutants in HJ 633 table order.
    pub fn iter(self) -> impl Iterator<Item = Pollutant> {
        Pollutant::ALL.into_iter().filter(move |&p| self.contains(p))
    }
}

impl FromIterator<Pollutant> for PollutantSet {
    fn from_iter<I: IntoIterator<Item = Pollutant>>(iter: I) -> Self {
        let mut set = PollutantSet::EMPTY;
        for p in iter {
            set.insert(p);
        }
        set
    }
}

/// Codes joined by `、` in table order; `—` for the empty set (HJ 633 prints “—” when there is no
/// primary pollutant).
impl fmt::Display for PollutantSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("—");
        }
        for (i, p) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("、")?;
            }
            f.write_str(p.code())?;
        }
        Ok(())
    }
}

/// One value per pollutant, indexed by [`Pollutant`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PerPollutant<T>(pub [T; 6]);

impl<T: Copy> PerPollutant<T> {
    /// The value for `p`.
    #[inline]
    pub fn get(&self, p: Pollutant) -> T {
        self.0[p.index()]
    }

    /// Sets the value for `p`.
    #[inline]
    pub fn set(&mut self, p: Pollutant, value: T) {
        self.0[p.index()] = value;
    }
}
