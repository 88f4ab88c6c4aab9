//! The services of the regulations end to end over real HTTP (issue 17), each run from the catalogue
//! (`GET /v1/services`): applications signed by the OpenSSL CLI (Debian package `openssl`) with the demo PKI's
//! keys, every step the seed names, every refusal it names with its document, each document checked by
//! `qoltanba verify-document` (a separate process) and its text read by `pdftotext` (Debian package
//! `poppler-utils`).

use crate::common;
use crate::common::client::{
    assert_problem, bearer, cert_iin, get, openssl_sign, request_with, service_with, Answer,
};
use base64::Engine;
use serde_json::{json, Value};
use std::path::Path;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// A service on loopback and its node, for the steps a test takes at a chosen time (the fee's window).
struct Provider {
    svc: common::client::Service,
    node: qoltanba::Node,
}

fn provider() -> Provider {
    let mut node = None;
    let svc = service_with(|state| {
        node = Some((*state).clone());
        state
    });
    Provider {
        svc,
        node: node.expect("node"),
    }
}

fn call(p: &Provider, method: &str, path: &str, token: &str, body: &Value) -> Answer {
    let headers = if token.is_empty() {
        String::new()
    } else {
        bearer(token)
    };
    request_with(
        p.svc.addr,
        method,
        path,
        "application/json",
        &headers,
        body.to_string().as_bytes(),
    )
}

fn ok(a: Answer) -> Value {
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()
}

fn submit(p: &Provider, application: &Value, signer: &str) -> Answer {
    let cms = openssl_sign(application.to_string().as_bytes(), signer, false);
    call(
        p,
        "POST",
        "/v1/applications",
        &p.svc.portal,
        &json!({"cms": B64.encode(cms)}),
    )
}

fn created(a: Answer) -> Value {
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    a.json()
}

fn step(p: &Provider, app: &Value, step: &str, token: &str, body: &Value) -> Answer {
    call(
        p,
        "POST",
        &format!("/v1/applications/{}/steps/{step}", app["id"]),
        token,
        body,
    )
}

fn next_steps(app: &Value) -> Vec<(String, String)> {
    app["next"]
        .as_array()
        .expect("next")
        .iter()
        .map(|s| {
            (
                s["step"].as_str().expect("step").to_string(),
                s["by"].as_str().expect("by").to_string(),
            )
        })
        .collect()
}

/// Downloads a document's PDF, checks it with `qoltanba verify-document` and returns its data and its text (words
/// separated by one space).
fn verified(p: &Provider, document: &Value, dir: &Path) -> (Value, String) {
    let pdf = get(
        p.svc.addr,
        document["pdf"].as_str().expect("pdf link"),
        &p.svc.operator,
    );
    assert_eq!(pdf.status, 200);
    let path = dir.join(format!(
        "{}.pdf",
        document["number"].as_str().expect("number")
    ));
    std::fs::write(&path, &pdf.body).expect("write");
    let (code, report) = common::run_json(&["verify-document", path.to_str().expect("path")]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    let text = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(text.status.success());
    let doc = ok(get(
        p.svc.addr,
        &format!("/v1/documents/{}", document["id"]),
        &p.svc.operator,
    ));
    // Lines wrap where the layout says: the text is compared as words.
    let text = String::from_utf8(text.stdout).expect("utf-8");
    (
        doc["data"].clone(),
        text.split_whitespace().collect::<Vec<_>>().join(" "),
    )
}

const APPLICANT: &str = "ТЕСТОВ ТЕСТ ТЕСТОВИЧ";

/// The seal mode of a document, as `POST /v1/verify/seal` reads its barcode text (which must verify).
fn seal_mode(p: &Provider, document: &Value) -> String {
    let doc = ok(get(
        p.svc.addr,
        &format!("/v1/documents/{}", document["id"]),
        &p.svc.operator,
    ));
    let report = ok(call(
        p,
        "POST",
        "/v1/verify/seal",
        "",
        &json!({"barcode": doc["seal"]}),
    ));
    assert_eq!(report["valid"], true, "{report}");
    report["mode"].as_str().expect("mode").to_string()
}

fn duplicate_certificate(certificate: &str) -> Value {
    json!({
        "service": "civil-registry.duplicate-certificate",
        "applicant": {"iin": cert_iin("individual-sign"), "name": APPLICANT},
        "fields": {"certificate": certificate, "person": "ТЕСТОВ ТЕСТ ТЕСТОВИЧ, 1987"},
    })
}

/// Seed 004 regulation 1: the applicant asks for a duplicate birth certificate, pays the duty within 24 hours,
/// the authorised body accepts the request, and the notification of acceptance is issued — the seed's form, with
/// the request's number and date, the certificate asked for and the body's name.
#[test]
fn a_duplicate_certificate_is_applied_for_paid_and_accepted() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let p = provider();
    let dir = tempfile::tempdir().expect("tempdir");

    // The catalogue says what the portal needs: who applies, the fee and its window, the steps.
    let listed = ok(get(p.svc.addr, "/v1/services", ""));
    let ids: Vec<&str> = listed["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    for id in [
        "licence.private-bailiff",
        "licence.security",
        "licence.advocacy",
        "civil-registry.duplicate-certificate",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let service = ok(get(
        p.svc.addr,
        "/v1/services/civil-registry.duplicate-certificate",
        "",
    ));
    assert_eq!(service["fee"]["payWithin"], json!({"hours": 24}));
    assert_eq!(service["applicants"], json!(["individual"]));
    assert_eq!(
        service["applicationFields"],
        json!(["certificate", "person"])
    );

    let app = created(submit(
        &p,
        &duplicate_certificate("birth"),
        "individual-sign",
    ));
    assert_eq!(app["status"], "awaitingPayment", "{app}");
    assert_eq!(
        next_steps(&app),
        [
            ("notPaid".to_string(), "portal".to_string()),
            ("pay".to_string(), "portal".to_string())
        ]
    );
    // The operator cannot pay, nor accept before payment; a step the service does not have is a bad request.
    assert_problem(
        &step(&p, &app, "pay", &p.svc.operator, &json!({"reference": "X"})),
        403,
        "FORBIDDEN",
    );
    assert_problem(
        &step(&p, &app, "accept", &p.svc.operator, &json!({})),
        409,
        "STATE_CONFLICT",
    );
    assert_problem(
        &step(&p, &app, "approve", &p.svc.operator, &json!({})),
        400,
        "MALFORMED",
    );
    let paid = ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-DUTY-0001"}),
    ));
    assert_eq!(paid["status"], "registered");
    assert_eq!(paid["paymentReference"], "KZ-DUTY-0001");
    // The authorised body's term is in minutes (15 + 15): the due date is a moment, Astana time.
    let due = paid["dueDate"].as_str().expect("due");
    assert!(due.ends_with("+05:00"), "{due}");
    let registered_at =
        qoltanba::UnixTime::parse_rfc3339(paid["registeredAt"].as_str().expect("at"))
            .expect("time");
    let due_at = qoltanba::UnixTime::parse_rfc3339(due).expect("due");
    assert_eq!(due_at.secs() - registered_at.secs(), 30 * 60);
    // The portal cannot accept; the operator does, with no fields (the notification takes none).
    assert_problem(
        &step(&p, &paid, "accept", &p.svc.portal, &json!({})),
        403,
        "FORBIDDEN",
    );
    assert_problem(
        &step(
            &p,
            &paid,
            "accept",
            &p.svc.operator,
            &json!({"fields": {"person": "someone else"}}),
        ),
        422,
        "INVALID_DATA",
    );
    let accepted = ok(step(&p, &paid, "accept", &p.svc.operator, &json!({})));
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["next"], json!([]));
    assert!(accepted["decidedAt"].is_string());
    let (data, text) = verified(&p, &accepted["document"], dir.path());
    assert_eq!(data["service_kk"], "туу туралы куәлікті");
    assert_eq!(data["service_ru"], "свидетельства о рождении");
    assert_eq!(data["person"], "ТЕСТОВ ТЕСТ ТЕСТОВИЧ, 1987");
    let number = accepted["number"].as_str().expect("number");
    assert_eq!(
        data["request_number"],
        number.rsplit('-').next().expect("sequence")
    );
    assert!(text.contains("ХАБАРЛАМА"), "{text}");
    assert!(text.contains("туу туралы куәлікті"), "{text}");
    // Seed 004 defines the barcode as holding the official's certificate: the full seal mode, by the catalogue.
    assert_eq!(service["sealMode"], "full");
    assert_eq!(seal_mode(&p, &accepted["document"]), "full");
    // Nothing follows a final state.
    assert_problem(
        &step(&p, &accepted, "accept", &p.svc.operator, &json!({})),
        409,
        "STATE_CONFLICT",
    );
}

/// Every refusal seed 004 regulation 1 names, each with its refusal document: the EDS not confirmed (a revoked
/// certificate), the duty not paid, paid after the 24 hours or never (the "term expired" message, by the
/// portal's report or by the service's own sweep), and the requested data absent. An application asking for a
/// certificate the service does not issue, or leaving out whose certificate it is, is refused at the door.
#[test]
fn every_refusal_of_the_duplicate_certificate_service_has_its_document() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let p = provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let refusal = |app: &Value, code: &str| {
        assert_eq!(app["status"], "refused", "{app}");
        let (data, _) = verified(&p, &app["document"], dir.path());
        assert_eq!(data["reason_codes"], code, "{data}");
        data
    };

    // The EDS not confirmed: a revoked certificate, refused at once.
    let mut revoked = duplicate_certificate("marriage");
    revoked["applicant"]["iin"] = json!(cert_iin("revoked"));
    let app = created(submit(&p, &revoked, "revoked"));
    assert_eq!(app["status"], "refused", "{app}");
    let (data, _) = verified(&p, &app["document"], dir.path());
    assert!(
        data["reason_codes"]
            .as_str()
            .expect("codes")
            .contains("CERT_REVOKED"),
        "{data}"
    );
    assert!(
        data["reason"]
            .as_str()
            .expect("reason")
            .contains("ЭЦП не подтверждена"),
        "{data}"
    );

    // The portal reports no payment: the term expired, a new request may be made.
    let app = created(submit(
        &p,
        &duplicate_certificate("divorce"),
        "individual-sign",
    ));
    let unpaid = ok(call(
        &p,
        "POST",
        &format!("/v1/applications/{}/payment", app["id"]),
        &p.svc.portal,
        &json!({"paid": false}),
    ));
    let data = refusal(&unpaid, "TERM_EXPIRED");
    assert!(
        data["reason"]
            .as_str()
            .expect("reason")
            .contains("24 сағат"),
        "{data}"
    );

    // Paid, but reported 24 hours and a second after submission: refused, the reference kept.
    let app = created(submit(
        &p,
        &duplicate_certificate("name-change"),
        "individual-sign",
    ));
    let id = qoltanba::ApplicationId(app["id"].as_i64().expect("id"));
    let submitted = qoltanba::UnixTime::parse_rfc3339(app["submittedAt"].as_str().expect("at"))
        .expect("time")
        .secs();
    let late = qoltanba::report_payment(
        p.node.context(),
        id,
        true,
        Some("KZ-DUTY-LATE"),
        "portal-1",
        submitted + 24 * 3600 + 1,
    )
    .expect("late payment");
    assert_eq!(late.status, "refused");
    assert_eq!(late.payment_reference.as_deref(), Some("KZ-DUTY-LATE"));
    let late = ok(get(
        p.svc.addr,
        &format!("/v1/applications/{}", app["id"]),
        &p.svc.portal,
    ));
    refusal(&late, "TERM_EXPIRED");

    // Never paid: the service's sweep refuses it once the 24 hours pass, not a second before.
    let app = created(submit(
        &p,
        &duplicate_certificate("adoption"),
        "individual-sign",
    ));
    let submitted = qoltanba::UnixTime::parse_rfc3339(app["submittedAt"].as_str().expect("at"))
        .expect("time")
        .secs();
    let swept = qoltanba::expire_unpaid(p.node.context(), "qoltanba", submitted + 24 * 3600)
        .expect("sweep");
    assert!(!swept.contains(&app["number"].as_str().expect("n").to_string()));
    let swept = qoltanba::expire_unpaid(p.node.context(), "qoltanba", submitted + 24 * 3600 + 1)
        .expect("sweep");
    assert!(
        swept.contains(&app["number"].as_str().expect("n").to_string()),
        "{swept:?}"
    );
    let expired = ok(get(
        p.svc.addr,
        &format!("/v1/applications/{}", app["id"]),
        &p.svc.portal,
    ));
    refusal(&expired, "TERM_EXPIRED");
    let audit = {
        use qoltanba::Registry;
        p.svc.registry.audit().expect("audit")
    };
    assert!(audit
        .iter()
        .any(|e| e.action == "application.refused.termExpired"
            && e.actor == "qoltanba"
            && e.subject == app["number"].as_str().expect("n")));

    // Paid, but the requested data are absent: the authorised body refuses.
    let app = created(submit(
        &p,
        &duplicate_certificate("paternity"),
        "individual-sign",
    ));
    ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-DUTY-0002"}),
    ));
    assert_problem(
        &step(&p, &app, "noData", &p.svc.operator, &json!({"reason": "x"})),
        400,
        "MALFORMED",
    );
    let absent = ok(step(&p, &app, "noData", &p.svc.operator, &json!({})));
    let data = refusal(&absent, "NO_DATA");
    assert!(
        data["reason"]
            .as_str()
            .expect("reason")
            .contains("Запрошенные сведения отсутствуют"),
        "{data}"
    );

    // Refused at the door: a certificate the service does not issue, whose certificate left out.
    let mut unknown = duplicate_certificate("unicorn");
    let a = submit(&p, &unknown, "individual-sign");
    assert_problem(&a, 422, "INVALID_APPLICATION");
    assert!(
        String::from_utf8_lossy(&a.body).contains("birth"),
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    unknown["fields"] = json!({"certificate": "birth"});
    assert_problem(
        &submit(&p, &unknown, "individual-sign"),
        422,
        "INVALID_APPLICATION",
    );
}

fn marriage(partner: Option<&str>) -> Value {
    let mut fields = json!({});
    if let Some(p) = partner {
        fields["partner"] = json!(p);
    }
    json!({
        "service": "civil-registry.marriage-registration",
        "applicant": {"iin": cert_iin("individual-sign"), "name": APPLICANT},
        "fields": fields,
    })
}

/// Seed 004 regulation 2: the application for marriage registration, the duty within 24 hours, and the
/// notification of the time, date and place the authorised body sets; or the refusal when facts that bar the
/// registration are found.
#[test]
fn a_marriage_registration_is_applied_for_and_its_time_and_place_notified() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let p = provider();
    let dir = tempfile::tempdir().expect("tempdir");

    // Whom the applicant marries is part of the application.
    assert_problem(
        &submit(&p, &marriage(None), "individual-sign"),
        422,
        "INVALID_APPLICATION",
    );
    let app = created(submit(
        &p,
        &marriage(Some("ТЕСТОВА АЙГҮЛ СЕРІКҚЫЗЫ")),
        "individual-sign",
    ));
    assert_eq!(app["status"], "awaitingPayment");
    let paid = ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-DUTY-0003"}),
    ));
    assert_eq!(paid["status"], "registered");
    // The notification needs the date, time and place.
    assert_problem(
        &step(
            &p,
            &paid,
            "schedule",
            &p.svc.operator,
            &json!({"fields": {"registration_date": "18.12.2026", "registration_time": "11:30"}}),
        ),
        422,
        "INVALID_DATA",
    );
    assert_problem(
        &step(
            &p,
            &paid,
            "schedule",
            &p.svc.operator,
            &json!({"fields": {"registration_date": "2026-12-18", "registration_time": "11:30", "venue": "x"}}),
        ),
        422,
        "INVALID_DATA",
    );
    let venue = "Астана қаласы АХАЖ бөлімі, Бейбітшілік к-сі, 11";
    let scheduled = ok(step(
        &p,
        &paid,
        "schedule",
        &p.svc.operator,
        &json!({"fields": {"registration_date": "18.12.2026", "registration_time": "11:30", "venue": venue}}),
    ));
    assert_eq!(scheduled["status"], "scheduled");
    let (data, text) = verified(&p, &scheduled["document"], dir.path());
    assert_eq!(data["registration_date"], "18.12.2026");
    assert_eq!(data["partner"], "ТЕСТОВА АЙГҮЛ СЕРІКҚЫЗЫ");
    for expected in [
        "ХАБАРЛАМА",
        "УВЕДОМЛЕНИЕ",
        "18.12.2026",
        "11:30",
        "Бейбітшілік",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }

    // Facts that bar the registration: the operator states them on the refusal.
    let app = created(submit(
        &p,
        &marriage(Some("ТЕСТОВА АЙГҮЛ СЕРІКҚЫЗЫ")),
        "individual-sign",
    ));
    ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-DUTY-0004"}),
    ));
    assert_problem(
        &step(&p, &app, "refuse", &p.svc.operator, &json!({})),
        400,
        "MALFORMED",
    );
    let facts =
        "Өтініш берушінің тіркелген некесі бар. / У заявителя есть зарегистрированный брак.";
    let refused = ok(step(
        &p,
        &app,
        "refuse",
        &p.svc.operator,
        &json!({"reason": facts}),
    ));
    assert_eq!(refused["status"], "refused");
    let (data, _) = verified(&p, &refused["document"], dir.path());
    assert_eq!(data["reason"], facts);
    assert_eq!(data["reason_codes"], "MARRIAGE_BAR");
}

fn attestation() -> Value {
    json!({
        "service": "attestation.advocacy",
        "applicant": {"iin": cert_iin("individual-sign"), "name": APPLICANT},
        "fields": {"documents": ["диплом", "еңбек кітапшасы", "тағылымдамадан өткені туралы қорытынды"]},
    })
}

/// Seed 002's attestation: no fee; registered with the 1-day completeness check; complete → to the Commission
/// (5 working days); admitted → the notification that attestation will be held; then the decision passed or not
/// passed. Not admitted → the decision says so; incomplete → the reasoned refusal of further consideration. Each
/// document verified, each outcome printed on the one decision form.
#[test]
fn an_advocacy_attestation_runs_to_each_of_its_outcomes() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let p = provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let calendar = qoltanba::WorkingCalendar::kazakhstan();

    let to_commission = |app: &Value| {
        assert_eq!(app["status"], "registered", "{app}");
        // No fee: registered at submission, the completeness check due the next calendar day.
        let today = qoltanba::local_date(qoltanba::UnixTime::now().secs()).expect("today");
        assert_eq!(
            app["dueDate"],
            today.next_day().expect("tomorrow").to_string()
        );
        assert_problem(
            &step(&p, app, "pay", &p.svc.portal, &json!({"reference": "X"})),
            400,
            "MALFORMED",
        );
        let complete = ok(step(&p, app, "complete", &p.svc.operator, &json!({})));
        assert_eq!(complete["status"], "atCommission");
        assert_eq!(
            complete["dueDate"],
            calendar
                .add_working_days(today, 5)
                .expect("due")
                .to_string()
        );
        complete
    };
    let decided = |app: &Value, result_kk: &str, result_ru: &str| {
        let (data, text) = verified(&p, &app["document"], dir.path());
        assert_eq!(data["result_kk"], result_kk);
        assert_eq!(data["result_ru"], result_ru);
        assert!(text.contains(result_ru), "{result_ru}: {text}");
        data
    };

    // Admitted, notified, passed.
    let app = to_commission(&created(submit(&p, &attestation(), "individual-sign")));
    let when = json!({"fields": {"attestation_date": "15.12.2026", "attestation_time": "10:00",
                                 "venue": "Астана қ., Мәңгілік Ел даңғылы, 8"}});
    let admitted = ok(step(&p, &app, "admit", &p.svc.operator, &when));
    assert_eq!(admitted["status"], "admitted");
    let (notice, text) = verified(&p, &admitted["document"], dir.path());
    assert_eq!(notice["attestation_date"], "15.12.2026");
    assert!(
        text.contains("УВЕДОМЛЕНИЕ О ПРОВЕДЕНИИ АТТЕСТАЦИИ"),
        "{text}"
    );
    assert!(text.contains("Мәңгілік Ел"), "{text}");
    // The decision needs the chair's name and the attestation's date.
    assert_problem(
        &step(
            &p,
            &admitted,
            "pass",
            &p.svc.operator,
            &json!({"fields": {"attestation_date": "15.12.2026"}}),
        ),
        422,
        "INVALID_DATA",
    );
    let result =
        json!({"fields": {"attestation_date": "15.12.2026", "chair": "НҰРЛАНОВ БЕРІК ҚАЙРАТҰЛЫ"}});
    let passed = ok(step(&p, &admitted, "pass", &p.svc.operator, &result));
    assert_eq!(passed["status"], "passed");
    let data = decided(&passed, "аттестаттаудан өтті", "прошёл аттестацию");
    assert_eq!(data["attestation_date"], "15.12.2026");
    assert_ne!(
        passed["document"]["number"], admitted["document"]["number"],
        "the decision is a document of its own"
    );

    // Admitted, did not pass.
    let app = to_commission(&created(submit(&p, &attestation(), "individual-sign")));
    let admitted = ok(step(&p, &app, "admit", &p.svc.operator, &when));
    let failed = ok(step(&p, &admitted, "fail", &p.svc.operator, &result));
    assert_eq!(failed["status"], "notPassed");
    decided(&failed, "аттестаттаудан өтпеді", "не прошёл аттестацию");

    // Not admitted by the Commission.
    let app = to_commission(&created(submit(&p, &attestation(), "individual-sign")));
    let not_admitted = ok(step(
        &p,
        &app,
        "notAdmit",
        &p.svc.operator,
        &json!({"fields": {"chair": "НҰРЛАНОВ БЕРІК ҚАЙРАТҰЛЫ"}}),
    ));
    assert_eq!(not_admitted["status"], "notAdmitted");
    decided(
        &not_admitted,
        "аттестаттауға жіберілмеді",
        "не допущен к аттестации",
    );

    // Incomplete documents: the reasoned refusal of further consideration.
    let app = created(submit(&p, &attestation(), "individual-sign"));
    let refused = ok(step(&p, &app, "incomplete", &p.svc.operator, &json!({})));
    assert_eq!(refused["status"], "refused");
    let (data, _) = verified(&p, &refused["document"], dir.path());
    assert_eq!(data["reason_codes"], "INCOMPLETE_DOCUMENTS");
}

fn licence_change(what: &str, licence: &str, iin: &str, name: &str) -> Value {
    json!({
        "service": format!("licence.private-bailiff.{what}"),
        "applicant": {"iin": iin, "name": name},
        "fields": {"licence": licence},
    })
}

/// The public standing of a licence, read with the code printed on it.
fn standing(p: &Provider, number: &str) -> Value {
    use qoltanba::Registry;
    let doc = p
        .svc
        .registry
        .document_by_number(number)
        .expect("read")
        .expect("stored");
    let code = qoltanba::verification_code(&doc.seal).expect("code");
    ok(get(
        p.svc.addr,
        &format!("/v1/documents/by-number/{number}/status?code={code}"),
        "",
    ))
}

/// Re-issue and duplicate are applications of the licence service (seed 002): signed by the licensee, whose IIN
/// must be the licence's holder's, paid, with their own terms (2 and 1 working days); the approval re-issues the
/// licence under a new number (the old one replaced) or issues the duplicate under its number, marked. A licence
/// that is not the applicant's, not of the service's kind, or already replaced is refused at the door.
#[test]
fn a_licensee_applies_for_a_duplicate_and_a_reissue() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let p = provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let iin = cert_iin("individual-sign");
    let calendar = qoltanba::WorkingCalendar::kazakhstan();
    let today = qoltanba::local_date(qoltanba::UnixTime::now().secs()).expect("today");

    // The licence, issued through its own service.
    let issue = json!({
        "service": "licence.private-bailiff",
        "applicant": {"iin": iin, "name": APPLICANT},
        "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
    });
    let app = created(submit(&p, &issue, "individual-sign"));
    ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-PAY-1"}),
    ));
    let approved = ok(step(&p, &app, "approve", &p.svc.operator, &json!({})));
    let licence = approved["document"]["number"]
        .as_str()
        .expect("number")
        .to_string();

    // A duplicate: paid, due the next working day, issued under the same number and marked.
    let dup = created(submit(
        &p,
        &licence_change("duplicate", &licence, &iin, APPLICANT),
        "individual-sign",
    ));
    assert_eq!(dup["status"], "awaitingPayment", "{dup}");
    let paid = ok(step(
        &p,
        &dup,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-PAY-2"}),
    ));
    assert_eq!(
        paid["dueDate"],
        calendar
            .add_working_days(today, 1)
            .expect("due")
            .to_string()
    );
    assert_problem(
        &step(
            &p,
            &paid,
            "approve",
            &p.svc.operator,
            &json!({"fields": {"note": "x"}}),
        ),
        400,
        "MALFORMED",
    );
    let duplicated = ok(step(&p, &paid, "approve", &p.svc.operator, &json!({})));
    assert_eq!(duplicated["status"], "duplicated");
    assert_eq!(duplicated["document"]["number"], licence.as_str());
    assert_ne!(duplicated["document"]["id"], approved["document"]["id"]);
    let (data, text) = verified(&p, &duplicated["document"], dir.path());
    assert_eq!(data["duplicate"], qoltanba::DUPLICATE_MARK);
    assert!(text.contains("ДУБЛИКАТ"), "{text}");
    assert_eq!(standing(&p, &licence)["duplicates"], 1);

    // Refused at the door: no such licence, a licence of another kind's service, another holder's licence.
    for (body, signer) in [
        (
            licence_change(
                "duplicate",
                "licence.private-bailiff-2026-999999",
                &iin,
                APPLICANT,
            ),
            "individual-sign",
        ),
        (
            json!({"service": "licence.advocacy.duplicate", "applicant": {"iin": iin, "name": APPLICANT},
                   "fields": {"licence": licence}}),
            "individual-sign",
        ),
        (
            licence_change(
                "reissue",
                &licence,
                &cert_iin("legal-employee"),
                "ӘБЕНОВА ГҮЛНАР СЕРІКҚЫЗЫ",
            ),
            "legal-employee",
        ),
    ] {
        let a = submit(&p, &body, signer);
        assert_problem(&a, 422, "INVALID_APPLICATION");
        assert!(
            String::from_utf8_lossy(&a.body).contains("fields.licence"),
            "{}",
            String::from_utf8_lossy(&a.body)
        );
    }

    // A re-issue: due in 2 working days; the operator may change the special conditions; a new number replaces
    // the old, which shows as replaced.
    let re = created(submit(
        &p,
        &licence_change("reissue", &licence, &iin, APPLICANT),
        "individual-sign",
    ));
    let paid = ok(step(
        &p,
        &re,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-PAY-3"}),
    ));
    assert_eq!(
        paid["dueDate"],
        calendar
            .add_working_days(today, 2)
            .expect("due")
            .to_string()
    );
    assert_problem(
        &step(
            &p,
            &paid,
            "approve",
            &p.svc.operator,
            &json!({"fields": {"licensee_id": "800105300127"}}),
        ),
        422,
        "INVALID_DATA",
    );
    let conditions = "Астана қаласы аумағында / на территории города Астаны";
    let reissued = ok(step(
        &p,
        &paid,
        "approve",
        &p.svc.operator,
        &json!({"fields": {"special_conditions": conditions}}),
    ));
    assert_eq!(reissued["status"], "reissued");
    let new_number = reissued["document"]["number"].as_str().expect("number");
    assert_ne!(new_number, licence);
    let (data, _) = verified(&p, &reissued["document"], dir.path());
    assert_eq!(data["special_conditions"], conditions);
    assert_eq!(data["licensee_id"], iin.as_str());
    assert!(data.get("duplicate").is_none(), "{data}");
    // A licence's seal names the signer by key id (compact), as the catalogue's default.
    assert_eq!(seal_mode(&p, &reissued["document"]), "compact");
    let old = standing(&p, &licence);
    assert_eq!(old["status"], "replaced");
    assert_eq!(old["replacedBy"], new_number);
    // The replaced licence can be neither duplicated nor re-issued again.
    assert_problem(
        &submit(
            &p,
            &licence_change("duplicate", &licence, &iin, APPLICANT),
            "individual-sign",
        ),
        422,
        "INVALID_APPLICATION",
    );
}

fn with_key(p: &Provider, path: &str, token: &str, key: &str, body: &Value) -> Answer {
    request_with(
        p.svc.addr,
        "POST",
        path,
        "application/json",
        &format!("{}Idempotency-Key: {key}\r\n", bearer(token)),
        body.to_string().as_bytes(),
    )
}

/// Retried portal calls never make two of anything: the same signed request is the same application (200 the
/// second time, one number, even for a refused one); the same `Idempotency-Key` on issuing a reference returns the
/// first reference — also when eight retries race —, on a step returns the application as the step left it with
/// no second document; a key reused for another request, or malformed, is refused.
#[test]
fn retried_calls_make_nothing_twice() {
    use qoltanba::Registry;
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let p = provider();
    let year = qoltanba::local_date(qoltanba::UnixTime::now().secs())
        .expect("today")
        .year();

    // The same CMS twice: one application.
    let cms = openssl_sign(
        duplicate_certificate("birth").to_string().as_bytes(),
        "individual-sign",
        false,
    );
    let post = |cms: &[u8]| {
        call(
            &p,
            "POST",
            "/v1/applications",
            &p.svc.portal,
            &json!({"cms": B64.encode(cms)}),
        )
    };
    let first = created(post(&cms));
    let again = ok(post(&cms));
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["number"], first["number"]);
    // A refused one too: one refusal, not two.
    let mut revoked = duplicate_certificate("birth");
    revoked["applicant"]["iin"] = json!(cert_iin("revoked"));
    let refused_cms = openssl_sign(revoked.to_string().as_bytes(), "revoked", false);
    let refused = created(post(&refused_cms));
    let refused_again = ok(post(&refused_cms));
    assert_eq!(refused_again["document"], refused["document"]);
    let refusal = qoltanba::FormId::parse("refusal").expect("form");
    assert_eq!(
        p.svc
            .registry
            .numbers(&refusal, year)
            .expect("numbers")
            .len(),
        1
    );

    // A reference with a key, twice: one number. Without a key: a new one each time.
    let form = qoltanba::form("reference.birth").expect("form");
    let body = json!({"form": "reference.birth", "data": form.sample()});
    let issue = |key: &str, body: &Value| with_key(&p, "/v1/documents", &p.svc.portal, key, body);
    let a = issue("ref-0001", &body);
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let b = issue("ref-0001", &body);
    assert_eq!(b.status, 201);
    assert_eq!(b.json()["number"], a.json()["number"]);
    let birth = qoltanba::FormId::parse("reference.birth").expect("form");
    assert_eq!(
        p.svc.registry.numbers(&birth, year).expect("numbers").len(),
        1
    );
    // The same key for other data: refused, nothing issued.
    let mut other = body.clone();
    other["data"]["person"] = json!("БАСҚА ТҰЛҒА");
    assert_problem(&issue("ref-0001", &other), 422, "IDEMPOTENCY_KEY_REUSED");
    // A malformed key is refused before anything happens.
    for bad in ["", &"k".repeat(256), "ключ"] {
        let a = request_with(
            p.svc.addr,
            "POST",
            "/v1/documents",
            "application/json",
            &format!("{}Idempotency-Key: {bad}\r\n", bearer(&p.svc.portal)),
            body.to_string().as_bytes(),
        );
        assert_problem(&a, 400, "MALFORMED");
    }
    assert_eq!(
        p.svc.registry.numbers(&birth, year).expect("numbers").len(),
        1
    );
    // Eight retries racing with one fresh key: one number.
    let racing: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| issue("ref-0002", &body)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                let a = h.join().expect("thread");
                assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
                a.json()
            })
            .collect()
    });
    assert!(racing.iter().all(|r| r["number"] == racing[0]["number"]));
    assert_eq!(
        p.svc.registry.numbers(&birth, year).expect("numbers").len(),
        2
    );
    let fresh = issue("ref-0003", &body);
    assert_eq!(fresh.status, 201);
    assert_eq!(
        p.svc.registry.numbers(&birth, year).expect("numbers").len(),
        3
    );

    // A step with a key, retried: the application as the step left it, no second document.
    let path = format!("/v1/applications/{}/steps/pay", first["id"]);
    let pay = json!({"reference": "KZ-DUTY-9"});
    let paid = ok(with_key(&p, &path, &p.svc.portal, "pay-1", &pay));
    assert_eq!(paid["status"], "registered");
    let paid_again = ok(with_key(&p, &path, &p.svc.portal, "pay-1", &pay));
    assert_eq!(paid_again["status"], "registered");
    assert_eq!(paid_again["registeredAt"], paid["registeredAt"]);
    // Without the key the retry is a step out of turn.
    assert_problem(
        &call(&p, "POST", &path, &p.svc.portal, &pay),
        409,
        "STATE_CONFLICT",
    );
    let accept = format!("/v1/applications/{}/steps/accept", first["id"]);
    let accepted = ok(with_key(
        &p,
        &accept,
        &p.svc.operator,
        "accept-1",
        &json!({}),
    ));
    let accepted_again = ok(with_key(
        &p,
        &accept,
        &p.svc.operator,
        "accept-1",
        &json!({}),
    ));
    assert_eq!(accepted_again["document"], accepted["document"]);
    let notification = qoltanba::FormId::parse("notification.accepted").expect("form");
    assert_eq!(
        p.svc
            .registry
            .numbers(&notification, year)
            .expect("numbers")
            .len(),
        1
    );
    // The operator's key for another step of another application: refused.
    let second = created(submit(
        &p,
        &duplicate_certificate("divorce"),
        "individual-sign",
    ));
    assert_problem(
        &with_key(
            &p,
            &format!("/v1/applications/{}/steps/notPaid", second["id"]),
            &p.svc.portal,
            "pay-1",
            &json!({}),
        ),
        422,
        "IDEMPOTENCY_KEY_REUSED",
    );
}

/// The portal's and the operator's views: applications listed by applicant, service, state and overdue, paged;
/// every read of them recorded in the audit log.
#[test]
fn applications_are_listed_by_applicant_service_state_and_deadline() {
    use qoltanba::Registry;
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let p = provider();
    let iin = cert_iin("individual-sign");
    let a = created(submit(
        &p,
        &duplicate_certificate("birth"),
        "individual-sign",
    ));
    let b = created(submit(
        &p,
        &duplicate_certificate("divorce"),
        "individual-sign",
    ));
    let c = created(submit(
        &p,
        &marriage(Some("ТЕСТОВА АЙГҮЛ СЕРІКҚЫЗЫ")),
        "individual-sign",
    ));
    // b was paid an hour ago: its 30 minutes have passed.
    let hour_ago = qoltanba::UnixTime::now().secs() - 3600;
    qoltanba::report_payment(
        p.node.context(),
        qoltanba::ApplicationId(b["id"].as_i64().expect("id")),
        true,
        Some("KZ-DUTY-5"),
        "portal-1",
        hour_ago,
    )
    .expect("paid");
    let list = |query: &str, token: &str| {
        let answer = ok(get(p.svc.addr, &format!("/v1/applications{query}"), token));
        let numbers: Vec<String> = answer["applications"]
            .as_array()
            .expect("applications")
            .iter()
            .map(|a| a["number"].as_str().expect("number").to_string())
            .collect();
        (numbers, answer)
    };
    let n = |v: &Value| v["number"].as_str().expect("number").to_string();
    assert_eq!(
        list(&format!("?applicant={iin}"), &p.svc.portal).0,
        [n(&a), n(&b), n(&c)]
    );
    assert_eq!(list("?applicant=800105300127", &p.svc.portal).0.len(), 0);
    assert_eq!(
        list(
            "?service=civil-registry.marriage-registration",
            &p.svc.operator
        )
        .0,
        [n(&c)]
    );
    assert_eq!(
        list(
            "?service=civil-registry.duplicate-certificate&status=awaitingPayment",
            &p.svc.operator
        )
        .0,
        [n(&a)]
    );
    let (overdue, answer) = list("?overdue=true", &p.svc.operator);
    assert_eq!(overdue, [n(&b)]);
    assert_eq!(answer["applications"][0]["overdue"], true);
    assert!(ok(get(
        p.svc.addr,
        &format!("/v1/applications/{}", a["id"]),
        &p.svc.portal
    ))
    .get("overdue")
    .is_none());
    // Paged: one at a time, `next` leads on.
    let (first, page) = list("?limit=1", &p.svc.operator);
    assert_eq!(first, [n(&a)]);
    let next = page["next"].as_i64().expect("next");
    assert_eq!(
        list(&format!("?limit=1&after={next}"), &p.svc.operator).0,
        [n(&b)]
    );
    for bad in ["?limit=0", "?limit=201", "?colour=blue", "?overdue=perhaps"] {
        let answer = get(
            p.svc.addr,
            &format!("/v1/applications{bad}"),
            &p.svc.operator,
        );
        assert_eq!(answer.status, 400, "{bad}");
    }
    assert_eq!(get(p.svc.addr, "/v1/applications", "").status, 401);
    // Every read is in the audit log, with who read and what.
    let audit = p.svc.registry.audit().expect("audit");
    assert!(audit.iter().any(|e| e.action == "applications.read"
        && e.actor == "portal-1"
        && e.subject.contains(&format!("applicant={iin}"))));
    assert!(audit
        .iter()
        .any(|e| e.action == "application.read" && e.actor == "portal-1" && e.subject == n(&a)));
}

/// References as applications (seed 004 regulations 3–6): the applicant's signed request verified and kept with
/// the reference; the duty where the seed has one (30 % of the MCI for civil-registry references); the portal
/// brings the data from the state database and the reference is issued sealed in full mode — or refused when the
/// requested data are absent. A legal entity asks for its own reference with its head's signature, no duty.
#[test]
fn references_are_applied_for_and_issued_or_refused() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let p = provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let request = |service: &str| {
        json!({
            "service": service,
            "applicant": {"iin": cert_iin("individual-sign"), "name": APPLICANT},
        })
    };
    let service = ok(get(p.svc.addr, "/v1/services/reference.birth", ""));
    assert_eq!(service["fee"]["payWithin"], json!({"hours": 24}));

    // A birth reference: paid, then the data from the civil-registry IS.
    let app = created(submit(&p, &request("reference.birth"), "individual-sign"));
    assert_eq!(app["status"], "awaitingPayment");
    assert_eq!(app["verification"]["valid"], true);
    ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-DUTY-7"}),
    ));
    let sample = qoltanba::form("reference.birth").expect("form").sample();
    // The operator does not bring the state database's data; the portal does.
    assert_problem(
        &step(
            &p,
            &app,
            "issue",
            &p.svc.operator,
            &json!({"fields": sample}),
        ),
        403,
        "FORBIDDEN",
    );
    let mut missing = sample.clone();
    missing.as_object_mut().expect("object").remove("father");
    assert_problem(
        &step(
            &p,
            &app,
            "issue",
            &p.svc.portal,
            &json!({"fields": missing}),
        ),
        422,
        "INVALID_DATA",
    );
    let issued = ok(step(
        &p,
        &app,
        "issue",
        &p.svc.portal,
        &json!({"fields": sample}),
    ));
    assert_eq!(issued["status"], "issued");
    let (data, text) = verified(&p, &issued["document"], dir.path());
    assert_eq!(data["person"], sample["person"]);
    assert!(
        text.contains("АНЫҚТАМА") || text.contains("анықтама"),
        "{text}"
    );
    assert_eq!(seal_mode(&p, &issued["document"]), "full");
    // The signed request stays with the application it made.
    assert_eq!(
        ok(get(
            p.svc.addr,
            &format!("/v1/applications/{}", app["id"]),
            &p.svc.portal
        ))["verification"]["valid"],
        true
    );

    // A marriage reference whose data the civil-registry IS does not have: refused.
    let app = created(submit(
        &p,
        &request("reference.marriage"),
        "individual-sign",
    ));
    ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-DUTY-8"}),
    ));
    let absent = ok(step(&p, &app, "noData", &p.svc.portal, &json!({})));
    assert_eq!(absent["status"], "refused");
    let (data, _) = verified(&p, &absent["document"], dir.path());
    assert_eq!(data["reason_codes"], "NO_DATA");

    // A legal entity's own reference, signed by its head: no duty, registered at once.
    let entity = json!({
        "service": "reference.legal-entity",
        "applicant": {"bin": "040840001231", "name": "ЖШС «ДАЛА ТЕХ», Астана қ."},
    });
    let app = created(submit(&p, &entity, "legal-head"));
    assert_eq!(app["status"], "registered", "{app}");
    assert!(app["dueDate"].as_str().expect("due").ends_with("+05:00"));
    let sample = qoltanba::form("reference.legal-entity")
        .expect("form")
        .sample();
    let issued = ok(step(
        &p,
        &app,
        "issue",
        &p.svc.portal,
        &json!({"fields": sample}),
    ));
    assert_eq!(issued["status"], "issued");
    verified(&p, &issued["document"], dir.path());
}

/// E-licensing assigns licences their numbers (seed 002): the operator's approval may bring it, and the licence is
/// printed, sealed, stored and looked up under it, while our series still counts the licence (no gap, no clash:
/// an assigned number has no lower-case letters, ours begin with a form id). A number already issued is 409
/// `NUMBER_TAKEN`; one that is not E-licensing's shape, or given to a step that issues no licence, is 400.
#[test]
fn a_licence_takes_the_number_e_licensing_assigned() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let p = provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let iin = cert_iin("individual-sign");
    let registered = || {
        let issue = json!({
            "service": "licence.private-bailiff",
            "applicant": {"iin": iin, "name": APPLICANT},
            "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
        });
        let app = created(submit(&p, &issue, "individual-sign"));
        ok(step(
            &p,
            &app,
            "pay",
            &p.svc.portal,
            &json!({"reference": "KZ-PAY-9"}),
        ))
    };
    let first = registered();
    for bad in ["kz-123", "KZ 123", "KZLAA", &"1".repeat(41)] {
        assert_problem(
            &step(
                &p,
                &first,
                "approve",
                &p.svc.operator,
                &json!({"number": bad}),
            ),
            400,
            "MALFORMED",
        );
    }
    assert_problem(
        &step(
            &p,
            &first,
            "refuse",
            &p.svc.operator,
            &json!({"reason": "x", "number": "KZ1"}),
        ),
        400,
        "MALFORMED",
    );
    let approved = ok(step(
        &p,
        &first,
        "approve",
        &p.svc.operator,
        &json!({"number": "KZ79LAA00031584"}),
    ));
    assert_eq!(approved["document"]["number"], "KZ79LAA00031584");
    let (data, text) = verified(&p, &approved["document"], dir.path());
    assert!(text.contains("№ KZ79LAA00031584"), "{text}");
    assert_eq!(data["licensee_id"], iin.as_str());
    assert_eq!(standing(&p, "KZ79LAA00031584")["status"], "valid");

    // The same number for another licence: refused, nothing issued; through the decision route too.
    let second = registered();
    assert_problem(
        &step(
            &p,
            &second,
            "approve",
            &p.svc.operator,
            &json!({"number": "KZ79LAA00031584"}),
        ),
        409,
        "NUMBER_TAKEN",
    );
    assert_problem(
        &call(
            &p,
            "POST",
            &format!("/v1/applications/{}/decision", second["id"]),
            &p.svc.operator,
            &json!({"decision": "approve", "number": "KZ79LAA00031584"}),
        ),
        409,
        "NUMBER_TAKEN",
    );
    // Without one, ours: the series counted the first licence, so the second is number 2, with no gap.
    let ours = ok(step(&p, &second, "approve", &p.svc.operator, &json!({})));
    let number = ours["document"]["number"].as_str().expect("number");
    assert!(number.ends_with("-000002"), "{number}");
    use qoltanba::Registry;
    let year = qoltanba::local_year(qoltanba::UnixTime::now().secs()).expect("year");
    let form = qoltanba::FormId::parse("licence.private-bailiff").expect("form");
    assert_eq!(
        p.svc.registry.numbers(&form, year).expect("numbers"),
        [1, 2]
    );
}

/// A decision the regulations make the head's, signed with the head's own key (here the provider's authorised
/// person, right-to-sign under the provider's BIN) by the OpenSSL CLI: verified like an applicant's signature, the
/// step takes the values signed, the signature is kept and the audit log names the signer. Someone else's key —
/// another organisation's head, an individual, a revoked certificate — is 422 `HEAD_SIGNATURE_REFUSED`; a signature
/// of another step or application, or a request that differs from what was signed, is 400.
#[test]
fn the_head_signs_the_decision_with_their_own_key() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let p = provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let issue = json!({
        "service": "licence.private-bailiff",
        "applicant": {"iin": cert_iin("individual-sign"), "name": APPLICANT},
        "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
    });
    let app = created(submit(&p, &issue, "individual-sign"));
    let registered = ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-PAY-7"}),
    ));
    let number = registered["number"].as_str().expect("number");
    let decision = json!({
        "application": number,
        "step": "approve",
        "fields": {"special_conditions": "Басшының шешімімен / По решению руководителя"},
    });
    let signed_by = |who: &str, content: &Value| {
        B64.encode(openssl_sign(content.to_string().as_bytes(), who, false))
    };
    for who in ["legal-head", "individual-sign", "revoked"] {
        assert_problem(
            &step(
                &p,
                &registered,
                "approve",
                &p.svc.operator,
                &json!({"signature": signed_by(who, &decision)}),
            ),
            422,
            "HEAD_SIGNATURE_REFUSED",
        );
    }
    let mut elsewhere = decision.clone();
    elsewhere["step"] = json!("refuse");
    assert_problem(
        &step(
            &p,
            &registered,
            "approve",
            &p.svc.operator,
            &json!({"signature": signed_by("provider-signer", &elsewhere)}),
        ),
        400,
        "MALFORMED",
    );
    let head = signed_by("provider-signer", &decision);
    assert_problem(
        &step(
            &p,
            &registered,
            "approve",
            &p.svc.operator,
            &json!({"signature": head, "fields": {"special_conditions": "басқа / другое"}}),
        ),
        400,
        "MALFORMED",
    );
    assert_problem(
        &step(
            &p,
            &registered,
            "approve",
            &p.svc.portal,
            &json!({"signature": head}),
        ),
        403,
        "FORBIDDEN",
    );
    let approved = ok(step(
        &p,
        &registered,
        "approve",
        &p.svc.operator,
        &json!({"signature": head}),
    ));
    let (data, _) = verified(&p, &approved["document"], dir.path());
    assert_eq!(
        data["special_conditions"],
        "Басшының шешімімен / По решению руководителя"
    );
    use qoltanba::Registry;
    let audit = p.svc.registry.audit().expect("audit");
    let signed = audit
        .iter()
        .find(|e| e.action == "application.step.signed")
        .expect("the signature is in the audit log");
    assert!(signed.subject.starts_with(number), "{signed:?}");
    assert!(
        signed.subject.contains(&cert_iin("provider-signer")),
        "{signed:?}"
    );
    assert_eq!(signed.actor, "operator-1");
}

/// The head's decision signed as XML, as NCALayer's `signXml` signs it — here by `xmlsec1` (Debian package
/// `xmlsec1`) with an enveloped signature over the whole `<step>`: verified as an XML signature, the step takes
/// the values signed; another organisation's head is refused.
#[test]
fn the_head_signs_the_decision_as_xml() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("xmlsec1", "xmlsec1");
    let p = provider();
    let issue = json!({
        "service": "licence.private-bailiff",
        "applicant": {"iin": cert_iin("individual-sign"), "name": APPLICANT},
        "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
    });
    let app = created(submit(&p, &issue, "individual-sign"));
    let registered = ok(step(
        &p,
        &app,
        "pay",
        &p.svc.portal,
        &json!({"reference": "KZ-PAY-8"}),
    ));
    let number = registered["number"].as_str().expect("number");
    let dir = tempfile::tempdir().expect("tempdir");
    let sign = |who: &str| {
        let template = dir.path().join(format!("{who}-step.xml"));
        std::fs::write(
            &template,
            format!(
                "<step xmlns=\"urn:qoltanba:step:1\" application=\"{number}\" name=\"approve\">\
                 <field name=\"special_conditions\">XML шешімі / Решение в XML</field>\
                 <ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
                 <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>\
                 <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>\
                 <ds:Reference URI=\"\"><ds:Transforms>\
                 <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
                 <ds:Transform Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments\"/>\
                 </ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
                 <ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data>\
                 <ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature></step>"
            ),
        )
        .expect("write");
        let out = dir.path().join(format!("{who}-signed.xml"));
        let certs = common::project_dir().join("certs");
        let key = format!(
            "{},{}",
            certs.join(format!("{who}.key.pem")).display(),
            certs.join(format!("{who}.pem")).display()
        );
        let status = std::process::Command::new("xmlsec1")
            .args(["--sign", "--privkey-pem", &key, "--output"])
            .arg(&out)
            .arg(&template)
            .status()
            .expect("xmlsec1");
        assert!(status.success());
        std::fs::read_to_string(&out).expect("signed")
    };
    assert_problem(
        &step(
            &p,
            &registered,
            "approve",
            &p.svc.operator,
            &json!({"signatureXml": sign("legal-head")}),
        ),
        422,
        "HEAD_SIGNATURE_REFUSED",
    );
    let approved = ok(step(
        &p,
        &registered,
        "approve",
        &p.svc.operator,
        &json!({"signatureXml": sign("provider-signer")}),
    ));
    let (data, _) = verified(&p, &approved["document"], dir.path());
    assert_eq!(data["special_conditions"], "XML шешімі / Решение в XML");
}
