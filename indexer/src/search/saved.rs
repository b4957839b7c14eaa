//! A search that starts by naming another object runs that object in its place:
//! `| savedsearch NAME` and `| from savedsearch:NAME` the saved search's query (with its time
//! range), `| from lookup:NAME` the lookup table (as `| inputlookup NAME`). The replacement is
//! made before anything else is planned, so the lookup grant, the index scope and every
//! limit apply to it exactly as if its text had been typed.

use super::subsearch::Frame;
use super::SearchError;
use loupe_query::{CommandKind, InputlookupCmd, Pipeline, PlanError, SearchExpr, Span, TimeBound};

/// Saved searches that name saved searches are followed this deep, no deeper (a loop stops).
const MAX_NESTED: usize = 5;

/// What a leading `from` or `savedsearch` stands for.
enum Named {
    Saved(String),
    Lookup(String),
}

/// Replaces a leading `savedsearch`/`from` of `pipeline` by what it names; a later one is an error.
pub(crate) fn expand(pipeline: &mut Pipeline, frame: &Frame<'_>) -> Result<(), SearchError> {
    for cmd in pipeline.commands.iter().skip(1) {
        if matches!(cmd.name.as_str(), "savedsearch" | "from") {
            return Err(PlanError::at(
                cmd,
                format!("generates results: it must come first (`| {} …`)", cmd.name),
            )
            .into());
        }
    }
    for _ in 0..=MAX_NESTED {
        let Some(first) = pipeline.commands.first() else {
            return Ok(());
        };
        let named = match (&first.kind, first.name.as_str()) {
            (CommandKind::Generic { args }, "savedsearch") => {
                let name = args.trim().trim_matches('"').to_string();
                if name.is_empty() {
                    return Err(PlanError::at(first, "needs the name of a saved search").into());
                }
                Named::Saved(name)
            }
            (CommandKind::Args(a), "from") => {
                if a.count.is_some() || !a.options.is_empty() {
                    return Err(PlanError::at(
                        first,
                        "expects one dataset: from lookup:<table> or from savedsearch:<name>",
                    )
                    .into());
                }
                let target = a.fields.join(" ");
                match target.split_once(':') {
                    Some((kind, name)) if kind.eq_ignore_ascii_case("lookup") => {
                        Named::Lookup(name.trim_matches('"').to_string())
                    }
                    Some((kind, name)) if kind.eq_ignore_ascii_case("savedsearch") => {
                        Named::Saved(name.trim_matches('"').to_string())
                    }
                    _ if target.to_ascii_lowercase().starts_with("datamodel") => {
                        return Err(PlanError::at(
                            first,
                            format!("data models are not supported ({target})"),
                        )
                        .into())
                    }
                    _ => {
                        return Err(PlanError::at(
                            first,
                            format!(
                                "unsupported dataset {target} (from lookup:<table> or from savedsearch:<name>)"
                            ),
                        )
                        .into())
                    }
                }
            }
            _ => return Ok(()),
        };
        let span = first.span;
        let replacement = match named {
            Named::Lookup(table) => vec![loupe_query::Command {
                name: "inputlookup".into(),
                kind: CommandKind::Inputlookup(InputlookupCmd {
                    table,
                    options: Vec::new(),
                    filter: None,
                }),
                span,
            }],
            Named::Saved(name) => {
                saved_commands(&name, span, frame).map_err(|message| PlanError {
                    message: format!("{}: {message}", first.name),
                    span: Some(span),
                })?
            }
        };
        pipeline.commands.splice(0..1, replacement);
    }
    Err(PlanError {
        message: format!("saved searches name saved searches more than {MAX_NESTED} levels deep"),
        span: pipeline.commands.first().map(|c| c.span),
    }
    .into())
}

/// The commands of saved search `name`, its time range written into its base search; every
/// command points at `span` (the text they come from is not the query's).
fn saved_commands(
    name: &str,
    span: Span,
    frame: &Frame<'_>,
) -> Result<Vec<loupe_query::Command>, String> {
    let objects = frame
        .objects
        .ok_or_else(|| "no saved searches here (run it on a server)".to_string())?;
    let saved = objects
        .0
        .saved_searches()
        .map_err(|e| format!("cannot read the saved searches: {e}"))?
        .into_iter()
        .map(|s| s.search)
        .find(|s| s.name == name)
        .ok_or_else(|| format!("no saved search named {name:?}"))?;
    let text = loupe_query::expand_macros(&saved.query, frame.macros)
        .map_err(|e| format!("saved search {name:?}: {e}"))?;
    let mut p = loupe_query::parse(&text).map_err(|e| format!("saved search {name:?}: {e}"))?;
    p.strip_spans();
    for c in &mut p.commands {
        c.span = span;
    }
    let bounds = [
        (TimeBound::Earliest, saved.earliest),
        (TimeBound::Latest, saved.latest),
    ];
    if let Some(CommandKind::Search(expr)) = p.commands.first_mut().map(|c| &mut c.kind) {
        let mut items: Vec<SearchExpr> = bounds
            .into_iter()
            .filter_map(|(bound, value)| {
                value.map(|value| SearchExpr::TimeBound { bound, value, span })
            })
            .collect();
        if !items.is_empty() {
            items.push(std::mem::replace(expr, SearchExpr::All));
            *expr = SearchExpr::And(items);
        }
    }
    Ok(p.commands)
}
