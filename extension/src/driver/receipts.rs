//! What a host remembers of the messages it sent: which ids it pressed send
//! for (so a dispatch that comes again is never typed twice) and which rows
//! are its own (so their ticks become delivery reports, each once, never
//! going backwards).

use std::collections::{HashMap, VecDeque};

use chorus_shared::protocol::DeliveryReport;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rows::Tick;

/// How many pressed sends the record keeps.
pub const PRESSED_MAX: usize = 2_000;

/// The sends this host pressed send for, oldest first, with the row's
/// WhatsApp id once seen. Stored in `chrome.storage` before each press.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PressedRecord {
    /// `(message id, WhatsApp id once seen)`.
    pub sent: VecDeque<(Uuid, Option<String>)>,
}

impl PressedRecord {
    /// Whether send was pressed for `message_id`; the row's id if seen.
    pub fn pressed(&self, message_id: Uuid) -> Option<Option<String>> {
        self.sent
            .iter()
            .find(|(id, _)| *id == message_id)
            .map(|(_, wa_id)| wa_id.clone())
    }

    /// Notes a press (with no row yet) or the row it made.
    pub fn note(&mut self, message_id: Uuid, wa_id: Option<String>) {
        match self.sent.iter_mut().find(|(id, _)| *id == message_id) {
            Some(entry) => entry.1 = wa_id.or(entry.1.take()),
            None => self.sent.push_back((message_id, wa_id)),
        }
        while self.sent.len() > PRESSED_MAX {
            self.sent.pop_front();
        }
    }
}

/// Outgoing rows this host made: WhatsApp id → message and the furthest
/// tick reported.
#[derive(Debug, Default)]
pub struct OwnRows {
    rows: HashMap<String, (Uuid, Tick)>,
    /// Each chat's newest own row, whose tick the chat list shows.
    newest: HashMap<String, String>,
}

impl OwnRows {
    /// The rows of the sends `record` says were pressed and seen, oldest
    /// first, so a restarted host follows their ticks on.
    pub fn from_record(record: &PressedRecord) -> OwnRows {
        let mut rows = OwnRows::default();
        for (message_id, wa_id) in &record.sent {
            if let Some(wa_id) = wa_id {
                rows.add(wa_id.clone(), *message_id);
            }
        }
        rows
    }

    /// A row this host's send made.
    pub fn add(&mut self, wa_id: String, message_id: Uuid) {
        if let Some(row) = super::rows::RowId::parse(&wa_id) {
            self.newest.insert(row.chat, wa_id.clone());
        }
        self.rows.insert(wa_id, (message_id, Tick::Sent));
    }

    /// The newest row this host sent in `chat`.
    pub fn newest_in(&self, chat: &str) -> Option<&str> {
        self.newest.get(chat).map(String::as_str)
    }

    /// A row's tick changed; the report to make, if the row is ours and the
    /// tick went forwards (a row redrawn with an older icon says nothing).
    pub fn tick_moved(&mut self, wa_id: &str, tick: Tick) -> Option<(Uuid, DeliveryReport)> {
        let (message_id, reported) = self.rows.get_mut(wa_id)?;
        let report = match tick {
            Tick::Delivered => DeliveryReport::Delivered,
            Tick::Read => DeliveryReport::Read,
            Tick::Pending | Tick::Sent => return None,
        };
        if tick <= *reported {
            return None;
        }
        *reported = tick;
        Some((*message_id, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new id each call (the extension's uuid has no native random source).
    fn rand_id() -> u128 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    #[test]
    fn a_press_is_remembered_and_its_row_added_later() {
        let mut record = PressedRecord::default();
        let id = Uuid::from_u128(rand_id());
        assert_eq!(record.pressed(id), None);
        record.note(id, None);
        assert_eq!(record.pressed(id), Some(None));
        record.note(id, Some("true_1@c.us_A".into()));
        assert_eq!(record.pressed(id), Some(Some("true_1@c.us_A".into())));
        record.note(id, None);
        assert_eq!(
            record.pressed(id),
            Some(Some("true_1@c.us_A".into())),
            "a later press note does not forget the row"
        );
        assert_eq!(record.sent.len(), 1);
    }

    #[test]
    fn the_record_keeps_the_newest_presses() {
        let mut record = PressedRecord::default();
        let first = Uuid::from_u128(rand_id());
        record.note(first, None);
        for _ in 0..PRESSED_MAX {
            record.note(Uuid::from_u128(rand_id()), None);
        }
        assert_eq!(record.sent.len(), PRESSED_MAX);
        assert_eq!(record.pressed(first), None);
    }

    #[test]
    fn ticks_report_once_and_never_go_backwards() {
        let mut rows = OwnRows::default();
        let id = Uuid::from_u128(rand_id());
        rows.add("true_1@c.us_A".into(), id);
        assert_eq!(rows.tick_moved("true_1@c.us_A", Tick::Pending), None);
        assert_eq!(rows.tick_moved("true_1@c.us_A", Tick::Sent), None);
        assert_eq!(
            rows.tick_moved("true_1@c.us_A", Tick::Delivered),
            Some((id, DeliveryReport::Delivered))
        );
        assert_eq!(rows.tick_moved("true_1@c.us_A", Tick::Delivered), None);
        assert_eq!(
            rows.tick_moved("true_1@c.us_A", Tick::Read),
            Some((id, DeliveryReport::Read))
        );
        // A redraw showing an older icon (or a regressing page) says nothing.
        assert_eq!(rows.tick_moved("true_1@c.us_A", Tick::Delivered), None);
        assert_eq!(rows.tick_moved("true_1@c.us_A", Tick::Read), None);
        assert_eq!(
            rows.tick_moved("true_2@c.us_B", Tick::Read),
            None,
            "not ours"
        );
    }

    #[test]
    fn read_straight_after_sent_skips_delivered() {
        let mut rows = OwnRows::default();
        let id = Uuid::from_u128(rand_id());
        rows.add("true_1@c.us_B".into(), id);
        assert_eq!(
            rows.tick_moved("true_1@c.us_B", Tick::Read),
            Some((id, DeliveryReport::Read))
        );
        assert_eq!(rows.tick_moved("true_1@c.us_B", Tick::Delivered), None);
    }

    #[test]
    fn a_restarted_host_follows_the_ticks_of_what_it_sent_before() {
        let mut record = PressedRecord::default();
        let (first, second, unseen) = (
            Uuid::from_u128(rand_id()),
            Uuid::from_u128(rand_id()),
            Uuid::from_u128(rand_id()),
        );
        record.note(first, Some("true_1@c.us_A".into()));
        record.note(second, Some("true_1@c.us_B".into()));
        record.note(unseen, None);
        let mut rows = OwnRows::from_record(&record);
        assert_eq!(rows.newest_in("1@c.us"), Some("true_1@c.us_B"));
        assert_eq!(rows.newest_in("2@c.us"), None);
        assert_eq!(
            rows.tick_moved("true_1@c.us_A", Tick::Read),
            Some((first, DeliveryReport::Read))
        );
    }
}
