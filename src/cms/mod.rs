//! CMS SignedData (RFC 5652, CAdES-BES shapes): verify applicants' signed requests and sign with the provider's
//! key. Structures come from the RustCrypto `cms`/`der` crates; signatures and certificates go through the same
//! algorithm registry and path validation as everything else.

pub(crate) mod ess;
pub(crate) mod ltv;
pub(crate) mod sign;
pub(crate) mod tsp;
pub(crate) mod verify;

use serde::Serialize;
use thiserror::Error;

use crate::pki::Report;

pub use ltv::{StoreValidationData, ValidationData, ValidationDataSource};
pub use sign::CmsSigner;
pub(crate) use sign::SignOptions;
pub(crate) use tsp::signature_timestamps;
pub use tsp::{
    read_timestamp, timestamp_request, token_from_response, verify_timestamp, TimestampInfo,
    TimestampReport, Timestamper, TspError,
};
pub use verify::{attached_content, verify_cms};
pub(crate) use verify::{digest_algorithm_oids, embedded_certificates};

/// Largest CMS we accept (the service's request bodies are smaller still).
pub const MAX_CMS_SIZE: usize = 64 * 1024 * 1024;
/// Largest DER of one signer's signed attributes: real ones are a few hundred bytes.
pub(crate) const MAX_SIGNED_ATTRS: usize = 64 * 1024;
/// Most signers in one SignedData.
pub(crate) const MAX_SIGNERS: usize = 64;

/// The CMS content types and attributes, from the one table of OIDs.
pub(crate) use crate::encoding::oid::pkcs as oid;

/// Input that cannot be verified at all (README, "Reports": `MALFORMED`, exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CmsError {
    /// CMS is empty.
    #[error("CMS is empty")]
    Empty,
    /// CMS is larger than `MAX_CMS_SIZE` bytes.
    #[error("CMS is larger than {MAX_CMS_SIZE} bytes")]
    TooLarge,
    /// Not a CMS ContentInfo: …
    #[error("not a CMS ContentInfo: {0}")]
    Der(String),
    /// CMS content type is …, not SignedData (1.2.840.113549.1.7.2)
    #[error("CMS content type is {0}, not SignedData (1.2.840.113549.1.7.2)")]
    NotSignedData(String),
    /// The signature was made but its timestamp could not be had (a TSA is configured, so a signature without one
    /// is not what was asked for).
    #[error("the signature could not be timestamped: {0}")]
    Timestamp(String),
    /// SignedData has no signers.
    #[error("SignedData has no signers")]
    NoSigners,
    /// SignedData has more than `MAX_SIGNERS` signers.
    #[error("SignedData has more than {MAX_SIGNERS} signers")]
    TooManySigners,
    /// Detached signature: the signed content must be supplied.
    #[error("detached signature: the signed content must be supplied")]
    MissingContent,
    /// Content is both attached and supplied separately, and the two differ.
    #[error("content is both attached and supplied separately, and the two differ")]
    ContentConflict,
    /// A signer's certificate is neither in the CMS nor supplied.
    #[error("signer {index}: its certificate ({sid}) is neither in the CMS nor supplied")]
    SignerCertificateMissing {
        /// Which signer (0-based).
        index: usize,
        /// The SignerIdentifier, as text.
        sid: String,
    },
    /// A certificate carried in the CMS cannot be parsed.
    #[error("a certificate in the CMS cannot be read: {reason}")]
    BadCertificate {
        /// The parser's complaint.
        reason: String,
    },
    /// A signer's signed attributes exceed the size this verifier reads.
    #[error("signer {index}: signed attributes are {size} bytes, more than {MAX_SIGNED_ATTRS}")]
    AttributesTooLarge {
        /// Which signer (0-based).
        index: usize,
        /// Their encoded size in bytes.
        size: usize,
    },
    /// Signer `index`: malformed signed attribute `attribute`.
    #[error("signer {index}: malformed signed attribute {attribute}")]
    BadAttribute {
        /// Which signer (0-based).
        index: usize,
        /// The attribute's name.
        attribute: &'static str,
    },
    /// The signing key does not belong to the signer certificate.
    #[error("the signing key does not belong to the signer certificate")]
    KeyCertificateMismatch,
    /// The key file holds no certificate for its key: give the certificate.
    #[error("the key file holds no certificate for its key: give the certificate")]
    NoCertificateForKey,
    /// The SignedData could not be encoded.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The signing key failed.
    #[error("signing failed: {0}")]
    Key(#[source] crate::crypto::CryptoError),
}

/// One signer's verification: the report of README, "Reports" plus what the signature says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignerReport {
    /// The signer certificate's path validation (design.md §3), with the signature's own findings.
    #[serde(flatten)]
    pub report: Report,
    /// signingTime from the signed attributes, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_time: Option<String>,
    /// The digest algorithm's name (e.g. `sha256`, `streebog-512`).
    pub digest_algorithm: String,
    /// The signature algorithm's name.
    pub signature_algorithm: String,
    /// Whether the signature covers signed attributes (rather than the content directly).
    pub signed_attributes: bool,
    /// The signature timestamp the signer carries (CAdES-B-T, `signature-time-stamp`): what it says and its own
    /// verification (over this signer's signature value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampReport>,
    /// The best signature time (EN 319 102-1): the timestamp's genTime when the timestamp holds. The signer's
    /// certificate is then checked at that time, so a certificate that expired or was revoked since still gives a
    /// valid signature; without it the certificate is checked at the validation time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_signature_time: Option<String>,
}

/// The verification of a whole SignedData: valid when every signer is. `subject` and `chain` are the first
/// signer's; `codes` and `messages` gather every signer's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CmsReport {
    /// The overall verdict: every signer's path and signature, and the content.
    #[serde(flatten)]
    pub report: Report,
    /// Whether the content was supplied separately (a detached signature).
    pub detached: bool,
    /// Size of the signed content in bytes.
    pub content_size: usize,
    /// One report per SignerInfo, in the order of the CMS.
    pub signers: Vec<SignerReport>,
}
