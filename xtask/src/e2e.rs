//! Browser tests: placeholder until the harness lands.

use std::path::Path;

use anyhow::Result;

/// Runs the browser tests.
pub fn run(_root: &Path) -> Result<()> {
    Ok(())
}
