//! The real NCA test PKI (../shared/conformance/nca-test-pki): identity and role of every end-entity
//! certificate, the GOST R 34.10-2015 hierarchy verified for real (root, NCA, end entities, the NCA's CRL), and the
//! legacy RSA and GOST 34.310-2004 hierarchies verified for real.

use crate::common;
use qoltanba::load_certificates;
use qoltanba::Role;

const AT: &str = "2026-12-01T00:00:00Z";

#[test]
fn identity_and_role_of_every_gost_end_entity() {
    let _machine = crate::common::shared_machine();
    let conf = common::tools::conformance_dir();
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
        let p = &cert.profile();
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
        assert_eq!(
            cert.signature_algorithm().oid.to_string(),
            "1.2.398.3.10.1.1.2.3.2"
        );
        assert_eq!(
            cert.public_key().algorithm.oid.to_string(),
            "1.2.398.3.10.1.1.2.2"
        );
    }
}

/// The README's list: which end-entity keys the NCA's CRL revokes.
const NCA_REVOKED: &[&str] = &[
    "individual_revoked_individual_revoked.pem",
    "legal_revoked_employee.pem",
    "legal_revoked_employee_signright.pem",
    "legal_revoked_head.pem",
    "legal_revoked_infosystem.pem",
    "legal_revoked_treasury_client.pem",
    "legal_valid_employee.pem",
    "legal_valid_infosystem.pem",
];

/// GOST R 34.10-2015 (issue 7): every end-entity certificate of the real NCA test PKI verifies through the
/// ordinary path validation — root → NCA → end entity signatures, the NCA's GOST CRL — and is `TOTAL_PASSED` or
/// `CERT_REVOKED` exactly as `../shared/conformance/README.md` lists.
#[test]
fn gost_end_entities_verify_or_are_revoked_as_listed() {
    let _machine = crate::common::shared_machine();
    let conf = common::tools::conformance_dir();
    let g = conf.join("nca-test-pki/gost2015");
    let mut seen = 0;
    for entry in std::fs::read_dir(g.join("pem")).expect("pem dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let (code, report) = verify_gost_cert(&g, &path);
        let codes = common::codes(&report);
        if NCA_REVOKED.contains(&name.as_str()) {
            assert_eq!(code, 1, "{name}: {report}");
            assert_eq!(codes, ["CERT_REVOKED"], "{name}");
            assert_eq!(report["indication"], "TOTAL_FAILED");
        } else {
            assert_eq!(code, 0, "{name}: {report}");
            assert_eq!(report["indication"], "TOTAL_PASSED", "{name}");
        }
        assert_eq!(report["chain"].as_array().map(Vec::len), Some(3), "{name}");
        assert_eq!(
            report["chain"][0]["signatureAlgorithm"], "GOST R 34.10-2015 512-bit (NCA)",
            "{name}"
        );
        seen += 1;
    }
    assert_eq!(seen, 12);
}

/// `qoltanba verify-cert` of `cert` under the GOST 2015 hierarchy in `g`, at [`AT`], leaf revocation (the root's
/// CRL is not in the set).
fn verify_gost_cert(g: &std::path::Path, cert: &std::path::Path) -> (i32, serde_json::Value) {
    let arg = |p: &str| g.join(p).to_string_lossy().into_owned();
    common::run_json(&[
        "verify-cert",
        "--cert",
        &cert.to_string_lossy(),
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
    ])
}

fn nca_file(conf: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(conf.join("nca-test-pki/gost2015").join(name)).expect("read")
}

/// The root's self-signature and the NCA CRL's signature checked directly, and one flipped bit anywhere in a
/// signed certificate is `CERT_SIGNATURE_INVALID`.
#[test]
fn gost_root_self_signature_crl_and_a_flipped_bit() {
    let _machine = crate::common::shared_machine();
    let conf = common::tools::conformance_dir();
    let algorithms = qoltanba::AlgorithmRegistry::global();
    let root =
        qoltanba::Certificate::from_der(&nca_file(&conf, "root_test_gost_2022.cer")).expect("root");
    algorithms
        .verify(
            root.signature_algorithm(),
            root.public_key(),
            root.tbs(),
            root.signature(),
        )
        .expect("the root's self-signature verifies");
    let mut bad = root.signature().to_vec();
    bad[5] ^= 1;
    assert!(algorithms
        .verify(
            root.signature_algorithm(),
            root.public_key(),
            root.tbs(),
            &bad
        )
        .is_err());

    // The NCA's CRL is signed by the NCA: a store holding it verifies it at load (a forged one would be dropped
    // and revocation become unknown); the revoked list above depends on it.
    let nca =
        qoltanba::Certificate::from_der(&nca_file(&conf, "nca_gost2022_test.cer")).expect("nca");
    let crl_der = nca_file(&conf, "nca_gost2022_test.crl");
    let crl = qoltanba::Crl::from_der(&crl_der).expect("crl");
    let tbs = crl.tbs(&crl_der).expect("tbs");
    algorithms
        .verify(
            &crl.signature_algorithm,
            nca.public_key(),
            tbs,
            &crl.signature,
        )
        .expect("the CRL's signature verifies with the NCA's key");

    // A flipped bit in the end entity's signed part: its GOST signature no longer verifies.
    let g = conf.join("nca-test-pki/gost2015");
    let pem =
        std::fs::read_to_string(g.join("pem/individual_valid_individual_valid.pem")).expect("pem");
    let der = qoltanba::der_blocks(pem.as_bytes(), &["CERTIFICATE"]).expect("der")[0].clone();
    let mut flipped = der.clone();
    flipped[300] ^= 0x01;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flipped.der");
    std::fs::write(&path, &flipped).expect("write");
    let (code, report) = verify_gost_cert(&g, &path);
    assert_eq!(code, 1, "{report}");
    assert!(
        common::codes(&report).contains(&"CERT_SIGNATURE_INVALID".to_string()),
        "{report}"
    );
}

/// `verify-cert` of a legacy end-entity certificate against one legacy CA and its CRL.
fn verify_legacy(
    ca: &str,
    crl: &str,
    cert: &str,
    at: &str,
    extra: &[&str],
) -> (i32, serde_json::Value) {
    let l = common::tools::conformance_dir().join("nca-test-pki/legacy");
    let arg = |p: &str| {
        if std::path::Path::new(p).is_absolute() {
            p.to_string()
        } else {
            l.join(p).to_string_lossy().into_owned()
        }
    };
    let (cert, trust, crl) = (arg(cert), arg(ca), arg(crl));
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
}

/// A copy of legacy file `name` (DER, or the first PEM block) with `flip` applied, in `dir`.
fn legacy_altered(dir: &std::path::Path, name: &str, flip: impl Fn(&mut Vec<u8>)) -> String {
    let l = common::tools::conformance_dir().join("nca-test-pki/legacy");
    let raw = std::fs::read(l.join(name)).expect("file");
    let mut der = if raw.starts_with(b"-----") {
        qoltanba::der_blocks(&raw, &["CERTIFICATE"])
            .expect("pem")
            .remove(0)
    } else {
        raw
    };
    flip(&mut der);
    let path = dir.join(name.replace('/', "_"));
    std::fs::write(&path, der).expect("write");
    path.to_string_lossy().into_owned()
}

/// The legacy GOST hierarchy (GOST 34.310-2004: GOST R 34.10-2001 over GOST 34.311-95, signed by Kalkan until
/// 2022): the CA's signature on the certificate and on its CRL verify — the verdict in 2022 needs both.
#[test]
fn legacy_gost_hierarchy_verifies_for_real() {
    let _machine = crate::common::shared_machine();
    let (ca, crl) = ("ca/nca_gost_test.crt", "crl/nca_gost_test.crl");
    let cert = "certs/ceo_valid_sign_2004_gost.cer";
    let in_2022 = "2022-06-01T00:00:00Z";
    let (code, r) = verify_legacy(ca, crl, cert, in_2022, &[]);
    assert_eq!((code, common::codes(&r)), (0, vec![]), "{r}");
    assert_eq!(r["subject"]["role"], "first-head");
    assert_eq!(
        r["chain"][0]["serial"],
        "6cbd4560a33a58c0b07c3363c9ae0674a0838e58"
    );
    // Today: expired, and the CRL is stale.
    let (code, r) = verify_legacy(ca, crl, cert, AT, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        common::codes(&r),
        vec!["CERT_EXPIRED".to_string(), "REVOCATION_UNKNOWN".to_string()]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    // One flipped bit in the certificate's signature (its last bytes).
    let flipped = legacy_altered(dir.path(), cert, |der| {
        let n = der.len();
        der[n - 5] ^= 0x10;
    });
    let (code, r) = verify_legacy(ca, crl, &flipped, in_2022, &[]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["CERT_SIGNATURE_INVALID".to_string()]),
        "{r}"
    );
    // One flipped bit in the CRL's signature: the list proves nothing, so revocation is unknown.
    let bad_crl = legacy_altered(dir.path(), crl, |der| {
        let n = der.len();
        der[n - 5] ^= 0x10;
    });
    let (code, r) = verify_legacy(ca, &bad_crl, cert, in_2022, &[]);
    assert_eq!(code, 1, "{r}");
    assert!(
        common::codes(&r).contains(&"REVOCATION_UNKNOWN".to_string()),
        "{r}"
    );
}

#[test]
fn legacy_rsa_hierarchy_verifies_for_real() {
    let _machine = crate::common::shared_machine();
    let (ca, crl) = ("ca/nca_rsa_test.crt", "crl/nca_rsa_test.crl");
    let run = |cert: &str, at: &str, extra: &[&str]| verify_legacy(ca, crl, cert, at, extra);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let flipped = legacy_altered(
        dir.path(),
        "certs/individual_valid_sign_2004_rsa.cer",
        |der| {
            let n = der.len();
            der[n - 5] ^= 0x10;
        },
    );
    let (code, r) = run(&flipped, "2022-06-01T00:00:00Z", &[]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["CERT_SIGNATURE_INVALID".to_string()])
    );
}
