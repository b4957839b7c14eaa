//! `tstats` as the search it stands for: Splunk answers it from index-time summaries, and
//! Loupe's own summaries and pushdown already answer `search … | stats …`, so a leading
//! `tstats <aggs> WHERE <search> BY <fields>` is planned as exactly that, with `BY _time
//! span=S` binning time first. Whatever the rewritten search can do fast (counts by `host`,
//! `source`, `sourcetype`, `index` from bucket summaries) `tstats` gets too.

use crate::ast::{BinCmd, CmdOption, Command, CommandKind, Pipeline, SearchExpr, StatsCmd};
use crate::plan::{Opts, PlanError};

/// Replaces a leading `tstats` of `pipeline` by its `search`, `bin` and `stats`; returns the
/// notes `explain` shows about options that change nothing in Loupe. A `tstats` elsewhere, or
/// one reading a data model, is an error naming it.
pub fn expand(pipeline: &mut Pipeline) -> Result<Vec<String>, PlanError> {
    let Some(pos) = pipeline
        .commands
        .iter()
        .position(|c| matches!(c.kind, CommandKind::Tstats(_)))
    else {
        return Ok(Vec::new());
    };
    let cmd = &pipeline.commands[pos];
    if pos != 0 {
        return Err(PlanError::at(
            cmd,
            "generates results: it must come first (`| tstats …`)",
        ));
    }
    let CommandKind::Tstats(t) = &cmd.kind else {
        return Ok(Vec::new());
    };
    if let Some(model) = &t.datamodel {
        return Err(PlanError::at(
            cmd,
            format!(
                "data models are not supported (FROM datamodel={model}); name the events with WHERE index=… sourcetype=… instead"
            ),
        ));
    }
    let mut o = Opts::new(cmd, &t.options);
    let mut notes = Vec::new();
    // The rows are the final ones either way: a `stats` after it sees what it expects to.
    o.take_bool("prestats", false)?;
    for key in ["summariesonly", "allow_old_summaries"] {
        if o.take(key).is_some() {
            notes.push(format!(
                "tstats: {key}= is ignored: Loupe keeps no data-model summaries, the events are read from the index"
            ));
        }
    }
    let span = o.take("span").map(str::to_string);
    o.done()?;
    if span.is_some() && !t.by.iter().any(|f| f == "_time") {
        return Err(PlanError::at(cmd, "span= needs _time among the BY fields"));
    }
    let at = |name: &str, kind: CommandKind| Command {
        name: name.to_string(),
        kind,
        span: cmd.span,
    };
    let mut expanded = vec![at(
        "search",
        CommandKind::Search(t.filter.clone().unwrap_or(SearchExpr::All)),
    )];
    if let Some(span) = span {
        expanded.push(at(
            "bin",
            CommandKind::Bin(BinCmd {
                field: "_time".into(),
                alias: None,
                options: vec![CmdOption::new("span", span)],
            }),
        ));
    }
    expanded.push(at(
        "stats",
        CommandKind::Stats(StatsCmd {
            funcs: t.funcs.clone(),
            by: t.by.clone(),
            options: Vec::new(),
        }),
    ));
    pipeline.commands.splice(0..1, expanded);
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn expanded(q: &str) -> Result<(String, Vec<String>), PlanError> {
        let mut p = parse(q).expect("parses");
        let notes = expand(&mut p)?;
        Ok((p.to_string(), notes))
    }

    #[test]
    fn tstats_becomes_search_then_stats() {
        let (spl, notes) =
            expanded("| tstats count, dc(source) AS sources where index=main by host").unwrap();
        assert_eq!(
            spl,
            "index=main | stats count, dc(source) AS sources BY host"
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn groupby_is_by() {
        let (spl, _) =
            expanded("| tstats dc(host) AS hosts where index=web groupby source").unwrap();
        assert_eq!(spl, "index=web | stats dc(host) AS hosts BY source");
    }

    #[test]
    fn a_time_span_bins_time_before_the_stats() {
        let (spl, _) = expanded("| tstats count where index=web by _time span=1h host").unwrap();
        assert_eq!(
            spl,
            "index=web | bin span=1h _time | stats count BY _time, host"
        );
    }

    #[test]
    fn summaries_options_are_noted_and_prestats_accepted() {
        let (spl, notes) =
            expanded("| tstats summariesonly=t prestats=t count where index=web").unwrap();
        assert_eq!(spl, "index=web | stats count");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("tstats: summariesonly= is ignored"));
    }

    #[test]
    fn data_models_and_unknown_options_are_refused_with_the_commands_span() {
        let err = expanded("| tstats count from datamodel=Web.Web by Web.dest").unwrap_err();
        assert!(
            err.message
                .starts_with("tstats: data models are not supported (FROM datamodel=Web.Web)"),
            "{}",
            err.message
        );
        assert_eq!(err.span.map(|s| s.start), Some(2));
        let err = expanded("| tstats count fillnull_value=0 where index=web").unwrap_err();
        assert_eq!(err.message, "tstats: unsupported option fillnull_value=");
        let err = expanded("| makeresults | tstats count").unwrap_err();
        assert!(err.message.contains("must come first"), "{}", err.message);
        let err = expanded("| tstats count where index=web by host span=1h").unwrap_err();
        assert!(err.message.contains("span= needs _time"), "{}", err.message);
    }
}
