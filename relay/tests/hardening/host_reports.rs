//! What a host reports is bounded field by field, not only by the frame:
//! long texts and reasons are kept clipped, names are cleaned and clipped,
//! and an id too long to be WhatsApp's is refused.

use chorus_shared::error::ErrorCode;
use chorus_shared::limits;
use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{Ack, DeliveryReport, IncomingMessage, Request};

use super::{send_text, team};
use crate::common::ws::WsClient;
use crate::common::{Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(host_reports_are_bounded_field_by_field);

async fn host_reports_are_bounded_field_by_field(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 50).await;
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;

    let ack = host
        .request(Request::Incoming {
            message: IncomingMessage {
                wa_id: "false_447400123456@c.us_LONG".into(),
                chat_wa_id: "447400123456@c.us".into(),
                kind: MessageKind::Text,
                text: Some("y".repeat(10_000)),
                chat_name: Some(format!("Bob\u{202e}{}", "b".repeat(1000))),
                sender: None,
                wa_time: None,
                media: None,
            },
        })
        .await
        .expect("a long message is kept");
    let Ack::Incoming { message, .. } = ack else {
        panic!("unexpected answer {ack:?}");
    };
    let text = message.text.expect("text");
    assert_eq!(text.chars().count(), limits::MESSAGE_TEXT_MAX_CHARS);
    assert!(text.ends_with('…'));
    let (_, chat) = relay
        .get(
            &format!(
                "/api/v1/chats/{}?organization_id={}",
                message.chat_id, team.org
            ),
            &team.admin,
        )
        .await;
    let name = chat["name"].as_str().expect("name");
    assert!(
        name.starts_with("Bobb") && !name.contains('\u{202e}'),
        "{name}"
    );
    assert_eq!(name.chars().count(), limits::CONTACT_NAME_MAX_CHARS);

    let (status, sent) = send_text(
        &relay,
        &team.admin,
        Some(&team.org),
        "+44 7400 123457",
        "hi",
        "k1",
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let dispatch = host.next_dispatch().await;
    let refused = host
        .request(Request::Report {
            message_id: dispatch.message_id,
            report: DeliveryReport::Sent {
                wa_id: Some("true_".repeat(100)),
            },
        })
        .await
        .expect_err("no WhatsApp id is that long");
    assert_eq!(refused.code, ErrorCode::ValidationFailed);
    host.report(
        dispatch.message_id,
        DeliveryReport::Failed {
            reason: "z".repeat(5000),
        },
    )
    .await;
    let (_, message) = relay
        .get(
            &format!(
                "/api/v1/messages/{}?organization_id={}",
                dispatch.message_id, team.org
            ),
            &team.admin,
        )
        .await;
    assert_eq!(message["status"], "failed");
    let reason = message["failure_reason"].as_str().expect("reason");
    assert_eq!(reason.chars().count(), limits::FAILURE_REASON_MAX_CHARS);
}
