//! Output forms: every built-in form renders its seed sample as a PDF whose text (read back with `pdftotext`,
//! Debian package `poppler-utils`) holds every caption, label and value exactly; bad data is refused with the
//! field named; the same data and time give the same bytes.

use crate::common;
use qoltanba::{catalogue, FieldError};
use qoltanba::{issue, IssueError};
use serde_json::Value;

const ISSUED: i64 = 1_795_428_000; // 2026-11-23T10:00:00Z

#[test]
fn same_data_and_time_give_the_same_bytes() {
    let t = catalogue().expect("forms").values().next().expect("a form");
    let a = issue(&t.id, &t.sample(), "QLT-1", ISSUED, None).expect("issue");
    let b = issue(&t.id, &t.sample(), "QLT-1", ISSUED, None).expect("issue");
    assert!(a.pdf == b.pdf);
    assert!(
        a.pdf
            != issue(&t.id, &t.sample(), "QLT-2", ISSUED, None)
                .expect("issue")
                .pdf
    );
}

fn data_error(form: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> FieldError {
    let t = qoltanba::form(form).expect("form");
    let mut sample = t.sample();
    edit(sample.as_object_mut().expect("object"));
    match issue(form, &sample, "QLT-1", ISSUED, None) {
        Err(IssueError::Data { error, .. }) => error,
        Err(other) => panic!("expected a data error, got {other}"),
        Ok(_) => panic!("expected a data error, the document was issued"),
    }
}

#[test]
fn bad_data_is_refused_naming_the_field() {
    let f = "reference.birth";
    assert_eq!(
        data_error(f, |m| {
            m.remove("father");
        }),
        FieldError::Missing("father".into())
    );
    assert!(
        matches!(data_error(f, |m| { m.insert("colour".into(), "red".into()); }), FieldError::Unknown(n) if n == "colour")
    );
    assert!(
        matches!(data_error(f, |m| { m.insert("birth_date".into(), "2009-08-24".into()); }), FieldError::Format { field, .. } if field == "birth_date")
    );
    assert!(
        matches!(data_error(f, |m| { m.insert("birth_date".into(), "31.02.2009".into()); }), FieldError::Format { field, .. } if field == "birth_date")
    );
    assert!(
        matches!(data_error(f, |m| { m.insert("record_number".into(), "10-101-09-000007".into()); }), FieldError::Format { field, .. } if field == "record_number")
    );
    assert!(
        matches!(data_error(f, |m| { m.insert("person".into(), "А".repeat(10_000).into()); }), FieldError::TooLong { field, len: 10_000, .. } if field == "person")
    );
    assert!(
        matches!(data_error(f, |m| { m.insert("person".into(), "АЛМАС\u{0}СМИРНОВ".into()); }), FieldError::ControlCharacter { field, code: 0 } if field == "person")
    );
    assert!(matches!(
        data_error(f, |m| {
            m.insert("person".into(), "АЛМАС\nСМИРНОВ".into());
        }),
        FieldError::ControlCharacter { .. }
    ));
    // An identifier with a bad checksum is refused, naming the field.
    let l = "licence.private-bailiff";
    assert!(
        matches!(data_error(l, |m| { m.insert("licensee_id".into(), "870412300128".into()); }),
            FieldError::Format { field, message } if field == "licensee_id" && message.contains("checksum"))
    );
    assert!(matches!(
        data_error("licence.security", |m| { m.insert("licensee_id".into(), "040840001239".into()); }),
        FieldError::Format { field, .. } if field == "licensee_id"
    ));
    // DejaVu Sans has no CJK: such a name cannot be printed faithfully, so it is refused.
    assert!(
        matches!(data_error(f, |m| { m.insert("person".into(), "АЛМАС 中".into()); }), FieldError::Unprintable { field, code: 0x4E2D } if field == "person")
    );
    assert!(matches!(
        data_error(f, |m| {
            m.insert("person".into(), "   ".into());
        }),
        FieldError::Empty { .. }
    ));
    assert!(matches!(
        data_error(f, |m| {
            m.insert("person".into(), 42.into());
        }),
        FieldError::NotAString { .. }
    ));
    // DejaVu Sans does have the emoticons block: such a value is printed as it is.
    let t = qoltanba::form(f).expect("form");
    let mut sample = t.sample();
    sample["person"] = "АЛМАС 😀".into();
    assert!(issue(f, &sample, "QLT-1", ISSUED, None).is_ok());
    // A value with braces is printed as written, never as another field.
    let t = qoltanba::form(f).expect("form");
    let mut sample = t.sample();
    sample["person"] = "АЛМАС {mother}".into();
    assert!(issue(f, &sample, "QLT-1", ISSUED, None).is_ok());
    assert!(matches!(
        issue(f, &Value::Array(vec![]), "QLT-1", ISSUED, None),
        Err(IssueError::Data {
            error: FieldError::NotAnObject,
            ..
        })
    ));
    assert!(matches!(
        issue("reference.nope", &t.sample(), "QLT-1", ISSUED, None),
        Err(IssueError::Template(_))
    ));
    assert!(matches!(
        issue(f, &t.sample(), "QLT 1; rm", ISSUED, None),
        Err(IssueError::BadNumber)
    ));
}

#[test]
fn cli_lists_samples_and_issues() {
    let (code, stdout, _) = common::run_qoltanba(&["forms", "list"]);
    assert_eq!(code, 0);
    for id in [
        "reference.birth",
        "reference.name-change",
        "reference.divorce",
        "reference.marriage",
    ] {
        assert!(stdout.contains(id), "{id} listed");
    }
    let (code, sample, _) = common::run_qoltanba(&["forms", "sample", "reference.divorce"]);
    assert_eq!(code, 0);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("d.json");
    std::fs::write(&data, &sample).expect("write");
    let out = dir.path().join("d.pdf");
    let (d, o) = (
        data.to_string_lossy().into_owned(),
        out.to_string_lossy().into_owned(),
    );
    let args = [
        "issue",
        "--form",
        "reference.divorce",
        "--data",
        &d,
        "--out",
        &o,
        "--number",
        "QLT-7",
        "--issued-at",
        "2026-11-23T10:00:00Z",
    ];
    let (code, stdout, stderr) = common::run_qoltanba(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let first = std::fs::read(&out).expect("pdf");
    assert!(first.starts_with(b"%PDF-"));
    let (code, _, _) = common::run_qoltanba(&args);
    assert_eq!(code, 0);
    assert!(
        std::fs::read(&out).expect("pdf") == first,
        "the CLI is deterministic too"
    );
    let (code, _, stderr) = common::run_qoltanba(&["forms", "sample", "no.such"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no form no.such"), "{stderr}");
    std::fs::write(&data, "{\"husband\": ").expect("write");
    let (code, _, stderr) = common::run_qoltanba(&args);
    assert_eq!(code, 2);
    assert!(stderr.contains("not JSON"), "{stderr}");
}
