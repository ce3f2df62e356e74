//! Spreadsheets the relay must read, and files it must refuse with a clear
//! reason and without keeping anything.

use serde_json::json;

use crate::common::{Backend, TestRelay};
use crate::{error_code, team, upload_sheet};

crate::on_every_backend!(
    workbooks_and_csv_dialects_are_read_as_written,
    bad_files_are_refused_with_reasons,
    a_preview_reads_rows_as_a_campaign_would,
);

/// An `.xlsx` with a phone column of numbers, a formula, stray spaces.
fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{Formula, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("March").unwrap();
    sheet.write(0, 0, "Phone").unwrap();
    sheet.write(0, 1, "Name").unwrap();
    sheet.write(0, 2, "Total").unwrap();
    sheet.write(1, 0, 919876543210.0).unwrap();
    sheet.write(1, 1, "  Asha  ").unwrap();
    sheet
        .write_formula(1, 2, Formula::new("=2+2").set_result("4"))
        .unwrap();
    sheet.write(2, 0, "+44 7400 123456").unwrap();
    sheet.write(2, 1, "Tom").unwrap();
    book.add_worksheet().set_name("Empty").unwrap();
    book.save_to_buffer().unwrap()
}

async fn workbooks_and_csv_dialects_are_read_as_written(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "sheets.test", 0).await;
    let (status, body) =
        upload_sheet(&relay, &team.agent, &team.org, "march.xlsx", workbook()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "march.xlsx");
    assert_eq!(body["sheets"][0]["name"], "March");
    assert_eq!(
        body["sheets"][0]["first_rows"],
        json!([
            ["Phone", "Name", "Total"],
            ["919876543210", "Asha", "4"],
            ["+44 7400 123456", "Tom"]
        ]),
        "numbers as digits, spaces trimmed, the formula's saved value"
    );
    assert_eq!(body["sheets"][1]["rows"], 0);

    // Semicolons, a BOM, and Windows-1252 from older Excel.
    let (status, body) = upload_sheet(
        &relay,
        &team.agent,
        &team.org,
        "list.csv",
        b"\xEF\xBB\xBFPhone;Name\r\n+447400123456;Zo\xC3\xAB\r\n".to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["sheets"][0]["first_rows"][1],
        json!(["+447400123456", "Zoë"])
    );
    let (status, body) = upload_sheet(
        &relay,
        &team.agent,
        &team.org,
        "old.csv",
        b"Phone,Name\n+447400123456,Jos\xE9\n9.19876543210E+11,Ann\n".to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["sheets"][0]["first_rows"][1],
        json!(["+447400123456", "José"])
    );
}

/// A tiny OpenDocument sheet whose one cell repeats a billion times.
fn repeating_ods() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(
        br#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="1000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#,
    )
    .unwrap();
    zip.finish().unwrap().into_inner()
}

/// An `.xlsx` with two cells a million rows apart.
fn far_apart_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "Phone").unwrap();
    sheet.write(1_000_000, 200, "x").unwrap();
    book.save_to_buffer().unwrap()
}

async fn bad_files_are_refused_with_reasons(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "badsheets.test", 0).await;
    let png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    let mut encrypted = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    encrypted.extend(vec![0u8; 504]);
    encrypted.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    let empty_book = {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet();
        book.save_to_buffer().unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("photo.xlsx", png, 415, "PNG"),
        ("locked.xlsx", encrypted, 422, "password"),
        ("empty.csv", Vec::new(), 422, "empty"),
        ("blank.xlsx", empty_book, 422, "empty"),
        ("bomb.ods", repeating_ods(), 413, "filled cells"),
        ("far.xlsx", far_apart_xlsx(), 413, "rows"),
        (
            "broken.xlsx",
            b"PK\x03\x04 not really a zip".to_vec(),
            422,
            "could not be read",
        ),
        ("huge.csv", vec![b'a'; 20 * 1024 * 1024 + 1], 413, "20 MB"),
    ];
    for (name, bytes, status, words) in cases {
        let (got, body) = upload_sheet(&relay, &team.agent, &team.org, name, bytes).await;
        assert_eq!(got, status, "{name}: {body}");
        let code = error_code(&body);
        assert!(
            code == "invalid_spreadsheet" || code == "payload_too_large",
            "{name}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{name}: {message}");
    }
    let (status, body) = relay
        .get(
            &format!("/api/v1/campaigns?organization_id={}", team.org),
            &team.agent,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["campaigns"], json!([]));
}

async fn a_preview_reads_rows_as_a_campaign_would(backend: Backend) {
    let relay = TestRelay::start(backend).await;
    let team = team(&relay, "preview.test", 0).await;
    let csv = "Phone,Name\n07400 100001,Asha\nhello,Ben\n+44 7400 100001,Dup\n9.19876543210E+11,Ravi\n9.19877E+11,Lost\n";
    let (status, upload) = upload_sheet(
        &relay,
        &team.agent,
        &team.org,
        "people.csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{upload}");
    let id = upload["id"].as_str().unwrap();
    let path = format!(
        "/api/v1/spreadsheets/{id}/preview?organization_id={}",
        team.org
    );
    let (status, preview) = relay
        .post(
            &path,
            &team.agent,
            json!({"sheet": "csv", "phone_column": "phone", "name_column": "Name"}),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["columns"], json!(["Phone", "Name"]));
    assert_eq!(
        (preview["rows"].as_u64(), preview["valid"].as_u64()),
        (Some(5), Some(2))
    );
    let rows = preview["rows_shown"].as_array().unwrap();
    assert_eq!(
        rows[0]["phone"], "+447400100001",
        "read in the organization's country (GB)"
    );
    assert_eq!(rows[0]["row"], 2);
    assert!(rows[1]["problem"]
        .as_str()
        .unwrap()
        .contains("not a phone number"));
    assert_eq!(rows[2]["problem"], "The same number as row 2");
    assert_eq!(rows[3]["phone"], "+919876543210");
    assert!(rows[4]["problem"].as_str().unwrap().contains("lost digits"));

    let (status, body) = relay
        .post(
            &path,
            &team.agent,
            json!({"sheet": "CSV", "phone_column": "Mobile"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"]["fields"]["phone_column"],
        "The sheet has no column \"Mobile\". Its columns are: Phone, Name."
    );
    let (status, body) = relay
        .post(
            &path,
            &team.agent,
            json!({"sheet": "Other", "phone_column": "Phone"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["sheet"]
        .as_str()
        .unwrap()
        .contains("CSV"));

    // Another organization's member cannot read it.
    let other = team_other(&relay).await;
    let path = format!(
        "/api/v1/spreadsheets/{id}/preview?organization_id={}",
        other.1
    );
    let (status, _) = relay
        .post(
            &path,
            &other.0,
            json!({"sheet": "CSV", "phone_column": "Phone"}),
        )
        .await;
    assert_eq!(status, 404);
}

async fn team_other(relay: &TestRelay) -> (String, String) {
    relay
        .organization_admin("admin@elsewhere.test", "elsewhere")
        .await
}
