//! Malformed requests get the shared error body with a clear code, never a
//! 500 and never a half-stored change.

use reqwest::header::CONTENT_TYPE;
use serde_json::{json, Value};

use crate::common::{error_code, Backend, TestRelay, PASSWORD};
use crate::on_every_backend;

on_every_backend!(malformed_requests_get_clear_errors);

async fn send_raw(
    relay: &TestRelay,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = relay
        .http
        .post(relay.url(path))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON error body"))
}

async fn malformed_requests_get_clear_errors(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let signup = "/api/v1/auth/signup";

    let (status, body) =
        send_raw(&relay, signup, "application/json", b"{\"email\": ".to_vec()).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "malformed_json"),
        "{body}"
    );

    let unknown_field = json!({"email": "a@b.test", "password": PASSWORD, "admin": true});
    let (status, body) = send_raw(
        &relay,
        signup,
        "application/json",
        unknown_field.to_string().into_bytes(),
    )
    .await;
    assert_eq!((status, error_code(&body)), (422, "invalid_body"));
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("admin")),
        "{body}"
    );

    let wrong_type = json!({"email": 42, "password": PASSWORD});
    let (status, body) = send_raw(
        &relay,
        signup,
        "application/json",
        wrong_type.to_string().into_bytes(),
    )
    .await;
    assert_eq!((status, error_code(&body)), (422, "invalid_body"));

    let (status, body) = send_raw(&relay, signup, "text/plain", b"email=a".to_vec()).await;
    assert_eq!((status, error_code(&body)), (415, "unsupported_media_type"));

    let huge = json!({"email": "big@b.test", "password": "p".repeat(200 * 1024)});
    let (status, body) = send_raw(
        &relay,
        signup,
        "application/json",
        huge.to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("KiB")));
    let (status, _) = relay
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/signin",
            None,
            Some(json!({"email": "big@b.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 401, "the oversized sign-up stored nothing");

    let token = relay.sign_up("ok@b.test").await;
    let (status, body) = relay
        .put(
            "/api/v1/me/account-type",
            &token,
            json!({"account_type": "organization", "organization": {"name": "n".repeat(5000), "default_country": "GB"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["organization.name"].is_string());
    let (_, me) = relay.get("/api/v1/me", &token).await;
    assert_eq!(me["account_type"], Value::Null, "nothing half-stored");

    let (status, body) = relay.get("/api/v1/orgs/not-a-uuid", &token).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    let (status, body) = relay.get("/api/v1/no/such/endpoint", &token).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    let (status, body) = relay.delete("/api/v1/me", &token).await;
    assert_eq!((status, error_code(&body)), (405, "method_not_allowed"));

    for header in ["Bearer", "Basic abc", "Bearer    "] {
        let response = relay
            .http
            .get(relay.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401, "{header:?}");
    }
}
