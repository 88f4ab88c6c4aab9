//! PDF objects (ISO 32000-1 §7.3) and their tokenizer, bounded: nesting depth, items per container and string
//! sizes are limited, so a hostile file cannot make the parser recurse or allocate without end.

use std::rc::Rc;

use super::PdfError;

/// Deepest nesting of arrays and dictionaries accepted (Qoltanba writes three levels).
pub(super) const MAX_DEPTH: usize = 32;
/// Most items in one array or dictionary: real font width arrays have a few hundred.
pub(super) const MAX_ITEMS: usize = 65_536;

/// A PDF object. Streams keep their data where it lies in the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A name, without its slash, `#xx` escapes decoded.
    Name(Vec<u8>),
    /// A string's bytes, escapes decoded.
    String(Vec<u8>),
    /// An array.
    Array(Vec<Object>),
    /// A dictionary.
    Dict(Dict),
    /// An indirect reference: object number and generation.
    Ref(u32, u16),
    /// A stream.
    Stream(Rc<Stream>),
}

/// A dictionary: keys in the order written (a handful of entries, so lookups are linear).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    /// The value of `key`, if present.
    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key` when it is the name `name`.
    pub fn has_name(&self, key: &[u8], name: &[u8]) -> bool {
        matches!(self.get(key), Some(Object::Name(n)) if n == name)
    }

    /// Sets `key` to `value`, replacing an earlier value.
    pub fn set(&mut self, key: &[u8], value: Object) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_vec(), value)),
        }
    }
}

/// A stream: its dictionary, and where its (still encoded) data lies in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// The stream's dictionary.
    pub dict: Dict,
    /// Where its (still encoded) data lies in the file.
    pub data: std::ops::Range<usize>,
}

impl Object {
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A number, integer or real.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Object::Int(i) => Some(*i as f64),
            Object::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// The name, if this is one.
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }

    /// The dictionary, if this is one (a stream's included).
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    /// The array's items, if this is one.
    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The string's bytes, if this is one.
    pub fn as_string(&self) -> Option<&[u8]> {
        match self {
            Object::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A lexical token (§7.2).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    String(Vec<u8>),
    ArrayStart,
    ArrayEnd,
    DictStart,
    DictEnd,
    /// Keywords and content-stream operators: `obj`, `R`, `true`, `Tj`, ...
    Keyword(Vec<u8>),
}

pub(crate) fn is_white(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delimiter(b)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Reads tokens from a byte slice. Every token is read in time linear in its length.
pub(crate) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Self {
        Lexer { data, pos }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }

    fn error(&self, what: &'static str) -> PdfError {
        PdfError::Syntax {
            offset: self.pos,
            what,
        }
    }

    /// Skips white space and comments.
    pub(crate) fn skip_white(&mut self) {
        while let Some(&b) = self.data.get(self.pos) {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(&c) = self.data.get(self.pos) {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next token, or `None` at the end of the data.
    pub(crate) fn next_token(&mut self) -> Result<Option<Token>, PdfError> {
        self.skip_white();
        let Some(&b) = self.data.get(self.pos) else {
            return Ok(None);
        };
        let token = match b {
            b'[' => {
                self.pos += 1;
                Token::ArrayStart
            }
            b']' => {
                self.pos += 1;
                Token::ArrayEnd
            }
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                Token::DictStart
            }
            b'>' if self.data.get(self.pos + 1) == Some(&b'>') => {
                self.pos += 2;
                Token::DictEnd
            }
            b'<' => Token::String(self.hex_string()?),
            b'(' => Token::String(self.literal_string()?),
            b'/' => Token::Name(self.name()),
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number()?,
            b')' | b'>' | b'{' | b'}' => return Err(self.error("unexpected delimiter")),
            _ => {
                let start = self.pos;
                while self.data.get(self.pos).is_some_and(|b| is_regular(*b)) {
                    self.pos += 1;
                }
                Token::Keyword(self.data[start..self.pos].to_vec())
            }
        };
        Ok(Some(token))
    }

    fn name(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(&b) = self.data.get(self.pos) {
            if !is_regular(b) {
                break;
            }
            if b == b'#' {
                let hi = self.data.get(self.pos + 1).copied().and_then(hex_value);
                let lo = self.data.get(self.pos + 2).copied().and_then(hex_value);
                if let (Some(h), Some(l)) = (hi, lo) {
                    out.push(h << 4 | l);
                    self.pos += 3;
                    continue;
                }
            }
            out.push(b);
            self.pos += 1;
        }
        out
    }

    fn number(&mut self) -> Result<Token, PdfError> {
        let start = self.pos;
        while self
            .data
            .get(self.pos)
            .is_some_and(|b| matches!(b, b'+' | b'-' | b'.' | b'0'..=b'9'))
        {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.data[start..self.pos])
            .map_err(|_| self.error("bad number"))?;
        if text.len() > 32 {
            return Err(self.error("number too long"));
        }
        if !text.contains('.') {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Token::Int(i));
            }
        }
        // PDF reals have no exponent; "1.5.2" or a lone sign is malformed.
        let ok = text.bytes().filter(|b| *b == b'.').count() <= 1
            && text[1..].bytes().all(|b| b != b'+' && b != b'-');
        let value: f64 = if ok {
            match text {
                "+" | "-" | "." | "+." | "-." => 0.0,
                t => t.parse().map_err(|_| self.error("bad number"))?,
            }
        } else {
            return Err(self.error("bad number"));
        };
        if !value.is_finite() {
            return Err(self.error("bad number"));
        }
        Ok(Token::Real(value))
    }

    fn hex_string(&mut self) -> Result<Vec<u8>, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(self.error("unterminated hex string"));
            };
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if is_white(b) {
                continue;
            }
            let v = hex_value(b).ok_or_else(|| self.error("bad hex string"))?;
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        Ok(out)
    }

    fn literal_string(&mut self) -> Result<Vec<u8>, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(&e) = self.data.get(self.pos) else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.data.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        b'\r' => {
                            if self.data.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
        Ok(out)
    }
}

/// Parses one object from the lexer; references (`n g R`) are recognised by looking two tokens ahead.
pub(super) fn parse_object(lexer: &mut Lexer<'_>, depth: usize) -> Result<Object, PdfError> {
    let token = lexer.next_token()?.ok_or(PdfError::Syntax {
        offset: lexer.pos(),
        what: "object expected",
    })?;
    object_from(token, lexer, depth)
}

pub(crate) fn object_from(
    token: Token,
    lexer: &mut Lexer<'_>,
    depth: usize,
) -> Result<Object, PdfError> {
    if depth > MAX_DEPTH {
        return Err(PdfError::Limit("objects nested too deeply"));
    }
    Ok(match token {
        Token::Int(i) => {
            // `n g R`?
            let save = lexer.pos();
            if let Ok(n) = u32::try_from(i) {
                if let Ok(Some(Token::Int(gen))) = lexer.next_token() {
                    if let Ok(Some(Token::Keyword(k))) = lexer.next_token() {
                        if k == b"R" {
                            let gen = u16::try_from(gen).map_err(|_| PdfError::Syntax {
                                offset: save,
                                what: "bad generation number",
                            })?;
                            return Ok(Object::Ref(n, gen));
                        }
                    }
                }
            }
            lexer.set_pos(save);
            Object::Int(i)
        }
        Token::Real(r) => Object::Real(r),
        Token::Name(n) => Object::Name(n),
        Token::String(s) => Object::String(s),
        Token::ArrayStart => {
            let mut items = Vec::new();
            loop {
                let t = lexer.next_token()?.ok_or(PdfError::Syntax {
                    offset: lexer.pos(),
                    what: "unterminated array",
                })?;
                if t == Token::ArrayEnd {
                    break;
                }
                if items.len() >= MAX_ITEMS {
                    return Err(PdfError::Limit("array too long"));
                }
                items.push(object_from(t, lexer, depth + 1)?);
            }
            Object::Array(items)
        }
        Token::DictStart => {
            let mut dict = Dict::default();
            loop {
                let t = lexer.next_token()?.ok_or(PdfError::Syntax {
                    offset: lexer.pos(),
                    what: "unterminated dictionary",
                })?;
                let key = match t {
                    Token::DictEnd => break,
                    Token::Name(n) => n,
                    _ => {
                        return Err(PdfError::Syntax {
                            offset: lexer.pos(),
                            what: "dictionary key is not a name",
                        })
                    }
                };
                if dict.0.len() >= MAX_ITEMS {
                    return Err(PdfError::Limit("dictionary too long"));
                }
                let value = parse_object(lexer, depth + 1)?;
                dict.set(&key, value);
            }
            Object::Dict(dict)
        }
        Token::Keyword(k) => match k.as_slice() {
            b"true" => Object::Bool(true),
            b"false" => Object::Bool(false),
            b"null" => Object::Null,
            _ => {
                return Err(PdfError::Syntax {
                    offset: lexer.pos(),
                    what: "unexpected keyword",
                })
            }
        },
        Token::ArrayEnd | Token::DictEnd => {
            return Err(PdfError::Syntax {
                offset: lexer.pos(),
                what: "unexpected end of a container",
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Object, PdfError> {
        parse_object(&mut Lexer::new(s.as_bytes(), 0), 0)
    }

    #[test]
    fn reads_the_object_kinds() {
        assert_eq!(parse("12 0 R").unwrap(), Object::Ref(12, 0));
        assert_eq!(parse("12 0").unwrap(), Object::Int(12));
        assert_eq!(parse("-3.5").unwrap(), Object::Real(-3.5));
        assert_eq!(parse("/A#20B").unwrap(), Object::Name(b"A B".to_vec()));
        assert_eq!(
            parse("(a\\(b\\)c\\101 (d))").unwrap(),
            Object::String(b"a(b)cA (d)".to_vec())
        );
        assert_eq!(parse("<4142 4>").unwrap(), Object::String(b"AB@".to_vec()));
        let d = parse("<</Type/Page/Kids[1 0 R 2 0 R]/N null>>").unwrap();
        let d = d.as_dict().unwrap();
        assert!(d.has_name(b"Type", b"Page"));
        assert_eq!(d.get(b"Kids").unwrap().as_array().unwrap().len(), 2);
        assert_eq!(d.get(b"N"), Some(&Object::Null));
    }

    #[test]
    fn refuses_what_is_malformed_or_too_deep() {
        assert!(parse("<</A>>").is_err());
        assert!(parse("[1 2").is_err());
        assert!(parse("(abc").is_err());
        assert!(parse("1.2.3").is_err());
        assert!(parse(")").is_err());
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(matches!(parse(&deep), Err(PdfError::Limit(_))));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }
}
