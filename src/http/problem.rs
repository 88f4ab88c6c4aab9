//! RFC 9457 problem documents: what went wrong, with a stable `code` a portal can switch on.

use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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
    /// Stable: `MALFORMED`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `TIMEOUT`, `UNSUPPORTED_MEDIA_TYPE`, `PAYLOAD_TOO_LARGE`, `INTERNAL`.
    pub code: &'static str,
    /// What exactly was wrong with this request.
    pub detail: String,
}

impl Problem {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: String,
    ) -> Self {
        Problem {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            code,
            detail,
        }
    }

    /// 400 `MALFORMED`: the request could not be read.
    pub fn malformed(detail: String) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED",
            "Input cannot be decoded",
            detail,
        )
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No such resource",
            String::new(),
        )
    }

    /// 415 `UNSUPPORTED_MEDIA_TYPE`.
    pub fn unsupported_media_type(detail: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
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
            "PAYLOAD_TOO_LARGE",
            "Input too large",
            detail,
        )
    }

    /// The service is at one of its limits: try again shortly.
    pub fn busy(detail: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "BUSY",
            "The service is busy",
            format!("{detail}; try again shortly"),
        )
    }

    /// A feature the configuration leaves off.
    pub fn not_configured(detail: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "NOT_CONFIGURED",
            "Not enabled on this service",
            detail.to_string(),
        )
    }

    /// 401 `UNAUTHENTICATED`.
    pub fn unauthenticated(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "A valid bearer token is required",
            detail.to_string(),
        )
    }

    /// 403 `FORBIDDEN`, naming the roles that may.
    pub fn forbidden(allowed: &[crate::registry::TokenRole]) -> Self {
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        Self::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "The token's role does not allow this",
            format!("this needs a token with role {}", names.join(" or ")),
        )
    }

    /// 503 `TIMEOUT`: the work ran past its deadline.
    pub fn timeout() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "TIMEOUT",
            "The request took too long",
            "its work was stopped at the service's time limit (limits.job_timeout); nothing was stored".into(),
        )
    }

    /// 408 `REQUEST_TIMEOUT`: the client sent too slowly.
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            "Request took too long",
            "the request was not received and answered in time".into(),
        )
    }

    /// 500 `INTERNAL`; the details are logged, never sent.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
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
                "INVALID_APPLICATION",
                "The signed content is not a valid application",
                detail,
            ),
            W::UnknownForm(form) => {
                Problem::new(StatusCode::NOT_FOUND, "UNKNOWN_FORM", "No such form", form)
            }
            W::InvalidData(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_DATA",
                "The data does not fit the form",
                detail,
            ),
            W::NotAReference(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "NOT_A_REFERENCE",
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
                "STATE_CONFLICT",
                "Not allowed in the current state",
                detail,
            ),
            W::NoLifecycle(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "NO_LIFECYCLE",
                "Only licences have a lifecycle",
                detail,
            ),
            W::Cancelled => Problem::timeout(),
            W::TooLarge(_) => Problem::payload_too_large(detail),
            W::Storage(e) => {
                tracing::error!(error = %e, "registry failure");
                Problem::internal()
            }
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
