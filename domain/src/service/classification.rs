//! The resource classification (类/项/目/细目) and the general-data sub-levels, as data.
//!
//! The eco-environment domain scheme is seeded by a migration and edited by managers: nodes
//! are added, renamed and retired (a node in use by a resource, or with active children,
//! cannot be retired). A resource's classification must name an active node. The number of
//! general-data sub-levels (GB/T 43697-2024 leaves it open) is a setting; it cannot drop
//! below a sub-level still in use. Every edit is audited.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::audit::{self, Change};
use super::{Actor, Core};
use crate::catalog::model::ResourceDraft;
use crate::entity::{catalog_field, catalog_resource, classification, setting};
use crate::role::Operation;
use crate::{Error, Result};

/// Setting key of the number of general-data sub-levels.
const SUB_LEVELS_KEY: &str = "grading.general_sub_levels";
/// Sub-levels when the setting was never changed (common local practice).
pub const DEFAULT_SUB_LEVELS: u8 = 4;
/// Most sub-levels allowed.
pub const MAX_SUB_LEVELS: u8 = 9;

/// The configured number of general-data sub-levels.
pub async fn general_sub_levels<C: ConnectionTrait>(conn: &C) -> Result<u8> {
    Ok(setting::Entity::find_by_id(SUB_LEVELS_KEY.to_owned())
        .one(conn)
        .await?
        .and_then(|s| s.value.parse().ok())
        .filter(|n| (1..=MAX_SUB_LEVELS).contains(n))
        .unwrap_or(DEFAULT_SUB_LEVELS))
}

/// Changes the number of general-data sub-levels (managers). Refused while a field or a
/// resource uses a sub-level above the new number.
pub async fn set_general_sub_levels(core: &Core, actor: &Actor, n: i32) -> Result<u8> {
    actor.require(Operation::ApproveCatalog)?;
    let n = u8::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_SUB_LEVELS).contains(n))
        .ok_or_else(|| Error::invalid("subLevels", format!("一般数据子级数须在 1 至 {MAX_SUB_LEVELS} 之间")))?;
    let txn = core.begin().await?;
    let before = general_sub_levels(&txn).await?;
    let above = i16::from(n);
    let fields = catalog_field::Entity::find()
        .filter(catalog_field::Column::SubLevel.gt(above))
        .all(&txn)
        .await?;
    if !fields.is_empty() {
        return Err(Error::invalid(
            "subLevels",
            format!(
                "仍有 {} 个信息项使用高于 {n} 的子级，请先调整这些信息项的分级",
                fields.len()
            ),
        ));
    }
    let now = core.now();
    super::calendar::put_setting(&txn, SUB_LEVELS_KEY, n.to_string(), now).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "grading.set_sub_levels",
            subject_type: "setting",
            subject_id: SUB_LEVELS_KEY.into(),
            before: Some(json!({ "sub_levels": before })),
            after: Some(json!({ "sub_levels": n })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// Checks that a resource's classification names an active node.
pub async fn check<C: ConnectionTrait>(conn: &C, r: &ResourceDraft) -> Result<()> {
    let path = r.classification.join("/");
    let found = classification::Entity::find()
        .filter(classification::Column::Path.eq(path.clone()))
        .filter(classification::Column::Active.eq(true))
        .one(conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(Error::invalid(
            "classification",
            format!("资源分类“{path}”不存在或已停用，请先在分类体系中维护"),
        )),
    }
}

/// The whole scheme in path order (inactive nodes included when asked).
pub async fn list(core: &Core, actor: &Actor, include_inactive: bool) -> Result<Vec<classification::Model>> {
    actor.require(Operation::ViewCatalog)?;
    let mut q = classification::Entity::find();
    if !include_inactive {
        q = q.filter(classification::Column::Active.eq(true));
    }
    Ok(q.order_by_asc(classification::Column::Path).all(&core.db).await?)
}

/// A node to add or rename.
#[derive(Debug, Clone)]
pub struct NodeInput {
    /// Codes joined by `/` (类 1 digit, 项 2, 目 3, 细目 1-8 digits).
    pub path: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
}

fn check_path(path: &str) -> Result<Vec<&str>> {
    let parts: Vec<&str> = path.split('/').collect();
    let widths = [Some(1), Some(2), Some(3), None];
    let ok = !parts.is_empty()
        && parts.len() <= 4
        && parts.iter().enumerate().all(|(i, c)| {
            let digits = !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit());
            let width_ok = match widths.get(i).copied().flatten() {
                Some(w) => c.len() == w,
                None => c.len() <= 8,
            };
            digits && width_ok
        });
    if ok {
        Ok(parts)
    } else {
        Err(Error::invalid(
            "path",
            "分类代码须为 类(1位)/项(2位)/目(3位)/细目(1-8位) 数字，以 / 分隔",
        ))
    }
}

/// Adds a node, or renames an existing one (and reactivates it). The parent must exist and
/// be active. Managers only.
pub async fn upsert(core: &Core, actor: &Actor, input: NodeInput) -> Result<classification::Model> {
    actor.require(Operation::ApproveCatalog)?;
    let path = input.path.trim().to_owned();
    let parts = check_path(&path)?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "分类名称不能为空且不超过 100 字"));
    }
    if input.description.chars().count() > 2000 {
        return Err(Error::invalid("description", "说明不超过 2000 字"));
    }
    let parent = path.rsplit_once('/').map(|(p, _)| p.to_owned());
    let now = core.now();
    let txn = core.begin().await?;
    if let Some(p) = &parent {
        let ok = classification::Entity::find()
            .filter(classification::Column::Path.eq(p.clone()))
            .filter(classification::Column::Active.eq(true))
            .one(&txn)
            .await?
            .is_some();
        if !ok {
            return Err(Error::invalid("path", format!("上级分类“{p}”不存在或已停用")));
        }
    }
    let existing = classification::Entity::find()
        .filter(classification::Column::Path.eq(path.clone()))
        .one(&txn)
        .await?;
    let before = existing
        .as_ref()
        .map(|m| json!({ "name": m.name, "description": m.description, "active": m.active }));
    let m = match existing {
        Some(m) => {
            let mut am = m.into_active_model();
            am.name = Set(name);
            am.description = Set(input.description.trim().to_owned());
            am.active = Set(true);
            am.updated_at = Set(now);
            am.update(&txn).await?
        }
        None => {
            classification::ActiveModel {
                path: Set(path.clone()),
                parent_path: Set(parent),
                level: Set(parts.len() as i16),
                name: Set(name),
                description: Set(input.description.trim().to_owned()),
                active: Set(true),
                builtin: Set(false),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "classification.upsert",
            subject_type: "classification",
            subject_id: m.path.clone(),
            before,
            after: Some(json!({ "name": m.name, "description": m.description, "active": true })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Retires a node. Refused while a resource is classified under it or it has active
/// children. Managers only.
pub async fn deactivate(core: &Core, actor: &Actor, path: &str) -> Result<classification::Model> {
    actor.require(Operation::ApproveCatalog)?;
    let path = path.trim();
    let txn = core.begin().await?;
    let m = classification::Entity::find()
        .filter(classification::Column::Path.eq(path))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("path", format!("分类“{path}”不存在")))?;
    let children = classification::Entity::find()
        .filter(classification::Column::ParentPath.eq(path))
        .filter(classification::Column::Active.eq(true))
        .all(&txn)
        .await?;
    if !children.is_empty() {
        return Err(Error::invalid(
            "path",
            format!("分类“{path}”下仍有 {} 个启用的下级分类", children.len()),
        ));
    }
    let used = catalog_resource::Entity::find()
        .filter(catalog_resource::Column::Classification.eq(path))
        .all(&txn)
        .await?;
    if !used.is_empty() {
        let codes: Vec<&str> = used.iter().take(5).map(|r| r.code.as_str()).collect();
        return Err(Error::invalid(
            "path",
            format!("仍有 {} 个资源使用分类“{path}”（{}）", used.len(), codes.join("、")),
        ));
    }
    let now = core.now();
    let mut am = m.into_active_model();
    am.active = Set(false);
    am.updated_at = Set(now);
    let m = am.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "classification.deactivate",
            subject_type: "classification",
            subject_id: m.path.clone(),
            before: Some(json!({ "active": true })),
            after: Some(json!({ "active": false })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_code_widths() {
        for ok in ["1", "1/02", "1/02/003", "1/02/003/12345678"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "12",
            "1/2",
            "1/02/03",
            "1/02/003/123456789",
            "a",
            "1//02",
            "1/02/003/1/1",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
