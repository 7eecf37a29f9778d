//! Normalisation of permit values before comparing, so that only real differences count.
//!
//! Every function takes the raw cell text and returns the canonical text (equal text means an
//! equal value) or a Chinese reason why the text cannot be read. An empty cell is `Ok(None)`.

use chrono::{Datelike, Days, NaiveDate};

use super::Kind;
use crate::ident::OutletCode;

/// Folds full-width ASCII (U+FF01–U+FF5E) to half-width and the ideographic space to a space.
pub fn fold_width(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' | '\u{00A0}' => ' ',
                _ => c,
            })
            .collect(),
    )
}

/// Folded, trimmed, inner runs of white space collapsed to one space; empty is `None`.
pub fn text(s: &str) -> Option<String> {
    let folded = fold_width(s);
    let t = folded.trim();
    if t.is_empty() {
        return None;
    }
    if !t.contains(char::is_whitespace) {
        return Some(t.to_owned());
    }
    let mut out = String::with_capacity(t.len());
    for (i, w) in t.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    Some(out)
}

/// The permit number as compared: folded and trimmed (case unchanged).
pub fn permit_number(s: &str) -> String {
    fold_width(s).trim().to_owned()
}

/// A value of `kind`, canonical.
pub fn value(kind: Kind, raw: &str) -> Result<Option<String>, String> {
    let Some(t) = text(raw) else {
        return Ok(None);
    };
    match kind {
        Kind::Text => Ok(Some(t)),
        Kind::Category => category(&t).map(|c| Some(c.to_owned())),
        Kind::Date => date(&t).map(|d| Some(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))),
        Kind::Number => number(&t).map(Some),
        Kind::Outlets => outlets(&t).map(Some),
    }
}

/// 重点管理 / 简化管理 / 登记管理 from their usual spellings.
pub fn category(t: &str) -> Result<&'static str, String> {
    match t {
        "重点" | "重点管理" => Ok("重点管理"),
        "简化" | "简化管理" => Ok("简化管理"),
        "登记" | "登记管理" | "排污登记" => Ok("登记管理"),
        other => Err(format!("管理类别“{other}”无法识别（应为重点管理、简化管理或登记管理）")),
    }
}

/// A date from `2026-01-05`, `2026/1/5`, `2026.1.5`, `20260105`, `2026年1月5日` (a time part
/// after a space or `T` is ignored), or an Excel serial number (1900 date system).
pub fn date(t: &str) -> Result<NaiveDate, String> {
    let bad = || format!("日期“{t}”无法识别");
    let day = t.split([' ', 'T']).next().unwrap_or(t);
    if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(day, "%Y%m%d").map_err(|_| bad());
    }
    if !day.contains(['-', '/', '.', '年']) {
        // An Excel serial day number (as a cell read as text may carry it).
        if let Ok(n) = day.parse::<f64>()
            && (1.0..2_958_466.0).contains(&n)
        {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "range checked above"
            )]
            let days = n.trunc() as u64;
            return NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|base| base.checked_add_days(Days::new(days)))
                .ok_or_else(bad);
        }
        return Err(bad());
    }
    let parts: Vec<&str> = day
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(bad());
    };
    if !(1900..=2999).contains(&y) {
        return Err(bad());
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)
}

/// A decimal number as canonical text (thousands separators and a leading `+` allowed; equal
/// values give equal text, to 6 decimals).
pub fn number(t: &str) -> Result<String, String> {
    let cleaned: std::borrow::Cow<'_, str> = if t.contains([',', '，', ' ']) {
        t.chars()
            .filter(|c| *c != ',' && *c != '，' && *c != ' ')
            .collect::<String>()
            .into()
    } else {
        t.into()
    };
    let cleaned = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    let v: f64 = cleaned
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("数值“{t}”无法识别"))?;
    // Rounded to 6 decimals, then the shortest text that reads back as that value. Values too
    // large for the scaling keep their own shortest text (they have no decimals to round).
    let scaled = v * 1e6;
    let rounded = if scaled.is_finite() && scaled.abs() < 9e15 {
        scaled.round() / 1e6
    } else {
        v
    };
    let s = if rounded == 0.0 {
        "0".to_owned()
    } else {
        rounded.to_string()
    };
    Ok(s)
}

/// A set of outlet codes, sorted and de-duplicated, joined by `,`. Separators: commas,
/// semicolons, 、 and white space.
pub fn outlets(t: &str) -> Result<String, String> {
    let mut codes = Vec::new();
    for part in t
        .split([',', ';', '、', '，', '；', ' ', '\n', '\t'])
        .filter(|p| !p.is_empty())
    {
        let code = OutletCode::parse(part)
            .map_err(|_| format!("排放口编号“{part}”格式不正确（应为 DA 或 DW 加 3 位数字）"))?;
        codes.push(code.as_str().to_owned());
    }
    codes.sort();
    codes.dedup();
    Ok(codes.join(","))
}

/// The last valid day of a permit that starts on `from` (5 years less one day).
pub fn default_valid_to(from: NaiveDate) -> Option<NaiveDate> {
    from.checked_add_months(chrono::Months::new(12 * super::VALIDITY_YEARS))
        .and_then(|d| d.pred_opt())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn width_and_spaces_fold() {
        assert_eq!(
            text("　武汉市（示例）化工 有限公司 ").as_deref(),
            Some("武汉市(示例)化工 有限公司")
        );
        assert_eq!(text("ＡＢＣ１２３"), Some("ABC123".into()));
        assert_eq!(text("a \t  b"), Some("a b".into()));
        assert_eq!(text("  　"), None);
        assert_eq!(permit_number(" ９１４２０１００ "), "91420100");
    }

    #[test]
    fn categories() {
        assert_eq!(category("重点").unwrap(), "重点管理");
        assert_eq!(category("简化管理").unwrap(), "简化管理");
        assert_eq!(category("排污登记").unwrap(), "登记管理");
        assert!(category("特别").unwrap_err().contains("无法识别"));
    }

    #[test]
    fn dates_in_every_spelling_agree() {
        let want = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        for s in [
            "2026-01-05",
            "2026/1/5",
            "2026.1.5",
            "20260105",
            "2026年1月5日",
            "2026-01-05 00:00:00",
            "2026-01-05T08:00:00",
            "46027",
        ] {
            assert_eq!(date(s).unwrap(), want, "{s}");
        }
        assert_eq!(
            value(Kind::Date, "２０２６－０１－０５").unwrap().as_deref(),
            Some("2026-01-05")
        );
        for s in ["2026-02-30", "2026-13-01", "明天", "2026-01", "20261301"] {
            assert!(date(s).is_err(), "{s}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number("1,234.50").unwrap(), "1234.5");
        assert_eq!(number("1234.5000001").unwrap(), "1234.5");
        assert_eq!(number("+12").unwrap(), "12");
        assert_eq!(number("-0.0").unwrap(), "0");
        assert_eq!(number("1e3").unwrap(), "1000");
        assert_ne!(number("1234.51").unwrap(), number("1234.5").unwrap());
        assert!(number("12吨").is_err());
        assert!(number("NaN").is_err());
    }

    #[test]
    fn outlet_sets_ignore_order_and_separators() {
        assert_eq!(outlets("DA002、DA001；DA001").unwrap(), "DA001,DA002");
        assert_eq!(outlets("DA001, DA002").unwrap(), outlets("DA002 DA001").unwrap());
        assert!(outlets("DA01").unwrap_err().contains("DA01"));
    }

    #[test]
    fn five_years_less_a_day() {
        let from = NaiveDate::from_ymd_opt(2021, 3, 1).unwrap();
        assert_eq!(default_valid_to(from), NaiveDate::from_ymd_opt(2026, 2, 28));
        let leap = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(default_valid_to(leap), NaiveDate::from_ymd_opt(2029, 2, 27));
    }
}
