//! Phone numbers: parsing user input into E.164, and country codes.
//!
//! Parsing happens on the relay only; the phone metadata is large and slow
//! to load in WebAssembly.

use std::str::FromStr;

use phonenumber::country::Id as Country;
use phonenumber::Mode;

/// Why a number was refused, phrased for the user.
pub type PhoneProblem = String;

/// Checks an ISO 3166 alpha-2 country code and returns it upper-cased.
pub fn normalise_country(input: &str) -> Result<String, PhoneProblem> {
    let code = input.trim().to_ascii_uppercase();
    Country::from_str(&code).map(|_| code).map_err(|_| {
        format!("{input:?} is not a country code; use two letters such as IN, GB or US.")
    })
}

/// The country (ISO 3166 alpha-2) of an E.164 number, if known.
pub fn country_of(e164: &str) -> Option<String> {
    let number = phonenumber::parse(None, e164).ok()?;
    number.country().id().map(|id| format!("{id:?}"))
}

/// Parses a number written with a `+` country code, or in national form for
/// `default_country`, into E.164 (`+447400123456`).
pub fn normalise(input: &str, default_country: Option<&str>) -> Result<String, PhoneProblem> {
    let text = input.trim();
    if text.is_empty() {
        return Err("Enter a phone number.".into());
    }
    if text.chars().count() > chorus_shared::limits::PHONE_INPUT_MAX_CHARS {
        return Err("That is too long to be a phone number.".into());
    }
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    if !text.chars().all(allowed) || !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!(
            "{text:?} is not a phone number: use digits, spaces and + - ( ) only, like +44 7400 123456."
        ));
    }
    let international = text.starts_with('+') || text.starts_with("00");
    let country = match default_country {
        Some(code) => Some(Country::from_str(&normalise_country(code)?).map_err(|_| {
            format!("{code:?} is not a country code; use two letters such as IN, GB or US.")
        })?),
        None if international => None,
        None => {
            return Err(
                "Include the country code (for example +44 7400 123456), or choose a country."
                    .into(),
            )
        }
    };
    let number = phonenumber::parse(country, text).map_err(|_| {
        format!(
            "{text:?} is not a phone number. Write it with its country code, like +44 7400 123456."
        )
    })?;
    if !phonenumber::is_valid(&number) {
        return Err(format!(
            "{text:?} is not a valid number for its country. Check the digits and the country code."
        ));
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_numbers_normalise_to_e164() {
        assert_eq!(
            normalise("+44 7400 123456", None).as_deref(),
            Ok("+447400123456")
        );
        assert_eq!(
            normalise(" +91 98765-43210 ", None).as_deref(),
            Ok("+919876543210")
        );
    }

    #[test]
    fn national_numbers_use_the_given_country() {
        assert_eq!(
            normalise("07400 123456", Some("gb")).as_deref(),
            Ok("+447400123456")
        );
        assert_eq!(
            normalise("(202) 456-1111", Some("US")).as_deref(),
            Ok("+12024561111")
        );
    }

    #[test]
    fn non_numbers_are_refused_with_a_reason() {
        assert!(normalise("hello", Some("GB")).is_err());
        assert!(normalise("+44 12", None).is_err());
        assert!(normalise("", None).is_err());
        assert!(normalise(&"9".repeat(40), Some("GB")).is_err());
        let missing_country = normalise("07400 123456", None).expect_err("needs a country");
        assert!(missing_country.contains("country code"));
    }

    #[test]
    fn countries_are_read_from_numbers() {
        assert_eq!(country_of("+447400123456").as_deref(), Some("GB"));
        assert_eq!(country_of("+919876543210").as_deref(), Some("IN"));
        assert_eq!(country_of("nonsense"), None);
    }

    #[test]
    fn country_codes_are_checked() {
        assert_eq!(normalise_country("in").as_deref(), Ok("IN"));
        assert!(normalise_country("XX").is_err());
        assert!(normalise_country("England").is_err());
    }
}
