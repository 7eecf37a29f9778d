//! Appending to and verifying the audit chain.
//!
//! Appends serialise on the single `audit_head` row (a row lock on PostgreSQL; SQLite
//! serialises writers anyway), so sequence numbers are gap-free and every event's hash
//! covers its predecessor's. Verification streams the table in pages through
//! [`ChainVerifier`]; a daily checkpoint records the head so that truncation is caught.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::Serialize;

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

/// Serialises any value for the audit trail.
pub fn snapshot<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Appends one event inside the caller's transaction. Returns its sequence number.
pub async fn append<C: ConnectionTrait>(
    core: &Core,
    conn: &C,
    actor: &Actor,
    at: DateTime<Utc>,
    change: Change<'_>,
) -> Result<i64> {
    // Take the head row lock first: concurrent appenders queue here.
    // One round trip takes the head row lock and the next sequence number.
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash".to_owned(),
        ))
        .await?
        .ok_or_else(|| Error::Internal("audit head row missing".into()))?;
    let head = audit_head::Model {
        id: 1,
        seq: row.try_get("", "seq")?,
        hash: row.try_get("", "hash")?,
    };
    let seq = head.seq;
    let at = crate::time::db_precision(at);
    let before = change.before.as_ref().map(crate::hashchain::canonical_json);
    let after = change.after.as_ref().map(crate::hashchain::canonical_json);
    let before_v = change.before.as_ref();
    let after_v = change.after.as_ref();
    let record = ChainRecord {
        seq,
        at,
        actor_id: actor.audit_id(),
        actor_name: &actor.username,
        action: change.action,
        subject_type: change.subject_type,
        subject_id: &change.subject_id,
        before: before_v,
        after: after_v,
        prev_hash: &head.hash,
    };
    let hash = compute_hash(core.audit_algorithm, &record);
    audit_event::ActiveModel {
        seq: Set(seq),
        at: Set(at),
        actor_id: Set(actor.audit_id()),
        actor_name: Set(actor.username.clone()),
        action: Set(change.action.to_owned()),
        subject_type: Set(change.subject_type.to_owned()),
        subject_id: Set(change.subject_id.clone()),
        before: Set(before),
        after: Set(after),
        prev_hash: Set(head.hash.clone()),
        hash: Set(hash.clone()),
        algorithm: Set(core.audit_algorithm.as_str().to_owned()),
    }
    .insert(conn)
    .await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Hash, Expr::value(hash))
        .filter(audit_head::Column::Id.eq(1))
        .exec(conn)
        .await?;
    Ok(seq)
}

fn to_stored(m: audit_event::Model) -> StoredEvent {
    StoredEvent {
        seq: m.seq,
        at: m.at,
        actor_id: m.actor_id,
        actor_name: m.actor_name,
        action: m.action,
        subject_type: m.subject_type,
        subject_id: m.subject_id,
        before: m.before.and_then(|s| serde_json::from_str(&s).ok()),
        after: m.after.and_then(|s| serde_json::from_str(&s).ok()),
        prev_hash: m.prev_hash,
        hash: m.hash,
        algorithm: m.algorithm,
    }
}

/// Verifies the whole chain and every recorded checkpoint. No permission check: used by the
/// CLI; the API calls [`verify_as`].
pub async fn verify(core: &Core) -> Result<Verification> {
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
        after = last.seq;
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
    subject: Option<(String, String)>,
    page: Page,
) -> Result<(Vec<audit_event::Model>, u64)> {
    actor.require(Operation::ViewAudit)?;
    let mut q = audit_event::Entity::find();
    if let Some((t, id)) = subject {
        q = q
            .filter(audit_event::Column::SubjectType.eq(t))
            .filter(audit_event::Column::SubjectId.eq(id));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(audit_event::Column::Seq)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// Whether a database error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// The break as a user-facing sentence.
pub fn describe_break(b: &ChainBreak) -> String {
    format!("审计链在序号 {} 处被破坏：{:?}", b.seq(), b)
}
