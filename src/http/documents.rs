//! Issuing references at once and reading issued documents back.
//!
//! A reference's data comes from the portal (design.md §1: information references skip the operator's
//! decision), so issuing it is: validate against the form, reserve the number, render, seal, store — one
//! registry transaction, so a failure leaves no trace and uses no number.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{auth, blocking, json_body, now, AppState, Problem};
use crate::forms::{IssueError, Sealing, TemplateError};
use crate::registry::{DocumentId, RegistryError, RenderedDocument, StoredDocument, TokenRole};
use crate::seal::SealMode;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IssueRequest {
    /// A `reference.*` form id (design.md §5).
    form: String,
    /// The form's fields.
    data: serde_json::Value,
}

fn storage_failure(e: RegistryError) -> Problem {
    tracing::error!(error = %e, "registry failure");
    Problem::internal()
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn summary(doc: &StoredDocument) -> serde_json::Value {
    json!({
        "id": doc.id.0,
        "number": doc.number,
        "form": doc.form,
        "issuedAt": rfc3339(doc.issued_at),
        "seal": doc.seal,
        "pdf": format!("/v1/documents/{}/pdf", doc.id.0),
    })
}

pub(super) async fn issue(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<IssueRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let caller = auth::require(state.registry.as_ref(), &headers, TokenRole::Portal)?;
    let req = json_body(body)?;
    if !req.form.starts_with("reference.") {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "NOT_A_REFERENCE",
            "Only references are issued at once",
            format!(
                "{}: licences and refusals come from an application's decision",
                req.form
            ),
        ));
    }
    let stored = blocking(move || {
        let issued_at = now();
        let year = time::OffsetDateTime::from_unix_timestamp(issued_at)
            .map(|t| t.year())
            .map_err(|_| Problem::internal())?;
        let mut failure = None;
        let result = state
            .registry
            .issue(&req.form, year, &caller.name, &mut |number| {
                let sealing = Sealing {
                    signer: &state.signer,
                    mode: SealMode::Compact,
                };
                match crate::forms::issue(
                    &req.form,
                    &req.data,
                    &number.to_string(),
                    issued_at,
                    Some(sealing),
                ) {
                    Ok(doc) => Ok(RenderedDocument::from(doc)),
                    Err(e) => {
                        let reason = e.to_string();
                        failure = Some(e);
                        Err(reason)
                    }
                }
            });
        match (result, failure) {
            (Ok(doc), _) => Ok(doc),
            (Err(_), Some(IssueError::Template(TemplateError::UnknownForm(form)))) => Err(
                Problem::new(StatusCode::NOT_FOUND, "UNKNOWN_FORM", "No such form", form),
            ),
            (Err(_), Some(e @ IssueError::Data { .. })) => Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_DATA",
                "The data does not fit the form",
                e.to_string(),
            )),
            (Err(RegistryError::BadForm(form)), None) => Err(Problem::new(
                StatusCode::NOT_FOUND,
                "UNKNOWN_FORM",
                "No such form",
                form,
            )),
            (Err(e), _) => Err(storage_failure(e)),
        }
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

/// Reading a document needs a portal or operator token: it holds personal data.
fn require_reader(state: &AppState, headers: &HeaderMap) -> Result<(), Problem> {
    auth::require_any(
        state.registry.as_ref(),
        headers,
        &[TokenRole::Portal, TokenRole::Operator],
    )
    .map(|_| ())
}

async fn load(state: AppState, id: String) -> Result<StoredDocument, Problem> {
    let id: i64 = id.parse().map_err(|_| Problem::not_found())?;
    blocking(move || {
        state
            .registry
            .document(DocumentId(id))
            .map_err(storage_failure)?
            .ok_or_else(Problem::not_found)
    })
    .await
}

pub(super) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    require_reader(&state, &headers)?;
    let doc = load(state, id).await?;
    let mut body = summary(&doc);
    body["data"] = serde_json::from_slice(&doc.canonical_data)
        .unwrap_or_else(|_| json!(String::from_utf8_lossy(&doc.canonical_data)));
    Ok(Json(body).into_response())
}

pub(super) async fn pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    require_reader(&state, &headers)?;
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

/// Public: whether a document with this number exists, for anyone holding the paper.
pub(super) async fn status(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<Response, Problem> {
    if number.len() > 64 {
        return Err(Problem::not_found());
    }
    let doc = blocking(move || {
        state
            .registry
            .document_by_number(&number)
            .map_err(storage_failure)?
            .ok_or_else(Problem::not_found)
    })
    .await?;
    Ok(Json(json!({
        "number": doc.number,
        "form": doc.form,
        "issuedAt": rfc3339(doc.issued_at),
        "status": "valid",
    }))
    .into_response())
}
