//! Several providers in one node (issue 17, item 6–7): two providers configured with two signers (the demo PKI's
//! provider signer and its legal entity's head), operators' tokens bound to one provider each. Applications signed
//! by the OpenSSL CLI (Debian package `openssl`) go to the provider they name; each licence carries its
//! provider's name (read by `pdftotext`, Debian package `poppler-utils`) and its provider's signature (checked by
//! `qoltanba verify-document --config`, a separate process); an operator of one provider can neither read nor
//! decide the other's applications, nor change its licences.

use crate::common;
use crate::common::client::{
    assert_problem, bearer, cert_iin, get, openssl_sign, request_with, serve, Answer,
};
use base64::Engine;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

const SOUTH: &str = "Шымкент қаласының әділет департаменті";

struct Node {
    addr: SocketAddr,
    portal: String,
    main_operator: String,
    south_operator: String,
    config: std::path::PathBuf,
    registry: std::sync::Arc<qoltanba::SqliteRegistry>,
    _dir: tempfile::TempDir,
}

/// A node of two providers: `main` (the configured signer) and `south` (its own signer, name and place), with
/// a portal token and one operator token per provider.
fn two_providers() -> Node {
    let portal = qoltanba::generate_token().expect("token");
    let main_operator = qoltanba::generate_token().expect("token");
    let south_operator = qoltanba::generate_token().expect("token");
    let extra = format!(
        r#"
[[providers]]
id = "south"
authority = "{SOUTH}"
place = "Шымкент қ."
head = "Оңтүстік Басшы"

[providers.signer]
key = "pki/legal-head.key.pem"
cert = "pki/legal-head.pem"

[[tokens]]
name = "portal"
role = "portal"
sha256 = "{}"

[[tokens]]
name = "Айгерім Main"
role = "operator"
provider = "main"
sha256 = "{}"

[[tokens]]
name = "Данияр South"
role = "operator"
provider = "south"
sha256 = "{}"
"#,
        qoltanba::token_sha256_hex(&portal),
        qoltanba::token_sha256_hex(&main_operator),
        qoltanba::token_sha256_hex(&south_operator),
    );
    let dir = common::config::config_dir(&extra);
    for f in ["legal-head.pem", "legal-head.key.pem"] {
        std::fs::copy(
            common::project_dir().join("certs").join(f),
            dir.path().join("pki").join(f),
        )
        .expect("copy");
    }
    let config_path = dir.path().join("qoltanba.toml");
    let config = qoltanba::ServiceConfig::load(Some(&config_path), |_| None).expect("config");
    let registry = std::sync::Arc::new(qoltanba::SqliteRegistry::in_memory().expect("registry"));
    let now = qoltanba::UnixTime::now().secs();
    config
        .install_tokens(registry.as_ref(), now)
        .expect("tokens");
    let node = config.node(registry.clone(), now).expect("node");
    assert_eq!(
        node.offices
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>(),
        ["main", "south"]
    );
    let addr = serve(
        qoltanba::AppState::with(node, qoltanba::Limits::default()),
        None,
    );
    Node {
        addr,
        portal,
        main_operator,
        south_operator,
        config: config_path,
        registry,
        _dir: dir,
    }
}

fn call(n: &Node, method: &str, path: &str, token: &str, body: &Value) -> Answer {
    request_with(
        n.addr,
        method,
        path,
        "application/json",
        &bearer(token),
        body.to_string().as_bytes(),
    )
}

fn ok(a: Answer) -> Value {
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()
}

fn licence_application(provider: Option<&str>) -> Value {
    let mut app = json!({
        "service": "licence.private-bailiff",
        "applicant": {"iin": cert_iin("individual-sign"), "name": "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"},
        "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
    });
    if let Some(p) = provider {
        app["provider"] = json!(p);
    }
    app
}

/// Submits and pays: the application, registered with its provider.
fn registered(n: &Node, provider: Option<&str>) -> Value {
    let cms = openssl_sign(
        licence_application(provider).to_string().as_bytes(),
        "individual-sign",
        false,
    );
    let app = call(
        n,
        "POST",
        "/v1/applications",
        &n.portal,
        &json!({"cms": B64.encode(cms)}),
    );
    assert_eq!(app.status, 201, "{}", String::from_utf8_lossy(&app.body));
    let app = app.json();
    ok(call(
        n,
        "POST",
        &format!("/v1/applications/{}/steps/pay", app["id"]),
        &n.portal,
        &json!({"reference": "KZ-PAY"}),
    ))
}

/// The licence's PDF, verified by `qoltanba verify-document --config` (a separate process): the report and the
/// PDF's words.
fn verified_licence(n: &Node, decided: &Value, dir: &Path) -> (Value, String) {
    let pdf = get(
        n.addr,
        decided["document"]["pdf"].as_str().expect("pdf link"),
        &n.portal,
    );
    assert_eq!(pdf.status, 200);
    let path = dir.join(format!("{}.pdf", decided["document"]["id"]));
    std::fs::write(&path, &pdf.body).expect("write");
    let (code, report) = common::run_json(&[
        "verify-document",
        "--config",
        n.config.to_str().expect("path"),
        path.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    let text = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).expect("utf-8");
    (
        report,
        text.split_whitespace().collect::<Vec<_>>().join(" "),
    )
}

#[test]
fn two_providers_sign_their_own_documents_and_their_operators_stay_apart() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let n = two_providers();
    let dir = tempfile::tempdir().expect("tempdir");

    // Addressed to `south`: its view names it; `main`'s operator can neither read, list nor decide it.
    let south_app = registered(&n, Some("south"));
    assert_eq!(south_app["provider"], "south", "{south_app}");
    let path = format!("/v1/applications/{}", south_app["id"]);
    assert_problem(&get(n.addr, &path, &n.main_operator), 403, "OTHER_PROVIDER");
    assert_problem(
        &call(
            &n,
            "POST",
            &format!("{path}/steps/approve"),
            &n.main_operator,
            &json!({}),
        ),
        403,
        "OTHER_PROVIDER",
    );
    assert_problem(
        &get(n.addr, "/v1/applications?provider=south", &n.main_operator),
        403,
        "OTHER_PROVIDER",
    );
    assert_eq!(
        ok(get(n.addr, &path, &n.south_operator))["status"],
        "registered"
    );

    // `south`'s operator decides: the licence is south's — its name and place printed, its head's signature.
    let decided = ok(call(
        &n,
        "POST",
        &format!("{path}/steps/approve"),
        &n.south_operator,
        &json!({}),
    ));
    assert_eq!(decided["status"], "approved", "{decided}");
    let (report, text) = verified_licence(&n, &decided, dir.path());
    assert!(text.contains(SOUTH), "{text}");
    assert!(text.contains("Шымкент қ."), "{text}");
    assert_eq!(report["provider"], SOUTH, "{report}");
    assert_eq!(
        report["chain"][0]["sha256"].as_str(),
        Some(openssl_fingerprint("legal-head.pem").as_str()),
        "{report}"
    );

    // No provider named: the node's first, `main`, with its own signer and name.
    let main_app = registered(&n, None);
    assert_eq!(main_app["provider"], "main");
    let main_decided = ok(call(
        &n,
        "POST",
        &format!("/v1/applications/{}/steps/approve", main_app["id"]),
        &n.main_operator,
        &json!({}),
    ));
    let (main_report, main_text) = verified_licence(&n, &main_decided, dir.path());
    assert!(!main_text.contains(SOUTH), "{main_text}");
    assert_eq!(
        main_report["chain"][0]["sha256"].as_str(),
        Some(openssl_fingerprint("provider-signer.pem").as_str()),
        "{main_report}"
    );

    // Each operator's queue is their provider's; the portal sees both.
    let listed = |token: &str| -> Vec<Value> {
        ok(get(n.addr, "/v1/applications", token))["applications"]
            .as_array()
            .expect("list")
            .iter()
            .map(|a| a["provider"].clone())
            .collect()
    };
    assert_eq!(listed(&n.south_operator), [json!("south")]);
    assert_eq!(listed(&n.main_operator), [json!("main")]);
    assert_eq!(listed(&n.portal).len(), 2);

    // A licence is changed by its licensor's operators only.
    let suspend = |token: &str, id: &Value| {
        call(
            &n,
            "POST",
            &format!("/v1/documents/{id}/suspend"),
            token,
            &json!({"reason": "проверка"}),
        )
    };
    assert_problem(
        &suspend(&n.main_operator, &decided["document"]["id"]),
        403,
        "OTHER_PROVIDER",
    );
    assert_eq!(
        suspend(&n.south_operator, &decided["document"]["id"]).status,
        200
    );

    // A provider the node does not have is refused at the door, with its code.
    let cms = openssl_sign(
        licence_application(Some("north")).to_string().as_bytes(),
        "individual-sign",
        false,
    );
    assert_problem(
        &call(
            &n,
            "POST",
            "/v1/applications",
            &n.portal,
            &json!({"cms": B64.encode(cms)}),
        ),
        422,
        "UNKNOWN_PROVIDER",
    );

    // The audit log says who decided: the person behind the token, by name.
    use qoltanba::Registry;
    let audit = n.registry.audit().expect("audit");
    let decided_by = |number: &Value| {
        audit
            .iter()
            .filter(|e| e.subject.contains(number.as_str().expect("number")))
            .map(|e| e.actor.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        decided_by(&decided["number"]).contains(&"Данияр South".to_string()),
        "{audit:?}"
    );
    assert!(
        decided_by(&main_decided["number"]).contains(&"Айгерім Main".to_string()),
        "{audit:?}"
    );
}

/// SHA-256 of a demo certificate's DER as the OpenSSL CLI computes it: lower-case hex.
fn openssl_fingerprint(name: &str) -> String {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(common::project_dir().join("certs").join(name))
        .output()
        .expect("openssl");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .replace(':', "")
        .to_lowercase()
}
