//! NCANode v3's API on Qoltanba's verifiers (issue 18): the paths, request and response shapes of
//! ncanode-kz/NCANode (`../shared/notes/ncanode-v3-api.md`), so a portal switches by changing a URL — under
//! `/ncanode` on the main listener. `valid` is Qoltanba's verdict (a real path to a trust anchor, CRL and OCSP
//! answers checked, what an XML signature covers); every answer also carries our full report in `report`, which
//! NCANode's clients ignore. Keys never travel: the signing endpoints refuse a caller's PKCS#12.

mod shape;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{now, AppState, Pool};
use crate::pki::ocsp::RevocationSource;
use crate::pki::{Certificate, VerifyOptions};
use shape::CertificateInfo;

/// NCANode's error answer: `{status, message}` with the same HTTP status.
struct NcaError(StatusCode, String);

impl IntoResponse for NcaError {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"status": self.0.as_u16(), "message": self.1})),
        )
            .into_response()
    }
}

fn bad(message: impl Into<String>) -> NcaError {
    NcaError(StatusCode::BAD_REQUEST, message.into())
}

impl From<super::Problem> for NcaError {
    fn from(p: super::Problem) -> Self {
        NcaError(
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            p.detail,
        )
    }
}

/// The body as JSON, or NCANode's 400 (Spring's Jackson ignores unknown fields; so do we).
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, NcaError> {
    debug_assert!(super::limits::in_job(), "a body read on an I/O thread");
    serde_json::from_slice(bytes).map_err(|e| bad(format!("Invalid request: {e}")))
}

fn b64(field: &str, value: &str) -> Result<Vec<u8>, NcaError> {
    debug_assert!(super::limits::in_job(), "{field} decoded on an I/O thread");
    let clean: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|_| bad(format!("{field}: invalid base64")))
}

/// `revocationCheck`: `[]` is this node's configured policy (never "no check" by surprise), `["OCSP"]` and
/// `["CRL"]` choose the source, both ask OCSP first.
fn options(state: &AppState, checks: &[String]) -> Result<VerifyOptions, NcaError> {
    let mut opts = VerifyOptions::at(now());
    state
        .revocation
        .apply(&mut opts, crate::service::CheckFor::Verify);
    let ocsp = checks.iter().any(|c| c.eq_ignore_ascii_case("OCSP"));
    let crl = checks.iter().any(|c| c.eq_ignore_ascii_case("CRL"));
    if let Some(c) = checks
        .iter()
        .find(|c| !c.eq_ignore_ascii_case("OCSP") && !c.eq_ignore_ascii_case("CRL"))
    {
        return Err(bad(format!(
            "revocationCheck: unknown value {c:?} (OCSP, CRL)"
        )));
    }
    opts.source = match (ocsp, crl) {
        (false, false) => opts.source,
        (true, false) => RevocationSource::Ocsp,
        (false, true) => RevocationSource::Crl,
        (true, true) => RevocationSource::OcspThenCrl,
    };
    Ok(opts)
}

fn ok(mut body: Value) -> Response {
    body["status"] = json!(200);
    body["message"] = json!("OK");
    Json(body).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CmsVerify {
    cms: String,
    data: Option<String>,
    #[serde(default)]
    revocation_check: Vec<String>,
}

/// The most requests one NCANode-style batch (a JSON array of bodies) holds.
const MAX_BATCH: usize = 1000;

/// NCANode's error body, as a value (an element of a batch's answers).
fn error_value(e: NcaError) -> Value {
    json!({"status": e.0.as_u16(), "message": e.1})
}

/// What [`one_or_many`] answers: one request's answer, or a batch's answers in order.
enum Answered {
    One(Value),
    Many(Vec<Value>),
}

/// One request's body, or an array of them — a batch NCANode's users asked for (its issue #212): each element
/// answered as it would be alone, in order, in parallel on every core within one job's deadline; a malformed
/// element fails alone (its NCANode error body in its place). The body is read and the answer written in the job,
/// not on the I/O thread: the body carries the whole signature, document or PDF in base64, megabytes of JSON.
async fn one_or_many<R: serde::de::DeserializeOwned + Send + 'static>(
    state: AppState,
    bytes: axum::body::Bytes,
    answer: fn(&AppState, R, &crate::cancel::Cancel) -> Result<Value, NcaError>,
) -> Result<Response, NcaError> {
    let gates = state.gates.clone();
    gates
        .run(Pool::Public, move |cancel| {
            Ok(match body::<Value>(&bytes) {
                Err(e) => Err(e),
                Ok(Value::Array(items)) if items.is_empty() || items.len() > MAX_BATCH => {
                    Err(bad(format!("a batch holds 1–{MAX_BATCH} requests")))
                }
                Ok(Value::Array(items)) => Ok(Answered::Many(super::limits::parallel_map(
                    items,
                    cancel,
                    |item| match serde_json::from_value::<R>(item) {
                        Ok(req) => answer(&state, req, cancel).unwrap_or_else(error_value),
                        Err(e) => error_value(bad(format!("Invalid request: {e}"))),
                    },
                    || {
                        error_value(NcaError(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "the batch ran past its deadline".into(),
                        ))
                    },
                ))),
                Ok(single) => serde_json::from_value::<R>(single)
                    .map_err(|e| bad(format!("Invalid request: {e}")))
                    .and_then(|req| answer(&state, req, cancel))
                    .map(Answered::One),
            }
            .map(Answered::into_response))
        })
        .await
        .map_err(NcaError::from)?
}

impl IntoResponse for Answered {
    fn into_response(self) -> Response {
        match self {
            Answered::Many(answers) => Json(answers).into_response(),
            Answered::One(answer) => {
                let status = answer["status"]
                    .as_u64()
                    .and_then(|s| StatusCode::from_u16(s as u16).ok())
                    .unwrap_or(StatusCode::OK);
                (status, Json(answer)).into_response()
            }
        }
    }
}

fn with_status(mut body: Value) -> Value {
    if body.get("status").is_none() {
        body["status"] = json!(200);
        body["message"] = json!("OK");
    }
    body
}

async fn cms_verify(
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, NcaError> {
    one_or_many(state, bytes, answer_cms).await
}

fn answer_cms(
    state: &AppState,
    req: CmsVerify,
    cancel: &crate::cancel::Cancel,
) -> Result<Value, NcaError> {
    let cms = b64("cms", &req.cms)?;
    let data = req.data.as_deref().map(|d| b64("data", d)).transpose()?;
    let mut opts = options(state, &req.revocation_check)?;
    opts.cancel = cancel.clone();
    // NCANode uses `data` only when the CMS has no content of its own.
    let attached = crate::cms::attached_content(&cms).ok().flatten();
    let detached = if attached.is_some() {
        None
    } else {
        data.as_deref()
    };
    let report = crate::cms::verify_cms(&state.store, &cms, detached, &[], &opts)
        .map_err(|e| bad(format!("cms: {e}")))?;
    let certs = crate::cms::embedded_certificates(&cms);
    let timestamps = crate::cms::signature_timestamps(&cms);
    let signers: Vec<Value> = report
        .signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let entry = s.report.chain.first();
            let cert = entry.and_then(|e| {
                certs
                    .iter()
                    .find(|c| c.fingerprint_hex() == e.certificate.sha256)
            });
            let certificates: Vec<CertificateInfo> = cert
                .map(|c| CertificateInfo::of(c, s.report.valid, entry))
                .into_iter()
                .collect();
            // `TspInfo` of the signer's signature timestamp: what its `TSTInfo` says (NCANode does not verify it
            // either; our own report carries the signer's verdict).
            let tsp = timestamps
                .get(i)
                .and_then(Option::as_ref)
                .and_then(|token| crate::cms::read_timestamp(token).ok())
                .map(|info| shape::tsp_info(&info));
            json!({"certificates": certificates, "tsp": tsp})
        })
        .collect();
    Ok(with_status(
        json!({"valid": report.report.valid, "signers": signers, "report": report}),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct X509Info {
    certs: Vec<String>,
    #[serde(default)]
    revocation_check: Vec<String>,
}

async fn x509_info(
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, NcaError> {
    one_or_many(state, bytes, answer_x509).await
}

fn answer_x509(
    state: &AppState,
    req: X509Info,
    cancel: &crate::cancel::Cancel,
) -> Result<Value, NcaError> {
    if req.certs.len() > 100 {
        return Err(bad("certs: at most 100"));
    }
    let mut opts = options(state, &req.revocation_check)?;
    opts.cancel = cancel.clone();
    let mut message = "OK".to_string();
    let mut valid = !req.certs.is_empty();
    let mut signers = Vec::new();
    let mut reports = Vec::new();
    for (i, text) in req.certs.iter().enumerate() {
        match certificate(text) {
            Some(cert) => {
                let report = state.store.verify_certificate(&cert, &[], &opts);
                valid &= report.valid;
                signers.push(json!(CertificateInfo::of(
                    &cert,
                    report.valid,
                    report.chain.first()
                )));
                reports.push(json!(report));
            }
            None => {
                valid = false;
                message = format!("[{i}]: Invalid certificate given.");
                signers.push(Value::Null);
                reports.push(Value::Null);
            }
        }
    }
    Ok(
        json!({"status": 200, "message": message, "valid": valid, "signers": signers, "report": reports}),
    )
}

/// A certificate as NCANode's clients send it: base64 of DER, or base64 of PEM text (its issue #201).
fn certificate(text: &str) -> Option<Certificate> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .ok()?;
    if let Ok(c) = Certificate::from_der(&bytes) {
        return Some(c);
    }
    let pem = std::str::from_utf8(&bytes).ok()?;
    crate::pki::load::parse_certificates(pem.as_bytes(), std::path::Path::new("certs"))
        .ok()?
        .into_iter()
        .next()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct XmlVerify {
    xml: String,
    #[serde(default)]
    revocation_check: Vec<String>,
}

async fn xml_verify(
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, NcaError> {
    one_or_many(state, bytes, |s, r, c| {
        answer_xml(s, r, c, crate::xml::XmlProfile::Enveloped)
    })
    .await
}

async fn wsse_verify(
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, NcaError> {
    one_or_many(state, bytes, |s, r, c| {
        answer_xml(s, r, c, crate::xml::XmlProfile::Wsse)
    })
    .await
}

/// `/xml/verify` and `/wsse/verify`: `VerificationResponse`, one `CertificateInfo` per signature.
fn answer_xml(
    state: &AppState,
    req: XmlVerify,
    cancel: &crate::cancel::Cancel,
    profile: crate::xml::XmlProfile,
) -> Result<Value, NcaError> {
    let mut opts = options(state, &req.revocation_check)?;
    opts.cancel = cancel.clone();
    let xml = req.xml.into_bytes();
    let report = crate::xml::verify_xml(&state.store, &xml, profile, &opts)
        .map_err(|e| bad(format!("xml: {e}")))?;
    let certs = crate::xml::embedded_certificates(&xml);
    let signers: Vec<Value> = report
        .signatures
        .iter()
        .map(|s| {
            let entry = s.report.chain.first();
            entry
                .and_then(|e| {
                    certs
                        .iter()
                        .find(|c| c.fingerprint_hex() == e.certificate.sha256)
                })
                .map_or(Value::Null, |c| {
                    json!(CertificateInfo::of(c, s.report.valid, entry))
                })
        })
        .collect();
    Ok(with_status(
        json!({"valid": report.report.valid, "signers": signers, "report": report}),
    ))
}

#[derive(Deserialize)]
struct CmsExtract {
    cms: String,
}

/// `/cms/extract`: the content of an attached CMS, base64 (not verified: NCANode's does not verify either). Read,
/// decoded and encoded again in a job: the CMS may be megabytes.
async fn cms_extract(
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, NcaError> {
    let gates = state.gates.clone();
    gates
        .run(Pool::Public, move |_| {
            Ok(extracted(&bytes).map(|data| ok(json!({ "data": data }))))
        })
        .await
        .map_err(NcaError::from)?
}

/// The content of the attached CMS of a `/cms/extract` body, base64.
fn extracted(bytes: &[u8]) -> Result<String, NcaError> {
    let req: CmsExtract = body(bytes)?;
    let cms = b64("cms", &req.cms)?;
    let data = crate::cms::attached_content(&cms)
        .map_err(|e| bad(format!("cms: {e}")))?
        .ok_or_else(|| bad("cms: the signature is detached: it holds no data"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(data))
}

const KEYS_NEVER_TRAVEL: &str = "Qoltanba does not take private keys over the network: a PKCS#12 and its password sent \
     in a request are exposed to every proxy and log on the way. Sign where the key lives (NCALayer, the Kalkan SDK), \
     and send the signature to /ncanode/cms/verify or /ncanode/xml/verify; documents a provider issues are signed \
     with its own configured key (POST /v1/documents)";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CmsSign {
    data: String,
    #[serde(default)]
    detached: bool,
}

#[derive(Deserialize)]
struct XmlSign {
    xml: String,
}

/// What signs for NCANode's signing endpoints when `[ncanode] sign` is on: the portal signing key, never the
/// provider's; the keys a request carries (`signers`) are never read.
fn signer(state: &AppState) -> Result<std::sync::Arc<crate::cms::CmsSigner>, NcaError> {
    match (&state.portal_signer, state.ncanode_signs) {
        (Some(s), true) => Ok(s.clone()),
        _ => Err(bad(KEYS_NEVER_TRAVEL)),
    }
}

/// Who signed, as the answer says it: the configured key's holder, not the caller's key.
fn signed_with(signer: &crate::cms::CmsSigner) -> Value {
    let cert = signer.certificate();
    json!({
        "note": "signed with this node's portal signing key, not with the keys in the request (never read)",
        "subject": cert.subject().to_string(),
        "serialNumber": cert.serial_hex(),
    })
}

/// `/cms/sign`: NCANode takes the caller's PKCS#12 and its password in every request; refused (keys never
/// travel), unless `[ncanode] sign` has this node sign `data` with its portal signing key and say so.
async fn cms_sign(
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, NcaError> {
    let signer = signer(&state)?;
    let gates = state.gates.clone();
    gates
        .run(Pool::Public, move |_| {
            let (req, data) = match body::<CmsSign>(&bytes)
                .and_then(|req| b64("data", &req.data).map(|data| (req, data)))
            {
                Ok(read) => read,
                Err(e) => return Ok(e.into_response()),
            };
            let at = now();
            let cms = signer.sign(&data, req.detached, at).map_err(|e| {
                tracing::error!(error = %e, "signing failed");
                super::Problem::internal()
            })?;
            let digest = crate::encoding::hex(&crate::encoding::sha256(&data));
            state
                .registry
                .record(
                    crate::clock::UnixTime::from_secs(at),
                    "ncanode",
                    "cms.signed",
                    &format!("sha256:{digest}"),
                )
                .map_err(|_| super::Problem::internal())?;
            Ok(ok(json!({
                "cms": base64::engine::general_purpose::STANDARD.encode(cms),
                "signedWith": signed_with(&signer),
            })))
        })
        .await
        .map_err(NcaError::from)
}

async fn xml_sign(state: State<AppState>, bytes: axum::body::Bytes) -> Result<Response, NcaError> {
    sign_xml_as(state, bytes, false).await
}

async fn wsse_sign(state: State<AppState>, bytes: axum::body::Bytes) -> Result<Response, NcaError> {
    sign_xml_as(state, bytes, true).await
}

/// `/xml/sign`, `/wsse/sign`: as `/cms/sign`, the XML profiles of `/v1/sign/xml` and `/v1/sign/wsse`.
async fn sign_xml_as(
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
    wsse: bool,
) -> Result<Response, NcaError> {
    let signer = signer(&state)?;
    let gates = state.gates.clone();
    gates
        .run(Pool::Public, move |_| {
            let req: XmlSign = match body(&bytes) {
                Ok(req) => req,
                Err(e) => return Ok(e.into_response()),
            };
            let at = now();
            let signed = if wsse {
                crate::xml::sign_wsse(req.xml.as_bytes(), &signer)
            } else {
                crate::xml::sign_xml(req.xml.as_bytes(), &signer)
            }
            .map_err(|e| super::Problem::malformed(format!("xml: {e}")))?;
            let digest = crate::encoding::hex(&crate::encoding::sha256(req.xml.as_bytes()));
            state
                .registry
                .record(
                    crate::clock::UnixTime::from_secs(at),
                    "ncanode",
                    if wsse { "wsse.signed" } else { "xml.signed" },
                    &format!("sha256:{digest}"),
                )
                .map_err(|_| super::Problem::internal())?;
            let xml = String::from_utf8(signed).map_err(|_| super::Problem::internal())?;
            Ok(ok(json!({"xml": xml, "signedWith": signed_with(&signer)})))
        })
        .await
        .map_err(NcaError::from)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PdfVerify {
    pdf: String,
    #[serde(default)]
    revocation_check: Vec<String>,
}

async fn pdf_verify(
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, NcaError> {
    one_or_many(state, bytes, answer_pdf).await
}

/// `/pdf/verify`: NCANode's `PdfVerificationResponse`, one `PdfSignerInfo` per signature, with `valid` our
/// verdict — which, unlike NCANode's, fails a file with bytes appended after its last signature — and our report
/// beside it. A PDF without signatures is NCANode's 404.
fn answer_pdf(
    state: &AppState,
    req: PdfVerify,
    cancel: &crate::cancel::Cancel,
) -> Result<Value, NcaError> {
    let pdf = b64("pdf", &req.pdf)?;
    let mut opts = options(state, &req.revocation_check)?;
    opts.cancel = cancel.clone();
    let report = match crate::document::verify_pdf(&state.store, &pdf, &opts) {
        Ok(r) => r,
        Err(crate::seal::SealError::Structure(m))
            if m == crate::document::signatures::NO_SIGNATURES =>
        {
            return Err(NcaError(
                StatusCode::NOT_FOUND,
                "No signatures found in the document".into(),
            ))
        }
        Err(crate::seal::SealError::Cancelled) => {
            return Err(NcaError::from(super::Problem::timeout()))
        }
        Err(e) => return Err(bad(format!("pdf: {e}"))),
    };
    let signers: Vec<Value> = report
        .signatures
        .iter()
        .map(|s| {
            let entry = s.report.chain.first();
            let certificate = entry.and_then(|e| {
                crate::cms::embedded_certificates(&s.cms)
                    .into_iter()
                    .find(|c| c.fingerprint_hex() == e.certificate.sha256)
                    .map(|c| CertificateInfo::of(&c, s.report.valid, entry))
            });
            let sign_date = s
                .claimed_signing_time
                .as_deref()
                .and_then(|t| crate::clock::UnixTime::parse_rfc3339(t).ok())
                .map(|t| shape::date(t.secs()));
            json!({
                "valid": s.report.valid,
                "reason": s.reason,
                "location": s.location,
                "contactInfo": s.contact_info,
                "signDate": sign_date,
                "certificate": certificate,
                "signatureAlgorithm": s.sub_filter,
                "digestAlgorithm": s.digest_oid.clone().unwrap_or_else(|| "unknown".into()),
            })
        })
        .collect();
    Ok(with_status(
        json!({"valid": report.report.valid, "signers": signers, "report": report}),
    ))
}

/// `/actuator/health`: Spring Boot's shape.
async fn health() -> Json<Value> {
    Json(json!({"status": "UP"}))
}

/// With `[ncanode] access = "token"`, a portal token in `Authorization: Bearer`; NCANode's 401 otherwise.
async fn access(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if state.ncanode_access == crate::service::NcanodeAccess::Token {
        let portal = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .and_then(|t| state.tokens.caller(t))
            .is_some_and(|c| c.role == crate::registry::TokenRole::Portal);
        if !portal {
            return NcaError(
                StatusCode::UNAUTHORIZED,
                "this node asks for a portal token: send Authorization: Bearer <token>".into(),
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// The NCANode routes at their own paths (mounted under `/ncanode`, or at the root of a listener of their own);
/// all but the health check behind [`access`].
pub(super) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/cms/verify", post(cms_verify))
        .route("/cms/extract", post(cms_extract))
        .route("/cms/sign", post(cms_sign))
        .route("/x509/info", post(x509_info))
        .route("/xml/verify", post(xml_verify))
        .route("/xml/sign", post(xml_sign))
        .route("/wsse/verify", post(wsse_verify))
        .route("/wsse/sign", post(wsse_sign))
        .route("/pdf/verify", post(pdf_verify))
        .route_layer(axum::middleware::from_fn_with_state(state, access))
        .route("/actuator/health", get(health))
}
