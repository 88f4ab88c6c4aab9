//! Verifying every XML signature of a document: SignedInfo's signature, each Reference's digest, what each
//! Reference covers, and the signer's certificate through path validation.
//!
//! Strict where NCANode is lax: signatures are found by namespace, under any prefix and anywhere; only
//! same-document references, enveloped-signature and the C14N family are followed (XPath, XSLT, base64 and
//! external URIs are refused); an id carried twice is an error; and a signature counts only when a reference
//! covers what the application reads — the document element, or the SOAP Body — so a wrapped document fails with
//! `SIGNATURE_SCOPE`.

use std::collections::HashMap;

use super::dom::{Document, Node, NodeId};

use super::algorithms::{
    self, SignatureMethod, DSIG_NS, EXC_C14N_NS, SOAP11_NS, SOAP12_NS, WSSE_NS, WSU_NS,
};
use super::c14n::C14n;
use super::keyinfo::{self, base64, children, is};
use super::parse::{self, attr};
use super::{
    Coverage, CoveredNode, ReferenceReport, WsuTimestamp, XmlError, XmlProfile, XmlReport,
    XmlSignatureReport, MAX_REFERENCES, MAX_TRANSFORMS, MAX_XML_SIGNATURES, TIMESTAMP_SKEW_SECS,
};
use crate::crypto::{AlgorithmId, AlgorithmRegistry, CryptoError};
use crate::pki::{Certificate, Code, Findings, TrustStore, VerifyOptions};

/// Elements by the ids they carry (`Id`, `ID`, `id`, `wsu:Id`), indexed on the first `#id` lookup: enveloped
/// signatures over `URI=""` never need it, and indexing is a pass over every attribute of the document.
struct Ids<'a, 'i> {
    doc: &'a Document<'i>,
    by_id: std::cell::OnceCell<HashMap<&'a str, Vec<Node<'a, 'i>>>>,
}

impl<'a, 'i> Ids<'a, 'i> {
    fn of(doc: &'a Document<'i>) -> Self {
        Ids {
            doc,
            by_id: std::cell::OnceCell::new(),
        }
    }

    /// The elements carrying `id`.
    fn get(&self, id: &str) -> Option<&[Node<'a, 'i>]> {
        self.by_id
            .get_or_init(|| Self::index(self.doc))
            .get(id)
            .map(Vec::as_slice)
    }

    fn index(doc: &'a Document<'i>) -> HashMap<&'a str, Vec<Node<'a, 'i>>> {
        let mut by_id: HashMap<&'a str, Vec<Node<'a, 'i>>> = HashMap::new();
        for node in doc.descendants().filter(Node::is_element) {
            for attr in node.attributes() {
                let is_id = match attr.namespace() {
                    None => matches!(attr.name(), "Id" | "ID" | "id"),
                    Some(ns) => ns == WSU_NS && attr.name() == "Id",
                };
                if is_id {
                    let nodes = by_id.entry(attr.value()).or_default();
                    if !nodes.contains(&node) {
                        nodes.push(node);
                    }
                }
            }
        }
        by_id
    }
}

/// What the profile says the application reads, and where WS-Security keeps its header.
struct Target<'a, 'i> {
    element: Node<'a, 'i>,
    security: Option<Node<'a, 'i>>,
    timestamp: Option<Node<'a, 'i>>,
}

fn soap_target<'a, 'i>(doc: &'a Document<'i>) -> Result<Target<'a, 'i>, XmlError> {
    let envelope = doc.root_element();
    let ns = envelope.tag_name().namespace().unwrap_or("");
    if envelope.tag_name().name() != "Envelope" || (ns != SOAP11_NS && ns != SOAP12_NS) {
        return Err(XmlError::NotSoap(format!(
            "the document element is {}, not a SOAP 1.1 or 1.2 Envelope",
            envelope.qname()
        )));
    }
    let mut header = None;
    let mut body = None;
    for child in envelope.children().filter(Node::is_element) {
        let slot = match (child.tag_name().namespace(), child.tag_name().name()) {
            (Some(n), "Header") if n == ns && body.is_none() => &mut header,
            (Some(n), "Body") if n == ns => &mut body,
            _ => {
                return Err(XmlError::NotSoap(format!(
                    "unexpected {} in the Envelope (Header, then Body)",
                    child.qname()
                )))
            }
        };
        if slot.replace(child).is_some() {
            return Err(XmlError::NotSoap(format!("two {}", child.qname())));
        }
    }
    let body = body.ok_or_else(|| XmlError::NotSoap("the Envelope has no Body".into()))?;
    let mut securities = header
        .into_iter()
        .flat_map(|h| children(h, WSSE_NS, "Security"));
    let security = securities.next();
    if securities.next().is_some() {
        return Err(XmlError::NotSoap("several wsse:Security headers".into()));
    }
    let mut stamps = security
        .into_iter()
        .flat_map(|s| children(s, WSU_NS, "Timestamp"));
    let timestamp = stamps.next();
    if stamps.next().is_some() {
        return Err(XmlError::NotSoap(
            "several wsu:Timestamp in the Security header".into(),
        ));
    }
    Ok(Target {
        element: body,
        security,
        timestamp,
    })
}

/// `/a/b[2]`: the element's qualified names from the document element, with a position among same-named
/// siblings where there are several.
fn path_of(node: Node<'_, '_>) -> String {
    if node.is_root() {
        return "/".into();
    }
    let mut parts: Vec<String> = node
        .ancestors()
        .filter(Node::is_element)
        .map(|n| {
            let name = n.qname();
            let same = |s: &Node<'_, '_>| s.is_element() && s.qname() == name;
            let before = n.prev_siblings().skip(1).filter(same).count();
            let after = n.next_siblings().skip(1).filter(same).count();
            if before + after > 0 {
                format!("{name}[{}]", before + 1)
            } else {
                name.to_string()
            }
        })
        .collect();
    parts.reverse();
    format!("/{}", parts.join("/"))
}

fn is_ancestor_or_self(ancestor: Node<'_, '_>, node: Node<'_, '_>) -> bool {
    ancestor.contains(node)
}

/// The canonicalisation an `Algorithm` element names, with the InclusiveNamespaces PrefixList under it.
fn c14n_of(method: Node<'_, '_>) -> Option<C14n> {
    let prefixes = method
        .children()
        .find(|c| is(c, EXC_C14N_NS, "InclusiveNamespaces"))
        .and_then(|n| attr(n, "PrefixList"))
        .map(|l| l.split_ascii_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    algorithms::canonicalization(attr(method, "Algorithm").unwrap_or(""), prefixes)
}

/// Verifies every signature of `xml` for `profile`, each signer's certificate with `opts` (purpose, revocation,
/// IIN/BIN). `Err` for a document that cannot be verified at all.
pub fn verify_xml(
    store: &TrustStore,
    xml: &[u8],
    profile: XmlProfile,
    opts: &VerifyOptions,
) -> Result<XmlReport, XmlError> {
    let text = parse::text_of(xml)?;
    let doc = parse::parse(text)?;
    let signatures: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| is(n, DSIG_NS, "Signature"))
        .collect();
    if signatures.is_empty() {
        return Err(XmlError::NoSignature);
    }
    if signatures.len() > MAX_XML_SIGNATURES {
        return Err(XmlError::TooManySignatures);
    }
    let target = match profile {
        XmlProfile::Enveloped => Target {
            element: doc.root_element(),
            security: None,
            timestamp: None,
        },
        XmlProfile::Wsse => soap_target(&doc)?,
    };
    let ids = Ids::of(&doc);
    let budget = std::cell::Cell::new(super::C14N_BUDGET_BASE + 4 * text.len());
    let mut reports = Vec::with_capacity(signatures.len());
    for (i, &signature) in signatures.iter().enumerate() {
        let check = SignatureCheck {
            store,
            opts,
            profile,
            target: &target,
            ids: &ids,
            signatures: &signatures,
            index: i,
            budget: &budget,
        };
        reports.push(check.run(signature)?);
    }

    let mut all = Findings::of_signers(&reports.iter().map(|s| &s.report).collect::<Vec<_>>());
    let timestamp = target.timestamp.map(|t| {
        let text = |local| {
            children(t, WSU_NS, local)
                .next()
                .and_then(|n| n.text())
                .map(|s| s.trim().to_string())
        };
        WsuTimestamp {
            created: text("Created"),
            expires: text("Expires"),
        }
    });
    if let Some(stamp) = &timestamp {
        check_timestamp(stamp, opts, &mut all);
    }
    tracing::debug!(signatures = reports.len(), codes = ?all.codes(), "XML verified");
    let report = all.into_report_about(&reports[0].report);
    Ok(XmlReport {
        report,
        profile,
        signed_element: path_of(target.element),
        signatures: reports,
        timestamp,
    })
}

/// A Timestamp's Created must not lie ahead of the validation time (beyond the skew), and Expires must lie after.
fn check_timestamp(stamp: &WsuTimestamp, opts: &VerifyOptions, f: &mut Findings) {
    let at = opts.at.secs();
    let parse = |what: &str, v: &Option<String>, f: &mut Findings| -> Option<i64> {
        let v = v.as_deref()?;
        match crate::clock::UnixTime::parse_rfc3339(v) {
            Ok(t) => Some(t.secs()),
            Err(e) => {
                f.add(
                    Code::MessageExpired,
                    format!("wsu:Timestamp {what} \"{v}\" is not a time: {e}"),
                );
                None
            }
        }
    };
    if let Some(created) = parse("Created", &stamp.created, f) {
        if created > at + TIMESTAMP_SKEW_SECS {
            f.add(
                Code::MessageExpired,
                format!(
                    "the message's wsu:Timestamp was created after the validation time ({})",
                    crate::clock::rfc3339(created)
                ),
            );
        }
    }
    if let Some(expires) = parse("Expires", &stamp.expires, f) {
        if expires <= at {
            f.add(
                Code::MessageExpired,
                format!(
                    "the message's wsu:Timestamp expired at {}",
                    crate::clock::rfc3339(expires)
                ),
            );
        }
    }
}

struct SignatureCheck<'c, 'a, 'i> {
    store: &'c TrustStore,
    opts: &'c VerifyOptions,
    profile: XmlProfile,
    target: &'c Target<'a, 'i>,
    ids: &'c Ids<'a, 'i>,
    signatures: &'c [Node<'a, 'i>],
    /// 0-based position among `signatures`.
    index: usize,
    /// Bytes left to canonicalise for digests.
    budget: &'c std::cell::Cell<usize>,
}

impl<'a, 'i> SignatureCheck<'_, 'a, 'i> {
    fn malformed(&self, reason: impl Into<String>) -> XmlError {
        XmlError::Signature {
            index: self.index + 1,
            reason: reason.into(),
        }
    }

    fn one(&self, parent: Node<'a, 'i>, local: &'static str) -> Result<Node<'a, 'i>, XmlError> {
        let mut found = children(parent, DSIG_NS, local);
        let first = found
            .next()
            .ok_or_else(|| self.malformed(format!("{} has no {local}", parent.qname())))?;
        if found.next().is_some() {
            return Err(self.malformed(format!("{} has two {local}", parent.qname())));
        }
        Ok(first)
    }

    fn run(&self, signature: Node<'a, 'i>) -> Result<XmlSignatureReport, XmlError> {
        let index = self.index + 1;
        let signed_info = self.one(signature, "SignedInfo")?;
        let c14n_method = self.one(signed_info, "CanonicalizationMethod")?;
        let c14n_uri = attr(c14n_method, "Algorithm").unwrap_or("").to_string();
        let method_node = self.one(signed_info, "SignatureMethod")?;
        let method_uri = attr(method_node, "Algorithm").unwrap_or("").to_string();
        let value_node = self.one(signature, "SignatureValue")?;
        let value = base64(value_node.text().unwrap_or(""), "SignatureValue", index)?;
        let references: Vec<Node<'a, 'i>> = children(signed_info, DSIG_NS, "Reference").collect();
        if references.is_empty() {
            return Err(self.malformed("SignedInfo has no Reference"));
        }
        if references.len() > MAX_REFERENCES {
            return Err(self.malformed(format!(
                "SignedInfo has more than {MAX_REFERENCES} References"
            )));
        }
        let security = self
            .target
            .security
            .filter(|s| signature.parent() == Some(*s));
        let key = keyinfo::signer_key(self.store, signature, security, index)?;
        let cert: &Certificate = &key.certificate;

        let mut f = Findings::default();
        // SignedInfo's signature.
        match (c14n_of(c14n_method), SignatureMethod::of(&method_uri)) {
            (None, _) => f.add(
                Code::UnsupportedAlgorithm,
                format!("CanonicalizationMethod {c14n_uri} is not one of the C14N 1.0 family"),
            ),
            (_, Err(reason)) => f.add(Code::UnsupportedAlgorithm, reason),
            (Some(c14n), Ok(method)) => {
                let signed = c14n.bytes(signed_info, &[]);
                self.check_signature(method, cert, &signed, &value, &mut f);
            }
        }
        // Each reference.
        let mut reference_reports = Vec::with_capacity(references.len());
        for (r, reference) in references.iter().enumerate() {
            reference_reports.push(self.reference(signature, *reference, r + 1, &mut f)?);
        }
        self.check_scope(signature, &reference_reports, &mut f);

        let others: Vec<&Certificate> = key.others.iter().map(|c| c.as_ref()).collect();
        let cert_report = self.store.verify_certificate(cert, &others, self.opts);
        f.absorb(&cert_report);
        Ok(XmlSignatureReport {
            report: f.into_report_about(&cert_report),
            path: path_of(signature),
            signature_method: method_uri,
            canonicalization_method: c14n_uri,
            key_info: key.kind,
            references: reference_reports,
        })
    }

    fn check_signature(
        &self,
        method: SignatureMethod,
        cert: &Certificate,
        signed: &[u8],
        value: &[u8],
        f: &mut Findings,
    ) {
        let value = match method {
            // XMLDSig writes ECDSA as r ‖ s; the registry reads the X9.62 DER of X.509.
            SignatureMethod::Ecdsa(_) => match ecdsa_der(value) {
                Some(der) => der,
                None => {
                    f.add(
                        Code::SignatureInvalid,
                        "the ECDSA SignatureValue is not r ‖ s of one curve size",
                    );
                    return;
                }
            },
            SignatureMethod::Rsa(_) | SignatureMethod::Gost(_) => value.to_vec(),
        };
        let algorithm = AlgorithmId::new(method.oid(), None);
        match AlgorithmRegistry::global().verify(&algorithm, &cert.public_key, signed, &value) {
            Ok(()) => {}
            Err(CryptoError::UnsupportedAlgorithm(a)) => f.add(
                Code::UnsupportedAlgorithm,
                format!("signature algorithm unsupported: {a}"),
            ),
            Err(e) => f.add(
                Code::SignatureInvalid,
                format!(
                    "SignedInfo's signature does not verify with the signer's certificate: {e}"
                ),
            ),
        }
    }

    /// Resolves, transforms and digests one Reference. Problems of what it covers become findings; a broken
    /// structure is an error.
    fn reference(
        &self,
        signature: Node<'a, 'i>,
        reference: Node<'a, 'i>,
        r: usize,
        f: &mut Findings,
    ) -> Result<ReferenceReport, XmlError> {
        let uri = attr(reference, "URI");
        let transform_nodes: Vec<Node<'a, 'i>> =
            match children(reference, DSIG_NS, "Transforms").next() {
                Some(t) => children(t, DSIG_NS, "Transform").collect(),
                None => Vec::new(),
            };
        if transform_nodes.len() > MAX_TRANSFORMS {
            return Err(self.malformed(format!(
                "reference {r} has more than {MAX_TRANSFORMS} transforms"
            )));
        }
        let digest_method = self.one(reference, "DigestMethod")?;
        let digest_uri = attr(digest_method, "Algorithm").unwrap_or("").to_string();
        let digest_value = base64(
            self.one(reference, "DigestValue")?.text().unwrap_or(""),
            "DigestValue",
            self.index + 1,
        )?;
        let mut report = ReferenceReport {
            uri: uri.unwrap_or("").to_string(),
            transforms: transform_nodes
                .iter()
                .map(|t| attr(*t, "Algorithm").unwrap_or("").to_string())
                .collect(),
            digest_method: digest_uri.clone(),
            digest_valid: false,
            covers: None,
        };

        // What the URI selects.
        let (apex, id) = match uri {
            None => {
                f.add(
                    Code::SignatureScope,
                    format!("reference {r} has no URI: what it covers is not in the document"),
                );
                return Ok(report);
            }
            Some("") => (signature.document().root(), None),
            Some(u) if u.starts_with("#xpointer(") => {
                f.add(
                    Code::SignatureScope,
                    format!("reference {r}: XPointer URI \"{u}\" is refused; use \"\" or \"#id\""),
                );
                return Ok(report);
            }
            Some(u) => match u.strip_prefix('#') {
                Some(id) => match self.ids.get(id) {
                    Some([node]) => (*node, Some(id.to_string())),
                    Some(nodes) if nodes.len() > 1 => {
                        f.add(
                            Code::SignatureScope,
                            format!("reference {r}: id \"{id}\" is carried by {} elements (signature wrapping)", nodes.len()),
                        );
                        return Ok(report);
                    }
                    _ => {
                        f.add(
                            Code::SignatureScope,
                            format!("reference {r}: no element carries id \"{id}\""),
                        );
                        return Ok(report);
                    }
                },
                None => {
                    f.add(
                        Code::SignatureScope,
                        format!("reference {r}: URI \"{u}\" is outside the document (external and relative URIs are refused)"),
                    );
                    return Ok(report);
                }
            },
        };

        // The transforms: enveloped-signature, then at most one canonicalisation.
        let mut enveloped = false;
        let mut c14n: Option<C14n> = None;
        for t in &transform_nodes {
            let alg = attr(*t, "Algorithm").unwrap_or("");
            if alg == algorithms::ENVELOPED && c14n.is_none() {
                enveloped = true;
            } else if let (Some(method), None) = (c14n_of(*t), &c14n) {
                c14n = Some(method);
            } else {
                f.add(
                    Code::UnsupportedAlgorithm,
                    format!("reference {r}: transform {alg} is refused (only enveloped-signature, then one C14N 1.0 canonicalisation)"),
                );
                return Ok(report);
            }
        }
        // A same-document URI selects no comments (XMLDSig §4.4.3.3), whatever the canonicalisation says.
        let mut c14n = c14n.unwrap_or(C14n::INCLUSIVE);
        c14n.with_comments = false;
        let digest = match algorithms::digest(&digest_uri) {
            Ok(d) => d,
            Err(reason) => {
                f.add(
                    Code::UnsupportedAlgorithm,
                    format!("reference {r}: {reason}"),
                );
                return Ok(report);
            }
        };

        // Which signatures the digest leaves out: itself (enveloped), then — NCANode's order for serial
        // co-signing — the later ones in the same scope, then every other one (signatures made side by side).
        let inside =
            |s: &Node<'a, 'i>| is_ancestor_or_self(apex, *s) && !is_ancestor_or_self(*s, signature);
        let mut attempts: Vec<Vec<usize>> = vec![Vec::new()];
        if enveloped {
            let later: Vec<usize> = (self.index + 1..self.signatures.len())
                .filter(|&j| inside(&self.signatures[j]))
                .collect();
            let every: Vec<usize> = (0..self.signatures.len())
                .filter(|&j| j != self.index && inside(&self.signatures[j]))
                .collect();
            if !later.is_empty() {
                attempts.push(later.clone());
            }
            if every.len() > later.len() {
                attempts.push(every);
            }
        }
        let mut matched = None;
        for others in attempts {
            let mut excluded: Vec<NodeId> =
                others.iter().map(|&j| self.signatures[j].id()).collect();
            if enveloped {
                excluded.push(signature.id());
            }
            self.opts.cancel.check().map_err(|_| XmlError::Cancelled)?;
            let bytes = c14n.bytes(apex, &excluded);
            let left = self
                .budget
                .get()
                .checked_sub(bytes.len())
                .ok_or(XmlError::TooMuchWork(
                    super::C14N_BUDGET_BASE + 4 * apex.document().input_text().len(),
                ))?;
            self.budget.set(left);
            if digest.digest(&bytes) == digest_value {
                matched = Some(others);
                break;
            }
        }
        let (node, path) = if apex.is_root() {
            (CoveredNode::Document, "/".to_string())
        } else {
            (CoveredNode::Element, path_of(apex))
        };
        report.covers = Some(Coverage {
            node,
            path,
            id,
            without_signatures: matched
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|j| j + 1)
                .collect(),
        });
        match matched {
            Some(_) => report.digest_valid = true,
            None => f.add(
                Code::SignatureInvalid,
                format!("reference {r}: the digest of what it covers differs from DigestValue: the signed content was altered"),
            ),
        }
        Ok(report)
    }

    /// A signature counts only when one of its references covers what the application reads.
    fn check_scope(
        &self,
        signature: Node<'a, 'i>,
        references: &[ReferenceReport],
        f: &mut Findings,
    ) {
        let target = self.target.element;
        let target_path = path_of(target);
        let covers = |c: &Coverage| match c.node {
            CoveredNode::Document => true,
            CoveredNode::Element => c.path == target_path && self.ids_point_at(c, target),
        };
        if !references
            .iter()
            .filter_map(|r| r.covers.as_ref())
            .any(covers)
        {
            let what = match self.profile {
                XmlProfile::Enveloped => "the document element",
                XmlProfile::Wsse => "the SOAP Body",
            };
            let covered: Vec<&str> = references
                .iter()
                .filter_map(|r| r.covers.as_ref().map(|c| c.path.as_str()))
                .collect();
            f.add(
                Code::SignatureScope,
                format!(
                    "the signature does not cover {what} ({target_path}) but {}: signature wrapping or a signature over another element",
                    if covered.is_empty() { "nothing it can resolve".to_string() } else { covered.join(", ") }
                ),
            );
        }
        if self.profile == XmlProfile::Wsse {
            if self
                .target
                .security
                .is_none_or(|s| signature.parent() != Some(s))
            {
                f.add(
                    Code::SignatureScope,
                    format!(
                        "the signature at {} does not stand in the Envelope's wsse:Security header",
                        path_of(signature)
                    ),
                );
            }
            if let Some(stamp) = self.target.timestamp {
                let stamp_path = path_of(stamp);
                let signed = references
                    .iter()
                    .filter_map(|r| r.covers.as_ref())
                    .any(|c| {
                        c.node == CoveredNode::Document
                            || (c.path == stamp_path && self.ids_point_at(c, stamp))
                    });
                if !signed {
                    f.add(
                        Code::SignatureScope,
                        "the wsu:Timestamp of the Security header is not signed",
                    );
                }
            }
        }
    }

    /// Whether a coverage by id names exactly `node` (paths alone could coincide).
    fn ids_point_at(&self, c: &Coverage, node: Node<'a, 'i>) -> bool {
        c.id.as_deref()
            .and_then(|id| self.ids.get(id))
            .is_some_and(|nodes| nodes == [node])
    }
}

/// XMLDSig's ECDSA value r ‖ s (each half the length) as the DER SEQUENCE of two INTEGERs.
fn ecdsa_der(value: &[u8]) -> Option<Vec<u8>> {
    if value.is_empty() || !value.len().is_multiple_of(2) || value.len() > 132 {
        return None;
    }
    let (r, s) = value.split_at(value.len() / 2);
    let int = |x: &[u8]| {
        let x = &x[x.iter().position(|&b| b != 0).unwrap_or(x.len() - 1)..];
        let mut v = Vec::with_capacity(x.len() + 1);
        if x[0] & 0x80 != 0 {
            v.push(0);
        }
        v.extend_from_slice(x);
        crate::encoding::asn1::encode(crate::encoding::asn1::INTEGER, &v)
    };
    Some(crate::encoding::asn1::encode(
        crate::encoding::asn1::SEQUENCE,
        &[int(r), int(s)].concat(),
    ))
}

/// The DER of an ECDSA signature as XMLDSig's r ‖ s, each `size` bytes.
pub(super) fn ecdsa_raw(der: &[u8], size: usize) -> Option<Vec<u8>> {
    use crate::encoding::asn1::{Reader, INTEGER, SEQUENCE};
    let seq = Reader::new(der).read(SEQUENCE).ok()?;
    let mut r = Reader::new(seq.value);
    let mut out = Vec::with_capacity(size * 2);
    for _ in 0..2 {
        let int = r.read(INTEGER).ok()?;
        let v = &int.value[int
            .value
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(int.value.len())..];
        if v.len() > size {
            return None;
        }
        out.extend(std::iter::repeat_n(0u8, size - v.len()));
        out.extend_from_slice(v);
    }
    Some(out)
}
