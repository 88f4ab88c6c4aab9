//! Private keys that sign: the provider's key for CMS and, later, seals. Loaded once, used for every document.

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};

use super::digest::DigestAlgorithm;
use super::{AlgorithmId, CryptoError, PublicKeyInfo};
use crate::encoding::oid::{key as key_oid, signature as sig_oid, ObjectIdentifier};

/// A private key able to sign.
pub trait SigningKey: Send + Sync {
    /// The signature AlgorithmIdentifier its signatures carry.
    fn signature_algorithm(&self) -> AlgorithmId;
    /// The digest used inside the signature (and for CMS messageDigest).
    fn digest_algorithm(&self) -> DigestAlgorithm;
    /// The public key as a certificate carries it, to check the key belongs to the certificate.
    fn public_key(&self) -> PublicKeyInfo;
    /// Signs `message` (the algorithm hashes it).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// DER of ASN.1 NULL: RSA signature AlgorithmIdentifiers carry NULL parameters.
const NULL: [u8; 2] = [0x05, 0x00];

struct RsaKey {
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl SigningKey for RsaKey {
    fn signature_algorithm(&self) -> AlgorithmId {
        AlgorithmId::new(sig_oid::RSA_SHA256, Some(NULL.to_vec()))
    }

    fn digest_algorithm(&self) -> DigestAlgorithm {
        DigestAlgorithm::Sha256
    }

    fn public_key(&self) -> PublicKeyInfo {
        PublicKeyInfo {
            algorithm: AlgorithmId::new(key_oid::RSA, Some(NULL.to_vec())),
            key: self.key.public_key().as_ref().to_vec(),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(sig)
    }
}

struct EcKey {
    key: EcdsaKeyPair,
    curve: ObjectIdentifier,
    digest: DigestAlgorithm,
    rng: SystemRandom,
}

impl SigningKey for EcKey {
    fn signature_algorithm(&self) -> AlgorithmId {
        AlgorithmId::new(self.digest.ecdsa_signature_oid(), None)
    }

    fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest
    }

    fn public_key(&self) -> PublicKeyInfo {
        let curve_oid =
            crate::encoding::asn1::encode(crate::encoding::asn1::OID, self.curve.as_bytes());
        PublicKeyInfo {
            algorithm: AlgorithmId::new(key_oid::EC, Some(curve_oid)),
            key: self.key.public_key().as_ref().to_vec(),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.key
            .sign(&self.rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| CryptoError::SigningFailed)
    }
}

/// ECDSA P-256 with deterministic nonces (RFC 6979, RustCrypto's constant-time `p256`): the same message and key
/// always give the same signature, so a document issued twice with the same data and time is byte-identical,
/// and a weak random source can never leak the key through its nonces.
struct P256Deterministic {
    key: p256::ecdsa::SigningKey,
    public: Vec<u8>,
}

impl SigningKey for P256Deterministic {
    fn signature_algorithm(&self) -> AlgorithmId {
        AlgorithmId::new(DigestAlgorithm::Sha256.ecdsa_signature_oid(), None)
    }

    fn digest_algorithm(&self) -> DigestAlgorithm {
        DigestAlgorithm::Sha256
    }

    fn public_key(&self) -> PublicKeyInfo {
        let curve =
            crate::encoding::asn1::encode(crate::encoding::asn1::OID, key_oid::P256.as_bytes());
        PublicKeyInfo {
            algorithm: AlgorithmId::new(key_oid::EC, Some(curve)),
            key: self.public.clone(),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, message)
            .as_ref()
            .try_into()
            .map_err(|_| CryptoError::SigningFailed)?;
        let sig = super::p256_sign::sign_digest(self.key.as_nonzero_scalar(), &digest)
            .ok_or(CryptoError::SigningFailed)?;
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

/// Loads an unencrypted PKCS#8 private key (RSA, ECDSA P-256 or P-384).
pub fn signing_key_from_pkcs8(der: &[u8]) -> Result<Box<dyn SigningKey>, CryptoError> {
    let rng = SystemRandom::new();
    if let Ok(key) = RsaKeyPair::from_pkcs8(der) {
        return Ok(Box::new(RsaKey { key, rng }));
    }
    {
        use p256::pkcs8::DecodePrivateKey;
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            let public = key
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec();
            return Ok(Box::new(P256Deterministic { key, public }));
        }
    }
    // P-256 is handled above with deterministic nonces; P-384 signs through ring.
    let ec = [(
        &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        key_oid::P384,
        DigestAlgorithm::Sha384,
    )];
    for (alg, curve, digest) in ec {
        if let Ok(key) = EcdsaKeyPair::from_pkcs8(alg, der, &rng) {
            return Ok(Box::new(EcKey {
                key,
                curve,
                digest,
                rng,
            }));
        }
    }
    if super::gost::is_gost_pkcs8(der) {
        return Ok(Box::new(super::gost::GostKey::from_pkcs8(der)?));
    }
    Err(CryptoError::UnsupportedAlgorithm(
        "private key: not an RSA (2048-4096 bits), ECDSA P-256/P-384 or GOST R 34.10-2012 PKCS#8 key".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_key() -> Vec<u8> {
        let pem = include_bytes!("../../certs/provider-signer.key.pem");
        crate::encoding::pem::der_blocks(pem, &["PRIVATE KEY"])
            .expect("pem")
            .remove(0)
    }

    #[test]
    fn p256_signatures_are_deterministic_and_verify() {
        let key = signing_key_from_pkcs8(&demo_key()).expect("P-256 key");
        let a = key.sign(b"message").expect("sign");
        assert_eq!(
            a,
            key.sign(b"message").expect("sign"),
            "RFC 6979: same message, same signature"
        );
        assert_ne!(a, key.sign(b"other").expect("sign"));
        crate::crypto::AlgorithmRegistry::global()
            .verify(
                &key.signature_algorithm(),
                &key.public_key(),
                b"message",
                &a,
            )
            .expect("ring verifies it");
    }
}
