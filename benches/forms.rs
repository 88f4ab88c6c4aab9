//! Output-form rendering benchmarks (issue 4). Run: `cargo bench --bench forms`.
//!
//! - `forms/issue_licence_private_bailiff`: validate the seed sample, render the licence PDF, embed the canonical
//!   data (issue 4's scope).
//! - `forms/issue_sealed_licence_private_bailiff`: the same, sealed by the demo provider: the detached CMS over the
//!   data embedded, and the compact seal's QR symbol printed (fonts are parsed once per process, before the
//!   measurement, as in the service).
//! - `forms/issue_reference_real_estate_rights` and `..._sealed_...`: the real-estate rights reference with its
//!   four tables (sample rows).
//!
//! The PDF sizes are printed.

use criterion::{criterion_group, criterion_main, Criterion};
use qoltanba::form;
use qoltanba::issue;

const ISSUED: i64 = 1_795_428_000;

fn benches(c: &mut Criterion) {
    let signer = qoltanba::demo_provider_signer().expect("demo provider");
    let sealing = || {
        Some(qoltanba::Sealing {
            signer: &signer,
            mode: qoltanba::SealMode::Compact,
        })
    };
    for id in ["licence.private-bailiff", "reference.real-estate-rights"] {
        let data = form(id).expect("form").sample();
        let plain = issue(id, &data, "QLT-2026-000001", ISSUED, None).expect("issue");
        let sealed = issue(id, &data, "QLT-2026-000001", ISSUED, sealing()).expect("issue");
        println!(
            "{id}: {} bytes, {} bytes sealed",
            plain.pdf.len(),
            sealed.pdf.len()
        );
    }
    for id in ["licence.private-bailiff", "reference.real-estate-rights"] {
        let data = form(id).expect("form").sample();
        let name = id.replace(['.', '-'], "_");
        c.bench_function(&format!("forms/issue_{name}"), |b| {
            b.iter(|| issue(id, &data, "QLT-2026-000001", ISSUED, None).expect("issue"))
        });
        c.bench_function(&format!("forms/issue_sealed_{name}"), |b| {
            b.iter(|| issue(id, &data, "QLT-2026-000001", ISSUED, sealing()).expect("issue"))
        });
    }
}

criterion_group!(forms_benches, benches);
criterion_main!(forms_benches);
