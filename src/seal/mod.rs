//! The signed 2-D barcode ("seal", README §6; format in `docs/seal.md`): the document's number, form, issue
//! time and canonical data, signed by the provider as COSE_Sign1, compressed, Base45-encoded into one QR symbol
//! (compact mode: the signer is named by key id) or several (full mode: the signer's certificate travels too).
//! Verification checks the signature, then the signer's certificate path at the issue time.

pub(crate) mod authority;
pub(crate) mod base45;
pub(crate) mod cose;

use ciborium::value::{Integer, Value};
use serde::Serialize;
use thiserror::Error;

use crate::clock::UnixTime;
use crate::cms::CmsSigner;
use crate::crypto::{AlgorithmId, AlgorithmRegistry};
use crate::pki::{Certificate, Code, Findings, Report, TrustStore, VerifyOptions};

pub use authority::{IssuerRule, Issuers};
pub use base45::decode as base45_decode;

/// Prefix of a seal in one symbol.
pub(crate) const PREFIX: &str = "QLT1:";
/// Prefix of one part of a seal split over several symbols: `QLT1P:k/n:ID:` then the part's text.
pub(crate) const PART_PREFIX: &str = "QLT1P:";
/// Longest text put in one QR symbol (alphanumeric mode, error correction M, still easy for phone cameras).
pub const PART_CAPACITY: usize = 1000;
/// Limits on what a verifier accepts — and so on what [`seal`] makes: a seal no verifier would read is never issued.
/// The longest barcode text, all parts together.
pub(crate) const MAX_TEXT: usize = 64 * 1024;
/// The most bytes a seal inflates to.
pub(crate) const MAX_INFLATED: usize = 256 * 1024;
/// The most QR symbols one seal is split over.
pub(crate) const MAX_PARTS: usize = 64;

/// Payload keys (a CBOR map with integer keys, in this order).
const K_VERSION: i64 = 1;
const K_FORM: i64 = 2;
const K_NUMBER: i64 = 3;
const K_ISSUED: i64 = 4;
const K_DATA: i64 = 5;
const VERSION: i64 = 1;

/// What the seal signs: everything the document prints comes from these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SealContent {
    /// The form id.
    pub form: String,
    /// The document number.
    pub number: String,
    /// Issue time, Unix seconds.
    pub issued_at: UnixTime,
    /// The canonical data (sorted JSON), as embedded in the PDF.
    pub data: String,
}

/// A seal's content as a report shows it: what was signed, and the form's name for people reading the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportedContent {
    /// What the seal signs.
    #[serde(flatten)]
    pub signed: SealContent,
    /// The form's name, looked up in the verifying node's form catalogue by the layer that knows the forms
    /// (`document`); absent for a form this node does not know. Not signed: the seal carries only the id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form_name: Option<FormName>,
}

impl std::ops::Deref for ReportedContent {
    type Target = SealContent;
    fn deref(&self) -> &SealContent {
        &self.signed
    }
}

/// A form's name in Kazakh and Russian.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormName {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// What proves a seal's issue time besides its signer's own claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueTimeProof {
    /// The issuing registry's record of the document was consulted (online verification).
    Registry,
}

/// How the signer is identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SealMode {
    /// Key id only (first 8 bytes of the certificate's SHA-256): the verifier's trust store must hold the
    /// certificate. Usually one symbol.
    Compact,
    /// The signer's certificate inside: anyone with the root can verify. Usually several symbols.
    Full,
}

/// Why a seal cannot be made or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealError {
    /// No barcode text given.
    #[error("no barcode text given")]
    Empty,
    /// The seal is longer than any verifier accepts (at most `MAX_PARTS` symbols, `MAX_TEXT` characters)
    #[error("the seal is longer than any verifier accepts (at most {MAX_PARTS} symbols, {MAX_TEXT} characters)")]
    TooLong,
    /// Not a Qoltanba seal (it must start with `PREFIX` or `PART_PREFIX`)
    #[error("not a Qoltanba seal (it must start with {PREFIX} or {PART_PREFIX})")]
    NotASeal,
    /// Barcode part … is malformed.
    #[error("barcode part {0} is malformed")]
    BadPart(usize),
    /// The parts do not belong together or some are missing: …
    #[error("the parts do not belong together or some are missing: {0}")]
    Parts(String),
    /// The seal's structure is wrong: …
    #[error("the seal's structure is wrong: {0}")]
    Structure(&'static str),
    /// The signer's key id names no certificate of the trust store (a compact seal needs the provider's certificate)
    #[error("the signer's key id names no certificate of the trust store (a compact seal needs the provider's certificate)")]
    UnknownSigner,
    /// The signing key's algorithm cannot be used for seals.
    #[error("the signing key's algorithm cannot be used for seals")]
    Algorithm,
    /// The signing key failed.
    #[error("signing failed: {0}")]
    Signing(#[source] crate::crypto::CryptoError),
    /// The document exceeds a limit: …
    #[error("the document exceeds a limit: {0}")]
    TooLarge(String),
    /// The PDF cannot be read: …
    #[error("the PDF cannot be read: {0}")]
    Unreadable(String),
    /// The work was cancelled (its deadline passed)
    #[error("the work was cancelled (its deadline passed)")]
    Cancelled,
}

/// The key id of a certificate: the first 8 bytes of the SHA-256 of its DER.
pub(crate) fn key_id(cert: &Certificate) -> [u8; 8] {
    let mut id = [0u8; 8];
    id.copy_from_slice(&cert.fingerprint[..8]);
    id
}

fn int(v: i64) -> Value {
    Value::Integer(Integer::from(v))
}

fn payload(content: &SealContent) -> Vec<u8> {
    let map = Value::Map(vec![
        (int(K_VERSION), int(VERSION)),
        (int(K_FORM), Value::Text(content.form.clone())),
        (int(K_NUMBER), Value::Text(content.number.clone())),
        (int(K_ISSUED), int(content.issued_at.secs())),
        (int(K_DATA), Value::Text(content.data.clone())),
    ]);
    let mut out = Vec::new();
    let _ = ciborium::into_writer(&map, &mut out);
    out
}

fn parse_payload(bytes: &[u8]) -> Result<SealContent, SealError> {
    let value: Value =
        ciborium::from_reader(bytes).map_err(|_| SealError::Structure("payload is not CBOR"))?;
    let Value::Map(map) = value else {
        return Err(SealError::Structure("payload is not a map"));
    };
    let get = |k: i64| {
        map.iter()
            .find(|(key, _)| matches!(key, Value::Integer(i) if i128::from(*i) == i128::from(k)))
            .map(|(_, v)| v)
    };
    let text = |k: i64, what: &'static str| match get(k) {
        Some(Value::Text(s)) => Ok(s.clone()),
        _ => Err(SealError::Structure(what)),
    };
    match get(K_VERSION) {
        Some(Value::Integer(v)) if i128::from(*v) == i128::from(VERSION) => {}
        _ => return Err(SealError::Structure("unknown seal version")),
    }
    let issued_at = match get(K_ISSUED) {
        Some(Value::Integer(v)) => {
            i64::try_from(i128::from(*v)).map_err(|_| SealError::Structure("bad issue time"))?
        }
        _ => return Err(SealError::Structure("no issue time")),
    };
    Ok(SealContent {
        form: text(K_FORM, "no form")?,
        number: text(K_NUMBER, "no document number")?,
        issued_at: UnixTime::from_secs(issued_at),
        data: text(K_DATA, "no data")?,
    })
}

/// Seals `content` with the provider's key: the barcode texts, one per QR symbol, in order.
pub fn seal(
    content: &SealContent,
    signer: &CmsSigner,
    mode: SealMode,
) -> Result<Vec<String>, SealError> {
    let key = signer.key();
    let cert = signer.certificate();
    let alg_id = key.signature_algorithm();
    let alg = cose::cose_algorithm(&alg_id.oid).ok_or(SealError::Algorithm)?;
    let (_, size) = cose::x509_algorithm(alg).ok_or(SealError::Algorithm)?;
    let protected = cose::protected_header(alg, &key_id(cert));
    let payload = payload(content);
    let signature = key
        .sign(&cose::to_be_signed(&protected, &payload))
        .map_err(SealError::Signing)?;
    let signature = if size > 0 {
        cose::ecdsa_der_to_raw(&signature, size).ok_or(SealError::Algorithm)?
    } else {
        signature
    };
    let x5chain = (mode == SealMode::Full).then(|| cert.der());
    let sign1 = cose::encode(&protected, x5chain, &payload, &signature);
    if sign1.len() > MAX_INFLATED {
        return Err(SealError::TooLong);
    }
    let text = base45::encode(&miniz_oxide::deflate::compress_to_vec_zlib(&sign1, 9));
    let parts = text.len().div_ceil(PART_CAPACITY - 32);
    if text.len() + parts * 32 > MAX_TEXT || parts > MAX_PARTS {
        return Err(SealError::TooLong);
    }
    if text.len() + PREFIX.len() <= PART_CAPACITY {
        return Ok(vec![format!("{PREFIX}{text}")]);
    }
    let id =
        &crate::encoding::hex(&crate::crypto::DigestAlgorithm::Sha256.digest(text.as_bytes()))[..8];
    let chunks: Vec<&str> = text
        .as_bytes()
        .chunks(PART_CAPACITY - 32)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let n = chunks.len();
    Ok(chunks
        .iter()
        .enumerate()
        .map(|(k, c)| format!("{PART_PREFIX}{}/{n}:{}:{c}", k + 1, id.to_uppercase()))
        .collect())
}

/// A barcode text without what a reader or a paste adds around it: leading white space and trailing line ends.
/// Trailing spaces stay: Space is a Base45 digit, and a part is cut from the Base45 text wherever its capacity
/// ends, so a part may well end in one.
fn clean(text: &str) -> &str {
    text.trim_start().trim_end_matches(['\r', '\n'])
}

/// Joins barcode texts (one, or all parts in any order) into the Base45 text of the seal.
fn join(texts: &[&str]) -> Result<String, SealError> {
    if texts.is_empty() {
        return Err(SealError::Empty);
    }
    if texts.iter().map(|t| t.len()).sum::<usize>() > MAX_TEXT || texts.len() > MAX_PARTS {
        return Err(SealError::TooLong);
    }
    if let [single] = texts {
        if let Some(rest) = clean(single).strip_prefix(PREFIX) {
            return Ok(rest.to_string());
        }
    }
    let mut parts: Vec<(usize, usize, String, String)> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let rest = clean(t)
            .strip_prefix(PART_PREFIX)
            .ok_or(if clean(t).starts_with(PREFIX) {
                SealError::Parts("a whole seal given with other parts".into())
            } else {
                SealError::NotASeal
            })?;
        let (kn, rest) = rest.split_once(':').ok_or(SealError::BadPart(i + 1))?;
        let (id, chunk) = rest.split_once(':').ok_or(SealError::BadPart(i + 1))?;
        let (k, n) = kn.split_once('/').ok_or(SealError::BadPart(i + 1))?;
        let (k, n): (usize, usize) = (
            k.parse().map_err(|_| SealError::BadPart(i + 1))?,
            n.parse().map_err(|_| SealError::BadPart(i + 1))?,
        );
        if k == 0 || k > n || n > MAX_PARTS {
            return Err(SealError::BadPart(i + 1));
        }
        parts.push((k, n, id.to_string(), chunk.to_string()));
    }
    let (n, id) = (parts[0].1, parts[0].2.clone());
    if parts.iter().any(|p| p.1 != n || p.2 != id) {
        return Err(SealError::Parts("parts of different seals".into()));
    }
    parts.sort_by_key(|p| p.0);
    parts.dedup_by_key(|p| p.0);
    if parts.len() != n {
        let have: Vec<String> = parts.iter().map(|p| p.0.to_string()).collect();
        return Err(SealError::Parts(format!(
            "{n} parts expected, have {}",
            have.join(", ")
        )));
    }
    let text: String = parts.into_iter().map(|p| p.3).collect();
    let expected =
        &crate::encoding::hex(&crate::crypto::DigestAlgorithm::Sha256.digest(text.as_bytes()))[..8];
    if !expected.eq_ignore_ascii_case(&id) {
        return Err(SealError::Parts(
            "the parts do not add up to the seal they name".into(),
        ));
    }
    Ok(text)
}

/// The verification of a seal: the report of README, "Reports" plus what the seal says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SealReport {
    /// The signer's path and the seal signature's verdict.
    #[serde(flatten)]
    pub report: Report,
    /// Compact or full (design.md §5).
    pub mode: SealMode,
    /// How many barcode symbols the seal has.
    pub parts: usize,
    /// The signed content, for a person to compare with the paper (absent when the barcode cannot be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ReportedContent>,
    /// The issue time, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// The configured provider whose authorised person sealed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// What proves the issue time besides the signer's own claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_time_proof: Option<IssueTimeProof>,
    /// Sealed with the demo provider's key, which is published: a demonstration, not a real document.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub demo: bool,
}

/// A seal whose text does not decode: the barcode was altered or damaged, so it proves nothing.
fn damaged(parts: usize, why: &str) -> SealReport {
    let mut f = Findings::default();
    f.add(
        Code::SignatureInvalid,
        format!("the barcode was altered or damaged ({why}): its signature cannot be checked"),
    );
    SealReport {
        report: f.into_report(
            None,
            Vec::new(),
            String::new(),
            crate::pki::RevocationMode::None,
        ),
        mode: SealMode::Compact,
        parts,
        content: None,
        issued: None,
        provider: None,
        issue_time_proof: None,
        demo: false,
    }
}

/// A seal read from its barcode texts: its content and signature, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedSeal {
    sign1: cose::Sign1,
    content: SealContent,
    parts: usize,
    /// The joined Base45 text: what identifies this seal, however it was split.
    text: String,
}

impl DecodedSeal {
    /// What the seal says (unverified until [`verify_decoded`] says so).
    pub fn content(&self) -> &SealContent {
        &self.content
    }

    /// Whether `texts` (a stored seal's barcode texts) are this very seal.
    pub fn is(&self, texts: &[String]) -> bool {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        join(&refs).is_ok_and(|t| t == self.text)
    }

    /// The verification code printed on the document (see [`verification_code`]).
    pub fn verification_code(&self) -> String {
        code_of(&self.text)
    }
}

/// Barcode texts read: a seal, or a barcode that was altered or damaged past decoding (a verdict, not bad input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A seal, decoded but not yet verified.
    Seal(Box<DecodedSeal>),
    /// Barcodes were read but are not a seal: altered or damaged.
    Damaged {
        /// How many symbols were read.
        parts: usize,
        /// Why they do not make a seal.
        why: String,
    },
}

impl Decoded {
    /// The seal, when the texts decoded.
    pub fn seal(&self) -> Option<&DecodedSeal> {
        match self {
            Decoded::Seal(s) => Some(s),
            Decoded::Damaged { .. } => None,
        }
    }
}

/// Reads barcode texts (one, or all parts in any order). Text that is not a seal at all is an error; a seal that
/// does not decode past its prefix is [`Decoded::Damaged`].
pub fn decode(texts: &[&str]) -> Result<Decoded, SealError> {
    let text = join(texts)?;
    let damaged = |why: &str| {
        Ok(Decoded::Damaged {
            parts: texts.len(),
            why: why.to_string(),
        })
    };
    let Some(compressed) = base45::decode(&text) else {
        return damaged("not Base45");
    };
    let Ok(sign1_bytes) =
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, MAX_INFLATED)
    else {
        return damaged("does not decompress");
    };
    let sign1 = match cose::decode(&sign1_bytes) {
        Ok(s) => s,
        Err(why) => return damaged(why),
    };
    let content = match parse_payload(&sign1.payload) {
        Ok(c) => c,
        Err(e) => return damaged(&e.to_string()),
    };
    Ok(Decoded::Seal(Box::new(DecodedSeal {
        sign1,
        content,
        parts: texts.len(),
        text,
    })))
}

/// The short code printed on a document beside its number (`XXXX-XXXX`, 40 bits of the seal's SHA-256 in base 32):
/// whoever holds the paper can read it, whoever only guesses numbers cannot, so the public status of a document
/// asks for it.
pub fn verification_code(seal: &[String]) -> Option<String> {
    let refs: Vec<&str> = seal.iter().map(String::as_str).collect();
    join(&refs).ok().map(|t| code_of(&t))
}

fn code_of(text: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let digest = crate::crypto::DigestAlgorithm::Sha256.digest(text.as_bytes());
    let bits = digest[..5]
        .iter()
        .fold(0u64, |acc, b| acc << 8 | u64::from(*b));
    let chars: String = (0..8)
        .map(|i| ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// Proof of when a document was issued that its signer could not choose: the issuing registry's record of this very
/// seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssueEvidence {
    /// When the registry stored it, Unix seconds.
    pub issued_at: UnixTime,
}

/// What seal verification trusts: the trust store for paths, and the configured issuers for authority.
#[derive(Clone, Copy)]
pub struct SealTrust<'a> {
    /// The trust store for the signer's path.
    pub store: &'a TrustStore,
    /// Which signers may seal which forms.
    pub issuers: &'a Issuers,
}

/// Verifies barcode texts offline: [`decode`], then [`verify_decoded`] with no registry evidence.
pub fn verify_seal(
    trust: SealTrust<'_>,
    texts: &[&str],
    opts: &VerifyOptions,
) -> Result<SealReport, SealError> {
    verify_decoded(trust, &decode(texts)?, opts, None)
}

/// Verifies a decoded seal: the signature; that the signer is an authorised person of a configured provider for the
/// form; the signer's certificate path at the issue time (revocation as `opts` says). The issue time is the
/// registry's record when `evidence` is given, else the seal's own claim — which a stolen key could back-date, so a
/// signer revoked since for a reason that may mean compromise leaves the answer open (`REVOKED_NO_POE`).
/// `opts.at` is the time of this verification.
pub fn verify_decoded(
    trust: SealTrust<'_>,
    decoded: &Decoded,
    opts: &VerifyOptions,
    evidence: Option<&IssueEvidence>,
) -> Result<SealReport, SealError> {
    let seal = match decoded {
        Decoded::Damaged { parts, why } => return Ok(damaged(*parts, why)),
        Decoded::Seal(s) => s,
    };
    let store = trust.store;
    let (sign1, content) = (&seal.sign1, &seal.content);
    let (oid, size) = cose::x509_algorithm(sign1.alg).ok_or(SealError::Algorithm)?;
    let carried = match &sign1.x5chain {
        Some(der) => match store.parse_certificate(der) {
            Ok(c) => Some(c),
            Err(_) => return Ok(damaged(seal.parts, "x5chain is not a certificate")),
        },
        None => None,
    };
    let mode = if carried.is_some() {
        SealMode::Full
    } else {
        SealMode::Compact
    };
    let cert: &Certificate = match &carried {
        Some(c) => c,
        None => store
            .certs
            .iter()
            .map(|c| c.as_ref())
            .find(|c| key_id(c)[..] == sign1.kid[..])
            .ok_or(SealError::UnknownSigner)?,
    };

    let mut f = Findings::default();
    if key_id(cert)[..] != sign1.kid[..] {
        f.add(
            Code::SignatureInvalid,
            "the seal's key id does not name the certificate it carries",
        );
    }
    let signature = if size > 0 {
        cose::ecdsa_raw_to_der(&sign1.signature, size)
    } else {
        Some(sign1.signature.clone())
    };
    let verified = signature.is_some_and(|sig| {
        AlgorithmRegistry::global()
            .verify(
                &AlgorithmId::new(oid, None),
                &cert.public_key,
                &cose::to_be_signed(&sign1.protected, &sign1.payload),
                &sig,
            )
            .is_ok()
    });
    if !verified {
        f.add(
            Code::SignatureInvalid,
            "the seal's signature does not verify: the barcode was altered or forged",
        );
    }
    let provider = match trust.issuers.check(cert, &content.form) {
        Ok(rule) => Some(rule.name.clone()),
        Err(why) => {
            f.add(
                Code::SignerNotAuthorised,
                format!("{why}: the seal proves nothing about this document"),
            );
            None
        }
    };
    let issued = evidence.map_or(content.issued_at, |e| e.issued_at);
    let mut at_issue = opts.clone();
    at_issue.at = issued;
    let cert_report = store.verify_certificate(cert, &[], &at_issue);
    f.absorb(&cert_report);
    if evidence.is_none() {
        for entry in cert_report.chain.iter().filter(|e| !e.trust_anchor) {
            let Some(later) = entry.revoked_later.as_ref().filter(|l| l.compromise) else {
                continue;
            };
            f.add(
                Code::RevokedNoPoe,
                format!(
                    "\"{}\" was revoked at {} ({}); the seal says it was made at {}, before that, but that time is the \
                     signer's own claim and a key revoked for this reason may have signed it later: only the issuing \
                     registry's record (verify online) or a timestamp can prove when it was made",
                    entry.certificate.subject,
                    later.at,
                    later.reason.map_or("no reason given", |r| r.name()),
                    content.issued_at.rfc3339(),
                ),
            );
        }
    }
    Ok(SealReport {
        report: f.into_report_about(&cert_report),
        mode,
        parts: seal.parts,
        issued: Some(issued.rfc3339()),
        content: Some(ReportedContent {
            signed: content.clone(),
            form_name: None,
        }),
        provider,
        issue_time_proof: evidence.map(|_| IssueTimeProof::Registry),
        demo: trust.issuers.is_demo(cert),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_signature_forms_round_trip() {
        let raw: Vec<u8> = (0..64)
            .map(|i| if i == 0 || i == 32 { 0x80 } else { i as u8 })
            .collect();
        let der = cose::ecdsa_raw_to_der(&raw, 32).expect("der");
        assert_eq!(cose::ecdsa_der_to_raw(&der, 32), Some(raw));
        let small: Vec<u8> = [vec![0u8; 31], vec![1], vec![0u8; 31], vec![2]].concat();
        let der = cose::ecdsa_raw_to_der(&small, 32).expect("der");
        assert_eq!(der, vec![0x30, 6, 2, 1, 1, 2, 1, 2]);
        assert_eq!(cose::ecdsa_der_to_raw(&der, 32), Some(small));
    }

    #[test]
    fn broken_texts_are_refused() {
        assert_eq!(join(&[]), Err(SealError::Empty));
        assert_eq!(join(&["hello"]), Err(SealError::NotASeal));
        assert!(matches!(
            join(&["QLT1P:1/2:ABCDEF01:AA"]),
            Err(SealError::Parts(_))
        ));
        assert!(matches!(
            join(&["QLT1P:0/2:ABCDEF01:AA"]),
            Err(SealError::BadPart(1))
        ));
        assert!(matches!(
            join(&["QLT1P:1/2:ABCDEF01:AA", "QLT1P:2/2:00000000:BB"]),
            Err(SealError::Parts(_))
        ));
        assert!(matches!(
            join(&["QLT1P:1/2:ABCDEF01:AA", "QLT1P:2/2:ABCDEF01:BB"]),
            Err(SealError::Parts(_))
        ));
    }
}
