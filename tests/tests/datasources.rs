//! Data sources: encrypted credentials, connection tests, schema drift against a real table
//! that the test alters, drift tickets and adoption.

use ecogov_domain::role::Role;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::{Options, TestApp};

async fn source_db(app: &TestApp) -> String {
    let path = app.settings.data_dir.join("source.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared("CREATE TABLE air_station_hourly (station_code VARCHAR(8) NOT NULL, observed_at TIMESTAMP NOT NULL, pm25 DECIMAL(6,1), so2 INTEGER)").await.unwrap();
    db.close().await.unwrap();
    url
}

fn resource() -> Value {
    json!({
        "code": "WHEE-AIR-0001", "name": "空气质量小时数据", "classification": ["1", "02"], "providerDepartment": "AIR",
        "shareType": "无条件共享", "openType": "不予开放", "updateCycle": "每小时", "tables": ["demo.air_station_hourly"],
        "fields": [
            {"name": "station_code", "cnName": "站点编码", "dataType": "string", "length": 8},
            {"name": "observed_at", "cnName": "监测时间", "dataType": "datetime"},
            {"name": "pm25", "cnName": "PM2.5", "dataType": "decimal", "length": 6, "nullable": true},
            {"name": "so2", "cnName": "SO2", "dataType": "integer", "nullable": true}
        ]
    })
}

#[tokio::test]
async fn credentials_are_encrypted_and_connections_tested() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let (_, op) = app.user("opr", Role::Operator, None).await;
    let create =
        "mutation($c:String!,$n:String!,$u:String!){ createDataSource(code:$c, name:$n, url:$u){ id code kind url } }";
    let mysql = app
        .ok(
            &admin,
            create,
            json!({"c": "enforce", "n": "执法系统库", "u": "mysql://etl:S3cret-pw@127.0.0.1:1/enforce"}),
        )
        .await["createDataSource"]
        .clone();
    assert_eq!(mysql["url"], "mysql://etl:***@127.0.0.1:1/enforce");
    let stored: Vec<String> = app
        .core
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.core.db.get_database_backend(),
            "SELECT url_sealed FROM data_sources".to_owned(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "url_sealed").unwrap())
        .collect();
    assert!(
        stored.iter().all(|s| !s.contains("S3cret")),
        "credentials are not stored in clear"
    );
    assert_eq!(
        app.err(Some(&op), create, json!({"c": "x", "n": "x", "u": "sqlite::memory:"}))
            .await,
        "forbidden"
    );
    assert_eq!(
        app.err(Some(&admin), create, json!({"c": "bad", "n": "x", "u": "oracle://x"}))
            .await,
        "invalid_input"
    );
    // A data source names a registered source system, if any.
    assert_eq!(
        app.err(
            Some(&admin),
            "mutation{ createDataSource(code:\"s2\", name:\"x\", url:\"sqlite::memory:\", sourceSystem:\"no-such-system\"){ id } }",
            json!({})
        )
        .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(
            Some(&admin),
            create,
            json!({"c": "enforce", "n": "x", "u": "sqlite::memory:"})
        )
        .await,
        "duplicate"
    );
    let url = source_db(&app).await;
    let demo = app
        .ok(&admin, create, json!({"c": "demo", "n": "演示库", "u": url}))
        .await["createDataSource"]
        .clone();
    let test = "mutation($id:ID!){ testDataSource(id:$id){ ok latencyMs error } }";
    let ok = app.ok(&op, test, json!({"id": demo["id"]})).await["testDataSource"].clone();
    assert_eq!(ok["ok"], true);
    assert!(ok["latencyMs"].as_i64().is_some());
    let down = app.ok(&op, test, json!({"id": mysql["id"]})).await["testDataSource"].clone();
    assert_eq!(down["ok"], false);
    assert!(down["error"].as_str().unwrap().contains("不可达"), "{down}");
    let list = app.ok(&op, "{ dataSources { code url checkOk } }", json!({})).await;
    let by_code = |c: &str| {
        list["dataSources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == c)
            .unwrap()["checkOk"]
            .clone()
    };
    assert_eq!((by_code("demo"), by_code("enforce")), (json!(true), json!(false)));
    assert!(!list.to_string().contains("S3cret"));
    app.stop().await;
}

#[tokio::test]
async fn drift_against_a_real_table_opens_one_ticket_and_can_be_adopted() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let air = app.department("AIR", "大气环境处", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, Some(&air)).await;
    let url = source_db(&app).await;
    app.ok(
        &admin,
        "mutation($u:String!){ createDataSource(code:\"demo\", name:\"演示库\", url:$u){ id } }",
        json!({"u": url}),
    )
    .await;
    let r = app
        .ok(
            &mgr,
            "mutation($i:CatalogResourceInput!){ createCatalogResource(input:$i){ id version } }",
            json!({"i": resource()}),
        )
        .await["createCatalogResource"]
        .clone();
    let check = "mutation($id:ID!){ checkSchemaDrift(resourceId:$id){ table clean summary changes } }";
    let d = app.ok(&mgr, check, json!({"id": r["id"]})).await["checkSchemaDrift"].clone();
    assert_eq!(d[0]["clean"], true, "{d}");

    // The source system changes its table.
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared("ALTER TABLE air_station_hourly ADD COLUMN no2 INTEGER")
        .await
        .unwrap();
    db.execute_unprepared("ALTER TABLE air_station_hourly DROP COLUMN so2")
        .await
        .unwrap();
    db.close().await.unwrap();
    let d = app.ok(&mgr, check, json!({"id": r["id"]})).await["checkSchemaDrift"].clone();
    assert_eq!(d[0]["clean"], false);
    let kinds: Vec<&str> = d[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"added") && kinds.contains(&"removed"), "{kinds:?}");
    app.ok(&mgr, check, json!({"id": r["id"]})).await;
    let tickets = app.ok(&mgr, "{ tickets(filter: {kinds: [METADATA_DRIFT]}) { edges { node { title recurrenceCount occurrences { detail } } } } }", json!({})).await;
    let edges = tickets["tickets"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "one ticket per drifting table");
    assert_eq!(edges[0]["node"]["recurrenceCount"], 2);
    assert_eq!(
        edges[0]["node"]["occurrences"][0]["detail"]["table"],
        "demo.air_station_hourly"
    );

    // Adopting makes the catalog match: a new version, and no drift left.
    let a = app.ok(&mgr, "mutation($id:ID!){ adoptSchemaDrift(resourceId:$id, table:\"demo.air_station_hourly\"){ version fields { name } } }", json!({"id": r["id"]})).await["adoptSchemaDrift"].clone();
    assert_eq!(a["version"], 2);
    let names: Vec<&str> = a["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["station_code", "observed_at", "pm25", "no2"]);
    let d = app.ok(&mgr, check, json!({"id": r["id"]})).await["checkSchemaDrift"].clone();
    assert_eq!(d[0]["clean"], true, "{d}");
    app.stop().await;
}
