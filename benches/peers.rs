//! Qoltanba beside its peers, measured in one run on one machine (issue 21): each peer is built and run by this
//! harness, then Qoltanba does the same work in-process, and the ratios are printed. Run: `cargo bench --bench
//! peers` (needs Debian `libengine-gost-openssl`, `libssl-dev` and a C compiler, and `../shared/conformance`).
//!
//! - GOST R 34.10-2015 512 (paramSetA) with Streebog-512 over 1 KB: the OpenSSL GOST engine's `EVP_DigestSign` /
//!   `EVP_DigestVerify` (`benches/peers/gost.c`, linked with libcrypto: no process start in the figure) against
//!   Qoltanba's signing key (an NCA test key) and `AlgorithmRegistry::verify`. Both: the median of 7 rounds of
//!   `n` operations, microseconds per operation.

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

    println!(
        "GOST R 34.10-2015 512, Streebog-512 over 1 KB, median of 7 × {n} (µs per operation):"
    );
    println!("| operation | OpenSSL GOST engine | Qoltanba | ratio (Qoltanba / OpenSSL) |");
    println!("|---|---|---|---|");
    println!(
        "| sign | {their_sign:.1} | {our_sign:.1} | {:.2} × |",
        our_sign / their_sign
    );
    println!(
        "| verify | {their_verify:.1} | {our_verify:.1} | {:.2} × |",
        our_verify / their_verify
    );
}
