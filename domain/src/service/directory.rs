//! Users and departments.
//!
//! The system administrator creates accounts and departments and grants business roles;
//! only the security administrator grants or removes privileged roles, unlocks accounts,
//! resets passwords and revokes sessions (三员分立). Every change is audited.

use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::{Actor, Core, Page};
use crate::entity::{department, session, user};
use crate::password::Password;
use crate::role::{Operation, Role};
use crate::{Error, Result};

/// Input for a new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name: 3..=32 of `[a-z0-9_.-]`.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Email for notifications.
    pub email: Option<String>,
    /// The role.
    pub role: Role,
    /// Department.
    pub department_id: Option<i64>,
    /// Initial password (policy-checked).
    pub password: String,
}

fn user_json(u: &user::Model) -> serde_json::Value {
    json!({
        "username": u.username, "display_name": u.display_name, "email": u.email,
        "role": u.role, "department_id": u.department_id, "active": u.active,
    })
}

/// Checks the shape of a username.
pub fn check_username(name: &str) -> Result<()> {
    let ok = (2..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("username", "用户名须为 2-32 位小写字母、数字或 _ . -"))
    }
}

/// Checks an email address loosely (one @, a dot in the domain, no spaces).
pub fn check_email(email: &str) -> Result<()> {
    let ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !d.contains('@')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("email", "邮箱地址格式不正确"))
    }
}

/// Creates a user. `actor` None means the command line (the machine's owner), which may
/// create any role.
pub async fn create_user(core: &Core, actor: Option<&Actor>, input: NewUser) -> Result<user::Model> {
    if let Some(a) = actor {
        // Privileged accounts are the security administrator's; business accounts the
        // system administrator's.
        a.require(if input.role.is_privileged() {
            Operation::ManageSecurity
        } else {
            Operation::ManageUsers
        })?;
    }
    check_username(&input.username)?;
    if input.display_name.trim().is_empty() || input.display_name.chars().count() > 64 {
        return Err(Error::invalid("displayName", "姓名不能为空且不超过 64 字"));
    }
    if let Some(e) = &input.email {
        check_email(e)?;
    }
    let hash = Password::parse(&input.password, &input.username)?.hash()?;
    let now = core.now();
    let txn = core.begin().await?;
    if let Some(d) = input.department_id
        && department::Entity::find_by_id(d).one(&txn).await?.is_none()
    {
        return Err(Error::invalid("departmentId", "部门不存在"));
    }
    if input.role == Role::Department && input.department_id.is_none() {
        return Err(Error::invalid("departmentId", "外部部门用户必须属于一个部门"));
    }
    let model = user::ActiveModel {
        username: Set(input.username.clone()),
        display_name: Set(input.display_name.trim().to_owned()),
        email: Set(input.email.clone()),
        password_hash: Set(hash),
        role: Set(input.role.as_str().to_owned()),
        department_id: Set(input.department_id),
        active: Set(true),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Duplicate("username")
        } else {
            e.into()
        }
    })?;
    let system = Actor::system();
    audit::append(
        &txn,
        actor.unwrap_or(&system),
        now,
        Change {
            action: "user.create",
            subject_type: "user",
            subject_id: model.id.to_string(),
            before: None,
            after: Some(user_json(&model)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Changes a user's role. Privileged roles (granting or removing) need the security administrator.
pub async fn set_role(core: &Core, actor: &Actor, user_id: i64, role: Role) -> Result<user::Model> {
    let target = user::Entity::find_by_id(user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let current: Role = target.role.parse()?;
    actor.require(if role.is_privileged() || current.is_privileged() {
        Operation::ManageSecurity
    } else {
        Operation::ManageUsers
    })?;
    if target.id == actor.id {
        return Err(Error::Forbidden);
    }
    update_user(core, actor, target, "user.set_role", |am| {
        am.role = Set(role.as_str().to_owned())
    })
    .await
}

/// Activates or deactivates an account (system administrator).
pub async fn set_active(core: &Core, actor: &Actor, user_id: i64, active: bool) -> Result<user::Model> {
    actor.require(Operation::ManageUsers)?;
    let target = user::Entity::find_by_id(user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if target.id == actor.id || target.role.parse::<Role>()?.is_privileged() {
        return Err(Error::Forbidden);
    }
    update_user(core, actor, target, "user.set_active", |am| am.active = Set(active)).await
}

/// Clears a lockout (security administrator).
pub async fn unlock(core: &Core, actor: &Actor, user_id: i64) -> Result<user::Model> {
    actor.require(Operation::ManageSecurity)?;
    let target = user::Entity::find_by_id(user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("user"))?;
    update_user(core, actor, target, "user.unlock", |am| {
        am.locked_until = Set(None);
        am.failed_logins = Set(0);
    })
    .await
}

/// Sets a new password for someone else (security administrator) and revokes their sessions.
pub async fn reset_password(core: &Core, actor: &Actor, user_id: i64, password: &str) -> Result<user::Model> {
    actor.require(Operation::ManageSecurity)?;
    let target = user::Entity::find_by_id(user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let hash = Password::parse(password, &target.username)?.hash()?;
    let out = update_user(core, actor, target, "user.reset_password", |am| {
        am.password_hash = Set(hash)
    })
    .await?;
    revoke_all(core, user_id).await?;
    Ok(out)
}

/// Changes the caller's own password, checking the old one.
pub async fn change_own_password(core: &Core, actor: &Actor, old: &str, new: &str) -> Result<()> {
    let me = user::Entity::find_by_id(actor.id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if !crate::password::verify(old, &me.password_hash) {
        return Err(Error::InvalidCredentials);
    }
    let hash = Password::parse(new, &me.username)?.hash()?;
    update_user(core, actor, me, "user.change_password", |am| {
        am.password_hash = Set(hash)
    })
    .await?;
    Ok(())
}

/// Revokes every session of a user (security administrator).
pub async fn revoke_sessions(core: &Core, actor: &Actor, user_id: i64) -> Result<u64> {
    actor.require(Operation::ManageSecurity)?;
    let n = revoke_all(core, user_id).await?;
    let txn = core.begin().await?;
    audit::append(
        &txn,
        actor,
        core.now(),
        Change {
            action: "user.revoke_sessions",
            subject_type: "user",
            subject_id: user_id.to_string(),
            before: None,
            after: Some(json!({ "revoked": n })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

async fn revoke_all(core: &Core, user_id: i64) -> Result<u64> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(core.now()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&core.db)
        .await?;
    Ok(res.rows_affected)
}

async fn update_user(
    core: &Core,
    actor: &Actor,
    target: user::Model,
    action: &str,
    f: impl FnOnce(&mut user::ActiveModel),
) -> Result<user::Model> {
    let now = core.now();
    let before = user_json(&target);
    let txn = core.begin().await?;
    let mut am = target.into_active_model();
    f(&mut am);
    am.updated_at = Set(now);
    let after = am.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action,
            subject_type: "user",
            subject_id: after.id.to_string(),
            before: Some(before),
            after: Some(user_json(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Users, filtered, for the directory.
pub async fn list_users(
    core: &Core,
    actor: &Actor,
    search: Option<&str>,
    page: Page,
) -> Result<(Vec<user::Model>, u64)> {
    actor.require(Operation::ViewDirectory)?;
    let mut q = user::Entity::find();
    if let Some(s) = search.filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(user::Column::Username.contains(s))
                .add(user::Column::DisplayName.contains(s)),
        );
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(user::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// Input for a department.
#[derive(Debug, Clone)]
pub struct NewDepartment {
    /// Short code, unique.
    pub code: String,
    /// Name.
    pub name: String,
    /// External unit (city operations center, credit office...).
    pub external: bool,
    /// The manager who receives escalations.
    pub manager_id: Option<i64>,
}

/// Creates a department (system administrator; `None` = command line / seeding).
pub async fn create_department(core: &Core, actor: Option<&Actor>, input: NewDepartment) -> Result<department::Model> {
    if let Some(a) = actor {
        a.require(Operation::ManageDepartments)?;
    }
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 32
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::invalid("code", "部门编码须为 1-32 位字母、数字、_ 或 -"));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Error::invalid("name", "部门名称不能为空且不超过 64 字"));
    }
    let now = core.now();
    let txn = core.begin().await?;
    if let Some(m) = input.manager_id
        && user::Entity::find_by_id(m).one(&txn).await?.is_none()
    {
        return Err(Error::invalid("managerId", "负责人不存在"));
    }
    let model = department::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        external: Set(input.external),
        manager_id: Set(input.manager_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Duplicate("department_code")
        } else {
            e.into()
        }
    })?;
    let system = Actor::system();
    audit::append(&txn, actor.unwrap_or(&system), now, Change {
        action: "department.create",
        subject_type: "department",
        subject_id: model.id.to_string(),
        before: None,
        after: Some(json!({ "code": model.code, "name": model.name, "external": model.external, "manager_id": model.manager_id })),
    })
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Sets a department's manager (who receives escalations).
pub async fn set_department_manager(
    core: &Core,
    actor: &Actor,
    department_id: i64,
    manager_id: Option<i64>,
) -> Result<department::Model> {
    actor.require(Operation::ManageDepartments)?;
    let now = core.now();
    let txn = core.begin().await?;
    let d = department::Entity::find_by_id(department_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("department"))?;
    if let Some(m) = manager_id {
        let u = user::Entity::find_by_id(m)
            .one(&txn)
            .await?
            .ok_or_else(|| Error::invalid("managerId", "负责人不存在"))?;
        if u.role != Role::Manager.as_str() {
            return Err(Error::invalid("managerId", "负责人必须是业务管理员"));
        }
    }
    let before = d.manager_id;
    let mut am = d.into_active_model();
    am.manager_id = Set(manager_id);
    let d = am.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "department.set_manager",
            subject_type: "department",
            subject_id: d.id.to_string(),
            before: Some(json!({ "manager_id": before })),
            after: Some(json!({ "manager_id": manager_id })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(d)
}

/// All departments (small list).
pub async fn list_departments(core: &Core, actor: &Actor) -> Result<Vec<department::Model>> {
    if actor.role != Role::Department {
        actor.require(Operation::ViewDirectory)?;
    }
    let mut q = department::Entity::find();
    if actor.role == Role::Department {
        q = q.filter(department::Column::Id.eq(actor.department_id.unwrap_or(-1)));
    }
    Ok(q.order_by_asc(department::Column::Id).all(&core.db).await?)
}

/// Users by id (DataLoader backend).
pub async fn users_by_ids(core: &Core, ids: &[i64]) -> Result<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .all(&core.db)
        .await?)
}

/// Departments by id (DataLoader backend).
pub async fn departments_by_ids(core: &Core, ids: &[i64]) -> Result<Vec<department::Model>> {
    Ok(department::Entity::find()
        .filter(department::Column::Id.is_in(ids.to_vec()))
        .all(&core.db)
        .await?)
}

/// Whether any user exists (first start).
pub async fn any_user(core: &Core) -> Result<bool> {
    Ok(user::Entity::find().count(&core.db).await? > 0)
}
