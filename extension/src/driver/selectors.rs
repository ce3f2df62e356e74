//! The elements of WhatsApp Web the driver uses, each with the selectors
//! seen for it in the wild, newest layout first. The bridge tries them in
//! order and uses the first that matches.

use chorus_shared::message::MessageKind;

/// An element of WhatsApp Web's page the driver needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Element {
    /// The QR code shown while WhatsApp Web is not logged in.
    LoginQrCode,
    /// The left column's list of chats.
    ChatList,
    /// The search box above the chat list.
    SearchBox,
    /// The open conversation.
    Conversation,
    /// The open conversation's header (name, avatar).
    ConversationHeader,
    /// The text box of the open conversation.
    ComposeBox,
    /// The send button; it appears only once the compose box has text.
    SendButton,
    /// The button that opens the attach menu.
    AttachButton,
    /// The hidden file input for photos and videos.
    MediaFileInput,
    /// The hidden file input for documents.
    DocumentFileInput,
    /// The caption box of the media preview.
    CaptionBox,
    /// The send button of the media preview.
    MediaSendButton,
    /// The popup saying a number shared by link is not on WhatsApp.
    InvalidNumberPopup,
    /// A message row of the open conversation (it carries `data-id`).
    MessageRow,
    /// The text of a message, inside its row.
    MessageText,
    /// The button that closes a popup.
    PopupButton,
    /// The root of the app, narrowed to make room for the sidebar.
    AppRoot,
    /// Present when WhatsApp Web shows its dark theme.
    DarkTheme,
    /// One chat of the chat list (a row of its grid).
    ChatListRow,
    /// A chat list row's name (the contact, group or number).
    ChatListTitle,
    /// A chat list row's last message.
    ChatListPreview,
    /// A chat list row's count of unread messages.
    UnreadBadge,
    /// A file message's file name, inside its row.
    MediaFileName,
    /// A file message's size as shown ("12 kB"), or a voice note's length,
    /// inside its row.
    MediaFileSize,
    /// A file's bytes the page has downloaded, inside its row: an element
    /// whose `src` or `href` is a `blob:` URL.
    MediaBlob,
}

impl Element {
    /// Every element, for the self-check.
    pub const ALL: [Element; 25] = [
        Element::LoginQrCode,
        Element::ChatList,
        Element::SearchBox,
        Element::Conversation,
        Element::ConversationHeader,
        Element::ComposeBox,
        Element::SendButton,
        Element::AttachButton,
        Element::MediaFileInput,
        Element::DocumentFileInput,
        Element::CaptionBox,
        Element::MediaSendButton,
        Element::InvalidNumberPopup,
        Element::MessageRow,
        Element::MessageText,
        Element::PopupButton,
        Element::AppRoot,
        Element::DarkTheme,
        Element::ChatListRow,
        Element::ChatListTitle,
        Element::ChatListPreview,
        Element::UnreadBadge,
        Element::MediaFileName,
        Element::MediaFileSize,
        Element::MediaBlob,
    ];

    /// The selectors to try, in order.
    pub fn selectors(self) -> &'static [&'static str] {
        match self {
            Element::LoginQrCode => &[
                "canvas[aria-label*=\"Scan\"]",
                "[data-testid=\"qrcode\"]",
                "div[data-ref] canvas",
            ],
            Element::ChatList => &[
                "#pane-side",
                "[aria-label=\"Chat list\"]",
                "#side [role=\"grid\"]",
            ],
            Element::SearchBox => &[
                "#side div[contenteditable=\"true\"][data-tab=\"3\"]",
                "#side [role=\"textbox\"]",
                "div[contenteditable=\"true\"][data-tab=\"3\"]",
            ],
            Element::Conversation => &["#main", "[data-testid=\"conversation-panel-wrapper\"]"],
            Element::ConversationHeader => {
                &["#main header", "[data-testid=\"conversation-header\"]"]
            }
            Element::ComposeBox => &[
                "#main footer div[role=\"textbox\"][data-lexical-editor=\"true\"]",
                "#main footer div[contenteditable=\"true\"][data-tab=\"10\"]",
                "[data-testid=\"conversation-compose-box-input\"]",
                "#main footer div[contenteditable=\"true\"]",
            ],
            Element::SendButton => &[
                "#main footer button[aria-label=\"Send\"]",
                "#main footer button[data-testid=\"compose-btn-send\"]",
                "#main footer span[data-icon=\"wds-ic-send-filled\"]",
                "#main footer span[data-icon=\"send\"]",
            ],
            Element::AttachButton => &[
                "#main footer [data-icon=\"plus-rounded\"]",
                "#main footer [data-icon=\"plus\"]",
                "#main footer [data-icon=\"clip\"]",
                "#main footer [aria-label=\"Attach\"]",
            ],
            Element::MediaFileInput => &[
                "input[type=\"file\"][accept*=\"image\"]",
                "input[type=\"file\"][accept*=\"video\"]",
            ],
            Element::DocumentFileInput => &[
                "input[type=\"file\"][accept=\"*\"]",
                "input[type=\"file\"]:not([accept*=\"image\"])",
            ],
            Element::CaptionBox => &[
                "[data-testid=\"media-caption-input-container\"] [contenteditable=\"true\"]",
                "div[role=\"textbox\"][aria-label*=\"caption\" i]",
                "[contenteditable=\"true\"][aria-label*=\"caption\" i]",
                "[contenteditable=\"true\"][title*=\"caption\" i]",
                "[contenteditable=\"true\"][data-testid=\"media-caption-input\"]",
                "[data-testid=\"media-caption-input\"] [contenteditable=\"true\"]",
                "[data-testid=\"media-preview\"] [contenteditable=\"true\"]",
            ],
            Element::MediaSendButton => &[
                "div[role=\"button\"][aria-label=\"Send\"]",
                "[data-testid=\"media-send\"]",
                "span[data-icon=\"wds-ic-send-filled\"]",
                "span[data-icon=\"send\"]",
            ],
            Element::InvalidNumberPopup => {
                &["[data-testid=\"popup-contents\"]", "div[role=\"dialog\"]"]
            }
            Element::MessageRow => &["#main [data-id]", "#main .message-in, #main .message-out"],
            Element::MessageText => &[
                "span.selectable-text",
                "[data-pre-plain-text] span",
                ".copyable-text",
            ],
            Element::PopupButton => &[
                "[data-testid=\"popup-controls-ok\"]",
                "div[role=\"dialog\"] button",
            ],
            Element::AppRoot => &["#app"],
            Element::DarkTheme => &["body.dark", "html.dark", "[data-theme=\"dark\"]"],
            // Inside the chat list: rows of its grid, newest builds first.
            Element::ChatListRow => &[
                "#pane-side [role=\"listitem\"]",
                "#pane-side [role=\"row\"]",
                "[aria-label=\"Chat list\"] [role=\"row\"]",
            ],
            // Inside one row, tried in order.
            Element::ChatListTitle => &[
                "[data-testid=\"cell-frame-title\"] span[title]",
                "span[title][dir=\"auto\"]",
                "span[title]",
            ],
            Element::ChatListPreview => &[
                "[data-testid=\"last-msg-status\"] span[title]",
                "[data-testid=\"cell-frame-secondary\"] span[title]",
                "[data-testid=\"cell-frame-secondary\"] span[dir]",
            ],
            Element::UnreadBadge => &[
                "[aria-label*=\"unread message\" i]",
                "[data-testid=\"icon-unread-count\"]",
                "[aria-label*=\"unread\" i]",
            ],
            // Inside one message row.
            Element::MediaFileName => &[
                "[data-testid=\"document-title\"]",
                "[data-testid=\"media-file-name\"]",
                "[data-icon=\"document\"] ~ span[title]",
            ],
            Element::MediaFileSize => &[
                "[data-testid=\"document-size\"]",
                "[data-testid=\"media-file-size\"]",
                "[data-testid=\"audio-duration\"]",
                "[aria-label*=\"duration\" i]",
            ],
            Element::MediaBlob => &[
                "img[src^=\"blob:\"]",
                "video[src^=\"blob:\"]",
                "audio[src^=\"blob:\"]",
                "a[href^=\"blob:\"]",
            ],
        }
    }

    /// For elements found by their icon, the button around the icon, which
    /// is what takes the click.
    pub fn clickable_ancestor(self) -> Option<&'static str> {
        match self {
            Element::SendButton | Element::MediaSendButton | Element::AttachButton => {
                Some(CLICKABLE)
            }
            _ => None,
        }
    }

    /// How the self-check names it to the user.
    pub fn describe(self) -> &'static str {
        match self {
            Element::LoginQrCode => "the login QR code",
            Element::ChatList => "the chat list",
            Element::SearchBox => "the search box",
            Element::Conversation => "the open conversation",
            Element::ConversationHeader => "the conversation header",
            Element::ComposeBox => "the message box",
            Element::SendButton => "the send button",
            Element::AttachButton => "the attach button",
            Element::MediaFileInput => "the photo and video picker",
            Element::DocumentFileInput => "the document picker",
            Element::CaptionBox => "the caption box",
            Element::MediaSendButton => "the media send button",
            Element::InvalidNumberPopup => "the invalid number popup",
            Element::MessageRow => "the message rows",
            Element::MessageText => "the message text",
            Element::PopupButton => "the popup's OK button",
            Element::AppRoot => "the app",
            Element::DarkTheme => "the dark theme",
            Element::ChatListRow => "the chats in the chat list",
            Element::ChatListTitle => "a chat's name in the chat list",
            Element::ChatListPreview => "a chat's last message in the chat list",
            Element::UnreadBadge => "a chat's unread count",
            Element::MediaFileName => "a file's name in its message",
            Element::MediaFileSize => "a file's size in its message",
            Element::MediaBlob => "a downloaded file in its message",
        }
    }
}

/// What a message row holds besides text, tried in this order (a video row
/// also shows a picture, so video comes before images; a voice note shows a
/// play icon too, so audio comes first).
pub const MEDIA_PROBES: [(MessageKind, &[&str]); 4] = [
    (
        MessageKind::Audio,
        &[
            "audio",
            "[data-icon=\"audio-play\"]",
            "[data-icon=\"ptt-status\"]",
            "[data-icon^=\"ptt\"]",
            "[aria-label*=\"voice message\" i]",
        ],
    ),
    (
        MessageKind::Video,
        &[
            "video",
            "[data-icon=\"media-play\"]",
            "[data-icon=\"video-pip\"]",
        ],
    ),
    (
        MessageKind::Document,
        &[
            "[data-icon=\"document\"]",
            "[data-icon^=\"doc-\"]",
            "[data-testid=\"document-thumb\"]",
        ],
    ),
    (
        MessageKind::Image,
        &["img[src^=\"blob:\"]", "[data-testid=\"image-thumb\"]"],
    ),
];

/// What counts as a button when an icon inside one is found.
const CLICKABLE: &str = "button,[role=\"button\"]";

/// The attribute that names an icon (ticks, send button, attach button).
pub const ICON_ATTRIBUTE: &str = "data-icon";
/// The attribute of a message row that holds its WhatsApp id.
pub const ROW_ID_ATTRIBUTE: &str = "data-id";
/// The attribute inside a message row that holds its time and sender
/// (`[HH:MM, DD/MM/YYYY] Name: `).
pub const META_ATTRIBUTE: &str = "data-pre-plain-text";

/// Whether a popup's text says the number is not on WhatsApp (the popup
/// element alone is shared with other dialogs).
pub fn says_invalid_number(popup_text: &str) -> bool {
    let text = popup_text.to_lowercase();
    text.contains("invalid")
        || text.contains("isn't on whatsapp")
        || text.contains("not on whatsapp")
}

/// The link that opens a chat with a number without reloading the page
/// (the app intercepts clicks on it).
pub fn open_chat_link(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    format!("https://wa.me/{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_element_has_selectors_and_a_name() {
        for element in Element::ALL {
            assert!(!element.selectors().is_empty(), "{element:?}");
            assert!(element.selectors().iter().all(|s| !s.trim().is_empty()));
            assert!(!element.describe().is_empty());
        }
    }

    #[test]
    fn the_current_layout_is_tried_before_older_ones() {
        assert!(Element::ComposeBox.selectors()[0].contains("data-lexical-editor"));
        assert!(Element::SendButton
            .selectors()
            .iter()
            .any(|s| s.contains("data-icon=\"send\"")));
    }

    #[test]
    fn invalid_number_popups_are_told_from_other_dialogs() {
        assert!(says_invalid_number(
            "Phone number shared via url is invalid."
        ));
        assert!(says_invalid_number("+44 7400 000000 isn't on WhatsApp."));
        assert!(!says_invalid_number("Log out? You can log in again"));
    }

    #[test]
    fn chat_links_carry_digits_only() {
        assert_eq!(
            open_chat_link("+44 7400 000001"),
            "https://wa.me/447400000001"
        );
    }
}
