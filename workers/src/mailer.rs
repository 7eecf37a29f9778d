//! Outgoing email: one `Mailer` that either writes `.eml` files or talks SMTP.
//!
//! Why it exists: the embedded default (no mail server configured) must still "deliver", so
//! operators and tests can see what would have been sent; production relays through SMTP.
//!
//! Rules:
//! - Every message is `multipart/alternative` (UTF-8 plain text + HTML), with the subject as
//!   stored in the outbox row (Simplified Chinese; lettre encodes it per RFC 2047).
//! - The `Message-ID` is deterministic, `<notification-{id}@ecogov.local>`, so if a crash
//!   between "sent" and "marked sent" makes us deliver a row twice, the copies are
//!   recognisable (and deduplicated by most mail systems) downstream.
//! - Errors are returned as `String`: they go straight into `notifications.last_error`
//!   through `notify::fail`, and must never contain credentials (lettre's errors do not).

use std::path::PathBuf;

use anyhow::Context as _;
use ecogov_domain::entity::notification;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    /// Writes each message as an `.eml` file into `dir` (the embedded default).
    File {
        /// The directory the files are written to.
        dir: PathBuf,
        /// The lettre file transport writing into `dir`.
        transport: AsyncFileTransport<Tokio1Executor>,
    },
    /// Sends through an SMTP server (pooled connections).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::File { dir, .. } => f.debug_struct("Mailer::File").field("dir", dir).finish(),
            // The transport holds credentials: never print it.
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
        }
    }
}

impl Mailer {
    /// A mailer writing `.eml` files into `dir` (created if missing).
    pub fn file(dir: impl Into<PathBuf>) -> anyhow::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating mail directory {}", dir.display()))?;
        let transport = AsyncFileTransport::<Tokio1Executor>::new(&dir);
        Ok(Mailer::File { dir, transport })
    }

    /// A mailer sending through SMTP, configured by a URL (lettre's `from_url`):
    /// - `smtp://host:port`: plain SMTP, no TLS at all (loopback tests, intranet relays);
    /// - `smtp://host?tls=required`: STARTTLS, required (default port 587);
    /// - `smtp://host?tls=opportunistic`: STARTTLS if offered;
    /// - `smtps://host`: implicit TLS (default port 465);
    /// - credentials in the userinfo (`smtps://user:pass@host`), percent-encoded.
    ///
    /// Must be called inside a Tokio runtime (the connection pool spawns a task, and lettre
    /// panics without a runtime; we return an error instead).
    pub fn smtp(url: &str) -> anyhow::Result<Self> {
        if tokio::runtime::Handle::try_current().is_err() {
            anyhow::bail!("Mailer::smtp must be called inside a Tokio runtime");
        }
        // Do not echo the URL: it may carry a password.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).context("invalid SMTP URL")?;
        Ok(Mailer::Smtp(builder.build()))
    }

    /// Whether this mailer writes files (the embedded default).
    pub fn is_file(&self) -> bool {
        matches!(self, Mailer::File { .. })
    }

    /// Builds the message for outbox row `n`, sent from `from`.
    pub fn build_message(from: &str, n: &notification::Model) -> Result<Message, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("invalid sender address {from:?}: {e}"))?;
        let to: Mailbox = n
            .recipient_email
            .parse()
            .map_err(|e| format!("invalid recipient address {:?}: {e}", n.recipient_email))?;
        Message::builder()
            .message_id(Some(format!("<notification-{}@ecogov.local>", n.id)))
            .from(from)
            .to(to)
            .subject(n.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                n.body_text.clone(),
                n.body_html.clone(),
            ))
            .map_err(|e| format!("building message: {e}"))
    }

    /// Builds a multipart/alternative (text + html) UTF-8 message for row `n` (Chinese subject,
    /// From `from`, To the recipient, deterministic Message-ID `<notification-{id}@ecogov.local>`)
    /// and sends it. The error is a message for `notify::fail`.
    pub async fn send(&self, from: &str, n: &notification::Model) -> Result<(), String> {
        let message = Self::build_message(from, n)?;
        match self {
            Mailer::File { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("writing email file: {e}")),
            Mailer::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
        }
    }
}
