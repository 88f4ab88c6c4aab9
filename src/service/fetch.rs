//! Fetching revocation data over HTTP and HTTPS: CRLs by (conditional) GET, OCSP answers by POST.
//!
//! Built on `ureq` (blocking, rustls with ring — the crypto provider Qoltanba already uses): the callers run on
//! the blocking pool or a background thread, never on an async worker. Every fetch is bounded: connect, read and
//! total timeouts, a cap on the body (checked while reading, so a 300 MB answer is refused after the cap, not after
//! 300 MB), a non-empty User-Agent (the NCA's hosts send an empty one to a captive portal), retries with backoff on
//! what may pass (transport errors, timeouts, 5xx), and redirects followed only within the same scheme (an
//! `https` source never continues over plain `http`, nothing continues to `file:` or elsewhere).

use std::io::Read;
use std::time::Duration;

/// How fetches are bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Longest wait for the connection.
    pub connect_timeout: Duration,
    /// Longest wait for the answer's bytes to keep coming, and for the whole exchange.
    pub read_timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_bytes: u64,
    /// How many times a failure that may pass is retried.
    pub retries: u32,
    /// The wait before the first retry; doubled before each next one.
    pub backoff: Duration,
    /// The User-Agent sent.
    pub user_agent: String,
}

impl Default for FetchPolicy {
    /// 5 s to connect, 30 s to answer, 64 MB (the NCA's full CRLs are about 22 MB), two retries from 500 ms.
    fn default() -> Self {
        FetchPolicy {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            max_bytes: 64 * 1024 * 1024,
            retries: 2,
            backoff: Duration::from_millis(500),
            user_agent: format!("Qoltanba/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Why a fetch brought nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL cannot be used (not http or https, or malformed).
    #[error("URL {0:?} cannot be fetched (http and https only)")]
    Url(String),
    /// The server answered with an error status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The body is larger than the policy allows.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(u64),
    /// A redirect to another scheme, or too many redirects.
    #[error("redirect refused: {0}")]
    Redirect(String),
    /// The server did not answer in time, or the connection failed.
    #[error("transport: {0}")]
    Transport(String),
}

impl FetchError {
    /// Whether trying again may help.
    fn may_pass(&self) -> bool {
        match self {
            FetchError::Transport(_) => true,
            FetchError::Status(s) => *s >= 500,
            _ => false,
        }
    }
}

/// Validators of a fetched resource, for a conditional GET next time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` the server gave.
    pub etag: Option<String>,
    /// The `Last-Modified` the server gave.
    pub last_modified: Option<String>,
}

/// What a GET brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The resource has not changed since `Validators` were given (304).
    NotModified,
    /// The body, with the validators for next time.
    Body {
        /// The bytes.
        bytes: Vec<u8>,
        /// For the next conditional GET.
        validators: Validators,
    },
}

/// An HTTP client for revocation sources, bounded by its [`FetchPolicy`].
pub struct Fetcher {
    agent: ureq::Agent,
    policy: FetchPolicy,
}

const MAX_REDIRECTS: usize = 3;

impl Fetcher {
    /// A client with `policy`.
    pub fn new(policy: FetchPolicy) -> Fetcher {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(policy.connect_timeout))
            .timeout_recv_response(Some(policy.read_timeout))
            .timeout_recv_body(Some(policy.read_timeout))
            .timeout_global(Some(policy.read_timeout + policy.connect_timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(policy.user_agent.as_str())
            .build()
            .into();
        Fetcher { agent, policy }
    }

    /// The largest body this client accepts.
    pub fn max_bytes(&self) -> u64 {
        self.policy.max_bytes
    }

    /// GETs `url` (a CRL), conditionally when `known` validators are given.
    pub fn get(&self, url: &str, known: Option<&Validators>) -> Result<Fetched, FetchError> {
        self.with_retries(|| self.exchange(url, None, known, self.policy.max_bytes))
    }

    /// POSTs `body` as `content_type` to `url` (an OCSP request) and returns the answer's body, refusing one
    /// longer than `max_bytes` (or the policy's cap, whichever is smaller).
    pub fn post(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        max_bytes: u64,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = max_bytes.min(self.policy.max_bytes);
        match self.with_retries(|| self.exchange(url, Some((content_type, body)), None, limit))? {
            Fetched::Body { bytes, .. } => Ok(bytes),
            Fetched::NotModified => Err(FetchError::Status(304)),
        }
    }

    fn with_retries(
        &self,
        mut attempt: impl FnMut() -> Result<Fetched, FetchError>,
    ) -> Result<Fetched, FetchError> {
        let mut wait = self.policy.backoff;
        let mut tries = 0;
        loop {
            match attempt() {
                Err(e) if e.may_pass() && tries < self.policy.retries => {
                    tracing::debug!(error = %e, "fetch failed; retrying");
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    fn exchange(
        &self,
        url: &str,
        post: Option<(&str, &[u8])>,
        known: Option<&Validators>,
        limit: u64,
    ) -> Result<Fetched, FetchError> {
        let scheme = scheme_of(url).ok_or_else(|| FetchError::Url(url.to_string()))?;
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let transport = |e: ureq::Error| match e {
                ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge(limit),
                e => FetchError::Transport(e.to_string()),
            };
            let response = match post {
                Some((content_type, body)) => self
                    .agent
                    .post(&current)
                    .header("Content-Type", content_type)
                    .send(body),
                None => {
                    let mut request = self.agent.get(&current);
                    if let Some(v) = known {
                        if let Some(etag) = &v.etag {
                            request = request.header("If-None-Match", etag);
                        }
                        if let Some(lm) = &v.last_modified {
                            request = request.header("If-Modified-Since", lm);
                        }
                    }
                    request.call()
                }
            };
            let mut response = response.map_err(transport)?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            if (300..400).contains(&status) && status != 304 {
                let location = header("Location")
                    .ok_or_else(|| FetchError::Redirect(format!("{status} without Location")))?;
                let next = resolve(&current, &location);
                if scheme_of(&next) != Some(scheme) {
                    return Err(FetchError::Redirect(format!(
                        "{current} sends to {next}, another scheme"
                    )));
                }
                current = next;
                continue;
            }
            if status == 304 && known.is_some() {
                return Ok(Fetched::NotModified);
            }
            if !(200..300).contains(&status) {
                return Err(FetchError::Status(status));
            }
            let validators = Validators {
                etag: header("ETag"),
                last_modified: header("Last-Modified"),
            };
            if let Some(length) = header("Content-Length").and_then(|l| l.parse::<u64>().ok()) {
                if length > limit {
                    return Err(FetchError::TooLarge(limit));
                }
            }
            let mut bytes = Vec::new();
            response
                .body_mut()
                .as_reader()
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| FetchError::Transport(e.to_string()))?;
            if bytes.len() as u64 > limit {
                return Err(FetchError::TooLarge(limit));
            }
            return Ok(Fetched::Body { bytes, validators });
        }
        Err(FetchError::Redirect(format!(
            "more than {MAX_REDIRECTS} redirects from {url}"
        )))
    }
}

/// `http` or `https`, if `url` is one of those.
fn scheme_of(url: &str) -> Option<&'static str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") {
        Some("https")
    } else if lower.starts_with("http://") {
        Some("http")
    } else {
        None
    }
}

/// A Location resolved against the URL it came from (absolute, or an absolute path on the same host).
fn resolve(base: &str, location: &str) -> String {
    if scheme_of(location).is_some() || location.contains("://") || !location.starts_with('/') {
        return location.to_string();
    }
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    format!("{}{location}", &base[..host_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_locations() {
        assert_eq!(scheme_of("HTTP://crl.pki.gov.kz/x.crl"), Some("http"));
        assert_eq!(scheme_of("https://x"), Some("https"));
        assert_eq!(scheme_of("file:///etc/passwd"), None);
        assert_eq!(scheme_of("ldap://x"), None);
        assert_eq!(
            resolve("http://a.kz/x/y.crl", "/z.crl"),
            "http://a.kz/z.crl"
        );
        assert_eq!(resolve("http://a.kz", "/z.crl"), "http://a.kz/z.crl");
        assert_eq!(resolve("http://a.kz/x", "file:///etc"), "file:///etc");
    }
}
