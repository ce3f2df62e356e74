//! Message rows: what their `data-id` says, what their ticks mean, and what
//! the host reports for them.
//!
//! A row's `data-id` is `<true|false>_<chat jid>_<message id>`, with
//! `_<participant jid>` after it in groups: `true_` rows are outgoing,
//! `false_` rows incoming.

use chorus_shared::protocol::DeliveryReport;

/// A message row's identity, read from its `data-id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowId {
    /// Sent from this number (`true_`) or received (`false_`).
    pub outgoing: bool,
    /// The chat's jid (`<digits>@c.us`, `<id>@g.us`, `<id>@lid`).
    pub chat: String,
    /// WhatsApp's id of the message within the chat.
    pub message: String,
    /// In groups, who wrote it.
    pub participant: Option<String>,
    /// The whole `data-id`, which the relay stores as the WhatsApp id.
    pub wa_id: String,
}

const JID_SUFFIXES: [&str; 3] = ["@c.us", "@g.us", "@lid"];

impl RowId {
    /// Reads a `data-id`; `None` for rows that are not messages (date
    /// separators, system lines) or ids in an unknown shape.
    pub fn parse(data_id: &str) -> Option<RowId> {
        let (direction, rest) = data_id.split_once('_')?;
        let outgoing = match direction {
            "true" => true,
            "false" => false,
            _ => return None,
        };
        let (chat_end, suffix) = JID_SUFFIXES
            .iter()
            .filter_map(|suffix| rest.find(suffix).map(|at| (at, suffix)))
            .min_by_key(|(at, _)| *at)?;
        let chat = &rest[..chat_end + suffix.len()];
        let after = rest[chat.len()..].strip_prefix('_')?;
        let (message, participant) = match after.split_once('_') {
            Some((message, participant)) => (message, Some(participant.to_owned())),
            None => (after, None),
        };
        if message.is_empty() || chat.len() == suffix.len() {
            return None;
        }
        Some(RowId {
            outgoing,
            chat: chat.to_owned(),
            message: message.to_owned(),
            participant,
            wa_id: data_id.to_owned(),
        })
    }
}

/// An outgoing row's delivery state, from its tick icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tick {
    /// The clock: not yet at WhatsApp's server.
    Pending,
    /// One tick: at the server.
    Sent,
    /// Two ticks: on the recipient's phone.
    Delivered,
    /// Two blue ticks: read.
    Read,
}

impl Tick {
    /// Reads the `data-icon` of a row's status icon.
    pub fn from_icon(icon: &str) -> Option<Tick> {
        match icon {
            "msg-time" | "status-time" => Some(Tick::Pending),
            "msg-check" | "status-check" => Some(Tick::Sent),
            "msg-dblcheck" | "status-dblcheck" => Some(Tick::Delivered),
            "msg-dblcheck-ack" | "status-dblcheck-ack" | "msg-dblcheck-read" => Some(Tick::Read),
            _ => None,
        }
    }

    /// Reads an icon's accessible label (" Read ", " Delivered "): newer
    /// builds draw read and delivered with the same icon and tell them apart
    /// only here.
    pub fn from_label(label: &str) -> Option<Tick> {
        match label.trim().to_lowercase().as_str() {
            "pending" => Some(Tick::Pending),
            "sent" => Some(Tick::Sent),
            "delivered" => Some(Tick::Delivered),
            "read" | "seen" | "played" => Some(Tick::Read),
            _ => None,
        }
    }

    /// The furthest tick that icons (`data-icon`) or their accessible labels
    /// show: a message row's, or a chat list row's last message.
    pub fn furthest(icons: &[String], labels: &[String]) -> Option<Tick> {
        let by_icon = icons.iter().filter_map(|icon| Tick::from_icon(icon));
        let by_label = labels.iter().filter_map(|label| Tick::from_label(label));
        by_icon.chain(by_label).max()
    }

    /// What the host tells the relay when a row reaches this tick, if
    /// anything (a pending row is not sent yet).
    pub fn report(self, row: &RowId) -> Option<DeliveryReport> {
        match self {
            Tick::Pending => None,
            Tick::Sent => Some(DeliveryReport::Sent {
                wa_id: Some(row.wa_id.clone()),
            }),
            Tick::Delivered => Some(DeliveryReport::Delivered),
            Tick::Read => Some(DeliveryReport::Read),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_tell_read_from_delivered_where_icons_do_not() {
        assert_eq!(Tick::from_label(" Read "), Some(Tick::Read));
        assert_eq!(Tick::from_label(" Delivered "), Some(Tick::Delivered));
        assert_eq!(Tick::from_label("Sent"), Some(Tick::Sent));
        assert_eq!(Tick::from_label(" Pending "), Some(Tick::Pending));
        assert_eq!(Tick::from_label("Voice message"), None);
    }

    #[test]
    fn outgoing_and_incoming_rows_are_told_apart() {
        let out = RowId::parse("true_447400000001@c.us_3EB0A1B2C3D4").expect("outgoing");
        assert!(out.outgoing);
        assert_eq!(out.chat, "447400000001@c.us");
        assert_eq!(out.message, "3EB0A1B2C3D4");
        assert_eq!(out.participant, None);
        let inc = RowId::parse("false_447400000001@c.us_ABCDEF").expect("incoming");
        assert!(!inc.outgoing);
        assert_eq!(inc.wa_id, "false_447400000001@c.us_ABCDEF");
    }

    #[test]
    fn group_rows_name_their_participant() {
        let row = RowId::parse("false_120363000000000001@g.us_3A9F_447400000002@c.us")
            .expect("group row");
        assert_eq!(row.chat, "120363000000000001@g.us");
        assert_eq!(row.message, "3A9F");
        assert_eq!(row.participant.as_deref(), Some("447400000002@c.us"));
        let lid = RowId::parse("true_98765@lid_XYZ").expect("lid chat");
        assert_eq!(lid.chat, "98765@lid");
    }

    #[test]
    fn other_rows_are_not_messages() {
        for id in [
            "",
            "true",
            "maybe_447@c.us_1",
            "true_447400000001@c.us",
            "true_@c.us_1",
            "true_4474_1",
        ] {
            assert_eq!(RowId::parse(id), None, "{id}");
        }
    }

    #[test]
    fn ticks_become_reports() {
        let row = RowId::parse("true_447400000001@c.us_1").expect("row");
        assert_eq!(
            Tick::from_icon("msg-time").and_then(|t| t.report(&row)),
            None
        );
        assert_eq!(
            Tick::from_icon("msg-check").and_then(|t| t.report(&row)),
            Some(DeliveryReport::Sent {
                wa_id: Some("true_447400000001@c.us_1".into())
            })
        );
        assert_eq!(
            Tick::from_icon("msg-dblcheck").and_then(|t| t.report(&row)),
            Some(DeliveryReport::Delivered)
        );
        assert_eq!(Tick::from_icon("msg-dblcheck-ack"), Some(Tick::Read));
        assert!(Tick::Read > Tick::Delivered);
        assert_eq!(Tick::from_icon("tail-out"), None);
    }
}
