//! Real-world corpus: the 1,711 detection searches of Splunk Security Content must all
//! parse after macro expansion, and survive a print/parse round trip unchanged.

use loupe_query::{
    expand_macros, parse, unsupported_functions, CommandKind, Evaluator, Expr, MacroTable, Pipeline,
};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    match std::env::var("LOUPE_SHARED_DATA") {
        Ok(d) => PathBuf::from(d),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    }
}

/// The corpus macros, plus the few the searches call that Security Content keeps
/// elsewhere: every detection's `<name>_filter` (empty by default: `search *`) and the
/// CIM/ES apps' `drop_dm_object_name(1)`, `cim_corporate_web_domain_search(1)` and
/// `get_asset(1)` (simplified, same shape).
fn macro_table() -> MacroTable {
    let text = std::fs::read_to_string(data_dir().join("spl/security_content_macros.ndjson"))
        .expect("read macros");
    let mut t = MacroTable::from_ndjson(&text).expect("parse macros");
    t.define("drop_dm_object_name", &["object"], "rename $object$.* AS *");
    t.define(
        "cim_corporate_web_domain_search",
        &["domain"],
        "$domain$ IN (\"*example.com\")",
    );
    t.define(
        "get_asset",
        &["field"],
        "lookup update=true asset_lookup_by_str asset AS $field$ OUTPUTNEW priority AS $field$_priority",
    );
    t
}

/// Reads the corpus and expands its macros; a search's own `<name>_filter` macro is
/// defined on first use as Security Content ships it (`search *`).
fn expanded_corpus() -> Vec<(String, String)> {
    let mut t = macro_table();
    let text = std::fs::read_to_string(data_dir().join("spl/security_content_searches.ndjson"))
        .expect("read searches");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let name = v["name"].as_str().unwrap_or_default().to_string();
        let search = v["search"].as_str().unwrap_or_default();
        let expanded = loop {
            match expand_macros(search, &t) {
                Ok(x) => break x,
                Err(e) => {
                    let missing = e
                        .message
                        .strip_prefix("unknown macro `")
                        .and_then(|m| m.strip_suffix('`'))
                        .filter(|m| m.ends_with("_filter"))
                        .map(str::to_string);
                    match missing {
                        Some(m) => t.define(&m, &[], "search *"),
                        None => panic!("macro expansion of {name:?}: {e}"),
                    }
                }
            }
        };
        out.push((name, expanded));
    }
    out
}

fn typed_only(p: &Pipeline) -> bool {
    let mut ok = true;
    p.walk_commands(&mut |c| {
        if matches!(c.kind, CommandKind::Generic { .. }) {
            ok = false;
        }
    });
    ok
}

#[test]
fn every_corpus_search_parses() {
    let corpus = expanded_corpus();
    assert_eq!(corpus.len(), 1711);
    let mut failures = Vec::new();
    let mut supported = 0;
    let mut generic: BTreeMap<String, usize> = BTreeMap::new();
    let mut functions: BTreeMap<String, usize> = BTreeMap::new();
    let mut expressions = 0;
    let mut rejected: Vec<String> = Vec::new();
    for (name, text) in &corpus {
        match parse(text) {
            Ok(p) => {
                if typed_only(&p) {
                    supported += 1;
                }
                p.walk_commands(&mut |c| {
                    if matches!(c.kind, CommandKind::Generic { .. }) {
                        *generic.entry(c.name.clone()).or_default() += 1;
                    }
                });
                for f in unsupported_functions(&p) {
                    *functions.entry(f).or_default() += 1;
                }
                // Every top-level eval/where expression should pass the evaluator's checks
                // (known functions, arities, regexes the regex crate accepts).
                let mut tops: Vec<&Expr> = Vec::new();
                p.walk_commands(&mut |c| match &c.kind {
                    CommandKind::Where(e) => tops.push(e),
                    CommandKind::Eval(v) => tops.extend(v.iter().map(|(_, e)| e)),
                    _ => {}
                });
                for e in tops {
                    expressions += 1;
                    if let Err(err) = Evaluator::new(e) {
                        rejected.push(format!("{name}: {err}"));
                    }
                }
            }
            Err(e) => failures.push(format!("{name}: {e}\n    {}", excerpt(text, e.span.start))),
        }
    }
    let mut by_count: Vec<_> = generic.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!(
        "parsed {}/{}; {} use only typed commands; generic commands: {:?}",
        corpus.len() - failures.len(),
        corpus.len(),
        supported,
        by_count
    );
    println!("eval functions Loupe cannot evaluate (searches using them): {functions:?}");
    println!(
        "{} of {expressions} eval/where expressions rejected by the evaluator's checks",
        rejected.len()
    );
    for r in rejected.iter().take(20) {
        println!("  {r}");
    }
    for f in failures.iter().take(40) {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} searches failed to parse",
        failures.len()
    );
}

fn excerpt(text: &str, at: usize) -> String {
    let mut s = at.saturating_sub(60);
    while !text.is_char_boundary(s) {
        s -= 1;
    }
    let mut e = (at + 60).min(text.len());
    while !text.is_char_boundary(e) {
        e += 1;
    }
    format!("{} <<HERE>> {}", &text[s..at.max(s)], &text[at.max(s)..e]).replace('\n', " ")
}

#[test]
fn corpus_round_trip() {
    let corpus = expanded_corpus();
    let mut failures = Vec::new();
    // Set LOUPE_QUERY_DUMP=<file> to inspect the canonical form of every search.
    let mut dump = String::new();
    for (name, text) in &corpus {
        let Ok(mut first) = parse(text) else { continue };
        let printed = first.to_string();
        dump.push_str(&format!("{name}\n  {printed}\n"));
        match parse(&printed) {
            Ok(mut second) => {
                first.strip_spans();
                second.strip_spans();
                if first != second {
                    failures.push(format!("{name}: AST differs\n  printed: {printed}"));
                } else if second.to_string() != printed {
                    failures.push(format!(
                        "{name}: printing is not stable\n  printed: {printed}"
                    ));
                }
            }
            Err(e) => failures.push(format!(
                "{name}: reprint does not parse: {e}\n  {}",
                excerpt(&printed, e.span.start)
            )),
        }
    }
    if let Ok(path) = std::env::var("LOUPE_QUERY_DUMP") {
        std::fs::write(path, dump).expect("write dump");
    }
    for f in failures.iter().take(20) {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} round-trip failures",
        failures.len()
    );
}
