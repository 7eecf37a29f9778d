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
use crate::entity::{catalog_resource, data_source, drift_check, drift_rejection};
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
    let system = input.source_system.trim();
    if !system.is_empty() && super::source_system::find_by_code(&txn, system).await?.is_none() {
        return Err(Error::invalid("sourceSystem", format!("来源系统不存在：{system}")));
    }
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

/// Sets the IANA zone of the source's naive timestamps (system administrator).
pub async fn set_time_zone(core: &Core, actor: &Actor, id: i64, time_zone: &str) -> Result<data_source::Model> {
    actor.require(Operation::ManageDataSources)?;
    let tz = time_zone.trim();
    if tz.parse::<chrono_tz::Tz>().is_err() {
        return Err(Error::invalid(
            "timeZone",
            format!("未知的时区：{tz}（如 Asia/Shanghai、UTC）"),
        ));
    }
    let before = data_source::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("data_source"))?;
    let now = core.now();
    let txn = core.begin().await?;
    let mut am = before.clone().into_active_model();
    am.time_zone = Set(tz.to_owned());
    am.updated_at = Set(now);
    let after = am.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "data_source.set_time_zone",
            subject_type: "data_source",
            subject_id: id.to_string(),
            before: Some(json!({ "time_zone": before.time_zone })),
            after: Some(json!({ "time_zone": after.time_zone })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
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

/// The drift of one bound table, and the reason if a person rejected exactly this drift.
#[derive(Debug, Clone)]
pub struct DriftResult {
    /// The comparison.
    pub drift: Drift,
    /// Why this very drift (same fingerprint) was rejected; no ticket is opened for it.
    pub rejected_reason: Option<String>,
}

/// Compares every bound table of a resource with the real table. Each drifting table opens or
/// updates a metadata-drift ticket (deduplicated by resource and table), unless a person
/// rejected this very drift. An unreachable source opens a collection-failure ticket instead
/// and is reported as an error.
pub async fn check_drift(core: &Core, actor: &Actor, resource_id: i64) -> Result<Vec<DriftResult>> {
    actor.require(Operation::UseDataSources)?;
    let r = catalog::get(core, actor, resource_id).await?;
    let out = check_resource(core, &r).await;
    record_check(core, r.id, &out).await?;
    out
}

fn drift_dedup_key(r: &catalog_resource::Model, bound: &str) -> String {
    format!("drift:{}:{}", r.code, bound)
}

/// Opens, or adds an occurrence to, the one collection-failure ticket of an unreachable data
/// source (dedup key `unreachable:{code}`), whichever check (`source`) found it.
pub(crate) async fn report_unreachable(
    core: &Core,
    ds: &data_source::Model,
    source: &str,
    error: &str,
    department_id: Option<i64>,
    detail: serde_json::Value,
) -> Result<crate::entity::ticket::Model> {
    let (t, _) = report_finding(
        core,
        Finding {
            kind: TicketKind::CollectionFailure,
            source: source.to_owned(),
            dedup_key: format!("unreachable:{}", ds.code),
            title: format!("数据源不可达：{}", ds.name),
            description: error.to_owned(),
            severity: Severity::High,
            subject: Some(Subject {
                kind: "data_source".into(),
                id: ds.code.clone(),
            }),
            department_id,
            detail,
        },
    )
    .await?;
    Ok(t)
}

/// A data source by code; an unknown code is bad input on `field`.
pub(crate) async fn find_source(core: &Core, src: &str, field: &'static str) -> Result<data_source::Model> {
    data_source::Entity::find()
        .filter(data_source::Column::Code.eq(src))
        .one(&core.db)
        .await?
        .ok_or_else(|| Error::invalid(field, format!("数据源不存在：{src}")))
}

/// Compares one bound table (`source.table`) with the catalog's fields.
pub(crate) async fn compare_bound(
    core: &Core,
    fields: &[crate::catalog::model::FieldDraft],
    bound: &str,
) -> Result<Drift> {
    let (src, table) = bound
        .split_once('.')
        .ok_or_else(|| Error::invalid("table", "须为 数据源编码.表名"))?;
    let ds = find_source(core, src, "tables").await?;
    let db = match open(core, &ds).await {
        Ok((db, _)) => db,
        Err(e) => {
            report_unreachable(
                core,
                &ds,
                "schema_drift",
                &e.to_string(),
                None,
                json!({ "error": e.to_string() }),
            )
            .await?;
            return Err(Error::invalid("dataSource", e.to_string()));
        }
    };
    let actual = match introspect::describe(&db, table).await {
        Ok(t) => Some(t),
        Err(IntrospectError::NoSuchTable(_)) => None,
        Err(e) => {
            let _ = db.close().await;
            return Err(Error::invalid("tables", e.to_string()));
        }
    };
    let _ = db.close().await;
    Ok(drift::compare(bound, fields, actual.as_ref()))
}

async fn check_resource(core: &Core, r: &catalog_resource::Model) -> Result<Vec<DriftResult>> {
    let snap = catalog::snapshot(&core.db, r).await?;
    let mut out = Vec::new();
    for bound in &snap.resource.tables {
        if !bound.contains('.') {
            continue;
        }
        let d = compare_bound(core, &snap.fields, bound).await?;
        let mut rejected_reason = None;
        if !d.is_empty() {
            rejected_reason = drift_rejection::Entity::find()
                .filter(drift_rejection::Column::ResourceId.eq(r.id))
                .filter(drift_rejection::Column::BoundTable.eq(bound.as_str()))
                .filter(drift_rejection::Column::Fingerprint.eq(d.fingerprint()))
                .one(&core.db)
                .await?
                .map(|x| x.reason);
        }
        if !d.is_empty() && rejected_reason.is_none() {
            report_finding(
                core,
                Finding {
                    kind: TicketKind::MetadataDrift,
                    source: "schema_drift".into(),
                    dedup_key: drift_dedup_key(r, bound),
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
        out.push(DriftResult {
            drift: d,
            rejected_reason,
        });
    }
    Ok(out)
}

/// Stores the outcome of a check of `resource_id`.
async fn record_check(core: &Core, resource_id: i64, out: &Result<Vec<DriftResult>>) -> Result<()> {
    use sea_orm::sea_query::OnConflict;
    let (outcome, error) = match out {
        Ok(v) if v.iter().all(|d| d.drift.is_empty() || d.rejected_reason.is_some()) => ("clean", None),
        Ok(_) => ("drift", None),
        Err(e) => ("error", Some(e.user_message())),
    };
    drift_check::Entity::insert(drift_check::ActiveModel {
        resource_id: Set(resource_id),
        checked_at: Set(core.now()),
        outcome: Set(outcome.to_owned()),
        error: Set(error),
    })
    .on_conflict(
        OnConflict::column(drift_check::Column::ResourceId)
            .update_columns([
                drift_check::Column::CheckedAt,
                drift_check::Column::Outcome,
                drift_check::Column::Error,
            ])
            .to_owned(),
    )
    .exec_without_returning(&core.db)
    .await?;
    Ok(())
}

/// What one periodic drift scan did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DriftScanReport {
    /// Resources compared by this process in this scan.
    pub checked: usize,
    /// Of which with open (not rejected) drift.
    pub drifting: usize,
    /// Of which could not be compared (unreachable source, missing data source).
    pub errors: usize,
}

/// Compares every published resource not compared within `every` with its tables. Each
/// resource is claimed with a conditional write first, so several worker processes scanning
/// at once compare each resource once.
pub async fn scan_due(core: &Core, every: chrono::Duration) -> Result<DriftScanReport> {
    use sea_orm::sea_query::{Expr, OnConflict};
    let published = catalog_resource::Entity::find()
        .filter(catalog_resource::Column::Status.eq(crate::catalog::lifecycle::Status::Published.as_str()))
        .order_by_asc(catalog_resource::Column::Id)
        .all(&core.db)
        .await?;
    let mut report = DriftScanReport::default();
    for r in published {
        let now = core.now();
        let inserted = drift_check::Entity::insert(drift_check::ActiveModel {
            resource_id: Set(r.id),
            checked_at: Set(now),
            outcome: Set("running".to_owned()),
            error: Set(None),
        })
        .on_conflict(
            OnConflict::column(drift_check::Column::ResourceId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&core.db)
        .await?;
        let claimed = inserted == 1
            || drift_check::Entity::update_many()
                .col_expr(drift_check::Column::CheckedAt, Expr::value(now))
                .col_expr(drift_check::Column::Outcome, Expr::value("running"))
                .filter(drift_check::Column::ResourceId.eq(r.id))
                .filter(drift_check::Column::CheckedAt.lte(now - every))
                .exec(&core.db)
                .await?
                .rows_affected
                == 1;
        if !claimed {
            continue;
        }
        let out = check_resource(core, &r).await;
        record_check(core, r.id, &out).await?;
        report.checked += 1;
        match &out {
            Ok(v) if v.iter().any(|d| !d.drift.is_empty() && d.rejected_reason.is_none()) => report.drifting += 1,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(resource = %r.code, error = %e, "schema drift check failed");
                report.errors += 1;
            }
        }
    }
    Ok(report)
}

/// Rejects the current drift of a bound table: records why (so this very drift opens no
/// ticket again; a different drift still does) and closes the open drift ticket as invalid
/// with the same reason. Managers only.
pub async fn reject_drift(
    core: &Core,
    actor: &Actor,
    resource_id: i64,
    bound: &str,
    reason: &str,
) -> Result<DriftResult> {
    actor.require(Operation::ApproveCatalog)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(Error::invalid("reason", "驳回须填写原因（不超过 2000 字）"));
    }
    let r = catalog::get(core, actor, resource_id).await?;
    let snap = catalog::snapshot(&core.db, &r).await?;
    if !snap.resource.tables.iter().any(|t| t == bound) {
        return Err(Error::invalid("table", format!("资源未挂接表：{bound}")));
    }
    let d = compare_bound(core, &snap.fields, bound).await?;
    if d.is_empty() {
        return Err(Error::invalid("table", "该表与目录一致，没有可驳回的差异"));
    }
    let fingerprint = d.fingerprint();
    let exists = drift_rejection::Entity::find()
        .filter(drift_rejection::Column::ResourceId.eq(r.id))
        .filter(drift_rejection::Column::BoundTable.eq(bound))
        .filter(drift_rejection::Column::Fingerprint.eq(fingerprint.clone()))
        .one(&core.db)
        .await?;
    if exists.is_some() {
        return Err(Error::invalid("table", "该差异已被驳回"));
    }
    // The open drift ticket, closed as invalid with the reason (its own transaction, with
    // the ticket's version check), before the rejection is recorded.
    if let Some(t) = super::tickets::find_open_by_dedup_key(core, &drift_dedup_key(&r, bound)).await? {
        super::tickets::transition(
            core,
            actor,
            t.id,
            super::tickets::TransitionInput {
                event: Some(crate::workflow::Event::CloseInvalid),
                expected_version: t.version,
                reason: Some(reason.to_owned()),
                ..Default::default()
            },
        )
        .await?;
    }
    let now = core.now();
    let changes = serde_json::to_string(&d.changes).map_err(|e| Error::Internal(e.to_string()))?;
    let txn = core.begin().await?;
    drift_rejection::ActiveModel {
        resource_id: Set(r.id),
        bound_table: Set(bound.to_owned()),
        fingerprint: Set(fingerprint),
        changes: Set(changes),
        reason: Set(reason.to_owned()),
        actor_id: Set(actor.id),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "catalog.drift_reject",
            subject_type: "catalog_resource",
            subject_id: r.id.to_string(),
            before: None,
            after: Some(json!({ "table": bound, "changes": d.changes, "reason": reason })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(DriftResult {
        drift: d,
        rejected_reason: Some(reason.to_owned()),
    })
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
    let ds = find_source(core, src, "table").await?;
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
