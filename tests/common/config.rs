//! Helpers the hermetic and oracle halves share for config.

/// A configuration directory holding copies of the demo PKI's files, referred to by relative paths.
pub fn config_dir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = super::project_dir().join("certs");
    std::fs::create_dir(dir.path().join("pki")).expect("mkdir");
    for f in [
        "root-ca.pem",
        "issuing-ca.pem",
        "provider-signer.pem",
        "provider-signer.key.pem",
        "legal-employee.pem",
        "legal-employee.key.pem",
    ] {
        std::fs::copy(certs.join(f), dir.path().join("pki").join(f)).expect("copy");
    }
    let text = format!(
        r#"listen = "127.0.0.1:9999"
data = "state"

[trust]
anchors = ["pki/root-ca.pem"]
intermediates = ["pki/issuing-ca.pem"]
crls = ["{crl}"]

[signer]
key = "pki/provider-signer.key.pem"
cert = "pki/provider-signer.pem"

[provider]
place = "Алматы қ."

[calendar]
days_off = ["2026-05-27"]
{extra}"#,
        crl = certs.join("crl").display()
    );
    std::fs::write(dir.path().join("qoltanba.toml"), text).expect("write");
    dir
}
