//! Data quality: rules, schedules, runs, results, score trends and re-checks.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use ecogov_domain::Error;
use ecogov_domain::entity::{quality_result, quality_run, quality_schedule};
use ecogov_domain::quality::rule::{RuleKind, Severity, Threshold};
use ecogov_domain::service::quality as svc;
use ecogov_domain::service::{Core, Page};

use crate::error::ApiError;
use crate::query::{actor, core, paginate, parse_id};

/// Severity of a quality rule (and of the tickets it opens).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum QualitySeverity {
    /// 低
    Low,
    /// 中
    Medium,
    /// 高
    High,
    /// 紧急
    Critical,
}

impl From<QualitySeverity> for Severity {
    fn from(s: QualitySeverity) -> Self {
        match s {
            QualitySeverity::Low => Severity::Low,
            QualitySeverity::Medium => Severity::Medium,
            QualitySeverity::High => Severity::High,
            QualitySeverity::Critical => Severity::Critical,
        }
    }
}

impl From<Severity> for QualitySeverity {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Low => QualitySeverity::Low,
            Severity::Medium => QualitySeverity::Medium,
            Severity::High => QualitySeverity::High,
            Severity::Critical => QualitySeverity::Critical,
        }
    }
}

/// A threshold: failing rows (`count`) or their percentage of checked rows (`percent`).
#[derive(SimpleObject, InputObject, Clone, Copy, Debug)]
#[graphql(input_name = "ThresholdInput")]
pub struct QualityThreshold {
    /// Most failing rows tolerated.
    pub count: Option<u64>,
    /// Highest failing percentage tolerated (0-100).
    pub percent: Option<f64>,
}

impl QualityThreshold {
    fn into_domain(self, field: &str) -> Result<Threshold, ApiError> {
        match (self.count, self.percent) {
            (Some(c), None) => Ok(Threshold::Count(c)),
            (None, Some(p)) => Ok(Threshold::Percent(p)),
            _ => Err(ApiError(Error::invalid(field, "须且只能给出 count 或 percent 之一"))),
        }
    }
}

impl From<Threshold> for QualityThreshold {
    fn from(t: Threshold) -> Self {
        match t {
            Threshold::Count(c) => QualityThreshold {
                count: Some(c),
                percent: None,
            },
            Threshold::Percent(p) => QualityThreshold {
                count: None,
                percent: Some(p),
            },
        }
    }
}

/// A quality rule.
pub struct QualityRule(pub svc::StoredRule);

#[Object]
impl QualityRule {
    async fn id(&self) -> ID {
        ID(self.0.row.id.to_string())
    }
    async fn resource_id(&self) -> ID {
        ID(self.0.row.resource_id.to_string())
    }
    /// Unique within the resource.
    async fn code(&self) -> &str {
        &self.0.row.code
    }
    /// `data_source_code.table` (empty: the resource's only bound table).
    async fn bound_table(&self) -> &str {
        &self.0.row.bound_table
    }
    /// `timeliness`, `volume`, `completeness`, `validity`, `uniqueness`, `referential`,
    /// `consistency` or `custom_sql`.
    async fn kind(&self) -> &str {
        &self.0.row.kind
    }
    /// What is checked, as given when saved (`{"kind": "...", ...}`).
    async fn check(&self) -> Json<serde_json::Value> {
        Json(serde_json::to_value(&self.0.rule.kind).unwrap_or_default())
    }
    async fn severity(&self) -> QualitySeverity {
        self.0.rule.severity.into()
    }
    /// Above this the rule warns.
    async fn warn(&self) -> QualityThreshold {
        self.0.rule.warn.into()
    }
    /// Above this the rule fails (and opens a ticket).
    async fn fail(&self) -> QualityThreshold {
        self.0.rule.fail.into()
    }
    /// Low severity: the open ticket closes after this many passing runs in a row.
    async fn auto_close_after(&self) -> Option<i32> {
        self.0.row.auto_close_after
    }
    async fn enabled(&self) -> bool {
        self.0.row.enabled
    }
    /// Passing runs in a row.
    async fn pass_streak(&self) -> i32 {
        self.0.row.pass_streak
    }
    /// `pass`, `warn`, `fail` or `error` in the latest run.
    async fn last_status(&self) -> Option<&str> {
        self.0.row.last_status.as_deref()
    }
    async fn version(&self) -> i32 {
        self.0.row.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.row.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.row.updated_at
    }
    /// This rule's results, newest first.
    #[graphql(complexity = "first.unwrap_or(50) as usize * child_complexity + 5")]
    async fn results(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, QualityResult, EmptyFields, EmptyFields>> {
        let (a, c, id) = (actor(ctx)?.clone(), core(ctx)?.clone(), self.0.row.id);
        paginate(after, before, first, last, |page: Page| async move {
            let (rows, total) = svc::rule_results(&c, &a, id, page).await?;
            Ok((rows.into_iter().map(QualityResult).collect(), total))
        })
        .await
    }
}

/// Input for a quality rule.
#[derive(InputObject)]
pub struct QualityRuleInput {
    /// Catalog resource (ignored on update).
    pub resource_id: ID,
    /// Unique within the resource (ignored on update).
    pub code: String,
    /// `data_source_code.table` among the resource's tables; omitted: its only one.
    pub bound_table: Option<String>,
    /// Severity of the tickets it opens.
    pub severity: QualitySeverity,
    /// What is checked, e.g. `{kind: "completeness", column: "pm25"}`,
    /// `{kind: "validity", column: "pm25", check: "range", min: 0, max: 1000}`,
    /// `{kind: "uniqueness", columns: ["station_code", "observed_at"]}`,
    /// `{kind: "custom_sql", sql: "SELECT ... WHERE x > :limit", params: {limit: 5}}`.
    pub check: Json<serde_json::Value>,
    /// Default: any failing row warns.
    pub warn: Option<QualityThreshold>,
    /// Default: any failing row fails.
    pub fail: Option<QualityThreshold>,
    /// Low severity only: close the open ticket after this many passing runs in a row.
    pub auto_close_after: Option<u32>,
    /// Default true.
    #[graphql(default = true)]
    pub enabled: bool,
}

impl QualityRuleInput {
    fn into_domain(self) -> Result<svc::RuleInput, ApiError> {
        let kind: RuleKind = serde_json::from_value(self.check.0)
            .map_err(|e| ApiError(Error::invalid("check", format!("规则定义无效：{e}"))))?;
        Ok(svc::RuleInput {
            resource_id: parse_id("resourceId", &self.resource_id)?,
            code: self.code,
            bound_table: self.bound_table,
            kind,
            severity: self.severity.into(),
            warn: self.warn.map(|t| t.into_domain("warn")).transpose()?,
            fail: self.fail.map(|t| t.into_domain("fail")).transpose()?,
            auto_close_after: self.auto_close_after,
            enabled: self.enabled,
        })
    }
}

/// When a resource's rules run.
#[derive(SimpleObject)]
pub struct QualitySchedule {
    /// Cron expression (Asia/Shanghai).
    pub cron: String,
    /// Only on working days.
    pub working_days_only: bool,
    /// Only rows newer than the last watermark.
    pub incremental: bool,
    /// The watermark column.
    pub watermark_column: Option<String>,
    /// Whether it runs.
    pub enabled: bool,
    /// The next run.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i32,
}

impl From<quality_schedule::Model> for QualitySchedule {
    fn from(m: quality_schedule::Model) -> Self {
        QualitySchedule {
            cron: m.cron,
            working_days_only: m.working_days_only,
            incremental: m.incremental,
            watermark_column: m.watermark_column,
            enabled: m.enabled,
            next_run_at: m.next_run_at,
            version: m.version,
        }
    }
}

/// Input for a schedule.
#[derive(InputObject)]
pub struct QualityScheduleInput {
    /// Cron expression: 5 fields (`min hour day month weekday`) or 6 (seconds first), in
    /// Asia/Shanghai, e.g. `0 2 * * *` for 02:00 every day.
    pub cron: String,
    /// Skip weekends and holidays (make-up working days count).
    #[graphql(default)]
    pub working_days_only: bool,
    /// Only rows newer than the last run's watermark.
    #[graphql(default)]
    pub incremental: bool,
    /// The watermark column (required when incremental).
    pub watermark_column: Option<String>,
    /// Default true.
    #[graphql(default = true)]
    pub enabled: bool,
    /// First run (default: the cron's next occurrence).
    pub first_run_at: Option<DateTime<Utc>>,
}

/// One inspection of a resource.
pub struct QualityRun(pub quality_run::Model);

#[Object]
impl QualityRun {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn resource_id(&self) -> ID {
        ID(self.0.resource_id.to_string())
    }
    /// `schedule`, `manual` or `recheck`.
    async fn trigger(&self) -> &str {
        &self.0.trigger
    }
    /// The re-checked ticket.
    async fn ticket_id(&self) -> Option<ID> {
        self.0.ticket_id.map(|i| ID(i.to_string()))
    }
    async fn incremental(&self) -> bool {
        self.0.incremental
    }
    /// `running`, `done` or `error`.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn rules_total(&self) -> i32 {
        self.0.rules_total
    }
    async fn passed(&self) -> i32 {
        self.0.passed
    }
    async fn warned(&self) -> i32 {
        self.0.warned
    }
    async fn failed(&self) -> i32 {
        self.0.failed
    }
    async fn errored(&self) -> i32 {
        self.0.errored
    }
    /// 0-100, severity-weighted share of passing rules (a warning counts half).
    async fn score(&self) -> Option<f64> {
        self.0.score
    }
    /// Why the run is an error.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Per-rule results.
    #[graphql(complexity = 20)]
    async fn results(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<QualityResult>> {
        Ok(svc::run_results(core(ctx)?, actor(ctx)?, self.0.id)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(QualityResult)
            .collect())
    }
}

/// One rule's outcome in one run.
pub struct QualityResult(pub quality_result::Model);

#[Object]
impl QualityResult {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn run_id(&self) -> ID {
        ID(self.0.run_id.to_string())
    }
    async fn rule_id(&self) -> ID {
        ID(self.0.rule_id.to_string())
    }
    async fn rule_code(&self) -> &str {
        &self.0.rule_code
    }
    async fn bound_table(&self) -> &str {
        &self.0.bound_table
    }
    async fn severity(&self) -> &str {
        &self.0.severity
    }
    /// `pass`, `warn`, `fail` or `error`.
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// Rows (or checks) inspected.
    async fn checked(&self) -> i64 {
        self.0.checked
    }
    /// Failing rows (duplicates: rows beyond the first of each key).
    async fn failing(&self) -> i64 {
        self.0.failing
    }
    async fn percent(&self) -> f64 {
        self.0.percent
    }
    /// Up to 20 failing rows, masked by the fields' sensitivity.
    async fn samples(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.samples).unwrap_or_default())
    }
    /// The query that lists every failing row in the source (溯源).
    async fn failing_query(&self) -> &str {
        &self.0.failing_query
    }
    /// Values bound to the query's placeholders.
    async fn failing_params(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.failing_params).unwrap_or_default())
    }
    /// Why the rule could not be evaluated, or a note on the query.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The quality ticket this result opened or added to.
    async fn ticket_id(&self) -> Option<ID> {
        self.0.ticket_id.map(|i| ID(i.to_string()))
    }
}

/// Day or month.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum TrendGranularity {
    /// Per day (Asia/Shanghai).
    Day,
    /// Per month (Asia/Shanghai).
    Month,
}

/// One point of a quality score trend.
#[derive(SimpleObject)]
pub struct QualityTrendPoint {
    /// `YYYY-MM-DD` or `YYYY-MM`.
    pub period: String,
    /// Inspections in the period.
    pub runs: u32,
    /// Mean score.
    pub average_score: Option<f64>,
    /// Lowest score.
    pub min_score: Option<f64>,
    /// Score of the last run.
    pub last_score: Option<f64>,
    /// Failing rules summed over the runs.
    pub failed_rules: u32,
}

/// The latest inspection of each resource (a page of catalog resources with their status
/// costs one query).
pub struct LatestRunLoader(pub Core);

impl Loader<i64> for LatestRunLoader {
    type Value = quality_run::Model;
    type Error = Arc<Error>;
    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(svc::latest_runs(&self.0, keys)
            .await
            .map_err(Arc::new)?
            .into_iter()
            .collect())
    }
}

/// Quality queries (administrators, managers, operators, auditors).
#[derive(Default)]
pub struct QualityQuery;

#[Object]
impl QualityQuery {
    /// The rules of a catalog resource.
    async fn quality_rules(&self, ctx: &Context<'_>, resource_id: ID) -> async_graphql::Result<Vec<QualityRule>> {
        let id = parse_id("resourceId", &resource_id)?;
        Ok(svc::list_rules(core(ctx)?, actor(ctx)?, id)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(QualityRule)
            .collect())
    }

    /// One rule.
    async fn quality_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<QualityRule> {
        let id = parse_id("id", &id)?;
        Ok(QualityRule(
            svc::get_rule(core(ctx)?, actor(ctx)?, id).await.map_err(ApiError)?,
        ))
    }

    /// A resource's schedule, if it has one.
    async fn quality_schedule(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
    ) -> async_graphql::Result<Option<QualitySchedule>> {
        let id = parse_id("resourceId", &resource_id)?;
        Ok(svc::schedule(core(ctx)?, actor(ctx)?, id)
            .await
            .map_err(ApiError)?
            .map(Into::into))
    }

    /// Inspections of a resource, newest first; `trigger` filters (`schedule`, `manual`,
    /// `recheck`).
    #[allow(clippy::too_many_arguments)]
    async fn quality_runs(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        trigger: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, QualityRun, EmptyFields, EmptyFields>> {
        let id = parse_id("resourceId", &resource_id)?;
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::runs(&c, &a, id, trigger.as_deref(), page).await?;
            Ok((rows.into_iter().map(QualityRun).collect(), total))
        })
        .await
    }

    /// One inspection with its results.
    async fn quality_run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<QualityRun> {
        let id = parse_id("id", &id)?;
        Ok(QualityRun(
            svc::get_run(core(ctx)?, actor(ctx)?, id).await.map_err(ApiError)?,
        ))
    }

    /// A resource's quality score by day or month over `[from, to)` (at most 3 years).
    async fn quality_trend(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        granularity: TrendGranularity,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<Vec<QualityTrendPoint>> {
        let id = parse_id("resourceId", &resource_id)?;
        let g = match granularity {
            TrendGranularity::Day => svc::Granularity::Day,
            TrendGranularity::Month => svc::Granularity::Month,
        };
        Ok(svc::trend(core(ctx)?, actor(ctx)?, id, g, from, to)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(|p| QualityTrendPoint {
                period: p.period,
                runs: p.runs,
                average_score: p.average_score,
                min_score: p.min_score,
                last_score: p.last_score,
                failed_rules: p.failed_rules,
            })
            .collect())
    }
}

/// Quality mutations.
#[derive(Default)]
pub struct QualityMutation;

#[Object]
impl QualityMutation {
    /// Creates a rule (managers; custom SQL: administrators). Validated against the catalog:
    /// unknown columns, invalid patterns, a custom query that is not one read-only SELECT, or
    /// thresholds that make no sense are refused with `invalid_input`.
    async fn create_quality_rule(
        &self,
        ctx: &Context<'_>,
        input: QualityRuleInput,
    ) -> async_graphql::Result<QualityRule> {
        let input = input.into_domain()?;
        Ok(QualityRule(
            svc::create_rule(core(ctx)?, actor(ctx)?, input)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Replaces a rule's definition; a stale `expectedVersion` gets `version_conflict`.
    async fn update_quality_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: QualityRuleInput,
    ) -> async_graphql::Result<QualityRule> {
        let id = parse_id("id", &id)?;
        let input = input.into_domain()?;
        Ok(QualityRule(
            svc::update_rule(core(ctx)?, actor(ctx)?, id, expected_version, input)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Enables or disables a rule.
    async fn set_quality_rule_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
    ) -> async_graphql::Result<QualityRule> {
        let id = parse_id("id", &id)?;
        Ok(QualityRule(
            svc::set_rule_enabled(core(ctx)?, actor(ctx)?, id, enabled)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Sets a resource's inspection schedule.
    async fn set_quality_schedule(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        input: QualityScheduleInput,
    ) -> async_graphql::Result<QualitySchedule> {
        let id = parse_id("resourceId", &resource_id)?;
        Ok(svc::set_schedule(
            core(ctx)?,
            actor(ctx)?,
            id,
            svc::ScheduleInput {
                cron: input.cron,
                working_days_only: input.working_days_only,
                incremental: input.incremental,
                watermark_column: input.watermark_column,
                enabled: input.enabled,
                first_run_at: input.first_run_at,
            },
        )
        .await
        .map_err(ApiError)?
        .into())
    }

    /// Inspects a resource now with its enabled rules (operators and managers). The run is
    /// returned whatever its outcome: an unreachable source is a run with status `error`.
    async fn run_quality_inspection(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        #[graphql(default)] incremental: bool,
    ) -> async_graphql::Result<QualityRun> {
        let id = parse_id("resourceId", &resource_id)?;
        Ok(QualityRun(
            svc::run_now(core(ctx)?, actor(ctx)?, id, incremental)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Re-runs the rule of a rectified quality ticket now and records the verdict on it (the
    /// reviewer may approve only after a passing re-check).
    async fn recheck_ticket(&self, ctx: &Context<'_>, ticket_id: ID) -> async_graphql::Result<QualityRun> {
        let id = parse_id("ticketId", &ticket_id)?;
        Ok(QualityRun(
            svc::recheck(core(ctx)?, actor(ctx)?, id).await.map_err(ApiError)?,
        ))
    }
}
