//! The service's configuration: a TOML file (`qoltanba serve --config F`), overridden by environment variables,
//! overridden by command-line flags. With none of them, the embedded default: the demo PKI and its provider
//! signer built into the binary, SQLite in `./data`, 127.0.0.1:8080.
//!
//! Secrets never live in the file: the signer's password comes from an environment variable, and API tokens
//! are listed by their SHA-256 only (`qoltanba new-token` makes one).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use thiserror::Error;

use crate::cms::CmsSigner;
use crate::http::AppState;
use crate::issuance::{Provider, WorkingCalendar};
use crate::pki::{Purpose, TrustStore, VerifyOptions};
use crate::registry::{Registry, RegistryError, TokenRole};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA: &str = "data";

/// The environment variables read, with what they set.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("QOLTANBA_LISTEN", "listen address"),
    ("QOLTANBA_DATA", "data directory (registry.db)"),
    (
        "QOLTANBA_TRUST",
        "trust anchors: files or directories, separated by ':'",
    ),
    (
        "QOLTANBA_INTERMEDIATES",
        "intermediate CA certificates, separated by ':'",
    ),
    ("QOLTANBA_CRL", "CRL files or directories, separated by ':'"),
    (
        "QOLTANBA_SIGNER_KEY",
        "the provider's key file (PKCS#8 PEM/DER or PKCS#12)",
    ),
    (
        "QOLTANBA_SIGNER_CERT",
        "the provider's certificate (when the key file has none)",
    ),
    (
        "QOLTANBA_SIGNER_PASSWORD",
        "the key file's password (or the variable named by signer.password_env)",
    ),
];

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{setting}: {reason}")]
    Invalid { setting: String, reason: String },
    #[error("trust and signer are configured together: {0}")]
    Incomplete(&'static str),
    #[error("the signer's certificate does not verify against the configured trust store now ({0}); documents it seals would not verify")]
    SignerUntrusted(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

fn invalid(setting: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_string(),
        reason: reason.to_string(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<String>,
    data: Option<PathBuf>,
    #[serde(default)]
    trust: TrustSection,
    signer: Option<SignerSection>,
    #[serde(default)]
    provider: ProviderSection,
    #[serde(default)]
    calendar: CalendarSection,
    #[serde(default)]
    tokens: Vec<TokenSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustSection {
    #[serde(default)]
    anchors: Vec<PathBuf>,
    #[serde(default)]
    intermediates: Vec<PathBuf>,
    #[serde(default)]
    crls: Vec<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignerSection {
    key: PathBuf,
    cert: Option<PathBuf>,
    #[serde(default)]
    chain: Vec<PathBuf>,
    /// The environment variable holding the key file's password.
    password_env: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderSection {
    authority: Option<String>,
    place: Option<String>,
    head: Option<String>,
    head_position: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSection {
    #[serde(default)]
    days_off: Vec<String>,
    #[serde(default)]
    working_days: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSection {
    name: String,
    role: String,
    sha256: String,
}

/// Where the provider's key comes from.
#[derive(Debug, Clone)]
pub struct SignerPaths {
    pub key: PathBuf,
    pub cert: Option<PathBuf>,
    pub chain: Vec<PathBuf>,
    pub password: Option<String>,
}

/// A token listed in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredToken {
    pub name: String,
    pub role: TokenRole,
    pub sha256: [u8; 32],
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub anchors: Vec<PathBuf>,
    pub intermediates: Vec<PathBuf>,
    pub crls: Vec<PathBuf>,
    /// `None`: the embedded demo provider.
    pub signer: Option<SignerPaths>,
    pub authority: Option<String>,
    pub place: Option<String>,
    pub head: Option<String>,
    pub head_position: Option<String>,
    pub days_off: Vec<time::Date>,
    pub working_days: Vec<time::Date>,
    pub tokens: Vec<ConfiguredToken>,
}

fn date(setting: &str, s: &str) -> Result<time::Date, ConfigError> {
    time::Date::parse(
        s,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| invalid(setting, format!("{s:?} is not YYYY-MM-DD ({e})")))
}

fn sha256_hex(setting: &str, s: &str) -> Result<[u8; 32], ConfigError> {
    let s = s.trim();
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(setting, "64 hexadecimal digits expected"));
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| invalid(setting, e))?;
    }
    Ok(out)
}

impl ServiceConfig {
    /// Reads `file` (if any), then applies the variables `env` returns (`std::env::var` in the binary).
    /// Relative paths in the file are relative to the file's directory.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ServiceConfig, ConfigError> {
        let (parsed, base) = match file {
            Some(path) => {
                let text = crate::pki::load::read_limited(path, 1024 * 1024).map_err(|e| {
                    ConfigError::File {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    }
                })?;
                let text = String::from_utf8(text).map_err(|_| ConfigError::File {
                    path: path.to_path_buf(),
                    reason: "not UTF-8".into(),
                })?;
                let parsed: File = toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
                (
                    parsed,
                    path.parent().map(Path::to_path_buf).unwrap_or_default(),
                )
            }
            None => (File::default(), PathBuf::new()),
        };
        let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let rel_all = |v: Vec<PathBuf>| v.into_iter().map(rel).collect::<Vec<_>>();
        // An empty variable is an empty list (QOLTANBA_CRL="" means no CRLs), not one empty path.
        let env_paths = |name: &str| {
            env(name).map(|v| {
                std::env::split_paths(&v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect::<Vec<PathBuf>>()
            })
        };

        let listen_text = env("QOLTANBA_LISTEN")
            .or(parsed.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = listen_text
            .parse()
            .map_err(|e| invalid("listen", format!("{listen_text:?}: {e}")))?;
        let data = env("QOLTANBA_DATA")
            .map(PathBuf::from)
            .or(parsed.data.map(rel))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));

        let mut signer = parsed.signer.map(|s| {
            let password = s
                .password_env
                .as_deref()
                .and_then(&env)
                .or_else(|| env("QOLTANBA_SIGNER_PASSWORD"));
            SignerPaths {
                key: rel(s.key),
                cert: s.cert.map(rel),
                chain: rel_all(s.chain),
                password,
            }
        });
        if let Some(key) = env("QOLTANBA_SIGNER_KEY") {
            signer = Some(SignerPaths {
                key: PathBuf::from(key),
                cert: None,
                chain: Vec::new(),
                password: env("QOLTANBA_SIGNER_PASSWORD"),
            });
        }
        if let Some(cert) = env("QOLTANBA_SIGNER_CERT") {
            match &mut signer {
                Some(s) => s.cert = Some(PathBuf::from(cert)),
                None => {
                    return Err(invalid(
                        "QOLTANBA_SIGNER_CERT",
                        "set with no signer key (QOLTANBA_SIGNER_KEY or signer.key)",
                    ))
                }
            }
        }

        let days_off = parsed
            .calendar
            .days_off
            .iter()
            .map(|d| date("calendar.days_off", d))
            .collect::<Result<_, _>>()?;
        let working_days = parsed
            .calendar
            .working_days
            .iter()
            .map(|d| date("calendar.working_days", d))
            .collect::<Result<_, _>>()?;
        let tokens = parsed
            .tokens
            .into_iter()
            .map(|t| {
                let role = TokenRole::parse(&t.role).ok_or_else(|| {
                    invalid("tokens.role", format!("{:?}: portal or operator", t.role))
                })?;
                if t.name.trim().is_empty() || t.name.len() > 100 {
                    return Err(invalid("tokens.name", "1-100 characters"));
                }
                Ok(ConfiguredToken {
                    sha256: sha256_hex(&format!("tokens.{}.sha256", t.name), &t.sha256)?,
                    name: t.name,
                    role,
                })
            })
            .collect::<Result<_, _>>()?;

        let config = ServiceConfig {
            listen,
            data,
            anchors: env_paths("QOLTANBA_TRUST").unwrap_or_else(|| rel_all(parsed.trust.anchors)),
            intermediates: env_paths("QOLTANBA_INTERMEDIATES")
                .unwrap_or_else(|| rel_all(parsed.trust.intermediates)),
            crls: env_paths("QOLTANBA_CRL").unwrap_or_else(|| rel_all(parsed.trust.crls)),
            signer,
            authority: parsed.provider.authority,
            place: parsed.provider.place,
            head: parsed.provider.head,
            head_position: parsed.provider.head_position,
            days_off,
            working_days,
            tokens,
        };
        match (config.anchors.is_empty(), config.signer.is_none()) {
            (true, false) => Err(ConfigError::Incomplete(
                "a configured signer needs configured trust anchors (trust.anchors)",
            )),
            (false, true) => Err(ConfigError::Incomplete(
                "configured trust anchors need the provider's signer (signer.key)",
            )),
            _ => Ok(config),
        }
    }

    /// Whether this is the embedded default (demo PKI and signer).
    pub fn is_demo(&self) -> bool {
        self.signer.is_none()
    }

    fn signer(&self) -> Result<CmsSigner, ConfigError> {
        let Some(paths) = &self.signer else {
            return crate::demo_pki::provider_signer().map_err(|e| invalid("signer", e));
        };
        let setting = |what: &str| format!("signer.{what} {}", paths.key.display());
        let data = crate::pki::load::read_limited(&paths.key, crate::pki::load::MAX_CERT_FILE)
            .map_err(|e| invalid(&setting("key"), e))?;
        let identity =
            crate::crypto::keyfile::read_signing_identity(&data, paths.password.as_deref())
                .map_err(|e| invalid(&setting("key"), e))?;
        let cert = match &paths.cert {
            Some(p) => Some(
                crate::pki::load::load_certificates(p)
                    .map_err(|e| invalid("signer.cert", e))?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        invalid("signer.cert", format!("{}: no certificate", p.display()))
                    })?,
            ),
            None => None,
        };
        let mut chain = Vec::new();
        for p in &paths.chain {
            chain.extend(
                crate::pki::load::load_certificates(p).map_err(|e| invalid("signer.chain", e))?,
            );
        }
        CmsSigner::from_identity(identity, cert, chain).map_err(|e| invalid(&setting("key"), e))
    }

    fn store(&self, signer: &CmsSigner) -> Result<TrustStore, ConfigError> {
        if self.anchors.is_empty() {
            return crate::demo_pki::default_store().map_err(|e| invalid("trust", e));
        }
        let mut builder = TrustStore::builder();
        for p in &self.anchors {
            for c in
                crate::pki::load::load_certificates(p).map_err(|e| invalid("trust.anchors", e))?
            {
                builder.add_anchor(c);
            }
        }
        for p in &self.intermediates {
            for c in crate::pki::load::load_certificates(p)
                .map_err(|e| invalid("trust.intermediates", e))?
            {
                builder.add_intermediate(c);
            }
        }
        for p in &self.crls {
            for der in crate::pki::load::load_crls(p).map_err(|e| invalid("trust.crls", e))? {
                builder
                    .add_crl_der(der)
                    .map_err(|e| invalid("trust.crls", format!("{}: {e}", p.display())))?;
            }
        }
        // Compact seals name their signer by key id: the verifier finds the certificate in the store.
        builder.add_intermediate(signer.certificate().clone());
        Ok(builder.build())
    }

    /// Loads the trust store and signer, checks that the signer's certificate verifies now (a provider whose
    /// documents would not verify must not start), and builds the service's state over `registry`.
    pub fn state(&self, registry: Arc<dyn Registry>, now: i64) -> Result<AppState, ConfigError> {
        let signer = self.signer()?;
        let store = self.store(&signer)?;
        let mut opts = VerifyOptions::at(now);
        opts.purpose = Purpose::Sign;
        let report = store.verify_certificate(signer.certificate(), &[], &opts);
        if !report.valid {
            let codes: Vec<&str> = report.codes.iter().map(|c| c.as_str()).collect();
            return Err(ConfigError::SignerUntrusted(codes.join(", ")));
        }
        let mut provider = Provider::from_signer(&signer);
        let set = |field: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                *field = v.clone();
            }
        };
        set(&mut provider.authority, &self.authority);
        set(&mut provider.place, &self.place);
        set(&mut provider.head, &self.head);
        set(&mut provider.head_position, &self.head_position);
        let calendar = WorkingCalendar::kazakhstan()
            .with_days_off(self.days_off.iter().copied())
            .with_working_days(self.working_days.iter().copied());
        let mut state = AppState::new(store, registry, signer);
        state.provider = Arc::new(provider);
        state.calendar = Arc::new(calendar);
        Ok(state)
    }

    /// Adds the configured tokens whose names the registry does not know yet. Returns how many were added.
    pub fn install_tokens(&self, registry: &dyn Registry) -> Result<usize, ConfigError> {
        let mut added = 0;
        for t in &self.tokens {
            if registry.token_by_hash(&t.sha256)?.is_some() {
                continue;
            }
            registry.add_token(&t.name, t.role, &t.sha256).map_err(|e| {
                invalid(
                    &format!("tokens.{}", t.name),
                    format!("cannot add it ({e}); a token of this name may exist with another hash: give a new token a new name"),
                )
            })?;
            added += 1;
        }
        Ok(added)
    }
}
