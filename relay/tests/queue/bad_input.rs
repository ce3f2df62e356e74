//! Bad sends and bad frames get clear errors and store nothing.

use chorus_shared::error::ErrorCode;
use chorus_shared::protocol::{ClientRole, DeliveryReport, Request};
use serde_json::json;
use uuid::Uuid;

use super::{team, upload};
use crate::common::ws::WsClient;
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    bad_sends_are_refused_clearly,
    bad_frames_are_answered_not_dropped
);

async fn bad_sends_are_refused_clearly(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 50).await;
    let send = |body: serde_json::Value| relay.post("/api/v1/messages", &team.agent, body);

    let (status, body) = send(json!({"organization_id": team.org, "phone": "+44 7400 123456", "text": "x", "kind": "sticker", "idempotency_key": "a"})).await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "invalid_body"),
        "unknown kind: {body}"
    );
    let (status, body) = send(json!({"organization_id": team.org, "phone": "call me", "text": "x", "idempotency_key": "b"})).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_phone_number"));
    let (status, body) = send(
        json!({"organization_id": team.org, "phone": "+44 7400 123456", "idempotency_key": "c"}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "validation_failed"),
        "nothing to send: {body}"
    );
    let (status, _) = send(json!({"organization_id": team.org, "phone": "+44 7400 123456", "text": "x", "idempotency_key": ""})).await;
    assert_eq!(status, 422, "a key is required");
    let (status, _) = send(json!({"organization_id": team.org, "phone": "+44 7400 123456", "text": "x".repeat(5000), "idempotency_key": "d"})).await;
    assert_eq!(status, 422, "text over 4096 characters");
    let (status, _) = send(json!({"organization_id": Uuid::now_v7(), "phone": "+44 7400 123456", "text": "x", "idempotency_key": "e"})).await;
    assert_eq!(status, 404, "an organization the sender is not in");

    let big = vec![0x25; 5 * 1024 * 1024 + 10];
    let (status, body) = upload(&relay, &team.agent, &team.org, big).await;
    assert_eq!((status, error_code(&body)), (413, "payload_too_large"));
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("5 MB")));
    let (status, body) = upload(
        &relay,
        &team.agent,
        &team.org,
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff".to_vec(),
    )
    .await;
    assert_eq!((status, error_code(&body)), (415, "unsupported_file_type"));
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("PDF")));

    let (status, pdf) = upload(
        &relay,
        &team.agent,
        &team.org,
        b"%PDF-1.4\n%%EOF\n".to_vec(),
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = send(json!({"organization_id": team.org, "phone": "+44 7400 123456", "attachment_id": pdf["id"], "kind": "image", "idempotency_key": "f"})).await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "attachment_kind_mismatch")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("document")),
        "{body}"
    );

    let (_, page) = relay
        .get(
            &format!("/api/v1/messages?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(page["messages"], json!([]), "nothing was stored half-way");
    let (_, credits) = relay
        .get(
            &format!("/api/v1/credits?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(credits["available"], 50);
}

async fn bad_frames_are_answered_not_dropped(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 5).await;

    let bad_token = WsClient::connect(&relay.ws_url(), "not-a-token", ClientRole::Sidebar).await;
    assert_eq!(
        bad_token.err().map(|e| e.code),
        Some(ErrorCode::Unauthenticated)
    );

    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &team.agent).await;
    sidebar
        .send_text(r#"{"id": 41, "type": "format_disk"}"#)
        .await;
    let reply = sidebar.reply(41).await;
    assert_eq!(
        reply.expect_err("unknown request").code,
        ErrorCode::UnknownRequest
    );
    sidebar.send_text("{not json").await;
    let reply = sidebar.reply(0).await;
    assert_eq!(
        reply.expect_err("malformed").code,
        ErrorCode::UnknownRequest
    );
    let report = sidebar
        .request(Request::Report {
            message_id: Uuid::now_v7(),
            report: DeliveryReport::Sending,
        })
        .await;
    assert_eq!(
        report.expect_err("sidebars do not report").code,
        ErrorCode::WrongRole
    );
    let pong = sidebar.request(Request::Ping).await;
    assert!(pong.is_ok(), "the connection is still usable after errors");

    let send = sidebar
        .request(Request::Send {
            message: serde_json::from_value(json!({"organization_id": team.org, "phone": "+44 7400 123456", "text": "over ws", "idempotency_key": "ws1"}))
                .expect("send request"),
        })
        .await;
    assert!(send.is_ok(), "sidebars can send over the socket: {send:?}");

    let mut flooder = WsClient::sidebar(&relay.ws_url(), &team.agent).await;
    let huge = format!(
        r#"{{"id": 7, "type": "ping", "pad": "{}"}}"#,
        "x".repeat(1024 * 1024)
    );
    flooder.send_text_unchecked(&huge).await;
    flooder.closed().await;
    let pong = sidebar.request(Request::Ping).await;
    assert!(
        pong.is_ok(),
        "other connections are unaffected by an oversized frame"
    );
}
