//! Verification for anyone (no token), and the portal signing service (off unless configured).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::Deserialize;

use super::auth::{Portal, Reader};
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

/// Runs `verify` on the public job pool with the node's revocation policy applied to `opts` and the job's cancel
/// flag in them, and answers its report.
async fn verified<R: serde::Serialize + Send + 'static>(
    state: AppState,
    mut opts: VerifyOptions,
    verify: impl FnOnce(&AppState, &VerifyOptions) -> Result<R, Problem> + Send + 'static,
) -> Result<Response, Problem> {
    state
        .revocation
        .apply(&mut opts, crate::service::CheckFor::Verify);
    let gates = state.gates.clone();
    // The report is written in the job too, not on the I/O thread.
    gates
        .run(Pool::Public, move |cancel| {
            opts.cancel = cancel.clone();
            verify(&state, &opts).map(|report| Json(report).into_response())
        })
        .await
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
    let opts = options(req.iin.as_deref(), req.bin.as_deref(), req.at.as_deref())?;
    verified(state, opts, move |state, opts| {
        let der = b64("certificate", &req.certificate)?;
        let cert = state
            .store
            .parse_certificate(&der)
            .map_err(|e| Problem::malformed(format!("certificate: {e}")))?;
        Ok(state.store.verify_certificate(&cert, &[], opts))
    })
    .await
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
    /// RFC 3339; default now (the validation time, as for a certificate).
    at: Option<String>,
}

pub(super) async fn cms(
    State(state): State<AppState>,
    Body(req): Body<CmsRequest>,
) -> Result<Response, Problem> {
    let opts = options(req.iin.as_deref(), req.bin.as_deref(), req.at.as_deref())?;
    verified(state, opts, move |state, opts| {
        // Decoded in the job: a public body of 4 MB takes milliseconds, which the I/O thread would owe every
        // other connection it serves.
        let cms = b64("cms", &req.cms)?;
        let data = req.data.as_deref().map(|d| b64("data", d)).transpose()?;
        crate::cms::verify_cms(&state.store, &cms, data.as_deref(), &[], opts)
            .map_err(|e| Problem::malformed(format!("cms: {e}")))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct XmlRequest {
    /// The signed XML document, as text.
    xml: String,
    iin: Option<String>,
    bin: Option<String>,
    /// What the signers' keys are checked for: `sign` (default) or `auth`.
    purpose: Option<PurposeName>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum PurposeName {
    Sign,
    Auth,
}

/// `POST /v1/verify/xml`: every signature of an application's XML (NCALayer's `signXml`), each covering the
/// document element.
pub(super) async fn xml(
    state: State<AppState>,
    body: Body<XmlRequest>,
) -> Result<Response, Problem> {
    verify_xml_as(state, body, crate::xml::XmlProfile::Enveloped).await
}

/// `POST /v1/verify/wsse`: a SOAP envelope signed with WS-Security (SmartBridge), each signature in the Security
/// header covering the Body.
pub(super) async fn wsse(
    state: State<AppState>,
    body: Body<XmlRequest>,
) -> Result<Response, Problem> {
    verify_xml_as(state, body, crate::xml::XmlProfile::Wsse).await
}

async fn verify_xml_as(
    State(state): State<AppState>,
    Body(req): Body<XmlRequest>,
    profile: crate::xml::XmlProfile,
) -> Result<Response, Problem> {
    let mut opts = options(req.iin.as_deref(), req.bin.as_deref(), None)?;
    opts.purpose = match req.purpose {
        Some(PurposeName::Auth) => crate::pki::Purpose::Auth,
        Some(PurposeName::Sign) | None => crate::pki::Purpose::Sign,
    };
    verified(state, opts, move |state, opts| {
        crate::xml::verify_xml(&state.store, req.xml.as_bytes(), profile, opts)
            .map_err(|e| Problem::malformed(format!("xml: {e}")))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignXmlRequest {
    /// The XML document to sign, as text.
    xml: String,
}

/// `POST /v1/sign/xml`: an enveloped signature in NCALayer's profile (a co-signature when the document is
/// already signed), with the portal signing key.
pub(super) async fn sign_xml(
    state: State<AppState>,
    caller: Portal,
    body: Body<SignXmlRequest>,
) -> Result<Response, Problem> {
    sign_xml_as(state, caller, body, false).await
}

/// `POST /v1/sign/wsse`: a SOAP envelope signed with WS-Security in SmartBridge's profile.
pub(super) async fn sign_wsse(
    state: State<AppState>,
    caller: Portal,
    body: Body<SignXmlRequest>,
) -> Result<Response, Problem> {
    sign_xml_as(state, caller, body, true).await
}

async fn sign_xml_as(
    State(state): State<AppState>,
    Portal(caller): Portal,
    Body(req): Body<SignXmlRequest>,
    wsse: bool,
) -> Result<Response, Problem> {
    let Some(signer) = state.portal_signer.clone() else {
        return Err(Problem::not_configured(
            "portal signing is off: configure [portal_signer] with a key of its own (README, Configuration)",
        ));
    };
    let gates = state.gates.clone();
    let xml = gates
        .run(Pool::Private, move |_| {
            let at = now();
            let signed = if wsse {
                crate::xml::sign_wsse(req.xml.as_bytes(), &signer)
            } else {
                crate::xml::sign_xml(req.xml.as_bytes(), &signer)
            }
            .map_err(|e| match e {
                crate::xml::XmlSignError::Xml(e) => Problem::malformed(format!("xml: {e}")),
                crate::xml::XmlSignError::AlreadySigned => Problem::malformed(format!("xml: {e}")),
                other => {
                    tracing::error!(error = %other, "XML signing failed");
                    Problem::internal()
                }
            })?;
            let digest = crate::encoding::hex(&crate::encoding::sha256(req.xml.as_bytes()));
            let event = if wsse { "wsse.signed" } else { "xml.signed" };
            state
                .registry
                .record(
                    crate::clock::UnixTime::from_secs(at),
                    &caller.name,
                    event,
                    &format!("sha256:{digest}"),
                )
                .map_err(|e| {
                    tracing::error!(error = %e, "audit failed");
                    Problem::internal()
                })?;
            String::from_utf8(signed).map_err(|_| Problem::internal())
        })
        .await?;
    Ok(Json(super::views::SignedXml { xml }).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    /// The nonce of the challenge answered.
    nonce: String,
    /// The challenge signed with NCALayer (`signXml`) and the AUTH key.
    xml: String,
}

/// `POST /v1/auth/challenge`: a single-use challenge to sign with the AUTH key.
pub(super) async fn challenge(State(state): State<AppState>) -> Result<Response, Problem> {
    // Off the async workers: the challenges' lock, and a sweep of expired ones when the map is full.
    let gates = state.gates.clone();
    let challenge = gates
        .run(Pool::Public, move |_| {
            state
                .login
                .issue(crate::clock::UnixTime::now())
                .ok_or_else(|| Problem::busy("too many login challenges are outstanding"))
        })
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(challenge)).into_response())
}

/// `POST /v1/auth/verify`: the signed challenge checked once — signature over the whole challenge, the
/// certificate for `auth` with revocation, the nonce unused and unexpired — and the identity it proves.
pub(super) async fn login(
    State(state): State<AppState>,
    Body(req): Body<LoginRequest>,
) -> Result<Response, Problem> {
    let mut opts = options(None, None, None)?;
    state
        .revocation
        .apply(&mut opts, crate::service::CheckFor::Verify);
    let gates = state.gates.clone();
    let answer = gates
        .run(Pool::Public, move |cancel| {
            opts.cancel = cancel.clone();
            Ok(state.login.redeem(
                &state.store,
                &req.nonce,
                req.xml.as_bytes(),
                opts,
                crate::clock::UnixTime::now(),
            ))
        })
        .await?;
    match answer {
        Ok(identity) => Ok(Json(identity).into_response()),
        Err(refused) => Err(Problem::login_refused(&refused)),
    }
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

/// The PDF of a request as it came: the body itself (`application/pdf`) or `{"pdf": base64}`
/// (`application/json`). The body and its type are checked on the I/O thread; the JSON is read and the base64
/// decoded in the job ([`PdfBody::into_pdf`]): for a 4 MB body that is milliseconds the I/O thread would owe every
/// other connection it serves.
enum PdfBody {
    Raw(Bytes),
    Json(Bytes),
}

fn pdf_of(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<PdfBody, Problem> {
    let body = body.map_err(Problem::from_bytes)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/pdf") {
        Ok(PdfBody::Raw(body))
    } else if super::extract::is_json(headers) {
        Ok(PdfBody::Json(body))
    } else {
        Err(Problem::unsupported_media_type(
            "send the PDF as application/pdf or {\"pdf\": base64} as application/json",
        ))
    }
}

impl PdfBody {
    /// The PDF's bytes (a raw body as it came, not copied).
    fn into_pdf(self) -> Result<Bytes, Problem> {
        match self {
            PdfBody::Raw(body) => Ok(body),
            PdfBody::Json(body) => {
                let req: DocumentRequest = serde_json::from_slice(&body)
                    .map_err(|e| Problem::malformed(format!("body: {e}")))?;
                b64("pdf", &req.pdf).map(Bytes::from)
            }
        }
    }
}

/// `POST /v1/verify/pdf`: every signature of any PDF (PAdES, adbe.pkcs7.detached, document timestamps).
pub(super) async fn pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let pdf = pdf_of(&headers, body)?;
    let opts = options(None, None, None)?;
    verified(state, opts, move |state, opts| {
        let pdf = pdf.into_pdf()?;
        crate::document::verify_pdf(&state.store, &pdf, opts).map_err(Problem::from)
    })
    .await
}

/// `POST /v1/verify/pdf/report` (a portal or operator token): the same verification as a validation report an
/// auditor can file — the report with the file's SHA-256 and every validation object, as JSON inside an attached
/// CMS signed by the provider (stamped when a TSA is configured), with a content hint saying what it is. A token
/// is required: each report costs a signature by the provider's key (and a timestamp).
pub(super) async fn pdf_report(
    State(state): State<AppState>,
    _reader: Reader,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let pdf = pdf_of(&headers, body)?;
    let mut opts = options(None, None, None)?;
    state
        .revocation
        .apply(&mut opts, crate::service::CheckFor::Verify);
    let gates = state.gates.clone();
    let (signed, sha256) = gates
        .run(Pool::Public, move |cancel| {
            opts.cancel = cancel.clone();
            let pdf = pdf.into_pdf()?;
            let report = crate::document::verify_pdf(&state.store, &pdf, &opts)?;
            let filed = crate::document::validation_report(&pdf, report);
            let json = serde_json::to_vec_pretty(&filed).map_err(|_| Problem::internal())?;
            let signed = state
                .signer
                .sign_with(
                    &json,
                    &crate::cms::SignOptions {
                        detached: false,
                        signing_time: Some(crate::clock::UnixTime::from_secs(now())),
                        content_hint: Some(format!(
                            "Qoltanba validation report of the PDF with SHA-256 {}",
                            filed.document.sha256
                        )),
                    },
                )
                .map_err(|e| match e {
                    crate::cms::CmsError::Timestamp(why) => Problem::timestamp_unavailable(&why),
                    e => {
                        tracing::error!(error = %e, "a validation report could not be signed");
                        Problem::internal()
                    }
                })?;
            Ok((signed, filed.document.sha256))
        })
        .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/pkcs7-mime; smime-type=signed-data".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"validation-report-{}.p7m\"",
                    sha256.get(..16).unwrap_or(&sha256)
                ),
            ),
        ],
        signed,
    )
        .into_response())
}

/// The PDF as the body (`application/pdf`) or `{"pdf": base64}`.
pub(super) async fn document(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let pdf = pdf_of(&headers, body)?;
    let gates = state.gates.clone();
    let body = gates
        .run(Pool::Public, move |cancel| {
            let pdf = pdf.into_pdf()?;
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
    let gates = state.gates.clone();
    let cms = gates
        .run(Pool::Private, move |_| {
            // Decoded in the job, off the I/O thread (a token holder's body may be 16 MB).
            let data = b64("data", &req.data)?;
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

/// The most items one batch holds.
pub(super) const MAX_BATCH_ITEMS: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchRequest {
    /// Each item the body of one verification endpoint: `{"cms", …}`, `{"xml", "profile"?: "wsse", …}`,
    /// `{"certificate", …}` or `{"barcode": […]}`.
    items: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchXml {
    xml: String,
    iin: Option<String>,
    bin: Option<String>,
    purpose: Option<PurposeName>,
    /// `enveloped` (default: as `/v1/verify/xml`) or `wsse` (as `/v1/verify/wsse`).
    profile: Option<String>,
}

/// One item of a batch, read and checked: what to verify, with its options.
enum BatchItem {
    Cms(Vec<u8>, Option<Vec<u8>>, VerifyOptions),
    Xml(String, crate::xml::XmlProfile, VerifyOptions),
    Certificate(Vec<u8>, VerifyOptions),
    Seal(Vec<String>),
}

fn batch_item(value: serde_json::Value) -> Result<BatchItem, Problem> {
    let has = |key: &str| value.get(key).is_some();
    let read = |e: serde_json::Error| Problem::malformed(format!("item: {e}"));
    if has("cms") {
        let r: CmsRequest = serde_json::from_value(value).map_err(read)?;
        let data = r.data.as_deref().map(|d| b64("data", d)).transpose()?;
        let opts = options(r.iin.as_deref(), r.bin.as_deref(), None)?;
        Ok(BatchItem::Cms(b64("cms", &r.cms)?, data, opts))
    } else if has("xml") {
        let r: BatchXml = serde_json::from_value(value).map_err(read)?;
        let mut opts = options(r.iin.as_deref(), r.bin.as_deref(), None)?;
        opts.purpose = match r.purpose {
            Some(PurposeName::Auth) => crate::pki::Purpose::Auth,
            Some(PurposeName::Sign) | None => crate::pki::Purpose::Sign,
        };
        let profile = match r.profile.as_deref() {
            None | Some("enveloped") => crate::xml::XmlProfile::Enveloped,
            Some("wsse") => crate::xml::XmlProfile::Wsse,
            Some(other) => {
                return Err(Problem::malformed(format!(
                    "profile: {other:?} (enveloped or wsse)"
                )))
            }
        };
        Ok(BatchItem::Xml(r.xml, profile, opts))
    } else if has("certificate") {
        let r: CertificateRequest = serde_json::from_value(value).map_err(read)?;
        let opts = options(r.iin.as_deref(), r.bin.as_deref(), r.at.as_deref())?;
        Ok(BatchItem::Certificate(
            b64("certificate", &r.certificate)?,
            opts,
        ))
    } else if has("barcode") {
        let r: SealRequest = serde_json::from_value(value).map_err(read)?;
        Ok(BatchItem::Seal(r.barcode))
    } else {
        Err(Problem::malformed(
            "an item holds one of cms, xml, certificate, barcode".into(),
        ))
    }
}

/// Verifies one item as its single endpoint does; its report, or its problem document.
fn run_batch_item(
    state: &AppState,
    item: BatchItem,
    cancel: &crate::cancel::Cancel,
) -> serde_json::Value {
    let policy = |mut opts: VerifyOptions| {
        state
            .revocation
            .apply(&mut opts, crate::service::CheckFor::Verify);
        opts.cancel = cancel.clone();
        opts
    };
    let report = match item {
        BatchItem::Cms(cms, data, opts) => {
            crate::cms::verify_cms(&state.store, &cms, data.as_deref(), &[], &policy(opts))
                .map_err(|e| Problem::malformed(format!("cms: {e}")))
                .and_then(|r| serde_json::to_value(r).map_err(|_| Problem::internal()))
        }
        BatchItem::Xml(xml, profile, opts) => {
            crate::xml::verify_xml(&state.store, xml.as_bytes(), profile, &policy(opts))
                .map_err(|e| Problem::malformed(format!("xml: {e}")))
                .and_then(|r| serde_json::to_value(r).map_err(|_| Problem::internal()))
        }
        BatchItem::Certificate(der, opts) => state
            .store
            .parse_certificate(&der)
            .map_err(|e| Problem::malformed(format!("certificate: {e}")))
            .map(|cert| state.store.verify_certificate(&cert, &[], &policy(opts)))
            .and_then(|r| serde_json::to_value(r).map_err(|_| Problem::internal())),
        BatchItem::Seal(texts) => {
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            crate::service::workflow::verify_seal_online(state.context_with(cancel), &texts, now())
                .map_err(Problem::from)
                .and_then(|(report, standing)| with_standing(report, standing.as_ref()))
                .and_then(|v| serde_json::to_value(v).map_err(|_| Problem::internal()))
        }
    };
    report.unwrap_or_else(|p| serde_json::to_value(p).unwrap_or_default())
}

/// `POST /v1/verify/batch`: up to [`MAX_BATCH_ITEMS`] verifications in one request, each as its single endpoint
/// would answer it (a malformed item is a problem document in its place, and fails alone), verified in parallel on
/// every core within one job's deadline, the results in the items' order.
pub(super) async fn batch(
    State(state): State<AppState>,
    Body(req): Body<BatchRequest>,
) -> Result<Response, Problem> {
    if req.items.is_empty() || req.items.len() > MAX_BATCH_ITEMS {
        return Err(Problem::malformed(format!("items: 1–{MAX_BATCH_ITEMS}")));
    }
    let gates = state.gates.clone();
    gates
        .run(Pool::Public, move |cancel| {
            let items: Vec<Result<BatchItem, Problem>> =
                req.items.into_iter().map(batch_item).collect();
            let results = super::limits::parallel_map(
                items,
                cancel,
                |item| match item {
                    Ok(item) => run_batch_item(&state, item, cancel),
                    Err(p) => serde_json::to_value(p).unwrap_or_default(),
                },
                || serde_json::to_value(Problem::timeout()).unwrap_or_default(),
            );
            // Written in the job: a batch's reports may be megabytes of JSON.
            Ok(Json(serde_json::json!({ "results": results })).into_response())
        })
        .await
}
