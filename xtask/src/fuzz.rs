//! The property-based API test (`tests/api-fuzz/run.py`): Schemathesis,
//! installed from PyPI into a virtual environment under `target/` at a
//! pinned version, generates requests for every operation of the relay's
//! OpenAPI document for a bounded time; any server error or any answer the
//! document does not describe fails it.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::Totals;

/// The Schemathesis release the test was written against.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// Seconds of generated requests; enough to reach every operation many times.
const BUDGET_SECONDS: &str = "60";

/// Runs the test against a debug build of the relay; one result.
pub fn run(root: &Path) -> Result<Totals> {
    let python = ensure_schemathesis(root)?;
    crate::cargo(&["build", "--package", "chorus-relay"])?;
    let relay = root.join("target/debug/chorus-relay");
    eprintln!("xtask: tests/api-fuzz/run.py ({BUDGET_SECONDS} s)");
    let status = Command::new(&python)
        .arg(root.join("tests/api-fuzz/run.py"))
        .arg(&relay)
        .arg(BUDGET_SECONDS)
        .current_dir(root.join("target"))
        .status()
        .context("cannot run the API fuzz test")?;
    Ok(if status.success() {
        Totals {
            passed: 1,
            failed: 0,
        }
    } else {
        eprintln!(
            "xtask: the API fuzz test failed: the relay answered outside its OpenAPI document"
        );
        Totals {
            passed: 0,
            failed: 1,
        }
    })
}

/// The virtual environment's Python, with Schemathesis installed.
fn ensure_schemathesis(root: &Path) -> Result<std::path::PathBuf> {
    let venv = root.join("target/api-fuzz-venv");
    let python = venv.join("bin/python");
    let marker = venv.join(SCHEMATHESIS);
    if marker.exists() {
        return Ok(python);
    }
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("cannot run python3 (the API fuzz test needs Python 3 with venv)")?;
    if !created.success() {
        bail!("python3 -m venv {} failed ({created})", venv.display());
    }
    let installed = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", SCHEMATHESIS])
        .status()
        .context("cannot run pip")?;
    if !installed.success() {
        bail!("pip install {SCHEMATHESIS} failed ({installed})");
    }
    std::fs::write(&marker, b"").context("marking the installed version")?;
    Ok(python)
}
