//! Merging one enterprise's source records into its identity, and finding conflicts.
//!
//! Rules:
//! - Per source, a field's value is the one of that source's most recently received record that
//!   has a value (ties: the smaller record key), so each source speaks once per field.
//! - The merged value is the value of the first source in the field's precedence (configured
//!   sources first, in their order; then the others in [`Source::ALL`] order) that has one.
//! - A field is in conflict when two sources' values disagree: text after
//!   [`normalise_text`] (whitespace removed, full-width ASCII folded, Latin letters upper-cased,
//!   so `武汉（光谷）` equals `武汉(光谷)`), coordinates when farther apart than the tolerance
//!   ([`distance_m`], haversine on a sphere of the WGS-84 mean radius).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::record::{Identity, Source};

/// Default distance within which two sources' coordinates agree, in metres.
pub const DEFAULT_TOLERANCE_M: f64 = 500.0;

/// Mean Earth radius (WGS-84), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// An identity field of an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// 企业名称
    Name,
    /// 地址
    Address,
    /// 法定代表人
    LegalRepresentative,
    /// 行业类别
    Industry,
    /// 经纬度
    Coordinates,
}

impl Field {
    /// Every field, in display order.
    pub const ALL: [Field; 5] = [
        Field::Name,
        Field::Address,
        Field::LegalRepresentative,
        Field::Industry,
        Field::Coordinates,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Address => "address",
            Field::LegalRepresentative => "legal_representative",
            Field::Industry => "industry",
            Field::Coordinates => "coordinates",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "企业名称",
            Field::Address => "地址",
            Field::LegalRepresentative => "法定代表人",
            Field::Industry => "行业类别",
            Field::Coordinates => "经纬度",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> crate::Result<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| crate::Error::invalid("field", format!("未知字段：{s}")))
    }

    /// The field's value in an identity.
    pub fn value_of(self, identity: &Identity) -> Option<Value> {
        let text = |v: &Option<String>| v.clone().map(Value::Text);
        match self {
            Field::Name => text(&identity.name),
            Field::Address => text(&identity.address),
            Field::LegalRepresentative => text(&identity.legal_representative),
            Field::Industry => text(&identity.industry),
            Field::Coordinates => identity.coordinates.map(Value::Point),
        }
    }
}

/// A point in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    /// 经度
    pub longitude: f64,
    /// 纬度
    pub latitude: f64,
}

/// A field's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Text fields.
    Text(String),
    /// Coordinates.
    Point(Coordinates),
}

impl Value {
    /// The value as text (coordinates as `longitude,latitude` with 6 decimals).
    pub fn display(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Point(p) => format!("{:.6},{:.6}", p.longitude, p.latitude),
        }
    }

    /// Whether two values agree (see the module rules).
    pub fn agrees(&self, other: &Value, tolerance_m: f64) -> bool {
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => normalise_text(a) == normalise_text(b),
            (Value::Point(a), Value::Point(b)) => distance_m(*a, *b) <= tolerance_m,
            _ => false,
        }
    }
}

/// Text as compared between sources: whitespace removed, full-width ASCII folded to
/// half-width (`（` → `(`), Latin letters upper-cased.
pub fn normalise_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match u32::from(c) {
            0xFF01..=0xFF5E => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Great-circle distance between two points, metres.
pub fn distance_m(a: Coordinates, b: Coordinates) -> f64 {
    let (la1, la2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.longitude - a.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Source order per field, as configured by an admin; unlisted sources rank after the listed
/// ones, in [`Source::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Precedence {
    /// Configured order per field.
    pub order: BTreeMap<Field, Vec<Source>>,
    /// Coordinate tolerance in metres ([`DEFAULT_TOLERANCE_M`] when unset).
    pub tolerance_m: Option<f64>,
}

impl Precedence {
    /// The full ranking of sources for a field.
    pub fn ranked(&self, field: Field) -> Vec<Source> {
        let mut out: Vec<Source> = self.order.get(&field).cloned().unwrap_or_default();
        for s in Source::ALL {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    /// The coordinate tolerance in metres.
    pub fn tolerance(&self) -> f64 {
        self.tolerance_m.unwrap_or(DEFAULT_TOLERANCE_M)
    }
}

/// One source record of the enterprise, as merge reads it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// Source.
    pub source: Source,
    /// The record's key in its source.
    pub key: &'a str,
    /// When its current content was received.
    pub received_at: DateTime<Utc>,
    /// Its identity fields.
    pub identity: &'a Identity,
}

/// What one source says about a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Source.
    pub source: Source,
    /// The record it comes from.
    pub record_key: String,
    /// The value.
    pub value: Value,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// A merged field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldOutcome {
    /// The field.
    pub field: Field,
    /// The winning candidate (None: no source has a value).
    pub winner: Option<Candidate>,
    /// One candidate per source that has a value, in precedence order.
    pub candidates: Vec<Candidate>,
    /// Whether sources disagree.
    pub conflict: bool,
}

/// The merged identity of one enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// One outcome per field, in [`Field::ALL`] order.
    pub fields: Vec<FieldOutcome>,
}

impl Merged {
    /// The outcome of a field.
    pub fn field(&self, f: Field) -> Option<&FieldOutcome> {
        self.fields.iter().find(|o| o.field == f)
    }

    /// The merged value of a field.
    pub fn value(&self, f: Field) -> Option<&Value> {
        self.field(f).and_then(|o| o.winner.as_ref()).map(|c| &c.value)
    }

    /// Fields in conflict.
    pub fn conflicts(&self) -> impl Iterator<Item = &FieldOutcome> {
        self.fields.iter().filter(|o| o.conflict)
    }
}

/// Merges the records of one enterprise (see the module rules).
pub fn merge(observations: &[Observation<'_>], precedence: &Precedence) -> Merged {
    let tolerance = precedence.tolerance();
    let fields = Field::ALL
        .into_iter()
        .map(|field| {
            // Per source, the latest record with a value.
            let mut per_source: BTreeMap<Source, (&Observation<'_>, Value)> = BTreeMap::new();
            for o in observations {
                let Some(v) = field.value_of(o.identity) else {
                    continue;
                };
                let newer = match per_source.get(&o.source) {
                    None => true,
                    Some((best, _)) => {
                        (o.received_at, std::cmp::Reverse(o.key)) > (best.received_at, std::cmp::Reverse(best.key))
                    }
                };
                if newer {
                    per_source.insert(o.source, (o, v));
                }
            }
            let candidates: Vec<Candidate> = precedence
                .ranked(field)
                .into_iter()
                .filter_map(|s| per_source.get(&s))
                .map(|(o, v)| Candidate {
                    source: o.source,
                    record_key: o.key.to_owned(),
                    value: v.clone(),
                    received_at: o.received_at,
                })
                .collect();
            let conflict = candidates.iter().enumerate().any(|(i, a)| {
                candidates
                    .iter()
                    .skip(i + 1)
                    .any(|b| !a.value.agrees(&b.value, tolerance))
            });
            FieldOutcome {
                field,
                winner: candidates.first().cloned(),
                candidates,
                conflict,
            }
        })
        .collect();
    Merged { fields }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).single().unwrap_or_default()
    }

    fn id(name: &str, lon: f64, lat: f64) -> Identity {
        Identity {
            name: Some(name.into()),
            address: None,
            legal_representative: None,
            industry: None,
            coordinates: Some(Coordinates {
                longitude: lon,
                latitude: lat,
            }),
        }
    }

    #[test]
    fn distance_matches_a_known_pair() {
        // One degree of latitude is about 111.2 km.
        let d = distance_m(
            Coordinates {
                longitude: 114.3,
                latitude: 30.0,
            },
            Coordinates {
                longitude: 114.3,
                latitude: 31.0,
            },
        );
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        let p = Coordinates {
            longitude: 114.305,
            latitude: 30.593,
        };
        assert_eq!(distance_m(p, p), 0.0);
    }

    #[test]
    fn normalisation_folds_width_space_and_case() {
        assert_eq!(normalise_text(" 武汉（光谷） abc "), normalise_text("武汉(光谷)ABC"));
        assert_ne!(normalise_text("武汉钢铁"), normalise_text("武汉钢材"));
    }

    #[test]
    fn precedence_picks_the_winner_and_conflicts_are_found() {
        let permit = id("武汉甲化工有限公司", 114.30, 30.60);
        let eia = id("武汉甲化工有限责任公司", 114.3001, 30.6001);
        let obs = [
            Observation {
                source: Source::Permit,
                key: "p1",
                received_at: at(1),
                identity: &permit,
            },
            Observation {
                source: Source::EiaApproval,
                key: "e1",
                received_at: at(2),
                identity: &eia,
            },
        ];
        let m = merge(&obs, &Precedence::default());
        assert_eq!(m.value(Field::Name), Some(&Value::Text("武汉甲化工有限公司".into())));
        assert!(m.field(Field::Name).is_some_and(|f| f.conflict));
        // 14 m apart: within the default tolerance.
        assert!(m.field(Field::Coordinates).is_some_and(|f| !f.conflict));
        let mut p = Precedence::default();
        p.order.insert(Field::Name, vec![Source::EiaApproval]);
        let m = merge(&obs, &p);
        assert_eq!(
            m.value(Field::Name),
            Some(&Value::Text("武汉甲化工有限责任公司".into()))
        );
        assert_eq!(
            m.field(Field::Name)
                .map(|f| f.candidates.iter().map(|c| c.source).collect::<Vec<_>>()),
            Some(vec![Source::EiaApproval, Source::Permit])
        );
        p.tolerance_m = Some(5.0);
        assert!(merge(&obs, &p).field(Field::Coordinates).is_some_and(|f| f.conflict));
    }

    #[test]
    fn a_source_speaks_once_per_field_with_its_latest_record() {
        let old = id("旧名称", 114.0, 30.0);
        let new = id("新名称", 114.0, 30.0);
        let obs = [
            Observation {
                source: Source::Permit,
                key: "p1",
                received_at: at(1),
                identity: &old,
            },
            Observation {
                source: Source::Permit,
                key: "p2",
                received_at: at(3),
                identity: &new,
            },
        ];
        let m = merge(&obs, &Precedence::default());
        assert_eq!(m.value(Field::Name), Some(&Value::Text("新名称".into())));
        assert!(m.conflicts().next().is_none());
        assert_eq!(m.value(Field::Address), None);
    }

    #[test]
    fn ranking_appends_unlisted_sources() {
        let mut p = Precedence::default();
        p.order
            .insert(Field::Address, vec![Source::Enforcement, Source::Permit]);
        let r = p.ranked(Field::Address);
        assert_eq!(r.len(), Source::ALL.len());
        assert_eq!(r.first(), Some(&Source::Enforcement));
        assert_eq!(r.get(1), Some(&Source::Permit));
    }
}
