//! What PAdES adds to issuing a document (issue 20). Run: `cargo bench --bench pades`.
//!
//! - `pades/sign_licence_pdf`: the whole file signature on a rendered licence (its embedded data included), as
//!   issuance appends it: the PDF parsed, the incremental update with the signature field written, the byte
//!   range hashed, the detached CMS (signingCertificateV2, no signingTime) signed with the demo provider's
//!   P-256 key and written into the reserved `/Contents`.
//! - `pades/cms_over_the_same_bytes`: the signature itself — a detached CMS over the same number of bytes, by
//!   the same signer — so that the difference of the two is what PAdES costs beyond signing.
//!
//! The sizes (the PDF before and after, and what the update adds) are printed.

use criterion::{criterion_group, criterion_main, Criterion};

const ISSUED: i64 = 1_795_428_000;

fn benches(c: &mut Criterion) {
    let signer = qoltanba::demo_provider_signer().expect("demo provider");
    let data = qoltanba::form("licence.private-bailiff")
        .expect("form")
        .sample();
    let plain = qoltanba::issue(
        "licence.private-bailiff",
        &data,
        "QLT-2026-000001",
        ISSUED,
        None,
    )
    .expect("issue")
    .pdf;
    let signed = qoltanba::sign_pdf(plain.clone(), &signer, ISSUED).expect("sign");
    println!(
        "licence PDF: {} bytes, {} signed: the update adds {} bytes ({} of them the reserved signature room)",
        plain.len(),
        signed.len(),
        signed.len() - plain.len(),
        2 * signer.detached_size_bound() + 2
    );
    let options = qoltanba::SignOptions {
        detached: true,
        signing_time: None,
        content_hint: None,
    };
    c.bench_function("pades/sign_licence_pdf", |b| {
        b.iter(|| qoltanba::sign_pdf(plain.clone(), &signer, ISSUED).expect("sign"))
    });
    // The byte range: the whole signed file but its `/Contents` value.
    let covered = &signed[..signed.len() - (2 * signer.detached_size_bound() + 2)];
    c.bench_function("pades/cms_over_the_same_bytes", |b| {
        b.iter(|| signer.sign_with(covered, &options).expect("cms"))
    });
}

criterion_group!(pades_benches, benches);
criterion_main!(pades_benches);
