//! Reading certificates and CRLs from files and directories, PEM or DER, with size limits and errors that name
//! the file.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::pki::cert::{CertError, Certificate};
use crate::pki::crl::CrlError;

/// Largest certificate file (or PEM bundle) we read.
pub const MAX_CERT_FILE: u64 = 4 * 1024 * 1024;
/// Largest CRL file we read; the NCA's full CRL is about 22 MB.
pub(crate) const MAX_CRL_FILE: u64 = 128 * 1024 * 1024;

/// Why certificate or CRL files could not be read.
#[derive(Debug, Error)]
pub enum InputError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("{path}: file is empty")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    #[error(
        "{path}: file is {size} bytes or more, more than the {limit}-byte limit for this kind of input"
    )]
    /// The file is larger than this kind of input may be.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, or the limit plus one when it grew while read.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not valid PEM.
    #[error("{path}: {source}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// Why its PEM is malformed.
        #[source]
        source: crate::encoding::pem::PemError,
    },
    /// The file holds something that is not a certificate this reader accepts.
    #[error("{path}: {source}")]
    Cert {
        /// The file.
        path: PathBuf,
        /// Why the certificate cannot be read.
        #[source]
        source: CertError,
    },
    /// The file holds something that is not a CRL this reader accepts.
    #[error("{path}: {source}")]
    Crl {
        /// The file.
        path: PathBuf,
        /// Why the CRL cannot be read.
        #[source]
        source: CrlError,
    },
    /// The directory holds no files.
    #[error("{path}: directory holds no files")]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },
}

/// Files to read for a path: the file itself, or the regular files of a directory in name order.
fn files_of(path: &Path) -> Result<Vec<PathBuf>, InputError> {
    let meta = std::fs::metadata(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let entries = std::fs::read_dir(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| InputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let p = entry.path();
        let is_hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if p.is_file() && !is_hidden {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(InputError::EmptyDirectory {
            path: path.to_path_buf(),
        });
    }
    Ok(files)
}

/// Reads a whole file, refusing files above `limit` before reading them.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    // The metadata's length is a hint only (a pipe or /dev/zero has none, a file may grow): the reader itself stops
    // one byte past the limit.
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    if hint > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: hint,
            limit,
        });
    }
    let mut data = Vec::with_capacity(usize::try_from(hint.min(limit)).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: data.len() as u64,
            limit,
        });
    }
    if data.is_empty() {
        return Err(InputError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(data)
}

/// Parses certificates from bytes (one DER certificate or PEM with one or more).
pub(crate) fn parse_certificates(data: &[u8], path: &Path) -> Result<Vec<Certificate>, InputError> {
    let blocks = crate::encoding::pem::der_blocks(
        data,
        &["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"],
    )
    .map_err(|source| InputError::Pem {
        path: path.to_path_buf(),
        source,
    })?;
    blocks
        .iter()
        .map(|der| {
            Certificate::from_der(der).map_err(|source| InputError::Cert {
                path: path.to_path_buf(),
                source,
            })
        })
        .collect()
}

/// Loads every certificate of a file or directory.
pub fn load_certificates(path: &Path) -> Result<Vec<Certificate>, InputError> {
    let mut out = Vec::new();
    for file in files_of(path)? {
        let data = read_limited(&file, MAX_CERT_FILE)?;
        out.extend(parse_certificates(&data, &file)?);
    }
    Ok(out)
}

/// Loads the DER of every CRL of a file or directory (parsed once, by the trust store builder).
pub fn load_crls(path: &Path) -> Result<Vec<Vec<u8>>, InputError> {
    let mut out = Vec::new();
    for file in files_of(path)? {
        let data = read_limited(&file, MAX_CRL_FILE)?;
        let blocks = crate::encoding::pem::der_blocks(&data, &["X509 CRL"]).map_err(|source| {
            InputError::Pem {
                path: file.clone(),
                source,
            }
        })?;
        out.extend(blocks);
    }
    Ok(out)
}

/// Builds a trust store from files or directories of anchors, intermediates and CRLs.
pub fn build_store(
    trust: &[PathBuf],
    intermediates: &[PathBuf],
    crls: &[PathBuf],
) -> Result<crate::pki::TrustStore, InputError> {
    let mut builder = crate::pki::TrustStore::builder();
    for path in trust {
        for cert in load_certificates(path)? {
            builder.add_anchor(cert);
        }
    }
    for path in intermediates {
        for cert in load_certificates(path)? {
            builder.add_intermediate(cert);
        }
    }
    for path in crls {
        for der in load_crls(path)? {
            builder.add_crl_der(der).map_err(|source| InputError::Crl {
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(builder.build())
}
