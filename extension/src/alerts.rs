//! Telling a member that customers wrote: a count on the extension's button
//! (unread messages in chats assigned to them or to nobody) and, if they
//! opted in, a desktop notification for each chat that gets new messages.
//!
//! The worker feeds every live chat change here; what to show is decided
//! here, natively tested, and the worker only draws it.

use std::collections::HashMap;

use chorus_shared::team::ChatView;
use uuid::Uuid;

/// A desktop notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Which chat (a new alert for it replaces the last).
    pub chat_id: Uuid,
    /// Who wrote.
    pub title: String,
    /// What they wrote, as the chat list shows it.
    pub body: String,
}

/// What the member has been told, per chat.
#[derive(Debug, Default)]
pub struct Alerts {
    /// The member.
    user: Option<Uuid>,
    /// Each chat seen: its unread count and whether it is the member's.
    chats: HashMap<Uuid, (i64, bool)>,
}

impl Alerts {
    /// For the member `user` (`None`: signed out, nothing counts).
    pub fn for_user(user: Option<Uuid>) -> Alerts {
        Alerts {
            user,
            chats: HashMap::new(),
        }
    }

    /// A chat changed; the alert to show, when it is the member's (assigned
    /// to them, or to nobody) and holds more unread messages than before.
    pub fn chat_changed(&mut self, chat: &ChatView) -> Option<Alert> {
        self.user?;
        let theirs = chat.assignee_id.is_none() || chat.assignee_id == self.user;
        let unread = chat.unread.max(0)
            + chat
                .waiting
                .as_ref()
                .map_or(0, |waiting| waiting.count.max(0));
        let before = self.chats.insert(chat.id, (unread, theirs));
        let grew = unread > before.map_or(0, |(count, _)| count);
        (theirs && grew).then(|| Alert {
            chat_id: chat.id,
            title: chat
                .name
                .clone()
                .or_else(|| chat.phone.clone())
                .unwrap_or_else(|| chat.wa_id.clone()),
            body: chat
                .waiting
                .as_ref()
                .and_then(|waiting| waiting.preview.clone())
                .or_else(|| chat.last_message.as_ref().and_then(|m| m.text.clone()))
                .unwrap_or_else(|| "New message".into()),
        })
    }

    /// The count for the extension's button: unread messages in the
    /// member's chats.
    pub fn badge(&self) -> i64 {
        self.chats
            .values()
            .filter(|(_, theirs)| *theirs)
            .map(|(unread, _)| unread)
            .sum()
    }

    /// The button's text: empty for none, "99+" past 99.
    pub fn badge_text(&self) -> String {
        match self.badge() {
            0 => String::new(),
            n if n > 99 => "99+".into(),
            n => n.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_shared::team::{ChatKind, ChatStatus, WaitingMessages};

    fn chat(id: u128, unread: i64, assignee: Option<u128>) -> ChatView {
        ChatView {
            id: Uuid::from_u128(id),
            organization_id: Some(Uuid::from_u128(100)),
            wa_id: "447400000001@c.us".into(),
            kind: ChatKind::Person,
            name: None,
            phone: Some("+447400000001".into()),
            contact_id: None,
            status: ChatStatus::Open,
            assignee_id: assignee.map(Uuid::from_u128),
            unread,
            participants: vec![],
            last_message: None,
            waiting: None,
            last_activity_at: chrono::DateTime::from_timestamp(0, 0).expect("time"),
            seq: 1,
        }
    }

    const ME: u128 = 7;

    #[test]
    fn new_messages_in_my_or_unassigned_chats_alert_me() {
        let mut alerts = Alerts::for_user(Some(Uuid::from_u128(ME)));
        let alert = alerts.chat_changed(&chat(1, 1, None)).expect("unassigned");
        assert_eq!(alert.title, "+447400000001");
        assert!(
            alerts.chat_changed(&chat(1, 1, None)).is_none(),
            "nothing new"
        );
        assert!(alerts.chat_changed(&chat(2, 2, Some(ME))).is_some(), "mine");
        assert!(
            alerts.chat_changed(&chat(3, 5, Some(8))).is_none(),
            "a colleague's"
        );
        assert_eq!(alerts.badge(), 3);
        assert_eq!(alerts.badge_text(), "3");
        // Read by someone: the count goes down, no alert.
        assert!(alerts.chat_changed(&chat(2, 0, Some(ME))).is_none());
        assert_eq!(alerts.badge_text(), "1");
    }

    #[test]
    fn messages_waiting_at_the_host_count_with_their_preview() {
        let mut alerts = Alerts::for_user(Some(Uuid::from_u128(ME)));
        let mut lit = chat(1, 0, None);
        lit.waiting = Some(WaitingMessages {
            count: 2,
            preview: Some("Are you open?".into()),
            since: chrono::DateTime::from_timestamp(0, 0).expect("time"),
        });
        let alert = alerts.chat_changed(&lit).expect("alert");
        assert_eq!(alert.body, "Are you open?");
        // Captured: now unread, no longer waiting; the same two messages.
        assert!(alerts.chat_changed(&chat(1, 2, None)).is_none());
        assert_eq!(alerts.badge(), 2);
    }

    #[test]
    fn signed_out_nothing_counts_and_big_counts_are_capped() {
        let mut nobody = Alerts::for_user(None);
        assert!(nobody.chat_changed(&chat(1, 3, None)).is_none());
        assert_eq!(nobody.badge_text(), "");
        let mut alerts = Alerts::for_user(Some(Uuid::from_u128(ME)));
        alerts.chat_changed(&chat(1, 150, None));
        assert_eq!(alerts.badge_text(), "99+");
    }
}
