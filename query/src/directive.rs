//! The search directives `TERM(…)` and `CASE(…)`: a word of the base search that Splunk
//! matches differently from a plain one. `CASE(Error)` matches only that spelling;
//! `TERM(10.0.0.1)` matches the text only where it stands between major breakers (spaces,
//! brackets, quotes, `,;|!&?+*`): `from 10.0.0.1 port` holds it, `ip=10.0.0.1` and
//! `10.0.0.1:22` do not (`=` and `:` are minor breakers), as in Splunk. The index narrows
//! both to the events holding the directive's words; [`Directive::matches`] decides.
//!
//! ```
//! use loupe_query::directive::Directive;
//! let d = Directive::parse("CASE(Error)").unwrap();
//! assert!(d.matches("disk Error on sda"));
//! assert!(!d.matches("disk error on sda"));
//! let t = Directive::parse("TERM(10.0.0.1)").unwrap();
//! assert!(t.matches("from 10.0.0.1 port 22"));
//! assert!(!t.matches("ip=10.0.0.1"));
//! ```

/// A parsed directive: which one, and the text inside its parentheses (quotes removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `TERM(x)`: `x` between major breakers, any case.
    Term(String),
    /// `CASE(x)`: the words of `x` one after the other, in exactly that case.
    Case(String),
}

/// Splunk's default major breakers (`segmenters.conf`), the ones that are single characters.
fn is_major_breaker(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '[' | ']'
                | '<'
                | '>'
                | '('
                | ')'
                | '{'
                | '}'
                | '|'
                | '!'
                | ';'
                | ','
                | '\''
                | '"'
                | '*'
                | '&'
                | '?'
                | '+'
        )
}

impl Directive {
    /// The directive a search word is, if it is one (`TERM(…)`/`CASE(…)`, upper case, as the
    /// parser keeps them: one word, parentheses included).
    pub fn parse(word: &str) -> Option<Directive> {
        let (kind, rest) = word.split_at_checked(4)?;
        let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
        let inner = inner.trim();
        let inner = inner
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .map_or_else(|| inner.to_string(), |s| s.replace("\\\"", "\""));
        match kind {
            "TERM" => Some(Directive::Term(inner)),
            "CASE" => Some(Directive::Case(inner)),
            _ => None,
        }
    }

    /// The text inside the parentheses: its words are what the index narrows by.
    pub fn text(&self) -> &str {
        match self {
            Directive::Term(t) | Directive::Case(t) => t,
        }
    }

    /// True when `raw` holds the directive.
    pub fn matches(&self, raw: &str) -> bool {
        match self {
            Directive::Term(t) => {
                if t.is_empty() {
                    return false;
                }
                let hay = raw.to_lowercase();
                let needle = t.to_lowercase();
                hay.match_indices(&needle).any(|(at, _)| {
                    let before = hay[..at].chars().next_back();
                    let after = hay[at + needle.len()..].chars().next();
                    before.is_none_or(is_major_breaker) && after.is_none_or(is_major_breaker)
                })
            }
            Directive::Case(t) => {
                let wanted: Vec<&str> = words(t).collect();
                if wanted.is_empty() {
                    return false;
                }
                let raw_words: Vec<&str> = words(raw).collect();
                raw_words
                    .windows(wanted.len())
                    .any(|w| w == wanted.as_slice())
            }
        }
    }
}

/// The words of a text as the index splits it (every non-alphanumeric character breaks).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::Directive;

    #[test]
    fn case_matches_the_spelling_as_whole_words() {
        let d = Directive::parse("CASE(Failed password)").unwrap();
        assert!(d.matches("sshd: Failed password for root"));
        assert!(!d.matches("sshd: failed password for root"));
        assert!(!d.matches("sshd: Failed passwords"));
        let q = Directive::parse("CASE(\"ERROR\")").unwrap();
        assert_eq!(q.text(), "ERROR");
        assert!(q.matches("[ERROR] x") && !q.matches("[Error] x"));
    }

    #[test]
    fn term_needs_major_breakers_around_it() {
        let t = Directive::parse("TERM(10.0.0.1)").unwrap();
        assert!(t.matches("10.0.0.1"));
        assert!(t.matches("from [10.0.0.1] port"));
        assert!(t.matches("FROM 10.0.0.1, then"));
        assert!(!t.matches("from 10.0.0.12 port"));
        assert!(!t.matches("from 110.0.0.1 port"));
        assert!(!t.matches("src=10.0.0.1"));
        assert!(Directive::parse("TERM(Admin)")
            .unwrap()
            .matches("user admin logged"));
        assert_eq!(Directive::parse("TERMS(x)"), None);
        assert_eq!(Directive::parse("error"), None);
    }
}
