//! Signing up with an invited email is not enough to join: the invite's
//! one-time code is, and guessing it slows down.

use std::time::Duration;

use chorus_relay::rate_limit::BackoffPolicy;
use chorus_relay::Settings;
use serde_json::json;

use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(guessing_an_invite_code_slows_down);

async fn guessing_an_invite_code_slows_down(backend: Backend) {
    let relay = TestRelay::start_with(
        backend,
        Settings {
            sign_in_backoff: BackoffPolicy {
                free: 3,
                first: Duration::from_secs(120),
                ceiling: Duration::from_secs(900),
            },
            ..Settings::default()
        },
    )
    .await;
    let (admin, org) = relay.organization_admin("admin@acme.test", "Acme").await;
    let (status, invite) = relay
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            &admin,
            json!({"email": "ana@acme.test"}),
        )
        .await;
    assert_eq!(status, 201, "{invite}");
    // Whoever signs up with the address first still needs the code.
    let squatter = relay.agent("ana@acme.test").await;
    let accept = format!(
        "/api/v1/invites/{}/accept",
        invite["id"].as_str().expect("id")
    );
    for guess in [
        "AAAA-AAAA-AAA1",
        "AAAA-AAAA-AAA2",
        "AAAA-AAAA-AAA3",
        "AAAA-AAAA-AAA4",
    ] {
        let (status, body) = relay
            .post(&accept, &squatter, json!({"confirm": true, "code": guess}))
            .await;
        assert_eq!((status, error_code(&body)), (422, "invalid_invite_code"));
    }
    let code = invite["code"].as_str().expect("code");
    let (status, body) = relay
        .post(&accept, &squatter, json!({"confirm": true, "code": code}))
        .await;
    assert_eq!((status, error_code(&body)), (429, "rate_limited"), "{body}");
    let (_, mine) = relay.get("/api/v1/orgs", &squatter).await;
    assert_eq!(mine["organizations"], json!([]));
    let (_, members) = relay
        .get(&format!("/api/v1/orgs/{org}/members"), &admin)
        .await;
    assert_eq!(members["members"].as_array().map(Vec::len), Some(1));
}
