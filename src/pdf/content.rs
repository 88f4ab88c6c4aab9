//! What a reader sees on a page: a content-stream interpreter (ISO 32000-1 §8–9) that places every glyph and every
//! painted area on the page, then keeps as *visible* only the text nothing was drawn over afterwards.
//!
//! A signed value counts as printed only if it is in the visible text: text under a box, an image or other text
//! drawn later (the "painted-over licence"), text in an invisible render mode, in a colour too light to read, in
//! a transparent or soft-masked state, clipped away, outside the page, too small to read or inside optional
//! content is hidden. Unknown colour spaces and fonts whose codes cannot be mapped to text count as unreadable.
//! Annotations with an area are drawn over the page's content, so they cover like boxes. The geometry is the
//! axis-aligned box of each glyph's core (baseline to 0.7 em, its advance wide) and of each painted area; a glyph
//! is hidden when later paint covers a quarter of it.

use std::collections::HashMap;
use std::rc::Rc;

use super::cmap::ToUnicode;
use super::file::{rectangle, Page, PdfFile};
use super::object::{object_from, Dict, Lexer, Object, Token};
use super::PdfError;

/// Largest decoded content stream, form XObject or ToUnicode map.
const MAX_CONTENT_STREAM: usize = 8 * 1024 * 1024;
/// Deepest `q` nesting.
const MAX_SAVE_DEPTH: usize = 64;
/// Deepest form XObject nesting.
const MAX_FORM_DEPTH: usize = 8;
/// Most operands before an operator.
const MAX_OPERANDS: usize = 64;
/// Most glyphs and painted areas placed on one page.
const MAX_MARKS: usize = 500_000;
/// Most glyph/area comparisons on one page (the band index keeps real pages far below it).
const MAX_COVER_CHECKS: usize = 20_000_000;
/// The share of a glyph that later paint must cover to hide it.
const COVER_FRACTION: f64 = 0.25;
/// Smallest readable glyph core height on the page, in points (0.7 em of a 4-point font).
const MIN_GLYPH_HEIGHT: f64 = 2.8;
/// Height of the band index's bands, in points.
const BAND: f64 = 32.0;

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(m1: &Matrix, m2: &Matrix) -> Matrix {
    [
        m1[0] * m2[0] + m1[1] * m2[2],
        m1[0] * m2[1] + m1[1] * m2[3],
        m1[2] * m2[0] + m1[3] * m2[2],
        m1[2] * m2[1] + m1[3] * m2[3],
        m1[4] * m2[0] + m1[5] * m2[2] + m2[4],
        m1[4] * m2[1] + m1[5] * m2[3] + m2[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// Left, bottom, right, top.
type BBox = [f64; 4];

fn bbox_of(points: &[(f64, f64)]) -> Option<BBox> {
    let mut it = points.iter();
    let first = it.next()?;
    let mut b = [first.0, first.1, first.0, first.1];
    for p in it {
        b[0] = b[0].min(p.0);
        b[1] = b[1].min(p.1);
        b[2] = b[2].max(p.0);
        b[3] = b[3].max(p.1);
    }
    b.iter().all(|v| v.is_finite()).then_some(b)
}

fn transformed_box(m: &Matrix, x0: f64, y0: f64, x1: f64, y1: f64) -> Option<BBox> {
    bbox_of(&[
        apply(m, x0, y0),
        apply(m, x1, y0),
        apply(m, x0, y1),
        apply(m, x1, y1),
    ])
}

fn area(b: &BBox) -> f64 {
    (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)
}

fn intersect(a: &BBox, b: &BBox) -> BBox {
    [
        a[0].max(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].min(b[3]),
    ]
}

fn grow(b: &BBox, by: f64) -> BBox {
    [b[0] - by, b[1] - by, b[2] + by, b[3] + by]
}

/// A font as far as placing its glyphs needs.
#[derive(Debug)]
struct FontInfo {
    /// Two-byte codes (Type0, Identity-H) or one-byte codes (simple fonts).
    two_byte: bool,
    /// (first code, last code, width in thousandths of an em), sorted.
    widths: Vec<(u32, u32, f64)>,
    default_width: f64,
    to_unicode: Option<ToUnicode>,
    /// Glyphs of this font cannot be told apart from what they draw (Type3, non-identity CMaps): never readable.
    unreadable: bool,
}

impl FontInfo {
    fn width(&self, code: u32) -> f64 {
        let i = self.widths.partition_point(|w| w.0 <= code);
        match i.checked_sub(1).and_then(|i| self.widths.get(i)) {
            Some((_, last, w)) if code <= *last => *w,
            _ => self.default_width,
        }
    }

    fn text(&self, code: u32) -> String {
        if let Some(t) = self.to_unicode.as_ref().and_then(|m| m.lookup(code)) {
            return t;
        }
        if !self.two_byte {
            // Simple fonts without a map: the standard Latin encodings agree with Latin-1 on letters and digits.
            if let Some(c) = char::from_u32(code).filter(|c| c.is_ascii_graphic() || *c == ' ') {
                return c.to_string();
            }
        }
        char::REPLACEMENT_CHARACTER.to_string()
    }
}

fn load_font(file: &PdfFile<'_>, dict: &Dict) -> Result<FontInfo, PdfError> {
    let subtype = dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .unwrap_or(b"");
    let to_unicode = match file.get_in(dict, b"ToUnicode")? {
        Some(o) => match &*o {
            Object::Stream(s) => Some(ToUnicode::parse(&file.decoded(s, MAX_CONTENT_STREAM)?)?),
            _ => None,
        },
        None => None,
    };
    let mut font = FontInfo {
        two_byte: false,
        widths: Vec::new(),
        default_width: 500.0,
        to_unicode,
        unreadable: false,
    };
    match subtype {
        b"Type0" => {
            font.two_byte = true;
            let identity = matches!(
                dict.get(b"Encoding").and_then(Object::as_name),
                Some(b"Identity-H")
            );
            font.unreadable = !identity;
            let descendants = file.get_in(dict, b"DescendantFonts")?;
            let cid = match descendants.as_deref().and_then(Object::as_array) {
                Some([first]) => file.resolve(first)?.as_dict().cloned(),
                _ => None,
            };
            let Some(cid) = cid else {
                font.unreadable = true;
                return Ok(font);
            };
            font.default_width = file
                .get_in(&cid, b"DW")?
                .and_then(|o| o.as_f64())
                .unwrap_or(1000.0);
            if let Some(w) = file.get_in(&cid, b"W")? {
                let items = w.as_array().unwrap_or(&[]);
                let mut i = 0;
                while i < items.len() {
                    let Some(first) = items[i].as_int().and_then(|c| u32::try_from(c).ok()) else {
                        break;
                    };
                    match items.get(i + 1) {
                        Some(Object::Array(list)) => {
                            for (k, w) in list.iter().enumerate() {
                                let code = first.saturating_add(k as u32);
                                font.widths.push((code, code, w.as_f64().unwrap_or(0.0)));
                            }
                            i += 2;
                        }
                        Some(last) => {
                            let last = last.as_int().and_then(|c| u32::try_from(c).ok());
                            let w = items.get(i + 2).and_then(Object::as_f64);
                            if let (Some(last), Some(w)) = (last, w) {
                                font.widths.push((first, last.max(first), w));
                            }
                            i += 3;
                        }
                        None => break,
                    }
                }
            }
        }
        b"Type3" => font.unreadable = true,
        _ => {
            let first = file
                .get_in(dict, b"FirstChar")?
                .and_then(|o| o.as_int())
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(0);
            if let Some(w) = file.get_in(dict, b"Widths")? {
                for (k, w) in w.as_array().unwrap_or(&[]).iter().enumerate() {
                    let code = first.saturating_add(k as u32);
                    font.widths
                        .push((code, code, file.resolve(w)?.as_f64().unwrap_or(0.0)));
                }
            }
            if let Some(fd) = file.dict_in(dict, b"FontDescriptor")? {
                if let Some(mw) = file.get_in(&fd, b"MissingWidth")?.and_then(|o| o.as_f64()) {
                    font.default_width = mw;
                }
            }
        }
    }
    font.widths.sort_by_key(|w| w.0);
    Ok(font)
}

/// An image XObject drawn on the page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DrawnImage {
    /// The image's object number.
    pub object: u32,
    /// Whether nothing drawn later covers it.
    pub visible: bool,
}

/// One glyph placed on the page, with whether a reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VisibleGlyph {
    pub text: String,
    pub visible: bool,
}

/// A page as a reader sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PageView {
    /// Every glyph drawn, in drawing order.
    pub glyphs: Vec<VisibleGlyph>,
    /// Image XObjects drawn, in drawing order.
    pub images: Vec<DrawnImage>,
}

impl PageView {
    /// The visible text with all white space removed (how signed values are looked for).
    pub(crate) fn visible_text(&self) -> String {
        self.glyphs
            .iter()
            .filter(|g| g.visible)
            .flat_map(|g| g.text.chars())
            .filter(|c| !c.is_whitespace())
            .collect()
    }

    /// All text drawn, visible or not, white space removed.
    pub(crate) fn all_text(&self) -> String {
        self.glyphs
            .iter()
            .flat_map(|g| g.text.chars())
            .filter(|c| !c.is_whitespace())
            .collect()
    }
}

#[derive(Debug, Clone)]
struct State {
    ctm: Matrix,
    clip: BBox,
    line_width: f64,
    /// Whether the fill / stroke colour is one text can be read in (dark enough, known colour space).
    fill_readable: bool,
    stroke_readable: bool,
    fill_space: u8,
    stroke_space: u8,
    /// Constant alpha and soft mask allow reading.
    alpha_readable: bool,
    font: Option<Rc<FontInfo>>,
    font_size: f64,
    char_spacing: f64,
    word_spacing: f64,
    h_scale: f64,
    leading: f64,
    rise: f64,
    render_mode: i64,
}

/// Colour spaces tracked: the number of components, or 0 for one whose colours cannot be judged.
fn space_components(name: &[u8]) -> u8 {
    match name {
        b"DeviceGray" | b"G" | b"CalGray" => 1,
        b"DeviceRGB" | b"RGB" | b"CalRGB" => 3,
        b"DeviceCMYK" | b"CMYK" => 4,
        _ => 0,
    }
}

/// Whether text in this colour is readable on white paper (luminance at most one half).
fn dark(components: &[f64]) -> bool {
    let lum = match components {
        [g] => *g,
        [r, g, b] => 0.299 * r + 0.587 * g + 0.114 * b,
        [c, m, y, k] => {
            let (r, g, b) = (
                (1.0 - c) * (1.0 - k),
                (1.0 - m) * (1.0 - k),
                (1.0 - y) * (1.0 - k),
            );
            0.299 * r + 0.587 * g + 0.114 * b
        }
        _ => return false,
    };
    lum.is_finite() && lum <= 0.5
}

#[derive(Debug)]
enum Mark {
    Glyph {
        text: String,
        core: BBox,
        readable: bool,
    },
    Image {
        object: u32,
        area: BBox,
    },
    Paint(BBox),
}

struct Interpreter<'f, 'a> {
    file: &'f PdfFile<'a>,
    page_box: BBox,
    fonts: HashMap<u32, Rc<FontInfo>>,
    marks: Vec<Mark>,
    optional_depth: usize,
    marked: Vec<bool>,
}

/// Reads the page's content and annotations and decides what is visible.
pub(crate) fn visible_page(file: &PdfFile<'_>, page: &Page) -> Result<PageView, PdfError> {
    let mut it = Interpreter {
        file,
        page_box: page.media_box,
        fonts: HashMap::new(),
        marks: Vec::new(),
        optional_depth: 0,
        marked: Vec::new(),
    };
    let mut state = State {
        ctm: IDENTITY,
        clip: page.media_box,
        line_width: 1.0,
        fill_readable: true,
        stroke_readable: true,
        fill_space: 1,
        stroke_space: 1,
        alpha_readable: true,
        font: None,
        font_size: 0.0,
        char_spacing: 0.0,
        word_spacing: 0.0,
        h_scale: 1.0,
        leading: 0.0,
        rise: 0.0,
        render_mode: 0,
    };
    let streams: Vec<Rc<Object>> = match file.get_in(&page.dict, b"Contents")? {
        None => Vec::new(),
        Some(c) => match &*c {
            Object::Array(items) => {
                if items.len() > 256 {
                    return Err(PdfError::Limit("too many content streams"));
                }
                items
                    .iter()
                    .map(|o| file.resolve(o))
                    .collect::<Result<_, _>>()?
            }
            _ => vec![c.clone()],
        },
    };
    for s in streams {
        if let Object::Stream(s) = &*s {
            let data = file.decoded(s, MAX_CONTENT_STREAM)?;
            it.run(&data, &page.resources, &mut state, 0)?;
        }
    }
    // Annotations are drawn over the page.
    if let Some(annots) = file.get_in(&page.dict, b"Annots")? {
        for a in annots.as_array().unwrap_or(&[]).iter().take(1024) {
            let a = file.resolve(a)?;
            let Some(d) = a.as_dict() else { continue };
            let flags = file.get_in(d, b"F")?.and_then(|f| f.as_int()).unwrap_or(0);
            // Hidden (bit 2) or NoView (bit 6): not drawn.
            if flags & (2 | 32) != 0 {
                continue;
            }
            if let Some(r) = file.get_in(d, b"Rect")?.as_deref().and_then(rectangle) {
                if area(&r) > 0.0 {
                    it.push(Mark::Paint(r))?;
                }
            }
        }
    }
    it.finish()
}

impl Interpreter<'_, '_> {
    fn push(&mut self, mark: Mark) -> Result<(), PdfError> {
        if self.marks.len() >= MAX_MARKS {
            return Err(PdfError::Limit("too many marks on a page"));
        }
        self.marks.push(mark);
        Ok(())
    }

    fn font(&mut self, resources: &Dict, name: &[u8]) -> Result<Option<Rc<FontInfo>>, PdfError> {
        let Some(fonts) = self.file.dict_in(resources, b"Font")? else {
            return Ok(None);
        };
        let Some(reference) = fonts.get(name) else {
            return Ok(None);
        };
        let key = match reference {
            Object::Ref(n, _) => Some(*n),
            _ => None,
        };
        if let Some(f) = key.and_then(|k| self.fonts.get(&k)) {
            return Ok(Some(f.clone()));
        }
        let dict = self.file.resolve(reference)?;
        let Some(dict) = dict.as_dict() else {
            return Ok(None);
        };
        let font = Rc::new(load_font(self.file, dict)?);
        if let Some(k) = key {
            self.fonts.insert(k, font.clone());
        }
        Ok(Some(font))
    }

    fn run(
        &mut self,
        data: &[u8],
        resources: &Dict,
        state: &mut State,
        form_depth: usize,
    ) -> Result<(), PdfError> {
        let mut lexer = Lexer::new(data, 0);
        let mut operands: Vec<Object> = Vec::new();
        let mut stack: Vec<State> = Vec::new();
        let mut path: Vec<BBox> = Vec::new();
        let mut path_points: Vec<(f64, f64)> = Vec::new();
        let mut current = (0.0, 0.0);
        let mut subpath_start = (0.0, 0.0);
        let mut pending_clip = false;
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        while let Some(token) = lexer.next_token()? {
            self.file.charge_operators(1)?;
            let op = match token {
                Token::Keyword(k) => match k.as_slice() {
                    b"true" => {
                        operands.push(Object::Bool(true));
                        continue;
                    }
                    b"false" => {
                        operands.push(Object::Bool(false));
                        continue;
                    }
                    b"null" => {
                        operands.push(Object::Null);
                        continue;
                    }
                    _ => k,
                },
                other => {
                    if operands.len() >= MAX_OPERANDS {
                        return Err(PdfError::Limit("too many operands"));
                    }
                    operands.push(object_from(other, &mut lexer, 1)?);
                    continue;
                }
            };
            let num = |i: usize| operands.get(i).and_then(Object::as_f64).unwrap_or(0.0);
            let nums = |n: usize| -> Option<Vec<f64>> {
                (operands.len() == n)
                    .then(|| {
                        operands
                            .iter()
                            .map(Object::as_f64)
                            .collect::<Option<Vec<f64>>>()
                    })
                    .flatten()
            };
            match op.as_slice() {
                b"q" => {
                    if stack.len() >= MAX_SAVE_DEPTH {
                        return Err(PdfError::Limit("graphics states nested too deeply"));
                    }
                    stack.push(state.clone());
                }
                b"Q" => {
                    if let Some(s) = stack.pop() {
                        *state = s;
                    }
                }
                b"cm" => {
                    if let Some(m) = nums(6) {
                        state.ctm = mul(&[m[0], m[1], m[2], m[3], m[4], m[5]], &state.ctm);
                    }
                }
                b"w" => state.line_width = num(0).abs(),
                b"gs" => {
                    if let Some(name) = operands.first().and_then(Object::as_name) {
                        self.ext_gstate(resources, name, state)?;
                    }
                }
                b"g" => {
                    state.fill_space = 1;
                    state.fill_readable = dark(&[num(0)]);
                }
                b"G" => {
                    state.stroke_space = 1;
                    state.stroke_readable = dark(&[num(0)]);
                }
                b"rg" => {
                    state.fill_space = 3;
                    state.fill_readable = dark(&[num(0), num(1), num(2)]);
                }
                b"RG" => {
                    state.stroke_space = 3;
                    state.stroke_readable = dark(&[num(0), num(1), num(2)]);
                }
                b"k" => {
                    state.fill_space = 4;
                    state.fill_readable = dark(&[num(0), num(1), num(2), num(3)]);
                }
                b"K" => {
                    state.stroke_space = 4;
                    state.stroke_readable = dark(&[num(0), num(1), num(2), num(3)]);
                }
                b"cs" | b"CS" => {
                    let space = operands
                        .first()
                        .and_then(Object::as_name)
                        .map(space_components)
                        .unwrap_or(0);
                    // Every colour space starts at black, or at a value we cannot judge.
                    if op == b"cs" {
                        state.fill_space = space;
                        state.fill_readable = space != 0;
                    } else {
                        state.stroke_space = space;
                        state.stroke_readable = space != 0;
                    }
                }
                b"sc" | b"scn" | b"SC" | b"SCN" => {
                    let fill = op == b"sc" || op == b"scn";
                    let space = if fill {
                        state.fill_space
                    } else {
                        state.stroke_space
                    };
                    let values: Option<Vec<f64>> = operands.iter().map(Object::as_f64).collect();
                    let readable = match values {
                        Some(v) if space != 0 && v.len() == usize::from(space) => dark(&v),
                        _ => false,
                    };
                    if fill {
                        state.fill_readable = readable;
                    } else {
                        state.stroke_readable = readable;
                    }
                }
                // Paths.
                b"m" => {
                    current = apply(&state.ctm, num(0), num(1));
                    subpath_start = current;
                    path_points.push(current);
                }
                b"l" => {
                    let p = apply(&state.ctm, num(0), num(1));
                    path.extend(bbox_of(&[current, p]));
                    path_points.push(p);
                    current = p;
                }
                b"c" | b"v" | b"y" => {
                    let pts: Vec<(f64, f64)> = operands
                        .chunks(2)
                        .filter_map(|c| {
                            Some(apply(&state.ctm, c.first()?.as_f64()?, c.get(1)?.as_f64()?))
                        })
                        .collect();
                    if let Some(&end) = pts.last() {
                        let mut all = vec![current];
                        all.extend(&pts);
                        path.extend(bbox_of(&all));
                        path_points.extend(&pts);
                        current = end;
                    }
                }
                b"h" => {
                    path.extend(bbox_of(&[current, subpath_start]));
                    current = subpath_start;
                }
                b"re" => {
                    let (x, y, w, h) = (num(0), num(1), num(2), num(3));
                    let corners = [
                        apply(&state.ctm, x, y),
                        apply(&state.ctm, x + w, y),
                        apply(&state.ctm, x + w, y + h),
                        apply(&state.ctm, x, y + h),
                    ];
                    for i in 0..4 {
                        path.extend(bbox_of(&[corners[i], corners[(i + 1) % 4]]));
                    }
                    path_points.extend(corners);
                    current = corners[0];
                    subpath_start = corners[0];
                }
                b"W" | b"W*" => pending_clip = true,
                b"S" | b"s" | b"f" | b"F" | b"f*" | b"B" | b"B*" | b"b" | b"b*" | b"n" => {
                    let fills = !matches!(op.as_slice(), b"S" | b"s" | b"n");
                    let strokes =
                        matches!(op.as_slice(), b"S" | b"s" | b"B" | b"B*" | b"b" | b"b*");
                    let whole = bbox_of(&path_points);
                    if fills {
                        if let Some(b) = whole {
                            self.push(Mark::Paint(intersect(&b, &state.clip)))?;
                        }
                    }
                    if strokes {
                        let half = state.line_width * scale(&state.ctm) / 2.0;
                        for seg in &path {
                            self.push(Mark::Paint(intersect(&grow(seg, half), &state.clip)))?;
                        }
                    }
                    if pending_clip {
                        if let Some(b) = whole {
                            state.clip = intersect(&state.clip, &b);
                        }
                        pending_clip = false;
                    }
                    path.clear();
                    path_points.clear();
                }
                b"sh" => self.push(Mark::Paint(state.clip))?,
                b"Do" => {
                    if let Some(name) = operands.first().and_then(Object::as_name) {
                        self.draw_xobject(resources, name, state, form_depth)?;
                    }
                }
                b"BI" => {
                    // Inline image: its dictionary, `ID`, the data, `EI`. The data is skipped up to an `EI` that stands
                    // alone; it paints the unit square.
                    let mut p = lexer.pos();
                    let data = lexer.data();
                    let id = find_keyword(data, p, b"ID").ok_or(PdfError::Syntax {
                        offset: p,
                        what: "inline image without ID",
                    })?;
                    p = id + 3;
                    let ei = find_keyword(data, p, b"EI").ok_or(PdfError::Syntax {
                        offset: p,
                        what: "inline image without EI",
                    })?;
                    lexer.set_pos(ei + 2);
                    if let Some(b) = transformed_box(&state.ctm, 0.0, 0.0, 1.0, 1.0) {
                        self.push(Mark::Paint(intersect(&b, &state.clip)))?;
                    }
                }
                b"BDC" => {
                    let optional =
                        matches!(operands.first().and_then(Object::as_name), Some(b"OC"));
                    self.marked.push(optional);
                    if optional {
                        self.optional_depth += 1;
                    }
                }
                b"BMC" => self.marked.push(false),
                b"EMC" if self.marked.pop() == Some(true) => {
                    self.optional_depth = self.optional_depth.saturating_sub(1);
                }
                // Text.
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"ET" => {}
                b"Tf" => {
                    if let Some(name) = operands.first().and_then(Object::as_name) {
                        let name = name.to_vec();
                        state.font = self.font(resources, &name)?;
                    }
                    state.font_size = num(1);
                }
                b"Tc" => state.char_spacing = num(0),
                b"Tw" => state.word_spacing = num(0),
                b"Tz" => state.h_scale = num(0) / 100.0,
                b"TL" => state.leading = num(0),
                b"Ts" => state.rise = num(0),
                b"Tr" => state.render_mode = operands.first().and_then(Object::as_int).unwrap_or(0),
                b"Td" | b"TD" => {
                    if op == b"TD" {
                        state.leading = -num(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(0), num(1)], &tlm);
                    tm = tlm;
                }
                b"Tm" => {
                    if let Some(m) = nums(6) {
                        tlm = [m[0], m[1], m[2], m[3], m[4], m[5]];
                        tm = tlm;
                    }
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -state.leading], &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" | b"TJ" => {
                    if op == b"\"" {
                        state.word_spacing = num(0);
                        state.char_spacing = num(1);
                    }
                    if op == b"'" || op == b"\"" {
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -state.leading], &tlm);
                        tm = tlm;
                    }
                    let items: Vec<Object> = match (op.as_slice(), operands.last()) {
                        (b"TJ", Some(Object::Array(a))) => a.clone(),
                        (_, Some(s @ Object::String(_))) => vec![s.clone()],
                        _ => Vec::new(),
                    };
                    for item in items {
                        match item {
                            Object::String(bytes) => self.show(&bytes, state, &mut tm)?,
                            other => {
                                if let Some(n) = other.as_f64() {
                                    let tx = -n / 1000.0 * state.font_size * state.h_scale;
                                    tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
            operands.clear();
        }
        Ok(())
    }

    fn ext_gstate(
        &mut self,
        resources: &Dict,
        name: &[u8],
        state: &mut State,
    ) -> Result<(), PdfError> {
        let Some(states) = self.file.dict_in(resources, b"ExtGState")? else {
            return Ok(());
        };
        let Some(gs) = states.get(name) else {
            return Ok(());
        };
        let gs = self.file.resolve(gs)?;
        let Some(gs) = gs.as_dict() else {
            return Ok(());
        };
        if let Some(lw) = self.file.get_in(gs, b"LW")?.and_then(|o| o.as_f64()) {
            state.line_width = lw.abs();
        }
        let alpha = |key: &[u8]| -> Result<bool, PdfError> {
            Ok(self
                .file
                .get_in(gs, key)?
                .and_then(|o| o.as_f64())
                .is_none_or(|a| a >= 0.5))
        };
        let soft_mask = self
            .file
            .get_in(gs, b"SMask")?
            .is_some_and(|o| o.as_name() != Some(b"None"));
        let blend = self
            .file
            .get_in(gs, b"BM")?
            .is_some_and(|o| !matches!(o.as_name(), Some(b"Normal" | b"Compatible")));
        state.alpha_readable = alpha(b"ca")? && alpha(b"CA")? && !soft_mask && !blend;
        Ok(())
    }

    fn draw_xobject(
        &mut self,
        resources: &Dict,
        name: &[u8],
        state: &State,
        form_depth: usize,
    ) -> Result<(), PdfError> {
        let Some(xobjects) = self.file.dict_in(resources, b"XObject")? else {
            return Ok(());
        };
        let Some(reference) = xobjects.get(name).cloned() else {
            return Ok(());
        };
        let object = self.file.resolve(&reference)?;
        let Object::Stream(stream) = &*object else {
            return Ok(());
        };
        let unit = transformed_box(&state.ctm, 0.0, 0.0, 1.0, 1.0);
        if stream.dict.has_name(b"Subtype", b"Image") {
            if let (Some(b), Object::Ref(n, _)) = (unit, &reference) {
                self.push(Mark::Image {
                    object: *n,
                    area: intersect(&b, &state.clip),
                })?;
            } else if let Some(b) = unit {
                self.push(Mark::Paint(intersect(&b, &state.clip)))?;
            }
            return Ok(());
        }
        if !stream.dict.has_name(b"Subtype", b"Form") || form_depth >= MAX_FORM_DEPTH {
            // Something drawn that cannot be looked into: it may cover anything within the clip.
            return self.push(Mark::Paint(state.clip));
        }
        let mut inner = state.clone();
        if let Some(m) = stream.dict.get(b"Matrix").and_then(Object::as_array) {
            let m: Vec<f64> = m.iter().filter_map(Object::as_f64).collect();
            if m.len() == 6 {
                inner.ctm = mul(&[m[0], m[1], m[2], m[3], m[4], m[5]], &inner.ctm);
            }
        }
        if let Some(bb) = stream.dict.get(b"BBox").and_then(rectangle) {
            if let Some(b) = transformed_box(&inner.ctm, bb[0], bb[1], bb[2], bb[3]) {
                inner.clip = intersect(&inner.clip, &b);
            }
        }
        let own = self.file.dict_in(&stream.dict, b"Resources")?;
        let data = self.file.decoded(stream, MAX_CONTENT_STREAM)?;
        self.run(
            &data,
            own.as_ref().unwrap_or(resources),
            &mut inner,
            form_depth + 1,
        )
    }

    fn show(&mut self, bytes: &[u8], state: &State, tm: &mut Matrix) -> Result<(), PdfError> {
        let Some(font) = state.font.clone() else {
            return Ok(());
        };
        let codes: Vec<u32> = if font.two_byte {
            bytes
                .chunks(2)
                .map(|c| u32::from(c[0]) << 8 | u32::from(c.get(1).copied().unwrap_or(0)))
                .collect()
        } else {
            bytes.iter().map(|b| u32::from(*b)).collect()
        };
        self.file.charge_operators(codes.len())?;
        let paints = matches!(state.render_mode, 0 | 1 | 2 | 4 | 5 | 6);
        let colour_readable = match state.render_mode {
            0 | 2 | 4 | 6 => state.fill_readable,
            1 | 5 => state.stroke_readable,
            _ => false,
        };
        let size = state.font_size;
        for code in codes {
            let w0 = font.width(code) / 1000.0;
            let advance = w0 * size * state.h_scale;
            let m = mul(tm, &state.ctm);
            let core = transformed_box(&m, 0.0, state.rise, advance, state.rise + 0.7 * size);
            let height = 0.7 * size.abs() * (m[2] * m[2] + m[3] * m[3]).sqrt();
            if let Some(core) = core {
                let inside = {
                    let c = intersect(&core, &intersect(&state.clip, &self.page_box));
                    area(&core) > 0.0 && area(&c) >= area(&core) * (1.0 - COVER_FRACTION)
                };
                let readable = paints
                    && colour_readable
                    && state.alpha_readable
                    && !font.unreadable
                    && self.optional_depth == 0
                    && height >= MIN_GLYPH_HEIGHT
                    && inside;
                self.push(Mark::Glyph {
                    text: font.text(code),
                    core,
                    readable,
                })?;
                if paints && !readable {
                    // Unreadable text still paints over what is under it.
                    self.push(Mark::Paint(core))?;
                }
            }
            let space = if !font.two_byte && code == 32 {
                state.word_spacing
            } else {
                0.0
            };
            let tx = advance + (state.char_spacing + space) * state.h_scale;
            *tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
        }
        Ok(())
    }

    /// Decides, for every readable glyph and every image, whether paint drawn after it covers it.
    fn finish(self) -> Result<PageView, PdfError> {
        // Band index of everything that paints: (mark index, box).
        let band_of = |y: f64| -> i64 { (y / BAND).floor().clamp(-1.0e6, 1.0e6) as i64 };
        let mut bands: HashMap<i64, Vec<usize>> = HashMap::new();
        let painted = |m: &Mark| -> Option<BBox> {
            match m {
                Mark::Paint(b) => Some(*b),
                Mark::Image { area, .. } => Some(*area),
                Mark::Glyph {
                    core,
                    readable: true,
                    ..
                } => Some(*core),
                Mark::Glyph { .. } => None,
            }
        };
        for (i, m) in self.marks.iter().enumerate() {
            if let Some(b) = painted(m) {
                if area(&b) <= 0.0 {
                    continue;
                }
                let (lo, hi) = (band_of(b[1]), band_of(b[3]));
                // A mark taller than the page is put in the page's bands only.
                let (plo, phi) = (band_of(self.page_box[1]) - 1, band_of(self.page_box[3]) + 1);
                for band in lo.max(plo)..=hi.min(phi) {
                    bands.entry(band).or_default().push(i);
                }
            }
        }
        let mut checks = 0usize;
        let mut covered = |i: usize, b: &BBox| -> Result<bool, PdfError> {
            let total = area(b);
            if total <= 0.0 {
                return Ok(false);
            }
            let mut later: Vec<usize> = Vec::new();
            for band in band_of(b[1])..=band_of(b[3]) {
                if let Some(list) = bands.get(&band) {
                    let start = list.partition_point(|j| *j <= i);
                    later.extend_from_slice(&list[start..]);
                }
            }
            later.sort_unstable();
            later.dedup();
            let mut sum = 0.0;
            for j in later {
                checks += 1;
                if checks > MAX_COVER_CHECKS {
                    return Err(PdfError::Limit("page too complex to check"));
                }
                if let Some(p) = painted(&self.marks[j]) {
                    sum += area(&intersect(b, &p));
                    if sum >= total * COVER_FRACTION {
                        return Ok(true);
                    }
                }
            }
            Ok(false)
        };
        let mut view = PageView::default();
        for (i, m) in self.marks.iter().enumerate() {
            match m {
                Mark::Glyph {
                    text,
                    core,
                    readable,
                } => {
                    let visible = *readable && !covered(i, core)?;
                    view.glyphs.push(VisibleGlyph {
                        text: text.clone(),
                        visible,
                    });
                }
                Mark::Image { object, area: a } => {
                    let visible = area(a) > 0.0 && !covered(i, a)?;
                    view.images.push(DrawnImage {
                        object: *object,
                        visible,
                    });
                }
                Mark::Paint(_) => {}
            }
        }
        Ok(view)
    }
}

/// The uniform scale of a matrix (the square root of its determinant's magnitude): line widths in page points.
fn scale(m: &Matrix) -> f64 {
    (m[0] * m[3] - m[1] * m[2]).abs().sqrt()
}

/// Position of `keyword` standing alone (white space or the end around it) at or after `from`.
fn find_keyword(data: &[u8], from: usize, keyword: &[u8]) -> Option<usize> {
    let mut i = from;
    while i + keyword.len() <= data.len() {
        if &data[i..i + keyword.len()] == keyword
            && (i == 0 || super::object::is_white(data[i - 1]))
            && data
                .get(i + keyword.len())
                .is_none_or(|b| super::object::is_white(*b))
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::Cancel;
    use crate::pdf::file::Budget;

    /// One page with a simple font (Helvetica, Latin-1 codes, widths 500) and `content`.
    fn page_with(content: &str) -> PageView {
        let objects = [
            "<</Type/Catalog/Pages 2 0 R>>".to_string(),
            "<</Type/Pages/Kids[3 0 R]/Count 1/MediaBox[0 0 600 800]>>".to_string(),
            "<</Type/Page/Parent 2 0 R/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>".to_string(),
            format!("<</Length {}>>\nstream\n{content}\nendstream", content.len()),
            "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/FirstChar 32/Widths[500 500]/FontDescriptor<</MissingWidth 500>>>>".to_string(),
        ];
        let objects: Vec<Vec<u8>> = objects.iter().map(|o| o.as_bytes().to_vec()).collect();
        let pdf = crate::pdf::write::file_of(&objects);
        let file = PdfFile::open(&pdf, Budget::for_verification(Cancel::never())).unwrap();
        let pages = file.pages().unwrap();
        visible_page(&file, &pages[0]).unwrap()
    }

    const NAME: &str = "BT /F1 12 Tf 100 700 Td (ALIYA) Tj ET";

    #[test]
    fn plain_text_is_visible() {
        let v = page_with(NAME);
        assert_eq!(v.visible_text(), "ALIYA");
    }

    #[test]
    fn a_box_drawn_over_text_hides_it() {
        let v = page_with(&format!(
            "{NAME} 1 g 95 695 60 20 re f 0 g BT /F1 12 Tf 100 700 Td (BOLAT) Tj ET"
        ));
        assert_eq!(v.visible_text(), "BOLAT");
        assert_eq!(v.all_text(), "ALIYABOLAT");
        // A box drawn before the text does not.
        let v = page_with(&format!("1 g 95 695 60 20 re f 0 g {NAME}"));
        assert_eq!(v.visible_text(), "ALIYA");
    }

    #[test]
    fn text_drawn_over_text_hides_it() {
        let v = page_with(&format!("{NAME} BT /F1 12 Tf 100 700 Td (XXXXX) Tj ET"));
        assert_eq!(v.visible_text(), "XXXXX");
    }

    #[test]
    fn invisible_white_tiny_clipped_and_outside_text_is_hidden() {
        for content in [
            "BT 3 Tr /F1 12 Tf 100 700 Td (ALIYA) Tj ET",
            "1 g BT /F1 12 Tf 100 700 Td (ALIYA) Tj ET",
            "BT /F1 2 Tf 100 700 Td (ALIYA) Tj ET",
            "0 0 10 10 re W n BT /F1 12 Tf 100 700 Td (ALIYA) Tj ET",
            "BT /F1 12 Tf 1000 700 Td (ALIYA) Tj ET",
            "/OC /L1 BDC BT /F1 12 Tf 100 700 Td (ALIYA) Tj ET EMC",
            "/Pattern cs /P1 scn BT /F1 12 Tf 100 700 Td (ALIYA) Tj ET",
        ] {
            assert_eq!(page_with(content).visible_text(), "", "{content}");
        }
    }

    #[test]
    fn thin_lines_and_neighbours_do_not_hide_text() {
        // An underline and the outline of a table cell around the text.
        let v = page_with(&format!(
            "{NAME} 0.6 w 95 699 m 300 699 l S 90 690 300 30 re S"
        ));
        assert_eq!(v.visible_text(), "ALIYA");
        // A box beside the text.
        let v = page_with(&format!("{NAME} 0 g 200 695 60 20 re f"));
        assert_eq!(v.visible_text(), "ALIYA");
    }
}
