//! Signing XML in the two profiles Kazakh systems read: NCALayer's enveloped signature (inclusive C14N for
//! SignedInfo, enveloped-signature + C14N-with-comments transforms, the certificate in KeyInfo), appended as the
//! last child of the document element — after any earlier signature, which makes it a serial co-signature — and
//! SmartBridge's WS-Security (Body with a `wsu:Id`, exclusive C14N, KeyIdentifier X509v3 in a
//! `wsse:Security` header with `mustUnderstand="1"`).
//!
//! The document's own bytes are kept: the signature is spliced into the text, and the values are computed from the
//! re-parsed result, so what is signed is exactly what a verifier will canonicalise.

use base64::Engine;
use thiserror::Error;

use super::algorithms::{
    self, SignatureMethod, BASE64_BINARY, C14N, C14N_COMMENTS, DSIG_NS, ENVELOPED, EXC_C14N,
    SOAP11_NS, SOAP12_NS, WSSE_NS, WSU_NS, X509V3_TOKEN,
};
use super::c14n::{C14n, Method};
use super::keyinfo::{children, is};
use super::parse::{self, prefix_of};
use super::XmlError;
use crate::cms::CmsSigner;
use crate::crypto::CryptoError;

/// Why a document could not be signed.
#[derive(Debug, Error)]
pub enum XmlSignError {
    /// The input is not XML that can be signed.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The key's algorithm has no XML signature URI here.
    #[error("the key's signature algorithm {0} has no XML signature method here (RSA, ECDSA P-256/P-384, GOST 2015)")]
    UnsupportedKey(String),
    /// The key failed to sign.
    #[error("signing failed: {0}")]
    Key(#[source] CryptoError),
    /// The envelope already carries a `wsse:Security` header.
    #[error("the envelope already has a wsse:Security header: co-signing SOAP messages is not supported")]
    AlreadySigned,
}

const SIGNATURE_PLACEHOLDER: &str = "QOLTANBA-SIGNATURE-VALUE-PLACEHOLDER";
const DIGEST_PLACEHOLDER: &str = "QOLTANBA-DIGEST-VALUE-PLACEHOLDER";

/// Base64 in lines of 76 characters, as Santuario writes it.
fn wrapped_base64(bytes: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    lines.join("\n")
}

fn signature_method(signer: &CmsSigner) -> Result<&'static str, XmlSignError> {
    let oid = signer.key().signature_algorithm().oid;
    SignatureMethod::uri_of(&oid).ok_or_else(|| XmlSignError::UnsupportedKey(oid.to_string()))
}

/// Signs `message` (canonical SignedInfo) and returns the SignatureValue's bytes in XMLDSig's encoding.
fn sign_value(signer: &CmsSigner, message: &[u8]) -> Result<Vec<u8>, XmlSignError> {
    let key = signer.key();
    let value = key.sign(message).map_err(XmlSignError::Key)?;
    match SignatureMethod::of(signature_method(signer)?) {
        Ok(SignatureMethod::Ecdsa(_)) => {
            // The uncompressed point is 04 ‖ X ‖ Y: the order's size is half of the rest.
            let size = key.public_key().key.len().saturating_sub(1) / 2;
            super::verify::ecdsa_raw(&value, size)
                .ok_or(XmlSignError::Key(CryptoError::SigningFailed))
        }
        _ => Ok(value),
    }
}

/// Inserts `fragment` as the last child of the element whose text spans `range` (qualified name `qname`).
fn append_child(
    text: &str,
    range: std::ops::Range<usize>,
    qname: &str,
    fragment: &str,
) -> (String, usize) {
    let element = &text[range.clone()];
    if element.ends_with("/>") {
        let at = range.end - 2;
        let out = format!("{}>{fragment}</{qname}>{}", &text[..at], &text[range.end..]);
        (out, at + 1)
    } else {
        let at = range.start + element.rfind("</").unwrap_or(element.len());
        let out = format!("{}{fragment}{}", &text[..at], &text[at..]);
        (out, at)
    }
}

/// Replaces the first `placeholder` at or after `from` with `value`.
fn fill(
    text: &mut String,
    from: usize,
    placeholder: &str,
    value: &str,
) -> Result<(), XmlSignError> {
    let at = text[from..]
        .find(placeholder)
        .map(|i| i + from)
        .ok_or_else(|| {
            XmlSignError::Xml(XmlError::Parse(
                "the signature's placeholder was lost".into(),
            ))
        })?;
    text.replace_range(at..at + placeholder.len(), value);
    Ok(())
}

/// The new signature's SignedInfo, found by position (the first Signature starting at or after `from`).
fn signed_info_bytes(text: &str, from: usize, c14n: &C14n) -> Result<Vec<u8>, XmlSignError> {
    let doc = parse::parse(text)?;
    let signature = doc
        .descendants()
        .find(|n| is(n, DSIG_NS, "Signature") && n.range().start >= from)
        .ok_or(XmlSignError::Xml(XmlError::NoSignature))?;
    let signed_info = children(signature, DSIG_NS, "SignedInfo")
        .next()
        .ok_or(XmlSignError::Xml(XmlError::NoSignature))?;
    Ok(c14n.bytes(signed_info, &[]))
}

/// Signs `xml` with an enveloped signature in NCALayer's profile, appended as the last child of the document
/// element (a co-signature, when the document is already signed).
pub fn sign_xml(xml: &[u8], signer: &CmsSigner) -> Result<Vec<u8>, XmlSignError> {
    let text = parse::text_of(xml)?;
    let method = signature_method(signer)?;
    let digest = signer.key().digest_algorithm();
    let (range, qname, digest_value) = {
        let doc = parse::parse(text)?;
        let root = doc.root_element();
        let canonical = C14n::INCLUSIVE.bytes(doc.root(), &[]);
        (
            root.range(),
            root.qname().to_string(),
            wrapped_base64(&digest.digest(&canonical)),
        )
    };
    let fragment = format!(
        "<ds:Signature xmlns:ds=\"{DSIG_NS}\">\n<ds:SignedInfo>\n\
<ds:CanonicalizationMethod Algorithm=\"{C14N}\"/>\n\
<ds:SignatureMethod Algorithm=\"{method}\"/>\n\
<ds:Reference URI=\"\">\n<ds:Transforms>\n\
<ds:Transform Algorithm=\"{ENVELOPED}\"/>\n\
<ds:Transform Algorithm=\"{C14N_COMMENTS}\"/>\n\
</ds:Transforms>\n\
<ds:DigestMethod Algorithm=\"{}\"/>\n\
<ds:DigestValue>{digest_value}</ds:DigestValue>\n\
</ds:Reference>\n</ds:SignedInfo>\n\
<ds:SignatureValue>\n{SIGNATURE_PLACEHOLDER}\n</ds:SignatureValue>\n\
<ds:KeyInfo>\n<ds:X509Data>\n<ds:X509Certificate>\n{}\n</ds:X509Certificate>\n</ds:X509Data>\n</ds:KeyInfo>\n\
</ds:Signature>",
        algorithms::digest_uri(digest),
        wrapped_base64(signer.certificate().der()),
    );
    let (mut out, at) = append_child(text, range, &qname, &fragment);
    let signed = signed_info_bytes(&out, at, &C14n::INCLUSIVE)?;
    let value = wrapped_base64(&sign_value(signer, &signed)?);
    fill(&mut out, at, SIGNATURE_PLACEHOLDER, &value)?;
    Ok(out.into_bytes())
}

/// A random `id-` identifier for the Body, as NCANode's `/wsse/sign` writes it.
fn body_id() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    // The id only has to be unique in the message; a failing random source still gives a valid one.
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    let h = crate::encoding::hex(&b);
    format!(
        "id-{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Signs a SOAP envelope with WS-Security in SmartBridge's profile: the Body gets a `wsu:Id` (unless it has one),
/// a `wsse:Security` header (created when the envelope has no Header) holds a signature over the Body with
/// exclusive C14N and the signer's certificate as a KeyIdentifier.
pub fn sign_wsse(xml: &[u8], signer: &CmsSigner) -> Result<Vec<u8>, XmlSignError> {
    let text = parse::text_of(xml)?;
    let method = (signature_method(signer)?, signer.key().digest_algorithm());
    let exclusive = C14n {
        method: Method::Exclusive {
            prefixes: Vec::new(),
        },
        with_comments: false,
    };

    // 1. Read the envelope: its prefix, the Body (and its id), the Header.
    let (mut out, security_at, id) = {
        let doc = parse::parse(text)?;
        let envelope = doc.root_element();
        let ns = envelope.tag_name().namespace().unwrap_or("");
        if envelope.tag_name().name() != "Envelope" || (ns != SOAP11_NS && ns != SOAP12_NS) {
            return Err(XmlError::NotSoap(format!(
                "the document element is {}, not a SOAP Envelope",
                envelope.qname()
            ))
            .into());
        }
        let in_ns = |local: &'static str| {
            envelope.children().filter(move |c| {
                c.is_element()
                    && c.tag_name().namespace() == Some(ns)
                    && c.tag_name().name() == local
            })
        };
        let body = in_ns("Body")
            .next()
            .ok_or_else(|| XmlError::NotSoap("the Envelope has no Body".into()))?;
        let header = in_ns("Header").next();
        if header.is_some_and(|h| h.range().start > body.range().start) {
            return Err(XmlError::NotSoap("the Header comes after the Body".into()).into());
        }
        if header.is_some_and(|h| children(h, WSSE_NS, "Security").next().is_some()) {
            return Err(XmlSignError::AlreadySigned);
        }
        let env_prefix = prefix_of(envelope.qname());
        let (must_understand, declare_env) = match env_prefix {
            Some(p) => (format!("{p}:mustUnderstand"), String::new()),
            None => (
                "soapenv:mustUnderstand".to_string(),
                format!(" xmlns:soapenv=\"{ns}\""),
            ),
        };
        let existing_id = body.attribute_ns(WSU_NS, "Id");
        let id = existing_id.map(str::to_string).unwrap_or_else(body_id);
        let fragment = format!(
            "<wsse:Security xmlns:wsse=\"{WSSE_NS}\" xmlns:wsu=\"{WSU_NS}\"{declare_env} {must_understand}=\"1\">\
<ds:Signature xmlns:ds=\"{DSIG_NS}\">\n<ds:SignedInfo>\n\
<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>\n\
<ds:SignatureMethod Algorithm=\"{}\"/>\n\
<ds:Reference URI=\"#{id}\">\n<ds:Transforms>\n\
<ds:Transform Algorithm=\"{EXC_C14N}\"/>\n\
</ds:Transforms>\n\
<ds:DigestMethod Algorithm=\"{}\"/>\n\
<ds:DigestValue>{DIGEST_PLACEHOLDER}</ds:DigestValue>\n\
</ds:Reference>\n</ds:SignedInfo>\n\
<ds:SignatureValue>\n{SIGNATURE_PLACEHOLDER}\n</ds:SignatureValue>\n\
<ds:KeyInfo>\n<wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType=\"{BASE64_BINARY}\" ValueType=\"{X509V3_TOKEN}\">{}</wsse:KeyIdentifier></wsse:SecurityTokenReference>\n</ds:KeyInfo>\n\
</ds:Signature></wsse:Security>",
            method.0,
            algorithms::digest_uri(method.1),
            base64::engine::general_purpose::STANDARD.encode(signer.certificate().der()),
        );
        // Edits from the end of the text backwards, so earlier offsets stay true.
        let body_qname = body.qname();
        let mut out = text.to_string();
        if existing_id.is_none() {
            let at = body.range().start + 1 + body_qname.len();
            out.insert_str(at, &format!(" xmlns:wsu=\"{WSU_NS}\" wsu:Id=\"{id}\""));
        }
        let security_at = match header {
            Some(h) => {
                let (with, at) = append_child(&out, h.range(), h.qname(), &fragment);
                out = with;
                at
            }
            None => {
                let header_name = match env_prefix {
                    Some(p) => format!("{p}:Header"),
                    None => "Header".to_string(),
                };
                let at = body.range().start;
                out.insert_str(at, &format!("<{header_name}>{fragment}</{header_name}>"));
                at
            }
        };
        (out, security_at, id)
    };

    // 2. The Body's digest, as the verifier will compute it.
    let digest_value = {
        let doc = parse::parse(&out)?;
        let body = doc
            .descendants()
            .find(|n| n.is_element() && n.attribute_ns(WSU_NS, "Id") == Some(id.as_str()))
            .ok_or_else(|| XmlError::NotSoap("the Body's id was lost".into()))?;
        base64::engine::general_purpose::STANDARD
            .encode(method.1.digest(&exclusive.bytes(body, &[])))
    };
    fill(&mut out, security_at, DIGEST_PLACEHOLDER, &digest_value)?;

    // 3. SignedInfo's signature.
    let signed = signed_info_bytes(&out, security_at, &exclusive)?;
    let value = wrapped_base64(&sign_value(signer, &signed)?);
    fill(&mut out, security_at, SIGNATURE_PLACEHOLDER, &value)?;
    Ok(out.into_bytes())
}
