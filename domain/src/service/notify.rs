//! Email notifications through a transactional outbox.
//!
//! A state change writes its outbox row in the same transaction. Delivery is separate (the
//! workers): a row is claimed with a lease, sent, then marked sent; a failure schedules a
//! retry with exponential backoff, and after `max_attempts` the row is `dead`, listed for
//! admins, who can retry it. The dedup key is unique, so the same notice is never queued twice.
//! Texts are Simplified Chinese, rendered from the templates in `domain/templates`.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use minijinja::{Environment, context};
use sea_orm::ExprTrait;
use sea_orm::prelude::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Change};
use super::{Actor, Core, Page};
use crate::entity::{notification, ticket, user};
use crate::role::Operation;
use crate::workflow::{ClockKind, Severity, State, TicketKind};
use crate::{Error, Result};

/// Attempts before a notification is dead.
pub const MAX_ATTEMPTS: i32 = 5;
/// How long a claimed row is reserved for one sender.
pub const LEASE_SECONDS: i64 = 120;

/// Outbox statuses.
pub mod status {
    /// Waiting for its next attempt.
    pub const PENDING: &str = "pending";
    /// Handed to the job queue.
    pub const QUEUED: &str = "queued";
    /// Claimed by a sender.
    pub const SENDING: &str = "sending";
    /// Delivered to the SMTP server (or file).
    pub const SENT: &str = "sent";
    /// Gave up; visible to admins.
    pub const DEAD: &str = "dead";
}

/// The message templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// A ticket was assigned to the recipient.
    Assigned,
    /// The recipient's rectification was rejected.
    Rejected,
    /// A clock reached its warning share.
    Warning,
    /// A clock passed its deadline (to the assignee).
    Breach,
    /// A clock passed its deadline (to the department manager).
    Escalation,
}

impl Template {
    /// Every template.
    pub const ALL: [Template; 5] = [
        Template::Assigned,
        Template::Rejected,
        Template::Warning,
        Template::Breach,
        Template::Escalation,
    ];

    /// The template of a stored name ([`Template::name`]).
    pub fn from_name(name: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Name of the template files and of the outbox row's `kind`.
    pub fn name(self) -> &'static str {
        match self {
            Template::Assigned => "assigned",
            Template::Rejected => "rejected",
            Template::Warning => "warning",
            Template::Breach => "breach",
            Template::Escalation => "escalation",
        }
    }

    fn subject(self, clock: &str) -> String {
        match self {
            Template::Assigned => "【生态环境数据治理】新工单待处理".into(),
            Template::Rejected => "【生态环境数据治理】整改未通过复核".into(),
            Template::Warning => format!("【生态环境数据治理】{clock}即将到期"),
            Template::Breach => format!("【生态环境数据治理】工单已超出{clock}"),
            Template::Escalation => format!("【生态环境数据治理】超期升级：工单已超出{clock}"),
        }
    }
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        let templates: [(&str, &str); 12] = [
            ("base.html", include_str!("../../templates/base.html")),
            ("facts.txt", include_str!("../../templates/facts.txt")),
            ("assigned.html", include_str!("../../templates/assigned.html")),
            ("assigned.txt", include_str!("../../templates/assigned.txt")),
            ("rejected.html", include_str!("../../templates/rejected.html")),
            ("rejected.txt", include_str!("../../templates/rejected.txt")),
            ("warning.html", include_str!("../../templates/warning.html")),
            ("warning.txt", include_str!("../../templates/warning.txt")),
            ("breach.html", include_str!("../../templates/breach.html")),
            ("breach.txt", include_str!("../../templates/breach.txt")),
            ("escalation.html", include_str!("../../templates/escalation.html")),
            ("escalation.txt", include_str!("../../templates/escalation.txt")),
        ];
        for (name, src) in templates {
            // The templates are compiled into the binary and covered by tests.
            let _ = env.add_template(name, src);
        }
        env
    })
}

/// A rendered message.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// What a template needs to know.
pub struct MessageFacts<'a> {
    /// The ticket.
    pub ticket: &'a ticket::Model,
    /// Recipient's display name.
    pub recipient: &'a str,
    /// Clock concerned, if any.
    pub clock: Option<ClockKind>,
    /// Deadline, if any.
    pub deadline: Option<DateTime<Utc>>,
    /// Reason (rejections).
    pub reason: Option<&'a str>,
    /// Assignee's display name (escalations).
    pub assignee: Option<&'a str>,
}

/// The facts of one message as kept in its outbox row (`notifications.facts`, JSON): taken
/// when the change happens, rendered into text and HTML when the message is sent. The row
/// stays small (a few hundred bytes instead of the rendered bodies), and rendering costs the
/// sender, not the transaction that changes the ticket. The same facts always render the
/// same message, so what goes out is what the change decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFacts {
    /// Template name (`assigned`, `rejected`, `warning`, `breach`, `escalation`).
    pub template: String,
    /// Recipient's display name.
    pub recipient: String,
    /// Ticket id.
    pub ticket_id: i64,
    /// Ticket title.
    pub title: String,
    /// Ticket kind code.
    pub kind: String,
    /// Severity code.
    pub severity: String,
    /// Ticket state code after the change.
    pub state: String,
    /// Clock code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// Deadline, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// Reason (rejections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Assignee's display name (escalations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

impl StoredFacts {
    /// The facts of a message about ticket `f.ticket`.
    pub fn new(template: Template, f: &MessageFacts<'_>) -> Self {
        let t = f.ticket;
        StoredFacts {
            template: template.name().to_owned(),
            recipient: f.recipient.to_owned(),
            ticket_id: t.id,
            title: t.title.clone(),
            kind: t.kind.clone(),
            severity: t.severity.clone(),
            state: t.state.clone(),
            clock: f.clock.map(|c| c.as_str().to_owned()),
            deadline: f.deadline,
            reason: f.reason.map(str::to_owned),
            assignee: f.assignee.map(str::to_owned),
        }
    }

    fn template(&self) -> Result<Template> {
        Template::from_name(&self.template)
            .ok_or_else(|| Error::Internal(format!("unknown message template {:?}", self.template)))
    }

    fn clock(&self) -> Option<ClockKind> {
        self.clock.as_deref().and_then(|c| c.parse().ok())
    }

    /// The subject line (stored in the row for the admins' list).
    pub fn subject(&self) -> Result<String> {
        Ok(self
            .template()?
            .subject(self.clock().map(|c| c.label()).unwrap_or("时限")))
    }
}

/// Renders a template.
pub fn render(core: &Core, template: Template, f: &MessageFacts<'_>) -> Result<Rendered> {
    render_facts(core, &StoredFacts::new(template, f))
}

/// Renders stored facts into subject, text and HTML.
pub fn render_facts(core: &Core, f: &StoredFacts) -> Result<Rendered> {
    let template = f.template()?;
    let label = |s: &str, parse: fn(&str) -> Option<&'static str>| parse(s).unwrap_or("未知").to_owned();
    let clock_kind = f.clock();
    let clock = clock_kind.map(|c| c.label()).unwrap_or("时限");
    let expected = match clock_kind {
        Some(ClockKind::Feedback) => "接单反馈",
        _ => "整改并提交复核",
    };
    let ctx = context! {
        subject => template.subject(clock),
        recipient => f.recipient,
        ticket_id => f.ticket_id,
        title => f.title,
        kind => label(&f.kind, |s| s.parse::<TicketKind>().ok().map(|k| k.label())),
        severity => label(&f.severity, |s| s.parse::<Severity>().ok().map(|k| k.label())),
        state => label(&f.state, |s| s.parse::<State>().ok().map(|k| k.label())),
        clock => clock,
        expected => expected,
        deadline => f.deadline.map(crate::time::format_local),
        reason => f.reason.as_deref().unwrap_or(""),
        assignee => f.assignee.as_deref().unwrap_or("（未指派）"),
        link => format!("{}/tickets/{}", core.public_url.trim_end_matches('/'), f.ticket_id),
    };
    let e = env();
    let render_one = |suffix: &str| -> Result<String> {
        e.get_template(&format!("{}.{suffix}", template.name()))
            .and_then(|tpl| tpl.render(&ctx))
            .map_err(|err| Error::Internal(format!("template {}: {err}", template.name())))
    };
    Ok(Rendered {
        subject: template.subject(clock),
        text: render_one("txt")?,
        html: render_one("html")?,
    })
}

/// The message of an outbox row: rendered from its facts, or (rows written before facts were
/// stored) its stored bodies.
pub fn message(core: &Core, n: &notification::Model) -> Result<Rendered> {
    match &n.facts {
        Some(json) => {
            let facts: StoredFacts =
                serde_json::from_str(json).map_err(|e| Error::Internal(format!("notification {} facts: {e}", n.id)))?;
            render_facts(core, &facts)
        }
        None => Ok(Rendered {
            subject: n.subject.clone(),
            text: n.body_text.clone(),
            html: n.body_html.clone(),
        }),
    }
}

/// Writes an outbox row unless one with the same dedup key exists. Returns whether written.
async fn enqueue<C: ConnectionTrait>(
    core: &Core,
    conn: &C,
    dedup_key: &str,
    ticket_id: Option<i64>,
    to: &user::Model,
    facts: &StoredFacts,
) -> Result<bool> {
    let n = conn
        .execute(&enqueue_write(core, dedup_key, ticket_id, to, facts)?)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// The outbox insert of [`enqueue`]: `ON CONFLICT (dedup_key) DO NOTHING`. The row holds the
/// message's facts; its bodies are rendered when it is sent ([`claim`]).
fn enqueue_write(
    core: &Core,
    dedup_key: &str,
    ticket_id: Option<i64>,
    to: &user::Model,
    facts: &StoredFacts,
) -> Result<sea_orm::sea_query::InsertStatement> {
    use sea_orm::QueryTrait;
    let now = core.now();
    let (status, error) = match &to.email {
        Some(_) => (status::PENDING, None),
        None => (status::DEAD, Some("收件人未配置邮箱地址".to_owned())),
    };
    let am = notification::ActiveModel {
        dedup_key: Set(dedup_key.to_owned()),
        kind: Set(facts.template.clone()),
        ticket_id: Set(ticket_id),
        recipient_id: Set(Some(to.id)),
        recipient_email: Set(to.email.clone().unwrap_or_default()),
        subject: Set(facts.subject()?),
        body_text: Set(String::new()),
        body_html: Set(String::new()),
        facts: Set(Some(
            serde_json::to_string(facts).map_err(|e| Error::Internal(e.to_string()))?,
        )),
        status: Set(status.to_owned()),
        attempts: Set(0),
        max_attempts: Set(MAX_ATTEMPTS),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(error),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    };
    Ok(notification::Entity::insert(am)
        .on_conflict(
            OnConflict::column(notification::Column::DedupKey)
                .do_nothing()
                .to_owned(),
        )
        .into_query())
}

/// The outbox insert of a ticket message (assignment, rejection), for a
/// [`super::batch::Batch`] of the caller's transaction. A message whose dedup key exists is
/// not written again.
pub fn ticket_message_write(
    core: &Core,
    t: &ticket::Model,
    to: &user::Model,
    template: Template,
    dedup_key: &str,
    reason: Option<&str>,
) -> Result<sea_orm::sea_query::InsertStatement> {
    let facts = StoredFacts::new(
        template,
        &MessageFacts {
            ticket: t,
            recipient: &to.display_name,
            clock: None,
            deadline: None,
            reason,
            assignee: None,
        },
    );
    enqueue_write(core, dedup_key, Some(t.id), to, &facts)
}

/// Queues an SLA message (warning, breach, escalation).
pub async fn sla_message<C: ConnectionTrait>(
    core: &Core,
    conn: &C,
    t: &ticket::Model,
    to: &user::Model,
    template: Template,
    clock: ClockKind,
    deadline: DateTime<Utc>,
    dedup_key: &str,
) -> Result<bool> {
    let assignee = match t.assignee_id {
        Some(a) => user::Entity::find_by_id(a).one(conn).await?.map(|u| u.display_name),
        None => None,
    };
    let facts = StoredFacts::new(
        template,
        &MessageFacts {
            ticket: t,
            recipient: &to.display_name,
            clock: Some(clock),
            deadline: Some(deadline),
            reason: None,
            assignee: assignee.as_deref(),
        },
    );
    enqueue(core, conn, dedup_key, Some(t.id), to, &facts).await
}

/// Outbox relay: marks due rows as queued (with a lease) and returns their ids, so the relay
/// can hand them to the job queue. Rows whose lease expired (lost job, killed sender) come
/// back here too.
pub async fn take_due(core: &Core, limit: u64) -> Result<Vec<i64>> {
    let now = core.now();
    let due = Condition::any()
        .add(
            Condition::all()
                .add(notification::Column::Status.eq(status::PENDING))
                .add(notification::Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(notification::Column::Status.is_in([status::QUEUED, status::SENDING]))
                .add(notification::Column::LockedUntil.lt(now)),
        );
    let rows = notification::Entity::find()
        .filter(due.clone())
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(&core.db)
        .await?;
    let mut taken = Vec::new();
    for r in rows {
        let res = notification::Entity::update_many()
            .col_expr(notification::Column::Status, Expr::value(status::QUEUED))
            .col_expr(
                notification::Column::LockedUntil,
                Expr::value(now + Duration::seconds(LEASE_SECONDS * 5)),
            )
            .filter(notification::Column::Id.eq(r.id))
            .filter(notification::Column::Status.eq(r.status.clone()))
            .filter(due.clone())
            .exec(&core.db)
            .await?;
        if res.rows_affected == 1 {
            taken.push(r.id);
        }
    }
    Ok(taken)
}

/// Claims a row for sending, with its subject and bodies rendered from its facts. None if it
/// is already sent, dead, or held by another sender (or its facts cannot be rendered: that
/// is recorded as a failed attempt).
pub async fn claim(core: &Core, id: i64) -> Result<Option<notification::Model>> {
    let now = core.now();
    let claimable = Condition::any()
        .add(notification::Column::Status.is_in([status::PENDING, status::QUEUED]))
        .add(
            Condition::all()
                .add(notification::Column::Status.eq(status::SENDING))
                .add(notification::Column::LockedUntil.lt(now)),
        );
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(status::SENDING))
        .col_expr(
            notification::Column::LockedUntil,
            Expr::value(now + Duration::seconds(LEASE_SECONDS)),
        )
        .filter(notification::Column::Id.eq(id))
        .filter(claimable)
        .exec(&core.db)
        .await?;
    if res.rows_affected != 1 {
        return Ok(None);
    }
    let Some(mut n) = notification::Entity::find_by_id(id).one(&core.db).await? else {
        return Ok(None);
    };
    // Rows keep facts, not bodies: render them now, for this send.
    if n.facts.is_some() {
        match message(core, &n) {
            Ok(m) => {
                n.subject = m.subject;
                n.body_text = m.text;
                n.body_html = m.html;
            }
            Err(e) => {
                fail(core, id, &format!("邮件渲染失败：{e}")).await?;
                return Ok(None);
            }
        }
    }
    Ok(Some(n))
}

/// Marks a claimed row as sent.
pub async fn complete(core: &Core, id: i64) -> Result<()> {
    notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(status::SENT))
        .col_expr(notification::Column::SentAt, Expr::value(core.now()))
        .col_expr(
            notification::Column::Attempts,
            Expr::col(notification::Column::Attempts).add(1),
        )
        .col_expr(
            notification::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(notification::Column::LastError, Expr::value(Option::<String>::None))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::Status.eq(status::SENDING))
        .exec(&core.db)
        .await?;
    Ok(())
}

/// Backoff before attempt `n + 1`: 30 s, 1 min, 2 min, 4 min... capped at 1 h.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(0, 7) as u32;
    Duration::seconds(Ord::min(30_i64 * 2_i64.pow(exp), 3600))
}

/// Records a failed attempt; schedules a retry or marks the row dead. Returns the new status.
pub async fn fail(core: &Core, id: i64, error: &str) -> Result<&'static str> {
    let Some(n) = notification::Entity::find_by_id(id).one(&core.db).await? else {
        return Err(Error::NotFound("notification"));
    };
    let attempts = n.attempts + 1;
    let dead = attempts >= n.max_attempts;
    let new_status = if dead { status::DEAD } else { status::PENDING };
    let mut am = n.into_active_model();
    am.attempts = Set(attempts);
    am.status = Set(new_status.to_owned());
    am.locked_until = Set(None);
    am.last_error = Set(Some(error.chars().take(1000).collect()));
    am.next_attempt_at = Set(core.now() + backoff(attempts - 1));
    am.update(&core.db).await?;
    if dead {
        tracing::warn!(notification = id, attempts, "notification gave up after retries");
    }
    Ok(new_status)
}

/// Notifications for admins, optionally by status (e.g. `dead`), newest first.
pub async fn list(
    core: &Core,
    actor: &Actor,
    status_filter: Option<&str>,
    page: Page,
) -> Result<(Vec<notification::Model>, u64)> {
    actor.require(Operation::ManageJobs)?;
    let mut q = notification::Entity::find();
    if let Some(s) = status_filter {
        q = q.filter(notification::Column::Status.eq(s));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(notification::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// Puts a dead notification back in the queue (admin). Audited.
pub async fn retry(core: &Core, actor: &Actor, id: i64) -> Result<notification::Model> {
    actor.require(Operation::ManageJobs)?;
    let now = core.now();
    let txn = core.begin().await?;
    let n = notification::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("notification"))?;
    if n.status != status::DEAD {
        return Err(Error::invalid("id", "只能重试已失败（dead）的通知"));
    }
    if n.recipient_email.is_empty() {
        return Err(Error::invalid("id", "收件人未配置邮箱地址，无法重试"));
    }
    let mut am = n.into_active_model();
    am.status = Set(status::PENDING.to_owned());
    am.attempts = Set(0);
    am.next_attempt_at = Set(now);
    am.locked_until = Set(None);
    let n = am.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "notification.retry",
            subject_type: "notification",
            subject_id: id.to_string(),
            before: Some(json!({ "status": "dead" })),
            after: Some(json!({ "status": "pending" })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// Counts by status (metrics).
pub async fn counts(core: &Core) -> Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for s in [
        status::PENDING,
        status::QUEUED,
        status::SENDING,
        status::SENT,
        status::DEAD,
    ] {
        out.push((
            s.to_owned(),
            notification::Entity::find()
                .filter(notification::Column::Status.eq(s))
                .count(&core.db)
                .await?,
        ));
    }
    Ok(out)
}
