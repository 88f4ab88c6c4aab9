//! Revocation edge cases on the demo PKI, with CRLs made here by rcgen: a forged CRL never hides a revocation,
//! stale CRLs leave the status unknown, certificateHold counts, revocation dates are compared with the validation
//! time, and the NCA's NULL-parameters quirk is accepted.

use crate::common;
use qoltanba::asn1::encode;
use qoltanba::{load_certificates, load_crls};
use qoltanba::{Certificate, Code, RevocationMode, TrustStore, VerifyOptions};
use rcgen::{Issuer, KeyPair, RevocationReason};
use time::macros::datetime;
use time::OffsetDateTime;

use common::demo_pki::{cert, issuing_ca};

fn crl(
    issuer: &Issuer<'static, KeyPair>,
    revoked: &[(&Certificate, OffsetDateTime, RevocationReason)],
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
) -> Vec<u8> {
    common::demo_pki::crl(issuer, revoked, this_update, next_update, 7)
}

/// A store with the demo root's CRL and the given issuing-CA CRLs.
fn store(ca_crls: Vec<Vec<u8>>) -> TrustStore {
    let mut b = TrustStore::builder()
        .anchor(cert("root-ca.pem"))
        .intermediate(cert("issuing-ca.pem"));
    for der in load_crls(&common::project_dir().join("certs/crl/root-ca.crl")).expect("root crl") {
        b.add_crl_der(der).expect("parses");
    }
    for der in ca_crls {
        b.add_crl_der(der).expect("parses");
    }
    b.build()
}

fn at(t: OffsetDateTime) -> VerifyOptions {
    VerifyOptions::at(t.unix_timestamp())
}

const NOW: OffsetDateTime = datetime!(2026-12-01 0:00 UTC);

#[test]
fn forged_crl_never_hides_a_revocation() {
    let revoked = cert("revoked.pem");
    let real = load_crls(&common::project_dir().join("certs/crl/issuing-ca.crl"))
        .expect("crl")
        .remove(0);
    // The forger's CRL has the CA's name, a later thisUpdate, and does not list the revoked certificate.
    let forged = crl(
        &issuing_ca(true),
        &[],
        datetime!(2026-11-20 0:00 UTC),
        datetime!(2027-01-01 0:00 UTC),
    );

    let only_forged = store(vec![forged.clone()]).verify_certificate(&revoked, &[], &at(NOW));
    assert!(!only_forged.valid);
    assert!(
        only_forged.codes.contains(&Code::CertSignatureInvalid),
        "{:?}",
        only_forged
    );
    assert!(only_forged.codes.contains(&Code::RevocationUnknown));

    let both = store(vec![forged, real]).verify_certificate(&revoked, &[], &at(NOW));
    assert_eq!(both.codes, vec![Code::CertRevoked], "{:?}", both.messages);
}

#[test]
fn stale_or_missing_crl_leaves_status_unknown() {
    let leaf = cert("individual-sign.pem");
    let stale = crl(
        &issuing_ca(false),
        &[],
        datetime!(2026-01-01 0:00 UTC),
        datetime!(2026-02-01 0:00 UTC),
    );
    let r = store(vec![stale]).verify_certificate(&leaf, &[], &at(NOW));
    assert_eq!(r.codes, vec![Code::RevocationUnknown]);
    assert!(
        r.messages.iter().any(|m| m.contains("stale")),
        "{:?}",
        r.messages
    );
    assert_eq!(r.indication, qoltanba::Indication::Indeterminate);

    let r = store(vec![]).verify_certificate(&leaf, &[], &at(NOW));
    assert_eq!(r.codes, vec![Code::RevocationUnknown]);

    // Only the end entity: the issuing CA's own status (root CRL) is then not required.
    let mut opts = at(NOW);
    opts.revocation = RevocationMode::None;
    let r = store(vec![]).verify_certificate(&leaf, &[], &opts);
    assert!(r.valid);
    assert_eq!(r.revocation_checked, RevocationMode::None);
}

#[test]
fn hold_counts_and_revocation_date_is_compared_with_validation_time() {
    let leaf = cert("individual-sign.pem");
    let held = crl(
        &issuing_ca(false),
        &[(
            &leaf,
            datetime!(2026-10-01 0:00 UTC),
            RevocationReason::CertificateHold,
        )],
        datetime!(2026-11-01 0:00 UTC),
        datetime!(2027-11-01 0:00 UTC),
    );
    let s = store(vec![held]);
    let r = s.verify_certificate(&leaf, &[], &at(NOW));
    assert_eq!(r.codes, vec![Code::CertRevoked]);
    assert!(
        r.messages[0].contains("certificateHold"),
        "{:?}",
        r.messages
    );
    // Before the hold, the key was good.
    let r = s.verify_certificate(&leaf, &[], &at(datetime!(2026-09-01 0:00 UTC)));
    assert!(r.valid, "{:?}", r.messages);
}

#[test]
fn leaf_mode_checks_only_the_end_entity() {
    let leaf = cert("individual-sign.pem");
    let ca_crl = load_crls(&common::project_dir().join("certs/crl/issuing-ca.crl"))
        .expect("crl")
        .remove(0);
    let s = TrustStore::builder()
        .anchor(cert("root-ca.pem"))
        .intermediate(cert("issuing-ca.pem"))
        .crl_der(ca_crl)
        .expect("parses")
        .build();
    let all = s.verify_certificate(&leaf, &[], &at(NOW));
    assert_eq!(
        all.codes,
        vec![Code::RevocationUnknown],
        "the root's CRL is missing"
    );
    let mut opts = at(NOW);
    opts.revocation = RevocationMode::Leaf;
    assert!(s.verify_certificate(&leaf, &[], &opts).valid);
}

#[test]
fn nca_null_parameters_quirk_is_accepted() {
    // OpenSSL's RSA CRL has NULL parameters in both AlgorithmIdentifiers. Rebuild it the NCA way: the inner one
    // without parameters, signed again with the CA's key.
    let dir = common::project_dir().join("tests/fixtures/openssl/out");
    let der = load_crls(&dir.join("inter.crl")).expect("crl").remove(0);
    let crl = qoltanba::asn1::Reader::new(&der).read_any().expect("crl");
    let tbs = qoltanba::asn1::Reader::new(crl.value)
        .read_any()
        .expect("tbs");
    let with_null: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
    ];
    let without: &[u8] = &[
        0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
    ];
    let body = tbs.value;
    let pos = body
        .windows(with_null.len())
        .position(|w| w == with_null)
        .expect("inner AlgorithmIdentifier");
    let mut new_body = body[..pos].to_vec();
    new_body.extend_from_slice(without);
    new_body.extend_from_slice(&body[pos + with_null.len()..]);
    let new_tbs = encode(0x30, &new_body);

    let key_pem = std::fs::read_to_string(dir.join("inter.key")).expect("key");
    let key_der = qoltanba::der_blocks(key_pem.as_bytes(), &["PRIVATE KEY"])
        .expect("pem")
        .remove(0);
    let key = ring::signature::RsaKeyPair::from_pkcs8(&key_der).expect("rsa key");
    let mut sig = vec![0u8; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        &new_tbs,
        &mut sig,
    )
    .expect("sign");
    let mut rest = with_null.to_vec(); // outer AlgorithmIdentifier keeps NULL
    rest.extend(encode(0x03, &[&[0u8][..], &sig].concat()));
    let mut content = new_tbs.clone();
    content.extend(&rest);
    let quirky = encode(0x30, &content);

    let load = |name: &str| load_certificates(&dir.join(name)).expect("cert").remove(0);
    let mut b = TrustStore::builder()
        .anchor(load("root.pem"))
        .intermediate(load("inter.pem"));
    b.add_crl_der(load_crls(&dir.join("root.crl")).expect("crl").remove(0))
        .expect("parses");
    b.add_crl_der(quirky).expect("the quirky CRL parses");
    let s = b.build();
    let r = s.verify_certificate(&load("leaf-revoked.pem"), &[], &at(NOW));
    assert_eq!(r.codes, vec![Code::CertRevoked], "{:?}", r.messages);
    let r = s.verify_certificate(&load("leaf-rsa.pem"), &[], &at(NOW));
    assert!(r.valid, "{:?}", r.messages);
}

/// The revocation source policy: OCSP without a configured responder says so and is never silently skipped; a
/// CRL-first policy answers from a fresh CRL without asking OCSP; OCSP first falls back to the same CRL.
#[test]
fn the_revocation_source_is_applied_in_its_order() {
    let revoked = cert("revoked.pem");
    let real = load_crls(&common::project_dir().join("certs/crl/issuing-ca.crl"))
        .expect("crl")
        .remove(0);
    let with = |source: qoltanba::RevocationSource| {
        let mut o = at(NOW);
        o.source = source;
        o
    };
    // OCSP only, and no responder configured: unknown, saying why.
    let r = store(vec![real.clone()]).verify_certificate(
        &revoked,
        &[],
        &with(qoltanba::RevocationSource::Ocsp),
    );
    assert!(
        r.codes.contains(&Code::RevocationUnknown),
        "{:?}",
        r.messages
    );
    assert!(
        r.messages
            .iter()
            .any(|m| m.contains("no OCSP responder is configured")),
        "{:?}",
        r.messages
    );
    // CRL first, and OCSP first falling back to the CRL: the CRL's revocation either way.
    for source in [
        qoltanba::RevocationSource::CrlThenOcsp,
        qoltanba::RevocationSource::OcspThenCrl,
    ] {
        let r = store(vec![real.clone()]).verify_certificate(&revoked, &[], &with(source));
        assert_eq!(
            r.codes,
            vec![Code::CertRevoked],
            "{source:?}: {:?}",
            r.messages
        );
    }
    // With no CRL for the issuing CA, OCSP first and no responder: unknown, naming both sources.
    let r = store(vec![]).verify_certificate(
        &revoked,
        &[],
        &with(qoltanba::RevocationSource::OcspThenCrl),
    );
    assert_eq!(r.codes, vec![Code::RevocationUnknown], "{:?}", r.messages);
    assert!(
        r.messages[0].contains("no OCSP responder is configured"),
        "{:?}",
        r.messages
    );
}

/// An OCSP answer larger than any real one is refused before it is parsed.
#[test]
fn an_oversized_ocsp_answer_is_refused_unread() {
    let issuer = cert("issuing-ca.pem");
    let id =
        qoltanba::OcspCertId::new(&issuer, &[1], qoltanba::CertIdHash::Sha256).expect("cert id");
    let check = qoltanba::OcspCheck {
        cert_id: &id,
        nonce: None,
        issuer: &issuer,
        trusted_responders: &[],
        responder_not_revoked: &|_, _| false,
        now: qoltanba::UnixTime::from_secs(NOW.unix_timestamp()),
        skew_secs: 300,
        max_age_secs: 3600,
    };
    let huge = vec![0x30; qoltanba::MAX_OCSP_RESPONSE + 1];
    match qoltanba::check_ocsp_response(&huge, &check) {
        Err(qoltanba::OcspUnavailable::Malformed(why)) => {
            assert!(why.contains("more than"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}
