//! Verifying a document: the seal's QR symbols found in the PDF and decoded, the seal verified, then its signed
//! content compared with the PDF's embedded data and its visible text (`DOCUMENT_MISMATCH` when they differ).

use serde::Serialize;

use super::{verify_seal, SealError, SealReport};
use crate::pki::{Code, Findings, TrustStore, VerifyOptions};
use crate::render::scan::{find_from as find, number_after};

/// Largest PDF accepted, and the most image data inflated from it.
pub const MAX_PDF: usize = 64 * 1024 * 1024;
const MAX_IMAGE: usize = 16 * 1024 * 1024;

/// Grayscale 8-bit image XObjects of the PDF (how Qoltanba prints QR symbols): (width, height, pixels).
pub fn grayscale_images(pdf: &[u8]) -> Vec<(usize, usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find(pdf, from, b"/Subtype/Image") {
        from = at + 1;
        let Some(dict_start) = pdf[..at].windows(2).rposition(|w| w == b"<<") else {
            continue;
        };
        let Some(dict_end) = find(pdf, at, b">>") else {
            continue;
        };
        let dict = String::from_utf8_lossy(&pdf[dict_start..dict_end]).into_owned();
        if !dict.contains("/DeviceGray") || number_after(&dict, "/BitsPerComponent") != Some(8) {
            continue;
        }
        let (Some(w), Some(h), Some(len)) = (
            number_after(&dict, "/Width"),
            number_after(&dict, "/Height"),
            number_after(&dict, "/Length"),
        ) else {
            continue;
        };
        let Some(stream) = find(pdf, dict_end, b"stream") else {
            continue;
        };
        let mut start = stream + 6;
        if pdf.get(start) == Some(&b'\r') {
            start += 1;
        }
        if pdf.get(start) == Some(&b'\n') {
            start += 1;
        }
        let Some(data) = pdf.get(start..start.saturating_add(len)) else {
            continue;
        };
        let pixels = if dict.contains("/FlateDecode") {
            match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, MAX_IMAGE) {
                Ok(p) => p,
                Err(_) => continue,
            }
        } else {
            data.to_vec()
        };
        if w.checked_mul(h) == Some(pixels.len()) && w > 0 {
            out.push((w, h, pixels));
        }
    }
    out
}

/// QR texts decoded (rqrr) from the PDF's grayscale images, each enlarged so modules are several pixels wide.
pub fn qr_texts(pdf: &[u8]) -> Vec<String> {
    const SCALE: usize = 4;
    let mut texts = Vec::new();
    for (w, h, pixels) in grayscale_images(pdf) {
        if w > 1000 || h > 1000 {
            continue;
        }
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w * SCALE, h * SCALE, |x, y| {
            pixels[(y / SCALE) * w + x / SCALE]
        });
        for grid in img.detect_grids() {
            if let Ok((_, text)) = grid.decode() {
                texts.push(text);
            }
        }
    }
    texts
}

/// The verification of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReport {
    #[serde(flatten)]
    pub seal: SealReport,
    /// QR symbols found in the PDF.
    pub symbols: usize,
}

/// Verifies a PDF issued by Qoltanba: its seal, and that the seal's content is what the document holds and shows.
pub fn verify_document(
    store: &TrustStore,
    pdf: &[u8],
    opts: &VerifyOptions,
) -> Result<DocumentReport, SealError> {
    if pdf.len() > MAX_PDF {
        return Err(SealError::TooLong);
    }
    if !pdf.starts_with(b"%PDF-") {
        return Err(SealError::Structure("not a PDF"));
    }
    let texts = qr_texts(pdf);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut report = verify_seal(store, &refs, opts)?;
    let mut f = Findings::default();
    f.absorb(&report.report);
    if let Some(content) = &report.content {
        match crate::render::embedded(pdf, crate::forms::DATA_FILE_NAME) {
            Some(data) if data == content.data.as_bytes() => {}
            Some(_) => f.add(
                Code::DocumentMismatch,
                "the document's embedded data differs from what its seal signs",
            ),
            None => f.add(
                Code::DocumentMismatch,
                "the document holds no embedded data to compare with its seal",
            ),
        }
        check_visible_text(pdf, &content.data, &content.number, &mut f);
    }
    let subject = report.report.subject.clone();
    let chain = report.report.chain.clone();
    let time = report.report.validation_time.clone();
    let checked = report.report.revocation_checked;
    report.report = f.into_report(subject, chain, time, checked);
    Ok(DocumentReport {
        seal: report,
        symbols: texts.len(),
    })
}

/// Every signed value must be printed: the page text (as printpdf extracts it) must contain each field's words.
fn check_visible_text(pdf: &[u8], data: &str, number: &str, f: &mut Findings) {
    let Ok(doc) =
        printpdf::PdfDocument::parse(pdf, &printpdf::PdfParseOptions::default(), &mut Vec::new())
    else {
        f.add(
            Code::DocumentMismatch,
            "the document's pages cannot be read to compare with its seal",
        );
        return;
    };
    let text: String = doc
        .extract_text()
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let compact: String = text.split_whitespace().collect();
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(data)
    else {
        f.add(
            Code::DocumentMismatch,
            "the seal's data is not a JSON object",
        );
        return;
    };
    let mut values: Vec<String> = vec![number.to_string()];
    for (_, v) in fields {
        match v {
            serde_json::Value::String(s) => values.push(s),
            serde_json::Value::Array(rows) => values.extend(
                rows.iter()
                    .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                    .filter_map(|c| c.as_str().map(str::to_string)),
            ),
            _ => {}
        }
    }
    for v in values {
        let needle: String = v.split_whitespace().collect();
        if !needle.is_empty() && !compact.contains(&needle) {
            f.add(
                Code::DocumentMismatch,
                format!("the document does not show the signed value \"{v}\""),
            );
        }
    }
}
