//! Certification path building and validation (RFC 5280 §6), with revocation from the store's CRLs.

use crate::clock::UnixTime;
use crate::crypto::CryptoError;
use crate::identity::{Bin, Iin};
use crate::pki::cert::Certificate;
use crate::pki::crl::Reason;
use crate::pki::report::{ChainEntry, Code, Findings, LaterRevocation, Report};
use crate::pki::revocation::RevocationStatus;
use crate::pki::store::TrustStore;
use crate::pki::walk::Walk;
pub(crate) use crate::pki::walk::{MAX_BUILD_STEPS, MAX_SIGNATURE_CHECKS};

/// What the end-entity key is to be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing documents: digitalSignature and nonRepudiation.
    Sign,
    /// Authentication: digitalSignature, and clientAuth when the certificate lists extended key usages (the NCA's
    /// AUTH key, not its SIGN key).
    Auth,
    /// No key usage requirement.
    Any,
    /// Signing CRLs (used for CRL issuers' own paths).
    CrlSign,
}

/// Which certificates of the path need a fresh, authentic CRL. Reports say which was asked (`revocationChecked`:
/// `all`, `leaf` or `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RevocationMode {
    /// Every certificate below the trust anchor.
    All,
    /// The end entity only.
    Leaf,
    /// No revocation check (said in the report).
    None,
}

impl RevocationMode {
    /// The name the CLI and reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationMode::All => "all",
            RevocationMode::Leaf => "leaf",
            RevocationMode::None => "none",
        }
    }
}

/// Parameters of one verification.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Validation time, Unix seconds.
    pub at: UnixTime,
    /// What the certificate is checked for.
    pub purpose: Purpose,
    /// How revocation is checked.
    pub revocation: RevocationMode,
    /// Which revocation data is consulted (CRLs by default).
    pub source: crate::pki::ocsp::RevocationSource,
    /// Where OCSP answers come from, when the source uses OCSP (none: OCSP gives no answer).
    pub ocsp: Option<crate::pki::ocsp::SharedOcsp>,
    /// The IIN stated in the request, to compare with the certificate.
    pub iin: Option<Iin>,
    /// The BIN stated in the request.
    pub bin: Option<Bin>,
    /// The name stated in the request, compared with the certificate's holder.
    pub name: Option<crate::identity::NameClaim>,
    /// Set by the caller to stop the work (a deadline passed).
    pub cancel: crate::cancel::Cancel,
}

impl VerifyOptions {
    /// Options for a validation at `at` (Unix seconds): any purpose, CRLs required.
    pub fn at(at: i64) -> Self {
        Self::at_time(UnixTime::from_secs(at))
    }

    /// Options for a validation at `at`: any purpose, CRLs required.
    pub fn at_time(at: UnixTime) -> Self {
        VerifyOptions {
            at,
            purpose: Purpose::Sign,
            revocation: RevocationMode::All,
            source: crate::pki::ocsp::RevocationSource::Crl,
            ocsp: None,
            iin: None,
            bin: None,
            name: None,
            cancel: crate::cancel::Cancel::never(),
        }
    }
}

/// A certificate on a candidate path: the certificate and its pool index when it comes from the store.
#[derive(Clone, Copy)]
pub(crate) struct Node<'a> {
    pub cert: &'a Certificate,
    pub pool: Option<usize>,
}

impl Node<'_> {
    fn same(&self, other: &Node<'_>) -> bool {
        self.cert.fingerprint == other.cert.fingerprint
    }
}

/// Longest path we build (end entity + intermediates + anchor).
const MAX_PATH_LEN: usize = 10;
/// Candidate paths tried before giving up.
const MAX_PATHS: usize = 16;
/// How deep CRL-issuer paths may nest (a CRL signer whose own CRL has another signer...).
pub(crate) const MAX_CRL_DEPTH: usize = 3;

/// The outcome of validating one path.
pub(crate) struct PathOutcome {
    pub findings: Findings,
    pub statuses: Vec<RevocationStatus>,
    /// For each certificate, the revocation data its status rests on.
    pub evidence: Vec<Vec<std::sync::Arc<crate::pki::report::RevocationEvidence>>>,
}

impl TrustStore {
    /// Verifies a certificate: builds paths to the trust anchors through the store's and the given
    /// intermediates, validates them at `opts.at`, checks revocation and the request's identity.
    pub fn verify_certificate(
        &self,
        leaf: &Certificate,
        intermediates: &[&Certificate],
        opts: &VerifyOptions,
    ) -> Report {
        let leaf_node = Node {
            cert: leaf,
            pool: self.index_of(leaf),
        };
        let (findings, chain) =
            self.best_path(leaf_node, intermediates, opts, &mut Walk::new(&opts.cancel));
        let mut findings = findings;
        check_identity(leaf, opts, &mut findings);
        // Identifiers only: the serial and the issuer, never names or IINs.
        tracing::debug!(
            serial = %leaf.serial_hex(),
            issuer = %leaf.issuer,
            codes = ?findings.codes(),
            "certificate verified"
        );
        findings.into_report(
            Some(leaf.subject_summary.clone()),
            chain,
            opts.at.rfc3339(),
            opts.revocation,
        )
    }

    /// Builds candidate paths, validates each, and returns the first valid one or the least bad.
    pub(crate) fn best_path(
        &self,
        leaf: Node<'_>,
        extra: &[&Certificate],
        opts: &VerifyOptions,
        walk: &mut Walk,
    ) -> (Findings, Vec<ChainEntry>) {
        let mut paths = Vec::new();
        let mut partial = vec![leaf];
        let mut longest_untrusted: Vec<Node<'_>> = vec![leaf];
        self.build(
            &mut partial,
            extra,
            &mut paths,
            &mut longest_untrusted,
            walk,
        );

        let mut best: Option<(Findings, Vec<ChainEntry>)> = None;
        for path in &paths {
            let mut outcome = self.validate_path(path, opts, walk);
            let chain = chain_entries(path, &outcome.statuses, &outcome.evidence, true);
            if walk.exhausted {
                gave_up(&mut outcome.findings);
            }
            if outcome.findings.is_empty() {
                return (outcome.findings, chain);
            }
            let better = match &best {
                None => true,
                Some((f, _)) => outcome.findings.severity() < f.severity(),
            };
            if better {
                best = Some((outcome.findings, chain));
            }
        }
        if let Some(b) = best {
            return b;
        }
        // No path reaches an anchor: still report what is wrong with the part we could build.
        let mut outcome = self.validate_path(&longest_untrusted, opts, walk);
        if walk.exhausted {
            gave_up(&mut outcome.findings);
        }
        let last = longest_untrusted[longest_untrusted.len() - 1].cert;
        outcome.findings.add(
            Code::ChainUntrusted,
            format!(
                "no path to a trust anchor: no trusted certificate issued \"{}\" (issuer \"{}\")",
                last.subject, last.issuer
            ),
        );
        let chain = chain_entries(
            &longest_untrusted,
            &outcome.statuses,
            &outcome.evidence,
            false,
        );
        (outcome.findings, chain)
    }

    /// Depth-first path building from `partial` (end entity first) towards an anchor.
    fn build<'a>(
        &'a self,
        partial: &mut Vec<Node<'a>>,
        extra: &[&'a Certificate],
        out: &mut Vec<Vec<Node<'a>>>,
        longest: &mut Vec<Node<'a>>,
        walk: &mut Walk,
    ) {
        if out.len() >= MAX_PATHS || partial.len() >= MAX_PATH_LEN {
            return;
        }
        let current = partial[partial.len() - 1];
        if current.pool.is_some_and(|ix| self.is_anchor[ix]) {
            out.push(partial.clone());
            return;
        }
        if partial.len() > longest.len() {
            *longest = partial.clone();
        }
        let mut candidates: Vec<Node<'a>> = Vec::new();
        if let Some(ixs) = self.by_subject.get(&current.cert.issuer) {
            candidates.extend(ixs.iter().map(|ix| Node {
                cert: self.certs[*ix].as_ref(),
                pool: Some(*ix),
            }));
        }
        candidates.extend(
            extra
                .iter()
                .copied()
                .filter(|c| c.subject == current.cert.issuer)
                .map(|c| Node {
                    pool: self.index_of(c),
                    cert: c,
                }),
        );
        // Prefer the issuer whose subjectKeyIdentifier matches our authorityKeyIdentifier, then anchors.
        let aki = current.cert.authority_key_id.as_deref();
        candidates.sort_by_key(|n| {
            let key_match = match (aki, n.cert.subject_key_id.as_deref()) {
                (Some(a), Some(s)) if a == s => 0,
                (Some(_), Some(_)) => 2,
                _ => 1,
            };
            let anchor = n.pool.is_some_and(|ix| self.is_anchor[ix]);
            (key_match, !anchor)
        });
        let mut tried: Vec<[u8; 32]> = Vec::new();
        for cand in candidates {
            if tried.contains(&cand.cert.fingerprint) || partial.iter().any(|p| p.same(&cand)) {
                continue;
            }
            if !walk.step() {
                return;
            }
            tried.push(cand.cert.fingerprint);
            partial.push(cand);
            self.build(partial, extra, out, longest, walk);
            partial.pop();
        }
    }

    /// Validates one path (end entity first; the last element is the anchor when the path is trusted).
    pub(crate) fn validate_path(
        &self,
        path: &[Node<'_>],
        opts: &VerifyOptions,
        walk: &mut Walk,
    ) -> PathOutcome {
        let mut f = Findings::default();
        let n = path.len();
        let anchored = path[n - 1].pool.is_some_and(|ix| self.is_anchor[ix]);
        let mut statuses = vec![RevocationStatus::NotChecked; n];
        let mut evidence: Vec<Vec<std::sync::Arc<crate::pki::report::RevocationEvidence>>> =
            vec![Vec::new(); n];
        let who = |i: usize| -> String {
            if i == 0 {
                format!("end-entity certificate \"{}\"", path[0].cert.subject)
            } else if anchored && i == n - 1 {
                format!("trust anchor \"{}\"", path[i].cert.subject)
            } else {
                format!("CA certificate \"{}\"", path[i].cert.subject)
            }
        };

        // Validity of every certificate, the anchor included: an expired root no longer vouches for anything.
        for (i, node) in path.iter().enumerate() {
            let c = node.cert;
            if opts.at < c.not_before {
                f.add(
                    Code::CertNotYetValid,
                    format!("{} is not valid before {}", who(i), c.not_before.rfc3339()),
                );
            }
            if opts.at > c.not_after {
                f.add(
                    Code::CertExpired,
                    format!("{} expired at {}", who(i), c.not_after.rfc3339()),
                );
            }
        }

        // Signatures and critical extensions of every certificate issued by the next one.
        for i in 0..n {
            let c = path[i].cert;
            let is_anchor = anchored && i == n - 1;
            if !is_anchor && !c.unsupported_critical.is_empty() {
                f.add(
                    Code::UnsupportedCriticalExtension,
                    format!(
                        "{} has critical extensions that cannot be processed: {}",
                        who(i),
                        c.unsupported_critical.join(", ")
                    ),
                );
            }
            if i + 1 >= n {
                continue;
            }
            let issuer = path[i + 1];
            if !c.signature_algorithm.same_as(&c.inner_signature_algorithm) {
                f.add(
                    Code::CertSignatureInvalid,
                    format!(
                        "{} names different signature algorithms inside and outside",
                        who(i)
                    ),
                );
                continue;
            }
            match self.verify_cert_signature((c, path[i].pool), (issuer.cert, issuer.pool), walk) {
                Ok(()) => {}
                Err(CryptoError::Budget) => {}
                Err(CryptoError::UnsupportedAlgorithm(a)) => f.add(
                    Code::UnsupportedAlgorithm,
                    format!("signature of {} uses an unsupported algorithm: {a}", who(i)),
                ),
                Err(e) => f.add(
                    Code::CertSignatureInvalid,
                    format!(
                        "signature of {} does not verify with the key of \"{}\": {e}",
                        who(i),
                        issuer.cert.subject
                    ),
                ),
            }
        }

        // CA constraints of the intermediates, from the anchor down (RFC 5280 §6.1.4 (k)–(n)).
        let top = if anchored { n - 1 } else { n };
        let mut max_path_len = top; // certificates below the anchor
        for i in (1..top).rev() {
            let c = path[i].cert;
            if c.version < 3 || !c.is_ca() {
                f.add(
                    Code::CaConstraints,
                    format!(
                        "{} is not a CA (basicConstraints cA is not set) but issued a certificate",
                        who(i)
                    ),
                );
            }
            if !c.is_self_issued() {
                if max_path_len == 0 {
                    f.add(
                        Code::CaConstraints,
                        format!("{} exceeds the path length allowed above it", who(i)),
                    );
                } else {
                    max_path_len -= 1;
                }
            }
            if let Some((_, Some(limit))) = c.basic_constraints {
                max_path_len = max_path_len.min(limit as usize);
            }
            if let Some(ku) = c.key_usage {
                if !ku.key_cert_sign {
                    f.add(
                        Code::CaConstraints,
                        format!(
                            "{} may not sign certificates (keyUsage lacks keyCertSign)",
                            who(i)
                        ),
                    );
                }
            }
        }

        check_leaf_purpose(path[0].cert, opts.purpose, &mut f);

        // Revocation of the certificates below the anchor.
        let check_upto = match opts.revocation {
            RevocationMode::None => 0,
            RevocationMode::Leaf => 1.min(n - 1),
            RevocationMode::All => n - 1,
        };
        for (i, (slot, data)) in statuses
            .iter_mut()
            .zip(evidence.iter_mut())
            .enumerate()
            .take(check_upto)
        {
            let (status, answered) = self.status_by_source(path, i, opts, walk);
            *data = answered;
            match &status {
                RevocationStatus::Good
                | RevocationStatus::NotChecked
                | RevocationStatus::RevokedLater { .. } => {}
                RevocationStatus::UnknownToResponder { responder } => f.add(
                    Code::CertRevoked,
                    format!(
                        "{} is unknown to the OCSP responder {responder}: a negative answer",
                        who(i)
                    ),
                ),
                RevocationStatus::Revoked { at, reason } => f.add(
                    Code::CertRevoked,
                    format!(
                        "{} was revoked at {}{}",
                        who(i),
                        at.rfc3339(),
                        reason
                            .map(|r| format!(" ({})", r.name()))
                            .unwrap_or_default()
                    ),
                ),
                RevocationStatus::Unknown {
                    reasons,
                    bad_signature,
                } => {
                    if *bad_signature {
                        f.add(
                            Code::CertSignatureInvalid,
                            format!(
                                "the CRL for {} has a signature that does not verify",
                                who(i)
                            ),
                        );
                    }
                    f.add(
                        Code::RevocationUnknown,
                        format!(
                            "revocation status of {} is unknown: {}",
                            who(i),
                            reasons.join("; ")
                        ),
                    );
                }
                RevocationStatus::Unsupported(a) => {
                    f.add(
                        Code::UnsupportedAlgorithm,
                        format!(
                            "the CRL for {} is signed with an unsupported algorithm: {a}",
                            who(i)
                        ),
                    );
                    f.add(
                        Code::RevocationUnknown,
                        format!(
                            "revocation status of {} is unknown: its CRL cannot be verified",
                            who(i)
                        ),
                    );
                }
            }
            *slot = status;
        }
        PathOutcome {
            findings: f,
            statuses,
            evidence,
        }
    }
}

/// The search for a path stopped early: what was found cannot be trusted to be the best there is.
fn gave_up(f: &mut Findings) {
    f.add(
        Code::ChainUntrusted,
        format!(
            "path validation gave up: the certificates offered need more than {MAX_BUILD_STEPS} candidate issuers \
             or {MAX_SIGNATURE_CHECKS} signature checks (or the work was cancelled)"
        ),
    );
}

fn check_leaf_purpose(leaf: &Certificate, purpose: Purpose, f: &mut Findings) {
    // The NCA issues each person two keys: AUTH (clientAuth) and SIGN (emailProtection). Logging in needs the
    // AUTH one: a certificate whose extended key usages are listed must list clientAuth (or any).
    if purpose == Purpose::Auth
        && !leaf.extended_key_usage.is_empty()
        && !leaf.extended_key_usage.iter().any(|e| {
            *e == crate::encoding::oid::eku::CLIENT_AUTH || *e == crate::encoding::oid::eku::ANY
        })
    {
        f.add(
            Code::KeyUsage,
            "the end-entity key may not be used to authenticate: extendedKeyUsage lacks clientAuth (an NCA SIGN key, not its AUTH key)",
        );
        return;
    }
    let Some(ku) = leaf.key_usage else {
        // No keyUsage extension: RFC 5280 allows every use.
        return;
    };
    let (ok, need) = match purpose {
        Purpose::Any => (true, ""),
        Purpose::Sign => (
            ku.digital_signature && ku.non_repudiation,
            "digitalSignature and nonRepudiation (a signing key)",
        ),
        Purpose::Auth => (ku.digital_signature, "digitalSignature"),
        Purpose::CrlSign => (ku.crl_sign, "cRLSign"),
    };
    if !ok {
        f.add(
            Code::KeyUsage,
            format!("the end-entity key may not be used for this purpose: keyUsage lacks {need}"),
        );
    }
}

fn check_identity(leaf: &Certificate, opts: &VerifyOptions, f: &mut Findings) {
    if let Some(claim) = &opts.name {
        use crate::identity::{NameClaim, NameProblem};
        let (stated, what) = match claim {
            NameClaim::Person(n) => (n, "holder's name"),
            NameClaim::Organisation(n) => (n, "organisation"),
        };
        match leaf.profile.check_name(claim) {
            Ok(()) => {}
            Err(NameProblem::Absent) => f.add(
                Code::IdentityAbsent,
                format!("the certificate carries no {what} to compare with the request"),
            ),
            Err(NameProblem::Differs(own)) => f.add(
                Code::NameMismatch,
                format!("the request's name \"{stated}\" differs from the certificate's {what} \"{own}\""),
            ),
        }
    }
    if let Some(iin) = &opts.iin {
        match &leaf.profile.iin {
            None => f.add(
                Code::IdentityAbsent,
                "the certificate carries no IIN to compare with the request",
            ),
            Some(c) if *c != iin.as_string() => f.add(
                Code::IinMismatch,
                format!("the request's IIN {iin} differs from the certificate's IIN {c}"),
            ),
            Some(_) => {}
        }
    }
    if let Some(bin) = &opts.bin {
        match &leaf.profile.bin {
            None => f.add(
                Code::IdentityAbsent,
                "the certificate carries no BIN to compare with the request",
            ),
            Some(c) if *c != bin.as_string() => f.add(
                Code::BinMismatch,
                format!("the request's BIN {bin} differs from the certificate's BIN {c}"),
            ),
            Some(_) => {}
        }
    }
}

fn chain_entries(
    path: &[Node<'_>],
    statuses: &[RevocationStatus],
    evidence: &[Vec<std::sync::Arc<crate::pki::report::RevocationEvidence>>],
    anchored: bool,
) -> Vec<ChainEntry> {
    let n = path.len();
    path.iter()
        .zip(statuses)
        .zip(evidence)
        .enumerate()
        .map(|(i, ((node, status), data))| ChainEntry {
            certificate: node.cert.summary.clone(),
            revocation: status.verdict(),
            revoked_later: match status {
                RevocationStatus::RevokedLater { at, reason } => Some(LaterRevocation {
                    at: *at,
                    reason: *reason,
                    compromise: reason.is_none_or(Reason::is_compromise),
                }),
                _ => None,
            },
            trust_anchor: anchored && i == n - 1,
            revocation_data: data.clone(),
        })
        .collect()
}
