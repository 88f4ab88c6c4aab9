//! Asking OCSP responders: the configured ones first (the NCA's responder is configured, not discovered), then
//! those the certificate's authorityInfoAccess names, in order, until one gives an answer that passes every check
//! of [`crate::pki::ocsp`]. Good answers are kept per certificate until their `nextUpdate` or the maximum age,
//! in a bounded cache. What did not answer, and why, comes back whole so the caller can fall back to a CRL and
//! say why it had to.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::UnixTime;
use crate::pki::cert::Certificate;
use crate::pki::ocsp::{
    check_response, AnswerSource, CertId, CertIdHash, OcspAnswer, OcspCheck, OcspRequest,
    OcspStatus, Unavailable,
};
use crate::service::fetch::{FetchError, Fetcher};

/// How OCSP is asked and what it is trusted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspPolicy {
    /// Responders asked first, in order.
    pub responders: Vec<String>,
    /// Whether the responders a certificate names (authorityInfoAccess) are asked after the configured ones.
    pub use_aia: bool,
    /// The CertID's hash.
    pub hash: CertIdHash,
    /// How far an answer's `thisUpdate` may be ahead of the clock, in seconds.
    pub skew_secs: i64,
    /// How old an answer may be, in seconds (the NCA's carry no `nextUpdate`).
    pub max_age_secs: i64,
    /// The most answers kept in the cache.
    pub cache_entries: usize,
}

impl Default for OcspPolicy {
    /// No configured responder, the certificate's own; SHA-256; 5 minutes of skew; answers an hour old at most;
    /// 10 000 cached answers.
    fn default() -> Self {
        OcspPolicy {
            responders: Vec::new(),
            use_aia: true,
            hash: CertIdHash::Sha256,
            skew_secs: 300,
            max_age_secs: 3600,
            cache_entries: 10_000,
        }
    }
}

/// Why one responder gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponderFailure {
    /// The request could not be made.
    #[error("{0}")]
    Request(#[from] crate::pki::ocsp::OcspError),
    /// The exchange failed.
    #[error("{0}")]
    Fetch(#[from] FetchError),
    /// The answer proves nothing.
    #[error("{0}")]
    Answer(#[from] Unavailable),
}

/// An OCSP client: a fetcher, a policy and a cache of good answers.
pub struct OcspClient {
    fetcher: Fetcher,
    policy: OcspPolicy,
    cache: Mutex<HashMap<Vec<u8>, (OcspAnswer, String, UnixTime)>>,
    metrics: std::sync::Arc<crate::service::metrics::Metrics>,
    /// The trust store whose CRLs judge a delegated responder without `id-pkix-ocsp-nocheck`.
    store: Option<std::sync::Arc<crate::pki::TrustStore>>,
    /// The last exchange with each responder asked, for `/health`. Bounded: the configured responders and those
    /// of the certificates asked about (AIA), at most [`MAX_RESPONDERS_TRACKED`].
    seen: Mutex<Vec<ResponderHealth>>,
    /// Responders trusted to answer for any CA (configured, RFC 6960 §4.2.2.2 (c)).
    trusted: Vec<Certificate>,
}

/// Most responders whose last exchange `/health` shows.
const MAX_RESPONDERS_TRACKED: usize = 32;

/// What the last exchange with one OCSP responder came to: `/health` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponderHealth {
    /// The responder's URL.
    pub url: String,
    /// When it last gave an authentic answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success: Option<UnixTime>,
    /// Why the last exchange gave nothing usable, when it did (cleared by the next answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl OcspClient {
    /// A client asking with `fetcher` as `policy` says.
    pub fn new(fetcher: Fetcher, policy: OcspPolicy) -> OcspClient {
        OcspClient {
            fetcher,
            policy,
            cache: Mutex::new(HashMap::new()),
            metrics: Default::default(),
            store: None,
            seen: Mutex::new(Vec::new()),
            trusted: Vec::new(),
        }
    }

    /// The same client, judging a delegated responder certificate without `id-pkix-ocsp-nocheck` by the CRLs of
    /// `store` (its own CRL status at the time the answer was produced; never by OCSP, which would ask the
    /// responder about itself).
    pub fn with_store(mut self, store: std::sync::Arc<crate::pki::TrustStore>) -> OcspClient {
        self.store = Some(store);
        self
    }

    /// The same client, believing answers signed by these responders for any CA (configured trust: RFC 6960
    /// §4.2.2.2 (c)).
    pub fn with_trusted_responders(mut self, trusted: Vec<Certificate>) -> OcspClient {
        self.trusted = trusted;
        self
    }

    /// Whether `responder` (issued by `issuer`) is not revoked at `at` by the store's CRLs.
    fn responder_not_revoked(
        &self,
        responder: &Certificate,
        issuer: &Certificate,
        at: UnixTime,
    ) -> bool {
        let Some(store) = &self.store else {
            return false;
        };
        let mut opts = crate::pki::VerifyOptions::at_time(at);
        opts.purpose = crate::pki::Purpose::Any;
        opts.revocation = crate::pki::RevocationMode::Leaf;
        let report = store.verify_certificate(responder, &[issuer], &opts);
        report.valid
    }

    /// The same client, counting its answers and cache hits in `metrics`.
    pub fn with_metrics(
        mut self,
        metrics: std::sync::Arc<crate::service::metrics::Metrics>,
    ) -> OcspClient {
        self.metrics = metrics;
        self
    }

    /// The status of `cert`, issued by `issuer`, at `now`: the first authentic answer, or why none came.
    /// `nonce` is fresh randomness from the caller (1 to 32 octets); `responder_not_revoked` judges a delegated
    /// responder certificate without `id-pkix-ocsp-nocheck` (from CRLs).
    pub fn status(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        now: UnixTime,
        nonce: &[u8],
        responder_not_revoked: &dyn Fn(&Certificate, UnixTime) -> bool,
    ) -> Result<(OcspAnswer, AnswerSource), Vec<(String, ResponderFailure)>> {
        if let Some(hit) = self.cached_answer(cert, issuer, now) {
            return Ok(hit);
        }
        let key = cache_key(issuer, cert);
        let cert_id = CertId::new(issuer, cert.serial(), self.policy.hash)
            .map_err(|e| vec![(String::new(), e.into())])?;
        let mut urls: Vec<String> = self.policy.responders.clone();
        if self.policy.use_aia {
            urls.extend(
                cert.ocsp_urls()
                    .iter()
                    .filter(|u| !urls.contains(u))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        let mut failures = Vec::new();
        for url in urls {
            match self.ask(&url, &cert_id, issuer, now, nonce, responder_not_revoked) {
                Ok(answer) => {
                    tracing::info!(%url, status = ?answer.status, "OCSP answer");
                    self.metrics.ocsp_answer(match answer.status {
                        OcspStatus::Good => "good",
                        OcspStatus::Revoked { .. } => "revoked",
                        OcspStatus::Unknown => "unknown",
                    });
                    if answer.status == OcspStatus::Good {
                        self.keep(key, &answer, &url);
                    }
                    self.note(&url, Ok(now));
                    return Ok((answer, AnswerSource { url, cached: false }));
                }
                Err(why) => {
                    tracing::warn!(%url, error = %why, "OCSP responder gave nothing usable");
                    self.metrics.ocsp_answer("unavailable");
                    self.note(&url, Err(why.to_string()));
                    failures.push((url, why));
                }
            }
        }
        Err(failures)
    }

    fn ask(
        &self,
        url: &str,
        cert_id: &CertId,
        issuer: &Certificate,
        now: UnixTime,
        nonce: &[u8],
        responder_not_revoked: &dyn Fn(&Certificate, UnixTime) -> bool,
    ) -> Result<OcspAnswer, ResponderFailure> {
        let request = OcspRequest::new(cert_id.clone(), nonce)?;
        let der = self.fetcher.post(
            url,
            "application/ocsp-request",
            &request.der,
            crate::pki::ocsp::MAX_OCSP_RESPONSE as u64,
        )?;
        let check = OcspCheck {
            cert_id,
            nonce: Some(&request.nonce),
            issuer,
            trusted_responders: &self.trusted,
            responder_not_revoked,
            now,
            skew_secs: self.policy.skew_secs,
            max_age_secs: self.policy.max_age_secs,
        };
        Ok(check_response(&der, &check)?)
    }

    /// Records the outcome of an exchange with `url`.
    fn note(&self, url: &str, outcome: Result<UnixTime, String>) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        let ix = match seen.iter().position(|r| r.url == url) {
            Some(ix) => ix,
            None if seen.len() < MAX_RESPONDERS_TRACKED => {
                seen.push(ResponderHealth {
                    url: url.to_string(),
                    last_success: None,
                    last_error: None,
                });
                seen.len() - 1
            }
            None => return,
        };
        match outcome {
            Ok(at) => {
                seen[ix].last_success = Some(at);
                seen[ix].last_error = None;
            }
            Err(why) => seen[ix].last_error = Some(why),
        }
    }

    /// The last exchange with each responder asked so far (the configured ones first, once asked).
    pub fn responders(&self) -> Vec<ResponderHealth> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// A good answer about `cert` still in the cache at `now`.
    fn cached_answer(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        now: UnixTime,
    ) -> Option<(OcspAnswer, AnswerSource)> {
        let (answer, url) = self.cached(&cache_key(issuer, cert), now)?;
        self.metrics.ocsp_cache_hit();
        Some((answer, AnswerSource { url, cached: true }))
    }

    fn cached(&self, key: &[u8], now: UnixTime) -> Option<(OcspAnswer, String)> {
        let cache = self.cache.lock().ok()?;
        let (answer, url, until) = cache.get(key)?;
        (now < *until).then(|| (answer.clone(), url.clone()))
    }

    fn keep(&self, key: Vec<u8>, answer: &OcspAnswer, url: &str) {
        let by_age = answer.this_update.plus_secs(self.policy.max_age_secs);
        let until = answer.next_update.map_or(by_age, |n| n.min(by_age));
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= self.policy.cache_entries {
                // Bounded: drop what has expired, and if that is not enough, everything (answers are cheap to ask
                // again; memory is not unbounded).
                cache.retain(|_, (_, _, u)| *u > answer.this_update);
                if cache.len() >= self.policy.cache_entries {
                    cache.clear();
                }
            }
            cache.insert(key, (answer.clone(), url.to_string(), until));
        }
    }
}

/// The cache's key: the issuer's SHA-256 (computed when it was parsed) and the serial. A hit costs no hashing;
/// the CertID, with its hashes, is built only to ask a responder.
fn cache_key(issuer: &Certificate, cert: &Certificate) -> Vec<u8> {
    let mut key = issuer.fingerprint.to_vec();
    key.extend_from_slice(cert.serial());
    key
}

/// Validations ask this client through the trust store's revocation policy ([`crate::pki::ocsp::OcspLookup`]).
/// A delegated responder without `id-pkix-ocsp-nocheck` is believed only when the client has a trust store
/// ([`OcspClient::with_store`]) whose CRLs show it valid and not revoked; the NCA's responders carry nocheck.
impl crate::pki::ocsp::OcspLookup for OcspClient {
    fn lookup(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        _at: UnixTime,
    ) -> Result<(OcspAnswer, AnswerSource), String> {
        let now = UnixTime::now();
        // From the cache, no nonce is needed (drawing one is a system call).
        if let Some(hit) = self.cached_answer(cert, issuer, now) {
            return Ok(hit);
        }
        let mut nonce = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| "no randomness for an OCSP nonce".to_string())?;
        // An answer tells the status now (with the time of any revocation): its freshness is judged against the
        // clock, whatever the validation time is (a pending application is verified at its submission time).
        let judge = |responder: &Certificate, at: UnixTime| {
            self.responder_not_revoked(responder, issuer, at)
        };
        match self.status(cert, issuer, now, &nonce, &judge) {
            Ok(answered) => Ok(answered),
            Err(failures) if failures.is_empty() => {
                Err("no OCSP responder is configured or named by the certificate".into())
            }
            Err(failures) => Err(failures
                .iter()
                .map(|(url, why)| format!("OCSP {url}: {why}"))
                .collect::<Vec<_>>()
                .join("; ")),
        }
    }
}
