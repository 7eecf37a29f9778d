//! HTTP: GraphQL, health, readiness, metrics and attachment downloads.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use ecogov_domain::service::{Core, auth, notify, permit_reconciliation, tickets};
use ecogov_graphql::{EcogovSchema, RequestContext, with_request_data};
use ecogov_workers::Queue;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus::{Encoder, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use sea_orm::ConnectionTrait;

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    /// Core services.
    pub core: Core,
    /// The schema.
    pub schema: EcogovSchema,
    /// The job queue (for readiness).
    pub queue: Queue,
    /// Serve GraphiQL.
    pub graphiql: bool,
    /// Prometheus registry.
    pub metrics: Metrics,
}

/// Prometheus metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    queries: Arc<AtomicU64>,
    queries_gauge: IntGauge,
    requests: IntCounterVec,
    outbox: IntGaugeVec,
}

impl Metrics {
    /// Registers the metrics.
    pub fn new(queries: Arc<AtomicU64>) -> anyhow::Result<Self> {
        let registry = Registry::new();
        let queries_gauge = IntGauge::new(
            "ecogov_db_statements_total",
            "Statements executed on the application database",
        )?;
        registry.register(Box::new(queries_gauge.clone()))?;
        let requests = IntCounterVec::new(
            Opts::new("ecogov_http_requests_total", "HTTP requests by endpoint and outcome"),
            &["endpoint", "outcome"],
        )?;
        let outbox = IntGaugeVec::new(
            Opts::new("ecogov_outbox_notifications", "Outbox notifications by status"),
            &["status"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(outbox.clone()))?;
        Ok(Self {
            registry,
            queries,
            queries_gauge,
            requests,
            outbox,
        })
    }
}

/// Bearer token from the Authorization header.
fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn request_context(core: &Core, req: &HttpRequest) -> RequestContext {
    let client_addr = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    match bearer(req) {
        None => RequestContext {
            actor: None,
            auth_error: None,
            client_addr,
        },
        Some(token) => match auth::authenticate(core, token).await {
            Ok(actor) => RequestContext {
                actor: Some(actor),
                auth_error: None,
                client_addr,
            },
            Err(e) => {
                if e.is_internal() {
                    tracing::error!(error = ?e, "authentication failed internally");
                }
                RequestContext {
                    actor: None,
                    auth_error: Some(e.code()),
                    client_addr,
                }
            }
        },
    }
}

#[tracing::instrument(skip_all)]
async fn graphql(state: web::Data<AppState>, req: HttpRequest, gql: GraphQLRequest) -> GraphQLResponse {
    let ctx = request_context(&state.core, &req).await;
    let request = with_request_data(gql.into_inner(), &state.core, ctx);
    let mut response = state.schema.execute(request).await;
    // Parse, validation and limit errors come from async-graphql without a code: give them one.
    for e in &mut response.errors {
        let has_code = e.extensions.as_ref().is_some_and(|x| x.get("code").is_some());
        if !has_code {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", "invalid_query");
        }
    }
    state
        .metrics
        .requests
        .with_label_values(&["graphql", if response.errors.is_empty() { "ok" } else { "error" }])
        .inc();
    response.into()
}

async fn graphiql(state: web::Data<AppState>) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").finish())
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state
        .core
        .db
        .execute_unprepared("SELECT 1")
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let queue = state.queue.ping().await.map_err(|e| e.to_string());
    let ok = db.is_ok() && queue.is_ok();
    if let Err(e) = &db {
        tracing::warn!(error = %e, "readiness: database unreachable");
    }
    if let Err(e) = &queue {
        tracing::warn!(error = %e, "readiness: queue unreachable");
    }
    let body = serde_json::json!({ "database": db.is_ok(), "queue": queue.is_ok() });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    if let Ok(counts) = notify::counts(&state.core).await {
        for (status, n) in counts {
            state.metrics.outbox.with_label_values(&[status.as_str()]).set(n as i64);
        }
    }
    state
        .metrics
        .queries_gauge
        .set(state.metrics.queries.load(Ordering::Relaxed) as i64);
    let mut buf = Vec::new();
    if TextEncoder::new()
        .encode(&state.metrics.registry.gather(), &mut buf)
        .is_err()
    {
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(buf)
}

async fn attachment(state: web::Data<AppState>, req: HttpRequest, path: web::Path<i64>) -> HttpResponse {
    let ctx = request_context(&state.core, &req).await;
    let Some(actor) = ctx.actor else {
        return HttpResponse::Unauthorized()
            .json(serde_json::json!({ "code": ctx.auth_error.unwrap_or("unauthenticated") }));
    };
    match tickets::attachment_bytes(&state.core, &actor, path.into_inner()).await {
        Ok((a, bytes)) => HttpResponse::Ok()
            .content_type(a.content_type.clone())
            .insert_header(("X-Content-SHA256", a.sha256.clone()))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{}", percent(&a.file_name)),
            ))
            .body(bytes),
        Err(e) => {
            if e.is_internal() {
                tracing::error!(error = ?e, "attachment download failed");
            }
            actix_web::HttpResponse::build(
                actix_web::http::StatusCode::from_u16(e.http_status())
                    .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
            )
            .json(serde_json::json!({ "code": e.code(), "message": e.user_message() }))
        }
    }
}

/// The XLSX difference list of a permit reconciliation record (`ViewQuality`).
async fn permit_differences(state: web::Data<AppState>, req: HttpRequest, path: web::Path<i64>) -> HttpResponse {
    let ctx = request_context(&state.core, &req).await;
    let Some(actor) = ctx.actor else {
        return HttpResponse::Unauthorized()
            .json(serde_json::json!({ "code": ctx.auth_error.unwrap_or("unauthenticated") }));
    };
    match permit_reconciliation::difference_list(&state.core, &actor, path.into_inner()).await {
        Ok((name, bytes)) => HttpResponse::Ok()
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{}", percent(&name)),
            ))
            .body(bytes),
        Err(e) => {
            if e.is_internal() {
                tracing::error!(error = ?e, "difference list download failed");
            }
            actix_web::HttpResponse::build(
                actix_web::http::StatusCode::from_u16(e.http_status())
                    .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
            )
            .json(serde_json::json!({ "code": e.code(), "message": e.user_message() }))
        }
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Registers the routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql))
        .route("/graphql", web::get().to(graphiql))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics))
        .route("/attachments/{id}", web::get().to(attachment))
        .route(
            "/permit-reconciliation-runs/{id}/differences.xlsx",
            web::get().to(permit_differences),
        );
}
