//! Which characters may be stored and shown, for both sides.
//!
//! PostgreSQL refuses U+0000 in text, other control characters corrupt
//! logs and screens, and bidirectional overrides make `gnp.exe` read as
//! `exe.png`. The relay refuses the first kind at its boundary (so both
//! databases answer alike) and strips the second from names.

/// A character no text field may hold: C0 and C1 controls other than tab,
/// line feed and carriage return, DEL, and the Unicode noncharacters.
pub fn is_forbidden(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{fdd0}'..='\u{fdef}' => true,
        // U+xFFFE and U+xFFFF in every plane.
        c => (c as u32) & 0xfffe == 0xfffe,
    }
}

/// The first forbidden character of `text`, if any.
pub fn first_forbidden(text: &str) -> Option<char> {
    text.chars().find(|c| is_forbidden(*c))
}

/// What to tell a user about a forbidden character.
pub fn forbidden_problem(c: char) -> String {
    format!(
        "Contains the control character U+{:04X}, which cannot be stored. Remove it and try again.",
        c as u32
    )
}

/// Checks one field's text.
pub fn check(text: &str) -> Result<(), String> {
    match first_forbidden(text) {
        Some(c) => Err(forbidden_problem(c)),
        None => Ok(()),
    }
}

/// Characters that change the direction of the text around them, which in
/// a name can disguise what it is (a file "invoice\u{202e}fdp.exe").
pub fn is_direction_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// A name as shown to people: without direction controls or any control
/// character (names are one line).
pub fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !is_direction_control(*c) && !c.is_control() && !is_forbidden(*c))
        .collect()
}

/// `text` cut to at most `max_chars` characters, with an ellipsis where it
/// was cut; for what a host reports, which must be kept even when longer
/// than the relay stores.
pub fn clip(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_forbidden_but_line_breaks_and_tabs_are_not() {
        for c in ['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            assert!(is_forbidden(c), "{c:?}");
        }
        for c in [
            '\t', '\n', '\r', ' ', 'é', '€', '😀', '\u{200d}', '\u{202e}',
        ] {
            assert!(!is_forbidden(c), "{c:?}");
        }
    }

    #[test]
    fn noncharacters_are_forbidden() {
        for c in [
            '\u{fffe}',
            '\u{ffff}',
            '\u{1fffe}',
            '\u{10ffff}',
            '\u{fdd0}',
        ] {
            assert!(is_forbidden(c), "{c:?}");
        }
        assert!(!is_forbidden('\u{fffd}'));
    }

    #[test]
    fn the_problem_names_the_character() {
        assert_eq!(first_forbidden("ok\u{0}no"), Some('\0'));
        assert!(check("a\u{0}b").unwrap_err().contains("U+0000"));
        assert!(check("line\nbreak\ttab").is_ok());
    }

    #[test]
    fn clipping_keeps_short_text_and_marks_the_cut() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdefghij", 5), "abcd…");
        assert_eq!(clip("ñññññ", 3).chars().count(), 3);
    }

    #[test]
    fn names_lose_direction_controls_and_line_breaks() {
        assert_eq!(clean_name("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
        assert_eq!(clean_name("\u{2066}Ana\u{2069}\nSilva\u{200f}"), "AnaSilva");
        assert_eq!(clean_name("Zoë 😀 ‍👩‍💻"), "Zoë 😀 ‍👩‍💻");
    }
}
