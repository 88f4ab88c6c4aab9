//! The caller of a request, as extractors: the `Authorization: Bearer` token looked up in the service's in-memory
//! token map ([`crate::service::TokenCache`]), so an unknown token is refused before the request's body is read and
//! the check never waits for the registry.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use super::{AppState, Problem};
use crate::registry::TokenRole;
pub(crate) use crate::service::tokens::Caller;

/// The caller behind the request's `Authorization: Bearer` header, if it holds one of `roles`.
fn require(state: &AppState, headers: &HeaderMap, roles: &[TokenRole]) -> Result<Caller, Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| Problem::unauthenticated("send Authorization: Bearer <token>"))?;
    let caller = state
        .tokens
        .caller(token)
        .ok_or_else(|| Problem::unauthenticated("unknown token"))?;
    if !roles.contains(&caller.role) {
        return Err(Problem::forbidden(roles));
    }
    Ok(caller)
}

/// A caller with a portal token.
pub(crate) struct Portal(pub Caller);
/// A caller with an operator token.
pub(crate) struct Operator(pub Caller);
/// A caller with a portal or an operator token (reading documents, which hold personal data).
pub(crate) struct Reader;
/// A caller with a portal or an operator token, kept: an application's step says which of the two takes it.
pub(crate) struct Staff(pub Caller);

impl FromRequestParts<AppState> for Staff {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        require(
            state,
            &parts.headers,
            &[TokenRole::Portal, TokenRole::Operator],
        )
        .map(Staff)
    }
}

impl FromRequestParts<AppState> for Portal {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        require(state, &parts.headers, &[TokenRole::Portal]).map(Portal)
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        require(state, &parts.headers, &[TokenRole::Operator]).map(Operator)
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        Staff::from_request_parts(parts, state)
            .await
            .map(|_| Reader)
    }
}
