//! A strict, bounded reader (and a small writer) of the PDF files Qoltanba issues.
//!
//! Why not a PDF crate: `lopdf` (printpdf's parser) loads every object eagerly, inflates streams and object
//! streams without a size limit and resolves references recursively without a budget — a 41 KB file could make it
//! allocate gigabytes or walk a graph of doubled references for hours. Verification reads files from anyone, so
//! this reader is written for that: classic cross-reference tables (what Qoltanba and printpdf write) and PDF 1.5's
//! cross-reference and object streams (what most other writers use, signed PDFs from elsewhere included), every
//! object parsed on demand and cached (an object stream inflated and indexed once), and a per-file [`Budget`] on
//! objects resolved, bytes inflated and time (a [`crate::cancel::Cancel`] flag), checked as it goes. Everything it
//! reads is linear in the file's size.

pub(crate) mod cmap;
pub(crate) mod content;
pub(crate) mod file;
pub(crate) mod object;
pub(crate) mod write;

pub(crate) use content::{visible_page, DrawnImage, PageView};
pub use file::{Budget, PdfFile};
pub use object::{Dict, Object};

use thiserror::Error;

/// Why a PDF could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PdfError {
    /// Not a PDF: …
    #[error("not a PDF: {0}")]
    NotPdf(&'static str),
    /// PDF syntax error at byte `offset`: `what`.
    #[error("PDF syntax error at byte {offset}: {what}")]
    Syntax {
        /// Where, in bytes from the file's start.
        offset: usize,
        /// What was expected.
        what: &'static str,
    },
    /// PDF structure: …
    #[error("PDF structure: {0}")]
    Structure(String),
    /// PDF feature not supported in documents Qoltanba reads: …
    #[error("PDF feature not supported in documents Qoltanba reads: {0}")]
    Unsupported(&'static str),
    /// PDF exceeds a limit: …
    #[error("PDF exceeds a limit: {0}")]
    Limit(&'static str),
    /// The work was cancelled (its deadline passed)
    #[error("the work was cancelled (its deadline passed)")]
    Cancelled,
}
