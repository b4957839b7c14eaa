//! What `_raw` is indexed as, and how a searched word or phrase maps onto it.
//!
//! Log text is split into lower-cased alphanumeric tokens, as Splunk's minor breakers do, and
//! two kinds of extra care keep the index small and fast to build:
//!
//! - **Identifiers are hashed.** A token of 5 characters or more that is at least half digits
//!   (request ids, block ids, hex hashes, long numbers) is nearly unique per event: as exact
//!   terms they made most of the term dictionary and of the indexing time. They are indexed
//!   as one of [`ID_BUCKETS`] hashed terms instead (`~` + hex, a form no real token has), so a
//!   search for one still narrows to a handful of events, which are then checked on their text.
//! - **Numbers of one or two digits are not indexed.** They are a fifth of all tokens (the
//!   parts of every timestamp: `07`, `29`, `12`, `34`) and almost never searched alone. A
//!   search for one narrows by the other terms of its phrase, or reads the events, and checks
//!   their text: the answer is the same, only slower.
//! - **No positions; adjacent words become pairs.** Instead of a position per token, each pair
//!   of adjacent alphabetic tokens is indexed as one term (`failed password`): a two-word
//!   phrase is then one exact term lookup, and longer phrases or phrases with numbers are the
//!   conjunction of their pairs and words, checked on the text.
//!
//! [`phrase_terms`] gives the terms a searched text needs and whether finding them all is
//! proof ([`PhraseTerms::exact`]) or only narrows the candidates.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Version of what a text is indexed as: raised whenever a change here would make an existing
/// bucket answer differently (a bucket of another version is refused, never misread).
pub const VERSION: u32 = 2;

/// Hashed terms identifiers are spread over: a few dozen candidate events per searched id in
/// 2 million events full of random ids. Each segment holds nearly all of them, so this sets the
/// size of the term dictionary: 2^18 made it twice as large and import 10% slower.
pub const ID_BUCKETS: u64 = 1 << 16;

/// What a token is indexed as, decided in one pass over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Letters only: indexed, and paired with its neighbouring words.
    Word,
    /// A number of one or two digits: left out of the index.
    SmallNumber,
    /// Long and at least half digits: indexed by hash.
    Identifier,
    /// Anything else: indexed as itself.
    Plain,
}

fn kind(token: &str) -> Kind {
    let (mut digits, mut letters_only) = (0usize, true);
    for c in token.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            letters_only = false;
        } else if !c.is_alphabetic() {
            letters_only = false;
        }
    }
    let len = token.len();
    if letters_only {
        Kind::Word
    } else if digits == len && len <= 2 {
        Kind::SmallNumber
    } else if len >= 5 && digits >= 4 && digits * 2 >= len {
        Kind::Identifier
    } else {
        Kind::Plain
    }
}

/// True for the tokens indexed by hash: long, and at least half digits.
pub fn is_identifier(token: &str) -> bool {
    kind(token) == Kind::Identifier
}

/// False for the tokens left out of the index: numbers of one or two digits.
pub fn is_indexed(token: &str) -> bool {
    kind(token) != Kind::SmallNumber
}

/// True for tokens that pair with their neighbours: letters only.
fn is_word(token: &str) -> bool {
    kind(token) == Kind::Word
}

/// The hashed term of an identifier (`~` and the hex of [`identifier_bucket`]).
pub fn identifier_term(token: &str) -> String {
    format!("~{:05x}", identifier_bucket(token))
}

/// Which of the [`ID_BUCKETS`] an identifier falls in (FNV-1a, stable across versions and
/// platforms).
fn identifier_bucket(token: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h % ID_BUCKETS
}

/// The indexed term of one token.
fn token_term(token: &str) -> String {
    if is_identifier(token) {
        identifier_term(token)
    } else {
        token.to_string()
    }
}

/// The index terms a searched word or phrase needs; see [`phrase_terms`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseTerms {
    /// Terms every matching event has (empty: none is indexed, every event is a candidate).
    pub terms: Vec<String>,
    /// True when having every term proves the event contains the phrase; otherwise the
    /// candidates must be checked on their text.
    pub exact: bool,
}

/// The terms of `tokens` (already split and lower-cased) taken as a phrase.
pub fn phrase_terms(tokens: &[String]) -> PhraseTerms {
    let mut terms = Vec::new();
    let mut covered = vec![false; tokens.len()];
    for i in 1..tokens.len() {
        if is_word(&tokens[i - 1]) && is_word(&tokens[i]) {
            terms.push(format!("{} {}", tokens[i - 1], tokens[i]));
            covered[i - 1] = true;
            covered[i] = true;
        }
    }
    for (t, done) in tokens.iter().zip(&covered) {
        if !done && is_indexed(t) {
            terms.push(token_term(t));
        }
    }
    terms.sort();
    terms.dedup();
    let exact = match tokens {
        [one] => is_indexed(one) && !is_identifier(one),
        [a, b] => is_word(a) && is_word(b),
        _ => false,
    };
    PhraseTerms { terms, exact }
}

/// Tokens of 255 bytes or more are left out (tantivy's limit on a term, with room for pairs).
const MAX_TOKEN_BYTES: usize = 255;

/// Finds the next token of `text` from byte `*pos`: a run of alphanumeric characters (Splunk's
/// minor breakers split on everything else), under [`MAX_TOKEN_BYTES`]; writes it lower-cased
/// into `buf` and returns its byte range. ASCII, nearly all of log text, takes a byte-wise path.
fn next_token(text: &str, pos: &mut usize, buf: &mut String) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    // The character at `at` (a char boundary) if it is alphanumeric, with its length.
    let alnum_at = |at: usize| -> (bool, usize) {
        match bytes[at] {
            b if b < 0x80 => (b.is_ascii_alphanumeric(), 1),
            _ => text[at..]
                .chars()
                .next()
                .map_or((false, 1), |c| (c.is_alphanumeric(), c.len_utf8())),
        }
    };
    loop {
        while *pos < bytes.len() {
            let (alnum, len) = alnum_at(*pos);
            if alnum {
                break;
            }
            *pos += len;
        }
        if *pos >= bytes.len() {
            return None;
        }
        let start = *pos;
        while *pos < bytes.len() {
            let (alnum, len) = alnum_at(*pos);
            if !alnum {
                break;
            }
            *pos += len;
        }
        let word = &text[start..*pos];
        if word.len() >= MAX_TOKEN_BYTES {
            continue;
        }
        buf.clear();
        if word.is_ascii() {
            buf.push_str(word);
            buf.make_ascii_lowercase();
        } else {
            // Character by character, as tantivy's lower-caser does (no final-sigma rule).
            buf.extend(word.chars().flat_map(char::to_lowercase));
        }
        return Some((start, *pos));
    }
}

/// The tokens of `text` as `_raw` is split before [`LogTokenizer`] makes terms of them: what
/// search words and phrases are split into, so they meet the index on the same tokens.
pub fn split_tokens(text: &str) -> Vec<String> {
    let (mut pos, mut buf, mut out) = (0, String::new(), Vec::new());
    while next_token(text, &mut pos, &mut buf).is_some() {
        out.push(buf.clone());
    }
    out
}

/// `_raw`'s whole analysis in one pass over the text: tokens split and lower-cased
/// ([`split_tokens`]), small numbers left out, identifiers hashed, and the pair term emitted
/// after each pair of adjacent words. One pass instead of a chain of filters: tokenizing is a
/// fifth of the indexing time.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogTokenizer;

impl Tokenizer for LogTokenizer {
    type TokenStream<'a> = LogTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> LogTokenStream<'a> {
        LogTokenStream {
            text,
            pos: 0,
            word: String::new(),
            out: Token::default(),
            previous_word: String::new(),
            pair_pending: false,
        }
    }
}

/// The token stream of [`LogTokenizer`].
pub struct LogTokenStream<'a> {
    text: &'a str,
    /// Byte offset the next token is looked for from.
    pos: usize,
    /// The current token, lower-cased.
    word: String,
    out: Token,
    /// The last token when it was a word ("" otherwise).
    previous_word: String,
    /// The current token and the previous word form a pair still to emit.
    pair_pending: bool,
}

impl TokenStream for LogTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.pair_pending {
            self.pair_pending = false;
            self.out.text.clear();
            self.out.text.push_str(&self.previous_word);
            self.out.text.push(' ');
            self.out.text.push_str(&self.word);
            std::mem::swap(&mut self.previous_word, &mut self.word);
            return true;
        }
        let ((from, to), kind) = loop {
            let Some(range) = next_token(self.text, &mut self.pos, &mut self.word) else {
                return false;
            };
            match kind(&self.word) {
                // Left out, but still a break between words: no pair across it.
                Kind::SmallNumber => self.previous_word.clear(),
                kind => break (range, kind),
            }
        };
        self.out.offset_from = from;
        self.out.offset_to = to;
        self.out.position = self.out.position.wrapping_add(1);
        self.out.text.clear();
        match kind {
            Kind::Word => {
                self.out.text.push_str(&self.word);
                if self.previous_word.is_empty() {
                    self.previous_word.push_str(&self.word);
                } else {
                    self.pair_pending = true;
                }
                return true;
            }
            Kind::Identifier => {
                use std::fmt::Write;
                let _ = write!(self.out.text, "~{:05x}", identifier_bucket(&self.word));
            }
            Kind::SmallNumber | Kind::Plain => self.out.text.push_str(&self.word),
        }
        self.previous_word.clear();
        true
    }

    fn token(&self) -> &Token {
        &self.out
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};

    fn index_terms(text: &str) -> Vec<String> {
        terms_of(TextAnalyzer::from(LogTokenizer), text)
    }

    fn terms_of(mut a: TextAnalyzer, text: &str) -> Vec<String> {
        let mut s = a.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    fn toks(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn words_pair_up_and_identifiers_are_hashed() {
        let id = identifier_term("1608999687919862906");
        let expected = [
            "failed",
            "password",
            "failed password",
            "for",
            "password for",
            "root",
            "for root",
            "blk",
            "root blk",
            id.as_str(),
            "port",
            "2222",
        ];
        assert_eq!(
            index_terms("Failed password for root blk_-1608999687919862906 port 2222"),
            expected
        );
    }

    #[test]
    fn tokens_follow_minor_breakers() {
        assert_eq!(
            split_tokens("zebra-needle-771 Appears"),
            vec!["zebra", "needle", "771", "appears"]
        );
        assert_eq!(
            split_tokens("from 10.1.2.3:22"),
            vec!["from", "10", "1", "2", "3", "22"]
        );
    }

    #[test]
    fn small_numbers_are_left_out_and_break_pairs() {
        assert_eq!(
            index_terms("at 12:34 user 7 logged in 305 ms"),
            ["at", "user", "logged", "in", "logged in", "305", "ms"]
        );
        assert!(!is_indexed("07") && !is_indexed("5"));
        assert!(is_indexed("305") && is_indexed("a1") && is_indexed("x"));
    }

    #[test]
    fn identifiers_are_long_and_mostly_digits() {
        assert!(is_identifier("1608999687919862906"));
        assert!(is_identifier("0ea0757c"));
        assert!(is_identifier("12345"));
        assert!(!is_identifier("2026"));
        assert!(!is_identifier("worker12345"));
        assert!(!is_identifier("password"));
        assert!(identifier_term("0ea0757c").starts_with('~'));
        assert_ne!(identifier_term("0ea0757c"), identifier_term("0ea0757d"));
    }

    #[test]
    fn phrases_become_pairs_and_say_when_they_are_proof() {
        let p = phrase_terms(&toks("failed password"));
        assert_eq!(p.terms, ["failed password"]);
        assert!(p.exact);
        let p = phrase_terms(&toks("error"));
        assert_eq!(p.terms, ["error"]);
        assert!(p.exact);
        let p = phrase_terms(&toks("failed password for"));
        assert_eq!(p.terms, ["failed password", "password for"]);
        assert!(!p.exact, "pairs may occur apart");
        let p = phrase_terms(&toks("port 2222"));
        assert_eq!(p.terms, ["2222", "port"]);
        assert!(!p.exact);
        let p = phrase_terms(&toks("port 22"));
        assert_eq!(p.terms, ["port"], "a two-digit number is not indexed");
        assert!(!p.exact);
        let p = phrase_terms(&toks("22"));
        assert!(p.terms.is_empty(), "every event is a candidate");
        assert!(!p.exact);
        let p = phrase_terms(&toks("1608999687919862906"));
        assert_eq!(p.terms, [identifier_term("1608999687919862906")]);
        assert!(!p.exact, "a hashed id is shared by a few others");
    }

    #[test]
    fn every_phrase_term_is_an_index_term_of_a_text_holding_the_phrase() {
        let text = "2026-03-01 sshd[42]: Failed password for invalid user admin from 10.0.0.7 port 5022 ssh2 req-0ea0757c";
        let all = index_terms(text);
        let tokens = index_terms_plain(text);
        for i in 0..tokens.len() {
            for j in i + 1..=tokens.len() {
                for t in phrase_terms(&tokens[i..j]).terms {
                    assert!(all.contains(&t), "{t:?} of {:?}", &tokens[i..j]);
                }
            }
        }
    }

    fn index_terms_plain(text: &str) -> Vec<String> {
        split_tokens(text)
    }

    /// The one-pass split must give what tantivy's chain gave (simple tokenizer, long tokens
    /// removed, lower case): indexes written before it and search terms depend on that.
    #[test]
    fn split_tokens_agree_with_tantivys_filter_chain() {
        use tantivy::tokenizer::RemoveLongFilter;
        let chain = || {
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(255))
                .filter(LowerCaser)
                .build()
        };
        let long = "x".repeat(254);
        let longer = "y".repeat(255);
        let mut texts: Vec<String> = vec![
            String::new(),
            "  ,, ".into(),
            "Failed password for root from 10.0.0.7 port 22 ssh2".into(),
            "ÉTÉ Straße İstanbul ΣΊΣΥΦΟΣ naïve café 東京都 Ⅻ ½ ٣٤ x\u{0301}y".into(),
            format!("a {long} b {longer} c"),
            "tab\tnew\nline\r\0nul 🙂emoji🙂 end".into(),
        ];
        let data = std::env::var_os("LOUPE_SHARED_DATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
            });
        for system in ["OpenSSH", "Windows", "Thunderbird", "Android"] {
            let path = data
                .join("loghub")
                .join(system)
                .join(format!("{system}_2k.log"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            texts.extend(text.lines().take(500).map(str::to_string));
        }
        for text in &texts {
            assert_eq!(split_tokens(text), terms_of(chain(), text), "{text:?}");
        }
    }
}
