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
use qoltanba::pki::load::{der_blocks, load_certificates};
use qoltanba::pki::{Crl, RevocationMode, TrustStore, VerifyOptions};
use ring::signature::{
    RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use x509_parser::prelude::FromDer;

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

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openssl/out");
const ENTRIES: usize = 422_000;

use qoltanba::der::encode as enc;

fn read_der(name: &str, label: &str) -> Vec<u8> {
    let data = std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture");
    der_blocks(&data, &[label]).expect("pem").remove(0)
}

/// A CRL of the interop CA with `ENTRIES` entries (18-byte serials, a reason code each), signed with its key:
/// about 22 MB, the size of the NCA's full CRL. The serial of `revoked` is among them.
fn big_crl(revoked: &[u8]) -> Vec<u8> {
    let ca = read_der("inter.pem", "CERTIFICATE");
    let (_, x) = x509_parser::certificate::X509Certificate::from_der(&ca).expect("ca");
    let issuer = x.tbs_certificate.subject.as_raw().to_vec();
    let alg = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
    ];
    let reason = enc(
        0x30,
        &enc(
            0x30,
            &[
                &[0x06, 0x03, 0x55, 0x1d, 0x15][..],
                &enc(0x04, &[0x0a, 0x01, 0x01]),
            ]
            .concat(),
        ),
    );
    let time = enc(0x17, b"260101000000Z");
    let mut entries = Vec::with_capacity(ENTRIES * 52);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..ENTRIES {
        let serial: Vec<u8> = if i == ENTRIES / 2 {
            revoked.to_vec()
        } else {
            (0..18)
                .map(|j| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let b = (state >> 24) as u8;
                    if j == 0 {
                        (b & 0x7f) | 0x01
                    } else {
                        b
                    }
                })
                .collect()
        };
        entries.extend(enc(
            0x30,
            &[enc(0x02, &serial), time.clone(), reason.clone()].concat(),
        ));
    }
    let tbs = enc(
        0x30,
        &[
            enc(0x02, &[1]),
            alg.to_vec(),
            issuer,
            enc(0x17, b"261101000000Z"),
            enc(0x17, b"301231000000Z"),
            enc(0x30, &entries),
        ]
        .concat(),
    );
    let key = RsaKeyPair::from_pkcs8(&read_der("inter.key", "PRIVATE KEY")).expect("key");
    let mut sig = vec![0u8; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        &tbs,
        &mut sig,
    )
    .expect("sign");
    let mut bits = vec![0u8];
    bits.extend(sig);
    enc(0x30, &[tbs, alg.to_vec(), enc(0x03, &bits)].concat())
}

fn benches(c: &mut Criterion) {
    let load = |n: &str| {
        load_certificates(std::path::Path::new(&format!("{FIXTURES}/{n}")))
            .expect("cert")
            .remove(0)
    };
    let root = load("root.pem");
    let inter = load("inter.pem");
    let leaf = load("leaf-rsa.pem");
    let crl_der = big_crl(&leaf.serial[..]);
    println!(
        "generated CRL: {} bytes, {} entries",
        crl_der.len(),
        ENTRIES
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
    let issuer = leaf.issuer.clone();
    let serial = leaf.serial.clone();
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
    opts.purpose = qoltanba::pki::Purpose::Any;
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
            let cert = qoltanba::pki::Certificate::from_der(&good_der).expect("parses");
            store.verify_certificate(&cert, &[], &opts)
        })
    });

    let leaf_key = |cert: &qoltanba::pki::Certificate| cert.public_key.key.clone();
    let inter_key = leaf_key(&inter);
    let root_key = leaf_key(&root);
    let leaf_alg: &'static dyn ring::signature::VerificationAlgorithm =
        match good.signature_algorithm.oid.as_str() {
            "1.2.840.113549.1.1.13" => &ring::signature::RSA_PKCS1_2048_8192_SHA512,
            _ => &RSA_PKCS1_2048_8192_SHA256,
        };
    c.bench_function("raw_signatures/end_entity", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(leaf_alg, &inter_key)
                .verify(good.tbs(), &good.signature)
                .expect("valid")
        })
    });
    c.bench_function("raw_signatures/end_entity_and_ca", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(leaf_alg, &inter_key)
                .verify(good.tbs(), &good.signature)
                .expect("valid");
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &root_key)
                .verify(inter.tbs(), &inter.signature)
                .expect("valid")
        })
    });
}

criterion_group!(pki, benches);
criterion_main!(pki);
