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

/// An attribute: its type's OID (encoded contents octets) and its normalised value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Attribute {
    oid: Vec<u8>,
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

/// Short labels of the attribute types people see, keyed by the encoded OID.
pub(crate) fn short_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x04] => "SURNAME",
        [0x55, 0x04, 0x05] => "SERIALNUMBER",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        [0x55, 0x04, 0x2a] => "GIVENNAME",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID",
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "E",
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
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for ch in s.chars() {
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// One attribute in comparable form, and how it is shown ("CN=value").
fn attribute_of(atv: &x509_parser::x509::AttributeTypeAndValue<'_>) -> (Attribute, String) {
    let oid = atv.attr_type().as_bytes();
    let any = atv.attr_value();
    let text = decode_string(any.tag(), any.data);
    let mut shown = match short_name(oid) {
        Some(label) => label.to_string(),
        None => atv.attr_type().to_id_string(),
    };
    shown.push('=');
    let value = match text {
        Some(t) => {
            shown.push_str(&t);
            Value::Text(normalise(&t))
        }
        None => {
            shown.push('#');
            shown.push_str(&crate::encoding::hex(any.data));
            Value::Binary(any.tag().0, any.data.to_vec())
        }
    };
    (
        Attribute {
            oid: oid.to_vec(),
            value,
        },
        shown,
    )
}

impl Name {
    /// The name of an x509-parser name, attributes kept in order.
    pub fn from_x509(name: &X509Name<'_>) -> Name {
        let mut display_parts = Vec::new();
        let rdns: Vec<Vec<Attribute>> = name
            .iter_rdn()
            .map(|rdn| {
                let mut attrs: Vec<Attribute> = rdn
                    .iter()
                    .map(|atv| {
                        let (attr, shown) = attribute_of(atv);
                        display_parts.push(shown);
                        attr
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

    /// Whether the name has no attributes.
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
        let (attrs, shown): (Vec<Attribute>, Vec<String>) = rdn.iter().map(attribute_of).unzip();
        (attrs, shown.join("+"))
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

/// The attributes of `name` whose values are text, as (attribute type OID contents, value): what
/// [`crate::identity::SubjectProfile::from_attributes`] reads.
pub(crate) fn text_attributes<'a>(
    name: &'a X509Name<'_>,
) -> impl Iterator<Item = (&'a [u8], String)> + 'a {
    name.iter_attributes().filter_map(|atv| {
        let any = atv.attr_value();
        decode_string(any.tag(), any.data).map(|text| (atv.attr_type().as_bytes(), text))
    })
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({})", self.display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_case_are_folded() {
        assert_eq!(normalise("  Good   CA "), "good ca");
        assert_eq!(normalise("ҚАЗАҚСТАН"), "қазақстан");
        assert_eq!(normalise("\t a\u{a0}B  "), "a b");
        assert_eq!(normalise(""), "");
    }
}
