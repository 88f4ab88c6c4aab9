//! COSE_Sign1 (RFC 9052) in the shape the seal uses: protected {alg, kid}, unprotected {} or {x5chain}, a CBOR
//! payload, and a signature in COSE form (ECDSA as r ‖ s).

use ciborium::value::{Integer, Value};

use crate::encoding::oid::{signature, ObjectIdentifier};

/// COSE algorithm identifiers the seal uses (RFC 9053, RFC 8812).
pub(super) const ES256: i64 = -7;
pub(super) const ES384: i64 = -35;
pub(super) const RS256: i64 = -257;
/// GOST R 34.10-2015 with Streebog, the NCA's encodings (signature as in X.509: r ‖ s little-endian). COSE has
/// registered no GOST algorithm: these are from the private-use range (below −65536), documented in docs/seal.md.
pub(super) const GOST512_NCA: i64 = -65_537;
pub(super) const GOST256_NCA: i64 = -65_538;

const HEADER_ALG: i64 = 1;
const HEADER_KID: i64 = 4;
const HEADER_X5CHAIN: i64 = 33;
const TAG_SIGN1: u64 = 18;

/// The X.509 signature algorithm OID of a COSE algorithm, and the ECDSA coordinate size (0: the signature is
/// carried as X.509 carries it — RSA, GOST).
pub(super) fn x509_algorithm(alg: i64) -> Option<(ObjectIdentifier, usize)> {
    Some(match alg {
        ES256 => (signature::ECDSA_SHA256, 32),
        ES384 => (signature::ECDSA_SHA384, 48),
        RS256 => (signature::RSA_SHA256, 0),
        GOST512_NCA => (signature::GOST_NCA_512, 0),
        GOST256_NCA => (signature::GOST_NCA_256, 0),
        _ => return None,
    })
}

/// The COSE algorithm of an X.509 signature algorithm OID.
pub(super) fn cose_algorithm(oid: &ObjectIdentifier) -> Option<i64> {
    Some(match *oid {
        signature::ECDSA_SHA256 => ES256,
        signature::ECDSA_SHA384 => ES384,
        signature::RSA_SHA256 => RS256,
        signature::GOST_NCA_512 => GOST512_NCA,
        signature::GOST_NCA_256 => GOST256_NCA,
        _ => return None,
    })
}

/// A decoded COSE_Sign1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sign1 {
    /// The protected header exactly as encoded (it is signed as bytes).
    pub protected: Vec<u8>,
    pub alg: i64,
    pub kid: Vec<u8>,
    /// The signer's certificate (full mode).
    pub x5chain: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

fn int(v: i64) -> Value {
    Value::Integer(Integer::from(v))
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing CBOR into a Vec cannot fail.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

/// The protected header for `alg` and `kid`.
pub(super) fn protected_header(alg: i64, kid: &[u8]) -> Vec<u8> {
    cbor(&Value::Map(vec![
        (int(HEADER_ALG), int(alg)),
        (int(HEADER_KID), Value::Bytes(kid.to_vec())),
    ]))
}

/// The bytes a COSE_Sign1 signature covers: Sig_structure = ["Signature1", protected, h'', payload].
pub(super) fn to_be_signed(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    cbor(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

/// Encodes a COSE_Sign1 (tag 18).
pub(super) fn encode(
    protected: &[u8],
    x5chain: Option<&[u8]>,
    payload: &[u8],
    signature: &[u8],
) -> Vec<u8> {
    let unprotected = match x5chain {
        Some(cert) => vec![(int(HEADER_X5CHAIN), Value::Bytes(cert.to_vec()))],
        None => Vec::new(),
    };
    cbor(&Value::Tag(
        TAG_SIGN1,
        Box::new(Value::Array(vec![
            Value::Bytes(protected.to_vec()),
            Value::Map(unprotected),
            Value::Bytes(payload.to_vec()),
            Value::Bytes(signature.to_vec()),
        ])),
    ))
}

fn map_get(map: &[(Value, Value)], key: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == i128::from(key)))
        .map(|(_, v)| v)
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

/// Decodes a COSE_Sign1; `Err` names what is wrong.
pub(super) fn decode(bytes: &[u8]) -> Result<Sign1, &'static str> {
    let value: Value = ciborium::from_reader(bytes).map_err(|_| "not CBOR")?;
    let array = match value {
        Value::Tag(TAG_SIGN1, inner) => match *inner {
            Value::Array(a) => a,
            _ => return Err("COSE_Sign1 is not an array"),
        },
        Value::Array(a) => a,
        _ => return Err("not a COSE_Sign1"),
    };
    let [Value::Bytes(protected), Value::Map(unprotected), Value::Bytes(payload), Value::Bytes(signature)] =
        <[Value; 4]>::try_from(array).map_err(|_| "COSE_Sign1 needs four elements")?
    else {
        return Err("COSE_Sign1 elements have the wrong types");
    };
    let header: Value =
        ciborium::from_reader(&protected[..]).map_err(|_| "protected header is not CBOR")?;
    let Value::Map(header) = header else {
        return Err("protected header is not a map");
    };
    let alg = map_get(&header, HEADER_ALG)
        .and_then(as_i64)
        .ok_or("no algorithm in the protected header")?;
    let kid = match map_get(&header, HEADER_KID) {
        Some(Value::Bytes(k)) => k.clone(),
        _ => return Err("no key id in the protected header"),
    };
    let x5chain = match map_get(&unprotected, HEADER_X5CHAIN) {
        None => None,
        Some(Value::Bytes(c)) => Some(c.clone()),
        // A chain as an array: the signer's certificate comes first.
        Some(Value::Array(a)) => match a.first() {
            Some(Value::Bytes(c)) => Some(c.clone()),
            _ => return Err("x5chain is malformed"),
        },
        Some(_) => return Err("x5chain is malformed"),
    };
    Ok(Sign1 {
        protected,
        alg,
        kid,
        x5chain,
        payload,
        signature,
    })
}

/// ECDSA signature DER → COSE r ‖ s, each `size` bytes.
pub(super) fn ecdsa_der_to_raw(der: &[u8], size: usize) -> Option<Vec<u8>> {
    let seq = crate::encoding::asn1::Reader::new(der)
        .read(crate::encoding::asn1::SEQUENCE)
        .ok()?;
    let mut r = crate::encoding::asn1::Reader::new(seq.value);
    let mut out = Vec::with_capacity(2 * size);
    for _ in 0..2 {
        let int = r.read(crate::encoding::asn1::INTEGER).ok()?.value;
        let trimmed: Vec<u8> = int.iter().copied().skip_while(|b| *b == 0).collect();
        if trimmed.len() > size {
            return None;
        }
        out.extend(std::iter::repeat_n(0u8, size - trimmed.len()));
        out.extend(trimmed);
    }
    Some(out)
}

/// COSE r ‖ s → ECDSA signature DER.
pub(super) fn ecdsa_raw_to_der(raw: &[u8], size: usize) -> Option<Vec<u8>> {
    if raw.len() != 2 * size {
        return None;
    }
    let integer = |half: &[u8]| {
        let trimmed: Vec<u8> = half.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = if trimmed.first().is_some_and(|b| b & 0x80 != 0) || trimmed.is_empty() {
            vec![0]
        } else {
            Vec::new()
        };
        v.extend(trimmed);
        crate::encoding::asn1::encode(crate::encoding::asn1::INTEGER, &v)
    };
    let body = [integer(&raw[..size]), integer(&raw[size..])].concat();
    Some(crate::encoding::asn1::encode(
        crate::encoding::asn1::SEQUENCE,
        &body,
    ))
}
