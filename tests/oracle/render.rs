//! The PDF renderer with independent readers (Debian package `poppler-utils`: pdftotext, pdffonts, pdftoppm):
//! real text with Kazakh letters, the font embedded and subset, several pages, deterministic bytes.

use crate::common;
use crate::common::render::{info, sample_blocks};
use qoltanba::render;
use std::process::Command;

const KAZAKH: &str = "ӘәҒғҚқҢңӨөҰұҮүҺһІі";

fn tool(args: &[&str], pdf: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run poppler tool");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn text_extracts_with_kazakh_letters_and_font_is_embedded() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdftotext", "poppler-utils");
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = render(&sample_blocks(1), &info()).expect("render");
    let path = dir.path().join("a.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let (ok, text, err) = tool(&["pdftotext", "-enc", "UTF-8"], &path);
    assert!(ok, "{err}");
    for expected in [
        KAZAKH,
        "АНЫҚТАМА",
        "СМИРНОВ ВИТАЛИ",
        "(тегі, аты, әкесінің аты)",
        "01-011-022-333",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // pdftotext closes up the spaces around the slash of the page number.
    assert!(text.replace(' ', "").contains("1/1"), "page number");
    let out = Command::new("pdffonts")
        .arg(&path)
        .output()
        .expect("pdffonts");
    let fonts = String::from_utf8_lossy(&out.stdout);
    assert!(fonts.contains("DejaVuSans"), "{fonts}");
    for line in fonts.lines().skip(2) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // name type encoding emb sub uni ...: embedded and subset, with a ToUnicode map.
        assert!(
            line.contains(" yes yes yes "),
            "font not embedded+subset+unicode: {line}"
        );
        assert!(cols[0].contains('+'), "subset prefix expected: {line}");
    }
    assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
}

#[test]
fn long_content_breaks_into_numbered_pages_and_renders_cleanly() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdftoppm", "poppler-utils");
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = render(&sample_blocks(60), &info()).expect("render");
    let path = dir.path().join("long.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let (_, text, _) = tool(&["pdftotext", "-enc", "UTF-8"], &path);
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 3, "expected several pages, got {pages}");
    let compact = text.replace(' ', "");
    assert!(
        compact.contains(&format!("1/{pages}")) && compact.contains(&format!("{pages}/{pages}")),
        "page numbers"
    );
    let out = Command::new("pdftoppm")
        .args(["-r", "40", "-png"])
        .arg(&path)
        .arg(dir.path().join("p"))
        .output()
        .expect("pdftoppm");
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "pdftoppm warnings: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
