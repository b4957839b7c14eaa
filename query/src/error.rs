//! Parse errors that point at the offending bytes, so the console can underline them
//! and the CLI can say "expected X at column N".

use crate::ast::Span;
use serde::Serialize;
use std::fmt;

/// A syntax error in SPL text, with the byte span of the offending token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ParseError {
    /// Human sentence, e.g. "expected a number after `head`, found `abc`".
    pub message: String,
    /// Byte offsets of the offending token in the parsed (macro-expanded) text.
    pub span: Span,
    /// What would have been accepted here, for editors offering completions.
    pub expected: Vec<String>,
    /// 1-based line of `span.start`, so the message is useful without the text at hand.
    pub line: usize,
    /// 1-based column (in characters) of `span.start` on its line.
    pub column: usize,
}

impl ParseError {
    /// Builds an error with a free-form message; line and column are computed from `text`.
    pub fn new(text: &str, span: Span, message: impl Into<String>, expected: Vec<String>) -> Self {
        let (line, column) = line_col_of(text, span.start);
        ParseError {
            message: message.into(),
            span,
            expected,
            line,
            column,
        }
    }

    /// The 1-based (line, column) of the error's start within `text` (the text that was parsed).
    pub fn line_col(&self, text: &str) -> (usize, usize) {
        line_col_of(text, self.span.start)
    }
}

/// 1-based line and character column of a byte offset (clamped to the text).
pub(crate) fn line_col_of(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 1 {
            write!(
                f,
                "{} at line {}, column {}",
                self.message, self.line, self.column
            )
        } else {
            write!(f, "{} at column {}", self.message, self.column)
        }
    }
}
