//! ToUnicode CMaps (ISO 32000-1 §9.10.3): character codes to text, so what a page draws can be compared with
//! what a seal signs. Ranges stay ranges (never expanded), so a hostile map costs memory in its own size only.

use super::object::{Lexer, Object, Token};
use super::PdfError;

/// Most mappings (single codes and ranges) read from one CMap.
const MAX_MAPPINGS: usize = 65_536;

#[derive(Debug, Clone)]
enum Target {
    /// The first code maps to this text; each next code increments its last UTF-16 unit.
    Start(Vec<u16>),
    /// Each code maps to its own text.
    List(Vec<Vec<u16>>),
}

/// A parsed ToUnicode map.
#[derive(Debug, Clone, Default)]
pub(super) struct ToUnicode {
    /// (first code, last code, target), sorted by first code.
    ranges: Vec<(u32, u32, Target)>,
}

fn code_of(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    Some(bytes.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)))
}

fn utf16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect()
}

impl ToUnicode {
    /// Parses the decoded CMap stream. Entries that do not make sense are skipped, not fatal: a missing mapping
    /// only means text that cannot be read back, which never counts as printed.
    pub(super) fn parse(data: &[u8]) -> Result<ToUnicode, PdfError> {
        let mut lexer = Lexer::new(data, 0);
        let mut map = ToUnicode::default();
        let mut section: Option<&'static str> = None;
        let mut pending: Vec<Object> = Vec::new();
        while let Some(token) = lexer.next_token().unwrap_or(None) {
            match token {
                Token::Keyword(k) => {
                    match k.as_slice() {
                        b"beginbfchar" => section = Some("char"),
                        b"beginbfrange" => section = Some("range"),
                        b"endbfchar" | b"endbfrange" => section = None,
                        _ => {}
                    }
                    pending.clear();
                }
                Token::String(s) if section.is_some() => pending.push(Object::String(s)),
                Token::ArrayStart if section == Some("range") => {
                    let mut list = Vec::new();
                    while let Some(t) = lexer.next_token().unwrap_or(None) {
                        match t {
                            Token::String(s) => list.push(Object::String(s)),
                            Token::ArrayEnd => break,
                            _ => {}
                        }
                        if list.len() > 256 {
                            break;
                        }
                    }
                    pending.push(Object::Array(list));
                }
                _ => pending.clear(),
            }
            match (section, pending.as_slice()) {
                (Some("char"), [Object::String(src), Object::String(dst)]) => {
                    if let Some(c) = code_of(src) {
                        map.ranges.push((c, c, Target::Start(utf16(dst))));
                    }
                    pending.clear();
                }
                (Some("range"), [Object::String(lo), Object::String(hi), target]) => {
                    if let (Some(lo), Some(hi)) = (code_of(lo), code_of(hi)) {
                        if lo <= hi {
                            let target = match target {
                                Object::String(s) => Some(Target::Start(utf16(s))),
                                Object::Array(items) => Some(Target::List(
                                    items
                                        .iter()
                                        .filter_map(Object::as_string)
                                        .map(utf16)
                                        .collect(),
                                )),
                                _ => None,
                            };
                            if let Some(t) = target {
                                map.ranges.push((lo, hi, t));
                            }
                        }
                    }
                    pending.clear();
                }
                _ => {}
            }
            if map.ranges.len() > MAX_MAPPINGS {
                return Err(PdfError::Limit("ToUnicode map too large"));
            }
        }
        map.ranges.sort_by_key(|r| r.0);
        Ok(map)
    }

    /// The text of one character code, if mapped.
    pub(super) fn lookup(&self, code: u32) -> Option<String> {
        let i = self.ranges.partition_point(|r| r.0 <= code);
        // The last range starting at or before `code` (ranges do not overlap in well-formed maps; the latest
        // start wins otherwise).
        let (lo, hi, target) = self.ranges.get(i.checked_sub(1)?)?;
        if code > *hi {
            return None;
        }
        let offset = code - lo;
        let units: Vec<u16> = match target {
            Target::Start(start) => {
                let mut u = start.clone();
                let last = u.last_mut()?;
                *last = last.wrapping_add(u16::try_from(offset).ok()?);
                u
            }
            Target::List(list) => list.get(offset as usize)?.clone(),
        };
        Some(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_chars_and_ranges() {
        let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
            1 begincodespacerange <0000> <FFFF> endcodespacerange
            2 beginbfchar <0001> <0020> <0003> <04D8> endbfchar
            2 beginbfrange <0010> <0012> <0041> <0020> <0021> [<0062> <D83DDE00>] endbfrange
            endcmap";
        let m = ToUnicode::parse(cmap).unwrap();
        assert_eq!(m.lookup(1).as_deref(), Some(" "));
        assert_eq!(m.lookup(3).as_deref(), Some("Ә"));
        assert_eq!(m.lookup(0x11).as_deref(), Some("B"));
        assert_eq!(m.lookup(0x21).as_deref(), Some("😀"));
        assert_eq!(m.lookup(2), None);
        assert_eq!(m.lookup(0x13), None);
    }
}
