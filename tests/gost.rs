//! GOST R 34.10-2012 / R 34.11-2012 against an independent implementation, the Python package `gostcrypto`
//! (PyPI): its Streebog digests equal ours, and signatures it makes on every TC26 curve verify here through the
//! signature-algorithm registry, in both the NCA and the RFC 9215 encodings; a changed message or signature
//! does not.

mod common;

use qoltanba::crypto::{AlgorithmId, AlgorithmRegistry, PublicKeyInfo};
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

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    qoltanba::der::encode(tag, contents)
}

fn oid_der(oid: &str) -> Vec<u8> {
    let arcs: Vec<u64> = oid.split('.').map(|a| a.parse().expect("arc")).collect();
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &arc in &arcs[2..] {
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.push(((rest & 0x7f) as u8) | 0x80);
            rest >>= 7;
        }
        chunk.reverse();
        body.extend(chunk);
    }
    der(0x06, &body)
}

#[test]
fn gostcrypto_signatures_verify_on_every_curve() {
    if !common::require_python_module("gostcrypto", "gostcrypto") {
        return;
    }
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(cases.len(), 7);
    let registry = AlgorithmRegistry::global();
    for case in &cases {
        let curve = case["curve"].as_str().expect("curve");
        let size = case["size"].as_u64().expect("size") as usize;
        let message = unhex(case["message"].as_str().expect("message"));
        let key = PublicKeyInfo {
            algorithm: AlgorithmId::new(
                if size == 64 {
                    "1.2.643.7.1.1.1.2"
                } else {
                    "1.2.643.7.1.1.1.1"
                },
                Some(der(0x30, &oid_der(curve))),
            ),
            key: der(0x04, &unhex(case["key_le"].as_str().expect("key"))),
        };
        let nca = unhex(case["signature_nca"].as_str().expect("signature"));
        let (nca_oid, rfc_oid) = if size == 64 {
            ("1.2.398.3.10.1.1.2.3.2", "1.2.643.7.1.1.3.3")
        } else {
            ("1.2.398.3.10.1.1.2.3.1", "1.2.643.7.1.1.3.2")
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
            "1.2.398.3.10.1.1.2.3.1"
        } else {
            "1.2.398.3.10.1.1.2.3.2"
        };
        assert!(registry
            .verify(&AlgorithmId::new(wrong, None), &key, &message, &nca)
            .is_err());
    }
}

/// Streebog-256 and -512 of messages of many lengths (block boundaries included) equal gostcrypto's.
#[test]
fn streebog_digests_match_gostcrypto() {
    if !common::require_python_module("gostcrypto", "gostcrypto") {
        return;
    }
    let script = r#"
import json
from gostcrypto import gosthash
out = []
for n in [0, 1, 31, 32, 63, 64, 65, 127, 128, 1000]:
    m = bytes((i * 7 + n) % 256 for i in range(n))
    out.append([m.hex(), gosthash.new("streebog256", data=m).hexdigest(), gosthash.new("streebog512", data=m).hexdigest()])
print(json.dumps(out))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases: Vec<(String, String, String)> = serde_json::from_slice(&out.stdout).expect("json");
    for (m, h256, h512) in cases {
        let m = unhex(&m);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        use qoltanba::crypto::gost::Streebog;
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
