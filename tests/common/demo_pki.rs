//! Helpers the hermetic and oracle halves share for demo_pki.

use qoltanba::{load_certificates, Certificate};
use rcgen::{
    CertificateRevocationListParams, Issuer, KeyPair, RevocationReason, RevokedCertParams,
    SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use time::OffsetDateTime;

const AT: &str = "2026-12-01T00:00:00Z";

pub fn verify(cert: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    verify_at(cert, AT, extra)
}

pub fn verify_at(cert: &str, at: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let path = format!("certs/{cert}.pem");
    let mut args = vec![
        "verify-cert",
        "--cert",
        &path,
        "--trust",
        "certs/root-ca.pem",
        "--intermediates",
        "certs/issuing-ca.pem",
        "--crl",
        "certs/crl",
        "--at",
        at,
    ];
    args.extend_from_slice(extra);
    super::run_json(&args)
}

pub fn cert(name: &str) -> Certificate {
    load_certificates(&super::project_dir().join("certs").join(name))
        .expect("demo certificate")
        .remove(0)
}

pub fn read(name: &str) -> String {
    std::fs::read_to_string(super::project_dir().join("certs").join(name)).expect("demo file")
}

/// The demo issuing CA as an rcgen issuer: with its real key, or with a fresh key (a forger who copies the name).
pub fn issuing_ca(forged: bool) -> Issuer<'static, KeyPair> {
    let key = if forged {
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key")
    } else {
        KeyPair::from_pem(&read("issuing-ca.key.pem")).expect("demo CA key")
    };
    Issuer::from_ca_cert_pem(&read("issuing-ca.pem"), key).expect("issuer")
}

pub fn crl(
    issuer: &Issuer<'static, KeyPair>,
    revoked: &[(&Certificate, OffsetDateTime, RevocationReason)],
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
    number: u8,
) -> Vec<u8> {
    let params = CertificateRevocationListParams {
        this_update,
        next_update,
        crl_number: SerialNumber::from_slice(&[number]),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|(c, at, reason)| RevokedCertParams {
                serial_number: SerialNumber::from_slice(c.serial()),
                revocation_time: *at,
                reason_code: Some(*reason),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    };
    params.signed_by(issuer).expect("crl").der().to_vec()
}

pub fn odt(t: qoltanba::UnixTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.secs()).expect("time")
}

/// A list of the demo issuing CA, issued `age` seconds ago, usable for `life` seconds from then, listing `revoked`.
pub fn fresh_crl(number: u8, age: i64, life: i64, revoked: &[&Certificate]) -> Vec<u8> {
    let now = qoltanba::UnixTime::now();
    let at = odt(now.plus_secs(-age - 3600));
    let revoked: Vec<_> = revoked
        .iter()
        .map(|c| (*c, at, RevocationReason::KeyCompromise))
        .collect();
    crl(
        &issuing_ca(false),
        &revoked,
        odt(now.plus_secs(-age)),
        odt(now.plus_secs(life - age)),
        number,
    )
}
