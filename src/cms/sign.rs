//! Signing: attached or detached SignedData with contentType, signingTime (unless PAdES forbids it),
//! messageDigest and signingCertificateV2, and on request a contentHint saying what the signature is; the
//! signer's certificate and chain included.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, Encode};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

use std::sync::Arc;

use super::ess::{EssCertIdV2, SigningCertificateV2};
use super::tsp::{imprint_algorithm, Timestamper};
use super::{oid, CmsError};
use crate::clock::UnixTime;
use crate::crypto::{AlgorithmId, SigningKey};
use crate::pki::Certificate;

/// The provider's signing identity: key, certificate and chain, checked to belong together once.
pub struct CmsSigner {
    key: Box<dyn SigningKey>,
    certificate: Certificate,
    signer: x509_cert::Certificate,
    chain: Vec<x509_cert::Certificate>,
    /// SHA-256 of the certificate, for signingCertificateV2.
    certificate_hash: Vec<u8>,
    /// The TSA every signature is stamped by (CAdES-B-T), when one is configured.
    timestamper: Option<Arc<dyn Timestamper>>,
    /// Where the validation data of PDF signatures comes from (PAdES-B-LT), when it is to be embedded.
    validation_data: Option<Arc<dyn super::ValidationDataSource>>,
}

fn enc_err(e: der::Error) -> CmsError {
    CmsError::Signing(e.to_string())
}

fn algorithm(id: &AlgorithmId) -> Result<AlgorithmIdentifierOwned, CmsError> {
    Ok(AlgorithmIdentifierOwned {
        oid: id.oid,
        parameters: id
            .params
            .as_deref()
            .map(Any::from_der)
            .transpose()
            .map_err(enc_err)?,
    })
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, CmsError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(enc_err)?,
    })
}

/// signingTime as RFC 5280 wants it: UTCTime until 2049, GeneralizedTime after.
fn signing_time(unix: i64) -> Result<Any, CmsError> {
    let secs =
        u64::try_from(unix).map_err(|_| CmsError::Signing("signing time before 1970".into()))?;
    let d = std::time::Duration::from_secs(secs);
    if unix < 2_524_608_000 {
        Any::encode_from(&UtcTime::from_unix_duration(d).map_err(enc_err)?).map_err(enc_err)
    } else {
        Any::encode_from(&GeneralizedTime::from_unix_duration(d).map_err(enc_err)?).map_err(enc_err)
    }
}

/// How to sign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignOptions {
    /// Leave the content out of the SignedData.
    pub detached: bool,
    /// The signingTime attribute (Unix seconds); `None` leaves it out, as PAdES requires (the time of a PDF
    /// signature is the signature dictionary's /M, or a timestamp).
    pub signing_time: Option<UnixTime>,
    /// A contentHint attribute (RFC 2634 §2.9): a description of what was signed, e.g. that a service signed it
    /// on someone's behalf.
    pub content_hint: Option<String>,
}

/// ContentHints (RFC 2634 §2.9).
#[derive(der::Sequence)]
struct ContentHints {
    content_description: Option<String>,
    content_type: ObjectIdentifier,
}

/// id-aa-contentHint.
const CONTENT_HINT: ObjectIdentifier = crate::encoding::oid::pkcs::CONTENT_HINT;

impl CmsSigner {
    /// Pairs a key with its certificate (and the chain to include). Fails when the key is not the
    /// certificate's.
    pub fn new(
        key: Box<dyn SigningKey>,
        certificate: Certificate,
        chain: Vec<Certificate>,
    ) -> Result<CmsSigner, CmsError> {
        if key.public_key().key != certificate.public_key.key {
            return Err(CmsError::KeyCertificateMismatch);
        }
        let decode = |c: &Certificate| x509_cert::Certificate::from_der(c.der()).map_err(enc_err);
        Ok(CmsSigner {
            signer: decode(&certificate)?,
            chain: chain
                .iter()
                .filter(|c| c.fingerprint != certificate.fingerprint)
                .map(decode)
                .collect::<Result<_, _>>()?,
            certificate_hash: crate::crypto::DigestAlgorithm::Sha256.digest(certificate.der()),
            certificate,
            key,
            timestamper: None,
            validation_data: None,
        })
    }

    /// The same signer, its PDF signatures followed by the validation data of its certificate's path (and its
    /// TSA's) from `source`: a `/DSS` (PAdES-B-LT).
    pub fn with_validation_data(
        mut self,
        source: Arc<dyn super::ValidationDataSource>,
    ) -> CmsSigner {
        self.validation_data = Some(source);
        self
    }

    /// Where this signer's PDF signatures take their validation data from, if they carry it.
    pub(crate) fn validation_data_source(&self) -> Option<&dyn super::ValidationDataSource> {
        self.validation_data.as_deref()
    }

    /// The same signer, with every signature it makes from now on stamped by `timestamper`: a
    /// `signature-time-stamp` unsigned attribute (CAdES-B-T, RFC 3161 appendix A) over the signature value.
    pub fn with_timestamper(mut self, timestamper: Arc<dyn Timestamper>) -> CmsSigner {
        self.timestamper = Some(timestamper);
        self
    }

    /// Whether this signer's signatures carry a timestamp.
    pub fn stamps(&self) -> bool {
        self.timestamper.is_some()
    }

    /// A signer from a key file's identity: `certificate` when given, otherwise the key file's own certificate for
    /// the key (PKCS#12); the key file's other certificates join `chain`.
    pub fn from_identity(
        identity: crate::credentials::SigningIdentity,
        certificate: Option<Certificate>,
        mut chain: Vec<Certificate>,
    ) -> Result<CmsSigner, CmsError> {
        let certificate = match certificate {
            Some(c) => c,
            None => {
                let public = identity.key.public_key();
                identity
                    .certificates
                    .iter()
                    .find(|c| c.public_key.key == public.key)
                    .cloned()
                    .ok_or(CmsError::NoCertificateForKey)?
            }
        };
        chain.extend(identity.certificates);
        CmsSigner::new(identity.key, certificate, chain)
    }

    /// The signer's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// An upper bound of the DER size of a SignedData this signer makes over detached content (its certificates,
    /// attributes and signature), for reserving room for it in a PDF before signing.
    pub fn detached_size_bound(&self) -> usize {
        let certs: usize = std::iter::once(&self.signer)
            .chain(&self.chain)
            .map(|c| {
                c.encoded_len()
                    .map(|l| u32::from(l) as usize)
                    .unwrap_or(16 * 1024)
            })
            .sum();
        // Attributes, identifiers and structure take a few hundred bytes; the signature at most 1 KB (RSA-8192).
        let token = self
            .timestamper
            .as_ref()
            .map(|t| t.token_size_bound() + 64)
            .unwrap_or(0);
        certs + 2048 + token
    }

    /// The signing key, for other signed formats of the same provider (the seal).
    pub fn key(&self) -> &dyn SigningKey {
        self.key.as_ref()
    }

    /// Signs `content` at `signing_time` (Unix seconds), attached or detached, and returns the DER ContentInfo.
    pub fn sign(
        &self,
        content: &[u8],
        detached: bool,
        signing_time_unix: i64,
    ) -> Result<Vec<u8>, CmsError> {
        self.sign_with(
            content,
            &SignOptions {
                detached,
                signing_time: Some(UnixTime::from_secs(signing_time_unix)),
                content_hint: None,
            },
        )
    }

    /// Signs `content` as `options` say and returns the DER ContentInfo.
    pub fn sign_with(&self, content: &[u8], options: &SignOptions) -> Result<Vec<u8>, CmsError> {
        let detached = options.detached;
        let digest = self.key.digest_algorithm();
        let data = oid::DATA;
        let cert_id = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                hash_algorithm: None, // DEFAULT sha256
                cert_hash: OctetString::new(self.certificate_hash.clone()).map_err(enc_err)?,
                issuer_serial: None,
            }],
            policies: None,
        };
        let mut attrs = vec![attribute(
            oid::CONTENT_TYPE,
            Any::encode_from(&data).map_err(enc_err)?,
        )?];
        if let Some(at) = options.signing_time {
            attrs.push(attribute(oid::SIGNING_TIME, signing_time(at.secs())?)?);
        }
        attrs.push(attribute(
            oid::MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.digest(content)).map_err(enc_err)?)
                .map_err(enc_err)?,
        )?);
        attrs.push(attribute(
            oid::SIGNING_CERTIFICATE_V2,
            Any::encode_from(&cert_id).map_err(enc_err)?,
        )?);
        if let Some(hint) = &options.content_hint {
            let hints = ContentHints {
                content_description: Some(hint.clone()),
                content_type: data,
            };
            attrs.push(attribute(
                CONTENT_HINT,
                Any::encode_from(&hints).map_err(enc_err)?,
            )?);
        }
        let signed_attrs = SetOfVec::try_from(attrs).map_err(enc_err)?;
        let signature = self
            .key
            .sign(&signed_attrs.to_der().map_err(enc_err)?)
            .map_err(CmsError::Key)?;
        let digest_alg = AlgorithmIdentifierOwned {
            oid: digest.oid(),
            parameters: None,
        };
        let unsigned_attrs = match &self.timestamper {
            None => None,
            Some(tsa) => {
                let token = tsa
                    .stamp(&signature, imprint_algorithm(digest))
                    .map_err(|e| CmsError::Timestamp(e.to_string()))?;
                let token = Any::from_der(&token).map_err(|e| {
                    CmsError::Timestamp(format!("the token is not one DER element: {e}"))
                })?;
                Some(
                    SetOfVec::try_from(vec![attribute(
                        crate::encoding::oid::attr::SIGNATURE_TIME_STAMP_TOKEN,
                        token,
                    )?])
                    .map_err(enc_err)?,
                )
            }
        };
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: self.signer.tbs_certificate.issuer.clone(),
                serial_number: self.signer.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: digest_alg.clone(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: algorithm(&self.key.signature_algorithm())?,
            signature: OctetString::new(signature).map_err(enc_err)?,
            unsigned_attrs,
        };
        let mut certs = vec![CertificateChoices::Certificate(self.signer.clone())];
        certs.extend(
            self.chain
                .iter()
                .cloned()
                .map(CertificateChoices::Certificate),
        );
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![digest_alg]).map_err(enc_err)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: data,
                econtent: if detached {
                    None
                } else {
                    Some(
                        Any::encode_from(&OctetString::new(content).map_err(enc_err)?)
                            .map_err(enc_err)?,
                    )
                },
            },
            certificates: Some(CertificateSet(SetOfVec::try_from(certs).map_err(enc_err)?)),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(enc_err)?),
        };
        ContentInfo {
            content_type: oid::SIGNED_DATA,
            content: Any::encode_from(&signed_data).map_err(enc_err)?,
        }
        .to_der()
        .map_err(enc_err)
    }
}
