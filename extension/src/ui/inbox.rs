//! The shared inbox: which of a profile's chats the Chat tab lists (mine,
//! unassigned or all; open or resolved; a search), both when it asks the
//! relay and when a live change arrives, so a chat that stops matching
//! leaves the list and one that starts matching joins it.

use chorus_shared::team::{AssigneeFilter, ChatStatus, ChatView};
use uuid::Uuid;

/// The list's filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatFilter {
    /// Whose chats.
    pub assignee: AssigneeFilter,
    /// Open or resolved; `None` for both.
    pub status: Option<ChatStatus>,
    /// Part of a name or number.
    pub search: String,
}

impl Default for ChatFilter {
    fn default() -> Self {
        ChatFilter {
            assignee: AssigneeFilter::Anyone,
            status: Some(ChatStatus::Open),
            search: String::new(),
        }
    }
}

impl ChatFilter {
    /// Whether `chat` belongs in the list of `user`.
    pub fn admits(&self, chat: &ChatView, user: Option<Uuid>) -> bool {
        let whose = match self.assignee {
            AssigneeFilter::Anyone => true,
            AssigneeFilter::Unassigned => chat.assignee_id.is_none(),
            AssigneeFilter::Mine => user.is_some() && chat.assignee_id == user,
        };
        let state = self.status.is_none_or(|status| chat.status == status);
        whose && state && self.finds(chat)
    }

    fn finds(&self, chat: &ChatView) -> bool {
        let search = self.search.trim().to_lowercase();
        if search.is_empty() {
            return true;
        }
        let digits: String = search.chars().filter(char::is_ascii_digit).collect();
        let by_name = chat
            .name
            .as_deref()
            .is_some_and(|name| name.to_lowercase().contains(&search));
        let by_number = !digits.is_empty()
            && chat
                .phone
                .as_deref()
                .is_some_and(|phone| phone.contains(&digits));
        by_name || by_number
    }

    /// The assignee parameter of `GET /chats`.
    pub fn assignee_param(&self) -> Option<String> {
        match self.assignee {
            AssigneeFilter::Anyone => None,
            AssigneeFilter::Mine => Some("mine".into()),
            AssigneeFilter::Unassigned => Some("unassigned".into()),
        }
    }

    /// The search text for `GET /chats`, when there is one.
    pub fn search_param(&self) -> Option<String> {
        Some(self.search.trim().to_owned()).filter(|search| !search.is_empty())
    }
}

/// The choices of the list's "whose" menu: value and label.
pub const WHOSE_CHOICES: [(&str, &str); 3] = [
    ("anyone", "All chats"),
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
];
/// The choices of its state menu.
pub const STATE_CHOICES: [(&str, &str); 3] = [
    ("open", "Open"),
    ("resolved", "Resolved"),
    ("any", "Open and resolved"),
];

/// Reads a "whose" menu value.
pub fn parse_whose(value: &str) -> AssigneeFilter {
    match value {
        "mine" => AssigneeFilter::Mine,
        "unassigned" => AssigneeFilter::Unassigned,
        _ => AssigneeFilter::Anyone,
    }
}

/// Reads a state menu value.
pub fn parse_state(value: &str) -> Option<ChatStatus> {
    match value {
        "open" => Some(ChatStatus::Open),
        "resolved" => Some(ChatStatus::Resolved),
        _ => None,
    }
}

/// The menu values of a filter.
pub fn menu_values(filter: &ChatFilter) -> (&'static str, &'static str) {
    let whose = match filter.assignee {
        AssigneeFilter::Anyone => "anyone",
        AssigneeFilter::Mine => "mine",
        AssigneeFilter::Unassigned => "unassigned",
    };
    let state = match filter.status {
        Some(ChatStatus::Open) => "open",
        Some(ChatStatus::Resolved) => "resolved",
        None => "any",
    };
    (whose, state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_shared::team::ChatKind;

    fn chat(name: &str, phone: &str, assignee: Option<u128>, status: ChatStatus) -> ChatView {
        ChatView {
            id: Uuid::from_u128(1),
            organization_id: Some(Uuid::from_u128(9)),
            wa_id: format!("{}@c.us", phone.trim_start_matches('+')),
            kind: ChatKind::Person,
            name: Some(name.into()),
            phone: Some(phone.into()),
            contact_id: None,
            status,
            assignee_id: assignee.map(Uuid::from_u128),
            unread: 0,
            participants: vec![],
            last_message: None,
            waiting: None,
            last_activity_at: chrono::DateTime::from_timestamp(0, 0).expect("time"),
            seq: 1,
        }
    }

    #[test]
    fn the_default_lists_every_open_chat() {
        let filter = ChatFilter::default();
        assert!(filter.admits(&chat("Ana", "+4474", Some(2), ChatStatus::Open), None));
        assert!(!filter.admits(&chat("Ana", "+4474", None, ChatStatus::Resolved), None));
        let everything = ChatFilter {
            status: None,
            ..ChatFilter::default()
        };
        assert!(everything.admits(&chat("Ana", "+4474", None, ChatStatus::Resolved), None));
    }

    #[test]
    fn mine_and_unassigned_follow_the_assignee() {
        let me = Some(Uuid::from_u128(2));
        let mine = ChatFilter {
            assignee: AssigneeFilter::Mine,
            ..ChatFilter::default()
        };
        assert!(mine.admits(&chat("Ana", "+4474", Some(2), ChatStatus::Open), me));
        assert!(!mine.admits(&chat("Ana", "+4474", Some(3), ChatStatus::Open), me));
        assert!(!mine.admits(&chat("Ana", "+4474", None, ChatStatus::Open), None));
        let unassigned = ChatFilter {
            assignee: AssigneeFilter::Unassigned,
            ..ChatFilter::default()
        };
        assert!(unassigned.admits(&chat("Ana", "+4474", None, ChatStatus::Open), me));
        assert!(!unassigned.admits(&chat("Ana", "+4474", Some(2), ChatStatus::Open), me));
        assert_eq!(mine.assignee_param().as_deref(), Some("mine"));
        assert_eq!(ChatFilter::default().assignee_param(), None);
    }

    #[test]
    fn search_finds_names_and_digits() {
        let ana = chat("Ana Lima", "+447400000001", None, ChatStatus::Open);
        let by = |search: &str| ChatFilter {
            search: search.into(),
            ..ChatFilter::default()
        };
        assert!(by("lima").admits(&ana, None));
        assert!(by("7400 0000").admits(&ana, None));
        assert!(!by("bo").admits(&ana, None));
        assert_eq!(by("  ").search_param(), None);
    }

    #[test]
    fn menus_read_back_what_they_show() {
        for (value, _) in WHOSE_CHOICES {
            let filter = ChatFilter {
                assignee: parse_whose(value),
                ..ChatFilter::default()
            };
            assert_eq!(menu_values(&filter).0, value);
        }
        for (value, _) in STATE_CHOICES {
            let filter = ChatFilter {
                status: parse_state(value),
                ..ChatFilter::default()
            };
            assert_eq!(menu_values(&filter).1, value);
        }
    }
}
