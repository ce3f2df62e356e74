//! The chat list: order, filters, search, paging, status and unread counts.

use serde_json::{json, Value};

use super::{crew, host, incoming, uuid_of};
use crate::common::{Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(the_chat_list_filters_searches_and_pages);

fn ids(page: &Value) -> Vec<uuid::Uuid> {
    page["chats"]
        .as_array()
        .expect("chats")
        .iter()
        .map(|chat| uuid_of(&chat["id"]))
        .collect()
}

async fn the_chat_list_filters_searches_and_pages(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let first = crew.chat_with(&relay, "+44 7400 000001").await;
    let second = crew.chat_with(&relay, "+44 7400 000002").await;
    let third = crew.chat_with(&relay, "+44 7400 000003").await;
    let mut host = host(&relay, &crew).await;
    incoming(&mut host, "447400000009", Some("Zed Customer"), "hi there").await;

    let (status, all) = relay.get(&crew.path("/chats"), &crew.agent1).await;
    assert_eq!(status, 200, "{all}");
    let listed = ids(&all);
    assert_eq!(listed.len(), 4);
    assert_eq!(
        &listed[1..],
        [third, second, first],
        "newest activity first"
    );
    let newest = &all["chats"][0];
    assert_eq!(newest["name"], "Zed Customer", "named from WhatsApp Web");
    assert_eq!(newest["unread"], 1);
    assert_eq!(newest["last_message"]["text"], "hi there");
    assert_eq!(newest["last_message"]["direction"], "incoming");
    let zed = uuid_of(&newest["id"]);
    let chat_of_third = &all["chats"][1];
    assert_eq!(chat_of_third["phone"], "+447400000003");
    assert_eq!(chat_of_third["last_message"]["text"], "hello");
    assert_eq!(chat_of_third["status"], "open");

    // Search by name (any case) and by digits written any way.
    let (_, found) = relay.get(&crew.path("/chats?q=zED"), &crew.agent1).await;
    assert_eq!(ids(&found), [zed]);
    let (_, found) = relay
        .get(&crew.path("/chats?q=7400%20000002"), &crew.agent1)
        .await;
    assert_eq!(ids(&found), [second]);

    // Status: resolving is recorded; an incoming message reopens.
    let (status, resolved) = relay
        .patch(
            &crew.path(&format!("/chats/{zed}")),
            &crew.agent1,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    let (_, only) = relay
        .get(&crew.path("/chats?status=resolved"), &crew.agent1)
        .await;
    assert_eq!(ids(&only), [zed]);
    let (_, open) = relay
        .get(&crew.path("/chats?status=open"), &crew.agent1)
        .await;
    assert_eq!(ids(&open).len(), 3);
    incoming(&mut host, "447400000009", None, "one more thing").await;
    let (_, chat) = relay
        .get(&crew.path(&format!("/chats/{zed}")), &crew.agent1)
        .await;
    assert_eq!(chat["status"], "open", "reopened by the customer");
    assert_eq!(chat["unread"], 2);
    let (status, read) = relay
        .post(
            &crew.path(&format!("/chats/{zed}/read")),
            &crew.agent2,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["unread"], 0);

    // Assignee filters.
    let (status, assigned) = relay
        .put(
            &crew.path(&format!("/chats/{first}/assignee")),
            &crew.admin,
            json!({"assignee_id": crew.agent1_id}),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    let (_, mine) = relay
        .get(&crew.path("/chats?assignee=mine"), &crew.agent1)
        .await;
    assert_eq!(ids(&mine), [first]);
    let (_, mine) = relay
        .get(&crew.path("/chats?assignee=mine"), &crew.agent2)
        .await;
    assert!(ids(&mine).is_empty());
    let (_, theirs) = relay
        .get(
            &crew.path(&format!("/chats?assignee={}", crew.agent1_id)),
            &crew.admin,
        )
        .await;
    assert_eq!(ids(&theirs), [first]);
    let (_, unassigned) = relay
        .get(&crew.path("/chats?assignee=unassigned"), &crew.agent2)
        .await;
    assert_eq!(ids(&unassigned).len(), 3);

    // Tag filter (tags live on the chat's contact).
    let (_, contact) = relay
        .get(&crew.path("/contacts?q=000002"), &crew.admin)
        .await;
    let contact_id = contact["contacts"][0]["id"]
        .as_str()
        .expect("contact")
        .to_owned();
    let (status, _) = relay
        .patch(
            &crew.path(&format!("/contacts/{contact_id}")),
            &crew.admin,
            json!({"tags": ["VIP"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, tagged) = relay.get(&crew.path("/chats?tag=vip"), &crew.agent2).await;
    assert_eq!(ids(&tagged), [second]);

    // Pages of two, by cursor: every chat once.
    let mut seen = Vec::new();
    let mut path = crew.path("/chats?limit=2");
    loop {
        let (status, page) = relay.get(&path, &crew.agent2).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page));
        match page["next"].as_str() {
            Some(next) => path = crew.path(&format!("/chats?limit=2&cursor={next}")),
            None => break,
        }
    }
    let (_, all) = relay.get(&crew.path("/chats"), &crew.agent2).await;
    assert_eq!(seen, ids(&all), "pages cover the list once, in order");
}
