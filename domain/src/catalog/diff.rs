//! Field-level differences between two catalog versions.
//!
//! A version is a snapshot of a resource and its fields. The diff names every changed
//! attribute by a path: `resource.<attribute>`, `fields.<name>` (a field added or removed) or
//! `fields.<name>.<attribute>`, with the values before and after.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{FieldDraft, ResourceDraft};

/// A resource and its fields as stored in one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Snapshot {
    /// The resource's metadata.
    pub resource: ResourceDraft,
    /// Its fields, in order.
    pub fields: Vec<FieldDraft>,
}

/// One changed attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `resource.name`, `fields.pm25`, `fields.pm25.unit`...
    pub path: String,
    /// Value before (None when added).
    pub before: Option<Value>,
    /// Value after (None when removed).
    pub after: Option<Value>,
}

fn object(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn diff_objects(prefix: &str, a: Value, b: Value, out: &mut Vec<FieldChange>) {
    let (a, b) = (object(a), object(b));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (x, y) = (a.get(k), b.get(k));
        if x != y {
            out.push(FieldChange {
                path: format!("{prefix}.{k}"),
                before: x.cloned(),
                after: y.cloned(),
            });
        }
    }
}

/// Every difference from `a` to `b`, resource attributes first, then fields in `b`'s order,
/// then removed fields.
pub fn diff(a: &Snapshot, b: &Snapshot) -> Vec<FieldChange> {
    let mut out = Vec::new();
    diff_objects(
        "resource",
        serde_json::to_value(&a.resource).unwrap_or_default(),
        serde_json::to_value(&b.resource).unwrap_or_default(),
        &mut out,
    );
    let key = |f: &FieldDraft| f.name.to_lowercase();
    for f in &b.fields {
        match a.fields.iter().find(|x| key(x) == key(f)) {
            Some(old) => diff_objects(
                &format!("fields.{}", f.name),
                serde_json::to_value(old).unwrap_or_default(),
                serde_json::to_value(f).unwrap_or_default(),
                &mut out,
            ),
            None => out.push(FieldChange {
                path: format!("fields.{}", f.name),
                before: None,
                after: serde_json::to_value(f).ok(),
            }),
        }
    }
    for f in &a.fields {
        if !b.fields.iter().any(|x| key(x) == key(f)) {
            out.push(FieldChange {
                path: format!("fields.{}", f.name),
                before: serde_json::to_value(f).ok(),
                after: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_changed_attribute() {
        let f = |name: &str, unit: &str| FieldDraft {
            name: name.into(),
            cn_name: name.into(),
            unit: unit.into(),
            ..Default::default()
        };
        let a = Snapshot {
            resource: ResourceDraft {
                code: "R1".into(),
                name: "空气".into(),
                ..Default::default()
            },
            fields: vec![f("pm25", "μg/m³"), f("so2", "μg/m³")],
        };
        let b = Snapshot {
            resource: ResourceDraft {
                code: "R1".into(),
                name: "空气质量".into(),
                ..Default::default()
            },
            fields: vec![f("pm25", "mg/m³"), f("no2", "μg/m³")],
        };
        let d = diff(&a, &b);
        let paths: Vec<&str> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            vec!["resource.name", "fields.pm25.unit", "fields.no2", "fields.so2"]
        );
        assert_eq!(d[0].before, Some(Value::String("空气".into())));
        assert!(d[2].before.is_none() && d[3].after.is_none());
        assert!(diff(&a, &a).is_empty());
    }
}
