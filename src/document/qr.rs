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
    // 1 bit a pixel (rows padded to a byte) since 2026-12-03, 8 before: both are read.
    let bits = int(b"BitsPerComponent");
    let shaped = w == h
        && matches!(bits, Some(1) | Some(8))
        && d.has_name(b"ColorSpace", b"DeviceGray")
        && d.get(b"Decode").is_none()
        && (MIN_SIDE..=MAX_SIDE).contains(&modules)
        && (modules - MIN_SIDE).is_multiple_of(4);
    if !shaped {
        return Ok(None);
    }
    let row = if bits == Some(1) {
        side.div_ceil(8)
    } else {
        side
    };
    // Declared size checked above; the decoder stops at exactly that many bytes.
    let pixels = match file.decoded(stream, row * side) {
        Ok(p) if p.len() == row * side => p,
        Ok(_) | Err(PdfError::Limit(_)) | Err(PdfError::Structure(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let dark = |x: usize, y: usize| {
        if bits == Some(1) {
            pixels[y * row + x / 8] & (0x80 >> (x % 8)) == 0
        } else {
            pixels[y * row + x] < 128
        }
    };
    let grid = rqrr::SimpleGrid::from_func(modules, |x, y| dark(x + QUIET, y + QUIET));
    Ok(rqrr::Grid::new(grid).decode().ok().map(|(_, text)| text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::Budget;

    /// A symbol of `text` as grey pixels with the quiet zone, as the renderer draws it (one pixel a module).
    fn pixels(text: &str) -> (usize, Vec<u8>) {
        let code =
            qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).expect("qr");
        let w = code.width();
        let side = w + 2 * QUIET;
        let mut pixels = vec![255u8; side * side];
        for (i, c) in code.to_colors().into_iter().enumerate() {
            if c == qrcode::Color::Dark {
                pixels[(i / w + QUIET) * side + i % w + QUIET] = 0;
            }
        }
        (side, pixels)
    }

    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut body = format!("<<{dict}/Length {}>>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        body
    }

    /// Documents issued before 2026-12-03 carry 8-bit deflated symbols, later ones 1-bit unfiltered: both read the
    /// same; an inverting /Decode is not Qoltanba's shape and is skipped.
    #[test]
    fn symbols_of_eight_and_of_one_bit_a_pixel_read_alike() {
        let text = "QLT1:symbols of both depths";
        let (side, grey) = pixels(text);
        let packed = crate::render::pdf::one_bit_rows(side, &grey);
        let image = |bits: u8, extra: &str| {
            format!("/Type/XObject/Subtype/Image/Width {side}/Height {side}/BitsPerComponent {bits}/ColorSpace/DeviceGray{extra}")
        };
        let pdf = crate::pdf::write::file_of(&[
            b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
            b"<</Type/Pages/Kids[]/Count 0>>".to_vec(),
            stream(
                &image(8, "/Filter/FlateDecode"),
                &miniz_oxide::deflate::compress_to_vec_zlib(&grey, 6),
            ),
            stream(&image(1, ""), &packed),
            stream(&image(1, "/Decode[1 0]"), &packed),
        ]);
        let file = PdfFile::open(&pdf, Budget::for_verification(Default::default())).expect("pdf");
        assert_eq!(symbol(&file, 3).expect("8 bits"), Some(text.to_string()));
        assert_eq!(symbol(&file, 4).expect("1 bit"), Some(text.to_string()));
        assert_eq!(symbol(&file, 5).expect("inverted"), None);
    }
}
