//! RFC 3161 timestamp tokens (issue 20, its first part: verifying tokens). A TSA made here with the OpenSSL CLI
//! (`openssl ts -reply`, a certificate under the demo PKI with `id-kp-timeStamping` alone, critical) stamps data;
//! `openssl ts -verify` accepts the token and so do we; tokens that must not count are refused, each for its own
//! reason: other data, a signer that is no TSA, a genTime outside the TSA certificate's validity, another nonce.
//! The NCA's real token in `../shared` is read field by field.

use crate::common;
use crate::common::tools::openssl;
use std::path::Path;

pub(crate) const TS_CONFIG: &str = "\
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
serial = ./serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.398.3.3.2.6.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
";

/// A certificate for `name` under the demo issuing CA with the extensions `ext` (an OpenSSL extension file line),
/// valid for 30 days.
pub(crate) fn certificate(dir: &Path, name: &str, ext: &str, serial: &str) {
    certificate_for(dir, name, ext, serial, 30);
}

/// [`certificate`], valid for `days` days from now.
pub(crate) fn certificate_for(dir: &Path, name: &str, ext: &str, serial: &str, days: u32) {
    let certs = common::project_dir().join("certs");
    let ca = certs.join("issuing-ca.pem");
    let ca_key = certs.join("issuing-ca.key.pem");
    std::fs::write(dir.join(format!("{name}.ext")), format!("{ext}\n")).expect("ext");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-subj",
            &format!("/C=KZ/CN={name}"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            ca.to_str().expect("path"),
            "-CAkey",
            ca_key.to_str().expect("path"),
            "-set_serial",
            serial,
            "-days",
            &days.to_string(),
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// Signs `tstinfo` as a timestamp token's content with `name`'s key, as OpenSSL's `cms` does for any content
/// type: a token `openssl ts -reply` would never make.
fn sign_tstinfo(dir: &Path, name: &str, tstinfo: &str, out: &str) {
    openssl(
        dir,
        &[
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-nosmimecap",
            "-md",
            "sha256",
            "-econtent_type",
            "1.2.840.113549.1.9.16.1.4",
            "-in",
            tstinfo,
            "-signer",
            &format!("{name}.pem"),
            "-inkey",
            &format!("{name}.key"),
            "-outform",
            "DER",
            "-out",
            out,
        ],
    );
}

fn now() -> qoltanba::VerifyOptions {
    qoltanba::VerifyOptions::at(time::OffsetDateTime::now_utc().unix_timestamp())
}

#[test]
fn a_token_from_an_openssl_tsa_verifies_here_and_there_and_forgeries_do_not() {
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let certs = common::project_dir().join("certs");
    certificate(
        d,
        "tsa",
        "extendedKeyUsage = critical, timeStamping",
        "4242",
    );
    std::fs::write(d.join("ts.cnf"), TS_CONFIG).expect("config");
    std::fs::write(d.join("serial"), "01\n").expect("serial");
    let data = "the signature value a CAdES-T timestamp covers".as_bytes();
    std::fs::write(d.join("data.bin"), data).expect("data");
    openssl(
        d,
        &[
            "ts", "-query", "-data", "data.bin", "-sha256", "-cert", "-out", "req.tsq",
        ],
    );
    openssl(
        d,
        &[
            "ts",
            "-reply",
            "-config",
            "ts.cnf",
            "-queryfile",
            "req.tsq",
            "-signer",
            "tsa.pem",
            "-inkey",
            "tsa.key",
            "-chain",
            certs.join("issuing-ca.pem").to_str().expect("path"),
            "-token_out",
            "-out",
            "token.der",
        ],
    );
    // OpenSSL's own verifier accepts it against the demo root.
    let bundle = [
        std::fs::read(certs.join("root-ca.pem")).expect("root"),
        std::fs::read(certs.join("issuing-ca.pem")).expect("ca"),
    ]
    .concat();
    std::fs::write(d.join("bundle.pem"), bundle).expect("bundle");
    openssl(
        d,
        &[
            "ts",
            "-verify",
            "-data",
            "data.bin",
            "-in",
            "token.der",
            "-token_in",
            "-CAfile",
            "bundle.pem",
        ],
    );
    let token = std::fs::read(d.join("token.der")).expect("token");
    let query = std::process::Command::new("openssl")
        .args(["ts", "-query", "-in", "req.tsq", "-text"])
        .current_dir(d)
        .output()
        .expect("openssl");
    let query = String::from_utf8_lossy(&query.stdout);
    let nonce_hex = query
        .lines()
        .find_map(|l| l.trim().strip_prefix("Nonce: 0x"))
        .expect("the request has a nonce");
    // OpenSSL prints the nonce without leading zeros: an odd number of digits takes one back.
    let padded = format!("{}{nonce_hex}", "0".repeat(nonce_hex.len() % 2));
    let nonce: Vec<u8> = (0..padded.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&padded[i..i + 2], 16).expect("hex"))
        .collect();

    let store = qoltanba::demo_trust_store().expect("store");
    let ok =
        qoltanba::verify_timestamp(&store, &token, data, Some(&nonce), &now()).expect("verify");
    assert!(ok.report.valid, "{:?}", ok.report.messages);
    assert!(ok.imprint_matches);
    assert_eq!(ok.info.policy, "1.2.398.3.3.2.6.2");
    assert_eq!(ok.info.imprint_algorithm, "2.16.840.1.101.3.4.2.1");
    let digest: String = ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(ok.info.imprint, digest);
    // `openssl ts -reply` writes the serial it used back to its serial file.
    let used = std::fs::read_to_string(d.join("serial")).expect("serial");
    assert_eq!(ok.info.serial, used.trim().to_lowercase());
    assert!(
        ok.info.tsa.as_deref().is_some_and(|t| t.contains("tsa")),
        "{:?}",
        ok.info.tsa
    );
    let age = time::OffsetDateTime::now_utc().unix_timestamp() - ok.info.gen_time_unix.secs();
    assert!((0..300).contains(&age), "genTime {}", ok.info.gen_time);

    // Other data: the imprint does not match.
    let other =
        qoltanba::verify_timestamp(&store, &token, b"other data", None, &now()).expect("verify");
    assert!(!other.report.valid && !other.imprint_matches);
    assert!(other
        .report
        .codes
        .contains(&qoltanba::Code::SignatureInvalid));
    // Another nonce than the request's.
    let replay =
        qoltanba::verify_timestamp(&store, &token, data, Some(&[1, 2, 3]), &now()).expect("verify");
    assert!(!replay.report.valid);
    assert!(
        replay.report.messages.iter().any(|m| m.contains("nonce")),
        "{:?}",
        replay.report.messages
    );

    // The same TSTInfo signed by a key that is no TSA (its EKU not timeStamping alone, critical).
    openssl(
        d,
        &[
            "cms",
            "-verify",
            "-noverify",
            "-inform",
            "DER",
            "-in",
            "token.der",
            "-out",
            "tstinfo.der",
        ],
    );
    // Every truncation of a real token is an error; a flipped byte anywhere in what the TSA signed (the TSTInfo:
    // time, policy, imprint, serial, nonce) leaves no valid token. (Bytes outside it — the unsigned digest
    // algorithm list, say — are not the TSA's statement.)
    for cut in 0..token.len() {
        assert!(
            qoltanba::read_timestamp(&token[..cut]).is_err(),
            "prefix {cut}"
        );
    }
    let tstinfo = std::fs::read(d.join("tstinfo.der")).expect("tstinfo");
    let from = token
        .windows(tstinfo.len())
        .position(|w| w == tstinfo.as_slice())
        .expect("the TSTInfo inside the token");
    for at in from..from + tstinfo.len() {
        let mut bad = token.clone();
        bad[at] ^= 0x5a;
        if let Ok(r) = qoltanba::verify_timestamp(&store, &bad, data, None, &now()) {
            assert!(
                !r.report.valid,
                "a token changed at byte {at} still verifies"
            );
        }
    }
    certificate(
        d,
        "signer",
        "extendedKeyUsage = timeStamping, emailProtection",
        "4243",
    );
    sign_tstinfo(d, "signer", "tstinfo.der", "forged.der");
    let forged = std::fs::read(d.join("forged.der")).expect("forged");
    let no_tsa = qoltanba::verify_timestamp(&store, &forged, data, None, &now()).expect("verify");
    assert!(!no_tsa.report.valid);
    assert!(
        no_tsa.report.codes.contains(&qoltanba::Code::KeyUsage),
        "{:?}",
        no_tsa.report
    );
    // OpenSSL refuses it too.
    let theirs = std::process::Command::new("openssl")
        .args([
            "ts",
            "-verify",
            "-data",
            "data.bin",
            "-in",
            "forged.der",
            "-token_in",
            "-CAfile",
            "bundle.pem",
        ])
        .current_dir(d)
        .output()
        .expect("openssl");
    assert!(!theirs.status.success());

    // The NCA's TSTInfo of 2022 signed now by our TSA, whose certificate begins today: genTime before it.
    let nca = common::tools::conformance_dir().join("nca-test-pki/legacy/tsp/tsp_token.bin");
    // OpenSSL cannot check its legacy GOST signature, so its TSTInfo is cut out by position: the OCTET STRING at
    // offset 59 (`openssl asn1parse` of the file shows it).
    let nca_path = nca.to_str().expect("path");
    openssl(
        d,
        &[
            "asn1parse",
            "-inform",
            "DER",
            "-in",
            nca_path,
            "-strparse",
            "59",
            "-noout",
            "-out",
            "old.der",
        ],
    );
    sign_tstinfo(d, "tsa", "old.der", "backdated.der");
    let backdated = std::fs::read(d.join("backdated.der")).expect("backdated");
    let early = qoltanba::verify_timestamp(&store, &backdated, b"", None, &now()).expect("verify");
    assert!(!early.report.valid);
    assert!(
        early.report.codes.contains(&qoltanba::Code::CertExpired),
        "{:?}",
        early.report
    );
    assert!(early
        .report
        .messages
        .iter()
        .any(|m| m.contains("outside the TSA certificate's validity")));

    // Not a timestamp at all: an ordinary CMS.
    let plain = common::client::openssl_sign(b"hello", "individual-sign", false);
    assert!(matches!(
        qoltanba::verify_timestamp(&store, &plain, b"hello", None, &now()),
        Err(qoltanba::TspError::NotATimestamp(_))
    ));
    assert!(qoltanba::verify_timestamp(&store, b"\x30\x03\x02\x01", b"", None, &now()).is_err());
}

/// The NCA's own token (legacy GOST 34.310, 2022): every field read as `openssl asn1parse` shows it.
#[test]
fn the_nca_token_is_read_field_by_field() {
    let nca = common::tools::conformance_dir().join("nca-test-pki/legacy/tsp/tsp_token.bin");
    let token = std::fs::read(nca).expect("token");
    let info = qoltanba::read_timestamp(&token).expect("read");
    assert_eq!(info.gen_time, "2022-09-18T13:20:14Z");
    assert_eq!(info.policy, "1.2.398.3.3.2.6.1");
    assert_eq!(info.imprint_algorithm, "1.3.14.3.2.26");
    assert_eq!(info.imprint, "1465dad126d32bf7aa5d3b95a5c7c331cdff34df");
    assert_eq!(info.serial, "5e846dd75d861154db10f13c54dc1f8d33fe6adc");
    assert_eq!(info.nonce.as_deref(), Some("018350c022d7"));
    assert!(
        info.tsa
            .as_deref()
            .is_some_and(|t| t.contains("СЕРВИС МЕТКИ ВРЕМЕНИ")),
        "{:?}",
        info.tsa
    );
    // The TSA's whole answer, as our client reads answers: granted, and the token in it is this one.
    let answer = std::fs::read(
        common::tools::conformance_dir().join("nca-test-pki/legacy/tsp/tsp_response.bin"),
    )
    .expect("answer");
    assert_eq!(
        qoltanba::token_from_response(&answer).expect("granted"),
        token
    );
    // Verified against the legacy NCA CAs at its time: the TSA signed it with GOST 34.310-2004 (GOST R 34.10-2001
    // over GOST 34.311-95), and that signature and the TSA's path hold. What it stamped is not in the conformance
    // data, so the imprint is compared with nothing: that, and only that, fails (HASH_FAILURE).
    let mut builder = qoltanba::TrustStore::builder();
    let legacy = common::tools::conformance_dir().join("nca-test-pki/legacy/ca");
    for name in [
        "nca_gost_test.crt",
        "nca_rsa_test.crt",
        "nca_gost2015_test.cer",
    ] {
        for cert in qoltanba::load_certificates(&legacy.join(name)).expect("ca") {
            builder.add_anchor(cert);
        }
    }
    let store = builder.build();
    let mut at = qoltanba::VerifyOptions::at(common::unix("2022-09-18T13:30:00Z"));
    at.revocation = qoltanba::RevocationMode::None;
    let report = qoltanba::verify_timestamp(&store, &token, b"", None, &at).expect("readable");
    assert!(!report.imprint_matches);
    assert_eq!(
        report.report.etsi.sub_indication,
        Some(qoltanba::SubIndication::HashFailure)
    );
    assert_eq!(report.report.chain.len(), 2, "the TSA's path was built");
    assert_eq!(
        (report.report.codes.clone(), report.report.messages.len()),
        (vec![qoltanba::Code::SignatureInvalid], 1),
        "{:?}",
        report.report
    );
    assert!(
        report.report.messages[0].contains("imprint"),
        "{:?}",
        report.report
    );
    // One flipped byte in the TSA's signature value (the last 64 bytes of the SignerInfo, which ends the token):
    // now the signature itself fails too.
    let mut forged = token.clone();
    let n = forged.len();
    forged[n - 20] ^= 0x01;
    let report = qoltanba::verify_timestamp(&store, &forged, b"", None, &at).expect("readable");
    assert!(report.report.messages.len() > 1, "{:?}", report.report);
    assert!(
        report
            .report
            .messages
            .iter()
            .any(|m| m.contains("signature") && !m.contains("imprint")),
        "{:?}",
        report.report
    );
}

/// A TSA for the library's signers: `openssl ts -reply` run on each request, in `dir` (with `tsa.pem`, `tsa.key`,
/// `ts.cnf`, `serial`).
struct OpensslTsa(std::path::PathBuf);

impl qoltanba::Timestamper for OpensslTsa {
    fn stamp(
        &self,
        data: &[u8],
        algorithm: qoltanba::DigestAlgorithm,
    ) -> Result<Vec<u8>, qoltanba::TspError> {
        let request =
            qoltanba::timestamp_request(algorithm, &algorithm.digest(data), &[7; 16], None)?;
        std::fs::write(self.0.join("lib.tsq"), request).expect("request");
        openssl(
            &self.0,
            &[
                "ts",
                "-reply",
                "-config",
                "ts.cnf",
                "-queryfile",
                "lib.tsq",
                "-signer",
                "tsa.pem",
                "-inkey",
                "tsa.key",
                "-chain",
                "chain.pem",
                "-out",
                "lib.tsr",
            ],
        );
        qoltanba::token_from_response(&std::fs::read(self.0.join("lib.tsr")).expect("answer"))
    }

    fn token_size_bound(&self) -> usize {
        16 * 1024
    }
}

#[test]
fn a_signature_timestamped_before_its_certificate_expired_stays_valid_and_one_without_does_not() {
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    // The TSA's certificate outlives the signer's: a signer's certificate lives two days, the TSA's ten years.
    certificate_for(
        d,
        "tsa",
        "extendedKeyUsage = critical, timeStamping",
        "4343",
        3650,
    );
    certificate_for(
        d,
        "signer",
        "keyUsage = critical, digitalSignature, nonRepudiation",
        "4344",
        2,
    );
    std::fs::write(d.join("ts.cnf"), TS_CONFIG).expect("config");
    std::fs::write(d.join("serial"), "01\n").expect("serial");
    std::fs::copy(
        common::project_dir().join("certs/issuing-ca.pem"),
        d.join("chain.pem"),
    )
    .expect("chain");
    let signer = || {
        let key = std::fs::read(d.join("signer.key")).expect("key");
        let identity = qoltanba::read_signing_identity(&key, None).expect("key");
        let cert = qoltanba::load_certificates(&d.join("signer.pem"))
            .expect("cert")
            .remove(0);
        let chain =
            qoltanba::load_certificates(&common::project_dir().join("certs/issuing-ca.pem"))
                .expect("chain");
        qoltanba::CmsSigner::from_identity(identity, Some(cert), chain).expect("signer")
    };
    let content = b"a licence's data, signed today";
    let stamped = signer()
        .with_timestamper(std::sync::Arc::new(OpensslTsa(d.to_path_buf())))
        .sign(content, true, qoltanba::UnixTime::now().secs())
        .expect("signed and stamped");
    let bare = signer()
        .sign(content, true, qoltanba::UnixTime::now().secs())
        .expect("signed");
    let store = qoltanba::demo_trust_store().expect("store");

    // Today both are valid; the stamped one says when it was stamped.
    let today = now();
    let report = qoltanba::verify_cms(&store, &stamped, Some(content), &[], &today).expect("cms");
    assert!(report.report.valid, "{:?}", report.report.messages);
    let signer_report = &report.signers[0];
    let stamp = signer_report
        .timestamp
        .as_ref()
        .expect("the timestamp is reported");
    assert!(stamp.report.valid, "{:?}", stamp.report.messages);
    assert_eq!(
        signer_report.best_signature_time.as_deref(),
        Some(stamp.info.gen_time.as_str())
    );
    assert!(
        qoltanba::verify_cms(&store, &bare, Some(content), &[], &today)
            .expect("cms")
            .report
            .valid
    );

    // Thirty days on, the signer's certificate has expired (its CRL is stale by then too: revocation is not
    // what this test is about, and the report says it was not checked).
    let mut later = qoltanba::VerifyOptions::at(today.at.secs() + 30 * 86_400);
    later.revocation = qoltanba::RevocationMode::None;
    let report = qoltanba::verify_cms(&store, &stamped, Some(content), &[], &later).expect("cms");
    assert!(
        report.report.valid,
        "a timestamp before the expiry proves the signature came first: {:?}",
        report.report.messages
    );
    assert!(report.report.etsi.proof_of_existence);
    assert_eq!(
        report.report.etsi.indication,
        qoltanba::Indication::TotalPassed
    );
    let report = qoltanba::verify_cms(&store, &bare, Some(content), &[], &later).expect("cms");
    assert!(!report.report.valid);
    assert!(
        report.report.codes.contains(&qoltanba::Code::CertExpired),
        "{:?}",
        report.report.codes
    );
    // Shown both ways: negative by the Kazakh rule, undecided for ETSI (nothing proves when it was signed).
    assert_eq!(report.report.indication, qoltanba::Indication::TotalFailed);
    assert_eq!(
        report.report.etsi.indication,
        qoltanba::Indication::Indeterminate
    );
    assert_eq!(
        report.report.etsi.sub_indication,
        Some(qoltanba::SubIndication::OutOfBoundsNoPoe)
    );

    // A token over another signature value proves nothing: swapped in, it is reported and not used.
    let other = signer()
        .with_timestamper(std::sync::Arc::new(OpensslTsa(d.to_path_buf())))
        .sign(b"another document", true, qoltanba::UnixTime::now().secs())
        .expect("signed");
    let swapped = swap_timestamp(&stamped, &other);
    let report = qoltanba::verify_cms(&store, &swapped, Some(content), &[], &later).expect("cms");
    let stamp = report.signers[0].timestamp.as_ref().expect("reported");
    assert!(!stamp.imprint_matches);
    assert!(report.signers[0].best_signature_time.is_none());
    assert!(report.report.codes.contains(&qoltanba::Code::CertExpired));
}

/// `target` with its signer's signature-time-stamp replaced by `donor`'s (unsigned attributes are outside the
/// signature, so the CMS signature itself still verifies).
fn swap_timestamp(target: &[u8], donor: &[u8]) -> Vec<u8> {
    use der::{Decode, Encode};
    let read = |cms: &[u8]| {
        let ci = cms::content_info::ContentInfo::from_der(cms).expect("content info");
        let sd: cms::signed_data::SignedData = ci.content.decode_as().expect("signed data");
        sd
    };
    let mut sd = read(target);
    let donor = read(donor);
    let attrs = donor
        .signer_infos
        .0
        .get(0)
        .expect("signer")
        .unsigned_attrs
        .clone();
    let mut infos: Vec<cms::signed_data::SignerInfo> = sd.signer_infos.0.iter().cloned().collect();
    infos[0].unsigned_attrs = attrs;
    sd.signer_infos =
        cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(infos).expect("set"));
    cms::content_info::ContentInfo {
        content_type: der::oid::db::rfc5911::ID_SIGNED_DATA,
        content: der::Any::encode_from(&sd).expect("any"),
    }
    .to_der()
    .expect("der")
}
