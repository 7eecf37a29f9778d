//! Queries.

use async_graphql::connection::{Connection, Edge, EmptyFields, query};
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use ecogov_domain::Error;
use ecogov_domain::role::Operation;
use ecogov_domain::service::{Actor, Core, Page, audit, calendar, directory, notify, sla, tickets};

use crate::RequestContext;
use crate::error::{ApiError, ApiResult};
use crate::types::*;

/// The authenticated caller, or `unauthenticated` / `session_expired`.
pub(crate) fn actor<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a Actor> {
    let rc = ctx
        .data::<RequestContext>()
        .map_err(|_| ApiError(Error::Unauthenticated))?;
    match (&rc.actor, rc.auth_error) {
        (Some(a), _) => Ok(a),
        (None, Some("session_expired")) => Err(ApiError(Error::SessionExpired)),
        _ => Err(ApiError(Error::Unauthenticated)),
    }
}

pub(crate) fn core<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a Core> {
    ctx.data::<Core>()
        .map_err(|_| ApiError(Error::Internal("core missing".into())))
}

pub(crate) fn parse_id(field: &str, id: &ID) -> ApiResult<i64> {
    id.parse::<i64>()
        .map_err(|_| ApiError(Error::invalid(field, "编号格式不正确")))
}

/// Runs an offset-paginated fetch as a Relay connection (cursors are opaque offsets).
pub(crate) async fn paginate<T, F, Fut>(
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
    fetch: F,
) -> async_graphql::Result<Connection<usize, T, EmptyFields, EmptyFields>>
where
    T: async_graphql::OutputType,
    F: FnOnce(Page) -> Fut,
    Fut: std::future::Future<Output = ApiResult<(Vec<T>, u64)>>,
{
    query(
        after,
        before,
        first,
        last,
        |after: Option<usize>, before: Option<usize>, first, last| async move {
            let start = after.map(|a| a + 1).unwrap_or(0);
            let mut end = before.unwrap_or(usize::MAX);
            let limit = match (first, last) {
                (Some(f), _) => f.min(200),
                (None, Some(l)) => l.min(200),
                (None, None) => 50,
            };
            let mut offset = start;
            if first.is_none()
                && let Some(l) = last
                && end != usize::MAX
            {
                offset = end.saturating_sub(l).max(start);
            }
            if end == usize::MAX {
                end = offset + limit;
            }
            let take = end.saturating_sub(offset).min(limit);
            let (rows, total) = fetch(Page::new(offset as u64, take as u64))
                .await
                .map_err(async_graphql::Error::from)?;
            let total = total as usize;
            let mut conn = Connection::new(offset > 0, offset + rows.len() < total.min(end));
            conn.edges
                .extend(rows.into_iter().enumerate().map(|(i, r)| Edge::new(offset + i, r)));
            Ok::<_, async_graphql::Error>(conn)
        },
    )
    .await
}

/// Filters of the ticket list.
#[derive(InputObject, Default)]
pub struct TicketFilter {
    /// Only these states.
    pub states: Option<Vec<TicketState>>,
    /// Only these kinds.
    pub kinds: Option<Vec<TicketKind>>,
    /// Only this assignee.
    pub assignee_id: Option<ID>,
    /// Only this department.
    pub department_id: Option<ID>,
    /// Only overdue (true) or not overdue (false).
    pub overdue: Option<bool>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Title contains.
    pub search: Option<String>,
}

/// Sort orders of the ticket list.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Default)]
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

/// The query root.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// The caller.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let a = actor(ctx)?;
        let u = directory::users_by_ids(core(ctx)?, &[a.id]).await.map_err(ApiError)?;
        u.into_iter()
            .next()
            .map(User)
            .ok_or_else(|| ApiError(Error::NotFound("user")).into())
    }

    /// One ticket.
    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Ticket> {
        let a = actor(ctx)?;
        Ok(Ticket(
            tickets::get(core(ctx)?, a, parse_id("id", &id)?)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Tickets the caller may see, filtered and sorted (Relay connection, at most 200 per page).
    #[graphql(complexity = "first.unwrap_or(50).max(last.unwrap_or(0)) as usize * child_complexity")]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        filter: Option<TicketFilter>,
        sort: Option<TicketSort>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, Ticket, EmptyFields, EmptyFields>> {
        let a = actor(ctx)?.clone();
        let c = core(ctx)?.clone();
        let f = filter.unwrap_or_default();
        let filter = tickets::TicketFilter {
            states: f.states.unwrap_or_default().into_iter().map(Into::into).collect(),
            kinds: f.kinds.unwrap_or_default().into_iter().map(Into::into).collect(),
            assignee_id: f.assignee_id.as_ref().map(|i| parse_id("assigneeId", i)).transpose()?,
            department_id: f
                .department_id
                .as_ref()
                .map(|i| parse_id("departmentId", i))
                .transpose()?,
            overdue: f.overdue,
            created_from: f.created_from,
            created_to: f.created_to,
            search: f.search,
        };
        let sort = match sort.unwrap_or_default() {
            TicketSort::CreatedDesc => tickets::TicketSort::CreatedDesc,
            TicketSort::CreatedAsc => tickets::TicketSort::CreatedAsc,
            TicketSort::UpdatedDesc => tickets::TicketSort::UpdatedDesc,
            TicketSort::SeverityDesc => tickets::TicketSort::SeverityDesc,
        };
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = tickets::list(&c, &a, &filter, sort, page).await?;
            Ok((rows.into_iter().map(Ticket).collect(), total))
        })
        .await
    }

    /// Users (directory).
    async fn users(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, User, EmptyFields, EmptyFields>> {
        let a = actor(ctx)?.clone();
        let c = core(ctx)?.clone();
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = directory::list_users(&c, &a, search.as_deref(), page).await?;
            Ok((rows.into_iter().map(User).collect(), total))
        })
        .await
    }

    /// Departments (department users see their own).
    async fn departments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Department>> {
        let a = actor(ctx)?;
        Ok(directory::list_departments(core(ctx)?, a)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(Department)
            .collect())
    }

    /// Whether a date is a working day.
    async fn is_working_day(&self, ctx: &Context<'_>, date: NaiveDate) -> async_graphql::Result<bool> {
        actor(ctx)?;
        Ok(calendar::load(&core(ctx)?.db)
            .await
            .map_err(ApiError)?
            .is_working_day(date))
    }

    /// The instant reached after `minutes` business minutes from `start`.
    async fn add_working_time(
        &self,
        ctx: &Context<'_>,
        start: DateTime<Utc>,
        minutes: i32,
    ) -> async_graphql::Result<DateTime<Utc>> {
        actor(ctx)?;
        if !(0..=1_000_000).contains(&minutes) {
            return Err(ApiError(Error::invalid("minutes", "分钟数须在 0 至 1000000 之间")).into());
        }
        Ok(calendar::load(&core(ctx)?.db)
            .await
            .map_err(ApiError)?
            .add_working_minutes(start, i64::from(minutes)))
    }

    /// The next `n` working days after `from` (at most 366).
    async fn next_working_days(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        n: i32,
    ) -> async_graphql::Result<Vec<NaiveDate>> {
        actor(ctx)?;
        if !(1..=366).contains(&n) {
            return Err(ApiError(Error::invalid("n", "n 须在 1 至 366 之间")).into());
        }
        Ok(calendar::load(&core(ctx)?.db)
            .await
            .map_err(ApiError)?
            .next_working_days(from, n as usize))
    }

    /// Calendar mode, business hours and a year's stored exceptions.
    async fn calendar(&self, ctx: &Context<'_>, year: i32) -> async_graphql::Result<CalendarSettings> {
        actor(ctx)?;
        let (mode, periods) = calendar::describe(core(ctx)?).await.map_err(ApiError)?;
        Ok(CalendarSettings {
            mode,
            periods: periods.into_iter().map(|(start, end)| Period { start, end }).collect(),
            year,
        })
    }

    /// SLA policies (defaults apply where none is stored).
    async fn sla_policies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SlaPolicy>> {
        actor(ctx)?;
        Ok(sla::policies(core(ctx)?)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(SlaPolicy)
            .collect())
    }

    /// The workflow tables.
    async fn workflows(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Workflow>> {
        actor(ctx)?;
        Ok(ecogov_domain::workflow::TicketKind::ALL
            .iter()
            .map(|k| {
                let wf = k.workflow();
                Workflow {
                    kind: (*k).into(),
                    initial: wf.initial.into(),
                    terminal: wf.terminal.iter().map(|s| (*s).into()).collect(),
                    transitions: wf
                        .transitions
                        .iter()
                        .map(|t| WorkflowTransition {
                            from: t.from.into(),
                            event: t.event.into(),
                            to: t.to.into(),
                            roles: t.roles.iter().map(|r| (*r).into()).collect(),
                            requires: t.requires.iter().map(|r| (*r).into()).collect(),
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// The audit trail, newest first (audit administrators), optionally narrowed by subject
    /// type, subject id and action (each independently).
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        subject_type: Option<String>,
        subject_id: Option<String>,
        action: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, AuditEvent, EmptyFields, EmptyFields>> {
        let a = actor(ctx)?.clone();
        let c = core(ctx)?.clone();
        let filter = audit::AuditFilter {
            subject_type,
            subject_id,
            action,
        };
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = audit::list(&c, &a, filter, page).await?;
            Ok((rows.into_iter().map(AuditEvent).collect(), total))
        })
        .await
    }

    /// Verifies the audit chain and the recorded checkpoints (audit administrators).
    async fn audit_verify(&self, ctx: &Context<'_>) -> async_graphql::Result<AuditVerification> {
        let a = actor(ctx)?;
        let v = audit::verify_as(core(ctx)?, a).await.map_err(ApiError)?;
        Ok(verification(v))
    }

    /// Outbox emails (admins); `status: "dead"` is the dead-letter list.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        status: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, Notification, EmptyFields, EmptyFields>> {
        let a = actor(ctx)?.clone();
        let c = core(ctx)?.clone();
        a.require(Operation::ManageJobs).map_err(ApiError)?;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = notify::list(&c, &a, status.as_deref(), page).await?;
            Ok((rows.into_iter().map(Notification).collect(), total))
        })
        .await
    }
}

pub(crate) fn verification(v: ecogov_domain::hashchain::Verification) -> AuditVerification {
    use ecogov_domain::hashchain::ChainBreak;
    let kind = v.first_break.as_ref().map(|b| {
        match b {
            ChainBreak::HashMismatch { .. } => "hash_mismatch",
            ChainBreak::LinkBroken { .. } => "link_broken",
            ChainBreak::Gap { .. } => "gap",
            ChainBreak::UnknownAlgorithm { .. } => "unknown_algorithm",
            ChainBreak::Truncated { .. } => "truncated",
            ChainBreak::CheckpointMismatch { .. } => "checkpoint_mismatch",
            ChainBreak::CheckpointUnverifiable { .. } => "checkpoint_unverifiable",
        }
        .to_owned()
    });
    let message = match &v.first_break {
        None => format!("审计链完整，共校验 {} 条记录", v.checked),
        Some(b) => audit::describe_break(b),
    };
    AuditVerification {
        intact: v.first_break.is_none(),
        checked: v.checked,
        head_seq: v.head_seq,
        head_hash: v.head_hash,
        first_broken_seq: v.first_break.as_ref().map(|b| b.seq()),
        break_kind: kind,
        message,
    }
}
