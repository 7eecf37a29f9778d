//! A real SMTP listener for integration tests.
//!
//! Integration tests must see e-mail travel the way it does in production:
//! through a real SMTP conversation on a TCP socket, not a mock transport. The
//! [`SmtpSink`] binds a loopback port, speaks enough of RFC 5321 for a plain
//! (no TLS, no AUTH) client such as `lettre`'s `AsyncSmtpTransport` with
//! `builder_dangerous`, and keeps every accepted message for assertions.
//!
//! # Rules
//!
//! * Only `127.0.0.1` is bound, on a port the OS picks; nothing leaves the
//!   machine.
//! * Supported commands: `EHLO` (advertises `8BITMIME` and `SMTPUTF8`),
//!   `HELO`, `MAIL FROM`, `RCPT TO`, `DATA`, `RSET`, `NOOP`, `QUIT`. Anything
//!   else gets `502`. Commands out of order get `503`.
//! * Several messages per connection (pooled clients) and several concurrent
//!   connections are served.
//! * The message is stored with dot-unstuffing applied and CRLF line ends
//!   kept. Its decoding ([`ReceivedMail::header`],
//!   [`ReceivedMail::text_body`], ...) is done by the `mailparse` crate.
//! * [`SmtpSink::fail_next`] makes the next messages fail with a transient
//!   `451`, to test retries.
//! * The listener lives as long as the tokio runtime it was started on (for
//!   `#[tokio::test]`, the test).

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mailparse::{DispositionType, MailHeaderMap, ParsedMail};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// Longest accepted command line, CRLF included (RFC 5321 asks for 512 at
/// least; be generous).
const MAX_COMMAND_LINE: u64 = 4096;

/// Largest accepted message, in bytes after dot-unstuffing.
const MAX_MESSAGE: u64 = 64 * 1024 * 1024;

/// Reply to the DATA transactions that [`SmtpSink::fail_next`] makes fail.
const TEMPORARY_FAILURE: &str = "451 4.3.0 temporary failure";

/// A message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The `MAIL FROM` address (without angle brackets; empty for `<>`).
    pub from: String,
    /// The `RCPT TO` addresses, in order (without angle brackets).
    pub to: Vec<String>,
    /// The raw message (headers and body) with dot-unstuffing applied and
    /// CRLF line ends kept. Bytes that are not UTF-8 are replaced by U+FFFD.
    pub data: String,
}

impl ReceivedMail {
    /// The first header called `name` (case-insensitive), unfolded (each
    /// line fold collapses to one space), with
    /// RFC 2047 encoded-words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`, other
    /// charsets too) decoded. `None` if absent or if the header block does not
    /// parse.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = mailparse::parse_headers(self.data.as_bytes()).ok()?;
        headers.get_first_value(name)
    }

    /// Every header called `name` (case-insensitive), decoded like
    /// [`ReceivedMail::header`], in order.
    #[must_use]
    pub fn headers(&self, name: &str) -> Vec<String> {
        mailparse::parse_headers(self.data.as_bytes())
            .map(|(headers, _)| headers.get_all_values(name))
            .unwrap_or_default()
    }

    /// The decoded `Subject`, or `""` if there is none.
    #[must_use]
    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The decoded body of the first `text/plain` part that is not an
    /// attachment (the whole message if it is not multipart), as UTF-8:
    /// `Content-Transfer-Encoding` (base64, quoted-printable, 7bit, 8bit) and
    /// the charset are undone; line ends stay as sent.
    #[must_use]
    pub fn text_body(&self) -> Option<String> {
        self.body_of("text/plain")
    }

    /// The decoded body of the first `text/html` part that is not an
    /// attachment, like [`ReceivedMail::text_body`].
    #[must_use]
    pub fn html_body(&self) -> Option<String> {
        self.body_of("text/html")
    }

    fn body_of(&self, mimetype: &str) -> Option<String> {
        let parsed = mailparse::parse_mail(self.data.as_bytes()).ok()?;
        find_part(&parsed, mimetype)?.get_body().ok()
    }
}

/// Depth-first search for the first inline part of type `mimetype`.
fn find_part<'p, 'a>(part: &'p ParsedMail<'a>, mimetype: &str) -> Option<&'p ParsedMail<'a>> {
    if part.subparts.is_empty() {
        let inline = part.get_content_disposition().disposition != DispositionType::Attachment;
        return (inline && part.ctype.mimetype.eq_ignore_ascii_case(mimetype)).then_some(part);
    }
    part.subparts.iter().find_map(|sub| find_part(sub, mimetype))
}

/// State shared by the handles and the connection tasks.
#[derive(Debug, Default)]
struct Shared {
    mails: Mutex<Vec<ReceivedMail>>,
    fail_next: AtomicUsize,
    arrived: Notify,
}

impl Shared {
    fn mails(&self) -> std::sync::MutexGuard<'_, Vec<ReceivedMail>> {
        // A panicking test thread must not hide the mail from the others.
        self.mails.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes one pending failure, if any.
    fn take_failure(&self) -> bool {
        self.fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    fn store(&self, mail: ReceivedMail) {
        self.mails().push(mail);
        self.arrived.notify_waiters();
    }
}

/// A running SMTP server on `127.0.0.1`; a cheap, cloneable handle.
#[derive(Debug, Clone)]
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
}

impl SmtpSink {
    /// Binds `127.0.0.1:0` and spawns the accept loop on the current tokio
    /// runtime (so it must be called from within one).
    ///
    /// # Errors
    ///
    /// If the socket cannot be bound.
    pub async fn start() -> io::Result<SmtpSink> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(SmtpSink { port, shared })
    }

    /// The port the server listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:{port}`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages accepted so far, in order of arrival.
    #[must_use]
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.shared.mails().clone()
    }

    /// Makes the next `n` DATA transactions fail with
    /// `451 4.3.0 temporary failure` (replacing any count still pending).
    ///
    /// The message is read to its end and then rejected (not stored), which
    /// is how a real server with a full queue behaves; SMTP clients see a
    /// transient error and may retry.
    pub fn fail_next(&self, n: usize) {
        self.shared.fail_next.store(n, Ordering::SeqCst);
    }

    /// Waits until at least `n` messages arrived or `timeout` passed, then
    /// returns [`SmtpSink::received`] (which may hold fewer than `n`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register interest before looking, so an arrival in between
            // is not missed.
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if self.shared.mails().len() >= n {
                break;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                break;
            }
        }
        self.received()
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    // A client that goes away mid-conversation is not our
                    // problem: the test asserting on mail will notice.
                    let _ = serve(stream, &shared).await;
                });
            }
            // E.g. out of file descriptors: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// The envelope of the transaction in progress.
#[derive(Debug, Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

/// Serves one connection until `QUIT`, EOF or an I/O error.
async fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    reply(&mut writer, "220 localhost ESMTP ecogov test sink").await?;
    let mut greeted = false;
    let mut envelope = Envelope::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_COMMAND_LINE)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        if !line.ends_with(b"\n") {
            if u64::try_from(n).unwrap_or(u64::MAX) >= MAX_COMMAND_LINE {
                // Cannot find the next command reliably: give up on the client.
                reply(&mut writer, "500 5.5.2 line too long").await?;
            }
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end_matches(['\r', '\n']);
        let (verb, arg) = command.split_once(' ').unwrap_or((command, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                envelope = Envelope::default();
                reply(&mut writer, "250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8").await?;
            }
            "HELO" => {
                greeted = true;
                envelope = Envelope::default();
                reply(&mut writer, "250 localhost").await?;
            }
            "MAIL" if !greeted => reply(&mut writer, "503 5.5.1 send EHLO or HELO first").await?,
            "MAIL" => match parse_path(arg, "FROM:") {
                Some(from) => {
                    envelope = Envelope {
                        from: Some(from),
                        to: Vec::new(),
                    };
                    reply(&mut writer, "250 2.1.0 OK").await?;
                }
                None => reply(&mut writer, "501 5.5.4 syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" if envelope.from.is_none() => {
                reply(&mut writer, "503 5.5.1 send MAIL first").await?;
            }
            "RCPT" => match parse_path(arg, "TO:") {
                Some(to) if !to.is_empty() => {
                    envelope.to.push(to);
                    reply(&mut writer, "250 2.1.5 OK").await?;
                }
                _ => reply(&mut writer, "501 5.5.4 syntax: RCPT TO:<address>").await?,
            },
            "DATA" if envelope.to.is_empty() => {
                reply(&mut writer, "503 5.5.1 send RCPT first").await?;
            }
            "DATA" => {
                reply(&mut writer, "354 end data with <CRLF>.<CRLF>").await?;
                let Some(data) = read_data(&mut reader).await? else {
                    reply(&mut writer, "552 5.3.4 message too big").await?;
                    return Ok(());
                };
                let Envelope { from, to } = std::mem::take(&mut envelope);
                if shared.take_failure() {
                    reply(&mut writer, TEMPORARY_FAILURE).await?;
                } else {
                    shared.store(ReceivedMail {
                        from: from.unwrap_or_default(),
                        to,
                        data: match String::from_utf8(data) {
                            Ok(s) => s,
                            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                        },
                    });
                    reply(&mut writer, "250 2.0.0 OK queued").await?;
                }
            }
            "RSET" => {
                envelope = Envelope::default();
                reply(&mut writer, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(&mut writer, "250 2.0.0 OK").await?,
            "QUIT" => {
                reply(&mut writer, "221 2.0.0 bye").await?;
                return Ok(());
            }
            _ => reply(&mut writer, "502 5.5.2 command not recognized").await?,
        }
    }
}

/// Writes one reply (possibly multi-line, lines joined by CRLF) plus CRLF.
async fn reply<W: AsyncWrite + Unpin>(writer: &mut W, text: &str) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(text.len() + 2);
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    writer.write_all(&bytes).await?;
    writer.flush().await
}

/// Parses `FROM:<addr> params` / `TO:<addr> params` (keyword
/// case-insensitive, optional space after the colon). Returns the address
/// without brackets; `<>` gives `""`.
fn parse_path(arg: &str, keyword: &str) -> Option<String> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg.get(keyword.len()..)?.trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        Some(inner[..end].to_owned())
    } else {
        // Be lenient with clients that omit the brackets.
        let addr = rest.split_whitespace().next()?;
        Some(addr.to_owned())
    }
}

/// Reads the message after `354` up to the line `.`, undoing dot-stuffing
/// and keeping line ends. `Ok(None)` if it exceeds [`MAX_MESSAGE`].
async fn read_data<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let used = u64::try_from(data.len()).unwrap_or(u64::MAX);
        // Room for the rest of the message plus the terminating ".\r\n".
        let budget = MAX_MESSAGE.saturating_sub(used).saturating_add(3);
        let n = (&mut *reader).take(budget).read_until(b'\n', &mut line).await?;
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(data));
        }
        if !line.ends_with(b"\n") {
            if u64::try_from(n).unwrap_or(u64::MAX) >= budget {
                return Ok(None);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed during DATA",
            ));
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        if u64::try_from(content.len()).unwrap_or(u64::MAX) > MAX_MESSAGE.saturating_sub(used) {
            return Ok(None);
        }
        data.extend_from_slice(content);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpStream;
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

    use super::*;

    /// A hand-driven SMTP client that checks each reply code.
    struct Client {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    impl Client {
        async fn connect(sink: &SmtpSink) -> Client {
            let stream = TcpStream::connect(("127.0.0.1", sink.port())).await.unwrap();
            let (reader, writer) = stream.into_split();
            let mut client = Client {
                reader: BufReader::new(reader),
                writer,
            };
            assert!(client.read_reply().await.starts_with("220 "));
            client
        }

        /// Reads a whole (possibly multi-line) reply.
        async fn read_reply(&mut self) -> String {
            let mut all = String::new();
            loop {
                let mut line = String::new();
                let n = self.reader.read_line(&mut line).await.unwrap();
                assert!(n > 0, "connection closed; got so far: {all:?}");
                all.push_str(&line);
                if line.as_bytes().get(3) != Some(&b'-') {
                    return all;
                }
            }
        }

        async fn send(&mut self, raw: &str) {
            self.writer.write_all(raw.as_bytes()).await.unwrap();
        }

        /// Sends a command line and returns the reply.
        async fn cmd(&mut self, line: &str) -> String {
            self.send(&format!("{line}\r\n")).await;
            self.read_reply().await
        }

        async fn expect(&mut self, line: &str, code: &str) -> String {
            let reply = self.cmd(line).await;
            assert!(reply.starts_with(code), "{line:?} -> {reply:?}, wanted {code}");
            reply
        }
    }

    fn mail(data: &str) -> ReceivedMail {
        ReceivedMail {
            from: "a@example.com".to_owned(),
            to: vec!["b@example.com".to_owned()],
            data: data.replace('\n', "\r\n"),
        }
    }

    #[tokio::test]
    async fn full_conversation_with_dot_unstuffing() {
        let sink = SmtpSink::start().await.unwrap();
        assert_eq!(sink.url(), format!("smtp://127.0.0.1:{}", sink.port()));
        let mut c = Client::connect(&sink).await;
        let ehlo = c.expect("EHLO client.test", "250").await;
        assert_eq!(ehlo, "250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
        c.expect("MAIL FROM:<from@example.com> BODY=8BITMIME", "250").await;
        c.expect("RCPT TO:<one@example.com>", "250").await;
        c.expect("rcpt to: <two@example.com>", "250").await;
        c.expect("DATA", "354").await;
        c.send("Subject: hi\r\n\r\n..leading dot\r\n..\r\nx\r\n...\r\n").await;
        assert!(c.expect(".", "250").await.starts_with("250 "));
        c.expect("QUIT", "221").await;
        let got = sink.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(
            got,
            vec![ReceivedMail {
                from: "from@example.com".to_owned(),
                to: vec!["one@example.com".to_owned(), "two@example.com".to_owned()],
                data: "Subject: hi\r\n\r\n.leading dot\r\n.\r\nx\r\n..\r\n".to_owned(),
            }]
        );
        assert_eq!(got[0].subject(), "hi");
    }

    #[tokio::test]
    async fn several_messages_per_connection_and_rset() {
        let sink = SmtpSink::start().await.unwrap();
        let mut c = Client::connect(&sink).await;
        c.expect("HELO client.test", "250").await;
        for i in 0..3 {
            c.expect("NOOP", "250").await;
            c.expect(&format!("MAIL FROM:<m{i}@example.com>"), "250").await;
            c.expect("RCPT TO:<dropped@example.com>", "250").await;
            c.expect("RSET", "250").await;
            c.expect("DATA", "503").await;
            c.expect("MAIL FROM:<>", "250").await;
            c.expect(&format!("RCPT TO:<r{i}@example.com>"), "250").await;
            c.expect("DATA", "354").await;
            c.send(&format!("Subject: n{i}\r\n\r\nbody {i}\r\n.\r\n")).await;
            assert!(c.read_reply().await.starts_with("250 "));
        }
        let got = sink.received();
        assert_eq!(got.len(), 3);
        for (i, m) in got.iter().enumerate() {
            assert_eq!(m.from, "");
            assert_eq!(m.to, vec![format!("r{i}@example.com")]);
            assert_eq!(m.subject(), format!("n{i}"));
            assert_eq!(m.text_body().unwrap(), format!("body {i}\r\n"));
        }
    }

    #[tokio::test]
    async fn out_of_order_and_unknown_commands() {
        let sink = SmtpSink::start().await.unwrap();
        let mut c = Client::connect(&sink).await;
        c.expect("MAIL FROM:<a@example.com>", "503").await;
        c.expect("EHLO x", "250").await;
        c.expect("RCPT TO:<b@example.com>", "503").await;
        c.expect("DATA", "503").await;
        c.expect("MAIL TO:<a@example.com>", "501").await;
        c.expect("MAIL FROM:<a@example.com>", "250").await;
        c.expect("RCPT TO:<>", "501").await;
        c.expect("DATA", "503").await;
        c.expect("VRFY someone", "502").await;
        c.expect("STARTTLS", "502").await;
        c.expect("AUTH PLAIN AGFhAGI=", "502").await;
        c.expect("XYZZY", "502").await;
        c.expect("QUIT", "221").await;
        assert!(sink.received().is_empty());
    }

    #[tokio::test]
    async fn fail_next_rejects_that_many_messages_transiently() {
        let sink = SmtpSink::start().await.unwrap();
        sink.fail_next(2);
        let mut c = Client::connect(&sink).await;
        c.expect("EHLO x", "250").await;
        for (i, code) in ["451", "451", "250", "250"].into_iter().enumerate() {
            c.expect("MAIL FROM:<a@example.com>", "250").await;
            c.expect("RCPT TO:<b@example.com>", "250").await;
            c.expect("DATA", "354").await;
            c.send(&format!("Subject: try {i}\r\n\r\nx\r\n")).await;
            let reply = c.expect(".", code).await;
            if code == "451" {
                assert_eq!(reply, format!("{TEMPORARY_FAILURE}\r\n"));
            }
        }
        let subjects: Vec<_> = sink.received().iter().map(ReceivedMail::subject).collect();
        assert_eq!(subjects, ["try 2", "try 3"]);
    }

    #[tokio::test]
    async fn concurrent_connections() {
        let sink = SmtpSink::start().await.unwrap();
        // Open all connections first so they are really concurrent.
        let mut clients = Vec::new();
        for _ in 0..8 {
            let mut c = Client::connect(&sink).await;
            c.expect("EHLO x", "250").await;
            clients.push(c);
        }
        let tasks: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                tokio::spawn(async move {
                    c.expect("MAIL FROM:<a@example.com>", "250").await;
                    c.expect(&format!("RCPT TO:<u{i}@example.com>"), "250").await;
                    c.expect("DATA", "354").await;
                    c.send(&format!("Subject: c{i}\r\n\r\nx\r\n.\r\n")).await;
                    c.read_reply().await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().starts_with("250"));
        }
        let got = sink.wait_for(8, Duration::from_secs(5)).await;
        let mut subjects: Vec<_> = got.iter().map(ReceivedMail::subject).collect();
        subjects.sort();
        let mut want: Vec<_> = (0..8).map(|i| format!("c{i}")).collect();
        want.sort();
        assert_eq!(subjects, want);
    }

    #[tokio::test]
    async fn wait_for_times_out_and_wakes_up() {
        let sink = SmtpSink::start().await.unwrap();
        let started = tokio::time::Instant::now();
        assert!(sink.wait_for(1, Duration::from_millis(50)).await.is_empty());
        assert!(started.elapsed() >= Duration::from_millis(50));
        let waiter = {
            let sink = sink.clone();
            tokio::spawn(async move { sink.wait_for(1, Duration::from_secs(10)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut c = Client::connect(&sink).await;
        c.expect("EHLO x", "250").await;
        c.expect("MAIL FROM:<a@example.com>", "250").await;
        c.expect("RCPT TO:<b@example.com>", "250").await;
        c.expect("DATA", "354").await;
        c.send("Subject: late\r\n\r\nx\r\n.\r\n").await;
        c.read_reply().await;
        let got = waiter.await.unwrap();
        assert_eq!(got.len(), 1);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn overlong_command_line_closes_the_connection() {
        let sink = SmtpSink::start().await.unwrap();
        let mut c = Client::connect(&sink).await;
        let long = "x".repeat(5000);
        assert!(c.cmd(&format!("NOOP {long}")).await.starts_with("500"));
    }

    #[test]
    fn parses_paths() {
        assert_eq!(parse_path("FROM:<a@b>", "FROM:").as_deref(), Some("a@b"));
        assert_eq!(
            parse_path("from: <a@b> SIZE=10 BODY=8BITMIME", "FROM:").as_deref(),
            Some("a@b")
        );
        assert_eq!(parse_path("FROM:<>", "FROM:").as_deref(), Some(""));
        assert_eq!(parse_path("FROM:a@b", "FROM:").as_deref(), Some("a@b"));
        assert_eq!(parse_path("TO:<a@b>", "FROM:"), None);
        assert_eq!(parse_path("FROM:<a@b", "FROM:"), None);
        assert_eq!(parse_path("", "FROM:"), None);
        assert_eq!(parse_path("张三", "FROM:"), None);
        assert_eq!(
            parse_path("TO:<用户@例子.中国>", "TO:").as_deref(),
            Some("用户@例子.中国")
        );
    }

    #[test]
    fn decodes_encoded_word_headers() {
        let m = mail(
            "From: =?utf-8?b?55Sf5oCB546v5aKD5bGA?= <noreply@eco.example>\n\
             Subject: =?utf-8?b?5o6S5rGh6K645Y+v?=\n =?utf-8?q?=E8=AF=81=E5=B7=B2=E6=89=B9=E5=87=86?=\n\
             X-Plain: plain\n \tfolded\n\
             x-plain: second\n\
             \n\
             body\n",
        );
        assert_eq!(m.subject(), "排污许可证已批准");
        assert_eq!(m.header("FROM").unwrap(), "生态环境局 <noreply@eco.example>");
        // Folding whitespace collapses to one space.
        assert_eq!(m.header("x-PLAIN").unwrap(), "plain folded");
        assert_eq!(m.headers("X-Plain"), ["plain folded", "second"]);
        assert_eq!(m.header("Missing"), None);
        assert_eq!(mail("\nbody\n").subject(), "");
    }

    #[test]
    fn decodes_multipart_alternative_bodies() {
        let m = mail(
            "Subject: x\n\
             MIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"outer\"\n\
             \n\
             --outer\n\
             Content-Type: multipart/alternative; boundary=\"inner\"\n\
             \n\
             --inner\n\
             Content-Type: text/plain; charset=utf-8\n\
             Content-Transfer-Encoding: quoted-printable\n\
             \n\
             =E6=82=A8=E5=A5=BD=EF=BC=8C=E4=B8=96=E7=95=8C a=3Db soft=\n\
             break\n\
             --inner\n\
             Content-Type: text/html; charset=\"UTF-8\"\n\
             Content-Transfer-Encoding: base64\n\
             \n\
             PHA+5oKo5aW9PC9wPg==\n\
             --inner--\n\
             --outer\n\
             Content-Type: text/plain; charset=utf-8\n\
             Content-Disposition: attachment; filename=\"a.txt\"\n\
             \n\
             attached\n\
             --outer--\n",
        );
        assert_eq!(m.text_body().unwrap(), "您好，世界 a=b softbreak");
        assert_eq!(m.html_body().unwrap(), "<p>您好</p>");
    }

    #[test]
    fn decodes_single_part_bodies() {
        let eight_bit = mail(
            "Content-Type: text/plain; charset=utf-8\n\
             Content-Transfer-Encoding: 8bit\n\
             \n\
             第一行\n第二行\n",
        );
        assert_eq!(eight_bit.text_body().unwrap(), "第一行\r\n第二行\r\n");
        assert_eq!(eight_bit.html_body(), None);
        // No Content-Type at all means text/plain, 7bit.
        let bare = mail("Subject: s\n\nhello\n");
        assert_eq!(bare.text_body().unwrap(), "hello\r\n");
        let gbk = mail(
            "Content-Type: text/html; charset=gb2312\n\
             Content-Transfer-Encoding: base64\n\
             \n\
             PGI+xOO6wzwvYj4=\n",
        );
        assert_eq!(gbk.html_body().unwrap(), "<b>你好</b>");
        assert_eq!(gbk.text_body(), None);
    }
}
