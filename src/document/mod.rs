//! Documents as files: issuing a sealed PDF — a form filled with validated data, laid out, written, then the
//! canonical data, its CMS and the provider's PDF signature appended in one incremental update — and taking one
//! apart to verify it (the seal's QR symbols, the embedded data, the file signature, the visible text).
//!
//! Issuance and verification share one set of limits ([`MAX_PAGES`], [`MAX_ISSUED_PDF`], the form data budget of
//! [`crate::forms`] and the seal's limits of [`crate::seal`]): a document no verifier would accept is never issued.

pub(crate) mod issue;
pub(crate) mod pades;
pub(crate) mod qr;
pub(crate) mod signatures;
pub(crate) mod verify;

pub(crate) use issue::{check, IssuedDocument};
pub use issue::{issue, IssueError, Sealing, MAX_ISSUED_PDF};
pub use pades::{attach, sign_pdf, Attachment};
pub use signatures::{
    validation_report, verify_pdf, PdfReport, PdfSignatureKind, PdfSignatureReport,
    ValidatedDocument, ValidationObject, ValidationReport,
};
pub use verify::{embedded_file, verify_document, DocumentReport, FieldComparison, MAX_PDF};
pub(crate) use verify::{read_document, verify_read, DocumentEvidence};

/// The name of the embedded file that holds a document's canonical data.
pub const DATA_FILE_NAME: &str = "qoltanba-data.json";

/// The name of the embedded file that holds the provider's detached CMS signature over the canonical data.
pub(crate) const SIGNATURE_FILE_NAME: &str = "qoltanba-data.json.p7s";

/// Verifies a seal from its barcode texts offline ([`crate::seal::verify_seal`]), with the form's name added
/// for people reading the report.
pub fn verify_barcode(
    trust: crate::seal::SealTrust<'_>,
    texts: &[&str],
    opts: &crate::pki::VerifyOptions,
) -> Result<crate::seal::SealReport, crate::seal::SealError> {
    let mut report = crate::seal::verify_seal(trust, texts, opts)?;
    name_the_form(&mut report);
    Ok(report)
}

/// Adds the form's name from this node's catalogue to a seal report's content (the seal carries only the id).
pub(crate) fn name_the_form(report: &mut crate::seal::SealReport) {
    if let Some(content) = report.content.as_mut() {
        content.form_name = crate::forms::form(&content.form)
            .ok()
            .map(|f| crate::seal::FormName {
                kk: f.name.kk.clone(),
                ru: f.name.ru.clone(),
            });
    }
}
