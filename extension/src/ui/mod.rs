//! The sidebar's state and what it shows, as plain Rust tested natively.
//! The WebAssembly side (`pages`) fills the state from the relay and the
//! worker, and its components place what [`present`] decides.
//!
//! # Layout
//! - this file: the state ([`Model`]) and how live changes update it.
//! - [`present`]: the screen, row texts, marks and status lines.
//! - [`campaign`]: the Campaigns tab's flow and progress lines.

pub mod campaign;
pub mod inbox;
pub mod present;

use std::collections::{BTreeSet, HashMap};

use chorus_shared::api::{Invite, Member, MyOrganizations, Profile, User};
use chorus_shared::queue::{FileView, MessageView, QueueSummary};
use chorus_shared::team::{ChatView, CommentView, ContactView, TimelineItem};
use uuid::Uuid;

use crate::channel::{HostStatus, Settings};
use crate::driver::watch::OpenChat;

/// The sidebar's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// The chat open in WhatsApp Web, and the profile's recent chats.
    #[default]
    Chat,
    /// "Send message to number" and the status of what the user queued.
    Send,
    /// The profile's contacts.
    Contacts,
    /// Bulk sends from a spreadsheet, and every campaign's progress.
    Campaigns,
    /// The profile's file library.
    Files,
    /// "My Organizations": invites, members.
    Team,
    /// Hosting this browser's WhatsApp Web number.
    Host,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Tab; 7] = [
        Tab::Chat,
        Tab::Send,
        Tab::Contacts,
        Tab::Campaigns,
        Tab::Files,
        Tab::Team,
        Tab::Host,
    ];

    /// Its label.
    pub fn name(self) -> &'static str {
        match self {
            Tab::Chat => "Chat",
            Tab::Send => "Send",
            Tab::Contacts => "Contacts",
            Tab::Campaigns => "Campaigns",
            Tab::Files => "Files",
            Tab::Team => "Team",
            Tab::Host => "Host",
        }
    }
}

/// The open chat's panel, as loaded from the relay.
#[derive(Debug, Clone, Default)]
pub struct ChatPanel {
    /// The chat, once the relay knows it.
    pub chat: Option<ChatView>,
    /// Its messages and comments, oldest first.
    pub timeline: Vec<TimelineItem>,
}

/// An organization the user administers, with its people.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Team {
    /// Members and roles.
    pub members: Vec<Member>,
    /// Invites sent and their states.
    pub invites: Vec<Invite>,
}

/// Everything the sidebar shows.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Relay address, session, profile choice, hosting choice.
    pub settings: Settings,
    /// The signed-in user.
    pub user: Option<User>,
    /// "You" and each organization.
    pub profiles: Vec<Profile>,
    /// Credits per profile (`None` is "You"): available, reserved.
    pub credits: HashMap<Option<Uuid>, (i64, i64)>,
    /// Whether each profile's number has a host online.
    pub host_online: HashMap<Option<Uuid>, bool>,
    /// The tab shown.
    pub tab: Tab,
    /// Collapsed to a strip.
    pub collapsed: bool,
    /// The worker's relay connection: online, and what is wrong if not.
    pub connection: (bool, Option<String>),
    /// Hosting in this browser.
    pub host: HostStatus,
    /// What waits for the hosted number, from the relay.
    pub queue: Option<QueueSummary>,
    /// The chat open in this tab's WhatsApp Web.
    pub open_chat: Option<OpenChat>,
    /// Its panel.
    pub panel: ChatPanel,
    /// The group open in WhatsApp Web, when the organization has not added
    /// it to Chorus yet (an admin may).
    pub group_to_add: Option<chorus_shared::team::GroupView>,
    /// The profile's chats that the filter admits, most recent first.
    pub chats: Vec<ChatView>,
    /// Which chats the list shows.
    pub chat_filter: inbox::ChatFilter,
    /// The current profile's feed position the sidebar is up to date with:
    /// after a reconnection it catches up from here.
    pub cursor: Option<i64>,
    /// A chat opened from the list, shown instead of the one open in
    /// WhatsApp Web (an organization's chats live at its host).
    pub chosen_chat: Option<Uuid>,
    /// The members of the current profile's organization (for assigning).
    pub members: Vec<Member>,
    /// Messages the user queued from this sidebar, newest first.
    pub sent: Vec<MessageView>,
    /// The profile's files.
    pub files: Vec<FileView>,
    /// The profile's contacts (current page), their total and the selection.
    pub contacts: Vec<ContactView>,
    /// How many contacts match the filter.
    pub contacts_total: i64,
    /// The contact filter in force: search text and tag.
    pub contacts_filter: (String, String),
    /// Contacts ticked for a bulk action.
    pub selected: BTreeSet<Uuid>,
    /// Invites received and memberships.
    pub organizations: MyOrganizations,
    /// Per organization the user administers.
    pub teams: HashMap<Uuid, Team>,
    /// The profile's campaigns, newest first.
    pub campaigns: Vec<chorus_shared::campaign::CampaignView>,
    /// The "Excel file" flow.
    pub campaign_flow: campaign::CampaignFlow,
    /// How the profile's number paces campaigns.
    pub pacing: Option<chorus_shared::api::PacingSettings>,
    /// Files customers sent that this sidebar has fetched: file id → a
    /// `blob:` URL of this page to show or save them.
    pub received_files: HashMap<Uuid, String>,
    /// The last error, in words.
    pub error: Option<String>,
    /// Why this tab's page cannot be driven, if it cannot.
    pub tab_problem: Option<String>,
    /// The last confirmation ("Invite sent").
    pub notice: Option<String>,
}

impl Model {
    /// The profile chosen in the switch.
    pub fn current_profile(&self) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|profile| profile.organization_id == self.settings.profile)
    }

    /// Whether the user is an admin of the chosen organization.
    pub fn is_admin_here(&self) -> bool {
        self.current_profile()
            .and_then(|profile| profile.role)
            .is_some_and(|role| role == chorus_shared::account::Role::Admin)
    }

    /// Records a message's new state if the user queued it here.
    pub fn message_changed(&mut self, message: &MessageView) {
        if let Some(mine) = self.sent.iter_mut().find(|m| m.id == message.id) {
            if message.seq >= mine.seq {
                *mine = message.clone();
            }
        }
        let in_panel = self
            .panel
            .chat
            .as_ref()
            .is_some_and(|chat| chat.id == message.chat_id);
        if in_panel {
            let existing = self.panel.timeline.iter_mut().find(
                |item| matches!(item, TimelineItem::Message { message: m } if m.id == message.id),
            );
            match existing {
                Some(item) => {
                    *item = TimelineItem::Message {
                        message: Box::new(message.clone()),
                    }
                }
                None => self.panel.timeline.push(TimelineItem::Message {
                    message: Box::new(message.clone()),
                }),
            }
        }
    }

    /// The profile's feed reached `seq` (positions only grow).
    pub fn note_seq(&mut self, seq: i64) {
        if let Some(cursor) = &mut self.cursor {
            *cursor = (*cursor).max(seq);
        }
    }

    /// Records a comment's new state in the panel, when it is on its chat.
    pub fn comment_changed(&mut self, comment: &CommentView) {
        let here = self
            .panel
            .chat
            .as_ref()
            .is_some_and(|chat| chat.id == comment.chat_id);
        if !here {
            return;
        }
        let timeline = &mut self.panel.timeline;
        let item = TimelineItem::Comment {
            comment: comment.clone(),
        };
        match timeline
            .iter_mut()
            .find(|item| matches!(item, TimelineItem::Comment { comment: c } if c.id == comment.id))
        {
            Some(existing) => *existing = item,
            None => timeline.push(item),
        }
    }

    /// Records a contact's new state, when it is on the page shown.
    pub fn contact_changed(&mut self, contact: &ContactView) {
        if let Some(existing) = self.contacts.iter_mut().find(|c| c.id == contact.id) {
            *existing = contact.clone();
        }
    }

    /// Records a chat's new state in the list and the panel.
    pub fn chat_changed(&mut self, chat: &ChatView) {
        if chat.organization_id != self.settings.profile {
            return;
        }
        self.chats.retain(|c| c.id != chat.id);
        let user = self.user.as_ref().map(|user| user.id);
        if self.chat_filter.admits(chat, user) {
            self.chats.insert(0, chat.clone());
        }
        self.chats
            .sort_by_key(|chat| std::cmp::Reverse(chat.last_activity_at));
        if let Some(open) = &mut self.panel.chat {
            if open.id == chat.id {
                *open = chat.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_shared::message::{Direction, MessageKind, MessageStatus};
    use chorus_shared::team::{ChatKind, ChatStatus};

    fn message(id: u128, chat: Uuid, status: MessageStatus, seq: i64) -> MessageView {
        MessageView {
            id: Uuid::from_u128(id),
            organization_id: None,
            chat_id: chat,
            chat_wa_id: "447400000001@c.us".into(),
            direction: Direction::Outgoing,
            kind: MessageKind::Text,
            text: Some("hi".into()),
            attachment: None,
            status,
            failure_reason: (status == MessageStatus::Failed)
                .then(|| "number is not on WhatsApp".into()),
            wa_id: None,
            author_id: None,
            sender: None,
            media: None,
            wa_time: None,
            campaign_id: None,
            cost: 1,
            seq,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn chat(id: u128, at: i64) -> ChatView {
        ChatView {
            id: Uuid::from_u128(id),
            organization_id: None,
            wa_id: format!("44740000000{id}@c.us"),
            kind: ChatKind::Person,
            name: None,
            phone: None,
            contact_id: None,
            status: ChatStatus::Open,
            assignee_id: None,
            unread: 0,
            participants: vec![],
            last_message: None,
            waiting: None,
            last_activity_at: chrono::DateTime::from_timestamp(at, 0).expect("time"),
            seq: 1,
        }
    }

    #[test]
    fn a_late_event_never_takes_a_message_back_in_time() {
        let mut model = Model::default();
        let chat_id = Uuid::from_u128(9);
        model
            .sent
            .push(message(1, chat_id, MessageStatus::Queued, 1));
        model.message_changed(&message(1, chat_id, MessageStatus::Sent, 3));
        model.message_changed(&message(1, chat_id, MessageStatus::Sending, 2));
        assert_eq!(model.sent[0].status, MessageStatus::Sent);
        assert_eq!(present::status_label(&model.sent[0]), "sent");
        let failed = message(2, chat_id, MessageStatus::Failed, 1);
        assert_eq!(
            present::status_label(&failed),
            "failed: number is not on WhatsApp"
        );
    }

    #[test]
    fn chats_are_listed_newest_activity_first_once_each() {
        let mut model = Model::default();
        model.chat_changed(&chat(1, 100));
        model.chat_changed(&chat(2, 200));
        model.chat_changed(&chat(1, 300));
        let order: Vec<u128> = model.chats.iter().map(|c| c.id.as_u128()).collect();
        assert_eq!(order, vec![1, 2]);
        let mut other = chat(3, 400);
        other.organization_id = Some(Uuid::from_u128(77));
        model.chat_changed(&other);
        assert_eq!(model.chats.len(), 2, "another profile's chat stays out");
    }

    #[test]
    fn a_live_change_moves_a_chat_in_or_out_of_the_filtered_list() {
        let mut model = Model::default();
        model.chat_filter.assignee = chorus_shared::team::AssigneeFilter::Unassigned;
        model.chat_changed(&chat(1, 100));
        assert_eq!(model.chats.len(), 1);
        let mut taken = chat(1, 200);
        taken.assignee_id = Some(Uuid::from_u128(5));
        model.chat_changed(&taken);
        assert!(model.chats.is_empty(), "assigned: no longer unassigned");
        let mut resolved = chat(2, 300);
        resolved.status = ChatStatus::Resolved;
        model.chat_filter = inbox::ChatFilter::default();
        model.chat_changed(&resolved);
        assert!(model.chats.is_empty(), "the list shows open chats");
    }

    #[test]
    fn the_cursor_only_moves_forward_and_only_once_loaded() {
        let mut model = Model::default();
        model.note_seq(9);
        assert_eq!(
            model.cursor, None,
            "nothing loaded: nothing to catch up from"
        );
        model.cursor = Some(5);
        model.note_seq(9);
        model.note_seq(7);
        assert_eq!(model.cursor, Some(9));
    }

    #[test]
    fn a_comment_lands_once_in_the_panel_of_its_chat() {
        let mut model = Model::default();
        let open = chat(1, 100);
        model.panel.chat = Some(open.clone());
        let comment = CommentView {
            id: Uuid::from_u128(50),
            chat_id: open.id,
            author_id: None,
            kind: chorus_shared::team::CommentKind::Note,
            body: "first".into(),
            assignee_id: None,
            created_at: chrono::DateTime::from_timestamp(1, 0).expect("time"),
            edited_at: None,
            deleted_at: None,
            seq: 3,
        };
        model.comment_changed(&comment);
        let edited = CommentView {
            body: "edited".into(),
            ..comment.clone()
        };
        model.comment_changed(&edited);
        assert_eq!(model.panel.timeline.len(), 1);
        let elsewhere = CommentView {
            id: Uuid::from_u128(51),
            chat_id: Uuid::from_u128(2),
            ..comment
        };
        model.comment_changed(&elsewhere);
        assert_eq!(
            model.panel.timeline.len(),
            1,
            "another chat's comment stays out"
        );
    }
}
