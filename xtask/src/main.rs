//! Build and test tasks for the Chorus workspace, run as `cargo xtask <task>`.
//!
//! These are the commands the README gives a new machine, so they check for
//! what they need and say plainly what is missing and how to get it.
//!
//! # Layout
//! - `run`: builds the workspace in release mode and starts the relay on its
//!   embedded SQLite default (`./data`), passing any further arguments to
//!   `chorus-relay serve`.
//! - `test`: checks prerequisites (PostgreSQL for the dual-backend tests),
//!   then runs formatting and lint checks, every test, and the browser
//!   tests.
//! - `bench`: the queue, bulk-contact and spreadsheet benchmarks (need PostgreSQL too).
//! - `dist` ([`dist`]): the extension, built to WebAssembly, shrunk
//!   ([`shrink`]) and laid out for Chrome.
//! - [`e2e`]: the browser tests that `test` runs last (installs Chromium and
//!   Playwright when missing).
//! - [`fuzz`]: the property-based API test that `test` runs before them
//!   (installs Schemathesis into `target/` when missing).

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context, Result};

mod dist;
mod e2e;
mod fuzz;
mod shrink;

const USAGE: &str = "\
usage: cargo xtask <task> [args]

tasks:
  run [serve options]   build everything (release, extension too) and start the relay on SQLite in ./data
  dist                  build the extension: target/dist/extension/ and target/dist/chorus-extension.zip
  test                  check prerequisites, then run fmt, clippy, every test and the browser tests
  e2e                   only the browser tests (tests/)
  fuzz                  only the property-based API test (tests/api-fuzz/, Schemathesis)
  bench                 measure the queue and bulk contact changes on SQLite and PostgreSQL (docs/benchmarks.md)
  help                  show this text
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let outcome = match task.as_deref() {
        Some("run") => run(&rest),
        Some("test") => test(),
        Some("dist") => dist::build(&workspace_root()).map(|_| ()),
        Some("e2e") => e2e::run(&workspace_root()).and_then(|totals| {
            println!("tests: {} passed, {} failed", totals.passed, totals.failed);
            if totals.failed > 0 || totals.passed == 0 {
                bail!("browser tests failed");
            }
            Ok(())
        }),
        Some("fuzz") => fuzz::run(&workspace_root()).and_then(|totals| {
            println!("tests: {} passed, {} failed", totals.passed, totals.failed);
            if totals.failed > 0 {
                bail!("the API fuzz test failed");
            }
            Ok(())
        }),
        Some("bench") => check_postgres().and_then(|()| {
            cargo(&[
                "bench",
                "--package",
                "chorus-relay",
                "--bench",
                "queue",
                "--bench",
                "contacts",
                "--bench",
                "sheets",
            ])
        }),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown task {other:?}\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn cargo(args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// The repository root (xtask lives one level below it).
fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

fn run(serve_args: &[String]) -> Result<()> {
    let extension = dist::build(&workspace_root())?;
    eprintln!(
        "xtask: for the Chrome Web Store: {}",
        extension.zip.display()
    );
    cargo(&["build", "--release", "--workspace"])?;
    eprintln!(
        "xtask: to load the extension, open chrome://extensions, turn on Developer mode, \
         choose \"Load unpacked\" and pick {}; then set the relay address in its options.",
        extension.folder.display()
    );
    let mut args = vec![
        "run",
        "--release",
        "--package",
        "chorus-relay",
        "--",
        "serve",
    ];
    args.extend(serve_args.iter().map(String::as_str));
    cargo(&args)
}

fn test() -> Result<()> {
    check_postgres()?;
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // The extension's WebAssembly-only code is linted for its own target.
    dist::ensure_wasm_target()?;
    cargo(&[
        "clippy",
        "--package",
        "chorus-extension",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ])?;
    let mut totals = cargo_test(&["test", "--workspace"])?;
    let fuzzed = fuzz::run(&workspace_root())?;
    totals.passed += fuzzed.passed;
    totals.failed += fuzzed.failed;
    let browser = e2e::run(&workspace_root()).inspect_err(|_| {
        println!(
            "tests: {} passed, {} failed",
            totals.passed,
            totals.failed + 1
        );
    })?;
    totals.passed += browser.passed;
    totals.failed += browser.failed;
    // One closing line for the whole run, so the summary is not whichever
    // crate's (possibly empty) doc-test run happened to finish last.
    println!("tests: {} passed, {} failed", totals.passed, totals.failed);
    if totals.passed == 0 {
        bail!("no test ran");
    }
    if totals.failed > 0 {
        bail!("{} tests failed", totals.failed);
    }
    Ok(())
}

#[derive(Debug, Default, PartialEq)]
struct Totals {
    passed: u64,
    failed: u64,
}

/// Runs `cargo test`, echoing its output, and adds up its `test result:` lines.
fn cargo_test(args: &[&str]) -> Result<Totals> {
    use std::io::{BufRead, BufReader};
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("xtask: cargo {}", args.join(" "));
    let mut child = Command::new(cargo)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot run cargo")?;
    let stdout = child.stdout.take().context("cargo test output")?;
    let mut totals = Totals::default();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo test output")?;
        println!("{line}");
        add_result_line(&mut totals, &line);
    }
    let status = child.wait().context("waiting for cargo test")?;
    if !status.success() {
        println!("tests: {} passed, {} failed", totals.passed, totals.failed);
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(totals)
}

/// Adds a libtest summary such as `test result: ok. 3 passed; 1 failed; ...`.
fn add_result_line(totals: &mut Totals, line: &str) {
    let Some(rest) = line.trim().strip_prefix("test result: ") else {
        return;
    };
    for part in rest.split([';', '.']) {
        let mut words = part.split_whitespace();
        if let (Some(count), Some(kind)) = (words.next(), words.next()) {
            if let Ok(count) = count.parse::<u64>() {
                match kind {
                    "passed" => totals.passed += count,
                    "failed" => totals.failed += count,
                    _ => {}
                }
            }
        }
    }
}

/// The dual-backend tests need a PostgreSQL server they can create schemas in.
fn check_postgres() -> Result<()> {
    let url = std::env::var("CHORUS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let address = postgres_address(&url)
        .with_context(|| format!("CHORUS_TEST_POSTGRES={url:?} is not a postgres:// URL"))?;
    let reachable = address
        .to_socket_addrs()
        .ok()
        .into_iter()
        .flatten()
        .any(|addr: SocketAddr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok());
    if !reachable {
        bail!(
            "PostgreSQL is not reachable at {address}: the tests run every store and API test on \
             SQLite and on PostgreSQL.\n  Start the local server (on Debian: \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`), or set \
             CHORUS_TEST_POSTGRES=postgres://USER@HOST:PORT/DB to a server where USER may create schemas."
        );
    }
    eprintln!("xtask: PostgreSQL reachable at {address}");
    Ok(())
}

/// `host:port` of a `postgres://user:pass@host:port/db` URL.
fn postgres_address(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit('@').next()?;
    if host_port.is_empty() {
        return None;
    }
    Some(if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    })
}

#[cfg(test)]
mod tests {
    use super::{add_result_line, postgres_address, Totals};

    #[test]
    fn adds_up_libtest_summaries() {
        let mut totals = Totals::default();
        add_result_line(
            &mut totals,
            "test result: ok. 38 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 5.35s",
        );
        add_result_line(
            &mut totals,
            "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out",
        );
        add_result_line(&mut totals, "test an_unrelated_line ... ok");
        assert_eq!(
            totals,
            Totals {
                passed: 41,
                failed: 2
            }
        );
    }

    #[test]
    fn finds_host_and_port_in_postgres_urls() {
        assert_eq!(
            postgres_address("postgres://postgres@127.0.0.1:5432/postgres").as_deref(),
            Some("127.0.0.1:5432")
        );
        assert_eq!(
            postgres_address("postgresql://u:p@db.internal/chorus?sslmode=disable").as_deref(),
            Some("db.internal:5432")
        );
        assert_eq!(postgres_address("mysql://x"), None);
    }
}
