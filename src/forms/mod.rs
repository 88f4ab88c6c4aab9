//! Output forms as data: each form of design.md §5 is a template file in `templates/` (built into the binary)
//! with its bilingual text, field labels, captions, barcode caption, and a schema for its data.

mod schema;
mod template;

pub use schema::{FieldError, FieldType, FieldValue, FormData, MAX_ROWS};
pub use template::{FormTemplate, TemplateBlock, TemplateError};

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Embeds `templates/<id>.json` for each id.
macro_rules! templates {
    ($($id:literal),* $(,)?) => {
        &[$(($id, include_str!(concat!("../../templates/", $id, ".json")))),*]
    };
}

/// The template sources, embedded at build time (the files in `templates/` are their sources).
const SOURCES: &[(&str, &str)] = templates![
    "reference.birth",
    "reference.name-change",
    "reference.divorce",
    "reference.marriage",
    "reference.real-estate-rights",
    "reference.real-estate-presence",
    "reference.legal-entity",
    "reference.legal-entity-branches",
    "reference.legal-entity-participation",
    "reference.individual-participation",
    "notification.accepted",
    "licence.private-bailiff",
    "licence.security",
    "licence.advocacy",
    "attestation.advocacy",
    "refusal",
];

/// Every built-in form, parsed once.
pub fn catalogue() -> Result<&'static BTreeMap<String, FormTemplate>, TemplateError> {
    static CATALOGUE: OnceLock<Result<BTreeMap<String, FormTemplate>, TemplateError>> =
        OnceLock::new();
    CATALOGUE
        .get_or_init(|| {
            let mut forms = BTreeMap::new();
            for (id, source) in SOURCES {
                let t = FormTemplate::parse(source)?;
                if t.id != *id {
                    return Err(TemplateError::Invalid(format!(
                        "template {id} declares id {}",
                        t.id
                    )));
                }
                forms.insert(t.id.clone(), t);
            }
            Ok(forms)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The name of the embedded file that holds a document's canonical data.
pub const DATA_FILE_NAME: &str = "qoltanba-data.json";

/// The name of the embedded file that holds the provider's detached CMS signature over the canonical data.
pub const SIGNATURE_FILE_NAME: &str = "qoltanba-data.json.p7s";

/// Why a document could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("data does not fit form {form}: {error}")]
    Data { form: String, error: FieldError },
    #[error("document number must be 1-64 characters of letters, digits and - / .")]
    BadNumber,
    #[error("rendering failed: {0}")]
    Render(String),
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Who seals a document, and how the seal names the signer.
#[derive(Clone, Copy)]
pub struct Sealing<'a> {
    pub signer: &'a crate::cms::CmsSigner,
    pub mode: crate::seal::SealMode,
}

/// An issued document: its PDF and the canonical data it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDocument {
    pub form: String,
    pub number: String,
    pub issued_at: i64,
    pub canonical_data: String,
    /// The seal's barcode texts (one per QR symbol), empty when the document was not sealed.
    pub seal: Vec<String>,
    pub pdf: Vec<u8>,
}

/// Fills form `form_id` with `data` and renders it as document `number` issued at `issued_at` (Unix seconds).
/// The same inputs always give the same bytes.
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
    let template = form(form_id)?;
    let fonts = crate::render::Fonts::get().map_err(|e| IssueError::Render(e.to_string()))?;
    let data = template
        .validate(data, |c| fonts.covers(c))
        .map_err(|error| IssueError::Data {
            form: form_id.to_string(),
            error,
        })?;
    // The date a reader in Kazakhstan sees on the calendar (UTC+5), not the UTC date: a document issued at
    // 20:00 UTC is dated the next day.
    let date = crate::issuance::local_date(issued_at)
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
        .map_err(|e| IssueError::Signing(e.to_string()))?,
        None => Vec::new(),
    };
    let mut blocks = template.blocks(&data.with_document(number, &date), &seal);
    // The number and date the seal will sign, printed where a reader can compare them with it.
    blocks.push(crate::render::Block::Note(format!(
        "Құжат нөмірі / Номер документа: {number}    Берілген күні / Дата выдачи: {date}"
    )));
    let info = crate::render::PdfInfo {
        title: format!("{} {number}", template.name.kk),
        subject: format!("{form_id} {number}"),
        keywords: vec![number.to_string(), form_id.to_string()],
        issued_at,
    };
    let pdf =
        crate::render::render(&blocks, &info).map_err(|e| IssueError::Render(e.to_string()))?;
    // Signed by the provider: a detached CMS over exactly the embedded data, made at the issue time.
    let signature = sealing
        .map(|s| s.signer.sign(canonical_data.as_bytes(), true, issued_at))
        .transpose()
        .map_err(|e| IssueError::Signing(e.to_string()))?;
    let mut files = vec![crate::render::Attachment {
        name: DATA_FILE_NAME,
        mime: "application/json",
        data: canonical_data.as_bytes(),
    }];
    if let Some(cms) = &signature {
        files.push(crate::render::Attachment {
            name: SIGNATURE_FILE_NAME,
            mime: "application/pkcs7-signature",
            data: cms,
        });
    }
    let pdf = crate::render::attach(pdf, &files).map_err(|e| IssueError::Render(e.to_string()))?;
    Ok(IssuedDocument {
        form: form_id.to_string(),
        number: number.to_string(),
        issued_at,
        canonical_data,
        seal,
        pdf,
    })
}

/// One form by id.
pub fn form(id: &str) -> Result<&'static FormTemplate, TemplateError> {
    catalogue()?
        .get(id)
        .ok_or_else(|| TemplateError::UnknownForm(id.to_string()))
}
