//! The one error type of the domain, and its mapping to stable codes.
//!
//! Clients branch on [`Error::code`], never on the message. Every variant maps, through one
//! exhaustive match, to a snake_case code and an HTTP status; the GraphQL layer puts the same
//! code in `extensions.code`. Internal causes (database errors) are logged by the edges and
//! replaced by a generic message for clients.

use chrono::{DateTime, Utc};

/// Result alias used across the domain.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a domain operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No valid session was presented.
    #[error("authentication required")]
    Unauthenticated,
    /// Username or password wrong.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed logins for this account.
    #[error("account locked until {until}")]
    AccountLocked {
        /// When the lock ends.
        until: DateTime<Utc>,
    },
    /// Too many failed logins from this client address.
    #[error("client address locked until {until}")]
    AddressLocked {
        /// When the lock ends.
        until: DateTime<Utc>,
    },
    /// The session was idle too long, expired or was revoked.
    #[error("session expired")]
    SessionExpired,
    /// The caller may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The named thing does not exist (or is invisible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An input field is malformed.
    #[error("invalid input in {field}: {message}")]
    InvalidInput {
        /// The input field, in the client's naming.
        field: String,
        /// What is wrong, in Chinese for people.
        message: String,
    },
    /// The password does not meet the complexity policy.
    #[error("weak password: {0:?}")]
    WeakPassword(Vec<&'static str>),
    /// `expectedVersion` did not match.
    #[error("version conflict: current version is {current}")]
    VersionConflict {
        /// The ticket's version now.
        current: i32,
    },
    /// The workflow has no such transition from the current state.
    #[error("transition {event} not allowed from {state}")]
    TransitionNotAllowed {
        /// Current state.
        state: String,
        /// Requested event.
        event: String,
    },
    /// A field required by the transition is missing.
    #[error("missing required field {0}")]
    MissingField(&'static str),
    /// A rectification cannot be reviewed by the person who made it.
    #[error("a reviewer cannot approve their own rectification")]
    SelfReview,
    /// The re-check of a rectification has not passed (still running, failed or errored).
    #[error("the rectification's re-check has not passed: {0}")]
    NotVerified(&'static str),
    /// A unique value is already taken.
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Stable snake_case code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "unauthenticated",
            Error::InvalidCredentials => "invalid_credentials",
            Error::AccountLocked { .. } => "account_locked",
            Error::AddressLocked { .. } => "address_locked",
            Error::SessionExpired => "session_expired",
            Error::Forbidden => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::InvalidInput { .. } => "invalid_input",
            Error::WeakPassword(_) => "weak_password",
            Error::VersionConflict { .. } => "version_conflict",
            Error::TransitionNotAllowed { .. } => "transition_not_allowed",
            Error::MissingField(_) => "missing_field",
            Error::SelfReview => "self_review",
            Error::NotVerified(_) => "not_verified",
            Error::Duplicate(_) => "duplicate",
            Error::Db(_) | Error::Internal(_) => "internal",
        }
    }

    /// HTTP status that matches the code.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Unauthenticated | Error::InvalidCredentials | Error::SessionExpired => 401,
            Error::AccountLocked { .. } | Error::AddressLocked { .. } => 423,
            Error::Forbidden | Error::SelfReview => 403,
            Error::NotFound(_) => 404,
            Error::InvalidInput { .. } | Error::WeakPassword(_) | Error::MissingField(_) => 422,
            Error::VersionConflict { .. }
            | Error::TransitionNotAllowed { .. }
            | Error::Duplicate(_)
            | Error::NotVerified(_) => 409,
            Error::Db(_) | Error::Internal(_) => 500,
        }
    }

    /// True when the cause is ours and must be logged, not shown.
    pub fn is_internal(&self) -> bool {
        matches!(self, Error::Db(_) | Error::Internal(_))
    }

    /// Message for people, in Simplified Chinese. Never contains internal causes.
    pub fn user_message(&self) -> String {
        match self {
            Error::Unauthenticated => "请先登录".into(),
            Error::InvalidCredentials => "用户名或密码错误".into(),
            Error::AccountLocked { until } => {
                format!("登录失败次数过多，账号已锁定至 {}", crate::time::format_local(*until))
            }
            Error::AddressLocked { until } => format!(
                "该地址登录失败次数过多，已暂停登录至 {}",
                crate::time::format_local(*until)
            ),
            Error::SessionExpired => "会话已过期或已注销，请重新登录".into(),
            Error::Forbidden => "没有执行该操作的权限".into(),
            Error::NotFound(what) => format!("未找到{}", thing_name(what)),
            Error::InvalidInput { field, message } => format!("输入有误（{field}）：{message}"),
            Error::WeakPassword(rules) => format!("密码不符合复杂度要求：{}", rules.join("；")),
            Error::VersionConflict { current } => {
                format!("数据已被他人修改（当前版本 {current}），请刷新后重试")
            }
            Error::TransitionNotAllowed { state, event } => {
                format!("当前状态（{state}）不允许执行操作（{event}）")
            }
            Error::MissingField(field) => format!("缺少必填项：{field}"),
            Error::SelfReview => "不能审核自己提交的整改".into(),
            Error::NotVerified(state) => match *state {
                "failed" => "整改后复核（规则重新运行）未通过，不能关闭工单".into(),
                "error" => "整改后复核（规则重新运行）出错，请重新复核或驳回".into(),
                _ => "整改后复核（规则重新运行）尚未完成，请稍后再审核".into(),
            },
            Error::Duplicate(what) => format!("{}已存在", thing_name(what)),
            Error::Db(_) | Error::Internal(_) => "系统内部错误，请稍后重试或联系管理员".into(),
        }
    }

    /// Shorthand for an [`Error::InvalidInput`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Chinese name of an entity kind used in messages.
fn thing_name(what: &str) -> &'static str {
    match what {
        "ticket" => "工单",
        "user" => "用户",
        "department" => "部门",
        "attachment" => "附件",
        "notification" => "通知",
        "sla_policy" => "时限策略",
        "calendar_day" => "日历日期",
        "username" => "用户名",
        "department_code" => "部门编码",
        "session" => "会话",
        "catalog_resource" => "数据资源",
        "resource_code" => "资源代码",
        "data_source" => "数据源",
        "data_source_code" => "数据源编码",
        "tag_suggestion" => "敏感标签建议",
        "source_system" => "来源系统",
        "source_system_code" => "来源系统编码",
        "data_model" => "数据模型",
        "data_model_code" => "数据模型代码",
        "quality_rule" => "质量规则",
        "quality_rule_code" => "质量规则编码",
        "quality_run" => "质量巡检记录",
        "reconciliation" => "对账",
        "reconciliation_code" => "对账编码",
        "reconciliation_run" => "对账记录",
        _ => "对象",
    }
}
