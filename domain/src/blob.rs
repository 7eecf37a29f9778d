//! Evidence blobs on local disk, addressed by their SHA-256.
//!
//! A blob is written to a temporary file and renamed into place, so a crash never leaves a
//! half-written blob under its final name. Identical content is stored once.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Largest accepted blob (evidence files): 20 MiB.
pub const MAX_BLOB_BYTES: usize = 20 * 1024 * 1024;

/// Content-addressed blob directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// A store under `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join(prefix).join(sha256)
    }

    /// Stores `bytes`; returns their lower-case hex SHA-256.
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        if bytes.len() > MAX_BLOB_BYTES {
            return Err(Error::invalid("file", "文件超过 20 MiB 上限"));
        }
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.path_of(&sha);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(sha);
        }
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::new_v4()));
        tokio::fs::write(&tmp, bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)?;
        Ok(sha)
    }

    /// Reads a blob back and checks its digest.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::NotFound("attachment"));
        }
        let bytes = tokio::fs::read(self.path_of(sha256))
            .await
            .map_err(|_| Error::NotFound("attachment"))?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(Error::Internal(format!("blob {sha256} is corrupt")));
        }
        Ok(bytes)
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Internal(format!("blob store: {e}"))
}
