//! What the sidebar shows, decided from its state: which screen, the words
//! and marks of each row, the host's status line. The components only place
//! these, so every decision here is tested natively.

use chorus_shared::account::{InviteState, Role};
use chorus_shared::api::{Member, Profile};
use chorus_shared::message::{Direction, MessageKind, MessageStatus};
use chorus_shared::queue::{FileView, MessageView, QueueSummary};
use chorus_shared::team::{ChatView, CommentKind, CommentView, TimelineItem};
use uuid::Uuid;

use super::Model;
use crate::channel::{HostStatus, Hosting};
use crate::driver::meta::LocalClock;

/// The screen the sidebar is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Folded to a strip beside WhatsApp.
    Collapsed,
    /// No relay address yet.
    NeedsRelay,
    /// Signed in; the account is being read.
    Loading,
    /// Nobody signed in: sign in or create an account at `relay`.
    SignIn {
        /// The relay's address.
        relay: String,
    },
    /// Signed in, but the number or account type is still to choose.
    SetUp {
        /// The number registered so far.
        phone: Option<String>,
    },
    /// Everything else: header, tabs and the tab's content.
    Main,
}

impl Screen {
    /// The screen for `model`.
    pub fn of(model: &Model) -> Screen {
        if model.collapsed {
            return Screen::Collapsed;
        }
        let Some(relay) = model.settings.relay() else {
            return Screen::NeedsRelay;
        };
        match &model.user {
            None if model.settings.session.is_some() => Screen::Loading,
            None => Screen::SignIn { relay },
            Some(user) if user.account_type.is_none() || user.phone.is_none() => Screen::SetUp {
                phone: user.phone.clone(),
            },
            Some(_) => Screen::Main,
        }
    }
}

/// A chat's name as the list shows it.
pub fn chat_title(chat: &ChatView) -> String {
    chat.name
        .clone()
        .or_else(|| chat.phone.clone())
        .unwrap_or_else(|| chat.wa_id.clone())
}

/// Up to two letters for an avatar ("Ana Lima" → "AL", "+44…" → "#").
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .filter(|c| c.is_alphabetic())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "#".into()
    } else {
        letters
    }
}

/// The arrow that says who wrote a message.
pub fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::Incoming => "←",
        Direction::Outgoing => "→",
    }
}

/// A message's words: its text, or what it carries. An incoming file whose
/// bytes the relay has is shown apart ([`received_file`]); one it only has
/// a description of is named as the host saw it, and said to be on the
/// host's phone.
pub fn message_text(message: &MessageView) -> String {
    let text = message.text.clone().filter(|text| !text.is_empty());
    if received_file(message).is_some() {
        return text.unwrap_or_default();
    }
    if let Some(media) = &message.media {
        let what = media
            .name
            .clone()
            .unwrap_or_else(|| kind_name(message.kind).into());
        let size = media
            .size
            .as_deref()
            .map(|size| format!(" ({size})"))
            .unwrap_or_default();
        let file = format!("{what}{size}, media on the host's phone");
        return match text {
            Some(text) => format!("{text} [{file}]"),
            None => format!("[{file}]"),
        };
    }
    text.or_else(|| message.attachment.as_ref().map(|file| file.name.clone()))
        .unwrap_or_else(|| kind_name(message.kind).into())
}

/// What a message kind is called in a sentence.
pub fn kind_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Text => "text",
        MessageKind::Image => "photo",
        MessageKind::Document => "document",
        MessageKind::Video => "video",
        MessageKind::Audio => "voice message",
    }
}

/// The file a customer sent, when the relay holds its bytes.
pub fn received_file(message: &MessageView) -> Option<&FileView> {
    (message.direction == Direction::Incoming)
        .then_some(message.attachment.as_ref())
        .flatten()
}

/// A file's name and size, for a button or link.
pub fn file_label(file: &FileView) -> String {
    format!("{} ({})", file.name, byte_size(file.size))
}

/// A byte count as people read it.
pub fn byte_size(bytes: i64) -> String {
    const KB: i64 = 1024;
    if bytes >= KB * KB {
        format!("{:.1} MB", bytes as f64 / (KB * KB) as f64)
    } else {
        format!("{} KB", (bytes + KB - 1) / KB)
    }
}

/// When a message was written, in the reader's time: WhatsApp's own time
/// of a received message, else when Chorus took it. The day is named when
/// it is not today.
pub fn clock_label(message: &MessageView, clock: LocalClock) -> String {
    let at = message.wa_time.unwrap_or(message.created_at);
    let local =
        at.naive_utc() - chrono::Duration::minutes(i64::from(clock.utc_minus_local_minutes));
    if local.date() == clock.local_now().date() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%-d %b %H:%M").to_string()
    }
}

/// The group members who wrote in a timeline, in the order they first did.
pub fn participants(timeline: &[TimelineItem]) -> Vec<String> {
    let mut seen = Vec::new();
    for item in timeline {
        if let TimelineItem::Message { message } = item {
            if let Some(name) = sender_label(message) {
                if !seen.contains(&name) {
                    seen.push(name);
                }
            }
        }
    }
    seen
}

/// Who wrote a group message: their name, else their number.
pub fn sender_label(message: &MessageView) -> Option<String> {
    let sender = message.sender.as_ref()?;
    Some(
        sender
            .name
            .clone()
            .unwrap_or_else(|| match sender.wa_id.strip_suffix("@c.us") {
                Some(digits) => format!("+{digits}"),
                None => sender.wa_id.clone(),
            }),
    )
}

/// The last message of a chat in one line; messages still waiting at the
/// host come first, with their count.
pub fn last_line(chat: &ChatView) -> String {
    if let Some(waiting) = &chat.waiting {
        let preview = waiting.preview.as_deref().unwrap_or("new messages");
        return match waiting.count {
            1 => format!("← {preview} (waiting at the host)"),
            n => format!("← {preview} ({n} waiting at the host)"),
        };
    }
    chat.last_message
        .as_ref()
        .map(|m| {
            let text = m.text.clone().unwrap_or_else(|| m.kind.as_str().into());
            format!("{} {text}", arrow(m.direction))
        })
        .unwrap_or_default()
}

/// A member's name (their email), "nobody" or "a member" when unknown.
pub fn member_name(members: &[Member], id: Option<Uuid>) -> String {
    match id {
        None => "nobody".into(),
        Some(id) => members
            .iter()
            .find(|member| member.user_id == id)
            .map(|member| member.email.clone())
            .unwrap_or_else(|| "a member".into()),
    }
}

/// Words for a message's state, as the sender sees it.
pub fn status_label(message: &MessageView) -> String {
    match message.status {
        MessageStatus::Queued => "queued".into(),
        MessageStatus::WaitingForHost => "waiting for host".into(),
        MessageStatus::Sending => "sending".into(),
        MessageStatus::Sent => "sent".into(),
        MessageStatus::Delivered => "delivered".into(),
        MessageStatus::Read => "read".into(),
        MessageStatus::Failed => format!(
            "failed: {}",
            message
                .failure_reason
                .as_deref()
                .unwrap_or("no reason given")
        ),
        MessageStatus::Cancelled => "cancelled".into(),
        MessageStatus::Received => "received".into(),
    }
}

/// The mark WhatsApp shows for a message's state (not to be confused with
/// [`crate::driver::rows::Tick`], what the driver reads off a row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A clock: not at WhatsApp yet.
    Clock,
    /// One grey tick.
    Sent,
    /// Two grey ticks.
    Delivered,
    /// Two blue ticks.
    Read,
    /// A red mark.
    Failed,
}

impl Mark {
    /// The mark for `status`; incoming and cancelled messages have none.
    pub fn of(status: MessageStatus) -> Option<Mark> {
        match status {
            MessageStatus::Queued | MessageStatus::WaitingForHost | MessageStatus::Sending => {
                Some(Mark::Clock)
            }
            MessageStatus::Sent => Some(Mark::Sent),
            MessageStatus::Delivered => Some(Mark::Delivered),
            MessageStatus::Read => Some(Mark::Read),
            MessageStatus::Failed => Some(Mark::Failed),
            MessageStatus::Cancelled | MessageStatus::Received => None,
        }
    }

    /// Its CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Mark::Clock => "tick clock",
            Mark::Sent => "tick sent",
            Mark::Delivered => "tick delivered",
            Mark::Read => "tick read",
            Mark::Failed => "tick failed",
        }
    }
}

/// How a comment shows: a team note, or a line about the chat (assigned,
/// resolved).
pub fn comment_line(members: &[Member], comment: &CommentView) -> (&'static str, String) {
    let body = if comment.deleted_at.is_some() {
        "(comment deleted)".to_owned()
    } else {
        comment.body.clone()
    };
    match comment.kind {
        CommentKind::Note | CommentKind::Redirected => (
            "comment",
            format!("{}: {body}", member_name(members, comment.author_id)),
        ),
        CommentKind::Assignment | CommentKind::Status => ("line", body),
    }
}

/// Where a message the user queued went ("+44…") and what it carried.
pub fn sent_line(message: &MessageView) -> (String, String) {
    let to = message
        .chat_wa_id
        .strip_suffix("@c.us")
        .map(|digits| format!("+{digits}"))
        .unwrap_or_else(|| message.chat_wa_id.clone());
    let what = message
        .attachment
        .as_ref()
        .map(|file| file.name.clone())
        .or_else(|| message.text.clone())
        .unwrap_or_default();
    (to, what)
}

/// Words for an invite's state.
pub fn invite_state(state: InviteState) -> &'static str {
    match state {
        InviteState::InviteSent => "invite sent",
        InviteState::Accepted => "accepted",
        InviteState::Declined => "declined",
        InviteState::Revoked => "revoked",
    }
}

/// The hosting choices: off, "You", and each organization the user
/// administers, as `(value, label)`.
pub fn hosting_choices(profiles: &[Profile]) -> Vec<(String, String)> {
    let mut choices = vec![(String::new(), "Off".to_owned())];
    for profile in profiles {
        if profile.organization_id.is_none() || profile.role == Some(Role::Admin) {
            let label = format!(
                "{} {}",
                profile.label,
                profile.phone.as_deref().unwrap_or_default()
            );
            choices.push((
                hosting_value(Some(Hosting {
                    organization_id: profile.organization_id,
                })),
                label.trim().to_owned(),
            ));
        }
    }
    choices
}

/// A hosting choice as its control's value.
pub fn hosting_value(hosting: Option<Hosting>) -> String {
    match hosting {
        None => String::new(),
        Some(Hosting {
            organization_id: None,
        }) => "you".into(),
        Some(Hosting {
            organization_id: Some(id),
        }) => format!("org:{id}"),
    }
}

/// The hosting choice a control's value stands for.
pub fn parse_hosting(value: &str) -> Option<Hosting> {
    match value {
        "you" => Some(Hosting {
            organization_id: None,
        }),
        other => other
            .strip_prefix("org:")
            .and_then(|id| id.parse::<Uuid>().ok())
            .map(|id| Hosting {
                organization_id: Some(id),
            }),
    }
}

/// The host's status line: its state ("hosting", "sending… opening the
/// chat") and the details after it.
pub fn host_line(status: &HostStatus, queue: Option<QueueSummary>) -> (String, String) {
    let state = if status.busy {
        format!("sending… {}", status.step.as_deref().unwrap_or_default())
            .trim_end()
            .to_owned()
    } else if status.connected {
        "hosting".into()
    } else {
        "not connected".into()
    };
    let queue = queue.map_or(String::new(), |queue| {
        format!(
            " · queue: {} waiting, {} with the host",
            queue.queued, queue.sending
        )
    });
    let waiting = match status.waiting_chats {
        0 => String::new(),
        1 => " · 1 chat waiting to be captured".into(),
        n => format!(" · {n} chats waiting to be captured"),
    };
    let details = format!(
        "{queue}{waiting} · sent here: {} · last: {}",
        status.sent_here,
        status.last_send.as_deref().unwrap_or("none yet")
    );
    (state, details)
}

/// The idle times the capture may wait for, in seconds, with their labels.
pub const CAPTURE_IDLE_CHOICES: [(u32, &str); 4] = [
    (5, "5 seconds"),
    (10, "10 seconds"),
    (30, "30 seconds"),
    (60, "1 minute"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::StoredSession;
    use chorus_shared::api::{ProfileKind, User};

    fn signed_in() -> Model {
        let mut model = Model::default();
        model.settings.relay_url = "https://relay".into();
        model.settings.session = Some(StoredSession {
            token: "t".into(),
            user_id: Uuid::nil(),
            email: "a@example.com".into(),
        });
        model
    }

    fn user(ready: bool) -> User {
        User {
            id: Uuid::nil(),
            email: "a@example.com".into(),
            account_type: ready.then_some(chorus_shared::account::AccountType::Agent),
            phone: Some("+447400000001".into()),
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn screens_follow_the_relay_the_session_and_the_set_up() {
        assert_eq!(Screen::of(&Model::default()), Screen::NeedsRelay);
        let mut model = Model::default();
        model.settings.relay_url = "https://relay".into();
        assert_eq!(
            Screen::of(&model),
            Screen::SignIn {
                relay: "https://relay".into()
            }
        );
        let mut model = signed_in();
        assert_eq!(Screen::of(&model), Screen::Loading);
        model.user = Some(user(false));
        assert_eq!(
            Screen::of(&model),
            Screen::SetUp {
                phone: Some("+447400000001".into())
            }
        );
        model.user = Some(user(true));
        assert_eq!(Screen::of(&model), Screen::Main);
        model.collapsed = true;
        assert_eq!(Screen::of(&model), Screen::Collapsed);
    }

    #[test]
    fn initials_take_two_letters_or_a_hash() {
        assert_eq!(initials("ana lima souza"), "AL");
        assert_eq!(initials("Émile"), "É");
        assert_eq!(initials("+44 7400 000001"), "#");
        assert_eq!(initials(""), "#");
    }

    #[test]
    fn every_outgoing_state_has_whatsapps_mark() {
        assert_eq!(Mark::of(MessageStatus::Queued), Some(Mark::Clock));
        assert_eq!(Mark::of(MessageStatus::Sent), Some(Mark::Sent));
        assert_eq!(Mark::of(MessageStatus::Read), Some(Mark::Read));
        assert_eq!(Mark::of(MessageStatus::Received), None);
        assert!(Mark::Read.class().contains("read"));
    }

    #[test]
    fn hosting_choices_are_you_and_administered_organizations() {
        let org = Uuid::from_u128(5);
        let profiles = vec![
            Profile {
                kind: ProfileKind::Personal,
                label: "You".into(),
                organization_id: None,
                phone: Some("+447400000001".into()),
                role: None,
            },
            Profile {
                kind: ProfileKind::Organization,
                label: "Shop".into(),
                organization_id: Some(org),
                phone: None,
                role: Some(Role::Admin),
            },
            Profile {
                kind: ProfileKind::Organization,
                label: "Other".into(),
                organization_id: Some(Uuid::from_u128(6)),
                phone: None,
                role: Some(Role::Agent),
            },
        ];
        let choices = hosting_choices(&profiles);
        let values: Vec<&str> = choices.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, vec!["", "you", &format!("org:{org}")]);
        for (value, _) in &choices {
            assert_eq!(hosting_value(parse_hosting(value)), *value);
        }
    }

    #[test]
    fn the_host_line_says_what_a_send_is_doing() {
        let mut status = HostStatus {
            connected: true,
            ..HostStatus::default()
        };
        assert_eq!(host_line(&status, None).0, "hosting");
        status.busy = true;
        status.step = Some("opening the chat".into());
        assert_eq!(host_line(&status, None).0, "sending… opening the chat");
        let queue = QueueSummary {
            queued: 2,
            sending: 1,
            host_online: true,
        };
        let waiting = HostStatus {
            waiting_chats: 2,
            ..status.clone()
        };
        assert!(host_line(&waiting, None)
            .1
            .contains("2 chats waiting to be captured"));
        assert!(host_line(&status, Some(queue))
            .1
            .contains("queue: 2 waiting, 1 with the host"));
    }

    #[test]
    fn group_messages_name_their_sender_and_files_their_place() {
        use chorus_shared::message::{Direction, MessageKind, MessageStatus};
        use chorus_shared::queue::{MediaSeen, Sender};
        let mut message = MessageView {
            id: Uuid::nil(),
            organization_id: None,
            chat_id: Uuid::nil(),
            chat_wa_id: "120363000000000001@g.us".into(),
            direction: Direction::Incoming,
            kind: MessageKind::Document,
            text: Some("Monday's list".into()),
            attachment: None,
            status: MessageStatus::Received,
            failure_reason: None,
            wa_id: None,
            author_id: None,
            sender: Some(Box::new(Sender {
                wa_id: "447400000009@c.us".into(),
                name: None,
            })),
            media: Some(Box::new(MediaSeen {
                name: Some("list.pdf".into()),
                size: Some("12 kB".into()),
            })),
            wa_time: None,
            campaign_id: None,
            cost: 3,
            seq: 1,
            created_at: chrono::DateTime::from_timestamp(0, 0).expect("time"),
            updated_at: chrono::DateTime::from_timestamp(0, 0).expect("time"),
        };
        assert_eq!(sender_label(&message).as_deref(), Some("+447400000009"));
        assert_eq!(
            message_text(&message),
            "Monday's list [list.pdf (12 kB), media on the host's phone]"
        );
        message.text = None;
        message.media = Some(Box::new(MediaSeen {
            name: None,
            size: None,
        }));
        assert_eq!(
            message_text(&message),
            "[document, media on the host's phone]"
        );
        let item = |message: &MessageView| TimelineItem::Message {
            message: Box::new(message.clone()),
        };
        let mut eli = message.clone();
        eli.sender = Some(Box::new(Sender {
            wa_id: "447400000010@c.us".into(),
            name: Some("Eli".into()),
        }));
        assert_eq!(
            participants(&[item(&message), item(&eli), item(&message)]),
            ["+447400000009", "Eli"]
        );
        message.sender = None;
        assert_eq!(sender_label(&message), None);
        assert!(participants(&[item(&message)]).is_empty());

        // Once the host uploaded its bytes, the file is shown apart.
        message.text = Some("the list".into());
        message.attachment = Some(FileView {
            id: Uuid::nil(),
            name: "list.pdf".into(),
            mime: "application/pdf".into(),
            kind: MessageKind::Document,
            size: 12 * 1024 + 1,
            created_at: message.created_at,
        });
        assert_eq!(message_text(&message), "the list");
        let file = received_file(&message).expect("a received file");
        assert_eq!(file_label(file), "list.pdf (13 KB)");
        message.direction = Direction::Outgoing;
        assert!(received_file(&message).is_none(), "ours is not received");
        assert_eq!(byte_size(3 * 1024 * 1024 / 2), "1.5 MB");
        // A voice note the relay has no bytes of.
        message.direction = Direction::Incoming;
        message.attachment = None;
        message.kind = MessageKind::Audio;
        message.text = None;
        message.media = Some(Box::new(MediaSeen {
            name: None,
            size: Some("0:07".into()),
        }));
        assert_eq!(
            message_text(&message),
            "[voice message (0:07), media on the host's phone]"
        );
    }

    #[test]
    fn times_are_whatsapps_own_in_the_readers_zone() {
        use chorus_shared::message::{Direction, MessageKind, MessageStatus};
        let at = |text: &str| {
            chrono::DateTime::parse_from_rfc3339(text)
                .expect("time")
                .to_utc()
        };
        let mut message = MessageView {
            id: Uuid::nil(),
            organization_id: None,
            chat_id: Uuid::nil(),
            chat_wa_id: "447400000001@c.us".into(),
            direction: Direction::Incoming,
            kind: MessageKind::Text,
            text: Some("hi".into()),
            attachment: None,
            status: MessageStatus::Received,
            failure_reason: None,
            wa_id: None,
            author_id: None,
            sender: None,
            media: None,
            wa_time: Some(at("2026-11-22T08:05:00Z")),
            campaign_id: None,
            cost: 1,
            seq: 1,
            created_at: at("2026-11-22T17:00:00Z"),
            updated_at: at("2026-11-22T17:00:00Z"),
        };
        // A reader in Paris (UTC+1) on the same day.
        let paris = LocalClock {
            now_ms: at("2026-11-22T18:00:00Z").timestamp_millis(),
            utc_minus_local_minutes: -60,
        };
        assert_eq!(clock_label(&message, paris), "09:05");
        let next_day = LocalClock {
            now_ms: at("2026-11-23T12:00:00Z").timestamp_millis(),
            ..paris
        };
        assert_eq!(clock_label(&message, next_day), "22 Nov 09:05");
        message.wa_time = None;
        assert_eq!(clock_label(&message, paris), "18:00", "when Chorus took it");
    }
}
