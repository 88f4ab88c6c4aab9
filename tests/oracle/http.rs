//! The HTTP verification endpoints over a real socket (issue 6, first part): reports for certificates, CMS from
//! the OpenSSL CLI (Debian package `openssl`), seals and PDFs; problem+json with stable codes for bad input.

use crate::common;
use crate::common::client::{
    assert_problem, bearer, get, issue_reference, post_json, request, request_with, service,
    service_with, start,
};
use crate::common::http::assert_invalid_with;
use base64::Engine;
use std::net::{SocketAddr, TcpStream};

use qoltanba::Registry;
use serde_json::{json, Value};

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

#[test]
fn cms_from_the_openssl_cli_is_verified() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let addr = start();
    let dir = tempfile::tempdir().expect("tempdir");
    let content = dir.path().join("request.json");
    let request_json = br#"{"service":"reference.birth","iin":"870412300129"}"#;
    std::fs::write(&content, request_json).expect("write");
    let out = dir.path().join("request.p7s");
    let project = common::project_dir();
    let status = std::process::Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-nodetach",
            "-binary",
            "-outform",
            "DER",
            "-in",
        ])
        .arg(&content)
        .arg("-signer")
        .arg(project.join("certs/individual-sign.pem"))
        .arg("-inkey")
        .arg(project.join("certs/individual-sign.key.pem"))
        .arg("-out")
        .arg(&out)
        .status()
        .expect("openssl");
    assert!(status.success());
    let cms = B64.encode(std::fs::read(&out).expect("cms"));

    let ok = post_json(
        addr,
        "/v1/verify/cms",
        &json!({"cms": cms, "iin": "870412300129"}),
    );
    assert_eq!(ok.status, 200);
    let r = ok.json();
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["detached"], false);
    assert_eq!(
        r["contentSize"].as_u64(),
        Some(request_json.len() as u64),
        "{r}"
    );

    // The same signature, but the request names another applicant.
    let wrong = post_json(
        addr,
        "/v1/verify/cms",
        &json!({"cms": cms, "iin": "800105300127"}),
    );
    assert_invalid_with(&wrong, "IIN_MISMATCH");

    // Broken CMS bytes are bad input, not a panic.
    assert_problem(
        &post_json(
            addr,
            "/v1/verify/cms",
            &json!({"cms": B64.encode(b"\x30\x03\x02\x01")}),
        ),
        400,
        "MALFORMED",
    );
}

#[test]
fn qoltanba_serve_runs_from_any_directory_and_stops_on_sigterm() {
    let _machine = crate::common::shared_machine();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qoltanba"))
        .args(["serve", "--listen", &addr.to_string()])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The embedded default says what it is: in /health, and (below) on stderr at start.
    let health = request(addr, "GET", "/health", "text/plain", b"");
    assert_eq!(health.status, 200);
    assert_eq!(health.json(), json!({"status": "ok", "demo": true}));
    // Its data is private to its user (hardening finding 6): the directory 0700, the registry 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("data")), 0o700);
        assert_eq!(mode(&dir.path().join("data/registry.db")), 0o600);
    }
    let kill = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    assert!(
        err.contains("WARNING: running on the embedded demo PKI"),
        "{err}"
    );
}

/// A signer of the demo PKI from `certs/` (for the portal signing service: the company employee's key).
/// Finding 5 of the hardening issue: `POST /v1/sign/cms` signed any bytes with the provider's authorised person's
/// key for any portal token. It is off by default; configured, it signs with a key of its own, says so in a signed
/// contentHint, and what it signs is no provider's document.
#[test]
fn portal_signing_is_off_by_default_and_never_the_providers_key() {
    let _machine = crate::common::shared_machine();
    let svc = service();
    let body = json!({"data": B64.encode("Анықтама №1".as_bytes())}).to_string();
    let sign = |addr, headers: &str| {
        request_with(
            addr,
            "POST",
            "/v1/sign/cms",
            "application/json",
            headers,
            body.as_bytes(),
        )
    };
    let portal = format!("Authorization: Bearer {}\r\n", svc.portal);
    assert_problem(&sign(svc.addr, &portal), 501, "NOT_CONFIGURED");

    let svc = service_with(|mut state| {
        state.portal_signer = Some(std::sync::Arc::new(common::demo_signer("legal-employee")));
        state
    });
    let portal = format!("Authorization: Bearer {}\r\n", svc.portal);
    assert_problem(&sign(svc.addr, ""), 401, "UNAUTHENTICATED");
    assert_problem(
        &sign(svc.addr, "Authorization: Bearer qlt_wrong\r\n"),
        401,
        "UNAUTHENTICATED",
    );
    assert_problem(
        &sign(svc.addr, "Authorization: Basic dXNlcjpwYXNz\r\n"),
        401,
        "UNAUTHENTICATED",
    );
    assert_problem(
        &sign(
            svc.addr,
            &format!("Authorization: Bearer {}\r\n", svc.operator),
        ),
        403,
        "FORBIDDEN",
    );
    let audit_before = svc.registry.audit().expect("audit").len();
    let ok = sign(svc.addr, &portal);
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let cms = B64
        .decode(ok.json()["cms"].as_str().expect("cms"))
        .expect("base64");

    // Our verifier over HTTP agrees, and names the service's own signer, not the provider's.
    let r = post_json(
        svc.addr,
        "/v1/verify/cms",
        &json!({"cms": B64.encode(&cms)}),
    )
    .json();
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["subject"]["commonName"], "ӘБЕНОВА ГҮЛНАР", "{r}");
    // So does the OpenSSL CLI, which also shows the contentHint saying who signed and for whom.
    common::tools::need_tool("openssl", "openssl");
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let p7 = dir.path().join("signed.p7s");
        std::fs::write(&p7, &cms).expect("write");
        let out = std::process::Command::new("openssl")
            .args(["cms", "-verify", "-inform", "DER", "-in"])
            .arg(&p7)
            .arg("-CAfile")
            .arg(common::project_dir().join("certs/root-ca.pem"))
            .args(["-purpose", "any"])
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, "Анықтама №1".as_bytes());
        let printed = std::process::Command::new("openssl")
            .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"])
            .arg(&p7)
            .output()
            .expect("openssl");
        let printed = String::from_utf8_lossy(&printed.stdout);
        assert!(
            printed.contains("id-smime-aa-contentHint")
                && printed.contains("portal signing service"),
            "{printed}"
        );
    }
    // Recorded under the token's name, never the token.
    let audit = svc.registry.audit().expect("audit");
    assert_eq!(audit.len(), audit_before + 1);
    let last = audit.last().expect("entry");
    assert_eq!(
        (last.actor.as_str(), last.action.as_str()),
        ("portal-1", "cms.signed")
    );
    assert!(!format!("{audit:?}").contains(&svc.portal));
}

#[test]
fn references_are_issued_at_once_stored_and_verifiable() {
    let _machine = crate::common::shared_machine();
    let svc = service();
    let form = "reference.birth";
    let sample = qoltanba::form(form).expect("form").sample();
    let year =
        qoltanba::local_year(time::OffsetDateTime::now_utc().unix_timestamp()).expect("year");

    let created = issue_reference(&svc, form, &sample);
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let doc = created.json();
    let number = doc["number"].as_str().expect("number").to_string();
    assert_eq!(number, format!("reference.birth-{year}-000001"));
    let id = doc["id"].as_i64().expect("id");

    // Read back with an operator token; the PDF verifies over HTTP and names the same number.
    let read = get(svc.addr, &format!("/v1/documents/{id}"), &svc.operator);
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["number"], number.as_str());
    assert_eq!(read.json()["data"]["person"], sample["person"]);
    let pdf = get(svc.addr, &format!("/v1/documents/{id}/pdf"), &svc.portal);
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    let verified = request(
        svc.addr,
        "POST",
        "/v1/verify/document",
        "application/pdf",
        &pdf.body,
    )
    .json();
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(verified["content"]["number"], number.as_str());

    // The public status needs no token, but the verification code printed on the document: walking through
    // sequential numbers reveals nothing (a wrong code answers like a number that does not exist).
    let code = qoltanba::verification_code(
        &doc["seal"]
            .as_array()
            .expect("seal texts")
            .iter()
            .map(|t| t.as_str().expect("text").to_string())
            .collect::<Vec<_>>(),
    )
    .expect("code");
    assert!(
        common::tools::pdftotext(&pdf.body).contains(&code),
        "the code is printed on the document"
    );
    let status = request(
        svc.addr,
        "GET",
        &format!("/v1/documents/by-number/{number}/status?code={code}"),
        "text/plain",
        b"",
    );
    assert_eq!(status.status, 200);
    assert_eq!(status.json()["status"], "valid");
    let lower = code.to_lowercase().replace('-', "");
    let status = request(
        svc.addr,
        "GET",
        &format!("/v1/documents/by-number/{number}/status?code={lower}"),
        "text/plain",
        b"",
    );
    assert_eq!(status.status, 200, "the code is read as people type it");
    for (path, status, problem) in [
        (
            format!("/v1/documents/by-number/{number}/status"),
            400,
            "MALFORMED",
        ),
        (
            format!("/v1/documents/by-number/{number}/status?code=AAAA-AAAA"),
            404,
            "NOT_FOUND",
        ),
        (
            format!("/v1/documents/by-number/reference.birth-1999-000001/status?code={code}"),
            404,
            "NOT_FOUND",
        ),
    ] {
        assert_problem(
            &request(svc.addr, "GET", &path, "text/plain", b""),
            status,
            problem,
        );
    }

    // Reading needs a token; unknown ids are 404.
    assert_problem(
        &request(
            svc.addr,
            "GET",
            &format!("/v1/documents/{id}"),
            "text/plain",
            b"",
        ),
        401,
        "UNAUTHENTICATED",
    );
    for path in [
        "/v1/documents/999",
        "/v1/documents/abc",
        "/v1/documents/-1/pdf",
    ] {
        assert_problem(&get(svc.addr, path, &svc.portal), 404, "NOT_FOUND");
    }

    // Refusals of bad requests use no number.
    let mut bad = sample.clone();
    bad["birth_date"] = json!("31.02.2009");
    assert_problem(&issue_reference(&svc, form, &bad), 422, "INVALID_DATA");
    assert_problem(
        &issue_reference(&svc, "reference.nothing", &sample),
        404,
        "UNKNOWN_FORM",
    );
    assert_problem(
        &issue_reference(&svc, "licence.pawnshop", &sample),
        422,
        "NOT_A_REFERENCE",
    );
    let body = json!({"form": form, "data": sample}).to_string();
    assert_problem(
        &request_with(
            svc.addr,
            "POST",
            "/v1/documents",
            "application/json",
            &bearer(&svc.operator),
            body.as_bytes(),
        ),
        403,
        "FORBIDDEN",
    );
    let second = issue_reference(&svc, form, &sample).json();
    assert_eq!(second["number"], format!("reference.birth-{year}-000002"));
}

/// An independent validator (PyPI package `openapi-spec-validator`) accepts `/openapi.json` as OpenAPI 3.1.
#[test]
fn the_openapi_document_passes_an_independent_validator() {
    let _machine = crate::common::shared_machine();
    common::tools::need_python_module("openapi_spec_validator", "openapi-spec-validator");
    let svc = service();
    let doc = request(svc.addr, "GET", "/openapi.json", "text/plain", b"");
    let out = common::tools::run_python(
        "import json, sys\nfrom openapi_spec_validator import validate\nfrom openapi_spec_validator.validation import OpenAPIV31SpecValidator\nvalidate(json.load(sys.stdin), cls=OpenAPIV31SpecValidator)\nprint('valid')",
        &doc.body,
    );
    assert_eq!(String::from_utf8_lossy(&out).trim(), "valid");
}

/// The auditors' page (issue 8, first part): served by the binary with its script and style, under a content
/// security policy that allows nothing from outside; the page's text refers to no outside address; the script is
/// valid JavaScript (`node --check`, Debian package `nodejs`) and knows every report code in three languages.
#[test]
fn the_auditors_page_is_served_whole_from_the_binary() {
    let _machine = crate::common::shared_machine();
    let addr = start();
    let page = request(addr, "GET", "/verify", "text/plain", b"");
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    let html = String::from_utf8(page.body.clone()).expect("utf-8");
    for needle in [
        "<html lang=\"kk\">",
        "name=\"viewport\"",
        "<label for=\"pdf-file\"",
        "<label for=\"code-text\"",
        "aria-live=\"polite\"",
        "/verify/app.js",
        "/verify/jsqr.js",
        "/verify/style.css",
        "<label for=\"scan-image\"",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    let script = request(addr, "GET", "/verify/app.js", "text/plain", b"");
    assert_eq!(script.status, 200);
    assert_eq!(script.content_type, "text/javascript; charset=utf-8");
    let decoder = request(addr, "GET", "/verify/jsqr.js", "text/plain", b"");
    assert_eq!(decoder.status, 200);
    assert_eq!(
        decoder.body,
        std::fs::read(common::project_dir().join("src/http/page/vendor/jsQR.js")).expect("jsQR.js")
    );
    // Revalidation: the decoder's entity tag gets 304 and no body, another tag the whole file.
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(
        format!("GET /verify/jsqr.js HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .expect("request");
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    let etag = raw
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("an entity tag")
        .to_string();
    let again = request_with(
        addr,
        "GET",
        "/verify/jsqr.js",
        "text/plain",
        &format!("If-None-Match: W/\"other\", {etag}\r\n"),
        b"",
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let changed = request_with(
        addr,
        "GET",
        "/verify/jsqr.js",
        "text/plain",
        "If-None-Match: \"other\"\r\n",
        b"",
    );
    assert_eq!(
        (changed.status, changed.body.len()),
        (200, decoder.body.len())
    );
    let style = request(addr, "GET", "/verify/style.css", "text/plain", b"");
    assert_eq!(style.content_type, "text/css; charset=utf-8");
    let js = String::from_utf8(script.body.clone()).expect("utf-8");
    for text in [
        &html,
        &js,
        &String::from_utf8_lossy(&style.body).into_owned(),
    ] {
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "an outside address"
        );
    }
    // Every code of design.md §3 has words in the page's three languages.
    for code in [
        "MALFORMED",
        "CHAIN_UNTRUSTED",
        "CERT_SIGNATURE_INVALID",
        "CERT_EXPIRED",
        "CERT_NOT_YET_VALID",
        "CERT_REVOKED",
        "REVOCATION_UNKNOWN",
        "CA_CONSTRAINTS",
        "KEY_USAGE",
        "UNSUPPORTED_ALGORITHM",
        "UNSUPPORTED_CRITICAL_EXTENSION",
        "IIN_MISMATCH",
        "BIN_MISMATCH",
        "IDENTITY_ABSENT",
        "SIGNATURE_INVALID",
        "DOCUMENT_MISMATCH",
        "DOCUMENT_STATUS",
        "SIGNATURE_SCOPE",
        "SIGNER_NOT_AUTHORISED",
        "REVOKED_NO_POE",
        "NAME_MISMATCH",
    ] {
        assert!(js.contains(&format!("  {code}: [")), "{code} has no words");
    }
    // So does every field of every form, for the signed-content table.
    for form in qoltanba::catalogue().expect("forms").values() {
        for field in &form.fields {
            assert!(
                js.contains(&format!("\n  {}: [\"", field.name)),
                "{}: field {} has no words",
                form.id,
                field.name
            );
        }
    }
    // The CSP header: scripts and connections from this server only.
    let mut s = TcpStream::connect(addr).expect("connect");
    use std::io::{Read, Write};
    s.write_all(
        format!("GET /verify HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .expect("request");
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    let head = raw
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(
        head.contains("content-security-policy: default-src 'none'; script-src 'self'"),
        "{head}"
    );
    common::tools::need_tool("node", "nodejs");
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.js");
        std::fs::write(&path, &js).expect("write");
        let out = std::process::Command::new("node")
            .arg("--check")
            .arg(&path)
            .output()
            .expect("node");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The page's QR decoder is npm's `jsqr` exactly as `package-lock.json` pins it: `npm pack` (Debian package `npm`,
/// from the npm registry) fetches the pinned version, its tarball must have the locked integrity, and the
/// vendored decoder and licence must be that tarball's files byte for byte.
#[test]
fn the_bundled_qr_decoder_is_the_pinned_npm_package() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("npm", "npm");
    common::tools::need_tool("tar", "tar");
    let page = common::project_dir().join("src/http/page");
    let lock: Value = serde_json::from_slice(
        &std::fs::read(page.join("package-lock.json")).expect("package-lock.json"),
    )
    .expect("lock JSON");
    let pinned = &lock["packages"]["node_modules/jsqr"];
    let version = pinned["version"].as_str().expect("version");
    let integrity = pinned["integrity"].as_str().expect("integrity");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new("npm")
        .args(["pack", "--json", "--pack-destination"])
        .arg(dir.path())
        .arg(format!("jsqr@{version}"))
        .current_dir(dir.path())
        .output()
        .expect("npm pack");
    assert!(
        out.status.success(),
        "npm pack: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let packed: Value = serde_json::from_slice(&out.stdout).expect("npm pack --json");
    assert_eq!(packed[0]["integrity"].as_str(), Some(integrity));
    let tarball = dir
        .path()
        .join(packed[0]["filename"].as_str().expect("filename"));
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&tarball)
        .current_dir(dir.path())
        .status()
        .expect("tar");
    assert!(status.success());
    for (vendored, packaged) in [
        ("vendor/jsQR.js", "package/dist/jsQR.js"),
        ("vendor/jsQR.LICENSE", "package/LICENSE"),
    ] {
        assert!(
            std::fs::read(page.join(vendored)).expect("vendored")
                == std::fs::read(dir.path().join(packaged)).expect("packaged"),
            "{vendored} is not jsqr {version}'s {packaged}: run src/http/page/vendor/update.sh"
        );
    }
}

/// `POST /v1/verify/batch`: a thousand items — CMS signed by the OpenSSL CLI (Debian package `openssl`) by a valid
/// and a revoked signer, certificates, XML, a seal, and malformed items — answered in order, each exactly as its
/// single endpoint answers it, a malformed item failing alone.
#[test]
fn a_batch_answers_each_item_as_its_single_endpoint_does() {
    use base64::Engine;
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = common::client::service();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let signed: Vec<serde_json::Value> = ["individual-sign", "revoked", "legal-head"]
        .iter()
        .map(|who| {
            serde_json::json!({"cms": b64(&common::client::openssl_sign(format!("batch {who}").as_bytes(), who, false))})
        })
        .collect();
    let cert = qoltanba::load_certificates(&common::project_dir().join("certs/expired.pem"))
        .expect("cert")
        .remove(0);
    let reference = common::client::issue_reference(
        &svc,
        "reference.birth",
        &qoltanba::form("reference.birth").expect("form").sample(),
    )
    .json();
    let doc = common::client::get(
        svc.addr,
        &format!("/v1/documents/{}", reference["id"]),
        &svc.portal,
    )
    .json();
    let mut kinds: Vec<(&str, serde_json::Value)> = signed
        .iter()
        .map(|s| ("/v1/verify/cms", s.clone()))
        .collect();
    kinds.push((
        "/v1/verify/certificate",
        serde_json::json!({"certificate": b64(cert.der())}),
    ));
    kinds.push((
        "/v1/verify/seal",
        serde_json::json!({"barcode": doc["seal"]}),
    ));
    kinds.push(("/v1/verify/cms", serde_json::json!({"cms": "!!"})));
    let items: Vec<serde_json::Value> = (0..1000)
        .map(|i| kinds[i % kinds.len()].1.clone())
        .collect();
    let mut body = serde_json::json!({ "items": items });
    body["items"][999] = serde_json::json!({"neither": 1});
    let a = request(
        svc.addr,
        "POST",
        "/v1/verify/batch",
        "application/json",
        body.to_string().as_bytes(),
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let results = a.json()["results"].as_array().expect("results").clone();
    assert_eq!(results.len(), 1000);
    let single: Vec<serde_json::Value> = kinds
        .iter()
        .map(|(path, item)| {
            request(
                svc.addr,
                "POST",
                path,
                "application/json",
                item.to_string().as_bytes(),
            )
            .json()
        })
        .collect();
    let verdict = |v: &serde_json::Value| {
        (
            v["valid"].clone(),
            v["codes"].clone(),
            v["code"].clone(),
            v["indication"].clone(),
        )
    };
    for (i, r) in results.iter().enumerate().take(999) {
        assert_eq!(
            verdict(r),
            verdict(&single[i % kinds.len()]),
            "item {i}: {r}"
        );
    }
    assert_eq!(results[0]["valid"], true);
    assert_eq!(results[1]["valid"], false);
    assert_eq!(results[5]["code"], "MALFORMED");
    assert_eq!(results[999]["code"], "MALFORMED");
    // Empty, or more than a thousand: refused whole.
    for n in [0, 1001] {
        let items: Vec<serde_json::Value> =
            (0..n).map(|_| serde_json::json!({"cms": "AA=="})).collect();
        let a = request(
            svc.addr,
            "POST",
            "/v1/verify/batch",
            "application/json",
            serde_json::json!({ "items": items }).to_string().as_bytes(),
        );
        assert_eq!(a.status, 400);
    }
}
