//! The OCSP client against a live responder: the OpenSSL CLI answers (`openssl ocsp -index … -reqin -respout`,
//! run per request behind a loopback HTTP server of the test's own, since `openssl ocsp -port` listens on every
//! interface) over a test CA made here. Good, revoked and unknown; signed by a delegated responder, by the CA
//! itself, by a responder without id-kp-OCSPSigning (refused), by another CA's responder (refused), by a responder
//! without id-pkix-ocsp-nocheck (judged by the CA's CRL from `openssl ca -gencrl`); `tryLater`,
//! garbage and a responder that never answers (unavailable, in bounded time). Needs the `openssl` CLI.

use crate::common::loopback::Mode;
use crate::common::tools::openssl;
use qoltanba::{
    Certificate, Code, FetchPolicy, Fetcher, OcspClient, OcspPolicy, OcspStatus, OcspUnavailable,
    ResponderFailure, ResponderKind, RevocationMode, RevocationReason, RevocationSource,
    RevocationVerdict, SharedOcsp, TrustStore, UnixTime, VerifyOptions,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `name.key` and `name.pem` signed by `ca` (or self-signed when `ca` is None), with `ext` as extensions.
fn make(dir: &Path, name: &str, subject: &str, ca: Option<&str>, serial: &str, ext: &str) {
    std::fs::write(dir.join(format!("{name}.ext")), ext).expect("ext");
    match ca {
        None => openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
                "-subj",
                subject,
                "-days",
                "30",
                "-set_serial",
                serial,
                "-extensions",
                "v3",
                "-config",
                &format!("{name}.ext"),
            ],
        ),
        Some(ca) => {
            openssl(
                dir,
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                    "-subj",
                    subject,
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
                    &format!("{ca}.pem"),
                    "-CAkey",
                    &format!("{ca}.key"),
                    "-set_serial",
                    serial,
                    "-days",
                    "30",
                    "-out",
                    &format!("{name}.pem"),
                    "-extfile",
                    &format!("{name}.ext"),
                ],
            );
        }
    }
}

fn load(dir: &Path, name: &str) -> Certificate {
    qoltanba::load_certificates(&dir.join(format!("{name}.pem")))
        .expect("cert")
        .remove(0)
}

#[test]
fn a_live_responder_is_asked_and_believed_only_when_entitled() {
    let _machine = crate::common::shared_machine();
    crate::common::tools::need_tool("openssl", "openssl");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_path_buf();
    let mode = Arc::new(Mutex::new(Mode::Sign("responder", "ca")));
    let url = crate::common::loopback::openssl_ocsp_responder(dir.clone(), mode.clone());

    let ca_ext = "[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
    make(&dir, "ca", "/CN=Qoltanba OCSP Test CA", None, "1", ca_ext);
    make(&dir, "other", "/CN=Another Test CA", None, "2", ca_ext);
    make(
        &dir,
        "responder",
        "/CN=Test OCSP Responder",
        Some("ca"),
        "100",
        "extendedKeyUsage=OCSPSigning\nnoCheck=ignored\n",
    );
    // A delegated responder without id-pkix-ocsp-nocheck: believed only when the CA's CRL shows it not revoked.
    make(
        &dir,
        "plain",
        "/CN=Test OCSP Responder Without Nocheck",
        Some("ca"),
        "0x2001",
        "extendedKeyUsage=OCSPSigning\n",
    );
    make(
        &dir,
        "no_eku",
        "/CN=Responder Without EKU",
        Some("ca"),
        "101",
        "noCheck=ignored\n",
    );
    make(
        &dir,
        "foreign",
        "/CN=Test OCSP Responder",
        Some("other"),
        "102",
        "extendedKeyUsage=OCSPSigning\nnoCheck=ignored\n",
    );
    let leaf_ext = format!("authorityInfoAccess=OCSP;URI:{url}\n");
    make(
        &dir,
        "good",
        "/CN=Good Leaf",
        Some("ca"),
        "0x1001",
        &leaf_ext,
    );
    make(
        &dir,
        "revoked",
        "/CN=Revoked Leaf",
        Some("ca"),
        "0x1002",
        &leaf_ext,
    );
    make(
        &dir,
        "unknown",
        "/CN=Leaf Not In The Index",
        Some("ca"),
        "0x1003",
        &leaf_ext,
    );
    std::fs::write(
        dir.join("index.txt"),
        "V\t301231235959Z\t\t1001\tunknown\t/CN=Good Leaf\n\
         R\t301231235959Z\t260101000000Z,keyCompromise\t1002\tunknown\t/CN=Revoked Leaf\n",
    )
    .expect("index");

    let ca = load(&dir, "ca");
    let (good, revoked, unknown) = (
        load(&dir, "good"),
        load(&dir, "revoked"),
        load(&dir, "unknown"),
    );
    assert_eq!(
        good.ocsp_urls(),
        std::slice::from_ref(&url),
        "the responder comes from authorityInfoAccess"
    );
    let policy = FetchPolicy {
        read_timeout: Duration::from_secs(1),
        retries: 0,
        ..FetchPolicy::default()
    };
    let client = OcspClient::new(Fetcher::new(policy), OcspPolicy::default());
    let now = UnixTime::now();
    let not_checked = |_: &Certificate, _: UnixTime| false;
    let nonce = [0x5a; 16];

    // Good, from the delegated responder; then again from the cache.
    let (answer, source) = client
        .status(&good, &ca, now, &nonce, &not_checked)
        .expect("good");
    assert_eq!(answer.status, OcspStatus::Good);
    assert_eq!(answer.signed_by, ResponderKind::Delegated);
    assert_eq!((source.url.as_str(), source.cached), (url.as_str(), false));
    let (_, again) = client
        .status(&good, &ca, now, &nonce, &not_checked)
        .expect("cached");
    assert!(again.cached);

    // Revoked, with its reason and time.
    let (answer, _) = client
        .status(&revoked, &ca, now, &nonce, &not_checked)
        .expect("revoked");
    match answer.status {
        OcspStatus::Revoked {
            at,
            reason,
            never_issued,
        } => {
            assert_eq!(at.rfc3339(), "2026-01-01T00:00:00Z");
            assert_eq!(reason, Some(RevocationReason::KeyCompromise));
            assert!(!never_issued);
        }
        other => panic!("{other:?}"),
    }
    // Unknown to the responder: a verdict (negative), not an outage.
    let (answer, _) = client
        .status(&unknown, &ca, now, &nonce, &not_checked)
        .expect("unknown");
    assert_eq!(answer.status, OcspStatus::Unknown);

    // Signed by the CA itself.
    *mode.lock().expect("mode") = Mode::Sign("ca", "ca");
    let (answer, _) = client
        .status(&revoked, &ca, now, &nonce, &not_checked)
        .expect("by the CA");
    assert_eq!(answer.signed_by, ResponderKind::Ca);

    let refused = |m: Mode| -> ResponderFailure {
        *mode.lock().expect("mode") = m;
        let mut failures = client
            .status(&revoked, &ca, now, &nonce, &not_checked)
            .expect_err("nothing usable");
        assert_eq!(failures.len(), 1);
        failures.remove(0).1
    };
    // A responder certificate without id-kp-OCSPSigning, and another CA's responder: not entitled.
    assert!(matches!(
        refused(Mode::Sign("no_eku", "ca")),
        ResponderFailure::Answer(OcspUnavailable::UntrustedResponder(_))
    ));
    assert!(matches!(
        refused(Mode::Sign("foreign", "other")),
        ResponderFailure::Answer(OcspUnavailable::UntrustedResponder(_))
    ));
    // Another CA's responder answering about this CA's certificates: refused, unless configured as trusted
    // (RFC 6960 §4.2.2.2 (c)).
    assert!(matches!(
        refused(Mode::Sign("foreign", "ca")),
        ResponderFailure::Answer(OcspUnavailable::UntrustedResponder(_))
    ));
    let trusting = OcspClient::new(
        Fetcher::new(FetchPolicy {
            read_timeout: Duration::from_secs(2),
            retries: 0,
            ..FetchPolicy::default()
        }),
        OcspPolicy::default(),
    )
    .with_trusted_responders(vec![load(&dir, "foreign")]);
    let (answer, _) = trusting
        .status(&revoked, &ca, now, &nonce, &not_checked)
        .expect("a trusted responder");
    assert_eq!(answer.signed_by, ResponderKind::Trusted);
    assert!(matches!(answer.status, OcspStatus::Revoked { .. }));
    // tryLater and garbage: unavailable, never a verdict.
    assert_eq!(
        refused(Mode::TryLater),
        ResponderFailure::Answer(OcspUnavailable::Status("tryLater"))
    );
    assert!(matches!(
        refused(Mode::Garbage),
        ResponderFailure::Answer(OcspUnavailable::Malformed(_))
    ));
    // What `/health` shows: the responder, its last success, and why its last exchange failed.
    let seen = client.responders();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].url, url);
    assert!(seen[0].last_success.is_some(), "{seen:?}");
    assert!(
        seen[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("not an OCSP response")),
        "{seen:?}"
    );
    // A responder that never answers: a timeout, in bounded time.
    let start = Instant::now();
    assert!(matches!(refused(Mode::Silent), ResponderFailure::Fetch(_)));
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );

    // A responder without nocheck: not believed without CRLs to judge it; believed when the CA's CRL (made by
    // `openssl ca -gencrl`) does not list it; refused when it does.
    *mode.lock().expect("mode") = Mode::Sign("plain", "ca");
    let ask = |client: &OcspClient| {
        qoltanba::OcspLookup::lookup(client, &good, &ca, UnixTime::now()).map(|(a, _)| a.status)
    };
    let quick = || {
        OcspClient::new(
            Fetcher::new(FetchPolicy {
                read_timeout: Duration::from_secs(2),
                retries: 0,
                ..FetchPolicy::default()
            }),
            OcspPolicy::default(),
        )
    };
    let with_crl = |index: &str| {
        std::fs::write(dir.join("crl_index.txt"), index).expect("index");
        std::fs::write(dir.join("crlnumber"), "01\n").expect("crlnumber");
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = d\n[d]\ndatabase = crl_index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 1\n",
        )
        .expect("cnf");
        openssl(
            &dir,
            &[
                "ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem",
                "-out", "ca.crl",
            ],
        );
        let mut b = TrustStore::builder().anchor(ca.clone());
        for der in qoltanba::load_crls(&dir.join("ca.crl")).expect("crl") {
            b.add_crl_der(der).expect("parses");
        }
        Arc::new(b.build())
    };
    let refusal = ask(&quick()).expect_err("no CRLs to judge the responder");
    assert!(refusal.contains("OCSP"), "{refusal}");
    assert_eq!(
        ask(&quick().with_store(with_crl(""))),
        Ok(OcspStatus::Good),
        "the CRL does not list the responder"
    );
    let listed = ask(&quick().with_store(with_crl(
        "R\t301231235959Z\t260101000000Z,keyCompromise\t2001\tunknown\t/CN=Test OCSP Responder Without Nocheck\n",
    )));
    assert!(
        listed.is_err(),
        "a revoked responder is not believed: {listed:?}"
    );

    // The responder says tryLater, or sends garbage: OCSP first falls back to the CA's CRL, whose verdict stands.
    let crl_store = with_crl(
        "R\t301231235959Z\t260101000000Z,keyCompromise\t1002\tunknown\t/CN=Revoked Leaf\n",
    );
    let fallback = SharedOcsp(Arc::new(quick()));
    for outage in [Mode::TryLater, Mode::Garbage] {
        *mode.lock().expect("mode") = outage;
        let mut o = VerifyOptions::at_time(UnixTime::now());
        o.revocation = RevocationMode::Leaf;
        o.source = RevocationSource::OcspThenCrl;
        o.ocsp = Some(fallback.clone());
        let r = crl_store.verify_certificate(&good, &[], &o);
        assert!(r.valid, "{:?}", r.messages);
        assert_eq!(
            serde_json::to_value(&r).expect("json")["chain"][0]["revocationData"][0]["type"],
            "crl"
        );
        let r = crl_store.verify_certificate(&revoked, &[], &o);
        assert_eq!(r.codes, vec![Code::CertRevoked], "{:?}", r.messages);
    }

    // Path validation with OCSP as its revocation source (the store holds no CRL at all).
    *mode.lock().expect("mode") = Mode::Sign("responder", "ca");
    let store = TrustStore::builder().anchor(ca.clone()).build();
    let lookup = SharedOcsp(Arc::new(OcspClient::new(
        Fetcher::new(FetchPolicy {
            read_timeout: Duration::from_secs(1),
            retries: 0,
            ..FetchPolicy::default()
        }),
        OcspPolicy::default(),
    )));
    let opts = |source: RevocationSource| {
        let mut o = VerifyOptions::at_time(UnixTime::now());
        o.revocation = RevocationMode::Leaf;
        o.source = source;
        o.ocsp = Some(lookup.clone());
        o
    };
    let r = store.verify_certificate(&good, &[], &opts(RevocationSource::Ocsp));
    assert!(r.valid, "{:?}", r.messages);
    assert_eq!(r.chain[0].revocation, RevocationVerdict::Good);
    // The report names the answer it rests on: the responder, its signer, its times, fetched now.
    let json = serde_json::to_value(&r).expect("json");
    let data = &json["chain"][0]["revocationData"][0];
    assert_eq!(data["type"], "ocsp", "{json}");
    assert_eq!(data["responder"], url.as_str());
    assert_eq!(data["signer"], "CN=Test OCSP Responder");
    assert_eq!(data["cached"], false);
    assert!(
        data["producedAt"].is_string() && data["thisUpdate"].is_string(),
        "{json}"
    );
    let r = store.verify_certificate(&revoked, &[], &opts(RevocationSource::Ocsp));
    assert_eq!(r.codes, vec![Code::CertRevoked], "{:?}", r.messages);
    // Unknown to the responder: negative, never valid.
    let r = store.verify_certificate(&unknown, &[], &opts(RevocationSource::Ocsp));
    assert_eq!(r.codes, vec![Code::CertRevoked], "{:?}", r.messages);
    assert!(
        r.messages[0].contains("unknown to the OCSP responder"),
        "{:?}",
        r.messages
    );
    // CRLs only (the default source): the same good certificate has no revocation data here.
    let r = store.verify_certificate(&good, &[], &opts(RevocationSource::Crl));
    assert_eq!(r.codes, vec![Code::RevocationUnknown], "{:?}", r.messages);
    // The responder silent, OCSP then CRL: unknown, saying what each source lacked.
    *mode.lock().expect("mode") = Mode::Silent;
    let r = store.verify_certificate(&revoked, &[], &opts(RevocationSource::OcspThenCrl));
    assert_eq!(r.codes, vec![Code::RevocationUnknown], "{:?}", r.messages);
    assert!(r.messages[0].contains("OCSP"), "{:?}", r.messages);

    // The CLI: `--ocsp URL` (OCSP first, then CRLs, by default) and `--revocation-source`.
    *mode.lock().expect("mode") = Mode::Sign("responder", "ca");
    let path = |name: &str| {
        dir.join(format!("{name}.pem"))
            .to_string_lossy()
            .into_owned()
    };
    let ca_pem = path("ca");
    // verify-cert of `name` under the test CA, the leaf's revocation only, with `extra` flags.
    let cli = |name: &str, extra: &[&str]| {
        let cert = path(name);
        let mut args = vec![
            "verify-cert",
            "--cert",
            &cert,
            "--trust",
            &ca_pem,
            "--revocation",
            "leaf",
        ];
        args.extend_from_slice(extra);
        crate::common::run_json(&args)
    };
    let (code, report) = cli("good", &["--ocsp", &url]);
    assert_eq!(
        (code, report["valid"].as_bool()),
        (0, Some(true)),
        "{report}"
    );
    assert_eq!(report["chain"][0]["revocation"], "good", "{report}");
    // The responder named by the certificate (authorityInfoAccess), OCSP only.
    let (code, report) = cli("revoked", &["--revocation-source", "ocsp"]);
    assert_ne!(code, 0);
    assert_eq!(crate::common::codes(&report), ["CERT_REVOKED"], "{report}");
    // Without OCSP the CLI keeps to CRLs, and has none here.
    let (_, report) = cli("good", &[]);
    assert_eq!(
        crate::common::codes(&report),
        ["REVOCATION_UNKNOWN"],
        "{report}"
    );
}
