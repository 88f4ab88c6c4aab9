//! A minimal bounds-checked DER reader (and writer) for the few places where x509-parser's owned structures cost too much
//! (the revoked-certificate list of a 22 MB CRL) or do not exist (RSA-PSS parameters). Every read returns an
//! error instead of panicking on truncated or hostile input.

use thiserror::Error;

mod ber;
pub(crate) use ber::ber_to_der;

/// Why DER could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DerError {
    /// The input ends inside an element.
    #[error("truncated DER")]
    Truncated,
    /// An indefinite length, or one longer than 4 bytes.
    #[error("unsupported DER length encoding")]
    BadLength,
    /// Another element stands where one with `expected` was required.
    #[error("expected tag 0x{expected:02x}, found 0x{found:02x}")]
    UnexpectedTag {
        /// The tag required.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// The element's contents are not a valid value of its type.
    #[error("bad DER value: {0}")]
    BadValue(&'static str),
}

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// The identifier octet (single-byte tags only).
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
    /// The whole element, header included.
    pub raw: &'a [u8],
}

/// Reads consecutive elements from a byte slice.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { rest: data }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// The tag of the next element, without reading it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next element of any tag. Only single-byte tags and definite lengths up to 4 bytes are accepted,
    /// which covers every structure we read.
    pub fn read_any(&mut self) -> Result<Tlv<'a>, DerError> {
        let data = self.rest;
        let tag = *data.first().ok_or(DerError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::BadValue("multi-byte tag"));
        }
        let first_len = *data.get(1).ok_or(DerError::Truncated)?;
        let (len, header) = if first_len < 0x80 {
            (usize::from(first_len), 2usize)
        } else {
            let n = usize::from(first_len & 0x7f);
            if n == 0 || n > 4 {
                return Err(DerError::BadLength);
            }
            let bytes = data.get(2..2 + n).ok_or(DerError::Truncated)?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, 2 + n)
        };
        let end = header.checked_add(len).ok_or(DerError::BadLength)?;
        let raw = data.get(..end).ok_or(DerError::Truncated)?;
        self.rest = &data[end..];
        Ok(Tlv {
            tag,
            value: &raw[header..],
            raw,
        })
    }

    /// Reads the next element and checks its tag.
    pub fn read(&mut self, tag: u8) -> Result<Tlv<'a>, DerError> {
        let found = self.peek_tag().ok_or(DerError::Truncated)?;
        if found != tag {
            return Err(DerError::UnexpectedTag {
                expected: tag,
                found,
            });
        }
        self.read_any()
    }

    /// Reads the next element if it has `tag`.
    pub fn read_optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.read_any().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// The universal tag of SEQUENCE (constructed).
pub const SEQUENCE: u8 = 0x30;
/// The universal tag of SET (constructed).
pub const SET: u8 = 0x31;
/// The universal tag of INTEGER.
pub const INTEGER: u8 = 0x02;
/// The universal tag of BOOLEAN.
pub const BOOLEAN: u8 = 0x01;
/// The universal tag of BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// The universal tag of OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// The universal tag of OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// The universal tag of ENUMERATED.
pub const ENUMERATED: u8 = 0x0a;
/// The universal tag of UTCTime.
pub const UTC_TIME: u8 = 0x17;
/// The universal tag of GeneralizedTime.
pub const GENERALIZED_TIME: u8 = 0x18;

/// Encodes one element: the tag, the definite length, the contents.
pub fn encode(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contents.len() + 6);
    out.push(tag);
    push_length(&mut out, contents.len());
    out.extend_from_slice(contents);
    out
}

/// Appends a DER definite length: short form below 128, else the fewest big-endian octets.
pub fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Decodes an OBJECT IDENTIFIER's contents to dotted form, whatever its length: for showing an OID Qoltanba does
/// not know (an unsupported critical extension). OIDs that are compared are read with `encoding::oid`.
pub fn oid_to_string(value: &[u8]) -> Result<String, DerError> {
    if value.is_empty() {
        return Err(DerError::BadValue("empty OID"));
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for (i, b) in value.iter().enumerate() {
        if acc > (u64::MAX >> 7) {
            return Err(DerError::BadValue("OID arc too large"));
        }
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let (first, second) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                arcs.push(first);
                arcs.push(second);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        } else if i + 1 == value.len() {
            return Err(DerError::BadValue("truncated OID"));
        }
    }
    Ok(arcs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join("."))
}

/// Decodes a small non-negative INTEGER's contents.
pub fn small_uint(value: &[u8]) -> Result<u64, DerError> {
    if value.is_empty() || value.len() > 9 || (value[0] & 0x80) != 0 {
        return Err(DerError::BadValue("integer out of range"));
    }
    let trimmed = if value.len() == 9 {
        if value[0] != 0 {
            return Err(DerError::BadValue("integer out of range"));
        }
        &value[1..]
    } else {
        value
    };
    Ok(trimmed
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Decodes UTCTime or GeneralizedTime (the DER forms RFC 5280 allows: `YYMMDDHHMMSSZ`, `YYYYMMDDHHMMSSZ`) to Unix
/// seconds. UTCTime years 50–99 are 19xx, as RFC 5280 §4.1.2.5.1 says. Hand-written because a 22 MB CRL has
/// 422 000 of them and this is the hot loop of loading it.
pub fn time_to_unix(tlv: &Tlv<'_>) -> Result<i64, DerError> {
    let v = tlv.value;
    let (year, rest) = match (tlv.tag, v.len()) {
        (UTC_TIME, 13) => {
            let yy = two_digits(v, 0)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &v[2..])
        }
        (GENERALIZED_TIME, 15) => (two_digits(v, 0)? * 100 + two_digits(v, 2)?, &v[4..]),
        _ => return Err(DerError::BadValue("time has the wrong form")),
    };
    if rest[10] != b'Z' {
        return Err(DerError::BadValue("time must end in Z"));
    }
    let month = two_digits(rest, 0)?;
    let day = two_digits(rest, 2)?;
    let hour = two_digits(rest, 4)?;
    let minute = two_digits(rest, 6)?;
    let second = two_digits(rest, 8)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(DerError::BadValue("bad date"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(DerError::BadValue("bad time of day"));
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn two_digits(v: &[u8], at: usize) -> Result<i64, DerError> {
    match (v.get(at), v.get(at + 1)) {
        (Some(a @ b'0'..=b'9'), Some(b @ b'0'..=b'9')) => {
            Ok(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
        }
        _ => Err(DerError::BadValue("time has non-digits")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_and_rejects_truncation() {
        let data = [0x30, 0x03, 0x02, 0x01, 0x05];
        let mut r = Reader::new(&data);
        let seq = r.read(SEQUENCE).expect("sequence");
        assert!(r.is_empty());
        let mut inner = Reader::new(seq.value);
        assert_eq!(small_uint(inner.read(INTEGER).expect("int").value), Ok(5));
        for cut in 0..data.len() {
            assert!(Reader::new(&data[..cut]).read(SEQUENCE).is_err());
        }
        assert_eq!(
            Reader::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).read_any().err(),
            Some(DerError::BadLength)
        );
    }

    #[test]
    fn oids_and_times() {
        assert_eq!(
            oid_to_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]).as_deref(),
            Ok("1.2.840.113549.1.1.11")
        );
        let t = Tlv {
            tag: UTC_TIME,
            value: b"491231235959Z",
            raw: &[],
        };
        assert_eq!(time_to_unix(&t), Ok(2_524_607_999));
        let t = Tlv {
            tag: UTC_TIME,
            value: b"500101000000Z",
            raw: &[],
        };
        assert_eq!(time_to_unix(&t), Ok(-631_152_000));
        let g = |s: &'static [u8]| Tlv {
            tag: GENERALIZED_TIME,
            value: s,
            raw: &[],
        };
        assert_eq!(time_to_unix(&g(b"20240229120000Z")), Ok(1_709_208_000));
        assert!(time_to_unix(&g(b"20230229120000Z")).is_err());
        assert!(time_to_unix(&g(b"20231301000000Z")).is_err());
        assert!(time_to_unix(&g(b"2023010100000Z")).is_err());
        assert!(time_to_unix(&g(b"20230101000000+")).is_err());
        // Agrees with the time crate over a range of dates.
        for days in (-40_000i64..40_000).step_by(7) {
            let t = days * 86_400 + 3_723;
            let d = time::OffsetDateTime::from_unix_timestamp(t).expect("in range");
            let s = format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}Z",
                d.year(),
                u8::from(d.month()),
                d.day(),
                d.hour(),
                d.minute(),
                d.second()
            );
            let tlv = Tlv {
                tag: GENERALIZED_TIME,
                value: s.as_bytes(),
                raw: &[],
            };
            assert_eq!(time_to_unix(&tlv), Ok(t), "{s}");
        }
    }
}
