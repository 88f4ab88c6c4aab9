//! Interop with the OpenSSL CLI (Debian package `openssl`): certificates made by `tests/fixtures/openssl/make.sh`
//! (RSA PKCS#1 with SHA-1/256/384/512, RSA-PSS, ECDSA P-256 under a P-384 CA, and broken ones) get the verdict
//! `openssl verify` gives at the same time with the same CRLs, and the matching problem code.

use crate::common;
use std::process::Command;

const AT: &str = "2026-12-01T00:00:00Z";
const DIR: &str = "tests/fixtures/openssl/out";

/// OpenSSL's verdict: `None` when valid, else its error number.
fn openssl_verdict(cert: &str, crls: &[&str]) -> Option<u32> {
    let dir = common::project_dir().join(DIR);
    let all_crl = std::env::temp_dir().join(format!(
        "qoltanba-interop-{}-{}.crl",
        std::process::id(),
        cert
    ));
    let mut pem = String::new();
    for c in crls {
        pem.push_str(&std::fs::read_to_string(dir.join(c)).expect("crl"));
    }
    std::fs::write(&all_crl, pem).expect("write crls");
    let untrusted = std::env::temp_dir().join(format!(
        "qoltanba-interop-{}-{}.pem",
        std::process::id(),
        cert
    ));
    let mut inter = String::new();
    for c in ["inter.pem", "inter-ec.pem", "leaf-rsa.pem"] {
        inter.push_str(&std::fs::read_to_string(dir.join(c)).expect("intermediate"));
    }
    std::fs::write(&untrusted, inter).expect("write intermediates");
    let mut cmd = Command::new("openssl");
    cmd.arg("verify")
        .arg("-attime")
        .arg(common::unix(AT).to_string());
    if !crls.is_empty() {
        cmd.arg("-crl_check_all").arg("-CRLfile").arg(&all_crl);
    }
    let out = cmd
        .arg("-CAfile")
        .arg(dir.join("root.pem"))
        .arg("-untrusted")
        .arg(&untrusted)
        .arg(dir.join(cert))
        .output()
        .expect("run openssl");
    let _ = std::fs::remove_file(&all_crl);
    let _ = std::fs::remove_file(&untrusted);
    if out.status.success() {
        return None;
    }
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let n = text
        .split("error ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read openssl's error: {text}"));
    Some(n)
}

/// Our code for an OpenSSL verify error number.
fn expected_code(openssl_error: u32) -> &'static str {
    match openssl_error {
        3 => "REVOCATION_UNKNOWN",
        7 => "CERT_SIGNATURE_INVALID",
        9 => "CERT_NOT_YET_VALID",
        10 => "CERT_EXPIRED",
        20 | 2 => "CHAIN_UNTRUSTED",
        23 => "CERT_REVOKED",
        24 | 79 => "CA_CONSTRAINTS",
        34 => "UNSUPPORTED_CRITICAL_EXTENSION",
        other => panic!("no mapping for openssl error {other}"),
    }
}

fn check(cert: &str, crls: &[&str], trust: &str) {
    let openssl = openssl_verdict(cert, crls);
    let mut args = vec![
        "verify-cert".to_string(),
        "--cert".into(),
        format!("{DIR}/{cert}"),
        "--trust".into(),
        format!("{DIR}/{trust}"),
        "--at".into(),
        AT.into(),
        "--purpose".into(),
        "any".into(),
    ];
    for i in ["inter.pem", "inter-ec.pem", "leaf-rsa.pem"] {
        args.push("--intermediates".into());
        args.push(format!("{DIR}/{i}"));
    }
    for c in crls {
        args.push("--crl".into());
        args.push(format!("{DIR}/{c}"));
    }
    if crls.is_empty() {
        args.push("--revocation".into());
        args.push("none".into());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, report) = common::run_json(&refs);
    let ours = common::codes(&report);
    match openssl {
        None => {
            assert_eq!(code, 0, "{cert}: OpenSSL accepts, we say {ours:?}");
            assert_eq!(report["indication"], "TOTAL_PASSED");
        }
        Some(err) => {
            assert_eq!(
                code, 1,
                "{cert}: OpenSSL rejects (error {err}), we say {ours:?}"
            );
            assert!(
                ours.iter().any(|c| c == expected_code(err)),
                "{cert}: OpenSSL error {err} means {}, we say {ours:?}",
                expected_code(err)
            );
        }
    }
}

const ALL_CRLS: &[&str] = &["root.crl", "inter.crl", "inter-ec.crl"];

#[test]
fn verdicts_match_openssl_verify() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    for cert in [
        "leaf-rsa.pem",
        "leaf-sha1.pem",
        "leaf-sha384.pem",
        "leaf-sha512.pem",
        "leaf-pss.pem",
        "leaf-ec.pem",
        "leaf-expired.pem",
        "leaf-future.pem",
        "leaf-revoked.pem",
        "leaf-critical.pem",
        "leaf-tampered.pem",
        "by-leaf.pem",
    ] {
        check(cert, ALL_CRLS, "root.pem");
    }
}

#[test]
fn missing_crl_is_unknown_for_both() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    // Only the root's CRL: the issuing CA's CRL is missing, so the leaf's status is unknown.
    check("leaf-rsa.pem", &["root.crl"], "root.pem");
}

#[test]
fn no_crls_and_no_revocation_check_agree() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    check("leaf-revoked.pem", &[], "root.pem");
}

#[test]
fn untrusted_root_matches() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    // Trusting only the EC intermediate's sibling root is impossible here; trusting an unrelated certificate is:
    // the demo root does not issue the interop chain.
    let (code, report) = common::run_json(&[
        "verify-cert",
        "--cert",
        "tests/fixtures/openssl/out/leaf-rsa.pem",
        "--trust",
        "certs/root-ca.pem",
        "--intermediates",
        "tests/fixtures/openssl/out/inter.pem",
        "--at",
        AT,
        "--revocation",
        "none",
    ]);
    assert_eq!(code, 1);
    assert_eq!(common::codes(&report), vec!["CHAIN_UNTRUSTED"]);
    assert_eq!(report["indication"], "INDETERMINATE");
    let out = Command::new("openssl")
        .args(["verify", "-CAfile", "certs/root-ca.pem", "-untrusted"])
        .arg("tests/fixtures/openssl/out/inter.pem")
        .arg("tests/fixtures/openssl/out/leaf-rsa.pem")
        .current_dir(common::project_dir())
        .output()
        .expect("openssl");
    assert!(!out.status.success(), "OpenSSL must reject it too");
}
