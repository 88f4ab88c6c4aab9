//! The HTTP layer (design.md §2 `src/http`): a thin axum shell over the core's verifiers. Requests are JSON with
//! base64 for binary data, close to NCANode's names so portals can switch; answers are the verification reports
//! of design.md §3; bad input is an RFC 9457 problem document with a stable code.
//!
//! Verification is CPU-bound, so it runs on tokio's blocking pool, keeping the accept loop responsive.

mod applications;
pub mod auth;
mod documents;
mod openapi;
mod page;
mod problem;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;

use crate::cms::CmsSigner;
use crate::identity::{Bin, Iin};
use crate::issuance::{Provider, WorkingCalendar};
use crate::pki::{TrustStore, VerifyOptions};
use crate::registry::{Registry, TokenRole};
pub use problem::Problem;

/// Largest request body accepted: a PDF of [`crate::seal::MAX_PDF`] would not fit in JSON anyway, and nothing a
/// portal sends for verification comes near this.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// What every handler shares: loaded once at start.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<TrustStore>,
    pub registry: Arc<dyn Registry>,
    /// The provider's authorised person's key and certificate.
    pub signer: Arc<CmsSigner>,
    /// Printed on licences and refusals.
    pub provider: Arc<Provider>,
    /// Counts due dates.
    pub calendar: Arc<WorkingCalendar>,
}

impl AppState {
    /// The workflow's view of the state.
    pub fn context(&self) -> crate::workflow::Context<'_> {
        crate::workflow::Context {
            store: &self.store,
            registry: self.registry.as_ref(),
            signer: &self.signer,
            provider: &self.provider,
            calendar: &self.calendar,
        }
    }

    /// A state whose provider is described by the signer's certificate (organisation, name), issuing in Astana,
    /// with the statutory calendar.
    pub fn new(store: TrustStore, registry: Arc<dyn Registry>, signer: CmsSigner) -> Self {
        let provider = Provider::from_signer(&signer);
        AppState {
            store: Arc::new(store),
            registry,
            signer: Arc::new(signer),
            provider: Arc::new(provider),
            calendar: Arc::new(WorkingCalendar::kazakhstan()),
        }
    }
}

/// Limits on slow or idle clients.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// A client must send a request's whole header within this time, or the connection is closed (slowloris).
    pub header_read_timeout: std::time::Duration,
    /// A request must be read and answered within this time, or it gets `REQUEST_TIMEOUT` (408): bounds slow
    /// uploads. Longer than [`REQUEST_TIMEOUT`], which bounds the work itself.
    pub request_deadline: std::time::Duration,
    /// After a shutdown signal, how long requests in flight may take to finish.
    pub shutdown_grace: std::time::Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: std::time::Duration::from_secs(10),
            request_deadline: std::time::Duration::from_secs(60),
            shutdown_grace: std::time::Duration::from_secs(30),
        }
    }
}

/// Serves `router(state)` on `listener` until SIGINT or SIGTERM, then lets requests in flight finish.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(listener, state, ServeOptions::default(), shutdown_signal()).await
}

/// Serves HTTP/1.1 with `options` until `shutdown` completes. Each connection is served by hyper directly
/// (axum's own `serve` has no header timeout).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let deadline = options.request_deadline;
    let app = router(state).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(deadline, next.run(request)).await {
                Ok(response) => response,
                Err(_) => Problem::request_timeout().into_response(),
            }
        },
    ));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Running out of file descriptors must not end the service: wait and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(options.header_read_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the grace period were cut");
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing requests in flight");
}

/// The service's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/verify", get(page::html))
        .route("/verify/app.js", get(page::script))
        .route("/verify/jsqr.js", get(page::jsqr))
        .route("/verify/style.css", get(page::style))
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/v1/verify/certificate", post(verify_certificate))
        .route("/v1/verify/cms", post(verify_cms))
        .route("/v1/verify/seal", post(verify_seal))
        .route("/v1/verify/document", post(verify_document))
        .route("/v1/sign/cms", post(sign_cms))
        .route("/v1/documents", post(documents::issue))
        .route("/v1/documents/{id}", get(documents::get))
        .route("/v1/documents/{id}/pdf", get(documents::pdf))
        .route("/v1/documents/{id}/{action}", post(documents::lifecycle))
        .route("/v1/applications", post(applications::submit))
        .route("/v1/applications/{id}", get(applications::get))
        .route("/v1/applications/{id}/payment", post(applications::payment))
        .route(
            "/v1/applications/{id}/decision",
            post(applications::decision),
        )
        .route(
            "/v1/documents/by-number/{number}/status",
            get(documents::status),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn not_found() -> Problem {
    let mut p = Problem::not_found();
    p.detail = "no such route".into();
    p
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn b64(field: &str, value: &str) -> Result<Vec<u8>, Problem> {
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|e| Problem::malformed(format!("{field}: not base64 ({e})")))
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Problem> {
    body.map(|Json(v)| v).map_err(Problem::from_json)
}

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

/// How long a request's work may take before the caller gets `TIMEOUT` (503). The work itself is not
/// cancelled (a registry transaction runs to its end or rolls back), so nothing is left half-written.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs CPU-bound work off the async workers, within [`REQUEST_TIMEOUT`].
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    blocking_within(REQUEST_TIMEOUT, job).await
}

async fn blocking_within<T: Send + 'static>(
    limit: std::time::Duration,
    job: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    match tokio::time::timeout(limit, tokio::task::spawn_blocking(job)).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(Problem::internal()),
        Err(_) => Err(Problem::timeout()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slow_work_times_out_with_a_problem() {
        let slow = blocking_within(std::time::Duration::from_millis(20), || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            Ok(())
        })
        .await;
        assert_eq!(slow.map_err(|p| p.code), Err("TIMEOUT"));
        let quick = blocking_within(std::time::Duration::from_secs(5), || Ok(7)).await;
        assert_eq!(quick.map_err(|p| p.code), Ok(7));
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CertificateRequest {
    /// DER, base64.
    certificate: String,
    iin: Option<String>,
    bin: Option<String>,
    /// RFC 3339; default now.
    at: Option<String>,
}

async fn verify_certificate(
    State(state): State<AppState>,
    body: Result<Json<CertificateRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let req = json_body(body)?;
    let der = b64("certificate", &req.certificate)?;
    let opts = options(req.iin.as_deref(), req.bin.as_deref(), req.at.as_deref())?;
    let report = blocking(move || {
        let cert = state
            .store
            .parse_certificate(&der)
            .map_err(|e| Problem::malformed(format!("certificate: {e}")))?;
        Ok(state.store.verify_certificate(&cert, &[], &opts))
    })
    .await?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CmsRequest {
    /// CMS SignedData DER, base64.
    cms: String,
    /// Detached content, base64.
    data: Option<String>,
    iin: Option<String>,
    bin: Option<String>,
}

async fn verify_cms(
    State(state): State<AppState>,
    body: Result<Json<CmsRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let req = json_body(body)?;
    let cms = b64("cms", &req.cms)?;
    let data = req.data.as_deref().map(|d| b64("data", d)).transpose()?;
    let opts = options(req.iin.as_deref(), req.bin.as_deref(), None)?;
    let report = blocking(move || {
        crate::cms::verify_cms(&state.store, &cms, data.as_deref(), &[], &opts)
            .map_err(|e| Problem::malformed(format!("cms: {e}")))
    })
    .await?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SealRequest {
    /// The barcode texts, one per symbol.
    barcode: Vec<String>,
}

async fn verify_seal(
    State(state): State<AppState>,
    body: Result<Json<SealRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let req = json_body(body)?;
    let body = blocking(move || {
        let texts: Vec<&str> = req.barcode.iter().map(String::as_str).collect();
        let mut report = crate::seal::verify_seal(&state.store, &texts, &VerifyOptions::at(now()))
            .map_err(|e| Problem::malformed(format!("barcode: {e}")))?;
        let standing = crate::workflow::check_standing(state.context(), &mut report)?;
        with_standing(&report, standing.as_ref())
    })
    .await?;
    Ok(Json(body).into_response())
}

/// A seal or document report with the registry's standing of the document beside it (`registry`), when this
/// registry issued it.
fn with_standing(
    report: &impl serde::Serialize,
    standing: Option<&crate::registry::DocumentStanding>,
) -> Result<serde_json::Value, Problem> {
    let mut body = serde_json::to_value(report).map_err(|_| Problem::internal())?;
    // The form's name in Kazakh and Russian beside its id, for people reading the report.
    if let Some(form) = body["content"]["form"]
        .as_str()
        .and_then(|id| crate::forms::form(id).ok())
    {
        body["content"]["formName"] = serde_json::json!({"kk": form.name.kk, "ru": form.name.ru});
    }
    if let Some(st) = standing {
        body["registry"] = documents::standing_json(st);
    }
    Ok(body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentRequest {
    /// The PDF, base64.
    pdf: String,
}

/// The PDF as the body (`application/pdf`) or `{"pdf": base64}`.
async fn verify_document(
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
    let body = blocking(move || {
        let mut report =
            crate::seal::verify_document(&state.store, &pdf, &VerifyOptions::at(now()))
                .map_err(|e| Problem::malformed(format!("pdf: {e}")))?;
        let standing = crate::workflow::check_standing(state.context(), &mut report.seal)?;
        with_standing(&report, standing.as_ref())
    })
    .await?;
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    /// The content to sign, base64.
    data: String,
    #[serde(default)]
    detached: bool,
}

/// Signs with the provider's key: a portal token is required, and every signature is recorded in the audit log
/// under the token's name.
async fn sign_cms(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<SignRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let caller = auth::require(state.registry.as_ref(), &headers, TokenRole::Portal)?;
    let req = json_body(body)?;
    let data = b64("data", &req.data)?;
    let cms = blocking(move || {
        let cms = state.signer.sign(&data, req.detached, now()).map_err(|e| {
            tracing::error!(error = %e, "signing failed");
            Problem::internal()
        })?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &data);
        let subject = crate::pki::name::hex(digest.as_ref());
        state
            .registry
            .record(&caller.name, "cms.signed", &format!("sha256:{subject}"))
            .map_err(|e| {
                tracing::error!(error = %e, "audit failed");
                Problem::internal()
            })?;
        Ok(cms)
    })
    .await?;
    Ok(Json(serde_json::json!({
        "cms": base64::engine::general_purpose::STANDARD.encode(cms)
    }))
    .into_response())
}
