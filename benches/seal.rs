//! Seal benchmarks (issue 5). Run: `cargo bench --bench seal`.
//!
//! - `seal/create_compact` against `raw/p256_sign`: sealing a licence's content (CBOR, COSE, the demo provider's
//!   deterministic P-256 signature, zlib, Base45) against the bare signature of the same bytes.
//! - `seal/verify_compact` against `raw/p256_verify`: verifying the barcode text (Base45, inflate, COSE, the
//!   signature, the signer's path at the issue time with its CRLs) against the bare signature check.
//! - `seal/qr_symbols`: turning the text into the QR symbol's pixels (what printing adds).

use criterion::{criterion_group, criterion_main, Criterion};
use qoltanba::AlgorithmRegistry;
use qoltanba::VerifyOptions;
use qoltanba::{seal, verify_seal, SealContent, SealMode};

fn benches(c: &mut Criterion) {
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let store = qoltanba::demo_trust_store().expect("store");
    let issuers = qoltanba::demo_issuers().expect("issuers");
    let trust = qoltanba::SealTrust {
        store: &store,
        issuers: &issuers,
    };
    let t = qoltanba::form("licence.private-bailiff").expect("form");
    let doc =
        qoltanba::issue(&t.id, &t.sample(), "QLT-2026-000001", 1_795_428_000, None).expect("issue");
    let content = SealContent {
        form: t.id.clone(),
        number: doc.number.clone(),
        issued_at: doc.issued_at,
        data: doc.canonical_data.clone(),
    };
    let texts = seal(&content, &provider, SealMode::Compact).expect("seal");
    println!(
        "compact seal: {} characters in {} symbol(s)",
        texts[0].len(),
        texts.len()
    );
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let opts = VerifyOptions::at(0);
    assert!(
        verify_seal(trust, &refs, &opts)
            .expect("verify")
            .report
            .valid
    );

    c.bench_function("seal/create_compact", |b| {
        b.iter(|| seal(&content, &provider, SealMode::Compact).expect("seal"))
    });
    // What the signature alone costs: the same key signing a message of the seal's size.
    let message = vec![0x42u8; 400];
    let key = provider.key();
    c.bench_function("raw/p256_sign", |b| {
        b.iter(|| key.sign(&message).expect("sign"))
    });

    c.bench_function("seal/verify_compact", |b| {
        b.iter(|| verify_seal(trust, &refs, &opts).expect("verify"))
    });
    let sig = key.sign(&message).expect("sign");
    let alg = key.signature_algorithm();
    let public = key.public_key();
    c.bench_function("raw/p256_verify", |b| {
        b.iter(|| {
            AlgorithmRegistry::global()
                .verify(&alg, &public, &message, &sig)
                .expect("valid")
        })
    });
    c.bench_function("seal/qr_symbols", |b| {
        b.iter(|| {
            qoltanba::render(
                &[qoltanba::Block::Seal {
                    size: 110.0,
                    caption: Vec::new(),
                    codes: texts.clone(),
                }],
                &qoltanba::PdfInfo {
                    title: String::new(),
                    subject: String::new(),
                    keywords: Vec::new(),
                    issued_at: qoltanba::UnixTime::from_secs(0),
                },
            )
            .expect("render")
        })
    });
}

criterion_group!(seal_benches, benches);
criterion_main!(seal_benches);
