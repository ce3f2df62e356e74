//! WhatsApp's chat ids, as hosts report them: `<digits>@c.us` for people,
//! `<id>@g.us` for groups, `<id>@lid` for linked ids.

use crate::error::ApiError;

/// Suffixes of the chat ids WhatsApp Web uses.
const CHAT_SUFFIXES: [&str; 3] = ["@c.us", "@g.us", "@lid"];
/// The longest chat id the relay stores.
const CHAT_ID_MAX_CHARS: usize = 128;

/// `raw` trimmed, when it is a chat id; otherwise a 422 naming `field`.
pub fn check_chat_id(field: &str, raw: &str) -> Result<String, ApiError> {
    let id = raw.trim();
    let known = CHAT_SUFFIXES
        .iter()
        .any(|suffix| id.len() > suffix.len() && id.ends_with(suffix));
    if !known || id.len() > CHAT_ID_MAX_CHARS {
        return Err(ApiError::invalid_field(
            field,
            "Expected a WhatsApp chat id such as 447400123456@c.us.",
        ));
    }
    Ok(id.to_owned())
}

/// The E.164 number of a person's chat id.
pub fn phone_of(chat_id: &str) -> Option<String> {
    chat_id
        .strip_suffix("@c.us")
        .filter(|digits| !digits.is_empty())
        .map(|digits| format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_groups_and_linked_ids_are_chat_ids() {
        for id in ["447400123456@c.us", " 1203630@g.us ", "98765@lid"] {
            assert_eq!(check_chat_id("chat", id).unwrap(), id.trim());
        }
        for id in ["", "@c.us", "447400123456", "x@s.whatsapp.net"] {
            assert!(check_chat_id("chat", id).is_err(), "{id}");
        }
        assert!(check_chat_id("chat", &format!("{}@c.us", "1".repeat(130))).is_err());
    }

    #[test]
    fn only_people_have_numbers() {
        assert_eq!(
            phone_of("447400123456@c.us").as_deref(),
            Some("+447400123456")
        );
        assert_eq!(phone_of("1203630@g.us"), None);
        assert_eq!(phone_of("@c.us"), None);
    }
}
