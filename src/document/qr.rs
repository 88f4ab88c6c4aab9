//! Reading the seal's QR symbols from the images a page shows. Qoltanba prints each symbol as a grayscale image
//! with one pixel a module and a four-module quiet zone, so a symbol is read straight from its module grid: no
//! finder-pattern search, which on a hostile image (a large one full of finder patterns) can run for hours, and no
//! image larger than the largest symbol is ever inflated. Images of any other shape were not printed by Qoltanba
//! and are skipped.

use std::collections::HashSet;

use crate::pdf::{DrawnImage, Object, PdfError, PdfFile};

/// Quiet zone around a symbol, in modules (as the renderer draws it).
const QUIET: usize = 4;
/// Smallest and largest symbol, in modules (QR versions 1 and 40).
const MIN_SIDE: usize = 21;
const MAX_SIDE: usize = 177;

/// The texts of the QR symbols among `images` (visible ones only, each image once, at most `limit`).
pub(crate) fn seal_texts(
    file: &PdfFile<'_>,
    images: &[DrawnImage],
    limit: usize,
) -> Result<Vec<String>, PdfError> {
    let mut seen = HashSet::new();
    let mut texts = Vec::new();
    for image in images.iter().filter(|i| i.visible) {
        if !seen.insert(image.object) || texts.len() >= limit {
            continue;
        }
        if let Some(text) = symbol(file, image.object)? {
            texts.push(text);
        }
    }
    Ok(texts)
}

/// The text of the symbol image `object` holds, if it is one printed the way Qoltanba prints them.
fn symbol(file: &PdfFile<'_>, object: u32) -> Result<Option<String>, PdfError> {
    let image = file.get(object)?;
    let Object::Stream(stream) = &*image else {
        return Ok(None);
    };
    let d = &stream.dict;
    let int = |key: &[u8]| d.get(key).and_then(Object::as_int);
    let (Some(w), Some(h)) = (int(b"Width"), int(b"Height")) else {
        return Ok(None);
    };
    let side = usize::try_from(w).unwrap_or(0);
    let modules = side.wrapping_sub(2 * QUIET);
    let shaped = w == h
        && int(b"BitsPerComponent") == Some(8)
        && d.has_name(b"ColorSpace", b"DeviceGray")
        && (MIN_SIDE..=MAX_SIDE).contains(&modules)
        && (modules - MIN_SIDE).is_multiple_of(4);
    if !shaped {
        return Ok(None);
    }
    // Declared size checked above; the decoder stops at exactly that many pixels.
    let pixels = match file.decoded(stream, side * side) {
        Ok(p) if p.len() == side * side => p,
        Ok(_) | Err(PdfError::Limit(_)) | Err(PdfError::Structure(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let grid =
        rqrr::SimpleGrid::from_func(modules, |x, y| pixels[(y + QUIET) * side + x + QUIET] < 128);
    Ok(rqrr::Grid::new(grid).decode().ok().map(|(_, text)| text))
}
