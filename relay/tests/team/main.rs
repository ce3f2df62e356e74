//! Teamwork end to end: chats, assignment, comments, contacts, groups, the
//! file library and their live events, against real relays over HTTP and
//! WebSockets; every scenario on SQLite and on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod arrivals;
mod assignment;
mod bad_input;
mod chats;
mod comments;
mod contacts;
mod isolation;
mod library;
mod live;
mod received;

use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{Ack, IncomingMessage, Request};
use serde_json::{json, Value};
use uuid::Uuid;

use common::ws::WsClient;
use common::{grant, TestRelay};

/// An organization with an admin, two agents and credits.
pub(crate) struct Crew {
    pub(crate) admin: String,
    pub(crate) agent1: String,
    pub(crate) agent2: String,
    pub(crate) admin_id: Uuid,
    pub(crate) agent1_id: Uuid,
    pub(crate) agent2_id: Uuid,
    pub(crate) org: String,
    pub(crate) org_id: Uuid,
    pub(crate) domain: String,
}

pub(crate) async fn crew(relay: &TestRelay, domain: &str) -> Crew {
    let (admin, org) = relay
        .organization_admin(&format!("admin@{domain}"), domain)
        .await;
    let agent1 = relay.agent(&format!("agent1@{domain}")).await;
    relay
        .join(&admin, &org, &format!("agent1@{domain}"), &agent1)
        .await;
    let agent2 = relay.agent(&format!("agent2@{domain}")).await;
    relay
        .join(&admin, &org, &format!("agent2@{domain}"), &agent2)
        .await;
    grant(relay, Some(&org), None, 1000).await;
    Crew {
        admin_id: user_id(relay, &admin).await,
        agent1_id: user_id(relay, &agent1).await,
        agent2_id: user_id(relay, &agent2).await,
        admin,
        agent1,
        agent2,
        org_id: org.parse().expect("uuid"),
        org,
        domain: domain.to_owned(),
    }
}

async fn user_id(relay: &TestRelay, token: &str) -> Uuid {
    let (status, me) = relay.get("/api/v1/me", token).await;
    assert_eq!(status, 200, "{me}");
    uuid_of(&me["id"])
}

pub(crate) fn uuid_of(value: &Value) -> Uuid {
    value
        .as_str()
        .unwrap_or_else(|| panic!("an id, got {value}"))
        .parse()
        .expect("uuid")
}

impl Crew {
    /// A path under `/api/v1` with this organization's profile.
    pub(crate) fn path(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("/api/v1{path}{separator}organization_id={}", self.org)
    }

    /// Sends text through the organization's number.
    pub(crate) async fn send(
        &self,
        relay: &TestRelay,
        token: &str,
        phone: &str,
        text: &str,
    ) -> (u16, Value) {
        relay
            .post(
                "/api/v1/messages",
                token,
                json!({"organization_id": self.org, "phone": phone, "text": text,
                       "idempotency_key": Uuid::now_v7().to_string()}),
            )
            .await
    }

    /// Sends to a number and returns the chat's id.
    pub(crate) async fn chat_with(&self, relay: &TestRelay, phone: &str) -> Uuid {
        let (status, message) = self.send(relay, &self.admin, phone, "hello").await;
        assert_eq!(status, 201, "{message}");
        uuid_of(&message["chat_id"])
    }
}

/// The admin's browser hosting the organization's number.
pub(crate) async fn host(relay: &TestRelay, crew: &Crew) -> WsClient {
    WsClient::host(&relay.ws_url(), &crew.admin, Some(crew.org_id)).await
}

/// A message arriving on the host's page.
pub(crate) async fn incoming(host: &mut WsClient, digits: &str, name: Option<&str>, text: &str) {
    let ack = host
        .request(Request::Incoming {
            message: IncomingMessage {
                wa_id: format!("false_{digits}@c.us_{}", Uuid::now_v7().simple()),
                chat_wa_id: format!("{digits}@c.us"),
                kind: MessageKind::Text,
                text: Some(text.into()),
                chat_name: name.map(str::to_owned),
                sender: None,
                wa_time: None,
                media: None,
            },
        })
        .await;
    assert!(matches!(ack, Ok(Ack::Incoming { .. })), "{ack:?}");
}
