#![doc = include_str!("../README.md")]

mod catalog;
mod classification;
mod enterprise;
mod error;
mod loaders;
mod models;
mod mutation;
mod permits;
mod quality;
mod query;
mod reconciliation;
mod sensitivity;
mod thematic;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, Schema};
use ecogov_domain::service::{Actor, Core};

pub use catalog::{CatalogMutation, CatalogQuery, DataSourceMutation, DataSourceQuery};
pub use classification::{ClassificationMutation, ClassificationQuery};
pub use enterprise::{
    EnterpriseConflictsLoader, EnterpriseMutation, EnterpriseQuery, EnterpriseRecordsLoader, EnterpriseTicketsLoader,
};
pub use error::{ApiError, ApiResult};
pub use loaders::{ClockLoader, DepartmentLoader, SourceSystemLoader, UserLoader};
pub use models::{ModelMutation, ModelQuery};
pub use mutation::CoreMutation;
pub use permits::{PermitMutation, PermitQuery};
pub use quality::{LatestRunLoader, QualityMutation, QualityQuery};
pub use query::CoreQuery;
pub use reconciliation::{ReconciliationMutation, ReconciliationQuery};
pub use sensitivity::{SensitivityMutation, SensitivityQuery};
pub use thematic::{ThematicMutation, ThematicQuery};

/// All queries.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    CoreQuery,
    CatalogQuery,
    DataSourceQuery,
    ClassificationQuery,
    ModelQuery,
    SensitivityQuery,
    QualityQuery,
    ReconciliationQuery,
    PermitQuery,
    ThematicQuery,
    EnterpriseQuery,
);

/// All mutations.
#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(
    CoreMutation,
    CatalogMutation,
    DataSourceMutation,
    ClassificationMutation,
    ModelMutation,
    SensitivityMutation,
    QualityMutation,
    ReconciliationMutation,
    PermitMutation,
    ThematicMutation,
    EnterpriseMutation,
);

/// The schema type.
pub type EcogovSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Maximum query depth.
pub const MAX_DEPTH: usize = 12;
/// Maximum query complexity.
pub const MAX_COMPLEXITY: usize = 5_000;

/// Builds the schema with its limits. Per-request data comes from [`RequestContext`].
pub fn build_schema(core: Core) -> EcogovSchema {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .data(core)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The SDL of the schema (committed as `graphql/schema.graphql`).
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .finish()
        .sdl()
}

/// Who is calling, as resolved by the HTTP layer from the bearer token.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The authenticated actor, if the token was valid.
    pub actor: Option<Actor>,
    /// Why authentication failed, if a token was sent but rejected.
    pub auth_error: Option<&'static str>,
    /// Client address (for login lockout per address).
    pub client_addr: String,
}

/// Adds per-request data (caller, DataLoaders) to a request.
pub fn with_request_data(req: async_graphql::Request, core: &Core, ctx: RequestContext) -> async_graphql::Request {
    req.data(ctx)
        .data(DataLoader::new(UserLoader(core.clone()), tokio::spawn))
        .data(DataLoader::new(DepartmentLoader(core.clone()), tokio::spawn))
        .data(DataLoader::new(ClockLoader(core.clone()), tokio::spawn))
        .data(DataLoader::new(SourceSystemLoader(core.clone()), tokio::spawn))
        .data(DataLoader::new(LatestRunLoader(core.clone()), tokio::spawn))
        .data(DataLoader::new(EnterpriseRecordsLoader(core.clone()), tokio::spawn))
        .data(DataLoader::new(EnterpriseConflictsLoader(core.clone()), tokio::spawn))
        .data(DataLoader::new(EnterpriseTicketsLoader(core.clone()), tokio::spawn))
}
