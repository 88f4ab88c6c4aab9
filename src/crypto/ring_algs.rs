//! RSA (PKCS#1 v1.5 and PSS) and ECDSA (P-256, P-384) through ring.

use ring::signature::{self, VerificationAlgorithm};

use super::{AlgorithmRegistry, CryptoError, PublicKeyInfo, SignatureAlgorithm};
use crate::encoding::asn1::{self as asn1, Reader};

pub(super) const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
pub(super) const RSA_PSS: &str = "1.2.840.113549.1.1.10";
pub(super) const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
pub(super) const CURVE_P256: &str = "1.2.840.10045.3.1.7";
pub(super) const CURVE_P384: &str = "1.3.132.0.34";
const SHA1: &str = "1.3.14.3.2.26";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA384: &str = "2.16.840.1.101.3.4.2.2";
const SHA512: &str = "2.16.840.1.101.3.4.2.3";
const MGF1: &str = "1.2.840.113549.1.1.8";

/// RSA PKCS#1 v1.5 with a fixed hash. RSA keys below 2048 bits are refused by ring, which is what we want: the
/// NCA and PKITS both use 2048 bits or more.
struct RsaPkcs1 {
    name: &'static str,
    alg: &'static dyn VerificationAlgorithm,
}

fn require_key(key: &PublicKeyInfo, oid: &str) -> Result<(), CryptoError> {
    if key.algorithm.oid == oid {
        Ok(())
    } else {
        Err(CryptoError::KeyMismatch(format!(
            "signature needs a {oid} key, certificate has {}",
            key.algorithm.oid
        )))
    }
}

fn ring_verify(
    alg: &'static dyn VerificationAlgorithm,
    key: &PublicKeyInfo,
    message: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    signature::UnparsedPublicKey::new(alg, &key.key)
        .verify(message, sig)
        .map_err(|_| CryptoError::BadSignature)
}

impl SignatureAlgorithm for RsaPkcs1 {
    fn name(&self) -> &'static str {
        self.name
    }

    fn verify(
        &self,
        params: Option<&[u8]>,
        key: &PublicKeyInfo,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        if params.is_some() {
            return Err(CryptoError::UnsupportedAlgorithm(format!(
                "{} with parameters",
                self.name
            )));
        }
        require_key(key, RSA_ENCRYPTION)?;
        ring_verify(self.alg, key, message, sig)
    }
}

/// An AlgorithmIdentifier inside PSS parameters: OID and the DER of its parameters.
type ParsedAlgId = (String, Option<Vec<u8>>);

/// RSASSA-PSS. ring implements the profile everyone uses: MGF1 with the same hash and a salt as long as the hash.
/// Other parameter sets are reported as unsupported rather than guessed.
struct RsaPss;

impl RsaPss {
    fn pick(params: &[u8]) -> Result<&'static dyn VerificationAlgorithm, CryptoError> {
        let unsupported = |why: &str| CryptoError::UnsupportedAlgorithm(format!("RSA-PSS {why}"));
        let malformed = |_| unsupported("with malformed parameters");
        let mut outer = Reader::new(params);
        let seq = outer.read(asn1::SEQUENCE).map_err(malformed)?;
        let mut r = Reader::new(seq.value);
        let alg_oid = |tlv: Option<asn1::Tlv<'_>>| -> Result<Option<ParsedAlgId>, CryptoError> {
            let Some(tlv) = tlv else { return Ok(None) };
            let mut inner = Reader::new(tlv.value);
            let ai = inner.read(asn1::SEQUENCE).map_err(malformed)?;
            let mut ai = Reader::new(ai.value);
            let oid = asn1::oid_to_string(ai.read(asn1::OID).map_err(malformed)?.value)
                .map_err(malformed)?;
            let rest = if ai.is_empty() {
                None
            } else {
                Some(ai.read_any().map_err(malformed)?.raw.to_vec())
            };
            Ok(Some((oid, rest)))
        };
        let hash = alg_oid(r.read_optional(0xa0).map_err(malformed)?)?
            .map(|(o, _)| o)
            .unwrap_or_else(|| SHA1.to_string());
        let mgf = alg_oid(r.read_optional(0xa1).map_err(malformed)?)?;
        let salt = match r.read_optional(0xa2).map_err(malformed)? {
            Some(t) => {
                let mut inner = Reader::new(t.value);
                asn1::small_uint(inner.read(asn1::INTEGER).map_err(malformed)?.value)
                    .map_err(malformed)?
            }
            None => 20,
        };
        let mgf_hash = match mgf {
            None => SHA1.to_string(),
            Some((oid, Some(p))) if oid == MGF1 => {
                let mut pr = Reader::new(&p);
                let ai = pr.read(asn1::SEQUENCE).map_err(malformed)?;
                let mut ai = Reader::new(ai.value);
                asn1::oid_to_string(ai.read(asn1::OID).map_err(malformed)?.value)
                    .map_err(malformed)?
            }
            Some(_) => return Err(unsupported("with a mask generation other than MGF1")),
        };
        if mgf_hash != hash {
            return Err(unsupported("with different message and MGF1 hashes"));
        }
        let (alg, len): (&'static dyn VerificationAlgorithm, u64) = match hash.as_str() {
            SHA256 => (&signature::RSA_PSS_2048_8192_SHA256, 32),
            SHA384 => (&signature::RSA_PSS_2048_8192_SHA384, 48),
            SHA512 => (&signature::RSA_PSS_2048_8192_SHA512, 64),
            _ => return Err(unsupported("with a hash other than SHA-256/384/512")),
        };
        if salt != len {
            return Err(unsupported("with a salt length other than the hash length"));
        }
        Ok(alg)
    }
}

impl SignatureAlgorithm for RsaPss {
    fn name(&self) -> &'static str {
        "RSASSA-PSS"
    }

    fn verify(
        &self,
        params: Option<&[u8]>,
        key: &PublicKeyInfo,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        let params = params.ok_or_else(|| {
            CryptoError::UnsupportedAlgorithm("RSA-PSS without parameters".into())
        })?;
        let alg = Self::pick(params)?;
        // A PSS signature may come from an rsaEncryption key or an id-RSASSA-PSS key.
        if key.algorithm.oid != RSA_ENCRYPTION && key.algorithm.oid != RSA_PSS {
            return Err(CryptoError::KeyMismatch("RSA-PSS needs an RSA key".into()));
        }
        ring_verify(alg, key, message, sig)
    }
}

/// ECDSA with a fixed hash; the curve comes from the key's parameters.
struct Ecdsa {
    name: &'static str,
    p256: &'static dyn VerificationAlgorithm,
    p384: &'static dyn VerificationAlgorithm,
}

impl SignatureAlgorithm for Ecdsa {
    fn name(&self) -> &'static str {
        self.name
    }

    fn verify(
        &self,
        _params: Option<&[u8]>,
        key: &PublicKeyInfo,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        require_key(key, EC_PUBLIC_KEY)?;
        let curve = key
            .algorithm
            .params
            .as_deref()
            .and_then(|p| Reader::new(p).read(asn1::OID).ok())
            .and_then(|t| asn1::oid_to_string(t.value).ok())
            .ok_or_else(|| CryptoError::KeyMismatch("EC key without a named curve".into()))?;
        let alg = match curve.as_str() {
            CURVE_P256 => self.p256,
            CURVE_P384 => self.p384,
            other => {
                return Err(CryptoError::UnsupportedAlgorithm(format!(
                    "ECDSA on curve {other}"
                )))
            }
        };
        ring_verify(alg, key, message, sig)
    }
}

pub(crate) fn register_ring_algorithms(r: &mut AlgorithmRegistry) {
    let rsa: [(&str, &'static str, &'static dyn VerificationAlgorithm); 4] = [
        (
            "1.2.840.113549.1.1.5",
            "sha1WithRSAEncryption",
            &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        ),
        (
            "1.2.840.113549.1.1.11",
            "sha256WithRSAEncryption",
            &signature::RSA_PKCS1_2048_8192_SHA256,
        ),
        (
            "1.2.840.113549.1.1.12",
            "sha384WithRSAEncryption",
            &signature::RSA_PKCS1_2048_8192_SHA384,
        ),
        (
            "1.2.840.113549.1.1.13",
            "sha512WithRSAEncryption",
            &signature::RSA_PKCS1_2048_8192_SHA512,
        ),
    ];
    for (oid, name, alg) in rsa {
        r.register(oid, Box::new(RsaPkcs1 { name, alg }));
    }
    r.register(RSA_PSS, Box::new(RsaPss));
    r.register(
        "1.2.840.10045.4.3.2",
        Box::new(Ecdsa {
            name: "ecdsa-with-SHA256",
            p256: &signature::ECDSA_P256_SHA256_ASN1,
            p384: &signature::ECDSA_P384_SHA256_ASN1,
        }),
    );
    r.register(
        "1.2.840.10045.4.3.3",
        Box::new(Ecdsa {
            name: "ecdsa-with-SHA384",
            p256: &signature::ECDSA_P256_SHA384_ASN1,
            p384: &signature::ECDSA_P384_SHA384_ASN1,
        }),
    );
}
