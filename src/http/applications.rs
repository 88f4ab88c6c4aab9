//! Applications (README, "The application flow" steps 1–5) over HTTP: a portal submits what the applicant signed and reports the
//! payment; an operator decides. The steps themselves are [`crate::service::workflow`]'s.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::auth::{Operator, Portal, Staff};
use super::documents::storage_failure;
use super::extract::Body;
use super::idempotency::Idempotency;
use super::views::ApplicationView;
use super::{b64, now, AppState, Pool, Problem};
use crate::registry::{ApplicationId, ApplicationRecord};
use crate::service::workflow::Decision;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SubmitRequest {
    /// CMS SignedData over the application JSON, base64.
    cms: Option<String>,
    /// The application JSON, base64, when the signature is detached.
    data: Option<String>,
    /// Or: the application as signed XML (NCALayer's `signXml`), as text.
    xml: Option<String>,
}

pub(super) async fn submit(
    State(state): State<AppState>,
    Portal(caller): Portal,
    Body(req): Body<SubmitRequest>,
) -> Result<Response, Problem> {
    let signed = match (req.cms, req.xml) {
        (Some(cms), None) => Carried::Cms {
            cms,
            data: req.data,
        },
        (None, Some(xml)) if req.data.is_none() => Carried::Xml(xml),
        _ => {
            return Err(Problem::malformed(
                "give the application signed as CMS ({\"cms\", \"data\"?}) or as XML ({\"xml\"}), one of the two".into(),
            ))
        }
    };
    let offices = state.offices.clone();
    let gates = state.gates.clone();
    let (record, submitted) = gates
        .run(Pool::Private, move |cancel| {
            use crate::service::workflow::SignedApplication;
            let ctx = state.context_for(cancel, &caller);
            let decoded = signed.decode("cms")?;
            let signed = match &decoded {
                Decoded::Cms { cms, data } => SignedApplication::Cms {
                    cms,
                    detached: data.as_deref(),
                },
                Decoded::Xml(xml) => SignedApplication::Xml(xml),
            };
            crate::service::workflow::submit_request(ctx, signed, &caller.name, now())
                .map_err(Problem::from)
        })
        .await?;
    tracing::info!(number = %record.number, status = record.status.as_str(), ?submitted, "application submitted");
    // The same signed request again is the application it made: 200, not a new one.
    let status = match submitted {
        crate::service::workflow::Submitted::New => StatusCode::CREATED,
        crate::service::workflow::Submitted::Again => StatusCode::OK,
    };
    Ok((
        status,
        [(
            header::LOCATION,
            format!("/v1/applications/{}", record.id.0),
        )],
        Json(ApplicationView::of(&record, &offices)),
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
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let record = load(&state, application_id(&id)?).await?;
    if let Some(office) = state.offices.get(&record.provider) {
        if !caller.serves(&office.id) {
            return Err(
                crate::service::workflow::WorkflowError::OtherProvider(format!(
                    "application {} is provider {:?}'s",
                    record.number, office.id
                ))
                .into(),
            );
        }
    }
    // The application holds personal data: the read is recorded.
    let registry = state.registry.clone();
    let number = record.number.clone();
    state
        .gates
        .clone()
        .run(Pool::Private, move |_| {
            registry
                .record(
                    crate::clock::UnixTime::now(),
                    &caller.name,
                    "application.read",
                    &number,
                )
                .map_err(storage_failure)
        })
        .await?;
    Ok(Json(ApplicationView::of(&record, &state.offices)).into_response())
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
    idempotency: Idempotency,
    Path(id): Path<String>,
    Body(req): Body<PaymentRequest>,
) -> Result<Response, Problem> {
    let id = application_id(&id)?;
    let offices = state.offices.clone();
    let gates = state.gates.clone();
    let record = gates
        .run(Pool::Private, move |cancel| {
            let route = format!("POST /v1/applications/{}/payment", id.0);
            let paid = [u8::from(req.paid)];
            let reference = req.reference.as_deref().unwrap_or_default();
            let key = idempotency.key(
                &caller.name,
                &[route.as_bytes(), &paid, reference.as_bytes()],
            );
            crate::service::workflow::report_payment_once(
                state.context_for(cancel, &caller),
                id,
                req.paid,
                req.reference.as_deref(),
                key,
                &caller.name,
                now(),
            )
            .map_err(Problem::from)
        })
        .await?;
    Ok(Json(ApplicationView::of(&record, &offices)).into_response())
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
    /// To approve a licence: the number E-licensing assigned, instead of ours.
    number: Option<String>,
}

/// The operator decides a registered application.
pub(super) async fn decision(
    State(state): State<AppState>,
    Operator(caller): Operator,
    idempotency: Idempotency,
    Path(id): Path<String>,
    Body(req): Body<DecisionRequest>,
) -> Result<Response, Problem> {
    let id = application_id(&id)?;
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
    let offices = state.offices.clone();
    let gates = state.gates.clone();
    let record = gates
        .run(Pool::Private, move |cancel| {
            let route = format!("POST /v1/applications/{}/decision", id.0);
            let what = format!("{decision:?}");
            let number = req.number.as_deref().unwrap_or_default();
            let key = idempotency.key(
                &caller.name,
                &[route.as_bytes(), what.as_bytes(), number.as_bytes()],
            );
            crate::service::workflow::decide_once(
                state.context_for(cancel, &caller),
                id,
                &decision,
                key,
                req.number.as_deref(),
                &caller.name,
                now(),
            )
            .map_err(Problem::from)
        })
        .await?;
    tracing::info!(number = %record.number, status = record.status.as_str(), "application decided");
    Ok(Json(ApplicationView::of(&record, &offices)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// The applicant's IIN or BIN.
    applicant: Option<String>,
    service: Option<String>,
    status: Option<String>,
    /// Only those past their deadline and not final.
    #[serde(default)]
    overdue: bool,
    /// The provider's id (an operator bound to one sees only theirs).
    provider: Option<String>,
    /// The last id of the previous page.
    after: Option<i64>,
    limit: Option<usize>,
}

/// Lists applications: an applicant's (by IIN/BIN), a service's, those in a state, those overdue — the portal's
/// and the operator's queue. A list holds personal data: every read is recorded in the audit log with its filter.
pub(super) async fn list(
    State(state): State<AppState>,
    Staff(caller): Staff,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Response, Problem> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Problem::malformed("limit: 1–200".into()));
    }
    for (name, v) in [
        ("applicant", &q.applicant),
        ("service", &q.service),
        ("status", &q.status),
    ] {
        if v.as_ref().is_some_and(|v| v.is_empty() || v.len() > 100) {
            return Err(Problem::malformed(format!("{name}: 1–100 characters")));
        }
    }
    // An operator bound to a provider sees that provider's queue, and only it.
    let provider = match (&caller.provider, q.provider.as_deref()) {
        (Some(own), Some(asked)) if own != asked => {
            return Err(
                crate::service::workflow::WorkflowError::OtherProvider(format!(
                    "the caller works for provider {own:?}"
                ))
                .into(),
            )
        }
        (Some(own), _) => Some(own.clone()),
        (None, asked) => asked.map(str::to_string),
    };
    if let Some(p) = &provider {
        if state.offices.get(p).is_none() || p.is_empty() {
            return Err(crate::service::workflow::WorkflowError::UnknownProvider(p.clone()).into());
        }
    }
    let gates = state.gates.clone();
    let (views, next) = gates
        .run(Pool::Private, move |_| {
            let providers = provider
                .as_deref()
                .map(|p| state.offices.stored_ids(p))
                .unwrap_or_default();
            let filter = crate::registry::ApplicationFilter {
                applicant: q.applicant.as_deref(),
                service: q.service.as_deref(),
                status: q.status.as_deref(),
                submitted_before: None,
                providers: &providers,
            };
            let at = now();
            let subject = format!(
                "applicant={} service={} status={} provider={} overdue={}",
                filter.applicant.unwrap_or("*"),
                filter.service.unwrap_or("*"),
                filter.status.unwrap_or("*"),
                provider.as_deref().unwrap_or("*"),
                q.overdue
            );
            state
                .registry
                .record(
                    crate::clock::UnixTime::from_secs(at),
                    &caller.name,
                    "applications.read",
                    &subject,
                )
                .map_err(storage_failure)?;
            // Overdue is judged here, not in SQL: scan pages until `limit` are found (bounded by the pages read).
            let mut after = q.after.map(ApplicationId);
            let mut found = Vec::new();
            for _ in 0..20 {
                let page = state
                    .registry
                    .find_applications(&filter, after, limit)
                    .map_err(storage_failure)?;
                let full = page.len() == limit;
                for r in page {
                    after = Some(r.id);
                    if !q.overdue || super::views::overdue(&r, at) {
                        found.push(ApplicationView::of(&r, &state.offices));
                        if found.len() == limit {
                            return Ok((found, after.map(|a| a.0)));
                        }
                    }
                }
                if !full {
                    return Ok((found, None));
                }
            }
            Ok((found, after.map(|a| a.0)))
        })
        .await?;
    let mut body = serde_json::json!({ "applications": views });
    if let Some(next) = next {
        body["next"] = serde_json::json!(next);
    }
    Ok(Json(body).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct StepRequest {
    /// The payment reference, for a payment step.
    reference: Option<String>,
    /// The stated reasons, for a step that refuses with them.
    reason: Option<String>,
    /// The values the step's document takes (`GET /v1/services/{id}`, `takes`).
    #[serde(default)]
    fields: serde_json::Map<String, serde_json::Value>,
    /// For a step that issues a licence: the number E-licensing assigned, instead of ours.
    number: Option<String>,
    /// The head's own signature on the step: an attached CMS (base64) over `{"application", "step", "fields"?,
    /// "reason"?, "number"?}`; the step then takes the values signed.
    signature: Option<String>,
    /// Or the head's signature as XML (NCALayer's `signXml` over `<step xmlns="urn:qoltanba:step:1"
    /// application="…" name="…">…</step>`), as text.
    #[serde(rename = "signatureXml")]
    signature_xml: Option<String>,
}

/// A signature as a request carries it: an attached or detached CMS in base64 (with its data, base64), or XML as
/// text. Decoded in the job ([`Carried::decode`]), not on the I/O thread: a token holder's body may be 16 MB,
/// milliseconds the I/O thread would owe every other connection it serves.
enum Carried {
    Cms { cms: String, data: Option<String> },
    Xml(String),
}

/// A [`Carried`] signature decoded.
enum Decoded {
    Cms { cms: Vec<u8>, data: Option<Vec<u8>> },
    Xml(Vec<u8>),
}

impl Carried {
    /// `field` names the CMS in the error a bad base64 gets.
    fn decode(self, field: &str) -> Result<Decoded, Problem> {
        Ok(match self {
            Carried::Cms { cms, data } => Decoded::Cms {
                cms: b64(field, &cms)?,
                data: data.as_deref().map(|d| b64("data", d)).transpose()?,
            },
            Carried::Xml(xml) => Decoded::Xml(xml.into_bytes()),
        })
    }
}

/// Takes a step of the application's service (`next` in the application's view): the portal's or the operator's,
/// as the service says.
pub(super) async fn step(
    State(state): State<AppState>,
    Staff(caller): Staff,
    idempotency: Idempotency,
    Path((id, step)): Path<(String, String)>,
    Body(mut req): Body<StepRequest>,
) -> Result<Response, Problem> {
    let id = application_id(&id)?;
    let by = match caller.role {
        crate::registry::TokenRole::Portal => crate::issuance::catalogue::Actor::Portal,
        crate::registry::TokenRole::Operator => crate::issuance::catalogue::Actor::Operator,
    };
    let offices = state.offices.clone();
    let signature = match (req.signature.take(), req.signature_xml.take()) {
        (Some(cms), None) => Some(Carried::Cms { cms, data: None }),
        (None, Some(xml)) => Some(Carried::Xml(xml)),
        (None, None) => None,
        (Some(_), Some(_)) => return Err(Problem::malformed(
            "give the head's signature as CMS (signature) or as XML (signatureXml), one of the two"
                .into(),
        )),
    };
    let gates = state.gates.clone();
    let record = gates
        .run(Pool::Private, move |cancel| {
            // The head's signature is an attached CMS or XML: its bytes as they came.
            let signature = match signature.map(|s| s.decode("signature")).transpose()? {
                Some(Decoded::Cms { cms, .. }) => Some(cms),
                Some(Decoded::Xml(xml)) => Some(xml),
                None => None,
            };
            let route = format!("POST /v1/applications/{}/steps/{step}", id.0);
            let fields = serde_json::Value::Object(req.fields.clone()).to_string();
            let step = crate::service::workflow::Step {
                action: &step,
                reference: req.reference.as_deref(),
                reason: req.reason.as_deref(),
                fields: &req.fields,
                idempotency: idempotency.key(
                    &caller.name,
                    &[
                        route.as_bytes(),
                        req.reference.as_deref().unwrap_or_default().as_bytes(),
                        req.reason.as_deref().unwrap_or_default().as_bytes(),
                        fields.as_bytes(),
                        req.number.as_deref().unwrap_or_default().as_bytes(),
                        signature.as_deref().unwrap_or_default(),
                    ],
                ),
                number: req.number.as_deref(),
                signature: signature.as_deref(),
            };
            crate::service::workflow::act(
                state.context_for(cancel, &caller),
                id,
                &step,
                by,
                &caller.name,
                now(),
            )
            .map_err(Problem::from)
        })
        .await?;
    tracing::info!(number = %record.number, status = record.status.as_str(), "application step taken");
    Ok(Json(ApplicationView::of(&record, &offices)).into_response())
}
