//! Login, lockouts, idle timeout, logout, password policy and separation of duties.

use ecogov_domain::role::Role;
use serde_json::json;

use crate::{Options, PASSWORD, TestApp};

const LOGIN: &str = "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }";

#[tokio::test]
async fn account_locks_after_repeated_failures_until_unlocked() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    app.user("op", Role::Operator, None).await;
    let (_, sec) = app.user("sec", Role::SecurityAdmin, None).await;
    for _ in 0..4 {
        assert_eq!(
            app.err(None, LOGIN, json!({"u": "op", "p": "wrong-Pass-1"})).await,
            "invalid_credentials"
        );
    }
    assert_eq!(
        app.err(None, LOGIN, json!({"u": "op", "p": "wrong-Pass-1"})).await,
        "account_locked"
    );
    // Even the right password is refused while locked.
    let r = app.gql(None, LOGIN, json!({"u": "op", "p": PASSWORD})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "account_locked");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("锁定"));
    let users = app
        .ok(
            &sec,
            "{ users(search: \"op\") { edges { node { id username lockedUntil } } } }",
            json!({}),
        )
        .await;
    let id = users["users"]["edges"][0]["node"]["id"].clone();
    assert!(users["users"]["edges"][0]["node"]["lockedUntil"].is_string());
    app.ok(
        &sec,
        "mutation($id:ID!){ unlockUser(userId:$id){ lockedUntil } }",
        json!({"id": id}),
    )
    .await;
    app.login("op", PASSWORD).await;
    // The lock also expires by itself.
    for _ in 0..5 {
        app.gql(None, LOGIN, json!({"u": "op", "p": "wrong-Pass-1"})).await;
    }
    app.clock.advance(chrono::Duration::minutes(31));
    app.login("op", PASSWORD).await;
    app.stop().await;
}

#[tokio::test]
async fn a_client_address_locks_after_many_failures_across_accounts() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    app.user("op", Role::Operator, None).await;
    for i in 0..20 {
        let code = app.err(None, LOGIN, json!({"u": format!("nobody{i}"), "p": "x"})).await;
        assert_eq!(code, "invalid_credentials");
    }
    assert_eq!(
        app.err(None, LOGIN, json!({"u": "op", "p": PASSWORD})).await,
        "address_locked"
    );
    app.clock.advance(chrono::Duration::minutes(31));
    app.login("op", PASSWORD).await;
    app.stop().await;
}

#[tokio::test]
async fn idle_sessions_expire_and_logout_revokes() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        idle_timeout_minutes: 30,
        ..Default::default()
    })
    .await;
    let (_, op) = app.user("op", Role::Operator, None).await;
    app.ok(&op, "{ me { username role } }", json!({})).await;
    app.clock.advance(chrono::Duration::minutes(20));
    app.ok(&op, "{ me { username } }", json!({})).await; // activity keeps it alive
    app.clock.advance(chrono::Duration::minutes(20));
    app.ok(&op, "{ me { username } }", json!({})).await;
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(
        app.err(Some(&op), "{ me { username } }", json!({})).await,
        "session_expired"
    );
    let fresh = app.login("op", PASSWORD).await;
    app.ok(&fresh, "mutation { logout }", json!({})).await;
    assert_eq!(
        app.err(Some(&fresh), "{ me { username } }", json!({})).await,
        "session_expired"
    );
    assert_eq!(app.err(None, "{ me { username } }", json!({})).await, "unauthenticated");
    assert_eq!(
        app.err(Some("forged.token"), "{ me { username } }", json!({})).await,
        "session_expired"
    );
    app.stop().await;
}

#[tokio::test]
async fn passwords_must_be_complex() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let q = "mutation($p:String!){ createUser(input:{username:\"newop\", displayName:\"新运维\", role: OPERATOR, password:$p}){ id } }";
    for weak in ["short1A!", "alllowercaseletters", "Newop-2026-long"] {
        assert_eq!(
            app.err(Some(&admin), q, json!({"p": weak})).await,
            "weak_password",
            "{weak}"
        );
    }
    app.ok(&admin, q, json!({"p": "Wuhan-Eco-2026"})).await;
    assert_eq!(
        app.err(Some(&admin), q, json!({"p": "Wuhan-Eco-2026"})).await,
        "duplicate"
    );
    let (_, op) = app.user("op", Role::Operator, None).await;
    assert_eq!(
        app.err(
            Some(&op),
            "mutation { changePassword(oldPassword: \"bad\", newPassword: \"Wuhan-Eco-2027\") }",
            json!({})
        )
        .await,
        "invalid_credentials"
    );
    app.ok(
        &op,
        &format!("mutation {{ changePassword(oldPassword: \"{PASSWORD}\", newPassword: \"Wuhan-Eco-2027\") }}"),
        json!({}),
    )
    .await;
    app.login("op", "Wuhan-Eco-2027").await;
    app.stop().await;
}

#[tokio::test]
async fn three_administrators_are_separated() {
    let app = TestApp::spawn_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    let (_, sec) = app.user("sec", Role::SecurityAdmin, None).await;
    let (_, aud) = app.user("aud", Role::Auditor, None).await;
    let (op_id, _) = app.user("op", Role::Operator, None).await;
    let create = |role: &str| {
        format!(
            "mutation {{ createUser(input:{{username:\"u{}\", displayName:\"x\", role: {role}, password:\"Wuhan-Eco-2026\"}}){{ id }} }}",
            role.to_lowercase()
        )
    };
    // The system administrator cannot grant privileged roles...
    for role in ["AUDITOR", "SECURITY_ADMIN", "ADMIN"] {
        assert_eq!(
            app.err(Some(&admin), &create(role), json!({})).await,
            "forbidden",
            "{role}"
        );
    }
    assert_eq!(
        app.err(
            Some(&admin),
            "mutation($id:ID!){ setUserRole(userId:$id, role: AUDITOR){ role } }",
            json!({"id": op_id})
        )
        .await,
        "forbidden"
    );
    // ...nor read the audit trail.
    assert_eq!(
        app.err(Some(&admin), "{ auditVerify { intact } }", json!({})).await,
        "forbidden"
    );
    // The security administrator grants roles but cannot read the audit trail or edit the calendar.
    app.ok(&sec, &create("AUDITOR"), json!({})).await;
    assert_eq!(
        app.err(Some(&sec), "{ auditEvents { edges { node { seq } } } }", json!({}))
            .await,
        "forbidden"
    );
    assert_eq!(
        app.err(
            Some(&sec),
            "mutation { setBusinessHours(periods: [{start: \"08:00\", end: \"17:00\"}], mode: \"office\") }",
            json!({})
        )
        .await,
        "forbidden"
    );
    // The audit administrator reads the trail but changes no permissions.
    let v = app.ok(&aud, "{ auditVerify { intact checked } }", json!({})).await;
    assert_eq!(v["auditVerify"]["intact"], true);
    assert_eq!(
        app.err(
            Some(&aud),
            "mutation($id:ID!){ setUserRole(userId:$id, role: MANAGER){ role } }",
            json!({"id": op_id})
        )
        .await,
        "forbidden"
    );
    assert_eq!(app.err(Some(&aud), &create("OPERATOR"), json!({})).await, "forbidden");
    // No mutation can alter or erase audit events.
    let sdl = ecogov_graphql_sdl();
    let mutation_block = sdl
        .split("type MutationRoot")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    let audit_mutations: Vec<&str> = mutation_block
        .lines()
        .filter(|l| l.contains(':') && l.to_lowercase().contains("audit"))
        .collect();
    assert_eq!(audit_mutations.len(), 1, "{audit_mutations:?}");
    assert!(audit_mutations[0].contains("recordAuditCheckpoint"));
    app.stop().await;
}

fn ecogov_graphql_sdl() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../graphql/schema.graphql")).unwrap()
}
