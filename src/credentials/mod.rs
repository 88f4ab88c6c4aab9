//! Key and credential files: a signer's private key and certificates as they arrive on disk — unencrypted PKCS#8
//! PEM, PKCS#12 from OpenSSL, and the NCA's own PKCS#12 files (BER, legacy ciphers, GOST keys).
//!
//! Above `pki` (a credential pairs a key with its parsed certificate) and below `cms` and `seal` (which sign
//! with one), so that `crypto` stays the signature algorithms alone. See ARCHITECTURE.md.

#![warn(missing_docs)]

pub(crate) mod keyfile;
pub(crate) mod pkcs12;

pub use keyfile::read_signing_identity;
pub(crate) use keyfile::SigningIdentity;
