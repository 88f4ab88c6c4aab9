//! The embedded fonts, parsed once per process, and text measurement from their real glyph advances.

use std::sync::OnceLock;

use printpdf::ParsedFont;

static REGULAR_TTF: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans-Bold.ttf");

/// DejaVu Sans regular and bold: they cover Kazakh Cyrillic (ә ғ қ ң ө ұ ү һ і and capitals) and Russian.
pub struct Fonts {
    /// The regular face.
    pub regular: ParsedFont,
    /// The bold face.
    pub bold: ParsedFont,
}

/// Why the fonts could not be loaded (a broken build, not bad input).
#[derive(Debug, Clone, thiserror::Error)]
#[error("embedded font {0} cannot be parsed")]
pub struct FontError(&'static str);

impl Fonts {
    /// The fonts, parsed on first use and shared afterwards.
    pub fn get() -> Result<&'static Fonts, FontError> {
        static FONTS: OnceLock<Result<Fonts, FontError>> = OnceLock::new();
        FONTS
            .get_or_init(|| {
                let parse = |bytes: &[u8], name: &'static str| {
                    ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or(FontError(name))
                };
                Ok(Fonts {
                    regular: parse(REGULAR_TTF, "DejaVuSans.ttf")?,
                    bold: parse(BOLD_TTF, "DejaVuSans-Bold.ttf")?,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The bold or the regular face.
    pub fn face(&self, bold: bool) -> &ParsedFont {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }

    /// Width of `text` in points at `size` points.
    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let font = self.face(bold);
        let upem = f32::from(font.font_metrics.units_per_em.max(1));
        let units: u32 = text
            .chars()
            .map(|c| {
                font.lookup_glyph_index(u32::from(c))
                    .map(|g| u32::from(font.get_horizontal_advance(g)))
                    .unwrap_or(0)
            })
            .sum();
        units as f32 * size / upem
    }

    /// Whether every character has a glyph (control characters and unmapped symbols do not).
    pub fn covers(&self, c: char) -> bool {
        self.regular
            .lookup_glyph_index(u32::from(c))
            .is_some_and(|g| g != 0)
    }
}
