//! Turning laid-out pages into PDF bytes with printpdf: embedded, subset DejaVu Sans (real text with a ToUnicode
//! map, so `pdftotext` reads it back), document metadata, and a deterministic file identifier so that the same
//! document issued at the same time always gives the same bytes.

use printpdf::{
    Line, LinePoint, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
    Rect, TextItem,
};

use super::font::Fonts;
use super::layout::{Item, Page, PAGE_HEIGHT, PAGE_WIDTH};
use crate::clock::UnixTime;

/// Document-level facts written into the PDF's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfInfo {
    /// The document's title.
    pub title: String,
    /// Its subject.
    pub subject: String,
    /// Its keywords.
    pub keywords: Vec<String>,
    /// Issue time, Unix seconds: the PDF's creation and modification dates.
    pub issued_at: UnixTime,
}

fn ops_for(
    page: &Page,
    regular: &printpdf::FontId,
    bold: &printpdf::FontId,
    images: &mut Vec<(printpdf::XObjectId, printpdf::XObject)>,
) -> Vec<Op> {
    let mut ops = vec![Op::SetOutlineThickness { pt: Pt(0.6) }];
    for item in &page.items {
        match item {
            Item::Text {
                x,
                y,
                size,
                bold: b,
                text,
            } => {
                let font = if *b { bold } else { regular };
                ops.extend([
                    Op::StartTextSection,
                    Op::SetFont {
                        font: PdfFontHandle::External(font.clone()),
                        size: Pt(*size),
                    },
                    Op::SetTextCursor {
                        pos: Point {
                            x: Pt(*x),
                            y: Pt(*y),
                        },
                    },
                    Op::ShowText {
                        items: vec![TextItem::Text(text.clone())],
                    },
                    Op::EndTextSection,
                ]);
            }
            Item::Rect { x, y, w, h } => ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(*x),
                    y: Pt(*y),
                    width: Pt(*w),
                    height: Pt(*h),
                    mode: Some(PaintMode::Stroke),
                    winding_order: None,
                },
            }),
            Item::Image {
                x,
                y,
                size,
                width,
                pixels,
            } => {
                // Fixed names (not printpdf's counter) keep the output reproducible.
                let id = printpdf::XObjectId(format!("QLTQR{}", images.len() + 1));
                images.push((id.clone(), one_bit_image(*width, pixels)));
                ops.push(Op::UseXobject {
                    id,
                    transform: printpdf::XObjectTransform {
                        translate_x: Some(Pt(*x)),
                        translate_y: Some(Pt(*y)),
                        rotate: None,
                        scale_x: None,
                        scale_y: None,
                        // One pixel a module: the DPI that makes the image `size` points wide.
                        dpi: Some(*width as f32 * 72.0 / size),
                        no_auto_scale: false,
                    },
                });
            }
            Item::Line { x1, y1, x2, y2 } => ops.push(Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint {
                            p: Point {
                                x: Pt(*x1),
                                y: Pt(*y1),
                            },
                            bezier: false,
                        },
                        LinePoint {
                            p: Point {
                                x: Pt(*x2),
                                y: Pt(*y2),
                            },
                            bezier: false,
                        },
                    ],
                    is_closed: false,
                },
            }),
        }
    }
    ops
}

/// Writes the pages as a PDF.
pub(crate) fn write_pdf(fonts: &Fonts, pages: &[Page], info: &PdfInfo) -> Vec<u8> {
    let mut doc = PdfDocument::new(&info.title);
    // Fixed resource names instead of printpdf's counter-based ones: the subset tag ("QLTREG+DejaVuSans") is
    // taken from them, and the same document must always give the same bytes.
    let regular = printpdf::FontId("QLTREG".into());
    let bold = printpdf::FontId("QLTBLD".into());
    let (regular_face, bold_face) = fonts.embedded(pages);
    doc.resources.fonts.map.insert(
        regular.clone(),
        printpdf::PdfFont::new(regular_face.clone()),
    );
    doc.resources
        .fonts
        .map
        .insert(bold.clone(), printpdf::PdfFont::new(bold_face.clone()));
    // Issue times are validated before rendering; out-of-range ones keep printpdf's defaults.
    let when = printpdf::OffsetDateTime::from_unix_timestamp(info.issued_at.secs()).ok();
    let meta = &mut doc.metadata.info;
    meta.document_title = info.title.clone();
    meta.subject = info.subject.clone();
    meta.keywords = info.keywords.clone();
    meta.creator = "Qoltanba".into();
    meta.producer = "Qoltanba".into();
    meta.author = String::new();
    if let Some(when) = when {
        meta.creation_date = when;
        meta.modification_date = when;
        meta.metadata_date = when;
    }
    meta.identifier = info.title.clone();
    let mut images = Vec::new();
    let pdf_pages: Vec<PdfPage> = pages
        .iter()
        .map(|p| {
            PdfPage::new(
                printpdf::Mm::from(Pt(PAGE_WIDTH)),
                printpdf::Mm::from(Pt(PAGE_HEIGHT)),
                ops_for(p, &regular, &bold, &mut images),
            )
        })
        .collect();
    // Streams are left uncompressed: printpdf's deflate is its best-compression mode and took 60 % of the
    // rendering time (2.7 ms against 1.05 ms for a licence); the uncompressed licence is 70 KB instead of 33 KB.
    for (id, image) in images {
        doc.resources.xobjects.map.insert(id, image);
    }
    let bytes = doc.with_pages(pdf_pages).save(
        &PdfSaveOptions {
            optimize: false,
            subset_fonts: true,
            secure: true,
            image_optimization: None,
        },
        &mut Vec::new(),
    );
    deterministic_id(bytes, info)
}

/// A square grey image (`side` × `side` pixels, 0 black, 255 white) as an image XObject of 1 bit a pixel, rows
/// padded to a byte, unfiltered. Why not printpdf's `RawImage`: it writes 8 bits a pixel and deflates them at its
/// default level, which was 22 % of issuing a reference (`perf` of `cargo bench --bench issue`, 2026-12-03); a
/// version-40 symbol is 4.3 KB this way, stored as it is.
fn one_bit_image(side: usize, pixels: &[u8]) -> printpdf::XObject {
    use printpdf::DictItem;
    let packed = one_bit_rows(side, pixels);
    let dict = [
        ("Type", DictItem::Name(b"XObject".to_vec())),
        ("Subtype", DictItem::Name(b"Image".to_vec())),
        ("Width", DictItem::Int(side as i64)),
        ("Height", DictItem::Int(side as i64)),
        ("BitsPerComponent", DictItem::Int(1)),
        ("ColorSpace", DictItem::Name(b"DeviceGray".to_vec())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    printpdf::XObject::External(printpdf::ExternalXObject {
        stream: printpdf::ExternalStream {
            dict,
            content: packed,
            compress: false,
        },
        width: Some(printpdf::Px(side)),
        height: Some(printpdf::Px(side)),
        dpi: None,
    })
}

/// Grey pixels (`side` a row; 128 and up white) as rows of 1 bit a pixel, most significant bit first, each row padded
/// to a byte: the samples of a 1-bit DeviceGray image (1 white).
pub(crate) fn one_bit_rows(side: usize, pixels: &[u8]) -> Vec<u8> {
    let row = side.div_ceil(8);
    let mut packed = vec![0u8; row * side];
    for (y, line) in pixels.chunks_exact(side).enumerate() {
        for (x, &p) in line.iter().enumerate() {
            if p >= 128 {
                packed[y * row + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    packed
}

/// printpdf fills the trailer's /ID with counter-based "random" strings. Replace them, in place and at the same
/// length (so the cross-reference table stays right), with strings derived from the document's identity.
fn deterministic_id(mut pdf: Vec<u8>, info: &PdfInfo) -> Vec<u8> {
    let Some(pos) = find_last(&pdf, b"/ID") else {
        return pdf;
    };
    let seed = format!("{}\n{}\n{}", info.title, info.subject, info.issued_at);
    let digest = crate::encoding::sha256(seed.as_bytes());
    let mut n = 0usize;
    let mut i = pos;
    // The two identifiers are literal strings "(...)" of 32 characters each.
    while n < 2 && i < pdf.len() {
        if pdf[i] == b'(' {
            let start = i + 1;
            let Some(len) = pdf[start..].iter().position(|b| *b == b')') else {
                break;
            };
            for (k, b) in pdf[start..start + len].iter_mut().enumerate() {
                *b = b'A' + digest[(k + n * 16) % digest.len()] % 26;
            }
            i = start + len;
            n += 1;
        }
        i += 1;
    }
    pdf
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}
