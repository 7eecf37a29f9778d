//! Sensitivity tags on catalog fields: the scanner's suggestions over a bounded sample, a
//! person's decision on each, and the tag history.
//!
//! # Scanning reads a sample, never a table
//! [`scan`] opens each bound table's data source and reads at most [`SAMPLE_ROWS`] rows of the
//! resource's catalogued columns in one `SELECT ... LIMIT` ([`introspect::sample_rows`]), then
//! runs the [`Scanner`] on every field. Everything is read before anything is written: an
//! unreachable source, a missing table or a failed query is an `invalid_input` error and
//! changes nothing.
//!
//! # One suggestion per (resource, field, tag)
//! A re-scan refreshes a pending suggestion's evidence instead of adding another, and drops a
//! pending one it no longer finds. A decided suggestion (confirmed or rejected) keeps its
//! decision unless the evidence becomes clearly stronger: a confidence at least
//! [`REOPEN_MARGIN`] above the one the decision was taken on reopens it as pending (the decision
//! stays in the tag history). A confirmed suggestion whose tag is still on the field is never
//! reopened. A tag the field already carries is not proposed.
//!
//! # Decisions
//! [`confirm`] adds the tag to the field through the catalog's own update, so the change is a
//! new catalog version with its field diff, the dataset's grade is recomputed (就高从严), and the
//! tag history records it as `confirmed`. A confirmed tag lifts the field to the tag's minimum
//! general sub-level ([`Tag::min_general_sub_level`]); it never lowers a grade. [`reject`] needs
//! a reason. Deciding a suggestion that is already decided is `transition_not_allowed`.
//!
//! # History
//! `field_tag_events` is written by the catalog service on every version that adds or removes a
//! tag (edits, imports, drift adoption, confirmations) and here for rejections, so removing a
//! confirmed tag by hand shows up as `removed` with the version that did it.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;

use super::audit::{self, Change};
use super::{Actor, Core, Page, catalog, datasource};
use crate::catalog::introspect;
use crate::catalog::model::Grade;
use crate::entity::{catalog_resource, field_tag_event, tag_suggestion};
use crate::role::Operation;
use crate::sensitivity::{Scanner, Tag};
use crate::{Error, Result};

/// Rows read from each bound table, at most (the scanner's own bound, too).
pub const SAMPLE_ROWS: u32 = 200;

/// How much stronger (in confidence) a re-scan's evidence must be to reopen a decided suggestion.
pub const REOPEN_MARGIN: f64 = 0.10;

/// Longest decision note or rejection reason, in characters.
const MAX_NOTE: usize = 500;

/// Where a suggestion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Awaiting a decision.
    Pending,
    /// A person confirmed it: the tag is on the field.
    Confirmed,
    /// A person rejected it, with a reason.
    Rejected,
}

impl Status {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Confirmed => "confirmed",
            Status::Rejected => "rejected",
        }
    }
}

/// What a scan read and what it proposes.
#[derive(Debug, Clone)]
pub struct ScanReport {
    /// Bound tables sampled, `source.table`.
    pub tables: Vec<String>,
    /// Rows read, over all tables (at most [`SAMPLE_ROWS`] per table).
    pub rows_sampled: usize,
    /// Catalogued fields none of the bound tables has (not scanned).
    pub missing_fields: Vec<String>,
    /// The suggestions matching this scan's findings, in any status, highest confidence first.
    pub suggestions: Vec<tag_suggestion::Model>,
}

fn note_text(field: &str, v: Option<&str>) -> Result<Option<String>> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    if v.is_some_and(|s| s.chars().count() > MAX_NOTE) {
        return Err(Error::invalid(field, format!("不能超过 {MAX_NOTE} 字")));
    }
    Ok(v.map(str::to_owned))
}

/// Reads the bounded sample of every bound table: catalog field name (lower case) to values.
async fn read_samples(
    core: &Core,
    tables: &[String],
    fields: &[&str],
) -> Result<(BTreeMap<String, Vec<Option<String>>>, usize)> {
    let mut values: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    let mut rows = 0;
    for bound in tables {
        let (src, table) = bound
            .split_once('.')
            .ok_or_else(|| Error::invalid("tables", format!("挂接表“{bound}”须为 数据源编码.表名")))?;
        let ds = datasource::find_source(core, src, "tables").await?;
        let (db, _) = datasource::open(core, &ds)
            .await
            .map_err(|e| Error::invalid("dataSource", e.to_string()))?;
        let sample = introspect::sample_rows(&db, table, fields, SAMPLE_ROWS).await;
        // Closing is a courtesy to the source; the sample is already read.
        let _ = db.close().await;
        let sample = sample.map_err(|e| Error::invalid("tables", format!("{bound}：{e}")))?;
        tracing::debug!(table = %bound, rows = sample.rows.len(), "sensitivity sample read");
        rows += sample.rows.len();
        for (i, column) in sample.columns.iter().enumerate() {
            values
                .entry(column.to_lowercase())
                .or_default()
                .extend(sample.rows.iter().map(|r| r.get(i).cloned().flatten()));
        }
    }
    Ok((values, rows))
}

/// Scans a resource's bound tables (a bounded sample each) and records the suggestions.
#[tracing::instrument(skip(core, actor), fields(actor = actor.id))]
pub async fn scan(core: &Core, actor: &Actor, resource_id: i64) -> Result<ScanReport> {
    actor.require(Operation::ManageCatalog)?;
    let r = catalog::get(core, actor, resource_id).await?;
    let snap = catalog::snapshot(&core.db, &r).await?;
    if snap.resource.tables.is_empty() {
        return Err(Error::invalid("tables", "资源未挂接数据库表，无法扫描"));
    }
    if snap.fields.is_empty() {
        return Err(Error::invalid("fields", "资源没有信息项，无法扫描"));
    }
    let names: Vec<&str> = snap.fields.iter().map(|f| f.name.as_str()).collect();
    let (values, rows_sampled) = read_samples(core, &snap.resource.tables, &names).await?;

    let scanner = Scanner {
        max_sample: SAMPLE_ROWS as usize,
        ..Scanner::default()
    };
    let mut missing_fields = Vec::new();
    // (field name as catalogued, suggestion, tags the field carries)
    let mut findings = Vec::new();
    for f in &snap.fields {
        let Some(vals) = values.get(&f.name.to_lowercase()) else {
            missing_fields.push(f.name.clone());
            continue;
        };
        let vals: Vec<Option<&str>> = vals.iter().map(|v| v.as_deref()).collect();
        let comment = Some(f.cn_name.as_str()).filter(|c| !c.trim().is_empty());
        let carried: BTreeSet<&'static str> = f.tags.iter().filter_map(|t| Tag::parse(t)).map(Tag::as_str).collect();
        let found = scanner.scan(&f.name, comment, &vals);
        findings.push((f.name.clone(), found, carried));
    }

    let now = core.now();
    let txn = core.begin().await?;
    let existing = tag_suggestion::Entity::find()
        .filter(tag_suggestion::Column::ResourceId.eq(r.id))
        .all(&txn)
        .await?;
    let (mut created, mut refreshed, mut reopened, mut dropped) = (0, 0, 0, 0);
    let mut keys = Vec::new();
    for (field, found, carried) in &findings {
        let same_field = |s: &&tag_suggestion::Model| s.field_name.eq_ignore_ascii_case(field);
        for s in found {
            let tag = s.tag.as_str();
            let row = existing.iter().filter(same_field).find(|e| e.tag == tag);
            let evidence = |am: &mut tag_suggestion::ActiveModel| {
                am.confidence = Set(s.confidence);
                am.matched = Set(s.matched as i32);
                am.sampled = Set(s.sampled as i32);
                am.reason = Set(s.reason.clone());
                am.scanned_at = Set(now);
            };
            match row {
                None if carried.contains(tag) => continue,
                None => {
                    let mut am = tag_suggestion::ActiveModel {
                        resource_id: Set(r.id),
                        field_name: Set(field.clone()),
                        tag: Set(tag.to_owned()),
                        status: Set(Status::Pending.as_str().to_owned()),
                        ..Default::default()
                    };
                    evidence(&mut am);
                    // A concurrent scan may have inserted it: its row stands.
                    tag_suggestion::Entity::insert(am)
                        .on_conflict(
                            OnConflict::columns([
                                tag_suggestion::Column::ResourceId,
                                tag_suggestion::Column::FieldName,
                                tag_suggestion::Column::Tag,
                            ])
                            .do_nothing()
                            .to_owned(),
                        )
                        .exec_without_returning(&txn)
                        .await?;
                    created += 1;
                }
                Some(e) if e.status == Status::Pending.as_str() => {
                    let mut am: tag_suggestion::ActiveModel = e.clone().into();
                    evidence(&mut am);
                    am.update(&txn).await?;
                    refreshed += 1;
                }
                Some(e) => {
                    let still_carried = e.status == Status::Confirmed.as_str() && carried.contains(tag);
                    let decided_on = e.decided_confidence.unwrap_or(e.confidence);
                    if !still_carried && s.confidence >= decided_on + REOPEN_MARGIN - 1e-9 {
                        let mut am: tag_suggestion::ActiveModel = e.clone().into();
                        evidence(&mut am);
                        am.status = Set(Status::Pending.as_str().to_owned());
                        am.decided_by = Set(None);
                        am.decided_at = Set(None);
                        am.decision_note = Set(None);
                        am.decided_confidence = Set(None);
                        am.update(&txn).await?;
                        reopened += 1;
                    }
                }
            }
            keys.push((field.to_lowercase(), tag));
        }
        // Pending suggestions this scan no longer finds, or whose tag the field now carries.
        for e in existing.iter().filter(same_field) {
            let gone = !found.iter().any(|s| s.tag.as_str() == e.tag) || carried.contains(e.tag.as_str());
            if e.status == Status::Pending.as_str() && gone {
                tag_suggestion::Entity::delete_by_id(e.id).exec(&txn).await?;
                dropped += 1;
            }
        }
    }
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "sensitivity.scan",
            subject_type: "catalog_resource",
            subject_id: r.code.clone(),
            before: None,
            after: Some(json!({
                "tables": snap.resource.tables, "rowsSampled": rows_sampled, "created": created,
                "refreshed": refreshed, "reopened": reopened, "dropped": dropped,
            })),
        },
    )
    .await?;
    let mut suggestions: Vec<tag_suggestion::Model> = tag_suggestion::Entity::find()
        .filter(tag_suggestion::Column::ResourceId.eq(r.id))
        .all(&txn)
        .await?
        .into_iter()
        .filter(|s| {
            keys.iter()
                .any(|(f, t)| *f == s.field_name.to_lowercase() && *t == s.tag)
        })
        .collect();
    txn.commit().await?;
    suggestions.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.id.cmp(&b.id)));
    Ok(ScanReport {
        tables: snap.resource.tables,
        rows_sampled,
        missing_fields,
        suggestions,
    })
}

/// Loads a suggestion that is still pending, inside the deciding transaction.
async fn pending(txn: &sea_orm::DatabaseTransaction, id: i64, event: &str) -> Result<tag_suggestion::Model> {
    let s = tag_suggestion::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("tag_suggestion"))?;
    if s.status != Status::Pending.as_str() {
        return Err(Error::TransitionNotAllowed {
            state: s.status,
            event: event.to_owned(),
        });
    }
    Ok(s)
}

/// Marks a pending suggestion decided; fails if another decision got there first.
async fn decide(
    txn: &sea_orm::DatabaseTransaction,
    s: &tag_suggestion::Model,
    to: Status,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
    note: Option<String>,
) -> Result<tag_suggestion::Model> {
    let res = tag_suggestion::Entity::update_many()
        .set(tag_suggestion::ActiveModel {
            status: Set(to.as_str().to_owned()),
            decided_by: Set(actor.audit_id()),
            decided_at: Set(Some(now)),
            decision_note: Set(note),
            decided_confidence: Set(Some(s.confidence)),
            ..Default::default()
        })
        .filter(tag_suggestion::Column::Id.eq(s.id))
        .filter(tag_suggestion::Column::Status.eq(Status::Pending.as_str()))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(Error::TransitionNotAllowed {
            state: "decided".into(),
            event: to.as_str().into(),
        });
    }
    tag_suggestion::Entity::find_by_id(s.id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("tag_suggestion"))
}

/// Confirms a suggestion: the tag goes onto the field as a new catalog version (grade lifted to
/// the tag's minimum, dataset grade recomputed), and the history records it.
#[tracing::instrument(skip(core, actor, note), fields(actor = actor.id))]
pub async fn confirm(
    core: &Core,
    actor: &Actor,
    suggestion_id: i64,
    note: Option<&str>,
) -> Result<(tag_suggestion::Model, catalog_resource::Model)> {
    actor.require(Operation::ManageCatalog)?;
    let note = note_text("note", note)?;
    let txn = core.begin().await?;
    let s = pending(&txn, suggestion_id, "confirm").await?;
    let tag = Tag::parse(&s.tag).ok_or_else(|| Error::Internal(format!("unknown stored tag {}", s.tag)))?;
    let r = catalog_resource::Entity::find_by_id(s.resource_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("catalog_resource"))?;
    let sub_levels = super::classification::general_sub_levels(&txn).await?;
    let mut snap = catalog::snapshot(&txn, &r).await?;
    let field = snap
        .fields
        .iter_mut()
        .find(|f| f.name.eq_ignore_ascii_case(&s.field_name))
        .ok_or_else(|| Error::invalid("suggestionId", format!("字段已不在目录中：{}", s.field_name)))?;
    if !field.tags.iter().any(|t| Tag::parse(t) == Some(tag)) {
        field.tags.push(tag.as_str().to_owned());
    }
    if let Some(min) = tag.min_general_sub_level()
        && matches!(field.grade, None | Some(Grade::General))
    {
        let min = min.min(sub_levels);
        field.grade = Some(Grade::General);
        field.sub_level = Some(field.sub_level.unwrap_or(1).max(min));
    }
    let field_name = field.name.clone();
    let now = core.now();
    let decided = decide(&txn, &s, Status::Confirmed, actor, now, note.clone()).await?;
    let version_note = match &note {
        Some(n) => format!("确认敏感标签：{field_name}（{}）；{n}", tag.label()),
        None => format!("确认敏感标签：{field_name}（{}）", tag.label()),
    };
    let updated =
        catalog::update_within(core, &txn, actor, r.id, r.version, snap, &version_note, Some(&decided)).await?;
    if updated.version == r.version {
        // The field carried the tag already (added by hand): no new version, but the decision
        // still belongs in the history.
        field_tag_event::ActiveModel {
            resource_id: Set(r.id),
            field_name: Set(field_name.clone()),
            tag: Set(tag.as_str().to_owned()),
            action: Set("confirmed".to_owned()),
            actor_id: Set(actor.audit_id()),
            at: Set(now),
            note: Set(version_note),
            catalog_version: Set(Some(r.version)),
            suggestion_id: Set(Some(s.id)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "sensitivity.confirm",
            subject_type: "tag_suggestion",
            subject_id: s.id.to_string(),
            before: Some(json!({ "status": s.status })),
            after: Some(json!({
                "status": decided.status, "resource": r.code, "field": field_name, "tag": s.tag,
                "catalogVersion": updated.version, "grade": updated.grade, "subLevel": updated.sub_level,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((decided, updated))
}

/// Rejects a suggestion, with a reason (required).
#[tracing::instrument(skip(core, actor, reason), fields(actor = actor.id))]
pub async fn reject(
    core: &Core,
    actor: &Actor,
    suggestion_id: i64,
    reason: Option<&str>,
) -> Result<tag_suggestion::Model> {
    actor.require(Operation::ManageCatalog)?;
    let reason = note_text("reason", reason)?.ok_or(Error::MissingField("reason"))?;
    let txn = core.begin().await?;
    let s = pending(&txn, suggestion_id, "reject").await?;
    let r = catalog_resource::Entity::find_by_id(s.resource_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("catalog_resource"))?;
    let now = core.now();
    let decided = decide(&txn, &s, Status::Rejected, actor, now, Some(reason.clone())).await?;
    field_tag_event::ActiveModel {
        resource_id: Set(r.id),
        field_name: Set(s.field_name.clone()),
        tag: Set(s.tag.clone()),
        action: Set("rejected".to_owned()),
        actor_id: Set(actor.audit_id()),
        at: Set(now),
        note: Set(reason.clone()),
        catalog_version: Set(None),
        suggestion_id: Set(Some(s.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "sensitivity.reject",
            subject_type: "tag_suggestion",
            subject_id: s.id.to_string(),
            before: Some(json!({ "status": s.status })),
            after: Some(json!({
                "status": decided.status, "resource": r.code, "field": s.field_name, "tag": s.tag, "reason": reason,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(decided)
}

/// A resource's suggestions, optionally in one status: by field, highest confidence first.
pub async fn suggestions(
    core: &Core,
    actor: &Actor,
    resource_id: i64,
    status: Option<Status>,
    page: Page,
) -> Result<(Vec<tag_suggestion::Model>, u64)> {
    actor.require(Operation::ViewCatalog)?;
    catalog::get(core, actor, resource_id).await?;
    let mut q = tag_suggestion::Entity::find().filter(tag_suggestion::Column::ResourceId.eq(resource_id));
    if let Some(s) = status {
        q = q.filter(tag_suggestion::Column::Status.eq(s.as_str()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(tag_suggestion::Column::FieldName)
        .order_by_desc(tag_suggestion::Column::Confidence)
        .order_by_asc(tag_suggestion::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// The tag history of a resource (or of one of its fields), newest first.
pub async fn history(
    core: &Core,
    actor: &Actor,
    resource_id: i64,
    field_name: Option<&str>,
    page: Page,
) -> Result<(Vec<field_tag_event::Model>, u64)> {
    actor.require(Operation::ViewCatalog)?;
    catalog::get(core, actor, resource_id).await?;
    let mut q = field_tag_event::Entity::find().filter(field_tag_event::Column::ResourceId.eq(resource_id));
    if let Some(f) = field_name.map(str::trim).filter(|f| !f.is_empty()) {
        q = q.filter(field_tag_event::Column::FieldName.eq(f));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(field_tag_event::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}
