//! Discharge-permit reconciliation (排污许可证对账) in the schema: definitions, runs from
//! uploaded files (base64) or from the sides' tables, records with counts per category, their
//! items, and the difference list's download path.
//!
//! Reads need `ViewQuality`; definitions are written with `ManageQualityRules`; runs need
//! `RunQuality` (the same operations as the monthly reconciliation). Lists are Relay
//! connections over offset pages.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use base64::Engine;
use chrono::{DateTime, Utc};
use ecogov_domain::Error;
use ecogov_domain::entity::{permit_reconciliation, permit_reconciliation_item, permit_reconciliation_run};
use ecogov_domain::permit::{self, Mapping};
use ecogov_domain::role::Operation;
use ecogov_domain::service::permit_reconciliation::{self as svc, PermitSpec, Route, SideSpec, Upload};

use crate::error::ApiError;
use crate::query::{actor, core, paginate, parse_id};
use crate::types::{Department, User, load_department, load_user};

/// A compared permit field (比对字段).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "ecogov_domain::permit::Field")]
pub enum PermitField {
    /// 单位名称
    HolderName,
    /// 管理类别 (重点/简化/登记)
    ManagementCategory,
    /// 行业类别
    Industry,
    /// 有效期起
    ValidFrom,
    /// 有效期止
    ValidTo,
    /// 发证日期
    IssueDate,
    /// 发证机关
    IssuingAuthority,
    /// 生产经营场所地址
    Address,
    /// 法定代表人
    LegalRepresentative,
    /// 行政区划代码
    RegionCode,
    /// 经度
    Longitude,
    /// 纬度
    Latitude,
    /// 主要污染物类别
    MainPollutants,
    /// 废气排放口 (a set of DA codes)
    AirOutlets,
    /// 废水排放口 (a set of DW codes)
    WaterOutlets,
    /// 二氧化硫许可排放量 (t/a)
    #[graphql(name = "SO2_LIMIT")]
    So2Limit,
    /// 氮氧化物许可排放量 (t/a)
    NoxLimit,
    /// 化学需氧量许可排放量 (t/a)
    CodLimit,
    /// 氨氮许可排放量 (t/a)
    #[graphql(name = "NH3N_LIMIT")]
    Nh3nLimit,
    /// 颗粒物许可排放量 (t/a)
    ParticulateLimit,
}

/// What kind of discrepancy an item is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "ecogov_domain::permit::Category")]
pub enum PermitCategory {
    /// 仅市局有
    OnlyCity,
    /// 仅国家平台有
    OnlyNational,
    /// 字段不一致
    FieldDiff,
    /// 已过期
    Expired,
    /// 即将到期 (within 60 days)
    Expiring,
    /// 许可证编号格式错误
    MalformedNumber,
    /// 数据格式错误
    MalformedValue,
    /// 编号重复
    Duplicate,
}

/// Which side a row came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "ecogov_domain::permit::Side")]
pub enum PermitSide {
    /// 市局回流
    City,
    /// 国家平台
    National,
}

/// Which column holds a field.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "PermitFieldColumnInput")]
pub struct PermitFieldColumn {
    /// The field.
    pub field: PermitField,
    /// Column title (file header or table column).
    pub column: String,
}

/// One side of a definition.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "PermitSideInput")]
pub struct PermitSideSpec {
    /// `data_source_code.table` read by dataset runs and the monthly schedule (none: files only).
    pub table: Option<String>,
    /// Column of the permit number.
    pub permit_number_column: String,
    /// Columns of the compared fields (a field mapped on one side only is not compared).
    pub columns: Vec<PermitFieldColumn>,
}

impl From<PermitSideSpec> for SideSpec {
    fn from(s: PermitSideSpec) -> Self {
        SideSpec {
            table: s.table,
            mapping: Mapping {
                permit_number: s.permit_number_column,
                fields: s.columns.into_iter().map(|c| (c.field.into(), c.column)).collect(),
            },
        }
    }
}

impl From<SideSpec> for PermitSideSpec {
    fn from(s: SideSpec) -> Self {
        PermitSideSpec {
            table: s.table,
            permit_number_column: s.mapping.permit_number,
            columns: s
                .mapping
                .fields
                .into_iter()
                .map(|(f, c)| PermitFieldColumn {
                    field: f.into(),
                    column: c,
                })
                .collect(),
        }
    }
}

/// Routing of a category's tickets.
#[derive(InputObject)]
pub struct PermitRouteInput {
    /// The category.
    pub category: PermitCategory,
    /// Responsible department.
    pub department_id: ID,
    /// Assignee of new tickets (an operator or manager).
    pub assignee_id: Option<ID>,
}

/// A permit reconciliation as entered; an update replaces it whole (the code cannot change).
#[derive(InputObject)]
pub struct PermitReconciliationInput {
    /// Code, 1-64 of `[A-Za-z0-9_.-]`.
    pub code: String,
    /// 名称.
    pub name: String,
    /// The city's returned data (市局回流).
    pub city: PermitSideSpec,
    /// The national platform's export.
    pub national: PermitSideSpec,
    /// Allowed permit identifier letters (HJ 608-2017 confirms `P` only).
    #[graphql(default_with = "vec![\"P\".to_owned()]")]
    pub letters: Vec<String>,
    /// Department of categories without a route.
    pub department_id: Option<ID>,
    /// Routing by category.
    #[graphql(default)]
    pub routes: Vec<PermitRouteInput>,
}

impl PermitReconciliationInput {
    fn into_domain(self) -> Result<svc::DefinitionInput, ApiError> {
        let mut letters = Vec::new();
        for l in &self.letters {
            let mut chars = l.trim().chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => letters.push(c),
                _ => return Err(ApiError(Error::invalid("letters", "标识字母须为单个大写英文字母"))),
            }
        }
        let routes = self
            .routes
            .into_iter()
            .map(|r| {
                Ok(Route {
                    category: r.category.into(),
                    department_id: parse_id("departmentId", &r.department_id)?,
                    assignee_id: r.assignee_id.as_ref().map(|a| parse_id("assigneeId", a)).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(svc::DefinitionInput {
            code: self.code,
            name: self.name,
            spec: PermitSpec {
                city: self.city.into(),
                national: self.national.into(),
                letters,
                department_id: self
                    .department_id
                    .as_ref()
                    .map(|d| parse_id("departmentId", d))
                    .transpose()?,
                routes,
            },
        })
    }
}

/// An uploaded file (base64, at most 20 MiB decoded).
#[derive(InputObject)]
pub struct PermitFileInput {
    /// File name; its extension gives the format (.csv UTF-8, .xlsx first sheet, .json array
    /// of objects).
    pub file_name: String,
    /// Content, standard base64.
    pub content_base64: String,
}

impl PermitFileInput {
    fn decode(self, field: &str) -> Result<Upload, ApiError> {
        if self.content_base64.len() > ecogov_domain::blob::MAX_BLOB_BYTES / 3 * 4 + 4 {
            return Err(ApiError(Error::invalid(field, "文件超过 20 MiB 上限")));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.content_base64.trim())
            .map_err(|_| ApiError(Error::invalid(field, "不是有效的 base64 内容")))?;
        Ok(Upload {
            file_name: self.file_name.trim().to_owned(),
            bytes,
        })
    }
}

/// Where a category's tickets go.
pub struct PermitRoute(Route);

#[Object]
impl PermitRoute {
    async fn category(&self) -> PermitCategory {
        self.0.category.into()
    }
    async fn department(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Department>> {
        load_department(ctx, Some(self.0.department_id)).await
    }
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.assignee_id).await
    }
}

/// A permit reconciliation definition (排污许可证对账).
pub struct PermitReconciliation(pub permit_reconciliation::Model);

impl PermitReconciliation {
    fn spec(&self) -> async_graphql::Result<PermitSpec> {
        Ok(svc::spec_of(&self.0).map_err(ApiError)?)
    }
}

#[Object]
impl PermitReconciliation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Whether the monthly schedule runs it (it needs tables on both sides).
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// The city's returned data (市局回流).
    async fn city(&self) -> async_graphql::Result<PermitSideSpec> {
        Ok(self.spec()?.city.into())
    }
    /// The national platform's export.
    async fn national(&self) -> async_graphql::Result<PermitSideSpec> {
        Ok(self.spec()?.national.into())
    }
    /// Allowed permit identifier letters.
    async fn letters(&self) -> async_graphql::Result<Vec<String>> {
        Ok(self.spec()?.letters.iter().map(char::to_string).collect())
    }
    /// Department of categories without a route.
    async fn department(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Department>> {
        load_department(ctx, self.spec()?.department_id).await
    }
    /// Ticket routing by category.
    async fn routes(&self) -> async_graphql::Result<Vec<PermitRoute>> {
        Ok(self.spec()?.routes.into_iter().map(PermitRoute).collect())
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
}

/// Items of one category in a record.
#[derive(SimpleObject)]
pub struct PermitCategoryCount {
    /// The category.
    pub category: PermitCategory,
    /// Its Chinese label.
    pub label: String,
    /// Items found.
    pub count: i64,
}

/// One discrepancy.
pub struct PermitReconciliationItem(pub permit_reconciliation_item::Model);

#[Object]
impl PermitReconciliationItem {
    /// Position in the run's list (1-based).
    async fn seq(&self) -> i32 {
        self.0.seq
    }
    async fn category(&self) -> async_graphql::Result<PermitCategory> {
        permit::Category::parse(&self.0.category)
            .map(Into::into)
            .ok_or_else(|| ApiError(Error::Internal(format!("unknown category {}", self.0.category))).into())
    }
    /// The permit number as written (may be malformed or empty).
    async fn permit_number(&self) -> &str {
        &self.0.permit_number
    }
    async fn holder_name(&self) -> Option<&str> {
        self.0.holder_name.as_deref()
    }
    /// The side it concerns (null: both).
    async fn side(&self) -> Option<PermitSide> {
        match self.0.side.as_deref() {
            Some("city") => Some(PermitSide::City),
            Some("national") => Some(PermitSide::National),
            _ => None,
        }
    }
    /// The field, for field differences and malformed values.
    async fn field(&self) -> Option<PermitField> {
        self.0.field.as_deref().and_then(permit::Field::parse).map(Into::into)
    }
    /// The field's Chinese label.
    async fn field_label(&self) -> Option<&'static str> {
        self.0
            .field
            .as_deref()
            .and_then(permit::Field::parse)
            .map(permit::Field::label)
    }
    /// The city's value (normalised when readable).
    async fn city_value(&self) -> Option<&str> {
        self.0.city_value.as_deref()
    }
    /// The national value (normalised when readable; the expiry date for expiry items).
    async fn national_value(&self) -> Option<&str> {
        self.0.national_value.as_deref()
    }
    /// Row numbers in the city's data.
    async fn city_rows(&self) -> Vec<i64> {
        svc::rows_of(&self.0)
            .0
            .into_iter()
            .map(|r| i64::try_from(r).unwrap_or(i64::MAX))
            .collect()
    }
    /// Row numbers in the national data.
    async fn national_rows(&self) -> Vec<i64> {
        svc::rows_of(&self.0)
            .1
            .into_iter()
            .map(|r| i64::try_from(r).unwrap_or(i64::MAX))
            .collect()
    }
    /// Why, in Chinese.
    async fn message(&self) -> &str {
        &self.0.message
    }
}

/// The record of one run.
pub struct PermitReconciliationRun(pub permit_reconciliation_run::Model);

#[Object]
impl PermitReconciliationRun {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn definition(&self, ctx: &Context<'_>) -> async_graphql::Result<PermitReconciliation> {
        Ok(PermitReconciliation(
            svc::get(core(ctx)?, actor(ctx)?, self.0.definition_id)
                .await
                .map_err(ApiError)?,
        ))
    }
    /// `YYYY-MM` of a scheduled run; null for runs by hand.
    async fn period(&self) -> Option<&str> {
        self.0.period.as_deref()
    }
    /// `running`, `done` or `error`.
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// Started by the schedule (else by hand).
    async fn scheduled(&self) -> bool {
        self.0.trigger == "schedule"
    }
    /// `files` or `datasets`.
    async fn input(&self) -> &str {
        &self.0.input
    }
    async fn run_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.run_by).await
    }
    /// The date expiry was judged on (Asia/Shanghai).
    async fn run_date(&self) -> &str {
        &self.0.run_date
    }
    /// File name or table of the city's side.
    async fn city_name(&self) -> &str {
        &self.0.city_name
    }
    /// File name or table of the national side.
    async fn national_name(&self) -> &str {
        &self.0.national_name
    }
    /// Data rows read on the city side (blank rows not counted).
    async fn city_rows(&self) -> i64 {
        self.0.city_rows
    }
    /// Data rows read on the national side.
    async fn national_rows(&self) -> i64 {
        self.0.national_rows
    }
    /// Valid permit numbers on both sides.
    async fn matched(&self) -> i64 {
        self.0.matched
    }
    /// Items per category (every category, in report order).
    async fn counts(&self) -> Vec<PermitCategoryCount> {
        svc::counts_of(&self.0)
            .into_iter()
            .map(|(c, n)| PermitCategoryCount {
                category: c.into(),
                label: c.label().to_owned(),
                count: n,
            })
            .collect()
    }
    /// Items found.
    async fn items_total(&self) -> i64 {
        self.0.items_total
    }
    /// Of which kept as items (the first 50,000; the workbook has them all).
    async fn items_stored(&self) -> i64 {
        self.0.items_stored
    }
    /// Tickets opened or recurred by this run.
    async fn tickets(&self) -> i64 {
        self.0.tickets
    }
    /// Why the run failed (status `error`), in Chinese.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Path of the XLSX difference list (GET with the same bearer token); null when the run
    /// failed.
    async fn download_url(&self) -> Option<String> {
        self.0.xlsx_sha256.as_ref().map(|_| svc::download_path(self.0.id))
    }
    /// The items in list order, optionally of one category (Relay connection, at most 200 per
    /// page).
    async fn items(
        &self,
        ctx: &Context<'_>,
        category: Option<PermitCategory>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, PermitReconciliationItem, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let id = self.0.id;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::items(&c, &a, id, category.map(Into::into), page).await?;
            Ok((rows.into_iter().map(PermitReconciliationItem).collect(), total))
        })
        .await
    }
}

/// Permit reconciliation queries.
#[derive(Default)]
pub struct PermitQuery;

#[Object]
impl PermitQuery {
    /// One permit reconciliation.
    async fn permit_reconciliation(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<PermitReconciliation> {
        Ok(PermitReconciliation(
            svc::get(core(ctx)?, actor(ctx)?, parse_id("id", &id)?)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Permit reconciliations by code (Relay connection, at most 200 per page).
    async fn permit_reconciliations(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, PermitReconciliation, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::list(&c, &a, page).await?;
            Ok((rows.into_iter().map(PermitReconciliation).collect(), total))
        })
        .await
    }

    /// Records, newest first, optionally of one definition (Relay connection, at most 200 per
    /// page).
    async fn permit_reconciliation_runs(
        &self,
        ctx: &Context<'_>,
        definition_id: Option<ID>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, PermitReconciliationRun, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let definition_id = definition_id
            .as_ref()
            .map(|i| parse_id("definitionId", i))
            .transpose()?;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = svc::runs(&c, &a, definition_id, page).await?;
            Ok((rows.into_iter().map(PermitReconciliationRun).collect(), total))
        })
        .await
    }

    /// One record.
    async fn permit_reconciliation_run(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PermitReconciliationRun> {
        Ok(PermitReconciliationRun(
            svc::get_run(core(ctx)?, actor(ctx)?, parse_id("id", &id)?)
                .await
                .map_err(ApiError)?,
        ))
    }
}

/// Permit reconciliation mutations.
#[derive(Default)]
pub struct PermitMutation;

#[Object]
impl PermitMutation {
    /// Creates a permit reconciliation (version 1; enabled unless told otherwise).
    async fn create_permit_reconciliation(
        &self,
        ctx: &Context<'_>,
        input: PermitReconciliationInput,
        #[graphql(default = true)] enabled: bool,
    ) -> async_graphql::Result<PermitReconciliation> {
        let m = svc::create(core(ctx)?, actor(ctx)?, input.into_domain()?, enabled)
            .await
            .map_err(ApiError)?;
        Ok(PermitReconciliation(m))
    }

    /// Replaces a permit reconciliation whole (a new version; the code cannot change).
    async fn update_permit_reconciliation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: PermitReconciliationInput,
    ) -> async_graphql::Result<PermitReconciliation> {
        let m = svc::update(
            core(ctx)?,
            actor(ctx)?,
            parse_id("id", &id)?,
            expected_version,
            input.into_domain()?,
        )
        .await
        .map_err(ApiError)?;
        Ok(PermitReconciliation(m))
    }

    /// Enables or disables the monthly schedule of a permit reconciliation.
    async fn set_permit_reconciliation_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
        expected_version: i32,
    ) -> async_graphql::Result<PermitReconciliation> {
        let m = svc::set_enabled(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, expected_version, enabled)
            .await
            .map_err(ApiError)?;
        Ok(PermitReconciliation(m))
    }

    /// Deletes a permit reconciliation and its records (its tickets stay).
    async fn delete_permit_reconciliation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> async_graphql::Result<bool> {
        svc::delete(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, expected_version)
            .await
            .map_err(ApiError)?;
        Ok(true)
    }

    /// Compares two uploaded files. A file that cannot be read, or lacks a mapped column, is
    /// refused with `invalid_input` and nothing is written.
    async fn run_permit_reconciliation_files(
        &self,
        ctx: &Context<'_>,
        id: ID,
        city: PermitFileInput,
        national: PermitFileInput,
    ) -> async_graphql::Result<PermitReconciliationRun> {
        let (a, c) = (actor(ctx)?, core(ctx)?);
        a.require(Operation::RunQuality).map_err(ApiError)?;
        let id = parse_id("id", &id)?;
        let city = city.decode("city")?;
        let national = national.decode("national")?;
        let m = svc::run_files(c, a, id, city, national).await.map_err(ApiError)?;
        Ok(PermitReconciliationRun(m))
    }

    /// Compares the two sides' tables now.
    async fn run_permit_reconciliation_datasets(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PermitReconciliationRun> {
        let m = svc::run_datasets(core(ctx)?, actor(ctx)?, parse_id("id", &id)?)
            .await
            .map_err(ApiError)?;
        Ok(PermitReconciliationRun(m))
    }
}
