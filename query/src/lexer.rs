//! Lexical layer: the ```` ``` ```` comment pre-pass and a [`Cursor`] over the text
//! whose token primitives (words, quoted strings, numbers, keywords) are nom parsers.
//!
//! The structure of a query (pipelines, boolean lists, operator precedence) is parsed by
//! explicit loops in the other modules on top of these primitives, so that searches of
//! tens of kilobytes neither recurse deeply nor backtrack.

use crate::ast::Span;
use crate::error::ParseError;
use nom::bytes::complete::{tag_no_case, take_while, take_while1};
use nom::character::complete::{char as nchar, digit1};
use nom::combinator::{opt, recognize};
use nom::Parser;
use std::borrow::Cow;

/// Nesting budget (parentheses and calls cost 1, subsearches [`SUBSEARCH_COST`]), so hostile
/// input gets an error instead of overflowing a 2 MiB thread stack, even in debug builds.
pub(crate) const MAX_NESTING: usize = 100;

/// Budget units used by one subsearch level, whose parse frames are much larger.
pub(crate) const SUBSEARCH_COST: usize = 5;

type NomError<'a> = nom::error::Error<&'a str>;

/// Blanks out ```` ```comments``` ```` (outside double-quoted strings) with spaces of the
/// same byte length, so every later byte offset still points into the user's text.
pub fn strip_comments(text: &str) -> Result<Cow<'_, str>, ParseError> {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 2,
                b'"' => {
                    in_string = false;
                    i += 1
                }
                _ => i += 1,
            }
            continue;
        }
        match b {
            b'\\' => i += 2,
            b'"' => {
                in_string = true;
                i += 1
            }
            b'`' if bytes[i..].starts_with(b"```") => {
                let start = i;
                let Some(close) = find(&bytes[i + 3..], b"```") else {
                    return Err(ParseError::new(
                        text,
                        Span::new(start, text.len()),
                        "unclosed ``` comment: expected closing ```",
                        vec!["```".into()],
                    ));
                };
                let end = i + 3 + close + 3;
                let buf = out.get_or_insert_with(|| bytes.to_vec());
                buf[start..end].iter_mut().for_each(|c| *c = b' ');
                i = end;
            }
            _ => i += 1,
        }
    }
    match out {
        None => Ok(Cow::Borrowed(text)),
        // Only whole UTF-8 sequences between ASCII backticks were replaced by ASCII spaces.
        Some(buf) => {
            Ok(Cow::Owned(String::from_utf8(buf).unwrap_or_else(|e| {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            })))
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Characters that may continue a bare eval identifier (besides letters and digits).
pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | ':' | '{' | '}' | '@' | '$' | '#')
}

/// Whether `c` may start a bare eval identifier.
pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '_' | '@' | '$' | '{' | '#')
}

/// Position-tracking reader over the (comment-stripped) query text.
pub(crate) struct Cursor<'a> {
    /// The whole text; offsets are relative to it.
    pub src: &'a str,
    /// Current byte offset.
    pub pos: usize,
    /// Current nesting depth (parentheses, subsearches, calls).
    pub depth: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(src: &'a str) -> Self {
        Cursor {
            src,
            pos: 0,
            depth: 0,
        }
    }

    pub fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    /// Runs a nom parser at the current position, advancing on success.
    pub fn run<O, P>(&mut self, mut p: P) -> Option<O>
    where
        P: Parser<&'a str, Output = O, Error = NomError<'a>>,
    {
        match p.parse(self.rest()) {
            Ok((rest, o)) => {
                self.pos = self.src.len() - rest.len();
                Some(o)
            }
            Err(_) => None,
        }
    }

    pub fn skip_ws(&mut self) {
        self.run(take_while(char::is_whitespace));
    }

    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    pub fn at_eof(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Consumes `s` exactly if it is next.
    pub fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Skips blanks and reports whether the current command has ended (`|`, `]` or end of text).
    pub fn at_command_end(&mut self) -> bool {
        self.skip_ws();
        matches!(self.peek(), None | Some('|') | Some(']'))
    }

    /// Whether the keyword (any case) is next and followed by a non-word character.
    pub fn peek_keyword(&self, kw: &str) -> bool {
        let r = self.rest();
        r.len() >= kw.len()
            && r.is_char_boundary(kw.len())
            && r[..kw.len()].eq_ignore_ascii_case(kw)
            && r[kw.len()..].chars().next().is_none_or(ends_keyword)
    }

    /// Consumes a case-insensitive keyword (not a prefix of a longer word).
    pub fn keyword(&mut self, kw: &str) -> bool {
        if self.peek_keyword(kw) {
            self.run(tag_no_case(kw));
            true
        } else {
            false
        }
    }

    /// Consumes a case-sensitive keyword (`OR`, `AND`, `NOT` of the search command).
    pub fn keyword_exact(&mut self, kw: &str) -> bool {
        let r = self.rest();
        if r.starts_with(kw) && r[kw.len()..].chars().next().is_none_or(ends_keyword) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`: command names, function names, option keys.
    pub fn ident(&mut self) -> Option<&'a str> {
        self.run(recognize((
            take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
            take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        )))
    }

    /// Peeks `key=` (an option) without consuming; returns the key.
    pub fn peek_option_key(&self) -> Option<&'a str> {
        let (rest, key) = recognize((
            take_while1::<_, _, NomError<'a>>(|c: char| c.is_ascii_alphabetic() || c == '_'),
            take_while(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.'),
        ))
        .parse(self.rest())
        .ok()?;
        (rest.starts_with('=') && !rest.starts_with("==")).then_some(key)
    }

    /// An unsigned integer.
    pub fn uint(&mut self) -> Option<u64> {
        let save = self.pos;
        let digits = self.run(digit1)?;
        if self.peek().is_some_and(is_word_char) {
            self.pos = save;
            return None;
        }
        match digits.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                self.pos = save;
                None
            }
        }
    }

    /// A number literal of eval: digits with optional fraction and exponent (no sign).
    pub fn number(&mut self) -> Option<&'a str> {
        let first = self.peek()?;
        let starts = first.is_ascii_digit()
            || (first == '.' && self.peek2().is_some_and(|c| c.is_ascii_digit()));
        if !starts {
            return None;
        }
        let save = self.pos;
        let text = self.run(recognize((
            opt(digit1),
            opt((nchar('.'), opt(digit1))),
            opt((
                nom::character::complete::one_of("eE"),
                opt(nom::character::complete::one_of("+-")),
                digit1,
            )),
        )))?;
        // "1.foo" is not a number followed by a name; "1a" is not a number at all.
        if self
            .peek()
            .is_some_and(|c| is_ident_start(c) || c.is_ascii_digit())
        {
            self.pos = save;
            return None;
        }
        Some(text)
    }

    /// A string between `quote` characters, `\\` and `\<quote>` resolved, other escapes kept.
    pub fn quoted_with(&mut self, quote: char) -> Result<String, ParseError> {
        let start = self.pos;
        if !self.eat(&quote.to_string()) {
            return Err(self.expected(&[&format!("{quote}")]));
        }
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(ParseError::new(
                    self.src,
                    Span::new(start, self.src.len()),
                    format!("unclosed quote: expected closing {quote}"),
                    vec![quote.to_string()],
                ));
            };
            if c == quote {
                return Ok(out);
            }
            if c == '\\' {
                match self.peek() {
                    // In 'names', `\"` and `\`` too: printed names escape them so that
                    // the comment pass (which knows only "strings") reads them the same.
                    Some(n)
                        if n == quote || n == '\\' || (quote == '\'' && matches!(n, '"' | '`')) =>
                    {
                        self.bump();
                        out.push(n);
                    }
                    _ => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
    }

    /// A double-quoted string.
    pub fn quoted(&mut self) -> Result<String, ParseError> {
        self.quoted_with('"')
    }

    /// Skips a quoted string without decoding (for raw scans); errors when unclosed.
    fn skip_quoted(&mut self) -> Result<(), ParseError> {
        self.quoted().map(|_| ())
    }

    /// A field name: quoted (`"a b"`, `'a b'`) or bare (dots, colons, braces, wildcards,
    /// `count(x)`-style balanced parentheses); adjacent quoted parts are concatenated
    /// (`"Web".*` gives `Web.*`).
    pub fn field_name(&mut self) -> Result<(String, Span), ParseError> {
        let start = self.pos;
        let mut out = String::new();
        loop {
            match self.peek() {
                Some('"') => out.push_str(&self.quoted()?),
                Some('\'') if self.pos == start => out.push_str(&self.quoted_with('\'')?),
                Some(c) if is_field_char(c) => {
                    self.bump();
                    out.push(c);
                    if c == '\\' {
                        if let Some(n) = self.bump() {
                            out.push(n);
                        }
                    }
                }
                Some('(') if self.pos > start => {
                    // `count(x)`, `values(y)`: a stats output column used as a field name.
                    let save = self.pos;
                    match self.balanced_parens() {
                        Some(text) => out.push_str(text),
                        None => {
                            self.pos = save;
                            break;
                        }
                    }
                }
                _ => break,
            }
        }
        if self.pos == start {
            return Err(self.expected(&["a field name"]));
        }
        Ok((out, Span::new(start, self.pos)))
    }

    /// `( ... )` with balanced parentheses and no blanks outside quotes; returns the raw text.
    fn balanced_parens(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.bump();
                        return Some(&self.src[start..self.pos]);
                    }
                }
                '"' => {
                    self.skip_quoted().ok()?;
                    continue;
                }
                '|' | ']' | '[' => return None,
                c if c.is_whitespace() => return None,
                _ => {}
            }
            self.bump();
        }
    }

    /// An option or positional value: a quoted string (decoded) or a raw word that runs
    /// to the next blank outside parentheses, `|` or an unbalanced `]`. Regexes and `=`
    /// are fine unquoted (`tokenizer=(\S+)`, `field=^a.*$`). Returns (value, was_quoted, span).
    pub fn value(&mut self) -> Result<(String, bool, Span), ParseError> {
        let start = self.pos;
        if self.peek() == Some('"') {
            let s = self.quoted()?;
            if self
                .peek()
                .is_none_or(|c| c.is_whitespace() || matches!(c, '|' | ']' | ',' | ')'))
            {
                return Ok((s, true, Span::new(start, self.pos)));
            }
            self.pos = start;
        }
        let end = self.scan_raw_word(true)?.or(self.scan_raw_word(false)?);
        let Some(end) = end else {
            return Err(self.expected(&["a value"]));
        };
        self.pos = end;
        if end == start {
            return Err(self.expected(&["a value"]));
        }
        Ok((
            self.src[start..end].to_string(),
            false,
            Span::new(start, end),
        ))
    }

    /// Finds the end of a raw word starting here; `None` when parentheses do not balance
    /// (with `paren_aware`), so the caller can retry stopping at the first blank.
    fn scan_raw_word(&self, paren_aware: bool) -> Result<Option<usize>, ParseError> {
        let mut c = Cursor {
            src: self.src,
            pos: self.pos,
            depth: 0,
        };
        let mut parens = 0usize;
        let mut brackets = 0usize;
        let mut braces = 0usize;
        while let Some(ch) = c.peek() {
            match ch {
                '"' => {
                    c.skip_quoted()?;
                    continue;
                }
                '\\' => {
                    c.bump();
                }
                '{' => braces += 1,
                '}' => braces = braces.saturating_sub(1),
                // `value=0, a`: a comma ends the value unless it is inside `(...)`/`{...}`.
                ',' if parens == 0 && braces == 0 && c.pos > self.pos => break,
                '(' if paren_aware => parens += 1,
                ')' if paren_aware => {
                    if parens == 0 {
                        break;
                    }
                    parens -= 1
                }
                // `type=inner[ | tstats ...]`: a subsearch right after a value ends it.
                '[' if c.rest()[1..].starts_with(|n: char| n.is_whitespace() || n == '|') => break,
                '[' => brackets += 1,
                ']' => {
                    if brackets == 0 {
                        break;
                    }
                    brackets -= 1
                }
                '|' if parens == 0 => break,
                ch if ch.is_whitespace() && parens == 0 => break,
                _ => {}
            }
            c.bump();
        }
        if paren_aware && parens > 0 {
            return Ok(None);
        }
        Ok(Some(c.pos))
    }

    /// Raw text up to the end of the command (`|` or `]` outside quotes and brackets),
    /// for commands Loupe does not model.
    pub fn raw_until_command_end(&mut self) -> Result<&'a str, ParseError> {
        let start = self.pos;
        let mut brackets = 0usize;
        while let Some(ch) = self.peek() {
            match ch {
                '"' => {
                    self.skip_quoted()?;
                    continue;
                }
                '\\' => {
                    self.bump();
                }
                '[' => brackets += 1,
                ']' => {
                    if brackets == 0 {
                        break;
                    }
                    brackets -= 1
                }
                '|' if brackets == 0 => break,
                _ => {}
            }
            self.bump();
        }
        if brackets > 0 {
            return Err(ParseError::new(
                self.src,
                Span::new(start, self.pos),
                "unclosed subsearch: expected ]",
                vec!["]".into()],
            ));
        }
        Ok(&self.src[start..self.pos])
    }

    /// The text between the `[` at the cursor and its matching `]` (quotes and nested
    /// brackets skipped), the cursor left after the `]`: a subsearch kept as written, for a
    /// command that substitutes into it before it is parsed (`map [search host=$host$]`).
    pub fn raw_bracketed(&mut self) -> Result<&'a str, ParseError> {
        let open = self.pos;
        self.bump();
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(ch) = self.peek() {
            match ch {
                '"' => {
                    self.skip_quoted()?;
                    continue;
                }
                '\\' => {
                    self.bump();
                }
                '[' => depth += 1,
                ']' if depth == 0 => {
                    let inner = &self.src[start..self.pos];
                    self.bump();
                    return Ok(inner);
                }
                ']' => depth -= 1,
                _ => {}
            }
            self.bump();
        }
        Err(ParseError::new(
            self.src,
            Span::new(open, self.pos),
            "unclosed subsearch: expected ]",
            vec!["]".into()],
        ))
    }

    /// The token at the cursor, for "found ..." in messages.
    pub fn current_token(&self) -> (Span, String) {
        let r = self.rest();
        if r.is_empty() {
            return (Span::new(self.pos, self.pos), "end of input".into());
        }
        let first = r.chars().next().map_or(1, char::len_utf8);
        let len = r
            .char_indices()
            .find(|&(i, c)| {
                i > 0 && (c.is_whitespace() || matches!(c, '|' | ']' | '[' | '(' | ')' | ','))
            })
            .map_or(r.len(), |(i, _)| i)
            .max(first);
        let tok: String = r[..len].chars().take(30).collect();
        (Span::new(self.pos, self.pos + len), format!("`{tok}`"))
    }

    /// "expected A or B, found `tok`" at the current token.
    pub fn expected(&self, what: &[&str]) -> ParseError {
        let (span, found) = self.current_token();
        ParseError::new(
            self.src,
            span,
            format!("expected {}, found {}", what.join(" or "), found),
            what.iter().map(|s| s.to_string()).collect(),
        )
    }

    /// "expected A after X, found `tok`" at the current token.
    pub fn expected_after(&self, what: &str, after: &str) -> ParseError {
        let (span, found) = self.current_token();
        ParseError::new(
            self.src,
            span,
            format!("expected {what} after {after}, found {found}"),
            vec![what.to_string()],
        )
    }

    /// Error with a custom message at a span.
    pub fn error_at(
        &self,
        span: Span,
        message: impl Into<String>,
        expected: &[&str],
    ) -> ParseError {
        ParseError::new(
            self.src,
            span,
            message,
            expected.iter().map(|s| s.to_string()).collect(),
        )
    }

    /// Enters one nesting level; errors when the budget [`MAX_NESTING`] is spent.
    pub fn enter(&mut self) -> Result<(), ParseError> {
        self.enter_weighted(1)
    }

    /// Enters a nesting level that costs `cost` units of the budget.
    pub fn enter_weighted(&mut self, cost: usize) -> Result<(), ParseError> {
        self.depth += cost;
        if self.depth > MAX_NESTING {
            let (span, _) = self.current_token();
            return Err(self.error_at(
                span,
                format!(
                    "nesting too deep (parentheses, calls and subsearches; budget {MAX_NESTING})"
                ),
                &[],
            ));
        }
        Ok(())
    }

    /// Leaves a level entered with [`Cursor::enter`].
    pub fn leave(&mut self) {
        self.leave_weighted(1)
    }

    /// Leaves a level entered with [`Cursor::enter_weighted`].
    pub fn leave_weighted(&mut self, cost: usize) {
        self.depth = self.depth.saturating_sub(cost);
    }
}

/// Characters that may follow a keyword: `by}` or `as.x` are field names, not keywords.
pub(crate) fn ends_keyword(c: char) -> bool {
    c.is_whitespace() || "()[]|,\"'=<>!".contains(c)
}

/// Letters, digits and `_`: what makes a keyword a prefix of a longer word.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Characters of bare field names in command arguments.
pub(crate) fn is_field_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            ',' | '|' | '[' | ']' | '=' | '"' | '(' | ')' | '<' | '>' | '\''
        )
        || c == '\''
}
