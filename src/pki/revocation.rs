//! Revocation status from CRLs (RFC 5280 §6.3): scope by distribution point and issuingDistributionPoint,
//! indirect CRLs, reasons coverage, delta CRLs, freshness, and the CRL issuer's own path.

use crate::clock::UnixTime;
use crate::pki::cert::Certificate;
use crate::pki::crl::{cmp_uint, directory_names, Crl, Reason, ALL_REASONS};
use crate::pki::dp::{DistributionPoint, GenName};
use crate::pki::name::Name;
use crate::pki::report::{RevocationEvidence, RevocationVerdict};
use crate::pki::store::{CrlSet, SignatureProblem, StoredCrl, TrustStore};
use crate::pki::validate::{Node, Purpose, RevocationMode, VerifyOptions, MAX_CRL_DEPTH};
use crate::pki::walk::Walk;

/// What the CRLs say about one certificate at the validation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RevocationStatus {
    NotChecked,
    Good,
    /// Good at the validation time; the CRL lists a revocation after it.
    RevokedLater {
        at: UnixTime,
        reason: Option<Reason>,
    },
    Revoked {
        at: UnixTime,
        reason: Option<Reason>,
    },
    /// No fresh, authentic CRL covers the certificate (for all reasons).
    Unknown {
        reasons: Vec<String>,
        /// A CRL that would have covered it has a signature that does not verify.
        bad_signature: bool,
    },
    /// The covering CRL is signed with an algorithm we do not support.
    Unsupported(String),
    /// An authentic OCSP answer says `unknown`: negative.
    UnknownToResponder {
        responder: String,
    },
}

impl RevocationStatus {
    pub(crate) fn verdict(&self) -> RevocationVerdict {
        match self {
            RevocationStatus::NotChecked => RevocationVerdict::NotChecked,
            RevocationStatus::Good | RevocationStatus::RevokedLater { .. } => {
                RevocationVerdict::Good
            }
            RevocationStatus::Revoked { .. } => RevocationVerdict::Revoked,
            RevocationStatus::Unknown { .. } | RevocationStatus::Unsupported(_) => {
                RevocationVerdict::Unknown
            }
            RevocationStatus::UnknownToResponder { .. } => RevocationVerdict::Revoked,
        }
    }
}

fn names_intersect(a: &[GenName], b: &[GenName]) -> bool {
    a.iter().any(|x| b.contains(x))
}

/// The distribution points to consider: the certificate's, or one implicit point (the issuer's complete CRL).
fn distribution_points(cert: &Certificate) -> Vec<DistributionPoint> {
    if cert.crl_distribution_points.is_empty() {
        vec![DistributionPoint {
            name: None,
            reasons: None,
            crl_issuer: None,
        }]
    } else {
        cert.crl_distribution_points.clone()
    }
}

/// Whether `crl` is in scope for `cert` through distribution point `dp` (RFC 5280 §6.3.3 (b)).
fn in_scope(crl: &Crl, cert: &Certificate, dp: &DistributionPoint) -> Result<(), String> {
    // The CRL issuer: the DP's cRLIssuer (indirect CRL) or the certificate's issuer.
    match &dp.crl_issuer {
        Some(names) => {
            if !directory_names(names).any(|n| *n == crl.issuer) {
                return Err(format!(
                    "CRL issuer \"{}\" is not the distribution point's cRLIssuer",
                    crl.issuer
                ));
            }
            if !crl.is_indirect() {
                return Err(format!(
                    "CRL of \"{}\" is not marked indirect but the certificate names it as cRLIssuer",
                    crl.issuer
                ));
            }
        }
        None => {
            if crl.issuer != cert.issuer && !crl.is_indirect() {
                return Err(format!(
                    "CRL issuer \"{}\" did not issue the certificate",
                    crl.issuer
                ));
            }
            if crl.issuer != cert.issuer {
                // An indirect CRL of another issuer only covers certificates whose DP names it.
                return Err(format!(
                    "indirect CRL of \"{}\" is not named by the certificate",
                    crl.issuer
                ));
            }
        }
    }
    if let Some(idp) = &crl.idp {
        if let Some(idp_name) = &idp.name {
            let idp_names = idp_name.resolve(&crl.issuer);
            let matched = match (&dp.name, &dp.crl_issuer) {
                (Some(dp_name), _) => {
                    let relative_to = dp
                        .crl_issuer
                        .as_deref()
                        .and_then(|n| directory_names(n).next())
                        .unwrap_or(&cert.issuer);
                    names_intersect(&idp_names, &dp_name.resolve(relative_to))
                }
                (None, Some(issuers)) => names_intersect(&idp_names, issuers),
                (None, None) => false,
            };
            if !matched {
                return Err("the CRL's issuingDistributionPoint does not match the certificate's distribution point".into());
            }
        }
        if idp.only_user_certs && cert.is_ca() {
            return Err("the CRL covers only end-entity certificates".into());
        }
        if idp.only_ca_certs && !cert.is_ca() {
            return Err("the CRL covers only CA certificates".into());
        }
        if idp.only_attribute_certs {
            return Err("the CRL covers only attribute certificates".into());
        }
    }
    Ok(())
}

fn delta_matches_base(delta: &Crl, base: &Crl) -> bool {
    if delta.issuer != base.issuer || delta.idp != base.idp {
        return false;
    }
    match (&delta.delta_base, &base.number) {
        (Some(delta_base), Some(base_number)) => {
            cmp_uint(delta_base, base_number) != std::cmp::Ordering::Greater
        }
        // A delta known as one only by where it came from (a FreshestCRL source whose list carries no
        // deltaCRLIndicator, as the NCA's 2026 profiles draw them): it completes any base issued before it.
        (None, _) if delta.is_delta() => base.this_update <= delta.this_update,
        _ => false,
    }
}

impl TrustStore {
    /// Why a CRL is not usable at `at`, or `None` when it is fresh and fully understood.
    fn unusable(&self, crl: &Crl, at: UnixTime) -> Option<String> {
        if !crl.unsupported_critical.is_empty() {
            return Some(format!(
                "CRL of \"{}\" has critical extensions that cannot be processed: {}",
                crl.issuer,
                crl.unsupported_critical.join(", ")
            ));
        }
        match crl.next_update {
            None => Some(format!("CRL of \"{}\" has no nextUpdate", crl.issuer)),
            Some(next) if at > next => Some(format!(
                "CRL of \"{}\" is stale: its nextUpdate {} is before the validation time",
                crl.issuer,
                next.rfc3339()
            )),
            Some(_) => None,
        }
    }

    /// Checks that some certificate that verified the CRL's signature may sign CRLs and is itself valid.
    /// `issuer` is the certificate's issuer on the path being validated: when it signed the CRL, its own
    /// validity is already part of that path.
    fn crl_signer_ok(
        &self,
        stored: &StoredCrl,
        issuer: &Node<'_>,
        at: UnixTime,
        walk: &mut Walk,
    ) -> Result<(), String> {
        if stored.signed_by.is_empty() && self.late_crl_signature_ok(stored, issuer.cert) {
            // Signed by the certificate's issuer on this path, which came with the request.
            return match issuer.cert.key_usage {
                Some(ku) if !ku.crl_sign => Err(format!(
                    "\"{}\" may not sign CRLs (keyUsage lacks cRLSign)",
                    issuer.cert.subject
                )),
                _ => Ok(()),
            };
        }
        if stored.signed_by.is_empty() {
            return Err(match &stored.signature_problem {
                Some(SignatureProblem::NoCandidate) => format!(
                    "no known certificate of \"{}\" to verify its CRL's signature",
                    stored.crl.issuer
                ),
                Some(SignatureProblem::Invalid(why)) => format!("CRL signature invalid: {why}"),
                Some(SignatureProblem::Unsupported(a)) => {
                    format!("CRL signature algorithm unsupported: {a}")
                }
                None => "CRL signature not verified".to_string(),
            });
        }
        let mut why = Vec::new();
        for &ix in &stored.signed_by {
            let signer = self.certs[ix].as_ref();
            if let Some(ku) = signer.key_usage {
                if !ku.crl_sign {
                    why.push(format!(
                        "\"{}\" may not sign CRLs (keyUsage lacks cRLSign)",
                        signer.subject
                    ));
                    continue;
                }
            }
            if signer.fingerprint == issuer.cert.fingerprint || self.is_anchor[ix] {
                return Ok(());
            }
            // A separate CRL signing certificate: it needs a valid path of its own.
            if walk.crl_stack.contains(&signer.fingerprint) {
                // The signer's own path is being validated by an enclosing call (a CRL issuer whose certificate
                // is covered by the CRL it signs, PKITS 4.14.30): its validity is decided there.
                return Ok(());
            }
            if walk.crl_stack.len() >= MAX_CRL_DEPTH {
                why.push(format!(
                    "CRL signer \"{}\" is nested too deeply",
                    signer.subject
                ));
                continue;
            }
            walk.crl_stack.push(signer.fingerprint);
            let mut opts = VerifyOptions::at_time(at);
            opts.purpose = Purpose::CrlSign;
            opts.revocation = RevocationMode::All;
            let (findings, _) = self.best_path(
                Node {
                    cert: signer,
                    pool: Some(ix),
                },
                &[],
                &opts,
                walk,
            );
            walk.crl_stack.pop();
            if findings.is_empty() {
                return Ok(());
            }
            why.push(format!(
                "CRL signer \"{}\" is not valid: {}",
                signer.subject,
                findings.messages().join("; ")
            ));
        }
        Err(why.join("; "))
    }

    /// The revocation status of `path[i]` from the sources `opts` names, in their order, with the data it rests
    /// on.
    pub(crate) fn status_by_source(
        &self,
        path: &[Node<'_>],
        i: usize,
        opts: &VerifyOptions,
        walk: &mut Walk,
    ) -> (RevocationStatus, Vec<std::sync::Arc<RevocationEvidence>>) {
        use crate::pki::ocsp::RevocationSource as S;
        let ocsp = || ocsp_status(path, i, opts);
        let crl = |walk: &mut Walk| self.revocation_status(path, i, opts.at, walk);
        let unknown_after = |why: String, (status, evidence)| match status {
            RevocationStatus::Unknown {
                mut reasons,
                bad_signature,
            } => {
                reasons.insert(0, why);
                (
                    RevocationStatus::Unknown {
                        reasons,
                        bad_signature,
                    },
                    evidence,
                )
            }
            status => (status, evidence),
        };
        match opts.source {
            S::Crl => crl(walk),
            S::Ocsp => ocsp().unwrap_or_else(|why| {
                (
                    RevocationStatus::Unknown {
                        reasons: vec![why],
                        bad_signature: false,
                    },
                    Vec::new(),
                )
            }),
            S::OcspThenCrl => match ocsp() {
                Ok(answer) => answer,
                Err(why) => unknown_after(why, crl(walk)),
            },
            S::CrlThenOcsp => match crl(walk) {
                (
                    RevocationStatus::Unknown {
                        mut reasons,
                        bad_signature,
                    },
                    evidence,
                ) => match ocsp() {
                    Ok(answer) => answer,
                    Err(why) => {
                        reasons.push(why);
                        (
                            RevocationStatus::Unknown {
                                reasons,
                                bad_signature,
                            },
                            evidence,
                        )
                    }
                },
                checked => checked,
            },
        }
    }

    /// The revocation status of `path[i]`, whose issuer is `path[i + 1]`, from the CRLs held now, with the CRLs
    /// it rests on.
    pub(crate) fn revocation_status(
        &self,
        path: &[Node<'_>],
        i: usize,
        at: UnixTime,
        walk: &mut Walk,
    ) -> (RevocationStatus, Vec<std::sync::Arc<RevocationEvidence>>) {
        let set: std::sync::Arc<CrlSet> = self.crl_set();
        let cert = path[i].cert;
        let issuer = path[i + 1];
        let mut covered: u16 = 0;
        let mut problems: Vec<String> = Vec::new();
        let mut bad_signature = false;
        let mut unsupported: Option<String> = None;
        let mut later: Option<(UnixTime, Option<Reason>)> = None;
        let mut evidence: Vec<std::sync::Arc<RevocationEvidence>> = Vec::new();

        for dp in distribution_points(cert) {
            let crl_issuers: Vec<&Name> = match &dp.crl_issuer {
                Some(names) => directory_names(names).collect(),
                None => vec![&cert.issuer],
            };
            for crl_issuer in crl_issuers {
                let Some(ixs) = set.by_issuer.get(crl_issuer) else {
                    continue;
                };
                for &ix in ixs {
                    let stored = set.crls[ix].as_ref();
                    let crl = &stored.crl;
                    if crl.is_delta() {
                        continue;
                    }
                    if let Err(why) = in_scope(crl, cert, &dp) {
                        problems.push(why);
                        continue;
                    }
                    let scope_reasons = crl
                        .idp
                        .as_ref()
                        .and_then(|i| i.only_some_reasons)
                        .unwrap_or(ALL_REASONS)
                        & dp.reasons.unwrap_or(ALL_REASONS)
                        & ALL_REASONS;
                    if scope_reasons & !covered == 0 {
                        continue;
                    }
                    if let Some(why) = self.unusable(crl, at) {
                        problems.push(why);
                        continue;
                    }
                    if let Err(why) = self.crl_signer_ok(stored, &issuer, at, walk) {
                        match &stored.signature_problem {
                            Some(SignatureProblem::Invalid(_)) => bad_signature = true,
                            Some(SignatureProblem::Unsupported(a)) => unsupported = Some(a.clone()),
                            _ => {}
                        }
                        problems.push(why);
                        continue;
                    }
                    // The freshest usable delta CRL for this base, if any.
                    let delta = ixs
                        .iter()
                        .map(|d| set.crls[*d].as_ref())
                        .filter(|d| {
                            d.crl.is_delta()
                                && delta_matches_base(&d.crl, crl)
                                && self.unusable(&d.crl, at).is_none()
                        })
                        .filter(|d| self.crl_signer_ok(d, &issuer, at, walk).is_ok())
                        .max_by(|a, b| {
                            cmp_uint(
                                a.crl.number.as_deref().unwrap_or_default(),
                                b.crl.number.as_deref().unwrap_or_default(),
                            )
                            .then(a.crl.this_update.cmp(&b.crl.this_update))
                        });
                    evidence.push(stored.evidence.clone());
                    if let Some(d) = delta {
                        evidence.push(d.evidence.clone());
                    }
                    let entry = match delta.and_then(|d| d.crl.lookup(&cert.issuer, &cert.serial)) {
                        Some(e) => Some(e),
                        None => crl.lookup(&cert.issuer, &cert.serial),
                    };
                    if let Some(e) = entry {
                        let removed = e.reason == Some(Reason::RemoveFromCrl);
                        if !removed && e.revoked_at <= at {
                            return (
                                RevocationStatus::Revoked {
                                    at: e.revoked_at,
                                    reason: e.reason,
                                },
                                evidence,
                            );
                        }
                        if !removed && later.is_none_or(|(t, _)| e.revoked_at < t) {
                            later = Some((e.revoked_at, e.reason));
                        }
                    }
                    covered |= scope_reasons;
                }
            }
        }
        if covered & ALL_REASONS == ALL_REASONS {
            let status = match later {
                Some((at, reason)) => RevocationStatus::RevokedLater { at, reason },
                None => RevocationStatus::Good,
            };
            return (status, evidence);
        }
        if let Some(a) = unsupported {
            return (RevocationStatus::Unsupported(a), evidence);
        }
        if problems.is_empty() {
            problems.push(format!("no CRL of \"{}\" is available", cert.issuer));
        } else if covered != 0 {
            problems.push("the available CRLs do not cover every revocation reason".into());
        }
        problems.dedup();
        (
            RevocationStatus::Unknown {
                reasons: problems,
                bad_signature,
            },
            evidence,
        )
    }
}

/// What OCSP says about `path[i]` (issued by `path[i + 1]`) at the validation time, with the answer as evidence,
/// or why it says nothing.
fn ocsp_status(
    path: &[Node<'_>],
    i: usize,
    opts: &VerifyOptions,
) -> Result<(RevocationStatus, Vec<std::sync::Arc<RevocationEvidence>>), String> {
    use crate::pki::ocsp::OcspStatus;
    let lookup = opts
        .ocsp
        .as_ref()
        .ok_or_else(|| "no OCSP responder is configured".to_string())?;
    let issuer = path
        .get(i + 1)
        .ok_or_else(|| "no issuer to ask OCSP about".to_string())?;
    let (answer, source) = lookup.0.lookup(path[i].cert, issuer.cert, opts.at)?;
    let evidence = vec![std::sync::Arc::new(RevocationEvidence::Ocsp {
        responder: source.url.clone(),
        signer: answer.responder.clone(),
        produced_at: answer.produced_at,
        this_update: answer.this_update,
        next_update: answer.next_update,
        cached: source.cached,
        response: answer.response.clone(),
    })];
    let status = match answer.status {
        OcspStatus::Good => RevocationStatus::Good,
        OcspStatus::Unknown => RevocationStatus::UnknownToResponder {
            responder: source.url,
        },
        OcspStatus::Revoked { at, reason, .. } if at <= opts.at => {
            RevocationStatus::Revoked { at, reason }
        }
        OcspStatus::Revoked { at, reason, .. } => RevocationStatus::RevokedLater { at, reason },
    };
    Ok((status, evidence))
}
