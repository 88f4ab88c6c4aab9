//! Output forms: every built-in form renders its seed sample as a PDF whose text (read back with `pdftotext`,
//! Debian package `poppler-utils`) holds every caption, label and value exactly; bad data is refused with the
//! field named; the same data and time give the same bytes.

use crate::common;
use qoltanba::{catalogue, FieldError, TemplateBlock};
use qoltanba::{issue, IssueError};
use serde_json::Value;
use std::process::Command;

const ISSUED: i64 = 1_795_428_000; // 2026-11-23T10:00:00Z

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every piece of text the filled form must show: (text, side by side with other text). Text that wraps next to
/// other text (table cells, a label beside its value) is read back by pdftotext interleaved with its
/// neighbours' lines, so it is compared word by word; running text is compared exactly.
fn expected_texts(t: &qoltanba::FormTemplate, sample: &Value) -> Vec<(String, bool)> {
    let fill = |s: &str| {
        let mut out = s.to_string();
        if let Some(obj) = sample.as_object() {
            for (k, v) in obj {
                out = out.replace(&format!("{{{k}}}"), v.as_str().unwrap_or(""));
            }
        }
        // Optional fields the sample leaves out print nothing.
        for f in &t.fields {
            out = out.replace(&format!("{{{}}}", f.name), "");
        }
        out.replace("{document_number}", "QLT-2026-000001")
            .replace("{issue_date_kk}", "2026 жылғы \"23\" қараша")
            .replace("{issue_date}", "23.11.2026")
    };
    let mut texts = Vec::new();
    for b in &t.blocks {
        match b {
            TemplateBlock::Header(s)
            | TemplateBlock::Title(s)
            | TemplateBlock::Paragraph(s)
            | TemplateBlock::Subtitle(s)
            | TemplateBlock::Note(s) => texts.push((fill(s), false)),
            TemplateBlock::Field {
                label,
                value,
                caption,
            } => {
                // Label and value stand side by side; when either wraps, pdftotext interleaves their lines.
                texts.push((fill(label), true));
                texts.push((fill(value), true));
                texts.extend(caption.as_deref().map(|c| (fill(c), true)));
            }
            TemplateBlock::Table { headers, rows, .. } => {
                texts.extend(headers.iter().map(|h| (fill(h), true)));
                texts.extend(rows.iter().flatten().map(|c| (fill(c), true)));
            }
            TemplateBlock::DataTable { headers, .. } => {
                texts.extend(headers.iter().map(|h| (h.clone(), true)))
            }
            TemplateBlock::Repeat {
                heading,
                caption,
                labels,
                ..
            } => {
                // The heading's fixed words (placeholders are filled per row).
                let fixed: String = heading
                    .split_whitespace()
                    .filter(|w| !w.contains('{'))
                    .collect::<Vec<_>>()
                    .join(" ");
                texts.push((fixed, true));
                texts.extend(caption.iter().map(|c| (c.clone(), false)));
                texts.extend(labels.iter().map(|l| (l.clone(), true)));
            }
            TemplateBlock::Seal(lines) => texts.extend(lines.iter().map(|l| (fill(l), false))),
            TemplateBlock::Space(_) => {}
        }
    }
    texts
}

#[test]
fn every_form_renders_its_sample_with_exact_text() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdftotext", "poppler-utils");
    let dir = tempfile::tempdir().expect("tempdir");
    let forms = catalogue().expect("templates parse");
    assert!(forms.len() >= 4);
    for t in forms.values() {
        let sample = t.sample();
        let doc = issue(&t.id, &sample, "QLT-2026-000001", ISSUED, None)
            .unwrap_or_else(|e| panic!("{}: {e}", t.id));
        let path = dir.path().join(format!("{}.pdf", t.id));
        std::fs::write(&path, &doc.pdf).expect("write");
        let text = squash(&common::tools::pdftotext(&doc.pdf));
        for (expected, in_table) in expected_texts(t, &sample) {
            if in_table {
                for word in expected.split_whitespace() {
                    assert!(
                        text.contains(word),
                        "{}: table word {word:?} not found in\n{text}",
                        t.id
                    );
                }
            } else {
                assert!(
                    text.contains(&squash(&expected)),
                    "{}: {expected:?} not found in\n{text}",
                    t.id
                );
            }
        }
        for value in sample.as_object().expect("object").values() {
            match value {
                Value::String(s) => {
                    for word in s.split_whitespace() {
                        assert!(text.contains(word), "{}: value word {word:?}", t.id);
                    }
                }
                Value::Array(rows) => {
                    for cell in rows.iter().flat_map(|r| r.as_array().into_iter().flatten()) {
                        for word in cell.as_str().expect("string cell").split_whitespace() {
                            assert!(text.contains(word), "{}: cell word {word:?}", t.id);
                        }
                    }
                }
                other => panic!("{}: unexpected sample {other}", t.id),
            }
        }
        assert!(
            text.contains("QLT-2026-000001") && text.contains("23.11.2026"),
            "{}: number and date",
            t.id
        );
        let fonts = Command::new("pdffonts")
            .arg(&path)
            .output()
            .expect("pdffonts");
        let fonts = String::from_utf8_lossy(&fonts.stdout);
        assert!(
            fonts.contains("+DejaVuSans") && fonts.contains(" yes yes yes "),
            "{}: {fonts}",
            t.id
        );
        let png = Command::new("pdftoppm")
            .args(["-r", "30", "-png"])
            .arg(&path)
            .arg(dir.path().join(&t.id))
            .output()
            .expect("pdftoppm");
        assert!(
            png.status.success() && png.stderr.is_empty(),
            "{}: {}",
            t.id,
            String::from_utf8_lossy(&png.stderr)
        );
        assert!(doc.pdf.len() < 100_000, "{}: {} bytes", t.id, doc.pdf.len());
        // The canonical data is embedded: poppler's pdfdetach extracts exactly it, and so do we.
        let saved = dir.path().join(format!("{}.json", t.id));
        let det = Command::new("pdfdetach")
            .args(["-save", "1", "-o"])
            .arg(&saved)
            .arg(&path)
            .output()
            .expect("pdfdetach");
        assert!(
            det.status.success(),
            "{}: {}",
            t.id,
            String::from_utf8_lossy(&det.stderr)
        );
        assert_eq!(
            std::fs::read(&saved).expect("extracted"),
            doc.canonical_data.as_bytes(),
            "{}",
            t.id
        );
        assert_eq!(
            qoltanba::embedded_file(&doc.pdf, qoltanba::DATA_FILE_NAME).as_deref(),
            Some(doc.canonical_data.as_bytes())
        );
        // The canonical data is the validated sample, keys sorted.
        let canonical: Value = serde_json::from_str(&doc.canonical_data).expect("canonical JSON");
        assert_eq!(canonical, sample);
    }
}

#[test]
fn long_tables_continue_on_more_pages() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdftotext", "poppler-utils");
    let form = "reference.real-estate-rights";
    let t = qoltanba::form(form).expect("form");
    let mut data = t.sample();
    let row = data["objects"][0].clone();
    let rows = qoltanba::MAX_ROWS;
    data["objects"] = Value::Array((0..rows).map(|_| row.clone()).collect());
    let doc = issue(form, &data, "QLT-9", ISSUED, None).expect("issue");
    let text = common::tools::pdftotext(&doc.pdf);
    let pages = text.matches('\u{c}').count();
    assert!(
        pages >= 4,
        "{rows} objects should need several pages, got {pages}"
    );
    assert_eq!(
        text.matches("21:320:001:012:7:45").count(),
        rows,
        "every row printed, none cut"
    );
    let compact = text.replace(' ', "");
    assert!(compact.contains(&format!("{pages}/{pages}")));
    // Wrong rows are refused with their place named.
    let mut bad = t.sample();
    bad["objects"][0] = Value::Array(vec!["only one cell".into()]);
    assert!(
        matches!(issue(form, &bad, "QLT-9", ISSUED, None), Err(IssueError::Data { error: FieldError::Format { field, .. }, .. }) if field == "objects")
    );
    let mut bad = t.sample();
    bad["objects"][0][3] = "\u{7}".into();
    assert!(
        matches!(issue(form, &bad, "QLT-9", ISSUED, None), Err(IssueError::Data { error: FieldError::ControlCharacter { field, .. }, .. }) if field == "objects[1][4]")
    );
}

#[test]
fn issued_pdf_carries_the_providers_signature_over_its_data() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdfdetach", "poppler-utils");
    common::tools::need_tool("openssl", "openssl");
    let dir = tempfile::tempdir().expect("tempdir");
    let (sample, pdf) = (dir.path().join("s.json"), dir.path().join("l.pdf"));
    let (_, stdout, _) = common::run_qoltanba(&["forms", "sample", "licence.private-bailiff"]);
    std::fs::write(&sample, stdout).expect("write");
    let (s, p) = (
        sample.to_string_lossy().into_owned(),
        pdf.to_string_lossy().into_owned(),
    );
    let args = [
        "issue",
        "--form",
        "licence.private-bailiff",
        "--data",
        &s,
        "--out",
        &p,
        "--number",
        "QLT-2026-000009",
        "--issued-at",
        "2026-11-23T10:00:00Z",
    ];
    let (code, out, err) = common::run_qoltanba(&args);
    assert_eq!(code, 0, "{out}{err}");
    let first = std::fs::read(&pdf).expect("pdf");
    let (code, _, _) = common::run_qoltanba(&args);
    assert_eq!(code, 0);
    assert!(
        std::fs::read(&pdf).expect("pdf") == first,
        "signed documents are reproducible too (RFC 6979)"
    );

    let list = Command::new("pdfdetach")
        .arg("-list")
        .arg(&pdf)
        .output()
        .expect("pdfdetach");
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("2 embedded files") && list.contains("qoltanba-data.json.p7s"),
        "{list}"
    );
    let data = dir.path().join("data.json");
    let sig = dir.path().join("data.p7s");
    for (n, target) in [("1", &data), ("2", &sig)] {
        let o = Command::new("pdfdetach")
            .args(["-save", n, "-o"])
            .arg(target)
            .arg(&pdf)
            .output()
            .expect("pdfdetach");
        assert!(o.status.success());
    }
    // OpenSSL verifies the provider's signature over the extracted data, chaining to the demo root.
    let ca = dir.path().join("ca.pem");
    std::fs::write(
        &ca,
        std::fs::read_to_string(common::project_dir().join("certs/root-ca.pem")).expect("root")
            + &std::fs::read_to_string(common::project_dir().join("certs/issuing-ca.pem"))
                .expect("ca"),
    )
    .expect("write");
    let o = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(&sig)
        .arg("-content")
        .arg(&data)
        .arg("-CAfile")
        .arg(&ca)
        .args(["-out", "/dev/null"])
        .output()
        .expect("openssl");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // And so does Qoltanba, with the signer's identity.
    let (d, g) = (
        data.to_string_lossy().into_owned(),
        sig.to_string_lossy().into_owned(),
    );
    let (code, report) = verify_detached(&g, &d, &["--iin", "761103300456"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["signers"][0]["signingTime"], "2026-11-23T10:00:00Z");
    assert_eq!(report["subject"]["role"], "right-to-sign");
    // A changed byte of the data breaks it.
    let mut changed = std::fs::read(&data).expect("data");
    changed[10] ^= 1;
    std::fs::write(&data, changed).expect("write");
    let (code, report) = verify_detached(&g, &d, &[]);
    assert_eq!(
        (code, common::codes(&report)),
        (1, vec!["SIGNATURE_INVALID".to_string()])
    );
}

/// Documents are dated as Kazakhstan's calendar says (UTC+5): one issued at 20:00 UTC on 23 November is dated
/// 24 November (read back with `pdftotext`, Debian package `poppler-utils`).
#[test]
fn the_printed_date_is_the_local_date() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdftotext", "poppler-utils");
    let t = qoltanba::form("reference.birth").expect("form");
    for (at, date) in [
        ("2026-11-23T18:59:59Z", "23.11.2026"),
        ("2026-11-23T19:00:00Z", "24.11.2026"),
        ("2026-11-23T20:00:00Z", "24.11.2026"),
    ] {
        let doc = issue(
            &t.id,
            &t.sample(),
            "QLT-2026-000001",
            common::unix(at),
            None,
        )
        .expect("issue");
        let text = squash(&common::tools::pdftotext(&doc.pdf));
        assert!(
            text.contains(&squash(&format!("Дата выдачи: {date}"))),
            "{at}: {text}"
        );
    }
}

/// `qoltanba verify-cms` of a detached signature under the demo PKI at the documents' issue time.
fn verify_detached(sig: &str, data: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "verify-cms",
        "--cms",
        sig,
        "--content",
        data,
        "--trust",
        "certs/root-ca.pem",
        "--crl",
        "certs/crl",
        "--at",
        "2026-11-23T10:00:00Z",
    ];
    args.extend_from_slice(extra);
    common::run_json(&args)
}

/// Seed 002's «Лицензия нысаны» (the licence form), read from the seed itself: its captions (the parenthesised
/// lines under each blank, joined where the seed wraps them) and its labels (the words before each blank). The
/// seed's spellings and unclosed parentheses are kept: they are legal text.
fn seed_licence_form() -> (Vec<String>, Vec<String>) {
    let seed = common::project_dir()
        .join("../shared/domain/seeds/002_advocacy-attestation-and-licence.kk.txt");
    let text = std::fs::read_to_string(&seed)
        .unwrap_or_else(|e| panic!("{}: {e} (../shared beside the project)", seed.display()));
    let start = text
        .find("Лицензия нысаны")
        .expect("the licence form in seed 002");
    let end = start + text[start..].find("Данный документ").expect("its end");
    let lines: Vec<&str> = text[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .skip(1)
        .collect();
    let depth = |s: &str| s.matches('(').count() as i64 - s.matches(')').count() as i64;
    let (mut captions, mut labels) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.starts_with('(') {
            let mut caption = line.to_string();
            while depth(&caption) > 0
                && i < lines.len()
                && !lines[i].starts_with('(')
                && !lines[i].contains("___")
            {
                // "бизнес-" + "сәйкестендіру" is one word; "жағдайда -" + "шетелдік" two.
                if !caption.ends_with('-') || caption.ends_with(" -") {
                    caption.push(' ');
                }
                caption.push_str(lines[i]);
                i += 1;
            }
            captions.push(caption);
        } else {
            let label = line
                .split("___")
                .map(|p| p.trim().trim_matches(['"', '_', ' ']).trim())
                .filter(|p| !p.is_empty() && *p != "20")
                .map(|p| {
                    p.trim_end_matches(" \"")
                        .trim_end_matches(['"', ' '])
                        .to_string()
                })
                .collect::<Vec<_>>();
            labels.extend(label.into_iter().filter(|l| l != "ж." && l != "ж"));
        }
    }
    (captions, labels)
}

/// Every licence form prints seed 002's captions and labels: checked against the seed's own text, read from the
/// PDF by `pdftotext` (Debian package `poppler-utils`).
#[test]
fn the_licence_forms_print_seed_002s_captions() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdftotext", "poppler-utils");
    let (captions, labels) = seed_licence_form();
    // What the seed has: six captions, and the labels of every blank.
    assert_eq!(captions.len(), 6, "{captions:#?}");
    for label in [
        "Лицензия",
        "жылғы",
        "№",
        "айналысуға",
        "берілді",
        "Ерекше шарттары",
        "Ескерту:",
        "Лицензиар",
        "Басшы (уәкілетті тұлға)",
        "Алғашқы берілген күні:",
        "Лицензияның қолданылу кезеңі:",
        "Берілген орны",
    ] {
        assert!(labels.iter().any(|l| l == label), "{label:?} in {labels:?}");
    }
    // pdftotext breaks a line after a hyphen: "бизнес-" + newline + "сәйкестендіру" reads back as one word here.
    let normal = |s: &str| squash(s).replace("- ", "-").replace(" -", "-");
    for form in [
        "licence.advocacy",
        "licence.private-bailiff",
        "licence.security",
    ] {
        let t = qoltanba::form(form).expect("form");
        let doc = issue(form, &t.sample(), "QLT-2026-000001", ISSUED, None).expect("issue");
        let text = normal(&common::tools::pdftotext(&doc.pdf));
        for expected in captions.iter().chain(&labels) {
            assert!(
                text.contains(&normal(expected)),
                "{form}: {expected:?} not printed:\n{text}"
            );
        }
        assert!(
            text.contains("2026 жылғы \"23\" қараша"),
            "{form}: the date as the form writes it"
        );
    }
}

/// The absence-of-real-estate reference says that nothing is registered when nothing is — in both its sections —
/// rather than printing empty headings (read back by `pdftotext`, Debian package `poppler-utils`).
#[test]
fn the_absence_reference_says_nothing_is_registered() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdftotext", "poppler-utils");
    let form = "reference.real-estate-presence";
    let t = qoltanba::form(form).expect("form");
    let mut data = t.sample();
    let with_rows = squash(&common::tools::pdftotext(
        &issue(form, &data, "QLT-2026-000001", ISSUED, None)
            .expect("issue")
            .pdf,
    ));
    data["registered"] = serde_json::json!([]);
    data["previous"] = serde_json::json!([]);
    let empty = squash(&common::tools::pdftotext(
        &issue(form, &data, "QLT-2026-000002", ISSUED, None)
            .expect("issue")
            .pdf,
    ));
    for (said, when) in [
        (
            "Тіркелді: Тіркелген жылжымайтын мүлік жоқ. / Зарегистрированное недвижимое имущество отсутствует.",
            "nothing registered",
        ),
        (
            "Бұрын осы тұлғаға тіркелген: Бұрын тіркелген жылжымайтын мүлік жоқ. / Ранее зарегистрированное недвижимое имущество отсутствует.",
            "nothing registered before",
        ),
    ] {
        assert!(empty.contains(said), "{when}: {said:?} not in\n{empty}");
        assert!(!with_rows.contains(said), "{when}: printed although rows exist");
    }
}
