//! GOST R 34.10-2015 (512-bit, NCA) verification (issue 7). Run: `cargo bench --bench gost`.
//!
//! - `gost/verify_512`: one signature check of the NCA's test CA over an end-entity certificate's TBS: Streebog-512
//!   of the TBS and the GOST R 34.10-2012 verification on id-tc26-gost-3410-12-512-paramSetA. The CA's key is seen
//!   again and again, so its tables are cached after the second call (as in a running service).
//! - `gost/verify_512_first_sighting`: the same check as for a key never seen before (a table on the fly).
//! - `gost/sign_512`: one signature with an NCA test key (PKCS#12) over the same TBS: Streebog-512, the
//!   deterministic nonce (HMAC-Streebog-512 DRBG), the constant-time ladder.
//! - `gost/streebog512_1kb`: the digest alone, over 1 KB.
//! - `gost/verify_cert_chain`: `verify-cert` of a real NCA end-entity certificate (root → NCA → end entity, the
//!   NCA's 195-entry CRL, revocation of the leaf) from a loaded trust store.
//!
//! - `gost/verify_cms_request`: what `POST /v1/verify/cms` does with a GOST CMS of the NCA individual's test key
//!   (`benches/wrk/run.sh` sends the same kind of body to a node trusting the NCA test PKI): the JSON parsed, the
//!   CMS base64-decoded and verified (Streebog-512 and GOST of the signer, the chain to the NCA's root, the CA's CRL
//!   for the leaf: `[revocation] scope = "leaf"`), the report serialised.
//!
//! Needs `../shared/conformance` (the NCA test PKI).

use criterion::{criterion_group, criterion_main, Criterion};
use qoltanba::AlgorithmRegistry;
use qoltanba::Streebog;
use qoltanba::{Certificate, RevocationMode, TrustStore, VerifyOptions};

fn benches(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/nca-test-pki/gost2015");
    let read = |p: &str| std::fs::read(dir.join(p)).expect("conformance data");
    let root = Certificate::from_der(&read("root_test_gost_2022.cer")).expect("root");
    let nca = Certificate::from_der(&read("nca_gost2022_test.cer")).expect("nca");
    let leaf = qoltanba::load_certificates(&dir.join("pem/individual_valid_individual_valid.pem"))
        .expect("leaf")
        .remove(0);
    let registry = AlgorithmRegistry::global();
    c.bench_function("gost/verify_512", |b| {
        b.iter(|| {
            registry
                .verify(
                    leaf.signature_algorithm(),
                    nca.public_key(),
                    leaf.tbs(),
                    leaf.signature(),
                )
                .expect("verifies")
        })
    });
    c.bench_function("gost/verify_512_first_sighting", |b| {
        b.iter(|| {
            qoltanba::gost_verify_as_first_sighting(
                leaf.signature_algorithm(),
                nca.public_key(),
                leaf.tbs(),
                leaf.signature(),
            )
            .expect("verifies")
        })
    });
    let identity = qoltanba::read_signing_identity(
        &read("individual/valid/individual_valid.p12"),
        Some("Qwerty12"),
    )
    .expect("NCA key");
    let tbs = leaf.tbs().to_vec();
    c.bench_function("gost/sign_512", |b| {
        b.iter(|| identity.key.sign(&tbs).expect("signs"))
    });
    let kb = vec![0x5au8; 1024];
    c.bench_function("gost/streebog512_1kb", |b| {
        b.iter(|| Streebog::Bits512.digest(&kb))
    });

    let store = TrustStore::builder()
        .anchor(root)
        .intermediate(nca)
        .crl_der(read("nca_gost2022_test.crl"))
        .expect("crl")
        .build();
    let mut opts = VerifyOptions::at(1_796_083_200); // 2026-12-01
    opts.revocation = RevocationMode::Leaf;
    assert!(store.verify_certificate(&leaf, &[], &opts).valid);
    c.bench_function("gost/verify_cert_chain", |b| {
        b.iter(|| store.verify_certificate(&leaf, &[], &opts))
    });

    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let signer = qoltanba::CmsSigner::from_identity(
        qoltanba::read_signing_identity(
            &read("individual/valid/individual_valid.p12"),
            Some("Qwerty12"),
        )
        .expect("NCA key"),
        None,
        Vec::new(),
    )
    .expect("signer");
    let content = r#"{"service":"licence.private-bailiff","applicant":{"iin":"870412300129","name":"ТЕСТОВ ТЕСТ"}}"#;
    let cms = signer
        .sign(content.as_bytes(), false, 1_796_083_200)
        .expect("cms");
    let body = serde_json::json!({"cms": b64.encode(&cms), "at": "2026-12-01T00:00:00Z"})
        .to_string()
        .into_bytes();
    let request = || {
        let req: serde_json::Value = serde_json::from_slice(&body).expect("json");
        let cms = b64
            .decode(req["cms"].as_str().expect("cms"))
            .expect("base64");
        let report = qoltanba::verify_cms(&store, &cms, None, &[], &opts).expect("cms");
        serde_json::to_vec(&report).expect("json")
    };
    let answer: serde_json::Value = serde_json::from_slice(&request()).expect("report");
    assert_eq!(answer["valid"], true, "{answer}");
    c.bench_function("gost/verify_cms_request", |b| b.iter(request));
}

criterion_group!(gost, benches);
criterion_main!(gost);
