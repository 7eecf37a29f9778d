//! Source systems (来源系统): the systems catalog data comes from — the national permit
//! platform, the online monitoring platform, the air and water station networks, the
//! meteorological bureau's feed, enforcement — each with an owner department and contacts.
//!
//! Catalog resources name their source system by code, so a code never changes; a system that
//! is retired is deactivated, not deleted (resources keep pointing at it, new references may
//! not). Contacts are personal data: readers with `ManageCatalog` and users of the owner
//! department see phone and e-mail in full, everyone else sees them masked
//! ([`visible_contacts`]); the audit trail records them masked too.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::catalog::problems_error;
use super::{Actor, Core, Page};
use crate::catalog::contact::{Contact, ContactInput, ContactView, parse_contacts};
use crate::catalog::model::Problem;
use crate::entity::{department, source_system};
use crate::role::Operation;
use crate::{Error, Result};

/// A source system as entered (create and update; the code cannot change on update).
#[derive(Debug, Clone, Default)]
pub struct SourceSystemInput {
    /// Code: 1-64 of `[a-z0-9-]`, unique, referenced by catalog resources.
    pub code: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Owner department id.
    pub owner_department_id: i64,
    /// Contacts (at most [`crate::catalog::contact::MAX_CONTACTS`]).
    pub contacts: Vec<ContactInput>,
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct SourceSystemFilter {
    /// Only systems owned by this department.
    pub owner_department_id: Option<i64>,
    /// Only active (true) or inactive (false) systems.
    pub active: Option<bool>,
}

/// Checks the shape of a source-system code.
pub fn code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn json_err(e: serde_json::Error) -> Error {
    Error::Internal(format!("source system json: {e}"))
}

/// The stored contacts of a system.
pub fn contacts(m: &source_system::Model) -> Result<Vec<Contact>> {
    serde_json::from_str(&m.contacts).map_err(json_err)
}

/// Whether `actor` may read the contacts of `m` in full.
pub fn sees_contacts_in_full(actor: &Actor, m: &source_system::Model) -> bool {
    actor.can(Operation::ManageCatalog) || actor.department_id == Some(m.owner_department_id)
}

/// The contacts of `m` as `actor` may see them (phone and e-mail masked unless allowed).
pub fn visible_contacts(actor: &Actor, m: &source_system::Model) -> Result<Vec<ContactView>> {
    let full = sees_contacts_in_full(actor, m);
    Ok(contacts(m)?.iter().map(|c| c.view(full)).collect())
}

/// The audit form: contacts masked, as an auditor may see them.
fn audit_json(m: &source_system::Model) -> Result<serde_json::Value> {
    let masked: Vec<ContactView> = contacts(m)?.iter().map(|c| c.view(false)).collect();
    Ok(json!({
        "code": m.code, "name": m.name, "description": m.description,
        "owner_department_id": m.owner_department_id, "contacts": masked,
        "active": m.active, "version": m.version,
    }))
}

/// Checks the input and the owner department; returns the contacts as JSON.
async fn check<C: ConnectionTrait>(conn: &C, input: &SourceSystemInput) -> Result<String> {
    let mut problems = Vec::new();
    if !code_ok(input.code.trim()) {
        problems.push(Problem {
            field: "code".into(),
            message: "来源系统编码须为 1-64 位小写字母、数字或 -".into(),
        });
    }
    let n = input.name.trim().chars().count();
    if n == 0 || n > 100 {
        problems.push(Problem {
            field: "name".into(),
            message: "名称不能为空且不超过 100 字".into(),
        });
    }
    if input.description.trim().chars().count() > 2000 {
        problems.push(Problem {
            field: "description".into(),
            message: "说明不能超过 2000 字".into(),
        });
    }
    let contacts = match parse_contacts(&input.contacts) {
        Ok(c) => Some(c),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems_error(&problems));
    }
    if department::Entity::find_by_id(input.owner_department_id)
        .one(conn)
        .await?
        .is_none()
    {
        return Err(Error::invalid("ownerDepartmentId", "部门不存在"));
    }
    serde_json::to_string(&contacts.unwrap_or_default()).map_err(json_err)
}

/// Registers a source system.
pub async fn create(core: &Core, actor: &Actor, input: SourceSystemInput) -> Result<source_system::Model> {
    actor.require(Operation::ManageCatalog)?;
    let txn = core.begin().await?;
    let contacts = check(&txn, &input).await?;
    let now = core.now();
    let m = source_system::ActiveModel {
        code: Set(input.code.trim().to_owned()),
        name: Set(input.name.trim().to_owned()),
        description: Set(input.description.trim().to_owned()),
        owner_department_id: Set(input.owner_department_id),
        contacts: Set(contacts),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Duplicate("source_system_code")
        } else {
            e.into()
        }
    })?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "source_system.create",
            subject_type: "source_system",
            subject_id: m.code.clone(),
            before: None,
            after: Some(audit_json(&m)?),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Writes `am` if the stored version is still `expected`, with its audit event.
async fn save(
    core: &Core,
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    current: source_system::Model,
    mut am: source_system::ActiveModel,
    action: &str,
) -> Result<source_system::Model> {
    let now = core.now();
    am.version = Set(current.version + 1);
    am.updated_at = Set(now);
    let res = source_system::Entity::update_many()
        .set(am)
        .filter(source_system::Column::Id.eq(current.id))
        .filter(source_system::Column::Version.eq(current.version))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(Error::VersionConflict {
            current: current.version,
        });
    }
    let after = source_system::Entity::find_by_id(current.id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("source_system"))?;
    audit::append(
        txn,
        actor,
        now,
        Change {
            action,
            subject_type: "source_system",
            subject_id: after.code.clone(),
            before: Some(audit_json(&current)?),
            after: Some(audit_json(&after)?),
        },
    )
    .await?;
    Ok(after)
}

async fn current(txn: &sea_orm::DatabaseTransaction, id: i64, expected_version: i32) -> Result<source_system::Model> {
    let m = source_system::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("source_system"))?;
    if m.version != expected_version {
        return Err(Error::VersionConflict { current: m.version });
    }
    Ok(m)
}

/// Updates name, description, owner department and contacts. The code cannot change; a stale
/// `expected_version` is a conflict.
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    input: SourceSystemInput,
) -> Result<source_system::Model> {
    actor.require(Operation::ManageCatalog)?;
    let txn = core.begin().await?;
    let m = current(&txn, id, expected_version).await?;
    if input.code.trim() != m.code {
        return Err(Error::invalid("code", "来源系统编码不可修改"));
    }
    let contacts = check(&txn, &input).await?;
    let mut am = m.clone().into_active_model();
    am.name = Set(input.name.trim().to_owned());
    am.description = Set(input.description.trim().to_owned());
    am.owner_department_id = Set(input.owner_department_id);
    am.contacts = Set(contacts);
    let out = save(core, &txn, actor, m, am, "source_system.update").await?;
    txn.commit().await?;
    Ok(out)
}

/// Deactivates (`active` false) or reactivates a system. Resources that name an inactive
/// system keep it; new references to it are refused.
pub async fn set_active(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    active: bool,
) -> Result<source_system::Model> {
    actor.require(Operation::ManageCatalog)?;
    let txn = core.begin().await?;
    let m = current(&txn, id, expected_version).await?;
    if m.active == active {
        return Ok(m);
    }
    let mut am = m.clone().into_active_model();
    am.active = Set(active);
    let action = if active {
        "source_system.activate"
    } else {
        "source_system.deactivate"
    };
    let out = save(core, &txn, actor, m, am, action).await?;
    txn.commit().await?;
    Ok(out)
}

/// One system by id.
pub async fn get(core: &Core, actor: &Actor, id: i64) -> Result<source_system::Model> {
    actor.require(Operation::ViewCatalog)?;
    source_system::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("source_system"))
}

/// One system by code.
pub async fn get_by_code(core: &Core, actor: &Actor, code: &str) -> Result<source_system::Model> {
    actor.require(Operation::ViewCatalog)?;
    find_by_code(&core.db, code.trim())
        .await?
        .ok_or(Error::NotFound("source_system"))
}

/// A system by code, without a permission check (for the catalog's own validation).
pub async fn find_by_code<C: ConnectionTrait>(conn: &C, code: &str) -> Result<Option<source_system::Model>> {
    Ok(source_system::Entity::find()
        .filter(source_system::Column::Code.eq(code))
        .one(conn)
        .await?)
}

/// Systems by code (DataLoader backend; the caller has been checked for `ViewCatalog`).
pub async fn by_codes(core: &Core, codes: &[String]) -> Result<Vec<source_system::Model>> {
    Ok(source_system::Entity::find()
        .filter(source_system::Column::Code.is_in(codes.to_vec()))
        .all(&core.db)
        .await?)
}

/// Systems, filtered, by code.
pub async fn list(
    core: &Core,
    actor: &Actor,
    filter: &SourceSystemFilter,
    page: Page,
) -> Result<(Vec<source_system::Model>, u64)> {
    actor.require(Operation::ViewCatalog)?;
    let mut q = source_system::Entity::find();
    if let Some(d) = filter.owner_department_id {
        q = q.filter(source_system::Column::OwnerDepartmentId.eq(d));
    }
    if let Some(a) = filter.active {
        q = q.filter(source_system::Column::Active.eq(a));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(source_system::Column::Code)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}
