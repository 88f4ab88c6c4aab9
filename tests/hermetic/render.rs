//! The PDF renderer with independent readers (Debian package `poppler-utils`: pdftotext, pdffonts, pdftoppm):
//! real text with Kazakh letters, the font embedded and subset, several pages, deterministic bytes.

use crate::common::render::{info, sample_blocks};
use qoltanba::render;

/// Writes the sample for a look (`QOLTANBA_RENDER_SAMPLE=/path.pdf cargo test --test render sample -- --ignored`).
#[test]
#[ignore]
fn sample() {
    let path = std::env::var("QOLTANBA_RENDER_SAMPLE")
        .unwrap_or_else(|_| "/tmp/qoltanba-sample.pdf".into());
    std::fs::write(path, render(&sample_blocks(2), &info()).expect("render")).expect("write");
}

#[test]
fn same_input_same_bytes() {
    let a = render(&sample_blocks(3), &info()).expect("render");
    let b = render(&sample_blocks(3), &info()).expect("render");
    assert!(a == b, "rendering is deterministic");
    let mut later = info();
    later.issued_at = later.issued_at.plus_secs(1);
    assert!(a != render(&sample_blocks(3), &later).expect("render"));
}
