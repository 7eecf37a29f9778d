//! The classification scanner (分类分级自动建议) and the default masking rules (数据脱敏).
//!
//! Grading a catalog by hand means reading thousands of columns. The scanner reads a column's
//! name, its comment and a bounded sample of its values, and proposes sensitivity [`Tag`]s with a
//! confidence; a person confirms or rejects each [`Suggestion`] elsewhere, so the scanner only has
//! to be useful, never final. Its first duty is to stay quiet on ordinary eco-environment data
//! (station codes, monitoring values, pollutant codes, dates, enterprise names, permit numbers,
//! division codes): a reviewer who sees noise stops reading.
//!
//! # Detection rules (per non-blank sampled value, trimmed)
//! - 身份证号 [`Tag::CitizenId`]: parses as [`CitizenId`] (MOD 11-2 check and a real birth date).
//! - 手机号 [`Tag::Mobile`]: `1[3-9]` + 9 digits, optionally after `+86`, `0086` or `86`.
//! - 固定电话 [`Tag::Landline`]: `0\d{2,3}-?\d{7,8}`, narrowed to real area-code shapes (`010`,
//!   `02x`, or 4 digits `03xx`..`09xx`) and a local number not starting with 0 or 1, so that
//!   zero-padded codes are not taken for phone numbers.
//! - 电子邮箱 [`Tag::Email`]: `local@domain.tld` with a plain ASCII local part and an alphabetic
//!   top-level domain.
//! - 银行卡号 [`Tag::BankCard`]: 16-19 digits, not starting with 0, passing Luhn, and not also a
//!   valid citizen ID or credit code.
//! - 统一社会信用代码 [`Tag::CreditCode`]: GB 32100 shape and a correct check character (a permit
//!   number has 22 characters and does not match).
//! - 精确坐标 [`Tag::PreciseCoordinates`]: decimals with at least 5 places inside China's box
//!   (latitude 3..=54, longitude 73..=136); either a `lon,lat` (or `lat,lon`) pair, or a single
//!   number when the column name says latitude or longitude (the named axis sets the range).
//! - 姓名 [`Tag::PersonName`]: 2-4 CJK characters starting with a common surname ([`SURNAMES`],
//!   or a compound one from [`COMPOUND_SURNAMES`] followed by a given name), not ending in a place
//!   or organisation character (区, 市, 路, 厂, ...).
//! - 地址 [`Tag::Address`]: 6-100 characters with at least two address markers (省 市 区 县 镇 乡
//!   村 路 街 道 巷 弄 号 栋 幢 室 组), at least one of them street level (路 街 道 巷 弄 号 栋 幢 室
//!   村 组), not ending like an organisation or project (公司, 厂, 中心, 工程, 断面, ...), and not a
//!   sentence (no `。`). So `武汉市江岸区` (a region) and `武汉市青山区某某有限公司` are not
//!   addresses.
//!
//! # Column-name hints
//! The column name and comment are searched for hint words: Chinese words as substrings,
//! ASCII/pinyin words as whole tokens (the name is split at `_`, `-`, spaces, digits and camelCase
//! humps, so `tel` does not fire inside `hotel`). A bare `name` token counts as a person-name hint
//! only alone or next to a person word (`real_name`, `contact_name`, ...), never in
//! `enterprise_name` or `station_name`. A person-name hint is dropped when another tag is hinted
//! too (`法人身份证号` is about an ID, not a name), and a bank-card hint is dropped when a
//! citizen-ID hint is present (`id_card`).
//!
//! # Confidence
//! With `m` matching values out of `n` sampled non-blank values:
//!
//! ```text
//! confidence = min(0.99, strength(tag) × m / (n + 1) + (0.10 if the column is hinted))
//! ```
//!
//! rounded to two decimals. `m / (n + 1)` is the match rate shrunk for tiny samples (one matching
//! value alone gives at most half the strength). Strengths: 0.95 citizen ID and credit code (they
//! carry a check character), 0.90 mobile, email, bank card and coordinates, 0.85 landline and
//! hinted person name, 0.80 address, 0.60 unhinted person name, which is also only proposed when
//! at least 90 % of the sample matches. A hint with no matching value proposes nothing, except
//! when the sample is empty (no non-blank value): then the hint alone gives
//! [`HINT_ONLY_CONFIDENCE`]. Suggestions below [`Scanner::min_confidence`] are dropped; the rest
//! are sorted by confidence, highest first (ties in [`Tag::ALL`] order).
//!
//! # Masking
//! Display rules are policy data; [`Tag::default_mask`] gives the defaults from `standards.md`
//! and [`mask`] applies a [`MaskRule`], counting characters (not bytes) and writing one `*` per
//! hidden character. When a rule would reveal the whole value (too short for it), everything is
//! hidden instead.

use crate::ident::{CitizenId, CreditCode};

/// A kind of sensitive content a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// Citizen ID number (身份证号).
    CitizenId,
    /// Mobile phone number (手机号).
    Mobile,
    /// Landline number (固定电话).
    Landline,
    /// A person's name (姓名).
    PersonName,
    /// Postal address (地址).
    Address,
    /// E-mail address (电子邮箱).
    Email,
    /// Bank card number (银行卡号).
    BankCard,
    /// Unified social credit code (统一社会信用代码).
    CreditCode,
    /// Coordinates precise to about a metre (精确坐标).
    PreciseCoordinates,
}

impl Tag {
    /// Every tag, in a fixed order.
    pub const ALL: [Tag; 9] = [
        Tag::CitizenId,
        Tag::Mobile,
        Tag::Landline,
        Tag::PersonName,
        Tag::Address,
        Tag::Email,
        Tag::BankCard,
        Tag::CreditCode,
        Tag::PreciseCoordinates,
    ];

    /// Stable snake_case code (the same as the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::CitizenId => "citizen_id",
            Tag::Mobile => "mobile",
            Tag::Landline => "landline",
            Tag::PersonName => "person_name",
            Tag::Address => "address",
            Tag::Email => "email",
            Tag::BankCard => "bank_card",
            Tag::CreditCode => "credit_code",
            Tag::PreciseCoordinates => "precise_coordinates",
        }
    }

    /// Name for people, in Chinese.
    pub fn label(self) -> &'static str {
        match self {
            Tag::CitizenId => "身份证号",
            Tag::Mobile => "手机号码",
            Tag::Landline => "固定电话",
            Tag::PersonName => "姓名",
            Tag::Address => "地址",
            Tag::Email => "电子邮箱",
            Tag::BankCard => "银行卡号",
            Tag::CreditCode => "统一社会信用代码",
            Tag::PreciseCoordinates => "精确坐标",
        }
    }

    /// Parses an identifier (`citizen_id`) or a Chinese label (`身份证号`).
    pub fn parse(s: &str) -> Option<Tag> {
        let s = s.trim();
        Tag::ALL.into_iter().find(|t| t.as_str() == s || t.label() == s)
    }

    /// The lowest general-data sub-level (1..=4) a field carrying this tag is graded at, once a
    /// person confirms the tag; None when the tag implies no minimum.
    ///
    /// GB/T 43697-2024 grades by the harm of a leak and keeps 重要数据/核心数据 for harm to the
    /// state, the economy and the public at scale, which one column's content cannot show; so a
    /// tag never lifts a field out of general data, it lifts its sub-level (the local 4-level
    /// practice). Policy, kept here as data: 4 for the identifiers that are sensitive personal
    /// information on their own (citizen ID, bank card), 3 for other personal information and
    /// precise locations, none for the credit code (enterprise registration data is public).
    pub fn min_general_sub_level(self) -> Option<u8> {
        match self {
            Tag::CitizenId | Tag::BankCard => Some(4),
            Tag::Mobile | Tag::Landline | Tag::PersonName | Tag::Address | Tag::Email | Tag::PreciseCoordinates => {
                Some(3)
            }
            Tag::CreditCode => None,
        }
    }

    /// The default display rule (`standards.md`, Masking); policy data may override it.
    ///
    /// Choices where the standards leave room: citizen ID keeps first 1 + last 2 (the stricter of
    /// the two common rules), address keeps 6 characters (about province and city), a credit
    /// code keeps its first 8 characters (authority, type and division, which are not secret),
    /// coordinates are rounded to 2 decimals (about 1 km).
    pub fn default_mask(self) -> MaskRule {
        match self {
            Tag::CitizenId => MaskRule::KeepFirstLast { first: 1, last: 2 },
            Tag::Mobile => MaskRule::KeepFirstLast { first: 3, last: 4 },
            Tag::Landline => MaskRule::KeepFirstLast { first: 4, last: 2 },
            Tag::PersonName => MaskRule::KeepFirstChar,
            Tag::Address => MaskRule::AddressHideTail { keep: 6 },
            Tag::Email => MaskRule::EmailLocalFirst,
            Tag::BankCard => MaskRule::KeepFirstLast { first: 4, last: 4 },
            Tag::CreditCode => MaskRule::KeepFirstLast { first: 8, last: 0 },
            Tag::PreciseCoordinates => MaskRule::RoundCoordinates { decimals: 2 },
        }
    }

    /// How strongly a matching value supports the tag (see the module doc).
    fn strength(self, hinted: bool) -> f64 {
        match self {
            Tag::CitizenId | Tag::CreditCode => 0.95,
            Tag::Mobile | Tag::Email | Tag::BankCard | Tag::PreciseCoordinates => 0.90,
            Tag::Landline => 0.85,
            Tag::PersonName if hinted => 0.85,
            Tag::PersonName => 0.60,
            Tag::Address => 0.80,
        }
    }

    /// What the matching values have in common, for the reason text.
    fn evidence(self) -> &'static str {
        match self {
            Tag::CitizenId => "通过校验位且出生日期有效",
            Tag::Mobile => "符合手机号码格式",
            Tag::Landline => "符合固定电话格式",
            Tag::PersonName => "为常见姓氏开头的 2–4 个汉字",
            Tag::Address => "含省市区及路街号等地址要素",
            Tag::Email => "符合电子邮箱格式",
            Tag::BankCard => "为 16–19 位数字且通过 Luhn 校验",
            Tag::CreditCode => "符合统一社会信用代码格式且校验位正确",
            Tag::PreciseCoordinates => "为中国范围内至少 5 位小数的经纬度",
        }
    }
}

/// A proposed tag for a column, for a person to confirm or reject.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suggestion {
    /// The proposed tag.
    pub tag: Tag,
    /// 0.0..=0.99, see the module doc for the formula.
    pub confidence: f64,
    /// Sampled values that matched the tag's rule.
    pub matched: usize,
    /// Non-blank values looked at.
    pub sampled: usize,
    /// Why, in Chinese, e.g. `列名含“身份证”；样本 48/50 通过校验位且出生日期有效`.
    pub reason: String,
}

/// Confidence of a suggestion backed only by a column-name hint, on an empty sample.
pub const HINT_ONLY_CONFIDENCE: f64 = 0.5;
/// Bonus for a hinted column.
const HINT_BONUS: f64 = 0.10;
/// Highest confidence the scanner ever gives: a person still decides.
const MAX_CONFIDENCE: f64 = 0.99;
/// Match rate an unhinted person-name column needs.
const UNHINTED_NAME_MIN_RATE: f64 = 0.9;

/// Proposes sensitivity tags for a column.
#[derive(Debug, Clone, PartialEq)]
pub struct Scanner {
    /// Values looked at, at most (the caller also bounds its query). Default 200.
    pub max_sample: usize,
    /// Suggestions below this are dropped. Default 0.5.
    pub min_confidence: f64,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            max_sample: 200,
            min_confidence: 0.5,
        }
    }
}

impl Scanner {
    /// Scans one column. Values beyond `max_sample` are ignored; null and blank values do not
    /// count toward `sampled`. Returns suggestions with confidence >= `min_confidence`, highest
    /// first.
    pub fn scan(&self, column_name: &str, column_comment: Option<&str>, values: &[Option<&str>]) -> Vec<Suggestion> {
        let hints = Hints::find(column_name, column_comment);
        let sample: Vec<&str> = values
            .iter()
            .take(self.max_sample)
            .filter_map(|v| v.map(str::trim))
            .filter(|v| !v.is_empty())
            .collect();
        let sampled = sample.len();
        let mut out = Vec::new();
        for tag in Tag::ALL {
            let hint = hints.for_tag(tag);
            if sampled == 0 {
                if let Some(hint) = hint {
                    out.push(Suggestion {
                        tag,
                        confidence: HINT_ONLY_CONFIDENCE,
                        matched: 0,
                        sampled: 0,
                        reason: format!("{}；无非空样本，仅凭列名提示", hint.describe()),
                    });
                }
                continue;
            }
            let matched = sample.iter().filter(|v| value_matches(tag, v, &hints)).count();
            if matched == 0 {
                continue;
            }
            let rate = matched as f64 / sampled as f64;
            if tag == Tag::PersonName && hint.is_none() && rate < UNHINTED_NAME_MIN_RATE {
                continue;
            }
            let bonus = if hint.is_some() { HINT_BONUS } else { 0.0 };
            let raw = tag.strength(hint.is_some()) * matched as f64 / (sampled as f64 + 1.0) + bonus;
            let confidence = (raw.min(MAX_CONFIDENCE) * 100.0).round() / 100.0;
            let evidence = format!("样本 {matched}/{sampled} {}", tag.evidence());
            let reason = match hint {
                Some(hint) => format!("{}；{evidence}", hint.describe()),
                None if tag == Tag::PersonName => format!("{evidence}；列名无姓名提示，置信度已降低"),
                None => evidence,
            };
            out.push(Suggestion {
                tag,
                confidence,
                matched,
                sampled,
                reason,
            });
        }
        out.retain(|s| s.confidence >= self.min_confidence);
        // Stable sort keeps Tag::ALL order among equal confidences.
        out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        out
    }
}

/// A hint word found in the column name or comment.
#[derive(Debug, Clone, Copy)]
struct Hint {
    word: &'static str,
    in_comment: bool,
}

impl Hint {
    fn describe(self) -> String {
        let place = if self.in_comment { "注释" } else { "列名" };
        format!("{place}含“{}”", self.word)
    }
}

/// Hint words of one tag: Chinese substrings and ASCII/pinyin token sequences (`_` separates
/// tokens, so `id_card` matches the tokens `id`, `card` in a row).
struct HintWords {
    tag: Tag,
    zh: &'static [&'static str],
    ascii: &'static [&'static str],
}

const HINT_WORDS: &[HintWords] = &[
    HintWords {
        tag: Tag::CitizenId,
        zh: &["身份证", "证件号", "公民身份号码"],
        ascii: &[
            "sfz",
            "sfzh",
            "sfzhm",
            "idcard",
            "id_card",
            "idno",
            "id_no",
            "shenfenzheng",
            "zjhm",
            "identity_card",
            "citizen_id",
        ],
    },
    HintWords {
        tag: Tag::Mobile,
        zh: &["手机", "电话", "联系方式"],
        ascii: &[
            "phone",
            "mobile",
            "tel",
            "telephone",
            "cellphone",
            "sjh",
            "sjhm",
            "lxdh",
            "lxfs",
        ],
    },
    HintWords {
        tag: Tag::Landline,
        zh: &["电话", "座机", "固话", "联系方式", "传真"],
        ascii: &["phone", "tel", "telephone", "landline", "fax", "lxdh", "lxfs", "gddh"],
    },
    HintWords {
        tag: Tag::PersonName,
        zh: &[
            "姓名",
            "联系人",
            "法定代表人",
            "法人",
            "负责人",
            "经办人",
            "填报人",
            "联络人",
            "申请人",
            "举报人",
            "投诉人",
        ],
        ascii: &[
            "xm",
            "xingming",
            "contact",
            "linkman",
            "legal_rep",
            "legal_person",
            "legal_representative",
            "fddbr",
            "fzr",
            "lxr",
        ],
    },
    HintWords {
        tag: Tag::Address,
        zh: &["地址", "住址", "住所"],
        ascii: &["address", "addr", "dz", "dizhi"],
    },
    HintWords {
        tag: Tag::Email,
        zh: &["邮箱", "电子邮件"],
        ascii: &["email", "e_mail", "mail", "dzyx"],
    },
    HintWords {
        tag: Tag::BankCard,
        zh: &["银行卡", "银行账号", "卡号", "账号"],
        ascii: &["bank", "bankcard", "card", "cardno", "yhk", "yhkh"],
    },
    HintWords {
        tag: Tag::CreditCode,
        zh: &["统一社会信用代码", "社会信用代码", "信用代码"],
        ascii: &["tyshxydm", "shxydm", "xydm", "uscc", "credit_code", "creditcode"],
    },
    HintWords {
        tag: Tag::PreciseCoordinates,
        zh: &["经纬度", "经度", "纬度", "坐标"],
        ascii: &[
            "lat",
            "lng",
            "lon",
            "latitude",
            "longitude",
            "coord",
            "coords",
            "coordinate",
            "coordinates",
            "gps",
            "jwd",
        ],
    },
];

/// Words that, next to a bare `name` token, make it a person's name.
const PERSON_WORDS: &[&str] = &[
    "real",
    "full",
    "person",
    "contact",
    "legal",
    "owner",
    "staff",
    "emp",
    "employee",
    "operator",
    "manager",
    "leader",
    "reporter",
    "inspector",
    "applicant",
    "linkman",
    "principal",
    "officer",
    "citizen",
    "resident",
    "user",
    "nick",
];

/// Which axis a single-number coordinate column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Axis {
    Latitude,
    Longitude,
    Either,
}

/// Everything the column name and comment say.
#[derive(Debug, Default)]
struct Hints {
    by_tag: [Option<Hint>; 9],
    axis: Option<Axis>,
}

impl Hints {
    fn find(name: &str, comment: Option<&str>) -> Self {
        let mut hints = Hints::default();
        for (text, in_comment) in [(name, false), (comment.unwrap_or_default(), true)] {
            let tokens = ascii_tokens(text);
            for words in HINT_WORDS {
                if hints.for_tag(words.tag).is_some() {
                    continue;
                }
                let word = words.zh.iter().find(|w| text.contains(**w)).copied().or_else(|| {
                    words
                        .ascii
                        .iter()
                        .find(|w| contains_tokens(&tokens, w))
                        .copied()
                        .or_else(|| (words.tag == Tag::PersonName && is_person_name_token(&tokens)).then_some("name"))
                });
                hints.set(words.tag, word.map(|word| Hint { word, in_comment }));
            }
            let lat = text.contains("纬度") || tokens.iter().any(|t| t == "lat" || t == "latitude");
            let lon = text.contains("经度") || tokens.iter().any(|t| t == "lon" || t == "lng" || t == "longitude");
            let axis = match (lat && !text.contains("经纬度"), lon) {
                (true, false) => Some(Axis::Latitude),
                (false, true) => Some(Axis::Longitude),
                _ => None,
            };
            hints.axis = hints.axis.or(axis);
        }
        if hints.for_tag(Tag::PreciseCoordinates).is_some() && hints.axis.is_none() {
            hints.axis = Some(Axis::Either);
        }
        if hints.for_tag(Tag::CitizenId).is_some() {
            hints.set(Tag::BankCard, None);
        }
        let other_hinted = Tag::ALL
            .iter()
            .any(|&t| t != Tag::PersonName && hints.for_tag(t).is_some());
        if other_hinted {
            hints.set(Tag::PersonName, None);
        }
        hints
    }

    fn index(tag: Tag) -> usize {
        Tag::ALL.iter().position(|&t| t == tag).unwrap_or_default()
    }

    fn for_tag(&self, tag: Tag) -> Option<Hint> {
        self.by_tag.get(Self::index(tag)).copied().flatten()
    }

    fn set(&mut self, tag: Tag, hint: Option<Hint>) {
        if let Some(slot) = self.by_tag.get_mut(Self::index(tag)) {
            *slot = hint;
        }
    }
}

/// Lower-case ASCII alphanumeric tokens of an identifier: split at non-alphanumerics (including
/// CJK), at letter/digit changes and at camelCase humps.
fn ascii_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            prev = None;
            continue;
        }
        let boundary = prev.is_some_and(|p| {
            (p.is_ascii_lowercase() && c.is_ascii_uppercase()) || (p.is_ascii_digit() != c.is_ascii_digit())
        });
        if boundary && !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
        prev = Some(c);
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// True when the `_`-separated `word` occurs as consecutive tokens.
fn contains_tokens(tokens: &[String], word: &str) -> bool {
    let parts: Vec<&str> = word.split('_').collect();
    tokens
        .windows(parts.len())
        .any(|w| w.iter().zip(&parts).all(|(t, p)| t == p))
}

/// `name` alone, or with a person word (`real_name`, `contactName`), but not `enterprise_name`.
fn is_person_name_token(tokens: &[String]) -> bool {
    tokens.iter().any(|t| t == "name")
        && (tokens.len() == 1 || tokens.iter().any(|t| PERSON_WORDS.contains(&t.as_str())))
}

fn value_matches(tag: Tag, v: &str, hints: &Hints) -> bool {
    match tag {
        Tag::CitizenId => CitizenId::parse(v).is_ok(),
        Tag::Mobile => is_mobile(v),
        Tag::Landline => is_landline(v),
        Tag::PersonName => is_person_name(v),
        Tag::Address => is_address(v),
        Tag::Email => is_email(v),
        Tag::BankCard => is_bank_card(v),
        Tag::CreditCode => is_checked_credit_code(v),
        Tag::PreciseCoordinates => is_precise_coordinate(v, hints.axis),
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_mobile(v: &str) -> bool {
    let national = ["+86", "0086", "86"]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .map(|rest| rest.strip_prefix(['-', ' ']).unwrap_or(rest));
    [Some(v), national].into_iter().flatten().any(|n| {
        let b = n.as_bytes();
        b.len() == 11
            && all_digits(n)
            && b.first() == Some(&b'1')
            && b.get(1).is_some_and(|d| (b'3'..=b'9').contains(d))
    })
}

fn is_landline(v: &str) -> bool {
    if !v.is_ascii() {
        return false;
    }
    let (area, local) = match v.split_once('-') {
        Some(parts) => parts,
        None => {
            let area_len = if v.starts_with("010") || v.starts_with("02") {
                3
            } else {
                4
            };
            match (v.get(..area_len), v.get(area_len..)) {
                (Some(a), Some(l)) => (a, l),
                _ => return false,
            }
        }
    };
    let area_ok = all_digits(area)
        && match area.len() {
            3 => area == "010" || area.starts_with("02"),
            4 => area.starts_with('0') && area.as_bytes().get(1).is_some_and(|d| (b'3'..=b'9').contains(d)),
            _ => false,
        };
    let local_ok = all_digits(local)
        && (7..=8).contains(&local.len())
        && local.as_bytes().first().is_some_and(|d| (b'2'..=b'9').contains(d));
    area_ok && local_ok
}

fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && labels_ok && tld_ok
}

fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

fn is_checked_credit_code(v: &str) -> bool {
    CreditCode::parse(v).is_ok_and(|c| !c.is_suspect())
}

fn is_bank_card(v: &str) -> bool {
    all_digits(v)
        && (16..=19).contains(&v.len())
        && !v.starts_with('0')
        && luhn_ok(v)
        && CitizenId::parse(v).is_err()
        && !is_checked_credit_code(v)
}

/// A decimal with at least 5 places (`114.305556`), as a number.
fn precise_decimal(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = unsigned.split_once('.')?;
    (all_digits(int) && all_digits(frac) && frac.len() >= 5)
        .then(|| s.parse::<f64>().ok())
        .flatten()
}

fn in_axis(x: f64, axis: Axis) -> bool {
    let lat = (3.0..=54.0).contains(&x);
    let lon = (73.0..=136.0).contains(&x);
    match axis {
        Axis::Latitude => lat,
        Axis::Longitude => lon,
        Axis::Either => lat || lon,
    }
}

fn is_precise_coordinate(v: &str, axis: Option<Axis>) -> bool {
    let parts: Vec<&str> = v
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [a, b] => match (precise_decimal(a), precise_decimal(b)) {
            (Some(a), Some(b)) => {
                (in_axis(a, Axis::Longitude) && in_axis(b, Axis::Latitude))
                    || (in_axis(a, Axis::Latitude) && in_axis(b, Axis::Longitude))
            }
            _ => false,
        },
        [single] => axis.is_some_and(|axis| precise_decimal(single).is_some_and(|x| in_axis(x, axis))),
        _ => false,
    }
}

/// About 100 common single-character Chinese surnames.
pub const SURNAMES: &[char] = &[
    '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林',
    '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田', '董', '袁', '潘', '于',
    '蒋', '蔡', '余', '杜', '叶', '程', '苏', '魏', '吕', '丁', '任', '沈', '姚', '卢', '姜', '崔', '钟', '谭', '陆',
    '汪', '范', '金', '石', '廖', '贾', '夏', '韦', '付', '傅', '方', '白', '邹', '孟', '熊', '秦', '邱', '江', '尹',
    '薛', '闫', '段', '雷', '侯', '龙', '史', '陶', '黎', '贺', '顾', '毛', '郝', '龚', '邵', '万', '钱', '严', '覃',
    '武', '戴', '莫', '孔', '向', '汤', '常', '温', '康', '施', '文', '牛', '樊', '葛', '邢', '安', '齐', '易', '乔',
    '伍', '庞', '颜', '倪', '庄', '聂',
];

/// Common compound surnames.
pub const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "夏侯", "宇文", "司徒",
    "端木", "独孤", "南宫", "轩辕", "申屠", "澹台",
];

/// Last characters that make a short CJK string a place or an organisation, not a person.
const NON_NAME_ENDINGS: &[char] = &[
    '省', '市', '区', '县', '镇', '乡', '村', '路', '街', '湖', '河', '港', '站', '厂', '局', '所', '院', '司', '处',
    '科', '部', '委', '会', '校', '馆', '库', '渠', '桥', '类', '物', '剂', '酸', '碱', '氮', '磷', '硫', '铅', '汞',
];

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

fn is_person_name(v: &str) -> bool {
    let chars: Vec<char> = v.chars().collect();
    if !(2..=4).contains(&chars.len()) || !chars.iter().all(|&c| is_cjk(c)) {
        return false;
    }
    if chars.last().is_some_and(|c| NON_NAME_ENDINGS.contains(c)) {
        return false;
    }
    let compound = chars.len() >= 3 && COMPOUND_SURNAMES.iter().any(|s| v.starts_with(s));
    compound || chars.first().is_some_and(|c| SURNAMES.contains(c))
}

/// Characters that mark an address.
const ADDRESS_MARKERS: &[char] = &[
    '省', '市', '区', '县', '镇', '乡', '村', '路', '街', '道', '巷', '弄', '号', '栋', '幢', '室', '组',
];
/// Markers below district level: an address has at least one.
const STREET_MARKERS: &[char] = &['路', '街', '道', '巷', '弄', '号', '栋', '幢', '室', '村', '组'];
/// Endings of organisation, facility and project names, which often carry address markers.
const NON_ADDRESS_ENDINGS: &[&str] = &[
    "公司",
    "厂",
    "集团",
    "局",
    "站",
    "所",
    "中心",
    "学校",
    "大学",
    "学院",
    "医院",
    "研究院",
    "设计院",
    "委员会",
    "协会",
    "合作社",
    "银行",
    "项目",
    "工程",
    "断面",
    "监测点",
    "点位",
    "政府",
    "办公室",
    "车间",
    "办事处",
];

fn is_address(v: &str) -> bool {
    let len = v.chars().count();
    if !(6..=100).contains(&len) || v.contains('。') || !v.chars().any(is_cjk) {
        return false;
    }
    if NON_ADDRESS_ENDINGS.iter().any(|e| v.ends_with(e)) {
        return false;
    }
    let markers = v.chars().filter(|c| ADDRESS_MARKERS.contains(c)).count();
    markers >= 2 && v.chars().any(|c| STREET_MARKERS.contains(&c))
}

/// How to display a sensitive value. Stored as policy data (snake_case JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskRule {
    /// First character, then `*`: `张**`.
    KeepFirstChar,
    /// Keep `first` and `last` characters: mobile 3+4, citizen ID 1+2 or 6+4, bank card 4+4,
    /// landline 4+2.
    KeepFirstLast {
        /// Characters kept at the start.
        first: usize,
        /// Characters kept at the end.
        last: usize,
    },
    /// First character of the local part, then `*`, then `@domain`.
    EmailLocalFirst,
    /// Keep the first `keep` characters (never more than half), hide the rest.
    AddressHideTail {
        /// Characters kept at the start.
        keep: usize,
    },
    /// Round every decimal number in the value to `decimals` places.
    RoundCoordinates {
        /// Decimal places kept.
        decimals: u8,
    },
    /// Hide everything.
    Full,
}

/// Applies `rule` to `value`, counting characters (Chinese-aware) and writing one `*` per hidden
/// character. A value too short for the rule, or not of the expected form (an e-mail without `@`,
/// coordinates without a number), is hidden entirely.
pub fn mask(value: &str, rule: MaskRule) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let keep_ends = |first: usize, last: usize| -> String {
        if first + last >= n {
            return "*".repeat(n);
        }
        let mut out: String = chars.iter().take(first).collect();
        out.push_str(&"*".repeat(n - first - last));
        out.extend(chars.iter().skip(n - last));
        out
    };
    match rule {
        MaskRule::KeepFirstChar => keep_ends(1.min(n.saturating_sub(1)), 0),
        MaskRule::KeepFirstLast { first, last } => keep_ends(first, last),
        MaskRule::EmailLocalFirst => match value.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
                // A one-character local part would be shown whole, so it is hidden too.
                let local_len = local.chars().count();
                let keep = usize::from(local_len > 1);
                let mut out: String = local.chars().take(keep).collect();
                out.push_str(&"*".repeat(local_len - keep));
                out.push('@');
                out.push_str(domain);
                out
            }
            _ => "*".repeat(n),
        },
        MaskRule::AddressHideTail { keep } => keep_ends(keep.min(n / 2), 0),
        MaskRule::RoundCoordinates { decimals } => {
            round_numbers(value, usize::from(decimals)).unwrap_or_else(|| "*".repeat(n))
        }
        MaskRule::Full => "*".repeat(n),
    }
}

/// Rounds each decimal number in `value` with more than `decimals` places; `None` when there is
/// no number at all.
fn round_numbers(value: &str, decimals: usize) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut found = false;
    let mut rest = value;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let (before, from) = rest.split_at(start);
        let signed = before.ends_with('-');
        out.push_str(before.strip_suffix('-').unwrap_or(before));
        let int_len = from.find(|c: char| !c.is_ascii_digit()).unwrap_or(from.len());
        let frac_len = from
            .get(int_len..)
            .and_then(|t| t.strip_prefix('.'))
            .map(|f| f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len()))
            .filter(|&len| len > 0)
            .map_or(0, |len| len + 1);
        let end = int_len + frac_len;
        let number = from.get(..end).unwrap_or_default();
        let places = frac_len.saturating_sub(1);
        let sign = if signed { "-" } else { "" };
        match number.parse::<f64>() {
            Ok(x) if places > decimals => {
                let x = if signed { -x } else { x };
                out.push_str(&format!("{x:.decimals$}"));
            }
            _ => {
                out.push_str(sign);
                out.push_str(number);
            }
        }
        found = true;
        rest = from.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    found.then_some(out)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn scan(name: &str, comment: Option<&str>, values: &[&str]) -> Vec<Suggestion> {
        let values: Vec<Option<&str>> = values.iter().map(|v| Some(*v)).collect();
        Scanner::default().scan(name, comment, &values)
    }

    fn tags(suggestions: &[Suggestion]) -> Vec<Tag> {
        suggestions.iter().map(|s| s.tag).collect()
    }

    fn only(suggestions: &[Suggestion], tag: Tag) -> Suggestion {
        assert_eq!(tags(suggestions), vec![tag], "{suggestions:#?}");
        suggestions.first().unwrap().clone()
    }

    /// Valid citizen IDs with varied birth dates and sequences.
    fn citizen_ids(count: usize) -> Vec<String> {
        (0..count)
            .map(|i| {
                let first17 = format!("4201021985{:02}{:02}{:03}", i % 12 + 1, i % 28 + 1, 100 + i);
                let check = CitizenId::expected_check(&first17).unwrap();
                format!("{first17}{check}")
            })
            .collect()
    }

    fn as_refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    /// Luhn-valid 16-digit card numbers starting with 6222.
    fn bank_cards(count: usize) -> Vec<String> {
        (0..count)
            .map(|i| {
                let body = format!("622202{:09}", 100_000_007 * (i + 1) % 1_000_000_000);
                (0..10).map(|d| format!("{body}{d}")).find(|c| luhn_ok(c)).unwrap()
            })
            .collect()
    }

    #[test]
    fn tag_codes_match_serde_and_labels_are_chinese() {
        for tag in Tag::ALL {
            assert_eq!(serde_json::to_string(&tag).unwrap(), format!("\"{}\"", tag.as_str()));
            assert!(tag.label().chars().all(is_cjk), "{}", tag.label());
        }
        let rule = serde_json::to_string(&MaskRule::KeepFirstLast { first: 3, last: 4 }).unwrap();
        assert_eq!(rule, r#"{"keep_first_last":{"first":3,"last":4}}"#);
        assert_eq!(
            serde_json::from_str::<MaskRule>(&rule).unwrap(),
            Tag::Mobile.default_mask()
        );
    }

    #[test]
    fn citizen_id_with_and_without_hint() {
        let mut values = citizen_ids(48);
        values.push("110105194912310021".into()); // wrong check character
        values.push("not an id".into());
        let hinted = only(&scan("sfzh", Some("身份证号码"), &as_refs(&values)), Tag::CitizenId);
        assert_eq!((hinted.matched, hinted.sampled), (48, 50));
        assert_eq!(hinted.confidence, 0.99);
        assert_eq!(hinted.reason, "列名含“sfzh”；样本 48/50 通过校验位且出生日期有效");

        let plain = only(&scan("col_7", None, &as_refs(&values)), Tag::CitizenId);
        assert!(
            plain.confidence < hinted.confidence && plain.confidence >= 0.85,
            "{plain:?}"
        );
        assert_eq!(plain.reason, "样本 48/50 通过校验位且出生日期有效");
    }

    #[test]
    fn mobile_with_and_without_hint() {
        let values = [
            "18012341999",
            "13912345678",
            "+8615071234567",
            "86 17712345678",
            "15527001234",
        ];
        let hinted = only(&scan("contact_phone", None, &values), Tag::Mobile);
        assert_eq!(hinted.matched, 5);
        assert!(hinted.confidence >= 0.85);
        let plain = only(&scan("c3", None, &values), Tag::Mobile);
        assert_eq!(plain.confidence, 0.75);
        assert!(!is_mobile("12012341999"));
        assert!(!is_mobile("1801234199"));
    }

    #[test]
    fn landline_with_and_without_hint() {
        let values = [
            "027-85123456",
            "02787654321",
            "010-62751234",
            "0710-3812345",
            "027-8512345",
        ];
        let hinted = only(&scan("lxdh", None, &values), Tag::Landline);
        assert_eq!(hinted.matched, 5);
        let plain = only(&scan("c4", None, &values), Tag::Landline);
        assert!(plain.confidence < hinted.confidence);
        for bad in [
            "0000123456",
            "027-05123456",
            "011-85123456",
            "27-85123456",
            "027-851234567",
        ] {
            assert!(!is_landline(bad), "{bad}");
        }
    }

    #[test]
    fn mixed_contact_column_suggests_mobile_and_landline() {
        let mut values = vec!["18012341999"; 12];
        values.extend(["027-85123456"; 12]);
        let got = scan("联系方式", None, &values);
        assert_eq!(tags(&got), vec![Tag::Mobile, Tag::Landline]);
    }

    #[test]
    fn person_name_with_and_without_hint() {
        let values = [
            "张三",
            "李四",
            "王小明",
            "欧阳娜娜",
            "诸葛亮",
            "陈静",
            "刘洋",
            "赵敏",
            "周杰",
            "黄磊",
        ];
        let hinted = only(&scan("legal_rep", Some("法定代表人"), &values), Tag::PersonName);
        assert_eq!(hinted.matched, 10);
        assert!(hinted.confidence >= 0.85, "{hinted:?}");
        let named = only(&scan("realName", None, &values), Tag::PersonName);
        assert_eq!(named.reason.split('；').next().unwrap(), "列名含“name”");

        let plain = only(&scan("c5", None, &values), Tag::PersonName);
        assert!(plain.confidence < 0.6 && plain.confidence >= 0.5, "{plain:?}");
        assert!(plain.reason.contains("置信度已降低"));

        // Without a hint, 80 % is not enough.
        let mut mixed = values.to_vec();
        mixed.extend(["二氧化硫", "氨氮"]);
        assert!(scan("c5", None, &mixed).is_empty());
        // With one, it is.
        assert_eq!(tags(&scan("姓名", None, &mixed)), vec![Tag::PersonName]);
    }

    #[test]
    fn person_name_rule() {
        for name in ["张伟", "欧阳修", "上官婉儿", "司马相如"] {
            assert!(is_person_name(name), "{name}");
        }
        for not in [
            "欧阳",
            "江岸区",
            "二氧化硫",
            "石油类",
            "张",
            "张三丰五六",
            "Zhang",
            "东湖梨园",
        ] {
            assert!(!is_person_name(not), "{not}");
        }
        assert!(SURNAMES.len() >= 100);
    }

    #[test]
    fn address_with_and_without_hint() {
        let values = [
            "湖北省武汉市洪山区珞喻路1037号",
            "武汉市江岸区沿江大道188号",
            "武汉市青山区工人村街青钢路18号",
            "江夏区纸坊街道兴新街1号",
            "新洲区仓埠街道八一村三组",
        ];
        let hinted = only(&scan("reg_addr", Some("注册地址"), &values), Tag::Address);
        assert_eq!(hinted.matched, 5);
        let plain = only(&scan("c6", None, &values), Tag::Address);
        assert!(plain.confidence < hinted.confidence && plain.confidence >= 0.5);
        for not in [
            "武汉市江岸区",
            "武汉市青山区北湖污水处理厂",
            "武汉市江夏区金口中法污水处理有限公司",
            "光谷大道",
        ] {
            assert!(!is_address(not), "{not}");
        }
    }

    #[test]
    fn email_with_and_without_hint() {
        let values = [
            "zhangsan@163.com",
            "li.si@whepb.gov.cn",
            "wang_5+x@qq.com",
            "not-an-email",
        ];
        let hinted = only(&scan("email", None, &values), Tag::Email);
        assert_eq!((hinted.matched, hinted.sampled), (3, 4));
        let plain = only(&scan("c7", None, &values), Tag::Email);
        assert!(plain.confidence < hinted.confidence);
        for bad in ["a@b", "@qq.com", "a@@qq.com", "a b@qq.com", "a@qq.c0m", ".a@qq.com"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn bank_card_with_and_without_hint() {
        let cards = bank_cards(10);
        let hinted = only(&scan("yhkh", Some("银行卡号"), &as_refs(&cards)), Tag::BankCard);
        assert_eq!(hinted.matched, 10);
        assert_eq!(hinted.confidence, 0.92);
        let plain = only(&scan("c8", None, &as_refs(&cards)), Tag::BankCard);
        assert_eq!(plain.confidence, 0.82);
        assert!(luhn_ok("4111111111111111"));
        assert!(!luhn_ok("4111111111111112"));
    }

    #[test]
    fn citizen_ids_are_not_bank_cards_even_under_id_card() {
        let ids = citizen_ids(30);
        let got = scan("id_card", None, &as_refs(&ids));
        assert_eq!(tags(&got), vec![Tag::CitizenId]);
    }

    #[test]
    fn credit_code_with_and_without_hint() {
        let values = ["91350100M000100Y43", "91130200699229617X", "91350100M000100Y44"];
        let hinted = only(&scan("tyshxydm", None, &values), Tag::CreditCode);
        assert_eq!((hinted.matched, hinted.sampled), (2, 3));
        assert_eq!(
            hinted.reason,
            "列名含“tyshxydm”；样本 2/3 符合统一社会信用代码格式且校验位正确"
        );
        let plain = scan("c9", None, &values);
        // 0.95 × 2 / 4 = 0.475: too few values to say without a hint.
        assert!(plain.is_empty(), "{plain:?}");
        let more = [
            "91350100M000100Y43",
            "91130200699229617X",
            "91350100M000100Y43",
            "91130200699229617X",
        ];
        assert_eq!(only(&scan("c9", None, &more), Tag::CreditCode).confidence, 0.76);
    }

    #[test]
    fn coordinates_single_columns_need_a_lat_lon_name() {
        let lons = ["114.305556", "114.270000", "114.412345", "114.123456"];
        let lats = ["30.593099", "30.612345", "30.551234", "30.512345"];
        assert_eq!(
            only(&scan("longitude", None, &lons), Tag::PreciseCoordinates).matched,
            4
        );
        assert_eq!(
            only(&scan("wd", Some("纬度"), &lats), Tag::PreciseCoordinates).matched,
            4
        );
        // The named axis sets the range: latitudes in a longitude column do not match.
        assert!(scan("lng", None, &lats).is_empty());
        // Too coarse to be precise.
        assert!(scan("lat", None, &["30.59", "30.61"]).is_empty());
        // Without a name, single numbers are just numbers.
        assert!(scan("value", None, &lons).is_empty());
        // 经纬度 is both axes.
        assert_eq!(
            tags(&scan("位置", Some("经纬度"), &lats)),
            vec![Tag::PreciseCoordinates]
        );
    }

    #[test]
    fn coordinate_pairs_without_hint() {
        let pairs = [
            "114.305556,30.593099",
            "114.27123, 30.61234",
            "30.55123 114.41234",
            "114.123456，30.512345",
        ];
        let got = only(&scan("position", None, &pairs), Tag::PreciseCoordinates);
        assert_eq!(got.matched, 4);
        let hinted = only(&scan("坐标", None, &pairs), Tag::PreciseCoordinates);
        assert!(hinted.confidence > got.confidence);
        // Outside China, or two latitudes.
        assert!(!is_precise_coordinate("-74.005974,40.712776", None));
        assert!(!is_precise_coordinate("30.55123,31.12345", None));
    }

    #[test]
    fn hint_alone_only_on_an_empty_sample() {
        let empty = Scanner::default().scan("sfzhm", None, &[None, Some("  "), None]);
        let s = only(&empty, Tag::CitizenId);
        assert_eq!((s.confidence, s.matched, s.sampled), (HINT_ONLY_CONFIDENCE, 0, 0));
        assert_eq!(s.reason, "列名含“sfzhm”；无非空样本，仅凭列名提示");
        let in_comment = Scanner::default().scan("c1", Some("联系人手机"), &[]);
        assert_eq!(tags(&in_comment), vec![Tag::Mobile]);
        assert_eq!(
            in_comment.first().unwrap().reason,
            "注释含“手机”；无非空样本，仅凭列名提示"
        );
        // A hint with values that do not match proposes nothing.
        assert!(scan("sfzh", None, &["unknown", "待补充"]).is_empty());
        // A stricter threshold hides hint-only suggestions.
        let strict = Scanner {
            min_confidence: 0.6,
            ..Scanner::default()
        };
        assert!(strict.scan("sfzhm", None, &[]).is_empty());
    }

    #[test]
    fn sample_is_bounded_and_blanks_do_not_count() {
        let ids = citizen_ids(10);
        let mut values: Vec<Option<&str>> = vec![None, Some(""), Some("   ")];
        values.extend(ids.iter().map(|s| Some(s.as_str())));
        values.extend(std::iter::repeat_n(Some("x"), 100));
        let scanner = Scanner {
            max_sample: 8,
            ..Scanner::default()
        };
        let got = only(&scanner.scan("sfzh", None, &values), Tag::CitizenId);
        assert_eq!((got.matched, got.sampled), (5, 5));
    }

    #[test]
    fn sorted_by_confidence_highest_first() {
        let mut values = vec!["18012341999"; 8];
        values.extend(["027-85123456"; 3]);
        let everything = Scanner {
            min_confidence: 0.0,
            ..Scanner::default()
        };
        let values: Vec<Option<&str>> = values.into_iter().map(Some).collect();
        let got = everything.scan("phone", None, &values);
        assert_eq!(tags(&got), vec![Tag::Mobile, Tag::Landline]);
        assert!(got.windows(2).all(|w| w[0].confidence >= w[1].confidence));
    }

    #[test]
    fn hint_tokens() {
        let t = ascii_tokens("contactPhone_2");
        assert_eq!(t, ["contact", "phone", "2"]);
        assert!(Hints::find("hotel", None).for_tag(Tag::Mobile).is_none());
        assert!(
            Hints::find("platform_id", None)
                .for_tag(Tag::PreciseCoordinates)
                .is_none()
        );
        assert!(Hints::find("enterprise_name", None).for_tag(Tag::PersonName).is_none());
        assert!(Hints::find("station_name", None).for_tag(Tag::PersonName).is_none());
        assert!(Hints::find("name", None).for_tag(Tag::PersonName).is_some());
        assert!(
            Hints::find("legal_person_name", None)
                .for_tag(Tag::PersonName)
                .is_some()
        );
        assert!(Hints::find("法人身份证号", None).for_tag(Tag::PersonName).is_none());
        assert!(Hints::find("ID_CARD_NO", None).for_tag(Tag::CitizenId).is_some());
        assert!(Hints::find("ID_CARD_NO", None).for_tag(Tag::BankCard).is_none());
    }

    #[test]
    fn ordinary_eco_environment_columns_get_no_suggestion() {
        let columns: &[(&str, Option<&str>, &[&str])] = &[
            (
                "station_code",
                Some("监测站点编码"),
                &["1001A", "1002A", "1003A", "1325A", "2358A"],
            ),
            (
                "station_name",
                Some("站点名称"),
                &["东湖梨园", "汉口花桥", "武昌紫阳", "青山钢花", "吴家山", "沌口新区"],
            ),
            (
                "pm25",
                Some("PM2.5浓度(μg/m³)"),
                &["35.2", "12", "78.4", "0.0", "101.25", "35.123456"],
            ),
            ("aqi", Some("空气质量指数"), &["56", "102", "38", "151", "76"]),
            (
                "aqi_level",
                Some("空气质量级别"),
                &["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"],
            ),
            (
                "observed_at",
                Some("监测时间"),
                &["2024-05-01 08:00:00", "2024-05-01T09:00:00+08:00", "20240501100000"],
            ),
            (
                "qn",
                Some("请求编码"),
                &["20160801085857223", "20240501080000001", "20240501090000002"],
            ),
            (
                "pollutant_code",
                Some("污染物编码"),
                &["a34004", "w01018", "a21026", "w21003", "a01012"],
            ),
            (
                "pollutant_name",
                Some("污染物名称"),
                &["二氧化硫", "氮氧化物", "颗粒物", "石油类", "氨氮", "化学需氧量"],
            ),
            (
                "enterprise_name",
                Some("企业名称"),
                &[
                    "武汉钢铁有限公司",
                    "中韩（武汉）石油化工有限公司",
                    "武汉市江夏区金口中法污水处理有限公司",
                    "武汉市青山区北湖污水处理厂",
                ],
            ),
            (
                "permit_no",
                Some("排污许可证编号"),
                &[
                    "91130200699229617X001P",
                    "91350100M000100Y43001P",
                    "91350100M000100Y43002P",
                ],
            ),
            ("outlet_code", Some("排放口编码"), &["DA001", "DW001", "DA002"]),
            (
                "region_code",
                Some("行政区划代码"),
                &["420102", "420103", "420104", "420105", "420106", "420111"],
            ),
            (
                "region_name",
                Some("所属区域"),
                &["武汉市江岸区", "武汉市江汉区", "江夏区", "蔡甸区", "黄陂区"],
            ),
            (
                "mn",
                Some("设备唯一标识"),
                &["010000A8900016F000169DC0", "88888880000001"],
            ),
            ("monitor_value", Some("监测值"), &["1234567890123456", "23.5", "7.2"]),
            (
                "remark",
                Some("备注"),
                &[
                    "数据正常。",
                    "设备校准，数据无效。",
                    "该企业位于武汉市青山区工业路，排放达标。",
                ],
            ),
        ];
        for (name, comment, values) in columns {
            let got = scan(name, *comment, values);
            assert!(got.is_empty(), "{name}: {got:#?}");
        }
    }

    #[test]
    fn tags_parse_and_imply_a_minimum_general_sub_level() {
        for tag in Tag::ALL {
            assert_eq!(Tag::parse(tag.as_str()), Some(tag));
            assert_eq!(Tag::parse(tag.label()), Some(tag));
        }
        assert_eq!(Tag::parse(" 身份证号 "), Some(Tag::CitizenId));
        assert_eq!(Tag::parse("tattoo"), None);
        assert_eq!(Tag::CitizenId.min_general_sub_level(), Some(4));
        assert_eq!(Tag::Mobile.min_general_sub_level(), Some(3));
        assert_eq!(Tag::CreditCode.min_general_sub_level(), None);
        assert!(
            Tag::ALL
                .iter()
                .filter_map(|t| t.min_general_sub_level())
                .all(|l| (1..=4).contains(&l))
        );
    }

    #[test]
    fn mask_names_phones_ids() {
        assert_eq!(mask("张三", MaskRule::KeepFirstChar), "张*");
        assert_eq!(mask("王小明", Tag::PersonName.default_mask()), "王**");
        assert_eq!(mask("欧阳娜娜", MaskRule::KeepFirstChar), "欧***");
        assert_eq!(mask("18012341999", Tag::Mobile.default_mask()), "180****1999");
        assert_eq!(
            mask("11010519491231002X", Tag::CitizenId.default_mask()),
            "1***************2X"
        );
        assert_eq!(
            mask("11010519491231002X", MaskRule::KeepFirstLast { first: 6, last: 4 }),
            "110105********002X"
        );
        assert_eq!(
            mask("6222021234567890", Tag::BankCard.default_mask()),
            "6222********7890"
        );
        assert_eq!(mask("027-85123456", Tag::Landline.default_mask()), "027-******56");
        assert_eq!(
            mask("91350100M000100Y43", Tag::CreditCode.default_mask()),
            "91350100**********"
        );
        // Too short for the rule: hide all rather than show all.
        assert_eq!(mask("12345", Tag::Mobile.default_mask()), "*****");
        assert_eq!(mask("张", MaskRule::KeepFirstChar), "*");
        assert_eq!(mask("", MaskRule::KeepFirstChar), "");
        assert_eq!(mask("武汉市", MaskRule::Full), "***");
    }

    #[test]
    fn mask_emails_addresses_coordinates() {
        assert_eq!(mask("zhangsan@163.com", Tag::Email.default_mask()), "z*******@163.com");
        assert_eq!(mask("a@qq.com", MaskRule::EmailLocalFirst), "*@qq.com");
        assert_eq!(mask("no-at-sign", MaskRule::EmailLocalFirst), "**********");
        assert_eq!(
            mask("湖北省武汉市洪山区珞喻路1037号", Tag::Address.default_mask()),
            "湖北省武汉市***********"
        );
        // Never more than half of a short address.
        assert_eq!(mask("友谊大道1号", MaskRule::AddressHideTail { keep: 6 }), "友谊大***");
        assert_eq!(mask("114.305556", Tag::PreciseCoordinates.default_mask()), "114.31");
        assert_eq!(
            mask("114.305556,30.593099", MaskRule::RoundCoordinates { decimals: 3 }),
            "114.306,30.593"
        );
        assert_eq!(
            mask("POINT(-74.005974 40.7)", MaskRule::RoundCoordinates { decimals: 2 }),
            "POINT(-74.01 40.7)"
        );
        assert_eq!(mask("无", MaskRule::RoundCoordinates { decimals: 2 }), "*");
    }
}
