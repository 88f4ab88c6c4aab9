//! Reading untrusted XML into a read-only tree (roxmltree), with the limits a signature verifier needs.
//!
//! roxmltree refuses DTDs (so no entity of ours ever expands: billion laughs and external entities stop at the
//! `<!DOCTYPE`), resolves namespaces, normalises line ends and attribute values as XML 1.0 says, and keeps each
//! node's position in the text — which canonicalisation needs for the prefixes it does not store. What it does
//! not bound we bound here: the input's size, the depth of elements and the attributes per element.

use roxmltree::{Document, Node, ParsingOptions};

use super::XmlError;

/// Largest XML document read (bytes).
pub const MAX_XML_SIZE: usize = 32 * 1024 * 1024;
/// Deepest element nesting accepted: real forms and SOAP envelopes stay under 30.
pub const MAX_XML_DEPTH: usize = 256;
/// Most attributes (namespace declarations included) on one element.
pub const MAX_XML_ATTRIBUTES: usize = 256;
/// Most nodes in one document: bounds the tree's memory (roxmltree spends under 100 bytes a node).
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
    let text = std::str::from_utf8(bytes).map_err(|e| XmlError::NotUtf8 {
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
    // roxmltree keeps a stack, not recursion, but an open tag per level still costs: refuse absurd nesting before
    // building anything.
    check_nesting(text)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlError::Dtd,
        roxmltree::Error::NodesLimitReached => XmlError::TooManyNodes,
        other => XmlError::Parse(other.to_string()),
    })?;
    for node in doc.descendants().filter(Node::is_element) {
        // The namespaces in scope bound those declared here: count the latter only when the bound is over.
        let attributes = node.attributes().len();
        if attributes + node.namespaces().len() > MAX_XML_ATTRIBUTES
            && attributes + own_declarations(node) > MAX_XML_ATTRIBUTES
        {
            return Err(XmlError::TooManyAttributes);
        }
    }
    Ok(doc)
}

/// Namespace declarations written on `node` itself (roxmltree lists the ones in scope).
fn own_declarations(node: Node<'_, '_>) -> usize {
    let parent = node.parent_element();
    node.namespaces()
        .filter(|ns| parent.is_none_or(|p| p.lookup_namespace_uri(ns.name()) != Some(ns.uri())))
        .count()
}

/// A cheap scan of the text that refuses nesting deeper than [`MAX_XML_DEPTH`] before the tree is built. It
/// counts start tags and end tags outside comments, CDATA, processing instructions and attribute values; what it
/// cannot read it leaves to the parser.
fn check_nesting(text: &str) -> Result<(), XmlError> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(off) = memchr(b'<', &b[i..]) {
        i += off + 1;
        match b.get(i) {
            Some(b'!') => {
                let close: &[u8] = if b[i..].starts_with(b"!--") {
                    b"-->"
                } else if b[i..].starts_with(b"![CDATA[") {
                    b"]]>"
                } else {
                    b">"
                };
                match find(&b[i..], close) {
                    Some(end) => i += end + close.len(),
                    None => return Ok(()),
                }
            }
            Some(b'?') => match find(&b[i..], b"?>") {
                Some(end) => i += end + 2,
                None => return Ok(()),
            },
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(_) => {
                // A start tag: skip to its end, past quoted attribute values.
                let mut quote = None;
                let mut empty = false;
                while let Some(&c) = b.get(i) {
                    i += 1;
                    match (quote, c) {
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, b'"' | b'\'') => quote = Some(c),
                        (None, b'>') => {
                            empty = i >= 2 && b[i - 2] == b'/';
                            break;
                        }
                        _ => {}
                    }
                }
                if !empty {
                    depth += 1;
                    if depth > MAX_XML_DEPTH {
                        return Err(XmlError::TooDeep);
                    }
                }
            }
            None => return Ok(()),
        }
    }
    Ok(())
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The qualified name an element or attribute was written with, from the text (roxmltree keeps only the
/// namespace URI, and canonical XML keeps the prefix).
pub(crate) fn element_qname<'i>(node: Node<'_, 'i>) -> &'i str {
    let text = node.document().input_text();
    let start = node.range().start + 1;
    let rest = &text[start.min(text.len())..];
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The value of the attribute `local` in no namespace. roxmltree's `attribute("x")` matches `x` in any
/// namespace, so `<Reference evil:URI="#other" URI="">` could answer either: every plain attribute is read here.
pub(crate) fn attr<'a>(node: Node<'a, '_>, local: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.namespace().is_none() && a.name() == local)
        .map(|a| a.value())
}

/// The prefix of a qualified name, `None` for an unprefixed one.
pub(crate) fn prefix_of(qname: &str) -> Option<&str> {
    qname.split_once(':').map(|(p, _)| p)
}

/// The qualified name of an attribute, from the text.
pub(crate) fn attribute_qname<'i>(
    doc: &Document<'i>,
    attr: &roxmltree::Attribute<'_, 'i>,
) -> &'i str {
    let range = attr.range_qname();
    doc.input_text().get(range).unwrap_or_else(|| attr.name())
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
    fn names_keep_their_prefixes() {
        let doc = parse("<p:a xmlns:p='u' xmlns:q='u' q:x='1'><b/></p:a>").expect("xml");
        let root = doc.root_element();
        assert_eq!(element_qname(root), "p:a");
        let attr = root.attributes().next().expect("attr");
        assert_eq!(attribute_qname(&doc, &attr), "q:x");
        assert_eq!(element_qname(root.first_element_child().expect("b")), "b");
    }
}
