//! What probing the relay as an attacker and a careless client found, each
//! finding with the test that keeps it fixed; every scenario on SQLite and
//! on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod characters;
mod host_reports;
mod revocation;
mod sign_in;
mod storage;

use serde_json::{json, Value};
use uuid::Uuid;

use common::{grant, TestRelay};

/// An organization with an admin, one agent, and credits.
pub(crate) struct Team {
    pub(crate) admin: String,
    pub(crate) agent: String,
    pub(crate) agent_email: String,
    pub(crate) org: String,
    pub(crate) org_id: Uuid,
}

pub(crate) async fn team(relay: &TestRelay, domain: &str, credits: i64) -> Team {
    let admin_email = format!("admin@{domain}");
    let agent_email = format!("agent@{domain}");
    let (admin, org) = relay.organization_admin(&admin_email, domain).await;
    let agent = relay.agent(&agent_email).await;
    relay.join(&admin, &org, &agent_email, &agent).await;
    if credits > 0 {
        grant(relay, Some(&org), None, credits).await;
    }
    Team {
        admin,
        agent,
        agent_email,
        org_id: org.parse().expect("uuid"),
        org,
    }
}

/// The id of the token's user.
pub(crate) async fn user_id(relay: &TestRelay, token: &str) -> Uuid {
    let (status, me) = relay.get("/api/v1/me", token).await;
    assert_eq!(status, 200, "{me}");
    me["id"].as_str().expect("id").parse().expect("uuid")
}

/// `POST /messages` with text through an organization.
pub(crate) async fn send_text(
    relay: &TestRelay,
    token: &str,
    org: &str,
    phone: &str,
    text: &str,
    key: &str,
) -> (u16, Value) {
    relay
        .post(
            "/api/v1/messages",
            token,
            json!({"organization_id": org, "phone": phone, "text": text, "idempotency_key": key}),
        )
        .await
}
