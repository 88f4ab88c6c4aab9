//! The service: what a provider's node is once started — its trust store and authorised issuers, its registry,
//! its signer, the provider and calendar it issues for, its API tokens — and the orchestration of every request
//! over the core ([`workflow`]), the configuration that builds it ([`config`]), the limits the shells enforce
//! ([`Limits`]) and the first-start token policy ([`tokens`]).
//!
//! Below the shells: the CLI and the HTTP layer call into this and never the other way round (ARCHITECTURE.md).

pub(crate) mod attachments;
pub(crate) mod background;
pub(crate) mod config;
pub(crate) mod crls;
pub(crate) mod fetch;
pub(crate) mod limits;
pub(crate) mod login;
pub(crate) mod metrics;
pub(crate) mod ocsp;
pub(crate) mod providers;
pub(crate) mod revocation;
pub(crate) mod start;
pub(crate) mod tokens;
pub(crate) mod tsa;
pub(crate) mod webhook;
pub(crate) mod workflow;

use std::sync::Arc;

use crate::cancel::Cancel;
use crate::cms::CmsSigner;
use crate::issuance::{Provider, WorkingCalendar};
use crate::pki::TrustStore;
use crate::registry::{Registry, RegistryError};
use crate::seal::{IssuerRule, Issuers, SealTrust};
pub use attachments::{AttachmentError, AttachmentLimits, AttachmentStore};
pub use limits::{Limits, ServeOptions};
pub use providers::{Office, OfficeError, Offices, DEFAULT_OFFICE};
pub use revocation::{CheckFor, RevocationPolicy};
pub use start::start;
pub(crate) use tokens::TokenCache;
pub use webhook::{Webhook, WebhookError};

/// A provider's node, started: the service's parts, each shared (`Arc`) so handlers and jobs can hold them cheaply.
#[derive(Clone)]
pub struct Node {
    /// Trust anchors, intermediates and CRLs.
    pub store: Arc<TrustStore>,
    /// Whose seals count: the providers' authorised persons.
    pub issuers: Arc<Issuers>,
    /// Where applications and documents are stored.
    pub registry: Arc<dyn Registry>,
    /// The provider's authorised person's key and certificate.
    pub signer: Arc<CmsSigner>,
    /// A separate key for `POST /v1/sign/cms`, when configured (off by default): never the provider's.
    pub portal_signer: Option<Arc<CmsSigner>>,
    /// Printed on licences and refusals: the first office's.
    pub provider: Arc<Provider>,
    /// Every provider this node issues for, the first (`signer`, `provider`) the default.
    pub offices: Arc<Offices>,
    /// Counts due dates.
    pub calendar: Arc<WorkingCalendar>,
    /// The registry's tokens, in memory.
    pub tokens: Arc<TokenCache>,
    /// Running on the embedded demo PKI and key: said at start, in `/health` and in reports.
    pub demo: bool,
    /// How revocation is checked, and the live sources (OCSP, refreshed CRLs) behind it.
    pub revocation: Arc<RevocationPolicy>,
    /// Who may call NCANode's API (`/ncanode/*`, `[ncanode] access`).
    pub ncanode_access: NcanodeAccess,
    /// Whether NCANode's signing endpoints sign with the portal signing key (`[ncanode] sign`); off: they refuse.
    pub ncanode_signs: bool,
    /// The portal's webhook (`[webhook]`): every status change, signed, in order, retried; `None`: off.
    pub webhook: Option<Arc<Webhook>>,
    /// Applications' attached files (`data/attachments/`).
    pub attachments: Arc<AttachmentStore>,
    /// The login challenges this node handed out (`/v1/auth/*`).
    pub login: Arc<login::Challenges>,
}

impl Node {
    /// A service whose provider is described by the signer's certificate (organisation, name), issuing in Astana,
    /// with the statutory calendar; the signer is the only authorised issuer (the demo provider's key makes it a
    /// demonstration). Loads the registry's tokens.
    pub fn new(
        store: impl Into<Arc<TrustStore>>,
        registry: Arc<dyn Registry>,
        signer: impl Into<Arc<CmsSigner>>,
    ) -> Result<Self, RegistryError> {
        let signer: Arc<CmsSigner> = signer.into();
        let provider = Arc::new(Provider::from_signer(&signer));
        let offices = Offices::one(DEFAULT_OFFICE, provider.clone(), signer.clone())
            .map_err(|e| RegistryError::Corrupt(e.to_string()))?;
        let demo = crate::demo_pki::is_demo_certificate(signer.certificate());
        let mut issuers = Issuers::new(vec![IssuerRule::certificate(
            provider.authority.clone(),
            signer.certificate(),
        )]);
        if demo {
            issuers = issuers.with_demo(signer.certificate().fingerprint);
        }
        Ok(Node {
            store: store.into(),
            issuers: Arc::new(issuers),
            tokens: Arc::new(TokenCache::load(registry.as_ref())?),
            registry,
            signer,
            portal_signer: None,
            provider,
            offices: Arc::new(offices),
            calendar: Arc::new(WorkingCalendar::kazakhstan()),
            demo,
            revocation: Arc::new(RevocationPolicy::default()),
            webhook: None,
            ncanode_access: NcanodeAccess::Open,
            ncanode_signs: false,
            attachments: Arc::new(
                AttachmentStore::temporary().map_err(|e| RegistryError::Storage(Box::new(e)))?,
            ),
            login: Arc::new(login::Challenges::new(
                login::CHALLENGE_TTL_SECS,
                "qoltanba",
            )),
        })
    }

    /// The node with these providers; the first becomes the default (`signer`, `provider`).
    pub fn with_offices(mut self, offices: Offices) -> Self {
        self.signer = offices.first().signer.clone();
        self.provider = offices.first().provider.clone();
        self.offices = Arc::new(offices);
        self
    }

    /// The workflow's view of the service for `caller`'s request, stopping when `cancel` is set: an operator
    /// bound to a provider acts only on that provider's applications.
    pub fn context_for<'a>(
        &'a self,
        cancel: &'a Cancel,
        caller: &'a tokens::Caller,
    ) -> workflow::Context<'a> {
        let mut ctx = self.context_with(cancel);
        ctx.desk = caller.provider.as_deref();
        ctx
    }

    /// The workflow's view of the service, for work that runs to its end.
    pub fn context(&self) -> workflow::Context<'_> {
        self.context_with(&NEVER)
    }

    /// The workflow's view of the service, for work that stops when `cancel` is set.
    pub fn context_with<'a>(&'a self, cancel: &'a Cancel) -> workflow::Context<'a> {
        workflow::Context {
            store: &self.store,
            issuers: &self.issuers,
            registry: self.registry.as_ref(),
            signer: &self.signer,
            provider: &self.provider,
            offices: &self.offices,
            desk: None,
            attachments: &self.attachments,
            calendar: &self.calendar,
            revocation: &self.revocation,
            cancel,
        }
    }

    /// What seal verification trusts.
    pub fn trust(&self) -> SealTrust<'_> {
        SealTrust {
            store: &self.store,
            issuers: &self.issuers,
        }
    }
}

/// Who may call NCANode's API: anyone who reaches it (a drop-in on loopback, as NCANode itself), or callers with
/// a portal token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NcanodeAccess {
    /// No token asked (NCANode has none): only where every listener is on loopback, unless configured.
    Open,
    /// `Authorization: Bearer` with a portal token.
    Token,
}

static NEVER: std::sync::LazyLock<Cancel> = std::sync::LazyLock::new(Cancel::never);
