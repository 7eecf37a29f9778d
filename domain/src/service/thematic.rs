//! What meteorological QC ([`super::met_qc`]) and the air-quality consistency check
//! ([`super::air_check`]) share: their definitions (one table, a `kind` each), reading a bound
//! table of a catalog resource for a date range, and their runs.
//!
//! - A definition names a catalog resource, one of its bound tables (`source.table`) and a
//!   column mapping whose every column must be a catalogued field of the resource; it is
//!   written by quality-rule managers ([`Operation::ManageQualityRules`]) in one transaction
//!   with its audit event, and every change after creation checks `expectedVersion`.
//! - A run reads the mapped columns as text, read-only and time-limited in the source
//!   database ([`crate::quality::run::read_only`]), for whole days in Asia/Shanghai. Times are
//!   read with their offset when the source gives one, otherwise in the mapping's time zone
//!   (default: the data source's). The SQL filter is a day wider on each side than the range
//!   (text timestamps compare loosely); the exact range is applied after parsing.
//! - An unreachable source (or a timeout) opens the data source's collection-failure ticket
//!   (`unreachable:{code}`) and the run ends `error`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;

use super::audit::{self, Change, is_unique_violation};
use super::{Actor, Core, Page, catalog, datasource};
use crate::catalog::introspect::{self, IntrospectError, SourceKind};
use crate::catalog::model::DataType;
use crate::entity::{catalog_resource, data_source, department, thematic_check, thematic_run};
use crate::quality::run::{STATEMENT_TIMEOUT, read_only, text_at};
use crate::role::Operation;
use crate::{Error, Result};

/// Most rows one run reads.
pub const MAX_ROWS: usize = 2_000_000;
/// Longest date range of one run, in days.
pub const MAX_DAYS: i64 = 366;

/// Which check a definition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Meteorological QC.
    MetQc,
    /// Air-quality consistency (口径不一致).
    AirConsistency,
}

impl Kind {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MetQc => "met_qc",
            Kind::AirConsistency => "air_consistency",
        }
    }

    /// Parses the stored identifier.
    pub fn parse(s: &str) -> Result<Kind> {
        match s {
            "met_qc" => Ok(Kind::MetQc),
            "air_consistency" => Ok(Kind::AirConsistency),
            other => Err(Error::Internal(format!("unknown thematic check kind {other}"))),
        }
    }
}

/// A definition as entered (the mapping and thresholds already checked by the kind's module).
#[derive(Debug, Clone)]
pub struct DefinitionInput {
    /// Code, 1-64 of `[A-Za-z0-9_.-]`; fixed after creation.
    pub code: String,
    /// Name.
    pub name: String,
    /// Catalog resource.
    pub resource_id: i64,
    /// One of the resource's bound tables; None: its only one.
    pub bound_table: Option<String>,
}

/// Filters of the run list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this definition.
    pub check_id: Option<i64>,
    /// Only this kind.
    pub kind: Option<Kind>,
}

fn code_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn audit_json(m: &thematic_check::Model) -> serde_json::Value {
    json!({
        "code": m.code, "kind": m.kind, "name": m.name, "resource_id": m.resource_id,
        "bound_table": m.bound_table, "enabled": m.enabled, "version": m.version,
        "mapping": serde_json::from_str::<serde_json::Value>(&m.mapping).unwrap_or_default(),
        "config": serde_json::from_str::<serde_json::Value>(&m.config).unwrap_or_default(),
    })
}

/// Checks the common part of a definition: code, name, resource, bound table, and that every
/// mapped column is a field of the resource. Returns the normalised input and the table.
pub(crate) async fn check_common(
    core: &Core,
    input: DefinitionInput,
    columns: &[(&'static str, &str)],
) -> Result<(DefinitionInput, String)> {
    let code = input.code.trim().to_owned();
    if !code_ok(&code) {
        return Err(Error::invalid("code", "编码须为 1-64 位字母、数字、_、. 或 -"));
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "名称不能为空且不超过 100 字"));
    }
    let r = catalog_resource::Entity::find_by_id(input.resource_id)
        .one(&core.db)
        .await?
        .ok_or_else(|| Error::invalid("resourceId", "目录资源不存在"))?;
    let snap = catalog::snapshot(&core.db, &r).await?;
    let tables = &snap.resource.tables;
    let table = match input.bound_table.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) if tables.iter().any(|x| x == t) => t.to_owned(),
        Some(t) => return Err(Error::invalid("boundTable", format!("资源未绑定数据表：{t}"))),
        None => match tables.as_slice() {
            [only] => only.clone(),
            [] => return Err(Error::invalid("boundTable", "资源未绑定数据表")),
            _ => return Err(Error::invalid("boundTable", "资源绑定了多张数据表，须指明检查哪一张")),
        },
    };
    if !table.contains('.') {
        return Err(Error::invalid("boundTable", "数据表须为 数据源编码.表名"));
    }
    for (field, column) in columns {
        let column = column.trim();
        if column.is_empty() {
            return Err(Error::invalid(format!("mapping.{field}"), "映射列不能为空"));
        }
        if !snap.fields.iter().any(|f| f.name == column) {
            return Err(Error::invalid(
                format!("mapping.{field}"),
                format!("资源没有字段：{column}"),
            ));
        }
    }
    Ok((
        DefinitionInput {
            code,
            name,
            bound_table: Some(table.clone()),
            ..input
        },
        table,
    ))
}

/// Checks an IANA time-zone name of a mapping.
pub(crate) fn check_time_zone(tz: Option<&str>) -> Result<Option<String>> {
    match tz.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(z) if z.parse::<Tz>().is_ok() => Ok(Some(z.to_owned())),
        Some(z) => Err(Error::invalid("mapping.timeZone", format!("时区无效：{z}"))),
    }
}

/// Creates a definition (version 1) with its audit event.
pub(crate) async fn create(
    core: &Core,
    actor: &Actor,
    kind: Kind,
    input: DefinitionInput,
    table: String,
    mapping: String,
    config: String,
) -> Result<thematic_check::Model> {
    let now = core.now();
    let txn = core.begin().await?;
    let m = thematic_check::ActiveModel {
        code: Set(input.code),
        kind: Set(kind.as_str().to_owned()),
        name: Set(input.name),
        resource_id: Set(input.resource_id),
        bound_table: Set(table),
        mapping: Set(mapping),
        config: Set(config),
        enabled: Set(true),
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
            Error::Duplicate("thematic_check_code")
        } else {
            e.into()
        }
    })?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "thematic_check.create",
            subject_type: "thematic_check",
            subject_id: m.code.clone(),
            before: None,
            after: Some(audit_json(&m)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

super::versioned::impl_versioned!(thematic_check, "thematic_check", audit_json);

/// Writes a new version of a definition of `kind` (another kind's id is not found); see
/// [`super::versioned::write_version`].
pub(crate) async fn write_version(
    core: &Core,
    actor: &Actor,
    kind: Kind,
    id: i64,
    expected_version: i32,
    action: &str,
    change: impl FnOnce(&thematic_check::Model) -> Result<thematic_check::ActiveModel>,
) -> Result<thematic_check::Model> {
    super::versioned::write_version::<thematic_check::Entity>(
        core,
        actor,
        id,
        expected_version,
        action,
        |m| m.kind == kind.as_str(),
        change,
    )
    .await
}

/// Enables or disables a definition.
pub async fn set_enabled(
    core: &Core,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    enabled: bool,
) -> Result<thematic_check::Model> {
    actor.require(Operation::ManageQualityRules)?;
    let kind = Kind::parse(&get(core, actor, id).await?.kind)?;
    let action = if enabled {
        "thematic_check.enable"
    } else {
        "thematic_check.disable"
    };
    write_version(core, actor, kind, id, expected_version, action, |_| {
        Ok(thematic_check::ActiveModel {
            enabled: Set(enabled),
            ..Default::default()
        })
    })
    .await
}

/// One definition by id.
pub async fn get(core: &Core, actor: &Actor, id: i64) -> Result<thematic_check::Model> {
    actor.require(Operation::ViewQuality)?;
    thematic_check::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("thematic_check"))
}

/// One definition by code.
pub async fn get_by_code(core: &Core, actor: &Actor, code: &str) -> Result<thematic_check::Model> {
    actor.require(Operation::ViewQuality)?;
    thematic_check::Entity::find()
        .filter(thematic_check::Column::Code.eq(code.trim()))
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("thematic_check"))
}

/// Definitions by code, optionally of one kind.
pub async fn list(
    core: &Core,
    actor: &Actor,
    kind: Option<Kind>,
    page: Page,
) -> Result<(Vec<thematic_check::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = thematic_check::Entity::find();
    if let Some(k) = kind {
        q = q.filter(thematic_check::Column::Kind.eq(k.as_str()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_asc(thematic_check::Column::Code)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// Runs, newest first.
pub async fn runs(
    core: &Core,
    actor: &Actor,
    filter: &RunFilter,
    page: Page,
) -> Result<(Vec<thematic_run::Model>, u64)> {
    actor.require(Operation::ViewQuality)?;
    let mut q = thematic_run::Entity::find();
    if let Some(c) = filter.check_id {
        q = q.filter(thematic_run::Column::CheckId.eq(c));
    }
    if let Some(k) = filter.kind {
        q = q.filter(thematic_run::Column::Kind.eq(k.as_str()));
    }
    let total = q.clone().count(&core.db).await?;
    let rows = q
        .order_by_desc(thematic_run::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&core.db)
        .await?;
    Ok((rows, total))
}

/// One run.
pub async fn get_run(core: &Core, actor: &Actor, id: i64) -> Result<thematic_run::Model> {
    actor.require(Operation::ViewQuality)?;
    thematic_run::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("thematic_run"))
}

/// A run's whole days, Asia/Shanghai, as UTC instants `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
}

impl DateRange {
    /// Parses `YYYY-MM-DD` days and checks the range (from ≤ to, at most [`MAX_DAYS`]).
    pub fn parse(from: &str, to: &str) -> Result<DateRange> {
        let day = |field: &'static str, s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| Error::invalid(field, format!("日期须为 YYYY-MM-DD：{s}")))
        };
        let (from, to) = (day("from", from)?, day("to", to)?);
        if from > to {
            return Err(Error::invalid("to", "结束日期不能早于开始日期"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(Error::invalid("to", format!("一次最多检查 {MAX_DAYS} 天")));
        }
        Ok(DateRange { from, to })
    }

    /// The first instant.
    pub fn start(&self) -> DateTime<Utc> {
        shanghai_midnight(self.from)
    }

    /// The instant after the last day.
    pub fn end(&self) -> DateTime<Utc> {
        shanghai_midnight(self.to + Duration::days(1))
    }
}

fn shanghai_midnight(d: NaiveDate) -> DateTime<Utc> {
    // Asia/Shanghai has no daylight saving since 1991: midnight always exists once.
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
}

/// Parses a timestamp read as text: with an offset (`+08`, `+08:00`, `Z`) as given, otherwise
/// as local time in `tz`.
pub fn parse_time(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M%#z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
    tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

/// Parses a number read as text; empty is none.
pub(crate) fn parse_number(text: Option<&str>) -> std::result::Result<Option<f64>, ()> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse::<f64>().ok().filter(|v| v.is_finite()).map(Some).ok_or(()),
    }
}

/// Why a source could not be read.
#[derive(Debug)]
pub(crate) struct ReadFailure {
    /// For people.
    pub message: String,
    /// Set when the source was unreachable or timed out (a collection failure).
    pub unreachable: Option<data_source::Model>,
}

/// The rows read: one text per requested column, in order; the source's time zone.
pub(crate) struct SourceRows {
    pub rows: Vec<Vec<Option<String>>>,
    pub tz: Tz,
}

/// Reads `columns` (the first two: station and time) of a definition's bound table for the
/// range (a day wider each side), ordered by station and time.
pub(crate) async fn read_rows(
    core: &Core,
    bound_table: &str,
    columns: &[&str],
    time_zone: Option<&str>,
    range: DateRange,
) -> std::result::Result<SourceRows, ReadFailure> {
    let failed = |message: String| ReadFailure {
        message,
        unreachable: None,
    };
    let (code, table) = bound_table
        .split_once('.')
        .ok_or_else(|| failed(format!("数据表无效：{bound_table}")))?;
    let ds = datasource::find_source(core, code, "boundTable")
        .await
        .map_err(|e| failed(e.user_message()))?;
    let unreachable = |message: String, ds: &data_source::Model| ReadFailure {
        message: format!("数据源不可达：{message}"),
        unreachable: Some(ds.clone()),
    };
    let db = match datasource::open(core, &ds).await {
        Ok((db, _)) => db,
        Err(e) => return Err(unreachable(e.to_string(), &ds)),
    };
    let tz: Tz = time_zone
        .and_then(|z| z.parse().ok())
        .or_else(|| ds.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let result = async {
        let t = match introspect::describe(&db, table).await {
            Ok(t) => t,
            Err(e @ (IntrospectError::Unreachable(_) | IntrospectError::Timeout)) => {
                return Err(unreachable(e.to_string(), &ds));
            }
            Err(e) => return Err(failed(e.to_string())),
        };
        let kind = SourceKind::of(&db).map_err(|e| failed(e.to_string()))?;
        let mut cols = Vec::with_capacity(columns.len());
        for name in columns {
            let c = t
                .columns
                .iter()
                .find(|c| c.name == *name)
                .or_else(|| t.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
                .ok_or_else(|| failed(format!("表 {} 没有列 {name}", t.name)))?;
            cols.push(c);
        }
        let text = match kind {
            SourceKind::MySql => "CHAR",
            SourceKind::Postgres | SourceKind::Sqlite => "TEXT",
        };
        let select: Vec<String> = cols
            .iter()
            .map(|c| format!("CAST({} AS {text})", kind.quote(&c.name)))
            .collect();
        let (station, time) = (kind.quote(&cols[0].name), &cols[1]);
        let tq = kind.quote(&time.name);
        // A day wider on each side: the exact range is applied after parsing.
        let lo = range.from - Duration::days(1);
        let hi = range.to + Duration::days(2);
        let (from, to): (sea_orm::Value, sea_orm::Value) = match (kind, time.data_type) {
            (SourceKind::Sqlite, _) | (_, Some(DataType::String | DataType::Text)) => (
                lo.format("%Y-%m-%d").to_string().into(),
                hi.format("%Y-%m-%d").to_string().into(),
            ),
            (_, Some(DataType::Date | DataType::DateTime)) => (lo.into(), hi.into()),
            _ => {
                return Err(failed(format!(
                    "时间列 {} 须为日期时间或文本类型（实际为 {}）",
                    time.name, time.native_type
                )));
            }
        };
        let (p1, p2) = match kind {
            SourceKind::Postgres => ("$1", "$2"),
            SourceKind::MySql | SourceKind::Sqlite => ("?", "?"),
        };
        let table_name = match &t.schema {
            Some(s) if kind != SourceKind::Sqlite => format!("{}.{}", kind.quote(s), kind.quote(&t.name)),
            _ => kind.quote(&t.name),
        };
        let sql = format!(
            "SELECT {} FROM {table_name} WHERE {tq} >= {p1} AND {tq} < {p2} ORDER BY {station}, {tq} LIMIT {}",
            select.join(", "),
            MAX_ROWS + 1
        );
        let rows = read_only(&db, kind, Some(tz), &sql, vec![from, to], STATEMENT_TIMEOUT, "")
            .await
            .map_err(|m| {
                if m.contains("超时") || m.contains("statement timeout") || m.contains("max_statement_time") {
                    unreachable(m, &ds)
                } else {
                    failed(m)
                }
            })?;
        if rows.len() > MAX_ROWS {
            return Err(failed(format!("记录超过 {MAX_ROWS} 行，请缩小日期范围")));
        }
        Ok(rows
            .iter()
            .map(|r| (0..columns.len()).map(|i| text_at(r, i)).collect())
            .collect())
    }
    .await;
    let _ = db.close().await;
    result.map(|rows| SourceRows { rows, tz })
}

/// Inserts a run row (`running`).
pub(crate) async fn start_run(
    core: &Core,
    actor: &Actor,
    def: &thematic_check::Model,
    range: DateRange,
) -> Result<thematic_run::Model> {
    Ok(thematic_run::ActiveModel {
        check_id: Set(def.id),
        kind: Set(def.kind.clone()),
        status: Set("running".into()),
        trigger: Set("manual".into()),
        run_by: Set(actor.audit_id()),
        check_version: Set(def.version),
        from_date: Set(range.from.to_string()),
        to_date: Set(range.to.to_string()),
        records: Set(0),
        stations: Set(0),
        suspect: Set(0),
        wrong: Set(0),
        missing: Set(0),
        not_checked: Set(0),
        flags_stored: Set(0),
        days: Set(0),
        consistent: Set(0),
        inconsistent: Set(0),
        unverifiable: Set(0),
        findings: Set(0),
        tickets: Set(0),
        error: Set(None),
        started_at: Set(core.now()),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&core.db)
    .await?)
}

/// The resource of a definition and its provider department (tickets go there).
pub(crate) async fn resource_and_department(
    core: &Core,
    def: &thematic_check::Model,
) -> Result<(catalog_resource::Model, Option<i64>)> {
    let r = catalog_resource::Entity::find_by_id(def.resource_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound("catalog_resource"))?;
    let department_id = department::Entity::find()
        .filter(department::Column::Code.eq(r.department.clone()))
        .one(&core.db)
        .await?
        .map(|d| d.id);
    Ok((r, department_id))
}

/// Opens (or adds to) the collection-failure ticket of an unreachable source.
pub(crate) async fn report_unreachable(
    core: &Core,
    def: &thematic_check::Model,
    failure: &ReadFailure,
    department_id: Option<i64>,
) -> Result<bool> {
    let Some(ds) = &failure.unreachable else {
        return Ok(false);
    };
    let detail = json!({ "error": failure.message, "thematic_check": def.code, "kind": def.kind });
    datasource::report_unreachable(core, ds, def.kind.as_str(), &failure.message, department_id, detail).await?;
    Ok(true)
}

/// Ends a run that could not read its source, with its audit event.
pub(crate) async fn finish_error(
    core: &Core,
    actor: &Actor,
    def: &thematic_check::Model,
    run: thematic_run::Model,
    message: &str,
    ticket: bool,
) -> Result<thematic_run::Model> {
    let now = core.now();
    let txn = core.begin().await?;
    let mut am: thematic_run::ActiveModel = run.into();
    am.status = Set("error".into());
    am.error = Set(Some(message.to_owned()));
    am.tickets = Set(i64::from(ticket));
    am.finished_at = Set(Some(now));
    let run = am.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "thematic_check.run",
            subject_type: "thematic_check",
            subject_id: def.code.clone(),
            before: None,
            after: Some(json!({
                "run_id": run.id, "kind": run.kind, "status": run.status, "from": run.from_date,
                "to": run.to_date, "error": run.error, "check_version": run.check_version,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(run)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn times_with_and_without_offsets() {
        let sh = chrono_tz::Asia::Shanghai;
        let want = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for s in [
            "2026-01-01 08:00:00",
            "2026-01-01T08:00:00",
            "2026-01-01 08:00",
            "2026-01-01 08:00:00+08",
            "2026-01-01T00:00:00Z",
            "2026-01-01 08:00:00.000",
        ] {
            assert_eq!(parse_time(s, sh), Some(want), "{s}");
        }
        assert_eq!(parse_time("2026-01-01 00:00:00", chrono_tz::UTC), Some(want));
        assert_eq!(parse_time("yesterday", sh), None);
    }

    #[test]
    fn ranges_are_whole_shanghai_days() {
        let r = DateRange::parse("2026-01-01", "2026-01-07").unwrap();
        assert_eq!(r.start(), Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap());
        assert_eq!(r.end(), Utc.with_ymd_and_hms(2026, 1, 7, 16, 0, 0).unwrap());
        assert!(DateRange::parse("2026-01-07", "2026-01-01").is_err());
        assert!(DateRange::parse("2026-01-01", "2027-01-01").is_ok(), "366 days");
        assert!(DateRange::parse("2026-01-01", "2027-01-02").is_err());
        assert!(DateRange::parse("2026-1-1x", "2026-01-02").is_err());
    }
}
