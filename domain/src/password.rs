//! Passwords: the complexity policy of GB/T 22239-2019 and argon2 hashing.
//!
//! A [`Password`] can only be built through [`Password::parse`], which enforces the policy:
//! at least 10 characters with at least three of upper case, lower case, digits and symbols,
//! and not containing the username.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::rngs::OsRng;

use crate::{Error, Result};

/// Minimum length.
pub const MIN_LEN: usize = 10;

/// A password that satisfies the policy.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks the policy for `username`.
    pub fn parse(raw: &str, username: &str) -> Result<Self> {
        let mut broken = Vec::new();
        if raw.chars().count() < MIN_LEN {
            broken.push("长度至少 10 位");
        }
        let classes = [
            raw.chars().any(|c| c.is_ascii_uppercase()),
            raw.chars().any(|c| c.is_ascii_lowercase()),
            raw.chars().any(|c| c.is_ascii_digit()),
            raw.chars().any(|c| !c.is_ascii_alphanumeric()),
        ];
        if classes.iter().filter(|c| **c).count() < 3 {
            broken.push("需包含大写字母、小写字母、数字、特殊字符中的至少三类");
        }
        if !username.is_empty() && raw.to_lowercase().contains(&username.to_lowercase()) {
            broken.push("不得包含用户名");
        }
        if broken.is_empty() {
            Ok(Password(raw.to_owned()))
        } else {
            Err(Error::WeakPassword(broken))
        }
    }

    /// Argon2id hash in PHC string format.
    pub fn hash(&self) -> Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("argon2: {e}")))
    }

    /// A random password that satisfies the policy (first-start admin password).
    pub fn generate() -> String {
        use rand::Rng;
        const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
        const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
        const DIGIT: &[u8] = b"23456789";
        const SYMBOL: &[u8] = b"!@#%+=";
        let mut rng = rand::thread_rng();
        let mut pick = |set: &[u8]| set[rng.gen_range(0..set.len())] as char;
        let mut s = String::new();
        for _ in 0..4 {
            s.push(pick(UPPER));
            s.push(pick(LOWER));
            s.push(pick(DIGIT));
        }
        s.push(pick(SYMBOL));
        s
    }
}

/// Verifies `raw` against a stored hash. A malformed hash never verifies.
pub fn verify(raw: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(raw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(Password::parse("short1A!", "bob").is_err());
        assert!(Password::parse("alllowercaseletters", "bob").is_err());
        assert!(Password::parse("Bob-is-Great-2026", "bob").is_err());
        assert!(Password::parse("Wuhan-Eco-2026", "bob").is_ok());
        let generated = Password::generate();
        assert!(Password::parse(&generated, "admin").is_ok(), "{generated}");
    }

    #[test]
    fn hash_and_verify() {
        let p = Password::parse("Wuhan-Eco-2026", "bob").unwrap_or_else(|_| unreachable!());
        let h = p.hash().unwrap_or_default();
        assert!(verify("Wuhan-Eco-2026", &h));
        assert!(!verify("Wuhan-Eco-2025", &h));
        assert!(!verify("x", "not-a-hash"));
    }
}
