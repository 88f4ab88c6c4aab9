//! RFC 3161 timestamp tokens: a TSA's CMS SignedData over a `TSTInfo` saying that a digest existed at `genTime`.
//!
//! A token proves a time only when everything about it holds, so each check is its own finding:
//! - the CMS is verified as any other (one signer, its signature, signed attributes, its certificate's path and
//!   revocation at the options' time) — [`super::verify_cms`];
//! - the content is a `TSTInfo` (version 1) and nothing else;
//! - the signer's certificate has `id-kp-timeStamping` as its only extended key usage, in a critical extension
//!   (RFC 3161 §2.3): a signing key of any other kind cannot issue times;
//! - `genTime` lies within that certificate's validity;
//! - the message imprint is the digest of the data the caller says was stamped, under the token's algorithm;
//! - the nonce, when the caller sent one, is the one in the token.
//!
//! `TSTInfo` is read with RustCrypto's `x509-tsp` (its DER types); the CMS around it with ours.

use der::{Decode, Encode};
use serde::Serialize;

use super::CmsError;
use crate::clock::UnixTime;
use crate::crypto::DigestAlgorithm;
use crate::encoding::oid;
use crate::pki::{Certificate, Code, Report, TrustStore, VerifyOptions};

/// What a timestamp token says, read from its `TSTInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampInfo {
    /// When the TSA says the digest existed (RFC 3339, UTC).
    pub gen_time: String,
    /// The same, in Unix seconds.
    #[serde(skip)]
    pub gen_time_unix: UnixTime,
    /// The TSA's policy (dotted OID).
    pub policy: String,
    /// The token's serial number, lower-case hex.
    pub serial: String,
    /// The imprint's digest algorithm (dotted OID).
    pub imprint_algorithm: String,
    /// The imprint, hex.
    pub imprint: String,
    /// The nonce, hex, if the request had one.
    pub nonce: Option<String>,
    /// The TSA's certificate subject, when its certificate is in the token.
    pub tsa: Option<String>,
    /// The serial number as encoded: the DER INTEGER's content bytes (a leading zero kept when the high bit is
    /// set), as Java's `BigInteger.toByteArray()` gives them.
    #[serde(skip)]
    pub serial_bytes: Vec<u8>,
    /// The `TSTInfo`'s own `tsa` field, when present: its `GeneralName` tag and, for a directory name (4), the
    /// name's DER, for a text name (1, 2, 6), its bytes.
    #[serde(skip)]
    pub tsa_field: Option<(u8, Vec<u8>)>,
}

/// A verified (or refused) timestamp token: what it says and whether it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampReport {
    /// The verdict and its findings: the CMS signer's, and the token's own checks.
    pub report: Report,
    /// What the token says.
    pub info: TimestampInfo,
    /// Whether the imprint is the digest of the data given.
    pub imprint_matches: bool,
}

/// Why a token could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum TspError {
    /// Not a CMS SignedData that could be verified.
    #[error(transparent)]
    Cms(#[from] CmsError),
    /// The content is not a `TSTInfo`.
    #[error("not a timestamp token: its content is {0}, not id-ct-TSTInfo")]
    NotATimestamp(String),
    /// The `TSTInfo` (or the TSA's answer) does not parse.
    #[error("malformed timestamp: {0}")]
    Malformed(String),
    /// A request could not be built from what was given.
    #[error("the timestamp request cannot be made: {0}")]
    Request(String),
    /// The TSA answered with a refusal (its PKIStatus and text).
    #[error("the timestamp authority refused: {0}")]
    Refused(String),
    /// The TSA could not be reached, or its answer was not taken: transport, status, a token that does not verify.
    #[error("the timestamp authority failed: {0}")]
    Unavailable(String),
}

/// Reads the `TSTInfo` of a token without verifying anything: for reports of tokens inside other signatures.
pub fn read_timestamp(token: &[u8]) -> Result<TimestampInfo, TspError> {
    let (_, info, _) = parse(token)?;
    Ok(info)
}

/// The token's `TSTInfo`, what it says, and the TSA certificate its signer names (when the token carries it).
fn parse(
    token: &[u8],
) -> Result<(x509_tsp::TstInfo, TimestampInfo, Option<Certificate>), TspError> {
    if token.len() > super::MAX_CMS_SIZE {
        return Err(TspError::Cms(CmsError::TooLarge));
    }
    let content = cms::content_info::ContentInfo::from_der(token)
        .map_err(|e| TspError::Cms(CmsError::Der(e.to_string())))?;
    if content.content_type != oid::pkcs::SIGNED_DATA {
        return Err(TspError::Cms(CmsError::NotSignedData(
            content.content_type.to_string(),
        )));
    }
    let signed: cms::signed_data::SignedData = content
        .content
        .decode_as()
        .map_err(|e| TspError::Cms(CmsError::Der(e.to_string())))?;
    let encap = &signed.encap_content_info;
    if encap.econtent_type != oid::pkcs::TST_INFO {
        return Err(TspError::NotATimestamp(encap.econtent_type.to_string()));
    }
    let econtent = encap
        .econtent
        .as_ref()
        .ok_or_else(|| TspError::Malformed("the token has no content".into()))?;
    let octets: der::asn1::OctetString = econtent
        .decode_as()
        .map_err(|e| TspError::Malformed(e.to_string()))?;
    let tst = x509_tsp::TstInfo::from_der(octets.as_bytes())
        .map_err(|e| TspError::Malformed(e.to_string()))?;
    let gen_time_unix = UnixTime::from_secs(
        i64::try_from(tst.gen_time.to_unix_duration().as_secs())
            .map_err(|_| TspError::Malformed("genTime out of range".into()))?,
    );
    let certificates: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => c.to_der().ok(),
            _ => None,
        })
        .filter_map(|der| Certificate::from_der(&der).ok())
        .collect();
    let signer = signer_certificate(&signed, &certificates).cloned();
    let tsa = signer.as_ref().map(|c| c.subject().to_string());
    let info = TimestampInfo {
        gen_time: gen_time_unix.rfc3339(),
        gen_time_unix,
        policy: tst.policy.to_string(),
        serial: crate::encoding::hex(strip_zeros(tst.serial_number.as_bytes())),
        imprint_algorithm: tst.message_imprint.hash_algorithm.oid.to_string(),
        imprint: crate::encoding::hex(tst.message_imprint.hashed_message.as_bytes()),
        nonce: tst
            .nonce
            .as_ref()
            .map(|n| crate::encoding::hex(strip_zeros(n.as_bytes()))),
        tsa,
        serial_bytes: tst.serial_number.as_bytes().to_vec(),
        tsa_field: tst.tsa.as_ref().and_then(general_name),
    };
    Ok((tst, info, signer))
}

fn general_name(name: &x509_cert::ext::pkix::name::GeneralName) -> Option<(u8, Vec<u8>)> {
    use x509_cert::ext::pkix::name::GeneralName as G;
    match name {
        G::Rfc822Name(t) => Some((1, t.as_bytes().to_vec())),
        G::DnsName(t) => Some((2, t.as_bytes().to_vec())),
        G::DirectoryName(n) => n.to_der().ok().map(|der| (4, der)),
        G::UniformResourceIdentifier(t) => Some((6, t.as_bytes().to_vec())),
        _ => None,
    }
}

/// The signature timestamp token (`id-aa-signatureTimeStampToken`, an unsigned attribute) of each signer of a
/// CMS, in signer order; `None` for a signer without one, and an empty list for what is not a SignedData.
pub(crate) fn signature_timestamps(cms: &[u8]) -> Vec<Option<Vec<u8>>> {
    let Some(signed) = cms::content_info::ContentInfo::from_der(cms)
        .ok()
        .and_then(|c| c.content.decode_as::<cms::signed_data::SignedData>().ok())
    else {
        return Vec::new();
    };
    signed
        .signer_infos
        .0
        .iter()
        .map(|signer| {
            signer.unsigned_attrs.as_ref().and_then(|attrs| {
                attrs
                    .iter()
                    .find(|a| a.oid == oid::attr::SIGNATURE_TIME_STAMP_TOKEN)
                    .and_then(|a| a.values.iter().next())
                    .and_then(|v| v.to_der().ok())
            })
        })
        .collect()
}

/// The token's own failed checks, added to the CMS report at the end.
#[derive(Default)]
struct Fails(Vec<(Code, String, bool)>);

impl Fails {
    fn add(&mut self, code: Code, message: impl Into<String>) {
        self.0.push((code, message.into(), false));
    }

    /// The stamped data's digest differs (ETSI's HASH_FAILURE).
    fn add_hash_failure(&mut self, message: impl Into<String>) {
        self.0.push((Code::SignatureInvalid, message.into(), true));
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// The certificate the token's (first) signer names, among those it carries.
fn signer_certificate<'c>(
    signed: &cms::signed_data::SignedData,
    certificates: &'c [Certificate],
) -> Option<&'c Certificate> {
    let signer = signed.signer_infos.0.iter().next()?;
    match &signer.sid {
        cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(id) => {
            let issuer = id.issuer.to_der().ok()?;
            certificates.iter().find(|c| {
                c.issuer_der() == issuer.as_slice()
                    && strip_zeros(c.serial()) == strip_zeros(id.serial_number.as_bytes())
            })
        }
        cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(ski) => {
            certificates.iter().find(|c| {
                c.subject_key_id
                    .as_deref()
                    .is_some_and(|k| k == ski.0.as_bytes())
            })
        }
    }
}

/// Verifies timestamp token `token` over `data` (the bytes that were stamped: for a signature timestamp, the
/// signature value), with the TSA's path checked against `store` as `opts` say. `nonce` is the one the request
/// sent, if any (big-endian bytes).
pub fn verify_timestamp(
    store: &TrustStore,
    token: &[u8],
    data: &[u8],
    nonce: Option<&[u8]>,
    opts: &VerifyOptions,
) -> Result<TimestampReport, TspError> {
    let (tst, info, signer) = parse(token)?;
    // A token's own signer is not stamped in turn: its unsigned attributes are not followed.
    let cms = super::verify::verify_signed_data(store, token, None, &[], opts, false)?;
    let mut findings = Fails::default();
    let mut report = cms.report;
    if cms.signers.len() != 1 {
        findings.add(
            Code::SignatureInvalid,
            format!(
                "a timestamp token has one signer, this one {}",
                cms.signers.len()
            ),
        );
    }
    if tst.version != x509_tsp::TspVersion::V1 {
        findings.add(Code::Malformed, "TSTInfo version is not 1");
    }
    match &signer {
        Some(tsa) => {
            let eku = tsa.extended_key_usage();
            if eku != [oid::eku::TIME_STAMPING] || !tsa.extended_key_usage_critical {
                findings.add(
                    Code::KeyUsage,
                    "the signer is not a timestamp authority: its extended key usage must be \
                     id-kp-timeStamping alone, in a critical extension (RFC 3161 §2.3)",
                );
            }
            if info.gen_time_unix < tsa.not_before() || info.gen_time_unix > tsa.not_after() {
                findings.add(
                    Code::CertExpired,
                    format!(
                        "genTime {} is outside the TSA certificate's validity ({} to {})",
                        info.gen_time,
                        tsa.not_before().rfc3339(),
                        tsa.not_after().rfc3339()
                    ),
                );
            }
        }
        None => findings.add(
            Code::Malformed,
            "the token does not carry its TSA's certificate",
        ),
    }
    let imprint_matches = match DigestAlgorithm::from_oid(&tst.message_imprint.hash_algorithm.oid) {
        Ok(algorithm) => {
            let matches = algorithm.digest(data) == tst.message_imprint.hashed_message.as_bytes();
            if !matches {
                findings
                    .add_hash_failure("the token's message imprint is not the digest of the data");
            }
            matches
        }
        Err(_) => {
            findings.add(
                Code::UnsupportedAlgorithm,
                format!("imprint algorithm {}", info.imprint_algorithm),
            );
            false
        }
    };
    if let Some(sent) = nonce {
        let got = tst.nonce.as_ref().map(|n| strip_zeros(n.as_bytes()));
        if got != Some(strip_zeros(sent)) {
            findings.add(Code::Malformed, "the token's nonce is not the request's");
        }
    }
    for (code, message, hash) in findings.0 {
        if hash {
            report.add_hash_failure(message);
        } else {
            report.add(code, message);
        }
    }
    Ok(TimestampReport {
        report,
        info,
        imprint_matches,
    })
}

/// A timestamp authority as a signer uses it: asked for a token over the bytes to stamp (a signature value).
///
/// The core never talks to the network: the service's HTTP client (`service::tsa`) implements this, and a test can
/// implement it with a TSA of its own. An implementation checks the token it returns (signature, path, imprint,
/// nonce) — a signer embeds what it is given.
pub trait Timestamper: Send + Sync {
    /// A token over `data`, its imprint made with `algorithm`.
    fn stamp(&self, data: &[u8], algorithm: DigestAlgorithm) -> Result<Vec<u8>, TspError>;
    /// The most bytes a token from this authority takes, to reserve room for it (in a PDF) before asking.
    fn token_size_bound(&self) -> usize;
}

/// The imprint algorithm for a signer whose signatures use `signer_digest`: Streebog-512 for GOST signers (what
/// the NCA's TSA stamps them with), SHA-256 for the others.
pub(crate) fn imprint_algorithm(signer_digest: DigestAlgorithm) -> DigestAlgorithm {
    match signer_digest {
        DigestAlgorithm::Streebog256 | DigestAlgorithm::Streebog512 => DigestAlgorithm::Streebog512,
        _ => DigestAlgorithm::Sha256,
    }
}

/// A DER `TimeStampReq` (RFC 3161 §2.4.1) for `imprint` made with `algorithm`: with `nonce` (big-endian bytes),
/// `certReq` set (the token must carry the TSA's certificate, or it cannot be verified offline) and `policy` (a
/// dotted OID) when given.
pub fn timestamp_request(
    algorithm: DigestAlgorithm,
    imprint: &[u8],
    nonce: &[u8],
    policy: Option<&str>,
) -> Result<Vec<u8>, TspError> {
    let bad = |e: der::Error| TspError::Request(e.to_string());
    let req_policy = policy
        .map(|p| {
            der::asn1::ObjectIdentifier::new(p)
                .map_err(|e| TspError::Request(format!("policy {p:?}: {e}")))
        })
        .transpose()?;
    let request = x509_tsp::TimeStampReq {
        version: x509_tsp::TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
                oid: algorithm.oid(),
                parameters: None,
            },
            hashed_message: der::asn1::OctetString::new(imprint).map_err(bad)?,
        },
        req_policy,
        nonce: Some(der::asn1::Int::new(&positive(nonce)).map_err(bad)?),
        cert_req: true,
        extensions: None,
    };
    request.to_der().map_err(bad)
}

/// `bytes` as the content of a positive DER INTEGER: leading zeros dropped, one put back when the high bit is set.
fn positive(bytes: &[u8]) -> Vec<u8> {
    let trimmed = strip_zeros(bytes);
    match trimmed.first() {
        None => vec![0],
        Some(b) if *b >= 0x80 => [&[0], trimmed].concat(),
        Some(_) => trimmed.to_vec(),
    }
}

/// The token of a TSA's `TimeStampResp` (RFC 3161 §2.4.2): granted (with or without modifications) and carrying a
/// token, or an error saying what the TSA said.
pub fn token_from_response(response: &[u8]) -> Result<Vec<u8>, TspError> {
    if response.len() > super::MAX_CMS_SIZE {
        return Err(TspError::Cms(CmsError::TooLarge));
    }
    let resp = x509_tsp::TimeStampResp::from_der(response)
        .map_err(|e| TspError::Malformed(format!("not a TimeStampResp: {e}")))?;
    // PKIStatus: granted (0) or grantedWithMods (1) carry a token; the rest are refusals.
    let status = resp.status.status as u8;
    if status > 1 {
        let text: Vec<String> = resp
            .status
            .status_string
            .iter()
            .flat_map(|t| t.iter())
            .map(|s| s.to_string())
            .collect();
        return Err(TspError::Refused(format!(
            "status {status}{}",
            if text.is_empty() {
                String::new()
            } else {
                format!(": {}", text.join("; "))
            }
        )));
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| TspError::Malformed("a granted answer without a token".into()))?;
    token
        .to_der()
        .map_err(|e| TspError::Malformed(e.to_string()))
}
