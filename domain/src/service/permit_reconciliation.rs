//! Discharge-permit reconciliation (排污许可证对账) as stored and run: definitions, the record
//! of each run with its counts, items and XLSX difference list, and the tickets it opens.
//!
//! - Definitions are written by quality-rule managers ([`Operation::ManageQualityRules`]): the
//!   column mapping of each side, optionally a data-source table per side (`source.table`), the
//!   allowed permit identifier letters and the ticket routing (category → department and
//!   optional assignee). Each change is one transaction with its audit event and a version check.
//! - A run ([`Operation::RunQuality`]) compares uploaded files ([`run_files`]) or both sides'
//!   tables ([`run_datasets`]); the monthly schedule ([`run_due`]) runs every enabled definition
//!   with tables on both sides once per month (Asia/Shanghai), claiming the month by inserting
//!   its row (unique per definition and month), so several processes run each month once.
//! - **All or nothing on bad input**: a file that cannot be read, an unknown format or a mapped
//!   column missing from a side refuses the run with `invalid_input` (Chinese) before anything
//!   is written. Rows inside a readable file are never dropped: each bad row is an item with its
//!   row number and reason.
//! - The record, its items and the audit event are written in one transaction; the difference
//!   list is a workbook in the blob store (content-addressed, written first, so a failed
//!   transaction leaves at most an unreferenced blob).
//! - Every discrepancy opens (or recurs on) one ticket per permit and category (dedup key
//!   `permit:{number}:{category}`), subject the permit, kind reconciliation mismatch, routed by
//!   the definition's rules; at most [`MAX_TICKETS_PER_RUN`] per run (the record says how many).
//!   An unreachable source records the run as `error` and opens the source's collection-failure
//!   ticket.
//! - Expiry is judged on the run date in Asia/Shanghai, from the injected clock.

use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::datasource::{find_source, open};
use super::tickets::{self, Finding, Subject, TransitionInput, report_finding};
use super::{Actor, Core, Page};
use crate::catalog::introspect::{self, IntrospectError, SourceKind};
use crate::entity::{
    data_source, department, permit_reconciliation as def_e, permit_reconciliation_item as item_e,
    permit_reconciliation_run as run_e, user,
};
use crate::permit::file::{self, Format};
use crate::permit::{Category, Item, Mapping, Outcome, RawTable, Side, compare, report};
use crate::quality::run::{read_only, text_at};
use crate::reconciliation::{Month, STATEMENT_TIMEOUT};
use crate::role::Operation;
use crate::workflow::{Event, Severity, TicketKind};
use crate::{Error, Result};

/// Most items stored per record (the counts and the workbook are always complete).
pub const MAX_STORED_ITEMS: usize = 50_000;

/// Most tickets opened or recurred per run.
pub const MAX_TICKETS_PER_RUN: usize = 500;

/// Items attached to a ticket occurrence as evidence.
pub const EVIDENCE_ITEMS: usize = 20;

/// After this long a scheduled record still `running` is taken to belong to a crashed process.
pub const RUN_LEASE_MINUTES: i64 = 15;

/// One side of a definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideSpec {
    /// `source.table` to read for dataset runs (none: files only).
    #[serde(default)]
    pub table: Option<String>,
    /// Which column holds what.
    pub mapping: Mapping,
}

/// Where a category's tickets go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The category.
    pub category: Category,
    /// Department responsible.
    pub department_id: i64,
    /// Assignee of new tickets (an operator or manager), if any.
    #[serde(default)]
    pub assignee_id: Option<i64>,
}

/// A definition's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermitSpec {
    /// The city's returned data (市局回流).
    pub city: SideSpec,
    /// The national platform's export.
    pub national: SideSpec,
    /// Allowed identifier letters (HJ 608-2017 confirms `P` only).
    #[serde(default = "default_letters")]
    pub letters: Vec<char>,
    /// Department of categories without a route.
    #[serde(default)]
    pub department_id: Option<i64>,
    /// Routing by category (one per category at most).
    #[serde(default)]
    pub routes: Vec<Route>,
}

fn default_letters() -> Vec<char> {
    crate::ident::PermitNumber::DEFAULT_LETTERS.to_vec()
}

/// A definition as entered.
#[derive(Debug, Clone)]
pub struct DefinitionInput {
    /// Code, 1-64 of `[A-Za-z0-9_.-]`; fixed after creation.
    pub code: String,
    /// Name.
    pub name: String,
    /// Settings.
    pub spec: PermitSpec,
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// File name (its extension gives the format: .csv, .xlsx, .json).
    pub file_name: String,
    /// Content.
    pub bytes: Vec<u8>,
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

/// The stored spec of a definition.
pub fn spec_of(m: &def_e::Model) -> Result<PermitSpec> {
    serde_json::from_str(&m.spec).map_err(|e| Error::Internal(format!("permit reconciliation spec: {e}")))
}

/// A record's counts per category (every category present).
pub fn counts_of(r: &run_e::Model) -> BTreeMap<Category, i64> {
    let stored: BTreeMap<String, i64> = serde_json::from_str(&r.counts).unwrap_or_default();
    Category::ALL
        .iter()
        .map(|c| (*c, stored.get(c.as_str()).copied().unwrap_or(0)))
        .collect()
}

/// An item's row numbers (city, national).
pub fn rows_of(i: &item_e::Model) -> (Vec<u64>, Vec<u64>) {
    #[derive(Deserialize, Default)]
    struct Rows {
        #[serde(default)]
        city: Vec<u64>,
        #[serde(default)]
        national: Vec<u64>,
    }
    let r: Rows = serde_json::from_str(&i.rows).unwrap_or_default();
    (r.city, r.national)
}

/// The path of a record's difference list (served with the caller's bearer token).
pub fn download_path(run_id: i64) -> String {
    format!("/permit-reconciliation-runs/{run_id}/differences.xlsx")
}

fn audit_json(m: &def_e::Model) -> serde_json::Value {
    json!({
        "code": m.code, "name": m.name, "enabled": m.enabled, "version": m.version,
        "spec": serde_json::from_str::<serde_json::Value>(&m.spec).unwrap_or_default(),
    })
}

fn check_mapping(field: &str, m: &Mapping) -> Result<Mapping> {
    m.normalised().map_err(|msg| Error::invalid(field, msg))
}

/// Checks a definition; returns it normalised with the spec as stored JSON.
async fn check(core: &Core, input: DefinitionInput) -> Result<(DefinitionInput, String)> {
    let code = input.code.trim().to_owned();
    if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
        return Err(Error::invalid("code", "对账编码须为 1-64 位字母、数字、_、. 或 -"));
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "名称不能为空且不超过 100 字"));
    }
    let mut spec = input.spec;
    spec.city.mapping = check_mapping("city.mapping", &spec.city.mapping)?;
    spec.national.mapping = check_mapping("national.mapping", &spec.national.mapping)?;
    if !spec
        .city
        .mapping
        .fields
        .keys()
        .any(|f| spec.national.mapping.fields.contains_key(f))
    {
        return Err(Error::invalid("mapping", "两侧至少须映射一个相同的比对字段"));
    }
    spec.letters.sort_unstable();
    spec.letters.dedup();
    if spec.letters.is_empty() || !spec.letters.iter().all(char::is_ascii_uppercase) {
        return Err(Error::invalid("letters", "标识字母须为至少一个大写英文字母"));
    }
    for (field, side) in [("city.table", &mut spec.city), ("national.table", &mut spec.national)] {
        side.table = side
            .table
            .as_ref()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        if let Some(t) = &side.table {
            let (src, table) = t
                .split_once('.')
                .filter(|(s, t)| !s.is_empty() && !t.is_empty())
                .ok_or_else(|| Error::invalid(field, "须为 数据源编码.表名"))?;
            let _ = table;
            find_source(core, src, field).await?;
        }
    }
    let mut seen = std::collections::HashSet::new();
    for r in &spec.routes {
        if !seen.insert(r.category) {
            return Err(Error::invalid(
                "routes",
                format!("差异类别“{}”配置了多条分派规则", r.category.label()),
            ));
        }
    }
    let departments: Vec<i64> = spec
        .routes
        .iter()
        .map(|r| r.department_id)
        .chain(spec.department_id)
        .collect();
    for d in departments {
        if department::Entity::find_by_id(d).one(&core.db).await?.is_none() {
            return Err(Error::invalid("departmentId", format!("部门不存在：{d}")));
        }
    }
    for r in &spec.routes {
        if let Some(a) = r.assignee_id {
            let u = user::Entity::find_by_id(a)
                .one(&core.db)
                .await?
                .ok_or_else(|| Error::invalid("assigneeId", format!("用户不存在：{a}")))?;
            // The ticket workflow assigns operators and managers only.
            if !matches!(
                u.role.parse::<crate::role::Role>(),
                Ok(crate::role::Role::Operator | crate::role::Role::Manager)
            ) {
                return Err(Error::invalid(
                    "assigneeId",
                    format!("用户 {} 不能被指派工单（须为业务员或管理者）", u.username),
                ));
            }
        }
    }
    let json = serde_json::to_string(&spec).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((DefinitionInput { code, name, spec }, json))
}

fn duplicate(e: sea_orm::DbErr) -> Error {
    if is_unique_violation(&e) {
        Error::Duplicate("permit_reconciliation_code")
    } else {
        e.into()
    }
}

/// Creates a definition (version 1).
pub async fn create(core: &Core, actor: &Actor, input: DefinitionInput, enabled: bool) -> Result<def_e::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let (input, spec) = check(core, input).await?;
    let now = core.now();
    let txn = core.begin().await?;
    let m = def_e::ActiveModel {
        code: Set(input.code),
        name: Set(input.name),
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
            action: "permit_reconciliation.create",
            subject_type: "permit_reconciliation",
            subject_id: m.code.clone(),
            before: None,
            after: Some(audit_json(&m)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

super::versioned::impl_versioned!(def_e, "permit_reconciliation", audit_json);

/// Writes a new version of the definition; see [`super::versioned::write_version`].
async fn write_version(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    action: &str,
    change: impl FnOnce(&def_e::Model) -> Result<def_e::ActiveModel>,
) -> Result<def_e::Model> {
    super::versioned::write_version::<def_e::Entity>(core, actor, id, expected_version, action, |_| true, change).await
}

/// Replaces a definition's name and spec (a new version); the code cannot change.
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    input: DefinitionInput,
) -> Result<def_e::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let (input, spec) = check(core, input).await?;
    write_version(
        core,
        actor,
        id,
        expected_version,
        "permit_reconciliation.update",
        |current| {
            if current.code != input.code {
                return Err(Error::invalid("code", "对账编码创建后不能修改"));
            }
            Ok(def_e::ActiveModel {
                name: Set(input.name),
                spec: Set(spec),
                ..Default::default()
            })
        },
    )
    .await
}

/// Enables or disables a definition for the monthly schedule.
pub async fn set_enabled(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    enabled: bool,
) -> Result<def_e::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let action = if enabled {
        "permit_reconciliation.enable"
    } else {
        "permit_reconciliation.disable"
    };
    write_version(core, actor, id, expected_version, action, |_| {
        Ok(def_e::ActiveModel {
            enabled: Set(enabled),
            ..Default::default()
        })
    })
    .await
}

/// Deletes a definition and its records (tickets stay, with their occurrences).
pub async fn delete(core: &Core, actor: &Actor, id: i64, expected_version: i32) -> Result<()> {
    actor.require(Operation::ManageQualityRules)?;
    let txn = core.begin().await?;
    let current = def_e::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("permit_reconciliation"))?;
    if current.version != expected_version {
        return Err(Error::VersionConflict {
            current: current.version,
        });
    }
    let runs: Vec<i64> = run_e::Entity::find()
        .select_only()
        .column(run_e::Column::Id)
        .filter(run_e::Column::DefinitionId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    item_e::Entity::delete_many()
        .filter(item_e::Column::RunId.is_in(runs))
        .exec(&txn)
        .await?;
    run_e::Entity::delete_many()
        .filter(run_e::Column::DefinitionId.eq(id))
        .exec(&txn)
        .await?;
    def_e::Entity::delete_by_id(id).exec(&txn).await?;
    audit::append(
        &txn,
        actor,
        core.now(),
        Change {
            action: "permit_reconciliation.delete",
            subject_type: "permit_reconciliation",
            subject_id: current.code.clone(),
            before: Some(audit_json(&current)),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// One definition.
pub async fn get(core: &Core, actor: &Actor, id: i64) -> Result<def_e::Model> {
    actor.require(Operation::ViewQuality)?;
    def_e::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("permit_reconciliation"))
}

/// Definitions by code.
pub async fn list(core: &Core, actor: &Actor, page: Page) -> Result<(Vec<def_e::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let q = def_e::Entity::find();
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(def_e::Column::Code)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// Records, newest first.
pub async fn runs(
    core: &Core,
    actor: &Actor,
    definition_id: Option<i64>,
    page: Page,
) -> Result<(Vec<run_e::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = run_e::Entity::find();
    if let Some(d) = definition_id {
        q = q.filter(run_e::Column::DefinitionId.eq(d));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(run_e::Column::StartedAt)
        .order_by_desc(run_e::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// One record.
pub async fn get_run(core: &Core, actor: &Actor, id: i64) -> Result<run_e::Model> {
    actor.require(Operation::ViewQuality)?;
    run_e::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("permit_reconciliation_run"))
}

/// A record's items in list order, optionally of one category.
pub async fn items(
    core: &Core,
    actor: &Actor,
    run_id: i64,
    category: Option<Category>,
    page: Page,
) -> Result<(Vec<item_e::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = item_e::Entity::find().filter(item_e::Column::RunId.eq(run_id));
    if let Some(c) = category {
        q = q.filter(item_e::Column::Category.eq(c.as_str()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(item_e::Column::Seq)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// The difference list workbook of a record: (file name, bytes).
pub async fn difference_list(core: &Core, actor: &Actor, run_id: i64) -> Result<(String, Vec<u8>)> {
    let run = get_run(core, actor, run_id).await?;
    let sha = run.xlsx_sha256.ok_or(Error::NotFound("difference_list"))?;
    let def = def_e::Entity::find_by_id(run.definition_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("permit_reconciliation"))?;
    let bytes = core.blobs.get(&sha).await?;
    Ok((format!("排污许可证对账差异清单-{}-{}.xlsx", def.code, run.id), bytes))
}

fn read_upload(field: &'static str, u: &Upload) -> Result<RawTable> {
    let format = Format::of_file_name(&u.file_name)
        .ok_or_else(|| Error::invalid(field, format!("{}：仅支持 CSV、XLSX、JSON 文件", u.file_name)))?;
    if u.bytes.len() > crate::blob::MAX_BLOB_BYTES {
        return Err(Error::invalid(field, "文件超过 20 MiB 上限"));
    }
    file::read(format, &u.bytes).map_err(|m| Error::invalid(field, format!("{}：{m}", u.file_name)))
}

/// The run date (expiry is judged on it): today in Asia/Shanghai.
fn run_date(core: &Core) -> chrono::NaiveDate {
    core.now().with_timezone(&crate::time::DISPLAY_TZ).date_naive()
}

/// Compares two uploaded files and keeps the record. A file that cannot be read or lacks a
/// mapped column refuses the run and writes nothing.
#[tracing::instrument(skip(core, actor, city, national), fields(actor = actor.id))]
pub async fn run_files(core: &Core, actor: &Actor, id: i64, city: Upload, national: Upload) -> Result<run_e::Model> {
    actor.require(Operation::RunQuality)?;
    let def = get(core, actor, id).await?;
    let spec = spec_of(&def)?;
    let c = read_upload("cityFile", &city)?;
    let n = read_upload("nationalFile", &national)?;
    let today = run_date(core);
    let outcome = compare::reconcile(&c, &spec.city.mapping, &n, &spec.national.mapping, &spec.letters, today)
        .map_err(|m| Error::invalid("mapping", m))?;
    let started_at = core.now();
    record(
        core,
        actor,
        &def,
        &spec,
        Header {
            row_id: None,
            period: None,
            trigger: Trigger::Manual,
            input: "files",
            city_name: city.file_name,
            national_name: national.file_name,
            started_at,
        },
        Ok(outcome),
    )
    .await
}

/// Compares the two sides' tables and keeps the record. A definition without tables is refused;
/// a side that cannot be read is recorded as an `error` run.
#[tracing::instrument(skip(core, actor), fields(actor = actor.id))]
pub async fn run_datasets(core: &Core, actor: &Actor, id: i64) -> Result<run_e::Model> {
    actor.require(Operation::RunQuality)?;
    let def = get(core, actor, id).await?;
    let spec = spec_of(&def)?;
    let (Some(ct), Some(nt)) = (spec.city.table.clone(), spec.national.table.clone()) else {
        return Err(Error::invalid("id", "该对账未配置两侧的数据集，请上传文件对账"));
    };
    let started_at = core.now();
    let found = compare_tables(core, &def, &spec).await?;
    record(
        core,
        actor,
        &def,
        &spec,
        Header {
            row_id: None,
            period: None,
            trigger: Trigger::Manual,
            input: "datasets",
            city_name: ct,
            national_name: nt,
            started_at,
        },
        found,
    )
    .await
}

/// Reads both tables and compares them; `Err(message)` in the inner result when a side could
/// not be read (its unreachable source already reported) or a mapped column is missing.
async fn compare_tables(
    core: &Core,
    def: &def_e::Model,
    spec: &PermitSpec,
) -> Result<std::result::Result<Outcome, String>> {
    let today = run_date(core);
    let mut tables = Vec::new();
    let mut errors = Vec::new();
    for side in [Side::City, Side::National] {
        let s = match side {
            Side::City => &spec.city,
            Side::National => &spec.national,
        };
        match read_table(core, s).await {
            Ok(t) => tables.push(t),
            Err(f) => {
                if let Some(ds) = &f.unreachable {
                    let detail = json!({ "error": f.message, "permit_reconciliation": def.code, "side": side.label() });
                    super::datasource::report_unreachable(
                        core,
                        ds,
                        "permit_reconciliation",
                        &f.message,
                        spec.department_id,
                        detail,
                    )
                    .await?;
                }
                errors.push(format!("{}：{}", side.label(), f.message));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors.join("；")));
    }
    let (Some(c), Some(n)) = (tables.first(), tables.get(1)) else {
        return Ok(Err("数据集读取失败".into()));
    };
    Ok(compare::reconcile(
        c,
        &spec.city.mapping,
        n,
        &spec.national.mapping,
        &spec.letters,
        today,
    ))
}

/// Why a side could not be read.
struct SideFailure {
    message: String,
    unreachable: Option<data_source::Model>,
}

/// Reads the mapped columns of a side's table, as text, in the table's natural order (row
/// numbers are 1-based positions in that read).
async fn read_table(core: &Core, side: &SideSpec) -> std::result::Result<RawTable, SideFailure> {
    let failed = |message: String| SideFailure {
        message,
        unreachable: None,
    };
    let bound = side.table.as_deref().unwrap_or_default();
    let (code, table) = bound
        .split_once('.')
        .ok_or_else(|| failed(format!("表名无效：{bound}")))?;
    let ds = find_source(core, code, "table")
        .await
        .map_err(|e| failed(e.user_message()))?;
    let unreachable = |message: String, ds: &data_source::Model| SideFailure {
        message,
        unreachable: Some(ds.clone()),
    };
    let (db, _) = open(core, &ds).await.map_err(|e| unreachable(e.to_string(), &ds))?;
    let result = async {
        let t = match introspect::describe(&db, table).await {
            Ok(t) => t,
            Err(e @ (IntrospectError::Unreachable(_) | IntrospectError::Timeout)) => {
                return Err(unreachable(e.to_string(), &ds));
            }
            Err(e) => return Err(failed(e.to_string())),
        };
        let kind = SourceKind::of(&db).map_err(|e| failed(e.to_string()))?;
        let mut headers = vec![side.mapping.permit_number.clone()];
        headers.extend(side.mapping.fields.values().cloned());
        let mut select = Vec::new();
        for h in &headers {
            let col = t
                .columns
                .iter()
                .find(|c| &c.name == h)
                .ok_or_else(|| failed(format!("表 {bound} 缺少映射的列“{h}”")))?;
            let text = match kind {
                SourceKind::MySql => "CHAR",
                SourceKind::Postgres | SourceKind::Sqlite => "TEXT",
            };
            select.push(format!("CAST({} AS {text})", kind.quote(&col.name)));
        }
        let from = match &t.schema {
            Some(s) => format!("{}.{}", kind.quote(s), kind.quote(&t.name)),
            None => kind.quote(&t.name),
        };
        let sql = format!("SELECT {} FROM {from} LIMIT {}", select.join(", "), file::MAX_ROWS + 1);
        let tz = ds.time_zone.parse().ok();
        let rows = read_only(&db, kind, tz, &sql, Vec::new(), STATEMENT_TIMEOUT, "")
            .await
            .map_err(|m| {
                if m == crate::quality::run::TIMEOUT_MESSAGE {
                    unreachable(m, &ds)
                } else {
                    failed(m)
                }
            })?;
        if rows.len() > file::MAX_ROWS {
            return Err(failed(format!("表 {bound} 超过 {} 行上限", file::MAX_ROWS)));
        }
        Ok(RawTable {
            rows: rows
                .iter()
                .map(|r| (0..headers.len()).map(|i| text_at(r, i)).collect())
                .collect(),
            headers,
            first_row: 1,
        })
    }
    .await;
    let _ = db.close().await;
    result
}

/// What a record is about, besides its outcome.
struct Header {
    /// The claimed row (scheduled runs); `None`: insert a new one.
    row_id: Option<i64>,
    period: Option<String>,
    trigger: Trigger,
    input: &'static str,
    city_name: String,
    national_name: String,
    started_at: chrono::DateTime<chrono::Utc>,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Opens the tickets, writes the workbook, then the record, its items and the audit event in
/// one transaction.
async fn record(
    core: &Core,
    actor: &Actor,
    def: &def_e::Model,
    spec: &PermitSpec,
    h: Header,
    found: std::result::Result<Outcome, String>,
) -> Result<run_e::Model> {
    let now = core.now();
    let (status, outcome, error) = match found {
        Ok(o) => ("done", o, None),
        Err(e) => ("error", Outcome::default(), Some(e)),
    };
    let tickets = report_tickets(core, def, spec, &outcome).await?;
    let xlsx_sha256 = if status == "done" {
        let title = format!("排污许可证对账差异清单：{}", def.name);
        let at = crate::time::format_local(now);
        let bytes = report::workbook(&title, &at, &outcome, &outcome.items)
            .map_err(|e| Error::Internal(format!("difference list: {e}")))?;
        Some(core.blobs.put(&bytes).await?)
    } else {
        None
    };
    let counts: BTreeMap<&str, u64> = Category::ALL.iter().map(|c| (c.as_str(), outcome.count(*c))).collect();
    let stored: &[Item] = outcome.items.get(..MAX_STORED_ITEMS).unwrap_or(&outcome.items);
    let txn = core.begin().await?;
    let am = run_e::ActiveModel {
        definition_id: Set(def.id),
        period: Set(h.period.clone()),
        status: Set(status.to_owned()),
        trigger: Set(h.trigger.as_str().to_owned()),
        input: Set(h.input.to_owned()),
        run_by: Set(actor.audit_id()),
        definition_version: Set(def.version),
        run_date: Set(run_date(core).to_string()),
        city_name: Set(h.city_name.clone()),
        national_name: Set(h.national_name.clone()),
        city_rows: Set(count(outcome.city_rows)),
        national_rows: Set(count(outcome.national_rows)),
        matched: Set(count(outcome.matched)),
        counts: Set(serde_json::to_string(&counts).map_err(|e| Error::Internal(e.to_string()))?),
        items_total: Set(count(outcome.items.len() as u64)),
        items_stored: Set(count(stored.len() as u64)),
        tickets: Set(count(tickets as u64)),
        xlsx_sha256: Set(xlsx_sha256),
        error: Set(error.clone()),
        started_at: Set(h.started_at),
        finished_at: Set(Some(now)),
        ..Default::default()
    };
    let run = match h.row_id {
        Some(id) => {
            let mut am = am;
            am.id = Set(id);
            am.update(&txn).await?
        }
        None => am.insert(&txn).await?,
    };
    for (chunk_no, chunk) in stored.chunks(500).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let seq = chunk_no * 500 + i + 1;
                Ok(item_e::ActiveModel {
                    run_id: Set(run.id),
                    seq: Set(i32::try_from(seq).unwrap_or(i32::MAX)),
                    category: Set(it.category.as_str().to_owned()),
                    permit_number: Set(it.permit_number.clone()),
                    holder_name: Set(it.holder_name.clone()),
                    side: Set(it.side.map(|s| s.as_str().to_owned())),
                    field: Set(it.field.map(|f| f.as_str().to_owned())),
                    city_value: Set(it.city_value.clone()),
                    national_value: Set(it.national_value.clone()),
                    rows: Set(json!({ "city": it.city_rows, "national": it.national_rows }).to_string()),
                    message: Set(it.message.clone()),
                    ..Default::default()
                })
            })
            .collect::<Result<Vec<_>>>()?;
        item_e::Entity::insert_many(rows).exec(&txn).await?;
    }
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "permit_reconciliation.run",
            subject_type: "permit_reconciliation",
            subject_id: def.code.clone(),
            before: None,
            after: Some(json!({
                "run_id": run.id, "trigger": h.trigger.as_str(), "input": h.input, "period": h.period,
                "status": status, "error": error, "definition_version": def.version,
                "city": h.city_name, "national": h.national_name, "counts": counts,
                "tickets": tickets, "run_date": run.run_date,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(run)
}

/// The dedup key of a (permit, category) ticket; a malformed number without text is keyed by
/// its side and row.
fn dedup_key(item: &Item) -> String {
    let who = if item.permit_number.is_empty() {
        let row = item
            .city_rows
            .first()
            .or(item.national_rows.first())
            .copied()
            .unwrap_or(0);
        format!("{}-row{row}", item.side.map(Side::as_str).unwrap_or("both"))
    } else {
        item.permit_number.chars().take(100).collect()
    };
    format!("permit:{who}:{}", item.category.as_str())
}

/// One ticket (opened or recurring) per (permit, category) group, in list order.
async fn report_tickets(core: &Core, def: &def_e::Model, spec: &PermitSpec, o: &Outcome) -> Result<usize> {
    let mut groups: Vec<(String, Vec<&Item>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for item in &o.items {
        let key = dedup_key(item);
        match index.get(&key) {
            Some(&i) => {
                if let Some((_, g)) = groups.get_mut(i) {
                    g.push(item);
                }
            }
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![item]));
            }
        }
    }
    if groups.len() > MAX_TICKETS_PER_RUN {
        tracing::warn!(
            permit_reconciliation = %def.code,
            groups = groups.len(),
            max = MAX_TICKETS_PER_RUN,
            "more discrepancies than tickets per run; the rest are in the difference list only"
        );
    }
    let mut reported = 0;
    for (key, group) in groups.into_iter().take(MAX_TICKETS_PER_RUN) {
        let Some(first) = group.first() else { continue };
        let route = spec.routes.iter().find(|r| r.category == first.category);
        let department_id = route.map(|r| r.department_id).or(spec.department_id);
        let who = if first.permit_number.is_empty() {
            "（编号为空）".to_owned()
        } else {
            first.permit_number.chars().take(100).collect()
        };
        let name = first.holder_name.clone().unwrap_or_default();
        let title: String = format!("排污许可证{}：{who} {name}", first.category.label())
            .trim()
            .chars()
            .take(180)
            .collect();
        let description: String = group
            .iter()
            .map(|i| i.message.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .chars()
            .take(4000)
            .collect();
        let severity = match first.category {
            Category::Expired => Severity::High,
            _ => Severity::Medium,
        };
        let evidence: Vec<&Item> = group.iter().take(EVIDENCE_ITEMS).copied().collect();
        let (ticket, created) = report_finding(
            core,
            Finding {
                kind: TicketKind::ReconciliationMismatch,
                source: "permit_reconciliation".into(),
                dedup_key: key,
                title,
                description,
                severity,
                subject: Some(Subject {
                    kind: "permit".into(),
                    id: who,
                }),
                department_id,
                detail: json!({
                    "permit_reconciliation": def.code, "category": first.category.as_str(),
                    "items": evidence, "items_total": group.len(),
                }),
            },
        )
        .await?;
        reported += 1;
        if created && let Some(assignee) = route.and_then(|r| r.assignee_id) {
            let assigned = tickets::transition(
                core,
                &Actor::system(),
                ticket.id,
                TransitionInput {
                    event: Some(Event::Assign),
                    expected_version: ticket.version,
                    assignee_id: Some(assignee),
                    ..Default::default()
                },
            )
            .await;
            if let Err(e) = assigned {
                tracing::warn!(ticket = ticket.id, assignee, error = %e, "permit ticket could not be assigned by rule");
            }
        }
    }
    Ok(reported)
}

/// What one scheduled pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleReport {
    /// The month run (Asia/Shanghai).
    pub month: Month,
    /// Definitions this process ran.
    pub ran: usize,
    /// Of which could not read a side.
    pub errors: usize,
}

/// Runs every enabled definition with tables on both sides that has no record for the current
/// month (Asia/Shanghai, by the injected clock). Each month is claimed by inserting its row
/// first, so several processes running this at once run each (definition, month) once; a row
/// left `running` for [`RUN_LEASE_MINUTES`] is taken over.
pub async fn run_due(core: &Core) -> Result<ScheduleReport> {
    let now = core.now();
    let month = Month::containing(now);
    let period = month.to_string();
    let mut report = ScheduleReport {
        month,
        ran: 0,
        errors: 0,
    };
    let enabled = def_e::Entity::find()
        .filter(def_e::Column::Enabled.eq(true))
        .order_by_asc(def_e::Column::Id)
        .all(&core.db)
        .await?;
    for def in enabled {
        let spec = spec_of(&def)?;
        let (Some(ct), Some(nt)) = (spec.city.table.clone(), spec.national.table.clone()) else {
            continue;
        };
        let now = core.now();
        let inserted = run_e::Entity::insert(run_e::ActiveModel {
            definition_id: Set(def.id),
            period: Set(Some(period.clone())),
            status: Set("running".into()),
            trigger: Set(Trigger::Schedule.as_str().into()),
            input: Set("datasets".into()),
            run_by: Set(None),
            definition_version: Set(def.version),
            run_date: Set(run_date(core).to_string()),
            city_name: Set(ct.clone()),
            national_name: Set(nt.clone()),
            counts: Set("{}".into()),
            started_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([run_e::Column::DefinitionId, run_e::Column::Period])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&core.db)
        .await?;
        if inserted != 1 {
            // Taken over only if its holder has been silent for the whole lease.
            let taken = run_e::Entity::update_many()
                .col_expr(run_e::Column::StartedAt, sea_orm::sea_query::Expr::value(now))
                .filter(run_e::Column::DefinitionId.eq(def.id))
                .filter(run_e::Column::Period.eq(period.clone()))
                .filter(run_e::Column::Status.eq("running"))
                .filter(run_e::Column::StartedAt.lte(now - chrono::Duration::minutes(RUN_LEASE_MINUTES)))
                .exec(&core.db)
                .await?;
            if taken.rows_affected != 1 {
                continue;
            }
            tracing::warn!(permit_reconciliation = %def.code, %period, "taking over a stale permit reconciliation run");
        }
        let row = run_e::Entity::find()
            .filter(run_e::Column::DefinitionId.eq(def.id))
            .filter(run_e::Column::Period.eq(period.clone()))
            .one(&core.db)
            .await?
            .ok_or(Error::NotFound("permit_reconciliation_run"))?;
        report.ran += 1;
        let done = async {
            let found = compare_tables(core, &def, &spec).await?;
            record(
                core,
                &Actor::system(),
                &def,
                &spec,
                Header {
                    row_id: Some(row.id),
                    period: Some(period.clone()),
                    trigger: Trigger::Schedule,
                    input: "datasets",
                    city_name: ct,
                    national_name: nt,
                    started_at: now,
                },
                found,
            )
            .await
        }
        .await;
        match done {
            Ok(r) if r.status == "error" => report.errors += 1,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(permit_reconciliation = %def.code, %period, error = %e, "scheduled permit reconciliation failed");
                report.errors += 1;
            }
        }
    }
    Ok(report)
}
