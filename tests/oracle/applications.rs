//! The application workflow and licence lifecycle over real HTTP (issue 6): requests signed by the OpenSSL CLI
//! (Debian package `openssl`) with the demo PKI's keys go from submission to a licence PDF that `qoltanba
//! verify-document` accepts; revoked, expired and mismatched signers get a refusal PDF naming the reason;
//! no payment and the operator's refusal give refusals; licence changes show in the public status.

use crate::common;
use crate::common::client::{
    assert_problem, bearer, cert_iin, get, openssl_sign, request, request_with, service, Answer,
    Service,
};
use base64::Engine;
use serde_json::{json, Value};
use std::path::Path;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

fn application(service: &str, id_kind: &str, id: &str, name: &str) -> Vec<u8> {
    json!({
        "service": service,
        "applicant": {id_kind: id, "name": name},
        "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
        "paymentReference": "KZ-PAY-0001",
    })
    .to_string()
    .into_bytes()
}

fn bailiff(iin: &str) -> Vec<u8> {
    application(
        "licence.private-bailiff",
        "iin",
        iin,
        "ТЕСТОВ ТЕСТ ТЕСТОВИЧ",
    )
}

fn call(svc: &Service, method: &str, path: &str, token: &str, body: &Value) -> Answer {
    let headers = if token.is_empty() {
        String::new()
    } else {
        bearer(token)
    };
    request_with(
        svc.addr,
        method,
        path,
        "application/json",
        &headers,
        body.to_string().as_bytes(),
    )
}

fn submit(svc: &Service, cms: &[u8]) -> Value {
    let a = call(
        svc,
        "POST",
        "/v1/applications",
        &svc.portal,
        &json!({"cms": B64.encode(cms)}),
    );
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    a.json()
}

fn ok(a: Answer) -> Value {
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()
}

fn pay(svc: &Service, app: &Value, paid: bool) -> Value {
    let body = if paid {
        json!({"paid": true, "reference": "KZ-PAY-0001"})
    } else {
        json!({"paid": false})
    };
    ok(call(
        svc,
        "POST",
        &format!("/v1/applications/{}/payment", app["id"]),
        &svc.portal,
        &body,
    ))
}

fn decide(svc: &Service, app: &Value, body: &Value) -> Answer {
    call(
        svc,
        "POST",
        &format!("/v1/applications/{}/decision", app["id"]),
        &svc.operator,
        body,
    )
}

/// Downloads a document's PDF and checks it with `qoltanba verify-document` (the CLI, a separate process);
/// returns the PDF's embedded data.
fn verified_pdf(svc: &Service, document: &Value, dir: &Path) -> Value {
    let pdf = get(
        svc.addr,
        document["pdf"].as_str().expect("pdf link"),
        &svc.operator,
    );
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    let number = document["number"].as_str().expect("number");
    let path = dir.join(format!("{number}.pdf"));
    std::fs::write(&path, &pdf.body).expect("write");
    let (code, report) = common::run_json(&["verify-document", path.to_str().expect("path")]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    let doc = ok(get(
        svc.addr,
        &format!("/v1/documents/{}", document["id"]),
        &svc.operator,
    ));
    assert_eq!(doc["number"], document["number"]);
    doc["data"].clone()
}

/// The public status, asked with the verification code printed on the document.
fn status(svc: &Service, number: &str) -> Value {
    use qoltanba::Registry;
    let doc = svc
        .registry
        .document_by_number(number)
        .expect("read")
        .expect("stored");
    let code = qoltanba::verification_code(&doc.seal).expect("code");
    ok(request(
        svc.addr,
        "GET",
        &format!("/v1/documents/by-number/{number}/status?code={code}"),
        "application/json",
        b"",
    ))
}

/// The due date the service must give: 15 working days after today in Astana.
fn expected_due() -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let today = qoltanba::local_date(now).expect("today");
    qoltanba::WorkingCalendar::kazakhstan()
        .add_working_days(today, 15)
        .expect("due")
        .to_string()
}

#[test]
fn a_signed_application_goes_from_submission_to_a_verified_licence() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    let dir = tempfile::tempdir().expect("tempdir");
    let app = submit(
        &svc,
        &openssl_sign(&bailiff("870412300129"), "individual-sign", false),
    );
    assert_eq!(app["status"], "awaitingPayment", "{app}");
    assert_eq!(app["verification"]["valid"], true);
    assert_eq!(app["verification"]["subject"]["iin"], "870412300129");
    assert!(app["number"]
        .as_str()
        .expect("number")
        .starts_with("QLT-APP-"));
    assert!(app.get("document").is_none());

    let registered = pay(&svc, &app, true);
    assert_eq!(registered["status"], "registered", "{registered}");
    assert_eq!(registered["paymentReference"], "KZ-PAY-0001");
    assert_eq!(registered["dueDate"], expected_due().as_str());

    // The portal cannot decide; the operator can.
    assert_problem(
        &call(
            &svc,
            "POST",
            &format!("/v1/applications/{}/decision", app["id"]),
            &svc.portal,
            &json!({"decision": "approve"}),
        ),
        403,
        "FORBIDDEN",
    );
    let approved = ok(decide(
        &svc,
        &app,
        &json!({"decision": "approve", "fields": {"special_conditions": "Астана қаласының аумағында"}}),
    ));
    assert_eq!(approved["status"], "approved", "{approved}");
    let licence = &approved["document"];
    assert!(licence["number"]
        .as_str()
        .expect("number")
        .starts_with("licence.private-bailiff-"));
    let data = verified_pdf(&svc, licence, dir.path());
    assert_eq!(data["licensee_id"], "870412300129");
    assert_eq!(data["licensee"], "ТЕСТОВ ТЕСТ ТЕСТОВИЧ");
    assert_eq!(data["special_conditions"], "Астана қаласының аумағында");
    assert_eq!(
        status(&svc, licence["number"].as_str().expect("number"))["status"],
        "valid"
    );

    // Deciding twice is a conflict, and the application is readable by the portal.
    assert_problem(
        &decide(&svc, &app, &json!({"decision": "refuse", "reason": "x"})),
        409,
        "STATE_CONFLICT",
    );
    let back = ok(get(
        svc.addr,
        &format!("/v1/applications/{}", app["id"]),
        &svc.portal,
    ));
    assert_eq!(back["status"], "approved");
    assert_eq!(back["document"]["number"], licence["number"]);
}

#[test]
fn a_legal_entity_applies_with_a_detached_signature_by_its_head() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    let content = application(
        "licence.security",
        "bin",
        "040840001231",
        "ЖШС «ДАЛА ТЕХ», Астана қ.",
    );
    let cms = openssl_sign(&content, "legal-head", true);
    let a = call(
        &svc,
        "POST",
        "/v1/applications",
        &svc.portal,
        &json!({"cms": B64.encode(&cms), "data": B64.encode(&content)}),
    );
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let app = a.json();
    assert_eq!(app["status"], "awaitingPayment", "{app}");
    assert_eq!(app["verification"]["detached"], true);
    // An employee of the same entity is not the entity's signature (the catalogue's signerRoles): refused at once,
    // SIGNER_NOT_AUTHORISED on the refusal.
    let by_employee = application(
        "licence.security",
        "bin",
        "040840001231",
        "ЖШС «ДАЛА ТЕХ», Астана қ., Сарыарқа ауданы",
    );
    let refused = submit(&svc, &openssl_sign(&by_employee, "legal-employee", false));
    assert_eq!(refused["status"], "refused", "{refused}");
    assert_eq!(refused["verification"]["valid"], false);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = verified_pdf(&svc, &refused["document"], dir.path());
    assert_eq!(data["reason_codes"], "SIGNER_NOT_AUTHORISED", "{data}");
    // Without the content, a detached signature cannot be read.
    assert_problem(
        &call(
            &svc,
            "POST",
            "/v1/applications",
            &svc.portal,
            &json!({"cms": B64.encode(&cms)}),
        ),
        400,
        "MALFORMED",
    );
}

/// Each failing signer gets a refusal at once, with "EDS authenticity not confirmed" and the code.
#[test]
fn failed_signatures_get_a_refusal_pdf_with_the_reason() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    let dir = tempfile::tempdir().expect("tempdir");
    let revoked_iin = cert_iin("revoked");
    let expired_iin = cert_iin("expired");
    for (key, iin, code) in [
        ("revoked", revoked_iin.as_str(), "CERT_REVOKED"),
        ("expired", expired_iin.as_str(), "CERT_EXPIRED"),
        // The request names someone other than the certificate's holder.
        ("individual-sign", "800105300127", "IIN_MISMATCH"),
        // An authentication key may not sign.
        ("individual-auth", "870412300129", "KEY_USAGE"),
    ] {
        let app = submit(&svc, &openssl_sign(&bailiff(iin), key, false));
        assert_eq!(app["status"], "refused", "{key}: {app}");
        assert_eq!(app["verification"]["valid"], false);
        let refusal = &app["document"];
        assert!(
            refusal["number"]
                .as_str()
                .expect("number")
                .starts_with("refusal-"),
            "{app}"
        );
        let data = verified_pdf(&svc, refusal, dir.path());
        assert!(
            data["reason_codes"].as_str().expect("codes").contains(code),
            "{key}: {data}"
        );
        assert!(data["reason"]
            .as_str()
            .expect("reason")
            .contains("Подлинность ЭЦП не подтверждена"));
        assert_eq!(data["application_number"], app["number"]);
        // A refused application takes no payment.
        assert_problem(
            &call(
                &svc,
                "POST",
                &format!("/v1/applications/{}/payment", app["id"]),
                &svc.portal,
                &json!({"paid": true, "reference": "X"}),
            ),
            409,
            "STATE_CONFLICT",
        );
    }
}

#[test]
fn no_payment_and_the_operators_refusal_give_refusals() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    let dir = tempfile::tempdir().expect("tempdir");
    let cms = openssl_sign(&bailiff("870412300129"), "individual-sign", false);

    let unpaid = submit(&svc, &cms);
    // Deciding before payment is not allowed.
    assert_problem(
        &decide(&svc, &unpaid, &json!({"decision": "approve"})),
        409,
        "STATE_CONFLICT",
    );
    let refused = pay(&svc, &unpaid, false);
    assert_eq!(refused["status"], "refused");
    let data = verified_pdf(&svc, &refused["document"], dir.path());
    assert_eq!(data["reason_codes"], "NO_PAYMENT");

    // A second application (a new request: the same signed request again would be the first one).
    let mut second: Value = serde_json::from_slice(&bailiff("870412300129")).expect("json");
    second["paymentReference"] = json!("KZ-PAY-0002");
    let app = submit(
        &svc,
        &openssl_sign(second.to_string().as_bytes(), "individual-sign", false),
    );
    pay(&svc, &app, true);
    assert_problem(
        &decide(&svc, &app, &json!({"decision": "refuse"})),
        400,
        "MALFORMED",
    );
    assert_problem(
        &decide(
            &svc,
            &app,
            &json!({"decision": "approve", "fields": {"licensee": "someone else"}}),
        ),
        422,
        "INVALID_DATA",
    );
    let reason =
        "Біліктілік талаптарына сәйкес келмейді. / Не соответствует квалификационным требованиям.";
    let refused = ok(decide(
        &svc,
        &app,
        &json!({"decision": "refuse", "reason": reason}),
    ));
    assert_eq!(refused["status"], "refused");
    let data = verified_pdf(&svc, &refused["document"], dir.path());
    assert_eq!(data["reason"], reason);
    assert_eq!(data["reason_codes"], "PROVIDER_DECISION");
}

#[test]
fn bad_submissions_get_problems_and_store_nothing() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    let path = "/v1/applications";
    assert_problem(
        &call(&svc, "POST", path, "", &json!({"cms": "AAAA"})),
        401,
        "UNAUTHENTICATED",
    );
    assert_problem(
        &call(&svc, "POST", path, &svc.operator, &json!({"cms": "AAAA"})),
        403,
        "FORBIDDEN",
    );
    assert_problem(
        &call(
            &svc,
            "POST",
            path,
            &svc.portal,
            &json!({"cms": "not base64!"}),
        ),
        400,
        "MALFORMED",
    );
    assert_problem(
        &call(
            &svc,
            "POST",
            path,
            &svc.portal,
            &json!({"cms": B64.encode(b"\x30\x03\x02\x01\x00")}),
        ),
        400,
        "MALFORMED",
    );
    let not_an_application = openssl_sign(b"{\"hello\": 1}", "individual-sign", false);
    assert_problem(
        &call(
            &svc,
            "POST",
            path,
            &svc.portal,
            &json!({"cms": B64.encode(&not_an_application)}),
        ),
        422,
        "INVALID_APPLICATION",
    );
    let wrong_service = openssl_sign(
        &application("reference.unicorn", "iin", "870412300129", "X"),
        "individual-sign",
        false,
    );
    assert_problem(
        &call(
            &svc,
            "POST",
            path,
            &svc.portal,
            &json!({"cms": B64.encode(&wrong_service)}),
        ),
        422,
        "INVALID_APPLICATION",
    );
    assert_problem(
        &request_with(
            svc.addr,
            "POST",
            path,
            "application/json",
            &bearer(&svc.portal),
            b"{",
        ),
        400,
        "MALFORMED",
    );
    for missing in ["/v1/applications/999", "/v1/applications/abc"] {
        assert_problem(&get(svc.addr, missing, &svc.portal), 404, "NOT_FOUND");
    }
    use qoltanba::Registry;
    assert!(svc
        .registry
        .audit()
        .expect("audit")
        .iter()
        .all(|e| !e.action.starts_with("application")));
}

#[test]
fn licence_changes_show_in_the_public_status() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    let dir = tempfile::tempdir().expect("tempdir");
    let app = submit(
        &svc,
        &openssl_sign(&bailiff("870412300129"), "individual-sign", false),
    );
    pay(&svc, &app, true);
    let licence = ok(decide(&svc, &app, &json!({"decision": "approve"})))["document"].clone();
    let number = licence["number"].as_str().expect("number").to_string();
    let change = |token: &str, action: &str, body: &Value| {
        call(
            &svc,
            "POST",
            &format!("/v1/documents/{}/{action}", licence["id"]),
            token,
            body,
        )
    };
    let reason = json!({"reason": "сот шешімі / решение суда"});
    assert_problem(&change("", "suspend", &reason), 401, "UNAUTHENTICATED");
    assert_problem(&change(&svc.portal, "suspend", &reason), 403, "FORBIDDEN");
    assert_problem(&change(&svc.operator, "explode", &reason), 404, "NOT_FOUND");

    let pdf = get(
        svc.addr,
        licence["pdf"].as_str().expect("pdf"),
        &svc.operator,
    )
    .body;
    let verify_pdf = || {
        ok(request(
            svc.addr,
            "POST",
            "/v1/verify/document",
            "application/pdf",
            &pdf,
        ))
    };
    let before = verify_pdf();
    assert_eq!(before["valid"], true, "{before}");
    assert_eq!(before["registry"]["status"], "valid");

    let suspended = ok(change(&svc.operator, "suspend", &reason));
    assert_eq!(suspended["status"], "suspended");
    // The verifier online says what the paper cannot: the licence is suspended.
    let during = verify_pdf();
    assert_eq!(during["valid"], false, "{during}");
    assert_eq!(during["codes"], json!(["DOCUMENT_STATUS"]));
    assert_eq!(during["registry"]["status"], "suspended");
    let public = status(&svc, &number);
    assert_eq!(public["status"], "suspended");
    assert_eq!(public["events"][0]["event"], "suspended");
    assert_eq!(public["events"][0]["reason"], "сот шешімі / решение суда");
    assert_problem(
        &change(&svc.operator, "suspend", &reason),
        409,
        "STATE_CONFLICT",
    );
    assert_eq!(
        ok(change(&svc.operator, "resume", &reason))["status"],
        "valid"
    );
    assert_eq!(verify_pdf()["valid"], true);

    // Re-issue and duplicates are the licensee's applications, not the operator's buttons.
    for action in ["duplicate", "reissue"] {
        let refused = change(
            &svc.operator,
            action,
            &json!({"reason": "жоғалуына байланысты"}),
        );
        assert_problem(&refused, 422, "NEEDS_APPLICATION");
        assert!(
            String::from_utf8_lossy(&refused.body)
                .contains(&format!("licence.private-bailiff.{action}")),
            "{}",
            String::from_utf8_lossy(&refused.body)
        );
    }
    let apply = |action: &str| {
        let body = json!({
            "service": format!("licence.private-bailiff.{action}"),
            "applicant": {"iin": "870412300129", "name": "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"},
            "fields": {"licence": number},
        });
        let app = submit(
            &svc,
            &openssl_sign(body.to_string().as_bytes(), "individual-sign", false),
        );
        pay(&svc, &app, true);
        ok(decide(&svc, &app, &json!({"decision": "approve"})))
    };

    // A duplicate keeps the number, says so on the paper and in its seal, and verifies.
    let dup = apply("duplicate");
    assert_eq!(dup["status"], "duplicated");
    assert_eq!(dup["document"]["number"], number.as_str());
    assert_eq!(status(&svc, &number)["duplicates"], 1);
    let data = verified_pdf(&svc, &dup["document"], dir.path());
    assert_eq!(data["duplicate"], qoltanba::DUPLICATE_MARK);
    let text = pdftotext(dir.path().join(format!("{number}.pdf")).as_path());
    assert!(text.contains("ДУБЛИКАТ"), "{text}");

    // A re-issue replaces the licence with a new number, carrying the licensee over.
    let reissued = apply("reissue");
    assert_eq!(reissued["status"], "reissued");
    let new = reissued["document"].clone();
    let new_number = new["number"].as_str().expect("number").to_string();
    assert_ne!(new_number, number);
    assert_eq!(status(&svc, &number)["status"], "replaced");
    assert_eq!(status(&svc, &number)["replacedBy"], new_number.as_str());
    let replaced = verify_pdf();
    assert_eq!(replaced["codes"], json!(["DOCUMENT_STATUS"]));
    assert!(
        replaced["messages"][0]
            .as_str()
            .expect("message")
            .contains(&new_number),
        "{replaced}"
    );
    let stored = ok(get(
        svc.addr,
        &format!("/v1/documents/{}", licence["id"]),
        &svc.operator,
    ));
    let by_seal = ok(call(
        &svc,
        "POST",
        "/v1/verify/seal",
        "",
        &json!({"barcode": stored["seal"]}),
    ));
    assert_eq!(by_seal["registry"]["status"], "replaced", "{by_seal}");
    assert_eq!(by_seal["valid"], false);
    let data = verified_pdf(&svc, &new, dir.path());
    assert_eq!(data["licensee"], "ТЕСТОВ ТЕСТ ТЕСТОВИЧ");
    assert_eq!(data["licensee_id"], "870412300129");
    assert!(data.get("duplicate").is_none());
    let new_status = status(&svc, &new_number);
    assert_eq!(new_status["status"], "valid");
    assert_eq!(new_status["replaces"], number.as_str());
    assert_problem(
        &change(&svc.operator, "terminate", &reason),
        409,
        "STATE_CONFLICT",
    );
    let terminated = ok(call(
        &svc,
        "POST",
        &format!("/v1/documents/{}/terminate", new["id"]),
        &svc.operator,
        &json!({"reason": "лицензиаттың өтініші бойынша"}),
    ));
    assert_eq!(terminated["status"], "terminated");
    assert_eq!(status(&svc, &new_number)["status"], "terminated");
    assert_problem(
        &change(
            &svc.operator,
            "suspend",
            &json!({"reason": "x", "fields": {"note": "y"}}),
        ),
        400,
        "MALFORMED",
    );

    // References have no lifecycle.
    let reference = common::client::issue_reference(
        &svc,
        "reference.birth",
        &qoltanba::form("reference.birth").expect("form").sample(),
    );
    assert_eq!(reference.status, 201);
    assert_problem(
        &call(
            &svc,
            "POST",
            &format!("/v1/documents/{}/suspend", reference.json()["id"]),
            &svc.operator,
            &reason,
        ),
        422,
        "NO_LIFECYCLE",
    );
}

/// The page text of a PDF file by poppler's `pdftotext`.
fn pdftotext(pdf: &Path) -> String {
    common::tools::pdftotext(&std::fs::read(pdf).expect("read the PDF"))
}

/// Hardening finding 5: the licensee's name was whatever the applicant typed, so the demo citizen could apply under
/// another person's name and get a sealed licence carrying that name with the citizen's IIN. The name is now
/// compared with the certificate's holder (case and spacing aside): a different one is a refusal, `NAME_MISMATCH`.
#[test]
fn an_applicant_cannot_apply_under_another_name() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    let dir = tempfile::tempdir().expect("tempdir");
    let other = application(
        "licence.private-bailiff",
        "iin",
        "870412300129",
        "ИВАНОВ ИВАН ИВАНОВИЧ",
    );
    let app = submit(&svc, &openssl_sign(&other, "individual-sign", false));
    assert_eq!(app["status"], "refused", "{app}");
    assert_eq!(
        app["verification"]["codes"],
        json!(["NAME_MISMATCH"]),
        "{app}"
    );
    let data = verified_pdf(&svc, &app["document"], dir.path());
    assert!(data["reason_codes"]
        .as_str()
        .expect("codes")
        .contains("NAME_MISMATCH"));
    // The holder's own name, typed in another case and spacing, is the same name.
    let own = application(
        "licence.private-bailiff",
        "iin",
        "870412300129",
        "тестов  тест тестович",
    );
    let app = submit(&svc, &openssl_sign(&own, "individual-sign", false));
    assert_eq!(app["status"], "awaitingPayment", "{app}");
    // A company applying under another company's name.
    let company = application(
        "licence.security",
        "bin",
        "040840001231",
        "ЖШС «БАСҚА», Астана қ.",
    );
    let app = submit(&svc, &openssl_sign(&company, "legal-head", false));
    assert_eq!(app["status"], "refused", "{app}");
    assert_eq!(
        app["verification"]["codes"],
        json!(["NAME_MISMATCH"]),
        "{app}"
    );
}

/// Hardening finding 5: a name with a control character (or a letter the font lacks) was registered, and then
/// neither a licence nor a refusal could be rendered: the case was stuck. Text is now checked at the door with the
/// documents' rules, and such an application is not accepted at all.
#[test]
fn text_that_cannot_be_printed_is_refused_at_the_door() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    for name in ["ТЕСТОВ\u{7}ТЕСТ ТЕСТОВИЧ", "ТЕСТОВ ТЕСТ 漢字"] {
        let content = application("licence.private-bailiff", "iin", "870412300129", name);
        let a = call(
            &svc,
            "POST",
            "/v1/applications",
            &svc.portal,
            &json!({"cms": B64.encode(openssl_sign(&content, "individual-sign", false))}),
        );
        assert_problem(&a, 422, "INVALID_APPLICATION");
        assert!(
            a.json()["detail"]
                .as_str()
                .expect("detail")
                .contains("printed"),
            "{}",
            a.json()
        );
    }
    // Nothing was stored, and no number was used.
    assert_problem(
        &call(&svc, "GET", "/v1/applications/1", &svc.portal, &json!(null)),
        404,
        "NOT_FOUND",
    );
}
