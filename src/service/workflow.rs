//! The flow of README, "The application flow" over a registry: each step verifies what it is given, asks [`crate::issuance`] what
//! follows, and renders, seals and stores the resulting document in the step's one registry transaction. The
//! HTTP layer is a thin shell over these functions; benchmarks call them directly.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::clock::UnixTime;
use crate::cms::CmsSigner;
use crate::document::{IssueError, Sealing};
use crate::forms::TemplateError;
use crate::identity::NameClaim;
use crate::issuance::catalogue::{
    Actor, Binding, DocumentSpec, Due, Inputs, LicenceChange, ServiceSpec, Source, Term,
    LICENCE_FIELD, REFUSED, STATED, VERIFICATION_PENDING,
};
use crate::issuance::{
    local_date, ApplicantId, Application, ApplicationError, LifecycleAction, Provider,
    RefusalReason, TransitionError, WorkingCalendar,
};
use crate::pki::{TrustStore, VerifyOptions};
use crate::registry::{
    Advance, ApplicationId, ApplicationRecord, DocumentId, DocumentNumber, DocumentStanding,
    IdempotencyKey, NewApplication, Registry, RegistryError, Remembered, Render, RenderError,
    RenderedDocument, StoredDocument,
};
use crate::seal::SealMode;

/// What every step works with, loaded once at start.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Trust for the applicant's signature.
    pub store: &'a TrustStore,
    /// Whose seals count (verification).
    pub issuers: &'a crate::seal::Issuers,
    /// Where applications and documents are stored.
    pub registry: &'a dyn Registry,
    /// The provider's authorised person: signs every document.
    pub signer: &'a CmsSigner,
    /// The provider's details, printed on documents.
    pub provider: &'a Provider,
    /// Every provider of the node: a step on an application acts as the application's ([`Context::acting_for`]).
    pub offices: &'a crate::service::Offices,
    /// The provider the caller works for (an operator's token may name one); `None`: any.
    pub desk: Option<&'a str>,
    /// Where applications' attached files are.
    pub attachments: &'a crate::service::AttachmentStore,
    /// Working days, for the terms.
    pub calendar: &'a WorkingCalendar,
    /// How revocation is checked, per purpose.
    pub revocation: &'a crate::service::RevocationPolicy,
    /// Set when the caller no longer waits (a deadline, the shutdown): the step stops, storing nothing.
    pub cancel: &'a crate::cancel::Cancel,
}

impl<'a> Context<'a> {
    /// The context acting as provider `id` (an application's; empty: the first): its signer signs, its details are
    /// printed. Refused when the caller works for another provider, or the provider is not configured (any more).
    pub fn acting_for(self, id: &str) -> Result<Context<'a>, WorkflowError> {
        let office = self
            .offices
            .get(id)
            .ok_or_else(|| WorkflowError::UnknownProvider(id.to_string()))?;
        if let Some(desk) = self.desk {
            if desk != office.id {
                return Err(WorkflowError::OtherProvider(format!(
                    "this belongs to provider {:?}; the caller works for {desk:?}",
                    office.id
                )));
            }
        }
        Ok(Context {
            signer: &office.signer,
            provider: &office.provider,
            ..self
        })
    }

    fn trust(&self) -> crate::seal::SealTrust<'_> {
        crate::seal::SealTrust {
            store: self.store,
            issuers: self.issuers,
        }
    }

    fn check(&self) -> Result<(), WorkflowError> {
        self.cancel.check().map_err(|_| WorkflowError::Cancelled)
    }

    fn options(&self, at: i64, purpose: crate::service::CheckFor) -> VerifyOptions {
        let mut opts = VerifyOptions::at(at);
        opts.cancel = self.cancel.clone();
        self.revocation.apply(&mut opts, purpose);
        opts
    }
}

/// Why a step did not happen. Nothing was stored and no number was used.
#[derive(Debug, Error)]
pub enum WorkflowError {
    /// The request is malformed.
    #[error("{0}")]
    Malformed(String),
    /// The signed content is not a valid application.
    #[error(transparent)]
    InvalidApplication(#[from] ApplicationError),
    /// No such form …
    #[error("no such form {0:?}")]
    UnknownForm(String),
    /// The form data does not fit the form.
    #[error("{0}")]
    InvalidData(String),
    /// The configured timestamp authority failed while a document was signed: nothing was issued.
    #[error("the signature could not be timestamped: {0}")]
    TimestampUnavailable(String),
    /// The form is not a reference: licences and refusals come from an application's decision.
    #[error("{0} is not a reference: licences and refusals come from an application's decision")]
    NotAReference(String),
    /// The named application or document does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The application's state does not allow the step.
    #[error(transparent)]
    Conflict(TransitionError),
    /// Lifecycle actions apply to licences only, not to this form.
    #[error("{0} documents have no lifecycle")]
    NoLifecycle(String),
    /// The caller's idempotency key was used before for a different request.
    #[error("the Idempotency-Key {0:?} was used before for a different request")]
    KeyReused(String),
    /// Re-issue and duplicates are the licensee's applications, not an operator's action.
    #[error("{0}")]
    NeedsApplication(String),
    /// An attachment the application lists is not the uploaded file (or none was uploaded).
    #[error(transparent)]
    Attachment(#[from] crate::service::AttachmentError),
    /// The head's signature on a step is not confirmed, or not the head's.
    #[error("{0}")]
    HeadSignature(String),
    /// The assigned number is already a document's.
    #[error("number {0} is already issued")]
    NumberTaken(String),
    /// No provider of this node has the id.
    #[error("no provider {0:?} in this node")]
    UnknownProvider(String),
    /// The application is another provider's than the caller's.
    #[error("{0}")]
    OtherProvider(String),
    /// The step is another role's (the portal's payment report, the operator's decision).
    #[error("{0}")]
    NotYours(String),
    /// The request exceeds a limit.
    #[error("{0}")]
    TooLarge(String),
    /// The work was cancelled (its deadline passed or the service is stopping)
    #[error("the work was cancelled (its deadline passed or the service is stopping)")]
    Cancelled,
    /// The registry failed.
    #[error(transparent)]
    Storage(RegistryError),
}

/// Renders documents inside registry transactions. The registry hands a renderer's [`RenderError`] back whole in
/// [`RegistryError::Render`], so the form's own error is told precisely with no note kept on the side.
struct Renderer<'c> {
    ctx: Context<'c>,
}

impl<'c> Renderer<'c> {
    fn new(ctx: Context<'c>) -> Self {
        Renderer { ctx }
    }

    fn render(
        &self,
        form: &str,
        data: &Value,
        number: &DocumentNumber,
        issued_at: i64,
    ) -> Result<RenderedDocument, RenderError> {
        self.render_sealed(form, data, number, issued_at, SealMode::Compact)
    }

    /// [`Renderer::render`] with the seal in `mode` (a service's documents: its catalogue entry says).
    fn render_sealed(
        &self,
        form: &str,
        data: &Value,
        number: &DocumentNumber,
        issued_at: i64,
        mode: SealMode,
    ) -> Result<RenderedDocument, RenderError> {
        if self.ctx.cancel.is_cancelled() {
            return Err(RenderError::Cancelled);
        }
        let sealing = Sealing {
            signer: self.ctx.signer,
            mode,
        };
        Ok(
            crate::document::issue(form, data, &number.to_string(), issued_at, Some(sealing))?
                .into(),
        )
    }

    fn error(&self, e: RegistryError) -> WorkflowError {
        match e {
            RegistryError::Render {
                source: RenderError::Cancelled,
                ..
            } => WorkflowError::Cancelled,
            RegistryError::Render {
                source: RenderError::Issue(IssueError::Template(TemplateError::UnknownForm(form))),
                ..
            } => WorkflowError::UnknownForm(form),
            RegistryError::BadForm(e) => WorkflowError::UnknownForm(e.0),
            RegistryError::Render {
                source: RenderError::Issue(e @ (IssueError::Data { .. } | IssueError::TooLarge(_))),
                ..
            } => WorkflowError::InvalidData(e.to_string()),
            RegistryError::Render {
                source:
                    RenderError::Issue(IssueError::Signing(crate::cms::CmsError::Timestamp(why))),
                ..
            } => WorkflowError::TimestampUnavailable(why),
            e => WorkflowError::from(e),
        }
    }
}

impl From<RegistryError> for WorkflowError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::NotFound(what) => WorkflowError::NotFound(what),
            RegistryError::Transition(t) => WorkflowError::Conflict(t),
            RegistryError::NoLifecycle(form) => WorkflowError::NoLifecycle(form),
            RegistryError::IdempotencyKeyReused(key) => WorkflowError::KeyReused(key),
            RegistryError::NumberTaken(n) => WorkflowError::NumberTaken(n),
            e => WorkflowError::Storage(e),
        }
    }
}

/// The year documents issued at `at` are numbered in: the local (Astana) year, as the printed date.
fn year(at: i64) -> Result<i32, WorkflowError> {
    crate::issuance::local_year(at)
        .ok_or_else(|| WorkflowError::Malformed(format!("time {at} out of range")))
}

fn local_day(at: i64) -> Result<time::Date, WorkflowError> {
    local_date(at).ok_or_else(|| WorkflowError::Malformed(format!("time {at} out of range")))
}

/// [`issue_reference`] at most once per idempotency key: the reference the key's first request issued, with `true`,
/// or a new one (the key stored in the same transaction), with `false`.
pub fn issue_reference_once(
    ctx: Context<'_>,
    key: &IdempotencyKey<'_>,
    form: &str,
    data: &Value,
    actor: &str,
    at: i64,
) -> Result<(StoredDocument, bool), WorkflowError> {
    issue_reference_with(ctx, Some(key), form, data, actor, at)
}

/// Issues a reference at once: its data comes from the portal (references skip the operator's decision).
pub fn issue_reference(
    ctx: Context<'_>,
    form: &str,
    data: &Value,
    actor: &str,
    at: i64,
) -> Result<StoredDocument, WorkflowError> {
    issue_reference_with(ctx, None, form, data, actor, at).map(|(d, _)| d)
}

fn issue_reference_with(
    ctx: Context<'_>,
    key: Option<&IdempotencyKey<'_>>,
    form: &str,
    data: &Value,
    actor: &str,
    at: i64,
) -> Result<(StoredDocument, bool), WorkflowError> {
    let form_id = crate::forms::FormId::parse(form)
        .map_err(|_| WorkflowError::UnknownForm(form.to_string()))?;
    if form_id.kind() != crate::forms::FormKind::Reference {
        return Err(WorkflowError::NotAReference(form.to_string()));
    }
    // Bad data is told before a number is reserved (a registry may reserve it ahead of rendering).
    crate::document::check(form, data).map_err(|e| {
        Renderer::new(ctx).error(RegistryError::Render {
            number: String::new(),
            source: RenderError::Issue(e),
        })
    })?;
    let renderer = Renderer::new(ctx);
    let mut render = |number: &DocumentNumber| renderer.render(form, data, number, at);
    let result = match key {
        Some(key) => ctx
            .registry
            .issue_once(key, &form_id, year(at)?, actor, &mut render),
        None => ctx
            .registry
            .issue(&form_id, year(at)?, actor, &mut render)
            .map(|d| (d, false)),
    };
    result.map_err(|e| renderer.error(e))
}

/// What a step's document is filled from, for an application as stored.
struct Filling<'a> {
    service: &'static ServiceSpec,
    application: Application,
    number: &'a str,
    submitted_at: i64,
}

impl<'a> Filling<'a> {
    fn of(record: &'a ApplicationRecord) -> Result<Filling<'a>, WorkflowError> {
        let application = Application::parse(&record.content).map_err(|e| {
            WorkflowError::Storage(RegistryError::Corrupt(format!(
                "application {}: {e}",
                record.number
            )))
        })?;
        Ok(Filling {
            service: application.service,
            application,
            number: &record.number,
            submitted_at: record.submitted_at.secs(),
        })
    }

    /// The data of `spec` at `at`, with the operator's `decision` values and the refusal reason if it is a refusal.
    fn fill(
        &self,
        ctx: Context<'_>,
        spec: &DocumentSpec,
        decision: &Map<String, Value>,
        refusal: Option<&RefusalReason>,
        at: i64,
    ) -> Result<Value, WorkflowError> {
        let mut data = spec
            .fill(&Inputs {
                service: self.service,
                provider: ctx.provider,
                applicant_name: &self.application.applicant_name,
                applicant_id: &self.application.applicant.as_string(),
                application_number: self.number,
                application_date: local_day(self.submitted_at)?,
                fields: &self.application.fields,
                decision,
                today: local_day(at)?,
                refusal,
            })
            .map_err(WorkflowError::InvalidData)?;
        // What the applicant attached is listed on every document they receive whose form has the place for it.
        let listed = !self.application.attachments.is_empty()
            && crate::forms::form(&spec.form)
                .is_ok_and(|f| f.fields.iter().any(|f| f.name == ATTACHMENTS_FIELD));
        if let (true, Value::Object(map)) = (listed, &mut data) {
            map.insert(
                ATTACHMENTS_FIELD.into(),
                Value::String(attachments_text(&self.application.attachments)),
            );
        }
        Ok(data)
    }
}

/// The optional form field that lists an application's attachments.
const ATTACHMENTS_FIELD: &str = "attachments";

/// The attachments as documents print them: «Қоса берілген құжаттар / Приложенные документы: 1) name (PDF,
/// 1 234 567 байт / байт, SHA-256 …); …» — the digest in full, so the paper names the very file signed.
fn attachments_text(files: &[crate::issuance::AttachedFile]) -> String {
    let list: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "{}) {} ({}, {} байт, SHA-256 {})",
                i + 1,
                f.name,
                f.media_type.label(),
                f.size,
                crate::encoding::hex(&f.sha256)
            )
        })
        .collect();
    format!(
        "Қоса берілген құжаттар / Приложенные документы: {}",
        list.join("; ")
    )
}

/// Every document the application may lead to, filled (the operator's values by their forms' samples) and
/// validated against its form without rendering: an application accepted now can always be decided.
fn check_printable(
    ctx: Context<'_>,
    application: &Application,
    at: i64,
) -> Result<(), WorkflowError> {
    let fonts = crate::render::Fonts::get()
        .map_err(|e| WorkflowError::Storage(RegistryError::Corrupt(e.to_string())))?;
    let printable = |c: char| fonts.covers(c);
    let service = application.service;
    let filling = Filling {
        service,
        application: application.clone(),
        number: "QLT-APP-0000-000000",
        submitted_at: at,
    };
    let refusal = RefusalReason::eds_not_confirmed(service, &[]);
    let mut specs = vec![(&service.refusal, Some(&refusal))];
    for state in service.states.values() {
        for action in state.actions.values() {
            if let Some(spec) = &action.document {
                specs.push((spec, None));
            }
        }
    }
    for (spec, refusal) in specs {
        let form = crate::forms::form(&spec.form)
            .map_err(|_| WorkflowError::UnknownForm(spec.form.clone()))?;
        // Each value the operator gives stands in as the sample of the form field it fills.
        let samples: Map<String, Value> = spec
            .data
            .iter()
            .filter_map(|(field, binding)| {
                let name = match binding {
                    Binding::From(Source::Decision(n)) | Binding::Or(Source::Decision(n), _) => n,
                    _ => return None,
                };
                let sample = form
                    .fields
                    .iter()
                    .find(|f| &f.name == field)?
                    .sample
                    .clone();
                Some((name.clone(), sample))
            })
            .collect();
        let unprintable = |e: String| {
            WorkflowError::InvalidApplication(ApplicationError::Applicant(format!(
                "the application cannot be printed on its documents: {e}"
            )))
        };
        let data = filling
            .fill(ctx, spec, &samples, refusal, at)
            .map_err(|e| match e {
                WorkflowError::InvalidData(e) => unprintable(e),
                e => e,
            })?;
        form.validate(&data, printable)
            .map_err(|e| unprintable(e.to_string()))?;
    }
    Ok(())
}

/// Step 1: the application signed by the applicant. The content is the CMS's own, or `detached`. A signature,
/// certificate or identity that does not verify is refused at once with a refusal document carrying every code
/// found; otherwise the application awaits payment. When the only problem is that revocation data could not be
/// had (`REVOCATION_UNKNOWN`: our lists are stale, the NCA is unreachable), nothing negative is known and the
/// applicant is not refused for it: the application waits in `verificationPending` and is verified again by
/// [`reverify_pending`] until the policy's deadline.
pub fn submit(
    ctx: Context<'_>,
    cms: &[u8],
    detached: Option<&[u8]>,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    submit_request(ctx, SignedApplication::Cms { cms, detached }, actor, at).map(|(r, _)| r)
}

/// Step 1 for an application signed as XML (NCALayer's `signXml`, `xml::APPLICATION_NS`): the same rules as
/// [`submit`], the XML signature verified as an application's (every signature covering the document element).
pub fn submit_xml(
    ctx: Context<'_>,
    xml: &[u8],
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    submit_request(ctx, SignedApplication::Xml(xml), actor, at).map(|(r, _)| r)
}

/// Whether a submission made a new application or found the one its signed request made before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// A new application.
    New,
    /// The same signed request was submitted before: this is that application (a retried call).
    Again,
}

/// Step 1 for either signature, saying whether the application is new or the same signed request came before —
/// a portal retrying a call never makes two applications (the request's SHA-256 identifies it, checked again
/// inside the registry's transaction).
pub fn submit_request(
    ctx: Context<'_>,
    signed: SignedApplication<'_>,
    actor: &str,
    at: i64,
) -> Result<(ApplicationRecord, Submitted), WorkflowError> {
    let sha256 = signed.sha256();
    if let Some(existing) = ctx.registry.application_by_signature(&sha256)? {
        tracing::info!(application = %existing.number, "the same signed request again");
        return Ok((existing, Submitted::Again));
    }
    submit_signed(ctx, signed, sha256, actor, at).map(|r| (r, Submitted::New))
}

/// How an application is signed: the bytes stored as its signature, and where its content comes from.
#[derive(Debug, Clone, Copy)]
pub enum SignedApplication<'a> {
    /// A CMS SignedData, with the content when detached.
    Cms {
        /// The CMS, DER.
        cms: &'a [u8],
        /// The content, when the signature is detached.
        detached: Option<&'a [u8]>,
    },
    /// An XML document with its enveloped signatures.
    Xml(&'a [u8]),
}

impl<'a> SignedApplication<'a> {
    /// What identifies the request: SHA-256 of the CMS (its length first) and the detached content, or of the XML.
    fn sha256(self) -> [u8; 32] {
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        match self {
            SignedApplication::Cms { cms, detached } => {
                h.update(b"cms");
                h.update(&(cms.len() as u64).to_be_bytes());
                h.update(cms);
                if let Some(d) = detached {
                    h.update(d);
                }
            }
            SignedApplication::Xml(xml) => {
                h.update(b"xml");
                h.update(xml);
            }
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(h.finish().as_ref());
        out
    }

    /// The stored signature bytes, read back: XML starts with `<`, DER with a SEQUENCE.
    fn stored(signed: &'a [u8], content: &'a [u8]) -> SignedApplication<'a> {
        if crate::xml::is_xml(signed) {
            return SignedApplication::Xml(signed);
        }
        let detached = match crate::cms::attached_content(signed) {
            Ok(Some(_)) => None,
            _ => Some(content),
        };
        SignedApplication::Cms {
            cms: signed,
            detached,
        }
    }

    fn bytes(self) -> &'a [u8] {
        match self {
            SignedApplication::Cms { cms, .. } => cms,
            SignedApplication::Xml(xml) => xml,
        }
    }

    /// The application's JSON: the CMS's content, or what the XML says.
    fn content(self) -> Result<Vec<u8>, WorkflowError> {
        match self {
            SignedApplication::Cms {
                detached: Some(d), ..
            } => Ok(d.to_vec()),
            SignedApplication::Cms {
                cms,
                detached: None,
            } => crate::cms::attached_content(cms)
                .map_err(|e| WorkflowError::Malformed(format!("cms: {e}")))?
                .ok_or_else(|| {
                    WorkflowError::Malformed(
                        "cms: the signature is detached: send the application as data".into(),
                    )
                }),
            SignedApplication::Xml(xml) => crate::xml::application_json(xml)
                .map_err(|e| WorkflowError::Malformed(format!("xml: {e}"))),
        }
    }
}

/// A verification's verdict and the report as stored.
struct Verification {
    report: crate::pki::Report,
    json: String,
}

fn submit_signed(
    ctx: Context<'_>,
    signed: SignedApplication<'_>,
    sha256: [u8; 32],
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    let content = signed.content()?;
    let application = Application::parse(&content)?;
    // The provider the applicant addresses signs everything this application leads to.
    let office = application.provider.as_deref().unwrap_or_default();
    let ctx = ctx.acting_for(office)?;
    let provider = ctx.offices.get(office).map_or("", |o| o.id.as_str());
    // The files the signature lists: each the uploaded file, byte for byte, and kept with the application.
    let limits = ctx.attachments.limits();
    let total: u64 = application.attachments.iter().map(|a| a.size).sum();
    if let Some(a) = application
        .attachments
        .iter()
        .find(|a| a.size > limits.max_bytes)
    {
        return Err(WorkflowError::TooLarge(format!(
            "attachment {:?}: {} bytes, at most {}",
            a.name, a.size, limits.max_bytes
        )));
    }
    if total > limits.max_request_bytes {
        return Err(WorkflowError::TooLarge(format!(
            "attachments: {total} bytes together, at most {}",
            limits.max_request_bytes
        )));
    }
    for a in &application.attachments {
        ctx.check()?;
        ctx.attachments.claim(a, ctx.cancel)?;
    }
    // Text is checked once, here, with the rules the documents apply: an application accepted now can always be
    // decided (its licence and any refusal render).
    check_printable(ctx, &application, at)?;
    if let Some(change) = application.service.licence_change() {
        named_licence(ctx, &application, change)?;
    }
    ctx.check()?;
    let verified = verify_application(ctx, &application, signed, at)?;
    let applicant = application.applicant.as_string();
    let pending = only_revocation_unknown(&verified.report);
    let service = application.service;
    let start_due = match service.start_term {
        Some(term) => Some(due(ctx, term, at)?.as_string()),
        None => None,
    };
    let new = NewApplication {
        service: &application.service.id,
        applicant: &applicant,
        applicant_name: &application.applicant_name,
        submitted_at: UnixTime::from_secs(at),
        content: &content,
        cms: signed.bytes(),
        verification: &verified.json,
        pending_until: pending
            .then(|| UnixTime::from_secs(at).plus_secs(ctx.revocation.pending_deadline_secs)),
        start: &service.start,
        start_due,
        signed_sha256: sha256,
        provider,
    };
    if verified.report.valid || pending {
        if pending {
            tracing::info!(
                codes = ?verified.report.codes,
                "revocation data unavailable: the application waits for its verification"
            );
        }
        return Ok(ctx.registry.submit_application(&new, actor, None)?);
    }
    let reason = eds_not_confirmed(service, &verified.report);
    let renderer = Renderer::new(ctx);
    let result = ctx.registry.submit_application(
        &new,
        actor,
        Some(&mut |app_number: &str, number: &DocumentNumber| {
            let filling = Filling {
                service,
                application: application.clone(),
                number: app_number,
                submitted_at: at,
            };
            let data = filling
                .fill(ctx, &service.refusal, &Map::new(), Some(&reason), at)
                .map_err(|e| IssueError::Render(e.to_string()))?;
            renderer.render_sealed(&service.refusal.form, &data, number, at, service.seal_mode)
        }),
    );
    result.map_err(|e| renderer.error(e))
}

/// Verifies an applicant's signature (CMS or XML) at `at`, with the applicant's IIN or BIN and name as the
/// identity to match.
fn verify_application(
    ctx: Context<'_>,
    application: &Application,
    signed: SignedApplication<'_>,
    at: i64,
) -> Result<Verification, WorkflowError> {
    let mut opts = ctx.options(at, crate::service::CheckFor::Applications);
    match &application.applicant {
        ApplicantId::Iin(iin) => {
            opts.iin = Some(*iin);
            opts.name = Some(NameClaim::Person(application.applicant_name.clone()));
        }
        ApplicantId::Bin(bin) => {
            opts.bin = Some(*bin);
            opts.name = Some(NameClaim::Organisation(application.applicant_name.clone()));
        }
    }
    let stored =
        |e: serde_json::Error| WorkflowError::Storage(RegistryError::Corrupt(e.to_string()));
    let roles = &application.service.signer_roles;
    let check_role = |report: &mut crate::pki::Report| {
        let role = report.subject.as_ref().and_then(|s| s.role);
        if !roles.is_empty() && !role.is_some_and(|r| roles.contains(&r)) {
            let allowed: Vec<&str> = roles.iter().map(|r| r.code()).collect();
            report.add(
                crate::pki::Code::SignerNotAuthorised,
                format!(
                    "{} applications are signed by a certificate of role {}; this one's is {}",
                    application.service.id,
                    allowed.join(" or "),
                    role.map_or("none", |r| r.code())
                ),
            );
        }
    };
    match signed {
        SignedApplication::Cms { cms, detached } => {
            let mut r = crate::cms::verify_cms(ctx.store, cms, detached, &[], &opts)
                .map_err(|e| WorkflowError::Malformed(format!("cms: {e}")))?;
            check_role(&mut r.report);
            Ok(Verification {
                json: serde_json::to_string(&r).map_err(stored)?,
                report: r.report,
            })
        }
        SignedApplication::Xml(xml) => {
            let mut r =
                crate::xml::verify_xml(ctx.store, xml, crate::xml::XmlProfile::Enveloped, &opts)
                    .map_err(|e| WorkflowError::Malformed(format!("xml: {e}")))?;
            check_role(&mut r.report);
            Ok(Verification {
                json: serde_json::to_string(&r).map_err(stored)?,
                report: r.report,
            })
        }
    }
}

/// Whether a failed verification failed only for want of revocation data: nothing negative is known.
fn only_revocation_unknown(report: &crate::pki::Report) -> bool {
    !report.valid
        && !report.codes.is_empty()
        && report
            .codes
            .iter()
            .all(|c| *c == crate::pki::Code::RevocationUnknown)
}

fn eds_not_confirmed(service: &ServiceSpec, report: &crate::pki::Report) -> RefusalReason {
    let codes: Vec<String> = report
        .codes
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    RefusalReason::eds_not_confirmed(service, &codes)
}

/// When a term started at `at` ends.
fn due(ctx: Context<'_>, term: Term, at: i64) -> Result<Due, WorkflowError> {
    term.due(ctx.calendar, at)
        .ok_or_else(|| WorkflowError::Malformed("due date out of range".into()))
}

/// What verifying a pending application again came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reverified {
    /// The EDS is confirmed: the application awaits payment.
    Confirmed,
    /// A definite negative result: refused with its refusal document.
    Refused,
    /// Still no revocation data, and the deadline passed: refused ("EDS authenticity not confirmed").
    Expired,
    /// Still no revocation data; it keeps waiting.
    Waiting,
}

/// Verifies again, at their submission time, every application waiting in `verificationPending` (a hundred at a
/// time, so none waits behind others forever), and moves each on: confirmed (awaiting payment), refused (a
/// definite negative result, or no answer by the deadline, with the refusal document), or still waiting. One
/// application that cannot be verified again is logged and skipped, never holding up the others. Returns each
/// moved application's number with what happened.
pub fn reverify_pending(
    ctx: Context<'_>,
    actor: &str,
    now: i64,
) -> Result<Vec<(String, Reverified)>, WorkflowError> {
    const PAGE: usize = 100;
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = ctx.registry.pending_applications(after, PAGE)?;
        let full = page.len() == PAGE;
        for pending in page {
            ctx.check()?;
            after = Some(pending.id);
            match reverify_one(ctx, actor, now, &pending) {
                Ok(Reverified::Waiting) => {}
                Ok(outcome) => {
                    tracing::info!(application = %pending.number, ?outcome, "pending verification ended");
                    out.push((pending.number, outcome));
                }
                // Another node or a concurrent pass moved it first.
                Err(WorkflowError::Conflict(_)) => {}
                Err(e @ (WorkflowError::Cancelled | WorkflowError::Storage(_))) => return Err(e),
                Err(e) => {
                    tracing::warn!(application = %pending.number, error = %e, "a pending application could not be verified again");
                }
            }
        }
        if !full {
            return Ok(out);
        }
    }
}

fn reverify_one(
    ctx: Context<'_>,
    actor: &str,
    now: i64,
    pending: &crate::registry::PendingApplication,
) -> Result<Reverified, WorkflowError> {
    let at = pending.submitted_at.secs();
    let application = Application::parse(&pending.content)?;
    let ctx = ctx.acting_for(application.provider.as_deref().unwrap_or_default())?;
    let signed = SignedApplication::stored(&pending.cms, &pending.content);
    let verified = verify_application(ctx, &application, signed, at)?;
    let outcome = if verified.report.valid {
        Reverified::Confirmed
    } else if !only_revocation_unknown(&verified.report) {
        Reverified::Refused
    } else if now >= pending.pending_until.secs() {
        Reverified::Expired
    } else {
        return Ok(Reverified::Waiting);
    };
    let verification = verified.json;
    let service = application.service;
    if outcome == Reverified::Confirmed {
        let due = match service.start_term {
            Some(term) => Some(due(ctx, term, now)?.as_string()),
            None => None,
        };
        ctx.registry.advance_application(
            pending.id,
            actor,
            Advance {
                from: VERIFICATION_PENDING,
                to: &service.start,
                audit: "application.verified",
                registers: due.is_some(),
                decides: false,
                at: UnixTime::from_secs(now),
                payment_reference: None,
                due_date: due,
                document: None,
                verification: Some(&verification),
                number: None,
                signature: None,
                change: None,
                idempotency: None,
            },
        )?;
        return Ok(outcome);
    }
    let reason = eds_not_confirmed(service, &verified.report);
    let filling = Filling {
        service,
        application,
        number: &pending.number,
        submitted_at: at,
    };
    let data = filling.fill(ctx, &service.refusal, &Map::new(), Some(&reason), now)?;
    let renderer = Renderer::new(ctx);
    let mut render = |number: &DocumentNumber| {
        renderer.render_sealed(&service.refusal.form, &data, number, now, service.seal_mode)
    };
    ctx.registry
        .advance_application(
            pending.id,
            actor,
            Advance {
                from: VERIFICATION_PENDING,
                to: REFUSED,
                audit: "application.refused.edsNotConfirmed",
                registers: false,
                decides: true,
                at: UnixTime::from_secs(now),
                payment_reference: None,
                due_date: None,
                document: Some((&service.refusal.form, &mut render)),
                verification: Some(&verification),
                number: None,
                signature: None,
                change: None,
                idempotency: None,
            },
        )
        .map_err(|e| renderer.error(e))?;
    Ok(outcome)
}

fn application(ctx: Context<'_>, id: ApplicationId) -> Result<ApplicationRecord, WorkflowError> {
    ctx.registry
        .application(id)?
        .ok_or_else(|| WorkflowError::NotFound("application".into()))
}

/// Step 2: the portal reports the payment. Paid: the service's payment step (registered, with its due date).
/// Not paid, or paid after the fee's window (`payWithin`): the service's late step, which refuses ("term
/// expired" where the regulation says so) with a refusal document.
pub fn report_payment(
    ctx: Context<'_>,
    id: ApplicationId,
    paid: bool,
    reference: Option<&str>,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    report_payment_once(ctx, id, paid, reference, None, actor, at)
}

/// [`report_payment`] with the caller's idempotency key: a retried report returns the application as it is.
pub(crate) fn report_payment_once(
    ctx: Context<'_>,
    id: ApplicationId,
    paid: bool,
    reference: Option<&str>,
    key: Option<IdempotencyKey<'_>>,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    let current = application(ctx, id)?;
    if let Some(k) = &key {
        if replayed(ctx, k, &current)? {
            return Ok(current);
        }
    }
    let service = service_of(&current)?;
    let state = service.state(&current.status);
    let step = if paid {
        state.and_then(|st| st.actions.iter().find(|(_, a)| a.payment))
    } else {
        let late = service.fee.as_ref().and_then(|f| f.late.as_deref());
        state.and_then(|st| {
            st.actions.iter().find(|(name, a)| match late {
                Some(late) => name.as_str() == late,
                None => a.by == Actor::Portal && a.refuses.is_some(),
            })
        })
    };
    let Some((name, _)) = step else {
        return Err(WorkflowError::Conflict(TransitionError {
            what: "an application",
            action: if paid { "pay" } else { "report no payment for" }.into(),
            state: current.status.clone(),
        }));
    };
    let step = Step {
        action: name,
        reference,
        reason: None,
        fields: &EMPTY,
        idempotency: key,
        number: None,
        signature: None,
    };
    take(ctx, &current, &step, Actor::Portal, actor, at)
}

/// Refuses, with the service's late step ("term expired"), every application whose fee was not reported paid
/// within its service's window (`fee.payWithin`): what the regulation has the portal do when the 24 hours pass.
/// Run on a schedule beside [`reverify_pending`]; a payment reported late takes the same step
/// ([`report_payment`]). One application that cannot be moved is logged and skipped. Returns the numbers refused.
pub fn expire_unpaid(
    ctx: Context<'_>,
    actor: &str,
    now: i64,
) -> Result<Vec<String>, WorkflowError> {
    const PAGE: usize = 100;
    let catalogue = crate::issuance::catalogue::catalogue()
        .map_err(|e| WorkflowError::Storage(RegistryError::Corrupt(e.to_string())))?;
    let mut out = Vec::new();
    for service in catalogue.services() {
        let Some((window, late)) = service
            .fee
            .as_ref()
            .and_then(|f| Some((f.pay_within?, f.late.as_deref()?)))
        else {
            continue;
        };
        for (state_name, state) in &service.states {
            let Some(late_action) = state.actions.get(late) else {
                continue;
            };
            if !state.actions.values().any(|a| a.payment) {
                continue;
            }
            // Only applications old enough that some window could have passed: a term never ends sooner than
            // this bound (a day term ends at the end of a day at least a day away).
            let bound = match window {
                Term::Minutes(n) => now - i64::from(n) * 60,
                Term::Hours(n) => now - i64::from(n) * 3600,
                Term::WorkingDays(n) | Term::CalendarDays(n) => now - i64::from(n) * 86_400,
            };
            let mut after = None;
            loop {
                let filter = crate::registry::ApplicationFilter {
                    service: Some(&service.id),
                    status: Some(state_name),
                    submitted_before: Some(UnixTime::from_secs(bound)),
                    applicant: None,
                    providers: &[],
                };
                let page = ctx.registry.find_applications(&filter, after, PAGE)?;
                let full = page.len() == PAGE;
                for record in page {
                    ctx.check()?;
                    after = Some(record.id);
                    if !due(ctx, window, record.submitted_at.secs())?.is_past(now) {
                        continue;
                    }
                    let step = Step {
                        action: late,
                        reference: None,
                        reason: None,
                        fields: &EMPTY,
                        idempotency: None,
                        number: None,
                        signature: None,
                    };
                    match take(ctx, &record, &step, late_action.by, actor, now) {
                        Ok(_) => {
                            tracing::info!(application = %record.number, service = %service.id, "the fee's window passed: refused");
                            out.push(record.number);
                        }
                        Err(WorkflowError::Conflict(_)) => {}
                        Err(e @ (WorkflowError::Cancelled | WorkflowError::Storage(_))) => {
                            return Err(e)
                        }
                        Err(e) => {
                            tracing::warn!(application = %record.number, error = %e, "an unpaid application could not be refused");
                        }
                    }
                }
                if !full {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The operator's decision on a registered application.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The service's `approve` step; `fields` gives the values it takes.
    Approve {
        /// Values for the issued document's decision fields.
        fields: Map<String, Value>,
    },
    /// The service's `refuse` step: a reasoned refusal.
    Refuse {
        /// The reasons, printed on the refusal.
        reason: String,
    },
}

/// Step 4–5 as the licences name them: `approve` (the licence is issued) or `refuse` with reasons (a reasoned
/// refusal is issued). Other services' steps are taken with [`act`].
pub fn decide(
    ctx: Context<'_>,
    id: ApplicationId,
    decision: &Decision,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    decide_once(ctx, id, decision, None, None, actor, at)
}

/// [`decide`] with the caller's idempotency key: a retried decision returns the application as it is.
pub(crate) fn decide_once(
    ctx: Context<'_>,
    id: ApplicationId,
    decision: &Decision,
    key: Option<IdempotencyKey<'_>>,
    number: Option<&str>,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    let mut step = match decision {
        Decision::Approve { fields } => Step {
            action: "approve",
            reference: None,
            reason: None,
            fields,
            idempotency: None,
            number,
            signature: None,
        },
        Decision::Refuse { reason } => Step {
            action: "refuse",
            reference: None,
            reason: Some(reason),
            fields: &EMPTY,
            idempotency: None,
            number,
            signature: None,
        },
    };
    step.idempotency = key;
    act(ctx, id, &step, Actor::Operator, actor, at)
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// A step of an application's service, as asked for.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// The step's name in the service's current state (`pay`, `approve`, `accept`, …).
    pub action: &'a str,
    /// The payment reference, for a payment step.
    pub reference: Option<&'a str>,
    /// The operator's reasons, for a step that refuses with stated reasons.
    pub reason: Option<&'a str>,
    /// The values the step's document takes from the operator.
    pub fields: &'a Map<String, Value>,
    /// The caller's `Idempotency-Key`: a retry with it returns the application as it is, taking nothing again.
    pub idempotency: Option<IdempotencyKey<'a>>,
    /// For a step that issues a licence: the number E-licensing assigned, printed and stored instead of ours.
    pub number: Option<&'a str>,
    /// The decision signed by the provider's head with their own key (an attached CMS over [`SignedStep`]'s JSON,
    /// or its XML signed with NCALayer — `xml::step_json`):
    /// verified like an applicant's signature before the provider's seal goes on the document, and kept.
    pub signature: Option<&'a [u8]>,
}

/// What a head signs when they sign a step: the application, the step, and the values it takes.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedStep {
    /// The application's number (`QLT-APP-…`).
    pub application: String,
    /// The step's name.
    pub step: String,
    /// The values the step's document takes.
    #[serde(default)]
    pub fields: Map<String, Value>,
    /// The stated reasons, for a step that refuses with them.
    pub reason: Option<String>,
    /// The number E-licensing assigned, for a step that issues a licence.
    pub number: Option<String>,
}

/// A head's signature on a step, verified: the signed values, who signed, the report.
struct HeadSignature {
    signed: SignedStep,
    signer: String,
    verification: String,
}

/// Verifies the head's own signature on a step of `current` — an attached CMS over the step's JSON, or the step's
/// XML signed with NCALayer's `signXml` (`xml::step_json`): the content is the step of this
/// application, the signature and the signer's path and revocation are valid now (the applications' revocation
/// policy), and the signer is the provider's first head or has its right to sign (the NCA role, under the
/// provider's BIN, which its signer's certificate gives).
fn head_signature(
    ctx: Context<'_>,
    current: &ApplicationRecord,
    step: &str,
    signature: &[u8],
    at: i64,
) -> Result<HeadSignature, WorkflowError> {
    let xml = crate::xml::is_xml(signature);
    let content = if xml {
        crate::xml::step_json(signature)
            .map_err(|e| WorkflowError::Malformed(format!("signature: {e}")))?
    } else {
        crate::cms::attached_content(signature)
            .map_err(|e| WorkflowError::Malformed(format!("signature: {e}")))?
            .ok_or_else(|| {
                WorkflowError::Malformed(
                    "signature: an attached CMS (the step's JSON inside)".into(),
                )
            })?
    };
    let signed: SignedStep = serde_json::from_slice(&content).map_err(|e| {
        WorkflowError::Malformed(format!(
            "signature: the signed content is not a step ({{\"application\", \"step\", \"fields\"?, \"reason\"?, \"number\"?}}): {e}"
        ))
    })?;
    if signed.application != current.number || signed.step != step {
        return Err(WorkflowError::Malformed(format!(
            "signature: it signs step {:?} of application {}, not step {step:?} of {}",
            signed.step, signed.application, current.number
        )));
    }
    let opts = ctx.options(at, crate::service::CheckFor::Applications);
    let stored =
        |e: serde_json::Error| WorkflowError::Storage(RegistryError::Corrupt(e.to_string()));
    let malformed = |e: String| WorkflowError::Malformed(format!("signature: {e}"));
    let (report, verification) = if xml {
        let r = crate::xml::verify_xml(
            ctx.store,
            signature,
            crate::xml::XmlProfile::Enveloped,
            &opts,
        )
        .map_err(|e| malformed(e.to_string()))?;
        (r.report.clone(), serde_json::to_string(&r).map_err(stored)?)
    } else {
        let r = crate::cms::verify_cms(ctx.store, signature, None, &[], &opts)
            .map_err(|e| malformed(e.to_string()))?;
        (r.report.clone(), serde_json::to_string(&r).map_err(stored)?)
    };
    let unconfirmed = |why: String| WorkflowError::HeadSignature(why);
    if !report.valid {
        let codes: Vec<&str> = report.codes.iter().map(|c| c.as_str()).collect();
        return Err(unconfirmed(format!(
            "the signature is not confirmed: {}",
            codes.join(", ")
        )));
    }
    let provider_bin = ctx.signer.certificate().profile.bin.clone();
    let profile = report.subject.as_ref().map(|s| &s.profile);
    let authorised = profile.is_some_and(|p| {
        p.bin.is_some()
            && p.bin == provider_bin
            && p.roles.iter().any(|r| {
                matches!(
                    r,
                    crate::identity::Role::FirstHead | crate::identity::Role::RightToSign
                )
            })
    });
    if !authorised {
        return Err(unconfirmed(format!(
            "the signer is not the provider's head: a first-head or right-to-sign certificate of BIN {} signs its decisions",
            provider_bin.as_deref().unwrap_or("(none in the provider's certificate)")
        )));
    }
    let who = profile
        .map(|p| {
            format!(
                "{} {}",
                p.iin.as_deref().unwrap_or("-"),
                p.full_name().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let serial = report
        .chain
        .first()
        .map(|c| c.certificate.serial.clone())
        .unwrap_or_default();
    Ok(HeadSignature {
        signed,
        signer: format!("{} (certificate {serial})", who.trim()),
        verification,
    })
}

/// Takes `step` on application `id`, as `by` (the caller's role) — the generic form of every step after
/// submission: the service's catalogue entry says whether the step exists in the current state, who takes it,
/// what it needs, the term it starts and the document it issues.
pub fn act(
    ctx: Context<'_>,
    id: ApplicationId,
    step: &Step<'_>,
    by: Actor,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    let current = application(ctx, id)?;
    take(ctx, &current, step, by, actor, at)
}

/// Whether `key` already took a step of `current` (a retry: nothing more happens); an error when it was used for
/// something else. The registry checks again inside the step's transaction.
fn replayed(
    ctx: Context<'_>,
    key: &IdempotencyKey<'_>,
    current: &ApplicationRecord,
) -> Result<bool, WorkflowError> {
    match ctx.registry.remembered(key)? {
        Some(Remembered::Application(a)) if a == current.id => Ok(true),
        Some(_) => Err(WorkflowError::KeyReused(key.key.to_string())),
        None => Ok(false),
    }
}

fn service_of(record: &ApplicationRecord) -> Result<&'static ServiceSpec, WorkflowError> {
    crate::issuance::catalogue::service(&record.service).ok_or_else(|| {
        WorkflowError::Storage(RegistryError::Corrupt(format!(
            "application {}: service {:?} is not in the catalogue",
            record.number, record.service
        )))
    })
}

fn take(
    ctx: Context<'_>,
    current: &ApplicationRecord,
    step: &Step<'_>,
    by: Actor,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    let service = service_of(current)?;
    let ctx = ctx.acting_for(&current.provider)?;
    if let Some(key) = &step.idempotency {
        if replayed(ctx, key, current)? {
            return Ok(current.clone());
        }
    }
    let Some(mut action) = service.action(&current.status, step.action) else {
        let anywhere = service
            .states
            .values()
            .any(|s| s.actions.contains_key(step.action));
        if !anywhere {
            let mut names: Vec<&str> = service
                .states
                .values()
                .flat_map(|s| s.actions.keys().map(String::as_str))
                .collect();
            names.sort_unstable();
            names.dedup();
            return Err(WorkflowError::Malformed(format!(
                "{} has no step {:?} (its steps: {})",
                service.id,
                step.action,
                names.join(", ")
            )));
        }
        return Err(WorkflowError::Conflict(TransitionError {
            what: "an application",
            action: step.action.to_string(),
            state: current.status.clone(),
        }));
    };
    let mut name = step.action;
    if action.by != by {
        return Err(WorkflowError::NotYours(format!(
            "{} is the {}'s step",
            step.action,
            match action.by {
                Actor::Portal => "portal",
                Actor::Operator => "operator",
            }
        )));
    }
    // The head's own signature: verified first; the step takes the values it signed.
    let head = match step.signature {
        Some(cms) if by == Actor::Operator => Some(head_signature(ctx, current, name, cms, at)?),
        Some(_) => {
            return Err(WorkflowError::NotYours(
                "signature: only an operator's step is signed by the head".into(),
            ))
        }
        None => None,
    };
    let signed_step;
    let step = match &head {
        Some(h) => {
            let same =
                |given: Option<&str>, signed: Option<&str>| given.is_none() || given == signed;
            if !(step.fields.is_empty() || *step.fields == h.signed.fields)
                || !same(step.reason, h.signed.reason.as_deref())
                || !same(step.number, h.signed.number.as_deref())
            {
                return Err(WorkflowError::Malformed(
                    "signature: the request's fields, reason or number differ from what the head signed".into(),
                ));
            }
            signed_step = Step {
                fields: &h.signed.fields,
                reason: h.signed.reason.as_deref(),
                number: h.signed.number.as_deref(),
                ..*step
            };
            &signed_step
        }
        None => step,
    };
    let reference = step.reference.map(str::trim);
    if action.payment {
        match reference {
            Some(r) if !r.is_empty() && r.chars().count() <= 100 => {}
            Some(_) => {
                return Err(WorkflowError::Malformed(
                    "reference: 1–100 characters".into(),
                ))
            }
            None => {
                return Err(WorkflowError::Malformed(
                    "reference: required when paid".into(),
                ))
            }
        }
        // A payment after the fee's window is the late step: the request term has expired.
        if let Some(fee) = &service.fee {
            if let (Some(window), Some(late)) = (fee.pay_within, &fee.late) {
                if due(ctx, window, current.submitted_at.secs())?.is_past(at) {
                    if let Some(l) = service.action(&current.status, late) {
                        tracing::info!(application = %current.number, "payment reported after the fee's window");
                        action = l;
                        name = late;
                    }
                }
            }
        }
    } else if reference.is_some_and(|r| r.is_empty() || r.chars().count() > 100) {
        return Err(WorkflowError::Malformed(
            "reference: 1–100 characters".into(),
        ));
    }
    let stated = action.refuses.as_deref() == Some(STATED);
    let reason = match (stated, step.reason.map(str::trim)) {
        (true, None | Some("")) => {
            return Err(WorkflowError::Malformed(
                "reason: a refusal must give its reasons".into(),
            ))
        }
        (true, Some(r)) if r.chars().count() > 2000 => {
            return Err(WorkflowError::Malformed(
                "reason: longer than 2000 characters".into(),
            ))
        }
        (true, Some(r)) => Some(r),
        (false, Some(_)) => {
            return Err(WorkflowError::Malformed(format!(
                "reason: {name} gives no reason"
            )))
        }
        (false, None) => None,
    };
    if action.document.is_none()
        && !step.fields.is_empty()
        && action
            .changes
            .as_ref()
            .is_none_or(|c| c.action != LifecycleAction::Reissue)
    {
        return Err(WorkflowError::Malformed(format!(
            "fields: {name} takes no fields"
        )));
    }
    let filling = Filling::of(current)?;
    let mut change = None;
    let (document, audit): (Option<(&str, Value)>, String) =
        match (&action.refuses, &action.document) {
            (Some(r), _) => {
                let why = match reason {
                    Some(text) => RefusalReason::stated(service, text),
                    None => RefusalReason::listed(service, r),
                };
                let data = filling.fill(ctx, &service.refusal, &Map::new(), Some(&why), at)?;
                let audit = if stated {
                    "application.refused".to_string()
                } else {
                    format!("application.refused.{r}")
                };
                (Some((service.refusal.form.as_str(), data)), audit)
            }
            (None, Some(spec)) => {
                let data = filling.fill(ctx, spec, step.fields, None, at)?;
                (
                    Some((spec.form.as_str(), data)),
                    format!("application.{}", action.to),
                )
            }
            (None, None) => match &action.changes {
                Some(c) => {
                    let (licence, old) = named_licence(ctx, &filling.application, c)?;
                    let data = changed_licence(ctx, &filling.application, c, &old, step.fields)?;
                    change = Some((licence.id, c.action));
                    (
                        Some((c.licence.as_str(), data)),
                        format!("application.{}", action.to),
                    )
                }
                None => (None, format!("application.{}", action.to)),
            },
        };
    let assigned = assigned_number(step.number, action)?;
    let change_reason = format!("application {}", current.number);
    let due_date = match action.term {
        Some(term) => Some(due(ctx, term, at)?.as_string()),
        None => None,
    };
    let decides = service.state(&action.to).is_some_and(|s| s.is_final());
    let renderer = Renderer::new(ctx);
    let mut render = |number: &DocumentNumber| match &document {
        Some((form, data)) => renderer.render_sealed(form, data, number, at, service.seal_mode),
        None => Err(IssueError::Render("nothing to render".into()).into()),
    };
    let advance = Advance {
        from: &current.status,
        to: &action.to,
        audit: &audit,
        registers: due_date.is_some(),
        decides,
        at: UnixTime::from_secs(at),
        payment_reference: reference,
        due_date,
        document: document
            .as_ref()
            .map(|(form, _)| (*form, &mut render as &mut Render<'_>)),
        change: change.map(|(licence, action)| (licence, action, change_reason.as_str())),
        idempotency: step.idempotency,
        verification: None,
        number: assigned,
        signature: head.as_ref().map(|h| {
            (
                step.signature.unwrap_or_default(),
                h.signer.as_str(),
                h.verification.as_str(),
            )
        }),
    };
    let result = ctx.registry.advance_application(current.id, actor, advance);
    result.map_err(|e| renderer.error(e))
}

/// The number E-licensing assigned, for a step that issues a licence (seed 002: the licence's number comes from
/// the state information system). Upper-case letters, digits, `-`, `.` and at least one digit: never one of our
/// numbers, which begin with a lower-case form id, so an assigned number cannot take a number our series will reach.
fn assigned_number<'a>(
    number: Option<&'a str>,
    action: &crate::issuance::catalogue::Action,
) -> Result<Option<&'a str>, WorkflowError> {
    let Some(n) = number.map(str::trim) else {
        return Ok(None);
    };
    let issues_licence = action.refuses.is_none()
        && action.document.as_ref().is_some_and(|d| {
            crate::forms::FormId::parse(&d.form)
                .is_ok_and(|f| f.kind() == crate::forms::FormKind::Licence)
        });
    if !issues_licence {
        return Err(WorkflowError::Malformed(
            "number: only a step that issues a licence takes an assigned number".into(),
        ));
    }
    let fits = (1..=40).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-.".contains(&b))
        && n.bytes().any(|b| b.is_ascii_digit());
    if !fits {
        return Err(WorkflowError::Malformed(
            "number: 1–40 of A–Z, 0–9, '-', '.', with a digit (E-licensing's number)".into(),
        ));
    }
    Ok(Some(n))
}

/// The licence an application for a re-issue or duplicate names (`fields.licence`, its number), with its data:
/// it exists, is of the service's licence form, its holder is the applicant, and the change may happen to it now
/// (a terminated or replaced licence is neither re-issued nor duplicated). The registry checks the last again
/// inside the step's transaction.
fn named_licence(
    ctx: Context<'_>,
    application: &Application,
    change: &LicenceChange,
) -> Result<(StoredDocument, Value), WorkflowError> {
    let invalid = |m: String| WorkflowError::InvalidApplication(ApplicationError::Applicant(m));
    let number = application
        .fields
        .get(LICENCE_FIELD)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.len() <= 100)
        .ok_or_else(|| invalid(format!("fields.{LICENCE_FIELD}: the licence's number")))?;
    let not_held = || {
        invalid(format!(
            "fields.{LICENCE_FIELD}: {number} is not a {} held by the applicant",
            change.licence
        ))
    };
    let doc = ctx
        .registry
        .document_by_number(number)?
        .ok_or_else(not_held)?;
    if doc.form.as_str() != change.licence {
        return Err(not_held());
    }
    let data: Value = serde_json::from_slice(&doc.canonical_data).map_err(|e| {
        WorkflowError::Storage(RegistryError::Corrupt(format!("{}: {e}", doc.number)))
    })?;
    if data.get("licensee_id").and_then(Value::as_str) != Some(&application.applicant.as_string()) {
        return Err(not_held());
    }
    let licensor = licensor_office(ctx, &data);
    if ctx.provider.authority
        != ctx
            .offices
            .get(licensor)
            .map_or("", |o| o.provider.authority.as_str())
    {
        return Err(invalid(format!(
            "fields.{LICENCE_FIELD}: {number} was issued by provider {licensor:?}: address the application to it \
             (\"provider\": \"{licensor}\")"
        )));
    }
    let standing = ctx.registry.standing(number)?.ok_or_else(not_held)?;
    standing
        .status
        .after(change.action)
        .map_err(|e| invalid(format!("fields.{LICENCE_FIELD}: {e}")))?;
    Ok((doc, data))
}

/// The id of the office whose authority a licence names as its licensor; the first's when none does (a licence
/// issued under a name since changed).
fn licensor_office<'a>(ctx: Context<'a>, data: &Value) -> &'a str {
    data.get("licensor")
        .and_then(Value::as_str)
        .and_then(|l| ctx.offices.by_authority(l))
        .unwrap_or(ctx.offices.first())
        .id
        .as_str()
}

/// The operator's values a re-issue may change besides what the application brings.
const REISSUE_FIELDS: &[&str] = &["special_conditions", "note", "validity"];

/// The data of the re-issued licence (the holder's name as they now sign it, the provider as it now is, the
/// operator's changes) or of the duplicate (the same, marked).
fn changed_licence(
    ctx: Context<'_>,
    application: &Application,
    change: &LicenceChange,
    old: &Value,
    fields: &Map<String, Value>,
) -> Result<Value, WorkflowError> {
    match change.action {
        LifecycleAction::Reissue => {
            if let Some(other) = fields
                .keys()
                .find(|k| !REISSUE_FIELDS.contains(&k.as_str()))
            {
                return Err(WorkflowError::InvalidData(format!(
                    "{other}: a re-issue changes only {}",
                    REISSUE_FIELDS.join(", ")
                )));
            }
            let mut changes = fields.clone();
            for (k, v) in [
                ("licensee", &application.applicant_name),
                ("licensor", &ctx.provider.authority),
                ("head", &ctx.provider.head),
                ("place", &ctx.provider.place),
            ] {
                changes.insert(k.into(), Value::String(v.clone()));
            }
            crate::issuance::reissue_data(old, &changes).map_err(WorkflowError::InvalidData)
        }
        _ => crate::issuance::duplicate_data(old).map_err(WorkflowError::InvalidData),
    }
}

/// An operator's change to a licence: suspend, resume or terminate. Re-issue and duplicates are applications of
/// the licence's service (`licence.<kind>.reissue`, `licence.<kind>.duplicate`), signed and paid by the licensee
/// as the regulations have it: asked for here, they are refused with where to go.
pub(crate) fn change_licence(
    ctx: Context<'_>,
    id: DocumentId,
    action: LifecycleAction,
    reason: &str,
    fields: &Map<String, Value>,
    actor: &str,
    at: i64,
) -> Result<DocumentStanding, WorkflowError> {
    if reason.chars().count() > 1000 {
        return Err(WorkflowError::Malformed(
            "reason: longer than 1000 characters".into(),
        ));
    }
    if !fields.is_empty() {
        return Err(WorkflowError::Malformed(
            "fields: suspend, resume and terminate change no fields".into(),
        ));
    }
    let doc = ctx
        .registry
        .document(id)?
        .ok_or_else(|| WorkflowError::NotFound("document".into()))?;
    // Only the licensor's operators change a licence.
    let data: Value = serde_json::from_slice(&doc.canonical_data).map_err(|e| {
        WorkflowError::Storage(RegistryError::Corrupt(format!("{}: {e}", doc.number)))
    })?;
    ctx.acting_for(licensor_office(ctx, &data))?;
    if matches!(
        action,
        LifecycleAction::Reissue | LifecycleAction::Duplicate
    ) {
        let service = format!("{}.{}", doc.form, action.as_str());
        return Err(WorkflowError::NeedsApplication(format!(
            "{} is an application of {service}, signed and paid by the licensee: POST /v1/applications with \
             {{\"service\": \"{service}\", \"fields\": {{\"licence\": \"{}\"}}}}",
            action.as_str(),
            doc.number
        )));
    }
    let (standing, _) = ctx.registry.change_document(
        doc.id,
        actor,
        action,
        reason.trim(),
        UnixTime::from_secs(at),
        None,
    )?;
    Ok(standing)
}

/// The registry's word on a verified seal's document: its standing when this registry issued it, with
/// `DOCUMENT_STATUS` added to the report when the document is suspended, terminated or replaced. A seal whose
/// content could not be read names no document.
pub(crate) fn check_standing(
    ctx: Context<'_>,
    seal: &mut crate::seal::SealReport,
) -> Result<Option<DocumentStanding>, WorkflowError> {
    let Some(content) = &seal.content else {
        return Ok(None);
    };
    let Some(standing) = ctx.registry.standing(&content.number)? else {
        return Ok(None);
    };
    if standing.form != content.form {
        return Ok(None);
    }
    if standing.status != crate::issuance::LicenceStatus::Valid {
        let mut message = format!(
            "the registry says document {} is {}",
            standing.number,
            standing.status.as_str()
        );
        if let Some(next) = &standing.replaced_by {
            message.push_str(&format!(", replaced by {next}"));
        }
        seal.report.add(crate::pki::Code::DocumentStatus, message);
    }
    Ok(Some(standing))
}

/// The registry's record of exactly this seal: a stored copy of its document whose seal is the same text.
fn stored_copy(
    ctx: Context<'_>,
    seal: &crate::seal::DecodedSeal,
) -> Result<Option<StoredDocument>, WorkflowError> {
    let content = seal.content();
    Ok(ctx
        .registry
        .documents_by_number(&content.number)?
        .into_iter()
        .find(|d| d.form == content.form && seal.is(&d.seal)))
}

/// Verifies barcode texts online: as offline, but when this registry issued exactly this seal, its record of the
/// issue time is the proof of time (a signer revoked since cannot have back-dated it), and the document's standing
/// comes along.
pub(crate) fn verify_seal_online(
    ctx: Context<'_>,
    texts: &[&str],
    at: i64,
) -> Result<(crate::seal::SealReport, Option<DocumentStanding>), WorkflowError> {
    let decoded = crate::seal::decode(texts)
        .map_err(|e| WorkflowError::Malformed(format!("barcode: {e}")))?;
    let evidence = match decoded.seal() {
        Some(seal) => stored_copy(ctx, seal)?.map(|d| crate::seal::IssueEvidence {
            issued_at: d.issued_at,
        }),
        None => None,
    };
    let mut report = crate::seal::verify_decoded(
        ctx.trust(),
        &decoded,
        &ctx.options(at, crate::service::CheckFor::Verify),
        evidence.as_ref(),
    )
    .map_err(|e| WorkflowError::Malformed(format!("barcode: {e}")))?;
    crate::document::name_the_form(&mut report);
    let standing = check_standing(ctx, &mut report)?;
    Ok((report, standing))
}

/// Verifies a PDF online: as offline, with the registry's record of its seal (time, and the stored file's digest)
/// when this registry issued it, and the document's standing.
pub(crate) fn verify_document_online(
    ctx: Context<'_>,
    pdf: &[u8],
    at: i64,
) -> Result<(crate::document::DocumentReport, Option<DocumentStanding>), WorkflowError> {
    let bad = |e: crate::seal::SealError| match e {
        crate::seal::SealError::Cancelled => WorkflowError::Cancelled,
        crate::seal::SealError::TooLong | crate::seal::SealError::TooLarge(_) => {
            WorkflowError::TooLarge(e.to_string())
        }
        e => WorkflowError::Malformed(format!("pdf: {e}")),
    };
    let doc = crate::document::read_document(pdf, ctx.cancel).map_err(bad)?;
    let evidence = match doc.seal().and_then(crate::seal::Decoded::seal) {
        Some(seal) => stored_copy(ctx, seal)?.map(|d| crate::document::DocumentEvidence {
            issued_at: d.issued_at,
            pdf_sha256: crate::encoding::sha256(&d.pdf),
        }),
        None => None,
    };
    let mut report = crate::document::verify_read(
        ctx.trust(),
        &doc,
        pdf,
        &ctx.options(at, crate::service::CheckFor::Verify),
        evidence.as_ref(),
    )
    .map_err(bad)?;
    let standing = check_standing(ctx, &mut report.seal)?;
    Ok((report, standing))
}

/// The public standing of document `number`, for whoever gives the verification code printed on it; `None` when
/// there is no such document or the code is not its code (the two are not told apart).
pub(crate) fn standing_with_code(
    ctx: Context<'_>,
    number: &str,
    code: &str,
) -> Result<Option<DocumentStanding>, WorkflowError> {
    let Some(original) = ctx.registry.document_by_number(number)? else {
        return Ok(None);
    };
    let normalise = |c: &str| -> Vec<u8> {
        c.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_uppercase())
            .collect()
    };
    let expected = crate::seal::verification_code(&original.seal).map(|c| normalise(&c));
    let given = normalise(code);
    // Compared without an early exit, so timing tells nothing about how much of a guess was right.
    let matches = expected.is_some_and(|e| {
        e.len() == given.len() && e.iter().zip(&given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    });
    if !matches {
        return Ok(None);
    }
    Ok(ctx.registry.standing(number)?)
}
