//! The message queue end to end: real relays, real WebSockets, simulated
//! hosts; every scenario on SQLite and on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod credits;
mod delivery;
mod durability;
mod hosting;
mod isolation;

use serde_json::Value;
use uuid::Uuid;

use common::TestRelay;

pub(crate) use common::{send_text, team};

/// The id of a message body.
pub(crate) fn id_of(message: &Value) -> Uuid {
    message["id"]
        .as_str()
        .expect("message id")
        .parse()
        .expect("uuid")
}

/// `available` and `reserved` of a profile.
pub(crate) async fn balance(relay: &TestRelay, token: &str, org: Option<&str>) -> (i64, i64) {
    let path = match org {
        Some(org) => format!("/api/v1/credits?organization_id={org}"),
        None => "/api/v1/credits".to_owned(),
    };
    let (status, body) = relay.get(&path, token).await;
    assert_eq!(status, 200, "{body}");
    (
        body["available"].as_i64().expect("available"),
        body["reserved"].as_i64().expect("reserved"),
    )
}

/// Uploads bytes as a file of an organization; returns status and body.
pub(crate) async fn upload(
    relay: &TestRelay,
    token: &str,
    org: &str,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    common::upload_named(relay, token, org, "x", bytes).await
}
