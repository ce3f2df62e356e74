//! Live events and the change feed: every change reaches connected sidebars
//! at once, and a sidebar that was away catches up from its cursor, page by
//! page, missing nothing and seeing nothing twice.

use std::collections::HashSet;

use chorus_shared::protocol::ServerFrame;
use serde_json::{json, Value};

use super::{crew, uuid_of, Crew};
use crate::common::ws::WsClient;
use crate::common::{Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    changes_reach_sidebars_live,
    a_returning_sidebar_catches_up_from_its_cursor,
    the_feed_head_is_where_a_loaded_client_follows_from,
);

async fn the_feed_head_is_where_a_loaded_client_follows_from(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "head.test").await;
    let feed = |after: i64| crew.path(&format!("/messages?after={after}&limit=1"));
    let (status, empty) = relay.get(&feed(0), &crew.agent1).await;
    assert_eq!(status, 200, "{empty}");
    let chat = crew.chat_with(&relay, "+44 7400 000001").await;
    let (_, page) = relay.get(&feed(0), &crew.agent1).await;
    let head = page["head"].as_i64().expect("head");
    assert!(head > empty["head"].as_i64().expect("head"), "{page}");
    // A teamwork change moves the head too, and is found after it was read.
    relay
        .post(
            &crew.path(&format!("/chats/{chat}/comments")),
            &crew.agent1,
            json!({"body": "after the head"}),
        )
        .await;
    let (_, later) = relay.get(&feed(head), &crew.agent1).await;
    assert!(later["head"].as_i64().expect("head") > head, "{later}");
    let (status, changes) = relay
        .get(&crew.path(&format!("/changes?after={head}")), &crew.agent1)
        .await;
    assert_eq!(status, 200, "{changes}");
    let bodies: Vec<&str> = changes["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .filter_map(|comment| comment["body"].as_str())
        .collect();
    assert_eq!(bodies, ["after the head"]);
}

async fn changes_reach_sidebars_live(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let chat = crew.chat_with(&relay, "+44 7400 000001").await;
    let mut sidebar = WsClient::sidebar(&relay.ws_url(), &crew.agent2).await;

    relay
        .put(
            &crew.path(&format!("/chats/{chat}/assignee")),
            &crew.admin,
            json!({"assignee_id": crew.agent1_id}),
        )
        .await;
    let line = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Comment { comment } if comment.chat_id == chat => Some(comment.clone()),
            _ => None,
        })
        .await;
    assert!(line.body.starts_with("Assigned to agent1@"));
    let assigned = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Chat { chat: view } if view.id == chat => Some(view.clone()),
            _ => None,
        })
        .await;
    assert_eq!(assigned.assignee_id, Some(crew.agent1_id));

    relay
        .post(
            &crew.path(&format!("/chats/{chat}/comments")),
            &crew.agent1,
            json!({"body": "calling them"}),
        )
        .await;
    sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Comment { comment } if comment.body == "calling them" => Some(()),
            _ => None,
        })
        .await;

    let (_, contact) = relay
        .post(
            "/api/v1/contacts",
            &crew.agent1,
            json!({"organization_id": crew.org, "phone": "+44 7400 000002", "name": "Bo"}),
        )
        .await;
    let contact_id = uuid_of(&contact["id"]);
    sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Contact { contact } if contact.id == contact_id => Some(()),
            _ => None,
        })
        .await;
    relay
        .post(
            "/api/v1/contacts/bulk-delete",
            &crew.admin,
            json!({"organization_id": crew.org, "ids": [contact_id]}),
        )
        .await;
    let count = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::ContactsChanged {
                organization_id,
                count,
            } if *organization_id == Some(crew.org_id) => Some(*count),
            _ => None,
        })
        .await;
    assert_eq!(count, 1);

    let mut host = super::host(&relay, &crew).await;
    super::incoming(&mut host, "447400000001", None, "are you there?").await;
    let unread = sidebar
        .wait_for(|frame| match frame {
            ServerFrame::Chat { chat: view } if view.id == chat && view.unread == 1 => {
                Some(view.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(unread.assignee_id, Some(crew.agent1_id));

    let upload = relay
        .http
        .post(relay.url(&crew.path("/files?name=doc.pdf")))
        .bearer_auth(&crew.agent1)
        .body(b"%PDF-1.4\n%%EOF\n".to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(upload.status(), 201);
    sidebar
        .wait_for(|frame| match frame {
            ServerFrame::File { file, .. } if file.file.name == "doc.pdf" && !file.deleted => {
                Some(())
            }
            _ => None,
        })
        .await;
}

/// Follows `/changes` from `cursor` to the end, pages of `limit`; returns
/// every (kind, id, seq) seen and the final cursor.
async fn catch_up(
    relay: &TestRelay,
    crew: &Crew,
    cursor: &str,
    limit: i64,
) -> (Vec<(String, String, i64)>, String) {
    let mut seen = Vec::new();
    let mut cursor = cursor.to_owned();
    for _ in 0..1000 {
        let (status, page) = relay
            .get(
                &crew.path(&format!("/changes?after={cursor}&limit={limit}")),
                &crew.agent2,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        for (kind, items) in [
            ("chat", "chats"),
            ("comment", "comments"),
            ("contact", "contacts"),
        ] {
            for item in page[items].as_array().expect("items") {
                seen.push((
                    kind.to_owned(),
                    item["id"].as_str().expect("id").to_owned(),
                    item["seq"].as_i64().expect("seq"),
                ));
            }
        }
        for item in page["files"].as_array().expect("files") {
            seen.push((
                "file".to_owned(),
                item["file"]["id"].as_str().expect("id").to_owned(),
                item["seq"].as_i64().expect("seq"),
            ));
        }
        cursor = page["cursor"].as_str().expect("cursor").to_owned();
        if page["more"] == false {
            return (seen, cursor);
        }
    }
    panic!("the feed never ended");
}

async fn a_returning_sidebar_catches_up_from_its_cursor(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let crew = crew(&relay, "acme.test").await;
    let chat = crew.chat_with(&relay, "+44 7400 000001").await;
    let (_, start) = catch_up(&relay, &crew, "", 500).await;

    // While the sidebar is away: 30 contacts deleted in one bulk change
    // (one feed position), comments and an assignment.
    let mut ids: Vec<Value> = Vec::new();
    for n in 0..30 {
        let (status, contact) = relay
            .post(
                "/api/v1/contacts",
                &crew.agent1,
                json!({"organization_id": crew.org, "phone": format!("+44 7400 1000{n:02}")}),
            )
            .await;
        assert_eq!(status, 201, "{contact}");
        ids.push(contact["id"].clone());
    }
    for n in 0..5 {
        relay
            .post(
                &crew.path(&format!("/chats/{chat}/comments")),
                &crew.agent1,
                json!({"body": format!("note {n}")}),
            )
            .await;
    }
    relay
        .post(
            "/api/v1/contacts/bulk-delete",
            &crew.admin,
            json!({"organization_id": crew.org, "ids": ids}),
        )
        .await;
    relay
        .put(
            &crew.path(&format!("/chats/{chat}/assignee")),
            &crew.admin,
            json!({"assignee_id": crew.agent2_id}),
        )
        .await;

    let (whole, end) = catch_up(&relay, &crew, &start, 500).await;
    let (paged, paged_end) = catch_up(&relay, &crew, &start, 7).await;
    let latest = |changes: &[(String, String, i64)]| -> HashSet<(String, String)> {
        changes
            .iter()
            .map(|(kind, id, _)| (kind.clone(), id.clone()))
            .collect()
    };
    assert_eq!(
        latest(&paged),
        latest(&whole),
        "pages of 7 see what one page sees"
    );
    assert_eq!(paged_end, end);
    let unique: HashSet<_> = paged.iter().collect();
    assert_eq!(unique.len(), paged.len(), "nothing twice");
    let contacts = whole
        .iter()
        .filter(|(kind, _, _)| kind == "contact")
        .count();
    let comments = whole
        .iter()
        .filter(|(kind, _, _)| kind == "comment")
        .count();
    let chats = whole.iter().filter(|(kind, _, _)| kind == "chat").count();
    assert_eq!(
        (contacts, comments, chats),
        (30, 6, 1),
        "5 notes and the assignment line"
    );
    let (nothing, _) = catch_up(&relay, &crew, &end, 500).await;
    assert!(nothing.is_empty(), "nothing after the end");
}
