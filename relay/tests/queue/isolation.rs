//! Another organization's messages, files, chats and events stay out of reach.

use chorus_shared::protocol::{DeliveryReport, Request, ServerFrame};
use serde_json::json;

use super::{id_of, send_text, team, upload};
use crate::common::ws::WsClient;
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(another_organizations_queue_is_out_of_reach);

async fn another_organizations_queue_is_out_of_reach(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let alpha = team(&relay, "alpha.test", 10).await;
    let beta = team(&relay, "beta.test", 10).await;
    let mut beta_sidebar = WsClient::sidebar(&relay.ws_url(), &beta.agent).await;
    let mut beta_host = WsClient::host(&relay.ws_url(), &beta.admin, Some(beta.org_id)).await;

    let (_, message) = send_text(
        &relay,
        &alpha.agent,
        Some(&alpha.org),
        "+44 7400 123456",
        "secret",
        "s",
    )
    .await;
    let message_id = id_of(&message);
    let chat_id = message["chat_id"].as_str().expect("chat").to_owned();
    let (_, file) = upload(
        &relay,
        &alpha.agent,
        &alpha.org,
        b"%PDF-1.4\n%%EOF\n".to_vec(),
    )
    .await;
    let file_id = file["id"].as_str().expect("file id").to_owned();

    for (path, body) in [
        (
            format!("/api/v1/messages?organization_id={}", alpha.org),
            None,
        ),
        (
            format!(
                "/api/v1/messages/{message_id}?organization_id={}",
                alpha.org
            ),
            None,
        ),
        (
            format!("/api/v1/messages/{message_id}?organization_id={}", beta.org),
            None,
        ),
        (
            format!(
                "/api/v1/messages/{message_id}/cancel?organization_id={}",
                beta.org
            ),
            Some(json!({})),
        ),
        (
            format!("/api/v1/messages/{message_id}/cancel"),
            Some(json!({})),
        ),
        (
            format!("/api/v1/credits?organization_id={}", alpha.org),
            None,
        ),
        (
            format!("/api/v1/files/{file_id}?organization_id={}", beta.org),
            None,
        ),
        (
            format!(
                "/api/v1/files/{file_id}/content?organization_id={}",
                beta.org
            ),
            None,
        ),
        (
            format!(
                "/api/v1/files/{file_id}/content?organization_id={}",
                alpha.org
            ),
            None,
        ),
    ] {
        let (status, answer) = match body {
            Some(body) => relay.post(&path, &beta.agent, body).await,
            None => relay.get(&path, &beta.agent).await,
        };
        assert_eq!(status, 404, "{path}: {answer}");
        assert_eq!(error_code(&answer), "not_found");
    }
    // Beta's own profile, with Alpha's chat and file ids.
    let (status, answer) = relay
        .post("/api/v1/messages", &beta.agent, json!({"organization_id": beta.org, "chat_id": chat_id, "text": "hi", "idempotency_key": "x1"}))
        .await;
    assert_eq!(status, 404, "another organization's chat: {answer}");
    let (status, answer) = relay
        .post("/api/v1/messages", &beta.agent, json!({"organization_id": beta.org, "phone": "+44 7400 123456", "attachment_id": file_id, "idempotency_key": "x2"}))
        .await;
    assert_eq!(status, 404, "another organization's file: {answer}");
    let reported = beta_host
        .request(Request::Report {
            message_id,
            report: DeliveryReport::Sent { wa_id: None },
        })
        .await;
    assert_eq!(
        reported.expect_err("not Beta's message").code,
        chorus_shared::error::ErrorCode::NotFound
    );

    assert!(
        beta_sidebar
            .quiet_for(std::time::Duration::from_millis(300), |f| match f {
                ServerFrame::Message { message } => message.organization_id == Some(alpha.org_id),
                ServerFrame::Credits {
                    organization_id, ..
                }
                | ServerFrame::Host {
                    organization_id, ..
                } => *organization_id == Some(alpha.org_id),
                _ => false,
            })
            .await,
        "Beta's sidebar hears nothing of Alpha"
    );
    let (_, still) = relay
        .get(
            &format!(
                "/api/v1/messages/{message_id}?organization_id={}",
                alpha.org
            ),
            &alpha.agent,
        )
        .await;
    assert_eq!(still["status"], "waiting_for_host", "Beta changed nothing");
    let (_, credits) = relay
        .get(
            &format!("/api/v1/credits?organization_id={}", beta.org),
            &beta.agent,
        )
        .await;
    assert_eq!(credits["available"], 10);
}
