//! Bearer tokens: random 256-bit secrets, stored only as their SHA-256 (a secret of that entropy needs no slow
//! hash), each with a name (what the audit log records) and a role.

use axum::http::{header, HeaderMap};
use base64::Engine;
use ring::rand::SecureRandom;

use super::Problem;
use crate::registry::{Registry, RegistryError, TokenRole};

/// A caller that presented a known token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: TokenRole,
}

/// The SHA-256 a token is stored (and configured) by.
pub fn sha256(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Creates a token named `name` with `role`, stores its hash and returns the secret — the only time it exists
/// in clear.
pub fn create_token(
    registry: &dyn Registry,
    name: &str,
    role: TokenRole,
) -> Result<String, RegistryError> {
    let token = generate_token()
        .ok_or_else(|| RegistryError::Corrupt("the system random generator failed".into()))?;
    registry.add_token(name, role, &sha256(&token))?;
    Ok(token)
}

/// The SHA-256 of a token in hexadecimal, as the configuration's `[[tokens]]` lists it.
pub fn sha256_hex(token: &str) -> String {
    crate::pki::name::hex(&sha256(token))
}

/// A new random token: `qlt_` and 256 random bits, base64url. `None` if the system generator fails.
pub fn generate_token() -> Option<String> {
    let mut secret = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut secret).ok()?;
    Some(format!(
        "qlt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    ))
}

/// The caller behind the request's `Authorization: Bearer` header, if it holds `role`.
pub fn require(
    registry: &dyn Registry,
    headers: &HeaderMap,
    role: TokenRole,
) -> Result<Caller, Problem> {
    require_any(registry, headers, &[role])
}

/// The caller behind the request's `Authorization: Bearer` header, if it holds one of `roles` (one lookup).
pub fn require_any(
    registry: &dyn Registry,
    headers: &HeaderMap,
    roles: &[TokenRole],
) -> Result<Caller, Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| Problem::unauthenticated("send Authorization: Bearer <token>"))?;
    let (name, held) = registry
        .token_by_hash(&sha256(token))
        .map_err(|e| {
            tracing::error!(error = %e, "token lookup failed");
            Problem::internal()
        })?
        .ok_or_else(|| Problem::unauthenticated("unknown token"))?;
    if !roles.contains(&held) {
        return Err(Problem::forbidden(roles));
    }
    Ok(Caller { name, role: held })
}
