//! Verification reports (README, "Reports", a contract): every problem found, not just the first.

use serde::Serialize;

pub use crate::pki::evidence::RevocationEvidence;

use crate::identity::{Role, SubjectProfile};

/// The problem codes of README, "Reports".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// `MALFORMED`: the input could not be parsed.
    Malformed,
    /// `CHAIN_UNTRUSTED`: no path to a trust anchor.
    ChainUntrusted,
    /// `CERT_SIGNATURE_INVALID`: a certificate's signature does not verify under its issuer's key.
    CertSignatureInvalid,
    /// `CERT_EXPIRED`: a certificate of the path had expired at the validation time.
    CertExpired,
    /// `CERT_NOT_YET_VALID`: a certificate of the path was not yet valid at the validation time.
    CertNotYetValid,
    /// `CERT_REVOKED`: a certificate of the path is revoked.
    CertRevoked,
    /// `REVOCATION_UNKNOWN`: no fresh, authentic revocation data covers a certificate of the path.
    RevocationUnknown,
    /// `CA_CONSTRAINTS`: basic constraints, path length or name constraints are violated.
    CaConstraints,
    /// `KEY_USAGE`: a key usage or extended key usage does not allow the purpose.
    KeyUsage,
    /// `UNSUPPORTED_ALGORITHM`: a signature or key algorithm this build does not implement.
    UnsupportedAlgorithm,
    /// `UNSUPPORTED_CRITICAL_EXTENSION`: a critical extension this validator does not process.
    UnsupportedCriticalExtension,
    /// `IIN_MISMATCH`: the IIN asked for is not the certificate's.
    IinMismatch,
    /// `BIN_MISMATCH`: the BIN asked for is not the certificate's.
    BinMismatch,
    /// `IDENTITY_ABSENT`: the certificate carries no IIN or BIN where one was required.
    IdentityAbsent,
    /// `SIGNATURE_INVALID`: a signature over data (CMS, seal) does not verify.
    SignatureInvalid,
    /// `DOCUMENT_MISMATCH`: the document's content differs from what was signed.
    DocumentMismatch,
    /// `DOCUMENT_STATUS`: the registry records the document as suspended, revoked or replaced.
    DocumentStatus,
    /// `SIGNATURE_SCOPE`: a signature does not cover what it is taken to cover (bytes appended to a PDF).
    SignatureScope,
    /// `SIGNER_NOT_AUTHORISED`: the signer's role does not allow it to sign this form.
    SignerNotAuthorised,
    /// `REVOKED_NO_POE`: revoked after the signing time, with no proof the signature existed before.
    RevokedNoPoe,
    /// `NAME_MISMATCH`: a name asked for is not the certificate's.
    NameMismatch,
    /// `MESSAGE_EXPIRED`: a signed message's own validity (a WS-Security Timestamp, a login challenge) is over or
    /// not yet begun at the validation time.
    MessageExpired,
}

impl Code {
    /// The stable code as design.md §3 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Malformed => "MALFORMED",
            Code::ChainUntrusted => "CHAIN_UNTRUSTED",
            Code::CertSignatureInvalid => "CERT_SIGNATURE_INVALID",
            Code::CertExpired => "CERT_EXPIRED",
            Code::CertNotYetValid => "CERT_NOT_YET_VALID",
            Code::CertRevoked => "CERT_REVOKED",
            Code::RevocationUnknown => "REVOCATION_UNKNOWN",
            Code::CaConstraints => "CA_CONSTRAINTS",
            Code::KeyUsage => "KEY_USAGE",
            Code::UnsupportedAlgorithm => "UNSUPPORTED_ALGORITHM",
            Code::UnsupportedCriticalExtension => "UNSUPPORTED_CRITICAL_EXTENSION",
            Code::IinMismatch => "IIN_MISMATCH",
            Code::BinMismatch => "BIN_MISMATCH",
            Code::IdentityAbsent => "IDENTITY_ABSENT",
            Code::SignatureInvalid => "SIGNATURE_INVALID",
            Code::DocumentMismatch => "DOCUMENT_MISMATCH",
            Code::DocumentStatus => "DOCUMENT_STATUS",
            Code::SignatureScope => "SIGNATURE_SCOPE",
            Code::SignerNotAuthorised => "SIGNER_NOT_AUTHORISED",
            Code::RevokedNoPoe => "REVOKED_NO_POE",
            Code::NameMismatch => "NAME_MISMATCH",
            Code::MessageExpired => "MESSAGE_EXPIRED",
        }
    }

    /// Whether the problem proves the object invalid (`TOTAL_FAILED`) rather than leaving it undecided
    /// (`INDETERMINATE`: no trusted path, no fresh revocation data, an algorithm we cannot evaluate).
    fn is_conclusive(self) -> bool {
        !matches!(
            self,
            Code::ChainUntrusted
                | Code::RevocationUnknown
                | Code::UnsupportedAlgorithm
                | Code::Malformed
                | Code::RevokedNoPoe
        )
    }
}

/// The ETSI EN 319 102-1 main indication of a validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Indication {
    /// Every check passed.
    TotalPassed,
    /// A check failed definitively (bad signature, revoked before signing, expired).
    TotalFailed,
    /// A check could not be completed (missing revocation data, unknown issuer).
    Indeterminate,
}

/// The subject block of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectSummary {
    /// The subject's IIN (SERIALNUMBER `IIN…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iin: Option<String>,
    /// The organisation's BIN (OU `BIN…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    /// The subject's common name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// The role from the NCA's extended key usage (serialised as its stable name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The role's names in Kazakh, Russian and English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_names: Option<crate::identity::RoleNames>,
    /// The whole subject profile, flattened into the summary.
    pub profile: SubjectProfile,
}

impl SubjectSummary {
    /// The summary of a subject profile.
    pub fn from_profile(p: &SubjectProfile) -> SubjectSummary {
        let role = p.primary_role();
        SubjectSummary {
            iin: p.iin.clone(),
            bin: p.bin.clone(),
            common_name: p.common_name.clone(),
            role,
            role_names: role.map(|r| crate::identity::RoleNames {
                kk: r.name_kk(),
                ru: r.name_ru(),
                en: r.name_en(),
            }),
            profile: p.clone(),
        }
    }
}

/// How a certificate is shown in reports: built once when the certificate is parsed and shared, so a report
/// costs no formatting on the verification path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertSummary {
    /// The subject's distinguished name, RFC 4514 text.
    pub subject: String,
    /// The issuer's distinguished name, RFC 4514 text.
    pub issuer: String,
    /// The serial number, lower-case hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the certificate's DER, lower-case hex.
    pub sha256: String,
    /// The signature algorithm's name.
    pub signature_algorithm: String,
}

/// One certificate of the path as shown in a report, end entity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainEntry {
    /// The certificate, summarised.
    #[serde(flatten)]
    pub certificate: std::sync::Arc<CertSummary>,
    /// What revocation checking found for this certificate.
    pub revocation: RevocationVerdict,
    /// A revocation the CRL lists after the validation time: the certificate was good then, revoked since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_later: Option<LaterRevocation>,
    /// Whether this certificate is the trust anchor that ends the path.
    pub trust_anchor: bool,
    /// What answered the revocation question for this certificate: each CRL (and delta) or OCSP answer the
    /// verdict rests on (ETSI EN 319 102-1's validation objects). Absent when revocation was not checked or
    /// nothing usable answered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revocation_data: Vec<std::sync::Arc<RevocationEvidence>>,
}

/// What revocation checking found for one certificate of the path, as reports spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RevocationVerdict {
    /// Not revoked at the validation time (it may have been revoked since: see `revokedLater`).
    Good,
    /// Revoked at the validation time.
    Revoked,
    /// No fresh, authentic revocation data covers it, or it is signed with an unsupported algorithm.
    Unknown,
    /// Revocation was not checked (`--revocation none`, or a trust anchor).
    #[serde(rename = "not checked")]
    NotChecked,
}

impl std::fmt::Display for RevocationVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RevocationVerdict::Good => "good",
            RevocationVerdict::Revoked => "revoked",
            RevocationVerdict::Unknown => "unknown",
            RevocationVerdict::NotChecked => "not checked",
        })
    }
}

/// A revocation after the validation time. Whether it matters depends on who chose that time: a seal's issue time
/// is written by its signer, so a compromised key's seals need better proof of their time (README, "Reports"
/// `REVOKED_NO_POE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaterRevocation {
    /// When it was revoked (serialised as RFC 3339).
    pub at: crate::clock::UnixTime,
    /// The CRL entry's reason, when it has one (serialised as its RFC 5280 name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<crate::pki::reason::Reason>,
    /// Revoked because the key may be in someone else's hands (keyCompromise, cACompromise, aACompromise,
    /// certificateHold, unspecified or no reason): anything it signed may have been back-dated.
    #[serde(skip)]
    pub compromise: bool,
}

/// A certificate validation's result: design.md §3's report, serialised as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Whether the indication is TOTAL-PASSED.
    pub valid: bool,
    /// The main indication, by the Kazakh rule (an expired or revoked certificate is negative).
    pub indication: Indication,
    /// The verdict in ETSI EN 319 102-1 terms (indication, sub-indication), which differs from `indication` where
    /// the rules differ: an expired certificate without a timestamp is `INDETERMINATE`/`OUT_OF_BOUNDS_NO_POE` there.
    pub etsi: Etsi,
    /// Every failed check's stable code, most serious first.
    pub codes: Vec<Code>,
    /// Human-readable messages, one per finding.
    pub messages: Vec<String>,
    /// Who the end-entity certificate names, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<std::sync::Arc<SubjectSummary>>,
    /// The path, end entity first, anchor last.
    pub chain: Vec<ChainEntry>,
    /// The validation time, RFC 3339.
    pub validation_time: String,
    /// Which certificates' revocation was checked (`none`: not checked).
    pub revocation_checked: crate::pki::RevocationMode,
}

impl Report {
    /// Adds a problem found after the cryptographic verification (the registry's status of a document), keeping
    /// `valid`, `indication` and the sorted codes consistent.
    pub fn add(&mut self, code: Code, message: impl Into<String>) {
        self.add_finding(|f| f.add(code, message));
    }

    /// Adds that a digest of the signed data differs (`SIGNATURE_INVALID`, ETSI's HASH_FAILURE).
    pub fn add_hash_failure(&mut self, message: impl Into<String>) {
        self.add_finding(|f| f.add_hash_failure(message));
    }

    fn add_finding(&mut self, add: impl FnOnce(&mut Findings)) {
        let mut f = Findings::default();
        f.absorb(self);
        add(&mut f);
        self.indication = f.indication();
        self.etsi = Etsi::of(&f.codes, f.hash_failure, f.proof_of_existence);
        self.valid = self.indication == Indication::TotalPassed;
        let mut codes = f.codes;
        codes.sort();
        self.codes = codes;
        self.messages = f.messages;
    }
}

/// The ETSI EN 319 102-1 sub-indications Qoltanba's findings map onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubIndication {
    /// The signature or its container cannot be read as the format requires.
    FormatFailure,
    /// What was signed is not what is there: a digest or the covered bytes differ.
    HashFailure,
    /// The signature value does not verify under the signer's key.
    SigCryptoFailure,
    /// The signer's certificate was revoked before the best signature time.
    Revoked,
    /// The signer's certificate was not yet valid at the best signature time.
    NotYetValid,
    /// The signer's certificate had expired before the best signature time.
    Expired,
    /// The certificate is outside its validity at the validation time and nothing proves the signature existed
    /// while it was valid (no timestamp): the Kazakh rule says negative, ETSI says undecided.
    OutOfBoundsNoPoe,
    /// The certificate is revoked and nothing proves the signature existed before the revocation.
    RevokedNoPoe,
    /// No path to a trust anchor.
    NoCertificateChainFound,
    /// A certificate of the path does not verify under its issuer's key.
    CertificateChainGeneralFailure,
    /// Fresh revocation data was not available: try later.
    TryLater,
    /// A constraint of the path (basic constraints, key usage, a critical extension) fails.
    ChainConstraintsFailure,
    /// An algorithm is not supported or not acceptable.
    CryptoConstraintsFailure,
    /// The signature does not meet the validation policy's constraints (the identity asked for, the signer's
    /// authority, the message's validity, the registry's record of the document).
    SigConstraintsFailure,
}

/// The verdict in ETSI EN 319 102-1 terms, beside Qoltanba's (which applies the Kazakh rule: an expired or revoked
/// certificate makes the signature negative, `TOTAL_FAILED`, whatever the signing time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Etsi {
    /// The main indication.
    pub indication: Indication,
    /// The sub-indication, for anything but `TOTAL_PASSED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_indication: Option<SubIndication>,
    /// Whether a proof of existence (a timestamp that holds) dated the signature for this verdict: the
    /// certificate was then checked at the best signature time.
    pub proof_of_existence: bool,
}

impl Etsi {
    /// The ETSI view of findings `codes` (`hash` when a digest of the signed data differed), with or without a
    /// proof of existence.
    fn of(codes: &[Code], hash: bool, poe: bool) -> Etsi {
        use Indication::{Indeterminate as I, TotalFailed as F};
        use SubIndication as S;
        let verdict = |code: Code| -> (Indication, SubIndication) {
            match code {
                Code::Malformed => (F, S::FormatFailure),
                Code::SignatureInvalid if hash => (F, S::HashFailure),
                Code::SignatureInvalid => (F, S::SigCryptoFailure),
                Code::DocumentMismatch | Code::SignatureScope => (F, S::HashFailure),
                Code::CertRevoked if poe => (F, S::Revoked),
                Code::CertRevoked | Code::RevokedNoPoe => (I, S::RevokedNoPoe),
                Code::CertExpired if poe => (I, S::Expired),
                Code::CertExpired => (I, S::OutOfBoundsNoPoe),
                Code::CertNotYetValid => (F, S::NotYetValid),
                Code::ChainUntrusted => (I, S::NoCertificateChainFound),
                Code::CertSignatureInvalid => (I, S::CertificateChainGeneralFailure),
                Code::RevocationUnknown => (I, S::TryLater),
                Code::CaConstraints | Code::KeyUsage | Code::UnsupportedCriticalExtension => {
                    (I, S::ChainConstraintsFailure)
                }
                Code::UnsupportedAlgorithm => (I, S::CryptoConstraintsFailure),
                Code::IinMismatch
                | Code::BinMismatch
                | Code::IdentityAbsent
                | Code::NameMismatch
                | Code::SignerNotAuthorised
                | Code::DocumentStatus
                | Code::MessageExpired => (I, S::SigConstraintsFailure),
            }
        };
        // A failure outranks an undecided check; within each, the order of `Code` (most serious first).
        let mut sorted: Vec<Code> = codes.to_vec();
        sorted.sort();
        let chosen = sorted
            .iter()
            .map(|c| verdict(*c))
            .find(|(i, _)| *i == F)
            .or_else(|| sorted.first().map(|c| verdict(*c)));
        match chosen {
            Some((indication, sub)) => Etsi {
                indication,
                sub_indication: Some(sub),
                proof_of_existence: poe,
            },
            None => Etsi {
                indication: Indication::TotalPassed,
                sub_indication: None,
                proof_of_existence: poe,
            },
        }
    }
}

/// Collects problems while a verification runs, then turns into a [`Report`].
#[derive(Debug, Default, Clone)]
pub struct Findings {
    codes: Vec<Code>,
    messages: Vec<String>,
    /// A digest of the signed data differed (ETSI's HASH_FAILURE rather than SIG_CRYPTO_FAILURE).
    hash_failure: bool,
    /// The verdict rests on a proof of existence (a timestamp) dating the signature.
    proof_of_existence: bool,
}

impl Findings {
    /// Records a failed check.
    pub fn add(&mut self, code: Code, message: impl Into<String>) {
        if !self.codes.contains(&code) {
            self.codes.push(code);
        }
        let message = message.into();
        if !self.messages.contains(&message) {
            self.messages.push(message);
        }
    }

    /// Records that the signed data's digest differs from the signed one (`SIGNATURE_INVALID`; ETSI's
    /// HASH_FAILURE).
    pub fn add_hash_failure(&mut self, message: impl Into<String>) {
        self.hash_failure = true;
        self.add(Code::SignatureInvalid, message);
    }

    /// Records that the verdict rests on a proof of existence: the certificate was checked at a timestamp's time.
    pub fn with_proof_of_existence(mut self, poe: bool) -> Findings {
        self.proof_of_existence = poe;
        self
    }

    /// Adds every code and message of a report.
    pub fn absorb(&mut self, report: &Report) {
        self.absorb_prefixed(report, None);
    }

    /// Every signer's findings, their messages prefixed "signer N: " when there are several (CMS signers, XML
    /// signatures).
    pub fn of_signers(reports: &[&Report]) -> Findings {
        let mut all = Findings::default();
        let several = reports.len() > 1;
        for (i, r) in reports.iter().enumerate() {
            all.absorb_prefixed(r, several.then_some(i + 1));
        }
        all
    }

    /// The report of these findings about the certificate `about` was made for: its subject, path, validation time
    /// and revocation mode (a signature's report over its signer's path validation).
    pub fn into_report_about(self, about: &Report) -> Report {
        self.into_report(
            about.subject.clone(),
            about.chain.clone(),
            about.validation_time.clone(),
            about.revocation_checked,
        )
    }

    /// Adds every code and message of a report, the messages prefixed with "signer N: " when `signer` is given.
    pub fn absorb_prefixed(&mut self, report: &Report, signer: Option<usize>) {
        self.hash_failure |= report.etsi.sub_indication == Some(SubIndication::HashFailure);
        self.proof_of_existence |= report.etsi.proof_of_existence;
        for code in &report.codes {
            if !self.codes.contains(code) {
                self.codes.push(*code);
            }
        }
        for m in &report.messages {
            let m = match signer {
                Some(n) => format!("signer {n}: {m}"),
                None => m.clone(),
            };
            if !self.messages.contains(&m) {
                self.messages.push(m);
            }
        }
    }

    /// Whether a check with `code` failed.
    pub fn has(&self, code: Code) -> bool {
        self.codes.contains(&code)
    }

    /// Whether every check passed.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The codes recorded, in order of recording.
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }

    /// The messages recorded, in order of recording.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// A number that orders failed paths: the path with the least serious problems is the one to report.
    pub fn severity(&self) -> usize {
        self.codes
            .iter()
            .map(|c| match c {
                Code::ChainUntrusted => 100,
                Code::CertSignatureInvalid => 50,
                Code::UnsupportedAlgorithm => 40,
                _ => 10,
            })
            .sum()
    }

    /// The main indication these findings give (ETSI EN 319 102-1).
    pub fn indication(&self) -> Indication {
        if self.codes.is_empty() {
            Indication::TotalPassed
        } else if self.codes.iter().any(|c| c.is_conclusive()) {
            Indication::TotalFailed
        } else {
            Indication::Indeterminate
        }
    }

    /// The report of a validation with these findings.
    pub fn into_report(
        self,
        subject: Option<std::sync::Arc<SubjectSummary>>,
        chain: Vec<ChainEntry>,
        validation_time: String,
        revocation_checked: crate::pki::RevocationMode,
    ) -> Report {
        let indication = self.indication();
        let etsi = Etsi::of(&self.codes, self.hash_failure, self.proof_of_existence);
        let mut codes = self.codes;
        codes.sort();
        Report {
            valid: indication == Indication::TotalPassed,
            indication,
            etsi,
            codes,
            messages: self.messages,
            subject,
            chain,
            validation_time,
            revocation_checked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the Kazakh rule and ETSI EN 319 102-1 part: an expired or revoked certificate is negative here, and
    /// undecided there unless a proof of existence dates the signature.
    #[test]
    fn the_etsi_view_beside_the_kazakh_rule() {
        let report = |codes: &[Code], hash: bool, poe: bool| {
            let mut f = Findings::default().with_proof_of_existence(poe);
            for c in codes {
                if hash && *c == Code::SignatureInvalid {
                    f.add_hash_failure("digest");
                } else {
                    f.add(*c, c.as_str());
                }
            }
            f.into_report(
                None,
                Vec::new(),
                String::new(),
                crate::pki::RevocationMode::All,
            )
        };
        let etsi = |r: &Report| (r.etsi.indication, r.etsi.sub_indication);
        use Indication::{Indeterminate as I, TotalFailed as F, TotalPassed as P};
        use SubIndication as S;

        let expired = report(&[Code::CertExpired], false, false);
        assert_eq!(expired.indication, F);
        assert_eq!(etsi(&expired), (I, Some(S::OutOfBoundsNoPoe)));
        assert_eq!(
            etsi(&report(&[Code::CertExpired], false, true)),
            (I, Some(S::Expired))
        );
        let revoked = report(&[Code::CertRevoked], false, false);
        assert_eq!(revoked.indication, F);
        assert_eq!(etsi(&revoked), (I, Some(S::RevokedNoPoe)));
        assert_eq!(
            etsi(&report(&[Code::CertRevoked], false, true)),
            (F, Some(S::Revoked))
        );
        assert_eq!(etsi(&report(&[], false, true)), (P, None));
        assert!(report(&[], false, true).etsi.proof_of_existence);
        // A failure outranks an undecided check, whatever the order.
        assert_eq!(
            etsi(&report(
                &[Code::RevocationUnknown, Code::SignatureInvalid],
                false,
                false
            )),
            (F, Some(S::SigCryptoFailure))
        );
        assert_eq!(
            etsi(&report(&[Code::SignatureInvalid], true, false)),
            (F, Some(S::HashFailure))
        );
        assert_eq!(
            etsi(&report(
                &[Code::ChainUntrusted, Code::RevocationUnknown],
                false,
                false
            )),
            (I, Some(S::NoCertificateChainFound))
        );
        // Carried through reports that absorb others, and through `Report::add`.
        let mut outer = Findings::default();
        outer.absorb(&report(&[Code::SignatureInvalid], true, false));
        let mut r = outer.into_report(
            None,
            Vec::new(),
            String::new(),
            crate::pki::RevocationMode::All,
        );
        assert_eq!(etsi(&r), (F, Some(S::HashFailure)));
        r.add(Code::DocumentStatus, "suspended");
        assert_eq!(etsi(&r), (F, Some(S::HashFailure)));
        assert_eq!(
            serde_json::to_value(report(&[Code::CertExpired], false, false).etsi).expect("json"),
            serde_json::json!({"indication": "INDETERMINATE", "subIndication": "OUT_OF_BOUNDS_NO_POE",
                               "proofOfExistence": false})
        );
    }
    use crate::pki::reason::Reason;

    fn json<T: Serialize>(v: T) -> String {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Reports print these values as design.md §3 spells them; serde and the text the CLI prints agree.
    #[test]
    fn report_enums_serialise_as_their_documented_names() {
        for (v, name) in [
            (RevocationVerdict::Good, "good"),
            (RevocationVerdict::Revoked, "revoked"),
            (RevocationVerdict::Unknown, "unknown"),
            (RevocationVerdict::NotChecked, "not checked"),
        ] {
            assert_eq!(json(v), name);
            assert_eq!(v.to_string(), name);
        }
        for r in Role::ALL {
            assert_eq!(json(r), r.code());
        }
        assert_eq!(json(Reason::KeyCompromise), "keyCompromise");
        assert_eq!(json(Reason::CertificateHold), "certificateHold");
        assert_eq!(json(Reason::AaCompromise), Reason::AaCompromise.name());
        assert_eq!(
            json(Code::RevocationUnknown),
            Code::RevocationUnknown.as_str()
        );
    }
}
