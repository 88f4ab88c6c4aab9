//! Bearer tokens: random 256-bit secrets, stored only as their SHA-256 (a secret of that entropy needs no slow
//! hash), each with a name (what the audit log records) and a role.
//!
//! The service checks tokens against an in-memory map loaded from the registry at start and updated whenever the
//! service adds one, so a token check never waits for the registry (whose only connection an issuance may hold
//! while it renders) and never blocks an async worker. The caller is an extractor: an unknown token is refused
//! before the request's body is read.

use std::collections::HashMap;
use std::sync::RwLock;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::Engine;
use ring::rand::SecureRandom;

use super::{AppState, Problem};
use crate::registry::{Registry, RegistryError, TokenRole};

/// A caller that presented a known token.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    at: i64,
) -> Result<String, RegistryError> {
    let token = generate_token()
        .ok_or_else(|| RegistryError::Corrupt("the system random generator failed".into()))?;
    registry.add_token(name, role, &sha256(&token), at)?;
    Ok(token)
}

/// The SHA-256 of a token in hexadecimal, as the configuration's `[[tokens]]` lists it.
pub fn sha256_hex(token: &str) -> String {
    crate::encoding::hex(&sha256(token))
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

/// The registry's tokens, in memory.
#[derive(Debug, Default)]
pub struct TokenCache {
    by_hash: RwLock<HashMap<[u8; 32], Caller>>,
}

impl TokenCache {
    /// Every token the registry holds.
    pub fn load(registry: &dyn Registry) -> Result<TokenCache, RegistryError> {
        let cache = TokenCache::default();
        cache.reload(registry)?;
        Ok(cache)
    }

    /// Reads the registry's tokens again (after another process added one).
    pub fn reload(&self, registry: &dyn Registry) -> Result<(), RegistryError> {
        let all: HashMap<[u8; 32], Caller> = registry
            .tokens()?
            .into_iter()
            .map(|(name, role, hash)| (hash, Caller { name, role }))
            .collect();
        if let Ok(mut map) = self.by_hash.write() {
            *map = all;
        }
        Ok(())
    }

    /// Creates a token in the registry and here.
    pub fn create(
        &self,
        registry: &dyn Registry,
        name: &str,
        role: TokenRole,
        at: i64,
    ) -> Result<String, RegistryError> {
        let token = create_token(registry, name, role, at)?;
        if let Ok(mut map) = self.by_hash.write() {
            map.insert(
                sha256(&token),
                Caller {
                    name: name.to_string(),
                    role,
                },
            );
        }
        Ok(token)
    }

    fn lookup(&self, hash: &[u8; 32]) -> Option<Caller> {
        self.by_hash.read().ok()?.get(hash).cloned()
    }

    /// The caller behind the request's `Authorization: Bearer` header, if it holds one of `roles`.
    pub fn require(&self, headers: &HeaderMap, roles: &[TokenRole]) -> Result<Caller, Problem> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| Problem::unauthenticated("send Authorization: Bearer <token>"))?;
        let caller = self
            .lookup(&sha256(token))
            .ok_or_else(|| Problem::unauthenticated("unknown token"))?;
        if !roles.contains(&caller.role) {
            return Err(Problem::forbidden(roles));
        }
        Ok(caller)
    }
}

/// A caller with a portal token.
pub struct Portal(pub Caller);
/// A caller with an operator token.
pub struct Operator(pub Caller);
/// A caller with a portal or an operator token (reading documents, which hold personal data).
pub struct Reader(pub Caller);

impl FromRequestParts<AppState> for Portal {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        state
            .tokens
            .require(&parts.headers, &[TokenRole::Portal])
            .map(Portal)
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        state
            .tokens
            .require(&parts.headers, &[TokenRole::Operator])
            .map(Operator)
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        state
            .tokens
            .require(&parts.headers, &[TokenRole::Portal, TokenRole::Operator])
            .map(Reader)
    }
}
