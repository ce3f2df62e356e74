//! The file library (list, rename, delete; messages keep what they carry)
//! and WhatsApp groups (seen by the host, added by an admin, then a chat).

use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{Ack, IncomingMessage, Request, ServerFrame};
use chorus_shared::queue::{MediaSeen, Sender};
use chorus_shared::team::SeenGroup;
use serde_json::{json, Value};

use super::{crew, host, uuid_of, Crew};
use crate::common::ws::WsClient;
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    the_library_lists_renames_and_deletes_files,
    groups_seen_by_the_host_become_chats_when_an_admin_adds_them,
);

const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
];

async fn upload(relay: &TestRelay, crew: &Crew, bytes: &[u8], name: &str) -> Value {
    let response = relay
        .http
        .post(relay.url(&crew.path(&format!("/files?name={name}"))))
        .bearer_auth(&crew.agent1)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 201);
    response.json().await.expect("file")
}

fn names(list: &Value) -> Vec<String> {
    list["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|file| file["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn the_library_lists_renames_and_deletes_files(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let pdf = upload(&relay, &crew, PDF, "price-list.pdf").await;
    let png = upload(&relay, &crew, PNG, "logo.png").await;
    let (status, list) = relay.get(&crew.path("/files"), &crew.agent2).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(names(&list), ["logo.png", "price-list.pdf"], "newest first");

    let pdf_id = uuid_of(&pdf["id"]);
    let (status, renamed) = relay
        .patch(
            &crew.path(&format!("/files/{pdf_id}")),
            &crew.agent2,
            json!({"name": "Prices 2026.pdf"}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["name"], "Prices 2026.pdf");

    // A message queued with the file keeps it after the file leaves the library.
    let (status, message) = relay
        .post(
            "/api/v1/messages",
            &crew.agent1,
            json!({"organization_id": crew.org, "phone": "+44 7400 000001",
                   "attachment_id": pdf_id, "idempotency_key": "doc"}),
        )
        .await;
    assert_eq!(status, 201, "{message}");
    let (status, _) = relay
        .delete(&crew.path(&format!("/files/{pdf_id}")), &crew.agent2)
        .await;
    assert_eq!(status, 403, "an agent deletes only what they uploaded");
    let (status, _) = relay
        .delete(&crew.path(&format!("/files/{pdf_id}")), &crew.agent1)
        .await;
    assert_eq!(status, 200);
    let (_, list) = relay.get(&crew.path("/files"), &crew.agent2).await;
    assert_eq!(names(&list), ["logo.png"]);
    let content = relay
        .http
        .get(relay.url(&crew.path(&format!("/files/{pdf_id}/content"))))
        .bearer_auth(&crew.admin)
        .send()
        .await
        .expect("content");
    assert_eq!(content.status(), 200, "the host can still fetch it");
    assert_eq!(content.bytes().await.expect("bytes").as_ref(), PDF);
    let (status, body) = relay
        .post(
            "/api/v1/messages",
            &crew.agent1,
            json!({"organization_id": crew.org, "phone": "+44 7400 000001",
                   "attachment_id": pdf_id, "idempotency_key": "doc-again"}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "{body}");
    let (status, _) = relay
        .patch(
            &crew.path(&format!("/files/{pdf_id}")),
            &crew.agent2,
            json!({"name": "again.pdf"}),
        )
        .await;
    assert_eq!(status, 404, "a deleted file cannot be renamed");
    let _ = png;
}

async fn groups_seen_by_the_host_become_chats_when_an_admin_adds_them(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let mut host = host(&relay, &crew).await;
    let ack = host
        .request(Request::Groups {
            groups: vec![
                SeenGroup {
                    wa_id: "120363000000000001@g.us".into(),
                    name: "Suppliers".into(),
                    participants: vec!["Dora".into(), " Eli\u{202e} ".into()],
                },
                SeenGroup {
                    wa_id: "120363000000000002@g.us".into(),
                    name: "Family".into(),
                    participants: vec![],
                },
            ],
        })
        .await;
    assert!(matches!(ack, Ok(Ack::Done)), "{ack:?}");
    let bad = host
        .request(Request::Groups {
            groups: vec![SeenGroup {
                wa_id: "447400000001@c.us".into(),
                name: "not a group".into(),
                participants: vec![],
            }],
        })
        .await;
    assert!(bad.is_err(), "only group ids: {bad:?}");

    let (status, groups) = relay.get(&crew.path("/groups"), &crew.agent1).await;
    assert_eq!(status, 200, "{groups}");
    assert_eq!(groups.as_array().expect("groups").len(), 2);
    assert!(groups
        .as_array()
        .expect("groups")
        .iter()
        .all(|g| g["added"] == false));
    let (_, chats) = relay.get(&crew.path("/chats"), &crew.agent1).await;
    assert!(
        chats["chats"].as_array().expect("chats").is_empty(),
        "not listed until added"
    );

    let add = json!({"organization_id": crew.org, "wa_id": "120363000000000001@g.us"});
    let (status, body) = relay
        .post("/api/v1/groups", &crew.agent1, add.clone())
        .await;
    assert_eq!((status, error_code(&body)), (403, "forbidden"), "{body}");
    let (status, group) = relay.post("/api/v1/groups", &crew.admin, add).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["kind"], "group");
    assert_eq!(group["name"], "Suppliers");
    let group_id = uuid_of(&group["id"]);
    assert_eq!(
        group["participants"],
        json!(["Dora", "Eli"]),
        "names kept clean"
    );
    let (_, chats) = relay.get(&crew.path("/chats"), &crew.agent1).await;
    assert_eq!(chats["chats"][0]["id"], group["id"]);

    // The host sees the members change: sidebars hear of it at once; a
    // report without members keeps those known.
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &crew.agent2).await;
    let ack = host
        .request(Request::Groups {
            groups: vec![SeenGroup {
                wa_id: "120363000000000001@g.us".into(),
                name: "Suppliers".into(),
                participants: vec!["Dora".into(), "Fay".into()],
            }],
        })
        .await;
    assert!(matches!(ack, Ok(Ack::Done)), "{ack:?}");
    let members = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Chat { chat, .. } if chat.wa_id == "120363000000000001@g.us" => {
                Some(chat.participants.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(members, ["Dora", "Fay"]);
    host.request(Request::Groups {
        groups: vec![SeenGroup {
            wa_id: "120363000000000001@g.us".into(),
            name: "Suppliers".into(),
            participants: vec![],
        }],
    })
    .await
    .expect("a report without members");
    let (_, chat) = relay
        .get(&crew.path(&format!("/chats/{group_id}")), &crew.agent1)
        .await;
    assert_eq!(chat["participants"], json!(["Dora", "Fay"]));

    // Anyone adds a group to their own "You" chats; another organization's
    // admin cannot add to this one.
    let (status, own) = relay
        .post(
            "/api/v1/groups",
            &crew.agent1,
            json!({"wa_id": "120363000000000009@g.us", "name": "Book club"}),
        )
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["organization_id"], Value::Null);
    let (_, mine) = relay.get("/api/v1/chats", &crew.agent1).await;
    assert_eq!(mine["chats"][0]["name"], "Book club");
    let (_, theirs) = relay.get(&crew.path("/chats"), &crew.agent1).await;
    assert!(
        theirs["chats"]
            .as_array()
            .expect("chats")
            .iter()
            .all(|chat| chat["name"] != "Book club"),
        "the organization does not see it"
    );
    let other = super::crew(&relay, "other.test").await;
    let (status, body) = relay
        .post(
            "/api/v1/groups",
            &other.admin,
            json!({"organization_id": crew.org, "wa_id": "120363000000000003@g.us"}),
        )
        .await;
    assert!(status == 403 || status == 404, "{status}: {body}");

    // A chat like any other: sends go to the group, and it can be assigned.
    let (status, message) = relay
        .post(
            "/api/v1/messages",
            &crew.agent1,
            json!({"organization_id": crew.org, "chat_id": group_id, "text": "Order for Monday",
                   "idempotency_key": "g1"}),
        )
        .await;
    assert_eq!(status, 201, "{message}");
    let dispatch = host.next_dispatch().await;
    assert_eq!(dispatch.chat_wa_id, "120363000000000001@g.us");
    assert_eq!(dispatch.phone, None);
    assert_eq!(
        dispatch.chat_name.as_deref(),
        Some("Suppliers"),
        "the host finds a group by its name"
    );

    // A member writes in the group; the message keeps who wrote it, and a
    // file keeps what the host saw of it.
    let ack = host
        .request(Request::Incoming {
            message: IncomingMessage {
                wa_id: "false_120363000000000001@g.us_3A01_447400000009@c.us".into(),
                chat_wa_id: "120363000000000001@g.us".into(),
                kind: MessageKind::Document,
                text: Some("Monday's list".into()),
                chat_name: Some("Suppliers".into()),
                sender: Some(Sender {
                    wa_id: "447400000009@c.us".into(),
                    name: Some("  Dora\u{202e}Supplies ".into()),
                }),
                wa_time: None,
                media: Some(MediaSeen {
                    name: Some("list.pdf".into()),
                    size: Some("12 kB".into()),
                }),
            },
        })
        .await;
    assert!(matches!(ack, Ok(Ack::Incoming { .. })), "{ack:?}");
    let (_, timeline) = relay
        .get(
            &crew.path(&format!("/chats/{group_id}/timeline")),
            &crew.agent1,
        )
        .await;
    let written = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["message"]["direction"] == "incoming")
        .expect("the group message");
    assert_eq!(written["message"]["sender"]["wa_id"], "447400000009@c.us");
    assert_eq!(
        written["message"]["sender"]["name"], "DoraSupplies",
        "direction controls go"
    );
    assert_eq!(written["message"]["media"]["name"], "list.pdf");
    assert_eq!(written["message"]["media"]["size"], "12 kB");
    let bad_sender = host
        .request(Request::Incoming {
            message: IncomingMessage {
                wa_id: "false_120363000000000001@g.us_3A02_x".into(),
                chat_wa_id: "120363000000000001@g.us".into(),
                kind: MessageKind::Text,
                text: Some("hi".into()),
                chat_name: None,
                sender: Some(Sender {
                    wa_id: "someone".into(),
                    name: None,
                }),
                wa_time: None,
                media: None,
            },
        })
        .await;
    assert!(
        bad_sender.is_err_and(|error| error.message.contains("chat id")),
        "a sender must be a WhatsApp id"
    );
    let (status, _) = relay
        .put(
            &crew.path(&format!("/chats/{group_id}/assignee")),
            &crew.admin,
            json!({"assignee_id": crew.agent1_id}),
        )
        .await;
    assert_eq!(status, 200);
}
