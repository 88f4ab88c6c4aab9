//! CMS interop both ways with the OpenSSL CLI (Debian package `openssl`), problem codes per signer, and broken
//! CMS input. OpenSSL signs with the interop fixtures (RSA-2048 and ECDSA P-256 leaves); Qoltanba signs with the
//! demo provider's key (ECDSA P-256) and the interop RSA leaf.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;

const AT: &str = "2026-12-01T00:00:00Z";
const F: &str = "tests/fixtures/openssl/out";
const CONTENT: &[u8] = "Өтініш: жеке кәсіпкер ретінде тіркеу. ИИН 870412300129\n".as_bytes();

struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        let w = Work {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::write(w.path("content.txt"), CONTENT).expect("write");
        w
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

fn p(rel: &str) -> String {
    common::project_dir()
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(common::project_dir())
        .output()
        .expect("run openssl")
}

/// `openssl cms -sign` with the given signers (cert, key) and options; returns the DER path.
fn openssl_sign(w: &Work, out: &str, signers: &[(&str, &str)], opts: &[&str]) -> String {
    let mut args = vec!["cms", "-sign", "-binary", "-outform", "DER"];
    let owned: Vec<String> = signers
        .iter()
        .flat_map(|(c, k)| ["-signer".to_string(), p(c), "-inkey".to_string(), p(k)])
        .collect();
    args.extend(owned.iter().map(String::as_str));
    args.extend_from_slice(opts);
    let input = w.s("content.txt");
    let output = w.s(out);
    args.extend_from_slice(&["-in", &input, "-out", &output]);
    let o = openssl(&args);
    assert!(
        o.status.success(),
        "openssl cms -sign: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    output
}

/// The interop trust configuration for `verify-cms`.
fn interop_trust() -> Vec<String> {
    let mut v = Vec::new();
    for (flag, f) in [
        ("--trust", "root.pem"),
        ("--intermediates", "inter.pem"),
        ("--intermediates", "inter-ec.pem"),
        ("--crl", "root.crl"),
        ("--crl", "inter.crl"),
        ("--crl", "inter-ec.crl"),
    ] {
        v.push(flag.to_string());
        v.push(p(&format!("{F}/{f}")));
    }
    v
}

fn demo_trust() -> Vec<String> {
    vec![
        "--trust".into(),
        p("certs/root-ca.pem"),
        "--intermediates".into(),
        p("certs/issuing-ca.pem"),
        "--crl".into(),
        p("certs/crl"),
    ]
}

fn verify(
    cms: &str,
    content: Option<&str>,
    trust: &[String],
    extra: &[&str],
) -> (i32, serde_json::Value) {
    let mut args: Vec<String> = vec![
        "verify-cms".into(),
        "--cms".into(),
        cms.into(),
        "--at".into(),
        AT.into(),
    ];
    if let Some(c) = content {
        args.push("--content".into());
        args.push(c.into());
    }
    args.extend(trust.iter().cloned());
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    common::run_json(&refs)
}

fn qoltanba_sign(
    w: &Work,
    out: &str,
    key: &str,
    cert: &str,
    chain: &str,
    detached: bool,
) -> String {
    let output = w.s(out);
    let input = w.s("content.txt");
    let (key, cert, chain) = (p(key), p(cert), p(chain));
    let mut args = vec![
        "sign-cms", "--key", &key, "--cert", &cert, "--chain", &chain, "--in", &input, "--out",
        &output,
    ];
    if detached {
        args.push("--detached");
    }
    let (code, stdout, stderr) = common::run_qoltanba(&args);
    assert_eq!(code, 0, "sign-cms: {stdout}{stderr}");
    output
}

#[test]
fn openssl_signatures_verify_here() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let w = Work::new();
    let content = w.s("content.txt");
    let rsa = (format!("{F}/leaf-rsa.pem"), format!("{F}/leaf-rsa.key"));
    let ec = (format!("{F}/leaf-ec.pem"), format!("{F}/leaf-ec.key"));
    // (name, signer certificate and key, openssl options, detached)
    type Case<'a> = (&'a str, (String, String), Vec<&'a str>, bool);
    let cases: Vec<Case<'_>> = vec![
        ("rsa-attached", rsa.clone(), vec!["-nodetach"], false),
        ("rsa-detached", rsa.clone(), vec![], true),
        (
            "rsa-noattr",
            rsa.clone(),
            vec!["-nodetach", "-noattr"],
            false,
        ),
        ("ec-attached", ec.clone(), vec!["-nodetach"], false),
        ("ec-detached-noattr", ec.clone(), vec!["-noattr"], true),
        (
            "rsa-sha512-keyid",
            rsa.clone(),
            vec!["-nodetach", "-md", "sha512", "-keyid"],
            false,
        ),
    ];
    for (name, (cert, key), opts, detached) in cases {
        let cms = openssl_sign(&w, &format!("{name}.der"), &[(&cert, &key)], &opts);
        let (code, r) = verify(
            &cms,
            detached.then_some(content.as_str()),
            &interop_trust(),
            &[],
        );
        assert_eq!(code, 0, "{name}: {r}");
        assert_eq!(r["detached"], detached, "{name}");
        assert_eq!(r["signers"].as_array().map(Vec::len), Some(1));
        let expected_alg = match name {
            "rsa-pss" => "RSASSA-PSS",
            n if n.starts_with("ec") => "ecdsa-with-SHA256",
            "rsa-sha512-keyid" => "sha512WithRSAEncryption",
            _ => "sha256WithRSAEncryption",
        };
        assert_eq!(
            r["signers"][0]["signatureAlgorithm"], expected_alg,
            "{name}"
        );
        assert_eq!(
            r["signers"][0]["signedAttributes"],
            !opts.contains(&"-noattr"),
            "{name}"
        );
        if !opts.contains(&"-noattr") {
            assert!(
                r["signers"][0]["signingTime"].is_string(),
                "{name}: signingTime reported"
            );
        }
        // A detached signature without its content is bad input.
        if detached {
            let (code, r) = verify(&cms, None, &interop_trust(), &[]);
            assert_eq!(
                (code, common::codes(&r)),
                (2, vec!["MALFORMED".to_string()]),
                "{name}"
            );
        }
    }
}

#[test]
fn our_signatures_verify_with_openssl() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let w = Work::new();
    let content = w.s("content.txt");
    let demo_ca = w.s("demo-ca.pem");
    std::fs::write(
        &demo_ca,
        std::fs::read_to_string(p("certs/root-ca.pem")).expect("root")
            + &std::fs::read_to_string(p("certs/issuing-ca.pem")).expect("ca"),
    )
    .expect("write");
    let interop_ca = w.s("interop-ca.pem");
    std::fs::write(
        &interop_ca,
        std::fs::read_to_string(p(&format!("{F}/root.pem"))).expect("root")
            + &std::fs::read_to_string(p(&format!("{F}/inter.pem"))).expect("inter"),
    )
    .expect("write");
    let cases = [
        (
            "ec-attached",
            "certs/provider-signer.key.pem",
            "certs/provider-signer.pem",
            "certs/issuing-ca.pem",
            false,
            &demo_ca,
        ),
        (
            "ec-detached",
            "certs/provider-signer.key.pem",
            "certs/provider-signer.pem",
            "certs/issuing-ca.pem",
            true,
            &demo_ca,
        ),
        (
            "rsa-attached",
            "tests/fixtures/openssl/out/leaf-rsa.key",
            "tests/fixtures/openssl/out/leaf-rsa.pem",
            "tests/fixtures/openssl/out/inter.pem",
            false,
            &interop_ca,
        ),
        (
            "rsa-detached",
            "tests/fixtures/openssl/out/leaf-rsa.key",
            "tests/fixtures/openssl/out/leaf-rsa.pem",
            "tests/fixtures/openssl/out/inter.pem",
            true,
            &interop_ca,
        ),
    ];
    for (name, key, cert, chain, detached, ca) in cases {
        let cms = qoltanba_sign(&w, &format!("{name}.der"), key, cert, chain, detached);
        let out = w.s(&format!("{name}.out"));
        let attime = common::unix(AT).to_string();
        let mut args = vec![
            "cms", "-verify", "-binary", "-inform", "DER", "-in", &cms, "-CAfile", ca, "-attime",
            &attime, "-out", &out,
        ];
        if detached {
            args.extend_from_slice(&["-content", &content]);
        }
        let o = openssl(&args);
        assert!(
            o.status.success(),
            "{name}: openssl cms -verify: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            std::fs::read(&out).expect("out"),
            CONTENT,
            "{name}: OpenSSL recovers the content"
        );
        // OpenSSL sees our signed attributes.
        let printed = openssl(&["cms", "-cmsout", "-print", "-inform", "DER", "-in", &cms]);
        let text = String::from_utf8_lossy(&printed.stdout);
        for attr in [
            "contentType",
            "signingTime",
            "messageDigest",
            "id-smime-aa-signingCertificateV2",
        ] {
            assert!(text.contains(attr), "{name}: {attr} missing in\n{text}");
        }
        // And we accept it too.
        let trust = if ca == &demo_ca {
            demo_trust()
        } else {
            interop_trust()
        };
        let (code, r) = verify(&cms, detached.then_some(content.as_str()), &trust, &[]);
        assert_eq!(code, 0, "{name}: {r}");
    }
}

#[test]
fn tampering_and_bad_signers_get_their_codes() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let w = Work::new();
    let content = w.s("content.txt");

    // One changed byte of content, attached: the CMS bytes of the content itself are changed.
    let cms = openssl_sign(
        &w,
        "att.der",
        &[(&format!("{F}/leaf-rsa.pem"), &format!("{F}/leaf-rsa.key"))],
        &["-nodetach"],
    );
    let mut der = std::fs::read(&cms).expect("read");
    let at = der
        .windows(CONTENT.len())
        .position(|x| x == CONTENT)
        .expect("content inside");
    der[at + 3] ^= 0x01;
    std::fs::write(w.path("tampered.der"), &der).expect("write");
    let (code, r) = verify(&w.s("tampered.der"), None, &interop_trust(), &[]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["SIGNATURE_INVALID".to_string()]),
        "{r}"
    );

    // Detached, with the content changed.
    let det = openssl_sign(
        &w,
        "det.der",
        &[(&format!("{F}/leaf-rsa.pem"), &format!("{F}/leaf-rsa.key"))],
        &[],
    );
    let mut changed = CONTENT.to_vec();
    changed[0] ^= 0x20;
    std::fs::write(w.path("changed.txt"), &changed).expect("write");
    let (code, r) = verify(&det, Some(&w.s("changed.txt")), &interop_trust(), &[]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["SIGNATURE_INVALID".to_string()])
    );
    // No signed attributes: the signature itself is over the content.
    let noattr = openssl_sign(
        &w,
        "noattr.der",
        &[(&format!("{F}/leaf-rsa.pem"), &format!("{F}/leaf-rsa.key"))],
        &["-noattr"],
    );
    let (code, r) = verify(&noattr, Some(&w.s("changed.txt")), &interop_trust(), &[]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["SIGNATURE_INVALID".to_string()])
    );

    // Revoked and expired signers.
    for (leaf, code_name) in [
        ("leaf-revoked", "CERT_REVOKED"),
        ("leaf-expired", "CERT_EXPIRED"),
    ] {
        let cms = openssl_sign(
            &w,
            &format!("{leaf}.der"),
            &[(&format!("{F}/{leaf}.pem"), &format!("{F}/{leaf}.key"))],
            &["-nodetach"],
        );
        let (code, r) = verify(&cms, None, &interop_trust(), &[]);
        assert_eq!(
            (code, common::codes(&r)),
            (1, vec![code_name.to_string()]),
            "{leaf}"
        );
    }

    // An untrusted signer: the interop chain is not trusted by the demo root.
    let cms = openssl_sign(
        &w,
        "untrusted.der",
        &[(&format!("{F}/leaf-rsa.pem"), &format!("{F}/leaf-rsa.key"))],
        &["-nodetach"],
    );
    let (code, r) = verify(&cms, None, &demo_trust(), &[]);
    assert_eq!(code, 1);
    assert_eq!(common::codes(&r), vec!["CHAIN_UNTRUSTED".to_string()]);

    // An AUTH key signing, and the applicant's identity.
    let cms = openssl_sign(
        &w,
        "auth.der",
        &[("certs/individual-auth.pem", "certs/individual-auth.key.pem")],
        &["-nodetach"],
    );
    let (code, r) = verify(&cms, None, &demo_trust(), &[]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["KEY_USAGE".to_string()])
    );
    let cms = openssl_sign(
        &w,
        "sign.der",
        &[("certs/individual-sign.pem", "certs/individual-sign.key.pem")],
        &["-nodetach"],
    );
    let (code, r) = verify(&cms, None, &demo_trust(), &["--iin", "870412300129"]);
    assert_eq!((code, common::codes(&r)), (0, vec![]));
    assert_eq!(r["subject"]["iin"], "870412300129");
    let (code, r) = verify(&cms, None, &demo_trust(), &["--iin", "800105300127"]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["IIN_MISMATCH".to_string()])
    );
    let (code, r) = verify(&cms, None, &demo_trust(), &["--bin", "040840001231"]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["IDENTITY_ABSENT".to_string()])
    );
    let legal = openssl_sign(
        &w,
        "legal.der",
        &[("certs/legal-head.pem", "certs/legal-head.key.pem")],
        &["-nodetach"],
    );
    let (code, r) = verify(
        &legal,
        None,
        &demo_trust(),
        &["--iin", "800105300127", "--bin", "040840001251"],
    );
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["BIN_MISMATCH".to_string()])
    );

    // Two signers, one revoked: one entry per signer, and the whole is invalid.
    let two = openssl_sign(
        &w,
        "two.der",
        &[
            (&format!("{F}/leaf-rsa.pem"), &format!("{F}/leaf-rsa.key")),
            (
                &format!("{F}/leaf-revoked.pem"),
                &format!("{F}/leaf-revoked.key"),
            ),
        ],
        &["-nodetach"],
    );
    let (code, r) = verify(&two, None, &interop_trust(), &[]);
    assert_eq!(code, 1);
    let signers = r["signers"].as_array().expect("signers");
    assert_eq!(signers.len(), 2);
    let valid: Vec<bool> = signers
        .iter()
        .map(|s| s["valid"].as_bool().expect("bool"))
        .collect();
    assert!(valid.contains(&true) && valid.contains(&false), "{valid:?}");
    assert_eq!(common::codes(&r), vec!["CERT_REVOKED".to_string()]);
    assert!(
        r["messages"].to_string().contains("signer "),
        "messages say which signer"
    );
    let _ = content;
}

#[test]
fn broken_cms_is_bad_input() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let w = Work::new();
    let good = openssl_sign(
        &w,
        "good.der",
        &[(&format!("{F}/leaf-rsa.pem"), &format!("{F}/leaf-rsa.key"))],
        &["-nodetach"],
    );
    let der = std::fs::read(&good).expect("read");
    let nocerts = openssl_sign(
        &w,
        "nocerts.der",
        &[(&format!("{F}/leaf-rsa.pem"), &format!("{F}/leaf-rsa.key"))],
        &["-nodetach", "-nocerts"],
    );
    // id-data ContentInfo instead of SignedData.
    let data_ci = qoltanba::asn1::encode(
        0x30,
        &[
            &[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
            ][..],
            &qoltanba::asn1::encode(0xa0, &qoltanba::asn1::encode(0x04, b"hello")),
        ]
        .concat(),
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", der[..der.len() / 2].to_vec()),
        ("garbage", b"not a CMS at all".to_vec()),
        ("id-data", data_ci),
        (
            "certificate instead of CMS",
            std::fs::read(p(&format!("{F}/leaf-rsa.pem"))).expect("cert"),
        ),
        (
            "huge attribute",
            with_huge_attribute(
                &std::fs::read(qoltanba_sign(
                    &w,
                    "ours.der",
                    "certs/provider-signer.key.pem",
                    "certs/provider-signer.pem",
                    "certs/issuing-ca.pem",
                    false,
                ))
                .expect("read"),
            ),
        ),
    ];
    for (name, bytes) in cases {
        let path = w.path(&format!("{}.bad", name.replace(' ', "-")));
        std::fs::write(&path, &bytes).expect("write");
        let (code, r) = verify(&path.to_string_lossy(), None, &interop_trust(), &[]);
        assert_eq!(code, 2, "{name}: {r}");
        assert_eq!(common::codes(&r), vec!["MALFORMED".to_string()], "{name}");
        let message = r["messages"][0].as_str().expect("message").to_string();
        let expected = match name {
            "empty" => "empty",
            "id-data" => "not SignedData",
            "huge attribute" => "signed attributes are",
            "garbage" => "not DER",
            "certificate instead of CMS" => "where CMS or PKCS7 was expected",
            _ => "not a CMS",
        };
        assert!(message.contains(expected), "{name}: {message}");
    }
    // The signer's certificate is neither inside nor supplied.
    let (code, r) = verify(&nocerts, None, &interop_trust(), &[]);
    assert_eq!(code, 2, "{r}");
    assert!(
        r["messages"][0]
            .as_str()
            .expect("message")
            .contains("certificate"),
        "{r}"
    );
    // Supplied separately, it is found.
    let (code, r) = common::run_json(&[
        "verify-cms",
        "--cms",
        &nocerts,
        "--at",
        AT,
        "--trust",
        &p(&format!("{F}/root.pem")),
        "--intermediates",
        &p(&format!("{F}/inter.pem")),
        "--intermediates",
        &p(&format!("{F}/leaf-rsa.pem")),
        "--crl",
        &p(&format!("{F}/root.crl")),
        "--crl",
        &p(&format!("{F}/inter.crl")),
    ]);
    assert_eq!(code, 0, "{r}");
}

/// Our CMS with a 100 KB value added to the signer's signed attributes (re-encoded with the cms crate).
fn with_huge_attribute(cms_der: &[u8]) -> Vec<u8> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerInfos};
    use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
    use der::{Any, Decode, Encode};
    let ci = ContentInfo::from_der(cms_der).expect("ci");
    let mut sd: SignedData = ci.content.decode_as().expect("sd");
    let mut infos: Vec<cms::signed_data::SignerInfo> = sd.signer_infos.0.iter().cloned().collect();
    let attrs = infos[0].signed_attrs.as_mut().expect("attrs");
    let value =
        Any::encode_from(&OctetString::new(vec![0x42u8; 100_000]).expect("octets")).expect("any");
    attrs
        .insert(x509_cert::attr::Attribute {
            oid: ObjectIdentifier::new_unwrap("1.2.3.4.5"),
            values: SetOfVec::try_from(vec![value]).expect("set"),
        })
        .expect("insert");
    sd.signer_infos = SignerInfos(SetOfVec::try_from(infos).expect("infos"));
    ContentInfo {
        content_type: ci.content_type,
        content: Any::encode_from(&sd).expect("sd"),
    }
    .to_der()
    .expect("der")
}

#[test]
fn pkcs12_keys_sign() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let w = Work::new();
    for (name, opts) in [
        ("aes", vec![]),
        (
            "3des",
            vec![
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ],
        ),
    ] {
        let p12 = w.s(&format!("{name}.p12"));
        let key = p("certs/provider-signer.key.pem");
        let cert = p("certs/provider-signer.pem");
        let mut args = vec![
            "pkcs12",
            "-export",
            "-inkey",
            &key,
            "-in",
            &cert,
            "-passout",
            "pass:Qwerty12",
            "-out",
            &p12,
        ];
        args.extend(opts.iter());
        let o = openssl(&args);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = w.s(&format!("{name}.cms"));
        let input = w.s("content.txt");
        let (code, stdout, stderr) = common::run_qoltanba(&[
            "sign-cms",
            "--key",
            &p12,
            "--password",
            "Qwerty12",
            "--in",
            &input,
            "--out",
            &out,
        ]);
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
        let (code, r) = verify(&out, None, &demo_trust(), &[]);
        assert_eq!(code, 0, "{name}: {r}");
        let (code, _, stderr) = common::run_qoltanba(&[
            "sign-cms",
            "--key",
            &p12,
            "--password",
            "wrong",
            "--in",
            &input,
            "--out",
            &out,
        ]);
        assert_eq!(code, 2, "{name}: wrong password");
        assert!(stderr.contains("PKCS#12"), "{stderr}");
    }
    // A key that is not the certificate's is refused.
    let input = w.s("content.txt");
    let out = w.s("x.cms");
    let (code, _, stderr) = common::run_qoltanba(&[
        "sign-cms",
        "--key",
        &p("certs/legal-head.key.pem"),
        "--cert",
        &p("certs/provider-signer.pem"),
        "--in",
        &input,
        "--out",
        &out,
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does not belong"), "{stderr}");
    let _ = Path::new(&out);
}
