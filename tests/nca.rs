//! The real NCA test PKI (../shared/conformance/nca-test-pki): identity and role of every end-entity
//! certificate, GOST signatures and the GOST CRL reported as UNSUPPORTED_ALGORITHM (never valid, never a crash),
//! and the legacy RSA hierarchy verified for real.

mod common;

use qoltanba::identity::Role;
use qoltanba::pki::load::load_certificates;

const AT: &str = "2026-12-01T00:00:00Z";

#[test]
fn identity_and_role_of_every_gost_end_entity() {
    let Some(conf) = common::conformance_dir() else {
        return;
    };
    let pem = conf.join("nca-test-pki/gost2015/pem");
    // (file, IIN, legal entity, common name, surname, patronymic, roles) as the certificates say.
    type Expected = (
        &'static str,
        Option<&'static str>,
        bool,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        &'static [Role],
    );
    let person1 = ("ТЕСТОВ ТЕСТ", Some("ТЕСТОВ"), Some("ТЕСТОВИЧ"));
    let person2 = ("ТЕСТТОВ ТЕСТТ", Some("ТЕСТТОВ"), Some("ТЕСТТОВИЧ"));
    let system = ("ИС \"Тест\"", None, None);
    let row = |file,
               iin,
               legal,
               who: (&'static str, Option<&'static str>, Option<&'static str>),
               roles|
     -> Expected { (file, iin, legal, who.0, who.1, who.2, roles) };
    let expect: Vec<Expected> = vec![
        row(
            "individual_revoked_individual_revoked",
            Some("123456789011"),
            false,
            person1,
            &[Role::Individual],
        ),
        row(
            "individual_valid_individual_valid",
            Some("123456789011"),
            false,
            person1,
            &[Role::Individual],
        ),
        row(
            "legal_revoked_employee",
            Some("123456789012"),
            true,
            person2,
            &[Role::LegalEntity, Role::Employee],
        ),
        row(
            "legal_revoked_employee_signright",
            Some("123456789012"),
            true,
            person2,
            &[Role::LegalEntity, Role::RightToSign],
        ),
        row(
            "legal_revoked_head",
            Some("123456789011"),
            true,
            person1,
            &[Role::LegalEntity, Role::FirstHead],
        ),
        // The NCA's "infosystem" test key carries 1.2.398.5.19.1.2.2.1, not the .2.6 role OID.
        row(
            "legal_revoked_infosystem",
            Some("123456789012"),
            true,
            person2,
            &[Role::LegalEntity],
        ),
        row(
            "legal_revoked_treasury_client",
            None,
            true,
            system,
            &[Role::LegalEntity, Role::InformationSystem],
        ),
        row(
            "legal_valid_employee",
            Some("123456789012"),
            true,
            person2,
            &[Role::LegalEntity, Role::Employee],
        ),
        row(
            "legal_valid_employee_signright",
            Some("123456789012"),
            true,
            person2,
            &[Role::LegalEntity, Role::RightToSign],
        ),
        row(
            "legal_valid_head",
            Some("123456789011"),
            true,
            person1,
            &[Role::LegalEntity, Role::FirstHead],
        ),
        row(
            "legal_valid_infosystem",
            Some("123456789012"),
            true,
            person2,
            &[Role::LegalEntity],
        ),
        row(
            "legal_valid_treasury_client",
            None,
            true,
            system,
            &[Role::LegalEntity, Role::InformationSystem],
        ),
    ];
    let files = std::fs::read_dir(&pem).expect("pem dir").count();
    assert_eq!(files, expect.len(), "every certificate is listed here");
    for (name, iin, legal, cn, surname, patronymic, roles) in expect {
        let cert = load_certificates(&pem.join(format!("{name}.pem")))
            .expect(name)
            .remove(0);
        let p = &cert.profile;
        assert_eq!(p.iin.as_deref(), iin, "{name}");
        assert_eq!(
            p.bin.as_deref(),
            if legal { Some("123456789021") } else { None },
            "{name}"
        );
        assert_eq!(p.common_name.as_deref(), Some(cn), "{name}");
        assert_eq!(p.surname.as_deref(), surname, "{name}");
        assert_eq!(p.patronymic.as_deref(), patronymic, "{name}");
        assert_eq!(p.country.as_deref(), Some("KZ"), "{name}");
        if legal {
            assert_eq!(p.organization.as_deref(), Some("АО \"ТЕСТ\""), "{name}");
        }
        assert_eq!(p.roles, roles, "{name}");
        assert_eq!(cert.signature_algorithm.oid, "1.2.398.3.10.1.1.2.3.2");
        assert_eq!(cert.public_key.algorithm.oid, "1.2.398.3.10.1.1.2.2");
    }
}

#[test]
fn gost_signatures_and_crl_are_unsupported_until_the_gost_issue() {
    let Some(conf) = common::conformance_dir() else {
        return;
    };
    let g = conf.join("nca-test-pki/gost2015");
    let arg = |p: &str| g.join(p).to_string_lossy().into_owned();
    for entry in std::fs::read_dir(g.join("pem")).expect("pem dir") {
        let path = entry.expect("entry").path().to_string_lossy().into_owned();
        let (code, report) = common::run_json(&[
            "verify-cert",
            "--cert",
            &path,
            "--trust",
            &arg("root_test_gost_2022.cer"),
            "--intermediates",
            &arg("nca_gost2022_test.cer"),
            "--crl",
            &arg("nca_gost2022_test.crl"),
            "--at",
            AT,
            "--revocation",
            "leaf",
        ]);
        assert_eq!(code, 1, "{path}: {report}");
        assert_eq!(report["valid"], false);
        assert_eq!(report["indication"], "INDETERMINATE", "{path}");
        let codes = common::codes(&report);
        assert!(
            codes.contains(&"UNSUPPORTED_ALGORITHM".to_string()),
            "{path}: {codes:?}"
        );
        let messages = report["messages"].to_string();
        assert!(
            messages.contains("CRL"),
            "the GOST CRL is reported too: {messages}"
        );
        // The chain was found (names, AKI/SKI) even though its signatures cannot be checked yet.
        assert_eq!(report["chain"].as_array().map(Vec::len), Some(3), "{path}");
    }
}

#[test]
fn legacy_rsa_hierarchy_verifies_for_real() {
    let Some(conf) = common::conformance_dir() else {
        return;
    };
    let l = conf.join("nca-test-pki/legacy");
    let arg = |p: &str| l.join(p).to_string_lossy().into_owned();
    let run = |cert: &str, at: &str, extra: &[&str]| {
        let cert = arg(cert);
        let trust = arg("ca/nca_rsa_test.crt");
        let crl = arg("crl/nca_rsa_test.crl");
        let mut args = vec![
            "verify-cert",
            "--cert",
            &cert,
            "--trust",
            &trust,
            "--crl",
            &crl,
            "--at",
            at,
        ];
        args.extend_from_slice(extra);
        common::run_json(&args)
    };
    // In 2022 the signing key was good and its CRL fresh.
    let (code, r) = run(
        "certs/individual_valid_sign_2004_rsa.cer",
        "2022-06-01T00:00:00Z",
        &["--iin", "123456789011"],
    );
    // The test IIN fails the checksum: a request may not carry it.
    assert_eq!(code, 2, "{r}");
    let (code, r) = run(
        "certs/individual_valid_sign_2004_rsa.cer",
        "2022-06-01T00:00:00Z",
        &[],
    );
    assert_eq!((code, common::codes(&r)), (0, vec![]), "{r}");
    assert_eq!(r["subject"]["role"], "individual");
    // The AUTH key may not sign.
    let (code, r) = run(
        "certs/individual_valid_sign_2004_rsa_auth.cer",
        "2022-06-01T00:00:00Z",
        &[],
    );
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["KEY_USAGE".to_string()])
    );
    let (code, _) = run(
        "certs/individual_valid_sign_2004_rsa_auth.cer",
        "2022-06-01T00:00:00Z",
        &["--purpose", "auth"],
    );
    assert_eq!(code, 0);
    // Today: expired, and the CRL is stale.
    let (code, r) = run("certs/individual_valid_sign_2004_rsa.cer", AT, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        common::codes(&r),
        vec!["CERT_EXPIRED".to_string(), "REVOCATION_UNKNOWN".to_string()]
    );
    assert!(r["messages"].to_string().contains("stale"));
    // One flipped bit in the signature.
    let mut der = qoltanba::pki::load::der_blocks(
        &std::fs::read(l.join("certs/individual_valid_sign_2004_rsa.cer")).expect("cert"),
        &["CERTIFICATE"],
    )
    .expect("pem")
    .remove(0);
    let n = der.len();
    der[n - 5] ^= 0x10;
    let dir = tempfile::tempdir().expect("tempdir");
    let flipped = dir.path().join("flipped.der");
    std::fs::write(&flipped, der).expect("write");
    let (code, r) = run(
        flipped.to_str().expect("utf-8"),
        "2022-06-01T00:00:00Z",
        &[],
    );
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["CERT_SIGNATURE_INVALID".to_string()])
    );
}
