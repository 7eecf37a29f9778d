//! Ticket kinds, states, events and their transition tables.
//!
//! A workflow is data: one table of transitions (from, event, to, roles, required fields,
//! guards, SLA effects) per ticket kind. Code that moves a ticket looks the transition up
//! here; nothing else decides whether a move is allowed. The same tables produce
//! `availableTransitions` for the client and are tested exhaustively.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::role::Role;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $s:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, for exhaustive tests and listings.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Stable identifier stored in the database and sent to clients.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
            /// Chinese label for people.
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                match s {
                    $($s => Ok($name::$variant),)+
                    _ => Err(Error::invalid($what, format!("未知取值：{s}"))),
                }
            }
        }
    };
}

string_enum!(
    /// What a ticket is about; each kind has a workflow.
    TicketKind, "kind" {
        /// 数据质量问题
        QualityIssue => "quality_issue" / "数据质量问题",
        /// 元数据漂移
        MetadataDrift => "metadata_drift" / "元数据漂移",
        /// 数据申请
        DataRequest => "data_request" / "数据申请",
        /// 共享任务
        SharingTask => "sharing_task" / "共享任务",
        /// 资产合规
        AssetCompliance => "asset_compliance" / "资产合规认证",
        /// 市一体化平台反馈
        PlatformFeedback => "platform_feedback" / "平台反馈",
        /// 采集失败
        CollectionFailure => "collection_failure" / "采集失败",
        /// 对账差异
        ReconciliationMismatch => "reconciliation_mismatch" / "对账差异",
    }
);

string_enum!(
    /// Every state of every workflow.
    State, "state" {
        /// 新发现
        New => "new" / "新发现",
        /// 已指派
        Assigned => "assigned" / "已指派",
        /// 整改中
        Rectifying => "rectifying" / "整改中",
        /// 等待外部部门
        WaitingExternal => "waiting_external" / "等待外部部门",
        /// 待复核
        PendingReview => "pending_review" / "待复核",
        /// 已关闭
        Closed => "closed" / "已关闭",
        /// 无效关闭
        Invalid => "invalid" / "无效关闭",
        /// 已提交
        Submitted => "submitted" / "已提交",
        /// 审核中
        UnderReview => "under_review" / "审核中",
        /// 已批准
        Approved => "approved" / "已批准",
        /// 已驳回
        Rejected => "rejected" / "已驳回",
        /// 供数中
        Provisioning => "provisioning" / "供数中",
        /// 已交付
        Delivered => "delivered" / "已交付",
        /// 草稿
        Draft => "draft" / "草稿",
        /// 运行中
        Active => "active" / "运行中",
        /// 已暂停
        Suspended => "suspended" / "已暂停",
        /// 已退役
        Retired => "retired" / "已退役",
        /// 已自评
        SelfAssessed => "self_assessed" / "已自评",
        /// 已认证
        Certified => "certified" / "已认证",
        /// 已撤销
        Revoked => "revoked" / "已撤销",
    }
);

string_enum!(
    /// What a user does to a ticket.
    Event, "event" {
        /// 指派
        Assign => "assign" / "指派",
        /// 改派
        Reassign => "reassign" / "改派",
        /// 接单整改（反馈）
        Start => "start" / "接单整改",
        /// 提交整改
        Submit => "submit" / "提交整改",
        /// 等待外部部门
        AwaitExternal => "await_external" / "等待外部部门",
        /// 恢复处理
        Resume => "resume" / "恢复处理",
        /// 复核通过 / 批准
        Approve => "approve" / "通过",
        /// 驳回
        Reject => "reject" / "驳回",
        /// 重新打开
        Reopen => "reopen" / "重新打开",
        /// 无效关闭
        CloseInvalid => "close_invalid" / "无效关闭",
        /// 受理审核
        StartReview => "start_review" / "受理审核",
        /// 开始供数
        Provision => "provision" / "开始供数",
        /// 交付
        Deliver => "deliver" / "交付",
        /// 确认关闭
        Confirm => "confirm" / "确认关闭",
        /// 启用
        Activate => "activate" / "启用",
        /// 暂停
        Suspend => "suspend" / "暂停",
        /// 退役
        Retire => "retire" / "退役",
        /// 自评
        SelfAssess => "self_assess" / "提交自评",
        /// 提交审核
        SubmitReview => "submit_review" / "提交审核",
        /// 认证通过
        Certify => "certify" / "认证通过",
        /// 修订
        Revise => "revise" / "修订",
        /// 撤销
        Revoke => "revoke" / "撤销认证",
        /// 自动关闭（规则连续通过）
        AutoClose => "auto_close" / "自动关闭",
    }
);

string_enum!(
    /// How urgent a ticket is; resolution budgets depend on it.
    Severity, "severity" {
        /// 低
        Low => "low" / "低",
        /// 中
        Medium => "medium" / "中",
        /// 高
        High => "high" / "高",
        /// 紧急
        Critical => "critical" / "紧急",
    }
);

string_enum!(
    /// The two SLA clocks a ticket can run.
    ClockKind, "clock" {
        /// 反馈时限
        Feedback => "feedback" / "反馈时限",
        /// 办结时限
        Resolution => "resolution" / "办结时限",
    }
);

/// A field the caller must supply for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// `assigneeId`
    Assignee,
    /// `note` (rectification or delivery note)
    Note,
    /// at least one evidence attachment
    Evidence,
    /// `reason`
    Reason,
}

impl Requirement {
    /// Name as the client sends it.
    pub fn field(self) -> &'static str {
        match self {
            Requirement::Assignee => "assigneeId",
            Requirement::Note => "note",
            Requirement::Evidence => "evidenceIds",
            Requirement::Reason => "reason",
        }
    }
}

/// A condition on the actor beyond the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guard {
    /// The actor must be the ticket's assignee (managers are exempt).
    AssigneeOrManager,
    /// The actor must not be the person who made the rectification, and if the ticket
    /// names a reviewer, must be that reviewer.
    IndependentReviewer,
    /// Only the system itself (workers) may fire it, never a person.
    SystemOnly,
    /// For tickets whose finding can be re-checked (an inspection rule), the re-check run
    /// after the last rectification must have passed.
    RecheckPassed,
}

/// Where a ticket's re-check stands (tickets whose finding can be re-run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The ticket's finding cannot be re-run: nothing to wait for.
    NotApplicable,
    /// Not run yet since the last rectification, or running.
    Pending,
    /// Passed.
    Passed,
    /// Failed: the problem is still there.
    Failed,
    /// The re-check could not run.
    Error,
}

/// What a transition does to the SLA clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlaEffect {
    /// Start (or restart with a fresh budget) the clock.
    Start(ClockKind),
    /// Stop the clock for good; the outcome is recorded.
    Stop(ClockKind),
    /// Pause the clock; the transition's reason is recorded as the pause reason.
    Pause(ClockKind),
    /// Resume a paused clock.
    Resume(ClockKind),
}

/// One row of a transition table.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    /// State the ticket must be in.
    pub from: State,
    /// What the user does.
    pub event: Event,
    /// State afterwards.
    pub to: State,
    /// Roles allowed to do it.
    pub roles: &'static [Role],
    /// Fields the caller must provide.
    pub requires: &'static [Requirement],
    /// Extra conditions on the actor.
    pub guards: &'static [Guard],
    /// Effects on the SLA clocks.
    pub sla: &'static [SlaEffect],
    /// Counts as a reopen.
    pub reopens: bool,
}

/// The workflow of one kind: its initial state and its table.
#[derive(Debug)]
pub struct Workflow {
    /// Name of the workflow.
    pub name: &'static str,
    /// State of a new ticket.
    pub initial: State,
    /// Effects applied when a ticket is created.
    pub on_create: &'static [SlaEffect],
    /// States in which the ticket is finished (no clocks, dedup key released).
    pub terminal: &'static [State],
    /// The table.
    pub transitions: &'static [Transition],
}

use ClockKind::{Feedback, Resolution};
use Event as E;
use Requirement as R;
use Role::{Department, Manager, Operator};
use SlaEffect::{Pause, Resume, Start, Stop};
use State as S;

const fn t(
    from: State,
    event: Event,
    to: State,
    roles: &'static [Role],
    requires: &'static [Requirement],
    guards: &'static [Guard],
    sla: &'static [SlaEffect],
) -> Transition {
    Transition {
        from,
        event,
        to,
        roles,
        requires,
        guards,
        sla,
        reopens: false,
    }
}

const MGR: &[Role] = &[Manager];
const WORKERS: &[Role] = &[Manager, Operator];
const NONE_REQ: &[Requirement] = &[];
const NO_GUARD: &[Guard] = &[];
const NO_SLA: &[SlaEffect] = &[];
const ASSIGNEE: &[Guard] = &[Guard::AssigneeOrManager];
const REVIEWER: &[Guard] = &[Guard::IndependentReviewer];
const VERIFIED_REVIEWER: &[Guard] = &[Guard::IndependentReviewer, Guard::RecheckPassed];
const SYSTEM: &[Guard] = &[Guard::SystemOnly];
const REASON: &[Requirement] = &[R::Reason];
const STOP_ALL: &[SlaEffect] = &[Stop(Feedback), Stop(Resolution)];

/// Remediation: found -> assigned -> rectifying -> pending_review -> closed, with reject,
/// reopen, waiting for an external department, and close-as-invalid. Used by every kind
/// that describes a problem to fix.
pub static REMEDIATION: Workflow = Workflow {
    name: "remediation",
    initial: S::New,
    on_create: &[],
    terminal: &[S::Closed, S::Invalid],
    transitions: &[
        t(
            S::New,
            E::Assign,
            S::Assigned,
            MGR,
            &[R::Assignee],
            NO_GUARD,
            &[Start(Feedback), Start(Resolution)],
        ),
        t(
            S::Assigned,
            E::Reassign,
            S::Assigned,
            MGR,
            &[R::Assignee],
            NO_GUARD,
            &[Start(Feedback)],
        ),
        t(
            S::Rectifying,
            E::Reassign,
            S::Assigned,
            MGR,
            &[R::Assignee],
            NO_GUARD,
            &[Start(Feedback)],
        ),
        t(
            S::Assigned,
            E::Start,
            S::Rectifying,
            WORKERS,
            NONE_REQ,
            ASSIGNEE,
            &[Stop(Feedback)],
        ),
        t(
            S::Rectifying,
            E::Submit,
            S::PendingReview,
            WORKERS,
            &[R::Note, R::Evidence],
            ASSIGNEE,
            NO_SLA,
        ),
        t(
            S::Rectifying,
            E::AwaitExternal,
            S::WaitingExternal,
            WORKERS,
            REASON,
            ASSIGNEE,
            &[Pause(Resolution)],
        ),
        t(
            S::WaitingExternal,
            E::Resume,
            S::Rectifying,
            WORKERS,
            NONE_REQ,
            ASSIGNEE,
            &[Resume(Resolution)],
        ),
        t(
            S::PendingReview,
            E::Approve,
            S::Closed,
            MGR,
            NONE_REQ,
            VERIFIED_REVIEWER,
            &[Stop(Resolution)],
        ),
        t(
            S::PendingReview,
            E::Reject,
            S::Rectifying,
            MGR,
            REASON,
            REVIEWER,
            NO_SLA,
        ),
        Transition {
            reopens: true,
            ..t(
                S::Closed,
                E::Reopen,
                S::Rectifying,
                MGR,
                REASON,
                NO_GUARD,
                &[Start(Resolution)],
            )
        },
        t(S::New, E::AutoClose, S::Closed, MGR, REASON, SYSTEM, STOP_ALL),
        t(S::Assigned, E::AutoClose, S::Closed, MGR, REASON, SYSTEM, STOP_ALL),
        t(S::Rectifying, E::AutoClose, S::Closed, MGR, REASON, SYSTEM, STOP_ALL),
        t(
            S::WaitingExternal,
            E::AutoClose,
            S::Closed,
            MGR,
            REASON,
            SYSTEM,
            STOP_ALL,
        ),
        t(S::PendingReview, E::AutoClose, S::Closed, MGR, REASON, SYSTEM, STOP_ALL),
        t(S::New, E::CloseInvalid, S::Invalid, MGR, REASON, NO_GUARD, STOP_ALL),
        t(
            S::Assigned,
            E::CloseInvalid,
            S::Invalid,
            MGR,
            REASON,
            NO_GUARD,
            STOP_ALL,
        ),
        t(
            S::Rectifying,
            E::CloseInvalid,
            S::Invalid,
            MGR,
            REASON,
            NO_GUARD,
            STOP_ALL,
        ),
        t(
            S::WaitingExternal,
            E::CloseInvalid,
            S::Invalid,
            MGR,
            REASON,
            NO_GUARD,
            STOP_ALL,
        ),
        t(
            S::PendingReview,
            E::CloseInvalid,
            S::Invalid,
            MGR,
            REASON,
            NO_GUARD,
            STOP_ALL,
        ),
    ],
};

/// Data request from another department: submitted -> under_review -> approved/rejected ->
/// provisioning -> delivered -> closed. Feedback is due one working day after submission.
pub static DATA_REQUEST: Workflow = Workflow {
    name: "data_request",
    initial: S::Submitted,
    on_create: &[Start(Feedback), Start(Resolution)],
    terminal: &[S::Closed, S::Rejected],
    transitions: &[
        t(
            S::Submitted,
            E::StartReview,
            S::UnderReview,
            MGR,
            NONE_REQ,
            NO_GUARD,
            &[Stop(Feedback)],
        ),
        t(S::UnderReview, E::Approve, S::Approved, MGR, NONE_REQ, NO_GUARD, NO_SLA),
        t(S::UnderReview, E::Reject, S::Rejected, MGR, REASON, NO_GUARD, STOP_ALL),
        t(
            S::Approved,
            E::Provision,
            S::Provisioning,
            WORKERS,
            NONE_REQ,
            NO_GUARD,
            NO_SLA,
        ),
        t(
            S::Provisioning,
            E::AwaitExternal,
            S::WaitingExternal,
            WORKERS,
            REASON,
            NO_GUARD,
            &[Pause(Resolution)],
        ),
        t(
            S::WaitingExternal,
            E::Resume,
            S::Provisioning,
            WORKERS,
            NONE_REQ,
            NO_GUARD,
            &[Resume(Resolution)],
        ),
        t(
            S::Provisioning,
            E::Deliver,
            S::Delivered,
            WORKERS,
            &[R::Note],
            NO_GUARD,
            &[Stop(Resolution)],
        ),
        t(
            S::Delivered,
            E::Confirm,
            S::Closed,
            &[Manager, Department],
            NONE_REQ,
            NO_GUARD,
            NO_SLA,
        ),
        Transition {
            reopens: true,
            ..t(
                S::Delivered,
                E::Reopen,
                S::Provisioning,
                &[Manager, Department],
                REASON,
                NO_GUARD,
                &[Start(Resolution)],
            )
        },
    ],
};

/// Sharing task: draft -> approved -> active <-> suspended -> retired.
pub static SHARING_TASK: Workflow = Workflow {
    name: "sharing_task",
    initial: S::Draft,
    on_create: &[],
    terminal: &[S::Retired],
    transitions: &[
        t(S::Draft, E::Approve, S::Approved, MGR, NONE_REQ, NO_GUARD, NO_SLA),
        t(S::Approved, E::Activate, S::Active, WORKERS, NONE_REQ, NO_GUARD, NO_SLA),
        t(S::Active, E::Suspend, S::Suspended, WORKERS, REASON, NO_GUARD, NO_SLA),
        t(S::Suspended, E::Resume, S::Active, MGR, NONE_REQ, NO_GUARD, NO_SLA),
        t(S::Active, E::Retire, S::Retired, MGR, REASON, NO_GUARD, NO_SLA),
        t(S::Suspended, E::Retire, S::Retired, MGR, REASON, NO_GUARD, NO_SLA),
    ],
};

/// Asset compliance certification: draft -> self_assessed -> under_review ->
/// certified/rejected -> revoked. The reviewer must not be the self-assessor.
pub static ASSET_COMPLIANCE: Workflow = Workflow {
    name: "asset_compliance",
    initial: S::Draft,
    on_create: &[],
    terminal: &[S::Revoked],
    transitions: &[
        t(
            S::Draft,
            E::SelfAssess,
            S::SelfAssessed,
            WORKERS,
            &[R::Note, R::Evidence],
            NO_GUARD,
            NO_SLA,
        ),
        t(
            S::SelfAssessed,
            E::SubmitReview,
            S::UnderReview,
            WORKERS,
            NONE_REQ,
            NO_GUARD,
            &[Start(Feedback)],
        ),
        t(
            S::UnderReview,
            E::Certify,
            S::Certified,
            MGR,
            NONE_REQ,
            REVIEWER,
            &[Stop(Feedback)],
        ),
        t(
            S::UnderReview,
            E::Reject,
            S::Rejected,
            MGR,
            REASON,
            REVIEWER,
            &[Stop(Feedback)],
        ),
        t(S::Rejected, E::Revise, S::Draft, WORKERS, NONE_REQ, NO_GUARD, NO_SLA),
        t(S::Certified, E::Revoke, S::Revoked, MGR, REASON, NO_GUARD, NO_SLA),
    ],
};

impl TicketKind {
    /// The workflow that governs this kind.
    pub fn workflow(self) -> &'static Workflow {
        match self {
            TicketKind::QualityIssue
            | TicketKind::MetadataDrift
            | TicketKind::PlatformFeedback
            | TicketKind::CollectionFailure
            | TicketKind::ReconciliationMismatch => &REMEDIATION,
            TicketKind::DataRequest => &DATA_REQUEST,
            TicketKind::SharingTask => &SHARING_TASK,
            TicketKind::AssetCompliance => &ASSET_COMPLIANCE,
        }
    }

    /// Kinds a department (external) user may open.
    pub fn open_to_departments(self) -> bool {
        matches!(self, TicketKind::DataRequest | TicketKind::PlatformFeedback)
    }
}

impl Workflow {
    /// The transition for (state, event), if the table has one.
    pub fn find(&self, from: State, event: Event) -> Option<&'static Transition> {
        // The tables are 'static; re-borrow through the static reference.
        let table: &'static [Transition] = self.transitions;
        table.iter().find(|t| t.from == from && t.event == event)
    }

    /// Transitions leaving `from`.
    pub fn from_state(&self, from: State) -> impl Iterator<Item = &'static Transition> + '_ {
        let table: &'static [Transition] = self.transitions;
        table.iter().filter(move |t| t.from == from)
    }

    /// Whether tickets in `state` are finished.
    pub fn is_terminal(&self, state: State) -> bool {
        self.terminal.contains(&state)
    }

    /// Every state that appears in the table.
    pub fn states(&self) -> Vec<State> {
        let mut out = vec![self.initial];
        for t in self.transitions {
            for s in [t.from, t.to] {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }
}

/// The facts about a ticket and actor that guards look at.
#[derive(Debug, Clone, Copy)]
pub struct GuardContext {
    /// The acting user.
    pub actor_id: i64,
    /// The actor's role.
    pub actor_role: Role,
    /// Current assignee.
    pub assignee_id: Option<i64>,
    /// Named reviewer, if any.
    pub reviewer_id: Option<i64>,
    /// Who submitted the last rectification or self-assessment.
    pub rectified_by: Option<i64>,
    /// The re-check of the last rectification.
    pub verification: Verification,
}

/// Why a transition is not available to an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The role is not in the table row.
    Role,
    /// The actor is not the assignee.
    NotAssignee,
    /// The actor made the rectification under review, or is not the named reviewer.
    SelfReview,
    /// The re-check of the rectification has not passed (`pending`, `failed` or `error`).
    NotVerified(&'static str),
}

impl Transition {
    /// Checks the role and guards for an actor.
    pub fn check_actor(&self, ctx: &GuardContext) -> Result<(), Denial> {
        if !self.roles.contains(&ctx.actor_role) {
            return Err(Denial::Role);
        }
        for guard in self.guards {
            match guard {
                Guard::AssigneeOrManager => {
                    if ctx.actor_role != Role::Manager && ctx.assignee_id != Some(ctx.actor_id) {
                        return Err(Denial::NotAssignee);
                    }
                }
                Guard::IndependentReviewer => {
                    if ctx.rectified_by == Some(ctx.actor_id) {
                        return Err(Denial::SelfReview);
                    }
                    if let Some(reviewer) = ctx.reviewer_id
                        && reviewer != ctx.actor_id
                    {
                        return Err(Denial::SelfReview);
                    }
                }
                Guard::SystemOnly => {
                    if ctx.actor_id != 0 {
                        return Err(Denial::Role);
                    }
                }
                Guard::RecheckPassed => match ctx.verification {
                    Verification::NotApplicable | Verification::Passed => {}
                    Verification::Pending => return Err(Denial::NotVerified("pending")),
                    Verification::Failed => return Err(Denial::NotVerified("failed")),
                    Verification::Error => return Err(Denial::NotVerified("error")),
                },
            }
        }
        Ok(())
    }

    /// Whether this transition records who rectified (for the independent-review guard).
    pub fn records_rectifier(&self) -> bool {
        matches!(self.event, Event::Submit | Event::SelfAssess)
    }

    /// Whether this transition asks for a fresh re-check (a new rectification was submitted).
    pub fn requests_recheck(&self) -> bool {
        self.event == Event::Submit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<TicketKind> {
        TicketKind::ALL.to_vec()
    }

    #[test]
    fn tables_are_deterministic_and_reachable() {
        for kind in kinds() {
            let wf = kind.workflow();
            // no duplicate (from, event)
            for (i, a) in wf.transitions.iter().enumerate() {
                for b in &wf.transitions[i + 1..] {
                    assert!(
                        !(a.from == b.from && a.event == b.event),
                        "{kind}: duplicate {} {}",
                        a.from,
                        a.event
                    );
                }
            }
            // every state reachable from the initial state
            let mut reached = vec![wf.initial];
            let mut changed = true;
            while changed {
                changed = false;
                for tr in wf.transitions {
                    if reached.contains(&tr.from) && !reached.contains(&tr.to) {
                        reached.push(tr.to);
                        changed = true;
                    }
                }
            }
            for s in wf.states() {
                assert!(reached.contains(&s), "{kind}: {s} unreachable");
            }
            // terminal states are reached
            for s in wf.terminal {
                assert!(reached.contains(s), "{kind}: terminal {s} unreachable");
            }
        }
    }

    #[test]
    fn exhaustive_state_event_role() {
        // For every kind, state, event and role: the table's answer is the only answer, and
        // a reject or close always needs a reason; a submit needs a note and evidence.
        for kind in kinds() {
            let wf = kind.workflow();
            for &state in State::ALL {
                for &event in Event::ALL {
                    let found = wf.find(state, event);
                    for role in Role::ALL {
                        let ctx = GuardContext {
                            actor_id: 1,
                            actor_role: role,
                            assignee_id: Some(1),
                            reviewer_id: None,
                            rectified_by: Some(2),
                            verification: Verification::NotApplicable,
                        };
                        let ok = found.map(|t| t.check_actor(&ctx).is_ok()).unwrap_or(false);
                        if ok {
                            let t = found.unwrap_or_else(|| unreachable!());
                            assert!(t.roles.contains(&role));
                            // privileged roles never move tickets
                            assert!(!matches!(role, Role::Admin | Role::SecurityAdmin | Role::Auditor));
                        }
                        if let Some(t) = found {
                            if matches!(
                                event,
                                Event::Reject | Event::CloseInvalid | Event::Reopen | Event::Revoke | Event::Retire
                            ) {
                                assert!(t.requires.contains(&Requirement::Reason), "{kind} {state} {event}");
                            }
                            if event == Event::Submit {
                                assert!(
                                    t.requires.contains(&Requirement::Note)
                                        && t.requires.contains(&Requirement::Evidence)
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn quality_issue_happy_path() {
        let wf = TicketKind::QualityIssue.workflow();
        let path = [
            (E::Assign, S::Assigned),
            (E::Start, S::Rectifying),
            (E::Submit, S::PendingReview),
            (E::Reject, S::Rectifying),
            (E::Submit, S::PendingReview),
            (E::Approve, S::Closed),
            (E::Reopen, S::Rectifying),
        ];
        let mut state = wf.initial;
        for (event, expected) in path {
            let t = wf.find(state, event).unwrap_or_else(|| panic!("{state} {event}"));
            state = t.to;
            assert_eq!(state, expected);
        }
        assert!(wf.find(S::Closed, E::Reopen).map(|t| t.reopens).unwrap_or(false));
    }

    #[test]
    fn approval_waits_for_a_passing_recheck_and_only_the_system_auto_closes() {
        let approve = REMEDIATION
            .find(S::PendingReview, E::Approve)
            .unwrap_or_else(|| unreachable!());
        let ctx = GuardContext {
            actor_id: 7,
            actor_role: Role::Manager,
            assignee_id: Some(8),
            reviewer_id: None,
            rectified_by: Some(8),
            verification: Verification::Pending,
        };
        assert_eq!(approve.check_actor(&ctx), Err(Denial::NotVerified("pending")));
        for (v, expected) in [
            (Verification::Failed, Err(Denial::NotVerified("failed"))),
            (Verification::Error, Err(Denial::NotVerified("error"))),
            (Verification::Passed, Ok(())),
            (Verification::NotApplicable, Ok(())),
        ] {
            assert_eq!(approve.check_actor(&GuardContext { verification: v, ..ctx }), expected);
        }
        for state in [S::New, S::Assigned, S::Rectifying, S::WaitingExternal, S::PendingReview] {
            let auto = REMEDIATION
                .find(state, E::AutoClose)
                .unwrap_or_else(|| panic!("{state}"));
            assert_eq!(auto.to, S::Closed);
            assert!(auto.requires.contains(&Requirement::Reason));
            assert_eq!(auto.check_actor(&ctx), Err(Denial::Role));
            assert_eq!(auto.check_actor(&GuardContext { actor_id: 0, ..ctx }), Ok(()));
        }
    }

    #[test]
    fn reviewer_cannot_approve_own_rectification() {
        let t = REMEDIATION
            .find(S::PendingReview, E::Approve)
            .unwrap_or_else(|| unreachable!());
        let own = GuardContext {
            actor_id: 7,
            actor_role: Role::Manager,
            assignee_id: Some(7),
            reviewer_id: None,
            rectified_by: Some(7),
            verification: Verification::NotApplicable,
        };
        assert_eq!(t.check_actor(&own), Err(Denial::SelfReview));
        let other = GuardContext {
            rectified_by: Some(8),
            ..own
        };
        assert_eq!(t.check_actor(&other), Ok(()));
        let named = GuardContext {
            reviewer_id: Some(9),
            ..other
        };
        assert_eq!(t.check_actor(&named), Err(Denial::SelfReview));
    }

    #[test]
    fn operator_must_be_assignee() {
        let t = REMEDIATION
            .find(S::Assigned, E::Start)
            .unwrap_or_else(|| unreachable!());
        let ctx = GuardContext {
            actor_id: 3,
            actor_role: Role::Operator,
            assignee_id: Some(4),
            reviewer_id: None,
            rectified_by: None,
            verification: Verification::NotApplicable,
        };
        assert_eq!(t.check_actor(&ctx), Err(Denial::NotAssignee));
        assert_eq!(
            t.check_actor(&GuardContext {
                assignee_id: Some(3),
                ..ctx
            }),
            Ok(())
        );
    }

    #[test]
    fn string_enums_round_trip() {
        for k in TicketKind::ALL {
            assert_eq!(k.as_str().parse::<TicketKind>().ok(), Some(*k));
        }
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>().ok(), Some(*s));
        }
        for e in Event::ALL {
            assert_eq!(e.as_str().parse::<Event>().ok(), Some(*e));
        }
        assert!("bogus".parse::<Event>().is_err());
    }
}
