//! Bearer tokens: a session id and expiry signed with HMAC-SHA256.
//!
//! The token only proves which session it names; the session row decides whether it is
//! still valid (logout, revocation, idle timeout). Format:
//! `base64url(json payload) "." base64url(hmac)`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Session identifier (random).
    pub sid: String,
    /// User id.
    pub uid: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

/// Signs and checks tokens with a secret key.
#[derive(Clone)]
pub struct TokenSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(***)")
    }
}

impl TokenSigner {
    /// A signer over `key`.
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so construction cannot fail.
        match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }

    /// Produces a token for the claims.
    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let body = URL_SAFE_NO_PAD.encode(&payload);
        let sig = URL_SAFE_NO_PAD.encode(self.mac(body.as_bytes()));
        format!("{body}.{sig}")
    }

    /// Returns the claims if the signature is valid and the token has not expired.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let (body, sig) = token.split_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).ok()?;
        mac.update(body.as_bytes());
        mac.verify_slice(&sig).ok()?;
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        (claims.exp > now.timestamp()).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_tamper_expire() {
        let s = TokenSigner::new(b"k1");
        let now = Utc::now();
        let c = Claims {
            sid: "abc".into(),
            uid: 7,
            exp: now.timestamp() + 60,
        };
        let t = s.sign(&c);
        assert_eq!(s.verify(&t, now), Some(c.clone()));
        assert_eq!(TokenSigner::new(b"k2").verify(&t, now), None);
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"sid":"abc","uid":1,"exp":9999999999}"#),
            t.split_once('.').map(|x| x.1).unwrap_or("")
        );
        assert_eq!(s.verify(&forged, now), None);
        assert_eq!(s.verify(&t, now + chrono::Duration::seconds(61)), None);
    }
}
