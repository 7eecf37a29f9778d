//! Contacts of a source system (来源系统联系人): who to call about the data a system
//! provides. Phone numbers and e-mail addresses are personal data: they are parsed on entry
//! (so a stored [`Contact`] always holds a real-looking number and address) and shown in full
//! only to those allowed, otherwise masked with the default rules of
//! [`crate::sensitivity::Tag::default_mask`].

use serde::{Deserialize, Serialize};

use super::model::Problem;
use crate::sensitivity::{Tag, mask};

/// At most this many contacts per source system.
pub const MAX_CONTACTS: usize = 10;

/// A mainland phone number: a mobile (`1[3-9]` + 9 digits, optionally after `+86`) or a
/// landline (`0` + 2-3 digit area code, optional `-`, 7-8 digit local number, optional `-`
/// extension of 1-6 digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_mobile(s: &str) -> bool {
    let s = s.strip_prefix("+86").unwrap_or(s);
    let b = s.as_bytes();
    s.len() == 11 && digits(s) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

fn is_landline(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (area_given, number, ext) = match parts.as_slice() {
        [n] => (None, (*n).to_owned(), None),
        [a, l] if a.len() <= 4 => (Some(*a), format!("{a}{l}"), None),
        [n, e] => (None, (*n).to_owned(), Some(*e)),
        [a, l, e] => (Some(*a), format!("{a}{l}"), Some(*e)),
        _ => return false,
    };
    if !digits(&number) || ext.is_some_and(|e| !digits(e) || e.len() > 6) {
        return false;
    }
    // 010 and 02x have 3-digit area codes; the rest (03xx..09xx) 4 digits.
    let area_len = if number.starts_with("010") || number.starts_with("02") {
        3
    } else {
        4
    };
    let b = number.as_bytes();
    b.first() == Some(&b'0')
        && b.get(1).is_some_and(|c| *c != b'0')
        && area_given.is_none_or(|a| a.len() == area_len)
        && number
            .get(area_len..)
            .is_some_and(|l| (7..=8).contains(&l.len()) && !l.starts_with(['0', '1']))
}

impl Phone {
    /// Parses a mobile or landline number (spaces are ignored).
    pub fn parse(s: &str) -> Option<Phone> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (is_mobile(&s) || is_landline(&s)).then_some(Phone(s))
    }

    /// The number as entered (without spaces).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with its middle hidden (mobile: first 3 and last 4 shown).
    pub fn masked(&self) -> String {
        let tag = if is_mobile(&self.0) { Tag::Mobile } else { Tag::Landline };
        mask(&self.0, tag.default_mask())
    }
}

/// An e-mail address: one `@`, a plain ASCII local part, a domain of dotted labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses an address (surrounding spaces are ignored).
    pub fn parse(s: &str) -> Option<Email> {
        let s = s.trim();
        let (local, domain) = s.split_once('@')?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty() && !l.starts_with('-') && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            && labels
                .last()
                .is_some_and(|t| t.bytes().all(|b| b.is_ascii_alphabetic()));
        (s.len() <= 254 && local_ok && domain_ok).then(|| Email(s.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with its local part hidden but the first character.
    pub fn masked(&self) -> String {
        mask(&self.0, Tag::Email.default_mask())
    }
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// 姓名.
    pub name: String,
    /// 职责 (e.g. 系统负责人, 运维联系人).
    pub role: String,
    /// 电话.
    pub phone: Option<Phone>,
    /// 电子邮箱.
    pub email: Option<Email>,
}

/// A contact as entered (empty strings mean "none").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactInput {
    /// 姓名.
    pub name: String,
    /// 职责.
    pub role: String,
    /// 电话.
    pub phone: String,
    /// 电子邮箱.
    pub email: String,
}

/// A contact as shown to one reader: in full, or with phone and e-mail masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactView {
    /// 姓名.
    pub name: String,
    /// 职责.
    pub role: String,
    /// 电话 (masked unless `masked` is false).
    pub phone: Option<String>,
    /// 电子邮箱 (masked unless `masked` is false).
    pub email: Option<String>,
    /// Whether phone and e-mail are masked.
    pub masked: bool,
}

impl Contact {
    /// This contact for a reader who may (`full`) or may not see personal data.
    pub fn view(&self, full: bool) -> ContactView {
        ContactView {
            name: self.name.clone(),
            role: self.role.clone(),
            phone: self
                .phone
                .as_ref()
                .map(|p| if full { p.as_str().to_owned() } else { p.masked() }),
            email: self
                .email
                .as_ref()
                .map(|e| if full { e.as_str().to_owned() } else { e.masked() }),
            masked: !full,
        }
    }
}

/// Parses the contacts of a source system, or every problem (fields named `contacts[i].x`).
pub fn parse_contacts(input: &[ContactInput]) -> Result<Vec<Contact>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(input.len());
    let problem = |field: String, message: String| Problem { field, message };
    if input.len() > MAX_CONTACTS {
        problems.push(problem("contacts".into(), format!("联系人不能超过 {MAX_CONTACTS} 位")));
    }
    for (i, c) in input.iter().enumerate() {
        let name = c.name.trim();
        let role = c.role.trim();
        let n = name.chars().count();
        if n == 0 || n > 32 {
            problems.push(problem(
                format!("contacts[{i}].name"),
                "联系人姓名不能为空且不超过 32 字".into(),
            ));
        }
        if role.chars().count() > 32 {
            problems.push(problem(format!("contacts[{i}].role"), "联系人职责不超过 32 字".into()));
        }
        let phone = match c.phone.trim() {
            "" => None,
            p => {
                let parsed = Phone::parse(p);
                if parsed.is_none() {
                    problems.push(problem(
                        format!("contacts[{i}].phone"),
                        format!("电话号码“{p}”格式不正确（手机号或 区号-座机号）"),
                    ));
                }
                parsed
            }
        };
        let email = match c.email.trim() {
            "" => None,
            e => {
                let parsed = Email::parse(e);
                if parsed.is_none() {
                    problems.push(problem(
                        format!("contacts[{i}].email"),
                        format!("邮箱地址“{e}”格式不正确"),
                    ));
                }
                parsed
            }
        };
        if c.phone.trim().is_empty() && c.email.trim().is_empty() {
            problems.push(problem(format!("contacts[{i}]"), "联系人须至少填写电话或邮箱".into()));
        }
        out.push(Contact {
            name: name.to_owned(),
            role: role.to_owned(),
            phone,
            email,
        });
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for ok in [
            "13912345678",
            "+8613912345678",
            "139 1234 5678",
            "027-85123456",
            "02785123456",
            "010-6512345",
            "0710-3456789",
            "027-85123456-801",
        ] {
            assert!(Phone::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "12912345678",
            "1391234567",
            "027-01234567",
            "27-85123456",
            "0027-85123456",
            "027-85123456-1234567",
            "tel",
            "",
        ] {
            assert!(Phone::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(Email::parse("li.hua@sthjj.wuhan.gov.cn").is_some());
        for bad in ["li", "li@", "@x.cn", "li@x", "li hua@x.cn", "li@x.c1", "李@x.cn"] {
            assert!(Email::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn views_mask_phone_and_email() {
        let c = Contact {
            name: "李华".into(),
            role: "系统负责人".into(),
            phone: Phone::parse("13912345678"),
            email: Email::parse("lihua@sthjj.wuhan.gov.cn"),
        };
        let v = c.view(false);
        assert_eq!(v.phone.as_deref(), Some("139****5678"));
        assert_eq!(v.email.as_deref(), Some("l****@sthjj.wuhan.gov.cn"));
        assert_eq!(v.name, "李华");
        let full = c.view(true);
        assert_eq!(full.phone.as_deref(), Some("13912345678"));
        assert!(!full.masked);
        let landline = Phone::parse("027-85123456").map(|p| p.masked());
        assert_eq!(landline.as_deref(), Some("027-******56"));
    }

    #[test]
    fn contact_problems_name_the_entry() {
        let input = vec![
            ContactInput {
                name: "李华".into(),
                phone: "13912345678".into(),
                ..Default::default()
            },
            ContactInput {
                name: String::new(),
                phone: "12345".into(),
                email: "nope".into(),
                ..Default::default()
            },
            ContactInput {
                name: "王芳".into(),
                ..Default::default()
            },
        ];
        let fields: Vec<String> = parse_contacts(&input)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "contacts[1].name",
                "contacts[1].phone",
                "contacts[1].email",
                "contacts[2]"
            ]
        );
        let many = vec![
            ContactInput {
                name: "李华".into(),
                email: "a@b.cn".into(),
                ..Default::default()
            };
            MAX_CONTACTS + 1
        ];
        assert!(parse_contacts(&many).is_err());
        assert_eq!(parse_contacts(&input[..1]).map(|c| c.len()), Ok(1));
    }
}
