//! The algorithm identifiers of XML signatures (URIs, not OIDs), mapped to what the rest of Qoltanba knows.
//!
//! Sources: XMLDSig 1.1 §6, RFC 6931 (the `xmldsig-more` URIs), and the NCA's own constants
//! (`pkigovkz/xmldsig` `DsigConstants.java`) for GOST R 34.10-2015 with Streebog; the 256-bit pair is NCANode's.

use crate::crypto::DigestAlgorithm;
use crate::encoding::oid::{signature as sig_oid, ObjectIdentifier};

use super::c14n::{C14n, Method};

/// The XMLDSig namespace.
pub(crate) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The namespace of `InclusiveNamespaces` (exclusive canonicalisation's prefix list).
pub(crate) const EXC_C14N_NS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// WS-Security's extension namespace (`wsse:`).
pub(crate) const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// WS-Security's utility namespace (`wsu:Id`, `wsu:Timestamp`).
pub(crate) const WSU_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
/// SOAP 1.1 envelope namespace.
pub(crate) const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace.
pub(crate) const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// ValueType of an X.509 v3 certificate token (KeyIdentifier, BinarySecurityToken).
pub(crate) const X509V3_TOKEN: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
/// EncodingType Base64Binary.
pub(crate) const BASE64_BINARY: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

/// The enveloped-signature transform.
pub(crate) const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// Canonical XML 1.0.
pub(crate) const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// Canonical XML 1.0 with comments.
pub(crate) const C14N_COMMENTS: &str =
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
/// Exclusive canonicalisation.
pub(crate) const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Exclusive canonicalisation with comments.
pub(crate) const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";

/// The NCA's GOST R 34.10-2015 512-bit signature with Streebog-512.
pub(crate) const GOST_512: &str =
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512";
/// GOST R 34.10-2015 256-bit with Streebog-256 (NCANode's URI).
pub(crate) const GOST_256: &str =
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256";
/// Streebog-512 digest.
pub(crate) const STREEBOG_512: &str =
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512";
/// Streebog-256 digest.
pub(crate) const STREEBOG_256: &str =
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256";

/// A canonicalisation method named by `uri`, with the prefix list read by the caller; `None` when `uri` is not
/// one of the four.
pub(crate) fn canonicalization(uri: &str, prefixes: Vec<String>) -> Option<C14n> {
    let (method, with_comments) = match uri {
        C14N => (Method::Inclusive, false),
        C14N_COMMENTS => (Method::Inclusive, true),
        EXC_C14N => (Method::Exclusive { prefixes }, false),
        EXC_C14N_COMMENTS => (Method::Exclusive { prefixes }, true),
        _ => return None,
    };
    Some(C14n {
        method,
        with_comments,
    })
}

/// What a SignatureMethod URI means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureMethod {
    /// RSA PKCS#1 v1.5 (SignatureValue: the signature as is).
    Rsa(ObjectIdentifier),
    /// ECDSA (SignatureValue: r ‖ s, each the size of the curve's order, big-endian — XMLDSig 1.1 §6.4.3).
    Ecdsa(ObjectIdentifier),
    /// GOST R 34.10-2015 in the NCA's layout (r ‖ s little-endian, as in its CMS).
    Gost(ObjectIdentifier),
}

impl SignatureMethod {
    /// The signature algorithm of `uri`; `Err` with a reason for one we know and refuse, or do not know.
    pub(crate) fn of(uri: &str) -> Result<SignatureMethod, String> {
        Ok(match (uri, uri.strip_prefix("http://www.w3.org/2001/04/xmldsig-more#")) {
            ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", _) | (_, Some("rsa-sha1")) => {
                SignatureMethod::Rsa(sig_oid::RSA_SHA1)
            }
            (_, Some("rsa-sha256")) => SignatureMethod::Rsa(sig_oid::RSA_SHA256),
            (_, Some("rsa-sha384")) => SignatureMethod::Rsa(sig_oid::RSA_SHA384),
            (_, Some("rsa-sha512")) => SignatureMethod::Rsa(sig_oid::RSA_SHA512),
            (_, Some("ecdsa-sha256")) => SignatureMethod::Ecdsa(sig_oid::ECDSA_SHA256),
            (_, Some("ecdsa-sha384")) => SignatureMethod::Ecdsa(sig_oid::ECDSA_SHA384),
            (GOST_512, _) => SignatureMethod::Gost(sig_oid::GOST_NCA_512),
            (GOST_256, _) => SignatureMethod::Gost(sig_oid::GOST_NCA_256),
            (_, Some("gost34310-gost34311")) => {
                return Err(format!(
                    "signature method {uri} (GOST 34.310-2004, withdrawn by the NCA) is not supported in XML \
                     (it is checked in certificates, CRLs, OCSP answers, timestamps and CMS)"
                ))
            }
            _ => return Err(format!("signature method {uri} is not supported")),
        })
    }

    /// The URI under which a key with signature algorithm `oid` signs.
    pub(crate) fn uri_of(oid: &ObjectIdentifier) -> Option<&'static str> {
        Some(match *oid {
            sig_oid::RSA_SHA256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            sig_oid::RSA_SHA384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            sig_oid::RSA_SHA512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            sig_oid::ECDSA_SHA256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            sig_oid::ECDSA_SHA384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
            sig_oid::GOST_NCA_512 => GOST_512,
            sig_oid::GOST_NCA_256 => GOST_256,
            _ => return None,
        })
    }

    /// The signature OID the algorithm registry verifies.
    pub(crate) fn oid(self) -> ObjectIdentifier {
        match self {
            SignatureMethod::Rsa(o) | SignatureMethod::Ecdsa(o) | SignatureMethod::Gost(o) => o,
        }
    }
}

/// The legacy GOST digest's DigestMethod URI (refused: no Kalkan-made XML sample pins its byte layout).
const GOST34311: &str = "http://www.w3.org/2001/04/xmldsig-more#gost34311";

/// The digest algorithm of a DigestMethod URI.
pub(crate) fn digest(uri: &str) -> Result<DigestAlgorithm, String> {
    Ok(match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1"
        | "http://www.w3.org/2001/04/xmldsig-more#sha1" => DigestAlgorithm::Sha1,
        "http://www.w3.org/2001/04/xmlenc#sha256" => DigestAlgorithm::Sha256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => DigestAlgorithm::Sha384,
        "http://www.w3.org/2001/04/xmlenc#sha512" => DigestAlgorithm::Sha512,
        STREEBOG_512 => DigestAlgorithm::Streebog512,
        STREEBOG_256 => DigestAlgorithm::Streebog256,
        GOST34311 => {
            return Err(format!(
            "digest method {uri} (GOST 34.311-95, withdrawn by the NCA) is not supported in XML \
                 (it is checked in certificates, CRLs, OCSP answers, timestamps and CMS)"
        ))
        }
        other => return Err(format!("digest method {other} is not supported")),
    })
}

/// The DigestMethod URI of a digest algorithm.
pub(crate) fn digest_uri(d: DigestAlgorithm) -> &'static str {
    match d {
        DigestAlgorithm::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
        DigestAlgorithm::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
        DigestAlgorithm::Sha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
        DigestAlgorithm::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        DigestAlgorithm::Streebog512 => STREEBOG_512,
        DigestAlgorithm::Streebog256 => STREEBOG_256,
        // Never chosen to sign; named for completeness.
        DigestAlgorithm::Gost34311 => GOST34311,
    }
}
