//! Verification for anyone (no token), and the portal signing service (off unless configured).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::Deserialize;

use super::auth::Portal;
use super::extract::Body;
use super::{b64, now, AppState, Pool, Problem};
use crate::identity::{Bin, Iin};
use crate::pki::VerifyOptions;

/// The request's IIN/BIN and time, as options for the verifier.
fn options(
    iin: Option<&str>,
    bin: Option<&str>,
    at: Option<&str>,
) -> Result<VerifyOptions, Problem> {
    let at = match at {
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|e| Problem::malformed(format!("at: not an RFC 3339 time ({e})")))?
            .unix_timestamp(),
        None => now(),
    };
    let mut opts = VerifyOptions::at(at);
    opts.iin = iin
        .map(Iin::parse)
        .transpose()
        .map_err(|e| Problem::malformed(format!("iin: {e}")))?;
    opts.bin = bin
        .map(Bin::parse)
        .transpose()
        .map_err(|e| Problem::malformed(format!("bin: {e}")))?;
    Ok(opts)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CertificateRequest {
    /// DER, base64.
    certificate: String,
    iin: Option<String>,
    bin: Option<String>,
    /// RFC 3339; default now.
    at: Option<String>,
}

pub(super) async fn certificate(
    State(state): State<AppState>,
    Body(req): Body<CertificateRequest>,
) -> Result<Response, Problem> {
    let der = b64("certificate", &req.certificate)?;
    let mut opts = options(req.iin.as_deref(), req.bin.as_deref(), req.at.as_deref())?;
    state
        .revocation
        .apply(&mut opts, crate::service::CheckFor::Verify);
    let gates = state.gates.clone();
    let report = gates
        .run(Pool::Public, move |cancel| {
            let cert = state
                .store
                .parse_certificate(&der)
                .map_err(|e| Problem::malformed(format!("certificate: {e}")))?;
            opts.cancel = cancel.clone();
            Ok(state.store.verify_certificate(&cert, &[], &opts))
        })
        .await?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CmsRequest {
    /// CMS SignedData DER, base64.
    cms: String,
    /// Detached content, base64.
    data: Option<String>,
    iin: Option<String>,
    bin: Option<String>,
}

pub(super) async fn cms(
    State(state): State<AppState>,
    Body(req): Body<CmsRequest>,
) -> Result<Response, Problem> {
    let cms = b64("cms", &req.cms)?;
    let data = req.data.as_deref().map(|d| b64("data", d)).transpose()?;
    let mut opts = options(req.iin.as_deref(), req.bin.as_deref(), None)?;
    state
        .revocation
        .apply(&mut opts, crate::service::CheckFor::Verify);
    let gates = state.gates.clone();
    let report = gates
        .run(Pool::Public, move |cancel| {
            opts.cancel = cancel.clone();
            crate::cms::verify_cms(&state.store, &cms, data.as_deref(), &[], &opts)
                .map_err(|e| Problem::malformed(format!("cms: {e}")))
        })
        .await?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SealRequest {
    /// The barcode texts, one per symbol.
    barcode: Vec<String>,
}

pub(super) async fn seal(
    State(state): State<AppState>,
    Body(req): Body<SealRequest>,
) -> Result<Response, Problem> {
    let gates = state.gates.clone();
    let body = gates
        .run(Pool::Public, move |cancel| {
            let texts: Vec<&str> = req.barcode.iter().map(String::as_str).collect();
            let (report, standing) = crate::service::workflow::verify_seal_online(
                state.context_with(cancel),
                &texts,
                now(),
            )?;
            with_standing(report, standing.as_ref())
        })
        .await?;
    Ok(Json(body).into_response())
}

/// A seal or document report with the registry's standing of the document beside it (`registry`), when this
/// registry issued it.
fn with_standing<R: serde::Serialize>(
    report: R,
    standing: Option<&crate::registry::DocumentStanding>,
) -> Result<super::views::VerifiedView<R>, Problem> {
    Ok(super::views::VerifiedView {
        report,
        registry: standing.map(super::views::StandingView::of),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentRequest {
    /// The PDF, base64.
    pdf: String,
}

/// The PDF as the body (`application/pdf`) or `{"pdf": base64}`.
pub(super) async fn document(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(Problem::from_bytes)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let pdf = if content_type.starts_with("application/pdf") {
        body.to_vec()
    } else if content_type.starts_with("application/json") {
        let req: DocumentRequest =
            serde_json::from_slice(&body).map_err(|e| Problem::malformed(format!("body: {e}")))?;
        b64("pdf", &req.pdf)?
    } else {
        return Err(Problem::unsupported_media_type(
            "send the PDF as application/pdf or {\"pdf\": base64} as application/json",
        ));
    };
    drop(body);
    let gates = state.gates.clone();
    let body = gates
        .run(Pool::Public, move |cancel| {
            let (report, standing) = crate::service::workflow::verify_document_online(
                state.context_with(cancel),
                &pdf,
                now(),
            )?;
            with_standing(report, standing.as_ref())
        })
        .await?;
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignRequest {
    /// The content to sign, base64.
    data: String,
    #[serde(default)]
    detached: bool,
}

/// The portal signing service: off unless configured with a key of its own (never the provider's authorised
/// person's — that would let any portal token mint "provider-signed" data). Every signature says in a signed
/// contentHint that the service made it and for whom, and is recorded in the audit log.
pub(super) async fn sign_cms(
    State(state): State<AppState>,
    Portal(caller): Portal,
    Body(req): Body<SignRequest>,
) -> Result<Response, Problem> {
    let Some(signer) = state.portal_signer.clone() else {
        return Err(Problem::not_configured(
            "portal signing is off: configure [portal_signer] with a key of its own (README, Configuration)",
        ));
    };
    let data = b64("data", &req.data)?;
    let gates = state.gates.clone();
    let cms = gates
        .run(Pool::Private, move |_| {
            let at = now();
            let options = crate::cms::SignOptions {
                detached: req.detached,
                signing_time: Some(crate::clock::UnixTime::from_secs(at)),
                content_hint: Some(format!(
                    "Signed by the Qoltanba portal signing service for {}; not a provider's document",
                    caller.name
                )),
            };
            let cms = signer.sign_with(&data, &options).map_err(|e| {
                tracing::error!(error = %e, "signing failed");
                Problem::internal()
            })?;
            let digest = crate::encoding::hex(&crate::encoding::sha256(&data));
            state
                .registry
                .record(crate::clock::UnixTime::from_secs(at), &caller.name, "cms.signed", &format!("sha256:{digest}"))
                .map_err(|e| {
                    tracing::error!(error = %e, "audit failed");
                    Problem::internal()
                })?;
            Ok(cms)
        })
        .await?;
    Ok(Json(super::views::SignedCms {
        cms: base64::engine::general_purpose::STANDARD.encode(cms),
    })
    .into_response())
}
