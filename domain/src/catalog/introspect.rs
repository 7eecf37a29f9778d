//! Reading the real tables of a governed data source (数据源探查): connect, list tables, describe
//! a table's columns and take a bounded sample of one column.
//!
//! The bureau's data lives in PostgreSQL, MySQL/MariaDB and SQLite databases that this service
//! does not own, so the rules here are defensive:
//!
//! - **No SQL is built from input.** Table and schema names travel as bound values into the
//!   database's own catalog (`pg_catalog`, `information_schema`, `pragma_table_info(?)`). The one
//!   statement that must name a table and a column ([`sample`]) quotes identifiers that the
//!   database itself returned from [`describe`], never the caller's text.
//! - **Nothing waits long.** Connecting gives up after [`CONNECT_TIMEOUT`] and a refused or
//!   unknown host fails at once (one direct attempt before the pool is built, because the pool
//!   would retry a refused connection until its timeout); every query gives up after
//!   [`QUERY_TIMEOUT`].
//! - **Nothing reads a whole table.** [`sample`] is `... WHERE col IS NOT NULL LIMIT n`, in the
//!   engine's natural order (an `ORDER BY random()` would scan everything), capped at
//!   [`MAX_SAMPLE`].
//!
//! Native types are kept as the database reports them (lower-cased) and normalised to the
//! catalog's [`DataType`] by [`normalise`]; PostgreSQL types come from `format_type` (e.g.
//! `character varying(32)`, `numeric(6,1)`), MySQL/MariaDB from `COLUMN_TYPE` (e.g. `int(11)`,
//! `decimal(10,2)`, `tinyint(1)`), SQLite from the declared type. MariaDB's `JSON` is an alias
//! of `longtext` and is therefore reported as text.

use std::time::{Duration, Instant};

use sea_orm::sqlx;
use sea_orm::{
    ConnAcquireErr, ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, RuntimeErr,
    SqlxMySqlConnector, SqlxPostgresConnector, SqlxSqliteConnector, Statement, Value,
};
use serde::{Deserialize, Serialize};

use super::model::DataType;

/// How long connecting (and acquiring the pooled connection) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one catalog or sample query may take.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The most values [`sample`] returns, whatever the caller asks for.
pub const MAX_SAMPLE: u32 = 10_000;

/// The kind of database behind a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    /// PostgreSQL (`postgres://`, `postgresql://`).
    Postgres,
    /// MySQL or MariaDB (`mysql://`, `mariadb://`).
    MySql,
    /// SQLite (`sqlite:`).
    Sqlite,
}

impl SourceKind {
    /// The kind named by a connection URL's scheme, if supported.
    pub fn from_url(url: &str) -> Option<Self> {
        let (scheme, _) = url.trim().split_once(':')?;
        match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Some(SourceKind::Postgres),
            "mysql" | "mariadb" => Some(SourceKind::MySql),
            "sqlite" => Some(SourceKind::Sqlite),
            _ => None,
        }
    }

    /// Stable identifier: `postgres`, `mysql` or `sqlite`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Postgres => "postgres",
            SourceKind::MySql => "mysql",
            SourceKind::Sqlite => "sqlite",
        }
    }

    /// The kind of an open connection.
    pub fn of(db: &DatabaseConnection) -> Result<Self, IntrospectError> {
        match db.get_database_backend() {
            DbBackend::Postgres => Ok(SourceKind::Postgres),
            DbBackend::MySql => Ok(SourceKind::MySql),
            DbBackend::Sqlite => Ok(SourceKind::Sqlite),
            _ => Err(IntrospectError::Db("不支持的数据库类型".to_owned())),
        }
    }

    /// Quotes an identifier for this dialect, doubling embedded quote characters. Here it is
    /// applied to names the database returned; the quality compiler applies it to column names
    /// checked against the catalog.
    pub fn quote(self, ident: &str) -> String {
        match self {
            SourceKind::MySql => format!("`{}`", ident.replace('`', "``")),
            SourceKind::Postgres | SourceKind::Sqlite => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }
}

/// One column of a real table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Column name as the database spells it.
    pub name: String,
    /// Type as the database reports it, lower-case (`character varying(32)`, `decimal(10,2)`, `int(11)`).
    pub native_type: String,
    /// The catalog type it normalises to; `None` when the type is not one the catalog knows.
    pub data_type: Option<DataType>,
    /// Length (characters, bytes) or precision (decimals), when the type carries one.
    pub length: Option<u32>,
    /// Whether the column accepts NULL.
    pub nullable: bool,
    /// Column comment, if the database keeps one and it is not blank.
    pub comment: Option<String>,
}

/// A real table (or view) with its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Schema (PostgreSQL always; MySQL only when the caller qualified the name; SQLite never).
    pub schema: Option<String>,
    /// Table name as the database spells it.
    pub name: String,
    /// Columns in ordinal order.
    pub columns: Vec<Column>,
    /// Table comment, if any.
    pub comment: Option<String>,
}

/// Why a data source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    /// The database could not be reached or refused the login.
    #[error("数据源不可达：{0}")]
    Unreachable(String),
    /// The named table (or view) does not exist or is not visible.
    #[error("表不存在：{0}")]
    NoSuchTable(String),
    /// The named column does not exist in the table.
    #[error("列不存在：{0}")]
    NoSuchColumn(String),
    /// The database returned an error.
    #[error("数据库错误：{0}")]
    Db(String),
    /// Connecting or a query took too long.
    #[error("连接超时")]
    Timeout,
}

impl From<DbErr> for IntrospectError {
    fn from(e: DbErr) -> Self {
        match &e {
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => IntrospectError::Timeout,
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) => IntrospectError::Unreachable(e.to_string()),
            DbErr::Conn(RuntimeErr::SqlxError(inner)) => connect_error(inner),
            DbErr::Conn(_) => IntrospectError::Unreachable(e.to_string()),
            _ => IntrospectError::Db(e.to_string()),
        }
    }
}

/// Classifies an error met while connecting.
fn connect_error(e: &sqlx::Error) -> IntrospectError {
    match e {
        sqlx::Error::PoolTimedOut => IntrospectError::Timeout,
        other => IntrospectError::Unreachable(other.to_string()),
    }
}

/// Maps a native type to the catalog's [`DataType`] and extracts its length or precision.
///
/// Case and surrounding space are ignored; `unsigned`/`zerofill` and time-zone qualifiers do not
/// change the type. Lengths are taken for character, binary and decimal types only (`varchar(32)`
/// → 32, `decimal(10,2)` → precision 10); an integer display width (`int(11)`) and a fractional
/// second precision (`timestamp(3)`) are not lengths. `tinyint(1)` and `bit(1)` are booleans (how
/// MySQL spells `BOOLEAN`). Arrays, enums of PostgreSQL, geometry, intervals and other types the
/// catalog cannot express give `(None, None)`.
pub fn normalise(native: &str) -> (Option<DataType>, Option<u32>) {
    let lower = native.trim().to_lowercase();
    if lower.is_empty() || lower.ends_with("[]") {
        return (None, None);
    }
    let (head, args, tail) = match lower.find('(') {
        Some(open) => {
            let head = lower.get(..open).unwrap_or_default();
            let rest = lower.get(open + 1..).unwrap_or_default();
            // MySQL enum/set members may contain parentheses; they need no further parsing.
            if matches!(head.trim(), "enum" | "set") {
                return (Some(DataType::String), None);
            }
            match rest.find(')') {
                Some(close) => (
                    head,
                    rest.get(..close).unwrap_or_default(),
                    rest.get(close + 1..).unwrap_or_default(),
                ),
                None => (head, "", ""),
            }
        }
        None => (lower.as_str(), "", ""),
    };
    let mut words: Vec<&str> = head
        .split_whitespace()
        .chain(tail.split_whitespace())
        .filter(|w| !matches!(*w, "unsigned" | "signed" | "zerofill"))
        .collect();
    if let Some(at) = words.iter().position(|w| matches!(*w, "with" | "without")) {
        words.truncate(at);
    }
    let base = words.join(" ");
    let first_arg = args.split(',').next().and_then(|a| a.trim().parse::<u32>().ok());
    let no_args = args.trim().is_empty();

    // Booleans as MySQL spells them: `BOOLEAN` is `tinyint(1)`, and `bit(1)` is common.
    if (base == "tinyint" && first_arg == Some(1)) || (base == "bit" && (no_args || first_arg == Some(1))) {
        return (Some(DataType::Boolean), None);
    }
    NATIVE_TYPES
        .iter()
        .find(|(names, _, _)| names.contains(&base.as_str()))
        .map_or((None, None), |&(_, t, takes_length)| {
            (Some(t), first_arg.filter(|_| takes_length))
        })
}

/// Native type names (without arguments or modifiers), the catalog type they normalise to, and
/// whether their first argument is a length (or a decimal's precision).
#[rustfmt::skip]
const NATIVE_TYPES: &[(&[&str], DataType, bool)] = &[
    (&["varchar", "character varying", "char", "character", "bpchar", "nvarchar", "nchar",
       "national character varying", "national varchar", "national character", "national char",
       "varying character", "native character", "varchar2", "nvarchar2"], DataType::String, true),
    (&["uuid", "enum", "set"], DataType::String, false),
    (&["text", "tinytext", "mediumtext", "longtext", "clob", "ntext", "citext"], DataType::Text, true),
    (&["int", "integer", "int2", "int4", "int8", "smallint", "bigint", "mediumint", "tinyint", "big int",
       "serial", "smallserial", "bigserial", "serial2", "serial4", "serial8", "year"], DataType::Integer, false),
    (&["numeric", "decimal", "dec", "fixed", "number", "money"], DataType::Decimal, true),
    (&["real", "float", "float4", "float8", "double", "double precision"], DataType::Float, false),
    (&["bool", "boolean"], DataType::Boolean, false),
    (&["bit", "bit varying", "varbit", "binary", "varbinary"], DataType::Binary, true),
    (&["bytea", "blob", "tinyblob", "mediumblob", "longblob"], DataType::Binary, false),
    (&["date"], DataType::Date, false),
    (&["timestamp", "timestamptz", "datetime", "smalldatetime", "datetime2"], DataType::DateTime, false),
    (&["time", "timetz"], DataType::Time, false),
    (&["json", "jsonb"], DataType::Json, false),
];

/// Connects to a data source and measures a `SELECT 1` round trip.
///
/// A small pool (up to [`crate::quality::run::CONCURRENCY`] connections, opened on demand: a
/// quality run sends a few independent statements at once; one for SQLite) with connect/acquire
/// timeouts of
/// [`CONNECT_TIMEOUT`]. A single direct
/// attempt comes first so that a refused port, an unknown host, a wrong password or a missing
/// SQLite file is reported at once as [`IntrospectError::Unreachable`] instead of being retried
/// by the pool until it times out.
pub async fn connect(url: &str) -> Result<(DatabaseConnection, Duration), IntrospectError> {
    let kind = SourceKind::from_url(url).ok_or_else(|| {
        IntrospectError::Unreachable("不支持的连接地址（须以 postgres://、mysql:// 或 sqlite: 开头）".to_owned())
    })?;
    probe(kind, url).await?;

    let mut options = ConnectOptions::new(url);
    // SQLite stays on one connection: its file is local, and schema changes made through one
    // connection are not always seen at once by another.
    let pool = if kind == SourceKind::Sqlite {
        1
    } else {
        crate::quality::run::CONCURRENCY as u32
    };
    options
        .max_connections(pool)
        .min_connections(0)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false);
    // The per-backend connectors, not `Database::connect`: the latter panics on a URL it cannot parse.
    let connecting = async {
        match kind {
            SourceKind::Postgres => SqlxPostgresConnector::connect(options).await,
            SourceKind::MySql => SqlxMySqlConnector::connect(options).await,
            SourceKind::Sqlite => SqlxSqliteConnector::connect(options).await,
        }
    };
    let db = tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_secs(1), connecting)
        .await
        .map_err(|_| IntrospectError::Timeout)??;

    let started = Instant::now();
    query(&db, "SELECT 1", []).await?;
    Ok((db, started.elapsed()))
}

/// One direct connection attempt, closed again: fails fast where the pool would retry.
async fn probe(kind: SourceKind, url: &str) -> Result<(), IntrospectError> {
    async fn attempt<C: sqlx::Connection>(url: &str) -> Result<(), IntrospectError> {
        let connection = tokio::time::timeout(CONNECT_TIMEOUT, C::connect(url))
            .await
            .map_err(|_| IntrospectError::Timeout)?
            .map_err(|e| connect_error(&e))?;
        // Closing politely is a courtesy to the server; a failure here changes nothing.
        let _ = connection.close().await;
        Ok(())
    }
    match kind {
        SourceKind::Postgres => attempt::<sqlx::PgConnection>(url).await,
        SourceKind::MySql => attempt::<sqlx::MySqlConnection>(url).await,
        SourceKind::Sqlite => attempt::<sqlx::SqliteConnection>(url).await,
    }
}

/// Runs one statement with bound values under [`QUERY_TIMEOUT`].
async fn query<const N: usize>(
    db: &DatabaseConnection,
    sql: &str,
    values: [Value; N],
) -> Result<Vec<QueryResult>, IntrospectError> {
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    tokio::time::timeout(QUERY_TIMEOUT, db.query_all_raw(statement))
        .await
        .map_err(|_| IntrospectError::Timeout)?
        .map_err(IntrospectError::from)
}

/// A text cell; falls back to bytes (lossily decoded) for drivers that report catalog strings
/// or cast values as binary.
fn text_at(row: &QueryResult, idx: usize) -> Result<Option<String>, IntrospectError> {
    match row.try_get_by_index::<Option<String>>(idx) {
        Ok(v) => Ok(v),
        Err(first) => match row.try_get_by_index::<Option<Vec<u8>>>(idx) {
            Ok(v) => Ok(v.map(|b| String::from_utf8_lossy(&b).into_owned())),
            Err(_) => Err(first.into()),
        },
    }
}

fn required_text(row: &QueryResult, idx: usize) -> Result<String, IntrospectError> {
    text_at(row, idx)?.ok_or_else(|| IntrospectError::Db(format!("目录查询第 {idx} 列意外为空")))
}

fn comment_at(row: &QueryResult, idx: usize) -> Result<Option<String>, IntrospectError> {
    Ok(text_at(row, idx)?
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty()))
}

/// Lists the tables and views of the database as `(schema, name)`, sorted.
///
/// PostgreSQL: every schema except `pg_catalog`, `information_schema`, TOAST and temporary ones;
/// ordinary, partitioned and foreign tables, views and materialised views (partitions are left out,
/// their parent stands for them). MySQL/MariaDB: the connection's current database, schema `None`.
/// SQLite: the main database without its internal `sqlite_%` tables, schema `None`.
pub async fn list_tables(db: &DatabaseConnection) -> Result<Vec<(Option<String>, String)>, IntrospectError> {
    match SourceKind::of(db)? {
        SourceKind::Postgres => {
            let rows = query(
                db,
                r"SELECT n.nspname::text, c.relname::text
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
                    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                    AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
                  ORDER BY 1, 2",
                [],
            )
            .await?;
            rows.iter()
                .map(|r| Ok((Some(required_text(r, 0)?), required_text(r, 1)?)))
                .collect()
        }
        SourceKind::MySql => {
            let rows = query(
                db,
                "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
                [],
            )
            .await?;
            rows.iter().map(|r| Ok((None, required_text(r, 0)?))).collect()
        }
        SourceKind::Sqlite => {
            let rows = query(
                db,
                r"SELECT name FROM sqlite_master
                  WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
                  ORDER BY name",
                [],
            )
            .await?;
            rows.iter().map(|r| Ok((None, required_text(r, 0)?))).collect()
        }
    }
}

/// Picks the table the caller meant among catalog rows `(schema, name, rest...)` matched
/// case-insensitively: the exact spelling if present, else the only candidate.
fn pick<T>(mut found: Vec<T>, exact: impl Fn(&T) -> bool) -> Option<T> {
    if let Some(at) = found.iter().position(&exact) {
        return Some(found.swap_remove(at));
    }
    if found.len() == 1 { found.pop() } else { None }
}

/// Splits `schema.table` (PostgreSQL, MySQL); SQLite names are taken whole.
fn split_name(kind: SourceKind, table: &str) -> (Option<&str>, &str) {
    match (kind, table.split_once('.')) {
        (SourceKind::Postgres | SourceKind::MySql, Some((schema, name))) => (Some(schema.trim()), name.trim()),
        _ => (None, table.trim()),
    }
}

/// Describes one table (or view): its columns in ordinal order, their types and comments.
///
/// `table` may be `schema.table` on PostgreSQL and MySQL. Unqualified PostgreSQL names are looked
/// up along the `search_path`. Names match exactly first, then case-insensitively when that is
/// unambiguous (`AIR_STATION_HOURLY` finds `air_station_hourly`).
pub async fn describe(db: &DatabaseConnection, table: &str) -> Result<Table, IntrospectError> {
    let kind = SourceKind::of(db)?;
    let (schema, name) = split_name(kind, table);
    let missing = || IntrospectError::NoSuchTable(table.to_owned());
    if name.is_empty() || schema.is_some_and(str::is_empty) {
        return Err(missing());
    }
    match kind {
        SourceKind::Postgres => describe_postgres(db, schema, name).await?.ok_or_else(missing),
        SourceKind::MySql => describe_mysql(db, schema, name).await?.ok_or_else(missing),
        SourceKind::Sqlite => describe_sqlite(db, name).await?.ok_or_else(missing),
    }
}

async fn describe_postgres(
    db: &DatabaseConnection,
    schema: Option<&str>,
    name: &str,
) -> Result<Option<Table>, IntrospectError> {
    const SELECT: &str = r"SELECT n.nspname::text, c.relname::text, pg_catalog.obj_description(c.oid, 'pg_class')
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND lower(c.relname) = lower($1)";
    let rows = match schema {
        Some(s) => {
            query(
                db,
                &format!("{SELECT} AND lower(n.nspname) = lower($2)"),
                [name.into(), s.into()],
            )
            .await?
        }
        None => {
            query(
                db,
                &format!("{SELECT} AND pg_catalog.pg_table_is_visible(c.oid)"),
                [name.into()],
            )
            .await?
        }
    };
    let mut found = Vec::with_capacity(rows.len());
    for r in &rows {
        found.push((required_text(r, 0)?, required_text(r, 1)?, comment_at(r, 2)?));
    }
    let Some((schema, name, comment)) = pick(found, |(s, n, _)| n == name && schema.is_none_or(|want| want == s))
    else {
        return Ok(None);
    };
    let rows = query(
        db,
        r"SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
                 pg_catalog.col_description(a.attrelid, a.attnum)
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum",
        [schema.as_str().into(), name.as_str().into()],
    )
    .await?;
    let mut columns = Vec::with_capacity(rows.len());
    for r in &rows {
        let nullable = r.try_get_by_index::<bool>(2)?;
        columns.push(column(
            required_text(r, 0)?,
            &required_text(r, 1)?,
            nullable,
            comment_at(r, 3)?,
        ));
    }
    Ok(Some(Table {
        schema: Some(schema),
        name,
        columns,
        comment,
    }))
}

async fn describe_mysql(
    db: &DatabaseConnection,
    schema: Option<&str>,
    name: &str,
) -> Result<Option<Table>, IntrospectError> {
    let rows = query(
        db,
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(TABLE_TYPE AS CHAR), \
                CAST(TABLE_COMMENT AS CHAR) \
         FROM information_schema.TABLES WHERE LOWER(TABLE_SCHEMA) = LOWER(COALESCE(?, DATABASE())) AND LOWER(TABLE_NAME) = LOWER(?)",
        [schema.map(str::to_owned).into(), name.into()],
    )
    .await?;
    let mut found = Vec::with_capacity(rows.len());
    for r in &rows {
        let is_view = text_at(r, 2)?.is_some_and(|t| t.eq_ignore_ascii_case("VIEW"));
        // MySQL reports a view's comment as the word "VIEW".
        let comment = if is_view { None } else { comment_at(r, 3)? };
        found.push((required_text(r, 0)?, required_text(r, 1)?, comment));
    }
    let Some((db_schema, db_name, comment)) = pick(found, |(s, n, _)| n == name && schema.is_none_or(|want| want == s))
    else {
        return Ok(None);
    };
    let rows = query(
        db,
        "SELECT CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR), \
                CAST(COLUMN_COMMENT AS CHAR) \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        [db_schema.as_str().into(), db_name.as_str().into()],
    )
    .await?;
    let mut columns = Vec::with_capacity(rows.len());
    for r in &rows {
        let nullable = text_at(r, 2)?.is_some_and(|v| v.eq_ignore_ascii_case("YES"));
        columns.push(column(
            required_text(r, 0)?,
            &required_text(r, 1)?,
            nullable,
            comment_at(r, 3)?,
        ));
    }
    Ok(Some(Table {
        schema: schema.map(|_| db_schema),
        name: db_name,
        columns,
        comment,
    }))
}

async fn describe_sqlite(db: &DatabaseConnection, name: &str) -> Result<Option<Table>, IntrospectError> {
    let rows = query(
        db,
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE",
        [name.into()],
    )
    .await?;
    let found = rows
        .iter()
        .map(|r| required_text(r, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(db_name) = pick(found, |n| n == name) else {
        return Ok(None);
    };
    let rows = query(
        db,
        r#"SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid"#,
        [db_name.as_str().into()],
    )
    .await?;
    let mut raw = Vec::with_capacity(rows.len());
    for r in &rows {
        let not_null = r.try_get_by_index::<i64>(2)? != 0;
        let pk = r.try_get_by_index::<i64>(3)?;
        raw.push((required_text(r, 0)?, text_at(r, 1)?.unwrap_or_default(), not_null, pk));
    }
    // An `INTEGER PRIMARY KEY` is the rowid and can never be NULL, though the pragma says notnull = 0.
    let single_pk = raw.iter().filter(|c| c.3 > 0).count() == 1;
    let columns = raw
        .into_iter()
        .map(|(name, native, not_null, pk)| {
            let rowid = single_pk && pk > 0 && native.trim().eq_ignore_ascii_case("integer");
            column(name, &native, !(not_null || rowid), None)
        })
        .collect();
    Ok(Some(Table {
        schema: None,
        name: db_name,
        columns,
        comment: None,
    }))
}

fn column(name: String, native: &str, nullable: bool, comment: Option<String>) -> Column {
    let native_type = native.trim().to_lowercase();
    let (data_type, length) = normalise(&native_type);
    Column {
        name,
        native_type,
        data_type,
        length,
        nullable,
        comment,
    }
}

/// A bounded sample of one column's non-null values, as text, for the sensitivity scanner.
///
/// The table and column are first checked with [`describe`]; the statement then names them by the
/// spelling the database returned, quoted as identifiers: `SELECT CAST(col AS text) FROM t WHERE
/// col IS NOT NULL LIMIT n`. At most `min(limit, MAX_SAMPLE)` values, in the engine's natural order.
/// Values that are not valid UTF-8 are decoded lossily.
pub async fn sample(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
    limit: u32,
) -> Result<Vec<String>, IntrospectError> {
    let kind = SourceKind::of(db)?;
    let described = describe(db, table).await?;
    let wanted = column.trim();
    let found: Vec<&Column> = described
        .columns
        .iter()
        .filter(|c| c.name.eq_ignore_ascii_case(wanted))
        .collect();
    let col =
        pick(found, |c| c.name == wanted).ok_or_else(|| IntrospectError::NoSuchColumn(format!("{table}.{column}")))?;
    let limit = limit.min(MAX_SAMPLE);
    if limit == 0 {
        return Ok(Vec::new());
    }

    let from = match &described.schema {
        Some(schema) => format!("{}.{}", kind.quote(schema), kind.quote(&described.name)),
        None => kind.quote(&described.name),
    };
    let quoted = kind.quote(&col.name);
    let (cast, placeholder) = match kind {
        SourceKind::Postgres => ("text", "$1"),
        SourceKind::MySql => ("CHAR", "?"),
        SourceKind::Sqlite => ("TEXT", "?"),
    };
    let sql = format!("SELECT CAST({quoted} AS {cast}) FROM {from} WHERE {quoted} IS NOT NULL LIMIT {placeholder}");
    let rows = query(db, &sql, [i64::from(limit).into()]).await?;
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(v) = text_at(r, 0)? {
            values.push(v);
        }
    }
    Ok(values)
}

/// A bounded sample of whole rows: the values of some columns, as text, row by row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowSample {
    /// The requested columns that exist, spelled as the caller asked, in the caller's order.
    pub columns: Vec<String>,
    /// The requested columns the table does not have.
    pub missing: Vec<String>,
    /// One entry per sampled row, one value per column of [`RowSample::columns`] (None for SQL
    /// NULL).
    pub rows: Vec<Vec<Option<String>>>,
}

impl RowSample {
    /// The values of one column (by the caller's spelling), or None if it was not sampled.
    pub fn column(&self, name: &str) -> Option<Vec<Option<&str>>> {
        let at = self.columns.iter().position(|c| c == name)?;
        Some(self.rows.iter().map(|r| r.get(at).and_then(|v| v.as_deref())).collect())
    }
}

/// A bounded sample of rows of some columns, for the sensitivity scanner.
///
/// Unlike [`sample`], which skips NULLs and may therefore walk a sparse column to the end of a
/// large table, this reads at most `min(limit, MAX_SAMPLE)` rows whatever they hold: `SELECT
/// CAST(a AS text), CAST(b AS text) FROM t LIMIT n`, in the engine's natural order, one statement
/// for all columns. Tables and columns are checked with [`describe`] first and named by the
/// spelling the database returned, quoted; requested columns the table lacks are listed in
/// [`RowSample::missing`] instead of failing (drift checks report them).
pub async fn sample_rows(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    limit: u32,
) -> Result<RowSample, IntrospectError> {
    let kind = SourceKind::of(db)?;
    let described = describe(db, table).await?;
    let mut out = RowSample::default();
    let mut quoted = Vec::new();
    let cast = match kind {
        SourceKind::Postgres => "text",
        SourceKind::MySql => "CHAR",
        SourceKind::Sqlite => "TEXT",
    };
    for wanted in columns {
        let wanted = wanted.trim();
        let found: Vec<&Column> = described
            .columns
            .iter()
            .filter(|c| c.name.eq_ignore_ascii_case(wanted))
            .collect();
        match pick(found, |c| c.name == wanted) {
            Some(col) if !out.columns.iter().any(|c| c.eq_ignore_ascii_case(wanted)) => {
                out.columns.push(wanted.to_owned());
                quoted.push(format!("CAST({} AS {cast})", kind.quote(&col.name)));
            }
            Some(_) => {}
            None => out.missing.push(wanted.to_owned()),
        }
    }
    let limit = limit.min(MAX_SAMPLE);
    if limit == 0 || quoted.is_empty() {
        return Ok(out);
    }
    let from = match &described.schema {
        Some(schema) => format!("{}.{}", kind.quote(schema), kind.quote(&described.name)),
        None => kind.quote(&described.name),
    };
    let placeholder = if kind == SourceKind::Postgres { "$1" } else { "?" };
    let sql = format!("SELECT {} FROM {from} LIMIT {placeholder}", quoted.join(", "));
    let rows = query(db, &sql, [i64::from(limit).into()]).await?;
    for r in &rows {
        let mut values = Vec::with_capacity(out.columns.len());
        for i in 0..out.columns.len() {
            values.push(text_at(r, i)?);
        }
        out.rows.push(values);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::catalog::drift::{Change, adopt, compare};

    #[test]
    fn normalise_postgres_types() {
        use DataType as T;
        let cases: &[(&str, Option<T>, Option<u32>)] = &[
            ("character varying(32)", Some(T::String), Some(32)),
            ("character varying", Some(T::String), None),
            ("character(1)", Some(T::String), Some(1)),
            ("bpchar", Some(T::String), None),
            ("text", Some(T::Text), None),
            ("integer", Some(T::Integer), None),
            ("bigint", Some(T::Integer), None),
            ("smallint", Some(T::Integer), None),
            ("serial", Some(T::Integer), None),
            ("numeric(10,2)", Some(T::Decimal), Some(10)),
            ("numeric", Some(T::Decimal), None),
            ("real", Some(T::Float), None),
            ("double precision", Some(T::Float), None),
            ("boolean", Some(T::Boolean), None),
            ("date", Some(T::Date), None),
            ("timestamp without time zone", Some(T::DateTime), None),
            ("timestamp(3) with time zone", Some(T::DateTime), None),
            ("timestamptz", Some(T::DateTime), None),
            ("time without time zone", Some(T::Time), None),
            ("time(0) with time zone", Some(T::Time), None),
            ("bytea", Some(T::Binary), None),
            ("json", Some(T::Json), None),
            ("jsonb", Some(T::Json), None),
            ("uuid", Some(T::String), None),
            ("integer[]", None, None),
            ("character varying(20)[]", None, None),
            ("interval", None, None),
            ("geometry(Point,4326)", None, None),
            ("tsvector", None, None),
        ];
        for (native, t, len) in cases {
            assert_eq!(normalise(native), (*t, *len), "{native}");
        }
    }

    #[test]
    fn normalise_mysql_types() {
        use DataType as T;
        let cases: &[(&str, Option<T>, Option<u32>)] = &[
            ("varchar(8)", Some(T::String), Some(8)),
            ("char(18)", Some(T::String), Some(18)),
            ("tinytext", Some(T::Text), None),
            ("mediumtext", Some(T::Text), None),
            ("longtext", Some(T::Text), None),
            ("int(11)", Some(T::Integer), None),
            ("int", Some(T::Integer), None),
            ("int(10) unsigned", Some(T::Integer), None),
            ("bigint(20) unsigned zerofill", Some(T::Integer), None),
            ("mediumint(9)", Some(T::Integer), None),
            ("tinyint(4)", Some(T::Integer), None),
            ("tinyint(1)", Some(T::Boolean), None),
            ("bit(1)", Some(T::Boolean), None),
            ("bit(8)", Some(T::Binary), Some(8)),
            ("decimal(10,2)", Some(T::Decimal), Some(10)),
            ("decimal(6,1) unsigned", Some(T::Decimal), Some(6)),
            ("float", Some(T::Float), None),
            ("float(7,4)", Some(T::Float), None),
            ("double", Some(T::Float), None),
            ("date", Some(T::Date), None),
            ("datetime", Some(T::DateTime), None),
            ("datetime(6)", Some(T::DateTime), None),
            ("timestamp", Some(T::DateTime), None),
            ("time(3)", Some(T::Time), None),
            ("year(4)", Some(T::Integer), None),
            ("blob", Some(T::Binary), None),
            ("longblob", Some(T::Binary), None),
            ("binary(16)", Some(T::Binary), Some(16)),
            ("varbinary(255)", Some(T::Binary), Some(255)),
            ("json", Some(T::Json), None),
            ("enum('a','b(c)')", Some(T::String), None),
            ("set('x','y')", Some(T::String), None),
            ("point", None, None),
            ("VARCHAR(64)", Some(T::String), Some(64)),
        ];
        for (native, t, len) in cases {
            assert_eq!(normalise(native), (*t, *len), "{native}");
        }
    }

    #[test]
    fn normalise_sqlite_types() {
        use DataType as T;
        let cases: &[(&str, Option<T>, Option<u32>)] = &[
            ("INTEGER", Some(T::Integer), None),
            ("INT", Some(T::Integer), None),
            ("UNSIGNED BIG INT", Some(T::Integer), None),
            ("INT8", Some(T::Integer), None),
            ("VARCHAR(255)", Some(T::String), Some(255)),
            ("VARYING CHARACTER(255)", Some(T::String), Some(255)),
            ("NCHAR(55)", Some(T::String), Some(55)),
            ("NATIVE CHARACTER(70)", Some(T::String), Some(70)),
            ("NVARCHAR(100)", Some(T::String), Some(100)),
            ("TEXT", Some(T::Text), None),
            ("CLOB", Some(T::Text), None),
            ("BLOB", Some(T::Binary), None),
            ("REAL", Some(T::Float), None),
            ("DOUBLE PRECISION", Some(T::Float), None),
            ("FLOAT", Some(T::Float), None),
            ("NUMERIC", Some(T::Decimal), None),
            ("DECIMAL(10,5)", Some(T::Decimal), Some(10)),
            ("BOOLEAN", Some(T::Boolean), None),
            ("DATE", Some(T::Date), None),
            ("DATETIME", Some(T::DateTime), None),
            ("", None, None),
            ("  ", None, None),
            ("point", None, None),
        ];
        for (native, t, len) in cases {
            assert_eq!(normalise(native), (*t, *len), "{native:?}");
        }
    }

    #[test]
    fn source_kinds_from_urls() {
        assert_eq!(SourceKind::from_url("postgres://u@h/db"), Some(SourceKind::Postgres));
        assert_eq!(SourceKind::from_url("PostgreSQL://u@h/db"), Some(SourceKind::Postgres));
        assert_eq!(SourceKind::from_url("mysql://root@h/test"), Some(SourceKind::MySql));
        assert_eq!(SourceKind::from_url("mariadb://root@h/test"), Some(SourceKind::MySql));
        assert_eq!(
            SourceKind::from_url("sqlite:///tmp/a.db?mode=ro"),
            Some(SourceKind::Sqlite)
        );
        assert_eq!(SourceKind::from_url("sqlite::memory:"), Some(SourceKind::Sqlite));
        assert_eq!(SourceKind::from_url("oracle://h/x"), None);
        assert_eq!(SourceKind::from_url("no scheme"), None);
        assert_eq!(SourceKind::MySql.as_str(), "mysql");
    }

    #[test]
    fn identifiers_are_quoted_and_escaped() {
        assert_eq!(SourceKind::Postgres.quote(r#"a"b"#), r#""a""b""#);
        assert_eq!(SourceKind::Sqlite.quote("pm25"), r#""pm25""#);
        assert_eq!(SourceKind::MySql.quote("a`b"), "`a``b`");
    }

    // ---- against real databases ----

    use crate::testdb::{exec, external_disabled, suffix};

    /// The same story on every backend: create, describe, sample, alter, compare.
    async fn air_station_story(db: DatabaseConnection, kind: SourceKind, table: String) {
        let t = table.as_str();
        let comments = kind != SourceKind::Sqlite;
        match kind {
            SourceKind::MySql => {
                exec(
                    &db,
                    &format!(
                        "CREATE TABLE {t} (station_code varchar(8) not null COMMENT '站点编码', \
                         observed_at timestamp null, pm25 decimal(6,1) COMMENT 'PM2.5 浓度', pm10 int, flag char(1)) \
                         COMMENT = '空气质量小时数据'"
                    ),
                )
                .await;
            }
            _ => {
                exec(
                    &db,
                    &format!(
                        "CREATE TABLE {t} (station_code varchar(8) not null, observed_at timestamp null, \
                         pm25 decimal(6,1), pm10 int, flag char(1))"
                    ),
                )
                .await;
            }
        }
        if kind == SourceKind::Postgres {
            exec(&db, &format!("COMMENT ON TABLE {t} IS '空气质量小时数据'")).await;
            exec(&db, &format!("COMMENT ON COLUMN {t}.station_code IS '站点编码'")).await;
            exec(&db, &format!("COMMENT ON COLUMN {t}.pm25 IS 'PM2.5 浓度'")).await;
        }
        exec(
            &db,
            &format!(
                "INSERT INTO {t} (station_code, observed_at, pm25, pm10, flag) VALUES \
                 ('42010001', '2024-05-01 08:00:00', 35.5, 60, 'N'), \
                 ('42010002', '2024-05-01 08:00:00', 41.0, 72, 'N'), \
                 ('42010003', '2024-05-01 08:00:00', 12.3, 20, 'N'), \
                 ('42010004', '2024-05-01 09:00:00', 8.0, 15, 'H'), \
                 ('42010005', NULL, NULL, 10, NULL)"
            ),
        )
        .await;

        // describe
        let described = describe(&db, t).await.unwrap();
        assert_eq!(described.name, t);
        let names: Vec<&str> = described.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["station_code", "observed_at", "pm25", "pm10", "flag"]);
        let natives: Vec<&str> = described.columns.iter().map(|c| c.native_type.as_str()).collect();
        let expected_natives = match kind {
            SourceKind::Postgres => [
                "character varying(8)",
                "timestamp without time zone",
                "numeric(6,1)",
                "integer",
                "character(1)",
            ],
            // MariaDB keeps the integer display width; MySQL 8 would say "int".
            SourceKind::MySql if natives[3] == "int" => ["varchar(8)", "timestamp", "decimal(6,1)", "int", "char(1)"],
            SourceKind::MySql => ["varchar(8)", "timestamp", "decimal(6,1)", "int(11)", "char(1)"],
            SourceKind::Sqlite => ["varchar(8)", "timestamp", "decimal(6,1)", "int", "char(1)"],
        };
        assert_eq!(natives, expected_natives);
        let types: Vec<Option<DataType>> = described.columns.iter().map(|c| c.data_type).collect();
        use DataType as T;
        assert_eq!(
            types,
            [
                Some(T::String),
                Some(T::DateTime),
                Some(T::Decimal),
                Some(T::Integer),
                Some(T::String)
            ]
        );
        let lengths: Vec<Option<u32>> = described.columns.iter().map(|c| c.length).collect();
        assert_eq!(lengths, [Some(8), None, Some(6), None, Some(1)]);
        let nullable: Vec<bool> = described.columns.iter().map(|c| c.nullable).collect();
        assert_eq!(nullable, [false, true, true, true, true]);
        if comments {
            assert_eq!(described.comment.as_deref(), Some("空气质量小时数据"));
            let cs: Vec<Option<&str>> = described.columns.iter().map(|c| c.comment.as_deref()).collect();
            assert_eq!(cs, [Some("站点编码"), None, Some("PM2.5 浓度"), None, None]);
        }

        // case-insensitive lookup, views, listing
        assert_eq!(describe(&db, &t.to_uppercase()).await.unwrap().name, t);
        exec(&db, &format!("CREATE VIEW {t}_v AS SELECT station_code, pm25 FROM {t}")).await;
        let view = describe(&db, &format!("{t}_v")).await.unwrap();
        assert_eq!(view.columns.len(), 2);
        assert_eq!(view.comment, None);
        let listed = list_tables(&db).await.unwrap();
        let schema = (kind == SourceKind::Postgres).then(|| "public".to_owned());
        assert!(listed.contains(&(schema.clone(), t.to_owned())), "{listed:?}");
        assert!(listed.contains(&(schema.clone(), format!("{t}_v"))), "{listed:?}");
        exec(&db, &format!("DROP VIEW {t}_v")).await;

        // sample: bounded, non-null, as text, column checked first
        let three = sample(&db, t, "pm25", 3).await.unwrap();
        assert_eq!(three.len(), 3, "{three:?}");
        let all = sample(&db, t, "PM25", 100).await.unwrap();
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(all.iter().any(|v| v == "35.5"), "{all:?}");
        let codes = sample(&db, t, "station_code", 2).await.unwrap();
        assert_eq!(codes.len(), 2);
        assert!(codes.iter().all(|c| c.starts_with("4201000")), "{codes:?}");
        assert!(sample(&db, t, "pm25", 0).await.unwrap().is_empty());
        let rows = sample_rows(&db, t, &["PM25", "station_code", "nope; --", "pm25"], 3)
            .await
            .unwrap();
        assert_eq!(rows.columns, ["PM25", "station_code"]);
        assert_eq!(rows.missing, ["nope; --"]);
        assert_eq!(rows.rows.len(), 3, "at most the limit, NULLs included");
        assert_eq!(rows.column("station_code").unwrap().len(), 3);
        assert!(rows.column("pm25").is_none());
        assert!(sample_rows(&db, t, &["pm25"], 0).await.unwrap().rows.is_empty());
        assert!(matches!(
            sample(&db, t, "pm25; DROP TABLE x", 5).await,
            Err(IntrospectError::NoSuchColumn(_))
        ));
        assert!(matches!(
            sample(&db, &format!("{t}; --"), "pm25", 5).await,
            Err(IntrospectError::NoSuchTable(_))
        ));

        // missing table
        let missing = format!("{t}_missing");
        assert!(matches!(describe(&db, &missing).await, Err(IntrospectError::NoSuchTable(m)) if m == missing));
        assert!(matches!(describe(&db, "").await, Err(IntrospectError::NoSuchTable(_))));

        // catalog from the table, then alter the table: exactly those changes
        let catalog = adopt(&[], &described);
        assert!(compare(t, &catalog, Some(&described)).is_empty());
        match kind {
            SourceKind::Postgres => {
                exec(&db, &format!("ALTER TABLE {t} ADD COLUMN aqi int")).await;
                exec(&db, &format!("ALTER TABLE {t} DROP COLUMN flag")).await;
                exec(&db, &format!("ALTER TABLE {t} ALTER COLUMN pm10 TYPE decimal(6,1)")).await;
            }
            SourceKind::MySql => {
                exec(&db, &format!("ALTER TABLE {t} ADD COLUMN aqi int")).await;
                exec(&db, &format!("ALTER TABLE {t} DROP COLUMN flag")).await;
                exec(&db, &format!("ALTER TABLE {t} MODIFY COLUMN pm10 decimal(6,1)")).await;
            }
            SourceKind::Sqlite => {
                exec(&db, &format!("ALTER TABLE {t} ADD COLUMN aqi int")).await;
                exec(&db, &format!("ALTER TABLE {t} DROP COLUMN flag")).await;
                // SQLite cannot change a column's type in place: rebuild the table.
                exec(
                    &db,
                    &format!(
                        "CREATE TABLE {t}_new (station_code varchar(8) not null, observed_at timestamp null, \
                         pm25 decimal(6,1), pm10 decimal(6,1), aqi int)"
                    ),
                )
                .await;
                exec(
                    &db,
                    &format!("INSERT INTO {t}_new SELECT station_code, observed_at, pm25, pm10, aqi FROM {t}"),
                )
                .await;
                exec(&db, &format!("DROP TABLE {t}")).await;
                exec(&db, &format!("ALTER TABLE {t}_new RENAME TO {t}")).await;
            }
        }
        let altered = describe(&db, t).await.unwrap();
        let aqi_native = altered
            .columns
            .iter()
            .find(|c| c.name == "aqi")
            .unwrap()
            .native_type
            .clone();
        assert_eq!(normalise(&aqi_native).0, Some(DataType::Integer));
        let drift = compare(t, &catalog, Some(&altered));
        assert_eq!(
            drift.changes,
            vec![
                Change::Removed { column: "flag".into() },
                Change::Added {
                    column: "aqi".into(),
                    native_type: aqi_native
                },
                Change::TypeChanged {
                    column: "pm10".into(),
                    catalog: "integer".into(),
                    actual: "decimal".into()
                },
            ]
        );
        assert_eq!(drift.summary_zh(), "新增列 1，删除列 1，类型变化 1");
        assert!(compare(t, &adopt(&catalog, &altered), Some(&altered)).is_empty());
    }

    /// Runs the story in a task so that a failed assertion still reaches the cleanup.
    async fn run_then_cleanup<F: Future<Output = ()>>(
        db: DatabaseConnection,
        kind: SourceKind,
        table: String,
        cleanup: impl FnOnce() -> F,
    ) {
        let outcome = tokio::spawn(air_station_story(db, kind, table)).await;
        cleanup().await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    #[tokio::test]
    async fn sqlite_end_to_end() {
        let path = std::env::temp_dir().join(format!("ecogov-introspect-{}.db", suffix()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let (db, latency) = connect(&url).await.unwrap();
        assert!(latency < Duration::from_secs(1));
        exec(
            &db,
            "CREATE TABLE seq_demo (id integer primary key autoincrement, note text not null)",
        )
        .await;
        exec(&db, "INSERT INTO seq_demo (note) VALUES ('x')").await;
        let seq = describe(&db, "seq_demo").await.unwrap();
        assert!(!seq.columns[0].nullable, "an INTEGER PRIMARY KEY is never NULL");
        assert!(
            list_tables(&db)
                .await
                .unwrap()
                .iter()
                .all(|(_, n)| !n.starts_with("sqlite_"))
        );

        let cleanup_path = path.clone();
        run_then_cleanup(db, SourceKind::Sqlite, "air_station_hourly".to_owned(), || async move {
            let _ = std::fs::remove_file(&cleanup_path);
        })
        .await;
    }

    #[tokio::test]
    async fn postgres_end_to_end() {
        if external_disabled("PostgreSQL") {
            return;
        }
        let admin_url = "postgres://postgres@127.0.0.1:5432/postgres";
        let (admin, _) = connect(admin_url).await.unwrap();
        let name = format!("ecogov_introspect_{}", suffix());
        exec(&admin, &format!("CREATE DATABASE {name}")).await;
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        let (db, _) = connect(&url).await.unwrap();

        // Schema-qualified names and the search_path.
        exec(&db, "CREATE SCHEMA monitor").await;
        exec(
            &db,
            "CREATE TABLE monitor.outlet (outlet_code varchar(5) primary key, flow numeric(12,3))",
        )
        .await;
        let qualified = describe(&db, "monitor.outlet").await.unwrap();
        assert_eq!(qualified.schema.as_deref(), Some("monitor"));
        assert_eq!(qualified.columns.len(), 2);
        assert!(!qualified.columns[0].nullable);
        assert!(matches!(
            describe(&db, "outlet").await,
            Err(IntrospectError::NoSuchTable(_))
        ));
        assert!(
            list_tables(&db)
                .await
                .unwrap()
                .contains(&(Some("monitor".into()), "outlet".into()))
        );
        exec(&db, "INSERT INTO monitor.outlet VALUES ('DW001', 1.5), ('DW002', NULL)").await;
        assert_eq!(sample(&db, "monitor.outlet", "flow", 10).await.unwrap(), ["1.500"]);

        let story_db = db.clone();
        run_then_cleanup(
            story_db,
            SourceKind::Postgres,
            "air_station_hourly".to_owned(),
            || async move {
                let _ = db.close().await;
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn mariadb_end_to_end() {
        if external_disabled("MariaDB") {
            return;
        }
        let (db, _) = connect("mysql://root@127.0.0.1:3306/test").await.unwrap();
        let table = format!("air_station_hourly_{}", suffix());
        let cleanup_db = db.clone();
        let cleanup_table = table.clone();
        run_then_cleanup(db, SourceKind::MySql, table, || async move {
            for sql in [
                format!("DROP VIEW IF EXISTS {cleanup_table}_v"),
                format!("DROP TABLE IF EXISTS {cleanup_table}"),
            ] {
                let _ = cleanup_db.execute_unprepared(&sql).await;
            }
        })
        .await;
    }

    #[tokio::test]
    async fn unreachable_sources_fail_fast() {
        for url in [
            "postgres://postgres@127.0.0.1:1/postgres",
            "mysql://root@127.0.0.1:1/test",
            "sqlite:///nonexistent-ecogov-dir/none.db",
            "oracle://127.0.0.1:1521/orcl",
            "postgres://[::1",
        ] {
            let started = Instant::now();
            let result = connect(url).await;
            assert!(
                matches!(result, Err(IntrospectError::Unreachable(_))),
                "{url}: {result:?}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{url} took {:?}",
                started.elapsed()
            );
        }
    }
}
