//! Failed sign-ins slow down the guesser's address, never lock the owner
//! out; behind a trusted proxy each client is told apart by
//! `X-Forwarded-For`, which nobody else may set.

use std::time::Duration;

use chorus_relay::rate_limit::{BackoffPolicy, Limit};
use chorus_relay::Settings;
use serde_json::json;

use crate::common::{error_code, Backend, TestRelay, PASSWORD};
use crate::on_every_backend;

on_every_backend!(
    guesses_from_many_addresses_do_not_lock_the_owner_out,
    forwarded_addresses_count_only_from_trusted_proxies
);

async fn sign_in_from(relay: &TestRelay, forwarded_for: &str, email: &str, password: &str) -> u16 {
    relay
        .http
        .post(relay.url("/api/v1/auth/signin"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn guesses_from_many_addresses_do_not_lock_the_owner_out(backend: Backend) {
    let settings = Settings {
        trusted_proxies: vec!["127.0.0.1/32".parse().expect("net")],
        // Waits long enough that none runs out during the test.
        sign_in_backoff: BackoffPolicy {
            free: 3,
            first: Duration::from_secs(120),
            ceiling: Duration::from_secs(900),
        },
        ..Settings::default()
    };
    let relay = TestRelay::start_with(backend, settings).await;
    relay.sign_up("owner@example.com").await;
    for n in 1..=5 {
        let address = format!("203.0.113.{n}");
        for _ in 0..5 {
            let status = sign_in_from(&relay, &address, "owner@example.com", "a wrong guess").await;
            assert!(status == 401 || status == 429, "{status}");
        }
    }
    assert_eq!(
        sign_in_from(&relay, "198.51.100.9", "owner@example.com", PASSWORD).await,
        200,
        "the owner signs in from their own address"
    );
    // The guessing address waits, even with the right password.
    assert_eq!(
        sign_in_from(&relay, "203.0.113.1", "owner@example.com", PASSWORD).await,
        429
    );
}

async fn forwarded_addresses_count_only_from_trusted_proxies(backend: Backend) {
    let limit = Limit {
        max: 3,
        window: Duration::from_secs(60),
    };
    // Not behind a trusted proxy: the header is the client's own claim.
    let direct = TestRelay::start_with(
        backend,
        Settings {
            attempts_per_address: limit,
            ..Settings::default()
        },
    )
    .await;
    for n in 1..=3 {
        let status = sign_in_from(
            &direct,
            &format!("203.0.113.{n}"),
            "x@example.com",
            "guess guess",
        )
        .await;
        assert_eq!(status, 401);
    }
    let response = direct
        .http
        .post(direct.url("/api/v1/auth/signin"))
        .header("x-forwarded-for", "203.0.113.99")
        .json(&json!({"email": "x@example.com", "password": "guess guess"}))
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.status(),
        429,
        "a spoofed header bought no new attempts"
    );
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "rate_limited");

    // Behind a trusted proxy, each client has its own allowance.
    let proxied = TestRelay::start_with(
        backend,
        Settings {
            attempts_per_address: limit,
            trusted_proxies: vec!["127.0.0.0/8".parse().expect("net")],
            ..Settings::default()
        },
    )
    .await;
    for n in 1..=6 {
        let status = sign_in_from(
            &proxied,
            &format!("203.0.113.{n}"),
            "x@example.com",
            "guess guess",
        )
        .await;
        assert_eq!(status, 401, "client {n} has its own allowance");
    }
}
