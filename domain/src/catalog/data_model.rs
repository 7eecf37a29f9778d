//! Data models (数据模型): catalog resources arranged in entity groups (实体分组), each with
//! one of its bound tables, and relations between the fields of those resources.
//!
//! A [`ModelDraft`] is checked against what the catalog says now ([`ResourceFacts`]): every
//! entity's resource exists and has the table bound, every relation endpoint is a field of a
//! resource in the model, and no relation is entered twice (in either direction). The catalog
//! keeps changing after a model is saved, so [`dangling`] recomputes, on every read, which
//! relations and entities no longer match it (a field removed by a later version, a table no
//! longer bound): a model never breaks silently.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::Problem;

/// At most this many entities in a model.
pub const MAX_ENTITIES: usize = 200;
/// At most this many relations in a model.
pub const MAX_RELATIONS: usize = 500;

/// How many rows on each side of a relation (关系基数).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cardinality {
    /// 一对一
    OneToOne,
    /// 一对多
    OneToMany,
    /// 多对一
    ManyToOne,
    /// 多对多
    ManyToMany,
}

impl Cardinality {
    /// Every value.
    pub const ALL: [Cardinality; 4] = [
        Cardinality::OneToOne,
        Cardinality::OneToMany,
        Cardinality::ManyToOne,
        Cardinality::ManyToMany,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Cardinality::OneToOne => "one_to_one",
            Cardinality::OneToMany => "one_to_many",
            Cardinality::ManyToOne => "many_to_one",
            Cardinality::ManyToMany => "many_to_many",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Cardinality::OneToOne => "一对一",
            Cardinality::OneToMany => "一对多",
            Cardinality::ManyToOne => "多对一",
            Cardinality::ManyToMany => "多对多",
        }
    }

    /// Parses an identifier or a Chinese label.
    pub fn parse_any(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|c| c.as_str() == s || c.label() == s)
    }
}

impl fmt::Display for Cardinality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One entity of a model: a resource's bound table in a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityDraft {
    /// 实体分组 name.
    pub group: String,
    /// Catalog resource id.
    pub resource_id: i64,
    /// One of the resource's bound tables (`data_source_code.table`).
    pub table: String,
}

/// One relation between two fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationDraft {
    /// Resource of the first endpoint.
    pub from_resource_id: i64,
    /// Field (column) name of the first endpoint.
    pub from_field: String,
    /// Resource of the second endpoint.
    pub to_resource_id: i64,
    /// Field name of the second endpoint.
    pub to_field: String,
    /// 关系基数, read from the first endpoint to the second.
    pub cardinality: Cardinality,
    /// 说明.
    pub description: String,
}

/// A whole model as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelDraft {
    /// Code, unique: 1-64 of `[A-Za-z0-9_.-]`.
    pub code: String,
    /// 名称.
    pub name: String,
    /// 说明.
    pub description: String,
    /// Entities, in order.
    pub entities: Vec<EntityDraft>,
    /// Relations, in order.
    pub relations: Vec<RelationDraft>,
}

/// What the catalog says about one resource now.
#[derive(Debug, Clone, Default)]
pub struct ResourceFacts {
    /// Resource code.
    pub code: String,
    /// Bound tables.
    pub tables: Vec<String>,
    /// Field names, as the catalog spells them.
    pub fields: Vec<String>,
}

impl ResourceFacts {
    /// The catalog's spelling of a field name (names compare case-insensitively).
    pub fn field(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        self.fields
            .iter()
            .find(|f| f.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

fn code_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

impl ModelDraft {
    /// Trims the text a person typed; field names take the catalog's spelling when known.
    pub fn normalise(mut self, facts: &HashMap<i64, ResourceFacts>) -> Self {
        self.code = self.code.trim().to_owned();
        self.name = self.name.trim().to_owned();
        self.description = self.description.trim().to_owned();
        for e in &mut self.entities {
            e.group = e.group.trim().to_owned();
            e.table = e.table.trim().to_owned();
        }
        for r in &mut self.relations {
            r.description = r.description.trim().to_owned();
            for (id, f) in [
                (r.from_resource_id, &mut r.from_field),
                (r.to_resource_id, &mut r.to_field),
            ] {
                *f = facts
                    .get(&id)
                    .and_then(|x| x.field(f))
                    .map(str::to_owned)
                    .unwrap_or_else(|| f.trim().to_owned());
            }
        }
        self
    }

    /// Every problem of this model against the catalog (`facts` holds every resource the
    /// model names that exists). Field names: `code`, `entities[i].table`,
    /// `relations[i].fromField`, ...
    pub fn validate(&self, facts: &HashMap<i64, ResourceFacts>) -> Vec<Problem> {
        let mut p = Vec::new();
        if !code_ok(&self.code) {
            p.push(problem("code", "模型代码须为 1-64 位字母、数字、_ . -"));
        }
        let n = self.name.chars().count();
        if n == 0 || n > 100 {
            p.push(problem("name", "模型名称不能为空且不超过 100 字"));
        }
        if self.description.chars().count() > 2000 {
            p.push(problem("description", "说明不能超过 2000 字"));
        }
        if self.entities.len() > MAX_ENTITIES {
            p.push(problem("entities", format!("实体不能超过 {MAX_ENTITIES} 个")));
        }
        if self.relations.len() > MAX_RELATIONS {
            p.push(problem("relations", format!("关系不能超过 {MAX_RELATIONS} 条")));
        }
        let mut in_model = HashSet::new();
        let mut seen_entities = HashSet::new();
        for (i, e) in self.entities.iter().enumerate() {
            let g = e.group.chars().count();
            if g == 0 || g > 64 {
                p.push(problem(
                    format!("entities[{i}].group"),
                    "实体分组不能为空且不超过 64 字",
                ));
            }
            let Some(r) = facts.get(&e.resource_id) else {
                p.push(problem(
                    format!("entities[{i}].resourceId"),
                    format!("数据资源不存在：{}", e.resource_id),
                ));
                continue;
            };
            in_model.insert(e.resource_id);
            if !r.tables.iter().any(|t| t == &e.table) {
                p.push(problem(
                    format!("entities[{i}].table"),
                    format!("数据资源 {} 未挂接表“{}”", r.code, e.table),
                ));
            }
            if !seen_entities.insert((e.resource_id, e.table.clone())) {
                p.push(problem(
                    format!("entities[{i}]"),
                    format!("实体重复：{}（{}）", r.code, e.table),
                ));
            }
        }
        let mut seen_relations = HashSet::new();
        for (i, r) in self.relations.iter().enumerate() {
            let mut ends_ok = true;
            for (side, id, field) in [
                ("from", r.from_resource_id, &r.from_field),
                ("to", r.to_resource_id, &r.to_field),
            ] {
                match facts.get(&id).filter(|_| in_model.contains(&id)) {
                    None => {
                        ends_ok = false;
                        p.push(problem(
                            format!("relations[{i}].{side}ResourceId"),
                            format!("关系端点的数据资源（{id}）不是本模型的实体"),
                        ));
                    }
                    Some(facts) if facts.field(field).is_none() => {
                        ends_ok = false;
                        p.push(problem(
                            format!("relations[{i}].{side}Field"),
                            format!("数据资源 {} 没有字段“{field}”", facts.code),
                        ));
                    }
                    Some(_) => {}
                }
            }
            if r.description.chars().count() > 500 {
                p.push(problem(format!("relations[{i}].description"), "说明不能超过 500 字"));
            }
            if !ends_ok {
                continue;
            }
            let a = (r.from_resource_id, r.from_field.to_ascii_lowercase());
            let b = (r.to_resource_id, r.to_field.to_ascii_lowercase());
            if a == b {
                p.push(problem(format!("relations[{i}]"), "关系两端不能是同一字段"));
                continue;
            }
            // A relation read backwards is the same relation.
            let key = if a <= b { (a, b) } else { (b, a) };
            if !seen_relations.insert(key) {
                p.push(problem(
                    format!("relations[{i}]"),
                    format!("关系重复：{} ↔ {}", r.from_field, r.to_field),
                ));
            }
        }
        p
    }
}

/// What no longer matches the catalog in a stored model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DanglingKind {
    /// A relation endpoint's field is no longer a field of its resource.
    FieldRemoved,
    /// An entity's table is no longer bound to its resource.
    TableUnbound,
}

/// One mismatch between a stored model and the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dangling {
    /// What kind.
    pub kind: DanglingKind,
    /// Index of the relation (field removed) or entity (table unbound) in the model.
    pub index: usize,
    /// Resource id.
    pub resource_id: i64,
    /// Resource code.
    pub resource_code: String,
    /// The missing field or table.
    pub name: String,
    /// In Chinese.
    pub message: String,
}

/// Every entity and relation of a stored model that no longer matches the catalog.
pub fn dangling(
    entities: &[EntityDraft],
    relations: &[RelationDraft],
    facts: &HashMap<i64, ResourceFacts>,
) -> Vec<Dangling> {
    let mut out = Vec::new();
    for (i, e) in entities.iter().enumerate() {
        let Some(r) = facts.get(&e.resource_id) else {
            continue;
        };
        if !r.tables.iter().any(|t| t == &e.table) {
            out.push(Dangling {
                kind: DanglingKind::TableUnbound,
                index: i,
                resource_id: e.resource_id,
                resource_code: r.code.clone(),
                name: e.table.clone(),
                message: format!("数据资源 {} 已不再挂接表“{}”", r.code, e.table),
            });
        }
    }
    for (i, rel) in relations.iter().enumerate() {
        for (id, field) in [
            (rel.from_resource_id, &rel.from_field),
            (rel.to_resource_id, &rel.to_field),
        ] {
            let Some(r) = facts.get(&id) else { continue };
            if r.field(field).is_none() {
                out.push(Dangling {
                    kind: DanglingKind::FieldRemoved,
                    index: i,
                    resource_id: id,
                    resource_code: r.code.clone(),
                    name: field.clone(),
                    message: format!(
                        "关系 {} → {} 引用的字段“{field}”已从数据资源 {} 中删除",
                        rel.from_field, rel.to_field, r.code
                    ),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> HashMap<i64, ResourceFacts> {
        HashMap::from([
            (
                1,
                ResourceFacts {
                    code: "WHEE-ENT".into(),
                    tables: vec!["permit.enterprise".into()],
                    fields: vec!["credit_code".into(), "name".into()],
                },
            ),
            (
                2,
                ResourceFacts {
                    code: "WHEE-OUT".into(),
                    tables: vec!["permit.outlet".into(), "permit.outlet_hist".into()],
                    fields: vec!["outlet_code".into(), "Credit_Code".into()],
                },
            ),
        ])
    }

    fn draft() -> ModelDraft {
        ModelDraft {
            code: "DM-PERMIT".into(),
            name: "排污许可模型".into(),
            description: String::new(),
            entities: vec![
                EntityDraft {
                    group: "主体".into(),
                    resource_id: 1,
                    table: "permit.enterprise".into(),
                },
                EntityDraft {
                    group: "排放".into(),
                    resource_id: 2,
                    table: "permit.outlet".into(),
                },
            ],
            relations: vec![RelationDraft {
                from_resource_id: 1,
                from_field: "credit_code".into(),
                to_resource_id: 2,
                to_field: "credit_code".into(),
                cardinality: Cardinality::OneToMany,
                description: String::new(),
            }],
        }
    }

    fn fields_of(d: &ModelDraft) -> Vec<String> {
        d.validate(&facts()).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_good_model_is_valid_and_takes_the_catalog_spelling() {
        let d = draft().normalise(&facts());
        assert_eq!(d.relations[0].to_field, "Credit_Code");
        assert!(fields_of(&d).is_empty());
    }

    #[test]
    fn endpoints_tables_and_duplicates_are_checked() {
        let mut d = draft();
        d.entities[1].table = "permit.nope".into();
        d.entities.push(EntityDraft {
            group: "x".into(),
            resource_id: 9,
            table: "a.b".into(),
        });
        let mut backwards = d.relations[0].clone();
        std::mem::swap(&mut backwards.from_resource_id, &mut backwards.to_resource_id);
        std::mem::swap(&mut backwards.from_field, &mut backwards.to_field);
        d.relations.push(backwards);
        d.relations.push(RelationDraft {
            to_field: "nope".into(),
            ..d.relations[0].clone()
        });
        d.relations.push(RelationDraft {
            to_resource_id: 9,
            ..d.relations[0].clone()
        });
        assert_eq!(
            fields_of(&d),
            vec![
                "entities[1].table",
                "entities[2].resourceId",
                "relations[1]",
                "relations[2].toField",
                "relations[3].toResourceId"
            ]
        );
        assert_eq!(Cardinality::parse_any("多对一"), Some(Cardinality::ManyToOne));
    }

    #[test]
    fn removed_fields_and_unbound_tables_dangle() {
        let d = draft();
        let mut now = facts();
        if let Some(r) = now.get_mut(&2) {
            r.fields.retain(|f| f != "Credit_Code");
            r.tables.retain(|t| t != "permit.outlet");
        }
        let found = dangling(&d.entities, &d.relations, &now);
        let kinds: Vec<(DanglingKind, usize, &str)> =
            found.iter().map(|x| (x.kind, x.index, x.name.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (DanglingKind::TableUnbound, 1, "permit.outlet"),
                (DanglingKind::FieldRemoved, 0, "credit_code")
            ]
        );
        assert!(dangling(&d.entities, &d.relations, &facts()).is_empty());
    }
}
