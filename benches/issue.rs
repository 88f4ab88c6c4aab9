//! Issuance benchmarks (issue 6). Run: `cargo bench --bench issue`.
//!
//! - `issue/reference_in_memory`: one reference issued in-process as the service does it — number reserved,
//!   form validated and rendered, sealed with the demo provider's key, stored with its audit entry — against an
//!   in-memory SQLite registry, so the figure is the work, not the disk.
//! - `issue/reference_on_disk`: the same into a registry file (WAL, synchronous=FULL: one fsync per document).
//! - `issue/reference_on_disk_cpu`: the same, but the figure is the CPU time the issuing thread spends (user and
//!   system, `CLOCK_THREAD_CPUTIME_ID`), not the wall time: writing the document into the WAL and the checkpoints
//!   included, the wait for the disk left out. This is the work of issuing one document as a server does it, the
//!   HTTP exchange apart — the figure `benches/wrk/issue_ratio.sh` sets the server's throughput against, beside
//!   the in-memory one.
//! - `issue/application_to_licence`: the whole flow for one applicant in-process, as the service runs it — the
//!   applicant's CMS (RSA, demo PKI) verified with its chain and CRLs and the IIN checked, the application
//!   stored, the payment recorded with its due date, the operator's approval, the licence rendered, sealed and
//!   stored — against an in-memory registry.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use qoltanba::SealMode;
use qoltanba::Sealing;
use qoltanba::{Registry, RenderedDocument, SqliteRegistry};

fn issue_one(registry: &SqliteRegistry, signer: &qoltanba::CmsSigner, data: &serde_json::Value) {
    registry
        .issue(
            &qoltanba::FormId::parse("reference.birth").expect("form id"),
            2026,
            "bench",
            &mut |number| {
                let doc = qoltanba::issue(
                    "reference.birth",
                    data,
                    &number.to_string(),
                    1_795_428_000,
                    Some(Sealing {
                        signer,
                        mode: SealMode::Compact,
                    }),
                )?;
                Ok(RenderedDocument::from(doc))
            },
        )
        .expect("issue");
}

/// The CPU time (user and system) the calling thread has used so far.
fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is supported on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn benches(c: &mut Criterion) {
    let signer = qoltanba::demo_provider_signer().expect("provider");
    let data = qoltanba::form("reference.birth").expect("form").sample();
    // Each registry lives only through its own benches: an in-memory registry holds every document it was given
    // (hundreds of megabytes after a run), and a heap that size slowed every later bench of the process by half
    // (glibc's malloc searching its bins: `issue/reference_on_disk_cpu` 3.9 ms after the in-memory benches, 3.0 ms
    // in a process of its own, 2026-12-03).
    {
        let memory = SqliteRegistry::in_memory().expect("registry");
        c.bench_function("issue/reference_in_memory", |b| {
            b.iter(|| issue_one(&memory, &signer, &data))
        });
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = SqliteRegistry::open(&dir.path().join("registry.db")).expect("registry");
    c.bench_function("issue/reference_on_disk", |b| {
        b.iter(|| issue_one(&disk, &signer, &data))
    });
    c.bench_function("issue/reference_on_disk_cpu", |b| {
        b.iter_custom(|iters| {
            let started = thread_cpu_time();
            for _ in 0..iters {
                issue_one(&disk, &signer, &data);
            }
            thread_cpu_time().saturating_sub(started)
        })
    });
}

fn application_flow(c: &mut Criterion) {
    let signer = qoltanba::demo_provider_signer().expect("provider");
    let store = qoltanba::demo_trust_store().expect("store");
    let provider = qoltanba::Provider::from_signer(&signer);
    let calendar = qoltanba::WorkingCalendar::kazakhstan();
    let registry = SqliteRegistry::in_memory().expect("registry");
    let issuers = qoltanba::demo_issuers().expect("issuers");
    let never = qoltanba::Cancel::never();
    let signer = std::sync::Arc::new(signer);
    let offices = qoltanba::Offices::one(
        qoltanba::DEFAULT_OFFICE,
        std::sync::Arc::new(provider.clone()),
        signer.clone(),
    )
    .expect("offices");
    let attachments = qoltanba::AttachmentStore::temporary().expect("attachments");
    let ctx = qoltanba::Context {
        offices: &offices,
        desk: None,
        attachments: &attachments,
        store: &store,
        issuers: &issuers,
        cancel: &never,
        registry: &registry,
        signer: &signer,
        provider: &provider,
        calendar: &calendar,
        revocation: &qoltanba::RevocationPolicy::default(),
    };
    let certs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certs");
    let key = std::fs::read(certs.join("individual-sign.key.pem")).expect("key");
    let identity = qoltanba::read_signing_identity(&key, None).expect("identity");
    let cert = qoltanba::load_certificates(&certs.join("individual-sign.pem"))
        .expect("cert")
        .remove(0);
    let applicant =
        qoltanba::CmsSigner::from_identity(identity, Some(cert), Vec::new()).expect("applicant");
    let at = 1_795_428_000;
    // Each iteration a request of its own: the same signed request again is the same application. Signing it is
    // the applicant's work, done in the setup, outside the measurement.
    let mut n = 0u64;
    let mut fresh_request = || {
        n += 1;
        let content = serde_json::json!({
            "service": "licence.private-bailiff",
            "applicant": {"iin": "870412300129", "name": "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"},
            "paymentReference": format!("KZ-PAY-{n}"),
        })
        .to_string();
        applicant.sign(content.as_bytes(), false, at).expect("sign")
    };
    let approve = qoltanba::Decision::Approve {
        fields: serde_json::Map::new(),
    };
    c.bench_function("issue/application_to_licence", |b| {
        b.iter_batched(
            &mut fresh_request,
            |cms| {
                let app = qoltanba::submit(ctx, &cms, None, "portal", at).expect("submit");
                assert_eq!(app.status, "awaitingPayment");
                qoltanba::report_payment(ctx, app.id, true, Some("KZ-PAY-1"), "portal", at)
                    .expect("pay");
                let done = qoltanba::decide(ctx, app.id, &approve, "operator", at).expect("decide");
                assert!(done.document.is_some());
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(issue, benches, application_flow);
criterion_main!(issue);
