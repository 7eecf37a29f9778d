//! Monthly reconciliations (月度专项对账) as stored and run: definitions, the monthly record of
//! each (reconciliation, month) with its differences, and the tickets they open.
//!
//! - Definitions are written by quality-rule managers ([`Operation::ManageQualityRules`]),
//!   checked when saved ([`Spec::validate`], the data sources must exist), each change in one
//!   transaction with its audit event and a version check. The code cannot change: it names the
//!   reconciliation's tickets.
//! - A month is run by hand ([`Operation::RunQuality`], months that are over only) or by the
//!   schedule ([`run_due`], the previous month from the 1st, Asia/Shanghai). Both sides are read
//!   first (outside any transaction of ours); then the month's record, its items and the audit
//!   event are written in one transaction.
//! - **One record per (reconciliation, month)**, unique in the database: a re-run replaces the
//!   record's figures and items atomically and counts `attempts`; earlier outcomes stay in the
//!   ticket's occurrences and the audit trail. The schedule claims a month by inserting its row
//!   (`running`) and skips a month that already has one, so several worker processes run each
//!   month once; a claim left `running` by a crashed process is taken over after
//!   [`RUN_LEASE_MINUTES`].
//! - Differences open one reconciliation-mismatch ticket per (reconciliation, month) (dedup key
//!   `recon:{code}:{month}`); while it is open a re-run adds an occurrence. An unreachable side
//!   (or a timeout) records the run as `error` and opens a collection-failure ticket for the data
//!   source (the same dedup key as the schema-drift scan's, `unreachable:{data source}`).

use chrono_tz::Tz;
use futures::future::join;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::datasource::{find_source, open};
use super::tickets::{self, Finding, Subject, report_finding};
use super::{Actor, Core, Page};
use crate::catalog::introspect::{self, IntrospectError, SourceKind};
use crate::entity::{data_source, department, reconciliation, reconciliation_item, reconciliation_run};
use crate::reconciliation::{
    self as recon, Category, Domain, Grouped, Item, Month, Outcome, STATEMENT_TIMEOUT, Side, SideData, SideName, Spec,
    key_text,
};
use crate::role::Operation;
use crate::workflow::{Severity, TicketKind};
use crate::{Error, Result};

/// Most items stored per record; the counts are always exact.
pub const MAX_STORED_ITEMS: usize = 10_000;

/// Items attached to a mismatch ticket's occurrence as evidence.
pub const EVIDENCE_ITEMS: usize = 20;

/// After this long a record still `running` is taken to belong to a crashed process.
pub const RUN_LEASE_MINUTES: i64 = 15;

/// A definition as entered.
#[derive(Debug, Clone)]
pub struct ReconciliationInput {
    /// Code, 1-64 of `[A-Za-z0-9_.-]`; fixed after creation.
    pub code: String,
    /// Name.
    pub name: String,
    /// Key domain.
    pub domain: Domain,
    /// Responsible department (its tickets go there).
    pub department_id: Option<i64>,
    /// Sides, measures and tolerances.
    pub spec: Spec,
}

/// Filters of the definition list.
#[derive(Debug, Clone, Default)]
pub struct ReconciliationFilter {
    /// Only enabled (true) or disabled (false) ones.
    pub enabled: Option<bool>,
    /// Only this domain.
    pub domain: Option<Domain>,
}

/// Filters of the run list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this reconciliation.
    pub reconciliation_id: Option<i64>,
    /// Only this month.
    pub month: Option<Month>,
    /// Only this status (`running`, `done`, `error`).
    pub status: Option<RunStatus>,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Claimed, in progress (or its process died; see [`RUN_LEASE_MINUTES`]).
    Running,
    /// Compared.
    Done,
    /// A side could not be read.
    Error,
}

impl RunStatus {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Error => "error",
        }
    }

    /// Parses the stored identifier.
    pub fn parse(s: &str) -> Result<RunStatus> {
        match s {
            "running" => Ok(RunStatus::Running),
            "done" => Ok(RunStatus::Done),
            "error" => Ok(RunStatus::Error),
            other => Err(Error::Internal(format!("unknown run status {other}"))),
        }
    }
}

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Schedule,
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
        }
    }
}

/// The stored definition's sides, measures and tolerances.
pub fn spec_of(m: &reconciliation::Model) -> Result<Spec> {
    serde_json::from_str(&m.spec).map_err(|e| Error::Internal(format!("reconciliation spec: {e}")))
}

/// The stored key of an item.
pub fn key_of(item: &reconciliation_item::Model) -> Vec<Option<String>> {
    serde_json::from_str(&item.key).unwrap_or_default()
}

fn dedup_key(code: &str, month: Month) -> String {
    format!("recon:{code}:{month}")
}

fn duplicate(e: sea_orm::DbErr) -> Error {
    if is_unique_violation(&e) {
        Error::Duplicate("reconciliation_code")
    } else {
        e.into()
    }
}

fn audit_json(m: &reconciliation::Model) -> serde_json::Value {
    json!({
        "code": m.code, "name": m.name, "domain": m.domain, "department_id": m.department_id,
        "enabled": m.enabled, "version": m.version,
        "spec": serde_json::from_str::<serde_json::Value>(&m.spec).unwrap_or_default(),
    })
}

/// Checks a definition; returns it normalised with the spec as stored JSON.
async fn check(core: &Core, input: ReconciliationInput) -> Result<(ReconciliationInput, String)> {
    let code = input.code.trim().to_owned();
    if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
        return Err(Error::invalid("code", "对账编码须为 1-64 位字母、数字、_、. 或 -"));
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "名称不能为空且不超过 100 字"));
    }
    if let Some(d) = input.department_id
        && department::Entity::find_by_id(d).one(&core.db).await?.is_none()
    {
        return Err(Error::invalid("departmentId", "部门不存在"));
    }
    let spec = input.spec.normalise();
    spec.check()?;
    for (field, side) in [("source.table", &spec.source), ("center.table", &spec.center)] {
        if let Some((src, _)) = side.split() {
            find_source(core, src, field).await?;
        }
    }
    let json = serde_json::to_string(&spec).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((
        ReconciliationInput {
            code,
            name,
            spec,
            ..input
        },
        json,
    ))
}

/// Creates a definition (version 1).
pub async fn create(
    core: &Core,
    actor: &Actor,
    input: ReconciliationInput,
    enabled: bool,
) -> Result<reconciliation::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let (input, spec) = check(core, input).await?;
    let now = core.now();
    let txn = core.begin().await?;
    let m = reconciliation::ActiveModel {
        code: Set(input.code),
        name: Set(input.name),
        domain: Set(input.domain.as_str().to_owned()),
        department_id: Set(input.department_id),
        enabled: Set(enabled),
        spec: Set(spec),
        version: Set(1),
        created_by: Set(actor.audit_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(duplicate)?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "reconciliation.create",
            subject_type: "reconciliation",
            subject_id: m.code.clone(),
            before: None,
            after: Some(audit_json(&m)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

super::versioned::impl_versioned!(reconciliation, "reconciliation", audit_json);

/// Writes a new version of the definition; see [`super::versioned::write_version`].
async fn write_version(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    action: &str,
    change: impl FnOnce(&reconciliation::Model) -> Result<reconciliation::ActiveModel>,
) -> Result<reconciliation::Model> {
    super::versioned::write_version::<reconciliation::Entity>(
        core,
        actor,
        id,
        expected_version,
        action,
        |_| true,
        change,
    )
    .await
}

/// Replaces a definition's name, domain, department and spec (a new version). The code cannot
/// change; a stale `expected_version` is a conflict; a refused definition changes nothing.
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    input: ReconciliationInput,
) -> Result<reconciliation::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let (input, spec) = check(core, input).await?;
    write_version(core, actor, id, expected_version, "reconciliation.update", |current| {
        if current.code != input.code {
            return Err(Error::invalid("code", "对账编码创建后不能修改"));
        }
        Ok(reconciliation::ActiveModel {
            name: Set(input.name),
            domain: Set(input.domain.as_str().to_owned()),
            department_id: Set(input.department_id),
            spec: Set(spec),
            ..Default::default()
        })
    })
    .await
}

/// Enables or disables a definition (the schedule runs enabled ones only; a person may still
/// run a disabled one by hand, e.g. to try it before enabling it).
pub async fn set_enabled(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    enabled: bool,
) -> Result<reconciliation::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let action = if enabled {
        "reconciliation.enable"
    } else {
        "reconciliation.disable"
    };
    write_version(core, actor, id, expected_version, action, |_| {
        Ok(reconciliation::ActiveModel {
            enabled: Set(enabled),
            ..Default::default()
        })
    })
    .await
}

/// One definition by id.
pub async fn get(core: &Core, actor: &Actor, id: i64) -> Result<reconciliation::Model> {
    actor.require(Operation::ViewQuality)?;
    reconciliation::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("reconciliation"))
}

/// One definition by code.
pub async fn get_by_code(core: &Core, actor: &Actor, code: &str) -> Result<reconciliation::Model> {
    actor.require(Operation::ViewQuality)?;
    reconciliation::Entity::find()
        .filter(reconciliation::Column::Code.eq(code.trim()))
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("reconciliation"))
}

/// Definitions by code.
pub async fn list(
    core: &Core,
    actor: &Actor,
    filter: &ReconciliationFilter,
    page: Page,
) -> Result<(Vec<reconciliation::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = reconciliation::Entity::find();
    if let Some(e) = filter.enabled {
        q = q.filter(reconciliation::Column::Enabled.eq(e));
    }
    if let Some(d) = filter.domain {
        q = q.filter(reconciliation::Column::Domain.eq(d.as_str()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(reconciliation::Column::Code)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// Monthly records, newest month first.
pub async fn runs(
    core: &Core,
    actor: &Actor,
    filter: &RunFilter,
    page: Page,
) -> Result<(Vec<reconciliation_run::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = reconciliation_run::Entity::find();
    if let Some(r) = filter.reconciliation_id {
        q = q.filter(reconciliation_run::Column::ReconciliationId.eq(r));
    }
    if let Some(m) = filter.month {
        q = q.filter(reconciliation_run::Column::Month.eq(m.to_string()));
    }
    if let Some(s) = filter.status {
        q = q.filter(reconciliation_run::Column::Status.eq(s.as_str()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(reconciliation_run::Column::Month)
        .order_by_asc(reconciliation_run::Column::ReconciliationId)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// One monthly record.
pub async fn get_run(core: &Core, actor: &Actor, id: i64) -> Result<reconciliation_run::Model> {
    actor.require(Operation::ViewQuality)?;
    reconciliation_run::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("reconciliation_run"))
}

/// The newest monthly record of a definition.
pub async fn latest_run(
    core: &Core,
    actor: &Actor,
    reconciliation_id: i64,
) -> Result<Option<reconciliation_run::Model>> {
    actor.require(Operation::ViewQuality)?;
    Ok(reconciliation_run::Entity::find()
        .filter(reconciliation_run::Column::ReconciliationId.eq(reconciliation_id))
        .order_by_desc(reconciliation_run::Column::Month)
        .one(&core.db)
        .await?)
}

/// A record's differences in the order found (keys missing from the center, from the source,
/// then differing values), optionally of one category.
pub async fn items(
    core: &Core,
    actor: &Actor,
    run_id: i64,
    category: Option<Category>,
    page: Page,
) -> Result<(Vec<reconciliation_item::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = reconciliation_item::Entity::find().filter(reconciliation_item::Column::RunId.eq(run_id));
    if let Some(c) = category {
        q = q.filter(reconciliation_item::Column::Category.eq(c.as_str()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(reconciliation_item::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// Runs a month by hand (months that are over only) and returns its record. Replaces the
/// month's earlier record.
#[tracing::instrument(skip(core, actor), fields(actor = actor.id))]
pub async fn run(core: &Core, actor: &Actor, id: i64, month: &str) -> Result<reconciliation_run::Model> {
    actor.require(Operation::RunQuality)?;
    let month = Month::parse(month)?;
    let now = core.now();
    if month.next().start() > now {
        return Err(Error::invalid(
            "month",
            format!("{month} 尚未结束，只能对已结束的月份对账"),
        ));
    }
    let def = get(core, actor, id).await?;
    // The row exists from now on, so that the schedule does not start the same month.
    let row = claim_row(core, def.id, month, Trigger::Manual, now).await?;
    let row = match row {
        Some(r) => r,
        None => find_row(core, def.id, month).await?,
    };
    execute(core, actor, &def, month, Trigger::Manual, row.id).await
}

/// Inserts the month's row as `running`; `None` if it exists already.
async fn claim_row(
    core: &Core,
    reconciliation_id: i64,
    month: Month,
    trigger: Trigger,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<reconciliation_run::Model>> {
    let inserted = reconciliation_run::Entity::insert(reconciliation_run::ActiveModel {
        reconciliation_id: Set(reconciliation_id),
        month: Set(month.to_string()),
        status: Set(RunStatus::Running.as_str().to_owned()),
        trigger: Set(trigger.as_str().to_owned()),
        run_by: Set(None),
        attempts: Set(0),
        definition_version: Set(0),
        source_keys: Set(0),
        center_keys: Set(0),
        common_keys: Set(0),
        source_only: Set(0),
        center_only: Set(0),
        mismatched_keys: Set(0),
        source_rows: Set(0),
        center_rows: Set(0),
        items_total: Set(0),
        items_stored: Set(0),
        error: Set(None),
        ticket_id: Set(None),
        started_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            reconciliation_run::Column::ReconciliationId,
            reconciliation_run::Column::Month,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&core.db)
    .await?;
    if inserted == 1 {
        Ok(Some(find_row(core, reconciliation_id, month).await?))
    } else {
        Ok(None)
    }
}

async fn find_row(core: &Core, reconciliation_id: i64, month: Month) -> Result<reconciliation_run::Model> {
    reconciliation_run::Entity::find()
        .filter(reconciliation_run::Column::ReconciliationId.eq(reconciliation_id))
        .filter(reconciliation_run::Column::Month.eq(month.to_string()))
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("reconciliation_run"))
}

/// Why a side could not be read.
struct SideFailure {
    message: String,
    /// Set when the data source was unreachable or timed out (a collection failure).
    unreachable: Option<data_source::Model>,
}

fn kind_of(db: &sea_orm::DatabaseConnection) -> Option<SourceKind> {
    match db.get_database_backend() {
        DbBackend::Postgres => Some(SourceKind::Postgres),
        DbBackend::MySql => Some(SourceKind::MySql),
        DbBackend::Sqlite => Some(SourceKind::Sqlite),
        _ => None,
    }
}

/// Reads one side's month.
async fn read_side(
    core: &Core,
    side: &Side,
    sums: Vec<String>,
    month: Month,
) -> std::result::Result<SideData, SideFailure> {
    let failed = |message: String| SideFailure {
        message,
        unreachable: None,
    };
    let (code, table) = side
        .split()
        .ok_or_else(|| failed(format!("表名无效：{}", side.table)))?;
    let ds = find_source(core, code, "table")
        .await
        .map_err(|e| failed(e.user_message()))?;
    let (db, _) = match open(core, &ds).await {
        Ok(c) => c,
        Err(e) => {
            return Err(SideFailure {
                message: e.to_string(),
                unreachable: Some(ds),
            });
        }
    };
    let result = async {
        let t = match introspect::describe(&db, table).await {
            Ok(t) => t,
            Err(e @ (IntrospectError::Unreachable(_) | IntrospectError::Timeout)) => {
                return Err(SideFailure {
                    message: e.to_string(),
                    unreachable: Some(ds.clone()),
                });
            }
            Err(e) => return Err(failed(e.to_string())),
        };
        let kind = kind_of(&db).ok_or_else(|| failed("不支持的数据库类型".to_owned()))?;
        let tz: Tz = ds.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        let q: Grouped =
            recon::grouped_query(kind, tz, &t, &side.keys, &side.month_column, &sums, month).map_err(failed)?;
        recon::fetch(&db, kind, tz, &q, STATEMENT_TIMEOUT).await.map_err(|e| {
            if e.timed_out {
                SideFailure {
                    message: e.message,
                    unreachable: Some(ds.clone()),
                }
            } else {
                failed(e.message)
            }
        })
    }
    .await;
    let _ = db.close().await;
    result
}

/// What a run found, before it is written.
enum Found {
    Compared(Outcome),
    Failed(String),
}

/// Runs one month of `def` and writes its record (row `run_id`, already claimed).
#[tracing::instrument(skip_all, fields(reconciliation = %def.code, %month, trigger = trigger.as_str()))]
async fn execute(
    core: &Core,
    actor: &Actor,
    def: &reconciliation::Model,
    month: Month,
    trigger: Trigger,
    run_id: i64,
) -> Result<reconciliation_run::Model> {
    let started_at = core.now();
    let spec = spec_of(def)?;
    let (source, center) = join(
        read_side(
            core,
            &spec.source,
            spec.measures.iter().map(|m| m.source_column.clone()).collect(),
            month,
        ),
        read_side(
            core,
            &spec.center,
            spec.measures.iter().map(|m| m.center_column.clone()).collect(),
            month,
        ),
    )
    .await;
    let (found, ticket_id) = match (source, center) {
        (Ok(s), Ok(c)) => {
            let outcome = recon::compare(&spec, &s, &c);
            let ticket = if outcome.has_differences() {
                Some(report_mismatch(core, def, month, run_id, &outcome).await?.id)
            } else {
                tickets::find_open_by_dedup_key(core, &dedup_key(&def.code, month))
                    .await?
                    .map(|t| t.id)
            };
            (Found::Compared(outcome), ticket)
        }
        (s, c) => {
            let mut messages = Vec::new();
            let mut ticket = None;
            for (name, r) in [(SideName::Source, s), (SideName::Center, c)] {
                if let Err(f) = r {
                    messages.push(format!("{}：{}", name.label(), f.message));
                    if let Some(ds) = &f.unreachable {
                        ticket = Some(report_unreachable(core, def, month, name, ds, &f.message).await?.id);
                    }
                }
            }
            tracing::warn!(reconciliation = %def.code, %month, errors = ?messages, "reconciliation side failed");
            (Found::Failed(messages.join("；")), ticket)
        }
    };
    finish(core, actor, def, month, trigger, run_id, started_at, found, ticket_id).await
}

/// Opens or adds an occurrence to the month's mismatch ticket.
async fn report_mismatch(
    core: &Core,
    def: &reconciliation::Model,
    month: Month,
    run_id: i64,
    o: &Outcome,
) -> Result<crate::entity::ticket::Model> {
    let evidence: Vec<serde_json::Value> = o
        .items
        .iter()
        .take(EVIDENCE_ITEMS)
        .map(|i| {
            json!({
                "key": i.key, "key_text": key_text(&i.key), "category": i.category.as_str(),
                "metric": i.metric, "source_value": i.source_value, "center_value": i.center_value,
            })
        })
        .collect();
    let (t, _) = report_finding(
        core,
        Finding {
            kind: TicketKind::ReconciliationMismatch,
            source: "reconciliation".into(),
            dedup_key: dedup_key(&def.code, month),
            title: format!("对账差异：{}（{month}）", def.name),
            description: format!(
                "{month} 对账：源系统 {} 个主键（{} 行），数据中心 {} 个主键（{} 行）；数据中心缺失 {} 个，源系统缺失 {} 个，数值不一致 {} 个。",
                o.source_keys, o.source_rows, o.center_keys, o.center_rows, o.source_only, o.center_only, o.mismatched_keys
            ),
            severity: Severity::Medium,
            subject: Some(Subject {
                kind: "reconciliation".into(),
                id: def.code.clone(),
            }),
            department_id: def.department_id,
            detail: json!({
                "reconciliation": def.code, "month": month.to_string(), "run_id": run_id,
                "counts": o, "items": evidence, "items_total": o.items.len(),
            }),
        },
    )
    .await?;
    Ok(t)
}

/// Opens or adds an occurrence to the data source's collection-failure ticket.
async fn report_unreachable(
    core: &Core,
    def: &reconciliation::Model,
    month: Month,
    side: SideName,
    ds: &data_source::Model,
    error: &str,
) -> Result<crate::entity::ticket::Model> {
    let detail = json!({
        "error": error, "reconciliation": def.code, "month": month.to_string(), "side": side.label(),
    });
    super::datasource::report_unreachable(core, ds, "reconciliation", error, def.department_id, detail).await
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Writes the month's record, its items and the audit event in one transaction.
async fn finish(
    core: &Core,
    actor: &Actor,
    def: &reconciliation::Model,
    month: Month,
    trigger: Trigger,
    run_id: i64,
    started_at: chrono::DateTime<chrono::Utc>,
    found: Found,
    ticket_id: Option<i64>,
) -> Result<reconciliation_run::Model> {
    let now = core.now();
    let (status, outcome, error) = match found {
        Found::Compared(o) => (RunStatus::Done, o, None),
        Found::Failed(e) => (RunStatus::Error, Outcome::default(), Some(e)),
    };
    let stored: &[Item] = outcome.items.get(..MAX_STORED_ITEMS).unwrap_or(&outcome.items);
    let txn = core.begin().await?;
    let c = |col: reconciliation_run::Column, v: i64| (col, Expr::value(v));
    let mut update = reconciliation_run::Entity::update_many()
        .col_expr(reconciliation_run::Column::Status, Expr::value(status.as_str()))
        .col_expr(reconciliation_run::Column::Trigger, Expr::value(trigger.as_str()))
        .col_expr(reconciliation_run::Column::RunBy, Expr::value(actor.audit_id()))
        .col_expr(
            reconciliation_run::Column::Attempts,
            Expr::col(reconciliation_run::Column::Attempts).add(1),
        )
        .col_expr(reconciliation_run::Column::DefinitionVersion, Expr::value(def.version))
        .col_expr(reconciliation_run::Column::Error, Expr::value(error.clone()))
        .col_expr(reconciliation_run::Column::TicketId, Expr::value(ticket_id))
        .col_expr(reconciliation_run::Column::StartedAt, Expr::value(started_at))
        .col_expr(reconciliation_run::Column::FinishedAt, Expr::value(Some(now)));
    for (col, v) in [
        c(reconciliation_run::Column::SourceKeys, count(outcome.source_keys)),
        c(reconciliation_run::Column::CenterKeys, count(outcome.center_keys)),
        c(reconciliation_run::Column::CommonKeys, count(outcome.common_keys)),
        c(reconciliation_run::Column::SourceOnly, count(outcome.source_only)),
        c(reconciliation_run::Column::CenterOnly, count(outcome.center_only)),
        c(
            reconciliation_run::Column::MismatchedKeys,
            count(outcome.mismatched_keys),
        ),
        c(reconciliation_run::Column::SourceRows, outcome.source_rows),
        c(reconciliation_run::Column::CenterRows, outcome.center_rows),
        c(
            reconciliation_run::Column::ItemsTotal,
            count(outcome.items.len() as u64),
        ),
        c(reconciliation_run::Column::ItemsStored, count(stored.len() as u64)),
    ] {
        update = update.col_expr(col, v);
    }
    update
        .filter(reconciliation_run::Column::Id.eq(run_id))
        .exec(&txn)
        .await?;
    reconciliation_item::Entity::delete_many()
        .filter(reconciliation_item::Column::RunId.eq(run_id))
        .exec(&txn)
        .await?;
    for chunk in stored.chunks(500) {
        let rows = chunk
            .iter()
            .map(|i| {
                Ok(reconciliation_item::ActiveModel {
                    run_id: Set(run_id),
                    category: Set(i.category.as_str().to_owned()),
                    key: Set(serde_json::to_string(&i.key).map_err(|e| Error::Internal(e.to_string()))?),
                    metric: Set(i.metric.clone()),
                    source_value: Set(i.source_value.clone()),
                    center_value: Set(i.center_value.clone()),
                    ..Default::default()
                })
            })
            .collect::<Result<Vec<_>>>()?;
        reconciliation_item::Entity::insert_many(rows).exec(&txn).await?;
    }
    let after = reconciliation_run::Entity::find_by_id(run_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("reconciliation_run"))?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "reconciliation.run",
            subject_type: "reconciliation",
            subject_id: def.code.clone(),
            before: None,
            after: Some(json!({
                "month": month.to_string(), "run_id": run_id, "trigger": trigger.as_str(),
                "status": status.as_str(), "attempts": after.attempts, "error": error,
                "definition_version": def.version,
                "counts": outcome, "ticket_id": ticket_id,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// What one scheduled pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleReport {
    /// The month reconciled (the previous one).
    pub month: Month,
    /// Reconciliations this process ran.
    pub ran: usize,
    /// Of which found differences.
    pub differing: usize,
    /// Of which could not read a side (or failed to be written).
    pub errors: usize,
}

/// Runs every enabled reconciliation for the previous month (Asia/Shanghai, by the injected
/// clock) that has no record for it yet. Each month is claimed by inserting its record first,
/// so several processes running this at once run each month once; a record left `running` for
/// [`RUN_LEASE_MINUTES`] is taken over.
pub async fn run_due(core: &Core) -> Result<ScheduleReport> {
    let now = core.now();
    let month = Month::containing(now).previous();
    let mut report = ScheduleReport {
        month,
        ran: 0,
        differing: 0,
        errors: 0,
    };
    let enabled = reconciliation::Entity::find()
        .filter(reconciliation::Column::Enabled.eq(true))
        .order_by_asc(reconciliation::Column::Id)
        .all(&core.db)
        .await?;
    if enabled.is_empty() {
        return Ok(report);
    }
    let done: Vec<i64> = reconciliation_run::Entity::find()
        .select_only()
        .column(reconciliation_run::Column::ReconciliationId)
        .filter(reconciliation_run::Column::Month.eq(month.to_string()))
        .filter(
            reconciliation_run::Column::Status
                .ne(RunStatus::Running.as_str())
                .or(reconciliation_run::Column::StartedAt.gt(now - chrono::Duration::minutes(RUN_LEASE_MINUTES))),
        )
        .into_tuple()
        .all(&core.db)
        .await?;
    for def in enabled.into_iter().filter(|d| !done.contains(&d.id)) {
        let now = core.now();
        let row = match claim_row(core, def.id, month, Trigger::Schedule, now).await? {
            Some(r) => r,
            None => {
                // Taken over only if its holder has been silent for the whole lease.
                let taken = reconciliation_run::Entity::update_many()
                    .col_expr(reconciliation_run::Column::StartedAt, Expr::value(now))
                    .filter(reconciliation_run::Column::ReconciliationId.eq(def.id))
                    .filter(reconciliation_run::Column::Month.eq(month.to_string()))
                    .filter(reconciliation_run::Column::Status.eq(RunStatus::Running.as_str()))
                    .filter(
                        reconciliation_run::Column::StartedAt.lte(now - chrono::Duration::minutes(RUN_LEASE_MINUTES)),
                    )
                    .exec(&core.db)
                    .await?;
                if taken.rows_affected != 1 {
                    continue;
                }
                tracing::warn!(reconciliation = %def.code, %month, "taking over a stale reconciliation run");
                find_row(core, def.id, month).await?
            }
        };
        report.ran += 1;
        match execute(core, &Actor::system(), &def, month, Trigger::Schedule, row.id).await {
            Ok(r) if r.status == RunStatus::Error.as_str() => report.errors += 1,
            Ok(r) if r.source_only + r.center_only + r.mismatched_keys > 0 => report.differing += 1,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(reconciliation = %def.code, %month, error = %e, "scheduled reconciliation failed");
                report.errors += 1;
            }
        }
    }
    Ok(report)
}
