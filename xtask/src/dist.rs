//! `cargo xtask dist`: the extension as Chrome loads it.
//!
//! Builds the extension crate to WebAssembly, runs wasm-bindgen (the library,
//! pinned to the same version as the crate, so no global CLI is needed), and
//! lays out `target/dist/extension/` (load unpacked) and
//! `target/dist/chorus-extension.zip` (for the Chrome Web Store).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";

/// Where the build lands, relative to the workspace root.
pub struct Dist {
    /// The unpacked extension.
    pub folder: PathBuf,
    /// The same, zipped.
    pub zip: PathBuf,
}

/// Builds the extension; returns where it is.
pub fn build(root: &Path) -> Result<Dist> {
    ensure_wasm_target()?;
    crate::cargo(&[
        "build",
        "--package",
        "chorus-extension",
        "--lib",
        "--target",
        WASM_TARGET,
        "--profile",
        PROFILE,
    ])?;
    let target = root.join("target");
    let wasm = target
        .join(WASM_TARGET)
        .join(PROFILE)
        .join("chorus_extension.wasm");
    let folder = target.join("dist").join("extension");
    if folder.exists() {
        fs::remove_dir_all(&folder)
            .with_context(|| format!("cannot clear {}", folder.display()))?;
    }
    let pkg = folder.join("pkg");
    fs::create_dir_all(&pkg)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        .omit_default_module_path(false)
        .generate(&pkg)
        .context("wasm-bindgen failed")?;
    fs::copy(root.join("manifest.json"), folder.join("manifest.json"))
        .context("copying manifest.json")?;
    for entry in fs::read_dir(root.join("extension").join("web"))? {
        let entry = entry?;
        fs::copy(entry.path(), folder.join(entry.file_name()))
            .with_context(|| format!("copying {}", entry.path().display()))?;
    }
    let zip = target.join("dist").join("chorus-extension.zip");
    write_zip(&folder, &zip)?;
    eprintln!(
        "xtask: extension built: {} (load unpacked) and {}",
        folder.display(),
        zip.display()
    );
    Ok(Dist { folder, zip })
}

/// Adds the WebAssembly target with rustup when it is missing.
pub fn ensure_wasm_target() -> Result<()> {
    let installed = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("cannot run rustup (needed to add the WebAssembly target)")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    eprintln!("xtask: rustup target add {WASM_TARGET}");
    let status = std::process::Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status()
        .context("cannot run rustup")?;
    if !status.success() {
        bail!("rustup target add {WASM_TARGET} failed ({status})");
    }
    Ok(())
}

/// Zips `folder`'s files with paths relative to it (manifest.json at the top,
/// as the Chrome Web Store expects).
fn write_zip(folder: &Path, zip_path: &Path) -> Result<()> {
    let file = fs::File::create(zip_path)
        .with_context(|| format!("cannot create {}", zip_path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut files = Vec::new();
    collect_files(folder, &mut files)?;
    files.sort();
    for path in files {
        let name = path
            .strip_prefix(folder)?
            .to_string_lossy()
            .replace('\\', "/");
        zip.start_file(name, options)?;
        zip.write_all(&fs::read(&path)?)?;
    }
    zip.finish()?;
    Ok(())
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
