//! The NCA subject profile: who a certificate belongs to, in the shape Kazakh EDS certificates have.
//!
//! `serialNumber` = `IIN` + 12 digits, `OU` = `BIN` + 12 digits for legal entities, `GIVENNAME` holds the
//! patronymic (not the first name: the first name is the second word of `CN`), `O` the organisation; the role
//! is carried in extended key usage OIDs under 1.2.398.3.3.4.

use serde::Serialize;

use crate::encoding::oid::{attr, eku, ObjectIdentifier};

/// The role of the key holder, from the NCA extended key usage OIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// An individual (NCA policy 1.2.398.3.3.4.1.1).
    Individual,
    /// An employee of a legal entity (1.2.398.3.3.4.1.2).
    LegalEntity,
    /// The first head of a legal entity (1.2.398.3.3.4.1.2.1).
    FirstHead,
    /// A person with the right to sign (1.2.398.3.3.4.1.2.2).
    RightToSign,
    /// A person with the right to sign financial documents (1.2.398.3.3.4.1.2.3).
    FinancialSigner,
    /// A human-resources officer (1.2.398.3.3.4.1.2.4).
    HumanResources,
    /// An employee (1.2.398.3.3.4.1.2.5).
    Employee,
    /// An information system (1.2.398.3.3.4.1.2.6).
    InformationSystem,
}

impl Role {
    /// Every role, most general first.
    pub const ALL: [Role; 8] = [
        Role::Individual,
        Role::LegalEntity,
        Role::FirstHead,
        Role::RightToSign,
        Role::FinancialSigner,
        Role::HumanResources,
        Role::Employee,
        Role::InformationSystem,
    ];

    /// The role with this [`Self::code`].
    pub fn parse(code: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The role an NCA extended-key-usage OID stands for.
    pub fn from_eku_oid(oid: &ObjectIdentifier) -> Option<Role> {
        Some(match *oid {
            eku::NCA_INDIVIDUAL => Role::Individual,
            eku::NCA_LEGAL_ENTITY => Role::LegalEntity,
            eku::NCA_FIRST_HEAD => Role::FirstHead,
            eku::NCA_RIGHT_TO_SIGN => Role::RightToSign,
            eku::NCA_FINANCIAL_SIGNER => Role::FinancialSigner,
            eku::NCA_HUMAN_RESOURCES => Role::HumanResources,
            eku::NCA_EMPLOYEE => Role::Employee,
            eku::NCA_INFORMATION_SYSTEM => Role::InformationSystem,
            _ => return None,
        })
    }

    /// Stable code used in reports.
    pub fn code(self) -> &'static str {
        match self {
            Role::Individual => "individual",
            Role::LegalEntity => "legal-entity",
            Role::FirstHead => "first-head",
            Role::RightToSign => "right-to-sign",
            Role::FinancialSigner => "financial-signer",
            Role::HumanResources => "human-resources",
            Role::Employee => "employee",
            Role::InformationSystem => "information-system",
        }
    }

    /// The role's name in Kazakh.
    pub fn name_kk(self) -> &'static str {
        match self {
            Role::Individual => "Жеке тұлға",
            Role::LegalEntity => "Заңды тұлға",
            Role::FirstHead => "Бірінші басшы",
            Role::RightToSign => "Қол қою құқығы бар тұлға",
            Role::FinancialSigner => "Қаржы құжаттарына қол қою құқығы бар тұлға",
            Role::HumanResources => "Кадр қызметінің қызметкері",
            Role::Employee => "Ұйым қызметкері",
            Role::InformationSystem => "Ақпараттық жүйе",
        }
    }

    /// The role's name in Russian.
    pub fn name_ru(self) -> &'static str {
        match self {
            Role::Individual => "Физическое лицо",
            Role::LegalEntity => "Юридическое лицо",
            Role::FirstHead => "Первый руководитель",
            Role::RightToSign => "Лицо, наделённое правом подписи",
            Role::FinancialSigner => "Лицо с правом подписи финансовых документов",
            Role::HumanResources => "Сотрудник отдела кадров",
            Role::Employee => "Сотрудник организации",
            Role::InformationSystem => "Информационная система",
        }
    }

    /// The role's name in English.
    pub fn name_en(self) -> &'static str {
        match self {
            Role::Individual => "Individual",
            Role::LegalEntity => "Legal entity",
            Role::FirstHead => "First head",
            Role::RightToSign => "Person with the right to sign",
            Role::FinancialSigner => "Person with the right to sign financial documents",
            Role::HumanResources => "Human resources officer",
            Role::Employee => "Employee",
            Role::InformationSystem => "Information system",
        }
    }
}

/// Role names in the three languages, for reports and pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleNames {
    /// Kazakh.
    pub kk: &'static str,
    /// Russian.
    pub ru: &'static str,
    /// English.
    pub en: &'static str,
}

/// Who the certificate belongs to. Identifiers are taken as written in the certificate (test PKIs use
/// placeholders that fail the checksum); requests are checked against them by exact comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectProfile {
    /// The IIN, from SERIALNUMBER.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iin: Option<String>,
    /// The BIN, from OU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    /// CN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// SURNAME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// `GIVENNAME` in the NCA profile is the patronymic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patronymic: Option<String>,
    /// O.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// emailAddress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Every NCA role found in extended key usage, most general first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
}

impl SubjectProfile {
    /// The profile of a subject given as its attributes — each attribute type's OID (the DER contents octets)
    /// with its value as text, in the order of the name — and its extended key usage OIDs. `pki` decodes the
    /// certificate; this reads the NCA's conventions into it.
    pub fn from_attributes<'a>(
        attributes: impl IntoIterator<Item = (&'a [u8], String)>,
        eku_oids: &[ObjectIdentifier],
    ) -> SubjectProfile {
        let mut p = SubjectProfile::default();
        for (oid, text) in attributes {
            let text = text.trim().to_string();
            match oid {
                o if o == attr::COMMON_NAME.as_bytes() => p.common_name = Some(text),
                o if o == attr::SURNAME.as_bytes() => p.surname = Some(text),
                o if o == attr::GIVEN_NAME.as_bytes() => p.patronymic = Some(text),
                o if o == attr::ORGANIZATION.as_bytes() => p.organization = Some(text),
                o if o == attr::COUNTRY.as_bytes() => p.country = Some(text),
                o if o == attr::EMAIL.as_bytes() => p.email = Some(text),
                o if o == attr::SERIAL_NUMBER.as_bytes() => {
                    if let Some(n) = identifier_after(&text, "IIN") {
                        p.iin = Some(n);
                    } else if let Some(n) = identifier_after(&text, "BIN") {
                        // Some NCA certificates for legal entities without a person carry the BIN here.
                        p.bin.get_or_insert(n);
                    }
                }
                o if o == attr::ORGANIZATIONAL_UNIT.as_bytes() => {
                    if let Some(n) = identifier_after(&text, "BIN") {
                        p.bin = Some(n);
                    }
                }
                _ => {}
            }
        }
        let mut roles: Vec<Role> = eku_oids.iter().filter_map(Role::from_eku_oid).collect();
        roles.sort();
        roles.dedup();
        p.roles = roles;
        p
    }

    /// The most specific role: a legal-entity role over "legal entity", which is over "individual".
    pub fn primary_role(&self) -> Option<Role> {
        self.roles.iter().max().copied()
    }
}

/// A name stated in a request, to compare with the certificate's holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameClaim {
    /// An individual's full name: surname, given name and patronymic.
    Person(String),
    /// A legal entity's name, possibly followed by its address (as licences print it): it must begin with the
    /// certificate's organisation name.
    Organisation(String),
}

/// Why a stated name does not fit the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// The certificate carries no such name.
    Absent,
    /// It carries another: this one.
    Differs(String),
}

/// A name as compared: upper case, one space between words, one kind of quotation mark.
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| match c {
            '«' | '»' | '“' | '”' | '„' | '\'' => '"',
            'Ё' | 'ё' => 'Е',
            c => c,
        })
        .flat_map(char::to_uppercase)
        .collect()
}

impl SubjectProfile {
    /// The holder's full name as the NCA profile spells it: `CN` (surname and given name), then `GIVENNAME` (the
    /// patronymic), when present.
    pub fn full_name(&self) -> Option<String> {
        let cn = self.common_name.as_deref()?.trim();
        if cn.is_empty() {
            return None;
        }
        Some(match self.patronymic.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => format!("{cn} {p}"),
            _ => cn.to_string(),
        })
    }

    /// Compares a stated name with the certificate's (case, spacing and quotation marks aside).
    pub fn check_name(&self, claim: &NameClaim) -> Result<(), NameProblem> {
        match claim {
            NameClaim::Person(name) => {
                let own = self.full_name().ok_or(NameProblem::Absent)?;
                if normalise(name) == normalise(&own) {
                    Ok(())
                } else {
                    Err(NameProblem::Differs(own))
                }
            }
            NameClaim::Organisation(name) => {
                let own = self
                    .organization
                    .as_deref()
                    .filter(|o| !o.trim().is_empty())
                    .ok_or(NameProblem::Absent)?;
                let (claim, own_n) = (normalise(name), normalise(own));
                let rest = claim.strip_prefix(&own_n);
                match rest {
                    Some(r) if r.is_empty() || r.starts_with([',', ' ', ';']) => Ok(()),
                    _ => Err(NameProblem::Differs(own.to_string())),
                }
            }
        }
    }
}

/// `IIN123456789011` → `123456789011` (12 digits after the prefix, nothing else).
fn identifier_after(text: &str, prefix: &str) -> Option<String> {
    let digits = text.strip_prefix(prefix)?;
    (digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_need_prefix_and_twelve_digits() {
        assert_eq!(
            identifier_after("IIN123456789011", "IIN").as_deref(),
            Some("123456789011")
        );
        assert_eq!(identifier_after("IIN12345678901", "IIN"), None);
        assert_eq!(identifier_after("BIN123456789011", "IIN"), None);
        assert_eq!(identifier_after("IIN12345678901x", "IIN"), None);
    }

    #[test]
    fn names_compare_as_people_read_them() {
        let p = SubjectProfile {
            common_name: Some("ТЕСТОВ ТЕСТ".into()),
            patronymic: Some("ТЕСТОВИЧ".into()),
            organization: Some("ЖШС «ДАЛА ТЕХ»".into()),
            ..Default::default()
        };
        assert_eq!(p.full_name().as_deref(), Some("ТЕСТОВ ТЕСТ ТЕСТОВИЧ"));
        assert_eq!(
            p.check_name(&NameClaim::Person("тестов  тест тестович".into())),
            Ok(())
        );
        assert_eq!(
            p.check_name(&NameClaim::Person("ИВАНОВ ИВАН".into())),
            Err(NameProblem::Differs("ТЕСТОВ ТЕСТ ТЕСТОВИЧ".into()))
        );
        let org = |s: &str| p.check_name(&NameClaim::Organisation(s.into()));
        assert_eq!(
            org("ЖШС \"ДАЛА ТЕХ\", Астана қ., Жеңіс даңғылы, 12"),
            Ok(())
        );
        assert_eq!(org("ЖШС «ДАЛА ТЕХ»"), Ok(()));
        assert!(org("ЖШС «ДАЛА ТЕХНО»").is_err());
        assert_eq!(
            SubjectProfile::default().check_name(&NameClaim::Person("X".into())),
            Err(NameProblem::Absent)
        );
    }

    #[test]
    fn most_specific_role_wins() {
        let p = SubjectProfile {
            roles: vec![Role::LegalEntity, Role::FirstHead],
            ..Default::default()
        };
        assert_eq!(p.primary_role(), Some(Role::FirstHead));
        assert_eq!(Role::FirstHead.name_ru(), "Первый руководитель");
    }
}
