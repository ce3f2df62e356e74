//! The storage contract, written once and run against SQLite and PostgreSQL.
//!
//! These tests race concurrent writers, because the rules here (one account
//! type, one open invite per email, one answer per invite) must hold even
//! when two requests arrive at once.

mod common;

use std::sync::Arc;

use chorus_relay::store::{Conflict, NewOrganizationRecord, Store, StoreError};
use chorus_shared::account::{AccountType, InviteState, Role};
use chorus_shared::api::User;
use chrono::Utc;
use common::{Backend, TestDb};
use uuid::Uuid;

on_every_backend!(
    emails_are_unique,
    account_type_is_set_once_under_concurrency,
    one_open_invite_per_email_under_concurrency,
    an_invite_is_answered_once_under_concurrency,
    the_last_admin_cannot_be_removed,
    sessions_expire_and_data_survives_a_reopen,
    credits_expiring_first_are_spent_first_and_expired_ones_not_at_all,
);

async fn user(store: &Arc<dyn Store>, email: &str) -> User {
    store
        .create_user(Uuid::now_v7(), email, "hash", Utc::now())
        .await
        .expect("create user")
}

async fn organization_of(store: &Arc<dyn Store>, owner: &User) -> Uuid {
    let org = NewOrganizationRecord {
        id: Uuid::now_v7(),
        name: "Acme".into(),
        default_country: "GB".into(),
        phone: None,
    };
    let (_, created) = store
        .choose_account_type(owner.id, AccountType::Organization, Some(org), Utc::now())
        .await
        .expect("organization account");
    created.expect("organization").id
}

fn conflicts<T>(results: &[Result<T, StoreError>], expected: Conflict) -> usize {
    results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict(c)) if *c == expected))
        .count()
}

async fn emails_are_unique(backend: Backend) {
    let db = TestDb::new(backend).await;
    user(&db.store, "a@x.test").await;
    let again = db
        .store
        .create_user(Uuid::now_v7(), "a@x.test", "hash", Utc::now())
        .await;
    assert!(matches!(
        again,
        Err(StoreError::Conflict(Conflict::EmailTaken))
    ));
}

async fn account_type_is_set_once_under_concurrency(backend: Backend) {
    let db = TestDb::new(backend).await;
    let owner = user(&db.store, "owner@x.test").await;
    let attempts = (0..8).map(|i| {
        let store = Arc::clone(&db.store);
        tokio::spawn(async move {
            let org = NewOrganizationRecord {
                id: Uuid::now_v7(),
                name: format!("Org {i}"),
                default_country: "GB".into(),
                phone: None,
            };
            store
                .choose_account_type(owner.id, AccountType::Organization, Some(org), Utc::now())
                .await
        })
    });
    let results: Vec<_> = futures_join(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(conflicts(&results, Conflict::AccountTypeAlreadyChosen), 7);
    let memberships = db.store.memberships(owner.id).await.expect("memberships");
    assert_eq!(memberships.len(), 1, "exactly one organization was created");
    assert_eq!(memberships[0].role, Role::Admin);
}

async fn one_open_invite_per_email_under_concurrency(backend: Backend) {
    let db = TestDb::new(backend).await;
    let admin = user(&db.store, "admin@x.test").await;
    let org = organization_of(&db.store, &admin).await;
    let attempts = (0..8).map(|_| {
        let store = Arc::clone(&db.store);
        tokio::spawn(async move {
            store
                .create_invite(Uuid::now_v7(), org, "agent@x.test", admin.id, Utc::now())
                .await
        })
    });
    let results = futures_join(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(conflicts(&results, Conflict::InvitePending), 7);
    assert_eq!(db.store.invites(org).await.expect("invites").len(), 1);
}

async fn an_invite_is_answered_once_under_concurrency(backend: Backend) {
    let db = TestDb::new(backend).await;
    let admin = user(&db.store, "admin@x.test").await;
    let agent = user(&db.store, "agent@x.test").await;
    let org = organization_of(&db.store, &admin).await;
    let invite = db
        .store
        .create_invite(Uuid::now_v7(), org, "agent@x.test", admin.id, Utc::now())
        .await
        .expect("invite");
    let attempts = (0..8).map(|i| {
        let (store, agent) = (Arc::clone(&db.store), agent.clone());
        tokio::spawn(async move {
            store
                .answer_invite(invite.id, &agent, i % 2 == 0, Utc::now())
                .await
        })
    });
    let results = futures_join(attempts).await;
    let answered: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(answered.len(), 1);
    assert_eq!(conflicts(&results, Conflict::InviteClosed), 7);
    let members = db.store.members(org).await.expect("members");
    let joined = answered[0].state == InviteState::Accepted;
    assert_eq!(members.len(), if joined { 2 } else { 1 });

    let stranger = user(&db.store, "stranger@x.test").await;
    let other = db
        .store
        .create_invite(Uuid::now_v7(), org, "someone@x.test", admin.id, Utc::now())
        .await
        .expect("invite");
    let by_stranger = db
        .store
        .answer_invite(other.id, &stranger, true, Utc::now())
        .await;
    assert!(
        matches!(by_stranger, Err(StoreError::NotFound)),
        "scoped to the invited email"
    );
}

async fn the_last_admin_cannot_be_removed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let admin = user(&db.store, "admin@x.test").await;
    let org = organization_of(&db.store, &admin).await;
    let removed = db.store.remove_member(org, admin.id).await;
    assert!(matches!(
        removed,
        Err(StoreError::Conflict(Conflict::LastAdmin))
    ));
    assert_eq!(
        db.store.role(org, admin.id).await.expect("role"),
        Some(Role::Admin)
    );
    let nobody = db.store.remove_member(org, Uuid::now_v7()).await;
    assert!(matches!(nobody, Err(StoreError::NotFound)));
}

async fn sessions_expire_and_data_survives_a_reopen(backend: Backend) {
    let db = TestDb::new(backend).await;
    let someone = user(&db.store, "s@x.test").await;
    let now = Utc::now();
    let expires = now + chrono::Duration::hours(1);
    db.store
        .create_session(b"token-hash", someone.id, now, expires)
        .await
        .expect("session");
    let found = db
        .store
        .session_user(b"token-hash", now)
        .await
        .expect("lookup");
    assert_eq!(found.map(|u| u.id), Some(someone.id));
    let later = expires + chrono::Duration::seconds(1);
    assert!(db
        .store
        .session_user(b"token-hash", later)
        .await
        .expect("lookup")
        .is_none());

    let reopened = db.reopen().await;
    let again = reopened.user(someone.id).await.expect("user");
    assert_eq!(again, Some(someone.clone()), "the user survives a restart");
    let session = reopened
        .session_user(b"token-hash", now)
        .await
        .expect("lookup");
    assert_eq!(
        session.map(|u| u.id),
        Some(someone.id),
        "so does the session"
    );
    reopened
        .delete_session(b"token-hash")
        .await
        .expect("sign out");
    assert!(db
        .store
        .session_user(b"token-hash", now)
        .await
        .expect("lookup")
        .is_none());
}

/// Awaits every spawned task, in order.
async fn futures_join<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut results = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        results.push(task.await.expect("task"));
    }
    results
}

async fn credits_expiring_first_are_spent_first_and_expired_ones_not_at_all(backend: Backend) {
    use chorus_relay::store::{AccountRef, ChatRef, ChatTarget, NewOutgoing};
    use chorus_shared::message::MessageKind;
    use chorus_shared::queue::CreditPlan;

    let db = TestDb::new(backend).await;
    let owner = user(&db.store, "owner@x.test").await;
    let account = AccountRef::Personal(owner.id);
    let now = Utc::now();
    let grant = |plan, amount, expires: chrono::Duration| {
        db.store.grant_credits(
            account,
            Uuid::now_v7(),
            plan,
            amount,
            now - chrono::Duration::days(40),
            now + expires,
        )
    };
    grant(CreditPlan::Monthly, 50, chrono::Duration::days(-1))
        .await
        .expect("expired grant");
    let volume = grant(CreditPlan::Volume, 10, chrono::Duration::days(80))
        .await
        .expect("volume");
    let monthly = grant(CreditPlan::Monthly, 3, chrono::Duration::days(5))
        .await
        .expect("monthly");

    let credits = db.store.credits(account, now, 10).await.expect("credits");
    assert_eq!(credits.available, 13, "the expired grant does not count");
    assert_eq!(
        credits.grants.iter().map(|g| g.id).collect::<Vec<_>>(),
        [monthly.id, volume.id]
    );

    let send = |key: &str, kind| NewOutgoing {
        id: Uuid::now_v7(),
        account,
        author_id: owner.id,
        chat: ChatRef::Target(ChatTarget {
            wa_id: "447400123456@c.us".into(),
            phone: None,
            name: None,
        }),
        kind,
        text: Some("hi".into()),
        attachment_id: None,
        idempotency_key: key.into(),
        lease: None,
    };
    db.store
        .queue_message(send("a", MessageKind::Video), now)
        .await
        .expect("queued");
    let credits = db.store.credits(account, now, 10).await.expect("credits");
    let remaining: Vec<i64> = credits.grants.iter().map(|g| g.remaining).collect();
    assert_eq!(
        remaining,
        [9],
        "the monthly grant (expiring first) was used up first, then 1 of the volume plan"
    );
    assert_eq!((credits.available, credits.reserved), (9, 4));

    for key in ["b", "c"] {
        let paid = db
            .store
            .queue_message(send(key, MessageKind::Video), now)
            .await;
        assert!(paid.is_ok(), "9, then 5, pay for a video");
    }
    let refused = db
        .store
        .queue_message(send("d", MessageKind::Video), now)
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Conflict(Conflict::InsufficientCredits {
                needed: 4,
                available: 1
            }))
        ),
        "{refused:?}"
    );
}
