//! The embedded fonts, parsed once per process, and text measurement from their real glyph advances.
//!
//! Each face is also cut once, at load time, to the characters documents print in practice ([`REPERTOIRE`]: Latin,
//! Cyrillic with the Kazakh letters, punctuation, № and ₸). Why: printpdf subsets the font it is given for every
//! document, and subsetting reads every glyph of that font — DejaVu Sans has 6 253, of which a reference uses about
//! a hundred; the working face has 660. Issuing a reference took 3.03–3.18 ms with the whole faces and 2.53–2.91 ms
//! with the working ones (`cargo bench --bench issue`, three alternating runs of each build, 2026-12-03). A
//! document printing anything outside the repertoire embeds a subset of the whole faces, as before, so nothing is
//! drawn as a missing glyph.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use printpdf::ParsedFont;

use super::layout::{Item, Page};

/// What the working faces hold, as inclusive ranges of code points.
pub(crate) const REPERTOIRE: &[(char, char)] = &[
    // ASCII and Latin-1 (« », the no-break space).
    (' ', '~'),
    ('\u{a0}', '\u{ff}'),
    // Latin Extended-A: the Kazakh Latin alphabet's Ğ ğ Ş ş Ū ū İ ı Ñ ñ.
    ('\u{100}', '\u{17f}'),
    // Cyrillic: Russian and Kazakh (ә ғ қ ң ө ұ ү һ і).
    ('\u{400}', '\u{4ff}'),
    // Dashes, quotes, bullets, the ellipsis, per mille, ‹ ›.
    ('\u{2010}', '\u{203a}'),
    // The tenge sign ₸ and the numero sign №.
    ('\u{20b8}', '\u{20b8}'),
    ('\u{2116}', '\u{2116}'),
];

fn in_repertoire(c: char) -> bool {
    REPERTOIRE.iter().any(|&(a, b)| (a..=b).contains(&c))
}

static REGULAR_TTF: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans-Bold.ttf");

/// DejaVu Sans regular and bold: they cover Kazakh Cyrillic (ә ғ қ ң ө ұ ү һ і and capitals) and Russian.
pub struct Fonts {
    /// The regular face.
    pub regular: ParsedFont,
    /// The bold face.
    pub bold: ParsedFont,
    /// The regular and bold faces cut to [`REPERTOIRE`]; `None` if cutting failed (documents then embed subsets of
    /// the whole faces).
    working: Option<(ParsedFont, ParsedFont)>,
    /// The advance of every code point below [`ADVANCE_TABLE`] in the regular face and in the bold one (font units,
    /// 0 for no glyph), read once at load. Why: measuring looked each character up in the face's cmap, 5 % of
    /// issuing a reference (`perf` of `cargo bench --bench issue`, 2026-12-03; with the table, three alternating
    /// runs of each build: 3.43 → 3.16, 3.55 → 3.42, 3.20 → 3.10 ms); what documents print is almost all below
    /// U+0500 (Latin and Cyrillic).
    advances: [Box<[u16]>; 2],
}

/// Code points below this are measured from [`Fonts::advances`]; the rest through the face's cmap.
const ADVANCE_TABLE: u32 = 0x500;

/// The advance of `c` in `face` (font units), 0 where the face has no glyph for it.
fn advance_in(face: &ParsedFont, c: char) -> u16 {
    face.lookup_glyph_index(u32::from(c))
        .map_or(0, |g| face.get_horizontal_advance(g))
}

/// [`advance_in`] for every code point below [`ADVANCE_TABLE`] (surrogates have none: 0).
fn advance_table(face: &ParsedFont) -> Box<[u16]> {
    (0..ADVANCE_TABLE)
        .map(|c| char::from_u32(c).map_or(0, |c| advance_in(face, c)))
        .collect()
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
                let regular = parse(REGULAR_TTF, "DejaVuSans.ttf")?;
                let bold = parse(BOLD_TTF, "DejaVuSans-Bold.ttf")?;
                let working = working_face(REGULAR_TTF, &regular)
                    .zip(working_face(BOLD_TTF, &bold));
                if working.is_none() {
                    tracing::warn!("the fonts could not be cut to the working repertoire: documents embed subsets of the whole faces");
                }
                let advances = [advance_table(&regular), advance_table(&bold)];
                Ok(Fonts {
                    regular,
                    bold,
                    working,
                    advances,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The regular and bold faces a document of `pages` embeds (printpdf subsets them): the working faces when
    /// every character it prints is in [`REPERTOIRE`], the whole ones otherwise.
    pub(crate) fn embedded(&self, pages: &[Page]) -> (&ParsedFont, &ParsedFont) {
        let printed = || {
            pages.iter().flat_map(|p| &p.items).all(|item| match item {
                Item::Text { text, .. } => text.chars().all(in_repertoire),
                _ => true,
            })
        };
        match &self.working {
            Some((regular, bold)) if printed() => (regular, bold),
            _ => (&self.regular, &self.bold),
        }
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
        let units: u32 = text.chars().map(|c| u32::from(self.advance(c, bold))).sum();
        units as f32 * size / upem
    }

    /// The advance of `c` in the bold or the regular face (font units), 0 where it has no glyph.
    fn advance(&self, c: char, bold: bool) -> u16 {
        match self.advances[usize::from(bold)].get(c as usize) {
            Some(&advance) => advance,
            None => advance_in(self.face(bold), c),
        }
    }

    /// Whether every character has a glyph (control characters and unmapped symbols do not).
    pub fn covers(&self, c: char) -> bool {
        self.regular
            .lookup_glyph_index(u32::from(c))
            .is_some_and(|g| g != 0)
    }
}

/// `face` (parsed from `ttf`) cut to the glyphs of [`REPERTOIRE`], with their advances and a Unicode cmap; `None`
/// if allsorts cannot cut it or printpdf cannot read the cut.
fn working_face(ttf: &[u8], face: &ParsedFont) -> Option<ParsedFont> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset, CmapTarget, SubsetProfile};
    // Glyph 0 (.notdef) first, then the repertoire's glyphs in the whole face's order.
    let mut glyphs = BTreeSet::from([0u16]);
    for &(a, b) in REPERTOIRE {
        glyphs.extend((a..=b).filter_map(|c| face.lookup_glyph_index(u32::from(c))));
    }
    let glyphs: Vec<u16> = glyphs.into_iter().collect();
    let file = ReadScope::new(ttf).read::<FontData<'_>>().ok()?;
    let provider = file.table_provider(0).ok()?;
    let cut = subset(
        &provider,
        &glyphs,
        &SubsetProfile::Minimal,
        CmapTarget::Unicode,
    )
    .ok()?;
    ParsedFont::from_bytes(&cut, 0, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Page {
        Page {
            items: vec![Item::Text {
                x: 0.0,
                y: 0.0,
                size: 10.0,
                bold: false,
                text: s.into(),
            }],
        }
    }

    /// Layout measures with the whole faces; the working faces must draw every character of the repertoire the
    /// whole faces draw, as wide, or a document would be laid out for glyphs it does not embed.
    #[test]
    fn the_working_faces_draw_the_repertoire_as_the_whole_faces_do() {
        let fonts = Fonts::get().expect("fonts");
        let (regular, bold) = fonts.working.as_ref().expect("the fonts are cut");
        for (whole, cut) in [(&fonts.regular, regular), (&fonts.bold, bold)] {
            let mut drawn = 0;
            for &(a, b) in REPERTOIRE {
                for c in a..=b {
                    let glyph = |f: &ParsedFont| {
                        f.lookup_glyph_index(u32::from(c))
                            .filter(|&g| g != 0)
                            .map(|g| f.get_horizontal_advance(g))
                    };
                    assert_eq!(glyph(whole), glyph(cut), "{c:?} U+{:04X}", u32::from(c));
                    drawn += usize::from(glyph(cut).is_some());
                }
            }
            assert!(drawn > 600, "{drawn} characters drawn");
            assert!(cut
                .lookup_glyph_index(u32::from('Ω'))
                .is_none_or(|g| g == 0));
        }
    }

    /// The table answers what the faces answer, for every code point it holds and past it.
    #[test]
    fn the_advance_table_measures_as_the_faces_do() {
        let fonts = Fonts::get().expect("fonts");
        let mut drawn = 0;
        for bold in [false, true] {
            let face = fonts.face(bold);
            for c in (0..0x3000).filter_map(char::from_u32) {
                let advance = fonts.advance(c, bold);
                assert_eq!(advance, advance_in(face, c), "{c:?} U+{:04X}", u32::from(c));
                drawn += usize::from(advance > 0);
            }
        }
        assert!(drawn > 4000, "{drawn} characters drawn");
        // The regular and bold faces differ: a table read from the wrong face would not pass.
        assert_ne!(fonts.advance('W', false), fonts.advance('W', true));
        let upem = f32::from(fonts.regular.font_metrics.units_per_em);
        assert_eq!(
            fonts.width("Ақ ₸", upem, false),
            ["А", "қ", " ", "₸"]
                .iter()
                .map(|s| f32::from(advance_in(&fonts.regular, s.chars().next().expect("char"))))
                .sum::<f32>()
        );
    }

    #[test]
    fn a_document_outside_the_repertoire_embeds_the_whole_faces() {
        let fonts = Fonts::get().expect("fonts");
        let (regular, bold) = fonts.working.as_ref().expect("the fonts are cut");
        let kazakh = [text("Анықтама № 17: ӘҒҚҢӨҰҮҺІ, «₸ 1 000», Ğ ş Ū — …")];
        let (r, b) = fonts.embedded(&kazakh);
        assert!(std::ptr::eq(r, regular) && std::ptr::eq(b, bold));
        let greek = [text("Анықтама"), text("Ω = 3")];
        let (r, b) = fonts.embedded(&greek);
        assert!(std::ptr::eq(r, &fonts.regular) && std::ptr::eq(b, &fonts.bold));
    }
}
