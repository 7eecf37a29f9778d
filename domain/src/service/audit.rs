//! Appending to and verifying the audit chain.
//!
//! A change writes its audit event in its own transaction, unlinked, so writers never queue
//! on a global lock. A sequencer (in every API and worker process, a few times a second, and
//! before every verification) links committed events into the chain in batches under the
//! single `audit_head` row lock: sequence numbers are gap-free and every event's hash covers
//! its predecessor's. The window in which a committed event is not yet linked is the
//! sequencer's interval (200 ms by default); verification links pending events first.
//! Verification streams the table in pages through [`ChainVerifier`]; a daily checkpoint
//! records the head so that truncation is caught.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::{Actor, Core, Page};
use crate::entity::{audit_checkpoint, audit_event, audit_head};
use crate::hashchain::{ChainBreak, ChainRecord, ChainVerifier, GENESIS_HASH, StoredEvent, Verification, compute_hash};
use crate::role::Operation;
use crate::{Error, Result};

/// What changed, for [`append`].
#[derive(Debug)]
pub struct Change<'a> {
    /// Verb, e.g. `ticket.transition`.
    pub action: &'a str,
    /// Subject type, e.g. `ticket`.
    pub subject_type: &'a str,
    /// Subject id.
    pub subject_id: String,
    /// State before (None for creations).
    pub before: Option<serde_json::Value>,
    /// State after (None for deletions).
    pub after: Option<serde_json::Value>,
}

/// Appends one event inside the caller's transaction, unlinked: the change and its audit
/// record commit or roll back together, and concurrent writers never wait for each other.
/// [`sequence`] then links committed events into the chain.
pub async fn append<C: ConnectionTrait>(conn: &C, actor: &Actor, at: DateTime<Utc>, change: Change<'_>) -> Result<()> {
    conn.execute(&append_write(actor, at, change)).await?;
    Ok(())
}

/// The insert [`append`] runs, for a [`super::batch::Batch`] of the caller's transaction.
pub fn append_write(actor: &Actor, at: DateTime<Utc>, change: Change<'_>) -> sea_orm::sea_query::InsertStatement {
    use sea_orm::QueryTrait;
    audit_event::Entity::insert(audit_event::ActiveModel {
        seq: Set(None),
        at: Set(crate::time::db_precision(at)),
        actor_id: Set(actor.audit_id()),
        actor_name: Set(actor.username.clone()),
        action: Set(change.action.to_owned()),
        subject_type: Set(change.subject_type.to_owned()),
        subject_id: Set(change.subject_id),
        before: Set(change.before.as_ref().map(crate::hashchain::canonical_json)),
        after: Set(change.after.as_ref().map(crate::hashchain::canonical_json)),
        prev_hash: Set(None),
        hash: Set(None),
        algorithm: Set(None),
        ..Default::default()
    })
    .into_query()
}

/// Links committed, unlinked events into the chain, in batches, oldest first: each gets the
/// next sequence number and a hash over its content and its predecessor's hash. Sequencers
/// in several processes serialise on the `audit_head` row lock, taken before the pending
/// rows are read, so no event is linked twice. Returns how many were linked.
pub async fn sequence(core: &Core) -> Result<u64> {
    let mut linked = 0;
    loop {
        let txn = core.begin().await?;
        let row = txn
            .query_one_raw(sea_orm::Statement::from_string(
                txn.get_database_backend(),
                "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash".to_owned(),
            ))
            .await?
            .ok_or_else(|| Error::Internal("audit head row missing".into()))?;
        let (mut seq, mut prev): (i64, String) = (row.try_get("", "seq")?, row.try_get("", "hash")?);
        let pending = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.is_null())
            .order_by_asc(audit_event::Column::Id)
            .limit(LINK_BATCH as u64)
            .all(&txn)
            .await?;
        if pending.is_empty() {
            txn.rollback().await?;
            return Ok(linked);
        }
        let n = pending.len();
        // (id, seq, prev_hash, hash) of every event, written back in one statement.
        let mut links: Vec<(i64, i64, String, String)> = Vec::with_capacity(n);
        for e in pending {
            seq += 1;
            let before: Option<serde_json::Value> = e.before.as_deref().and_then(|b| serde_json::from_str(b).ok());
            let after: Option<serde_json::Value> = e.after.as_deref().and_then(|b| serde_json::from_str(b).ok());
            let hash = compute_hash(
                core.audit_algorithm,
                &ChainRecord {
                    seq,
                    at: e.at,
                    actor_id: e.actor_id,
                    actor_name: &e.actor_name,
                    action: &e.action,
                    subject_type: &e.subject_type,
                    subject_id: &e.subject_id,
                    before: before.as_ref(),
                    after: after.as_ref(),
                    prev_hash: &prev,
                },
            );
            links.push((e.id, seq, std::mem::replace(&mut prev, hash.clone()), hash));
        }
        txn.execute_raw(link_statement(
            txn.get_database_backend(),
            core.audit_algorithm.as_str(),
            links,
        ))
        .await?;
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::Seq, Expr::value(seq))
            .col_expr(audit_head::Column::Hash, Expr::value(prev))
            .filter(audit_head::Column::Id.eq(1))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        linked += n as u64;
        // A partial batch took everything pending; events committed since wait for the next
        // round, so a steady stream of writes is linked in a few large batches a second.
        if n < LINK_BATCH {
            return Ok(linked);
        }
    }
}

/// Events linked per sequencer transaction.
const LINK_BATCH: usize = 500;

/// `UPDATE audit_events SET seq, prev_hash, hash, algorithm FROM (VALUES ...)`: one
/// statement for a whole batch of links (VALUES columns are named `column1`.. on both
/// PostgreSQL and SQLite). Values are bound parameters.
fn link_statement(
    backend: sea_orm::DbBackend,
    algorithm: &str,
    links: Vec<(i64, i64, String, String)>,
) -> sea_orm::Statement {
    let pg = backend == sea_orm::DbBackend::Postgres;
    let mut n = 0;
    let mut param = || {
        n += 1;
        if pg { format!("${n}") } else { "?".to_owned() }
    };
    let algo = param();
    let mut rows = Vec::with_capacity(links.len());
    let mut values: Vec<sea_orm::Value> = vec![algorithm.into()];
    for (id, seq, prev, hash) in links {
        let (a, b, c, d) = (param(), param(), param(), param());
        rows.push(if pg {
            format!("({a}::bigint, {b}::bigint, {c}::text, {d}::text)")
        } else {
            format!("({a}, {b}, {c}, {d})")
        });
        values.extend([id.into(), seq.into(), prev.into(), hash.into()]);
    }
    let sql = format!(
        "UPDATE audit_events SET seq = v.column2, prev_hash = v.column3, hash = v.column4, algorithm = {algo} \
         FROM (VALUES {}) AS v WHERE audit_events.id = v.column1",
        rows.join(", ")
    );
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

fn to_stored(m: audit_event::Model) -> StoredEvent {
    StoredEvent {
        seq: m.seq.unwrap_or_default(),
        at: m.at,
        actor_id: m.actor_id,
        actor_name: m.actor_name,
        action: m.action,
        subject_type: m.subject_type,
        subject_id: m.subject_id,
        before: m.before.and_then(|s| serde_json::from_str(&s).ok()),
        after: m.after.and_then(|s| serde_json::from_str(&s).ok()),
        prev_hash: m.prev_hash.unwrap_or_default(),
        hash: m.hash.unwrap_or_default(),
        algorithm: m.algorithm.unwrap_or_default(),
    }
}

/// Links pending events, then verifies the whole chain and every recorded checkpoint. No
/// permission check: used by the CLI; the API calls [`verify_as`].
pub async fn verify(core: &Core) -> Result<Verification> {
    sequence(core).await?;
    let mut verifier = ChainVerifier::new(None);
    for cp in audit_checkpoint::Entity::find().all(&core.db).await? {
        verifier.expect_checkpoint(cp.head_seq, cp.head_hash);
    }
    let mut after: i64 = i64::MIN;
    loop {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gt(after))
            .order_by_asc(audit_event::Column::Seq)
            .limit(1000)
            .all(&core.db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq.unwrap_or(i64::MAX);
        for row in rows {
            // The verifier remembers the first break; keep feeding to count rows.
            let _ = verifier.feed(&to_stored(row));
        }
    }
    Ok(verifier.finish())
}

/// [`verify`] for an API caller (audit administrators only).
pub async fn verify_as(core: &Core, actor: &Actor) -> Result<Verification> {
    actor.require(Operation::ViewAudit)?;
    verify(core).await
}

/// Records today's checkpoint (Asia/Shanghai day) of the current head, if the chain is intact.
/// Idempotent per day. Returns the checkpoint.
pub async fn checkpoint(core: &Core) -> Result<audit_checkpoint::Model> {
    let now = core.now();
    let day = now
        .with_timezone(&crate::time::DISPLAY_TZ)
        .format("%Y-%m-%d")
        .to_string();
    if let Some(existing) = audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::Day.eq(day.clone()))
        .one(&core.db)
        .await?
    {
        return Ok(existing);
    }
    let v = verify(core).await?;
    if let Some(b) = v.first_break {
        return Err(Error::Internal(format!("audit chain broken at seq {}", b.seq())));
    }
    let model = audit_checkpoint::ActiveModel {
        day: Set(day),
        head_seq: Set(v.head_seq.unwrap_or(0)),
        head_hash: Set(v.head_hash.unwrap_or_else(|| GENESIS_HASH.to_owned())),
        created_at: Set(now),
        ..Default::default()
    };
    match model.insert(&core.db).await {
        Ok(m) => Ok(m),
        // Another process recorded it at the same moment.
        Err(e) if is_unique_violation(&e) => audit_checkpoint::Entity::find()
            .order_by_desc(audit_checkpoint::Column::Id)
            .one(&core.db)
            .await?
            .ok_or(Error::Db(e)),
        Err(e) => Err(e.into()),
    }
}

/// A page of audit events, newest first, optionally for one subject.
pub async fn list(
    core: &Core,
    actor: &Actor,
    filter: AuditFilter,
    page: Page,
) -> Result<(Vec<audit_event::Model>, u64)> {
    actor.require(Operation::ViewAudit)?;
    sequence(core).await?;
    let mut q = audit_event::Entity::find();
    if let Some(t) = filter.subject_type {
        q = q.filter(audit_event::Column::SubjectType.eq(t));
    }
    if let Some(id) = filter.subject_id {
        q = q.filter(audit_event::Column::SubjectId.eq(id));
    }
    if let Some(a) = filter.action {
        q = q.filter(audit_event::Column::Action.eq(a));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(audit_event::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// Filters of [`list`]; each one set narrows the list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Subject type, e.g. `ticket`.
    pub subject_type: Option<String>,
    /// Subject id.
    pub subject_id: Option<String>,
    /// Action, e.g. `ticket.transition`.
    pub action: Option<String>,
}

/// Whether a database error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// The break as a user-facing sentence.
pub fn describe_break(b: &ChainBreak) -> String {
    format!("审计链在序号 {} 处被破坏：{:?}", b.seq(), b)
}
