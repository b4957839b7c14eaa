//! Search macros: `` `name` `` and `` `name(arg1, arg2)` `` expanded textually before
//! parsing, as Splunk does. A macro with N arguments is registered as `name(N)`;
//! `$arg$` in its definition is replaced by the argument text.

use crate::ast::Span;
use crate::error::ParseError;
use serde::Deserialize;
use std::collections::HashMap;

/// Expansion stops with an error past this depth (a macro calling itself, directly or not).
pub const MAX_MACRO_DEPTH: usize = 32;

/// Largest expanded text accepted (macros calling each other twice grow exponentially).
pub const MAX_EXPANDED_BYTES: usize = 4 << 20;

/// One macro definition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct MacroDef {
    /// Name without the `(N)` suffix.
    pub name: String,
    /// Argument names, referenced as `$name$` in the definition.
    #[serde(default)]
    pub arguments: Vec<String>,
    /// SPL text substituted for the call.
    pub definition: String,
}

/// Errors reading a macro file.
#[derive(Debug, thiserror::Error)]
pub enum MacroLoadError {
    /// A line is not a `{name, arguments, definition}` object.
    #[error("macro file line {line}: {source}")]
    Json {
        /// 1-based line number.
        line: usize,
        /// The JSON error.
        source: serde_json::Error,
    },
}

/// The set of macros a search may call, keyed like Splunk: `name` or `name(N)`.
#[derive(Debug, Clone, Default)]
pub struct MacroTable {
    macros: HashMap<String, MacroDef>,
}

fn key(name: &str, arity: usize) -> String {
    if arity == 0 {
        name.to_string()
    } else {
        format!("{name}({arity})")
    }
}

impl MacroTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `{name, arguments, definition}` objects, one per line (blank lines skipped).
    pub fn from_ndjson(text: &str) -> Result<Self, MacroLoadError> {
        let mut t = MacroTable::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let def: MacroDef =
                serde_json::from_str(line).map_err(|source| MacroLoadError::Json {
                    line: i + 1,
                    source,
                })?;
            t.insert(def);
        }
        Ok(t)
    }

    /// Adds or replaces a macro (`name` may already carry a `(N)` suffix, which is dropped).
    pub fn insert(&mut self, mut def: MacroDef) {
        if let Some(i) = def.name.find('(') {
            def.name.truncate(i);
        }
        self.macros.insert(key(&def.name, def.arguments.len()), def);
    }

    /// Convenience for tests and config: define `name` with argument names and a body.
    pub fn define(&mut self, name: &str, arguments: &[&str], definition: &str) {
        self.insert(MacroDef {
            name: name.to_string(),
            arguments: arguments.iter().map(|s| s.to_string()).collect(),
            definition: definition.to_string(),
        });
    }

    /// Looks a macro up by name and number of arguments.
    pub fn get(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        self.macros.get(&key(name, arity))
    }

    /// Number of macros.
    pub fn len(&self) -> usize {
        self.macros.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.macros.is_empty()
    }
}

/// Replaces every macro call in `text` (outside quoted strings and ```` ``` ```` comments)
/// by its definition, recursively. Errors carry the span of the call in `text`.
pub fn expand_macros(text: &str, macros: &MacroTable) -> Result<String, ParseError> {
    let mut budget = MAX_EXPANDED_BYTES;
    expand(text, macros, 0, &mut budget).map_err(|e| match e {
        Expand::Here(err) => err,
        Expand::Nested { span, message } => ParseError::new(text, span, message, vec![]),
    })
}

enum Expand {
    /// Error located in the text being expanded.
    Here(ParseError),
    /// Error inside a definition: reported at the outermost call.
    Nested { span: Span, message: String },
}

/// `budget` is shared by the whole expansion, so the total work is bounded too.
fn expand(
    text: &str,
    macros: &MacroTable,
    depth: usize,
    budget: &mut usize,
) -> Result<String, Expand> {
    if !text.contains('`') {
        return Ok(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'\\' => i += 2,
            b'`' if bytes[i..].starts_with(b"```") => {
                // A comment: copy it untouched (the parser blanks it).
                match text[i + 3..].find("```") {
                    Some(j) => i = i + 3 + j + 3,
                    None => i = bytes.len(),
                }
            }
            b'`' => {
                let start = i;
                let Some(len) = text[i + 1..].find('`') else {
                    return Err(Expand::Here(ParseError::new(
                        text,
                        Span::new(start, text.len()),
                        "unclosed macro call: expected closing `",
                        vec!["`".into()],
                    )));
                };
                let end = i + 1 + len + 1;
                let span = Span::new(start, end);
                let call = &text[i + 1..end - 1];
                let body = call_body(text, call, span, macros).map_err(Expand::Here)?;
                if depth >= MAX_MACRO_DEPTH {
                    return Err(Expand::Here(ParseError::new(
                        text,
                        span,
                        format!("macro expansion deeper than {MAX_MACRO_DEPTH} levels (recursive macro?)"),
                        vec![],
                    )));
                }
                // Errors inside a definition are reported at the outermost call, naming
                // the innermost macro where they occurred.
                let inner = expand(&body, macros, depth + 1, budget).map_err(|e| match e {
                    Expand::Here(err) => Expand::Nested {
                        span,
                        message: format!("in macro `{}`: {}", call.trim(), err.message),
                    },
                    Expand::Nested { message, .. } => Expand::Nested { span, message },
                })?;
                out.push_str(&text[copied..start]);
                out.push_str(&inner);
                *budget = budget.saturating_sub(inner.len());
                if *budget == 0 || out.len() > MAX_EXPANDED_BYTES {
                    return Err(Expand::Here(ParseError::new(
                        text,
                        span,
                        format!("macro expansion larger than {MAX_EXPANDED_BYTES} bytes"),
                        vec![],
                    )));
                }
                copied = end;
                i = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[copied.min(text.len())..]);
    Ok(out)
}

/// Resolves one call (`name` or `name(a, b)`) to its substituted definition.
fn call_body(
    text: &str,
    call: &str,
    span: Span,
    macros: &MacroTable,
) -> Result<String, ParseError> {
    let trimmed = call.trim();
    let (name, args) = match trimmed.find('(') {
        Some(p) if trimmed.ends_with(')') => {
            let name = trimmed[..p].trim();
            let inner = &trimmed[p + 1..trimmed.len() - 1];
            (name, split_args(inner))
        }
        _ => (trimmed, Vec::new()),
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if !valid {
        return Err(ParseError::new(
            text,
            span,
            format!("invalid macro call `{trimmed}`"),
            vec!["a macro name".into()],
        ));
    }
    let Some(def) = macros.get(name, args.len()) else {
        let shown = if args.is_empty() {
            name.to_string()
        } else {
            format!("{name}({})", args.len())
        };
        return Err(ParseError::new(
            text,
            span,
            format!("unknown macro `{shown}`"),
            vec!["a defined macro".into()],
        ));
    };
    let mut body = def.definition.clone();
    for (param, arg) in def.arguments.iter().zip(&args) {
        body = body.replace(&format!("${param}$"), arg);
    }
    Ok(body)
}

/// Splits macro arguments at top-level commas (quotes and parentheses respected).
fn split_args(inner: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut in_str = false;
    let mut cur = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_str => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                continue;
            }
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => depth = depth.saturating_sub(1),
            ',' if !in_str && depth == 0 => {
                args.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() || !args.is_empty() {
        args.push(cur.trim().to_string());
    }
    args
}
