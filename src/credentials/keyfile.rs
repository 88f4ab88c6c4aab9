//! Reading a signing key: PKCS#8 PEM/DER, or PKCS#12 (with the legacy PBE the NCA's key files use: 3DES key bag,
//! RC2-40 certificate bag) together with the certificates it holds.

use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
use thiserror::Error;

use crate::crypto::{signing_key_from_pkcs8, SigningKey};
use crate::pki::Certificate;

/// Why a key file gave no signing key.
#[derive(Debug, Error)]
pub enum KeyFileError {
    /// The file is empty.
    #[error("key file is empty")]
    Empty,
    /// The PEM text could not be read.
    #[error(transparent)]
    Pem(#[from] crate::encoding::pem::PemError),
    #[error("the key is in a traditional format ({0}); convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt")]
    /// A traditional (PKCS#1 or SEC 1) key: named, with the command that converts it.
    Traditional(&'static str),
    #[error("an encrypted PKCS#8 key is not supported; give a PKCS#12 file or an unencrypted PKCS#8 key")]
    /// An encrypted PKCS#8 key.
    EncryptedPkcs8,
    #[error("PKCS#12: {0} (wrong password, or not a PKCS#12 file)")]
    /// The PKCS#12 file could not be opened.
    Pkcs12(String),
    #[error("the PKCS#12 file holds no private key")]
    /// The PKCS#12 file holds no private key.
    NoKey,
    #[error("a PKCS#12 file needs a password (--password)")]
    /// A PKCS#12 file given without a password.
    NeedsPassword,
    #[error("certificate inside the PKCS#12 file: {0}")]
    /// A certificate in the PKCS#12 file could not be parsed.
    Certificate(#[source] crate::pki::CertError),
    #[error("{0}")]
    /// A key of an algorithm we cannot sign with.
    Unsupported(#[source] crate::crypto::CryptoError),
}

/// A key and the certificates that came with it (PKCS#12 only; the signer's own first when it can be told).
pub struct SigningIdentity {
    /// The private key.
    pub key: Box<dyn SigningKey>,
    /// The certificates the file carried.
    pub certificates: Vec<Certificate>,
}

/// Reads a key file's bytes. PEM `PRIVATE KEY` or DER PKCS#8 when no password is given; PKCS#12 otherwise.
pub fn read_signing_identity(
    data: &[u8],
    password: Option<&str>,
) -> Result<SigningIdentity, KeyFileError> {
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(KeyFileError::Empty);
    }
    let text = std::str::from_utf8(data).ok();
    if let Some(text) = text.filter(|t| t.contains("-----BEGIN ")) {
        for (label, name) in [
            ("-----BEGIN RSA PRIVATE KEY-----", "PKCS#1 RSA"),
            ("-----BEGIN EC PRIVATE KEY-----", "SEC1 EC"),
        ] {
            if text.contains(label) {
                return Err(KeyFileError::Traditional(name));
            }
        }
        if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err(KeyFileError::EncryptedPkcs8);
        }
        let der = crate::encoding::pem::der_blocks(data, &["PRIVATE KEY"])
            .map_err(KeyFileError::Pem)?
            .remove(0);
        let key = signing_key_from_pkcs8(&der).map_err(KeyFileError::Unsupported)?;
        return Ok(SigningIdentity {
            key,
            certificates: Vec::new(),
        });
    }
    match password {
        None => {
            // Binary without a password: an unencrypted PKCS#8 DER key, or a PKCS#12 file missing its password.
            match signing_key_from_pkcs8(data) {
                Ok(key) => Ok(SigningIdentity {
                    key,
                    certificates: Vec::new(),
                }),
                Err(_) => Err(KeyFileError::NeedsPassword),
            }
        }
        Some(password) => {
            let store = match KeyStore::from_pkcs12(data, password, Pkcs12ImportPolicy::Relaxed) {
                Ok(store) => store,
                Err(general) => {
                    // NCA key files are BER, which the general reader refuses: read their key bag directly.
                    let file = super::pkcs12::read_key_file(data, password).map_err(|e| {
                        KeyFileError::Pkcs12(format!("{general}; as an NCA key file: {e}"))
                    })?;
                    let key =
                        signing_key_from_pkcs8(&file.key).map_err(KeyFileError::Unsupported)?;
                    let certificates = file
                        .certificates
                        .iter()
                        .map(|der| Certificate::from_der(der).map_err(KeyFileError::Certificate))
                        .collect::<Result<Vec<_>, _>>()?;
                    return Ok(SigningIdentity { key, certificates });
                }
            };
            let (_, chain) = store.private_key_chain().ok_or(KeyFileError::NoKey)?;
            let key =
                signing_key_from_pkcs8(chain.key().as_der()).map_err(KeyFileError::Unsupported)?;
            let certificates = chain
                .certs()
                .iter()
                .map(|c| Certificate::from_der(c.as_der()).map_err(KeyFileError::Certificate))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(SigningIdentity { key, certificates })
        }
    }
}
