//! Starting a node from its configuration: the private data directory, the registry in it, the configured tokens
//! and, on a first start, one new token per role; then the node itself (trust, signer, issuers, provider).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use super::config::{ConfigError, RegistryLocation, ServiceConfig};
use super::tokens::first_start_tokens;
use super::Node;
use crate::registry::{PostgresRegistry, Registry, RegistryError, SqliteRegistry, TokenRole};

/// A reservation older than this was abandoned by its node, whichever it is: no request runs this long (the
/// job timeout is far shorter), so any node settles it.
pub(crate) const ABANDONED_AFTER_SECS: i64 = 600;

/// Why the node could not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// The data directory cannot be created or made private.
    #[error("{path}: {source}")]
    DataDirectory {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The registry cannot be opened.
    #[error("{path}: {source}")]
    Registry {
        /// The registry's file.
        path: PathBuf,
        /// Why it could not be opened.
        #[source]
        source: RegistryError,
    },
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A node ready to serve, with the tokens created on this start (to be shown once: only their hashes are kept).
pub struct Started {
    /// The node.
    pub node: Node,
    /// Tokens created now, with their role; shown once.
    pub new_tokens: Vec<(TokenRole, String)>,
    /// Configured tokens the registry did not know yet.
    pub installed_tokens: usize,
}

/// Starts a node as `config` says, at `now`.
pub fn start(config: &ServiceConfig, now: i64) -> Result<Started, StartError> {
    if let Some(source) = &config.services {
        crate::issuance::catalogue::install(source).map_err(|e| {
            StartError::Config(crate::service::config::ConfigError::Invalid {
                setting: "services".into(),
                reason: e.to_string(),
            })
        })?;
        tracing::info!("the configured service catalogue is in use");
    }
    let data = &config.data;
    private_directory(data).map_err(|source| StartError::DataDirectory {
        path: data.clone(),
        source,
    })?;
    let (registry, db) = open_registry(config)?;
    // Numbers this node reserved before it stopped and never issued are given back or voided now.
    let settled = registry
        .settle_reservations(
            true,
            crate::clock::UnixTime::from_secs(now - ABANDONED_AFTER_SECS),
            crate::clock::UnixTime::from_secs(now),
        )
        .map_err(|source| StartError::Registry {
            path: db.clone(),
            source,
        })?;
    if settled > 0 {
        tracing::warn!(
            settled,
            "numbers reserved before a stop were given back or voided"
        );
    }
    let installed_tokens = config.install_tokens(registry.as_ref(), now)?;
    if installed_tokens > 0 {
        tracing::info!(installed_tokens, "configured tokens installed");
    }
    let new_tokens =
        first_start_tokens(registry.as_ref(), now).map_err(|source| StartError::Registry {
            path: db.clone(),
            source,
        })?;
    let node = config.node(registry, now)?;
    Ok(Started {
        node,
        new_tokens,
        installed_tokens,
    })
}

/// Opens the registry `config` names, with what to call it in errors: the SQLite file in the data directory, or
/// the PostgreSQL database (its URL, which holds no password).
pub fn open_registry(config: &ServiceConfig) -> Result<(Arc<dyn Registry>, PathBuf), StartError> {
    match &config.registry {
        RegistryLocation::Sqlite => {
            let db = config.data.join("registry.db");
            let registry = SqliteRegistry::open(&db).map_err(|source| StartError::Registry {
                path: db.clone(),
                source,
            })?;
            Ok((Arc::new(registry), db))
        }
        RegistryLocation::Postgres {
            url,
            password,
            node,
        } => {
            let name = PathBuf::from(redacted(url));
            let pool = (config.limits.jobs + config.limits.public_jobs).saturating_add(4);
            let registry = PostgresRegistry::connect(url, password.as_deref(), node, pool)
                .map_err(|source| StartError::Registry {
                    path: name.clone(),
                    source,
                })?;
            tracing::info!(node = %node, "registry on PostgreSQL");
            Ok((Arc::new(registry), name))
        }
    }
}

/// `url` with its password (`postgres://user:secret@host/db`, allowed in `QOLTANBA_REGISTRY`) hidden, for errors
/// and logs.
fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    match (rest.find('@'), rest.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        _ => url.to_string(),
    }
}

/// The data directory, private to the service's user: it holds personal data and token hashes. Created 0700; a
/// looser one is tightened, with a warning.
fn private_directory(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                dir = %dir.display(),
                "the data directory is readable by other users; making it private (0700)"
            );
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A first start creates one token per role and says so once; the next start creates none, and a start with
    /// configured tokens creates none either.
    #[test]
    fn a_first_start_creates_one_token_per_role_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServiceConfig::load(None, |_| None).expect("defaults");
        config.data = dir.path().join("data");
        let now = crate::clock::UnixTime::now().secs();
        let first = start(&config, now).expect("first start");
        let roles: Vec<TokenRole> = first.new_tokens.iter().map(|(r, _)| *r).collect();
        assert_eq!(roles, [TokenRole::Portal, TokenRole::Operator]);
        for (_, token) in &first.new_tokens {
            assert!(first.node.tokens.caller(token).is_some(), "known at once");
        }
        drop(first);
        let again = start(&config, now).expect("second start");
        assert!(again.new_tokens.is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&config.data)
                .expect("dir")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
