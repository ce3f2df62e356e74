//! HTML text for the views: every value from outside is escaped here.

use std::fmt::Write as _;

/// Escapes text for element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A button that triggers `action` with an optional argument.
pub fn button(action: &str, arg: &str, label: &str, class: &str) -> String {
    format!(
        "<button type=\"button\" class=\"{}\" data-action=\"{}\" data-arg=\"{}\">{}</button>",
        escape(class),
        escape(action),
        escape(arg),
        escape(label)
    )
}

/// A labelled input.
pub fn input(id: &str, label: &str, kind: &str, extra: &str) -> String {
    format!(
        "<label>{}<input id=\"{id}\" name=\"{id}\" type=\"{kind}\" {extra}></label>",
        escape(label)
    )
}

/// A `<select>` of `(value, label)` options with `chosen` selected.
pub fn select(id: &str, change: &str, options: &[(String, String)], chosen: &str) -> String {
    // A select without `change` is a form field: its value is read on submit.
    let change = if change.is_empty() {
        String::new()
    } else {
        format!(" data-change=\"{}\"", escape(change))
    };
    let mut out = format!("<select id=\"{id}\" name=\"{id}\"{change}>");
    for (value, label) in options {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            escape(value),
            if value == chosen { " selected" } else { "" },
            escape(label)
        );
    }
    out.push_str("</select>");
    out
}

/// A form whose submission is routed to `action`.
pub fn form(action: &str, body: &str) -> String {
    format!("<form data-form=\"{}\">{body}</form>", escape(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_shown_not_run() {
        assert_eq!(
            escape("<img src=x onerror=\"alert('x')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;"
        );
        assert!(button("send", "\"><script>", "Go", "").contains("&quot;&gt;&lt;script&gt;"));
    }
}
