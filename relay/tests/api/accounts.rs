//! Sign-up, sign-in, sessions, account type, own number and profiles.

use std::time::Duration;

use chorus_relay::rate_limit::Limit;
use chorus_relay::session::token_hash;
use chorus_relay::Settings;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{error_code, Backend, TestRelay, PASSWORD};
use crate::on_every_backend;

on_every_backend!(
    sign_up_sign_in_and_sign_out,
    sign_up_refuses_bad_input_and_duplicates,
    wrong_password_and_unknown_email_answer_alike,
    failed_sign_ins_slow_down_per_account_and_address,
    attempts_are_limited_per_address,
    expired_and_unknown_tokens_are_refused,
    account_type_is_chosen_once,
    organization_account_creates_its_organization,
    phone_numbers_are_normalised_or_refused,
    profiles_list_you_then_each_organization,
);

async fn sign_in(relay: &TestRelay, email: &str, password: &str) -> (u16, Value) {
    relay
        .call(
            Method::POST,
            "/api/v1/auth/signin",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
}

async fn sign_up_sign_in_and_sign_out(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let first = relay.sign_up("  Ana@Example.COM ").await;

    let (status, me) = relay.get("/api/v1/me", &first).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "ana@example.com");
    assert_eq!(me["account_type"], Value::Null);
    assert_eq!(me["phone"], Value::Null);

    let (status, session) = sign_in(&relay, "ANA@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{session}");
    let second = session["token"].as_str().expect("token").to_owned();
    assert_ne!(first, second);
    assert_eq!(session["user"]["id"], me["id"]);

    let (status, _) = relay
        .call(Method::POST, "/api/v1/auth/signout", Some(&first), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = relay.get("/api/v1/me", &first).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "unauthenticated");
    let (status, _) = relay.get("/api/v1/me", &second).await;
    assert_eq!(status, 200, "signing out ends only that session");
}

async fn sign_up_refuses_bad_input_and_duplicates(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let signup = |email: &str, password: &str| {
        relay.call(
            Method::POST,
            "/api/v1/auth/signup",
            None,
            Some(json!({"email": email, "password": password})),
        )
    };
    let (status, body) = signup("not-an-email", PASSWORD).await;
    assert_eq!(status, 422);
    assert_eq!(error_code(&body), "validation_failed");
    assert!(body["error"]["fields"]["email"].is_string(), "{body}");

    let (status, body) = signup("bo@example.com", "short").await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["password"]
        .as_str()
        .is_some_and(|p| p.contains("at least")));

    let too_long = format!("{}@example.com", "x".repeat(300));
    let (status, body) = signup(&too_long, PASSWORD).await;
    assert_eq!(status, 422, "{body}");

    relay.sign_up("bo@example.com").await;
    let (status, body) = signup("BO@example.com", "another password").await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&body), "email_taken");
    let (status, _) = sign_in(&relay, "bo@example.com", "another password").await;
    assert_eq!(status, 401, "the refused sign-up changed nothing");
}

async fn wrong_password_and_unknown_email_answer_alike(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    relay.sign_up("cy@example.com").await;
    let wrong_password = sign_in(&relay, "cy@example.com", "not the password").await;
    let unknown_email = sign_in(&relay, "nobody@example.com", "not the password").await;
    assert_eq!(wrong_password.0, 401);
    assert_eq!(error_code(&wrong_password.1), "invalid_credentials");
    assert_eq!(wrong_password, unknown_email);
}

async fn failed_sign_ins_slow_down_per_account_and_address(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    relay.sign_up("di@example.com").await;
    relay.sign_up("ed@example.com").await;
    // Three failures are free; the fourth makes the next attempt wait.
    for _ in 0..4 {
        let (status, _) = sign_in(&relay, "di@example.com", "guess guess guess").await;
        assert_eq!(status, 401);
    }
    let response = relay
        .http
        .post(relay.url("/api/v1/auth/signin"))
        .json(&json!({"email": "di@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429, "even the right password waits");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "rate_limited");
    assert_eq!(body["error"]["retry_after_seconds"], retry_after);

    let (status, _) = sign_in(&relay, "ed@example.com", PASSWORD).await;
    assert_eq!(status, 200, "other accounts are not affected");
}

async fn attempts_are_limited_per_address(backend: Backend) {
    let settings = Settings {
        attempts_per_address: Limit {
            max: 3,
            window: Duration::from_secs(60),
        },
        ..Settings::default()
    };
    let relay = TestRelay::start_with(backend, settings).await;
    relay.sign_up("fa@example.com").await;
    for email in ["x1@example.com", "x2@example.com"] {
        let (status, _) = sign_in(&relay, email, PASSWORD).await;
        assert_eq!(status, 401);
    }
    let (status, body) = sign_in(&relay, "fa@example.com", PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), "rate_limited");
}

async fn expired_and_unknown_tokens_are_refused(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let token = relay.sign_up("gi@example.com").await;
    let (_, me) = relay.get("/api/v1/me", &token).await;
    let user_id: uuid::Uuid = me["id"].as_str().expect("id").parse().expect("uuid");

    let expired = "an-expired-session-token";
    let now = chrono::Utc::now();
    relay
        .db
        .store
        .create_session(
            &token_hash(expired),
            user_id,
            now - chrono::Duration::days(31),
            now - chrono::Duration::seconds(1),
        )
        .await
        .expect("insert session");
    for bad in [expired, "no-such-token"] {
        let (status, body) = relay.get("/api/v1/me", bad).await;
        assert_eq!(status, 401);
        assert_eq!(error_code(&body), "unauthenticated");
    }
    let (status, body) = relay.call(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(status, 401);
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Sign in")));
}

async fn account_type_is_chosen_once(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let token = relay.sign_up("ha@example.com").await;
    let (status, body) = relay
        .put(
            "/api/v1/me/account-type",
            &token,
            json!({"account_type": "agent", "organization": {"name": "X", "default_country": "GB"}}),
        )
        .await;
    assert_eq!(status, 422, "an agent creates no organization: {body}");

    let (status, body) = relay
        .put(
            "/api/v1/me/account-type",
            &token,
            json!({"account_type": "agent"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["account_type"], "agent");
    assert_eq!(body["organization"], Value::Null);

    let (status, body) = relay
        .put(
            "/api/v1/me/account-type",
            &token,
            json!({"account_type": "organization", "organization": {"name": "X", "default_country": "GB"}}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&body), "account_type_already_chosen");
    let (_, orgs) = relay.get("/api/v1/orgs", &token).await;
    assert_eq!(
        orgs["organizations"],
        json!([]),
        "no organization was created"
    );

    let (status, body) = relay
        .put(
            "/api/v1/me/account-type",
            &token,
            json!({"account_type": "manager"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_code(&body), "invalid_body");
}

async fn organization_account_creates_its_organization(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let token = relay.sign_up("ia@example.com").await;
    let (status, body) = relay
        .put(
            "/api/v1/me/account-type",
            &token,
            json!({"account_type": "organization"}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["organization"].is_string());

    let (status, body) = relay
        .put(
            "/api/v1/me/account-type",
            &token,
            json!({"account_type": "organization", "organization": {"name": "Acme", "default_country": "Narnia"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["organization.default_country"].is_string());

    let (status, body) = relay
        .put(
            "/api/v1/me/account-type",
            &token,
            json!({"account_type": "organization", "organization": {"name": "  Acme Ltd ", "default_country": "in"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["organization"]["name"], "Acme Ltd");
    assert_eq!(body["organization"]["default_country"], "IN");

    let (_, orgs) = relay.get("/api/v1/orgs", &token).await;
    let memberships = orgs["organizations"].as_array().expect("list");
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0]["role"], "admin");
    assert_eq!(
        memberships[0]["organization"]["id"],
        body["organization"]["id"]
    );
}

async fn phone_numbers_are_normalised_or_refused(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (token, org_id) = relay.organization_admin("ja@example.com", "Acme").await;

    for (input, problem) in [
        (json!({"phone": "banana"}), "not a phone number"),
        (json!({"phone": "07400 123456"}), "country code"),
        (json!({"phone": "+44 12"}), "not a"),
        (
            json!({"phone": "07400 123456", "country": "ZZ"}),
            "country code",
        ),
    ] {
        let (status, body) = relay.put("/api/v1/me/phone", &token, input.clone()).await;
        assert_eq!(status, 422, "{input}: {body}");
        assert_eq!(error_code(&body), "invalid_phone_number");
        assert!(
            body["error"]["fields"]["phone"]
                .as_str()
                .is_some_and(|p| p.contains(problem)),
            "{input}: {body}"
        );
    }
    let (_, me) = relay.get("/api/v1/me", &token).await;
    assert_eq!(me["phone"], Value::Null, "refused numbers are not stored");

    let (status, me) = relay
        .put(
            "/api/v1/me/phone",
            &token,
            json!({"phone": "07400 123456", "country": "GB"}),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["phone"], "+447400123456");
    let (_, org) = relay.get(&format!("/api/v1/orgs/{org_id}"), &token).await;
    assert_eq!(
        org["phone"], "+447400123456",
        "the admin's number is hosted"
    );

    let (_, me) = relay
        .put(
            "/api/v1/me/phone",
            &token,
            json!({"phone": "+91 98765 43210"}),
        )
        .await;
    assert_eq!(me["phone"], "+919876543210");
    let (_, org) = relay.get(&format!("/api/v1/orgs/{org_id}"), &token).await;
    assert_eq!(
        org["phone"], "+447400123456",
        "an organization keeps its number"
    );
}

async fn profiles_list_you_then_each_organization(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (admin_a, org_a) = relay.organization_admin("ka@example.com", "Alpha").await;
    let (admin_b, org_b) = relay.organization_admin("kb@example.com", "Beta").await;
    let agent = relay.agent("kc@example.com").await;
    relay
        .put(
            "/api/v1/me/phone",
            &agent,
            json!({"phone": "+44 7400 654321"}),
        )
        .await;
    relay.join(&admin_a, &org_a, "kc@example.com", &agent).await;
    relay.join(&admin_b, &org_b, "kc@example.com", &agent).await;
    relay
        .patch(
            &format!("/api/v1/orgs/{org_b}"),
            &admin_b,
            json!({"phone": "07400 900123"}),
        )
        .await;

    let (status, body) = relay.get("/api/v1/profiles", &agent).await;
    assert_eq!(status, 200);
    let profiles = body["profiles"].as_array().expect("list");
    assert_eq!(profiles.len(), 3, "{body}");
    assert_eq!(profiles[0]["kind"], "personal");
    assert_eq!(profiles[0]["label"], "You");
    assert_eq!(profiles[0]["phone"], "+447400654321");
    assert_eq!(profiles[1]["label"], "Alpha");
    assert_eq!(profiles[1]["role"], "agent");
    assert_eq!(profiles[1]["organization_id"], org_a.as_str());
    assert_eq!(profiles[2]["label"], "Beta");
    assert_eq!(profiles[2]["phone"], "+447400900123");
}
