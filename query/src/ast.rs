//! The typed SPL syntax tree: a [`Pipeline`] of [`Command`]s, each with a typed
//! [`CommandKind`], search predicates as [`SearchExpr`] and eval expressions as [`Expr`].
//!
//! Every node carries a [`Span`] (byte offsets into the parsed text) so errors found
//! later (unknown function, unsupported command) can be underlined in the console.
//! Spans take part in `PartialEq`; call [`Pipeline::strip_spans`] on both sides to
//! compare two trees structurally (this is what the round-trip tests do).

use serde::Serialize;

/// Byte range `[start, end)` into the parsed text; what the console underlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// First byte of the node.
    pub start: usize,
    /// One past the last byte of the node.
    pub end: usize,
}

impl Span {
    /// Builds a span; kept as a function so call sites read `Span::new(a, b)`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Smallest span covering both, used when a node is built from two children.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A whole query: commands separated by `|`, the first being the base search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pipeline {
    /// In execution order; never empty after a successful parse.
    pub commands: Vec<Command>,
    /// Covers the whole query (or the inside of the brackets for a subsearch).
    pub span: Span,
}

/// One stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Command {
    /// Lower-cased command name as written (`bucket` stays `bucket`, the leading search is `search`).
    pub name: String,
    /// The typed arguments, or [`CommandKind::Generic`] for commands Loupe does not model.
    pub kind: CommandKind,
    /// From the command name to the end of its arguments.
    pub span: Span,
}

/// A `key=value` command option (`span=1h`, `limit=10`); values are kept as text
/// because each command interprets them differently.
#[derive(Debug, Clone, Serialize)]
pub struct CmdOption {
    /// Lower-cased option name.
    pub key: String,
    /// Value with quotes removed and escapes resolved.
    pub value: String,
    /// From the key to the end of the value as written (`0..0` for an option the parser
    /// made up, as `makeresults 3`'s `count=3`): an unsupported option is underlined alone.
    /// Not part of equality, so that trees compare by what they say.
    #[serde(skip)]
    pub span: Span,
}

impl PartialEq for CmdOption {
    fn eq(&self, other: &CmdOption) -> bool {
        self.key == other.key && self.value == other.value
    }
}

impl Eq for CmdOption {}

impl CmdOption {
    /// An option with no place in the text (one a command stands for).
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> CmdOption {
        CmdOption {
            key: key.into(),
            value: value.into(),
            span: Span::default(),
        }
    }
}

/// Typed arguments of each command Loupe models; anything else is `Generic`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CommandKind {
    /// The leading search and `| search ...`.
    Search(SearchExpr),
    /// `where <expr>`: keeps rows where the expression is true.
    Where(Expr),
    /// `eval a=expr, b=expr`: assignments applied left to right.
    Eval(Vec<(String, Expr)>),
    /// `rex [field=f] [max_match=n] [mode=sed] "regex"`.
    Rex(RexCmd),
    /// `fields [+|-] a, b`.
    Fields(FieldsCmd),
    /// `table a, b, c*`.
    Table(Vec<String>),
    /// `rename a AS b, c AS d`: (from, to) pairs, wildcards allowed.
    Rename(Vec<(String, String)>),
    /// `sort [N] [-]field ...`.
    Sort(SortCmd),
    /// `head [N] [(expr)]`.
    Head(HeadCmd),
    /// `tail [N]`.
    Tail(TailCmd),
    /// `dedup [N] fields [sortby ...]`.
    Dedup(DedupCmd),
    /// `stats aggs [by fields]`.
    Stats(StatsCmd),
    /// `chart aggs [over f] [by g]`.
    Chart(ChartCmd),
    /// `timechart [span=..] aggs [by f]`.
    Timechart(TimechartCmd),
    /// `top [N] fields [by fields]`.
    Top(TopCmd),
    /// `rare [N] fields [by fields]`.
    Rare(TopCmd),
    /// `bin`/`bucket [span=..] field [as alias]`.
    Bin(BinCmd),
    /// `eventstats aggs [by fields]`.
    Eventstats(StatsCmd),
    /// `streamstats [window=n] aggs [by fields]`.
    Streamstats(StatsCmd),
    /// `fillnull [value=x] [fields]`.
    Fillnull(FillnullCmd),
    /// `spath [input=] [output=] [path=]`.
    Spath(SpathCmd),
    /// `transaction fields [maxspan=..] [startswith=..]`.
    Transaction(TransactionCmd),
    /// `lookup table field [AS f] [OUTPUT|OUTPUTNEW fields]`.
    Lookup(LookupCmd),
    /// `inputlookup table [where search-expr]`.
    Inputlookup(InputlookupCmd),
    /// `outputlookup table`.
    Outputlookup(OutputlookupCmd),
    /// `makeresults [count=n]`.
    Makeresults(MakeresultsCmd),
    /// `regex [field=|field!=] "regex"`.
    Regex(RegexCmd),
    /// `mvexpand field [limit=n]`.
    Mvexpand(MvexpandCmd),
    /// `makemv [delim=|tokenizer=] field`.
    Makemv(MakemvCmd),
    /// `convert [timeformat=] ctime(f) [as g] ...`.
    Convert(ConvertCmd),
    /// `addtotals [row=] [col=] [fields]`.
    Addtotals(AddtotalsCmd),
    /// `append [subsearch]`.
    Append(AppendCmd),
    /// `join [type=] fields [subsearch]`.
    Join(JoinCmd),
    /// `fieldformat a=expr, ...`: as `eval` (Loupe has no separate display value).
    Fieldformat(Vec<(String, Expr)>),
    /// `appendpipe [subpipeline]`: the subpipeline runs over the rows so far, its output is appended.
    Appendpipe(AppendCmd),
    /// `union [sub] [sub] …` and `multisearch [sub] [sub] …`: every subsearch's rows.
    Union(UnionCmd),
    /// `tstats [options] aggs [FROM datamodel=X] [WHERE search] [BY fields [span=..]]`.
    Tstats(TstatsCmd),
    /// Commands whose arguments are an optional count, `key=value` options and field names:
    /// `nomv`, `untable`, `xyseries`, `transpose`, `addcoltotals`, `addinfo`, `cluster`, `patterns`.
    Args(ArgsCmd),
    /// Any other command: its raw argument text, so the planner can report
    /// "unsupported command X" instead of the parser reporting a syntax error.
    Generic {
        /// Argument text after the command name, trimmed, comments blanked.
        args: String,
    },
}

/// Arguments of `rex`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RexCmd {
    /// `field=`; `_raw` when absent.
    pub field: Option<String>,
    /// The regex (or sed expression with `mode=sed`), escapes resolved.
    pub pattern: String,
    /// Where the regex is in the text, so a bad regex is underlined, not the whole command.
    pub pattern_span: Span,
    /// Other options (`max_match`, `mode`, `offset_field`).
    pub options: Vec<CmdOption>,
}

/// Arguments of `fields`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldsCmd {
    /// `fields - x`: drop the listed fields instead of keeping them.
    pub remove: bool,
    /// Field names, wildcards allowed.
    pub fields: Vec<String>,
}

/// One key of `sort` or `dedup sortby`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SortKey {
    /// Field name.
    pub field: String,
    /// `-field`: descending.
    pub desc: bool,
    /// `num(x)`, `str(x)`, `ip(x)`, `auto(x)`: how to compare.
    pub func: Option<String>,
}

/// Arguments of `sort`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SortCmd {
    /// `sort 0 ...` / `limit=`: how many rows to keep (`0` = all); Splunk's default is 10000.
    pub limit: Option<u64>,
    /// Sort keys, most significant first.
    pub keys: Vec<SortKey>,
    /// Trailing `d` / `desc`: reverse the whole order.
    pub reverse: bool,
}

/// Arguments of `head`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeadCmd {
    /// Maximum rows (default 10).
    pub limit: u64,
    /// `head (expr)`: stop at the first row where the expression is false.
    pub expr: Option<Expr>,
    /// Other options (`null=`, `keeplast=`).
    pub options: Vec<CmdOption>,
}

/// Arguments of `tail`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailCmd {
    /// Number of rows from the end (default 10).
    pub limit: u64,
}

/// Arguments of `dedup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DedupCmd {
    /// `dedup 3 x`: keep this many rows per combination.
    pub limit: Option<u64>,
    /// The combination of fields that must be unique.
    pub fields: Vec<String>,
    /// `keepevents=`, `keepempty=`, `consecutive=`.
    pub options: Vec<CmdOption>,
    /// `sortby` keys applied to the result.
    pub sortby: Vec<SortKey>,
}

/// One aggregation of `stats`/`chart`/`timechart`/`eventstats`/`streamstats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AggCall {
    /// Lower-cased function name (`count`, `dc`, `perc95`, ...).
    pub func: String,
    /// Field ([`Expr::Field`]) or `eval(...)` ([`Expr::Call`] named `eval`); `None` for bare `count`.
    pub arg: Option<Expr>,
    /// `AS` name; when absent the output column is `func(arg)`.
    pub alias: Option<String>,
    /// The whole call including its alias.
    pub span: Span,
}

/// Arguments shared by `stats`, `eventstats` and `streamstats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsCmd {
    /// Aggregations in output order.
    pub funcs: Vec<AggCall>,
    /// Group-by fields.
    pub by: Vec<String>,
    /// Options (`allnum=`, `window=`, `current=`, ...).
    pub options: Vec<CmdOption>,
}

/// Arguments of `chart`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartCmd {
    /// Aggregations.
    pub funcs: Vec<AggCall>,
    /// `over` field (rows).
    pub over: Option<String>,
    /// `by` fields (first becomes rows when there is no `over`, the next columns).
    pub by: Vec<String>,
    /// Options (`limit=`, `useother=`, ...).
    pub options: Vec<CmdOption>,
}

/// Arguments of `timechart`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimechartCmd {
    /// Aggregations.
    pub funcs: Vec<AggCall>,
    /// Split-by field (one series per value).
    pub by: Vec<String>,
    /// Options (`span=`, `limit=`, `useother=`, ...).
    pub options: Vec<CmdOption>,
}

/// Arguments of `top` and `rare`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopCmd {
    /// `top 5 x` or `limit=5`.
    pub limit: Option<u64>,
    /// Fields whose value combinations are counted.
    pub fields: Vec<String>,
    /// Group-by fields.
    pub by: Vec<String>,
    /// Other options (`countfield=`, `showperc=`, ...).
    pub options: Vec<CmdOption>,
}

/// Arguments of `bin` / `bucket`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinCmd {
    /// Field to discretise (usually `_time`).
    pub field: String,
    /// `as` name for the binned value.
    pub alias: Option<String>,
    /// `span=`, `bins=`, `minspan=`, `start=`, `end=`, `aligntime=`.
    pub options: Vec<CmdOption>,
}

/// Arguments of `fillnull`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FillnullCmd {
    /// `value=`; Splunk's default is `0`.
    pub value: Option<String>,
    /// Fields to fill; empty means every field present.
    pub fields: Vec<String>,
}

/// Arguments of `spath`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpathCmd {
    /// `input=` field (default `_raw`).
    pub input: Option<String>,
    /// `output=` field.
    pub output: Option<String>,
    /// `path=` or the positional path.
    pub path: Option<String>,
}

/// Arguments of `transaction`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransactionCmd {
    /// Fields that identify a transaction.
    pub fields: Vec<String>,
    /// `maxspan=`, `maxpause=`, `startswith=`, `endswith=`, ...
    pub options: Vec<CmdOption>,
}

/// A field in a lookup clause: `field [AS alias]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldMap {
    /// Name in the lookup table.
    pub field: String,
    /// Name in the events, when different.
    pub alias: Option<String>,
}

/// The `OUTPUT`/`OUTPUTNEW` clause of `lookup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupOutput {
    /// `OUTPUTNEW`: do not overwrite fields that already have a value.
    pub new: bool,
    /// Fields copied from the table; empty means all.
    pub fields: Vec<FieldMap>,
}

/// Arguments of `lookup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookupCmd {
    /// Lookup table (CSV file or definition name).
    pub table: String,
    /// Match fields.
    pub inputs: Vec<FieldMap>,
    /// Output clause; `None` copies every table column.
    pub output: Option<LookupOutput>,
    /// `local=`, `update=`.
    pub options: Vec<CmdOption>,
}

/// Arguments of `inputlookup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputlookupCmd {
    /// Table to read.
    pub table: String,
    /// `append=`, `start=`, `max=`.
    pub options: Vec<CmdOption>,
    /// `where <search>` filter.
    pub filter: Option<SearchExpr>,
}

/// Arguments of `outputlookup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputlookupCmd {
    /// Table to write.
    pub table: String,
    /// `append=`, `create_empty=`, ...
    pub options: Vec<CmdOption>,
}

/// Arguments of `makeresults`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MakeresultsCmd {
    /// `count=`, `annotate=`, ...
    pub options: Vec<CmdOption>,
}

/// Arguments of `regex`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegexCmd {
    /// Field tested (`_raw` when absent).
    pub field: Option<String>,
    /// `field!=regex`: keep rows that do NOT match.
    pub negate: bool,
    /// The regex, escapes resolved.
    pub pattern: String,
    /// Where the regex is in the text, so a bad regex is underlined, not the whole command.
    pub pattern_span: Span,
}

/// Arguments of `mvexpand`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MvexpandCmd {
    /// Multi-value field to expand.
    pub field: String,
    /// `limit=`: values kept per row.
    pub limit: Option<u64>,
}

/// Arguments of `makemv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MakemvCmd {
    /// Field to split.
    pub field: String,
    /// `delim=`, `tokenizer=`, `allowempty=`, `setsv=`.
    pub options: Vec<CmdOption>,
}

/// One conversion of `convert`: `func(field) [AS alias]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    /// `ctime`, `mktime`, `dur2sec`, `num`, ...
    pub func: String,
    /// Field (wildcards allowed).
    pub field: String,
    /// Destination field.
    pub alias: Option<String>,
}

/// Arguments of `convert`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvertCmd {
    /// `timeformat=`.
    pub options: Vec<CmdOption>,
    /// Conversions in order.
    pub conversions: Vec<Conversion>,
}

/// Arguments of `addtotals`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddtotalsCmd {
    /// `row=`, `col=`, `fieldname=`, `labelfield=`, `label=`.
    pub options: Vec<CmdOption>,
    /// Fields to add up; empty means all numeric fields.
    pub fields: Vec<String>,
}

/// Arguments of the commands parsed as [`CommandKind::Args`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArgsCmd {
    /// A leading bare number (`transpose 10`).
    pub count: Option<u64>,
    /// Field names in order, wildcards allowed.
    pub fields: Vec<String>,
    /// `key=value` options.
    pub options: Vec<CmdOption>,
}

/// Arguments of `tstats`: Loupe runs it as the `search … | stats …` it stands for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TstatsCmd {
    /// Options wherever they were written (`prestats=`, `summariesonly=`, `span=`, …), in order.
    pub options: Vec<CmdOption>,
    /// Aggregations in output order.
    pub funcs: Vec<AggCall>,
    /// `FROM datamodel=<name>`: the data model named (Loupe has none).
    pub datamodel: Option<String>,
    /// `WHERE <search>`: which events, as the base search would say it.
    pub filter: Option<SearchExpr>,
    /// Group-by fields (`_time` with `span=` bins time).
    pub by: Vec<String>,
}

/// Arguments of `union` and `multisearch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnionCmd {
    /// `maxout=`, …
    pub options: Vec<CmdOption>,
    /// The subsearches, in order, at least one.
    pub subsearches: Vec<Pipeline>,
}

/// Arguments of `append`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppendCmd {
    /// `maxtime=`, `maxout=`, ...
    pub options: Vec<CmdOption>,
    /// The subsearch whose results are appended.
    pub subsearch: Pipeline,
}

/// Arguments of `join`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JoinCmd {
    /// `type=`, `max=`, `usetime=`, ...
    pub options: Vec<CmdOption>,
    /// Join fields (empty: all common fields).
    pub fields: Vec<String>,
    /// Right-hand side.
    pub subsearch: Pipeline,
}

/// Comparison operator of a `field<op>value` search term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Which time bound a search term sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TimeBound {
    /// `earliest=`
    Earliest,
    /// `latest=`
    Latest,
    /// `_index_earliest=`
    IndexEarliest,
    /// `_index_latest=`
    IndexLatest,
}

impl TimeBound {
    /// The SPL keyword, for printing.
    pub fn keyword(self) -> &'static str {
        match self {
            TimeBound::Earliest => "earliest",
            TimeBound::Latest => "latest",
            TimeBound::IndexEarliest => "_index_earliest",
            TimeBound::IndexLatest => "_index_latest",
        }
    }

    /// Recognises the keyword, any case.
    pub fn from_keyword(s: &str) -> Option<TimeBound> {
        match s.to_ascii_lowercase().as_str() {
            "earliest" => Some(TimeBound::Earliest),
            "latest" => Some(TimeBound::Latest),
            "_index_earliest" => Some(TimeBound::IndexEarliest),
            "_index_latest" => Some(TimeBound::IndexLatest),
            _ => None,
        }
    }
}

/// The predicate of the `search` command (and of the base search).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SearchExpr {
    /// Empty search or `*`: every event.
    All,
    /// Implicit or explicit `AND`.
    And(Vec<SearchExpr>),
    /// `OR` (binds tighter than AND in the search command, as in Splunk).
    Or(Vec<SearchExpr>),
    /// `NOT` (upper case only).
    Not(Box<SearchExpr>),
    /// Bare word, may contain `*` wildcards; matched case-insensitively against tokens.
    Term {
        /// The word as written.
        text: String,
        /// Where.
        span: Span,
    },
    /// `"quoted text"`, escapes resolved.
    Phrase {
        /// The text between the quotes.
        text: String,
        /// Where (quotes included).
        span: Span,
    },
    /// `field=value`, `field!=value`, `field<value`, ...
    Field {
        /// Field name (quotes removed).
        field: String,
        /// Comparison.
        op: CmpOp,
        /// Value, may contain `*` wildcards.
        value: String,
        /// The value was quoted in the source.
        quoted: bool,
        /// Where.
        span: Span,
    },
    /// `field IN (a, b, "c")`.
    FieldIn {
        /// Field name.
        field: String,
        /// Accepted values, wildcards allowed.
        values: Vec<String>,
        /// Where.
        span: Span,
    },
    /// `earliest=-7d@w1` and friends: restricts the time range.
    TimeBound {
        /// Which bound.
        bound: TimeBound,
        /// Time modifier as written (`-24h@h`, `@d`, epoch, ISO 8601).
        value: String,
        /// Where.
        span: Span,
    },
    /// `[search ...]`: replaced by the subsearch's results as an OR of field=value.
    Subsearch {
        /// The inner pipeline.
        pipeline: Box<Pipeline>,
        /// Where (brackets included).
        span: Span,
    },
}

/// Unary operators of eval expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum UnaryOp {
    /// `NOT x`
    Not,
    /// `-x`
    Neg,
}

/// Binary operators of eval expressions (`AND`/`OR` are the n-ary [`Expr::And`]/[`Expr::Or`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum BinOp {
    /// `XOR`
    Xor,
    /// `=` or `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `LIKE` (SQL pattern with `%` and `_`)
    Like,
    /// `+` (numbers add, strings concatenate)
    Add,
    /// `-`
    Sub,
    /// `.` string concatenation
    Concat,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

impl BinOp {
    /// Binding strength, higher binds tighter: (OR 1), XOR 2, (AND 3, NOT 4), comparisons 5,
    /// `+ - .` 6, `* / %` 7 (unary minus is 8).
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Xor => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Like => {
                5
            }
            BinOp::Add | BinOp::Sub | BinOp::Concat => 6,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 7,
        }
    }

    /// The canonical SPL spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Xor => "XOR",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Like => "LIKE",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Concat => ".",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
        }
    }
}

/// An eval/where expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Expr {
    /// `"text"` (escapes resolved).
    Str {
        /// The string.
        value: String,
        /// Where.
        span: Span,
    },
    /// Integer literal.
    Int {
        /// The value.
        value: i64,
        /// Where.
        span: Span,
    },
    /// Decimal literal (or an integer too large for i64).
    Float {
        /// The value.
        value: f64,
        /// Where.
        span: Span,
    },
    /// Bare `true` / `false`.
    Bool {
        /// The value.
        value: bool,
        /// Where.
        span: Span,
    },
    /// Field reference: bare name (dots, colons, braces allowed) or `'quoted name'`.
    Field {
        /// Field name.
        name: String,
        /// Where.
        span: Span,
    },
    /// `a AND b AND c`: a flat list (long machine-written conditions stay shallow).
    And {
        /// Operands, at least two, none of them an `And`.
        items: Vec<Expr>,
        /// Where.
        span: Span,
    },
    /// `a OR b OR c`: a flat list.
    Or {
        /// Operands, at least two, none of them an `Or`.
        items: Vec<Expr>,
        /// Where.
        span: Span,
    },
    /// `NOT x`, `-x`.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        expr: Box<Expr>,
        /// Where.
        span: Span,
    },
    /// `a op b`.
    Binary {
        /// Operator.
        op: BinOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// Where.
        span: Span,
    },
    /// `name(args)`; the name is lower-cased.
    Call {
        /// Function name, lower-cased.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// Where (name to closing parenthesis).
        span: Span,
    },
    /// `[search …]` inside an expression (`x IN [ … | return 5 $x ]`): the indexer runs it
    /// before the search and puts what it returns in its place.
    Subsearch {
        /// The inner pipeline.
        pipeline: Box<Pipeline>,
        /// Where (brackets included).
        span: Span,
    },
    /// `x IN (a, b)`.
    In {
        /// Tested value.
        expr: Box<Expr>,
        /// Candidates.
        list: Vec<Expr>,
        /// Where.
        span: Span,
    },
}

impl Expr {
    /// The node's byte range.
    pub fn span(&self) -> Span {
        match self {
            Expr::Str { span, .. }
            | Expr::Int { span, .. }
            | Expr::Float { span, .. }
            | Expr::Bool { span, .. }
            | Expr::Field { span, .. }
            | Expr::And { span, .. }
            | Expr::Or { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Call { span, .. }
            | Expr::Subsearch { span, .. }
            | Expr::In { span, .. } => *span,
        }
    }

    /// Calls `f` on this node and every descendant, parents first; used by static checks.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        // Explicit stack: expressions from machine-written searches can be deep.
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            match e {
                Expr::Unary { expr, .. } => stack.push(expr),
                Expr::Binary { left, right, .. } => {
                    stack.push(right);
                    stack.push(left);
                }
                Expr::Call { args: items, .. }
                | Expr::And { items, .. }
                | Expr::Or { items, .. } => stack.extend(items.iter().rev()),
                Expr::In { expr, list, .. } => {
                    stack.extend(list.iter().rev());
                    stack.push(expr);
                }
                Expr::Subsearch { pipeline, .. } => pipeline.walk_exprs(f),
                _ => {}
            }
        }
    }

    /// As [`Expr::walk`], without entering subsearches.
    pub fn walk_shallow<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            match e {
                Expr::Unary { expr, .. } => stack.push(expr),
                Expr::Binary { left, right, .. } => {
                    stack.push(right);
                    stack.push(left);
                }
                Expr::Call { args: items, .. }
                | Expr::And { items, .. }
                | Expr::Or { items, .. } => stack.extend(items.iter().rev()),
                Expr::In { expr, list, .. } => {
                    stack.extend(list.iter().rev());
                    stack.push(expr);
                }
                _ => {}
            }
        }
    }

    fn strip_spans(&mut self) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Str { span, .. }
                | Expr::Int { span, .. }
                | Expr::Float { span, .. }
                | Expr::Bool { span, .. }
                | Expr::Field { span, .. } => *span = Span::default(),
                Expr::Unary { expr, span, .. } => {
                    *span = Span::default();
                    stack.push(expr);
                }
                Expr::Binary {
                    left, right, span, ..
                } => {
                    *span = Span::default();
                    stack.push(left);
                    stack.push(right);
                }
                Expr::Call {
                    args: items, span, ..
                }
                | Expr::And { items, span }
                | Expr::Or { items, span } => {
                    *span = Span::default();
                    stack.extend(items.iter_mut());
                }
                Expr::In {
                    expr, list, span, ..
                } => {
                    *span = Span::default();
                    stack.push(expr);
                    stack.extend(list.iter_mut());
                }
                Expr::Subsearch { pipeline, span } => {
                    *span = Span::default();
                    pipeline.strip_spans();
                }
            }
        }
    }
}

impl SearchExpr {
    fn strip_spans(&mut self) {
        match self {
            SearchExpr::All => {}
            SearchExpr::And(v) | SearchExpr::Or(v) => {
                v.iter_mut().for_each(SearchExpr::strip_spans)
            }
            SearchExpr::Not(e) => e.strip_spans(),
            SearchExpr::Term { span, .. }
            | SearchExpr::Phrase { span, .. }
            | SearchExpr::Field { span, .. }
            | SearchExpr::FieldIn { span, .. }
            | SearchExpr::TimeBound { span, .. } => *span = Span::default(),
            SearchExpr::Subsearch { pipeline, span } => {
                *span = Span::default();
                pipeline.strip_spans();
            }
        }
    }
}

fn strip_aggs(funcs: &mut [AggCall]) {
    for a in funcs {
        a.span = Span::default();
        if let Some(e) = &mut a.arg {
            e.strip_spans();
        }
    }
}

impl Pipeline {
    /// Resets every span to `0..0`, so two trees can be compared structurally
    /// (e.g. a query and its canonical re-printing).
    pub fn strip_spans(&mut self) {
        self.span = Span::default();
        for c in &mut self.commands {
            c.span = Span::default();
            match &mut c.kind {
                CommandKind::Search(s) => s.strip_spans(),
                CommandKind::Where(e) => e.strip_spans(),
                CommandKind::Eval(v) | CommandKind::Fieldformat(v) => {
                    v.iter_mut().for_each(|(_, e)| e.strip_spans())
                }
                CommandKind::Head(h) => {
                    if let Some(e) = &mut h.expr {
                        e.strip_spans();
                    }
                }
                CommandKind::Stats(s)
                | CommandKind::Eventstats(s)
                | CommandKind::Streamstats(s) => strip_aggs(&mut s.funcs),
                CommandKind::Chart(s) => strip_aggs(&mut s.funcs),
                CommandKind::Timechart(s) => strip_aggs(&mut s.funcs),
                CommandKind::Inputlookup(i) => {
                    if let Some(f) = &mut i.filter {
                        f.strip_spans();
                    }
                }
                CommandKind::Tstats(t) => {
                    strip_aggs(&mut t.funcs);
                    if let Some(f) = &mut t.filter {
                        f.strip_spans();
                    }
                }
                CommandKind::Append(a) | CommandKind::Appendpipe(a) => a.subsearch.strip_spans(),
                CommandKind::Union(u) => u.subsearches.iter_mut().for_each(Pipeline::strip_spans),
                CommandKind::Join(j) => j.subsearch.strip_spans(),
                CommandKind::Rex(r) => r.pattern_span = Span::default(),
                CommandKind::Regex(r) => r.pattern_span = Span::default(),
                _ => {}
            }
        }
    }

    /// Calls `f` on every eval expression of the pipeline (subsearches included).
    pub fn walk_exprs<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        for c in &self.commands {
            match &c.kind {
                CommandKind::Search(s) => s.walk_subsearches(&mut |p| p.walk_exprs(f)),
                CommandKind::Where(e) => e.walk(f),
                CommandKind::Eval(v) | CommandKind::Fieldformat(v) => {
                    v.iter().for_each(|(_, e)| e.walk(f))
                }
                CommandKind::Head(h) => {
                    if let Some(e) = &h.expr {
                        e.walk(f)
                    }
                }
                CommandKind::Stats(s)
                | CommandKind::Eventstats(s)
                | CommandKind::Streamstats(s) => s
                    .funcs
                    .iter()
                    .filter_map(|a| a.arg.as_ref())
                    .for_each(|e| e.walk(f)),
                CommandKind::Chart(s) => s
                    .funcs
                    .iter()
                    .filter_map(|a| a.arg.as_ref())
                    .for_each(|e| e.walk(f)),
                CommandKind::Timechart(s) => s
                    .funcs
                    .iter()
                    .filter_map(|a| a.arg.as_ref())
                    .for_each(|e| e.walk(f)),
                CommandKind::Inputlookup(i) => {
                    if let Some(s) = &i.filter {
                        s.walk_subsearches(&mut |p| p.walk_exprs(f))
                    }
                }
                CommandKind::Tstats(t) => {
                    t.funcs
                        .iter()
                        .filter_map(|a| a.arg.as_ref())
                        .for_each(|e| e.walk(f));
                    if let Some(s) = &t.filter {
                        s.walk_subsearches(&mut |p| p.walk_exprs(f))
                    }
                }
                CommandKind::Append(a) | CommandKind::Appendpipe(a) => a.subsearch.walk_exprs(f),
                CommandKind::Union(u) => u.subsearches.iter().for_each(|p| p.walk_exprs(f)),
                CommandKind::Join(j) => j.subsearch.walk_exprs(f),
                _ => {}
            }
        }
    }

    /// Calls `f` on every command of the pipeline and of its subsearches, outer first.
    pub fn walk_commands<'a>(&'a self, f: &mut dyn FnMut(&'a Command)) {
        for c in &self.commands {
            f(c);
            let mut inner: Vec<&'a Pipeline> = Vec::new();
            let mut collect = |e: &'a Expr| {
                if let Expr::Subsearch { pipeline, .. } = e {
                    inner.push(pipeline);
                }
            };
            match &c.kind {
                CommandKind::Where(e) => e.walk_shallow(&mut collect),
                CommandKind::Eval(v) => v.iter().for_each(|(_, e)| e.walk_shallow(&mut collect)),
                _ => {}
            }
            inner.iter().for_each(|p| p.walk_commands(f));
            match &c.kind {
                CommandKind::Search(s) => s.walk_subsearches(&mut |p| p.walk_commands(f)),
                CommandKind::Inputlookup(i) => {
                    if let Some(s) = &i.filter {
                        s.walk_subsearches(&mut |p| p.walk_commands(f))
                    }
                }
                CommandKind::Tstats(t) => {
                    if let Some(s) = &t.filter {
                        s.walk_subsearches(&mut |p| p.walk_commands(f))
                    }
                }
                CommandKind::Append(a) | CommandKind::Appendpipe(a) => a.subsearch.walk_commands(f),
                CommandKind::Union(u) => u.subsearches.iter().for_each(|p| p.walk_commands(f)),
                CommandKind::Join(j) => j.subsearch.walk_commands(f),
                _ => {}
            }
        }
    }
}

impl SearchExpr {
    /// Calls `f` on each subsearch directly inside this expression.
    pub fn walk_subsearches<'a>(&'a self, f: &mut dyn FnMut(&'a Pipeline)) {
        match self {
            SearchExpr::And(v) | SearchExpr::Or(v) => v.iter().for_each(|e| e.walk_subsearches(f)),
            SearchExpr::Not(e) => e.walk_subsearches(f),
            SearchExpr::Subsearch { pipeline, .. } => f(pipeline),
            _ => {}
        }
    }
}
