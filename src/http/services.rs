//! `GET /v1/services` and `GET /v1/services/{id}`: the service catalogue as portals read it — who may apply, the
//! fee, the states, the steps from each with who takes them, their terms and documents, the refusal reasons. Public:
//! it says what the regulations say, nothing about anyone.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::Problem;
use crate::issuance::catalogue::{catalogue, Binding, ServiceSpec, Term};

fn term(t: Term) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// One service as JSON.
pub(crate) fn view(s: &ServiceSpec) -> Value {
    let states: Vec<Value> = s
        .states
        .iter()
        .map(|(name, st)| {
            let steps: Vec<Value> = st
                .actions
                .iter()
                .map(|(step, a)| {
                    let takes: Vec<Value> = a
                        .document
                        .as_ref()
                        .map(|d| {
                            d.decision_fields()
                                .into_iter()
                                .map(|(field, required)| json!({"field": field, "required": required}))
                                .collect()
                        })
                        .unwrap_or_default();
                    let mut v = json!({
                        "step": step,
                        "by": a.by,
                        "to": a.to,
                        "description": a.description,
                    });
                    if a.payment {
                        v["payment"] = json!(true);
                    }
                    if let Some(t) = a.term {
                        v["term"] = term(t);
                    }
                    if let Some(r) = &a.refuses {
                        v["refuses"] = json!(r);
                        v["document"] = json!(s.refusal.form);
                    }
                    if let Some(d) = &a.document {
                        v["document"] = json!(d.form);
                    }
                    if !takes.is_empty() {
                        v["takes"] = json!(takes);
                    }
                    v
                })
                .collect();
            json!({"state": name, "description": st.description, "final": st.is_final(), "steps": steps})
        })
        .collect();
    let applicant_fields: std::collections::BTreeSet<String> = s
        .states
        .values()
        .flat_map(|st| st.actions.values())
        .filter_map(|a| a.document.as_ref())
        .flat_map(|d| d.data.values())
        .filter_map(|b| match b {
            Binding::From(crate::issuance::catalogue::Source::Field(n))
            | Binding::Or(crate::issuance::catalogue::Source::Field(n), _)
            | Binding::Map(crate::issuance::catalogue::Source::Field(n), _) => Some(n.clone()),
            _ => None,
        })
        .collect();
    let mut v = json!({
        "id": s.id,
        "name": s.name,
        "source": s.source,
        "applicants": s.applicants,
        "applicationFields": applicant_fields,
        "start": s.start,
        "states": states,
        "refusals": s.refusals,
        "sealMode": s.seal_mode,
    });
    if !s.signer_roles.is_empty() {
        v["signerRoles"] = json!(s.signer_roles.iter().map(|r| r.code()).collect::<Vec<_>>());
    }
    if let Some(fee) = &s.fee {
        v["fee"] = json!(fee);
    }
    if let Some(t) = s.start_term {
        v["startTerm"] = term(t);
    }
    v
}

pub(super) async fn list() -> Result<Response, Problem> {
    let c = catalogue().map_err(|e| {
        tracing::error!(error = %e, "the service catalogue");
        Problem::internal()
    })?;
    let services: Vec<Value> = c.services().map(view).collect();
    Ok(Json(json!({ "services": services })).into_response())
}

pub(super) async fn get(Path(id): Path<String>) -> Result<Response, Problem> {
    match crate::issuance::catalogue::service(&id) {
        Some(s) => Ok(Json(view(s)).into_response()),
        None => {
            let mut p = Problem::not_found();
            p.detail = format!("no service {id:?}");
            Err(p)
        }
    }
}
