//! The data resource catalog as stored: resources with their fields, a version (with a
//! field-level diff) for every metadata change, the lifecycle, Excel import and export, and
//! search.
//!
//! Every write is one transaction with its version row and audit event. An import is
//! all-or-nothing unless the caller asks for the valid rows only; a dry run reports what
//! would change and writes nothing.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;
use tokio::sync::RwLock;

use super::audit::{self, Change, is_unique_violation};
use super::{Actor, Core, Page};
use crate::catalog::diff::{FieldChange, Snapshot, diff};
use crate::catalog::lifecycle::{self, Event, Status};
use crate::catalog::model::{FieldDraft, GradeLevel, Problem, ResourceDraft};
use crate::catalog::search::{SearchDoc, SearchField, SearchFilter, SearchIndex};
use crate::catalog::xlsx::{self, CatalogEntry};
use crate::entity::{catalog_field, catalog_resource, catalog_version, department, field_tag_event, tag_suggestion};
use crate::role::{Operation, Role};
use crate::sensitivity::Tag;
use crate::{Error, Result};

/// The search index of this process and how far it has caught up with the database.
#[derive(Default)]
pub struct IndexState {
    inner: RwLock<(SearchIndex, Option<DateTime<Utc>>)>,
}

impl std::fmt::Debug for IndexState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexState")
    }
}

/// One `invalid_input` error for a list of problems: the first problem's field, every message.
pub(crate) fn problems_error(problems: &[Problem]) -> Error {
    match problems.first() {
        Some(p) => Error::InvalidInput {
            field: p.field.clone(),
            message: problems
                .iter()
                .map(|p| format!("{}：{}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("；"),
        },
        None => Error::invalid("input", "输入有误"),
    }
}

/// Checks a resource and its fields, including the references to other tables.
async fn check_entry<C: ConnectionTrait>(conn: &C, e: &Snapshot) -> Result<()> {
    let mut problems = e.resource.validate();
    let mut seen = std::collections::HashSet::new();
    let sub_levels = super::classification::general_sub_levels(conn).await?;
    for f in &e.fields {
        problems.extend(f.validate(sub_levels));
        if !seen.insert(f.name.to_lowercase()) {
            problems.push(Problem {
                field: "fields".into(),
                message: format!("字段名重复：{}", f.name),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems_error(&problems));
    }
    let dep = department::Entity::find()
        .filter(department::Column::Code.eq(e.resource.provider_department.trim()))
        .one(conn)
        .await?;
    if dep.is_none() {
        return Err(Error::invalid(
            "providerDepartment",
            format!("部门编码不存在：{}", e.resource.provider_department),
        ));
    }
    super::classification::check(conn, &e.resource).await?;
    check_source_system(conn, e).await
}

/// A named source system must exist; a new reference must name an active one (a resource that
/// already names a system that was deactivated since keeps it).
async fn check_source_system<C: ConnectionTrait>(conn: &C, e: &Snapshot) -> Result<()> {
    let code = e.resource.source_system.as_str();
    if code.is_empty() {
        return Ok(());
    }
    let Some(system) = super::source_system::find_by_code(conn, code).await? else {
        return Err(Error::invalid("sourceSystem", format!("来源系统不存在：{code}")));
    };
    if system.active {
        return Ok(());
    }
    let stored = catalog_resource::Entity::find()
        .filter(catalog_resource::Column::Code.eq(e.resource.code.as_str()))
        .one(conn)
        .await?;
    let kept = match stored {
        Some(r) => {
            serde_json::from_str::<ResourceDraft>(&r.draft)
                .map_err(json_err)?
                .source_system
                == code
        }
        None => false,
    };
    if kept {
        Ok(())
    } else {
        Err(Error::invalid("sourceSystem", format!("来源系统已停用：{code}")))
    }
}

fn grade_of(fields: &[FieldDraft]) -> GradeLevel {
    GradeLevel::of_fields(fields.iter().map(FieldDraft::grade_level))
}

fn normalise(mut e: Snapshot) -> Snapshot {
    e.resource.code = e.resource.code.trim().to_owned();
    e.resource.provider_department = e.resource.provider_department.trim().to_owned();
    e.resource.source_system = e.resource.source_system.trim().to_owned();
    for f in &mut e.fields {
        f.name = f.name.trim().to_owned();
    }
    e
}

fn json_err(e: serde_json::Error) -> Error {
    Error::Internal(format!("catalog json: {e}"))
}

async fn write_fields(txn: &DatabaseTransaction, resource_id: i64, fields: &[FieldDraft]) -> Result<()> {
    catalog_field::Entity::delete_many()
        .filter(catalog_field::Column::ResourceId.eq(resource_id))
        .exec(txn)
        .await?;
    for (i, f) in fields.iter().enumerate() {
        let g = f.grade_level();
        catalog_field::ActiveModel {
            resource_id: Set(resource_id),
            position: Set(i as i32),
            name: Set(f.name.clone()),
            cn_name: Set(f.cn_name.clone()),
            data_type: Set(f.data_type.map(|d| d.as_str()).unwrap_or("string").to_owned()),
            grade: Set(g.grade.as_str().to_owned()),
            sub_level: Set(g.sub_level.map(i16::from)),
            draft: Set(serde_json::to_string(f).map_err(json_err)?),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

fn columns(am: &mut catalog_resource::ActiveModel, e: &Snapshot) -> Result<()> {
    let g = grade_of(&e.fields);
    let r = &e.resource;
    am.name = Set(r.name.trim().to_owned());
    am.department = Set(r.provider_department.clone());
    am.classification = Set(r.classification.join("/"));
    am.share_type = Set(r.share_type.map(|s| s.as_str()).unwrap_or_default().to_owned());
    am.open_type = Set(r.open_type.map(|s| s.as_str()).unwrap_or_default().to_owned());
    am.grade = Set(g.grade.as_str().to_owned());
    am.sub_level = Set(g.sub_level.map(i16::from));
    am.draft = Set(serde_json::to_string(r).map_err(json_err)?);
    Ok(())
}

async fn insert_version(
    txn: &DatabaseTransaction,
    resource_id: i64,
    version: i32,
    snap: &Snapshot,
    changes: &[FieldChange],
    actor: &Actor,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    catalog_version::ActiveModel {
        resource_id: Set(resource_id),
        version: Set(version),
        snapshot: Set(serde_json::to_string(snap).map_err(json_err)?),
        changes: Set(serde_json::to_string(changes).map_err(json_err)?),
        actor_id: Set(actor.audit_id()),
        note: Set(note.chars().take(500).collect()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// A field's tags as identifiers (labels are accepted on input), lower-cased field name first.
fn tag_sets(snap: &Snapshot) -> Vec<(String, &str, std::collections::BTreeSet<String>)> {
    snap.fields
        .iter()
        .map(|f| {
            let tags = f
                .tags
                .iter()
                .map(|t| Tag::parse(t).map_or_else(|| t.trim().to_owned(), |t| t.as_str().to_owned()))
                .collect();
            (f.name.to_lowercase(), f.name.as_str(), tags)
        })
        .collect()
}

/// Records every tag added to or removed from a field between two snapshots in the tag history
/// (`field_tag_events`), whatever the path of the change (edit, import, drift adoption, a
/// confirmed suggestion). A tag that `confirming` names is recorded as `confirmed`, with the
/// suggestion's id.
async fn record_tag_changes(
    txn: &DatabaseTransaction,
    resource_id: i64,
    before: &Snapshot,
    after: &Snapshot,
    actor: &Actor,
    now: DateTime<Utc>,
    version: i32,
    note: &str,
    confirming: Option<&tag_suggestion::Model>,
) -> Result<()> {
    let (old, new) = (tag_sets(before), tag_sets(after));
    let empty = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for (key, name, tags) in &new {
        let was = old.iter().find(|(k, ..)| k == key).map_or(&empty, |(.., t)| t);
        rows.extend(tags.difference(was).map(|t| (*name, t.clone(), "added")));
        rows.extend(was.difference(tags).map(|t| (*name, t.clone(), "removed")));
    }
    for (key, name, tags) in &old {
        if !new.iter().any(|(k, ..)| k == key) {
            rows.extend(tags.iter().map(|t| (*name, t.clone(), "removed")));
        }
    }
    for (field, tag, action) in rows {
        let confirmed =
            confirming.filter(|s| action == "added" && s.field_name.eq_ignore_ascii_case(field) && s.tag == tag);
        field_tag_event::ActiveModel {
            resource_id: Set(resource_id),
            field_name: Set(field.to_owned()),
            tag: Set(tag),
            action: Set(if confirmed.is_some() { "confirmed" } else { action }.to_owned()),
            actor_id: Set(actor.audit_id()),
            at: Set(now),
            note: Set(note.chars().take(500).collect()),
            catalog_version: Set(Some(version)),
            suggestion_id: Set(confirmed.map(|s| s.id)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

async fn create_in(
    core: &Core,
    txn: &DatabaseTransaction,
    actor: &Actor,
    e: &Snapshot,
    note: &str,
) -> Result<catalog_resource::Model> {
    let now = core.now();
    let mut am = catalog_resource::ActiveModel {
        code: Set(e.resource.code.clone()),
        status: Set(Status::Draft.as_str().to_owned()),
        version: Set(1),
        submitted_by: Set(None),
        created_by: Set(actor.audit_id()),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        ..Default::default()
    };
    columns(&mut am, e)?;
    let m = am.insert(txn).await.map_err(|err| {
        if is_unique_violation(&err) {
            Error::Duplicate("resource_code")
        } else {
            err.into()
        }
    })?;
    write_fields(txn, m.id, &e.fields).await?;
    let changes = diff(&Snapshot::default(), e);
    insert_version(txn, m.id, 1, e, &changes, actor, note, now).await?;
    record_tag_changes(txn, m.id, &Snapshot::default(), e, actor, now, 1, note, None).await?;
    audit::append(
        txn,
        actor,
        now,
        Change {
            action: "catalog.create",
            subject_type: "catalog_resource",
            subject_id: m.code.clone(),
            before: None,
            after: Some(json!({ "version": 1, "changes": changes.len() })),
        },
    )
    .await?;
    Ok(m)
}

/// Creates a resource (draft, version 1).
pub async fn create(core: &Core, actor: &Actor, entry: Snapshot) -> Result<catalog_resource::Model> {
    actor.require(Operation::ManageCatalog)?;
    let e = normalise(entry);
    let txn = core.begin().await?;
    check_entry(&txn, &e).await?;
    let m = create_in(core, &txn, actor, &e, "新建").await?;
    txn.commit().await?;
    Ok(m)
}

/// The stored snapshot of a resource.
pub async fn snapshot<C: ConnectionTrait>(conn: &C, r: &catalog_resource::Model) -> Result<Snapshot> {
    let resource: ResourceDraft = serde_json::from_str(&r.draft).map_err(json_err)?;
    let fields = catalog_field::Entity::find()
        .filter(catalog_field::Column::ResourceId.eq(r.id))
        .order_by_asc(catalog_field::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|f| serde_json::from_str(&f.draft).map_err(json_err))
        .collect::<Result<Vec<FieldDraft>>>()?;
    Ok(Snapshot { resource, fields })
}

async fn update_in(
    core: &Core,
    txn: &DatabaseTransaction,
    actor: &Actor,
    current: catalog_resource::Model,
    e: &Snapshot,
    note: &str,
    confirming: Option<&tag_suggestion::Model>,
) -> Result<Option<catalog_resource::Model>> {
    let before = snapshot(txn, &current).await?;
    let changes = diff(&before, e);
    if changes.is_empty() {
        return Ok(None);
    }
    if before.resource.code != e.resource.code {
        return Err(Error::invalid("code", "资源代码不可修改"));
    }
    let now = core.now();
    let version = current.version + 1;
    let old_version = current.version;
    let id = current.id;
    let mut am = current.into_active_model();
    columns(&mut am, e)?;
    am.version = Set(version);
    am.updated_at = Set(now);
    let res = catalog_resource::Entity::update_many()
        .set(am)
        .filter(catalog_resource::Column::Id.eq(id))
        .filter(catalog_resource::Column::Version.eq(old_version))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(Error::VersionConflict { current: old_version });
    }
    write_fields(txn, id, &e.fields).await?;
    insert_version(txn, id, version, e, &changes, actor, note, now).await?;
    record_tag_changes(txn, id, &before, e, actor, now, version, note, confirming).await?;
    audit::append(
        txn,
        actor,
        now,
        Change {
            action: "catalog.update",
            subject_type: "catalog_resource",
            subject_id: e.resource.code.clone(),
            before: Some(json!({ "version": old_version })),
            after: Some(
                json!({ "version": version, "changes": changes.iter().map(|c| c.path.clone()).collect::<Vec<_>>() }),
            ),
        },
    )
    .await?;
    Ok(catalog_resource::Entity::find_by_id(id).one(txn).await?)
}

/// Updates a resource's metadata and fields: a new version with its diff. A stale
/// `expected_version` is a conflict; an update that changes nothing creates no version.
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    entry: Snapshot,
    note: &str,
) -> Result<catalog_resource::Model> {
    actor.require(Operation::ManageCatalog)?;
    let txn = core.begin().await?;
    let out = update_within(core, &txn, actor, id, expected_version, entry, note, None).await?;
    txn.commit().await?;
    Ok(out)
}

/// [`update`] inside the caller's transaction; `confirming` names the suggestion whose tag the
/// update adds (recorded as `confirmed` in the tag history).
pub(crate) async fn update_within(
    core: &Core,
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    entry: Snapshot,
    note: &str,
    confirming: Option<&tag_suggestion::Model>,
) -> Result<catalog_resource::Model> {
    let e = normalise(entry);
    let current = catalog_resource::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("catalog_resource"))?;
    if current.version != expected_version {
        return Err(Error::VersionConflict {
            current: current.version,
        });
    }
    check_entry(txn, &e).await?;
    Ok(
        match update_in(core, txn, actor, current.clone(), &e, note, confirming).await? {
            Some(m) => m,
            None => current,
        },
    )
}

/// Moves a resource through its lifecycle.
pub async fn transition(
    core: &Core,
    actor: &Actor,
    id: i64,
    event: Event,
    expected_version: i32,
    reason: Option<&str>,
) -> Result<catalog_resource::Model> {
    actor.require(match event {
        Event::Approve | Event::Reject | Event::Offline => Operation::ApproveCatalog,
        Event::Submit | Event::Resubmit => Operation::ManageCatalog,
    })?;
    let txn = core.begin().await?;
    let r = catalog_resource::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("catalog_resource"))?;
    if r.version != expected_version {
        return Err(Error::VersionConflict { current: r.version });
    }
    let status = Status::parse(&r.status).ok_or_else(|| Error::Internal(format!("bad status {}", r.status)))?;
    let t = lifecycle::find(status, event).ok_or_else(|| Error::TransitionNotAllowed {
        state: status.as_str().into(),
        event: event.as_str().into(),
    })?;
    if !t.roles.contains(&actor.role) {
        return Err(Error::Forbidden);
    }
    if t.independent && r.submitted_by == Some(actor.id) {
        return Err(Error::SelfReview);
    }
    let reason = reason.map(str::trim).filter(|s| !s.is_empty());
    if t.needs_reason && reason.is_none() {
        return Err(Error::MissingField("reason"));
    }
    let now = core.now();
    let mut am = r.clone().into_active_model();
    am.status = Set(t.to.as_str().to_owned());
    am.version = Set(r.version + 1);
    am.updated_at = Set(now);
    if matches!(event, Event::Submit | Event::Resubmit) {
        am.submitted_by = Set(Some(actor.id));
    }
    if t.to == Status::Published {
        am.published_at = Set(Some(now));
    }
    let res = catalog_resource::Entity::update_many()
        .set(am)
        .filter(catalog_resource::Column::Id.eq(id))
        .filter(catalog_resource::Column::Version.eq(r.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(Error::VersionConflict { current: r.version });
    }
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "catalog.transition",
            subject_type: "catalog_resource",
            subject_id: r.code.clone(),
            before: Some(json!({ "status": r.status })),
            after: Some(json!({ "status": t.to.as_str(), "event": event.as_str(), "reason": reason })),
        },
    )
    .await?;
    let out = catalog_resource::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("catalog_resource"))?;
    txn.commit().await?;
    Ok(out)
}

fn visible(actor: &Actor, r: &catalog_resource::Model) -> bool {
    actor.role != Role::Department || r.status == Status::Published.as_str()
}

/// One resource the actor may see.
pub async fn get(core: &Core, actor: &Actor, id: i64) -> Result<catalog_resource::Model> {
    actor.require(Operation::ViewCatalog)?;
    catalog_resource::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .filter(|r| visible(actor, r))
        .ok_or(Error::NotFound("catalog_resource"))
}

/// One resource by code.
pub async fn get_by_code(core: &Core, actor: &Actor, code: &str) -> Result<catalog_resource::Model> {
    actor.require(Operation::ViewCatalog)?;
    catalog_resource::Entity::find()
        .filter(catalog_resource::Column::Code.eq(code))
        .one(&core.db)
        .await?
        .filter(|r| visible(actor, r))
        .ok_or(Error::NotFound("catalog_resource"))
}

/// Versions of a resource, newest first.
pub async fn versions(core: &Core, actor: &Actor, id: i64) -> Result<Vec<catalog_version::Model>> {
    get(core, actor, id).await?;
    Ok(catalog_version::Entity::find()
        .filter(catalog_version::Column::ResourceId.eq(id))
        .order_by_desc(catalog_version::Column::Version)
        .all(&core.db)
        .await?)
}

async fn version_snapshot(core: &Core, id: i64, v: i32) -> Result<Snapshot> {
    let row = catalog_version::Entity::find()
        .filter(catalog_version::Column::ResourceId.eq(id))
        .filter(catalog_version::Column::Version.eq(v))
        .one(&core.db)
        .await?
        .ok_or_else(|| Error::invalid("version", format!("版本 {v} 不存在")))?;
    serde_json::from_str(&row.snapshot).map_err(json_err)
}

/// A past version's snapshot.
pub async fn version(core: &Core, actor: &Actor, id: i64, v: i32) -> Result<Snapshot> {
    get(core, actor, id).await?;
    version_snapshot(core, id, v).await
}

/// The field-level diff between two versions.
pub async fn diff_versions(core: &Core, actor: &Actor, id: i64, from: i32, to: i32) -> Result<Vec<FieldChange>> {
    get(core, actor, id).await?;
    Ok(diff(
        &version_snapshot(core, id, from).await?,
        &version_snapshot(core, id, to).await?,
    ))
}

/// Brings this process's index up to date with resources changed since the last sync.
async fn sync_index(core: &Core) -> Result<()> {
    let since = core.catalog_index.inner.read().await.1;
    let mut q = catalog_resource::Entity::find();
    if let Some(t) = since {
        q = q.filter(catalog_resource::Column::UpdatedAt.gte(t));
    }
    let changed = q.all(&core.db).await?;
    if changed.is_empty() {
        return Ok(());
    }
    let mut docs = Vec::with_capacity(changed.len());
    let mut newest = since;
    for r in &changed {
        let snap = snapshot(&core.db, r).await?;
        newest = Some(newest.map_or(r.updated_at, |n: DateTime<Utc>| n.max(r.updated_at)));
        docs.push(SearchDoc {
            resource_id: r.id,
            code: r.code.clone(),
            name: r.name.clone(),
            summary: snap.resource.summary.clone(),
            department: r.department.clone(),
            classification: r.classification.clone(),
            grade: r.grade.clone(),
            share_type: r.share_type.clone(),
            status: r.status.clone(),
            fields: snap
                .fields
                .iter()
                .map(|f| SearchField {
                    name: f.name.clone(),
                    cn_name: f.cn_name.clone(),
                    description: f.description.clone(),
                })
                .collect(),
        });
    }
    let mut w = core.catalog_index.inner.write().await;
    for d in docs {
        w.0.upsert(d);
    }
    w.1 = newest;
    Ok(())
}

/// Filters of a catalog listing.
#[derive(Debug, Clone, Default)]
pub struct CatalogFilter {
    /// Provider department code.
    pub department: Option<String>,
    /// Classification prefix, e.g. `1/02`.
    pub classification: Option<String>,
    /// Grade identifier.
    pub grade: Option<String>,
    /// Share type identifier.
    pub share_type: Option<String>,
    /// Status identifier.
    pub status: Option<String>,
}

/// Searches (full text, Chinese and English) or, with an empty query, lists resources.
pub async fn search(
    core: &Core,
    actor: &Actor,
    query: &str,
    filter: CatalogFilter,
    page: Page,
) -> Result<(Vec<catalog_resource::Model>, u64)> {
    actor.require(Operation::ViewCatalog)?;
    let mut filter = filter;
    if actor.role == Role::Department {
        filter.status = Some(Status::Published.as_str().into());
    }
    let ids: Vec<i64>;
    let total: u64;
    if query.trim().is_empty() {
        let mut q = catalog_resource::Entity::find();
        if let Some(d) = &filter.department {
            q = q.filter(catalog_resource::Column::Department.eq(d.clone()));
        }
        if let Some(c) = &filter.classification {
            q = q.filter(
                sea_orm::Condition::any()
                    .add(catalog_resource::Column::Classification.eq(c.clone()))
                    .add(catalog_resource::Column::Classification.starts_with(format!("{c}/"))),
            );
        }
        if let Some(g) = &filter.grade {
            q = q.filter(catalog_resource::Column::Grade.eq(g.clone()));
        }
        if let Some(s) = &filter.share_type {
            q = q.filter(catalog_resource::Column::ShareType.eq(s.clone()));
        }
        if let Some(s) = &filter.status {
            q = q.filter(catalog_resource::Column::Status.eq(s.clone()));
        }
        use sea_orm::{PaginatorTrait, QuerySelect};
        total = q.clone().count(&core.db).await?;
        return Ok((
            q.order_by_asc(catalog_resource::Column::Code)
                .offset(page.offset)
                .limit(page.limit)
                .all(&core.db)
                .await?,
            total,
        ));
    } else {
        sync_index(core).await?;
        let f = SearchFilter {
            department: filter.department,
            classification_prefix: filter.classification,
            grade: filter.grade,
            share_type: filter.share_type,
            status: filter.status,
        };
        let r = core.catalog_index.inner.read().await;
        let (hits, n) = r.0.search(query, &f, page.offset as usize, page.limit as usize);
        ids = hits.iter().map(|h| h.resource_id).collect();
        total = n as u64;
    }
    let mut rows = catalog_resource::Entity::find()
        .filter(catalog_resource::Column::Id.is_in(ids.clone()))
        .all(&core.db)
        .await?;
    rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id).unwrap_or(usize::MAX));
    Ok((rows, total))
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    /// Whether anything was written.
    pub applied: bool,
    /// Codes that are (or would be) created.
    pub created: Vec<String>,
    /// Codes that are (or would be) updated (new version).
    pub updated: Vec<String>,
    /// Codes that match the catalog already.
    pub unchanged: Vec<String>,
    /// Per-row problems.
    pub problems: Vec<xlsx::RowProblem>,
    /// Data rows read.
    pub rows_read: usize,
}

/// Imports a workbook. All-or-nothing unless `valid_only`; `dry_run` writes nothing.
pub async fn import(
    core: &Core,
    actor: &Actor,
    bytes: &[u8],
    dry_run: bool,
    valid_only: bool,
) -> Result<ImportOutcome> {
    actor.require(Operation::ManageCatalog)?;
    let sub_levels = super::classification::general_sub_levels(&core.db).await?;
    let report = xlsx::import(bytes, sub_levels).map_err(|e| Error::invalid("file", e.to_string()))?;
    let txn = core.begin().await?;
    let mut problems = report.problems.clone();
    let mut plan = Vec::new();
    for entry in report.entries {
        let snap = normalise(Snapshot {
            resource: entry.resource,
            fields: entry.fields,
        });
        if let Err(e) = check_entry(&txn, &snap).await {
            let field = if let Error::InvalidInput { field, .. } = &e {
                field.clone()
            } else {
                String::new()
            };
            problems.push(xlsx::RowProblem {
                sheet: xlsx::RESOURCE_SHEET.into(),
                row: 0,
                code: snap.resource.code.clone(),
                field,
                message: e.user_message(),
            });
            continue;
        }
        plan.push(snap);
    }
    let mut out = ImportOutcome {
        applied: false,
        created: vec![],
        updated: vec![],
        unchanged: vec![],
        problems,
        rows_read: report.rows_read,
    };
    for snap in &plan {
        match catalog_resource::Entity::find()
            .filter(catalog_resource::Column::Code.eq(snap.resource.code.clone()))
            .one(&txn)
            .await?
        {
            None => out.created.push(snap.resource.code.clone()),
            Some(r) => {
                if diff(&snapshot(&txn, &r).await?, snap).is_empty() {
                    out.unchanged.push(snap.resource.code.clone());
                } else {
                    out.updated.push(snap.resource.code.clone());
                }
            }
        }
    }
    if dry_run || (!out.problems.is_empty() && !valid_only) {
        txn.rollback().await?;
        return Ok(out);
    }
    for snap in &plan {
        match catalog_resource::Entity::find()
            .filter(catalog_resource::Column::Code.eq(snap.resource.code.clone()))
            .one(&txn)
            .await?
        {
            None => {
                create_in(core, &txn, actor, snap, "Excel 导入").await?;
            }
            Some(r) => {
                update_in(core, &txn, actor, r, snap, "Excel 导入", None).await?;
            }
        }
    }
    txn.commit().await?;
    out.applied = true;
    Ok(out)
}

/// Exports the catalog (what the actor may see, optionally filtered) as a workbook.
pub async fn export(core: &Core, actor: &Actor, filter: CatalogFilter) -> Result<Vec<u8>> {
    let (rows, _) = search(
        core,
        actor,
        "",
        filter,
        Page {
            offset: 0,
            limit: i64::MAX as u64,
        },
    )
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in &rows {
        let s = snapshot(&core.db, r).await?;
        entries.push(CatalogEntry {
            resource: s.resource,
            fields: s.fields,
        });
    }
    xlsx::export(&entries).map_err(|e| Error::Internal(e.to_string()))
}
