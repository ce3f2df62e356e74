//! What the host's chat list says arrived before the host captured it: a
//! chat lights up at once with the preview and the count the list shows
//! ([`chorus_shared::team::WaitingMessages`]), and the signal clears when the
//! host has opened the chat and the messages themselves are stored.

use chorus_shared::limits;
use chorus_shared::protocol::ChatActivity;
use chorus_shared::text;
use chrono::Utc;

use crate::error::ApiError;
use crate::live;
use crate::store::{AccountRef, ChatTarget, SeenArrival};
use crate::whatsapp::{check_chat_id, phone_of};
use crate::AppState;

/// Most chats one report may carry.
const CHATS_PER_REPORT_MAX: usize = 200;
/// How much of a preview is kept.
const PREVIEW_MAX_CHARS: usize = 200;

/// Records the chats a host's chat list shows news in, and tells sidebars.
/// A chat the relay cannot tell (a name it knows no chat or contact by) is
/// left alone: its messages arrive once the host has opened it.
pub async fn seen(
    state: &AppState,
    account: AccountRef,
    chats: &[ChatActivity],
) -> Result<(), ApiError> {
    if chats.len() > CHATS_PER_REPORT_MAX {
        return Err(ApiError::invalid_field(
            "chats",
            format!("Report at most {CHATS_PER_REPORT_MAX} chats at once."),
        ));
    }
    let mut arrivals = Vec::with_capacity(chats.len());
    for chat in chats {
        arrivals.push(arrival(chat)?);
    }
    let now = Utc::now();
    for arrival in arrivals {
        if let Some(chat) = state.store.note_waiting(account, &arrival, now).await? {
            live::chat(state, account, chat);
        }
    }
    Ok(())
}

/// One reported chat, checked and clipped as host reports are.
fn arrival(chat: &ChatActivity) -> Result<SeenArrival, ApiError> {
    let title = text::clip(
        text::clean_name(&chat.title).trim(),
        limits::CONTACT_NAME_MAX_CHARS,
    );
    if title.is_empty() {
        return Err(ApiError::invalid_field(
            "title",
            "The chat's name in the chat list is required.",
        ));
    }
    let target = match chat.chat_wa_id.as_deref() {
        Some(raw) => {
            let wa_id = check_chat_id("chat_wa_id", raw)?;
            let phone = phone_of(&wa_id);
            // A number shown as the name is no name.
            let name =
                (phone.as_deref().map(digits) != Some(digits(&title))).then(|| title.clone());
            Some(ChatTarget { wa_id, phone, name })
        }
        None => None,
    };
    Ok(SeenArrival {
        chat: target,
        title,
        preview: chat
            .preview
            .as_deref()
            .map(|preview| text::clip(preview.trim(), PREVIEW_MAX_CHARS))
            .filter(|preview| !preview.is_empty()),
        count: i64::from(chat.unread.max(1)),
    })
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(title: &str, wa_id: Option<&str>) -> ChatActivity {
        ChatActivity {
            title: title.into(),
            chat_wa_id: wa_id.map(Into::into),
            preview: Some(format!("  {}  ", "x".repeat(500))),
            unread: 0,
        }
    }

    #[test]
    fn a_number_shown_as_the_name_is_no_name() {
        let seen = arrival(&activity("+44 7400 000002", Some("447400000002@c.us"))).unwrap();
        let chat = seen.chat.expect("a person's chat");
        assert_eq!(chat.phone.as_deref(), Some("+447400000002"));
        assert_eq!(chat.name, None);
        assert_eq!(seen.count, 1, "at least one waits");
        assert_eq!(
            seen.preview.map(|p| p.chars().count()),
            Some(PREVIEW_MAX_CHARS)
        );
        let named = arrival(&activity("Ana", Some("447400000001@c.us"))).unwrap();
        assert_eq!(named.chat.and_then(|c| c.name).as_deref(), Some("Ana"));
    }

    #[test]
    fn names_and_ids_are_checked() {
        assert!(arrival(&activity("  ", None)).is_err());
        assert!(arrival(&activity("Ana", Some("not-a-chat"))).is_err());
        assert!(arrival(&activity("Ana", None)).unwrap().chat.is_none());
    }
}
