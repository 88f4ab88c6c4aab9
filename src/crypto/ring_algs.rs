//! RSA (PKCS#1 v1.5 and PSS) and ECDSA (P-256, P-384) through ring.

use ring::signature::{self, VerificationAlgorithm};

use super::{AlgorithmRegistry, CryptoError, PublicKeyInfo, SignatureAlgorithm};
use crate::encoding::asn1::{self as asn1, Reader};
use crate::encoding::oid::{self, digest, key as key_oid, ObjectIdentifier};

/// RSA PKCS#1 v1.5 with a fixed hash. RSA keys below 2048 bits are refused by ring, which is what we want: the
/// NCA and PKITS both use 2048 bits or more.
struct RsaPkcs1 {
    name: &'static str,
    alg: &'static dyn VerificationAlgorithm,
}

fn require_key(key: &PublicKeyInfo, oid: ObjectIdentifier) -> Result<(), CryptoError> {
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
        require_key(key, key_oid::RSA)?;
        ring_verify(self.alg, key, message, sig)
    }
}

/// An AlgorithmIdentifier inside PSS parameters: OID and the DER of its parameters.
type ParsedAlgId = (ObjectIdentifier, Option<Vec<u8>>);

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
            let oid = oid::from_der_contents(ai.read(asn1::OID).map_err(malformed)?.value)
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
            .unwrap_or(digest::SHA1);
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
            None => digest::SHA1,
            Some((oid, Some(p))) if oid == oid::signature::MGF1 => {
                let mut pr = Reader::new(&p);
                let ai = pr.read(asn1::SEQUENCE).map_err(malformed)?;
                let mut ai = Reader::new(ai.value);
                oid::from_der_contents(ai.read(asn1::OID).map_err(malformed)?.value)
                    .map_err(malformed)?
            }
            Some(_) => return Err(unsupported("with a mask generation other than MGF1")),
        };
        if mgf_hash != hash {
            return Err(unsupported("with different message and MGF1 hashes"));
        }
        let (alg, len): (&'static dyn VerificationAlgorithm, u64) = match hash {
            digest::SHA256 => (&signature::RSA_PSS_2048_8192_SHA256, 32),
            digest::SHA384 => (&signature::RSA_PSS_2048_8192_SHA384, 48),
            digest::SHA512 => (&signature::RSA_PSS_2048_8192_SHA512, 64),
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
        if key.algorithm.oid != key_oid::RSA && key.algorithm.oid != oid::signature::RSA_PSS {
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
        require_key(key, key_oid::EC)?;
        let curve = key
            .algorithm
            .params
            .as_deref()
            .and_then(|p| Reader::new(p).read(asn1::OID).ok())
            .and_then(|t| oid::from_der_contents(t.value).ok())
            .ok_or_else(|| CryptoError::KeyMismatch("EC key without a named curve".into()))?;
        let alg = match curve {
            key_oid::P256 => self.p256,
            key_oid::P384 => self.p384,
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
    let rsa: [(
        ObjectIdentifier,
        &'static str,
        &'static dyn VerificationAlgorithm,
    ); 4] = [
        (
            oid::signature::RSA_SHA1,
            "sha1WithRSAEncryption",
            &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        ),
        (
            oid::signature::RSA_SHA256,
            "sha256WithRSAEncryption",
            &signature::RSA_PKCS1_2048_8192_SHA256,
        ),
        (
            oid::signature::RSA_SHA384,
            "sha384WithRSAEncryption",
            &signature::RSA_PKCS1_2048_8192_SHA384,
        ),
        (
            oid::signature::RSA_SHA512,
            "sha512WithRSAEncryption",
            &signature::RSA_PKCS1_2048_8192_SHA512,
        ),
    ];
    for (oid, name, alg) in rsa {
        r.register(oid, Box::new(RsaPkcs1 { name, alg }));
    }
    r.register(oid::signature::RSA_PSS, Box::new(RsaPss));
    r.register(
        oid::signature::ECDSA_SHA256,
        Box::new(Ecdsa {
            name: "ecdsa-with-SHA256",
            p256: &signature::ECDSA_P256_SHA256_ASN1,
            p384: &signature::ECDSA_P384_SHA256_ASN1,
        }),
    );
    r.register(
        oid::signature::ECDSA_SHA384,
        Box::new(Ecdsa {
            name: "ecdsa-with-SHA384",
            p256: &signature::ECDSA_P256_SHA384_ASN1,
            p384: &signature::ECDSA_P384_SHA384_ASN1,
        }),
    );
}
