//! Message digests by OID, for CMS messageDigest and ESS certificate hashes. GOST's Streebog joins here.

use super::CryptoError;

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
}

impl DigestAlgorithm {
    /// id-sha1.
    pub const SHA1_OID: &'static str = "1.3.14.3.2.26";
    /// id-sha256.
    pub const SHA256_OID: &'static str = "2.16.840.1.101.3.4.2.1";
    /// id-sha384.
    pub const SHA384_OID: &'static str = "2.16.840.1.101.3.4.2.2";
    /// id-sha512.
    pub const SHA512_OID: &'static str = "2.16.840.1.101.3.4.2.3";
    /// id-tc26-gost3411-12-256.
    pub const STREEBOG256_OID: &'static str = "1.2.643.7.1.1.2.2";
    /// id-tc26-gost3411-12-512.
    pub const STREEBOG512_OID: &'static str = "1.2.643.7.1.1.2.3";
    /// The NCA's OID for Streebog-512 (in its keys' parameters and CMS).
    pub const NCA_STREEBOG512_OID: &'static str = "1.2.398.3.10.1.3.3";

    /// The algorithm of a digest OID (Streebog is not one of these: see [`crate::Streebog`]).
    pub fn from_oid(oid: &str) -> Result<DigestAlgorithm, CryptoError> {
        Ok(match oid {
            Self::SHA1_OID => DigestAlgorithm::Sha1,
            Self::SHA256_OID => DigestAlgorithm::Sha256,
            Self::SHA384_OID => DigestAlgorithm::Sha384,
            Self::SHA512_OID => DigestAlgorithm::Sha512,
            Self::STREEBOG256_OID => DigestAlgorithm::Streebog256,
            Self::STREEBOG512_OID | Self::NCA_STREEBOG512_OID => DigestAlgorithm::Streebog512,
            other => {
                return Err(CryptoError::UnsupportedAlgorithm(format!(
                    "digest {}",
                    super::describe_oid(other)
                )))
            }
        })
    }

    /// The algorithm's OID.
    pub fn oid(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => Self::SHA1_OID,
            DigestAlgorithm::Sha256 => Self::SHA256_OID,
            DigestAlgorithm::Sha384 => Self::SHA384_OID,
            DigestAlgorithm::Sha512 => Self::SHA512_OID,
            DigestAlgorithm::Streebog256 => Self::STREEBOG256_OID,
            DigestAlgorithm::Streebog512 => Self::STREEBOG512_OID,
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
        };
        ring::digest::digest(alg, data).as_ref().to_vec()
    }

    /// The PKCS#1 v1.5 signature OID for RSA with this digest (CMS signers often name only `rsaEncryption`).
    pub fn rsa_pkcs1_signature_oid(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "1.2.840.113549.1.1.5",
            DigestAlgorithm::Sha256 => "1.2.840.113549.1.1.11",
            DigestAlgorithm::Sha384 => "1.2.840.113549.1.1.12",
            DigestAlgorithm::Sha512 => "1.2.840.113549.1.1.13",
            // No RSA signature uses Streebog: the key OID itself, under which no signature is registered.
            DigestAlgorithm::Streebog256 | DigestAlgorithm::Streebog512 => "1.2.840.113549.1.1.1",
        }
    }

    /// The ECDSA signature OID with this digest, for signers that name only `ecPublicKey`.
    pub fn ecdsa_signature_oid(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "1.2.840.10045.4.1",
            DigestAlgorithm::Sha256 => "1.2.840.10045.4.3.2",
            DigestAlgorithm::Sha384 => "1.2.840.10045.4.3.3",
            DigestAlgorithm::Sha512 => "1.2.840.10045.4.3.4",
            DigestAlgorithm::Streebog256 | DigestAlgorithm::Streebog512 => "1.2.840.10045.2.1",
        }
    }
}
