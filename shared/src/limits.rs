//! Limits on what users may enter, and the checks that apply them.
//!
//! The relay enforces these; the extension uses the same functions to
//! warn before a request is sent.

/// Shortest password accepted at sign-up.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest password accepted (argon2 hashes it; this bounds the work).
pub const PASSWORD_MAX_CHARS: usize = 256;
/// Longest email address (RFC 5321's path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest organization name.
pub const ORG_NAME_MAX_CHARS: usize = 100;
/// Longest phone number input, before normalisation.
pub const PHONE_INPUT_MAX_CHARS: usize = 32;
/// Largest JSON request body the relay reads.
pub const JSON_BODY_MAX_BYTES: usize = 64 * 1024;
/// Largest attachment, as in the product documents.
pub const ATTACHMENT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Longest message text or caption (WhatsApp's own API limit).
pub const MESSAGE_TEXT_MAX_CHARS: usize = 4096;
/// Longest client idempotency key.
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 128;
/// Longest file name kept for an upload.
pub const FILE_NAME_MAX_CHARS: usize = 200;
/// Longest comment.
pub const COMMENT_MAX_CHARS: usize = 4096;
/// Longest contact or group name.
pub const CONTACT_NAME_MAX_CHARS: usize = 200;
/// Longest tag.
pub const TAG_MAX_CHARS: usize = 50;
/// Most tags on one contact.
pub const TAGS_PER_CONTACT_MAX: usize = 50;
/// Longest attribute key.
pub const ATTRIBUTE_KEY_MAX_CHARS: usize = 64;
/// Longest attribute value.
pub const ATTRIBUTE_VALUE_MAX_CHARS: usize = 1000;
/// Most attributes on one contact.
pub const ATTRIBUTES_PER_CONTACT_MAX: usize = 50;
/// Default shortest gap between hosted sends to different people (seconds),
/// after published guidance for WhatsApp Web automation.
pub const PACING_DEFAULT_MIN_SECONDS: i64 = 30;
/// Default longest such gap (seconds).
pub const PACING_DEFAULT_MAX_SECONDS: i64 = 60;
/// Longest gap an organization may set (seconds).
pub const PACING_MAX_SECONDS: i64 = 3600;

/// Default run of campaign messages before a longer pause.
pub const PACING_DEFAULT_BURST_SIZE: i64 = 40;
/// Default length of that pause (seconds): published guidance pauses 210 s
/// every 40 messages.
pub const PACING_DEFAULT_BURST_PAUSE_SECONDS: i64 = 210;
/// Default most campaign messages in an hour: at 30-60 s gaps a number sends
/// at most 120, and more than about 5 a minute is reported risky.
pub const PACING_DEFAULT_HOURLY_CAP: i64 = 60;
/// Default most campaign messages in 24 hours (900 numbers at ~45 s gaps
/// were reported safe; 150 at 13 s were not).
pub const PACING_DEFAULT_DAILY_CAP: i64 = 600;
/// Largest hourly or daily cap a profile may set.
pub const PACING_CAP_MAX: i64 = 100_000;

/// Checks pacing settings: gaps 0 <= min <= max <= [`PACING_MAX_SECONDS`],
/// a burst of at least one message, caps of at least one.
pub fn check_pacing(settings: &crate::api::PacingSettings) -> Result<(), String> {
    let (min_seconds, max_seconds) = (settings.min_gap_seconds, settings.max_gap_seconds);
    if min_seconds < 0 || max_seconds > PACING_MAX_SECONDS || min_seconds > max_seconds {
        return Err(format!(
            "Give gaps from 0 to {PACING_MAX_SECONDS} seconds, the shortest no longer than the longest."
        ));
    }
    if !(1..=PACING_CAP_MAX).contains(&settings.burst_size)
        || !(0..=PACING_MAX_SECONDS).contains(&settings.burst_pause_seconds)
    {
        return Err(format!(
            "Give a run of 1 to {PACING_CAP_MAX} messages and a pause of 0 to {PACING_MAX_SECONDS} seconds."
        ));
    }
    if !(1..=PACING_CAP_MAX).contains(&settings.hourly_cap)
        || !(1..=PACING_CAP_MAX).contains(&settings.daily_cap)
    {
        return Err(format!(
            "Give hourly and daily caps from 1 to {PACING_CAP_MAX} messages."
        ));
    }
    Ok(())
}

/// Characters of an invite code, without the dashes.
pub const INVITE_CODE_CHARS: usize = 12;
/// The alphabet of invite codes: Crockford's base 32 (no I, L, O, U), so a
/// code read aloud or copied by hand survives.
pub const INVITE_CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// An invite code as typed (any case, spaces and dashes; `I`/`L` read as 1
/// and `O` as 0) in its canonical form, or what is wrong with it.
pub fn normalise_invite_code(input: &str) -> Result<String, String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect();
    let valid =
        code.len() == INVITE_CODE_CHARS && code.bytes().all(|b| INVITE_CODE_ALPHABET.contains(&b));
    if valid {
        Ok(code)
    } else {
        Err(format!(
            "Enter the {INVITE_CODE_CHARS}-character invite code your admin gave you (like ABCD-EFGH-JKMN)."
        ))
    }
}

/// A canonical invite code grouped for reading: `ABCD-EFGH-JKMN`.
pub fn format_invite_code(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Longest failure reason a host may report.
pub const FAILURE_REASON_MAX_CHARS: usize = 500;
/// Longest WhatsApp message or chat id.
pub const WA_ID_MAX_CHARS: usize = 256;

/// Whether `url` may be a relay's address: `https://`, or `http://` only to
/// this machine (a relay on loopback), since sessions travel in it.
pub fn check_relay_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let (secure, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(
            "Give the relay's address with https://, e.g. https://chorus.example.com.".into(),
        );
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_and_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(bracketed) = host_and_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_and_port.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err("The address has no host name.".into());
    }
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    if secure || loopback {
        Ok(())
    } else {
        Err(format!(
            "Use https:// for {host}: plain http:// is allowed only for a relay on this computer (localhost)."
        ))
    }
}

/// Most contacts one bulk request may name.
pub const BULK_IDS_MAX: usize = 50_000;
/// Largest body of a bulk request (room for [`BULK_IDS_MAX`] ids).
pub const BULK_BODY_MAX_BYTES: usize = 2 * 1024 * 1024;

/// A tag as stored: trimmed and lower-cased, so "VIP" and "vip " are one tag.
pub fn normalise_tag(input: &str) -> Result<String, String> {
    let tag = input.trim().to_lowercase();
    if tag.is_empty() {
        return Err("A tag cannot be empty.".into());
    }
    if tag.chars().count() > TAG_MAX_CHARS {
        return Err(format!("A tag has at most {TAG_MAX_CHARS} characters."));
    }
    Ok(tag)
}

/// Normalises a list of tags (duplicates dropped), or says what is wrong.
pub fn normalise_tags(input: &[String]) -> Result<Vec<String>, String> {
    let mut tags = input
        .iter()
        .map(|tag| normalise_tag(tag))
        .collect::<Result<Vec<_>, _>>()?;
    tags.sort();
    tags.dedup();
    if tags.len() > TAGS_PER_CONTACT_MAX {
        return Err(format!(
            "A contact has at most {TAGS_PER_CONTACT_MAX} tags."
        ));
    }
    Ok(tags)
}

/// Checks a contact's attributes (keys trimmed, none empty).
pub fn normalise_attributes(
    input: &std::collections::BTreeMap<String, String>,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    if input.len() > ATTRIBUTES_PER_CONTACT_MAX {
        return Err(format!(
            "A contact has at most {ATTRIBUTES_PER_CONTACT_MAX} attributes."
        ));
    }
    let mut attributes = std::collections::BTreeMap::new();
    for (key, value) in input {
        let key = key.trim();
        if key.is_empty() || key.chars().count() > ATTRIBUTE_KEY_MAX_CHARS {
            return Err(format!(
                "An attribute name has 1 to {ATTRIBUTE_KEY_MAX_CHARS} characters."
            ));
        }
        if value.chars().count() > ATTRIBUTE_VALUE_MAX_CHARS {
            return Err(format!(
                "An attribute value has at most {ATTRIBUTE_VALUE_MAX_CHARS} characters."
            ));
        }
        attributes.insert(key.to_owned(), value.clone());
    }
    Ok(attributes)
}

/// A display name: trimmed; empty means none.
pub fn normalise_name(input: &str) -> Result<Option<String>, String> {
    let cleaned = crate::text::clean_name(input);
    let name = cleaned.trim();
    if name.chars().count() > CONTACT_NAME_MAX_CHARS {
        return Err(format!(
            "A name has at most {CONTACT_NAME_MAX_CHARS} characters."
        ));
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// A comment's text, trimmed, or what is wrong with it.
pub fn check_comment(input: &str) -> Result<String, String> {
    let body = input.trim();
    if body.is_empty() {
        return Err("Write something: a comment cannot be empty.".into());
    }
    if body.chars().count() > COMMENT_MAX_CHARS {
        return Err(format!(
            "A comment has at most {COMMENT_MAX_CHARS} characters."
        ));
    }
    Ok(body.to_owned())
}

/// Trims and lower-cases an email, or says what is wrong with it.
///
/// Deliberately modest: one `@`, a non-empty local part, and a domain with a
/// dot. Whether the mailbox exists is not ours to judge.
pub fn normalise_email(input: &str) -> Result<String, String> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err("Enter an email address.".into());
    }
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Err(format!(
            "An email address has at most {EMAIL_MAX_CHARS} characters."
        ));
    }
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(email)
    } else {
        Err("Enter an email address like name@example.com.".into())
    }
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(format!(
            "Choose a password of at least {PASSWORD_MIN_CHARS} characters."
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(format!(
            "A password has at most {PASSWORD_MAX_CHARS} characters."
        ));
    }
    Ok(())
}

/// Trims an organization name and checks it is neither empty nor too long.
pub fn normalise_org_name(input: &str) -> Result<String, String> {
    let cleaned = crate::text::clean_name(input);
    let name = cleaned.trim();
    if name.is_empty() {
        return Err("Give the organization a name.".into());
    }
    if name.chars().count() > ORG_NAME_MAX_CHARS {
        return Err(format!(
            "An organization name has at most {ORG_NAME_MAX_CHARS} characters."
        ));
    }
    Ok(name.to_owned())
}

/// Largest spreadsheet upload (campaign recipients, contact imports).
pub const SPREADSHEET_MAX_BYTES: usize = 20 * 1024 * 1024;
/// Most rows in one sheet (a campaign's recipients come from one sheet).
pub const SHEET_ROWS_MAX: usize = 200_000;
/// Most columns in one sheet.
pub const SHEET_COLUMNS_MAX: usize = 256;
/// Most filled cells in one file, all sheets together.
pub const SHEET_CELLS_MAX: usize = 5_000_000;
/// Longest cell kept (longer cells are clipped).
pub const SHEET_CELL_MAX_CHARS: usize = 4096;
/// Most bytes a zipped workbook's parts may expand to.
pub const SHEET_EXPANDED_MAX_BYTES: u64 = 400 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalise_email("  Ana.Silva@Example.COM "),
            Ok("ana.silva@example.com".to_owned())
        );
    }

    #[test]
    fn implausible_emails_are_refused() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
            "ana@.com",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(normalise_email(&long).is_err());
    }

    #[test]
    fn password_length_is_counted_in_characters() {
        assert!(check_password("short").is_err());
        assert!(check_password("ñññññññññ").is_err());
        assert!(check_password("ññññññññññ").is_ok());
        assert!(check_password(&"x".repeat(PASSWORD_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn invite_codes_survive_how_people_type_them() {
        assert_eq!(
            normalise_invite_code("abcd-efgh-jkmn"),
            Ok("ABCDEFGHJKMN".into())
        );
        assert_eq!(
            normalise_invite_code(" ABCD EFGH JKMN "),
            Ok("ABCDEFGHJKMN".into())
        );
        assert_eq!(
            normalise_invite_code("0OIL-1111-2222"),
            Ok("0011111 12222".replace(' ', ""))
        );
        assert!(normalise_invite_code("ABCD-EFGH").is_err());
        assert!(
            normalise_invite_code("ABCD-EFGH-JKMU").is_err(),
            "U is not in the alphabet"
        );
        assert_eq!(format_invite_code("ABCDEFGHJKMN"), "ABCD-EFGH-JKMN");
    }

    #[test]
    fn plain_http_is_only_for_a_relay_on_this_machine() {
        for good in [
            "https://chorus.example.com",
            "HTTPS://Chorus.Example.com:8443/",
            "http://localhost:8080",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:8080",
        ] {
            assert_eq!(check_relay_url(good), Ok(()), "{good}");
        }
        for bad in [
            "http://chorus.example.com",
            "http://192.168.1.5:8080",
            "http://localhost.evil.com",
            "http://127.0.0.1@evil.com",
            "ftp://chorus.example.com",
            "chorus.example.com",
            "https://",
        ] {
            assert!(check_relay_url(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn organization_names_are_trimmed_and_bounded() {
        assert_eq!(normalise_org_name("  Acme  "), Ok("Acme".to_owned()));
        assert!(normalise_org_name("   ").is_err());
        assert!(normalise_org_name(&"a".repeat(ORG_NAME_MAX_CHARS + 1)).is_err());
    }
}
