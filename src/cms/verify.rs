//! Verifying SignedData: every signer's signature over its signed attributes (or the content), the attributes'
//! binding to the content and to the signer's certificate, and the certificate through path validation.

use std::borrow::Cow;

use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetString;
use der::{Decode, Encode};

use super::ess::{SigningCertificate, SigningCertificateV2};
use super::{oid, CmsError, CmsReport, SignerReport, MAX_CMS_SIZE, MAX_SIGNED_ATTRS, MAX_SIGNERS};
use crate::crypto::{AlgorithmId, AlgorithmRegistry, CryptoError, DigestAlgorithm};
use crate::der::{self as qder, Reader};
use crate::pki::validate::format_time;
use crate::pki::{Certificate, Code, Findings, Name, Report, TrustStore, VerifyOptions};

/// The raw DER of each SignerInfo, in the order of the input. The signature covers the signed attributes exactly
/// as the signer encoded them, so they are taken from the input rather than re-encoded.
fn raw_signer_infos(cms: &[u8]) -> Result<Vec<&[u8]>, CmsError> {
    let bad = |e: qder::DerError| CmsError::Der(e.to_string());
    let ci = Reader::new(cms).read(qder::SEQUENCE).map_err(bad)?;
    let mut r = Reader::new(ci.value);
    r.read(qder::OID).map_err(bad)?;
    let explicit = r.read(0xa0).map_err(bad)?;
    let sd = Reader::new(explicit.value)
        .read(qder::SEQUENCE)
        .map_err(bad)?;
    let mut f = Reader::new(sd.value);
    f.read(qder::INTEGER).map_err(bad)?;
    f.read(qder::SET).map_err(bad)?;
    f.read(qder::SEQUENCE).map_err(bad)?;
    f.read_optional(0xa0).map_err(bad)?;
    f.read_optional(0xa1).map_err(bad)?;
    let infos = f.read(qder::SET).map_err(bad)?;
    let mut out = Vec::new();
    let mut r = Reader::new(infos.value);
    while !r.is_empty() {
        out.push(r.read(qder::SEQUENCE).map_err(bad)?.raw);
    }
    Ok(out)
}

/// The raw `[0] IMPLICIT` signed attributes of one SignerInfo, if any.
fn raw_signed_attrs(signer_info: &[u8]) -> Result<Option<&[u8]>, CmsError> {
    let bad = |e: qder::DerError| CmsError::Der(e.to_string());
    let seq = Reader::new(signer_info).read(qder::SEQUENCE).map_err(bad)?;
    let mut r = Reader::new(seq.value);
    r.read(qder::INTEGER).map_err(bad)?;
    r.read_any().map_err(bad)?; // sid
    r.read(qder::SEQUENCE).map_err(bad)?; // digestAlgorithm
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
                crate::pki::name::hex(isn.serial_number.as_bytes())
            )
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            format!(
                "subject key identifier {}",
                crate::pki::name::hex(ski.0.as_bytes())
            )
        }
    }
}

fn matches_sid(cert: &Certificate, sid: &SignerIdentifier) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            cert.serial == isn.serial_number.as_bytes()
                && isn
                    .issuer
                    .to_der()
                    .ok()
                    .and_then(|d| Name::from_der(&d))
                    .is_some_and(|n| n == cert.issuer)
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            cert.subject_key_id.as_deref() == Some(ski.0.as_bytes())
        }
    }
}

/// The signature algorithm to verify with: CMS signers often name the key algorithm (rsaEncryption,
/// ecPublicKey) and leave the hash to digestAlgorithm.
fn signature_algorithm(si: &SignerInfo, digest: Option<DigestAlgorithm>) -> AlgorithmId {
    let oid = si.signature_algorithm.oid.to_string();
    let params = si
        .signature_algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok());
    match (oid.as_str(), digest) {
        ("1.2.840.113549.1.1.1", Some(d)) => AlgorithmId::new(d.rsa_pkcs1_signature_oid(), params),
        ("1.2.840.10045.2.1", Some(d)) => AlgorithmId::new(d.ecdsa_signature_oid(), None),
        _ => AlgorithmId::new(oid, params),
    }
}

/// What one signer's attributes say.
struct Attributes {
    content_type: Option<String>,
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
        match attr.oid.to_string().as_str() {
            oid::CONTENT_TYPE => {
                let v = single("contentType")?;
                let o: der::asn1::ObjectIdentifier =
                    v.decode_as().map_err(|_| CmsError::BadAttribute {
                        index,
                        attribute: "contentType",
                    })?;
                a.content_type = Some(o.to_string());
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
                        qder::time_to_unix(&tlv).map_err(|_| CmsError::BadAttribute {
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
                    Some(h) => DigestAlgorithm::from_oid(&h.oid.to_string()).map_err(|_| {
                        CmsError::BadAttribute {
                            index,
                            attribute: "signingCertificateV2",
                        }
                    })?,
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

/// Verifies a DER CMS SignedData. `detached` is the content of a detached signature; `supplied` are
/// certificates given besides those inside the CMS. Returns `Err` for input that cannot be verified at all.
pub fn verify_cms(
    store: &TrustStore,
    cms: &[u8],
    detached: Option<&[u8]>,
    supplied: &[Certificate],
    opts: &VerifyOptions,
) -> Result<CmsReport, CmsError> {
    if cms.is_empty() {
        return Err(CmsError::Empty);
    }
    if cms.len() > MAX_CMS_SIZE {
        return Err(CmsError::TooLarge);
    }
    let ci = ContentInfo::from_der(cms).map_err(|e| CmsError::Der(e.to_string()))?;
    let content_type = ci.content_type.to_string();
    if content_type != oid::SIGNED_DATA {
        return Err(CmsError::NotSignedData(content_type));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| CmsError::Der(e.to_string()))?;
    let raw_infos = raw_signer_infos(cms)?;
    if raw_infos.is_empty() {
        return Err(CmsError::NoSigners);
    }
    if raw_infos.len() > MAX_SIGNERS {
        return Err(CmsError::TooManySigners);
    }

    let econtent_type = sd.encap_content_info.econtent_type.to_string();
    let attached: Option<Vec<u8>> = sd.encap_content_info.econtent.as_ref().map(|any| {
        match any.decode_as::<OctetString>() {
            Ok(o) => o.as_bytes().to_vec(),
            // Content types other than id-data may carry their content as any DER value.
            Err(_) => any.value().to_vec(),
        }
    });
    let content: &[u8] = match (&attached, detached) {
        (Some(a), Some(d)) if a.as_slice() != d => return Err(CmsError::ContentConflict),
        (Some(a), _) => a,
        (None, Some(d)) => d,
        (None, None) => return Err(CmsError::MissingContent),
    };

    let embedded = embedded_certificates(sd.certificates.as_ref())?;
    let mut intermediates: Vec<Certificate> = embedded.clone();
    intermediates.extend(supplied.iter().cloned());

    let algorithms = AlgorithmRegistry::global();
    let mut signers = Vec::new();
    for (i, raw) in raw_infos.iter().enumerate() {
        let index = i + 1;
        let si =
            SignerInfo::from_der(raw).map_err(|e| CmsError::Der(format!("signer {index}: {e}")))?;
        let cert = intermediates
            .iter()
            .chain(store.certs.iter().map(|c| c.as_ref()))
            .find(|c| matches_sid(c, &si.sid))
            .cloned()
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

        let digest_oid = si.digest_alg.oid.to_string();
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
                v[0] = qder::SET;
                check_attributes(&attrs, &econtent_type, content, digest, &cert, &mut f);
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

        let others: Vec<Certificate> = intermediates
            .iter()
            .filter(|c| c.fingerprint != cert.fingerprint)
            .cloned()
            .collect();
        let cert_report = store.verify_certificate(&cert, &others, opts);
        f.absorb(&cert_report);
        signers.push(SignerReport {
            report: f.into_report(
                cert_report.subject.clone(),
                cert_report.chain.clone(),
                cert_report.validation_time.clone(),
                cert_report.revocation_checked,
            ),
            signing_time: attrs.signing_time.map(format_time),
            digest_algorithm: digest.map(|d| d.name().to_string()).unwrap_or(digest_oid),
            signature_algorithm: algorithms.name_of(&sig_alg.oid),
            signed_attributes: raw_attrs.is_some(),
        });
    }

    let mut all = Findings::default();
    let several = signers.len() > 1;
    for (i, s) in signers.iter().enumerate() {
        all.absorb_prefixed(&s.report, if several { Some(i + 1) } else { None });
    }
    let first: &Report = &signers[0].report;
    let report = all.into_report(
        first.subject.clone(),
        first.chain.clone(),
        first.validation_time.clone(),
        first.revocation_checked,
    );
    Ok(CmsReport {
        report,
        detached: attached.is_none(),
        content_size: content.len(),
        signers,
    })
}

fn embedded_certificates(set: Option<&CertificateSet>) -> Result<Vec<Certificate>, CmsError> {
    let mut out = Vec::new();
    if let Some(set) = set {
        for choice in set.0.iter() {
            if let cms::cert::CertificateChoices::Certificate(c) = choice {
                let der = c.to_der().map_err(|e| CmsError::BadCertificate {
                    index: 0,
                    reason: e.to_string(),
                })?;
                out.push(
                    Certificate::from_der(&der).map_err(|e| CmsError::BadCertificate {
                        index: 0,
                        reason: e.to_string(),
                    })?,
                );
            }
        }
    }
    Ok(out)
}

/// The signed attributes must name the content's type, carry its digest, and (when present) bind the signer's
/// certificate.
fn check_attributes(
    attrs: &Attributes,
    econtent_type: &str,
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
        Some(t) if t != econtent_type => f.add(
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
        (Some(expected), Some(d)) if d.digest(content) != *expected => f.add(
            Code::SignatureInvalid,
            "the content's digest differs from the signed messageDigest: the content was altered",
        ),
        _ => {}
    }
    if let Some((alg, hash)) = &attrs.cert_binding {
        if alg.digest(cert.der()) != *hash {
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
        let der = crate::pki::load::der_blocks(&pem, &["CERTIFICATE"])
            .expect("pem")
            .remove(0);
        Certificate::from_der(&der).expect("cert")
    }

    fn attrs(content: &[u8], cert: &Certificate) -> Attributes {
        Attributes {
            content_type: Some(oid::DATA.to_string()),
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
        a.content_type = Some("1.2.840.113549.1.7.5".into());
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
