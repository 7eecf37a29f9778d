//! Tamper-evident audit chain.
//!
//! Every change in the system appends an audit event. Each event's hash covers
//! the event's own fields *and* the previous event's hash, so the events form a
//! chain: editing, deleting, inserting or reordering a stored row breaks the
//! chain at a point that [`ChainVerifier`] reports.
//!
//! This module is pure (no database): the storage layer builds a
//! [`ChainRecord`] for each new event, stores [`compute_hash`]'s result with
//! it, and later streams the stored rows back, in ascending `seq` order and in
//! pages if it likes, through a [`ChainVerifier`].
//!
//! # Rules
//!
//! * The first event has `seq = 1` and `prev_hash =` [`GENESIS_HASH`]; each
//!   next event has `seq + 1` and the previous event's `hash` as `prev_hash`.
//! * The hash is taken over [`canonical_bytes`], a fixed, versioned,
//!   length-prefixed encoding of the covered fields. It never changes for rows
//!   already written: a new encoding needs a new version tag.
//! * `at` is hashed as RFC 3339 UTC with exactly microsecond precision (what
//!   the databases keep), so anything below a microsecond is ignored.
//!   Callers should store [`truncate_to_micros`]`(at)`.
//! * `before`/`after` JSON is hashed in canonical form ([`canonical_json`]):
//!   object key order and whitespace do not matter, so a JSON column that
//!   reorders keys (`PostgreSQL` `jsonb`) round-trips to the same hash. Numbers
//!   are hashed as `serde_json` prints them, so `1` and `1.0` differ.
//! * Each row names its own algorithm ([`HashAlgorithm`]), so a chain may mix
//!   SHA-256 and SM3 rows (e.g. across a switch to the national standard).
//!
//! # What the chain alone cannot detect
//!
//! Deleting the *last* rows of the chain (truncation) leaves a shorter chain
//! that is still perfectly valid. That is why the head of the chain
//! (`seq` and `hash` of the last row) is checkpointed daily outside the table:
//! verification then registers that checkpoint with
//! [`ChainVerifier::expect_checkpoint`], which reports
//! [`ChainBreak::Truncated`] if the chain no longer reaches it and
//! [`ChainBreak::CheckpointMismatch`] if the row at that `seq` now has another
//! hash (the chain was rewritten from that point backwards). The same goes
//! for an attacker who rewrites *and re-hashes* every row from some point to
//! the end: only a checkpoint at or after that point can tell.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sm3::Sm3;

/// The `prev_hash` of the first event of a chain: 64 hex zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Version tag that starts every [`canonical_bytes`] encoding. Changing the
/// encoding requires a new tag, never an edit of this one.
const ENCODING_TAG: &[u8] = b"ecogov-audit-chain/v1";

/// The digest algorithm of one chain row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SM3 (GB/T 32905-2016), the Chinese national standard hash.
    Sm3,
}

impl HashAlgorithm {
    /// The name stored in the database: `"sha256"` or `"sm3"`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sm3 => "sm3",
        }
    }

    /// Lower-case hex digest of `bytes`.
    fn hex_digest(self, bytes: &[u8]) -> String {
        match self {
            Self::Sha256 => hex::encode(Sha256::digest(bytes)),
            Self::Sm3 => hex::encode(Sm3::digest(bytes)),
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored algorithm name that is neither `"sha256"` nor `"sm3"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hash algorithm {0:?}")]
pub struct UnknownAlgorithm(pub String);

impl FromStr for HashAlgorithm {
    type Err = UnknownAlgorithm;

    /// Parses exactly the names [`HashAlgorithm::as_str`] produces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sha256" => Ok(Self::Sha256),
            "sm3" => Ok(Self::Sm3),
            other => Err(UnknownAlgorithm(other.to_owned())),
        }
    }
}

/// The fields that an event's hash covers.
///
/// `at` is UTC and is encoded as RFC 3339 with microsecond precision
/// (`"2026-12-04T08:00:00.123456Z"`) so that database round trips, which keep
/// microseconds, give the same hash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainRecord<'a> {
    /// Position in the chain, starting at 1.
    pub seq: i64,
    /// When the change happened.
    pub at: DateTime<Utc>,
    /// The acting user, if any (system jobs have none).
    pub actor_id: Option<i64>,
    /// The actor's display name at the time of the change.
    pub actor_name: &'a str,
    /// What was done, e.g. `"permit.approve"`.
    pub action: &'a str,
    /// Kind of the changed object, e.g. `"permit"`.
    pub subject_type: &'a str,
    /// Identifier of the changed object.
    pub subject_id: &'a str,
    /// State before the change; `None` (no state) differs from JSON `null`.
    pub before: Option<&'a Value>,
    /// State after the change; `None` (no state) differs from JSON `null`.
    pub after: Option<&'a Value>,
    /// Lower-case hex hash of the previous event, or [`GENESIS_HASH`].
    pub prev_hash: &'a str,
}

/// Formats `at` the way the hash covers it: RFC 3339, UTC, `Z`, exactly six
/// fractional digits (anything below a microsecond is truncated).
#[must_use]
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `at` without its sub-microsecond part: store this so that the stored value
/// and the hashed value are the same instant.
#[must_use]
pub fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// Canonical, unambiguous byte encoding of the covered fields.
///
/// Layout: a version tag, then in fixed order `seq`, `at`, `actor_id`,
/// `actor_name`, `action`, `subject_type`, `subject_id`, `before`, `after`,
/// `prev_hash`. Every field is written as an 8-byte big-endian length followed
/// by its bytes; integers are 8-byte big-endian two's complement; `at` is
/// [`format_timestamp`]; optional fields start with a presence byte (`0` =
/// `None`, `1` = `Some` followed by the field), so `None` differs from JSON
/// `null`; JSON values are [`canonical_json`].
#[must_use]
pub fn canonical_bytes(r: &ChainRecord<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    put_field(&mut out, ENCODING_TAG);
    put_field(&mut out, &r.seq.to_be_bytes());
    put_field(&mut out, format_timestamp(r.at).as_bytes());
    put_optional(
        &mut out,
        r.actor_id.map(i64::to_be_bytes).as_ref().map(<[u8; 8]>::as_slice),
    );
    put_field(&mut out, r.actor_name.as_bytes());
    put_field(&mut out, r.action.as_bytes());
    put_field(&mut out, r.subject_type.as_bytes());
    put_field(&mut out, r.subject_id.as_bytes());
    put_optional(&mut out, r.before.map(canonical_json).as_deref().map(str::as_bytes));
    put_optional(&mut out, r.after.map(canonical_json).as_deref().map(str::as_bytes));
    put_field(&mut out, r.prev_hash.as_bytes());
    out
}

fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    // usize always fits in u64 on supported targets; saturate rather than panic.
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn put_optional(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            put_field(out, bytes);
        }
    }
}

/// Canonical JSON text of `value`: object keys sorted (by their UTF-8 bytes)
/// at every depth, no whitespace, numbers as `serde_json` prints them,
/// strings with only `"`, `\` and control characters escaped (the short
/// escapes `\b \f \n \r \t` where they exist, else `\u00xx`), everything else
/// written as UTF-8.
///
/// This does not depend on how the `serde_json::Map` of the build orders its
/// keys (the `preserve_order` feature may be on elsewhere in the workspace).
#[must_use]
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                write_canonical(out, item);
            }
            out.push('}');
        }
    }
}

fn write_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let b = u32::from(c);
                out.push_str("\\u00");
                out.push(char::from(HEX[(b >> 4) as usize]));
                out.push(char::from(HEX[(b & 0xf) as usize]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Lower-case hex digest of [`canonical_bytes`]`(r)` with `alg`.
#[must_use]
pub fn compute_hash(alg: HashAlgorithm, r: &ChainRecord<'_>) -> String {
    alg.hex_digest(&canonical_bytes(r))
}

/// A stored row as read back for verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Position in the chain.
    pub seq: i64,
    /// When the change happened (as stored, i.e. microsecond precision).
    pub at: DateTime<Utc>,
    /// The acting user, if any.
    pub actor_id: Option<i64>,
    /// The actor's display name at the time.
    pub actor_name: String,
    /// What was done.
    pub action: String,
    /// Kind of the changed object.
    pub subject_type: String,
    /// Identifier of the changed object.
    pub subject_id: String,
    /// State before the change.
    pub before: Option<Value>,
    /// State after the change.
    pub after: Option<Value>,
    /// Stored hash of the previous row.
    pub prev_hash: String,
    /// Stored hash of this row.
    pub hash: String,
    /// Stored algorithm name ([`HashAlgorithm::as_str`]).
    pub algorithm: String,
}

impl StoredEvent {
    /// The covered fields of this row, to recompute its hash.
    #[must_use]
    pub fn record(&self) -> ChainRecord<'_> {
        ChainRecord {
            seq: self.seq,
            at: self.at,
            actor_id: self.actor_id,
            actor_name: &self.actor_name,
            action: &self.action,
            subject_type: &self.subject_type,
            subject_id: &self.subject_id,
            before: self.before.as_ref(),
            after: self.after.as_ref(),
            prev_hash: &self.prev_hash,
        }
    }
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The row's own content does not match its hash (edited).
    #[error("audit event {seq}: content does not match its hash (edited)")]
    HashMismatch {
        /// The edited row.
        seq: i64,
    },
    /// `prev_hash` does not equal the previous row's hash
    /// (deleted/reordered/inserted, or a neighbour re-hashed after an edit).
    #[error("audit event {seq}: prev_hash does not match the previous event's hash")]
    LinkBroken {
        /// The row whose link is broken.
        seq: i64,
    },
    /// Sequence numbers are not contiguous (a row deleted, inserted or out of
    /// order): expected `expected`, found `seq`.
    #[error("audit event {seq}: expected seq {expected} (row missing or out of order)")]
    Gap {
        /// The seq that should have come next.
        expected: i64,
        /// The seq that came instead.
        seq: i64,
    },
    /// The row names an algorithm this code does not know.
    #[error("audit event {seq}: unknown hash algorithm")]
    UnknownAlgorithm {
        /// The row.
        seq: i64,
    },
    /// The row at a checkpointed `seq` is internally consistent but its hash
    /// differs from the checkpoint: the chain was rewritten and re-hashed up
    /// to (at least) this row.
    #[error("audit event {seq}: hash differs from the checkpointed hash (chain rewritten)")]
    CheckpointMismatch {
        /// The checkpointed row.
        seq: i64,
    },
    /// The chain ended before reaching a checkpointed `seq`: rows at its end
    /// were deleted.
    #[error("audit chain ends before checkpointed event {checkpoint_seq} (truncated)")]
    Truncated {
        /// The checkpoint the chain no longer reaches.
        checkpoint_seq: i64,
    },
    /// A checkpoint could not be compared with the chain because the
    /// verification never saw that row (it lies before the verifier's
    /// trusted start, or was not registered with
    /// [`ChainVerifier::expect_checkpoint`] before feeding). Not evidence of
    /// tampering, but the checkpoint is not vouched for either.
    #[error("checkpoint at audit event {checkpoint_seq} was not covered by this verification")]
    CheckpointUnverifiable {
        /// The checkpoint that could not be checked.
        checkpoint_seq: i64,
    },
}

impl ChainBreak {
    /// The `seq` at which the break was found (for [`ChainBreak::Truncated`]
    /// and [`ChainBreak::CheckpointUnverifiable`], the checkpoint's seq).
    #[must_use]
    pub fn seq(&self) -> i64 {
        match self {
            Self::HashMismatch { seq }
            | Self::LinkBroken { seq }
            | Self::Gap { seq, .. }
            | Self::UnknownAlgorithm { seq }
            | Self::CheckpointMismatch { seq } => *seq,
            Self::Truncated { checkpoint_seq } | Self::CheckpointUnverifiable { checkpoint_seq } => *checkpoint_seq,
        }
    }
}

/// Result of a verification run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Number of rows fed that verified (rows after a break are not counted).
    pub checked: u64,
    /// `seq` of the last verified row, or of the trusted starting point if no
    /// row verified; `None` for an empty chain verified from genesis.
    pub head_seq: Option<i64>,
    /// Hash matching `head_seq`.
    pub head_hash: Option<String>,
    /// The first problem found, if any.
    pub first_break: Option<ChainBreak>,
    /// Hashes seen at the seqs registered with
    /// [`ChainVerifier::expect_checkpoint`] (only those the chain reached).
    pub checkpoints: BTreeMap<i64, String>,
}

impl Verification {
    /// Whether no break was found.
    #[must_use]
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Checks a verification result against a checkpoint `(seq, hash)` of an
/// earlier chain head.
///
/// Fails with the verification's own first break if there is one (a broken
/// chain cannot vouch for a checkpoint), with [`ChainBreak::CheckpointMismatch`]
/// if the row at `checkpoint_seq` now has another hash, with
/// [`ChainBreak::Truncated`] if the chain ends before `checkpoint_seq`, and
/// with [`ChainBreak::CheckpointUnverifiable`] if the chain goes beyond
/// `checkpoint_seq` but the verifier was not asked to remember that row's
/// hash (register it with [`ChainVerifier::expect_checkpoint`] before
/// feeding; then this check is already part of `first_break`).
///
/// # Errors
///
/// The [`ChainBreak`] that keeps the checkpoint from being vouched for, as
/// listed above.
pub fn check_checkpoint(v: &Verification, checkpoint_seq: i64, checkpoint_hash: &str) -> Result<(), ChainBreak> {
    if let Some(b) = &v.first_break {
        return Err(b.clone());
    }
    let seen = v.checkpoints.get(&checkpoint_seq).or(match (v.head_seq, &v.head_hash) {
        (Some(seq), Some(hash)) if seq == checkpoint_seq => Some(hash),
        _ => None,
    });
    match seen {
        Some(hash) if hash == checkpoint_hash => Ok(()),
        Some(_) => Err(ChainBreak::CheckpointMismatch { seq: checkpoint_seq }),
        None if v.head_seq.is_none_or(|head| head < checkpoint_seq) => Err(ChainBreak::Truncated { checkpoint_seq }),
        None => Err(ChainBreak::CheckpointUnverifiable { checkpoint_seq }),
    }
}

/// Incremental verifier, so the database layer can stream rows in `seq`
/// order in pages.
///
/// For each row it checks, in this order: the `seq` is the next one
/// ([`ChainBreak::Gap`]), the algorithm is known
/// ([`ChainBreak::UnknownAlgorithm`]), the content matches the stored hash
/// ([`ChainBreak::HashMismatch`]), `prev_hash` is the previous row's hash
/// ([`ChainBreak::LinkBroken`]), and the hash equals a registered checkpoint
/// for that seq ([`ChainBreak::CheckpointMismatch`]).
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    /// `seq` of the last accepted row or of the trusted start (0 at genesis).
    last_seq: i64,
    /// Hash of the last accepted row or of the trusted start.
    last_hash: String,
    /// Whether `last_*` is a real row/trusted point (false only at genesis).
    has_head: bool,
    checked: u64,
    first_break: Option<ChainBreak>,
    /// Expected hashes at checkpointed seqs not reached yet.
    expected: BTreeMap<i64, String>,
    /// Hashes observed at checkpointed seqs.
    observed: BTreeMap<i64, String>,
}

impl ChainVerifier {
    /// Starts after a trusted point: `(seq, hash)` of the last verified row,
    /// or `None` for genesis (first expected seq = 1, prev = [`GENESIS_HASH`]).
    #[must_use]
    pub fn new(after: Option<(i64, String)>) -> Self {
        let (last_seq, last_hash, has_head) = match after {
            Some((seq, hash)) => (seq, hash, true),
            None => (0, GENESIS_HASH.to_owned(), false),
        };
        Self {
            last_seq,
            last_hash,
            has_head,
            checked: 0,
            first_break: None,
            expected: BTreeMap::new(),
            observed: BTreeMap::new(),
        }
    }

    /// Registers a checkpoint: the row at `seq` must have hash `hash`.
    ///
    /// Call it before feeding the row at `seq`. Then [`ChainVerifier::feed`]
    /// reports [`ChainBreak::CheckpointMismatch`] at `seq` if that row's
    /// (otherwise valid) hash differs, [`ChainVerifier::finish`] reports
    /// [`ChainBreak::Truncated`] if the chain ended before `seq`, and the
    /// observed hash lands in [`Verification::checkpoints`].
    ///
    /// A checkpoint at the current head (the trusted start or the last row
    /// fed) is compared at once. One before it cannot be checked any more and
    /// records [`ChainBreak::CheckpointUnverifiable`] (fail closed).
    pub fn expect_checkpoint(&mut self, seq: i64, hash: impl Into<String>) {
        let hash = hash.into();
        if self.first_break.is_some() {
            return;
        }
        if seq > self.last_seq {
            self.expected.insert(seq, hash);
        } else if seq == self.last_seq && self.has_head {
            self.observed.insert(seq, self.last_hash.clone());
            if self.last_hash != hash {
                self.first_break = Some(ChainBreak::CheckpointMismatch { seq });
            }
        } else {
            self.first_break = Some(ChainBreak::CheckpointUnverifiable { checkpoint_seq: seq });
        }
    }

    /// Feeds the next row (in ascending `seq` order as stored).
    ///
    /// Returns `Err` at the first problem; after that, further feeds keep
    /// returning that first break without looking at the row.
    ///
    /// # Errors
    ///
    /// The first [`ChainBreak`] found in this or an earlier row (see the
    /// order of checks on [`ChainVerifier`]).
    pub fn feed(&mut self, row: &StoredEvent) -> Result<(), ChainBreak> {
        if let Some(b) = &self.first_break {
            return Err(b.clone());
        }
        if let Err(b) = self.check(row) {
            self.first_break = Some(b.clone());
            return Err(b);
        }
        if self.expected.remove(&row.seq).is_some() {
            self.observed.insert(row.seq, row.hash.clone());
        }
        self.last_seq = row.seq;
        self.last_hash.clone_from(&row.hash);
        self.has_head = true;
        self.checked += 1;
        Ok(())
    }

    fn check(&self, row: &StoredEvent) -> Result<(), ChainBreak> {
        let seq = row.seq;
        // `seq > last_seq` first, so `seq - 1` cannot overflow.
        if !(seq > self.last_seq && seq - 1 == self.last_seq) {
            return Err(ChainBreak::Gap {
                expected: self.last_seq.saturating_add(1),
                seq,
            });
        }
        let alg: HashAlgorithm = row
            .algorithm
            .parse()
            .map_err(|_| ChainBreak::UnknownAlgorithm { seq })?;
        if compute_hash(alg, &row.record()) != row.hash {
            return Err(ChainBreak::HashMismatch { seq });
        }
        if row.prev_hash != self.last_hash {
            return Err(ChainBreak::LinkBroken { seq });
        }
        if let Some(expected) = self.expected.get(&seq)
            && *expected != row.hash
        {
            return Err(ChainBreak::CheckpointMismatch { seq });
        }
        Ok(())
    }

    /// Ends the run. Reports [`ChainBreak::Truncated`] for the first
    /// registered checkpoint the chain did not reach, unless an earlier break
    /// was already found.
    #[must_use]
    pub fn finish(self) -> Verification {
        let first_break = self.first_break.or_else(|| {
            self.expected
                .keys()
                .next()
                .map(|&checkpoint_seq| ChainBreak::Truncated { checkpoint_seq })
        });
        Verification {
            checked: self.checked,
            head_seq: self.has_head.then_some(self.last_seq),
            head_hash: self.has_head.then_some(self.last_hash),
            first_break,
            checkpoints: self.observed,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap() + chrono::Duration::microseconds(123_456)
    }

    /// An unsealed row (`hash` and `prev_hash` filled in by [`seal`]).
    fn event(seq: i64, alg: HashAlgorithm) -> StoredEvent {
        StoredEvent {
            seq,
            at: t0() + chrono::Duration::seconds(seq),
            actor_id: Some(7),
            actor_name: "张三".to_owned(),
            action: "permit.approve".to_owned(),
            subject_type: "permit".to_owned(),
            subject_id: format!("P-{seq}"),
            before: Some(json!({"status": "pending", "limits": {"cod": 50, "nh3": 5.5}})),
            after: Some(json!({"status": "approved", "limits": {"cod": 50, "nh3": 5.5}})),
            prev_hash: String::new(),
            hash: String::new(),
            algorithm: alg.as_str().to_owned(),
        }
    }

    /// Re-links and re-hashes rows `from..` as an honest writer would.
    fn seal(rows: &mut [StoredEvent], from: usize) {
        for i in from..rows.len() {
            rows[i].prev_hash = if i == 0 {
                GENESIS_HASH.to_owned()
            } else {
                rows[i - 1].hash.clone()
            };
            let alg: HashAlgorithm = rows[i].algorithm.parse().unwrap();
            rows[i].hash = compute_hash(alg, &rows[i].record());
        }
    }

    fn chain(n: i64) -> Vec<StoredEvent> {
        chain_with(n, |_| HashAlgorithm::Sha256)
    }

    fn chain_with(n: i64, alg: impl Fn(i64) -> HashAlgorithm) -> Vec<StoredEvent> {
        let mut rows: Vec<_> = (1..=n).map(|seq| event(seq, alg(seq))).collect();
        seal(&mut rows, 0);
        rows
    }

    fn verify(rows: &[StoredEvent]) -> Verification {
        let mut v = ChainVerifier::new(None);
        for row in rows {
            if v.feed(row).is_err() {
                break;
            }
        }
        v.finish()
    }

    fn first_break(rows: &[StoredEvent]) -> Option<ChainBreak> {
        verify(rows).first_break
    }

    #[test]
    fn algorithm_names_round_trip() {
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sm3] {
            assert_eq!(alg.as_str().parse::<HashAlgorithm>().unwrap(), alg);
            assert_eq!(alg.to_string(), alg.as_str());
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(json, format!("\"{}\"", alg.as_str()));
            assert_eq!(serde_json::from_str::<HashAlgorithm>(&json).unwrap(), alg);
        }
        assert_eq!(
            "SHA256".parse::<HashAlgorithm>(),
            Err(UnknownAlgorithm("SHA256".to_owned()))
        );
        assert!("md5".parse::<HashAlgorithm>().is_err());
    }

    #[test]
    fn digests_match_known_answers() {
        assert_eq!(
            HashAlgorithm::Sha256.hex_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // GB/T 32905-2016, example 1.
        assert_eq!(
            HashAlgorithm::Sm3.hex_digest(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(GENESIS_HASH.bytes().all(|b| b == b'0'));
    }

    #[test]
    fn timestamp_is_rfc3339_with_microseconds() {
        assert_eq!(format_timestamp(t0()), "2026-12-04T08:00:00.123456Z");
        let whole = Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap();
        assert_eq!(format_timestamp(whole), "2026-12-04T08:00:00.000000Z");
        // Nanoseconds beyond the microsecond do not change the hash, so a
        // database round trip (which keeps microseconds) verifies.
        let nanos = t0() + chrono::Duration::nanoseconds(789);
        assert_eq!(truncate_to_micros(nanos), t0());
        let mut a = event(1, HashAlgorithm::Sha256);
        a.prev_hash = GENESIS_HASH.to_owned();
        let mut b = a.clone();
        b.at += chrono::Duration::nanoseconds(789);
        assert_eq!(canonical_bytes(&a.record()), canonical_bytes(&b.record()));
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let a: Value =
            serde_json::from_str(r#"{ "b": 1, "a": {"z": [3, {"y": null, "x": true}], "k": "v"}, "c": 1.5 }"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"c":1.5,"a":{"k":"v","z":[3,{"x":true,"y":null}]},"b":1}"#).unwrap();
        let expected = r#"{"a":{"k":"v","z":[3,{"x":true,"y":null}]},"b":1,"c":1.5}"#;
        assert_eq!(canonical_json(&a), expected);
        assert_eq!(canonical_json(&b), expected);
        // Array order is significant.
        assert_ne!(canonical_json(&json!([1, 2])), canonical_json(&json!([2, 1])));
    }

    #[test]
    fn canonical_json_strings_are_escaped_like_serde_json() {
        let s = "引号\" 反斜杠\\ \n\r\t\u{08}\u{0c}\u{01}\u{1f} / é 😀";
        let v = json!({ s: s });
        assert_eq!(canonical_json(&v), serde_json::to_string(&v).unwrap());
        assert_eq!(canonical_json(&json!("\u{01}")), r#""\u0001""#);
        // Numbers as serde_json prints them: 1 and 1.0 are different values.
        assert_eq!(canonical_json(&json!([1, 1.0, -0.5, 1e30])), "[1,1.0,-0.5,1e+30]");
    }

    #[test]
    fn canonical_bytes_are_pinned() {
        // Guards against accidental changes of the encoding: any change here
        // invalidates every stored chain.
        let before = json!({"b": [1, "二"], "a": null});
        let r = ChainRecord {
            seq: 1,
            at: t0(),
            actor_id: None,
            actor_name: "system",
            action: "a",
            subject_type: "s",
            subject_id: "1",
            before: Some(&before),
            after: None,
            prev_hash: GENESIS_HASH,
        };
        let mut expected = Vec::new();
        let field = |out: &mut Vec<u8>, b: &[u8]| {
            out.extend_from_slice(&(b.len() as u64).to_be_bytes());
            out.extend_from_slice(b);
        };
        field(&mut expected, b"ecogov-audit-chain/v1");
        field(&mut expected, &1_i64.to_be_bytes());
        field(&mut expected, b"2026-12-04T08:00:00.123456Z");
        expected.push(0);
        field(&mut expected, b"system");
        field(&mut expected, b"a");
        field(&mut expected, b"s");
        field(&mut expected, b"1");
        expected.push(1);
        field(&mut expected, r#"{"a":null,"b":[1,"二"]}"#.as_bytes());
        expected.push(0);
        field(&mut expected, GENESIS_HASH.as_bytes());
        assert_eq!(canonical_bytes(&r), expected);
        assert_eq!(
            compute_hash(HashAlgorithm::Sha256, &r),
            hex::encode(Sha256::digest(&expected))
        );
        assert_eq!(
            compute_hash(HashAlgorithm::Sm3, &r),
            hex::encode(Sm3::digest(&expected))
        );
        let h = compute_hash(HashAlgorithm::Sha256, &r);
        assert_eq!(h.len(), 64);
        assert!(h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn encoding_is_unambiguous() {
        let base = event(1, HashAlgorithm::Sha256);
        let hash = |e: &StoredEvent| compute_hash(HashAlgorithm::Sha256, &e.record());
        // Moving bytes between adjacent text fields changes the hash.
        let mut a = base.clone();
        a.action = "ab".to_owned();
        a.subject_type = "c".to_owned();
        let mut b = base.clone();
        b.action = "a".to_owned();
        b.subject_type = "bc".to_owned();
        assert_ne!(hash(&a), hash(&b));
        // None differs from JSON null, for before and after.
        let mut none = base.clone();
        none.before = None;
        let mut null = base.clone();
        null.before = Some(Value::Null);
        assert_ne!(hash(&none), hash(&null));
        let mut none_after = base.clone();
        none_after.after = None;
        let mut null_after = base.clone();
        null_after.after = Some(Value::Null);
        assert_ne!(hash(&none_after), hash(&null_after));
        // before and after are not interchangeable.
        let mut swapped = base.clone();
        std::mem::swap(&mut swapped.before, &mut swapped.after);
        assert_ne!(hash(&base), hash(&swapped));
        // No actor differs from actor 0.
        let mut no_actor = base.clone();
        no_actor.actor_id = None;
        let mut actor0 = base.clone();
        actor0.actor_id = Some(0);
        assert_ne!(hash(&no_actor), hash(&actor0));
        // The algorithms give different digests.
        assert_ne!(hash(&base), compute_hash(HashAlgorithm::Sm3, &base.record()));
    }

    #[test]
    fn intact_chain_verifies() {
        let rows = chain(5);
        assert_eq!(rows[0].prev_hash, GENESIS_HASH);
        let v = verify(&rows);
        assert!(v.is_intact(), "{v:?}");
        assert_eq!(v.checked, 5);
        assert_eq!(v.head_seq, Some(5));
        assert_eq!(v.head_hash.as_deref(), Some(rows[4].hash.as_str()));
    }

    #[test]
    fn empty_chain_verifies() {
        let v = ChainVerifier::new(None).finish();
        assert_eq!(
            v,
            Verification {
                checked: 0,
                head_seq: None,
                head_hash: None,
                first_break: None,
                checkpoints: BTreeMap::new(),
            }
        );
    }

    #[test]
    fn json_key_order_does_not_matter() {
        let mut rows = chain(3);
        // Re-read the JSON with keys in another order (as jsonb would).
        let reordered: Value =
            serde_json::from_str(r#"{"limits": {"nh3": 5.5, "cod": 50}, "status":   "approved"}"#).unwrap();
        assert_eq!(rows[1].after.as_ref(), Some(&reordered));
        rows[1].after = Some(reordered);
        assert!(verify(&rows).is_intact());
    }

    #[test]
    fn editing_any_covered_field_is_a_hash_mismatch_at_that_row() {
        type Edit = fn(&mut StoredEvent);
        let edits: [(&str, Edit); 13] = [
            ("seq", |e| e.seq += 100),
            ("at", |e| e.at += chrono::Duration::microseconds(1)),
            ("actor_id", |e| e.actor_id = Some(8)),
            ("actor_id none", |e| e.actor_id = None),
            ("actor_name", |e| e.actor_name = "李四".to_owned()),
            ("action", |e| e.action = "permit.reject".to_owned()),
            ("subject_type", |e| e.subject_type = "license".to_owned()),
            ("subject_id", |e| e.subject_id.push('0')),
            ("before", |e| e.before = Some(json!({"status": "draft"}))),
            ("before none", |e| e.before = None),
            ("after nested", |e| {
                e.after = Some(json!({"status": "approved", "limits": {"cod": 51, "nh3": 5.5}}));
            }),
            ("after null", |e| e.after = Some(Value::Null)),
            ("prev_hash", |e| e.prev_hash = "f".repeat(64)),
        ];
        for (name, edit) in edits {
            let mut rows = chain(5);
            edit(&mut rows[2]);
            let expected = if name == "seq" {
                // A renumbered row shows up as a gap before its hash is looked at.
                ChainBreak::Gap { expected: 3, seq: 103 }
            } else {
                ChainBreak::HashMismatch { seq: 3 }
            };
            assert_eq!(first_break(&rows), Some(expected), "{name}");
        }
        // Editing the stored hash itself is also a mismatch.
        let mut rows = chain(5);
        rows[2].hash = "0".repeat(64);
        assert_eq!(first_break(&rows), Some(ChainBreak::HashMismatch { seq: 3 }));
    }

    #[test]
    fn deleting_a_middle_row_is_a_gap_at_the_next_seq() {
        let mut rows = chain(5);
        rows.remove(2);
        assert_eq!(first_break(&rows), Some(ChainBreak::Gap { expected: 3, seq: 4 }));
        // Deleting the first row.
        let mut rows = chain(3);
        rows.remove(0);
        assert_eq!(first_break(&rows), Some(ChainBreak::Gap { expected: 1, seq: 2 }));
    }

    #[test]
    fn deleting_and_renumbering_is_detected() {
        // Delete row 3 and renumber the rest without re-hashing.
        let mut rows = chain(5);
        rows.remove(2);
        for (i, row) in rows.iter_mut().enumerate() {
            row.seq = i64::try_from(i).unwrap() + 1;
        }
        assert_eq!(first_break(&rows), Some(ChainBreak::HashMismatch { seq: 3 }));
        // Renumber and re-hash only the moved rows: the link still breaks.
        let mut rows = chain(5);
        rows.remove(2);
        for (i, row) in rows.iter_mut().enumerate().skip(2) {
            row.seq = i64::try_from(i).unwrap() + 1;
            let prev = row.prev_hash.clone();
            row.hash = compute_hash(HashAlgorithm::Sha256, &row.record());
            assert_eq!(row.prev_hash, prev);
        }
        assert_eq!(first_break(&rows), Some(ChainBreak::LinkBroken { seq: 3 }));
    }

    #[test]
    fn deleting_the_last_row_needs_a_checkpoint() {
        let full = chain(5);
        let (cp_seq, cp_hash) = (5, full[4].hash.clone());
        let mut rows = full.clone();
        rows.pop();
        // The chain alone cannot tell: a shorter chain is still valid.
        let v = verify(&rows);
        assert!(v.is_intact());
        assert_eq!(v.head_seq, Some(4));
        // The checkpoint can.
        assert_eq!(
            check_checkpoint(&v, cp_seq, &cp_hash),
            Err(ChainBreak::Truncated { checkpoint_seq: 5 })
        );
        let mut verifier = ChainVerifier::new(None);
        verifier.expect_checkpoint(cp_seq, cp_hash.clone());
        for row in &rows {
            verifier.feed(row).unwrap();
        }
        let v = verifier.finish();
        assert_eq!(v.first_break, Some(ChainBreak::Truncated { checkpoint_seq: 5 }));
        assert_eq!(v.first_break.as_ref().map(ChainBreak::seq), Some(5));
        // The intact chain passes the same checkpoint, both ways.
        let v = verify(&full);
        assert_eq!(check_checkpoint(&v, cp_seq, &cp_hash), Ok(()));
        let mut verifier = ChainVerifier::new(None);
        verifier.expect_checkpoint(cp_seq, cp_hash.clone());
        for row in &full {
            verifier.feed(row).unwrap();
        }
        let v = verifier.finish();
        assert!(v.is_intact());
        assert_eq!(v.checkpoints.get(&5), Some(&cp_hash));
    }

    #[test]
    fn checkpoint_in_the_middle_survives_appends_and_catches_rewrites() {
        let mut rows = chain(4);
        let (cp_seq, cp_hash) = (4, rows[3].hash.clone());
        // More events are appended after the checkpoint.
        rows.extend((5..=8).map(|seq| event(seq, HashAlgorithm::Sha256)));
        seal(&mut rows, 4);
        let run = |rows: &[StoredEvent]| {
            let mut verifier = ChainVerifier::new(None);
            verifier.expect_checkpoint(cp_seq, cp_hash.clone());
            for row in rows {
                if verifier.feed(row).is_err() {
                    break;
                }
            }
            verifier.finish()
        };
        let v = run(&rows);
        assert!(v.is_intact(), "{v:?}");
        assert_eq!(check_checkpoint(&v, cp_seq, &cp_hash), Ok(()));
        // Without registering the checkpoint the verification cannot vouch.
        assert_eq!(
            check_checkpoint(&verify(&rows), cp_seq, &cp_hash),
            Err(ChainBreak::CheckpointUnverifiable { checkpoint_seq: 4 })
        );
        // An attacker edits row 2 and re-hashes everything after it: the
        // chain is self-consistent, only the checkpoint catches it.
        let mut forged = rows.clone();
        forged[1].actor_name = "nobody".to_owned();
        seal(&mut forged, 1);
        assert!(verify(&forged).is_intact());
        let v = run(&forged);
        assert_eq!(v.first_break, Some(ChainBreak::CheckpointMismatch { seq: 4 }));
        assert_eq!(v.checked, 3);
        assert_eq!(
            check_checkpoint(&v, cp_seq, &cp_hash),
            Err(ChainBreak::CheckpointMismatch { seq: 4 })
        );
        // Truncating and re-appending forged rows beyond the checkpoint is
        // caught the same way.
        let mut forged = rows[..2].to_vec();
        forged.extend((3..=8).map(|seq| {
            let mut e = event(seq, HashAlgorithm::Sha256);
            e.action = "forged".to_owned();
            e
        }));
        seal(&mut forged, 2);
        assert_eq!(
            run(&forged).first_break,
            Some(ChainBreak::CheckpointMismatch { seq: 4 })
        );
    }

    #[test]
    fn checkpoint_at_the_trusted_start_or_before_it() {
        let rows = chain(4);
        let start = Some((2, rows[1].hash.clone()));
        let mut verifier = ChainVerifier::new(start.clone());
        verifier.expect_checkpoint(2, rows[1].hash.clone());
        assert!(verifier.clone().finish().is_intact());
        verifier.expect_checkpoint(2, "f".repeat(64));
        assert_eq!(
            verifier.finish().first_break,
            Some(ChainBreak::CheckpointMismatch { seq: 2 })
        );
        let mut verifier = ChainVerifier::new(start.clone());
        verifier.expect_checkpoint(1, rows[0].hash.clone());
        assert_eq!(
            verifier.finish().first_break,
            Some(ChainBreak::CheckpointUnverifiable { checkpoint_seq: 1 })
        );
        // check_checkpoint against the untouched head of a run from `start`.
        let v = ChainVerifier::new(start).finish();
        assert_eq!(check_checkpoint(&v, 2, &rows[1].hash), Ok(()));
        assert_eq!(
            check_checkpoint(&v, 2, &rows[0].hash),
            Err(ChainBreak::CheckpointMismatch { seq: 2 })
        );
        assert_eq!(
            check_checkpoint(&v, 3, &rows[2].hash),
            Err(ChainBreak::Truncated { checkpoint_seq: 3 })
        );
    }

    #[test]
    fn swapping_two_rows_contents_is_detected_at_the_first_swapped_seq() {
        // Swap everything but seq (the row positions stay, contents move).
        let mut rows = chain(5);
        let (a, b) = (rows[1].clone(), rows[3].clone());
        rows[1] = StoredEvent { seq: 2, ..b };
        rows[3] = StoredEvent { seq: 4, ..a };
        assert_eq!(first_break(&rows), Some(ChainBreak::HashMismatch { seq: 2 }));
        // Swap only the payload, keeping seq and the hashes in place.
        let mut rows = chain(5);
        let payload_b = (rows[3].subject_id.clone(), rows[3].at, rows[3].before.clone());
        rows[3].subject_id = rows[1].subject_id.clone();
        rows[3].at = rows[1].at;
        rows[3].before = rows[1].before.clone();
        (rows[1].subject_id, rows[1].at, rows[1].before) = payload_b;
        assert_eq!(first_break(&rows), Some(ChainBreak::HashMismatch { seq: 2 }));
        // Swap whole rows (including seq) in the order they are fed.
        let mut rows = chain(5);
        rows.swap(1, 3);
        assert_eq!(first_break(&rows), Some(ChainBreak::Gap { expected: 2, seq: 4 }));
        // Swap and re-hash each swapped row in isolation: links break.
        let mut rows = chain(5);
        let (a, b) = (rows[1].clone(), rows[3].clone());
        rows[1] = StoredEvent { seq: 2, ..b };
        rows[3] = StoredEvent { seq: 4, ..a };
        for i in [1, 3] {
            rows[i].hash = compute_hash(HashAlgorithm::Sha256, &rows[i].record());
        }
        assert_eq!(first_break(&rows), Some(ChainBreak::LinkBroken { seq: 2 }));
    }

    #[test]
    fn rehashing_an_edited_row_breaks_the_link_of_the_next_row() {
        let mut rows = chain(5);
        rows[2].after = Some(json!({"status": "rejected"}));
        rows[2].hash = compute_hash(HashAlgorithm::Sha256, &rows[2].record());
        let v = verify(&rows);
        assert_eq!(v.first_break, Some(ChainBreak::LinkBroken { seq: 4 }));
        assert_eq!(v.checked, 3);
        assert_eq!(v.head_seq, Some(3));
        // Editing the last row and re-hashing it is, like truncation, only
        // visible to a checkpoint.
        let mut rows = chain(5);
        let cp_hash = rows[4].hash.clone();
        rows[4].actor_id = None;
        rows[4].hash = compute_hash(HashAlgorithm::Sha256, &rows[4].record());
        let v = verify(&rows);
        assert!(v.is_intact());
        assert_eq!(
            check_checkpoint(&v, 5, &cp_hash),
            Err(ChainBreak::CheckpointMismatch { seq: 5 })
        );
    }

    #[test]
    fn inserting_a_row_is_detected() {
        let mut rows = chain(4);
        let mut forged = event(3, HashAlgorithm::Sha256);
        forged.prev_hash = rows[1].hash.clone();
        forged.hash = compute_hash(HashAlgorithm::Sha256, &forged.record());
        rows.insert(2, forged);
        // Now there are two rows with seq 3; the original one follows.
        assert_eq!(first_break(&rows), Some(ChainBreak::Gap { expected: 4, seq: 3 }));
    }

    #[test]
    fn mixed_algorithms_verify() {
        let rows = chain_with(6, |seq| {
            if seq % 2 == 0 {
                HashAlgorithm::Sm3
            } else {
                HashAlgorithm::Sha256
            }
        });
        assert_eq!(rows[1].algorithm, "sm3");
        assert_eq!(rows[1].hash, compute_hash(HashAlgorithm::Sm3, &rows[1].record()));
        assert!(verify(&rows).is_intact());
        // Relabelling a row's algorithm is detected as an edit.
        let mut relabelled = rows.clone();
        relabelled[1].algorithm = "sha256".to_owned();
        assert_eq!(first_break(&relabelled), Some(ChainBreak::HashMismatch { seq: 2 }));
        let mut unknown = rows;
        unknown[3].algorithm = "md5".to_owned();
        assert_eq!(first_break(&unknown), Some(ChainBreak::UnknownAlgorithm { seq: 4 }));
    }

    #[test]
    fn paged_verification_equals_full_verification() {
        let rows = chain(10);
        let full = verify(&rows);
        let mut start = None;
        let mut checked = 0;
        let mut last = None;
        for page in rows.chunks(3) {
            let mut verifier = ChainVerifier::new(start.clone());
            for row in page {
                verifier.feed(row).unwrap();
            }
            let v = verifier.finish();
            assert!(v.is_intact());
            checked += v.checked;
            start = Some((v.head_seq.unwrap(), v.head_hash.clone().unwrap()));
            last = Some(v);
        }
        let last = last.unwrap();
        assert_eq!(checked, full.checked);
        assert_eq!(last.head_seq, full.head_seq);
        assert_eq!(last.head_hash, full.head_hash);
        // A page fed from a wrong trusted point breaks at its first row.
        let mut verifier = ChainVerifier::new(Some((3, "a".repeat(64))));
        assert_eq!(verifier.feed(&rows[3]), Err(ChainBreak::LinkBroken { seq: 4 }));
        // Resuming from a trusted point but skipping a row is a gap.
        let mut verifier = ChainVerifier::new(Some((3, rows[2].hash.clone())));
        assert_eq!(verifier.feed(&rows[4]), Err(ChainBreak::Gap { expected: 4, seq: 5 }));
        // An empty page keeps the trusted point as head.
        let v = ChainVerifier::new(Some((3, rows[2].hash.clone()))).finish();
        assert_eq!(v.head_seq, Some(3));
        assert_eq!(v.head_hash.as_deref(), Some(rows[2].hash.as_str()));
        assert_eq!(v.checked, 0);
    }

    #[test]
    fn first_break_is_sticky() {
        let mut rows = chain(5);
        rows[1].action = "tampered".to_owned();
        let mut verifier = ChainVerifier::new(None);
        assert_eq!(verifier.feed(&rows[0]), Ok(()));
        let first = Err(ChainBreak::HashMismatch { seq: 2 });
        assert_eq!(verifier.feed(&rows[1]), first);
        // Later rows, valid or not, keep reporting the first break.
        for row in &rows[2..] {
            assert_eq!(verifier.feed(row), first);
        }
        verifier.expect_checkpoint(99, "f".repeat(64));
        let v = verifier.finish();
        assert_eq!(v.first_break, Some(ChainBreak::HashMismatch { seq: 2 }));
        assert_eq!(v.checked, 1);
        assert_eq!(v.head_seq, Some(1));
        assert_eq!(
            check_checkpoint(&v, 1, &rows[0].hash),
            Err(ChainBreak::HashMismatch { seq: 2 })
        );
    }

    #[test]
    fn breaks_serialize_with_a_kind_tag_and_display() {
        let b = ChainBreak::Gap { expected: 3, seq: 4 };
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            json!({"kind": "gap", "expected": 3, "seq": 4})
        );
        assert_eq!(b.seq(), 4);
        assert_eq!(
            serde_json::to_value(ChainBreak::Truncated { checkpoint_seq: 9 }).unwrap(),
            json!({"kind": "truncated", "checkpoint_seq": 9})
        );
        assert!(b.to_string().contains("expected seq 3"));
    }

    #[test]
    fn stored_events_round_trip_through_json_columns() {
        // What a database with a text/jsonb column and microsecond timestamps
        // gives back still verifies.
        let rows = chain(3);
        let text = serde_json::to_string(&rows).unwrap();
        let back: Vec<StoredEvent> = serde_json::from_str(&text).unwrap();
        assert!(verify(&back).is_intact());
    }
}
