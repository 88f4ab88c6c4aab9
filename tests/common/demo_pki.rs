//! Helpers the hermetic and oracle halves share for demo_pki.

const AT: &str = "2026-12-01T00:00:00Z";

pub fn verify(cert: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    verify_at(cert, AT, extra)
}

pub fn verify_at(cert: &str, at: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let path = format!("certs/{cert}.pem");
    let mut args = vec![
        "verify-cert",
        "--cert",
        &path,
        "--trust",
        "certs/root-ca.pem",
        "--intermediates",
        "certs/issuing-ca.pem",
        "--crl",
        "certs/crl",
        "--at",
        at,
    ];
    args.extend_from_slice(extra);
    super::run_json(&args)
}
