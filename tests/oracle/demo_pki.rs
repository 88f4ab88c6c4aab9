//! The committed demo PKI (certs/): every certificate gets the verdict its name promises, OpenSSL (Debian
//! package `openssl`) agrees, the CRLs verify with `openssl crl -verify`, and `demo-pki` regenerates a working set.

use crate::common;
use crate::common::demo_pki::verify;
use std::process::Command;

const AT: &str = "2026-12-01T00:00:00Z";

#[test]
fn openssl_agrees_on_the_demo_pki() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let dir = common::project_dir();
    for (crl, ca) in [
        ("certs/crl/issuing-ca.crl", "certs/issuing-ca.pem"),
        ("certs/crl/root-ca.crl", "certs/root-ca.pem"),
    ] {
        let out = Command::new("openssl")
            .args(["crl", "-noout", "-verify", "-in", crl, "-CAfile", ca])
            .current_dir(&dir)
            .output()
            .expect("openssl");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && text.contains("verify OK"),
            "{crl}: {text}"
        );
    }
    let crls = std::env::temp_dir().join(format!("qoltanba-demo-{}.crl", std::process::id()));
    let both = std::fs::read_to_string(dir.join("certs/crl/root-ca.crl")).expect("crl")
        + &std::fs::read_to_string(dir.join("certs/crl/issuing-ca.crl")).expect("crl");
    std::fs::write(&crls, both).expect("write");
    for cert in [
        "individual-sign",
        "individual-auth",
        "legal-head",
        "legal-employee",
        "provider-signer",
        "expired",
        "revoked",
    ] {
        let out = Command::new("openssl")
            .args(["verify", "-crl_check_all", "-CRLfile"])
            .arg(&crls)
            .args([
                "-CAfile",
                "certs/root-ca.pem",
                "-untrusted",
                "certs/issuing-ca.pem",
                "-attime",
            ])
            .arg(common::unix(AT).to_string())
            .arg(format!("certs/{cert}.pem"))
            .current_dir(&dir)
            .output()
            .expect("openssl");
        let (code, report) = verify(cert, &["--purpose", "any"]);
        assert_eq!(
            out.status.success(),
            code == 0,
            "{cert}: OpenSSL and Qoltanba disagree: {report}"
        );
    }
    let _ = std::fs::remove_file(&crls);
}
