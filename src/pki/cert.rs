//! A certificate parsed once into owned, typed values: everything path validation and revocation checking read,
//! with the DER kept for signatures and hashing.

use std::ops::Range;

use thiserror::Error;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::clock::UnixTime;
use crate::crypto::{AlgorithmId, PublicKeyInfo};
use crate::encoding::oid::{self, ext, ObjectIdentifier};
use crate::identity::SubjectProfile;
use crate::pki::dp::{parse_crl_distribution_points, DistributionPoint};
use crate::pki::name::Name;

/// Why bytes could not be read as a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CertError {
    /// Empty input.
    #[error("empty input")]
    Empty,
    /// Not a DER certificate: …
    #[error("not a DER certificate: {0}")]
    Der(String),
    /// Trailing bytes after the certificate.
    #[error("trailing bytes after the certificate")]
    TrailingData,
    /// Certificate extension `oid` is malformed.
    #[error("certificate extension {oid} is malformed")]
    BadExtension {
        /// The extension's OID.
        oid: String,
    },
    /// Serial number is … bytes long; at most `MAX_SERIAL_LEN` are accepted.
    #[error("serial number is {0} bytes long; at most {MAX_SERIAL_LEN} are accepted")]
    SerialTooLong(usize),
    /// Certificate has extension `oid` twice.
    #[error("certificate has extension {oid} twice")]
    DuplicateExtension {
        /// The extension's OID.
        oid: String,
    },
    /// Certificate is … bytes long; at most `MAX_CERTIFICATE_SIZE` are accepted.
    #[error("certificate is {0} bytes long; at most {MAX_CERTIFICATE_SIZE} are accepted")]
    TooLarge(usize),
    /// Certificate has … extensions; at most `MAX_EXTENSIONS` are accepted.
    #[error("certificate has {0} extensions; at most {MAX_EXTENSIONS} are accepted")]
    TooManyExtensions(usize),
}

/// Largest certificate accepted. Real ones (NCA's, PKITS') are 1–3 KB; the limit keeps every parsing step cheap.
pub(crate) const MAX_CERTIFICATE_SIZE: usize = 64 * 1024;
/// Most extensions accepted in one certificate (real ones have about ten); with a set of the OIDs seen, the
/// duplicate check stays linear.
pub(crate) const MAX_EXTENSIONS: usize = 64;

/// RFC 5280 allows 20 octets; a little slack covers CAs that add a sign byte or overshoot, while a serial of
/// hundreds of bytes is hostile input.
pub(crate) const MAX_SERIAL_LEN: usize = 32;

/// Key usage bits (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage {
    /// digitalSignature.
    pub digital_signature: bool,
    /// nonRepudiation (contentCommitment).
    pub non_repudiation: bool,
    /// keyEncipherment (what the NCA's authentication certificates carry).
    pub key_encipherment: bool,
    /// keyCertSign.
    pub key_cert_sign: bool,
    /// cRLSign.
    pub crl_sign: bool,
}

/// Extensions path validation understands; any other critical extension makes the certificate unusable. Name
/// constraints and the policy-processing extensions (policyConstraints, policyMappings, inhibitAnyPolicy) are not
/// evaluated yet, so when critical they are reported as `UNSUPPORTED_CRITICAL_EXTENSION` instead of being skipped.
const KNOWN_EXTENSIONS: &[ObjectIdentifier] = &[
    ext::SUBJECT_KEY_ID,
    ext::KEY_USAGE,
    ext::SUBJECT_ALT_NAME,
    ext::ISSUER_ALT_NAME,
    ext::BASIC_CONSTRAINTS,
    ext::CRL_DISTRIBUTION_POINTS,
    ext::AUTHORITY_KEY_ID,
    ext::EXT_KEY_USAGE,
    ext::FRESHEST_CRL,
    ext::AUTHORITY_INFO_ACCESS,
    ext::SUBJECT_INFO_ACCESS,
    // certificatePolicies: accepted; policy trees are not evaluated (any-policy initial set).
    ext::CERTIFICATE_POLICIES,
];

/// Whether the extension whose OID's contents octets are `oid` is one path validation understands.
fn is_known_extension(oid: &[u8]) -> bool {
    KNOWN_EXTENSIONS.iter().any(|k| k.as_bytes() == oid)
}

/// A parsed certificate. Its fields are the crate's (read them through the accessors): only parsing makes one, so
/// every value in it came from the DER it keeps.
#[derive(Debug, Clone)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: Range<usize>,
    /// Where the issuer Name lies in `der`, to compare it byte for byte before normalising.
    issuer_raw: Range<usize>,
    subject_raw: Range<usize>,
    /// Where the SubjectPublicKeyInfo lies in `der` (shown whole by NCANode-shaped answers).
    spki_raw: Range<usize>,
    pub(crate) fingerprint: [u8; 32],
    pub(crate) version: u32,
    pub(crate) serial: Vec<u8>,
    pub(crate) issuer: Name,
    pub(crate) subject: Name,
    pub(crate) not_before: UnixTime,
    pub(crate) not_after: UnixTime,
    pub(crate) public_key: PublicKeyInfo,
    pub(crate) signature_algorithm: AlgorithmId,
    pub(crate) inner_signature_algorithm: AlgorithmId,
    pub(crate) signature: Vec<u8>,
    /// `Some((ca, pathLen))` when basicConstraints is present.
    pub(crate) basic_constraints: Option<(bool, Option<u32>)>,
    pub(crate) key_usage: Option<KeyUsage>,
    pub(crate) subject_key_id: Option<Vec<u8>>,
    pub(crate) authority_key_id: Option<Vec<u8>>,
    /// Extended key usages; one whose OID is longer than `ObjectIdentifier` holds cannot be any we compare
    /// against, and is left out.
    pub(crate) extended_key_usage: Vec<ObjectIdentifier>,
    /// Whether the extended key usage extension is critical (RFC 3161 wants a TSA's critical).
    pub(crate) extended_key_usage_critical: bool,
    pub(crate) crl_distribution_points: Vec<DistributionPoint>,
    /// freshestCRL: where the delta CRLs are (same syntax as the distribution points).
    pub(crate) freshest_crl: Vec<DistributionPoint>,
    /// OCSP responders named by authorityInfoAccess (id-ad-ocsp, URIs).
    pub(crate) ocsp_urls: Vec<String>,
    /// OIDs of critical extensions we do not process, as text: they are only ever shown.
    pub(crate) unsupported_critical: Vec<String>,
    /// Carries id-pkix-ocsp-nocheck (a delegated OCSP responder not to be checked for revocation).
    pub(crate) ocsp_nocheck: bool,
    pub(crate) profile: SubjectProfile,
    /// Display strings for reports.
    pub(crate) summary: std::sync::Arc<crate::pki::report::CertSummary>,
    /// The subject block of reports about this certificate.
    pub(crate) subject_summary: std::sync::Arc<crate::pki::report::SubjectSummary>,
}

fn alg_id(a: &x509_parser::x509::AlgorithmIdentifier<'_>) -> Result<AlgorithmId, CertError> {
    use x509_parser::der_parser::asn1_rs::ToDer;
    let params = a.parameters.as_ref().map(|p| {
        let number = p.tag().0;
        if number < 31 {
            // Low tag numbers fit one identifier octet: rebuild the element directly (the generic encoder is slow).
            let tag = ((p.class() as u8) << 6)
                | (u8::from(p.header.is_constructed()) << 5)
                | number as u8;
            crate::encoding::asn1::encode(tag, p.data)
        } else {
            // Re-encoding parsed parameters cannot fail for values that were just decoded; an empty vector would
            // only make the parameters compare unequal, never equal by mistake.
            p.to_der_vec().unwrap_or_default()
        }
    });
    let oid = oid::from_der_contents(a.algorithm.as_bytes())
        .map_err(|e| CertError::Der(format!("algorithm identifier: {e}")))?;
    Ok(AlgorithmId::new(oid, params))
}

impl Certificate {
    /// Parses one DER certificate; trailing bytes are an error so a concatenation is never half-read.
    pub fn from_der(der: &[u8]) -> Result<Certificate, CertError> {
        Self::from_der_with_fingerprint(der, crate::encoding::sha256(der))
    }

    /// [`Self::from_der`] for a caller that has already hashed the DER (to look it up in a cache first).
    pub(crate) fn from_der_with_fingerprint(
        der: &[u8],
        fingerprint: [u8; 32],
    ) -> Result<Certificate, CertError> {
        if der.is_empty() {
            return Err(CertError::Empty);
        }
        if der.len() > MAX_CERTIFICATE_SIZE {
            return Err(CertError::TooLarge(der.len()));
        }
        let (rest, x) =
            X509Certificate::from_der(der).map_err(|e| CertError::Der(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CertError::TrailingData);
        }
        if x.tbs_certificate.raw_serial().len() > MAX_SERIAL_LEN {
            return Err(CertError::SerialTooLong(
                x.tbs_certificate.raw_serial().len(),
            ));
        }
        let owned = der.to_vec();
        let tbs_raw = x.tbs_certificate.as_ref();
        let start = tbs_raw.as_ptr() as usize - der.as_ptr() as usize;
        let tbs = start..start + tbs_raw.len();
        let tbs_cert = &x.tbs_certificate;

        if tbs_cert.extensions().len() > MAX_EXTENSIONS {
            return Err(CertError::TooManyExtensions(tbs_cert.extensions().len()));
        }
        let mut seen: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
        let mut c = Certificate {
            fingerprint,
            issuer_raw: {
                let raw = tbs_cert.issuer().as_raw();
                let start = raw.as_ptr() as usize - der.as_ptr() as usize;
                start..start + raw.len()
            },
            subject_raw: {
                let raw = tbs_cert.subject().as_raw();
                let start = raw.as_ptr() as usize - der.as_ptr() as usize;
                start..start + raw.len()
            },
            spki_raw: {
                let raw = tbs_cert.subject_pki.raw;
                let start = raw.as_ptr() as usize - der.as_ptr() as usize;
                start..start + raw.len()
            },
            tbs,
            version: tbs_cert.version.0 + 1,
            serial: tbs_cert.raw_serial().to_vec(),
            issuer: Name::from_x509(tbs_cert.issuer()),
            subject: Name::from_x509(tbs_cert.subject()),
            not_before: UnixTime::from_secs(tbs_cert.validity.not_before.timestamp()),
            not_after: UnixTime::from_secs(tbs_cert.validity.not_after.timestamp()),
            public_key: PublicKeyInfo {
                algorithm: alg_id(&tbs_cert.subject_pki.algorithm)?,
                key: tbs_cert.subject_pki.subject_public_key.data.to_vec(),
            },
            signature_algorithm: alg_id(&x.signature_algorithm)?,
            inner_signature_algorithm: alg_id(&tbs_cert.signature)?,
            signature: x.signature_value.data.to_vec(),
            basic_constraints: None,
            key_usage: None,
            subject_key_id: None,
            authority_key_id: None,
            extended_key_usage: Vec::new(),
            extended_key_usage_critical: false,
            crl_distribution_points: Vec::new(),
            freshest_crl: Vec::new(),
            ocsp_urls: Vec::new(),
            unsupported_critical: Vec::new(),
            ocsp_nocheck: false,
            profile: SubjectProfile::default(),
            summary: Default::default(),
            subject_summary: Default::default(),
            der: Vec::new(),
        };
        for ext in tbs_cert.extensions() {
            let oid_bytes = ext.oid.as_bytes();
            if !seen.insert(oid_bytes) {
                return Err(CertError::DuplicateExtension {
                    oid: ext.oid.to_id_string(),
                });
            }
            let oid = || ext.oid.to_id_string();
            let bad = || CertError::BadExtension { oid: oid() };
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    c.basic_constraints = Some((bc.ca, bc.path_len_constraint))
                }
                ParsedExtension::KeyUsage(ku) => {
                    c.key_usage = Some(KeyUsage {
                        digital_signature: ku.digital_signature(),
                        non_repudiation: ku.non_repudiation(),
                        key_encipherment: ku.key_encipherment(),
                        key_cert_sign: ku.key_cert_sign(),
                        crl_sign: ku.crl_sign(),
                    })
                }
                ParsedExtension::SubjectKeyIdentifier(k) => c.subject_key_id = Some(k.0.to_vec()),
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    c.ocsp_urls = aia
                        .iter()
                        .filter(|d| d.access_method.as_bytes() == oid::ocsp::AD_OCSP.as_bytes())
                        .filter_map(|d| match &d.access_location {
                            x509_parser::extensions::GeneralName::URI(uri) => Some(uri.to_string()),
                            _ => None,
                        })
                        .collect();
                }
                _ if oid_bytes == oid::ocsp::NOCHECK.as_bytes() => c.ocsp_nocheck = true,
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    c.authority_key_id = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    c.extended_key_usage_critical = ext.critical;
                    let named = [
                        (eku.any, oid::eku::ANY),
                        (eku.server_auth, oid::eku::SERVER_AUTH),
                        (eku.client_auth, oid::eku::CLIENT_AUTH),
                        (eku.code_signing, oid::eku::CODE_SIGNING),
                        (eku.email_protection, oid::eku::EMAIL_PROTECTION),
                        (eku.time_stamping, oid::eku::TIME_STAMPING),
                        (eku.ocsp_signing, oid::eku::OCSP_SIGNING),
                    ];
                    c.extended_key_usage = named
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, o)| *o)
                        .chain(
                            eku.other
                                .iter()
                                .filter_map(|o| oid::from_der_contents(o.as_bytes()).ok()),
                        )
                        .collect();
                }
                // x509-parser drops nameRelativeToCRLIssuer, so distribution points are read by hand.
                _ if oid_bytes == ext::CRL_DISTRIBUTION_POINTS.as_bytes() => {
                    c.crl_distribution_points =
                        parse_crl_distribution_points(ext.value).map_err(|_| bad())?;
                }
                _ if oid_bytes == ext::FRESHEST_CRL.as_bytes() => {
                    c.freshest_crl = parse_crl_distribution_points(ext.value).map_err(|_| bad())?;
                }
                ParsedExtension::ParseError { .. } => {
                    // A malformed extension we rely on is a malformed certificate; one we do not know and that is
                    // not critical can be ignored.
                    if is_known_extension(oid_bytes) {
                        return Err(bad());
                    }
                    if ext.critical {
                        c.unsupported_critical.push(oid());
                    }
                }
                _ if ext.critical && !is_known_extension(oid_bytes) => {
                    c.unsupported_critical.push(oid());
                }
                _ => {}
            }
        }
        c.profile = SubjectProfile::from_attributes(
            crate::pki::name::text_attributes(tbs_cert.subject()),
            &c.extended_key_usage,
        );
        c.subject_summary =
            std::sync::Arc::new(crate::pki::report::SubjectSummary::from_profile(&c.profile));
        c.der = owned;
        c.summary = std::sync::Arc::new(crate::pki::report::CertSummary {
            subject: c.subject.to_string(),
            issuer: c.issuer.to_string(),
            serial: crate::encoding::hex(&c.serial),
            not_before: c.not_before.rfc3339(),
            not_after: c.not_after.rfc3339(),
            sha256: crate::encoding::hex(&c.fingerprint),
            signature_algorithm: crate::crypto::AlgorithmRegistry::global()
                .name_of(&c.signature_algorithm.oid),
        });
        Ok(c)
    }

    /// The certificate's DER, as read.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The issuer Name as encoded.
    pub fn issuer_der(&self) -> &[u8] {
        &self.der[self.issuer_raw.clone()]
    }

    /// The SubjectPublicKeyInfo as encoded.
    pub fn spki_der(&self) -> &[u8] {
        &self.der[self.spki_raw.clone()]
    }

    /// The subject Name as encoded (what an OCSP CertID hashes for an issuer).
    pub fn subject_der(&self) -> &[u8] {
        &self.der[self.subject_raw.clone()]
    }

    /// The to-be-signed bytes the issuer's signature covers.
    pub fn tbs(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    /// Whether basicConstraints says CA.
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints, Some((true, _)))
    }

    /// Issued by the same entity it names (RFC 5280's "self-issued"): a CA's key rollover or the root.
    pub fn is_self_issued(&self) -> bool {
        self.issuer == self.subject
    }

    /// The subject's name.
    pub fn subject(&self) -> &Name {
        &self.subject
    }

    /// The issuer's name.
    pub fn issuer(&self) -> &Name {
        &self.issuer
    }

    /// The serial number's contents octets.
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// SHA-256 of the DER.
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// The X.509 version (1, 2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// notBefore, Unix seconds.
    pub fn not_before(&self) -> UnixTime {
        self.not_before
    }

    /// notAfter, Unix seconds.
    pub fn not_after(&self) -> UnixTime {
        self.not_after
    }

    /// The subject public key.
    pub fn public_key(&self) -> &PublicKeyInfo {
        &self.public_key
    }

    /// The algorithm the issuer signed with.
    pub fn signature_algorithm(&self) -> &AlgorithmId {
        &self.signature_algorithm
    }

    /// The issuer's signature value.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// keyUsage, when present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }

    /// The http and https URLs of its CRL distribution points (full CRLs) and of its freshestCRL extension
    /// (delta CRLs), in the order the certificate gives them.
    pub fn crl_urls(&self) -> (Vec<String>, Vec<String>) {
        fn urls(points: &[DistributionPoint]) -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for p in points {
                if let Some(crate::pki::dp::DpName::Full(names)) = &p.name {
                    for n in names {
                        if let crate::pki::dp::GenName::Uri(u) = n {
                            let lower = u.to_ascii_lowercase();
                            if (lower.starts_with("http://") || lower.starts_with("https://"))
                                && !out.contains(u)
                            {
                                out.push(u.clone());
                            }
                        }
                    }
                }
            }
            out
        }
        (
            urls(&self.crl_distribution_points),
            urls(&self.freshest_crl),
        )
    }

    /// The OCSP responders its authorityInfoAccess names.
    pub fn ocsp_urls(&self) -> &[String] {
        &self.ocsp_urls
    }

    /// Whether the certificate carries id-pkix-ocsp-nocheck (a delegated OCSP responder).
    pub fn ocsp_nocheck(&self) -> bool {
        self.ocsp_nocheck
    }

    /// Extended key usages.
    pub fn extended_key_usage(&self) -> &[ObjectIdentifier] {
        &self.extended_key_usage
    }

    /// The subject as the NCA profile reads it (IIN, BIN, names, roles).
    pub fn profile(&self) -> &SubjectProfile {
        &self.profile
    }

    /// The serial number, lower-case hex.
    pub fn serial_hex(&self) -> &str {
        &self.summary.serial
    }

    /// SHA-256 of the DER, lower-case hex.
    pub fn fingerprint_hex(&self) -> &str {
        &self.summary.sha256
    }
}
