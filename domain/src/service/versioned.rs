//! Optimistic-version writes of a definition row (reconciliation, permit reconciliation and
//! thematic check definitions): the row is changed only if it is still at the version the
//! caller read, its version goes up by one, and the change is audited with the row before and
//! after, all in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PrimaryKeyTrait, QueryFilter};

use super::audit::{self, Change};
use super::{Actor, Core};
use crate::{Error, Result};

/// An entity whose rows carry `id`, `version`, `updated_at` and a `code` naming them in the
/// audit trail.
pub(crate) trait Versioned: EntityTrait {
    /// Audit subject type and the name in `not_found`.
    const SUBJECT: &'static str;
    /// The `id` column.
    fn id_column() -> Self::Column;
    /// The `version` column.
    fn version_column() -> Self::Column;
    /// The `updated_at` column.
    fn updated_at_column() -> Self::Column;
    /// The row's version.
    fn version(m: &Self::Model) -> i32;
    /// The row's code (the audit subject id).
    fn code(m: &Self::Model) -> String;
    /// The row as the audit trail records it.
    fn audit_json(m: &Self::Model) -> serde_json::Value;
}

/// Implements [`Versioned`] for the entity of module `$m`, whose model has `id`, `version`,
/// `updated_at` and `code`, audited as `$subject` with the row rendered by `$audit_json`.
macro_rules! impl_versioned {
    ($m:ident, $subject:literal, $audit_json:path) => {
        impl $crate::service::versioned::Versioned for $m::Entity {
            const SUBJECT: &'static str = $subject;
            fn id_column() -> Self::Column {
                $m::Column::Id
            }
            fn version_column() -> Self::Column {
                $m::Column::Version
            }
            fn updated_at_column() -> Self::Column {
                $m::Column::UpdatedAt
            }
            fn version(m: &Self::Model) -> i32 {
                m.version
            }
            fn code(m: &Self::Model) -> String {
                m.code.clone()
            }
            fn audit_json(m: &Self::Model) -> serde_json::Value {
                $audit_json(m)
            }
        }
    };
}
pub(crate) use impl_versioned;

/// Writes `change(current)` over row `id` if it is still at `expected_version` (a stale
/// version is a conflict), with its audit event `action`. Rows `visible` refuses are not found.
pub(crate) async fn write_version<E>(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    action: &str,
    visible: impl FnOnce(&E::Model) -> bool,
    change: impl FnOnce(&E::Model) -> Result<E::ActiveModel>,
) -> Result<E::Model>
where
    E: Versioned,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = i64>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let txn = core.begin().await?;
    let current = E::find_by_id(id)
        .one(&txn)
        .await?
        .filter(visible)
        .ok_or(Error::NotFound(E::SUBJECT))?;
    let version = E::version(&current);
    if version != expected_version {
        return Err(Error::VersionConflict { current: version });
    }
    let now: DateTime<Utc> = core.now();
    let mut am = change(&current)?;
    am.set(E::version_column(), (version + 1).into());
    am.set(E::updated_at_column(), now.into());
    let res = E::update_many()
        .set(am)
        .filter(E::id_column().eq(id))
        .filter(E::version_column().eq(version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(Error::VersionConflict { current: version });
    }
    let after = E::find_by_id(id).one(&txn).await?.ok_or(Error::NotFound(E::SUBJECT))?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action,
            subject_type: E::SUBJECT,
            subject_id: E::code(&after),
            before: Some(E::audit_json(&current)),
            after: Some(E::audit_json(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
