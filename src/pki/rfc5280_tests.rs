//! RFC 5280's path rules, checked on small hierarchies made here (rcgen, P-256), so a clone without the NIST and
//! NCA test data (the oracle half) still checks them: path length with self-issued certificates (§4.2.1.9,
//! §6.1.4 (l)), name chaining (§6.1.3 (a)(4)), CRL scope (§5.2.5, §6.3.3 (b)) and revocation reasons (§5.3.1).

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CrlIssuingDistributionPoint, CrlScope, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use time::macros::datetime;

use super::{Certificate, Code, RevocationMode, TrustStore, VerifyOptions};

const CRL_URL: &str = "http://crl.example.kz/ca.crl";

/// 2027-01-01T00:00:00Z: inside every validity below.
const AT: i64 = 1_798_761_600;

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: Vec<u8>,
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

fn params(subject: &str, serial: u8, ca: Option<Option<u8>>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(subject);
    p.serial_number = Some(SerialNumber::from_slice(&[0x52, serial]));
    p.not_before = datetime!(2026-01-01 0:00 UTC);
    p.not_after = datetime!(2030-01-01 0:00 UTC);
    p.use_authority_key_identifier_extension = true;
    match ca {
        Some(path_len) => {
            p.is_ca = IsCa::Ca(match path_len {
                Some(n) => BasicConstraints::Constrained(n),
                None => BasicConstraints::Unconstrained,
            });
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        }
        None => {
            p.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ];
            p.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![CRL_URL.into()],
            }];
        }
    }
    p
}

fn key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key")
}

fn root() -> Ca {
    let key = key();
    let p = params("Test Root", 1, Some(None));
    let der = p.self_signed(&key).expect("root").der().to_vec();
    Ca {
        issuer: Issuer::new(p, key),
        der,
    }
}

fn ca_under(parent: &Ca, p: CertificateParams) -> Ca {
    let key = key();
    let der = p
        .signed_by(&key, &parent.issuer)
        .expect("ca")
        .der()
        .to_vec();
    Ca {
        issuer: Issuer::new(p, key),
        der,
    }
}

fn leaf_under(parent: &Ca, subject: &str, serial: u8) -> Vec<u8> {
    params(subject, serial, None)
        .signed_by(&key(), &parent.issuer)
        .expect("leaf")
        .der()
        .to_vec()
}

fn cert(der: &[u8]) -> Certificate {
    Certificate::from_der(der).expect("parse")
}

fn store(root: &Ca, intermediates: &[&Ca], crls: Vec<Vec<u8>>) -> TrustStore {
    let mut b = TrustStore::builder();
    b.add_anchor(cert(&root.der));
    for ca in intermediates {
        b.add_intermediate(cert(&ca.der));
    }
    for crl in crls {
        b.add_crl_der(crl).expect("crl");
    }
    b.build()
}

fn codes(store: &TrustStore, leaf: &[u8], revocation: RevocationMode) -> Vec<Code> {
    let mut opts = VerifyOptions::at(AT);
    opts.revocation = revocation;
    store.verify_certificate(&cert(leaf), &[], &opts).codes
}

fn crl(by: &Ca, revoked: &[(u8, Option<RevocationReason>)], scope: Option<CrlScope>) -> Vec<u8> {
    CertificateRevocationListParams {
        this_update: datetime!(2026-12-01 0:00 UTC),
        next_update: datetime!(2027-06-01 0:00 UTC),
        crl_number: SerialNumber::from_slice(&[1]),
        issuing_distribution_point: scope.map(|scope| CrlIssuingDistributionPoint {
            distribution_point: CrlDistributionPoint {
                uris: vec![CRL_URL.into()],
            },
            scope: Some(scope),
        }),
        revoked_certs: revoked
            .iter()
            .map(|&(serial, reason_code)| RevokedCertParams {
                serial_number: SerialNumber::from_slice(&[0x52, serial]),
                revocation_time: datetime!(2026-11-01 0:00 UTC),
                reason_code,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(&by.issuer)
    .expect("crl")
    .der()
    .to_vec()
}

#[test]
fn path_length_counts_intermediates_but_not_self_issued_ones() {
    let root = root();
    // CA 1 allows no further CA below it.
    let ca1 = ca_under(&root, params("CA 1", 2, Some(Some(0))));
    let ca2 = ca_under(&ca1, params("CA 2", 3, Some(None)));
    let leaf = leaf_under(&ca2, "Leaf", 10);
    let s = store(&root, &[&ca1, &ca2], Vec::new());
    assert_eq!(
        codes(&s, &leaf, RevocationMode::None),
        [Code::CaConstraints],
        "CA 2 below CA 1 (pathLen 0) exceeds the path length"
    );

    // A self-issued certificate (CA 1's new key, certified under its old one: same name) does not count.
    let rollover = ca_under(&ca1, params("CA 1", 4, Some(None)));
    let leaf = leaf_under(&rollover, "Leaf", 11);
    let s = store(&root, &[&ca1, &rollover], Vec::new());
    assert_eq!(codes(&s, &leaf, RevocationMode::None), Vec::<Code>::new());
}

#[test]
fn names_must_chain_not_only_keys() {
    let root = root();
    let ca = ca_under(&root, params("Issuing CA", 2, Some(None)));
    // Signed with the CA's key, but naming another issuer: RFC 5280 chains by name, so no path exists.
    let mut p = params("Leaf", 10, None);
    p.use_authority_key_identifier_extension = false;
    let other = Issuer::new(
        params("Somebody Else", 9, Some(None)),
        KeyPair::from_pem(&ca.issuer.key().serialize_pem()).expect("same key"),
    );
    let leaf = p.signed_by(&key(), &other).expect("leaf").der().to_vec();
    let s = store(&root, &[&ca], Vec::new());
    assert_eq!(
        codes(&s, &leaf, RevocationMode::None),
        [Code::ChainUntrusted]
    );
    // The same key under the right name chains.
    let leaf = leaf_under(&ca, "Leaf", 11);
    assert_eq!(codes(&s, &leaf, RevocationMode::None), Vec::<Code>::new());
}

#[test]
fn a_crl_covers_only_its_scope() {
    let root = root();
    let ca = ca_under(&root, params("Issuing CA", 2, Some(None)));
    let leaf = leaf_under(&ca, "Leaf", 10);
    let root_crl = crl(&root, &[], None);
    // A CRL of CA certificates only says nothing about an end entity: its status is unknown.
    let s = store(
        &root,
        &[&ca],
        vec![root_crl.clone(), crl(&ca, &[], Some(CrlScope::CaCertsOnly))],
    );
    assert_eq!(
        codes(&s, &leaf, RevocationMode::All),
        [Code::RevocationUnknown]
    );
    // A CRL of user certificates covers it.
    let s = store(
        &root,
        &[&ca],
        vec![root_crl, crl(&ca, &[], Some(CrlScope::UserCertsOnly))],
    );
    assert_eq!(codes(&s, &leaf, RevocationMode::All), Vec::<Code>::new());
}

#[test]
fn a_revoked_certificate_reports_its_reason_and_a_crl_of_another_ca_counts_for_nothing() {
    let root = root();
    let ca = ca_under(&root, params("Issuing CA", 2, Some(None)));
    let other = ca_under(&root, params("Other CA", 3, Some(None)));
    let leaf = leaf_under(&ca, "Leaf", 10);
    let root_crl = crl(&root, &[], None);

    let s = store(
        &root,
        &[&ca],
        vec![
            root_crl.clone(),
            crl(&ca, &[(10, Some(RevocationReason::KeyCompromise))], None),
        ],
    );
    let mut opts = VerifyOptions::at(AT);
    opts.revocation = RevocationMode::All;
    let report = s.verify_certificate(&cert(&leaf), &[], &opts);
    assert_eq!(report.codes, [Code::CertRevoked]);
    assert!(
        report.messages.join(" ").contains("keyCompromise"),
        "{:?}",
        report.messages
    );

    // The same serial on another CA's CRL is not this certificate, and that CRL does not cover it.
    let s = store(
        &root,
        &[&ca, &other],
        vec![
            root_crl,
            crl(&other, &[(10, Some(RevocationReason::KeyCompromise))], None),
        ],
    );
    assert_eq!(
        codes(&s, &leaf, RevocationMode::All),
        [Code::RevocationUnknown]
    );
}

/// Reports say which revocation check was asked by its name (a contract: `revocationChecked`).
#[test]
fn the_revocation_mode_serialises_as_its_name() {
    for mode in [
        RevocationMode::All,
        RevocationMode::Leaf,
        RevocationMode::None,
    ] {
        assert_eq!(
            serde_json::to_value(mode).expect("json"),
            serde_json::json!(mode.as_str())
        );
    }
}

/// A signer's certificate is checked against its issuer once: the answer is kept by the certificate's SHA-256,
/// which binds every byte it signed, so a forged copy (another signature, so another fingerprint) is checked on
/// its own and fails every time.
#[test]
fn signer_certificate_signatures_are_checked_once_and_forgeries_every_time() {
    let root = root();
    let store = store(&root, &[], Vec::new());
    let good = leaf_under(&root, "Signer", 1);
    let cached = || store.leaf_signature_cache.read().expect("cache").len();
    assert_eq!(cached(), 0);
    assert!(!codes(&store, &good, RevocationMode::None).contains(&Code::CertSignatureInvalid));
    assert_eq!(cached(), 1);
    assert!(!codes(&store, &good, RevocationMode::None).contains(&Code::CertSignatureInvalid));
    assert_eq!(
        cached(),
        1,
        "the second verification is answered from the cache"
    );

    let mut forged = good.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    for _ in 0..2 {
        let c = codes(&store, &forged, RevocationMode::None);
        assert!(c.contains(&Code::CertSignatureInvalid), "{c:?}");
    }
    assert_eq!(cached(), 2);
    let entry = store
        .leaf_signature_cache
        .read()
        .expect("cache")
        .get(&(cert(&forged).fingerprint, 0))
        .cloned();
    assert!(matches!(entry, Some(Err(_))), "{entry:?}");
}
