//! Campaigns end to end: spreadsheets uploaded to a real relay, campaigns
//! created, started and paced into the queue, a simulated host sending
//! them; every scenario on SQLite and on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod files;
mod sending;
mod settings;

use serde_json::{json, Value};

use common::TestRelay;

pub(crate) use common::{error_code, grant, team};

/// Uploads a spreadsheet to a profile; returns status and body.
pub(crate) async fn upload_sheet(
    relay: &TestRelay,
    token: &str,
    org: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let response = relay
        .http
        .post(relay.url("/api/v1/spreadsheets"))
        .query(&[("organization_id", org), ("name", name)])
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

/// Sets an organization's pacing with no gaps and roomy caps, so tests do
/// not wait.
pub(crate) async fn no_gaps(relay: &TestRelay, admin: &str, org: &str, hourly_cap: i64) {
    let (status, body) = relay
        .patch(
            &format!("/api/v1/orgs/{org}"),
            admin,
            json!({"pacing": {"min_gap_seconds": 0, "max_gap_seconds": 0, "burst_size": 40,
                              "burst_pause_seconds": 0, "hourly_cap": hourly_cap, "daily_cap": 10000}}),
        )
        .await;
    assert_eq!(status, 200, "pacing: {body}");
}

/// Creates a campaign from an uploaded sheet; returns status and body.
pub(crate) async fn create_from_sheet(
    relay: &TestRelay,
    token: &str,
    org: &str,
    name: &str,
    spreadsheet: &str,
    text: &str,
) -> (u16, Value) {
    relay
        .post(
            "/api/v1/campaigns",
            token,
            json!({"organization_id": org, "name": name, "text": text,
                   "recipients": {"spreadsheet": {"spreadsheet_id": spreadsheet, "sheet": "CSV",
                                                  "phone_column": "Phone", "name_column": "Name"}}}),
        )
        .await
}
