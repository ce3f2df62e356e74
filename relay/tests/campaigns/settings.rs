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
