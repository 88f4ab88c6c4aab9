//! Issuing references at once and reading issued documents back.
//!
//! A reference's data comes from the portal (README, "The application flow": information references skip the operator's
//! decision), so issuing it is: validate against the form, reserve the number, render, seal, store — one
//! registry transaction, so a failure leaves no trace and uses no number.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::auth::{Operator, Portal, Reader};
use super::extract::Body;
use super::idempotency::Idempotency;
use super::views::{DocumentView, StandingView};
use super::{now, AppState, Pool, Problem};
use crate::issuance::LifecycleAction;
use crate::registry::{DocumentId, RegistryError, StoredDocument};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IssueRequest {
    /// A `reference.*` form id (README, "HTTP API").
    form: String,
    /// The form's fields.
    data: serde_json::Value,
    /// The provider that issues it (its id); the node's first when absent.
    provider: Option<String>,
}

pub(super) fn storage_failure(e: RegistryError) -> Problem {
    Problem::registry(&e)
}

pub(super) async fn issue(
    State(state): State<AppState>,
    Portal(caller): Portal,
    idempotency: Idempotency,
    Body(req): Body<IssueRequest>,
) -> Result<Response, Problem> {
    let gates = state.gates.clone();
    let (stored, replayed) = gates
        .run(Pool::Private, move |cancel| {
            let ctx = state
                .context_for(cancel, &caller)
                .acting_for(req.provider.as_deref().unwrap_or_default())
                .map_err(Problem::from)?;
            let data = req.data.to_string();
            let provider = req.provider.as_deref().unwrap_or_default();
            let key = idempotency.key(
                &caller.name,
                &[
                    b"POST /v1/documents",
                    req.form.as_bytes(),
                    data.as_bytes(),
                    provider.as_bytes(),
                ],
            );
            match key {
                Some(key) => crate::service::workflow::issue_reference_once(
                    ctx,
                    &key,
                    &req.form,
                    &req.data,
                    &caller.name,
                    now(),
                ),
                None => crate::service::workflow::issue_reference(
                    ctx,
                    &req.form,
                    &req.data,
                    &caller.name,
                    now(),
                )
                .map(|d| (d, false)),
            }
            .map_err(Problem::from)
        })
        .await?;
    tracing::info!(number = %stored.number, replayed, "reference issued");
    let location = format!("/v1/documents/{}", stored.id.0);
    // A replay is the first answer again, marked.
    let mut response = (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(DocumentView::summary(&stored)),
    )
        .into_response();
    if replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

pub(super) async fn load(state: AppState, id: String) -> Result<StoredDocument, Problem> {
    let id: i64 = id.parse().map_err(|_| Problem::not_found())?;
    let gates = state.gates.clone();
    gates
        .run(Pool::Private, move |_| {
            state
                .registry
                .document(DocumentId(id))
                .map_err(storage_failure)?
                .ok_or_else(Problem::not_found)
        })
        .await
}

/// Reading a document needs a portal or operator token: it holds personal data.
pub(super) async fn get(
    State(state): State<AppState>,
    _reader: Reader,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let doc = load(state, id).await?;
    Ok(Json(DocumentView::with_data(&doc)).into_response())
}

pub(super) async fn pdf(
    State(state): State<AppState>,
    _reader: Reader,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let doc = load(state, id).await?;
    let disposition = format!("inline; filename=\"{}.pdf\"", doc.number);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        doc.pdf,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatusQuery {
    /// The verification code printed on the document.
    code: Option<String>,
}

/// Public: the standing of the document with this number (valid, suspended, terminated, replaced), for whoever
/// holds the paper — which prints the verification code asked for here, so walking through sequential numbers
/// reveals nothing: a wrong or missing code is answered like a number that does not exist.
pub(super) async fn status(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Query(query): Query<StatusQuery>,
) -> Result<Response, Problem> {
    let Some(code) = query.code.filter(|c| !c.trim().is_empty()) else {
        return Err(Problem::malformed(
            "code: the verification code printed on the document is required (?code=XXXX-XXXX)"
                .into(),
        ));
    };
    if number.len() > 64 || code.len() > 32 {
        return Err(Problem::not_found());
    }
    let gates = state.gates.clone();
    let standing = gates
        .run(Pool::Public, move |_| {
            crate::service::workflow::standing_with_code(state.context(), &number, &code)
                .map_err(Problem::from)?
                .ok_or_else(Problem::not_found)
        })
        .await?;
    Ok(Json(StandingView::of(&standing)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LifecycleRequest {
    /// Why: printed in the public status.
    reason: String,
    /// Refused when given: suspend, resume and terminate change no fields (re-issue is an application).
    #[serde(default)]
    fields: serde_json::Map<String, serde_json::Value>,
}

/// `POST /v1/documents/{id}/{reissue|duplicate|suspend|resume|terminate}`: an operator's change to a licence.
pub(super) async fn lifecycle(
    State(state): State<AppState>,
    Operator(caller): Operator,
    Path((id, action)): Path<(String, String)>,
    Body(req): Body<LifecycleRequest>,
) -> Result<Response, Problem> {
    let action = LifecycleAction::parse(&action).ok_or_else(|| {
        let mut p = Problem::not_found();
        p.detail =
            "no such route: the actions are reissue, duplicate, suspend, resume, terminate".into();
        p
    })?;
    let id: i64 = id.parse().map_err(|_| Problem::not_found())?;
    let gates = state.gates.clone();
    let standing = gates
        .run(Pool::Private, move |cancel| {
            crate::service::workflow::change_licence(
                state.context_for(cancel, &caller),
                DocumentId(id),
                action,
                &req.reason,
                &req.fields,
                &caller.name,
                now(),
            )
            .map_err(Problem::from)
        })
        .await?;
    tracing::info!(number = %standing.number, event = action.event(), "licence changed");
    Ok(Json(StandingView::of(&standing)).into_response())
}
