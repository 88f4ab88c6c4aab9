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

use super::{Limits, Node, ServeOptions};
use crate::cms::CmsSigner;
use crate::identity::{Bin, Role};
use crate::issuance::{Provider, WorkingCalendar};
use crate::pki::{Certificate, Purpose, TrustStore, VerifyOptions};
use crate::registry::{Registry, RegistryError, TokenRole};
use crate::seal::{IssuerRule, Issuers};

pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Largest configuration file read.
const MAX_CONFIG_FILE: u64 = 1024 * 1024;
pub(crate) const DEFAULT_DATA: &str = "data";

/// The environment variables read, with what they set.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("QOLTANBA_LISTEN", "listen address"),
    ("QOLTANBA_DATA", "data directory (registry.db)"),
    (
        "QOLTANBA_REGISTRY",
        "the registry: a PostgreSQL URL (postgres://user@host:port/db); unset: SQLite in the data directory",
    ),
    (
        "QOLTANBA_REGISTRY_PASSWORD",
        "the PostgreSQL registry's password (never in the configuration file)",
    ),
    (
        "QOLTANBA_NODE",
        "this node's name: its audit chain on a shared PostgreSQL registry (default: the host name)",
    ),
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
    (
        "QOLTANBA_OCSP",
        "OCSP responder URLs, separated by spaces (revocation.ocsp)",
    ),
    (
        "QOLTANBA_REVOCATION_SOURCE",
        "crl, ocsp, ocsp-then-crl or crl-then-ocsp (revocation.source)",
    ),
    (
        "QOLTANBA_CRL_URLS",
        "URLs of full CRLs kept fresh, separated by spaces (revocation.crls)",
    ),
    (
        "QOLTANBA_DELTA_CRL_URLS",
        "URLs of delta CRLs kept fresh, separated by spaces (revocation.delta_crls)",
    ),
];

/// Why the configuration cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// A configuration file cannot be read or parsed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A setting has an invalid value.
    #[error("{setting}: {reason}")]
    Invalid {
        /// The setting, as the file or the environment names it.
        setting: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// Trust and signer are configured together: …
    #[error("trust and signer are configured together: {0}")]
    Incomplete(&'static str),
    /// The signer's certificate does not verify against the configured trust store now (…); documents it seals would not verify.
    #[error("the signer's certificate does not verify against the configured trust store now ({0}); documents it seals would not verify")]
    SignerUntrusted(String),
    /// Opening or migrating the registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// Where the registry is.
#[derive(Clone, PartialEq, Eq)]
pub enum RegistryLocation {
    /// `registry.db` in the data directory: the embedded default, one node.
    Sqlite,
    /// A PostgreSQL database shared by any number of nodes.
    Postgres {
        /// The connection URL, without a password.
        url: String,
        /// The password, from `QOLTANBA_REGISTRY_PASSWORD`.
        password: Option<String>,
        /// This node's name: the audit chain its entries go to.
        node: String,
    },
}

impl std::fmt::Debug for RegistryLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryLocation::Sqlite => f.write_str("Sqlite"),
            RegistryLocation::Postgres {
                url,
                node,
                password,
            } => f
                .debug_struct("Postgres")
                .field("url", url)
                .field("node", node)
                .field("password", &password.as_ref().map(|_| "(set)"))
                .finish(),
        }
    }
}

/// Resolves the `registry` setting (from the file or `QOLTANBA_REGISTRY`, whichever `url` names), refusing a
/// password written into the file: passwords come from the environment only.
fn registry_location(
    url: Option<(String, &str)>,
    password: Option<String>,
    node: Option<String>,
) -> Result<RegistryLocation, ConfigError> {
    let Some((url, setting)) = url else {
        return Ok(RegistryLocation::Sqlite);
    };
    if url.is_empty() || url == "sqlite" {
        return Ok(RegistryLocation::Sqlite);
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(invalid(
            setting,
            "a PostgreSQL URL (postgres://user@host:port/database), or \"sqlite\" for the data directory",
        ));
    }
    let parsed: tokio_postgres::Config = url
        .parse()
        .map_err(|e| invalid(setting, format!("not a PostgreSQL URL: {e}")))?;
    if parsed.get_password().is_some() && setting == "registry" {
        return Err(invalid(
            setting,
            "the URL holds a password: put it in QOLTANBA_REGISTRY_PASSWORD, never in the file",
        ));
    }
    let node = node
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "node".to_string());
    if node.len() > 100 || node.chars().any(char::is_control) {
        return Err(invalid("node", "1-100 printable characters"));
    }
    Ok(RegistryLocation::Postgres {
        url,
        password,
        node,
    })
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
    registry: Option<String>,
    node: Option<String>,
    services: Option<PathBuf>,
    #[serde(default)]
    trust: TrustSection,
    signer: Option<SignerSection>,
    #[serde(default)]
    provider: ProviderSection,
    #[serde(default)]
    providers: Vec<ExtraProviderSection>,
    #[serde(default)]
    calendar: CalendarSection,
    #[serde(default)]
    tokens: Vec<TokenSection>,
    #[serde(default)]
    issuers: Vec<IssuerSection>,
    #[serde(default)]
    limits: LimitsSection,
    portal_signer: Option<SignerSection>,
    #[serde(default)]
    revocation: RevocationSection,
    #[serde(default)]
    attachments: AttachmentsSection,
    webhook: Option<WebhookSection>,
    #[serde(default)]
    ncanode: NcanodeSection,
    tsa: Option<TsaSection>,
    #[serde(default)]
    pades: PadesSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PadesSection {
    #[serde(default)]
    validation_data: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TsaSection {
    url: String,
    policy: Option<String>,
    timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NcanodeSection {
    access: Option<String>,
    listen: Option<String>,
    #[serde(default)]
    sign: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSection {
    url: String,
    timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentsSection {
    max_bytes: Option<u64>,
    max_request_bytes: Option<u64>,
    keep_unclaimed_hours: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationSection {
    scope: Option<String>,
    source: Option<String>,
    verify_source: Option<String>,
    applications_source: Option<String>,
    #[serde(default)]
    ocsp: Vec<String>,
    ocsp_from_aia: Option<bool>,
    ocsp_hash: Option<String>,
    ocsp_max_age_secs: Option<i64>,
    #[serde(default)]
    ocsp_trusted_responders: Vec<PathBuf>,
    #[serde(default)]
    crls: Vec<String>,
    #[serde(default)]
    delta_crls: Vec<String>,
    discover_crls: Option<bool>,
    crl_refresh_secs: Option<u64>,
    delta_refresh_secs: Option<u64>,
    retry_min_secs: Option<u64>,
    retry_max_secs: Option<u64>,
    connect_timeout_ms: Option<u64>,
    read_timeout_ms: Option<u64>,
    max_crl_bytes: Option<u64>,
    pending_deadline_hours: Option<u64>,
    reverify_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerSection {
    name: String,
    #[serde(default)]
    certificates: Vec<PathBuf>,
    bin: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    forms: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    max_connections: Option<usize>,
    io_threads: Option<usize>,
    body_limit: Option<usize>,
    public_body_limit: Option<usize>,
    inflight_body_bytes: Option<usize>,
    jobs: Option<usize>,
    public_jobs: Option<usize>,
    queue: Option<usize>,
    queue_wait_ms: Option<u64>,
    job_timeout_ms: Option<u64>,
    header_timeout_ms: Option<u64>,
    request_deadline_ms: Option<u64>,
    shutdown_grace_ms: Option<u64>,
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
    id: Option<String>,
    authority: Option<String>,
    place: Option<String>,
    head: Option<String>,
    head_position: Option<String>,
}

/// A further provider of the node (`[[providers]]`): its own signer, its own name and place.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtraProviderSection {
    id: String,
    authority: Option<String>,
    place: Option<String>,
    head: Option<String>,
    head_position: Option<String>,
    signer: SignerSection,
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
    provider: Option<String>,
}

/// Where the provider's key comes from.
#[derive(Debug, Clone)]
pub struct SignerPaths {
    /// The key file.
    pub key: PathBuf,
    /// The certificate file, when the key file holds none.
    pub cert: Option<PathBuf>,
    /// Intermediate CA certificates for the signer's path.
    pub chain: Vec<PathBuf>,
    /// The key file's password, read from the environment variable the file names.
    pub password: Option<String>,
}

/// A provider whose seals verification accepts (`[[issuers]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredIssuer {
    /// The issuer's name, as the audit log and reports print it.
    pub name: String,
    /// Its signers' certificates, authorised by name.
    pub certificates: Vec<PathBuf>,
    /// Its BIN: holders of `roles` in its certificates are authorised.
    pub bin: Option<Bin>,
    /// The roles it may sign with.
    pub roles: Vec<Role>,
    /// Form ids (or `family.*`) it may issue; empty: all.
    pub forms: Vec<String>,
}

/// A token listed in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredToken {
    /// A name for the token's holder (never the token itself).
    pub name: String,
    /// What it may do.
    pub role: TokenRole,
    /// SHA-256 of the token.
    pub sha256: [u8; 32],
    /// The provider an operator works for; `None`: every provider.
    pub provider: Option<String>,
}

/// A further provider of the node (`[[providers]]`).
#[derive(Debug, Clone)]
pub struct ConfiguredProvider {
    /// Its id: what applications (`provider`) and tokens name.
    pub id: String,
    /// Its authority name, printed on its documents (default: the organisation in its signer's certificate).
    pub authority: Option<String>,
    /// Where its documents are issued.
    pub place: Option<String>,
    /// Its authorised person's name.
    pub head: Option<String>,
    /// Its authorised person's position.
    pub head_position: Option<String>,
    /// Its authorised person's key.
    pub signer: SignerPaths,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Address the HTTP service listens on.
    pub listen: SocketAddr,
    /// Data directory (the SQLite registry, attachments).
    pub data: PathBuf,
    /// Where the registry is: SQLite in the data directory (the default) or a PostgreSQL database.
    pub registry: RegistryLocation,
    /// Trust anchor files or directories.
    pub anchors: Vec<PathBuf>,
    /// Intermediate CA files or directories.
    pub intermediates: Vec<PathBuf>,
    /// CRL files or directories.
    pub crls: Vec<PathBuf>,
    /// `None`: the embedded demo provider.
    pub signer: Option<SignerPaths>,
    /// The first provider's id (default `main`).
    pub provider_id: Option<String>,
    /// The provider's authority name, printed on documents.
    pub authority: Option<String>,
    /// Where documents are issued (a city).
    pub place: Option<String>,
    /// The authorised person's name.
    pub head: Option<String>,
    /// The authorised person's position.
    pub head_position: Option<String>,
    /// Extra days off (decrees) beyond weekends and holidays.
    pub days_off: Vec<time::Date>,
    /// Working days moved onto weekends by decree.
    pub working_days: Vec<time::Date>,
    /// Tokens created from the file (hashes only).
    pub tokens: Vec<ConfiguredToken>,
    /// Whose seals count; empty: the signer alone.
    pub issuers: Vec<ConfiguredIssuer>,
    /// Request and resource limits.
    pub limits: Limits,
    /// Client timeouts and the shutdown's grace period.
    pub serve: ServeOptions,
    /// The portal signing service's own key (`POST /v1/sign/cms`); `None`: the service is off.
    pub portal_signer: Option<SignerPaths>,
    /// How revocation is checked and kept fresh.
    pub revocation: RevocationConfig,
    /// Further providers, each with its own signer (`[[providers]]`).
    pub providers: Vec<ConfiguredProvider>,
    /// The limits of applications' attachments (`[attachments]`).
    pub attachments: super::AttachmentLimits,
    /// The portal's webhook URL and the timeout of one POST (`[webhook]`); `None`: off.
    pub webhook: Option<(String, std::time::Duration)>,
    /// Who may call NCANode's API (`[ncanode] access`); `None`: open when it listens on loopback alone (after
    /// `--listen`), else a portal token.
    pub ncanode_access: Option<super::NcanodeAccess>,
    /// Whether NCANode's signing endpoints sign with `[portal_signer]` (`[ncanode] sign`); they refuse otherwise.
    pub ncanode_signs: bool,
    /// A listener of its own for NCANode's API at NCANode's paths (`[ncanode] listen`, NCANode's port was 14579).
    pub ncanode_listen: Option<SocketAddr>,
    /// The provider's own service catalogue (`services`, a `services.json`), read and checked at load; `None`:
    /// the built-in one.
    pub services: Option<String>,
    /// The timestamp authority every signature of the node's signers is stamped by (`[tsa]`); `None`: no
    /// timestamps.
    pub tsa: Option<super::tsa::TsaSettings>,
    /// Whether issued PDFs carry the validation data of their signatures in a `/DSS` after the signature
    /// (`[pades] validation_data`, PAdES-B-LT); off by default.
    pub pades_validation_data: bool,
}

/// The `[revocation]` section, resolved.
#[derive(Debug, Clone)]
pub struct RevocationConfig {
    /// Which certificates of a path are checked for revocation: every one below the anchor (`chain`, the
    /// default), or the end entity only (`leaf`: for a PKI whose root publishes no list the service can reach).
    pub scope: crate::pki::RevocationMode,
    /// Source order for verifications (`/v1/verify/*`, documents, seals).
    pub verify: crate::pki::ocsp::RevocationSource,
    /// Source order for applicants' signatures on applications.
    pub applications: crate::pki::ocsp::RevocationSource,
    /// OCSP responders asked, in order (and its other settings).
    pub ocsp: crate::service::ocsp::OcspPolicy,
    /// Certificates of responders trusted to answer for any CA (RFC 6960 §4.2.2.2 (c)), as files.
    pub ocsp_trusted_responders: Vec<PathBuf>,
    /// CRL sources kept fresh by the service.
    pub crl_sources: Vec<crate::service::crls::CrlSource>,
    /// Also keep fresh the CRLs the configured CA certificates name (distribution points, freshestCRL).
    pub discover_crls: bool,
    /// When CRLs are fetched.
    pub schedule: crate::service::crls::CrlSchedule,
    /// How fetches are bounded.
    pub fetch: crate::service::fetch::FetchPolicy,
    /// How long an application whose EDS could not be checked (revocation unknown) waits for a definite answer
    /// before it is refused.
    pub pending_deadline: std::time::Duration,
    /// How often applications in `verificationPending` are verified again.
    pub reverify_every: std::time::Duration,
}

impl Default for RevocationConfig {
    fn default() -> Self {
        RevocationConfig {
            scope: crate::pki::RevocationMode::All,
            verify: Default::default(),
            applications: Default::default(),
            ocsp: crate::service::ocsp::OcspPolicy {
                use_aia: false,
                ..Default::default()
            },
            ocsp_trusted_responders: Vec::new(),
            crl_sources: Vec::new(),
            discover_crls: false,
            schedule: Default::default(),
            fetch: Default::default(),
            pending_deadline: std::time::Duration::from_secs(DEFAULT_PENDING_HOURS * 3600),
            reverify_every: std::time::Duration::from_secs(60),
        }
    }
}

/// How long an application waits for a definite revocation answer by default: three days.
pub(crate) const DEFAULT_PENDING_HOURS: u64 = 72;

fn url_list(setting: &str, urls: Vec<String>) -> Result<Vec<String>, ConfigError> {
    for u in &urls {
        let lower = u.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) || u.len() > 2048 {
            return Err(invalid(setting, format!("{u:?}: an http or https URL")));
        }
    }
    Ok(urls)
}

fn source_named(
    setting: &str,
    name: &str,
) -> Result<crate::pki::ocsp::RevocationSource, ConfigError> {
    crate::pki::ocsp::RevocationSource::parse(name).ok_or_else(|| {
        invalid(
            setting,
            format!("{name:?}: crl, ocsp, ocsp-then-crl or crl-then-ocsp"),
        )
    })
}

fn revocation_config(
    section: RevocationSection,
    env: &impl Fn(&str) -> Option<String>,
    rel: impl Fn(PathBuf) -> PathBuf,
) -> Result<RevocationConfig, ConfigError> {
    use std::time::Duration;
    let words = |v: String| -> Vec<String> { v.split_whitespace().map(str::to_string).collect() };
    let ocsp = url_list(
        "revocation.ocsp",
        env("QOLTANBA_OCSP").map(words).unwrap_or(section.ocsp),
    )?;
    let crls = url_list(
        "revocation.crls",
        env("QOLTANBA_CRL_URLS").map(words).unwrap_or(section.crls),
    )?;
    let deltas = url_list(
        "revocation.delta_crls",
        env("QOLTANBA_DELTA_CRL_URLS")
            .map(words)
            .unwrap_or(section.delta_crls),
    )?;
    let use_aia = section.ocsp_from_aia.unwrap_or(false);
    // With a responder to ask, OCSP first and CRLs when it gives nothing usable; without one, CRLs.
    let default_source = if ocsp.is_empty() && !use_aia {
        crate::pki::ocsp::RevocationSource::Crl
    } else {
        crate::pki::ocsp::RevocationSource::OcspThenCrl
    };
    let source = match env("QOLTANBA_REVOCATION_SOURCE").or(section.source) {
        Some(name) => source_named("revocation.source", &name)?,
        None => default_source,
    };
    let scope = match env("QOLTANBA_REVOCATION_SCOPE")
        .or(section.scope)
        .as_deref()
    {
        None | Some("chain") => crate::pki::RevocationMode::All,
        Some("leaf") => crate::pki::RevocationMode::Leaf,
        Some(other) => {
            return Err(invalid(
                "revocation.scope",
                format!("{other:?}: chain (every certificate below the anchor) or leaf (the end entity only)"),
            ))
        }
    };
    let verify = match section.verify_source {
        Some(name) => source_named("revocation.verify_source", &name)?,
        None => source,
    };
    let applications = match section.applications_source {
        Some(name) => source_named("revocation.applications_source", &name)?,
        None => source,
    };
    if (verify.uses_ocsp() || applications.uses_ocsp()) && ocsp.is_empty() && !use_aia {
        return Err(invalid(
            "revocation.source",
            "OCSP is asked for but no responder is configured (revocation.ocsp) and ocsp_from_aia is off",
        ));
    }
    let hash = match section.ocsp_hash.as_deref() {
        None | Some("sha256") => crate::pki::ocsp::CertIdHash::Sha256,
        Some("sha1") => crate::pki::ocsp::CertIdHash::Sha1,
        Some(other) => {
            return Err(invalid(
                "revocation.ocsp_hash",
                format!("{other:?}: sha256 or sha1"),
            ))
        }
    };
    let defaults = RevocationConfig::default();
    let secs = |v: Option<u64>, d: Duration, setting: &str| -> Result<Duration, ConfigError> {
        match v {
            Some(0) => Err(invalid(setting, "must be above 0")),
            Some(s) => Ok(Duration::from_secs(s)),
            None => Ok(d),
        }
    };
    let mut schedule = defaults.schedule.clone();
    for (value, field, setting) in [
        (
            section.crl_refresh_secs,
            &mut schedule.full_every,
            "revocation.crl_refresh_secs",
        ),
        (
            section.delta_refresh_secs,
            &mut schedule.delta_every,
            "revocation.delta_refresh_secs",
        ),
        (
            section.retry_min_secs,
            &mut schedule.retry_min,
            "revocation.retry_min_secs",
        ),
        (
            section.retry_max_secs,
            &mut schedule.retry_max,
            "revocation.retry_max_secs",
        ),
    ] {
        *field = secs(value, *field, setting)?;
    }
    schedule.retry_max = schedule.retry_max.max(schedule.retry_min);
    let mut fetch = defaults.fetch.clone();
    if let Some(ms) = section.connect_timeout_ms {
        fetch.connect_timeout = Duration::from_millis(ms.max(1));
    }
    if let Some(ms) = section.read_timeout_ms {
        fetch.read_timeout = Duration::from_millis(ms.max(1));
    }
    if let Some(b) = section.max_crl_bytes {
        if b < 1024 {
            return Err(invalid("revocation.max_crl_bytes", "at least 1024"));
        }
        fetch.max_bytes = b;
    }
    let max_age_secs = match section.ocsp_max_age_secs {
        Some(s) if s <= 0 => {
            return Err(invalid("revocation.ocsp_max_age_secs", "must be above 0"))
        }
        Some(s) => s,
        None => defaults.ocsp.max_age_secs,
    };
    let pending_hours = section
        .pending_deadline_hours
        .unwrap_or(DEFAULT_PENDING_HOURS);
    if pending_hours > 24 * 90 {
        return Err(invalid(
            "revocation.pending_deadline_hours",
            "at most 2160 (90 days)",
        ));
    }
    Ok(RevocationConfig {
        scope,
        verify,
        applications,
        ocsp: crate::service::ocsp::OcspPolicy {
            responders: ocsp,
            use_aia,
            hash,
            max_age_secs,
            ..defaults.ocsp
        },
        ocsp_trusted_responders: section
            .ocsp_trusted_responders
            .into_iter()
            .map(rel)
            .collect(),
        crl_sources: crls
            .into_iter()
            .map(|url| crate::service::crls::CrlSource { url, delta: false })
            .chain(
                deltas
                    .into_iter()
                    .map(|url| crate::service::crls::CrlSource { url, delta: true }),
            )
            .collect(),
        discover_crls: section.discover_crls.unwrap_or(false),
        schedule,
        fetch,
        pending_deadline: Duration::from_secs(pending_hours * 3600),
        reverify_every: secs(
            section.reverify_secs,
            defaults.reverify_every,
            "revocation.reverify_secs",
        )?,
    })
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

/// Loads a signing identity (`setting` names it in errors).
fn load_signer(setting: &str, paths: &SignerPaths) -> Result<CmsSigner, ConfigError> {
    let key_setting = format!("{setting}.key {}", paths.key.display());
    let data = crate::pki::load::read_limited(&paths.key, crate::pki::load::MAX_CERT_FILE)
        .map_err(|e| invalid(&key_setting, e))?;
    let identity = crate::credentials::read_signing_identity(&data, paths.password.as_deref())
        .map_err(|e| invalid(&key_setting, e))?;
    let cert = match &paths.cert {
        Some(p) => Some(
            crate::pki::load::load_certificates(p)
                .map_err(|e| invalid(&format!("{setting}.cert"), e))?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    invalid(
                        &format!("{setting}.cert"),
                        format!("{}: no certificate", p.display()),
                    )
                })?,
        ),
        None => None,
    };
    let mut chain = Vec::new();
    for p in &paths.chain {
        chain.extend(
            crate::pki::load::load_certificates(p)
                .map_err(|e| invalid(&format!("{setting}.chain"), e))?,
        );
    }
    CmsSigner::from_identity(identity, cert, chain).map_err(|e| invalid(&key_setting, e))
}

impl ServiceConfig {
    /// Reads `file` (if any), then applies the variables `env` returns (`std::env::var` in the binary).
    /// Relative paths in the file are relative to the file's directory.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ServiceConfig, ConfigError> {
        let Some(path) = file else {
            return Self::resolve(File::default(), PathBuf::new(), env);
        };
        let bad = |reason: String| ConfigError::File {
            path: path.to_path_buf(),
            reason,
        };
        let text = crate::pki::load::read_limited(path, MAX_CONFIG_FILE)
            .map_err(|e| bad(e.to_string()))?;
        let text = String::from_utf8(text).map_err(|_| bad("not UTF-8".into()))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::from_toml(&text, &base, env).map_err(|e| match e {
            ConfigError::File { reason, .. } => bad(reason),
            e => e,
        })
    }

    /// Parses configuration text (relative paths are relative to `base`), then applies the variables `env`
    /// returns. Reads no file.
    pub fn from_toml(
        text: &str,
        base: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ServiceConfig, ConfigError> {
        let parsed: File = toml::from_str(text).map_err(|e| ConfigError::File {
            path: base.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::resolve(parsed, base.to_path_buf(), env)
    }

    fn resolve(
        parsed: File,
        base: PathBuf,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ServiceConfig, ConfigError> {
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
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|e| invalid("listen", format!("{listen_text:?}: {e}")))?;
        let data = env("QOLTANBA_DATA")
            .map(PathBuf::from)
            .or(parsed.data.map(rel))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));

        let registry = registry_location(
            env("QOLTANBA_REGISTRY")
                .map(|u| (u, "QOLTANBA_REGISTRY"))
                .or(parsed.registry.map(|u| (u, "registry"))),
            env("QOLTANBA_REGISTRY_PASSWORD"),
            env("QOLTANBA_NODE").or(parsed.node),
        )?;

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
                    provider: t.provider,
                })
            })
            .collect::<Result<_, _>>()?;

        let issuers = parsed
            .issuers
            .into_iter()
            .map(|i| {
                let setting = format!("issuers.{}", i.name);
                if i.name.trim().is_empty() || i.name.len() > 200 {
                    return Err(invalid("issuers.name", "1-200 characters"));
                }
                if i.certificates.is_empty() && i.bin.is_none() {
                    return Err(invalid(&setting, "give certificates, a bin, or both"));
                }
                let bin = i
                    .bin
                    .as_deref()
                    .map(Bin::parse)
                    .transpose()
                    .map_err(|e| invalid(&format!("{setting}.bin"), e))?;
                let roles = i
                    .roles
                    .iter()
                    .map(|r| {
                        Role::parse(r).ok_or_else(|| {
                            invalid(
                                &format!("{setting}.roles"),
                                format!("{r:?} is not a role (first-head, right-to-sign, ...)"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if !roles.is_empty() && bin.is_none() {
                    return Err(invalid(
                        &format!("{setting}.roles"),
                        "roles need the provider's bin",
                    ));
                }
                Ok(ConfiguredIssuer {
                    name: i.name,
                    certificates: rel_all(i.certificates),
                    bin,
                    roles,
                    forms: i.forms,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let defaults = Limits::default();
        let l = parsed.limits;
        let limits = Limits {
            max_connections: l.max_connections.unwrap_or(defaults.max_connections),
            io_threads: l.io_threads.unwrap_or(defaults.io_threads),
            body_limit: l.body_limit.unwrap_or(defaults.body_limit),
            public_body_limit: l.public_body_limit.unwrap_or(defaults.public_body_limit),
            inflight_body_bytes: l
                .inflight_body_bytes
                .unwrap_or(defaults.inflight_body_bytes),
            jobs: l.jobs.unwrap_or(defaults.jobs),
            public_jobs: l.public_jobs.unwrap_or(defaults.public_jobs),
            queue: l.queue.unwrap_or(defaults.queue),
            queue_wait: l
                .queue_wait_ms
                .map_or(defaults.queue_wait, std::time::Duration::from_millis),
            job_timeout: l
                .job_timeout_ms
                .map_or(defaults.job_timeout, std::time::Duration::from_millis),
        };
        let serve_defaults = ServeOptions::default();
        let ms = std::time::Duration::from_millis;
        let serve = ServeOptions {
            header_read_timeout: l
                .header_timeout_ms
                .map_or(serve_defaults.header_read_timeout, ms),
            request_deadline: l
                .request_deadline_ms
                .map_or(serve_defaults.request_deadline, ms),
            shutdown_grace: l
                .shutdown_grace_ms
                .map_or(serve_defaults.shutdown_grace, ms),
        };
        if limits.max_connections == 0
            || limits.io_threads == 0
            || limits.jobs == 0
            || limits.public_jobs == 0
        {
            return Err(invalid(
                "limits",
                "connections, I/O threads and jobs must be at least 1",
            ));
        }
        let needed = crate::document::MAX_ISSUED_PDF.div_ceil(3) * 4 + 1024;
        if limits.public_body_limit < needed {
            return Err(invalid(
                "limits.public_body_limit",
                format!("at least {needed} bytes, so any issued document (base64) can be verified"),
            ));
        }
        if limits.body_limit < limits.public_body_limit
            || limits.inflight_body_bytes < limits.body_limit
        {
            return Err(invalid(
                "limits",
                "public_body_limit <= body_limit <= inflight_body_bytes",
            ));
        }
        let portal_signer = parsed.portal_signer.map(|s| {
            let password = s.password_env.as_deref().and_then(&env);
            SignerPaths {
                key: rel(s.key),
                cert: s.cert.map(rel),
                chain: rel_all(s.chain),
                password,
            }
        });

        let revocation = revocation_config(parsed.revocation, &env, rel)?;
        let providers: Vec<ConfiguredProvider> = parsed
            .providers
            .into_iter()
            .map(|p| {
                let password = p.signer.password_env.as_deref().and_then(&env);
                ConfiguredProvider {
                    id: p.id,
                    authority: p.authority,
                    place: p.place,
                    head: p.head,
                    head_position: p.head_position,
                    signer: SignerPaths {
                        key: rel(p.signer.key),
                        cert: p.signer.cert.map(rel),
                        chain: rel_all(p.signer.chain),
                        password,
                    },
                }
            })
            .collect();
        let mut attachments = super::AttachmentLimits::default();
        let a = &parsed.attachments;
        if let Some(v) = a.max_bytes {
            attachments.max_bytes = v;
        }
        if let Some(v) = a.max_request_bytes {
            attachments.max_request_bytes = v;
        }
        if let Some(v) = a.keep_unclaimed_hours {
            attachments.keep_unclaimed_secs = v.saturating_mul(3600);
        }
        if attachments.max_bytes == 0 || attachments.max_request_bytes < attachments.max_bytes {
            return Err(invalid("attachments", "0 < max_bytes <= max_request_bytes"));
        }
        if !(1..=24 * 30).contains(&(attachments.keep_unclaimed_secs / 3600)) {
            return Err(invalid("attachments.keep_unclaimed_hours", "1–720"));
        }
        let webhook = match parsed.webhook {
            Some(w) => {
                let timeout = std::time::Duration::from_millis(w.timeout_ms.unwrap_or(10_000));
                if timeout.is_zero() || timeout > std::time::Duration::from_secs(120) {
                    return Err(invalid("webhook.timeout_ms", "1–120000"));
                }
                super::Webhook::new(&w.url, timeout).map_err(|e| invalid("webhook.url", e))?;
                Some((w.url, timeout))
            }
            None => None,
        };
        let tsa = match parsed.tsa {
            Some(t) => {
                let timeout = std::time::Duration::from_millis(t.timeout_ms.unwrap_or(10_000));
                if timeout.is_zero() || timeout > std::time::Duration::from_secs(120) {
                    return Err(invalid("tsa.timeout_ms", "1–120000"));
                }
                if let Some(p) = &t.policy {
                    der::asn1::ObjectIdentifier::new(p)
                        .map_err(|_| invalid("tsa.policy", "a dotted object identifier"))?;
                }
                if !(t.url.starts_with("http://") || t.url.starts_with("https://")) {
                    return Err(invalid("tsa.url", "an http or https URL"));
                }
                Some(super::tsa::TsaSettings {
                    url: t.url,
                    policy: t.policy,
                    timeout,
                })
            }
            None => None,
        };
        let services = match parsed.services.map(rel) {
            Some(path) => {
                let bytes = crate::pki::load::read_limited(&path, 4 * 1024 * 1024)
                    .map_err(|e| invalid("services", format!("{}: {e}", path.display())))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| invalid("services", format!("{}: not UTF-8", path.display())))?;
                crate::issuance::catalogue::Catalogue::parse(&text)
                    .map_err(|e| invalid("services", format!("{}: {e}", path.display())))?;
                Some(text)
            }
            None => None,
        };
        let ncanode_listen = parsed
            .ncanode
            .listen
            .as_deref()
            .map(|l| {
                l.parse::<SocketAddr>()
                    .map_err(|e| invalid("ncanode.listen", e))
            })
            .transpose()?;
        let ncanode_access = match parsed.ncanode.access.as_deref() {
            None => None,
            Some("open") => Some(super::NcanodeAccess::Open),
            Some("token") => Some(super::NcanodeAccess::Token),
            Some(other) => {
                return Err(invalid(
                    "ncanode.access",
                    format!("{other:?}: open or token"),
                ))
            }
        };
        let first_id = parsed
            .provider
            .id
            .clone()
            .unwrap_or_else(|| super::DEFAULT_OFFICE.to_string());
        for t in &tokens {
            let t: &ConfiguredToken = t;
            if let Some(p) = &t.provider {
                if *p != first_id && !providers.iter().any(|c| c.id == *p) {
                    return Err(invalid(
                        &format!("tokens.{}.provider", t.name),
                        format!("{p:?} is neither [provider].id nor a [[providers]] id"),
                    ));
                }
            }
        }
        let config = ServiceConfig {
            revocation,
            listen,
            data,
            registry,
            anchors: env_paths("QOLTANBA_TRUST").unwrap_or_else(|| rel_all(parsed.trust.anchors)),
            intermediates: env_paths("QOLTANBA_INTERMEDIATES")
                .unwrap_or_else(|| rel_all(parsed.trust.intermediates)),
            crls: env_paths("QOLTANBA_CRL").unwrap_or_else(|| rel_all(parsed.trust.crls)),
            signer,
            provider_id: parsed.provider.id,
            authority: parsed.provider.authority,
            place: parsed.provider.place,
            head: parsed.provider.head,
            head_position: parsed.provider.head_position,
            days_off,
            working_days,
            tokens,
            issuers,
            limits,
            serve,
            portal_signer,
            providers,
            attachments,
            webhook,
            tsa,
            pades_validation_data: parsed.pades.validation_data,
            services,
            ncanode_access,
            ncanode_listen,
            ncanode_signs: parsed.ncanode.sign,
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

    /// The configured timestamp authority (`[tsa]`), its tokens checked against `store` with the node's revocation
    /// sources.
    fn timestamper(
        &self,
        store: &Arc<TrustStore>,
        revocation: &Arc<super::RevocationPolicy>,
    ) -> Result<Option<Arc<dyn crate::cms::Timestamper>>, ConfigError> {
        self.tsa
            .as_ref()
            .map(|t| {
                let policy = revocation.clone();
                super::tsa::TsaClient::new(t.clone(), store.clone())
                    .map(|c| {
                        Arc::new(c.with_options(move |at| {
                            let mut opts = VerifyOptions::at_time(at);
                            policy.apply(&mut opts, super::CheckFor::Verify);
                            opts
                        })) as Arc<dyn crate::cms::Timestamper>
                    })
                    .map_err(|e| invalid("tsa", e))
            })
            .transpose()
    }

    /// The provider's signer for issuing outside the service (`qoltanba issue --config`): its certificate checked
    /// now against the configured trust, as a node checks it at start, and stamped by the configured TSA.
    pub fn issuing_signer(&self, now: i64) -> Result<CmsSigner, ConfigError> {
        let signer = self.signer()?;
        let store = Arc::new(self.store(std::slice::from_ref(signer.certificate()))?);
        let mut opts = VerifyOptions::at(now);
        opts.purpose = Purpose::Sign;
        opts.revocation = self.revocation.scope;
        let report = store.verify_certificate(signer.certificate(), &[], &opts);
        if !report.valid {
            let codes: Vec<&str> = report.codes.iter().map(|c| c.as_str()).collect();
            return Err(ConfigError::SignerUntrusted(codes.join(", ")));
        }
        let revocation = Arc::new(self.revocation_policy(&store)?);
        let tsa = self.timestamper(&store, &revocation)?;
        Ok(self.long_term(signer, tsa, &store, &revocation))
    }

    /// `signer` with what `[tsa]` and `[pades]` add to its signatures: the TSA's token, the validation data.
    fn long_term(
        &self,
        signer: CmsSigner,
        tsa: Option<Arc<dyn crate::cms::Timestamper>>,
        store: &Arc<TrustStore>,
        revocation: &Arc<super::RevocationPolicy>,
    ) -> CmsSigner {
        let signer = match tsa {
            Some(t) => signer.with_timestamper(t),
            None => signer,
        };
        if self.pades_validation_data {
            // Revocation as the node checks it for verifications: its CRLs, and its OCSP responders' answers.
            let policy = revocation.clone();
            signer.with_validation_data(Arc::new(crate::cms::StoreValidationData::new(
                store.clone(),
                move |at| {
                    let mut opts = VerifyOptions::at_time(at);
                    policy.apply(&mut opts, super::CheckFor::Verify);
                    opts
                },
            )))
        } else {
            signer
        }
    }

    /// Whether this is the embedded default (demo PKI and signer).
    pub fn is_demo(&self) -> bool {
        self.signer.is_none()
    }

    fn signer(&self) -> Result<CmsSigner, ConfigError> {
        match &self.signer {
            None => crate::demo_pki::provider_signer().map_err(|e| invalid("signer", e)),
            Some(paths) => load_signer("signer", paths),
        }
    }

    /// The issuers' pinned certificates, loaded.
    fn issuer_certificates(&self) -> Result<Vec<Vec<Certificate>>, ConfigError> {
        self.issuers
            .iter()
            .map(|i| {
                let mut certs = Vec::new();
                for p in &i.certificates {
                    certs.extend(
                        crate::pki::load::load_certificates(p)
                            .map_err(|e| invalid(&format!("issuers.{}", i.name), e))?,
                    );
                }
                Ok(certs)
            })
            .collect()
    }

    /// Whose seals count: the configured `[[issuers]]`, else the signer alone (named as the provider's authority).
    fn issuers(
        &self,
        signer: Option<&Certificate>,
        authority: &str,
    ) -> Result<Issuers, ConfigError> {
        if self.is_demo() && self.issuers.is_empty() {
            return crate::demo_pki::issuers().map_err(|e| invalid("issuers", e));
        }
        if self.issuers.is_empty() {
            let cert = signer.ok_or(ConfigError::Incomplete(
                "verification needs the issuers: list [[issuers]], or give signer.cert",
            ))?;
            return Ok(Issuers::new(vec![IssuerRule::certificate(authority, cert)]));
        }
        let certificates = self.issuer_certificates()?;
        Ok(Issuers::new(
            self.issuers
                .iter()
                .zip(certificates)
                .map(|(i, certs)| {
                    let mut rule = match i.bin {
                        Some(bin) => IssuerRule::organisation(i.name.clone(), bin, i.roles.clone()),
                        None => IssuerRule {
                            name: i.name.clone(),
                            certificates: Vec::new(),
                            bin: None,
                            roles: Vec::new(),
                            forms: Vec::new(),
                        },
                    };
                    rule.certificates = certs.iter().map(|c| c.fingerprint).collect();
                    rule.for_forms(i.forms.clone())
                })
                .collect(),
        ))
    }

    /// What `verify-seal` and `verify-document` check against when given this configuration: the trust store and
    /// the issuers, without the signer's key (an auditor has no password). The signer's certificate comes from
    /// `signer.cert` when the issuers are not listed.
    pub fn verification(&self) -> Result<(TrustStore, Issuers), ConfigError> {
        if self.is_demo() {
            let store = crate::demo_pki::default_store().map_err(|e| invalid("trust", e))?;
            return Ok((store, self.issuers(None, "")?));
        }
        let signer_cert = match self.signer.as_ref().and_then(|s| s.cert.as_ref()) {
            Some(p) => crate::pki::load::load_certificates(p)
                .map_err(|e| invalid("signer.cert", e))?
                .into_iter()
                .next(),
            None => None,
        };
        let mut extra: Vec<Certificate> = signer_cert.iter().cloned().collect();
        let name = signer_cert
            .as_ref()
            .and_then(|c| c.profile.organization.clone())
            .unwrap_or_else(|| "the configured provider".into());
        let mut issuers = self.issuers(signer_cert.as_ref(), &name)?;
        // The further providers' signers, by their certificates (`[[providers]]` with `signer.cert`).
        for p in &self.providers {
            let Some(path) = &p.signer.cert else { continue };
            let setting = format!("providers.{}.signer.cert", p.id);
            let cert = crate::pki::load::load_certificates(path)
                .map_err(|e| invalid(&setting, e))?
                .into_iter()
                .next()
                .ok_or_else(|| invalid(&setting, "no certificate"))?;
            if self.issuers.is_empty() {
                let name = p
                    .authority
                    .clone()
                    .or_else(|| cert.profile.organization.clone())
                    .unwrap_or_else(|| p.id.clone());
                issuers = issuers.with_rule(IssuerRule::certificate(name, &cert));
            }
            extra.push(cert);
        }
        let store = self.store(&extra)?;
        Ok((store, issuers))
    }

    /// The trust store, with `extra` (the signer's certificate) and the issuers' pinned certificates among the
    /// intermediates: compact seals name their signer by key id, and the verifier finds the certificate here.
    fn store(&self, extra: &[Certificate]) -> Result<TrustStore, ConfigError> {
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
        for c in extra
            .iter()
            .cloned()
            .chain(self.issuer_certificates()?.into_iter().flatten())
        {
            builder.add_intermediate(c);
        }
        Ok(builder.build())
    }

    /// Loads the trust store and signer, checks that the signer's certificate verifies now (a provider whose
    /// documents would not verify must not start), and builds the service over `registry`.
    pub fn node(&self, registry: Arc<dyn Registry>, now: i64) -> Result<Node, ConfigError> {
        let signer = self.signer()?;
        let extra_signers = self
            .providers
            .iter()
            .map(|p| load_signer(&format!("providers.{}.signer", p.id), &p.signer))
            .collect::<Result<Vec<_>, _>>()?;
        let signer_certs: Vec<Certificate> = std::iter::once(&signer)
            .chain(&extra_signers)
            .map(|s| s.certificate().clone())
            .collect();
        let store = Arc::new(self.store(&signer_certs)?);
        let mut opts = VerifyOptions::at(now);
        opts.purpose = Purpose::Sign;
        opts.revocation = self.revocation.scope;
        for (i, cert) in signer_certs.iter().enumerate() {
            let report = store.verify_certificate(cert, &[], &opts);
            if !report.valid {
                let codes: Vec<&str> = report.codes.iter().map(|c| c.as_str()).collect();
                let whose = match i.checked_sub(1).and_then(|i| self.providers.get(i)) {
                    Some(p) => format!("provider {}: ", p.id),
                    None => String::new(),
                };
                return Err(ConfigError::SignerUntrusted(format!(
                    "{whose}{}",
                    codes.join(", ")
                )));
            }
        }
        let set = |field: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                *field = v.clone();
            }
        };
        let mut provider = Provider::from_signer(&signer);
        set(&mut provider.authority, &self.authority);
        set(&mut provider.place, &self.place);
        set(&mut provider.head, &self.head);
        set(&mut provider.head_position, &self.head_position);
        let calendar = WorkingCalendar::kazakhstan()
            .with_days_off(self.days_off.iter().copied())
            .with_working_days(self.working_days.iter().copied());
        let mut issuers = self.issuers(Some(signer.certificate()), &provider.authority)?;
        let first_id = self.provider_id.as_deref().unwrap_or(super::DEFAULT_OFFICE);
        let revocation = Arc::new(self.revocation_policy(&store)?);
        let tsa = self.timestamper(&store, &revocation)?;
        let stamped = |s: CmsSigner| self.long_term(s, tsa.clone(), &store, &revocation);
        let signer = Arc::new(stamped(signer));
        let mut offices = super::Offices::one(first_id, Arc::new(provider), signer.clone())
            .map_err(|e| invalid("provider.id", e))?;
        for (p, s) in self.providers.iter().zip(extra_signers) {
            let mut details = Provider::from_signer(&s);
            set(&mut details.authority, &p.authority);
            set(&mut details.place, &p.place);
            set(&mut details.head, &p.head);
            set(&mut details.head_position, &p.head_position);
            if self.issuers.is_empty() {
                // No [[issuers]] listed: each provider's signer is an issuer under its provider's name.
                issuers = issuers.with_rule(IssuerRule::certificate(
                    details.authority.clone(),
                    s.certificate(),
                ));
            }
            offices = offices
                .with(super::Office {
                    id: p.id.clone(),
                    provider: Arc::new(details),
                    signer: Arc::new(stamped(s)),
                })
                .map_err(|e| invalid(&format!("providers.{}", p.id), e))?;
        }
        for office in offices.iter() {
            if issuers
                .check(office.signer.certificate(), "refusal")
                .is_err()
            {
                return Err(ConfigError::Invalid {
                    setting: "issuers".into(),
                    reason: format!(
                        "the signer of provider {} is not among the issuers: documents it seals would not verify",
                        office.id
                    ),
                });
            }
        }
        let portal_signer = match &self.portal_signer {
            Some(paths) => {
                let s = load_signer("portal_signer", paths)?;
                if s.certificate().public_key.key == signer.certificate().public_key.key {
                    return Err(invalid(
                        "portal_signer",
                        "must be a key of its own, never the provider's signer",
                    ));
                }
                if issuers.check(s.certificate(), "refusal").is_ok() {
                    return Err(invalid(
                        "portal_signer",
                        "its certificate is an authorised issuer: it could seal documents",
                    ));
                }
                Some(Arc::new(stamped(s)))
            }
            None => None,
        };
        let mut service = Node::new(store, registry, signer)?.with_offices(offices);
        service.revocation = revocation;
        let loopback_only = self.listen.ip().is_loopback()
            && self.ncanode_listen.is_none_or(|a| a.ip().is_loopback());
        if self.ncanode_signs && self.portal_signer.is_none() {
            return Err(invalid(
                "ncanode.sign",
                "signs with the portal signing key: configure [portal_signer] (never the provider's key)",
            ));
        }
        service.ncanode_signs = self.ncanode_signs;
        service.ncanode_access = self.ncanode_access.unwrap_or(if loopback_only {
            super::NcanodeAccess::Open
        } else {
            super::NcanodeAccess::Token
        });
        service.webhook = match &self.webhook {
            Some((url, timeout)) => Some(Arc::new(
                super::Webhook::new(url, *timeout).map_err(|e| invalid("webhook.url", e))?,
            )),
            None => None,
        };
        service.attachments = Arc::new(
            super::AttachmentStore::open(&self.data.join("attachments"), self.attachments)
                .map_err(|e| invalid("data", format!("attachments: {e}")))?,
        );
        service.calendar = Arc::new(calendar);
        service.issuers = Arc::new(issuers);
        service.portal_signer = portal_signer;
        Ok(service)
    }

    /// The revocation policy and its live parts over `store`: the OCSP client when OCSP is used, the CRL
    /// refresher (not started: see [`crate::service::crls::CrlRefresher::spawn`]) when there are CRL sources,
    /// with its disk cache in the data directory.
    pub fn revocation_policy(
        &self,
        store: &Arc<TrustStore>,
    ) -> Result<super::RevocationPolicy, ConfigError> {
        let r = &self.revocation;
        let metrics = Arc::new(super::metrics::Metrics::default());
        let mut trusted = Vec::new();
        for p in &r.ocsp_trusted_responders {
            trusted.extend(
                crate::pki::load::load_certificates(p)
                    .map_err(|e| invalid("revocation.ocsp_trusted_responders", e))?,
            );
        }
        let ocsp = (r.verify.uses_ocsp() || r.applications.uses_ocsp()).then(|| {
            let client = super::ocsp::OcspClient::new(
                super::fetch::Fetcher::new(r.fetch.clone()),
                r.ocsp.clone(),
            )
            .with_metrics(metrics.clone())
            .with_store(store.clone())
            .with_trusted_responders(trusted);
            Arc::new(client)
        });
        let mut sources = r.crl_sources.clone();
        if r.discover_crls {
            for s in super::crls::CrlRefresher::discover(store) {
                if !sources.iter().any(|c| c.url == s.url) {
                    sources.push(s);
                }
            }
        }
        let crls = (!sources.is_empty()).then(|| {
            Arc::new(super::crls::CrlRefresher::new(
                store.clone(),
                super::fetch::Fetcher::new(r.fetch.clone()),
                sources,
                r.schedule.clone(),
                Some(self.data.join("crls")),
                metrics.clone(),
            ))
        });
        Ok(super::RevocationPolicy {
            scope: r.scope,
            verify: r.verify,
            applications: r.applications,
            ocsp,
            crls,
            metrics,
            pending_deadline_secs: r.pending_deadline.as_secs() as i64,
            reverify_every: r.reverify_every,
        })
    }

    /// Adds the configured tokens whose names the registry does not know yet, as created at `at`. Returns how
    /// many were added.
    pub fn install_tokens(&self, registry: &dyn Registry, at: i64) -> Result<usize, ConfigError> {
        let mut added = 0;
        for t in &self.tokens {
            if registry.token_by_hash(&t.sha256)?.is_some() {
                continue;
            }
            let holder = crate::registry::TokenHolder {
                name: t.name.clone(),
                role: t.role,
                provider: t.provider.clone(),
            };
            registry.add_token(&holder, &t.sha256, at).map_err(|e| {
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
