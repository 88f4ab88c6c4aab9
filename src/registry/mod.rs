//! The registry: the memory of every document Qoltanba issued, behind a trait so the store can change
//! (SQLite now, PostgreSQL later, design.md §2) without touching the workflow.
//!
//! A document's number is printed on it and signed in its seal, so it must exist before the document is
//! rendered, yet a number may never be skipped or reused. [`Registry::issue`] therefore reserves the next number,
//! hands it to the caller's renderer and stores the result in one transaction: a renderer that fails rolls the
//! reservation back, a crash before commit leaves no trace, and a committed number is never handed out again.

mod sqlite;

pub use sqlite::SqliteRegistry;

use serde::Serialize;
use thiserror::Error;

/// A stored document's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DocumentId(pub i64);

/// A document number: `{form id}-{year}-{sequence, 6 digits}`, e.g. `licence-2026-000042`.
/// Sequences start at 1 and are gap-free per form and year.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DocumentNumber {
    pub form: String,
    pub year: i32,
    pub sequence: u64,
}

impl std::fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{:06}", self.form, self.year, self.sequence)
    }
}

/// What a renderer produces for a reserved number.
#[derive(Debug, Clone)]
pub struct RenderedDocument {
    /// Issue time, Unix seconds.
    pub issued_at: i64,
    /// The canonical JSON the seal signs.
    pub canonical_data: Vec<u8>,
    /// The seal's barcode texts.
    pub seal: Vec<String>,
    pub pdf: Vec<u8>,
}

impl From<crate::forms::IssuedDocument> for RenderedDocument {
    fn from(doc: crate::forms::IssuedDocument) -> Self {
        RenderedDocument {
            issued_at: doc.issued_at,
            canonical_data: doc.canonical_data.into_bytes(),
            seal: doc.seal,
            pdf: doc.pdf,
        }
    }
}

/// A document as stored.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub id: DocumentId,
    pub number: String,
    pub form: String,
    pub issued_at: i64,
    pub canonical_data: Vec<u8>,
    pub seal: Vec<String>,
    pub pdf: Vec<u8>,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    /// Who acted: a token's name, never the token.
    pub actor: String,
    pub action: String,
    /// What it acted on: a document number or application id.
    pub subject: String,
}

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("registry storage: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("registry schema version {found} is newer than this build understands ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("form id {0:?} cannot be part of a document number")]
    BadForm(String),
    #[error("year {0} is out of range")]
    BadYear(i32),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The caller's renderer failed; nothing was stored and the number was not used.
    #[error("rendering document {number} failed: {reason}")]
    Render { number: String, reason: String },
}

/// Persistence of issued documents and the audit log.
pub trait Registry: Send + Sync {
    /// Reserves the next number of `form` in `year`, renders the document with `render` and stores it with an
    /// audit entry, all in one transaction.
    fn issue(
        &self,
        form: &str,
        year: i32,
        actor: &str,
        render: &mut dyn FnMut(&DocumentNumber) -> Result<RenderedDocument, String>,
    ) -> Result<StoredDocument, RegistryError>;

    fn document(&self, id: DocumentId) -> Result<Option<StoredDocument>, RegistryError>;

    fn document_by_number(&self, number: &str) -> Result<Option<StoredDocument>, RegistryError>;

    /// Every number issued for `form` in `year`, in order.
    fn numbers(&self, form: &str, year: i32) -> Result<Vec<u64>, RegistryError>;

    /// The audit log, oldest first.
    fn audit(&self) -> Result<Vec<AuditEntry>, RegistryError>;

    /// Appends to the audit log.
    fn record(&self, actor: &str, action: &str, subject: &str) -> Result<(), RegistryError>;

    /// Stores an API token by its SHA-256 (the token itself is never stored).
    fn add_token(
        &self,
        name: &str,
        role: TokenRole,
        sha256: &[u8; 32],
    ) -> Result<(), RegistryError>;

    /// The name and role of the token with this SHA-256.
    fn token_by_hash(
        &self,
        sha256: &[u8; 32],
    ) -> Result<Option<(String, TokenRole)>, RegistryError>;

    fn token_count(&self) -> Result<u64, RegistryError>;
}

/// What an API token may do. Verification and the public status check need no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    /// Portal backends: submit applications, sign, issue references.
    Portal,
    /// Providers' operators: decide and change licences.
    Operator,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Portal => "portal",
            TokenRole::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "portal" => Some(TokenRole::Portal),
            "operator" => Some(TokenRole::Operator),
            _ => None,
        }
    }
}

/// Form ids become part of document numbers, which allow letters, digits and `- / .` only.
fn check_form(form: &str) -> Result<(), RegistryError> {
    let ok = !form.is_empty()
        && form.len() <= 48
        && form
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::BadForm(form.to_string()))
    }
}
