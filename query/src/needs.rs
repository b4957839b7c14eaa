//! Needed-field analysis: which fields of an event a pipeline can ever look at, so the
//! storage layer skips what nobody reads (search-time extraction, indexed-field JSON).
//!
//! The analysis is conservative: a command it does not understand, a wildcard, or a
//! pipeline whose rows leave without a transforming command (events shown to a user,
//! who expects every field) gives [`FieldNeeds::All`]. Only a pipeline that ends its
//! event phase with `stats`/`chart`/`timechart`/`top`/`rare`/`table`/`fields` and
//! names every field it touches gets a [`FieldNeeds::Only`].
//!
//! It also tells which leading commands are row-local ([`row_local_prefix`]): those
//! can run on several threads over separate batches, before the order-sensitive rest.
//!
//! ```
//! use loupe_query::{parse, needs::{event_fields, FieldNeeds}};
//! let p = parse(r#"error | rex "from (?<ip>[0-9.]+)" | stats count by ip"#).unwrap();
//! match event_fields(&p.commands) {
//!     FieldNeeds::Only(f) => assert!(f.contains("_raw") && f.contains("ip")),
//!     FieldNeeds::All => unreachable!(),
//! }
//! ```

use crate::ast::{Command, CommandKind, Expr, SearchExpr, SortKey};
use std::collections::BTreeSet;

/// Which event fields a pipeline reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldNeeds {
    /// Everything: the rows are shown as events, or a command's inputs are not known.
    All,
    /// Only these names (before any renaming); fields created unconditionally by `eval`
    /// earlier in the pipeline are left out, fields a `rex` may fail to set are kept.
    Only(BTreeSet<String>),
}

impl FieldNeeds {
    /// True when the field may be read.
    pub fn wants(&self, name: &str) -> bool {
        match self {
            FieldNeeds::All => true,
            FieldNeeds::Only(set) => set.contains(name),
        }
    }
}

/// Collects the fields an event phase reads; `None` once the answer is "everything".
struct Collector {
    read: BTreeSet<String>,
    defined: BTreeSet<String>,
}

impl Collector {
    fn field(&mut self, name: &str) -> Option<()> {
        if name.contains('*') {
            return None;
        }
        if !self.defined.contains(name) {
            self.read.insert(name.to_string());
        }
        Some(())
    }

    fn fields<'a>(&mut self, names: impl IntoIterator<Item = &'a String>) -> Option<()> {
        for n in names {
            self.field(n)?;
        }
        Some(())
    }

    fn expr(&mut self, e: &Expr) -> Option<()> {
        let mut ok = true;
        e.walk(&mut |e| {
            if let Expr::Field { name, .. } = e {
                ok &= self.field(name).is_some();
            }
        });
        ok.then_some(())
    }

    fn search(&mut self, s: &SearchExpr) -> Option<()> {
        match s {
            SearchExpr::All | SearchExpr::TimeBound { .. } => Some(()),
            SearchExpr::And(items) | SearchExpr::Or(items) => {
                items.iter().try_for_each(|i| self.search(i))
            }
            SearchExpr::Not(inner) => self.search(inner),
            SearchExpr::Term { .. } | SearchExpr::Phrase { .. } => self.field("_raw"),
            SearchExpr::Field { field, .. } | SearchExpr::FieldIn { field, .. } => {
                self.field(field)
            }
            SearchExpr::Subsearch { .. } => None,
        }
    }

    fn sort_keys(&mut self, keys: &[SortKey]) -> Option<()> {
        keys.iter().try_for_each(|k| self.field(&k.field))
    }

    /// Accounts for one command; `Some(true)` when it closes the event phase.
    fn command(&mut self, c: &Command) -> Option<bool> {
        match &c.kind {
            CommandKind::Search(s) => self.search(s)?,
            CommandKind::Where(e) => self.expr(e)?,
            CommandKind::Eval(assignments) => {
                for (name, e) in assignments {
                    self.expr(e)?;
                    self.defined.insert(name.clone());
                }
            }
            CommandKind::Rex(r) => self.field(r.field.as_deref().unwrap_or("_raw"))?,
            CommandKind::Regex(r) => self.field(r.field.as_deref().unwrap_or("_raw"))?,
            CommandKind::Spath(s) => self.field(s.input.as_deref().unwrap_or("_raw"))?,
            CommandKind::Fields(f) if f.remove => {}
            CommandKind::Fields(f) => {
                self.fields(&f.fields)?;
                // `fields` keeps the internal fields: `_raw` is still shown.
                self.field("_raw")?;
                return Some(true);
            }
            CommandKind::Table(fields) => {
                self.fields(fields)?;
                return Some(true);
            }
            CommandKind::Rename(pairs) => {
                for (from, _) in pairs {
                    self.field(from)?;
                }
            }
            CommandKind::Sort(s) => self.sort_keys(&s.keys)?,
            CommandKind::Head(h) => {
                if let Some(e) = &h.expr {
                    self.expr(e)?;
                }
            }
            CommandKind::Tail(_) => {}
            CommandKind::Dedup(d) => {
                self.fields(&d.fields)?;
                self.sort_keys(&d.sortby)?;
            }
            CommandKind::Stats(s) => {
                self.aggs(&s.funcs)?;
                self.fields(&s.by)?;
                return Some(true);
            }
            CommandKind::Eventstats(s) | CommandKind::Streamstats(s) => {
                self.aggs(&s.funcs)?;
                self.fields(&s.by)?;
            }
            CommandKind::Chart(s) => {
                self.aggs(&s.funcs)?;
                self.fields(&s.by)?;
                self.fields(&s.over)?;
                return Some(true);
            }
            CommandKind::Timechart(s) => {
                self.aggs(&s.funcs)?;
                self.fields(&s.by)?;
                self.field("_time")?;
                return Some(true);
            }
            CommandKind::Top(t) | CommandKind::Rare(t) => {
                self.fields(&t.fields)?;
                self.fields(&t.by)?;
                return Some(true);
            }
            CommandKind::Bin(b) => self.field(&b.field)?,
            CommandKind::Fillnull(f) if !f.fields.is_empty() => self.fields(&f.fields)?,
            CommandKind::Lookup(l) => {
                for m in &l.inputs {
                    self.field(m.alias.as_ref().unwrap_or(&m.field))?;
                }
                // Output fields may keep their event value (no match, OUTPUTNEW): read them too.
                let out = l.output.as_ref()?;
                if out.fields.is_empty() {
                    return None;
                }
                for m in &out.fields {
                    self.field(m.alias.as_ref().unwrap_or(&m.field))?;
                }
            }
            CommandKind::Mvexpand(m) => self.field(&m.field)?,
            CommandKind::Makemv(m) => self.field(&m.field)?,
            CommandKind::Convert(cv) => {
                for conv in &cv.conversions {
                    self.field(&conv.field)?;
                }
            }
            _ => return None,
        }
        Some(false)
    }

    fn aggs(&mut self, funcs: &[crate::ast::AggCall]) -> Option<()> {
        for a in funcs {
            if let Some(e) = &a.arg {
                self.expr(e)?;
            }
            // `earliest(x)`/`latest(x)`/`first`/`last` order by time or arrival, not by a field.
            if matches!(
                a.func.as_str(),
                "earliest" | "latest" | "per_second" | "rate"
            ) {
                self.field("_time")?;
            }
        }
        Some(())
    }
}

/// The event fields that `commands` (the base search first) can read.
pub fn event_fields(commands: &[Command]) -> FieldNeeds {
    let mut c = Collector {
        read: BTreeSet::new(),
        defined: BTreeSet::new(),
    };
    for cmd in commands {
        match c.command(cmd) {
            None => return FieldNeeds::All,
            Some(true) => return FieldNeeds::Only(c.read),
            Some(false) => {}
        }
    }
    // Rows leave as events: a user sees every field.
    FieldNeeds::All
}

/// The fields one command reads from the rows it gets; `None` when it may read any
/// (wildcards, commands the analysis does not model). What `loupe explain` shows per operator.
pub fn command_fields(cmd: &Command) -> Option<BTreeSet<String>> {
    let mut c = Collector {
        read: BTreeSet::new(),
        defined: BTreeSet::new(),
    };
    c.command(cmd)?;
    Some(c.read)
}

/// True for commands that transform each row on its own, with no state across rows and no
/// effect on order or count beyond dropping or expanding single rows: they may run in
/// parallel over separate batches.
pub fn is_row_local(c: &Command) -> bool {
    match &c.kind {
        CommandKind::Search(s) => !has_subsearch(s),
        CommandKind::Where(_)
        | CommandKind::Eval(_)
        | CommandKind::Rex(_)
        | CommandKind::Regex(_)
        | CommandKind::Spath(_)
        | CommandKind::Fields(_)
        | CommandKind::Rename(_)
        | CommandKind::Lookup(_)
        | CommandKind::Mvexpand(_)
        | CommandKind::Makemv(_)
        | CommandKind::Convert(_) => true,
        CommandKind::Fillnull(f) => !f.fields.is_empty(),
        _ => false,
    }
}

fn has_subsearch(s: &SearchExpr) -> bool {
    let mut found = false;
    s.walk_subsearches(&mut |_| found = true);
    found
}

/// How many leading commands of `commands` are row-local.
pub fn row_local_prefix(commands: &[Command]) -> usize {
    commands.iter().take_while(|c| is_row_local(c)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn needs(q: &str) -> FieldNeeds {
        event_fields(&parse(q).expect("query parses").commands)
    }

    fn only(names: &[&str]) -> FieldNeeds {
        FieldNeeds::Only(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn stats_after_rex_reads_raw_and_the_captured_field() {
        assert_eq!(
            needs(r#"* | rex "from (?<ip>[0-9.]+)" | stats count by ip"#),
            only(&["_raw", "ip"])
        );
    }

    #[test]
    fn eval_outputs_are_not_read_from_the_event() {
        assert_eq!(
            needs("status>=500 | eval slow=if(bytes>100,1,0) | stats sum(slow) by host"),
            only(&["bytes", "host", "status"])
        );
    }

    #[test]
    fn events_shown_as_such_need_every_field() {
        assert_eq!(needs("error | head 10"), FieldNeeds::All);
        assert_eq!(needs(r#"error | rex "(?<x>\d+)""#), FieldNeeds::All);
    }

    #[test]
    fn wildcards_and_unknown_commands_need_every_field() {
        assert_eq!(needs("* | table host, user*"), FieldNeeds::All);
        assert_eq!(needs("* | transaction host | stats count"), FieldNeeds::All);
        assert_eq!(needs("* | stats count by x*"), FieldNeeds::All);
        assert_eq!(
            needs("* | lookup batchs.csv chemin_logs AS source | stats count by client"),
            FieldNeeds::All
        );
    }

    #[test]
    fn lookup_outputs_are_read_as_they_may_stay_unchanged() {
        assert_eq!(
            needs("* | lookup batchs chemin_logs AS source OUTPUT client | stats count by client"),
            only(&["client", "source"])
        );
    }

    #[test]
    fn timechart_and_earliest_read_time() {
        assert_eq!(
            needs("* | timechart span=1h count by host"),
            only(&["_time", "host"])
        );
        assert_eq!(
            needs("* | stats latest(status) as s"),
            only(&["_time", "status"])
        );
    }

    #[test]
    fn each_command_names_what_it_reads() {
        let p =
            parse(r#"* | rex field=uri "(?<a>\d)" | eval b=a+x | stats sum(b) by host | table *"#)
                .expect("parses");
        let f =
            |i: usize| command_fields(&p.commands[i]).map(|s| s.into_iter().collect::<Vec<_>>());
        assert_eq!(f(1), Some(vec!["uri".to_string()]));
        assert_eq!(f(2), Some(vec!["a".to_string(), "x".to_string()]));
        assert_eq!(f(3), Some(vec!["b".to_string(), "host".to_string()]));
        assert_eq!(f(4), None);
    }

    #[test]
    fn row_local_prefix_stops_at_the_first_stateful_command() {
        let p = parse(r#"* | rex "(?<a>\d)" | eval b=a+1 | where b>2 | head 5 | eval c=1"#)
            .expect("parses");
        assert_eq!(row_local_prefix(&p.commands[1..]), 3);
        let p = parse("* | sort x | eval c=1").expect("parses");
        assert_eq!(row_local_prefix(&p.commands[1..]), 0);
    }
}
