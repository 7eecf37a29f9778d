//! Login, sessions and logout, with the account rules of GB/T 22239-2019.
//!
//! Failed logins lock the account after `max_failed_per_account` consecutive failures and
//! lock a client address after `max_failed_per_address` failures within the window; a
//! session expires after `idle_timeout_minutes` without requests or at its absolute expiry;
//! logout revokes the session. Every login, failure, lockout and logout is audited.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::audit::{self, Change};
use super::{Actor, Core};
use crate::entity::{login_attempt, session, user};
use crate::role::Role;
use crate::token::Claims;
use crate::{Error, Result};

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoginResult {
    /// Bearer token.
    pub token: String,
    /// Absolute expiry.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The user.
    pub user: user::Model,
}

/// Checks credentials and opens a session.
pub async fn login(core: &Core, username: &str, password: &str, client_addr: &str) -> Result<LoginResult> {
    let now = core.now();
    let policy = &core.security;
    let window_start = now - Duration::minutes(policy.lockout_minutes);

    let addr_failures = login_attempt::Entity::find()
        .filter(login_attempt::Column::ClientAddr.eq(client_addr))
        .filter(login_attempt::Column::Success.eq(false))
        .filter(login_attempt::Column::At.gt(window_start))
        .count(&core.db)
        .await?;
    if addr_failures >= u64::from(policy.max_failed_per_address) {
        let last = login_attempt::Entity::find()
            .filter(login_attempt::Column::ClientAddr.eq(client_addr))
            .filter(login_attempt::Column::Success.eq(false))
            .order_by_desc(login_attempt::Column::At)
            .one(&core.db)
            .await?;
        let until = last.map(|a| a.at).unwrap_or(now) + Duration::minutes(policy.lockout_minutes);
        return Err(Error::AddressLocked { until });
    }

    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&core.db)
        .await?;
    if let Some(u) = &found
        && let Some(until) = u.locked_until
        && until > now
    {
        record_attempt(core, username, client_addr, false).await?;
        return Err(Error::AccountLocked { until });
    }
    // Verify outside any transaction: argon2 is deliberately slow.
    let ok = match &found {
        Some(u) if u.active => crate::password::verify(password, &u.password_hash),
        _ => {
            // Spend comparable time for unknown users so timing does not reveal names.
            let _ = crate::password::verify(password, DUMMY_HASH);
            false
        }
    };

    let txn = core.begin().await?;
    login_attempt::ActiveModel {
        username: Set(username.to_owned()),
        client_addr: Set(client_addr.to_owned()),
        success: Set(ok),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let Some(u) = found.filter(|u| u.active) else {
        txn.commit().await?;
        return Err(Error::InvalidCredentials);
    };
    if !ok {
        let failures = u.failed_logins + 1;
        let lock = failures >= policy.max_failed_per_account as i32;
        let until = now + Duration::minutes(policy.lockout_minutes);
        let mut am = u.clone().into_active_model();
        am.failed_logins = Set(if lock { 0 } else { failures });
        if lock {
            am.locked_until = Set(Some(until));
        }
        am.update(&txn).await?;
        let actor = Actor {
            id: u.id,
            username: u.username.clone(),
            role: Role::Operator,
            department_id: None,
            sid: String::new(),
        };
        audit::append(
            &txn,
            &actor,
            now,
            Change {
                action: if lock {
                    "auth.account_locked"
                } else {
                    "auth.login_failed"
                },
                subject_type: "user",
                subject_id: u.id.to_string(),
                before: None,
                after: Some(json!({ "client_addr": client_addr, "failed_logins": failures })),
            },
        )
        .await?;
        txn.commit().await?;
        return Err(if lock {
            Error::AccountLocked { until }
        } else {
            Error::InvalidCredentials
        });
    }

    let sid = uuid::Uuid::new_v4().simple().to_string();
    let expires_at = now + Duration::hours(policy.token_ttl_hours);
    session::ActiveModel {
        sid: Set(sid.clone()),
        user_id: Set(u.id),
        client_addr: Set(client_addr.to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut am = u.clone().into_active_model();
    am.failed_logins = Set(0);
    am.locked_until = Set(None);
    let u = am.update(&txn).await?;
    let actor = actor_of(&u, &sid)?;
    audit::append(
        &txn,
        &actor,
        now,
        Change {
            action: "auth.login",
            subject_type: "user",
            subject_id: u.id.to_string(),
            before: None,
            after: Some(json!({ "client_addr": client_addr })),
        },
    )
    .await?;
    txn.commit().await?;
    let token = core.signer.sign(&Claims {
        sid,
        uid: u.id,
        exp: expires_at.timestamp(),
    });
    Ok(LoginResult {
        token,
        expires_at,
        user: u,
    })
}

async fn record_attempt(core: &Core, username: &str, client_addr: &str, success: bool) -> Result<()> {
    login_attempt::ActiveModel {
        username: Set(username.to_owned()),
        client_addr: Set(client_addr.to_owned()),
        success: Set(success),
        at: Set(core.now()),
        ..Default::default()
    }
    .insert(&core.db)
    .await?;
    Ok(())
}

/// A valid argon2 hash of a random string, verified against for unknown users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0sWJ3hUu6mB1cqJ4Yy0o0m3QzTqkq0CMJ2T2o+e0XcI";

/// Builds the actor of a user row.
pub fn actor_of(u: &user::Model, sid: &str) -> Result<Actor> {
    Ok(Actor {
        id: u.id,
        username: u.username.clone(),
        role: u.role.parse()?,
        department_id: u.department_id,
        sid: sid.to_owned(),
    })
}

/// Resolves a bearer token to the acting user, enforcing revocation and the idle timeout.
pub async fn authenticate(core: &Core, token: &str) -> Result<Actor> {
    let now = core.now();
    let claims = core.signer.verify(token, now).ok_or(Error::SessionExpired)?;
    let s = session::Entity::find()
        .filter(session::Column::Sid.eq(claims.sid.clone()))
        .one(&core.db)
        .await?
        .ok_or(Error::SessionExpired)?;
    if s.revoked_at.is_some() || s.expires_at <= now || s.user_id != claims.uid {
        return Err(Error::SessionExpired);
    }
    if s.last_seen_at + Duration::minutes(core.security.idle_timeout_minutes) <= now {
        let mut am = s.into_active_model();
        am.revoked_at = Set(Some(now));
        am.update(&core.db).await?;
        return Err(Error::SessionExpired);
    }
    let u = user::Entity::find_by_id(s.user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::SessionExpired)?;
    if !u.active {
        return Err(Error::SessionExpired);
    }
    // Touch at most once a minute: keeps the idle clock honest without a write per request.
    if now - s.last_seen_at >= Duration::seconds(60) {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, sea_orm::prelude::Expr::value(now))
            .filter(session::Column::Id.eq(s.id))
            .exec(&core.db)
            .await?;
    }
    actor_of(&u, &claims.sid)
}

/// Revokes the caller's session.
pub async fn logout(core: &Core, actor: &Actor) -> Result<()> {
    let now = core.now();
    let txn = core.begin().await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, sea_orm::prelude::Expr::value(now))
        .filter(session::Column::Sid.eq(actor.sid.clone()))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "auth.logout",
            subject_type: "user",
            subject_id: actor.id.to_string(),
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dummy_hash_parses() {
        assert!(argon2::password_hash::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}
