//! One file per enterprise (一企一档) as stored: source records, the merged identity, field
//! history, conflicts with their tickets, and the admin's source precedence.
//!
//! - **Import** ([`import`], [`Operation::ImportEnterpriseData`]): a batch of one source is
//!   parsed whole; any bad row refuses the batch (every problem is returned with its row number
//!   and a Chinese reason) and nothing is written. Otherwise, in one transaction: records are
//!   upserted by (source, record key); a record whose content hash is unchanged is not written
//!   again (a re-import is a no-op); each identity value a record states for the first time, or
//!   changes, is appended to the field history (which source said what, when); the enterprises
//!   concerned join the dirty set; one audit event.
//! - **Merge** ([`merge`]): takes the dirty set in chunks, so after one source changes only the
//!   enterprises it touched are merged again (a full merge first puts every enterprise in the
//!   set). Per chunk, in one transaction: the merged identities that changed, the conflicts
//!   opened, updated or resolved (a resolved conflict stays, `resolved`, with its time), the
//!   dirty rows taken, and one audit event listing every change. Then each new or changed
//!   conflict reports to a quality-issue ticket (dedup key `enterprise:{code}:{field}`, source
//!   `enterprise_merge`, subject the enterprise), which adds an occurrence while one is open.
//! - **Precedence** ([`set_precedence`], [`Operation::ManageEnterpriseSources`]): per field, the
//!   source order and, for coordinates, the distance tolerance; versioned and audited, and every
//!   enterprise joins the dirty set so that the next merge applies it.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Change};
use super::tickets::{self, Finding, Subject, report_finding};
use super::{Actor, Core, Page};
use crate::enterprise::{
    Candidate, Field, Identity, Merged, Observation, Payload, Precedence, RawRecord, RowProblem, Source, Value,
    parse_batch,
};
use crate::entity::{
    enterprise, enterprise_conflict, enterprise_dirty, enterprise_field_history, enterprise_precedence,
    enterprise_record, ticket,
};
use crate::ident::CreditCode;
use crate::role::Operation;
use crate::workflow::{Severity, TicketKind};
use crate::{Error, Result};

/// Most rows in one import batch.
pub const MAX_BATCH: usize = 10_000;
/// Enterprises merged per transaction.
pub const MERGE_CHUNK: u64 = 1_000;
/// Values per `IN (…)` list and rows per multi-row insert (well under SQLite's and
/// PostgreSQL's bound-parameter limits).
const CHUNK: usize = 500;
/// Source of the tickets a conflict opens.
pub const TICKET_SOURCE: &str = "enterprise_merge";

/// The dedup key of a conflict's ticket.
pub fn dedup_key(code: &str, field: Field) -> String {
    format!("enterprise:{code}:{}", field.as_str())
}

/// What an import did (or, refused, why).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportOutcome {
    /// Whether anything was written.
    pub applied: bool,
    /// Rows received.
    pub received: usize,
    /// Records new to the store.
    pub created: usize,
    /// Records whose content changed.
    pub updated: usize,
    /// Records received again unchanged (not written).
    pub unchanged: usize,
    /// Enterprises put in the dirty set.
    pub dirty: usize,
    /// Distinct credit codes of the batch that fail their check character.
    pub suspect_codes: Vec<String>,
    /// Every problem, in row order (the batch is refused if there is any).
    pub problems: Vec<RowProblem>,
}

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeOutcome {
    /// Enterprises merged (taken from the dirty set).
    pub merged: usize,
    /// Of which the merged identity changed (new ones included).
    pub changed: usize,
    /// Conflicts newly found (or found again after being resolved).
    pub conflicts_opened: usize,
    /// Conflicts whose sources agree again.
    pub conflicts_resolved: usize,
    /// Tickets reported to (opened, or an occurrence added).
    pub tickets_reported: usize,
}

impl MergeOutcome {
    fn add(&mut self, o: MergeOutcome) {
        self.merged += o.merged;
        self.changed += o.changed;
        self.conflicts_opened += o.conflicts_opened;
        self.conflicts_resolved += o.conflicts_resolved;
        self.tickets_reported += o.tickets_reported;
    }
}

/// The winning value of a field, as stored with the enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Winner {
    /// Merged value as text (coordinates `longitude,latitude`).
    pub value: String,
    /// Source it comes from.
    pub source: Source,
    /// Record it comes from.
    pub record_key: String,
    /// When that record's content was received.
    pub received_at: DateTime<Utc>,
    /// Whether sources disagree on this field now.
    pub conflict: bool,
}

/// The stored winners of an enterprise, by field.
pub fn winners_of(m: &enterprise::Model) -> BTreeMap<Field, Winner> {
    serde_json::from_str(&m.winners).unwrap_or_default()
}

/// The stored candidates of a conflict.
pub fn candidates_of(c: &enterprise_conflict::Model) -> Vec<Candidate> {
    serde_json::from_str(&c.candidates).unwrap_or_default()
}

fn internal(e: serde_json::Error) -> Error {
    Error::Internal(e.to_string())
}

fn count_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Imports a batch of one source (see the module rules).
#[tracing::instrument(skip(core, actor, rows), fields(actor = actor.id, source = source.as_str(), rows = rows.len()))]
pub async fn import(core: &Core, actor: &Actor, source: Source, rows: &[RawRecord]) -> Result<ImportOutcome> {
    actor.require(Operation::ImportEnterpriseData)?;
    if rows.is_empty() {
        return Err(Error::invalid("records", "至少需要一条记录"));
    }
    if rows.len() > MAX_BATCH {
        return Err(Error::invalid("records", format!("一批最多 {MAX_BATCH} 条记录")));
    }
    let records = match parse_batch(source, rows) {
        Ok(r) => r,
        Err(problems) => {
            return Ok(ImportOutcome {
                received: rows.len(),
                problems,
                ..Default::default()
            });
        }
    };
    let mut outcome = ImportOutcome {
        applied: true,
        received: rows.len(),
        ..Default::default()
    };
    let mut suspects: Vec<String> = records
        .iter()
        .filter(|r| r.credit_code.is_suspect())
        .map(|r| r.credit_code.as_str().to_owned())
        .collect();
    suspects.sort();
    suspects.dedup();
    outcome.suspect_codes = suspects;

    let now = core.now();
    let txn = core.begin().await?;
    let mut existing: HashMap<String, enterprise_record::Model> = HashMap::new();
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    for chunk in keys.chunks(CHUNK) {
        for m in enterprise_record::Entity::find()
            .filter(enterprise_record::Column::Source.eq(source.as_str()))
            .filter(enterprise_record::Column::RecordKey.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            existing.insert(m.record_key.clone(), m);
        }
    }
    let mut upserts = Vec::new();
    let mut history = Vec::new();
    let mut dirty: Vec<String> = Vec::new();
    for r in &records {
        let hash = r.content_hash();
        let code = r.credit_code.as_str();
        let before: Option<Identity> = match existing.get(&r.key) {
            Some(e) if e.content_hash == hash => {
                outcome.unchanged += 1;
                continue;
            }
            Some(e) => {
                outcome.updated += 1;
                if e.credit_code != code {
                    dirty.push(e.credit_code.clone());
                    None
                } else {
                    Some(Payload::from_json(&e.payload)?.identity)
                }
            }
            None => {
                outcome.created += 1;
                None
            }
        };
        dirty.push(code.to_owned());
        for f in Field::ALL {
            let new = f.value_of(&r.payload.identity).map(|v| v.display());
            let old = before.as_ref().and_then(|i| f.value_of(i)).map(|v| v.display());
            let first = before.is_none();
            if (first && new.is_some()) || (!first && new != old) {
                history.push(enterprise_field_history::ActiveModel {
                    credit_code: Set(code.to_owned()),
                    field: Set(f.as_str().to_owned()),
                    source: Set(source.as_str().to_owned()),
                    record_key: Set(r.key.clone()),
                    value: Set(new),
                    received_at: Set(now),
                    ..Default::default()
                });
            }
        }
        upserts.push(enterprise_record::ActiveModel {
            source: Set(source.as_str().to_owned()),
            record_key: Set(r.key.clone()),
            credit_code: Set(code.to_owned()),
            payload: Set(r.payload.to_json()),
            content_hash: Set(hash),
            first_received_at: Set(now),
            received_at: Set(now),
            ..Default::default()
        });
    }
    dirty.sort();
    dirty.dedup();
    outcome.dirty = dirty.len();
    for chunk in upserts.chunks(CHUNK) {
        enterprise_record::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([enterprise_record::Column::Source, enterprise_record::Column::RecordKey])
                    .update_columns([
                        enterprise_record::Column::CreditCode,
                        enterprise_record::Column::Payload,
                        enterprise_record::Column::ContentHash,
                        enterprise_record::Column::ReceivedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in history.chunks(CHUNK) {
        enterprise_field_history::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    mark_dirty(&txn, &dirty, now).await?;
    if outcome.created + outcome.updated > 0 {
        audit::append(
            &txn,
            actor,
            now,
            Change {
                action: "enterprise.import",
                subject_type: "enterprise_source",
                subject_id: source.as_str().to_owned(),
                before: None,
                after: Some(json!({
                    "received": outcome.received, "created": outcome.created, "updated": outcome.updated,
                    "unchanged": outcome.unchanged, "enterprises": dirty,
                })),
            },
        )
        .await?;
    }
    txn.commit().await?;
    if outcome.created >= ANALYZE_AFTER {
        refresh_statistics(core).await;
    }
    Ok(outcome)
}

/// New records after which an import refreshes PostgreSQL's statistics of the tables it fills.
const ANALYZE_AFTER: usize = 1_000;

/// `ANALYZE` of the tables a bulk import grows (PostgreSQL only). Without it, plans cached
/// while the tables were small (a record lookup that filters the key list instead of probing
/// the index) stay in use as they grow, and an import of 250,000 records slowed down
/// quadratically (316 s instead of ~15 s). Best effort: the import has committed.
async fn refresh_statistics(core: &Core) {
    if core.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    if let Err(e) = core
        .db
        .execute_unprepared("ANALYZE enterprise_records, enterprise_field_history, enterprise_dirty")
        .await
    {
        tracing::warn!(error = %e, "ANALYZE after an enterprise import failed");
    }
}

async fn mark_dirty<C: ConnectionTrait>(conn: &C, codes: &[String], now: DateTime<Utc>) -> Result<()> {
    for chunk in codes.chunks(CHUNK) {
        let rows = chunk.iter().map(|c| enterprise_dirty::ActiveModel {
            credit_code: Set(c.clone()),
            marked_at: Set(now),
        });
        enterprise_dirty::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(enterprise_dirty::Column::CreditCode)
                    .update_column(enterprise_dirty::Column::MarkedAt)
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Puts every enterprise with records (or `from_enterprises`: every merged enterprise) in the
/// dirty set, in one statement.
async fn mark_all_dirty<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>, from_enterprises: bool) -> Result<()> {
    let mut select = Query::select();
    if from_enterprises {
        select.column(enterprise::Column::CreditCode).from(enterprise::Entity);
    } else {
        select
            .distinct()
            .column(enterprise_record::Column::CreditCode)
            .from(enterprise_record::Entity);
    }
    // The WHERE keeps SQLite from reading ON CONFLICT as part of a join.
    select.expr(Expr::value(now)).and_where(Expr::val(1).eq(1));
    let insert = Query::insert()
        .into_table(enterprise_dirty::Entity)
        .columns([enterprise_dirty::Column::CreditCode, enterprise_dirty::Column::MarkedAt])
        .select_from(select)
        .map_err(|e| Error::Internal(e.to_string()))?
        .on_conflict(
            OnConflict::column(enterprise_dirty::Column::CreditCode)
                .update_column(enterprise_dirty::Column::MarkedAt)
                .to_owned(),
        )
        .to_owned();
    conn.execute(&insert).await?;
    Ok(())
}

/// The configured precedence.
pub async fn load_precedence<C: ConnectionTrait>(conn: &C) -> Result<Precedence> {
    let mut p = Precedence::default();
    for row in enterprise_precedence::Entity::find().all(conn).await? {
        let field = Field::parse(&row.field)?;
        let names: Vec<String> = serde_json::from_str(&row.sources).map_err(internal)?;
        let sources = names.iter().map(|s| Source::parse(s)).collect::<Result<Vec<_>>>()?;
        p.order.insert(field, sources);
        if field == Field::Coordinates {
            p.tolerance_m = row.tolerance_m;
        }
    }
    Ok(p)
}

/// Enterprises waiting to be merged.
pub async fn dirty_count(core: &Core, actor: &Actor) -> Result<u64> {
    actor.require(Operation::ViewEnterprises)?;
    Ok(enterprise_dirty::Entity::find().count(&core.db).await?)
}

/// Merges the dirty set (all enterprises if `full`); see the module rules.
#[tracing::instrument(skip(core, actor), fields(actor = actor.id))]
pub async fn merge(core: &Core, actor: &Actor, full: bool) -> Result<MergeOutcome> {
    actor.require(Operation::ImportEnterpriseData)?;
    if full {
        mark_all_dirty(&core.db, core.now(), false).await?;
    }
    let precedence = load_precedence(&core.db).await?;
    let mut out = MergeOutcome::default();
    loop {
        let read_at = core.now();
        let codes: Vec<String> = enterprise_dirty::Entity::find()
            .select_only()
            .column(enterprise_dirty::Column::CreditCode)
            .order_by_asc(enterprise_dirty::Column::CreditCode)
            .limit(MERGE_CHUNK)
            .into_tuple()
            .all(&core.db)
            .await?;
        if codes.is_empty() {
            break;
        }
        let (o, taken) = merge_chunk(core, actor, &precedence, &codes, read_at).await?;
        out.add(o);
        if taken == 0 {
            // Marked again since we read them (a concurrent import): the next merge takes them.
            break;
        }
    }
    Ok(out)
}

/// A stored record as merge reads it: source, key, received time, content.
type StoredRecord = (Source, String, DateTime<Utc>, Payload);

/// A conflict to write, and whether its ticket must hear of it.
struct ConflictWrite {
    code: String,
    field: Field,
    candidates: Vec<Candidate>,
    existing: Option<enterprise_conflict::Model>,
    open: bool,
    report: bool,
}

fn same_candidates(a: &[Candidate], b: &[Candidate]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.source == y.source && x.value == y.value)
}

fn identity_json(m: &enterprise::Model) -> serde_json::Value {
    json!({
        "name": m.name, "address": m.address, "legal_representative": m.legal_representative,
        "industry": m.industry, "longitude": m.longitude, "latitude": m.latitude,
        "suspect": m.suspect, "open_conflicts": m.open_conflicts,
    })
}

async fn merge_chunk(
    core: &Core,
    actor: &Actor,
    precedence: &Precedence,
    codes: &[String],
    read_at: DateTime<Utc>,
) -> Result<(MergeOutcome, u64)> {
    let mut out = MergeOutcome {
        merged: codes.len(),
        ..Default::default()
    };
    let now = core.now();
    let txn = core.begin().await?;
    let mut records: HashMap<String, Vec<StoredRecord>> = HashMap::new();
    let mut enterprises: HashMap<String, enterprise::Model> = HashMap::new();
    let mut conflicts: HashMap<(String, String), enterprise_conflict::Model> = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let list = || chunk.iter().cloned();
        for r in enterprise_record::Entity::find()
            .filter(enterprise_record::Column::CreditCode.is_in(list()))
            .all(&txn)
            .await?
        {
            let source = Source::parse(&r.source)?;
            let payload = Payload::from_json(&r.payload)?;
            records
                .entry(r.credit_code)
                .or_default()
                .push((source, r.record_key, r.received_at, payload));
        }
        for e in enterprise::Entity::find()
            .filter(enterprise::Column::CreditCode.is_in(list()))
            .all(&txn)
            .await?
        {
            enterprises.insert(e.credit_code.clone(), e);
        }
        for c in enterprise_conflict::Entity::find()
            .filter(enterprise_conflict::Column::CreditCode.is_in(list()))
            .all(&txn)
            .await?
        {
            conflicts.insert((c.credit_code.clone(), c.field.clone()), c);
        }
    }

    let mut upserts = Vec::new();
    let mut removed = Vec::new();
    let mut writes: Vec<ConflictWrite> = Vec::new();
    let mut changes = Vec::new();
    for code in codes {
        let before = enterprises.get(code);
        let Some(recs) = records.get(code) else {
            // Its records moved to another code: the enterprise goes, its conflicts resolve.
            if let Some(b) = before {
                removed.push(b.id);
                changes.push(json!({"credit_code": code, "before": identity_json(b), "after": null}));
            }
            for f in Field::ALL {
                if let Some(c) = conflicts.get(&(code.clone(), f.as_str().to_owned()))
                    && c.status == "open"
                {
                    writes.push(ConflictWrite {
                        code: code.clone(),
                        field: f,
                        candidates: Vec::new(),
                        existing: Some(c.clone()),
                        open: false,
                        report: false,
                    });
                }
            }
            continue;
        };
        let observations: Vec<Observation<'_>> = recs
            .iter()
            .map(|(source, key, at, payload)| Observation {
                source: *source,
                key,
                received_at: *at,
                identity: &payload.identity,
            })
            .collect();
        let merged = crate::enterprise::merge(&observations, precedence);
        let suspect = CreditCode::parse(code).map(|c| c.is_suspect()).unwrap_or(true);
        let row = merged_row(code, suspect, &merged, recs.len(), now)?;
        for o in &merged.fields {
            let existing = conflicts.get(&(code.clone(), o.field.as_str().to_owned())).cloned();
            let write = match (&existing, o.conflict) {
                (None, true) => Some((true, true)),
                (Some(c), true) if c.status != "open" => Some((true, true)),
                (Some(c), true) => {
                    let same = same_candidates(&candidates_of(c), &o.candidates);
                    (!same || c.ticket_id.is_none()).then_some((true, !same || c.ticket_id.is_none()))
                }
                (Some(c), false) if c.status == "open" => Some((false, false)),
                _ => None,
            };
            if let Some((open, report)) = write {
                writes.push(ConflictWrite {
                    code: code.clone(),
                    field: o.field,
                    candidates: o.candidates.clone(),
                    existing,
                    open,
                    report,
                });
            }
        }
        let changed = match before {
            None => true,
            Some(b) => {
                b.suspect != row.suspect
                    || b.name != row.name
                    || b.address != row.address
                    || b.legal_representative != row.legal_representative
                    || b.industry != row.industry
                    || b.longitude != row.longitude
                    || b.latitude != row.latitude
                    || b.winners != row.winners
                    || b.open_conflicts != row.open_conflicts
                    || b.record_count != row.record_count
            }
        };
        if changed {
            out.changed += 1;
            changes.push(json!({
                "credit_code": code, "before": before.map(identity_json), "after": identity_json(&row),
            }));
            upserts.push(enterprise::ActiveModel {
                credit_code: Set(row.credit_code),
                suspect: Set(row.suspect),
                name: Set(row.name),
                address: Set(row.address),
                legal_representative: Set(row.legal_representative),
                industry: Set(row.industry),
                longitude: Set(row.longitude),
                latitude: Set(row.latitude),
                winners: Set(row.winners),
                open_conflicts: Set(row.open_conflicts),
                record_count: Set(row.record_count),
                merged_at: Set(now),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    for chunk in upserts.chunks(CHUNK / 2) {
        use enterprise::Column as C;
        enterprise::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(C::CreditCode)
                    .update_columns([
                        C::Suspect,
                        C::Name,
                        C::Address,
                        C::LegalRepresentative,
                        C::Industry,
                        C::Longitude,
                        C::Latitude,
                        C::Winners,
                        C::OpenConflicts,
                        C::RecordCount,
                        C::MergedAt,
                        C::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    if !removed.is_empty() {
        enterprise::Entity::delete_many()
            .filter(enterprise::Column::Id.is_in(removed))
            .exec(&txn)
            .await?;
    }
    let mut inserts = Vec::new();
    let mut conflict_changes = Vec::new();
    for w in &writes {
        let candidates = serde_json::to_string(&w.candidates).map_err(internal)?;
        conflict_changes.push(json!({
            "credit_code": w.code, "field": w.field.as_str(), "status": if w.open { "open" } else { "resolved" },
            "candidates": w.candidates,
        }));
        if w.open && w.existing.as_ref().is_none_or(|c| c.status != "open") {
            out.conflicts_opened += 1;
        }
        if !w.open {
            out.conflicts_resolved += 1;
        }
        match &w.existing {
            None => inserts.push(enterprise_conflict::ActiveModel {
                credit_code: Set(w.code.clone()),
                field: Set(w.field.as_str().to_owned()),
                candidates: Set(candidates),
                status: Set("open".into()),
                ticket_id: Set(None),
                detected_at: Set(now),
                updated_at: Set(now),
                resolved_at: Set(None),
                ..Default::default()
            }),
            Some(c) => {
                let mut am = enterprise_conflict::ActiveModel {
                    id: sea_orm::ActiveValue::Unchanged(c.id),
                    updated_at: Set(now),
                    ..Default::default()
                };
                if w.open {
                    am.candidates = Set(candidates);
                    if c.status != "open" {
                        am.status = Set("open".into());
                        am.detected_at = Set(now);
                        am.resolved_at = Set(None);
                    }
                } else {
                    am.status = Set("resolved".into());
                    am.resolved_at = Set(Some(now));
                    if !w.candidates.is_empty() {
                        am.candidates = Set(candidates);
                    }
                }
                am.update(&txn).await?;
            }
        }
    }
    for chunk in inserts.chunks(CHUNK) {
        enterprise_conflict::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let mut taken = 0;
    for chunk in codes.chunks(CHUNK) {
        taken += enterprise_dirty::Entity::delete_many()
            .filter(enterprise_dirty::Column::CreditCode.is_in(chunk.iter().cloned()))
            .filter(enterprise_dirty::Column::MarkedAt.lte(read_at))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    if !changes.is_empty() || !conflict_changes.is_empty() {
        audit::append(
            &txn,
            actor,
            now,
            Change {
                action: "enterprise.merge",
                subject_type: "enterprise",
                subject_id: format!(
                    "{}..{}",
                    codes.first().map(String::as_str).unwrap_or_default(),
                    codes.last().map(String::as_str).unwrap_or_default()
                ),
                before: None,
                after: Some(json!({
                    "merged": codes.len(), "changed": changes, "conflicts": conflict_changes,
                })),
            },
        )
        .await?;
    }
    txn.commit().await?;

    for w in writes.iter().filter(|w| w.report) {
        let t = report_conflict(core, &w.code, w.field, &w.candidates).await?;
        out.tickets_reported += 1;
        enterprise_conflict::Entity::update_many()
            .col_expr(enterprise_conflict::Column::TicketId, Expr::value(Some(t.id)))
            .filter(enterprise_conflict::Column::CreditCode.eq(w.code.clone()))
            .filter(enterprise_conflict::Column::Field.eq(w.field.as_str()))
            .exec(&core.db)
            .await?;
    }
    Ok((out, taken))
}

/// The enterprise row a merge produces.
fn merged_row(code: &str, suspect: bool, m: &Merged, records: usize, now: DateTime<Utc>) -> Result<enterprise::Model> {
    let text = |f: Field| match m.value(f) {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let point = match m.value(Field::Coordinates) {
        Some(Value::Point(p)) => Some(*p),
        _ => None,
    };
    let winners: BTreeMap<Field, Winner> = m
        .fields
        .iter()
        .filter_map(|o| {
            o.winner.as_ref().map(|w| {
                (
                    o.field,
                    Winner {
                        value: w.value.display(),
                        source: w.source,
                        record_key: w.record_key.clone(),
                        received_at: w.received_at,
                        conflict: o.conflict,
                    },
                )
            })
        })
        .collect();
    Ok(enterprise::Model {
        id: 0,
        credit_code: code.to_owned(),
        suspect,
        name: text(Field::Name),
        address: text(Field::Address),
        legal_representative: text(Field::LegalRepresentative),
        industry: text(Field::Industry),
        longitude: point.map(|p| p.longitude),
        latitude: point.map(|p| p.latitude),
        winners: serde_json::to_string(&winners).map_err(internal)?,
        open_conflicts: count_i32(m.conflicts().count()),
        record_count: count_i32(records),
        merged_at: now,
        created_at: now,
        updated_at: now,
    })
}

/// Opens (or adds an occurrence to) the conflict's quality-issue ticket.
async fn report_conflict(core: &Core, code: &str, field: Field, candidates: &[Candidate]) -> Result<ticket::Model> {
    let name = candidates
        .iter()
        .find_map(|c| match (&c.value, field) {
            (Value::Text(t), Field::Name) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_else(|| code.to_owned());
    let short: String = name.chars().take(60).collect();
    let said: Vec<String> = candidates
        .iter()
        .map(|c| format!("{}（{}）：{}", c.source.label(), c.record_key, c.value.display()))
        .collect();
    let (t, _) = report_finding(
        core,
        Finding {
            kind: TicketKind::QualityIssue,
            source: TICKET_SOURCE.into(),
            dedup_key: dedup_key(code, field),
            title: format!("企业信息冲突：{short}（{code}）{}", field.label()),
            description: format!(
                "统一社会信用代码 {code} 的{}在各来源间不一致：{}。请核实后更正来源数据。",
                field.label(),
                said.join("；")
            ),
            severity: if field == Field::Coordinates {
                Severity::Low
            } else {
                Severity::Medium
            },
            subject: Some(Subject {
                kind: "enterprise".into(),
                id: code.to_owned(),
            }),
            department_id: None,
            detail: json!({ "credit_code": code, "field": field.as_str(), "candidates": candidates }),
        },
    )
    .await?;
    Ok(t)
}

/// The configured precedence rules, by field.
pub async fn precedence_rules(core: &Core, actor: &Actor) -> Result<Vec<enterprise_precedence::Model>> {
    actor.require(Operation::ViewEnterprises)?;
    Ok(enterprise_precedence::Entity::find()
        .order_by_asc(enterprise_precedence::Column::Field)
        .all(&core.db)
        .await?)
}

/// Sets a field's source order (and, for coordinates, the tolerance in metres); every
/// enterprise is then merged again by the next merge.
#[tracing::instrument(skip(core, actor), fields(actor = actor.id))]
pub async fn set_precedence(
    core: &Core,
    actor: &Actor,
    field: Field,
    sources: &[Source],
    tolerance_m: Option<f64>,
) -> Result<enterprise_precedence::Model> {
    actor.require(Operation::ManageEnterpriseSources)?;
    if sources.is_empty() {
        return Err(Error::invalid("sources", "至少指定一个数据来源"));
    }
    let distinct: HashSet<&Source> = sources.iter().collect();
    if distinct.len() != sources.len() {
        return Err(Error::invalid("sources", "数据来源不能重复"));
    }
    if let Some(t) = tolerance_m {
        if field != Field::Coordinates {
            return Err(Error::invalid("toleranceMeters", "只有经纬度可以设置距离容差"));
        }
        if !(1.0..=100_000.0).contains(&t) {
            return Err(Error::invalid("toleranceMeters", "距离容差须在 1 至 100000 米之间"));
        }
    }
    let names: Vec<&str> = sources.iter().map(|s| s.as_str()).collect();
    let json_sources = serde_json::to_string(&names).map_err(internal)?;
    let now = core.now();
    let txn = core.begin().await?;
    let current = enterprise_precedence::Entity::find()
        .filter(enterprise_precedence::Column::Field.eq(field.as_str()))
        .one(&txn)
        .await?;
    let rule_json = |m: &enterprise_precedence::Model| {
        json!({"field": m.field, "sources": serde_json::from_str::<serde_json::Value>(&m.sources).unwrap_or_default(),
               "tolerance_m": m.tolerance_m, "version": m.version})
    };
    let after = match &current {
        Some(c) => {
            enterprise_precedence::ActiveModel {
                id: sea_orm::ActiveValue::Unchanged(c.id),
                sources: Set(json_sources),
                tolerance_m: Set(tolerance_m),
                version: Set(c.version + 1),
                updated_by: Set(actor.audit_id()),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(&txn)
            .await?
        }
        None => {
            enterprise_precedence::ActiveModel {
                field: Set(field.as_str().to_owned()),
                sources: Set(json_sources),
                tolerance_m: Set(tolerance_m),
                version: Set(1),
                updated_by: Set(actor.audit_id()),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    mark_all_dirty(&txn, now, true).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "enterprise.precedence.set",
            subject_type: "enterprise_precedence",
            subject_id: field.as_str().to_owned(),
            before: current.as_ref().map(rule_json),
            after: Some(rule_json(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Filters of the enterprise list.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseFilter {
    /// Name or credit code contains.
    pub search: Option<String>,
    /// Only suspect (true) or valid (false) credit codes.
    pub suspect: Option<bool>,
    /// Only enterprises with (true) or without (false) open conflicts.
    pub has_conflicts: Option<bool>,
}

/// Enterprises by credit code.
pub async fn list(
    core: &Core,
    actor: &Actor,
    filter: &EnterpriseFilter,
    page: Page,
) -> Result<(Vec<enterprise::Model>, u64)> {
    actor.require(Operation::ViewEnterprises)?;
    let mut q = enterprise::Entity::find();
    if let Some(s) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            enterprise::Column::Name
                .contains(s)
                .or(enterprise::Column::CreditCode.contains(s.to_ascii_uppercase())),
        );
    }
    if let Some(s) = filter.suspect {
        q = q.filter(enterprise::Column::Suspect.eq(s));
    }
    match filter.has_conflicts {
        Some(true) => q = q.filter(enterprise::Column::OpenConflicts.gt(0)),
        Some(false) => q = q.filter(enterprise::Column::OpenConflicts.eq(0)),
        None => {}
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(enterprise::Column::CreditCode)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

fn parse_code(code: &str) -> Result<CreditCode> {
    CreditCode::parse(code).map_err(|e| Error::invalid("creditCode", format!("统一社会信用代码{}", e.message_zh())))
}

/// One enterprise by credit code (a malformed code is `invalid_input`).
pub async fn get(core: &Core, actor: &Actor, code: &str) -> Result<enterprise::Model> {
    actor.require(Operation::ViewEnterprises)?;
    let code = parse_code(code)?;
    enterprise::Entity::find()
        .filter(enterprise::Column::CreditCode.eq(code.as_str()))
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("enterprise"))
}

/// The source records of an enterprise, optionally of one source, by source and key.
pub async fn records(
    core: &Core,
    actor: &Actor,
    code: &str,
    source: Option<Source>,
) -> Result<Vec<enterprise_record::Model>> {
    actor.require(Operation::ViewEnterprises)?;
    let mut q = enterprise_record::Entity::find().filter(enterprise_record::Column::CreditCode.eq(code));
    if let Some(s) = source {
        q = q.filter(enterprise_record::Column::Source.eq(s.as_str()));
    }
    Ok(q.order_by_asc(enterprise_record::Column::Source)
        .order_by_asc(enterprise_record::Column::RecordKey)
        .all(&core.db)
        .await?)
}

/// The history of an enterprise's fields (optionally one), oldest first.
pub async fn history(
    core: &Core,
    actor: &Actor,
    code: &str,
    field: Option<Field>,
) -> Result<Vec<enterprise_field_history::Model>> {
    actor.require(Operation::ViewEnterprises)?;
    let mut q = enterprise_field_history::Entity::find().filter(enterprise_field_history::Column::CreditCode.eq(code));
    if let Some(f) = field {
        q = q.filter(enterprise_field_history::Column::Field.eq(f.as_str()));
    }
    Ok(q.order_by_asc(enterprise_field_history::Column::Id)
        .all(&core.db)
        .await?)
}

/// Conflicts (open and resolved) of several enterprises, by code and field: one query.
pub async fn conflicts_of(core: &Core, codes: &[String]) -> Result<Vec<enterprise_conflict::Model>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(CHUNK) {
        out.extend(
            enterprise_conflict::Entity::find()
                .filter(enterprise_conflict::Column::CreditCode.is_in(chunk.iter().cloned()))
                .order_by_asc(enterprise_conflict::Column::CreditCode)
                .order_by_asc(enterprise_conflict::Column::Id)
                .all(&core.db)
                .await?,
        );
    }
    Ok(out)
}

/// Open tickets about an enterprise that the caller may see.
pub async fn open_tickets(core: &Core, actor: &Actor, code: &str) -> Result<Vec<ticket::Model>> {
    actor.require(Operation::ViewEnterprises)?;
    if !actor.can(Operation::ViewTickets) {
        return Ok(Vec::new());
    }
    let rows = ticket::Entity::find()
        .filter(ticket::Column::SubjectType.eq("enterprise"))
        .filter(ticket::Column::SubjectId.eq(code))
        .filter(ticket::Column::ClosedAt.is_null())
        .order_by_asc(ticket::Column::Id)
        .all(&core.db)
        .await?;
    Ok(rows.into_iter().filter(|t| tickets::visible(actor, t)).collect())
}

/// Source records of several enterprises (for a page of enterprises: one query per 500 codes).
/// The caller has checked [`Operation::ViewEnterprises`].
pub async fn records_of(core: &Core, codes: &[String]) -> Result<Vec<enterprise_record::Model>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(CHUNK) {
        out.extend(
            enterprise_record::Entity::find()
                .filter(enterprise_record::Column::CreditCode.is_in(chunk.iter().cloned()))
                .order_by_asc(enterprise_record::Column::Source)
                .order_by_asc(enterprise_record::Column::RecordKey)
                .all(&core.db)
                .await?,
        );
    }
    Ok(out)
}

/// Open tickets about several enterprises, unfiltered by visibility (the caller filters with
/// [`tickets::visible`]).
pub async fn open_tickets_of(core: &Core, codes: &[String]) -> Result<Vec<ticket::Model>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(CHUNK) {
        out.extend(
            ticket::Entity::find()
                .filter(ticket::Column::SubjectType.eq("enterprise"))
                .filter(ticket::Column::SubjectId.is_in(chunk.iter().cloned()))
                .filter(ticket::Column::ClosedAt.is_null())
                .order_by_asc(ticket::Column::Id)
                .all(&core.db)
                .await?,
        );
    }
    Ok(out)
}
