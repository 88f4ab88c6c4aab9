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

/// A provider's own service catalogue (`services = "…"`): `qoltanba serve` runs its services — here the built-in
/// catalogue with one service renamed and one removed — and refuses to start on a catalogue that contradicts
/// itself, naming the setting.
#[test]
fn a_configured_catalogue_replaces_the_built_in_one() {
    let _machine = crate::common::shared_machine();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalogue: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::project_dir().join("templates/services.json"))
            .expect("read"),
    )
    .expect("json");
    let services = catalogue["services"].as_array_mut().expect("services");
    services.retain(|s| s["id"] != "attestation.advocacy");
    for s in services.iter_mut() {
        if s["id"] == "licence.security" {
            s["name"]["ru"] = serde_json::json!("Лицензия на охранную деятельность (региональная)");
        }
    }
    std::fs::write(dir.path().join("services.json"), catalogue.to_string()).expect("write");
    let addr = free_addr();
    std::fs::write(
        dir.path().join("qoltanba.toml"),
        format!("listen = \"{addr}\"\ndata = \"data\"\nservices = \"services.json\"\n"),
    )
    .expect("write");
    let mut child = spawn_server(
        &["serve", "--config", "qoltanba.toml"],
        &[],
        dir.path(),
        addr,
    );
    let listed = request(addr, "GET", "/v1/services", "text/plain", b"").json();
    signal(&child, "KILL");
    let _ = child.wait();
    let listed = listed["services"].as_array().expect("services").clone();
    assert!(listed.iter().all(|s| s["id"] != "attestation.advocacy"));
    let security = listed
        .iter()
        .find(|s| s["id"] == "licence.security")
        .expect("licence.security");
    assert_eq!(
        security["name"]["ru"],
        "Лицензия на охранную деятельность (региональная)"
    );

    // A step to a state the service does not have: refused at start, naming the setting.
    let services = catalogue["services"].as_array_mut().expect("services");
    services[0]["start"] = serde_json::json!("nowhere");
    std::fs::write(dir.path().join("services.json"), catalogue.to_string()).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qoltanba"))
        .args(["serve", "--config", "qoltanba.toml"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("services"), "{stderr}");
}
