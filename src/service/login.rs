//! Login by EDS: the node hands out single-use XML challenges (a random nonce, an expiry); the browser signs one
//! with NCALayer and the person's AUTH key; the answer is accepted once, before its expiry, when its signature
//! covers the whole challenge, its certificate passes path validation and revocation for the purpose `auth`, and
//! it answers the challenge the caller says it does.
//!
//! Challenges live in this node's memory, bounded: a node restarted forgets them (the browser asks again). Time is
//! passed in; the only randomness is the nonce's.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use crate::clock::UnixTime;
use crate::pki::report::SubjectSummary;
use crate::pki::{Code, Purpose, TrustStore, VerifyOptions};
use crate::xml::{XmlError, XmlProfile, XmlReport};

/// How long a challenge may be answered (seconds), unless configured otherwise.
pub const CHALLENGE_TTL_SECS: i64 = 300;
/// Most challenges outstanding (issued or answered, not yet expired) in one node.
pub const MAX_CHALLENGES: usize = 100_000;

/// A challenge handed out.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// The nonce (base64url, 256 bits), which the answer names.
    pub nonce: String,
    /// The XML document to sign.
    pub challenge: String,
    /// When it was issued.
    pub issued_at: String,
    /// Until when it may be answered.
    pub expires_at: String,
}

/// Why an answer was refused: each with the stable code `/v1/auth/verify` answers.
#[derive(Debug)]
pub enum LoginRefused {
    /// The answer could not be read (`MALFORMED`).
    Malformed(XmlError),
    /// No challenge with this nonce was handed out, or it was forgotten (`CHALLENGE_UNKNOWN`).
    Unknown,
    /// The challenge was already answered (`CHALLENGE_USED`).
    Used,
    /// The signed document is another challenge than the one named (`CHALLENGE_MISMATCH`).
    Mismatch,
    /// The challenge expired before it was answered (`MESSAGE_EXPIRED`).
    Expired,
    /// The signature or its certificate failed: the report says why (its codes: `SIGNATURE_INVALID`,
    /// `KEY_USAGE`, `CERT_REVOKED`, ...).
    Invalid(Box<XmlReport>),
}

impl LoginRefused {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            LoginRefused::Malformed(_) => "MALFORMED",
            LoginRefused::Unknown => "CHALLENGE_UNKNOWN",
            LoginRefused::Used => "CHALLENGE_USED",
            LoginRefused::Mismatch => "CHALLENGE_MISMATCH",
            LoginRefused::Expired => Code::MessageExpired.as_str(),
            LoginRefused::Invalid(r) => r
                .report
                .codes
                .first()
                .map(|c| c.as_str())
                .unwrap_or("SIGNATURE_INVALID"),
        }
    }
}

impl std::fmt::Display for LoginRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginRefused::Malformed(e) => write!(f, "the signed challenge cannot be read: {e}"),
            LoginRefused::Unknown => f.write_str("no such challenge: it was never issued by this node, or it is forgotten; ask for a new one"),
            LoginRefused::Used => f.write_str("this challenge was already answered: a challenge is good for one login"),
            LoginRefused::Mismatch => f.write_str("the signed document is not the challenge named"),
            LoginRefused::Expired => f.write_str("the challenge expired before it was answered; ask for a new one"),
            LoginRefused::Invalid(r) => write!(f, "the signature does not log in: {}", r.report.messages.join("; ")),
        }
    }
}

/// Who logged in.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginIdentity {
    /// Always true: a refusal is an error answer.
    pub authenticated: bool,
    /// The certificate's holder: IIN, BIN, name, organisation, roles.
    pub identity: Option<std::sync::Arc<SubjectSummary>>,
    /// The nonce answered.
    pub nonce: String,
    /// The full verification report of the signed challenge.
    pub report: XmlReport,
}

enum State {
    Outstanding { expires: i64 },
    Used { expires: i64 },
}

/// The node's challenges.
pub struct Challenges {
    ttl: i64,
    audience: String,
    states: Mutex<HashMap<String, State>>,
}

impl Challenges {
    /// Challenges valid for `ttl` seconds, naming `audience` (the node) inside.
    pub fn new(ttl: i64, audience: &str) -> Self {
        Challenges {
            ttl,
            audience: audience.to_string(),
            states: Mutex::new(HashMap::new()),
        }
    }

    fn states(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        // A panic while holding the lock cannot leave the map half-changed: every change is one insert or remove.
        self.states.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new challenge; `None` when [`MAX_CHALLENGES`] are outstanding and unexpired, or randomness failed.
    pub fn issue(&self, now: UnixTime) -> Option<Challenge> {
        use base64::Engine;
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; 32];
        ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
        let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let expires = now.secs() + self.ttl;
        {
            let mut states = self.states();
            if states.len() >= MAX_CHALLENGES {
                let at = now.secs();
                states.retain(|_, s| match s {
                    State::Outstanding { expires } | State::Used { expires } => *expires > at,
                });
                if states.len() >= MAX_CHALLENGES {
                    return None;
                }
            }
            states.insert(nonce.clone(), State::Outstanding { expires });
        }
        let issued_at = now.rfc3339();
        let expires_at = crate::clock::rfc3339(expires);
        Some(Challenge {
            challenge: crate::xml::challenge_xml(&nonce, &issued_at, &expires_at, &self.audience),
            nonce,
            issued_at,
            expires_at,
        })
    }

    /// Checks `signed` as the answer to challenge `nonce` at `now`: the nonce once only, before its expiry, the
    /// signature over the whole challenge, the certificate for the purpose `auth` (with `opts`' revocation).
    pub fn redeem(
        &self,
        store: &TrustStore,
        nonce: &str,
        signed: &[u8],
        mut opts: VerifyOptions,
        now: UnixTime,
    ) -> Result<LoginIdentity, LoginRefused> {
        match self.states().get(nonce) {
            None => return Err(LoginRefused::Unknown),
            Some(State::Used { .. }) => return Err(LoginRefused::Used),
            Some(State::Outstanding { expires }) if *expires <= now.secs() => {
                return Err(LoginRefused::Expired)
            }
            Some(State::Outstanding { .. }) => {}
        }
        let fields = crate::xml::read_challenge(signed).map_err(LoginRefused::Malformed)?;
        if fields.nonce != nonce {
            return Err(LoginRefused::Mismatch);
        }
        opts.purpose = Purpose::Auth;
        opts.at = now;
        let report = crate::xml::verify_xml(store, signed, XmlProfile::Enveloped, &opts)
            .map_err(LoginRefused::Malformed)?;
        // From here the challenge is spent, whatever the verdict: an answer is never tried twice. One lock for the
        // check and the change, so two answers racing cannot both pass.
        {
            let mut states = self.states();
            match states.get_mut(nonce) {
                Some(state @ State::Outstanding { .. }) => {
                    let expires = match state {
                        State::Outstanding { expires } | State::Used { expires } => *expires,
                    };
                    *state = State::Used { expires };
                }
                Some(State::Used { .. }) => return Err(LoginRefused::Used),
                None => return Err(LoginRefused::Unknown),
            }
        }
        if !report.report.valid {
            return Err(LoginRefused::Invalid(Box::new(report)));
        }
        tracing::info!(
            iin = report
                .report
                .subject
                .as_ref()
                .and_then(|s| s.iin.as_deref())
                .unwrap_or(""),
            bin = report
                .report
                .subject
                .as_ref()
                .and_then(|s| s.bin.as_deref())
                .unwrap_or(""),
            "logged in by EDS"
        );
        Ok(LoginIdentity {
            authenticated: true,
            identity: report.report.subject.clone(),
            nonce: nonce.to_string(),
            report,
        })
    }
}
