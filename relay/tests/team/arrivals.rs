//! What the host's chat list shows arrived before it captured it: agents see
//! the chat light up with the preview at once, the signal clears when the
//! messages are stored, it is scoped to the host's own number, and bad
//! reports are refused with the field at fault.

use chorus_shared::protocol::{Ack, ChatActivity, Request, ServerFrame};
use serde_json::Value;

use super::{crew, host, incoming};
use crate::common::ws::WsClient;
use crate::common::{Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    the_list_lights_a_chat_up_until_its_messages_are_captured,
    a_chat_known_only_by_name_is_found_by_its_name,
    arrivals_stay_in_their_own_organization,
    bad_arrival_reports_are_refused,
);

fn listed(title: &str, wa_id: Option<&str>, preview: &str, unread: u32) -> ChatActivity {
    ChatActivity {
        title: title.into(),
        chat_wa_id: wa_id.map(Into::into),
        preview: Some(preview.into()),
        unread,
    }
}

async fn report(host: &mut WsClient, chats: Vec<ChatActivity>) -> Result<Ack, String> {
    host.request(Request::Activity { chats })
        .await
        .map_err(|error| format!("{:?}: {}", error.code, error.message))
}

async fn listed_chats(relay: &TestRelay, path: &str, token: &str) -> Vec<Value> {
    let (status, page) = relay.get(path, token).await;
    assert_eq!(status, 200, "{page}");
    page["chats"].as_array().cloned().unwrap_or_default()
}

async fn the_list_lights_a_chat_up_until_its_messages_are_captured(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "arrivals.test").await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &crew.agent1).await;
    let mut host = host(&relay, &crew).await;

    // A customer nobody has talked to yet, shown by number.
    let shown = listed(
        "+44 7400 000301",
        Some("447400000301@c.us"),
        "Are you open?",
        2,
    );
    assert!(matches!(
        report(&mut host, vec![shown]).await,
        Ok(Ack::Done)
    ));
    let lit = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Chat { chat } if chat.wa_id == "447400000301@c.us" => Some(chat.clone()),
            _ => None,
        })
        .await;
    let waiting = lit.waiting.expect("waiting messages");
    assert_eq!(waiting.count, 2);
    assert_eq!(waiting.preview.as_deref(), Some("Are you open?"));
    assert_eq!(lit.phone.as_deref(), Some("+447400000301"));
    assert_eq!(lit.name, None, "a number is no name");
    let chats = listed_chats(&relay, &crew.path("/chats"), &crew.agent2).await;
    assert_eq!(chats[0]["wa_id"], "447400000301@c.us", "newest first");
    assert_eq!(chats[0]["waiting"]["count"], 2);

    // The host opened the chat: the messages themselves clear the signal.
    incoming(&mut host, "447400000301", None, "Are you open?").await;
    let captured = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Chat { chat }
                if chat.wa_id == "447400000301@c.us" && chat.waiting.is_none() =>
            {
                Some(chat.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(captured.unread, 1);
    let chats = listed_chats(&relay, &crew.path("/chats"), &crew.agent2).await;
    assert!(chats[0]["waiting"].is_null(), "{}", chats[0]);
}

async fn a_chat_known_only_by_name_is_found_by_its_name(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "names.test").await;
    let mut host = host(&relay, &crew).await;
    incoming(&mut host, "447400000302", Some("Bo Customer"), "hi").await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &crew.agent1).await;

    let shown = listed("Bo Customer", None, "one more thing", 1);
    assert!(matches!(
        report(&mut host, vec![shown]).await,
        Ok(Ack::Done)
    ));
    let lit = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Chat { chat } if chat.waiting.is_some() => Some(chat.clone()),
            _ => None,
        })
        .await;
    assert_eq!(lit.wa_id, "447400000302@c.us");
    assert_eq!(
        lit.waiting.and_then(|w| w.preview).as_deref(),
        Some("one more thing")
    );

    // A name no chat or contact has is left for the capture.
    let unknown = listed("Somebody New", None, "hello?", 1);
    assert!(matches!(
        report(&mut host, vec![unknown]).await,
        Ok(Ack::Done)
    ));
    let chats = listed_chats(&relay, &crew.path("/chats"), &crew.admin).await;
    assert_eq!(chats.len(), 1, "no chat made up from a name: {chats:?}");
}

async fn arrivals_stay_in_their_own_organization(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let acme = crew(&relay, "acme-arrivals.test").await;
    let other = crew(&relay, "other-arrivals.test").await;
    // Both have a customer called Ana.
    let mut acme_host = host(&relay, &acme).await;
    let mut other_host = host(&relay, &other).await;
    incoming(&mut acme_host, "447400000303", Some("Ana"), "acme's Ana").await;
    incoming(&mut other_host, "447400000304", Some("Ana"), "other's Ana").await;

    let shown = listed("Ana", None, "for acme only", 1);
    assert!(matches!(
        report(&mut acme_host, vec![shown]).await,
        Ok(Ack::Done)
    ));
    let theirs = listed_chats(&relay, &other.path("/chats"), &other.admin).await;
    assert!(theirs[0]["waiting"].is_null(), "{}", theirs[0]);
    let ours = listed_chats(&relay, &acme.path("/chats"), &acme.admin).await;
    assert_eq!(ours[0]["waiting"]["preview"], "for acme only");
    // A sidebar cannot report arrivals: only the host of a number can.
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &other.admin).await;
    let refused = report(&mut sidebar, vec![listed("Ana", None, "x", 1)]).await;
    assert!(refused.is_err(), "{refused:?}");
}

async fn bad_arrival_reports_are_refused(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "bad-arrivals.test").await;
    let mut host = host(&relay, &crew).await;
    let no_name = report(&mut host, vec![listed(" ", None, "x", 1)]).await;
    assert!(
        no_name.as_ref().is_err_and(|e| e.contains("name")),
        "{no_name:?}"
    );
    let bad_id = report(&mut host, vec![listed("Ana", Some("ana"), "x", 1)]).await;
    assert!(
        bad_id.as_ref().is_err_and(|e| e.contains("chat id")),
        "{bad_id:?}"
    );
    let many = (0..201)
        .map(|i| listed(&format!("C{i}"), None, "x", 1))
        .collect();
    let too_many = report(&mut host, many).await;
    assert!(
        too_many.as_ref().is_err_and(|e| e.contains("at most")),
        "{too_many:?}"
    );
    // The connection still works.
    let shown = listed("+44 7400 000305", Some("447400000305@c.us"), "fine", 1);
    assert!(matches!(
        report(&mut host, vec![shown]).await,
        Ok(Ack::Done)
    ));
}
