//! A strict, bounded reader (and a small writer) of the PDF files Qoltanba issues.
//!
//! Why not a PDF crate: `lopdf` (printpdf's parser) loads every object eagerly, inflates streams and object
//! streams without a size limit and resolves references recursively without a budget — a 41 KB file could make it
//! allocate gigabytes or walk a graph of doubled references for hours. Verification reads files from anyone, so
//! this reader is written for that: classic cross-reference tables only (what Qoltanba and printpdf write; a
//! cross-reference stream is refused as not ours), every object parsed on demand and cached, and a per-file
//! [`Budget`] on objects resolved, bytes inflated and time (a [`crate::cancel::Cancel`] flag), checked as it goes.
//! Everything it reads is linear in the file's size.

mod cmap;
mod content;
mod file;
mod object;
pub mod write;

pub use content::{visible_page, DrawnImage, PageView, VisibleGlyph};
pub use file::{Budget, Page, PdfFile, Revision};
pub use object::{Dict, Lexer, Object, Stream, Token};

use thiserror::Error;

/// Why a PDF could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PdfError {
    #[error("not a PDF: {0}")]
    NotPdf(&'static str),
    #[error("PDF syntax error at byte {offset}: {what}")]
    Syntax { offset: usize, what: &'static str },
    #[error("PDF structure: {0}")]
    Structure(String),
    #[error("PDF feature not supported in documents Qoltanba reads: {0}")]
    Unsupported(&'static str),
    #[error("PDF exceeds a limit: {0}")]
    Limit(&'static str),
    #[error("the work was cancelled (its deadline passed)")]
    Cancelled,
}
