//! Mutations. Inputs are validated here for shape (`validator`); the rules are the domain's.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use ecogov_domain::Error;
use ecogov_domain::role::Operation;
use ecogov_domain::service::{audit, auth, calendar, directory, notify, sla, tickets};
use validator::Validate;

use crate::RequestContext;
use crate::error::{ApiError, validation};
use crate::query::{actor, core, parse_id, verification};
use crate::types::*;

/// Result of a login.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Absolute expiry (sessions also expire after the idle timeout).
    pub expires_at: DateTime<Utc>,
    /// The user.
    pub user: User,
}

/// A new user.
#[derive(InputObject, Validate)]
pub struct CreateUserInput {
    /// Login name.
    #[validate(length(min = 2, max = 32, message = "用户名须为 2-32 位"))]
    pub username: String,
    /// Display name.
    #[validate(length(min = 1, max = 64, message = "姓名不能为空且不超过 64 字"))]
    pub display_name: String,
    /// Email.
    #[validate(email(message = "邮箱地址格式不正确"))]
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// Department.
    pub department_id: Option<ID>,
    /// Initial password.
    pub password: String,
}

/// A new department.
#[derive(InputObject, Validate)]
pub struct CreateDepartmentInput {
    /// Unique code.
    #[validate(length(min = 1, max = 32, message = "部门编码须为 1-32 位"))]
    pub code: String,
    /// Name.
    #[validate(length(min = 1, max = 64, message = "部门名称不能为空且不超过 64 字"))]
    pub name: String,
    /// External unit.
    #[graphql(default)]
    pub external: bool,
    /// Manager for escalations.
    pub manager_id: Option<ID>,
}

/// What a ticket concerns.
#[derive(InputObject)]
pub struct SubjectInput {
    /// dataset, rule, enterprise, permit, station...
    pub kind: String,
    /// Identifier.
    pub id: String,
}

/// A new ticket.
#[derive(InputObject, Validate)]
pub struct CreateTicketInput {
    /// Kind.
    pub kind: TicketKind,
    /// Title.
    #[validate(length(min = 1, max = 200, message = "标题不能为空且不超过 200 字"))]
    pub title: String,
    /// Description.
    #[graphql(default)]
    #[validate(length(max = 10000, message = "描述不能超过 10000 字"))]
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Subject.
    pub subject: Option<SubjectInput>,
    /// Responsible department.
    pub department_id: Option<ID>,
    /// Named reviewer.
    pub reviewer_id: Option<ID>,
    /// Watchers.
    #[graphql(default)]
    pub watcher_ids: Vec<ID>,
}

/// A transition request.
#[derive(InputObject, Validate)]
pub struct TransitionInput {
    /// Ticket.
    pub ticket_id: ID,
    /// Event.
    pub event: TicketEvent,
    /// The version the caller saw; a stale one gets `version_conflict`.
    pub expected_version: i32,
    /// Rectification or delivery note.
    #[validate(length(max = 10000, message = "说明不能超过 10000 字"))]
    pub note: Option<String>,
    /// Reason (reject, reopen, close, pause...).
    #[validate(length(max = 10000, message = "原因不能超过 10000 字"))]
    pub reason: Option<String>,
    /// New assignee (assign, reassign).
    pub assignee_id: Option<ID>,
    /// Named reviewer.
    pub reviewer_id: Option<ID>,
    /// Evidence attachments (submit).
    #[graphql(default)]
    pub evidence_ids: Vec<ID>,
    /// Optional key; a replay returns the first result.
    #[validate(length(min = 1, max = 100, message = "幂等键须为 1-100 位"))]
    pub idempotency_key: Option<String>,
}

/// An evidence upload (base64 content, at most 20 MiB decoded).
#[derive(InputObject)]
pub struct EvidenceInput {
    /// Ticket.
    pub ticket_id: ID,
    /// File name.
    pub file_name: String,
    /// MIME type.
    #[graphql(default)]
    pub content_type: String,
    /// Content, standard base64.
    pub content_base64: String,
}

/// A calendar day edit.
#[derive(InputObject)]
pub struct CalendarDayInput {
    /// Date.
    pub date: NaiveDate,
    /// Working day or not.
    pub working: bool,
    /// Name (春节, 国庆节调休上班...).
    pub name: String,
}

/// An SLA policy edit.
#[derive(InputObject)]
pub struct SlaPolicyInput {
    /// Kind.
    pub kind: TicketKind,
    /// Severity; omit for every severity of the kind.
    pub severity: Option<Severity>,
    /// Feedback budget in business minutes (1 working day = 420 by default).
    pub feedback_minutes: i64,
    /// Resolution budget in business minutes.
    pub resolution_minutes: i64,
    /// Warning share (default 0.75).
    #[graphql(default = 0.75)]
    pub warn_ratio: f64,
}

fn ids(field: &str, v: &[ID]) -> Result<Vec<i64>, ApiError> {
    v.iter().map(|i| parse_id(field, i)).collect()
}

/// The mutation root.
#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
    /// Logs in; returns a bearer token.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> async_graphql::Result<LoginPayload> {
        let addr = ctx
            .data::<RequestContext>()
            .map(|r| r.client_addr.clone())
            .unwrap_or_default();
        if username.len() > 64 || password.len() > 256 {
            return Err(ApiError(Error::InvalidCredentials).into());
        }
        let r = auth::login(core(ctx)?, &username, &password, &addr)
            .await
            .map_err(ApiError)?;
        Ok(LoginPayload {
            token: r.token,
            expires_at: r.expires_at,
            user: User(r.user),
        })
    }

    /// Revokes the current session.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        auth::logout(core(ctx)?, actor(ctx)?).await.map_err(ApiError)?;
        Ok(true)
    }

    /// Changes the caller's password.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        old_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        directory::change_own_password(core(ctx)?, actor(ctx)?, &old_password, &new_password)
            .await
            .map_err(ApiError)?;
        Ok(true)
    }

    /// Creates a user (system administrator; privileged roles: security administrator).
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> async_graphql::Result<User> {
        let a = actor(ctx)?;
        input.validate().map_err(validation)?;
        let u = directory::create_user(
            core(ctx)?,
            Some(a),
            directory::NewUser {
                username: input.username,
                display_name: input.display_name,
                email: input.email,
                role: input.role.into(),
                department_id: input
                    .department_id
                    .as_ref()
                    .map(|i| parse_id("departmentId", i))
                    .transpose()?,
                password: input.password,
            },
        )
        .await
        .map_err(ApiError)?;
        Ok(User(u))
    }

    /// Changes a user's role.
    async fn set_user_role(&self, ctx: &Context<'_>, user_id: ID, role: Role) -> async_graphql::Result<User> {
        Ok(User(
            directory::set_role(core(ctx)?, actor(ctx)?, parse_id("userId", &user_id)?, role.into())
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Activates or deactivates a user.
    async fn set_user_active(&self, ctx: &Context<'_>, user_id: ID, active: bool) -> async_graphql::Result<User> {
        Ok(User(
            directory::set_active(core(ctx)?, actor(ctx)?, parse_id("userId", &user_id)?, active)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Clears a lockout.
    async fn unlock_user(&self, ctx: &Context<'_>, user_id: ID) -> async_graphql::Result<User> {
        Ok(User(
            directory::unlock(core(ctx)?, actor(ctx)?, parse_id("userId", &user_id)?)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Sets someone's password and revokes their sessions.
    async fn reset_password(&self, ctx: &Context<'_>, user_id: ID, password: String) -> async_graphql::Result<User> {
        Ok(User(
            directory::reset_password(core(ctx)?, actor(ctx)?, parse_id("userId", &user_id)?, &password)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Revokes every session of a user; returns how many.
    async fn revoke_sessions(&self, ctx: &Context<'_>, user_id: ID) -> async_graphql::Result<i64> {
        Ok(
            directory::revoke_sessions(core(ctx)?, actor(ctx)?, parse_id("userId", &user_id)?)
                .await
                .map_err(ApiError)? as i64,
        )
    }

    /// Creates a department.
    async fn create_department(
        &self,
        ctx: &Context<'_>,
        input: CreateDepartmentInput,
    ) -> async_graphql::Result<Department> {
        let a = actor(ctx)?;
        a.require(Operation::ManageDepartments).map_err(ApiError)?;
        input.validate().map_err(validation)?;
        let d = directory::create_department(
            core(ctx)?,
            Some(a),
            directory::NewDepartment {
                code: input.code,
                name: input.name,
                external: input.external,
                manager_id: input
                    .manager_id
                    .as_ref()
                    .map(|i| parse_id("managerId", i))
                    .transpose()?,
            },
        )
        .await
        .map_err(ApiError)?;
        Ok(Department(d))
    }

    /// Sets the manager who receives a department's escalations.
    async fn set_department_manager(
        &self,
        ctx: &Context<'_>,
        department_id: ID,
        manager_id: Option<ID>,
    ) -> async_graphql::Result<Department> {
        let m = manager_id.as_ref().map(|i| parse_id("managerId", i)).transpose()?;
        Ok(Department(
            directory::set_department_manager(core(ctx)?, actor(ctx)?, parse_id("departmentId", &department_id)?, m)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Opens a ticket.
    async fn create_ticket(&self, ctx: &Context<'_>, input: CreateTicketInput) -> async_graphql::Result<Ticket> {
        let a = actor(ctx)?;
        a.require(Operation::CreateTicket).map_err(ApiError)?;
        input.validate().map_err(validation)?;
        let t = tickets::create(
            core(ctx)?,
            a,
            tickets::NewTicket {
                kind: input.kind.into(),
                title: input.title,
                description: input.description,
                severity: input.severity.into(),
                subject: input.subject.map(|s| tickets::Subject { kind: s.kind, id: s.id }),
                department_id: input
                    .department_id
                    .as_ref()
                    .map(|i| parse_id("departmentId", i))
                    .transpose()?,
                reviewer_id: input
                    .reviewer_id
                    .as_ref()
                    .map(|i| parse_id("reviewerId", i))
                    .transpose()?,
                watcher_ids: ids("watcherIds", &input.watcher_ids)?,
            },
        )
        .await
        .map_err(ApiError)?;
        Ok(Ticket(t))
    }

    /// Moves a ticket through its workflow.
    async fn transition(&self, ctx: &Context<'_>, input: TransitionInput) -> async_graphql::Result<Ticket> {
        let a = actor(ctx)?;
        input.validate().map_err(validation)?;
        let id = parse_id("ticketId", &input.ticket_id)?;
        let t = tickets::transition(
            core(ctx)?,
            a,
            id,
            tickets::TransitionInput {
                event: Some(input.event.into()),
                expected_version: input.expected_version,
                note: input.note,
                reason: input.reason,
                assignee_id: input
                    .assignee_id
                    .as_ref()
                    .map(|i| parse_id("assigneeId", i))
                    .transpose()?,
                reviewer_id: input
                    .reviewer_id
                    .as_ref()
                    .map(|i| parse_id("reviewerId", i))
                    .transpose()?,
                evidence_ids: ids("evidenceIds", &input.evidence_ids)?,
                idempotency_key: input.idempotency_key,
            },
        )
        .await
        .map_err(ApiError)?;
        Ok(Ticket(t))
    }

    /// Comments on a ticket.
    async fn add_comment(&self, ctx: &Context<'_>, ticket_id: ID, body: String) -> async_graphql::Result<Comment> {
        Ok(Comment(
            tickets::comment(core(ctx)?, actor(ctx)?, parse_id("ticketId", &ticket_id)?, &body)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Adds or removes a watcher.
    async fn set_watcher(
        &self,
        ctx: &Context<'_>,
        ticket_id: ID,
        user_id: ID,
        watching: bool,
    ) -> async_graphql::Result<bool> {
        tickets::set_watcher(
            core(ctx)?,
            actor(ctx)?,
            parse_id("ticketId", &ticket_id)?,
            parse_id("userId", &user_id)?,
            watching,
        )
        .await
        .map_err(ApiError)?;
        Ok(true)
    }

    /// Uploads an evidence file (stored with its SHA-256).
    async fn upload_evidence(&self, ctx: &Context<'_>, input: EvidenceInput) -> async_graphql::Result<Attachment> {
        let a = actor(ctx)?;
        a.require(Operation::UploadEvidence).map_err(ApiError)?;
        if input.content_base64.len() > ecogov_domain::blob::MAX_BLOB_BYTES / 3 * 4 + 4 {
            return Err(ApiError(Error::invalid("contentBase64", "文件超过 20 MiB 上限")).into());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(input.content_base64.trim())
            .map_err(|_| ApiError(Error::invalid("contentBase64", "不是有效的 base64 内容")))?;
        let att = tickets::upload_evidence(
            core(ctx)?,
            a,
            parse_id("ticketId", &input.ticket_id)?,
            &input.file_name,
            &input.content_type,
            &bytes,
        )
        .await
        .map_err(ApiError)?;
        Ok(Attachment(att))
    }

    /// Sets calendar days; with `replaceYear`, replaces that year's stored days.
    async fn set_calendar_days(
        &self,
        ctx: &Context<'_>,
        days: Vec<CalendarDayInput>,
        replace_year: Option<i32>,
    ) -> async_graphql::Result<i32> {
        let edits = days
            .into_iter()
            .map(|d| calendar::DayEdit {
                date: d.date,
                working: d.working,
                name: d.name,
            })
            .collect();
        Ok(calendar::set_days(core(ctx)?, actor(ctx)?, edits, replace_year)
            .await
            .map_err(ApiError)? as i32)
    }

    /// Sets business hours and mode (`office` or `24x7`).
    async fn set_business_hours(
        &self,
        ctx: &Context<'_>,
        periods: Vec<Period>,
        mode: String,
    ) -> async_graphql::Result<bool> {
        calendar::set_hours(
            core(ctx)?,
            actor(ctx)?,
            periods.into_iter().map(|p| (p.start, p.end)).collect(),
            &mode,
        )
        .await
        .map_err(ApiError)?;
        Ok(true)
    }

    /// Creates or updates an SLA policy.
    async fn set_sla_policy(&self, ctx: &Context<'_>, input: SlaPolicyInput) -> async_graphql::Result<SlaPolicy> {
        let p = sla::set_policy(
            core(ctx)?,
            actor(ctx)?,
            sla::PolicyEdit {
                kind: input.kind.into(),
                severity: input.severity.map(Into::into),
                feedback_minutes: input.feedback_minutes,
                resolution_minutes: input.resolution_minutes,
                warn_ratio: input.warn_ratio,
            },
        )
        .await
        .map_err(ApiError)?;
        Ok(SlaPolicy(p))
    }

    /// Puts a dead notification back in the queue.
    async fn retry_notification(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Notification> {
        Ok(Notification(
            notify::retry(core(ctx)?, actor(ctx)?, parse_id("id", &id)?)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Records today's audit checkpoint (audit administrators) and returns the verification.
    async fn record_audit_checkpoint(&self, ctx: &Context<'_>) -> async_graphql::Result<AuditVerification> {
        let a = actor(ctx)?;
        a.require(Operation::ViewAudit).map_err(ApiError)?;
        let c = core(ctx)?;
        audit::checkpoint(c).await.map_err(ApiError)?;
        Ok(verification(audit::verify(c).await.map_err(ApiError)?))
    }
}
