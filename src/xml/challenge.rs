//! The XML a browser signs to log in by EDS: a single-use nonce, when it was issued and until when it may be
//! answered, and for whom. Written here and read back from a signed answer here, so the format lives in one place.

use super::parse;
use super::XmlError;

/// The challenge's namespace.
pub const CHALLENGE_NS: &str = "urn:qoltanba:login:1";

/// What a signed challenge says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeFields {
    /// The nonce.
    pub nonce: String,
    /// Until when it may be answered, RFC 3339.
    pub expires_at: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The challenge document for `nonce` (the browser signs it with NCALayer's `signXml` and the AUTH key).
pub fn challenge_xml(nonce: &str, issued_at: &str, expires_at: &str, audience: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><login xmlns=\"{CHALLENGE_NS}\"><nonce>{}</nonce>\
<issuedAt>{}</issuedAt><expiresAt>{}</expiresAt><audience>{}</audience></login>",
        escape(nonce),
        escape(issued_at),
        escape(expires_at),
        escape(audience)
    )
}

/// Reads the nonce and expiry of a (signed) challenge: the document element must be a `login` of
/// [`CHALLENGE_NS`] with exactly one of each.
pub fn read_challenge(xml: &[u8]) -> Result<ChallengeFields, XmlError> {
    let doc = parse::parse(parse::text_of(xml)?)?;
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(CHALLENGE_NS) || root.tag_name().name() != "login" {
        return Err(XmlError::Parse(format!(
            "the document element is {}, not a login challenge ({{{CHALLENGE_NS}}}login)",
            root.qname()
        )));
    }
    let one = |local: &str| -> Result<String, XmlError> {
        let mut found = root.children().filter(|c| {
            c.is_element()
                && c.tag_name().namespace() == Some(CHALLENGE_NS)
                && c.tag_name().name() == local
        });
        match (found.next(), found.next()) {
            (Some(n), None) => Ok(n.text().unwrap_or("").trim().to_string()),
            _ => Err(XmlError::Parse(format!(
                "the challenge must have exactly one {local}"
            ))),
        }
    };
    Ok(ChallengeFields {
        nonce: one("nonce")?,
        expires_at: one("expiresAt")?,
    })
}
