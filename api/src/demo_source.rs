//! Demo source database: Wuhan-like eco-environment datasets in SQLite, with deliberate defects.
//!
//! [`create`] writes a SQLite file standing for a "source system" database that the bureau governs
//! (not this service's own database): six tables of Wuhan-like data, and [`catalog`] describes the
//! same tables as catalog entries bound through a data source code. [`defects`] lists the problems
//! planted on purpose, so that inspections, drift checks and the sensitivity scanner have
//! something real to find.
//!
//! | table | rows | content |
//! | --- | --- | --- |
//! | `air_station_hourly` | 7 131 | 10 national air stations, 720 hours |
//! | `water_section_monthly` | 240 | 20 surface water sections, 12 months |
//! | `enterprise` | 200 | enterprises with GB 32100 credit codes, 1 registered twice |
//! | `discharge_permit` | 183 | HJ 608-2017 permits (`P`) and registrations (`W`) |
//! | `met_hourly` | 3 594 | 5 meteorological stations, 720 hours |
//! | `enforcement_case` | 60 | administrative penalty cases |
//!
//! # Time
//! Timestamps are UTC text `YYYY-MM-DD HH:MM:SS`, dates `YYYY-MM-DD`. Hourly data covers the 720
//! hours (30 days) ending at the whole hour before `now` (`now` 10:37 → last row 09:00); water
//! data the 12 months before `now`'s month; permit validity and case dates are placed relative
//! to `now`'s date (UTC). Diurnal cycles follow Beijing time (UTC+8) and seasonal levels the day
//! of the year, so the data stays plausible whatever `now` is.
//!
//! # Determinism
//! All randomness comes from a hand-written splitmix64 with fixed seeds, one stream per table,
//! so the same `now` always gives the same rows.
//!
//! # Classification used by the demo catalog
//! 类 `1` 生态环境质量 (项 `02` 大气, `03` 水, `05` 气象), 类 `2` 污染源监管 (项 `01` 企业, `02` 排污
//! 许可), 类 `3` 执法监督 (项 `01` 行政处罚).

use std::collections::{HashMap, HashSet};
use std::f64::consts::PI;
use std::fmt;
use std::path::Path;

use anyhow::{Context as _, ensure};
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, Timelike, Utc};
use ecogov_domain::catalog::model::{
    DataType, FieldDraft, Grade, OpenType, ResourceDraft, ResourceFormat, ShareType, UpdateCycle,
};
use ecogov_domain::ident::CreditCode;
use ecogov_domain::sensitivity::Tag;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, TransactionTrait};

/// One demo table and its catalog description.
#[derive(Debug, Clone)]
pub struct DemoDataset {
    /// Table name in the demo database.
    pub table: &'static str,
    /// The catalog resource describing the table.
    pub resource: ResourceDraft,
    /// The catalog fields, one per column, in column order.
    pub fields: Vec<FieldDraft>,
}

/// A defect planted on purpose, for inspections to find (shown in docs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defect {
    /// Table carrying the defect.
    pub table: &'static str,
    /// Column carrying the defect.
    pub column: &'static str,
    /// What is wrong, in Chinese.
    pub what: &'static str,
    /// How many rows carry it (for duplicates: the surplus rows; for gaps: the missing rows).
    pub rows: u32,
}

/// Planted defects.
pub fn defects() -> Vec<Defect> {
    let d = |table, column, what, rows| Defect {
        table,
        column,
        what,
        rows,
    };
    vec![
        d(
            AIR,
            "pm25",
            "PM2.5 浓度为空；目录登记该字段不可为空，而表结构未设非空约束（结构与目录不一致）",
            count(AIR_NULL_PM25.len()),
        ),
        d(
            AIR,
            "pm25",
            "PM2.5 浓度超出有效范围 0–1000 μg/m³（-5 与 1500）",
            count(AIR_BAD_PM25.len()),
        ),
        d(
            AIR,
            "observed_at",
            "沉湖七壕站（1332A）最近 72 小时停止上报，数据不及时（按缺少的小时记录计）",
            AIR_STOPPED_HOURS,
        ),
        d(
            AIR,
            "observed_at",
            "同一站点同一监测时间重复上报（站点编码 + 监测时间重复，按多出的记录计）",
            count(AIR_DUPLICATES.len()),
        ),
        d(WATER, "ammonia_nitrogen", "氨氮浓度为负值", 1),
        d(WATER, "ph", "pH 值为 15，超出 0–14 的取值范围", 1),
        d(
            ENTERPRISE,
            "credit_code",
            "统一社会信用代码校验位错误（GB 32100-2015）",
            count(ENT_BAD_CHECK.len()),
        ),
        d(ENTERPRISE, "address", "企业地址为空白", count(ENT_BLANK_ADDRESS.len())),
        d(
            ENTERPRISE,
            "credit_code",
            "同一统一社会信用代码登记了两条企业记录（按多出的记录计）",
            1,
        ),
        d(
            ENTERPRISE,
            "contact_phone",
            "联系电话不是有效的手机号码（位数不对或号段不存在）",
            count(ENT_BAD_PHONE.len()),
        ),
        d(
            PERMIT,
            "permit_no",
            "排污许可证编号格式错误（不符合 HJ 608-2017：信用代码 + 3 位顺序码 + 标识字母）",
            count(PERMIT_MALFORMED.len()),
        ),
        d(
            PERMIT,
            "valid_to",
            "排污许可证已过有效期",
            count(PERMIT_EXPIRED_AGO.len()),
        ),
        d(
            PERMIT,
            "valid_to",
            "排污许可证将在 60 天内到期",
            count(PERMIT_EXPIRING_IN.len()),
        ),
        d(
            PERMIT,
            "credit_code",
            "持证单位的统一社会信用代码在企业基本信息中不存在（关联缺失）",
            count(PERMIT_ORPHANS_AT.len()),
        ),
        d(
            MET,
            "dew_point",
            "露点温度高于气温（物理上不可能）",
            count(MET_DEW_ABOVE.len()),
        ),
        d(
            MET,
            "relative_humidity",
            "相对湿度为 120%，超过 100%",
            count(MET_RH_120.len()),
        ),
        d(
            MET,
            "observed_at",
            "新洲站（57492）某日连续 6 个小时缺测",
            MET_GAP_HOURS,
        ),
        d(
            MET,
            "temperature",
            "武汉站（57494）气温连续 8 个小时完全不变（疑似传感器卡滞）",
            MET_STUCK_HOURS,
        ),
        d(MET, "wind_direction", "静风（风速小于 0.3 m/s）却记录了非零风向", 1),
        d(
            CASES,
            "credit_code",
            "案件当事人的统一社会信用代码在企业基本信息中不存在（关联缺失）",
            1,
        ),
        d(CASES, "penalty_amount", "罚款金额为负值", 1),
    ]
}

/// Creates (or recreates, if the file exists) the SQLite database at `path` with all tables
/// and rows. Deterministic: same `now` gives the same bytes of data. Data ends at the hour before
/// `now`.
///
/// # Errors
/// When `now` is outside the years 2000..=2200, or the file cannot be removed, created or written.
pub async fn create(path: &Path, now: DateTime<Utc>) -> anyhow::Result<()> {
    ensure!(
        (2000..=2200).contains(&now.year()),
        "demo data needs a current time between the years 2000 and 2200, got {now}"
    );
    let clock = Clock::new(now)?;
    let firms = enterprises(&clock)?;
    let mut tables: Vec<(&'static str, Vec<Vec<V>>)> = vec![
        (AIR, air_rows(&clock)),
        (WATER, water_rows(&clock)?),
        (ENTERPRISE, enterprise_rows(&firms)),
        (PERMIT, permit_rows(&clock, &firms)?),
        (MET, met_rows(&clock)),
        (CASES, case_rows(&clock, &firms)?),
    ];
    let specs = specs();
    remove_database_files(path)?;
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .with_context(|| format!("cannot create the demo database {}", path.display()))?;
    let txn = db.begin().await?;
    for spec in &specs {
        txn.execute_unprepared(&spec.ddl()).await?;
        let rows = tables
            .iter_mut()
            .find(|(table, _)| *table == spec.table)
            .map(|(_, rows)| std::mem::take(rows))
            .with_context(|| format!("no demo rows for table {}", spec.table))?;
        let columns: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
        for statement in insert_statements(spec.table, &columns, &rows)? {
            txn.execute_unprepared(&statement)
                .await
                .with_context(|| format!("cannot fill demo table {}", spec.table))?;
        }
    }
    txn.execute_unprepared(
        "CREATE INDEX air_station_hourly_station_time ON air_station_hourly (station_code, observed_at)",
    )
    .await?;
    txn.commit().await?;
    db.close().await?;
    Ok(())
}

/// The catalog description of each table: `source_code` is the data source code the tables
/// are bound through (ResourceDraft.tables = ["{source_code}.{table}"]), `department` the
/// provider department code.
pub fn catalog(source_code: &str, department: &str) -> Vec<DemoDataset> {
    specs()
        .into_iter()
        .map(|spec| {
            let r = &spec.resource;
            DemoDataset {
                table: spec.table,
                resource: ResourceDraft {
                    code: r.code.to_owned(),
                    name: r.name.to_owned(),
                    classification: r.classification.iter().map(|c| (*c).to_owned()).collect(),
                    provider_department: department.to_owned(),
                    summary: r.summary.to_owned(),
                    format: Some(ResourceFormat::Table),
                    share_type: Some(r.share),
                    share_conditions: r.share_conditions.to_owned(),
                    share_method: "库表".to_owned(),
                    open_type: Some(r.open),
                    update_cycle: Some(r.cycle),
                    publish_date: None,
                    related_codes: r.related.iter().map(|c| (*c).to_owned()).collect(),
                    source_system: r.source_system.to_owned(),
                    tables: vec![format!("{source_code}.{}", spec.table)],
                },
                fields: spec.columns.iter().map(Col::field).collect(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Table and column specifications (one source for the DDL and the catalog).

const AIR: &str = "air_station_hourly";
const WATER: &str = "water_section_monthly";
const ENTERPRISE: &str = "enterprise";
const PERMIT: &str = "discharge_permit";
const MET: &str = "met_hourly";
const CASES: &str = "enforcement_case";

/// Declared SQLite column types; each normalises to one catalog [`DataType`] and length.
#[derive(Debug, Clone, Copy)]
enum Sql {
    Integer,
    Varchar(u32),
    Decimal(u32, u32),
    Date,
    DateTime,
}

impl Sql {
    fn declared(self) -> String {
        match self {
            Sql::Integer => "INTEGER".to_owned(),
            Sql::Varchar(n) => format!("VARCHAR({n})"),
            Sql::Decimal(p, s) => format!("DECIMAL({p},{s})"),
            Sql::Date => "DATE".to_owned(),
            Sql::DateTime => "DATETIME".to_owned(),
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Sql::Integer => DataType::Integer,
            Sql::Varchar(_) => DataType::String,
            Sql::Decimal(..) => DataType::Decimal,
            Sql::Date => DataType::Date,
            Sql::DateTime => DataType::DateTime,
        }
    }

    fn length(self) -> Option<u32> {
        match self {
            Sql::Varchar(n) | Sql::Decimal(n, _) => Some(n),
            Sql::Integer | Sql::Date | Sql::DateTime => None,
        }
    }
}

/// One column: its DDL and its catalog field.
#[derive(Debug, Clone)]
struct Col {
    name: &'static str,
    cn_name: &'static str,
    sql: Sql,
    /// Nullable as catalogued.
    nullable: bool,
    /// Nullable as created; differs from `nullable` only where a defect needs NULLs.
    ddl_nullable: bool,
    unit: &'static str,
    code_table: &'static str,
    description: &'static str,
    sub_level: u8,
    tags: &'static [Tag],
}

fn col(name: &'static str, cn_name: &'static str, sql: Sql) -> Col {
    Col {
        name,
        cn_name,
        sql,
        nullable: false,
        ddl_nullable: false,
        unit: "",
        code_table: "",
        description: "",
        sub_level: 1,
        tags: &[],
    }
}

impl Col {
    fn nullable(mut self) -> Self {
        self.nullable = true;
        self.ddl_nullable = true;
        self
    }

    /// Catalogued as required, created without NOT NULL: the planted schema mismatch.
    fn nulls_despite_catalog(mut self) -> Self {
        self.ddl_nullable = true;
        self
    }

    fn unit(mut self, unit: &'static str) -> Self {
        self.unit = unit;
        self
    }

    fn code_table(mut self, code_table: &'static str) -> Self {
        self.code_table = code_table;
        self
    }

    fn describe(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    fn level(mut self, sub_level: u8) -> Self {
        self.sub_level = sub_level;
        self
    }

    fn tags(mut self, tags: &'static [Tag]) -> Self {
        self.tags = tags;
        self
    }

    fn field(&self) -> FieldDraft {
        FieldDraft {
            name: self.name.to_owned(),
            cn_name: self.cn_name.to_owned(),
            data_type: Some(self.sql.data_type()),
            length: self.sql.length(),
            nullable: self.nullable,
            unit: self.unit.to_owned(),
            code_table: self.code_table.to_owned(),
            description: self.description.to_owned(),
            grade: Some(Grade::General),
            sub_level: Some(self.sub_level),
            tags: self.tags.iter().map(|t| t.as_str().to_owned()).collect(),
        }
    }
}

/// The catalog resource of a table, apart from what the caller supplies.
#[derive(Debug, Clone)]
struct ResourceMeta {
    code: &'static str,
    name: &'static str,
    classification: [&'static str; 3],
    summary: &'static str,
    share: ShareType,
    share_conditions: &'static str,
    open: OpenType,
    cycle: UpdateCycle,
    source_system: &'static str,
    related: &'static [&'static str],
}

#[derive(Debug, Clone)]
struct TableSpec {
    table: &'static str,
    resource: ResourceMeta,
    columns: Vec<Col>,
    primary_key: &'static [&'static str],
}

impl TableSpec {
    fn ddl(&self) -> String {
        let mut parts: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let not_null = if c.ddl_nullable { "" } else { " NOT NULL" };
                format!("{} {}{not_null}", c.name, c.sql.declared())
            })
            .collect();
        parts.push(format!("PRIMARY KEY ({})", self.primary_key.join(", ")));
        format!("CREATE TABLE {} (\n    {}\n)", self.table, parts.join(",\n    "))
    }
}

const UG: &str = "μg/m³";
const MG_L: &str = "mg/L";
const HJ212_FLAGS: &str =
    "HJ 212-2017 数据标记：N 正常、F 停运、M 维护、S 手工输入、D 故障、C 校准、T 超上限、B 通讯异常";

fn specs() -> Vec<TableSpec> {
    use Sql::{Date, DateTime, Decimal, Integer, Varchar};
    vec![
        TableSpec {
            table: AIR,
            resource: ResourceMeta {
                code: "WH-AIR-HOURLY",
                name: "空气质量小时数据",
                classification: ["1", "02", "003"],
                summary: "武汉市 10 个国控环境空气质量监测站点逐小时监测数据，含二氧化硫、二氧化氮、一氧化碳、臭氧、\
                    PM10、PM2.5 浓度及空气质量指数（AQI）、首要污染物和数据标记；监测时间为 UTC。",
                share: ShareType::Unconditional,
                share_conditions: "",
                open: OpenType::Unconditional,
                cycle: UpdateCycle::Hourly,
                source_system: "air-network",
                related: &["WH-MET-HOURLY"],
            },
            columns: vec![
                col("id", "记录编号", Integer).describe("源系统自增记录号"),
                col("station_code", "监测站点编码", Varchar(8)).code_table("国家城市环境空气质量监测网站点编码"),
                col("station_name", "监测站点名称", Varchar(50)),
                col("observed_at", "监测时间", DateTime).describe("UTC 时间，格式 YYYY-MM-DD HH:MM:SS"),
                col("so2", "二氧化硫（SO₂）小时浓度", Decimal(6, 1)).unit(UG),
                col("no2", "二氧化氮（NO₂）小时浓度", Decimal(6, 1)).unit(UG),
                col("co", "一氧化碳（CO）小时浓度", Decimal(5, 2)).unit("mg/m³"),
                col("o3", "臭氧（O₃）小时浓度", Decimal(6, 1)).unit(UG),
                col("pm10", "可吸入颗粒物（PM10）小时浓度", Decimal(6, 1)).unit(UG),
                col("pm25", "细颗粒物（PM2.5）小时浓度", Decimal(6, 1))
                    .unit(UG)
                    .describe("有效范围 0–1000 μg/m³")
                    .nulls_despite_catalog(),
                col("aqi", "空气质量指数（AQI）", Integer).code_table("HJ 633-2012"),
                col("primary_pollutant", "首要污染物", Varchar(32))
                    .code_table("HJ 633-2012")
                    .describe("AQI 不大于 50 时为空；并列时以逗号分隔")
                    .nullable(),
                col("quality_flag", "数据标记", Varchar(1)).code_table(HJ212_FLAGS),
            ],
            primary_key: &["id"],
        },
        TableSpec {
            table: WATER,
            resource: ResourceMeta {
                code: "WH-WATER-MONTHLY",
                name: "地表水断面月度监测数据",
                classification: ["1", "03", "002"],
                summary: "武汉市长江、汉江、府河等河流及东湖、汤逊湖等湖泊 20 个地表水监测断面的月度监测结果与水质类别评价（GB 3838-2002）。",
                share: ShareType::Unconditional,
                share_conditions: "",
                open: OpenType::Unconditional,
                cycle: UpdateCycle::Monthly,
                source_system: "water-network",
                related: &[],
            },
            columns: vec![
                col("section_code", "断面编码", Varchar(16)),
                col("section_name", "断面名称", Varchar(50)),
                col("river", "所在水体", Varchar(30)).describe("河流或湖泊名称"),
                col("month", "监测月份", Varchar(7)).describe("格式 YYYY-MM"),
                col("ph", "pH 值", Decimal(4, 2))
                    .unit("无量纲")
                    .describe("取值范围 0–14"),
                col("dissolved_oxygen", "溶解氧", Decimal(5, 2)).unit(MG_L),
                col("codmn", "高锰酸盐指数", Decimal(5, 2)).unit(MG_L),
                col("ammonia_nitrogen", "氨氮", Decimal(6, 3)).unit(MG_L),
                col("total_phosphorus", "总磷", Decimal(6, 3))
                    .unit(MG_L)
                    .describe("湖库执行湖库标准限值"),
                col("water_class", "水质类别", Varchar(4)).code_table("GB 3838-2002：I、II、III、IV、V、劣V"),
                col("target_class", "水质目标类别", Varchar(4)).code_table("GB 3838-2002：I、II、III、IV、V、劣V"),
            ],
            primary_key: &["section_code", "month"],
        },
        TableSpec {
            table: ENTERPRISE,
            resource: ResourceMeta {
                code: "WH-ENTERPRISE",
                name: "企业基本信息",
                classification: ["2", "01", "001"],
                summary: "武汉市纳入生态环境监管的企业基本信息，含统一社会信用代码、名称、地址、法定代表人、联系电话、行业、所在区及经纬度。",
                share: ShareType::Conditional,
                share_conditions: "仅用于生态环境监管、执法和信用评价；法定代表人、联系电话、经纬度按脱敏规则提供",
                open: OpenType::NotOpen,
                cycle: UpdateCycle::Daily,
                source_system: "enterprise-registry",
                related: &[],
            },
            columns: vec![
                col("id", "记录编号", Integer).describe("源系统自增记录号"),
                col("credit_code", "统一社会信用代码", Varchar(18))
                    .code_table("GB 32100-2015")
                    .tags(&[Tag::CreditCode]),
                col("name", "企业名称", Varchar(100)),
                col("address", "企业地址", Varchar(200)).level(2).tags(&[Tag::Address]),
                col("legal_representative", "法定代表人", Varchar(50))
                    .level(3)
                    .tags(&[Tag::PersonName]),
                col("contact_phone", "联系电话", Varchar(20))
                    .level(4)
                    .describe("法定代表人或环保负责人手机号码")
                    .tags(&[Tag::Mobile]),
                col("industry", "行业类别", Varchar(100)).code_table("GB/T 4754-2017 国民经济行业分类（大类名称）"),
                col("district", "所在区", Varchar(20)).code_table("GB/T 2260 武汉市辖区"),
                col("longitude", "经度", Decimal(10, 6))
                    .unit("°")
                    .describe("CGCS2000，保留 6 位小数")
                    .level(2)
                    .tags(&[Tag::PreciseCoordinates]),
                col("latitude", "纬度", Decimal(9, 6))
                    .unit("°")
                    .describe("CGCS2000，保留 6 位小数")
                    .level(2)
                    .tags(&[Tag::PreciseCoordinates]),
                col("registered_at", "成立日期", Date),
            ],
            primary_key: &["id"],
        },
        TableSpec {
            table: PERMIT,
            resource: ResourceMeta {
                code: "WH-DISCHARGE-PERMIT",
                name: "排污许可证信息",
                classification: ["2", "02", "001"],
                summary: "武汉市生态环境局核发的排污许可证及排污登记信息，含许可证编号、持证单位、管理类别、行业和有效期。",
                share: ShareType::Unconditional,
                share_conditions: "",
                open: OpenType::Unconditional,
                cycle: UpdateCycle::Daily,
                source_system: "permit-platform",
                related: &["WH-ENTERPRISE"],
            },
            columns: vec![
                col("permit_no", "许可证编号", Varchar(22))
                    .code_table("HJ 608-2017 排污单位编码")
                    .describe("统一社会信用代码 + 3 位顺序码 + 标识字母（P 排污许可证，W 排污登记）"),
                col("credit_code", "统一社会信用代码", Varchar(18))
                    .code_table("GB 32100-2015")
                    .tags(&[Tag::CreditCode]),
                col("holder_name", "持证单位名称", Varchar(100)),
                col("management_category", "管理类别", Varchar(8))
                    .code_table("固定污染源排污许可分类管理名录（2019 年版）：重点管理、简化管理、登记管理"),
                col("industry", "行业类别", Varchar(100)).code_table("GB/T 4754-2017 国民经济行业分类（大类名称）"),
                col("valid_from", "有效期起", Date),
                col("valid_to", "有效期止", Date).describe("有效期 5 年"),
                col("issued_by", "发证机关", Varchar(50)),
            ],
            primary_key: &["permit_no"],
        },
        TableSpec {
            table: MET,
            resource: ResourceMeta {
                code: "WH-MET-HOURLY",
                name: "地面气象小时观测数据",
                classification: ["1", "05", "001"],
                summary: "武汉市 5 个国家级地面气象观测站逐小时观测数据（气温、露点、相对湿度、本站气压、风向风速、降水），由市气象局共享，观测时间为 UTC。",
                share: ShareType::Conditional,
                share_conditions: "仅限空气质量预报预警与污染过程分析使用，不得向第三方提供",
                open: OpenType::NotOpen,
                cycle: UpdateCycle::Hourly,
                source_system: "met-bureau",
                related: &["WH-AIR-HOURLY"],
            },
            columns: vec![
                col("station_id", "区站号", Varchar(5)).code_table("中国气象局地面气象观测站区站号"),
                col("observed_at", "观测时间", DateTime).describe("UTC 时间，格式 YYYY-MM-DD HH:MM:SS"),
                col("temperature", "气温", Decimal(4, 1)).unit("℃").level(2),
                col("dew_point", "露点温度", Decimal(4, 1)).unit("℃").level(2),
                col("relative_humidity", "相对湿度", Integer).unit("%").level(2),
                col("pressure", "本站气压", Decimal(6, 1)).unit("hPa").level(2),
                col("wind_speed", "2 分钟平均风速", Decimal(4, 1)).unit("m/s").level(2),
                col("wind_direction", "2 分钟平均风向", Integer)
                    .unit("°")
                    .describe("1–360，正北为 360；静风（风速小于 0.3 m/s）记为 0")
                    .level(2),
                col("precipitation", "小时降水量", Decimal(5, 1)).unit("mm").level(2),
            ],
            primary_key: &["station_id", "observed_at"],
        },
        TableSpec {
            table: CASES,
            resource: ResourceMeta {
                code: "WH-ENFORCEMENT-CASE",
                name: "行政执法案件",
                classification: ["3", "01", "001"],
                summary: "武汉市生态环境局办理的环境行政处罚案件，含案号、当事人、违法行为、罚款金额、决定日期、办理状态和承办人；处罚决定依法公开，立案调查阶段信息不予公开。",
                share: ShareType::Conditional,
                share_conditions: "仅限执法监督、信用评价与联合惩戒使用",
                open: OpenType::Conditional,
                cycle: UpdateCycle::Daily,
                source_system: "enforcement",
                related: &["WH-ENTERPRISE"],
            },
            columns: vec![
                col("case_no", "案号", Varchar(32)).describe("如 武环罚〔2026〕12号"),
                col("credit_code", "当事人统一社会信用代码", Varchar(18))
                    .code_table("GB 32100-2015")
                    .tags(&[Tag::CreditCode]),
                col("enterprise_name", "当事人名称", Varchar(100)),
                col("violation", "违法行为", Varchar(500)).level(2),
                col("penalty_amount", "罚款金额", Decimal(12, 2))
                    .unit("元")
                    .describe("作出处罚决定前为空")
                    .level(2)
                    .nullable(),
                col("decided_at", "处罚决定日期", Date)
                    .describe("作出处罚决定前为空")
                    .nullable(),
                col("status", "办理状态", Varchar(8)).code_table("立案、调查、处罚决定、结案"),
                col("officer_name", "承办人", Varchar(50))
                    .level(3)
                    .tags(&[Tag::PersonName]),
            ],
            primary_key: &["case_no"],
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// Rows per INSERT statement.
const BATCH: usize = 500;

/// A SQL literal.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Int(i64),
    /// A number written with this many decimals.
    Num(f64, usize),
    Text(String),
}

impl fmt::Display for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Null => f.write_str("NULL"),
            V::Int(i) => write!(f, "{i}"),
            V::Num(x, decimals) => write!(f, "{:.*}", *decimals, round(*x, *decimals)),
            V::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
        }
    }
}

fn text(s: impl Into<String>) -> V {
    V::Text(s.into())
}

fn insert_statements(table: &str, columns: &[&str], rows: &[Vec<V>]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::with_capacity(rows.len() / BATCH + 1);
    for chunk in rows.chunks(BATCH) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        for (i, row) in chunk.iter().enumerate() {
            ensure!(
                row.len() == columns.len(),
                "demo row for {table} has {} values for {} columns",
                row.len(),
                columns.len()
            );
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for (j, value) in row.iter().enumerate() {
                if j > 0 {
                    sql.push(',');
                }
                sql.push_str(&value.to_string());
            }
            sql.push(')');
        }
        out.push(sql);
    }
    Ok(out)
}

/// Removes the database file and its journal side files, if present.
fn remove_database_files(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", Path::new(&name).display())),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Randomness, time and small helpers.

const SEED: u64 = 0x5EED_0027_4201_2026;

/// splitmix64: small, fast and good enough for demo data.
struct Rng(u64);

impl Rng {
    fn new(stream: u64) -> Self {
        Rng(SEED ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `lo..=hi`.
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
        lo + i64::try_from(self.next_u64() % span).unwrap_or(0)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }

    /// An element of a non-empty slice.
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        let total: u32 = weights.clone().sum();
        let mut x = u32::try_from(self.int(0, i64::from(total.max(1)) - 1)).unwrap_or(0);
        for (i, w) in weights.enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        0
    }
}

fn round(x: f64, decimals: usize) -> f64 {
    let p = 10f64.powi(i32::try_from(decimals).unwrap_or(0));
    // Adding 0.0 turns -0.0 into 0.0, so that no "-0.0" is written.
    (x * p).round() / p + 0.0
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Hours of hourly data (30 days).
const HOURS: i64 = 720;

/// The time frame of the data.
struct Clock {
    /// The first hourly timestamp.
    first_hour: DateTime<Utc>,
    /// `now`'s date (UTC).
    today: NaiveDate,
}

impl Clock {
    fn new(now: DateTime<Utc>) -> anyhow::Result<Self> {
        let last = now.timestamp().div_euclid(3600) * 3600 - 3600;
        let first = DateTime::from_timestamp(last - (HOURS - 1) * 3600, 0).context("time out of range")?;
        Ok(Clock {
            first_hour: first,
            today: now.date_naive(),
        })
    }

    fn hour(&self, h: i64) -> DateTime<Utc> {
        self.first_hour + TimeDelta::hours(h)
    }

    fn days_from_today(&self, days: i64) -> NaiveDate {
        self.today + TimeDelta::days(days)
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Local (Beijing) hour of day and season for a UTC time: season is 1 in mid-January (coldest),
/// -1 in mid-July.
fn local_hour_and_season(t: DateTime<Utc>) -> (f64, f64) {
    let local = t + TimeDelta::hours(8);
    let doy = f64::from(local.ordinal());
    (f64::from(local.hour()), season(doy))
}

fn season(doy: f64) -> f64 {
    (2.0 * PI * (doy - 15.0) / 365.25).cos()
}

/// A bump around `center` (hours, wrapping at 24).
fn bump(hour: f64, center: f64, width: f64) -> f64 {
    let d = (hour - center + 12.0).rem_euclid(24.0) - 12.0;
    (-(d * d) / width).exp()
}

// ---------------------------------------------------------------------------------------------
// Air quality.

/// Wuhan's national air stations: code, name and local factors for particles, SO₂ and NO₂.
const AIR_STATIONS: [(&str, &str, f64, f64, f64); 10] = [
    ("1325A", "东湖梨园", 0.92, 0.9, 0.9),
    ("1326A", "汉口花桥", 1.05, 1.0, 1.15),
    ("1327A", "武昌紫阳", 1.0, 0.95, 1.05),
    ("1328A", "青山钢花", 1.12, 1.6, 1.1),
    ("1329A", "汉阳月湖", 1.0, 1.0, 1.0),
    ("1330A", "沌口新区", 1.06, 1.15, 1.0),
    ("1331A", "吴家山", 1.1, 1.05, 1.0),
    ("1332A", "沉湖七壕", 0.85, 0.8, 0.55),
    ("1333A", "汉口江滩", 1.0, 0.95, 1.1),
    ("1334A", "东湖高新", 0.95, 0.9, 0.95),
];
/// 沉湖七壕 stops reporting for the last hours.
const AIR_STOPPED: usize = 7;
const AIR_STOPPED_HOURS: u32 = 72;
/// (station, hour) with a NULL PM2.5.
const AIR_NULL_PM25: [(usize, i64); 4] = [(1, 100), (3, 250), (5, 400), (8, 610)];
/// (station, hour, value) with an impossible PM2.5.
const AIR_BAD_PM25: [(usize, i64, f64); 2] = [(2, 333, -5.0), (6, 515, 1500.0)];
/// (station, hour) reported twice.
const AIR_DUPLICATES: [(usize, i64); 3] = [(0, 50), (4, 300), (9, 650)];

/// IAQI levels and the concentration breakpoints of HJ 633-2012 for hourly values (PM uses
/// the 24-hour table, as real-time reporting does; SO₂ above 800 continues with the 24-hour
/// table).
const IAQI: [f64; 8] = [0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0];
const BP_SO2: [f64; 8] = [0.0, 150.0, 500.0, 650.0, 800.0, 1600.0, 2100.0, 2620.0];
const BP_NO2: [f64; 8] = [0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0];
const BP_PM10: [f64; 8] = [0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0];
const BP_CO: [f64; 8] = [0.0, 5.0, 10.0, 35.0, 60.0, 90.0, 120.0, 150.0];
const BP_O3: [f64; 8] = [0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0];
const BP_PM25: [f64; 8] = [0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0];

fn iaqi(c: f64, breakpoints: &[f64; 8]) -> f64 {
    for (bp, level) in breakpoints.windows(2).zip(IAQI.windows(2)) {
        if let ([lo, hi], [ilo, ihi]) = (bp, level)
            && c <= *hi
        {
            return ilo + (ihi - ilo) * (c - lo) / (hi - lo);
        }
    }
    500.0
}

/// AQI and primary pollutant(s) (None when AQI ≤ 50) from hourly values.
fn aqi(so2: f64, no2: f64, co: f64, o3: f64, pm10: f64, pm25: Option<f64>) -> (i64, Option<String>) {
    let mut parts = vec![
        ("SO2", iaqi(so2, &BP_SO2)),
        ("NO2", iaqi(no2, &BP_NO2)),
        ("PM10", iaqi(pm10, &BP_PM10)),
        ("CO", iaqi(co, &BP_CO)),
        ("O3", iaqi(o3, &BP_O3)),
    ];
    if let Some(pm25) = pm25 {
        parts.push(("PM2.5", iaqi(pm25, &BP_PM25)));
    }
    let top = parts.iter().map(|p| p.1.ceil()).fold(0.0, f64::max);
    let value = top as i64;
    if value <= 50 {
        return (value, None);
    }
    let primary: Vec<&str> = parts.iter().filter(|p| p.1.ceil() >= top).map(|p| p.0).collect();
    (value, Some(primary.join(",")))
}

fn air_rows(clock: &Clock) -> Vec<Vec<V>> {
    let mut rng = Rng::new(1);
    let mut episode = 0.0;
    let mut local = [0.0f64; AIR_STATIONS.len()];
    let mut rows = Vec::with_capacity(AIR_STATIONS.len() * 720 + 8);
    let mut id = 0;
    for h in 0..HOURS {
        let t = clock.hour(h);
        let (hour, s) = local_hour_and_season(t);
        // A regional pollution episode shared by all stations, plus each station's own drift.
        episode = 0.965 * episode + 0.065 * rng.normal();
        for (i, &(code, name, f_pm, f_so2, f_no2)) in AIR_STATIONS.iter().enumerate() {
            local[i] = 0.9 * local[i] + 0.06 * rng.normal();
            let state = local[i];
            let noise: [f64; 6] = std::array::from_fn(|_| rng.normal());
            let ratio = rng.uniform(1.2, 1.6);

            let pm_diurnal =
                1.0 + 0.14 * bump(hour, 23.0, 18.0) + 0.08 * bump(hour, 9.0, 4.0) - 0.12 * bump(hour, 15.0, 10.0);
            let pm25 = ((40.0 + 22.0 * s) * f_pm * (episode + state + 0.08 * noise[0]).exp() * pm_diurnal).max(3.0);
            let pm10 = (pm25 * ratio + 6.0 + 3.0 * noise[1].abs()).max(pm25 + 2.0);
            let no2_diurnal =
                0.85 + 0.3 * bump(hour, 8.0, 3.0) + 0.35 * bump(hour, 20.0, 6.0) - 0.15 * bump(hour, 14.0, 8.0);
            let no2 = ((36.0 + 8.0 * s) * f_no2 * (0.6 * state + 0.1 * noise[2]).exp() * no2_diurnal).max(3.0);
            let so2 = ((8.0 + 3.0 * s) * f_so2 * (0.5 * state + 0.15 * noise[3]).exp()).max(2.0);
            let co = ((0.72 + 0.22 * s)
                * (0.6 * (episode + state) + 0.06 * noise[4]).exp()
                * (0.95 + 0.1 * bump(hour, 8.0, 4.0)))
            .max(0.2);
            let o3_peak = 55.0 + 95.0 * (1.0 - s) / 2.0;
            let sun = if (7.0..19.0).contains(&hour) {
                (PI * (hour - 7.0) / 12.0).sin().powf(1.3)
            } else {
                0.0
            };
            let o3 =
                ((10.0 + (o3_peak - 10.0) * sun) * (-0.3 * episode).exp() / f_no2.sqrt() + 4.0 * noise[5]).max(2.0);

            if i == AIR_STOPPED && h >= HOURS - i64::from(AIR_STOPPED_HOURS) {
                continue;
            }
            let (so2, no2, co, o3, pm10, pm25) = (
                round(so2, 1),
                round(no2, 1),
                round(co, 2),
                round(o3, 1),
                round(pm10, 1),
                round(pm25, 1),
            );
            let null_pm25 = AIR_NULL_PM25.contains(&(i, h));
            let (aqi, primary) = aqi(so2, no2, co, o3, pm10, (!null_pm25).then_some(pm25));
            let reported_pm25 = if null_pm25 {
                V::Null
            } else {
                let bad = AIR_BAD_PM25.iter().find(|b| (b.0, b.1) == (i, h)).map(|b| b.2);
                V::Num(bad.unwrap_or(pm25), 1)
            };
            let copies = if AIR_DUPLICATES.contains(&(i, h)) { 2 } else { 1 };
            for _ in 0..copies {
                id += 1;
                rows.push(vec![
                    V::Int(id),
                    text(code),
                    text(name),
                    text(timestamp(t)),
                    V::Num(so2, 1),
                    V::Num(no2, 1),
                    V::Num(co, 2),
                    V::Num(o3, 1),
                    V::Num(pm10, 1),
                    reported_pm25.clone(),
                    V::Int(aqi),
                    primary.clone().map_or(V::Null, text),
                    text("N"),
                ]);
            }
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------------
// Surface water.

/// A monitoring section and its typical levels.
struct Section {
    code: &'static str,
    name: &'static str,
    river: &'static str,
    lake: bool,
    target: &'static str,
    dissolved_oxygen: f64,
    codmn: f64,
    ammonia: f64,
    phosphorus: f64,
    ph: f64,
}

const fn section(
    code: &'static str,
    name: &'static str,
    river: &'static str,
    lake: bool,
    target: &'static str,
    levels: [f64; 5],
) -> Section {
    let [dissolved_oxygen, codmn, ammonia, phosphorus, ph] = levels;
    Section {
        code,
        name,
        river,
        lake,
        target,
        dissolved_oxygen,
        codmn,
        ammonia,
        phosphorus,
        ph,
    }
}

/// Levels: dissolved oxygen, CODMn, ammonia nitrogen, total phosphorus, pH.
const SECTIONS: [Section; 20] = [
    section("WHSW001", "纱帽", "长江", false, "II", [8.6, 2.2, 0.12, 0.075, 7.9]),
    section("WHSW002", "杨泗港", "长江", false, "II", [8.5, 2.3, 0.14, 0.080, 7.9]),
    section("WHSW003", "白浒山", "长江", false, "II", [8.4, 2.4, 0.16, 0.085, 7.9]),
    section("WHSW004", "新沟", "汉江", false, "II", [9.0, 2.0, 0.10, 0.050, 8.1]),
    section("WHSW005", "宗关", "汉江", false, "II", [8.9, 2.1, 0.11, 0.055, 8.1]),
    section("WHSW006", "龙王庙", "汉江", false, "II", [8.8, 2.2, 0.13, 0.060, 8.0]),
    section("WHSW007", "卧龙潭", "府河", false, "III", [7.0, 4.3, 0.55, 0.160, 7.7]),
    section("WHSW008", "朱家河口", "府河", false, "IV", [6.4, 5.2, 0.85, 0.210, 7.6]),
    section("WHSW009", "滠口", "滠水", false, "III", [7.6, 3.4, 0.35, 0.110, 7.8]),
    section("WHSW010", "柳子港", "举水", false, "III", [7.8, 3.2, 0.30, 0.100, 7.8]),
    section("WHSW011", "李家集", "倒水", false, "III", [7.7, 3.3, 0.32, 0.105, 7.8]),
    section(
        "WHSW012",
        "金水闸",
        "金水河",
        false,
        "III",
        [7.2, 3.8, 0.45, 0.130, 7.7],
    ),
    section("WHSW013", "港洲", "通顺河", false, "IV", [6.2, 5.5, 0.95, 0.230, 7.6]),
    section("WHSW014", "东湖湖心", "东湖", true, "III", [8.0, 4.2, 0.25, 0.045, 8.3]),
    section(
        "WHSW015",
        "汤逊湖湖心",
        "汤逊湖",
        true,
        "III",
        [7.8, 4.6, 0.30, 0.050, 8.2],
    ),
    section(
        "WHSW016",
        "梁子湖湖心",
        "梁子湖",
        true,
        "II",
        [8.6, 3.2, 0.15, 0.022, 8.1],
    ),
    section("WHSW017", "南湖湖心", "南湖", true, "IV", [7.0, 5.8, 0.60, 0.080, 8.4]),
    section(
        "WHSW018",
        "墨水湖湖心",
        "墨水湖",
        true,
        "IV",
        [6.8, 6.2, 0.70, 0.090, 8.4],
    ),
    section(
        "WHSW019",
        "严西湖湖心",
        "严西湖",
        true,
        "III",
        [7.9, 4.4, 0.28, 0.045, 8.2],
    ),
    section(
        "WHSW020",
        "后官湖湖心",
        "后官湖",
        true,
        "III",
        [7.8, 4.5, 0.30, 0.048, 8.2],
    ),
];
/// (section, month) with a negative ammonia nitrogen.
const WATER_NEGATIVE_AMMONIA: (usize, usize) = (8, 5);
/// (section, month) with pH 15.
const WATER_PH_15: (usize, usize) = (13, 9);

const WATER_CLASSES: [&str; 6] = ["I", "II", "III", "IV", "V", "劣V"];

/// GB 3838-2002 class (0 = I .. 5 = 劣V) of one value: `limits` are the class I..V limits;
/// `higher_is_better` for dissolved oxygen.
fn class_of(value: f64, limits: [f64; 5], higher_is_better: bool) -> usize {
    limits
        .iter()
        .position(|&limit| {
            if higher_is_better {
                value >= limit
            } else {
                value <= limit
            }
        })
        .unwrap_or(5)
}

fn water_class(s: &Section, dissolved_oxygen: f64, codmn: f64, ammonia: f64, phosphorus: f64) -> &'static str {
    let tp_limits = if s.lake {
        [0.01, 0.025, 0.05, 0.1, 0.2]
    } else {
        [0.02, 0.1, 0.2, 0.3, 0.4]
    };
    let worst = [
        class_of(dissolved_oxygen, [7.5, 6.0, 5.0, 3.0, 2.0], true),
        class_of(codmn, [2.0, 4.0, 6.0, 10.0, 15.0], false),
        class_of(ammonia, [0.15, 0.5, 1.0, 1.5, 2.0], false),
        class_of(phosphorus, tp_limits, false),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    WATER_CLASSES.get(worst).copied().unwrap_or("劣V")
}

fn water_rows(clock: &Clock) -> anyhow::Result<Vec<Vec<V>>> {
    let mut rng = Rng::new(2);
    let this_month = clock.today.with_day(1).context("no first day of month")?;
    let first_month = this_month
        .checked_sub_months(Months::new(12))
        .context("month out of range")?;
    let mut rows = Vec::with_capacity(SECTIONS.len() * 12);
    for (i, s) in SECTIONS.iter().enumerate() {
        for m in 0..12 {
            let month = first_month
                .checked_add_months(Months::new(m))
                .context("month out of range")?;
            let sea = season(f64::from(month.ordinal()) + 14.0);
            let n: [f64; 5] = std::array::from_fn(|_| rng.normal());
            let dissolved_oxygen = round((s.dissolved_oxygen + 1.2 * sea + 0.4 * n[0]).max(1.5), 2);
            let codmn = round(s.codmn * (1.0 - 0.15 * sea) * (0.12 * n[1]).exp(), 2);
            let ammonia = round(s.ammonia * (1.0 + 0.3 * sea) * (0.25 * n[2]).exp(), 3);
            let phosphorus = round(s.phosphorus * (1.0 - 0.15 * sea) * (0.2 * n[3]).exp(), 3);
            let algae = if s.lake { 0.3 * (1.0 - sea) / 2.0 } else { 0.0 };
            let ph = round((s.ph + algae + 0.12 * n[4]).clamp(6.5, 9.2), 2);
            let class = water_class(s, dissolved_oxygen, codmn, ammonia, phosphorus);
            let at = (i, usize::try_from(m).unwrap_or(0));
            let ammonia = if at == WATER_NEGATIVE_AMMONIA { -0.05 } else { ammonia };
            let ph = if at == WATER_PH_15 { 15.0 } else { ph };
            rows.push(vec![
                text(s.code),
                text(s.name),
                text(s.river),
                text(month.format("%Y-%m").to_string()),
                V::Num(ph, 2),
                V::Num(dissolved_oxygen, 2),
                V::Num(codmn, 2),
                V::Num(ammonia, 3),
                V::Num(phosphorus, 3),
                text(class),
                text(s.target),
            ]);
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Enterprises.

struct District {
    name: &'static str,
    division: &'static str,
    lon: f64,
    lat: f64,
    roads: &'static [&'static str],
    /// Share of the city's regulated enterprises.
    weight: u32,
}

const fn district(
    name: &'static str,
    division: &'static str,
    lon: f64,
    lat: f64,
    roads: &'static [&'static str],
    weight: u32,
) -> District {
    District {
        name,
        division,
        lon,
        lat,
        roads,
        weight,
    }
}

#[rustfmt::skip]
const DISTRICTS: [District; 13] = [
    district("江岸区", "420102", 114.309, 30.600, &["解放大道", "建设大道", "中山大道", "后湖大道"], 3),
    district("江汉区", "420103", 114.270, 30.601, &["新华路", "青年路", "唐家墩路", "常青路"], 2),
    district("硚口区", "420104", 114.215, 30.582, &["解放大道", "古田二路", "汉西一路", "长丰大道"], 4),
    district("汉阳区", "420105", 114.219, 30.555, &["汉阳大道", "龙阳大道", "四新北路", "琴台大道"], 5),
    district("武昌区", "420106", 114.316, 30.554, &["中北路", "武珞路", "和平大道", "友谊大道"], 2),
    district("青山区", "420107", 114.385, 30.640, &["和平大道", "工业大道", "冶金大道", "建设一路"], 10),
    district("洪山区", "420111", 114.343, 30.500, &["珞喻路", "雄楚大道", "青化路", "白沙洲大道"], 6),
    district("东西湖区", "420112", 114.137, 30.620, &["东吴大道", "金银湖路", "汉江大道", "吴新干线"], 10),
    district("汉南区", "420113", 114.085, 30.309, &["汉南大道", "纱帽正街", "兴城大道"], 6),
    district("蔡甸区", "420114", 114.029, 30.582, &["蔡甸大街", "知音湖大道", "沌口路", "车城大道"], 10),
    district("江夏区", "420115", 114.322, 30.375, &["文化大道", "纸坊大街", "藏龙大道", "庙山大道"], 9),
    district("黄陂区", "420116", 114.375, 30.882, &["黄陂大道", "盘龙大道", "川龙大道", "武湖正街"], 8),
    district("新洲区", "420117", 114.801, 30.841, &["邾城街", "新洲大道", "平江大道", "港城大道"], 8),
];

struct Industry {
    /// GB/T 4754-2017 division name.
    name: &'static str,
    /// Words for enterprise names.
    words: &'static [&'static str],
    /// Mostly under key management (重点管理) when permitted.
    heavy: bool,
    weight: u32,
}

const fn industry(name: &'static str, words: &'static [&'static str], heavy: bool, weight: u32) -> Industry {
    Industry {
        name,
        words,
        heavy,
        weight,
    }
}

#[rustfmt::skip]
const INDUSTRIES: [Industry; 15] = [
    industry("化学原料和化学制品制造业", &["化工", "精细化工", "涂料", "新材料"], true, 14),
    industry("黑色金属冶炼和压延加工业", &["钢铁", "特钢", "金属材料"], true, 4),
    industry("汽车制造业", &["汽车零部件", "汽车配件", "车桥"], false, 14),
    industry("计算机、通信和其他电子设备制造业", &["光电子", "电子科技", "半导体", "光纤"], false, 10),
    industry("医药制造业", &["制药", "生物医药", "药业"], true, 7),
    industry("非金属矿物制品业", &["建材", "水泥", "新型墙材", "玻璃"], false, 8),
    industry("电力、热力生产和供应业", &["热电", "能源", "发电"], true, 4),
    industry("金属制品业", &["金属制品", "表面处理", "五金"], false, 9),
    industry("农副食品加工业", &["食品", "粮油", "肉类加工"], false, 8),
    industry("酒、饮料和精制茶制造业", &["饮料", "酒业"], false, 3),
    industry("橡胶和塑料制品业", &["塑料制品", "橡胶"], false, 6),
    industry("印刷和记录媒介复制业", &["印务", "包装印刷"], false, 4),
    industry("水的生产和供应业", &["水务", "污水处理"], true, 4),
    industry("生态保护和环境治理业", &["环保科技", "固废处置", "环境工程"], true, 4),
    industry("造纸和纸制品业", &["纸业", "纸品"], true, 3),
];

const BRANDS: [&str; 40] = [
    "长江", "楚天", "江城", "汉江", "东湖", "晴川", "黄鹤", "荆楚", "鑫达", "恒信", "华中", "光谷", "天宇", "晨光",
    "嘉禾", "瑞丰", "鸿泰", "博雅", "润泽", "宏图", "联创", "中南", "金桥", "汉正", "龙腾", "新源", "中汇", "德润",
    "盛世", "凯迪", "远航", "九州", "汇通", "永兴", "三江", "鼎盛", "华顺", "兴达", "和顺", "广源",
];

const FAMILY_NAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "董", "彭", "曾",
];

const GIVEN_NAMES: [&str; 48] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "文", "华", "建", "国", "志", "红", "辉", "鹏", "斌", "宇", "浩", "凯", "俊", "帆", "琳", "晨", "婷",
    "雪", "慧", "波", "峰", "飞", "鑫", "晶", "欣", "颖", "健",
];

const MOBILE_PREFIXES: [&str; 24] = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "158", "159",
    "177", "180", "182", "186", "187", "188", "189", "199",
];

/// Enterprises (before the duplicate row is appended).
const ENTERPRISES: usize = 199;
/// Enterprises whose credit code gets a wrong check character.
const ENT_BAD_CHECK: [usize; 3] = [23, 88, 156];
/// Enterprises with a blank address.
const ENT_BLANK_ADDRESS: [usize; 2] = [45, 170];
/// Enterprises with an invalid mobile number.
const ENT_BAD_PHONE: [(usize, &str); 2] = [(57, "1387126045"), (141, "12971340568")];
/// The enterprise registered a second time (appended as the last row).
const ENT_DUPLICATE_OF: usize = 120;

/// The GB 32100 alphabet, for the wrong check characters.
const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

#[derive(Debug, Clone)]
struct Enterprise {
    credit_code: String,
    name: String,
    address: String,
    legal_representative: String,
    contact_phone: String,
    industry: usize,
    district: usize,
    longitude: f64,
    latitude: f64,
    registered_at: NaiveDate,
}

/// GB 11714 check character of an 8-character organization code body.
fn organization_check(body: &str) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(36).unwrap_or(0) * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        v => char::from_digit(v, 10).unwrap_or('0'),
    }
}

/// A new, valid, unused credit code registered in `division`: `MA` codes for enterprises
/// registered since the reform of October 2015, a converted organization code before.
fn credit_code(
    rng: &mut Rng,
    division: &str,
    registered: NaiveDate,
    used: &mut HashSet<String>,
) -> anyhow::Result<String> {
    let reform = NaiveDate::from_ymd_opt(2015, 10, 1).unwrap_or_default();
    loop {
        let body: String = if registered >= reform {
            let tail: String = (0..4)
                .map(|_| char::from(USCC_ALPHABET.as_bytes()[rng.below(USCC_ALPHABET.len())]))
                .collect();
            format!("MA4K{tail}")
        } else {
            (0..8).map(|_| char::from(b'0' + (rng.next_u64() % 10) as u8)).collect()
        };
        let first17 = format!("91{division}{body}{}", organization_check(&body));
        let check = CreditCode::expected_check(&first17).context("generated credit code outside the alphabet")?;
        let code = format!("{first17}{check}");
        if used.insert(code.clone()) {
            return Ok(code);
        }
    }
}

/// A new, unused enterprise name.
fn enterprise_name(rng: &mut Rng, industry: &Industry, used: &mut HashSet<String>) -> String {
    loop {
        let brand = rng.pick(&BRANDS);
        let word = rng.pick(industry.words);
        let suffix = rng.pick(&[
            "有限公司",
            "有限公司",
            "有限公司",
            "有限公司",
            "股份有限公司",
            "有限责任公司",
        ]);
        let name = format!("武汉{brand}{word}{suffix}");
        if used.insert(name.clone()) {
            return name;
        }
    }
}

fn person_name(rng: &mut Rng) -> String {
    let mut name = rng.pick(&FAMILY_NAMES).to_owned();
    name.push_str(rng.pick(&GIVEN_NAMES));
    if rng.chance(0.6) {
        name.push_str(rng.pick(&GIVEN_NAMES));
    }
    name
}

fn mobile(rng: &mut Rng) -> String {
    format!("{}{:08}", rng.pick(&MOBILE_PREFIXES), rng.next_u64() % 100_000_000)
}

fn enterprises(clock: &Clock) -> anyhow::Result<Vec<Enterprise>> {
    let mut rng = Rng::new(3);
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(ENTERPRISES + 1);
    for i in 0..ENTERPRISES {
        let district = rng.weighted(DISTRICTS.iter().map(|d| d.weight));
        let industry = rng.weighted(INDUSTRIES.iter().map(|d| d.weight));
        let (d, ind) = (&DISTRICTS[district], &INDUSTRIES[industry]);
        let registered_at = clock.days_from_today(-rng.int(400, 10_000));
        let mut credit = credit_code(&mut rng, d.division, registered_at, &mut codes)?;
        if ENT_BAD_CHECK.contains(&i) {
            // The next character of the alphabet: always a wrong check character.
            let right = credit.pop().unwrap_or('0');
            let at = USCC_ALPHABET.find(right).unwrap_or(0);
            credit.push(USCC_ALPHABET.chars().cycle().nth(at + 1).unwrap_or('1'));
        }
        let name = enterprise_name(&mut rng, ind, &mut names);
        let building = if rng.chance(0.2) {
            format!("{}栋", rng.int(1, 12))
        } else {
            String::new()
        };
        let address = format!("武汉市{}{}{}号{building}", d.name, rng.pick(d.roads), rng.int(1, 1999));
        let legal_representative = person_name(&mut rng);
        let phone = mobile(&mut rng);
        let longitude = round(d.lon + rng.uniform(-0.06, 0.06), 6);
        let latitude = round(d.lat + rng.uniform(-0.045, 0.045), 6);
        out.push(Enterprise {
            credit_code: credit,
            name,
            address: if ENT_BLANK_ADDRESS.contains(&i) {
                String::new()
            } else {
                address
            },
            legal_representative,
            contact_phone: ENT_BAD_PHONE
                .iter()
                .find(|p| p.0 == i)
                .map_or(phone, |p| p.1.to_owned()),
            industry,
            district,
            longitude,
            latitude,
            registered_at,
        });
    }
    // The same enterprise entered again, with 武汉市 instead of 武汉 in its name.
    let mut again = out
        .get(ENT_DUPLICATE_OF)
        .cloned()
        .context("no enterprise to duplicate")?;
    again.name = again.name.replacen("武汉", "武汉市", 1);
    out.push(again);
    Ok(out)
}

fn enterprise_rows(firms: &[Enterprise]) -> Vec<Vec<V>> {
    firms
        .iter()
        .zip(1..)
        .map(|(e, id)| {
            vec![
                V::Int(id),
                text(e.credit_code.as_str()),
                text(e.name.as_str()),
                text(e.address.as_str()),
                text(e.legal_representative.as_str()),
                text(e.contact_phone.as_str()),
                text(INDUSTRIES.get(e.industry).map_or("", |i| i.name)),
                text(DISTRICTS.get(e.district).map_or("", |d| d.name)),
                V::Num(e.longitude, 6),
                V::Num(e.latitude, 6),
                text(date(e.registered_at)),
            ]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Discharge permits.

/// Permits (by position) whose validity ended this many days ago.
const PERMIT_EXPIRED_AGO: [(usize, i64); 3] = [(25, 12), (77, 95), (133, 240)];
/// Permits (by position) ending in this many days.
const PERMIT_EXPIRING_IN: [(usize, i64); 4] = [(40, 7), (88, 21), (119, 38), (170, 55)];
/// Positions at which permits of enterprises missing from `enterprise` are inserted.
const PERMIT_ORPHANS_AT: [usize; 2] = [60, 150];
/// Permits (by position) with a malformed number.
const PERMIT_MALFORMED: [usize; 2] = [12, 101];

fn permit_rows(clock: &Clock, firms: &[Enterprise]) -> anyhow::Result<Vec<Vec<V>>> {
    struct Permit {
        number: String,
        credit_code: String,
        holder: String,
        category: &'static str,
        industry: &'static str,
        valid_to: NaiveDate,
    }
    let mut rng = Rng::new(4);
    let mut codes: HashSet<String> = firms.iter().map(|e| e.credit_code.clone()).collect();
    let mut names: HashSet<String> = firms.iter().map(|e| e.name.clone()).collect();
    let mut holders: Vec<(String, String, usize)> = Vec::new();
    for (i, e) in firms.iter().take(ENTERPRISES).enumerate() {
        if i % 9 == 4 {
            continue; // no permit (not in the permit catalogue's scope)
        }
        let sites = if i % 41 == 7 { 2 } else { 1 };
        for _ in 0..sites {
            holders.push((e.credit_code.clone(), e.name.clone(), e.industry));
        }
    }
    for at in PERMIT_ORPHANS_AT {
        let industry = rng.weighted(INDUSTRIES.iter().map(|d| d.weight));
        let ind = &INDUSTRIES[industry];
        let division = DISTRICTS[rng.below(DISTRICTS.len())].division;
        let registered = clock.days_from_today(-rng.int(400, 10_000));
        let code = credit_code(&mut rng, division, registered, &mut codes)?;
        let orphan = (code, enterprise_name(&mut rng, ind, &mut names), industry);
        holders.insert(at.min(holders.len()), orphan);
    }
    let mut permits = Vec::with_capacity(holders.len());
    let mut sequences: HashMap<String, u32> = HashMap::new();
    for (code, holder, industry) in holders {
        let ind = &INDUSTRIES[industry];
        let category = match (ind.heavy, rng.unit()) {
            (true, u) if u < 0.7 => "重点管理",
            (true, _) => "简化管理",
            (false, u) if u < 0.5 => "简化管理",
            (false, _) => "登记管理",
        };
        let letter = if category == "登记管理" { 'W' } else { 'P' };
        let sequence = {
            let n = sequences.entry(code.clone()).or_insert(0u32);
            *n += 1;
            *n
        };
        let valid_to = clock.days_from_today(rng.int(70, 1790));
        permits.push(Permit {
            number: format!("{code}{sequence:03}{letter}"),
            credit_code: code,
            holder,
            category,
            industry: ind.name,
            valid_to,
        });
    }
    for &(at, days) in &PERMIT_EXPIRED_AGO {
        if let Some(p) = permits.get_mut(at) {
            p.valid_to = clock.days_from_today(-days);
        }
    }
    for &(at, days) in &PERMIT_EXPIRING_IN {
        if let Some(p) = permits.get_mut(at) {
            p.valid_to = clock.days_from_today(days);
        }
    }
    // Two malformed numbers: a separator typed in, and a lower-case identifier letter.
    let [typo_at, lower_at] = PERMIT_MALFORMED;
    if let Some(p) = permits.get_mut(typo_at) {
        p.number = format!("{}-{}", p.credit_code, p.number.get(18..).unwrap_or("001P"));
    }
    if let Some(p) = permits.get_mut(lower_at) {
        p.number = p.number.to_lowercase();
    }
    permits
        .into_iter()
        .map(|p| {
            let valid_from = p
                .valid_to
                .checked_sub_months(Months::new(60))
                .and_then(|d| d.succ_opt())
                .context("date out of range")?;
            Ok(vec![
                text(p.number),
                text(p.credit_code),
                text(p.holder),
                text(p.category),
                text(p.industry),
                text(date(valid_from)),
                text(date(p.valid_to)),
                text("武汉市生态环境局"),
            ])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Meteorology.

/// National surface stations: id, name, temperature offset (℃), pressure offset (hPa), wind factor.
const MET_STATIONS: [(&str, &str, f64, f64, f64); 5] = [
    ("57494", "武汉", 0.0, 0.0, 1.0),
    ("57483", "蔡甸", -0.2, -0.6, 1.1),
    ("57491", "黄陂", -0.4, -1.4, 0.95),
    ("57492", "新洲", -0.3, -0.8, 1.05),
    ("57493", "江夏", 0.1, -0.3, 1.0),
];
/// (station, hour, excess) where the dew point exceeds the temperature.
const MET_DEW_ABOVE: [(usize, i64, f64); 2] = [(1, 150, 1.3), (3, 480, 0.6)];
/// (station, hour) with relative humidity 120.
const MET_RH_120: [(usize, i64); 3] = [(0, 210), (2, 390), (4, 600)];
/// 新洲 misses hours 02..08 UTC of the 13th day.
const MET_GAP_STATION: usize = 3;
const MET_GAP_HOURS: u32 = 6;
/// 武汉's temperature sticks for 8 hours from hour 500.
const MET_STUCK: (usize, i64) = (0, 500);
const MET_STUCK_HOURS: u32 = 8;
/// (station, hour) of a calm with a direction.
const MET_CALM_WITH_DIRECTION: (usize, i64) = (4, 333);

/// Relative humidity (%) from temperature and dew point (Magnus, over water).
fn relative_humidity(t: f64, td: f64) -> f64 {
    let e = |x: f64| (17.625 * x / (243.04 + x)).exp();
    100.0 * e(td) / e(t)
}

#[derive(Debug, Clone, Copy)]
struct Obs {
    t: f64,
    td: f64,
    rh: i64,
    pressure: f64,
    wind_speed: f64,
    wind_direction: i64,
    precipitation: f64,
}

fn rh_of(t: f64, td: f64) -> i64 {
    relative_humidity(t, td).round() as i64
}

fn met_rows(clock: &Clock) -> Vec<Vec<V>> {
    let mut rng = Rng::new(5);
    let (mut anomaly, mut pressure_anomaly, mut dryness, mut wind_state, mut veer) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut raining = false;
    let mut grid: Vec<Vec<Obs>> = vec![Vec::with_capacity(720); MET_STATIONS.len()];
    for h in 0..HOURS {
        let (hour, s) = local_hour_and_season(clock.hour(h));
        anomaly = 0.985 * anomaly + 0.43 * rng.normal();
        pressure_anomaly = 0.98 * pressure_anomaly + 0.35 * rng.normal();
        dryness = 0.97 * dryness + 0.25 * rng.normal();
        wind_state = 0.9 * wind_state + 0.22 * rng.normal();
        veer = 0.92 * veer + 12.0 * rng.normal();
        raining = if raining { !rng.chance(0.15) } else { rng.chance(0.02) };
        // Summer showers are heavier than winter drizzle.
        let intensity = rng.uniform(0.2, 1.2) * (1.0 + 0.75 * (1.0 - s));
        for (i, &(_, _, t_offset, p_offset, wind_factor)) in MET_STATIONS.iter().enumerate() {
            let n: [f64; 6] = std::array::from_fn(|_| rng.normal());
            let amplitude = if raining { 1.5 } else { 4.0 };
            let diurnal = (2.0 * PI * (hour - 15.0) / 24.0).cos();
            let rain_cooling = if raining { -1.0 } else { 0.0 };
            let t = round(
                16.6 - 12.4 * s + amplitude * diurnal + anomaly + t_offset + rain_cooling + 0.3 * n[0],
                1,
            );
            let depression = if raining {
                0.2 + 0.5 * n[1].abs()
            } else {
                (4.5 + 1.6 * dryness + 2.0 * diurnal + 0.6 * n[1]).max(0.3)
            };
            let td = round(t - round(depression, 1), 1);
            let pressure = round(
                1016.5 + 9.0 * s - 1.2 * anomaly
                    + pressure_anomaly
                    + 0.8 * (4.0 * PI * (hour - 10.0) / 24.0).cos()
                    + p_offset
                    + 0.2 * n[2],
                1,
            );
            let daytime = (PI * (hour - 6.0) / 14.0).sin().max(0.0);
            let wind_speed = round(
                (0.9 + 1.5 * daytime) * wind_factor * (wind_state + 0.35 * n[3]).exp(),
                1,
            );
            let wind_direction = if wind_speed < 0.3 {
                0
            } else {
                let prevailing = 112.5 - 67.5 * s;
                ((prevailing + 1.8 * veer + 15.0 * n[4]).round() as i64 - 1).rem_euclid(360) + 1
            };
            let precipitation = if raining && n[5] > -1.0 {
                round(intensity * rng.uniform(0.2, 1.5), 1)
            } else {
                0.0
            };
            grid[i].push(Obs {
                t,
                td,
                rh: rh_of(t, td),
                pressure,
                wind_speed,
                wind_direction,
                precipitation,
            });
        }
    }
    plant_met_defects(&mut grid);
    let gap_start = met_gap_start(clock);
    let mut rows = Vec::with_capacity(MET_STATIONS.len() * 720);
    for h in 0..HOURS {
        let observed_at = timestamp(clock.hour(h));
        for (i, (station, column)) in MET_STATIONS.iter().zip(&grid).enumerate() {
            if i == MET_GAP_STATION && (gap_start..gap_start + i64::from(MET_GAP_HOURS)).contains(&h) {
                continue;
            }
            let Some(o) = usize::try_from(h).ok().and_then(|h| column.get(h)) else {
                continue;
            };
            rows.push(vec![
                text(station.0),
                text(observed_at.as_str()),
                V::Num(o.t, 1),
                V::Num(o.td, 1),
                V::Int(o.rh),
                V::Num(o.pressure, 1),
                V::Num(o.wind_speed, 1),
                V::Int(o.wind_direction),
                V::Num(o.precipitation, 1),
            ]);
        }
    }
    rows
}

/// The first missing hour of 新洲's gap: 02 UTC on the 13th day of the window.
fn met_gap_start(clock: &Clock) -> i64 {
    (12 * 24..HOURS).find(|&h| clock.hour(h).hour() == 2).unwrap_or(12 * 24)
}

fn obs_at(grid: &mut [Vec<Obs>], station: usize, hour: i64) -> Option<&mut Obs> {
    grid.get_mut(station)
        .and_then(|column| usize::try_from(hour).ok().and_then(|h| column.get_mut(h)))
}

fn plant_met_defects(grid: &mut [Vec<Obs>]) {
    for &(station, hour, excess) in &MET_DEW_ABOVE {
        if let Some(o) = obs_at(grid, station, hour) {
            o.td = round(o.t + excess, 1);
            o.rh = 100;
        }
    }
    for &(station, hour) in &MET_RH_120 {
        if let Some(o) = obs_at(grid, station, hour) {
            o.rh = 120;
        }
    }
    if let Some(o) = obs_at(grid, MET_CALM_WITH_DIRECTION.0, MET_CALM_WITH_DIRECTION.1) {
        o.wind_speed = 0.2;
        o.wind_direction = 135;
    }
    let (station, start) = MET_STUCK;
    let end = start + i64::from(MET_STUCK_HOURS);
    let Some(stuck) = obs_at(grid, station, start).map(|o| o.t) else {
        return;
    };
    for hour in start..end {
        if let Some(o) = obs_at(grid, station, hour) {
            o.t = stuck;
            o.td = o.td.min(stuck);
            o.rh = rh_of(o.t, o.td);
        }
    }
    // The hours around the run must differ, so that the run is exactly as long as planted.
    for hour in [start - 1, end] {
        if let Some(o) = obs_at(grid, station, hour)
            && (o.t - stuck).abs() < 0.05
        {
            o.t = round(o.t + 0.1, 1);
            o.rh = rh_of(o.t, o.td);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Enforcement cases.

/// Violations and their usual penalty range (yuan).
const VIOLATIONS: [(&str, i64, i64); 13] = [
    ("超过大气污染物排放标准排放大气污染物", 100_000, 1_000_000),
    ("未依法取得排污许可证排放污染物", 200_000, 1_000_000),
    ("通过暗管等逃避监管的方式排放水污染物", 200_000, 1_000_000),
    (
        "未按照规定对所排放的工业废气进行监测并保存原始监测记录",
        20_000,
        200_000,
    ),
    ("施工工地未采取有效防尘降尘措施", 10_000, 100_000),
    ("危险废物贮存场所不符合国家环境保护标准", 100_000, 1_000_000),
    ("建设项目环境影响报告表未经批准擅自开工建设", 50_000, 500_000),
    ("超过水污染物排放标准排放水污染物", 100_000, 1_000_000),
    ("未按照规定设置规范化排污口", 20_000, 200_000),
    ("重点排污单位未按照规定安装自动监测设备并联网", 20_000, 200_000),
    ("挥发性有机物废气未按照规定收集处理", 20_000, 200_000),
    ("未按照排污许可证规定提交执行报告", 5_000, 20_000),
    ("工业噪声排放超过国家规定的排放标准", 20_000, 200_000),
];

const OFFICERS: [&str; 12] = [
    "陈志刚",
    "王磊",
    "李静",
    "张帆",
    "刘俊",
    "周敏",
    "胡斌",
    "徐丽",
    "郭涛",
    "何建华",
    "罗晶",
    "万勇",
];

const CASE_COUNT: usize = 60;
/// Position (after sorting by filing date) of the case against an enterprise missing from `enterprise`.
const CASE_ORPHAN: usize = 17;
/// The negative penalty goes to the first decided case at or after this position.
const CASE_NEGATIVE_FROM: usize = 40;

fn case_rows(clock: &Clock, firms: &[Enterprise]) -> anyhow::Result<Vec<Vec<V>>> {
    struct Case {
        filed: NaiveDate,
        credit_code: String,
        enterprise_name: String,
        violation: usize,
        penalty: Option<i64>,
        decided: Option<NaiveDate>,
        status: &'static str,
        officer: &'static str,
    }
    let mut rng = Rng::new(6);
    let mut cases = Vec::with_capacity(CASE_COUNT);
    for _ in 0..CASE_COUNT {
        let e = firms.get(rng.below(ENTERPRISES)).context("no enterprise for a case")?;
        let filed = clock.days_from_today(-rng.int(8, 560));
        let violation = rng.below(VIOLATIONS.len());
        let (_, lo, hi) = VIOLATIONS[violation];
        let skew = rng.unit().powi(2);
        let penalty = (lo + ((hi - lo) as f64 * skew) as i64) / 100 * 100;
        let decided = filed + TimeDelta::days(rng.int(20, 80));
        let closed = rng.chance(0.75);
        let (penalty, decided, status) = if decided >= clock.today {
            let status = if (clock.today - filed).num_days() < 15 {
                "立案"
            } else {
                "调查"
            };
            (None, None, status)
        } else if closed && (clock.today - decided).num_days() > 60 {
            (Some(penalty), Some(decided), "结案")
        } else {
            (Some(penalty), Some(decided), "处罚决定")
        };
        cases.push(Case {
            filed,
            credit_code: e.credit_code.clone(),
            enterprise_name: e.name.clone(),
            violation,
            penalty,
            decided,
            status,
            officer: rng.pick(&OFFICERS),
        });
    }
    cases.sort_by_key(|c| c.filed);
    if let Some(c) = cases.get_mut(CASE_ORPHAN) {
        let mut codes: HashSet<String> = firms.iter().map(|e| e.credit_code.clone()).collect();
        let mut names: HashSet<String> = firms.iter().map(|e| e.name.clone()).collect();
        let registered = clock.days_from_today(-rng.int(400, 10_000));
        c.credit_code = credit_code(&mut rng, "420112", registered, &mut codes)?;
        c.enterprise_name = enterprise_name(&mut rng, &INDUSTRIES[0], &mut names);
    }
    let negative = (CASE_NEGATIVE_FROM..cases.len())
        .chain(0..CASE_NEGATIVE_FROM)
        .find(|&i| cases.get(i).is_some_and(|c| c.penalty.is_some()));
    if let Some(c) = negative.and_then(|i| cases.get_mut(i)) {
        c.penalty = c.penalty.map(|p| -p);
    }
    let mut year = 0;
    let mut number = 0;
    let mut rows = Vec::with_capacity(cases.len());
    for c in cases {
        if c.filed.year() == year {
            number += rng.int(1, 5);
        } else {
            year = c.filed.year();
            number = rng.int(2, 9);
        }
        rows.push(vec![
            text(format!("武环罚〔{year}〕{number}号")),
            text(c.credit_code),
            text(c.enterprise_name),
            text(VIOLATIONS[c.violation].0),
            c.penalty.map_or(V::Null, |p| V::Num(p as f64, 2)),
            c.decided.map_or(V::Null, |d| text(date(d))),
            text(c.status),
            text(c.officer),
        ]);
    }
    Ok(rows)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    use chrono::TimeZone;
    use ecogov_domain::catalog::drift::{self, Change};
    use ecogov_domain::catalog::introspect;
    use ecogov_domain::ident::PermitNumber;
    use ecogov_domain::sensitivity::Scanner;
    use ecogov_domain::service::classification::DEFAULT_SUB_LEVELS as SUB_LEVELS;
    use sea_orm::{DatabaseConnection, DbBackend, Statement};

    use super::*;

    /// Identifier letters of HJ 608-2017 numbers that the demo accepts.
    const PERMIT_LETTERS: &[char] = &['P', 'V', 'U', 'W', 'Q', 'X', 'Y', 'Z'];

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 20, 10, 37, 12).unwrap()
    }

    /// A database file in the temp directory, removed (with its side files) on drop.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new(tag: &str) -> Self {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default();
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            TempDb(std::env::temp_dir().join(format!("ecogov-demo-{tag}-{}-{nanos}-{n}.db", std::process::id())))
        }

        async fn open(&self) -> DatabaseConnection {
            Database::connect(format!("sqlite://{}?mode=ro", self.0.display()))
                .await
                .unwrap()
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            let _ = remove_database_files(&self.0);
        }
    }

    async fn created(tag: &str, at: DateTime<Utc>) -> (TempDb, DatabaseConnection) {
        let file = TempDb::new(tag);
        create(&file.0, at).await.unwrap();
        let db = file.open().await;
        (file, db)
    }

    async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no row: {sql}"));
        row.try_get_by_index::<i64>(0).unwrap()
    }

    async fn count(db: &DatabaseConnection, sql: &str) -> u32 {
        u32::try_from(number(db, sql).await).unwrap()
    }

    /// The first column of every row, as text (NULL as "NULL").
    async fn texts(db: &DatabaseConnection, sql: &str) -> Vec<String> {
        db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                r.try_get_by_index::<Option<String>>(0)
                    .unwrap()
                    .unwrap_or_else(|| "NULL".into())
            })
            .collect()
    }

    /// Every row of every table, each as one `quote()`d line, in rowid order.
    async fn dump(db: &DatabaseConnection) -> Vec<String> {
        let mut out = Vec::new();
        for d in catalog("demo", "DRC") {
            let columns: Vec<String> = d.fields.iter().map(|f| format!("quote({})", f.name)).collect();
            let sql = format!("SELECT {} FROM {} ORDER BY rowid", columns.join(" || '|' || "), d.table);
            out.push(format!("-- {}", d.table));
            out.extend(texts(db, &sql).await);
        }
        out
    }

    fn last_hour() -> String {
        "2026-01-20 09:00:00".to_owned()
    }

    #[tokio::test]
    async fn tables_exist_with_rows_up_to_the_hour_before_now() {
        let (_file, db) = created("rows", now()).await;
        let tables = introspect::list_tables(&db).await.unwrap();
        let names: BTreeSet<String> = tables.into_iter().map(|(_, n)| n).collect();
        let expected: BTreeSet<String> = catalog("demo", "DRC").iter().map(|d| d.table.to_owned()).collect();
        assert_eq!(names, expected);
        let permits = count(&db, "SELECT COUNT(*) FROM discharge_permit").await;
        assert!((170..=200).contains(&permits), "{permits} permits");
        for (table, rows) in [
            (AIR, 10 * 720 - 72 + 3),
            (WATER, 240),
            (ENTERPRISE, 200),
            (PERMIT, permits),
            (MET, 5 * 720 - 6),
            (CASES, 60),
        ] {
            assert_eq!(
                count(&db, &format!("SELECT COUNT(*) FROM {table}")).await,
                rows,
                "{table}"
            );
        }
        for table in [AIR, MET] {
            let max = texts(&db, &format!("SELECT MAX(observed_at) FROM {table}")).await;
            assert_eq!(max, vec![last_hour()], "{table}");
            let min = texts(&db, &format!("SELECT MIN(observed_at) FROM {table}")).await;
            assert_eq!(min, vec!["2025-12-21 10:00:00".to_owned()], "{table}");
        }
        let months = texts(&db, "SELECT DISTINCT month FROM water_section_monthly ORDER BY month").await;
        assert_eq!(months.first().map(String::as_str), Some("2025-01"));
        assert_eq!(months.last().map(String::as_str), Some("2025-12"));
        assert_eq!(months.len(), 12);
    }

    #[test]
    fn catalog_entries_pass_validation() {
        let datasets = catalog("demo-src", "DRC");
        assert_eq!(datasets.len(), 6);
        let mut codes = HashSet::new();
        for d in &datasets {
            assert_eq!(d.resource.validate(), vec![], "{}", d.table);
            assert_eq!(d.resource.tables, vec![format!("demo-src.{}", d.table)]);
            assert_eq!(d.resource.provider_department, "DRC");
            assert!(
                codes.insert(d.resource.code.clone()),
                "duplicate code {}",
                d.resource.code
            );
            let mut names = HashSet::new();
            for f in &d.fields {
                assert_eq!(f.validate(SUB_LEVELS), vec![], "{}.{}", d.table, f.name);
                assert!(names.insert(f.name.to_lowercase()), "{}.{} twice", d.table, f.name);
            }
        }
        for d in &datasets {
            for r in &d.resource.related_codes {
                assert!(codes.contains(r), "{} relates to unknown {r}", d.resource.code);
            }
        }
        let systems: BTreeSet<&str> = datasets.iter().map(|d| d.resource.source_system.as_str()).collect();
        let want: BTreeSet<&str> = [
            "air-network",
            "water-network",
            "permit-platform",
            "met-bureau",
            "enforcement",
            "enterprise-registry",
        ]
        .into_iter()
        .collect();
        assert_eq!(systems, want);
    }

    #[tokio::test]
    async fn catalog_matches_the_tables_except_the_planted_nullability() {
        let (_file, db) = created("schema", now()).await;
        for d in catalog("demo", "DRC") {
            let info = texts(
                &db,
                &format!("SELECT name FROM pragma_table_info('{}') ORDER BY cid", d.table),
            )
            .await;
            let names: Vec<String> = d.fields.iter().map(|f| f.name.clone()).collect();
            assert_eq!(info, names, "{}", d.table);
            let table = introspect::describe(&db, d.table).await.unwrap();
            let changes = drift::compare(d.table, &d.fields, Some(&table)).changes;
            let expected = if d.table == AIR {
                vec![Change::NullabilityChanged {
                    column: "pm25".into(),
                    catalog: false,
                    actual: true,
                }]
            } else {
                vec![]
            };
            assert_eq!(changes, expected, "{}", d.table);
        }
    }

    fn is_mobile(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b.first() == Some(&b'1')
            && b.get(1).is_some_and(|d| (b'3'..=b'9').contains(d))
    }

    /// Per station, the lengths of runs of at least `min` equal consecutive temperatures.
    async fn temperature_runs(db: &DatabaseConnection, min: usize) -> Vec<(String, usize)> {
        let rows = texts(
            db,
            "SELECT station_id || '|' || CAST(temperature AS TEXT) FROM met_hourly ORDER BY station_id, observed_at",
        )
        .await;
        let mut runs = Vec::new();
        let mut current: Option<(String, usize)> = None;
        for row in rows {
            current = match current {
                Some((key, n)) if key == row => Some((key, n + 1)),
                Some((key, n)) => {
                    if n >= min {
                        runs.push((key, n));
                    }
                    Some((row, 1))
                }
                None => Some((row, 1)),
            };
        }
        if let Some((key, n)) = current
            && n >= min
        {
            runs.push((key, n));
        }
        runs
    }

    /// The hours missing for one met station, from the first to the last hour of the window.
    async fn missing_met_hours(db: &DatabaseConnection, station: &str) -> Vec<String> {
        let present: HashSet<String> = texts(
            db,
            &format!("SELECT observed_at FROM met_hourly WHERE station_id = '{station}'"),
        )
        .await
        .into_iter()
        .collect();
        let clock = Clock::new(now()).unwrap();
        (0..HOURS)
            .map(|h| timestamp(clock.hour(h)))
            .filter(|t| !present.contains(t))
            .collect()
    }

    #[tokio::test]
    #[allow(clippy::too_many_lines, reason = "one check per planted defect, in order")]
    async fn every_planted_defect_is_present_with_its_row_count() {
        let (_file, db) = created("defects", now()).await;
        let today = now().date_naive();
        let in_60_days = today + TimeDelta::days(60);
        let db = &db;

        let credit_codes = texts(db, "SELECT credit_code FROM enterprise").await;
        assert!(credit_codes.iter().all(|c| CreditCode::parse(c).is_ok()), "shapes");
        let bad_check = credit_codes
            .iter()
            .filter(|c| CreditCode::parse(c).is_ok_and(|c| c.is_suspect()))
            .count();
        let phones = texts(db, "SELECT contact_phone FROM enterprise").await;
        let bad_phones = phones.iter().filter(|p| !is_mobile(p)).count();
        let permit_numbers = texts(db, "SELECT permit_no FROM discharge_permit").await;
        let malformed = permit_numbers
            .iter()
            .filter(|p| PermitNumber::parse(p, PERMIT_LETTERS).is_err())
            .count();
        let gap = missing_met_hours(db, "57492").await;
        let gap_days: BTreeSet<&str> = gap.iter().filter_map(|t| t.get(..10)).collect();
        assert_eq!(gap_days.len(), 1, "gap on one day: {gap:?}");
        for other in ["57494", "57483", "57491", "57493"] {
            assert_eq!(missing_met_hours(db, other).await, Vec::<String>::new(), "{other}");
        }
        let runs = temperature_runs(db, 4).await;
        assert_eq!(runs.len(), 1, "runs of >= 4 equal temperatures: {runs:?}");
        assert!(runs.iter().all(|(key, _)| key.starts_with("57494|")));
        let stuck: usize = runs.iter().map(|r| r.1).sum();
        let stopped_last = texts(
            db,
            "SELECT MAX(observed_at) FROM air_station_hourly WHERE station_code = '1332A'",
        )
        .await;
        assert_eq!(stopped_last, vec!["2026-01-17 09:00:00".to_owned()]);
        let others_last = texts(
            db,
            "SELECT DISTINCT MAX(observed_at) FROM air_station_hourly WHERE station_code <> '1332A' \
             GROUP BY station_code",
        )
        .await;
        assert_eq!(others_last, vec![last_hour()]);

        let found: Vec<(&str, &str, u32)> = vec![
            (
                AIR,
                "pm25",
                count(db, "SELECT COUNT(*) FROM air_station_hourly WHERE pm25 IS NULL").await,
            ),
            (
                AIR,
                "pm25",
                count(
                    db,
                    "SELECT COUNT(*) FROM air_station_hourly WHERE pm25 < 0 OR pm25 > 1000",
                )
                .await,
            ),
            (
                AIR,
                "observed_at",
                count(
                    db,
                    "SELECT 720 - COUNT(DISTINCT observed_at) FROM air_station_hourly WHERE station_code = '1332A'",
                )
                .await,
            ),
            (
                AIR,
                "observed_at",
                count(
                    db,
                    "SELECT COUNT(*) - (SELECT COUNT(*) FROM (SELECT DISTINCT station_code, observed_at \
                     FROM air_station_hourly)) FROM air_station_hourly",
                )
                .await,
            ),
            (
                WATER,
                "ammonia_nitrogen",
                count(
                    db,
                    "SELECT COUNT(*) FROM water_section_monthly WHERE ammonia_nitrogen < 0",
                )
                .await,
            ),
            (
                WATER,
                "ph",
                count(db, "SELECT COUNT(*) FROM water_section_monthly WHERE ph < 0 OR ph > 14").await,
            ),
            (ENTERPRISE, "credit_code", count_of(bad_check)),
            (
                ENTERPRISE,
                "address",
                count(db, "SELECT COUNT(*) FROM enterprise WHERE TRIM(address) = ''").await,
            ),
            (
                ENTERPRISE,
                "credit_code",
                count(db, "SELECT COUNT(*) - COUNT(DISTINCT credit_code) FROM enterprise").await,
            ),
            (ENTERPRISE, "contact_phone", count_of(bad_phones)),
            (PERMIT, "permit_no", count_of(malformed)),
            (
                PERMIT,
                "valid_to",
                count(
                    db,
                    &format!("SELECT COUNT(*) FROM discharge_permit WHERE valid_to < '{today}'"),
                )
                .await,
            ),
            (
                PERMIT,
                "valid_to",
                count(
                    db,
                    &format!(
                        "SELECT COUNT(*) FROM discharge_permit \
                         WHERE valid_to >= '{today}' AND valid_to <= '{in_60_days}'"
                    ),
                )
                .await,
            ),
            (
                PERMIT,
                "credit_code",
                count(
                    db,
                    "SELECT COUNT(*) FROM discharge_permit \
                     WHERE credit_code NOT IN (SELECT credit_code FROM enterprise)",
                )
                .await,
            ),
            (
                MET,
                "dew_point",
                count(db, "SELECT COUNT(*) FROM met_hourly WHERE dew_point > temperature").await,
            ),
            (
                MET,
                "relative_humidity",
                count(db, "SELECT COUNT(*) FROM met_hourly WHERE relative_humidity > 100").await,
            ),
            (MET, "observed_at", count_of(gap.len())),
            (MET, "temperature", count_of(stuck)),
            (
                MET,
                "wind_direction",
                count(
                    db,
                    "SELECT COUNT(*) FROM met_hourly WHERE wind_speed < 0.3 AND wind_direction <> 0",
                )
                .await,
            ),
            (
                CASES,
                "credit_code",
                count(
                    db,
                    "SELECT COUNT(*) FROM enforcement_case \
                     WHERE credit_code NOT IN (SELECT credit_code FROM enterprise)",
                )
                .await,
            ),
            (
                CASES,
                "penalty_amount",
                count(db, "SELECT COUNT(*) FROM enforcement_case WHERE penalty_amount < 0").await,
            ),
        ];
        let planted = defects();
        assert_eq!(planted.len(), found.len());
        for (d, (table, column, rows)) in planted.iter().zip(&found) {
            assert_eq!((d.table, d.column), (*table, *column), "{}", d.what);
            assert_eq!(d.rows, *rows, "{}.{}: {}", d.table, d.column, d.what);
            assert!(d.rows > 0 && !d.what.is_empty());
        }
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM met_hourly WHERE relative_humidity = 120").await,
            3
        );
    }

    fn count_of(n: usize) -> u32 {
        u32::try_from(n).unwrap()
    }

    #[tokio::test]
    async fn clean_rows_are_consistent() {
        let (_file, db) = created("consistency", now()).await;
        let db = &db;
        // Relative humidity follows temperature and dew point, except in the planted rows.
        let rows = texts(
            db,
            "SELECT CAST(temperature AS TEXT) || '|' || CAST(dew_point AS TEXT) || '|' || relative_humidity \
             FROM met_hourly",
        )
        .await;
        let inconsistent = rows
            .iter()
            .filter(|r| {
                let v: Vec<f64> = r.split('|').map(|x| x.parse().unwrap()).collect();
                (relative_humidity(v[0], v[1]) - v[2]).abs() > 1.0
            })
            .count();
        assert_eq!(inconsistent, MET_DEW_ABOVE.len() + MET_RH_120.len());
        // A calm has direction 0 (but for the planted row); other winds 1..=360.
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM met_hourly WHERE wind_speed >= 0.3 AND wind_direction NOT BETWEEN 1 AND 360"
            )
            .await,
            0
        );
        assert!(
            count(
                db,
                "SELECT COUNT(*) FROM met_hourly WHERE wind_speed < 0.3 AND wind_direction = 0"
            )
            .await
                > 0
        );
        // The AQI has a primary pollutant exactly when above 50; quality flags are normal.
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM air_station_hourly WHERE (aqi > 50) <> (primary_pollutant IS NOT NULL) \
                 OR aqi NOT BETWEEN 0 AND 500 OR quality_flag <> 'N'"
            )
            .await,
            0
        );
        // Winter PM2.5 in Wuhan: a city-wide mean of a few tens of μg/m³, PM10 above PM2.5.
        let mean = number(
            db,
            "SELECT CAST(AVG(pm25) AS INTEGER) FROM air_station_hourly WHERE pm25 BETWEEN 0 AND 1000",
        )
        .await;
        assert!((40..=110).contains(&mean), "mean PM2.5 {mean}");
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM air_station_hourly WHERE pm10 <= pm25 AND pm25 BETWEEN 0 AND 1000"
            )
            .await,
            0
        );
        // Water classes are labels of GB 3838-2002.
        let classes = texts(
            db,
            "SELECT water_class FROM water_section_monthly UNION SELECT target_class FROM water_section_monthly",
        )
        .await;
        assert!(
            classes.iter().all(|c| WATER_CLASSES.contains(&c.as_str())),
            "{classes:?}"
        );
        // Coordinates in the Wuhan area; valid permit numbers carry the holder's credit code.
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM enterprise \
                 WHERE longitude NOT BETWEEN 113.7 AND 115.1 OR latitude NOT BETWEEN 29.9 AND 31.4"
            )
            .await,
            0
        );
        let permits = texts(db, "SELECT permit_no || '|' || credit_code FROM discharge_permit").await;
        for p in &permits {
            let (number, code) = p.split_once('|').unwrap();
            if let Ok(parsed) = PermitNumber::parse(number, PERMIT_LETTERS) {
                assert_eq!(parsed.credit_code().as_str(), code);
            }
        }
        // Validity is five years; undecided cases have neither a penalty nor a decision date.
        let spans = texts(db, "SELECT valid_from || '|' || valid_to FROM discharge_permit").await;
        for s in spans {
            let (from, to) = s.split_once('|').unwrap();
            let from = NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
            let to = NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap();
            assert_eq!(
                from.checked_add_months(Months::new(60)).unwrap().pred_opt().unwrap(),
                to
            );
        }
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM enforcement_case WHERE (status IN ('立案', '调查')) <> (decided_at IS NULL) \
                 OR (decided_at IS NULL) <> (penalty_amount IS NULL) OR decided_at >= '2026-01-20'"
            )
            .await,
            0
        );
    }

    #[tokio::test]
    async fn the_scanner_proposes_exactly_the_catalogued_tags() {
        let (_file, db) = created("scan", now()).await;
        let scanner = Scanner::default();
        let mut mismatches = HashMap::new();
        for d in catalog("demo", "DRC") {
            for f in &d.fields {
                let values = introspect::sample(&db, d.table, &f.name, 200).await.unwrap();
                let values: Vec<Option<&str>> = values.iter().map(|v| Some(v.as_str())).collect();
                let proposed: BTreeSet<String> = scanner
                    .scan(&f.name, None, &values)
                    .iter()
                    .map(|s| s.tag.as_str().to_owned())
                    .collect();
                let catalogued: BTreeSet<String> = f.tags.iter().cloned().collect();
                if proposed != catalogued {
                    mismatches.insert(format!("{}.{}", d.table, f.name), (proposed, catalogued));
                }
            }
        }
        assert!(mismatches.is_empty(), "{mismatches:#?}");
    }

    #[tokio::test]
    async fn the_same_now_gives_the_same_data() {
        let (_a, first) = created("same-a", now()).await;
        let (b, second) = created("same-b", now()).await;
        let one = dump(&first).await;
        assert_eq!(one, dump(&second).await);
        assert!(one.len() > 11_000);
        // Recreating over an existing file replaces it.
        second.close().await.unwrap();
        create(&b.0, now()).await.unwrap();
        assert_eq!(one, dump(&b.open().await).await);
        // Another time gives other data, in the same shape.
        let summer = Utc.with_ymd_and_hms(2026, 7, 15, 3, 0, 0).unwrap();
        let (_c, third) = created("summer", summer).await;
        let other = dump(&third).await;
        assert_eq!(other.len(), one.len());
        assert_ne!(other, one);
        assert_eq!(
            texts(&third, "SELECT MAX(observed_at) FROM met_hourly").await,
            vec!["2026-07-15 02:00:00".to_owned()]
        );
    }
}
