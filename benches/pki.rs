//! Benchmarks of the certificate path (issue 2). Run: `cargo bench --bench pki`.
//!
//! - `verify_cert/rsa2048_two_level_422k_crl`: verify-cert of an RSA-2048 end entity → RSA-2048 CA → RSA-2048 root
//!   (the OpenSSL interop fixtures), revocation `all`, with a 422 000-entry CRL of the CA loaded and the root's CRL.
//! - `verify_cert/parse_and_verify_rsa2048_422k_crl`: the same from the end entity's DER (parsing included).
//! - `raw_signatures/*`: what that costs in ring alone: the end entity's signature (the CA's is verified once and
//!   cached, CRL signatures at load), and both for comparison with a cold verifier.
//! - `crl/parse_index_422k` and `crl/store_build_422k` (parse + index + signature check of the 22 MB CRL), and
//!   `crl/lookup`: one revocation lookup.
//!
//! The peak heap of loading is printed (a counting allocator), since criterion measures time only.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use qoltanba::load_certificates;
use qoltanba::{Crl, RevocationMode, TrustStore, VerifyOptions};
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

mod common;

use common::{big_crl, read_der, FIXTURES};

fn benches(c: &mut Criterion) {
    let load = |n: &str| {
        load_certificates(std::path::Path::new(&format!("{FIXTURES}/{n}")))
            .expect("cert")
            .remove(0)
    };
    let root = load("root.pem");
    let inter = load("inter.pem");
    let leaf = load("leaf-rsa.pem");
    let crl_der = big_crl(leaf.serial());
    println!(
        "generated CRL: {} bytes, {} entries",
        crl_der.len(),
        common::ENTRIES
    );

    // Peak heap while parsing and indexing (the input DER is allocated before the baseline).
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let crl = Crl::from_der(&crl_der).expect("crl");
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let held = CURRENT.load(Ordering::Relaxed) - base;
    println!(
        "CRL index: {} entries, peak heap while loading {:.1} MB, held after loading {:.1} MB (index {:.1} MB)",
        crl.len(),
        peak as f64 / 1e6,
        held as f64 / 1e6,
        crl.index_bytes() as f64 / 1e6
    );

    let mut group = c.benchmark_group("crl");
    group.sample_size(10);
    group.bench_function("parse_index_422k", |b| {
        b.iter(|| Crl::from_der(&crl_der).expect("crl"))
    });
    group.bench_function("store_build_422k", |b| {
        b.iter(|| {
            TrustStore::builder()
                .anchor(root.clone())
                .intermediate(inter.clone())
                .crl_der(crl_der.clone())
                .expect("crl")
                .build()
        })
    });
    group.finish();
    let issuer = leaf.issuer().clone();
    let serial = leaf.serial().to_vec();
    c.bench_function("crl/lookup", |b| {
        b.iter(|| crl.lookup(&issuer, &serial).expect("listed"))
    });

    let mut builder = TrustStore::builder()
        .anchor(root.clone())
        .intermediate(inter.clone());
    builder.add_crl_der(crl_der.clone()).expect("crl");
    builder
        .add_crl_der(read_der("root.crl", "X509 CRL"))
        .expect("root crl");
    let store = builder.build();
    let mut opts = VerifyOptions::at(1_795_000_000); // 2026-11-18
    opts.revocation = RevocationMode::All;
    opts.purpose = qoltanba::Purpose::Any;
    // The leaf is in the CRL: verify the unrevoked sibling instead, so the whole path is walked.
    let good = load("leaf-sha512.pem");
    let report = store.verify_certificate(&good, &[], &opts);
    assert!(report.valid, "{:?}", report.messages);
    assert!(
        !store.verify_certificate(&leaf, &[], &opts).valid,
        "the listed leaf is revoked"
    );
    c.bench_function("verify_cert/rsa2048_two_level_422k_crl", |b| {
        b.iter(|| store.verify_certificate(&good, &[], &opts))
    });

    // The same, starting from the DER of the end entity (parse + verify), as a request would.
    let good_der = good.der().to_vec();
    c.bench_function("verify_cert/parse_and_verify_rsa2048_422k_crl", |b| {
        b.iter(|| {
            let cert = qoltanba::Certificate::from_der(&good_der).expect("parses");
            store.verify_certificate(&cert, &[], &opts)
        })
    });

    let leaf_key = |cert: &qoltanba::Certificate| cert.public_key().key.clone();
    let inter_key = leaf_key(&inter);
    let root_key = leaf_key(&root);
    let leaf_alg: &'static dyn ring::signature::VerificationAlgorithm =
        match good.signature_algorithm().oid.to_string().as_str() {
            "1.2.840.113549.1.1.13" => &ring::signature::RSA_PKCS1_2048_8192_SHA512,
            _ => &RSA_PKCS1_2048_8192_SHA256,
        };
    c.bench_function("raw_signatures/end_entity", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(leaf_alg, &inter_key)
                .verify(good.tbs(), good.signature())
                .expect("valid")
        })
    });
    c.bench_function("raw_signatures/end_entity_and_ca", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(leaf_alg, &inter_key)
                .verify(good.tbs(), good.signature())
                .expect("valid");
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &root_key)
                .verify(inter.tbs(), inter.signature())
                .expect("valid")
        })
    });
}

criterion_group!(pki, benches);
criterion_main!(pki);
