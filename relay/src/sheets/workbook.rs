//! Workbooks: `.xlsx` and `.ods` (zip archives of XML) and `.xls` (a
//! compound file), read with calamine.
//!
//! Each defence sits before the parser it protects. A zip's parts are
//! inflated once into a counter, so one that expands past
//! [`limits::SHEET_EXPANDED_MAX_BYTES`] is refused whatever its headers
//! claim. `.xlsx` cells are streamed one by one into the budget, so two
//! cells a million rows apart never allocate the grid between them. An
//! OpenDocument sheet can repeat one cell millions of times in a few bytes,
//! so its repeats are added up before calamine expands them.

use std::io::{Cursor, Read};

use calamine::{DataType, Reader};
use chorus_shared::limits;

use super::{clean_cell, number_text, Budget, Format, Grid, Sheet, SheetError};

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

fn archive(bytes: &[u8]) -> Result<Archive<'_>, SheetError> {
    zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| SheetError::Damaged(format!("a broken zip archive: {error}")))
}

/// Which workbook a zip archive holds, by its parts.
pub fn zip_format(bytes: &[u8]) -> Result<Format, SheetError> {
    let zip = archive(bytes)?;
    let has = |name: &str| zip.index_for_name(name).is_some();
    if has("xl/workbook.xml") {
        Ok(Format::Xlsx)
    } else if has("content.xml")
        && opendocument_kind(bytes).is_some_and(|kind| kind.ends_with("spreadsheet"))
    {
        Ok(Format::Ods)
    } else if has("word/document.xml") {
        Err(SheetError::NotASpreadsheet(
            "This is a Word document, not a spreadsheet.".into(),
        ))
    } else if has("ppt/presentation.xml") {
        Err(SheetError::NotASpreadsheet(
            "This is a presentation, not a spreadsheet.".into(),
        ))
    } else {
        Err(SheetError::NotASpreadsheet(
            "This is a zip archive, not a spreadsheet.".into(),
        ))
    }
}

/// An OpenDocument file's declared type (`application/vnd.oasis.opendocument.spreadsheet`).
fn opendocument_kind(bytes: &[u8]) -> Option<String> {
    let mut zip = archive(bytes).ok()?;
    let mut kind = String::new();
    zip.by_name("mimetype")
        .ok()?
        .take(200)
        .read_to_string(&mut kind)
        .ok()?;
    Some(kind)
}

/// Inflates every part of the archive into a counter and refuses the file
/// past the limit; a part that lies about its size is caught too, as only
/// what actually comes out is counted.
fn check_expansion(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = archive(bytes)?;
    let mut left = limits::SHEET_EXPANDED_MAX_BYTES;
    for index in 0..zip.len() {
        let part = zip
            .by_index(index)
            .map_err(|error| SheetError::Damaged(error.to_string()))?;
        if part.encrypted() {
            return Err(SheetError::Encrypted);
        }
        let read = std::io::copy(&mut part.take(left + 1), &mut std::io::sink())
            .map_err(|error| SheetError::Damaged(error.to_string()))?;
        if read > left {
            return Err(SheetError::TooLarge(format!(
                "The workbook expands to more than {} MB when opened; remove what you do not need or save it as CSV.",
                limits::SHEET_EXPANDED_MAX_BYTES / (1024 * 1024)
            )));
        }
        left -= read;
    }
    Ok(())
}

/// Reads every sheet of a workbook in `format`.
pub fn read(bytes: &[u8], format: Format) -> Result<Vec<Sheet>, SheetError> {
    match format {
        Format::Xlsx => {
            check_expansion(bytes)?;
            read_xlsx(bytes)
        }
        Format::Ods => {
            check_expansion(bytes)?;
            check_repeats(bytes)?;
            let mut book = calamine::Ods::new(Cursor::new(bytes)).map_err(damaged)?;
            read_ranges(&mut book)
        }
        Format::Xls => {
            if encrypted_package(bytes) {
                return Err(SheetError::Encrypted);
            }
            let mut book = calamine::Xls::new(Cursor::new(bytes)).map_err(|error| match error {
                calamine::XlsError::Password => SheetError::Encrypted,
                other => damaged(other),
            })?;
            read_ranges(&mut book)
        }
        Format::Csv => Ok(vec![super::delimited::read(bytes)?]),
    }
}

fn damaged(error: impl std::fmt::Display) -> SheetError {
    SheetError::Damaged(error.to_string())
}

/// A password-protected `.xlsx` is a compound file holding the encrypted
/// package (the stream names are UTF-16 in its directory).
fn encrypted_package(bytes: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(name.len()).any(|window| window == name)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Sheet>, SheetError> {
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|error| match error {
        calamine::XlsxError::Password => SheetError::Encrypted,
        other => damaged(other),
    })?;
    let mut budget = Budget::default();
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let mut cells = book.worksheet_cells_reader(&name).map_err(damaged)?;
        let mut grid = Grid::default();
        while let Some(cell) = cells.next_cell().map_err(damaged)? {
            let text = cell_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            let (row, column) = cell.get_position();
            budget.admit(row as usize, column as usize)?;
            grid.put(row as usize, column as usize, text);
        }
        sheets.push(grid.into_sheet(name));
    }
    Ok(sheets)
}

/// Sheets of a format calamine reads whole (after the format's own guard).
fn read_ranges<R, B>(book: &mut B) -> Result<Vec<Sheet>, SheetError>
where
    R: Read + std::io::Seek,
    B: Reader<R>,
    B::Error: std::fmt::Display,
{
    let mut budget = Budget::default();
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(damaged)?;
        let (top, left) = range.start().unwrap_or((0, 0));
        let mut grid = Grid::default();
        for (row, column, value) in range.used_cells() {
            let text = cell_text(value);
            if text.is_empty() {
                continue;
            }
            let (row, column) = (top as usize + row, left as usize + column);
            budget.admit(row, column)?;
            grid.put(row, column, text);
        }
        sheets.push(grid.into_sheet(name));
    }
    Ok(sheets)
}

/// Adds up an OpenDocument sheet's filled cells with their repeats, before
/// calamine expands them.
fn check_repeats(bytes: &[u8]) -> Result<(), SheetError> {
    use quick_xml::events::Event;
    let mut zip = archive(bytes)?;
    let content = zip
        .by_name("content.xml")
        .map_err(|error| SheetError::Damaged(error.to_string()))?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buffer = Vec::new();
    let mut row_repeats: u64 = 1;
    let mut cells: u64 = 0;
    let repeats = |element: &quick_xml::events::BytesStart<'_>, name: &[u8]| -> u64 {
        element
            .try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|value| std::str::from_utf8(&value.value).ok()?.parse().ok())
            .unwrap_or(1)
    };
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::Start(element) | Event::Empty(element)) => {
                match element.local_name().as_ref() {
                    b"table-row" => row_repeats = repeats(&element, b"table:number-rows-repeated"),
                    b"table-cell"
                        if element
                            .try_get_attribute(b"office:value-type")
                            .ok()
                            .flatten()
                            .is_some() =>
                    {
                        let columns = repeats(&element, b"table:number-columns-repeated");
                        cells = cells.saturating_add(row_repeats.saturating_mul(columns));
                        if cells > limits::SHEET_CELLS_MAX as u64 {
                            return Err(SheetError::TooLarge(format!(
                                "The file holds more than {} filled cells; split it into smaller files.",
                                limits::SHEET_CELLS_MAX
                            )));
                        }
                    }
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(error) => return Err(damaged(error)),
        }
        buffer.clear();
    }
}

/// A cell's value as text. Formulas are not evaluated: calamine gives the
/// value saved with the file. Errors (`#N/A`) read as empty, so a merge
/// field fed by one is missing rather than sent as "#N/A".
fn cell_text<T: DataType>(value: &T) -> String {
    if let Some(text) = value.get_string() {
        return clean_cell(text);
    }
    if let Some(int) = value.get_int() {
        return int.to_string();
    }
    if value.is_datetime() {
        return value.as_f64().map(excel_date_text).unwrap_or_default();
    }
    if let Some(float) = value.get_float() {
        return number_text(float);
    }
    if let Some(flag) = value.get_bool() {
        return if flag { "TRUE" } else { "FALSE" }.to_owned();
    }
    if let Some(text) = value.get_datetime_iso().or(value.get_duration_iso()) {
        return clean_cell(text);
    }
    String::new()
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`, with the
/// time when it has one.
fn excel_date_text(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    let seconds = (serial * 86_400.0).round() as i64;
    let Some(at) = epoch
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| midnight.checked_add_signed(chrono::Duration::seconds(seconds)))
    else {
        return number_text(serial);
    };
    if seconds % 86_400 == 0 {
        at.format("%Y-%m-%d").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates_read_as_iso() {
        assert_eq!(excel_date_text(45_658.0), "2025-01-01");
        assert_eq!(excel_date_text(45_658.5), "2025-01-01 12:00");
    }

    #[test]
    fn an_encrypted_package_is_recognised() {
        let mut compound = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
        compound.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert!(encrypted_package(&compound));
        assert!(!encrypted_package(
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1Workbook"
        ));
    }
}
