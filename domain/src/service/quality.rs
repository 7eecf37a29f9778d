//! Data quality monitoring (常态化巡检): rules stored per catalog resource, runs pushed down to
//! the source database, per-rule results with masked samples, scores over time, and the
//! closed loop with tickets.
//!
//! - A failing rule opens one quality ticket per (resource, rule), deduplicated while open,
//!   with the samples and the failing-rows query as evidence. An unreachable source or a
//!   statement that errors or times out marks the run `error` and opens a collection-failure
//!   ticket instead.
//! - When the operator submits a rectification, the ticket's verification is reset; the rule is
//!   re-run (by the quality worker, or by hand with [`recheck`]) and the reviewer cannot approve
//!   until that re-run passed (workflow guard `RecheckPassed`).
//! - A low-severity rule may close its ticket by itself after N passing runs in a row (event
//!   `auto_close`, fired only by the system).
//! - Schedules are cron expressions in Asia/Shanghai, optionally restricted to working days; a
//!   worker claims a due schedule by moving `next_run_at` forward with a conditional write, so
//!   several workers run each occurrence once.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, ExprTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::tickets::{self, Finding, INSPECTION_SOURCE, Subject, TransitionInput, report_finding};
use super::{Actor, Core, Page, catalog, datasource};
use crate::catalog::introspect::SourceKind;
use crate::catalog::model::{FieldDraft, Grade};
use crate::entity::{
    catalog_resource, data_source, quality_result, quality_rule, quality_run, quality_schedule, ticket,
};
use crate::quality::compile::{CompileOptions, QualifiedTable, compile};
use crate::quality::rule::{ColumnInfo, Rule, RuleKind, Severity, Threshold};
use crate::quality::run::{RuleResult, STATEMENT_TIMEOUT, Status, execute_with_timeout};
use crate::role::Operation;
use crate::sensitivity::{MaskRule, Tag};
use crate::workflow::{self, Event, State, TicketKind};
use crate::{Error, Result};

/// Samples kept per failing rule.
pub const SAMPLE_LIMIT: u32 = 20;
/// Most rules per resource.
pub const MAX_RULES_PER_RESOURCE: u64 = 200;
/// A run still `running` after this long was interrupted (process killed): it is marked `error`.
pub const STALE_RUN_MINUTES: i64 = 60;
/// Time limit of one table's inspection (every statement also has its own limit).
pub const TABLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Input for a rule.
#[derive(Debug, Clone)]
pub struct RuleInput {
    /// Catalog resource.
    pub resource_id: i64,
    /// Unique within the resource (letters, digits, `_`, `-`, `.`); fixed once created.
    pub code: String,
    /// `data_source_code.table` among the resource's bound tables; None: its only one.
    pub bound_table: Option<String>,
    /// What is checked.
    pub kind: RuleKind,
    /// Severity of the tickets it opens.
    pub severity: Severity,
    /// Above this the rule warns (default: any failing row).
    pub warn: Option<Threshold>,
    /// Above this the rule fails (default: any failing row).
    pub fail: Option<Threshold>,
    /// Low severity only: close the open ticket after this many passing runs in a row.
    pub auto_close_after: Option<u32>,
    /// Whether it runs.
    pub enabled: bool,
}

/// A stored rule with its definition decoded.
#[derive(Debug, Clone)]
pub struct StoredRule {
    /// The row.
    pub row: quality_rule::Model,
    /// The definition.
    pub rule: Rule,
}

impl TryFrom<quality_rule::Model> for StoredRule {
    type Error = Error;
    fn try_from(row: quality_rule::Model) -> Result<Self> {
        let rule: Rule = serde_json::from_str(&row.definition).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(StoredRule { row, rule })
    }
}

fn code_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

fn ticket_severity(s: Severity) -> workflow::Severity {
    match s {
        Severity::Low => workflow::Severity::Low,
        Severity::Medium => workflow::Severity::Medium,
        Severity::High => workflow::Severity::High,
        Severity::Critical => workflow::Severity::Critical,
    }
}

fn kind_str(k: &RuleKind) -> &'static str {
    match k {
        RuleKind::Timeliness { .. } => "timeliness",
        RuleKind::Volume { .. } => "volume",
        RuleKind::Completeness { .. } => "completeness",
        RuleKind::Validity { .. } => "validity",
        RuleKind::Uniqueness { .. } => "uniqueness",
        RuleKind::Referential { .. } => "referential",
        RuleKind::Consistency { .. } => "consistency",
        RuleKind::CustomSql { .. } => "custom_sql",
        RuleKind::Schema => "schema",
    }
}

fn status_str(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Error => "error",
    }
}

/// How a field's sample values are shown: its sensitivity tag's rule, else hidden entirely for
/// core and important data, else in clear.
fn mask_for(f: &FieldDraft) -> Option<MaskRule> {
    f.tags
        .iter()
        .find_map(|t| Tag::parse(t))
        .map(Tag::default_mask)
        .or_else(|| matches!(f.grade, Some(Grade::Core | Grade::Important)).then_some(MaskRule::Full))
}

fn columns_of(fields: &[FieldDraft]) -> Vec<ColumnInfo> {
    fields
        .iter()
        .map(|f| ColumnInfo {
            name: f.name.clone(),
            data_type: f.data_type,
            mask: mask_for(f),
        })
        .collect()
}

/// The permission a rule of this kind needs to be written.
fn write_permission(kind: &RuleKind) -> Operation {
    match kind {
        RuleKind::CustomSql { .. } => Operation::ManageCustomSql,
        _ => Operation::ManageQualityRules,
    }
}

async fn resource(core: &Core, id: i64) -> Result<catalog_resource::Model> {
    catalog_resource::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("catalog_resource"))
}

/// Resolves and checks the bound table of a rule against the resource's tables.
fn resolve_table(tables: &[String], wanted: Option<&str>) -> Result<String> {
    match wanted.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) if tables.iter().any(|x| x == t) => Ok(t.to_owned()),
        Some(t) => Err(Error::invalid("boundTable", format!("资源未绑定数据表：{t}"))),
        None => match tables {
            [only] => Ok(only.clone()),
            // No table yet: the rule is kept and reports an error until one is bound.
            [] => Ok(String::new()),
            _ => Err(Error::invalid(
                "boundTable",
                "资源绑定了多张数据表，须指明规则检查哪一张",
            )),
        },
    }
}

fn build_rule(input: &RuleInput) -> Rule {
    Rule {
        id: input.code.trim().to_owned(),
        kind: input.kind.clone(),
        severity: input.severity,
        warn: input.warn.unwrap_or(Threshold::Count(0)),
        fail: input.fail.unwrap_or(Threshold::Count(0)),
    }
}

/// Validates a rule against its resource; returns the bound table.
async fn check_input(core: &Core, input: &RuleInput) -> Result<(catalog_resource::Model, String)> {
    if !code_ok(input.code.trim()) {
        return Err(Error::invalid("code", "规则编码须为 1-64 位字母、数字、_、- 或 ."));
    }
    if let Some(n) = input.auto_close_after {
        if input.severity != Severity::Low {
            return Err(Error::invalid("autoCloseAfter", "仅低严重程度的规则可自动关闭工单"));
        }
        if !(1..=100).contains(&n) {
            return Err(Error::invalid("autoCloseAfter", "连续通过次数须在 1 到 100 之间"));
        }
    }
    let r = resource(core, input.resource_id).await?;
    let snap = catalog::snapshot(&core.db, &r).await?;
    let table = resolve_table(&snap.resource.tables, input.bound_table.as_deref())?;
    build_rule(input).check(&columns_of(&snap.fields))?;
    Ok((r, table))
}

fn rule_json(row: &quality_rule::Model) -> serde_json::Value {
    json!({
        "resource_id": row.resource_id, "code": row.code, "bound_table": row.bound_table,
        "severity": row.severity, "definition": serde_json::from_str::<serde_json::Value>(&row.definition).unwrap_or_default(),
        "auto_close_after": row.auto_close_after, "enabled": row.enabled, "version": row.version,
    })
}

/// Creates a rule (managers; custom SQL: administrators), validated against the catalog.
pub async fn create_rule(core: &Core, actor: &Actor, input: RuleInput) -> Result<StoredRule> {
    actor.require(write_permission(&input.kind))?;
    let (r, table) = check_input(core, &input).await?;
    let now = core.now();
    let txn = core.begin().await?;
    let count = quality_rule::Entity::find()
        .filter(quality_rule::Column::ResourceId.eq(r.id))
        .count(&txn)
        .await?;
    if count >= MAX_RULES_PER_RESOURCE {
        return Err(Error::invalid(
            "resourceId",
            format!("每个资源至多 {MAX_RULES_PER_RESOURCE} 条规则"),
        ));
    }
    let rule = build_rule(&input);
    let row = quality_rule::ActiveModel {
        resource_id: Set(r.id),
        code: Set(rule.id.clone()),
        bound_table: Set(table),
        kind: Set(kind_str(&rule.kind).to_owned()),
        severity: Set(severity_str(rule.severity).to_owned()),
        definition: Set(serde_json::to_string(&rule).map_err(|e| Error::Internal(e.to_string()))?),
        auto_close_after: Set(input.auto_close_after.map(|n| n as i32)),
        enabled: Set(input.enabled),
        pass_streak: Set(0),
        last_status: Set(None),
        version: Set(1),
        created_by: Set(actor.audit_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Duplicate("quality_rule_code")
        } else {
            e.into()
        }
    })?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "quality_rule.create",
            subject_type: "quality_rule",
            subject_id: row.id.to_string(),
            before: None,
            after: Some(rule_json(&row)),
        },
    )
    .await?;
    txn.commit().await?;
    StoredRule::try_from(row)
}

/// Replaces a rule's definition (its code and resource stay); `expected_version` guards
/// against overwriting someone else's edit.
pub async fn update_rule(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    mut input: RuleInput,
) -> Result<StoredRule> {
    let before = quality_rule::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("quality_rule"))?;
    let old: StoredRule = before.clone().try_into()?;
    // Both the old and the new kind need the permission (an admin's custom query cannot be
    // turned into something else by a manager, nor the reverse).
    actor.require(write_permission(&old.rule.kind))?;
    actor.require(write_permission(&input.kind))?;
    input.resource_id = before.resource_id;
    input.code = before.code.clone();
    let (_, table) = check_input(core, &input).await?;
    if before.version != expected_version {
        return Err(Error::VersionConflict {
            current: before.version,
        });
    }
    let rule = build_rule(&input);
    let now = core.now();
    let txn = core.begin().await?;
    let mut am = before.clone().into_active_model();
    am.bound_table = Set(table);
    am.kind = Set(kind_str(&rule.kind).to_owned());
    am.severity = Set(severity_str(rule.severity).to_owned());
    am.definition = Set(serde_json::to_string(&rule).map_err(|e| Error::Internal(e.to_string()))?);
    am.auto_close_after = Set(input.auto_close_after.map(|n| n as i32));
    am.enabled = Set(input.enabled);
    am.pass_streak = Set(0);
    am.version = Set(before.version + 1);
    am.updated_at = Set(now);
    let updated = quality_rule::Entity::update_many()
        .set(am.clone())
        .filter(quality_rule::Column::Id.eq(id))
        .filter(quality_rule::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(Error::VersionConflict {
            current: before.version + 1,
        });
    }
    let after: quality_rule::Model = am.try_into_model()?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "quality_rule.update",
            subject_type: "quality_rule",
            subject_id: id.to_string(),
            before: Some(rule_json(&before)),
            after: Some(rule_json(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    StoredRule::try_from(after)
}

/// Enables or disables a rule (rules are never deleted: their results stay readable).
pub async fn set_rule_enabled(core: &Core, actor: &Actor, id: i64, enabled: bool) -> Result<StoredRule> {
    let before = quality_rule::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("quality_rule"))?;
    let old: StoredRule = before.clone().try_into()?;
    actor.require(write_permission(&old.rule.kind))?;
    if before.enabled == enabled {
        return Ok(old);
    }
    let now = core.now();
    let txn = core.begin().await?;
    let mut am = before.clone().into_active_model();
    am.enabled = Set(enabled);
    am.version = Set(before.version + 1);
    am.updated_at = Set(now);
    let after = am.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: if enabled {
                "quality_rule.enable"
            } else {
                "quality_rule.disable"
            },
            subject_type: "quality_rule",
            subject_id: id.to_string(),
            before: Some(rule_json(&before)),
            after: Some(rule_json(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    StoredRule::try_from(after)
}

/// The rules of a resource, in code order.
pub async fn list_rules(core: &Core, actor: &Actor, resource_id: i64) -> Result<Vec<StoredRule>> {
    actor.require(Operation::ViewQuality)?;
    quality_rule::Entity::find()
        .filter(quality_rule::Column::ResourceId.eq(resource_id))
        .order_by_asc(quality_rule::Column::Code)
        .all(&core.db)
        .await?
        .into_iter()
        .map(StoredRule::try_from)
        .collect()
}

/// One rule.
pub async fn get_rule(core: &Core, actor: &Actor, id: i64) -> Result<StoredRule> {
    actor.require(Operation::ViewQuality)?;
    quality_rule::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("quality_rule"))?
        .try_into()
}

// ---------------------------------------------------------------------------------------------
// Schedules

/// Input for a resource's schedule.
#[derive(Debug, Clone)]
pub struct ScheduleInput {
    /// Cron expression, 5 fields (`min hour day month weekday`) or 6 with seconds first,
    /// evaluated in Asia/Shanghai.
    pub cron: String,
    /// Skip occurrences on non-working days (weekends, holidays; make-up days count).
    pub working_days_only: bool,
    /// Inspect only rows newer than the last run's watermark.
    pub incremental: bool,
    /// The watermark column (required when incremental).
    pub watermark_column: Option<String>,
    /// Whether it runs.
    pub enabled: bool,
    /// First run (default: the cron's next occurrence).
    pub first_run_at: Option<DateTime<Utc>>,
}

fn parse_cron(expr: &str) -> Result<cron::Schedule> {
    let e = expr.split_whitespace().collect::<Vec<_>>();
    let full = match e.len() {
        5 => format!("0 {}", e.join(" ")),
        6 | 7 => e.join(" "),
        _ => {
            return Err(Error::invalid(
                "cron",
                "cron 表达式须为 5 段（分 时 日 月 周）或 6 段（秒 分 时 日 月 周）",
            ));
        }
    };
    cron::Schedule::from_str(&full).map_err(|e| Error::invalid("cron", format!("cron 表达式无效：{e}")))
}

/// The first occurrence strictly after `after` (on a working day if asked), within a year.
pub fn next_occurrence(
    cron: &str,
    after: DateTime<Utc>,
    working_days_only: bool,
    calendar: &crate::calendar::WorkCalendar,
) -> Result<Option<DateTime<Utc>>> {
    let schedule = parse_cron(cron)?;
    let tz = chrono_tz::Asia::Shanghai;
    let limit = after + Duration::days(366);
    for t in schedule.after(&after.with_timezone(&tz)).take(10_000) {
        let utc = t.with_timezone(&Utc);
        if utc > limit {
            break;
        }
        if !working_days_only || calendar.is_working_day(t.date_naive()) {
            return Ok(Some(utc));
        }
    }
    Ok(None)
}

/// Sets (or replaces) a resource's schedule.
pub async fn set_schedule(
    core: &Core,
    actor: &Actor,
    resource_id: i64,
    input: ScheduleInput,
) -> Result<quality_schedule::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let r = resource(core, resource_id).await?;
    let watermark_column = input
        .watermark_column
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if input.incremental {
        let Some(wm) = &watermark_column else {
            return Err(Error::invalid("watermarkColumn", "增量巡检须指定水位列"));
        };
        let snap = catalog::snapshot(&core.db, &r).await?;
        if !snap.fields.iter().any(|f| &f.name == wm) {
            return Err(Error::invalid("watermarkColumn", format!("未知的列：{wm}")));
        }
    }
    parse_cron(&input.cron)?;
    let now = core.now();
    let next = match input.first_run_at {
        Some(t) => Some(t),
        None => {
            let calendar = super::sla::rules(&core.db).await?.calendar;
            next_occurrence(&input.cron, now, input.working_days_only, &calendar)?
        }
    };
    if next.is_none() {
        return Err(Error::invalid("cron", "一年内没有符合条件的执行时间"));
    }
    let txn = core.begin().await?;
    let before = quality_schedule::Entity::find_by_id(resource_id).one(&txn).await?;
    let am = quality_schedule::ActiveModel {
        resource_id: Set(resource_id),
        cron: Set(input.cron.split_whitespace().collect::<Vec<_>>().join(" ")),
        working_days_only: Set(input.working_days_only),
        incremental: Set(input.incremental),
        watermark_column: Set(watermark_column),
        watermarks: Set(before
            .as_ref()
            .map_or_else(|| "{}".to_owned(), |b| b.watermarks.clone())),
        enabled: Set(input.enabled),
        next_run_at: Set(next),
        version: Set(before.as_ref().map_or(1, |b| b.version + 1)),
        updated_at: Set(now),
    };
    let after = if before.is_some() {
        am.update(&txn).await?
    } else {
        am.insert(&txn).await?
    };
    let view = |s: &quality_schedule::Model| {
        json!({
            "cron": s.cron, "working_days_only": s.working_days_only, "incremental": s.incremental,
            "watermark_column": s.watermark_column, "enabled": s.enabled, "next_run_at": s.next_run_at,
        })
    };
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "quality_schedule.set",
            subject_type: "catalog_resource",
            subject_id: resource_id.to_string(),
            before: before.as_ref().map(view),
            after: Some(view(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// A resource's schedule, if any.
pub async fn schedule(core: &Core, actor: &Actor, resource_id: i64) -> Result<Option<quality_schedule::Model>> {
    actor.require(Operation::ViewQuality)?;
    Ok(quality_schedule::Entity::find_by_id(resource_id).one(&core.db).await?)
}

// ---------------------------------------------------------------------------------------------
// Runs

/// Why a run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// By the schedule.
    Schedule,
    /// By a person.
    Manual,
    /// Re-check of a rectified ticket.
    Recheck,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::Recheck => "recheck",
        }
    }
}

/// Severity weight in the score.
fn weight(s: Severity) -> f64 {
    match s {
        Severity::Low => 1.0,
        Severity::Medium => 2.0,
        Severity::High => 3.0,
        Severity::Critical => 4.0,
    }
}

/// The score of a run: severity-weighted share of passing rules (a warning counts half),
/// 0-100, rounded to 0.1; None when no rule could be evaluated.
pub fn score(results: &[(Severity, Status)]) -> Option<f64> {
    let (mut got, mut total) = (0.0, 0.0);
    for (sev, st) in results {
        let w = weight(*sev);
        match st {
            Status::Pass => {
                got += w;
                total += w;
            }
            Status::Warn => {
                got += w / 2.0;
                total += w;
            }
            Status::Fail => total += w,
            Status::Error => {}
        }
    }
    (total > 0.0).then(|| (got * 1000.0 / total).round() / 10.0)
}

/// One rule's outcome in a run, with what it did to tickets.
struct Outcome {
    rule: StoredRule,
    result: RuleResult,
}

/// Splits `source.table` / `source.schema.table`.
fn split_bound(bound: &str) -> Option<(&str, Option<&str>, &str)> {
    let (src, rest) = bound.split_once('.')?;
    match rest.split_once('.') {
        Some((schema, table)) => Some((src, Some(schema), table)),
        None => Some((src, None, rest)),
    }
}

fn error_result(rule: &Rule, note: String) -> RuleResult {
    RuleResult {
        rule_id: rule.id.clone(),
        severity: rule.severity,
        checked: 0,
        failing: 0,
        percent: 0.0,
        status: Status::Error,
        samples: Vec::new(),
        failing_query: String::new(),
        failing_params: Vec::new(),
        note: Some(note),
    }
}

/// Runs the rules of one bound table; an unreachable source makes every rule an error.
async fn run_table(
    core: &Core,
    bound: &str,
    fields: &[FieldDraft],
    rules: &[StoredRule],
    schedule: Option<&quality_schedule::Model>,
    incremental: bool,
) -> (Vec<RuleResult>, Option<DateTime<Utc>>, Option<String>) {
    let all_error = |msg: String| {
        (
            rules.iter().map(|r| error_result(&r.rule, msg.clone())).collect(),
            None,
            Some(msg),
        )
    };
    let Some((src, schema, table)) = split_bound(bound) else {
        return all_error("资源未绑定数据表（须为 数据源编码.表名）".to_owned());
    };
    let ds = match datasource::find_source(core, src, "boundTable").await {
        Ok(ds) => ds,
        Err(e) => return all_error(e.user_message()),
    };
    let db = match datasource::open(core, &ds).await {
        Ok((db, _)) => db,
        Err(e) => {
            let msg = e.to_string();
            source_failure(core, &ds, &msg).await;
            return all_error(format!("数据源不可达：{msg}"));
        }
    };
    let dialect = match SourceKind::of(&db) {
        Ok(d) => d,
        Err(e) => return all_error(e.to_string()),
    };
    let tz: Tz = ds.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let calendar = match super::sla::rules(&core.db).await {
        Ok(r) => r.calendar,
        Err(e) => return all_error(e.user_message()),
    };
    let wm_column = schedule.and_then(|s| s.watermark_column.clone());
    let since = if incremental {
        schedule
            .and_then(|s| serde_json::from_str::<BTreeMap<String, DateTime<Utc>>>(&s.watermarks).ok())
            .and_then(|m| m.get(bound).copied())
    } else {
        None
    };
    let opts = CompileOptions {
        watermark_column: wm_column,
        since,
        now: core.now(),
        source_tz: tz,
        calendar,
    };
    let qt = QualifiedTable {
        schema: schema.map(str::to_owned),
        name: table.to_owned(),
        columns: columns_of(fields),
    };
    let defs: Vec<Rule> = rules
        .iter()
        .filter(|r| r.rule.kind != RuleKind::Schema)
        .map(|r| r.rule.clone())
        .collect();
    let plan = compile(&qt, &defs, dialect, &opts);
    let out = execute_with_timeout(&db, &plan, SAMPLE_LIMIT, STATEMENT_TIMEOUT).await;
    let _ = db.close().await;
    // Schema rules: the catalog compared with the real table, once for all of them.
    let mut schema = None;
    let mut sql_results = out.rules.into_iter();
    let mut results = Vec::with_capacity(rules.len());
    for r in rules {
        if r.rule.kind != RuleKind::Schema {
            results.push(
                sql_results
                    .next()
                    .unwrap_or_else(|| error_result(&r.rule, "规则未执行".into())),
            );
            continue;
        }
        if schema.is_none() {
            schema = Some(datasource::compare_bound(core, fields, bound).await);
        }
        results.push(match &schema {
            Some(Ok(d)) => schema_result(&r.rule, d, fields.len()),
            Some(Err(e)) => error_result(&r.rule, e.user_message()),
            None => error_result(&r.rule, "规则未执行".into()),
        });
    }
    let errors: Vec<String> = results
        .iter()
        .filter(|r| r.status == Status::Error)
        .map(|r| format!("{}：{}", r.rule_id, r.note.as_deref().unwrap_or("执行出错")))
        .collect();
    let error = (!errors.is_empty()).then(|| errors.join("；"));
    (results, out.watermark, error)
}

/// A schema rule's result: each difference between the catalog and the table is a failing
/// item out of the catalogued fields; the differences are the samples.
fn schema_result(rule: &Rule, drift: &crate::catalog::drift::Drift, fields: usize) -> RuleResult {
    let failing = drift.changes.len() as u64;
    let checked = fields as u64;
    let status = if rule.fail.exceeded(failing, checked) {
        Status::Fail
    } else if rule.warn.exceeded(failing, checked) {
        Status::Warn
    } else {
        Status::Pass
    };
    RuleResult {
        rule_id: rule.id.clone(),
        severity: rule.severity,
        checked,
        failing,
        percent: crate::quality::rule::percent(failing, checked),
        status,
        samples: drift
            .changes
            .iter()
            .take(SAMPLE_LIMIT as usize)
            .filter_map(|c| serde_json::to_value(c).ok())
            .collect(),
        failing_query: String::new(),
        failing_params: Vec::new(),
        note: (!drift.is_empty()).then(|| drift.summary_zh()),
    }
}

/// Opens (or adds to) the collection-failure ticket of an unreachable source.
async fn source_failure(core: &Core, ds: &data_source::Model, msg: &str) {
    let detail = json!({ "error": msg });
    if let Err(e) = datasource::report_unreachable(core, ds, "quality_inspection", msg, None, detail).await {
        tracing::warn!(error = %e, source = %ds.code, "could not record collection failure");
    }
}

/// Runs a resource's enabled rules (or the one given) and records the run, its results and
/// the tickets they open; returns the finished run.
pub async fn run_resource(
    core: &Core,
    resource_id: i64,
    trigger: Trigger,
    started_by: Option<i64>,
    only_rule: Option<i64>,
    ticket_id: Option<i64>,
    incremental: bool,
) -> Result<quality_run::Model> {
    let r = resource(core, resource_id).await?;
    let snap = catalog::snapshot(&core.db, &r).await?;
    let mut q = quality_rule::Entity::find().filter(quality_rule::Column::ResourceId.eq(r.id));
    q = match only_rule {
        Some(id) => q.filter(quality_rule::Column::Id.eq(id)),
        None => q.filter(quality_rule::Column::Enabled.eq(true)),
    };
    let rules = q
        .order_by_asc(quality_rule::Column::Code)
        .all(&core.db)
        .await?
        .into_iter()
        .map(StoredRule::try_from)
        .collect::<Result<Vec<_>>>()?;
    let schedule = quality_schedule::Entity::find_by_id(r.id).one(&core.db).await?;
    let incremental = incremental && schedule.as_ref().is_some_and(|s| s.watermark_column.is_some());
    let started_at = core.now();
    let run = quality_run::ActiveModel {
        resource_id: Set(r.id),
        trigger: Set(trigger.as_str().to_owned()),
        ticket_id: Set(ticket_id),
        incremental: Set(incremental),
        status: Set("running".into()),
        rules_total: Set(rules.len() as i32),
        passed: Set(0),
        warned: Set(0),
        failed: Set(0),
        errored: Set(0),
        score: Set(None),
        error: Set(None),
        started_by: Set(started_by),
        started_at: Set(started_at),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&core.db)
    .await?;

    // Group by bound table (a rule without one resolves to the resource's only table).
    let mut by_table: BTreeMap<String, Vec<StoredRule>> = BTreeMap::new();
    for rule in rules {
        let t = if rule.row.bound_table.is_empty() {
            match snap.resource.tables.as_slice() {
                [only] => only.clone(),
                _ => String::new(),
            }
        } else {
            rule.row.bound_table.clone()
        };
        by_table.entry(t).or_default().push(rule);
    }
    let mut outcomes = Vec::new();
    let mut errors = Vec::new();
    let mut watermarks = Vec::new();
    for (bound, rules) in by_table {
        let (results, wm, error) = match tokio::time::timeout(
            TABLE_TIMEOUT,
            run_table(core, &bound, &snap.fields, &rules, schedule.as_ref(), incremental),
        )
        .await
        {
            Ok(out) => out,
            Err(_) => {
                let msg = format!("巡检超时（超过 {} 分钟）", TABLE_TIMEOUT.as_secs() / 60);
                let results = rules.iter().map(|r| error_result(&r.rule, msg.clone())).collect();
                (results, None, Some(msg))
            }
        };
        if let Some(e) = error {
            errors.push(if bound.is_empty() { e } else { format!("{bound}：{e}") });
        }
        if let Some(w) = wm {
            watermarks.push((bound.clone(), w));
        }
        for (rule, result) in rules.into_iter().zip(results) {
            outcomes.push(Outcome { rule, result });
        }
    }

    // Tickets first (each finding commits on its own), so the results can name them.
    let mut ticket_of: Vec<Option<i64>> = vec![None; outcomes.len()];
    if trigger != Trigger::Recheck {
        for (i, o) in outcomes.iter().enumerate() {
            ticket_of[i] = match o.result.status {
                Status::Fail => Some(open_quality_ticket(core, &r, o, run.id).await?),
                Status::Pass => {
                    pass_streak_closes(core, &r, o).await?;
                    None
                }
                Status::Warn | Status::Error => None,
            };
        }
    }
    if !errors.is_empty() && trigger != Trigger::Recheck {
        let finding = Finding {
            kind: TicketKind::CollectionFailure,
            source: "quality_inspection".into(),
            dedup_key: format!("quality-error:{}", r.code),
            title: format!("质量巡检执行失败：{}", r.name),
            description: errors.join("\n"),
            severity: workflow::Severity::High,
            subject: Some(Subject {
                kind: "dataset".into(),
                id: r.code.clone(),
            }),
            department_id: None,
            detail: json!({ "run_id": run.id, "errors": errors }),
        };
        report_finding(core, finding).await?;
    }

    let finished = core.now();
    let count = |s: Status| outcomes.iter().filter(|o| o.result.status == s).count() as i32;
    let scored: Vec<(Severity, Status)> = outcomes
        .iter()
        .map(|o| (o.rule.rule.severity, o.result.status))
        .collect();
    let txn = core.begin().await?;
    for (o, ticket_id) in outcomes.iter().zip(&ticket_of) {
        let res = &o.result;
        quality_result::ActiveModel {
            run_id: Set(run.id),
            rule_id: Set(o.rule.row.id),
            rule_code: Set(o.rule.row.code.clone()),
            bound_table: Set(o.rule.row.bound_table.clone()),
            severity: Set(severity_str(res.severity).to_owned()),
            status: Set(status_str(res.status).to_owned()),
            checked: Set(i64::try_from(res.checked).unwrap_or(i64::MAX)),
            failing: Set(i64::try_from(res.failing).unwrap_or(i64::MAX)),
            percent: Set(res.percent),
            samples: Set(serde_json::to_string(&res.samples).unwrap_or_else(|_| "[]".into())),
            failing_query: Set(res.failing_query.clone()),
            failing_params: Set(serde_json::to_string(&res.failing_params).unwrap_or_else(|_| "[]".into())),
            note: Set(res.note.clone()),
            ticket_id: Set(*ticket_id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if trigger != Trigger::Recheck {
            let streak = if res.status == Status::Pass {
                Expr::col(quality_rule::Column::PassStreak).add(1)
            } else {
                Expr::value(0)
            };
            quality_rule::Entity::update_many()
                .col_expr(quality_rule::Column::PassStreak, streak)
                .col_expr(
                    quality_rule::Column::LastStatus,
                    Expr::value(status_str(res.status).to_owned()),
                )
                .filter(quality_rule::Column::Id.eq(o.rule.row.id))
                .exec(&txn)
                .await?;
        }
    }
    let mut am = run.clone().into_active_model();
    am.status = Set(if errors.is_empty() { "done" } else { "error" }.to_owned());
    am.passed = Set(count(Status::Pass));
    am.warned = Set(count(Status::Warn));
    am.failed = Set(count(Status::Fail));
    am.errored = Set(count(Status::Error));
    am.score = Set(score(&scored));
    am.error = Set((!errors.is_empty()).then(|| errors.join("\n")));
    am.finished_at = Set(Some(finished));
    let run = am.update(&txn).await?;
    if let (Some(s), false) = (&schedule, watermarks.is_empty()) {
        let mut map: BTreeMap<String, DateTime<Utc>> = serde_json::from_str(&s.watermarks).unwrap_or_default();
        for (b, w) in watermarks {
            map.insert(b, w);
        }
        quality_schedule::Entity::update_many()
            .col_expr(
                quality_schedule::Column::Watermarks,
                Expr::value(serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())),
            )
            .filter(quality_schedule::Column::ResourceId.eq(s.resource_id))
            .exec(&txn)
            .await?;
    }
    audit::append(
        &txn,
        &Actor::system(),
        finished,
        Change {
            action: "quality_run.finish",
            subject_type: "quality_run",
            subject_id: run.id.to_string(),
            before: None,
            after: Some(json!({
                "resource_id": run.resource_id, "trigger": run.trigger, "status": run.status,
                "passed": run.passed, "warned": run.warned, "failed": run.failed, "errored": run.errored,
                "score": run.score, "started_by": run.started_by, "ticket_id": run.ticket_id,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(run)
}

fn quality_dedup_key(r: &catalog_resource::Model, rule: &quality_rule::Model) -> String {
    format!("quality:{}:{}", r.code, rule.code)
}

async fn open_quality_ticket(core: &Core, r: &catalog_resource::Model, o: &Outcome, run_id: i64) -> Result<i64> {
    let res = &o.result;
    // The provider department answers for its data.
    let department_id = crate::entity::department::Entity::find()
        .filter(crate::entity::department::Column::Code.eq(r.department.clone()))
        .one(&core.db)
        .await?
        .map(|d| d.id);
    let mut description = format!(
        "规则 {}（{}）未通过：检查 {} 行，不合格 {} 行（{:.2}%）。\n数据表：{}\n列出全部不合格记录的查询：\n{}",
        o.rule.row.code,
        o.rule.row.kind,
        res.checked,
        res.failing,
        res.percent,
        o.rule.row.bound_table,
        res.failing_query,
    );
    if !res.failing_params.is_empty() {
        description.push_str(&format!(
            "\n参数：{}",
            serde_json::Value::from(res.failing_params.clone())
        ));
    }
    let (t, _) = report_finding(
        core,
        Finding {
            kind: TicketKind::QualityIssue,
            source: INSPECTION_SOURCE.into(),
            dedup_key: quality_dedup_key(r, &o.rule.row),
            title: format!("数据质量问题：{}（规则 {}）", r.name, o.rule.row.code),
            description,
            severity: ticket_severity(o.rule.rule.severity),
            subject: Some(Subject {
                kind: "rule".into(),
                id: o.rule.row.id.to_string(),
            }),
            department_id,
            detail: json!({
                "run_id": run_id, "resource": r.code, "rule": o.rule.row.code, "bound_table": o.rule.row.bound_table,
                "checked": res.checked, "failing": res.failing, "percent": res.percent,
                "samples": res.samples, "failing_query": res.failing_query, "failing_params": res.failing_params,
            }),
        },
    )
    .await?;
    Ok(t.id)
}

/// After a passing run of a low-severity rule with `auto_close_after`, closes its open ticket
/// once the streak (this run included) reaches the setting.
async fn pass_streak_closes(core: &Core, r: &catalog_resource::Model, o: &Outcome) -> Result<()> {
    let Some(n) = o.rule.row.auto_close_after else {
        return Ok(());
    };
    if o.rule.rule.severity != Severity::Low || o.rule.row.pass_streak + 1 < n {
        return Ok(());
    }
    let Some(t) = tickets::find_open_by_dedup_key(core, &quality_dedup_key(r, &o.rule.row)).await? else {
        return Ok(());
    };
    let state: State = t.state.parse()?;
    let kind: TicketKind = t.kind.parse()?;
    if kind.workflow().find(state, Event::AutoClose).is_none() {
        return Ok(());
    }
    tickets::transition(
        core,
        &Actor::system(),
        t.id,
        TransitionInput {
            event: Some(Event::AutoClose),
            expected_version: t.version,
            reason: Some(format!("规则 {} 已连续 {} 次巡检通过，自动关闭", o.rule.row.code, n)),
            ..Default::default()
        },
    )
    .await
    .map(|_| ())
    .or_else(|e| match e {
        // Someone moved the ticket meanwhile: the next passing run tries again.
        Error::VersionConflict { .. } | Error::TransitionNotAllowed { .. } => Ok(()),
        e => Err(e),
    })
}

/// Runs a resource's rules now (operators and managers).
pub async fn run_now(core: &Core, actor: &Actor, resource_id: i64, incremental: bool) -> Result<quality_run::Model> {
    actor.require(Operation::RunQuality)?;
    resource(core, resource_id).await?;
    run_resource(
        core,
        resource_id,
        Trigger::Manual,
        actor.audit_id(),
        None,
        None,
        incremental,
    )
    .await
}

/// Re-runs the rule of a rectified quality ticket and records the verdict on the ticket:
/// `passed` (pass or warn), `failed` or `error`. The reviewer's approval waits for `passed`.
pub async fn recheck(core: &Core, actor: &Actor, ticket_id: i64) -> Result<quality_run::Model> {
    actor.require(Operation::RunQuality)?;
    let t = tickets::get(core, actor, ticket_id).await?;
    if !tickets::recheckable(&t) {
        return Err(Error::invalid("ticketId", "该工单不是由质量规则发现的问题，无法复核"));
    }
    recheck_ticket(core, &t, actor.audit_id()).await
}

async fn recheck_ticket(core: &Core, t: &ticket::Model, started_by: Option<i64>) -> Result<quality_run::Model> {
    let rule_id: i64 = t
        .subject_id
        .as_deref()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::invalid("ticketId", "工单未关联规则"))?;
    let rule = quality_rule::Entity::find_by_id(rule_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("quality_rule"))?;
    let run = run_resource(
        core,
        rule.resource_id,
        Trigger::Recheck,
        started_by,
        Some(rule.id),
        Some(t.id),
        false,
    )
    .await?;
    let verdict = if run.errored > 0 || run.rules_total == 0 {
        "error"
    } else if run.failed > 0 {
        "failed"
    } else {
        "passed"
    };
    let now = core.now();
    let txn = core.begin().await?;
    // Only while the rectification is under review; bumps the version so a reviewer who read
    // the ticket before the verdict must look again.
    let updated = ticket::Entity::update_many()
        .col_expr(ticket::Column::Verification, Expr::value(verdict))
        .col_expr(ticket::Column::Version, Expr::col(ticket::Column::Version).add(1))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
        .filter(ticket::Column::Id.eq(t.id))
        .filter(ticket::Column::State.eq(State::PendingReview.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 1 {
        audit::append(
            &txn,
            &Actor::system(),
            now,
            Change {
                action: "ticket.recheck",
                subject_type: "ticket",
                subject_id: t.id.to_string(),
                before: Some(json!({ "verification": t.verification })),
                after: Some(json!({ "verification": verdict, "run_id": run.id })),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(run)
}

/// Re-checks rectified tickets that wait for it (claimed one by one; each runs once).
pub async fn recheck_pending(core: &Core) -> Result<usize> {
    let waiting = ticket::Entity::find()
        .filter(ticket::Column::State.eq(State::PendingReview.as_str()))
        .filter(ticket::Column::Source.eq(INSPECTION_SOURCE))
        .filter(ticket::Column::SubjectType.eq("rule"))
        .filter(ticket::Column::Verification.is_null())
        .limit(50)
        .all(&core.db)
        .await?;
    let mut done = 0;
    for t in waiting {
        let claimed = ticket::Entity::update_many()
            .col_expr(ticket::Column::Verification, Expr::value("running"))
            .filter(ticket::Column::Id.eq(t.id))
            .filter(ticket::Column::Verification.is_null())
            .filter(ticket::Column::State.eq(State::PendingReview.as_str()))
            .exec(&core.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        if let Err(e) = recheck_ticket(core, &t, None).await {
            tracing::warn!(ticket = t.id, error = %e, "re-check failed");
            ticket::Entity::update_many()
                .col_expr(ticket::Column::Verification, Expr::value("error"))
                .filter(ticket::Column::Id.eq(t.id))
                .filter(ticket::Column::Verification.eq("running"))
                .exec(&core.db)
                .await?;
        }
        done += 1;
    }
    Ok(done)
}

/// What one scheduler tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// Scheduled runs started by this process.
    pub runs: usize,
    /// Re-checks done by this process.
    pub rechecks: usize,
    /// Interrupted runs marked as errors.
    pub stale: usize,
}

/// One scheduler tick: due schedules (each claimed by moving `next_run_at`), pending re-checks,
/// and runs left `running` by a killed process (an interrupted re-check puts its ticket back
/// among the pending ones).
pub async fn scan_due(core: &Core) -> Result<ScanReport> {
    let now = core.now();
    let mut report = ScanReport::default();
    let cutoff = now - Duration::minutes(STALE_RUN_MINUTES);
    let stale_rechecks: Vec<i64> = quality_run::Entity::find()
        .select_only()
        .column(quality_run::Column::TicketId)
        .filter(quality_run::Column::Status.eq("running"))
        .filter(quality_run::Column::StartedAt.lt(cutoff))
        .filter(quality_run::Column::TicketId.is_not_null())
        .into_tuple::<Option<i64>>()
        .all(&core.db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let stale = quality_run::Entity::update_many()
        .col_expr(quality_run::Column::Status, Expr::value("error"))
        .col_expr(
            quality_run::Column::Error,
            Expr::value("运行中断（进程退出），结果不完整"),
        )
        .col_expr(quality_run::Column::FinishedAt, Expr::value(now))
        .filter(quality_run::Column::Status.eq("running"))
        .filter(quality_run::Column::StartedAt.lt(cutoff))
        .exec(&core.db)
        .await?;
    report.stale = stale.rows_affected as usize;
    if !stale_rechecks.is_empty() {
        // A re-check interrupted by a killed process left its ticket `running`: hand it back
        // to the queue of pending re-checks, unless another re-check of it is under way.
        let in_progress = Query::select()
            .column(quality_run::Column::TicketId)
            .from(quality_run::Entity)
            .and_where(Expr::col(quality_run::Column::Status).eq("running"))
            .and_where(Expr::col(quality_run::Column::TicketId).is_not_null())
            .to_owned();
        ticket::Entity::update_many()
            .col_expr(ticket::Column::Verification, Expr::value(Option::<String>::None))
            .filter(ticket::Column::Id.is_in(stale_rechecks))
            .filter(ticket::Column::Verification.eq("running"))
            .filter(Expr::col(ticket::Column::Id).not_in_subquery(in_progress))
            .exec(&core.db)
            .await?;
    }
    let due = quality_schedule::Entity::find()
        .filter(quality_schedule::Column::Enabled.eq(true))
        .filter(quality_schedule::Column::NextRunAt.lte(now))
        .all(&core.db)
        .await?;
    if !due.is_empty() {
        let calendar = super::sla::rules(&core.db).await?.calendar;
        for s in due {
            let next = next_occurrence(&s.cron, now, s.working_days_only, &calendar).unwrap_or(None);
            let claimed = quality_schedule::Entity::update_many()
                .col_expr(quality_schedule::Column::NextRunAt, Expr::value(next))
                .filter(quality_schedule::Column::ResourceId.eq(s.resource_id))
                .filter(quality_schedule::Column::NextRunAt.eq(s.next_run_at))
                .exec(&core.db)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            match run_resource(core, s.resource_id, Trigger::Schedule, None, None, None, s.incremental).await {
                Ok(run) => {
                    tracing::info!(resource = s.resource_id, run = run.id, status = %run.status, failed = run.failed, "scheduled quality run");
                    report.runs += 1;
                }
                Err(e) => tracing::warn!(resource = s.resource_id, error = %e, "scheduled quality run failed"),
            }
        }
    }
    report.rechecks = recheck_pending(core).await?;
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Reading runs, results, scores

/// Runs of a resource, newest first.
pub async fn runs(
    core: &Core,
    actor: &Actor,
    resource_id: i64,
    trigger: Option<&str>,
    page: Page,
) -> Result<(Vec<quality_run::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = quality_run::Entity::find().filter(quality_run::Column::ResourceId.eq(resource_id));
    if let Some(t) = trigger {
        q = q.filter(quality_run::Column::Trigger.eq(t));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(quality_run::Column::StartedAt)
        .order_by_desc(quality_run::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// One run.
pub async fn get_run(core: &Core, actor: &Actor, id: i64) -> Result<quality_run::Model> {
    actor.require(Operation::ViewQuality)?;
    quality_run::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("quality_run"))
}

/// Results of a run, in rule order.
pub async fn run_results(core: &Core, actor: &Actor, run_id: i64) -> Result<Vec<quality_result::Model>> {
    actor.require(Operation::ViewQuality)?;
    Ok(quality_result::Entity::find()
        .filter(quality_result::Column::RunId.eq(run_id))
        .order_by_asc(quality_result::Column::Id)
        .all(&core.db)
        .await?)
}

/// A rule's results, newest first (its history).
pub async fn rule_results(
    core: &Core,
    actor: &Actor,
    rule_id: i64,
    page: Page,
) -> Result<(Vec<quality_result::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let q = quality_result::Entity::find().filter(quality_result::Column::RuleId.eq(rule_id));
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(quality_result::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// The re-check runs of a ticket, newest first.
pub async fn ticket_rechecks(core: &Core, actor: &Actor, ticket_id: i64) -> Result<Vec<quality_run::Model>> {
    actor.require(Operation::ViewQuality)?;
    Ok(quality_run::Entity::find()
        .filter(quality_run::Column::TicketId.eq(ticket_id))
        .order_by_desc(quality_run::Column::Id)
        .all(&core.db)
        .await?)
}

/// The latest finished inspection (not a re-check) of each of `resource_ids`.
pub async fn latest_runs(core: &Core, resource_ids: &[i64]) -> Result<BTreeMap<i64, quality_run::Model>> {
    let mut out = BTreeMap::new();
    if resource_ids.is_empty() {
        return Ok(out);
    }
    // The newest finished inspection per resource is the one with the highest id.
    let latest_ids: Vec<i64> = quality_run::Entity::find()
        .select_only()
        .column_as(quality_run::Column::Id.max(), "id")
        .filter(quality_run::Column::ResourceId.is_in(resource_ids.to_vec()))
        .filter(quality_run::Column::Status.ne("running"))
        .filter(quality_run::Column::Trigger.ne("recheck"))
        .group_by(quality_run::Column::ResourceId)
        .into_tuple::<Option<i64>>()
        .all(&core.db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    for run in quality_run::Entity::find()
        .filter(quality_run::Column::Id.is_in(latest_ids))
        .all(&core.db)
        .await?
    {
        out.insert(run.resource_id, run);
    }
    Ok(out)
}

/// Granularity of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Per day (Asia/Shanghai).
    Day,
    /// Per month (Asia/Shanghai).
    Month,
}

/// One point of a score trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// `YYYY-MM-DD` or `YYYY-MM`.
    pub period: String,
    /// Finished inspections in the period.
    pub runs: u32,
    /// Mean score of the scored runs.
    pub average_score: Option<f64>,
    /// Lowest score.
    pub min_score: Option<f64>,
    /// Score of the last run in the period.
    pub last_score: Option<f64>,
    /// Failing rules summed over the runs.
    pub failed_rules: u32,
}

/// A resource's score over time: finished inspections (re-checks excluded) between `from`
/// and `to`, grouped by day or month in Asia/Shanghai.
pub async fn trend(
    core: &Core,
    actor: &Actor,
    resource_id: i64,
    granularity: Granularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TrendPoint>> {
    actor.require(Operation::ViewQuality)?;
    if to <= from || to - from > Duration::days(3 * 366) {
        return Err(Error::invalid("to", "时间范围须为正且不超过 3 年"));
    }
    let rows = quality_run::Entity::find()
        .filter(quality_run::Column::ResourceId.eq(resource_id))
        .filter(quality_run::Column::Status.ne("running"))
        .filter(quality_run::Column::Trigger.ne("recheck"))
        .filter(quality_run::Column::StartedAt.gte(from))
        .filter(quality_run::Column::StartedAt.lt(to))
        .order_by_asc(quality_run::Column::StartedAt)
        .order_by_asc(quality_run::Column::Id)
        .all(&core.db)
        .await?;
    let tz = chrono_tz::Asia::Shanghai;
    let mut points: Vec<TrendPoint> = Vec::new();
    let mut sums: Vec<(f64, u32)> = Vec::new();
    for run in rows {
        let local = run.started_at.with_timezone(&tz);
        let period = match granularity {
            Granularity::Day => local.format("%Y-%m-%d").to_string(),
            Granularity::Month => local.format("%Y-%m").to_string(),
        };
        if points.last().is_none_or(|p| p.period != period) {
            points.push(TrendPoint {
                period,
                runs: 0,
                average_score: None,
                min_score: None,
                last_score: None,
                failed_rules: 0,
            });
            sums.push((0.0, 0));
        }
        let (Some(p), Some(sum)) = (points.last_mut(), sums.last_mut()) else {
            continue;
        };
        p.runs += 1;
        p.failed_rules += u32::try_from(run.failed).unwrap_or(0);
        if let Some(s) = run.score {
            sum.0 += s;
            sum.1 += 1;
            p.min_score = Some(p.min_score.map_or(s, |m: f64| m.min(s)));
            p.average_score = Some((sum.0 * 10.0 / f64::from(sum.1)).round() / 10.0);
        }
        p.last_score = run.score;
    }
    Ok(points)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::calendar::WorkCalendar;

    #[test]
    fn score_weights_severity_and_counts_warnings_half() {
        assert_eq!(score(&[]), None);
        assert_eq!(score(&[(Severity::High, Status::Error)]), None);
        assert_eq!(score(&[(Severity::Low, Status::Pass)]), Some(100.0));
        // 1 pass (w1) + 1 fail (w3): 25
        assert_eq!(
            score(&[(Severity::Low, Status::Pass), (Severity::High, Status::Fail)]),
            Some(25.0)
        );
        // warn of w2 = 1 of 2, plus pass w2: 3/4
        assert_eq!(
            score(&[(Severity::Medium, Status::Warn), (Severity::Medium, Status::Pass)]),
            Some(75.0)
        );
    }

    #[test]
    fn cron_in_beijing_time_skipping_non_working_days() {
        let cal = WorkCalendar::with_builtin_holidays(chrono_tz::Asia::Shanghai);
        // "02:00 every day" from 2026-09-30 20:00 Beijing, across the National Day holiday.
        let after = Utc.with_ymd_and_hms(2026, 9, 30, 12, 0, 0).unwrap();
        let next = next_occurrence("0 2 * * *", after, false, &cal).unwrap().unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 9, 30, 18, 0, 0).unwrap()); // 10-01 02:00 CST
        let next = next_occurrence("0 2 * * *", after, true, &cal).unwrap().unwrap();
        // National Day 2026: 10-01..10-07 off, back to work on Thursday 10-08.
        assert_eq!(
            next.with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string(),
            "2026-10-08"
        );
        assert!(next_occurrence("61 * * * *", after, false, &cal).is_err());
        assert!(next_occurrence("* *", after, false, &cal).is_err());
        // Six fields with seconds.
        let next = next_occurrence("30 0 * * * *", after, false, &cal).unwrap().unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 9, 30, 12, 0, 30).unwrap());
    }

    #[test]
    fn bound_tables_split() {
        assert_eq!(split_bound("demo.air"), Some(("demo", None, "air")));
        assert_eq!(split_bound("pg.monitor.air"), Some(("pg", Some("monitor"), "air")));
        assert_eq!(split_bound("air"), None);
        assert_eq!(resolve_table(&["a.t".into()], None).unwrap(), "a.t".to_owned());
        assert!(resolve_table(&["a.t".into(), "a.u".into()], None).is_err());
        assert!(resolve_table(&["a.t".into()], Some("a.x")).is_err());
        assert_eq!(resolve_table(&[], None).unwrap(), "");
    }
}
