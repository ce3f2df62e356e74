//! Bad input on the teamwork endpoints: clear errors, nothing changed.

use serde_json::json;

use super::crew;
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(bad_teamwork_input_is_refused_clearly);

async fn bad_teamwork_input_is_refused_clearly(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let chat = crew.chat_with(&relay, "+44 7400 000001").await;
    let long = "x".repeat(5000);

    let cases = [
        (
            "POST",
            format!("/chats/{chat}/comments"),
            json!({"body": ""}),
            "body",
        ),
        (
            "POST",
            format!("/chats/{chat}/comments"),
            json!({"body": long}),
            "body",
        ),
        ("PATCH", format!("/chats/{chat}"), json!({}), "status"),
        (
            "PATCH",
            format!("/chats/{chat}"),
            json!({"name": long}),
            "name",
        ),
        (
            "PUT",
            format!("/chats/{chat}/assignee"),
            json!({"assignee_id": uuid::Uuid::now_v7()}),
            "assignee_id",
        ),
        (
            "POST",
            "/contacts/bulk-delete".to_owned(),
            json!({"ids": []}),
            "ids",
        ),
        (
            "POST",
            "/contacts/bulk-tag".to_owned(),
            json!({"ids": [uuid::Uuid::now_v7()], "add_tags": [" "]}),
            "add_tags",
        ),
        (
            "POST",
            "/contacts/bulk-tag".to_owned(),
            json!({"ids": [uuid::Uuid::now_v7()]}),
            "add_tags",
        ),
        (
            "POST",
            "/contacts".to_owned(),
            json!({"phone": "+44 7400 000009", "tags": [long]}),
            "tags",
        ),
        (
            "POST",
            "/contacts".to_owned(),
            json!({"phone": "+44 7400 000009", "attributes": {" ": "x"}}),
            "attributes",
        ),
    ];
    for (method, path, mut body, field) in cases {
        let path = if method == "POST" && path.starts_with("/contacts") {
            body["organization_id"] = json!(crew.org);
            format!("/api/v1{path}")
        } else {
            crew.path(&path)
        };
        let (status, answer) = relay
            .call(
                method.parse().expect("method"),
                &path,
                Some(&crew.admin),
                Some(body),
            )
            .await;
        assert_eq!(status, 422, "{method} {path}: {answer}");
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{method} {path} names {field}: {answer}"
        );
    }
    for query in [
        "/chats?assignee=someone",
        "/chats?cursor=yesterday",
        "/chats?status=closed",
        "/contacts?attribute=city",
        "/changes?after=-1",
        "/changes?after=12:not-a-uuid",
    ] {
        let (status, answer) = relay.get(&crew.path(query), &crew.admin).await;
        assert!(status == 422 || status == 400, "{query}: {status} {answer}");
        error_code(&answer);
    }

    // A selection over the limit, and a body over the bulk limit.
    let too_many: Vec<uuid::Uuid> = (0..50_001).map(|_| uuid::Uuid::nil()).collect();
    let (status, answer) = relay
        .post(
            "/api/v1/contacts/bulk-delete",
            &crew.admin,
            json!({"organization_id": crew.org, "ids": too_many}),
        )
        .await;
    assert_eq!(
        (status, error_code(&answer)),
        (422, "validation_failed"),
        "{answer}"
    );
    let huge: Vec<String> = (0..60_000).map(|n| format!("{n:036}")).collect();
    let (status, answer) = relay
        .post(
            "/api/v1/contacts/bulk-delete",
            &crew.admin,
            json!({"organization_id": crew.org, "ids": huge}),
        )
        .await;
    assert_eq!(
        (status, error_code(&answer)),
        (413, "payload_too_large"),
        "{answer}"
    );

    // Groups need a group id; comments of others cannot be changed.
    let (status, answer) = relay
        .post(
            "/api/v1/groups",
            &crew.admin,
            json!({"organization_id": crew.org, "wa_id": "447400000001@c.us"}),
        )
        .await;
    assert_eq!(
        (status, error_code(&answer)),
        (422, "validation_failed"),
        "{answer}"
    );
    let (_, chats) = relay.get(&crew.path("/chats"), &crew.admin).await;
    let listed = chats["chats"].as_array().expect("chats");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "open", "nothing changed");
    assert!(listed[0]["assignee_id"].is_null());
}
