//! Tenant isolation: members of one organization cannot read or change
//! anything of another, whatever ids they send, and the answer is the same
//! 404 as for an id that does not exist.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{error_code, Backend, TestRelay};
use crate::on_every_backend;

on_every_backend!(another_organizations_ids_are_not_found);

async fn another_organizations_ids_are_not_found(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let (admin_a, org_a) = relay.organization_admin("admin@a.test", "Alpha").await;
    let agent_a = relay.agent("agent@a.test").await;
    relay.join(&admin_a, &org_a, "agent@a.test", &agent_a).await;
    let (admin_b, org_b) = relay.organization_admin("admin@b.test", "Beta").await;
    let agent_b = relay.agent("agent@b.test").await;
    relay.join(&admin_b, &org_b, "agent@b.test", &agent_b).await;
    let (_, pending) = relay
        .post(
            &format!("/api/v1/orgs/{org_b}/invites"),
            &admin_b,
            json!({"email": "agent@a.test"}),
        )
        .await;
    let (_, other_pending) = relay
        .post(
            &format!("/api/v1/orgs/{org_b}/invites"),
            &admin_b,
            json!({"email": "later@b.test"}),
        )
        .await;
    let invite_b = pending["id"].as_str().expect("id").to_owned();
    let invite_b_other = other_pending["id"].as_str().expect("id").to_owned();
    let id_of = |body: Value| body["id"].as_str().expect("id").to_owned();
    let admin_b_id = id_of(relay.get("/api/v1/me", &admin_b).await.1);
    let agent_b_id = id_of(relay.get("/api/v1/me", &agent_b).await.1);
    let (_, members_before) = relay
        .get(&format!("/api/v1/orgs/{org_b}/members"), &admin_b)
        .await;
    let (_, invites_before) = relay
        .get(&format!("/api/v1/orgs/{org_b}/invites"), &admin_b)
        .await;
    let (_, org_before) = relay.get(&format!("/api/v1/orgs/{org_b}"), &admin_b).await;
    let nowhere = uuid::Uuid::now_v7().to_string();

    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/orgs/{org_b}"), None),
        (
            Method::PATCH,
            format!("/api/v1/orgs/{org_b}"),
            Some(json!({"name": "Taken"})),
        ),
        (Method::GET, format!("/api/v1/orgs/{org_b}/members"), None),
        (
            Method::DELETE,
            format!("/api/v1/orgs/{org_b}/members/{admin_b_id}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/orgs/{org_b}/members/{agent_b_id}"),
            None,
        ),
        (Method::GET, format!("/api/v1/orgs/{org_b}/invites"), None),
        (
            Method::POST,
            format!("/api/v1/orgs/{org_b}/invites"),
            Some(json!({"email": "spy@a.test"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/orgs/{org_b}/invites/{invite_b}"),
            None,
        ),
        // An invite addressed to someone else.
        (
            Method::POST,
            format!("/api/v1/invites/{invite_b_other}/accept"),
            Some(json!({"confirm": true, "code": "AAAA-AAAA-AAAA"})),
        ),
        (
            Method::POST,
            format!("/api/v1/invites/{invite_b_other}/decline"),
            Some(json!({})),
        ),
    ];
    // Alpha's admin passes the role check in Alpha, so these reach the
    // scoping of the ids themselves (Alpha's agent is stopped earlier, by 403).
    let own_org_with_foreign_ids: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::DELETE,
            format!("/api/v1/orgs/{org_a}/invites/{invite_b_other}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/orgs/{org_a}/members/{agent_b_id}"),
            None,
        ),
    ];
    let cases = attempts
        .iter()
        .map(|attempt| (&admin_a, attempt))
        .chain(attempts.iter().map(|attempt| (&agent_a, attempt)))
        .chain(
            own_org_with_foreign_ids
                .iter()
                .map(|attempt| (&admin_a, attempt)),
        );
    {
        for (token, (method, path, body)) in cases {
            let (status, answer) = relay
                .call(method.clone(), path, Some(token), body.clone())
                .await;
            assert_eq!(status, 404, "{method} {path}: {answer}");
            assert_eq!(error_code(&answer), "not_found", "{method} {path}");
            let unknown = path
                .replace(&org_b, &nowhere)
                .replace(&invite_b, &nowhere)
                .replace(&invite_b_other, &nowhere)
                .replace(&admin_b_id, &nowhere)
                .replace(&agent_b_id, &nowhere);
            if unknown != *path {
                let (_, for_unknown) = relay
                    .call(method.clone(), &unknown, Some(token), body.clone())
                    .await;
                assert_eq!(
                    answer, for_unknown,
                    "{method} {path} reveals that it exists"
                );
            }
        }
    }

    let (_, mine) = relay.get("/api/v1/orgs", &agent_a).await;
    let orgs: Vec<&str> = mine["organizations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["organization"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        orgs,
        [org_a.as_str()],
        "only their own organization is listed"
    );
    let (_, profiles) = relay.get("/api/v1/profiles", &admin_a).await;
    assert!(
        !profiles.to_string().contains(&org_b),
        "profiles leak nothing of Beta"
    );

    assert_eq!(
        relay
            .get(&format!("/api/v1/orgs/{org_b}/members"), &admin_b)
            .await
            .1,
        members_before
    );
    assert_eq!(
        relay
            .get(&format!("/api/v1/orgs/{org_b}/invites"), &admin_b)
            .await
            .1,
        invites_before
    );
    assert_eq!(
        relay
            .get(&format!("/api/v1/orgs/{org_b}"), &admin_b)
            .await
            .1,
        org_before
    );
}
