//! How a node checks revocation: which sources, in which order, for which purpose — and the live parts behind
//! them (the OCSP client and its cache, the CRL refresher), built once at start from the configuration.

use std::sync::Arc;

use crate::pki::ocsp::{RevocationSource, SharedOcsp};
use crate::pki::{RevocationMode, VerifyOptions};
use crate::service::crls::{CrlRefresher, SourceHealth};
use crate::service::metrics::Metrics;
use crate::service::ocsp::{OcspClient, ResponderHealth};

/// What a verification is for: each may have its own revocation source order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckFor {
    /// Anyone's verification (`/v1/verify/*`, documents and seals).
    Verify,
    /// An applicant's signature on an application (its verdict decides a refusal).
    Applications,
}

/// The node's revocation policy and the live sources behind it.
#[derive(Clone)]
pub struct RevocationPolicy {
    /// Which certificates of a path are checked: [`RevocationMode::All`] (the default) or only the end entity
    /// ([`RevocationMode::Leaf`], `[revocation] scope = "leaf"`). A verification that asks for less keeps it.
    pub scope: RevocationMode,
    /// The order of sources for [`CheckFor::Verify`].
    pub verify: RevocationSource,
    /// The order of sources for [`CheckFor::Applications`].
    pub applications: RevocationSource,
    /// The OCSP client, when responders are configured (or the certificates' own may be asked).
    pub ocsp: Option<Arc<OcspClient>>,
    /// The CRL refresher, when CRL sources are configured or discovered.
    pub crls: Option<Arc<CrlRefresher>>,
    /// The counters `/metrics` shows.
    pub metrics: Arc<Metrics>,
    /// How long an application whose verification could not end (revocation unknown) waits, in seconds, before
    /// it is refused.
    pub pending_deadline_secs: i64,
    /// How often pending applications are verified again.
    pub reverify_every: std::time::Duration,
}

impl std::fmt::Debug for RevocationPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationPolicy")
            .field("scope", &self.scope)
            .field("verify", &self.verify)
            .field("applications", &self.applications)
            .field("ocsp", &self.ocsp.is_some())
            .field("crls", &self.crls.as_ref().map(|c| c.sources().len()))
            .finish()
    }
}

impl Default for RevocationPolicy {
    /// CRLs only, no live source, three days of waiting for pending verifications.
    fn default() -> Self {
        RevocationPolicy {
            scope: RevocationMode::All,
            verify: Default::default(),
            applications: Default::default(),
            ocsp: None,
            crls: None,
            metrics: Default::default(),
            pending_deadline_secs: crate::service::config::DEFAULT_PENDING_HOURS as i64 * 3600,
            reverify_every: std::time::Duration::from_secs(60),
        }
    }
}

impl RevocationPolicy {
    /// Sets the source order and the OCSP client of `opts` for `purpose`.
    pub fn apply(&self, opts: &mut VerifyOptions, purpose: CheckFor) {
        if opts.revocation == RevocationMode::All {
            opts.revocation = self.scope;
        }
        opts.source = match purpose {
            CheckFor::Verify => self.verify,
            CheckFor::Applications => self.applications,
        };
        opts.ocsp = self
            .ocsp
            .clone()
            .map(|client| SharedOcsp(client as Arc<dyn crate::pki::ocsp::OcspLookup>));
    }

    /// The last exchange with each OCSP responder asked so far (empty without OCSP).
    pub fn responders(&self) -> Vec<ResponderHealth> {
        self.ocsp
            .as_ref()
            .map(|c| c.responders())
            .unwrap_or_default()
    }

    /// Each CRL source's freshness and last error at `now` (empty without a refresher).
    pub fn health(&self, now: crate::clock::UnixTime) -> Vec<SourceHealth> {
        self.crls
            .as_ref()
            .map(|c| c.health(now))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scope narrows the default check to the end entity, and never widens what a verification asked for.
    #[test]
    fn the_scope_narrows_the_default_and_keeps_what_was_asked() {
        let leaf = RevocationPolicy {
            scope: RevocationMode::Leaf,
            ..Default::default()
        };
        for (asked, chain, leaf_scope) in [
            (
                RevocationMode::All,
                RevocationMode::All,
                RevocationMode::Leaf,
            ),
            (
                RevocationMode::Leaf,
                RevocationMode::Leaf,
                RevocationMode::Leaf,
            ),
            (
                RevocationMode::None,
                RevocationMode::None,
                RevocationMode::None,
            ),
        ] {
            let mut opts = VerifyOptions::at(0);
            opts.revocation = asked;
            RevocationPolicy::default().apply(&mut opts, CheckFor::Verify);
            assert_eq!(opts.revocation, chain, "{asked:?}");
            opts.revocation = asked;
            leaf.apply(&mut opts, CheckFor::Applications);
            assert_eq!(opts.revocation, leaf_scope, "{asked:?}");
        }
    }
}
