//! Uploads stay within a quota and a rate per profile; a deleted file stops
//! being served at once and its bytes leave the disk once no unsent message
//! needs them; files are served so that a browser never renders them.

use std::time::Duration;

use chorus_relay::rate_limit::Limit;
use chorus_relay::Settings;
use serde_json::json;

use super::team;
use crate::common::{error_code, upload_named as upload, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    the_library_has_a_quota_and_an_upload_rate,
    deleted_files_are_not_served_and_their_bytes_go,
    files_are_served_as_downloads_only,
    destructive_actions_are_admin_rights_and_audited
);

/// A minimal PDF of about `size` bytes, distinct per `n`.
fn pdf(n: usize, size: usize) -> Vec<u8> {
    let mut bytes = format!("%PDF-1.4\n% file {n}\n").into_bytes();
    bytes.resize(size.saturating_sub(6), b' ');
    bytes.extend_from_slice(b"\n%%EOF");
    bytes
}

async fn the_library_has_a_quota_and_an_upload_rate(backend: Backend) {
    let relay = TestRelay::start_with(
        backend,
        Settings {
            storage_quota_bytes: 1000,
            uploads_per_account: Limit {
                max: 4,
                window: Duration::from_secs(600),
            },
            ..Settings::default()
        },
    )
    .await;
    let team = team(&relay, "acme.test", 0).await;
    let (status, first) = upload(&relay, &team.agent, &team.org, "a.pdf", pdf(1, 400)).await;
    assert_eq!(status, 201, "{first}");
    let (status, _) = upload(&relay, &team.agent, &team.org, "b.pdf", pdf(2, 400)).await;
    assert_eq!(status, 201);
    let (status, body) = upload(&relay, &team.agent, &team.org, "c.pdf", pdf(3, 400)).await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "storage_quota_exceeded"),
        "{body}"
    );
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("800 bytes") && message.contains("1000 bytes"),
        "{message}"
    );

    // Deleting makes room at once.
    let id = first["id"].as_str().expect("id");
    let (status, _) = relay
        .delete(
            &format!("/api/v1/files/{id}?organization_id={}", team.org),
            &team.admin,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = upload(&relay, &team.agent, &team.org, "c.pdf", pdf(3, 400)).await;
    assert_eq!(status, 201);

    // Four uploads were let through (the refused one too): the fifth waits.
    let (status, body) = upload(&relay, &team.agent, &team.org, "d.pdf", pdf(4, 10)).await;
    assert_eq!((status, error_code(&body)), (429, "rate_limited"), "{body}");
    assert!(body["error"]["retry_after_seconds"]
        .as_u64()
        .is_some_and(|s| s > 0));
    // Another profile has its own allowance.
    let (status, _) = upload(&relay, &team.admin, &team.org, "e.pdf", pdf(5, 10)).await;
    assert_eq!(
        status, 429,
        "the organization's allowance is shared by its members"
    );
}

async fn deleted_files_are_not_served_and_their_bytes_go(backend: Backend) {
    let relay = TestRelay::start_with(
        backend,
        Settings {
            purge_interval: Duration::from_millis(100),
            ..Settings::default()
        },
    )
    .await;
    let team = team(&relay, "acme.test", 50).await;
    let path =
        |id: &str, suffix: &str| format!("/api/v1/files/{id}{suffix}?organization_id={}", team.org);

    // A file nothing needs: gone from the API at once, from the disk soon.
    let (_, lone) = upload(&relay, &team.agent, &team.org, "lone.pdf", pdf(1, 100)).await;
    let lone = lone["id"].as_str().expect("id").to_owned();
    assert_eq!(
        fetch(&relay, &path(&lone, "/content"), &team.agent).await,
        200
    );
    assert_eq!(relay.delete(&path(&lone, ""), &team.admin).await.0, 200);
    let (status, body) = relay.get(&path(&lone, "/content"), &team.agent).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    wait_until(|| !relay.has_blob(&lone)).await;

    // A file a queued message carries: still fetchable by the host until
    // the message no longer waits, then purged.
    let (_, carried) = upload(&relay, &team.agent, &team.org, "carried.pdf", pdf(2, 100)).await;
    let carried = carried["id"].as_str().expect("id").to_owned();
    let (status, message) = relay
        .post(
            "/api/v1/messages",
            &team.agent,
            json!({"organization_id": team.org, "phone": "+44 7400 123456", "attachment_id": carried, "idempotency_key": "m1"}),
        )
        .await;
    assert_eq!(status, 201, "{message}");
    assert_eq!(relay.delete(&path(&carried, ""), &team.admin).await.0, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(relay.has_blob(&carried), "a queued message still needs it");
    assert_eq!(
        fetch(&relay, &path(&carried, "/content"), &team.admin).await,
        200
    );
    let message_id = message["id"].as_str().expect("id");
    let (status, body) = relay
        .post(
            &format!(
                "/api/v1/messages/{message_id}/cancel?organization_id={}",
                team.org
            ),
            &team.agent,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "cancel: {body}");
    wait_until(|| !relay.has_blob(&carried)).await;
    assert_eq!(
        fetch(&relay, &path(&carried, "/content"), &team.admin).await,
        404
    );
}

/// The status of a download.
async fn fetch(relay: &TestRelay, path: &str, token: &str) -> u16 {
    relay
        .http
        .get(relay.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("download")
        .status()
        .as_u16()
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the deleted file's bytes were not removed in time");
}

async fn files_are_served_as_downloads_only(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 0).await;
    // A PNG whose bytes are also an HTML page.
    let mut polyglot = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];
    polyglot.extend_from_slice(b"<html><script>alert(document.domain)</script></html>");
    let (status, file) = upload(
        &relay,
        &team.agent,
        &team.org,
        "photo\u{202e}gnp.html",
        polyglot,
    )
    .await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(
        file["name"], "photognp.html",
        "direction controls are stripped from names"
    );
    let id = file["id"].as_str().expect("id");
    let response = relay
        .http
        .get(relay.url(&format!(
            "/api/v1/files/{id}/content?organization_id={}",
            team.org
        )))
        .bearer_auth(&team.agent)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-disposition"]
        .to_str()
        .expect("ascii")
        .starts_with("attachment"));
    assert!(headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .contains("sandbox"));

    // Renaming takes a JSON body: the usual 64 KiB limit applies, not 5 MB.
    let (status, body) = relay
        .patch(
            &format!("/api/v1/files/{id}?organization_id={}", team.org),
            &team.agent,
            json!({"name": "x".repeat(100 * 1024)}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );

    // Contact names lose direction controls too.
    let (status, contact) = relay
        .post(
            "/api/v1/contacts",
            &team.agent,
            json!({"organization_id": team.org, "phone": "+44 7400 123999", "name": "Ana\u{202e}exe.gnp"}),
        )
        .await;
    assert_eq!(status, 201, "{contact}");
    assert_eq!(contact["name"], "Anaexe.gnp");
}

/// Destructive actions are an admin's right (agents delete only what they
/// uploaded) and each is kept in the organization's audit trail.
async fn destructive_actions_are_admin_rights_and_audited(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "acme.test", 0).await;
    let (_, mine) = upload(&relay, &team.agent, &team.org, "mine.pdf", pdf(1, 50)).await;
    let (_, theirs) = upload(&relay, &team.admin, &team.org, "theirs.pdf", pdf(2, 50)).await;
    let file_path = |file: &serde_json::Value| {
        format!(
            "/api/v1/files/{}?organization_id={}",
            file["id"].as_str().expect("id"),
            team.org
        )
    };
    let (status, body) = relay.delete(&file_path(&theirs), &team.agent).await;
    assert_eq!((status, error_code(&body)), (403, "forbidden"));
    assert_eq!(relay.delete(&file_path(&mine), &team.agent).await.0, 200);

    let (_, contact) = relay
        .post(
            "/api/v1/contacts",
            &team.agent,
            json!({"organization_id": team.org, "phone": "+44 7400 123888", "name": "Cy"}),
        )
        .await;
    let bulk = json!({"organization_id": team.org, "ids": [contact["id"]]});
    let (status, _) = relay
        .post("/api/v1/contacts/bulk-delete", &team.agent, bulk.clone())
        .await;
    assert_eq!(status, 403);
    let (status, _) = relay
        .post("/api/v1/contacts/bulk-delete", &team.admin, bulk)
        .await;
    assert_eq!(status, 200);

    let audit = format!("/api/v1/orgs/{}/audit", team.org);
    assert_eq!(relay.get(&audit, &team.agent).await.0, 403);
    let (status, trail) = relay.get(&audit, &team.admin).await;
    assert_eq!(status, 200, "{trail}");
    let actions: Vec<&str> = trail["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        ["contacts_deleted", "file_deleted"],
        "newest first: {trail}"
    );
    assert!(trail["events"][1]["detail"]
        .as_str()
        .is_some_and(|d| d.contains("mine.pdf")));
    let (other, _) = relay.organization_admin("admin@other.test", "Other").await;
    let (status, _) = relay.get(&audit, &other).await;
    assert_eq!(status, 404, "another tenant sees nothing");
}
