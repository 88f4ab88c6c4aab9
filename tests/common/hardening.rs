//! Helpers the hermetic and oracle halves share for hardening.

use qoltanba::Object;
use qoltanba::SealMode;
use qoltanba::VerifyOptions;
use qoltanba::{issue, Sealing};

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
