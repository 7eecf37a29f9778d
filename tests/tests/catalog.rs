//! The data resource catalog through the API: entries with fields and grades, versions with
//! field-level diffs, the lifecycle, search in Chinese, and the Excel round trip.

use base64::Engine;
use ecogov_domain::catalog::model::{FieldDraft, OpenType, ResourceDraft, ShareType, UpdateCycle};
use ecogov_domain::catalog::xlsx::{CatalogEntry, export};
use ecogov_domain::role::Role;
use serde_json::{Value, json};

use crate::{Options, TestApp};

const RESOURCE: &str = "id code name status version grade subLevel classification department fields { name cnName dataType grade subLevel unit tags }";

fn air(code: &str) -> Value {
    json!({
        "code": code, "name": "空气质量小时数据", "classification": ["1", "02", "003"], "providerDepartment": "AIR",
        "summary": "全市国控、省控空气质量监测站逐小时监测数据", "format": "数据库表", "shareType": "有条件共享",
        "shareConditions": "仅限政务用途", "openType": "unconditional", "updateCycle": "每小时", "publishDate": "2026-03-01",
        "tables": ["demo.air_station_hourly"],
        "fields": [
            {"name": "station_code", "cnName": "站点编码", "dataType": "字符型", "length": 8, "grade": "一般数据", "subLevel": 1},
            {"name": "pm25", "cnName": "PM2.5 浓度", "dataType": "decimal", "unit": "μg/m³", "grade": "general", "subLevel": 2},
            {"name": "operator_phone", "cnName": "运维人员手机号", "dataType": "string", "grade": "general", "subLevel": 3, "tags": ["mobile"]}
        ]
    })
}

async fn setup(app: &TestApp) -> (String, String, String, String) {
    let air = app.department("AIR", "大气环境处", false).await;
    let (_, m1) = app.user("mgr1", Role::Manager, Some(&air)).await;
    let (_, m2) = app.user("mgr2", Role::Manager, Some(&air)).await;
    let (_, op) = app.user("opr", Role::Operator, Some(&air)).await;
    let ext = app.department("CITY-OPS", "市城运中心", true).await;
    let (_, dep) = app.user("cityops", Role::Department, Some(&ext)).await;
    (m1, m2, op, dep)
}

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    app.ok(
        token,
        &format!("mutation($i:CatalogResourceInput!){{ createCatalogResource(input:$i){{ {RESOURCE} }} }}"),
        json!({"i": input}),
    )
    .await["createCatalogResource"]
        .clone()
}

#[tokio::test]
async fn resources_are_graded_versioned_and_diffed() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (m1, _, op, _) = setup(&app).await;
    let r = create(&app, &op, air("WHEE-AIR-0001")).await;
    assert_eq!((r["status"].clone(), r["version"].clone()), (json!("draft"), json!(1)));
    // 就高从严: the dataset takes the highest field grade.
    assert_eq!(
        (r["grade"].clone(), r["subLevel"].clone()),
        (json!("general"), json!(3))
    );
    assert_eq!(r["fields"][2]["tags"], json!(["mobile"]));
    let create_q = format!("mutation($i:CatalogResourceInput!){{ createCatalogResource(input:$i){{ {RESOURCE} }} }}");
    assert_eq!(
        app.err(Some(&op), &create_q, json!({"i": air("WHEE-AIR-0001")})).await,
        "duplicate"
    );
    let mut bad = air("WHEE-AIR-0002");
    bad["classification"] = json!(["12"]);
    assert_eq!(app.err(Some(&op), &create_q, json!({"i": bad})).await, "invalid_input");
    let mut bad = air("WHEE-AIR-0003");
    bad["providerDepartment"] = json!("NOPE");
    assert_eq!(app.err(Some(&op), &create_q, json!({"i": bad})).await, "invalid_input");
    let mut bad = air("WHEE-AIR-0004");
    bad["fields"][0]["dataType"] = json!("varchar2");
    assert_eq!(app.err(Some(&op), &create_q, json!({"i": bad})).await, "invalid_input");
    let list = app
        .ok(&m1, "{ catalogResources { edges { node { code } } } }", json!({}))
        .await;
    assert_eq!(
        list["catalogResources"]["edges"].as_array().unwrap().len(),
        1,
        "refused inputs wrote nothing"
    );

    // An edit: a new version with a field-level diff; an important field raises the grade.
    let mut v2 = air("WHEE-AIR-0001");
    v2["name"] = json!("空气质量小时监测数据");
    v2["fields"][1]["unit"] = json!("mg/m³");
    v2["fields"][2]["grade"] = json!("重要数据");
    v2["fields"][2]["subLevel"] = Value::Null;
    let upd = format!(
        "mutation($id:ID!,$v:Int!,$i:CatalogResourceInput!){{ updateCatalogResource(id:$id, expectedVersion:$v, input:$i, note:\"修订单位\"){{ {RESOURCE} }} }}"
    );
    let r2 = app.ok(&op, &upd, json!({"id": r["id"], "v": 1, "i": v2})).await["updateCatalogResource"].clone();
    assert_eq!(
        (r2["version"].clone(), r2["grade"].clone()),
        (json!(2), json!("important"))
    );
    assert_eq!(
        app.err(Some(&op), &upd, json!({"id": r["id"], "v": 1, "i": v2})).await,
        "version_conflict"
    );
    // Saving the same content again creates no version.
    let same = app.ok(&op, &upd, json!({"id": r["id"], "v": 2, "i": v2})).await["updateCatalogResource"].clone();
    assert_eq!(same["version"], 2);
    let d = app.ok(&m1, "query($id:ID!){ catalogDiff(id:$id, from:1, to:2){ path before after } catalogVersions(id:$id){ version note } }", json!({"id": r["id"]})).await;
    let paths: Vec<&str> = d["catalogDiff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "resource.name",
            "fields.pm25.unit",
            "fields.operator_phone.grade",
            "fields.operator_phone.sub_level"
        ]
    );
    assert_eq!(d["catalogDiff"][1]["before"], "μg/m³");
    assert_eq!(d["catalogVersions"][0]["note"], "修订单位");
    app.stop().await;
}

#[tokio::test]
async fn lifecycle_needs_an_independent_approver_and_departments_see_published_only() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (m1, m2, op, dep) = setup(&app).await;
    let r = create(&app, &op, air("WHEE-AIR-0001")).await;
    let t = "mutation($id:ID!,$e:CatalogEvent!,$v:Int!,$r:String){ catalogTransition(id:$id, event:$e, expectedVersion:$v, reason:$r){ status version } }";
    let s = app.ok(&m1, t, json!({"id": r["id"], "e": "SUBMIT", "v": 1})).await["catalogTransition"].clone();
    assert_eq!(s["status"], "under_review");
    assert_eq!(
        app.err(Some(&op), t, json!({"id": r["id"], "e": "APPROVE", "v": 2}))
            .await,
        "forbidden"
    );
    assert_eq!(
        app.err(Some(&m1), t, json!({"id": r["id"], "e": "APPROVE", "v": 2}))
            .await,
        "self_review"
    );
    let dep_list = app
        .ok(&dep, "{ catalogResources { edges { node { code } } } }", json!({}))
        .await;
    assert!(dep_list["catalogResources"]["edges"].as_array().unwrap().is_empty());
    let p = app.ok(&m2, t, json!({"id": r["id"], "e": "APPROVE", "v": 2})).await["catalogTransition"].clone();
    assert_eq!(p["status"], "published");
    let dep_list = app
        .ok(&dep, "{ catalogResources { edges { node { code } } } }", json!({}))
        .await;
    assert_eq!(
        dep_list["catalogResources"]["edges"][0]["node"]["code"],
        "WHEE-AIR-0001"
    );
    assert_eq!(
        app.err(Some(&m2), t, json!({"id": r["id"], "e": "OFFLINE", "v": 3}))
            .await,
        "missing_field"
    );
    let o = app
        .ok(
            &m2,
            t,
            json!({"id": r["id"], "e": "OFFLINE", "v": 3, "r": "数据源迁移"}),
        )
        .await["catalogTransition"]
        .clone();
    assert_eq!(o["status"], "offline");
    assert_eq!(
        app.err(Some(&m2), t, json!({"id": r["id"], "e": "APPROVE", "v": 4}))
            .await,
        "transition_not_allowed"
    );
    app.stop().await;
}

#[tokio::test]
async fn chinese_search_finds_words_inside_names_and_fields() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (m1, _, op, _) = setup(&app).await;
    create(&app, &op, air("WHEE-AIR-0001")).await;
    let mut water = air("WHEE-WAT-0001");
    water["name"] = json!("地表水断面水质月数据");
    water["summary"] = json!("长江、汉江国控断面水质监测");
    water["fields"] = json!([{"name": "cod", "cnName": "化学需氧量", "dataType": "decimal", "unit": "mg/L"}]);
    create(&app, &op, water).await;
    let q =
        "query($q:String!,$f:CatalogFilterInput){ catalogResources(query:$q, filter:$f){ edges { node { code } } } }";
    let codes = |v: Value| {
        v["catalogResources"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["code"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        codes(app.ok(&m1, q, json!({"q": "空气质量"})).await),
        vec!["WHEE-AIR-0001"]
    );
    assert_eq!(codes(app.ok(&m1, q, json!({"q": "水质"})).await), vec!["WHEE-WAT-0001"]);
    assert_eq!(
        codes(app.ok(&m1, q, json!({"q": "需氧量"})).await),
        vec!["WHEE-WAT-0001"]
    );
    assert_eq!(codes(app.ok(&m1, q, json!({"q": "pm25"})).await), vec!["WHEE-AIR-0001"]);
    assert_eq!(
        codes(app.ok(&m1, q, json!({"q": "WHEE-WAT-0001"})).await),
        vec!["WHEE-WAT-0001"]
    );
    assert!(
        codes(
            app.ok(&m1, q, json!({"q": "空气质量", "f": {"status": "published"}}))
                .await
        )
        .is_empty()
    );
    // An edit is searchable at once.
    let r = app
        .ok(
            &m1,
            "{ catalogResource(code: \"WHEE-WAT-0001\") { id version } }",
            json!({}),
        )
        .await["catalogResource"]
        .clone();
    let mut renamed = air("WHEE-WAT-0001");
    renamed["name"] = json!("饮用水源地水质周报");
    app.ok(&op, "mutation($id:ID!,$v:Int!,$i:CatalogResourceInput!){ updateCatalogResource(id:$id, expectedVersion:$v, input:$i){ version } }", json!({"id": r["id"], "v": r["version"], "i": renamed})).await;
    assert_eq!(
        codes(app.ok(&m1, q, json!({"q": "饮用水源"})).await),
        vec!["WHEE-WAT-0001"]
    );
    app.stop().await;
}

#[tokio::test]
async fn excel_round_trip_is_a_no_op_and_imports_are_all_or_nothing() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (m1, _, op, _) = setup(&app).await;
    create(&app, &op, air("WHEE-AIR-0001")).await;
    let exported = app.ok(&m1, "{ catalogExport }", json!({})).await["catalogExport"]
        .as_str()
        .unwrap()
        .to_owned();
    let import = "mutation($c:String!,$d:Boolean,$v:Boolean){ importCatalog(contentBase64:$c, dryRun:$d, validOnly:$v){ applied created updated unchanged rowsRead problems { row code field message } } }";
    let r = app.ok(&op, import, json!({"c": exported, "d": false})).await["importCatalog"].clone();
    assert_eq!(r["unchanged"], json!(["WHEE-AIR-0001"]));
    assert!(r["created"].as_array().unwrap().is_empty() && r["updated"].as_array().unwrap().is_empty());
    let v = app
        .ok(
            &m1,
            "{ catalogResource(code: \"WHEE-AIR-0001\") { version } }",
            json!({}),
        )
        .await;
    assert_eq!(v["catalogResource"]["version"], 1, "export -> import changed nothing");

    // A workbook with one good and one bad resource.
    let good = CatalogEntry {
        resource: ResourceDraft {
            code: "WHEE-MET-0001".into(),
            name: "地面气象逐小时观测".into(),
            classification: vec!["1".into(), "05".into()],
            provider_department: "AIR".into(),
            share_type: Some(ShareType::Unconditional),
            open_type: Some(OpenType::Unconditional),
            update_cycle: Some(UpdateCycle::Hourly),
            ..Default::default()
        },
        fields: vec![FieldDraft {
            name: "temperature".into(),
            cn_name: "气温".into(),
            data_type: Some(ecogov_domain::catalog::model::DataType::Decimal),
            unit: "℃".into(),
            ..Default::default()
        }],
    };
    let mut bad = good.clone();
    bad.resource.code = "WHEE-MET-0002".into();
    bad.resource.provider_department = "NOPE".into();
    let wb = base64::engine::general_purpose::STANDARD.encode(export(&[good, bad]).unwrap());
    let dry = app.ok(&op, import, json!({"c": wb, "d": true})).await["importCatalog"].clone();
    assert_eq!(
        (dry["applied"].clone(), dry["created"].clone()),
        (json!(false), json!(["WHEE-MET-0001"]))
    );
    assert_eq!(dry["problems"][0]["code"], "WHEE-MET-0002");
    let all = app.ok(&op, import, json!({"c": wb})).await["importCatalog"].clone();
    assert_eq!(all["applied"], false, "all-or-nothing by default");
    let count = |v: Value| v["catalogResources"]["edges"].as_array().unwrap().len();
    assert_eq!(
        count(
            app.ok(&m1, "{ catalogResources { edges { node { code } } } }", json!({}))
                .await
        ),
        1
    );
    let valid = app.ok(&op, import, json!({"c": wb, "v": true})).await["importCatalog"].clone();
    assert_eq!(
        (valid["applied"].clone(), valid["created"].clone()),
        (json!(true), json!(["WHEE-MET-0001"]))
    );
    assert_eq!(
        count(
            app.ok(&m1, "{ catalogResources { edges { node { code } } } }", json!({}))
                .await
        ),
        2
    );
    // Not a workbook at all.
    assert_eq!(
        app.err(
            Some(&op),
            import,
            json!({"c": base64::engine::general_purpose::STANDARD.encode(b"not a workbook")})
        )
        .await,
        "invalid_input"
    );
    app.stop().await;
}
