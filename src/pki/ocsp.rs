//! OCSP (RFC 6960): building a request and deciding what a response proves. No I/O: the caller sends the request
//! and passes the answer's bytes in, with the time.
//!
//! The structures are RustCrypto's `x509-ocsp`; the checks are ours, all of them, because a response is believed
//! only when every one passes (RFC 6960 §3.2, §4.2.2.2): the status `successful` and the basic type; the
//! SingleResponse whose CertID is the one asked for (never the first one blindly); a signer that is the issuing CA,
//! or a certificate issued directly by it for OCSP signing (`id-kp-OCSPSigning`, valid when the response was
//! produced, carrying `id-pkix-ocsp-nocheck` or not revoked per the trust store's CRLs), or a responder the
//! configuration trusts; a signature that verifies through the algorithm registry (GOST, RSA, ECDSA); `thisUpdate`
//! neither in the future beyond the skew nor older than the policy allows; `nextUpdate`, when present, not past; the
//! nonce, when echoed, equal to ours. Anything else is [`Unavailable`] — never a verdict: the caller falls back to a
//! CRL. An authentic `unknown` is a verdict, and a negative one.

use der::{Decode, Encode};
use x509_ocsp::{BasicOcspResponse, CertStatus, OcspResponse, OcspResponseStatus, ResponderId};

use crate::clock::UnixTime;
use crate::crypto::{AlgorithmId, AlgorithmRegistry, DigestAlgorithm};
use crate::encoding::asn1::{self, Reader};
use crate::encoding::oid;
use crate::pki::cert::Certificate;
use crate::pki::reason::Reason;

/// The hash of a CertID: SHA-256 by default (the NCA's choice), SHA-1 for responders that know nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertIdHash {
    /// SHA-1 (RFC 5019's lightweight profile).
    Sha1,
    /// SHA-256.
    Sha256,
}

impl CertIdHash {
    fn digest(self) -> DigestAlgorithm {
        match self {
            CertIdHash::Sha1 => DigestAlgorithm::Sha1,
            CertIdHash::Sha256 => DigestAlgorithm::Sha256,
        }
    }
}

/// Which certificate a request asks about (RFC 6960 CertID), as values to compare an answer's CertID with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    /// The hash of the two hashes.
    pub hash: CertIdHash,
    /// Hash of the issuer's Name (DER).
    pub issuer_name_hash: Vec<u8>,
    /// Hash of the issuer's subjectPublicKey bits.
    pub issuer_key_hash: Vec<u8>,
    /// The certificate's serial number (the INTEGER's contents).
    pub serial: Vec<u8>,
}

impl CertId {
    /// The CertID of the certificate with `serial` issued by `issuer`.
    pub fn new(issuer: &Certificate, serial: &[u8], hash: CertIdHash) -> Result<CertId, OcspError> {
        let digest = hash.digest();
        Ok(CertId {
            hash,
            issuer_name_hash: digest.digest(issuer.subject_der()),
            issuer_key_hash: digest.digest(&issuer.public_key().key),
            serial: serial.to_vec(),
        })
    }

    fn matches(&self, id: &x509_ocsp::CertId) -> bool {
        id.hash_algorithm.oid == self.hash.digest().oid()
            && id.issuer_name_hash.as_bytes() == self.issuer_name_hash.as_slice()
            && id.issuer_key_hash.as_bytes() == self.issuer_key_hash.as_slice()
            && id.serial_number.as_bytes() == self.serial.as_slice()
    }

    fn to_ocsp(&self) -> Result<x509_ocsp::CertId, OcspError> {
        let bad = |e: der::Error| OcspError::Encode(e.to_string());
        Ok(x509_ocsp::CertId {
            hash_algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
                oid: self.hash.digest().oid(),
                parameters: Some(der::Any::null()),
            },
            issuer_name_hash: der::asn1::OctetString::new(self.issuer_name_hash.clone())
                .map_err(bad)?,
            issuer_key_hash: der::asn1::OctetString::new(self.issuer_key_hash.clone())
                .map_err(bad)?,
            serial_number: x509_cert::serial_number::SerialNumber::new(&self.serial)
                .map_err(bad)?,
        })
    }
}

/// Which revocation data a validation consults, and in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationSource {
    /// CRLs only (the trust store's).
    #[default]
    Crl,
    /// OCSP only.
    Ocsp,
    /// OCSP; when no responder gives a usable answer, CRLs.
    OcspThenCrl,
    /// CRLs; when none covers the certificate freshly, OCSP.
    CrlThenOcsp,
}

impl RevocationSource {
    /// Every source order, with its name in the configuration and on the command line.
    pub const ALL: [(&'static str, RevocationSource); 4] = [
        ("crl", RevocationSource::Crl),
        ("ocsp", RevocationSource::Ocsp),
        ("ocsp-then-crl", RevocationSource::OcspThenCrl),
        ("crl-then-ocsp", RevocationSource::CrlThenOcsp),
    ];

    /// The order named `name` (`crl`, `ocsp`, `ocsp-then-crl`, `crl-then-ocsp`).
    pub fn parse(name: &str) -> Option<RevocationSource> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// Whether OCSP is consulted at all.
    pub fn uses_ocsp(self) -> bool {
        self != RevocationSource::Crl
    }
}

/// Where a validation gets OCSP answers: the service asks responders (I/O) and this layer decides on what comes
/// back, already checked by [`check_response`].
pub trait OcspLookup: Send + Sync {
    /// An authentic answer about `cert`, issued by `issuer`, with where it came from; or why there is none, as a
    /// sentence. `at` is the validation time: the caller compares a revocation's time with it; a lookup that asks
    /// responders judges an answer's freshness by its own clock.
    fn lookup(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: UnixTime,
    ) -> Result<(OcspAnswer, AnswerSource), String>;
}

/// Where an OCSP answer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerSource {
    /// The responder's URL.
    pub url: String,
    /// Whether it came from the cache rather than the network now.
    pub cached: bool,
}

/// An [`OcspLookup`] shared by the options of many validations.
#[derive(Clone)]
pub struct SharedOcsp(pub std::sync::Arc<dyn OcspLookup>);

impl std::fmt::Debug for SharedOcsp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedOcsp")
    }
}

/// A request that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    /// The request could not be encoded.
    #[error("OCSP request: {0}")]
    Encode(String),
}

/// An OCSP request ready to send, with what its answer must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspRequest {
    /// The DER to POST (`application/ocsp-request`).
    pub der: Vec<u8>,
    /// The certificate asked about.
    pub cert_id: CertId,
    /// The nonce sent (RFC 8954: 1 to 32 octets).
    pub nonce: Vec<u8>,
}

impl OcspRequest {
    /// An unsigned request for `cert_id` with `nonce` (1 to 32 random octets, chosen by the caller).
    pub fn new(cert_id: CertId, nonce: &[u8]) -> Result<OcspRequest, OcspError> {
        if nonce.is_empty() || nonce.len() > 32 {
            return Err(OcspError::Encode(format!(
                "a nonce of {} octets",
                nonce.len()
            )));
        }
        let bad = |e: der::Error| OcspError::Encode(e.to_string());
        let nonce_ext = x509_cert::ext::Extension {
            extn_id: oid::ocsp::NONCE,
            critical: false,
            extn_value: der::asn1::OctetString::new(
                der::asn1::OctetString::new(nonce.to_vec())
                    .map_err(bad)?
                    .to_der()
                    .map_err(bad)?,
            )
            .map_err(bad)?,
        };
        let request = x509_ocsp::OcspRequest {
            tbs_request: x509_ocsp::TbsRequest {
                version: x509_ocsp::Version::V1,
                requestor_name: None,
                request_list: vec![x509_ocsp::Request {
                    req_cert: cert_id.to_ocsp()?,
                    single_request_extensions: None,
                }],
                request_extensions: Some(vec![nonce_ext]),
            },
            optional_signature: None,
        };
        Ok(OcspRequest {
            der: request.to_der().map_err(bad)?,
            cert_id,
            nonce: nonce.to_vec(),
        })
    }
}

/// What an authentic answer says about the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspStatus {
    /// Not revoked when the answer was made.
    Good,
    /// Revoked.
    Revoked {
        /// When.
        at: UnixTime,
        /// Why, when the responder says.
        reason: Option<Reason>,
        /// The extended-revoke convention (RFC 6960 §2.2): `certificateHold` at 1970-01-01 for a serial the CA
        /// never issued.
        never_issued: bool,
    },
    /// The responder does not know the certificate: a negative result (the 2026 verification rules, 19.7).
    Unknown,
}

/// Who signed an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponderKind {
    /// The issuing CA's own key.
    Ca,
    /// A responder certificate issued by the CA for OCSP signing.
    Delegated,
    /// A responder the configuration trusts.
    Trusted,
}

/// An authentic, fresh answer about the certificate asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspAnswer {
    /// The status.
    pub status: OcspStatus,
    /// When the responder signed it.
    pub produced_at: UnixTime,
    /// The status's `thisUpdate`.
    pub this_update: UnixTime,
    /// The status's `nextUpdate`, when given (the NCA gives none).
    pub next_update: Option<UnixTime>,
    /// The signer's subject, as text.
    pub responder: String,
    /// How the signer is entitled to answer.
    pub signed_by: ResponderKind,
    /// The response as the responder sent it (DER), to embed as validation data (a PDF's `/DSS`).
    pub response: std::sync::Arc<[u8]>,
}

/// Why an answer proves nothing: the caller asks another responder or falls back to a CRL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    /// The responder answered with an error status (unsigned; `tryLater` among them).
    #[error("the responder answered {0}")]
    Status(&'static str),
    /// The bytes are not an OCSP response.
    #[error("not an OCSP response: {0}")]
    Malformed(String),
    /// A response type other than basic.
    #[error("response type {0} is not id-pkix-ocsp-basic")]
    NotBasic(String),
    /// No SingleResponse is about the certificate asked for.
    #[error("no answer in the response is about the certificate asked for")]
    NoMatchingResponse,
    /// The signer is not entitled to answer for this CA.
    #[error("responder not authorised: {0}")]
    UntrustedResponder(String),
    /// The response's signature does not verify.
    #[error("the response's signature does not verify: {0}")]
    BadSignature(String),
    /// The answer is from the future, too old, or past its `nextUpdate`.
    #[error("the answer is not fresh: {0}")]
    NotFresh(String),
    /// The responder echoed a different nonce.
    #[error("the responder echoed another nonce")]
    NonceMismatch,
}

/// What a response is checked against.
pub struct OcspCheck<'a> {
    /// The certificate asked about.
    pub cert_id: &'a CertId,
    /// The nonce sent, when one was (an echoed nonce must equal it).
    pub nonce: Option<&'a [u8]>,
    /// The CA that issued the certificate asked about.
    pub issuer: &'a Certificate,
    /// Responders the configuration trusts for any CA.
    pub trusted_responders: &'a [Certificate],
    /// Whether a delegated responder certificate without `id-pkix-ocsp-nocheck` is not revoked: the caller
    /// asks its CRLs (the answer of a responder cannot vouch for itself).
    pub responder_not_revoked: &'a dyn Fn(&Certificate, UnixTime) -> bool,
    /// The time of the check.
    pub now: UnixTime,
    /// How far `thisUpdate` may be ahead of `now` (clock skew), in seconds.
    pub skew_secs: i64,
    /// How old `thisUpdate` may be, in seconds (the NCA gives no `nextUpdate`: freshness rests on this).
    pub max_age_secs: i64,
}

/// The unsigned error statuses' names.
fn status_name(status: OcspResponseStatus) -> &'static str {
    match status {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    }
}

fn unix(t: &x509_ocsp::OcspGeneralizedTime) -> UnixTime {
    UnixTime::from_secs(i64::try_from(t.0.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
}

/// The bytes a BasicOCSPResponse's signature covers: its first element, exactly as received.
fn tbs_response_data(basic: &[u8]) -> Result<&[u8], Unavailable> {
    let bad = |e: asn1::DerError| Unavailable::Malformed(e.to_string());
    let seq = Reader::new(basic).read(asn1::SEQUENCE).map_err(bad)?;
    Ok(Reader::new(seq.value)
        .read(asn1::SEQUENCE)
        .map_err(bad)?
        .raw)
}

/// The largest OCSP response read: a real one is a few kilobytes (the NCA's, with its responder certificate, under
/// 3 KB); anything near this is not an answer about one certificate.
pub const MAX_OCSP_RESPONSE: usize = 256 * 1024;

/// Decides what `der` proves about `check.cert_id` (see the module's documentation for every check).
pub fn check_response(der: &[u8], check: &OcspCheck<'_>) -> Result<OcspAnswer, Unavailable> {
    if der.len() > MAX_OCSP_RESPONSE {
        return Err(Unavailable::Malformed(format!(
            "{} bytes, more than the {MAX_OCSP_RESPONSE} an OCSP response may have",
            der.len()
        )));
    }
    let malformed = |e: der::Error| Unavailable::Malformed(e.to_string());
    let response = OcspResponse::from_der(der).map_err(malformed)?;
    if response.response_status != OcspResponseStatus::Successful {
        return Err(Unavailable::Status(status_name(response.response_status)));
    }
    let bytes = response
        .response_bytes
        .ok_or_else(|| Unavailable::Malformed("a successful response without a body".into()))?;
    if bytes.response_type != oid::ocsp::BASIC {
        return Err(Unavailable::NotBasic(bytes.response_type.to_string()));
    }
    let basic_der = bytes.response.as_bytes();
    let basic = BasicOcspResponse::from_der(basic_der).map_err(malformed)?;
    let data = &basic.tbs_response_data;

    let single = data
        .responses
        .iter()
        .find(|r| check.cert_id.matches(&r.cert_id))
        .ok_or(Unavailable::NoMatchingResponse)?;
    let produced_at = unix(&data.produced_at);

    // The signer and its entitlement.
    let embedded: Vec<Certificate> = basic
        .certs
        .iter()
        .flatten()
        .filter_map(|c| c.to_der().ok())
        .filter_map(|d| Certificate::from_der(&d).ok())
        .collect();
    let names = |c: &Certificate| -> bool {
        match &data.responder_id {
            ResponderId::ByName(name) => name
                .to_der()
                .ok()
                .and_then(|d| {
                    use x509_parser::prelude::FromDer;
                    x509_parser::x509::X509Name::from_der(&d)
                        .ok()
                        .map(|(_, n)| crate::pki::name::Name::from_x509(&n) == *c.subject())
                })
                .unwrap_or(false),
            ResponderId::ByKey(hash) => {
                DigestAlgorithm::Sha1.digest(&c.public_key().key) == hash.as_bytes()
            }
        }
    };
    let (signer, kind) = if names(check.issuer) {
        (check.issuer, ResponderKind::Ca)
    } else if let Some(t) = check.trusted_responders.iter().find(|t| names(t)) {
        (t, ResponderKind::Trusted)
    } else {
        let delegate = embedded.iter().find(|c| names(c)).ok_or_else(|| {
            Unavailable::UntrustedResponder("the signer is neither the CA, nor a responder certificate it carries, nor a trusted responder".into())
        })?;
        entitle_delegate(delegate, check, produced_at)?;
        (delegate, ResponderKind::Delegated)
    };

    let algorithm = AlgorithmId::new(
        basic.signature_algorithm.oid,
        basic
            .signature_algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.to_der().ok()),
    );
    let signature = basic
        .signature
        .as_bytes()
        .ok_or_else(|| Unavailable::Malformed("a signature with unused bits".into()))?;
    AlgorithmRegistry::global()
        .verify(
            &algorithm,
            signer.public_key(),
            tbs_response_data(basic_der)?,
            signature,
        )
        .map_err(|e| Unavailable::BadSignature(e.to_string()))?;

    // Freshness.
    let this_update = unix(&single.this_update);
    let next_update = single.next_update.as_ref().map(unix);
    if this_update > check.now.plus_secs(check.skew_secs) {
        return Err(Unavailable::NotFresh(format!(
            "thisUpdate {this_update} is ahead of {}",
            check.now
        )));
    }
    if check.now.secs_since(this_update) > check.max_age_secs {
        return Err(Unavailable::NotFresh(format!(
            "thisUpdate {this_update} is more than {} s old",
            check.max_age_secs
        )));
    }
    if let Some(next) = next_update {
        if check.now > next {
            return Err(Unavailable::NotFresh(format!(
                "nextUpdate {next} has passed"
            )));
        }
    }
    if let (Some(sent), Some(echoed)) = (check.nonce, data.nonce()) {
        if echoed.0.as_bytes() != sent {
            return Err(Unavailable::NonceMismatch);
        }
    }

    let extended_revoke = data
        .response_extensions
        .iter()
        .flatten()
        .any(|e| e.extn_id == oid::ocsp::EXTENDED_REVOKE);
    let status = match single.cert_status {
        CertStatus::Good(_) => OcspStatus::Good,
        CertStatus::Unknown(_) => OcspStatus::Unknown,
        CertStatus::Revoked(info) => {
            let at = unix(&info.revocation_time);
            let reason = info
                .revocation_reason
                .and_then(|r| Reason::from_code(r as u8));
            OcspStatus::Revoked {
                at,
                reason,
                never_issued: extended_revoke
                    && at.secs() == 0
                    && reason == Some(Reason::CertificateHold),
            }
        }
    };
    Ok(OcspAnswer {
        status,
        produced_at,
        this_update,
        next_update,
        responder: signer.subject().to_string(),
        signed_by: kind,
        response: der.into(),
    })
}

/// A delegated responder must be issued by the CA itself (its signature verifies under the CA's key), be meant for
/// OCSP signing, be valid when the answer was produced, and be beyond doubt about its own revocation.
fn entitle_delegate(
    delegate: &Certificate,
    check: &OcspCheck<'_>,
    produced_at: UnixTime,
) -> Result<(), Unavailable> {
    let refuse = |why: String| Err(Unavailable::UntrustedResponder(why));
    if delegate.issuer() != check.issuer.subject() {
        return refuse(format!(
            "\"{}\" is issued by \"{}\", not by the certificate's CA",
            delegate.subject(),
            delegate.issuer()
        ));
    }
    if AlgorithmRegistry::global()
        .verify(
            delegate.signature_algorithm(),
            check.issuer.public_key(),
            delegate.tbs(),
            delegate.signature(),
        )
        .is_err()
    {
        return refuse(format!(
            "\"{}\" is not signed by the certificate's CA",
            delegate.subject()
        ));
    }
    if !delegate
        .extended_key_usage()
        .contains(&oid::eku::OCSP_SIGNING)
    {
        return refuse(format!(
            "\"{}\" lacks id-kp-OCSPSigning",
            delegate.subject()
        ));
    }
    if produced_at < delegate.not_before() || produced_at > delegate.not_after() {
        return refuse(format!(
            "\"{}\" was not valid when the answer was produced ({produced_at})",
            delegate.subject()
        ));
    }
    if !delegate.ocsp_nocheck() && !(check.responder_not_revoked)(delegate, produced_at) {
        return refuse(format!(
            "\"{}\" carries no id-pkix-ocsp-nocheck and its own status is not known good",
            delegate.subject()
        ));
    }
    Ok(())
}
