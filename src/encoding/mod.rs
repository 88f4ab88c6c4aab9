//! The bottom layer: encodings every other layer reads or writes, with no knowledge of what they carry.
//!
//! - [`asn1`]: a bounds-checked DER reader and writer, and BER-to-DER for the NCA's key files. Named for the
//!   notation, not `der`, so it never shadows the `der` crate that the CMS and X.509 structures use.
//! - [`pem`]: PEM text to DER blocks, through the `pem` crate, with the labels a caller expects.
//! - [`hex`] and [`sha256`]: fingerprints, serials and the digests tokens and caches are keyed by.

#![warn(missing_docs)]

pub mod asn1;
pub mod oid;
pub(crate) mod pem;

/// Lower-case hexadecimal, two digits a byte: how reports print serials and fingerprints.
pub(crate) fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(data.len() * 2);
    for b in data {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_keeps_leading_zeros() {
        assert_eq!(hex(&[0x00, 0x9f, 0xff]), "009fff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn sha256_of_abc_is_the_fips_180_vector() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
