//! Persisted SLA clocks: applying workflow effects, policies, re-basing, and the scan that
//! turns warnings and breaches into outbox rows.
//!
//! Exactly one email goes out per (ticket, clock, level, deadline version): the outbox row's
//! dedup key carries those four, and a unique index enforces it, so a scan that runs twice,
//! in two processes at once, or again after a crash, cannot send twice.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::json;

use super::audit::{self, Change};
use super::batch::Batch;
use super::{Actor, Core, notify};
use crate::calendar::WorkCalendar;
use crate::entity::{department, sla_clock, sla_pause, sla_policy, ticket, user};
use crate::role::{Operation, Role};
use crate::sla::{Budgets, ClockState, ClockStatus, default_budgets};
use crate::workflow::{ClockKind, Severity, SlaEffect, TicketKind};
use crate::{Error, Result};

/// Wildcard severity in a policy row.
pub const ANY: &str = "*";

/// Budgets for a ticket: the (kind, severity) policy, else (kind, *), else built-in defaults.
pub async fn budgets<C: ConnectionTrait>(conn: &C, kind: TicketKind, severity: Severity) -> Result<Budgets> {
    let rows = sla_policy::Entity::find()
        .filter(sla_policy::Column::Kind.eq(kind.as_str()))
        .filter(sla_policy::Column::Severity.is_in([severity.as_str(), ANY]))
        .all(conn)
        .await?;
    Ok(pick(&rows, kind, severity))
}

fn pick(rows: &[sla_policy::Model], kind: TicketKind, severity: Severity) -> Budgets {
    let of_kind = |sev: &str| rows.iter().find(|r| r.kind == kind.as_str() && r.severity == sev);
    match of_kind(severity.as_str()).or_else(|| of_kind(ANY)) {
        Some(p) => Budgets {
            feedback_minutes: p.feedback_minutes,
            resolution_minutes: p.resolution_minutes,
            warn_ratio: p.warn_ratio,
        },
        None => default_budgets(
            kind,
            severity,
            crate::calendar::BusinessHours::default_office().minutes_per_day(),
        ),
    }
}

/// Every policy edit stores a fresh revision id; policies are cached by it.
pub(super) const POLICY_REVISION_KEY: &str = "sla.policy_revision";

/// The calendar and the policies in force.
#[derive(Clone)]
pub struct Rules {
    /// Working-day calendar.
    pub calendar: WorkCalendar,
    policies: Arc<Vec<sla_policy::Model>>,
}

impl Rules {
    /// Budgets for a (kind, severity): the exact policy, else (kind, *), else defaults.
    pub fn budgets(&self, kind: TicketKind, severity: Severity) -> Budgets {
        pick(&self.policies, kind, severity)
    }
}

fn policy_cache() -> &'static Mutex<HashMap<String, Arc<Vec<sla_policy::Model>>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<sla_policy::Model>>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Loads the calendar and the policies, cached per revision: the hot path (every
/// transition) costs one small query for both revisions. Another process's edit changes a
/// revision, so no process keeps stale rules.
pub async fn rules<C: ConnectionTrait>(conn: &C) -> Result<Rules> {
    let revisions = super::calendar::settings(conn, &[super::calendar::REVISION_KEY, POLICY_REVISION_KEY]).await?;
    rules_at(conn, revisions[0].clone(), revisions[1].clone()).await
}

/// [`rules`] for revisions the caller read itself (the calendar's and the policies'); reads
/// the database only on a cache miss.
pub(super) async fn rules_at<C: ConnectionTrait>(
    conn: &C,
    calendar_revision: Option<String>,
    policy_revision: Option<String>,
) -> Result<Rules> {
    let calendar = super::calendar::load_at(conn, calendar_revision).await?;
    // No revision yet means no edit through the API since install: cache under "".
    let key = policy_revision.unwrap_or_default();
    let cached = policy_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .cloned();
    let policies = match cached {
        Some(p) => p,
        None => {
            let p = Arc::new(sla_policy::Entity::find().all(conn).await?);
            let mut map = policy_cache().lock().unwrap_or_else(PoisonError::into_inner);
            if map.len() >= 64 {
                map.clear();
            }
            map.insert(key, p.clone());
            p
        }
    };
    Ok(Rules { calendar, policies })
}

fn state_of(m: &sla_clock::Model) -> ClockState {
    ClockState {
        budget_minutes: m.budget_minutes,
        warn_ratio: m.warn_ratio,
        consumed_minutes: m.consumed_minutes,
        running_since: m.running_since,
        status: ClockStatus::parse(&m.status).unwrap_or(ClockStatus::Stopped),
        deadline_at: m.deadline_at,
        warn_at: m.warn_at,
        deadline_version: m.deadline_version,
        breached_at: m.breached_at,
    }
}

fn write_state(am: &mut sla_clock::ActiveModel, s: &ClockState) {
    am.budget_minutes = Set(s.budget_minutes);
    am.warn_ratio = Set(s.warn_ratio);
    am.consumed_minutes = Set(s.consumed_minutes);
    am.running_since = Set(s.running_since);
    am.status = Set(s.status.as_str().to_owned());
    am.deadline_at = Set(s.deadline_at);
    am.warn_at = Set(s.warn_at);
    am.deadline_version = Set(s.deadline_version);
    am.breached_at = Set(s.breached_at);
}

/// Adds a transition's SLA effects on the ticket's clocks (`clocks`: its stored clocks, read
/// in the caller's transaction) to the caller's batch.
pub fn apply(
    batch: &mut Batch,
    rules: &Rules,
    t: &ticket::Model,
    clocks: &[sla_clock::Model],
    effects: &[SlaEffect],
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let kind: TicketKind = t.kind.parse()?;
    let severity: Severity = t.severity.parse()?;
    let b = rules.budgets(kind, severity);
    let cal = &rules.calendar;
    for effect in effects {
        let clock = match effect {
            SlaEffect::Start(c) | SlaEffect::Stop(c) | SlaEffect::Pause(c) | SlaEffect::Resume(c) => *c,
        };
        let existing = clocks.iter().find(|m| m.clock == clock.as_str()).cloned();
        let update = |m: sla_clock::Model, s: &ClockState, started: Option<DateTime<Utc>>, stopped| {
            let id = m.id;
            let mut am = m.into_active_model();
            write_state(&mut am, s);
            if let Some(at) = started {
                am.started_at = Set(at);
            }
            if let Some(at) = stopped {
                am.stopped_at = Set(at);
            }
            sla_clock::Entity::update_many()
                .set(am)
                .filter(sla_clock::Column::Id.eq(id))
                .into_query()
        };
        match (effect, existing) {
            (SlaEffect::Start(_), None) => {
                let s = ClockState::start(cal, now, b.for_clock(clock), b.warn_ratio);
                let mut am = sla_clock::ActiveModel {
                    ticket_id: Set(t.id),
                    clock: Set(clock.as_str().to_owned()),
                    warned_version: Set(None),
                    breach_notified_version: Set(None),
                    started_at: Set(now),
                    stopped_at: Set(None),
                    ..Default::default()
                };
                write_state(&mut am, &s);
                batch.push(sla_clock::Entity::insert(am).into_query());
            }
            (SlaEffect::Start(_), Some(m)) => {
                let mut s = state_of(&m);
                if m.breached_at.is_some() {
                    // The old period's breach stays in the audit trail before the restart.
                    batch.push(audit::append_write(
                        &Actor::system(),
                        now,
                        Change {
                            action: "sla.restart_after_breach",
                            subject_type: "ticket",
                            subject_id: t.id.to_string(),
                            before: Some(json!({ "clock": clock.as_str(), "breached_at": m.breached_at })),
                            after: None,
                        },
                    ));
                }
                s.restart(cal, now, b.for_clock(clock), b.warn_ratio);
                batch.push(update(m, &s, Some(now), Some(None)));
            }
            (SlaEffect::Stop(_), Some(m)) => {
                let mut s = state_of(&m);
                if s.status == ClockStatus::Paused {
                    batch.push(close_pause(m.id, now));
                }
                s.stop(cal, now);
                batch.push(update(m, &s, None, Some(Some(now))));
            }
            (SlaEffect::Pause(_), Some(m)) if m.status == ClockStatus::Running.as_str() => {
                let mut s = state_of(&m);
                s.pause(cal, now);
                batch.push(
                    sla_pause::Entity::insert(sla_pause::ActiveModel {
                        clock_id: Set(m.id),
                        ticket_id: Set(t.id),
                        reason: Set(reason.unwrap_or("（未说明）").to_owned()),
                        paused_at: Set(now),
                        resumed_at: Set(None),
                        ..Default::default()
                    })
                    .into_query(),
                );
                batch.push(update(m, &s, None, None));
            }
            (SlaEffect::Resume(_), Some(m)) if m.status == ClockStatus::Paused.as_str() => {
                let mut s = state_of(&m);
                s.resume(cal, now);
                batch.push(close_pause(m.id, now));
                batch.push(update(m, &s, None, None));
            }
            // Stopping, pausing or resuming a clock that never ran (or is already there) is a no-op.
            _ => {}
        }
    }
    Ok(())
}

fn close_pause(clock_id: i64, now: DateTime<Utc>) -> sea_orm::sea_query::UpdateStatement {
    sla_pause::Entity::update_many()
        .col_expr(sla_pause::Column::ResumedAt, sea_orm::prelude::Expr::value(now))
        .filter(sla_pause::Column::ClockId.eq(clock_id))
        .filter(sla_pause::Column::ResumedAt.is_null())
        .into_query()
}

/// Re-bases every open clock at `now` after a calendar change (`policy` None) or a policy
/// change for one kind (`policy` Some(kind)): consumed minutes are banked on the old
/// calendar, the rest scheduled on the new one. Recorded breaches are kept.
pub async fn rebase_all(
    txn: &DatabaseTransaction,
    old_cal: &WorkCalendar,
    new_cal: &WorkCalendar,
    now: DateTime<Utc>,
    policy: Option<TicketKind>,
) -> Result<usize> {
    let open = sla_clock::Entity::find()
        .filter(sla_clock::Column::Status.is_in(["running", "paused"]))
        .all(txn)
        .await?;
    let mut moved = 0;
    for m in open {
        let t = ticket::Entity::find_by_id(m.ticket_id)
            .one(txn)
            .await?
            .ok_or(Error::NotFound("ticket"))?;
        let kind: TicketKind = t.kind.parse()?;
        if policy.is_some_and(|k| k != kind) {
            continue;
        }
        let clock: ClockKind = m.clock.parse()?;
        let (budget, ratio) = if policy.is_some() {
            let b = budgets(txn, kind, t.severity.parse()?).await?;
            (b.for_clock(clock), b.warn_ratio)
        } else {
            (m.budget_minutes, m.warn_ratio)
        };
        let mut s = state_of(&m);
        if s.rebase(old_cal, new_cal, now, budget, ratio) {
            moved += 1;
            let mut am = m.into_active_model();
            write_state(&mut am, &s);
            am.update(txn).await?;
        }
    }
    Ok(moved)
}

/// A policy row as edited by admins.
#[derive(Debug, Clone)]
pub struct PolicyEdit {
    /// Kind.
    pub kind: TicketKind,
    /// Severity, or None for all severities of the kind.
    pub severity: Option<Severity>,
    /// Feedback budget in business minutes.
    pub feedback_minutes: i64,
    /// Resolution budget in business minutes.
    pub resolution_minutes: i64,
    /// Warning share, 0 < r < 1.
    pub warn_ratio: f64,
}

/// Creates or updates a policy; re-bases open clocks of that kind. Audited.
pub async fn set_policy(core: &Core, actor: &Actor, edit: PolicyEdit) -> Result<sla_policy::Model> {
    actor.require(Operation::ManageSlaPolicies)?;
    if !(1..=525_600).contains(&edit.feedback_minutes) {
        return Err(Error::invalid("feedbackMinutes", "反馈时限须在 1 至 525600 分钟之间"));
    }
    if !(1..=525_600).contains(&edit.resolution_minutes) {
        return Err(Error::invalid("resolutionMinutes", "办结时限须在 1 至 525600 分钟之间"));
    }
    if !(edit.warn_ratio > 0.0 && edit.warn_ratio < 1.0) {
        return Err(Error::invalid("warnRatio", "预警比例须大于 0 且小于 1"));
    }
    let severity = edit.severity.map(|s| s.as_str()).unwrap_or(ANY);
    let now = core.now();
    let txn = core.begin().await?;
    let cal = super::calendar::load(&txn).await?;
    let existing = sla_policy::Entity::find()
        .filter(sla_policy::Column::Kind.eq(edit.kind.as_str()))
        .filter(sla_policy::Column::Severity.eq(severity))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|p| json!({ "feedback_minutes": p.feedback_minutes, "resolution_minutes": p.resolution_minutes, "warn_ratio": p.warn_ratio }));
    let model = match existing {
        Some(p) => {
            let mut am = p.into_active_model();
            am.feedback_minutes = Set(edit.feedback_minutes);
            am.resolution_minutes = Set(edit.resolution_minutes);
            am.warn_ratio = Set(edit.warn_ratio);
            am.updated_at = Set(now);
            am.update(&txn).await?
        }
        None => {
            sla_policy::ActiveModel {
                kind: Set(edit.kind.as_str().to_owned()),
                severity: Set(severity.to_owned()),
                feedback_minutes: Set(edit.feedback_minutes),
                resolution_minutes: Set(edit.resolution_minutes),
                warn_ratio: Set(edit.warn_ratio),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    audit::append(&txn, actor, now, Change {
        action: "sla.set_policy",
        subject_type: "sla_policy",
        subject_id: format!("{}:{}", model.kind, model.severity),
        before,
        after: Some(json!({ "feedback_minutes": model.feedback_minutes, "resolution_minutes": model.resolution_minutes, "warn_ratio": model.warn_ratio })),
    })
    .await?;
    rebase_all(&txn, &cal, &cal, now, Some(edit.kind)).await?;
    super::calendar::put_setting(&txn, POLICY_REVISION_KEY, uuid::Uuid::new_v4().to_string(), now).await?;
    txn.commit().await?;
    Ok(model)
}

/// All stored policies.
pub async fn policies(core: &Core) -> Result<Vec<sla_policy::Model>> {
    Ok(sla_policy::Entity::find()
        .order_by_asc(sla_policy::Column::Kind)
        .order_by_asc(sla_policy::Column::Severity)
        .all(&core.db)
        .await?)
}

/// Clocks of many tickets (DataLoader backend).
pub async fn clocks_of(core: &Core, ticket_ids: &[i64]) -> Result<Vec<sla_clock::Model>> {
    Ok(sla_clock::Entity::find()
        .filter(sla_clock::Column::TicketId.is_in(ticket_ids.to_vec()))
        .order_by_asc(sla_clock::Column::Id)
        .all(&core.db)
        .await?)
}

/// Pauses of a ticket's clocks.
pub async fn pauses_of(core: &Core, ticket_id: i64) -> Result<Vec<sla_pause::Model>> {
    Ok(sla_pause::Entity::find()
        .filter(sla_pause::Column::TicketId.eq(ticket_id))
        .order_by_asc(sla_pause::Column::Id)
        .all(&core.db)
        .await?)
}

/// What one scan did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// Warnings queued.
    pub warnings: usize,
    /// Breaches newly recorded.
    pub breaches: usize,
    /// Outbox rows written (warnings, breach notices, escalations).
    pub notifications: usize,
}

/// Finds clocks due for a warning or past their deadline; records breaches and writes the
/// outbox rows. Warnings go out only within business hours; breaches at any time.
#[tracing::instrument(skip(core))]
pub async fn scan(core: &Core) -> Result<ScanReport> {
    let now = core.now();
    let cal = super::calendar::load(&core.db).await?;
    let business_now = cal.is_business_time(now);
    let mut due = Condition::any().add(sla_clock::Column::DeadlineAt.lte(now));
    if business_now {
        due = due.add(sla_clock::Column::WarnAt.lte(now));
    }
    let candidates = sla_clock::Entity::find()
        .filter(sla_clock::Column::Status.eq("running"))
        .filter(due)
        .order_by_asc(sla_clock::Column::Id)
        .limit(1000)
        .all(&core.db)
        .await?;
    let mut report = ScanReport::default();
    for c in candidates {
        let needs_warning = business_now
            && c.warn_at.is_some_and(|w| w <= now)
            && c.warned_version != Some(c.deadline_version)
            && c.deadline_at.is_some_and(|d| d > now);
        let needs_breach =
            c.deadline_at.is_some_and(|d| d <= now) && c.breach_notified_version != Some(c.deadline_version);
        if !needs_warning && !needs_breach {
            continue;
        }
        let txn = core.begin().await?;
        // Claim the clock at this deadline version; a concurrent scanner's claim wins once.
        let mut claim = sla_clock::Entity::update_many()
            .filter(sla_clock::Column::Id.eq(c.id))
            .filter(sla_clock::Column::DeadlineVersion.eq(c.deadline_version))
            .filter(sla_clock::Column::Status.eq("running"));
        if needs_breach {
            claim = claim
                .col_expr(
                    sla_clock::Column::BreachNotifiedVersion,
                    sea_orm::prelude::Expr::value(c.deadline_version),
                )
                .filter(
                    Condition::any()
                        .add(sla_clock::Column::BreachNotifiedVersion.is_null())
                        .add(sla_clock::Column::BreachNotifiedVersion.ne(c.deadline_version)),
                );
            if c.breached_at.is_none() {
                claim = claim.col_expr(
                    sla_clock::Column::BreachedAt,
                    sea_orm::prelude::Expr::value(c.deadline_at),
                );
            }
        } else {
            claim = claim
                .col_expr(
                    sla_clock::Column::WarnedVersion,
                    sea_orm::prelude::Expr::value(c.deadline_version),
                )
                .filter(
                    Condition::any()
                        .add(sla_clock::Column::WarnedVersion.is_null())
                        .add(sla_clock::Column::WarnedVersion.ne(c.deadline_version)),
                );
        }
        if claim.exec(&txn).await?.rows_affected != 1 {
            txn.rollback().await?;
            continue;
        }
        let Some(t) = ticket::Entity::find_by_id(c.ticket_id).one(&txn).await? else {
            txn.rollback().await?;
            continue;
        };
        let clock: ClockKind = c.clock.parse()?;
        let assignee = match t.assignee_id {
            Some(a) => user::Entity::find_by_id(a).one(&txn).await?,
            None => None,
        };
        let level = if needs_breach { "breach" } else { "warning" };
        let key = |who: &str| {
            format!(
                "sla:{}:{}:{}:v{}:{}",
                t.id,
                clock.as_str(),
                level,
                c.deadline_version,
                who
            )
        };
        let deadline = c.deadline_at.unwrap_or(now);
        if needs_breach {
            report.breaches += usize::from(c.breached_at.is_none());
            audit::append(&txn, &Actor::system(), now, Change {
                action: "sla.breach",
                subject_type: "ticket",
                subject_id: t.id.to_string(),
                before: None,
                after: Some(json!({ "clock": clock.as_str(), "deadline_at": c.deadline_at, "deadline_version": c.deadline_version })),
            })
            .await?;
            let recipient = match &assignee {
                Some(a) => Some(a.clone()),
                None => department_manager(&txn, t.department_id).await?,
            };
            if let Some(u) = recipient
                && notify::sla_message(
                    core,
                    &txn,
                    &t,
                    &u,
                    notify::Template::Breach,
                    clock,
                    deadline,
                    &key("assignee"),
                )
                .await?
            {
                report.notifications += 1;
            }
            if let Some(m) = department_manager(&txn, t.department_id).await?
                && notify::sla_message(
                    core,
                    &txn,
                    &t,
                    &m,
                    notify::Template::Escalation,
                    clock,
                    deadline,
                    &key("manager"),
                )
                .await?
            {
                report.notifications += 1;
            }
        } else {
            report.warnings += 1;
            if let Some(u) = assignee
                && notify::sla_message(
                    core,
                    &txn,
                    &t,
                    &u,
                    notify::Template::Warning,
                    clock,
                    deadline,
                    &key("assignee"),
                )
                .await?
            {
                report.notifications += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(report)
}

/// The manager who receives escalations for a department: its named manager, else its
/// first active manager-role user, else any active manager.
pub async fn department_manager<C: ConnectionTrait>(
    conn: &C,
    department_id: Option<i64>,
) -> Result<Option<user::Model>> {
    if let Some(d) = department_id {
        if let Some(dep) = department::Entity::find_by_id(d).one(conn).await?
            && let Some(m) = dep.manager_id
            && let Some(u) = user::Entity::find_by_id(m).one(conn).await?.filter(|u| u.active)
        {
            return Ok(Some(u));
        }
        if let Some(u) = user::Entity::find()
            .filter(user::Column::DepartmentId.eq(d))
            .filter(user::Column::Role.eq(Role::Manager.as_str()))
            .filter(user::Column::Active.eq(true))
            .order_by_asc(user::Column::Id)
            .one(conn)
            .await?
        {
            return Ok(Some(u));
        }
    }
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Manager.as_str()))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Id)
        .one(conn)
        .await?)
}
