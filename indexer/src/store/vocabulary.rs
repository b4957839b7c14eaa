//! What `_raw` is indexed as, and how a searched word or phrase maps onto it.
//!
//! Log text is split into lower-cased alphanumeric tokens, as Splunk's minor breakers do, and
//! two kinds of extra care keep the index small and fast to build:
//!
//! - **Identifiers are hashed, as two coordinates.** A token of 5 characters or more that is
//!   at least half digits (request ids, block ids, hex hashes, long numbers) is nearly unique
//!   per event: as exact terms they made most of the term dictionary and of the indexing time.
//!   Each is indexed instead as two terms (`~a` and `~b` + hex, forms no real token has), the
//!   two coordinates of a 20-bit hash, each one of [`ID_COORDINATES`] values. A search for an
//!   identifier needs both, so it still narrows to a handful of events (checked on their text),
//!   while indexing touches only 2 × [`ID_COORDINATES`] terms that stay in cache: one term per
//!   hash value (65,536 of them, each a cache miss) cost 15 % of the import time.
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
pub const VERSION: u32 = 3;

/// Values of each of an identifier's two hash coordinates. An event holding `k` identifiers is
/// a false candidate for a searched one with odds of about `(k / ID_COORDINATES)^2`: a few
/// events in a million for the usual one or two. The 2,048 terms of both coordinates stay in
/// the indexing threads' cache; 4,096 or more would not.
pub const ID_COORDINATES: u64 = 1 << 10;

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

/// What a token is indexed as, from its byte length, its ASCII digits and whether it is
/// letters only.
fn kind_of(len: usize, digits: usize, letters_only: bool) -> Kind {
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
    kind_of(token.len(), digits, letters_only)
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

/// The two hashed terms of an identifier (`~a` and `~b`, each with the hex of one coordinate).
pub fn identifier_terms(token: &str) -> [String; 2] {
    let (a, b) = identifier_coordinates(token);
    [('a', a), ('b', b)].map(|(tag, value)| {
        let mut term = String::with_capacity(5);
        push_coordinate(&mut term, tag, value);
        term
    })
}

/// The two coordinates of an identifier's hash, each below [`ID_COORDINATES`] (FNV-1a, then a
/// multiplicative mix so both coordinates draw on every byte; stable across versions and
/// platforms).
fn identifier_coordinates(token: &str) -> (u16, u16) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let h = (h ^ (h >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let bits = ID_COORDINATES.trailing_zeros();
    let mask = ID_COORDINATES - 1;
    (
        ((h >> (64 - bits)) & mask) as u16,
        ((h >> (64 - 2 * bits)) & mask) as u16,
    )
}

/// Writes `~` + `tag` + three hex digits into `out`, as [`identifier_terms`] spells them.
fn push_coordinate(out: &mut String, tag: char, value: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('~');
    out.push(tag);
    for shift in [8, 4, 0] {
        out.push(char::from(HEX[usize::from((value >> shift) & 0xf)]));
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
    for (t, _) in tokens.iter().zip(&covered).filter(|(_, done)| !**done) {
        match kind(t) {
            Kind::Identifier => terms.extend(identifier_terms(t)),
            Kind::SmallNumber => {}
            Kind::Word | Kind::Plain => terms.push(t.clone()),
        }
    }
    terms.sort();
    terms.dedup();
    let exact = match tokens {
        [one] => matches!(kind(one), Kind::Word | Kind::Plain),
        [a, b] => is_word(a) && is_word(b),
        _ => false,
    };
    PhraseTerms { terms, exact }
}

/// Tokens of 255 bytes or more are left out (tantivy's limit on a term, with room for pairs).
const MAX_TOKEN_BYTES: usize = 255;

/// Finds the next token of `text` from byte `*pos`: a run of alphanumeric characters (Splunk's
/// minor breakers split on everything else), under [`MAX_TOKEN_BYTES`]; writes it lower-cased
/// into `buf` and returns its byte range and [`Kind`]. ASCII, nearly all of log text, takes a
/// byte-wise path that classifies the token as it goes (a second pass over each token's
/// characters was a twentieth of the indexing time).
fn next_token(text: &str, pos: &mut usize, buf: &mut String) -> Option<(usize, usize, Kind)> {
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
        let (mut digits, mut ascii) = (0usize, true);
        while *pos < bytes.len() {
            let (alnum, len) = alnum_at(*pos);
            if !alnum {
                break;
            }
            digits += usize::from(bytes[*pos].is_ascii_digit());
            // Only an ASCII character is one byte long.
            ascii &= len == 1;
            *pos += len;
        }
        let word = &text[start..*pos];
        if word.len() >= MAX_TOKEN_BYTES {
            continue;
        }
        buf.clear();
        let kind = if ascii {
            buf.push_str(word);
            buf.make_ascii_lowercase();
            // A token of ASCII letters and digits is letters only when it has no digit.
            kind_of(word.len(), digits, digits == 0)
        } else {
            // Character by character, as tantivy's lower-caser does (no final-sigma rule).
            buf.extend(word.chars().flat_map(char::to_lowercase));
            kind(buf)
        };
        return Some((start, *pos, kind));
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
/// fifth of the indexing time. Its buffers live in the tokenizer, which tantivy keeps per
/// indexing thread, so a document's stream allocates nothing.
#[derive(Clone, Debug, Default)]
pub struct LogTokenizer {
    buffers: StreamBuffers,
}

/// What a [`LogTokenStream`] writes into, reused from one document to the next.
#[derive(Clone, Debug, Default)]
struct StreamBuffers {
    /// The current token, lower-cased.
    word: String,
    /// The last token when it was a word ("" otherwise).
    previous_word: String,
    out: Token,
}

impl Tokenizer for LogTokenizer {
    type TokenStream<'a> = LogTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> LogTokenStream<'a> {
        let b = &mut self.buffers;
        b.word.clear();
        b.previous_word.clear();
        b.out.reset();
        LogTokenStream {
            text,
            pos: 0,
            b,
            pair_pending: false,
            coordinate_pending: None,
        }
    }
}

/// The token stream of [`LogTokenizer`].
pub struct LogTokenStream<'a> {
    text: &'a str,
    /// Byte offset the next token is looked for from.
    pos: usize,
    b: &'a mut StreamBuffers,
    /// The current token and the previous word form a pair still to emit.
    pair_pending: bool,
    /// The second coordinate of the current identifier, still to emit.
    coordinate_pending: Option<u16>,
}

impl TokenStream for LogTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.pair_pending {
            self.pair_pending = false;
            self.b.out.text.clear();
            self.b.out.text.push_str(&self.b.previous_word);
            self.b.out.text.push(' ');
            self.b.out.text.push_str(&self.b.word);
            let b = &mut *self.b;
            std::mem::swap(&mut b.previous_word, &mut b.word);
            return true;
        }
        if let Some(second) = self.coordinate_pending.take() {
            self.b.out.text.clear();
            push_coordinate(&mut self.b.out.text, 'b', second);
            return true;
        }
        let (from, to, kind) = loop {
            let Some(token) = next_token(self.text, &mut self.pos, &mut self.b.word) else {
                return false;
            };
            match token {
                // Left out, but still a break between words: no pair across it.
                (_, _, Kind::SmallNumber) => self.b.previous_word.clear(),
                token => break token,
            }
        };
        self.b.out.offset_from = from;
        self.b.out.offset_to = to;
        self.b.out.position = self.b.out.position.wrapping_add(1);
        self.b.out.text.clear();
        match kind {
            Kind::Word => {
                self.b.out.text.push_str(&self.b.word);
                if self.b.previous_word.is_empty() {
                    self.b.previous_word.push_str(&self.b.word);
                } else {
                    self.pair_pending = true;
                }
                return true;
            }
            Kind::Identifier => {
                let (a, b) = identifier_coordinates(&self.b.word);
                push_coordinate(&mut self.b.out.text, 'a', a);
                self.coordinate_pending = Some(b);
            }
            Kind::SmallNumber | Kind::Plain => self.b.out.text.push_str(&self.b.word),
        }
        self.b.previous_word.clear();
        true
    }

    fn token(&self) -> &Token {
        &self.b.out
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.b.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};

    fn index_terms(text: &str) -> Vec<String> {
        terms_of(TextAnalyzer::from(LogTokenizer::default()), text)
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
        let [a, b] = identifier_terms("1608999687919862906");
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
            a.as_str(),
            b.as_str(),
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
        let [a, b] = identifier_terms("0ea0757c");
        assert!(a.starts_with("~a") && b.starts_with("~b") && a.len() == 5 && b.len() == 5);
        assert_ne!(identifier_terms("0ea0757c"), identifier_terms("0ea0757d"));
    }

    /// Sequential ids (the usual kind: counters, block numbers) must spread evenly over both
    /// coordinates and over their 2^20 combinations, or searching one would read many events.
    #[test]
    fn identifier_coordinates_spread_sequential_ids() {
        let n = 200_000u32;
        let (mut a_counts, mut b_counts) = (vec![0u32; 1024], vec![0u32; 1024]);
        let mut joint = std::collections::HashSet::new();
        for i in 0..n {
            let (a, b) = identifier_coordinates(&(1_000_000 + i).to_string());
            a_counts[usize::from(a)] += 1;
            b_counts[usize::from(b)] += 1;
            joint.insert((a, b));
        }
        // 195 expected per value; a binomial spread stays well inside these bounds.
        for counts in [&a_counts, &b_counts] {
            let (min, max) = (counts.iter().min(), counts.iter().max());
            assert!(min >= Some(&120) && max <= Some(&280), "{min:?}..{max:?}");
        }
        // 200k draws over 2^20 cells: about 181k distinct when the cells are independent.
        assert!(joint.len() > 175_000, "{} distinct pairs", joint.len());
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
        assert_eq!(p.terms, identifier_terms("1608999687919862906"));
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
