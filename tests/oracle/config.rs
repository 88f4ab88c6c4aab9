//! Configuration of `qoltanba serve` (issue 6): a TOML file with environment overrides sets the trust store,
//! CRLs, the provider's signer, provider details, calendar decrees and hashed tokens; mistakes are reported by
//! setting, and a signer whose certificate would not verify keeps the service from starting.

use crate::common;
use crate::common::client::{free_addr, request, request_with, signal, spawn_server};
use crate::common::config::config_dir;

/// The binary with a config file: configured tokens work, no token is invented, the environment sets the port;
/// `new-token`'s hash agrees with `openssl dgst -sha256` (Debian package `openssl`).
#[test]
fn qoltanba_serve_runs_on_a_config_file() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let (code, out, _) = common::run_qoltanba(&["new-token"]);
    assert_eq!(code, 0);
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .expect("printed")
    };
    let (token, hash) = (field("token:"), field("sha256:"));
    let mut dgst = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-r"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    use std::io::Write;
    dgst.stdin
        .take()
        .expect("stdin")
        .write_all(token.as_bytes())
        .expect("write");
    let digest = dgst.wait_with_output().expect("openssl");
    assert!(String::from_utf8_lossy(&digest.stdout).starts_with(&hash));

    // The portal signing service, on: a key of its own (the employee's), never the provider's.
    let dir = config_dir(&format!(
        "\n[[tokens]]\nname = \"egov\"\nrole = \"portal\"\nsha256 = \"{hash}\"\n\n[portal_signer]\nkey = \"pki/legal-employee.key.pem\"\ncert = \"pki/legal-employee.pem\"\n"
    ));
    let addr = free_addr();
    let config = dir.path().join("qoltanba.toml");
    let mut child = spawn_server(
        &["serve", "--config", config.to_str().expect("path")],
        &[("QOLTANBA_LISTEN", &addr.to_string())],
        dir.path(),
        addr,
    );
    let body = serde_json::json!({"data": "aGVsbG8="}).to_string();
    let signed = request_with(
        addr,
        "POST",
        "/v1/sign/cms",
        "application/json",
        &format!("Authorization: Bearer {token}\r\n"),
        body.as_bytes(),
    );
    assert_eq!(
        signed.status,
        200,
        "{}",
        String::from_utf8_lossy(&signed.body)
    );
    assert_eq!(
        request(addr, "GET", "/health", "text/plain", b"").status,
        200
    );
    signal(&child, "TERM");
    let mut out = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read");
    assert!(child.wait().expect("wait").success());
    assert!(!out.contains("created portal token"), "{out}");
    // The registry went where the file said.
    assert!(dir.path().join("state/registry.db").is_file());
}
