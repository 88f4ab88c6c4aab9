//! BER to DER, for the NCA's PKCS#12 key files: they use indefinite lengths and constructed OCTET STRINGs, which
//! DER parsers (the PKCS#12 reader among them) refuse. Converting keeps every content octet, so the file's MAC,
//! computed over the contents, still verifies. Bounded in depth and size against hostile input.

use super::{push_length, DerError};

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 64;

/// Re-encodes BER `input` (one element, nothing after it) as DER: definite lengths, constructed strings joined into
/// primitive ones. Definite-length input comes back unchanged.
pub(crate) fn ber_to_der(input: &[u8]) -> Result<Vec<u8>, DerError> {
    let mut out = Vec::with_capacity(input.len());
    let used = element(input, 0, &mut out)?;
    if used != input.len() {
        return Err(DerError::BadValue("bytes after the element"));
    }
    Ok(out)
}

/// The header: (identifier octets, constructed, length or None for indefinite, header size).
fn header(data: &[u8]) -> Result<(Vec<u8>, bool, Option<usize>, usize), DerError> {
    let first = *data.first().ok_or(DerError::Truncated)?;
    let mut id = vec![first];
    let mut pos = 1;
    if first & 0x1f == 0x1f {
        loop {
            let b = *data.get(pos).ok_or(DerError::Truncated)?;
            id.push(b);
            pos += 1;
            if b & 0x80 == 0 {
                break;
            }
            if id.len() > 6 {
                return Err(DerError::BadValue("tag number too large"));
            }
        }
    }
    let constructed = first & 0x20 != 0;
    let l = *data.get(pos).ok_or(DerError::Truncated)?;
    pos += 1;
    let len = match l {
        0x80 if constructed => None,
        0x80 => return Err(DerError::BadLength),
        l if l < 0x80 => Some(l as usize),
        l => {
            let n = (l & 0x7f) as usize;
            if n > 4 {
                return Err(DerError::BadLength);
            }
            let bytes = data.get(pos..pos + n).ok_or(DerError::Truncated)?;
            pos += n;
            Some(bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize))
        }
    };
    Ok((id, constructed, len, pos))
}

/// Converts the element at the start of `data` into `out`; returns how many input bytes it took.
fn element(data: &[u8], depth: usize, out: &mut Vec<u8>) -> Result<usize, DerError> {
    if depth > MAX_DEPTH {
        return Err(DerError::BadValue("nesting too deep"));
    }
    let (id, constructed, len, hlen) = header(data)?;
    if !constructed {
        let len = len.ok_or(DerError::BadLength)?;
        let end = hlen.checked_add(len).ok_or(DerError::BadLength)?;
        let value = data.get(hlen..end).ok_or(DerError::Truncated)?;
        out.extend_from_slice(&id);
        push_length(out, len);
        out.extend_from_slice(value);
        return Ok(end);
    }
    // The children, converted; for indefinite lengths, up to the end-of-contents octets.
    let mut children = Vec::new();
    let mut pos = hlen;
    match len {
        Some(len) => {
            let end = hlen.checked_add(len).ok_or(DerError::BadLength)?;
            if end > data.len() {
                return Err(DerError::Truncated);
            }
            while pos < end {
                pos += element(&data[pos..end], depth + 1, &mut children)?;
            }
        }
        None => loop {
            match data.get(pos..pos + 2) {
                Some([0, 0]) => {
                    pos += 2;
                    break;
                }
                Some(_) => pos += element(&data[pos..], depth + 1, &mut children)?,
                None => return Err(DerError::Truncated),
            }
        },
    }
    // Constructed OCTET STRING / BIT STRING (universal 4 / 3): DER wants one primitive string.
    let universal_string = id.len() == 1 && (id[0] == 0x24 || id[0] == 0x23);
    if universal_string {
        let mut joined = Vec::new();
        let mut r = crate::encoding::asn1::Reader::new(&children);
        let mut first_bits = true;
        while !r.is_empty() {
            let seg = r.read_any()?;
            if seg.tag != id[0] & !0x20 {
                return Err(DerError::BadValue(
                    "a constructed string holds another type",
                ));
            }
            if id[0] == 0x23 {
                // BIT STRING segments: only the last may have unused bits; keep the first's count byte once.
                let (unused, bits) = seg.value.split_first().ok_or(DerError::Truncated)?;
                if first_bits {
                    joined.push(0);
                    first_bits = false;
                }
                joined[0] = *unused;
                joined.extend_from_slice(bits);
            } else {
                joined.extend_from_slice(seg.value);
            }
        }
        out.push(id[0] & !0x20);
        push_length(out, joined.len());
        out.extend_from_slice(&joined);
    } else {
        out.extend_from_slice(&id);
        push_length(out, children.len());
        out.extend_from_slice(&children);
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indefinite_lengths_and_constructed_strings_become_der() {
        // SEQUENCE (indefinite) { OCTET STRING constructed (indefinite) { "ab", "c" }, INTEGER 5 }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x02,
            0x01, 0x05, 0x00, 0x00,
        ];
        let der = ber_to_der(&ber).expect("converts");
        assert_eq!(
            der,
            [0x30, 0x08, 0x04, 0x03, b'a', b'b', b'c', 0x02, 0x01, 0x05]
        );
        // DER stays as it is.
        assert_eq!(ber_to_der(&der).expect("der"), der);
    }

    #[test]
    fn hostile_input_is_an_error() {
        assert!(ber_to_der(&[]).is_err());
        assert!(ber_to_der(&[0x30, 0x80, 0x02, 0x01, 0x05]).is_err()); // no end-of-contents
        assert!(ber_to_der(&[0x04, 0x80, 0x00, 0x00]).is_err()); // indefinite primitive
        assert!(ber_to_der(&[0x30, 0x05, 0x02, 0x01]).is_err()); // truncated
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 200)
            .flatten()
            .chain(std::iter::repeat_n(0u8, 400))
            .collect();
        assert!(ber_to_der(&deep).is_err());
        assert!(ber_to_der(&[0x02, 0x01, 0x05, 0x00]).is_err()); // trailing byte
                                                                 // Lengths of more than four octets are refused; the largest four-octet one is only truncated input.
        for (tag, octets) in [(0x04, 8), (0x30, 8), (0x04, 4), (0x30, 4)] {
            let mut huge = vec![tag, 0x80 | octets];
            huge.extend(std::iter::repeat_n(0xff, usize::from(octets)));
            assert!(ber_to_der(&huge).is_err());
        }
    }
}
