//! Writing PDF: objects serialised, and an incremental update (ISO 32000-1 §7.5.6) appended to a file so the bytes
//! already written — and everything signed over them — stay exactly as they were.

use super::file::PdfFile;
use super::object::{is_delimiter, is_white, Dict, Object};
use super::PdfError;

/// Appends `object` in PDF syntax. Streams cannot be written inline (their data lives in the file): they are written
/// with [`IncrementalUpdate::add_stream`].
pub(crate) fn serialize(object: &Object, out: &mut Vec<u8>) {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => out.extend_from_slice(real(*r).as_bytes()),
        Object::Name(n) => name(n, out),
        Object::String(s) => string(s, out),
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                serialize(item, out);
            }
            out.push(b']');
        }
        Object::Dict(d) => dict(d, out),
        Object::Ref(n, g) => out.extend_from_slice(format!("{n} {g} R").as_bytes()),
        Object::Stream(s) => dict(&s.dict, out),
    }
}

/// A dictionary in PDF syntax.
pub(crate) fn dict(d: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (k, v) in &d.0 {
        name(k, out);
        if !matches!(
            v,
            Object::Name(_) | Object::String(_) | Object::Array(_) | Object::Dict(_)
        ) {
            out.push(b' ');
        }
        serialize(v, out);
    }
    out.extend_from_slice(b">>");
}

/// A real without an exponent (PDF has none), at most six decimals.
fn real(r: f64) -> String {
    if !r.is_finite() {
        return "0".into();
    }
    let s = format!("{r:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn name(n: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in n {
        if b == b'#' || is_white(b) || is_delimiter(b) || !(0x21..=0x7e).contains(&b) {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
}

/// A literal string for printable ASCII, a hexadecimal one otherwise.
pub(crate) fn string(s: &[u8], out: &mut Vec<u8>) {
    if s.iter().all(|b| (0x20..=0x7e).contains(b)) {
        out.push(b'(');
        for &b in s {
            if matches!(b, b'(' | b')' | b'\\') {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b')');
    } else {
        out.push(b'<');
        for b in s {
            out.extend_from_slice(format!("{b:02X}").as_bytes());
        }
        out.push(b'>');
    }
}

/// A whole PDF of `objects`, each the body of one object (what stands between `N 0 obj` and `endobj`), numbered
/// from 1, the first being the catalog; with its cross-reference table and trailer.
pub fn file_of(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// New and changed objects to append after a file, with their cross-reference section and trailer.
pub struct IncrementalUpdate<'a> {
    base: &'a [u8],
    previous_xref: usize,
    next_number: u32,
    trailer: Dict,
    objects: Vec<(u32, Vec<u8>)>,
}

impl<'a> IncrementalUpdate<'a> {
    /// An update to `file` (its newest revision).
    pub fn new(file: &PdfFile<'a>) -> Result<Self, PdfError> {
        let size = file
            .trailer()
            .get(b"Size")
            .and_then(Object::as_int)
            .and_then(|s| u32::try_from(s).ok())
            .ok_or_else(|| PdfError::Structure("trailer without /Size".into()))?;
        let previous_xref = file
            .revisions()
            .last()
            .map(|r| r.xref_offset)
            .ok_or_else(|| PdfError::Structure("no revision".into()))?;
        let mut trailer = Dict::default();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Some(v) = file.trailer().get(key) {
                trailer.set(key, v.clone());
            }
        }
        Ok(IncrementalUpdate {
            base: file.data(),
            previous_xref,
            next_number: size,
            trailer,
            objects: Vec::new(),
        })
    }

    /// The number the next added object will get.
    pub fn next_number(&self) -> u32 {
        self.next_number
    }

    /// Adds a new object whose body (what stands between `N 0 obj` and `endobj`) is `body`; returns its number.
    pub fn add(&mut self, body: Vec<u8>) -> u32 {
        let n = self.next_number;
        self.next_number += 1;
        self.objects.push((n, body));
        n
    }

    /// Adds a dictionary object.
    pub fn add_dict(&mut self, d: &Dict) -> u32 {
        let mut body = Vec::new();
        dict(d, &mut body);
        self.add(body)
    }

    /// Adds a stream with `extra` dictionary entries (its /Length is set here).
    pub fn add_stream(&mut self, extra: &Dict, data: &[u8]) -> u32 {
        let mut d = extra.clone();
        d.set(b"Length", Object::Int(data.len() as i64));
        let mut body = Vec::new();
        dict(&d, &mut body);
        body.extend_from_slice(b"\nstream\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.add(body)
    }

    /// Writes a new version of object `number`.
    pub fn replace_dict(&mut self, number: u32, d: &Dict) {
        let mut body = Vec::new();
        dict(d, &mut body);
        self.objects.push((number, body));
    }

    /// The whole file: the base, the objects, the cross-reference section and the trailer. Also returns where each
    /// object's body starts, to find placeholders in it.
    pub fn finish(self) -> (Vec<u8>, Vec<(u32, usize)>) {
        let mut out = self.base.to_vec();
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        let mut offsets: Vec<(u32, usize)> = Vec::new();
        let mut bodies = Vec::new();
        for (n, body) in &self.objects {
            offsets.push((*n, out.len()));
            out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
            bodies.push((*n, out.len()));
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        offsets.sort_unstable();
        let xref_at = out.len();
        out.extend_from_slice(b"xref\n");
        // Consecutive numbers form one subsection.
        let mut i = 0;
        while i < offsets.len() {
            let mut j = i + 1;
            while j < offsets.len() && offsets[j].0 == offsets[j - 1].0 + 1 {
                j += 1;
            }
            out.extend_from_slice(format!("{} {}\n", offsets[i].0, j - i).as_bytes());
            for (_, off) in &offsets[i..j] {
                out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
            }
            i = j;
        }
        let mut trailer = self.trailer;
        trailer.set(b"Size", Object::Int(i64::from(self.next_number)));
        trailer.set(b"Prev", Object::Int(self.previous_xref as i64));
        out.extend_from_slice(b"trailer\n");
        dict(&trailer, &mut out);
        out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        (out, bodies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::Cancel;
    use crate::pdf::file::Budget;
    use crate::pdf::object::{parse_object, Lexer};

    #[test]
    fn objects_round_trip() {
        let text =
            "<</Type/Annot/Rect[0 0 0.5 -1.25]/T(a\\(b\\))/N<FF00>/K/A#20B/V 3 0 R/B true/Z null>>";
        let o = parse_object(&mut Lexer::new(text.as_bytes(), 0), 0).unwrap();
        let mut out = Vec::new();
        serialize(&o, &mut out);
        let back = parse_object(&mut Lexer::new(&out, 0), 0).unwrap();
        assert_eq!(o, back);
    }

    #[test]
    fn an_update_appends_and_reads_back() {
        let base = crate::pdf::file::tests_support::tiny_pdf("BT ET");
        let file = PdfFile::open(&base, Budget::for_verification(Cancel::never())).unwrap();
        let mut update = IncrementalUpdate::new(&file).unwrap();
        let n = update.add_dict(&Dict(vec![(
            b"Type".to_vec(),
            Object::Name(b"Test".to_vec()),
        )]));
        let mut page = file.pages().unwrap()[0].dict.clone();
        page.set(b"Annots", Object::Array(vec![Object::Ref(n, 0)]));
        update.replace_dict(3, &page);
        let (out, _) = update.finish();
        assert!(out.starts_with(&base));
        let file = PdfFile::open(&out, Budget::for_verification(Cancel::never())).unwrap();
        assert_eq!(file.revisions().len(), 2);
        assert_eq!(file.revisions()[0].end, base.len());
        let mut defined = file.revisions()[1].objects.clone();
        defined.sort_unstable();
        assert_eq!(defined, vec![3, n]);
        let page = &file.pages().unwrap()[0];
        assert!(page.dict.get(b"Annots").is_some());
        assert!(file
            .get(n)
            .unwrap()
            .as_dict()
            .unwrap()
            .has_name(b"Type", b"Test"));
    }
}
