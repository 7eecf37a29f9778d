//! Data models (数据模型) as stored: a model, its entities (catalog resources with one bound
//! table each, in entity groups) and the relations between their fields.
//!
//! A model is written whole: create or update replaces every entity and relation in one
//! transaction with the audit event (before and after), after checking the draft against the
//! catalog as it is at that moment. The catalog moves on afterwards, so reads recompute the
//! model's [`Detail::problems`]: relations whose field a later catalog version removed, and
//! entities whose table is no longer bound, with the version that removed the field.
//!
//! Department users (who see published catalog resources only) see the entities and relations
//! of published resources only.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::catalog::{problems_error, snapshot};
use super::{Actor, Core, Page};
use crate::catalog::data_model::{
    Cardinality, Dangling, DanglingKind, EntityDraft, ModelDraft, RelationDraft, ResourceFacts, dangling,
};
use crate::catalog::diff::FieldChange;
use crate::catalog::lifecycle::Status;
use crate::entity::{catalog_resource, catalog_version, data_model, data_model_entity, data_model_relation};
use crate::role::{Operation, Role};
use crate::{Error, Result};

/// A stored entity with its resource.
#[derive(Debug, Clone)]
pub struct EntityView {
    /// 实体分组.
    pub group: String,
    /// The catalog resource.
    pub resource: catalog_resource::Model,
    /// The bound table.
    pub table: String,
}

/// A stored relation with its resources.
#[derive(Debug, Clone)]
pub struct RelationView {
    /// Index in the model.
    pub index: usize,
    /// First endpoint's resource.
    pub from_resource: catalog_resource::Model,
    /// First endpoint's field.
    pub from_field: String,
    /// Second endpoint's resource.
    pub to_resource: catalog_resource::Model,
    /// Second endpoint's field.
    pub to_field: String,
    /// 关系基数.
    pub cardinality: Cardinality,
    /// 说明.
    pub description: String,
}

/// Something in a stored model that no longer matches the catalog.
#[derive(Debug, Clone)]
pub struct ModelProblem {
    /// What no longer matches, and where.
    pub dangling: Dangling,
    /// The catalog version of the resource that removed the field (field problems).
    pub removed_in_version: Option<i32>,
}

/// A model with everything in it, as one reader may see it.
#[derive(Debug, Clone)]
pub struct Detail {
    /// Entities in order.
    pub entities: Vec<EntityView>,
    /// Relations in order.
    pub relations: Vec<RelationView>,
    /// Mismatches with the catalog now.
    pub problems: Vec<ModelProblem>,
}

impl Detail {
    /// Entity groups in order of first appearance, each with its entities.
    pub fn groups(&self) -> Vec<(String, Vec<EntityView>)> {
        let mut out: Vec<(String, Vec<EntityView>)> = Vec::new();
        for e in &self.entities {
            match out.iter_mut().find(|(g, _)| g == &e.group) {
                Some((_, v)) => v.push(e.clone()),
                None => out.push((e.group.clone(), vec![e.clone()])),
            }
        }
        out
    }
}

fn json_err(e: serde_json::Error) -> Error {
    Error::Internal(format!("data model json: {e}"))
}

/// The resources with these ids and what the catalog says about each now.
async fn load_facts<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = i64>,
) -> Result<(HashMap<i64, catalog_resource::Model>, HashMap<i64, ResourceFacts>)> {
    let ids: Vec<i64> = ids.into_iter().collect::<HashSet<_>>().into_iter().collect();
    let rows = catalog_resource::Entity::find()
        .filter(catalog_resource::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    let mut facts = HashMap::new();
    for r in &rows {
        let s = snapshot(conn, r).await?;
        facts.insert(
            r.id,
            ResourceFacts {
                code: r.code.clone(),
                tables: s.resource.tables,
                fields: s.fields.into_iter().map(|f| f.name).collect(),
            },
        );
    }
    Ok((rows.into_iter().map(|r| (r.id, r)).collect(), facts))
}

fn ids_of(d: &ModelDraft) -> Vec<i64> {
    d.entities
        .iter()
        .map(|e| e.resource_id)
        .chain(d.relations.iter().flat_map(|r| [r.from_resource_id, r.to_resource_id]))
        .collect()
}

/// Checks a draft against the catalog inside the write transaction; returns it normalised.
async fn check(txn: &DatabaseTransaction, draft: ModelDraft) -> Result<(ModelDraft, HashMap<i64, ResourceFacts>)> {
    let (_, facts) = load_facts(txn, ids_of(&draft)).await?;
    let draft = draft.normalise(&facts);
    let problems = draft.validate(&facts);
    if problems.is_empty() {
        Ok((draft, facts))
    } else {
        Err(problems_error(&problems))
    }
}

/// The audit form of a model: codes instead of ids, so it reads on its own.
fn audit_json(m: &data_model::Model, d: &ModelDraft, facts: &HashMap<i64, ResourceFacts>) -> serde_json::Value {
    let code = |id: i64| facts.get(&id).map_or_else(|| id.to_string(), |f| f.code.clone());
    json!({
        "code": m.code, "name": m.name, "description": m.description, "version": m.version,
        "entities": d.entities.iter().map(|e| json!({
            "group": e.group, "resource": code(e.resource_id), "table": e.table,
        })).collect::<Vec<_>>(),
        "relations": d.relations.iter().map(|r| json!({
            "from": format!("{}.{}", code(r.from_resource_id), r.from_field),
            "to": format!("{}.{}", code(r.to_resource_id), r.to_field),
            "cardinality": r.cardinality.as_str(), "description": r.description,
        })).collect::<Vec<_>>(),
    })
}

async fn write_parts(txn: &DatabaseTransaction, model_id: i64, d: &ModelDraft) -> Result<()> {
    data_model_entity::Entity::delete_many()
        .filter(data_model_entity::Column::ModelId.eq(model_id))
        .exec(txn)
        .await?;
    data_model_relation::Entity::delete_many()
        .filter(data_model_relation::Column::ModelId.eq(model_id))
        .exec(txn)
        .await?;
    if !d.entities.is_empty() {
        data_model_entity::Entity::insert_many(d.entities.iter().enumerate().map(|(i, e)| {
            data_model_entity::ActiveModel {
                model_id: Set(model_id),
                group_name: Set(e.group.clone()),
                resource_id: Set(e.resource_id),
                table_name: Set(e.table.clone()),
                position: Set(i as i32),
                ..Default::default()
            }
        }))
        .exec(txn)
        .await?;
    }
    if !d.relations.is_empty() {
        data_model_relation::Entity::insert_many(d.relations.iter().enumerate().map(|(i, r)| {
            data_model_relation::ActiveModel {
                model_id: Set(model_id),
                from_resource_id: Set(r.from_resource_id),
                from_field: Set(r.from_field.clone()),
                to_resource_id: Set(r.to_resource_id),
                to_field: Set(r.to_field.clone()),
                cardinality: Set(r.cardinality.as_str().to_owned()),
                description: Set(r.description.clone()),
                position: Set(i as i32),
                ..Default::default()
            }
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
}

fn duplicate(e: sea_orm::DbErr) -> Error {
    if is_unique_violation(&e) {
        Error::Duplicate("data_model_code")
    } else {
        e.into()
    }
}

/// Creates a model with its entities and relations (version 1).
pub async fn create(core: &Core, actor: &Actor, draft: ModelDraft) -> Result<data_model::Model> {
    actor.require(Operation::ManageCatalog)?;
    let txn = core.begin().await?;
    let (d, facts) = check(&txn, draft).await?;
    let now = core.now();
    let m = data_model::ActiveModel {
        code: Set(d.code.clone()),
        name: Set(d.name.clone()),
        description: Set(d.description.clone()),
        version: Set(1),
        created_by: Set(actor.audit_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(duplicate)?;
    write_parts(&txn, m.id, &d).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "data_model.create",
            subject_type: "data_model",
            subject_id: m.code.clone(),
            before: None,
            after: Some(audit_json(&m, &d, &facts)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// The stored entities and relations of a model, as a draft.
async fn stored<C: ConnectionTrait>(conn: &C, m: &data_model::Model) -> Result<ModelDraft> {
    let entities = data_model_entity::Entity::find()
        .filter(data_model_entity::Column::ModelId.eq(m.id))
        .order_by_asc(data_model_entity::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| EntityDraft {
            group: e.group_name,
            resource_id: e.resource_id,
            table: e.table_name,
        })
        .collect();
    let relations = data_model_relation::Entity::find()
        .filter(data_model_relation::Column::ModelId.eq(m.id))
        .order_by_asc(data_model_relation::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(RelationDraft {
                cardinality: Cardinality::parse_any(&r.cardinality)
                    .ok_or_else(|| Error::Internal(format!("bad cardinality {}", r.cardinality)))?,
                from_resource_id: r.from_resource_id,
                from_field: r.from_field,
                to_resource_id: r.to_resource_id,
                to_field: r.to_field,
                description: r.description,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ModelDraft {
        code: m.code.clone(),
        name: m.name.clone(),
        description: m.description.clone(),
        entities,
        relations,
    })
}

/// Replaces a model's attributes, entities and relations (a new version). A stale
/// `expected_version` is a conflict; a rejected draft changes nothing.
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    draft: ModelDraft,
) -> Result<data_model::Model> {
    actor.require(Operation::ManageCatalog)?;
    let txn = core.begin().await?;
    let current = data_model::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("data_model"))?;
    if current.version != expected_version {
        return Err(Error::VersionConflict {
            current: current.version,
        });
    }
    let before_draft = stored(&txn, &current).await?;
    let (d, mut facts) = check(&txn, draft).await?;
    let (_, before_facts) = load_facts(&txn, ids_of(&before_draft)).await?;
    let now = core.now();
    let res = data_model::Entity::update_many()
        .set(data_model::ActiveModel {
            code: Set(d.code.clone()),
            name: Set(d.name.clone()),
            description: Set(d.description.clone()),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(data_model::Column::Id.eq(id))
        .filter(data_model::Column::Version.eq(current.version))
        .exec(&txn)
        .await
        .map_err(duplicate)?;
    if res.rows_affected != 1 {
        return Err(Error::VersionConflict {
            current: current.version,
        });
    }
    write_parts(&txn, id, &d).await?;
    let after = data_model::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("data_model"))?;
    let before_json = audit_json(&current, &before_draft, &before_facts);
    facts.extend(before_facts);
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "data_model.update",
            subject_type: "data_model",
            subject_id: after.code.clone(),
            before: Some(before_json),
            after: Some(audit_json(&after, &d, &facts)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// One model by id.
pub async fn get(core: &Core, actor: &Actor, id: i64) -> Result<data_model::Model> {
    actor.require(Operation::ViewCatalog)?;
    data_model::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("data_model"))
}

/// One model by code.
pub async fn get_by_code(core: &Core, actor: &Actor, code: &str) -> Result<data_model::Model> {
    actor.require(Operation::ViewCatalog)?;
    data_model::Entity::find()
        .filter(data_model::Column::Code.eq(code.trim()))
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("data_model"))
}

/// Models by code.
pub async fn list(core: &Core, actor: &Actor, page: Page) -> Result<(Vec<data_model::Model>, u64)> {
    actor.require(Operation::ViewCatalog)?;
    let q = data_model::Entity::find();
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(data_model::Column::Code)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// The latest catalog version of `resource_id` that removed field `name`.
async fn removed_in(core: &Core, resource_id: i64, name: &str) -> Result<Option<i32>> {
    let versions = catalog_version::Entity::find()
        .filter(catalog_version::Column::ResourceId.eq(resource_id))
        .order_by_desc(catalog_version::Column::Version)
        .all(&core.db)
        .await?;
    let path = format!("fields.{name}");
    for v in versions {
        let changes: Vec<FieldChange> = serde_json::from_str(&v.changes).map_err(json_err)?;
        if changes
            .iter()
            .any(|c| c.path == path && c.before.is_some() && c.after.is_none())
        {
            return Ok(Some(v.version));
        }
    }
    Ok(None)
}

/// Everything in a model as `actor` may see it, with its problems against the catalog now.
pub async fn detail(core: &Core, actor: &Actor, m: &data_model::Model) -> Result<Detail> {
    actor.require(Operation::ViewCatalog)?;
    let d = stored(&core.db, m).await?;
    let (mut rows, facts) = load_facts(&core.db, ids_of(&d)).await?;
    if actor.role == Role::Department {
        rows.retain(|_, r| r.status == Status::Published.as_str());
    }
    let mut problems = Vec::new();
    for p in dangling(&d.entities, &d.relations, &facts) {
        if !rows.contains_key(&p.resource_id) {
            continue;
        }
        let removed_in_version = match p.kind {
            DanglingKind::FieldRemoved => removed_in(core, p.resource_id, &p.name).await?,
            DanglingKind::TableUnbound => None,
        };
        problems.push(ModelProblem {
            dangling: p,
            removed_in_version,
        });
    }
    let entities = d
        .entities
        .into_iter()
        .filter_map(|e| {
            rows.get(&e.resource_id).map(|r| EntityView {
                group: e.group,
                resource: r.clone(),
                table: e.table,
            })
        })
        .collect();
    let relations = d
        .relations
        .into_iter()
        .enumerate()
        .filter_map(|(index, r)| {
            let from = rows.get(&r.from_resource_id)?;
            let to = rows.get(&r.to_resource_id)?;
            Some(RelationView {
                index,
                from_resource: from.clone(),
                from_field: r.from_field,
                to_resource: to.clone(),
                to_field: r.to_field,
                cardinality: r.cardinality,
                description: r.description,
            })
        })
        .collect();
    Ok(Detail {
        entities,
        relations,
        problems,
    })
}
