//! Contacts: made from traffic and by hand, filtered, renamed (the chat list
//! follows), bulk-tagged and bulk-deleted with their chats left readable.

use serde_json::{json, Value};

use super::{crew, host, incoming, uuid_of};
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(contacts_come_from_traffic_and_hands_and_change_in_bulk);

fn phones(page: &Value) -> Vec<String> {
    page["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|contact| contact["phone"].as_str().expect("phone").to_owned())
        .collect()
}

async fn contacts_come_from_traffic_and_hands_and_change_in_bulk(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let chat = crew.chat_with(&relay, "07400 000001").await;
    let mut host = host(&relay, &crew).await;
    incoming(&mut host, "447400000002", Some("Bea"), "hello").await;

    let (status, list) = relay.get(&crew.path("/contacts"), &crew.agent1).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 2);
    let by_phone = |phone: &str| {
        list["contacts"]
            .as_array()
            .expect("contacts")
            .iter()
            .find(|contact| contact["phone"] == phone)
            .cloned()
            .expect("contact")
    };
    assert_eq!(
        by_phone("+447400000001")["source"],
        "outgoing",
        "national number read in GB"
    );
    assert_eq!(by_phone("+447400000002")["source"], "incoming");
    assert_eq!(by_phone("+447400000002")["name"], "Bea");

    let (status, added) = relay
        .post(
            "/api/v1/contacts",
            &crew.agent1,
            json!({"organization_id": crew.org, "phone": "+44 7400 000003", "name": "Cy",
                   "tags": ["Lead", "lead ", "london"], "attributes": {"city": "London", "plan": "gold"}}),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["tags"], json!(["lead", "london"]));
    assert_eq!(added["attributes"]["city"], "London");
    let (status, body) = relay
        .post(
            "/api/v1/contacts",
            &crew.agent2,
            json!({"organization_id": crew.org, "phone": "+447400000003"}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (409, "contact_exists"),
        "{body}"
    );
    let (status, body) = relay
        .post(
            "/api/v1/contacts",
            &crew.agent2,
            json!({"organization_id": crew.org, "phone": "12"}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "invalid_phone_number"),
        "{body}"
    );

    let (_, found) = relay
        .get(&crew.path("/contacts?tag=LEAD"), &crew.admin)
        .await;
    assert_eq!(phones(&found), ["+447400000003"]);
    let (_, found) = relay
        .get(&crew.path("/contacts?attribute=plan%3Dgold"), &crew.admin)
        .await;
    assert_eq!(phones(&found), ["+447400000003"]);
    let (_, found) = relay.get(&crew.path("/contacts?q=bea"), &crew.admin).await;
    assert_eq!(phones(&found), ["+447400000002"]);
    let (_, found) = relay.get(&crew.path("/contacts?q=0001"), &crew.admin).await;
    assert_eq!(phones(&found), ["+447400000001"]);

    // Renaming a contact renames its chat in the list.
    let first = uuid_of(&by_phone("+447400000001")["id"]);
    let (status, renamed) = relay
        .patch(
            &crew.path(&format!("/contacts/{first}")),
            &crew.agent2,
            json!({"name": "Ann"}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    let (_, chat_now) = relay
        .get(&crew.path(&format!("/chats/{chat}")), &crew.agent1)
        .await;
    assert_eq!(chat_now["name"], "Ann");
    assert_eq!(uuid_of(&chat_now["contact_id"]), first);
    // ... and naming the chat names its contact.
    let (status, _) = relay
        .patch(
            &crew.path(&format!("/chats/{chat}")),
            &crew.agent2,
            json!({"name": "Ann Smith"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, contact) = relay
        .get(&crew.path(&format!("/contacts/{first}")), &crew.agent1)
        .await;
    assert_eq!(contact["name"], "Ann Smith");

    // Bulk: tag all three, then delete two (an unknown id is skipped).
    let (_, all) = relay.get(&crew.path("/contacts"), &crew.admin).await;
    let ids: Vec<Value> = all["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|contact| contact["id"].clone())
        .collect();
    let (status, tagged) = relay
        .post(
            "/api/v1/contacts/bulk-tag",
            &crew.agent1,
            json!({"organization_id": crew.org, "ids": ids, "add_tags": ["Spring"], "remove_tags": ["lead"]}),
        )
        .await;
    assert_eq!(
        (status, tagged["affected"].as_u64()),
        (200, Some(3)),
        "{tagged}"
    );
    let (_, spring) = relay
        .get(&crew.path("/contacts?tag=spring"), &crew.admin)
        .await;
    assert_eq!(spring["total"], 3);
    let (_, lead) = relay
        .get(&crew.path("/contacts?tag=lead"), &crew.admin)
        .await;
    assert_eq!(lead["total"], 0);

    let doomed = json!([ids[0], ids[1], uuid::Uuid::now_v7()]);
    let (status, _) = relay
        .post(
            "/api/v1/contacts/bulk-delete",
            &crew.agent1,
            json!({"organization_id": crew.org, "ids": doomed}),
        )
        .await;
    assert_eq!(status, 403, "deleting in bulk is an admin's right");
    let (status, deleted) = relay
        .post(
            "/api/v1/contacts/bulk-delete",
            &crew.admin,
            json!({"organization_id": crew.org, "ids": doomed}),
        )
        .await;
    assert_eq!(
        (status, deleted["affected"].as_u64()),
        (200, Some(2)),
        "{deleted}"
    );
    let (_, left) = relay.get(&crew.path("/contacts"), &crew.admin).await;
    assert_eq!(left["total"], 1);
    let (status, _) = relay
        .get(
            &crew.path(&format!("/contacts/{}", uuid_of(&ids[0]))),
            &crew.admin,
        )
        .await;
    assert_eq!(status, 404);
    let (_, chats) = relay.get(&crew.path("/chats"), &crew.admin).await;
    assert_eq!(
        chats["chats"].as_array().expect("chats").len(),
        2,
        "chats stay"
    );
    let (status, timeline) = relay
        .get(&crew.path(&format!("/chats/{chat}/timeline")), &crew.admin)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        timeline["items"][0]["message"]["text"], "hello",
        "and readable"
    );

    // Writing to a deleted contact's number brings the contact back.
    crew.chat_with(&relay, "+44 7400 000001").await;
    let (_, back) = relay.get(&crew.path("/contacts?q=0001"), &crew.admin).await;
    assert_eq!(phones(&back), ["+447400000001"]);
}
