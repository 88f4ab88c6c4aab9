//! PEM text (RFC 7468) to DER, through the `pem` crate, checked against the labels the caller expects.
//!
//! Text outside the blocks is ignored, as RFC 7468 allows (OpenSSL writes "Bag Attributes" before a key); a block
//! with another label, one that never ends, or one that is empty is an error. Input that starts with a DER
//! SEQUENCE and holds no PEM header is taken as DER, so every file option accepts both.

use thiserror::Error;

/// Why PEM input gave no DER.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PemError {
    /// Nothing but whitespace.
    #[error("input is empty")]
    Empty,
    /// Bytes that are neither UTF-8 text nor a DER SEQUENCE.
    #[error("neither DER nor PEM text")]
    NotText,
    /// Text without a PEM block.
    #[error("no PEM block ({expected}) and not DER")]
    NoBlock {
        /// The labels that were expected.
        expected: String,
    },
    /// A block with a label the caller does not read.
    #[error("PEM block \"{found}\" where {expected} was expected")]
    WrongLabel {
        /// The block's label.
        found: String,
        /// The labels that were expected.
        expected: String,
    },
    /// A BEGIN line without its END line.
    #[error("a PEM block has no END line")]
    Unterminated,
    /// A block with no contents.
    #[error("PEM block \"{0}\" is empty")]
    EmptyBlock(String),
    /// Anything else the PEM parser refused (bad base64, mismatched labels).
    #[error("bad PEM: {0}")]
    Bad(String),
}

/// The DER of `data`'s PEM blocks, each labelled with one of `labels`, in order; DER input comes back as one block.
pub fn der_blocks(data: &[u8], labels: &[&str]) -> Result<Vec<Vec<u8>>, PemError> {
    let first = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or(PemError::Empty)?;
    let has_header = data.windows(11).any(|w| w == b"-----BEGIN ");
    if data[first] == 0x30 && !has_header {
        return Ok(vec![data.to_vec()]);
    }
    if std::str::from_utf8(data).is_err() {
        return Err(PemError::NotText);
    }
    let expected = || labels.join(" or ");
    let blocks = ::pem::parse_many(data).map_err(|e| PemError::Bad(e.to_string()))?;
    let headers = data.windows(11).filter(|w| *w == b"-----BEGIN ").count();
    if blocks.len() < headers {
        return Err(PemError::Unterminated);
    }
    if blocks.is_empty() {
        return Err(PemError::NoBlock {
            expected: expected(),
        });
    }
    blocks
        .into_iter()
        .map(|block| {
            if !labels.contains(&block.tag()) {
                return Err(PemError::WrongLabel {
                    found: block.tag().to_string(),
                    expected: expected(),
                });
            }
            if block.contents().is_empty() {
                return Err(PemError::EmptyBlock(block.tag().to_string()));
            }
            Ok(block.into_contents())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";

    #[test]
    fn blocks_are_read_in_order_and_text_around_them_ignored() {
        let two = format!("Bag Attributes\n  friendlyName: x\n{CERT}between\n{CERT}");
        let blocks = der_blocks(two.as_bytes(), &["CERTIFICATE"]).expect("blocks");
        assert_eq!(blocks, vec![vec![0x30, 3, 2, 1, 1]; 2]);
    }

    #[test]
    fn der_is_one_block() {
        assert_eq!(
            der_blocks(&[0x30, 0], &["CERTIFICATE"]),
            Ok(vec![vec![0x30, 0]])
        );
    }

    #[test]
    fn wrong_labels_unterminated_empty_and_garbage_are_errors() {
        assert!(matches!(
            der_blocks(CERT.as_bytes(), &["X509 CRL"]),
            Err(PemError::WrongLabel { .. })
        ));
        assert_eq!(
            der_blocks(b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n", &["CERTIFICATE"]),
            Err(PemError::Unterminated)
        );
        assert_eq!(
            der_blocks(
                b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
                &["CERTIFICATE"]
            ),
            Err(PemError::EmptyBlock("CERTIFICATE".into()))
        );
        assert!(der_blocks(
            b"-----BEGIN CERTIFICATE-----\nMAMC!!AQE=\n-----END CERTIFICATE-----\n",
            &["CERTIFICATE"]
        )
        .is_err());
        assert_eq!(der_blocks(b"  \n", &["CERTIFICATE"]), Err(PemError::Empty));
        assert!(matches!(
            der_blocks(b"hello", &["CERTIFICATE"]),
            Err(PemError::NoBlock { .. })
        ));
    }
}
