//! Hostile and broken input: every case gives a clear error and exit code 2 (with a MALFORMED report under
//! `--json`), never a panic; the parsers survive every truncation and bit flip of real certificates and CRLs.

use crate::common;
use qoltanba::{Certificate, Crl};

fn demo(name: &str) -> Vec<u8> {
    std::fs::read(common::project_dir().join("certs").join(name)).expect("demo file")
}

fn demo_der(name: &str, label: &str) -> Vec<u8> {
    qoltanba::der_blocks(&demo(name), &[label])
        .expect("pem")
        .remove(0)
}

/// A certificate whose serial number is `len` bytes (the signature no longer matches; parsing is what we test).
fn with_serial(der: &[u8], len: usize) -> Vec<u8> {
    use qoltanba::{asn1::encode, asn1::Reader};
    let cert = Reader::new(der).read_any().expect("certificate");
    let mut parts = Reader::new(cert.value);
    let tbs = parts.read_any().expect("tbs");
    let mut fields = Reader::new(tbs.value);
    let version = fields.read_any().expect("version");
    let _serial = fields.read_any().expect("serial");
    let mut serial = vec![0x01u8];
    serial.resize(len, 0x42);
    let body = [version.raw, &encode(0x02, &serial), fields.remaining()].concat();
    let rest_of_cert = &cert.value[tbs.raw.len()..];
    encode(
        0x30,
        &[encode(0x30, &body).as_slice(), rest_of_cert].concat(),
    )
}

#[test]
fn cli_rejects_bad_files_with_exit_code_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = |name: &str, data: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, data).expect("write");
        p.to_string_lossy().into_owned()
    };
    let cert = demo_der("individual-sign.pem", "CERTIFICATE");
    let big = dir.path().join("big.bin");
    std::fs::File::create(&big)
        .expect("create")
        .set_len(50 * 1024 * 1024)
        .expect("50 MB");
    let big = big.to_string_lossy().into_owned();
    let cases: Vec<(&str, String)> = vec![
        ("empty", file("empty.der", b"")),
        ("whitespace", file("blank.pem", b"  \n\n ")),
        ("truncated DER", file("trunc.der", &cert[..cert.len() / 2])),
        (
            "garbage DER",
            file("garbage.der", &[0x30, 0x82, 0xff, 0xff, 1, 2, 3, 4]),
        ),
        ("not DER at all", file("text.txt", b"hello, world")),
        (
            "PEM with junk inside",
            file(
                "junk.pem",
                b"-----BEGIN CERTIFICATE-----\nMIIB$$$$junk\n-----END CERTIFICATE-----\n",
            ),
        ),
        (
            "PEM without END",
            file("noend.pem", b"-----BEGIN CERTIFICATE-----\nMIIB\n"),
        ),
        (
            "PEM of a key",
            file("key.pem", &demo("individual-sign.key.pem")),
        ),
        (
            "trailing bytes",
            file("trailing.der", &[cert.clone(), vec![0, 0]].concat()),
        ),
        ("huge serial", file("serial.der", &with_serial(&cert, 300))),
        ("50 MB file", big.clone()),
        (
            "missing file",
            dir.path().join("nope.pem").to_string_lossy().into_owned(),
        ),
    ];
    for (what, path) in &cases {
        let (code, stdout, stderr) = common::run_qoltanba(&[
            "verify-cert",
            "--cert",
            path,
            "--trust",
            "certs/root-ca.pem",
            "--json",
        ]);
        assert_eq!(code, 2, "{what}: {stdout}{stderr}");
        assert!(stderr.starts_with("error: "), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).expect("MALFORMED report");
        assert_eq!(common::codes(&report), vec!["MALFORMED"], "{what}");
    }
    // The same inputs as trust anchors or CRLs.
    for (what, path) in &cases {
        for flag in ["--trust", "--crl", "--intermediates"] {
            let (code, _, stderr) = common::run_qoltanba(&[
                "verify-cert",
                "--cert",
                "certs/individual-sign.pem",
                "--trust",
                "certs/root-ca.pem",
                flag,
                path,
            ]);
            assert_eq!(code, 2, "{flag} {what}: {stderr}");
            assert!(!stderr.contains("panicked"), "{flag} {what}: {stderr}");
        }
    }
    // Bad options.
    for args in [
        vec!["--at", "yesterday"],
        vec!["--purpose", "everything"],
        vec!["--revocation", "sometimes"],
        vec!["--iin", "８７０４１２３００１２９"],
    ] {
        let mut all = vec![
            "verify-cert",
            "--cert",
            "certs/individual-sign.pem",
            "--trust",
            "certs/root-ca.pem",
        ];
        all.extend(args.iter());
        let (code, _, stderr) = common::run_qoltanba(&all);
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
    let (code, _, _) =
        common::run_qoltanba(&["verify-cert", "--cert", "certs/individual-sign.pem"]);
    assert_eq!(code, 2, "--trust is required");
}

#[test]
fn serial_numbers_up_to_the_limit_parse() {
    let cert = demo_der("individual-sign.pem", "CERTIFICATE");
    assert!(Certificate::from_der(&with_serial(&cert, 20)).is_ok());
    assert!(Certificate::from_der(&with_serial(&cert, 32)).is_ok());
    assert!(matches!(
        Certificate::from_der(&with_serial(&cert, 33)),
        Err(qoltanba::CertError::SerialTooLong(33))
    ));
}

#[test]
fn parsers_survive_every_truncation_and_bit_flip() {
    let cert = demo_der("legal-head.pem", "CERTIFICATE");
    let crl = demo_der("crl/issuing-ca.crl", "X509 CRL");
    let store = qoltanba::build_store(
        &[common::project_dir().join("certs/root-ca.pem")],
        &[common::project_dir().join("certs/issuing-ca.pem")],
        &[common::project_dir().join("certs/crl")],
    )
    .expect("demo store");
    let opts = qoltanba::VerifyOptions::at(common::unix("2026-12-01T00:00:00Z"));
    let mut verified_mutants = 0;
    for input in [&cert, &crl] {
        for cut in 0..input.len() {
            let _ = Certificate::from_der(&input[..cut]);
            let _ = Crl::from_der(&input[..cut]);
        }
        for i in 0..input.len() {
            for bit in 0..8 {
                let mut m = input.clone();
                m[i] ^= 1 << bit;
                if let Ok(c) = Certificate::from_der(&m) {
                    // A mutant that still parses goes through validation; only the original is valid.
                    let report = store.verify_certificate(&c, &[], &opts);
                    assert!(
                        !report.valid
                            || m == *input
                            || c.tbs()
                                == Certificate::from_der(input)
                                    .map(|o| o.tbs().to_vec())
                                    .unwrap_or_default(),
                        "a mutated certificate validated"
                    );
                    verified_mutants += 1;
                }
                let _ = Crl::from_der(&m);
            }
        }
    }
    assert!(
        verified_mutants > 100,
        "only {verified_mutants} mutants parsed"
    );
    assert!(Certificate::from_der(&cert).is_ok());
    assert!(Crl::from_der(&crl).is_ok());
    assert!(Crl::from_der(&cert).is_err(), "a certificate is not a CRL");
    assert!(
        Certificate::from_der(&crl).is_err(),
        "a CRL is not a certificate"
    );
}

/// A sealed PDF cut short, with bytes overwritten, or with one digit changed (object offsets, stream lengths,
/// image sizes, the embedded data): `verify_document` answers every one — a report or an error — and never
/// panics. (6 000 such mutants ran clean once; the test runs 300, seeded, so a failure repeats.)
#[test]
fn verify_document_survives_mutated_pdfs() {
    let store = qoltanba::demo_trust_store().expect("store");
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let form = "licence.private-bailiff";
    let doc = qoltanba::issue(
        form,
        &qoltanba::form(form).expect("form").sample(),
        "QLT-2026-000003",
        common::unix("2026-11-23T10:00:00Z"),
        Some(qoltanba::Sealing {
            signer: &provider,
            mode: qoltanba::SealMode::Compact,
        }),
    )
    .expect("issue");
    let opts = qoltanba::VerifyOptions::at(0);
    let digits: Vec<usize> = (0..doc.pdf.len())
        .filter(|&i| doc.pdf[i].is_ascii_digit())
        .collect();
    // xorshift64: a fixed sequence, so a failing mutant is found again.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    for i in 0..300 {
        let mut m = doc.pdf.clone();
        match i % 3 {
            0 => m.truncate((next() % m.len()).max(6)),
            1 => {
                for _ in 0..1 + next() % 8 {
                    let at = next() % m.len();
                    m[at] = next() as u8;
                }
            }
            _ => {
                let at = digits[next() % digits.len()];
                m[at] = b'0' + (next() % 10) as u8;
            }
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            qoltanba::verify_document(common::trust(&store), &m, &opts)
        }));
        assert!(outcome.is_ok(), "mutant {i} made verify_document panic");
    }
}

/// An error that crosses a module keeps the error it came from as its `source()`: a key file holding a key of an
/// algorithm Qoltanba cannot sign with says so, and the crypto layer's error stays reachable beneath it.
#[test]
fn errors_keep_their_source_across_modules() {
    use std::error::Error;
    let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key");
    let err = match qoltanba::read_signing_identity(ed25519.serialize_pem().as_bytes(), None) {
        Ok(_) => panic!("an Ed25519 key cannot sign here"),
        Err(e) => e,
    };
    assert!(
        matches!(err, qoltanba::KeyFileError::Unsupported(_)),
        "{err:?}"
    );
    let source = err.source().expect("the crypto error beneath");
    assert!(
        source.downcast_ref::<qoltanba::CryptoError>().is_some(),
        "{source:?}"
    );
}
