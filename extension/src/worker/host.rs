//! Hosting: performing the sends the relay dispatches, one at a time, by
//! driving the WhatsApp Web tab ([`crate::driver::send`]), and reporting
//! what happened.
//!
//! A send never happens twice: before pressing send the host writes the
//! message id to `chrome.storage`, so a dispatch that comes again (after a
//! reconnection, a worker restart or a lapsed lease) is answered from that
//! record instead of being typed again.

use std::collections::{HashMap, VecDeque};

use base64::Engine as _;
use chorus_shared::protocol::{DeliveryReport, Dispatch, IncomingMessage, Request};
use chorus_shared::team::SeenGroup;
use uuid::Uuid;

use crate::browser::relay::Relay;
use crate::browser::{load, now_ms, random, store, Shared};
use crate::channel::SENT_KEY;
use crate::driver::bridge::FileToAttach;
use crate::driver::receipts::{OwnRows, PressedRecord};
use crate::driver::rows::Tick;
use crate::driver::send::{send, Outcome, Phase, Recipient, SendJob, SendLog};
use crate::pacing::{LastSend, NextSend, Pacing};

use super::link::Link;
use super::tab::Tab;

/// The hosting state kept by the worker.
pub struct Host {
    /// The host connection.
    pub link: Link,
    /// For attachment downloads.
    pub relay: Relay,
    /// The organization's (or the default) pacing.
    pub pacing: Pacing,
    queue: VecDeque<Dispatch>,
    last: Option<LastSend>,
    /// Last incoming message per chat, for prompt replies.
    incoming_at: HashMap<String, i64>,
    own_rows: OwnRows,
    /// Groups told to the relay, as told.
    groups_told: HashMap<String, SeenGroup>,
    /// Sends performed since hosting started.
    pub sent_count: u64,
    /// Words about the last send.
    pub last_send: Option<String>,
}

impl Host {
    /// Hosting over `link`.
    pub fn new(link: Link, relay: Relay, pacing: Pacing) -> Host {
        Host {
            link,
            relay,
            pacing,
            queue: VecDeque::new(),
            last: None,
            incoming_at: HashMap::new(),
            own_rows: OwnRows::default(),
            groups_told: HashMap::new(),
            sent_count: 0,
            last_send: None,
        }
    }

    /// Takes a dispatch (once per message id, however often it comes).
    pub fn take(&mut self, dispatch: Dispatch) {
        if !self
            .queue
            .iter()
            .any(|queued| queued.message_id == dispatch.message_id)
        {
            self.queue.push_back(dispatch);
        }
    }

    /// The next message to send, if any.
    pub fn next(&self) -> Option<Dispatch> {
        self.queue.front().cloned()
    }

    fn finish(&mut self, message_id: Uuid) {
        self.queue.retain(|queued| queued.message_id != message_id);
    }

    /// How long to wait before sending `dispatch`.
    pub fn wait_ms(&self, dispatch: &Dispatch) -> u32 {
        if dispatch.campaign_id.is_some() {
            // The relay spaced campaign messages by the number's pacing.
            return 0;
        }
        let next = NextSend {
            chat: &dispatch.chat_wa_id,
            last_incoming_ms: self.incoming_at.get(&dispatch.chat_wa_id).copied(),
        };
        self.pacing
            .wait_before(self.last.as_ref(), &next, now_ms(), random())
            .as_millis()
            .min(u128::from(u32::MAX)) as u32
    }

    /// A message arrived: replies to that chat may go out at once.
    pub fn heard_from(&mut self, message: &IncomingMessage) {
        self.incoming_at
            .insert(message.chat_wa_id.clone(), now_ms());
    }

    /// A tick moved on a row; the report to make, if the row is ours.
    pub fn tick_moved(&mut self, wa_id: &str, tick: Tick) -> Option<(Uuid, DeliveryReport)> {
        self.own_rows.tick_moved(wa_id, tick)
    }

    /// The chat list shows a tick on `chat`'s last outgoing message: the
    /// report to make, if this host sent that chat's newest row.
    pub fn last_tick_moved(&mut self, chat: &str, tick: Tick) -> Option<(Uuid, DeliveryReport)> {
        let wa_id = self.own_rows.newest_in(chat)?.to_owned();
        self.own_rows.tick_moved(&wa_id, tick)
    }

    /// Whether `group` is news to the relay (new, renamed, or with other
    /// members since told).
    pub fn first_sight(&mut self, group: &SeenGroup) -> bool {
        self.groups_told
            .insert(group.wa_id.clone(), group.clone())
            .as_ref()
            != Some(group)
    }

    /// Follows the ticks of the sends recorded before this host started.
    pub fn remember_sends(&mut self, record: &PressedRecord) {
        self.own_rows = OwnRows::from_record(record);
    }

    fn sent(&mut self, chat: &str) {
        let in_burst = self.last.as_ref().map_or(0, |last| last.in_burst) + 1;
        let in_burst = if in_burst > self.pacing.burst {
            1
        } else {
            in_burst
        };
        self.last = Some(LastSend {
            chat: chat.to_owned(),
            at_ms: now_ms(),
            in_burst,
        });
        self.sent_count += 1;
    }
}

/// What the host hears from a send in progress.
struct HostLog<'a, F: Fn(Phase)> {
    link: &'a Link,
    message_id: Uuid,
    record: PressedRecord,
    on_phase: F,
}

impl<F: Fn(Phase)> SendLog for HostLog<'_, F> {
    fn phase(&mut self, phase: Phase) {
        (self.on_phase)(phase);
    }

    async fn still_waiting(&mut self) {
        // Keeps the relay's lease on the message while the person types.
        report(self.link, self.message_id, DeliveryReport::Sending).await;
    }

    async fn pressing(&mut self) {
        self.record.note(self.message_id, None);
        store(SENT_KEY, &self.record).await;
    }

    async fn row_seen(&mut self, wa_id: &str) {
        self.record.note(self.message_id, Some(wa_id.to_owned()));
        store(SENT_KEY, &self.record).await;
    }
}

/// Sends `dispatch` through `tab` and reports the outcome, telling
/// `on_phase` where it has got to. Returns false when the page was not ready
/// and the message stays queued.
pub async fn perform(
    host: &Shared<Host>,
    tab: &Tab,
    dispatch: Dispatch,
    on_phase: impl Fn(Phase),
) -> bool {
    let (link, relay) = {
        let host = host.borrow();
        (host.link.clone(), host.relay.clone())
    };
    let record: PressedRecord = load(SENT_KEY).await.unwrap_or_default();
    if let Some(wa_id) = record.pressed(dispatch.message_id) {
        // Pressed send before; never again. Tell the relay it went.
        report(&link, dispatch.message_id, DeliveryReport::Sent { wa_id }).await;
        host.borrow_mut().finish(dispatch.message_id);
        return true;
    }
    report(&link, dispatch.message_id, DeliveryReport::Sending).await;
    let job = match job_for(&relay, &dispatch).await {
        Ok(job) => job,
        Err(problem) => {
            host.borrow_mut().last_send = Some(format!("Waiting: {problem}"));
            return false;
        }
    };
    let mut log = HostLog {
        link: &link,
        message_id: dispatch.message_id,
        record,
        on_phase,
    };
    let outcome = send(tab, &job, &mut log).await;
    let who = job.to.describe();
    let delivery = match outcome {
        Outcome::NotNow(problem) => {
            host.borrow_mut().last_send = Some(format!("Waiting: {problem}"));
            return false;
        }
        Outcome::Sent { wa_id } => {
            let mut host = host.borrow_mut();
            host.sent(&dispatch.chat_wa_id);
            host.last_send = Some(format!("{who}: sent"));
            if let Some(wa_id) = &wa_id {
                host.own_rows.add(wa_id.clone(), dispatch.message_id);
            }
            DeliveryReport::Sent { wa_id }
        }
        Outcome::Failed(reason) => {
            host.borrow_mut().last_send = Some(format!("{who}: failed ({reason})"));
            DeliveryReport::Failed { reason }
        }
    };
    report(&link, dispatch.message_id, delivery).await;
    host.borrow_mut().finish(dispatch.message_id);
    true
}

/// What to send, with the attachment's bytes fetched from the relay.
async fn job_for(relay: &Relay, dispatch: &Dispatch) -> Result<SendJob, String> {
    let attachment = match (&dispatch.attachment, &dispatch.attachment_url) {
        (Some(file), Some(url)) => {
            let path = url.strip_prefix("/api/v1").unwrap_or(url);
            let bytes = relay.bytes(path).await.map_err(|failure| failure.message)?;
            Some((
                dispatch.kind,
                FileToAttach {
                    name: file.name.clone(),
                    mime: file.mime.clone(),
                    base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                },
            ))
        }
        _ => None,
    };
    let to = match &dispatch.phone {
        Some(phone) => Recipient::Person(phone.clone()),
        None => Recipient::Group {
            wa_id: dispatch.chat_wa_id.clone(),
            name: dispatch.chat_name.clone(),
        },
    };
    Ok(SendJob {
        to,
        text: dispatch.text.clone(),
        attachment,
    })
}

/// Tells the relay how a message is doing; a refusal is only logged (the
/// relay keeps the message, and a later report or the lease sorts it out).
async fn report(link: &Link, message_id: Uuid, report: DeliveryReport) {
    if let Err(error) = link.request(Request::Report { message_id, report }).await {
        crate::browser::log(&format!(
            "Chorus: the relay did not take a report: {}",
            error.message
        ));
    }
}
