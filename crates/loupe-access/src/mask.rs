//! Masking of personal data: user regexes with a replacement, and checked built-ins
//! (`email`, `fr_nir`, `iban`, `credit_card`, `phone_fr`, `ipv4`). Built-ins with a check
//! digit (NIR key, IBAN mod 97, Luhn) only mask numbers whose check passes, so order numbers
//! and timestamps stay readable.
//!
//! Two users of the same detectors: the forwarder replaces a match by a tag (`<fr_nir>`)
//! before the event leaves the host, and a role's maskers ([`MaskRule::partial`]) hide all
//! but the leading characters on the way out of a search (`1 85 05 ** *** *** **`), so a
//! helpdesk still tells people apart by sex and birth month without reading the number.

use regex::{Captures, Regex};
use std::borrow::Cow;

/// The built-in detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// E-mail addresses.
    Email,
    /// French social security number (NIR), 13 digits + 2-digit key, Corsica 2A/2B.
    FrNir,
    /// IBAN, mod-97 checked.
    Iban,
    /// Payment card numbers, Luhn checked.
    CreditCard,
    /// Dotted-quad IPv4 addresses.
    Ipv4,
    /// French phone numbers: `0X XX XX XX XX` (spaces, dots or dashes) and `+33 X …`.
    PhoneFr,
}

impl Builtin {
    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "email" => Builtin::Email,
            "fr_nir" | "nir" => Builtin::FrNir,
            "iban" => Builtin::Iban,
            "credit_card" => Builtin::CreditCard,
            "ipv4" => Builtin::Ipv4,
            "phone_fr" => Builtin::PhoneFr,
            _ => return None,
        })
    }

    /// The name reported in the `masked` field.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Email => "email",
            Builtin::FrNir => "fr_nir",
            Builtin::Iban => "iban",
            Builtin::CreditCard => "credit_card",
            Builtin::Ipv4 => "ipv4",
            Builtin::PhoneFr => "phone_fr",
        }
    }

    /// Every built-in, in the order config errors list them.
    pub const ALL: [Builtin; 6] = [
        Builtin::Email,
        Builtin::FrNir,
        Builtin::Iban,
        Builtin::CreditCard,
        Builtin::PhoneFr,
        Builtin::Ipv4,
    ];

    /// The built-in names, for messages (`email, fr_nir, …`).
    pub fn names() -> String {
        Builtin::ALL.map(Builtin::name).join(", ")
    }

    /// Characters a partial mask leaves readable at the start of a match: what tells
    /// records apart without identifying anyone (NIR: sex, year and month of birth; IBAN:
    /// the country and key; phone: the zone; e-mail: the first letter).
    fn kept_head(self) -> usize {
        match self {
            Builtin::FrNir => 5,
            Builtin::Iban => 4,
            Builtin::PhoneFr => 2,
            Builtin::Email => 1,
            Builtin::CreditCard | Builtin::Ipv4 => 0,
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            Builtin::Email => {
                r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
            }
            Builtin::FrNir => {
                r"\b[1-478] ?\d{2} ?(?:0[1-9]|1[0-2]|20) ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3}(?: ?\d{2})?\b"
            }
            Builtin::Iban => r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
            Builtin::CreditCard => r"\b\d(?:[ \-]?\d){12,18}\b",
            Builtin::Ipv4 => {
                r"\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b"
            }
            Builtin::PhoneFr => r"(?:\+33 ?|\b0)[1-9](?:[ .\-]?\d{2}){4}\b",
        }
    }

    fn check(self, m: &str) -> bool {
        match self {
            Builtin::FrNir => nir_valid(m),
            Builtin::Iban => iban_valid(m),
            Builtin::CreditCard => luhn_valid(m),
            Builtin::Email | Builtin::Ipv4 | Builtin::PhoneFr => true,
        }
    }
}

/// NIR check: 13 characters alone (logs often drop the key; the pattern already
/// constrains sex and month), or 13 + key where key = 97 - (number mod 97); 2A counts
/// as 19, 2B as 18 (the department is replaced before the division, as INSEE specifies).
pub fn nir_valid(s: &str) -> bool {
    let c: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if c.len() == 13 {
        return true;
    }
    if c.len() != 15 {
        return false;
    }
    let (body, key) = c.split_at(13);
    let Ok(key) = key.parse::<u64>() else {
        return false;
    };
    let body = body.to_ascii_uppercase();
    let number: u64 = if let Some(pos) = body.find(['A', 'B']) {
        // 2A -> 19, 2B -> 18 in the full number.
        let digits = format!(
            "{}{}{}",
            &body[..pos - 1],
            if &body[pos..=pos] == "A" { "19" } else { "18" },
            &body[pos + 1..]
        );
        match digits.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return false,
        }
    } else {
        match body.parse() {
            Ok(n) => n,
            Err(_) => return false,
        }
    };
    97 - number % 97 == key
}

/// IBAN check: first four characters moved to the end, letters as 10..35, mod 97 == 1.
pub fn iban_valid(s: &str) -> bool {
    let c: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if c.len() < 15 || c.len() > 34 {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in c[4..].iter().chain(&c[..4]) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Luhn check over 13 to 19 digits (separators ignored).
pub fn luhn_valid(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A match hidden by `*` over its letters and digits after the first `head` of them
/// (separators kept, so the shape stays readable); an e-mail keeps its domain.
fn partial(b: Builtin, m: &str) -> String {
    let local_end = match b {
        Builtin::Email => m.find('@').unwrap_or(m.len()),
        _ => m.len(),
    };
    let mut seen = 0;
    let mut out = String::with_capacity(m.len());
    for (i, c) in m.char_indices() {
        if i < local_end && c.is_alphanumeric() {
            seen += 1;
            out.push(if seen <= b.kept_head() { c } else { '*' });
        } else {
            out.push(c);
        }
    }
    out
}

/// What a rule puts in place of a match.
#[derive(Debug, Clone)]
enum Replace {
    /// This text (`$1` and `${name}` expanded for regex rules).
    Text(String),
    /// [`partial`]: the match with all but its leading characters starred.
    Partial,
}

/// One masking rule.
#[derive(Debug, Clone)]
pub struct MaskRule {
    name: String,
    regex: Regex,
    replace: Replace,
    builtin: Option<Builtin>,
}

impl MaskRule {
    /// A built-in detector; `replace` defaults to `<name>`.
    pub fn builtin(b: Builtin, replace: Option<String>) -> MaskRule {
        MaskRule {
            name: b.name().to_string(),
            // The built-in patterns are constants covered by tests.
            regex: Regex::new(b.pattern())
                .unwrap_or_else(|e| panic!("built-in pattern {}: {e}", b.name())),
            replace: Replace::Text(replace.unwrap_or_else(|| format!("<{}>", b.name()))),
            builtin: Some(b),
        }
    }

    /// A built-in detector whose matches keep their leading characters (a role's mask).
    pub fn partial(b: Builtin) -> MaskRule {
        MaskRule {
            replace: Replace::Partial,
            ..MaskRule::builtin(b, None)
        }
    }

    /// A user regex; `replace` may use `$1`, `${name}`.
    pub fn regex(name: &str, re: &str, replace: String) -> Result<MaskRule, regex::Error> {
        Ok(MaskRule {
            name: name.to_string(),
            regex: Regex::new(re)?,
            replace: Replace::Text(replace),
            builtin: None,
        })
    }

    /// The name reported in the `masked` field.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// An input's ordered list of rules.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    rules: Vec<MaskRule>,
}

impl Masker {
    /// Rules apply in order, each on the output of the previous.
    pub fn new(rules: Vec<MaskRule>) -> Masker {
        Masker { rules }
    }

    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Masks `text`; returns the names of the rules that replaced something.
    pub fn apply(&self, text: &mut String) -> Vec<String> {
        let mut fired = Vec::new();
        for rule in &self.rules {
            let mut hit = false;
            let out = match (rule.builtin, &rule.replace) {
                (None, Replace::Text(with)) => {
                    if rule.regex.is_match(text) {
                        hit = true;
                        rule.regex.replace_all(text, with.as_str())
                    } else {
                        Cow::Borrowed(text.as_str())
                    }
                }
                // A user regex is never partial (`partial` takes a built-in).
                (None, Replace::Partial) => Cow::Borrowed(text.as_str()),
                (Some(b), with) => rule.regex.replace_all(text, |c: &Captures<'_>| {
                    let m = &c[0];
                    if b.check(m) {
                        hit = true;
                        match with {
                            Replace::Text(t) => t.clone(),
                            Replace::Partial => partial(b, m),
                        }
                    } else {
                        m.to_string()
                    }
                }),
            };
            if let Cow::Owned(s) = out {
                if hit {
                    *text = s;
                }
            }
            if hit {
                fired.push(rule.name.clone());
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Masker {
        Masker::new(
            [
                Builtin::Email,
                Builtin::FrNir,
                Builtin::Iban,
                Builtin::CreditCard,
                Builtin::Ipv4,
            ]
            .into_iter()
            .map(|b| MaskRule::builtin(b, None))
            .collect(),
        )
    }

    #[test]
    fn nir_key_and_corsica() {
        // From the sample data: 1910575701169 + key.
        let n: u64 = 1910575701169;
        let key = 97 - n % 97;
        assert!(nir_valid(&format!("{n}{key:02}")));
        assert!(!nir_valid(&format!("{n}{:02}", (key + 1) % 100)));
        assert!(nir_valid("1910575701169"), "without its key");
        // Corsica: 2A counts as 19 in the number.
        let body = "185022A012345";
        let num: u64 = 1850219012345;
        let k = 97 - num % 97;
        assert!(nir_valid(&format!("{body}{k:02}")), "{body}{k:02}");
    }

    #[test]
    fn iban_and_luhn() {
        assert!(iban_valid("FR1420041010050500013M02606"));
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(!iban_valid("GB83 WEST 1234 5698 7654 32"));
        assert!(luhn_valid("4111 1111 1111 1111"));
        assert!(!luhn_valid("4111 1111 1111 1112"));
    }

    #[test]
    fn masks_and_reports() {
        let m = all();
        let mut t = "mail a.b@ex.fr nir 1 91 05 75 701 169 card 4111-1111-1111-1111 iban FR1420041010050500013M02606 from 10.1.2.3 order 4111111111111112".to_string();
        let n: u64 = 1910575701169;
        t = t.replace("1 91 05 75 701 169", &format!("{n}{:02}", 97 - n % 97));
        let fired = m.apply(&mut t);
        assert_eq!(fired, ["email", "fr_nir", "iban", "credit_card", "ipv4"]);
        assert!(
            !t.contains("a.b@ex.fr") && !t.contains("1910575701169") && !t.contains("4111-1111")
        );
        assert!(
            t.contains("4111111111111112"),
            "Luhn-invalid number kept: {t}"
        );
        let mut plain = "nothing here".to_string();
        assert!(m.apply(&mut plain).is_empty());
    }

    #[test]
    fn partial_masks_keep_the_head() {
        let n: u64 = 1850575701169;
        let nir = format!("1 85 05 75 701 169 {:02}", 97 - n % 97);
        let m = Masker::new(
            Builtin::ALL
                .into_iter()
                .filter(|b| *b != Builtin::Ipv4)
                .map(MaskRule::partial)
                .collect(),
        );
        let mut t = format!(
            "patient {nir} mail jean.dupont@ex.fr tel 06 12 34 56 78 card 4111111111111111"
        );
        let fired = m.apply(&mut t);
        assert_eq!(fired, ["email", "fr_nir", "credit_card", "phone_fr"]);
        assert_eq!(
            t,
            "patient 1 85 05 ** *** *** ** mail j***.******@ex.fr tel 06 ** ** ** ** card ****************"
        );
        let mut plain = "ticket 12345".to_string();
        assert!(m.apply(&mut plain).is_empty(), "{plain}");
    }

    #[test]
    fn regex_rule_with_groups() {
        let m = Masker::new(vec![MaskRule::regex(
            "pw",
            r"password=(\S+)",
            "password=***".into(),
        )
        .unwrap()]);
        let mut t = "login password=hunter2 ok".to_string();
        assert_eq!(m.apply(&mut t), ["pw"]);
        assert_eq!(t, "login password=*** ok");
    }
}
