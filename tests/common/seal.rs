//! Helpers the hermetic and oracle halves share for seal.

use qoltanba::load_certificates;
use qoltanba::read_signing_identity;
use qoltanba::CmsSigner;
use qoltanba::SealContent;
use qoltanba::VerifyOptions;

const ISSUED: i64 = 1_795_428_000; // 2026-11-23T10:00:00Z

pub fn signer(key: &str, cert: &str, chain: &str) -> CmsSigner {
    let dir = super::project_dir();
    let key = read_signing_identity(&std::fs::read(dir.join(key)).expect("key"), None)
        .expect("key")
        .key;
    let cert = load_certificates(&dir.join(cert)).expect("cert").remove(0);
    let chain = load_certificates(&dir.join(chain)).expect("chain");
    CmsSigner::new(key, cert, chain).expect("signer")
}

pub fn content(form: &str) -> SealContent {
    let t = qoltanba::form(form).expect("form");
    let doc = qoltanba::issue(form, &t.sample(), "QLT-2026-000001", ISSUED, None).expect("issue");
    SealContent {
        form: form.into(),
        number: doc.number,
        issued_at: qoltanba::UnixTime::from_secs(ISSUED),
        data: doc.canonical_data,
    }
}

pub fn opts() -> VerifyOptions {
    VerifyOptions::at(0) // the seal verifies at its issue time whatever is asked
}

/// The test vector of docs/seal.md: a fixed content sealed by the demo provider (deterministic), in compact mode.
pub fn vector_content() -> SealContent {
    SealContent {
        form: "licence.private-bailiff".into(),
        number: "QLT-2026-000001".into(),
        issued_at: qoltanba::UnixTime::from_secs(ISSUED),
        data: r#"{"licensee":"ТЕСТОВ ТЕСТ ТЕСТОВИЧ","licensee_id":"870412300129"}"#.into(),
    }
}
