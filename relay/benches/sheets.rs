//! Reading a 100,000-row spreadsheet for a campaign, printed beside a
//! baseline measured in the same run: the parsing crate alone reading the
//! same file (calamine for `.xlsx`, csv for `.csv`). Then the campaign's
//! creation from those rows on SQLite, and how long a small write waits
//! meanwhile (the latency a single send would see).
//!
//! Each reading runs in a child process of its own so its peak memory
//! (`VmHWM`) is its own. `cargo bench -p chorus-relay --bench sheets` (or
//! `cargo xtask bench`).

use std::io::Cursor;
use std::process::Command;
use std::time::{Duration, Instant};

use calamine::Reader;
use chorus_relay::campaigns::recipients::Table;
use chorus_relay::store::{AccountRef, NewCampaign, SpreadsheetRecord};
use chorus_shared::campaign::SheetChoice;
use chorus_shared::merge::Template;
use chorus_shared::message::MessageKind;
use uuid::Uuid;

// Shared with the other benchmarks, which use the rest of it.
#[allow(dead_code)]
mod support;
use support::{ms, open, percentile, Backend};

/// Rows of the spreadsheet.
const ROWS: usize = 100_000;
/// Rounds of each reading (the median is printed).
const ROUNDS: usize = 3;

fn rows() -> impl Iterator<Item = [String; 3]> {
    (0..ROWS).map(|i| {
        [
            format!("+44 7{:03} {:06}", 400 + i / 1_000_000, i % 1_000_000),
            format!("Person {i}"),
            format!("C{i}"),
        ]
    })
}

fn xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (column, name) in ["Phone", "Name", "Code"].iter().enumerate() {
        sheet.write(0, column as u16, *name).expect("header");
    }
    for (row, cells) in rows().enumerate() {
        for (column, cell) in cells.iter().enumerate() {
            sheet
                .write(row as u32 + 1, column as u16, cell.as_str())
                .expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn csv() -> Vec<u8> {
    let mut text = String::from("Phone,Name,Code\n");
    for [phone, name, code] in rows() {
        text.push_str(&format!("{phone},{name},{code}\n"));
    }
    text.into_bytes()
}

/// The phase a child process runs, and its file.
fn phase(name: &str, bytes: &[u8]) -> Duration {
    let started = Instant::now();
    match name {
        "xlsx-bare" => {
            let mut book = calamine::Xlsx::new(Cursor::new(bytes)).expect("xlsx");
            let names = book.sheet_names();
            let range = book.worksheet_range(&names[0]).expect("sheet");
            assert_eq!(range.used_cells().count(), (ROWS + 1) * 3);
        }
        "csv-bare" => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(bytes);
            let mut record = csv::StringRecord::new();
            let mut count = 0;
            while reader.read_record(&mut record).expect("record") {
                count += record.len();
            }
            assert_eq!(count, (ROWS + 1) * 3);
        }
        "xlsx-read" | "csv-read" => {
            let sheets = chorus_relay::sheets::read(bytes).expect("read");
            assert_eq!(sheets[0].rows.len(), ROWS + 1);
        }
        "xlsx-campaign" | "csv-campaign" => {
            let sheets = chorus_relay::sheets::read(bytes).expect("read");
            let choice = SheetChoice {
                sheet: sheets[0].name.clone(),
                header_row: 1,
                phone_column: "Phone".into(),
                name_column: Some("Name".into()),
            };
            let table = Table::new(&sheets[0], &choice).expect("columns");
            let template =
                Template::parse("Hello {{Name}}, your code is {{Code}}").expect("template");
            let recipients = table.recipients(Some("GB"), &template);
            assert!(recipients.iter().all(|r| r.problem.is_none()));
        }
        other => panic!("no phase {other}"),
    }
    started.elapsed()
}

/// Peak resident memory of this process so far, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs a phase in a child process; its median time and its peak memory.
fn measured(name: &str, file: &std::path::Path) -> (Duration, f64) {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..ROUNDS {
        let output = Command::new(std::env::current_exe().expect("this benchmark"))
            .args(["--phase", name, &file.display().to_string()])
            .output()
            .expect("child");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let mut parts = text.split_whitespace();
        let micros: u64 = parts.next().and_then(|p| p.parse().ok()).expect("time");
        let mb: f64 = parts.next().and_then(|p| p.parse().ok()).expect("memory");
        times.push(Duration::from_micros(micros));
        peak = peak.max(mb);
    }
    times.sort();
    (percentile(&times, 0.5), peak)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--phase") {
        let bytes = std::fs::read(&args[at + 2]).expect("file");
        let baseline = peak_mb();
        let took = phase(&args[at + 1], &bytes);
        println!("{} {:.1}", took.as_micros(), peak_mb() - baseline);
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    println!("a {ROWS}-row spreadsheet (phone, name, code); median of {ROUNDS} rounds, each in its own process\n");
    for (format, bytes) in [("xlsx", xlsx()), ("csv", csv())] {
        let file = dir.path().join(format!("people.{format}"));
        std::fs::write(&file, &bytes).expect("write");
        let (bare, bare_mb) = measured(&format!("{format}-bare"), &file);
        let (read, read_mb) = measured(&format!("{format}-read"), &file);
        let (campaign, campaign_mb) = measured(&format!("{format}-campaign"), &file);
        let crate_name = if format == "xlsx" { "calamine" } else { "csv" };
        println!(".{format} ({:.1} MB)", bytes.len() as f64 / 1_048_576.0);
        println!("  baseline: {crate_name} reads every cell                    {}   peak +{bare_mb:.0} MB", ms(bare));
        println!(
            "  relay:    sheets::read (bounded, cells as text)       {}   peak +{read_mb:.0} MB   ratio {:.2}",
            ms(read),
            read.as_secs_f64() / bare.as_secs_f64()
        );
        println!(
            "  relay:    read + E.164 + duplicates + merge fields     {}   peak +{campaign_mb:.0} MB   ratio {:.2} {}\n",
            ms(campaign),
            campaign.as_secs_f64() / bare.as_secs_f64(),
            if campaign.as_secs_f64() <= 1.5 * bare.as_secs_f64() && campaign < Duration::from_secs(2) { "(aim met)" } else { "(aim: 1.5x and 2 s)" }
        );
    }
    creation().await;
}

/// A 100,000-recipient draft written to SQLite, and a small write's wait
/// meanwhile against the same write without it.
async fn creation() {
    let database = open(Backend::Sqlite).await;
    let store = database.store.clone();
    let owner = store
        .create_user(
            Uuid::now_v7(),
            "bench@example.com",
            "hash",
            chrono::Utc::now(),
        )
        .await
        .expect("user")
        .id;
    let account = AccountRef::Personal(owner);
    let recipients: Vec<_> = rows()
        .map(
            |[phone, name, code]| chorus_relay::campaigns::recipients::Recipient {
                row: None,
                phone: Some(phone.replace(' ', "")),
                name: Some(name.clone()),
                text: Some(format!("Hello {name}, your code is {code}")),
                problem: None,
            },
        )
        .collect();
    let small_write = || {
        let store = store.clone();
        async move {
            let started = Instant::now();
            let record = SpreadsheetRecord {
                id: Uuid::now_v7(),
                name: "x.csv".into(),
                size: 1,
                created_at: chrono::Utc::now(),
            };
            store
                .create_spreadsheet(account, &record, owner)
                .await
                .expect("write");
            started.elapsed()
        }
    };
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(small_write().await);
    }
    idle.sort();
    let campaign = NewCampaign {
        id: Uuid::now_v7(),
        account,
        name: "Bench".into(),
        template: Some("Hello {{Name}}".into()),
        kind: MessageKind::Text,
        attachment_id: None,
        source: "bench".into(),
        created_by: owner,
        starts_at: None,
        recipients,
    };
    let creating = {
        let store = store.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            store
                .create_campaign(campaign, chrono::Utc::now())
                .await
                .expect("create");
            started.elapsed()
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let during = small_write().await;
    let took = creating.await.expect("creation");
    println!(
        "SQLite: a {ROWS}-recipient draft written in one transaction   {}",
        ms(took)
    );
    println!(
        "  a small write: {} when idle (median), {} while the draft is written",
        ms(percentile(&idle, 0.5)),
        ms(during)
    );
}
