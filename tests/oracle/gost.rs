//! GOST R 34.10-2012 / R 34.11-2012 against an independent implementation, the Python package `gostcrypto`
//! (PyPI): its Streebog digests equal ours, and signatures it makes on every TC26 curve verify here through the
//! signature-algorithm registry, in both the NCA and the RFC 9215 encodings; a changed message or signature
//! does not.

use crate::common;
use crate::common::der::{der, oid_der, unhex};
use qoltanba::{AlgorithmId, AlgorithmRegistry, PublicKeyInfo};
use serde_json::Value;

/// Signs with gostcrypto on every curve. gostcrypto reads digests, keys and signatures as big-endian numbers;
/// the script converts to the NCA's little-endian layouts, which is what certificates carry.
const SCRIPT: &str = r#"
import json, gostcrypto
from gostcrypto import gostsignature, gosthash
curves = {
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.7.1.2.1.2.1": "id-tc26-gost-3410-12-512-paramSetA",
    "1.2.643.7.1.2.1.2.2": "id-tc26-gost-3410-12-512-paramSetB",
    "1.2.643.7.1.2.1.2.3": "id-tc26-gost-3410-2012-512-paramSetC",
}
out = []
for i, (oid, name) in enumerate(curves.items()):
    size = 64 if "512" in name else 32
    mode = gostsignature.MODE_512 if size == 64 else gostsignature.MODE_256
    curve = gostsignature.CURVES_R_1323565_1_024_2019[name]
    signer = gostsignature.new(mode, curve)
    q = curve["q"]
    private = ((0x1234567 * (i + 3)) ** 9 % q).to_bytes(size, "big")
    public = signer.public_key_generate(bytearray(private))
    message = ("Өтініш №%d: ЖСН 870412300129" % i).encode("utf-8")
    digest = gosthash.new("streebog512" if size == 64 else "streebog256", data=message).digest()
    # Ours reads the digest little-endian: hand gostcrypto the reversed bytes, so both sign the same number.
    signature = signer.sign(bytearray(private), bytearray(reversed(digest)))
    r, s = signature[:size], signature[size:]
    x, y = public[:size], public[size:]
    out.append({
        "curve": oid, "size": size, "message": message.hex(), "digest": bytes(digest).hex(),
        "key_le": (bytes(reversed(x)) + bytes(reversed(y))).hex(),
        "signature_nca": (bytes(reversed(r)) + bytes(reversed(s))).hex(),
    })
print(json.dumps(out))
"#;

#[test]
fn gostcrypto_signatures_verify_on_every_curve() {
    let _machine = crate::common::shared_machine();
    common::tools::need_python_module("gostcrypto", "gostcrypto");
    let cases: Vec<Value> =
        serde_json::from_slice(&common::tools::run_python(SCRIPT, b"")).expect("json");
    assert_eq!(cases.len(), 7);
    let registry = AlgorithmRegistry::global();
    for case in &cases {
        let curve = case["curve"].as_str().expect("curve");
        let size = case["size"].as_u64().expect("size") as usize;
        let message = unhex(case["message"].as_str().expect("message"));
        let key = PublicKeyInfo {
            algorithm: AlgorithmId::new(
                if size == 64 {
                    oid("1.2.643.7.1.1.1.2")
                } else {
                    oid("1.2.643.7.1.1.1.1")
                },
                Some(der(0x30, &oid_der(curve))),
            ),
            key: der(0x04, &unhex(case["key_le"].as_str().expect("key"))),
        };
        let nca = unhex(case["signature_nca"].as_str().expect("signature"));
        let (nca_oid, rfc_oid) = if size == 64 {
            (oid("1.2.398.3.10.1.1.2.3.2"), oid("1.2.643.7.1.1.3.3"))
        } else {
            (oid("1.2.398.3.10.1.1.2.3.1"), oid("1.2.643.7.1.1.3.2"))
        };
        registry
            .verify(&AlgorithmId::new(nca_oid, None), &key, &message, &nca)
            .unwrap_or_else(|e| panic!("{curve}: {e}"));
        // RFC 9215 carries the same signature as s ‖ r big-endian: the bytes reversed.
        let rfc: Vec<u8> = nca.iter().rev().copied().collect();
        registry
            .verify(&AlgorithmId::new(rfc_oid, None), &key, &message, &rfc)
            .unwrap_or_else(|e| panic!("{curve} (RFC layout): {e}"));

        let mut other = message.clone();
        other[0] ^= 1;
        assert!(registry
            .verify(&AlgorithmId::new(nca_oid, None), &key, &other, &nca)
            .is_err());
        let mut bad = nca.clone();
        bad[size + 3] ^= 0x40;
        assert!(registry
            .verify(&AlgorithmId::new(nca_oid, None), &key, &message, &bad)
            .is_err());
        // A 512-bit signature OID with a 256-bit key (or the reverse) is a key mismatch, not a pass.
        let wrong = if size == 64 {
            oid("1.2.398.3.10.1.1.2.3.1")
        } else {
            oid("1.2.398.3.10.1.1.2.3.2")
        };
        assert!(registry
            .verify(&AlgorithmId::new(wrong, None), &key, &message, &nca)
            .is_err());
    }
}

/// Streebog-256 and -512 of messages of many lengths (block boundaries included) equal gostcrypto's.
#[test]
fn streebog_digests_match_gostcrypto() {
    let _machine = crate::common::shared_machine();
    common::tools::need_python_module("gostcrypto", "gostcrypto");
    let script = r#"
import json
from gostcrypto import gosthash
out = []
for n in [0, 1, 31, 32, 63, 64, 65, 127, 128, 1000]:
    m = bytes((i * 7 + n) % 256 for i in range(n))
    out.append([m.hex(), gosthash.new("streebog256", data=m).hexdigest(), gosthash.new("streebog512", data=m).hexdigest()])
print(json.dumps(out))
"#;
    let cases: Vec<(String, String, String)> =
        serde_json::from_slice(&common::tools::run_python(script, b"")).expect("json");
    for (m, h256, h512) in cases {
        let m = unhex(&m);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        use qoltanba::Streebog;
        assert_eq!(
            hex(&Streebog::Bits256.digest(&m)),
            h256,
            "{} bytes",
            m.len()
        );
        assert_eq!(
            hex(&Streebog::Bits512.digest(&m)),
            h512,
            "{} bytes",
            m.len()
        );
    }
}

pub(crate) fn nca_dir() -> std::path::PathBuf {
    common::tools::conformance_dir().join("nca-test-pki/gost2015")
}

/// The command-line options that trust the NCA test PKI: its 2022 root, its CA and the CA's CRL, revocation of the
/// leaf (the conformance data has no CRL of the root).
pub(crate) fn nca_trust_args() -> Vec<String> {
    let g = nca_dir();
    let p = |s: &str| g.join(s).to_string_lossy().into_owned();
    [
        "--trust".to_string(),
        p("root_test_gost_2022.cer"),
        "--intermediates".to_string(),
        p("nca_gost2022_test.cer"),
        "--crl".to_string(),
        p("nca_gost2022_test.crl"),
        "--revocation".to_string(),
        "leaf".to_string(),
    ]
    .into()
}

/// `qoltanba` with `args` followed by [`nca_trust_args`]: the exit code and the JSON report.
pub(crate) fn run_json_trusting_nca(args: &[&str]) -> (i32, serde_json::Value) {
    let trust = nca_trust_args();
    let all: Vec<&str> = args
        .iter()
        .copied()
        .chain(trust.iter().map(String::as_str))
        .collect();
    common::run_json(&all)
}

/// The NCA test PKI's legal-entity head (GOST R 34.10-2015 512): its key file (password Qwerty12) and certificate.
pub(crate) fn nca_head_signer() -> qoltanba::CmsSigner {
    let g = nca_dir();
    let identity = qoltanba::read_signing_identity(
        &std::fs::read(g.join("legal/valid/head.p12")).expect("p12"),
        Some("Qwerty12"),
    )
    .expect("key");
    let cert = qoltanba::load_certificates(&g.join("pem/legal_valid_head.pem"))
        .expect("cert")
        .remove(0);
    qoltanba::CmsSigner::from_identity(identity, Some(cert), Vec::new()).expect("signer")
}

/// The NCA key files (PKCS#12, BER, 3DES key bag) with their certificates, and whether the CRL revokes them.
const NCA_KEYS: &[(&str, &str, bool)] = &[
    (
        "individual/valid/individual_valid.p12",
        "pem/individual_valid_individual_valid.pem",
        false,
    ),
    (
        "individual/revoked/individual_revoked.p12",
        "pem/individual_revoked_individual_revoked.pem",
        true,
    ),
    ("legal/valid/head.p12", "pem/legal_valid_head.pem", false),
    (
        "legal/valid/employee_signright.p12",
        "pem/legal_valid_employee_signright.pem",
        false,
    ),
    (
        "legal/valid/treasury_client.p12",
        "pem/legal_valid_treasury_client.pem",
        false,
    ),
    (
        "legal/valid/employee.p12",
        "pem/legal_valid_employee.pem",
        true,
    ),
    (
        "legal/valid/infosystem.p12",
        "pem/legal_valid_infosystem.pem",
        true,
    ),
];

/// `qoltanba sign-cms --key` with the NCA test key file `key` (under [`nca_dir`]; password Qwerty12: key and
/// certificate come from the file) over `content`, into `out`.
fn sign_with_nca_key_file(key: &str, content: &std::path::Path, out: &std::path::Path) {
    let (code, stdout, stderr) = common::run_qoltanba(&[
        "sign-cms",
        "--key",
        &nca_dir().join(key).to_string_lossy(),
        "--password",
        "Qwerty12",
        "--in",
        &content.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{key}: {stdout}{stderr}");
}

/// `qoltanba sign-cms` with each NCA test key file alone (password Qwerty12: key and certificate come from the
/// file), then `verify-cms`: the valid keys' signatures verify, the revoked keys' are `CERT_REVOKED`; a wrong
/// password is a clear error.
#[test]
fn nca_key_files_sign_cms_that_verifies() {
    let _machine = crate::common::shared_machine();
    let g = nca_dir();
    let dir = tempfile::tempdir().expect("tempdir");
    let content = dir.path().join("request.json");
    std::fs::write(&content, r#"{"service":"licence.private-bailiff"}"#).expect("write");
    let p = |s: &str| g.join(s).to_string_lossy().into_owned();
    for (i, (key, cert, revoked)) in NCA_KEYS.iter().enumerate() {
        let out = dir.path().join(format!("{i}.p7s"));
        sign_with_nca_key_file(key, &content, &out);
        let (code, report) =
            run_json_trusting_nca(&["verify-cms", "--cms", &out.to_string_lossy()]);
        // Signed by the key file's own certificate (read from its RC2-40 encrypted certificate bag).
        let expected = qoltanba::load_certificates(&g.join(cert)).expect("pem");
        assert_eq!(
            report["chain"][0]["serial"],
            expected[0].serial_hex(),
            "{key}"
        );
        if *revoked {
            assert_eq!(code, 1, "{key}: {report}");
            assert_eq!(common::codes(&report), ["CERT_REVOKED"], "{key}");
        } else {
            assert_eq!(code, 0, "{key}: {report}");
            assert_eq!(
                report["signers"][0]["signatureAlgorithm"], "GOST R 34.10-2015 512-bit (NCA)",
                "{key}"
            );
        }
    }
    let (code, _, stderr) = common::run_qoltanba(&[
        "sign-cms",
        "--key",
        &p(NCA_KEYS[0].0),
        "--password",
        "wrong",
        "--cert",
        &p(NCA_KEYS[0].1),
        "--in",
        &content.to_string_lossy(),
        "--out",
        &dir.path().join("x").to_string_lossy(),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("MAC") || stderr.contains("password"),
        "{stderr}"
    );
}

/// Signatures we make verify in gostcrypto: the NCA key (512-bit set A) and keys on 256-bit set A and 512-bit
/// set C given as PKCS#8 with the RFC 9215 OIDs. Signing is deterministic.
#[test]
fn our_gost_signatures_verify_in_gostcrypto() {
    let _machine = crate::common::shared_machine();
    common::tools::need_python_module("gostcrypto", "gostcrypto");
    let g = nca_dir();
    let nca = qoltanba::read_signing_identity(
        &std::fs::read(g.join(NCA_KEYS[0].0)).expect("p12"),
        Some("Qwerty12"),
    )
    .expect("NCA key")
    .key;
    let pkcs8 = |key_oid: &str, curve_oid: &str, size: usize, d: u8| -> Vec<u8> {
        let mut scalar = vec![d; size];
        scalar[size - 1] = 0x01; // little-endian: keep it below q
        let alg = der(
            0x30,
            &[oid_der(key_oid), der(0x30, &oid_der(curve_oid))].concat(),
        );
        der(
            0x30,
            &[der(0x02, &[0]), alg, der(0x04, &der(0x04, &scalar))].concat(),
        )
    };
    let keys: Vec<(Box<dyn qoltanba::SigningKey>, &str, usize)> = vec![
        (nca, "id-tc26-gost-3410-12-512-paramSetA", 64),
        (
            qoltanba::signing_key_from_pkcs8(&pkcs8(
                "1.2.643.7.1.1.1.1",
                "1.2.643.7.1.2.1.1.1",
                32,
                0x5a,
            ))
            .expect("256-bit key"),
            "id-tc26-gost-3410-2012-256-paramSetA",
            32,
        ),
        (
            qoltanba::signing_key_from_pkcs8(&pkcs8(
                "1.2.643.7.1.1.1.2",
                "1.2.643.7.1.2.1.2.3",
                64,
                0x33,
            ))
            .expect("512-bit C key"),
            "id-tc26-gost-3410-2012-512-paramSetC",
            64,
        ),
    ];
    let mut cases = Vec::new();
    for (key, curve, size) in &keys {
        let message = format!("Анықтама {curve}").into_bytes();
        let signature = key.sign(&message).expect("sign");
        assert_eq!(
            key.sign(&message).expect("sign"),
            signature,
            "deterministic"
        );
        // Back to our own verifier through the registry, by the key's own signature OID.
        AlgorithmRegistry::global()
            .verify(
                &key.signature_algorithm(),
                &key.public_key(),
                &message,
                &signature,
            )
            .expect("verifies here");
        // NCA layout is r ‖ s little-endian; RFC layout the whole reversed.
        let nca_layout: Vec<u8> = if key
            .signature_algorithm()
            .oid
            .to_string()
            .starts_with("1.2.398.")
        {
            signature.clone()
        } else {
            signature.iter().rev().copied().collect()
        };
        let spki = key.public_key().key;
        let point = qoltanba::asn1::Reader::new(&spki)
            .read(0x04)
            .expect("OCTET STRING")
            .value
            .to_vec();
        cases.push(serde_json::json!({
            "curve": curve, "size": size,
            "message": message.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "key_le": point.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "sig_nca": nca_layout.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        }));
    }
    let script = r#"
import json, sys
from gostcrypto import gostsignature, gosthash
ok = []
for c in json.loads(sys.stdin.read()):
    size = c["size"]
    m = bytes.fromhex(c["message"]); key = bytes.fromhex(c["key_le"]); sig = bytes.fromhex(c["sig_nca"])
    x, y = key[:size][::-1], key[size:][::-1]
    r, s = sig[:size][::-1], sig[size:][::-1]
    digest = gosthash.new("streebog512" if size == 64 else "streebog256", data=m).digest()
    v = gostsignature.new(gostsignature.MODE_512 if size == 64 else gostsignature.MODE_256,
                          gostsignature.CURVES_R_1323565_1_024_2019[c["curve"]])
    ok.append(v.verify(bytearray(x + y), bytearray(digest[::-1]), bytearray(r + s)))
print(json.dumps(ok))
"#;
    let stdout = common::tools::run_python(
        script,
        serde_json::to_string(&cases).expect("json").as_bytes(),
    );
    let verdicts: Vec<bool> = serde_json::from_slice(&stdout).expect("json");
    assert_eq!(verdicts, [true, true, true]);
}

/// A provider whose authorised person holds an NCA GOST key issues and seals a licence; `qoltanba
/// verify-document` accepts it against the NCA trust store.
#[test]
fn a_gost_provider_issues_documents_that_verify() {
    let _machine = crate::common::shared_machine();
    let g = nca_dir();
    let signer = nca_head_signer();
    let form = "licence.security";
    let sample = qoltanba::form(form).expect("form").sample();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let dir = tempfile::tempdir().expect("tempdir");
    for mode in [qoltanba::SealMode::Compact, qoltanba::SealMode::Full] {
        let doc = qoltanba::issue(
            form,
            &sample,
            "licence.security-2026-000001",
            now,
            Some(qoltanba::Sealing {
                signer: &signer,
                mode,
            }),
        )
        .expect("issue");
        let path = dir.path().join(format!("{mode:?}.pdf"));
        std::fs::write(&path, &doc.pdf).expect("write");
        let p = |s: &str| g.join(s).to_string_lossy().into_owned();
        let (code, report) = run_json_trusting_nca(&[
            "verify-document",
            &path.to_string_lossy(),
            "--issuer-cert",
            &p("pem/legal_valid_head.pem"),
        ]);
        assert_eq!(code, 0, "{mode:?}: {report}");
        assert_eq!(report["valid"], true);
    }
}

/// An OID written out, so the tests name algorithms independently of the library's table.
fn oid(dotted: &str) -> qoltanba::oid::ObjectIdentifier {
    qoltanba::oid::ObjectIdentifier::new_unwrap(dotted)
}

/// A TSA that records what it was asked and refuses.
struct RecordingTsa(std::sync::Mutex<Vec<(qoltanba::DigestAlgorithm, usize)>>);

impl qoltanba::Timestamper for RecordingTsa {
    fn stamp(
        &self,
        data: &[u8],
        algorithm: qoltanba::DigestAlgorithm,
    ) -> Result<Vec<u8>, qoltanba::TspError> {
        self.0.lock().expect("lock").push((algorithm, data.len()));
        Err(qoltanba::TspError::Unavailable("recorded".into()))
    }

    fn token_size_bound(&self) -> usize {
        1024
    }
}

/// The imprint a signer asks its TSA for: Streebog-512 over the signature value for a GOST signer (the NCA's TSA
/// stamps GOST signatures so), SHA-256 for the others (here ECDSA); a TSA that fails fails the signature.
#[test]
fn a_gost_signer_asks_its_tsa_for_a_streebog_512_imprint() {
    let _machine = crate::common::shared_machine();
    let tsa = std::sync::Arc::new(RecordingTsa(Default::default()));
    let gost = nca_head_signer().with_timestamper(tsa.clone());
    let ecdsa = common::demo_signer("individual-sign").with_timestamper(tsa.clone());
    for signer in [&gost, &ecdsa] {
        let err = signer
            .sign(b"content", true, 1_795_428_000)
            .expect_err("no token");
        assert!(matches!(err, qoltanba::CmsError::Timestamp(_)), "{err}");
    }
    let asked = tsa.0.lock().expect("lock").clone();
    let algorithms: Vec<_> = asked.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        algorithms,
        [
            qoltanba::DigestAlgorithm::Streebog512,
            qoltanba::DigestAlgorithm::Sha256
        ]
    );
    // Over the signature value: 128 bytes for GOST 2015-512, a DER ECDSA P-256 signature for the demo key.
    assert_eq!(asked[0].1, 128);
    assert!((68..=72).contains(&asked[1].1), "{asked:?}");
}

/// A node trusting the NCA test PKI, sealing with the NCA legal-entity head's key file, verifies GOST CMS over
/// HTTP. The conformance data has the CA's CRL but none of the root for the CA's own certificate: with the default
/// `[revocation] scope` (`chain`) the node refuses to start (`REVOCATION_UNKNOWN`, the signer checked along the
/// whole path); with `scope = "leaf"` it starts, a valid NCA individual's signature verifies, and a revoked one is
/// still `CERT_REVOKED` (the end entity is checked). Times pinned inside the data's validity.
#[test]
fn a_node_trusting_the_nca_verifies_gost_cms_over_http_with_leaf_revocation() {
    use base64::Engine;
    let _machine = crate::common::shared_machine();
    let pinned = 1_796_083_200; // 2026-12-01T00:00:00Z
    let g = nca_dir();
    let p = |s: &str| g.join(s).to_string_lossy().into_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = |scope: &str| {
        let path = dir.path().join(format!("qoltanba-{scope}.toml"));
        let revocation = if scope.is_empty() {
            String::new()
        } else {
            format!("\n[revocation]\nscope = \"{scope}\"\n")
        };
        std::fs::write(
            &path,
            format!(
                "listen = \"127.0.0.1:9999\"\ndata = \"state\"\n\n[trust]\nanchors = [{root:?}]\nintermediates = [{ca:?}]\ncrls = [{crl:?}]\n\n[signer]\nkey = {key:?}\npassword_env = \"NCA_TEST_PASSWORD\"\n{revocation}",
                root = p("root_test_gost_2022.cer"),
                ca = p("nca_gost2022_test.cer"),
                crl = p("nca_gost2022_test.crl"),
                key = p("legal/valid/head.p12"),
            ),
        )
        .expect("write");
        qoltanba::ServiceConfig::load(Some(&path), |name| {
            (name == "NCA_TEST_PASSWORD").then(|| "Qwerty12".to_string())
        })
        .expect("config")
    };
    let registry = || std::sync::Arc::new(qoltanba::SqliteRegistry::in_memory().expect("registry"));
    let refused = config("")
        .node(registry(), pinned)
        .err()
        .expect("refused")
        .to_string();
    assert!(refused.contains("REVOCATION_UNKNOWN"), "{refused}");
    let leaf = config("leaf");
    let node = leaf
        .node(registry(), pinned)
        .expect("a node with leaf revocation");
    let addr = common::client::serve(
        qoltanba::AppState::with(node, qoltanba::Limits::default()),
        None,
    );
    let content = dir.path().join("request.json");
    std::fs::write(&content, r#"{"service":"licence.private-bailiff"}"#).expect("write");
    let b64 = base64::engine::general_purpose::STANDARD;
    for (key, revoked) in [
        ("individual/valid/individual_valid.p12", false),
        ("individual/revoked/individual_revoked.p12", true),
    ] {
        let out = dir.path().join("signed.p7s");
        sign_with_nca_key_file(key, &content, &out);
        let body = serde_json::json!({
            "cms": b64.encode(std::fs::read(&out).expect("cms")),
            "at": "2026-12-01T00:00:00Z",
        });
        let answer = common::client::post_json(addr, "/v1/verify/cms", &body);
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let report = answer.json();
        if revoked {
            assert_eq!(report["valid"], false, "{key}: {report}");
            assert_eq!(common::codes(&report), ["CERT_REVOKED"], "{key}");
        } else {
            assert_eq!(report["valid"], true, "{key}: {report}");
            assert_eq!(
                report["signers"][0]["signatureAlgorithm"],
                "GOST R 34.10-2015 512-bit (NCA)"
            );
        }
    }
}
