//! The demo data `ecogov serve` seeds on the embedded default: users, tickets, and a source
//! database of Wuhan-like datasets, catalogued and published, with planted defects.

use ecogov_tests::{Options, TestApp};
use serde_json::json;

#[tokio::test]
async fn demo_seeds_a_catalogued_source_database_with_findable_defects() {
    let app = TestApp::spawn_with(Options {
        demo: true,
        workers: false,
        ..Default::default()
    })
    .await;
    let mgr = app.login("zhangwei", "Demo-Wuhan-2026").await;

    let list = app
        .ok(
            &mgr,
            "{ catalogResources(first: 50) { edges { node { id code status } } } }",
            json!({}),
        )
        .await;
    let nodes: Vec<_> = list["catalogResources"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let mut codes: Vec<&str> = nodes.iter().map(|n| n["code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "WH-AIR-HOURLY",
            "WH-DISCHARGE-PERMIT",
            "WH-ENFORCEMENT-CASE",
            "WH-ENTERPRISE",
            "WH-MET-HOURLY",
            "WH-WATER-MONTHLY"
        ]
    );
    assert!(nodes.iter().all(|n| n["status"] == "published"), "{nodes:?}");

    // The source is registered and reachable.
    let admin = app.admin().await;
    let sources = app.ok(&admin, "{ dataSources { id code } }", json!({})).await;
    let ds = sources["dataSources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "wuhan-demo")
        .cloned()
        .unwrap();
    let op = app.login("wangfang", "Demo-Wuhan-2026").await;
    let t = app
        .ok(
            &op,
            "mutation($id:ID!){ testDataSource(id:$id){ ok } }",
            json!({"id": ds["id"]}),
        )
        .await;
    assert_eq!(t["testDataSource"]["ok"], true);

    // The planted catalog/table mismatch (pm25 nullable in the table, required in the
    // catalog) is the only drift, and the other resources match their tables exactly.
    let check = "mutation($id:ID!){ checkSchemaDrift(resourceId:$id){ clean changes } }";
    for n in &nodes {
        let d = app.ok(&mgr, check, json!({"id": n["id"]})).await["checkSchemaDrift"].clone();
        if n["code"] == "WH-AIR-HOURLY" {
            assert_eq!(d[0]["clean"], false, "{d}");
            assert_eq!(
                d[0]["changes"],
                json!([{"kind": "nullability_changed", "column": "pm25", "catalog": false, "actual": true}]),
                "{d}"
            );
        } else {
            assert_eq!(d[0]["clean"], true, "{}: {d}", n["code"]);
        }
    }

    // Demo tickets exist, in several states.
    let tickets = app
        .ok(&mgr, "{ tickets { edges { node { state } } } }", json!({}))
        .await;
    let states: Vec<&str> = tickets["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["state"].as_str().unwrap())
        .collect();
    assert!(
        states.len() >= 4 && states.contains(&"RECTIFYING") && states.contains(&"NEW"),
        "{states:?}"
    );
}
