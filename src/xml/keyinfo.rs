//! Finding a signature's certificate: `KeyInfo/X509Data` (with a chain), or WS-Security's
//! `SecurityTokenReference` — a KeyIdentifier of ValueType X509v3, a Reference to a `BinarySecurityToken` of the
//! same `wsse:Security` header, or an `X509IssuerSerial`. The certificate is always the one the signature names,
//! never "the first token anywhere in the envelope".

use std::sync::Arc;

use super::dom::Node;

use super::algorithms::{BASE64_BINARY, DSIG_NS, WSSE_NS, WSU_NS, X509V3_TOKEN};
use super::parse::attr;
use super::{KeyInfoKind, XmlError, MAX_BASE64};
use crate::pki::{Certificate, TrustStore};

/// The signer's certificate and the other certificates the signature (or its header) carries.
pub(super) struct SignerKey {
    pub(super) certificate: Arc<Certificate>,
    pub(super) others: Vec<Arc<Certificate>>,
    pub(super) kind: KeyInfoKind,
}

pub(super) fn is(node: &Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == local
}

pub(super) fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    ns: &'static str,
    local: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| is(c, ns, local))
}

/// Base64 text of an element or attribute, whitespace (and the `&#13;` of JVM serialisers) removed.
pub(super) fn base64(text: &str, what: &str, index: usize) -> Result<Vec<u8>, XmlError> {
    use base64::Engine;
    if text.len() > MAX_BASE64 {
        return Err(XmlError::Signature {
            index,
            reason: format!("{what} is longer than {MAX_BASE64} base64 characters"),
        });
    }
    // Line by line (JVM serialisers break every 64 or 76 characters), not byte by byte.
    let mut compact = Vec::with_capacity(text.len());
    for line in text.as_bytes().split(u8::is_ascii_whitespace) {
        compact.extend_from_slice(line);
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| XmlError::Signature {
            index,
            reason: format!("{what} is not base64: {e}"),
        })
}

fn certificate(
    store: &TrustStore,
    text: &str,
    what: &str,
    index: usize,
) -> Result<Arc<Certificate>, XmlError> {
    let der = base64(text, what, index)?;
    store
        .parse_certificate(&der)
        .map_err(|e| XmlError::Signature {
            index,
            reason: format!("{what} is not a certificate: {e}"),
        })
}

/// The certificate of signature `index` (1-based), from its KeyInfo; `security` is the `wsse:Security` header the
/// signature stands in, when it does.
pub(super) fn signer_key(
    store: &TrustStore,
    signature: Node<'_, '_>,
    security: Option<Node<'_, '_>>,
    index: usize,
) -> Result<SignerKey, XmlError> {
    let missing = |reason: &str| XmlError::Signature {
        index,
        reason: reason.to_string(),
    };
    let key_info = children(signature, DSIG_NS, "KeyInfo")
        .next()
        .ok_or_else(|| missing("no KeyInfo: the signer's certificate must be given"))?;
    // Certificates of the header's BinarySecurityTokens: where a Reference or an IssuerSerial may point.
    let tokens: Vec<(Option<&str>, Node<'_, '_>)> = security
        .map(|s| {
            children(s, WSSE_NS, "BinarySecurityToken")
                .map(|t| (t.attribute_ns(WSU_NS, "Id"), t))
                .collect()
        })
        .unwrap_or_default();

    for child in key_info.children().filter(Node::is_element) {
        if is(&child, DSIG_NS, "X509Data") {
            let certs = children(child, DSIG_NS, "X509Certificate")
                .map(|c| certificate(store, c.text().unwrap_or(""), "X509Certificate", index))
                .collect::<Result<Vec<_>, _>>()?;
            if certs.is_empty() {
                if let Some(issuer_serial) = children(child, DSIG_NS, "X509IssuerSerial").next() {
                    let candidates = tokens
                        .iter()
                        .map(|(_, t)| {
                            certificate(store, t.text().unwrap_or(""), "BinarySecurityToken", index)
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    return by_issuer_serial(store, issuer_serial, candidates, index);
                }
                return Err(missing("X509Data carries no X509Certificate"));
            }
            return Ok(leaf_first(certs, KeyInfoKind::X509Certificate));
        }
        if is(&child, WSSE_NS, "SecurityTokenReference") {
            return token_reference(store, child, &tokens, index);
        }
    }
    Err(missing(
        "KeyInfo names no certificate (X509Data/X509Certificate or a WS-Security SecurityTokenReference)",
    ))
}

/// A chain in any order: the signer is the certificate that issued none of the others.
fn leaf_first(mut certs: Vec<Arc<Certificate>>, kind: KeyInfoKind) -> SignerKey {
    let leaf = (0..certs.len())
        .find(|&i| {
            !certs.iter().enumerate().any(|(j, c)| {
                j != i && c.issuer == certs[i].subject && c.fingerprint != certs[i].fingerprint
            })
        })
        .unwrap_or(0);
    let certificate = certs.remove(leaf);
    SignerKey {
        certificate,
        others: certs,
        kind,
    }
}

fn token_reference(
    store: &TrustStore,
    str_node: Node<'_, '_>,
    tokens: &[(Option<&str>, Node<'_, '_>)],
    index: usize,
) -> Result<SignerKey, XmlError> {
    let fail = |reason: String| XmlError::Signature { index, reason };
    for child in str_node.children().filter(Node::is_element) {
        if is(&child, WSSE_NS, "KeyIdentifier") {
            let value_type = attr(child, "ValueType").unwrap_or("");
            if value_type != X509V3_TOKEN {
                return Err(fail(format!(
                    "KeyIdentifier of ValueType \"{value_type}\" is not supported: give the certificate (X509v3)"
                )));
            }
            if let Some(encoding) = attr(child, "EncodingType") {
                if encoding != BASE64_BINARY {
                    return Err(fail(format!(
                        "KeyIdentifier EncodingType \"{encoding}\" is not Base64Binary"
                    )));
                }
            }
            let cert = certificate(store, child.text().unwrap_or(""), "KeyIdentifier", index)?;
            return Ok(SignerKey {
                certificate: cert,
                others: Vec::new(),
                kind: KeyInfoKind::KeyIdentifier,
            });
        }
        if is(&child, WSSE_NS, "Reference") {
            let uri = attr(child, "URI").unwrap_or("");
            let Some(id) = uri.strip_prefix('#') else {
                return Err(fail(format!(
                    "SecurityTokenReference/Reference URI \"{uri}\" is not a token of this message's Security header"
                )));
            };
            let found: Vec<_> = tokens.iter().filter(|(tid, _)| *tid == Some(id)).collect();
            let token = match found.as_slice() {
                [one] => one.1,
                [] => {
                    return Err(fail(format!(
                        "no BinarySecurityToken with wsu:Id \"{id}\" in the signature's Security header"
                    )))
                }
                _ => return Err(fail(format!("several BinarySecurityTokens carry wsu:Id \"{id}\""))),
            };
            let value_type = attr(token, "ValueType").unwrap_or("");
            if value_type != X509V3_TOKEN {
                return Err(fail(format!(
                    "BinarySecurityToken of ValueType \"{value_type}\" is not an X.509 v3 certificate"
                )));
            }
            let cert = certificate(
                store,
                token.text().unwrap_or(""),
                "BinarySecurityToken",
                index,
            )?;
            return Ok(SignerKey {
                certificate: cert,
                others: Vec::new(),
                kind: KeyInfoKind::BinarySecurityToken,
            });
        }
        if is(&child, DSIG_NS, "X509Data") {
            if let Some(issuer_serial) = children(child, DSIG_NS, "X509IssuerSerial").next() {
                let candidates = tokens
                    .iter()
                    .map(|(_, t)| {
                        certificate(store, t.text().unwrap_or(""), "BinarySecurityToken", index)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                return by_issuer_serial(store, issuer_serial, candidates, index);
            }
        }
    }
    Err(fail(
        "SecurityTokenReference holds no KeyIdentifier (X509v3), Reference or X509IssuerSerial"
            .into(),
    ))
}

/// The certificate with this issuer and serial, among `candidates` and the trust store's certificates.
fn by_issuer_serial(
    store: &TrustStore,
    issuer_serial: Node<'_, '_>,
    candidates: Vec<Arc<Certificate>>,
    index: usize,
) -> Result<SignerKey, XmlError> {
    let text = |local: &'static str| {
        children(issuer_serial, DSIG_NS, local)
            .next()
            .and_then(|n| n.text())
            .map(str::trim)
            .unwrap_or("")
    };
    let serial = decimal_to_bytes(text("X509SerialNumber")).ok_or_else(|| XmlError::Signature {
        index,
        reason: "X509SerialNumber is not a decimal integer".into(),
    })?;
    let issuer = normalise_dn(text("X509IssuerName"));
    let matches = |c: &Certificate| {
        strip_zeros(&c.serial) == strip_zeros(&serial)
            && normalise_dn(&c.issuer.to_string()) == issuer
    };
    let found = candidates
        .iter()
        .find(|c| matches(c))
        .cloned()
        .or_else(|| store.certs.iter().find(|c| matches(c)).cloned())
        .ok_or_else(|| XmlError::Signature {
            index,
            reason:
                "no certificate of the message or the trust store has the X509IssuerSerial named"
                    .into(),
        })?;
    let others = candidates
        .into_iter()
        .filter(|c| c.fingerprint != found.fingerprint)
        .collect();
    Ok(SignerKey {
        certificate: found,
        others,
        kind: KeyInfoKind::IssuerSerial,
    })
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

/// A decimal serial number as big-endian bytes (serials are up to 20 bytes; longer text is refused).
fn decimal_to_bytes(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() > 60 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out: Vec<u8> = vec![0];
    for digit in text.bytes().map(|b| b - b'0') {
        let mut carry = u32::from(digit);
        for byte in out.iter_mut().rev() {
            let v = u32::from(*byte) * 10 + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    Some(out)
}

/// A distinguished name as a comparable set of `TYPE=value` parts: order (RFC 2253 writes it reversed), spaces
/// around separators and the case of attribute types do not matter.
fn normalise_dn(dn: &str) -> Vec<String> {
    let mut parts: Vec<String> = dn
        .split([',', '+'])
        .filter_map(|p| {
            let (t, v) = p.split_once('=')?;
            let t = t.trim().to_ascii_uppercase();
            // RFC 2253 writes serialNumber by its OID, as our names may print it by its keyword.
            let t = if t == crate::encoding::oid::attr::SERIAL_NUMBER.to_string() {
                "SERIALNUMBER".to_string()
            } else {
                t
            };
            Some(format!("{t}={}", v.trim()))
        })
        .collect();
    parts.sort();
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_serials_and_names_compare() {
        assert_eq!(decimal_to_bytes("255"), Some(vec![0xff]));
        assert_eq!(decimal_to_bytes("65536"), Some(vec![1, 0, 0]));
        assert_eq!(decimal_to_bytes("12a"), None);
        assert_eq!(normalise_dn("CN=A, C=KZ"), normalise_dn("c=KZ,cn=A"));
    }
}
