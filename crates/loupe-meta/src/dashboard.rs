//! Dashboards (`docs/dashboards.md`): inputs that set `$tokens$`, optional base searches shared
//! by panels with post-process searches, and panels on a 12-column grid. One serde shape for
//! the API body, the `dashboards/<id>.json` files of `loupe apply` and the SQLite row, with
//! unknown keys refused so a typo in a file is reported instead of silently ignored.
//!
//! ```
//! use loupe_meta::Dashboard;
//! let d: Dashboard = serde_json::from_str(r#"{"id": "web", "title": "Web",
//!     "panels": [{"title": "Hits", "type": "timechart", "query": "index=web | timechart count"}]}"#).unwrap();
//! assert_eq!(d.panel_queries().next().unwrap().1, "index=web | timechart count");
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A dashboard: what the console draws at `/dashboards/<id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    /// Unique, stable, part of the URL: `[a-z0-9_-]`, 1 to 100 characters.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Auto-refresh period of every panel (`"30s"`, `"5m"`); none = only on load and on change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    /// Inputs shown above the panels, in order; each sets its `$token$`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Input>,
    /// Base searches by name, each run once per refresh and shared by the panels naming it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub searches: BTreeMap<String, BaseSearch>,
    pub panels: Vec<Panel>,
}

/// What kind of input: the time range, a choice (static choices and/or from a search), a
/// multiple choice, free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Time,
    Dropdown,
    Multiselect,
    Text,
}

/// One input and the token it sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The token name: `$NAME$` in searches (a time input sets `$NAME.earliest$` and
    /// `$NAME.latest$`, and is the range of every panel without its own).
    pub token: String,
    #[serde(rename = "type")]
    pub kind: InputKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// Initial value (dropdown, text); a multiselect's initial values are `defaults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defaults: Vec<String>,
    /// A time input's initial range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// Fixed choices, listed before those of `search`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// A search whose rows become choices (dropdown, multiselect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// The column of `search` giving each choice's value (default: the first column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_field: Option<String>,
    /// The column giving each choice's label (default: the value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_field: Option<String>,
    /// Multiselect: each value becomes `prefix + value + suffix`, joined by `delimiter`
    /// (`client="` `"` ` OR `), the whole in parentheses; nothing selected gives `*`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub suffix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
}

/// A fixed choice of a dropdown or multiselect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub label: String,
    pub value: String,
}

/// A search shared by several panels (each adds its post-process search after a `|`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseSearch {
    pub query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
}

/// How a panel draws its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelKind {
    /// A time series (`timechart`): x is `_time`, one series per other column.
    Timechart,
    /// A chart of `chart`/`stats` results: `chart` says line, area, column, bar or pie.
    Chart,
    /// One number (the first numeric column of the last row), with the change since the row
    /// before when there are several (a `timechart` gives a trend).
    Single,
    Table,
    Events,
    /// One tile per result row, coloured by its `status` field (green, red, grey).
    Status,
}

/// The shape of a `chart` or `timechart` panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Line,
    Area,
    Column,
    Bar,
    Pie,
}

/// A panel's place on the 12-column grid (rows are a fixed height).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// One panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub title: String,
    #[serde(rename = "type")]
    pub kind: PanelKind,
    /// The search; with `base`, the post-process search run after the base's `|`.
    #[serde(default)]
    pub query: String,
    /// The base search (a key of the dashboard's `searches`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// The panel's own range, overriding the dashboard's time input (tokens allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// Where it sits; none = the next free row, full width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<Grid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartKind>,
    #[serde(default, skip_serializing_if = "PanelOptions::is_default")]
    pub options: PanelOptions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drilldown: Option<Drilldown>,
}

/// What a panel's drawing may be told.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelOptions {
    /// Single value: the column shown (default: the first numeric one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Single value: text after the number (`"ms"`, `"%"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Status board and table: the column whose value colours a tile or a row (default
    /// `status`): `ok`/`green`/`success` green, `error`/`red`/`failed`/`silent` red,
    /// `missing`/`grey`/`skipped` grey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_field: Option<String>,
    /// Status board: the column naming each tile (default: the first column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_field: Option<String>,
    /// Status board: columns shown under the label.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail_fields: Vec<String>,
    /// Charts: series stacked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stacked: bool,
    /// Table and events: rows shown (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
}

impl PanelOptions {
    fn is_default(&self) -> bool {
        *self == PanelOptions::default()
    }
}

/// Where a click on a chart point, a table cell or a tile goes; `$row.FIELD$` is the clicked
/// row's value, `$value$` the clicked cell's, every input token as in searches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drilldown {
    /// The search page with this query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Another dashboard (its id), with `tokens` as its inputs' values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard: Option<String>,
    /// Any URL (values are URL-encoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The search page's range (default: the panel's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<String, String>,
}

/// Why a dashboard is refused before any search is looked at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DashboardError(pub String);

impl Dashboard {
    /// Every panel's search as it runs (`base | post-process`), with the panel's index.
    pub fn panel_queries(&self) -> impl Iterator<Item = (usize, String)> + '_ {
        self.panels.iter().enumerate().map(|(i, p)| {
            let q = match p.base.as_ref().and_then(|b| self.searches.get(b)) {
                Some(b) if p.query.trim().is_empty() => b.query.clone(),
                Some(b) => {
                    let post = p.query.trim_start();
                    let post = post.strip_prefix('|').unwrap_or(post);
                    format!("{}\n| {}", b.query.trim_end(), post.trim_start())
                }
                None => p.query.clone(),
            };
            (i, q)
        })
    }

    /// Checks what needs no parser: the id, the tokens, base search names, panel shapes,
    /// drill-downs. Queries are checked by the indexer, which owns the parser.
    pub fn check(&self) -> Result<(), DashboardError> {
        let err = |m: String| Err(DashboardError(m));
        if !valid_id(&self.id) {
            return err(format!(
                "invalid dashboard id {:?}: 1 to 100 of a-z, 0-9, '-' and '_'",
                self.id
            ));
        }
        if self.title.trim().is_empty() {
            return err("a dashboard needs a title".into());
        }
        let mut tokens = std::collections::HashSet::new();
        for (i, input) in self.inputs.iter().enumerate() {
            let ok = !input.token.is_empty()
                && input
                    .token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if !ok {
                return err(format!(
                    "input {}: invalid token {:?} (letters, digits, '_' and '.')",
                    i + 1,
                    input.token
                ));
            }
            if !tokens.insert(input.token.clone()) {
                return err(format!(
                    "input {}: token {:?} is set twice",
                    i + 1,
                    input.token
                ));
            }
            if input.search.is_some()
                && !matches!(input.kind, InputKind::Dropdown | InputKind::Multiselect)
            {
                return err(format!(
                    "input {} ({}): only a dropdown or a multiselect takes a search",
                    i + 1,
                    input.token
                ));
            }
        }
        for (i, p) in self.panels.iter().enumerate() {
            let at = format!("panel {} ({:?})", i + 1, p.title);
            if let Some(b) = &p.base {
                if !self.searches.contains_key(b) {
                    return err(format!("{at}: no base search named {b:?} in \"searches\""));
                }
            } else if p.query.trim().is_empty() {
                return err(format!("{at}: a query (or a base search) is needed"));
            }
            if p.chart.is_some() && !matches!(p.kind, PanelKind::Chart | PanelKind::Timechart) {
                return err(format!("{at}: \"chart\" is for chart and timechart panels"));
            }
            if let Some(g) = p.grid {
                if g.w == 0 || g.h == 0 || g.x.saturating_add(g.w) > 12 {
                    return err(format!(
                        "{at}: grid needs w and h of at least 1 and x + w at most 12"
                    ));
                }
            }
            if let Some(d) = &p.drilldown {
                let targets = [&d.search, &d.dashboard, &d.url]
                    .iter()
                    .filter(|t| t.is_some())
                    .count();
                if targets != 1 {
                    return err(format!(
                        "{at}: a drilldown has exactly one of \"search\", \"dashboard\" or \"url\""
                    ));
                }
                if let Some(id) = &d.dashboard {
                    if !valid_id(id) && !id.contains('$') {
                        return err(format!("{at}: drilldown to invalid dashboard id {id:?}"));
                    }
                }
                if let Some(u) = &d.url {
                    let lower = u.trim_start().to_ascii_lowercase();
                    if !(lower.starts_with("http://")
                        || lower.starts_with("https://")
                        || lower.starts_with('/'))
                    {
                        return err(format!(
                            "{at}: a drilldown url starts with http://, https:// or /"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The dashboard as the pretty JSON of its file (what `loupe export` writes).
    pub fn to_file(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// `[a-z0-9_-]{1,100}`: safe in a URL path and as a file name.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Replaces each `$name$` of `text` by `value(name)`, keeping what it gives `None` for as it
/// is (Splunk's `$$` stays a `$`).
pub fn substitute(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('$') {
            Some(0) => {
                out.push('$');
                rest = &after[1..];
            }
            Some(end)
                if after[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
            {
                let name = &after[..end];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('$');
                        out.push_str(name);
                        out.push('$');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Dashboard {
        serde_json::from_value(serde_json::json!({
            "id": "batch-jobs", "title": "Batch jobs",
            "inputs": [{"token": "client", "type": "dropdown", "default": "*",
                        "search": "| inputlookup batchs.csv | stats count by client"}],
            "searches": {"errors": {"query": "index=batchs ERROR client=$client$"}},
            "panels": [
                {"title": "By client", "type": "chart", "chart": "bar", "base": "errors",
                 "query": "| stats count by client",
                 "drilldown": {"search": "index=batchs ERROR client=$row.client$"}},
                {"title": "All", "type": "table", "query": "index=batchs | head 5",
                 "grid": {"x": 6, "y": 0, "w": 6, "h": 2}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn base_and_post_process_make_one_search_and_the_file_round_trips() {
        let d = board();
        d.check().unwrap();
        let q: Vec<_> = d.panel_queries().collect();
        assert_eq!(
            q[0].1,
            "index=batchs ERROR client=$client$\n| stats count by client"
        );
        let back: Dashboard = serde_json::from_str(&d.to_file()).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.to_file(), d.to_file());
    }

    #[test]
    fn mistakes_are_named() {
        let mut d = board();
        d.panels[0].base = Some("nope".into());
        assert!(d.check().unwrap_err().0.contains("panel 1 (\"By client\")"));
        let mut d = board();
        d.id = "Batch Jobs".into();
        assert!(d.check().is_err());
        let mut d = board();
        d.panels[1].grid = Some(Grid {
            x: u32::MAX,
            y: 0,
            w: 2,
            h: 1,
        });
        assert!(d.check().unwrap_err().0.contains("grid"));
        let mut d = board();
        d.panels[1].drilldown = Some(Drilldown {
            search: None,
            dashboard: None,
            url: Some("javascript:alert(1)".into()),
            earliest: None,
            latest: None,
            tokens: Default::default(),
        });
        assert!(d.check().unwrap_err().0.contains("url"));
        let typo = serde_json::from_value::<Dashboard>(
            serde_json::json!({"id": "x", "title": "x", "panels": [], "panles": []}),
        );
        assert!(typo.unwrap_err().to_string().contains("panles"));
    }

    #[test]
    fn tokens_are_substituted() {
        let v = |n: &str| (n == "client").then(|| "azur".to_string());
        assert_eq!(
            substitute("client=$client$ x=$other$ cost=$$5", v),
            "client=azur x=$other$ cost=$5"
        );
        assert_eq!(substitute("a $ b", v), "a $ b");
    }
}
