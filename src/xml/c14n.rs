//! Canonical XML 1.0 (<https://www.w3.org/TR/2001/REC-xml-c14n-20010315>), with and without comments, and
//! Exclusive XML Canonicalization 1.0 (<https://www.w3.org/TR/2002/REC-xml-exc-c14n-20020718/>) with an
//! `InclusiveNamespaces PrefixList`, written to the specifications over our tree ([`super::dom`]).
//!
//! XML signatures only ever canonicalise one shape of node-set here: a whole subtree (the document, or an element
//! with its descendants), less whole subtrees (enveloped signatures), with or without comments — the shapes the
//! enveloped-signature transform and same-document references produce. XPath node-sets are refused upstream, so
//! "the nearest ancestor in the output" of an element is always its parent, and what its parent rendered is known
//! from a stack. The walk uses an explicit stack: a deep document cannot overflow the thread's.

use std::collections::HashMap;

use super::dom::{order, same, Attribute, Node, NodeId, NodeType, XML_NS};

use super::parse::prefix_of;

/// Which canonicalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Method {
    /// Canonical XML 1.0: every namespace in scope, `xml:` attributes inherited by an apex element.
    Inclusive,
    /// Exclusive canonicalisation: only namespaces visibly used, plus those of the prefix list (`#default` for
    /// the default namespace), treated inclusively.
    Exclusive {
        /// The InclusiveNamespaces PrefixList.
        prefixes: Vec<String>,
    },
}

/// A canonicalisation algorithm with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct C14n {
    /// Inclusive or exclusive.
    pub method: Method,
    /// Whether comments are output.
    pub with_comments: bool,
}

impl C14n {
    /// Canonical XML 1.0 without comments, the default of XML signatures.
    pub(crate) const INCLUSIVE: C14n = C14n {
        method: Method::Inclusive,
        with_comments: false,
    };

    /// Canonicalises the subtree of `apex` (the document's root node, or an element), leaving out the subtrees
    /// of `excluded`, into `out`.
    pub(crate) fn canonicalize(&self, apex: Node<'_, '_>, excluded: &[NodeId], out: &mut Vec<u8>) {
        self.walk(apex, excluded, out, true);
    }

    /// The canonical form built node by node, never copying a verbatim subtree: what the fast path must equal.
    #[cfg(test)]
    pub(crate) fn bytes_node_by_node(&self, apex: Node<'_, '_>, excluded: &[NodeId]) -> Vec<u8> {
        let mut out = Vec::new();
        self.walk(apex, excluded, &mut out, false);
        out
    }

    fn walk(
        &self,
        apex: Node<'_, '_>,
        excluded: &[NodeId],
        out: &mut Vec<u8>,
        copy_verbatim: bool,
    ) {
        Walker {
            c14n: self,
            copy_verbatim,
            excluded,
            rendered: HashMap::new(),
            undo: Vec::new(),
            candidates: Vec::new(),
            attributes: Vec::new(),
            out,
        }
        .run(apex);
    }

    /// The canonical bytes of `apex`'s subtree less `excluded`.
    pub(crate) fn bytes(&self, apex: Node<'_, '_>, excluded: &[NodeId]) -> Vec<u8> {
        let mut out = Vec::with_capacity(apex.range().len() + 64);
        self.canonicalize(apex, excluded, &mut out);
        out
    }
}

/// A prefix as a map key (`""`: the default namespace), compared by [`same`]: `==` on the empty prefix would pay
/// glibc's `memcmp` assist on every lookup.
#[derive(Debug, Clone, Copy, Hash)]
struct Prefix<'a>(&'a str);

impl PartialEq for Prefix<'_> {
    fn eq(&self, other: &Self) -> bool {
        same(self.0, other.0)
    }
}

impl Eq for Prefix<'_> {}

enum Step<'a, 'i> {
    Enter(Node<'a, 'i>),
    /// Closing tag of an element, and the length of the undo log before it.
    Exit(&'a str, usize),
}

/// An attribute with its sort key: (namespace URI, local name). Its value and written form are read only when it
/// is written, once sorted.
type Attr<'a> = (&'a str, &'a str, Attribute<'a, 'a>);

struct Walker<'c, 'a> {
    c14n: &'c C14n,
    /// Whether subtrees and attributes written as C14N writes them are copied from the input whole.
    copy_verbatim: bool,
    excluded: &'c [NodeId],
    /// What the output ancestors of the current element rendered for each prefix (`""`: the default namespace),
    /// the innermost declaration winning. A map, not a search back through a stack: 256 levels that each declare
    /// 256 prefixes would otherwise cost 65 536 steps a lookup.
    rendered: HashMap<Prefix<'a>, &'a str>,
    /// What each rendering replaced, to restore when its element closes: (prefix, the previous URI).
    undo: Vec<(&'a str, Option<&'a str>)>,
    /// Scratch for one start tag: the namespace declarations it renders.
    candidates: Vec<(&'a str, &'a str)>,
    /// Scratch for one start tag: its attributes with their sort keys.
    attributes: Vec<Attr<'a>>,
    out: &'c mut Vec<u8>,
}

impl<'a> Walker<'_, 'a> {
    fn run<'i: 'a>(&mut self, apex: Node<'a, 'i>) {
        if apex.is_root() {
            // The document: children of the root node, with a line feed between the document element and the
            // comments and processing instructions before and after it (C14N 1.0 §2.1).
            let mut after_root = false;
            for child in apex.children() {
                if self.excluded.contains(&child.id()) {
                    continue;
                }
                match child.node_type() {
                    NodeType::Element => {
                        self.subtree(child, true);
                        after_root = true;
                    }
                    NodeType::Comment if !self.c14n.with_comments => {}
                    NodeType::Comment | NodeType::PI => {
                        if after_root {
                            self.out.push(b'\n');
                        }
                        self.leaf(child);
                        if !after_root {
                            self.out.push(b'\n');
                        }
                    }
                    _ => {}
                }
            }
        } else {
            self.subtree(apex, false);
        }
    }

    fn subtree<'i: 'a>(&mut self, top: Node<'a, 'i>, top_is_document_element: bool) {
        let mut stack = vec![Step::Enter(top)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Exit(qname, mark) => {
                    self.out.extend_from_slice(b"</");
                    self.out.extend_from_slice(qname.as_bytes());
                    self.out.push(b'>');
                    while self.undo.len() > mark {
                        let Some((prefix, before)) = self.undo.pop() else {
                            break;
                        };
                        match before {
                            Some(uri) => self.rendered.insert(Prefix(prefix), uri),
                            None => self.rendered.remove(&Prefix(prefix)),
                        };
                    }
                }
                Step::Enter(node) => {
                    if self.copy_verbatim
                        && self.c14n.method == Method::Inclusive
                        && node != top
                        && node.verbatim()
                        && node.same_scope_as_parent()
                        && !self.excluded.iter().any(|&e| node.contains_id(e))
                    {
                        // Written as C14N writes it, below a parent with the same namespaces: its input is its
                        // canonical form.
                        let text = node.document().input_text();
                        self.out.extend_from_slice(&text.as_bytes()[node.range()]);
                    } else if node.is_element() {
                        let mark = self.undo.len();
                        let apex = node == top && !top_is_document_element;
                        let qname = self.start_tag(node, apex);
                        stack.push(Step::Exit(qname, mark));
                        // Children pushed last first, so they pop in document order (no list built per element).
                        let mut child = node.last_child();
                        while let Some(c) = child {
                            if !self.excluded.contains(&c.id()) {
                                stack.push(Step::Enter(c));
                            }
                            child = c.prev_sibling();
                        }
                    } else {
                        self.leaf(node);
                    }
                }
            }
        }
    }

    fn leaf<'i: 'a>(&mut self, node: Node<'a, 'i>) {
        match node.node_type() {
            NodeType::Text => match node.canonical_text() {
                Some(raw) => self.out.extend_from_slice(raw.as_bytes()),
                None => escape_text(node.text().unwrap_or(""), self.out),
            },
            NodeType::Comment if self.c14n.with_comments => {
                self.out.extend_from_slice(b"<!--");
                self.out
                    .extend_from_slice(node.text().unwrap_or("").as_bytes());
                self.out.extend_from_slice(b"-->");
            }
            NodeType::PI => {
                if let Some(pi) = node.pi() {
                    self.out.extend_from_slice(b"<?");
                    self.out.extend_from_slice(pi.target.as_bytes());
                    if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
                        self.out.push(b' ');
                        self.out.extend_from_slice(value.as_bytes());
                    }
                    self.out.extend_from_slice(b"?>");
                }
            }
            _ => {}
        }
    }

    /// What the output ancestors rendered for `prefix` (`""`: the default namespace, rendered empty when never).
    fn rendered_uri(&self, prefix: &str) -> Option<&'a str> {
        self.rendered.get(&Prefix(prefix)).copied()
    }

    /// Writes the start tag of `node` with its namespace declarations and attributes; returns its qualified name.
    fn start_tag<'i: 'a>(&mut self, node: Node<'a, 'i>, apex: bool) -> &'a str {
        let qname = node.qname();
        let element_prefix = node.prefix();

        // The namespace declarations this element must render: (prefix, uri), "" being the default namespace.
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        let in_scope = |prefix: &str| -> &'a str {
            node.namespaces()
                .find(|ns| same(ns.name().unwrap_or(""), prefix))
                .map(|ns| ns.uri())
                .unwrap_or("")
        };
        match &self.c14n.method {
            // An element below the apex with its parent's scope: the parent rendered every namespace of that scope
            // (or an ancestor did, with the same URI), so there is nothing to render.
            Method::Inclusive if !apex && node.same_scope_as_parent() => {}
            Method::Inclusive => {
                for ns in node.namespaces() {
                    candidates.push((ns.name().unwrap_or(""), ns.uri()));
                }
                if node.default_namespace().is_none() {
                    candidates.push(("", ""));
                }
            }
            Method::Exclusive { prefixes } => {
                let visible = |prefix: &'a str, candidates: &mut Vec<(&'a str, &'a str)>| {
                    if prefix != "xml" && !candidates.iter().any(|(p, _)| same(p, prefix)) {
                        candidates.push((prefix, in_scope(prefix)));
                    }
                };
                visible(element_prefix, &mut candidates);
                for attr in node.attributes() {
                    if let Some(p) = prefix_of(attr.qname()) {
                        visible(p, &mut candidates);
                    }
                }
                for listed in prefixes {
                    let listed = if listed == "#default" {
                        ""
                    } else {
                        listed.as_str()
                    };
                    if let Some(ns) = node
                        .namespaces()
                        .find(|ns| same(ns.name().unwrap_or(""), listed))
                    {
                        visible(ns.name().unwrap_or(""), &mut candidates);
                    } else if listed.is_empty() {
                        visible("", &mut candidates);
                    }
                }
            }
        }
        candidates.retain(|&(prefix, uri)| match self.rendered_uri(prefix) {
            Some(done) => !same(done, uri),
            // Never rendered: an empty default namespace needs no declaration.
            None => !(prefix.is_empty() && uri.is_empty()),
        });
        candidates.sort_unstable_by(|a, b| order(a.0, b.0));

        // Attributes: by namespace URI (none first), then local name.
        let mut attributes = std::mem::take(&mut self.attributes);
        attributes.clear();
        attributes.extend(
            node.attributes()
                .map(|a| (a.namespace().unwrap_or(""), a.name(), a)),
        );
        if apex && self.c14n.method == Method::Inclusive {
            // An apex whose parent is not output inherits the xml: attributes of its ancestors (C14N 1.0 §2.4).
            for ancestor in node.ancestors().skip(1).filter(Node::is_element) {
                for a in ancestor.attributes() {
                    if a.namespace() == Some(XML_NS)
                        && !attributes
                            .iter()
                            .any(|(ns, local, _)| *ns == XML_NS && *local == a.name())
                    {
                        attributes.push((XML_NS, a.name(), a));
                    }
                }
            }
        }
        let key_order = |a: &Attr<'a>, b: &Attr<'a>| order(a.0, b.0).then_with(|| order(a.1, b.1));
        match attributes.as_mut_slice() {
            [] | [_] => {}
            // Two, the usual case, are compared and swapped in place: the general sort was 8 % of canonicalising the
            // benchmark document (`perf`, 2026-12-03).
            [a, b] => {
                if key_order(a, b).is_gt() {
                    std::mem::swap(a, b);
                }
            }
            more => more.sort_unstable_by(key_order),
        }

        let out = &mut *self.out;
        out.push(b'<');
        out.extend_from_slice(qname.as_bytes());
        for &(prefix, uri) in &candidates {
            if prefix.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(prefix.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attribute(uri, out);
            out.push(b'"');
        }
        for (_, _, attribute) in &attributes {
            out.push(b' ');
            if let Some(written) = attribute.canonical_text().filter(|_| self.copy_verbatim) {
                out.extend_from_slice(written.as_bytes());
                continue;
            }
            out.extend_from_slice(attribute.qname().as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attribute(attribute.value(), out);
            out.push(b'"');
        }
        out.push(b'>');
        for &(prefix, uri) in &candidates {
            let before = self.rendered.insert(Prefix(prefix), uri);
            self.undo.push((prefix, before));
        }
        self.candidates = candidates;
        self.attributes = attributes;
        qname
    }
}

/// Text nodes: `&`, `<`, `>` and CR escaped (C14N 1.0 §2.3).
fn escape_text(text: &str, out: &mut Vec<u8>) {
    escape(text, out, |c| match c {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    })
}

/// Attribute values: `&`, `<`, `"`, TAB, LF and CR escaped (C14N 1.0 §2.3).
fn escape_attribute(text: &str, out: &mut Vec<u8>) {
    escape(text, out, |c| match c {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    })
}

/// Copies `text` to `out`, each byte `replacement` names replaced (only ASCII bytes are, so UTF-8 stays whole).
fn escape(text: &str, out: &mut Vec<u8>, replacement: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = text.as_bytes();
    let mut from = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if let Some(rep) = replacement(c) {
            out.extend_from_slice(&bytes[from..i]);
            out.extend_from_slice(rep);
            from = i + 1;
        }
    }
    out.extend_from_slice(&bytes[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse::parse;

    fn c14n(xml: &str, c: &C14n) -> String {
        let doc = parse(xml).expect("xml");
        String::from_utf8(c.bytes(doc.root(), &[])).expect("utf-8")
    }

    fn with_comments() -> C14n {
        C14n {
            method: Method::Inclusive,
            with_comments: true,
        }
    }

    // The examples of C14N 1.0 §3 that need no DTD.
    #[test]
    fn spec_example_3_1_pis_comments_and_outside_of_document_element() {
        let input = "<?xml version=\"1.0\"?>\n\n<?xml-stylesheet   href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n\n<doc>Hello, world!<!-- Comment 1 --></doc>\n\n<?pi-without-data     ?>\n\n<!-- Comment 2 -->\n\n<!-- Comment 3 -->";
        assert_eq!(
            c14n(input, &C14n::INCLUSIVE),
            "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!</doc>\n<?pi-without-data?>"
        );
        assert_eq!(
            c14n(input, &with_comments()),
            "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!<!-- Comment 1 --></doc>\n<?pi-without-data?>\n<!-- Comment 2 -->\n<!-- Comment 3 -->"
        );
    }

    #[test]
    fn spec_example_3_3_start_and_end_tags() {
        let input = r#"<doc>
   <e1   />
   <e2   ></e2>
   <e3   name = "elem3"   id="elem3"   />
   <e4   name="elem4"   id="elem4"   ></e4>
   <e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm"
      xmlns:b="http://www.ietf.org"
      xmlns:a="http://www.w3.org"
      xmlns="http://example.org"/>
   <e6 xmlns="" xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="" xmlns:a="http://www.w3.org">
            <e9 xmlns="" xmlns:a="http://www.ietf.org"/>
         </e8>
      </e7>
   </e6>
</doc>"#;
        let expected = r#"<doc>
   <e1></e1>
   <e2></e2>
   <e3 id="elem3" name="elem3"></e3>
   <e4 id="elem4" name="elem4"></e4>
   <e5 xmlns="http://example.org" xmlns:a="http://www.w3.org" xmlns:b="http://www.ietf.org" attr="I'm" attr2="all" b:attr="sorted" a:attr="out"></e5>
   <e6 xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="">
            <e9 xmlns:a="http://www.ietf.org"></e9>
         </e8>
      </e7>
   </e6>
</doc>"#;
        assert_eq!(c14n(input, &C14n::INCLUSIVE), expected);
    }

    #[test]
    fn spec_example_3_4_character_modifications() {
        let input = "<doc>\n   <text>First line&#x0d;&#10;Second line</text>\n   <value>&#x32;</value>\n   <compute><![CDATA[value>\"0\" && value<\"10\" ?\"valid\":\"error\"]]></compute>\n   <compute expr='value>\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"'>valid</compute>\n   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>\n</doc>";
        let expected = "<doc>\n   <text>First line&#xD;\nSecond line</text>\n   <value>2</value>\n   <compute>value&gt;\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"</compute>\n   <compute expr=\"value>&quot;0&quot; &amp;&amp; value&lt;&quot;10&quot; ?&quot;valid&quot;:&quot;error&quot;\">valid</compute>\n   <norm attr=\" '    &#xD;&#xA;&#x9;   ' \"></norm>\n</doc>";
        assert_eq!(c14n(input, &C14n::INCLUSIVE), expected);
    }

    #[test]
    fn subtree_inherits_namespaces_and_xml_attributes_inclusively_only() {
        let input = r#"<r xmlns="urn:d" xmlns:p="urn:p" xmlns:u="urn:unused" xml:lang="kk"><p:s a="1"><t/></p:s></r>"#;
        let doc = parse(input).expect("xml");
        let s = doc.root_element().first_element_child().expect("s");
        let inclusive = String::from_utf8(C14n::INCLUSIVE.bytes(s, &[])).expect("utf-8");
        assert_eq!(
            inclusive,
            r#"<p:s xmlns="urn:d" xmlns:p="urn:p" xmlns:u="urn:unused" a="1" xml:lang="kk"><t></t></p:s>"#
        );
        let exclusive = C14n {
            method: Method::Exclusive {
                prefixes: Vec::new(),
            },
            with_comments: false,
        };
        assert_eq!(
            String::from_utf8(exclusive.bytes(s, &[])).expect("utf-8"),
            r#"<p:s xmlns:p="urn:p" a="1"><t xmlns="urn:d"></t></p:s>"#
        );
        let listed = C14n {
            method: Method::Exclusive {
                prefixes: vec!["u".into(), "#default".into()],
            },
            with_comments: false,
        };
        assert_eq!(
            String::from_utf8(listed.bytes(s, &[])).expect("utf-8"),
            r#"<p:s xmlns="urn:d" xmlns:p="urn:p" xmlns:u="urn:unused" a="1"><t></t></p:s>"#
        );
    }

    /// libxml2 (through lxml) writes `xmlns=""` on `f` here; `f` is in `urn:d`, which its output ancestor
    /// already declared, so the specification renders nothing.
    #[test]
    fn an_inherited_default_namespace_is_not_undeclared() {
        let doc =
            parse(r#"<r xmlns="urn:d"><s><p:e xmlns:p="urn:p"><f xmlns:q="urn:q"/></p:e></s></r>"#)
                .expect("xml");
        let s = doc.root_element().first_element_child().expect("s");
        assert_eq!(
            String::from_utf8(C14n::INCLUSIVE.bytes(s, &[])).expect("utf-8"),
            r#"<s xmlns="urn:d"><p:e xmlns:p="urn:p"><f xmlns:q="urn:q"></f></p:e></s>"#
        );
    }

    /// A prefix bound again below and restored when that element closes: what its siblings and descendants
    /// render follows the innermost declaration in force.
    #[test]
    fn redeclared_prefixes_are_restored_when_their_element_closes() {
        let input = r#"<r xmlns:a="u1"><s xmlns:a="u2"><t xmlns:a="u1" a:x="1"/></s><v xmlns:a="u1"/><a:w/></r>"#;
        assert_eq!(
            c14n(input, &C14n::INCLUSIVE),
            r#"<r xmlns:a="u1"><s xmlns:a="u2"><t xmlns:a="u1" a:x="1"></t></s><v></v><a:w></a:w></r>"#
        );
        let exclusive = C14n {
            method: Method::Exclusive {
                prefixes: Vec::new(),
            },
            with_comments: false,
        };
        assert_eq!(
            c14n(input, &exclusive),
            r#"<r><s><t xmlns:a="u1" a:x="1"></t></s><v></v><a:w xmlns:a="u1"></a:w></r>"#
        );
    }

    #[test]
    fn excluded_subtrees_leave_their_siblings() {
        let doc = parse("<a><b>x</b><s><c/></s> <d/></a>").expect("xml");
        let s = doc
            .descendants()
            .find(|n| n.has_tag_name("s"))
            .expect("s")
            .id();
        assert_eq!(
            String::from_utf8(C14n::INCLUSIVE.bytes(doc.root(), &[s])).expect("utf-8"),
            "<a><b>x</b> <d></d></a>"
        );
    }
}
