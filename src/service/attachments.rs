//! Where applications' attachments live: files named by their SHA-256 in the data directory, never in the registry
//! (a 20 MB scan has no business in a SQLite page cache, nor in a backup of the numbers).
//!
//! A portal uploads a file first (`POST /v1/attachments`, streamed to `tmp/` while it is hashed, then renamed into
//! `incoming/<sha256>`); the applicant's signed application then lists it by name, type, size and SHA-256, so the
//! signature covers the file. When the application is submitted each listed file is read again, its digest, size
//! and type checked, and it is linked into `kept/` — from then on it belongs to an application and is never
//! removed. What was uploaded and never claimed is swept from `incoming/` after a day. The names are the digests,
//! so a file is stored once however many times it is uploaded or attached, and a file on disk that no longer
//! hashes to its name is refused rather than served.
//!
//! The store is one directory on one machine; several nodes share it as a network file system (issue 19).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::issuance::{AttachedFile, MediaType};

/// The limits of attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// The largest file, in bytes (20 MB).
    pub max_bytes: u64,
    /// The most all the files of one application may weigh together (50 MB).
    pub max_request_bytes: u64,
    /// How long an uploaded file waits for an application to claim it (24 hours).
    pub keep_unclaimed_secs: u64,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits {
            max_bytes: 20 * 1024 * 1024,
            max_request_bytes: 50 * 1024 * 1024,
            keep_unclaimed_secs: 24 * 3600,
        }
    }
}

/// Why a listed attachment cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// No file with that digest was uploaded (or it was swept).
    #[error("attachment {0:?}: no uploaded file has its SHA-256 (upload it with POST /v1/attachments first)")]
    Missing(String),
    /// The file is not what the application says (size or type), or no longer hashes to its name.
    #[error("attachment {name:?}: {what}")]
    Mismatch {
        /// The attachment's name.
        name: String,
        /// What differs.
        what: String,
    },
    /// The store failed.
    #[error("attachment store: {0}")]
    Io(#[from] std::io::Error),
}

/// The attachments' directory.
#[derive(Debug)]
pub struct AttachmentStore {
    dir: PathBuf,
    limits: AttachmentLimits,
    /// Removed with the store: a store of its own for a node without a data directory (tests, benches).
    temporary: bool,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl AttachmentStore {
    /// The store in `dir` (created, with `tmp/`, `incoming/` and `kept/`).
    pub fn open(dir: &Path, limits: AttachmentLimits) -> std::io::Result<AttachmentStore> {
        for sub in ["tmp", "incoming", "kept"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        Ok(AttachmentStore {
            dir: dir.to_path_buf(),
            limits,
            temporary: false,
        })
    }

    /// A store of its own in the system's temporary directory, removed when dropped: for a node without a data
    /// directory (an in-memory registry).
    pub fn temporary() -> std::io::Result<AttachmentStore> {
        let dir = std::env::temp_dir().join(format!(
            "qoltanba-attachments-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut store = AttachmentStore::open(&dir, AttachmentLimits::default())?;
        store.temporary = true;
        Ok(store)
    }

    /// The same store with other limits.
    pub fn with_limits(mut self, limits: AttachmentLimits) -> AttachmentStore {
        self.limits = limits;
        self
    }

    /// Its limits.
    pub fn limits(&self) -> AttachmentLimits {
        self.limits
    }

    /// A fresh path in `tmp/` for an upload in progress.
    pub fn upload_path(&self) -> PathBuf {
        self.dir.join("tmp").join(format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// Files an upload written to `tmp` whose bytes hash to `sha256` under its digest in `incoming/` (or drops it
    /// when the same file is already stored).
    pub fn finish_upload(&self, tmp: &Path, sha256: &[u8; 32]) -> std::io::Result<()> {
        let name = crate::encoding::hex(sha256);
        if self.dir.join("kept").join(&name).exists() {
            return std::fs::remove_file(tmp);
        }
        std::fs::rename(tmp, self.dir.join("incoming").join(name))
    }

    fn find(&self, sha256: &[u8; 32]) -> Option<(PathBuf, bool)> {
        let name = crate::encoding::hex(sha256);
        let kept = self.dir.join("kept").join(&name);
        if kept.is_file() {
            return Some((kept, true));
        }
        let incoming = self.dir.join("incoming").join(&name);
        incoming.is_file().then_some((incoming, false))
    }

    /// Checks that the uploaded file `attachment` lists is the one it describes — its bytes hash to the digest, its
    /// size and its first bytes' type are the listed ones — and keeps it for good (linked into `kept/`).
    pub fn claim(
        &self,
        attachment: &AttachedFile,
        cancel: &crate::cancel::Cancel,
    ) -> Result<(), AttachmentError> {
        let (path, kept) = self
            .find(&attachment.sha256)
            .ok_or_else(|| AttachmentError::Missing(attachment.name.clone()))?;
        let mismatch = |what: String| AttachmentError::Mismatch {
            name: attachment.name.clone(),
            what,
        };
        let mut file = std::fs::File::open(&path)?;
        let size = file.metadata()?.len();
        if size != attachment.size {
            return Err(mismatch(format!(
                "the file has {size} bytes, the application says {}",
                attachment.size
            )));
        }
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buf = vec![0u8; 256 * 1024];
        let mut head = Vec::new();
        loop {
            cancel
                .check()
                .map_err(|_| std::io::Error::other("cancelled"))?;
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let chunk = buf.get(..n).unwrap_or_default();
            if head.len() < 8 {
                head.extend(chunk.iter().take(8 - head.len()));
            }
            digest.update(chunk);
        }
        if digest.finish().as_ref() != attachment.sha256 {
            return Err(mismatch(
                "the stored file no longer hashes to its name".into(),
            ));
        }
        match MediaType::sniff(&head) {
            Some(t) if t == attachment.media_type => {}
            found => {
                return Err(mismatch(format!(
                    "the file is {}, the application says {}",
                    found.map_or("of no accepted type", MediaType::as_str),
                    attachment.media_type.as_str()
                )))
            }
        }
        if !kept {
            let to = self
                .dir
                .join("kept")
                .join(crate::encoding::hex(&attachment.sha256));
            // A hard link, so an upload claimed twice at once is kept by both; then the incoming name goes.
            match std::fs::hard_link(&path, &to) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e.into()),
            }
            let _ = std::fs::remove_file(&path);
        }
        Ok(())
    }

    /// The kept file with this digest, opened for reading.
    pub fn open_kept(&self, sha256: &[u8; 32]) -> std::io::Result<std::fs::File> {
        std::fs::File::open(self.dir.join("kept").join(crate::encoding::hex(sha256)))
    }

    /// Removes uploads no application claimed within the limit, and uploads abandoned half-way; returns how many.
    pub fn sweep(&self, now: std::time::SystemTime) -> usize {
        let max_age = std::time::Duration::from_secs(self.limits.keep_unclaimed_secs);
        let mut removed = 0;
        for sub in ["incoming", "tmp"] {
            let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| now.duration_since(t).ok())
                    .is_some_and(|age| age > max_age);
                if old && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }
}

impl Drop for AttachmentStore {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(store: &AttachmentStore, bytes: &[u8]) -> [u8; 32] {
        let tmp = store.upload_path();
        std::fs::write(&tmp, bytes).expect("write");
        let sha = crate::encoding::sha256(bytes);
        store.finish_upload(&tmp, &sha).expect("finish");
        sha
    }

    fn listed(name: &str, bytes: &[u8], media_type: MediaType) -> AttachedFile {
        AttachedFile {
            name: name.into(),
            media_type,
            size: bytes.len() as u64,
            sha256: crate::encoding::sha256(bytes),
        }
    }

    #[test]
    fn a_claimed_upload_is_kept_and_a_changed_or_mislabelled_one_is_refused() {
        let store = AttachmentStore::temporary().expect("store");
        let never = crate::cancel::Cancel::never();
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec();
        upload(&store, &pdf);
        // Listed as another type, or with another size: refused, and the upload is still there.
        let as_png = listed("scan.png", &pdf, MediaType::Png);
        assert!(matches!(
            store.claim(&as_png, &never),
            Err(AttachmentError::Mismatch { .. })
        ));
        let mut longer = listed("diploma.pdf", &pdf, MediaType::Pdf);
        longer.size += 1;
        assert!(matches!(
            store.claim(&longer, &never),
            Err(AttachmentError::Mismatch { .. })
        ));
        // One byte changed: another digest, not the file signed.
        let mut changed = pdf.clone();
        changed[10] ^= 1;
        assert!(matches!(
            store.claim(&listed("diploma.pdf", &changed, MediaType::Pdf), &never),
            Err(AttachmentError::Missing(_))
        ));
        // The file as listed: kept, twice (two applications may attach the same file).
        let ok = listed("diploma.pdf", &pdf, MediaType::Pdf);
        store.claim(&ok, &never).expect("claimed");
        store.claim(&ok, &never).expect("claimed again");
        let mut back = Vec::new();
        store
            .open_kept(&ok.sha256)
            .expect("kept")
            .read_to_end(&mut back)
            .expect("read");
        assert_eq!(back, pdf);
        // A kept file altered on disk no longer hashes to its name: refused, not served as the signed one.
        std::fs::write(
            store
                .dir
                .join("kept")
                .join(crate::encoding::hex(&ok.sha256)),
            &changed,
        )
        .expect("tamper");
        assert!(matches!(
            store.claim(&ok, &never),
            Err(AttachmentError::Mismatch { .. })
        ));
    }

    #[test]
    fn the_sweep_removes_only_unclaimed_uploads_past_their_time() {
        let store = AttachmentStore::temporary().expect("store");
        let never = crate::cancel::Cancel::never();
        let png = b"\x89PNG\r\n\x1a\n-image-".to_vec();
        let jpeg = b"\xFF\xD8\xFF\xE0-image-".to_vec();
        upload(&store, &png);
        upload(&store, &jpeg);
        store
            .claim(&listed("photo.jpg", &jpeg, MediaType::Jpeg), &never)
            .expect("claimed");
        let now = std::time::SystemTime::now();
        assert_eq!(store.sweep(now), 0, "nothing is a day old yet");
        let later = now + std::time::Duration::from_secs(25 * 3600);
        assert_eq!(store.sweep(later), 1, "the unclaimed PNG goes");
        assert!(matches!(
            store.claim(&listed("p.png", &png, MediaType::Png), &never),
            Err(AttachmentError::Missing(_))
        ));
        store
            .claim(&listed("photo.jpg", &jpeg, MediaType::Jpeg), &never)
            .expect("the claimed file stays");
    }
}
