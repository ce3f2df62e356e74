//! Merge fields: `{{Column}}` in a campaign's message, replaced per
//! recipient by the value of that column (or contact field), with an
//! optional default for when the value is empty: `{{first_name|there}}`.
//!
//! Field names match ignoring case and surrounding spaces, so `{{ Name }}`
//! finds the column "name". A field with no value and no default is an
//! error for that recipient, never an empty hole in a sent message.

use std::fmt;

/// A message with merge fields, parsed once and rendered per recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field {
        name: String,
        default: Option<String>,
    },
}

/// Why a message's merge fields cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{{` without its `}}`.
    Unclosed,
    /// `{{}}` or `{{|x}}`.
    EmptyName,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Unclosed => f.write_str(
                "A merge field is not closed: write it as {{Column}}, with two braces on each side.",
            ),
            TemplateError::EmptyName => {
                f.write_str("A merge field has no name: write the column's name between {{ and }}.")
            }
        }
    }
}

/// The name a field is matched by: trimmed, case folded.
pub fn field_key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Template {
    /// Reads `text`, finding its merge fields.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or(TemplateError::Unclosed)?;
            let inside = &after[..close];
            if inside.contains("{{") {
                return Err(TemplateError::Unclosed);
            }
            let (name, default) = match inside.split_once('|') {
                Some((name, default)) => (name, Some(default.trim().to_owned())),
                None => (inside, None),
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(TemplateError::EmptyName);
            }
            parts.push(Part::Field {
                name: name.to_owned(),
                default,
            });
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// The field names used, each once, as written.
    pub fn fields(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for part in &self.parts {
            if let Part::Field { name, .. } = part {
                if !names.iter().any(|seen| field_key(seen) == field_key(name)) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// Fields that `known` does not name (matched as [`field_key`]).
    pub fn unknown_fields<'a>(&'a self, known: &[String]) -> Vec<&'a str> {
        let known: Vec<String> = known.iter().map(|name| field_key(name)).collect();
        self.fields()
            .into_iter()
            .filter(|name| !known.contains(&field_key(name)))
            .collect()
    }

    /// The message for one recipient; `value` gives a field's value by its
    /// [`field_key`]. Fields that have no value and no default are returned
    /// as the error, as written.
    pub fn render<'v>(
        &self,
        value: impl Fn(&str) -> Option<&'v str>,
    ) -> Result<String, Vec<String>> {
        let mut out = String::new();
        let mut missing: Vec<String> = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field { name, default } => {
                    let found = value(&field_key(name))
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .or(default.as_deref().filter(|d| !d.is_empty()));
                    match found {
                        Some(found) => out.push_str(found),
                        None if !missing.contains(name) => missing.push(name.clone()),
                        None => {}
                    }
                }
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(missing)
        }
    }
}

/// The reason a recipient is skipped for fields without values.
pub fn missing_reason(missing: &[String]) -> String {
    let fields: Vec<String> = missing
        .iter()
        .map(|name| format!("{{{{{name}}}}}"))
        .collect();
    format!("No value for {}", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    #[test]
    fn fields_are_replaced_ignoring_case_and_spaces() {
        let template = Template::parse("Hi {{ Name }}, your order {{ORDER}} ships today.").unwrap();
        assert_eq!(template.fields(), vec!["Name", "ORDER"]);
        assert_eq!(
            template.render(lookup(&[("name", "Asha"), ("order", "#41")])),
            Ok("Hi Asha, your order #41 ships today.".to_owned())
        );
    }

    #[test]
    fn a_default_fills_an_empty_value() {
        let template = Template::parse("Hello {{first_name|there}}!").unwrap();
        assert_eq!(template.render(lookup(&[])), Ok("Hello there!".to_owned()));
        assert_eq!(
            template.render(lookup(&[("first_name", "  ")])),
            Ok("Hello there!".to_owned())
        );
        assert_eq!(
            template.render(lookup(&[("first_name", "Ravi")])),
            Ok("Hello Ravi!".to_owned())
        );
    }

    #[test]
    fn a_missing_value_is_an_error_never_a_hole() {
        let template = Template::parse("{{Name}} owes {{Amount}} ({{Name}})").unwrap();
        assert_eq!(
            template.render(lookup(&[("name", "")])),
            Err(vec!["Name".to_owned(), "Amount".to_owned()])
        );
        assert_eq!(
            missing_reason(&["Name".into(), "Amount".into()]),
            "No value for {{Name}}, {{Amount}}"
        );
    }

    #[test]
    fn text_without_fields_and_stray_braces() {
        let plain = Template::parse("Sale: 50% off {today}").unwrap();
        assert!(plain.fields().is_empty());
        assert_eq!(
            plain.render(lookup(&[])),
            Ok("Sale: 50% off {today}".to_owned())
        );
        assert_eq!(Template::parse("Hi {{Name"), Err(TemplateError::Unclosed));
        assert_eq!(Template::parse("Hi {{ }}"), Err(TemplateError::EmptyName));
        assert_eq!(
            Template::parse("Hi {{a {{b}}"),
            Err(TemplateError::Unclosed)
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        let template = Template::parse("{{Name}} in {{Cty}}").unwrap();
        let columns = vec!["Phone".to_owned(), "NAME".to_owned(), "City".to_owned()];
        assert_eq!(template.unknown_fields(&columns), vec!["Cty"]);
    }
}
