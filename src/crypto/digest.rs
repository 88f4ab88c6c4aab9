//! Message digests by OID, for CMS messageDigest and ESS certificate hashes. GOST's Streebog joins here, and the
//! NCA's legacy GOST 34.311-95 for signatures made before 2022.

use super::CryptoError;
use crate::encoding::oid::{digest, key, signature, ObjectIdentifier};

/// A digest algorithm Qoltanba can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// SHA-1 (read only in old signatures, never chosen for new ones).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// GOST R 34.11-2012, 256-bit.
    Streebog256,
    /// GOST R 34.11-2012, 512-bit.
    Streebog512,
    /// GOST 34.311-95, the NCA's legacy digest (read only in old signatures, never chosen for new ones).
    Gost34311,
}

impl DigestAlgorithm {
    /// The algorithm of a digest OID (Streebog is not one of these: see [`crate::Streebog`]).
    pub fn from_oid(oid: &ObjectIdentifier) -> Result<DigestAlgorithm, CryptoError> {
        Ok(match *oid {
            digest::SHA1 => DigestAlgorithm::Sha1,
            digest::SHA256 => DigestAlgorithm::Sha256,
            digest::SHA384 => DigestAlgorithm::Sha384,
            digest::SHA512 => DigestAlgorithm::Sha512,
            digest::STREEBOG256 => DigestAlgorithm::Streebog256,
            digest::STREEBOG512 | digest::NCA_STREEBOG512 => DigestAlgorithm::Streebog512,
            digest::NCA_GOST34311 => DigestAlgorithm::Gost34311,
            other => {
                return Err(CryptoError::UnsupportedAlgorithm(format!(
                    "digest {}",
                    super::describe_oid(&other)
                )))
            }
        })
    }

    /// The algorithm's OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha1 => digest::SHA1,
            DigestAlgorithm::Sha256 => digest::SHA256,
            DigestAlgorithm::Sha384 => digest::SHA384,
            DigestAlgorithm::Sha512 => digest::SHA512,
            DigestAlgorithm::Streebog256 => digest::STREEBOG256,
            DigestAlgorithm::Streebog512 => digest::STREEBOG512,
            DigestAlgorithm::Gost34311 => digest::NCA_GOST34311,
        }
    }

    /// The algorithm's name as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
            DigestAlgorithm::Streebog256 => "Streebog-256",
            DigestAlgorithm::Streebog512 => "Streebog-512",
            DigestAlgorithm::Gost34311 => "GOST 34.311-95",
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            DigestAlgorithm::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            DigestAlgorithm::Sha256 => &ring::digest::SHA256,
            DigestAlgorithm::Sha384 => &ring::digest::SHA384,
            DigestAlgorithm::Sha512 => &ring::digest::SHA512,
            DigestAlgorithm::Streebog256 => return super::gost::Streebog::Bits256.digest(data),
            DigestAlgorithm::Streebog512 => return super::gost::Streebog::Bits512.digest(data),
            DigestAlgorithm::Gost34311 => return super::gost::gost34311(data),
        };
        ring::digest::digest(alg, data).as_ref().to_vec()
    }

    /// The PKCS#1 v1.5 signature OID for RSA with this digest (CMS signers often name only `rsaEncryption`).
    pub fn rsa_pkcs1_signature_oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha1 => signature::RSA_SHA1,
            DigestAlgorithm::Sha256 => signature::RSA_SHA256,
            DigestAlgorithm::Sha384 => signature::RSA_SHA384,
            DigestAlgorithm::Sha512 => signature::RSA_SHA512,
            // No RSA signature uses a GOST digest: the key OID itself, under which no signature is registered.
            DigestAlgorithm::Streebog256
            | DigestAlgorithm::Streebog512
            | DigestAlgorithm::Gost34311 => key::RSA,
        }
    }

    /// The ECDSA signature OID with this digest, for signers that name only `ecPublicKey`.
    pub fn ecdsa_signature_oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha1 => signature::ECDSA_SHA1,
            DigestAlgorithm::Sha256 => signature::ECDSA_SHA256,
            DigestAlgorithm::Sha384 => signature::ECDSA_SHA384,
            DigestAlgorithm::Sha512 => signature::ECDSA_SHA512,
            DigestAlgorithm::Streebog256
            | DigestAlgorithm::Streebog512
            | DigestAlgorithm::Gost34311 => key::EC,
        }
    }
}
