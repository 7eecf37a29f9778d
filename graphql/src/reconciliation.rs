//! Monthly reconciliations (月度专项对账) in the schema: definitions, their monthly records and
//! the differences of each record.
//!
//! Reads need `ViewQuality`; definitions are written with `ManageQualityRules`; running a month
//! by hand needs `RunQuality`. Lists are Relay connections over offset pages.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use ecogov_domain::Error;
use ecogov_domain::entity::{reconciliation, reconciliation_item, reconciliation_run};
use ecogov_domain::reconciliation::{self as recon, Month, ROW_COUNT};
use ecogov_domain::role::Operation;
use ecogov_domain::service::reconciliation::{self as svc, ReconciliationFilter, RunFilter, RunStatus};
use ecogov_domain::service::tickets;

use crate::error::ApiError;
use crate::query::{actor, core, paginate, parse_id};
use crate::types::{Department, Ticket, User, load_department, load_user};

/// The key domain of a reconciliation (对账领域).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ReconciliationDomain {
    /// 监测站点
    Station,
    /// 企业
    Enterprise,
    /// 排污许可
    Permit,
    /// 其他
    Other,
}

impl From<ReconciliationDomain> for recon::Domain {
    fn from(d: ReconciliationDomain) -> Self {
        match d {
            ReconciliationDomain::Station => recon::Domain::Station,
            ReconciliationDomain::Enterprise => recon::Domain::Enterprise,
            ReconciliationDomain::Permit => recon::Domain::Permit,
            ReconciliationDomain::Other => recon::Domain::Other,
        }
    }
}

impl From<recon::Domain> for ReconciliationDomain {
    fn from(d: recon::Domain) -> Self {
        match d {
            recon::Domain::Station => ReconciliationDomain::Station,
            recon::Domain::Enterprise => ReconciliationDomain::Enterprise,
            recon::Domain::Permit => ReconciliationDomain::Permit,
            recon::Domain::Other => ReconciliationDomain::Other,
        }
    }
}

/// What kind of difference an item is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ReconciliationCategory {
    /// The key is in the source system only (数据中心缺失).
    SourceOnly,
    /// The key is in the data center only (源系统缺失).
    CenterOnly,
    /// The key is on both sides; a metric differs beyond its tolerance (数值不一致).
    ValueMismatch,
}

impl From<ReconciliationCategory> for recon::Category {
    fn from(c: ReconciliationCategory) -> Self {
        match c {
            ReconciliationCategory::SourceOnly => recon::Category::SourceOnly,
            ReconciliationCategory::CenterOnly => recon::Category::CenterOnly,
            ReconciliationCategory::ValueMismatch => recon::Category::ValueMismatch,
        }
    }
}

impl From<recon::Category> for ReconciliationCategory {
    fn from(c: recon::Category) -> Self {
        match c {
            recon::Category::SourceOnly => ReconciliationCategory::SourceOnly,
            recon::Category::CenterOnly => ReconciliationCategory::CenterOnly,
            recon::Category::ValueMismatch => ReconciliationCategory::ValueMismatch,
        }
    }
}

/// Where a monthly record stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ReconciliationRunStatus {
    /// In progress.
    Running,
    /// Compared.
    Done,
    /// A side could not be read (see `error`).
    Error,
}

impl From<ReconciliationRunStatus> for RunStatus {
    fn from(s: ReconciliationRunStatus) -> Self {
        match s {
            ReconciliationRunStatus::Running => RunStatus::Running,
            ReconciliationRunStatus::Done => RunStatus::Done,
            ReconciliationRunStatus::Error => RunStatus::Error,
        }
    }
}

impl From<RunStatus> for ReconciliationRunStatus {
    fn from(s: RunStatus) -> Self {
        match s {
            RunStatus::Running => ReconciliationRunStatus::Running,
            RunStatus::Done => ReconciliationRunStatus::Done,
            RunStatus::Error => ReconciliationRunStatus::Error,
        }
    }
}

/// How far two values may differ and still agree; either bound suffices. With neither, the
/// values must be equal.
#[derive(SimpleObject, InputObject, Clone, Copy, Default)]
#[graphql(input_name = "ToleranceInput")]
pub struct Tolerance {
    /// Largest allowed absolute difference.
    pub absolute: Option<f64>,
    /// Largest allowed difference, in percent of the larger of the two values.
    pub percent: Option<f64>,
}

impl From<Tolerance> for recon::Tolerance {
    fn from(t: Tolerance) -> Self {
        recon::Tolerance {
            absolute: t.absolute,
            percent: t.percent,
        }
    }
}

impl From<recon::Tolerance> for Tolerance {
    fn from(t: recon::Tolerance) -> Self {
        Tolerance {
            absolute: t.absolute,
            percent: t.percent,
        }
    }
}

/// One side of a reconciliation.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ReconciliationSideInput")]
pub struct ReconciliationSide {
    /// Bound table, `data_source_code.table` (`data_source_code.schema.table` allowed).
    pub table: String,
    /// Key columns; they pair with the other side's by position.
    pub key_columns: Vec<String>,
    /// The date, timestamp or `YYYY-MM…` text column placing a row in a month.
    pub month_column: String,
}

impl From<ReconciliationSide> for recon::Side {
    fn from(s: ReconciliationSide) -> Self {
        recon::Side {
            table: s.table,
            keys: s.key_columns,
            month_column: s.month_column,
        }
    }
}

impl From<recon::Side> for ReconciliationSide {
    fn from(s: recon::Side) -> Self {
        ReconciliationSide {
            table: s.table,
            key_columns: s.keys,
            month_column: s.month_column,
        }
    }
}

/// A summed measure compared per key.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ReconciliationMeasureInput")]
pub struct ReconciliationMeasure {
    /// Metric name in results (an identifier, not `row_count`).
    pub name: String,
    /// Numeric column summed on the source side.
    pub source_column: String,
    /// Numeric column summed on the center side.
    pub center_column: String,
    /// How far the sums may differ.
    #[graphql(default)]
    pub tolerance: Tolerance,
}

/// A reconciliation as entered; an update replaces it whole (the code cannot change).
#[derive(InputObject)]
pub struct ReconciliationInput {
    /// Code, 1-64 of `[A-Za-z0-9_.-]`; names the reconciliation's tickets.
    pub code: String,
    /// 名称.
    pub name: String,
    /// 对账领域.
    pub domain: ReconciliationDomain,
    /// Responsible department (mismatch tickets go there).
    pub department_id: Option<ID>,
    /// The source system's table.
    pub source: ReconciliationSide,
    /// The data center's table.
    pub center: ReconciliationSide,
    /// How far the row counts per key may differ.
    #[graphql(default)]
    pub count_tolerance: Tolerance,
    /// Summed measures.
    #[graphql(default)]
    pub measures: Vec<ReconciliationMeasure>,
}

impl ReconciliationInput {
    fn into_domain(self) -> Result<svc::ReconciliationInput, ApiError> {
        Ok(svc::ReconciliationInput {
            department_id: self
                .department_id
                .as_ref()
                .map(|d| parse_id("departmentId", d))
                .transpose()?,
            code: self.code,
            name: self.name,
            domain: self.domain.into(),
            spec: recon::Spec {
                source: self.source.into(),
                center: self.center.into(),
                count_tolerance: self.count_tolerance.into(),
                measures: self
                    .measures
                    .into_iter()
                    .map(|m| recon::Measure {
                        name: m.name,
                        source_column: m.source_column,
                        center_column: m.center_column,
                        tolerance: m.tolerance.into(),
                    })
                    .collect(),
            },
        })
    }
}

/// A reconciliation definition (月度专项对账).
pub struct Reconciliation(pub reconciliation::Model);

impl Reconciliation {
    fn spec(&self) -> async_graphql::Result<recon::Spec> {
        Ok(svc::spec_of(&self.0).map_err(ApiError)?)
    }
}

#[Object]
impl Reconciliation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Names the reconciliation's tickets (`recon:{code}:{month}`).
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn domain(&self) -> async_graphql::Result<ReconciliationDomain> {
        Ok(self.0.domain.parse::<recon::Domain>().map_err(ApiError)?.into())
    }
    /// Responsible department.
    async fn department(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Department>> {
        load_department(ctx, self.0.department_id).await
    }
    /// Whether the schedule runs it each month.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// The source system's table.
    async fn source(&self) -> async_graphql::Result<ReconciliationSide> {
        Ok(self.spec()?.source.into())
    }
    /// The data center's table.
    async fn center(&self) -> async_graphql::Result<ReconciliationSide> {
        Ok(self.spec()?.center.into())
    }
    /// How far the row counts per key may differ.
    async fn count_tolerance(&self) -> async_graphql::Result<Tolerance> {
        Ok(self.spec()?.count_tolerance.into())
    }
    /// Summed measures.
    async fn measures(&self) -> async_graphql::Result<Vec<ReconciliationMeasure>> {
        Ok(self
            .spec()?
            .measures
            .into_iter()
            .map(|m| ReconciliationMeasure {
                name: m.name,
                source_column: m.source_column,
                center_column: m.center_column,
                tolerance: m.tolerance.into(),
            })
            .collect())
    }
    /// Send as `expectedVersion` with the next change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The record of the newest month run.
    async fn latest_run(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ReconciliationRun>> {
        Ok(svc::latest_run(core(ctx)?, actor(ctx)?, self.0.id)
            .await
            .map_err(ApiError)?
            .map(ReconciliationRun))
    }
}

/// One difference found by a monthly run.
pub struct ReconciliationItem(pub reconciliation_item::Model);

#[Object]
impl ReconciliationItem {
    async fn category(&self) -> async_graphql::Result<ReconciliationCategory> {
        Ok(self.0.category.parse::<recon::Category>().map_err(ApiError)?.into())
    }
    /// The key's values, one per key column (null for NULL).
    async fn key(&self) -> Vec<Option<String>> {
        svc::key_of(&self.0)
    }
    /// The key as one line, values joined by ` / `.
    async fn key_text(&self) -> String {
        recon::key_text(&svc::key_of(&self.0))
    }
    /// `row_count` or a measure's name.
    async fn metric(&self) -> &str {
        &self.0.metric
    }
    /// The metric in Chinese (行数, or the measure's name).
    async fn metric_label(&self) -> &str {
        if self.0.metric == ROW_COUNT {
            "行数"
        } else {
            &self.0.metric
        }
    }
    /// The source system's value (null: key absent there, or no value to sum).
    async fn source_value(&self) -> Option<&str> {
        self.0.source_value.as_deref()
    }
    /// The data center's value.
    async fn center_value(&self) -> Option<&str> {
        self.0.center_value.as_deref()
    }
}

/// The record of one reconciliation for one month (a re-run replaces it).
pub struct ReconciliationRun(pub reconciliation_run::Model);

#[Object]
impl ReconciliationRun {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn reconciliation(&self, ctx: &Context<'_>) -> async_graphql::Result<Reconciliation> {
        Ok(Reconciliation(
            svc::get(core(ctx)?, actor(ctx)?, self.0.reconciliation_id)
                .await
                .map_err(ApiError)?,
        ))
    }
    /// `YYYY-MM`, Asia/Shanghai.
    async fn month(&self) -> &str {
        &self.0.month
    }
    async fn status(&self) -> async_graphql::Result<ReconciliationRunStatus> {
        Ok(RunStatus::parse(&self.0.status).map_err(ApiError)?.into())
    }
    /// Whether the last run of this month was started by the schedule (else by hand).
    async fn scheduled(&self) -> bool {
        self.0.trigger == "schedule"
    }
    /// Who ran it by hand last.
    async fn run_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.run_by).await
    }
    /// Completed runs of this month (a re-run replaces the figures and counts one more).
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The reconciliation's version the latest run compared with.
    async fn definition_version(&self) -> i32 {
        self.0.definition_version
    }
    /// Keys in the source system's month.
    async fn source_keys(&self) -> i64 {
        self.0.source_keys
    }
    /// Keys in the data center's month.
    async fn center_keys(&self) -> i64 {
        self.0.center_keys
    }
    /// Keys on both sides.
    async fn common_keys(&self) -> i64 {
        self.0.common_keys
    }
    /// Keys in the source only (missing from the data center).
    async fn source_only(&self) -> i64 {
        self.0.source_only
    }
    /// Keys in the data center only.
    async fn center_only(&self) -> i64 {
        self.0.center_only
    }
    /// Keys on both sides with a metric beyond its tolerance.
    async fn mismatched_keys(&self) -> i64 {
        self.0.mismatched_keys
    }
    /// Rows in the source system's month.
    async fn source_rows(&self) -> i64 {
        self.0.source_rows
    }
    /// Rows in the data center's month.
    async fn center_rows(&self) -> i64 {
        self.0.center_rows
    }
    /// Differences found.
    async fn items_total(&self) -> i64 {
        self.0.items_total
    }
    /// Of which kept as items (the first 10,000).
    async fn items_stored(&self) -> i64 {
        self.0.items_stored
    }
    /// Why the run failed (status ERROR), in Chinese.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The mismatch or collection-failure ticket of this run, if the caller may see it.
    async fn ticket(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Ticket>> {
        let (a, c) = (actor(ctx)?, core(ctx)?);
        let Some(id) = self.0.ticket_id else {
            return Ok(None);
        };
        if !a.can(Operation::ViewTickets) {
            return Ok(None);
        }
        match tickets::get(c, a, id).await {
            Ok(t) => Ok(Some(Ticket(t))),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(ApiError(e).into()),
        }
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// The differences, in the order found (Relay connection, at most 200 per page).
    async fn items(
        &self,
        ctx: &Context<'_>,
        category: Option<ReconciliationCategory>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, ReconciliationItem, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let id = self.0.id;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::items(&c, &a, id, category.map(Into::into), page).await?;
            Ok((rows.into_iter().map(ReconciliationItem).collect(), total))
        })
        .await
    }
}

/// Filters of the reconciliation list.
#[derive(InputObject, Default)]
pub struct ReconciliationFilterInput {
    /// Only enabled (true) or disabled (false) ones.
    pub enabled: Option<bool>,
    /// Only this domain.
    pub domain: Option<ReconciliationDomain>,
}

/// Reconciliation queries.
#[derive(Default)]
pub struct ReconciliationQuery;

#[Object]
impl ReconciliationQuery {
    /// One reconciliation by id or code.
    async fn reconciliation(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> async_graphql::Result<Reconciliation> {
        let (a, c) = (actor(ctx)?, core(ctx)?);
        let m = match (id, code) {
            (Some(id), _) => svc::get(c, a, parse_id("id", &id)?).await,
            (None, Some(code)) => svc::get_by_code(c, a, &code).await,
            (None, None) => Err(Error::MissingField("id")),
        };
        Ok(Reconciliation(m.map_err(ApiError)?))
    }

    /// Reconciliations by code (Relay connection, at most 200 per page).
    async fn reconciliations(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReconciliationFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, Reconciliation, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let f = filter.unwrap_or_default();
        let filter = ReconciliationFilter {
            enabled: f.enabled,
            domain: f.domain.map(Into::into),
        };
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::list(&c, &a, &filter, page).await?;
            Ok((rows.into_iter().map(Reconciliation).collect(), total))
        })
        .await
    }

    /// Monthly records, newest month first, optionally of one reconciliation, month
    /// (`YYYY-MM`) or status (Relay connection, at most 200 per page).
    async fn reconciliation_runs(
        &self,
        ctx: &Context<'_>,
        reconciliation_id: Option<ID>,
        month: Option<String>,
        status: Option<ReconciliationRunStatus>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, ReconciliationRun, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let filter = RunFilter {
            reconciliation_id: reconciliation_id
                .as_ref()
                .map(|i| parse_id("reconciliationId", i))
                .transpose()?,
            month: month.as_deref().map(Month::parse).transpose().map_err(ApiError)?,
            status: status.map(Into::into),
        };
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::runs(&c, &a, &filter, page).await?;
            Ok((rows.into_iter().map(ReconciliationRun).collect(), total))
        })
        .await
    }

    /// One monthly record.
    async fn reconciliation_run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ReconciliationRun> {
        Ok(ReconciliationRun(
            svc::get_run(core(ctx)?, actor(ctx)?, parse_id("id", &id)?)
                .await
                .map_err(ApiError)?,
        ))
    }
}

/// Reconciliation mutations.
#[derive(Default)]
pub struct ReconciliationMutation;

#[Object]
impl ReconciliationMutation {
    /// Creates a reconciliation (version 1; enabled unless told otherwise).
    async fn create_reconciliation(
        &self,
        ctx: &Context<'_>,
        input: ReconciliationInput,
        #[graphql(default = true)] enabled: bool,
    ) -> async_graphql::Result<Reconciliation> {
        let m = svc::create(core(ctx)?, actor(ctx)?, input.into_domain()?, enabled)
            .await
            .map_err(ApiError)?;
        Ok(Reconciliation(m))
    }

    /// Replaces a reconciliation's definition whole (a new version; the code cannot change).
    async fn update_reconciliation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ReconciliationInput,
    ) -> async_graphql::Result<Reconciliation> {
        let m = svc::update(
            core(ctx)?,
            actor(ctx)?,
            parse_id("id", &id)?,
            expected_version,
            input.into_domain()?,
        )
        .await
        .map_err(ApiError)?;
        Ok(Reconciliation(m))
    }

    /// Enables or disables the monthly schedule of a reconciliation.
    async fn set_reconciliation_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
        expected_version: i32,
    ) -> async_graphql::Result<Reconciliation> {
        let m = svc::set_enabled(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, expected_version, enabled)
            .await
            .map_err(ApiError)?;
        Ok(Reconciliation(m))
    }

    /// Runs a month that is over (`YYYY-MM`, Asia/Shanghai) now, replacing its record.
    async fn run_reconciliation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        month: String,
    ) -> async_graphql::Result<ReconciliationRun> {
        let m = svc::run(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, &month)
            .await
            .map_err(ApiError)?;
        Ok(ReconciliationRun(m))
    }
}
