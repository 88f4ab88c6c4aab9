//! Issuance benchmarks (issue 6). Run: `cargo bench --bench issue`.
//!
//! - `issue/reference_in_memory`: one reference issued in-process as the service does it — number reserved,
//!   form validated and rendered, sealed with the demo provider's key, stored with its audit entry — against an
//!   in-memory SQLite registry, so the figure is the work, not the disk.
//! - `issue/reference_on_disk`: the same into a registry file (WAL, synchronous=FULL: one fsync per document).

use criterion::{criterion_group, criterion_main, Criterion};
use qoltanba::forms::Sealing;
use qoltanba::registry::{Registry, RenderedDocument, SqliteRegistry};
use qoltanba::seal::SealMode;

fn issue_one(
    registry: &SqliteRegistry,
    signer: &qoltanba::cms::CmsSigner,
    data: &serde_json::Value,
) {
    registry
        .issue("reference.birth", 2026, "bench", &mut |number| {
            let doc = qoltanba::forms::issue(
                "reference.birth",
                data,
                &number.to_string(),
                1_795_428_000,
                Some(Sealing {
                    signer,
                    mode: SealMode::Compact,
                }),
            )
            .map_err(|e| e.to_string())?;
            Ok(RenderedDocument::from(doc))
        })
        .expect("issue");
}

fn benches(c: &mut Criterion) {
    let signer = qoltanba::demo_pki::provider_signer().expect("provider");
    let data = qoltanba::forms::form("reference.birth")
        .expect("form")
        .sample();
    let memory = SqliteRegistry::in_memory().expect("registry");
    c.bench_function("issue/reference_in_memory", |b| {
        b.iter(|| issue_one(&memory, &signer, &data))
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = SqliteRegistry::open(&dir.path().join("registry.db")).expect("registry");
    c.bench_function("issue/reference_on_disk", |b| {
        b.iter(|| issue_one(&disk, &signer, &data))
    });
}

criterion_group!(issue, benches);
criterion_main!(issue);
