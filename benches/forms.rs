//! Output-form rendering benchmarks (issue 4). Run: `cargo bench --bench forms`.
//!
//! - `forms/issue_licence_private_bailiff`: validate the seed sample, render the licence PDF, embed the canonical
//!   data and the demo provider's detached CMS signature over it (fonts are parsed once per process, before the
//!   measurement, as in the service).
//! - `forms/issue_real_estate_rights`: the real-estate rights reference with its four tables (sample rows).
//!
//! The PDF sizes are printed.

use criterion::{criterion_group, criterion_main, Criterion};
use qoltanba::forms::{form, issue};

const ISSUED: i64 = 1_795_428_000;

fn benches(c: &mut Criterion) {
    let signer = qoltanba::demo_pki::provider_signer().expect("demo provider");
    for id in ["licence.private-bailiff", "reference.real-estate-rights"] {
        let data = form(id).expect("form").sample();
        let doc = issue(id, &data, "QLT-2026-000001", ISSUED, Some(&signer)).expect("issue");
        println!("{id}: {} bytes", doc.pdf.len());
    }
    let licence = form("licence.private-bailiff").expect("form").sample();
    c.bench_function("forms/issue_licence_private_bailiff", |b| {
        b.iter(|| {
            issue(
                "licence.private-bailiff",
                &licence,
                "QLT-2026-000001",
                ISSUED,
                Some(&signer),
            )
            .expect("issue")
        })
    });
    let estate = form("reference.real-estate-rights").expect("form").sample();
    c.bench_function("forms/issue_real_estate_rights", |b| {
        b.iter(|| {
            issue(
                "reference.real-estate-rights",
                &estate,
                "QLT-2026-000001",
                ISSUED,
                Some(&signer),
            )
            .expect("issue")
        })
    });
}

criterion_group!(forms_benches, benches);
criterion_main!(forms_benches);
