//! The file: its cross-reference tables (every revision), objects parsed on demand, streams inflated within a
//! budget, and the page tree.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::object::{parse_object, Dict, Lexer, Object, Stream, Token};
use super::PdfError;
use crate::cancel::Cancel;

/// Most revisions (the original and its incremental updates) read: Qoltanba writes two.
pub(super) const MAX_REVISIONS: usize = 16;
/// Most cross-reference entries over all revisions: Qoltanba's documents have a few dozen objects.
pub(super) const MAX_XREF_ENTRIES: usize = 200_000;
/// Most pages read: the document budget allows fewer.
pub(super) const MAX_PAGES: usize = 64;
/// Deepest page tree accepted.
const MAX_PAGE_TREE_DEPTH: usize = 16;
/// Deepest chain of references followed to reach a value (a Length that is a reference to a reference...).
const MAX_REF_CHAIN: usize = 8;

/// What one file may cost to read. Every count is charged as the work happens; the first one exhausted stops the
/// reading with [`PdfError::Limit`].
#[derive(Debug, Clone)]
pub struct Budget {
    /// Objects parsed (each object once: results are cached).
    pub objects: usize,
    /// Bytes inflated from all streams together.
    pub inflated: usize,
    /// Content-stream tokens interpreted, over all pages.
    pub operators: usize,
    /// Set by the caller to stop the work.
    pub cancel: Cancel,
}

impl Budget {
    /// Enough for any document Qoltanba issues, many times over, and bounded for anything else: about a second of
    /// work and some tens of megabytes at most.
    pub fn for_verification(cancel: Cancel) -> Budget {
        Budget {
            objects: 20_000,
            inflated: 32 * 1024 * 1024,
            operators: 2_000_000,
            cancel,
        }
    }
}

/// One revision: the original file or an incremental update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Where its cross-reference table starts.
    pub xref_offset: usize,
    /// The byte after its `%%EOF` line: the file as it was when this revision was written ends here.
    pub end: usize,
    /// The object numbers its cross-reference table defines (in use).
    pub objects: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
enum Entry {
    InUse { offset: usize, generation: u16 },
    Free,
}

/// A page with its inherited attributes resolved.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page object's number.
    pub object: u32,
    /// The page's dictionary.
    pub dict: Dict,
    /// Its resources, inherited ones included.
    pub resources: Dict,
    /// Left, bottom, right, top.
    pub media_box: [f64; 4],
}

/// An opened PDF file.
pub struct PdfFile<'a> {
    data: &'a [u8],
    xref: HashMap<u32, Entry>,
    trailer: Dict,
    revisions: Vec<Revision>,
    cache: RefCell<HashMap<u32, Rc<Object>>>,
    objects_left: Cell<usize>,
    inflated_left: Cell<usize>,
    pub(crate) operators_left: Cell<usize>,
    cancel: Cancel,
    resolving: Cell<usize>,
}

fn structure(what: impl Into<String>) -> PdfError {
    PdfError::Structure(what.into())
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

impl<'a> PdfFile<'a> {
    /// Reads the header, every revision's cross-reference table and trailer (newest first, following `/Prev`).
    pub fn open(data: &'a [u8], budget: Budget) -> Result<PdfFile<'a>, PdfError> {
        if !data.starts_with(b"%PDF-") {
            return Err(PdfError::NotPdf("it does not start with %PDF-"));
        }
        let mut file = PdfFile {
            data,
            xref: HashMap::new(),
            trailer: Dict::default(),
            revisions: Vec::new(),
            cache: RefCell::new(HashMap::new()),
            objects_left: Cell::new(budget.objects),
            inflated_left: Cell::new(budget.inflated),
            operators_left: Cell::new(budget.operators),
            cancel: budget.cancel,
            resolving: Cell::new(0),
        };
        // The trailer's startxref is at the very end: only the last kilobyte is searched.
        let tail = data.len().saturating_sub(1024);
        let at = rfind(&data[tail..], b"startxref")
            .map(|p| p + tail)
            .ok_or(PdfError::NotPdf("no startxref at its end"))?;
        let mut lexer = Lexer::new(data, at + 9);
        let mut offset = match lexer.next_token()? {
            Some(Token::Int(o)) if o >= 0 => o as usize,
            _ => return Err(structure("startxref is not followed by an offset")),
        };
        let mut seen = HashSet::new();
        let mut entries = 0usize;
        loop {
            if !seen.insert(offset) {
                return Err(structure("the cross-reference tables form a loop"));
            }
            if file.revisions.len() >= MAX_REVISIONS {
                return Err(PdfError::Limit("too many revisions"));
            }
            let (revision, trailer) = file.read_section(offset, &mut entries)?;
            if file.revisions.is_empty() {
                file.trailer = trailer.clone();
            }
            file.revisions.push(revision);
            match trailer.get(b"Prev") {
                None => break,
                Some(Object::Int(p)) if *p >= 0 => offset = *p as usize,
                Some(_) => return Err(structure("trailer /Prev is not an offset")),
            }
        }
        file.revisions.reverse();
        Ok(file)
    }

    /// One cross-reference section and its trailer; entries not yet known (newer sections win) are recorded.
    fn read_section(
        &mut self,
        offset: usize,
        entries: &mut usize,
    ) -> Result<(Revision, Dict), PdfError> {
        if offset >= self.data.len() {
            return Err(structure("a cross-reference offset points past the end"));
        }
        let mut lexer = Lexer::new(self.data, offset);
        match lexer.next_token()? {
            Some(Token::Keyword(k)) if k == b"xref" => {}
            Some(Token::Int(_)) => {
                return Err(PdfError::Unsupported(
                    "cross-reference streams (PDF 1.5 compressed structure)",
                ))
            }
            _ => return Err(structure("no cross-reference table where startxref points")),
        }
        let mut defined = Vec::new();
        loop {
            let token = lexer.next_token()?;
            let start = match token {
                Some(Token::Int(s)) if s >= 0 => s,
                Some(Token::Keyword(k)) if k == b"trailer" => break,
                _ => return Err(structure("bad cross-reference subsection")),
            };
            let count = match lexer.next_token()? {
                Some(Token::Int(c)) if c >= 0 => c as usize,
                _ => return Err(structure("bad cross-reference subsection count")),
            };
            *entries = entries.saturating_add(count);
            if *entries > MAX_XREF_ENTRIES {
                return Err(PdfError::Limit("too many cross-reference entries"));
            }
            for i in 0..count {
                self.cancel.check().map_err(|_| PdfError::Cancelled)?;
                let (Some(Token::Int(off)), Some(Token::Int(gen)), Some(Token::Keyword(kind))) = (
                    lexer.next_token()?,
                    lexer.next_token()?,
                    lexer.next_token()?,
                ) else {
                    return Err(structure("bad cross-reference entry"));
                };
                let number = u32::try_from(start as u64 + i as u64)
                    .map_err(|_| structure("object number out of range"))?;
                let entry = match kind.as_slice() {
                    b"n" => Entry::InUse {
                        offset: usize::try_from(off)
                            .map_err(|_| structure("negative object offset"))?,
                        generation: u16::try_from(gen)
                            .map_err(|_| structure("bad generation number"))?,
                    },
                    b"f" => Entry::Free,
                    _ => return Err(structure("bad cross-reference entry kind")),
                };
                if matches!(entry, Entry::InUse { .. }) {
                    defined.push(number);
                }
                self.xref.entry(number).or_insert(entry);
            }
        }
        let trailer = match parse_object(&mut lexer, 0)? {
            Object::Dict(d) => d,
            _ => return Err(structure("the trailer is not a dictionary")),
        };
        if trailer.get(b"XRefStm").is_some() {
            return Err(PdfError::Unsupported("hybrid cross-reference streams"));
        }
        if trailer.get(b"Encrypt").is_some() {
            return Err(PdfError::Unsupported("encryption"));
        }
        // `startxref N %%EOF` closes the revision.
        let mut end = lexer.pos();
        if let Some(Token::Keyword(k)) = lexer.next_token()? {
            if k == b"startxref" {
                lexer.next_token()?;
                let mut p = lexer.pos();
                while self
                    .data
                    .get(p)
                    .is_some_and(|b| super::object::is_white(*b))
                {
                    p += 1;
                }
                if self.data[p..].starts_with(b"%%EOF") {
                    p += 5;
                    if self.data.get(p) == Some(&b'\r') {
                        p += 1;
                    }
                    if self.data.get(p) == Some(&b'\n') {
                        p += 1;
                    }
                }
                end = p;
            }
        }
        Ok((
            Revision {
                xref_offset: offset,
                end,
                objects: defined,
            },
            trailer,
        ))
    }

    /// The file's bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The newest trailer.
    pub fn trailer(&self) -> &Dict {
        &self.trailer
    }

    /// The revisions, oldest first.
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// Where object `number` starts, if it is in use.
    pub fn offset_of(&self, number: u32) -> Option<usize> {
        match self.xref.get(&number) {
            Some(Entry::InUse { offset, .. }) => Some(*offset),
            _ => None,
        }
    }

    fn charge_object(&self) -> Result<(), PdfError> {
        self.cancel.check().map_err(|_| PdfError::Cancelled)?;
        let left = self.objects_left.get();
        if left == 0 {
            return Err(PdfError::Limit("too many objects"));
        }
        self.objects_left.set(left - 1);
        Ok(())
    }

    pub(crate) fn charge_operators(&self, n: usize) -> Result<(), PdfError> {
        let left = self.operators_left.get();
        if left < n {
            return Err(PdfError::Limit("page content too long"));
        }
        self.operators_left.set(left - n);
        if left % 4096 < n {
            self.cancel.check().map_err(|_| PdfError::Cancelled)?;
        }
        Ok(())
    }

    /// Object `number` (cached; a free or missing object is `null`, as the standard says).
    pub fn get(&self, number: u32) -> Result<Rc<Object>, PdfError> {
        if let Some(o) = self.cache.borrow().get(&number) {
            return Ok(o.clone());
        }
        let Some(Entry::InUse { offset, generation }) = self.xref.get(&number).copied() else {
            return Ok(Rc::new(Object::Null));
        };
        if self.resolving.get() >= MAX_REF_CHAIN {
            return Err(PdfError::Limit("references nested too deeply"));
        }
        self.charge_object()?;
        self.resolving.set(self.resolving.get() + 1);
        let parsed = self.parse_at(number, generation, offset);
        self.resolving.set(self.resolving.get() - 1);
        let object = Rc::new(parsed?);
        self.cache.borrow_mut().insert(number, object.clone());
        Ok(object)
    }

    fn parse_at(&self, number: u32, generation: u16, offset: usize) -> Result<Object, PdfError> {
        if offset >= self.data.len() {
            return Err(structure(format!("object {number} lies past the end")));
        }
        let mut lexer = Lexer::new(self.data, offset);
        let header = (
            lexer.next_token()?,
            lexer.next_token()?,
            lexer.next_token()?,
        );
        match header {
            (Some(Token::Int(n)), Some(Token::Int(g)), Some(Token::Keyword(k)))
                if n == i64::from(number) && g == i64::from(generation) && k == b"obj" => {}
            _ => {
                return Err(structure(format!(
                    "object {number} is not where the cross-reference table says"
                )))
            }
        }
        let object = parse_object(&mut lexer, 0)?;
        match lexer.next_token()? {
            Some(Token::Keyword(k)) if k == b"endobj" => Ok(object),
            Some(Token::Keyword(k)) if k == b"stream" => {
                let Object::Dict(dict) = object else {
                    return Err(structure(format!(
                        "object {number}: a stream without a dictionary"
                    )));
                };
                let mut start = lexer.pos();
                if self.data.get(start) == Some(&b'\r') {
                    start += 1;
                }
                if self.data.get(start) == Some(&b'\n') {
                    start += 1;
                }
                let length = match dict.get(b"Length") {
                    Some(Object::Int(l)) => *l,
                    Some(Object::Ref(n, _)) => match *self.get(*n)? {
                        Object::Int(l) => l,
                        _ => return Err(structure(format!("object {number}: bad stream /Length"))),
                    },
                    _ => {
                        return Err(structure(format!(
                            "object {number}: stream without /Length"
                        )))
                    }
                };
                let length = usize::try_from(length)
                    .map_err(|_| structure(format!("object {number}: negative stream /Length")))?;
                let end = start
                    .checked_add(length)
                    .filter(|e| *e <= self.data.len())
                    .ok_or_else(|| {
                        structure(format!("object {number}: stream runs past the end"))
                    })?;
                let mut after = Lexer::new(self.data, end);
                match after.next_token()? {
                    Some(Token::Keyword(k)) if k == b"endstream" => {}
                    _ => {
                        return Err(structure(format!(
                            "object {number}: stream data does not end where /Length says"
                        )))
                    }
                }
                Ok(Object::Stream(Rc::new(Stream {
                    dict,
                    data: start..end,
                })))
            }
            _ => Err(structure(format!(
                "object {number} is not closed by endobj"
            ))),
        }
    }

    /// The object itself, or the object a reference points to.
    pub fn resolve(&self, object: &Object) -> Result<Rc<Object>, PdfError> {
        match object {
            Object::Ref(n, _) => self.get(*n),
            other => Ok(Rc::new(other.clone())),
        }
    }

    /// `dict[key]`, resolved; `None` when absent or null.
    pub fn get_in(&self, dict: &Dict, key: &[u8]) -> Result<Option<Rc<Object>>, PdfError> {
        match dict.get(key) {
            None => Ok(None),
            Some(o) => {
                let r = self.resolve(o)?;
                Ok(if *r == Object::Null { None } else { Some(r) })
            }
        }
    }

    /// `dict[key]` resolved to a dictionary (a stream's dictionary counts), or `None`.
    pub fn dict_in(&self, dict: &Dict, key: &[u8]) -> Result<Option<Dict>, PdfError> {
        Ok(self.get_in(dict, key)?.and_then(|o| o.as_dict().cloned()))
    }

    /// A stream's encoded bytes.
    pub fn raw(&self, stream: &Stream) -> &'a [u8] {
        &self.data[stream.data.clone()]
    }

    /// A stream's bytes, decoded (no filter, or FlateDecode without predictors), at most `limit` of them and within
    /// the file's inflation budget.
    pub fn decoded(&self, stream: &Stream, limit: usize) -> Result<Vec<u8>, PdfError> {
        let raw = self.raw(stream);
        let filter = match stream.dict.get(b"Filter") {
            None => None,
            Some(Object::Name(n)) => Some(n.clone()),
            Some(Object::Array(a)) if a.is_empty() => None,
            Some(Object::Array(a)) if a.len() == 1 => a[0].as_name().map(<[u8]>::to_vec),
            Some(_) => return Err(PdfError::Unsupported("chained stream filters")),
        };
        let left = self.inflated_left.get();
        let cap = limit.min(left);
        let out = match filter.as_deref() {
            None => {
                if raw.len() > cap {
                    return Err(PdfError::Limit("stream too large"));
                }
                raw.to_vec()
            }
            Some(b"FlateDecode") => {
                if let Some(parms) = stream.dict.get(b"DecodeParms") {
                    let predictor = parms
                        .as_dict()
                        .and_then(|d| d.get(b"Predictor"))
                        .and_then(Object::as_int)
                        .unwrap_or(1);
                    if predictor != 1 {
                        return Err(PdfError::Unsupported("stream predictors"));
                    }
                }
                self.cancel.check().map_err(|_| PdfError::Cancelled)?;
                miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(raw, cap).map_err(|e| {
                    if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
                        PdfError::Limit("a stream inflates to more than allowed")
                    } else {
                        structure("a compressed stream is corrupt")
                    }
                })?
            }
            Some(_) => {
                return Err(PdfError::Unsupported(
                    "stream filters other than FlateDecode",
                ))
            }
        };
        self.inflated_left.set(left - out.len());
        Ok(out)
    }

    /// The document catalog.
    pub fn catalog(&self) -> Result<Dict, PdfError> {
        self.dict_in(&self.trailer, b"Root")?
            .ok_or_else(|| structure("no document catalog (/Root)"))
    }

    /// The pages in order, with inherited resources and media box.
    pub fn pages(&self) -> Result<Vec<Page>, PdfError> {
        let catalog = self.catalog()?;
        let root = catalog
            .get(b"Pages")
            .cloned()
            .ok_or_else(|| structure("no page tree (/Pages)"))?;
        let mut pages = Vec::new();
        let mut visited = HashSet::new();
        self.walk_pages(&root, None, None, 0, &mut visited, &mut pages)?;
        Ok(pages)
    }

    fn walk_pages(
        &self,
        node: &Object,
        resources: Option<&Dict>,
        media_box: Option<[f64; 4]>,
        depth: usize,
        visited: &mut HashSet<u32>,
        out: &mut Vec<Page>,
    ) -> Result<(), PdfError> {
        if depth > MAX_PAGE_TREE_DEPTH {
            return Err(PdfError::Limit("page tree too deep"));
        }
        let Object::Ref(number, _) = node else {
            return Err(structure("a page tree node is not an indirect object"));
        };
        if !visited.insert(*number) {
            return Err(structure("the page tree has a cycle"));
        }
        let object = self.get(*number)?;
        let dict = object
            .as_dict()
            .ok_or_else(|| structure("a page tree node is not a dictionary"))?;
        let own_resources = self.dict_in(dict, b"Resources")?;
        let resources = own_resources.as_ref().or(resources);
        let media_box = match self.get_in(dict, b"MediaBox")? {
            Some(b) => Some(rectangle(&b).ok_or_else(|| structure("bad /MediaBox"))?),
            None => media_box,
        };
        if dict.has_name(b"Type", b"Pages") {
            let kids = self
                .get_in(dict, b"Kids")?
                .ok_or_else(|| structure("a page tree node without /Kids"))?;
            let kids = kids
                .as_array()
                .ok_or_else(|| structure("/Kids is not an array"))?;
            for kid in kids {
                self.walk_pages(kid, resources, media_box, depth + 1, visited, out)?;
            }
            return Ok(());
        }
        if !dict.has_name(b"Type", b"Page") {
            return Err(structure("a page tree node is neither /Pages nor /Page"));
        }
        if out.len() >= MAX_PAGES {
            return Err(PdfError::Limit("too many pages"));
        }
        out.push(Page {
            object: *number,
            dict: dict.clone(),
            resources: resources.cloned().unwrap_or_default(),
            media_box: media_box.ok_or_else(|| structure("a page without /MediaBox"))?,
        });
        Ok(())
    }
}

/// A rectangle `[llx lly urx ury]`, normalised so the first corner is the lower left.
pub(crate) fn rectangle(object: &Object) -> Option<[f64; 4]> {
    let a = object.as_array()?;
    if a.len() != 4 {
        return None;
    }
    let v: Vec<f64> = a.iter().filter_map(Object::as_f64).collect();
    if v.len() != 4 || v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    Some([
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ])
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// A minimal one-page PDF with a correct cross-reference table.
    pub(crate) fn tiny_pdf(content: &str) -> Vec<u8> {
        crate::pdf::write::file_of(&[
            b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
            b"<</Type/Pages/Kids[3 0 R]/Count 1/MediaBox[0 0 200 200]>>".to_vec(),
            b"<</Type/Page/Parent 2 0 R/Contents 4 0 R/Resources<<>>>>".to_vec(),
            format!(
                "<</Length {}>>\nstream\n{content}\nendstream",
                content.len()
            )
            .into_bytes(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;

    fn budget() -> Budget {
        Budget::for_verification(Cancel::never())
    }

    #[test]
    fn reads_pages_and_streams() {
        let pdf = tiny_pdf("BT ET");
        let file = PdfFile::open(&pdf, budget()).unwrap();
        assert_eq!(file.revisions().len(), 1);
        assert_eq!(file.revisions()[0].end, pdf.len());
        let pages = file.pages().unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].media_box, [0.0, 0.0, 200.0, 200.0]);
        let contents = file.get_in(&pages[0].dict, b"Contents").unwrap().unwrap();
        let Object::Stream(s) = &*contents else {
            panic!("a stream")
        };
        assert_eq!(file.decoded(s, 100).unwrap(), b"BT ET");
        assert!(matches!(file.decoded(s, 3), Err(PdfError::Limit(_))));
    }

    #[test]
    fn refuses_broken_structure() {
        assert!(matches!(
            PdfFile::open(b"hello", budget()),
            Err(PdfError::NotPdf(_))
        ));
        let pdf = tiny_pdf("BT ET");
        // A wrong /Length.
        let bad = String::from_utf8(pdf.clone())
            .unwrap()
            .replace("<</Length 5>>", "<</Length 9>>");
        let file = PdfFile::open(bad.as_bytes(), budget()).unwrap();
        let pages = file.pages().unwrap();
        assert!(file.get_in(&pages[0].dict, b"Contents").is_err());
        // A page tree that points to itself.
        let cyclic = String::from_utf8(pdf)
            .unwrap()
            .replace("/Kids[3 0 R]", "/Kids[2 0 R]");
        let file = PdfFile::open(cyclic.as_bytes(), budget()).unwrap();
        assert!(file.pages().is_err());
    }

    #[test]
    fn inflation_is_bounded_by_the_budget() {
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 1 << 20], 9);
        let mut contents =
            format!("<</Length {}/Filter/FlateDecode>>\nstream\n", packed.len()).into_bytes();
        contents.extend_from_slice(&packed);
        contents.extend_from_slice(b"\nendstream");
        let pdf = crate::pdf::write::file_of(&[
            b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
            b"<</Type/Pages/Kids[3 0 R]/Count 1/MediaBox[0 0 200 200]>>".to_vec(),
            b"<</Type/Page/Parent 2 0 R/Contents 4 0 R>>".to_vec(),
            contents,
        ]);
        let mut b = budget();
        b.inflated = 1000;
        let file = PdfFile::open(&pdf, b).unwrap();
        let page = &file.pages().unwrap()[0];
        let stream = file.get_in(&page.dict, b"Contents").unwrap().unwrap();
        let Object::Stream(stream) = &*stream else {
            panic!("a stream")
        };
        assert!(matches!(
            file.decoded(stream, usize::MAX),
            Err(PdfError::Limit(_))
        ));
        // The same with room for it.
        let file = PdfFile::open(&pdf, budget()).unwrap();
        assert_eq!(file.decoded(stream, usize::MAX).unwrap().len(), 1 << 20);
    }
}
