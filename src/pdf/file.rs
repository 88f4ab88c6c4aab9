//! The file: its cross-reference sections (every revision; tables or streams), objects parsed on demand (from the
//! file or from object streams), streams inflated within a budget, and the page tree.

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
    InUse {
        offset: usize,
        generation: u16,
    },
    /// In an object stream (PDF 1.5): the stream's object number and the object's place in it.
    Compressed {
        stream: u32,
        index: u32,
    },
    Free,
}

impl Entry {
    fn in_use(&self) -> bool {
        !matches!(self, Entry::Free)
    }
}

/// An object stream, inflated once: its bytes, where its objects start, and the object numbers it holds.
struct ObjectStream {
    data: Vec<u8>,
    first: usize,
    objects: Vec<(u32, usize)>,
}

/// Most objects one object stream may hold (writers put about a hundred in each).
const MAX_OBJECTS_IN_STREAM: usize = 100_000;
/// Most bytes a cross-reference or object stream may inflate to (within the file's budget).
const MAX_STRUCTURE_STREAM: usize = 16 * 1024 * 1024;

/// A PNG predictor (ISO 32000-1 §7.4.4.4, `/Predictor` 10–15): each row of `columns × colors` bytes is preceded by
/// its filter type. What cross-reference streams use (with `/Columns` their row width); TIFF's predictor (2) and
/// samples of other than 8 bits are refused.
#[derive(Debug, Clone, Copy)]
struct Predictor {
    /// Bytes a sample row holds.
    row: usize,
    /// Bytes a pixel holds: how far back "left" is.
    pixel: usize,
}

impl Predictor {
    fn of(parms: &Dict) -> Result<Option<Predictor>, PdfError> {
        let int =
            |key: &[u8], default: i64| parms.get(key).and_then(Object::as_int).unwrap_or(default);
        match int(b"Predictor", 1) {
            1 => return Ok(None),
            10..=15 => {}
            _ => return Err(PdfError::Unsupported("TIFF stream predictors")),
        }
        if int(b"BitsPerComponent", 8) != 8 {
            return Err(PdfError::Unsupported(
                "predictors over samples of other than 8 bits",
            ));
        }
        let colors = usize::try_from(int(b"Colors", 1))
            .ok()
            .filter(|c| (1..=4).contains(c))
            .ok_or_else(|| structure("bad predictor /Colors"))?;
        let columns = usize::try_from(int(b"Columns", 1))
            .ok()
            .filter(|c| (1..=1 << 20).contains(c))
            .ok_or_else(|| structure("bad predictor /Columns"))?;
        Ok(Some(Predictor {
            row: columns * colors,
            pixel: colors,
        }))
    }

    /// The rows with their filters undone (a last row cut short is taken as far as it goes).
    fn undo(&self, data: &[u8]) -> Result<Vec<u8>, PdfError> {
        let mut out: Vec<u8> = Vec::with_capacity(data.len());
        let mut previous = vec![0u8; self.row];
        for encoded in data.chunks(self.row + 1) {
            let (kind, bytes) = encoded
                .split_first()
                .ok_or_else(|| structure("an empty predictor row"))?;
            let mut row = bytes.to_vec();
            for i in 0..row.len() {
                let left = if i >= self.pixel {
                    row[i - self.pixel]
                } else {
                    0
                };
                let up = previous[i];
                let up_left = if i >= self.pixel {
                    previous[i - self.pixel]
                } else {
                    0
                };
                let guess = match kind {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                    4 => paeth(left, up, up_left),
                    _ => return Err(structure("a bad PNG predictor row type")),
                };
                row[i] = row[i].wrapping_add(guess);
            }
            out.extend_from_slice(&row);
            previous[..row.len()].copy_from_slice(&row);
        }
        Ok(out)
    }
}

/// The Paeth predictor of PNG (RFC 2083 §6.6).
fn paeth(left: u8, up: u8, up_left: u8) -> u8 {
    let (a, b, c) = (i16::from(left), i16::from(up), i16::from(up_left));
    let p = a + b - c;
    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
    if pa <= pb && pa <= pc {
        left
    } else if pb <= pc {
        up
    } else {
        up_left
    }
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
    object_streams: RefCell<HashMap<u32, Rc<ObjectStream>>>,
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
            object_streams: RefCell::new(HashMap::new()),
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

    /// One cross-reference section and its trailer — a classic table (with, in a hybrid file, the stream its
    /// `/XRefStm` names) or a cross-reference stream (PDF 1.5) — whose entries not yet known (newer sections win)
    /// are recorded.
    fn read_section(
        &mut self,
        offset: usize,
        entries: &mut usize,
    ) -> Result<(Revision, Dict), PdfError> {
        if offset >= self.data.len() {
            return Err(structure("a cross-reference offset points past the end"));
        }
        let mut lexer = Lexer::new(self.data, offset);
        // Where this section's cross-reference streams are: structure, not content, so not among what it defines
        // (as a classic table does not list itself).
        let mut streams = vec![offset];
        let (mut section, trailer, after) = match lexer.next_token()? {
            Some(Token::Keyword(k)) if k == b"xref" => {
                let (mut section, trailer, after) = self.classic_table(lexer, entries)?;
                // A hybrid file: the table leaves its compressed objects free or out, the stream lists them.
                if let Some(at) = trailer.get(b"XRefStm") {
                    let at = at
                        .as_int()
                        .and_then(|a| usize::try_from(a).ok())
                        .ok_or_else(|| structure("/XRefStm is not an offset"))?;
                    streams.push(at);
                    let (hidden, _, _) = self.xref_stream(at, entries)?;
                    for (number, entry) in hidden {
                        let slot = section.entry(number).or_insert(Entry::Free);
                        if !slot.in_use() {
                            *slot = entry;
                        }
                    }
                }
                (section, trailer, after)
            }
            Some(Token::Int(_)) => self.xref_stream(offset, entries)?,
            _ => return Err(structure("no cross-reference table where startxref points")),
        };
        if trailer.get(b"Encrypt").is_some() {
            return Err(PdfError::Unsupported("encryption"));
        }
        let mut defined: Vec<u32> = section
            .iter()
            .filter(|(_, e)| match e {
                Entry::InUse { offset, .. } => !streams.contains(offset),
                e => e.in_use(),
            })
            .map(|(n, _)| *n)
            .collect();
        defined.sort_unstable();
        for (number, entry) in section.drain() {
            self.xref.entry(number).or_insert(entry);
        }
        Ok((
            Revision {
                xref_offset: offset,
                end: self.revision_end(after)?,
                objects: defined,
            },
            trailer,
        ))
    }

    /// A classic cross-reference table after its `xref` keyword, and its trailer; where the trailer ends.
    fn classic_table(
        &self,
        mut lexer: Lexer<'a>,
        entries: &mut usize,
    ) -> Result<(HashMap<u32, Entry>, Dict, usize), PdfError> {
        let mut section = HashMap::new();
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
                section.entry(number).or_insert(entry);
            }
        }
        let trailer = match parse_object(&mut lexer, 0)? {
            Object::Dict(d) => d,
            _ => return Err(structure("the trailer is not a dictionary")),
        };
        Ok((section, trailer, lexer.pos()))
    }

    /// A cross-reference stream (ISO 32000-1 §7.5.8): its entries, its dictionary (which is the section's
    /// trailer), and where the object ends. Its dictionary's values must be direct, as the standard says: no
    /// table is there yet to look a reference up in.
    fn xref_stream(
        &self,
        offset: usize,
        entries: &mut usize,
    ) -> Result<(HashMap<u32, Entry>, Dict, usize), PdfError> {
        let (object, after) = self.parse_object_at(offset, None)?;
        let Object::Stream(stream) = object else {
            return Err(structure("a cross-reference stream is not a stream"));
        };
        let dict = &stream.dict;
        if !dict.has_name(b"Type", b"XRef") {
            return Err(structure("a cross-reference stream without /Type /XRef"));
        }
        let ints = |key: &[u8]| -> Result<Option<Vec<u64>>, PdfError> {
            match dict.get(key) {
                None => Ok(None),
                Some(Object::Array(a)) => a
                    .iter()
                    .map(|o| o.as_int().and_then(|i| u64::try_from(i).ok()))
                    .collect::<Option<Vec<u64>>>()
                    .map(Some)
                    .ok_or_else(|| structure("a cross-reference stream's array is not of numbers")),
                Some(_) => Err(structure(
                    "a cross-reference stream's entry is not an array",
                )),
            }
        };
        let widths = ints(b"W")?.ok_or_else(|| structure("a cross-reference stream without /W"))?;
        let [w0, w1, w2] = widths[..] else {
            return Err(structure("/W does not have three widths"));
        };
        if [w0, w1, w2].iter().any(|w| *w > 8) {
            return Err(structure("a cross-reference field wider than 8 bytes"));
        }
        let (w0, w1, w2) = (w0 as usize, w1 as usize, w2 as usize);
        let row = w0 + w1 + w2;
        if row == 0 {
            return Err(structure("a cross-reference stream with empty rows"));
        }
        let size = dict
            .get(b"Size")
            .and_then(Object::as_int)
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| structure("a cross-reference stream without /Size"))?;
        let index = ints(b"Index")?.unwrap_or_else(|| vec![0, size]);
        if index.len() % 2 != 0 {
            return Err(structure("/Index does not hold pairs"));
        }
        let count: u64 = index.chunks(2).map(|p| p[1]).fold(0, u64::saturating_add);
        *entries = entries.saturating_add(usize::try_from(count).unwrap_or(usize::MAX));
        if *entries > MAX_XREF_ENTRIES {
            return Err(PdfError::Limit("too many cross-reference entries"));
        }
        let data = self.decoded(&stream, MAX_STRUCTURE_STREAM)?;
        if data.len() < count as usize * row {
            return Err(structure(
                "a cross-reference stream shorter than its entries",
            ));
        }
        let field = |bytes: &[u8]| bytes.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
        let mut section = HashMap::new();
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks(2) {
            for i in 0..pair[1] {
                self.cancel.check().map_err(|_| PdfError::Cancelled)?;
                let number = u32::try_from(pair[0].saturating_add(i))
                    .map_err(|_| structure("object number out of range"))?;
                let bytes = rows.next().ok_or_else(|| {
                    structure("a cross-reference stream shorter than its entries")
                })?;
                let kind = if w0 == 0 { 1 } else { field(&bytes[..w0]) };
                let (f1, f2) = (field(&bytes[w0..w0 + w1]), field(&bytes[w0 + w1..]));
                let entry = match kind {
                    0 => Entry::Free,
                    1 => Entry::InUse {
                        offset: usize::try_from(f1)
                            .map_err(|_| structure("object offset out of range"))?,
                        generation: u16::try_from(f2)
                            .map_err(|_| structure("bad generation number"))?,
                    },
                    2 => Entry::Compressed {
                        stream: u32::try_from(f1)
                            .map_err(|_| structure("object stream number out of range"))?,
                        index: u32::try_from(f2)
                            .map_err(|_| structure("object stream index out of range"))?,
                    },
                    // ISO 32000-1 §7.5.8.3: other types are references to the null object.
                    _ => Entry::Free,
                };
                section.entry(number).or_insert(entry);
            }
        }
        Ok((section, stream.dict.clone(), after))
    }

    /// Where the revision whose cross-reference section ends at `pos` ends: after its `startxref N %%EOF` when they
    /// follow, else at `pos`.
    fn revision_end(&self, pos: usize) -> Result<usize, PdfError> {
        let mut lexer = Lexer::new(self.data, pos);
        let mut end = pos;
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
        Ok(end)
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
        let entry = match self.xref.get(&number).copied() {
            Some(e @ (Entry::InUse { .. } | Entry::Compressed { .. })) => e,
            _ => return Ok(Rc::new(Object::Null)),
        };
        if self.resolving.get() >= MAX_REF_CHAIN {
            return Err(PdfError::Limit("references nested too deeply"));
        }
        self.charge_object()?;
        self.resolving.set(self.resolving.get() + 1);
        let parsed = match entry {
            Entry::InUse { offset, generation } => self
                .parse_object_at(offset, Some((number, generation)))
                .map(|(o, _)| o),
            Entry::Compressed { stream, index } => self.compressed(number, stream, index),
            Entry::Free => Ok(Object::Null),
        };
        self.resolving.set(self.resolving.get() - 1);
        let object = Rc::new(parsed?);
        self.cache.borrow_mut().insert(number, object.clone());
        Ok(object)
    }

    /// Object `number`, the `index`th of object stream `stream` (ISO 32000-1 §7.5.7).
    fn compressed(&self, number: u32, stream: u32, index: u32) -> Result<Object, PdfError> {
        let objects = self.object_stream(stream)?;
        let &(held, offset) = objects
            .objects
            .get(index as usize)
            .ok_or_else(|| structure(format!("object {number} is past its object stream's end")))?;
        if held != number {
            return Err(structure(format!(
                "object {number} is not where the cross-reference stream says"
            )));
        }
        let mut lexer = Lexer::new(&objects.data, objects.first + offset);
        parse_object(&mut lexer, 0)
    }

    /// Object stream `number`, inflated and indexed once.
    fn object_stream(&self, number: u32) -> Result<Rc<ObjectStream>, PdfError> {
        if let Some(s) = self.object_streams.borrow().get(&number) {
            return Ok(s.clone());
        }
        // An object stream is itself stored plainly: never inside another.
        if !matches!(self.xref.get(&number), Some(Entry::InUse { .. })) {
            return Err(structure(format!(
                "object stream {number} is not an uncompressed object"
            )));
        }
        let object = self.get(number)?;
        let Object::Stream(stream) = &*object else {
            return Err(structure(format!("object stream {number} is not a stream")));
        };
        let dict = &stream.dict;
        if !dict.has_name(b"Type", b"ObjStm") {
            return Err(structure(format!(
                "object stream {number} without /Type /ObjStm"
            )));
        }
        let count = dict
            .get(b"N")
            .and_then(Object::as_int)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n <= MAX_OBJECTS_IN_STREAM)
            .ok_or_else(|| structure(format!("object stream {number}: bad /N")))?;
        let first = dict
            .get(b"First")
            .and_then(Object::as_int)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| structure(format!("object stream {number}: bad /First")))?;
        let data = self.decoded(stream, MAX_STRUCTURE_STREAM)?;
        if first > data.len() {
            return Err(structure(format!(
                "object stream {number}: /First past its end"
            )));
        }
        let mut lexer = Lexer::new(&data[..first], 0);
        let mut objects = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let (Some(Token::Int(n)), Some(Token::Int(offset))) =
                (lexer.next_token()?, lexer.next_token()?)
            else {
                return Err(structure(format!(
                    "object stream {number}: bad object index"
                )));
            };
            let n = u32::try_from(n)
                .map_err(|_| structure(format!("object stream {number}: bad object number")))?;
            let offset = usize::try_from(offset)
                .ok()
                .filter(|o| first.checked_add(*o).is_some_and(|at| at < data.len()))
                .ok_or_else(|| structure(format!("object stream {number}: bad object offset")))?;
            objects.push((n, offset));
        }
        let parsed = Rc::new(ObjectStream {
            data,
            first,
            objects,
        });
        self.object_streams
            .borrow_mut()
            .insert(number, parsed.clone());
        Ok(parsed)
    }

    /// The object whose `N G obj` header is at `offset` (checked against `expect`, the number and generation the
    /// cross-reference section gives), and the position after its `endobj`.
    fn parse_object_at(
        &self,
        offset: usize,
        expect: Option<(u32, u16)>,
    ) -> Result<(Object, usize), PdfError> {
        if offset >= self.data.len() {
            return Err(structure(match expect {
                Some((number, _)) => format!("object {number} lies past the end"),
                None => "a cross-reference stream lies past the end".into(),
            }));
        }
        let mut lexer = Lexer::new(self.data, offset);
        let header = (
            lexer.next_token()?,
            lexer.next_token()?,
            lexer.next_token()?,
        );
        let number = match (header, expect) {
            (
                (Some(Token::Int(n)), Some(Token::Int(g)), Some(Token::Keyword(k))),
                Some((number, generation)),
            ) if n == i64::from(number) && g == i64::from(generation) && k == b"obj" => number,
            ((Some(Token::Int(n)), Some(Token::Int(g)), Some(Token::Keyword(k))), None)
                if k == b"obj" && g >= 0 =>
            {
                u32::try_from(n).map_err(|_| structure("object number out of range"))?
            }
            (_, Some((number, _))) => {
                return Err(structure(format!(
                    "object {number} is not where the cross-reference table says"
                )))
            }
            (_, None) => return Err(structure("no object where startxref points")),
        };
        let object = parse_object(&mut lexer, 0)?;
        match lexer.next_token()? {
            Some(Token::Keyword(k)) if k == b"endobj" => Ok((object, lexer.pos())),
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
                // `endobj` closes it; where it is missing, the object ends after `endstream`.
                let mut closed = after.pos();
                if let Some(Token::Keyword(k)) = after.next_token()? {
                    if k == b"endobj" {
                        closed = after.pos();
                    }
                }
                Ok((
                    Object::Stream(Rc::new(Stream {
                        dict,
                        data: start..end,
                    })),
                    closed,
                ))
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

    /// A stream's bytes, decoded (no filter, or FlateDecode, with a PNG predictor or none), at most `limit` of them
    /// and within the file's inflation budget.
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
                let predictor = match stream.dict.get(b"DecodeParms") {
                    None | Some(Object::Null) => None,
                    Some(Object::Dict(parms)) => Predictor::of(parms)?,
                    Some(Object::Array(a)) if a.len() == 1 => match &a[0] {
                        Object::Dict(parms) => Predictor::of(parms)?,
                        _ => None,
                    },
                    Some(_) => return Err(structure("bad /DecodeParms")),
                };
                self.cancel.check().map_err(|_| PdfError::Cancelled)?;
                let inflated = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(raw, cap)
                    .map_err(|e| {
                        if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
                            PdfError::Limit("a stream inflates to more than allowed")
                        } else {
                            structure("a compressed stream is corrupt")
                        }
                    })?;
                match predictor {
                    None => inflated,
                    Some(p) => p.undo(&inflated)?,
                }
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

    /// The same page as [`tiny_pdf`] in PDF 1.5's compressed structure: the catalog, page tree and page in an object
    /// stream (object 1), the contents plain (5), and a cross-reference stream (6) deflated with the PNG Up
    /// predictor, as qpdf and Acrobat write them. `tweak` edits the cross-reference stream's dictionary text.
    pub(crate) fn compressed_pdf(content: &str, tweak: impl Fn(String) -> String) -> Vec<u8> {
        let objects = [
            "<</Type/Catalog/Pages 3 0 R>>",
            "<</Type/Pages/Kids[4 0 R]/Count 1/MediaBox[0 0 200 200]>>",
            "<</Type/Page/Parent 3 0 R/Contents 5 0 R/Resources<<>>>>",
        ];
        let mut index = String::new();
        let mut body = String::new();
        for (i, o) in objects.iter().enumerate() {
            index.push_str(&format!("{} {} ", i + 2, body.len()));
            body.push_str(o);
            body.push('\n');
        }
        let packed = format!("{index}{body}");
        let mut pdf = b"%PDF-1.5\n".to_vec();
        let mut offsets = Vec::new();
        offsets.push(pdf.len());
        pdf.extend_from_slice(
            format!(
                "1 0 obj\n<</Type/ObjStm/N 3/First {}/Length {}>>\nstream\n{packed}\nendstream\nendobj\n",
                index.len(),
                packed.len()
            )
            .as_bytes(),
        );
        offsets.push(pdf.len());
        pdf.extend_from_slice(
            format!(
                "5 0 obj\n<</Length {}>>\nstream\n{content}\nendstream\nendobj\n",
                content.len()
            )
            .as_bytes(),
        );
        let xref_at = pdf.len();
        // Rows of /W [1 2 1]: type, offset or object stream, generation or index.
        let rows: Vec<[u8; 4]> = vec![
            [0, 0, 0, 255],
            [1, (offsets[0] >> 8) as u8, offsets[0] as u8, 0],
            [2, 0, 1, 0],
            [2, 0, 1, 1],
            [2, 0, 1, 2],
            [1, (offsets[1] >> 8) as u8, offsets[1] as u8, 0],
            [1, (xref_at >> 8) as u8, xref_at as u8, 0],
        ];
        let mut predicted = Vec::new();
        let mut above = [0u8; 4];
        for row in &rows {
            predicted.push(2); // Up
            for i in 0..4 {
                predicted.push(row[i].wrapping_sub(above[i]));
            }
            above = *row;
        }
        let data = miniz_oxide::deflate::compress_to_vec_zlib(&predicted, 6);
        let dict = tweak(format!(
            "<</Type/XRef/Size 7/W[1 2 1]/Root 2 0 R/Filter/FlateDecode/DecodeParms<</Predictor 12/Columns 4>>/Length {}>>",
            data.len()
        ));
        pdf.extend_from_slice(format!("6 0 obj\n{dict}\nstream\n").as_bytes());
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(
            format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes(),
        );
        pdf
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
    fn reads_cross_reference_streams_and_object_streams() {
        let pdf = compressed_pdf("BT ET", |d| d);
        let file = PdfFile::open(&pdf, budget()).unwrap();
        assert_eq!(file.revisions().len(), 1);
        assert_eq!(file.revisions()[0].end, pdf.len());
        assert_eq!(
            file.revisions()[0].objects,
            [1, 2, 3, 4, 5],
            "the cross-reference stream is not among what the revision defines"
        );
        let pages = file.pages().unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].object, 4);
        assert_eq!(pages[0].media_box, [0.0, 0.0, 200.0, 200.0]);
        let contents = file.get_in(&pages[0].dict, b"Contents").unwrap().unwrap();
        let Object::Stream(s) = &*contents else {
            panic!("a stream")
        };
        assert_eq!(file.decoded(s, 100).unwrap(), b"BT ET");
        assert!(file.trailer().get(b"Root").is_some());
    }

    #[test]
    fn refuses_broken_compressed_structure() {
        let opens_with = |tweak: &dyn Fn(String) -> String| {
            PdfFile::open(&compressed_pdf("BT ET", tweak), budget()).and_then(|f| f.pages())
        };
        for (what, from, to) in [
            ("a field of 9 bytes", "/W[1 2 1]", "/W[1 9 1]"),
            ("two widths", "/W[1 2 1]", "/W[1 2]"),
            ("no /Type", "/Type/XRef", ""),
            ("more entries than rows", "/Size 7", "/Size 9"),
            ("an odd /Index", "/Size 7", "/Size 7/Index[0]"),
            ("a TIFF predictor", "/Predictor 12", "/Predictor 2"),
            (
                "16-bit samples",
                "/Columns 4",
                "/Columns 4/BitsPerComponent 16",
            ),
            ("encryption", "/Root 2 0 R", "/Root 2 0 R/Encrypt<<>>"),
            ("an indirect /Length", "/Length ", "/Length 99 0 R/L "),
            (
                "entries past any number",
                "/Size 7",
                "/Size 7/Index[4294967295 7]",
            ),
        ] {
            assert!(
                opens_with(&|d: String| d.replace(from, to)).is_err(),
                "{what} accepted"
            );
        }
        // A predictor whose columns are not the rows' width: the entries come out garbled — whatever they then
        // point at, the page tree is not found.
        for columns in ["/Columns 3", "/Columns 1048576"] {
            assert!(
                opens_with(&|d: String| d.replace("/Columns 4", columns)).is_err(),
                "{columns} accepted"
            );
        }
        // An object stream that does not hold what the cross-reference stream says, or claims more than it holds.
        let pdf = compressed_pdf("BT ET", |d| d);
        let replace_once = |from: &[u8], to: &[u8]| {
            let at = pdf
                .windows(from.len())
                .position(|w| w == from)
                .expect("present");
            [&pdf[..at], to, &pdf[at + from.len()..]].concat()
        };
        // (Each change keeps the length: the offsets stay right.)
        for (from, to) in [
            (&b"2 0 3 "[..], &b"7 0 3 "[..]),
            (b"/N 3", b"/N 9"),
            (b"/N 3", b"/N-3"),
            (b"/First", b"/Fxrst"),
            (b"/Type/ObjStm", b"/Type/ObjXXX"),
            (b"2 0 3 ", b"2 -1 3"),
        ] {
            let changed = replace_once(from, to);
            let file = PdfFile::open(&changed, budget()).unwrap();
            assert!(file.pages().is_err(), "{}", String::from_utf8_lossy(to));
        }
    }

    #[test]
    fn reads_a_hybrid_file_through_its_xrefstm() {
        // The compressed file's object stream and contents, then a cross-reference stream listing only the
        // compressed objects, then a classic table that leaves them free and names the stream with /XRefStm.
        let pdf = compressed_pdf("BT ET", |d| d);
        let stream_at = pdf
            .windows(8)
            .position(|w| w == b"6 0 obj\n")
            .expect("xref stream");
        let mut hybrid = pdf[..stream_at].to_vec();
        let offset = |n: &[u8]| pdf.windows(n.len()).position(|w| w == n).expect("object");
        let (objstm, contents) = (offset(b"1 0 obj\n"), offset(b"5 0 obj\n"));
        let hidden = stream_at;
        let rows: Vec<u8> = [[2u8, 0, 1, 0], [2, 0, 1, 1], [2, 0, 1, 2]].concat();
        hybrid.extend_from_slice(
            format!(
                "6 0 obj\n<</Type/XRef/Size 7/Index[2 3]/W[1 2 1]/Length {}>>\nstream\n",
                rows.len()
            )
            .as_bytes(),
        );
        hybrid.extend_from_slice(&rows);
        hybrid.extend_from_slice(b"\nendstream\nendobj\n");
        let table = hybrid.len();
        hybrid.extend_from_slice(b"xref\n0 7\n0000000000 65535 f \n");
        hybrid.extend_from_slice(format!("{objstm:010} 00000 n \n").as_bytes());
        for _ in 0..3 {
            hybrid.extend_from_slice(b"0000000000 00000 f \n");
        }
        hybrid.extend_from_slice(
            format!("{contents:010} 00000 n \n{hidden:010} 00000 n \n").as_bytes(),
        );
        hybrid.extend_from_slice(
            format!(
                "trailer\n<</Size 7/Root 2 0 R/XRefStm {hidden}>>\nstartxref\n{table}\n%%EOF\n"
            )
            .as_bytes(),
        );
        let file = PdfFile::open(&hybrid, budget()).unwrap();
        assert_eq!(file.revisions().len(), 1);
        assert_eq!(file.revisions()[0].objects, [1, 2, 3, 4, 5]);
        let pages = file.pages().unwrap();
        assert_eq!(pages[0].object, 4);
        // Without /XRefStm the compressed objects are free: no catalog.
        let plain = String::from_utf8_lossy(&hybrid).replace(&format!("/XRefStm {hidden}"), "");
        assert!(PdfFile::open(plain.as_bytes(), budget())
            .and_then(|f| f.pages())
            .is_err());
    }

    #[test]
    fn png_predictors_are_undone_as_png_defines_them() {
        // One row per filter type over 3 columns of one byte, decoded by hand from PNG's definitions.
        let p = Predictor { row: 3, pixel: 1 };
        let rows = [
            [0u8, 10, 20, 30], // None
            [1, 5, 1, 1],      // Sub: 5, 6, 7
            [2, 1, 1, 1],      // Up: 6, 7, 8
            [3, 2, 2, 2],      // Average: (0+6)/2+2 = 5, (5+7)/2+2 = 8, (8+8)/2+2 = 10
            [4, 1, 1, 1],      // Paeth
        ];
        let data: Vec<u8> = rows.iter().flatten().copied().collect();
        let out = p.undo(&data).unwrap();
        assert_eq!(&out[..12], &[10, 20, 30, 5, 6, 7, 6, 7, 8, 5, 8, 10]);
        // Paeth over (left, up, up-left): first byte: paeth(0, 5, 0) = 5 → 6; then paeth(6, 8, 5) …
        let expected_paeth = {
            let mut row = [0u8; 3];
            let up = [5u8, 8, 10];
            for i in 0..3 {
                let left = if i > 0 { row[i - 1] } else { 0 };
                let up_left = if i > 0 { up[i - 1] } else { 0 };
                row[i] = 1u8.wrapping_add(paeth(left, up[i], up_left));
            }
            row
        };
        assert_eq!(&out[12..], &expected_paeth);
        assert!(
            p.undo(&[5, 1, 2, 3]).is_err(),
            "filter type 5 does not exist"
        );
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
