//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod client;
pub mod hostile;

use std::path::PathBuf;

/// `../shared/conformance` beside the project, or `None` (after saying why) when this clone has no `../shared`.
/// Under CI (`CI=true`) a missing directory fails the test instead: CI always has it.
pub fn conformance_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{} is missing, and CI must have it", dir.display());
    }
    eprintln!(
        "SKIPPED: {} is not here (a clone without ../shared)",
        dir.display()
    );
    None
}

pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses an RFC 3339 time to Unix seconds.
pub fn unix(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .expect("valid RFC 3339 time")
        .unix_timestamp()
}

/// Runs the `qoltanba` binary; returns (exit code, stdout, stderr).
pub fn run_qoltanba(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qoltanba"))
        .args(args)
        .current_dir(project_dir())
        .output()
        .expect("run qoltanba");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `qoltanba ... --json` and parses the report.
pub fn run_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all: Vec<&str> = args.to_vec();
    all.push("--json");
    let (code, stdout, stderr) = run_qoltanba(&all);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {stdout}\nstderr: {stderr}"));
    (code, report)
}

pub fn codes(report: &serde_json::Value) -> Vec<String> {
    report["codes"]
        .as_array()
        .expect("codes array")
        .iter()
        .map(|c| c.as_str().expect("code string").to_string())
        .collect()
}

/// Whether an external tool is on PATH. Under CI a missing tool fails the test (`.ci/run` installs it);
/// elsewhere the test is skipped with a message.
pub fn require_tool(tool: &str, package: &str) -> bool {
    require(
        "sh",
        &["-c", &format!("command -v {tool}")],
        &format!("{tool} (Debian package {package})"),
    )
}

/// Whether `python3` can import `module` (PyPI package `package`). Under CI a missing module fails the test
/// (`.ci/run` installs it); elsewhere the test says it skipped.
pub fn require_python_module(module: &str, package: &str) -> bool {
    require(
        "python3",
        &["-c", &format!("import {module}")],
        &format!("python3 module {module} (PyPI package {package})"),
    )
}

/// Whether `program args` succeeds; when it does not, `what` is missing: a failure under CI, a skip elsewhere.
fn require(program: &str, args: &[&str], what: &str) -> bool {
    let found = std::process::Command::new(program)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{what} is missing; .ci/run installs it");
        }
        eprintln!("SKIPPED: {what} not found");
    }
    found
}

/// Runs a Python script with `stdin` as its input; returns its standard output, failing the test with its
/// standard error when it fails.
pub fn run_python(script: &str, stdin: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
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

/// The text of a PDF as poppler's `pdftotext -enc UTF-8` reads it (Debian package `poppler-utils`; callers check
/// `require_tool` first). Pages are separated by form feeds.
pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).expect("write the PDF");
    let out = std::process::Command::new("pdftotext")
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

/// The embedded default's issuers (the demo provider), made once.
pub fn demo_issuers() -> &'static qoltanba::seal::Issuers {
    static ISSUERS: std::sync::OnceLock<qoltanba::seal::Issuers> = std::sync::OnceLock::new();
    ISSUERS.get_or_init(|| qoltanba::demo_pki::issuers().expect("demo issuers"))
}

/// Seal verification against `store` with the demo provider as the issuer.
pub fn trust(store: &qoltanba::pki::TrustStore) -> qoltanba::seal::SealTrust<'_> {
    qoltanba::seal::SealTrust {
        store,
        issuers: demo_issuers(),
    }
}

/// The PDF's text by `pdftotext`, or `None` (after saying why) where poppler is missing outside CI.
pub fn pdftotext_or_skip(pdf: &[u8]) -> Option<String> {
    require_tool("pdftotext", "poppler-utils").then(|| pdftotext(pdf))
}
