//! The quality rules the demo seeds on its six datasets: generic checks (nulls, ranges, code
//! validators, keys, references) and, where a check is specific to the data, an
//! administrator's read-only query. Each rule names what it should find in the demo source so
//! the tests can tell that every planted defect is found on the first scheduled run and that
//! the rules with nothing to find pass.

use ecogov_domain::quality::rule::{RuleKind, Severity};
use serde_json::{Value, json};

use crate::demo_source::defects;

/// What a demo rule finds in the demo source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finds {
    /// The failing rows of the planted defect at this index of [`defects`].
    Defect(usize),
    /// This many failing rows (a defect counted differently, e.g. one stopped station for its
    /// 72 missing hours).
    Rows(u32),
}

/// One demo rule.
#[derive(Debug, Clone)]
pub struct DemoRule {
    /// Catalog resource code.
    pub resource: &'static str,
    /// Rule code.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Definition (JSON form of [`RuleKind`]).
    pub check: Value,
    /// What it finds.
    pub finds: Finds,
}

impl DemoRule {
    /// The definition.
    ///
    /// # Errors
    /// When the JSON is not a rule (a bug in this file; the tests parse every one).
    pub fn kind(&self) -> Result<RuleKind, serde_json::Error> {
        serde_json::from_value(self.check.clone())
    }

    /// Failing rows expected in the demo source.
    pub fn expected_failing(&self) -> u32 {
        match self.finds {
            Finds::Defect(i) => defects().get(i).map_or(0, |d| d.rows),
            Finds::Rows(n) => n,
        }
    }

    /// Whether it needs an administrator (custom SQL).
    pub fn is_custom(&self) -> bool {
        self.check["kind"] == "custom_sql"
    }
}

fn r(resource: &'static str, code: &'static str, severity: Severity, check: Value, finds: Finds) -> DemoRule {
    DemoRule {
        resource,
        code,
        severity,
        check,
        finds,
    }
}

/// The demo rules, in the order of [`defects`], then the ones that find nothing.
pub fn rules() -> Vec<DemoRule> {
    use Finds::{Defect, Rows};
    use Severity::{High, Low, Medium};
    const AIR: &str = "WH-AIR-HOURLY";
    const WATER: &str = "WH-WATER-MONTHLY";
    const ENT: &str = "WH-ENTERPRISE";
    const PERMIT: &str = "WH-DISCHARGE-PERMIT";
    const MET: &str = "WH-MET-HOURLY";
    const CASES: &str = "WH-ENFORCEMENT-CASE";
    let range = |column: &str, min: Option<f64>, max: Option<f64>| json!({"kind": "validity", "column": column, "check": "range", "min": min, "max": max});
    let sql = |sql: &str| json!({"kind": "custom_sql", "sql": sql});
    vec![
        r(
            AIR,
            "pm25-null",
            High,
            json!({"kind": "completeness", "column": "pm25"}),
            Defect(0),
        ),
        r(
            AIR,
            "pm25-range",
            High,
            range("pm25", Some(0.0), Some(1000.0)),
            Defect(1),
        ),
        r(
            AIR,
            "station-stopped",
            High,
            sql(
                "SELECT station_code, MAX(observed_at) AS last_observed_at FROM air_station_hourly \
                 GROUP BY station_code HAVING MAX(observed_at) < datetime(:run_time, '-3 hours')",
            ),
            Rows(1),
        ),
        r(
            AIR,
            "station-hour-unique",
            Medium,
            json!({"kind": "uniqueness", "columns": ["station_code", "observed_at"]}),
            Defect(3),
        ),
        r(
            WATER,
            "nh3n-range",
            Medium,
            range("ammonia_nitrogen", Some(0.0), None),
            Defect(4),
        ),
        r(WATER, "ph-range", Medium, range("ph", Some(0.0), Some(14.0)), Defect(5)),
        r(
            ENT,
            "credit-code-check",
            Medium,
            json!({"kind": "validity", "column": "credit_code", "check": "credit_code"}),
            Defect(6),
        ),
        r(
            ENT,
            "address-blank",
            Low,
            json!({"kind": "completeness", "column": "address"}),
            Defect(7),
        ),
        r(
            ENT,
            "credit-code-unique",
            High,
            json!({"kind": "uniqueness", "columns": ["credit_code"]}),
            Defect(8),
        ),
        r(
            ENT,
            "mobile-format",
            Low,
            json!({"kind": "validity", "column": "contact_phone", "check": "regex", "pattern": "^1[3-9][0-9]{9}$"}),
            Defect(9),
        ),
        r(
            PERMIT,
            "permit-no-format",
            High,
            json!({"kind": "validity", "column": "permit_no", "check": "permit_number", "letters": ["P", "V", "U", "W", "Q", "X", "Y", "Z"]}),
            Defect(10),
        ),
        r(
            PERMIT,
            "permit-expired",
            High,
            sql("SELECT permit_no, holder_name, valid_to FROM discharge_permit WHERE valid_to < :run_date"),
            Defect(11),
        ),
        r(
            PERMIT,
            "permit-renewal-due",
            Medium,
            sql("SELECT permit_no, holder_name, valid_to FROM discharge_permit \
                 WHERE valid_to >= :run_date AND valid_to <= date(:run_date, '+60 days')"),
            Defect(12),
        ),
        r(
            PERMIT,
            "holder-registered",
            Medium,
            json!({"kind": "referential", "column": "credit_code", "target": {"schema": null, "name": "enterprise"}, "target_column": "credit_code"}),
            Defect(13),
        ),
        r(
            MET,
            "dew-point-above-temperature",
            High,
            sql("SELECT station_id, observed_at, temperature, dew_point FROM met_hourly WHERE dew_point > temperature"),
            Defect(14),
        ),
        r(
            MET,
            "rh-range",
            Medium,
            range("relative_humidity", Some(0.0), Some(100.0)),
            Defect(15),
        ),
        r(
            MET,
            "hours-missing",
            Medium,
            sql("WITH RECURSIVE h(t) AS (SELECT MIN(observed_at) FROM met_hourly \
                 UNION ALL SELECT datetime(t, '+1 hour') FROM h WHERE t < (SELECT MAX(observed_at) FROM met_hourly)), \
                 s AS (SELECT DISTINCT station_id FROM met_hourly) \
                 SELECT s.station_id, h.t AS missing_hour FROM s CROSS JOIN h \
                 WHERE NOT EXISTS (SELECT 1 FROM met_hourly m WHERE m.station_id = s.station_id AND m.observed_at = h.t)"),
            Defect(16),
        ),
        r(
            MET,
            "temperature-stuck",
            Medium,
            sql("WITH o AS (SELECT station_id, observed_at, temperature, \
                 ROW_NUMBER() OVER (PARTITION BY station_id ORDER BY observed_at) \
                 - ROW_NUMBER() OVER (PARTITION BY station_id, temperature ORDER BY observed_at) AS grp \
                 FROM met_hourly WHERE temperature IS NOT NULL), \
                 r AS (SELECT station_id, temperature, grp FROM o GROUP BY station_id, temperature, grp HAVING COUNT(*) >= 4) \
                 SELECT o.station_id, o.observed_at, o.temperature FROM o JOIN r \
                 ON r.station_id = o.station_id AND r.temperature = o.temperature AND r.grp = o.grp"),
            Defect(17),
        ),
        r(
            MET,
            "calm-with-direction",
            Low,
            sql(
                "SELECT station_id, observed_at, wind_speed, wind_direction FROM met_hourly \
                 WHERE wind_speed < 0.3 AND wind_direction <> 0",
            ),
            Defect(18),
        ),
        r(
            CASES,
            "party-registered",
            Medium,
            json!({"kind": "referential", "column": "credit_code", "target": {"schema": null, "name": "enterprise"}, "target_column": "credit_code"}),
            Defect(19),
        ),
        r(
            CASES,
            "penalty-range",
            Medium,
            range("penalty_amount", Some(0.0), None),
            Defect(20),
        ),
        // The planted drift: pm25 is required in the catalog, nullable in the table.
        r(AIR, "schema-matches", Medium, json!({"kind": "schema"}), Rows(1)),
        // Nothing to find: these pass.
        r(
            AIR,
            "fresh",
            High,
            json!({"kind": "timeliness", "column": "observed_at", "cycle": {"hours": 2}}),
            Rows(0),
        ),
        r(
            AIR,
            "flag-hj212",
            Medium,
            json!({"kind": "validity", "column": "quality_flag", "check": "hj212_flag"}),
            Rows(0),
        ),
        r(
            MET,
            "station-null",
            Medium,
            json!({"kind": "completeness", "column": "station_id"}),
            Rows(0),
        ),
    ]
}
