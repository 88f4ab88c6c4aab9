//! Applications (README, "The application flow" steps 1–5) over HTTP: a portal submits what the applicant signed and reports the
//! payment; an operator decides. The steps themselves are [`crate::service::workflow`]'s.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::auth::{Operator, Portal, Reader};
use super::documents::{rfc3339, storage_failure};
use super::{b64, json_body, now, AppState, Pool, Problem};
use crate::registry::{ApplicationId, ApplicationRecord};
use crate::service::workflow::Decision;

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

pub(super) async fn submit(
    State(state): State<AppState>,
    Portal(caller): Portal,
    body: Result<Json<SubmitRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let req = json_body(body)?;
    let cms = b64("cms", &req.cms)?;
    let detached = req.data.as_deref().map(|d| b64("data", d)).transpose()?;
    let gates = state.gates.clone();
    let record = gates
        .run(Pool::Private, move |cancel| {
            crate::service::workflow::submit(
                state.context_with(cancel),
                &cms,
                detached.as_deref(),
                &caller.name,
                now(),
            )
            .map_err(Problem::from)
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
    let gates = state.gates.clone();
    gates
        .run(Pool::Private, move |_| {
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
    _reader: Reader,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
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
    Portal(caller): Portal,
    Path(id): Path<String>,
    body: Result<Json<PaymentRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let id = application_id(&id)?;
    let req = json_body(body)?;
    let gates = state.gates.clone();
    let record = gates
        .run(Pool::Private, move |cancel| {
            crate::service::workflow::report_payment(
                state.context_with(cancel),
                id,
                req.paid,
                req.reference.as_deref(),
                &caller.name,
                now(),
            )
            .map_err(Problem::from)
        })
        .await?;
    Ok(Json(application_json(&record)).into_response())
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum DecisionKind {
    Approve,
    Refuse,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DecisionRequest {
    decision: DecisionKind,
    /// Required to refuse: the reasons, printed on the refusal.
    reason: Option<String>,
    /// To approve: licence fields the operator sets (special_conditions, note, validity).
    #[serde(default)]
    fields: serde_json::Map<String, serde_json::Value>,
}

/// The operator decides a registered application.
pub(super) async fn decision(
    State(state): State<AppState>,
    Operator(caller): Operator,
    Path(id): Path<String>,
    body: Result<Json<DecisionRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let id = application_id(&id)?;
    let req = json_body(body)?;
    let decision = match req.decision {
        DecisionKind::Approve if req.reason.is_some() => {
            return Err(Problem::malformed(
                "reason: an approval gives no reason".into(),
            ))
        }
        DecisionKind::Approve => Decision::Approve { fields: req.fields },
        DecisionKind::Refuse if !req.fields.is_empty() => {
            return Err(Problem::malformed(
                "fields: only an approval sets licence fields".into(),
            ))
        }
        DecisionKind::Refuse => Decision::Refuse {
            reason: req.reason.unwrap_or_default(),
        },
    };
    let gates = state.gates.clone();
    let record = gates
        .run(Pool::Private, move |cancel| {
            crate::service::workflow::decide(
                state.context_with(cancel),
                id,
                &decision,
                &caller.name,
                now(),
            )
            .map_err(Problem::from)
        })
        .await?;
    tracing::info!(number = %record.number, status = record.status.as_str(), "application decided");
    Ok(Json(application_json(&record)).into_response())
}
