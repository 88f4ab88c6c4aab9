//! Reading untrusted XML into a read-only tree ([`super::dom`]), with the limits a signature verifier needs.
//!
//! The parser refuses DTDs (so no entity of a document ever expands: billion laughs and external entities stop at
//! the `<!DOCTYPE`), resolves namespaces, normalises line ends and attribute values as XML 1.0 says, and keeps
//! each node's position in the text. The bounds on size, depth, nodes and attributes are checked as it reads.

pub(crate) use super::dom::{Document, Node};
use super::XmlError;

/// Largest XML document read (bytes).
pub const MAX_XML_SIZE: usize = 32 * 1024 * 1024;
/// Deepest element nesting accepted: real forms and SOAP envelopes stay under 30.
pub const MAX_XML_DEPTH: usize = 256;
/// Most attributes (namespace declarations included) on one element.
pub const MAX_XML_ATTRIBUTES: usize = 256;
/// Most nodes in one document: bounds the tree's memory (about 90 bytes a node).
pub const MAX_XML_NODES: u32 = 1_000_000;

/// The document's text: not empty, not too large, UTF-8 (a byte-order mark is dropped), and not declared in
/// another encoding.
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, XmlError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(XmlError::Empty);
    }
    if bytes.len() > MAX_XML_SIZE {
        return Err(XmlError::TooLarge);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // simdutf8: ten times std's speed on Cyrillic text, which is most of a Kazakh form.
    let text = simdutf8::compat::from_utf8(bytes).map_err(|e| XmlError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if let Some(encoding) = declared_encoding(text) {
        if !encoding.eq_ignore_ascii_case("utf-8") && !encoding.eq_ignore_ascii_case("utf8") {
            return Err(XmlError::Encoding(encoding.chars().take(40).collect()));
        }
    }
    Ok(text)
}

/// The `encoding` of the XML declaration, if there is one.
fn declared_encoding(text: &str) -> Option<&str> {
    let decl = text.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value = &rest[1..];
    Some(&value[..value.find(quote)?])
}

/// Parses `text`: no DTD, at most [`MAX_XML_NODES`] nodes, [`MAX_XML_DEPTH`] levels and
/// [`MAX_XML_ATTRIBUTES`] attributes an element.
pub(crate) fn parse(text: &str) -> Result<Document<'_>, XmlError> {
    Document::parse(text)
}

/// The value of the attribute `local` in no namespace: `<Reference evil:URI="#other" URI="">` answers `""`.
pub(crate) fn attr<'a>(node: Node<'a, '_>, local: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.namespace().is_none() && a.name() == local)
        .map(|a| a.value())
}

/// The prefix of a qualified name, `None` for an unprefixed one.
pub(crate) fn prefix_of(qname: &str) -> Option<&str> {
    qname.split_once(':').map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_encodings_are_refused_by_name() {
        assert!(matches!(text_of(b"  \n"), Err(XmlError::Empty)));
        assert!(matches!(
            text_of(b"<a>\xff</a>"),
            Err(XmlError::NotUtf8 { offset: 3 })
        ));
        assert!(matches!(
            text_of(b"<?xml version='1.0' encoding='windows-1251'?><a/>"),
            Err(XmlError::Encoding(_))
        ));
        assert!(text_of(b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>").is_ok());
        let deep = "<a>".repeat(MAX_XML_DEPTH + 1) + &"</a>".repeat(MAX_XML_DEPTH + 1);
        assert!(matches!(parse(&deep), Err(XmlError::TooDeep)));
        let fine = "<a>".repeat(MAX_XML_DEPTH) + &"</a>".repeat(MAX_XML_DEPTH);
        assert!(parse(&fine).is_ok());
        // Tags inside comments, CDATA and attribute values do not count.
        let hidden = format!(
            "<a x='{}'><!--{}--><![CDATA[{}]]></a>",
            "&lt;b>".repeat(300),
            "<b>".repeat(300),
            "<b>".repeat(300)
        );
        assert!(parse(&hidden).is_ok());
        let many: String = (0..=MAX_XML_ATTRIBUTES)
            .map(|i| format!(" a{i}='1'"))
            .collect();
        assert!(matches!(
            parse(&format!("<a{many}/>")),
            Err(XmlError::TooManyAttributes)
        ));
        assert!(matches!(
            parse("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"),
            Err(XmlError::Dtd)
        ));
    }

    #[test]
    fn an_attribute_named_xmlns_under_a_prefix_is_an_attribute() {
        // Namespaces 1.0 §3: only `xmlns` and `xmlns:p` declare; `p:xmlns` is an ordinary attribute. roxmltree
        // reads it as a default namespace declaration, so the differential fuzz target leaves it to this test.
        let doc = parse("<a xmlns:p='v' p:xmlns='u'/>").expect("xml");
        let root = doc.root_element();
        assert_eq!(root.default_namespace(), None);
        let attr = root.attributes().next().expect("attr");
        assert_eq!(
            (attr.namespace(), attr.name(), attr.value()),
            (Some("v"), "xmlns", "u")
        );
        assert!(parse("<a q:xmlns='u'/>").is_err());
    }

    #[test]
    fn character_references_may_carry_any_number_of_leading_zeros() {
        // XML 1.0 §4.1: `&#x` [0-9a-fA-F]+ `;` — found by the differential fuzz target, where a fixed look-ahead
        // refused a well-formed document.
        let zeros = "0".repeat(200);
        let text = format!("<a b='&#x{zeros}41;'>&#{zeros}66;&#x{zeros}FFFF0;</a>");
        let doc = parse(&text).expect("xml");
        let root = doc.root_element();
        assert_eq!(root.attributes().next().expect("b").value(), "A");
        assert_eq!(root.text(), Some("B\u{FFFF0}"));
        assert!(parse("<a>&#x41</a>").is_err());
        assert!(parse("<a b='&#x41'>;</a>").is_err());
        assert!(parse(&format!("<a>&#x{zeros}110000;</a>")).is_err());
    }

    #[test]
    fn names_keep_their_prefixes() {
        let doc = parse("<p:a xmlns:p='u' xmlns:q='u' q:x='1'><b/></p:a>").expect("xml");
        let root = doc.root_element();
        assert_eq!(root.qname(), "p:a");
        let attr = root.attributes().next().expect("attr");
        assert_eq!(attr.qname(), "q:x");
        assert_eq!(root.first_element_child().expect("b").qname(), "b");
    }
}
