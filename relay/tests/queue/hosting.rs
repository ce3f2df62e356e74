//! Hosting a number: one live host per number, admins only; incoming
//! messages captured once, shown live, and charged.

use chorus_shared::error::ErrorCode;
use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{Ack, ClientRole, IncomingMessage, Request, ServerFrame};

use super::{balance, team};
use crate::common::ws::WsClient;
use crate::common::{Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    one_host_per_number_unless_taking_over,
    incoming_messages_are_stored_once_shown_live_and_charged,
    the_queue_summary_counts_what_waits_for_the_host,
);

async fn one_host_per_number_unless_taking_over(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 0).await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &team.agent).await;
    let first = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;

    let refused = WsClient::connect(
        &relay.ws_url(),
        &team.admin,
        ClientRole::Host {
            organization_id: Some(team.org_id),
            take_over: false,
        },
    )
    .await
    .err()
    .expect("a second host is refused");
    assert_eq!(refused.code, ErrorCode::HostAlreadyConnected);
    assert!(refused.message.contains("take_over"), "{}", refused.message);

    let agent_host = WsClient::connect(
        &relay.ws_url(),
        &team.agent,
        ClientRole::Host {
            organization_id: Some(team.org_id),
            take_over: true,
        },
    )
    .await
    .err()
    .expect("agents cannot host");
    assert_eq!(agent_host.code, ErrorCode::Forbidden);

    let _second = WsClient::connect(
        &relay.ws_url(),
        &team.admin,
        ClientRole::Host {
            organization_id: Some(team.org_id),
            take_over: true,
        },
    )
    .await
    .expect("take-over succeeds");
    let reason = first.closed().await.expect("the replaced host is told why");
    assert_eq!(reason.code, ErrorCode::HostAlreadyConnected);
    assert!(
        !sidebar
            .quiet_for(std::time::Duration::from_millis(200), |f| matches!(
                f,
                ServerFrame::Host { online: true, .. }
            ))
            .await,
        "sidebars see the host online"
    );
}

async fn incoming_messages_are_stored_once_shown_live_and_charged(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let mut agent_sidebar = WsClient::sidebar(&relay.ws_url(), &team.agent).await;
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let incoming = IncomingMessage {
        wa_id: "false_447400999888@c.us_3EB0FF".into(),
        chat_wa_id: "447400999888@c.us".into(),
        kind: MessageKind::Image,
        text: Some("Here is the photo".into()),
        chat_name: Some("Dana".into()),
        sender: None,
        wa_time: None,
        media: None,
    };
    let first = host
        .request(Request::Incoming {
            message: incoming.clone(),
        })
        .await;
    let Ok(Ack::Incoming {
        message,
        duplicate: false,
    }) = first
    else {
        panic!("stored: {first:?}");
    };
    assert_eq!(
        message.direction,
        chorus_shared::message::Direction::Incoming
    );
    assert_eq!(message.status.as_str(), "received");
    let again = host
        .request(Request::Incoming {
            message: incoming.clone(),
        })
        .await;
    assert!(
        matches!(
            again,
            Ok(Ack::Incoming {
                duplicate: true,
                ..
            })
        ),
        "{again:?}"
    );

    let shown = agent_sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Message { message }
                if message.wa_id.as_deref() == Some(incoming.wa_id.as_str()) =>
            {
                Some(message.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(shown.text.as_deref(), Some("Here is the photo"));
    assert_eq!(shown.kind, MessageKind::Image);
    assert!(
        agent_sidebar
            .quiet_for(
                std::time::Duration::from_millis(300),
                |f| matches!(f, ServerFrame::Message { message } if message.id == shown.id)
            )
            .await,
        "shown once"
    );
    assert_eq!(
        balance(&relay, &team.agent, Some(&team.org)).await,
        (8, 0),
        "an image costs 2, once"
    );
    let (_, page) = relay
        .get(
            &format!("/api/v1/messages?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(page["messages"].as_array().map(Vec::len), Some(1));

    // Running out of credits does not lose incoming messages.
    let many = (0..5).map(|n| IncomingMessage {
        wa_id: format!("false_447400999888@c.us_N{n}"),
        chat_wa_id: "447400999888@c.us".into(),
        kind: MessageKind::Video,
        text: None,
        chat_name: None,
        sender: None,
        wa_time: None,
        media: None,
    });
    for message in many {
        let stored = host.request(Request::Incoming { message }).await;
        assert!(matches!(
            stored,
            Ok(Ack::Incoming {
                duplicate: false,
                ..
            })
        ));
    }
    let (available, _) = balance(&relay, &team.agent, Some(&team.org)).await;
    assert!(available >= 0, "never negative");
    assert_eq!(available, 0, "8 credits pay for two videos");
    let (_, page) = relay
        .get(
            &format!("/api/v1/messages?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(
        page["messages"].as_array().map(Vec::len),
        Some(6),
        "all stored"
    );
}

mod keepalive {
    use chorus_relay::Settings;
    use chorus_shared::error::ErrorCode;
    use chorus_shared::protocol::ServerFrame;

    use crate::common::ws::WsClient;
    use crate::common::{Backend, TestRelay};

    /// Pings keep the connection (and an extension's service worker) alive;
    /// signing out ends live connections at the next check.
    async fn pings_flow_and_a_signed_out_session_is_disconnected(backend: Backend) {
        let settings = Settings {
            keepalive: std::time::Duration::from_millis(200),
            ..Settings::default()
        };
        let relay = TestRelay::start_with(backend, settings).await;
        let token = relay.agent("pinged@example.test").await;
        let mut sidebar = WsClient::sidebar(&relay.ws_url(), &token).await;
        for _ in 0..2 {
            sidebar
                .wait_for(|frame| matches!(frame, ServerFrame::Ping).then_some(()))
                .await;
        }
        let (status, _) = relay
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/signout",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, 204);
        let reason = sidebar.closed().await.expect("told why");
        assert_eq!(reason.code, ErrorCode::Unauthenticated);
    }

    /// A connection that never says hello is closed with the reason.
    async fn a_silent_connection_is_closed(backend: Backend) {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;

        let settings = Settings {
            hello_timeout: std::time::Duration::from_millis(200),
            ..Settings::default()
        };
        let relay = TestRelay::start_with(backend, settings).await;
        let (mut socket, _) = tokio_tungstenite::connect_async(relay.ws_url())
            .await
            .expect("connects");
        let mut refusal = None;
        while let Ok(Some(Ok(message))) =
            tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await
        {
            match message {
                Message::Text(text) => refusal = Some(text.to_string()),
                Message::Close(_) => break,
                _ => {}
            }
        }
        let refusal = refusal.expect("a reply before closing");
        assert!(
            refusal.contains("unauthenticated") && refusal.contains("hello"),
            "{refusal}"
        );
    }

    crate::on_every_backend!(
        pings_flow_and_a_signed_out_session_is_disconnected,
        a_silent_connection_is_closed,
    );
}

async fn the_queue_summary_counts_what_waits_for_the_host(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let other = team_other(&relay).await;
    for (n, phone) in ["+44 7400 111001", "+44 7400 111002"].iter().enumerate() {
        let (status, _) = super::send_text(
            &relay,
            &team.agent,
            Some(&team.org),
            phone,
            "hi",
            &format!("k{n}"),
        )
        .await;
        assert_eq!(status, 201);
    }
    let path = format!("/api/v1/queue?organization_id={}", team.org);
    let (status, summary) = relay.get(&path, &team.agent).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        summary,
        serde_json::json!({"queued": 2, "sending": 0, "host_online": false})
    );

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let _first = host.next_dispatch().await;
    let (_, summary) = relay.get(&path, &team.admin).await;
    assert_eq!(
        summary,
        serde_json::json!({"queued": 1, "sending": 1, "host_online": true})
    );

    // Another organization's admin learns nothing about this queue.
    let (status, body) = relay.get(&path, &other).await;
    assert_eq!(status, 404, "{body}");
}

/// The admin of a second, unrelated organization.
async fn team_other(relay: &TestRelay) -> String {
    relay
        .organization_admin("admin@other.test", "other.test")
        .await
        .0
}
