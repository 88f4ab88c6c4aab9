//! Documents as files: issuing a sealed PDF — a form filled with validated data, laid out, written, then the
//! canonical data, its CMS and the provider's PDF signature appended in one incremental update — and taking one
//! apart to verify it (the seal's QR symbols, the embedded data, the file signature, the visible text).
//!
//! Issuance and verification share one set of limits ([`MAX_PAGES`], [`MAX_ISSUED_PDF`], the form data budget of
//! [`crate::forms`] and the seal's limits of [`crate::seal`]): a document no verifier would accept is never issued.

pub(crate) mod issue;
pub(crate) mod pades;
pub(crate) mod qr;
pub(crate) mod verify;

pub(crate) use issue::IssuedDocument;
pub use issue::{issue, IssueError, Sealing, MAX_ISSUED_PDF};
pub use pades::{attach, Attachment};
pub use verify::{embedded_file, verify_document, DocumentReport, FieldComparison, MAX_PDF};
pub(crate) use verify::{read_document, verify_read, DocumentEvidence};

/// The name of the embedded file that holds a document's canonical data.
pub const DATA_FILE_NAME: &str = "qoltanba-data.json";

/// The name of the embedded file that holds the provider's detached CMS signature over the canonical data.
pub(crate) const SIGNATURE_FILE_NAME: &str = "qoltanba-data.json.p7s";
