//! One send, start to finish, the way a careful person would do it in
//! WhatsApp Web: check the page, wait until the person at this browser has
//! stopped typing, open the chat, make sure it holds no draft of theirs, type
//! (or attach and caption), press send, find the new row, and put the
//! person's view back where it was (with any draft they left there).
//!
//! Each [`Phase`] is announced through [`SendLog`], which is also told the
//! moment before send is pressed: from then on the message must never be
//! typed again, whatever happens to the worker.

use chorus_shared::message::MessageKind;

use super::bridge::FileToAttach;
use super::layout::{PageState, HOSTING_NEEDS, SENDING_NEEDS};
use super::page::Page;
use super::selectors::{open_chat_link, says_invalid_number, Element};
use super::watch::{header_number, OpenChat, RowTracker};

/// How long the person at this browser must leave the page alone before a
/// send types into it.
pub const USER_IDLE_MS: u64 = 3_000;
/// How long WhatsApp Web gets to open a chat or show a sent row.
pub const STEP_TIMEOUT_MS: i64 = 20_000;
/// How long an element that follows a click (send button, media preview)
/// gets to appear.
pub const ELEMENT_TIMEOUT_MS: i64 = 10_000;
/// The extra time a message with a link gets: WhatsApp Web holds it back
/// while it loads the link's preview.
pub const LINK_PREVIEW_MS: i64 = 20_000;
/// How often the page is looked at while waiting.
const POLL_MS: u32 = 250;

/// Who a send goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A person, by their number in E.164 (a link opens their chat).
    Person(String),
    /// A group, by its jid and its name in the chat list (no link opens a
    /// group: its row in the chat list does).
    Group {
        /// `<id>@g.us`.
        wa_id: String,
        /// Its name, when Chorus knows it.
        name: Option<String>,
    },
}

impl Recipient {
    /// The chat's jid.
    pub fn jid(&self) -> String {
        match self {
            Recipient::Person(phone) => format!("{}@c.us", phone.trim_start_matches('+')),
            Recipient::Group { wa_id, .. } => wa_id.clone(),
        }
    }

    /// How the host's status line and failures name it.
    pub fn describe(&self) -> String {
        match self {
            Recipient::Person(phone) => phone.clone(),
            Recipient::Group { name, wa_id } => name.clone().unwrap_or_else(|| wa_id.clone()),
        }
    }
}

/// What to send, and to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendJob {
    /// The chat it goes to.
    pub to: Recipient,
    /// The text, or the caption of an attachment.
    pub text: Option<String>,
    /// A file to send, with the kind that decides which picker takes it.
    pub attachment: Option<(MessageKind, FileToAttach)>,
}

/// Where a send has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Checking that WhatsApp Web is logged in and recognised.
    CheckingPage,
    /// The person at this browser is typing; the send waits for them.
    WaitingForPerson,
    /// Opening the recipient's chat.
    OpeningChat,
    /// Typing the text, or attaching the file and its caption.
    Composing,
    /// Pressing send.
    Pressing,
    /// Waiting for the message's row to appear.
    ConfirmingRow,
    /// Opening the chat the person had open before.
    RestoringView,
}

impl Phase {
    /// The phase in words, for the host's status line.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::CheckingPage => "checking WhatsApp Web",
            Phase::WaitingForPerson => "waiting for you to finish typing",
            Phase::OpeningChat => "opening the chat",
            Phase::Composing => "writing the message",
            Phase::Pressing => "pressing send",
            Phase::ConfirmingRow => "waiting for WhatsApp to show it",
            Phase::RestoringView => "reopening your chat",
        }
    }
}

/// What became of a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send was pressed; the row's WhatsApp id when it was seen.
    Sent {
        /// The new row's `data-id`.
        wa_id: Option<String>,
    },
    /// It cannot be sent; the reason is for the person who queued it.
    Failed(String),
    /// The page is not ready; the message stays queued and is tried again.
    NotNow(String),
}

/// What a send tells the host as it goes.
// One thread (WebAssembly): the futures need not be Send.
#[allow(async_fn_in_trait)]
pub trait SendLog {
    /// A phase begins.
    fn phase(&mut self, phase: Phase);
    /// About once a second while the person at this browser is typing (the
    /// host tells the relay it is still on it).
    async fn still_waiting(&mut self);
    /// Send is about to be pressed: remember it before it happens.
    async fn pressing(&mut self);
    /// The message's row appeared with this WhatsApp id.
    async fn row_seen(&mut self, wa_id: &str);
}

/// Performs `job` on `page`.
pub async fn send(page: &impl Page, job: &SendJob, log: &mut impl SendLog) -> Outcome {
    match prepare(page, job, log).await {
        Ok(target) => {
            let before = page.snapshot().open_chat();
            let outcome = match open_chat(page, &job.to, &target).await {
                Ok(()) => in_open_chat(page, job, &target, log).await,
                Err(outcome) => outcome,
            };
            if before.as_ref().and_then(|chat| chat.wa_id.as_deref()) != Some(target.as_str()) {
                log.phase(Phase::RestoringView);
                restore_view(page, before.as_ref()).await;
            }
            outcome
        }
        Err(outcome) => outcome,
    }
}

/// Checks the page and the job, and waits for the person at this browser;
/// the recipient's jid when the send can go ahead.
async fn prepare(
    page: &impl Page,
    job: &SendJob,
    log: &mut impl SendLog,
) -> Result<String, Outcome> {
    log.phase(Phase::CheckingPage);
    ready(page, &HOSTING_NEEDS).await.map_err(Outcome::NotNow)?;
    if let Recipient::Group { name: None, .. } = &job.to {
        return Err(Outcome::Failed(
            "Chorus finds a group by its name in WhatsApp Web's chat list, and this group has none; name it in Chorus and send again."
                .into(),
        ));
    }
    // Never type while the person at this browser is typing. A draft they
    // left is no obstacle: WhatsApp keeps drafts per chat, so switching to
    // the recipient and back leaves it where it was.
    loop {
        let idle = page.idle_ms().await.unwrap_or(u64::MAX);
        if idle >= USER_IDLE_MS {
            break;
        }
        log.phase(Phase::WaitingForPerson);
        log.still_waiting().await;
        page.pause(1_000).await;
    }
    log.phase(Phase::OpeningChat);
    Ok(job.to.jid())
}

/// Everything from the open chat to the confirmed row.
async fn in_open_chat(
    page: &impl Page,
    job: &SendJob,
    target: &str,
    log: &mut impl SendLog,
) -> Outcome {
    let who = job.to.describe();
    // WhatsApp keeps drafts per chat: a half-written message of the person's
    // own would go out with ours.
    if !is_blank(
        page.read(Element::ComposeBox)
            .await
            .ok()
            .flatten()
            .as_deref(),
    ) {
        return Outcome::NotNow(format!(
            "The chat with {who} holds an unsent draft; send or clear it and Chorus will carry on."
        ));
    }
    let earlier = RowTracker::outgoing_ids(&page.snapshot(), target);
    log.phase(Phase::Composing);
    let press = match &job.attachment {
        Some((kind, file)) => compose_media(page, *kind, file, job.text.as_deref()).await,
        None => compose_text(page, job.text.as_deref().unwrap_or_default()).await,
    };
    let press = match press {
        Ok(button) => button,
        Err(outcome) => return outcome,
    };
    log.pressing().await;
    log.phase(Phase::Pressing);
    if !page.click(press).await.unwrap_or(false) {
        return Outcome::Failed("The send button disappeared before Chorus could press it.".into());
    }
    log.phase(Phase::ConfirmingRow);
    let wait = STEP_TIMEOUT_MS
        + if has_link(job.text.as_deref()) {
            LINK_PREVIEW_MS
        } else {
            0
        };
    let wa_id = new_row(page, &earlier, target, wait).await;
    if let Some(wa_id) = &wa_id {
        log.row_seen(wa_id).await;
    }
    Outcome::Sent { wa_id }
}

/// Opens the recipient's chat without reloading the page: a person's by
/// link, a group's by its row in the chat list.
async fn open_chat(page: &impl Page, to: &Recipient, target: &str) -> Result<(), Outcome> {
    if page
        .snapshot()
        .open_chat()
        .and_then(|chat| chat.wa_id)
        .as_deref()
        == Some(target)
    {
        return ready(page, &SENDING_NEEDS).await.map_err(Outcome::NotNow);
    }
    let who = to.describe();
    match to {
        Recipient::Person(phone) => page
            .follow_link(&open_chat_link(phone))
            .await
            .map_err(Outcome::NotNow)?,
        Recipient::Group { name, .. } => {
            let name = name.as_deref().unwrap_or_default();
            if !page.open_named(name).await.map_err(Outcome::NotNow)? {
                return Err(Outcome::Failed(format!(
                    "WhatsApp Web finds no group named {name}, in its chat list or by searching; check the group's name in Chorus (the host must still be in the group) and send again."
                )));
            }
        }
    }
    let digits = target.trim_end_matches("@c.us");
    let deadline = page.now_ms() + STEP_TIMEOUT_MS;
    let mut unready = None;
    while page.now_ms() < deadline {
        page.pause(POLL_MS).await;
        if let Ok(Some(text)) = page.read(Element::InvalidNumberPopup).await {
            if says_invalid_number(&text) {
                let _ = page.click(Element::PopupButton).await;
                return Err(Outcome::Failed(format!("{who} is not on WhatsApp.")));
            }
        }
        let here = page.snapshot().open_chat().is_some_and(|chat| match to {
            Recipient::Person(_) => {
                chat.wa_id.as_deref() == Some(target)
                    || header_number(&chat.title).as_deref() == Some(digits)
            }
            // Another chat of the same name would show other rows.
            Recipient::Group { .. } => chat.wa_id.as_deref() == Some(target),
        });
        if here {
            match ready(page, &SENDING_NEEDS).await {
                Ok(()) => return Ok(()),
                Err(problem) => unready = Some(problem),
            }
        }
    }
    // The chat opened but part of it was never recognised: say which part.
    Err(Outcome::Failed(unready.unwrap_or_else(|| {
        format!(
            "WhatsApp Web did not open the chat with {who} within {} seconds.",
            STEP_TIMEOUT_MS / 1000
        )
    })))
}

/// Types `text`; the button that sends it.
async fn compose_text(page: &impl Page, text: &str) -> Result<Element, Outcome> {
    if !page.paste(Element::ComposeBox, text).await.unwrap_or(false) {
        return Err(layout_problem(Element::ComposeBox));
    }
    if !appears(page, Element::SendButton).await {
        return Err(layout_problem(Element::SendButton));
    }
    Ok(Element::SendButton)
}

/// Attaches `file` and writes its caption; the preview's send button.
async fn compose_media(
    page: &impl Page,
    kind: MessageKind,
    file: &FileToAttach,
    caption: Option<&str>,
) -> Result<Element, Outcome> {
    let input = if matches!(kind, MessageKind::Image | MessageKind::Video) {
        Element::MediaFileInput
    } else {
        Element::DocumentFileInput
    };
    // The inputs exist once the attach menu has been opened.
    let _ = page.click(Element::AttachButton).await;
    if !page.attach(input, file).await.unwrap_or(false) {
        return Err(layout_problem(input));
    }
    if !appears(page, Element::MediaSendButton).await {
        return Err(layout_problem(Element::MediaSendButton));
    }
    if let Some(caption) = caption.filter(|caption| !caption.trim().is_empty()) {
        // A file without the words that go with it is not what was queued.
        if !appears(page, Element::CaptionBox).await
            || !page
                .paste(Element::CaptionBox, caption)
                .await
                .unwrap_or(false)
        {
            return Err(layout_problem(Element::CaptionBox));
        }
    }
    Ok(Element::MediaSendButton)
}

/// Waits for an outgoing row of `target` that was not in `earlier`.
async fn new_row(
    page: &impl Page,
    earlier: &std::collections::HashSet<String>,
    target: &str,
    wait_ms: i64,
) -> Option<String> {
    let deadline = page.now_ms() + wait_ms;
    loop {
        let now = RowTracker::outgoing_ids(&page.snapshot(), target);
        if let Some(id) = now.difference(earlier).min() {
            return Some(id.clone());
        }
        if page.now_ms() >= deadline {
            return None;
        }
        page.pause(POLL_MS).await;
    }
}

/// Opens the chat the person had open: a person's by link, a group's (or
/// one known only by name) by its row in the chat list.
async fn restore_view(page: &impl Page, before: Option<&OpenChat>) {
    let Some(before) = before else { return };
    match before
        .wa_id
        .as_deref()
        .and_then(|jid| jid.strip_suffix("@c.us"))
    {
        Some(digits) => {
            let _ = page.follow_link(&open_chat_link(digits)).await;
        }
        None if !before.title.is_empty() => {
            let _ = page.open_named(&before.title).await;
        }
        None => {}
    }
}

async fn ready(page: &impl Page, needed: &[Element]) -> Result<(), String> {
    match page.check(needed).await? {
        PageState::Ready => Ok(()),
        state => Err(state.problem().unwrap_or_default()),
    }
}

async fn appears(page: &impl Page, element: Element) -> bool {
    let deadline = page.now_ms() + ELEMENT_TIMEOUT_MS;
    loop {
        if page.shows(element).await {
            return true;
        }
        if page.now_ms() >= deadline {
            return false;
        }
        page.pause(POLL_MS).await;
    }
}

fn layout_problem(element: Element) -> Outcome {
    Outcome::Failed(
        PageState::Unrecognised(vec![element])
            .problem()
            .unwrap_or_default(),
    )
}

fn is_blank(text: Option<&str>) -> bool {
    text.is_none_or(|text| text.trim().is_empty())
}

/// Whether WhatsApp Web will look for a link preview in `text`.
fn has_link(text: Option<&str>) -> bool {
    text.is_some_and(|text| {
        let lower = text.to_lowercase();
        lower.contains("http://") || lower.contains("https://") || lower.contains("www.")
    })
}

#[cfg(test)]
mod tests;
