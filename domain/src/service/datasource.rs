//! Data sources (connections to the databases holding governed data) and schema drift.
//!
//! A connection URL is stored encrypted and never returned; `test` reports reachability and
//! latency. `check_drift` compares a resource's bound tables with the real tables: any
//! difference opens (or adds an occurrence to) a metadata-drift ticket keyed by the table, with
//! the diff as evidence; `adopt_drift` makes the catalog match the table as a new version.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::tickets::{Finding, Subject, report_finding};
use super::{Actor, Core, catalog};
use crate::catalog::diff::Snapshot;
use crate::catalog::drift::{self, Drift};
use crate::catalog::introspect::{self, IntrospectError, SourceKind};
use crate::entity::{catalog_resource, data_source};
use crate::role::Operation;
use crate::secretbox::redact_url;
use crate::workflow::{Severity, TicketKind};
use crate::{Error, Result};

/// Input for a data source.
#[derive(Debug, Clone)]
pub struct NewDataSource {
    /// Code used in bound tables (`code.table`).
    pub code: String,
    /// Name.
    pub name: String,
    /// `postgres://`, `mysql://` or `sqlite:` URL, with credentials.
    pub url: String,
    /// Source system code.
    pub source_system: String,
}

/// Registers a data source (system administrator). The URL is encrypted at rest.
pub async fn create(core: &Core, actor: &Actor, input: NewDataSource) -> Result<data_source::Model> {
    actor.require(Operation::ManageDataSources)?;
    let code = input.code.trim();
    if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b)) {
        return Err(Error::invalid("code", "数据源编码须为 1-64 位字母、数字、_ 或 -"));
    }
    if input.name.trim().is_empty() || input.name.chars().count() > 100 {
        return Err(Error::invalid("name", "名称不能为空且不超过 100 字"));
    }
    let kind = SourceKind::from_url(input.url.trim())
        .ok_or_else(|| Error::invalid("url", "仅支持 postgres://、mysql:// 与 sqlite: 连接串"))?;
    let now = core.now();
    let txn = core.begin().await?;
    let m = data_source::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(input.name.trim().to_owned()),
        kind: Set(kind.as_str().to_owned()),
        url_sealed: Set(core.secrets.seal(input.url.trim())?),
        url_display: Set(redact_url(input.url.trim())),
        source_system: Set(input.source_system.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Duplicate("data_source_code")
        } else {
            e.into()
        }
    })?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "data_source.create",
            subject_type: "data_source",
            subject_id: m.code.clone(),
            before: None,
            after: Some(json!({ "name": m.name, "kind": m.kind, "url": m.url_display })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// All data sources.
pub async fn list(core: &Core, actor: &Actor) -> Result<Vec<data_source::Model>> {
    actor.require(Operation::UseDataSources)?;
    Ok(data_source::Entity::find()
        .order_by_asc(data_source::Column::Code)
        .all(&core.db)
        .await?)
}

/// Result of a connection test.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    /// Reachable.
    pub ok: bool,
    /// Round trip of `SELECT 1`, milliseconds.
    pub latency_ms: Option<i64>,
    /// Why not (Chinese).
    pub error: Option<String>,
}

/// Opens a data source's connection (credentials decrypted here, never returned).
pub(crate) async fn open(
    core: &Core,
    ds: &data_source::Model,
) -> std::result::Result<(sea_orm::DatabaseConnection, std::time::Duration), IntrospectError> {
    let url = core
        .secrets
        .open(&ds.url_sealed)
        .map_err(|e| IntrospectError::Unreachable(e.user_message()))?;
    introspect::connect(&url).await
}

/// Tests a data source's connection and records the outcome.
pub async fn test(core: &Core, actor: &Actor, id: i64) -> Result<TestResult> {
    actor.require(Operation::UseDataSources)?;
    let ds = data_source::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("data_source"))?;
    let result = match open(core, &ds).await {
        Ok((db, latency)) => {
            let _ = db.close().await;
            TestResult {
                ok: true,
                latency_ms: Some(latency.as_millis() as i64),
                error: None,
            }
        }
        Err(e) => TestResult {
            ok: false,
            latency_ms: None,
            error: Some(e.to_string()),
        },
    };
    let mut am = ds.into_active_model();
    am.checked_at = Set(Some(core.now()));
    am.check_ok = Set(Some(result.ok));
    am.latency_ms = Set(result.latency_ms);
    am.check_error = Set(result.error.clone());
    am.update(&core.db).await?;
    Ok(result)
}

/// Compares every bound table of a resource with the real table. Each drifting table opens or
/// updates a metadata-drift ticket (deduplicated by resource and table). An unreachable
/// source opens a collection-failure ticket instead and is reported as an error.
pub async fn check_drift(core: &Core, actor: &Actor, resource_id: i64) -> Result<Vec<Drift>> {
    actor.require(Operation::UseDataSources)?;
    let r = catalog::get(core, actor, resource_id).await?;
    let snap = catalog::snapshot(&core.db, &r).await?;
    let mut out = Vec::new();
    for bound in &snap.resource.tables {
        let Some((src, table)) = bound.split_once('.') else {
            continue;
        };
        let ds = data_source::Entity::find()
            .filter(data_source::Column::Code.eq(src))
            .one(&core.db)
            .await?
            .ok_or_else(|| Error::invalid("tables", format!("数据源不存在：{src}")))?;
        let db = match open(core, &ds).await {
            Ok((db, _)) => db,
            Err(e) => {
                report_finding(
                    core,
                    Finding {
                        kind: TicketKind::CollectionFailure,
                        source: "schema_drift".into(),
                        dedup_key: format!("unreachable:{}", ds.code),
                        title: format!("数据源不可达：{}", ds.name),
                        description: e.to_string(),
                        severity: Severity::High,
                        subject: Some(Subject {
                            kind: "data_source".into(),
                            id: ds.code.clone(),
                        }),
                        department_id: None,
                        detail: json!({ "error": e.to_string() }),
                    },
                )
                .await?;
                return Err(Error::invalid("dataSource", e.to_string()));
            }
        };
        let actual = match introspect::describe(&db, table).await {
            Ok(t) => Some(t),
            Err(IntrospectError::NoSuchTable(_)) => None,
            Err(e) => return Err(Error::invalid("tables", e.to_string())),
        };
        let _ = db.close().await;
        let d = drift::compare(bound, &snap.fields, actual.as_ref());
        if !d.is_empty() {
            report_finding(
                core,
                Finding {
                    kind: TicketKind::MetadataDrift,
                    source: "schema_drift".into(),
                    dedup_key: format!("drift:{}:{}", r.code, bound),
                    title: format!("元数据漂移：{}（{}）", r.name, bound),
                    description: d.summary_zh(),
                    severity: Severity::Medium,
                    subject: Some(Subject {
                        kind: "dataset".into(),
                        id: r.code.clone(),
                    }),
                    department_id: None,
                    detail: serde_json::to_value(&d).unwrap_or_default(),
                },
            )
            .await?;
        }
        out.push(d);
    }
    Ok(out)
}

/// Makes the catalog's fields match a bound table (a new version).
pub async fn adopt_drift(core: &Core, actor: &Actor, resource_id: i64, bound: &str) -> Result<catalog_resource::Model> {
    actor.require(Operation::ManageCatalog)?;
    let r = catalog::get(core, actor, resource_id).await?;
    let snap = catalog::snapshot(&core.db, &r).await?;
    if !snap.resource.tables.iter().any(|t| t == bound) {
        return Err(Error::invalid("table", format!("资源未挂接表：{bound}")));
    }
    let (src, table) = bound
        .split_once('.')
        .ok_or_else(|| Error::invalid("table", "须为 数据源编码.表名"))?;
    let ds = data_source::Entity::find()
        .filter(data_source::Column::Code.eq(src))
        .one(&core.db)
        .await?
        .ok_or_else(|| Error::invalid("table", format!("数据源不存在：{src}")))?;
    let (db, _) = open(core, &ds)
        .await
        .map_err(|e| Error::invalid("dataSource", e.to_string()))?;
    let actual = introspect::describe(&db, table)
        .await
        .map_err(|e| Error::invalid("table", e.to_string()))?;
    let _ = db.close().await;
    let fields = drift::adopt(&snap.fields, &actual);
    catalog::update(
        core,
        actor,
        r.id,
        r.version,
        Snapshot {
            resource: snap.resource,
            fields,
        },
        &format!("采纳 {bound} 的表结构变化"),
    )
    .await
}
