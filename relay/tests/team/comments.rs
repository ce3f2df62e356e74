//! Comments: one timeline with the chat's messages, edits and deletions
//! shown, only authors change their notes.

use serde_json::json;

use super::crew;
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(comments_interleave_with_messages_and_only_authors_change_them);

async fn comments_interleave_with_messages_and_only_authors_change_them(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let chat = crew.chat_with(&relay, "+44 7400 000001").await;
    let comments = crew.path(&format!("/chats/{chat}/comments"));
    let (status, note) = relay
        .post(&comments, &crew.agent1, json!({"body": "  VIP, be nice  "}))
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["body"], "VIP, be nice", "trimmed");
    assert_eq!(note["kind"], "note");
    let note_id = note["id"].as_str().expect("id").to_owned();
    let (status, _) = crew
        .send(&relay, &crew.agent2, "+44 7400 000001", "second")
        .await;
    assert_eq!(status, 201);
    let (status, _) = relay
        .post(&comments, &crew.agent2, json!({"body": "done"}))
        .await;
    assert_eq!(status, 201);

    let note_path = crew.path(&format!("/comments/{note_id}"));
    let (status, body) = relay
        .patch(&note_path, &crew.agent2, json!({"body": "not mine"}))
        .await;
    assert_eq!((status, error_code(&body)), (403, "not_author"), "{body}");
    let (status, edited) = relay
        .patch(&note_path, &crew.agent1, json!({"body": "VIP customer"}))
        .await;
    assert_eq!(status, 200, "{edited}");
    assert!(edited["edited_at"].is_string());
    let (status, body) = relay
        .post(&comments, &crew.agent1, json!({"body": "   "}))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "validation_failed"),
        "{body}"
    );

    let (status, timeline) = relay
        .get(&crew.path(&format!("/chats/{chat}/timeline")), &crew.admin)
        .await;
    assert_eq!(status, 200, "{timeline}");
    let lines: Vec<(String, String)> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            let kind = item["type"].as_str().expect("type").to_owned();
            let text = item["message"]["text"]
                .as_str()
                .or(item["comment"]["body"].as_str())
                .expect("text")
                .to_owned();
            (kind, text)
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("message".into(), "hello".into()),
            ("comment".into(), "VIP customer".into()),
            ("message".into(), "second".into()),
            ("comment".into(), "done".into()),
        ]
    );

    let (status, deleted) = relay.delete(&note_path, &crew.agent1).await;
    assert_eq!(status, 200, "{deleted}");
    assert!(deleted["deleted_at"].is_string());
    assert_eq!(deleted["body"], "");
    let (status, _) = relay.delete(&note_path, &crew.agent1).await;
    assert_eq!(status, 404, "gone once");

    // Older lines by page: the newest two, then the rest.
    let (_, page) = relay
        .get(
            &crew.path(&format!("/chats/{chat}/timeline?limit=2")),
            &crew.admin,
        )
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["comment"]["body"], "done");
    let earlier = page["earlier"].as_str().expect("more before");
    let (_, older) = relay
        .get(
            &crew.path(&format!("/chats/{chat}/timeline?limit=2&before={earlier}")),
            &crew.admin,
        )
        .await;
    let older = older["items"].as_array().expect("items");
    assert_eq!(older.len(), 2);
    assert_eq!(older[0]["message"]["text"], "hello");
    assert!(
        older[1]["comment"]["deleted_at"].is_string(),
        "the deletion shows"
    );
}
