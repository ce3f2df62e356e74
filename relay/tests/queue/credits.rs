//! Credits: reserved when queued, committed when sent, released on failure
//! or cancel; never negative, never charged twice.

use chorus_shared::protocol::DeliveryReport;
use serde_json::json;

use super::{balance, id_of, send_text, team, upload};
use crate::common::ws::WsClient;
use crate::common::{error_code, grant, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    a_retried_send_is_queued_and_charged_once,
    concurrent_senders_never_overdraw,
    a_send_without_enough_credits_is_refused_and_stores_nothing,
    cancel_and_failure_release_the_reservation,
    personal_sends_use_the_users_own_credits,
);

async fn a_retried_send_is_queued_and_charged_once(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let (first, body) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "hi",
        "same-key",
    )
    .await;
    assert_eq!(first, 201);
    let (again, retry) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "hi",
        "same-key",
    )
    .await;
    assert_eq!(again, 200, "a retry is not a new message");
    assert_eq!(id_of(&retry), id_of(&body));

    // Eight clients retrying one send at the same moment.
    let retries = (0..8).map(|_| {
        send_text(
            &relay,
            &team.agent,
            Some(&team.org),
            "+44 7400 123456",
            "x",
            "raced-key",
        )
    });
    let answers = futures_util::future::join_all(retries).await;
    let ids: std::collections::HashSet<_> = answers.iter().map(|(_, body)| id_of(body)).collect();
    assert_eq!(ids.len(), 1, "one message for one key: {answers:?}");
    assert_eq!(
        answers.iter().filter(|(status, _)| *status == 201).count(),
        1
    );
    assert_eq!(balance(&relay, &team.agent, Some(&team.org)).await, (8, 2));
}

async fn concurrent_senders_never_overdraw(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 30).await;
    let second_agent = relay.agent("second@acme.test").await;
    relay
        .join(&team.admin, &team.org, "second@acme.test", &second_agent)
        .await;
    let tokens = [team.admin.clone(), team.agent.clone(), second_agent];
    let sends = (0..60).map(|n| {
        let token = tokens[n % tokens.len()].clone();
        let relay = &relay;
        let org = team.org.clone();
        async move {
            send_text(
                relay,
                &token,
                Some(&org),
                "+44 7400 123456",
                "promo",
                &format!("c{n}"),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let accepted = answers.iter().filter(|(status, _)| *status == 201).count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 402)
        .collect();
    assert_eq!(accepted, 30, "exactly the balance's worth is accepted");
    assert_eq!(refused.len(), 30);
    assert_eq!(error_code(&refused[0].1), "insufficient_credits");
    assert_eq!(balance(&relay, &team.admin, Some(&team.org)).await, (0, 30));

    let (_, credits) = relay
        .get(
            &format!("/api/v1/credits?organization_id={}", team.org),
            &team.admin,
        )
        .await;
    let reserves = credits["ledger"]
        .as_array()
        .expect("ledger")
        .iter()
        .filter(|line| line["kind"] == "reserve")
        .count();
    assert_eq!(reserves, 30, "one ledger line per accepted message");
}

async fn a_send_without_enough_credits_is_refused_and_stores_nothing(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 2).await;
    let (_, file) = upload(
        &relay,
        &team.agent,
        &team.org,
        b"%PDF-1.4\n%%EOF\n".to_vec(),
    )
    .await;
    let (status, body) = relay
        .post(
            "/api/v1/messages",
            &team.agent,
            json!({"organization_id": team.org, "phone": "+44 7400 123456", "attachment_id": file["id"], "idempotency_key": "d"}),
        )
        .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(error_code(&body), "insufficient_credits");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("needs 3 credits, 2 available")),
        "{body}"
    );
    let (_, page) = relay
        .get(
            &format!("/api/v1/messages?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(page["messages"], json!([]), "nothing stored");
    assert_eq!(balance(&relay, &team.agent, Some(&team.org)).await, (2, 0));
}

async fn cancel_and_failure_release_the_reservation(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 5).await;
    let (_, first) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "a",
        "a",
    )
    .await;
    let (_, second) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "b",
        "b",
    )
    .await;
    assert_eq!(balance(&relay, &team.agent, Some(&team.org)).await, (3, 2));

    let (_, third) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "c",
        "c",
    )
    .await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &team.agent).await;
    let over_socket = sidebar
        .request(chorus_shared::protocol::Request::Cancel {
            message_id: id_of(&third),
        })
        .await;
    let Ok(chorus_shared::protocol::Ack::Message { message }) = over_socket else {
        panic!("cancelled over the socket: {over_socket:?}");
    };
    assert_eq!(message.status.as_str(), "cancelled");
    let cancel = format!(
        "/api/v1/messages/{}/cancel?organization_id={}",
        id_of(&second),
        team.org
    );
    let (status, cancelled) = relay.post(&cancel, &team.agent, json!({})).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(balance(&relay, &team.agent, Some(&team.org)).await, (4, 1));
    let (status, body) = relay.post(&cancel, &team.agent, json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&body), "not_cancellable");

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let dispatch = host.next_dispatch().await;
    assert_eq!(
        dispatch.message_id,
        id_of(&first),
        "the cancelled message is never dispatched"
    );
    let cancel_first = format!(
        "/api/v1/messages/{}/cancel?organization_id={}",
        id_of(&first),
        team.org
    );
    let (status, _) = relay.post(&cancel_first, &team.agent, json!({})).await;
    assert_eq!(status, 409, "a dispatched message cannot be cancelled");

    host.report(
        dispatch.message_id,
        DeliveryReport::Failed {
            reason: "The phone number is not on WhatsApp".into(),
        },
    )
    .await;
    let (_, failed) = relay
        .get(
            &format!(
                "/api/v1/messages/{}?organization_id={}",
                id_of(&first),
                team.org
            ),
            &team.agent,
        )
        .await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["failure_reason"],
        "The phone number is not on WhatsApp"
    );
    assert_eq!(
        balance(&relay, &team.agent, Some(&team.org)).await,
        (5, 0),
        "everything released"
    );
    host.report(
        dispatch.message_id,
        DeliveryReport::Failed {
            reason: "again".into(),
        },
    )
    .await;
    assert_eq!(
        balance(&relay, &team.agent, Some(&team.org)).await,
        (5, 0),
        "released once"
    );
}

async fn personal_sends_use_the_users_own_credits(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let token = relay.agent("solo@example.test").await;
    relay
        .put(
            "/api/v1/me/phone",
            &token,
            json!({"phone": "+91 98765 43210"}),
        )
        .await;
    let (status, body) = send_text(&relay, &token, None, "98765 12345", "hi", "p1").await;
    assert_eq!(status, 402, "no credits yet: {body}");
    grant(&relay, None, Some("solo@example.test"), 4).await;
    let (status, body) = send_text(&relay, &token, None, "98765 12345", "hi", "p1").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["organization_id"], serde_json::Value::Null);
    assert_eq!(
        body["chat_wa_id"], "919876512345@c.us",
        "read in the user's own country"
    );
    assert_eq!(balance(&relay, &token, None).await, (3, 1));

    let mut host = WsClient::host(&relay.ws_url(), &token, None).await;
    let dispatch = host.next_dispatch().await;
    assert_eq!(dispatch.message_id, id_of(&body));
    host.report(dispatch.message_id, DeliveryReport::Sent { wa_id: None })
        .await;
    assert_eq!(balance(&relay, &token, None).await, (3, 0));
}
