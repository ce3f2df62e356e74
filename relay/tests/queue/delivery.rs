//! A message goes from an agent, through the relay, to the host, and its
//! status comes back to every sidebar.

use chorus_shared::protocol::DeliveryReport;
use serde_json::json;

use super::{balance, id_of, send_text, team};
use crate::common::ws::WsClient;
use crate::common::{Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    an_agents_message_reaches_the_host_and_comes_back_sent,
    messages_wait_for_the_host_and_go_out_in_order,
    a_document_with_caption_carries_its_file,
    the_change_feed_catches_up_after_a_reconnect,
);

async fn an_agents_message_reaches_the_host_and_comes_back_sent(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let mut agent_sidebar = WsClient::sidebar(&relay.ws_url(), &team.agent).await;
    let mut admin_sidebar = WsClient::sidebar(&relay.ws_url(), &team.admin).await;

    let (status, queued) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "Hello from Chorus 👋\nSecond line",
        "k1",
    )
    .await;
    assert_eq!(status, 201, "{queued}");
    let id = id_of(&queued);
    assert_eq!(queued["direction"], "outgoing");
    assert_eq!(queued["chat_wa_id"], "447400123456@c.us");
    assert_eq!(queued["cost"], 1);

    let dispatch = host.next_dispatch().await;
    assert_eq!(dispatch.message_id, id);
    assert_eq!(dispatch.phone.as_deref(), Some("+447400123456"));
    assert_eq!(
        dispatch.text.as_deref(),
        Some("Hello from Chorus 👋\nSecond line"),
        "multi-line and emoji intact"
    );
    agent_sidebar.message_status(id, "sending").await;

    host.report(id, DeliveryReport::Sending).await;
    host.report(
        id,
        DeliveryReport::Sent {
            wa_id: Some("true_447400123456@c.us_3EB0ABC".into()),
        },
    )
    .await;
    let sent = agent_sidebar.message_status(id, "sent").await;
    assert_eq!(
        sent.wa_id.as_deref(),
        Some("true_447400123456@c.us_3EB0ABC")
    );
    admin_sidebar.message_status(id, "sent").await;
    host.report(id, DeliveryReport::Delivered).await;
    agent_sidebar.message_status(id, "delivered").await;
    host.report(id, DeliveryReport::Read).await;
    agent_sidebar.message_status(id, "read").await;
    host.report(id, DeliveryReport::Delivered).await;

    let (_, stored) = relay
        .get(
            &format!("/api/v1/messages/{id}?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(stored["status"], "read", "ticks never go backwards");
    assert_eq!(
        balance(&relay, &team.agent, Some(&team.org)).await,
        (9, 0),
        "the organization paid 1"
    );
    let (_, mine) = relay.get("/api/v1/credits", &team.agent).await;
    assert_eq!(mine["available"], 0, "the agent's own balance is untouched");
    let live_credits = agent_sidebar
        .wait_for(|frame| match frame {
            chorus_shared::protocol::ServerFrame::Credits {
                available: 9,
                reserved: 0,
                ..
            } => Some(9),
            _ => None,
        })
        .await;
    assert_eq!(live_credits, 9, "the committed balance is pushed live");
}

async fn messages_wait_for_the_host_and_go_out_in_order(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &team.agent).await;
    let mut ids = Vec::new();
    for (n, phone) in ["+44 7400 111111", "+44 7400 222222", "+44 7400 111111"]
        .iter()
        .enumerate()
    {
        let (status, body) = send_text(
            &relay,
            &team.agent,
            Some(&team.org),
            phone,
            &format!("message {n}"),
            &format!("key-{n}"),
        )
        .await;
        assert_eq!(status, 201);
        assert_eq!(body["status"], "waiting_for_host", "{body}");
        ids.push(id_of(&body));
    }
    sidebar.message_status(ids[0], "waiting_for_host").await;
    let (_, page) = relay
        .get(
            &format!("/api/v1/messages?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(page["host_online"], false);

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let online = sidebar
        .wait_for(|frame| match frame {
            chorus_shared::protocol::ServerFrame::Host { online, .. } => Some(*online),
            _ => None,
        })
        .await;
    assert!(online, "sidebars learn that the host is back");
    for expected in &ids {
        let dispatch = host.next_dispatch().await;
        assert_eq!(dispatch.message_id, *expected, "queue order is kept");
        assert!(
            host.quiet_for(std::time::Duration::from_millis(300), |f| matches!(
                f,
                chorus_shared::protocol::ServerFrame::Dispatch { .. }
            ))
            .await,
            "one message at a time"
        );
        host.report(dispatch.message_id, DeliveryReport::Sent { wa_id: None })
            .await;
    }
    for id in &ids {
        sidebar.message_status(*id, "sent").await;
    }
    assert_eq!(
        super::balance(&relay, &team.admin, Some(&team.org)).await,
        (7, 0)
    );
}

async fn a_document_with_caption_carries_its_file(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let pdf =
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
            .to_vec();
    let uploaded: serde_json::Value = relay
        .http
        .post(relay.url(&format!(
            "/api/v1/files?organization_id={}&name=Quote%20May.pdf",
            team.org
        )))
        .bearer_auth(&team.agent)
        .header("content-type", "image/png")
        .body(pdf.clone())
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("file");
    assert_eq!(
        uploaded["kind"], "document",
        "detected from the bytes, not the header: {uploaded}"
    );
    assert_eq!(uploaded["mime"], "application/pdf");
    assert_eq!(uploaded["name"], "Quote May.pdf");

    let (status, queued) = relay
        .post(
            "/api/v1/messages",
            &team.agent,
            json!({"organization_id": team.org, "phone": "07400 123456", "text": "Your quote",
                   "attachment_id": uploaded["id"], "idempotency_key": "doc-1"}),
        )
        .await;
    assert_eq!(status, 201, "{queued}");
    assert_eq!(queued["kind"], "document");
    assert_eq!(queued["cost"], 3);
    assert_eq!(
        queued["chat_wa_id"], "447400123456@c.us",
        "national number read in the org's country"
    );

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let dispatch = host.next_dispatch().await;
    assert_eq!(dispatch.text.as_deref(), Some("Your quote"));
    let url = dispatch.attachment_url.expect("attachment url");
    let bytes = relay
        .http
        .get(relay.url(&url))
        .bearer_auth(&team.admin)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(
        bytes.as_ref(),
        pdf.as_slice(),
        "the host gets the exact bytes"
    );
    host.report(dispatch.message_id, DeliveryReport::Sent { wa_id: None })
        .await;
    assert_eq!(balance(&relay, &team.agent, Some(&team.org)).await, (7, 0));
}

async fn the_change_feed_catches_up_after_a_reconnect(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 20).await;
    let feed = |after: i64, limit: i64| {
        format!(
            "/api/v1/messages?organization_id={}&after={after}&limit={limit}",
            team.org
        )
    };
    let (_, start) = relay.get(&feed(0, 100), &team.agent).await;
    let cursor = start["cursor"].as_i64().expect("cursor");

    // While this sidebar is away: five messages queued, two of them sent.
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let (_, body) = send_text(
            &relay,
            &team.admin,
            Some(&team.org),
            "+44 7400 123456",
            &format!("m{n}"),
            &format!("f{n}"),
        )
        .await;
        ids.push(id_of(&body));
    }
    for _ in 0..2 {
        let dispatch = host.next_dispatch().await;
        host.report(dispatch.message_id, DeliveryReport::Sent { wa_id: None })
            .await;
    }
    host.next_dispatch().await;

    let mut seen = std::collections::HashMap::new();
    let mut after = cursor;
    let mut pages = 0;
    loop {
        let (status, page) = relay.get(&feed(after, 2), &team.agent).await;
        assert_eq!(status, 200);
        pages += 1;
        for message in page["messages"].as_array().expect("messages") {
            seen.insert(
                id_of(message),
                message["status"].as_str().expect("status").to_owned(),
            );
        }
        after = page["cursor"].as_i64().expect("cursor");
        if !page["more"].as_bool().expect("more") {
            break;
        }
    }
    assert!(pages >= 3, "small pages walk the feed");
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[&ids[0]], "sent");
    assert_eq!(seen[&ids[1]], "sent");
    assert_eq!(seen[&ids[2]], "sending");
    assert_eq!(seen[&ids[3]], "queued");
    let (_, empty) = relay.get(&feed(after, 2), &team.agent).await;
    assert_eq!(
        empty["messages"],
        json!([]),
        "nothing new after the last cursor"
    );
}
