//! WhatsApp's chat ids, as hosts report them: `<digits>@c.us` for people,
//! `<id>@g.us` for groups, `<id>@lid` for linked ids. Everything in the
//! relay that builds, reads or checks one does it here.

use crate::error::ApiError;

const PERSON: &str = "@c.us";
const GROUP: &str = "@g.us";
/// Suffixes of the chat ids WhatsApp Web uses.
const CHAT_SUFFIXES: [&str; 3] = [PERSON, GROUP, "@lid"];
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

/// `raw` trimmed, when it is a group's chat id; otherwise a 422 naming
/// `field`.
pub fn check_group_id(field: &str, raw: &str) -> Result<String, ApiError> {
    let id = raw.trim();
    if !is_group(id) || id.len() > CHAT_ID_MAX_CHARS {
        return Err(ApiError::invalid_field(
            field,
            "Expected a WhatsApp group id such as 120363012345678901@g.us.",
        ));
    }
    Ok(id.to_owned())
}

/// A person's chat id, from their E.164 number.
pub fn person_chat(e164: &str) -> String {
    format!("{}{PERSON}", e164.trim_start_matches('+'))
}

/// Whether a chat id is a group's.
pub fn is_group(chat_id: &str) -> bool {
    chat_id.len() > GROUP.len() && chat_id.ends_with(GROUP)
}

/// Whether a chat id is a person's by number.
pub fn is_person(chat_id: &str) -> bool {
    chat_id.len() > PERSON.len() && chat_id.ends_with(PERSON)
}

/// The E.164 number of a person's chat id.
pub fn phone_of(chat_id: &str) -> Option<String> {
    chat_id
        .strip_suffix(PERSON)
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
    fn people_and_groups_are_told_apart() {
        assert_eq!(person_chat("+447400123456"), "447400123456@c.us");
        assert!(is_person("447400123456@c.us") && !is_group("447400123456@c.us"));
        assert!(is_group("1203630@g.us") && !is_person("1203630@g.us"));
        assert!(!is_group("@g.us") && !is_person("@c.us"));
        assert_eq!(
            check_group_id("wa_id", " 1203630@g.us ").unwrap(),
            "1203630@g.us"
        );
        assert!(check_group_id("wa_id", "447400123456@c.us").is_err());
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
