//! Issuing: validate, lay out, write, seal, sign the file.

use crate::clock::UnixTime;
use crate::cms::CmsSigner;
use crate::forms::{FieldError, TemplateError};
use crate::seal::SealMode;

/// Most pages an issued document may have (its data budget keeps real documents at a few).
pub(crate) const MAX_PAGES: usize = 20;
/// Largest issued PDF: it must fit, base64-encoded, in a public verification request (README: `public_body_limit`).
pub const MAX_ISSUED_PDF: usize = 2 * 1024 * 1024;

/// Why a document could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The form has no template, or its template is broken.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Data does not fit form `form`: `error`.
    #[error("data does not fit form {form}: {error}")]
    Data {
        /// The form id.
        form: String,
        /// The first field that does not fit.
        error: FieldError,
    },
    /// Document number must be 1-64 characters of letters, digits and - / .
    #[error("document number must be 1-64 characters of letters, digits and - / .")]
    BadNumber,
    /// The document would be too large to verify: …
    #[error("the document would be too large to verify: {0}")]
    TooLarge(String),
    /// Rendering failed: …
    #[error("rendering failed: {0}")]
    Render(String),
    /// The provider's CMS signature over the data could not be made.
    #[error("signing failed: {0}")]
    Signing(#[source] crate::cms::CmsError),
    /// The seal could not be made.
    #[error("sealing failed: {0}")]
    Seal(#[source] crate::seal::SealError),
}

/// Who seals a document, and how the seal names the signer.
#[derive(Clone, Copy)]
pub struct Sealing<'a> {
    /// Who signs the seal and the embedded data.
    pub signer: &'a CmsSigner,
    /// Compact or full seal.
    pub mode: SealMode,
}

/// An issued document: its PDF and the canonical data it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDocument {
    /// The form id.
    pub form: String,
    /// The document number.
    pub number: String,
    /// The issue time (Unix seconds).
    pub issued_at: UnixTime,
    /// The canonical JSON of the data, as sealed.
    pub canonical_data: String,
    /// The seal's barcode texts (one per QR symbol), empty when the document was not sealed.
    pub seal: Vec<String>,
    /// The PDF.
    pub pdf: Vec<u8>,
}

/// Checks `data` against form `form_id` as [`issue`] would, without rendering: a caller that reserves a number
/// before rendering checks first, so bad data never takes a number.
pub(crate) fn check(form_id: &str, data: &serde_json::Value) -> Result<(), IssueError> {
    let template = crate::forms::form(form_id)?;
    let fonts = crate::render::Fonts::get().map_err(|e| IssueError::Render(e.to_string()))?;
    template
        .validate(data, |c| fonts.covers(c))
        .map(|_| ())
        .map_err(|error| IssueError::Data {
            form: form_id.to_string(),
            error,
        })
}

/// Fills form `form_id` with `data` and renders it as document `number` issued at `issued_at` (Unix seconds).
/// With `sealing`, the document carries the seal, the embedded data's CMS and the provider's PDF signature. The same
/// inputs always give the same bytes (for deterministic signature algorithms).
pub fn issue(
    form_id: &str,
    data: &serde_json::Value,
    number: &str,
    issued_at: i64,
    sealing: Option<Sealing<'_>>,
) -> Result<IssuedDocument, IssueError> {
    let ok_number = !number.is_empty()
        && number.len() <= 64
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.'));
    if !ok_number {
        return Err(IssueError::BadNumber);
    }
    let template = crate::forms::form(form_id)?;
    let fonts = crate::render::Fonts::get().map_err(|e| IssueError::Render(e.to_string()))?;
    let data = template
        .validate(data, |c| fonts.covers(c))
        .map_err(|error| IssueError::Data {
            form: form_id.to_string(),
            error,
        })?;
    // The date a reader in Kazakhstan sees on the calendar (UTC+5), not the UTC date: a document issued at
    // 20:00 UTC is dated the next day.
    let issued_at = UnixTime::from_secs(issued_at);
    let date = issued_at
        .local_date()
        .map(|d| format!("{:02}.{:02}.{:04}", d.day(), u8::from(d.month()), d.year()))
        .ok_or_else(|| IssueError::Render("issue time out of range".into()))?;
    // The canonical data travels inside the PDF, so a verifier can recompute what the seal signs.
    let canonical_data = data.canonical_json();
    let seal = match &sealing {
        Some(s) => crate::seal::seal(
            &crate::seal::SealContent {
                form: form_id.to_string(),
                number: number.to_string(),
                issued_at,
                data: canonical_data.clone(),
            },
            s.signer,
            s.mode,
        )
        .map_err(|e| match e {
            crate::seal::SealError::TooLong => IssueError::TooLarge(e.to_string()),
            e => IssueError::Seal(e),
        })?,
        None => Vec::new(),
    };
    let mut blocks = template.blocks(&data.with_document(number, &date), &seal);
    // The number and date the seal signs, printed where a reader can compare them with it, and the code that lets
    // the holder of the paper (and nobody guessing numbers) ask for its status.
    let mut note =
        format!("Құжат нөмірі / Номер документа: {number}    Берілген күні / Дата выдачи: {date}");
    if let Some(code) = crate::seal::verification_code(&seal) {
        note.push_str(&format!("    Тексеру коды / Код проверки: {code}"));
    }
    blocks.push(crate::render::Block::Note(note));
    let info = crate::render::PdfInfo {
        title: format!("{} {number}", template.name.kk),
        subject: format!("{form_id} {number}"),
        keywords: vec![number.to_string(), form_id.to_string()],
        issued_at,
    };
    let mut layouter = crate::render::Layouter::new(fonts);
    for b in &blocks {
        layouter.add(b);
    }
    let pages = layouter.finish();
    if pages.len() > MAX_PAGES {
        return Err(IssueError::TooLarge(format!(
            "{} pages, more than {MAX_PAGES}",
            pages.len()
        )));
    }
    let pdf = crate::render::write_pdf(fonts, &pages, &info);
    // Signed by the provider: a detached CMS over exactly the embedded data, made at the issue time.
    let signature = sealing
        .map(|s| {
            s.signer
                .sign(canonical_data.as_bytes(), true, issued_at.secs())
        })
        .transpose()
        .map_err(IssueError::Signing)?;
    let mut files = vec![super::pades::Attachment {
        name: super::DATA_FILE_NAME,
        mime: "application/json",
        data: canonical_data.as_bytes(),
    }];
    if let Some(cms) = &signature {
        files.push(super::pades::Attachment {
            name: super::SIGNATURE_FILE_NAME,
            mime: "application/pkcs7-signature",
            data: cms,
        });
    }
    let pdf = super::pades::finish(pdf, &files, sealing.map(|s| s.signer), issued_at.secs())
        .map_err(IssueError::Render)?;
    if pdf.len() > MAX_ISSUED_PDF {
        return Err(IssueError::TooLarge(format!(
            "{} bytes, more than {MAX_ISSUED_PDF}",
            pdf.len()
        )));
    }
    Ok(IssuedDocument {
        form: form_id.to_string(),
        number: number.to_string(),
        issued_at,
        canonical_data,
        seal,
        pdf,
    })
}
