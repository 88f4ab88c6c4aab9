//! NCANode v3's API on Qoltanba (issue 18) over real HTTP: the shapes of ncanode-kz/NCANode's `dto/` (read from
//! its source: `../shared/notes/ncanode-v3-api.md`), each certificate's fields checked against what Python's
//! `cryptography` (PyPI) reads from the same certificate by NCANode's rules — serial in lower-case hex, dates with
//! milliseconds and `+00:00`, the SubjectPublicKeyInfo and signature bits in base64, the subject read as
//! `CertificateWrapper` reads it; signatures made by the OpenSSL CLI (Debian package `openssl`); an XML document
//! signed by the NCA's own library (`../shared/conformance/nca-xml`); and a client written as NCANode's Python
//! clients are, reading `valid` and `signers`, run unchanged against Qoltanba.

use crate::common;
use crate::common::client::{openssl_sign, request, start};
use base64::Engine;
use serde_json::{json, Value};
use std::net::SocketAddr;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

fn post(addr: SocketAddr, path: &str, body: &Value) -> (u16, Value) {
    let a = request(
        addr,
        "POST",
        path,
        "application/json",
        body.to_string().as_bytes(),
    );
    let status = a.status;
    (status, a.json())
}

/// What NCANode's `CertificateWrapper` would show of `certs/{name}.pem`, computed by Python's `cryptography`.
fn expected(name: &str) -> Value {
    expected_at(&common::project_dir().join(format!("certs/{name}.pem")))
}

/// [`expected`] for any PEM certificate file; `publicKey` is left out when `cryptography` cannot read the key (GOST).
fn expected_at(path: &std::path::Path) -> Value {
    let script = r#"
import sys, json, base64
from cryptography import x509
from cryptography.hazmat.primitives import serialization
c = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
def date(t): return t.strftime('%Y-%m-%dT%H:%M:%S.000+00:00')
def subject(name):
    s = {}
    for rdn in name.rdns:
        for a in rdn:
            o, v = a.oid.dotted_string, a.value
            if o == '2.5.4.3': s['commonName'] = v
            elif o == '2.5.4.4': s['surName'] = v
            elif o == '2.5.4.5':
                if v.startswith('BIN'): s['bin'] = v[3:]
                else: s['iin'] = v[3:] if v.startswith('IIN') else v
            elif o == '2.5.4.6': s['country'] = v
            elif o == '2.5.4.7': s['locality'] = v
            elif o == '1.2.840.113549.1.9.1': s['email'] = v
            elif o == '2.5.4.10': s['organization'] = v
            elif o == '2.5.4.11': s['bin'] = v[3:] if v.startswith('BIN') else v
    return s
def key(c):
    try: return base64.b64encode(c.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    except Exception: return None
ku = c.extensions.get_extension_for_class(x509.KeyUsage).value
usage = 'SIGN' if ku.digital_signature and ku.content_commitment else ('AUTH' if ku.digital_signature and ku.key_encipherment else 'UNKNOWN')
print(json.dumps({
    'serialNumber': format(c.serial_number, 'x'),
    'notBefore': date(c.not_valid_before_utc),
    'notAfter': date(c.not_valid_after_utc),
    'keyUsage': usage,
    'publicKey': key(c),
    'signature': base64.b64encode(c.signature).decode(),
    'subject': subject(c.subject),
    'issuer': subject(c.issuer),
}))
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The fields of a `CertificateInfo` equal to what `expected` computed, and shaped as NCANode's.
fn assert_certificate_info(info: &Value, name: &str) {
    assert_certificate_info_as(info, name, &expected(name));
}

fn assert_certificate_info_as(info: &Value, name: &str, want: &Value) {
    for key in [
        "serialNumber",
        "notBefore",
        "notAfter",
        "keyUsage",
        "publicKey",
        "signature",
    ] {
        if !want[key].is_null() {
            assert_eq!(info[key], want[key], "{name}: {key}");
        }
    }
    for part in ["subject", "issuer"] {
        let mut got = info[part].clone();
        let dn = got
            .as_object_mut()
            .and_then(|o| o.remove("dn"))
            .expect("dn");
        assert_eq!(got, want[part], "{name}: {part}");
        let cn = want[part]["commonName"].as_str().expect("cn");
        // A value with a quote is quoted in the dn (checked exactly in the golden test of the NCA's certificates).
        if !cn.contains('"') {
            assert!(
                dn.as_str().expect("dn").contains(&format!("CN={cn}")),
                "{dn}"
            );
        }
    }
    // NON_NULL: no null field in a CertificateInfo or its subject.
    for (k, v) in info.as_object().expect("object") {
        assert!(!v.is_null(), "{name}: {k} is null");
    }
}

#[test]
fn cms_verify_answers_in_ncanodes_shapes_with_our_verdict() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("python3", "python3 with cryptography (PyPI)");
    let addr = start();
    let content = "NCANode-тің клиенті / клиент NCANode".as_bytes();
    let cms = openssl_sign(content, "individual-sign", false);
    let (status, body) = post(
        addr,
        "/ncanode/cms/verify",
        &json!({"cms": B64.encode(&cms), "revocationCheck": []}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 200);
    assert_eq!(body["message"], "OK");
    assert_eq!(body["valid"], true, "{body}");
    let signer = &body["signers"][0];
    assert!(
        signer.get("tsp").is_some_and(Value::is_null),
        "tsp: null, present"
    );
    let info = &signer["certificates"][0];
    assert_certificate_info(info, "individual-sign");
    assert_eq!(info["valid"], true);
    assert_eq!(info["keyUser"], json!(["INDIVIDUAL"]));
    assert_eq!(info["signAlg"], "SHA256WITHECDSA");
    // `revocationCheck: []` is the node's policy (the demo PKI's CRLs), and says what answered.
    assert_eq!(info["revocations"][0]["by"], "CRL");
    assert_eq!(info["revocations"][0]["revoked"], false);
    assert!(info["revocations"][0]["reason"].is_null());
    // Our full report beside it.
    assert_eq!(body["report"]["indication"], "TOTAL_PASSED");

    // A detached signature: `data` carries the content.
    let detached = openssl_sign(content, "individual-sign", true);
    let (_, body) = post(
        addr,
        "/ncanode/cms/verify",
        &json!({"cms": B64.encode(&detached), "data": B64.encode(content)}),
    );
    assert_eq!(body["valid"], true, "{body}");

    // A revoked signer: NCANode's shape, our verdict, and the CRL that says so.
    let revoked = openssl_sign(content, "revoked", false);
    let (status, body) = post(
        addr,
        "/ncanode/cms/verify",
        &json!({"cms": B64.encode(&revoked), "revocationCheck": ["CRL"]}),
    );
    assert_eq!(status, 200);
    assert_eq!(body["valid"], false);
    let info = &body["signers"][0]["certificates"][0];
    assert_eq!(info["valid"], false);
    assert_eq!(
        info["revocations"],
        json!([{"revoked": true, "by": "CRL", "revocationTime": null, "reason": ""}])
    );
    assert!(common::codes(&body["report"]).contains(&"CERT_REVOKED".to_string()));

    // What cannot be read is NCANode's 400.
    let (status, body) = post(addr, "/ncanode/cms/verify", &json!({"cms": "не base64"}));
    assert_eq!(status, 400);
    assert_eq!(body["status"], 400);
    assert!(body["message"].is_string());
    let (status, _) = post(addr, "/ncanode/cms/verify", &json!({"nothing": 1}));
    assert_eq!(status, 400);

    // /cms/extract gives the content back.
    let (status, body) = post(
        addr,
        "/ncanode/cms/extract",
        &json!({"cms": B64.encode(&cms)}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        B64.decode(body["data"].as_str().expect("data"))
            .expect("b64"),
        content
    );
}

#[test]
fn x509_info_reads_der_and_pem_and_names_what_it_cannot_read() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("python3", "python3 with cryptography (PyPI)");
    let addr = start();
    let pem = std::fs::read(common::project_dir().join("certs/legal-head.pem")).expect("pem");
    let der = qoltanba::load_certificates(&common::project_dir().join("certs/legal-head.pem"))
        .expect("cert")
        .remove(0);
    let (status, body) = post(
        addr,
        "/ncanode/x509/info",
        &json!({"certs": [B64.encode(der.der()), B64.encode(&pem)]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "OK");
    assert_eq!(body["valid"], true, "{body}");
    for info in body["signers"].as_array().expect("signers") {
        assert_certificate_info(info, "legal-head");
        assert_eq!(info["keyUser"], json!(["ORGANIZATION", "CEO"]));
    }
    let (status, body) = post(
        addr,
        "/ncanode/x509/info",
        &json!({"certs": [B64.encode(der.der()), "AAAA"]}),
    );
    assert_eq!(status, 200);
    assert_eq!(body["valid"], false);
    assert_eq!(body["message"], "[1]: Invalid certificate given.");
    assert!(body["signers"][1].is_null());
    let (_, body) = post(addr, "/ncanode/x509/info", &json!({"certs": []}));
    assert_eq!(body["valid"], false);
}

#[test]
fn xml_signed_by_the_ncas_library_is_shown_as_ncanode_shows_it() {
    let _machine = crate::common::shared_machine();
    let dir = common::tools::conformance_dir().join("nca-xml");
    let addr = start();
    let xml = std::fs::read_to_string(dir.join("rsa-then-gost-two-signers.xml")).expect("xml");
    let (status, body) = post(addr, "/ncanode/xml/verify", &json!({"xml": xml}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "OK");
    // The demo node does not trust the NCA's test roots: our verdict says so, the certificates are still shown.
    assert_eq!(body["valid"], false);
    let signers = body["signers"].as_array().expect("signers");
    assert_eq!(signers.len(), 2, "{body}");
    let algs: Vec<&str> = signers
        .iter()
        .map(|s| s["signAlg"].as_str().expect("signAlg"))
        .collect();
    assert!(algs.contains(&"ECGOST3410-2015-512"), "{algs:?}");
    for s in signers {
        let date = s["notBefore"].as_str().expect("date");
        assert!(date.ends_with(".000+00:00") && date.len() == 29, "{date}");
        assert!(s["subject"]["dn"].as_str().expect("dn").contains("C=KZ"));
        assert!(!s["serialNumber"].as_str().expect("serial").starts_with('0'));
        assert_eq!(s["issuer"]["country"], "KZ");
    }
    let soap = std::fs::read_to_string(dir.join("wsse-soap-rsa.xml")).expect("xml");
    let (status, body) = post(addr, "/ncanode/wsse/verify", &json!({"xml": soap}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["signers"].as_array().map(Vec::len), Some(1), "{body}");
}

#[test]
fn keys_never_travel_and_the_rest_answers_as_ncanode_does() {
    let _machine = crate::common::shared_machine();
    let addr = start();
    for path in [
        "/ncanode/cms/sign",
        "/ncanode/xml/sign",
        "/ncanode/wsse/sign",
    ] {
        let (status, body) = post(
            addr,
            path,
            &json!({"data": "AAAA", "signers": [{"key": "MIIK", "password": "Qwerty12"}]}),
        );
        assert_eq!(status, 400, "{path}");
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .contains("does not take private keys"),
            "{body}"
        );
    }
    // Five bytes of a PDF header are no PDF: NCANode's 400 (whole files: tests/hermetic/http.rs).
    let (status, body) = post(addr, "/ncanode/pdf/verify", &json!({"pdf": "JVBERi0="}));
    assert_eq!((status, body["status"].clone()), (400, json!(400)));
    let health = request(addr, "GET", "/ncanode/actuator/health", "text/plain", b"").json();
    assert_eq!(health, json!({"status": "UP"}));
}

/// A client as NCANode's Python clients are written (`requests`-style: a JSON body, `valid` and
/// `signers[].certificates[].subject` read back), run unchanged against Qoltanba's `/ncanode` base URL.
#[test]
fn an_ncanode_python_client_runs_unchanged() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("python3", "python3");
    let addr = start();
    let cms = openssl_sign(b"{\"login\": \"challenge\"}", "individual-sign", false);
    let client = r#"
import json, sys, urllib.request
class NCANodeClient:
    def __init__(self, url): self.url = url.rstrip('/')
    def request(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=10) as r: return json.loads(r.read())
    def cms_verify(self, cms, revocation_check=None):
        return self.request('/cms/verify', {'cms': cms, 'revocationCheck': revocation_check or []})
client = NCANodeClient(sys.argv[1])
answer = client.cms_verify(sys.argv[2], ['CRL'])
assert answer['status'] == 200 and answer['message'] == 'OK', answer
signer = answer['signers'][0]['certificates'][0]
print(json.dumps({'valid': answer['valid'], 'iin': signer['subject']['iin'], 'name': signer['subject']['commonName'], 'until': signer['notAfter']}))
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(client)
        .arg(format!("http://{addr}/ncanode"))
        .arg(B64.encode(&cms))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(seen["valid"], true);
    assert_eq!(seen["iin"], common::client::cert_iin("individual-sign"));
    assert_eq!(seen["name"], "ТЕСТОВ ТЕСТ");
}

/// `qoltanba serve` with `[ncanode] listen`: NCANode's paths on a port of their own (as a portal configured for
/// NCANode's 14579 calls them), and `access = "token"` asking for a portal token there and under `/ncanode`.
#[test]
fn a_listener_of_its_own_at_ncanodes_paths_with_tokens_when_asked() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let dir = tempfile::tempdir().expect("tempdir");
    let (main, own) = (common::client::free_addr(), common::client::free_addr());
    std::fs::write(
        dir.path().join("qoltanba.toml"),
        format!("listen = \"{main}\"\ndata = \"data\"\n\n[ncanode]\nlisten = \"{own}\"\naccess = \"token\"\n"),
    )
    .expect("write");
    let mut child = common::client::spawn_server(
        &["serve", "--config", "qoltanba.toml"],
        &[],
        dir.path(),
        main,
    );
    let (portal, _) = common::client::printed_tokens(&mut child);
    let cms = openssl_sign(b"hello", "individual-sign", false);
    let body = json!({"cms": B64.encode(&cms)}).to_string();
    let ask = |addr: SocketAddr, path: &str, headers: &str| {
        common::client::request_with(
            addr,
            "POST",
            path,
            "application/json",
            headers,
            body.as_bytes(),
        )
    };
    let refused = ask(own, "/cms/verify", "");
    let refused_main = ask(main, "/ncanode/cms/verify", "");
    let taken = ask(own, "/cms/verify", &common::client::bearer(&portal));
    let health = request(own, "GET", "/actuator/health", "text/plain", b"");
    common::client::signal(&child, "KILL");
    let _ = child.wait();
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["status"], 401);
    assert_eq!(refused_main.status, 401);
    assert_eq!(
        taken.status,
        200,
        "{}",
        String::from_utf8_lossy(&taken.body)
    );
    assert_eq!(taken.json()["valid"], true);
    assert_eq!(health.json(), json!({"status": "UP"}));
}

/// The rows of README's table of differences, each where NCANode answers `valid: true` and Qoltanba does not.
#[test]
fn where_ncanode_says_valid_and_we_do_not() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let addr = start();
    let verify = |cms: &[u8], checks: Value| {
        let (status, body) = post(
            addr,
            "/ncanode/cms/verify",
            &json!({"cms": B64.encode(cms), "revocationCheck": checks}),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["valid"], false, "{body}");
        common::codes(&body["report"])
    };
    // 1. `revocationCheck: []` is no check in NCANode: a revoked signer passes. Here it is the node's policy.
    let revoked = openssl_sign(b"x", "revoked", false);
    assert!(verify(&revoked, json!([])).contains(&"CERT_REVOKED".to_string()));
    // 2. An authentication key signing a document: NCANode does not look at key usage for CMS.
    let auth = openssl_sign(b"x", "individual-auth", false);
    assert!(verify(&auth, json!([])).contains(&"KEY_USAGE".to_string()));
    // 3. A SignerInfo whose certificate is not in the CMS: NCANode skips it, and no signer left is valid.
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::write(&input, b"x").expect("write");
    let out = dir.path().join("out.p7s");
    let certs = common::project_dir().join("certs");
    assert!(std::process::Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-nocerts",
            "-outform",
            "DER",
            "-in"
        ])
        .arg(&input)
        .arg("-signer")
        .arg(certs.join("individual-sign.pem"))
        .arg("-inkey")
        .arg(certs.join("individual-sign.key.pem"))
        .arg("-out")
        .arg(&out)
        .status()
        .expect("openssl")
        .success());
    // 4. An XML signature that covers a part of the document only (an `Id`-referenced element), signed by xmlsec1
    // (Debian package `xmlsec1`): the signature itself is sound — xmlsec1 verifies it, as NCANode would, which
    // checks the signature and not what it covers — but the unsigned part says the opposite of the signed one.
    common::tools::need_tool("xmlsec1", "xmlsec1");
    let template = dir.path().join("partial.xml");
    std::fs::write(
        &template,
        "<application xmlns=\"urn:qoltanba:application:1\" service=\"licence.private-bailiff\">\
         <applicant iin=\"870412300129\">ТЕСТОВ ТЕСТ ТЕСТОВИЧ</applicant><part Id=\"signed\">approved: no</part>\
         <part>approved: yes</part><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>\
         <ds:Reference URI=\"#signed\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         </ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/>\
         </ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/>\
         </ds:X509Data></ds:KeyInfo></ds:Signature></application>",
    )
    .expect("write");
    let partial = dir.path().join("partial-signed.xml");
    let key = format!(
        "{},{}",
        certs.join("individual-sign.key.pem").display(),
        certs.join("individual-sign.pem").display()
    );
    let xmlsec = |args: &[&str]| {
        std::process::Command::new("xmlsec1")
            .args(args)
            .output()
            .expect("xmlsec1")
            .status
            .success()
    };
    let s = |p: &std::path::Path| p.to_str().expect("path").to_string();
    assert!(xmlsec(&[
        "--sign",
        "--privkey-pem",
        &key,
        "--id-attr:Id",
        "part",
        "--output",
        &s(&partial),
        &s(&template)
    ]));
    assert!(xmlsec(&[
        "--verify",
        "--trusted-pem",
        &s(&certs.join("root-ca.pem")),
        "--untrusted-pem",
        &s(&certs.join("issuing-ca.pem")),
        "--id-attr:Id",
        "part",
        &s(&partial)
    ]));
    let (status, body) = post(
        addr,
        "/ncanode/xml/verify",
        &json!({"xml": std::fs::read_to_string(&partial).expect("read")}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["valid"], false, "{body}");
    assert!(
        common::codes(&body["report"]).contains(&"SIGNATURE_SCOPE".to_string()),
        "{body}"
    );

    // 3 (continued). Refused as NCANode refuses what it cannot verify: 400, saying which certificate is missing.
    let (status, body) = post(
        addr,
        "/ncanode/cms/verify",
        &json!({"cms": B64.encode(std::fs::read(&out).expect("cms"))}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("neither in the CMS nor supplied"),
        "{body}"
    );
}

/// NCANode-style batches (its issue #212): an array of request bodies to a compatible endpoint → an array of its
/// answers, in order, each as the request alone would get, a malformed one failing alone with its error body.
#[test]
fn an_array_of_requests_is_answered_in_order() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let addr = start();
    let good = B64.encode(openssl_sign(b"one", "individual-sign", false));
    let revoked = B64.encode(openssl_sign(b"two", "revoked", false));
    let (status, body) = post(
        addr,
        "/ncanode/cms/verify",
        &json!([{"cms": good}, {"cms": revoked}, {"cms": "не base64"}, {"nothing": 1}]),
    );
    assert_eq!(status, 200, "{body}");
    let answers = body.as_array().expect("array");
    assert_eq!(answers.len(), 4);
    assert_eq!(
        (answers[0]["status"].clone(), answers[0]["valid"].clone()),
        (json!(200), json!(true))
    );
    assert_eq!(answers[1]["valid"], false);
    assert_eq!(answers[2]["status"], 400);
    assert_eq!(answers[3]["status"], 400);
    let pem = std::fs::read(common::project_dir().join("certs/legal-head.pem")).expect("pem");
    let (_, body) = post(
        addr,
        "/ncanode/x509/info",
        &json!([{"certs": [B64.encode(&pem)]}, {"certs": ["AAAA"]}]),
    );
    assert_eq!(body[0]["valid"], true, "{body}");
    assert_eq!(body[1]["message"], "[0]: Invalid certificate given.");
    let (status, _) = post(addr, "/ncanode/cms/verify", &json!([]));
    assert_eq!(status, 400);
}

/// With `[ncanode] sign`, NCANode's signing endpoints sign with the node's portal signing key (here the demo
/// legal entity's employee), never with the PKCS#12 a request carries, and say so; the CMS verifies in
/// `openssl cms -verify`, the XML through `/ncanode/xml/verify`.
#[test]
fn configured_signing_uses_the_nodes_key_and_says_so() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = common::client::service_with(|mut state| {
        state.portal_signer = Some(std::sync::Arc::new(common::demo_signer("legal-employee")));
        state.ncanode_signs = true;
        state
    });
    let (status, body) = post(
        svc.addr,
        "/ncanode/cms/sign",
        &json!({"data": B64.encode("қол қою / подпись"), "signers": [{"key": "MIIK", "password": "Qwerty12"}]}),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["signedWith"]["note"]
        .as_str()
        .expect("note")
        .contains("never read"));
    let dir = tempfile::tempdir().expect("tempdir");
    let cms = dir.path().join("s.p7s");
    std::fs::write(
        &cms,
        B64.decode(body["cms"].as_str().expect("cms")).expect("b64"),
    )
    .expect("write");
    let certs = common::project_dir().join("certs");
    let out = std::process::Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(&cms)
        .arg("-CAfile")
        .arg(certs.join("root-ca.pem"))
        .arg("-certfile")
        .arg(certs.join("issuing-ca.pem"))
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "қол қою / подпись");

    let (status, body) = post(
        svc.addr,
        "/ncanode/xml/sign",
        &json!({"xml": "<doc><text>қол</text></doc>", "signers": [{"key": "MIIK", "password": "x"}]}),
    );
    assert_eq!(status, 200, "{body}");
    let (_, verified) = post(
        svc.addr,
        "/ncanode/xml/verify",
        &json!({"xml": body["xml"]}),
    );
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(
        verified["signers"][0]["serialNumber"],
        body["signedWith"]["serialNumber"]
            .as_str()
            .expect("serial")
            .trim_start_matches('0')
    );
}

/// Golden answers for the NCA's own test certificates (`../shared/conformance/nca-test-pki/gost2015/pem`, GOST R
/// 34.10-2015 512-bit): every field `cryptography` can read compared, the Kalkan name NCANode gives their
/// algorithm (`ECGOST3410-2015-512`, as NCANode-Go checked against a live Java NCANode), the issuer's `dn` as
/// NCANode prints the 2022 test CA (`C=KZ, CN=… (GOST) TEST 2022`: reverse DER order), the roles as `keyUser`,
/// and the test IINs that fail the checksum shown as they are.
#[test]
fn the_ncas_gost_test_certificates_read_as_ncanode_reads_them() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("python3", "python3 with cryptography (PyPI)");
    let dir = common::tools::conformance_dir().join("nca-test-pki/gost2015/pem");
    let addr = start();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    assert_eq!(names.len(), 12);
    let roles = [
        ("individual_", vec!["INDIVIDUAL"]),
        ("_head", vec!["ORGANIZATION", "CEO"]),
        ("_employee_signright", vec!["ORGANIZATION", "CAN_SIGN"]),
        ("_employee.pem", vec!["ORGANIZATION", "EMPLOYEE"]),
    ];
    for path in names {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let pem = std::fs::read(&path).expect("read");
        let (status, body) = post(
            addr,
            "/ncanode/x509/info",
            &json!({"certs": [B64.encode(&pem)]}),
        );
        assert_eq!(status, 200, "{name}: {body}");
        let info = &body["signers"][0];
        assert_certificate_info_as(info, &name, &expected_at(&path));
        assert_eq!(info["signAlg"], "ECGOST3410-2015-512", "{name}");
        assert_eq!(
            info["issuer"]["dn"], "C=KZ, CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022",
            "{name}"
        );
        // The test IINs fail the checksum and are shown as they are; an information system has none.
        if let Some(iin) = info["subject"]["iin"].as_str() {
            assert!(iin.starts_with("1234567890"), "{name}");
        }
        if name.contains("treasury_client") {
            // Java's X500Principal quotes a value holding a quote (the Go port saw the same on a live NCANode).
            assert_eq!(
                info["subject"]["dn"],
                "OU=BIN123456789021, O=\"АО \\\"ТЕСТ\\\"\", C=KZ, CN=\"ИС \\\"Тест\\\"\", UID=1.2.398.6.10.1.1",
                "{name}"
            );
        }
        // The SubjectPublicKeyInfo as the certificate holds it: the NCA's GOST key OID, and the 128-byte key.
        let key = B64
            .decode(info["publicKey"].as_str().expect("key"))
            .expect("b64");
        let der = qoltanba::load_certificates(&path).expect("cert").remove(0);
        assert!(
            der.der().windows(key.len()).any(|w| w == key),
            "{name}: the certificate's own bytes"
        );
        let gost_key = [
            0x06, 0x09, 0x2A, 0x83, 0x0E, 0x03, 0x0A, 0x01, 0x01, 0x02, 0x02,
        ];
        assert!(key.windows(gost_key.len()).any(|w| w == gost_key), "{name}");
        assert!(key.len() > 128 + 20, "{name}");
        for (marker, users) in &roles {
            if name.contains(marker) {
                assert_eq!(info["keyUser"], json!(users), "{name}");
            }
        }
        // The demo node does not trust the NCA's test root: our verdict, NCANode's shape.
        assert_eq!(info["valid"], false, "{name}");
    }
}

/// A CMS whose signer carries a signature timestamp (an `openssl ts -reply` token over its signature value, added
/// as `id-aa-signatureTimeStampToken`): `tsp` is NCANode's `TspInfo` of it — serial as `BigInteger.toByteArray()`
/// in hex, `genTime` in NCANode's date format, the policy, the TSA's name as Bouncy Castle prints a
/// `GeneralName`, Kalkan's name of the imprint algorithm and the imprint — and the signature still verifies.
#[test]
fn a_signature_timestamp_is_shown_as_ncanodes_tsp_info() {
    use der::{Decode, Encode};
    let _machine = crate::common::shared_machine();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    crate::tsp::certificate(
        d,
        "tsa",
        "extendedKeyUsage = critical, timeStamping",
        "4244",
    );
    std::fs::write(d.join("ts.cnf"), crate::tsp::TS_CONFIG).expect("config");
    std::fs::write(d.join("serial"), "2a\n").expect("serial");
    let cms = openssl_sign(b"stamped content", "individual-sign", false);
    let info = cms::content_info::ContentInfo::from_der(&cms).expect("content info");
    let mut signed: cms::signed_data::SignedData = info.content.decode_as().expect("signed data");
    let mut signers = signed.signer_infos.0.clone().into_vec();
    std::fs::write(d.join("signature.bin"), signers[0].signature.as_bytes()).expect("signature");
    let tool = |args: &[&str]| common::tools::openssl(d, args);
    tool(&[
        "ts",
        "-query",
        "-data",
        "signature.bin",
        "-sha256",
        "-cert",
        "-out",
        "q.tsq",
    ]);
    tool(&[
        "ts",
        "-reply",
        "-config",
        "ts.cnf",
        "-queryfile",
        "q.tsq",
        "-signer",
        "tsa.pem",
        "-inkey",
        "tsa.key",
        "-token_out",
        "-out",
        "token.der",
    ]);
    let token = std::fs::read(d.join("token.der")).expect("token");
    let attribute = x509_cert::attr::Attribute {
        oid: der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14"),
        values: der::asn1::SetOfVec::try_from(vec![der::Any::from_der(&token).expect("any")])
            .expect("set"),
    };
    signers[0].unsigned_attrs =
        Some(der::asn1::SetOfVec::try_from(vec![attribute]).expect("attrs"));
    signed.signer_infos =
        cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(signers).expect("signers"));
    let stamped = cms::content_info::ContentInfo {
        content_type: info.content_type,
        content: der::Any::encode_from(&signed).expect("encode"),
    }
    .to_der()
    .expect("der");

    let addr = start();
    let (status, body) = post(
        addr,
        "/ncanode/cms/verify",
        &json!({"cms": B64.encode(&stamped), "revocationCheck": []}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["valid"], true,
        "an unsigned attribute does not touch the signature: {body}"
    );
    let tsp = &body["signers"][0]["tsp"];
    let used = std::fs::read_to_string(d.join("serial")).expect("serial");
    assert_eq!(tsp["serialNumber"], used.trim().to_lowercase());
    assert_eq!(tsp["policy"], "1.2.398.3.3.2.6.2");
    assert_eq!(tsp["tsa"], "4: C=KZ,CN=tsa");
    assert_eq!(tsp["tspHashAlgorithm"], "SHA256");
    let digest: String = ring::digest::digest(
        &ring::digest::SHA256,
        &std::fs::read(d.join("signature.bin")).expect("sig"),
    )
    .as_ref()
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect();
    assert_eq!(tsp["hash"], digest.as_str());
    // genTime as OpenSSL reads it, in NCANode's date format.
    let text = std::process::Command::new("openssl")
        .args(["ts", "-reply", "-in", "token.der", "-token_in", "-text"])
        .current_dir(d)
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&text.stdout);
    let stamp = text
        .lines()
        .find_map(|l| l.strip_prefix("Time stamp: "))
        .expect("a time stamp line");
    let format = time::macros::format_description!(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
    );
    let when = time::PrimitiveDateTime::parse(stamp.trim(), &format).expect("openssl's date");
    let want = when
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].000+00:00"
        ))
        .expect("format");
    assert_eq!(tsp["genTime"], want.as_str(), "{text}");
}
