//! The flow of design.md §1 over a registry: each step verifies what it is given, asks [`crate::issuance`] what
//! follows, and renders, seals and stores the resulting document in the step's one registry transaction. The
//! HTTP layer is a thin shell over these functions; benchmarks call them directly.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::cms::CmsSigner;
use crate::forms::{IssueError, Sealing, TemplateError};
use crate::issuance::{
    local_date, ApplicantId, Application, ApplicationError, ApplicationStep, LifecycleAction,
    Provider, RefusalReason, TransitionError, WorkingCalendar, DECISION_FIELDS,
};
use crate::pki::{TrustStore, VerifyOptions};
use crate::registry::{
    Advance, ApplicationId, ApplicationRecord, DocumentId, DocumentNumber, DocumentStanding,
    NewApplication, Registry, RegistryError, Render, RenderedDocument, StoredDocument,
};
use crate::seal::SealMode;

/// What every step works with, loaded once at start.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub store: &'a TrustStore,
    pub registry: &'a dyn Registry,
    /// The provider's authorised person: signs every document.
    pub signer: &'a CmsSigner,
    pub provider: &'a Provider,
    pub calendar: &'a WorkingCalendar,
}

/// Why a step did not happen. Nothing was stored and no number was used.
#[derive(Debug, Error)]
pub enum WorkflowError {
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    InvalidApplication(#[from] ApplicationError),
    #[error("no such form {0:?}")]
    UnknownForm(String),
    #[error("{0}")]
    InvalidData(String),
    #[error("{0} is not a reference: licences and refusals come from an application's decision")]
    NotAReference(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Conflict(TransitionError),
    #[error("{0} documents have no lifecycle")]
    NoLifecycle(String),
    #[error(transparent)]
    Storage(RegistryError),
}

/// Renders documents inside registry transactions, keeping the form's own error so it can be told precisely.
struct Renderer<'c> {
    ctx: Context<'c>,
    failure: Option<IssueError>,
}

impl<'c> Renderer<'c> {
    fn new(ctx: Context<'c>) -> Self {
        Renderer { ctx, failure: None }
    }

    fn render(
        &mut self,
        form: &str,
        data: &Value,
        number: &DocumentNumber,
        issued_at: i64,
    ) -> Result<RenderedDocument, String> {
        let sealing = Sealing {
            signer: self.ctx.signer,
            mode: SealMode::Compact,
        };
        crate::forms::issue(form, data, &number.to_string(), issued_at, Some(sealing))
            .map(RenderedDocument::from)
            .map_err(|e| {
                let reason = e.to_string();
                self.failure.get_or_insert(e);
                reason
            })
    }

    fn error(self, e: RegistryError) -> WorkflowError {
        match (e, self.failure) {
            (_, Some(IssueError::Template(TemplateError::UnknownForm(form))))
            | (RegistryError::BadForm(form), None) => WorkflowError::UnknownForm(form),
            (_, Some(e @ IssueError::Data { .. })) => WorkflowError::InvalidData(e.to_string()),
            (e, _) => WorkflowError::from(e),
        }
    }
}

impl From<RegistryError> for WorkflowError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::NotFound(what) => WorkflowError::NotFound(what),
            RegistryError::Transition(t) => WorkflowError::Conflict(t),
            RegistryError::NoLifecycle(form) => WorkflowError::NoLifecycle(form),
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

/// Issues a reference at once: its data comes from the portal (references skip the operator's decision).
pub fn issue_reference(
    ctx: Context<'_>,
    form: &str,
    data: &Value,
    actor: &str,
    at: i64,
) -> Result<StoredDocument, WorkflowError> {
    if !form.starts_with("reference.") {
        return Err(WorkflowError::NotAReference(form.to_string()));
    }
    let mut renderer = Renderer::new(ctx);
    let result = ctx.registry.issue(form, year(at)?, actor, &mut |number| {
        renderer.render(form, data, number, at)
    });
    result.map_err(|e| renderer.error(e))
}

/// The refusal form's data for an application.
fn refusal_data(
    ctx: Context<'_>,
    application_number: &str,
    submitted_at: i64,
    applicant_name: &str,
    reason: &RefusalReason,
) -> Result<Value, String> {
    let day = local_date(submitted_at).ok_or("submission time out of range")?;
    Ok(crate::issuance::refusal_data(
        ctx.provider,
        application_number,
        day,
        applicant_name,
        reason,
    ))
}

/// Step 1: the application signed by the applicant. The content is the CMS's own, or `detached`. A signature,
/// certificate or identity that does not verify is refused at once with a refusal document carrying every code
/// found; otherwise the application awaits payment.
pub fn submit(
    ctx: Context<'_>,
    cms: &[u8],
    detached: Option<&[u8]>,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    let content = match detached {
        Some(d) => d.to_vec(),
        None => crate::cms::attached_content(cms)
            .map_err(|e| WorkflowError::Malformed(format!("cms: {e}")))?
            .ok_or_else(|| {
                WorkflowError::Malformed(
                    "cms: the signature is detached: send the application as data".into(),
                )
            })?,
    };
    let application = Application::parse(&content)?;
    let mut opts = VerifyOptions::at(at);
    match &application.applicant {
        ApplicantId::Iin(iin) => opts.iin = Some(*iin),
        ApplicantId::Bin(bin) => opts.bin = Some(*bin),
    }
    let report = crate::cms::verify_cms(ctx.store, cms, detached, &[], &opts)
        .map_err(|e| WorkflowError::Malformed(format!("cms: {e}")))?;
    let verification = serde_json::to_string(&report)
        .map_err(|e| WorkflowError::Storage(RegistryError::Corrupt(e.to_string())))?;
    let applicant = application.applicant.as_string();
    let new = NewApplication {
        service: application.service.id,
        applicant: &applicant,
        applicant_name: &application.applicant_name,
        submitted_at: at,
        content: &content,
        cms,
        verification: &verification,
    };
    if report.report.valid {
        return Ok(ctx.registry.submit_application(&new, actor, None)?);
    }
    let reason = RefusalReason::EdsNotConfirmed(
        report
            .report
            .codes
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
    );
    let mut renderer = Renderer::new(ctx);
    let result = ctx.registry.submit_application(
        &new,
        actor,
        Some(&mut |app_number: &str, number: &DocumentNumber| {
            let data = refusal_data(ctx, app_number, at, &application.applicant_name, &reason)?;
            renderer.render("refusal", &data, number, at)
        }),
    );
    result.map_err(|e| renderer.error(e))
}

fn application(ctx: Context<'_>, id: ApplicationId) -> Result<ApplicationRecord, WorkflowError> {
    ctx.registry
        .application(id)?
        .ok_or_else(|| WorkflowError::NotFound("application".into()))
}

/// Step 2: the portal reports the payment. Paid: registered, due in the service's working days. Not paid:
/// refused with a refusal document.
pub fn report_payment(
    ctx: Context<'_>,
    id: ApplicationId,
    paid: bool,
    reference: Option<&str>,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    let reference = reference.map(str::trim);
    match reference {
        Some(r) if r.is_empty() || r.chars().count() > 100 => {
            return Err(WorkflowError::Malformed(
                "reference: 1–100 characters".into(),
            ))
        }
        None if paid => {
            return Err(WorkflowError::Malformed(
                "reference: required when paid".into(),
            ))
        }
        _ => {}
    }
    let current = application(ctx, id)?;
    if paid {
        let service = crate::issuance::service(&current.service).ok_or_else(|| {
            WorkflowError::Storage(RegistryError::Corrupt(format!(
                "service {:?}",
                current.service
            )))
        })?;
        let due = ctx
            .calendar
            .add_working_days(local_day(at)?, service.due_working_days)
            .ok_or_else(|| WorkflowError::Malformed("due date out of range".into()))?;
        let advance = Advance {
            step: ApplicationStep::Paid,
            at,
            payment_reference: reference,
            due_date: Some(due.to_string()),
            document: None,
        };
        return Ok(ctx.registry.advance_application(id, actor, advance)?);
    }
    let mut renderer = Renderer::new(ctx);
    let mut render = |number: &DocumentNumber| {
        let data = refusal_data(
            ctx,
            &current.number,
            current.submitted_at,
            &current.applicant_name,
            &RefusalReason::NoPayment,
        )?;
        renderer.render("refusal", &data, number, at)
    };
    let advance = Advance {
        step: ApplicationStep::NotPaid,
        at,
        payment_reference: reference,
        due_date: None,
        document: Some(("refusal", &mut render)),
    };
    let result = ctx.registry.advance_application(id, actor, advance);
    result.map_err(|e| renderer.error(e))
}

/// The operator's decision on a registered application.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Issue the licence; `fields` may set [`DECISION_FIELDS`].
    Approve { fields: Map<String, Value> },
    /// Issue a reasoned refusal.
    Refuse { reason: String },
}

/// Step 4–5: approve (the licence is issued) or refuse with reasons (a reasoned refusal is issued).
pub fn decide(
    ctx: Context<'_>,
    id: ApplicationId,
    decision: &Decision,
    actor: &str,
    at: i64,
) -> Result<ApplicationRecord, WorkflowError> {
    if let Decision::Refuse { reason } = decision {
        if reason.trim().is_empty() {
            return Err(WorkflowError::Malformed(
                "reason: a refusal must give its reasons".into(),
            ));
        }
        if reason.chars().count() > 2000 {
            return Err(WorkflowError::Malformed(
                "reason: longer than 2000 characters".into(),
            ));
        }
    }
    let current = application(ctx, id)?;
    let (step, form, data) = match decision {
        Decision::Approve { fields } => {
            let application = Application::parse(&current.content).map_err(|e| {
                WorkflowError::Storage(RegistryError::Corrupt(format!(
                    "application {}: {e}",
                    current.number
                )))
            })?;
            let data =
                crate::issuance::licence_data(ctx.provider, &application, fields, local_day(at)?)
                    .map_err(|e| {
                    WorkflowError::InvalidData(format!(
                        "{e} (the operator sets {})",
                        DECISION_FIELDS.join(", ")
                    ))
                })?;
            (ApplicationStep::Approve, application.service.id, data)
        }
        Decision::Refuse { reason } => {
            let data = refusal_data(
                ctx,
                &current.number,
                current.submitted_at,
                &current.applicant_name,
                &RefusalReason::Decision(reason.trim().to_string()),
            )
            .map_err(WorkflowError::Malformed)?;
            (ApplicationStep::Refuse, "refusal", data)
        }
    };
    let mut renderer = Renderer::new(ctx);
    let mut render = |number: &DocumentNumber| renderer.render(form, &data, number, at);
    let advance = Advance {
        step,
        at,
        payment_reference: None,
        due_date: None,
        document: Some((form, &mut render)),
    };
    let result = ctx.registry.advance_application(id, actor, advance);
    result.map_err(|e| renderer.error(e))
}

/// An operator's change to a licence. Re-issue renders the licence anew (with `fields` changed) under a new
/// number; duplicate renders it again, marked, under the same number.
pub fn change_licence(
    ctx: Context<'_>,
    id: DocumentId,
    action: LifecycleAction,
    reason: &str,
    fields: &Map<String, Value>,
    actor: &str,
    at: i64,
) -> Result<(DocumentStanding, Option<StoredDocument>), WorkflowError> {
    if reason.chars().count() > 1000 {
        return Err(WorkflowError::Malformed(
            "reason: longer than 1000 characters".into(),
        ));
    }
    if action != LifecycleAction::Reissue && !fields.is_empty() {
        return Err(WorkflowError::Malformed(
            "fields: only a re-issue changes fields".into(),
        ));
    }
    let doc = ctx
        .registry
        .document(id)?
        .ok_or_else(|| WorkflowError::NotFound("document".into()))?;
    let old: Value = serde_json::from_slice(&doc.canonical_data).map_err(|e| {
        WorkflowError::Storage(RegistryError::Corrupt(format!("{}: {e}", doc.number)))
    })?;
    let data = match action {
        LifecycleAction::Reissue => Some(crate::issuance::reissue_data(&old, fields)),
        LifecycleAction::Duplicate => Some(crate::issuance::duplicate_data(&old)),
        _ => None,
    }
    .transpose()
    .map_err(WorkflowError::InvalidData)?;
    let mut renderer = Renderer::new(ctx);
    let mut render = |number: &DocumentNumber| match &data {
        Some(data) => renderer.render(&doc.form, data, number, at),
        None => Err("nothing to render".into()),
    };
    let result = ctx.registry.change_document(
        doc.id,
        actor,
        action,
        reason.trim(),
        at,
        data.is_some().then_some(&mut render as &mut Render<'_>),
    );
    result.map_err(|e| renderer.error(e))
}

/// The registry's word on a verified seal's document: its standing when this registry issued it, with
/// `DOCUMENT_STATUS` added to the report when the document is suspended, terminated or replaced. A seal whose
/// content could not be read names no document.
pub fn check_standing(
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
