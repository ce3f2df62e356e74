//! Another organization's chats, comments, contacts, groups and files are
//! out of reach on every endpoint, and its events never arrive.

use std::time::Duration;

use serde_json::{json, Value};

use super::{crew, host, incoming, uuid_of};
use crate::common::ws::WsClient;
use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(another_organizations_teamwork_is_out_of_reach);

async fn another_organizations_teamwork_is_out_of_reach(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let alpha = crew(&relay, "alpha.test").await;
    let beta = crew(&relay, "beta.test").await;
    let mut beta_sidebar = WsClient::sidebar(&relay.ws_url(), &beta.agent1).await;

    let chat = alpha.chat_with(&relay, "+44 7400 000001").await;
    let mut alpha_host = host(&relay, &alpha).await;
    incoming(&mut alpha_host, "447400000002", Some("Secret"), "private").await;
    let (_, comment) = relay
        .post(
            &alpha.path(&format!("/chats/{chat}/comments")),
            &alpha.agent1,
            json!({"body": "alpha only"}),
        )
        .await;
    let comment = uuid_of(&comment["id"]);
    let (_, contacts) = relay.get(&alpha.path("/contacts"), &alpha.admin).await;
    let contact_ids: Vec<Value> = contacts["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|contact| contact["id"].clone())
        .collect();
    let contact = uuid_of(&contact_ids[0]);
    let file = relay
        .http
        .post(relay.url(&alpha.path("/files?name=a.pdf")))
        .bearer_auth(&alpha.agent1)
        .body(b"%PDF-1.4\n%%EOF\n".to_vec())
        .send()
        .await
        .expect("upload")
        .json::<Value>()
        .await
        .expect("file");
    let file = uuid_of(&file["id"]);

    // Beta's members, through beta's profile and through alpha's id.
    for org in [beta.org.clone(), alpha.org.clone()] {
        let q = format!("organization_id={org}");
        let calls: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", format!("/api/v1/chats/{chat}?{q}"), None),
            (
                "PATCH",
                format!("/api/v1/chats/{chat}?{q}"),
                Some(json!({"status": "resolved"})),
            ),
            (
                "POST",
                format!("/api/v1/chats/{chat}/read?{q}"),
                Some(json!({})),
            ),
            (
                "PUT",
                format!("/api/v1/chats/{chat}/assignee?{q}"),
                Some(json!({"assignee_id": null})),
            ),
            ("GET", format!("/api/v1/chats/{chat}/timeline?{q}"), None),
            (
                "POST",
                format!("/api/v1/chats/{chat}/comments?{q}"),
                Some(json!({"body": "x"})),
            ),
            (
                "PATCH",
                format!("/api/v1/comments/{comment}?{q}"),
                Some(json!({"body": "x"})),
            ),
            ("DELETE", format!("/api/v1/comments/{comment}?{q}"), None),
            ("GET", format!("/api/v1/contacts/{contact}?{q}"), None),
            (
                "PATCH",
                format!("/api/v1/contacts/{contact}?{q}"),
                Some(json!({"name": "x"})),
            ),
            (
                "PATCH",
                format!("/api/v1/files/{file}?{q}"),
                Some(json!({"name": "x.pdf"})),
            ),
            ("DELETE", format!("/api/v1/files/{file}?{q}"), None),
        ];
        for (method, path, body) in calls {
            let (status, answer) = relay
                .call(
                    method.parse().expect("method"),
                    &path,
                    Some(&beta.admin),
                    body,
                )
                .await;
            assert_eq!(status, 404, "{method} {path}: {answer}");
            assert_eq!(error_code(&answer), "not_found");
        }
    }
    for path in [
        "/api/v1/chats",
        "/api/v1/contacts",
        "/api/v1/files",
        "/api/v1/groups",
        "/api/v1/changes",
    ] {
        let (status, answer) = relay
            .get(
                &format!("{path}?organization_id={}", alpha.org),
                &beta.admin,
            )
            .await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let (status, _) = relay
        .post(
            "/api/v1/groups",
            &beta.admin,
            json!({"organization_id": alpha.org, "wa_id": "120363000000000001@g.us"}),
        )
        .await;
    assert_eq!(status, 404);

    // Bulk changes through beta's profile with alpha's ids touch nothing.
    for path in ["/api/v1/contacts/bulk-delete", "/api/v1/contacts/bulk-tag"] {
        let (status, answer) = relay
            .post(
                path,
                &beta.admin,
                json!({"organization_id": beta.org, "ids": contact_ids, "add_tags": if path.ends_with("tag") { json!(["x"]) } else { json!([]) }}),
            )
            .await;
        assert_eq!(
            (status, answer["affected"].as_u64()),
            (200, Some(0)),
            "{path}: {answer}"
        );
    }
    let (_, after) = relay.get(&alpha.path("/contacts"), &alpha.admin).await;
    assert_eq!(after["total"], 2);
    assert!(after["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .all(|c| c["tags"] == json!([])));
    let (_, beta_chats) = relay.get(&beta.path("/chats"), &beta.admin).await;
    assert!(beta_chats["chats"].as_array().expect("chats").is_empty());

    // Alpha's live events stay in alpha.
    relay
        .post(
            &alpha.path(&format!("/chats/{chat}/comments")),
            &alpha.agent1,
            json!({"body": "still alpha only"}),
        )
        .await;
    assert!(
        beta_sidebar
            .quiet_for(Duration::from_millis(300), |frame| {
                // Beta's own events (its balance, say) may still arrive.
                let text = serde_json::to_string(frame).unwrap_or_default();
                text.contains(&alpha.org) || text.contains(&chat.to_string())
            })
            .await,
        "beta hears nothing of alpha"
    );
}
