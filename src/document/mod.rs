//! Documents as files: issuing a sealed PDF — a form filled with validated data, laid out, written, then the
//! canonical data, its CMS and the provider's PDF signature appended in one incremental update — and taking one
//! apart to verify it (the seal's QR symbols, the embedded data, the file signature, the visible text).
//!
//! Issuance and verification share one set of limits ([`MAX_PAGES`], [`MAX_ISSUED_PDF`], the form data budget of
//! [`crate::forms`] and the seal's limits of [`crate::seal`]): a document no verifier would accept is never issued.

mod issue;
mod pades;
mod qr;
mod verify;

pub use issue::{issue, IssueError, IssuedDocument, Sealing, MAX_ISSUED_PDF, MAX_PAGES};
pub use pades::{attach, Attachment};
pub use verify::{
    embedded_file, read_document, verify_document, verify_read, DocumentEvidence, DocumentReport,
    FieldComparison, FileIntegrity, ReadDocument, MAX_PDF,
};

/// The name of the embedded file that holds a document's canonical data.
pub const DATA_FILE_NAME: &str = "qoltanba-data.json";

/// The name of the embedded file that holds the provider's detached CMS signature over the canonical data.
pub const SIGNATURE_FILE_NAME: &str = "qoltanba-data.json.p7s";
