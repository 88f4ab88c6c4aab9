//! Helpers the hermetic and oracle halves share for hardening.

use qoltanba::SealMode;
use qoltanba::VerifyOptions;
use qoltanba::{issue, Sealing};
use qoltanba::{Budget, Dict, IncrementalUpdate, Object, PdfFile};

const ISSUED: i64 = 1_795_428_000; // 2026-11-23T10:00:00Z

pub fn name(s: &str) -> Object {
    Object::Name(s.as_bytes().to_vec())
}

/// A genuine licence issued by the demo provider, with where its licensee's name is printed (x, y of the baseline,
/// font size) and the name.
pub fn licence() -> (Vec<u8>, (f32, f32, f32), String) {
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let form = "licence.private-bailiff";
    let t = qoltanba::form(form).expect("form");
    let sample = t.sample();
    let doc = issue(
        form,
        &sample,
        "licence.private-bailiff-2026-000007",
        ISSUED,
        Some(Sealing {
            signer: &provider,
            mode: SealMode::Compact,
        }),
    )
    .expect("issue");
    let licensee = sample["licensee"].as_str().expect("licensee").to_string();
    // The same layout the renderer made: find the line that prints the name.
    let fonts = qoltanba::Fonts::get().expect("fonts");
    let data = t.validate(&sample, |c| fonts.covers(c)).expect("data");
    let mut layouter = qoltanba::Layouter::new(fonts);
    for b in t.blocks(
        &data.with_document("licence.private-bailiff-2026-000007", "23.11.2026"),
        &doc.seal,
    ) {
        layouter.add(&b);
    }
    let at = layouter.finish()[0]
        .items
        .iter()
        .find_map(|i| match i {
            qoltanba::Item::Text {
                x, y, size, text, ..
            } if text.contains(&licensee) => Some((*x, *y, *size)),
            _ => None,
        })
        .expect("the licensee's line");
    (doc.pdf, at, licensee)
}

pub fn verify(pdf: &[u8]) -> qoltanba::DocumentReport {
    let store = qoltanba::demo_trust_store().expect("store");
    qoltanba::verify_document(super::trust(&store), pdf, &VerifyOptions::at(ISSUED))
        .expect("a report")
}

/// An incremental update that draws `content` over page 1, with Helvetica as `/QF1` for any text it writes.
pub fn overlay(pdf: &[u8], content: &str) -> Vec<u8> {
    let file =
        PdfFile::open(pdf, Budget::for_verification(qoltanba::Cancel::never())).expect("open");
    let page = file.pages().expect("pages").remove(0);
    let mut update = IncrementalUpdate::new(&file).expect("update");
    let font = update.add_dict(&Dict(vec![
        (b"Type".to_vec(), name("Font")),
        (b"Subtype".to_vec(), name("Type1")),
        (b"BaseFont".to_vec(), name("Helvetica")),
    ]));
    let stream = update.add_stream(&Dict::default(), content.as_bytes());
    let mut resources = page.resources.clone();
    let mut fonts = file
        .dict_in(&page.resources, b"Font")
        .expect("fonts")
        .unwrap_or_default();
    fonts.set(b"QF1", Object::Ref(font, 0));
    resources.set(b"Font", Object::Dict(fonts));
    let mut dict = page.dict.clone();
    let old = dict.get(b"Contents").cloned().expect("contents");
    dict.set(
        b"Contents",
        Object::Array(vec![old, Object::Ref(stream, 0)]),
    );
    dict.set(b"Resources", Object::Dict(resources));
    update.replace_dict(page.object, &dict);
    update.finish().0
}
