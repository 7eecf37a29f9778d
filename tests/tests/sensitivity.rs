//! Sensitivity tags through the API: a scan over a bounded sample of a real table, confirming
//! and rejecting suggestions, the tag history, permissions and an unreachable source.

use ecogov_domain::ident::{CitizenId, CreditCode};
use ecogov_domain::role::Role;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::{Options, TestApp};

/// Rows in the source table: many more than the scan may read.
const ROWS: usize = 5_000;

fn citizen_id(i: usize) -> String {
    let first17 = format!(
        "420102{:04}{:02}{:02}{:03}",
        1950 + i % 50,
        1 + i % 12,
        1 + i % 28,
        i % 1000
    );
    let check = CitizenId::expected_check(&first17).unwrap();
    format!("{first17}{check}")
}

fn credit_code(i: usize) -> String {
    let first17 = format!("91420100MA4K{:05}", i % 100_000);
    let check = CreditCode::expected_check(&first17).unwrap();
    format!("{first17}{check}")
}

/// A SQLite source with a residents table of `ROWS` rows; returns its URL.
async fn source_db(app: &TestApp) -> String {
    let path = app.settings.data_dir.join("residents.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared(
        "CREATE TABLE residents (citizen_id VARCHAR(18), mobile VARCHAR(11), name VARCHAR(20), \
         email VARCHAR(64), credit_code VARCHAR(18), longitude REAL, latitude REAL, station_code VARCHAR(8))",
    )
    .await
    .unwrap();
    let surnames = ["张", "王", "李", "刘", "陈", "杨", "黄", "赵"];
    let given = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "小明"];
    for chunk in (0..ROWS).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|&i| {
                format!(
                    "('{}', '139{:08}', '{}{}', 'user{i}@163.com', '{}', 114.{:05}{}, 30.{:05}{}, '{}A')",
                    citizen_id(i),
                    i,
                    surnames[i % surnames.len()],
                    given[i % given.len()],
                    credit_code(i),
                    i % 100_000,
                    1 + i % 9,
                    (i * 7) % 100_000,
                    1 + i % 9,
                    1001 + i % 50,
                )
            })
            .collect();
        db.execute_unprepared(&format!("INSERT INTO residents VALUES {}", values.join(", ")))
            .await
            .unwrap();
    }
    db.close().await.unwrap();
    url
}

fn resource(code: &str, table: &str) -> Value {
    json!({
        "code": code, "name": "信访人员信息", "classification": ["1", "02"], "providerDepartment": "AIR",
        "shareType": "不予共享", "openType": "不予开放", "updateCycle": "每日", "tables": [table],
        "fields": [
            {"name": "citizen_id", "cnName": "身份证号", "dataType": "string", "length": 18},
            {"name": "mobile", "cnName": "手机号码", "dataType": "string", "length": 11},
            {"name": "name", "cnName": "姓名", "dataType": "string"},
            {"name": "email", "cnName": "电子邮箱", "dataType": "string"},
            {"name": "credit_code", "cnName": "统一社会信用代码", "dataType": "string", "length": 18},
            {"name": "longitude", "cnName": "经度", "dataType": "float"},
            {"name": "latitude", "cnName": "纬度", "dataType": "float"},
            {"name": "station_code", "cnName": "站点编码", "dataType": "string", "length": 8}
        ]
    })
}

const SUGGESTION: &str =
    "id fieldName tag tagLabel confidence matched sampled reason status decisionNote decidedBy { username }";
const SCAN: &str = "mutation($id:ID!){ scanSensitivity(resourceId:$id){ tables rowsSampled missingFields suggestions { id fieldName tag tagLabel confidence matched sampled reason status } } }";
const CONFIRM: &str = "mutation($id:ID!,$n:String){ confirmTagSuggestion(id:$id, note:$n){ suggestion { id status decisionNote } resource { version grade subLevel fields { name tags grade subLevel } } } }";
const REJECT: &str = "mutation($id:ID!,$r:String){ rejectTagSuggestion(id:$id, reason:$r){ id status decisionNote decidedBy { username } } }";
const HISTORY: &str = "query($id:ID!,$f:String){ tagHistory(resourceId:$id, fieldName:$f){ edges { node { fieldName tag action note catalogVersion suggestionId actor { username } } } } }";

fn find<'a>(suggestions: &'a Value, field: &str, tag: &str) -> &'a Value {
    suggestions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["fieldName"] == field && s["tag"] == tag)
        .unwrap_or_else(|| panic!("no {tag} on {field}: {suggestions:#}"))
}

async fn suggestion_rows(app: &TestApp) -> i64 {
    let row = app
        .core
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.core.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM tag_suggestions".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn scan_suggests_tags_from_a_bounded_sample_and_people_decide() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let air = app.department("AIR", "大气环境处", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, Some(&air)).await;
    let (_, op) = app.user("opr", Role::Operator, Some(&air)).await;
    let ext = app.department("CITY-OPS", "市城运中心", true).await;
    let (_, dep) = app.user("cityops", Role::Department, Some(&ext)).await;
    let url = source_db(&app).await;
    app.ok(
        &admin,
        "mutation($u:String!){ createDataSource(code:\"people\", name:\"信访库\", url:$u){ id } }",
        json!({"u": url}),
    )
    .await;
    let r = app
        .ok(
            &op,
            "mutation($i:CatalogResourceInput!){ createCatalogResource(input:$i){ id version grade subLevel } }",
            json!({"i": resource("WHEE-XF-0001", "people.residents")}),
        )
        .await["createCatalogResource"]
        .clone();
    assert_eq!(
        (r["grade"].clone(), r["subLevel"].clone()),
        (json!("general"), json!(1))
    );

    // A department user may not scan.
    assert_eq!(app.err(Some(&dep), SCAN, json!({"id": r["id"]})).await, "forbidden");

    let scan = app.ok(&op, SCAN, json!({"id": r["id"]})).await["scanSensitivity"].clone();
    assert_eq!(scan["tables"], json!(["people.residents"]));
    assert_eq!(scan["rowsSampled"], 200, "5,000 rows, at most 200 read");
    assert_eq!(scan["missingFields"], json!([]));
    let s = &scan["suggestions"];
    for item in s.as_array().unwrap() {
        let (sampled, matched) = (item["sampled"].as_i64().unwrap(), item["matched"].as_i64().unwrap());
        assert!(sampled <= 200 && matched <= sampled, "{item}");
        let c = item["confidence"].as_f64().unwrap();
        assert!((0.5..=0.99).contains(&c), "{item}");
        assert_eq!(item["status"], "pending");
    }
    for (field, tag) in [
        ("citizen_id", "citizen_id"),
        ("mobile", "mobile"),
        ("name", "person_name"),
        ("email", "email"),
        ("credit_code", "credit_code"),
        ("longitude", "precise_coordinates"),
        ("latitude", "precise_coordinates"),
    ] {
        let one = find(s, field, tag);
        assert!(one["confidence"].as_f64().unwrap() >= 0.9, "{one}");
        assert_eq!(
            (one["matched"].as_i64(), one["sampled"].as_i64()),
            (Some(200), Some(200)),
            "{one}"
        );
    }
    assert_eq!(find(s, "citizen_id", "citizen_id")["tagLabel"], "身份证号");
    assert!(
        !s.as_array().unwrap().iter().any(|x| x["fieldName"] == "station_code"),
        "the plain column gets no tag: {s:#}"
    );
    // One tag per column: no bank card for IDs or credit codes, no landline for mobiles.
    assert_eq!(s.as_array().unwrap().len(), 7, "{s:#}");

    // A re-scan refreshes the pending rows instead of adding more.
    let again = app.ok(&op, SCAN, json!({"id": r["id"]})).await["scanSensitivity"].clone();
    assert_eq!(again["suggestions"].as_array().unwrap().len(), 7);
    assert_eq!(suggestion_rows(&app).await, 7);

    // Confirm the citizen ID: a new catalog version, the tag on the field, grade lifted.
    let citizen = find(s, "citizen_id", "citizen_id")["id"].clone();
    let c = app.ok(&mgr, CONFIRM, json!({"id": citizen, "n": "核对样本确认"})).await["confirmTagSuggestion"].clone();
    assert_eq!(c["suggestion"]["status"], "confirmed");
    assert_eq!(c["resource"]["version"], 2);
    let field = &c["resource"]["fields"][0];
    assert_eq!(field["name"], "citizen_id");
    assert_eq!(field["tags"], json!(["citizen_id"]));
    assert_eq!(
        (field["grade"].clone(), field["subLevel"].clone()),
        (json!("general"), json!(4))
    );
    assert_eq!(
        (c["resource"]["grade"].clone(), c["resource"]["subLevel"].clone()),
        (json!("general"), json!(4)),
        "就高从严: the dataset takes its highest field"
    );
    let diff = app
        .ok(
            &mgr,
            "query($id:ID!){ catalogDiff(id:$id, from:1, to:2){ path before after } }",
            json!({"id": r["id"]}),
        )
        .await["catalogDiff"]
        .clone();
    let paths: Vec<&str> = diff
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"fields.citizen_id.tags"), "{paths:?}");

    // Reject the mobile suggestion: a reason is required.
    let mobile = find(s, "mobile", "mobile")["id"].clone();
    assert_eq!(
        app.err(Some(&mgr), REJECT, json!({"id": mobile})).await,
        "missing_field"
    );
    assert_eq!(
        app.err(Some(&mgr), REJECT, json!({"id": mobile, "r": "   "})).await,
        "missing_field"
    );
    let rej = app
        .ok(&mgr, REJECT, json!({"id": mobile, "r": "测试号段，非真实手机号"}))
        .await["rejectTagSuggestion"]
        .clone();
    assert_eq!(rej["status"], "rejected");
    assert_eq!(rej["decisionNote"], "测试号段，非真实手机号");
    assert_eq!(rej["decidedBy"]["username"], "mgr");

    // Deciding twice is refused and changes nothing.
    assert_eq!(
        app.err(Some(&mgr), CONFIRM, json!({"id": mobile})).await,
        "transition_not_allowed"
    );
    assert_eq!(
        app.err(Some(&mgr), REJECT, json!({"id": citizen, "r": "改主意"})).await,
        "transition_not_allowed"
    );
    assert_eq!(
        app.err(
            Some(&dep),
            REJECT,
            json!({"id": find(s, "email", "email")["id"], "r": "x"})
        )
        .await,
        "forbidden"
    );
    assert_eq!(app.err(Some(&mgr), CONFIRM, json!({"id": "999999"})).await, "not_found");
    let now = app
        .ok(
            &mgr,
            "query($id:ID!){ catalogResource(id:$id){ version } }",
            json!({"id": r["id"]}),
        )
        .await;
    assert_eq!(now["catalogResource"]["version"], 2);

    // Listing by status.
    let list = |status: &str| {
        let q = format!(
            "query($id:ID!){{ tagSuggestions(resourceId:$id, status:{status}){{ edges {{ node {{ {SUGGESTION} }} }} }} }}"
        );
        let app = &app;
        let mgr = mgr.clone();
        let id = r["id"].clone();
        async move { app.ok(&mgr, &q, json!({"id": id})).await["tagSuggestions"]["edges"].clone() }
    };
    assert_eq!(list("PENDING").await.as_array().unwrap().len(), 5);
    let rejected = list("REJECTED").await;
    assert_eq!(rejected.as_array().unwrap().len(), 1);
    assert_eq!(rejected[0]["node"]["fieldName"], "mobile");

    // A re-scan neither resurrects the rejection nor re-proposes the confirmed tag.
    let again = app.ok(&op, SCAN, json!({"id": r["id"]})).await["scanSensitivity"].clone();
    assert_eq!(find(&again["suggestions"], "mobile", "mobile")["status"], "rejected");
    assert_eq!(
        find(&again["suggestions"], "citizen_id", "citizen_id")["status"],
        "confirmed"
    );
    assert_eq!(suggestion_rows(&app).await, 7);

    // Removing the confirmed tag by hand is an ordinary catalog update, and it is in the history.
    let mut edited = resource("WHEE-XF-0001", "people.residents");
    edited["fields"][0]["grade"] = json!("general");
    edited["fields"][0]["subLevel"] = json!(4);
    app.ok(
        &mgr,
        "mutation($id:ID!,$i:CatalogResourceInput!){ updateCatalogResource(id:$id, expectedVersion:2, input:$i, note:\"去掉误标\"){ version } }",
        json!({"id": r["id"], "i": edited}),
    )
    .await;
    // A department user sees published resources only; this one is a draft.
    assert_eq!(app.err(Some(&dep), HISTORY, json!({"id": r["id"]})).await, "not_found");
    let h = app.ok(&mgr, HISTORY, json!({"id": r["id"]})).await["tagHistory"]["edges"].clone();
    let entries: Vec<(String, String, String, Value)> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["fieldName"].as_str().unwrap().to_owned(),
                n["tag"].as_str().unwrap().to_owned(),
                n["action"].as_str().unwrap().to_owned(),
                n["catalogVersion"].clone(),
            )
        })
        .collect();
    let e = |f: &str, t: &str, a: &str, v: Value| (f.to_owned(), t.to_owned(), a.to_owned(), v);
    assert_eq!(
        entries,
        vec![
            e("citizen_id", "citizen_id", "removed", json!(3)),
            e("mobile", "mobile", "rejected", Value::Null),
            e("citizen_id", "citizen_id", "confirmed", json!(2)),
        ],
        "newest first"
    );
    let newest_first = h.as_array().unwrap();
    assert_eq!(newest_first[0]["node"]["note"], "去掉误标");
    assert_eq!(newest_first[1]["node"]["note"], "测试号段，非真实手机号");
    assert_eq!(newest_first[2]["node"]["suggestionId"], json!(citizen));
    assert_eq!(newest_first[2]["node"]["actor"]["username"], "mgr");
    let one_field = app.ok(&mgr, HISTORY, json!({"id": r["id"], "f": "mobile"})).await["tagHistory"]["edges"].clone();
    assert_eq!(one_field.as_array().unwrap().len(), 1);

    // Every decision is audited.
    let audit: i64 = app
        .core
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.core.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_events WHERE action LIKE 'sensitivity.%'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(audit, 5, "three scans, one confirmation, one rejection");
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_source_is_an_error_and_writes_nothing() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let air = app.department("AIR", "大气环境处", false).await;
    let (_, op) = app.user("opr", Role::Operator, Some(&air)).await;
    let missing = app.settings.data_dir.join("no-such-dir").join("gone.db");
    app.ok(
        &admin,
        "mutation($u:String!){ createDataSource(code:\"gone\", name:\"已下线库\", url:$u){ id } }",
        json!({"u": format!("sqlite://{}", missing.display())}),
    )
    .await;
    let r = app
        .ok(
            &op,
            "mutation($i:CatalogResourceInput!){ createCatalogResource(input:$i){ id } }",
            json!({"i": resource("WHEE-XF-0002", "gone.residents")}),
        )
        .await["createCatalogResource"]
        .clone();
    let resp = app.gql(Some(&op), SCAN, json!({"id": r["id"]})).await;
    assert_eq!(resp["errors"][0]["extensions"]["code"], "invalid_input", "{resp}");
    assert_eq!(resp["errors"][0]["extensions"]["field"], "dataSource", "{resp}");
    assert!(
        resp["errors"][0]["message"].as_str().unwrap().contains("不可达"),
        "{resp}"
    );
    assert_eq!(suggestion_rows(&app).await, 0);
    let audit: i64 = app
        .core
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.core.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sensitivity.scan'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(audit, 0);
    app.stop().await;
}
