//! OCSP responses the NCA's own test responder made (`../shared/conformance/nca-test-pki/legacy/ocsp`, README
//! there): parsed, the responder's authority and signature checked (a delegated GOST responder, a delegated RSA
//! responder), the statuses mapped — good, revoked, the extended-revoke "never issued" — and every way an answer
//! can fail to prove anything refused as unavailable, never as a verdict. Requests are read back by the OpenSSL CLI.

use crate::common::der::unhex;
use qoltanba::{
    check_ocsp_response, CertIdHash, Certificate, OcspCertId, OcspCheck, OcspRequest, OcspStatus,
    OcspUnavailable, ResponderKind, RevocationReason, UnixTime,
};
use std::path::PathBuf;

fn legacy() -> PathBuf {
    crate::common::tools::conformance_dir().join("nca-test-pki/legacy")
}

fn cert(path: PathBuf) -> Certificate {
    qoltanba::load_certificates(&path)
        .expect("certificate")
        .remove(0)
}

fn gost_ca() -> Certificate {
    cert(
        crate::common::tools::conformance_dir().join("nca-test-pki/gost2015/nca_gost2022_test.cer"),
    )
}

fn response(name: &str) -> Vec<u8> {
    std::fs::read(legacy().join("ocsp").join(name)).expect("response")
}

/// The answers were produced in September 2022 and carry no nextUpdate: checked at their own time.
const PRODUCED: i64 = 1_662_137_000; // 2022-09-02T16:43:20Z, minutes before the answers

fn check<'a>(cert_id: &'a OcspCertId, issuer: &'a Certificate, now: i64) -> OcspCheck<'a> {
    OcspCheck {
        cert_id,
        nonce: None,
        issuer,
        trusted_responders: &[],
        responder_not_revoked: &|_, _| false,
        now: UnixTime::from_secs(now),
        skew_secs: 300,
        max_age_secs: 3600,
    }
}

/// `status` is a revocation at `when` (RFC 3339) for `reason`, of a certificate that was issued.
fn assert_revoked(status: &OcspStatus, when: &str, reason: RevocationReason) {
    match status {
        OcspStatus::Revoked {
            at,
            reason: why,
            never_issued,
        } => {
            assert_eq!(at.rfc3339(), when);
            assert_eq!(*why, Some(reason));
            assert!(!never_issued);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_ncas_answers_are_authentic_and_mapped() {
    let _machine = crate::common::shared_machine();
    let gost = gost_ca();
    let rsa = cert(legacy().join("ca/nca_rsa_test.crt"));
    let at = PRODUCED + 1800;

    // A good RSA certificate, answered by a delegated RSA responder.
    let id = OcspCertId::new(
        &rsa,
        &unhex("4279390A141F5353A62947B61ED65E81741467D1"),
        CertIdHash::Sha256,
    )
    .expect("cert id");
    let good = check_ocsp_response(
        &response("ocsp_response_individual_sign_2004.bin"),
        &check(&id, &rsa, at),
    )
    .expect("authentic");
    assert_eq!(good.status, OcspStatus::Good);
    assert_eq!(good.signed_by, ResponderKind::Delegated, "{good:?}");
    assert_eq!(good.next_update, None, "the NCA gives no nextUpdate");
    assert_eq!(good.this_update, good.produced_at);

    // A revoked GOST certificate (certificateHold), answered by the delegated GOST 2015 responder.
    let id = OcspCertId::new(
        &gost,
        &unhex("3A90343E720594C55204B19CB9A402422EF0E622"),
        CertIdHash::Sha256,
    )
    .expect("cert id");
    let revoked = check_ocsp_response(
        &response("ocsp_response_ceo_2015_revoked.bin"),
        &check(&id, &gost, at),
    )
    .expect("authentic");
    assert_eq!(revoked.signed_by, ResponderKind::Delegated);
    assert!(
        revoked.responder.contains("OCSP RESPONDER"),
        "{}",
        revoked.responder
    );
    assert_revoked(
        &revoked.status,
        "2022-07-27T10:25:30Z",
        RevocationReason::CertificateHold,
    );

    // A serial the CA never issued: revoked, certificateHold, 1970, with the extended-revoke extension.
    let id = OcspCertId::new(
        &gost,
        &unhex("0FF06211DC82BEB00253FFA000F1DE84ABEF454F"),
        CertIdHash::Sha256,
    )
    .expect("cert id");
    let never = check_ocsp_response(
        &response("ocsp_response_individual_2015.bin"),
        &check(&id, &gost, at),
    )
    .expect("authentic");
    assert!(
        matches!(
            never.status,
            OcspStatus::Revoked {
                never_issued: true,
                ..
            }
        ),
        "{never:?}"
    );

    // The legacy GOST 34.310-2004 responder (GOST R 34.10-2001 over GOST 34.311-95): its signature verifies, and
    // the certificate it speaks of was revoked (superseded) in January 2022.
    let legacy_ca = cert(legacy().join("ca/nca_gost_test.crt"));
    let id = OcspCertId::new(
        &legacy_ca,
        &unhex("12E3E7B9966D09EB9CDA64251457E815C2A8DDED"),
        CertIdHash::Sha256,
    )
    .expect("cert id");
    let legacy_answer = response("ocsp_response_ceo_sign_2004_revoked.bin");
    let old = check_ocsp_response(&legacy_answer, &check(&id, &legacy_ca, at)).expect("authentic");
    assert_eq!(old.signed_by, ResponderKind::Delegated, "{old:?}");
    assert!(
        old.responder.contains("СЕРВИС ПРОВЕРКИ ОНЛАЙН СТАТУСА"),
        "{}",
        old.responder
    );
    assert_revoked(
        &old.status,
        "2022-01-18T06:30:55Z",
        RevocationReason::Superseded,
    );
    // One flipped byte in its signature (after the response's own GOST 34.310 AlgorithmIdentifier, which comes
    // before the responder certificate's): no longer an answer — the GOST 34.310 check really runs.
    let mut flipped = legacy_answer.clone();
    let alg = [
        0x06, 0x09, 0x2a, 0x83, 0x0e, 0x03, 0x0a, 0x01, 0x01, 0x01, 0x02, 0x05, 0x00, 0x03, 0x41,
        0x00,
    ];
    let at_alg = flipped
        .windows(alg.len())
        .position(|w| w == alg)
        .expect("algorithm");
    flipped[at_alg + alg.len() + 10] ^= 0x01;
    let refused = check_ocsp_response(&flipped, &check(&id, &legacy_ca, at));
    assert!(refused.is_err(), "{refused:?}");
}

#[test]
fn answers_that_prove_nothing_are_unavailable() {
    let _machine = crate::common::shared_machine();
    let gost = gost_ca();
    let serial = unhex("3A90343E720594C55204B19CB9A402422EF0E622");
    let id = OcspCertId::new(&gost, &serial, CertIdHash::Sha256).expect("cert id");
    let der = response("ocsp_response_ceo_2015_revoked.bin");
    let at = PRODUCED + 1800;

    // One flipped byte in the signature: the BIT STRING after the first GOST 2015-512 signature AlgorithmIdentifier
    // (the response's own; the responder certificate's comes later).
    let mut flipped = der.clone();
    let alg = [
        0x06, 0x0a, 0x2a, 0x83, 0x0e, 0x03, 0x0a, 0x01, 0x01, 0x02, 0x03, 0x02,
    ];
    let at_alg = flipped
        .windows(alg.len())
        .position(|w| w == alg)
        .expect("algorithm");
    let at_sig = at_alg
        + flipped[at_alg..]
            .windows(4)
            .position(|w| w == [0x03, 0x81, 0x81, 0x00])
            .expect("signature");
    flipped[at_sig + 20] ^= 0x01;
    assert!(matches!(
        check_ocsp_response(&flipped, &check(&id, &gost, at)),
        Err(OcspUnavailable::BadSignature(_))
    ));
    // One flipped byte in what was signed (the revocation time's seconds).
    let mut altered = der.clone();
    let pos = altered
        .windows(15)
        .position(|w| w == b"20220727102530Z")
        .expect("revocation time");
    altered[pos + 13] = b'1';
    assert!(matches!(
        check_ocsp_response(&altered, &check(&id, &gost, at)),
        Err(OcspUnavailable::BadSignature(_))
    ));
    // Another certificate (the answer is about another serial): never responses[0] blindly.
    let mut other_serial = serial.clone();
    other_serial[19] ^= 1;
    let other = OcspCertId::new(&gost, &other_serial, CertIdHash::Sha256).expect("cert id");
    assert_eq!(
        check_ocsp_response(&der, &check(&other, &gost, at)),
        Err(OcspUnavailable::NoMatchingResponse)
    );
    // The same serial hashed with SHA-1 is another CertID.
    let sha1 = OcspCertId::new(&gost, &serial, CertIdHash::Sha1).expect("cert id");
    assert_eq!(
        check_ocsp_response(&der, &check(&sha1, &gost, at)),
        Err(OcspUnavailable::NoMatchingResponse)
    );
    // Too old, and from the future.
    assert!(matches!(
        check_ocsp_response(&der, &check(&id, &gost, PRODUCED + 2 * 86_400)),
        Err(OcspUnavailable::NotFresh(_))
    ));
    assert!(matches!(
        check_ocsp_response(&der, &check(&id, &gost, PRODUCED - 3600)),
        Err(OcspUnavailable::NotFresh(_))
    ));
    // A nonce that is not the one echoed.
    let mut with_nonce = check(&id, &gost, at);
    with_nonce.nonce = Some(b"not the nonce sent");
    assert_eq!(
        check_ocsp_response(&der, &with_nonce),
        Err(OcspUnavailable::NonceMismatch)
    );
    // The responder certificate was issued by the GOST CA: for another CA's certificate it is not entitled.
    let root = cert(
        crate::common::tools::conformance_dir()
            .join("nca-test-pki/gost2015/root_test_gost_2022.cer"),
    );
    assert!(matches!(
        check_ocsp_response(&der, &check(&id, &root, at)),
        Err(OcspUnavailable::UntrustedResponder(_))
    ));
    // Garbage, truncation and an error status.
    for bad in [
        &b"garbage"[..],
        &der[..der.len() / 2],
        &[0x30, 0x03, 0x0a, 0x01, 0x03][..],
    ] {
        let r = check_ocsp_response(bad, &check(&id, &gost, at));
        assert!(r.is_err(), "{r:?}");
    }
    assert_eq!(
        check_ocsp_response(&[0x30, 0x03, 0x0a, 0x01, 0x03], &check(&id, &gost, at)),
        Err(OcspUnavailable::Status("tryLater"))
    );
}

/// Requests carry a SHA-256 CertID of the certificate and the nonce; the OpenSSL CLI reads them back.
#[test]
fn requests_are_read_by_openssl() {
    let _machine = crate::common::shared_machine();
    crate::common::tools::need_tool("openssl", "openssl");
    let gost = gost_ca();
    let id = OcspCertId::new(
        &gost,
        &unhex("3A90343E720594C55204B19CB9A402422EF0E622"),
        CertIdHash::Sha256,
    )
    .expect("cert id");
    let request = OcspRequest::new(id, &[7u8; 16]).expect("request");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("req.der");
    std::fs::write(&path, &request.der).expect("write");
    let out = std::process::Command::new("openssl")
        .args(["ocsp", "-req_text", "-reqin"])
        .arg(&path)
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Hash Algorithm: sha256"), "{text}");
    assert!(
        text.contains("Serial Number: 3A90343E720594C55204B19CB9A402422EF0E622"),
        "{text}"
    );
    assert!(text.contains("OCSP Nonce"), "{text}");
    assert!(text.contains("07070707070707070707070707070707"), "{text}");
    assert!(OcspRequest::new(request.cert_id.clone(), &[]).is_err());
    assert!(OcspRequest::new(request.cert_id, &[0; 33]).is_err());
}
