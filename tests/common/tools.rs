//! The outside tools and data the oracle half checks against, one helper each. A missing one fails the test that
//! needs it, naming the Debian or PyPI package (`.ci/run` installs them all): nothing passes unchecked. The
//! hermetic half calls none of these.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Fails the test unless `program args` runs and succeeds; `what` says what is missing and where it comes from.
fn need(program: &str, args: &[&str], what: &str) {
    let found = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        found,
        "this check needs {what}; .ci/run installs it (the hermetic half, `cargo test --lib --test hermetic`, needs none)"
    );
}

/// A program on PATH (from Debian package `package`).
pub fn need_tool(tool: &str, package: &str) {
    need(
        "sh",
        &["-c", &format!("command -v {tool}")],
        &format!("{tool} (Debian package {package})"),
    );
}

/// A module `python3` can import (PyPI package `package`).
pub fn need_python_module(module: &str, package: &str) {
    need(
        "python3",
        &["-c", &format!("import {module}")],
        &format!("python3 module {module} (PyPI package {package})"),
    );
}

/// `../shared/conformance` beside the project: NIST PKITS, the NCA's test PKI and OCSP answers.
pub fn conformance_dir() -> PathBuf {
    let dir = super::project_dir().join("../shared/conformance");
    assert!(
        dir.is_dir(),
        "this check needs {} (the shared conformance data beside the project)",
        dir.display()
    );
    dir
}

/// Runs a Python script with `stdin` as its input; returns its standard output, failing the test with its
/// standard error when it fails.
pub fn run_python(script: &str, stdin: &[u8]) -> Vec<u8> {
    run_python_with(script, &[], stdin)
}

/// [`run_python`] with command-line arguments (`sys.argv[1:]`).
pub fn run_python_with(script: &str, args: &[&std::ffi::OsStr], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write;
    need(
        "python3",
        &["--version"],
        "python3 (Debian package python3)",
    );
    let mut child = Command::new("python3")
        .args(["-c", script])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write to python3");
    let out = child.wait_with_output().expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The text of a PDF as poppler's `pdftotext -enc UTF-8` reads it (Debian package `poppler-utils`). Pages are
/// separated by form feeds.
pub fn pdftotext(pdf: &[u8]) -> String {
    need_tool("pdftotext", "poppler-utils");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).expect("write the PDF");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the OpenSSL CLI (Debian package `openssl`) in `dir`, failing the test with its standard error when it fails.
pub fn openssl(dir: &std::path::Path, args: &[&str]) {
    need_tool("openssl", "openssl");
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
