//! Removing or demoting a member reaches their open connections at once:
//! a removed member's sidebar stops receiving the organization's events,
//! and a host that is no longer an admin stops hosting and is refused.

use std::time::Duration;

use chorus_relay::store::MemberChange;
use chorus_shared::account::Role;
use chorus_shared::error::ErrorCode;
use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{IncomingMessage, Request, ServerFrame};
use serde_json::json;

use super::{team, user_id, Team};
use crate::common::ws::WsClient;
use crate::common::{Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    a_removed_member_stops_receiving_live_events,
    a_demoted_host_stops_hosting_at_once,
    a_host_demoted_through_another_relay_is_refused_and_closed,
    deleting_the_organization_ends_every_members_access
);

/// Adds a contact to the organization as its admin.
async fn add_contact(relay: &TestRelay, team: &Team, phone: &str, name: &str) {
    let (status, body) = relay
        .post(
            "/api/v1/contacts",
            &team.admin,
            json!({"organization_id": team.org, "phone": phone, "name": name}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

fn contact_named(name: &'static str) -> impl FnMut(&ServerFrame) -> bool {
    move |frame| matches!(frame, ServerFrame::Contact { contact } if contact.name.as_deref() == Some(name))
}

fn incoming(n: u32) -> Request {
    Request::Incoming {
        message: IncomingMessage {
            wa_id: format!("false_447400123456@c.us_FORGED{n}"),
            chat_wa_id: "447400123456@c.us".into(),
            kind: MessageKind::Text,
            text: Some("a message nobody sent".into()),
            chat_name: None,
            sender: None,
            wa_time: None,
            media: None,
        },
    }
}

async fn a_removed_member_stops_receiving_live_events(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let agent_id = user_id(&relay, &team.agent).await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &team.agent).await;

    add_contact(&relay, &team, "+44 7400 100001", "Before").await;
    sidebar
        .wait_for(|frame| contact_named("Before")(frame).then_some(()))
        .await;

    let (status, body) = relay
        .delete(
            &format!("/api/v1/orgs/{}/members/{agent_id}", team.org),
            &team.admin,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    add_contact(&relay, &team, "+44 7400 100002", "After").await;
    assert!(
        sidebar
            .quiet_for(Duration::from_millis(500), contact_named("After"))
            .await,
        "a removed member's open sidebar still received the organization's contact"
    );

    // The connection itself stays useful for the member's own number.
    let (status, _) = relay
        .post(
            "/api/v1/contacts",
            &team.agent,
            json!({"phone": "+44 7400 100003", "name": "Mine"}),
        )
        .await;
    assert_eq!(status, 201);
    sidebar
        .wait_for(|frame| contact_named("Mine")(frame).then_some(()))
        .await;

    // Joining again reaches the open sidebar too.
    relay
        .join(&team.admin, &team.org, &team.agent_email, &team.agent)
        .await;
    add_contact(&relay, &team, "+44 7400 100004", "Again").await;
    sidebar
        .wait_for(|frame| contact_named("Again")(frame).then_some(()))
        .await;
}

async fn a_demoted_host_stops_hosting_at_once(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let agent_id = user_id(&relay, &team.agent).await;
    let (status, body) = relay
        .patch(
            &format!("/api/v1/orgs/{}/members/{agent_id}", team.org),
            &team.admin,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut host = WsClient::host(&relay.ws_url(), &team.agent, Some(team.org_id)).await;
    let mut admin_sidebar = WsClient::sidebar(&relay.ws_url(), &team.admin).await;
    assert!(
        host.request(incoming(1)).await.is_ok(),
        "an admin's host reports"
    );

    let (status, body) = relay
        .patch(
            &format!("/api/v1/orgs/{}/members/{agent_id}", team.org),
            &team.admin,
            json!({"role": "agent"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let reason = host.closed().await.expect("told why");
    assert_eq!(reason.code, ErrorCode::Forbidden, "{reason:?}");
    admin_sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Host {
                organization_id,
                online: false,
            } if *organization_id == Some(team.org_id) => Some(()),
            _ => None,
        })
        .await;

    // Hosting again is refused while an agent.
    let refused = WsClient::connect(
        &relay.ws_url(),
        &team.agent,
        chorus_shared::protocol::ClientRole::Host {
            organization_id: Some(team.org_id),
            take_over: true,
        },
    )
    .await
    .err()
    .expect("an agent cannot host");
    assert_eq!(refused.code, ErrorCode::Forbidden);

    let (_, page) = relay
        .get(
            &format!("/api/v1/messages?organization_id={}", team.org),
            &team.admin,
        )
        .await;
    assert_eq!(
        page["messages"].as_array().map(Vec::len),
        Some(1),
        "only the report made while admin: {page}"
    );
}

/// Several relays may share one PostgreSQL database; a role changed through
/// another relay is seen on the next host request that writes, and at the
/// next keep-alive.
async fn a_host_demoted_through_another_relay_is_refused_and_closed(backend: Backend) {
    let relay = TestRelay::start_with(
        backend,
        chorus_relay::Settings {
            keepalive: Duration::from_millis(300),
            ..Default::default()
        },
    )
    .await;
    let team = team(&relay, "acme.test", 10).await;
    let agent_id = user_id(&relay, &team.agent).await;
    let store = &relay.db.store;
    store
        .change_member(team.org_id, agent_id, MemberChange::Role(Role::Admin))
        .await
        .expect("promote");
    let mut host = WsClient::host(&relay.ws_url(), &team.agent, Some(team.org_id)).await;
    store
        .change_member(team.org_id, agent_id, MemberChange::Role(Role::Agent))
        .await
        .expect("demote behind this relay's back");
    match host.request(incoming(2)).await {
        Err(refused) => assert_eq!(refused.code, ErrorCode::Forbidden),
        Ok(ack) => panic!("a demoted host recorded an incoming message: {ack:?}"),
    }
    let reason = host.closed().await.expect("told why");
    assert_eq!(reason.code, ErrorCode::Forbidden);
    let (_, credits) = relay
        .get(
            &format!("/api/v1/credits?organization_id={}", team.org),
            &team.admin,
        )
        .await;
    assert_eq!(credits["available"], 10, "nothing was charged");
}

async fn deleting_the_organization_ends_every_members_access(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 10).await;
    let host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let path = format!("/api/v1/orgs/{}", team.org);
    let request = |token: &str, name: &str| {
        relay
            .http
            .delete(relay.url(&path))
            .bearer_auth(token)
            .json(&json!({"name": name}))
            .send()
    };
    let status = request(&team.agent, "acme.test")
        .await
        .expect("request")
        .status();
    assert_eq!(status, 403, "an agent cannot delete it");
    let (other_admin, _) = relay.organization_admin("admin@other.test", "Other").await;
    let status = request(&other_admin, "acme.test")
        .await
        .expect("request")
        .status();
    assert_eq!(
        status, 404,
        "another tenant's admin sees no such organization"
    );
    let status = request(&team.admin, "another name")
        .await
        .expect("request")
        .status();
    assert_eq!(status, 422, "the name confirms which organization");
    let status = request(&team.admin, "ACME.test")
        .await
        .expect("request")
        .status();
    assert_eq!(status, 204);

    let reason = host.closed().await.expect("told why");
    assert_eq!(reason.code, ErrorCode::Forbidden);
    for token in [&team.admin, &team.agent] {
        let (_, mine) = relay.get("/api/v1/orgs", token).await;
        assert_eq!(mine["organizations"], json!([]));
        let (status, _) = relay.get(&format!("{path}/members"), token).await;
        assert_eq!(status, 404);
        let (status, _) = relay
            .get(
                &format!("/api/v1/contacts?organization_id={}", team.org),
                token,
            )
            .await;
        assert_eq!(status, 404, "its data is out of reach");
    }
}
