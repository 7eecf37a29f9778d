//! GraphQL object types, wrapping domain models.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use ecogov_domain::entity::{
    attachment, audit_event, department, notification, sla_clock, sla_policy, ticket, ticket_comment, ticket_event,
    ticket_occurrence, user,
};
use ecogov_domain::service::{Core, sla as sla_service, tickets};

use crate::error::ApiError;
use crate::loaders::{ClockLoader, DepartmentLoader, UserLoader};
use crate::query::actor;

macro_rules! gql_enum {
    ($name:ident, $domain:path { $($variant:ident),+ $(,)? }) => {
        /// Mirrors the domain enum of the same name.
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name { $($variant),+ }
        impl From<$name> for $domain { fn from(v: $name) -> Self { match v { $($name::$variant => <$domain>::$variant),+ } } }
        impl From<$domain> for $name { fn from(v: $domain) -> Self { match v { $(<$domain>::$variant => $name::$variant),+ } } }
        impl $name {
            /// Parses the stored string.
            pub fn parse(s: &str) -> async_graphql::Result<Self> { Ok(s.parse::<$domain>().map_err(ApiError)?.into()) }
        }
    };
}

gql_enum!(
    TicketKind,
    ecogov_domain::workflow::TicketKind {
        QualityIssue,
        MetadataDrift,
        DataRequest,
        SharingTask,
        AssetCompliance,
        PlatformFeedback,
        CollectionFailure,
        ReconciliationMismatch
    }
);
gql_enum!(
    TicketState,
    ecogov_domain::workflow::State {
        New,
        Assigned,
        Rectifying,
        WaitingExternal,
        PendingReview,
        Closed,
        Invalid,
        Submitted,
        UnderReview,
        Approved,
        Rejected,
        Provisioning,
        Delivered,
        Draft,
        Active,
        Suspended,
        Retired,
        SelfAssessed,
        Certified,
        Revoked
    }
);
gql_enum!(
    TicketEvent,
    ecogov_domain::workflow::Event {
        Assign,
        Reassign,
        Start,
        Submit,
        AwaitExternal,
        Resume,
        Approve,
        Reject,
        Reopen,
        CloseInvalid,
        StartReview,
        Provision,
        Deliver,
        Confirm,
        Activate,
        Suspend,
        Retire,
        SelfAssess,
        SubmitReview,
        Certify,
        Revise,
        Revoke,
        AutoClose
    }
);
gql_enum!(
    Severity,
    ecogov_domain::workflow::Severity {
        Low,
        Medium,
        High,
        Critical
    }
);
gql_enum!(ClockKind, ecogov_domain::workflow::ClockKind { Feedback, Resolution });
gql_enum!(
    Role,
    ecogov_domain::role::Role {
        Admin,
        SecurityAdmin,
        Manager,
        Operator,
        Auditor,
        Department
    }
);

/// A field a transition requires.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RequiredField {
    /// `assigneeId`
    Assignee,
    /// `note`
    Note,
    /// `evidenceIds`
    Evidence,
    /// `reason`
    Reason,
}

impl From<ecogov_domain::workflow::Requirement> for RequiredField {
    fn from(r: ecogov_domain::workflow::Requirement) -> Self {
        use ecogov_domain::workflow::Requirement as R;
        match r {
            R::Assignee => RequiredField::Assignee,
            R::Note => RequiredField::Note,
            R::Evidence => RequiredField::Evidence,
            R::Reason => RequiredField::Reason,
        }
    }
}

/// A user account.
pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn role(&self) -> async_graphql::Result<Role> {
        Role::parse(&self.0.role)
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn locked_until(&self) -> Option<DateTime<Utc>> {
        self.0.locked_until
    }
    async fn department(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Department>> {
        load_department(ctx, self.0.department_id).await
    }
}

/// A bureau division or an external unit.
pub struct Department(pub department::Model);

#[Object]
impl Department {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// True for units outside the bureau (city operations center, credit office...).
    async fn external(&self) -> bool {
        self.0.external
    }
    async fn manager(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.manager_id).await
    }
}

pub(crate) async fn load_user(ctx: &Context<'_>, id: Option<i64>) -> async_graphql::Result<Option<User>> {
    let Some(id) = id else { return Ok(None) };
    let loader = ctx.data::<DataLoader<UserLoader>>()?;
    Ok(loader
        .load_one(id)
        .await
        .map_err(|e| async_graphql::Error::from(ApiError(ecogov_domain::Error::Internal(e.to_string()))))?
        .map(User))
}

pub(crate) async fn load_department(ctx: &Context<'_>, id: Option<i64>) -> async_graphql::Result<Option<Department>> {
    let Some(id) = id else { return Ok(None) };
    let loader = ctx.data::<DataLoader<DepartmentLoader>>()?;
    Ok(loader
        .load_one(id)
        .await
        .map_err(|e| async_graphql::Error::from(ApiError(ecogov_domain::Error::Internal(e.to_string()))))?
        .map(Department))
}

/// What a ticket concerns.
#[derive(SimpleObject)]
pub struct Subject {
    /// `dataset`, `rule`, `enterprise`...
    pub kind: String,
    /// Identifier.
    pub id: String,
}

/// A transition the caller may make now.
#[derive(SimpleObject)]
pub struct AvailableTransition {
    /// Event to send.
    pub event: TicketEvent,
    /// State afterwards.
    pub to: TicketState,
    /// Fields to supply.
    pub requires: Vec<RequiredField>,
    /// Chinese label of the action.
    pub label: String,
}

/// A ticket.
pub struct Ticket(pub ticket::Model);

#[Object]
impl Ticket {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> async_graphql::Result<TicketKind> {
        TicketKind::parse(&self.0.kind)
    }
    async fn state(&self) -> async_graphql::Result<TicketState> {
        TicketState::parse(&self.0.state)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn severity(&self) -> async_graphql::Result<Severity> {
        Severity::parse(&self.0.severity)
    }
    /// manual, inspection_rule, reconciliation, platform, credit_office...
    async fn source(&self) -> &str {
        &self.0.source
    }
    async fn subject(&self) -> Option<Subject> {
        match (&self.0.subject_type, &self.0.subject_id) {
            (Some(k), Some(i)) => Some(Subject {
                kind: k.clone(),
                id: i.clone(),
            }),
            _ => None,
        }
    }
    async fn department(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Department>> {
        load_department(ctx, self.0.department_id).await
    }
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.assignee_id).await
    }
    async fn reviewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.reviewer_id).await
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.created_by).await
    }
    async fn rectified_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.rectified_by).await
    }
    async fn dedup_key(&self) -> Option<&str> {
        self.0.dedup_key.as_deref()
    }
    async fn recurrence_count(&self) -> i32 {
        self.0.recurrence_count
    }
    async fn reopen_count(&self) -> i32 {
        self.0.reopen_count
    }
    /// Re-check of the last rectification, for tickets opened by a quality rule:
    /// `pending` (not run yet or running), `passed`, `failed` or `error`; null for other
    /// tickets and before the first rectification.
    async fn verification(&self) -> Option<&'static str> {
        use ecogov_domain::workflow::Verification as V;
        self.0.rectified_by?;
        match tickets::verification(&self.0) {
            V::NotApplicable => None,
            V::Pending => Some("pending"),
            V::Passed => Some("passed"),
            V::Failed => Some("failed"),
            V::Error => Some("error"),
        }
    }
    /// Re-check runs of this ticket's rule, newest first (quality readers only).
    #[graphql(complexity = 5)]
    async fn rechecks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<crate::quality::QualityRun>> {
        let core = ctx.data::<Core>()?;
        Ok(
            ecogov_domain::service::quality::ticket_rechecks(core, actor(ctx)?, self.0.id)
                .await
                .map_err(ApiError)?
                .into_iter()
                .map(crate::quality::QualityRun)
                .collect(),
        )
    }
    /// Send this as `expectedVersion` with the next transition.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// SLA clocks (feedback, resolution).
    async fn sla(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SlaClock>> {
        let loader = ctx.data::<DataLoader<ClockLoader>>()?;
        let clocks = loader
            .load_one(self.0.id)
            .await
            .map_err(|e| async_graphql::Error::from(ApiError(ecogov_domain::Error::Internal(e.to_string()))))?;
        Ok(clocks.unwrap_or_default().into_iter().map(SlaClock).collect())
    }
    /// Transitions the caller may make now.
    async fn available_transitions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AvailableTransition>> {
        let a = actor(ctx)?;
        Ok(tickets::available(a, &self.0)
            .into_iter()
            .map(|t| AvailableTransition {
                event: t.event.into(),
                to: t.to.into(),
                requires: t.requires.into_iter().map(Into::into).collect(),
                label: t.event.label().to_owned(),
            })
            .collect())
    }
    #[graphql(complexity = 5)]
    async fn comments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Comment>> {
        let core = ctx.data::<Core>()?;
        Ok(tickets::comments(core, self.0.id)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(Comment)
            .collect())
    }
    #[graphql(complexity = 5)]
    async fn attachments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Attachment>> {
        let core = ctx.data::<Core>()?;
        Ok(tickets::attachments(core, self.0.id)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(Attachment)
            .collect())
    }
    /// Deduplicated findings recorded on this ticket.
    #[graphql(complexity = 5)]
    async fn occurrences(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Occurrence>> {
        let core = ctx.data::<Core>()?;
        Ok(tickets::occurrences(core, self.0.id)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(Occurrence)
            .collect())
    }
    /// Every transition, oldest first.
    #[graphql(complexity = 5)]
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<HistoryEntry>> {
        let core = ctx.data::<Core>()?;
        Ok(tickets::history(core, self.0.id)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(HistoryEntry)
            .collect())
    }
    #[graphql(complexity = 5)]
    async fn watchers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        let core = ctx.data::<Core>()?;
        let ids = tickets::watchers(core, self.0.id).await.map_err(ApiError)?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(u) = load_user(ctx, Some(id)).await? {
                out.push(u);
            }
        }
        Ok(out)
    }
    /// Pauses of the SLA clocks, with reasons.
    #[graphql(complexity = 5)]
    async fn sla_pauses(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SlaPause>> {
        let core = ctx.data::<Core>()?;
        Ok(sla_service::pauses_of(core, self.0.id)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(|p| SlaPause {
                reason: p.reason,
                paused_at: p.paused_at,
                resumed_at: p.resumed_at,
            })
            .collect())
    }
}

/// A pause of an SLA clock.
#[derive(SimpleObject)]
pub struct SlaPause {
    /// Why the clock paused.
    pub reason: String,
    /// When.
    pub paused_at: DateTime<Utc>,
    /// When it resumed.
    pub resumed_at: Option<DateTime<Utc>>,
}

/// An SLA clock of a ticket.
pub struct SlaClock(pub sla_clock::Model);

#[Object]
impl SlaClock {
    async fn clock(&self) -> async_graphql::Result<ClockKind> {
        ClockKind::parse(&self.0.clock)
    }
    /// running, paused or stopped.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn budget_minutes(&self) -> i64 {
        self.0.budget_minutes
    }
    async fn consumed_minutes(&self) -> i64 {
        self.0.consumed_minutes
    }
    async fn deadline_at(&self) -> Option<DateTime<Utc>> {
        self.0.deadline_at
    }
    /// The deadline in Asia/Shanghai, e.g. `2026-12-07 10:00`.
    async fn deadline_local(&self) -> Option<String> {
        self.0.deadline_at.map(ecogov_domain::time::format_local)
    }
    async fn warn_at(&self) -> Option<DateTime<Utc>> {
        self.0.warn_at
    }
    async fn breached_at(&self) -> Option<DateTime<Utc>> {
        self.0.breached_at
    }
    async fn deadline_version(&self) -> i32 {
        self.0.deadline_version
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn stopped_at(&self) -> Option<DateTime<Utc>> {
        self.0.stopped_at
    }
}

/// A comment.
pub struct Comment(pub ticket_comment::Model);

#[Object]
impl Comment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, Some(self.0.author_id)).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An evidence file.
pub struct Attachment(pub attachment::Model);

#[Object]
impl Attachment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    /// Lower-case hex SHA-256 of the content.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    async fn uploaded_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, Some(self.0.uploaded_by)).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Download path (GET with the same bearer token).
    async fn download_path(&self) -> String {
        format!("/attachments/{}", self.0.id)
    }
}

/// One recorded finding on a deduplicated ticket.
pub struct Occurrence(pub ticket_occurrence::Model);

#[Object]
impl Occurrence {
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// The finding's details (JSON).
    async fn detail(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(serde_json::from_str(&self.0.detail).unwrap_or(serde_json::Value::Null))
    }
}

/// One transition in a ticket's history.
pub struct HistoryEntry(pub ticket_event::Model);

#[Object]
impl HistoryEntry {
    async fn event(&self) -> async_graphql::Result<TicketEvent> {
        TicketEvent::parse(&self.0.event)
    }
    #[expect(clippy::wrong_self_convention, reason = "the GraphQL field is fromState")]
    async fn from_state(&self) -> async_graphql::Result<TicketState> {
        TicketState::parse(&self.0.from_state)
    }
    async fn to_state(&self) -> async_graphql::Result<TicketState> {
        TicketState::parse(&self.0.to_state)
    }
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, Some(self.0.actor_id)).await
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// An SLA policy row.
pub struct SlaPolicy(pub sla_policy::Model);

#[Object]
impl SlaPolicy {
    async fn kind(&self) -> async_graphql::Result<TicketKind> {
        TicketKind::parse(&self.0.kind)
    }
    /// Null means every severity of the kind.
    async fn severity(&self) -> async_graphql::Result<Option<Severity>> {
        if self.0.severity == sla_service::ANY {
            Ok(None)
        } else {
            Severity::parse(&self.0.severity).map(Some)
        }
    }
    async fn feedback_minutes(&self) -> i64 {
        self.0.feedback_minutes
    }
    async fn resolution_minutes(&self) -> i64 {
        self.0.resolution_minutes
    }
    async fn warn_ratio(&self) -> f64 {
        self.0.warn_ratio
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An audit event.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    /// Position in the chain (null for an event not yet linked, at most a fraction of a second).
    async fn seq(&self) -> Option<i64> {
        self.0.seq
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(|i| ID(i.to_string()))
    }
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn subject_type(&self) -> &str {
        &self.0.subject_type
    }
    async fn subject_id(&self) -> &str {
        &self.0.subject_id
    }
    async fn before(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0
            .before
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .map(async_graphql::Json)
    }
    async fn after(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0
            .after
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .map(async_graphql::Json)
    }
    async fn hash(&self) -> Option<&str> {
        self.0.hash.as_deref()
    }
    async fn prev_hash(&self) -> Option<&str> {
        self.0.prev_hash.as_deref()
    }
    /// sha256 or sm3.
    async fn algorithm(&self) -> Option<&str> {
        self.0.algorithm.as_deref()
    }
}

/// Result of verifying the audit chain.
#[derive(SimpleObject)]
pub struct AuditVerification {
    /// True when no break was found.
    pub intact: bool,
    /// Events checked.
    pub checked: u64,
    /// Last sequence number.
    pub head_seq: Option<i64>,
    /// Last hash.
    pub head_hash: Option<String>,
    /// The first broken sequence number.
    pub first_broken_seq: Option<i64>,
    /// What kind of break (hash_mismatch, link_broken, gap, truncated, unknown_algorithm).
    pub break_kind: Option<String>,
    /// Explanation in Chinese.
    pub message: String,
}

/// An outbox email.
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn ticket_id(&self) -> Option<ID> {
        self.0.ticket_id.map(|i| ID(i.to_string()))
    }
    async fn recipient_email(&self) -> &str {
        &self.0.recipient_email
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// pending, queued, sending, sent, dead.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

/// A stored calendar exception.
#[derive(SimpleObject)]
pub struct CalendarDay {
    /// The date.
    pub date: chrono::NaiveDate,
    /// Working day or not.
    pub working: bool,
    /// Name (春节, 国庆节调休上班...).
    pub name: String,
    /// builtin or admin.
    pub source: String,
}

/// The calendar settings.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CalendarSettings {
    /// office or 24x7.
    pub mode: String,
    /// Business periods as "HH:MM" pairs.
    pub periods: Vec<Period>,
    #[graphql(skip)]
    pub year: i32,
}

#[ComplexObject]
impl CalendarSettings {
    /// Stored exceptions of the requested year.
    async fn days(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CalendarDay>> {
        let core = ctx.data::<Core>()?;
        Ok(ecogov_domain::service::calendar::days_in_year(core, self.year)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(|d| CalendarDay {
                date: d.date,
                working: d.working,
                name: d.name,
                source: d.source,
            })
            .collect())
    }
}

/// A business period.
#[derive(SimpleObject, async_graphql::InputObject, Clone)]
#[graphql(input_name = "PeriodInput")]
pub struct Period {
    /// Start, "HH:MM".
    pub start: String,
    /// End, "HH:MM".
    pub end: String,
}

/// One row of a workflow table.
#[derive(SimpleObject)]
pub struct WorkflowTransition {
    /// From state.
    pub from: TicketState,
    /// Event.
    pub event: TicketEvent,
    /// To state.
    pub to: TicketState,
    /// Allowed roles.
    pub roles: Vec<Role>,
    /// Required fields.
    pub requires: Vec<RequiredField>,
}

/// A ticket kind's workflow.
#[derive(SimpleObject)]
pub struct Workflow {
    /// The kind.
    pub kind: TicketKind,
    /// Initial state.
    pub initial: TicketState,
    /// Terminal states.
    pub terminal: Vec<TicketState>,
    /// The table.
    pub transitions: Vec<WorkflowTransition>,
}
