//! Roles and the permission table.
//!
//! One table says which role may perform which operation; the whole role x operation
//! matrix is tested. Roles follow the separation of duties of GB/T 22239-2019 (三员分立):
//! the system administrator (`admin`) runs the system but cannot grant privileged roles or
//! read the audit trail; the security administrator (`security_admin`) grants roles and
//! unlocks accounts but cannot touch configuration or the audit trail; the audit
//! administrator (`auditor`) reads and verifies the audit trail and nothing else changes.
//! Nobody can alter or erase audit events through the system. Each account has exactly one
//! role, so no account holds two of these duties.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's single role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: users, departments, calendar, SLA policies, jobs.
    Admin,
    /// 安全管理员: role grants, unlocks, session revocation.
    SecurityAdmin,
    /// 业务管理员 / 科室负责人: creates, assigns and approves tickets.
    Manager,
    /// 运维人员: rectifies tickets.
    Operator,
    /// 审计管理员: reads everything, verifies the audit trail.
    Auditor,
    /// 外部部门用户: requests data, sees only its own department's tickets.
    Department,
}

impl Role {
    /// All roles, for exhaustive tests.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::SecurityAdmin,
        Role::Manager,
        Role::Operator,
        Role::Auditor,
        Role::Department,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SecurityAdmin => "security_admin",
            Role::Manager => "manager",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::Department => "department",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::Manager => "业务管理员",
            Role::Operator => "运维人员",
            Role::Auditor => "审计管理员",
            Role::Department => "外部部门用户",
        }
    }

    /// Privileged roles can only be granted by the security administrator (or the CLI).
    pub fn is_privileged(self) -> bool {
        matches!(self, Role::Admin | Role::SecurityAdmin | Role::Auditor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| crate::Error::invalid("role", format!("未知角色：{s}")))
    }
}

/// Every operation the API offers outside ticket transitions (those are in the workflow tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Read tickets (department users: their own department only).
    ViewTickets,
    /// Open a ticket by hand.
    CreateTicket,
    /// Comment on a ticket.
    Comment,
    /// Upload evidence to a ticket.
    UploadEvidence,
    /// Add or remove watchers.
    ManageWatchers,
    /// List users and departments.
    ViewDirectory,
    /// Create users, deactivate them, grant non-privileged roles.
    ManageUsers,
    /// Grant privileged roles, unlock accounts, revoke sessions.
    ManageSecurity,
    /// Create and edit departments.
    ManageDepartments,
    /// Edit the working-day calendar and business hours.
    ManageCalendar,
    /// Edit SLA policies.
    ManageSlaPolicies,
    /// See failed jobs and emails, retry them.
    ManageJobs,
    /// Read the audit trail, verify it, record checkpoints.
    ViewAudit,
    /// Read the data resource catalog (department users: published resources only).
    ViewCatalog,
    /// Create, edit, import and submit catalog resources.
    ManageCatalog,
    /// Approve, reject and take catalog resources offline.
    ApproveCatalog,
    /// Register data-source connections (credentials).
    ManageDataSources,
    /// List data sources, test connections, check schema drift.
    UseDataSources,
    /// Read quality rules, runs, results, scores and reconciliations.
    ViewQuality,
    /// Create and edit quality rules, schedules and reconciliation definitions.
    ManageQualityRules,
    /// Write custom-SQL quality rules (read-only queries sent to source databases).
    ManageCustomSql,
    /// Start inspections, re-checks and reconciliations by hand.
    RunQuality,
    /// Read enterprise files (一企一档).
    ViewEnterprises,
    /// Configure the source precedence of enterprise files.
    ManageEnterpriseSources,
    /// Import enterprise source records and merge them.
    ImportEnterpriseData,
}

impl Operation {
    /// All operations, for exhaustive tests.
    pub const ALL: [Operation; 25] = [
        Operation::ViewTickets,
        Operation::CreateTicket,
        Operation::Comment,
        Operation::UploadEvidence,
        Operation::ManageWatchers,
        Operation::ViewDirectory,
        Operation::ManageUsers,
        Operation::ManageSecurity,
        Operation::ManageDepartments,
        Operation::ManageCalendar,
        Operation::ManageSlaPolicies,
        Operation::ManageJobs,
        Operation::ViewAudit,
        Operation::ViewCatalog,
        Operation::ManageCatalog,
        Operation::ApproveCatalog,
        Operation::ManageDataSources,
        Operation::UseDataSources,
        Operation::ViewQuality,
        Operation::ManageQualityRules,
        Operation::ManageCustomSql,
        Operation::RunQuality,
        Operation::ViewEnterprises,
        Operation::ManageEnterpriseSources,
        Operation::ImportEnterpriseData,
    ];
}

/// The permission table: which roles may perform an operation.
pub fn roles_for(op: Operation) -> &'static [Role] {
    use Role::*;
    match op {
        Operation::ViewTickets => &[Manager, Operator, Auditor, Department],
        Operation::CreateTicket => &[Manager, Operator, Department],
        Operation::Comment => &[Manager, Operator, Department],
        Operation::UploadEvidence => &[Manager, Operator, Department],
        Operation::ManageWatchers => &[Manager],
        Operation::ViewDirectory => &[Admin, SecurityAdmin, Manager, Operator, Auditor],
        Operation::ManageUsers => &[Admin],
        Operation::ManageSecurity => &[SecurityAdmin],
        Operation::ManageDepartments => &[Admin],
        Operation::ManageCalendar => &[Admin],
        Operation::ManageSlaPolicies => &[Admin],
        Operation::ManageJobs => &[Admin],
        Operation::ViewAudit => &[Auditor],
        Operation::ViewCatalog => &[Manager, Operator, Auditor, Department],
        Operation::ManageCatalog => &[Manager, Operator],
        Operation::ApproveCatalog => &[Manager],
        Operation::ManageDataSources => &[Admin],
        Operation::UseDataSources => &[Admin, Manager, Operator],
        Operation::ViewQuality => &[Admin, Manager, Operator, Auditor],
        Operation::ManageQualityRules => &[Manager],
        Operation::ManageCustomSql => &[Admin],
        Operation::RunQuality => &[Manager, Operator],
        Operation::ViewEnterprises => &[Admin, Manager, Operator, Auditor],
        Operation::ManageEnterpriseSources => &[Admin],
        Operation::ImportEnterpriseData => &[Manager, Operator],
    }
}

/// Whether `role` may perform `op`.
pub fn allowed(role: Role, op: Operation) -> bool {
    roles_for(op).contains(&role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_role_both_manages_permissions_and_reads_audit() {
        for role in Role::ALL {
            let grants = allowed(role, Operation::ManageSecurity) || allowed(role, Operation::ManageUsers);
            assert!(!(grants && allowed(role, Operation::ViewAudit)), "{role}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
