//! Page layout: blocks of text, label/value rows, tables and the seal's place, wrapped to the page width and
//! broken over A4 pages. Positions are in points from the bottom-left corner, as PDF wants them.

use super::font::Fonts;

pub(super) const PAGE_WIDTH: f32 = 595.28; // A4, points
pub(super) const PAGE_HEIGHT: f32 = 841.89;
pub(super) const MARGIN: f32 = 56.7; // 20 mm
const FOOTER: f32 = 28.0;

/// What a document is made of, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Centred heading (the issuing body).
    Header(String),
    /// Centred bold title ("АНЫҚТАМА").
    Title(String),
    /// A justified-left paragraph.
    Paragraph(String),
    /// A bold line ("Ата–анасы туралы мәліметтер:").
    Subtitle(String),
    /// A label and its value, with an optional small caption under the value.
    Field {
        /// The label.
        label: String,
        /// The value.
        value: String,
        /// Small print under the value.
        caption: Option<String>,
    },
    /// A table: header cells, then rows; column widths in proportions.
    Table {
        /// Header cells.
        columns: Vec<String>,
        /// Column widths, as proportions.
        widths: Vec<f32>,
        /// The rows' cells.
        rows: Vec<Vec<String>>,
    },
    /// Small print (legal sentence, barcode caption).
    Note(String),
    /// The signed 2-D barcode: one QR symbol per text (an empty square of `size` points when there is none yet),
    /// with its caption.
    Seal {
        /// The symbols' size in points.
        size: f32,
        /// Caption lines beside the symbols.
        caption: Vec<String>,
        /// The barcode texts, one per symbol.
        codes: Vec<String>,
    },
    /// Vertical space in points.
    Space(f32),
}

/// Something to draw on a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A line of text.
    Text {
        /// Left edge, points.
        x: f32,
        /// Baseline, points from the bottom.
        y: f32,
        /// Font size in points.
        size: f32,
        /// Whether in the bold face.
        bold: bool,
        /// The text.
        text: String,
    },
    /// A rectangle outline.
    Rect {
        /// Left edge, points from the page's left.
        x: f32,
        /// Bottom edge, points from the page's bottom.
        y: f32,
        /// Width in points.
        w: f32,
        /// Height in points.
        h: f32,
    },
    /// A horizontal or vertical line.
    Line {
        /// Start, x.
        x1: f32,
        /// Start, y.
        y1: f32,
        /// End, x.
        x2: f32,
        /// End, y.
        y2: f32,
    },
    /// A grayscale image (one byte a pixel, 0 black, 255 white) drawn `size` points square at (x, y).
    Image {
        /// Left edge, points.
        x: f32,
        /// Bottom edge, points.
        y: f32,
        /// Drawn size in points.
        size: f32,
        /// Pixels a row (the image is square).
        width: usize,
        /// The pixels, row by row from the top.
        pixels: Vec<u8>,
    },
}

/// QR modules per point: 1.6 pt (0.56 mm) a module reads well from paper with a phone camera.
const QR_MODULE: f32 = 1.6;
/// Quiet zone around a QR symbol, in modules (ISO/IEC 18004 asks for 4).
const QR_QUIET: usize = 4;

/// A QR symbol (error correction M) as grayscale pixels, one a module, quiet zone included.
///
/// The mask is fixed (pattern 000) instead of chosen by the standard's penalty score: every mask gives a valid
/// symbol, and scoring all eight took most of the time of issuing a document (about 5 ms a symbol).
/// `tests/seal.rs` checks that an independent decoder reads every form's symbols.
fn qr_pixels(text: &str) -> Option<(usize, Vec<u8>)> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let ec_level = qrcode::EcLevel::M;
    let bits = qrcode::bits::encode_auto(text.as_bytes(), ec_level).ok()?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, ec_level).ok()?;
    let mut canvas = Canvas::new(version, ec_level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    let w = usize::try_from(version.width()).ok()?;
    let side = w + 2 * QR_QUIET;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in canvas.into_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let (x, y) = (i % w + QR_QUIET, i / w + QR_QUIET);
            pixels[y * side + x] = 0;
        }
    }
    Some((side, pixels))
}

/// A laid-out page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// What is drawn, in order.
    pub items: Vec<Item>,
}

/// Breaks `text` into lines no wider than `width` points. Words longer than a line are split by characters.
pub(crate) fn wrap(fonts: &Fonts, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if fonts.width(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if fonts.width(word, size, bold) <= width {
                line = word.to_string();
                continue;
            }
            // A word wider than the line: cut it where it overflows.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if fonts.width(&piece, size, bold) > width && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

/// Lays blocks out on as many pages as they need.
pub struct Layouter<'f> {
    fonts: &'f Fonts,
    pages: Vec<Page>,
    y: f32,
    /// The document's title (its first title block): every page after the first starts with it, so nothing — the
    /// barcode least of all — stands on a page that does not say what document it belongs to.
    title: Option<String>,
}

/// Said after the title at the top of every page after the first (the verifier knows it, to read past it).
pub(crate) const CONTINUED: &str = "жалғасы / продолжение";

const BODY: f32 = 10.5;
const SMALL: f32 = 8.0;

impl<'f> Layouter<'f> {
    /// A layouter drawing with `fonts`, starting on a fresh first page.
    pub fn new(fonts: &'f Fonts) -> Self {
        Layouter {
            fonts,
            pages: vec![Page::default()],
            y: PAGE_HEIGHT - MARGIN,
            title: None,
        }
    }

    fn content_width() -> f32 {
        PAGE_WIDTH - 2.0 * MARGIN
    }

    /// Makes room for `height` points, starting a new page when the current one is full.
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN + FOOTER {
            self.pages.push(Page::default());
            self.y = PAGE_HEIGHT - MARGIN;
            if let Some(title) = self.title.clone() {
                // At the top of an empty page: it always fits, so no further page break can come of it.
                let heading = format!("{title} ({CONTINUED})");
                for line in wrap(self.fonts, &heading, SMALL, true, Self::content_width()) {
                    self.text(MARGIN, SMALL, true, line);
                    self.y -= SMALL * 1.35;
                }
                self.y -= 6.0;
            }
        }
    }

    fn page(&mut self) -> &mut Page {
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, text: String) {
        let y = self.y - size;
        self.page().items.push(Item::Text {
            x,
            y,
            size,
            bold,
            text,
        });
    }

    fn lines(&mut self, text: &str, size: f32, bold: bool, centred: bool, indent: f32) {
        let width = Self::content_width() - indent;
        for line in wrap(self.fonts, text, size, bold, width) {
            let leading = size * 1.35;
            self.room(leading);
            let x = if centred {
                MARGIN + (Self::content_width() - self.fonts.width(&line, size, bold)) / 2.0
            } else {
                MARGIN + indent
            };
            self.text(x, size, bold, line);
            self.y -= leading;
        }
    }

    /// Lays `block` out below what came before, breaking pages where needed.
    pub fn add(&mut self, block: &Block) {
        match block {
            Block::Header(t) => self.lines(t, BODY, false, true, 0.0),
            Block::Title(t) => {
                if self.title.is_none() {
                    self.title = Some(t.clone());
                }
                self.y -= 6.0;
                self.lines(t, 14.0, true, true, 0.0);
                self.y -= 4.0;
            }
            Block::Paragraph(t) => {
                self.lines(t, BODY, false, false, 0.0);
                self.y -= 4.0;
            }
            Block::Subtitle(t) => self.lines(t, BODY, true, false, 0.0),
            Block::Field {
                label,
                value,
                caption,
            } => self.field(label, value, caption.as_deref()),
            Block::Table {
                columns,
                widths,
                rows,
            } => self.table(columns, widths, rows),
            Block::Note(t) => self.lines(t, SMALL, false, false, 0.0),
            Block::Seal {
                size,
                caption,
                codes,
            } => self.seal(*size, caption, codes),
            Block::Space(h) => self.y -= h,
        }
    }

    fn field(&mut self, label: &str, value: &str, caption: Option<&str>) {
        let label_width = (self.fonts.width(label, BODY, true) + 8.0).clamp(90.0, 200.0);
        let value_width = Self::content_width() - label_width;
        let value_lines = wrap(self.fonts, value, BODY, false, value_width);
        let leading = BODY * 1.35;
        let label_lines = wrap(self.fonts, label, BODY, true, label_width - 8.0);
        let rows = value_lines.len().max(label_lines.len()).max(1);
        // A field stays on one page when it fits on one; a longer one continues on the next pages line by line, so
        // nothing is ever drawn below the page's margin.
        let height = leading * rows as f32 + if caption.is_some() { SMALL * 1.4 } else { 0.0 };
        self.room(height.min(PAGE_HEIGHT - 2.0 * MARGIN - FOOTER));
        let (top, page) = (self.y, self.pages.len());
        let label_rows = label_lines.len();
        for (i, l) in label_lines.into_iter().enumerate() {
            self.y = top - leading * i as f32;
            self.text(MARGIN, BODY, true, l);
        }
        // The value's lines one after another (so its text reads on), breaking the page where it ends.
        self.y = top;
        let mut underline = self.y - BODY - 2.0;
        for v in value_lines {
            self.room(leading);
            self.text(MARGIN + label_width, BODY, false, v);
            // The line a value is written on, as on the paper form: under the value's last line.
            underline = self.y - BODY - 2.0;
            self.y -= leading;
        }
        if self.pages.len() == page {
            self.y = self.y.min(top - leading * label_rows as f32);
        }
        self.page().items.push(Item::Line {
            x1: MARGIN + label_width,
            y1: underline,
            x2: PAGE_WIDTH - MARGIN,
            y2: underline,
        });
        if let Some(c) = caption {
            // Captions wrap like any text, each line centred under the value.
            for line in wrap(self.fonts, c, SMALL, false, value_width) {
                self.room(SMALL * 1.4);
                let w = self.fonts.width(&line, SMALL, false);
                let x = MARGIN + label_width + (value_width - w).max(0.0) / 2.0;
                self.text(x, SMALL, false, line);
                self.y -= SMALL * 1.4;
            }
        }
        self.y -= 3.0;
    }

    /// Column widths and font size for a table: the largest size (7 or 8.5 pt down to 5 pt) at which every word
    /// fits its column, each column getting at least its longest word and the rest of the width shared by the
    /// template's proportions. Only when even 5 pt cannot fit do words get cut.
    fn table_geometry(
        &self,
        columns: &[String],
        weights: &[f32],
        rows: &[Vec<String>],
        pad: f32,
    ) -> (Vec<f32>, f32) {
        let width = Self::content_width();
        let total: f32 = weights.iter().sum::<f32>().max(f32::EPSILON);
        let proportional: Vec<f32> = weights.iter().map(|w| w / total * width).collect();
        let longest_word = |text: &str, size: f32, bold: bool| {
            text.split_whitespace()
                .map(|w| self.fonts.width(w, size, bold))
                .fold(0.0f32, f32::max)
        };
        let mut size: f32 = if columns.len() > 6 { 7.0 } else { 8.5 };
        loop {
            let minimum: Vec<f32> = (0..columns.len())
                .map(|i| {
                    let header = longest_word(&columns[i], size, true);
                    let cells = rows
                        .iter()
                        .filter_map(|r| r.get(i))
                        .map(|c| longest_word(c, size, false))
                        .fold(0.0f32, f32::max);
                    header.max(cells) + 2.0 * pad + 0.5
                })
                .collect();
            let needed: f32 = minimum.iter().sum();
            if needed <= width {
                // Start from the proportions, raise narrow columns to their minimum, take it from the others.
                let spare = width - needed;
                let widths = minimum
                    .iter()
                    .zip(weights)
                    .map(|(m, w)| m + spare * w / total)
                    .collect();
                return (widths, size);
            }
            if size <= 5.0 {
                return (proportional, size);
            }
            size -= 0.25;
        }
    }

    fn table(&mut self, columns: &[String], widths: &[f32], rows: &[Vec<String>]) {
        let pad = 2.5;
        let (cols, size) = self.table_geometry(columns, widths, rows, pad);
        let header = (columns.to_vec(), true);
        let draw_row = |this: &mut Self, cells: &[String], bold: bool| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(&cols)
                .map(|(c, w)| wrap(this.fonts, c, size, bold, (w - 2.0 * pad).max(size)))
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let height = lines as f32 * size * 1.25 + 2.0 * pad;
            this.room(height);
            let top = this.y;
            let mut x = MARGIN;
            for (cell, w) in wrapped.into_iter().zip(&cols) {
                for (i, l) in cell.into_iter().enumerate() {
                    this.y = top - pad - size * 1.25 * i as f32;
                    this.text(x + pad, size, bold, l);
                }
                this.page().items.push(Item::Rect {
                    x,
                    y: top - height,
                    w: *w,
                    h: height,
                });
                x += w;
            }
            this.y = top - height;
        };
        draw_row(self, &header.0, header.1);
        for row in rows {
            let mut cells = row.clone();
            cells.resize(cols.len(), String::new());
            draw_row(self, &cells, false);
        }
        self.y -= 6.0;
    }

    fn seal(&mut self, size: f32, caption: &[String], codes: &[String]) {
        let symbols: Vec<(usize, Vec<u8>)> = codes.iter().filter_map(|c| qr_pixels(c)).collect();
        if symbols.is_empty() {
            // No seal yet: keep its place.
            self.room(size + 6.0);
            let top = self.y - 4.0;
            self.page().items.push(Item::Rect {
                x: MARGIN,
                y: top - size,
                w: size,
                h: size,
            });
            self.caption_beside(top, size, caption);
            return;
        }
        // Symbols left to right, as many rows as needed; the caption beside a single symbol, below several.
        let mut x = MARGIN;
        let mut row_height: f32 = 0.0;
        let single = symbols.len() == 1;
        for (side, pixels) in symbols {
            let edge = side as f32 * QR_MODULE;
            if x + edge > PAGE_WIDTH - MARGIN && x > MARGIN {
                self.y -= row_height + 4.0;
                x = MARGIN;
                row_height = 0.0;
            }
            self.room(edge + 6.0);
            let top = self.y - 4.0;
            self.page().items.push(Item::Image {
                x,
                y: top - edge,
                size: edge,
                width: side,
                pixels,
            });
            if single {
                self.caption_beside(top, edge, caption);
                return;
            }
            x += edge + 6.0;
            row_height = row_height.max(edge);
        }
        self.y -= row_height + 8.0;
        for c in caption {
            self.lines(c, SMALL, false, false, 0.0);
        }
        self.y -= 4.0;
    }

    /// Caption lines to the right of a square of `edge` points whose top is at `top`.
    fn caption_beside(&mut self, top: f32, edge: f32, caption: &[String]) {
        let saved = self.y;
        self.y = top;
        let width = Self::content_width() - edge - 10.0;
        for c in caption {
            for line in wrap(self.fonts, c, SMALL, false, width) {
                self.text(MARGIN + edge + 10.0, SMALL, false, line);
                self.y -= SMALL * 1.35;
            }
        }
        self.y = (saved - edge - 10.0).min(self.y);
    }

    /// The laid-out pages, each with its "page / pages" number at the bottom.
    pub fn finish(mut self) -> Vec<Page> {
        let n = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let label = format!("{} / {}", i + 1, n);
            let w = self.fonts.width(&label, SMALL, false);
            page.items.push(Item::Text {
                x: (PAGE_WIDTH - w) / 2.0,
                y: MARGIN / 2.0,
                size: SMALL,
                bold: false,
                text: label,
            });
        }
        self.pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field taller than a page continues on the next pages; nothing is drawn below the bottom margin (text
    /// there would be off the paper, and a verifier rightly counts it as not printed).
    #[test]
    fn a_field_longer_than_a_page_breaks_across_pages() {
        let fonts = Fonts::get().expect("fonts");
        let mut l = Layouter::new(fonts);
        let long = "сөз ".repeat(1500);
        l.add(&Block::Field {
            label: "Себебі / Причина".into(),
            value: long.clone(),
            caption: Some("қолтаңба".into()),
        });
        let pages = l.finish();
        assert!(pages.len() >= 2, "{} pages", pages.len());
        let mut value = String::new();
        for p in &pages {
            for item in &p.items {
                if let Item::Text { y, text, bold, .. } = item {
                    assert!(
                        *y >= MARGIN / 2.0 - 0.01 && *y <= PAGE_HEIGHT,
                        "{y}: {text}"
                    );
                    let is_number = text.contains(" / ") && text.len() < 12;
                    if !bold && !is_number && text.contains("сөз") {
                        value.push_str(text);
                        value.push(' ');
                    }
                }
            }
        }
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(words(&value), words(&long), "every word once, in order");
    }

    /// A seal pushed onto a page of its own is not alone there: the page starts with the document's title, marked
    /// as its continuation, above the barcode.
    #[test]
    fn every_page_after_the_first_says_which_document_it_continues() {
        let fonts = Fonts::get().expect("fonts");
        let mut l = Layouter::new(fonts);
        l.add(&Block::Title("ЛИЦЕНЗИЯ".into()));
        // Fill the first page almost to its end, leaving no room for the barcode.
        while l.pages.len() == 1 && l.y > MARGIN + FOOTER + 40.0 {
            l.add(&Block::Paragraph("толтыру мәтіні".into()));
        }
        assert_eq!(l.pages.len(), 1);
        l.add(&Block::Seal {
            codes: vec!["QLT1:TEST".into()],
            size: 110.0,
            caption: vec!["штрих-код".into()],
        });
        let pages = l.finish();
        assert_eq!(pages.len(), 2, "the barcode went to a page of its own");
        let second = &pages[1];
        let heading = second.items.iter().find_map(|i| match i {
            Item::Text { text, y, .. } if text.contains(CONTINUED) => Some((text.clone(), *y)),
            _ => None,
        });
        let (text, heading_y) = heading.expect("a heading on the second page");
        assert!(text.starts_with("ЛИЦЕНЗИЯ"), "{text}");
        let image_top = second.items.iter().find_map(|i| match i {
            Item::Image { y, size, .. } => Some(y + size),
            _ => None,
        });
        assert!(
            image_top.expect("the barcode") < heading_y,
            "the heading stands above the barcode"
        );
    }
}
