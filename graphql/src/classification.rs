//! The resource classification scheme and the general-data sub-levels.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use ecogov_domain::entity::classification;
use ecogov_domain::service::classification as svc;

use crate::error::ApiError;
use crate::query::{actor, core};

/// A node of the classification (类/项/目/细目).
#[derive(SimpleObject)]
pub struct ClassificationNode {
    /// Codes joined by `/`, e.g. `1/02/003`.
    pub path: String,
    /// Parent path (None for a 类).
    pub parent_path: Option<String>,
    /// 1 类, 2 项, 3 目, 4 细目.
    pub level: i32,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Retired nodes cannot classify new resources.
    pub active: bool,
    /// Part of the seeded scheme.
    pub builtin: bool,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<classification::Model> for ClassificationNode {
    fn from(m: classification::Model) -> Self {
        ClassificationNode {
            path: m.path,
            parent_path: m.parent_path,
            level: i32::from(m.level),
            name: m.name,
            description: m.description,
            active: m.active,
            builtin: m.builtin,
            updated_at: m.updated_at,
        }
    }
}

/// Classification queries.
#[derive(Default)]
pub struct ClassificationQuery;

#[Object]
impl ClassificationQuery {
    /// The classification scheme in path order (the scheme is small: no paging).
    async fn classifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_inactive: bool,
    ) -> async_graphql::Result<Vec<ClassificationNode>> {
        Ok(svc::list(core(ctx)?, actor(ctx)?, include_inactive)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Number of general-data (一般数据) sub-levels in force.
    async fn general_sub_levels(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        actor(ctx)?
            .require(ecogov_domain::role::Operation::ViewCatalog)
            .map_err(ApiError)?;
        Ok(i32::from(
            svc::general_sub_levels(&core(ctx)?.db).await.map_err(ApiError)?,
        ))
    }
}

/// Classification mutations (managers).
#[derive(Default)]
pub struct ClassificationMutation;

#[Object]
impl ClassificationMutation {
    /// Adds a node or renames (and reactivates) one; the parent must be active.
    async fn upsert_classification(
        &self,
        ctx: &Context<'_>,
        path: String,
        name: String,
        #[graphql(default)] description: String,
    ) -> async_graphql::Result<ClassificationNode> {
        Ok(svc::upsert(
            core(ctx)?,
            actor(ctx)?,
            svc::NodeInput {
                path,
                name,
                description,
            },
        )
        .await
        .map_err(ApiError)?
        .into())
    }

    /// Retires a node (refused while resources use it or it has active children).
    async fn deactivate_classification(
        &self,
        ctx: &Context<'_>,
        path: String,
    ) -> async_graphql::Result<ClassificationNode> {
        Ok(svc::deactivate(core(ctx)?, actor(ctx)?, &path)
            .await
            .map_err(ApiError)?
            .into())
    }

    /// Sets the number of general-data sub-levels (1-9; refused below a level in use).
    async fn set_general_sub_levels(&self, ctx: &Context<'_>, sub_levels: i32) -> async_graphql::Result<i32> {
        Ok(i32::from(
            svc::set_general_sub_levels(core(ctx)?, actor(ctx)?, sub_levels)
                .await
                .map_err(ApiError)?,
        ))
    }
}
