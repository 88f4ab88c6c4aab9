//! PAdES inside issued PDFs, checked by the readers auditors use (issue 20): poppler's `pdfsig` (Debian
//! `poppler-utils`, with the demo root in an NSS database made by `certutil`, Debian `libnss3-tools`) and pyHanko
//! (PyPI `pyhanko`) both accept the provider's signature over the whole file, for the demo ECDSA provider and an
//! RSA provider; with a timestamp authority configured (`[tsa]`, here `openssl ts -reply` behind a loopback
//! server), every signature carries an RFC 3161 token that `openssl ts -verify` accepts, and pyHanko reads the
//! PDF as PAdES-B-T.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;
use crate::common::tools::{need_python_module, need_tool, openssl, run_python_with};
use crate::tsp::{certificate, certificate_for, TS_CONFIG};

/// A directory with a TSA under the demo issuing CA (`tsa.pem`, `tsa.key`, `chain.pem`, `ts.cnf`) answering on a
/// loopback URL.
struct Tsa {
    dir: tempfile::TempDir,
    url: String,
    answered: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Starts a TSA: under the demo issuing CA when `trusted`, else self-signed (a TSA nobody trusts).
fn start_tsa(trusted: bool) -> Tsa {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    std::fs::write(d.join("ts.cnf"), TS_CONFIG).expect("config");
    std::fs::write(d.join("serial"), "01\n").expect("serial");
    if trusted {
        // Ten years: the TSA outlives the providers' certificates (30 days), as the NCA's does.
        certificate_for(
            d,
            "tsa",
            "extendedKeyUsage = critical, timeStamping",
            "7301",
            3650,
        );
        std::fs::copy(
            common::project_dir().join("certs/issuing-ca.pem"),
            d.join("chain.pem"),
        )
        .expect("chain");
    } else {
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "tsa.key",
                "-subj",
                "/C=KZ/CN=rogue tsa",
                "-addext",
                "extendedKeyUsage = critical, timeStamping",
                "-days",
                "30",
                "-out",
                "tsa.pem",
            ],
        );
        // `-chain` needs a file: a certificate that does not lead to this TSA.
        std::fs::copy(
            common::project_dir().join("certs/root-ca.pem"),
            d.join("chain.pem"),
        )
        .expect("chain");
    }
    let (url, answered) = common::loopback::openssl_tsa(d.to_path_buf(), "tsa");
    Tsa { dir, url, answered }
}

/// A configuration for `qoltanba issue --config`: the demo trust, the signer `key`/`cert` and `extra` lines.
fn config(dir: &Path, key: &Path, cert: &Path, extra: &str) -> PathBuf {
    let certs = common::project_dir().join("certs");
    let text = format!(
        "data = \"{data}\"\n[trust]\nanchors = [\"{root}\"]\nintermediates = [\"{ca}\"]\ncrls = [\"{crl}\"]\n\
         [signer]\nkey = \"{key}\"\ncert = \"{cert}\"\nchain = [\"{ca}\"]\n{extra}\n",
        data = dir.join("state").display(),
        root = certs.join("root-ca.pem").display(),
        ca = certs.join("issuing-ca.pem").display(),
        crl = certs.join("crl").display(),
        key = key.display(),
        cert = cert.display(),
    );
    let path = dir.join("qoltanba.toml");
    std::fs::write(&path, text).expect("config");
    path
}

/// An RSA provider certificate under the demo issuing CA, for a signing key (non-repudiation, as pyHanko requires).
fn rsa_provider(dir: &Path) -> (PathBuf, PathBuf) {
    certificate(
        dir,
        "rsa-provider",
        "keyUsage = critical, digitalSignature, nonRepudiation",
        "7302",
    );
    (dir.join("rsa-provider.key"), dir.join("rsa-provider.pem"))
}

/// Issues a reference with `qoltanba issue` (`--config` when given); returns the PDF's path.
fn issue(dir: &Path, config: Option<&Path>, name: &str) -> PathBuf {
    let (_, sample, _) = common::run_qoltanba(&["forms", "sample", "reference.birth"]);
    let data = dir.join("data.json");
    std::fs::write(&data, sample).expect("data");
    let out = dir.join(name);
    let mut args = vec![
        "issue",
        "--form",
        "reference.birth",
        "--data",
        data.to_str().expect("path"),
        "--out",
        out.to_str().expect("path"),
        "--number",
        "PADES-1",
    ];
    if let Some(c) = config {
        args.extend(["--config", c.to_str().expect("path")]);
    }
    let (code, stdout, stderr) = common::run_qoltanba(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    out
}

/// `pdfsig`'s report of `pdf`, with the demo root trusted in an NSS database.
fn pdfsig(pdf: &Path) -> String {
    need_tool("pdfsig", "poppler-utils");
    need_tool("certutil", "libnss3-tools");
    let nss = tempfile::tempdir().expect("nss");
    let db = format!("sql:{}", nss.path().display());
    let root = common::project_dir().join("certs/root-ca.pem");
    for args in [
        vec!["-N", "-d", &db, "--empty-password"],
        vec![
            "-A",
            "-d",
            &db,
            "-n",
            "qoltanba-demo-root",
            "-t",
            "C,C,C",
            "-i",
            root.to_str().expect("path"),
        ],
    ] {
        let out = Command::new("certutil")
            .args(&args)
            .output()
            .expect("certutil");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new("pdfsig")
        .args(["-nssdir", &db])
        .arg(pdf)
        .output()
        .expect("pdfsig");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// pyHanko's validation of every signature in `pdf` with the demo root trusted: one JSON object per signature
/// (`summary`, `coverage`, `modification`, `timestamp`: the signature timestamp's validity or null,
/// `signing_time`: the time the signer claims).
fn pyhanko(pdf: &Path) -> Vec<serde_json::Value> {
    need_python_module("pyhanko", "pyhanko");
    const SCRIPT: &str = r#"
import json, sys
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.keys import load_cert_from_pemder
from pyhanko_certvalidator import ValidationContext
root = load_cert_from_pemder(sys.argv[1])
out = []
with open(sys.argv[2], 'rb') as f:
    reader = PdfFileReader(f)
    for sig in reader.embedded_signatures:
        vc = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode='soft-fail')
        st = validate_pdf_signature(sig, vc, ts_validation_context=vc)
        ts = st.timestamp_validity
        out.append({
            'summary': st.summary(),
            'coverage': st.coverage.name,
            'modification': st.modification_level.name if st.modification_level else None,
            'timestamp': None if ts is None else {'intact': ts.intact, 'valid': ts.valid, 'trusted': ts.trusted,
                                                  'time': ts.timestamp.isoformat()},
            'signing_time': None if st.signer_reported_dt is None else st.signer_reported_dt.isoformat(),
        })
print(json.dumps(out))
"#;
    serde_json::from_value(python_json(SCRIPT, &[&demo_root(), pdf]))
        .expect("one object per signature")
}

/// The demo PKI's root certificate file.
fn demo_root() -> PathBuf {
    common::project_dir().join("certs/root-ca.pem")
}

/// Runs a Python script with `args` and reads its standard output as JSON.
fn python_json(script: &str, args: &[&Path]) -> serde_json::Value {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    serde_json::from_slice(&run_python_with(script, &args, b"")).expect("the script's JSON")
}

fn assert_pdfsig_accepts(pdf: &Path) {
    let report = pdfsig(pdf);
    for line in [
        "Signature Type: ETSI.CAdES.detached",
        "Total document signed",
        "Signature Validation: Signature is Valid.",
        "Certificate Validation: Certificate is Trusted.",
    ] {
        assert!(report.contains(line), "pdfsig misses {line:?}:\n{report}");
    }
}

#[test]
fn issued_pdfs_are_valid_pades_for_pdfsig_and_pyhanko_with_ecdsa_and_rsa_providers() {
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let ecdsa = issue(d, None, "ecdsa.pdf");
    let (key, cert) = rsa_provider(d);
    let rsa_config = config(d, &key, &cert, "");
    let rsa = issue(d, Some(&rsa_config), "rsa.pdf");
    for (pdf, mechanism) in [(&ecdsa, "ECDSA"), (&rsa, "RSA")] {
        assert_pdfsig_accepts(pdf);
        let checks = pyhanko(pdf);
        assert_eq!(checks.len(), 1, "{mechanism}: {checks:?}");
        assert_eq!(
            checks[0]["summary"], "INTACT:TRUSTED,UNTOUCHED",
            "{mechanism}"
        );
        assert_eq!(checks[0]["coverage"], "ENTIRE_FILE", "{mechanism}");
        // PAdES forbids signingTime in the CMS: the time is the dictionary's /M, which pyHanko reports.
        assert!(checks[0]["signing_time"].is_string(), "{mechanism}");
        assert!(
            checks[0]["timestamp"].is_null(),
            "{mechanism}: no TSA, no token"
        );
    }
    let report = pdfsig(&rsa);
    assert!(report.contains("rsa-provider"), "{report}");

    // One changed byte inside the signed range: both readers refuse.
    let mut bytes = std::fs::read(&rsa).expect("pdf");
    let at = bytes
        .windows(8)
        .position(|w| w == b"/Creator")
        .expect("info")
        + 2;
    bytes[at] ^= 0x20;
    let broken = d.join("broken.pdf");
    std::fs::write(&broken, &bytes).expect("write");
    let report = pdfsig(&broken);
    assert!(!report.contains("Signature is Valid"), "{report}");
    let checks = pyhanko(&broken);
    assert!(
        checks[0]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("INVALID")),
        "{checks:?}"
    );
}

/// The first signer's signature value and signature timestamp token of the PDF signature in `pdf`, as pyHanko
/// (asn1crypto) reads them.
fn signature_and_token(pdf: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    const SCRIPT: &str = r#"
import sys
from pyhanko.pdf_utils.reader import PdfFileReader
with open(sys.argv[1], 'rb') as f:
    sig = PdfFileReader(f).embedded_signatures[0]
    si = sig.signed_data['signer_infos'][0]
    open(sys.argv[2], 'wb').write(si['signature'].native)
    attrs = [a for a in si['unsigned_attrs'] if a['type'].dotted == '1.2.840.113549.1.9.16.2.14']
    open(sys.argv[3], 'wb').write(attrs[0]['values'][0].dump())
"#;
    let (value, token) = (dir.join("signature.bin"), dir.join("token.der"));
    run_python_with(
        SCRIPT,
        &[pdf.as_os_str(), value.as_os_str(), token.as_os_str()],
        b"",
    );
    (value, token)
}

#[test]
fn with_a_tsa_configured_every_signature_is_timestamped_and_readers_see_pades_b_t() {
    let _machine = common::shared_machine();
    let tsa = start_tsa(true);
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let (key, cert) = rsa_provider(d);
    let stamped_config = config(
        d,
        &key,
        &cert,
        &format!(
            "[tsa]\nurl = \"{}\"\npolicy = \"1.2.398.3.3.2.6.2\"\n",
            tsa.url
        ),
    );
    let pdf = issue(d, Some(&stamped_config), "stamped.pdf");
    // Two signatures, two tokens: the embedded data's CMS and the PDF signature.
    assert_eq!(tsa.answered.load(std::sync::atomic::Ordering::SeqCst), 2);

    assert_pdfsig_accepts(&pdf);
    let checks = pyhanko(&pdf);
    assert_eq!(
        checks[0]["summary"], "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,UNTOUCHED",
        "{checks:?}"
    );
    let stamp = &checks[0]["timestamp"];
    assert_eq!(stamp["intact"], true, "{checks:?}");
    assert_eq!(stamp["valid"], true, "{checks:?}");
    assert_eq!(stamp["trusted"], true, "{checks:?}");

    // OpenSSL's own TSA client logic accepts the token over the signature value.
    let (value, token) = signature_and_token(&pdf, d);
    let certs = common::project_dir().join("certs");
    let bundle = d.join("bundle.pem");
    std::fs::write(
        &bundle,
        [
            std::fs::read(certs.join("root-ca.pem")).expect("root"),
            std::fs::read(certs.join("issuing-ca.pem")).expect("ca"),
        ]
        .concat(),
    )
    .expect("bundle");
    openssl(
        d,
        &[
            "ts",
            "-verify",
            "-data",
            value.to_str().expect("path"),
            "-in",
            token.to_str().expect("path"),
            "-token_in",
            "-CAfile",
            bundle.to_str().expect("path"),
        ],
    );

    // And Qoltanba reports it with the file signature.
    let (code, report) = common::run_json(&[
        "verify-document",
        pdf.to_str().expect("path"),
        "--config",
        stamped_config.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{report:#}");
    let stamp = &report["file"]["timestamp"];
    assert_eq!(stamp["valid"], true, "{report:#}");
    assert_eq!(stamp["policy"], "1.2.398.3.3.2.6.2");
    assert_eq!(stamp["tsa"], "CN=tsa, C=KZ", "{report:#}");
    let gen_time = qoltanba::UnixTime::parse_rfc3339(stamp["genTime"].as_str().expect("genTime"))
        .expect("time");
    assert!(gen_time.secs_since(qoltanba::UnixTime::now()).abs() < 300);

    // Sixty days on the provider's certificate (30 days) has expired. The stamped PDF still verifies: its
    // signature is dated by the token. The same document signed without a TSA does not — negative by the Kazakh
    // rule, INDETERMINATE/OUT_OF_BOUNDS_NO_POE for ETSI. (Revocation is not what this is about: the demo CRLs are
    // stale by then, and the report says revocation was not checked.)
    let unstamped_config = config(d, &key, &cert, "");
    let unstamped = issue(d, Some(&unstamped_config), "unstamped.pdf");
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(60);
    let later = later
        .format(&time::format_description::well_known::Rfc3339)
        .expect("time");
    let at_later = |pdf: &Path| {
        let certs = common::project_dir().join("certs");
        common::run_json(&[
            "verify-pdf",
            pdf.to_str().expect("path"),
            "--trust",
            certs.join("root-ca.pem").to_str().expect("path"),
            "--intermediates",
            certs.join("issuing-ca.pem").to_str().expect("path"),
            "--at",
            &later,
            "--revocation",
            "none",
        ])
    };
    let (code, report) = at_later(&pdf);
    assert_eq!(code, 0, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["etsi"]["indication"], "TOTAL_PASSED", "{report:#}");
    assert_eq!(sig["etsi"]["proofOfExistence"], true, "{report:#}");
    assert_eq!(sig["bestSignatureTime"], stamp["genTime"], "{report:#}");
    assert_eq!(report["revocationChecked"], "none");
    let (code, report) = at_later(&unstamped);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["indication"], "TOTAL_FAILED", "{report:#}");
    assert_eq!(report["etsi"]["indication"], "INDETERMINATE", "{report:#}");
    assert_eq!(
        report["etsi"]["subIndication"], "OUT_OF_BOUNDS_NO_POE",
        "{report:#}"
    );
    assert!(common::codes(&report).contains(&"CERT_EXPIRED".to_string()));
}

#[test]
fn a_tsa_that_fails_or_gives_a_token_that_does_not_verify_stops_the_issue() {
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let (key, cert) = rsa_provider(d);
    let (_, sample, _) = common::run_qoltanba(&["forms", "sample", "reference.birth"]);
    std::fs::write(d.join("data.json"), sample).expect("data");
    let attempt = |tsa: &str| {
        let config = config(
            d,
            &key,
            &cert,
            &format!("[tsa]\nurl = \"{tsa}\"\ntimeout_ms = 3000\n"),
        );
        let out = d.join("never.pdf");
        let (code, stdout, stderr) = common::run_qoltanba(&[
            "issue",
            "--form",
            "reference.birth",
            "--data",
            d.join("data.json").to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
            "--config",
            config.to_str().expect("path"),
        ]);
        assert_ne!(code, 0, "{stdout}");
        assert!(!out.exists(), "no document without its timestamp");
        stderr
    };
    // Nobody listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", closed.local_addr().expect("addr"));
    drop(closed);
    let why = attempt(&url);
    assert!(why.contains("the timestamp authority failed"), "{why}");
    // A TSA that answers, with a token whose signer nobody trusts.
    let rogue = start_tsa(false);
    let why = attempt(&rogue.url);
    assert!(why.contains("does not verify (CHAIN_UNTRUSTED"), "{why}");
    assert_eq!(rogue.answered.load(std::sync::atomic::Ordering::SeqCst), 1);
    drop(rogue.dir);
}

/// Signs `input` with pyHanko (an incremental update): `key`/`cert` of the demo PKI, field `field`, PAdES
/// (`ETSI.CAdES.detached`) when `pades`, else pyHanko's default `adbe.pkcs7.detached`.
fn pyhanko_sign(input: &Path, output: &Path, signer: &str, field: &str, pades: bool) {
    need_python_module("pyhanko", "pyhanko");
    const SCRIPT: &str = r#"
import sys
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
key, cert, chain, field, pades = sys.argv[3:8]
signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,))
meta = signers.PdfSignatureMetadata(field_name=field, reason='checked by the auditor', location='Astana',
                                    subfilter=SigSeedSubFilter.PADES if pades == 'yes' else None)
with open(sys.argv[1], 'rb') as f, open(sys.argv[2], 'wb') as out:
    signers.sign_pdf(IncrementalPdfFileWriter(f, strict=False), meta, signer=signer, output=out)
"#;
    let certs = common::project_dir().join("certs");
    let (key, cert, chain) = (
        certs.join(format!("{signer}.key.pem")),
        certs.join(format!("{signer}.pem")),
        certs.join("issuing-ca.pem"),
    );
    let flag = if pades { "yes" } else { "no" };
    run_python_with(
        SCRIPT,
        &[
            input.as_os_str(),
            output.as_os_str(),
            key.as_os_str(),
            cert.as_os_str(),
            chain.as_os_str(),
            field.as_ref(),
            flag.as_ref(),
        ],
        b"",
    );
}

fn verify_pdf(pdf: &Path) -> (i32, serde_json::Value) {
    let certs = common::project_dir().join("certs");
    common::run_json(&[
        "verify-pdf",
        pdf.to_str().expect("path"),
        "--trust",
        certs.join("root-ca.pem").to_str().expect("path"),
        "--intermediates",
        certs.join("issuing-ca.pem").to_str().expect("path"),
        "--crl",
        certs.join("crl").to_str().expect("path"),
    ])
}

#[test]
fn pdfs_signed_by_pyhanko_verify_here_each_signature_with_what_came_after_it() {
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let issued = issue(d, None, "issued.pdf");
    // An auditor countersigns the issued document with pyHanko (PAdES), then a second person with pyHanko's
    // default sub-filter.
    let audited = d.join("audited.pdf");
    pyhanko_sign(&issued, &audited, "legal-head", "Auditor", true);
    let twice = d.join("twice.pdf");
    pyhanko_sign(&audited, &twice, "individual-sign", "Applicant", false);

    let (code, report) = verify_pdf(&twice);
    assert_eq!(code, 0, "{report:#}");
    let sigs = report["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 3, "{report:#}");
    let fields: Vec<&str> = sigs
        .iter()
        .map(|s| s["field"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(fields, ["Qoltanba", "Auditor", "Applicant"]);
    let kinds: Vec<&str> = sigs
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["pades", "pades", "pkcs7Detached"]);
    assert!(sigs.iter().all(|s| s["valid"] == true), "{report:#}");
    assert_eq!(sigs[1]["reason"], "checked by the auditor");
    assert_eq!(sigs[1]["location"], "Astana");
    // Only the newest covers the whole file; each earlier one names the revisions after it.
    assert_eq!(sigs[2]["coversWholeFile"], true);
    for s in &sigs[..2] {
        assert_eq!(s["coversWholeFile"], false);
        let appended = s["appended"].as_array().expect("appended");
        assert!(
            appended
                .iter()
                .any(|a| a.as_str().is_some_and(|a| a.contains("Sig, new"))),
            "{report:#}"
        );
    }
    assert_eq!(sigs[0]["appended"].as_array().map(Vec::len), Some(2));
    // pyHanko agrees on each.
    let checks = pyhanko(&twice);
    assert_eq!(checks.len(), 3);
    assert!(
        checks.iter().all(|c| c["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("INTACT:TRUSTED"))),
        "{checks:?}"
    );

    // A revision drawn over the page after the last signature: reported, and the file is not valid as a whole.
    let bytes = std::fs::read(&twice).expect("pdf");
    let overlaid = d.join("overlaid.pdf");
    std::fs::write(
        &overlaid,
        common::hardening::overlay(&bytes, "BT /QF1 18 Tf 60 600 Td (REVOKED) Tj ET"),
    )
    .expect("write");
    let (code, report) = verify_pdf(&overlaid);
    assert_eq!(code, 1, "{report:#}");
    assert!(common::codes(&report).contains(&"DOCUMENT_MISMATCH".to_string()));
    assert!(
        report["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m
                .as_str()
                .is_some_and(|m| m.contains("appended after the last signature"))),
        "{report:#}"
    );
    assert_eq!(report["signatures"][2]["coversWholeFile"], false);
}

/// No open validator speaks GOST: a GOST PAdES document (the NCA test PKI's head, GOST R 34.10-2015 512) is checked
/// here by `verify-pdf`, and independently in Python — the byte range read from the file, its Streebog-512 digest
/// against the CMS's messageDigest (asn1crypto, which pyHanko brings), the signature over the signed attributes
/// with `gostcrypto` — and a changed byte fails both.
#[test]
fn a_gost_pades_signature_verifies_here_and_in_an_independent_gost_check() {
    let _machine = common::shared_machine();
    need_python_module("gostcrypto", "gostcrypto");
    need_python_module("asn1crypto", "asn1crypto");
    let signer = crate::gost::nca_head_signer();
    let form = "licence.security";
    let sample = qoltanba::form(form).expect("form").sample();
    let doc = qoltanba::issue(
        form,
        &sample,
        "licence.security-2026-000002",
        time::OffsetDateTime::now_utc().unix_timestamp(),
        Some(qoltanba::Sealing {
            signer: &signer,
            mode: qoltanba::SealMode::Compact,
        }),
    )
    .expect("issue");
    let dir = tempfile::tempdir().expect("dir");
    let pdf = dir.path().join("gost.pdf");
    std::fs::write(&pdf, &doc.pdf).expect("write");
    let (code, report) =
        crate::gost::run_json_trusting_nca(&["verify-pdf", &pdf.to_string_lossy()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["signatures"][0]["kind"], "pades");
    assert_eq!(
        report["signatures"][0]["digestAlgorithm"], "Streebog-512",
        "{report:#}"
    );

    const SCRIPT: &str = r#"
import re, sys, json
from asn1crypto import cms
from gostcrypto import gostsignature, gosthash
pdf = sys.stdin.buffer.read()
a, b, c, d = map(int, re.search(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', pdf).groups())
assert a == 0 and c + d == len(pdf)
signed = pdf[a:a + b] + pdf[c:c + d]
contents = bytes.fromhex(pdf[b + 1:c - 1].decode())
info = cms.ContentInfo.load(contents.rstrip(b'\0') + b'')
sd = info['content']
si = sd['signer_infos'][0]
attrs = {a['type'].dotted: a['values'][0] for a in si['signed_attrs']}
digest_ok = attrs['1.2.840.113549.1.9.4'].native == gosthash.new('streebog512', data=signed).digest()
signed_attrs = bytearray(si['signed_attrs'].dump())
signed_attrs[0] = 0x31
cert = sd['certificates'][0].chosen
# The key is the SubjectPublicKeyInfo's last 128 bytes (an OCTET STRING of x || y, little-endian, in the BIT STRING).
point = cert['tbs_certificate']['subject_public_key_info'].dump()[-128:]
x, y = point[:64][::-1], point[64:][::-1]
sig = si['signature'].native
r, s = sig[:64][::-1], sig[64:][::-1]
h = gosthash.new('streebog512', data=bytes(signed_attrs)).digest()
v = gostsignature.new(gostsignature.MODE_512, gostsignature.CURVES_R_1323565_1_024_2019['id-tc26-gost-3410-12-512-paramSetA'])
print(json.dumps({'digest': digest_ok, 'signature': v.verify(bytearray(x + y), bytearray(h[::-1]), bytearray(r + s))}))
"#;
    let check = |bytes: &[u8]| -> serde_json::Value {
        serde_json::from_slice(&common::tools::run_python(SCRIPT, bytes)).expect("json")
    };
    assert_eq!(
        check(&doc.pdf),
        serde_json::json!({"digest": true, "signature": true})
    );
    // A changed byte of the page: the digest no longer matches, there and here.
    let mut changed = doc.pdf.clone();
    let at = changed
        .windows(8)
        .position(|w| w == b"/Creator")
        .expect("info")
        + 2;
    changed[at] ^= 0x20;
    assert_eq!(check(&changed)["digest"], false);
    std::fs::write(&pdf, &changed).expect("write");
    let (code, report) =
        crate::gost::run_json_trusting_nca(&["verify-pdf", &pdf.to_string_lossy()]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["etsi"]["subIndication"], "HASH_FAILURE",
        "{report:#}"
    );
}

/// `qoltanba sign-pdf` signs a PDF it did not render (here an unsealed document) with a key given on the command
/// line; pdfsig and pyHanko accept it, and a PDF that already has a form is refused with a clear error.
#[test]
fn sign_pdf_signs_a_pdf_readers_accept_and_refuses_one_already_signed() {
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let form = "reference.birth";
    let sample = qoltanba::form(form).expect("form").sample();
    let plain = qoltanba::issue(form, &sample, "PLAIN-1", 1_795_428_000, None).expect("issue");
    let input = d.join("plain.pdf");
    std::fs::write(&input, &plain.pdf).expect("write");
    let (key, cert) = rsa_provider(d);
    let out = d.join("signed.pdf");
    let ca = common::project_dir().join("certs/issuing-ca.pem");
    let sign = |input: &Path, out: &Path| {
        common::run_qoltanba(&[
            "sign-pdf",
            "--key",
            key.to_str().expect("path"),
            "--cert",
            cert.to_str().expect("path"),
            "--chain",
            ca.to_str().expect("path"),
            "--in",
            input.to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
        ])
    };
    let (code, stdout, stderr) = sign(&input, &out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_pdfsig_accepts(&out);
    let checks = pyhanko(&out);
    assert_eq!(
        checks[0]["summary"], "INTACT:TRUSTED,UNTOUCHED",
        "{checks:?}"
    );
    let (code, report) = verify_pdf(&out);
    assert_eq!(code, 0, "{report:#}");

    let (code, _, stderr) = sign(&out, &d.join("twice.pdf"));
    assert_eq!(code, 2);
    assert!(stderr.contains("already has a form"), "{stderr}");
    assert!(!d.join("twice.pdf").exists());
}

/// The signed validation report opens with OpenSSL: `openssl cms -verify` checks the provider's signature and
/// gives back the JSON, which names the PDF by its SHA-256.
#[test]
fn a_signed_validation_report_verifies_with_openssl() {
    let _machine = common::shared_machine();
    let svc = common::client::service();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let pdf = issue(d, None, "issued.pdf");
    let bytes = std::fs::read(&pdf).expect("pdf");
    let a = common::client::request_with(
        svc.addr,
        "POST",
        "/v1/verify/pdf/report",
        "application/pdf",
        &common::client::bearer(&svc.operator),
        &bytes,
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    std::fs::write(d.join("report.p7m"), &a.body).expect("write");
    let certs = common::project_dir().join("certs");
    std::fs::write(
        d.join("bundle.pem"),
        [
            std::fs::read(certs.join("root-ca.pem")).expect("root"),
            std::fs::read(certs.join("issuing-ca.pem")).expect("ca"),
        ]
        .concat(),
    )
    .expect("bundle");
    openssl(
        d,
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "report.p7m",
            "-CAfile",
            "bundle.pem",
            "-purpose",
            "any",
            "-out",
            "report.json",
        ],
    );
    let filed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("report.json")).expect("json")).expect("json");
    let out = Command::new("sha256sum")
        .arg(&pdf)
        .output()
        .expect("sha256sum");
    let sha256 = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(filed["document"]["sha256"], sha256);
    assert_eq!(filed["report"]["signatures"][0]["coversWholeFile"], true);
}

/// pyHanko's validation of the first signature of `pdf` from its `/DSS` alone: revocation checking hard-failing,
/// no fetching, the demo root trusted. Gives the DSS's content (`names`: its certificates' common names, `crls`,
/// `ocsps`), the verdict (`intact`, `valid`, `trusted`, `summary`) and the control `without_dss_trusted`: the same
/// check with no revocation data at all.
fn pyhanko_from_dss(pdf: &Path) -> serde_json::Value {
    need_python_module("pyhanko", "pyhanko");
    const SCRIPT: &str = r#"
import sys, json
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.keys import load_cert_from_pemder
from pyhanko_certvalidator import ValidationContext
root = load_cert_from_pemder(sys.argv[1])
kwargs = {'trust_roots': [root], 'allow_fetching': False, 'revocation_mode': 'hard-fail'}
with open(sys.argv[2], 'rb') as f:
    r = PdfFileReader(f)
    dss = r.root['/DSS']
    sig = r.embedded_signatures[0]
    vc = DocumentSecurityStore.read_dss(r).as_validation_context(kwargs)
    st = validate_pdf_signature(sig, vc, ts_validation_context=vc)
    bare = validate_pdf_signature(sig, ValidationContext(crls=[], ocsps=[], **kwargs))
    from asn1crypto import x509
    names = sorted(x509.Certificate.load(c.get_object().data).subject.native.get('common_name', '')
                   for c in dss['/Certs'])
    print(json.dumps({'crls': len(dss.get('/CRLs', [])), 'ocsps': len(dss.get('/OCSPs', [])), 'names': names,
                      'intact': st.intact, 'valid': st.valid, 'trusted': st.trusted,
                      'summary': st.summary(), 'without_dss_trusted': bare.trusted}))
"#;
    python_json(SCRIPT, &[&demo_root(), pdf])
}

/// PAdES-B-LT: with `[pades] validation_data = true` (and a TSA), the issued PDF carries, after its signature, a
/// `/DSS` with the certificates of the provider's and the TSA's paths and the CRL that answered for them. pyHanko
/// validates it as PAdES-LT from the file alone; Qoltanba accepts the revision (it adds nothing a reader shows);
/// a page overlay appended after it is still refused.
#[test]
fn with_validation_data_issued_pdfs_are_pades_b_lt() {
    let _machine = common::shared_machine();
    let tsa = start_tsa(true);
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let (key, cert) = rsa_provider(d);
    let lt_config = config(
        d,
        &key,
        &cert,
        &format!(
            "[tsa]\nurl = \"{}\"\n[pades]\nvalidation_data = true\n",
            tsa.url
        ),
    );
    let pdf = issue(d, Some(&lt_config), "lt.pdf");

    let lt = pyhanko_from_dss(&pdf);
    // The provider, the TSA, the issuing CA (the root is the verifier's own anchor); the issuing CA's CRL and the
    // root's CRL that covers the issuing CA.
    assert_eq!(
        lt["names"],
        serde_json::json!(["rsa-provider", "tsa", "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (DEMO)"]),
        "{lt}"
    );
    assert_eq!(lt["crls"], 2, "{lt}");
    assert_eq!(lt["intact"], true, "{lt}");
    assert_eq!(lt["valid"], true, "{lt}");
    assert_eq!(lt["trusted"], true, "{lt}");
    assert_eq!(lt["without_dss_trusted"], false, "{lt}");
    assert!(
        lt["summary"].as_str().is_some_and(|s| s.starts_with(
            "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES"
        )),
        "{lt}"
    );

    let (code, report) = verify_pdf(&pdf);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["validationDataAppended"], true, "{report:#}");
    assert_eq!(report["signatures"][0]["coversWholeFile"], false);
    let (code, report) = common::run_json(&[
        "verify-document",
        pdf.to_str().expect("path"),
        "--config",
        lt_config.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["file"]["validationDataAppended"], true, "{report:#}");

    let bytes = std::fs::read(&pdf).expect("pdf");
    let overlaid = d.join("overlaid.pdf");
    std::fs::write(
        &overlaid,
        common::hardening::overlay(&bytes, "BT /QF1 18 Tf 60 600 Td (VOID) Tj ET"),
    )
    .expect("write");
    let (code, report) = verify_pdf(&overlaid);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["validationDataAppended"], false);
    let (code, report) = common::run_json(&[
        "verify-document",
        overlaid.to_str().expect("path"),
        "--config",
        lt_config.to_str().expect("path"),
    ]);
    assert_eq!(code, 1, "{report:#}");
}

/// PAdES-B-LT with OCSP, as an NCA deployment would run it (the NCA's full CRLs are 22 MB; its OCSP answers about
/// 1.3 KB): the node asks its OCSP responder (here `openssl ocsp` answering for the demo issuing CA) about the
/// provider's and the TSA's certificates, and embeds those answers in the `/DSS`; pyHanko validates the signature
/// from them with revocation hard-failing and no fetching.
#[test]
fn validation_data_carries_the_ocsp_answers_the_node_got() {
    let _machine = common::shared_machine();
    let tsa = start_tsa(true);
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let certs = common::project_dir().join("certs");
    let ocsp_dir = d.join("ocsp");
    std::fs::create_dir(&ocsp_dir).expect("mkdir");
    std::fs::copy(
        certs.join("issuing-ca.pem"),
        ocsp_dir.join("issuing-ca.pem"),
    )
    .expect("ca");
    std::fs::copy(
        certs.join("issuing-ca.key.pem"),
        ocsp_dir.join("issuing-ca.key"),
    )
    .expect("key");
    // The provider (serial 7302) and the TSA (7301), good; the CA answers for itself.
    std::fs::write(
        ocsp_dir.join("index.txt"),
        "V\t301231235959Z\t\t1C86\tunknown\t/C=KZ/CN=rsa-provider\n\
         V\t301231235959Z\t\t1C85\tunknown\t/C=KZ/CN=tsa\n",
    )
    .expect("index");
    let mode = std::sync::Arc::new(std::sync::Mutex::new(common::loopback::Mode::Sign(
        "issuing-ca",
        "issuing-ca",
    )));
    let ocsp = common::loopback::openssl_ocsp_responder(ocsp_dir, mode);
    let (key, cert) = rsa_provider(d);
    let lt_config = config(
        d,
        &key,
        &cert,
        &format!(
            "[tsa]\nurl = \"{}\"\n[pades]\nvalidation_data = true\n[revocation]\nocsp = [\"{ocsp}\"]\n\
             verify_source = \"ocsp-then-crl\"\n",
            tsa.url
        ),
    );
    let pdf = issue(d, Some(&lt_config), "lt-ocsp.pdf");

    let lt = pyhanko_from_dss(&pdf);
    // The provider's and the TSA's answers; the root's CRL answers for the issuing CA (no responder for it).
    assert_eq!(lt["ocsps"], 2, "{lt}");
    assert_eq!(lt["crls"], 1, "{lt}");
    assert_eq!(lt["trusted"], true, "{lt}");
    let (code, report) = verify_pdf(&pdf);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["validationDataAppended"], true);
}

/// A one-page PDF with a classic cross-reference table, none of ours: "Hello" in Helvetica.
fn plain_pdf() -> Vec<u8> {
    let content = "BT /F1 24 Tf 72 700 Td (Hello) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Most PDFs made since PDF 1.5 keep their objects in object streams and their cross-reference section as a
/// stream (Acrobat, Word, pdfTeX, qpdf), and a signer's incremental update then does the same. Such a file, made by
/// qpdf (Debian `qpdf`) from a plain one and signed by pyHanko, verifies here — the signature valid and covering the
/// whole file — as pyHanko and pdfsig say; a byte changed inside its signed range is found.
#[test]
fn a_pdf_with_object_streams_and_a_cross_reference_stream_verifies_here() {
    need_tool("qpdf", "qpdf");
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let plain = d.join("plain.pdf");
    std::fs::write(&plain, plain_pdf()).expect("write");
    let packed = d.join("packed.pdf");
    let out = Command::new("qpdf")
        .args(["--object-streams=generate", "--compress-streams=y"])
        .arg(&plain)
        .arg(&packed)
        .output()
        .expect("qpdf");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&packed).expect("packed");
    let holds = |what: &[u8]| bytes.windows(what.len()).any(|w| w == what);
    assert!(
        holds(b"/ObjStm") && holds(b"/XRef"),
        "qpdf wrote no object or cross-reference stream"
    );
    assert!(!holds(b"\nxref"), "qpdf wrote a classic table");

    let signed = d.join("signed.pdf");
    pyhanko_sign(&packed, &signed, "legal-head", "Signature1", true);
    let signed_bytes = std::fs::read(&signed).expect("signed");
    let update = &signed_bytes[bytes.len()..];
    assert!(
        update.windows(5).any(|w| w == b"/XRef"),
        "pyHanko's update is not a cross-reference stream"
    );

    let (code, report) = verify_pdf(&signed);
    assert_eq!(code, 0, "{report:#}");
    let sigs = report["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 1, "{report:#}");
    assert_eq!(sigs[0]["valid"], true, "{report:#}");
    assert_eq!(sigs[0]["kind"], "pades");
    assert_eq!(sigs[0]["coversWholeFile"], true);
    let checks = pyhanko(&signed);
    assert!(
        checks[0]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("INTACT:TRUSTED")),
        "{checks:?}"
    );
    assert_pdfsig_accepts(&signed);

    // Countersigned in a second such update: both valid, the first naming what came after it — the new signature,
    // not the cross-reference stream that indexes it.
    let twice = d.join("twice.pdf");
    pyhanko_sign(&signed, &twice, "individual-sign", "Applicant", false);
    let (code, report) = verify_pdf(&twice);
    assert_eq!(code, 0, "{report:#}");
    let sigs = report["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 2, "{report:#}");
    assert!(sigs.iter().all(|s| s["valid"] == true), "{report:#}");
    let appended = sigs[0]["appended"].to_string();
    assert!(appended.contains("Sig, new"), "{report:#}");
    assert!(!appended.contains("XRef"), "{report:#}");

    // One byte of the signed range changed (in the original revision's compressed bytes): invalid here.
    let mut tampered = signed_bytes.clone();
    let at = bytes.len() / 2;
    tampered[at] ^= 0x01;
    let broken = d.join("broken.pdf");
    std::fs::write(&broken, &tampered).expect("write");
    let (code, report) = verify_pdf(&broken);
    assert_ne!(code, 0, "{report:#}");
}
