//! NIST PKITS path-validation cases (../shared/conformance/nist-pkits), run as pyHanko runs them: validation time
//! 2022-05-01, the trust anchor's CRL always supplied, `"revocation": false` meaning no revocation check.
//!
//! Sections 4.1–4.7 and 4.14–4.16 must all match the expected verdict, except the DSA cases, which must report
//! UNSUPPORTED_ALGORITHM. Sections 4.8–4.13 (policies, name constraints) run too, and their pass count is printed.

use crate::common;
use qoltanba::{load_certificates, load_crls};
use qoltanba::{Code, Purpose, RevocationMode, TrustStore, VerifyOptions};
use serde_json::Value;
use std::path::Path;

struct Outcome {
    id: String,
    name: String,
    expected_valid: bool,
    valid: bool,
    codes: Vec<Code>,
    messages: Vec<String>,
}

fn run_case(dir: &Path, case: &Value) -> Outcome {
    let certs = dir.join("certs");
    let crls = dir.join("crls");
    let s = |v: &Value| v.as_str().expect("string").to_string();
    let mut builder = TrustStore::builder();
    for anchor in load_certificates(&certs.join("TrustAnchorRootCertificate.crt")).expect("anchor")
    {
        builder.add_anchor(anchor);
    }
    let names: Vec<String> = case
        .get("path_intermediates")
        .or_else(|| case.get("other_certs"))
        .and_then(Value::as_array)
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    for name in names {
        for c in load_certificates(&certs.join(&name)).expect("intermediate") {
            builder.add_intermediate(c);
        }
    }
    let mut crl_names: Vec<String> = case
        .get("crls")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    crl_names.push("TrustAnchorRootCRL.crl".into());
    for name in crl_names {
        for der in load_crls(&crls.join(&name)).expect("crl") {
            builder.add_crl_der(der).expect("crl parses");
        }
    }
    let store = builder.build();
    let leaf = load_certificates(&certs.join(s(&case["cert"])))
        .expect("leaf")
        .remove(0);
    let mut opts = VerifyOptions::at(common::unix("2022-05-01T00:00:00Z"));
    opts.purpose = Purpose::Any;
    opts.revocation = if case.get("revocation") == Some(&Value::Bool(false)) {
        RevocationMode::None
    } else {
        RevocationMode::All
    };
    let report = store.verify_certificate(&leaf, &[], &opts);
    Outcome {
        id: s(&case["id"]),
        name: s(&case["name"]),
        expected_valid: case.get("error").is_none(),
        valid: report.valid,
        codes: report.codes,
        messages: report.messages,
    }
}

#[test]
fn nist_pkits() {
    let _machine = crate::common::shared_machine();
    let conf = common::tools::conformance_dir();
    let dir = conf.join("nist-pkits");
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("pkits.json")).expect("pkits.json"))
            .expect("json");
    let required = [
        "401", "402", "403", "404", "405", "406", "407", "414", "415", "416",
    ];
    let dsa = ["40104", "40105", "40106"];
    let mut failures = Vec::new();
    let mut required_run = 0;
    let (mut counted, mut counted_pass) = (0, 0);
    for case in &cases {
        let o = run_case(&dir, case);
        let section = &o.id[..3];
        let ok = if dsa.contains(&o.id.as_str()) {
            o.codes.contains(&Code::UnsupportedAlgorithm) && !o.valid
        } else {
            o.valid == o.expected_valid
        };
        if required.contains(&section) {
            required_run += 1;
            if !ok {
                failures.push(format!(
                    "{} {}: expected {}, got {:?} {:?}",
                    o.id,
                    o.name,
                    if o.expected_valid { "valid" } else { "invalid" },
                    o.codes,
                    o.messages
                ));
            }
        } else {
            counted += 1;
            if ok {
                counted_pass += 1;
            }
        }
    }
    println!(
        "PKITS 4.1-4.7, 4.14-4.16: {required_run} cases, {} as expected",
        required_run - failures.len()
    );
    println!("PKITS 4.8-4.13 (policies, name constraints; informative): {counted_pass} of {counted} as expected");
    assert!(
        required_run == 123,
        "too few required cases ran: {required_run}"
    );
    assert!(
        failures.is_empty(),
        "{} PKITS cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Prints every case's codes (`cargo test --test pkits -- --ignored --nocapture`), to review why each fails.
#[test]
#[ignore]
fn pkits_codes() {
    let _machine = crate::common::shared_machine();
    let conf = common::tools::conformance_dir();
    let dir = conf.join("nist-pkits");
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("pkits.json")).expect("pkits.json"))
            .expect("json");
    for case in &cases {
        let o = run_case(&dir, case);
        println!(
            "{} {} expected={} codes={:?}",
            o.id, o.name, o.expected_valid, o.codes
        );
    }
}
