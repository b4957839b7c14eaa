//! Every example of `docs/spl.md` runs against the shared samples and must print what the doc says.
//!
//! An example is a fenced block tagged `spl` followed by a block tagged `result` holding the
//! expected rows as CSV (header first). Set `LOUPE_DOCS_PRINT=1` to print what each example gives.
//! A second test keeps the page complete: every command, `stats` function and eval
//! function the engine knows must be used by some tested example.

use loupe_e2e::{load_app, load_batch_world, load_web, Server};
use std::collections::BTreeSet;

/// The samples as the docs describe them: `batchs` (with the inventory lookup), `web`, `app`,
/// and the test IP location database for `iplocation`.
fn samples() -> Server {
    let geoip = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/geoip/test-city.mmdb");
    let s = Server::start(&format!("[geoip]\ndatabase = {geoip:?}\n"));
    load_batch_world(&s);
    load_web(&s);
    load_app(&s);
    s.flush();
    s
}

fn csv_cell(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(csv_cell).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn render(answer: &serde_json::Value) -> String {
    let columns: Vec<String> =
        serde_json::from_value(answer["columns"].clone()).unwrap_or_default();
    let mut out = vec![columns.join(",")];
    for row in answer["rows"].as_array().into_iter().flatten() {
        out.push(
            columns
                .iter()
                .map(|c| csv_cell(&row[c]))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    out.join("\n")
}

/// (query, expected) pairs in the order of the document.
fn examples(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    let mut pending: Option<String> = None;
    while let Some(line) = lines.next() {
        let tag = line.trim_start().strip_prefix("```").map(str::trim);
        let Some(tag) = tag.filter(|t| *t == "spl" || *t == "result") else {
            continue;
        };
        let mut body = Vec::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push(l);
        }
        let body = body.join("\n").trim().to_string();
        if tag == "spl" {
            assert!(
                pending.is_none(),
                "an `spl` block without its `result`: {pending:?}"
            );
            pending = Some(body);
        } else {
            let q = pending
                .take()
                .expect("a `result` block without an `spl` block before it");
            out.push((q, body));
        }
    }
    assert!(pending.is_none(), "the last `spl` block has no `result`");
    out
}

fn doc() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/spl.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the tested examples use: command names, aggregation names (canonical), eval functions.
fn used_in_examples(doc: &str) -> BTreeSet<String> {
    use loupe_query::{AggCall, AggFunc, CommandKind, Expr};
    let mut used = BTreeSet::new();
    for (query, _) in examples(doc) {
        let p = loupe_query::parse(&query)
            .unwrap_or_else(|e| panic!("example does not parse: {query}: {e}"));
        p.walk_commands(&mut |c| {
            used.insert(format!("command {}", c.name.to_ascii_lowercase()));
            let aggs: &[AggCall] = match &c.kind {
                CommandKind::Stats(s)
                | CommandKind::Eventstats(s)
                | CommandKind::Streamstats(s) => &s.funcs,
                CommandKind::Chart(s) => &s.funcs,
                CommandKind::Timechart(s) => &s.funcs,
                _ => &[],
            };
            for a in aggs {
                if let Some(f) = AggFunc::parse(&a.func) {
                    used.insert(format!("stats {}", f.name()));
                }
            }
        });
        p.walk_exprs(&mut |e| {
            if let Expr::Call { name, .. } = e {
                used.insert(format!("function {name}"));
            }
        });
    }
    used
}

#[test]
fn docs_spl_md_has_a_tested_example_for_every_command_and_function() {
    let used = used_in_examples(&doc());
    let known = loupe_query::TYPED_COMMANDS
        .iter()
        .map(|c| format!("command {c}"))
        .chain(
            loupe_query::AGG_FUNCTIONS
                .iter()
                .map(|f| format!("stats {f}")),
        )
        .chain(loupe_query::eval_functions().map(|f| format!("function {f}")));
    let missing: Vec<String> = known.filter(|k| !used.contains(k)).collect();
    assert!(
        missing.is_empty(),
        "docs/spl.md has no tested example using: {}",
        missing.join(", ")
    );
}

/// Results equal cell by cell, fractional numbers to 12 significant digits: `stats` runs as
/// per-thread partials merged at the end, and how events fall into buckets and threads changes
/// the order of float sums (`stdev`, `var`) in the last bits.
fn same_result(got: &str, expected: &str) -> bool {
    let (got, expected) = (got.trim(), expected.trim());
    if got == expected {
        return true;
    }
    let (g, e): (Vec<&str>, Vec<&str>) = (got.lines().collect(), expected.lines().collect());
    g.len() == e.len()
        && g.iter().zip(&e).all(|(gl, el)| {
            let (gc, ec): (Vec<&str>, Vec<&str>) =
                (gl.split(',').collect(), el.split(',').collect());
            gc.len() == ec.len()
                && gc.iter().zip(&ec).all(|(a, b)| {
                    a == b
                        || match (a.parse::<f64>(), b.parse::<f64>()) {
                            (Ok(x), Ok(y)) if a.contains('.') && b.contains('.') => {
                                (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
                            }
                            _ => false,
                        }
                })
        })
}

#[test]
fn every_example_in_docs_spl_md_gives_its_documented_result() {
    let doc = doc();
    let examples = examples(&doc);
    assert!(
        examples.len() >= 10,
        "docs/spl.md has {} examples",
        examples.len()
    );
    let s = samples();
    let mut failures = Vec::new();
    for (query, expected) in &examples {
        let (status, answer) = s.search(&query.replace('\n', " "), 1000);
        let got = if status == 200 {
            render(&answer)
        } else {
            format!("HTTP {status}: {answer}")
        };
        if std::env::var("LOUPE_DOCS_PRINT").is_ok() {
            println!("```spl\n{query}\n```\n```result\n{got}\n```\n");
        }
        if !same_result(&got, expected) {
            failures.push(format!(
                "query: {query}\nexpected:\n{expected}\ngot:\n{got}\n"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples differ:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
}
