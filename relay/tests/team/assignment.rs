//! Assignment: who may assign, the comment line it leaves, and the rule that
//! only the assignee's sends go out (others' become comments).

use chorus_shared::protocol::{Ack, Request};
use serde_json::{json, Value};

use super::{crew, uuid_of};
use crate::common::ws::WsClient;
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    assignment_is_a_comment_line_and_only_the_assignee_sends,
    two_admins_assigning_at_once_leave_one_assignee_and_two_lines_in_order,
);

async fn timeline(relay: &TestRelay, crew: &super::Crew, chat: uuid::Uuid) -> Vec<Value> {
    let (status, timeline) = relay
        .get(&crew.path(&format!("/chats/{chat}/timeline")), &crew.agent1)
        .await;
    assert_eq!(status, 200, "{timeline}");
    timeline["items"].as_array().expect("items").clone()
}

async fn balance(relay: &TestRelay, crew: &super::Crew) -> i64 {
    let (_, credits) = relay.get(&crew.path("/credits"), &crew.admin).await;
    credits["available"].as_i64().expect("available")
}

async fn assignment_is_a_comment_line_and_only_the_assignee_sends(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let chat = crew.chat_with(&relay, "+44 7400 000001").await;
    let assignee_path = crew.path(&format!("/chats/{chat}/assignee"));

    // Agents may not assign others; an outsider cannot be assigned.
    let (status, body) = relay
        .put(
            &assignee_path,
            &crew.agent2,
            json!({"assignee_id": crew.agent1_id}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (403, "forbidden"), "{body}");
    let stranger = relay.agent("stranger@elsewhere.test").await;
    let (_, me) = relay.get("/api/v1/me", &stranger).await;
    let (status, body) = relay
        .put(
            &assignee_path,
            &crew.admin,
            json!({"assignee_id": me["id"]}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (422, "not_a_member"), "{body}");

    let (status, assigned) = relay
        .put(
            &assignee_path,
            &crew.admin,
            json!({"assignee_id": crew.agent1_id}),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(uuid_of(&assigned["assignee_id"]), crew.agent1_id);
    let items = timeline(&relay, &crew, chat).await;
    let line = &items.last().expect("a line")["comment"];
    assert_eq!(line["kind"], "assignment");
    assert_eq!(
        line["body"],
        format!("Assigned to agent1@{0} by admin@{0}", crew.domain)
    );

    // Someone else's send becomes a comment, costs nothing, and says why.
    let before = balance(&relay, &crew).await;
    let send = json!({"organization_id": crew.org, "chat_id": chat, "text": "I can help!", "idempotency_key": "k2"});
    let (status, redirected) = relay
        .post("/api/v1/messages", &crew.agent2, send.clone())
        .await;
    assert_eq!(status, 202, "{redirected}");
    assert_eq!(
        redirected["detail"],
        format!(
            "Added as a comment: this chat is assigned to agent1@{}.",
            crew.domain
        )
    );
    assert_eq!(redirected["comment"]["kind"], "redirected");
    assert_eq!(redirected["comment"]["body"], "I can help!");
    let (status, again) = relay.post("/api/v1/messages", &crew.agent2, send).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(
        again["comment"]["id"], redirected["comment"]["id"],
        "a retry is the same comment"
    );
    // Admins do not bypass it either (they reassign instead).
    let (status, _) = crew
        .send(&relay, &crew.admin, "+44 7400 000001", "admin here")
        .await;
    assert_eq!(status, 202);
    assert_eq!(
        balance(&relay, &crew).await,
        before,
        "comments cost no credits"
    );

    // Over the WebSocket too.
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &crew.agent2).await;
    let ack = sidebar
        .request(Request::Send {
            message: serde_json::from_value(json!({"organization_id": crew.org, "chat_id": chat, "text": "ws", "idempotency_key": "k3"}))
                .expect("send"),
        })
        .await;
    assert!(
        matches!(&ack, Ok(Ack::Comment { added }) if added.assignee_id == crew.agent1_id),
        "{ack:?}"
    );

    // The assignee's own send goes out.
    let (status, sent) = crew
        .send(&relay, &crew.agent1, "+44 7400 000001", "On it")
        .await;
    assert_eq!(status, 201, "{sent}");
    assert!(balance(&relay, &crew).await < before);

    // An agent cannot take a chat someone handles; an unassigned one, yes.
    let (status, body) = relay
        .put(
            &assignee_path,
            &crew.agent2,
            json!({"assignee_id": crew.agent2_id}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (409, "already_assigned"),
        "{body}"
    );
    let (status, _) = relay
        .put(&assignee_path, &crew.admin, json!({"assignee_id": null}))
        .await;
    assert_eq!(status, 200);
    let (status, taken) = relay
        .put(
            &assignee_path,
            &crew.agent2,
            json!({"assignee_id": crew.agent2_id}),
        )
        .await;
    assert_eq!(status, 200, "{taken}");

    let kinds: Vec<(String, String)> = timeline(&relay, &crew, chat)
        .await
        .iter()
        .map(|item| match item["type"].as_str() {
            Some("comment") => (
                item["comment"]["kind"].as_str().unwrap_or("").to_owned(),
                item["comment"]["body"].as_str().unwrap_or("").to_owned(),
            ),
            _ => (
                "message".to_owned(),
                item["message"]["text"].as_str().unwrap_or("").to_owned(),
            ),
        })
        .collect();
    let d = &crew.domain;
    assert_eq!(
        kinds,
        [
            ("message".into(), "hello".into()),
            (
                "assignment".into(),
                format!("Assigned to agent1@{d} by admin@{d}")
            ),
            ("redirected".into(), "I can help!".into()),
            ("redirected".into(), "admin here".into()),
            ("redirected".into(), "ws".into()),
            ("message".into(), "On it".into()),
            ("assignment".into(), format!("Unassigned by admin@{d}")),
            (
                "assignment".into(),
                format!("Assigned to agent2@{d} by agent2@{d}")
            ),
        ]
    );
}

async fn two_admins_assigning_at_once_leave_one_assignee_and_two_lines_in_order(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let (status, members) = relay
        .patch(
            &format!("/api/v1/orgs/{}/members/{}", crew.org, crew.agent2_id),
            &crew.admin,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(status, 200, "{members}");
    let second_admin = crew.agent2.clone();
    for round in 0..5 {
        let chat = crew
            .chat_with(&relay, &format!("+44 7400 00010{round}"))
            .await;
        let path = crew.path(&format!("/chats/{chat}/assignee"));
        let (one, two) = tokio::join!(
            relay.put(&path, &crew.admin, json!({"assignee_id": crew.agent1_id})),
            relay.put(&path, &second_admin, json!({"assignee_id": crew.admin_id})),
        );
        assert_eq!((one.0, two.0), (200, 200), "{} {}", one.1, two.1);
        let lines: Vec<Value> = timeline(&relay, &crew, chat)
            .await
            .into_iter()
            .filter(|item| item["comment"]["kind"] == "assignment")
            .map(|item| item["comment"].clone())
            .collect();
        assert_eq!(lines.len(), 2, "both assignments are recorded");
        assert!(lines[0]["seq"].as_i64() < lines[1]["seq"].as_i64());
        let (_, chat_now) = relay
            .get(&crew.path(&format!("/chats/{chat}")), &crew.agent1)
            .await;
        assert_eq!(
            chat_now["assignee_id"], lines[1]["assignee_id"],
            "the chat ends with the assignee of the later line"
        );
    }
}
