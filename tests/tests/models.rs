//! Source systems (来源系统) and data models (数据模型) through the API: CRUD with
//! permissions, duplicate codes, unknown departments, version conflicts, masked contacts, the
//! catalog refusing unknown source systems, models with groups and relations, and relations
//! that dangle after a catalog version removes their field.

use base64::Engine;
use ecogov_domain::catalog::model::{OpenType, ResourceDraft, ShareType, UpdateCycle};
use ecogov_domain::catalog::xlsx::{CatalogEntry, export};
use ecogov_domain::role::Role;
use serde_json::{Value, json};

use crate::{Options, TestApp};

const SYSTEM: &str =
    "id code name description active version ownerDepartment { code } contacts { name role phone email masked }";

fn create_system_q() -> String {
    format!("mutation($i:SourceSystemInput!){{ createSourceSystem(input:$i){{ {SYSTEM} }} }}")
}

fn update_system_q() -> String {
    format!(
        "mutation($id:ID!,$v:Int!,$i:SourceSystemInput!){{ updateSourceSystem(id:$id, expectedVersion:$v, input:$i){{ {SYSTEM} }} }}"
    )
}

fn monitoring(department: &str) -> Value {
    json!({
        "code": "online-monitoring", "name": "污染源自动监控平台", "ownerDepartmentId": department,
        "description": "重点排污单位在线监测数据（HJ 212-2017）",
        "contacts": [
            {"name": "李华", "role": "系统负责人", "phone": "13912345678", "email": "lihua@sthjj.wuhan.gov.cn"},
            {"name": "王芳", "role": "运维联系人", "phone": "027-85123456"}
        ]
    })
}

struct People {
    air: String,
    ext: String,
    mgr: String,
    op: String,
    aud: String,
    dep: String,
}

async fn people(app: &TestApp) -> People {
    let air = app.department("AIR", "大气环境处", false).await;
    let ext = app.department("CITY-OPS", "市城运中心", true).await;
    let (_, mgr) = app.user("mgr1", Role::Manager, Some(&air)).await;
    let (_, op) = app.user("opr", Role::Operator, Some(&air)).await;
    let (_, aud) = app.user("aud", Role::Auditor, None).await;
    let (_, dep) = app.user("cityops", Role::Department, Some(&ext)).await;
    People {
        air,
        ext,
        mgr,
        op,
        aud,
        dep,
    }
}

fn app_opts() -> Options {
    Options {
        workers: false,
        ..Default::default()
    }
}

fn count(v: &Value, key: &str) -> usize {
    v[key]["edges"].as_array().unwrap().len()
}

async fn audit_actions(app: &TestApp, auditor: &str, subject_type: &str) -> Vec<Value> {
    let ev = app
        .ok(
            auditor,
            "{ auditEvents(first: 200) { edges { node { action subjectType subjectId before after } } } }",
            json!({}),
        )
        .await;
    ev["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .filter(|n| n["subjectType"] == subject_type)
        .collect()
}

#[tokio::test]
async fn source_systems_crud_with_permissions_conflicts_and_audit() {
    let app = TestApp::spawn_with(app_opts()).await;
    let p = people(&app).await;
    let create = create_system_q();
    let s = app.ok(&p.mgr, &create, json!({"i": monitoring(&p.air)})).await["createSourceSystem"].clone();
    assert_eq!(
        (
            s["version"].clone(),
            s["active"].clone(),
            s["ownerDepartment"]["code"].clone()
        ),
        (json!(1), json!(true), json!("AIR"))
    );
    assert_eq!(
        s["contacts"][0]["phone"], "13912345678",
        "the manager sees contacts in full"
    );

    // Only catalog managers (manager, operator) write; the auditor and department users read.
    let mut other = monitoring(&p.air);
    other["code"] = json!("air-stations");
    for token in [&p.dep, &p.aud, &app.admin().await] {
        assert_eq!(app.err(Some(token), &create, json!({"i": other})).await, "forbidden");
    }
    let listed = app
        .ok(&p.aud, "{ sourceSystems { edges { node { code } } } }", json!({}))
        .await;
    assert_eq!(count(&listed, "sourceSystems"), 1);
    assert_eq!(
        app.ok(
            &p.dep,
            "{ sourceSystem(code: \"online-monitoring\") { name } }",
            json!({})
        )
        .await["sourceSystem"]["name"],
        "污染源自动监控平台"
    );

    // Bad input: a stable code, nothing written.
    assert_eq!(
        app.err(Some(&p.op), &create, json!({"i": monitoring(&p.air)})).await,
        "duplicate"
    );
    let mut bad = other.clone();
    bad["ownerDepartmentId"] = json!("999999");
    assert_eq!(app.err(Some(&p.op), &create, json!({"i": bad})).await, "invalid_input");
    let mut bad = other.clone();
    bad["code"] = json!("Air_Stations");
    assert_eq!(app.err(Some(&p.op), &create, json!({"i": bad})).await, "invalid_input");
    let mut bad = other.clone();
    bad["contacts"][1]["phone"] = json!("8512345");
    let r = app.gql(Some(&p.op), &create, json!({"i": bad})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_input");
    assert_eq!(r["errors"][0]["extensions"]["field"], "contacts[1].phone");
    let mut bad = other.clone();
    bad["contacts"] = json!(vec![json!({"name": "李华", "email": "lihua@sthjj.wuhan.gov.cn"}); 11]);
    assert_eq!(app.err(Some(&p.op), &create, json!({"i": bad})).await, "invalid_input");
    let listed = app
        .ok(&p.mgr, "{ sourceSystems { edges { node { code } } } }", json!({}))
        .await;
    assert_eq!(count(&listed, "sourceSystems"), 1, "refused inputs wrote nothing");

    // The operator (a catalog manager) registers the second one.
    let stations = app.ok(&p.op, &create, json!({"i": other})).await["createSourceSystem"].clone();
    assert_eq!(stations["code"], "air-stations");

    // Update with optimistic concurrency; the code is fixed.
    let update = update_system_q();
    let mut edit = monitoring(&p.ext);
    edit["name"] = json!("污染源自动监控平台（省级）");
    let u = app.ok(&p.mgr, &update, json!({"id": s["id"], "v": 1, "i": edit})).await["updateSourceSystem"].clone();
    assert_eq!(
        (u["version"].clone(), u["ownerDepartment"]["code"].clone()),
        (json!(2), json!("CITY-OPS"))
    );
    let stale = app
        .gql(Some(&p.mgr), &update, json!({"id": s["id"], "v": 1, "i": edit}))
        .await;
    assert_eq!(stale["errors"][0]["extensions"]["code"], "version_conflict");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 2);
    let mut renamed = edit.clone();
    renamed["code"] = json!("monitoring");
    assert_eq!(
        app.err(Some(&p.mgr), &update, json!({"id": s["id"], "v": 2, "i": renamed}))
            .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(Some(&p.dep), &update, json!({"id": s["id"], "v": 2, "i": edit}))
            .await,
        "forbidden"
    );

    // Deactivate, then filter.
    let deactivate =
        "mutation($id:ID!,$v:Int!){ deactivateSourceSystem(id:$id, expectedVersion:$v){ active version } }";
    assert_eq!(
        app.err(Some(&p.aud), deactivate, json!({"id": s["id"], "v": 2})).await,
        "forbidden"
    );
    let d = app.ok(&p.mgr, deactivate, json!({"id": s["id"], "v": 2})).await["deactivateSourceSystem"].clone();
    assert_eq!((d["active"].clone(), d["version"].clone()), (json!(false), json!(3)));
    let q = "query($f:SourceSystemFilterInput){ sourceSystems(filter:$f, first: 10){ edges { node { code } } } }";
    let active = app.ok(&p.aud, q, json!({"f": {"active": true}})).await;
    assert_eq!(active["sourceSystems"]["edges"][0]["node"]["code"], "air-stations");
    assert_eq!(count(&active, "sourceSystems"), 1);
    let owned = app.ok(&p.aud, q, json!({"f": {"ownerDepartmentId": p.ext}})).await;
    assert_eq!(owned["sourceSystems"]["edges"][0]["node"]["code"], "online-monitoring");
    assert_eq!(count(&owned, "sourceSystems"), 1);

    // Audited, with contacts masked in the trail.
    let events = audit_actions(&app, &p.aud, "source_system").await;
    let mut actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort();
    assert_eq!(
        actions,
        vec![
            "source_system.create",
            "source_system.create",
            "source_system.deactivate",
            "source_system.update"
        ]
    );
    let trail = serde_json::to_string(&events).unwrap();
    assert!(
        !trail.contains("13912345678") && trail.contains("139****5678"),
        "{trail}"
    );
    app.stop().await;
}

#[tokio::test]
async fn contacts_are_masked_for_readers_outside_the_owner_department() {
    let app = TestApp::spawn_with(app_opts()).await;
    let p = people(&app).await;
    let water = app.department("WATER", "市水务局", true).await;
    let (_, other_dep) = app.user("water", Role::Department, Some(&water)).await;
    // Owned by the city operations center: its users see their own contacts in full.
    app.ok(&p.mgr, &create_system_q(), json!({"i": monitoring(&p.ext)}))
        .await;
    let q = "{ sourceSystem(code: \"online-monitoring\") { contacts { name phone email masked } } }";
    let full = json!([
        {"name": "李华", "phone": "13912345678", "email": "lihua@sthjj.wuhan.gov.cn", "masked": false},
        {"name": "王芳", "phone": "027-85123456", "email": null, "masked": false}
    ]);
    let masked = json!([
        {"name": "李华", "phone": "139****5678", "email": "l****@sthjj.wuhan.gov.cn", "masked": true},
        {"name": "王芳", "phone": "027-******56", "email": null, "masked": true}
    ]);
    for (who, token, expected) in [
        ("manager", &p.mgr, &full),
        ("operator", &p.op, &full),
        ("owner department user", &p.dep, &full),
        ("other department user", &other_dep, &masked),
        ("auditor", &p.aud, &masked),
    ] {
        let got = app.ok(token, q, json!({})).await["sourceSystem"]["contacts"].clone();
        assert_eq!(&got, expected, "{who}");
    }
    // The same rule in lists.
    let listed = app
        .ok(
            &other_dep,
            "{ sourceSystems { edges { node { contacts { phone } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["sourceSystems"]["edges"][0]["node"]["contacts"][0]["phone"],
        "139****5678"
    );
    app.stop().await;
}

fn resource(code: &str, source_system: &str) -> Value {
    json!({
        "code": code, "name": "重点排污单位在线监测小时数据", "classification": ["1", "03"], "providerDepartment": "AIR",
        "shareType": "无条件共享", "openType": "不予开放", "updateCycle": "每小时", "sourceSystem": source_system,
        "tables": ["monitor.outlet_hourly"],
        "fields": [{"name": "outlet_code", "cnName": "排放口编码", "dataType": "string"}]
    })
}

const CREATE_RESOURCE: &str = "mutation($i:CatalogResourceInput!){ createCatalogResource(input:$i){ id version sourceSystem { code name active } } }";

#[tokio::test]
async fn catalog_resources_must_name_a_registered_source_system() {
    let app = TestApp::spawn_with(app_opts()).await;
    let p = people(&app).await;
    let r = app
        .gql(
            Some(&p.op),
            CREATE_RESOURCE,
            json!({"i": resource("WHEE-MON-0001", "online-monitoring")}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_input");
    assert_eq!(r["errors"][0]["extensions"]["field"], "sourceSystem");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("来源系统不存在"));

    let s = app
        .ok(&p.mgr, &create_system_q(), json!({"i": monitoring(&p.air)}))
        .await["createSourceSystem"]
        .clone();
    let created = app
        .ok(
            &p.op,
            CREATE_RESOURCE,
            json!({"i": resource("WHEE-MON-0001", "online-monitoring")}),
        )
        .await["createCatalogResource"]
        .clone();
    assert_eq!(created["sourceSystem"]["name"], "污染源自动监控平台");
    // No source system is fine.
    let none = app
        .ok(&p.op, CREATE_RESOURCE, json!({"i": resource("WHEE-MON-0002", "")}))
        .await["createCatalogResource"]
        .clone();
    assert_eq!(none["sourceSystem"], Value::Null);

    // A deactivated system stays on the resources that name it, but takes no new ones.
    app.ok(
        &p.mgr,
        "mutation($id:ID!){ deactivateSourceSystem(id:$id, expectedVersion:1){ active } }",
        json!({"id": s["id"]}),
    )
    .await;
    let r = app
        .gql(
            Some(&p.op),
            CREATE_RESOURCE,
            json!({"i": resource("WHEE-MON-0003", "online-monitoring")}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "sourceSystem");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("已停用"));
    let mut renamed = resource("WHEE-MON-0001", "online-monitoring");
    renamed["name"] = json!("重点排污单位在线监测小时均值");
    let upd = "mutation($id:ID!,$v:Int!,$i:CatalogResourceInput!){ updateCatalogResource(id:$id, expectedVersion:$v, input:$i){ version sourceSystem { active } } }";
    let u = app
        .ok(&p.op, upd, json!({"id": created["id"], "v": 1, "i": renamed}))
        .await["updateCatalogResource"]
        .clone();
    assert_eq!(
        (u["version"].clone(), u["sourceSystem"]["active"].clone()),
        (json!(2), json!(false))
    );

    // The Excel import goes through the same check: an unknown system is a row problem.
    let entry = CatalogEntry {
        resource: ResourceDraft {
            code: "WHEE-MET-0001".into(),
            name: "地面气象逐小时观测".into(),
            classification: vec!["1".into(), "05".into()],
            provider_department: "AIR".into(),
            share_type: Some(ShareType::Unconditional),
            open_type: Some(OpenType::Unconditional),
            update_cycle: Some(UpdateCycle::Hourly),
            source_system: "meteorological-bureau".into(),
            ..Default::default()
        },
        fields: vec![],
    };
    let wb = base64::engine::general_purpose::STANDARD.encode(export(&[entry]).unwrap());
    let import =
        "mutation($c:String!){ importCatalog(contentBase64:$c){ applied created problems { code field message } } }";
    let out = app.ok(&p.op, import, json!({"c": wb})).await["importCatalog"].clone();
    assert_eq!(out["applied"], false);
    assert_eq!(out["problems"][0]["field"], "sourceSystem");
    assert_eq!(out["problems"][0]["code"], "WHEE-MET-0001");
    app.stop().await;
}

fn enterprise() -> Value {
    json!({
        "code": "WHEE-PMT-ENT", "name": "排污单位基本信息", "classification": ["1", "04"], "providerDepartment": "AIR",
        "shareType": "无条件共享", "openType": "不予开放", "updateCycle": "每日", "tables": ["permit.enterprise"],
        "fields": [
            {"name": "credit_code", "cnName": "统一社会信用代码", "dataType": "string", "length": 18},
            {"name": "ent_name", "cnName": "单位名称", "dataType": "string"}
        ]
    })
}

fn outlet() -> Value {
    json!({
        "code": "WHEE-PMT-OUT", "name": "排放口信息", "classification": ["1", "04"], "providerDepartment": "AIR",
        "shareType": "无条件共享", "openType": "不予开放", "updateCycle": "每日",
        "tables": ["permit.outlet", "permit.outlet_history"],
        "fields": [
            {"name": "outlet_code", "cnName": "排放口编码", "dataType": "string"},
            {"name": "credit_code", "cnName": "统一社会信用代码", "dataType": "string", "length": 18},
            {"name": "discharge_mode", "cnName": "排放方式", "dataType": "string"}
        ]
    })
}

const MODEL: &str = "id code name version groups { name entities { resource { code } table } } entities { group table resource { code } } relations { index fromResource { code } fromField toResource { code } toField cardinality description } problems { kind index resourceCode name removedInVersion message }";

fn create_model_q() -> String {
    format!("mutation($i:DataModelInput!){{ createDataModel(input:$i){{ {MODEL} }} }}")
}

fn update_model_q() -> String {
    format!(
        "mutation($id:ID!,$v:Int!,$i:DataModelInput!){{ updateDataModel(id:$id, expectedVersion:$v, input:$i){{ {MODEL} }} }}"
    )
}

fn permit_model(ent: &Value, out: &Value) -> Value {
    json!({
        "code": "DM-PERMIT", "name": "排污许可主题模型", "description": "排污单位与排放口",
        "entities": [
            {"group": "主体", "resourceId": ent, "table": "permit.enterprise"},
            {"group": "排放", "resourceId": out, "table": "permit.outlet"}
        ],
        "relations": [
            {"fromResourceId": ent, "fromField": "credit_code", "toResourceId": out, "toField": "CREDIT_CODE",
             "cardinality": "ONE_TO_MANY", "description": "一个排污单位有多个排放口"}
        ]
    })
}

async fn two_resources(app: &TestApp, token: &str) -> (Value, Value) {
    let q = "mutation($i:CatalogResourceInput!){ createCatalogResource(input:$i){ id } }";
    let ent = app.ok(token, q, json!({"i": enterprise()})).await["createCatalogResource"]["id"].clone();
    let out = app.ok(token, q, json!({"i": outlet()})).await["createCatalogResource"]["id"].clone();
    (ent, out)
}

#[tokio::test]
async fn data_models_group_resources_and_relate_their_fields() {
    let app = TestApp::spawn_with(app_opts()).await;
    let p = people(&app).await;
    let (ent, out) = two_resources(&app, &p.op).await;
    let create = create_model_q();
    let m = app.ok(&p.op, &create, json!({"i": permit_model(&ent, &out)})).await["createDataModel"].clone();
    assert_eq!(m["version"], 1);
    assert_eq!(
        m["groups"],
        json!([
            {"name": "主体", "entities": [{"resource": {"code": "WHEE-PMT-ENT"}, "table": "permit.enterprise"}]},
            {"name": "排放", "entities": [{"resource": {"code": "WHEE-PMT-OUT"}, "table": "permit.outlet"}]}
        ])
    );
    assert_eq!(
        m["relations"],
        json!([{
            "index": 0, "fromResource": {"code": "WHEE-PMT-ENT"}, "fromField": "credit_code",
            "toResource": {"code": "WHEE-PMT-OUT"}, "toField": "credit_code",
            "cardinality": "ONE_TO_MANY", "description": "一个排污单位有多个排放口"
        }]),
        "field names take the catalog's spelling"
    );
    assert_eq!(m["problems"], json!([]));

    // Permissions: department users and the auditor read, never write.
    for token in [&p.dep, &p.aud] {
        assert_eq!(
            app.err(Some(token), &create, json!({"i": permit_model(&ent, &out)}))
                .await,
            "forbidden"
        );
    }
    let read = format!("query($c:String!){{ dataModel(code:$c){{ {MODEL} }} }}");
    let seen = app.ok(&p.aud, &read, json!({"c": "DM-PERMIT"})).await["dataModel"].clone();
    assert_eq!(seen["relations"], m["relations"]);
    // Department users see published resources only, so none of this draft model's parts.
    let dep_view = app.ok(&p.dep, &read, json!({"c": "DM-PERMIT"})).await["dataModel"].clone();
    assert_eq!(
        (dep_view["entities"].clone(), dep_view["relations"].clone()),
        (json!([]), json!([]))
    );

    // Duplicate code; bad drafts: a stable code and nothing written.
    assert_eq!(
        app.err(Some(&p.op), &create, json!({"i": permit_model(&ent, &out)}))
            .await,
        "duplicate"
    );
    let mut other = permit_model(&ent, &out);
    other["code"] = json!("DM-PERMIT-2");
    let bad_cases: Vec<(Value, &str)> = vec![
        (
            json!({"relations": [{"fromResourceId": ent, "fromField": "credit_code", "toResourceId": out, "toField": "nope", "cardinality": "ONE_TO_MANY"}]}),
            "relations[0].toField",
        ),
        (
            json!({"entities": [{"group": "主体", "resourceId": ent, "table": "permit.enterprise"}, {"group": "排放", "resourceId": out, "table": "permit.not_bound"}]}),
            "entities[1].table",
        ),
        (
            json!({"entities": [{"group": "主体", "resourceId": ent, "table": "permit.enterprise"}, {"group": "排放", "resourceId": "999999", "table": "permit.outlet"}]}),
            "entities[1].resourceId",
        ),
        (
            json!({"entities": [{"group": "主体", "resourceId": ent, "table": "permit.enterprise"}]}),
            "relations[0].toResourceId",
        ),
        (
            json!({"relations": [
                {"fromResourceId": ent, "fromField": "credit_code", "toResourceId": out, "toField": "credit_code", "cardinality": "ONE_TO_MANY"},
                {"fromResourceId": out, "fromField": "credit_code", "toResourceId": ent, "toField": "credit_code", "cardinality": "MANY_TO_ONE"}
            ]}),
            "relations[1]",
        ),
    ];
    for (patch, field) in &bad_cases {
        let mut input = other.clone();
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        let r = app.gql(Some(&p.op), &create, json!({"i": input})).await;
        assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_input", "{field}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["field"], *field, "{r}");
    }
    let list = "{ dataModels(first: 10) { edges { node { code } } } }";
    assert_eq!(
        count(&app.ok(&p.aud, list, json!({})).await, "dataModels"),
        1,
        "refused drafts wrote nothing"
    );

    // An invalid update leaves the stored model exactly as it was.
    let update = update_model_q();
    let mut broken = permit_model(&ent, &out);
    broken["entities"][1]["group"] = json!("排放口");
    broken["relations"][0]["toField"] = json!("outlet_nope");
    assert_eq!(
        app.err(Some(&p.op), &update, json!({"id": m["id"], "v": 1, "i": broken}))
            .await,
        "invalid_input"
    );
    let unchanged = app.ok(&p.aud, &read, json!({"c": "DM-PERMIT"})).await["dataModel"].clone();
    assert_eq!(unchanged, m, "nothing of the refused update was written");

    // A valid update replaces entities and relations whole (a new version); stale is a conflict.
    let mut v2 = permit_model(&ent, &out);
    v2["entities"] = json!([
        {"group": "主体", "resourceId": ent, "table": "permit.enterprise"},
        {"group": "排放", "resourceId": out, "table": "permit.outlet"},
        {"group": "排放", "resourceId": out, "table": "permit.outlet_history"}
    ]);
    v2["relations"][0]["cardinality"] = json!("ONE_TO_MANY");
    v2["relations"][0]["description"] = json!("信用代码关联");
    let u = app.ok(&p.mgr, &update, json!({"id": m["id"], "v": 1, "i": v2})).await["updateDataModel"].clone();
    assert_eq!(u["version"], 2);
    assert_eq!(u["groups"][1]["entities"].as_array().unwrap().len(), 2);
    assert_eq!(u["relations"][0]["description"], "信用代码关联");
    let stale = app
        .gql(Some(&p.mgr), &update, json!({"id": m["id"], "v": 1, "i": v2}))
        .await;
    assert_eq!(stale["errors"][0]["extensions"]["code"], "version_conflict");
    assert_eq!(
        app.err(Some(&p.dep), &update, json!({"id": m["id"], "v": 2, "i": v2}))
            .await,
        "forbidden"
    );

    // Audited with before and after.
    let events = audit_actions(&app, &p.aud, "data_model").await;
    let upd = events.iter().find(|e| e["action"] == "data_model.update").unwrap();
    assert_eq!(upd["before"]["entities"].as_array().unwrap().len(), 2);
    assert_eq!(upd["after"]["entities"].as_array().unwrap().len(), 3);
    assert_eq!(upd["after"]["relations"][0]["from"], "WHEE-PMT-ENT.credit_code");
    assert_eq!(events.len(), 2, "one event per accepted write");
    app.stop().await;
}

#[tokio::test]
async fn removing_a_field_used_by_a_relation_shows_up_in_problems() {
    let app = TestApp::spawn_with(app_opts()).await;
    let p = people(&app).await;
    let (ent, out) = two_resources(&app, &p.op).await;
    let m = app
        .ok(&p.op, &create_model_q(), json!({"i": permit_model(&ent, &out)}))
        .await["createDataModel"]
        .clone();
    assert_eq!(m["problems"], json!([]));

    // Version 2 of the outlet resource drops credit_code and unbinds permit.outlet.
    let mut v2 = outlet();
    v2["fields"] = json!([
        {"name": "outlet_code", "cnName": "排放口编码", "dataType": "string"},
        {"name": "discharge_mode", "cnName": "排放方式", "dataType": "string"}
    ]);
    v2["tables"] = json!(["permit.outlet_history"]);
    app.ok(
        &p.op,
        "mutation($id:ID!,$i:CatalogResourceInput!){ updateCatalogResource(id:$id, expectedVersion:1, input:$i){ version } }",
        json!({"id": out, "i": v2}),
    )
    .await;
    let read = format!("query($id:ID!){{ dataModel(id:$id){{ {MODEL} }} }}");
    let now = app.ok(&p.aud, &read, json!({"id": m["id"]})).await["dataModel"].clone();
    let problems: Vec<(Value, Value, Value, Value)> = now["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["kind"].clone(),
                x["resourceCode"].clone(),
                x["name"].clone(),
                x["removedInVersion"].clone(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                json!("TABLE_UNBOUND"),
                json!("WHEE-PMT-OUT"),
                json!("permit.outlet"),
                Value::Null
            ),
            (
                json!("FIELD_REMOVED"),
                json!("WHEE-PMT-OUT"),
                json!("credit_code"),
                json!(2)
            ),
        ]
    );
    assert!(now["problems"][1]["message"].as_str().unwrap().contains("已从数据资源"));
    // The stored relation is still shown, so it can be fixed; saving it again is refused.
    assert_eq!(now["relations"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.err(
            Some(&p.op),
            &update_model_q(),
            json!({"id": m["id"], "v": 1, "i": permit_model(&ent, &out)})
        )
        .await,
        "invalid_input"
    );
    app.stop().await;
}
