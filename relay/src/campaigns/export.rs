//! A campaign's per-recipient results as CSV. Cells that a spreadsheet
//! would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return at
//! the start) get a leading apostrophe, so opening the export never runs
//! what a customer's name or reply put there.

use chorus_shared::campaign::{RecipientStatus, RecipientView};

/// The header row.
pub const HEADER: [&str; 8] = [
    "position", "row", "phone", "name", "status", "reason", "replied", "message",
];

/// A cell a spreadsheet will show as text, never run.
pub fn inert(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// A status as the export writes it.
pub fn status_word(status: RecipientStatus) -> &'static str {
    match status {
        RecipientStatus::Skipped => "skipped",
        RecipientStatus::Queued => "queued",
        RecipientStatus::Sending => "sending",
        RecipientStatus::Sent => "sent",
        RecipientStatus::Delivered => "delivered",
        RecipientStatus::Read => "read",
        RecipientStatus::Failed => "failed",
        RecipientStatus::Cancelled => "cancelled",
    }
}

/// Writes recipients as CSV rows (after [`HEADER`]).
pub fn write_rows(
    writer: &mut csv::Writer<Vec<u8>>,
    recipients: &[RecipientView],
) -> Result<(), csv::Error> {
    for recipient in recipients {
        let position = recipient.position.to_string();
        let row = recipient.row.map(|row| row.to_string()).unwrap_or_default();
        writer.write_record([
            position.as_str(),
            row.as_str(),
            &inert(recipient.phone.as_deref().unwrap_or("")),
            &inert(recipient.name.as_deref().unwrap_or("")),
            status_word(recipient.status),
            &inert(recipient.reason.as_deref().unwrap_or("")),
            if recipient.replied { "yes" } else { "no" },
            &inert(recipient.text.as_deref().unwrap_or("")),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_made_inert() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("+447400123456"), "'+447400123456");
        assert_eq!(inert("-1"), "'-1");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("\tx"), "'\tx");
        assert_eq!(inert("\rx"), "'\rx");
        assert_eq!(inert("Asha"), "Asha");
        assert_eq!(inert(""), "");
    }

    #[test]
    fn rows_are_written_with_quotes_where_needed() {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(HEADER).unwrap();
        write_rows(
            &mut writer,
            &[RecipientView {
                position: 1,
                row: Some(2),
                phone: Some("+447400123456".into()),
                name: Some("=cmd|' /C calc'!A0".into()),
                text: Some("Hi, there".into()),
                status: RecipientStatus::Sent,
                reason: None,
                message_id: None,
                replied: true,
            }],
        )
        .unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            "position,row,phone,name,status,reason,replied,message\n\
             1,2,'+447400123456,'=cmd|' /C calc'!A0,sent,,yes,\"Hi, there\"\n"
        );
    }
}
