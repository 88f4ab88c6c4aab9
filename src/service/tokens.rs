//! API tokens: random 256-bit secrets, stored only as their SHA-256 (a secret of that entropy needs no slow
//! hash), each with a name (what the audit log records) and a role; and the first-start policy that creates them.
//!
//! The service checks tokens against an in-memory map loaded from the registry at start and updated whenever the
//! service adds one, so a token check never waits for the registry (whose only connection an issuance may hold
//! while it renders) and never blocks an async worker.

use std::collections::HashMap;
use std::sync::RwLock;

use base64::Engine;
use ring::rand::SecureRandom;

use crate::registry::{Registry, RegistryError, TokenRole};

/// A caller that presented a known token: the token's holder.
pub use crate::registry::TokenHolder as Caller;

/// The SHA-256 a token is stored (and configured) by.
pub fn sha256(token: &str) -> [u8; 32] {
    crate::encoding::sha256(token.as_bytes())
}

/// Creates a token for `holder`, stores its hash and returns the secret — the only time it exists in clear.
pub fn create_token(
    registry: &dyn Registry,
    holder: &Caller,
    at: i64,
) -> Result<String, RegistryError> {
    let token = generate_token()
        .ok_or_else(|| RegistryError::Corrupt("the system random generator failed".into()))?;
    registry.add_token(holder, &sha256(&token), at)?;
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

/// How often a serving node reads its tokens again: a token revoked on one node (or by the CLI) is refused by
/// every node within this time.
pub(crate) const REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

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
            .map(|(holder, hash)| (hash, holder))
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
        holder: &Caller,
        at: i64,
    ) -> Result<String, RegistryError> {
        let token = create_token(registry, holder, at)?;
        if let Ok(mut map) = self.by_hash.write() {
            map.insert(sha256(&token), holder.clone());
        }
        Ok(token)
    }

    /// The caller holding `token`, if the registry knows it.
    pub fn caller(&self, token: &str) -> Option<Caller> {
        self.lookup(&sha256(token))
    }

    fn lookup(&self, hash: &[u8; 32]) -> Option<Caller> {
        self.by_hash.read().ok()?.get(hash).cloned()
    }
}

/// On a first start — a registry with no token, and none configured — one token per role, created at `at`, so the
/// operator can use the service at once. Returns them (role, secret) for the shell to show once; only their hashes
/// are stored. A registry that already holds a token gets none.
pub(crate) fn first_start_tokens(
    registry: &dyn Registry,
    at: i64,
) -> Result<Vec<(TokenRole, String)>, RegistryError> {
    if registry.token_count()? > 0 {
        return Ok(Vec::new());
    }
    [TokenRole::Portal, TokenRole::Operator]
        .into_iter()
        .map(|role| {
            let holder = Caller::new(role.as_str(), role);
            Ok((role, create_token(registry, &holder, at)?))
        })
        .collect()
}
