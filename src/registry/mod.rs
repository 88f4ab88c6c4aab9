//! The registry: the memory of every document Qoltanba issued, behind a trait so the store can change
//! (SQLite now, PostgreSQL later, ARCHITECTURE.md) without touching the workflow.
//!
//! A document's number is printed on it and signed in its seal, so it must exist before the document is
//! rendered, yet a number may never be skipped or reused. [`Registry::issue`] therefore reserves the next number,
//! hands it to the caller's renderer and stores the result in one transaction: a renderer that fails rolls the
//! reservation back, a crash before commit leaves no trace, and a committed number is never handed out again.

pub(crate) mod ahead;
pub(crate) mod chain;
mod postgres;
mod sqlite;

pub use postgres::PostgresRegistry;
pub use sqlite::SqliteRegistry;

use serde::Serialize;
use thiserror::Error;

use crate::clock::UnixTime;
use crate::forms::{FormId, FormKind};
use crate::issuance::{LicenceStatus, LifecycleAction, TransitionError};

/// A stored document's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DocumentId(pub i64);

/// A document number: `{form id}-{year}-{sequence, 6 digits}`, e.g. `licence-2026-000042`.
/// Sequences start at 1 and are gap-free per form and year.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DocumentNumber {
    /// The form id.
    pub form: FormId,
    /// The calendar year of issue (Almaty time).
    pub year: i32,
    /// The next number of the form's series in that year, from 1, without gaps.
    pub sequence: u64,
    /// A number assigned outside (E-licensing assigns licences theirs): printed and stored instead of ours,
    /// while the sequence above still counts the document in our series.
    pub assigned: Option<String>,
}

impl std::fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.assigned {
            Some(number) => f.write_str(number),
            None => write!(f, "{}-{}-{:06}", self.form, self.year, self.sequence),
        }
    }
}

/// What a renderer produces for a reserved number.
#[derive(Debug, Clone)]
pub struct RenderedDocument {
    /// Issue time, Unix seconds.
    pub issued_at: UnixTime,
    /// The canonical JSON the seal signs.
    pub canonical_data: Vec<u8>,
    /// The seal's barcode texts.
    pub seal: Vec<String>,
    /// The sealed PDF.
    pub pdf: Vec<u8>,
}

impl From<crate::document::IssuedDocument> for RenderedDocument {
    fn from(doc: crate::document::IssuedDocument) -> Self {
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
    /// The row id.
    pub id: DocumentId,
    /// The document number (`FORM-YEAR-SEQUENCE`).
    pub number: String,
    /// 0 for the original, 1, 2, ... for its duplicates (which share its number).
    pub copy: u32,
    /// The form id.
    pub form: FormId,
    /// When it was issued (Unix seconds).
    pub issued_at: UnixTime,
    /// The canonical JSON of the form data, as sealed.
    pub canonical_data: Vec<u8>,
    /// The barcode texts of the seal, one per symbol.
    pub seal: Vec<String>,
    /// The sealed PDF as issued.
    pub pdf: Vec<u8>,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// The entry's sequence number.
    pub id: i64,
    /// When it happened (Unix seconds, the caller's clock).
    pub at: UnixTime,
    /// Who acted: a token's name, never the token.
    pub actor: String,
    /// What happened, as a stable name.
    pub action: String,
    /// What it acted on: a document number or application id.
    pub subject: String,
}

/// Why the registry refused or failed an operation.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// The storage engine failed (the engine's own error is kept as the source).
    #[error("registry storage: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database cannot be reached now (connection lost or refused, server restarting, a lock or statement
    /// timeout): nothing was written, and the same request may be sent again.
    #[error("the registry is unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database was written by a newer build.
    #[error("registry schema version {found} is newer than this build understands ({supported})")]
    SchemaTooNew {
        /// The schema version stored.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// A form id that cannot be part of a document number.
    #[error(transparent)]
    BadForm(#[from] crate::forms::FormIdError),
    /// Year … is out of range.
    #[error("year {0} is out of range")]
    BadYear(i32),
    /// Stored data is corrupt: …
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The caller's renderer failed; nothing was stored and the number was not used.
    #[error("rendering document {number} failed: {source}")]
    Render {
        /// The number that was reserved for it.
        number: String,
        /// Why rendering failed.
        #[source]
        source: RenderError,
    },
    /// The named application or document does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The step is not allowed in the current state (checked inside the transaction).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Lifecycle actions apply to licences only, not to this form.
    #[error("{0} documents have no lifecycle")]
    NoLifecycle(String),
    /// The caller used this idempotency key before, for a different request.
    #[error("the idempotency key {0:?} was used before for a different request")]
    IdempotencyKeyReused(String),
    /// A number assigned outside is already a document's.
    #[error("number {0} is already issued")]
    NumberTaken(String),
}

/// Which applications to list; every part given must match.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplicationFilter<'a> {
    /// The applicant's IIN or BIN.
    pub applicant: Option<&'a str>,
    /// The service id.
    pub service: Option<&'a str>,
    /// The state.
    pub status: Option<&'a str>,
    /// Submitted before this time (the fee windows' sweep).
    pub submitted_before: Option<UnixTime>,
    /// Going to one of these providers (ids as stored); empty: any.
    pub providers: &'a [&'a str],
}

/// A caller's `Idempotency-Key` for one request: the same key with the same request gets what the first one made,
/// never a second number. Keys are the caller's own (two callers may use the same key).
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyKey<'a> {
    /// The caller (a token's name).
    pub caller: &'a str,
    /// The key the caller sent.
    pub key: &'a str,
    /// SHA-256 of what the request asks for (its route and content), so a key reused for something else is told.
    pub request: [u8; 32],
}

/// What the first request with an idempotency key made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remembered {
    /// A document (an issued reference).
    Document(DocumentId),
    /// A step of this application.
    Application(ApplicationId),
}

/// Why the caller's renderer gave no document: the registry passes it back whole, so the caller can tell a bad
/// form or data from a cancelled request without keeping a note of its own.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The work was cancelled (its deadline passed or the service is stopping).
    #[error("cancelled")]
    Cancelled,
    /// Issuing the document failed.
    #[error(transparent)]
    Issue(#[from] crate::document::IssueError),
}

/// Renders the document that will carry a reserved number.
pub type Render<'a> = dyn FnMut(&DocumentNumber) -> Result<RenderedDocument, RenderError> + 'a;

/// Renders a refusal at submission: it needs the application's number, reserved in the same transaction.
pub type RenderForApplication<'a> =
    dyn FnMut(&str, &DocumentNumber) -> Result<RenderedDocument, RenderError> + 'a;

/// An application's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ApplicationId(pub i64);

/// What is stored when an application arrives.
#[derive(Debug, Clone)]
pub struct NewApplication<'a> {
    /// The service id.
    pub service: &'a str,
    /// The applicant's IIN or BIN.
    pub applicant: &'a str,
    /// The applicant's name, from the certificate.
    pub applicant_name: &'a str,
    /// When it was submitted (Unix seconds).
    pub submitted_at: UnixTime,
    /// The signed content (the application JSON).
    pub content: &'a [u8],
    /// The applicant's CMS signature, as submitted.
    pub cms: &'a [u8],
    /// The verification report, JSON.
    pub verification: &'a str,
    /// Set when the verification could not end (revocation unknown): the application waits in
    /// `verificationPending` and is verified again until this deadline.
    pub pending_until: Option<UnixTime>,
    /// The state it enters when its signature is confirmed (its service's start).
    pub start: &'a str,
    /// SHA-256 of the signed request: it identifies the application (a retried submission is the same one).
    pub signed_sha256: [u8; 32],
    /// When the service's term starts at submission: the due date (the application is registered at once).
    pub start_due: Option<String>,
    /// The provider it goes to (its id in the node's configuration).
    pub provider: &'a str,
}

/// An application waiting for its verification to end, with what is needed to verify it again.
#[derive(Debug, Clone)]
pub struct PendingApplication {
    /// The application's id.
    pub id: ApplicationId,
    /// Its number.
    pub number: String,
    /// When it was submitted: the time its signature is verified at.
    pub submitted_at: UnixTime,
    /// Until when it is verified again; refused after.
    pub pending_until: UnixTime,
    /// The signed content.
    pub content: Vec<u8>,
    /// The applicant's CMS signature, as submitted.
    pub cms: Vec<u8>,
}

/// An application as stored.
#[derive(Debug, Clone)]
pub struct ApplicationRecord {
    /// The application's id.
    pub id: ApplicationId,
    /// `QLT-APP-{year}-{sequence}`.
    pub number: String,
    /// The service id.
    pub service: String,
    /// The applicant's IIN or BIN.
    pub applicant: String,
    /// The applicant's name, from the certificate.
    pub applicant_name: String,
    /// When it was submitted (Unix seconds).
    pub submitted_at: UnixTime,
    /// The signed content (the application's JSON).
    pub content: Vec<u8>,
    /// The verification report of the applicant's signature, JSON.
    pub verification: String,
    /// Where the application stands: a state of its service (`verificationPending` and `refused` for all).
    pub status: String,
    /// The fee's payment reference, once paid.
    pub payment_reference: Option<String>,
    /// When it was registered (Unix seconds).
    pub registered_at: Option<UnixTime>,
    /// The provider's deadline: `YYYY-MM-DD`, or RFC 3339 for terms in hours or minutes.
    pub due_date: Option<String>,
    /// When the provider decided (Unix seconds).
    pub decided_at: Option<UnixTime>,
    /// While `verificationPending`: until when the verification is tried again.
    pub pending_until: Option<UnixTime>,
    /// The licence or refusal issued for it.
    pub document: Option<(DocumentId, String)>,
    /// The provider it goes to; empty: the node's first (applications stored before a node had several).
    pub provider: String,
}

/// A step of an application after submission, with what it brings. The workflow decides it from the state it
/// read; the registry takes it only if the application is still in that state, under its write lock.
pub struct Advance<'a, 'r> {
    /// The state the step was decided in.
    pub from: &'a str,
    /// The state it leads to.
    pub to: &'a str,
    /// The audit log's name for it (`application.registered`, `application.refused.noPayment`, …).
    pub audit: &'a str,
    /// The step starts the service's term: the application is registered now.
    pub registers: bool,
    /// The state it leads to is final: the application is decided now.
    pub decides: bool,
    /// When (Unix seconds).
    pub at: UnixTime,
    /// The payment reference, for the payment step.
    pub payment_reference: Option<&'a str>,
    /// The decision's due date (`YYYY-MM-DD`), set at registration.
    pub due_date: Option<String>,
    /// The form and renderer of the document the step issues (licence or refusal).
    pub document: Option<(&'a str, &'a mut Render<'r>)>,
    /// The number an outside registry assigned to that document (E-licensing's licence number), instead of ours.
    pub number: Option<&'a str>,
    /// The head's own signature on the step, kept with it: the CMS, who signed, the verification report (JSON).
    pub signature: Option<(&'a [u8], &'a str, &'a str)>,
    /// The licence the step re-issues or duplicates, with the reason recorded in its history; `document`'s
    /// renderer makes the new document.
    pub change: Option<(DocumentId, LifecycleAction, &'a str)>,
    /// The caller's idempotency key: taken once; a retry with the same key changes nothing.
    pub idempotency: Option<IdempotencyKey<'a>>,
    /// A new verification report (JSON) replacing the stored one: the steps that end a pending verification.
    pub verification: Option<&'a str>,
}

/// One event of a licence's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceEvent {
    /// When (Unix seconds).
    pub at: UnixTime,
    /// What was done.
    pub event: LifecycleAction,
    /// The operator's stated reason.
    pub reason: String,
    /// The document the event made: the replacement or the duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// Where a document stands: what the public status check shows.
#[derive(Debug, Clone)]
pub struct DocumentStanding {
    /// The document's row id.
    pub id: DocumentId,
    /// The document number.
    pub number: String,
    /// The form id.
    pub form: FormId,
    /// When it was issued (Unix seconds).
    pub issued_at: UnixTime,
    /// The licence's status now.
    pub status: LicenceStatus,
    /// The lifecycle events, oldest first.
    pub events: Vec<LicenceEvent>,
    /// The number of the document that replaced this one.
    pub replaced_by: Option<String>,
    /// The number of the document this one replaced.
    pub replaces: Option<String>,
    /// How many duplicates were issued.
    pub duplicates: u32,
}

/// Persistence of issued documents and the audit log.
pub trait Registry: Send + Sync {
    /// Gives the document the next number of `form` in `year`, renders it with `render` and stores it with an
    /// audit entry: gap-free, a failed render uses no number. `render` may run outside the storing transaction and
    /// more than once, for a different number each time (SQLite renders while earlier documents are stored and
    /// renders again when a number ahead drops out); only the rendering for the stored number is kept, so it must
    /// have no effect beyond its result.
    fn issue(
        &self,
        form: &FormId,
        year: i32,
        actor: &str,
        render: &mut Render<'_>,
    ) -> Result<StoredDocument, RegistryError>;

    /// [`Registry::issue`] at most once per idempotency key: the document the key's first request made, with
    /// `true`, or a new one stored with the key in the same transaction, with `false`.
    fn issue_once(
        &self,
        key: &IdempotencyKey<'_>,
        form: &FormId,
        year: i32,
        actor: &str,
        render: &mut Render<'_>,
    ) -> Result<(StoredDocument, bool), RegistryError>;

    /// What the first request with this key made, if any; [`RegistryError::IdempotencyKeyReused`] when it was for a
    /// different request.
    fn remembered(&self, key: &IdempotencyKey<'_>) -> Result<Option<Remembered>, RegistryError>;

    /// The application whose signed request (its CMS, with the content when detached, or its XML) has this
    /// SHA-256: a request submitted again is that application.
    fn application_by_signature(
        &self,
        sha256: &[u8; 32],
    ) -> Result<Option<ApplicationRecord>, RegistryError>;

    /// Stores a new application with its number; with `refusal`, refused at once with that document (the EDS was
    /// not confirmed), all in one transaction. An application with the same signed request already stored is
    /// returned instead (no number used). `refusal` may run before the transaction for the numbers a reader expects
    /// and again inside it for others (`registry::ahead`): only the rendering for the stored numbers is kept, so it
    /// must have no effect beyond its result.
    fn submit_application(
        &self,
        application: &NewApplication<'_>,
        actor: &str,
        refusal: Option<&mut RenderForApplication<'_>>,
    ) -> Result<ApplicationRecord, RegistryError>;

    /// The application with `id`, if any.
    fn application(&self, id: ApplicationId) -> Result<Option<ApplicationRecord>, RegistryError>;

    /// Up to `limit` applications in `verificationPending` with ids above `after` (all when `None`), in id order:
    /// a caller pages through them all, however many there are.
    fn pending_applications(
        &self,
        after: Option<ApplicationId>,
        limit: usize,
    ) -> Result<Vec<PendingApplication>, RegistryError>;

    /// Up to `limit` applications matching `filter`, with ids above `after`, in id order (a caller pages through
    /// them): an applicant's, a service's, those in a state, those submitted before a time.
    fn find_applications(
        &self,
        filter: &ApplicationFilter<'_>,
        after: Option<ApplicationId>,
        limit: usize,
    ) -> Result<Vec<ApplicationRecord>, RegistryError>;

    /// Moves an application one step, storing the step's document in the same transaction. Fails with
    /// [`RegistryError::Transition`] when the application's current state does not allow the step. The document's
    /// renderer may run before the transaction and again inside it, as `submit_application`'s.
    fn advance_application(
        &self,
        id: ApplicationId,
        actor: &str,
        advance: Advance<'_, '_>,
    ) -> Result<ApplicationRecord, RegistryError>;

    /// Applies a lifecycle action to a licence (a duplicate's id means its original). Re-issue and duplicate
    /// store their document made by `render` in the same transaction (`render` may run before it and again inside,
    /// as `submit_application`'s). Returns the licence's standing after it and the new document.
    fn change_document(
        &self,
        id: DocumentId,
        actor: &str,
        action: LifecycleAction,
        reason: &str,
        at: UnixTime,
        render: Option<&mut Render<'_>>,
    ) -> Result<(DocumentStanding, Option<StoredDocument>), RegistryError>;

    /// The standing of the original document with this number.
    fn standing(&self, number: &str) -> Result<Option<DocumentStanding>, RegistryError>;

    /// The document with row id `id`, if any.
    fn document(&self, id: DocumentId) -> Result<Option<StoredDocument>, RegistryError>;

    /// The latest document with `number`, if any.
    fn document_by_number(&self, number: &str) -> Result<Option<StoredDocument>, RegistryError>;

    /// The original with this number and its duplicates, in order.
    fn documents_by_number(&self, number: &str) -> Result<Vec<StoredDocument>, RegistryError>;

    /// Every number issued for `form` in `year`, in order.
    fn numbers(&self, form: &FormId, year: i32) -> Result<Vec<u64>, RegistryError>;

    /// The numbers of `form` in `year` that were reserved and never issued, with why (a document that could not
    /// be completed, a node that stopped before completing it): with [`Registry::numbers`], every number from 1
    /// to the last is accounted for. Only a registry that reserves numbers ahead of rendering has any.
    fn voided_numbers(&self, form: &FormId, year: i32) -> Result<Vec<VoidedNumber>, RegistryError>;

    /// Settles numbers reserved but never completed: this node's own when `own` (at its start: whatever it had
    /// reserved before stopping was abandoned), and any node's reserved before `older_than` (a node that never came
    /// back). Each is given back when it is still its series' last number, voided with its reason otherwise.
    /// Returns how many were settled.
    fn settle_reservations(
        &self,
        own: bool,
        older_than: UnixTime,
        at: UnixTime,
    ) -> Result<u64, RegistryError>;

    /// The audit log, oldest first.
    fn audit(&self) -> Result<Vec<AuditEntry>, RegistryError>;

    /// Every audit chain's stored head, and a head of sequence 0 for a chain that has entries but no head.
    fn audit_heads(&self) -> Result<Vec<chain::ChainHead>, RegistryError>;

    /// Up to `limit` entries of audit chain `chain` after `(seq, id)`, in sequence order (then id): a caller
    /// walks a chain of any length a page at a time.
    fn audit_chain(
        &self,
        chain: &str,
        after: (i64, i64),
        limit: usize,
    ) -> Result<Vec<chain::ChainedEntry>, RegistryError>;

    /// Appends to the audit log, at the caller's time.
    fn record(
        &self,
        at: UnixTime,
        actor: &str,
        action: &str,
        subject: &str,
    ) -> Result<(), RegistryError>;

    /// Stores an API token by its SHA-256 (the token itself is never stored), created at `at`.
    fn add_token(
        &self,
        holder: &TokenHolder,
        sha256: &[u8; 32],
        at: i64,
    ) -> Result<(), RegistryError>;

    /// Revokes the token named `name` at `at` (the row stays, marked, and the name is never reused); an audit
    /// entry says who. `false` when no such token is in force.
    fn revoke_token(&self, name: &str, actor: &str, at: i64) -> Result<bool, RegistryError>;

    /// The holder of the token with this SHA-256, unless it was revoked.
    fn token_by_hash(&self, sha256: &[u8; 32]) -> Result<Option<TokenHolder>, RegistryError>;

    /// Every token in force: its holder and SHA-256.
    fn tokens(&self) -> Result<Vec<(TokenHolder, [u8; 32])>, RegistryError>;

    /// How many tokens were ever made (revoked ones too: a node whose tokens were all revoked makes no new ones
    /// on its next start).
    fn token_count(&self) -> Result<u64, RegistryError>;

    /// Applications' status changes after event `after`, oldest first, at most `limit`.
    fn application_events(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ApplicationEvent>, RegistryError>;

    /// The last event the feed `name` delivered; a feed asked for the first time starts at the newest event.
    fn delivery_cursor(&self, name: &str) -> Result<i64, RegistryError>;

    /// Records that feed `name` delivered every event up to `last_event` (never moves back).
    fn set_delivery_cursor(&self, name: &str, last_event: i64) -> Result<(), RegistryError>;
}

/// A number reserved and never issued: accounted for, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoidedNumber {
    /// Its sequence in its series.
    pub sequence: u64,
    /// When it was voided.
    pub at: UnixTime,
    /// Why.
    pub reason: String,
}

/// An application's status change, as a notification tells it: identifiers only, no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationEvent {
    /// The event's id: increasing, the order of the changes.
    pub id: i64,
    /// The application.
    pub application: ApplicationId,
    /// Its number.
    pub number: String,
    /// Its service.
    pub service: String,
    /// Its provider's id (empty: the node's first).
    pub provider: String,
    /// The state it entered.
    pub status: String,
    /// When.
    pub at: UnixTime,
    /// The number of the document the change issued.
    pub document: Option<String>,
}

/// Who holds an API token: a person or a system, by the name the audit log records; what it may do; and, for a
/// provider's operator, the provider they work for (`None`: every provider — portals, and operators of a
/// single-provider node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    /// The holder's name (never the token itself): what the audit log says did a thing.
    pub name: String,
    /// What it may do.
    pub role: TokenRole,
    /// The provider whose applications it may act on; `None`: all.
    pub provider: Option<String>,
}

impl TokenHolder {
    /// A holder acting for every provider.
    pub fn new(name: impl Into<String>, role: TokenRole) -> Self {
        TokenHolder {
            name: name.into(),
            role,
            provider: None,
        }
    }

    /// Whether the holder may act on what belongs to `provider`.
    pub fn serves(&self, provider: &str) -> bool {
        self.provider.as_deref().is_none_or(|p| p == provider)
    }
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
    /// The role's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Portal => "portal",
            TokenRole::Operator => "operator",
        }
    }

    /// The role of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "portal" => Some(TokenRole::Portal),
            "operator" => Some(TokenRole::Operator),
            _ => None,
        }
    }
}

/// The local (Astana) year of a Unix time, for numbering: a document dated 1 January locally is numbered in the
/// new year even while it is still 31 December in UTC. Both backends number by it.
pub(crate) fn year_of(at: UnixTime) -> Result<i32, RegistryError> {
    at.local_date()
        .map(|d| d.year())
        .ok_or(RegistryError::BadYear(i32::MAX))
}

/// A licence's status from its stored events; a history the state machine refuses is corrupt data.
pub(crate) fn status_of(events: &[LicenceEvent]) -> Result<LicenceStatus, RegistryError> {
    LicenceStatus::from_history(events.iter().map(|e| e.event))
        .map_err(|e| RegistryError::Corrupt(format!("licence history: {e}")))
}

impl TokenHolder {
    /// A holder as a backend stored it; an unknown role is corrupt data.
    pub(crate) fn stored(
        name: String,
        role: &str,
        provider: Option<String>,
    ) -> Result<TokenHolder, RegistryError> {
        let role = TokenRole::parse(role)
            .ok_or_else(|| RegistryError::Corrupt(format!("token role {role:?}")))?;
        Ok(TokenHolder {
            name,
            role,
            provider,
        })
    }
}

/// Whether documents of `form` have a lifecycle (licences do; references and refusals do not).
pub(crate) fn has_lifecycle(form: &FormId) -> bool {
    form.kind() == FormKind::Licence
}
