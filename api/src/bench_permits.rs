//! `ecogov bench permits`: discharge-permit reconciliation of 100,000 rows per side with 20
//! compared fields, next to a plain SQL FULL OUTER JOIN doing the same comparison in
//! PostgreSQL, in the same run.
//!
//! The data is generated deterministically with a known number of each defect; the city side
//! spells every clean value differently from the national side (full-width characters, spaces,
//! short category names, four date spellings, thousands separators, outlet order), so the
//! normalisation is exercised on every cell.
//!
//! Timings:
//! - `seconds`: [`compare::reconcile`] on both sides already loaded in memory as text rows (what
//!   a run does after reading its files or tables): permit-number parsing, normalisation of all
//!   20 fields, matching, comparison, expiry and duplicates, producing every item. Reading the
//!   files and writing the record are not included.
//! - `sql_seconds`: one statement over the two tables already loaded into PostgreSQL as text
//!   (the same rows): the same normalisation as SQL functions, `DISTINCT ON` for the first row
//!   of each number, a `FULL OUTER JOIN` on the number, and the count of each category. Loading
//!   is not included. The statement returns counts only (not the items), which favours SQL.
//!
//! Both must find the planted counts, and the same counts.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use ecogov_domain::ident::CreditCode;
use ecogov_domain::permit::{Category, Field, Mapping, RawTable, compare};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// Rows per side.
const ROWS: usize = 100_000;
/// Permits on both sides.
const COMMON: usize = 98_800;
/// Only in the city / only in the national data.
const ONLY: usize = 1_000;
/// Rows of each side that duplicate a permit / carry a malformed number.
const DUPS: usize = 100;
const MALFORMED: usize = 100;
/// The run date.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default()
}

/// The planted counts.
fn planted() -> BTreeMap<Category, u64> {
    BTreeMap::from([
        (Category::OnlyCity, ONLY as u64),
        (Category::OnlyNational, ONLY as u64),
        (Category::FieldDiff, 2_000),
        (Category::Expired, 500),
        (Category::Expiring, 500),
        (Category::MalformedNumber, 2 * MALFORMED as u64),
        (Category::MalformedValue, 200),
        (Category::Duplicate, 2 * DUPS as u64),
    ])
}

fn number(i: usize) -> String {
    let first17 = format!("91420100{i:09}");
    let check = CreditCode::expected_check(&first17).unwrap_or('0');
    format!("{first17}{check}001P")
}

/// The national (canonical) values of permit `i`.
fn canonical(i: usize) -> Vec<String> {
    let mut v: Vec<String> = Field::ALL
        .iter()
        .map(|f| match f {
            Field::HolderName => format!("武汉市第{i}号化工有限公司"),
            Field::ManagementCategory => ["重点管理", "简化管理", "登记管理"][i % 3].to_owned(),
            Field::Industry => ["化学原料和化学制品制造业", "火力发电", "污水处理及其再生利用"][i % 3].to_owned(),
            Field::ValidFrom => "2024-03-01".to_owned(),
            Field::ValidTo => "2029-02-28".to_owned(),
            Field::IssueDate => "2024-02-20".to_owned(),
            Field::IssuingAuthority => "武汉市生态环境局".to_owned(),
            Field::Address => format!("武汉市青山区工业大道{}号", i % 997),
            Field::LegalRepresentative => format!("张{}", i % 1000),
            Field::RegionCode => "420107".to_owned(),
            Field::Longitude => format!("114.{:03}", i % 1000),
            Field::Latitude => format!("30.{:03}", i % 997),
            Field::MainPollutants => "废气,废水".to_owned(),
            Field::AirOutlets => "DA001,DA002".to_owned(),
            Field::WaterOutlets => "DW001".to_owned(),
            Field::So2Limit => format!("{}.5", 1000 + i % 50),
            Field::NoxLimit => format!("{}", 30 + i % 7),
            Field::CodLimit => "8.25".to_owned(),
            Field::Nh3nLimit => "1.2".to_owned(),
            Field::ParticulateLimit => "3.75".to_owned(),
        })
        .collect();
    if i < 20_000 && i % 40 == 13 {
        v[3] = "2021-11-01".into();
        v[4] = "2026-10-31".into(); // expired
    }
    if i < 20_000 && i % 40 == 19 {
        v[4] = "2027-01-15".into(); // 39 days left
    }
    v
}

/// The same value as the city spells it (never a difference).
fn city_spelling(f: Field, v: &str, i: usize) -> String {
    let date = |v: &str| {
        let p: Vec<&str> = v.split('-').collect();
        let (y, m, d) = (p[0], p[1].trim_start_matches('0'), p[2].trim_start_matches('0'));
        match i % 4 {
            0 => format!("{y}/{m}/{d}"),
            1 => format!("{y}年{m}月{d}日"),
            2 => v.replace('-', ""),
            _ => format!("{v} 00:00:00"),
        }
    };
    match f {
        Field::HolderName if i.is_multiple_of(2) => format!("　{v} "),
        Field::ManagementCategory if i % 2 == 1 => v.trim_end_matches("管理").to_owned(),
        Field::ValidFrom | Field::ValidTo | Field::IssueDate => date(v),
        Field::RegionCode if i.is_multiple_of(5) => "４２０１０７".to_owned(),
        Field::So2Limit => {
            let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
            let int: usize = int.parse().unwrap_or(0);
            format!("{},{:03}.{frac}0", int / 1000, int % 1000)
        }
        Field::CodLimit => "8.250".to_owned(),
        Field::AirOutlets if i.is_multiple_of(2) => "DA002、DA001".to_owned(),
        Field::Address if i.is_multiple_of(3) => format!("{v}\u{3000}"),
        _ => v.to_owned(),
    }
}

/// A different valid national value of field `f`.
fn changed(f: Field, v: &str) -> String {
    match f {
        Field::ManagementCategory => if v == "重点管理" {
            "简化管理"
        } else {
            "重点管理"
        }
        .to_owned(),
        Field::ValidFrom => "2024-03-02".to_owned(),
        Field::ValidTo => "2029-03-31".to_owned(),
        Field::IssueDate => "2024-02-21".to_owned(),
        Field::RegionCode => "420106".to_owned(),
        Field::AirOutlets => "DA001,DA002,DA003".to_owned(),
        Field::WaterOutlets => "DW001,DW002".to_owned(),
        f if f.kind() == ecogov_domain::permit::Kind::Number => {
            let int: i64 = v.split('.').next().and_then(|x| x.parse().ok()).unwrap_or(0);
            format!("{}.25", int + 1)
        }
        _ => format!("{v}（变更）"),
    }
}

/// (city, national) rows: the permit number then the 20 fields.
fn generate() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut city = Vec::with_capacity(ROWS);
    let mut national = Vec::with_capacity(ROWS);
    let row = |i: usize, vals: Vec<String>| std::iter::once(number(i)).chain(vals).collect::<Vec<_>>();
    for i in 0..COMMON + 2 * ONLY {
        let mut nat = canonical(i);
        let mut cty: Vec<String> = Field::ALL
            .iter()
            .zip(&nat)
            .map(|(f, v)| city_spelling(*f, v, i))
            .collect();
        if i < 80_000 && i % 40 == 7 {
            let k = (i / 40) % Field::ALL.len();
            nat[k] = changed(Field::ALL[k], &nat[k]);
        }
        if i < 8_000 && i % 40 == 23 {
            match (i / 40) % 4 {
                0 => cty[3] = "2024-02-30".into(),
                1 => cty[1] = "特别管理".into(),
                2 => cty[18] = "1.2吨".into(),
                _ => cty[13] = "DA01".into(),
            }
        }
        if i < COMMON + ONLY {
            city.push(row(i, cty));
        }
        if !(COMMON..COMMON + ONLY).contains(&i) {
            national.push(row(i, nat));
        }
    }
    for k in 0..DUPS {
        let i = k * 40 + 29;
        let c = city.get(i).cloned().unwrap_or_default();
        city.push(c);
        let j = k * 40 + 31;
        let n = national.get(j).cloned().unwrap_or_default();
        national.push(n);
    }
    for k in 0..MALFORMED {
        let mut c = city.get(k).cloned().unwrap_or_default();
        if let Some(n) = c.first_mut() {
            *n = format!("{}Q", &n[..21]); // an identifier letter not allowed
        }
        city.push(c);
        let mut n = national.get(k).cloned().unwrap_or_default();
        if let Some(x) = n.first_mut() {
            *x = x[1..].to_owned(); // 21 characters
        }
        national.push(n);
    }
    (city, national)
}

fn headers() -> Vec<String> {
    std::iter::once("permit_number".to_owned())
        .chain(Field::ALL.iter().map(|f| f.as_str().to_owned()))
        .collect()
}

fn table(rows: &[Vec<String>]) -> RawTable {
    RawTable {
        headers: headers(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| (!c.is_empty()).then(|| c.clone())).collect())
            .collect(),
        first_row: 1,
    }
}

/// Runs the benchmark; `database_url` is a PostgreSQL server where it may create a database.
pub async fn permits(database_url: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        database_url.starts_with("postgres"),
        "bench permits needs --database-url postgres://..."
    );
    let t0 = Instant::now();
    let (city_rows, national_rows) = generate();
    anyhow::ensure!(
        city_rows.len() == ROWS && national_rows.len() == ROWS,
        "generator row count"
    );
    let city = table(&city_rows);
    let national = table(&national_rows);
    let generate_s = t0.elapsed().as_secs_f64();
    let mapping = Mapping {
        permit_number: "permit_number".into(),
        fields: Field::ALL.iter().map(|f| (*f, f.as_str().to_owned())).collect(),
    };

    let t0 = Instant::now();
    let outcome =
        compare::reconcile(&city, &mapping, &national, &mapping, &['P'], today()).map_err(|e| anyhow::anyhow!(e))?;
    let seconds = t0.elapsed().as_secs_f64();
    let rust: BTreeMap<Category, u64> = Category::ALL.iter().map(|c| (*c, outcome.count(*c))).collect();
    anyhow::ensure!(rust == planted(), "reconcile found {rust:?}, planted {:?}", planted());
    drop((city, national));

    let name = format!("ecogov_permits_{}", std::process::id());
    let admin = Database::connect(database_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
        .await?;
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
    let base = database_url.rsplit_once('/').map_or(database_url, |(b, _)| b);
    let result = sql_side(&format!("{base}/{name}"), &city_rows, &national_rows).await;
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    let _ = admin.close().await;
    let (sql, sql_seconds, load_s) = result?;
    anyhow::ensure!(sql == rust, "SQL found {sql:?}, reconcile found {rust:?}");

    let per_cat: Vec<String> = rust.iter().map(|(c, n)| format!("{}={n}", c.as_str())).collect();
    println!(
        "permits: {ROWS} rows per side, 20 fields; generated in {generate_s:.2} s, loaded into PostgreSQL in {load_s:.2} s"
    );
    println!("found (reconcile = SQL = planted): {}", per_cat.join(" "));
    Ok(format!(
        "rows_per_side={ROWS} fields=20 items={} seconds={seconds:.3} sql_seconds={sql_seconds:.3} ratio={:.3} counts_match=true",
        outcome.items.len(),
        seconds / sql_seconds
    ))
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

async fn load(db: &DatabaseConnection, table: &str, rows: &[Vec<String>]) -> anyhow::Result<()> {
    let cols: Vec<String> = headers().iter().map(|h| format!("{h} text")).collect();
    db.execute_unprepared(&format!("CREATE TABLE {table} (row_no integer, {})", cols.join(", ")))
        .await?;
    for (chunk_no, chunk) in rows.chunks(2_000).enumerate() {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let cells: Vec<String> = r
                    .iter()
                    .map(|c| if c.is_empty() { "NULL".to_owned() } else { quote(c) })
                    .collect();
                format!("({}, {})", chunk_no * 2_000 + k + 1, cells.join(", "))
            })
            .collect();
        db.execute_unprepared(&format!("INSERT INTO {table} VALUES {}", values.join(", ")))
            .await?;
    }
    db.execute_unprepared(&format!("ANALYZE {table}")).await?;
    Ok(())
}

/// The normalisation functions: the same rules as `ecogov_domain::permit::normalise`, for the
/// spellings the generator uses. `#BAD` marks an unreadable value.
fn functions() -> Vec<String> {
    let full: String = ('\u{FF01}'..='\u{FF5E}').chain(['\u{3000}', '\u{00A0}']).collect();
    let half: String = ('!'..='~').chain([' ', ' ']).collect();
    vec![
        format!(
            "CREATE FUNCTION nt(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
               SELECT NULLIF(btrim(regexp_replace(translate(v, {}, {}), '\\s+', ' ', 'g'), ' '), '')
             $$",
            quote(&full),
            quote(&half)
        ),
        format!(
            "CREATE FUNCTION nn(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
               SELECT coalesce(regexp_replace(translate(v, {}, {}), '^\\s+|\\s+$', '', 'g'), '')
             $$",
            quote(&full),
            quote(&half)
        ),
        "CREATE FUNCTION ncat(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
           SELECT CASE nt(v) WHEN '重点' THEN '重点管理' WHEN '重点管理' THEN '重点管理'
                  WHEN '简化' THEN '简化管理' WHEN '简化管理' THEN '简化管理'
                  WHEN '登记' THEN '登记管理' WHEN '登记管理' THEN '登记管理' WHEN '排污登记' THEN '登记管理'
                  ELSE CASE WHEN nt(v) IS NULL THEN NULL ELSE '#BAD' END END
         $$"
        .to_owned(),
        // PL/pgSQL: as a SQL function with a FROM clause it is not inlined, and ran ~40 times
        // slower.
        "CREATE FUNCTION ndate(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
         DECLARE
           t text := split_part(split_part(nt(v), ' ', 1), 'T', 1);
           p text[];
           y int; m int; d int;
         BEGIN
           IF t IS NULL OR t = '' THEN RETURN NULL; END IF;
           IF t ~ '^[0-9]{8}$' THEN
             p := ARRAY[substr(t, 1, 4), substr(t, 5, 2), substr(t, 7, 2)];
           ELSIF t ~ '^[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?$' THEN
             p := regexp_split_to_array(rtrim(t, '日'), '[-/.年月]');
           ELSE
             RETURN '#BAD';
           END IF;
           y := p[1]::int; m := p[2]::int; d := p[3]::int;
           IF m NOT BETWEEN 1 AND 12 OR y NOT BETWEEN 1900 AND 2999 THEN RETURN '#BAD'; END IF;
           IF d NOT BETWEEN 1 AND extract(day FROM make_date(y, m, 1) + interval '1 month' - interval '1 day') THEN
             RETURN '#BAD';
           END IF;
           RETURN to_char(make_date(y, m, d), 'YYYY-MM-DD');
         END
         $$"
        .to_owned(),
        "CREATE FUNCTION nnum(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
           SELECT CASE WHEN t IS NULL THEN NULL
                  WHEN t ~ '^-?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$' THEN trim_scale(round(t::numeric, 6) + 0)::text
                  ELSE '#BAD' END
           FROM (SELECT ltrim(replace(replace(replace(nt(v), ',', ''), '，', ''), ' ', ''), '+') AS t) a
         $$"
        .to_owned(),
        "CREATE FUNCTION nout(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
           SELECT CASE WHEN nt(v) IS NULL THEN NULL
                  WHEN bool_and(x ~ '^D[AW][0-9]{3}$') THEN string_agg(DISTINCT x, ',' ORDER BY x)
                  ELSE '#BAD' END
           FROM unnest(regexp_split_to_array(nt(v), '[,;、，；[:space:]]+')) AS x WHERE x <> ''
         $$"
        .to_owned(),
    ]
}

/// The normalising function of a field.
fn function_of(f: Field) -> &'static str {
    use ecogov_domain::permit::Kind;
    match f.kind() {
        Kind::Text => "nt",
        Kind::Category => "ncat",
        Kind::Date => "ndate",
        Kind::Number => "nnum",
        Kind::Outlets => "nout",
    }
}

fn comparison_sql() -> String {
    let norm: Vec<String> = Field::ALL
        .iter()
        .map(|f| format!("{}({}) AS {}", function_of(*f), f.as_str(), f.as_str()))
        .collect();
    let valid = "n ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}[0-9]{3}P$'";
    let side = |t: &str| {
        format!(
            "{t}_n AS (SELECT row_no, nn(permit_number) AS n, {} FROM {t}),
             {t}_v AS (SELECT * FROM {t}_n WHERE {valid}),
             {t}_f AS (SELECT DISTINCT ON (n) * FROM {t}_v ORDER BY n, row_no)",
            norm.join(", ")
        )
    };
    let diffs: Vec<String> = Field::ALL
        .iter()
        .map(|f| {
            let f = f.as_str();
            format!("(c.{f} IS DISTINCT FROM x.{f} AND c.{f} IS DISTINCT FROM '#BAD' AND x.{f} IS DISTINCT FROM '#BAD')::int")
        })
        .collect();
    let bads = |a: &str| -> String {
        Field::ALL
            .iter()
            .map(|f| format!("({a}.{} IS NOT DISTINCT FROM '#BAD')::int", f.as_str()))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let valid_to = |a: &str| {
        format!(
            "CASE WHEN {a}.valid_to IS NOT NULL AND {a}.valid_to <> '#BAD' THEN {a}.valid_to::date
                  WHEN {a}.valid_from IS NOT NULL AND {a}.valid_from <> '#BAD'
                    THEN ({a}.valid_from::date + interval '5 years' - interval '1 day')::date END"
        )
    };
    format!(
        "WITH {}, {},
         j AS (SELECT c.n AS cn, x.n AS xn,
                      coalesce({}, {}) - DATE '{}' AS days_left,
                      CASE WHEN c.n IS NOT NULL AND x.n IS NOT NULL THEN {} ELSE 0 END AS diffs,
                      coalesce({}, 0) + coalesce({}, 0) AS bads
               FROM city_f c FULL OUTER JOIN national_f x ON c.n = x.n)
         SELECT
           count(*) FILTER (WHERE xn IS NULL) AS only_city,
           count(*) FILTER (WHERE cn IS NULL) AS only_national,
           coalesce(sum(diffs), 0)::bigint AS field_diff,
           count(*) FILTER (WHERE days_left < 0) AS expired,
           count(*) FILTER (WHERE days_left BETWEEN 0 AND 60) AS expiring,
           (SELECT count(*) FROM city_n WHERE NOT ({valid})) + (SELECT count(*) FROM national_n WHERE NOT ({valid})) AS malformed_number,
           coalesce(sum(bads), 0)::bigint AS malformed_value,
           (SELECT count(*) FROM (SELECT n FROM city_v GROUP BY n HAVING count(*) > 1) d)
             + (SELECT count(*) FROM (SELECT n FROM national_v GROUP BY n HAVING count(*) > 1) d) AS duplicate
         FROM j",
        side("city"),
        side("national"),
        valid_to("x"),
        valid_to("c"),
        today(),
        diffs.join(" + "),
        bads("c"),
        bads("x"),
    )
}

async fn sql_side(
    url: &str,
    city: &[Vec<String>],
    national: &[Vec<String>],
) -> anyhow::Result<(BTreeMap<Category, u64>, f64, f64)> {
    let db = Database::connect(url).await?;
    let t0 = Instant::now();
    load(&db, "city", city).await?;
    load(&db, "national", national).await?;
    for f in functions() {
        db.execute_unprepared(&f)
            .await
            .context("creating a normalisation function")?;
    }
    let load_s = t0.elapsed().as_secs_f64();
    let sql = comparison_sql();
    let t0 = Instant::now();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .context("the comparison statement")?
        .context("no row")?;
    let sql_seconds = t0.elapsed().as_secs_f64();
    let mut counts = BTreeMap::new();
    for c in Category::ALL {
        let n: i64 = row.try_get("", c.as_str())?;
        counts.insert(*c, u64::try_from(n).unwrap_or(0));
    }
    let _ = db.close().await;
    Ok((counts, sql_seconds, load_s))
}
