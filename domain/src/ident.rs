//! Identifiers that appear across the bureau's data, each a type built only by a checking parser.
//!
//! Enterprises, people, permits, outlets and online-monitoring packets are referred to by codes
//! defined in national standards. Parsing them once, at the edge, means the rest of the code never
//! re-checks a code and never confuses one kind with another. The rules (see
//! `standards.md`, section Identifiers and HJ 212-2017):
//!
//! - [`CreditCode`] (GB 32100-2015): 18 characters, `[2 alphabet][6 digits][10 alphabet]` over the
//!   31-character alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, Z, S, V). The check
//!   character is `31 - (Σ value(i) × 3^(i-1) mod 31) mod 31`, where `value` is the index in that
//!   alphabet (never `ord(c) - 'A' + 10`, a published pitfall). Early pilot codes fail the check
//!   legitimately, so a wrong check character is accepted and flagged [`CreditCode::is_suspect`].
//! - [`CitizenId`] (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character; the
//!   birth date must be a real date. Strict: a wrong check character is an error.
//! - [`PermitNumber`] (HJ 608-2017): a credit code (suspect allowed), a 3-digit site sequence and
//!   an identifier letter. Only `P` is confirmed, so the allowed letters are a parameter.
//! - [`OutletCode`]: `DA` (air) or `DW` (water) and 3 digits.
//! - [`Hj212Packet`] (HJ 212-2017): `##` + 4-digit data length + data + 4 hex CRC16 + CR LF.
//!
//! Parsers trim surrounding whitespace; they do not change case, except that a citizen ID's
//! check character `x` is read as `X`.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// Why an identifier was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentError {
    /// The text does not have the shape of the identifier; the payload says which rule, in Chinese.
    #[error("malformed identifier ({0})")]
    Shape(&'static str),
    /// The check character does not match the other characters.
    #[error("check character mismatch")]
    CheckDigit,
    /// The embedded date is not a real calendar date.
    #[error("embedded date is not a real date")]
    Date,
    /// The HJ 212 CRC does not match the data segment.
    #[error("CRC mismatch: computed {expected:04X}, frame carries {found:04X}")]
    Crc {
        /// CRC computed over the data segment received.
        expected: u16,
        /// CRC carried by the frame.
        found: u16,
    },
    /// The HJ 212 length field does not match the data segment.
    #[error("length mismatch: header says {expected}, data segment has {found}")]
    Length {
        /// Length declared in the frame header.
        expected: usize,
        /// Length of the data segment received, in bytes.
        found: usize,
    },
}

impl IdentError {
    /// Message for people, in Simplified Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            IdentError::Shape(rule) => format!("格式不正确：{rule}"),
            IdentError::CheckDigit => "校验位不正确，请核对号码".into(),
            IdentError::Date => "号码中的日期不存在".into(),
            IdentError::Crc { expected, found } => {
                format!("数据包校验码不正确（应为 {expected:04X}，实为 {found:04X}）")
            }
            IdentError::Length { expected, found } => {
                format!("数据包长度不符（包头为 {expected}，数据段实为 {found}）")
            }
        }
    }
}

/// The 31-character alphabet of GB 32100-2015; a character's value is its index.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights 3^(i-1) mod 31 for positions 1..=17.
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const USCC_SHAPE: &str = "统一社会信用代码应为 18 位大写数字或字母（不含 I、O、Z、S、V），第 3 至 8 位为数字";

fn uscc_value(c: char) -> Option<u32> {
    USCC_ALPHABET
        .iter()
        .position(|&a| char::from(a) == c)
        .and_then(|i| u32::try_from(i).ok())
}

/// Unified social credit code (统一社会信用代码, GB 32100-2015).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CreditCode {
    code: String,
    check_ok: bool,
}

impl CreditCode {
    /// Accepts trimmed upper-case input of the right shape; a wrong check character is accepted
    /// but flagged ([`is_suspect`](Self::is_suspect)), because early pilot codes fail the check
    /// legitimately. A wrong shape (length, lower case, I/O/Z/S/V, letters in 3..8) is an error.
    pub fn parse(s: &str) -> Result<Self, IdentError> {
        let code = s.trim();
        let shape_ok = code.chars().count() == 18
            && code.chars().enumerate().all(|(i, c)| {
                if (2..8).contains(&i) {
                    c.is_ascii_digit()
                } else {
                    uscc_value(c).is_some()
                }
            });
        // After the shape check the code is 18 ASCII characters, so slicing cannot fail.
        let (true, Some(first17), Some(check)) = (shape_ok, code.get(..17), code.chars().nth(17)) else {
            return Err(IdentError::Shape(USCC_SHAPE));
        };
        let check_ok = Self::expected_check(first17) == Some(check);
        Ok(CreditCode {
            code: code.to_owned(),
            check_ok,
        })
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// True when the check character does not match (an early pilot code, or a typo).
    pub fn is_suspect(&self) -> bool {
        !self.check_ok
    }

    /// The check character for the first 17 characters, or `None` if they are not 17 characters
    /// of the alphabet.
    pub fn expected_check(first17: &str) -> Option<char> {
        if first17.chars().count() != 17 {
            return None;
        }
        let mut sum = 0u32;
        for (c, w) in first17.chars().zip(USCC_WEIGHTS) {
            sum += uscc_value(c)? * w;
        }
        let value = (31 - sum % 31) % 31;
        usize::try_from(value)
            .ok()
            .and_then(|i| USCC_ALPHABET.get(i))
            .map(|&b| char::from(b))
    }

    /// Characters 3 to 8: the administrative division code (GB/T 2260) of the registering
    /// authority.
    pub fn division_code(&self) -> &str {
        self.code.get(2..8).unwrap_or_default()
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl FromStr for CreditCode {
    type Err = IdentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// MOD 11-2 weights for positions 1..=17.
const CITIZEN_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check characters for `sum mod 11` = 0..=10.
const CITIZEN_CHECKS: &[u8; 11] = b"10X98765432";
const CITIZEN_SHAPE: &str = "公民身份号码应为 18 位，前 17 位为数字（首位非 0），末位为数字或 X";

/// Citizen ID number (公民身份号码, GB 11643-1999): 18 characters, ISO 7064 MOD 11-2 check,
/// and the birth date must be a real date.
///
/// `Debug` hides the middle of the number so that it does not leak into logs.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct CitizenId {
    code: String,
    birth: NaiveDate,
}

impl CitizenId {
    /// Parses strictly: wrong shape → [`IdentError::Shape`], wrong check character →
    /// [`IdentError::CheckDigit`], impossible birth date → [`IdentError::Date`] (checked in that
    /// order, so changing any one digit of a valid number always gives `CheckDigit`).
    pub fn parse(s: &str) -> Result<Self, IdentError> {
        let trimmed = s.trim();
        let code = match trimmed.strip_suffix('x') {
            Some(head) => format!("{head}X"),
            None => trimmed.to_owned(),
        };
        let bytes = code.as_bytes();
        let shape_ok = bytes.len() == 18
            && bytes.first().is_some_and(|&b| b != b'0')
            && bytes.iter().take(17).all(u8::is_ascii_digit)
            && bytes.get(17).is_some_and(|&b| b.is_ascii_digit() || b == b'X');
        let (true, Some(first17), Some(check)) = (shape_ok, code.get(..17), code.chars().nth(17)) else {
            return Err(IdentError::Shape(CITIZEN_SHAPE));
        };
        if Self::expected_check(first17) != Some(check) {
            return Err(IdentError::CheckDigit);
        }
        let number = |range: std::ops::Range<usize>| code.get(range).and_then(|t| t.parse::<u32>().ok());
        let birth = match (number(6..10), number(10..12), number(12..14)) {
            (Some(y), Some(m), Some(d)) => i32::try_from(y)
                .ok()
                .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
                .ok_or(IdentError::Date)?,
            _ => return Err(IdentError::Date),
        };
        Ok(CitizenId { code, birth })
    }

    /// The check character for the first 17 digits, or `None` if they are not 17 digits.
    pub fn expected_check(first17: &str) -> Option<char> {
        if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sum: u32 = first17
            .bytes()
            .zip(CITIZEN_WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        usize::try_from(sum % 11)
            .ok()
            .and_then(|i| CITIZEN_CHECKS.get(i))
            .map(|&b| char::from(b))
    }

    /// The number as text (check character `X` upper-case).
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// Date of birth (characters 7 to 14).
    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }

    /// True when the sequence number (character 17) is odd.
    pub fn is_male(&self) -> bool {
        self.code.as_bytes().get(16).is_some_and(|b| (b - b'0') % 2 == 1)
    }
}

impl fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self.code.get(..1).unwrap_or_default();
        let tail = self.code.get(16..).unwrap_or_default();
        write!(f, "CitizenId({head}{}{tail})", "*".repeat(15))
    }
}

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl From<CitizenId> for String {
    fn from(id: CitizenId) -> String {
        id.code
    }
}

impl FromStr for CitizenId {
    type Err = IdentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

const PERMIT_SHAPE: &str = "排污许可证编号应为 22 位：统一社会信用代码（18 位）+ 3 位顺序码 + 1 位标识字母";
const PERMIT_LETTER: &str = "排污许可证编号末位标识字母不在允许范围内";

/// Fixed pollution source code / permit number (排污单位编码, HJ 608-2017): credit code (18) +
/// 3-digit site sequence + identifier letter, e.g. `91130200699229617X001P`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct PermitNumber {
    code: String,
    credit: CreditCode,
    sequence: u16,
    letter: char,
}

impl PermitNumber {
    /// The identifier letters confirmed by HJ 608-2017 (only `P`, permits); pass a longer list to
    /// [`parse`](Self::parse) when policy data allows more.
    pub const DEFAULT_LETTERS: &'static [char] = &['P'];

    /// Parses a 22-character code whose last letter is one of `allowed_letters`. The embedded
    /// credit code must have the right shape; a failed check character is allowed and shows as
    /// [`CreditCode::is_suspect`].
    pub fn parse(s: &str, allowed_letters: &[char]) -> Result<Self, IdentError> {
        let code = s.trim();
        if code.len() != 22 || !code.is_ascii() {
            return Err(IdentError::Shape(PERMIT_SHAPE));
        }
        let (Some(credit), Some(seq), Some(letter)) = (code.get(..18), code.get(18..21), code.chars().nth(21)) else {
            return Err(IdentError::Shape(PERMIT_SHAPE));
        };
        let credit = CreditCode::parse(credit).map_err(|_| IdentError::Shape(PERMIT_SHAPE))?;
        if !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdentError::Shape(PERMIT_SHAPE));
        }
        let sequence = seq.parse::<u16>().map_err(|_| IdentError::Shape(PERMIT_SHAPE))?;
        if !allowed_letters.contains(&letter) {
            return Err(IdentError::Shape(PERMIT_LETTER));
        }
        Ok(PermitNumber {
            code: code.to_owned(),
            credit,
            sequence,
            letter,
        })
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The embedded credit code (possibly suspect).
    pub fn credit_code(&self) -> &CreditCode {
        &self.credit
    }

    /// The 3-digit site sequence.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// The identifier letter.
    pub fn letter(&self) -> char {
        self.letter
    }
}

impl fmt::Display for PermitNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl From<PermitNumber> for String {
    fn from(p: PermitNumber) -> String {
        p.code
    }
}

/// What an outlet discharges into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutletKind {
    /// `DA`: waste gas outlet (废气排放口).
    Air,
    /// `DW`: waste water outlet (废水排放口).
    Water,
}

const OUTLET_SHAPE: &str = "排放口编码应为 DA 或 DW 加 3 位数字";

/// Outlet code (排放口编码): `DA` or `DW` followed by 3 digits, e.g. `DA001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct OutletCode {
    code: String,
    kind: OutletKind,
}

impl OutletCode {
    /// Parses `DA`/`DW` + 3 digits (upper case).
    pub fn parse(s: &str) -> Result<Self, IdentError> {
        let code = s.trim();
        let kind = match code.get(..2) {
            Some("DA") => OutletKind::Air,
            Some("DW") => OutletKind::Water,
            _ => return Err(IdentError::Shape(OUTLET_SHAPE)),
        };
        let digits_ok = code.len() == 5 && code.get(2..).is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
        if !digits_ok {
            return Err(IdentError::Shape(OUTLET_SHAPE));
        }
        Ok(OutletCode {
            code: code.to_owned(),
            kind,
        })
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// Air or water.
    pub fn kind(&self) -> OutletKind {
        self.kind
    }
}

impl fmt::Display for OutletCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl From<OutletCode> for String {
    fn from(o: OutletCode) -> String {
        o.code
    }
}

impl FromStr for OutletCode {
    type Err = IdentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// CRC16 of HJ 212-2017 over `data` (the data segment, without `##`, length or CRC):
/// start at 0xFFFF; per byte `crc = (crc >> 8) ^ byte`, then 8 times shift right and, if the bit
/// shifted out was 1, xor 0xA001.
pub fn hj212_crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc = (crc >> 8) ^ u16::from(byte);
        for _ in 0..8 {
            let out = crc & 1;
            crc >>= 1;
            if out == 1 {
                crc ^= 0xA001;
            }
        }
    }
    crc
}

/// Longest data segment HJ 212-2017 allows.
pub const HJ212_MAX_DATA_LEN: usize = 1024;

const HJ212_FRAME: &str = "HJ 212 数据包应为 ## + 4 位长度 + 数据段 + 4 位十六进制校验码 + 回车换行";
const HJ212_FIELD: &str = "HJ 212 数据段的字段应为 键=值，以分号分隔";
const HJ212_CP: &str = "HJ 212 数据段的 CP 字段应以 && 开始并以 && 结束";

/// A parsed HJ 212-2017 packet. The access password (`PW`) is deliberately not kept as a field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hj212Packet {
    /// Request number `QN` (`YYYYMMDDhhmmsszzz`).
    pub qn: Option<String>,
    /// System code `ST` (21 surface water, 22 air quality, 31 air source, 32 water source).
    pub st: Option<String>,
    /// Command code `CN` (2011 real-time, 2051 minute, 2061 hourly, 2031 daily, ...).
    pub cn: Option<String>,
    /// Device identifier `MN`.
    pub mn: Option<String>,
    /// Packet flag `Flag`.
    pub flag: Option<String>,
    /// `key=value` pairs inside `CP=&&...&&`, in order (items separated by `;` or `,`).
    pub cp: Vec<(String, String)>,
    /// The whole data segment as received.
    pub data: String,
}

impl Hj212Packet {
    /// Parses a full frame `##` + 4-digit length + data + 4 hex CRC + `\r\n`, checking the length
    /// (bytes of the data segment, at most [`HJ212_MAX_DATA_LEN`]) and then the CRC.
    pub fn parse(frame: &str) -> Result<Self, IdentError> {
        let body = frame
            .strip_prefix("##")
            .and_then(|f| f.strip_suffix("\r\n"))
            .ok_or(IdentError::Shape(HJ212_FRAME))?;
        let len_field = body.get(..4).ok_or(IdentError::Shape(HJ212_FRAME))?;
        if !len_field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdentError::Shape(HJ212_FRAME));
        }
        let declared: usize = len_field.parse().map_err(|_| IdentError::Shape(HJ212_FRAME))?;
        if declared > HJ212_MAX_DATA_LEN {
            return Err(IdentError::Shape(HJ212_FRAME));
        }
        let rest = body.get(4..).ok_or(IdentError::Shape(HJ212_FRAME))?;
        let split = rest.len().checked_sub(4).ok_or(IdentError::Shape(HJ212_FRAME))?;
        let (Some(data), Some(crc_text)) = (rest.get(..split), rest.get(split..)) else {
            return Err(IdentError::Shape(HJ212_FRAME));
        };
        if data.len() != declared {
            return Err(IdentError::Length {
                expected: declared,
                found: data.len(),
            });
        }
        if !crc_text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IdentError::Shape(HJ212_FRAME));
        }
        let found = u16::from_str_radix(crc_text, 16).map_err(|_| IdentError::Shape(HJ212_FRAME))?;
        let expected = hj212_crc16(data.as_bytes());
        if expected != found {
            return Err(IdentError::Crc { expected, found });
        }
        Self::parse_data(data)
    }

    /// Splits the data segment into its header fields and the `CP` pairs.
    fn parse_data(data: &str) -> Result<Self, IdentError> {
        let cp_start = data
            .match_indices("CP=&&")
            .map(|(i, _)| i)
            .find(|&i| i == 0 || data.get(..i).is_some_and(|h| h.ends_with(';')));
        let (head, cp_body) = match cp_start {
            Some(i) => (data.get(..i).unwrap_or_default(), data.get(i + 5..)),
            None => (data, None),
        };
        let mut packet = Hj212Packet {
            qn: None,
            st: None,
            cn: None,
            mn: None,
            flag: None,
            cp: Vec::new(),
            data: data.to_owned(),
        };
        for field in head.split(';').filter(|f| !f.is_empty()) {
            let (key, value) = field.split_once('=').ok_or(IdentError::Shape(HJ212_FIELD))?;
            let slot = match key {
                "QN" => &mut packet.qn,
                "ST" => &mut packet.st,
                "CN" => &mut packet.cn,
                "MN" => &mut packet.mn,
                "Flag" => &mut packet.flag,
                // PW (password), PNUM/PNO (packet splitting) and unknown keys are not kept.
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        if let Some(cp_body) = cp_body {
            let inner = cp_body.strip_suffix("&&").ok_or(IdentError::Shape(HJ212_CP))?;
            for item in inner.split([';', ',']).filter(|i| !i.is_empty()) {
                let (key, value) = item.split_once('=').ok_or(IdentError::Shape(HJ212_FIELD))?;
                packet.cp.push((key.to_owned(), value.to_owned()));
            }
        }
        Ok(packet)
    }
}

/// True for the HJ 212-2017 data flags: `N` normal, `F` stopped, `M` maintenance, `S` manual
/// value, `D` fault, `C` calibration, `T` over upper limit, `B` communication fault.
pub fn hj212_value_flag_valid(flag: &str) -> bool {
    matches!(flag, "N" | "F" | "M" | "S" | "D" | "C" | "T" | "B")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    const HJ212_DATA: &str =
        "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";

    fn hj212_frame(data: &str) -> String {
        format!("##{:04}{data}{:04X}\r\n", data.len(), hj212_crc16(data.as_bytes()))
    }

    #[test]
    fn credit_code_worked_example_from_the_standard() {
        // 1640 mod 31 = 28, 31 - 28 = 3.
        assert_eq!(CreditCode::expected_check("91350100M000100Y4"), Some('3'));
        let code = CreditCode::parse("91350100M000100Y43").unwrap();
        assert!(!code.is_suspect());
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert_eq!(code.division_code(), "350100");
        assert_eq!(code.to_string(), "91350100M000100Y43");
    }

    #[test]
    fn credit_code_any_other_check_character_is_suspect_not_rejected() {
        for c in USCC_ALPHABET.iter().map(|&b| char::from(b)).filter(|&c| c != '3') {
            let code = CreditCode::parse(&format!("91350100M000100Y4{c}")).unwrap();
            assert!(code.is_suspect(), "{c}");
        }
    }

    #[test]
    fn credit_code_uses_alphabet_index_not_ascii_offset() {
        // With `ord(c) - 'A' + 10`, M would be 22 instead of 21 and Y 34 instead of 30, and the
        // check would come out differently.
        let naive: u32 = "91350100M000100Y4"
            .chars()
            .zip(USCC_WEIGHTS)
            .map(|(c, w)| c.to_digit(36).unwrap() * w)
            .sum();
        assert_ne!((31 - naive % 31) % 31, 3);
        let proper: u32 = "91350100M000100Y4"
            .chars()
            .zip(USCC_WEIGHTS)
            .map(|(c, w)| uscc_value(c).unwrap() * w)
            .sum();
        assert_eq!(proper, 1640);
    }

    #[test]
    fn credit_code_alphabet_excludes_i_o_z_s_v() {
        assert_eq!(USCC_ALPHABET.len(), 31);
        for c in ['I', 'O', 'Z', 'S', 'V'] {
            assert!(uscc_value(c).is_none());
            let err = CreditCode::parse(&format!("91350100M000100Y4{c}")).unwrap_err();
            assert!(matches!(err, IdentError::Shape(_)));
        }
        for (i, w) in USCC_WEIGHTS.iter().enumerate() {
            assert_eq!(*w, 3u32.pow(u32::try_from(i).unwrap()) % 31);
        }
    }

    #[test]
    fn credit_code_wrong_shape_is_rejected() {
        for bad in [
            "",
            "91350100M000100Y4",
            "91350100M000100Y433",
            "913501A0M000100Y43", // letter in the division code
            "91350100m000100y43", // lower case
            "91350100M000100Y4３",
            "91130200699229617X001P",
        ] {
            assert!(matches!(CreditCode::parse(bad), Err(IdentError::Shape(_))), "{bad}");
        }
        assert_eq!(
            CreditCode::parse("  91350100M000100Y43 \n").unwrap().as_str(),
            "91350100M000100Y43"
        );
        assert_eq!(CreditCode::expected_check("91350100M000100Y"), None);
        assert_eq!(CreditCode::expected_check("91350100M000100YO"), None);
    }

    #[test]
    fn citizen_id_example_is_valid() {
        let id = CitizenId::parse("11010519491231002X").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        // Sequence 002: even, female.
        assert!(!id.is_male());
        assert_eq!(
            CitizenId::parse("11010519491231002x").unwrap().as_str(),
            "11010519491231002X"
        );
        assert_eq!(format!("{id:?}"), "CitizenId(1***************2X)");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"11010519491231002X\"");
    }

    #[test]
    fn citizen_id_changing_any_digit_breaks_the_check() {
        let valid = "11010519491231002X";
        for pos in 0..18 {
            for replacement in "0123456789X".chars() {
                let mut chars: Vec<char> = valid.chars().collect();
                if chars[pos] == replacement || (pos < 17 && replacement == 'X') || (pos == 0 && replacement == '0') {
                    continue;
                }
                chars[pos] = replacement;
                let changed: String = chars.into_iter().collect();
                assert_eq!(CitizenId::parse(&changed), Err(IdentError::CheckDigit), "{changed}");
            }
        }
    }

    #[test]
    fn citizen_id_impossible_birth_dates_are_rejected() {
        for first17 in [
            "11010519490230002",
            "11010519491301002",
            "11010519490100002",
            "11010519000229002",
        ] {
            let check = CitizenId::expected_check(first17).unwrap();
            assert_eq!(
                CitizenId::parse(&format!("{first17}{check}")),
                Err(IdentError::Date),
                "{first17}"
            );
        }
        // The brief's example: Feb 30 with a correct check character.
        assert_eq!(CitizenId::parse("110105194902300021"), Err(IdentError::CheckDigit));
        assert_eq!(CitizenId::parse("110105194902300020"), Err(IdentError::Date));
        // 2000 was a leap year.
        let check = CitizenId::expected_check("42010220000229001").unwrap();
        let id = CitizenId::parse(&format!("42010220000229001{check}")).unwrap();
        assert!(id.is_male());
    }

    #[test]
    fn citizen_id_wrong_shape_is_rejected() {
        for bad in [
            "",
            "1101051949123100X",
            "11010519491231002XX",
            "1101051949123100XX",
            "01010519491231002X",
        ] {
            assert!(matches!(CitizenId::parse(bad), Err(IdentError::Shape(_))), "{bad}");
        }
    }

    #[test]
    fn permit_number_from_the_standard() {
        // The embedded credit code 91130200699229617X passes the GB 32100 check (sum 1304,
        // 1304 mod 31 = 2, 31 - 2 = 29 → 'X'), so it is not suspect.
        assert_eq!(CreditCode::expected_check("91130200699229617"), Some('X'));
        let p = PermitNumber::parse("91130200699229617X001P", PermitNumber::DEFAULT_LETTERS).unwrap();
        assert_eq!(p.credit_code().as_str(), "91130200699229617X");
        assert!(!p.credit_code().is_suspect());
        assert_eq!(p.sequence(), 1);
        assert_eq!(p.letter(), 'P');
        assert_eq!(p.as_str(), "91130200699229617X001P");
        let p2 = PermitNumber::parse("91130200699229617X002P", PermitNumber::DEFAULT_LETTERS).unwrap();
        assert_eq!(p2.sequence(), 2);
    }

    #[test]
    fn permit_number_accepts_suspect_credit_code_and_configured_letters() {
        let p = PermitNumber::parse("91130200699229617Y001P", PermitNumber::DEFAULT_LETTERS).unwrap();
        assert!(p.credit_code().is_suspect());
        assert_eq!(
            PermitNumber::parse("91130200699229617X001Q", PermitNumber::DEFAULT_LETTERS),
            Err(IdentError::Shape(PERMIT_LETTER))
        );
        let q = PermitNumber::parse("91130200699229617X001Q", &['P', 'Q']).unwrap();
        assert_eq!(q.letter(), 'Q');
        for bad in [
            "91130200699229617X001",
            "91130200699229617X0001P",
            "91130200699229617XA01P",
            "9113020069922961OX001P",
            "91130200699229617X001p",
        ] {
            assert!(
                PermitNumber::parse(bad, PermitNumber::DEFAULT_LETTERS).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn outlet_codes() {
        assert_eq!(OutletCode::parse("DA001").unwrap().kind(), OutletKind::Air);
        assert_eq!(OutletCode::parse("DW012").unwrap().kind(), OutletKind::Water);
        for bad in ["DX001", "DA01", "DA0001", "da001", "DAA01", ""] {
            assert!(OutletCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hj212_crc_test_vector() {
        assert_eq!(HJ212_DATA.len(), 101);
        assert_eq!(hj212_crc16(HJ212_DATA.as_bytes()), 0x1C80);
    }

    #[test]
    fn hj212_frame_parses() {
        let frame = format!("##0101{HJ212_DATA}1C80\r\n");
        assert_eq!(frame, hj212_frame(HJ212_DATA));
        let p = Hj212Packet::parse(&frame).unwrap();
        assert_eq!(p.qn.as_deref(), Some("20160801085857223"));
        assert_eq!(p.st.as_deref(), Some("32"));
        assert_eq!(p.cn.as_deref(), Some("1062"));
        assert_eq!(p.mn.as_deref(), Some("010000A8900016F000169DC0"));
        assert_eq!(p.flag.as_deref(), Some("5"));
        assert_eq!(p.cp, vec![("RtdInterval".to_owned(), "30".to_owned())]);
        assert_eq!(p.data, HJ212_DATA);
        // Lower-case hex is read too.
        assert!(Hj212Packet::parse(&format!("##0101{HJ212_DATA}1c80\r\n")).is_ok());
    }

    #[test]
    fn hj212_corrupted_frame_fails_the_crc() {
        let corrupted = format!("##0101{}1C80\r\n", HJ212_DATA.replace("ST=32", "ST=31"));
        let err = Hj212Packet::parse(&corrupted).unwrap_err();
        assert_eq!(
            err,
            IdentError::Crc {
                expected: hj212_crc16(HJ212_DATA.replace("ST=32", "ST=31").as_bytes()),
                found: 0x1C80
            }
        );
        assert!(err.message_zh().contains("1C80"));
    }

    #[test]
    fn hj212_length_and_frame_errors() {
        assert_eq!(
            Hj212Packet::parse(&format!("##0100{HJ212_DATA}1C80\r\n")),
            Err(IdentError::Length {
                expected: 100,
                found: 101
            })
        );
        for bad in [
            format!("##0101{HJ212_DATA}1C80"),
            format!("#0101{HJ212_DATA}1C80\r\n"),
            format!("##01a1{HJ212_DATA}1C80\r\n"),
            format!("##0101{HJ212_DATA}1G80\r\n"),
            "##2000\r\n".to_owned(),
            "##\r\n".to_owned(),
            String::new(),
        ] {
            assert!(matches!(Hj212Packet::parse(&bad), Err(IdentError::Shape(_))), "{bad:?}");
        }
    }

    #[test]
    fn hj212_cp_pairs_with_semicolons_and_commas() {
        let data = "QN=20240501080000000;ST=32;CN=2011;PW=123456;MN=88888880000001;Flag=4;\
                    CP=&&DataTime=20240501080000;w01018-Rtd=23.5,w01018-Flag=N;w21003-Rtd=1.20,w21003-Flag=T&&";
        let p = Hj212Packet::parse(&hj212_frame(data)).unwrap();
        assert_eq!(p.cn.as_deref(), Some("2011"));
        let keys: Vec<&str> = p.cp.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["DataTime", "w01018-Rtd", "w01018-Flag", "w21003-Rtd", "w21003-Flag"]
        );
        assert_eq!(p.cp[4].1, "T");
        assert!(hj212_value_flag_valid(&p.cp[4].1));

        let unterminated = "QN=1;CP=&&DataTime=20240501080000";
        assert_eq!(
            Hj212Packet::parse(&hj212_frame(unterminated)),
            Err(IdentError::Shape(HJ212_CP))
        );
        let no_equals = "QN=1;ST;CP=&&&&";
        assert_eq!(
            Hj212Packet::parse(&hj212_frame(no_equals)),
            Err(IdentError::Shape(HJ212_FIELD))
        );
        let empty_cp = Hj212Packet::parse(&hj212_frame("QN=1;CP=&&&&")).unwrap();
        assert!(empty_cp.cp.is_empty());
    }

    #[test]
    fn hj212_value_flags() {
        for f in ["N", "F", "M", "S", "D", "C", "T", "B"] {
            assert!(hj212_value_flag_valid(f));
        }
        for f in ["", "n", "X", "NN", "0"] {
            assert!(!hj212_value_flag_valid(f));
        }
    }

    #[test]
    fn error_messages_are_chinese() {
        assert_eq!(IdentError::CheckDigit.message_zh(), "校验位不正确，请核对号码");
        assert!(IdentError::Shape(USCC_SHAPE).message_zh().starts_with("格式不正确"));
        assert!(IdentError::Length { expected: 1, found: 2 }.message_zh().contains('2'));
    }
}
