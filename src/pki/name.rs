//! Distinguished names in the comparable form RFC 5280 §7.1 asks for: attribute values of string types are
//! compared after case folding and whitespace normalisation, so a CA that writes its name in PrintableString and
//! a subordinate that repeats it in UTF8String (PKITS 4.3.9–4.3.11) still chain.

use std::fmt;

use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::prelude::{FromDer, X509Name};

/// One attribute value, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Value {
    Text(String),
    /// Non-string values compare by their exact encoding (tag and contents).
    Binary(u32, Vec<u8>),
}

/// An attribute: OID in dotted form and its normalised value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Attribute {
    oid: String,
    value: Value,
}

/// A distinguished name, comparable per RFC 5280, with a readable form for reports.
#[derive(Clone, Eq)]
pub struct Name {
    rdns: Vec<Vec<Attribute>>,
    /// Hash of `rdns`, computed once: names are map keys and compared on every path step and CRL lookup.
    digest: u64,
    display: String,
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.digest == other.digest && self.rdns == other.rdns
    }
}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest)
    }
}

fn digest_of(rdns: &[Vec<Attribute>]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    rdns.hash(&mut h);
    h.finish()
}

fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SURNAME",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.42" => "GIVENNAME",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "E",
        _ => return None,
    })
}

/// Decodes a directory string of any of the ASN.1 string types.
pub(crate) fn decode_string(tag: Tag, data: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => std::str::from_utf8(data).ok().map(str::to_string),
        // TeletexString is in practice Latin-1.
        Tag::TeletexString => Some(data.iter().map(|b| char::from(*b)).collect()),
        Tag::BmpString => {
            if !data.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::UniversalString => {
            if !data.len().is_multiple_of(4) {
                return None;
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// Case-folds and collapses runs of whitespace, trimming both ends (RFC 4518 in the simple form RFC 5280 allows).
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Name {
    pub fn from_x509(name: &X509Name<'_>) -> Name {
        let mut display_parts = Vec::new();
        let rdns: Vec<Vec<Attribute>> = name
            .iter_rdn()
            .map(|rdn| {
                let mut attrs: Vec<Attribute> = rdn
                    .iter()
                    .map(|atv| {
                        let oid = atv.attr_type().to_id_string();
                        let any = atv.attr_value();
                        let text = decode_string(any.tag(), any.data);
                        let label = short_name(&oid)
                            .map(str::to_string)
                            .unwrap_or_else(|| oid.clone());
                        display_parts.push(format!(
                            "{label}={}",
                            text.clone()
                                .unwrap_or_else(|| "#".to_string() + &hex(any.data))
                        ));
                        let value = match text {
                            Some(t) => Value::Text(normalise(&t)),
                            None => Value::Binary(any.tag().0, any.data.to_vec()),
                        };
                        Attribute { oid, value }
                    })
                    .collect();
                attrs.sort();
                attrs
            })
            .collect();
        // Show the most specific part first, as OpenSSL and most tools do not, but people read names that way.
        display_parts.reverse();
        Name {
            digest: digest_of(&rdns),
            rdns,
            display: display_parts.join(", "),
        }
    }

    /// Parses a DER Name.
    pub fn from_der(der: &[u8]) -> Option<Name> {
        X509Name::from_der(der)
            .ok()
            .map(|(_, n)| Name::from_x509(&n))
    }

    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    /// This name with one more RDN appended (a distribution point's nameRelativeToCRLIssuer).
    pub fn with_rdn(&self, rdn: Vec<Attribute>, rdn_display: &str) -> Name {
        let mut rdns = self.rdns.clone();
        let mut rdn = rdn;
        rdn.sort();
        rdns.push(rdn);
        Name {
            digest: digest_of(&rdns),
            rdns,
            display: format!("{rdn_display}, {}", self.display),
        }
    }

    /// Attributes of one RDN in comparable form, for building relative names.
    pub fn rdn_attributes(
        rdn: &x509_parser::x509::RelativeDistinguishedName<'_>,
    ) -> (Vec<Attribute>, String) {
        let mut shown = Vec::new();
        let attrs = rdn
            .iter()
            .map(|atv| {
                let oid = atv.attr_type().to_id_string();
                let any = atv.attr_value();
                let text = decode_string(any.tag(), any.data);
                shown.push(format!(
                    "{}={}",
                    short_name(&oid).unwrap_or(oid.as_str()),
                    text.clone().unwrap_or_default()
                ));
                Attribute {
                    value: match text {
                        Some(t) => Value::Text(normalise(&t)),
                        None => Value::Binary(any.tag().0, any.data.to_vec()),
                    },
                    oid,
                }
            })
            .collect();
        (attrs, shown.join("+"))
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({})", self.display)
    }
}

pub(crate) fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_case_are_folded() {
        assert_eq!(normalise("  Good   CA "), "good ca");
        assert_eq!(normalise("ҚАЗАҚСТАН"), "қазақстан");
    }
}
