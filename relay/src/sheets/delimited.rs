//! CSV as spreadsheet programs write it: comma, semicolon (where the comma
//! is the decimal mark) or tab separated; UTF-8 with or without a BOM,
//! UTF-16 (Excel's "Unicode text"), or Windows-1252 from older Excel on
//! Windows.

use std::borrow::Cow;

use super::{clean_cell, Budget, Grid, Sheet, SheetError};

/// Whether the bytes are no text format (a NUL, or many control bytes).
pub fn looks_binary(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return false;
    }
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    head.contains(&0) || controls * 20 > head.len()
}

/// The text of a CSV file, whatever its encoding.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return text;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// The separator: of `,` `;` `\t` `|`, the one the first lines agree on
/// most (the same count, outside quotes, on the most lines), so a title
/// line above the header ("Customers, December") does not decide it; a
/// comma when none appears.
pub fn separator(text: &str) -> u8 {
    const SEPARATORS: [u8; 4] = [b',', b';', b'\t', b'|'];
    const LINES: usize = 50;
    let mut per_line: Vec<[usize; 4]> = Vec::new();
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => {
                per_line.push(counts);
                counts = [0; 4];
                if per_line.len() == LINES {
                    break;
                }
            }
            _ if !quoted => {
                if let Some(index) = SEPARATORS.iter().position(|&s| u32::from(s) == c as u32) {
                    counts[index] += 1;
                }
            }
            _ => {}
        }
    }
    if counts.iter().any(|&count| count > 0) {
        per_line.push(counts);
    }
    // For each separator: the count most lines share, times those lines.
    let score = |index: usize| {
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for line in &per_line {
            let count = line[index];
            if count == 0 {
                continue;
            }
            match seen.iter_mut().find(|(c, _)| *c == count) {
                Some((_, lines)) => *lines += 1,
                None => seen.push((count, 1)),
            }
        }
        seen.iter()
            .map(|(count, lines)| lines * 1000 + count)
            .max()
            .unwrap_or(0)
    };
    (0..SEPARATORS.len())
        .map(|index| (score(index), std::cmp::Reverse(index)))
        .max()
        .filter(|(score, _)| *score > 0)
        .map_or(b',', |(_, std::cmp::Reverse(index))| SEPARATORS[index])
}

/// Reads a CSV file as one sheet named "CSV".
pub fn read(bytes: &[u8]) -> Result<Sheet, SheetError> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(&text))
        .from_reader(text.as_bytes());
    let mut grid = Grid::default();
    let mut budget = Budget::default();
    let mut record = csv::StringRecord::new();
    let mut row = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = error.position().map_or(row + 1, |p| p.line() as usize);
                return Err(SheetError::Damaged(format!("line {line}: {error}")));
            }
        }
        for (column, field) in record.iter().enumerate() {
            let cell = clean_cell(field);
            if !cell.is_empty() {
                budget.admit(row, column)?;
                grid.put(row, column, cell);
            }
        }
        row += 1;
    }
    Ok(grid.into_sheet("CSV".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
        read(bytes).unwrap().rows
    }

    fn owned(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
            .collect()
    }

    #[test]
    fn commas_quotes_and_stray_whitespace() {
        assert_eq!(
            rows(b"Phone, Name \r\n\"+91 98765 43210\",\" Asha, Rao \"\r\n"),
            owned(&[&["Phone", "Name"], &["+91 98765 43210", "Asha, Rao"]])
        );
    }

    #[test]
    fn semicolons_and_tabs_are_found() {
        assert_eq!(
            rows(b"phone;amount\n919876543210;12,50\n"),
            owned(&[&["phone", "amount"], &["919876543210", "12,50"]])
        );
        assert_eq!(
            rows(b"phone\tname\n1\tA\n"),
            owned(&[&["phone", "name"], &["1", "A"]])
        );
    }

    #[test]
    fn a_bom_and_windows_1252_are_read() {
        assert_eq!(
            rows(b"\xEF\xBB\xBFphone,name\n1,Jos\xC3\xA9\n"),
            owned(&[&["phone", "name"], &["1", "José"]])
        );
        // Windows-1252: é is 0xE9, the euro sign 0x80.
        assert_eq!(
            rows(b"phone,name\n1,Jos\xE9 \x80\n"),
            owned(&[&["phone", "name"], &["1", "José €"]])
        );
    }

    #[test]
    fn a_title_line_does_not_decide_the_separator() {
        assert_eq!(
            separator("Customers, December\nPhone;Name;Code\n1;A;x\n2;B;y\n"),
            b';'
        );
        assert_eq!(separator("a,b\n\"x;y\",z\n"), b',');
        assert_eq!(separator("just one column\nrow\n"), b',');
    }

    #[test]
    fn utf16_from_excel_unicode_text() {
        let text = "phone\tname\n1\tZoë\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert!(!looks_binary(&bytes));
        assert_eq!(rows(&bytes), owned(&[&["phone", "name"], &["1", "Zoë"]]));
    }

    #[test]
    fn ragged_rows_and_empty_records() {
        // Blank lines are no records; a record of empty fields is a row.
        assert_eq!(
            rows(b"a,b,c\n\n1\n,,\n2\n"),
            owned(&[&["a", "b", "c"], &["1"], &[], &["2"]])
        );
    }

    #[test]
    fn binary_is_not_text() {
        assert!(looks_binary(b"abc\0def"));
        assert!(!looks_binary(b"phone,name\r\n1,A\r\n"));
    }
}
