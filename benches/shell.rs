//! The work behind one `POST /v1/verify/cms` of `benches/wrk/run.sh`, in-process (issue 21): the figure the HTTP
//! shell's cost is measured against. Run: `cargo bench --bench shell` (needs the OpenSSL CLI).
//!
//! - `shell/verify_cms_request`: what the handler does with the request body — the JSON parsed, the CMS
//!   base64-decoded, `verify_cms` with the embedded default's trust store (the demo PKI and its CRLs) and revocation
//!   policy, the report serialised to JSON. The CMS is the one run.sh makes: the demo individual's application
//!   signed with `openssl cms -sign`.
//! - `shell/verify_cms_core`: `verify_cms` alone.
//! - `shell/verify_cms_request_every_core`: the same request on every core at once, one thread a core, and the
//!   figure is the CPU time a request (wall time × threads ÷ requests). A server under wrk has every core busy;
//!   on this machine's vCPUs one request takes ~15 % longer while the other core computes too (measured:
//!   `verify_cms_request` 101 → 119 µs beside a busy loop), so this is the like-for-like figure to set beside the
//!   server's CPU a request, and the first is the single-core one issue 21 names. README quotes both.
//!
//! - `shell/rsa/verify_cms_request` and `shell/rsa/verify_cms_request_every_core`: the same for the request issue 21
//!   names, an RSA signer — the OpenSSL interop fixtures' RSA-2048 end entity (`leaf-sha512`) under their CA and
//!   root, the store built by `build_store` from the files and CRLs a node trusting them is configured with, no IIN.
//!
//! `benches/wrk/run.sh` prints the server's CPU time per request for the same body; their ratio is the shell's cost
//! (`benches/wrk/shell_ratio.sh` alternates them, for the demo request or, with `rsa`, the RSA one).

use std::path::Path;

use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};

/// Signs `content` with the OpenSSL CLI (`openssl cms -sign -nodetach -binary`, DER) as `cert` with `key`.
fn openssl_cms(dir: &Path, content: &[u8], cert: &Path, key: &Path) -> Vec<u8> {
    let app = dir.join("app.json");
    std::fs::write(&app, content).expect("write");
    let p7s = dir.join("app.p7s");
    let signed = std::process::Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-nodetach",
            "-binary",
            "-outform",
            "DER",
            "-in",
        ])
        .arg(&app)
        .arg("-signer")
        .arg(cert)
        .arg("-inkey")
        .arg(key)
        .arg("-out")
        .arg(&p7s)
        .status()
        .expect("the OpenSSL CLI");
    assert!(signed.success());
    std::fs::read(&p7s).expect("cms")
}

/// The options `/v1/verify/cms` verifies with: now, the IIN when the request gives one, the default revocation
/// policy for verification.
fn options(iin: Option<&str>) -> qoltanba::VerifyOptions {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let mut opts = qoltanba::VerifyOptions::at(now);
    opts.iin = iin.map(|iin| qoltanba::Iin::parse(iin).expect("iin"));
    qoltanba::RevocationPolicy::default().apply(&mut opts, qoltanba::CheckFor::Verify);
    opts
}

/// `shell/{name}verify_cms_request` and `…_every_core` for `body` against `store`, as the handler does it.
fn request_benches(c: &mut Criterion, name: &str, store: &qoltanba::TrustStore, body: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let request = || {
        let req: serde_json::Value = serde_json::from_slice(body).expect("json");
        let cms = b64
            .decode(req["cms"].as_str().expect("cms"))
            .expect("base64");
        let opts = options(req["iin"].as_str());
        let report = qoltanba::verify_cms(store, &cms, None, &[], &opts).expect("cms");
        serde_json::to_vec(&report).expect("json")
    };
    let answer: serde_json::Value = serde_json::from_slice(&request()).expect("report");
    assert_eq!(answer["valid"], true, "{answer}");

    c.bench_function(&format!("shell/{name}verify_cms_request"), |b| {
        b.iter(request)
    });
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    c.bench_function(&format!("shell/{name}verify_cms_request_every_core"), |b| {
        b.iter_custom(|iters| {
            let each = iters.div_ceil(cores as u64);
            let started = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..cores {
                    s.spawn(|| {
                        for _ in 0..each {
                            std::hint::black_box(request());
                        }
                    });
                }
            });
            // Every core worked for the wall time on `each` requests: the CPU time a request is wall ÷ each, and
            // criterion wants the time of `iters` of them.
            started.elapsed().mul_f64(iters as f64 / each as f64)
        })
    });
}

fn benches(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let b64 = base64::engine::general_purpose::STANDARD;
    let application = r#"{"service":"licence.private-bailiff","applicant":{"iin":"870412300129","name":"ТЕСТОВ ТЕСТ"}}"#;

    // The demo individual (ECDSA P-256) under the embedded default's store.
    let cms = openssl_cms(
        dir.path(),
        application.as_bytes(),
        &root.join("certs/individual-sign.pem"),
        &root.join("certs/individual-sign.key.pem"),
    );
    let body = serde_json::json!({ "cms": b64.encode(&cms), "iin": "870412300129" })
        .to_string()
        .into_bytes();
    let store = qoltanba::demo_trust_store().expect("store");
    request_benches(c, "", &store, &body);
    let opts = options(Some("870412300129"));
    c.bench_function("shell/verify_cms_core", |b| {
        b.iter(|| qoltanba::verify_cms(&store, &cms, None, &[], &opts).expect("cms"))
    });

    // An RSA-2048 signer (SHA-512) of the OpenSSL interop fixtures under their CA and root, with their CRLs: the
    // store a node trusting those files builds (`benches/wrk/shell_ratio.sh … rsa`).
    let fixtures = root.join("tests/fixtures/openssl/out");
    let cms = openssl_cms(
        dir.path(),
        application.as_bytes(),
        &fixtures.join("leaf-sha512.pem"),
        &fixtures.join("leaf-sha512.key"),
    );
    let body = serde_json::json!({ "cms": b64.encode(&cms) })
        .to_string()
        .into_bytes();
    let store = qoltanba::build_store(
        &[fixtures.join("root.pem")],
        &[fixtures.join("inter.pem")],
        &[fixtures.join("inter.crl"), fixtures.join("root.crl")],
    )
    .expect("store");
    request_benches(c, "rsa/", &store, &body);
}

criterion_group!(shell, benches);
criterion_main!(shell);
