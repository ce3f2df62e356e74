//! The number's pacing as an API reads and sets it, and drafts taken back.

use serde_json::json;

use crate::common::{Backend, TestRelay};
use crate::{create_from_sheet, error_code, team, upload_sheet};

crate::on_every_backend!(
    pacing_is_read_by_members_and_set_by_admins,
    a_draft_is_deleted_and_its_name_freed,
);

async fn pacing_is_read_by_members_and_set_by_admins(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "pacing.test", 0).await;
    let path = format!("/api/v1/pacing?organization_id={}", team.org);
    let (status, body) = relay.get(&path, &team.agent).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"min_gap_seconds": 30, "max_gap_seconds": 60, "burst_size": 40,
               "burst_pause_seconds": 210, "hourly_cap": 60, "daily_cap": 600})
    );
    let faster = json!({"min_gap_seconds": 10, "max_gap_seconds": 20, "burst_size": 25,
                        "burst_pause_seconds": 300, "hourly_cap": 40, "daily_cap": 300});
    let (status, body) = relay.put(&path, &team.agent, faster.clone()).await;
    assert_eq!((status, error_code(&body)), (403, "forbidden"));
    let (status, body) = relay.put(&path, &team.admin, faster.clone()).await;
    assert_eq!((status, &body), (200, &faster));
    let (status, body) = relay
        .put(
            &path,
            &team.admin,
            json!({"min_gap_seconds": 10, "max_gap_seconds": 20, "hourly_cap": 0}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["pacing"].is_string());
    // "You" has its own, set by its user.
    let (status, body) = relay
        .put("/api/v1/pacing", &team.agent, faster.clone())
        .await;
    assert_eq!((status, &body), (200, &faster));
    // Another organization's pacing is not there for a stranger.
    let (stranger, _) = relay
        .organization_admin("admin@stranger.test", "stranger")
        .await;
    let (status, _) = relay.get(&path, &stranger).await;
    assert_eq!(status, 404);
}

async fn a_draft_is_deleted_and_its_name_freed(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "drafts.test", 10).await;
    let csv = "Phone,Name\n+447400500001,A\n";
    let (_, upload) = upload_sheet(
        &relay,
        &team.agent,
        &team.org,
        "a.csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    let sheet = upload["id"].as_str().unwrap();
    let (status, draft) =
        create_from_sheet(&relay, &team.agent, &team.org, "Once", sheet, "Hi {{Name}}").await;
    assert_eq!(status, 201, "{draft}");
    let path = format!(
        "/api/v1/campaigns/{}?organization_id={}",
        draft["id"].as_str().unwrap(),
        team.org
    );
    let (status, _) = relay.delete(&path, &team.agent).await;
    assert_eq!(status, 204);
    let (status, _) = relay.get(&path, &team.agent).await;
    assert_eq!(status, 404, "gone");
    let (status, again) = create_from_sheet(
        &relay,
        &team.agent,
        &team.org,
        "Once",
        sheet,
        "Hello {{Name}}",
    )
    .await;
    assert_eq!(status, 201, "the name is free again: {again}");
    let id = again["id"].as_str().unwrap();
    let (status, _) = relay
        .post(
            &format!("/api/v1/campaigns/{id}/start?organization_id={}", team.org),
            &team.agent,
            json!(null),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = relay
        .delete(
            &format!("/api/v1/campaigns/{id}?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!((status, error_code(&body)), (409, "campaign_state"));
}

crate::on_every_backend!(a_scheduled_campaign_waits_for_its_time);

async fn a_scheduled_campaign_waits_for_its_time(backend: Backend) {
    use chorus_shared::protocol::ServerFrame;
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "scheduled.test", 10).await;
    crate::no_gaps(&relay, &team.admin, &team.org, 1000).await;
    let csv = "Phone,Name\n+447400600001,A\n";
    let (_, upload) = upload_sheet(
        &relay,
        &team.agent,
        &team.org,
        "s.csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    let at = chrono::Utc::now() + chrono::Duration::hours(2);
    let (status, draft) = relay
        .post(
            "/api/v1/campaigns",
            &team.agent,
            json!({"organization_id": team.org, "name": "Later", "text": "Hi {{Name}}", "starts_at": at,
                   "recipients": {"spreadsheet": {"spreadsheet_id": upload["id"], "sheet": "CSV", "phone_column": "Phone"}}}),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_str().unwrap();
    let mut host =
        crate::common::ws::WsClient::host(&relay.ws_url(), &team.admin, Some(team.org_id)).await;
    let (status, started) = relay
        .post(
            &format!("/api/v1/campaigns/{id}/start?organization_id={}", team.org),
            &team.agent,
            json!(null),
        )
        .await;
    assert_eq!(
        (status, started["state"].as_str()),
        (200, Some("scheduled")),
        "{started}"
    );
    let next: chrono::DateTime<chrono::Utc> =
        started["next_send_at"].as_str().unwrap().parse().unwrap();
    assert!(next >= at - chrono::Duration::seconds(1), "{started}");
    assert!(
        host.quiet_for(std::time::Duration::from_millis(2500), |f| matches!(
            f,
            ServerFrame::Dispatch { .. }
        ))
        .await,
        "nothing goes before its time"
    );
    // A start time in the past is refused at creation.
    let (status, body) = relay
        .post(
            "/api/v1/campaigns",
            &team.agent,
            json!({"organization_id": team.org, "name": "Past", "text": "Hi", "starts_at": chrono::Utc::now() - chrono::Duration::minutes(5),
                   "recipients": {"spreadsheet": {"spreadsheet_id": upload["id"], "sheet": "CSV", "phone_column": "Phone"}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["starts_at"].is_string());
}
