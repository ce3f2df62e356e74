//! Making the extension's WebAssembly smaller after wasm-bindgen: dropping
//! the function-name section (debugging help that users download for
//! nothing), then `wasm-opt -Oz` from npm's `binaryen` when it can be had.
//! Without npm the build still works, one step larger.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The binaryen release known to work with this wasm-bindgen's output
/// (Debian's binaryen 108 miscompiles it).
const BINARYEN: &str = "binaryen@132";

/// Custom sections users do not need.
const DROPPED_SECTIONS: [&str; 2] = ["name", "producers"];

/// Shrinks the module at `wasm` in place.
pub fn shrink(root: &Path, wasm: &Path) -> Result<()> {
    let bytes = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let stripped = strip_custom_sections(&bytes, &DROPPED_SECTIONS)?;
    std::fs::write(wasm, stripped)?;
    match wasm_opt(root) {
        Ok(tool) => {
            let status = Command::new(&tool)
                .args([
                    "-Oz",
                    "--enable-bulk-memory",
                    "--enable-nontrapping-float-to-int",
                ])
                .args([
                    "--enable-sign-ext",
                    "--enable-mutable-globals",
                    "--enable-reference-types",
                ])
                .arg(wasm)
                .arg("-o")
                .arg(wasm)
                .status()
                .context("running wasm-opt")?;
            if !status.success() {
                bail!("wasm-opt failed on {}", wasm.display());
            }
        }
        Err(why) => eprintln!("xtask: wasm-opt skipped ({why:#}); the module is larger but works"),
    }
    Ok(())
}

/// `wasm-opt` from npm's binaryen, installed under `target/` on first use.
fn wasm_opt(root: &Path) -> Result<std::path::PathBuf> {
    let prefix = root.join("target").join("binaryen");
    let tool = prefix.join("node_modules").join(".bin").join("wasm-opt");
    if tool.exists() {
        return Ok(tool);
    }
    std::fs::create_dir_all(&prefix)?;
    let status = Command::new("npm")
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--silent",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(BINARYEN)
        .status()
        .context("npm is not available")?;
    if !status.success() || !tool.exists() {
        bail!("npm could not install {BINARYEN}");
    }
    Ok(tool)
}

/// `module` without the custom sections named in `dropped`.
pub fn strip_custom_sections(module: &[u8], dropped: &[&str]) -> Result<Vec<u8>> {
    const HEADER: usize = 8;
    if module.len() < HEADER || &module[..4] != b"\0asm" {
        bail!("not a WebAssembly module");
    }
    let mut out = module[..HEADER].to_vec();
    let mut at = HEADER;
    while at < module.len() {
        let start = at;
        let id = module[at];
        at += 1;
        let size = read_leb(module, &mut at)?;
        let end = at.checked_add(size).filter(|end| *end <= module.len());
        let Some(end) = end else {
            bail!("a section runs past the end of the module");
        };
        let keep = if id == 0 {
            let mut name_at = at;
            let name_len = read_leb(module, &mut name_at)?;
            let name = module.get(name_at..name_at + name_len).unwrap_or_default();
            !dropped.iter().any(|dropped| dropped.as_bytes() == name)
        } else {
            true
        };
        if keep {
            out.extend_from_slice(&module[start..end]);
        }
        at = end;
    }
    Ok(out)
}

/// Reads an unsigned LEB128 number at `*at`, moving past it.
fn read_leb(bytes: &[u8], at: &mut usize) -> Result<usize> {
    let mut value: usize = 0;
    for shift in (0..35).step_by(7) {
        let Some(&byte) = bytes.get(*at) else {
            bail!("the module ends inside a number");
        };
        *at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    bail!("a number in the module is too long")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        let mut section = vec![0, body.len() as u8];
        section.extend(body);
        section
    }

    #[test]
    fn only_the_named_custom_sections_go() {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        let type_section = [1u8, 4, 1, 0x60, 0, 0];
        module.extend_from_slice(&type_section);
        module.extend(custom("name", &[1, 2, 3]));
        module.extend(custom("target_features", &[0]));
        module.extend(custom("producers", &[9; 100]));
        let stripped = strip_custom_sections(&module, &DROPPED_SECTIONS).unwrap();
        let mut expected = b"\0asm\x01\0\0\0".to_vec();
        expected.extend_from_slice(&type_section);
        expected.extend(custom("target_features", &[0]));
        assert_eq!(stripped, expected);
    }

    #[test]
    fn a_broken_module_is_refused() {
        assert!(strip_custom_sections(b"\0asm\x01\0\0\0\x01\x7f", &["name"]).is_err());
        assert!(strip_custom_sections(b"nope", &["name"]).is_err());
    }
}
