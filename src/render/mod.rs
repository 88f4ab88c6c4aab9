//! PDF rendering of output forms: A4 pages, an embedded font with Kazakh letters loaded and subset once, line
//! wrapping from real glyph widths, tables, several pages with page numbers.

pub(crate) mod font;
pub(crate) mod layout;
pub(crate) mod pdf;

pub(crate) use font::FontError;
pub use font::Fonts;
pub use layout::{Block, Item, Layouter};
pub(crate) use pdf::write_pdf;
pub use pdf::PdfInfo;

/// Lays out and writes `blocks` as a PDF.
pub fn render(blocks: &[Block], info: &PdfInfo) -> Result<Vec<u8>, FontError> {
    let fonts = Fonts::get()?;
    let mut layouter = Layouter::new(fonts);
    for b in blocks {
        layouter.add(b);
    }
    Ok(write_pdf(fonts, &layouter.finish(), info))
}
