//! The hardening issue's findings, each as the attack it describes: what a reader sees must be what was signed, a
//! small hostile input must cost little, an applicant cannot print another person's name, and the service's own
//! limits hold. (Seal forgery and back-dating by a compromised key are in `tests/seal.rs`.)

use crate::common;
use crate::common::hardening::{licence, name, overlay, verify};
use qoltanba::IncrementalUpdate;
use qoltanba::SealMode;
use qoltanba::{issue, Sealing};
use qoltanba::{Budget, Dict, Object, PdfFile};
use qoltanba::{Code, VerifyOptions};

const ISSUED: i64 = 1_795_428_000; // 2026-11-23T10:00:00Z

fn open(pdf: &[u8]) -> PdfFile<'_> {
    PdfFile::open(pdf, Budget::for_verification(qoltanba::Cancel::never())).expect("open")
}

fn field<'r>(r: &'r qoltanba::DocumentReport, name: &str) -> &'r qoltanba::FieldComparison {
    r.fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("field {name}: {:?}", r.fields))
}

#[test]
fn the_genuine_licence_is_valid_and_wholly_signed() {
    let (pdf, _, _) = licence();
    let r = verify(&pdf);
    assert!(r.seal.report.valid, "{:?}", r.seal.report.messages);
    assert_eq!(r.file.signature.to_string(), "valid");
    assert!(r.file.covers_whole_file);
    assert!(r.fields.iter().all(|f| f.printed), "{:?}", r.fields);
}

/// Finding 2: the licensee's name painted over by a white box and another name written on top, in an appended
/// revision. The signed name is still in the page text, under the box; it is no longer *visible*, the file is no
/// longer what the provider signed, and the report says what was added.
#[test]
fn a_painted_over_name_is_reported_and_never_valid() {
    let (pdf, (x, y, size), licensee) = licence();
    let forged = overlay(
        &pdf,
        &format!(
            "q 1 g {} {} 400 {} re f Q BT /QF1 {size} Tf {x} {y} Td (BOLAT ALIEV) Tj ET",
            x - 2.0,
            y - 4.0,
            size + 8.0
        ),
    );
    let r = verify(&forged);
    assert!(!r.seal.report.valid);
    assert!(r.seal.report.codes.contains(&Code::DocumentMismatch));
    let f = field(&r, "licensee");
    assert_eq!(f.signed, licensee);
    assert!(
        !f.printed,
        "the painted-over name is not counted as printed"
    );
    assert!(
        r.seal
            .report
            .messages
            .iter()
            .any(|m| m.contains(&licensee) && m.contains("covered or hidden")),
        "{:?}",
        r.seal.report.messages
    );
    // The other fields are still visible.
    assert!(field(&r, "licensor").printed);
    // The file: signed, but not to its end, and the update is named.
    assert_eq!(r.file.signature.to_string(), "valid");
    assert!(!r.file.covers_whole_file);
    let appended = r.file.appended.join("; ");
    assert!(
        appended.contains("Page, replacing the signed one") && appended.contains("Font Type1, new"),
        "{appended}"
    );
    assert!(
        r.seal
            .report
            .messages
            .iter()
            .any(|m| m.contains("changed after the provider signed it")),
        "{:?}",
        r.seal.report.messages
    );
}

/// Finding 2: a page appended after issue.
#[test]
fn an_appended_page_is_reported() {
    let (pdf, _, _) = licence();
    let file = open(&pdf);
    let catalog = file.catalog().expect("catalog");
    let Some(Object::Ref(pages_number, _)) = catalog.get(b"Pages").cloned() else {
        panic!("pages reference")
    };
    let pages = file.get(pages_number).expect("pages");
    let mut pages = pages.as_dict().expect("dict").clone();
    let mut update = IncrementalUpdate::new(&file).expect("update");
    let content = update.add_stream(
        &Dict::default(),
        b"BT /F1 12 Tf 100 700 Td (Appendix) Tj ET",
    );
    let page = update.add_dict(&Dict(vec![
        (b"Type".to_vec(), name("Page")),
        (b"Parent".to_vec(), Object::Ref(pages_number, 0)),
        (
            b"MediaBox".to_vec(),
            Object::Array(vec![
                Object::Int(0),
                Object::Int(0),
                Object::Int(595),
                Object::Int(842),
            ]),
        ),
        (b"Contents".to_vec(), Object::Ref(content, 0)),
    ]));
    let mut kids = pages
        .get(b"Kids")
        .and_then(Object::as_array)
        .expect("kids")
        .to_vec();
    kids.push(Object::Ref(page, 0));
    let count = kids.len() as i64;
    pages.set(b"Kids", Object::Array(kids));
    pages.set(b"Count", Object::Int(count));
    update.replace_dict(pages_number, &pages);
    let (forged, _) = update.finish();
    let r = verify(&forged);
    assert!(!r.seal.report.valid);
    assert_eq!(
        r.seal.report.codes,
        vec![Code::DocumentMismatch],
        "{:?}",
        r.seal.report.messages
    );
    assert!(
        r.file.appended.join(" ").contains("(Page, new)"),
        "{:?}",
        r.file.appended
    );
}

/// Finding 2: a revision that only adds an annotation — a box drawn over the name by the viewer, no content
/// changed.
#[test]
fn an_appended_annotation_is_reported_and_hides_what_it_covers() {
    let (pdf, (x, y, size), _) = licence();
    let file = open(&pdf);
    let page = file.pages().expect("pages").remove(0);
    let mut update = IncrementalUpdate::new(&file).expect("update");
    let rect = |v: f32| Object::Real(f64::from(v));
    let annotation = update.add_dict(&Dict(vec![
        (b"Type".to_vec(), name("Annot")),
        (b"Subtype".to_vec(), name("Square")),
        (
            b"Rect".to_vec(),
            Object::Array(vec![
                rect(x - 2.0),
                rect(y - 4.0),
                rect(x + 400.0),
                rect(y + size + 4.0),
            ]),
        ),
        (
            b"IC".to_vec(),
            Object::Array(vec![Object::Int(1), Object::Int(1), Object::Int(1)]),
        ),
    ]));
    let mut dict = page.dict.clone();
    let mut annots = file
        .get_in(&page.dict, b"Annots")
        .expect("annots")
        .and_then(|a| a.as_array().map(<[Object]>::to_vec))
        .unwrap_or_default();
    annots.push(Object::Ref(annotation, 0));
    dict.set(b"Annots", Object::Array(annots));
    update.replace_dict(page.object, &dict);
    let (forged, _) = update.finish();
    let r = verify(&forged);
    assert!(!r.seal.report.valid);
    assert!(r.seal.report.codes.contains(&Code::DocumentMismatch));
    assert!(!field(&r, "licensee").printed);
    assert!(
        r.file.appended.join(" ").contains("Annot Square, new"),
        "{:?}",
        r.file.appended
    );
}

/// The file's bytes changed in place (a rewrite rather than an update): the provider's signature no longer verifies.
#[test]
fn a_changed_byte_breaks_the_file_signature() {
    let (pdf, _, _) = licence();
    let mut changed = pdf.clone();
    // A byte of the page content stream (inside the signed range, outside the seal and the embedded data).
    let at = changed
        .windows(3)
        .position(|w| w == b" Tf")
        .expect("a text operator");
    changed[at - 1] = if changed[at - 1] == b'4' { b'5' } else { b'4' };
    let r = verify(&changed);
    assert!(!r.seal.report.valid);
    assert_eq!(r.file.signature.to_string(), "invalid");
    assert!(
        r.seal.report.codes.contains(&Code::SignatureInvalid),
        "{:?}",
        r.seal.report.codes
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 3: small hostile inputs must cost little. Each runs the CLI under an address-space limit and a deadline
// that the old code overran by hours or gigabytes.

/// A 6 KB CMS carrying eighteen certificates that share one name made path building try every ordering of them
/// (hours). The search now stops at its budget and says so.
#[test]
fn a_cms_of_same_named_certificates_stops_at_the_path_budget() {
    let cms = common::hostile::same_named_cms();
    assert!(cms.len() < 16 * 1024, "a small input: {} bytes", cms.len());
    let store = qoltanba::demo_trust_store().expect("store");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = qoltanba::verify_cms(&store, &cms, None, &[], &VerifyOptions::at(ISSUED));
        let _ = tx.send(r);
    });
    let report = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("path building ends at its budget")
        .expect("a report");
    assert!(!report.report.valid);
    assert!(report.report.codes.contains(&Code::ChainUntrusted));
    assert!(
        report.report.messages.iter().any(|m| m.contains("gave up")),
        "{:?}",
        report.report.messages
    );
}

/// Every certificate arriving with a request was kept for "the signer's next request", up to 10 000 of any size.
/// The cache is bounded in bytes as well.
#[test]
fn the_remembered_certificates_are_bounded_in_bytes() {
    let store = qoltanba::demo_trust_store().expect("store");
    // 400 distinct certificates of about 50 KB: 20 MB of DER, more than the cache keeps.
    for _ in 0..400 {
        let (cert, _) = common::hostile::certificate_with_extensions(1, 50 * 1024);
        store.parse_certificate(cert.der()).expect("parse");
    }
    let (count, bytes) = store.remembered();
    assert!(bytes <= qoltanba::RECENT_CERTIFICATE_BYTES, "{bytes}");
    assert!(count < 400 && count > 100, "{count}");
}

/// A CRL whose entries carry 160 000 distinct critical extensions parsed in a minute (a quadratic check), at every
/// `verify-*` and at start. It is now read in linear time, and unusable as before.
#[test]
fn a_crl_of_many_critical_entry_extensions_parses_in_linear_time() {
    use qoltanba::asn1::encode;
    let n = 160_000usize;
    let mut entries = Vec::with_capacity(n * 40);
    for i in 0..n {
        let serial = encode(0x02, &(i as u32 + 1).to_be_bytes());
        let time = encode(0x17, b"260101000000Z");
        let oid = encode(
            0x06,
            &[
                0x2b,
                6,
                1,
                4,
                1,
                0x86,
                0x8d,
                0x1f,
                (i >> 14) as u8 | 0x80,
                ((i >> 7) & 0x7f) as u8 | 0x80,
                (i & 0x7f) as u8,
            ],
        );
        let ext = encode(
            0x30,
            &[oid, encode(0x01, &[0xff]), encode(0x04, &[])].concat(),
        );
        let exts = encode(0x30, &ext);
        entries.extend(encode(0x30, &[serial, time, exts].concat()));
    }
    let alg = encode(
        0x30,
        &[encode(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 2])].concat(),
    );
    let issuer = encode(
        0x30,
        &encode(
            0x31,
            &encode(
                0x30,
                &[encode(0x06, &[0x55, 4, 3]), encode(0x0c, b"X")].concat(),
            ),
        ),
    );
    let tbs = encode(
        0x30,
        &[
            encode(0x02, &[1]),
            alg.clone(),
            issuer,
            encode(0x17, b"260101000000Z"),
            encode(0x17, b"270101000000Z"),
            encode(0x30, &entries),
        ]
        .concat(),
    );
    let crl = encode(0x30, &[tbs, alg, encode(0x03, &[0, 1, 2, 3])].concat());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(qoltanba::Crl::from_der(&crl));
    });
    let parsed = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("parsed in linear time")
        .expect("a CRL");
    assert_eq!(parsed.len(), n);
    assert!(!parsed.unsupported_critical.is_empty() && parsed.unsupported_critical.len() <= 16);
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 5: one size budget for a document, shared by issuance and verification.

/// Pseudo-random Cyrillic words (deterministic), `len` characters, compressing about as badly as real text can.
fn words(seed: &mut u64, len: usize) -> String {
    const LETTERS: &[char] = &[
        'А', 'Ә', 'Б', 'В', 'Г', 'Ғ', 'Д', 'Е', 'Ж', 'З', 'И', 'Й', 'К', 'Қ', 'Л', 'М', 'Н', 'Ң',
        'О', 'Ө', 'П', 'Р', 'С', 'Т', 'У', 'Ұ', 'Ү', 'Ф', 'Х', 'Һ', 'Ц', 'Ч', 'Ш', 'Щ', 'Ы', 'І',
        'Э', 'Ю', 'Я',
    ];
    let mut out = String::new();
    let mut count = 0;
    while count < len {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (*seed >> 33) as usize;
        let c = if count > 0 && r.is_multiple_of(7) && !out.ends_with(' ') && count + 1 < len {
            ' '
        } else {
            LETTERS[r % LETTERS.len()]
        };
        out.push(c);
        count += 1;
    }
    out
}

/// The form's sample with its free text grown to about `target` characters, tables included.
fn grown(
    form: &qoltanba::FormTemplate,
    target: usize,
    seed: &mut u64,
) -> (serde_json::Value, usize) {
    use qoltanba::FieldType;
    let mut data = form.sample();
    let mut total = 0usize;
    for f in &form.fields {
        if total >= target {
            break;
        }
        match f.kind {
            FieldType::Text if !f.optional => {
                let n = f.max.min(target - total);
                data[&f.name] = words(seed, n.max(1)).into();
                total += n.max(1);
            }
            FieldType::Table { columns } => {
                let mut rows = Vec::new();
                while total < target && rows.len() < qoltanba::MAX_ROWS {
                    let cell = f.max.min(60).min((target - total) / columns + 1);
                    rows.push(serde_json::Value::Array(
                        (0..columns).map(|_| words(seed, cell).into()).collect(),
                    ));
                    total += cell * columns;
                }
                data[&f.name] = serde_json::Value::Array(rows);
            }
            _ => {}
        }
    }
    (data, total)
}

/// A reference whose table had 20 rows (the schema allowed 2 000) was issued with a seal longer than any verifier
/// accepts, and at 2 000 rows rendered for 20 s into a 60 MB PDF. Every form, filled with hard-to-compress text at
/// and beyond the data budget: what is issued verifies (seal, file, every field visible), what would not is refused
/// before a number is used.
#[test]
fn a_document_that_could_not_be_verified_is_never_issued() {
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let store = qoltanba::demo_trust_store().expect("store");
    let mut seed = 7u64;
    let mut issued = 0;
    for form in qoltanba::catalogue().expect("forms").values() {
        for (target, mode) in [
            (qoltanba::MAX_DATA_CHARS - 500, SealMode::Compact),
            (qoltanba::MAX_DATA_CHARS - 500, SealMode::Full),
            (qoltanba::MAX_DATA_CHARS + 2000, SealMode::Compact),
        ] {
            let (data, size) = grown(form, target, &mut seed);
            let sealing = Sealing {
                signer: &provider,
                mode,
            };
            match issue(&form.id, &data, "QLT-BIG-1", ISSUED, Some(sealing)) {
                Ok(doc) => {
                    assert!(
                        size <= qoltanba::MAX_DATA_CHARS,
                        "{}: {size} characters, over the budget, issued",
                        form.id
                    );
                    assert!(doc.pdf.len() <= qoltanba::MAX_ISSUED_PDF);
                    let r = qoltanba::verify_document(
                        common::trust(&store),
                        &doc.pdf,
                        &VerifyOptions::at(ISSUED),
                    )
                    .unwrap_or_else(|e| panic!("{} {mode:?}: issued but unreadable: {e}", form.id));
                    assert!(
                        r.seal.report.valid,
                        "{} {mode:?}: {:?}",
                        form.id, r.seal.report.messages
                    );
                    issued += 1;
                }
                Err(e) => assert!(
                    matches!(
                        e,
                        qoltanba::IssueError::TooLarge(_) | qoltanba::IssueError::Data { .. }
                    ),
                    "{}: {e}",
                    form.id
                ),
            }
        }
    }
    assert!(issued > 10, "most forms issue at their budget: {issued}");
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 6: the CLI's file limits were checked on the file's metadata length, so a pipe or /dev/zero was read
// without bound.
