//! Signature algorithms behind one trait.
//!
//! Path validation, CRLs, CMS and seals verify signatures only through [`AlgorithmRegistry`]: the GOST R 34.10-2012
//! family ([`gost`]) is one more [`SignatureAlgorithm`] registered here, with no special cases upstream.

pub(crate) mod digest;
pub(crate) mod gost;
mod p256_sign;
mod ring_algs;
pub(crate) mod signer;

use std::collections::HashMap;
use std::sync::OnceLock;

use thiserror::Error;

use crate::encoding::oid::{signature, ObjectIdentifier};

pub(crate) use digest::DigestAlgorithm;
pub(crate) use ring_algs::register_ring_algorithms;
pub use signer::{signing_key_from_pkcs8, SigningKey};

/// An AlgorithmIdentifier as parsed once from a certificate or CRL: the OID and the DER of its parameters (absent
/// when the field is omitted).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlgorithmId {
    /// The algorithm's OID.
    pub oid: ObjectIdentifier,
    /// The parameters' DER, when present (NULL included).
    pub params: Option<Vec<u8>>,
}

/// DER of ASN.1 NULL.
const DER_NULL: [u8; 2] = [0x05, 0x00];

impl AlgorithmId {
    /// An algorithm identifier.
    pub fn new(oid: ObjectIdentifier, params: Option<Vec<u8>>) -> Self {
        AlgorithmId { oid, params }
    }

    /// True when both identify the same algorithm with the same parameters, treating absent and NULL parameters
    /// as equal. The NCA writes the CRL's inner and outer AlgorithmIdentifiers one with NULL and one without.
    pub fn same_as(&self, other: &AlgorithmId) -> bool {
        let norm = |p: &Option<Vec<u8>>| match p {
            Some(v) if v.as_slice() == DER_NULL => None,
            other => other.clone(),
        };
        self.oid == other.oid && norm(&self.params) == norm(&other.params)
    }

    /// The parameters unless they are absent or NULL.
    pub fn meaningful_params(&self) -> Option<&[u8]> {
        match &self.params {
            Some(v) if v.as_slice() != DER_NULL => Some(v.as_slice()),
            _ => None,
        }
    }
}

/// A subject public key as carried in a certificate: its algorithm and the BIT STRING contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyInfo {
    /// The key's algorithm and parameters (the curve, for EC and GOST keys).
    pub algorithm: AlgorithmId,
    /// The subjectPublicKey's bits.
    pub key: Vec<u8>,
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    /// No registered algorithm handles this signature OID (or its parameters).
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The key does not fit the signature algorithm (an RSA signature with an EC key, an unknown curve...).
    #[error("key does not fit the signature algorithm: {0}")]
    KeyMismatch(String),
    /// The signature is not valid for this key and message.
    #[error("signature does not verify")]
    BadSignature,
    /// The key could not produce a signature.
    #[error("signing failed")]
    SigningFailed,
    /// The signature was not checked: the verification's budget of signature checks was spent.
    #[error("signature not checked: the verification's budget of signature checks is spent")]
    Budget,
}

/// One signature algorithm family: verifies signatures for the signature OIDs it registers under.
pub trait SignatureAlgorithm: Send + Sync {
    /// Human-readable name for reports ("sha256WithRSAEncryption").
    fn name(&self) -> &'static str;

    /// Verifies `signature` over `message` with `key`, for a signature AlgorithmIdentifier with `params`.
    fn verify(
        &self,
        params: Option<&[u8]>,
        key: &PublicKeyInfo,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError>;
}

/// Signature OIDs mapped to their algorithm.
pub struct AlgorithmRegistry {
    by_oid: HashMap<ObjectIdentifier, Box<dyn SignatureAlgorithm>>,
}

impl AlgorithmRegistry {
    /// A registry that verifies nothing until algorithms are registered.
    pub fn empty() -> Self {
        AlgorithmRegistry {
            by_oid: HashMap::new(),
        }
    }

    /// The registry with every algorithm Qoltanba supports, built once per process.
    pub fn global() -> &'static AlgorithmRegistry {
        static REGISTRY: OnceLock<AlgorithmRegistry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            let mut r = AlgorithmRegistry::empty();
            register_ring_algorithms(&mut r);
            gost::register_gost_algorithms(&mut r);
            r
        })
    }

    /// Adds (or replaces) the verifier of signature algorithm `oid`.
    pub fn register(&mut self, oid: ObjectIdentifier, alg: Box<dyn SignatureAlgorithm>) {
        self.by_oid.insert(oid, alg);
    }

    /// Whether signature algorithm `oid` can be verified.
    pub fn supports(&self, oid: &ObjectIdentifier) -> bool {
        self.by_oid.contains_key(oid)
    }

    /// A readable name for a signature OID, falling back to the OID itself.
    pub fn name_of(&self, oid: &ObjectIdentifier) -> String {
        self.by_oid
            .get(oid)
            .map(|a| a.name().to_string())
            .unwrap_or_else(|| oid.to_string())
    }

    /// Verifies `signature` over `message` under `key` with signature algorithm `alg`.
    pub fn verify(
        &self,
        algorithm: &AlgorithmId,
        key: &PublicKeyInfo,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let alg = self
            .by_oid
            .get(&algorithm.oid)
            .ok_or_else(|| CryptoError::UnsupportedAlgorithm(describe_oid(&algorithm.oid)))?;
        alg.verify(algorithm.meaningful_params(), key, message, signature)
    }
}

/// Names for OIDs that appear in messages about algorithms we do not support.
pub(crate) fn describe_oid(oid: &ObjectIdentifier) -> String {
    let name = match *oid {
        signature::DSA_SHA1 => "dsa-with-sha1",
        signature::DSA_SHA256 => "dsa-with-sha256",
        signature::GOST_NCA_256 => "GOST R 34.10-2015 256-bit (NCA)",
        signature::GOST_NCA_512 => "GOST R 34.10-2015 512-bit (NCA)",
        signature::GOST_NCA_34310 => "GOST 34.310-2004 (NCA)",
        signature::GOST_TC26_256 => "GOST R 34.10-2012 256-bit",
        signature::GOST_TC26_512 => "GOST R 34.10-2012 512-bit",
        signature::ED25519 => "Ed25519",
        _ => return oid.to_string(),
    };
    format!("{name} ({oid})")
}
