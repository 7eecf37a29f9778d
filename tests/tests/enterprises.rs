//! One file per enterprise (一企一档): generated source data with planted defects (conflicting
//! names, addresses, legal representatives, industries and coordinates, suspect and malformed
//! credit codes) where every defect is found and nothing else is flagged; re-import is a no-op;
//! the merge is incremental; precedence changes the merged value and is audited; the whole file;
//! a page of enterprises in a constant number of statements.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use ecogov_domain::ident::CreditCode;
use ecogov_domain::role::Role;
use serde_json::{Value, json};

use crate::{Options, TestApp};

const IMPORT: &str = "mutation($s:EnterpriseSource!,$r:[EnterpriseRecordInput!]!){ importEnterpriseRecords(source:$s, records:$r){ applied received created updated unchanged dirty suspectCodes problems { row field message } } }";
const MERGE: &str = "mutation($f:Boolean){ mergeEnterprises(full:$f){ merged changed conflictsOpened conflictsResolved ticketsReported } }";

/// A valid credit code for enterprise `i` (check character computed per GB 32100-2015).
fn code(i: usize) -> String {
    let first17 = format!("91420100MA{i:07}");
    let check = CreditCode::expected_check(&first17).unwrap();
    format!("{first17}{check}")
}

/// The same code with a wrong check character: kept, flagged suspect.
fn suspect(i: usize) -> String {
    let good = code(i);
    let check = good.chars().last().unwrap();
    let wrong = if check == '0' { '1' } else { '0' };
    format!("{}{wrong}", &good[..17])
}

/// Which planted defect enterprise `i` carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Defect {
    None,
    Name,
    Address,
    LegalRep,
    Industry,
    Coordinates,
    /// Coordinates 100 m apart: within the tolerance, not a conflict.
    NearCoordinates,
    /// The same name written with full-width brackets and spaces: not a conflict.
    NameWidth,
    SuspectCode,
}

fn defect(i: usize) -> Defect {
    match i {
        3 => Defect::Name,
        7 => Defect::Address,
        11 => Defect::LegalRep,
        13 => Defect::Coordinates,
        17 => Defect::Industry,
        19 => Defect::NearCoordinates,
        21 => Defect::NameWidth,
        5 | 23 => Defect::SuspectCode,
        _ => Defect::None,
    }
}

fn code_of(i: usize) -> String {
    if defect(i) == Defect::SuspectCode {
        suspect(i)
    } else {
        code(i)
    }
}

fn name(i: usize) -> String {
    format!("武汉市江城{i}号化工(集团)有限公司")
}

fn lon(i: usize) -> f64 {
    114.2 + i as f64 * 0.01
}

const LAT: f64 = 30.55;

/// The rows of `source` for enterprises `0..n`, with the planted defects.
fn rows(source: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let c = code_of(i);
            let d = defect(i);
            match source {
                "PERMIT" => json!({
                    "creditCode": c, "name": name(i), "address": format!("武汉市青山区工人村路{i}号"),
                    "legalRepresentative": format!("张{i}"), "industry": "C2614", "longitude": lon(i), "latitude": LAT,
                    "permitNumber": format!("{c}001P"), "managementCategory": if i % 2 == 0 { "重点管理" } else { "简化管理" },
                    "validFrom": "2024-01-01", "validTo": "2028-12-31",
                    "outlets": [{"code": "DA001", "name": "锅炉废气排放口"}, {"code": "DW001", "name": "废水总排口"}],
                }),
                "EIA_APPROVAL" => json!({
                    "creditCode": c,
                    "name": match d {
                        Defect::Name => format!("武汉市江城{i}号化工有限责任公司"),
                        Defect::NameWidth => format!(" 武汉市江城{i}号化工（集团）有限公司 "),
                        _ => name(i),
                    },
                    "industry": if d == Defect::Industry { "C2619" } else { "C2614" },
                    "longitude": lon(i), "latitude": LAT,
                    "approvalNumber": format!("武环审〔2023〕{i}号"), "approvedOn": "2023-06-01",
                    "projectName": "扩建项目", "authority": "武汉市生态环境局",
                }),
                "MONITORING_POINT" => json!({
                    "creditCode": c, "name": name(i),
                    "longitude": match d {
                        Defect::Coordinates => lon(i) + 0.02,
                        Defect::NearCoordinates => lon(i) + 0.001,
                        _ => lon(i),
                    },
                    "latitude": LAT,
                    "pointCode": format!("MN{i:06}"), "outletCode": "DA001", "pollutants": ["a21026", "a21002"],
                }),
                "ENFORCEMENT" => json!({
                    "creditCode": c, "name": name(i),
                    "legalRepresentative": if d == Defect::LegalRep { "李四".to_owned() } else { format!("张{i}") },
                    "caseNumber": format!("武环罚〔2026〕{i}号"), "caseKind": if i % 3 == 0 { "case" } else { "inspection" },
                    "occurredOn": "2026-10-15", "finding": "废气排放口标识不规范", "penaltyAmount": if i % 3 == 0 { json!(50000.0) } else { Value::Null },
                }),
                _ => json!({
                    "creditCode": c, "name": name(i),
                    "address": if d == Defect::Address { format!("武汉市洪山区珞喻路{i}号") } else { format!("武汉市青山区 工人村路{i}号") },
                    "year": 2025, "emissions": [{"pollutant": "二氧化硫", "tonnes": 12.5}],
                }),
            }
        })
        .collect()
}

const SOURCES: [&str; 5] = [
    "PERMIT",
    "EIA_APPROVAL",
    "MONITORING_POINT",
    "ENFORCEMENT",
    "EMISSION_DECLARATION",
];

async fn import(app: &TestApp, token: &str, source: &str, rows: Vec<Value>) -> Value {
    app.ok(token, IMPORT, json!({"s": source, "r": rows})).await["importEnterpriseRecords"].clone()
}

async fn seed(app: &TestApp, token: &str, n: usize) {
    for s in SOURCES {
        let r = import(app, token, s, rows(s, n)).await;
        assert_eq!(r["applied"], true, "{s}: {r}");
        assert_eq!(r["created"], n, "{s}: {r}");
    }
}

fn codes_of(d: &Value) -> BTreeSet<String> {
    d["enterprises"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["creditCode"].as_str().unwrap().to_owned())
        .collect()
}

async fn ticket_keys(app: &TestApp) -> BTreeSet<String> {
    use ecogov_domain::entity::ticket;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    ticket::Entity::find()
        .filter(ticket::Column::Source.eq("enterprise_merge"))
        .all(&app.core.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            assert_eq!(t.kind, "quality_issue");
            assert_eq!(t.subject_type.as_deref(), Some("enterprise"));
            t.dedup_key.unwrap()
        })
        .collect()
}

#[tokio::test]
async fn every_planted_defect_is_found_and_nothing_else() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (_, op) = app.user("ent_op", Role::Operator, None).await;
    let n = 30;

    // Malformed codes refuse the whole batch, each bad row named; nothing is written.
    let mut bad = rows("PERMIT", n);
    bad[3]["creditCode"] = json!("91420100MA000000");
    bad[8]["creditCode"] = json!("9142010OMA0000081X");
    bad[8]["permitNumber"] = json!("9142010OMA0000081X001P");
    let r = import(&app, &op, "PERMIT", bad).await;
    assert_eq!(r["applied"], false);
    let problems: Vec<(i64, String)> = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["row"].as_i64().unwrap(), p["field"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        problems,
        [
            (4, "creditCode".to_owned()),
            (9, "creditCode".to_owned()),
            (9, "permitNumber".to_owned())
        ],
        "{r}"
    );
    assert!(
        r["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("统一社会信用代码")
    );
    let pending = app.ok(&op, "{ enterprisesPendingMerge }", json!({})).await;
    assert_eq!(pending["enterprisesPendingMerge"], 0);

    // The good data of five sources; suspect codes are kept and named.
    for s in SOURCES {
        let r = import(&app, &op, s, rows(s, n)).await;
        assert_eq!(r["applied"], true, "{s}: {r}");
        assert_eq!(r["created"], n);
        assert_eq!(
            r["suspectCodes"],
            json!([suspect(5), suspect(23)].into_iter().collect::<BTreeSet<_>>())
        );
    }
    let m = app.ok(&op, MERGE, json!({"f": true})).await["mergeEnterprises"].clone();
    assert_eq!(m["merged"], n);
    assert_eq!(m["changed"], n);
    assert_eq!(m["conflictsOpened"], 5, "{m}");
    assert_eq!(m["ticketsReported"], 5);

    // Exactly the planted conflicts, each on its field.
    let q = "query($f:EnterpriseFilterInput){ enterprises(first: 100, filter:$f){ edges { node { creditCode conflicts(status: OPEN) { field candidates { source value } } qualityStatus { level suspectCode openConflicts } } } } }";
    let d = app.ok(&op, q, json!({"f": {"hasConflicts": true}})).await;
    let expected: Vec<(String, &str)> = vec![
        (code(3), "NAME"),
        (code(7), "ADDRESS"),
        (code(11), "LEGAL_REPRESENTATIVE"),
        (code(13), "COORDINATES"),
        (code(17), "INDUSTRY"),
    ];
    let mut found: Vec<(String, String)> = d["enterprises"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            let c = e["node"]["creditCode"].as_str().unwrap().to_owned();
            e["node"]["conflicts"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |x| (c.clone(), x["field"].as_str().unwrap().to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort();
    let mut want: Vec<(String, String)> = expected.iter().map(|(c, f)| (c.clone(), (*f).to_owned())).collect();
    want.sort();
    assert_eq!(found, want);
    // Candidates side by side: the name conflict shows both sources' values.
    let name_conflict = d["enterprises"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["creditCode"] == code(3))
        .unwrap()["node"]["conflicts"][0]["candidates"]
        .clone();
    assert_eq!(
        name_conflict.as_array().unwrap().len(),
        5,
        "every source states a name: {name_conflict}"
    );
    assert_eq!(name_conflict[0]["source"], "PERMIT");
    assert_eq!(name_conflict[1]["value"], "武汉市江城3号化工有限责任公司");

    let d = app.ok(&op, q, json!({"f": {"suspect": true}})).await;
    assert_eq!(codes_of(&d), [suspect(5), suspect(23)].into_iter().collect());
    for e in d["enterprises"]["edges"].as_array().unwrap() {
        assert_eq!(e["node"]["qualityStatus"]["level"], "SUSPECT_CODE");
    }
    let d = app
        .ok(&op, q, json!({"f": {"hasConflicts": false, "suspect": false}}))
        .await;
    assert_eq!(codes_of(&d).len(), n - 5 - 2);
    for e in d["enterprises"]["edges"].as_array().unwrap() {
        assert_eq!(e["node"]["qualityStatus"]["level"], "OK", "{e}");
    }

    // One quality-issue ticket per conflict, deduplicated by enterprise and field.
    let want_keys: BTreeSet<String> = expected
        .iter()
        .map(|(c, f)| format!("enterprise:{c}:{}", f.to_lowercase()))
        .collect();
    assert_eq!(ticket_keys(&app).await, want_keys);

    // Re-import unchanged: nothing written, nothing to merge, no new tickets.
    for s in SOURCES {
        let r = import(&app, &op, s, rows(s, n)).await;
        assert_eq!(
            (r["created"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64()),
            (Some(0), Some(0), Some(n as i64))
        );
        assert_eq!(r["dirty"], 0);
    }
    let m = app.ok(&op, MERGE, json!({})).await["mergeEnterprises"].clone();
    assert_eq!(m["merged"], 0);
    // A full re-merge finds the same conflicts and adds no ticket.
    let m = app.ok(&op, MERGE, json!({"f": true})).await["mergeEnterprises"].clone();
    assert_eq!(
        (
            m["merged"].as_i64(),
            m["changed"].as_i64(),
            m["ticketsReported"].as_i64()
        ),
        (Some(n as i64), Some(0), Some(0))
    );
    assert_eq!(ticket_keys(&app).await.len(), 5);

    // A page of enterprises costs the same number of statements whatever its size.
    let page = "query($n:Int){ enterprises(first:$n){ edges { node { creditCode name identity { field source } permits { permitNumber } outlets { code } conflicts { field } qualityStatus { level } openTickets { id } } } } }";
    let mut cost = Vec::new();
    for size in [3, 25] {
        let mut best = u64::MAX;
        for _ in 0..4 {
            let before = app.db_queries.load(Ordering::SeqCst);
            let d = app.ok(&op, page, json!({"n": size})).await;
            assert_eq!(d["enterprises"]["edges"].as_array().unwrap().len(), size);
            best = best.min(app.db_queries.load(Ordering::SeqCst) - before);
        }
        cost.push(best);
    }
    assert!(cost[1] <= cost[0] + 2, "statements for 3 vs 25 enterprises: {cost:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_changed_source_re_merges_only_its_enterprises_and_resolutions_show() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (_, mgr) = app.user("ent_mgr", Role::Manager, None).await;
    let n = 20;
    seed(&app, &mgr, n).await;
    let m = app.ok(&mgr, MERGE, json!({"f": true})).await["mergeEnterprises"].clone();
    assert_eq!(m["merged"], n);
    assert_eq!(m["conflictsOpened"], 5);

    // The EIA source corrects enterprise 3's name and changes two others' industry.
    let mut eia = rows("EIA_APPROVAL", n);
    eia[3]["name"] = json!(name(3));
    eia[4]["industry"] = json!("C2620");
    eia[6]["industry"] = json!("C2620");
    let r = import(&app, &mgr, "EIA_APPROVAL", eia).await;
    assert_eq!(
        (r["updated"].as_i64(), r["unchanged"].as_i64(), r["dirty"].as_i64()),
        (Some(3), Some(17), Some(3)),
        "{r}"
    );
    let m = app.ok(&mgr, MERGE, json!({})).await["mergeEnterprises"].clone();
    assert_eq!(m["merged"], 3, "only the three changed enterprises: {m}");
    assert_eq!(m["conflictsResolved"], 1);
    assert_eq!(m["conflictsOpened"], 2);
    assert_eq!(m["ticketsReported"], 2);

    // The resolved conflict stays visible with its time; the file is clean again.
    let q = "query($c:String!){ enterprise(creditCode:$c){ name identity { field value source } conflicts { field status resolvedAt candidates { source value } } qualityStatus { level resolvedConflicts openConflicts } fieldHistory(field: NAME) { source value recordKey } } }";
    let d = app.ok(&mgr, q, json!({"c": code(3)})).await["enterprise"].clone();
    assert_eq!(d["conflicts"][0]["status"], "RESOLVED");
    assert!(d["conflicts"][0]["resolvedAt"].is_string());
    assert_eq!(d["qualityStatus"]["level"], "OK");
    assert_eq!(d["qualityStatus"]["resolvedConflicts"], 1);
    // History: every source's first statement of the name, then EIA's correction.
    let history = d["fieldHistory"].as_array().unwrap();
    assert_eq!(history.len(), 6, "{history:?}");
    let eia_said: Vec<&str> = history
        .iter()
        .filter(|h| h["source"] == "EIA_APPROVAL")
        .map(|h| h["value"].as_str().unwrap())
        .collect();
    assert_eq!(eia_said, ["武汉市江城3号化工有限责任公司", name(3).as_str()]);

    let d = app.ok(&mgr, q, json!({"c": code(4)})).await["enterprise"].clone();
    assert_eq!(d["qualityStatus"]["level"], "CONFLICTS");
    assert_eq!(d["conflicts"][0]["field"], "INDUSTRY");
    assert_eq!(d["conflicts"][0]["status"], "OPEN");
    app.stop().await;
}

#[tokio::test]
async fn precedence_changes_the_merged_value_and_is_audited() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let (_, op) = app.user("ent_op2", Role::Operator, None).await;
    let (_, auditor) = app.user("ent_aud", Role::Auditor, None).await;
    seed(&app, &op, 5).await;
    app.ok(&op, MERGE, json!({"f": true})).await;
    let q = "query($c:String!){ enterprise(creditCode:$c){ name identity { field value source recordKey } } }";
    let d = app.ok(&op, q, json!({"c": code(3)})).await["enterprise"].clone();
    assert_eq!(d["name"], name(3));
    assert_eq!(d["identity"][0]["source"], "PERMIT");

    // Refused configurations change nothing.
    let set = "mutation($f:EnterpriseField!,$s:[EnterpriseSource!]!,$t:Float){ setEnterprisePrecedence(field:$f, sources:$s, toleranceMeters:$t){ field sources toleranceMeters version } }";
    assert_eq!(
        app.err(Some(&admin), set, json!({"f": "NAME", "s": ["PERMIT", "PERMIT"]}))
            .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(Some(&admin), set, json!({"f": "NAME", "s": ["PERMIT"], "t": 50.0}))
            .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(
            Some(&admin),
            set,
            json!({"f": "COORDINATES", "s": ["PERMIT"], "t": 0.0})
        )
        .await,
        "invalid_input"
    );
    assert_eq!(
        app.err(Some(&op), set, json!({"f": "NAME", "s": ["EIA_APPROVAL"]}))
            .await,
        "forbidden"
    );

    let r = app
        .ok(&admin, set, json!({"f": "NAME", "s": ["EIA_APPROVAL", "PERMIT"]}))
        .await;
    assert_eq!(r["setEnterprisePrecedence"]["version"], 1);
    let pending = app.ok(&op, "{ enterprisesPendingMerge }", json!({})).await;
    assert_eq!(pending["enterprisesPendingMerge"], 5);
    let m = app.ok(&op, MERGE, json!({})).await["mergeEnterprises"].clone();
    assert_eq!(m["merged"], 5);
    // Only enterprise 3's EIA name differs from its permit's; the others change their winner's source only.
    let d = app.ok(&op, q, json!({"c": code(3)})).await["enterprise"].clone();
    assert_eq!(d["name"], "武汉市江城3号化工有限责任公司");
    assert_eq!(d["identity"][0]["source"], "EIA_APPROVAL");
    assert_eq!(d["identity"][0]["recordKey"], "武环审〔2023〕3号");

    // A tighter coordinate tolerance is kept; these enterprises' points coincide, so no conflict.
    let r = app
        .ok(
            &admin,
            set,
            json!({"f": "COORDINATES", "s": ["MONITORING_POINT"], "t": 50.0}),
        )
        .await;
    assert_eq!(r["setEnterprisePrecedence"]["toleranceMeters"], 50.0);
    let m = app.ok(&op, MERGE, json!({})).await["mergeEnterprises"].clone();
    assert_eq!(m["conflictsOpened"], 0, "{m}");

    let audit = app
        .ok(
            &auditor,
            "{ auditEvents(action: \"enterprise.precedence.set\", first: 10) { edges { node { subjectId before after } } } }",
            json!({}),
        )
        .await;
    let events = audit["auditEvents"]["edges"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{audit}");
    let name_event = events.iter().find(|e| e["node"]["subjectId"] == "name").unwrap();
    assert_eq!(
        name_event["node"]["after"]["sources"],
        json!(["eia_approval", "permit"])
    );
    assert!(name_event["node"]["before"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn the_whole_file_of_one_enterprise() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (_, mgr) = app.user("ent_mgr3", Role::Manager, None).await;
    seed(&app, &mgr, 4).await;
    app.ok(&mgr, MERGE, json!({"f": true})).await;
    let q = "query($c:String!){ enterprise(creditCode:$c){ creditCode suspect name address legalRepresentative industry longitude latitude recordCount
        identity { field label value source } permits { permitNumber managementCategory validFrom validTo outletCodes }
        outlets { code name kind permitNumbers monitoringPoints } monitoringPoints { pointCode outletCode pollutants }
        inspections { caseNumber } enforcementCases { caseNumber kindLabel penaltyAmount } eiaApprovals { approvalNumber approvedOn }
        emissionDeclarations { year emissions { pollutant tonnes } } openTickets { id title } qualityStatus { level problems }
        fieldHistory { field source value } records { source recordKey contentHash } } }";
    let d = app.ok(&mgr, q, json!({"c": code(3)})).await["enterprise"].clone();
    assert_eq!(d["creditCode"], code(3));
    assert_eq!(d["suspect"], false);
    assert_eq!(d["recordCount"], 5);
    assert_eq!(d["address"], "武汉市青山区工人村路3号");
    assert_eq!(d["legalRepresentative"], "张3");
    assert_eq!(d["industry"], "C2614");
    assert_eq!(d["identity"].as_array().unwrap().len(), 5);
    assert_eq!(d["permits"][0]["permitNumber"], format!("{}001P", code(3)));
    assert_eq!(d["permits"][0]["managementCategory"], "简化管理");
    assert_eq!(d["outlets"].as_array().unwrap().len(), 2);
    assert_eq!(d["outlets"][0]["code"], "DA001");
    assert_eq!(d["outlets"][0]["kind"], "废气");
    assert_eq!(d["outlets"][0]["monitoringPoints"], json!(["MN000003"]));
    assert_eq!(d["monitoringPoints"][0]["pollutants"], json!(["a21026", "a21002"]));
    assert_eq!(d["inspections"].as_array().unwrap().len(), 0);
    assert_eq!(d["enforcementCases"][0]["kindLabel"], "行政处罚");
    assert_eq!(d["enforcementCases"][0]["penaltyAmount"], 50000.0);
    assert_eq!(d["eiaApprovals"][0]["approvedOn"], "2023-06-01");
    assert_eq!(d["emissionDeclarations"][0]["emissions"][0]["tonnes"], 12.5);
    assert_eq!(d["records"].as_array().unwrap().len(), 5);
    // Enterprise 3 carries the planted name conflict: its ticket is in the file.
    assert_eq!(d["openTickets"].as_array().unwrap().len(), 1);
    assert!(d["openTickets"][0]["title"].as_str().unwrap().contains("企业名称"));
    assert_eq!(d["qualityStatus"]["level"], "CONFLICTS");
    assert!(!d["fieldHistory"].as_array().unwrap().is_empty());

    // Lookups: a malformed code is refused, an unknown one is not found.
    let one = "query($c:String!){ enterprise(creditCode:$c){ creditCode } }";
    assert_eq!(
        app.err(Some(&mgr), one, json!({"c": "91420100MA0000"})).await,
        "invalid_input"
    );
    assert_eq!(app.err(Some(&mgr), one, json!({"c": code(999)})).await, "not_found");
    let search = app
        .ok(
            &mgr,
            "{ enterprises(filter:{search:\"江城2号\"}){ edges { node { creditCode } } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes_of(&search), [code(2)].into_iter().collect());
    app.stop().await;
}
