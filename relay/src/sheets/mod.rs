//! Spreadsheets people upload for campaigns and contact imports: `.xlsx`,
//! `.xls`, `.ods` and `.csv`, read into plain text cells.
//!
//! The reader is the boundary for hostile files. The format is told by the
//! bytes, never the name; a workbook's compressed parts are measured before
//! anything is parsed and every sheet is bounded in rows, columns and cells,
//! so a small file that expands to gigabytes is refused instead of read.
//! Formulas are never evaluated: a cell holds the value the spreadsheet
//! program last computed and saved. Numbers read as people wrote them
//! (`919876543210`, not `9.1987654321e11`), text trimmed.
//!
//! - [`delimited`]: CSV and its dialects (separator, encoding, BOM).
//! - [`workbook`]: the binary and zipped workbook formats.

pub mod delimited;
pub mod workbook;

use chorus_shared::limits;

/// One sheet as text: rows of cells, trailing empty cells and rows dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// Its name in the workbook (for a CSV file, "CSV").
    pub name: String,
    /// Its rows, each as wide as its last non-empty cell.
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// The widest row's width.
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// The formats read, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Office Open XML (a zip holding `xl/workbook.xml`).
    Xlsx,
    /// OpenDocument (a zip holding `content.xml`).
    Ods,
    /// The binary Excel 97-2003 format (a compound file).
    Xls,
    /// Text with separators.
    Csv,
}

/// Why a file cannot be read, in words for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// Nothing in the file.
    #[error(
        "The file is empty. Upload a spreadsheet with a header row and one row per recipient."
    )]
    Empty,
    /// Not one of the formats read.
    #[error("{0} Upload an .xlsx, .xls, .ods or .csv file.")]
    NotASpreadsheet(String),
    /// A password-protected workbook (its parts are encrypted).
    #[error("The workbook is protected with a password. Open it, save a copy without the password, and upload that.")]
    Encrypted,
    /// Larger than the relay reads.
    #[error("{0}")]
    TooLarge(String),
    /// The format's structure is broken.
    #[error("The file could not be read as a spreadsheet ({0}). Open it in your spreadsheet program, save it again, and upload the copy.")]
    Damaged(String),
}

/// Reads every sheet of a spreadsheet file.
pub fn read(bytes: &[u8]) -> Result<Vec<Sheet>, SheetError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SheetError::Empty);
    }
    let sheets = match format_of(bytes)? {
        Format::Csv => vec![delimited::read(bytes)?],
        format => workbook::read(bytes, format)?,
    };
    if sheets.iter().all(|sheet| sheet.rows.is_empty()) {
        return Err(SheetError::Empty);
    }
    Ok(sheets)
}

/// Tells the format from the first bytes; anything else that is text is
/// taken for CSV, anything binary is refused, named where it is known.
pub fn format_of(bytes: &[u8]) -> Result<Format, SheetError> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const COMPOUND: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    if bytes.starts_with(ZIP) {
        return workbook::zip_format(bytes);
    }
    if bytes.starts_with(COMPOUND) {
        return Ok(Format::Xls);
    }
    if let Some(kind) = infer::get(bytes) {
        return Err(SheetError::NotASpreadsheet(format!(
            "This is {} file ({}), not a spreadsheet.",
            article(kind.extension()),
            kind.mime_type()
        )));
    }
    if delimited::looks_binary(bytes) {
        return Err(SheetError::NotASpreadsheet(
            "This file is not a spreadsheet.".into(),
        ));
    }
    Ok(Format::Csv)
}

fn article(extension: &str) -> String {
    let upper = extension.to_ascii_uppercase();
    match upper.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'F' | 'H' | 'L' | 'M' | 'N' | 'R' | 'S' | 'X') => {
            format!("an {upper}")
        }
        _ => format!("a {upper}"),
    }
}

/// Counts what a sheet holds as it is read and refuses it past the limits.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    cells: usize,
}

impl Budget {
    /// A cell at `row`, `column` (from 0) is about to be kept.
    pub(crate) fn admit(&mut self, row: usize, column: usize) -> Result<(), SheetError> {
        if row >= limits::SHEET_ROWS_MAX {
            return Err(SheetError::TooLarge(format!(
                "A sheet may have at most {} rows; split the file into smaller ones.",
                limits::SHEET_ROWS_MAX
            )));
        }
        if column >= limits::SHEET_COLUMNS_MAX {
            return Err(SheetError::TooLarge(format!(
                "A sheet may have at most {} columns; remove the columns you do not need.",
                limits::SHEET_COLUMNS_MAX
            )));
        }
        self.cells += 1;
        if self.cells > limits::SHEET_CELLS_MAX {
            return Err(SheetError::TooLarge(format!(
                "The file holds more than {} filled cells; split it into smaller files.",
                limits::SHEET_CELLS_MAX
            )));
        }
        Ok(())
    }
}

/// Builds rows from cells given with their positions, in any order.
#[derive(Debug, Default)]
pub(crate) struct Grid {
    rows: Vec<Vec<String>>,
}

impl Grid {
    /// Puts `text` at `row`, `column` (from 0); empty text leaves no mark.
    pub(crate) fn put(&mut self, row: usize, column: usize, text: String) {
        if text.is_empty() {
            return;
        }
        if self.rows.len() <= row {
            self.rows.resize_with(row + 1, Vec::new);
        }
        let cells = &mut self.rows[row];
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }

    /// The sheet, trailing empty rows dropped.
    pub(crate) fn into_sheet(mut self, name: String) -> Sheet {
        while self.rows.last().is_some_and(Vec::is_empty) {
            self.rows.pop();
        }
        Sheet {
            name,
            rows: self.rows,
        }
    }
}

/// A cell's text as kept: trimmed (spaces, no-break spaces, line breaks at
/// the ends) and clipped to the longest cell the relay keeps.
pub(crate) fn clean_cell(text: &str) -> String {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    chorus_shared::text::clip(trimmed, limits::SHEET_CELL_MAX_CHARS)
}

/// A number as people write it: whole numbers without a fraction or an
/// exponent (a phone number saved as a number reads back as its digits),
/// others in their shortest exact form.
pub(crate) fn number_text(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e17 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_read_as_their_digits() {
        assert_eq!(number_text(9.19876543210e11), "919876543210");
        assert_eq!(number_text(-42.0), "-42");
        assert_eq!(number_text(0.25), "0.25");
        assert_eq!(number_text(1.5e20), "150000000000000000000");
    }

    #[test]
    fn cells_lose_stray_whitespace() {
        assert_eq!(clean_cell("  Asha\u{a0}\n"), "Asha");
        assert_eq!(clean_cell("\u{feff}phone"), "phone");
    }

    #[test]
    fn a_picture_is_named_for_what_it_is() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        let error = read(png).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("This is a PNG file (image/png)"),
            "{error}"
        );
        assert_eq!(read(b"  \n ").unwrap_err(), SheetError::Empty);
        assert_eq!(read(b"").unwrap_err(), SheetError::Empty);
    }

    #[test]
    fn the_grid_keeps_positions_and_drops_trailing_emptiness() {
        let mut grid = Grid::default();
        grid.put(2, 1, "b".into());
        grid.put(0, 0, "a".into());
        grid.put(4, 3, String::new());
        let sheet = grid.into_sheet("S".into());
        assert_eq!(
            sheet.rows,
            vec![
                vec!["a".to_owned()],
                vec![],
                vec![String::new(), "b".into()]
            ]
        );
        assert_eq!(sheet.width(), 2);
    }
}
