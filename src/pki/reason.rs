//! CRL reason codes (RFC 5280 §5.3.1): read from CRL entries, shown in reports. A module of its own so the report
//! types can name a reason without importing the CRL parser (which imports the certificate, which imports the
//! report types).

/// Every revocation reason of ReasonFlags (bits 1..=8; bit 0 "unused" excluded).
pub(crate) const ALL_REASONS: u16 = 0b1_1111_1110;

/// CRL reason codes (RFC 5280 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `unspecified` (0).
    Unspecified,
    /// `keyCompromise` (1).
    KeyCompromise,
    /// `cACompromise` (2).
    CaCompromise,
    /// `affiliationChanged` (3).
    AffiliationChanged,
    /// `superseded` (4).
    Superseded,
    /// `cessationOfOperation` (5).
    CessationOfOperation,
    /// `certificateHold` (6).
    CertificateHold,
    /// `removeFromCRL` (8): on a delta CRL, the hold on this serial is lifted.
    RemoveFromCrl,
    /// `privilegeWithdrawn` (9).
    PrivilegeWithdrawn,
    /// `aACompromise` (10).
    AaCompromise,
}

impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Reason {
    pub(crate) fn from_code(c: u8) -> Option<Reason> {
        Some(match c {
            0 => Reason::Unspecified,
            1 => Reason::KeyCompromise,
            2 => Reason::CaCompromise,
            3 => Reason::AffiliationChanged,
            4 => Reason::Superseded,
            5 => Reason::CessationOfOperation,
            6 => Reason::CertificateHold,
            8 => Reason::RemoveFromCrl,
            9 => Reason::PrivilegeWithdrawn,
            10 => Reason::AaCompromise,
            _ => return None,
        })
    }

    /// The reason's RFC 5280 name, as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Unspecified => "unspecified",
            Reason::KeyCompromise => "keyCompromise",
            Reason::CaCompromise => "cACompromise",
            Reason::AffiliationChanged => "affiliationChanged",
            Reason::Superseded => "superseded",
            Reason::CessationOfOperation => "cessationOfOperation",
            Reason::CertificateHold => "certificateHold",
            Reason::RemoveFromCrl => "removeFromCRL",
            Reason::PrivilegeWithdrawn => "privilegeWithdrawn",
            Reason::AaCompromise => "aACompromise",
        }
    }

    /// Whether the key may be in someone else's hands, so that what it signed may be back-dated.
    pub fn is_compromise(self) -> bool {
        matches!(
            self,
            Reason::Unspecified
                | Reason::KeyCompromise
                | Reason::CaCompromise
                | Reason::AaCompromise
                | Reason::CertificateHold
        )
    }

    /// The bit of this reason in a ReasonFlags value as x509-parser reports it (bit n = reason n, unused = 0).
    pub fn flag(self) -> u16 {
        let n = match self {
            Reason::Unspecified => return ALL_REASONS,
            Reason::KeyCompromise => 1,
            Reason::CaCompromise => 2,
            Reason::AffiliationChanged => 3,
            Reason::Superseded => 4,
            Reason::CessationOfOperation => 5,
            Reason::CertificateHold => 6,
            Reason::RemoveFromCrl => return 0,
            Reason::PrivilegeWithdrawn => 7,
            Reason::AaCompromise => 8,
        };
        1 << n
    }
}
