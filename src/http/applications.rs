//! Applications (design.md §1 steps 1–5): a portal submits what the applicant signed; the signature and the
//! applicant's certificate are verified at once (a failure is answered with a refusal document, "EDS
//! authenticity not confirmed", carrying the codes); the portal reports the payment (none → refusal); the
//! application is registered with a due date in working days; the operator approves (the licence is issued) or
//! refuses with reasons (a reasoned refusal is issued). Every document is sealed by the provider's signer and
//! stored in the transaction of the step that made it.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::documents::{rfc3339, storage_failure, year_now, Renderer};
use super::{auth, b64, blocking, json_body, now, AppState, Problem};
use crate::issuance::{
    local_date, ApplicantId, Application, ApplicationStep, RefusalReason, DECISION_FIELDS,
};
use crate::pki::VerifyOptions;
use crate::registry::{
    Advance, ApplicationId, ApplicationRecord, DocumentNumber, NewApplication, TokenRole,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SubmitRequest {
    /// CMS SignedData over the application JSON, base64.
    cms: String,
    /// The application JSON, base64, when the signature is detached.
    data: Option<String>,
}

fn application_json(a: &ApplicationRecord) -> serde_json::Value {
    let verification: serde_json::Value =
        serde_json::from_str(&a.verification).unwrap_or(serde_json::Value::Null);
    let mut body = json!({
        "id": a.id.0,
        "number": a.number,
        "service": a.service,
        "applicant": {"id": a.applicant, "name": a.applicant_name},
        "status": a.status.as_str(),
        "submittedAt": rfc3339(a.submitted_at),
        "verification": verification,
    });
    if let Some(p) = &a.payment_reference {
        body["paymentReference"] = json!(p);
    }
    if let Some(t) = a.registered_at {
        body["registeredAt"] = json!(rfc3339(t));
    }
    if let Some(d) = &a.due_date {
        body["dueDate"] = json!(d);
    }
    if let Some(t) = a.decided_at {
        body["decidedAt"] = json!(rfc3339(t));
    }
    if let Some((id, number)) = &a.document {
        body["document"] = json!({
            "id": id.0,
            "number": number,
            "href": format!("/v1/documents/{}", id.0),
            "pdf": format!("/v1/documents/{}/pdf", id.0),
        });
    }
    body
}

fn invalid_application(detail: String) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "INVALID_APPLICATION",
        "The signed content is not a valid application",
        detail,
    )
}

/// The refusal form's data for `record`'s applicant.
fn refusal(
    state: &AppState,
    application_number: &str,
    submitted_at: i64,
    applicant_name: &str,
    reason: &RefusalReason,
) -> Result<serde_json::Value, String> {
    let day = local_date(submitted_at).ok_or("submission time out of range")?;
    Ok(crate::issuance::refusal_data(
        &state.provider,
        application_number,
        day,
        applicant_name,
        reason,
    ))
}

pub(super) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<SubmitRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let caller = auth::require(state.registry.as_ref(), &headers, TokenRole::Portal)?;
    let req = json_body(body)?;
    let cms = b64("cms", &req.cms)?;
    let detached = req.data.as_deref().map(|d| b64("data", d)).transpose()?;
    let record = blocking(move || {
        let content = match &detached {
            Some(d) => d.clone(),
            None => crate::cms::attached_content(&cms)
                .map_err(|e| Problem::malformed(format!("cms: {e}")))?
                .ok_or_else(|| {
                    Problem::malformed(
                        "cms: the signature is detached: send the application as data".into(),
                    )
                })?,
        };
        let application =
            Application::parse(&content).map_err(|e| invalid_application(e.to_string()))?;
        let at = now();
        let mut opts = VerifyOptions::at(at);
        match &application.applicant {
            ApplicantId::Iin(iin) => opts.iin = Some(*iin),
            ApplicantId::Bin(bin) => opts.bin = Some(*bin),
        }
        let report = crate::cms::verify_cms(&state.store, &cms, detached.as_deref(), &[], &opts)
            .map_err(|e| Problem::malformed(format!("cms: {e}")))?;
        let verification = serde_json::to_string(&report).map_err(|_| Problem::internal())?;
        let applicant = application.applicant.as_string();
        let new = NewApplication {
            service: application.service.id,
            applicant: &applicant,
            applicant_name: &application.applicant_name,
            submitted_at: at,
            content: &content,
            cms: &cms,
            verification: &verification,
        };
        if report.report.valid {
            return state
                .registry
                .submit_application(&new, &caller.name, None)
                .map_err(storage_failure);
        }
        // Step 1 failed: refused at once, with every code the verification found.
        let reason = RefusalReason::EdsNotConfirmed(
            report
                .report
                .codes
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
        );
        let mut renderer = Renderer::new(&state);
        let result = state.registry.submit_application(
            &new,
            &caller.name,
            Some(&mut |app_number: &str, number: &DocumentNumber| {
                let data = refusal(&state, app_number, at, &application.applicant_name, &reason)?;
                renderer.render("refusal", &data, number, at)
            }),
        );
        result.map_err(|e| renderer.problem(e))
    })
    .await?;
    tracing::info!(number = %record.number, status = record.status.as_str(), "application submitted");
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/v1/applications/{}", record.id.0),
        )],
        Json(application_json(&record)),
    )
        .into_response())
}

fn application_id(id: &str) -> Result<ApplicationId, Problem> {
    id.parse().map(ApplicationId).map_err(|_| {
        let mut p = Problem::not_found();
        p.detail = "no such application".into();
        p
    })
}

async fn load(state: &AppState, id: ApplicationId) -> Result<ApplicationRecord, Problem> {
    let state = state.clone();
    blocking(move || {
        state
            .registry
            .application(id)
            .map_err(storage_failure)?
            .ok_or_else(|| {
                let mut p = Problem::not_found();
                p.detail = "no such application".into();
                p
            })
    })
    .await
}

pub(super) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    auth::require_any(
        state.registry.as_ref(),
        &headers,
        &[TokenRole::Portal, TokenRole::Operator],
    )?;
    let record = load(&state, application_id(&id)?).await?;
    Ok(Json(application_json(&record)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PaymentRequest {
    /// Whether the payment gateway confirmed the fee.
    paid: bool,
    /// The gateway's reference.
    reference: Option<String>,
}

/// The portal reports the payment: paid → registered with its due date; not paid → refused.
pub(super) async fn payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<PaymentRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let caller = auth::require(state.registry.as_ref(), &headers, TokenRole::Portal)?;
    let id = application_id(&id)?;
    let req = json_body(body)?;
    let reference = req.reference.map(|r| r.trim().to_string());
    match &reference {
        Some(r) if r.is_empty() || r.chars().count() > 100 => {
            return Err(Problem::malformed("reference: 1–100 characters".into()))
        }
        None if req.paid => return Err(Problem::malformed("reference: required when paid".into())),
        _ => {}
    }
    let current = load(&state, id).await?;
    let record = blocking(move || {
        let at = now();
        if req.paid {
            let service =
                crate::issuance::service(&current.service).ok_or_else(Problem::internal)?;
            let due = local_date(at)
                .and_then(|today| {
                    state
                        .calendar
                        .add_working_days(today, service.due_working_days)
                })
                .ok_or_else(Problem::internal)?;
            let advance = Advance {
                step: ApplicationStep::Paid,
                at,
                payment_reference: reference.as_deref(),
                due_date: Some(due.to_string()),
                document: None,
            };
            return state
                .registry
                .advance_application(id, &caller.name, advance)
                .map_err(|e| Renderer::new(&state).problem(e));
        }
        let mut renderer = Renderer::new(&state);
        let mut render = |number: &DocumentNumber| {
            let data = refusal(
                &state,
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
            payment_reference: reference.as_deref(),
            due_date: None,
            document: Some(("refusal", &mut render)),
        };
        let result = state
            .registry
            .advance_application(id, &caller.name, advance);
        result.map_err(|e| renderer.problem(e))
    })
    .await?;
    Ok(Json(application_json(&record)).into_response())
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Decision {
    Approve,
    Refuse,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DecisionRequest {
    decision: Decision,
    /// Required to refuse: the reasons, printed on the refusal.
    reason: Option<String>,
    /// To approve: licence fields the operator sets (special_conditions, note, validity).
    #[serde(default)]
    fields: serde_json::Map<String, serde_json::Value>,
}

/// The operator decides a registered application.
pub(super) async fn decision(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<DecisionRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let caller = auth::require(state.registry.as_ref(), &headers, TokenRole::Operator)?;
    let id = application_id(&id)?;
    let req = json_body(body)?;
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    match req.decision {
        Decision::Refuse if reason.is_empty() => {
            return Err(Problem::malformed(
                "reason: a refusal must give its reasons".into(),
            ))
        }
        Decision::Refuse if !req.fields.is_empty() => {
            return Err(Problem::malformed(
                "fields: only an approval sets licence fields".into(),
            ))
        }
        _ if reason.chars().count() > 2000 => {
            return Err(Problem::malformed(
                "reason: longer than 2000 characters".into(),
            ))
        }
        _ => {}
    }
    let current = load(&state, id).await?;
    let record = blocking(move || {
        let at = now();
        let (form, data) = match req.decision {
            Decision::Approve => {
                let application = Application::parse(&current.content).map_err(|e| {
                    storage_failure(crate::registry::RegistryError::Corrupt(e.to_string()))
                })?;
                let today = local_date(at).ok_or_else(Problem::internal)?;
                let data = crate::issuance::licence_data(
                    &state.provider,
                    &application,
                    &req.fields,
                    today,
                )
                .map_err(|e| {
                    Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "INVALID_DATA",
                        "The data does not fit the form",
                        format!(
                            "{e} (fields the operator sets: {})",
                            DECISION_FIELDS.join(", ")
                        ),
                    )
                })?;
                (application.service.id, data)
            }
            Decision::Refuse => {
                let data = refusal(
                    &state,
                    &current.number,
                    current.submitted_at,
                    &current.applicant_name,
                    &RefusalReason::Decision(reason.clone()),
                )
                .map_err(|_| Problem::internal())?;
                ("refusal", data)
            }
        };
        year_now(at)?;
        let mut renderer = Renderer::new(&state);
        let mut render = |number: &DocumentNumber| renderer.render(form, &data, number, at);
        let advance = Advance {
            step: match req.decision {
                Decision::Approve => ApplicationStep::Approve,
                Decision::Refuse => ApplicationStep::Refuse,
            },
            at,
            payment_reference: None,
            due_date: None,
            document: Some((form, &mut render)),
        };
        let result = state
            .registry
            .advance_application(id, &caller.name, advance);
        result.map_err(|e| renderer.problem(e))
    })
    .await?;
    tracing::info!(number = %record.number, status = record.status.as_str(), "application decided");
    Ok(Json(application_json(&record)).into_response())
}
