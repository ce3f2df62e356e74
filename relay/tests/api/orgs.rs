//! Organizations, members and invites, and who may do what.

use serde_json::{json, Value};

use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(
    invite_waits_for_sign_up_and_is_accepted_explicitly,
    invites_can_be_declined_revoked_and_sent_again,
    duplicate_invites_and_members_are_refused,
    agents_cannot_do_admin_work,
    members_leave_or_are_removed_but_the_last_admin_stays,
    admins_update_the_organization,
);

fn states(invites: &Value) -> Vec<(String, String)> {
    invites["invites"]
        .as_array()
        .expect("invite list")
        .iter()
        .map(|i| {
            (
                i["email"].as_str().expect("email").to_owned(),
                i["state"].as_str().expect("state").to_owned(),
            )
        })
        .collect()
}

async fn invite_waits_for_sign_up_and_is_accepted_explicitly(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (admin, org) = relay.organization_admin("admin@acme.test", "Acme").await;

    let (status, invite) = relay
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            &admin,
            json!({"email": " New.Agent@Acme.test "}),
        )
        .await;
    assert_eq!(status, 201, "{invite}");
    assert_eq!(invite["state"], "invite_sent");
    assert_eq!(invite["email"], "new.agent@acme.test");
    let invite_id = invite["id"].as_str().expect("id").to_owned();

    // The invited email signs up only now, and finds the invite waiting.
    let agent = relay.agent("new.agent@acme.test").await;
    let (_, mine) = relay.get("/api/v1/orgs", &agent).await;
    assert_eq!(mine["organizations"], json!([]));
    let received = mine["invites"].as_array().expect("invites");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["organization_name"], "Acme");
    assert_eq!(received[0]["invited_by_email"], "admin@acme.test");

    let accept = format!("/api/v1/invites/{invite_id}/accept");
    let (status, body) = relay.post(&accept, &agent, json!({"confirm": false})).await;
    assert_eq!(status, 422);
    assert_eq!(error_code(&body), "confirmation_required");
    let (status, body) = relay.post(&accept, &agent, json!({})).await;
    assert_eq!(status, 422, "confirmation is required: {body}");

    // Signing up with the invited email is not enough: the code proves the
    // invite reached the person the admin meant.
    let (status, body) = relay.post(&accept, &agent, json!({"confirm": true})).await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "invalid_invite_code"),
        "{body}"
    );
    let (status, body) = relay
        .post(
            &accept,
            &agent,
            json!({"confirm": true, "code": "AAAA-AAAA-AAAA"}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (422, "invalid_invite_code"),
        "{body}"
    );
    let (_, mine) = relay.get("/api/v1/orgs", &agent).await;
    assert_eq!(
        mine["organizations"],
        json!([]),
        "a wrong code joins nothing"
    );
    let code = invite["code"].as_str().expect("the code, shown once");
    let (_, listed) = relay
        .get(&format!("/api/v1/orgs/{org}/invites"), &admin)
        .await;
    assert!(
        listed["invites"][0].get("code").is_none(),
        "never shown again"
    );

    let (status, body) = relay
        .post(
            &accept,
            &agent,
            json!({"confirm": true, "code": code.to_lowercase()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "accepted");
    assert!(body["closed_at"].is_string());

    let (_, mine) = relay.get("/api/v1/orgs", &agent).await;
    assert_eq!(mine["invites"], json!([]));
    assert_eq!(mine["organizations"][0]["organization"]["id"], org.as_str());
    assert_eq!(mine["organizations"][0]["role"], "agent");

    let (_, invites) = relay
        .get(&format!("/api/v1/orgs/{org}/invites"), &admin)
        .await;
    assert_eq!(
        states(&invites),
        [("new.agent@acme.test".into(), "accepted".into())]
    );
    let (_, members) = relay
        .get(&format!("/api/v1/orgs/{org}/members"), &admin)
        .await;
    let roles: Vec<(&str, &str)> = members["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["email"].as_str().expect("email"),
                m["role"].as_str().expect("role"),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("admin@acme.test", "admin"),
            ("new.agent@acme.test", "agent")
        ]
    );

    let (status, body) = relay
        .post(&accept, &agent, json!({"confirm": true, "code": code}))
        .await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&body), "invite_closed");
}

async fn invites_can_be_declined_revoked_and_sent_again(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (admin, org) = relay.organization_admin("admin@acme.test", "Acme").await;
    let agent = relay.agent("bo@acme.test").await;
    let invites_path = format!("/api/v1/orgs/{org}/invites");

    let (_, first) = relay
        .post(&invites_path, &admin, json!({"email": "bo@acme.test"}))
        .await;
    let (status, declined) = relay
        .post(
            &format!(
                "/api/v1/invites/{}/decline",
                first["id"].as_str().expect("id")
            ),
            &agent,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{declined}");
    assert_eq!(declined["state"], "declined");

    let (status, second) = relay
        .post(&invites_path, &admin, json!({"email": "bo@acme.test"}))
        .await;
    assert_eq!(status, 201, "a declined invite can be sent again: {second}");
    let second_id = second["id"].as_str().expect("id");
    let (status, revoked) = relay
        .delete(&format!("{invites_path}/{second_id}"), &admin)
        .await;
    assert_eq!(status, 200);
    assert_eq!(revoked["state"], "revoked");
    let (status, body) = relay
        .delete(&format!("{invites_path}/{second_id}"), &admin)
        .await;
    assert_eq!(status, 409, "revoking twice: {body}");
    assert_eq!(error_code(&body), "invite_closed");

    let (status, body) = relay
        .post(
            &format!("/api/v1/invites/{second_id}/accept"),
            &agent,
            json!({"confirm": true, "code": "AAAA-AAAA-AAAA"}),
        )
        .await;
    assert_eq!(status, 409, "a revoked invite cannot be accepted");
    assert_eq!(error_code(&body), "invite_closed");
    let (_, mine) = relay.get("/api/v1/orgs", &agent).await;
    assert_eq!(mine["organizations"], json!([]));

    let (_, invites) = relay.get(&invites_path, &admin).await;
    assert_eq!(
        states(&invites),
        [
            ("bo@acme.test".into(), "revoked".into()),
            ("bo@acme.test".into(), "declined".into()),
        ]
    );
}

async fn duplicate_invites_and_members_are_refused(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (admin, org) = relay.organization_admin("admin@acme.test", "Acme").await;
    let invites_path = format!("/api/v1/orgs/{org}/invites");
    let (status, _) = relay
        .post(&invites_path, &admin, json!({"email": "cy@acme.test"}))
        .await;
    assert_eq!(status, 201);
    let (status, body) = relay
        .post(&invites_path, &admin, json!({"email": "CY@acme.test"}))
        .await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&body), "invite_pending");

    let (status, body) = relay
        .post(&invites_path, &admin, json!({"email": "admin@acme.test"}))
        .await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&body), "already_member");

    let (status, body) = relay
        .post(&invites_path, &admin, json!({"email": "nope"}))
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["email"].is_string());

    let (_, invites) = relay.get(&invites_path, &admin).await;
    assert_eq!(states(&invites).len(), 1, "refused invites were not stored");
}

async fn agents_cannot_do_admin_work(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (admin, org) = relay.organization_admin("admin@acme.test", "Acme").await;
    let agent = relay.agent("di@acme.test").await;
    relay.join(&admin, &org, "di@acme.test", &agent).await;
    let (_, admin_me) = relay.get("/api/v1/me", &admin).await;
    let admin_id = admin_me["id"].as_str().expect("id");

    let (status, body) = relay
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            &agent,
            json!({"email": "x@acme.test"}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "forbidden");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("admin")));
    let (status, _) = relay
        .get(&format!("/api/v1/orgs/{org}/invites"), &agent)
        .await;
    assert_eq!(status, 403);
    let (status, _) = relay
        .patch(
            &format!("/api/v1/orgs/{org}"),
            &agent,
            json!({"name": "Mine now"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = relay
        .delete(&format!("/api/v1/orgs/{org}/members/{admin_id}"), &agent)
        .await;
    assert_eq!(status, 403);

    let (status, members) = relay
        .get(&format!("/api/v1/orgs/{org}/members"), &agent)
        .await;
    assert_eq!(status, 200, "agents see the members (to assign chats)");
    assert_eq!(members["members"].as_array().expect("list").len(), 2);
    let (_, org_body) = relay.get(&format!("/api/v1/orgs/{org}"), &agent).await;
    assert_eq!(org_body["name"], "Acme", "nothing changed");
}

async fn members_leave_or_are_removed_but_the_last_admin_stays(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (admin, org) = relay.organization_admin("admin@acme.test", "Acme").await;
    let ed = relay.agent("ed@acme.test").await;
    let fa = relay.agent("fa@acme.test").await;
    relay.join(&admin, &org, "ed@acme.test", &ed).await;
    relay.join(&admin, &org, "fa@acme.test", &fa).await;
    let id_of = |body: Value| body["id"].as_str().expect("id").to_owned();
    let ed_id = id_of(relay.get("/api/v1/me", &ed).await.1);
    let fa_id = id_of(relay.get("/api/v1/me", &fa).await.1);
    let admin_id = id_of(relay.get("/api/v1/me", &admin).await.1);

    let (status, _) = relay
        .delete(&format!("/api/v1/orgs/{org}/members/{ed_id}"), &admin)
        .await;
    assert_eq!(status, 204);
    let (status, _) = relay.get(&format!("/api/v1/orgs/{org}"), &ed).await;
    assert_eq!(
        status, 404,
        "a removed member no longer sees the organization"
    );

    let (status, _) = relay
        .delete(&format!("/api/v1/orgs/{org}/members/{fa_id}"), &fa)
        .await;
    assert_eq!(status, 204, "a member can leave");
    let (_, profiles) = relay.get("/api/v1/profiles", &fa).await;
    assert_eq!(profiles["profiles"].as_array().expect("list").len(), 1);

    let (status, body) = relay
        .delete(&format!("/api/v1/orgs/{org}/members/{admin_id}"), &admin)
        .await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&body), "last_admin");
    let (status, body) = relay
        .delete(&format!("/api/v1/orgs/{org}/members/{ed_id}"), &admin)
        .await;
    assert_eq!(status, 404, "removing a non-member: {body}");

    let (_, members) = relay
        .get(&format!("/api/v1/orgs/{org}/members"), &admin)
        .await;
    assert_eq!(members["members"].as_array().expect("list").len(), 1);
}

async fn admins_update_the_organization(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (admin, org) = relay.organization_admin("admin@acme.test", "Acme").await;
    let path = format!("/api/v1/orgs/{org}");
    let (status, body) = relay
        .patch(&path, &admin, json!({"phone": "07400 123456"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["phone"], "+447400123456",
        "read in the default country GB"
    );

    let (status, body) = relay
        .patch(
            &path,
            &admin,
            json!({"default_country": "in", "phone": "98765 43210"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["default_country"], "IN");
    assert_eq!(body["phone"], "+919876543210");

    let (status, body) = relay.patch(&path, &admin, json!({"phone": "12"})).await;
    assert_eq!(status, 422);
    assert_eq!(error_code(&body), "invalid_phone_number");
    let (status, body) = relay.patch(&path, &admin, json!({"name": " "})).await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["name"].is_string());
    let (status, _) = relay
        .patch(&path, &admin, json!({"name": "x".repeat(101)}))
        .await;
    assert_eq!(status, 422);

    assert_eq!(
        body_pacing(&relay, &path, &admin).await,
        json!({"min_gap_seconds": 30, "max_gap_seconds": 60, "burst_size": 40,
               "burst_pause_seconds": 210, "hourly_cap": 60, "daily_cap": 600}),
        "published guidance by default"
    );
    let (status, body) = relay
        .patch(
            &path,
            &admin,
            json!({"pacing": {"min_gap_seconds": 45, "max_gap_seconds": 90}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for bad in [
        json!({"min_gap_seconds": 90, "max_gap_seconds": 45}),
        json!({"min_gap_seconds": -1, "max_gap_seconds": 5}),
        json!({"min_gap_seconds": 0, "max_gap_seconds": 7200}),
        json!({"min_gap_seconds": 0, "max_gap_seconds": 5, "burst_size": 0}),
        json!({"min_gap_seconds": 0, "max_gap_seconds": 5, "hourly_cap": 0}),
        json!({"min_gap_seconds": 0, "max_gap_seconds": 5, "daily_cap": -3}),
    ] {
        let (status, body) = relay.patch(&path, &admin, json!({"pacing": bad})).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["fields"]["pacing"].is_string());
    }

    let (_, after) = relay.get(&path, &admin).await;
    assert_eq!(
        after["pacing"],
        json!({"min_gap_seconds": 45, "max_gap_seconds": 90, "burst_size": 40,
               "burst_pause_seconds": 210, "hourly_cap": 60, "daily_cap": 600}),
        "what is left out takes the default"
    );
    assert_eq!(after["name"], "Acme");
    assert_eq!(
        after["phone"], "+919876543210",
        "refused changes changed nothing"
    );
}

async fn body_pacing(relay: &TestRelay, path: &str, token: &str) -> Value {
    let (status, body) = relay.get(path, token).await;
    assert_eq!(status, 200, "{body}");
    body["pacing"].clone()
}
