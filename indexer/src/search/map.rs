//! `… | map search="search host=$host$" maxsearches=N` (or `map [search host=$host$]`, the
//! subsearch kept as text by the parser as the quoted form is): the commands before `map` run first
//! (as a subsearch), then the search once per row of theirs, `$field$` replaced by the row's
//! value, at most `maxsearches` times; their rows, in order, are what `map` gives the rest of
//! the pipeline. Every search runs through the planner in the caller's scope, time range,
//! limits and guard, one level deeper, so a map inside a map is bounded like any subsearch.

use super::subsearch::{run_rows, Frame};
use super::SearchError;
use loupe_query::{CommandKind, Opts, Pipeline, PlanError, Row, RowBatch};

/// Splunk's default `maxsearches`.
const DEFAULT_SEARCHES: usize = 10;

/// Runs the `map` of `pipeline` (the first one) and leaves it as the pipeline's first command,
/// the commands before it gone; its rows come back, for position 0.
pub(crate) fn expand(
    pipeline: &mut Pipeline,
    frame: &Frame<'_>,
) -> Result<Option<RowBatch>, SearchError> {
    let Some(i) = pipeline.commands.iter().position(|c| c.name == "map") else {
        return Ok(None);
    };
    let cmd = &pipeline.commands[i];
    let CommandKind::Args(a) = &cmd.kind else {
        return Err(PlanError::at(
            cmd,
            "expects map search=\"…\" or map [search …], then [maxsearches=N]",
        )
        .into());
    };
    let plan_error = |message: String| SearchError::from(PlanError::at(cmd, message));
    let mut o = Opts::new(cmd, &a.options);
    let search = match (o.take("search"), a.fields.as_slice()) {
        (Some(s), []) => s.to_string(),
        (None, [s]) => s.clone(),
        _ => {
            return Err(plan_error(
                "needs one search: map search=\"…\" or map [search …]".into(),
            ))
        }
    };
    let max = o.take_usize("maxsearches")?.unwrap_or(DEFAULT_SEARCHES);
    o.done()?;
    if a.count.is_some() {
        return Err(plan_error("unexpected number (use maxsearches=)".into()));
    }
    let bound = frame.limits.max_subsearch_results;
    if max > bound {
        return Err(plan_error(format!(
            "maxsearches={max} is above the {bound} a search may run (limit max_subsearch_results)"
        )));
    }
    let deeper = Frame {
        depth: frame.depth + 1,
        ..*frame
    };
    let inputs = if i == 0 {
        vec![Row::new()]
    } else {
        let prefix = Pipeline {
            commands: pipeline.commands[..i].to_vec(),
            span: pipeline.span,
        };
        run_rows(&prefix, &deeper, max)?
    };
    let limit = frame.limits.max_subsearch_rows;
    let mut out = Vec::new();
    for row in inputs.iter().take(max) {
        frame.guard.check()?;
        let text = substitute(&search, row);
        let sub = loupe_query::parse(&text)
            .map_err(|e| plan_error(format!("the search {text:?} does not parse: {e}")))?;
        out.extend(run_rows(&sub, &deeper, limit)?);
        if out.len() > limit {
            return Err(plan_error(format!(
                "its searches returned more than {limit} rows (limit max_subsearch_rows)"
            )));
        }
    }
    pipeline.commands.drain(..i);
    Ok(Some(out))
}

/// `$field$` replaced by the row's value (nothing when it has none), `$$` by `$`: the
/// substitution of dashboards' tokens, with the row for tokens.
fn substitute(search: &str, row: &Row) -> String {
    loupe_meta::dashboard::substitute(search, |name| {
        Some(
            row.get(name)
                .map(loupe_query::row::text)
                .unwrap_or_default(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use loupe_query::Value;

    #[test]
    fn fields_between_dollars_take_the_rows_values() {
        let row = Row::from_pairs([("host", Value::Str("web-1".into())), ("n", Value::Int(3))]);
        assert_eq!(
            substitute(
                "search host=\"$host$\" n>$n$ cost=$$5 $missing$ a $ b",
                &row
            ),
            "search host=\"web-1\" n>3 cost=$5  a $ b"
        );
    }
}
