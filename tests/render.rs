//! The PDF renderer with independent readers (Debian package `poppler-utils`: pdftotext, pdffonts, pdftoppm):
//! real text with Kazakh letters, the font embedded and subset, several pages, deterministic bytes.

mod common;

use std::process::Command;

use qoltanba::render::{render, Block, PdfInfo};

const KAZAKH: &str = "ӘәҒғҚқҢңӨөҰұҮүҺһІі";

fn info() -> PdfInfo {
    PdfInfo {
        title: "QLT-2026-000001 reference.birth".into(),
        subject: "reference.birth".into(),
        keywords: vec!["QLT-2026-000001".into(), "reference.birth".into()],
        issued_at: 1_795_000_000,
    }
}

fn sample_blocks(paragraphs: usize) -> Vec<Block> {
    let mut blocks = vec![
        Block::Header("Қазақстан Республикасы Әділет министрлігінің Тіркеу қызметі және құқықтық көмек көрсету комитеті".into()),
        Block::Title("АНЫҚТАМА".into()),
        Block::Paragraph(format!("Барлық қазақ әріптері: {KAZAKH}. Справка дана по месту требования.")),
        Block::Field {
            label: "Әкесі:".into(),
            value: "СМИРНОВ ВИТАЛИ".into(),
            caption: Some("(тегі, аты, әкесінің аты)".into()),
        },
        Block::Table {
            columns: vec!["№".into(), "Кадастрлық нөмірі".into(), "Мекенжайы".into()],
            widths: vec![1.0, 3.0, 6.0],
            rows: vec![vec!["1".into(), "01-011-022-333".into(), "Астана қ., Сарыарқа ауданы".into()]],
        },
    ];
    for i in 0..paragraphs {
        blocks.push(Block::Paragraph(format!("{i}. Ұзақ мәтін жолдарды бөлуді тексереді — Длинный текст проверяет перенос строк. ").repeat(6)));
    }
    blocks.push(Block::Seal {
        size: 100.0,
        caption: vec!["*штрих-код ЖМТ МДҚ ақпараттық жүйесінен алынған".into()],
        codes: Vec::new(),
    });
    blocks
}

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
    if !common::require_tool("pdftotext", "poppler-utils") {
        return;
    }
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
    if !common::require_tool("pdftoppm", "poppler-utils") {
        return;
    }
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
    later.issued_at += 1;
    assert!(a != render(&sample_blocks(3), &later).expect("render"));
}
