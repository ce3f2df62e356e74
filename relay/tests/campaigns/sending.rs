//! Campaigns through the queue and a simulated host: each recipient gets
//! exactly one message with their own merge values, credits are checked
//! before the start, pacing holds messages back, replies are not held
//! behind a campaign, and a restart or a dropped host sends no one twice.

use std::collections::HashSet;
use std::time::Duration;

use chorus_shared::protocol::{DeliveryReport, ServerFrame};
use serde_json::{json, Value};

use crate::common::ws::WsClient;
use crate::common::{send_text, Backend, TestRelay};
use crate::{create_from_sheet, error_code, grant, no_gaps, team, upload_sheet};

crate::on_every_backend!(
    a_sheet_campaign_reaches_each_recipient_once_with_their_values,
    pacing_holds_campaign_messages_but_not_replies,
    pause_resume_and_cancel,
    a_restart_and_a_dropped_host_send_no_one_twice,
);

const PEOPLE: &str = "Phone,Name,City\n\
+447400100001,Asha,Pune\n\
+447400100002,Ben,\n\
hello,Cy,Leeds\n\
+447400100001,Dup,X\n\
+447400100003,Dee,York\n";

async fn campaign_of(
    relay: &TestRelay,
    token: &str,
    org: &str,
    csv: &str,
    name: &str,
    text: &str,
) -> Value {
    let (status, upload) =
        upload_sheet(relay, token, org, "people.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 201, "{upload}");
    let (status, campaign) = create_from_sheet(
        relay,
        token,
        org,
        name,
        upload["id"].as_str().unwrap(),
        text,
    )
    .await;
    assert_eq!(status, 201, "{campaign}");
    campaign
}

fn path(campaign: &Value, action: &str) -> String {
    format!(
        "/api/v1/campaigns/{}{action}?organization_id={}",
        campaign["id"].as_str().unwrap(),
        campaign["organization_id"].as_str().unwrap()
    )
}

async fn a_sheet_campaign_reaches_each_recipient_once_with_their_values(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "campaign.test", 0).await;
    no_gaps(&relay, &team.admin, &team.org, 1000).await;
    grant(&relay, Some(&team.org), None, 1).await;
    let campaign = campaign_of(
        &relay,
        &team.agent,
        &team.org,
        PEOPLE,
        "March offer",
        "Hi {{Name}} in {{City|your city}}",
    )
    .await;
    assert_eq!(campaign["state"], "draft");
    let counts = &campaign["counts"];
    assert_eq!(
        (
            counts["total"].as_u64(),
            counts["skipped"].as_u64(),
            counts["queued"].as_u64()
        ),
        (Some(5), Some(2), Some(3))
    );
    assert_eq!(campaign["credits_needed"], 3);

    // The recipients as each will get the message, and why rows are skipped.
    let (status, page) = relay
        .get(&path(&campaign, "/recipients"), &team.agent)
        .await;
    assert_eq!(status, 200, "{page}");
    let texts: Vec<&str> = page["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        texts,
        vec![
            "Hi Asha in Pune",
            "Hi Ben in your city",
            "",
            "",
            "Hi Dee in York"
        ]
    );
    assert_eq!(page["recipients"][3]["reason"], "The same number as row 2");

    // Names are unique in the profile; a merge field must name a column.
    let (status, upload) = upload_sheet(
        &relay,
        &team.agent,
        &team.org,
        "p.csv",
        PEOPLE.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 201);
    let sheet = upload["id"].as_str().unwrap();
    let (status, body) =
        create_from_sheet(&relay, &team.agent, &team.org, "march OFFER", sheet, "Hi").await;
    assert_eq!((status, error_code(&body)), (409, "campaign_name_taken"));
    let (status, body) = create_from_sheet(
        &relay,
        &team.agent,
        &team.org,
        "April",
        sheet,
        "Hi {{Nmae}}",
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["text"]
        .as_str()
        .unwrap()
        .starts_with("{{Nmae}} is not a column"));

    // Starting without the credits is refused with both numbers.
    let (status, body) = relay
        .post(&path(&campaign, "/start"), &team.agent, json!(null))
        .await;
    assert_eq!(status, 402, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("needs 3 credits and the balance is 1"));
    grant(&relay, Some(&team.org), None, 10).await;

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let (status, started) = relay
        .post(&path(&campaign, "/start"), &team.agent, json!(null))
        .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["state"], "running");
    let mut sent = Vec::new();
    for _ in 0..3 {
        let dispatch = host.next_dispatch().await;
        assert_eq!(
            dispatch.campaign_id.map(|id| id.to_string()),
            campaign["id"].as_str().map(str::to_owned)
        );
        sent.push((
            dispatch.phone.clone().unwrap_or_default(),
            dispatch.text.clone().unwrap_or_default(),
        ));
        host.report(
            dispatch.message_id,
            DeliveryReport::Sent {
                wa_id: Some(format!(
                    "true_{}@c.us_X{}",
                    dispatch.message_id.simple(),
                    sent.len()
                )),
            },
        )
        .await;
    }
    assert_eq!(
        sent,
        vec![
            ("+447400100001".to_owned(), "Hi Asha in Pune".to_owned()),
            ("+447400100002".to_owned(), "Hi Ben in your city".to_owned()),
            ("+447400100003".to_owned(), "Hi Dee in York".to_owned()),
        ]
    );
    assert!(
        host.quiet_for(Duration::from_millis(2500), |frame| matches!(
            frame,
            ServerFrame::Dispatch { .. }
        ))
        .await,
        "nobody gets a second message"
    );
    let finished = finished(&relay, &team.agent, &campaign).await;
    let counts = &finished["counts"];
    assert_eq!(
        (
            counts["sent"].as_u64(),
            counts["skipped"].as_u64(),
            counts["queued"].as_u64()
        ),
        (Some(3), Some(2), Some(0))
    );
    assert_eq!(finished["credits_needed"], 0);

    // The export: every row, formula-safe.
    let response = relay
        .http
        .get(relay.url(&path(&campaign, "/results.csv")))
        .bearer_auth(&team.agent)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert_eq!(lines[1], "1,2,'+447400100001,Asha,sent,,no,Hi Asha in Pune");
    assert!(lines[3].starts_with("3,4,hello,Cy,skipped,"), "{csv}");

    // Another organization sees none of it.
    let (other, other_org) = relay.organization_admin("admin@other.test", "other").await;
    let id = campaign["id"].as_str().unwrap();
    for action in ["", "/recipients", "/results.csv"] {
        let (status, _) = relay
            .get(
                &format!("/api/v1/campaigns/{id}{action}?organization_id={other_org}"),
                &other,
            )
            .await;
        assert_eq!(status, 404, "{action}");
    }
    let (status, _) = relay
        .post(
            &format!("/api/v1/campaigns/{id}/cancel?organization_id={other_org}"),
            &other,
            json!(null),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = relay
        .post(
            &format!("/api/v1/campaigns/{id}/cancel?organization_id={}", team.org),
            &other,
            json!(null),
        )
        .await;
    assert_eq!(status, 404, "not a member");
}

/// Reads the campaign until it is finished.
async fn finished(relay: &TestRelay, token: &str, campaign: &Value) -> Value {
    for _ in 0..100 {
        let (status, body) = relay.get(&path(campaign, ""), token).await;
        assert_eq!(status, 200, "{body}");
        if body["state"] == "finished" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the campaign did not finish");
}

async fn pacing_holds_campaign_messages_but_not_replies(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "paced.test", 50).await;
    // One campaign message an hour.
    no_gaps(&relay, &team.admin, &team.org, 1).await;
    let csv = "Phone,Name\n+447400200001,A\n+447400200002,B\n";
    let campaign = campaign_of(
        &relay,
        &team.admin,
        &team.org,
        csv,
        "Paced",
        "Hello {{Name}}",
    )
    .await;
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let (status, _) = relay
        .post(&path(&campaign, "/start"), &team.admin, json!(null))
        .await;
    assert_eq!(status, 200);
    let first = host.next_dispatch().await;
    assert_eq!(first.text.as_deref(), Some("Hello A"));
    host.report(
        first.message_id,
        DeliveryReport::Sent {
            wa_id: Some("true_447400200001@c.us_P1".into()),
        },
    )
    .await;
    assert!(
        host.quiet_for(Duration::from_millis(2500), |frame| matches!(
            frame,
            ServerFrame::Dispatch { .. }
        ))
        .await,
        "the hourly cap holds the second"
    );
    let (_, view) = relay.get(&path(&campaign, ""), &team.admin).await;
    let next: chrono::DateTime<chrono::Utc> =
        view["next_send_at"].as_str().unwrap().parse().unwrap();
    assert!(
        next > chrono::Utc::now() + chrono::Duration::minutes(55),
        "{view}"
    );
    assert!(view["estimated_finish_at"].is_string());

    // A reply to a customer goes out at once meanwhile.
    let (status, body) = send_text(
        &relay,
        &team.agent,
        Some(&team.org),
        "+447400299999",
        "Your order shipped",
        "reply-1",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let reply = host.next_dispatch().await;
    assert_eq!(reply.text.as_deref(), Some("Your order shipped"));
    assert_eq!(reply.campaign_id, None);
}

async fn pause_resume_and_cancel(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "pause.test", 50).await;
    no_gaps(&relay, &team.admin, &team.org, 1000).await;
    let csv = "Phone,Name\n+447400300001,A\n+447400300002,B\n+447400300003,C\n";
    let campaign = campaign_of(
        &relay,
        &team.agent,
        &team.org,
        csv,
        "Stoppable",
        "Hi {{Name}}",
    )
    .await;
    let (status, _) = relay
        .post(&path(&campaign, "/pause"), &team.agent, json!(null))
        .await;
    assert_eq!(status, 409, "a draft is not running");
    let (status, _) = relay
        .post(&path(&campaign, "/start"), &team.agent, json!(null))
        .await;
    assert_eq!(status, 200);
    let (status, paused) = relay
        .post(&path(&campaign, "/pause"), &team.agent, json!(null))
        .await;
    assert_eq!((status, paused["state"].as_str()), (200, Some("paused")));
    // Only its creator or an admin controls it.
    let outsider = relay.agent("agent2@pause.test").await;
    relay
        .join(&team.admin, &team.org, "agent2@pause.test", &outsider)
        .await;
    let (status, _) = relay
        .post(&path(&campaign, "/resume"), &outsider, json!(null))
        .await;
    assert_eq!(status, 403);

    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    // A paused campaign may have queued its first message before the pause;
    // none after it.
    let mut dispatched = 0;
    while let Ok(dispatch) =
        tokio::time::timeout(Duration::from_millis(1500), host.next_dispatch()).await
    {
        host.report(
            dispatch.message_id,
            DeliveryReport::Sent {
                wa_id: Some(format!("true_x@c.us_{}", dispatch.message_id.simple())),
            },
        )
        .await;
        dispatched += 1;
    }
    assert!(dispatched <= 1, "{dispatched} sent while paused");
    let (status, _) = relay
        .post(&path(&campaign, "/resume"), &team.admin, json!(null))
        .await;
    assert_eq!(status, 200);
    let dispatch = host.next_dispatch().await;
    host.report(
        dispatch.message_id,
        DeliveryReport::Sent {
            wa_id: Some(format!("true_x@c.us_{}", dispatch.message_id.simple())),
        },
    )
    .await;
    // The host goes away holding the next message, which goes back to
    // the queue; cancelling takes it out too.
    host.kill();
    for _ in 0..100 {
        let (_, view) = relay.get(&path(&campaign, ""), &team.agent).await;
        if view["counts"]["sending"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, cancelled) = relay
        .post(&path(&campaign, "/cancel"), &team.agent, json!(null))
        .await;
    assert_eq!(
        (status, cancelled["state"].as_str()),
        (200, Some("cancelled"))
    );
    let counts = &cancelled["counts"];
    assert_eq!(
        counts["sent"].as_u64().unwrap() + counts["cancelled"].as_u64().unwrap(),
        3,
        "{cancelled}"
    );
    assert!(counts["cancelled"].as_u64().unwrap() >= 1, "{cancelled}");
    let (status, _) = relay
        .post(&path(&campaign, "/resume"), &team.agent, json!(null))
        .await;
    assert_eq!(status, 409, "cancelled for good");
}

async fn a_restart_and_a_dropped_host_send_no_one_twice(backend: Backend) {
    let mut relay = TestRelay::start(backend).await;
    let team = team(&relay, "restart.test", 50).await;
    no_gaps(&relay, &team.admin, &team.org, 1000).await;
    let csv = "Phone,Name\n+447400400001,A\n+447400400002,B\n+447400400003,C\n+447400400004,D\n";
    let campaign = campaign_of(&relay, &team.admin, &team.org, csv, "Sturdy", "Hi {{Name}}").await;
    let (status, _) = relay
        .post(&path(&campaign, "/start"), &team.admin, json!(null))
        .await;
    assert_eq!(status, 200);
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();

    // The first goes normally.
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let first = host.next_dispatch().await;
    seen.insert(first.message_id);
    host.report(
        first.message_id,
        DeliveryReport::Sent {
            wa_id: Some("true_447400400001@c.us_R1".into()),
        },
    )
    .await;
    reported.insert(first.message_id);

    // The host drops while holding the second: it comes again, the same message.
    let second = host.next_dispatch().await;
    host.kill();
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let again = host.next_dispatch().await;
    assert_eq!(
        again.message_id, second.message_id,
        "the same message, not a new one"
    );
    host.report(
        again.message_id,
        DeliveryReport::Sent {
            wa_id: Some("true_447400400002@c.us_R2".into()),
        },
    )
    .await;
    reported.insert(again.message_id);

    // The relay restarts mid-campaign; the rest go once each.
    relay.restart().await;
    let mut host = WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    while reported.len() < 4 {
        let dispatch = host.next_dispatch().await;
        assert!(
            !reported.contains(&dispatch.message_id),
            "{} sent twice",
            dispatch.message_id
        );
        host.report(
            dispatch.message_id,
            DeliveryReport::Sent {
                wa_id: Some(format!("true_x@c.us_{}", dispatch.message_id.simple())),
            },
        )
        .await;
        reported.insert(dispatch.message_id);
    }
    assert!(
        host.quiet_for(Duration::from_millis(2500), |f| matches!(
            f,
            ServerFrame::Dispatch { .. }
        ))
        .await
    );
    let finished = finished(&relay, &team.admin, &campaign).await;
    assert_eq!(finished["counts"]["sent"], 4, "{finished}");
    let (_, page) = relay
        .get(&path(&campaign, "/recipients"), &team.admin)
        .await;
    let ids: HashSet<&str> = page["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "one message per recipient");
}
