//! What customers send, captured by the host: WhatsApp's own time of each
//! message, voice notes, and the bytes of their files, uploaded by the host
//! for agents to open (kept out of the library, walled off per tenant).

use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{Ack, IncomingMessage, Request, ServerFrame};
use chorus_shared::queue::{MediaSeen, MessageView};
use chrono::{Duration, Timelike, Utc};
use uuid::Uuid;

use super::{crew, host, uuid_of, Crew};
use crate::common::ws::WsClient;
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    received_messages_keep_whatsapps_time_and_voice_notes_their_kind,
    the_host_uploads_received_files_for_agents_to_open,
);

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
];
/// The start of an Ogg stream, as WhatsApp's voice notes are.
const OGG: &[u8] = b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x00\x00\x00\x00";

fn received(digits: &str, kind: MessageKind, text: Option<&str>) -> IncomingMessage {
    IncomingMessage {
        wa_id: format!("false_{digits}@c.us_{}", Uuid::now_v7().simple()),
        chat_wa_id: format!("{digits}@c.us"),
        kind,
        text: text.map(str::to_owned),
        chat_name: None,
        sender: None,
        media: None,
        wa_time: None,
    }
}

async fn capture(host: &mut WsClient, message: IncomingMessage) -> MessageView {
    match host.request(Request::Incoming { message }).await {
        Ok(Ack::Incoming { message, .. }) => message,
        other => panic!("not stored: {other:?}"),
    }
}

async fn received_messages_keep_whatsapps_time_and_voice_notes_their_kind(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let mut host = host(&relay, &crew).await;
    let (_, before) = relay.get(&crew.path("/credits"), &crew.admin).await;

    // Written an hour ago, captured now: both times are kept.
    let written = (Utc::now() - Duration::hours(1))
        .with_second(0)
        .and_then(|at| at.with_nanosecond(0))
        .expect("a minute");
    let mut late = received("447400000001", MessageKind::Text, Some("are you open?"));
    late.wa_time = Some(written);
    let stored = capture(&mut host, late).await;
    assert_eq!(stored.wa_time, Some(written));
    assert!(stored.created_at > written);

    // A time no WhatsApp row can show is dropped; the message is kept.
    let mut odd = received("447400000001", MessageKind::Text, Some("from the future"));
    odd.wa_time = Some(Utc::now() + Duration::days(3));
    let stored = capture(&mut host, odd).await;
    assert_eq!(stored.wa_time, None);
    assert_eq!(stored.text.as_deref(), Some("from the future"));

    let mut voice = received("447400000001", MessageKind::Audio, None);
    voice.media = Some(MediaSeen {
        name: None,
        size: Some("0:07".into()),
    });
    let stored = capture(&mut host, voice).await;
    assert_eq!(stored.kind, MessageKind::Audio);
    assert_eq!(stored.cost, MessageKind::Audio.cost());
    let (_, timeline) = relay
        .get(
            &crew.path(&format!("/chats/{}/timeline", stored.chat_id)),
            &crew.agent1,
        )
        .await;
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["message"]["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"audio"), "{timeline}");
    let (_, after) = relay.get(&crew.path("/credits"), &crew.admin).await;
    assert_eq!(
        before["available"].as_i64().expect("balance")
            - after["available"].as_i64().expect("balance"),
        1 + 1 + MessageKind::Audio.cost(),
        "each received message is charged by its kind"
    );
}

/// Uploads `bytes` as the received file of `message` on `crew`'s profile.
async fn put_media(
    relay: &TestRelay,
    crew: &Crew,
    token: &str,
    message: Uuid,
    name: &str,
    bytes: &[u8],
) -> (u16, serde_json::Value) {
    let response = relay
        .http
        .put(relay.url(&crew.path(&format!("/messages/{message}/media?name={name}"))))
        .bearer_auth(token)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

async fn the_host_uploads_received_files_for_agents_to_open(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let mut host = host(&relay, &crew).await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &crew.agent1).await;
    let mut photo = received("447400000002", MessageKind::Image, Some("the damage"));
    photo.media = Some(MediaSeen::default());
    let photo = capture(&mut host, photo).await;
    assert_eq!(photo.attachment, None, "the bytes come after");

    // Agents read, hosts upload.
    let (status, body) = put_media(&relay, &crew, &crew.agent1, photo.id, "damage.png", PNG).await;
    assert_eq!(status, 403, "{body}");

    let (status, body) = put_media(&relay, &crew, &crew.admin, photo.id, "damage.png", PNG).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["attachment"]["name"], "damage.png");
    assert_eq!(body["attachment"]["mime"], "image/png");
    let file_id = uuid_of(&body["attachment"]["id"]);
    let live = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Message { message } if message.id == photo.id => {
                message.attachment.clone()
            }
            _ => None,
        })
        .await;
    assert_eq!(live.id, file_id, "sidebars see the file at once");

    // A retry keeps the first upload.
    let (status, again) = put_media(&relay, &crew, &crew.admin, photo.id, "other.png", PNG).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(uuid_of(&again["attachment"]["id"]), file_id);

    // Agents open it; it is not a library file.
    let bytes = relay
        .http
        .get(relay.url(&crew.path(&format!("/files/{file_id}/content"))))
        .bearer_auth(&crew.agent2)
        .send()
        .await
        .expect("download");
    assert_eq!(bytes.status(), 200);
    assert_eq!(bytes.bytes().await.expect("bytes").as_ref(), PNG);
    let (_, library) = relay.get(&crew.path("/files"), &crew.admin).await;
    assert_eq!(library["files"].as_array().expect("files").len(), 0);
    let (status, _) = relay
        .delete(&crew.path(&format!("/files/{file_id}")), &crew.admin)
        .await;
    assert_eq!(
        status, 404,
        "received files are not deleted from the library"
    );

    // A voice note's bytes are audio, kept as such.
    let voice = capture(
        &mut host,
        received("447400000002", MessageKind::Audio, None),
    )
    .await;
    let (status, body) = put_media(&relay, &crew, &crew.admin, voice.id, "", OGG).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["attachment"]["mime"], "audio/ogg");
    assert_eq!(body["attachment"]["name"], "file.ogg");

    // Only files customers sent take bytes.
    let text = capture(
        &mut host,
        received("447400000002", MessageKind::Text, Some("hi")),
    )
    .await;
    let (status, body) = put_media(&relay, &crew, &crew.admin, text.id, "x.png", PNG).await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "validation_failed"),
        "{body}"
    );
    let (status, sent) = crew
        .send(&relay, &crew.admin, "+447400000002", "outgoing")
        .await;
    assert_eq!(status, 201, "{sent}");
    let (status, body) = put_media(
        &relay,
        &crew,
        &crew.admin,
        uuid_of(&sent["id"]),
        "x.png",
        PNG,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = put_media(&relay, &crew, &crew.admin, Uuid::now_v7(), "x.png", PNG).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = put_media(&relay, &crew, &crew.admin, photo.id, "e.png", &[]).await;
    assert_eq!(status, 422, "{body}");
    let oversize = vec![b'a'; chorus_shared::limits::ATTACHMENT_MAX_BYTES + 1];
    let (status, body) =
        put_media(&relay, &crew, &crew.admin, voice.id, "big.txt", &oversize).await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );

    // Another organization sees neither the message nor its file.
    let other = super::crew(&relay, "other.test").await;
    let (status, body) = put_media(&relay, &other, &other.admin, photo.id, "x.png", PNG).await;
    assert_eq!(status, 404, "{body}");
    let response = relay
        .http
        .get(relay.url(&other.path(&format!("/files/{file_id}/content"))))
        .bearer_auth(&other.admin)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 404);
}
