//! The WebSocket protocol between the relay (`/api/v1/ws`) and extensions.
//!
//! Frames are JSON text. A client's every request carries an `id` and gets
//! exactly one [`ServerFrame::Reply`] with that id; everything else the relay
//! sends is an event. The first request must be [`Request::Hello`], which
//! authenticates with the session token (browsers cannot set headers on a
//! WebSocket) and says in which role the client connects.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ErrorDetail;
use crate::message::MessageKind;
use crate::queue::{FileView, MediaSeen, MessageView, SendMessage, Sender};
use crate::team::{AddedAsComment, ChatView, CommentView, ContactView, FileChange, SeenGroup};

/// Bumped on any incompatible change; the relay refuses other versions.
pub const PROTOCOL_VERSION: u32 = 1;
/// Both sides send something at least this often. Chrome keeps an extension
/// service worker alive while WebSocket traffic flows every 30 s.
pub const KEEPALIVE_SECONDS: u64 = 20;
/// A connection that has not said hello within this time is closed.
pub const HELLO_TIMEOUT_SECONDS: u64 = 10;

/// A request from a client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientFrame {
    /// Chosen by the client; the reply repeats it.
    pub id: u64,
    /// What is asked.
    #[serde(flatten)]
    pub request: Request,
}

/// What a client can ask.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// First request on a connection.
    Hello {
        /// Must equal [`PROTOCOL_VERSION`].
        version: u32,
        /// The session token from sign-in.
        token: String,
        /// Sidebar or host.
        role: ClientRole,
    },
    /// Keep-alive; answered with [`Ack::Pong`].
    Ping,
    /// Queue a message (same rules as `POST /messages`).
    Send {
        /// The message.
        message: SendMessage,
    },
    /// Withdraw a queued message that no host has taken yet.
    Cancel {
        /// The message.
        message_id: Uuid,
    },
    /// Host only: progress of a dispatched message.
    Report {
        /// The message.
        message_id: Uuid,
        /// What happened.
        report: DeliveryReport,
    },
    /// Host only: a message that arrived on the hosted number.
    Incoming {
        /// The message as seen on WhatsApp Web.
        message: IncomingMessage,
    },
    /// Host only: chats whose list row shows messages the host has not
    /// captured yet (it opens them when nobody is using WhatsApp Web).
    Activity {
        /// Each such chat, as the chat list shows it.
        chats: Vec<ChatActivity>,
    },
    /// Host only: the groups WhatsApp Web lists, so an admin can add them.
    Groups {
        /// Each group's id and name.
        groups: Vec<SeenGroup>,
    },
}

/// The role a connection takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "as", rename_all = "snake_case")]
pub enum ClientRole {
    /// A member's sidebar: receives live changes of every profile it can see.
    Sidebar,
    /// The browser that hosts a number and performs its sends.
    Host {
        /// The organization whose number is hosted (admins only); `None` hosts
        /// the user's own number.
        #[serde(default)]
        organization_id: Option<Uuid>,
        /// Replace a host that is already connected for this number.
        #[serde(default)]
        take_over: bool,
    },
}

/// Progress of a dispatched message, as the host sees it in WhatsApp Web.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryReport {
    /// The host started sending it.
    Sending,
    /// WhatsApp Web shows it sent.
    Sent {
        /// WhatsApp's message id (`true_<chat>_<id>`), when the host found it.
        #[serde(default)]
        wa_id: Option<String>,
    },
    /// Two ticks.
    Delivered,
    /// Read by the recipient.
    Read,
    /// It could not be sent.
    Failed {
        /// Shown to the sender, e.g. "number is not on WhatsApp".
        reason: String,
    },
}

/// An incoming message captured by the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingMessage {
    /// WhatsApp's message id; a message is stored once per id.
    pub wa_id: String,
    /// The chat it arrived in (`<digits>@c.us` or `<id>@g.us`).
    pub chat_wa_id: String,
    /// Text or media kind.
    pub kind: MessageKind,
    /// Text or caption.
    #[serde(default)]
    pub text: Option<String>,
    /// The chat's display name in WhatsApp Web, if shown.
    #[serde(default)]
    pub chat_name: Option<String>,
    /// Who wrote it, in groups.
    #[serde(default)]
    pub sender: Option<Sender>,
    /// What a photo, video, document or voice note is, when the row shows it.
    #[serde(default)]
    pub media: Option<MediaSeen>,
    /// WhatsApp's time of the message, read from its row (to the minute).
    #[serde(default)]
    pub wa_time: Option<DateTime<Utc>>,
}

/// A chat whose list row says new messages arrived: the "new message"
/// signal agents see before the host has opened the chat to capture them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatActivity {
    /// The chat's name in the chat list (a contact, a group, or a number).
    pub title: String,
    /// Its WhatsApp id, when the host knows it (from an earlier visit or a
    /// number shown as the name).
    #[serde(default)]
    pub chat_wa_id: Option<String>,
    /// The last message as the list shows it.
    #[serde(default)]
    pub preview: Option<String>,
    /// How many messages wait, at least.
    pub unread: u32,
}

/// A frame from the relay.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The one answer to a request.
    Reply {
        /// The request's id.
        id: u64,
        /// Success or error.
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// To a host: send this message now.
    Dispatch {
        /// What to send.
        message: Dispatch,
    },
    /// To sidebars: a message was queued, changed state, or arrived.
    Message {
        /// Its current state.
        message: MessageView,
    },
    /// To sidebars: a profile's balance changed.
    Credits {
        /// The organization profile, `None` for "You".
        organization_id: Option<Uuid>,
        /// Spendable now.
        available: i64,
        /// Held for queued messages.
        reserved: i64,
    },
    /// To sidebars: a number's host came online or went offline.
    Host {
        /// The organization profile, `None` for "You".
        organization_id: Option<Uuid>,
        /// Whether a host is connected.
        online: bool,
    },
    /// To sidebars: a chat's assignee, status, name or unread count changed
    /// (or a group was added).
    Chat {
        /// Its current state.
        chat: ChatView,
    },
    /// To sidebars: a comment was written, edited or deleted.
    Comment {
        /// Its current state.
        comment: CommentView,
    },
    /// To sidebars: a contact was added or changed.
    Contact {
        /// Its current state.
        contact: ContactView,
    },
    /// To sidebars: many contacts changed at once (bulk delete or tag);
    /// fetch `GET /changes` from your cursor.
    ContactsChanged {
        /// The organization profile, `None` for "You".
        organization_id: Option<Uuid>,
        /// How many changed.
        count: u64,
    },
    /// To sidebars: a file of the library was added, renamed or deleted.
    File {
        /// The organization profile, `None` for "You".
        organization_id: Option<Uuid>,
        /// The file.
        file: FileChange,
    },
    /// Keep-alive.
    Ping,
    /// The relay is closing this connection, and why.
    Closing {
        /// The reason (e.g. another host took over).
        reason: ErrorDetail,
    },
}

/// The result inside a reply.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It worked.
    Ok(Box<Ack>),
    /// It did not; same body as REST errors.
    Error(ErrorDetail),
}

/// Successful answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ack {
    /// Answer to hello.
    Welcome {
        /// The authenticated user.
        user_id: Uuid,
        /// The relay's protocol version.
        protocol_version: u32,
        /// How often to send keep-alives.
        keepalive_seconds: u64,
    },
    /// Answer to ping.
    Pong,
    /// Answer to send and cancel: the message's state.
    Message {
        /// The message.
        message: MessageView,
    },
    /// Answer to incoming: the stored message; `duplicate` if it was already stored.
    Incoming {
        /// The message.
        message: MessageView,
        /// True when this WhatsApp id had been reported before.
        duplicate: bool,
    },
    /// Answer to a report.
    Done,
    /// Answer to send when the chat is assigned to someone else: the text
    /// was kept as a comment, not sent.
    Comment {
        /// The comment and who handles the chat.
        added: AddedAsComment,
    },
}

/// A message handed to the host, under a lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    /// Report progress with this id. The host keeps the ids it has sent:
    /// the same id can come again after a reconnect and must not be resent.
    pub message_id: Uuid,
    /// WhatsApp's chat id to open.
    pub chat_wa_id: String,
    /// The recipient's number in E.164, for people.
    pub phone: Option<String>,
    /// The chat's name, which finds a group in WhatsApp Web's chat list.
    #[serde(default)]
    pub chat_name: Option<String>,
    /// Text or media kind.
    pub kind: MessageKind,
    /// Text or caption.
    pub text: Option<String>,
    /// The file to attach; fetch its bytes from `attachment_url`.
    pub attachment: Option<FileView>,
    /// Relative URL of the file's content (authorised with the host's token).
    pub attachment_url: Option<String>,
    /// If no report arrives by then, the message goes back to the queue.
    pub lease_expires_at: DateTime<Utc>,
    /// The campaign it belongs to: the relay paced it already, so the host
    /// sends it without a gap of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_their_id_beside_the_type() {
        let frame: ClientFrame = serde_json::from_str(
            r#"{"id": 7, "type": "hello", "version": 1, "token": "t", "role": {"as": "host", "take_over": true}}"#,
        )
        .expect("parses");
        assert_eq!(frame.id, 7);
        match frame.request {
            Request::Hello { role, .. } => assert_eq!(
                role,
                ClientRole::Host {
                    organization_id: None,
                    take_over: true
                }
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn replies_round_trip() {
        let reply = ServerFrame::Reply {
            id: 3,
            outcome: Outcome::Ok(Box::new(Ack::Pong)),
        };
        let text = serde_json::to_string(&reply).expect("serialises");
        assert_eq!(text, r#"{"type":"reply","id":3,"ok":{"kind":"pong"}}"#);
        let back: ServerFrame = serde_json::from_str(&text).expect("parses");
        let ServerFrame::Reply {
            id: 3,
            outcome: Outcome::Ok(ack),
        } = back
        else {
            panic!("not the reply sent: {back:?}");
        };
        assert!(matches!(*ack, Ack::Pong));
    }

    #[test]
    fn unknown_request_types_are_refused() {
        let parsed = serde_json::from_str::<ClientFrame>(r#"{"id": 1, "type": "format_disk"}"#);
        assert!(parsed.is_err());
    }
}
