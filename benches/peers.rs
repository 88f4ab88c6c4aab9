//! Qoltanba beside its peers, measured in one run on one machine (issue 21): each peer is built and run by this
//! harness, then Qoltanba does the same work in-process, and the ratios are printed. Run: `cargo bench --bench
//! peers` (needs Debian `libengine-gost-openssl`, `libssl-dev` and a C compiler, and `../shared/conformance`).
//!
//! - GOST R 34.10-2015 512 (paramSetA) with Streebog-512 over 1 KB: the OpenSSL GOST engine's `EVP_DigestSign` /
//!   `EVP_DigestVerify` (`benches/peers/gost.c`, linked with libcrypto: no process start in the figure) against
//!   Qoltanba's signing key (an NCA test key) and `AlgorithmRegistry::verify` — for a key seen before (its tables
//!   cached, as for a CA's key in a running service; OpenSSL's engine keeps no such tables) and as for a key seen
//!   for the first time. Both: the median of 7 rounds of `n` operations, microseconds per operation.
//! - CMS: an attached SignedData (1 KB, RSA-2048 signer of the interop PKI, `tests/fixtures/openssl`) verified with
//!   its whole path's CRLs checked: OpenSSL's `CMS_verify` (`benches/peers/cms.c`, stores built once) against
//!   `verify_cms` (revocation `all`, the same two CRLs).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use qoltanba::AlgorithmRegistry;

/// The median over 7 rounds of `n` calls of `op`, in microseconds per call.
fn median_us(n: u32, mut op: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                op();
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
}

/// Builds `benches/peers/{name}.c` with libcrypto into `dir` and runs it with `args`; returns its standard output.
fn run_peer(dir: &Path, name: &str, args: &[&str]) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("benches/peers/{name}.c"));
    let binary = dir.join(name);
    let built = Command::new("cc")
        .args(["-O2", "-Wno-deprecated-declarations"])
        .arg(&source)
        .args(["-lcrypto", "-o"])
        .arg(&binary)
        .output()
        .expect("cc (a C compiler) and libssl-dev");
    assert!(
        built.status.success(),
        "building {name}.c needs Debian libssl-dev: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let out = Command::new(&binary).args(args).output().expect("peer");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The number after `key` in a peer's `key value` output.
fn field(output: &str, key: &str) -> f64 {
    let mut words = output.split_whitespace();
    while let Some(w) = words.next() {
        if w == key {
            return words.next().and_then(|v| v.parse().ok()).expect("a number");
        }
    }
    panic!("{key} not in {output:?}");
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 400;

    let peer = run_peer(dir.path(), "gost", &[&n.to_string()]);
    let (their_sign, their_verify) = (field(&peer, "sign_us"), field(&peer, "verify_us"));

    let conformance = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/nca-test-pki/gost2015/individual/valid/individual_valid.p12");
    let identity = qoltanba::read_signing_identity(
        &std::fs::read(&conformance).expect("the NCA test key in ../shared/conformance"),
        Some("Qwerty12"),
    )
    .expect("NCA key");
    let key = identity.key;
    let message = vec![0x5au8; 1024];
    let signature = key.sign(&message).expect("sign");
    let (algorithm, public) = (key.signature_algorithm(), key.public_key());
    let registry = AlgorithmRegistry::global();
    let our_sign = median_us(n, || {
        key.sign(&message).expect("sign");
    });
    let our_verify = median_us(n, || {
        registry
            .verify(&algorithm, &public, &message, &signature)
            .expect("verify");
    });
    let our_first_sighting = median_us(n, || {
        qoltanba::gost_verify_as_first_sighting(&algorithm, &public, &message, &signature)
            .expect("verify");
    });

    let (their_cms, our_cms) = cms(dir.path(), n);

    println!(
        "GOST R 34.10-2015 512, Streebog-512 over 1 KB, median of 7 × {n} (µs per operation):"
    );
    println!(
        "| operation | OpenSSL (GOST engine for GOST) | Qoltanba | ratio (Qoltanba / OpenSSL) |"
    );
    println!("|---|---|---|---|");
    println!(
        "| sign | {their_sign:.1} | {our_sign:.1} | {:.2} × |",
        our_sign / their_sign
    );
    println!(
        "| verify (a key seen before: its tables cached) | {their_verify:.1} | {our_verify:.1} | {:.2} × |",
        our_verify / their_verify
    );
    println!(
        "| verify (a key seen for the first time) | {their_verify:.1} | {our_first_sighting:.1} | {:.2} × |",
        our_first_sighting / their_verify
    );
    println!(
        "| CMS verify, RSA-2048, CRLs on the path | {their_cms:.1} | {our_cms:.1} | {:.2} × |",
        our_cms / their_cms
    );
}

/// OpenSSL's and Qoltanba's CMS verification of the same attached SignedData: (theirs, ours) in µs.
fn cms(dir: &Path, n: u32) -> (f64, f64) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openssl/out");
    let load = |name: &str| {
        qoltanba::load_certificates(&fixtures.join(name))
            .expect("fixture")
            .remove(0)
    };
    let (root, inter, signer_cert) = (load("root.pem"), load("inter.pem"), load("leaf-sha512.pem"));
    let key = std::fs::read(fixtures.join("leaf-sha512.key")).expect("key");
    let key = qoltanba::der_blocks(&key, &["PRIVATE KEY"])
        .expect("pem")
        .remove(0);
    let signer = qoltanba::CmsSigner::new(
        qoltanba::signing_key_from_pkcs8(&key).expect("key"),
        signer_cert,
        vec![inter.clone()],
    )
    .expect("signer");
    let content = vec![0x42u8; 1024];
    let signed = signer.sign(&content, false, 1_795_428_000).expect("cms");
    std::fs::write(dir.join("cms.der"), &signed).expect("write");
    let path = |name: &str| fixtures.join(name).to_string_lossy().into_owned();
    let theirs = field(
        &run_peer(
            dir,
            "cms",
            &[
                &n.to_string(),
                &dir.join("cms.der").to_string_lossy(),
                &path("root.pem"),
                &path("inter.pem"),
                &path("root.crl"),
                &path("inter.crl"),
            ],
        ),
        "verify_us",
    );
    let crl = |name: &str| {
        let pem = std::fs::read(fixtures.join(name)).expect("crl");
        qoltanba::der_blocks(&pem, &["X509 CRL"])
            .expect("pem")
            .remove(0)
    };
    let mut builder = qoltanba::TrustStore::builder()
        .anchor(root)
        .intermediate(inter);
    builder.add_crl_der(crl("root.crl")).expect("crl");
    builder.add_crl_der(crl("inter.crl")).expect("crl");
    let store = builder.build();
    let mut opts = qoltanba::VerifyOptions::at(1_795_428_000);
    opts.revocation = qoltanba::RevocationMode::All;
    let report = qoltanba::verify_cms(&store, &signed, None, &[], &opts).expect("cms");
    assert!(report.report.valid, "{:?}", report.report.messages);
    let ours = median_us(n, || {
        qoltanba::verify_cms(&store, &signed, None, &[], &opts).expect("cms");
    });
    (theirs, ours)
}
