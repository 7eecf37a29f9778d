//! The catalog part of the schema.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use ecogov_domain::Error;
use ecogov_domain::catalog::diff::Snapshot;
use ecogov_domain::catalog::lifecycle::Event;
use ecogov_domain::catalog::model::{
    DataType, FieldDraft, Grade, OpenType, ResourceDraft, ResourceFormat, ShareType, UpdateCycle,
};
use ecogov_domain::entity::data_source;
use ecogov_domain::entity::{catalog_resource, catalog_version};
use ecogov_domain::service::catalog::{self, CatalogFilter};
use ecogov_domain::service::datasource;

use crate::error::ApiError;
use crate::loaders::SourceSystemLoader;
use crate::models::SourceSystem;
use crate::query::{actor, core, paginate, parse_id};

fn parse_enum<T>(field: &str, v: &Option<String>, parse: fn(&str) -> Option<T>) -> Result<Option<T>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .ok_or_else(|| ApiError(Error::invalid(field, format!("未知取值：{s}")))),
    }
}

/// A catalog resource as entered (enums accept the identifier or the Chinese label).
#[derive(InputObject)]
pub struct CatalogResourceInput {
    /// 资源代码.
    pub code: String,
    /// 资源名称.
    pub name: String,
    /// 类/项/目/细目 codes, e.g. ["1", "02", "003"].
    pub classification: Vec<String>,
    /// Provider department code.
    pub provider_department: String,
    /// 摘要.
    #[graphql(default)]
    pub summary: String,
    /// 资源格式.
    pub format: Option<String>,
    /// 共享类型.
    pub share_type: Option<String>,
    /// 共享条件.
    #[graphql(default)]
    pub share_conditions: String,
    /// 共享方式.
    #[graphql(default)]
    pub share_method: String,
    /// 开放类型.
    pub open_type: Option<String>,
    /// 更新周期.
    pub update_cycle: Option<String>,
    /// 发布日期.
    pub publish_date: Option<NaiveDate>,
    /// 关联资源代码.
    #[graphql(default)]
    pub related_codes: Vec<String>,
    /// 来源系统.
    #[graphql(default)]
    pub source_system: String,
    /// Bound tables, `data_source_code.table`.
    #[graphql(default)]
    pub tables: Vec<String>,
    /// Fields.
    #[graphql(default)]
    pub fields: Vec<CatalogFieldInput>,
}

/// A field (数据元) as entered.
#[derive(InputObject)]
pub struct CatalogFieldInput {
    /// Column name.
    pub name: String,
    /// 中文名称.
    pub cn_name: String,
    /// 数据类型.
    pub data_type: Option<String>,
    /// 长度.
    pub length: Option<u32>,
    /// 可为空.
    #[graphql(default)]
    pub nullable: bool,
    /// 计量单位.
    #[graphql(default)]
    pub unit: String,
    /// 代码表/标准.
    #[graphql(default)]
    pub code_table: String,
    /// 说明.
    #[graphql(default)]
    pub description: String,
    /// 分级.
    pub grade: Option<String>,
    /// 一般数据子级.
    pub sub_level: Option<u8>,
    /// Confirmed sensitivity tags.
    #[graphql(default)]
    pub tags: Vec<String>,
}

impl CatalogResourceInput {
    fn into_snapshot(self) -> Result<Snapshot, ApiError> {
        let resource = ResourceDraft {
            format: parse_enum("format", &self.format, ResourceFormat::parse_any)?,
            share_type: parse_enum("shareType", &self.share_type, ShareType::parse_any)?,
            open_type: parse_enum("openType", &self.open_type, OpenType::parse_any)?,
            update_cycle: parse_enum("updateCycle", &self.update_cycle, UpdateCycle::parse_any)?,
            code: self.code,
            name: self.name,
            classification: self.classification,
            provider_department: self.provider_department,
            summary: self.summary,
            share_conditions: self.share_conditions,
            share_method: self.share_method,
            publish_date: self.publish_date,
            related_codes: self.related_codes,
            source_system: self.source_system,
            tables: self.tables,
        };
        let mut fields = Vec::new();
        for f in self.fields {
            fields.push(FieldDraft {
                data_type: parse_enum("fields.dataType", &f.data_type, DataType::parse_any)?,
                grade: parse_enum("fields.grade", &f.grade, Grade::parse_any)?,
                name: f.name,
                cn_name: f.cn_name,
                length: f.length,
                nullable: f.nullable,
                unit: f.unit,
                code_table: f.code_table,
                description: f.description,
                sub_level: f.sub_level,
                tags: f.tags,
            });
        }
        Ok(Snapshot { resource, fields })
    }
}

/// A field of a resource.
#[derive(SimpleObject)]
pub struct CatalogField {
    /// Column name.
    pub name: String,
    /// 中文名称.
    pub cn_name: String,
    /// Data type identifier.
    pub data_type: Option<String>,
    /// 长度.
    pub length: Option<u32>,
    /// 可为空.
    pub nullable: bool,
    /// 计量单位.
    pub unit: String,
    /// 代码表/标准.
    pub code_table: String,
    /// 说明.
    pub description: String,
    /// Grade identifier.
    pub grade: Option<String>,
    /// General-data sub-level.
    pub sub_level: Option<u8>,
    /// Confirmed sensitivity tags.
    pub tags: Vec<String>,
}

impl From<FieldDraft> for CatalogField {
    fn from(f: FieldDraft) -> Self {
        CatalogField {
            data_type: f.data_type.map(|d| d.as_str().to_owned()),
            grade: f.grade.map(|g| g.as_str().to_owned()),
            name: f.name,
            cn_name: f.cn_name,
            length: f.length,
            nullable: f.nullable,
            unit: f.unit,
            code_table: f.code_table,
            description: f.description,
            sub_level: f.sub_level,
            tags: f.tags,
        }
    }
}

/// A catalog resource (数据资源).
pub struct CatalogResource(pub catalog_resource::Model);

#[Object]
impl CatalogResource {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// draft, under_review, published, offline.
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// Send as `expectedVersion` with the next change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Provider department code.
    async fn department(&self) -> &str {
        &self.0.department
    }
    /// 类/项/目/细目, e.g. `1/02/003`.
    async fn classification(&self) -> &str {
        &self.0.classification
    }
    /// The dataset's grade: the highest of its fields (就高从严).
    async fn grade(&self) -> &str {
        &self.0.grade
    }
    /// General-data sub-level of the dataset.
    async fn sub_level(&self) -> Option<i16> {
        self.0.sub_level
    }
    /// Every metadata attribute as entered (JSON).
    async fn metadata(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.draft).unwrap_or_default())
    }
    /// The latest data-quality inspection (score, failing rules), for quality readers; null
    /// when never inspected or when the caller may not read quality results.
    async fn quality_status(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crate::quality::QualityRun>> {
        if !actor(ctx)?.can(ecogov_domain::role::Operation::ViewQuality) {
            return Ok(None);
        }
        let loader = ctx.data::<async_graphql::dataloader::DataLoader<crate::quality::LatestRunLoader>>()?;
        Ok(loader
            .load_one(self.0.id)
            .await
            .map_err(|e| async_graphql::Error::from(ApiError(Error::Internal(e.to_string()))))?
            .map(crate::quality::QualityRun))
    }
    /// The source system (来源系统) the resource names, if any.
    async fn source_system(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SourceSystem>> {
        let draft: ResourceDraft = serde_json::from_str(&self.0.draft).unwrap_or_default();
        if draft.source_system.is_empty() {
            return Ok(None);
        }
        let loader = ctx.data::<DataLoader<SourceSystemLoader>>()?;
        Ok(loader
            .load_one(draft.source_system)
            .await
            .map_err(|e| async_graphql::Error::from(ApiError(Error::Internal(e.to_string()))))?
            .map(SourceSystem))
    }
    /// The fields, in order.
    async fn fields(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CatalogField>> {
        let snap = catalog::snapshot(&core(ctx)?.db, &self.0).await.map_err(ApiError)?;
        Ok(snap.fields.into_iter().map(Into::into).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
}

/// One version of a resource.
pub struct CatalogVersion(pub catalog_version::Model);

#[Object]
impl CatalogVersion {
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(|i| ID(i.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Changes from the previous version.
    async fn changes(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.changes).unwrap_or_default())
    }
    /// The resource and fields as of this version.
    async fn snapshot(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.snapshot).unwrap_or_default())
    }
}

/// One changed attribute between two versions.
#[derive(SimpleObject)]
pub struct CatalogChange {
    /// `resource.name`, `fields.pm25`, `fields.pm25.unit`...
    pub path: String,
    /// Before.
    pub before: Option<Json<serde_json::Value>>,
    /// After.
    pub after: Option<Json<serde_json::Value>>,
}

/// Catalog lifecycle events.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CatalogEvent {
    /// 提交审核
    Submit,
    /// 审核通过并上架
    Approve,
    /// 驳回
    Reject,
    /// 下架
    Offline,
    /// 重新提交
    Resubmit,
}

impl From<CatalogEvent> for Event {
    fn from(e: CatalogEvent) -> Self {
        match e {
            CatalogEvent::Submit => Event::Submit,
            CatalogEvent::Approve => Event::Approve,
            CatalogEvent::Reject => Event::Reject,
            CatalogEvent::Offline => Event::Offline,
            CatalogEvent::Resubmit => Event::Resubmit,
        }
    }
}

/// Filters of the catalog list and search.
#[derive(InputObject, Default)]
pub struct CatalogFilterInput {
    /// Provider department code.
    pub department: Option<String>,
    /// Classification prefix, e.g. `1/02`.
    pub classification: Option<String>,
    /// Grade identifier (core, important, general).
    pub grade: Option<String>,
    /// Share type identifier.
    pub share_type: Option<String>,
    /// Status identifier.
    pub status: Option<String>,
}

impl From<CatalogFilterInput> for CatalogFilter {
    fn from(f: CatalogFilterInput) -> Self {
        CatalogFilter {
            department: f.department,
            classification: f.classification,
            grade: f.grade,
            share_type: f.share_type,
            status: f.status,
        }
    }
}

/// A row problem of an import.
#[derive(SimpleObject)]
pub struct ImportProblem {
    /// Worksheet.
    pub sheet: String,
    /// Excel row number (0 when the problem concerns the whole resource).
    pub row: i32,
    /// Resource code.
    pub code: String,
    /// Column.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// What an import did or would do.
#[derive(SimpleObject)]
pub struct ImportResult {
    /// Whether anything was written.
    pub applied: bool,
    /// Created codes.
    pub created: Vec<String>,
    /// Updated codes.
    pub updated: Vec<String>,
    /// Unchanged codes.
    pub unchanged: Vec<String>,
    /// Problems.
    pub problems: Vec<ImportProblem>,
    /// Data rows read.
    pub rows_read: i32,
}

/// Catalog queries.
#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// One resource by id or code.
    async fn catalog_resource(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> async_graphql::Result<CatalogResource> {
        let (a, c) = (actor(ctx)?, core(ctx)?);
        let r = match (id, code) {
            (Some(id), _) => catalog::get(c, a, parse_id("id", &id)?).await,
            (None, Some(code)) => catalog::get_by_code(c, a, &code).await,
            (None, None) => Err(Error::MissingField("id")),
        };
        Ok(CatalogResource(r.map_err(ApiError)?))
    }

    /// Full-text search (Chinese and English) with filters; an empty query lists by code.
    async fn catalog_resources(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        filter: Option<CatalogFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, CatalogResource, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let f: CatalogFilter = filter.unwrap_or_default().into();
        let q = query.unwrap_or_default();
        if q.chars().count() > 200 {
            return Err(ApiError(Error::invalid("query", "检索词不能超过 200 字")).into());
        }
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = catalog::search(&c, &a, &q, f, page).await?;
            Ok((rows.into_iter().map(CatalogResource).collect(), total))
        })
        .await
    }

    /// Versions of a resource, newest first.
    async fn catalog_versions(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Vec<CatalogVersion>> {
        let rows = catalog::versions(core(ctx)?, actor(ctx)?, parse_id("id", &id)?)
            .await
            .map_err(ApiError)?;
        Ok(rows.into_iter().map(CatalogVersion).collect())
    }

    /// Field-level differences between two versions.
    async fn catalog_diff(
        &self,
        ctx: &Context<'_>,
        id: ID,
        from: i32,
        to: i32,
    ) -> async_graphql::Result<Vec<CatalogChange>> {
        let d = catalog::diff_versions(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, from, to)
            .await
            .map_err(ApiError)?;
        Ok(d.into_iter()
            .map(|c| CatalogChange {
                path: c.path,
                before: c.before.map(Json),
                after: c.after.map(Json),
            })
            .collect())
    }

    /// The catalog (or a filtered part) as an .xlsx workbook, base64-encoded.
    async fn catalog_export(
        &self,
        ctx: &Context<'_>,
        filter: Option<CatalogFilterInput>,
    ) -> async_graphql::Result<String> {
        let bytes = catalog::export(core(ctx)?, actor(ctx)?, filter.unwrap_or_default().into())
            .await
            .map_err(ApiError)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

/// Catalog mutations.
#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Creates a resource (draft, version 1).
    async fn create_catalog_resource(
        &self,
        ctx: &Context<'_>,
        input: CatalogResourceInput,
    ) -> async_graphql::Result<CatalogResource> {
        let a = actor(ctx)?;
        a.require(ecogov_domain::role::Operation::ManageCatalog)
            .map_err(ApiError)?;
        Ok(CatalogResource(
            catalog::create(core(ctx)?, a, input.into_snapshot()?)
                .await
                .map_err(ApiError)?,
        ))
    }

    /// Updates metadata and fields: a new version with its field-level diff.
    async fn update_catalog_resource(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: CatalogResourceInput,
        #[graphql(default)] note: String,
    ) -> async_graphql::Result<CatalogResource> {
        let a = actor(ctx)?;
        a.require(ecogov_domain::role::Operation::ManageCatalog)
            .map_err(ApiError)?;
        Ok(CatalogResource(
            catalog::update(
                core(ctx)?,
                a,
                parse_id("id", &id)?,
                expected_version,
                input.into_snapshot()?,
                &note,
            )
            .await
            .map_err(ApiError)?,
        ))
    }

    /// Moves a resource through draft -> under_review -> published -> offline.
    async fn catalog_transition(
        &self,
        ctx: &Context<'_>,
        id: ID,
        event: CatalogEvent,
        expected_version: i32,
        reason: Option<String>,
    ) -> async_graphql::Result<CatalogResource> {
        Ok(CatalogResource(
            catalog::transition(
                core(ctx)?,
                actor(ctx)?,
                parse_id("id", &id)?,
                event.into(),
                expected_version,
                reason.as_deref(),
            )
            .await
            .map_err(ApiError)?,
        ))
    }

    /// Imports an .xlsx workbook in the standard layout (base64). Nothing is written if any row
    /// is invalid, unless `validOnly`; `dryRun` only reports.
    async fn import_catalog(
        &self,
        ctx: &Context<'_>,
        content_base64: String,
        dry_run: Option<bool>,
        valid_only: Option<bool>,
    ) -> async_graphql::Result<ImportResult> {
        let (dry_run, valid_only) = (dry_run.unwrap_or(false), valid_only.unwrap_or(false));
        let a = actor(ctx)?;
        a.require(ecogov_domain::role::Operation::ManageCatalog)
            .map_err(ApiError)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content_base64.trim())
            .map_err(|_| ApiError(Error::invalid("contentBase64", "不是有效的 base64 内容")))?;
        let o = catalog::import(core(ctx)?, a, &bytes, dry_run, valid_only)
            .await
            .map_err(ApiError)?;
        Ok(ImportResult {
            applied: o.applied,
            created: o.created,
            updated: o.updated,
            unchanged: o.unchanged,
            problems: o
                .problems
                .into_iter()
                .map(|p| ImportProblem {
                    sheet: p.sheet,
                    row: p.row as i32,
                    code: p.code,
                    field: p.field,
                    message: p.message,
                })
                .collect(),
            rows_read: o.rows_read as i32,
        })
    }
}

/// A connection to a database holding governed data. The URL is shown without its password.
pub struct DataSource(pub data_source::Model);

#[Object]
impl DataSource {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Code used in bound tables (`code.table`).
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// postgres, mysql or sqlite.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The connection URL with the password replaced by `***`.
    async fn url(&self) -> &str {
        &self.0.url_display
    }
    async fn source_system(&self) -> &str {
        &self.0.source_system
    }
    /// IANA zone of the source's naive timestamps (quality cut-offs use it).
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    async fn checked_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_at
    }
    async fn check_ok(&self) -> Option<bool> {
        self.0.check_ok
    }
    async fn latency_ms(&self) -> Option<i64> {
        self.0.latency_ms
    }
    async fn check_error(&self) -> Option<&str> {
        self.0.check_error.as_deref()
    }
}

/// Result of a connection test.
#[derive(SimpleObject)]
pub struct ConnectionTest {
    /// Reachable.
    pub ok: bool,
    /// `SELECT 1` round trip.
    pub latency_ms: Option<i64>,
    /// Why not.
    pub error: Option<String>,
}

/// Schema drift of one bound table.
#[derive(SimpleObject)]
pub struct SchemaDrift {
    /// `data_source_code.table`.
    pub table: String,
    /// No difference.
    pub clean: bool,
    /// Summary in Chinese.
    pub summary: String,
    /// The changes (missing table, added, removed, renamed-looking, type/length/nullability).
    pub changes: Json<serde_json::Value>,
    /// Set when a person rejected this very drift (no ticket is opened for it).
    pub rejected_reason: Option<String>,
}

impl From<datasource::DriftResult> for SchemaDrift {
    fn from(r: datasource::DriftResult) -> Self {
        let d = r.drift;
        SchemaDrift {
            clean: d.is_empty(),
            summary: d.summary_zh(),
            changes: Json(serde_json::to_value(&d.changes).unwrap_or_default()),
            table: d.table,
            rejected_reason: r.rejected_reason,
        }
    }
}

/// Data-source queries.
#[derive(Default)]
pub struct DataSourceQuery;

#[Object]
impl DataSourceQuery {
    /// Registered data sources.
    async fn data_sources(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DataSource>> {
        Ok(datasource::list(core(ctx)?, actor(ctx)?)
            .await
            .map_err(ApiError)?
            .into_iter()
            .map(DataSource)
            .collect())
    }
}

/// Data-source mutations.
#[derive(Default)]
pub struct DataSourceMutation;

#[Object]
impl DataSourceMutation {
    /// Registers a data source; the URL (with credentials) is encrypted at rest.
    async fn create_data_source(
        &self,
        ctx: &Context<'_>,
        code: String,
        name: String,
        url: String,
        #[graphql(default)] source_system: String,
    ) -> async_graphql::Result<DataSource> {
        let m = datasource::create(
            core(ctx)?,
            actor(ctx)?,
            datasource::NewDataSource {
                code,
                name,
                url,
                source_system,
            },
        )
        .await
        .map_err(ApiError)?;
        Ok(DataSource(m))
    }

    /// Sets the zone in which the source writes its naive timestamps (e.g. `UTC`,
    /// `Asia/Shanghai`); quality rules compare times in it.
    async fn set_data_source_time_zone(
        &self,
        ctx: &Context<'_>,
        id: ID,
        time_zone: String,
    ) -> async_graphql::Result<DataSource> {
        let m = datasource::set_time_zone(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, &time_zone)
            .await
            .map_err(ApiError)?;
        Ok(DataSource(m))
    }

    /// Tests reachability and latency.
    async fn test_data_source(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ConnectionTest> {
        let r = datasource::test(core(ctx)?, actor(ctx)?, parse_id("id", &id)?)
            .await
            .map_err(ApiError)?;
        Ok(ConnectionTest {
            ok: r.ok,
            latency_ms: r.latency_ms,
            error: r.error,
        })
    }

    /// Compares a resource's bound tables with the real tables; drift opens or updates a
    /// metadata-drift ticket.
    async fn check_schema_drift(&self, ctx: &Context<'_>, resource_id: ID) -> async_graphql::Result<Vec<SchemaDrift>> {
        let d = datasource::check_drift(core(ctx)?, actor(ctx)?, parse_id("resourceId", &resource_id)?)
            .await
            .map_err(ApiError)?;
        Ok(d.into_iter().map(SchemaDrift::from).collect())
    }

    /// Rejects the current drift of a bound table with a reason: the open drift ticket is
    /// closed as invalid, and this very drift opens no ticket again (a different one does).
    async fn reject_schema_drift(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        table: String,
        reason: String,
    ) -> async_graphql::Result<SchemaDrift> {
        Ok(datasource::reject_drift(
            core(ctx)?,
            actor(ctx)?,
            parse_id("resourceId", &resource_id)?,
            &table,
            &reason,
        )
        .await
        .map_err(ApiError)?
        .into())
    }

    /// Adopts a bound table's real structure into the catalog (a new version).
    async fn adopt_schema_drift(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        table: String,
    ) -> async_graphql::Result<CatalogResource> {
        Ok(CatalogResource(
            datasource::adopt_drift(core(ctx)?, actor(ctx)?, parse_id("resourceId", &resource_id)?, &table)
                .await
                .map_err(ApiError)?,
        ))
    }
}
