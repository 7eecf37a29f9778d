//! Discharge-permit reconciliation (排污许可证对账): generated city and national data with one
//! of every defect (and a field difference in each of the 20 fields) under spelling noise that
//! must not count; every defect is found and nothing else. Bad uploads are refused whole; a
//! re-run recurs on the same tickets; the difference list downloads as a workbook calamine
//! opens; tickets are routed by rule; the monthly schedule runs a (definition, month) once.

use std::io::Cursor;

use base64::Engine;
use calamine::{Reader, Xlsx};
use ecogov_domain::ident::CreditCode;
use ecogov_domain::permit::Field;
use ecogov_domain::role::Role;
use ecogov_workers::jobs::permit_schedule;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::{Options, TestApp, sh};

const CREATE: &str = "mutation($i:PermitReconciliationInput!){ createPermitReconciliation(input:$i){ id version routes { category department { id } assignee { id } } } }";
const RUN_FILES: &str = "mutation($id:ID!,$c:PermitFileInput!,$n:PermitFileInput!){ runPermitReconciliationFiles(id:$id, city:$c, national:$n){ id status runDate cityRows nationalRows matched itemsTotal itemsStored tickets downloadUrl counts { category label count } } }";
const ITEMS: &str = "query($id:ID!,$c:PermitCategory){ permitReconciliationRun(id:$id){ items(category:$c, first:200){ edges { node { seq category permitNumber holderName side field cityValue nationalValue cityRows nationalRows message } } } } }";
const TICKETS: &str = "{ tickets(filter:{kinds:[RECONCILIATION_MISMATCH]}, first: 200){ edges { node { id title dedupKey recurrenceCount state department { id } assignee { id } } } } }";
const RUNS: &str = "query($d:ID){ permitReconciliationRuns(definitionId:$d, first:50){ edges { node { id period status scheduled input counts { category count } } } } }";

/// Permits generated.
const N: usize = 40;

fn number(i: usize) -> String {
    let first17 = format!("914201001777{i:05}");
    let check = CreditCode::expected_check(&first17).unwrap();
    format!("{first17}{check}001P")
}

/// The national (canonical) value of field `f` for permit `i`.
fn value(f: Field, i: usize) -> String {
    match f {
        Field::HolderName => format!("武汉市第{i}化工有限公司"),
        Field::ManagementCategory => ["重点管理", "简化管理", "登记管理"][i % 3].into(),
        Field::Industry => "化学原料和化学制品制造业".into(),
        Field::ValidFrom => "2024-03-01".into(),
        Field::ValidTo => "2029-02-28".into(),
        Field::IssueDate => "2024-02-20".into(),
        Field::IssuingAuthority => "武汉市生态环境局".into(),
        Field::Address => format!("武汉市青山区工业大道{i}号"),
        Field::LegalRepresentative => format!("张{i}"),
        Field::RegionCode => "420107".into(),
        Field::Longitude => format!("114.3{i:02}"),
        Field::Latitude => format!("30.6{i:02}"),
        Field::MainPollutants => "废气,废水".into(),
        Field::AirOutlets => "DA001,DA002".into(),
        Field::WaterOutlets => "DW001".into(),
        Field::So2Limit => "1030".into(),
        Field::NoxLimit => "30".into(),
        Field::CodLimit => "8.25".into(),
        Field::Nh3nLimit => "1.2".into(),
        Field::ParticulateLimit => "3.75".into(),
    }
}

/// The same value as the city spells it: width, spaces, short forms, date and number formats,
/// outlet order. None of it is a difference.
fn city_spelling(f: Field, v: &str) -> String {
    match f {
        Field::HolderName => format!("　{v} "),
        Field::ManagementCategory => v.trim_end_matches("管理").to_owned(),
        Field::ValidFrom | Field::IssueDate => v.replace('-', "/"),
        Field::ValidTo => {
            let p: Vec<&str> = v.split('-').collect();
            format!("{}年{}月{}日", p[0], p[1], p[2])
        }
        Field::So2Limit => "1,030.00".into(),
        Field::RegionCode => "４２０１０７".into(),
        Field::AirOutlets => "DA002、DA001".into(),
        _ => v.to_owned(),
    }
}

/// A different, valid national value (field differences).
fn changed(f: Field, v: &str) -> String {
    match f {
        Field::ManagementCategory => if v == "重点管理" {
            "简化管理"
        } else {
            "重点管理"
        }
        .into(),
        Field::ValidFrom => "2024-03-02".into(),
        Field::ValidTo => "2029-03-31".into(),
        Field::IssueDate => "2024-02-21".into(),
        Field::Longitude
        | Field::Latitude
        | Field::So2Limit
        | Field::NoxLimit
        | Field::CodLimit
        | Field::Nh3nLimit
        | Field::ParticulateLimit => {
            format!("{}", v.parse::<f64>().unwrap() + 1.0)
        }
        Field::AirOutlets => "DA001,DA002,DA003".into(),
        Field::WaterOutlets => "DW001,DW002".into(),
        Field::RegionCode => "420106".into(),
        _ => format!("{v}（变更）"),
    }
}

/// The planted data: (city rows, national rows), each row the permit number then the 20 fields.
/// Defects: permits 0–19 differ in field 0–19; 20 only in the city; 21 only national; 22
/// expired; 23 expiring; one malformed-number row; 25 a malformed date in the city; 26 twice in
/// the national data; a blank city row.
fn planted() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut city = Vec::new();
    let mut national = Vec::new();
    for i in 0..N {
        let mut nat: Vec<String> = Field::ALL.iter().map(|f| value(*f, i)).collect();
        if i == 22 {
            nat[3] = "2021-12-02".into();
            nat[4] = "2026-12-01".into();
        }
        if i == 23 {
            nat[4] = "2027-01-15".into();
        }
        let mut cty: Vec<String> = Field::ALL.iter().zip(&nat).map(|(f, v)| city_spelling(*f, v)).collect();
        if i < 20 {
            nat[i] = changed(Field::ALL[i], &nat[i]);
        }
        if i == 25 {
            cty[3] = "2024-02-30".into();
        }
        let row = |vals: Vec<String>| std::iter::once(number(i)).chain(vals).collect::<Vec<_>>();
        if i != 21 {
            city.push(row(cty));
        }
        if i != 20 {
            national.push(row(nat.clone()));
        }
        if i == 26 {
            national.push(row(nat));
        }
        if i == 30 {
            city.push(vec![String::new(); 21]);
            let mut bad = vec!["91420100177700024X01P".to_owned()];
            bad.extend(Field::ALL.iter().map(|f| value(*f, 99)));
            city.push(bad);
        }
    }
    (city, national)
}

fn city_headers() -> Vec<String> {
    std::iter::once("许可证编号".to_owned())
        .chain(Field::ALL.iter().map(|f| f.label().to_owned()))
        .collect()
}

fn national_headers() -> Vec<String> {
    std::iter::once("XKZBH".to_owned())
        .chain(Field::ALL.iter().map(|f| format!("N_{}", f.as_str().to_uppercase())))
        .collect()
}

fn csv(headers: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let line = |cells: &[String]| {
        cells
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = String::from("\u{feff}");
    out.push_str(&line(headers));
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&line(r));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn xlsx(headers: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // Numbers as numbers, like a real export.
            match v.parse::<f64>() {
                Ok(n) if c > 10 && !v.contains(',') => sheet.write_number(r as u32 + 1, c as u16, n).unwrap(),
                _ => sheet.write_string(r as u32 + 1, c as u16, v).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

fn json_file(headers: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let objects: Vec<Value> = rows
        .iter()
        .map(|r| {
            Value::Object(
                headers
                    .iter()
                    .zip(r)
                    .map(|(h, v)| (h.clone(), if v.is_empty() { Value::Null } else { json!(v) }))
                    .collect(),
            )
        })
        .collect();
    serde_json::to_vec(&objects).unwrap()
}

fn file(name: &str, bytes: &[u8]) -> Value {
    json!({"fileName": name, "contentBase64": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

fn side(headers: &[String], table: Option<&str>) -> Value {
    json!({
        "table": table,
        "permitNumberColumn": headers[0],
        "columns": Field::ALL.iter().zip(&headers[1..]).map(|(f, h)| json!({
            "field": f.as_str().to_uppercase(), "column": h
        })).collect::<Vec<_>>(),
    })
}

fn definition(code: &str, dept: &str, routes: Value) -> Value {
    json!({
        "code": code, "name": "市局回流与国家平台排污许可证对账",
        "city": side(&city_headers(), None),
        "national": side(&national_headers(), None),
        "departmentId": dept,
        "routes": routes,
    })
}

fn counts(run: &Value) -> Vec<(String, i64)> {
    run["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["category"].as_str().unwrap().to_owned(), c["count"].as_i64().unwrap()))
        .collect()
}

fn expected_counts() -> Vec<(String, i64)> {
    [
        ("ONLY_CITY", 1),
        ("ONLY_NATIONAL", 1),
        ("FIELD_DIFF", 20),
        ("EXPIRED", 1),
        ("EXPIRING", 1),
        ("MALFORMED_NUMBER", 1),
        ("MALFORMED_VALUE", 1),
        ("DUPLICATE", 1),
    ]
    .into_iter()
    .map(|(c, n)| (c.to_owned(), n))
    .collect()
}

async fn ticket_nodes(app: &TestApp, token: &str) -> Vec<Value> {
    let v = app.ok(token, TICKETS, json!({})).await;
    v["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn every_planted_defect_is_found_once_and_nothing_else() {
    let app = TestApp::spawn().await;
    let enforcement = app.department("ZFZD", "执法支队", false).await;
    let permits_office = app.department("PWXK", "排污许可科", false).await;
    let (assignee, _) = app.user("zf01", Role::Operator, Some(&enforcement)).await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    let routes = json!([{"category": "EXPIRED", "departmentId": enforcement, "assigneeId": assignee}]);
    let def = app
        .ok(
            &mgr,
            CREATE,
            json!({"i": definition("PERMIT-WH", &permits_office, routes)}),
        )
        .await;
    let id = def["createPermitReconciliation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        def["createPermitReconciliation"]["routes"][0]["assignee"]["id"],
        assignee.as_str()
    );

    let (city, national) = planted();
    let run = app
        .ok(
            &mgr,
            RUN_FILES,
            json!({"id": id, "c": file("市局回流.csv", &csv(&city_headers(), &city)),
                   "n": file("国家平台导出.xlsx", &xlsx(&national_headers(), &national))}),
        )
        .await["runPermitReconciliationFiles"]
        .clone();
    assert_eq!(run["status"], "done");
    // Run on 2026-12-07 (Asia/Shanghai): the expiring permit has 39 days left.
    assert_eq!(run["runDate"], "2026-12-07");
    assert_eq!(counts(&run), expected_counts());
    assert_eq!(run["cityRows"], N as i64); // 39 permits + the malformed row; the blank row is not data
    assert_eq!(run["nationalRows"], N as i64); // 39 permits + the duplicate
    assert_eq!(run["matched"], 38);
    assert_eq!(run["itemsTotal"], 27);

    let items = app.ok(&mgr, ITEMS, json!({"id": run["id"]})).await;
    let items: Vec<Value> = items["permitReconciliationRun"]["items"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(items.len(), 27);
    // Field differences: permit i differs in field i, and in nothing else.
    let diffs: Vec<(String, String)> = items
        .iter()
        .filter(|i| i["category"] == "FIELD_DIFF")
        .map(|i| {
            (
                i["permitNumber"].as_str().unwrap().to_owned(),
                i["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = Field::ALL
        .iter()
        .enumerate()
        .map(|(i, f)| (number(i), f.as_str().to_uppercase()))
        .collect();
    assert_eq!(diffs, want);
    let one = |cat: &str| items.iter().find(|i| i["category"] == cat).unwrap().clone();
    assert_eq!(one("ONLY_CITY")["permitNumber"], number(20));
    assert_eq!(one("ONLY_CITY")["cityRows"], json!([22]));
    assert_eq!(one("ONLY_NATIONAL")["permitNumber"], number(21));
    assert_eq!(one("EXPIRED")["permitNumber"], number(22));
    assert_eq!(one("EXPIRED")["nationalValue"], "2026-12-01");
    assert_eq!(one("EXPIRING")["permitNumber"], number(23));
    assert!(one("EXPIRING")["message"].as_str().unwrap().contains("剩余 39 天"));
    assert_eq!(one("MALFORMED_NUMBER")["permitNumber"], "91420100177700024X01P");
    // Header row 1, permits 0..=20 on rows 2..=22 (21 missing), 22..=30 on 23..=31, blank 32.
    assert_eq!(one("MALFORMED_NUMBER")["cityRows"], json!([33]));
    assert!(
        one("MALFORMED_NUMBER")["message"]
            .as_str()
            .unwrap()
            .contains("第 33 行")
    );
    assert_eq!(one("MALFORMED_VALUE")["permitNumber"], number(25));
    assert_eq!(one("MALFORMED_VALUE")["field"], "VALID_FROM");
    assert_eq!(one("MALFORMED_VALUE")["cityValue"], "2024-02-30");
    assert_eq!(one("DUPLICATE")["permitNumber"], number(26));
    assert_eq!(one("DUPLICATE")["side"], "NATIONAL");
    assert_eq!(one("DUPLICATE")["nationalRows"], json!([27, 28]));
    // The category filter.
    let only = app.ok(&mgr, ITEMS, json!({"id": run["id"], "c": "EXPIRING"})).await;
    assert_eq!(
        only["permitReconciliationRun"]["items"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // One ticket per (permit, category), routed by rule.
    let tickets = ticket_nodes(&app, &mgr).await;
    assert_eq!(run["tickets"], 27);
    assert_eq!(tickets.len(), 27);
    let expired = tickets
        .iter()
        .find(|t| t["dedupKey"] == format!("permit:{}:expired", number(22)))
        .unwrap();
    assert_eq!(expired["department"]["id"], enforcement.as_str());
    assert_eq!(expired["assignee"]["id"], assignee.as_str());
    assert_eq!(expired["state"], "ASSIGNED");
    let diff = tickets
        .iter()
        .find(|t| t["dedupKey"] == format!("permit:{}:field_diff", number(3)))
        .unwrap();
    assert_eq!(diff["department"]["id"], permits_office.as_str());
    assert!(
        diff["title"].as_str().unwrap().contains("武汉市第3化工有限公司"),
        "{diff}"
    );

    // Re-run with the city as JSON: the same findings recur on the same tickets.
    let before: std::collections::BTreeMap<String, i64> = tickets
        .iter()
        .map(|t| {
            (
                t["dedupKey"].as_str().unwrap().to_owned(),
                t["recurrenceCount"].as_i64().unwrap(),
            )
        })
        .collect();
    let again = app
        .ok(
            &mgr,
            RUN_FILES,
            json!({"id": id, "c": file("city.json", &json_file(&city_headers(), &city)),
                   "n": file("national.xlsx", &xlsx(&national_headers(), &national))}),
        )
        .await["runPermitReconciliationFiles"]
        .clone();
    assert_eq!(counts(&again), expected_counts());
    let after = ticket_nodes(&app, &mgr).await;
    assert_eq!(after.len(), 27, "no new tickets on a re-run");
    for t in &after {
        let key = t["dedupKey"].as_str().unwrap();
        assert_eq!(t["recurrenceCount"].as_i64().unwrap(), before[key] + 1, "{key}");
    }
    let runs = app.ok(&mgr, RUNS, json!({"d": id})).await;
    assert_eq!(runs["permitReconciliationRuns"]["edges"].as_array().unwrap().len(), 2);

    // The difference list: a workbook with a row per item and Chinese headers.
    let url = format!("{}{}", app.base, run["downloadUrl"].as_str().unwrap());
    let anonymous = app.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let resp = app.http.get(&url).bearer_auth(&mgr).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range("差异明细").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 28);
    assert_eq!(
        rows[0],
        vec![
            "序号",
            "差异类别",
            "许可证编号",
            "单位名称",
            "字段",
            "市局回流值",
            "国家平台值",
            "所在行",
            "说明"
        ]
    );
    let listed: Vec<(String, String)> = rows[1..].iter().map(|r| (r[1].clone(), r[2].clone())).collect();
    let stored: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            let cat = ecogov_domain::permit::Category::parse(&i["category"].as_str().unwrap().to_lowercase()).unwrap();
            (cat.label().to_owned(), i["permitNumber"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(listed, stored);
    assert!(
        rows.iter()
            .any(|r| r[1] == "字段不一致" && r[4] == "氨氮许可排放量(t/a)")
    );
    // Someone without ViewQuality gets no list.
    let (_, dept_token) = app.user("dept", Role::Department, Some(&enforcement)).await;
    let refused = app.http.get(&url).bearer_auth(&dept_token).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_bad_upload_is_refused_whole_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let dept = app.department("PWXK", "排污许可科", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    let (_, op) = app.user("op", Role::Operator, None).await;
    let def = app
        .ok(&mgr, CREATE, json!({"i": definition("PERMIT-BAD", &dept, json!([]))}))
        .await;
    let id = def["createPermitReconciliation"]["id"].as_str().unwrap().to_owned();
    let (city, national) = planted();
    let good_city = file("city.csv", &csv(&city_headers(), &city));
    let good_nat = file("nat.xlsx", &xlsx(&national_headers(), &national));
    let mut missing_column = national_headers();
    missing_column[5] = "别的列".into();
    let cases = [
        (file("city.txt", b"x"), good_nat.clone(), "仅支持"),
        (
            json!({"fileName": "city.csv", "contentBase64": "不是base64"}),
            good_nat.clone(),
            "base64",
        ),
        (file("city.csv", b"a,b\n\"open,1\n"), good_nat.clone(), "引号"),
        (file("city.csv", &[0xd6, 0xd0, 0xce, 0xc4]), good_nat.clone(), "UTF-8"),
        (good_city.clone(), file("nat.xlsx", b"PK not a workbook"), "XLSX"),
        (good_city.clone(), file("nat.json", b"{\"a\":1}"), "对象数组"),
        (
            good_city.clone(),
            file("nat.xlsx", &xlsx(&missing_column, &national)),
            "缺少映射的列",
        ),
    ];
    for (c, n, needle) in cases {
        let r = app.gql(Some(&op), RUN_FILES, json!({"id": id, "c": c, "n": n})).await;
        assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_input", "{r}");
        assert!(
            r["errors"][0]["message"].as_str().unwrap().contains(needle),
            "{needle}: {r}"
        );
    }
    let runs = app.ok(&mgr, RUNS, json!({"d": id})).await;
    assert_eq!(runs["permitReconciliationRuns"]["edges"], json!([]));
    assert!(ticket_nodes(&app, &mgr).await.is_empty());
    let audited = app
        .core
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.core.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'permit_reconciliation.run'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(audited, 0);
    // Permissions: an auditor may read but not run; an operator may run but not define.
    let (_, auditor) = app.user("aud", Role::Auditor, None).await;
    let r = app
        .err(
            Some(&auditor),
            RUN_FILES,
            json!({"id": id, "c": good_city, "n": good_nat}),
        )
        .await;
    assert_eq!(r, "forbidden");
    let r = app
        .err(
            Some(&op),
            CREATE,
            json!({"i": definition("PERMIT-OP", &dept, json!([]))}),
        )
        .await;
    assert_eq!(r, "forbidden");
    // A bad definition: a column used twice.
    let mut bad = definition("PERMIT-TWICE", &dept, json!([]));
    bad["city"]["columns"][1]["column"] = json!("单位名称");
    let r = app.gql(Some(&mgr), CREATE, json!({"i": bad})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_input", "{r}");
    app.stop().await;
}

#[tokio::test]
async fn the_monthly_schedule_runs_each_definition_once_a_month() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        start: sh(2026, 12, 7, 9, 0),
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let dept = app.department("PWXK", "排污许可科", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, None).await;
    // Both sides as tables of one SQLite source; numbers and dates typed as the database likes.
    let url = format!(
        "sqlite://{}?mode=rwc",
        app.settings.data_dir.join("permits.db").display()
    );
    let db = Database::connect(&url).await.unwrap();
    for (table, extra) in [("city_permits", ""), ("national_permits", "")] {
        db.execute_unprepared(&format!(
            "CREATE TABLE {table} (xkzbh varchar(22), dwmc varchar(100), yxqz DATE, nh3n REAL{extra})"
        ))
        .await
        .unwrap();
    }
    let (a, b, c) = (number(1), number(2), number(3));
    db.execute_unprepared(&format!(
        "INSERT INTO city_permits VALUES ('{a}', 'A公司', '2029-01-01', 1.5), ('{b}', 'B公司', '2029-01-01', 2.0), ('{c}', 'C公司', '2029-01-01', 3)"
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO national_permits VALUES ('{a}', 'Ａ公司', '2029-01-01', 1.50), ('{b}', 'B公司', '2029-01-01', 2.5)"
    ))
    .await
    .unwrap();
    db.close().await.unwrap();
    app.ok(
        &admin,
        "mutation($c:String!,$u:String!){ createDataSource(code:$c, name:$c, url:$u){ id } }",
        json!({"c": "pw", "u": url}),
    )
    .await;
    let table_side = |table: &str| {
        json!({"table": table, "permitNumberColumn": "xkzbh", "columns": [
            {"field": "HOLDER_NAME", "column": "dwmc"},
            {"field": "VALID_TO", "column": "yxqz"},
            {"field": "NH3N_LIMIT", "column": "nh3n"},
        ]})
    };
    let def = json!({"code": "PERMIT-MONTHLY", "name": "每月许可证对账", "departmentId": dept,
        "city": table_side("pw.city_permits"), "national": table_side("pw.national_permits")});
    let id = app.ok(&mgr, CREATE, json!({"i": def})).await["createPermitReconciliation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A disabled file-only definition is never scheduled.
    let files_only = definition("PERMIT-FILES", &dept, json!([]));
    app.ok(&mgr, CREATE, json!({"i": files_only})).await;

    // Two passes at once (two processes): the month is run once.
    let (r1, r2) = tokio::join!(
        permit_schedule::run_once(&app.core),
        permit_schedule::run_once(&app.core)
    );
    assert_eq!(r1.unwrap().ran + r2.unwrap().ran, 1);
    assert_eq!(permit_schedule::run_once(&app.core).await.unwrap().ran, 0);
    let runs = app.ok(&mgr, RUNS, json!({"d": id})).await;
    let edges = runs["permitReconciliationRuns"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 1);
    let run = &edges[0]["node"];
    assert_eq!(run["period"], "2026-12");
    assert_eq!(run["status"], "done");
    assert_eq!(run["scheduled"], true);
    assert_eq!(run["input"], "datasets");
    let found: Vec<(String, i64)> = counts(run).into_iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(found, vec![("ONLY_CITY".to_owned(), 1), ("FIELD_DIFF".to_owned(), 1)]);

    // The next month runs again, once.
    app.clock.set(sh(2027, 1, 1, 0, 5));
    assert_eq!(permit_schedule::run_once(&app.core).await.unwrap().ran, 1);
    assert_eq!(permit_schedule::run_once(&app.core).await.unwrap().ran, 0);
    let runs = app.ok(&mgr, RUNS, json!({"d": id})).await;
    let periods: Vec<&str> = runs["permitReconciliationRuns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, vec!["2027-01", "2026-12"]);
    // By hand from the tables: same findings, no period.
    let manual = app
        .ok(
            &mgr,
            "mutation($id:ID!){ runPermitReconciliationDatasets(id:$id){ period input counts { category count } } }",
            json!({"id": id}),
        )
        .await["runPermitReconciliationDatasets"]
        .clone();
    assert_eq!(manual["period"], Value::Null);
    assert_eq!(counts(&manual)[2], ("FIELD_DIFF".to_owned(), 1));
    // Tickets: two findings, each recurring on every later run.
    let tickets = ticket_nodes(&app, &mgr).await;
    let mut keys: Vec<(String, i64)> = tickets
        .iter()
        .map(|t| {
            (
                t["dedupKey"].as_str().unwrap().to_owned(),
                t["recurrenceCount"].as_i64().unwrap(),
            )
        })
        .collect();
    keys.sort();
    let first = keys[0].1;
    assert_eq!(
        keys,
        vec![
            (format!("permit:{b}:field_diff"), first),
            (format!("permit:{c}:only_city"), first)
        ]
    );
    app.stop().await;
}
