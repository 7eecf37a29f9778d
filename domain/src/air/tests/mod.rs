//! Tests of the air-quality rules, one module per submodule. Expected values are transcribed
//! from the standards file again here, not read from the tables under test.

mod aqi;
mod breakpoints;
mod consistency;
mod validity;

use super::pollutant::Concentration;

/// A concentration in tests (panics on an invalid literal).
fn c(v: f64) -> Concentration {
    match Concentration::new(v) {
        Some(c) => c,
        None => panic!("invalid test concentration {v}"),
    }
}

fn some(v: f64) -> Option<Concentration> {
    Some(c(v))
}
