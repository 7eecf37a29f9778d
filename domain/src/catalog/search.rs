//! Full-text search over the data resource catalog (资源目录检索): resource codes, names and
//! summaries, and every field's English name, Chinese name and description, with filters on
//! department, classification, grade, share type and status.
//!
//! It exists because catalog users search in Chinese without spaces ("空气质量", "小时数据"),
//! mix in English field names and pollutant symbols ("pm25", "PM2.5", "station_code") and paste
//! resource codes ("WHEE-AIR-0001"); a SQL `LIKE` neither segments nor ranks, and scans every
//! row. The index is in memory, built from the catalog at start-up and kept current with
//! [`SearchIndex::upsert`] / [`SearchIndex::remove`].
//!
//! # Rules
//!
//! - **Analysis.** Text is normalised (full-width ASCII to half-width, lower case). Han runs are
//!   segmented with jieba's search mode, which keeps each whole word and adds its dictionary
//!   sub-words ("空气质量" also gives "空气", "质量"). Every pair of adjacent Han characters is
//!   indexed as well (unless jieba already gave that pair as a word at that place), as a
//!   fallback: words jieba does not know ("沌口") or segments differently in another context
//!   still match. Bigrams share the term space with two-character words, which are the same
//!   strings. Latin/digit runs keep `-`, `_`,
//!   `.` inside them; each is indexed whole ("whee-air-0001", "pm2.5"), squashed without those
//!   connectors ("pm25"), and split into its parts at connectors and camelCase boundaries
//!   ("whee", "air", "0001"; "stationCode" gives "station", "code"), parts of one character
//!   dropped. A few Chinese function characters (的, 了, 和...) and English stop words are not
//!   indexed and are ignored in queries.
//! - **Queries.** A query is analysed the same way but with jieba's coarse mode, and each
//!   resulting word is a clause; all clauses must match (AND), each one on the resource itself
//!   or on any of its fields. A clause accepts the exact word; a Han word of three or more
//!   characters also matches through all its bigrams (anywhere in the resource) at half the
//!   score, so exact words rank first; a lone Han character matches any two-character term
//!   holding it, at 0.4. Runs of single characters from jieba (unknown words) are rejoined
//!   before this. A Latin token whose whole and squashed forms are both unknown falls back to
//!   all its parts, at 0.6. A query with nothing left after analysis (only whitespace, punctuation or stop
//!   characters) matches nothing.
//! - **Ranking.** BM25F-like: per zone, term frequency times a zone boost (name 5, code 4,
//!   field Chinese name 2.5, field name 2, summary 1, field description 1) over a length norm;
//!   the resource-level zones add up, fields count by their best match plus a tenth of the
//!   rest (fifty fields mentioning "数据" must not bury a resource named after it); the sum is
//!   saturated (k1 = 1.2) and multiplied by the term's idf. A query that equals a resource code
//!   (case-insensitive) puts that resource first. Ties go to the smaller resource id, so
//!   results are deterministic.
//! - **Concurrency.** [`SearchIndex`] holds plain data: it is `Send + Sync`, searches take
//!   `&self` and updates `&mut self`. Callers share it as `Arc<RwLock<SearchIndex>>`; readers
//!   run concurrently and an update blocks them only for the few milliseconds one resource
//!   takes. The jieba dictionary is loaded once per process, on first use (about 0.15 s).
//! - **Storage.** Terms are interned to `u32`; each term owns one posting list sorted by
//!   resource slot, with one 8-byte posting per (resource, location) where location 0 is the
//!   resource's own text and `i + 1` its field `i`. A query walks the smallest clause's lists
//!   and checks the other clauses by galloping search, never scanning all resources. Only
//!   field names are kept, not the texts. Slots of replaced or removed resources are reclaimed
//!   by renumbering once they outnumber the live ones; terms no longer used stay in the
//!   dictionary (a few bytes each). Posting lists grow by an eighth, not by doubling, to keep
//!   slack small. Fields past the 65,534th of one resource are not indexed.
//!
//! Not supported: stemming or synonyms ("PM2.5" and "细颗粒物" are different words), prefix
//! search on Latin words ("stat" does not find "station"), phrase or proximity queries (the
//! bigram fallback checks that the pairs occur, not that they are adjacent), typo tolerance.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;
use std::time::Instant;

use jieba_rs::Jieba;
use serde::Serialize;

/// The jieba dictionary, loaded once per process; segmentation only reads it.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// One resource as the search index sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchDoc {
    /// Resource id; [`SearchIndex::upsert`] replaces by it.
    pub resource_id: i64,
    /// Resource code, e.g. "WHEE-AIR-0001".
    pub code: String,
    /// Resource name (资源名称).
    pub name: String,
    /// Resource summary (资源摘要).
    pub summary: String,
    /// Provider department code.
    pub department: String,
    /// Classification path, e.g. "1/02/003".
    pub classification: String,
    /// "core" | "important" | "general".
    pub grade: String,
    /// "unconditional" | "conditional" | "not_shared".
    pub share_type: String,
    /// "draft" | "under_review" | "published" | "offline".
    pub status: String,
    /// The resource's fields (数据元), in catalog order.
    pub fields: Vec<SearchField>,
}

/// One field of a resource as the search index sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchField {
    /// Column name, e.g. "pm25".
    pub name: String,
    /// Chinese name, e.g. "PM2.5 浓度".
    pub cn_name: String,
    /// Free-text description.
    pub description: String,
}

/// Restricts a search; `None` means no restriction. Values compare exactly.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// Provider department code.
    pub department: Option<String>,
    /// Classification path prefix by whole segments: "1/02" matches "1/02" and "1/02/003",
    /// not "1/020".
    pub classification_prefix: Option<String>,
    /// Grade identifier.
    pub grade: Option<String>,
    /// Share type identifier.
    pub share_type: Option<String>,
    /// Status identifier.
    pub status: Option<String>,
}

/// One matching resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Resource id.
    pub resource_id: i64,
    /// Relevance; higher is better. Only comparable within one search.
    pub score: f32,
    /// Names of the fields whose text matched a query term, in catalog order.
    pub matched_fields: Vec<String>,
}

/// Posting weights are stored as `u16` fixed point with this many steps per unit.
const WEIGHT_SCALE: f32 = 256.0;
/// BM25 saturation.
const K1: f32 = 1.2;
/// BM25 length-norm strength.
const LENGTH_B: f32 = 0.5;
/// Share of a resource's non-best field matches that still counts.
const FIELD_SPREAD: f32 = 0.1;
/// Factor of a match through Han bigrams instead of the exact word.
const BIGRAM_FACTOR: f32 = 0.5;
/// Factor of a single Han character matched inside a two-character term.
const CHAR_IN_BIGRAM_FACTOR: f32 = 0.4;
/// Factor of a Latin token matched through its parts only.
const PARTS_FACTOR: f32 = 0.6;
/// Above this many alternatives (all single terms) a clause is scored in one pass over its
/// lists instead of seeking them per candidate.
const DENSE_ALTS: usize = 16;
/// Added to the resource whose code equals the query, so that it comes first.
const CODE_BONUS: f32 = 1000.0;
/// Location 0 is the resource's own text; fields use 1..=this.
const MAX_FIELDS: usize = u16::MAX as usize - 1;
/// Han characters that carry no meaning on their own in catalog text.
const HAN_STOP: &[&str] = &[
    "的", "了", "和", "与", "及", "或", "之", "其", "是", "在", "等", "对", "为", "并", "且", "也", "而", "即",
];
/// English words that carry no meaning on their own in catalog text.
const EN_STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "of", "on", "or", "the", "to", "with",
];

/// Where a piece of text sits; decides its boost and typical length (in emitted terms).
#[derive(Debug, Clone, Copy)]
enum Zone {
    Code,
    Name,
    Summary,
    FieldName,
    FieldCnName,
    FieldDesc,
}

impl Zone {
    fn boost(self) -> f32 {
        match self {
            Zone::Code => 4.0,
            Zone::Name => 5.0,
            Zone::Summary | Zone::FieldDesc => 1.0,
            Zone::FieldName => 2.0,
            Zone::FieldCnName => 2.5,
        }
    }

    fn typical_len(self) -> f32 {
        match self {
            Zone::Code => 5.0,
            Zone::Name => 30.0,
            Zone::Summary => 80.0,
            Zone::FieldName => 4.0,
            Zone::FieldCnName => 10.0,
            Zone::FieldDesc => 50.0,
        }
    }
}

/// One term at one location of one resource.
#[derive(Debug, Clone, Copy)]
struct Posting {
    /// Resource slot.
    doc: u32,
    /// 0 for the resource's own text, `i + 1` for field `i`.
    loc: u16,
    /// Boosted, length-normalised term frequency, fixed point (see [`WEIGHT_SCALE`]).
    weight: u16,
}

impl Posting {
    fn weight(self) -> f32 {
        f32::from(self.weight) / WEIGHT_SCALE
    }
}

#[derive(Debug, Default)]
struct PostingList {
    /// Sorted by `(doc, loc)`.
    postings: Vec<Posting>,
    /// Number of distinct resources in `postings`.
    df: u32,
}

/// A resource's field names in one allocation: half a million small strings would cost
/// more in headers than in text.
#[derive(Debug)]
struct FieldNames {
    text: Box<str>,
    ends: Box<[u32]>,
}

impl FieldNames {
    fn new<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        let mut text = String::new();
        let mut ends = Vec::new();
        for name in names {
            text.push_str(name);
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        FieldNames {
            text: text.into(),
            ends: ends.into(),
        }
    }

    fn get(&self, i: usize) -> Option<&str> {
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? as usize };
        let end = *self.ends.get(i)? as usize;
        self.text.get(start..end)
    }
}

#[derive(Debug)]
struct DocMeta {
    resource_id: i64,
    department: String,
    classification: String,
    grade: String,
    share_type: String,
    status: String,
    /// Normalised code, the key of `SearchIndex::code_slot`.
    code_key: String,
    field_names: FieldNames,
    /// Distinct term ids of this resource, to take it out of their posting lists; ascending,
    /// stored as LEB128 deltas (about a quarter of plain `u32`s).
    terms: Box<[u8]>,
}

/// In-memory inverted index of the catalog. See the module documentation for its rules.
#[derive(Debug, Default)]
pub struct SearchIndex {
    term_ids: HashMap<Box<str>, u32>,
    lists: Vec<PostingList>,
    /// Han character to the two-character terms containing it, for one-character queries.
    bigrams_by_char: HashMap<char, Vec<u32>>,
    /// By slot; `None` for a replaced or removed resource until the next renumbering.
    docs: Vec<Option<DocMeta>>,
    live: usize,
    slot_of: HashMap<i64, u32>,
    code_slot: HashMap<String, u32>,
}

impl SearchFilter {
    fn accepts(&self, doc: &DocMeta) -> bool {
        fn same(want: Option<&String>, have: &str) -> bool {
            want.is_none_or(|w| w == have)
        }
        same(self.department.as_ref(), &doc.department)
            && same(self.grade.as_ref(), &doc.grade)
            && same(self.share_type.as_ref(), &doc.share_type)
            && same(self.status.as_ref(), &doc.status)
            && self.classification_prefix.as_deref().is_none_or(|p| {
                let p = p.trim_end_matches('/');
                p.is_empty()
                    || doc
                        .classification
                        .strip_prefix(p)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }
}

impl SearchIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of indexed resources.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no resource is indexed.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Indexes `doc`, replacing any resource with the same id.
    pub fn upsert(&mut self, doc: SearchDoc) {
        self.remove(doc.resource_id);
        // Slots are renumbered once most are dead, so running out of u32 needs four billion
        // live resources; such a resource is not indexed.
        let Ok(slot) = u32::try_from(self.docs.len()) else {
            return;
        };
        let mut entries: Vec<(u32, u16, f32)> = Vec::new();
        let mut scratch = Vec::new();
        self.add_zone(&doc.code, Zone::Code, 0, &mut entries, &mut scratch);
        self.add_zone(&doc.name, Zone::Name, 0, &mut entries, &mut scratch);
        self.add_zone(&doc.summary, Zone::Summary, 0, &mut entries, &mut scratch);
        for (i, field) in doc.fields.iter().enumerate().take(MAX_FIELDS) {
            let loc = u16::try_from(i + 1).unwrap_or(u16::MAX);
            self.add_zone(&field.name, Zone::FieldName, loc, &mut entries, &mut scratch);
            self.add_zone(&field.cn_name, Zone::FieldCnName, loc, &mut entries, &mut scratch);
            self.add_zone(&field.description, Zone::FieldDesc, loc, &mut entries, &mut scratch);
        }
        entries.sort_unstable_by_key(|&(term, loc, _)| (term, loc));

        let mut terms = Vec::new();
        let mut i = 0;
        while let Some(&(term, loc, _)) = entries.get(i) {
            let mut weight = 0.0;
            while let Some(&(t, l, w)) = entries.get(i)
                && (t, l) == (term, loc)
            {
                weight += w;
                i += 1;
            }
            let Some(list) = self.lists.get_mut(term as usize) else {
                continue;
            };
            if terms.last() != Some(&term) {
                terms.push(term);
                list.df += 1;
            }
            // `as` saturates; weights stay far below the u16 range.
            let weight = (weight * WEIGHT_SCALE).round().max(1.0) as u16;
            let postings = &mut list.postings;
            if postings.len() == postings.capacity() {
                // Grow by an eighth rather than doubling: the big lists hold most of the
                // memory, and reallocating them is rare next to searching them.
                postings.reserve_exact((postings.len() / 8).max(4));
            }
            postings.push(Posting { doc: slot, loc, weight });
        }

        let code_key = normalize_query(&doc.code);
        if !code_key.is_empty() {
            self.code_slot.insert(code_key.clone(), slot);
        }
        self.docs.push(Some(DocMeta {
            resource_id: doc.resource_id,
            department: doc.department,
            classification: doc.classification,
            grade: doc.grade,
            share_type: doc.share_type,
            status: doc.status,
            code_key,
            field_names: FieldNames::new(doc.fields.iter().take(MAX_FIELDS).map(|f| f.name.as_str())),
            terms: encode_ascending(&terms),
        }));
        self.slot_of.insert(doc.resource_id, slot);
        self.live += 1;
    }

    /// Takes the resource out of the index; unknown ids are ignored.
    pub fn remove(&mut self, resource_id: i64) {
        let Some(slot) = self.slot_of.remove(&resource_id) else {
            return;
        };
        let Some(meta) = self.docs.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        for term in decode_ascending(&meta.terms) {
            let Some(list) = self.lists.get_mut(term as usize) else {
                continue;
            };
            let start = list.postings.partition_point(|p| p.doc < slot);
            let end = list.postings.partition_point(|p| p.doc <= slot);
            if start < end {
                list.postings.drain(start..end);
                list.df = list.df.saturating_sub(1);
            }
        }
        if self.code_slot.get(&meta.code_key) == Some(&slot) {
            self.code_slot.remove(&meta.code_key);
        }
        self.live = self.live.saturating_sub(1);
        self.renumber_if_sparse();
    }

    /// Searches: every query clause must match the resource or one of its fields; results
    /// pass `filter`, are ranked best first and paged by `offset` and `limit`. Returns the
    /// page and the number of all matching resources.
    pub fn search(&self, query: &str, filter: &SearchFilter, offset: usize, limit: usize) -> (Vec<Hit>, usize) {
        let clauses = self.plan(query);
        if clauses.is_empty() || clauses.iter().any(|c| c.alts.is_empty()) {
            return (Vec::new(), 0);
        }
        let n = self.live.max(1) as f32;
        let idf = |term: u32| {
            let df = self.lists.get(term as usize).map_or(0, |l| l.df) as f32;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        };

        // Candidates come from the cheapest clause: the union over its alternatives of the
        // rarest term of each.
        let cost = |c: &ClausePlan| -> usize { c.alts.iter().map(|a| self.postings(self.driver(a)).len()).sum() };
        let Some(driver) = clauses.iter().min_by_key(|c| cost(c)) else {
            return (Vec::new(), 0);
        };
        let mut seen = vec![0u64; self.docs.len().div_ceil(64)];
        for alt in &driver.alts {
            for p in self.postings(self.driver(alt)) {
                if let Some(word) = seen.get_mut((p.doc / 64) as usize) {
                    *word |= 1 << (p.doc % 64);
                }
            }
        }

        let mut order: Vec<&ClausePlan> = clauses.iter().collect();
        order.sort_by_key(|c| cost(c));
        let mut cursors: Vec<ClauseCursor<'_>> = order.iter().map(|c| self.cursor(c, &idf)).collect();
        let mut scored: Vec<(f32, i64, u32)> = Vec::new();
        for (w, &bits) in seen.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let doc = (w * 64) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                let Some(Some(meta)) = self.docs.get(doc as usize) else {
                    continue;
                };
                if !filter.accepts(meta) {
                    continue;
                }
                let mut total = 0.0;
                let mut all = true;
                for clause in &mut cursors {
                    match clause.score(doc) {
                        Some(s) => total += s,
                        None => {
                            all = false;
                            break;
                        }
                    }
                }
                if all {
                    scored.push((total, meta.resource_id, doc));
                }
            }
        }

        if let Some(&slot) = self.code_slot.get(&normalize_query(query))
            && let Some(Some(meta)) = self.docs.get(slot as usize)
            && filter.accepts(meta)
        {
            match scored.iter_mut().find(|s| s.2 == slot) {
                Some(s) => s.0 += CODE_BONUS,
                None => scored.push((CODE_BONUS, meta.resource_id, slot)),
            }
        }

        let total = scored.len();
        let end = offset.saturating_add(limit).min(total);
        if offset >= end {
            return (Vec::new(), total);
        }
        let rank = |a: &(f32, i64, u32), b: &(f32, i64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if end < total {
            scored.select_nth_unstable_by(end, rank);
            scored.truncate(end);
        }
        scored.sort_unstable_by(rank);
        let hits = scored
            .get(offset..end)
            .unwrap_or_default()
            .iter()
            .map(|&(score, resource_id, doc)| Hit {
                resource_id,
                score,
                matched_fields: self.matched_fields(&clauses, doc),
            })
            .collect();
        (hits, total)
    }

    /// Turns a query into clauses of alternatives over known term ids.
    fn plan(&self, query: &str) -> Vec<ClausePlan> {
        let norm = normalize(query);
        let mut clauses = Vec::new();
        for_each_run(&norm, |run| match run {
            Run::Han(text) => {
                let mut pending = String::new();
                for token in JIEBA.cut(text, true) {
                    let word = token.word;
                    if is_han_stop(word) {
                        self.flush_han(&mut pending, &mut clauses);
                    } else if word.chars().nth(1).is_none() {
                        // Runs of single characters are words jieba does not know: keep them
                        // together so that their bigrams can find them.
                        pending.push_str(word);
                    } else {
                        self.flush_han(&mut pending, &mut clauses);
                        clauses.push(self.han_clause(word));
                    }
                }
                self.flush_han(&mut pending, &mut clauses);
            }
            Run::Word(token) => {
                let forms = WordForms::of(token);
                if is_en_stop(&forms.whole) {
                    return;
                }
                let mut alts = Vec::new();
                if let Some(id) = self.term_id(&forms.whole) {
                    alts.push(AltPlan::one(id, 1.0));
                }
                if let Some(squashed) = &forms.squashed
                    && let Some(id) = self.term_id(squashed)
                {
                    alts.push(AltPlan::one(id, 1.0));
                }
                if alts.is_empty() && !forms.parts.is_empty() {
                    let ids: Option<Vec<u32>> = forms.parts.iter().map(|p| self.term_id(p)).collect();
                    if let Some(ids) = ids {
                        alts.push(AltPlan {
                            terms: ids,
                            factor: PARTS_FACTOR,
                        });
                    }
                }
                clauses.push(ClausePlan { alts });
            }
        });
        clauses
    }

    fn flush_han(&self, pending: &mut String, clauses: &mut Vec<ClausePlan>) {
        if !pending.is_empty() {
            clauses.push(self.han_clause(pending));
            pending.clear();
        }
    }

    /// A Han word matches as itself, or (three or more characters) through all its bigrams,
    /// or (one character) inside any two-character term.
    fn han_clause(&self, word: &str) -> ClausePlan {
        let mut alts = Vec::new();
        if let Some(id) = self.term_id(word) {
            alts.push(AltPlan::one(id, 1.0));
        }
        let chars: Vec<char> = word.chars().collect();
        if let [c] = chars.as_slice() {
            for &id in self.bigrams_by_char.get(c).map_or(&[][..], Vec::as_slice) {
                alts.push(AltPlan::one(id, CHAR_IN_BIGRAM_FACTOR));
            }
        } else if chars.len() > 2 {
            let mut buf = String::new();
            let ids: Option<Vec<u32>> = chars
                .windows(2)
                .map(|pair| {
                    bigram_key(&mut buf, pair);
                    self.term_id(&buf)
                })
                .collect();
            if let Some(ids) = ids {
                alts.push(AltPlan {
                    terms: ids,
                    factor: BIGRAM_FACTOR,
                });
            }
        }
        ClausePlan { alts }
    }

    /// The rarest term of an alternative: every term must occur, so its list holds all the
    /// resources the alternative can match.
    fn driver(&self, alt: &AltPlan) -> u32 {
        alt.terms
            .iter()
            .copied()
            .min_by_key(|&t| self.postings(t).len())
            .unwrap_or(u32::MAX)
    }

    fn term_id(&self, term: &str) -> Option<u32> {
        self.term_ids.get(term).copied()
    }

    fn postings(&self, term: u32) -> &[Posting] {
        self.lists.get(term as usize).map_or(&[], |l| l.postings.as_slice())
    }

    fn cursor<'a>(&'a self, clause: &ClausePlan, idf: &impl Fn(u32) -> f32) -> ClauseCursor<'a> {
        if clause.alts.len() > DENSE_ALTS && clause.alts.iter().all(|a| a.terms.len() == 1) {
            // A lone character has hundreds of alternatives; seeking each for every candidate
            // costs more than one pass over their lists.
            let mut best = vec![0.0f32; self.docs.len()];
            for alt in &clause.alts {
                for &term in &alt.terms {
                    let weight = alt.factor * idf(term);
                    for group in self.postings(term).chunk_by(|a, b| a.doc == b.doc) {
                        if let Some(first) = group.first()
                            && let Some(b) = best.get_mut(first.doc as usize)
                        {
                            *b = b.max(weight * saturated(group));
                        }
                    }
                }
            }
            return ClauseCursor::Dense(best);
        }
        ClauseCursor::Alts(
            clause
                .alts
                .iter()
                .map(|alt| AltCursor {
                    terms: alt
                        .terms
                        .iter()
                        .map(|&t| TermCursor {
                            postings: self.postings(t),
                            pos: 0,
                            idf: idf(t),
                        })
                        .collect(),
                    factor: alt.factor,
                })
                .collect(),
        )
    }

    /// Names of the fields of `doc` that a matching alternative of any clause matched.
    fn matched_fields(&self, clauses: &[ClausePlan], doc: u32) -> Vec<String> {
        let mut locs: Vec<u16> = Vec::new();
        for clause in clauses {
            for alt in &clause.alts {
                let slices: Vec<&[Posting]> = alt.terms.iter().map(|&t| doc_range(self.postings(t), doc)).collect();
                if slices.iter().any(|s| s.is_empty()) {
                    continue;
                }
                // For a multi-term alternative a field counts when it holds every term.
                let Some((first, rest)) = slices.split_first() else {
                    continue;
                };
                for p in first.iter().filter(|p| p.loc > 0) {
                    if rest.iter().all(|s| s.iter().any(|q| q.loc == p.loc)) {
                        locs.push(p.loc);
                    }
                }
            }
        }
        locs.sort_unstable();
        locs.dedup();
        let Some(Some(meta)) = self.docs.get(doc as usize) else {
            return Vec::new();
        };
        locs.iter()
            .filter_map(|&l| meta.field_names.get(usize::from(l) - 1))
            .map(str::to_owned)
            .collect()
    }

    /// Analyses one zone and appends its `(term, loc, weight)` entries.
    fn add_zone(&mut self, text: &str, zone: Zone, loc: u16, out: &mut Vec<(u32, u16, f32)>, scratch: &mut Vec<u32>) {
        scratch.clear();
        analyze_for_index(text, &mut |term| scratch.push(self.intern(term)));
        if scratch.is_empty() {
            return;
        }
        let norm = 1.0 - LENGTH_B + LENGTH_B * scratch.len() as f32 / zone.typical_len();
        let unit = zone.boost() / norm;
        scratch.sort_unstable();
        let mut i = 0;
        while let Some(&term) = scratch.get(i) {
            let tf = scratch
                .get(i..)
                .map_or(0, |s| s.iter().take_while(|&&t| t == term).count())
                .max(1);
            out.push((term, loc, unit * tf as f32));
            i += tf;
        }
    }

    fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.term_ids.get(term) {
            return id;
        }
        let id = u32::try_from(self.lists.len()).unwrap_or(u32::MAX);
        self.term_ids.insert(term.into(), id);
        self.lists.push(PostingList::default());
        let mut chars = term.chars();
        if is_han_pair(term)
            && let (Some(a), Some(b)) = (chars.next(), chars.next())
        {
            self.bigrams_by_char.entry(a).or_default().push(id);
            if a != b {
                self.bigrams_by_char.entry(b).or_default().push(id);
            }
        }
        id
    }

    /// Renumbers slots once dead ones outnumber live ones. The mapping keeps order, so the
    /// posting lists stay sorted.
    fn renumber_if_sparse(&mut self) {
        let dead = self.docs.len() - self.live;
        if dead <= self.live.max(1024) {
            return;
        }
        let mut map = vec![u32::MAX; self.docs.len()];
        let mut next = 0u32;
        for (old, doc) in self.docs.iter().enumerate() {
            if doc.is_some()
                && let Some(m) = map.get_mut(old)
            {
                *m = next;
                next += 1;
            }
        }
        let remap = |slot: &mut u32| {
            if let Some(&new) = map.get(*slot as usize) {
                *slot = new;
            }
        };
        for list in &mut self.lists {
            list.postings.iter_mut().for_each(|p| remap(&mut p.doc));
        }
        self.slot_of.values_mut().for_each(remap);
        self.code_slot.values_mut().for_each(remap);
        self.docs.retain(Option::is_some);
    }

    /// Rough heap size of the index in bytes (capacities; hash tables estimated): posting
    /// lists, per-resource data, dictionaries.
    fn heap_bytes(&self) -> (usize, usize, usize) {
        let postings: usize = self
            .lists
            .iter()
            .map(|l| l.postings.capacity() * size_of::<Posting>())
            .sum();
        let lists = self.lists.capacity() * size_of::<PostingList>();
        let terms: usize = self.term_ids.keys().map(|k| k.len() + 16 + 4 + 8).sum();
        let by_char: usize = self.bigrams_by_char.values().map(|v| v.capacity() * 4 + 40).sum();
        let docs: usize = self
            .docs
            .iter()
            .flatten()
            .map(|d| {
                d.terms.len()
                    + d.field_names.text.len()
                    + d.field_names.ends.len() * 4
                    + d.department.capacity()
                    + d.classification.capacity()
                    + d.code_key.capacity() * 2
                    + 64
            })
            .sum::<usize>()
            + self.docs.capacity() * size_of::<Option<DocMeta>>();
        (
            postings + lists,
            docs,
            terms + by_char + self.slot_of.len() * 24 + self.code_slot.len() * 40,
        )
    }

    fn posting_count(&self) -> usize {
        self.lists.iter().map(|l| l.postings.len()).sum()
    }
}

/// Ascending ids as LEB128-encoded gaps.
fn encode_ascending(ids: &[u32]) -> Box<[u8]> {
    let mut out = Vec::with_capacity(ids.len() + ids.len() / 2);
    let mut prev = 0;
    for &id in ids {
        let mut gap = id.wrapping_sub(prev);
        prev = id;
        while gap >= 0x80 {
            out.push((gap & 0x7F) as u8 | 0x80);
            gap >>= 7;
        }
        out.push(gap as u8);
    }
    out.into()
}

/// The inverse of [`encode_ascending`].
fn decode_ascending(bytes: &[u8]) -> Vec<u32> {
    let mut ids = Vec::new();
    let (mut prev, mut gap, mut shift) = (0u32, 0u32, 0u32);
    for &b in bytes {
        gap |= u32::from(b & 0x7F).checked_shl(shift).unwrap_or(0);
        if b & 0x80 == 0 {
            prev = prev.wrapping_add(gap);
            ids.push(prev);
            (gap, shift) = (0, 0);
        } else {
            shift += 7;
        }
    }
    ids
}

/// The postings of `doc` in a list sorted by doc.
fn doc_range(postings: &[Posting], doc: u32) -> &[Posting] {
    let start = postings.partition_point(|p| p.doc < doc);
    let rest = postings.get(start..).unwrap_or_default();
    let len = rest.partition_point(|p| p.doc == doc);
    rest.get(..len).unwrap_or_default()
}

/// A query clause: any alternative may match.
#[derive(Debug)]
struct ClausePlan {
    alts: Vec<AltPlan>,
}

/// An alternative: all its terms must occur in the resource.
#[derive(Debug)]
struct AltPlan {
    terms: Vec<u32>,
    factor: f32,
}

impl AltPlan {
    fn one(term: u32, factor: f32) -> Self {
        AltPlan {
            terms: vec![term],
            factor,
        }
    }
}

struct TermCursor<'a> {
    postings: &'a [Posting],
    pos: usize,
    idf: f32,
}

impl<'a> TermCursor<'a> {
    /// The postings of `doc`; docs must be asked in increasing order.
    fn seek(&mut self, doc: u32) -> &'a [Posting] {
        let all = self.postings;
        let from = all.get(self.pos..).unwrap_or_default();
        // Galloping: candidates are often close to each other.
        let mut step = 1;
        while from.get(step - 1).is_some_and(|p| p.doc < doc) {
            step *= 2;
        }
        let window = from.get(..step.min(from.len())).unwrap_or_default();
        let start = self.pos + window.partition_point(|p| p.doc < doc);
        let rest = all.get(start..).unwrap_or_default();
        let len = rest.iter().take_while(|p| p.doc == doc).count();
        self.pos = start + len;
        rest.get(..len).unwrap_or_default()
    }
}

struct AltCursor<'a> {
    terms: Vec<TermCursor<'a>>,
    factor: f32,
}

/// Evaluates one clause over candidates in increasing slot order.
enum ClauseCursor<'a> {
    /// Seeks each alternative's terms.
    Alts(Vec<AltCursor<'a>>),
    /// Precomputed best score by slot, 0 for no match (single-term alternatives only).
    Dense(Vec<f32>),
}

impl ClauseCursor<'_> {
    /// The clause's score for `doc`, or `None` when no alternative matches.
    fn score(&mut self, doc: u32) -> Option<f32> {
        let alts = match self {
            ClauseCursor::Dense(best) => return best.get(doc as usize).copied().filter(|&s| s > 0.0),
            ClauseCursor::Alts(alts) => alts,
        };
        let mut best: Option<f32> = None;
        for alt in alts {
            let mut sum = 0.0;
            let mut all = true;
            for term in &mut alt.terms {
                let slice = term.seek(doc);
                if slice.is_empty() {
                    all = false;
                    break;
                }
                sum += term.idf * saturated(slice);
            }
            if all && !alt.terms.is_empty() {
                let s = alt.factor * sum / alt.terms.len() as f32;
                best = Some(best.map_or(s, |b| b.max(s)));
            }
        }
        best
    }
}

/// BM25F-style strength of one term in one resource.
fn saturated(slice: &[Posting]) -> f32 {
    let (mut own, mut best_field, mut fields) = (0.0f32, 0.0f32, 0.0f32);
    for p in slice {
        if p.loc == 0 {
            own += p.weight();
        } else {
            fields += p.weight();
            best_field = best_field.max(p.weight());
        }
    }
    let r = own + best_field + FIELD_SPREAD * (fields - best_field);
    r * (K1 + 1.0) / (r + K1)
}

enum Run<'a> {
    Han(&'a str),
    Word(&'a str),
}

fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{3134F}')
}

fn is_connector(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

fn is_han_stop(word: &str) -> bool {
    HAN_STOP.contains(&word)
}

fn is_en_stop(word: &str) -> bool {
    EN_STOP.contains(&word)
}

/// Full-width ASCII to half-width; the ideographic space to a space.
fn normalize(text: &str) -> Cow<'_, str> {
    let odd = |c: char| matches!(c, '\u{3000}' | '\u{FF01}'..='\u{FF5E}');
    if !text.chars().any(odd) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\u{3000}' => ' ',
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect(),
    )
}

/// The form a code and a query are compared in for the exact-code rule.
fn normalize_query(text: &str) -> String {
    normalize(text).trim().to_lowercase()
}

/// Splits text into Han runs and word runs (letters and digits, with connectors inside).
fn for_each_run<'a>(text: &'a str, mut f: impl FnMut(Run<'a>)) {
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if is_han(c) {
            let mut end = start + c.len_utf8();
            while let Some(&(i, c)) = chars.peek()
                && is_han(c)
            {
                end = i + c.len_utf8();
                chars.next();
            }
            f(Run::Han(&text[start..end]));
        } else if is_word_char(c) {
            let mut end = start + c.len_utf8();
            while let Some(&(i, c)) = chars.peek()
                && (is_word_char(c) || is_connector(c))
            {
                if is_word_char(c) {
                    end = i + c.len_utf8();
                }
                chars.next();
            }
            f(Run::Word(&text[start..end]));
        }
    }
}

/// The indexed forms of a word run.
struct WordForms {
    /// Lower-cased, connectors kept.
    whole: String,
    /// Lower-cased without connectors, when that differs from `whole`.
    squashed: Option<String>,
    /// Lower-cased parts of two or more characters, not stop words, when the run has more
    /// than one part.
    parts: Vec<String>,
}

impl WordForms {
    fn of(token: &str) -> Self {
        let whole = token.to_lowercase();
        let squashed: String = whole.chars().filter(|&c| !is_connector(c)).collect();
        let squashed = (squashed.len() != whole.len() && !squashed.is_empty()).then_some(squashed);
        let mut raw = Vec::new();
        let mut start = 0;
        let mut prev: Option<char> = None;
        for (i, c) in token.char_indices() {
            if is_connector(c) {
                raw.push(&token[start..i]);
                start = i + c.len_utf8();
            } else if c.is_uppercase() && prev.is_some_and(|p| p.is_lowercase() || p.is_numeric()) {
                raw.push(&token[start..i]);
                start = i;
            }
            prev = Some(c);
        }
        raw.push(&token[start..]);
        let parts = if raw.len() > 1 {
            raw.iter()
                .filter(|p| p.chars().nth(1).is_some())
                .map(|p| p.to_lowercase())
                .filter(|p| !is_en_stop(p))
                .collect()
        } else {
            Vec::new()
        };
        WordForms { whole, squashed, parts }
    }
}

fn bigram_key(buf: &mut String, pair: &[char]) {
    buf.clear();
    buf.extend(pair);
}

fn is_han_pair(term: &str) -> bool {
    let mut chars = term.chars();
    matches!((chars.next(), chars.next(), chars.next()), (Some(a), Some(b), None) if is_han(a) && is_han(b))
}

/// Emits every index term of `text`, repeats included (they make the term frequency).
fn analyze_for_index(text: &str, emit: &mut dyn FnMut(&str)) {
    let norm = normalize(text);
    let mut buf = String::new();
    for_each_run(&norm, |run| match run {
        Run::Han(run) => {
            // Char offsets of the two-character words jieba gave: their bigram is the same
            // string at the same place and is not emitted twice.
            let mut pair_words = Vec::new();
            for token in JIEBA.cut_for_search(run, true) {
                if !is_han_stop(token.word) {
                    emit(token.word);
                }
                if token.end - token.start == 2 {
                    pair_words.push(token.start);
                }
            }
            let chars: Vec<char> = run.chars().collect();
            for (i, pair) in chars.windows(2).enumerate() {
                if !pair_words.contains(&i) {
                    bigram_key(&mut buf, pair);
                    emit(&buf);
                }
            }
        }
        Run::Word(token) => {
            let forms = WordForms::of(token);
            if is_en_stop(&forms.whole) {
                return;
            }
            emit(&forms.whole);
            if let Some(squashed) = &forms.squashed {
                emit(squashed);
            }
            for part in &forms.parts {
                emit(part);
            }
        }
    });
}

/// Deterministic pseudo-random numbers (SplitMix64), so the synthetic catalog needs no
/// dependency and is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn pick(&mut self, xs: &[&'static str]) -> &'static str {
        xs.get(self.below(xs.len())).copied().unwrap_or_default()
    }

    /// Picks by weights (percentages summing to 100).
    fn weighted(&mut self, xs: &[(&'static str, usize)]) -> &'static str {
        let mut roll = self.below(100);
        for &(x, w) in xs {
            if roll < w {
                return x;
            }
            roll -= w;
        }
        xs.last().map_or("", |x| x.0)
    }
}

/// A synthetic catalog category: code, classification major, departments, name templates
/// (`{area}`, `{place}`, `{cycle}`, `{year}`), measured fields `(name, Chinese name, unit)`
/// and a purpose sentence.
struct Category {
    code: &'static str,
    major: u8,
    departments: &'static [&'static str],
    names: &'static [&'static str],
    places: &'static [&'static str],
    fields: &'static [(&'static str, &'static str, &'static str)],
    purpose: &'static str,
}

const AREAS: &[&str] = &[
    "武汉市",
    "江岸区",
    "江汉区",
    "硚口区",
    "汉阳区",
    "武昌区",
    "青山区",
    "洪山区",
    "东西湖区",
    "蔡甸区",
    "江夏区",
    "黄陂区",
    "新洲区",
    "汉南区",
    "东湖高新区",
    "武汉经开区",
    "长江新区",
];
const CYCLES: &[&str] = &["小时", "日", "月", "季度", "年度", "实时"];
const AIR_PLACES: &[&str] = &[
    "沌口新区",
    "东湖梨园",
    "汉口花桥",
    "武昌紫阳",
    "青山钢花",
    "沉湖七壕",
    "吴家山",
    "汉阳月湖",
    "汉口江滩",
    "东湖高新",
    "关山",
    "江夏金口",
    "黄陂前川",
    "新洲邾城",
];
const WATER_PLACES: &[&str] = &[
    "长江杨泗港",
    "长江白浒山",
    "汉江宗关",
    "府河朱家河口",
    "滠水河",
    "倒水",
    "举水",
    "金水河",
    "通顺河",
    "东湖",
    "南湖",
    "汤逊湖",
    "沙湖",
    "墨水湖",
    "后官湖",
    "梁子湖",
];
const ENTERPRISE_PLACES: &[&str] = &[
    "武钢",
    "青山热电",
    "阳逻电厂",
    "华星光电",
    "东风汽车",
    "武汉石化",
    "长飞光纤",
    "中韩石化",
    "华润电力",
    "金凤凰纸业",
];
const GENERIC_FIELDS: &[(&str, &str, &str)] = &[
    ("id", "主键", "记录唯一标识"),
    ("station_code", "站点编码", "监测站点的统一编码"),
    ("station_name", "站点名称", "监测站点的中文名称"),
    ("monitor_time", "监测时间", "数据对应的监测时间，北京时间"),
    ("district_code", "行政区划代码", "站点所在区的行政区划代码"),
    ("district_name", "所在区", "站点所在的行政区名称"),
    ("longitude", "经度", "WGS84坐标系经度"),
    ("latitude", "纬度", "WGS84坐标系纬度"),
    ("data_source", "数据来源", "数据采集来源系统"),
    ("audit_status", "审核状态", "数据审核状态，未审核、已审核或退回"),
    ("data_flag", "数据标识", "有效、无效或待定的数据标识"),
    ("operator", "操作人", "最后修改记录的人员"),
    ("create_time", "创建时间", "记录入库时间"),
    ("update_time", "更新时间", "记录最后更新时间"),
    ("remark", "备注", "补充说明"),
];
const STATS: &[(&str, &str)] = &[
    ("_avg", "均值"),
    ("_max", "最大值"),
    ("_min", "最小值"),
    ("_flag", "数据标记"),
    ("_valid_rate", "有效率"),
];
const CATEGORIES: &[Category] = &[
    Category {
        code: "AIR",
        major: 1,
        departments: &["EEB-AIR", "EEB-MONITOR"],
        names: &[
            "{area}环境空气质量{cycle}数据",
            "{place}空气自动监测站{cycle}监测数据",
            "{area}大气污染物浓度{cycle}统计",
        ],
        places: AIR_PLACES,
        fields: &[
            ("pm25", "PM2.5 浓度", "μg/m³"),
            ("pm10", "PM10浓度", "μg/m³"),
            ("so2", "二氧化硫浓度", "μg/m³"),
            ("no2", "二氧化氮浓度", "μg/m³"),
            ("co", "一氧化碳浓度", "mg/m³"),
            ("o3", "臭氧浓度", "μg/m³"),
            ("o3_8h", "臭氧8小时滑动平均", "μg/m³"),
            ("aqi", "空气质量指数", ""),
            ("primary_pollutant", "首要污染物", ""),
            ("aqi_level", "空气质量级别", ""),
        ],
        purpose: "用于空气质量评价和污染预警",
    },
    Category {
        code: "WAT",
        major: 1,
        departments: &["EEB-WATER", "EEB-MONITOR"],
        names: &[
            "{place}水质自动监测{cycle}数据",
            "{area}地表水断面水质{cycle}报",
            "{place}水质评价结果",
        ],
        places: WATER_PLACES,
        fields: &[
            ("ph", "pH值", "无量纲"),
            ("dissolved_oxygen", "溶解氧", "mg/L"),
            ("codmn", "高锰酸盐指数", "mg/L"),
            ("cod", "化学需氧量", "mg/L"),
            ("nh3n", "氨氮", "mg/L"),
            ("tp", "总磷", "mg/L"),
            ("tn", "总氮", "mg/L"),
            ("turbidity", "浊度", "NTU"),
            ("water_temp", "水温", "℃"),
            ("conductivity", "电导率", "μS/cm"),
            ("water_class", "水质类别", ""),
        ],
        purpose: "用于水环境质量考核和水污染防治",
    },
    Category {
        code: "POL",
        major: 2,
        departments: &["EEB-ENF", "EEB-MONITOR"],
        names: &[
            "{area}重点排污单位自动监控{cycle}数据",
            "{place}废气排放口在线监测数据",
            "{area}污染源废水排放{cycle}统计",
        ],
        places: ENTERPRISE_PLACES,
        fields: &[
            ("enterprise_name", "企业名称", ""),
            ("credit_code", "统一社会信用代码", ""),
            ("outlet_code", "排放口编号", ""),
            ("flue_gas_flow", "烟气流量", "m³/h"),
            ("so2_emission", "二氧化硫排放浓度", "mg/m³"),
            ("nox_emission", "氮氧化物排放浓度", "mg/m³"),
            ("dust_emission", "颗粒物排放浓度", "mg/m³"),
            ("wastewater_flow", "废水流量", "t/h"),
        ],
        purpose: "用于污染源监管和超标预警",
    },
    Category {
        code: "PMT",
        major: 2,
        departments: &["EEB-PERMIT"],
        names: &[
            "{area}排污许可证核发信息",
            "{area}排污许可登记{cycle}台账",
            "{place}排污许可执行报告",
        ],
        places: ENTERPRISE_PLACES,
        fields: &[
            ("permit_no", "许可证编号", ""),
            ("issue_date", "发证日期", ""),
            ("valid_until", "有效期至", ""),
            ("industry_category", "行业类别", ""),
            ("permitted_so2", "二氧化硫许可排放量", "t/a"),
            ("permitted_cod", "化学需氧量许可排放量", "t/a"),
            ("management_class", "管理类别", ""),
        ],
        purpose: "用于排污许可证后监管",
    },
    Category {
        code: "MET",
        major: 3,
        departments: &["MET-BUREAU", "EEB-MONITOR"],
        names: &[
            "{area}气象要素{cycle}观测数据",
            "{place}气象站{cycle}观测资料",
            "{area}重污染天气气象条件{cycle}分析",
        ],
        places: AIR_PLACES,
        fields: &[
            ("temperature", "气温", "℃"),
            ("humidity", "相对湿度", "%"),
            ("wind_speed", "风速", "m/s"),
            ("wind_direction", "风向", "度"),
            ("pressure", "气压", "hPa"),
            ("precipitation", "降水量", "mm"),
            ("visibility", "能见度", "km"),
            ("mixing_height", "混合层高度", "m"),
        ],
        purpose: "用于空气质量预报和重污染天气应对",
    },
    Category {
        code: "ENF",
        major: 2,
        departments: &["EEB-ENF"],
        names: &[
            "{area}环境行政处罚案件信息",
            "{year}年{area}环境执法检查记录",
            "{area}信访投诉办理{cycle}台账",
        ],
        places: ENTERPRISE_PLACES,
        fields: &[
            ("case_no", "案件编号", ""),
            ("violation_type", "违法类型", ""),
            ("penalty_amount", "罚款金额", "万元"),
            ("inspector", "执法人员", ""),
            ("inspection_date", "检查日期", ""),
            ("decision_no", "处罚决定书文号", ""),
            ("rectification_status", "整改状态", ""),
        ],
        purpose: "用于环境执法和信用评价",
    },
    Category {
        code: "NOI",
        major: 1,
        departments: &["EEB-MONITOR", "EEB-AIR"],
        names: &["{area}声环境功能区噪声{cycle}监测数据", "{place}道路交通噪声监测数据"],
        places: AIR_PLACES,
        fields: &[
            ("leq", "等效声级", "dB(A)"),
            ("l10", "累计百分声级L10", "dB(A)"),
            ("l90", "累计百分声级L90", "dB(A)"),
            ("lmax", "最大声级", "dB(A)"),
            ("functional_zone", "声环境功能区类别", ""),
        ],
        purpose: "用于声环境质量评价",
    },
    Category {
        code: "SWD",
        major: 2,
        departments: &["EEB-SOLID"],
        names: &[
            "{area}危险废物转移联单数据",
            "{area}一般工业固体废物产生{cycle}统计",
            "{place}危险废物经营许可信息",
        ],
        places: ENTERPRISE_PLACES,
        fields: &[
            ("waste_code", "废物代码", ""),
            ("waste_name", "废物名称", ""),
            ("transfer_quantity", "转移量", "吨"),
            ("receiver", "接收单位", ""),
            ("manifest_no", "联单编号", ""),
        ],
        purpose: "用于固体废物全过程监管",
    },
    Category {
        code: "SOIL",
        major: 1,
        departments: &["EEB-SOIL"],
        names: &[
            "{area}土壤环境质量监测点位数据",
            "{area}建设用地土壤污染状况调查信息",
            "{place}地下水环境监测数据",
        ],
        places: ENTERPRISE_PLACES,
        fields: &[
            ("cadmium", "镉含量", "mg/kg"),
            ("mercury", "汞含量", "mg/kg"),
            ("arsenic", "砷含量", "mg/kg"),
            ("lead", "铅含量", "mg/kg"),
            ("chromium", "铬含量", "mg/kg"),
            ("soil_ph", "土壤pH", ""),
            ("land_use", "用地类型", ""),
        ],
        purpose: "用于土壤污染风险管控",
    },
    Category {
        code: "EIA",
        major: 3,
        departments: &["EEB-EIA"],
        names: &[
            "{area}建设项目环境影响评价审批信息",
            "{year}年{area}环评文件受理公示",
            "{area}建设项目竣工环境保护验收信息",
        ],
        places: ENTERPRISE_PLACES,
        fields: &[
            ("project_name", "项目名称", ""),
            ("approval_no", "批复文号", ""),
            ("construction_unit", "建设单位", ""),
            ("investment", "总投资", "万元"),
            ("eia_category", "环评类别", ""),
        ],
        purpose: "用于建设项目环境管理",
    },
    Category {
        code: "RAD",
        major: 3,
        departments: &["EEB-RAD", "EEB-MONITOR"],
        names: &[
            "{area}辐射环境自动监测站{cycle}数据",
            "{area}核技术利用单位辐射安全许可信息",
        ],
        places: AIR_PLACES,
        fields: &[
            ("dose_rate", "空气吸收剂量率", "nGy/h"),
            ("source_count", "放射源数量", "枚"),
            ("license_no", "辐射安全许可证编号", ""),
        ],
        purpose: "用于辐射环境安全监管",
    },
];

/// Deterministic synthetic catalog for the benchmark and tests: `n` resources with `fields`
/// fields each, with realistic Chinese eco-environment names (air and water stations,
/// pollutants, enterprises, permits, meteorology, enforcement, noise, solid waste, soil,
/// environmental impact assessment, radiation) and varied departments, classifications,
/// grades, share types and statuses. Resource `i` has id `i + 1`; codes are
/// `WHEE-<CATEGORY>-<NNNN>`, numbered per category from 0001, categories taken in turn.
pub fn synthetic_catalog(n: usize, fields: usize, seed: u64) -> Vec<SearchDoc> {
    let mut rng = Rng(seed);
    let mut docs = Vec::with_capacity(n);
    for i in 0..n {
        let Some(cat) = CATEGORIES.get(i % CATEGORIES.len()) else {
            continue;
        };
        let seq = i / CATEGORIES.len() + 1;
        let area = rng.pick(AREAS);
        let place = rng.pick(cat.places);
        let cycle = rng.pick(CYCLES);
        let year = 2018 + rng.below(8);
        let name = rng
            .pick(cat.names)
            .replace("{area}", area)
            .replace("{place}", place)
            .replace("{cycle}", cycle)
            .replace("{year}", &year.to_string());
        let department = rng.pick(cat.departments);
        let summary = format!(
            "{name}，由{department}提供，按{cycle}更新，覆盖{area}{}个点位，{}。",
            1 + rng.below(60),
            cat.purpose
        );
        let mut out = Vec::with_capacity(fields);
        let mut generic = GENERIC_FIELDS.iter();
        // A few keys first, as real tables have them.
        for &(fname, cn, desc) in generic.by_ref().take(4) {
            out.push(SearchField {
                name: fname.into(),
                cn_name: cn.into(),
                description: desc.into(),
            });
        }
        let unit_text = |unit: &str| {
            if unit.is_empty() {
                String::new()
            } else {
                format!("，单位{unit}")
            }
        };
        for &(fname, cn, unit) in cat.fields {
            let description = format!("{place}{cn}{cycle}监测值{}，{}", unit_text(unit), cat.purpose);
            out.push(SearchField {
                name: fname.into(),
                cn_name: cn.into(),
                description,
            });
        }
        for &(suffix, stat) in STATS {
            for &(fname, cn, unit) in cat.fields.iter().filter(|f| !f.2.is_empty()) {
                let description = format!("{area}{place}{cn}{cycle}{stat}{}", unit_text(unit));
                out.push(SearchField {
                    name: format!("{fname}{suffix}"),
                    cn_name: format!("{cn}{stat}"),
                    description,
                });
            }
        }
        for &(fname, cn, desc) in generic {
            out.push(SearchField {
                name: fname.into(),
                cn_name: cn.into(),
                description: desc.into(),
            });
        }
        let mut ext = 1;
        while out.len() < fields {
            out.push(SearchField {
                name: format!("ext_{ext}"),
                cn_name: format!("扩展字段{ext}"),
                description: format!("{area}预留扩展字段{ext}"),
            });
            ext += 1;
        }
        out.truncate(fields);
        let minor = CATEGORIES.iter().position(|c| c.code == cat.code).unwrap_or(0) + 1;
        docs.push(SearchDoc {
            resource_id: i64::try_from(i + 1).unwrap_or(i64::MAX),
            code: format!("WHEE-{}-{seq:04}", cat.code),
            name,
            summary,
            department: department.into(),
            classification: format!("{}/{minor:02}/{:03}", cat.major, 1 + rng.below(12)),
            grade: rng.weighted(&[("general", 60), ("important", 30), ("core", 10)]).into(),
            share_type: rng
                .weighted(&[("unconditional", 50), ("conditional", 35), ("not_shared", 15)])
                .into(),
            status: rng
                .weighted(&[("published", 60), ("under_review", 15), ("draft", 15), ("offline", 10)])
                .into(),
            fields: out,
        });
    }
    docs
}

/// Runs the benchmark: indexes `synthetic_catalog(n, fields, 42)`, then runs a fixed mix of
/// realistic queries (Chinese words, partial words, unknown words, English field names,
/// pollutant symbols, codes, with and without filters) `queries` times in all, one at a time,
/// and reports per-query lines followed by one summary line
/// `index_build_s=.. queries=.. p50_ms=.. p95_ms=.. target_p95_ms=50 ratio=..`, where
/// `ratio = p95 / 50`: below 1 meets the target, lower is better.
pub fn bench(n: usize, fields: usize, queries: usize) -> String {
    let catalog = synthetic_catalog(n, fields, 42);
    let updates: Vec<SearchDoc> = catalog.iter().step_by((n / 50).max(1)).cloned().collect();
    let started = Instant::now();
    let mut index = SearchIndex::new();
    for doc in catalog {
        index.upsert(doc);
    }
    let build_s = started.elapsed().as_secs_f64();

    let filter = |f: fn(&mut SearchFilter)| {
        let mut filter = SearchFilter::default();
        f(&mut filter);
        filter
    };
    let mix: Vec<(&str, SearchFilter)> = vec![
        ("空气质量", SearchFilter::default()),
        ("小时数据", SearchFilter::default()),
        ("水质监测", SearchFilter::default()),
        ("排污许可证", SearchFilter::default()),
        ("PM2.5", SearchFilter::default()),
        ("pm25", SearchFilter::default()),
        ("station_code", SearchFilter::default()),
        ("氨氮 均值", SearchFilter::default()),
        ("WHEE-AIR-0001", SearchFilter::default()),
        ("WHEE-WAT-0100", SearchFilter::default()),
        ("沌口", SearchFilter::default()),
        ("数据", SearchFilter::default()),
        ("水", SearchFilter::default()),
        ("东湖 溶解氧", SearchFilter::default()),
        ("wind_speed", filter(|f| f.department = Some("MET-BUREAU".into()))),
        ("行政处罚", filter(|f| f.status = Some("published".into()))),
        ("监测", filter(|f| f.classification_prefix = Some("1/01".into()))),
        ("质量", filter(|f| f.grade = Some("general".into()))),
        ("危险废物 转移", filter(|f| f.share_type = Some("conditional".into()))),
        ("二氧化硫 排放", filter(|f| f.status = Some("published".into()))),
    ];
    let mut lines = Vec::new();
    let mut latencies = Vec::with_capacity(queries);
    let mut per_query: Vec<(f64, usize, usize)> = vec![(0.0, 0, 0); mix.len()];
    for q in 0..queries {
        let k = q % mix.len();
        let Some((query, filter)) = mix.get(k) else { continue };
        let t = Instant::now();
        let (_hits, total) = index.search(query, filter, 0, 20);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        latencies.push(ms);
        if let Some(entry) = per_query.get_mut(k) {
            entry.0 += ms;
            entry.1 += 1;
            entry.2 = total;
        }
    }
    let (postings_b, docs_b, dict_b) = index.heap_bytes();
    let mb = |b: usize| b as f64 / 1_048_576.0;
    lines.push(format!(
        "resources={} fields_per_resource={fields} terms={} postings={} approx_heap_mb: postings={:.1} resources={:.1} dictionary={:.1}",
        index.len(),
        index.term_ids.len(),
        index.posting_count(),
        mb(postings_b),
        mb(docs_b),
        mb(dict_b),
    ));
    for ((query, filter), (sum, count, total)) in mix.iter().zip(&per_query) {
        let mean = if *count == 0 { 0.0 } else { sum / *count as f64 };
        lines.push(format!(
            "query={query:?} filter={filter:?} total={total} mean_ms={mean:.3}"
        ));
    }
    // Replacing a resource, as an edit in the catalog does, while holding the write lock.
    let mut update_ms: Vec<f64> = updates
        .into_iter()
        .map(|mut doc| {
            doc.name.push_str("（修订）");
            let t = Instant::now();
            index.upsert(doc);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    update_ms.sort_by(f64::total_cmp);
    let update_mean = update_ms.iter().sum::<f64>() / update_ms.len().max(1) as f64;
    let update_max = update_ms.last().copied().unwrap_or(0.0);
    lines.push(format!(
        "upserts_replacing={} mean_ms={update_mean:.3} max_ms={update_max:.3}",
        update_ms.len()
    ));
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        latencies.get(i).copied().unwrap_or(0.0)
    };
    let (p50, p95) = (pct(0.50), pct(0.95));
    let mut summary = String::new();
    let _ = write!(
        summary,
        "index_build_s={build_s:.3} queries={} p50_ms={p50:.3} p95_ms={p95:.3} target_p95_ms=50 ratio={:.4}",
        latencies.len(),
        p95 / 50.0
    );
    lines.push(summary);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn field(name: &str, cn_name: &str, description: &str) -> SearchField {
        SearchField {
            name: name.into(),
            cn_name: cn_name.into(),
            description: description.into(),
        }
    }

    fn doc(id: i64, code: &str, name: &str, fields: Vec<SearchField>) -> SearchDoc {
        SearchDoc {
            resource_id: id,
            code: code.into(),
            name: name.into(),
            summary: String::new(),
            department: "EEB-AIR".into(),
            classification: "1/02/003".into(),
            grade: "general".into(),
            share_type: "unconditional".into(),
            status: "published".into(),
            fields,
        }
    }

    fn ids(index: &SearchIndex, query: &str) -> Vec<i64> {
        index
            .search(query, &SearchFilter::default(), 0, usize::MAX)
            .0
            .iter()
            .map(|h| h.resource_id)
            .collect()
    }

    /// A small catalog where resource 1 is the hourly air quality table.
    fn sample() -> SearchIndex {
        let mut index = SearchIndex::new();
        index.upsert(doc(
            1,
            "WHEE-AIR-0001",
            "空气质量小时数据",
            vec![
                field("station_code", "站点编码", "国控站点编码"),
                field("pm25", "PM2.5 浓度", "细颗粒物小时浓度"),
            ],
        ));
        index.upsert(doc(
            2,
            "WHEE-WAT-0001",
            "地表水水质月报",
            vec![field("nh3n", "氨氮", "氨氮浓度")],
        ));
        index.upsert(doc(
            3,
            "WHEE-ENF-0001",
            "环境行政处罚案件信息",
            vec![field("case_no", "案件编号", "")],
        ));
        index.upsert(doc(
            4,
            "WHEE-AIR-0002",
            "沌口站点日报",
            vec![field("aqi", "空气质量指数", "")],
        ));
        index
    }

    #[test]
    fn chinese_words_and_their_parts_find_the_resource() {
        let index = sample();
        assert_eq!(ids(&index, "空气质量小时数据"), vec![1]);
        assert_eq!(ids(&index, "空气质量").first(), Some(&1));
        assert!(ids(&index, "空气质量").contains(&4), "field 空气质量指数 matches too");
        assert_eq!(ids(&index, "小时数据"), vec![1]);
        assert_eq!(ids(&index, "行政处罚"), vec![3]);
        assert_eq!(ids(&index, "处罚"), vec![3]);
    }

    #[test]
    fn unknown_words_match_through_bigrams() {
        let index = sample();
        // jieba does not know the place name 沌口.
        assert_eq!(ids(&index, "沌口"), vec![4]);
        assert_eq!(ids(&index, "沌口站点"), vec![4]);
        // A fragment jieba cuts differently from the indexed text.
        assert_eq!(ids(&index, "气质量小"), vec![1]);
        // One character finds the words holding it.
        assert_eq!(ids(&index, "罚"), vec![3]);
    }

    #[test]
    fn pollutant_symbols_and_field_names_match_in_any_case() {
        let index = sample();
        for query in ["PM2.5", "pm25", "pm2.5", "PM25", "ＰＭ２.５"] {
            let (hits, total) = index.search(query, &SearchFilter::default(), 0, 10);
            assert_eq!(total, 1, "{query}");
            assert_eq!(hits[0].resource_id, 1);
            assert_eq!(hits[0].matched_fields, vec!["pm25"], "{query}");
        }
        assert_eq!(ids(&index, "STATION_CODE"), vec![1]);
        assert_eq!(
            ids(&index, "station"),
            vec![1],
            "parts of a snake_case name are indexed"
        );
        assert_eq!(ids(&index, "NH3N"), vec![2]);
    }

    #[test]
    fn camel_case_names_are_split() {
        let mut index = SearchIndex::new();
        index.upsert(doc(7, "X-1", "气象", vec![field("windSpeed", "风速", "")]));
        assert_eq!(ids(&index, "windspeed"), vec![7]);
        assert_eq!(ids(&index, "wind"), vec![7]);
        assert_eq!(ids(&index, "speed"), vec![7]);
    }

    #[test]
    fn a_code_finds_exactly_that_resource() {
        let index = sample();
        let (hits, total) = index.search("WHEE-AIR-0001", &SearchFilter::default(), 0, 10);
        assert_eq!(total, 1);
        assert_eq!(hits[0].resource_id, 1);
        assert_eq!(ids(&index, "whee-air-0002"), vec![4]);
        // Parts of codes are words too.
        assert_eq!(ids(&index, "AIR"), vec![1, 4]);
    }

    #[test]
    fn the_exact_code_comes_first() {
        let mut index = SearchIndex::new();
        let mut other = doc(1, "WHEE-AIR-0009", "WHEE-AIR-0005 关联数据 WHEE-AIR-0005", vec![]);
        other.summary = "参见 WHEE-AIR-0005".into();
        index.upsert(other);
        index.upsert(doc(2, "WHEE-AIR-0005", "空气质量日报", vec![]));
        let (hits, total) = index.search(" whee-air-0005 ", &SearchFilter::default(), 0, 10);
        assert_eq!(total, 2);
        assert_eq!(hits[0].resource_id, 2);
        assert!(hits[0].score > hits[1].score);
    }

    #[test]
    fn a_name_match_ranks_above_a_field_description_match() {
        let mut index = SearchIndex::new();
        index.upsert(doc(1, "A-1", "水质报告", vec![field("x", "指标", "含溶解氧等指标")]));
        index.upsert(doc(2, "A-2", "东湖溶解氧监测", vec![field("y", "数值", "数值")]));
        index.upsert(doc(3, "A-3", "其他资料", vec![field("z", "说明", "无")]));
        let (hits, total) = index.search("溶解氧", &SearchFilter::default(), 0, 10);
        assert_eq!(total, 2);
        assert_eq!(hits.iter().map(|h| h.resource_id).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(hits[1].matched_fields, vec!["x"]);
        assert!(hits[0].matched_fields.is_empty());
    }

    #[test]
    fn all_terms_must_match() {
        let index = sample();
        assert_eq!(ids(&index, "氨氮 浓度"), vec![2]);
        assert_eq!(ids(&index, "氨氮 处罚"), Vec::<i64>::new());
        // One term on the resource, one on a field.
        assert_eq!(ids(&index, "空气质量 pm25"), vec![1]);
    }

    #[test]
    fn no_match_and_empty_queries_return_nothing() {
        let index = sample();
        for query in [
            "",
            "   ",
            "\t\n",
            "的",
            "的 了 和",
            "，。！？",
            "the of",
            "辐射",
            "nonexistent",
            "WHEE-XYZ-9999",
        ] {
            assert_eq!(
                index.search(query, &SearchFilter::default(), 0, 10),
                (Vec::new(), 0),
                "{query:?}"
            );
        }
        assert_eq!(
            SearchIndex::new().search("空气", &SearchFilter::default(), 0, 10),
            (Vec::new(), 0)
        );
    }

    #[test]
    fn each_filter_restricts_results() {
        let mut index = SearchIndex::new();
        let base = doc(0, "", "监测数据", vec![]);
        type Change = fn(&mut SearchDoc);
        let variants: [(i64, Change); 6] = [
            (1, |_| {}),
            (2, |d| d.department = "EEB-WATER".into()),
            (3, |d| d.classification = "1/020/001".into()),
            (4, |d| d.grade = "core".into()),
            (5, |d| d.share_type = "not_shared".into()),
            (6, |d| d.status = "draft".into()),
        ];
        for (id, change) in variants {
            let mut d = base.clone();
            d.resource_id = id;
            d.code = format!("C-{id}");
            change(&mut d);
            index.upsert(d);
        }
        let run = |f: SearchFilter| -> Vec<i64> {
            let (hits, total) = index.search("监测", &f, 0, 100);
            assert_eq!(hits.len(), total);
            let mut ids: Vec<i64> = hits.iter().map(|h| h.resource_id).collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(run(SearchFilter::default()), vec![1, 2, 3, 4, 5, 6]);
        let filter = SearchFilter {
            department: Some("EEB-WATER".into()),
            ..Default::default()
        };
        assert_eq!(run(filter), vec![2]);
        let filter = SearchFilter {
            classification_prefix: Some("1/02".into()),
            ..Default::default()
        };
        assert_eq!(run(filter), vec![1, 2, 4, 5, 6], "1/020 is not under 1/02");
        let filter = SearchFilter {
            classification_prefix: Some("1/02/003/".into()),
            ..Default::default()
        };
        assert_eq!(run(filter), vec![1, 2, 4, 5, 6]);
        let filter = SearchFilter {
            classification_prefix: Some("1".into()),
            ..Default::default()
        };
        assert_eq!(run(filter), vec![1, 2, 3, 4, 5, 6]);
        let filter = SearchFilter {
            grade: Some("core".into()),
            ..Default::default()
        };
        assert_eq!(run(filter), vec![4]);
        let filter = SearchFilter {
            share_type: Some("not_shared".into()),
            ..Default::default()
        };
        assert_eq!(run(filter), vec![5]);
        let filter = SearchFilter {
            status: Some("draft".into()),
            ..Default::default()
        };
        assert_eq!(run(filter), vec![6]);
        let filter = SearchFilter {
            status: Some("published".into()),
            grade: Some("general".into()),
            department: Some("EEB-AIR".into()),
            ..Default::default()
        };
        assert_eq!(run(filter), vec![1, 3, 5]);
    }

    #[test]
    fn pages_partition_the_ranked_results() {
        let mut index = SearchIndex::new();
        for doc in synthetic_catalog(300, 20, 1) {
            index.upsert(doc);
        }
        let filter = SearchFilter::default();
        let (all, total) = index.search("监测", &filter, 0, usize::MAX);
        assert!(total > 50);
        assert_eq!(all.len(), total);
        assert!(all.windows(2).all(|w| w[0].score >= w[1].score));
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let (page, t) = index.search("监测", &filter, offset, 7);
            assert_eq!(t, total);
            if page.is_empty() {
                break;
            }
            offset += page.len();
            paged.extend(page);
        }
        assert_eq!(paged, all);
        assert_eq!(index.search("监测", &filter, total, 10), (Vec::new(), total));
        assert_eq!(index.search("监测", &filter, 0, 0), (Vec::new(), total));
    }

    #[test]
    fn upsert_replaces_and_remove_forgets() {
        let mut index = sample();
        assert_eq!(index.len(), 4);
        index.upsert(doc(
            1,
            "WHEE-AIR-0001",
            "噪声监测数据",
            vec![field("leq", "等效声级", "")],
        ));
        assert_eq!(index.len(), 4);
        assert_eq!(ids(&index, "小时数据"), Vec::<i64>::new());
        assert_eq!(ids(&index, "pm25"), Vec::<i64>::new());
        assert_eq!(ids(&index, "噪声"), vec![1]);
        assert_eq!(ids(&index, "WHEE-AIR-0001"), vec![1]);

        index.remove(1);
        index.remove(1);
        index.remove(99);
        assert_eq!(index.len(), 3);
        assert_eq!(ids(&index, "噪声"), Vec::<i64>::new());
        assert_eq!(ids(&index, "WHEE-AIR-0001"), Vec::<i64>::new());
        assert_eq!(ids(&index, "氨氮"), vec![2]);
        for id in [2, 3, 4] {
            index.remove(id);
        }
        assert!(index.is_empty());
        assert_eq!(ids(&index, "氨氮"), Vec::<i64>::new());
    }

    #[test]
    fn many_replacements_keep_results_right() {
        // Enough churn to renumber slots several times.
        let mut index = SearchIndex::new();
        let catalog = synthetic_catalog(50, 5, 3);
        for round in 0..60 {
            for d in &catalog {
                let mut d = d.clone();
                d.name = format!("{} rev{round}", d.name);
                index.upsert(d);
            }
        }
        assert_eq!(index.len(), 50);
        assert!(index.docs.len() < 50 + 2048);
        let (hits, total) = index.search("WHEE-AIR-0001", &SearchFilter::default(), 0, 10);
        assert_eq!((hits[0].resource_id, total), (1, 1));
        assert_eq!(index.search("rev59", &SearchFilter::default(), 0, 100).1, 50);
        assert_eq!(index.search("rev58", &SearchFilter::default(), 0, 100).1, 0);
    }

    #[test]
    fn synthetic_catalog_is_deterministic_and_searchable() {
        let a = synthetic_catalog(40, 50, 9);
        assert_eq!(a, synthetic_catalog(40, 50, 9));
        assert_ne!(a, synthetic_catalog(40, 50, 10));
        assert!(a.iter().all(|d| d.fields.len() == 50));
        let mut index = SearchIndex::new();
        for d in a {
            index.upsert(d);
        }
        assert!(index.search("空气质量", &SearchFilter::default(), 0, 10).1 > 0);
        assert!(index.search("pm25", &SearchFilter::default(), 0, 10).1 > 0);
    }

    #[test]
    fn bench_reports_the_summary_line() {
        let report = bench(30, 10, 40);
        let last = report.lines().last().unwrap();
        assert!(last.starts_with("index_build_s="), "{last}");
        assert!(
            last.contains(" queries=40 ") && last.contains(" target_p95_ms=50 ratio="),
            "{last}"
        );
    }

    #[test]
    fn one_character_queries_find_every_term_holding_it() {
        let catalog = synthetic_catalog(300, 30, 5);
        let mut index = SearchIndex::new();
        for d in catalog.clone() {
            index.upsert(d);
        }
        // Enough terms hold 水 for the one-pass (dense) evaluation.
        assert!(index.bigrams_by_char[&'水'].len() > DENSE_ALTS);
        let text = |d: &SearchDoc| {
            let mut t = format!("{} {} {}", d.code, d.name, d.summary);
            for f in &d.fields {
                t.push_str(&format!(" {} {} {}", f.name, f.cn_name, f.description));
            }
            t
        };
        let expected: Vec<i64> = catalog
            .iter()
            .filter(|d| text(d).contains('水'))
            .map(|d| d.resource_id)
            .collect();
        assert!(expected.len() > 50, "{}", expected.len());
        let mut found = ids(&index, "水");
        found.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn term_lists_round_trip() {
        let ids = vec![0, 1, 2, 127, 128, 300, 16_384, 1 << 21, u32::MAX - 1, u32::MAX];
        assert_eq!(decode_ascending(&encode_ascending(&ids)), ids);
        assert!(decode_ascending(&encode_ascending(&[])).is_empty());
    }

    #[test]
    fn the_index_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SearchIndex>();
    }
}
