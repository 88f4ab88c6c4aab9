//! The JSON bodies the routes answer with, as types: what a portal reads is what these serialise, and the OpenAPI
//! document is checked against the bodies they produce (`tests/hermetic/http.rs`).

use serde::Serialize;

use crate::clock::UnixTime;
use crate::issuance::catalogue::Actor;
use crate::issuance::{LicenceStatus, LifecycleAction};
use crate::registry::{ApplicationRecord, DocumentStanding, StoredDocument};

/// How the node is, as `GET /health` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum HealthStatus {
    /// Serving, with every revocation source fresh.
    Ok,
    /// Serving, but a revocation source is stale, missing or failing: verifications it covers may answer
    /// `REVOCATION_UNKNOWN` now or soon.
    Degraded,
}

/// `GET /health`.
#[derive(Debug, Serialize)]
pub(crate) struct Health {
    pub(crate) status: HealthStatus,
    /// Present (true) only on the embedded demo PKI.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) demo: bool,
    /// Each CRL source kept fresh by the service; absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) revocation: Vec<crate::service::crls::SourceHealth>,
    /// The last exchange with each OCSP responder asked so far; absent without OCSP.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) ocsp: Vec<crate::service::ocsp::ResponderHealth>,
}

/// An issued document as the registry holds it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocumentView {
    id: i64,
    number: String,
    form: String,
    issued_at: UnixTime,
    /// The seal's barcode texts.
    seal: Vec<String>,
    /// Where the PDF is.
    pdf: String,
    /// The duplicate's copy number; absent on an original.
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate: Option<u32>,
    /// The form's fields (`GET /v1/documents/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<serde_json::Value>,
}

impl DocumentView {
    /// The document without its data.
    pub(crate) fn summary(doc: &StoredDocument) -> Self {
        DocumentView {
            id: doc.id.0,
            number: doc.number.clone(),
            form: doc.form.to_string(),
            issued_at: doc.issued_at,
            seal: doc.seal.clone(),
            pdf: format!("/v1/documents/{}/pdf", doc.id.0),
            duplicate: (doc.copy > 0).then_some(doc.copy),
            data: None,
        }
    }

    /// The document with the data it was issued with.
    pub(crate) fn with_data(doc: &StoredDocument) -> Self {
        let data = serde_json::from_slice(&doc.canonical_data).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&doc.canonical_data).into_owned())
        });
        DocumentView {
            data: Some(data),
            ..Self::summary(doc)
        }
    }
}

/// A lifecycle action as the event it leaves (`suspended`, `resumed`, ...).
fn event_name<S: serde::Serializer>(action: &LifecycleAction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(action.event())
}

/// A seal or document report, with the registry's standing of the document when this registry issued it.
#[derive(Debug, Serialize)]
pub(crate) struct VerifiedView<R> {
    #[serde(flatten)]
    pub(crate) report: R,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registry: Option<StandingView>,
}

/// One event of a licence's life, publicly.
#[derive(Debug, Serialize)]
pub(crate) struct EventView {
    at: UnixTime,
    #[serde(serialize_with = "event_name")]
    event: LifecycleAction,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<String>,
}

/// Where a document stands: the public status, and what a lifecycle change answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StandingView {
    number: String,
    form: String,
    issued_at: UnixTime,
    status: LicenceStatus,
    events: Vec<EventView>,
    duplicates: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaced_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces: Option<String>,
}

impl StandingView {
    pub(crate) fn of(st: &DocumentStanding) -> Self {
        StandingView {
            number: st.number.clone(),
            form: st.form.to_string(),
            issued_at: st.issued_at,
            status: st.status,
            events: st
                .events
                .iter()
                .map(|e| EventView {
                    at: e.at,
                    event: e.event,
                    reason: e.reason.clone(),
                    document: e.document.clone(),
                })
                .collect(),
            duplicates: st.duplicates,
            replaced_by: st.replaced_by.clone(),
            replaces: st.replaces.clone(),
        }
    }
}

/// The applicant as the application names them.
#[derive(Debug, Serialize)]
pub(crate) struct ApplicantView {
    /// IIN or BIN.
    id: String,
    name: String,
}

/// A link to a document the application produced.
#[derive(Debug, Serialize)]
pub(crate) struct DocumentLink {
    id: i64,
    number: String,
    href: String,
    pdf: String,
}

/// An application and where it stands.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplicationView {
    id: i64,
    number: String,
    service: String,
    /// The provider it goes to (its id in the node's configuration).
    provider: String,
    applicant: ApplicantView,
    /// A state of its service (`GET /v1/services`).
    status: String,
    /// The steps its service allows from here, and who takes each; empty once it is final.
    next: Vec<NextStep>,
    submitted_at: UnixTime,
    /// The verification report of the applicant's signature, as stored.
    verification: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registered_at: Option<UnixTime>,
    /// The provider's deadline: `YYYY-MM-DD`, or RFC 3339 (Astana time) for terms in hours or minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    due_date: Option<String>,
    /// The deadline passed and the application is not final.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    decided_at: Option<UnixTime>,
    /// While `verificationPending`: until when the service tries again to verify it.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_deadline: Option<UnixTime>,
    /// The licence or refusal issued for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<DocumentLink>,
    /// The files the applicant's signature lists, each kept with the application.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<AttachmentView>,
}

/// An attached file, as the applicant signed it, and where to fetch it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AttachmentView {
    name: String,
    #[serde(rename = "type")]
    media_type: &'static str,
    size: u64,
    sha256: String,
    href: String,
}

impl ApplicationView {
    pub(crate) fn of(a: &ApplicationRecord, offices: &crate::service::Offices) -> Self {
        ApplicationView {
            id: a.id.0,
            number: a.number.clone(),
            service: a.service.clone(),
            provider: offices
                .get(&a.provider)
                .map_or_else(|| a.provider.clone(), |o| o.id.clone()),
            applicant: ApplicantView {
                id: a.applicant.clone(),
                name: a.applicant_name.clone(),
            },
            status: a.status.clone(),
            next: crate::issuance::catalogue::service(&a.service)
                .and_then(|s| s.state(&a.status))
                .map(|st| {
                    st.actions
                        .iter()
                        .map(|(name, action)| NextStep {
                            step: name.clone(),
                            by: action.by,
                            href: format!("/v1/applications/{}/steps/{name}", a.id.0),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            submitted_at: a.submitted_at,
            verification: serde_json::from_str(&a.verification).unwrap_or(serde_json::Value::Null),
            payment_reference: a.payment_reference.clone(),
            registered_at: a.registered_at,
            due_date: a.due_date.clone(),
            overdue: overdue(a, UnixTime::now().secs()),
            decided_at: a.decided_at,
            verification_deadline: a.pending_until,
            document: a.document.as_ref().map(|(id, number)| DocumentLink {
                id: id.0,
                number: number.clone(),
                href: format!("/v1/documents/{}", id.0),
                pdf: format!("/v1/documents/{}/pdf", id.0),
            }),
            attachments: crate::issuance::Application::parse(&a.content)
                .map(|app| {
                    app.attachments
                        .iter()
                        .enumerate()
                        .map(|(i, f)| AttachmentView {
                            name: f.name.clone(),
                            media_type: f.media_type.as_str(),
                            size: f.size,
                            sha256: crate::encoding::hex(&f.sha256),
                            href: format!("/v1/applications/{}/attachments/{i}", a.id.0),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Whether `a`'s deadline passed at `now` while it is not final.
pub(crate) fn overdue(a: &ApplicationRecord, now: i64) -> bool {
    use crate::issuance::catalogue::Due;
    let final_ = crate::issuance::catalogue::service(&a.service)
        .and_then(|s| s.state(&a.status))
        .is_none_or(|st| st.is_final());
    let due = a.due_date.as_deref().and_then(|d| {
        if d.len() == 10 {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(d, &format).ok().map(Due::Day)
        } else {
            UnixTime::parse_rfc3339(d)
                .ok()
                .map(|t| Due::Moment(t.secs()))
        }
    });
    !final_ && due.is_some_and(|d| d.is_past(now))
}

/// A step an application may take next.
#[derive(Debug, Serialize)]
pub(crate) struct NextStep {
    step: String,
    by: Actor,
    href: String,
}

/// `POST /v1/sign/cms`.
#[derive(Debug, Serialize)]
pub(crate) struct SignedCms {
    /// The CMS SignedData, base64.
    pub(crate) cms: String,
}

/// `POST /v1/sign/xml`, `POST /v1/sign/wsse`.
#[derive(Debug, Serialize)]
pub(crate) struct SignedXml {
    /// The signed document, as text.
    pub(crate) xml: String,
}
