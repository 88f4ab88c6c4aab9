//! CMS SignedData (RFC 5652, CAdES-BES shapes): verify applicants' signed requests and sign with the provider's
//! key. Structures come from the RustCrypto `cms`/`der` crates; signatures and certificates go through the same
//! algorithm registry and path validation as everything else.

mod ess;
mod sign;
mod verify;

use serde::Serialize;
use thiserror::Error;

use crate::pki::Report;

pub use sign::{CmsSigner, SignOptions};
pub use verify::{attached_content, verify_cms};

/// Largest CMS we accept (the service's request bodies are smaller still).
pub const MAX_CMS_SIZE: usize = 64 * 1024 * 1024;
/// Largest DER of one signer's signed attributes: real ones are a few hundred bytes.
pub const MAX_SIGNED_ATTRS: usize = 64 * 1024;
/// Most signers in one SignedData.
pub const MAX_SIGNERS: usize = 64;

pub(crate) mod oid {
    use der::asn1::ObjectIdentifier;

    pub(crate) const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
    pub(crate) const SIGNED_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    pub(crate) const CONTENT_TYPE: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
    pub(crate) const MESSAGE_DIGEST: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
    pub(crate) const SIGNING_TIME: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
    pub(crate) const SIGNING_CERTIFICATE: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
    pub(crate) const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
}

/// Input that cannot be verified at all (README, "Reports": `MALFORMED`, exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CmsError {
    #[error("CMS is empty")]
    Empty,
    #[error("CMS is larger than {MAX_CMS_SIZE} bytes")]
    TooLarge,
    #[error("not a CMS ContentInfo: {0}")]
    Der(String),
    #[error("CMS content type is {0}, not SignedData (1.2.840.113549.1.7.2)")]
    NotSignedData(String),
    #[error("SignedData has no signers")]
    NoSigners,
    #[error("SignedData has more than {MAX_SIGNERS} signers")]
    TooManySigners,
    #[error("detached signature: the signed content must be supplied")]
    MissingContent,
    #[error("content is both attached and supplied separately, and the two differ")]
    ContentConflict,
    #[error("signer {index}: its certificate ({sid}) is neither in the CMS nor supplied")]
    SignerCertificateMissing { index: usize, sid: String },
    #[error("a certificate in the CMS cannot be read: {reason}")]
    BadCertificate { reason: String },
    #[error("signer {index}: signed attributes are {size} bytes, more than {MAX_SIGNED_ATTRS}")]
    AttributesTooLarge { index: usize, size: usize },
    #[error("signer {index}: malformed signed attribute {attribute}")]
    BadAttribute {
        index: usize,
        attribute: &'static str,
    },
    #[error("the signing key does not belong to the signer certificate")]
    KeyCertificateMismatch,
    #[error("the key file holds no certificate for its key: give the certificate")]
    NoCertificateForKey,
    #[error("signing failed: {0}")]
    Signing(String),
}

/// One signer's verification: the report of README, "Reports" plus what the signature says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignerReport {
    #[serde(flatten)]
    pub report: Report,
    /// signingTime from the signed attributes, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_time: Option<String>,
    pub digest_algorithm: String,
    pub signature_algorithm: String,
    pub signed_attributes: bool,
}

/// The verification of a whole SignedData: valid when every signer is. `subject` and `chain` are the first
/// signer's; `codes` and `messages` gather every signer's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CmsReport {
    #[serde(flatten)]
    pub report: Report,
    pub detached: bool,
    pub content_size: usize,
    pub signers: Vec<SignerReport>,
}
