//! Domain errors as GraphQL errors with a stable `extensions.code`.

use async_graphql::ErrorExtensions;
use ecogov_domain::Error;

/// A GraphQL-facing error: the domain error, converted deliberately.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// Result of a resolver.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError(Error::Db(e))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(ApiError(e): ApiError) -> Self {
        if e.is_internal() {
            tracing::error!(error = ?e, "internal error in GraphQL resolver");
        }
        let code = e.code();
        let mut err = async_graphql::Error::new(e.user_message()).extend_with(|_, ext| ext.set("code", code));
        if let Error::InvalidInput { field, .. } = &e {
            let field = field.clone();
            err = err.extend_with(|_, ext| ext.set("field", field));
        }
        if let Error::VersionConflict { current } = &e {
            let current = *current;
            err = err.extend_with(|_, ext| ext.set("currentVersion", current));
        }
        err
    }
}

/// Converts `validator` failures to `invalid_input`.
pub fn validation(errors: validator::ValidationErrors) -> ApiError {
    let field = errors
        .field_errors()
        .keys()
        .next()
        .map(|k| k.to_string())
        .unwrap_or_else(|| "input".into());
    let message = errors
        .field_errors()
        .values()
        .flat_map(|v| v.iter())
        .find_map(|e| e.message.as_ref().map(|m| m.to_string()))
        .unwrap_or_else(|| "输入不符合要求".into());
    ApiError(Error::InvalidInput { field, message })
}
