//! The browser tests in `tests/`: installs what they need when it is missing
//! (Debian's Chromium, `playwright-core` from npm; never a downloaded
//! browser), builds the relay and the extension, and runs them with Node's
//! test runner.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::Totals;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs the browser tests; returns how many passed and failed (an error
/// only when they could not run at all).
pub fn run(root: &Path) -> Result<Totals> {
    ensure_chromium()?;
    require(
        "node",
        "Node.js runs the browser tests (install the nodejs package)",
    )?;
    require(
        "openssl",
        "openssl makes the fixture's certificate (install the openssl package)",
    )?;
    let tests = root.join("tests");
    let npm = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&tests)
        .status()
        .context("cannot run npm (it comes with Node.js)")?;
    if !npm.success() {
        bail!("npm ci in tests/ failed ({npm})");
    }
    crate::cargo(&["build", "--package", "chorus-relay"])?;
    crate::dist::build(root)?;
    eprintln!("xtask: node --test tests/e2e/");
    let mut child = Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-reporter=tap",
            "e2e/",
        ])
        .current_dir(&tests)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run node")?;
    let stdout = child.stdout.take().context("node's output")?;
    let mut totals = Totals::default();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the test output")?;
        println!("{line}");
        add_tap_summary(&mut totals, &line);
    }
    let status = child.wait().context("waiting for node")?;
    if !status.success() && totals.failed == 0 {
        // Crashed before reporting: count the run as one failure.
        totals.failed = 1;
    }
    if totals.failed > 0 {
        eprintln!(
            "xtask: browser tests failed; screenshots and consoles are in target/e2e-artifacts/"
        );
    }
    Ok(totals)
}

/// Adds Node's TAP summary lines (`# pass 4`, `# fail 1`).
fn add_tap_summary(totals: &mut Totals, line: &str) {
    let Some(rest) = line.strip_prefix("# ") else {
        return;
    };
    let mut words = rest.split_whitespace();
    if let (Some(kind), Some(count)) = (words.next(), words.next()) {
        if let Ok(count) = count.parse::<u64>() {
            match kind {
                "pass" => totals.passed += count,
                "fail" => totals.failed += count,
                _ => {}
            }
        }
    }
}

fn require(program: &str, why: &str) -> Result<()> {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        bail!("{program} is missing: {why}.");
    }
    Ok(())
}

/// Installs Debian's Chromium when it is not there (the tests must not
/// download a browser of their own).
fn ensure_chromium() -> Result<()> {
    let wanted = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    if Path::new(&wanted).exists() {
        return Ok(());
    }
    eprintln!("xtask: installing Chromium for the browser tests (apt-get install chromium)");
    let install = || {
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
    };
    let mut status = install().context("cannot run apt-get to install Chromium")?;
    if !status.success() {
        // A fresh machine may not have package lists yet.
        let _ = Command::new("apt-get").arg("update").status();
        status = install().context("cannot run apt-get to install Chromium")?;
    }
    if !status.success() || !Path::new(&wanted).exists() {
        bail!(
            "Chromium is needed for the browser tests and could not be installed: run \
             `apt-get install chromium chromium-driver` as root, or set CHROMIUM to a Chromium binary."
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_up_tap_summaries() {
        let mut totals = Totals::default();
        for line in [
            "# tests 6",
            "# pass 5",
            "# fail 1",
            "# cancelled 0",
            "ok 1 - x",
        ] {
            add_tap_summary(&mut totals, line);
        }
        assert_eq!(
            totals,
            Totals {
                passed: 5,
                failed: 1
            }
        );
    }
}
