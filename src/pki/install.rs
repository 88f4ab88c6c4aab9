//! Installing a CRL into a running trust store: what a fetched list must prove before it replaces the one in use.
//!
//! No I/O: the bytes and the time are given. The service's refresher (`service::crls`) fetches and calls this;
//! every decision — authentic, fresh, newer — is taken here, so the rules are the same for a list fetched now, one
//! read back from the disk cache after a restart, and one a test hands in.

use std::sync::Arc;

use crate::clock::UnixTime;
use crate::pki::crl::{cmp_uint, Crl, CrlError};
use crate::pki::store::{CrlOrigin, SignatureProblem, StoredCrl, TrustStore};

/// Why a CRL was not installed. The list in use stays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrlRefused {
    /// The bytes are not a CRL.
    #[error("not a CRL: {0}")]
    Malformed(#[from] CrlError),
    /// No certificate of the store verifies its signature (or none is named like its issuer).
    #[error("its signature does not verify: {0}")]
    Signature(String),
    /// It has critical extensions that cannot be processed.
    #[error("it has critical extensions that cannot be processed: {0}")]
    Unusable(String),
    /// Its `thisUpdate` is later than now (beyond the allowed skew).
    #[error("its thisUpdate {0} is in the future")]
    FromTheFuture(UnixTime),
    /// It has no `nextUpdate`, or its `nextUpdate` has passed.
    #[error("it is stale (nextUpdate {0})")]
    Stale(String),
    /// It is older than the list in use (thisUpdate or cRLNumber goes backwards): a rollback.
    #[error("it is older than the CRL in use ({0}): a rollback is refused")]
    Rollback(String),
}

impl CrlRefused {
    /// Every code [`Self::code`] gives, for the metrics to list.
    pub const CODES: [&'static str; 6] = [
        "malformed",
        "bad_signature",
        "unusable",
        "from_the_future",
        "stale",
        "rollback",
    ];

    /// A stable code for logs, `/health` and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            CrlRefused::Malformed(_) => "malformed",
            CrlRefused::Signature(_) => "bad_signature",
            CrlRefused::Unusable(_) => "unusable",
            CrlRefused::FromTheFuture(_) => "from_the_future",
            CrlRefused::Stale(_) => "stale",
            CrlRefused::Rollback(_) => "rollback",
        }
    }
}

/// What an installation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlInstalled {
    /// Whether the list was new; `false` when the same list is already in use (nothing changed).
    pub changed: bool,
    /// Its `thisUpdate`.
    pub this_update: UnixTime,
    /// Its `nextUpdate` (always present: a list without one is refused).
    pub next_update: UnixTime,
    /// Its cRLNumber, big-endian.
    pub number: Option<Vec<u8>>,
    /// How many entries it lists.
    pub entries: usize,
    /// SHA-256 of its DER.
    pub fingerprint: [u8; 32],
}

/// The facts about a CRL that its installation decides on.
#[derive(Debug, Clone, Copy)]
pub struct InstallRules {
    /// How far a `thisUpdate` may lie in the future (clocks differ).
    pub skew_secs: i64,
    /// Treat the list as a delta CRL (it came from a FreshestCRL source).
    pub delta_source: bool,
}

impl Default for InstallRules {
    /// Five minutes of skew; a full CRL.
    fn default() -> Self {
        InstallRules {
            skew_secs: 300,
            delta_source: false,
        }
    }
}

/// Whether two CRLs answer for the same certificates: one replaces the other.
fn same_slot(a: &Crl, b: &Crl) -> bool {
    a.issuer == b.issuer && a.idp == b.idp && a.is_delta() == b.is_delta()
}

impl TrustStore {
    /// Installs `der` as a CRL from `origin` at `now`, replacing the list of the same issuer and scope in use. It
    /// counts only if it parses, has no critical extension we cannot process, is signed by a certificate of the
    /// store, is fresh (`thisUpdate` not in the future, `nextUpdate` present and not past), and is newer than the
    /// one it replaces (`thisUpdate` and cRLNumber never go backwards). Otherwise nothing changes.
    ///
    /// The swap is atomic and does not wait for validations in flight: they finish on the set they started with.
    pub fn install_crl(
        &self,
        der: &[u8],
        origin: CrlOrigin,
        rules: InstallRules,
        now: UnixTime,
    ) -> Result<CrlInstalled, CrlRefused> {
        let mut crl = Crl::from_der(der)?;
        if rules.delta_source {
            crl.mark_as_delta();
        }
        if !crl.unsupported_critical.is_empty() {
            return Err(CrlRefused::Unusable(crl.unsupported_critical.join(", ")));
        }
        if crl.this_update > now.plus_secs(rules.skew_secs) {
            return Err(CrlRefused::FromTheFuture(crl.this_update));
        }
        let next_update = match crl.next_update {
            Some(next) if next > now => next,
            Some(next) => return Err(CrlRefused::Stale(next.rfc3339())),
            None => return Err(CrlRefused::Stale("absent".into())),
        };
        // The signature (the expensive part) is checked before the installation lock is taken.
        let stored = self.check_crl_signature(crl, der, origin);
        if stored.signed_by.is_empty() {
            return Err(CrlRefused::Signature(match &stored.signature_problem {
                Some(SignatureProblem::NoCandidate) | None => format!(
                    "no certificate of the trust store is named \"{}\"",
                    stored.crl.issuer
                ),
                Some(SignatureProblem::Invalid(why)) => why.clone(),
                Some(SignatureProblem::Unsupported(a)) => format!("unsupported algorithm {a}"),
            }));
        }
        let installed = CrlInstalled {
            changed: true,
            this_update: stored.crl.this_update,
            next_update,
            number: stored.crl.number.clone(),
            entries: stored.crl.len(),
            fingerprint: stored.crl.fingerprint,
        };
        let stored = Arc::new(stored);
        // `change_crls` changes nothing when its closure returns `Err`: the same list already in use comes back as
        // `Err(Ok(unchanged))`, a refusal as `Err(Err(why))`.
        self.change_crls(|current| {
            let slot: Vec<&Arc<StoredCrl>> = current
                .crls
                .iter()
                .filter(|c| same_slot(&c.crl, &stored.crl))
                .collect();
            if slot
                .iter()
                .any(|c| c.crl.fingerprint == stored.crl.fingerprint)
            {
                return Err(Ok(CrlInstalled {
                    changed: false,
                    ..installed.clone()
                }));
            }
            for old in &slot {
                if old.crl.this_update > stored.crl.this_update {
                    return Err(Err(CrlRefused::Rollback(format!(
                        "thisUpdate {} is before {}",
                        stored.crl.this_update.rfc3339(),
                        old.crl.this_update.rfc3339()
                    ))));
                }
                if let (Some(old_n), Some(new_n)) = (&old.crl.number, &stored.crl.number) {
                    if cmp_uint(new_n, old_n) != std::cmp::Ordering::Greater {
                        return Err(Err(CrlRefused::Rollback(format!(
                            "cRLNumber {} is not above {}",
                            crate::encoding::hex(new_n),
                            crate::encoding::hex(old_n)
                        ))));
                    }
                }
            }
            let mut next: Vec<Arc<StoredCrl>> = current
                .crls
                .iter()
                .filter(|c| !same_slot(&c.crl, &stored.crl))
                .cloned()
                .collect();
            next.push(stored.clone());
            Ok((next, installed.clone()))
        })
        .or_else(|outcome| outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_code_is_listed() {
        let all = [
            CrlRefused::Malformed(CrlError::Empty),
            CrlRefused::Signature(String::new()),
            CrlRefused::Unusable(String::new()),
            CrlRefused::FromTheFuture(UnixTime::from_secs(0)),
            CrlRefused::Stale(String::new()),
            CrlRefused::Rollback(String::new()),
        ];
        let codes: Vec<&str> = all.iter().map(CrlRefused::code).collect();
        assert_eq!(codes, CrlRefused::CODES);
    }
}
