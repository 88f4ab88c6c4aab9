//! The committed demo PKI (certs/): every certificate gets the verdict its name promises, OpenSSL (Debian
//! package `openssl`) agrees, the CRLs verify with `openssl crl -verify`, and `demo-pki` regenerates a working set.

use crate::common;
use crate::common::demo_pki::{verify, verify_at};

const AT: &str = "2026-12-01T00:00:00Z";

#[test]
fn each_demo_certificate_gets_its_verdict() {
    let cases: &[(&str, &[&str], i32, &[&str])] = &[
        ("individual-sign", &[], 0, &[]),
        ("individual-auth", &["--purpose", "auth"], 0, &[]),
        ("individual-auth", &[], 1, &["KEY_USAGE"]),
        ("legal-head", &[], 0, &[]),
        ("legal-employee", &[], 0, &[]),
        ("provider-signer", &[], 0, &[]),
        ("expired", &[], 1, &["CERT_EXPIRED"]),
        ("revoked", &[], 1, &["CERT_REVOKED"]),
    ];
    for (cert, extra, exit, codes) in cases {
        let (code, report) = verify(cert, extra);
        assert_eq!(code, *exit, "{cert} {extra:?}: {report}");
        assert_eq!(common::codes(&report), *codes, "{cert} {extra:?}");
        assert_eq!(report["revocationChecked"], "all");
    }
}

#[test]
fn revoked_before_its_revocation_date_is_good() {
    // Revoked on 2026-06-01: a signature checked as of 2026-05-01 was made with a good key.
    let (code, report) = verify_at("revoked", "2026-05-01T00:00:00Z", &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["chain"][0]["revocation"], "good");
}

#[test]
fn identity_of_the_request_is_compared() {
    let (code, r) = verify("individual-sign", &["--iin", "870412300129"]);
    assert_eq!((code, common::codes(&r)), (0, vec![]));
    assert_eq!(r["subject"]["iin"], "870412300129");
    assert_eq!(r["subject"]["role"], "individual");

    // A valid IIN of someone else.
    let (code, r) = verify("individual-sign", &["--iin", "800105300127"]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["IIN_MISMATCH".to_string()])
    );

    let (code, r) = verify(
        "legal-head",
        &["--iin", "800105300127", "--bin", "040840001231"],
    );
    assert_eq!((code, common::codes(&r)), (0, vec![]));
    assert_eq!(r["subject"]["role"], "first-head");
    assert_eq!(r["subject"]["roleNames"]["kk"], "Бірінші басшы");

    let other_bin = "040840001251";
    assert!(qoltanba::Bin::parse(other_bin).is_ok());
    let (code, r) = verify("legal-head", &["--bin", other_bin]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["BIN_MISMATCH".to_string()])
    );

    // An individual's certificate has no BIN at all.
    let (code, r) = verify("individual-sign", &["--bin", "040840001231"]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["IDENTITY_ABSENT".to_string()])
    );

    // Several problems at once are all reported.
    let (code, r) = verify("revoked", &["--iin", "870412300129"]);
    assert_eq!(code, 1);
    assert_eq!(
        common::codes(&r),
        vec!["CERT_REVOKED".to_string(), "IIN_MISMATCH".to_string()]
    );
}

#[test]
fn request_identifiers_with_bad_checksums_are_bad_input() {
    for (flag, value) in [
        ("--iin", "870412300128"),
        ("--bin", "040840001230"),
        ("--iin", "12345"),
    ] {
        let (code, r) = verify("individual-sign", &[flag, value]);
        assert_eq!(code, 2, "{flag} {value}");
        assert_eq!(common::codes(&r), vec!["MALFORMED".to_string()]);
        let msg = r["messages"][0].as_str().expect("message");
        assert!(msg.starts_with(flag), "message names the field: {msg}");
    }
}

#[test]
fn demo_pki_command_writes_a_working_pki() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_str().expect("utf-8 path");
    let (code, stdout, stderr) = common::run_qoltanba(&["demo-pki", "--out", out]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let p = |f: &str| format!("{out}/{f}");
    let (code, report) = common::run_json(&[
        "verify-cert",
        "--cert",
        &p("provider-signer.pem"),
        "--trust",
        &p("root-ca.pem"),
        "--intermediates",
        &p("issuing-ca.pem"),
        "--crl",
        &p("crl"),
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{report}");
    // Fresh keys: the new chain is not trusted by the committed root.
    let (code, report) = common::run_json(&[
        "verify-cert",
        "--cert",
        &p("provider-signer.pem"),
        "--trust",
        "certs/root-ca.pem",
        "--intermediates",
        &p("issuing-ca.pem"),
        "--revocation",
        "none",
        "--at",
        AT,
    ]);
    assert_eq!(code, 1);
    assert!(
        common::codes(&report).contains(&"CHAIN_UNTRUSTED".to_string())
            || common::codes(&report).contains(&"CERT_SIGNATURE_INVALID".to_string())
    );
}
