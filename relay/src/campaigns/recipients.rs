//! Reading recipients out of a sheet: the header row names the columns, each
//! row below is one recipient, its number normalised to E.164 and its
//! message rendered. A row that cannot be sent says why; it never stops
//! the others.

use std::collections::HashMap;

use chorus_shared::campaign::{RowRead, SheetChoice};
use chorus_shared::merge::{field_key, missing_reason, Template};

use crate::phone;
use crate::sheets::Sheet;

/// One recipient as read: its number and message, or why it is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The sheet row, from 1 (for a file), or `None` (contacts).
    pub row: Option<u32>,
    /// E.164 when valid; as written otherwise.
    pub phone: Option<String>,
    /// The recipient's name, if known.
    pub name: Option<String>,
    /// The message for this recipient, when it can be sent.
    pub text: Option<String>,
    /// Why it is skipped.
    pub problem: Option<String>,
}

/// A choice of columns that does not fit the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceProblem {
    /// The request field at fault.
    pub field: &'static str,
    /// What is wrong, and what to choose instead.
    pub message: String,
}

fn problem(field: &'static str, message: String) -> ChoiceProblem {
    ChoiceProblem { field, message }
}

/// A sheet with its header row read: the columns and the rows below it.
pub struct Table<'a> {
    /// Column names, in order (a blank header becomes "Column C").
    pub columns: Vec<String>,
    rows: &'a [Vec<String>],
    first_row: u32,
    phone_column: usize,
    name_column: Option<usize>,
}

impl<'a> Table<'a> {
    /// Reads the header row and finds the chosen columns.
    pub fn new(sheet: &'a Sheet, choice: &SheetChoice) -> Result<Table<'a>, ChoiceProblem> {
        let header_index = choice.header_row.max(1) as usize - 1;
        let header = sheet.rows.get(header_index).ok_or_else(|| {
            problem(
                "header_row",
                format!(
                    "The sheet {:?} has {} rows; choose the row that holds the column names.",
                    sheet.name,
                    sheet.rows.len()
                ),
            )
        })?;
        if header.iter().all(String::is_empty) {
            return Err(problem(
                "header_row",
                format!(
                    "Row {} is empty; choose the row that holds the column names.",
                    header_index + 1
                ),
            ));
        }
        let width = sheet.width().max(header.len());
        let columns: Vec<String> = (0..width)
            .map(|index| match header.get(index) {
                Some(name) if !name.is_empty() => name.clone(),
                _ => format!("Column {}", column_letters(index)),
            })
            .collect();
        let find = |field: &'static str, wanted: &str| {
            columns
                .iter()
                .position(|name| field_key(name) == field_key(wanted))
                .ok_or_else(|| {
                    problem(
                        field,
                        format!(
                            "The sheet has no column {wanted:?}. Its columns are: {}.",
                            columns.join(", ")
                        ),
                    )
                })
        };
        let phone_column = find("phone_column", &choice.phone_column)?;
        let name_column = match choice
            .name_column
            .as_deref()
            .filter(|name| !name.trim().is_empty())
        {
            Some(name) => Some(find("name_column", name)?),
            None => None,
        };
        Ok(Table {
            columns,
            rows: &sheet.rows[header_index + 1..],
            first_row: header_index as u32 + 2,
            phone_column,
            name_column,
        })
    }

    /// Rows below the header.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows below the header.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every row as a recipient, numbers read in `country` when written
    /// without a country code; a number seen in an earlier row is skipped.
    pub fn recipients(&self, country: Option<&str>, template: &Template) -> Vec<Recipient> {
        let keys: Vec<String> = self.columns.iter().map(|name| field_key(name)).collect();
        let mut seen: HashMap<String, u32> = HashMap::new();
        self.rows
            .iter()
            .enumerate()
            .map(|(index, cells)| {
                let row = self.first_row + index as u32;
                let cell = |column: usize| cells.get(column).map(String::as_str).unwrap_or("");
                let name = self
                    .name_column
                    .map(cell)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned);
                let written = cell(self.phone_column);
                let mut recipient = Recipient {
                    row: Some(row),
                    phone: (!written.is_empty()).then(|| written.to_owned()),
                    name,
                    text: None,
                    problem: None,
                };
                match phone_cell(written, country) {
                    Err(reason) => recipient.problem = Some(reason),
                    Ok(e164) => {
                        recipient.phone = Some(e164.clone());
                        if let Some(first) = seen.get(&e164) {
                            recipient.problem = Some(format!("The same number as row {first}"));
                            return recipient;
                        }
                        seen.insert(e164, row);
                        let value = |key: &str| keys.iter().position(|k| k == key).map(cell);
                        match template.render(value) {
                            Ok(text) => recipient.text = Some(text),
                            Err(missing) => recipient.problem = Some(missing_reason(&missing)),
                        }
                    }
                }
                recipient
            })
            .collect()
    }

    /// The first `count` rows as a preview shows them.
    pub fn preview(&self, country: Option<&str>, count: usize) -> Vec<RowRead> {
        let plain =
            Template::parse("").unwrap_or_else(|_| unreachable!("an empty template parses"));
        self.recipients(country, &plain)
            .into_iter()
            .zip(self.rows)
            .take(count)
            .map(|(recipient, cells)| RowRead {
                row: recipient.row.unwrap_or_default(),
                phone: recipient
                    .problem
                    .is_none()
                    .then(|| recipient.phone.clone())
                    .flatten(),
                name: recipient.name,
                cells: (0..self.columns.len())
                    .map(|column| cells.get(column).cloned().unwrap_or_default())
                    .collect(),
                problem: recipient.problem,
            })
            .collect()
    }
}

/// `A`, `B`, ... `Z`, `AA`: a column's letters as spreadsheets show them.
pub fn column_letters(index: usize) -> String {
    let mut index = index + 1;
    let mut letters = Vec::new();
    while index > 0 {
        let rest = (index - 1) % 26;
        letters.push(b'A' + rest as u8);
        index = (index - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A phone number from a cell. A number a spreadsheet saved in scientific
/// notation (`9.19876543210E+11`) is read back to its digits when all of
/// them were kept; when they were rounded away, the row says so.
pub fn phone_cell(cell: &str, country: Option<&str>) -> Result<String, String> {
    if cell.is_empty() {
        return Err("No phone number".into());
    }
    let digits = match scientific_digits(cell) {
        Some(Ok(digits)) => digits,
        Some(Err(())) => {
            return Err(format!(
                "{cell:?} lost digits when the spreadsheet wrote it in scientific notation; format the column as text and upload again"
            ))
        }
        None => cell.to_owned(),
    };
    phone::normalise(&digits, country).or_else(|problem| {
        // A number saved as a number lost its "+": digits that are no
        // number of the default country may be one with its country code.
        let bare = digits.trim();
        if bare.len() >= 8 && bare.chars().all(|c| c.is_ascii_digit()) {
            phone::normalise(&format!("+{bare}"), None).map_err(|_| problem)
        } else {
            Err(problem)
        }
    })
}

/// `9.19876543210E+11` → `919876543210`; `Err` when the mantissa has fewer
/// decimals than the exponent (digits were rounded away); `None` when the
/// text is not in scientific notation.
fn scientific_digits(text: &str) -> Option<Result<String, ()>> {
    let (mantissa, exponent) = text.split_once(['e', 'E'])?;
    let exponent: usize = exponent.trim_start_matches('+').parse().ok()?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let plus = whole.starts_with('+');
    let whole = whole.trim_start_matches('+');
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > exponent {
        return Some(Err(()));
    }
    let digits = format!("{whole}{fraction}{}", "0".repeat(exponent - fraction.len()));
    let digits = digits.trim_start_matches('0').to_owned();
    if exponent >= 9 && fraction.len() + whole.len() < exponent.min(10) {
        // A phone number has more significant digits than this kept.
        return Some(Err(()));
    }
    Some(Ok(if plus { format!("+{digits}") } else { digits }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> Sheet {
        Sheet {
            name: "People".into(),
            rows: rows
                .iter()
                .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
                .collect(),
        }
    }

    fn choice(phone: &str, name: Option<&str>) -> SheetChoice {
        SheetChoice {
            sheet: "People".into(),
            header_row: 1,
            phone_column: phone.into(),
            name_column: name.map(str::to_owned),
        }
    }

    #[test]
    fn each_row_becomes_a_recipient_with_its_own_message() {
        let sheet = sheet(&[
            &["Phone", "Name", "City"],
            &["+91 98765 43210", "Asha", "Pune"],
            &["07400 123456", "Tom", "Leeds"],
        ]);
        let table = Table::new(&sheet, &choice("phone", Some("NAME"))).unwrap();
        let template = Template::parse("Hi {{name}} from {{City}}").unwrap();
        let recipients = table.recipients(Some("GB"), &template);
        assert_eq!(recipients.len(), 2);
        assert_eq!(recipients[0].phone.as_deref(), Some("+919876543210"));
        assert_eq!(recipients[0].text.as_deref(), Some("Hi Asha from Pune"));
        assert_eq!(recipients[0].row, Some(2));
        assert_eq!(recipients[1].phone.as_deref(), Some("+447400123456"));
        assert_eq!(recipients[1].name.as_deref(), Some("Tom"));
    }

    #[test]
    fn bad_numbers_duplicates_and_missing_values_are_skipped_with_reasons() {
        let sheet = sheet(&[
            &["phone", "name"],
            &["+447400123456", "A"],
            &["hello", "B"],
            &["+44 7400 123456", "C"],
            &["", "D"],
            &["+447400123457"],
        ]);
        let table = Table::new(&sheet, &choice("phone", None)).unwrap();
        let template = Template::parse("Hi {{name}}").unwrap();
        let recipients = table.recipients(None, &template);
        let problems: Vec<Option<&str>> = recipients.iter().map(|r| r.problem.as_deref()).collect();
        assert_eq!(problems[0], None);
        assert!(
            problems[1].unwrap().contains("not a phone number"),
            "{problems:?}"
        );
        assert_eq!(problems[2], Some("The same number as row 2"));
        assert_eq!(problems[3], Some("No phone number"));
        assert_eq!(problems[4], Some("No value for {{name}}"));
        assert_eq!(
            recipients[1].phone.as_deref(),
            Some("hello"),
            "kept as written"
        );
    }

    #[test]
    fn a_missing_column_names_the_columns_there_are() {
        let sheet = sheet(&[&["Mobile", "Name"], &["1", "A"]]);
        let error = Table::new(&sheet, &choice("Phone", None)).err().unwrap();
        assert_eq!(error.field, "phone_column");
        assert_eq!(
            error.message,
            "The sheet has no column \"Phone\". Its columns are: Mobile, Name."
        );
        let error = Table::new(&sheet, &choice("Mobile", Some("Nom")))
            .err()
            .unwrap();
        assert_eq!(error.field, "name_column");
    }

    #[test]
    fn the_header_row_can_be_lower_down() {
        let sheet = sheet(&[
            &["Customer list, March"],
            &[],
            &["Phone", "", "Name"],
            &["+447400123456", "x", "A"],
        ]);
        let mut chosen = choice("phone", Some("name"));
        chosen.header_row = 3;
        let table = Table::new(&sheet, &chosen).unwrap();
        assert_eq!(table.columns, vec!["Phone", "Column B", "Name"]);
        let rows = table.preview(None, 10);
        assert_eq!(rows[0].row, 4);
        assert_eq!(rows[0].name.as_deref(), Some("A"));
        chosen.header_row = 2;
        assert_eq!(
            Table::new(&sheet, &chosen).err().unwrap().field,
            "header_row"
        );
        chosen.header_row = 9;
        assert_eq!(
            Table::new(&sheet, &chosen).err().unwrap().field,
            "header_row"
        );
    }

    #[test]
    fn scientific_notation_is_read_back_when_exact() {
        assert_eq!(
            phone_cell("9.19876543210E+11", None).unwrap(),
            "+919876543210"
        );
        assert_eq!(
            phone_cell("919876543210", Some("GB")).unwrap(),
            "+919876543210"
        );
        assert_eq!(
            phone_cell("07400 123456", Some("GB")).unwrap(),
            "+447400123456"
        );
        assert_eq!(
            phone_cell("9.19876543210e11", Some("IN")).unwrap(),
            "+919876543210"
        );
        assert_eq!(
            phone_cell("4.47400123456E+11", Some("GB")).unwrap(),
            "+447400123456"
        );
        assert!(phone_cell("9.19877E+11", Some("IN"))
            .unwrap_err()
            .contains("lost digits"));
        assert_eq!(scientific_digits("+44"), None);
    }

    #[test]
    fn columns_are_lettered_like_spreadsheets() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
    }
}
