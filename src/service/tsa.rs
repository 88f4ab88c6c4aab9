//! The RFC 3161 client: asks the configured timestamp authority for a token over a signature value, over HTTP
//! (`application/timestamp-query`), and hands the signer only a token that verifies.
//!
//! Blocking, like every fetch: signers run on the blocking pool or the CLI's thread. Each request carries a fresh
//! 128-bit nonce and `certReq` (the token must carry the TSA's certificate so that anyone can verify it offline);
//! the answer is taken only when granted, and its token only when its signature, the TSA's path (against the
//! node's trust store and CRLs, at the time of the answer), its `id-kp-timeStamping` key usage, imprint and nonce
//! hold, and — when a policy is configured — it names that policy. A TSA that fails makes the signature fail:
//! a provider who configured timestamps never issues a document without one.

use std::sync::Arc;

use ring::rand::SecureRandom;

use crate::clock::UnixTime;
use crate::cms::{timestamp_request, token_from_response, verify_timestamp, Timestamper, TspError};
use crate::crypto::DigestAlgorithm;
use crate::pki::{TrustStore, VerifyOptions};

use super::fetch::Fetcher;

/// Largest answer taken from a TSA (a token with a chain of three RSA-4096 certificates is about 8 KB).
const MAX_ANSWER: u64 = 64 * 1024;

/// Room reserved for a token in a PDF: more than any answer this client takes.
const TOKEN_SIZE_BOUND: usize = 16 * 1024;

/// Where the timestamp authority is and what is asked of it (`[tsa]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsaSettings {
    /// The TSA's URL (http or https).
    pub url: String,
    /// The policy asked for, and required in the token (a dotted OID); `None`: the TSA's default.
    pub policy: Option<String>,
    /// Longest wait for the TSA's answer.
    pub timeout: std::time::Duration,
}

/// A timestamp authority reached over HTTP.
pub struct TsaClient {
    fetcher: Fetcher,
    settings: TsaSettings,
    store: Arc<TrustStore>,
    /// How the TSA's path is checked (revocation sources): the node's policy, or CRLs alone by default.
    options: Box<dyn Fn(UnixTime) -> VerifyOptions + Send + Sync>,
    random: ring::rand::SystemRandom,
}

impl TsaClient {
    /// A client for `settings`, checking tokens against `store`.
    pub fn new(settings: TsaSettings, store: Arc<TrustStore>) -> Result<TsaClient, TspError> {
        if !(settings.url.starts_with("http://") || settings.url.starts_with("https://")) {
            return Err(TspError::Request(format!(
                "TSA URL {:?}: http or https only",
                settings.url
            )));
        }
        if let Some(p) = &settings.policy {
            // Refused at configuration time rather than on the first signature.
            timestamp_request(DigestAlgorithm::Sha256, &[0; 32], &[1], Some(p))?;
        }
        let fetcher = Fetcher::new(super::fetch::FetchPolicy {
            connect_timeout: settings.timeout.min(std::time::Duration::from_secs(5)),
            read_timeout: settings.timeout,
            max_bytes: MAX_ANSWER,
            retries: 1,
            ..Default::default()
        });
        Ok(TsaClient {
            fetcher,
            settings,
            store,
            options: Box::new(VerifyOptions::at_time),
            random: ring::rand::SystemRandom::new(),
        })
    }

    /// The same client, checking the TSA's path with `options(now)`: the node's revocation sources (its OCSP
    /// responders as well as its CRLs), as for any verification.
    pub fn with_options(
        mut self,
        options: impl Fn(UnixTime) -> VerifyOptions + Send + Sync + 'static,
    ) -> TsaClient {
        self.options = Box::new(options);
        self
    }

    /// The TSA's URL.
    pub fn url(&self) -> &str {
        &self.settings.url
    }
}

impl Timestamper for TsaClient {
    fn stamp(&self, data: &[u8], algorithm: DigestAlgorithm) -> Result<Vec<u8>, TspError> {
        let mut nonce = [0u8; 16];
        self.random
            .fill(&mut nonce)
            .map_err(|_| TspError::Request("no random nonce".into()))?;
        let request = timestamp_request(
            algorithm,
            &algorithm.digest(data),
            &nonce,
            self.settings.policy.as_deref(),
        )?;
        let answer = self
            .fetcher
            .post(
                &self.settings.url,
                "application/timestamp-query",
                &request,
                MAX_ANSWER,
            )
            .map_err(|e| TspError::Unavailable(format!("{}: {e}", self.settings.url)))?;
        let token = token_from_response(&answer)?;
        let report = verify_timestamp(
            &self.store,
            &token,
            data,
            Some(&nonce),
            &(self.options)(UnixTime::now()),
        )?;
        if !report.report.valid {
            let codes: Vec<&str> = report.report.codes.iter().map(|c| c.as_str()).collect();
            return Err(TspError::Unavailable(format!(
                "the token from {} does not verify ({}): {}",
                self.settings.url,
                codes.join(", "),
                report.report.messages.join("; ")
            )));
        }
        if let Some(policy) = &self.settings.policy {
            if report.info.policy != *policy {
                return Err(TspError::Unavailable(format!(
                    "the token names policy {}, not {policy}",
                    report.info.policy
                )));
            }
        }
        tracing::debug!(
            tsa = %self.settings.url,
            serial = %report.info.serial,
            gen_time = %report.info.gen_time,
            "signature timestamped"
        );
        Ok(token)
    }

    fn token_size_bound(&self) -> usize {
        TOKEN_SIZE_BOUND
    }
}
