//! `cargo xtask dist`: the extension as Chrome loads it.
//!
//! Builds the extension crate to WebAssembly, runs wasm-bindgen (the library,
//! pinned to the same version as the crate, so no global CLI is needed),
//! shrinks the module ([`crate::shrink`]), and lays out `target/dist/extension/` (load unpacked) and
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
    crate::shrink::shrink(root, &pkg.join("chorus_extension_bg.wasm"))?;
    fs::copy(root.join("manifest.json"), folder.join("manifest.json"))
        .context("copying manifest.json")?;
    copy_tree(&root.join("extension").join("web"), &folder)?;
    report_sizes(&pkg)?;
    let zip = target.join("dist").join("chorus-extension.zip");
    write_zip(&folder, &zip)?;
    eprintln!(
        "xtask: extension built: {} (load unpacked) and {}",
        folder.display(),
        zip.display()
    );
    Ok(Dist { folder, zip })
}

/// Copies `from`'s files and folders into `to`.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Prints each WebAssembly module's size, raw and gzipped (what a user
/// downloads from the Web Store is compressed), so the figure is measured
/// at every build rather than guessed.
fn report_sizes(pkg: &Path) -> Result<()> {
    let mut total = 0;
    for entry in fs::read_dir(pkg)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "wasm") {
            let bytes = fs::read(&path)?;
            let gzipped = gzip_len(&bytes)?;
            total += gzipped;
            eprintln!(
                "xtask: {}: {} KB raw, {} KB gzip",
                path.file_name().unwrap_or_default().to_string_lossy(),
                bytes.len() / 1024,
                gzipped / 1024
            );
        }
    }
    eprintln!("xtask: WebAssembly in all: {} KB gzip", total / 1024);
    Ok(())
}

/// The length of `bytes` gzipped at the default level.
fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
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
