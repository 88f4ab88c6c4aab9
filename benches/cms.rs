//! CMS benchmarks (issue 3). Run: `cargo bench --bench cms`.
//!
//! - `cms/verify_attached_rsa2048_422k_crl`: verify an attached SignedData (about 1 KB of content) signed by an
//!   RSA-2048 end entity under the interop CA and root, revocation `all`, with the CA's 422 000-entry CRL loaded.
//! - `raw/two_signature_verifications`: the two RSA verifications that costs in ring (the signer's signature over
//!   the signed attributes, and the end entity's certificate signature; the CA's is verified once and cached).
//! - `cms/verify_attached_rsa2048_ocsp_cached`: the same verification with OCSP as the revocation source for the
//!   whole path (`ocsp`, revocation `all`), the answers served from `OcspClient`'s cache: a first verification
//!   asks `openssl ocsp` (the OpenSSL CLI, run per request behind a loopback server: the CA's responder for the
//!   signer, the root's for the CA) and caches both good answers; every measured verification is answered from
//!   the cache. Compare with `cms/verify_attached_rsa2048_422k_crl`.
//! - `cms/sign_rsa2048` against `raw/rsa2048_sign` of the same signed attributes.

mod common;
#[path = "../tests/common/loopback.rs"]
mod loopback;

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use criterion::{criterion_group, criterion_main, Criterion};
use der::{Decode, Encode};
use qoltanba::load_certificates;
use qoltanba::signing_key_from_pkcs8;
use qoltanba::{verify_cms, CmsSigner};
use qoltanba::{Purpose, RevocationMode, TrustStore, VerifyOptions};
use ring::signature::{
    RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA512,
    RSA_PKCS1_SHA256,
};

use common::{big_crl, read_der, FIXTURES};
use loopback::Mode;

fn benches(c: &mut Criterion) {
    let load = |n: &str| {
        load_certificates(std::path::Path::new(&format!("{FIXTURES}/{n}")))
            .expect("cert")
            .remove(0)
    };
    let root = load("root.pem");
    let inter = load("inter.pem");
    let revoked = load("leaf-rsa.pem");
    let signer_cert = load("leaf-sha512.pem");
    let key_der = read_der("leaf-sha512.key", "PRIVATE KEY");

    let mut builder = TrustStore::builder()
        .anchor(root)
        .intermediate(inter.clone());
    builder.add_crl_der(big_crl(revoked.serial())).expect("crl");
    builder
        .add_crl_der(read_der("root.crl", "X509 CRL"))
        .expect("root crl");
    let store = builder.build();

    let signer = CmsSigner::new(
        signing_key_from_pkcs8(&key_der).expect("key"),
        signer_cert.clone(),
        vec![inter.clone()],
    )
    .expect("signer");
    let content: Vec<u8> = r#"{"service":"licence.private-bailiff","iin":"870412300129"}"#
        .bytes()
        .cycle()
        .take(1024)
        .collect();
    let cms = signer.sign(&content, false, 1_795_000_000).expect("sign");
    let mut opts = VerifyOptions::at(1_795_000_000);
    opts.purpose = Purpose::Any;
    opts.revocation = RevocationMode::All;
    let report = verify_cms(&store, &cms, None, &[], &opts).expect("verifies");
    assert!(report.report.valid, "{:?}", report.report.messages);

    c.bench_function("cms/verify_attached_rsa2048_422k_crl", |b| {
        b.iter(|| verify_cms(&store, &cms, None, &[], &opts).expect("verifies"))
    });

    // OCSP for the whole path, answered from the client's cache after a first real exchange.
    let serials = [signer_cert.serial().to_vec(), inter.serial().to_vec()];
    let responders = openssl_responders(&serials);
    let client = qoltanba::OcspClient::new(
        qoltanba::Fetcher::new(qoltanba::FetchPolicy::default()),
        qoltanba::OcspPolicy {
            responders,
            use_aia: false,
            ..qoltanba::OcspPolicy::default()
        },
    );
    let ocsp_store = TrustStore::builder()
        .anchor(load("root.pem"))
        .intermediate(inter.clone())
        .build();
    let mut ocsp_opts = opts.clone();
    ocsp_opts.source = qoltanba::RevocationSource::Ocsp;
    ocsp_opts.ocsp = Some(qoltanba::SharedOcsp(std::sync::Arc::new(client)));
    let first = verify_cms(&ocsp_store, &cms, None, &[], &ocsp_opts).expect("verifies");
    assert!(first.report.valid, "{:?}", first.report.messages);
    let again = serde_json::to_value(
        verify_cms(&ocsp_store, &cms, None, &[], &ocsp_opts).expect("verifies"),
    )
    .expect("json");
    assert_eq!(
        again["chain"][0]["revocationData"][0]["cached"], true,
        "{again}"
    );
    c.bench_function("cms/verify_attached_rsa2048_ocsp_cached", |b| {
        b.iter(|| verify_cms(&ocsp_store, &cms, None, &[], &ocsp_opts).expect("verifies"))
    });

    // What ring alone needs for the same two signatures.
    let sd: SignedData = ContentInfo::from_der(&cms)
        .expect("ci")
        .content
        .decode_as()
        .expect("sd");
    let si = sd.signer_infos.0.iter().next().expect("signer").clone();
    let attrs = si
        .signed_attrs
        .as_ref()
        .expect("attrs")
        .to_der()
        .expect("der");
    let sig = si.signature.as_bytes().to_vec();
    let leaf_key = signer_cert.public_key().key.clone();
    let inter_key = inter.public_key().key.clone();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &leaf_key)
        .verify(&attrs, &sig)
        .expect("attrs signature");
    c.bench_function("raw/two_signature_verifications", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &leaf_key)
                .verify(&attrs, &sig)
                .expect("valid");
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA512, &inter_key)
                .verify(signer_cert.tbs(), signer_cert.signature())
                .expect("valid");
        })
    });

    c.bench_function("cms/sign_rsa2048", |b| {
        b.iter(|| signer.sign(&content, false, 1_795_000_000).expect("sign"))
    });
    let raw_key = RsaKeyPair::from_pkcs8(&key_der).expect("key");
    let rng = ring::rand::SystemRandom::new();
    let mut out = vec![0u8; raw_key.public().modulus_len()];
    c.bench_function("raw/rsa2048_sign", |b| {
        b.iter(|| {
            raw_key
                .sign(&RSA_PKCS1_SHA256, &rng, &attrs, &mut out)
                .expect("sign")
        })
    });
}

/// Two loopback OCSP responders (`openssl ocsp`, the OpenSSL CLI) over one index where every serial of `good` is
/// valid: the interop CA's and the root's, in that order. Needs the OpenSSL CLI (Debian package `openssl`).
fn openssl_responders(good: &[Vec<u8>]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("dir").keep();
    for f in ["inter.pem", "inter.key", "root.pem", "root.key"] {
        std::fs::copy(format!("{FIXTURES}/{f}"), dir.join(f)).expect("fixture");
    }
    let index: String = good
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let hex: String = s.iter().map(|b| format!("{b:02X}")).collect();
            // Subjects differ: OpenSSL refuses an index with two equal subjects.
            format!("V\t301231235959Z\t\t{hex}\tunknown\t/CN=x{i}\n")
        })
        .collect();
    std::fs::write(dir.join("index.txt"), index).expect("index");
    ["inter", "root"]
        .into_iter()
        .map(|ca| {
            let mode = std::sync::Arc::new(std::sync::Mutex::new(Mode::Sign(ca, ca)));
            loopback::openssl_ocsp_responder(dir.clone(), mode)
        })
        .collect()
}

criterion_group!(cms_benches, benches);
criterion_main!(cms_benches);
