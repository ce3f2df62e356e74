//! Collecting what customers wrote into chats that are not open: while
//! nobody uses the host's WhatsApp Web, open each chat the chat list marked
//! ([`super::inbox`]) without reloading the page, let its rows be read (the
//! [`super::watch::RowTracker`] reports the new ones as the snapshots come),
//! and put the person's view back on the chat they had open. Nothing is
//! typed, so a draft they left stays where WhatsApp keeps it.

use super::layout::{PageState, HOSTING_NEEDS};
use super::page::Page;

/// How long nobody must have used the page before the capture opens chats,
/// unless the tab is hidden or the browser is a dedicated host.
pub const CAPTURE_IDLE_MS: u64 = 10_000;
/// How long a chat gets to open from the list.
pub const OPEN_TIMEOUT_MS: i64 = 10_000;
/// How long its rows get to settle once it is open.
const SETTLE_MS: u32 = 600;
const POLL_MS: u32 = 200;

/// When the capture may take the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureRules {
    /// Idle time needed, in milliseconds.
    pub idle_ms: u64,
    /// Nobody uses this browser's WhatsApp Web: no need to wait.
    pub dedicated: bool,
}

impl Default for CaptureRules {
    fn default() -> Self {
        CaptureRules {
            idle_ms: CAPTURE_IDLE_MS,
            dedicated: false,
        }
    }
}

/// What a capture pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureOutcome {
    /// Someone is using the page: the chats wait.
    Busy,
    /// The page is not ready (logged out, layout not recognised).
    NotNow(String),
    /// The pass ran.
    Done {
        /// Chats opened (their rows went to the tracker).
        opened: Vec<String>,
        /// Chats the list did not show, or that did not open.
        missed: Vec<String>,
    },
}

/// Whether the host captures now rather than sends: whenever chats wait and
/// nothing is to be sent, and between two sends otherwise, so a long queue
/// never keeps customers' messages waiting and a capture pass never holds
/// back more than one send.
pub fn capture_turn(chats_waiting: bool, send_waiting: bool, captured_since_send: bool) -> bool {
    chats_waiting && (!send_waiting || !captured_since_send)
}

/// Opens each chat of `waiting` (titles from the chat list), then the one
/// the person had open.
pub async fn capture(page: &impl Page, waiting: &[String], rules: CaptureRules) -> CaptureOutcome {
    if waiting.is_empty() {
        return CaptureOutcome::Done {
            opened: vec![],
            missed: vec![],
        };
    }
    match page.check(&HOSTING_NEEDS).await {
        Ok(PageState::Ready) => {}
        Ok(state) => return CaptureOutcome::NotNow(state.problem().unwrap_or_default()),
        Err(problem) => return CaptureOutcome::NotNow(problem),
    }
    if !may_take_page(page, rules).await {
        return CaptureOutcome::Busy;
    }
    let before = open_title(page);
    let mut opened = Vec::new();
    let mut missed = Vec::new();
    for title in waiting {
        // A person who comes back gets the page back at once.
        if !may_take_page(page, rules).await {
            break;
        }
        if open(page, title).await {
            page.pause(SETTLE_MS).await;
            opened.push(title.clone());
        } else {
            missed.push(title.clone());
        }
    }
    if let Some(before) = before {
        if open_title(page).as_deref() != Some(before.as_str()) {
            open(page, &before).await;
        }
    }
    CaptureOutcome::Done { opened, missed }
}

async fn may_take_page(page: &impl Page, rules: CaptureRules) -> bool {
    let idle = page.idle_ms().await.unwrap_or(0);
    rules.dedicated || page.hidden() || idle >= rules.idle_ms
}

fn open_title(page: &impl Page) -> Option<String> {
    page.snapshot()
        .open_chat()
        .map(|chat| chat.title.trim().to_owned())
        .filter(|title| !title.is_empty())
}

/// Opens the chat list's chat named `title`; whether it opened.
async fn open(page: &impl Page, title: &str) -> bool {
    if open_title(page).as_deref() == Some(title.trim()) {
        return true;
    }
    if !page.open_named(title).await.unwrap_or(false) {
        return false;
    }
    let deadline = page.now_ms() + OPEN_TIMEOUT_MS;
    while page.now_ms() < deadline {
        page.pause(POLL_MS).await;
        if open_title(page).as_deref() == Some(title.trim()) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;

    use super::*;
    use crate::driver::fake_page::{jid, FakePage};
    use crate::driver::inbox::{Inbox, SeenChat};
    use crate::driver::meta::LocalClock;
    use crate::driver::watch::{RowEvent, RowTracker, SeenRow};

    fn incoming(chat: &str, id: &str, text: &str) -> SeenRow {
        SeenRow {
            id: Some(format!("false_{chat}_{id}")),
            text: Some(text.into()),
            ..SeenRow::default()
        }
    }

    /// A host with Ana's chat open and a draft in it; Bo and Cy wrote.
    fn busy_host() -> FakePage {
        let page = FakePage::default();
        {
            let mut state = page.state.borrow_mut();
            for (digits, name) in [("1111111", "Ana"), ("2222222", "Bo"), ("3333333", "Cy")] {
                state.names.insert(jid(digits), name.into());
            }
            state.open = Some(jid("1111111"));
            state.drafts.insert(jid("1111111"), "half a thought".into());
            state.rows.insert(
                jid("1111111"),
                vec![incoming("1111111@c.us", "A1", "hello")],
            );
            state
                .rows
                .insert(jid("2222222"), vec![incoming("2222222@c.us", "B1", "one")]);
            state.rows.insert(
                jid("3333333"),
                vec![
                    incoming("3333333@c.us", "C0", "old"),
                    incoming("3333333@c.us", "C1", "two"),
                ],
            );
        }
        page
    }

    fn clock() -> LocalClock {
        LocalClock::utc(1_800_000_000_000)
    }

    fn run(page: &FakePage, waiting: &[&str], rules: CaptureRules) -> CaptureOutcome {
        let waiting: Vec<String> = waiting.iter().map(|t| t.to_string()).collect();
        capture(page, &waiting, rules)
            .now_or_never()
            .expect("the fake page never blocks")
    }

    #[test]
    fn captures_take_turns_with_sends() {
        assert!(!capture_turn(false, false, false), "nothing waits");
        assert!(capture_turn(true, false, true), "nothing to send: capture");
        assert!(capture_turn(true, true, false), "a turn between sends");
        assert!(!capture_turn(true, true, true), "then the next send");
    }

    #[test]
    fn chats_wait_while_the_person_types() {
        let page = busy_host();
        page.state.borrow_mut().person_typing_until = Some(i64::MAX);
        assert_eq!(
            run(&page, &["Bo"], CaptureRules::default()),
            CaptureOutcome::Busy
        );
        assert_eq!(page.state.borrow().open, Some(jid("1111111")));
    }

    #[test]
    fn idle_it_opens_each_chat_and_puts_the_view_and_draft_back() {
        let page = busy_host();
        page.state.borrow_mut().now += CAPTURE_IDLE_MS as i64;
        let outcome = run(&page, &["Bo", "Cy", "Gone"], CaptureRules::default());
        assert_eq!(
            outcome,
            CaptureOutcome::Done {
                opened: vec!["Bo".into(), "Cy".into()],
                missed: vec!["Gone".into()],
            }
        );
        let state = page.state.borrow();
        assert_eq!(state.open, Some(jid("1111111")), "Ana's chat is back");
        assert_eq!(
            state.drafts.get(&jid("1111111")).map(String::as_str),
            Some("half a thought")
        );
        assert_eq!(state.opened_from_list, ["Bo", "Cy", "Ana"]);
        assert!(state.delivered.is_empty(), "nothing was typed or sent");
    }

    #[test]
    fn a_person_who_comes_back_gets_the_page_back() {
        let page = busy_host();
        {
            let mut state = page.state.borrow_mut();
            state.now += CAPTURE_IDLE_MS as i64;
            // They start typing while the first chat opens.
            state.person_typing_from = Some(state.now + 100);
        }
        let outcome = run(&page, &["Bo", "Cy"], CaptureRules::default());
        assert_eq!(
            outcome,
            CaptureOutcome::Done {
                opened: vec!["Bo".into()],
                missed: vec![],
            }
        );
        assert_eq!(page.state.borrow().open, Some(jid("1111111")));
    }

    #[test]
    fn a_hidden_tab_or_a_dedicated_host_does_not_wait() {
        let page = busy_host();
        page.state.borrow_mut().hidden = true;
        let rules = CaptureRules::default();
        assert!(
            matches!(run(&page, &["Bo"], rules), CaptureOutcome::Done { ref opened, .. } if opened.len() == 1)
        );
        let page = busy_host();
        let dedicated = CaptureRules {
            dedicated: true,
            ..rules
        };
        assert!(
            matches!(run(&page, &["Cy"], dedicated), CaptureOutcome::Done { ref opened, .. } if opened.len() == 1)
        );
    }

    #[test]
    fn a_logged_out_page_is_not_captured() {
        let page = busy_host();
        page.state.borrow_mut().logged_out = true;
        assert!(matches!(
            run(
                &page,
                &["Bo"],
                CaptureRules {
                    dedicated: true,
                    ..CaptureRules::default()
                }
            ),
            CaptureOutcome::NotNow(_)
        ));
    }

    #[test]
    fn the_rows_read_on_the_way_are_each_new_message_once() {
        let page = busy_host();
        page.state.borrow_mut().now += CAPTURE_IDLE_MS as i64;
        let mut inbox = Inbox::default();
        let mut tracker = RowTracker::default();
        // The list counted one new message from Bo and one from Cy.
        let listed = |title: &str| SeenChat {
            title: Some(title.into()),
            badge: Some("1".into()),
            ..SeenChat::default()
        };
        inbox.update(&[listed("Bo"), listed("Cy")], None);
        tracker.update(&page.snapshot(), &mut inbox, clock());
        let waiting: Vec<&str> = vec!["Bo", "Cy"];
        assert_eq!(inbox.waiting(), waiting);
        page.state.borrow_mut().record_snapshots = true;
        run(&page, &waiting, CaptureRules::default());
        // The worker reads each snapshot as the page changes.
        let seen = std::mem::take(&mut page.state.borrow_mut().snapshots);
        let mut captured = Vec::new();
        for snapshot in seen.iter().chain(seen.iter()) {
            for event in tracker.update(snapshot, &mut inbox, clock()) {
                if let RowEvent::Incoming { message, .. } = event {
                    tracker.memory.captured(&message.chat_wa_id, &message.wa_id);
                    captured.push(message.text.unwrap_or_default());
                }
            }
        }
        assert_eq!(
            captured,
            ["one", "two"],
            "once each; Cy's old message is history"
        );
        assert!(inbox.waiting().is_empty());
    }
}
