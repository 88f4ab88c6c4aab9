//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod client;
pub mod config;
pub mod demo_pki;
pub mod der;
pub mod hardening;
pub mod hostile;
pub mod http;
pub mod loopback;
pub mod postgres;
pub mod registry_suite;
pub mod render;
pub mod seal;
pub mod tools;

use std::path::PathBuf;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The machine, shared by the tests of one binary: libtest runs them in parallel, which the latency bounds of the
/// load tests cannot tolerate on two cores.
static MACHINE: RwLock<()> = RwLock::new(());

/// Held by every oracle test while it runs: many at once, but never beside a load test.
pub fn shared_machine() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(PoisonError::into_inner)
}

/// Held by a load test (the flood, the crashes): it runs alone, so its bounds measure the service, not its
/// neighbours.
pub fn whole_machine() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(PoisonError::into_inner)
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

/// The embedded default's issuers (the demo provider), made once.
pub fn demo_issuers() -> &'static qoltanba::Issuers {
    static ISSUERS: std::sync::OnceLock<qoltanba::Issuers> = std::sync::OnceLock::new();
    ISSUERS.get_or_init(|| qoltanba::demo_issuers().expect("demo issuers"))
}

/// Seal verification against `store` with the demo provider as the issuer.
pub fn trust(store: &qoltanba::TrustStore) -> qoltanba::SealTrust<'_> {
    qoltanba::SealTrust {
        store,
        issuers: demo_issuers(),
    }
}

/// The demo PKI's signer `name` (`certs/{name}.key.pem`, `certs/{name}.pem`) with the issuing CA as its chain.
pub fn demo_signer(name: &str) -> qoltanba::CmsSigner {
    let dir = project_dir().join("certs");
    let key = std::fs::read(dir.join(format!("{name}.key.pem"))).expect("key");
    let identity = qoltanba::read_signing_identity(&key, None).expect("key");
    let cert = qoltanba::load_certificates(&dir.join(format!("{name}.pem")))
        .expect("cert")
        .remove(0);
    let chain = qoltanba::load_certificates(&dir.join("issuing-ca.pem")).expect("chain");
    qoltanba::CmsSigner::from_identity(identity, Some(cert), chain).expect("signer")
}

/// A form id the test names (a literal of the catalogue's, so it parses).
pub fn form_id(id: &str) -> qoltanba::FormId {
    qoltanba::FormId::parse(id).expect("a valid form id")
}
