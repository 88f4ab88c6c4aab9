//! The hardening issue's findings, each as the attack it describes: what a reader sees must be what was signed, a
//! small hostile input must cost little, an applicant cannot print another person's name, and the service's own
//! limits hold. (Seal forgery and back-dating by a compromised key are in `tests/seal.rs`.)

use crate::common;

/// Runs `qoltanba args…` with at most `megabytes` of address space; it must end within `seconds`. Returns the exit
/// code and what it printed.
fn run_bounded(args: &[&str], megabytes: u64, seconds: u64) -> (i32, String) {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "ulimit -v {}; exec '{}' {}",
        megabytes * 1024,
        env!("CARGO_BIN_EXE_qoltanba"),
        quoted.join(" ")
    );
    let mut child = std::process::Command::new("sh")
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().expect("output");
            return (
                status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr),
            );
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("qoltanba {args:?} ran past {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The hostile PDFs of finding 3, each answered in well under a second and a few tens of megabytes: a refusal
/// (exit 2, MALFORMED) since none holds a seal, never a crash, a hang or an allocation the limit would stop.
#[test]
fn pdf_bombs_are_answered_within_bounds() {
    let _machine = crate::common::shared_machine();
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = common::hostile::pdf_bombs();
    for (name, pdf) in cases {
        let path = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf).expect("write");
        let started = std::time::Instant::now();
        let (code, out) = run_bounded(
            &["verify-document", &path.to_string_lossy(), "--json"],
            1024,
            30,
        );
        assert_eq!(code, 2, "{name}: {out}");
        assert!(out.contains("MALFORMED"), "{name}: {out}");
        eprintln!(
            "{name}: {} bytes, answered in {:?}: {}",
            pdf.len(),
            started.elapsed(),
            out.lines().last().unwrap_or("")
        );
    }
}

/// A 3.4 MB certificate of 200 000 extensions took the old check a minute (quadratic); a 60 KB one of thousands is
/// refused by count. Both answer at once, on the CLI and over the library.
#[test]
fn certificates_with_many_extensions_are_refused_at_once() {
    let _machine = crate::common::shared_machine();
    let dir = tempfile::tempdir().expect("tempdir");
    let (small, _) = common::hostile::certificate_with_extensions(2000, 0);
    let (big, _) = common::hostile::certificate_with_extensions(200_000, 8);
    for (name, der) in [("small", small.der().to_vec()), ("big", big.der().to_vec())] {
        let path = dir.path().join(format!("{name}.der"));
        std::fs::write(&path, &der).expect("write");
        let (code, out) = run_bounded(
            &[
                "verify-cert",
                "--cert",
                &path.to_string_lossy(),
                "--trust",
                &common::project_dir()
                    .join("certs/root-ca.pem")
                    .to_string_lossy(),
                "--json",
            ],
            1024,
            10,
        );
        assert_eq!(code, 2, "{name}: {out}");
        assert!(
            out.contains("extensions") || out.contains("bytes"),
            "{name}: {out}"
        );
    }
    assert!(matches!(
        qoltanba::Certificate::from_der(small.der()),
        Err(qoltanba::CertError::TooManyExtensions(2000))
    ));
    assert!(matches!(
        qoltanba::Certificate::from_der(big.der()),
        Err(qoltanba::CertError::TooLarge(_))
    ));
}

#[test]
fn the_cli_reads_endless_input_only_to_its_limit() {
    let _machine = crate::common::shared_machine();
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let trust = common::project_dir().join("certs/root-ca.pem");
    for args in [
        vec![
            "verify-cms",
            "--cms",
            "/dev/zero",
            "--trust",
            trust.to_str().expect("path"),
        ],
        vec!["verify-document", "/dev/zero"],
        vec![
            "verify-cert",
            "--cert",
            "/dev/zero",
            "--trust",
            trust.to_str().expect("path"),
        ],
    ] {
        let (code, out) = run_bounded(&args, 1024, 30);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(out.contains("limit"), "{args:?}: {out}");
    }
}
