//! The storage contract, written once and run against SQLite and PostgreSQL.
//!
//! These tests race concurrent writers, because the rules here (one account
//! type, one open invite per email, one answer per invite) must hold even
//! when two requests arrive at once.

mod common;

use std::sync::Arc;

use chorus_relay::store::{Conflict, MemberChange, NewOrganizationRecord, Store, StoreError};
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
    a_batch_decides_each_send_and_report_as_if_made_one_by_one,
    an_import_adds_new_numbers_and_leaves_known_ones,
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

/// What the store keeps of an invite code (the relay hashes the code).
const CODE_HASH: &[u8] = b"hash of the invite code";

async fn one_open_invite_per_email_under_concurrency(backend: Backend) {
    let db = TestDb::new(backend).await;
    let admin = user(&db.store, "admin@x.test").await;
    let org = organization_of(&db.store, &admin).await;
    let attempts = (0..8).map(|_| {
        let store = Arc::clone(&db.store);
        tokio::spawn(async move {
            store
                .create_invite(
                    Uuid::now_v7(),
                    org,
                    "agent@x.test",
                    admin.id,
                    CODE_HASH,
                    Utc::now(),
                )
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
        .create_invite(
            Uuid::now_v7(),
            org,
            "agent@x.test",
            admin.id,
            CODE_HASH,
            Utc::now(),
        )
        .await
        .expect("invite");
    let attempts = (0..8).map(|i| {
        let (store, agent) = (Arc::clone(&db.store), agent.clone());
        tokio::spawn(async move {
            store
                .answer_invite(
                    invite.id,
                    &agent,
                    (i % 2 == 0).then_some(CODE_HASH),
                    Utc::now(),
                )
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
        .create_invite(
            Uuid::now_v7(),
            org,
            "someone@x.test",
            admin.id,
            CODE_HASH,
            Utc::now(),
        )
        .await
        .expect("invite");
    let by_stranger = db
        .store
        .answer_invite(other.id, &stranger, Some(CODE_HASH), Utc::now())
        .await;
    assert!(
        matches!(by_stranger, Err(StoreError::NotFound)),
        "scoped to the invited email"
    );
    let someone = user(&db.store, "someone@x.test").await;
    let wrong = db
        .store
        .answer_invite(other.id, &someone, Some(b"another hash"), Utc::now())
        .await;
    assert!(
        matches!(wrong, Err(StoreError::Conflict(Conflict::WrongInviteCode))),
        "the invited email alone is not enough"
    );
    assert_eq!(
        db.store.members(org).await.expect("members").len(),
        members.len()
    );
}

async fn the_last_admin_cannot_be_removed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let admin = user(&db.store, "admin@x.test").await;
    let org = organization_of(&db.store, &admin).await;
    let removed = db
        .store
        .change_member(org, admin.id, MemberChange::Remove)
        .await;
    assert!(matches!(
        removed,
        Err(StoreError::Conflict(Conflict::LastAdmin))
    ));
    assert_eq!(
        db.store.role(org, admin.id).await.expect("role"),
        Some(Role::Admin)
    );
    let nobody = db
        .store
        .change_member(org, Uuid::now_v7(), MemberChange::Remove)
        .await;
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
        campaign_id: None,
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

async fn a_batch_decides_each_send_and_report_as_if_made_one_by_one(backend: Backend) {
    use chorus_relay::store::{AccountRef, ChatRef, ChatTarget, NewOutgoing, Report};
    use chorus_shared::message::{MessageKind, MessageStatus};
    use chorus_shared::protocol::DeliveryReport;
    use chorus_shared::queue::CreditPlan;

    let db = TestDb::new(backend).await;
    let owner = user(&db.store, "owner@x.test").await;
    let stranger = user(&db.store, "stranger@x.test").await;
    let account = AccountRef::Personal(owner.id);
    let now = Utc::now();
    db.store
        .grant_credits(
            account,
            Uuid::now_v7(),
            CreditPlan::Volume,
            6,
            now,
            now + chrono::Duration::days(90),
        )
        .await
        .expect("grant");
    let send = |key: &str, kind, chat: ChatRef| NewOutgoing {
        id: Uuid::now_v7(),
        account,
        author_id: owner.id,
        chat,
        kind,
        text: Some(format!("message {key}")),
        attachment_id: None,
        idempotency_key: key.into(),
        lease: None,
        campaign_id: None,
    };
    let person = |digits: &str| {
        ChatRef::Target(ChatTarget {
            wa_id: format!("{digits}@c.us"),
            phone: Some(format!("+{digits}")),
            name: None,
        })
    };
    let results = db
        .store
        .queue_messages(
            vec![
                send("video", MessageKind::Video, person("447400000001")),
                send("video", MessageKind::Video, person("447400000001")),
                send("second video", MessageKind::Video, person("447400000002")),
                send("text", MessageKind::Text, person("447400000001")),
                send("text 2", MessageKind::Text, ChatRef::Id(Uuid::now_v7())),
                send("text 3", MessageKind::Text, person("447400000002")),
            ],
            now,
        )
        .await
        .expect("batch");
    let video = results[0].as_ref().expect("video queued");
    assert!(video.created);
    let retry = results[1].as_ref().expect("retry answered");
    assert_eq!(
        (retry.message().expect("a message").id, retry.created),
        (video.message().expect("a message").id, false)
    );
    assert!(
        matches!(
            results[2],
            Err(StoreError::Conflict(Conflict::InsufficientCredits {
                needed: 4,
                available: 2
            }))
        ),
        "{:?}",
        results[2]
    );
    let text = results[3].as_ref().expect("text queued");
    assert_eq!(
        text.message().expect("a message").chat_id,
        video.message().expect("a message").chat_id,
        "one chat per number"
    );
    assert!(text.message().expect("a message").seq > video.message().expect("a message").seq);
    assert!(matches!(results[4], Err(StoreError::NotFound)));
    let last = results[5].as_ref().expect("the last credit pays for it");
    let stored = db
        .store
        .message(account, last.message().expect("a message").id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        stored,
        *last.message().expect("a message"),
        "what the batch returns is what is stored"
    );
    let credits = db.store.credits(account, now, 10).await.expect("credits");
    assert_eq!((credits.available, credits.reserved), (0, 6));

    let report = |message_id, report| Report {
        account,
        message_id,
        report,
        lease: None,
    };
    let sent = |wa_id: &str| DeliveryReport::Sent {
        wa_id: Some(wa_id.into()),
    };
    let (video_id, text_id, last_id) = (
        video.message().expect("a message").id,
        text.message().expect("a message").id,
        last.message().expect("a message").id,
    );
    let applied = db
        .store
        .apply_reports(
            vec![
                report(video_id, DeliveryReport::Sending),
                report(video_id, sent("true_1")),
                report(text_id, sent("true_1")),
                report(
                    text_id,
                    DeliveryReport::Failed {
                        reason: "late".into(),
                    },
                ),
                report(video_id, sent("true_1")),
                report(Uuid::now_v7(), DeliveryReport::Sending),
                Report {
                    account: AccountRef::Personal(stranger.id),
                    message_id: last_id,
                    report: DeliveryReport::Failed {
                        reason: "not yours".into(),
                    },
                    lease: None,
                },
                report(
                    last_id,
                    DeliveryReport::Failed {
                        reason: "not on WhatsApp".into(),
                    },
                ),
                report(video_id, DeliveryReport::Read),
            ],
            now,
            now + chrono::Duration::minutes(2),
        )
        .await
        .expect("reports");
    let outcome = |index: usize| {
        let applied = applied[index].as_ref().expect("applied");
        (
            applied.message.status,
            applied.message.wa_id.clone(),
            applied.changed,
        )
    };
    assert_eq!(
        outcome(0),
        (MessageStatus::Queued, None, false),
        "not leased: nothing to extend"
    );
    assert_eq!(
        outcome(1),
        (MessageStatus::Sent, Some("true_1".into()), true)
    );
    assert_eq!(
        outcome(2),
        (MessageStatus::Sent, None, true),
        "the id belongs to the video"
    );
    assert_eq!(
        outcome(3),
        (MessageStatus::Sent, None, false),
        "failed after sent is late"
    );
    assert_eq!(
        outcome(4),
        (MessageStatus::Sent, Some("true_1".into()), false),
        "repeated"
    );
    assert!(matches!(applied[5], Err(StoreError::NotFound)));
    assert!(
        matches!(applied[6], Err(StoreError::NotFound)),
        "another account's message"
    );
    assert_eq!(outcome(7), (MessageStatus::Failed, None, true));
    assert_eq!(
        outcome(8),
        (MessageStatus::Read, Some("true_1".into()), true)
    );

    for (id, status) in [
        (video_id, MessageStatus::Read),
        (text_id, MessageStatus::Sent),
        (last_id, MessageStatus::Failed),
    ] {
        let stored = db
            .store
            .message(account, id)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(stored.status, status);
    }
    let credits = db.store.credits(account, now, 20).await.expect("credits");
    assert_eq!(
        (credits.available, credits.reserved),
        (1, 0),
        "5 spent on what was sent, 1 returned from what failed"
    );

    // A host's report that frees its only place takes the next message in
    // the same transaction.
    db.store
        .grant_credits(
            account,
            Uuid::now_v7(),
            CreditPlan::Volume,
            2,
            now,
            now + chrono::Duration::days(90),
        )
        .await
        .expect("grant");
    let queued = db
        .store
        .queue_messages(
            vec![
                send("first", MessageKind::Text, person("447400000003")),
                send("second", MessageKind::Text, person("447400000003")),
            ],
            now,
        )
        .await
        .expect("batch");
    let ids: Vec<Uuid> = queued
        .iter()
        .map(|queued| {
            queued
                .as_ref()
                .expect("queued")
                .message()
                .expect("a message")
                .id
        })
        .collect();
    let until = now + chrono::Duration::minutes(2);
    let leased = db
        .store
        .lease_next(account, "host", now, until, 1)
        .await
        .expect("lease");
    assert_eq!(leased.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[0]]);
    let offer = chorus_relay::store::LeaseOffer {
        owner: "host".into(),
        until,
        window: 1,
    };
    let applied = db
        .store
        .apply_reports(
            vec![Report {
                lease: Some(offer),
                ..report(ids[0], sent("true_2"))
            }],
            now,
            until,
        )
        .await
        .expect("report");
    let applied = applied[0].as_ref().expect("applied");
    assert_eq!(
        applied.leased.len(),
        1,
        "the second message follows at once"
    );
    assert_eq!(
        (applied.leased[0].id, applied.leased[0].status),
        (ids[1], MessageStatus::Sending)
    );
    let stored = db
        .store
        .message(account, ids[1])
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored, applied.leased[0]);
}

async fn an_import_adds_new_numbers_and_leaves_known_ones(backend: Backend) {
    use chorus_relay::store::{AccountRef, ContactQuery, ContactRecord};
    use chorus_shared::team::ContactSource;

    let db = TestDb::new(backend).await;
    let owner = user(&db.store, "owner@x.test").await;
    let account = AccountRef::Personal(owner.id);
    let now = Utc::now();
    db.store
        .add_contact(
            account,
            Uuid::now_v7(),
            ContactRecord {
                phone: "+447400000001".into(),
                name: Some("Kept".into()),
                tags: vec!["vip".into()],
                attributes: Default::default(),
                source: ContactSource::Manual,
            },
            now,
        )
        .await
        .expect("contact");
    let added = db
        .store
        .import_contacts(
            account,
            &[
                ("+447400000001".into(), Some("Overwritten?".into())),
                ("+447400000002".into(), None),
                ("+447400000003".into(), Some("Cat".into())),
            ],
            now,
        )
        .await
        .expect("import");
    assert_eq!(added, 2);
    let (contacts, total) = db
        .store
        .contacts(
            account,
            ContactQuery {
                limit: 10,
                ..ContactQuery::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(total, 3);
    let kept = contacts
        .iter()
        .find(|contact| contact.phone == "+447400000001")
        .expect("kept");
    assert_eq!(kept.name.as_deref(), Some("Kept"));
    assert_eq!(kept.tags, ["vip"]);
    let imported = contacts
        .iter()
        .find(|contact| contact.phone == "+447400000003")
        .expect("imported");
    assert_eq!(imported.source, ContactSource::Import);
}
