//! XML signatures (XMLDSig 1.0/1.1) as NCALayer, Kalkan and SmartBridge make them: verify every signature of a
//! document strictly — what it covers included — and sign in their profiles.
//!
//! The parser is ours ([`dom`], for speed: no DTD, bounded size, depth, nodes and attributes, held to roxmltree's
//! and lxml's answers by differential tests); canonicalisation is ours too ([`c14n`], to the W3C texts, proven
//! against lxml's); digests and signatures go through the same algorithm
//! registry, and certificates through the same path validation, as CMS.

pub(crate) mod algorithms;
mod application;
pub(crate) mod c14n;
mod challenge;
pub(crate) mod dom;
mod keyinfo;
pub(crate) mod parse;
mod sign;
mod verify;

use serde::Serialize;
use thiserror::Error;

use crate::pki::Report;

pub use application::{application_json, is_xml, step_json, APPLICATION_NS, STEP_NS};
pub use challenge::{challenge_xml, read_challenge, ChallengeFields, CHALLENGE_NS};
pub use dom::MAX_XML_NAMESPACES;
pub use parse::{MAX_XML_ATTRIBUTES, MAX_XML_DEPTH, MAX_XML_NODES, MAX_XML_SIZE};
pub use sign::{sign_wsse, sign_xml, XmlSignError};
pub use verify::verify_xml;

/// Most `Signature` elements verified in one document.
pub const MAX_XML_SIGNATURES: usize = 32;
/// Most `Reference`s in one `SignedInfo`.
pub(crate) const MAX_REFERENCES: usize = 16;
/// Most `Transform`s in one `Reference`.
pub(crate) const MAX_TRANSFORMS: usize = 4;
/// Largest base64 text of a certificate or signature value (characters): a certificate is a few kilobytes.
pub(crate) const MAX_BASE64: usize = 64 * 1024;
/// Bytes canonicalised for digests in one verification, beyond four times the document: every reference of every
/// signature may ask for the whole document (and co-signatures for it twice), so the work is bounded by the input,
/// not by what the signatures ask.
pub(crate) const C14N_BUDGET_BASE: usize = 64 * 1024 * 1024;
/// How far a WS-Security Timestamp's Created may lie ahead of the validation time (clock skew), seconds.
pub(crate) const TIMESTAMP_SKEW_SECS: i64 = 300;

/// Which document shape the signatures must cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum XmlProfile {
    /// An application's XML (NCALayer `signXml`): every signature covers the document element.
    Enveloped,
    /// A SOAP envelope with WS-Security (SmartBridge): every signature stands in the `wsse:Security` header and
    /// covers the `Body` (and the `wsu:Timestamp`, when there is one).
    Wsse,
}

/// Input that cannot be verified at all (`MALFORMED`, exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum XmlError {
    /// The document is empty.
    #[error("XML is empty")]
    Empty,
    /// The document is larger than [`MAX_XML_SIZE`].
    #[error("XML is larger than {MAX_XML_SIZE} bytes")]
    TooLarge,
    /// The bytes are not UTF-8.
    #[error("XML is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// The XML declaration names another encoding.
    #[error("XML declares encoding \"{0}\": only UTF-8 documents are read")]
    Encoding(String),
    /// A document type declaration: refused, so that no entity is ever expanded.
    #[error(
        "XML with a DOCTYPE (DTD) is refused: entities and external subsets are never processed"
    )]
    Dtd,
    /// Elements nest deeper than [`MAX_XML_DEPTH`].
    #[error("XML nests elements deeper than {MAX_XML_DEPTH} levels")]
    TooDeep,
    /// More nodes than [`MAX_XML_NODES`].
    #[error("XML has more than {MAX_XML_NODES} nodes")]
    TooManyNodes,
    /// An element has more than [`MAX_XML_ATTRIBUTES`] attributes.
    #[error("an XML element has more than {MAX_XML_ATTRIBUTES} attributes")]
    TooManyAttributes,
    /// Not well-formed XML (the parser's message, with the line and column).
    #[error("not well-formed XML: {0}")]
    Parse(String),
    /// No `Signature` element in the XMLDSig namespace.
    #[error("no XML signature (Signature in the namespace http://www.w3.org/2000/09/xmldsig#) in the document")]
    NoSignature,
    /// More signatures than [`MAX_XML_SIGNATURES`].
    #[error("more than {MAX_XML_SIGNATURES} XML signatures in one document")]
    TooManySignatures,
    /// A signature's structure is broken (a missing SignedInfo, bad base64, no certificate...).
    #[error("signature {index}: {reason}")]
    Signature {
        /// Which signature (1-based, document order).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A canonicalisation URI that is not one of the C14N 1.0 family.
    #[error("unknown canonicalisation algorithm {0}")]
    UnknownCanonicalization(String),
    /// No element carries the id asked for (or several do).
    #[error("no single element carries id \"{0}\"")]
    NoSuchId(String),
    /// The signatures ask for more canonicalisation than the budget allows (many references over a large document).
    #[error("the signatures ask to canonicalise more than {0} bytes: too many references over too large a document")]
    TooMuchWork(usize),
    /// The verification was stopped (its deadline passed).
    #[error("the verification was stopped before its end (deadline)")]
    Cancelled,
    /// The document is not the SOAP envelope the WS-Security profile needs.
    #[error("not a SOAP envelope with WS-Security: {0}")]
    NotSoap(String),
}

/// The certificates an XML document carries in `ds:X509Certificate` and `wsse:BinarySecurityToken` elements,
/// those that parse (nothing is verified): to show each signer's whole certificate beside a report that
/// summarises it.
pub(crate) fn embedded_certificates(xml: &[u8]) -> Vec<crate::pki::Certificate> {
    let Ok(text) = parse::text_of(xml) else {
        return Vec::new();
    };
    let Ok(doc) = parse::parse(text) else {
        return Vec::new();
    };
    doc.descendants()
        .filter(|n| {
            n.is_element()
                && matches!(
                    (n.tag_name().namespace(), n.tag_name().name()),
                    (Some(algorithms::DSIG_NS), "X509Certificate")
                        | (Some(algorithms::WSSE_NS), "BinarySecurityToken")
                )
        })
        .filter_map(|n| {
            let clean: String = n.text()?.chars().filter(|c| !c.is_whitespace()).collect();
            let der =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, clean).ok()?;
            crate::pki::Certificate::from_der(&der).ok()
        })
        .take(64)
        .collect()
}

/// The canonical form of `xml` — the whole document, or the element whose `id` attribute is `id` — by the
/// canonicalisation `algorithm` (one of the four C14N 1.0 URIs), with an InclusiveNamespaces PrefixList for the
/// exclusive ones. What a verifier digests, for tools and for the differential tests against lxml.
pub fn canonicalize(
    xml: &[u8],
    algorithm: &str,
    inclusive_prefixes: &[String],
    id: Option<&str>,
) -> Result<Vec<u8>, XmlError> {
    let c14n = algorithms::canonicalization(algorithm, inclusive_prefixes.to_vec())
        .ok_or_else(|| XmlError::UnknownCanonicalization(algorithm.chars().take(200).collect()))?;
    let doc = parse::parse(parse::text_of(xml)?)?;
    let apex = match id {
        None => doc.root(),
        Some(id) => {
            let mut found = doc
                .descendants()
                .filter(|n| n.is_element() && parse::attr(*n, "id") == Some(id));
            match (found.next(), found.next()) {
                (Some(node), None) => node,
                _ => return Err(XmlError::NoSuchId(id.chars().take(200).collect())),
            }
        }
    };
    Ok(c14n.bytes(apex, &[]))
}

/// What one reference covers: the node its URI selects, less the signatures left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// `document` (URI "") or `element` (a same-document id).
    pub node: CoveredNode,
    /// The element's path (`/Envelope/Body`, `/a/ds:Signature[2]/ds:Object`), `/` for the document.
    pub path: String,
    /// The id the URI named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Other signatures (1-based) left out of the digest besides the signature itself: the later ones of serial
    /// co-signing, or every other one of signatures made side by side.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub without_signatures: Vec<usize>,
}

/// The kind of node a reference covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CoveredNode {
    /// The whole document.
    Document,
    /// One element and its descendants.
    Element,
}

/// One `Reference` of a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceReport {
    /// The URI as written (`""`, `#id`).
    pub uri: String,
    /// The transforms' URIs, in order.
    pub transforms: Vec<String>,
    /// The DigestMethod URI.
    pub digest_method: String,
    /// Whether the digest matched.
    pub digest_valid: bool,
    /// What the reference covers, when it could be resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covers: Option<Coverage>,
}

/// How the signer's certificate was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KeyInfoKind {
    /// `KeyInfo/X509Data/X509Certificate`.
    X509Certificate,
    /// `SecurityTokenReference/KeyIdentifier` of ValueType X509v3.
    KeyIdentifier,
    /// `SecurityTokenReference/Reference` to a `BinarySecurityToken`.
    BinarySecurityToken,
    /// `X509IssuerSerial`, found among the document's, the signature's or the trust store's certificates.
    IssuerSerial,
}

/// One XML signature's verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct XmlSignatureReport {
    /// The signer certificate's path validation, with the signature's own findings.
    #[serde(flatten)]
    pub report: Report,
    /// Where the Signature element stands (`/a/ds:Signature[2]`).
    pub path: String,
    /// The SignatureMethod URI.
    pub signature_method: String,
    /// The CanonicalizationMethod URI of SignedInfo.
    pub canonicalization_method: String,
    /// How the signer's certificate was given.
    pub key_info: KeyInfoKind,
    /// Each Reference, in order.
    pub references: Vec<ReferenceReport>,
}

/// A WS-Security `wsu:Timestamp`, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WsuTimestamp {
    /// `Created`, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// `Expires`, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// The verification of an XML document: valid when every signature is, each covering what the profile reads.
/// `subject` and `chain` are the first signature's; `codes` and `messages` gather every signature's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct XmlReport {
    /// The overall verdict.
    #[serde(flatten)]
    pub report: Report,
    /// The profile checked.
    pub profile: XmlProfile,
    /// What the application reads: the document element's path, or the SOAP Body's.
    pub signed_element: String,
    /// One report per Signature element, in document order.
    pub signatures: Vec<XmlSignatureReport>,
    /// The WS-Security Timestamp, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<WsuTimestamp>,
}
