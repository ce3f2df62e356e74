//! The OpenAPI document describes every endpoint the relay serves.

use std::collections::BTreeSet;

use crate::common::{Backend, TestRelay};

#[tokio::test]
async fn the_document_lists_every_endpoint_and_method() {
    let relay = TestRelay::start(Backend::Sqlite).await;
    let document: serde_json::Value = relay
        .http
        .get(relay.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON document");
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let expected: BTreeSet<String> = [
        "POST /api/v1/auth/signup",
        "POST /api/v1/auth/signin",
        "POST /api/v1/auth/signout",
        "GET /api/v1/me",
        "PUT /api/v1/me/account-type",
        "PUT /api/v1/me/phone",
        "GET /api/v1/profiles",
        "GET /api/v1/queue",
        "GET /api/v1/orgs",
        "GET /api/v1/orgs/{org_id}",
        "PATCH /api/v1/orgs/{org_id}",
        "DELETE /api/v1/orgs/{org_id}",
        "GET /api/v1/orgs/{org_id}/members",
        "DELETE /api/v1/orgs/{org_id}/members/{user_id}",
        "PATCH /api/v1/orgs/{org_id}/members/{user_id}",
        "GET /api/v1/orgs/{org_id}/invites",
        "POST /api/v1/orgs/{org_id}/invites",
        "DELETE /api/v1/orgs/{org_id}/invites/{invite_id}",
        "GET /api/v1/orgs/{org_id}/audit",
        "POST /api/v1/invites/{invite_id}/accept",
        "POST /api/v1/invites/{invite_id}/decline",
        "POST /api/v1/messages",
        "GET /api/v1/messages",
        "GET /api/v1/messages/{message_id}",
        "POST /api/v1/messages/{message_id}/cancel",
        "PUT /api/v1/messages/{message_id}/media",
        "POST /api/v1/files",
        "GET /api/v1/files",
        "GET /api/v1/files/{file_id}",
        "PATCH /api/v1/files/{file_id}",
        "DELETE /api/v1/files/{file_id}",
        "GET /api/v1/chats",
        "GET /api/v1/chats/{chat_id}",
        "PATCH /api/v1/chats/{chat_id}",
        "POST /api/v1/chats/{chat_id}/read",
        "PUT /api/v1/chats/{chat_id}/assignee",
        "GET /api/v1/chats/{chat_id}/timeline",
        "POST /api/v1/chats/{chat_id}/comments",
        "PATCH /api/v1/comments/{comment_id}",
        "DELETE /api/v1/comments/{comment_id}",
        "GET /api/v1/contacts",
        "POST /api/v1/contacts",
        "GET /api/v1/contacts/{contact_id}",
        "PATCH /api/v1/contacts/{contact_id}",
        "POST /api/v1/contacts/bulk-delete",
        "POST /api/v1/contacts/bulk-tag",
        "GET /api/v1/groups",
        "POST /api/v1/groups",
        "GET /api/v1/changes",
        "GET /api/v1/files/{file_id}/content",
        "GET /api/v1/credits",
        "POST /api/v1/admin/credits",
        "GET /api/v1/pacing",
        "PUT /api/v1/pacing",
        "POST /api/v1/spreadsheets",
        "POST /api/v1/spreadsheets/{spreadsheet_id}/preview",
        "GET /api/v1/campaigns",
        "POST /api/v1/campaigns",
        "GET /api/v1/campaigns/{campaign_id}",
        "DELETE /api/v1/campaigns/{campaign_id}",
        "GET /api/v1/campaigns/{campaign_id}/recipients",
        "GET /api/v1/campaigns/{campaign_id}/results.csv",
        "POST /api/v1/campaigns/{campaign_id}/start",
        "POST /api/v1/campaigns/{campaign_id}/pause",
        "POST /api/v1/campaigns/{campaign_id}/resume",
        "POST /api/v1/campaigns/{campaign_id}/cancel",
        "GET /api/v1/ws",
        "GET /healthz",
        "GET /readyz",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(documented, expected);
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());

    // Every documented operation is actually routed (no 404 "No such endpoint").
    for operation in &expected {
        let (method, path) = operation.split_once(' ').expect("method and path");
        let concrete = path
            .replace("{org_id}", &uuid::Uuid::nil().to_string())
            .replace("{user_id}", &uuid::Uuid::nil().to_string())
            .replace("{invite_id}", &uuid::Uuid::nil().to_string())
            .replace("{message_id}", &uuid::Uuid::nil().to_string())
            .replace("{file_id}", &uuid::Uuid::nil().to_string());
        let method: reqwest::Method = method.parse().expect("method");
        let response = relay
            .http
            .request(method, relay.url(&concrete))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert!(
            !(status == 404 && body.contains("No such endpoint")) && status != 405,
            "{operation} is documented but not routed ({status}: {body})"
        );
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let relay = TestRelay::start(backend).await;
        for path in ["/healthz", "/readyz"] {
            let response = relay
                .http
                .get(relay.url(path))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200, "{path} on {backend:?}");
        }
        relay.stop().await;
    }
}

/// The operations the extension calls, as `shared` declares them, are the
/// relay's own: a renamed path or method fails here, not in a user's click.
#[test]
fn the_shared_endpoints_are_routes_of_the_relay() {
    let document = chorus_relay::documented();
    for (method, template) in chorus_shared::endpoints::ALL {
        let path = format!("/api/v1{template}");
        let item = document
            .paths
            .paths
            .get(&path)
            .unwrap_or_else(|| panic!("{path} is not a route of the relay"));
        let operation = match method {
            chorus_shared::endpoints::Method::Get => &item.get,
            chorus_shared::endpoints::Method::Post => &item.post,
            chorus_shared::endpoints::Method::Put => &item.put,
            chorus_shared::endpoints::Method::Patch => &item.patch,
            chorus_shared::endpoints::Method::Delete => &item.delete,
        };
        assert!(
            operation.is_some(),
            "{} {path} is not routed",
            method.as_str()
        );
    }
}
