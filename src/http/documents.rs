//! Issuing references at once and reading issued documents back.
//!
//! A reference's data comes from the portal (README, "The application flow": information references skip the operator's
//! decision), so issuing it is: validate against the form, reserve the number, render, seal, store — one
//! registry transaction, so a failure leaves no trace and uses no number.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::auth::{Operator, Portal, Reader};
use super::{json_body, now, AppState, Pool, Problem};
use crate::issuance::LifecycleAction;
use crate::registry::{DocumentId, DocumentStanding, RegistryError, StoredDocument};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IssueRequest {
    /// A `reference.*` form id (README, "HTTP API").
    form: String,
    /// The form's fields.
    data: serde_json::Value,
}

pub(super) fn storage_failure(e: RegistryError) -> Problem {
    tracing::error!(error = %e, "registry failure");
    Problem::internal()
}

pub(super) use crate::clock::rfc3339;

pub(super) fn summary(doc: &StoredDocument) -> serde_json::Value {
    let mut body = json!({
        "id": doc.id.0,
        "number": doc.number,
        "form": doc.form,
        "issuedAt": rfc3339(doc.issued_at),
        "seal": doc.seal,
        "pdf": format!("/v1/documents/{}/pdf", doc.id.0),
    });
    if doc.copy > 0 {
        body["duplicate"] = json!(doc.copy);
    }
    body
}

pub(super) async fn issue(
    State(state): State<AppState>,
    Portal(caller): Portal,
    body: Result<Json<IssueRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let req = json_body(body)?;
    let gates = state.gates.clone();
    let stored = gates
        .run(Pool::Private, move |cancel| {
            crate::service::workflow::issue_reference(
                state.context_with(cancel),
                &req.form,
                &req.data,
                &caller.name,
                now(),
            )
            .map_err(Problem::from)
        })
        .await?;
    tracing::info!(number = %stored.number, "reference issued");
    let location = format!("/v1/documents/{}", stored.id.0);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(summary(&stored)),
    )
        .into_response())
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
    let mut body = summary(&doc);
    body["data"] = serde_json::from_slice(&doc.canonical_data)
        .unwrap_or_else(|_| json!(String::from_utf8_lossy(&doc.canonical_data)));
    Ok(Json(body).into_response())
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

/// The public view of a document's standing.
pub(super) fn standing_json(st: &DocumentStanding) -> serde_json::Value {
    let events: Vec<serde_json::Value> = st
        .events
        .iter()
        .map(|e| {
            let mut v = json!({"at": rfc3339(e.at), "event": e.event.event(), "reason": e.reason});
            if let Some(d) = &e.document {
                v["document"] = json!(d);
            }
            v
        })
        .collect();
    let mut body = json!({
        "number": st.number,
        "form": st.form,
        "issuedAt": rfc3339(st.issued_at),
        "status": st.status.as_str(),
        "events": events,
        "duplicates": st.duplicates,
    });
    if let Some(n) = &st.replaced_by {
        body["replacedBy"] = json!(n);
    }
    if let Some(n) = &st.replaces {
        body["replaces"] = json!(n);
    }
    body
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
    Ok(Json(standing_json(&standing)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LifecycleRequest {
    /// Why: printed in the public status.
    reason: String,
    /// Re-issue only: the licence fields that change.
    #[serde(default)]
    fields: serde_json::Map<String, serde_json::Value>,
}

/// `POST /v1/documents/{id}/{reissue|duplicate|suspend|resume|terminate}`: an operator's change to a licence.
pub(super) async fn lifecycle(
    State(state): State<AppState>,
    Operator(caller): Operator,
    Path((id, action)): Path<(String, String)>,
    body: Result<Json<LifecycleRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let action = LifecycleAction::parse(&action).ok_or_else(|| {
        let mut p = Problem::not_found();
        p.detail =
            "no such route: the actions are reissue, duplicate, suspend, resume, terminate".into();
        p
    })?;
    let req = json_body(body)?;
    let id: i64 = id.parse().map_err(|_| Problem::not_found())?;
    let gates = state.gates.clone();
    let (standing, made) = gates
        .run(Pool::Private, move |cancel| {
            crate::service::workflow::change_licence(
                state.context_with(cancel),
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
    let mut body = standing_json(&standing);
    if let Some(made) = &made {
        body["document"] = summary(made);
    }
    Ok(Json(body).into_response())
}
