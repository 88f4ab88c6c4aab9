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
    /// The signed content beside what the document holds and shows, field by field (empty when the seal could
    /// not be read), so a person sees *which* value was altered, not only that one was.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldComparison>,
}

/// One signed value compared with the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldComparison {
    /// The field's name in the data (`number` for the document number).
    pub name: String,
    /// The signed value as text (a table's rows on their own lines, cells joined by ` | `).
    pub signed: String,
    /// The document's embedded value when it differs from the signed one (`None`: equal, or the document holds
    /// no such field and `embeddedMissing` says so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded: Option<String>,
    /// The document's embedded data lacks this field.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub embedded_missing: bool,
    /// Whether the page text shows the signed value.
    pub printed: bool,
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
    let mut fields = Vec::new();
    if let Some(content) = &report.content {
        let embedded = crate::render::embedded(pdf, crate::forms::DATA_FILE_NAME);
        match &embedded {
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
        fields = compare_fields(pdf, content, embedded.as_deref(), &mut f);
    }
    let subject = report.report.subject.clone();
    let chain = report.report.chain.clone();
    let time = report.report.validation_time.clone();
    let checked = report.report.revocation_checked;
    report.report = f.into_report(subject, chain, time, checked);
    Ok(DocumentReport {
        seal: report,
        symbols: texts.len(),
        fields,
    })
}

/// A field's value as a person reads it, and the pieces of text the page must show for it.
fn display(value: &serde_json::Value) -> (String, Vec<String>) {
    match value {
        serde_json::Value::String(s) => (s.clone(), vec![s.clone()]),
        serde_json::Value::Array(rows) => {
            let cells = |r: &serde_json::Value| -> Vec<String> {
                match r {
                    serde_json::Value::Array(cells) => cells
                        .iter()
                        .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                        .collect(),
                    other => vec![other
                        .as_str()
                        .map_or_else(|| other.to_string(), str::to_string)],
                }
            };
            let lines: Vec<String> = rows.iter().map(|r| cells(r).join(" | ")).collect();
            (lines.join("\n"), rows.iter().flat_map(cells).collect())
        }
        // Numbers and the like are not printed by any form; they are compared as embedded data only.
        other => (other.to_string(), Vec::new()),
    }
}

/// Every signed value must be in the embedded data and printed: the page text (as printpdf extracts it) must
/// contain each field's words.
fn compare_fields(
    pdf: &[u8],
    content: &super::SealContent,
    embedded: Option<&[u8]>,
    f: &mut Findings,
) -> Vec<FieldComparison> {
    let Ok(serde_json::Value::Object(signed)) =
        serde_json::from_str::<serde_json::Value>(&content.data)
    else {
        f.add(
            Code::DocumentMismatch,
            "the seal's data is not a JSON object",
        );
        return Vec::new();
    };
    let embedded: Option<serde_json::Map<String, serde_json::Value>> = embedded
        .and_then(|e| serde_json::from_slice::<serde_json::Value>(e).ok())
        .and_then(|v| match v {
            serde_json::Value::Object(m) => Some(m),
            _ => None,
        });
    let page = page_text(pdf);
    if page.is_none() {
        f.add(
            Code::DocumentMismatch,
            "the document's pages cannot be read to compare with its seal",
        );
    }
    let printed = |pieces: &[String]| -> bool {
        let Some(page) = &page else { return false };
        pieces.iter().all(|p| {
            let needle: String = p.split_whitespace().collect();
            needle.is_empty() || page.contains(&needle)
        })
    };
    let mut out = Vec::with_capacity(signed.len() + 1);
    let number = content.number.clone();
    out.push(FieldComparison {
        name: "number".into(),
        printed: printed(std::slice::from_ref(&number)),
        signed: number,
        embedded: None,
        embedded_missing: false,
    });
    for (name, value) in &signed {
        let (text, pieces) = display(value);
        let (embedded_text, embedded_missing) = match embedded.as_ref().map(|m| m.get(name)) {
            Some(Some(v)) if v == value => (None, false),
            Some(Some(v)) => (Some(display(v).0), false),
            Some(None) => (None, true),
            None => (None, false),
        };
        out.push(FieldComparison {
            name: name.clone(),
            printed: printed(&pieces),
            signed: text,
            embedded: embedded_text,
            embedded_missing,
        });
    }
    if page.is_some() {
        for c in out.iter().filter(|c| !c.printed) {
            f.add(
                Code::DocumentMismatch,
                format!(
                    "the document does not show the signed value \"{}\"",
                    c.signed
                ),
            );
        }
    }
    out
}

/// The pages' text with all white space removed (how values are searched for), or `None` when the pages cannot
/// be parsed.
fn page_text(pdf: &[u8]) -> Option<String> {
    let doc =
        printpdf::PdfDocument::parse(pdf, &printpdf::PdfParseOptions::default(), &mut Vec::new())
            .ok()?;
    let text: String = doc
        .extract_text()
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Some(text.split_whitespace().collect())
}
