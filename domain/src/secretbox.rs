//! Credentials at rest: AES-256-GCM with a key from configuration.
//!
//! Data-source connection strings carry passwords; they are stored only as
//! `base64(nonce || ciphertext)` and decrypted in memory when a connection is opened. The
//! API never returns them, only a redacted form.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Encrypts and decrypts secrets with one key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// A box whose key is the SHA-256 of `key_material` (any length, e.g. 32+ random characters).
    pub fn new(key_material: &[u8]) -> Self {
        let key = Sha256::digest(key_material);
        // A 32-byte key always fits AES-256.
        let cipher = Aes256Gcm::new(&key);
        SecretBox { cipher }
    }

    /// `base64(nonce || ciphertext)`.
    pub fn seal(&self, plaintext: &str) -> Result<String> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| Error::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(STANDARD.encode(out))
    }

    /// Decrypts what [`SecretBox::seal`] produced.
    pub fn open(&self, sealed: &str) -> Result<String> {
        let raw = STANDARD
            .decode(sealed)
            .map_err(|_| Error::Internal("sealed secret is not base64".into()))?;
        if raw.len() < 13 {
            return Err(Error::Internal("sealed secret too short".into()));
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| Error::Internal("cannot decrypt a stored credential: wrong ECOGOV_CREDENTIALS_KEY?".into()))?;
        String::from_utf8(pt).map_err(|_| Error::Internal("decrypted secret is not UTF-8".into()))
    }
}

/// A connection URL without its password, for display.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_key() {
        let b = SecretBox::new(b"key one");
        let sealed = b.seal("postgres://etl:s3cret@10.1.2.3/air").unwrap_or_default();
        assert!(!sealed.contains("s3cret"));
        assert_eq!(
            b.open(&sealed).ok().as_deref(),
            Some("postgres://etl:s3cret@10.1.2.3/air")
        );
        assert!(SecretBox::new(b"key two").open(&sealed).is_err());
        assert_ne!(b.seal("x").ok(), b.seal("x").ok(), "fresh nonce each time");
        assert_eq!(
            redact_url("mysql://root:pw@127.0.0.1:3306/test"),
            "mysql://root:***@127.0.0.1:3306/test"
        );
        assert_eq!(redact_url("sqlite:///data/x.db"), "sqlite:///data/x.db");
    }
}
