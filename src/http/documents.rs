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
use crate::issuance::LifecycleAction;
use crate::registry::{
    DocumentId, DocumentNumber, DocumentStanding, RegistryError, Render, RenderedDocument,
    StoredDocument, TokenRole,
};
use crate::seal::SealMode;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IssueRequest {
    /// A `reference.*` form id (design.md §5).
    form: String,
    /// The form's fields.
    data: serde_json::Value,
}

pub(super) fn storage_failure(e: RegistryError) -> Problem {
    tracing::error!(error = %e, "registry failure");
    Problem::internal()
}

pub(super) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

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

/// Renders documents for registry transactions, keeping the first form error so it can be answered precisely.
pub(super) struct Renderer<'s> {
    state: &'s AppState,
    pub failure: Option<IssueError>,
}

impl<'s> Renderer<'s> {
    pub fn new(state: &'s AppState) -> Self {
        Renderer {
            state,
            failure: None,
        }
    }

    /// Fills, renders and seals `form` with `data` as document `number`.
    pub fn render(
        &mut self,
        form: &str,
        data: &serde_json::Value,
        number: &DocumentNumber,
        issued_at: i64,
    ) -> Result<RenderedDocument, String> {
        let sealing = Sealing {
            signer: &self.state.signer,
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

    /// The problem for a registry failure, told precisely when the form refused the data.
    pub fn problem(self, e: RegistryError) -> Problem {
        match (e, self.failure) {
            (_, Some(IssueError::Template(TemplateError::UnknownForm(form))))
            | (RegistryError::BadForm(form), None) => {
                Problem::new(StatusCode::NOT_FOUND, "UNKNOWN_FORM", "No such form", form)
            }
            (_, Some(e @ IssueError::Data { .. })) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_DATA",
                "The data does not fit the form",
                e.to_string(),
            ),
            (RegistryError::NotFound(what), _) => {
                let mut p = Problem::not_found();
                p.detail = format!("{what} not found");
                p
            }
            (RegistryError::Transition(t), _) => Problem::new(
                StatusCode::CONFLICT,
                "STATE_CONFLICT",
                "Not allowed in the current state",
                t.to_string(),
            ),
            (RegistryError::NoLifecycle(form), _) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "NO_LIFECYCLE",
                "Only licences have a lifecycle",
                format!("{form} documents cannot be suspended, re-issued or duplicated"),
            ),
            (e, _) => storage_failure(e),
        }
    }
}

/// The UTC year documents issued now are numbered in.
pub(super) fn year_now(at: i64) -> Result<i32, Problem> {
    time::OffsetDateTime::from_unix_timestamp(at)
        .map(|t| t.year())
        .map_err(|_| Problem::internal())
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
        let mut renderer = Renderer::new(&state);
        let result = state.registry.issue(
            &req.form,
            year_now(issued_at)?,
            &caller.name,
            &mut |number| renderer.render(&req.form, &req.data, number, issued_at),
        );
        result.map_err(|e| renderer.problem(e))
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

pub(super) async fn load(state: AppState, id: String) -> Result<StoredDocument, Problem> {
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

/// Public: the standing of the document with this number (valid, suspended, terminated, replaced), for anyone
/// holding the paper.
pub(super) async fn status(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<Response, Problem> {
    if number.len() > 64 {
        return Err(Problem::not_found());
    }
    let standing = blocking(move || {
        state
            .registry
            .standing(&number)
            .map_err(storage_failure)?
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
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    body: Result<Json<LifecycleRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let caller = auth::require(state.registry.as_ref(), &headers, TokenRole::Operator)?;
    let action = LifecycleAction::parse(&action).ok_or_else(|| {
        let mut p = Problem::not_found();
        p.detail =
            "no such route: the actions are reissue, duplicate, suspend, resume, terminate".into();
        p
    })?;
    let req = json_body(body)?;
    if req.reason.chars().count() > 1000 {
        return Err(Problem::malformed(
            "reason: longer than 1000 characters".into(),
        ));
    }
    if action != LifecycleAction::Reissue && !req.fields.is_empty() {
        return Err(Problem::malformed(
            "fields: only a re-issue changes fields".into(),
        ));
    }
    let doc = load(state.clone(), id).await?;
    let (standing, made) = blocking(move || {
        let at = now();
        let old: serde_json::Value = serde_json::from_slice(&doc.canonical_data)
            .map_err(|e| storage_failure(RegistryError::Corrupt(e.to_string())))?;
        let data = match action {
            LifecycleAction::Reissue => Some(crate::issuance::reissue_data(&old, &req.fields)),
            LifecycleAction::Duplicate => Some(crate::issuance::duplicate_data(&old)),
            _ => None,
        }
        .transpose()
        .map_err(|e| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_DATA",
                "The data does not fit the form",
                e,
            )
        })?;
        let mut renderer = Renderer::new(&state);
        let mut render = |number: &DocumentNumber| match &data {
            Some(data) => renderer.render(&doc.form, data, number, at),
            None => Err("nothing to render".into()),
        };
        let result = state.registry.change_document(
            doc.id,
            &caller.name,
            action,
            req.reason.trim(),
            at,
            data.is_some().then_some(&mut render as &mut Render<'_>),
        );
        result.map_err(|e| renderer.problem(e))
    })
    .await?;
    tracing::info!(number = %standing.number, event = action.event(), "licence changed");
    let mut body = standing_json(&standing);
    if let Some(made) = &made {
        body["document"] = summary(made);
    }
    Ok(Json(body).into_response())
}
