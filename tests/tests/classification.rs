//! The classification scheme as editable data, and the configurable general-data sub-levels.

use ecogov_domain::role::Role;
use serde_json::json;

use crate::TestApp;

const UPSERT: &str = "mutation($p:String!, $n:String!){ upsertClassification(path:$p, name:$n){ path parentPath level name active builtin } }";
const DEACTIVATE: &str = "mutation($p:String!){ deactivateClassification(path:$p){ path active } }";
const CREATE: &str = "mutation($i:CatalogResourceInput!){ createCatalogResource(input:$i){ id classification } }";

fn resource(code: &str, classification: &[&str], sub_level: i32) -> serde_json::Value {
    json!({
        "code": code, "name": "声环境功能区监测", "classification": classification, "providerDepartment": "AIR",
        "shareType": "无条件共享", "openType": "不予开放", "updateCycle": "每日",
        "fields": [{"name": "leq", "cnName": "等效声级", "dataType": "decimal", "grade": "general", "subLevel": sub_level}]
    })
}

#[tokio::test]
async fn the_scheme_is_editable_data_that_resources_must_use() {
    let app = TestApp::spawn().await;
    let air = app.department("AIR", "大气环境处", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, Some(&air)).await;
    let (_, op) = app.user("opr", Role::Operator, Some(&air)).await;

    // The seeded eco-environment scheme.
    let all = app
        .ok(&op, "{ classifications { path name level builtin } }", json!({}))
        .await;
    let nodes = all["classifications"].as_array().unwrap();
    assert!(nodes.len() >= 40, "{all}");
    let air_node = nodes.iter().find(|n| n["path"] == "1/02/003").unwrap();
    assert_eq!(air_node["level"], 3);
    assert_eq!(air_node["builtin"], true);

    // A resource must name an existing node.
    assert_eq!(
        app.err(
            Some(&op),
            CREATE,
            json!({"i": resource("NOISE-1", &["1", "06", "002"], 1)})
        )
        .await,
        "invalid_input"
    );
    // Managers extend the scheme; operators may not; a node needs an active parent and a valid code.
    let vars = json!({"p": "1/06/002", "n": "交通噪声监测"});
    assert_eq!(app.err(Some(&op), UPSERT, vars.clone()).await, "forbidden");
    for (p, n) in [("1/07/001", "无上级"), ("1/6/002", "位数错误"), ("1/06/002", " ")] {
        assert_eq!(
            app.err(Some(&mgr), UPSERT, json!({"p": p, "n": n})).await,
            "invalid_input",
            "{p}"
        );
    }
    let node = app.ok(&mgr, UPSERT, vars).await["upsertClassification"].clone();
    assert_eq!(
        node,
        json!({"path": "1/06/002", "parentPath": "1/06", "level": 3, "name": "交通噪声监测", "active": true, "builtin": false})
    );
    let r = app
        .ok(&op, CREATE, json!({"i": resource("NOISE-1", &["1", "06", "002"], 1)}))
        .await["createCatalogResource"]
        .clone();
    assert_eq!(r["classification"], "1/06/002");

    // A node in use, or with active children, cannot be retired.
    assert_eq!(
        app.err(Some(&mgr), DEACTIVATE, json!({"p": "1/06/002"})).await,
        "invalid_input"
    );
    assert_eq!(
        app.err(Some(&mgr), DEACTIVATE, json!({"p": "1/06"})).await,
        "invalid_input"
    );
    let retired = app.ok(&mgr, DEACTIVATE, json!({"p": "1/06/001"})).await["deactivateClassification"].clone();
    assert_eq!(retired["active"], false);
    assert_eq!(
        app.err(
            Some(&op),
            CREATE,
            json!({"i": resource("NOISE-2", &["1", "06", "001"], 1)})
        )
        .await,
        "invalid_input",
        "a retired node classifies nothing new"
    );
    let active = app.ok(&op, "{ classifications { path } }", json!({})).await;
    assert!(!active.to_string().contains("\"1/06/001\""));
    let with_inactive = app
        .ok(
            &op,
            "{ classifications(includeInactive: true) { path active } }",
            json!({}),
        )
        .await;
    assert!(with_inactive.to_string().contains("\"1/06/001\""));

    // Audited.
    let auditor = app.user("aud", Role::Auditor, None).await.1;
    let trail = app
        .ok(
            &auditor,
            "{ auditEvents(subjectType: \"classification\", first: 100) { edges { node { action subjectId } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<String> = trail["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["node"]["action"].as_str().unwrap(),
                e["node"]["subjectId"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        actions,
        ["classification.deactivate:1/06/001", "classification.upsert:1/06/002"],
        "only the successful edits"
    );
    let by_action = app
        .ok(
            &auditor,
            "{ auditEvents(action: \"classification.upsert\") { edges { node { subjectId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        by_action["auditEvents"]["edges"],
        json!([{"node": {"subjectId": "1/06/002"}}])
    );
    app.stop().await;
}

#[tokio::test]
async fn general_sub_levels_are_configurable_but_not_below_a_level_in_use() {
    let app = TestApp::spawn().await;
    let air = app.department("AIR", "大气环境处", false).await;
    let (_, mgr) = app.user("mgr", Role::Manager, Some(&air)).await;
    let (_, op) = app.user("opr", Role::Operator, Some(&air)).await;
    let set = "mutation($n:Int!){ setGeneralSubLevels(subLevels:$n) }";

    assert_eq!(
        app.ok(&op, "{ generalSubLevels }", json!({})).await["generalSubLevels"],
        4
    );
    // Sub-level 5 is refused under the default 4 ...
    assert_eq!(
        app.err(Some(&op), CREATE, json!({"i": resource("N-5", &["1", "06", "001"], 5)}))
            .await,
        "invalid_input"
    );
    // ... and accepted once the bureau configures 6.
    assert_eq!(app.err(Some(&op), set, json!({"n": 6})).await, "forbidden");
    for bad in [0, 10] {
        assert_eq!(app.err(Some(&mgr), set, json!({"n": bad})).await, "invalid_input");
    }
    assert_eq!(app.ok(&mgr, set, json!({"n": 6})).await["setGeneralSubLevels"], 6);
    app.ok(&op, CREATE, json!({"i": resource("N-5", &["1", "06", "001"], 5)}))
        .await;
    // Going back to 4 would orphan the sub-level 5 field: refused, nothing changes.
    assert_eq!(app.err(Some(&mgr), set, json!({"n": 4})).await, "invalid_input");
    assert_eq!(
        app.ok(&op, "{ generalSubLevels }", json!({})).await["generalSubLevels"],
        6
    );
    assert_eq!(app.ok(&mgr, set, json!({"n": 5})).await["setGeneralSubLevels"], 5);
    app.stop().await;
}
