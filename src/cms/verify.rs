//! Verifying SignedData: every signer's signature over its signed attributes (or the content), the attributes'
//! binding to the content and to the signer's certificate, and the certificate through path validation.

use std::borrow::Cow;

use cms::signed_data::{
    DigestAlgorithmIdentifiers, EncapsulatedContentInfo, SignerIdentifier, SignerInfo,
};
use der::asn1::OctetString;
use der::{Decode, Encode, Tagged};

use super::ess::{SigningCertificate, SigningCertificateV2};
use super::{oid, CmsError, CmsReport, SignerReport, MAX_CMS_SIZE, MAX_SIGNED_ATTRS, MAX_SIGNERS};
use crate::crypto::{AlgorithmId, AlgorithmRegistry, CryptoError, DigestAlgorithm};
use crate::encoding::asn1::{self as asn1, Reader};
use crate::pki::{Certificate, Code, Findings, Name, TrustStore, VerifyOptions};

/// SignedData split into its parts. The content description is decoded with the cms crate; certificates and
/// signer infos stay raw: certificates are parsed once, by the certificate parser, and signatures cover the
/// signed attributes exactly as the signer encoded them.
struct RawSignedData<'a> {
    encap: EncapsulatedContentInfo,
    certificates: Vec<&'a [u8]>,
    signer_infos: Vec<&'a [u8]>,
}

fn split_signed_data(cms: &[u8]) -> Result<RawSignedData<'_>, CmsError> {
    let bad = |e: asn1::DerError| CmsError::Der(e.to_string());
    let mut top = Reader::new(cms);
    let ci = top.read(asn1::SEQUENCE).map_err(bad)?;
    if !top.is_empty() {
        return Err(CmsError::Der("trailing bytes after the ContentInfo".into()));
    }
    let mut r = Reader::new(ci.value);
    let content_type = r.read(asn1::OID).map_err(bad)?;
    if content_type.value != crate::encoding::oid::pkcs::SIGNED_DATA.as_bytes() {
        return Err(CmsError::NotSignedData(
            crate::encoding::oid::from_der_contents(content_type.value)
                .map_err(bad)?
                .to_string(),
        ));
    }
    let explicit = r.read(0xa0).map_err(bad)?;
    let sd = Reader::new(explicit.value)
        .read(asn1::SEQUENCE)
        .map_err(bad)?;
    let mut f = Reader::new(sd.value);
    f.read(asn1::INTEGER).map_err(bad)?;
    let digests = f.read(asn1::SET).map_err(bad)?;
    DigestAlgorithmIdentifiers::from_der(digests.raw).map_err(|e| CmsError::Der(e.to_string()))?;
    let encap = f.read(asn1::SEQUENCE).map_err(bad)?;
    let encap =
        EncapsulatedContentInfo::from_der(encap.raw).map_err(|e| CmsError::Der(e.to_string()))?;
    let mut certificates = Vec::new();
    if let Some(set) = f.read_optional(0xa0).map_err(bad)? {
        let mut c = Reader::new(set.value);
        while !c.is_empty() {
            let choice = c.read_any().map_err(bad)?;
            // Other CertificateChoices (attribute certificates, other formats) are not used for paths.
            if choice.tag == asn1::SEQUENCE {
                certificates.push(choice.raw);
            }
        }
    }
    f.read_optional(0xa1).map_err(bad)?;
    let infos = f.read(asn1::SET).map_err(bad)?;
    if !f.is_empty() {
        return Err(CmsError::Der("unexpected field after signerInfos".into()));
    }
    let mut signer_infos = Vec::new();
    let mut r = Reader::new(infos.value);
    while !r.is_empty() {
        signer_infos.push(r.read(asn1::SEQUENCE).map_err(bad)?.raw);
    }
    Ok(RawSignedData {
        encap,
        certificates,
        signer_infos,
    })
}

/// The raw `[0] IMPLICIT` signed attributes of one SignerInfo, if any.
fn raw_signed_attrs(signer_info: &[u8]) -> Result<Option<&[u8]>, CmsError> {
    let bad = |e: asn1::DerError| CmsError::Der(e.to_string());
    let seq = Reader::new(signer_info).read(asn1::SEQUENCE).map_err(bad)?;
    let mut r = Reader::new(seq.value);
    r.read(asn1::INTEGER).map_err(bad)?;
    r.read_any().map_err(bad)?; // sid
    r.read(asn1::SEQUENCE).map_err(bad)?; // digestAlgorithm
    Ok(r.read_optional(0xa0).map_err(bad)?.map(|t| t.raw))
}

fn describe_sid(sid: &SignerIdentifier) -> String {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            let issuer = isn
                .issuer
                .to_der()
                .ok()
                .and_then(|d| Name::from_der(&d))
                .map(|n| n.to_string())
                .unwrap_or_default();
            format!(
                "issuer \"{issuer}\", serial {}",
                crate::encoding::hex(isn.serial_number.as_bytes())
            )
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            format!(
                "subject key identifier {}",
                crate::encoding::hex(ski.0.as_bytes())
            )
        }
    }
}

/// How a SignerInfo names its certificate, in comparable form; the issuer is parsed as a Name only if a
/// candidate's encoding differs from it.
enum SignerId<'a> {
    IssuerSerial(Vec<u8>, std::cell::OnceCell<Option<Name>>, &'a [u8]),
    KeyId(&'a [u8]),
}

impl<'a> SignerId<'a> {
    fn of(sid: &'a SignerIdentifier) -> SignerId<'a> {
        match sid {
            SignerIdentifier::IssuerAndSerialNumber(isn) => SignerId::IssuerSerial(
                isn.issuer.to_der().unwrap_or_default(),
                std::cell::OnceCell::new(),
                isn.serial_number.as_bytes(),
            ),
            SignerIdentifier::SubjectKeyIdentifier(ski) => SignerId::KeyId(ski.0.as_bytes()),
        }
    }

    fn matches(&self, cert: &Certificate) -> bool {
        match self {
            // Same serial, then the issuer: byte-equal (the usual case, as signers copy it from the certificate),
            // or equal as names (RFC 5280 comparison) when the encodings differ.
            SignerId::IssuerSerial(issuer, name, serial) => {
                cert.serial == *serial
                    && (cert.issuer_der() == issuer.as_slice()
                        || name
                            .get_or_init(|| Name::from_der(issuer))
                            .as_ref()
                            .is_some_and(|n| *n == cert.issuer))
            }
            SignerId::KeyId(id) => cert.subject_key_id.as_deref() == Some(*id),
        }
    }
}

/// The signature algorithm to verify with: CMS signers often name the key algorithm (rsaEncryption,
/// ecPublicKey) and leave the hash to digestAlgorithm.
fn signature_algorithm(si: &SignerInfo, digest: Option<DigestAlgorithm>) -> AlgorithmId {
    use crate::encoding::oid::{key, signature};
    let oid = si.signature_algorithm.oid;
    let params = si
        .signature_algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok());
    match (oid, digest) {
        (key::RSA, Some(d)) => AlgorithmId::new(d.rsa_pkcs1_signature_oid(), params),
        (key::EC, Some(d)) => AlgorithmId::new(d.ecdsa_signature_oid(), None),
        // GOST signers name their key's algorithm; the digest says which size.
        (key::GOST_NCA, Some(DigestAlgorithm::Streebog512)) => {
            AlgorithmId::new(signature::GOST_NCA_512, None)
        }
        (key::GOST_NCA, Some(DigestAlgorithm::Streebog256)) => {
            AlgorithmId::new(signature::GOST_NCA_256, None)
        }
        (key::GOST_TC26_512, Some(DigestAlgorithm::Streebog512)) => {
            AlgorithmId::new(signature::GOST_TC26_512, None)
        }
        (key::GOST_TC26_256, Some(DigestAlgorithm::Streebog256)) => {
            AlgorithmId::new(signature::GOST_TC26_256, None)
        }
        (key::GOST_NCA_34310, Some(DigestAlgorithm::Gost34311)) => {
            AlgorithmId::new(signature::GOST_NCA_34310, None)
        }
        _ => AlgorithmId::new(oid, params),
    }
}

/// What one signer's attributes say.
struct Attributes {
    content_type: Option<der::asn1::ObjectIdentifier>,
    message_digest: Option<Vec<u8>>,
    signing_time: Option<i64>,
    /// (hash algorithm, expected hash of the signer certificate) from signingCertificate(V2).
    cert_binding: Option<(DigestAlgorithm, Vec<u8>)>,
}

fn read_attributes(si: &SignerInfo, index: usize) -> Result<Attributes, CmsError> {
    let mut a = Attributes {
        content_type: None,
        message_digest: None,
        signing_time: None,
        cert_binding: None,
    };
    let Some(attrs) = &si.signed_attrs else {
        return Ok(a);
    };
    for attr in attrs.iter() {
        let single = |name: &'static str| -> Result<&der::Any, CmsError> {
            let mut values = attr.values.iter();
            match (values.next(), values.next()) {
                (Some(v), None) => Ok(v),
                _ => Err(CmsError::BadAttribute {
                    index,
                    attribute: name,
                }),
            }
        };
        match attr.oid {
            oid::CONTENT_TYPE => {
                let v = single("contentType")?;
                let o: der::asn1::ObjectIdentifier =
                    v.decode_as().map_err(|_| CmsError::BadAttribute {
                        index,
                        attribute: "contentType",
                    })?;
                a.content_type = Some(o);
            }
            oid::MESSAGE_DIGEST => {
                let v = single("messageDigest")?;
                let o: OctetString = v.decode_as().map_err(|_| CmsError::BadAttribute {
                    index,
                    attribute: "messageDigest",
                })?;
                a.message_digest = Some(o.as_bytes().to_vec());
            }
            oid::SIGNING_TIME => {
                let v = single("signingTime")?;
                let der = v.to_der().map_err(|_| CmsError::BadAttribute {
                    index,
                    attribute: "signingTime",
                })?;
                let tlv = Reader::new(&der)
                    .read_any()
                    .map_err(|_| CmsError::BadAttribute {
                        index,
                        attribute: "signingTime",
                    })?;
                a.signing_time =
                    Some(
                        asn1::time_to_unix(&tlv).map_err(|_| CmsError::BadAttribute {
                            index,
                            attribute: "signingTime",
                        })?,
                    );
            }
            oid::SIGNING_CERTIFICATE_V2 => {
                let v = single("signingCertificateV2")?;
                let sc: SigningCertificateV2 =
                    v.decode_as().map_err(|_| CmsError::BadAttribute {
                        index,
                        attribute: "signingCertificateV2",
                    })?;
                let first = sc.certs.first().ok_or(CmsError::BadAttribute {
                    index,
                    attribute: "signingCertificateV2",
                })?;
                let alg = match &first.hash_algorithm {
                    Some(h) => {
                        DigestAlgorithm::from_oid(&h.oid).map_err(|_| CmsError::BadAttribute {
                            index,
                            attribute: "signingCertificateV2",
                        })?
                    }
                    None => DigestAlgorithm::Sha256,
                };
                a.cert_binding = Some((alg, first.cert_hash.as_bytes().to_vec()));
            }
            oid::SIGNING_CERTIFICATE => {
                let v = single("signingCertificate")?;
                let sc: SigningCertificate = v.decode_as().map_err(|_| CmsError::BadAttribute {
                    index,
                    attribute: "signingCertificate",
                })?;
                let first = sc.certs.first().ok_or(CmsError::BadAttribute {
                    index,
                    attribute: "signingCertificate",
                })?;
                // A V2 attribute, when both are present, is the stronger binding and wins.
                if a.cert_binding.is_none() {
                    a.cert_binding =
                        Some((DigestAlgorithm::Sha1, first.cert_hash.as_bytes().to_vec()));
                }
            }
            _ => {}
        }
    }
    Ok(a)
}

/// The content a SignedData carries (attached), or `None` for a detached signature. Nothing is verified: the
/// caller needs the content to learn whom to verify it for (an application names its applicant inside).
pub fn attached_content(cms: &[u8]) -> Result<Option<Vec<u8>>, CmsError> {
    if cms.is_empty() {
        return Err(CmsError::Empty);
    }
    if cms.len() > MAX_CMS_SIZE {
        return Err(CmsError::TooLarge);
    }
    let sd = split_signed_data(cms)?;
    match sd.encap.econtent.as_ref() {
        None => Ok(None),
        Some(any) if any.tag() == der::Tag::OctetString => Ok(Some(any.value().to_vec())),
        Some(_) => Err(CmsError::Der("eContent is not an OCTET STRING".into())),
    }
}

/// The digest algorithm OIDs (dotted) of a SignedData's signers, in order; empty for what is not a SignedData.
pub(crate) fn digest_algorithm_oids(cms: &[u8]) -> Vec<String> {
    let Ok(sd) = split_signed_data(cms) else {
        return Vec::new();
    };
    sd.signer_infos
        .iter()
        .filter_map(|raw| SignerInfo::from_der(raw).ok())
        .map(|si| si.digest_alg.oid.to_string())
        .collect()
}

/// The certificates a SignedData carries, those that parse (nothing is verified): to show each signer's whole
/// certificate beside a report that summarises it.
pub(crate) fn embedded_certificates(cms: &[u8]) -> Vec<Certificate> {
    if cms.is_empty() || cms.len() > MAX_CMS_SIZE {
        return Vec::new();
    }
    split_signed_data(cms)
        .map(|sd| {
            sd.certificates
                .iter()
                .filter_map(|der| Certificate::from_der(der).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Verifies a DER CMS SignedData. `detached` is the content of a detached signature; `supplied` are
/// certificates given besides those inside the CMS. Returns `Err` for input that cannot be verified at all.
pub fn verify_cms(
    store: &TrustStore,
    cms: &[u8],
    detached: Option<&[u8]>,
    supplied: &[Certificate],
    opts: &VerifyOptions,
) -> Result<CmsReport, CmsError> {
    verify_signed_data(store, cms, detached, supplied, opts, true)
}

/// [`verify_cms`], looking at signers' signature timestamps when `stamps` (not inside a timestamp token).
pub(super) fn verify_signed_data(
    store: &TrustStore,
    cms: &[u8],
    detached: Option<&[u8]>,
    supplied: &[Certificate],
    opts: &VerifyOptions,
    stamps: bool,
) -> Result<CmsReport, CmsError> {
    if cms.is_empty() {
        return Err(CmsError::Empty);
    }
    if cms.len() > MAX_CMS_SIZE {
        return Err(CmsError::TooLarge);
    }
    let sd = split_signed_data(cms)?;
    let raw_infos = &sd.signer_infos;
    if raw_infos.is_empty() {
        return Err(CmsError::NoSigners);
    }
    if raw_infos.len() > MAX_SIGNERS {
        return Err(CmsError::TooManySigners);
    }

    let econtent_type = sd.encap.econtent_type;
    // eContent is an OCTET STRING (RFC 5652 §5.2) whose value is the signed content, used where it lies.
    let attached: Option<&[u8]> = match sd.encap.econtent.as_ref() {
        None => None,
        Some(any) if any.tag() == der::Tag::OctetString => Some(any.value()),
        Some(_) => return Err(CmsError::Der("eContent is not an OCTET STRING".into())),
    };
    let content: &[u8] = match (&attached, detached) {
        (Some(a), Some(d)) if *a != d => return Err(CmsError::ContentConflict),
        (Some(a), _) => a,
        (None, Some(d)) => d,
        (None, None) => return Err(CmsError::MissingContent),
    };

    // Embedded certificates: the store's own, or parsed once and remembered for the signer's next request.
    let embedded = sd
        .certificates
        .iter()
        .map(|der| store.parse_certificate(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CmsError::BadCertificate {
            reason: e.to_string(),
        })?;
    let intermediates: Vec<&Certificate> = embedded
        .iter()
        .map(|c| c.as_ref())
        .chain(supplied.iter())
        .collect();

    let algorithms = AlgorithmRegistry::global();
    let mut signers = Vec::new();
    for (i, raw) in raw_infos.iter().enumerate() {
        let index = i + 1;
        let si =
            SignerInfo::from_der(raw).map_err(|e| CmsError::Der(format!("signer {index}: {e}")))?;
        let sid = SignerId::of(&si.sid);
        let cert: &Certificate = intermediates
            .iter()
            .copied()
            .chain(store.certs.iter().map(|c| c.as_ref()))
            .find(|c| sid.matches(c))
            .ok_or_else(|| CmsError::SignerCertificateMissing {
                index,
                sid: describe_sid(&si.sid),
            })?;
        let raw_attrs = raw_signed_attrs(raw)?;
        if let Some(a) = raw_attrs {
            if a.len() > MAX_SIGNED_ATTRS {
                return Err(CmsError::AttributesTooLarge {
                    index,
                    size: a.len(),
                });
            }
        }
        let attrs = read_attributes(&si, index)?;
        let mut f = Findings::default();

        let digest_oid = si.digest_alg.oid;
        let digest = match DigestAlgorithm::from_oid(&digest_oid) {
            Ok(d) => Some(d),
            Err(e) => {
                f.add(Code::UnsupportedAlgorithm, e.to_string());
                None
            }
        };
        let sig_alg = signature_algorithm(&si, digest);
        let message: Cow<'_, [u8]> = match raw_attrs {
            Some(a) => {
                // The signature covers the attributes as a DER SET OF, not under their [0] IMPLICIT tag.
                let mut v = a.to_vec();
                v[0] = asn1::SET;
                check_attributes(&attrs, econtent_type, content, digest, cert, &mut f);
                Cow::Owned(v)
            }
            None => {
                if econtent_type != oid::DATA {
                    f.add(
                        Code::SignatureInvalid,
                        "without signed attributes the content type must be id-data (RFC 5652 §5.3)",
                    );
                }
                Cow::Borrowed(content)
            }
        };
        match algorithms.verify(
            &sig_alg,
            &cert.public_key,
            &message,
            si.signature.as_bytes(),
        ) {
            Ok(()) => {}
            Err(CryptoError::UnsupportedAlgorithm(a)) => f.add(
                Code::UnsupportedAlgorithm,
                format!("signature algorithm unsupported: {a}"),
            ),
            Err(e) => f.add(
                Code::SignatureInvalid,
                format!("the signature does not verify with the signer's certificate: {e}"),
            ),
        }

        let others: Vec<&Certificate> = intermediates
            .iter()
            .copied()
            .filter(|c| c.fingerprint != cert.fingerprint)
            .collect();
        let timestamp = if stamps {
            signature_timestamp(store, &si, opts).unwrap_or_else(|e| {
                f.add(
                    Code::Malformed,
                    format!("the signature timestamp cannot be read: {e}"),
                );
                None
            })
        } else {
            None
        };
        let best_time = timestamp
            .as_ref()
            .filter(|t| t.report.valid)
            .map(|t| t.info.gen_time_unix);
        let cert_report = match best_time {
            Some(at) => {
                let mut at_signing = opts.clone();
                at_signing.at = at;
                store.verify_certificate(cert, &others, &at_signing)
            }
            None => store.verify_certificate(cert, &others, opts),
        };
        f.absorb(&cert_report);
        signers.push(SignerReport {
            report: f
                .with_proof_of_existence(best_time.is_some())
                .into_report_about(&cert_report),
            signing_time: attrs.signing_time.map(crate::clock::rfc3339),
            digest_algorithm: digest
                .map(|d| d.name().to_string())
                .unwrap_or_else(|| digest_oid.to_string()),
            signature_algorithm: algorithms.name_of(&sig_alg.oid),
            signed_attributes: raw_attrs.is_some(),
            best_signature_time: best_time.map(|t| t.rfc3339()),
            timestamp,
        });
    }

    let all = Findings::of_signers(&signers.iter().map(|s| &s.report).collect::<Vec<_>>());
    tracing::debug!(
        signers = signers.len(),
        detached = attached.is_none(),
        content_size = content.len(),
        codes = ?all.codes(),
        "CMS verified"
    );
    let report = all.into_report_about(&signers[0].report);
    Ok(CmsReport {
        report,
        detached: attached.is_none(),
        content_size: content.len(),
        signers,
    })
}

/// The signer's signature timestamp (its first `signature-time-stamp` unsigned attribute), verified over its
/// signature value at the validation time. A token that verifies badly is reported and not used as the signature's
/// time; one that cannot be read at all is an error (the caller reports it as `MALFORMED`).
fn signature_timestamp(
    store: &TrustStore,
    si: &SignerInfo,
    opts: &VerifyOptions,
) -> Result<Option<super::TimestampReport>, super::TspError> {
    let Some(attribute) = si.unsigned_attrs.as_ref().and_then(|attrs| {
        attrs
            .iter()
            .find(|a| a.oid == crate::encoding::oid::attr::SIGNATURE_TIME_STAMP_TOKEN)
    }) else {
        return Ok(None);
    };
    let token = attribute
        .values
        .iter()
        .next()
        .ok_or_else(|| super::TspError::Malformed("an empty signature-time-stamp".into()))?
        .to_der()
        .map_err(|e| super::TspError::Malformed(e.to_string()))?;
    super::verify_timestamp(store, &token, si.signature.as_bytes(), None, opts).map(Some)
}

/// The signed attributes must name the content's type, carry its digest, and (when present) bind the signer's
/// certificate.
fn check_attributes(
    attrs: &Attributes,
    econtent_type: der::asn1::ObjectIdentifier,
    content: &[u8],
    digest: Option<DigestAlgorithm>,
    cert: &Certificate,
    f: &mut Findings,
) {
    match &attrs.content_type {
        None => f.add(
            Code::SignatureInvalid,
            "the signed attributes lack contentType",
        ),
        Some(t) if *t != econtent_type => f.add(
            Code::SignatureInvalid,
            format!("signed contentType {t} differs from the content's type {econtent_type}"),
        ),
        Some(_) => {}
    }
    match (&attrs.message_digest, digest) {
        (None, _) => f.add(
            Code::SignatureInvalid,
            "the signed attributes lack messageDigest",
        ),
        (Some(expected), Some(d)) if d.digest(content) != *expected => f.add_hash_failure(
            "the content's digest differs from the signed messageDigest: the content was altered",
        ),
        _ => {}
    }
    if let Some((alg, hash)) = &attrs.cert_binding {
        // The certificate's fingerprint is its SHA-256, computed when it was parsed.
        let actual = match alg {
            DigestAlgorithm::Sha256 => cert.fingerprint.to_vec(),
            other => other.digest(cert.der()),
        };
        if actual != *hash {
            f.add(
                Code::SignatureInvalid,
                "the signingCertificate attribute names another certificate than the signer's",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_cert(name: &str) -> Certificate {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/certs/").to_string() + name)
            .expect("demo cert");
        let der = crate::encoding::pem::der_blocks(&pem, &["CERTIFICATE"])
            .expect("pem")
            .remove(0);
        Certificate::from_der(&der).expect("cert")
    }

    fn attrs(content: &[u8], cert: &Certificate) -> Attributes {
        Attributes {
            content_type: Some(oid::DATA),
            message_digest: Some(DigestAlgorithm::Sha256.digest(content)),
            signing_time: None,
            cert_binding: Some((
                DigestAlgorithm::Sha256,
                DigestAlgorithm::Sha256.digest(cert.der()),
            )),
        }
    }

    fn codes(a: &Attributes, content: &[u8], cert: &Certificate) -> Vec<Code> {
        let mut f = Findings::default();
        check_attributes(
            a,
            oid::DATA,
            content,
            Some(DigestAlgorithm::Sha256),
            cert,
            &mut f,
        );
        f.codes().to_vec()
    }

    #[test]
    fn attributes_bind_content_type_digest_and_certificate() {
        let cert = demo_cert("provider-signer.pem");
        let other = demo_cert("legal-head.pem");
        let content = b"content";
        assert!(codes(&attrs(content, &cert), content, &cert).is_empty());
        // The signingCertificateV2 of one certificate does not cover another with the same name or key.
        assert_eq!(
            codes(&attrs(content, &other), content, &cert),
            vec![Code::SignatureInvalid]
        );
        let mut a = attrs(content, &cert);
        a.content_type = Some(crate::encoding::oid::pkcs::DIGESTED_DATA);
        assert_eq!(codes(&a, content, &cert), vec![Code::SignatureInvalid]);
        let mut a = attrs(content, &cert);
        a.content_type = None;
        assert_eq!(codes(&a, content, &cert), vec![Code::SignatureInvalid]);
        let mut a = attrs(content, &cert);
        a.message_digest = None;
        assert_eq!(codes(&a, content, &cert), vec![Code::SignatureInvalid]);
        assert_eq!(
            codes(&attrs(content, &cert), b"Content", &cert),
            vec![Code::SignatureInvalid]
        );
        // SHA-1 signingCertificate (v1) works the same way.
        let mut a = attrs(content, &cert);
        a.cert_binding = Some((
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha1.digest(cert.der()),
        ));
        assert!(codes(&a, content, &cert).is_empty());
    }
}
