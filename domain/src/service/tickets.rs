//! Tickets: one model for every problem, moved only through the workflow tables.
//!
//! A transition reads the ticket (version check, the table lookup, role and guard checks,
//! required fields) and then writes in one transaction: the state change, the history row,
//! the SLA effects, the audit event, the outbox rows and the idempotency record. On
//! PostgreSQL that transaction is a single statement ([`Batch::commit`]) whose ticket update
//! is guarded by the version read, so a concurrent transition that won in between makes it
//! write nothing. A stale `expectedVersion` is a `version_conflict`, never a silent
//! overwrite; replaying an idempotency key returns the first result.

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait;
use sea_orm::prelude::Expr;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::batch::Batch;
use super::{Actor, Core, Page, notify, sla};
use crate::entity::{
    attachment, idempotency_key, setting, sla_clock, ticket, ticket_comment, ticket_event, ticket_occurrence,
    ticket_watcher, user,
};
use crate::role::{Operation, Role};
use crate::workflow::{
    Denial, Event, GuardContext, Requirement, Severity, State, TicketKind, Transition, Verification,
};
use crate::{Error, Result};

/// Maximum title length in characters.
pub const MAX_TITLE: usize = 200;
/// Maximum description / note / comment length in characters.
pub const MAX_TEXT: usize = 10_000;

/// A typed reference to what a ticket concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// `dataset`, `rule`, `enterprise`, `permit`, `station`, `source_system`...
    pub kind: String,
    /// Identifier in that namespace.
    pub id: String,
}

/// Subject kinds a ticket may reference.
pub const SUBJECT_KINDS: &[&str] = &[
    "dataset",
    "field",
    "rule",
    "enterprise",
    "permit",
    "station",
    "source_system",
    "data_source",
    "sharing",
    "asset",
    "reconciliation",
];

/// Input for a ticket opened by a person.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// Kind.
    pub kind: TicketKind,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Subject.
    pub subject: Option<Subject>,
    /// Department responsible (department users: forced to their own).
    pub department_id: Option<i64>,
    /// Named reviewer.
    pub reviewer_id: Option<i64>,
    /// Watchers.
    pub watcher_ids: Vec<i64>,
}

/// A finding from an automatic source (inspection rule, reconciliation, platform...).
#[derive(Debug, Clone)]
pub struct Finding {
    /// Kind.
    pub kind: TicketKind,
    /// Source, e.g. `inspection_rule`, `reconciliation`, `platform`, `credit_office`.
    pub source: String,
    /// Key identifying "the same problem" while a ticket is open.
    pub dedup_key: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Subject.
    pub subject: Option<Subject>,
    /// Responsible department.
    pub department_id: Option<i64>,
    /// Details of this occurrence (evidence, counts).
    pub detail: serde_json::Value,
}

/// The caller's request to move a ticket.
#[derive(Debug, Clone, Default)]
pub struct TransitionInput {
    /// The event.
    pub event: Option<Event>,
    /// Version the caller saw.
    pub expected_version: i32,
    /// Rectification / delivery note.
    pub note: Option<String>,
    /// Reason (reject, reopen, close, pause...).
    pub reason: Option<String>,
    /// New assignee.
    pub assignee_id: Option<i64>,
    /// Named reviewer.
    pub reviewer_id: Option<i64>,
    /// Evidence attachments of this ticket.
    pub evidence_ids: Vec<i64>,
    /// Client-chosen key; a replay returns the first result.
    pub idempotency_key: Option<String>,
}

/// A transition the caller could make now.
#[derive(Debug, Clone, Serialize)]
pub struct Available {
    /// Event to send.
    pub event: Event,
    /// State afterwards.
    pub to: State,
    /// Fields to supply.
    pub requires: Vec<Requirement>,
}

/// Filters of the ticket list.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Only these states.
    pub states: Vec<State>,
    /// Only these kinds.
    pub kinds: Vec<TicketKind>,
    /// Only this assignee.
    pub assignee_id: Option<i64>,
    /// Only this department.
    pub department_id: Option<i64>,
    /// Only tickets with a breached or overdue running clock.
    pub overdue: Option<bool>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Title contains.
    pub search: Option<String>,
}

/// Sort orders of the ticket list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketSort {
    /// Newest first.
    #[default]
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// Recently changed first.
    UpdatedDesc,
    /// Most severe first.
    SeverityDesc,
}

fn check_text(field: &str, value: &str, max: usize, required: bool) -> Result<()> {
    let n = value.trim().chars().count();
    if required && n == 0 {
        return Err(Error::invalid(field, "不能为空"));
    }
    if value.chars().count() > max {
        return Err(Error::invalid(field, format!("不能超过 {max} 字")));
    }
    Ok(())
}

fn check_subject(s: &Option<Subject>) -> Result<()> {
    if let Some(s) = s {
        if !SUBJECT_KINDS.contains(&s.kind.as_str()) {
            return Err(Error::invalid("subject.kind", format!("未知对象类型：{}", s.kind)));
        }
        check_text("subject.id", &s.id, 128, true)?;
    }
    Ok(())
}

fn ticket_json(t: &ticket::Model) -> serde_json::Value {
    json!({
        "kind": t.kind, "state": t.state, "title": t.title, "severity": t.severity,
        "department_id": t.department_id, "assignee_id": t.assignee_id, "reviewer_id": t.reviewer_id,
        "rectified_by": t.rectified_by, "version": t.version, "recurrence_count": t.recurrence_count,
        "reopen_count": t.reopen_count,
    })
}

/// The fields of `before` whose values differ in `after`, with their old values: the audit
/// event of a transition records its full after-image and this before-image of what changed.
fn changed_fields(before: &serde_json::Value, after: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, v) in b {
            if a.get(k) != Some(v) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::Value::Object(out)
}

/// Whether the actor may see this ticket.
pub fn visible(actor: &Actor, t: &ticket::Model) -> bool {
    if !actor.can(Operation::ViewTickets) {
        return false;
    }
    if actor.role == Role::Department {
        return (t.department_id.is_some() && t.department_id == actor.department_id) || t.created_by == Some(actor.id);
    }
    true
}

/// Loads a ticket the actor may see.
pub async fn get(core: &Core, actor: &Actor, id: i64) -> Result<ticket::Model> {
    actor.require(Operation::ViewTickets)?;
    let t = ticket::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("ticket"))?;
    if !visible(actor, &t) {
        return Err(Error::NotFound("ticket"));
    }
    Ok(t)
}

async fn check_user<C: ConnectionTrait>(conn: &C, field: &str, id: i64, roles: &[Role]) -> Result<user::Model> {
    accept_user(field, user::Entity::find_by_id(id).one(conn).await?, roles)
}

/// [`check_user`] on a user row already read (None: no such user).
fn accept_user(field: &str, u: Option<user::Model>, roles: &[Role]) -> Result<user::Model> {
    let u = u.ok_or_else(|| Error::invalid(field, "用户不存在"))?;
    if !u.active {
        return Err(Error::invalid(field, "用户已停用"));
    }
    let role: Role = u.role.parse()?;
    if !roles.contains(&role) {
        return Err(Error::invalid(
            field,
            format!("该用户角色（{}）不能担任此职责", role.label()),
        ));
    }
    Ok(u)
}

/// Opens a ticket by hand.
pub async fn create(core: &Core, actor: &Actor, input: NewTicket) -> Result<ticket::Model> {
    actor.require(Operation::CreateTicket)?;
    if actor.role == Role::Department && !input.kind.open_to_departments() {
        return Err(Error::Forbidden);
    }
    check_text("title", &input.title, MAX_TITLE, true)?;
    check_text("description", &input.description, MAX_TEXT, false)?;
    check_subject(&input.subject)?;
    let department_id = if actor.role == Role::Department {
        actor.department_id
    } else {
        input.department_id
    };
    let txn = core.begin().await?;
    if let Some(d) = department_id
        && crate::entity::department::Entity::find_by_id(d)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(Error::invalid("departmentId", "部门不存在"));
    }
    if let Some(r) = input.reviewer_id {
        check_user(&txn, "reviewerId", r, &[Role::Manager]).await?;
    }
    for w in &input.watcher_ids {
        check_user(&txn, "watcherIds", *w, &Role::ALL).await?;
    }
    let t = insert_ticket(
        core,
        &txn,
        actor,
        NewRow {
            kind: input.kind,
            title: input.title.trim().to_owned(),
            description: input.description,
            severity: input.severity,
            source: "manual".into(),
            subject: input.subject,
            department_id,
            reviewer_id: input.reviewer_id,
            dedup_key: None,
        },
    )
    .await?;
    for w in input.watcher_ids {
        add_watcher_row(&txn, t.id, w).await?;
    }
    txn.commit().await?;
    Ok(t)
}

struct NewRow {
    kind: TicketKind,
    title: String,
    description: String,
    severity: Severity,
    source: String,
    subject: Option<Subject>,
    department_id: Option<i64>,
    reviewer_id: Option<i64>,
    dedup_key: Option<String>,
}

async fn insert_ticket(core: &Core, txn: &DatabaseTransaction, actor: &Actor, row: NewRow) -> Result<ticket::Model> {
    let now = core.now();
    let wf = row.kind.workflow();
    let t = ticket::ActiveModel {
        kind: Set(row.kind.as_str().to_owned()),
        state: Set(wf.initial.as_str().to_owned()),
        title: Set(row.title),
        description: Set(row.description),
        severity: Set(row.severity.as_str().to_owned()),
        source: Set(row.source),
        subject_type: Set(row.subject.as_ref().map(|s| s.kind.clone())),
        subject_id: Set(row.subject.as_ref().map(|s| s.id.clone())),
        department_id: Set(row.department_id),
        assignee_id: Set(None),
        reviewer_id: Set(row.reviewer_id),
        created_by: Set(actor.audit_id()),
        rectified_by: Set(None),
        dedup_key: Set(row.dedup_key.clone()),
        open_dedup_key: Set(row.dedup_key),
        recurrence_count: Set(1),
        reopen_count: Set(0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut batch = Batch::new();
    if !wf.on_create.is_empty() {
        let rules = sla::rules(txn).await?;
        sla::apply(&mut batch, &rules, &t, &[], wf.on_create, None, now)?;
    }
    batch.push(audit::append_write(
        actor,
        now,
        Change {
            action: "ticket.create",
            subject_type: "ticket",
            subject_id: t.id.to_string(),
            before: None,
            after: Some(ticket_json(&t)),
        },
    ));
    batch.exec(txn).await?;
    Ok(t)
}

/// The open ticket of an automatic finding, by its dedup key.
pub async fn find_open_by_dedup_key(core: &Core, key: &str) -> Result<Option<ticket::Model>> {
    Ok(ticket::Entity::find()
        .filter(ticket::Column::OpenDedupKey.eq(key))
        .one(&core.db)
        .await?)
}

/// Records a finding from an automatic source: a new ticket, or, while a ticket with the
/// same dedup key is open, one more occurrence on it. Returns the ticket and whether it is new.
pub async fn report_finding(core: &Core, finding: Finding) -> Result<(ticket::Model, bool)> {
    check_text("title", &finding.title, MAX_TITLE, true)?;
    check_text("dedupKey", &finding.dedup_key, 200, true)?;
    check_subject(&finding.subject)?;
    // Two tries: if a concurrent reporter created the ticket between our lookup and insert,
    // the unique index rejects ours and the second try records an occurrence.
    for _ in 0..2 {
        let txn = core.begin().await?;
        let now = core.now();
        let actor = Actor::system();
        let open = ticket::Entity::find()
            .filter(ticket::Column::OpenDedupKey.eq(finding.dedup_key.clone()))
            .one(&txn)
            .await?;
        if let Some(t) = open {
            let updated = ticket::Entity::update_many()
                .col_expr(
                    ticket::Column::RecurrenceCount,
                    Expr::col(ticket::Column::RecurrenceCount).add(1),
                )
                .col_expr(ticket::Column::Version, Expr::col(ticket::Column::Version).add(1))
                .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
                .filter(ticket::Column::Id.eq(t.id))
                .exec(&txn)
                .await?;
            if updated.rows_affected != 1 {
                continue;
            }
            ticket_occurrence::ActiveModel {
                ticket_id: Set(t.id),
                detail: Set(finding.detail.to_string()),
                occurred_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let after = ticket::Entity::find_by_id(t.id)
                .one(&txn)
                .await?
                .ok_or(Error::NotFound("ticket"))?;
            audit::append(
                &txn,
                &actor,
                now,
                Change {
                    action: "ticket.recur",
                    subject_type: "ticket",
                    subject_id: t.id.to_string(),
                    before: Some(json!({ "recurrence_count": t.recurrence_count })),
                    after: Some(json!({ "recurrence_count": after.recurrence_count })),
                },
            )
            .await?;
            txn.commit().await?;
            return Ok((after, false));
        }
        let inserted = insert_ticket(
            core,
            &txn,
            &actor,
            NewRow {
                kind: finding.kind,
                title: finding.title.clone(),
                description: finding.description.clone(),
                severity: finding.severity,
                source: finding.source.clone(),
                subject: finding.subject.clone(),
                department_id: finding.department_id,
                reviewer_id: None,
                dedup_key: Some(finding.dedup_key.clone()),
            },
        )
        .await;
        match inserted {
            Ok(t) => {
                ticket_occurrence::ActiveModel {
                    ticket_id: Set(t.id),
                    detail: Set(finding.detail.to_string()),
                    occurred_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                txn.commit().await?;
                return Ok((t, true));
            }
            Err(Error::Db(e)) if is_unique_violation(&e) => {
                txn.rollback().await?;
                continue;
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::Internal("dedup race did not settle".into()))
}

/// Transitions the actor could make on the ticket now.
pub fn available(actor: &Actor, t: &ticket::Model) -> Vec<Available> {
    let (Ok(kind), Ok(state)) = (t.kind.parse::<TicketKind>(), t.state.parse::<State>()) else {
        return Vec::new();
    };
    if !visible(actor, t) {
        return Vec::new();
    }
    let ctx = guard_ctx(actor, t);
    kind.workflow()
        .from_state(state)
        .filter(|tr| tr.check_actor(&ctx).is_ok())
        .map(|tr| Available {
            event: tr.event,
            to: tr.to,
            requires: tr.requires.to_vec(),
        })
        .collect()
}

fn guard_ctx(actor: &Actor, t: &ticket::Model) -> GuardContext {
    GuardContext {
        actor_id: actor.id,
        actor_role: actor.role,
        assignee_id: t.assignee_id,
        reviewer_id: t.reviewer_id,
        rectified_by: t.rectified_by,
        verification: verification(t),
    }
}

/// Source of tickets opened by inspection rules: their finding can be re-run.
pub const INSPECTION_SOURCE: &str = "inspection_rule";

/// Whether the ticket's finding can be re-checked by running its rule again.
pub fn recheckable(t: &ticket::Model) -> bool {
    t.source == INSPECTION_SOURCE && t.subject_type.as_deref() == Some("rule")
}

/// Where the ticket's re-check stands (`verification` column: NULL until a re-check after
/// the last rectification reports `running`, `passed`, `failed` or `error`).
pub fn verification(t: &ticket::Model) -> Verification {
    if !recheckable(t) {
        return Verification::NotApplicable;
    }
    match t.verification.as_deref() {
        Some("passed") => Verification::Passed,
        Some("failed") => Verification::Failed,
        Some("error") => Verification::Error,
        _ => Verification::Pending,
    }
}

fn denial_error(d: Denial) -> Error {
    match d {
        Denial::Role | Denial::NotAssignee => Error::Forbidden,
        Denial::SelfReview => Error::SelfReview,
        Denial::NotVerified(why) => Error::NotVerified(why),
    }
}

/// Moves a ticket through its workflow.
#[tracing::instrument(skip(core, input), fields(actor = actor.id, ticket = ticket_id))]
pub async fn transition(core: &Core, actor: &Actor, ticket_id: i64, input: TransitionInput) -> Result<ticket::Model> {
    let event = input.event.ok_or(Error::MissingField("event"))?;
    if let Some(key) = &input.idempotency_key {
        check_text("idempotencyKey", key, 100, true)?;
        if let Some(done) = replay(core, actor, key).await? {
            return Ok(done);
        }
    }
    match transition_once(core, actor, ticket_id, event, &input).await {
        // A concurrent replay of the same key committed first: return its result.
        Err(Error::Db(e)) if is_unique_violation(&e) && input.idempotency_key.is_some() => {
            let key = input.idempotency_key.as_deref().unwrap_or_default();
            replay(core, actor, key).await?.ok_or(Error::Db(e))
        }
        other => other,
    }
}

async fn replay(core: &Core, actor: &Actor, key: &str) -> Result<Option<ticket::Model>> {
    let row = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(actor.id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(&core.db)
        .await?;
    Ok(match row {
        Some(r) => Some(serde_json::from_str(&r.response).map_err(|e| Error::Internal(e.to_string()))?),
        None => None,
    })
}

/// What a transition reads before it decides.
struct Loaded {
    ticket: ticket::Model,
    clocks: Vec<sla_clock::Model>,
    /// The user named as assignee in the input, else the ticket's assignee (who is told about
    /// a rejection); None if there is none or no such user.
    user: Option<user::Model>,
    calendar_revision: Option<String>,
    policy_revision: Option<String>,
}

/// Reads, in one statement, the ticket with its clocks (one row per clock), the user a
/// transition may need (`assignee_id`, else the ticket's assignee) and the revisions of the
/// calendar and SLA policies (for the cached rules). None if there is no such ticket.
async fn load_for_transition<C: ConnectionTrait>(
    conn: &C,
    ticket_id: i64,
    assignee_id: Option<i64>,
) -> Result<Option<Loaded>> {
    use sea_orm::sea_query::{Alias, JoinType};
    use sea_orm::{FromQueryResult, Iterable};

    let mut q = ticket::Entity::find_by_id(ticket_id)
        .find_with_related(sla_clock::Entity)
        .into_query();
    let ua = Alias::new("u_");
    let user_id = match assignee_id {
        Some(a) => Expr::val(a),
        None => Expr::col((ticket::Entity, ticket::Column::AssigneeId)),
    };
    q.join_as(
        JoinType::LeftJoin,
        user::Entity,
        ua.clone(),
        Expr::col((ua.clone(), user::Column::Id)).eq(user_id),
    );
    for c in user::Column::iter() {
        q.expr_as(
            Expr::col((ua.clone(), c)),
            Alias::new(format!("C_{}", sea_orm::IdenStatic::as_str(&c))),
        );
    }
    for (alias, key) in [
        ("calendar_revision", super::calendar::REVISION_KEY),
        ("policy_revision", sla::POLICY_REVISION_KEY),
    ] {
        let sub = Query::select()
            .column(setting::Column::Value)
            .from(setting::Entity)
            .and_where(setting::Column::Key.eq(key))
            .to_owned();
        q.expr_as(Expr::SubQuery(None, Box::new(sub.into())), Alias::new(alias));
    }
    let rows = conn.query_all_raw(conn.get_database_backend().build(&q)).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut clocks = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(c) = sla_clock::Model::from_query_result_optional(r, "B_")? {
            clocks.push(c);
        }
    }
    Ok(Some(Loaded {
        ticket: ticket::Model::from_query_result(first, "A_")?,
        clocks,
        user: user::Model::from_query_result_optional(first, "C_")?,
        calendar_revision: first.try_get("", "calendar_revision")?,
        policy_revision: first.try_get("", "policy_revision")?,
    }))
}

async fn transition_once(
    core: &Core,
    actor: &Actor,
    ticket_id: i64,
    event: Event,
    input: &TransitionInput,
) -> Result<ticket::Model> {
    // Reads run on their own (read committed, as inside a transaction) and every write goes
    // in one batch that is its own transaction, guarded by the version read here.
    let db = &core.db;
    let now = core.now();
    // The ticket, its clocks, the user the message goes to and the rules' revisions in one query.
    let Loaded {
        ticket: t,
        clocks,
        user: loaded_user,
        calendar_revision,
        policy_revision,
    } = load_for_transition(db, ticket_id, input.assignee_id)
        .await?
        .filter(|l| visible(actor, &l.ticket))
        .ok_or(Error::NotFound("ticket"))?;
    if t.version != input.expected_version {
        return Err(Error::VersionConflict { current: t.version });
    }
    let kind: TicketKind = t.kind.parse()?;
    let state: State = t.state.parse()?;
    let wf = kind.workflow();
    let tr: &Transition = wf.find(state, event).ok_or_else(|| Error::TransitionNotAllowed {
        state: state.to_string(),
        event: event.to_string(),
    })?;
    tr.check_actor(&guard_ctx(actor, &t)).map_err(denial_error)?;

    // Required fields.
    let note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let reason = input.reason.as_deref().map(str::trim).filter(|s| !s.is_empty());
    for req in tr.requires {
        let present = match req {
            Requirement::Assignee => input.assignee_id.is_some(),
            Requirement::Note => note.is_some(),
            Requirement::Evidence => !input.evidence_ids.is_empty(),
            Requirement::Reason => reason.is_some(),
        };
        if !present {
            return Err(Error::MissingField(req.field()));
        }
    }
    if let Some(n) = note {
        check_text("note", n, MAX_TEXT, false)?;
    }
    if let Some(r) = reason {
        check_text("reason", r, MAX_TEXT, false)?;
    }
    if tr.requires.contains(&Requirement::Evidence) {
        let found = attachment::Entity::find()
            .filter(attachment::Column::TicketId.eq(t.id))
            .filter(attachment::Column::Id.is_in(input.evidence_ids.clone()))
            .count(db)
            .await?;
        let mut distinct = input.evidence_ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if found != distinct.len() as u64 {
            return Err(Error::invalid("evidenceIds", "证明材料必须是本工单已上传的附件"));
        }
    }
    let mut assignee_user = None;
    if tr.requires.contains(&Requirement::Assignee)
        && let Some(a) = input.assignee_id
    {
        let loaded = loaded_user.clone().filter(|u| u.id == a);
        assignee_user = Some(accept_user("assigneeId", loaded, &[Role::Operator, Role::Manager])?);
    }
    if let Some(r) = input.reviewer_id {
        check_user(db, "reviewerId", r, &[Role::Manager]).await?;
    }

    // The state change, guarded by the version we checked.
    let mut am = t.clone().into_active_model();
    am.state = Set(tr.to.as_str().to_owned());
    am.version = Set(t.version + 1);
    am.updated_at = Set(now);
    if let Some(u) = &assignee_user {
        am.assignee_id = Set(Some(u.id));
    }
    if input.reviewer_id.is_some() {
        am.reviewer_id = Set(input.reviewer_id);
    }
    if tr.records_rectifier() {
        am.rectified_by = Set(Some(actor.id));
    }
    if tr.requests_recheck() && recheckable(&t) {
        am.verification = Set(None);
    }
    if tr.reopens {
        am.reopen_count = Set(t.reopen_count + 1);
    }
    if wf.is_terminal(tr.to) {
        am.open_dedup_key = Set(None);
        am.closed_at = Set(Some(now));
    } else if wf.is_terminal(state) {
        am.closed_at = Set(None);
        if let Some(key) = &t.dedup_key {
            let taken = ticket::Entity::find()
                .filter(ticket::Column::OpenDedupKey.eq(key.clone()))
                .count(db)
                .await?
                > 0;
            if !taken {
                am.open_dedup_key = Set(Some(key.clone()));
            }
        }
    }
    // Every column was set from `t` or changed above, so the row is known without a re-read.
    let after: ticket::Model = am.clone().try_into_model()?;
    // All writes in one batch (one round trip on PostgreSQL); the ticket update is guarded
    // by the version we checked.
    let mut batch = Batch::new();
    batch.push_guarded(
        ticket::Entity::update_many()
            .set(am)
            .filter(ticket::Column::Id.eq(t.id))
            .filter(ticket::Column::Version.eq(t.version))
            .into_query(),
    );
    batch.push(
        ticket_event::Entity::insert(ticket_event::ActiveModel {
            ticket_id: Set(t.id),
            event: Set(event.as_str().to_owned()),
            from_state: Set(state.as_str().to_owned()),
            to_state: Set(tr.to.as_str().to_owned()),
            actor_id: Set(actor.id),
            note: Set(note.map(str::to_owned)),
            reason: Set(reason.map(str::to_owned)),
            at: Set(now),
            ..Default::default()
        })
        .into_query(),
    );
    if !tr.sla.is_empty() {
        let rules = sla::rules_at(db, calendar_revision, policy_revision).await?;
        sla::apply(&mut batch, &rules, &after, &clocks, tr.sla, reason, now)?;
    }

    // Outbox: tell the new assignee, or the assignee whose work was rejected.
    let recipient = match (assignee_user, event, after.assignee_id) {
        (Some(u), _, _) => Some((u, notify::Template::Assigned, "assign")),
        (None, Event::Reject, Some(a)) => match loaded_user.filter(|u| u.id == a) {
            Some(u) => Some(u),
            None => user::Entity::find_by_id(a).one(db).await?,
        }
        .map(|u| (u, notify::Template::Rejected, "reject")),
        _ => None,
    };
    if let Some((u, template, prefix)) = recipient {
        batch.push(notify::ticket_message_write(
            core,
            &after,
            &u,
            template,
            &format!("{prefix}:{}:v{}", after.id, after.version),
            reason,
        )?);
    }

    let after_json_base = ticket_json(&after);
    if let Some(key) = &input.idempotency_key {
        batch.push(
            idempotency_key::Entity::insert(idempotency_key::ActiveModel {
                user_id: Set(actor.id),
                key: Set(key.clone()),
                response: Set(serde_json::to_string(&after).map_err(|e| Error::Internal(e.to_string()))?),
                created_at: Set(now),
                ..Default::default()
            })
            .into_query(),
        );
    }

    let before_json = changed_fields(&ticket_json(&t), &after_json_base);
    let mut after_json = after_json_base;
    after_json["event"] = json!(event.as_str());
    if let Some(n) = note {
        after_json["note"] = json!(n);
    }
    if let Some(r) = reason {
        after_json["reason"] = json!(r);
    }
    if !input.evidence_ids.is_empty() {
        after_json["evidence_ids"] = json!(input.evidence_ids);
    }
    batch.push(audit::append_write(
        actor,
        now,
        Change {
            action: "ticket.transition",
            subject_type: "ticket",
            subject_id: t.id.to_string(),
            before: Some(before_json),
            after: Some(after_json),
        },
    ));
    if batch.commit(core).await?.is_none() {
        // A concurrent transition changed the ticket after it was read; nothing was written.
        let current = ticket::Entity::find_by_id(t.id)
            .one(db)
            .await?
            .map(|x| x.version)
            .unwrap_or(t.version);
        return Err(Error::VersionConflict { current });
    }
    Ok(after)
}

/// Adds a comment.
pub async fn comment(core: &Core, actor: &Actor, ticket_id: i64, body: &str) -> Result<ticket_comment::Model> {
    actor.require(Operation::Comment)?;
    check_text("body", body, MAX_TEXT, true)?;
    let t = get(core, actor, ticket_id).await?;
    let now = core.now();
    let txn = core.begin().await?;
    let c = ticket_comment::ActiveModel {
        ticket_id: Set(t.id),
        author_id: Set(actor.id),
        body: Set(body.trim().to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "ticket.comment",
            subject_type: "ticket",
            subject_id: t.id.to_string(),
            before: None,
            after: Some(json!({ "comment_id": c.id, "body": c.body })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(c)
}

async fn add_watcher_row<C: ConnectionTrait>(conn: &C, ticket_id: i64, user_id: i64) -> Result<()> {
    let exists = ticket_watcher::Entity::find()
        .filter(ticket_watcher::Column::TicketId.eq(ticket_id))
        .filter(ticket_watcher::Column::UserId.eq(user_id))
        .count(conn)
        .await?
        > 0;
    if !exists {
        ticket_watcher::ActiveModel {
            ticket_id: Set(ticket_id),
            user_id: Set(user_id),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Adds or removes a watcher.
pub async fn set_watcher(core: &Core, actor: &Actor, ticket_id: i64, user_id: i64, watching: bool) -> Result<()> {
    actor.require(Operation::ManageWatchers)?;
    let t = get(core, actor, ticket_id).await?;
    let now = core.now();
    let txn = core.begin().await?;
    check_user(&txn, "userId", user_id, &Role::ALL).await?;
    if watching {
        add_watcher_row(&txn, t.id, user_id).await?;
    } else {
        ticket_watcher::Entity::delete_many()
            .filter(ticket_watcher::Column::TicketId.eq(t.id))
            .filter(ticket_watcher::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
    }
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: if watching { "ticket.watch" } else { "ticket.unwatch" },
            subject_type: "ticket",
            subject_id: t.id.to_string(),
            before: None,
            after: Some(json!({ "user_id": user_id })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Stores an evidence file on a ticket.
pub async fn upload_evidence(
    core: &Core,
    actor: &Actor,
    ticket_id: i64,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<attachment::Model> {
    actor.require(Operation::UploadEvidence)?;
    check_text("fileName", file_name, 255, true)?;
    if file_name.contains(['/', '\\', '\0']) {
        return Err(Error::invalid("fileName", "文件名不能包含路径分隔符"));
    }
    if bytes.is_empty() {
        return Err(Error::invalid("file", "文件为空"));
    }
    let t = get(core, actor, ticket_id).await?;
    let sha = core.blobs.put(bytes).await?;
    let now = core.now();
    let txn = core.begin().await?;
    let a = attachment::ActiveModel {
        ticket_id: Set(t.id),
        file_name: Set(file_name.to_owned()),
        content_type: Set(if content_type.is_empty() {
            "application/octet-stream".into()
        } else {
            content_type.chars().take(100).collect()
        }),
        size_bytes: Set(bytes.len() as i64),
        sha256: Set(sha),
        uploaded_by: Set(actor.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "ticket.attach",
            subject_type: "ticket",
            subject_id: t.id.to_string(),
            before: None,
            after: Some(
                json!({ "attachment_id": a.id, "file_name": a.file_name, "sha256": a.sha256, "size": a.size_bytes }),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(a)
}

/// Reads an attachment's bytes (checked against its SHA-256).
pub async fn attachment_bytes(core: &Core, actor: &Actor, attachment_id: i64) -> Result<(attachment::Model, Vec<u8>)> {
    let a = attachment::Entity::find_by_id(attachment_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("attachment"))?;
    get(core, actor, a.ticket_id).await?;
    let bytes = core.blobs.get(&a.sha256).await?;
    Ok((a, bytes))
}

/// A page of tickets the actor may see.
pub async fn list(
    core: &Core,
    actor: &Actor,
    filter: &TicketFilter,
    sort: TicketSort,
    page: Page,
) -> Result<(Vec<ticket::Model>, u64)> {
    actor.require(Operation::ViewTickets)?;
    let mut cond = Condition::all();
    if actor.role == Role::Department {
        cond = cond.add(
            Condition::any()
                .add(ticket::Column::DepartmentId.eq(actor.department_id.unwrap_or(-1)))
                .add(ticket::Column::CreatedBy.eq(actor.id)),
        );
    }
    if !filter.states.is_empty() {
        cond = cond.add(ticket::Column::State.is_in(filter.states.iter().map(|s| s.as_str())));
    }
    if !filter.kinds.is_empty() {
        cond = cond.add(ticket::Column::Kind.is_in(filter.kinds.iter().map(|s| s.as_str())));
    }
    if let Some(a) = filter.assignee_id {
        cond = cond.add(ticket::Column::AssigneeId.eq(a));
    }
    if let Some(d) = filter.department_id {
        cond = cond.add(ticket::Column::DepartmentId.eq(d));
    }
    if let Some(from) = filter.created_from {
        cond = cond.add(ticket::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.created_to {
        cond = cond.add(ticket::Column::CreatedAt.lt(to));
    }
    if let Some(s) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(ticket::Column::Title.contains(s));
    }
    if let Some(overdue) = filter.overdue {
        let now = core.now();
        let sub = Query::select()
            .column(sla_clock::Column::TicketId)
            .from(sla_clock::Entity)
            .cond_where(
                Condition::all().add(sla_clock::Column::Status.ne("stopped")).add(
                    Condition::any().add(sla_clock::Column::BreachedAt.is_not_null()).add(
                        Condition::all()
                            .add(sla_clock::Column::Status.eq("running"))
                            .add(sla_clock::Column::DeadlineAt.lt(now)),
                    ),
                ),
            )
            .to_owned();
        cond = cond.add(if overdue {
            ticket::Column::Id.in_subquery(sub)
        } else {
            ticket::Column::Id.not_in_subquery(sub)
        });
    }
    let q = ticket::Entity::find().filter(cond);
    let total = q.clone().count(&core.db).await?;
    let q = match sort {
        TicketSort::CreatedDesc => q
            .order_by_desc(ticket::Column::CreatedAt)
            .order_by_desc(ticket::Column::Id),
        TicketSort::CreatedAsc => q
            .order_by_asc(ticket::Column::CreatedAt)
            .order_by_asc(ticket::Column::Id),
        TicketSort::UpdatedDesc => q
            .order_by_desc(ticket::Column::UpdatedAt)
            .order_by_desc(ticket::Column::Id),
        TicketSort::SeverityDesc => q
            .order_by_desc(Expr::Case(Box::new(
                Expr::case(ticket::Column::Severity.eq("critical"), 4)
                    .case(ticket::Column::Severity.eq("high"), 3)
                    .case(ticket::Column::Severity.eq("medium"), 2)
                    .finally(1),
            )))
            .order_by_desc(ticket::Column::Id),
    };
    let rows = q.offset(page.offset).limit(page.limit).all(&core.db).await?;
    Ok((rows, total))
}

/// History of a ticket, oldest first.
pub async fn history(core: &Core, ticket_id: i64) -> Result<Vec<ticket_event::Model>> {
    Ok(ticket_event::Entity::find()
        .filter(ticket_event::Column::TicketId.eq(ticket_id))
        .order_by_asc(ticket_event::Column::Id)
        .all(&core.db)
        .await?)
}

/// Comments, oldest first.
pub async fn comments(core: &Core, ticket_id: i64) -> Result<Vec<ticket_comment::Model>> {
    Ok(ticket_comment::Entity::find()
        .filter(ticket_comment::Column::TicketId.eq(ticket_id))
        .order_by_asc(ticket_comment::Column::Id)
        .all(&core.db)
        .await?)
}

/// Attachments, oldest first.
pub async fn attachments(core: &Core, ticket_id: i64) -> Result<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::TicketId.eq(ticket_id))
        .order_by_asc(attachment::Column::Id)
        .all(&core.db)
        .await?)
}

/// Occurrences (deduplicated findings), oldest first.
pub async fn occurrences(core: &Core, ticket_id: i64) -> Result<Vec<ticket_occurrence::Model>> {
    Ok(ticket_occurrence::Entity::find()
        .filter(ticket_occurrence::Column::TicketId.eq(ticket_id))
        .order_by_asc(ticket_occurrence::Column::Id)
        .all(&core.db)
        .await?)
}

/// Watcher user ids.
pub async fn watchers(core: &Core, ticket_id: i64) -> Result<Vec<i64>> {
    Ok(ticket_watcher::Entity::find()
        .filter(ticket_watcher::Column::TicketId.eq(ticket_id))
        .order_by_asc(ticket_watcher::Column::Id)
        .all(&core.db)
        .await?
        .into_iter()
        .map(|w| w.user_id)
        .collect())
}
