//! The `Idempotency-Key` header (the IETF httpapi draft's name and semantics): a portal that retries an issuing
//! call with the same key gets what the first call made — the same reference, the application as the first step
//! left it — never a second number. What a key made is stored in the registry with the document or the step, in
//! the same transaction, so two retries racing each other still make one.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{AppState, Problem};
use crate::registry::IdempotencyKey;

/// The header's value, checked: 1–255 visible ASCII characters (a UUID, as clients send).
pub(super) struct Idempotency(pub Option<String>);

impl FromRequestParts<AppState> for Idempotency {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Idempotency(None));
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| {
                !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
            })
            .ok_or_else(|| {
                Problem::malformed("Idempotency-Key: 1–255 visible ASCII characters".into())
            })?;
        Ok(Idempotency(Some(key.to_string())))
    }
}

impl Idempotency {
    /// The key for `caller`'s request, whose route and content are `parts` (each length-prefixed into the
    /// digest, so no two different requests hash alike).
    pub(super) fn key<'a>(
        &'a self,
        caller: &'a str,
        parts: &[&[u8]],
    ) -> Option<IdempotencyKey<'a>> {
        let key = self.0.as_deref()?;
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        for part in parts {
            h.update(&(part.len() as u64).to_be_bytes());
            h.update(part);
        }
        let mut request = [0u8; 32];
        request.copy_from_slice(h.finish().as_ref());
        Some(IdempotencyKey {
            caller,
            key,
            request,
        })
    }
}
