//! RFC 9457 problem documents: what went wrong, with a stable `code` a portal can switch on.

use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The stable error codes of problem documents (design.md §5): what a portal switches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProblemCode {
    /// The request cannot be decoded (400).
    Malformed,
    /// No such resource (404).
    NotFound,
    /// The body's media type is not one the route reads (415).
    UnsupportedMediaType,
    /// The body is larger than the route accepts (413).
    PayloadTooLarge,
    /// The node's job pools or body budget are full; retry later (503).
    Busy,
    /// The feature is off in this node's configuration (501).
    NotConfigured,
    /// No valid bearer token (401).
    Unauthenticated,
    /// The token's role may not do this (403).
    Forbidden,
    /// The work ran past its deadline (503).
    Timeout,
    /// The client sent its request too slowly (408).
    RequestTimeout,
    /// Something failed inside the node; details are logged, never sent (500).
    Internal,
    /// The signed content is not a valid application (422).
    InvalidApplication,
    /// No such form (404).
    UnknownForm,
    /// The form data does not fit the form (422).
    InvalidData,
    /// The form is not a reference (422).
    NotAReference,
    /// The application's or licence's state does not allow the step (409).
    StateConflict,
    /// The document's form has no lifecycle (422).
    NoLifecycle,
    /// Re-issue and duplicates are the licensee's applications, not an operator's action (422).
    NeedsApplication,
    /// The `Idempotency-Key` was used before by this caller for a different request (422).
    IdempotencyKeyReused,
    /// The application or document is another provider's than the operator's (403).
    OtherProvider,
    /// The request names a provider this node does not have (422).
    UnknownProvider,
    /// An attachment the application lists is not an uploaded file as listed: missing, another size or type, or
    /// changed (422).
    AttachmentMismatch,
    /// The head's signature on a step is not confirmed, or the signer is not the provider's head (422).
    HeadSignatureRefused,
    /// The number E-licensing assigned is already a document's (409).
    NumberTaken,
    /// The registry's database cannot be reached now (PostgreSQL restarting, connection lost); nothing was
    /// written, send the same request again (503, with `Retry-After`).
    RegistryUnavailable,
    /// The configured timestamp authority did not answer, or its token did not verify: nothing was issued or
    /// signed, send the same request again (503, with `Retry-After`).
    TimestampUnavailable,
    /// A login by EDS was refused (401); `reason` in the problem gives the stable code of why
    /// (`CHALLENGE_UNKNOWN`, `CHALLENGE_USED`, `CHALLENGE_MISMATCH`, `MESSAGE_EXPIRED`, `SIGNATURE_INVALID`,
    /// `KEY_USAGE`, `CERT_REVOKED`, ...).
    LoginRefused,
}

impl ProblemCode {
    /// Every code, for the OpenAPI document.
    pub(crate) const ALL: [ProblemCode; 27] = [
        ProblemCode::Malformed,
        ProblemCode::NotFound,
        ProblemCode::UnsupportedMediaType,
        ProblemCode::PayloadTooLarge,
        ProblemCode::Busy,
        ProblemCode::NotConfigured,
        ProblemCode::Unauthenticated,
        ProblemCode::Forbidden,
        ProblemCode::Timeout,
        ProblemCode::RequestTimeout,
        ProblemCode::Internal,
        ProblemCode::InvalidApplication,
        ProblemCode::UnknownForm,
        ProblemCode::InvalidData,
        ProblemCode::NotAReference,
        ProblemCode::StateConflict,
        ProblemCode::NoLifecycle,
        ProblemCode::LoginRefused,
        ProblemCode::NeedsApplication,
        ProblemCode::IdempotencyKeyReused,
        ProblemCode::OtherProvider,
        ProblemCode::UnknownProvider,
        ProblemCode::AttachmentMismatch,
        ProblemCode::NumberTaken,
        ProblemCode::HeadSignatureRefused,
        ProblemCode::RegistryUnavailable,
        ProblemCode::TimestampUnavailable,
    ];
}

/// An RFC 9457 problem document: every error answer of the HTTP API.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The stable error code (design.md §5), e.g. `MALFORMED`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A short, fixed summary of the code.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The stable code a portal switches on.
    pub code: ProblemCode,
    /// What exactly was wrong with this request.
    pub detail: String,
    /// The finer stable reason, where a code has several (`LOGIN_REFUSED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl Problem {
    pub(crate) fn new(
        status: StatusCode,
        code: ProblemCode,
        title: &'static str,
        detail: String,
    ) -> Self {
        Problem {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            code,
            detail,
            reason: None,
        }
    }

    /// 401 `LOGIN_REFUSED`, with the refusal's own code as `reason` (400 `MALFORMED` for an unreadable answer).
    pub(crate) fn login_refused(refused: &crate::service::login::LoginRefused) -> Self {
        if let crate::service::login::LoginRefused::Malformed(_) = refused {
            return Self::malformed(refused.to_string());
        }
        let mut p = Self::new(
            StatusCode::UNAUTHORIZED,
            ProblemCode::LoginRefused,
            "The login by EDS was refused",
            refused.to_string(),
        );
        p.reason = Some(refused.code());
        p
    }

    /// 400 `MALFORMED`: the request could not be read.
    pub fn malformed(detail: String) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::Malformed,
            "Input cannot be decoded",
            detail,
        )
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            "No such resource",
            String::new(),
        )
    }

    /// 415 `UNSUPPORTED_MEDIA_TYPE`.
    pub fn unsupported_media_type(detail: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemCode::UnsupportedMediaType,
            "Unsupported content type",
            detail.to_string(),
        )
    }

    /// 413 `TOO_LARGE`.
    pub fn too_large() -> Self {
        Self::payload_too_large(
            "the body is larger than this route accepts (README, Configuration: limits.body_limit and \
             limits.public_body_limit)"
                .into(),
        )
    }

    /// Input over one of the service's limits.
    pub fn payload_too_large(detail: String) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::PayloadTooLarge,
            "Input too large",
            detail,
        )
    }

    /// The service is at one of its limits: try again shortly.
    pub fn busy(detail: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::Busy,
            "The service is busy",
            format!("{detail}; try again shortly"),
        )
    }

    /// A registry failure: retryable (503 `REGISTRY_UNAVAILABLE`) when the database could not be reached, an
    /// internal error otherwise (logged, never shown).
    pub fn registry(e: &crate::registry::RegistryError) -> Self {
        if let crate::registry::RegistryError::Unavailable(source) = e {
            tracing::warn!(error = %source, "registry unavailable");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ProblemCode::RegistryUnavailable,
                "The registry is unavailable",
                "the registry's database cannot be reached now; nothing was written, try again shortly"
                    .to_string(),
            );
        }
        tracing::error!(error = %e, "registry failure");
        Self::internal()
    }

    /// 503 `TIMESTAMP_UNAVAILABLE`: the configured TSA failed; nothing was issued or signed.
    pub fn timestamp_unavailable(detail: &str) -> Self {
        tracing::warn!(error = %detail, "timestamp authority unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::TimestampUnavailable,
            "The timestamp authority is unavailable",
            "the signature could not be timestamped by the configured TSA; nothing was issued, try again shortly"
                .to_string(),
        )
    }

    /// A feature the configuration leaves off.
    pub fn not_configured(detail: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            ProblemCode::NotConfigured,
            "Not enabled on this service",
            detail.to_string(),
        )
    }

    /// 401 `UNAUTHENTICATED`.
    pub fn unauthenticated(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ProblemCode::Unauthenticated,
            "A valid bearer token is required",
            detail.to_string(),
        )
    }

    /// 403 `FORBIDDEN`, naming the roles that may.
    pub fn forbidden(allowed: &[crate::registry::TokenRole]) -> Self {
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        Self::new(
            StatusCode::FORBIDDEN,
            ProblemCode::Forbidden,
            "The token's role does not allow this",
            format!("this needs a token with role {}", names.join(" or ")),
        )
    }

    /// 503 `TIMEOUT`: the work ran past its deadline.
    pub fn timeout() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::Timeout,
            "The request took too long",
            "its work was stopped at the service's time limit (limits.job_timeout); nothing was stored".into(),
        )
    }

    /// 408 `REQUEST_TIMEOUT`: the client sent too slowly.
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            ProblemCode::RequestTimeout,
            "Request took too long",
            "the request was not received and answered in time".into(),
        )
    }

    /// 500 `INTERNAL`; the details are logged, never sent.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::Internal,
            "Internal error",
            String::new(),
        )
    }

    /// axum's JSON extractor failures, mapped to our codes.
    pub fn from_json(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Self::unsupported_media_type("send application/json")
            }
            JsonRejection::BytesRejection(ref r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::too_large()
            }
            other => Self::malformed(other.body_text()),
        }
    }

    /// Raw-body extractor failures: the size limit, or a broken upload.
    pub fn from_bytes(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::too_large()
        } else {
            Self::malformed(rejection.body_text())
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let unauthorized = self.status == 401;
        let retry = self.status == 503;
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<crate::service::workflow::WorkflowError> for Problem {
    fn from(e: crate::service::workflow::WorkflowError) -> Self {
        use crate::service::workflow::WorkflowError as W;
        let detail = e.to_string();
        match e {
            W::Malformed(_) => Problem::malformed(detail),
            W::InvalidApplication(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::InvalidApplication,
                "The signed content is not a valid application",
                detail,
            ),
            W::UnknownForm(form) => Problem::new(
                StatusCode::NOT_FOUND,
                ProblemCode::UnknownForm,
                "No such form",
                form,
            ),
            W::InvalidData(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::InvalidData,
                "The data does not fit the form",
                detail,
            ),
            W::NotAReference(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::NotAReference,
                "Only references are issued at once",
                detail,
            ),
            W::NotFound(_) => {
                let mut p = Problem::not_found();
                p.detail = detail;
                p
            }
            W::Conflict(_) => Problem::new(
                StatusCode::CONFLICT,
                ProblemCode::StateConflict,
                "Not allowed in the current state",
                detail,
            ),
            W::NoLifecycle(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::NoLifecycle,
                "Only licences have a lifecycle",
                detail,
            ),
            W::KeyReused(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::IdempotencyKeyReused,
                "The Idempotency-Key was used for a different request",
                detail,
            ),
            W::NeedsApplication(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::NeedsApplication,
                "Re-issue and duplicates are applications",
                detail,
            ),
            W::Attachment(crate::service::AttachmentError::Io(e)) => {
                tracing::error!(error = %e, "attachment store failure");
                Problem::internal()
            }
            W::Attachment(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::AttachmentMismatch,
                "An attachment is not the file the application lists",
                detail,
            ),
            W::HeadSignature(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::HeadSignatureRefused,
                "The head's signature is not confirmed",
                detail,
            ),
            W::NumberTaken(_) => Problem::new(
                StatusCode::CONFLICT,
                ProblemCode::NumberTaken,
                "The assigned number is already issued",
                detail,
            ),
            W::OtherProvider(_) => Problem::new(
                StatusCode::FORBIDDEN,
                ProblemCode::OtherProvider,
                "Another provider's application",
                detail,
            ),
            W::UnknownProvider(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::UnknownProvider,
                "No such provider in this node",
                detail,
            ),
            W::NotYours(_) => Problem::new(
                StatusCode::FORBIDDEN,
                ProblemCode::Forbidden,
                "The token's role does not allow this",
                detail,
            ),
            W::Cancelled => Problem::timeout(),
            W::TimestampUnavailable(why) => Problem::timestamp_unavailable(&why),
            W::TooLarge(_) => Problem::payload_too_large(detail),
            W::Storage(e) => Problem::registry(&e),
        }
    }
}

impl From<crate::seal::SealError> for Problem {
    fn from(e: crate::seal::SealError) -> Self {
        use crate::seal::SealError as S;
        match e {
            S::Cancelled => Problem::timeout(),
            S::TooLong | S::TooLarge(_) => Problem::payload_too_large(e.to_string()),
            e => Problem::malformed(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProblemCode;

    /// `ALL` lists every code once (the match below stops compiling when a code is added, and then this test
    /// fails until `ALL` has it too): the OpenAPI document's enum is the set a portal can receive.
    #[test]
    fn every_code_is_listed_once() {
        fn position(code: ProblemCode) -> usize {
            match code {
                ProblemCode::Malformed => 0,
                ProblemCode::NotFound => 1,
                ProblemCode::UnsupportedMediaType => 2,
                ProblemCode::PayloadTooLarge => 3,
                ProblemCode::Busy => 4,
                ProblemCode::NotConfigured => 5,
                ProblemCode::Unauthenticated => 6,
                ProblemCode::Forbidden => 7,
                ProblemCode::Timeout => 8,
                ProblemCode::RequestTimeout => 9,
                ProblemCode::Internal => 10,
                ProblemCode::InvalidApplication => 11,
                ProblemCode::UnknownForm => 12,
                ProblemCode::InvalidData => 13,
                ProblemCode::NotAReference => 14,
                ProblemCode::StateConflict => 15,
                ProblemCode::NoLifecycle => 16,
                ProblemCode::LoginRefused => 17,
                ProblemCode::NeedsApplication => 18,
                ProblemCode::IdempotencyKeyReused => 19,
                ProblemCode::OtherProvider => 20,
                ProblemCode::UnknownProvider => 21,
                ProblemCode::AttachmentMismatch => 22,
                ProblemCode::NumberTaken => 23,
                ProblemCode::HeadSignatureRefused => 24,
                ProblemCode::RegistryUnavailable => 25,
                ProblemCode::TimestampUnavailable => 26,
            }
        }
        for (i, code) in ProblemCode::ALL.iter().enumerate() {
            assert_eq!(position(*code), i, "{code:?}");
        }
        let json = serde_json::to_value(ProblemCode::NotAReference).ok();
        assert_eq!(json, Some(serde_json::json!("NOT_A_REFERENCE")));
    }
}
