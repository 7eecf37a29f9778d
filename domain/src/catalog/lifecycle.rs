//! The catalog resource lifecycle as a transition table: draft -> under_review -> published
//! (上架) -> offline (下架), with who may do what. Approval must come from someone other than
//! the submitter.

use serde::{Deserialize, Serialize};

use crate::role::Role;

/// Status of a catalog resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 草稿
    Draft,
    /// 审核中
    UnderReview,
    /// 已上架
    Published,
    /// 已下架
    Offline,
}

/// What a user does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// 提交审核
    Submit,
    /// 审核通过并上架
    Approve,
    /// 驳回
    Reject,
    /// 下架
    Offline,
    /// 重新提交上架
    Resubmit,
}

impl Status {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::UnderReview => "under_review",
            Status::Published => "published",
            Status::Offline => "offline",
        }
    }

    /// Parses a stored value.
    pub fn parse(s: &str) -> Option<Status> {
        [Status::Draft, Status::UnderReview, Status::Published, Status::Offline]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::UnderReview => "审核中",
            Status::Published => "已上架",
            Status::Offline => "已下架",
        }
    }
}

impl Event {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Submit => "submit",
            Event::Approve => "approve",
            Event::Reject => "reject",
            Event::Offline => "offline",
            Event::Resubmit => "resubmit",
        }
    }
}

/// One row of the lifecycle table.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    /// From.
    pub from: Status,
    /// Event.
    pub event: Event,
    /// To.
    pub to: Status,
    /// Roles allowed.
    pub roles: &'static [Role],
    /// A reason is required.
    pub needs_reason: bool,
    /// The actor must not be the submitter.
    pub independent: bool,
}

const WORKERS: &[Role] = &[Role::Manager, Role::Operator];
const MGR: &[Role] = &[Role::Manager];

/// The table.
pub static TABLE: &[Transition] = &[
    Transition {
        from: Status::Draft,
        event: Event::Submit,
        to: Status::UnderReview,
        roles: WORKERS,
        needs_reason: false,
        independent: false,
    },
    Transition {
        from: Status::UnderReview,
        event: Event::Approve,
        to: Status::Published,
        roles: MGR,
        needs_reason: false,
        independent: true,
    },
    Transition {
        from: Status::UnderReview,
        event: Event::Reject,
        to: Status::Draft,
        roles: MGR,
        needs_reason: true,
        independent: true,
    },
    Transition {
        from: Status::Published,
        event: Event::Offline,
        to: Status::Offline,
        roles: MGR,
        needs_reason: true,
        independent: false,
    },
    Transition {
        from: Status::Offline,
        event: Event::Resubmit,
        to: Status::UnderReview,
        roles: WORKERS,
        needs_reason: false,
        independent: false,
    },
];

/// The transition for (status, event).
pub fn find(from: Status, event: Event) -> Option<&'static Transition> {
    TABLE.iter().find(|t| t.from == from && t.event == event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_event_role_combination_follows_the_table() {
        let statuses = [Status::Draft, Status::UnderReview, Status::Published, Status::Offline];
        let events = [
            Event::Submit,
            Event::Approve,
            Event::Reject,
            Event::Offline,
            Event::Resubmit,
        ];
        let mut allowed = 0;
        for s in statuses {
            for e in events {
                for r in Role::ALL {
                    if find(s, e).is_some_and(|t| t.roles.contains(&r)) {
                        allowed += 1;
                        assert!(matches!(r, Role::Manager | Role::Operator), "{s:?} {e:?} {r}");
                    }
                }
            }
        }
        assert_eq!(allowed, 2 + 1 + 1 + 1 + 2);
        assert!(find(Status::Published, Event::Approve).is_none());
        assert!(find(Status::UnderReview, Event::Approve).is_some_and(|t| t.independent));
    }
}
