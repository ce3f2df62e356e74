//! What probing the relay as an attacker and a careless client found, each
//! finding with the test that keeps it fixed; every scenario on SQLite and
//! on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod characters;
mod host_reports;
mod invites;
mod revocation;
mod sign_in;
mod storage;

use uuid::Uuid;

use common::TestRelay;

pub(crate) use common::{send_text, team, Team};

/// The id of the token's user.
pub(crate) async fn user_id(relay: &TestRelay, token: &str) -> Uuid {
    let (status, me) = relay.get("/api/v1/me", token).await;
    assert_eq!(status, 200, "{me}");
    me["id"].as_str().expect("id").parse().expect("uuid")
}
