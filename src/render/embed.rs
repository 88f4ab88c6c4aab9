//! Attaching the document's canonical data to the PDF as an embedded file (PDF 1.7 §7.11.4), by an incremental
//! update appended to printpdf's output: a verifier (or `pdfdetach`) reads back exactly the bytes that were
//! signed, without parsing the page text.

use thiserror::Error;

use super::scan::{find_from, number_after};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmbedError {
    #[error("PDF structure not as expected: {0}")]
    Structure(&'static str),
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// PDF literal string: parentheses and backslashes escaped.
fn literal(s: &str) -> String {
    let mut out = String::from("(");
    for c in s.chars() {
        if matches!(c, '(' | ')' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(')');
    out
}

/// A file to embed: its name, MIME type and bytes.
pub struct Attachment<'a> {
    pub name: &'a str,
    pub mime: &'a str,
    pub data: &'a [u8],
}

/// Appends the files as embedded files (in the given order) and returns the updated PDF.
pub fn attach(mut pdf: Vec<u8>, files: &[Attachment<'_>]) -> Result<Vec<u8>, EmbedError> {
    // The trailer is at the very end: only the last kilobyte is searched.
    let tail = pdf.len().saturating_sub(1024);
    let startxref = rfind(&pdf[tail..], b"startxref")
        .map(|p| p + tail)
        .ok_or(EmbedError::Structure("no startxref"))?;
    let prev: usize = std::str::from_utf8(&pdf[startxref + 9..])
        .ok()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or(EmbedError::Structure("bad startxref"))?;
    let trailer_at = rfind(&pdf[tail..startxref], b"trailer")
        .map(|p| p + tail)
        .ok_or(EmbedError::Structure("no trailer"))?;
    let trailer = String::from_utf8_lossy(&pdf[trailer_at..startxref]).into_owned();
    let size = number_after(&trailer, "/Size").ok_or(EmbedError::Structure("no /Size"))?;
    let root = number_after(&trailer, "/Root").ok_or(EmbedError::Structure("no /Root"))?;
    let info = number_after(&trailer, "/Info");
    let id = trailer.find("/ID").and_then(|i| {
        trailer[i..]
            .find(']')
            .map(|j| trailer[i..i + j + 1].to_string())
    });

    // The catalog, to be rewritten with a /Names entry. printpdf writes it among the last objects, so it is
    // looked for backwards from the cross-reference table.
    let header = format!("{root} 0 obj");
    let obj_at = rfind(
        &pdf[..prev.min(pdf.len())],
        format!("\n{header}").as_bytes(),
    )
    .map(|p| p + 1)
    .ok_or(EmbedError::Structure("catalog object not found"))?;
    let end =
        find_from(&pdf, obj_at, b"endobj").ok_or(EmbedError::Structure("catalog not closed"))?;
    let body = String::from_utf8_lossy(&pdf[obj_at + header.len()..end])
        .trim()
        .to_string();
    if !body.starts_with("<<") || !body.ends_with(">>") || body.contains("/Names") {
        return Err(EmbedError::Structure("unexpected catalog"));
    }

    let mut offsets: Vec<usize> = Vec::new();
    let mut specs = Vec::new();
    if !pdf.ends_with(b"\n") {
        pdf.push(b'\n');
    }
    for (i, file) in files.iter().enumerate() {
        let (file_obj, spec_obj) = (size + 2 * i, size + 2 * i + 1);
        offsets.push(pdf.len());
        pdf.extend_from_slice(
            format!(
                "{file_obj} 0 obj\n<</Type/EmbeddedFile/Subtype/{}/Length {}/Params<</Size {}>>>>\nstream\n",
                file.mime.replace('/', "#2F"),
                file.data.len(),
                file.data.len()
            )
            .as_bytes(),
        );
        pdf.extend_from_slice(file.data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        offsets.push(pdf.len());
        pdf.extend_from_slice(
            format!(
                "{spec_obj} 0 obj\n<</Type/Filespec/F {n}/UF {n}/AFRelationship/Data/EF<</F {file_obj} 0 R>>>>\nendobj\n",
                n = literal(file.name)
            )
            .as_bytes(),
        );
        specs.push((file.name, spec_obj));
    }
    // The name tree's keys must be sorted.
    specs.sort_by(|a, b| a.0.cmp(b.0));
    let tree_obj = size + 2 * files.len();
    offsets.push(pdf.len());
    let names: Vec<String> = specs
        .iter()
        .map(|(n, o)| format!("{} {o} 0 R", literal(n)))
        .collect();
    pdf.extend_from_slice(
        format!(
            "{tree_obj} 0 obj\n<</Names[{}]>>\nendobj\n",
            names.join(" ")
        )
        .as_bytes(),
    );
    let af: Vec<String> = specs.iter().map(|(_, o)| format!("{o} 0 R")).collect();
    let catalog_at = pdf.len();
    let catalog = format!(
        "{root} 0 obj\n{}/Names<</EmbeddedFiles {tree_obj} 0 R>>/AF[{}]>>\nendobj\n",
        &body[..body.len() - 2],
        af.join(" ")
    );
    pdf.extend_from_slice(catalog.as_bytes());

    let xref_at = pdf.len();
    let mut xref = format!(
        "xref\n{root} 1\n{catalog_at:010} 00000 n \n{size} {}\n",
        offsets.len()
    );
    for off in &offsets {
        xref.push_str(&format!("{off:010} 00000 n \n"));
    }
    let mut trailer = format!(
        "trailer\n<</Size {}/Root {root} 0 R/Prev {prev}",
        size + offsets.len()
    );
    if let Some(info) = info {
        trailer.push_str(&format!("/Info {info} 0 R"));
    }
    if let Some(id) = id {
        trailer.push_str(&id);
    }
    trailer.push_str(&format!(">>\nstartxref\n{xref_at}\n%%EOF\n"));
    pdf.extend_from_slice(xref.as_bytes());
    pdf.extend_from_slice(trailer.as_bytes());
    Ok(pdf)
}

/// Reads back an embedded file attached by [`attach`]: the stream of the EmbeddedFile named `name`.
pub fn embedded(pdf: &[u8], name: &str) -> Option<Vec<u8>> {
    let spec = find_from(pdf, 0, format!("/F {}", literal(name)).as_bytes())?;
    let ef = find_from(pdf, spec, b"/EF<</F ")? + 8;
    let obj: usize = std::str::from_utf8(&pdf[ef..ef + 12.min(pdf.len() - ef)])
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let header = format!("\n{obj} 0 obj\n<</Type/EmbeddedFile");
    let at = find_from(pdf, 0, header.as_bytes())?;
    let dict_end = find_from(pdf, at, b"stream\n")?;
    let dict = String::from_utf8_lossy(&pdf[at..dict_end]).into_owned();
    let len = number_after(&dict, "/Length")?;
    let start = dict_end + 7;
    pdf.get(start..start.checked_add(len)?).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_then_read_back() {
        let pdf = crate::render::render(
            &[crate::render::Block::Paragraph("мәтін".into())],
            &crate::render::PdfInfo {
                title: "t".into(),
                subject: "s".into(),
                keywords: vec![],
                issued_at: 0,
            },
        )
        .expect("render");
        let data = b"{\"a\":\"(b) \\ c\"}";
        let files = [
            Attachment {
                name: "x (1).json",
                mime: "application/json",
                data,
            },
            Attachment {
                name: "a.p7s",
                mime: "application/pkcs7-signature",
                data: b"\x30\x00",
            },
        ];
        let out = attach(pdf.clone(), &files).expect("attach");
        assert!(out.starts_with(&pdf), "an incremental update only appends");
        assert_eq!(embedded(&out, "x (1).json").as_deref(), Some(&data[..]));
        assert_eq!(embedded(&out, "a.p7s").as_deref(), Some(&b"\x30\x00"[..]));
        assert_eq!(embedded(&out, "other.json"), None);
        assert!(attach(b"not a pdf".to_vec(), &files).is_err());
    }
}
