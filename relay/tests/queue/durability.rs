//! Nothing accepted is lost, and nothing is sent twice: across relay
//! restarts, and when the host's browser dies mid-send.

use std::collections::HashSet;

use chorus_relay::Settings;
use chorus_shared::protocol::{DeliveryReport, Dispatch};
use uuid::Uuid;

use super::{id_of, send_text, team};
use crate::common::ws::WsClient;
use crate::common::{Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    a_relay_restart_loses_no_queued_message,
    a_host_killed_mid_send_gets_the_message_again_and_does_not_resend,
    a_lease_held_across_a_restart_comes_back,
);

/// A stand-in for the extension's host: it remembers what it has sent (as the
/// extension keeps in its storage), so a redelivered id is reported, not resent.
struct SimulatedHost {
    sent: HashSet<Uuid>,
    whatsapp: Vec<Uuid>,
}

impl SimulatedHost {
    fn new() -> Self {
        Self {
            sent: HashSet::new(),
            whatsapp: Vec::new(),
        }
    }

    /// Performs the send in "WhatsApp" unless it already did.
    fn perform(&mut self, dispatch: &Dispatch) -> String {
        if self.sent.insert(dispatch.message_id) {
            self.whatsapp.push(dispatch.message_id);
        }
        format!(
            "true_{}_{}",
            dispatch.chat_wa_id,
            dispatch.message_id.simple()
        )
    }
}

async fn a_relay_restart_loses_no_queued_message(backend: Backend) {
    let mut relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let (status, body) = send_text(
            &relay,
            &team.agent,
            Some(&team.org),
            "+44 7400 123456",
            &format!("m{n}"),
            &format!("r{n}"),
        )
        .await;
        assert_eq!(status, 201);
        ids.push(id_of(&body));
    }
    relay.restart().await;

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let mut phone = SimulatedHost::new();
    for expected in &ids {
        let dispatch = host.next_dispatch().await;
        assert_eq!(dispatch.message_id, *expected);
        let wa_id = phone.perform(&dispatch);
        host.report(
            dispatch.message_id,
            DeliveryReport::Sent { wa_id: Some(wa_id) },
        )
        .await;
    }
    assert_eq!(phone.whatsapp, ids, "each sent exactly once, in order");
    let (_, credits) = relay
        .get(
            &format!("/api/v1/credits?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(
        (credits["available"].as_i64(), credits["reserved"].as_i64()),
        (Some(7), Some(0))
    );
}

async fn a_host_killed_mid_send_gets_the_message_again_and_does_not_resend(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let (_, first) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "one",
        "h1",
    )
    .await;
    let (_, second) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "two",
        "h2",
    )
    .await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &team.agent).await;
    let mut phone = SimulatedHost::new();

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let dispatch = host.next_dispatch().await;
    assert_eq!(dispatch.message_id, id_of(&first));
    host.report(dispatch.message_id, DeliveryReport::Sending)
        .await;
    phone.perform(&dispatch);
    host.kill(); // the browser dies after sending, before reporting

    sidebar
        .message_status(id_of(&first), "waiting_for_host")
        .await;

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let again = host.next_dispatch().await;
    assert_eq!(
        again.message_id,
        id_of(&first),
        "the unreported message comes back"
    );
    let wa_id = phone.perform(&again);
    host.report(
        again.message_id,
        DeliveryReport::Sent {
            wa_id: Some(wa_id.clone()),
        },
    )
    .await;
    let next = host.next_dispatch().await;
    assert_eq!(next.message_id, id_of(&second));
    let wa_id_2 = phone.perform(&next);
    host.report(
        next.message_id,
        DeliveryReport::Sent {
            wa_id: Some(wa_id_2),
        },
    )
    .await;

    assert_eq!(
        phone.whatsapp,
        vec![id_of(&first), id_of(&second)],
        "nothing sent twice"
    );
    let sent = sidebar.message_status(id_of(&first), "sent").await;
    assert_eq!(sent.wa_id.as_deref(), Some(wa_id.as_str()));
    let (_, credits) = relay
        .get(
            &format!("/api/v1/credits?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(credits["available"], 8, "charged once each");
}

async fn a_lease_held_across_a_restart_comes_back(backend: Backend) {
    let settings = Settings {
        lease: chrono::Duration::seconds(1),
        ..Settings::default()
    };
    let mut relay = TestRelay::start_with(backend, settings).await;
    let team = team(&relay, "acme.test", 10).await;
    let (_, queued) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+44 7400 123456",
        "one",
        "l1",
    )
    .await;
    let mut phone = SimulatedHost::new();
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let dispatch = host.next_dispatch().await;
    phone.perform(&dispatch);
    relay.restart().await; // the old relay dies holding the lease
    drop(host);

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let again = host.next_dispatch().await; // after the lease lapses
    assert_eq!(again.message_id, id_of(&queued));
    let wa_id = phone.perform(&again);
    host.report(
        again.message_id,
        DeliveryReport::Sent { wa_id: Some(wa_id) },
    )
    .await;
    assert_eq!(phone.whatsapp.len(), 1, "sent once");
}
