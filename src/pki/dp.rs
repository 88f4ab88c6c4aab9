//! Distribution points (RFC 5280 §4.2.1.13, §5.2.5), read by hand: x509-parser 0.18 cannot decode a
//! nameRelativeToCRLIssuer and silently drops it, which would make a CRL scoped to one distribution point look
//! like a CRL for everything (PKITS 4.14.8, 4.14.9).

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::x509::RelativeDistinguishedName;

use crate::encoding::asn1::{self as asn1, DerError, Reader};
use crate::pki::name::{Attribute, Name};

/// A name in a GeneralName, in the forms distribution points use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenName {
    /// A directoryName.
    Directory(Name),
    /// A uniformResourceIdentifier.
    Uri(String),
    /// Any other form, compared by a canonical string of its kind and value.
    Other(String),
}

impl GenName {
    fn from_x509(g: &GeneralName<'_>) -> GenName {
        match g {
            GeneralName::DirectoryName(n) => GenName::Directory(Name::from_x509(n)),
            GeneralName::URI(u) => GenName::Uri((*u).to_string()),
            GeneralName::DNSName(d) => GenName::Other(format!("dns:{}", d.to_ascii_lowercase())),
            GeneralName::RFC822Name(e) => GenName::Other(format!("email:{e}")),
            other => GenName::Other(format!("{other:?}")),
        }
    }
}

/// The name of a distribution point: full names, or an RDN relative to the CRL issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpName {
    /// fullName.
    Full(Vec<GenName>),
    /// nameRelativeToCRLIssuer: the attributes, and the issuer's name they extend, as text.
    Relative(Vec<Attribute>, String),
}

impl DpName {
    /// The full names this distribution point name stands for, given the CRL issuer it is relative to.
    pub fn resolve(&self, crl_issuer: &Name) -> Vec<GenName> {
        match self {
            DpName::Full(names) => names.clone(),
            DpName::Relative(rdn, shown) => {
                vec![GenName::Directory(crl_issuer.with_rdn(rdn.clone(), shown))]
            }
        }
    }
}

/// One entry of the cRLDistributionPoints extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DistributionPoint {
    pub name: Option<DpName>,
    /// ReasonFlags with bit n = reason n; `None` means all reasons.
    pub reasons: Option<u16>,
    pub crl_issuer: Option<Vec<GenName>>,
}

/// The issuingDistributionPoint CRL extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuingDistributionPoint {
    /// The distribution point's name.
    pub name: Option<DpName>,
    /// onlyContainsUserCerts.
    pub only_user_certs: bool,
    /// onlyContainsCACerts.
    pub only_ca_certs: bool,
    /// onlyContainsAttributeCerts.
    pub only_attribute_certs: bool,
    /// onlySomeReasons, as the bits of ReasonFlags.
    pub only_some_reasons: Option<u16>,
    /// indirectCRL.
    pub indirect: bool,
}

/// Contents of a GeneralNames (the elements without the outer SEQUENCE header).
fn general_names(contents: &[u8]) -> Result<Vec<GenName>, DerError> {
    let mut r = Reader::new(contents);
    let mut out = Vec::new();
    while !r.is_empty() {
        let tlv = r.read_any()?;
        let (_, g) =
            GeneralName::from_der(tlv.raw).map_err(|_| DerError::BadValue("bad GeneralName"))?;
        out.push(GenName::from_x509(&g));
    }
    if out.is_empty() {
        return Err(DerError::BadValue("empty GeneralNames"));
    }
    Ok(out)
}

/// DistributionPointName, from the contents of its EXPLICIT [0] wrapper.
fn dp_name(explicit_contents: &[u8]) -> Result<DpName, DerError> {
    let mut r = Reader::new(explicit_contents);
    let tlv = r.read_any()?;
    match tlv.tag {
        0xa0 => Ok(DpName::Full(general_names(tlv.value)?)),
        0xa1 => {
            // The [1] IMPLICIT tag replaced SET: put it back so the standard RDN parser can read it.
            let set = asn1::encode(asn1::SET, tlv.value);
            let (_, rdn) = RelativeDistinguishedName::from_der(&set)
                .map_err(|_| DerError::BadValue("bad nameRelativeToCRLIssuer"))?;
            let (attrs, shown) = Name::rdn_attributes(&rdn);
            Ok(DpName::Relative(attrs, shown))
        }
        _ => Err(DerError::BadValue("bad DistributionPointName")),
    }
}

/// ReasonFlags from the contents of a BIT STRING: bit n (counted from the most significant bit) = reason n.
fn reason_flags(contents: &[u8]) -> Result<u16, DerError> {
    let (_, bits) = contents
        .split_first()
        .ok_or(DerError::BadValue("empty ReasonFlags"))?;
    let mut flags = 0u16;
    for (i, byte) in bits.iter().take(2).enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                flags |= 1 << (i * 8 + bit);
            }
        }
    }
    Ok(flags)
}

fn boolean(contents: &[u8]) -> Result<bool, DerError> {
    match contents {
        [0] => Ok(false),
        [_] => Ok(true),
        _ => Err(DerError::BadValue("bad BOOLEAN")),
    }
}

/// Parses the value of a cRLDistributionPoints extension.
pub(crate) fn parse_crl_distribution_points(
    value: &[u8],
) -> Result<Vec<DistributionPoint>, DerError> {
    let seq = Reader::new(value).read(asn1::SEQUENCE)?;
    let mut r = Reader::new(seq.value);
    let mut out = Vec::new();
    while !r.is_empty() {
        let dp = r.read(asn1::SEQUENCE)?;
        let mut d = Reader::new(dp.value);
        let name = d
            .read_optional(0xa0)?
            .map(|t| dp_name(t.value))
            .transpose()?;
        let reasons = d
            .read_optional(0x81)?
            .map(|t| reason_flags(t.value))
            .transpose()?;
        let crl_issuer = d
            .read_optional(0xa2)?
            .map(|t| general_names(t.value))
            .transpose()?;
        if !d.is_empty() {
            return Err(DerError::BadValue("unexpected field in DistributionPoint"));
        }
        out.push(DistributionPoint {
            name,
            reasons,
            crl_issuer,
        });
    }
    Ok(out)
}

/// Parses the value of an issuingDistributionPoint extension.
pub(crate) fn parse_issuing_distribution_point(
    value: &[u8],
) -> Result<IssuingDistributionPoint, DerError> {
    let seq = Reader::new(value).read(asn1::SEQUENCE)?;
    let mut r = Reader::new(seq.value);
    let name = r
        .read_optional(0xa0)?
        .map(|t| dp_name(t.value))
        .transpose()?;
    let flag = |r: &mut Reader<'_>, tag: u8| -> Result<bool, DerError> {
        r.read_optional(tag)?
            .map(|t| boolean(t.value))
            .transpose()
            .map(|b| b.unwrap_or(false))
    };
    let only_user_certs = flag(&mut r, 0x81)?;
    let only_ca_certs = flag(&mut r, 0x82)?;
    let only_some_reasons = r
        .read_optional(0x83)?
        .map(|t| reason_flags(t.value))
        .transpose()?;
    let indirect = flag(&mut r, 0x84)?;
    let only_attribute_certs = flag(&mut r, 0x85)?;
    if !r.is_empty() {
        return Err(DerError::BadValue(
            "unexpected field in IssuingDistributionPoint",
        ));
    }
    Ok(IssuingDistributionPoint {
        name,
        only_user_certs,
        only_ca_certs,
        only_attribute_certs,
        only_some_reasons,
        indirect,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_bits_count_from_the_top() {
        // keyCompromise (1) and cACompromise (2): 0b0110_0000 with 5 unused bits.
        assert_eq!(reason_flags(&[5, 0x60]), Ok(0b110));
        // affiliationChanged (3) .. aACompromise (8) spills into the second byte.
        assert_eq!(reason_flags(&[7, 0x1f, 0x80]), Ok(0b1_1111_1000));
    }
}
