//! Typed settings, loaded once in `main` and passed down.
//!
//! Precedence: built-in defaults < `ecogov.toml` (or `--config`) < `ECOGOV_*` environment <
//! command-line flags. Production mode refuses unsafe settings at start-up.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

/// A secret string that never prints.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How ecogov runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// SQLite, SQLite queue, .eml files, local blobs: nothing to install.
    #[default]
    Embedded,
    /// PostgreSQL, Redis, SMTP.
    Production,
}

/// Everything configurable, as read from file and environment (all optional).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RawSettings {
    pub mode: Option<Mode>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    pub redis_namespace: Option<String>,
    pub smtp_url: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub mail_from: Option<String>,
    pub signing_key: Option<Secret>,
    pub credentials_key: Option<Secret>,
    pub admin_password: Option<Secret>,
    pub audit_algorithm: Option<String>,
    pub demo: Option<bool>,
    pub graphiql: Option<bool>,
    pub scan_every_secs: Option<u64>,
    pub relay_every_secs: Option<u64>,
    pub drift_every_minutes: Option<u64>,
    pub idle_timeout_minutes: Option<i64>,
    pub token_ttl_hours: Option<i64>,
    pub lockout_minutes: Option<i64>,
    pub max_failed_logins: Option<u32>,
    pub max_failed_logins_per_address: Option<u32>,
    pub config: Option<PathBuf>,
}

impl RawSettings {
    /// Fields set in `other` win.
    pub fn merge(mut self, other: RawSettings) -> Self {
        macro_rules! take { ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* } }
        take!(
            credentials_key,
            token_ttl_hours,
            mode,
            data_dir,
            database_url,
            redis_url,
            redis_namespace,
            smtp_url,
            listen,
            public_url,
            mail_from,
            signing_key,
            admin_password,
            audit_algorithm,
            demo,
            graphiql,
            scan_every_secs,
            relay_every_secs,
            drift_every_minutes,
            idle_timeout_minutes,
            lockout_minutes,
            max_failed_logins,
            max_failed_logins_per_address,
            config
        );
        self
    }
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Run mode.
    pub mode: Mode,
    /// Data directory (SQLite file, blobs, .eml outbox, signing key).
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: String,
    /// Redis URL (production queue); None = SQLite queue.
    pub redis_url: Option<String>,
    /// Redis key namespace of the queue.
    pub redis_namespace: String,
    /// SMTP URL; None = .eml files under `data_dir/mail`.
    pub smtp_url: Option<String>,
    /// Listen address.
    pub listen: String,
    /// Base URL for links in emails.
    pub public_url: String,
    /// Sender address.
    pub mail_from: String,
    /// Token signing key; None = generated and kept in the data directory (embedded only).
    pub signing_key: Option<Secret>,
    /// Key that encrypts data-source credentials at rest; None = generated in the data dir.
    pub credentials_key: Option<Secret>,
    /// First admin's password.
    pub admin_password: Option<Secret>,
    /// sha256 or sm3.
    pub audit_algorithm: String,
    /// Seed demo data on first start.
    pub demo: bool,
    /// Serve GraphiQL on GET /graphql.
    pub graphiql: bool,
    /// SLA scan interval.
    pub scan_every_secs: u64,
    /// Outbox relay interval.
    pub relay_every_secs: u64,
    /// How often each published catalog resource is compared with its tables (minutes).
    pub drift_every_minutes: u64,
    /// Idle session timeout.
    pub idle_timeout_minutes: i64,
    /// Absolute token lifetime.
    pub token_ttl_hours: i64,
    /// Lockout window and duration.
    pub lockout_minutes: i64,
    /// Failed logins per account before lockout.
    pub max_failed_logins: u32,
    /// Failed logins per address before lockout.
    pub max_failed_logins_per_address: u32,
}

/// Signing key values that must never be used in production.
pub const INSECURE_KEYS: &[&str] = &["", "changeme", "change-me", "secret", "dev", "ecogov"];

impl Settings {
    /// Loads file and environment, then applies `flags`.
    pub fn load(flags: RawSettings) -> anyhow::Result<Self> {
        let config_path = flags
            .config
            .clone()
            .or_else(|| std::env::var_os("ECOGOV_CONFIG").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("ecogov.toml"));
        let mut fig = Figment::new();
        if config_path.exists() {
            fig = fig.merge(Toml::file(&config_path));
        }
        let fig = fig.merge(Env::prefixed("ECOGOV_").ignore(&["CONFIG", "TEST_DATABASE_URL", "TEST_REDIS_URL", "LOG"]));
        let raw: RawSettings = fig.extract().with_context(|| {
            format!(
                "invalid configuration (file {}, ECOGOV_* environment)",
                config_path.display()
            )
        })?;
        Self::resolve(raw.merge(flags))
    }

    /// Applies defaults and checks combinations.
    pub fn resolve(raw: RawSettings) -> anyhow::Result<Self> {
        let mode = raw.mode.unwrap_or_default();
        let data_dir = raw.data_dir.unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = raw
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("ecogov.db").display()));
        let listen = raw.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let s = Settings {
            mode,
            public_url: raw.public_url.unwrap_or_else(|| format!("http://{listen}")),
            data_dir,
            database_url,
            redis_url: raw.redis_url.filter(|s| !s.is_empty()),
            redis_namespace: raw.redis_namespace.unwrap_or_else(|| "ecogov".into()),
            smtp_url: raw.smtp_url.filter(|s| !s.is_empty()),
            listen,
            mail_from: raw.mail_from.unwrap_or_else(|| "ecogov@localhost".into()),
            signing_key: raw.signing_key,
            credentials_key: raw.credentials_key,
            admin_password: raw.admin_password,
            audit_algorithm: raw.audit_algorithm.unwrap_or_else(|| "sha256".into()),
            demo: raw.demo.unwrap_or(mode == Mode::Embedded),
            graphiql: raw.graphiql.unwrap_or(mode == Mode::Embedded),
            scan_every_secs: raw.scan_every_secs.unwrap_or(30).max(1),
            relay_every_secs: raw.relay_every_secs.unwrap_or(5).max(1),
            drift_every_minutes: raw.drift_every_minutes.unwrap_or(360).max(1),
            idle_timeout_minutes: raw.idle_timeout_minutes.unwrap_or(30),
            token_ttl_hours: raw.token_ttl_hours.unwrap_or(12).clamp(1, 24 * 365),
            lockout_minutes: raw.lockout_minutes.unwrap_or(30),
            max_failed_logins: raw.max_failed_logins.unwrap_or(5),
            max_failed_logins_per_address: raw.max_failed_logins_per_address.unwrap_or(20),
        };
        s.check()?;
        Ok(s)
    }

    /// Refuses unsafe combinations with a clear message.
    pub fn check(&self) -> anyhow::Result<()> {
        if !matches!(self.audit_algorithm.as_str(), "sha256" | "sm3") {
            bail!(
                "ECOGOV_AUDIT_ALGORITHM must be sha256 or sm3, not {:?}",
                self.audit_algorithm
            );
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            bail!("ECOGOV_DATABASE_URL must be a sqlite: or postgres:// URL");
        }
        if self.mode == Mode::Production {
            if self.smtp_url.is_none() {
                bail!("production mode refuses the file mailer: set ECOGOV_SMTP_URL to the bureau's SMTP relay");
            }
            match &self.signing_key {
                None => bail!(
                    "production mode refuses a generated signing key: set ECOGOV_SIGNING_KEY (at least 32 characters) shared by every API replica"
                ),
                Some(k) if INSECURE_KEYS.contains(&k.expose()) || k.expose().len() < 32 => {
                    bail!(
                        "production mode refuses a default or short signing key: ECOGOV_SIGNING_KEY must be at least 32 random characters"
                    )
                }
                Some(_) => {}
            }
            if self.credentials_key.as_ref().is_none_or(|k| k.expose().len() < 32) {
                bail!(
                    "production mode refuses a generated credentials key: set ECOGOV_CREDENTIALS_KEY (at least 32 characters, kept with your backups)"
                );
            }
            if self.database_url.starts_with("sqlite:") {
                bail!("production mode needs PostgreSQL: set ECOGOV_DATABASE_URL=postgres://...");
            }
            if self.redis_url.is_none() {
                bail!("production mode needs Redis for the job queue: set ECOGOV_REDIS_URL=redis://...");
            }
            if self.demo {
                bail!("production mode refuses demo data: unset ECOGOV_DEMO");
            }
        }
        Ok(())
    }

    /// The signing key: configured, or generated once and kept in the data directory.
    pub fn signing_key_bytes(&self) -> anyhow::Result<Vec<u8>> {
        self.key_bytes(self.signing_key.as_ref(), "signing.key")
    }

    /// The credentials key: configured, or generated once and kept in the data directory.
    pub fn credentials_key_bytes(&self) -> anyhow::Result<Vec<u8>> {
        self.key_bytes(self.credentials_key.as_ref(), "credentials.key")
    }

    fn key_bytes(&self, configured: Option<&Secret>, file: &str) -> anyhow::Result<Vec<u8>> {
        if let Some(k) = configured {
            return Ok(k.expose().as_bytes().to_vec());
        }
        let path = self.data_dir.join(file);
        if let Ok(existing) = std::fs::read_to_string(&path) {
            return Ok(existing.trim().as_bytes().to_vec());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        use rand::Rng;
        let key: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(48)
            .map(char::from)
            .collect();
        write_private(&path, &key)?;
        Ok(key.into_bytes())
    }

    /// Whether the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_unsafe_settings() {
        let base = RawSettings {
            mode: Some(Mode::Production),
            database_url: Some("postgres://x/y".into()),
            redis_url: Some("redis://127.0.0.1".into()),
            smtp_url: Some("smtp://127.0.0.1:25".into()),
            signing_key: Some(Secret::new("k".repeat(40))),
            credentials_key: Some(Secret::new("c".repeat(40))),
            demo: Some(false),
            ..Default::default()
        };
        assert!(Settings::resolve(base.clone()).is_ok());
        let no_smtp = RawSettings {
            smtp_url: None,
            ..base.clone()
        };
        assert!(Settings::resolve(no_smtp).is_err_and(|e| e.to_string().contains("file mailer")));
        let weak = RawSettings {
            signing_key: Some(Secret::new("changeme")),
            ..base.clone()
        };
        assert!(Settings::resolve(weak).is_err_and(|e| e.to_string().contains("signing key")));
        let none = RawSettings {
            signing_key: None,
            ..base
        };
        assert!(Settings::resolve(none).is_err());
    }

    #[test]
    fn flags_override_env_and_file() {
        let file = RawSettings {
            listen: Some("127.0.0.1:1".into()),
            ..Default::default()
        };
        let flags = RawSettings {
            listen: Some("127.0.0.1:2".into()),
            ..Default::default()
        };
        let s = Settings::resolve(file.merge(flags)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.listen, "127.0.0.1:2");
        assert!(format!("{:?}", Secret::new("hunter2")).contains("***"));
    }
}
