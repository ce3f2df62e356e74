//! The page as the driver's decisions see it: the elements of
//! [`Element`], the open conversation, and the passing of time.
//!
//! In the browser the worker implements it over the tab's bridge; native
//! tests implement it with a simulated WhatsApp Web and a simulated clock,
//! so every branch of a send runs without a browser.

use super::bridge::FileToAttach;
use super::layout::PageState;
use super::selectors::Element;
use super::watch::Snapshot;

/// How often, and how many times, the chat list is read for search results.
const SEARCH_POLL_MS: u32 = 250;
const SEARCH_POLLS: u32 = 12;

/// A WhatsApp Web tab. Errors are in words (the tab closed, stopped
/// answering, or refused an operation).
// The driver runs on one thread (WebAssembly): its futures need not be Send.
#[allow(async_fn_in_trait)]
pub trait Page {
    /// Which of `elements` the page shows, in the same order.
    async fn probe(&self, elements: &[Element]) -> Result<Vec<bool>, String>;
    /// The text of `element`, or `None` when it is not on the page.
    async fn read(&self, element: Element) -> Result<Option<String>, String>;
    /// Clicks `element`; false when it is not on the page.
    async fn click(&self, element: Element) -> Result<bool, String>;
    /// Pastes `text` into the editor `element`; false when it is not there.
    async fn paste(&self, element: Element, text: &str) -> Result<bool, String>;
    /// Gives the file input `element` a file; false when it is not there.
    async fn attach(&self, element: Element, file: &FileToAttach) -> Result<bool, String>;
    /// Empties the editor `element`; false when it is not there.
    async fn clear(&self, element: Element) -> Result<bool, String>;
    /// Follows a link inside the app (opens a chat without a reload).
    async fn follow_link(&self, href: &str) -> Result<(), String>;
    /// Clicks the chat list's row named `title`; false when none is.
    async fn open_listed(&self, title: &str) -> Result<bool, String>;
    /// Milliseconds since the person at this browser last typed or clicked.
    async fn idle_ms(&self) -> Result<u64, String>;
    /// Whether the tab is hidden (another tab or a minimised window), as
    /// last told with [`Page::idle_ms`].
    fn hidden(&self) -> bool;
    /// The open conversation as last reported.
    fn snapshot(&self) -> Snapshot;
    /// The time now, in milliseconds since the epoch.
    fn now_ms(&self) -> i64;
    /// Lets `ms` milliseconds pass.
    async fn pause(&self, ms: u32);

    /// The page's state for a task that needs `needed`.
    async fn check(&self, needed: &[Element]) -> Result<PageState, String> {
        let mut asked = vec![Element::LoginQrCode];
        asked.extend_from_slice(needed);
        let found = self.probe(&asked).await?;
        Ok(PageState::check(needed, |element| {
            asked
                .iter()
                .position(|e| *e == element)
                .and_then(|i| found.get(i).copied())
                .unwrap_or(false)
        }))
    }

    /// Clicks the chat named `title` in the chat list; when the list does
    /// not show it (scrolled out of its rendered rows, or an old chat),
    /// searches for it first and empties the search box after. Whether a
    /// row of that name was clicked.
    async fn open_named(&self, title: &str) -> Result<bool, String> {
        if self.open_listed(title).await? {
            return Ok(true);
        }
        if !self.paste(Element::SearchBox, title).await? {
            return Ok(false);
        }
        let mut clicked = false;
        for _ in 0..SEARCH_POLLS {
            self.pause(SEARCH_POLL_MS).await;
            if self.open_listed(title).await? {
                clicked = true;
                break;
            }
        }
        self.clear(Element::SearchBox).await?;
        Ok(clicked)
    }

    /// Whether `element` is on the page (a failed probe counts as no).
    async fn shows(&self, element: Element) -> bool {
        self.probe(&[element])
            .await
            .ok()
            .and_then(|found| found.first().copied())
            .unwrap_or(false)
    }
}
