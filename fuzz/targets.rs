#![allow(dead_code)]
//! What each fuzz target does with its input, shared by the fuzz targets (`fuzz/fuzz_targets/`) and by the
//! regression test that replays the kept corpora (`tests/fuzz_corpus.rs`). Every function must answer any input —
//! a value or an error — without panicking, in bounded time and memory.

use std::sync::LazyLock;

use qoltanba::{TrustStore, VerifyOptions};

/// 2026-12-01T00:00:00Z: inside the demo PKI's validity.
const AT: i64 = 1_796_083_200;

static STORE: LazyLock<TrustStore> =
    LazyLock::new(|| qoltanba::demo_trust_store().expect("the demo trust store"));
static ISSUERS: LazyLock<qoltanba::Issuers> =
    LazyLock::new(|| qoltanba::demo_issuers().expect("the demo issuers"));

fn trust() -> qoltanba::SealTrust<'static> {
    qoltanba::SealTrust {
        store: &STORE,
        issuers: &ISSUERS,
    }
}

/// A DER certificate: parsed, then verified against the demo PKI.
pub fn certificate(data: &[u8]) {
    if let Ok(cert) = qoltanba::Certificate::from_der(data) {
        let _ = STORE.verify_certificate(&cert, &[], &VerifyOptions::at(AT));
    }
}

/// A DER CRL: parsed, then checked in a store under the demo root.
pub fn crl(data: &[u8]) {
    if qoltanba::Crl::from_der(data).is_ok() {
        let anchors: Vec<_> = STORE.anchors().cloned().collect();
        let mut builder = TrustStore::builder();
        for a in anchors {
            builder.add_anchor(a);
        }
        if builder.add_crl_der(data.to_vec()).is_ok() {
            let _ = builder.build();
        }
    }
}

/// A CMS SignedData: its content read, then verified attached and as detached.
pub fn cms(data: &[u8]) {
    let _ = qoltanba::attached_content(data);
    let opts = VerifyOptions::at(AT);
    let _ = qoltanba::verify_cms(&STORE, data, None, &[], &opts);
    let _ = qoltanba::verify_cms(&STORE, data, Some(b"content"), &[], &opts);
}

/// An XML document: every signature verified as an application's XML and as a SOAP envelope, and the document
/// canonicalised inclusively (with comments) and exclusively.
pub fn xml(data: &[u8]) {
    let opts = VerifyOptions::at(AT);
    let _ = qoltanba::verify_xml(&STORE, data, qoltanba::XmlProfile::Enveloped, &opts);
    let _ = qoltanba::verify_xml(&STORE, data, qoltanba::XmlProfile::Wsse, &opts);
    let _ = qoltanba::canonicalize_xml(
        data,
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
        &[],
        None,
    );
    let _ = qoltanba::canonicalize_xml(
        data,
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        &["#default".to_string(), "ds".to_string()],
        Some("t"),
    );
}

/// A key file (PKCS#8, PKCS#12 as the NCA writes them), with the NCA test password and without one.
pub fn keyfile(data: &[u8]) {
    let _ = qoltanba::read_signing_identity(data, Some("Qwerty12"));
    let _ = qoltanba::read_signing_identity(data, None);
}

/// Barcode texts, one a line: decoded and verified.
pub fn seal(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\n').collect();
    let _ = qoltanba::verify_seal(trust(), &parts, &VerifyOptions::at(AT));
}

/// A PDF: taken apart and verified as a document.
pub fn pdf(data: &[u8]) {
    let _ = qoltanba::verify_document(trust(), data, &VerifyOptions::at(AT));
}

/// A form (chosen by the first byte) and its data (the rest, as JSON): validated and, when it fits, rendered.
pub fn form_data(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let Ok(catalogue) = qoltanba::catalogue() else {
        return;
    };
    let ids: Vec<&String> = catalogue.keys().collect();
    let form = ids[usize::from(*first) % ids.len()];
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(rest) {
        let _ = qoltanba::issue(form, &value, "FUZZ-1", AT, None);
    }
}

/// A configuration file's text (no file it names is read: the paths lead nowhere).
pub fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ =
            qoltanba::ServiceConfig::from_toml(text, std::path::Path::new("/nonexistent"), |_| {
                None
            });
    }
}

// STRICTER, shared with `xml::dom`'s differential unit test.
include!("../src/xml/stricter_than_roxmltree.rs");

/// An XML document read two ways: by Qoltanba (its own parser and inclusive canonicalisation, with comments) and
/// by roxmltree, a maintained parser written independently, whose tree a plain canonicaliser below writes out.
/// The verdicts must agree, and for a well-formed document the canonical bytes must be identical: any difference
/// panics, which is the fuzzer's signal. Our parser is hand-written for speed (`src/xml/dom.rs`), so this holds
/// it, and the C14N built on it, to an independent reading of every input the fuzzer invents.
///
/// Differences that are not defects: our bounds (depth, nodes, attributes, namespaces in scope); encodings other
/// than UTF-8, which we refuse and roxmltree ignores; and where roxmltree is laxer than XML 1.0 — the cases
/// [`STRICTER`] lists (a `VersionNum` or `EncName` out of its production, an attribute named `:y`, `<?xml>`
/// anywhere, no whitespace after a PI target, a PI target with a colon), a character reference to a surrogate or
/// past U+10FFFF (roxmltree reads U+FFFD), a prefix undeclared (`xmlns:p=""`, Namespaces 1.1 only) and the
/// default namespace declared twice on one element; and where it is stricter: an element named `xml:a`. roxmltree also leaves a CR before a reference unnormalised,
/// so it reads the input with its line ends normalised first (XML 1.0 §2.11 says a processor behaves as if it
/// had), while ours reads the input as it is; it takes an XML declaration whose first whitespace is a tab or line
/// feed for a processing instruction, so it is given a space there; and it takes an attribute `p:xmlns` for a
/// default namespace declaration, so such documents are not compared (`xml::parse`'s unit tests hold ours to
/// Namespaces 1.0 there).
pub fn xml_differential(data: &[u8]) {
    const WITH_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
    let ours = qoltanba::canonicalize_xml(data, WITH_COMMENTS, &[], None);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Both drop one byte-order mark; a second is text outside the document element.
    let mut normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    // roxmltree takes `<?xml` and a tab or line feed for a processing instruction with the reserved target `xml`;
    // XML 1.0 §2.8 reads the XML declaration there, as ours does: roxmltree is given a space instead.
    if normalised.starts_with("<?xml\t") || normalised.starts_with("<?xml\n") {
        normalised.replace_range(5..6, " ");
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    // roxmltree takes any attribute whose local name is `xmlns` (`p:xmlns="u"`, an ordinary attribute by
    // Namespaces 1.0 §3) for a default namespace declaration: its reading of such a document is not compared.
    if prefixed_xmlns_attribute(text) {
        return;
    }
    let theirs = roxmltree::Document::parse_with_options(&normalised, options);
    use qoltanba::XmlError as E;
    match (&ours, &theirs) {
        (Ok(bytes), Ok(doc)) => {
            let expected = roxmltree_c14n(doc);
            if *bytes != expected {
                panic!(
                    "canonical forms differ on {text:?}:\nours   {:?}\nroxmltree {:?}",
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&expected)
                );
            }
        }
        (Err(_), Err(_)) => {}
        (
            Err(
                E::Empty
                | E::NotUtf8 { .. }
                | E::Encoding(_)
                | E::TooLarge
                | E::TooDeep
                | E::TooManyNodes
                | E::TooManyAttributes,
            ),
            Ok(_),
        ) => {}
        // Our bound on the namespaces in scope of one element, then where roxmltree is laxer.
        (Err(E::Parse(why)), Ok(_)) if why.contains("namespaces in scope") => {}
        (Err(E::Parse(why)), Ok(_)) if STRICTER.iter().any(|s| why.contains(s)) => {}
        (Err(E::Parse(why)), Ok(_))
            if why.contains("a character reference to a character XML does not allow")
                && references_a_non_character(text) => {}
        (Err(E::Parse(why)), Ok(_))
            if why.contains("a namespace declaration of prefix") && undeclares_a_prefix(text) => {}
        (Err(E::Parse(why)), Ok(_))
            if why.contains("an attribute written twice") && declares_a_default_twice(text) => {}
        (Err(e), Ok(_)) => panic!("only roxmltree reads {text:?}; ours: {e}"),
        // Namespaces 1.0 §3 binds `xml` everywhere, element names included; roxmltree refuses `<xml:a/>`.
        (Ok(_), Err(roxmltree::Error::UnknownNamespace(prefix, _))) if prefix == "xml" => {}
        (Ok(_), Err(e)) => panic!("only ours reads {text:?}; roxmltree: {e}"),
    }
}

/// Whether `text` holds a character reference to a surrogate (`&#xD800;`) or past U+10FFFF (`&#x110000;`):
/// roxmltree reads one as U+FFFD, XML 1.0 §4.1 (Legal Character) makes the document not well-formed.
fn references_a_non_character(text: &str) -> bool {
    text.match_indices("&#").any(|(at, _)| {
        let rest = &text[at + 2..];
        let (digits, radix) = match rest.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (rest, 10),
        };
        let digits = digits[..digits.find(';').unwrap_or(digits.len())].trim_start_matches('0');
        digits.chars().all(|c| c.is_digit(radix))
            && (digits.len() > 8
                || u32::from_str_radix(digits, radix)
                    .is_ok_and(|c| c > 0x10FFFF || (0xD800..=0xDFFF).contains(&c)))
    })
}

/// Whether `text` undeclares a prefix (`xmlns:p=""`): Namespaces 1.1 allows it, Namespaces 1.0 §3 (No Prefix
/// Undeclaring) does not; roxmltree reads it.
fn undeclares_a_prefix(text: &str) -> bool {
    text.match_indices("xmlns:").any(|(at, _)| {
        let rest = &text[at + "xmlns:".len()..];
        let rest = rest.trim_start_matches(|c: char| {
            !c.is_whitespace() && !matches!(c, '=' | '"' | '\'' | '>' | '/')
        });
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            return false;
        };
        let value = value.trim_start();
        value.starts_with("\"\"") || value.starts_with("''")
    })
}

/// Whether a start tag of `text` may declare the default namespace twice (`<a xmlns="" xmlns="">`): roxmltree
/// reads it, XML 1.0 §3.1 (Unique Att Spec) makes the document not well-formed.
fn declares_a_default_twice(text: &str) -> bool {
    // Up to the next `<`, not the first `>`: a value may hold `>`, never `<`.
    text.split('<').any(|tag| {
        let declarations = tag.match_indices("xmlns").filter(|(at, _)| {
            let before = tag[..*at].chars().next_back();
            let after = tag[at + "xmlns".len()..].trim_start();
            before.is_some_and(char::is_whitespace) && after.starts_with('=')
        });
        declarations.count() > 1
    })
}

/// Whether `text` may hold an attribute `p:xmlns` (a prefixed name whose local part is `xmlns`).
fn prefixed_xmlns_attribute(text: &str) -> bool {
    text.match_indices(":xmlns").any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + ":xmlns".len()..].trim_start();
        before.is_some_and(|c| !c.is_whitespace() && c != '<') && after.starts_with('=')
    })
}

/// Canonical XML 1.0 with comments of a whole roxmltree document, written straight from the specification (§2.3,
/// §4.6), for [`xml_differential`].
fn roxmltree_c14n(doc: &roxmltree::Document<'_>) -> Vec<u8> {
    let mut out = String::new();
    let mut after_element = false;
    for child in doc.root().children() {
        match child.node_type() {
            roxmltree::NodeType::Element => {
                c14n_element(child, &mut out);
                after_element = true;
            }
            roxmltree::NodeType::Comment | roxmltree::NodeType::PI => {
                if after_element {
                    out.push('\n');
                }
                c14n_leaf(child, &mut out);
                if !after_element {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    out.into_bytes()
}

/// The namespaces in scope of an element as C14N sees them: `xml` left out, `xmlns=""` meaning none.
fn c14n_scope<'a>(node: Option<roxmltree::Node<'a, '_>>) -> Vec<(&'a str, &'a str)> {
    let mut scope: Vec<(&str, &str)> = node
        .into_iter()
        .flat_map(|n| n.namespaces())
        .filter(|ns| ns.name() != Some("xml") && !ns.uri().is_empty())
        .map(|ns| (ns.name().unwrap_or(""), ns.uri()))
        .collect();
    scope.sort_unstable();
    scope.dedup();
    scope
}

fn c14n_element(node: roxmltree::Node<'_, '_>, out: &mut String) {
    let input = node.document().input_text();
    let tag = &input[node.range().start + 1..];
    let qname = &tag[..tag
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(tag.len())];
    out.push('<');
    out.push_str(qname);
    let mine = c14n_scope(Some(node));
    let parents = c14n_scope(node.parent_element());
    if !mine.iter().any(|(p, _)| p.is_empty()) && parents.iter().any(|(p, _)| p.is_empty()) {
        out.push_str(" xmlns=\"\"");
    }
    for (prefix, uri) in &mine {
        if parents.contains(&(*prefix, *uri)) {
            continue;
        }
        if prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(prefix);
            out.push_str("=\"");
        }
        c14n_escape(uri, true, out);
        out.push('"');
    }
    let mut attributes: Vec<_> = node.attributes().collect();
    attributes.sort_by(|a, b| {
        (a.namespace().unwrap_or(""), a.name()).cmp(&(b.namespace().unwrap_or(""), b.name()))
    });
    for attribute in attributes {
        out.push(' ');
        out.push_str(&input[attribute.range_qname()]);
        out.push_str("=\"");
        c14n_escape(attribute.value(), true, out);
        out.push('"');
    }
    out.push('>');
    for child in node.children() {
        match child.node_type() {
            roxmltree::NodeType::Element => c14n_element(child, out),
            roxmltree::NodeType::Text => c14n_escape(child.text().unwrap_or(""), false, out),
            _ => c14n_leaf(child, out),
        }
    }
    out.push_str("</");
    out.push_str(qname);
    out.push('>');
}

fn c14n_leaf(node: roxmltree::Node<'_, '_>, out: &mut String) {
    if let Some(pi) = node.pi() {
        out.push_str("<?");
        out.push_str(pi.target);
        if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
            out.push(' ');
            out.push_str(value);
        }
        out.push_str("?>");
    } else if node.is_comment() {
        out.push_str("<!--");
        out.push_str(node.text().unwrap_or(""));
        out.push_str("-->");
    }
}

/// C14N's escapes: in text `&`, `<`, `>` and CR; in attribute values `&`, `<`, `"`, TAB, LF and CR.
fn c14n_escape(s: &str, attribute: bool, out: &mut String) {
    for c in s.chars() {
        match (c, attribute) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', false) => out.push_str("&gt;"),
            ('"', true) => out.push_str("&quot;"),
            ('\t', true) => out.push_str("&#x9;"),
            ('\n', true) => out.push_str("&#xA;"),
            ('\r', _) => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}
