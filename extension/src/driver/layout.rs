//! The self-check: which of the elements a task needs the page shows, and a
//! message that names what is missing ("WhatsApp Web layout not recognised:
//! the message box") rather than a silent failure.

use super::selectors::Element;

/// What the page looks like to the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageState {
    /// The QR code is shown: nobody is logged in to WhatsApp Web here.
    LoggedOut,
    /// Logged in and every element asked about was found.
    Ready,
    /// Logged in, but these elements were not found by any selector.
    Unrecognised(Vec<Element>),
}

impl PageState {
    /// Checks the page for `needed`, given which elements the bridge found.
    pub fn check(needed: &[Element], found: impl Fn(Element) -> bool) -> PageState {
        if found(Element::LoginQrCode) {
            return PageState::LoggedOut;
        }
        let missing: Vec<Element> = needed.iter().copied().filter(|e| !found(*e)).collect();
        if missing.is_empty() {
            PageState::Ready
        } else {
            PageState::Unrecognised(missing)
        }
    }

    /// What to tell the user, if anything is wrong.
    pub fn problem(&self) -> Option<String> {
        match self {
            PageState::Ready => None,
            PageState::LoggedOut => Some(
                "WhatsApp Web is not logged in: scan the QR code with your phone to host this number here."
                    .into(),
            ),
            PageState::Unrecognised(missing) => Some(format!(
                "WhatsApp Web layout not recognised: {} not found. Chorus may need an update.",
                missing
                    .iter()
                    .map(|element| element.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// What hosting needs on the page before it takes messages.
pub const HOSTING_NEEDS: [Element; 2] = [Element::ChatList, Element::SearchBox];

/// What sending into an open chat needs.
pub const SENDING_NEEDS: [Element; 3] = [
    Element::Conversation,
    Element::ConversationHeader,
    Element::ComposeBox,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_out_page_says_so() {
        let state = PageState::check(&HOSTING_NEEDS, |e| e == Element::LoginQrCode);
        assert_eq!(state, PageState::LoggedOut);
        assert!(state.problem().expect("problem").contains("not logged in"));
    }

    #[test]
    fn missing_elements_are_named() {
        let state = PageState::check(&SENDING_NEEDS, |e| e == Element::Conversation);
        assert_eq!(
            state.problem().as_deref(),
            Some("WhatsApp Web layout not recognised: the conversation header, the message box not found. Chorus may need an update.")
        );
        let ready = PageState::check(&SENDING_NEEDS, |e| e != Element::LoginQrCode);
        assert_eq!(ready, PageState::Ready);
        assert_eq!(ready.problem(), None);
    }
}
