//! The whole role x operation matrix through the API. The expected matrix is written out
//! here independently of the domain's table, and both are compared.

use ecogov_domain::role::{Operation, Role, allowed};
use serde_json::json;

use crate::{Options, TestApp};

/// Expected: which roles may perform each operation (A=admin, S=security_admin, M=manager,
/// O=operator, U=auditor, D=department).
const MATRIX: &[(Operation, &str)] = &[
    (Operation::ViewTickets, "MOUD"),
    (Operation::CreateTicket, "MOD"),
    (Operation::Comment, "MOD"),
    (Operation::UploadEvidence, "MOD"),
    (Operation::ManageWatchers, "M"),
    (Operation::ViewDirectory, "ASMOU"),
    (Operation::ManageUsers, "A"),
    (Operation::ManageSecurity, "S"),
    (Operation::ManageDepartments, "A"),
    (Operation::ManageCalendar, "A"),
    (Operation::ManageSlaPolicies, "A"),
    (Operation::ManageJobs, "A"),
    (Operation::ViewAudit, "U"),
    (Operation::ViewCatalog, "MOUD"),
    (Operation::ManageCatalog, "MO"),
    (Operation::ApproveCatalog, "M"),
    (Operation::ManageDataSources, "A"),
    (Operation::UseDataSources, "AMO"),
    (Operation::ViewQuality, "AMOU"),
    (Operation::ManageQualityRules, "M"),
    (Operation::ManageCustomSql, "A"),
    (Operation::RunQuality, "MO"),
    (Operation::ViewEnterprises, "AMOU"),
    (Operation::ManageEnterpriseSources, "A"),
    (Operation::ImportEnterpriseData, "MO"),
];

fn letter(r: Role) -> char {
    match r {
        Role::Admin => 'A',
        Role::SecurityAdmin => 'S',
        Role::Manager => 'M',
        Role::Operator => 'O',
        Role::Auditor => 'U',
        Role::Department => 'D',
    }
}

#[test]
fn the_domain_table_matches_the_expected_matrix() {
    assert_eq!(MATRIX.len(), Operation::ALL.len());
    for (op, roles) in MATRIX {
        for r in Role::ALL {
            assert_eq!(allowed(r, *op), roles.contains(letter(r)), "{op:?} {r}");
        }
    }
}

#[tokio::test]
async fn every_role_against_every_operation_through_the_api() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let dept = app.department("EXT", "市城市运行管理中心", true).await;
    let mut tokens = Vec::new();
    let mut target_user = String::new();
    for r in Role::ALL {
        let name = format!("r{}", r.as_str().replace('_', ""));
        let (id, tok) = app.user(&name, r, Some(&dept)).await;
        if r == Role::Operator {
            target_user = id;
        }
        tokens.push((r, tok));
    }
    // A data request of the external department: visible to everyone who may view tickets.
    let dept_token = &tokens.iter().find(|(r, _)| *r == Role::Department).unwrap().1;
    let ticket = app
        .ok(
            dept_token,
            "mutation { createTicket(input:{kind: DATA_REQUEST, title: \"申请数据\", severity: LOW}) { id } }",
            json!({}),
        )
        .await["createTicket"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A catalog resource under review, submitted by the operator (so the manager may approve).
    let op_token = &tokens.iter().find(|(r, _)| *r == Role::Operator).unwrap().1;
    let cat = app.ok(op_token, "mutation { createCatalogResource(input:{code:\"R-0\", name:\"资源\", classification:[\"1\"], providerDepartment:\"EXT\", shareType:\"无条件共享\", openType:\"不予开放\", updateCycle:\"每日\", fields:[{name:\"station_code\", cnName:\"站点编码\", dataType:\"string\", grade:\"general\", subLevel:1}]}) { id } }", json!({})).await["createCatalogResource"]["id"].as_str().unwrap().to_owned();
    app.ok(
        op_token,
        "mutation($id:ID!){ catalogTransition(id:$id, event: SUBMIT, expectedVersion: 1) { status } }",
        json!({"id": cat}),
    )
    .await;

    for (i, (role, tok)) in tokens.iter().enumerate() {
        for (op, _) in MATRIX {
            let (query, vars) = match op {
                Operation::ViewTickets => ("{ tickets { edges { node { id } } } }".to_owned(), json!({})),
                Operation::CreateTicket => ("mutation { createTicket(input:{kind: DATA_REQUEST, title: \"t\", severity: LOW}) { id } }".to_owned(), json!({})),
                Operation::Comment => ("mutation($t:ID!){ addComment(ticketId:$t, body:\"收到\") { id } }".to_owned(), json!({"t": ticket})),
                Operation::UploadEvidence => ("mutation($t:ID!){ uploadEvidence(input:{ticketId:$t, fileName:\"a.txt\", contentBase64:\"aGk=\"}) { id } }".to_owned(), json!({"t": ticket})),
                Operation::ManageWatchers => ("mutation($t:ID!,$u:ID!){ setWatcher(ticketId:$t, userId:$u, watching:true) }".to_owned(), json!({"t": ticket, "u": target_user})),
                Operation::ViewDirectory => ("{ users { edges { node { id } } } }".to_owned(), json!({})),
                Operation::ManageUsers => (format!("mutation {{ createUser(input:{{username:\"new{i}\", displayName:\"x\", role: OPERATOR, password:\"Wuhan-Eco-2026\"}}) {{ id }} }}"), json!({})),
                Operation::ManageSecurity => ("mutation($u:ID!){ unlockUser(userId:$u) { id } }".to_owned(), json!({"u": target_user})),
                Operation::ManageDepartments => (format!("mutation {{ createDepartment(input:{{code:\"D{i}\", name:\"科室{i}\"}}) {{ id }} }}"), json!({})),
                Operation::ManageCalendar => ("mutation { setCalendarDays(days:[{date:\"2027-01-01\", working:false, name:\"元旦\"}]) }".to_owned(), json!({})),
                Operation::ManageSlaPolicies => ("mutation { setSlaPolicy(input:{kind: DATA_REQUEST, feedbackMinutes: 420, resolutionMinutes: 2100}) { kind } }".to_owned(), json!({})),
                Operation::ManageJobs => ("{ notifications { edges { node { id } } } }".to_owned(), json!({})),
                Operation::ViewAudit => ("{ auditEvents(first: 1) { edges { node { seq } } } }".to_owned(), json!({})),
                Operation::ViewCatalog => ("{ catalogResources { edges { node { code } } } }".to_owned(), json!({})),
                Operation::ManageCatalog => (format!("mutation {{ createCatalogResource(input:{{code:\"R-{i}\", name:\"资源\", classification:[\"1\"], providerDepartment:\"EXT\", shareType:\"无条件共享\", openType:\"不予开放\", updateCycle:\"每日\"}}) {{ id }} }}"), json!({})),
                Operation::ManageDataSources => (format!("mutation {{ createDataSource(code:\"ds{i}\", name:\"库\", url:\"sqlite::memory:\") {{ id }} }}"), json!({})),
                Operation::UseDataSources => ("{ dataSources { code } }".to_owned(), json!({})),
                Operation::ViewQuality => ("query($r:ID!){ qualityRules(resourceId:$r) { id } }".to_owned(), json!({"r": cat})),
                Operation::ManageQualityRules => (format!("mutation($r:ID!){{ createQualityRule(input:{{resourceId:$r, code:\"q{i}\", severity: LOW, check:{{kind:\"completeness\", column:\"station_code\"}}}}) {{ id }} }}"), json!({"r": cat})),
                Operation::ManageCustomSql => (format!("mutation($r:ID!){{ createQualityRule(input:{{resourceId:$r, code:\"s{i}\", severity: LOW, check:{{kind:\"custom_sql\", sql:\"SELECT 1 AS x WHERE 1 = 0\"}}}}) {{ id }} }}"), json!({"r": cat})),
                Operation::RunQuality => ("mutation($r:ID!){ runQualityInspection(resourceId:$r) { id status } }".to_owned(), json!({"r": cat})),
                Operation::ViewEnterprises => ("{ enterprises { edges { node { creditCode } } } }".to_owned(), json!({})),
                Operation::ManageEnterpriseSources => ("mutation { setEnterprisePrecedence(field: NAME, sources: [PERMIT, EIA_APPROVAL]) { version } }".to_owned(), json!({})),
                Operation::ImportEnterpriseData => ("mutation { mergeEnterprises { merged } }".to_owned(), json!({})),
                Operation::ApproveCatalog => ("mutation($id:ID!){ catalogTransition(id:$id, event: APPROVE, expectedVersion: 2) { status } }".to_owned(), json!({"id": cat})),
            };
            let r = app.gql(Some(tok), &query, vars).await;
            let code = r["errors"][0]["extensions"]["code"].as_str();
            if allowed(*role, *op) {
                assert!(code.is_none(), "{role} should be allowed {op:?}: {r}");
            } else {
                assert_eq!(code, Some("forbidden"), "{role} should be forbidden {op:?}: {r}");
            }
        }
    }
    app.stop().await;
}
