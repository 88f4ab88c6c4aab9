//! Byte-level searching of PDF text, shared by the writer that appends to printpdf's output and by the
//! verifier that reads Qoltanba's PDFs back; neither needs a full PDF parser for the objects it writes itself.

/// Position of `needle` in `hay` at or after `from`.
pub(crate) fn find_from(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The integer after `key` in a dictionary's text (`/Size 22`, `/Root 20 0 R`).
pub(crate) fn number_after(dict: &str, key: &str) -> Option<usize> {
    let rest = &dict[dict.find(key)? + key.len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_after_offset_and_reads_numbers() {
        assert_eq!(find_from(b"abcabc", 1, b"abc"), Some(3));
        assert_eq!(find_from(b"abc", 4, b"a"), None);
        assert_eq!(find_from(b"abc", 0, b""), None);
        assert_eq!(number_after("<</Size 22/Root 20 0 R>>", "/Root"), Some(20));
        assert_eq!(number_after("<</Size/Root>>", "/Size"), None);
        assert_eq!(number_after("<<>>", "/Size"), None);
    }
}
