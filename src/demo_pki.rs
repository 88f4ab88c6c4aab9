//! The demo PKI in the NCA profile (`qoltanba demo-pki`): a root, an issuing CA, the kinds of end-entity keys
//! citizens and companies hold, the provider's authorised signer, an expired and a revoked certificate, and the
//! CRLs of both CAs. Everything is built in memory; the CLI writes the files. ECDSA P-256 keeps it small and
//! fast (the real NCA uses GOST, which the GOST issue adds).
//!
//! Dates are fixed, not taken from the clock, so the committed files mean the same thing on every machine: CAs
//! from 2020, end entities 2026-01-01 → 2031-01-01, CRLs issued 2026-11-01 with nextUpdate 2030-12-31.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use thiserror::Error;
use time::macros::datetime;
use time::OffsetDateTime;

use crate::identity::check_digit;

/// Why the demo PKI could not be made.
#[derive(Debug, Error)]
pub enum DemoPkiError {
    /// Certificate generation failed: …
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// The built-in demo provider identity is unusable: …
    #[error("the built-in demo provider identity is unusable: {0}")]
    Provider(String),
}

/// The demo provider's key, certificate and issuing CA, built into the binary (`certs/` holds their source).
const PROVIDER_KEY: &[u8] = include_bytes!("../certs/provider-signer.key.pem");
const PROVIDER_CERT: &[u8] = include_bytes!("../certs/provider-signer.pem");
const ISSUING_CA: &[u8] = include_bytes!("../certs/issuing-ca.pem");

const ROOT_CA: &[u8] = include_bytes!("../certs/root-ca.pem");
const ROOT_CRL: &[u8] = include_bytes!("../certs/crl/root-ca.crl");
const ISSUING_CRL: &[u8] = include_bytes!("../certs/crl/issuing-ca.crl");

/// The embedded default's trust store: the demo root, the issuing CA, the provider's certificate (so compact seals
/// resolve) and both CRLs.
pub fn default_store() -> Result<crate::pki::TrustStore, DemoPkiError> {
    let bad = |e: String| DemoPkiError::Provider(e);
    let certs = |pem: &[u8], name: &str| {
        crate::pki::load::parse_certificates(pem, std::path::Path::new(name))
            .map_err(|e| bad(e.to_string()))
    };
    let mut b = crate::pki::TrustStore::builder();
    for c in certs(ROOT_CA, "certs/root-ca.pem")? {
        b.add_anchor(c);
    }
    for c in certs(ISSUING_CA, "certs/issuing-ca.pem")?
        .into_iter()
        .chain(certs(PROVIDER_CERT, "certs/provider-signer.pem")?)
    {
        b.add_intermediate(c);
    }
    for crl in [ROOT_CRL, ISSUING_CRL] {
        for der in
            crate::encoding::pem::der_blocks(crl, &["X509 CRL"]).map_err(|e| bad(e.to_string()))?
        {
            b.add_crl_der(der).map_err(|e| bad(e.to_string()))?;
        }
    }
    Ok(b.build())
}

/// The demo provider's signing identity (the authorised person of the demo Ministry), for the embedded default.
pub fn provider_signer() -> Result<crate::cms::CmsSigner, DemoPkiError> {
    let bad = |e: String| DemoPkiError::Provider(e);
    let key = crate::credentials::read_signing_identity(PROVIDER_KEY, None)
        .map_err(|e| bad(e.to_string()))?;
    let path = std::path::Path::new("certs/provider-signer.pem");
    let cert = crate::pki::load::parse_certificates(PROVIDER_CERT, path)
        .map_err(|e| bad(e.to_string()))?
        .remove(0);
    let chain = crate::pki::load::parse_certificates(
        ISSUING_CA,
        std::path::Path::new("certs/issuing-ca.pem"),
    )
    .map_err(|e| bad(e.to_string()))?;
    crate::cms::CmsSigner::new(key.key, cert, chain).map_err(|e| bad(e.to_string()))
}

/// The demo provider's certificate, parsed once.
fn demo_certificate() -> Option<&'static crate::pki::Certificate> {
    static CERT: std::sync::OnceLock<Option<crate::pki::Certificate>> = std::sync::OnceLock::new();
    CERT.get_or_init(|| {
        crate::pki::load::parse_certificates(
            PROVIDER_CERT,
            std::path::Path::new("certs/provider-signer.pem"),
        )
        .ok()?
        .into_iter()
        .next()
    })
    .as_ref()
}

/// Whether `cert` is the demo provider's, whose key is published in the repository.
pub(crate) fn is_demo_certificate(cert: &crate::pki::Certificate) -> bool {
    demo_certificate().is_some_and(|d| d.fingerprint == cert.fingerprint)
}

/// The embedded default's issuers: the demo provider alone, marked as the demonstration it is.
pub fn issuers() -> Result<crate::seal::Issuers, DemoPkiError> {
    let cert = demo_certificate()
        .ok_or_else(|| DemoPkiError::Provider("the built-in provider certificate".into()))?;
    Ok(
        crate::seal::Issuers::new(vec![crate::seal::IssuerRule::certificate(
            "Qoltanba demo provider (published key: demonstrations only)",
            cert,
        )])
        .with_demo(cert.fingerprint),
    )
}

/// One file of the demo PKI: a path relative to the output directory and its contents.
pub struct DemoFile {
    /// Where it goes, relative to `certs/`.
    pub path: String,
    /// What it holds.
    pub contents: Vec<u8>,
}

/// Identifiers used by the demo end entities (all pass the checksum).
pub(crate) mod ids {
    /// The individual (signing and auth keys, and the revoked and expired keys belong to other people).
    pub(crate) const INDIVIDUAL_IIN: &str = "870412300129";
    #[cfg(test)]
    pub(crate) const LEGAL_BIN: &str = super::DEMO_BIN;
}

const DEMO_BIN: &str = "040840001231";

/// Appends the check digit to 11 digits.
fn with_check(first11: &str) -> String {
    let mut d = [0u8; 11];
    for (slot, c) in d.iter_mut().zip(first11.bytes()) {
        *slot = c.wrapping_sub(b'0');
    }
    match check_digit(&d) {
        Some(c) => format!("{first11}{c}"),
        None => format!("{first11}0"),
    }
}

struct Person<'a> {
    file: &'a str,
    cn: &'a str,
    surname: &'a str,
    patronymic: &'a str,
    iin: String,
    org: Option<(&'a str, String)>,
    roles: &'a [&'a [u64]],
    usage: Usage,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

#[derive(Clone, Copy)]
enum Usage {
    Sign,
    Auth,
}

const EKU_INDIVIDUAL: &[u64] = &[1, 2, 398, 3, 3, 4, 1, 1];
const EKU_LEGAL: &[u64] = &[1, 2, 398, 3, 3, 4, 1, 2];
const EKU_FIRST_HEAD: &[u64] = &[1, 2, 398, 3, 3, 4, 1, 2, 1];
const EKU_RIGHT_TO_SIGN: &[u64] = &[1, 2, 398, 3, 3, 4, 1, 2, 2];
const EKU_EMPLOYEE: &[u64] = &[1, 2, 398, 3, 3, 4, 1, 2, 5];

const ROOT_CRL_URL: &str = "http://demo.qoltanba.invalid/crl/root-ca.crl";
const CA_CRL_URL: &str = "http://demo.qoltanba.invalid/crl/issuing-ca.crl";

fn serial(n: u8) -> SerialNumber {
    // Recognisable, stable serials: 0x51 ("Q") then the certificate number.
    SerialNumber::from_slice(&[0x51, 0x0b, 0xa0, n])
}

fn ca_params(
    dn: DistinguishedName,
    path_len: u8,
    crl_url: Option<&str>,
    validity: (OffsetDateTime, OffsetDateTime),
) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(path_len));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (p.not_before, p.not_after) = validity;
    p.use_authority_key_identifier_extension = true;
    if let Some(url) = crl_url {
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![url.to_string()],
        }];
    }
    p
}

fn printable(s: &str) -> rcgen::DnValue {
    match rcgen::string::PrintableString::try_from(s) {
        Ok(p) => rcgen::DnValue::PrintableString(p),
        Err(_) => rcgen::DnValue::Utf8String(s.to_string()),
    }
}

fn person_params(p: &Person<'_>, n: u8) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, p.cn);
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 4]), p.surname);
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 5]),
        printable(&format!("IIN{}", p.iin)),
    );
    dn.push(DnType::CountryName, printable("KZ"));
    if let Some((org, bin)) = &p.org {
        dn.push(DnType::OrganizationName, *org);
        dn.push(
            DnType::OrganizationalUnitName,
            printable(&format!("BIN{bin}")),
        );
    }
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 42]), p.patronymic);
    params.distinguished_name = dn;
    params.serial_number = Some(serial(n));
    params.not_before = p.not_before;
    params.not_after = p.not_after;
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = match p.usage {
        Usage::Sign => vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ],
        Usage::Auth => vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ],
    };
    let mut eku = vec![match p.usage {
        Usage::Sign => ExtendedKeyUsagePurpose::EmailProtection,
        Usage::Auth => ExtendedKeyUsagePurpose::ClientAuth,
    }];
    eku.extend(
        p.roles
            .iter()
            .map(|oid| ExtendedKeyUsagePurpose::Other(oid.to_vec())),
    );
    params.extended_key_usages = eku;
    params.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![CA_CRL_URL.to_string()],
    }];
    params
}

/// Generates the demo PKI. Keys are fresh on every run; names, serials and dates are fixed.
pub fn generate() -> Result<Vec<DemoFile>, DemoPkiError> {
    let mut files = Vec::new();
    let mut put = |path: &str, contents: String| {
        files.push(DemoFile {
            path: path.to_string(),
            contents: contents.into_bytes(),
        })
    };

    let mut root_dn = DistinguishedName::new();
    root_dn.push(DnType::CommonName, "Qoltanba Demo Root CA");
    root_dn.push(DnType::OrganizationName, "Qoltanba Demo");
    root_dn.push(DnType::CountryName, printable("KZ"));
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut root_params = ca_params(
        root_dn,
        1,
        None,
        (
            datetime!(2020-01-01 0:00 UTC),
            datetime!(2045-12-31 0:00 UTC),
        ),
    );
    root_params.serial_number = Some(serial(1));
    let root_cert = root_params.self_signed(&root_key)?;
    put("root-ca.pem", root_cert.pem());
    put("root-ca.key.pem", root_key.serialize_pem());
    let root = Issuer::new(root_params, root_key);

    let mut ca_dn = DistinguishedName::new();
    ca_dn.push(DnType::CommonName, "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (DEMO)");
    ca_dn.push(DnType::CountryName, printable("KZ"));
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut ca_params = ca_params(
        ca_dn,
        0,
        Some(ROOT_CRL_URL),
        (
            datetime!(2020-01-01 0:00 UTC),
            datetime!(2035-12-31 0:00 UTC),
        ),
    );
    ca_params.serial_number = Some(serial(2));
    let ca_cert = ca_params.signed_by(&ca_key, &root)?;
    put("issuing-ca.pem", ca_cert.pem());
    put("issuing-ca.key.pem", ca_key.serialize_pem());
    let ca = Issuer::new(ca_params, ca_key);

    let valid = (
        datetime!(2026-01-01 0:00 UTC),
        datetime!(2031-01-01 0:00 UTC),
    );
    let legal = Some(("ЖШС «ДАЛА ТЕХ»", DEMO_BIN.to_string()));
    let provider = Some(("ҚР Әділет министрлігі (DEMO)", with_check("98034000115")));
    let people = [
        Person {
            file: "individual-sign",
            cn: "ТЕСТОВ ТЕСТ",
            surname: "ТЕСТОВ",
            patronymic: "ТЕСТОВИЧ",
            iin: ids::INDIVIDUAL_IIN.to_string(),
            org: None,
            roles: &[EKU_INDIVIDUAL],
            usage: Usage::Sign,
            not_before: valid.0,
            not_after: valid.1,
        },
        Person {
            file: "individual-auth",
            cn: "ТЕСТОВ ТЕСТ",
            surname: "ТЕСТОВ",
            patronymic: "ТЕСТОВИЧ",
            iin: ids::INDIVIDUAL_IIN.to_string(),
            org: None,
            roles: &[EKU_INDIVIDUAL],
            usage: Usage::Auth,
            not_before: valid.0,
            not_after: valid.1,
        },
        Person {
            file: "legal-head",
            cn: "ҚАСЫМОВ АЙДОС",
            surname: "ҚАСЫМОВ",
            patronymic: "ЕРЛАНҰЛЫ",
            iin: with_check("80010530012"),
            org: legal.clone(),
            roles: &[EKU_LEGAL, EKU_FIRST_HEAD],
            usage: Usage::Sign,
            not_before: valid.0,
            not_after: valid.1,
        },
        Person {
            file: "legal-employee",
            cn: "ӘБЕНОВА ГҮЛНАР",
            surname: "ӘБЕНОВА",
            patronymic: "СЕРІКҚЫЗЫ",
            iin: with_check("95072140023"),
            org: legal,
            roles: &[EKU_LEGAL, EKU_EMPLOYEE],
            usage: Usage::Sign,
            not_before: valid.0,
            not_after: valid.1,
        },
        Person {
            file: "provider-signer",
            cn: "НҰРЛАНОВ БЕРІК",
            surname: "НҰРЛАНОВ",
            patronymic: "ҚАЙРАТҰЛЫ",
            iin: with_check("76110330045"),
            org: provider,
            roles: &[EKU_LEGAL, EKU_RIGHT_TO_SIGN],
            usage: Usage::Sign,
            not_before: valid.0,
            not_after: valid.1,
        },
        Person {
            file: "expired",
            cn: "ЕСКІ ЕРЖАН",
            surname: "ЕСКІ",
            patronymic: "БОЛАТҰЛЫ",
            iin: with_check("90020230067"),
            org: None,
            roles: &[EKU_INDIVIDUAL],
            usage: Usage::Sign,
            not_before: datetime!(2024-01-01 0:00 UTC),
            not_after: datetime!(2025-01-01 0:00 UTC),
        },
        Person {
            file: "revoked",
            cn: "КЕРІ ҚАЙРАТ",
            surname: "КЕРІ",
            patronymic: "ДӘУЛЕТҰЛЫ",
            iin: with_check("88121530089"),
            org: None,
            roles: &[EKU_INDIVIDUAL],
            usage: Usage::Sign,
            not_before: valid.0,
            not_after: valid.1,
        },
    ];
    let mut revoked_serial = None;
    for (i, person) in people.iter().enumerate() {
        let n = 0x10 + i as u8;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let cert = person_params(person, n).signed_by(&key, &ca)?;
        put(&format!("{}.pem", person.file), cert.pem());
        put(&format!("{}.key.pem", person.file), key.serialize_pem());
        if person.file == "revoked" {
            revoked_serial = Some(serial(n));
        }
    }

    let crl_params = |revoked: Vec<RevokedCertParams>| CertificateRevocationListParams {
        this_update: datetime!(2026-11-01 0:00 UTC),
        next_update: datetime!(2030-12-31 0:00 UTC),
        crl_number: SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs: revoked,
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    };
    let root_crl = crl_params(Vec::new()).signed_by(&root)?;
    put("crl/root-ca.crl", root_crl.pem()?);
    let revoked = revoked_serial
        .map(|serial_number| RevokedCertParams {
            serial_number,
            revocation_time: datetime!(2026-06-01 0:00 UTC),
            reason_code: Some(RevocationReason::KeyCompromise),
            invalidity_date: None,
        })
        .into_iter()
        .collect();
    let ca_crl = crl_params(revoked).signed_by(&ca)?;
    put("crl/issuing-ca.crl", ca_crl.pem()?);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Bin, Iin};

    #[test]
    fn demo_identifiers_pass_the_checksum() {
        assert!(Iin::parse(ids::INDIVIDUAL_IIN).is_ok());
        assert!(Bin::parse(ids::LEGAL_BIN).is_ok());
        assert!(Bin::parse(&with_check("98034000115")).is_ok());
    }
}
