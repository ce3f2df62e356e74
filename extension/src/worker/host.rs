//! Hosting: performing the sends the relay dispatches, one at a time, by
//! driving the WhatsApp Web tab, and reporting what happened.
//!
//! A send never happens twice: before pressing send the host writes the
//! message id to `chrome.storage`, so a dispatch that comes again (after a
//! reconnection, a worker restart or a lapsed lease) is answered from that
//! record instead of being typed again.

use std::collections::{HashMap, VecDeque};

use base64::Engine as _;
use chorus_shared::message::MessageKind;
use chorus_shared::protocol::{DeliveryReport, Dispatch, IncomingMessage, Request};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::channel::SENT_KEY;
use crate::driver::layout::{PageState, HOSTING_NEEDS, SENDING_NEEDS};
use crate::driver::rows::Tick;
use crate::driver::selectors::{open_chat_link, says_invalid_number, Element};
use crate::driver::watch::{header_number, RowTracker};
use crate::pacing::{LastSend, NextSend, Pacing};
use crate::web::relay::Relay;
use crate::web::{load, now_ms, random, sleep, store};

use super::link::Link;
use super::page::Page;

/// How long the compose box must be left alone before a send types into it.
const USER_IDLE_MS: u64 = 3_000;
/// How long WhatsApp Web gets to open a chat or show a sent row.
const STEP_TIMEOUT_MS: i64 = 20_000;
/// How many sent ids the host remembers.
const SENT_RECORD_MAX: usize = 2_000;

/// What the host remembers of one message it pressed send for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SentRecord {
    /// `(message id, WhatsApp id once seen)`, oldest first.
    sent: VecDeque<(Uuid, Option<String>)>,
}

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
    /// Outgoing rows this host sent: WhatsApp id → (message, last tick reported).
    rows: HashMap<String, (Uuid, Tick)>,
    /// Sends performed since hosting started.
    pub sent_count: u64,
    /// Words about the last send.
    pub last_send: Option<String>,
}

/// What became of one dispatched message.
enum Done {
    Sent(Option<String>),
    Failed(String),
    /// The page is not ready; keep the message and try again soon.
    NotNow(String),
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
            rows: HashMap::new(),
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
        let (message_id, reported) = self.rows.get_mut(wa_id)?;
        if tick <= *reported {
            return None;
        }
        *reported = tick;
        let report = match tick {
            Tick::Delivered => DeliveryReport::Delivered,
            Tick::Read => DeliveryReport::Read,
            _ => return None,
        };
        Some((*message_id, report))
    }
}

/// Sends `dispatch` through `page` and reports the outcome. Returns false
/// when the page was not ready and the message stays queued.
pub async fn perform(host: &crate::web::Shared<Host>, page: &Page, dispatch: Dispatch) -> bool {
    let (link, relay) = {
        let host = host.borrow();
        (host.link.clone(), host.relay.clone())
    };
    let mut record: SentRecord = load(SENT_KEY).await.unwrap_or_default();
    if let Some((_, wa_id)) = record
        .sent
        .iter()
        .find(|(id, _)| *id == dispatch.message_id)
    {
        // Pressed send before; never again. Tell the relay it went.
        let sent = DeliveryReport::Sent {
            wa_id: wa_id.clone(),
        };
        report(&link, dispatch.message_id, sent).await;
        host.borrow_mut().finish(dispatch.message_id);
        return true;
    }
    report(&link, dispatch.message_id, DeliveryReport::Sending).await;
    let outcome = drive(page, &relay, &link, &dispatch, &mut record).await;
    let who = dispatch
        .phone
        .clone()
        .unwrap_or_else(|| dispatch.chat_wa_id.clone());
    let outcome = match outcome {
        Done::NotNow(problem) => {
            host.borrow_mut().last_send = Some(format!("Waiting: {problem}"));
            return false;
        }
        Done::Sent(wa_id) => {
            let mut host = host.borrow_mut();
            let in_burst = host.last.as_ref().map_or(0, |last| last.in_burst) + 1;
            let in_burst = if in_burst > host.pacing.burst {
                1
            } else {
                in_burst
            };
            host.last = Some(LastSend {
                chat: dispatch.chat_wa_id.clone(),
                at_ms: now_ms(),
                in_burst,
            });
            host.sent_count += 1;
            host.last_send = Some(format!("{who}: sent"));
            if let Some(wa_id) = &wa_id {
                host.rows
                    .insert(wa_id.clone(), (dispatch.message_id, Tick::Sent));
            }
            DeliveryReport::Sent { wa_id }
        }
        Done::Failed(reason) => {
            host.borrow_mut().last_send = Some(format!("{who}: failed ({reason})"));
            DeliveryReport::Failed { reason }
        }
    };
    report(&link, dispatch.message_id, outcome).await;
    host.borrow_mut().finish(dispatch.message_id);
    true
}

/// Tells the relay how a message is doing; a refusal is only logged (the
/// relay keeps the message, and a later report or the lease sorts it out).
async fn report(link: &Link, message_id: Uuid, report: DeliveryReport) {
    if let Err(error) = link.request(Request::Report { message_id, report }).await {
        crate::web::log(&format!(
            "Chorus: the relay did not take a report: {}",
            error.message
        ));
    }
}

async fn drive(
    page: &Page,
    relay: &Relay,
    link: &Link,
    dispatch: &Dispatch,
    record: &mut SentRecord,
) -> Done {
    match page.check(&HOSTING_NEEDS).await {
        Ok(PageState::Ready) => {}
        Ok(state) => return Done::NotNow(state.problem().unwrap_or_default()),
        Err(problem) => return Done::NotNow(problem),
    }
    let Some(phone) = dispatch.phone.as_deref() else {
        return Done::Failed(
            "Chorus sends to people's numbers; open groups in WhatsApp Web to write to them."
                .into(),
        );
    };
    // Never type into a chat the person at this browser is writing in.
    loop {
        let draft = page.read(Element::ComposeBox).await.ok().flatten();
        let idle = page.idle_ms().await.unwrap_or(u64::MAX);
        if draft.as_deref().is_none_or(|text| text.trim().is_empty()) && idle >= USER_IDLE_MS {
            break;
        }
        report(link, dispatch.message_id, DeliveryReport::Sending).await;
        sleep(1_000).await;
    }
    let before = page.snapshot().open_chat();
    let target = format!("{}@c.us", phone.trim_start_matches('+'));
    if let Err(problem) = open_chat(page, phone, &target).await {
        return problem;
    }
    let earlier = RowTracker::outgoing_ids(&page.snapshot(), &target);
    let pressed = match (&dispatch.attachment, &dispatch.attachment_url) {
        (Some(file), Some(url)) => {
            let path = url.strip_prefix("/api/v1").unwrap_or(url);
            let bytes = match relay.bytes(path).await {
                Ok(bytes) => bytes,
                Err(failure) => return Done::NotNow(failure.message),
            };
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            let input = if matches!(dispatch.kind, MessageKind::Image | MessageKind::Video) {
                Element::MediaFileInput
            } else {
                Element::DocumentFileInput
            };
            let _ = page
                .click(Element::AttachButton, Some("button,[role=\"button\"]"))
                .await;
            if !page
                .attach(input, &file.name, &file.mime, &encoded)
                .await
                .unwrap_or(false)
            {
                return layout_problem(Element::AttachButton);
            }
            if !wait_for(page, Element::MediaSendButton).await {
                return layout_problem(Element::MediaSendButton);
            }
            if let Some(caption) = dispatch.text.as_deref().filter(|t| !t.is_empty()) {
                if wait_for(page, Element::CaptionBox).await {
                    let _ = page.paste(Element::CaptionBox, caption).await;
                }
            }
            remember(record, dispatch.message_id, None).await;
            page.click(Element::MediaSendButton, Some("button,[role=\"button\"]"))
                .await
                .unwrap_or(false)
        }
        _ => {
            let text = dispatch.text.clone().unwrap_or_default();
            if !page
                .paste(Element::ComposeBox, &text)
                .await
                .unwrap_or(false)
            {
                return layout_problem(Element::ComposeBox);
            }
            if !wait_for(page, Element::SendButton).await {
                return layout_problem(Element::SendButton);
            }
            remember(record, dispatch.message_id, None).await;
            page.click(Element::SendButton, Some("button,[role=\"button\"]"))
                .await
                .unwrap_or(false)
        }
    };
    if !pressed {
        return Done::Failed("The send button disappeared before Chorus could press it.".into());
    }
    let deadline = now_ms() + STEP_TIMEOUT_MS;
    let mut wa_id = None;
    while now_ms() < deadline {
        let now = RowTracker::outgoing_ids(&page.snapshot(), &target);
        if let Some(id) = now.difference(&earlier).next() {
            wa_id = Some(id.clone());
            break;
        }
        sleep(250).await;
    }
    if let Some(id) = &wa_id {
        remember(record, dispatch.message_id, Some(id.clone())).await;
    }
    // Put the person's view back where it was.
    if let Some(previous) = before.and_then(|chat| chat.wa_id) {
        if previous != target {
            if let Some(digits) = previous.strip_suffix("@c.us") {
                let _ = page.follow_link(&open_chat_link(digits)).await;
            }
        }
    }
    Done::Sent(wa_id)
}

/// Opens the chat for `phone` without reloading the page; fails when
/// WhatsApp Web says the number is not on WhatsApp.
async fn open_chat(page: &Page, phone: &str, target: &str) -> Result<(), Done> {
    if page
        .snapshot()
        .open_chat()
        .and_then(|chat| chat.wa_id)
        .as_deref()
        == Some(target)
    {
        return Ok(());
    }
    page.follow_link(&open_chat_link(phone))
        .await
        .map_err(Done::NotNow)?;
    let digits = target.trim_end_matches("@c.us");
    let deadline = now_ms() + STEP_TIMEOUT_MS;
    while now_ms() < deadline {
        sleep(250).await;
        if let Ok(Some(text)) = page.read(Element::InvalidNumberPopup).await {
            if says_invalid_number(&text) {
                let _ = page.click(Element::PopupButton, None).await;
                return Err(Done::Failed(format!("{phone} is not on WhatsApp.")));
            }
        }
        let open = page.snapshot().open_chat();
        let here = open.as_ref().is_some_and(|chat| {
            chat.wa_id.as_deref() == Some(target)
                || header_number(&chat.title).as_deref() == Some(digits)
        });
        if here && matches!(page.check(&SENDING_NEEDS).await, Ok(PageState::Ready)) {
            return Ok(());
        }
    }
    Err(Done::Failed(format!(
        "WhatsApp Web did not open the chat with {phone} within {} seconds.",
        STEP_TIMEOUT_MS / 1000
    )))
}

async fn wait_for(page: &Page, element: Element) -> bool {
    let deadline = now_ms() + STEP_TIMEOUT_MS / 2;
    while now_ms() < deadline {
        if page
            .probe(&[element])
            .await
            .ok()
            .and_then(|f| f.first().copied())
            == Some(true)
        {
            return true;
        }
        sleep(200).await;
    }
    false
}

fn layout_problem(element: Element) -> Done {
    Done::Failed(
        PageState::Unrecognised(vec![element])
            .problem()
            .unwrap_or_default(),
    )
}

async fn remember(record: &mut SentRecord, message_id: Uuid, wa_id: Option<String>) {
    match record.sent.iter_mut().find(|(id, _)| *id == message_id) {
        Some(entry) => entry.1 = wa_id,
        None => record.sent.push_back((message_id, wa_id)),
    }
    while record.sent.len() > SENT_RECORD_MAX {
        record.sent.pop_front();
    }
    store(SENT_KEY, record).await;
}
