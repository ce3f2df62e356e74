//! Messages: their kinds, what each costs in credits, and the states a
//! message passes through.

use serde::{Deserialize, Serialize};

/// What a message carries. A media message may have a caption; it costs the
/// media price (the caption's text credit is part of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Text only.
    Text,
    /// A picture, with an optional caption.
    Image,
    /// A document (PDF, office file, plain text), with an optional caption.
    Document,
    /// A video, with an optional caption.
    Video,
    /// A voice note or audio file. Only received: Chorus sends audio as a
    /// document. It costs what a document does.
    Audio,
}

impl MessageKind {
    /// Credits one message of this kind costs, sent or received.
    pub fn cost(self) -> i64 {
        match self {
            Self::Text => 1,
            Self::Image => 2,
            Self::Document => 3,
            Self::Video => 4,
            Self::Audio => 3,
        }
    }

    /// The stable name stored and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Document => "document",
            Self::Video => "video",
            Self::Audio => "audio",
        }
    }

    /// Parses [`MessageKind::as_str`]'s output.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "text" => Some(Self::Text),
            "image" => Some(Self::Image),
            "document" => Some(Self::Document),
            "video" => Some(Self::Video),
            "audio" => Some(Self::Audio),
            _ => None,
        }
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent through the number.
    Outgoing,
    /// Received on the number (captured by the host).
    Incoming,
}

/// Where a message is. Outgoing messages go `queued` → `sending` → `sent`
/// (→ `delivered` → `read`), or end `failed` or `cancelled`; incoming ones
/// are `received`. `waiting_for_host` is `queued` while no host is online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Stored, waiting its turn at the host.
    Queued,
    /// Stored, but no browser is hosting the number right now.
    WaitingForHost,
    /// Handed to the host, which is sending it.
    Sending,
    /// WhatsApp Web shows it sent (one tick).
    Sent,
    /// Delivered to the recipient's phone (two ticks).
    Delivered,
    /// Read by the recipient.
    Read,
    /// Could not be sent; see the reason.
    Failed,
    /// Withdrawn by a member before the host took it.
    Cancelled,
    /// An incoming message.
    Received,
}

impl MessageStatus {
    /// The stable name stored and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::WaitingForHost => "waiting_for_host",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Received => "received",
        }
    }

    /// Parses [`MessageStatus::as_str`]'s output.
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::WaitingForHost,
            Self::Sending,
            Self::Sent,
            Self::Delivered,
            Self::Read,
            Self::Failed,
            Self::Cancelled,
            Self::Received,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }

    /// Whether WhatsApp has the message (its credits are committed).
    pub fn is_sent(self) -> bool {
        matches!(self, Self::Sent | Self::Delivered | Self::Read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_product_rules() {
        assert_eq!(MessageKind::Text.cost(), 1);
        assert_eq!(MessageKind::Image.cost(), 2);
        assert_eq!(MessageKind::Document.cost(), 3);
        assert_eq!(MessageKind::Video.cost(), 4);
        assert_eq!(MessageKind::Audio.cost(), MessageKind::Document.cost());
    }

    #[test]
    fn names_round_trip() {
        for kind in [
            MessageKind::Text,
            MessageKind::Image,
            MessageKind::Document,
            MessageKind::Video,
            MessageKind::Audio,
        ] {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
        }
        for status in [
            "queued",
            "sending",
            "sent",
            "delivered",
            "read",
            "failed",
            "cancelled",
            "received",
        ] {
            assert_eq!(
                MessageStatus::parse(status).map(MessageStatus::as_str),
                Some(status)
            );
        }
    }
}
