//! The OpenAPI document against the bodies the service really sends: every route is exercised once on the happy
//! path (and with a problem), and every field of every answer must be described by the schema the document gives
//! for that route and status. A field added to a response type without documenting it fails here.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::common;
use crate::common::client::{bearer, request, request_with, service, Answer, Service};

/// Follows `$ref`s and merges `allOf` (and the alternatives of `oneOf`, any of which may answer): the properties a
/// schema allows, or `None` for a free-form object.
fn properties(schema: &Value, doc: &Value) -> Option<serde_json::Map<String, Value>> {
    let schema = resolve(schema, doc);
    let mut out = serde_json::Map::new();
    let mut described = false;
    for combined in ["allOf", "oneOf"] {
        for part in schema[combined].as_array().into_iter().flatten() {
            match properties(part, doc) {
                Some(p) => {
                    described = true;
                    out.extend(p);
                }
                None => return None,
            }
        }
    }
    if let Some(p) = schema["properties"].as_object() {
        described = true;
        out.extend(p.clone());
    }
    described.then_some(out)
}

fn resolve<'a>(schema: &'a Value, doc: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let path = r.trim_start_matches("#/").split('/');
            let target = path.fold(doc, |v, key| &v[key]);
            resolve(target, doc)
        }
        None => schema,
    }
}

/// Every path in `value` that `schema` does not describe.
fn undocumented(value: &Value, schema: &Value, doc: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(schema, doc);
    match value {
        Value::Object(map) => {
            let Some(props) = properties(schema, doc) else {
                return; // a free-form object (the form's data)
            };
            for (key, v) in map {
                match props.get(key) {
                    Some(s) => undocumented(v, s, doc, &format!("{at}.{key}"), out),
                    None => out.push(format!("{at}.{key}")),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                undocumented(v, &schema["items"], doc, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The schema the document gives for `method path` answering `status` as JSON, if it gives one.
fn response_schema<'a>(doc: &'a Value, path: &str, method: &str, status: u16) -> Option<&'a Value> {
    let response = resolve(
        &doc["paths"][path][method]["responses"][status.to_string()],
        doc,
    );
    let content = &response["content"];
    let schema = if content["application/json"].is_object() {
        &content["application/json"]["schema"]
    } else {
        &content["application/problem+json"]["schema"]
    };
    schema.is_object().then_some(schema)
}

struct Checker<'a> {
    svc: &'a Service,
    doc: Value,
    problems: Vec<String>,
}

impl Checker<'_> {
    /// Sends a request and checks its answer against the document; returns the answer.
    fn call(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        token: &str,
        body: &[u8],
    ) -> Answer {
        let headers = if token.is_empty() {
            String::new()
        } else {
            bearer(token)
        };
        let a = request_with(
            self.svc.addr,
            method,
            path,
            "application/json",
            &headers,
            body,
        );
        if a.content_type.starts_with("application/json")
            || a.content_type.starts_with("application/problem+json")
        {
            let Some(schema) =
                response_schema(&self.doc, template, &method.to_lowercase(), a.status)
            else {
                self.problems.push(format!(
                    "{method} {template} answered {}, which the document does not describe with a schema",
                    a.status
                ));
                return a;
            };
            let mut missing = Vec::new();
            undocumented(&a.json(), schema, &self.doc, "", &mut missing);
            for m in missing {
                self.problems
                    .push(format!("{method} {template} {}: {m}", a.status));
            }
        }
        a
    }
}

fn cms_signed_by(name: &str, content: &[u8]) -> Vec<u8> {
    common::demo_signer(name)
        .sign(content, false, qoltanba::UnixTime::now().secs())
        .expect("sign")
}

#[test]
fn every_field_of_every_answer_is_documented() {
    let svc = service();
    let doc = request(svc.addr, "GET", "/openapi.json", "text/plain", b"").json();
    let mut c = Checker {
        svc: &svc,
        doc,
        problems: Vec::new(),
    };
    let portal = svc.portal.clone();
    let operator = svc.operator.clone();

    c.call("GET", "/health", "/health", "", b"");
    let cert = pem::parse(
        std::fs::read(common::project_dir().join("certs/individual-sign.pem")).expect("cert"),
    )
    .expect("pem")
    .into_contents();
    let body = json!({"certificate": STANDARD.encode(&cert), "iin": "870412300129"}).to_string();
    c.call(
        "POST",
        "/v1/verify/certificate",
        "/v1/verify/certificate",
        "",
        body.as_bytes(),
    );
    c.call(
        "POST",
        "/v1/verify/certificate",
        "/v1/verify/certificate",
        "",
        b"{\"certificate\": 5}",
    );

    let signed = cms_signed_by("individual-sign", b"hello");
    let body = json!({"cms": STANDARD.encode(&signed)}).to_string();
    c.call(
        "POST",
        "/v1/verify/cms",
        "/v1/verify/cms",
        "",
        body.as_bytes(),
    );

    // XML: an application's, a SOAP envelope's, and a login by EDS (accepted, then refused as replayed).
    let xml = qoltanba::sign_xml(b"<a><b>x</b></a>", &common::demo_signer("individual-sign"))
        .expect("sign");
    let body = json!({"xml": String::from_utf8(xml).expect("utf-8")}).to_string();
    c.call(
        "POST",
        "/v1/verify/xml",
        "/v1/verify/xml",
        "",
        body.as_bytes(),
    );
    let envelope = qoltanba::sign_wsse(
        b"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><x>1</x></s:Body></s:Envelope>",
        &common::demo_signer("provider-signer"),
    )
    .expect("sign");
    let body = json!({"xml": String::from_utf8(envelope).expect("utf-8")}).to_string();
    c.call(
        "POST",
        "/v1/verify/wsse",
        "/v1/verify/wsse",
        "",
        body.as_bytes(),
    );
    let challenge = c
        .call(
            "POST",
            "/v1/auth/challenge",
            "/v1/auth/challenge",
            "",
            b"{}",
        )
        .json();
    let signed = qoltanba::sign_xml(
        challenge["challenge"]
            .as_str()
            .expect("challenge")
            .as_bytes(),
        &common::demo_signer("individual-auth"),
    )
    .expect("sign");
    let body =
        json!({"nonce": challenge["nonce"], "xml": String::from_utf8(signed).expect("utf-8")})
            .to_string();
    let login = c.call(
        "POST",
        "/v1/auth/verify",
        "/v1/auth/verify",
        "",
        body.as_bytes(),
    );
    assert_eq!(login.status, 200);
    let replay = c.call(
        "POST",
        "/v1/auth/verify",
        "/v1/auth/verify",
        "",
        body.as_bytes(),
    );
    assert_eq!(replay.status, 401);

    // A reference: issued, read, its PDF and seal verified, its public status.
    let sample = qoltanba::form("reference.birth").expect("form").sample();
    let body = json!({"form": "reference.birth", "data": sample}).to_string();
    let issued = c.call(
        "POST",
        "/v1/documents",
        "/v1/documents",
        &portal,
        body.as_bytes(),
    );
    assert_eq!(
        issued.status,
        201,
        "{}",
        String::from_utf8_lossy(&issued.body)
    );
    let issued = issued.json();
    let id = issued["id"].as_i64().expect("id");
    let number = issued["number"].as_str().expect("number").to_string();
    c.call(
        "GET",
        "/v1/documents/{id}",
        &format!("/v1/documents/{id}"),
        &portal,
        b"",
    );
    c.call(
        "GET",
        "/v1/documents/{id}",
        "/v1/documents/999999",
        &portal,
        b"",
    );
    let pdf = request_with(
        svc.addr,
        "GET",
        &format!("/v1/documents/{id}/pdf"),
        "text/plain",
        &bearer(&portal),
        b"",
    );
    let body = json!({"pdf": STANDARD.encode(&pdf.body)}).to_string();
    c.call(
        "POST",
        "/v1/verify/document",
        "/v1/verify/document",
        "",
        body.as_bytes(),
    );
    let body = json!({"barcode": issued["seal"]}).to_string();
    c.call(
        "POST",
        "/v1/verify/seal",
        "/v1/verify/seal",
        "",
        body.as_bytes(),
    );
    let texts: Vec<String> = issued["seal"]
        .as_array()
        .expect("seal")
        .iter()
        .map(|t| t.as_str().expect("text").to_string())
        .collect();
    let code = qoltanba::verification_code(&texts).expect("code");
    let status = "/v1/documents/by-number/{number}/status";
    c.call(
        "GET",
        status,
        &format!("/v1/documents/by-number/{number}/status?code={code}"),
        "",
        b"",
    );

    // An application, paid, approved: a licence, then suspended.
    let application = json!({
        "service": "licence.private-bailiff",
        "applicant": {"iin": "870412300129", "name": "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"},
        "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
        "paymentReference": "KZ-PAY-0001",
    })
    .to_string();
    let body =
        json!({"cms": STANDARD.encode(cms_signed_by("individual-sign", application.as_bytes()))})
            .to_string();
    let submitted = c.call(
        "POST",
        "/v1/applications",
        "/v1/applications",
        &portal,
        body.as_bytes(),
    );
    assert_eq!(
        submitted.status,
        201,
        "{}",
        String::from_utf8_lossy(&submitted.body)
    );
    let app = submitted.json()["id"].as_i64().expect("id");
    // The same application signed as XML: its stored verification is the XML report.
    let xml = qoltanba::sign_xml(
        "<application xmlns=\"urn:qoltanba:application:1\" service=\"licence.private-bailiff\"><applicant iin=\"870412300129\">ТЕСТОВ ТЕСТ ТЕСТОВИЧ</applicant></application>".as_bytes(),
        &common::demo_signer("individual-sign"),
    )
    .expect("sign");
    let body = json!({"xml": String::from_utf8(xml).expect("utf-8")}).to_string();
    let as_xml = c.call(
        "POST",
        "/v1/applications",
        "/v1/applications",
        &portal,
        body.as_bytes(),
    );
    assert_eq!(
        as_xml.status,
        201,
        "{}",
        String::from_utf8_lossy(&as_xml.body)
    );
    assert_eq!(as_xml.json()["verification"]["profile"], "enveloped");
    c.call(
        "GET",
        "/v1/applications/{id}",
        &format!("/v1/applications/{app}"),
        &portal,
        b"",
    );
    let body = json!({"paid": true, "reference": "KZ-PAY-0001"}).to_string();
    c.call(
        "POST",
        "/v1/applications/{id}/payment",
        &format!("/v1/applications/{app}/payment"),
        &portal,
        body.as_bytes(),
    );
    let decided = c.call(
        "POST",
        "/v1/applications/{id}/decision",
        &format!("/v1/applications/{app}/decision"),
        &operator,
        br#"{"decision": "approve"}"#,
    );
    assert_eq!(
        decided.status,
        200,
        "{}",
        String::from_utf8_lossy(&decided.body)
    );
    let licence = decided.json()["document"]["id"].as_i64().expect("licence");
    // The generic steps, on the application signed as XML: the portal pays, the operator refuses with reasons.
    let other = as_xml.json()["id"].as_i64().expect("id");
    for (token, step, body) in [
        (&portal, "pay", r#"{"reference": "KZ-PAY-0002"}"#),
        (
            &operator,
            "refuse",
            r#"{"reason": "біліктілік талаптарына сәйкес емес"}"#,
        ),
    ] {
        let r = c.call(
            "POST",
            "/v1/applications/{id}/steps/{step}",
            &format!("/v1/applications/{other}/steps/{step}"),
            token,
            body.as_bytes(),
        );
        assert_eq!(
            r.status,
            200,
            "{step}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    c.call(
        "GET",
        "/v1/applications",
        "/v1/applications?limit=1",
        &operator,
        b"",
    );
    let services = c.call("GET", "/v1/services", "/v1/services", "", b"");
    assert_eq!(services.status, 200);
    c.call(
        "GET",
        "/v1/services/{id}",
        "/v1/services/civil-registry.duplicate-certificate",
        "",
        b"",
    );
    c.call(
        "POST",
        "/v1/documents/{id}/{action}",
        &format!("/v1/documents/{licence}/duplicate"),
        &operator,
        r#"{"reason": "жоғалуы"}"#.as_bytes(),
    );
    c.call(
        "POST",
        "/v1/documents/{id}/{action}",
        &format!("/v1/documents/{licence}/suspend"),
        &operator,
        r#"{"reason": "тексеру"}"#.as_bytes(),
    );
    // Portal signing is off by default: a problem, documented.
    c.call(
        "POST",
        "/v1/sign/cms",
        "/v1/sign/cms",
        &portal,
        br#"{"data": "aGVsbG8="}"#,
    );

    assert!(
        c.problems.is_empty(),
        "fields the OpenAPI document does not describe:\n{}",
        c.problems.join("\n")
    );
}

/// The checker itself finds an undocumented field, in an object, an array and through `$ref` and `allOf`.
#[test]
fn the_checker_finds_an_undocumented_field() {
    let doc = json!({"components": {"schemas": {
        "A": {"type": "object", "properties": {"x": {"type": "integer"}}},
        "B": {"allOf": [{"$ref": "#/components/schemas/A"},
                        {"type": "object", "properties": {"list": {"type": "array", "items": {"$ref": "#/components/schemas/A"}},
                                                          "free": {"type": "object"}}}]}}}});
    let schema = json!({"$ref": "#/components/schemas/B"});
    let mut out = Vec::new();
    undocumented(
        &json!({"x": 1, "list": [{"x": 2}], "free": {"anything": 1}}),
        &schema,
        &doc,
        "",
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    undocumented(
        &json!({"x": 1, "y": 2, "list": [{"x": 2, "z": 3}]}),
        &schema,
        &doc,
        "",
        &mut out,
    );
    assert_eq!(out, [".list[0].z", ".y"]);
}
