//! Characters that cannot be stored are refused at the boundary, alike on
//! both databases, and a request the database refuses fails alone, never
//! the batch it was committed with.

use std::sync::Arc;

use chorus_relay::store::{AccountRef, ChatRef, ChatTarget, NewOutgoing, Report};
use chorus_shared::error::ErrorCode;
use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{DeliveryReport, IncomingMessage, Request};
use serde_json::json;
use uuid::Uuid;

use super::{send_text, team, user_id};
use crate::common::ws::WsClient;
use crate::common::{error_code, Backend, TestRelay, PASSWORD};
use crate::on_every_backend;

on_every_backend!(
    control_characters_are_refused_naming_the_field,
    one_tenants_bad_send_never_fails_anothers,
    a_refused_member_of_a_batch_fails_alone
);

async fn control_characters_are_refused_naming_the_field(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    // No account is needed to reach the database with an email.
    for path in ["/api/v1/auth/signup", "/api/v1/auth/signin"] {
        let (status, body) = relay
            .call(
                reqwest::Method::POST,
                path,
                None,
                Some(json!({"email": "ana\u{0}@example.com", "password": PASSWORD})),
            )
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (422, "validation_failed"),
            "{path}: {body}"
        );
        assert!(body["error"]["fields"]["email"]
            .as_str()
            .is_some_and(|problem| problem.contains("U+0000")));
    }

    let team = team(&relay, "acme.test", 10).await;
    let (status, body) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "hi\u{0}",
        "k1",
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "validation_failed"),
        "{body}"
    );
    assert!(body["error"]["fields"]["text"].is_string(), "{body}");

    let (status, body) = relay
        .post(
            "/api/v1/contacts",
            &team.agent,
            json!({"organization_id": team.org, "phone": "+44 7400 123457", "name": "Ana", "attributes": {"city": "Lis\u{1b}[2Jbon"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["attributes.city"].is_string(),
        "{body}"
    );

    let (status, body) = relay
        .get(
            &format!("/api/v1/contacts?organization_id={}&q=a%00b", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(status, 422, "a query string too: {body}");
    assert!(body["error"]["fields"]["q"].is_string(), "{body}");

    // WebSocket frames are checked the same way, and the request is answered.
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let refused = host
        .request(Request::Incoming {
            message: IncomingMessage {
                wa_id: "false_447400123456@c.us_ABC".into(),
                chat_wa_id: "447400123456@c.us".into(),
                chat_name: Some("Bob\u{0}".into()),
                sender: None,
                wa_time: None,
                media: None,
                kind: MessageKind::Text,
                text: Some("hello".into()),
            },
        })
        .await
        .expect_err("a NUL in a reported name");
    assert_eq!(refused.code, ErrorCode::ValidationFailed);
    assert!(
        refused
            .fields
            .keys()
            .any(|field| field.ends_with("chat_name")),
        "{refused:?}"
    );

    let (_, page) = relay
        .get(
            &format!("/api/v1/messages?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(page["messages"], json!([]), "nothing was stored");
}

async fn one_tenants_bad_send_never_fails_anothers(backend: Backend) {
    let relay = Arc::new(TestRelay::start(backend).await);
    let tenant_a = team(&relay, "a.test", 100).await;
    let tenant_b = team(&relay, "b.test", 100).await;
    let mut calls = Vec::new();
    for round in 0..30 {
        let b_relay = Arc::clone(&relay);
        let (token, org) = (tenant_b.agent.clone(), tenant_b.org.clone());
        calls.push(tokio::spawn(async move {
            send_text(
                &b_relay,
                &token,
                Some(&org),
                "+44 7400 123456",
                "hello",
                &format!("b{round}"),
            )
            .await
        }));
        if round % 10 == 5 {
            let relay = Arc::clone(&relay);
            let (token, org) = (tenant_a.agent.clone(), tenant_a.org.clone());
            calls.push(tokio::spawn(async move {
                let (status, body) = send_text(
                    &relay,
                    &token,
                    Some(&org),
                    "+44 7400 123456",
                    "x\u{0}",
                    &format!("a{round}"),
                )
                .await;
                (status + 1000, body)
            }));
        }
    }
    for call in calls {
        let (status, body) = call.await.expect("task");
        match status {
            status if status >= 1000 => assert_eq!(status - 1000, 422, "tenant A: {body}"),
            status => assert_eq!(status, 201, "tenant B: {body}"),
        }
    }
}

/// The batch writers themselves: a send (and a report) that the database
/// refuses, committed together with other tenants' sends, fails by itself.
async fn a_refused_member_of_a_batch_fails_alone(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let tenant_b = team(&relay, "b.test", 100).await;
    let author = user_id(&relay, &tenant_b.agent).await;
    let account = AccountRef::Organization(tenant_b.org_id);
    let store = relay.db.store.as_ref();
    let new = |n: usize, author_id: Uuid| NewOutgoing {
        id: Uuid::now_v7(),
        account,
        author_id,
        chat: ChatRef::Target(ChatTarget {
            wa_id: format!("4474001234{n:02}@c.us"),
            phone: Some(format!("+4474001234{n:02}")),
            name: None,
        }),
        kind: MessageKind::Text,
        text: Some(format!("message {n}")),
        attachment_id: None,
        idempotency_key: format!("batch-{n}"),
        lease: None,
        campaign_id: None,
    };
    let mut batch: Vec<NewOutgoing> = (0..10).map(|n| new(n, author)).collect();
    // An author who does not exist: refused by a foreign key on both databases.
    batch.insert(4, new(99, Uuid::now_v7()));
    let results = chorus_relay::messaging::queue_batch(store, batch).await;
    assert_eq!(results.len(), 11);
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result.is_ok(), index != 4, "send {index}: {result:?}");
    }

    let mut reports: Vec<Report> = results
        .iter()
        .flatten()
        .filter_map(|queued| match &queued.outcome {
            chorus_relay::store::SendOutcome::Message(message) => Some(message.id),
            chorus_relay::store::SendOutcome::Comment(_) => None,
        })
        .enumerate()
        .map(|(n, message_id)| Report {
            account,
            message_id,
            report: DeliveryReport::Sent {
                wa_id: Some(format!("true_4474001234{n:02}@c.us_OK{n}")),
            },
            lease: None,
        })
        .collect();
    // PostgreSQL cannot store a NUL; the relay's boundary refuses it, but a
    // batch must survive a refused member whatever the cause.
    reports[3].report = DeliveryReport::Sent {
        wa_id: Some("true_447400123403@c.us_\u{0}".into()),
    };
    let applied =
        chorus_relay::messaging::apply_report_batch(store, reports, chrono::Duration::seconds(60))
            .await;
    for (index, result) in applied.iter().enumerate() {
        if index != 3 {
            assert!(result.is_ok(), "report {index}: {result:?}");
        }
    }
}
