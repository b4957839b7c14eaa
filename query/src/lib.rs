//! # loupe-query
//!
//! SPL for Loupe, with no storage and no I/O: the text of a search becomes a typed tree
//! that the indexer plans and runs.
//!
//! - [`parse`] turns (macro-expanded) SPL text into a [`Pipeline`]: a list of
//!   [`Command`]s, each with a typed [`CommandKind`] (or `Generic` for commands Loupe
//!   does not model, so the planner can say "unsupported command X").
//! - The base search and `| search` hold a [`SearchExpr`] (terms, phrases,
//!   `field=value`, `IN`, time bounds, subsearches, `NOT`/`OR`/implicit `AND`).
//! - `eval`, `where` and `stats ... eval(...)` hold [`Expr`] trees; an [`Evaluator`]
//!   checks one (functions, arities, regexes) and evaluates it over any [`RowAccess`]
//!   with Splunk's null and number-in-string semantics; [`unsupported_functions`] lists
//!   what a pipeline calls that Loupe cannot evaluate.
//! - Errors are [`ParseError`]s carrying the byte [`Span`] of the offending token and
//!   displaying as "expected X at column N".
//! - `iplocation` reads a MaxMind-format database through a [`Geolocator`] the caller gives
//!   in [`ExecContext`] (this crate opens no file).
//! - [`MacroTable`] and [`expand_macros`] implement `` `macro(args)` `` expansion.
//! - A [`SearchGuard`] (in [`ExecContext`]) carries a search's time limit, cancellation and
//!   memory budget: every operator checks it between batches and charges what it buffers.
//! - [`RawExtraction`] says when a `rex` feeding `stats` may run on each event's stored text
//!   instead of rows (only a match reaches [`GroupedAggs`]), and [`RawExtraction::scan`] does it.
//! - `Display` on [`Pipeline`] prints canonical SPL; parsing it again gives the same tree
//!   once spans are removed with [`Pipeline::strip_spans`].
//!
//! ```
//! use loupe_query::{parse, CommandKind, SearchExpr, CmpOp};
//!
//! let p = parse("error host=web* | stats count by status | sort -count").unwrap();
//! assert_eq!(p.commands.len(), 3);
//! let CommandKind::Search(SearchExpr::And(terms)) = &p.commands[0].kind else { panic!() };
//! assert!(matches!(&terms[0], SearchExpr::Term { text, .. } if text == "error"));
//! assert!(matches!(&terms[1],
//!     SearchExpr::Field { field, op: CmpOp::Eq, value, .. } if field == "host" && value == "web*"));
//! let CommandKind::Stats(stats) = &p.commands[1].kind else { panic!() };
//! assert_eq!(stats.funcs[0].func, "count");
//! assert_eq!(stats.by, vec!["status".to_string()]);
//! assert_eq!(p.commands[2].name, "sort");
//! assert_eq!(p.to_string(), "error host=web* | stats count BY status | sort -count");
//!
//! let err = parse("error | head abc").unwrap_err();
//! assert_eq!(err.to_string(), "expected a number after head, found `abc` at column 14");
//!
//! // Evaluating an eval expression over a row:
//! use loupe_query::{Evaluator, Value};
//! let p = parse(r#"| eval level=if(status >= 500, "error", "ok") . "/" . host"#).unwrap();
//! let CommandKind::Eval(assignments) = &p.commands[0].kind else { panic!() };
//! let ev = Evaluator::new(&assignments[0].1).unwrap();
//! let row: std::collections::HashMap<String, Value> =
//!     [("status".to_string(), Value::Str("503".into())), ("host".into(), Value::Str("web-1".into()))].into();
//! assert_eq!(ev.eval(&row).unwrap(), Value::Str("error/web-1".into()));
//! ```

#![warn(missing_docs)]

pub mod agg;
pub mod ast;
pub mod commands;
pub mod directive;
pub mod error;
pub mod eval;
mod expr;
mod functions;
pub mod geo;
pub mod guard;
mod lexer;
pub mod lookup;
pub mod macros;
pub mod needs;
pub mod ops;
mod parser;
pub mod pcre;
pub mod plan;
mod print;
pub mod row;
pub mod scan;
mod search;
pub mod tstats;

pub use agg::{Agg, AggError, AggFunc, AggSpec, AGG_FUNCTIONS};
pub use ast::*;
pub use commands::{CATALOG_COMMANDS, TYPED_COMMANDS};
pub use error::ParseError;
pub use eval::{
    compile_spl_regex, eval, eval_functions, is_known_function, truthy, unsupported_function_calls,
    unsupported_functions, EvalError, Evaluator, RowAccess,
};
pub use geo::{GeoError, Geolocator, Location};
pub use guard::{GuardPool, SearchGuard, Stop};
pub use lexer::strip_comments;
pub use lookup::{LookupError, LookupProvider, LookupTable, MemoryLookups};
pub use loupe_event::Value;
pub use macros::{expand_macros, MacroDef, MacroLoadError, MacroTable};
pub use ops::stats::GroupedAggs;
pub use parser::parse;
pub use plan::{
    compile, mergeable_stats, run, ExecContext, ExecError, Executor, Limits, Opts, PlanError,
};
pub use row::{Row, RowBatch};
pub use scan::{RawExtraction, RawScan, ScanScratch};
