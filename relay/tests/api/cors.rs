//! The extension calls the relay from `chrome-extension://` pages: browsers
//! let it only if the relay answers their CORS checks.

use crate::common::{Backend, TestRelay};

#[tokio::test]
async fn extension_pages_may_call_the_api_with_a_bearer_token() {
    let relay = TestRelay::start(Backend::Sqlite).await;
    let origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
    let preflight = relay
        .http
        .request(reqwest::Method::OPTIONS, relay.url("/api/v1/messages"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = |name: &str| {
        preflight
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert_eq!(allowed("access-control-allow-origin"), "*");
    assert!(allowed("access-control-allow-methods").contains("post"));
    assert!(allowed("access-control-allow-headers").contains("authorization"));

    // Errors carry the header too, so the extension can read their message.
    let unauthenticated = relay
        .http
        .get(relay.url("/api/v1/me"))
        .header("Origin", origin)
        .send()
        .await
        .expect("request");
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(
        unauthenticated
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
}
