//! From stored documents to the rows the SPL operators work on, and the base-search filter
//! that runs on rows when a predicate names a search-time field.

use crate::store::bucket::Bucket;
use crate::store::docstore::{DocStoreError, DocView, SegmentStore};
use crate::store::schema::WARNING_NAME;
use loupe_event::Value;
use loupe_query::needs::FieldNeeds;
use loupe_query::{CmpOp, Row, SearchExpr};
use std::collections::HashMap;
use std::collections::HashSet;
use tantivy::columnar::StrColumn;
use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::{Field, OwnedValue};
use tantivy::{DocAddress, Searcher};

/// Names every row has from the event's own columns (never extracted).
const BUILTIN: [&str; 7] = [
    "_raw",
    "_time",
    "host",
    "source",
    "sourcetype",
    "index",
    "_indextime",
];

/// A stored document as written by the store: `_raw` and, when the event had some, `_fields`.
struct Stored(Vec<(Field, OwnedValue)>);

/// A stored document read ahead of its row.
pub struct StoredDoc(Stored);

/// A document met in a walk of the doc store: its bytes in place when the store's layout is
/// known ([`crate::store::docstore`]), decoded only if it becomes a row.
pub enum Doc<'b> {
    View(DocView<'b>),
    Stored(StoredDoc),
}

impl DocumentDeserialize for Stored {
    fn deserialize<'de, D>(mut d: D) -> Result<Self, DeserializeError>
    where
        D: DocumentDeserializer<'de>,
    {
        let mut values = Vec::with_capacity(d.size_hint());
        while let Some(entry) = d.next_field::<OwnedValue>()? {
            values.push(entry);
        }
        Ok(Stored(values))
    }
}

/// Turns a bucket's documents into rows: keyword columns opened once per segment, and only
/// the work the pipeline's [`FieldNeeds`] asks for (no stored document when nobody reads
/// `_raw` or an extracted field, no extraction when no wanted field can come out of it).
pub struct RowReader<'a> {
    bucket: &'a Bucket,
    searcher: &'a Searcher,
    /// Per segment: host, source, sourcetype columns.
    columns: Vec<[Option<StrColumn>; 3]>,
    /// Per segment, the `_indextime` column, when the pipeline reads it.
    indextime: Vec<Option<tantivy::columnar::Column<i64>>>,
    /// Fields beyond the built-in ones the pipeline reads; `None`: all of them.
    extra: Option<Vec<String>>,
    /// For each of `extra`, what an event's text must contain for JSON or `key=value`
    /// extraction to give it.
    extra_keys: Vec<loupe_event::extract::KeyFinder>,
    /// host, source, sourcetype, index: whether each is put in the row.
    builtin: [bool; 4],
    /// Whether the stored document is read at all.
    read_doc: bool,
    /// Whether `_raw` goes in the row (it may be read only to extract fields).
    raw_wanted: bool,
    /// The bucket's `_warning` field when the pipeline reads `ingest_warning` (decided once,
    /// not per event: scans ask for each event whether it could give a wanted field).
    warning: Option<Field>,
    /// Per segment, this reader's own doc-store reader (when documents are read). The
    /// searcher's store readers are shared by every search until the next commit, so the
    /// blocks they cache stayed in memory after an export had walked them: 4 MiB per segment,
    /// growing with what was read. These caches go when the search does.
    stores: Vec<Option<tantivy::store::StoreReader>>,
    /// The reading role's maskers: every text of the row passes them before any command
    /// sees it, so no command, subsearch or export reads what they hide.
    masker: Option<&'a loupe_access::mask::Masker>,
}

/// Decompressed doc-store blocks a [`RowReader`] keeps per segment: events are read in store
/// order by at most a few threads side by side, each within one or two blocks at a time.
const STORE_CACHE_BLOCKS: usize = 4;

/// True when rows for `needs` need the stored document (`_raw`, or fields extracted from it
/// or kept with it); otherwise the fast columns are enough.
pub fn reads_documents(needs: &FieldNeeds) -> bool {
    match needs {
        FieldNeeds::All => true,
        FieldNeeds::Only(set) => set
            .iter()
            .any(|n| n == "_raw" || !BUILTIN.contains(&n.as_str())),
    }
}

/// Per-thread memo of a bucket's keyword strings and of which sourcetypes' own patterns can
/// give a wanted field: rows repeat both.
#[derive(Default)]
pub struct KeywordCache {
    strings: HashMap<(u32, u8, u64), String, foldhash::fast::RandomState>,
    patterned: HashMap<String, bool, foldhash::fast::RandomState>,
    /// `patterned` by segment and sourcetype ordinal, for scans that never build the string.
    patterned_ords: HashMap<(u32, u64), bool, foldhash::fast::RandomState>,
    /// Per segment, whether any sourcetype in it is patterned: when none is, a scan asks the
    /// column for no event's sourcetype (reading it was a tenth of a `rex` scan's time).
    segment_patterned: HashMap<u32, bool, foldhash::fast::RandomState>,
}

impl<'a> RowReader<'a> {
    /// Opens the keyword columns of every segment of `searcher`.
    pub fn new(bucket: &'a Bucket, searcher: &'a Searcher, needs: &FieldNeeds) -> RowReader<'a> {
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|seg| {
                let fast = seg.fast_fields();
                ["host", "source", "sourcetype"].map(|n| fast.str(n).ok().flatten())
            })
            .collect();
        let extra: Option<Vec<String>> = match needs {
            FieldNeeds::All => None,
            FieldNeeds::Only(set) => Some(
                set.iter()
                    .filter(|n| !BUILTIN.contains(&n.as_str()))
                    .cloned()
                    .collect(),
            ),
        };
        let extra_keys = extra
            .iter()
            .flatten()
            .map(|n| loupe_event::extract::KeyFinder::new(n))
            .collect();
        let builtin = ["host", "source", "sourcetype", "index"].map(|n| needs.wants(n));
        let indextime = if needs.wants("_indextime") {
            searcher
                .segment_readers()
                .iter()
                .map(|seg| seg.fast_fields().i64("_indextime").ok())
                .collect()
        } else {
            Vec::new()
        };
        let read_doc = reads_documents(needs);
        let stores = if read_doc {
            searcher
                .segment_readers()
                .iter()
                .map(|seg| seg.get_store_reader(STORE_CACHE_BLOCKS).ok())
                .collect()
        } else {
            Vec::new()
        };
        RowReader {
            bucket,
            searcher,
            columns,
            indextime,
            extra,
            extra_keys,
            builtin,
            read_doc,
            raw_wanted: needs.wants("_raw"),
            warning: bucket.fields.warning.filter(|_| needs.wants(WARNING_NAME)),
            stores,
            masker: None,
        }
    }

    /// The same reader, its rows masked by `masker`.
    pub fn masked(mut self, masker: Option<&'a loupe_access::mask::Masker>) -> RowReader<'a> {
        self.masker = masker.filter(|m| !m.is_empty());
        self
    }

    fn keyword(&self, cache: &mut KeywordCache, addr: DocAddress, col: u8) -> String {
        let Some(Some(c)) = self
            .columns
            .get(addr.segment_ord as usize)
            .map(|cols| &cols[col as usize])
        else {
            return String::new();
        };
        let Some(ord) = c.term_ords(addr.doc_id).next() else {
            return String::new();
        };
        cache
            .strings
            .entry((addr.segment_ord, col, ord))
            .or_insert_with(|| {
                let mut s = String::new();
                let _ = c.ord_to_str(ord, &mut s);
                s
            })
            .clone()
    }

    /// Reads one event as a row: metadata from fast columns, `_raw` and indexed fields from the
    /// doc store, then the sourcetype's search-time extractions (automatic `key=value`, JSON,
    /// known formats) for the fields the pipeline reads.
    pub fn row(
        &self,
        cache: &mut KeywordCache,
        addr: DocAddress,
        time_ns: i64,
    ) -> Result<Row, String> {
        self.row_with(cache, addr, time_ns, None)
    }

    /// True when rows need the stored document (else [`RowReader::row`] reads columns only).
    pub fn reads_documents(&self) -> bool {
        self.read_doc
    }

    /// Calls `f` with each of `wanted` (documents of one segment, in increasing order) and its
    /// stored document, walking the segment's doc store in order: each block is decompressed
    /// once and no document is looked up, the cheapest way when most documents are wanted.
    /// The documents not wanted are stepped over, and the wanted ones come as bytes: `f`
    /// decodes only those that become rows.
    pub fn each_document<E: From<tantivy::TantivyError> + From<DocStoreError>>(
        &self,
        segment: u32,
        wanted: &[(i64, DocAddress)],
        mut f: impl FnMut(&(i64, DocAddress), Doc<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let reader = self.searcher.segment_reader(segment);
        if let Some(store) = SegmentStore::open(&self.bucket.dir, reader)? {
            let mut next = wanted.iter().peekable();
            return store.for_each(|doc_id, view| {
                let Some(w) = next.next_if(|w| w.1.doc_id == doc_id) else {
                    return Ok(next.peek().is_some());
                };
                f(w, Doc::View(view))?;
                Ok(next.peek().is_some())
            });
        }
        let store = reader
            .get_store_reader(0)
            .map_err(|e| E::from(tantivy::TantivyError::from(e)))?;
        let mut next = wanted.iter().peekable();
        for (doc_id, doc) in store.iter::<Stored>(None).enumerate() {
            let Some(w) = next.peek() else {
                break;
            };
            if w.1.doc_id as usize != doc_id {
                continue;
            }
            let doc = doc.map_err(E::from)?;
            f(w, Doc::Stored(StoredDoc(doc)))?;
            next.next();
        }
        Ok(())
    }

    /// Whether search-time extraction of `raw` may give a field the pipeline reads: the
    /// sourcetype's own patterns name one (`patterned`, asked only when it matters), or the text
    /// holds one's `key=` or `"key"`. Extraction is the dear part of a row; most events skip it.
    fn extracts(&self, patterned: impl FnOnce() -> bool, raw: &[u8]) -> bool {
        match &self.extra {
            None => true,
            Some(extra) if extra.is_empty() => false,
            Some(_) => patterned() || self.keys_in(raw),
        }
    }

    /// Whether the sourcetype's own patterns may give a field the pipeline reads.
    fn patterned(&self, cache: &mut KeywordCache, sourcetype: &str) -> bool {
        if let Some(p) = cache.patterned.get(sourcetype) {
            return *p;
        }
        let p = self
            .extra
            .iter()
            .flatten()
            .any(|n| loupe_event::extract::sourcetype_may_give(sourcetype, n));
        cache.patterned.insert(sourcetype.to_string(), p);
        p
    }

    /// Whether `raw` holds the `key=` or `"key"` of a field the pipeline reads.
    fn keys_in(&self, raw: &[u8]) -> bool {
        self.extra_keys.iter().any(|k| k.may_hold(raw))
    }

    /// Reads one event's stored document.
    pub fn stored(&self, addr: DocAddress) -> Result<StoredDoc, String> {
        match self.stores.get(addr.segment_ord as usize) {
            Some(Some(store)) => store.get(addr.doc_id),
            _ => self.searcher.doc(addr),
        }
        .map(StoredDoc)
        .map_err(|e| e.to_string())
    }

    /// The event's text in its stored document.
    pub fn raw<'d>(&self, doc: &'d Doc<'_>) -> &'d str {
        let raw = self.bucket.fields.raw;
        match doc {
            Doc::View(view) => view.text(raw),
            Doc::Stored(doc) => doc.0 .0.iter().find_map(|(field, value)| match value {
                OwnedValue::Str(s) if *field == raw => Some(s.as_str()),
                _ => None,
            }),
        }
        .unwrap_or_default()
    }

    /// [`RowReader::raw`] as bytes, unchecked when read in place (see [`DocView::text_bytes`]).
    pub fn raw_bytes<'d>(&self, doc: &'d Doc<'_>) -> &'d [u8] {
        match doc {
            Doc::View(view) => view.text_bytes(self.bucket.fields.raw).unwrap_or_default(),
            Doc::Stored(_) => self.raw(doc).as_bytes(),
        }
    }

    /// The values of a document met in a walk, decoded for its row. Bytes this reader cannot
    /// decode are read again through tantivy, which says what is wrong with them.
    pub fn decoded(&self, addr: DocAddress, doc: Doc<'_>) -> Result<StoredDoc, String> {
        match doc {
            Doc::Stored(doc) => Ok(doc),
            Doc::View(view) => match view.decode() {
                Ok(values) => Ok(StoredDoc(Stored(values))),
                Err(_) => self.stored(addr),
            },
        }
    }

    /// Whether the event's row may hold a field the pipeline reads beyond its columns: from
    /// the fields indexed with it or from search-time extraction of its text `raw`. When not,
    /// a scan that runs its own extraction on the text knows the whole row.
    pub fn may_give_fields(
        &self,
        cache: &mut KeywordCache,
        addr: DocAddress,
        doc: &Doc<'_>,
        raw: &[u8],
    ) -> bool {
        let fields = self.bucket.fields.fields;
        let holds = |f: Field| match doc {
            Doc::View(view) => view.has(f),
            Doc::Stored(doc) => doc.0 .0.iter().any(|(g, _)| *g == f),
        };
        // `_warning` gives one field only: it matters when the pipeline reads it.
        let indexed = holds(fields) || self.warning.is_some_and(holds);
        indexed || self.extracts(|| self.patterned_at(cache, addr), raw)
    }

    /// [`RowReader::patterned`] for the event at `addr`, by its sourcetype's ordinal in the
    /// segment's column: the sourcetype's text is built once per segment, not per event.
    fn patterned_at(&self, cache: &mut KeywordCache, addr: DocAddress) -> bool {
        let column = self
            .columns
            .get(addr.segment_ord as usize)
            .and_then(|cols| cols[2].as_ref());
        if column.is_some_and(|c| !self.segment_patterned(cache, addr.segment_ord, c)) {
            return false;
        }
        let ord = column.and_then(|c| c.term_ords(addr.doc_id).next());
        let Some(ord) = ord else {
            return self.patterned(cache, "");
        };
        if let Some(p) = cache.patterned_ords.get(&(addr.segment_ord, ord)) {
            return *p;
        }
        let sourcetype = self.keyword(cache, addr, 2);
        let p = self.patterned(cache, &sourcetype);
        cache.patterned_ords.insert((addr.segment_ord, ord), p);
        p
    }

    /// Whether any sourcetype of the segment (its `column`), or an event without one, is
    /// [`RowReader::patterned`]; asked once per segment.
    fn segment_patterned(
        &self,
        cache: &mut KeywordCache,
        segment: u32,
        column: &StrColumn,
    ) -> bool {
        if let Some(any) = cache.segment_patterned.get(&segment) {
            return *any;
        }
        // An event without one is read as of sourcetype "".
        let any = self.patterned(cache, "")
            || (0..column.num_terms() as u64).any(|ord| {
                let mut name = String::new();
                // A name that cannot be read is taken as patterned: the events are read.
                column.ord_to_str(ord, &mut name).is_err() || self.patterned(cache, &name)
            });
        cache.segment_patterned.insert(segment, any);
        any
    }

    /// [`RowReader::row`] with the stored document already read (by [`RowReader::segment_documents`]).
    pub fn row_with(
        &self,
        cache: &mut KeywordCache,
        addr: DocAddress,
        time_ns: i64,
        stored: Option<StoredDoc>,
    ) -> Result<Row, String> {
        let mut row = self.unmasked_row(cache, addr, time_ns, stored)?;
        if let Some(m) = self.masker {
            mask_row(m, &mut row);
        }
        Ok(row)
    }

    fn unmasked_row(
        &self,
        cache: &mut KeywordCache,
        addr: DocAddress,
        time_ns: i64,
        stored: Option<StoredDoc>,
    ) -> Result<Row, String> {
        let mut row = Row::new();
        if time_ns != i64::MIN {
            row.set_time_ns(time_ns);
        }
        let [host, source, st, index] = self.builtin;
        if host {
            row.set("host", Value::Str(self.keyword(cache, addr, 0)));
        }
        if source {
            row.set("source", Value::Str(self.keyword(cache, addr, 1)));
        }
        if index {
            row.set("index", Value::Str(self.bucket.key.index.clone()));
        }
        if let Some(Some(c)) = self.indextime.get(addr.segment_ord as usize) {
            if let Some(t) = c.first(addr.doc_id) {
                row.set("_indextime", Value::Int(t));
            }
        }
        if !self.read_doc {
            if st {
                row.set("sourcetype", Value::Str(self.keyword(cache, addr, 2)));
            }
            return Ok(row);
        }
        let StoredDoc(Stored(values)) = match stored {
            Some(doc) => doc,
            None => self.stored(addr)?,
        };
        let mut raw = String::new();
        let mut indexed = None;
        let mut warnings = Vec::new();
        for (field, value) in values {
            if field == self.bucket.fields.raw {
                if let OwnedValue::Str(s) = value {
                    raw = s;
                }
            } else if field == self.bucket.fields.fields {
                indexed = Some(value);
            } else if Some(field) == self.warning {
                if let OwnedValue::Str(s) = value {
                    warnings.push(Value::Str(s));
                }
            }
        }
        let wanted = |name: &str| {
            self.extra
                .as_ref()
                .is_none_or(|e| e.iter().any(|n| n == name))
        };
        let needs_fields = self.extra.as_ref().is_none_or(|e| !e.is_empty());
        if needs_fields || st {
            let sourcetype = self.keyword(cache, addr, 2);
            let extract = self.extracts(|| self.patterned(cache, &sourcetype), raw.as_bytes());
            if st {
                row.set("sourcetype", Value::Str(sourcetype.clone()));
            }
            if extract {
                let mut extracted = Vec::new();
                loupe_event::extract::extract_fields(&sourcetype, &raw, &mut extracted);
                for (k, v) in extracted {
                    if wanted(&k) && row.get(&k).is_none() {
                        row.set(k, v);
                    }
                }
            }
        }
        if let (true, Some(value)) = (needs_fields, indexed) {
            if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(value) {
                for (k, v) in map {
                    if wanted(&k) {
                        row.set(k, Value::from_json(&v));
                    }
                }
            }
        }
        if !warnings.is_empty() {
            // A shipper's own `ingest_warning` (an indexed field) comes first, ingest's after it.
            let mut all: Vec<Value> = row
                .get(WARNING_NAME)
                .map(loupe_query::row::values_of)
                .unwrap_or_default()
                .into_iter()
                .cloned()
                .collect();
            all.append(&mut warnings);
            let value = if all.len() == 1 {
                all.remove(0)
            } else {
                Value::Multi(all)
            };
            row.set(WARNING_NAME, value);
        }
        if self.raw_wanted {
            row.set("_raw", Value::Str(raw));
        }
        Ok(row)
    }
}

/// Masks every text (and number: a NIR fits in an integer) of `row` but its time.
fn mask_row(m: &loupe_access::mask::Masker, row: &mut Row) {
    fn masked(m: &loupe_access::mask::Masker, v: &Value) -> Option<Value> {
        match v {
            Value::Str(s) => {
                let mut t = s.clone();
                (!m.apply(&mut t).is_empty()).then_some(Value::Str(t))
            }
            Value::Int(_) | Value::Float(_) => {
                let mut t = v.to_string();
                (!m.apply(&mut t).is_empty()).then_some(Value::Str(t))
            }
            Value::Multi(items) => {
                let out: Vec<Value> = items
                    .iter()
                    .map(|i| masked(m, i).unwrap_or_else(|| i.clone()))
                    .collect();
                (out != *items).then_some(Value::Multi(out))
            }
            Value::Null | Value::Bool(_) => None,
        }
    }
    let changes: Vec<(String, Value)> = row
        .iter()
        .filter(|(k, _)| *k != "_time" && *k != "_indextime")
        .filter_map(|(k, v)| masked(m, v).map(|v| (k.to_string(), v)))
        .collect();
    for (k, v) in changes {
        row.set(k, v);
    }
}

/// Fields every event carries in its own columns: their predicates are exact in the index.
pub fn is_indexed_field(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "host" | "source" | "sourcetype" | "index" | "_raw"
    )
}

/// True when some predicate names a field that may exist only at search time (the index can then
/// only narrow the candidates, and rows must be checked).
pub fn needs_row_filter(expr: &SearchExpr) -> bool {
    match expr {
        SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. } => {
            super::pushdown::needs_text_check(text)
        }
        SearchExpr::Field { field, .. } | SearchExpr::FieldIn { field, .. } => {
            !is_indexed_field(field)
        }
        SearchExpr::And(items) | SearchExpr::Or(items) => items.iter().any(needs_row_filter),
        SearchExpr::Not(inner) => needs_row_filter(inner),
        _ => false,
    }
}

/// A base search compiled for checking rows: the `OR`s of many single words become a set the
/// row's words are looked up in, so the check costs the event's length, not the number of
/// terms (a subsearch may return ten thousand).
#[derive(Debug, Clone)]
pub enum RowFilter {
    And(Vec<RowFilter>),
    Or(Vec<RowFilter>),
    Not(Box<RowFilter>),
    /// Any of these lower-cased words is a word of `_raw`.
    AnyWord(HashSet<String>),
    /// A word or phrase, its words found in the text as written (see [`PhraseMatcher`]).
    Phrase(Box<PhraseMatcher>),
    /// Anything else, checked as written.
    Expr(SearchExpr),
}

/// Fewer single words than this in one `OR` stay plain terms (a set costs a split of the row).
const WORD_SET_MIN: usize = 8;

impl RowFilter {
    pub fn new(expr: &SearchExpr) -> RowFilter {
        match expr {
            SearchExpr::And(items) => RowFilter::And(items.iter().map(RowFilter::new).collect()),
            SearchExpr::Not(inner) => RowFilter::Not(Box::new(RowFilter::new(inner))),
            SearchExpr::Or(items) => {
                let single = |e: &SearchExpr| match e {
                    SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. }
                        if !text.contains('*') =>
                    {
                        let lower = text.to_lowercase();
                        let mut words = words_of(&lower);
                        match (words.next(), words.next()) {
                            (Some(w), None) => Some(w.to_string()),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                let words: Vec<Option<String>> = items.iter().map(single).collect();
                if words.iter().flatten().count() < WORD_SET_MIN {
                    return RowFilter::Or(items.iter().map(RowFilter::new).collect());
                }
                let mut set = HashSet::new();
                let mut rest = Vec::new();
                for (item, word) in items.iter().zip(words) {
                    match word {
                        Some(w) => {
                            set.insert(w);
                        }
                        None => rest.push(RowFilter::new(item)),
                    }
                }
                rest.push(RowFilter::AnyWord(set));
                RowFilter::Or(rest)
            }
            other => match PhraseMatcher::new(other) {
                Some(m) => RowFilter::Phrase(Box::new(m)),
                None => RowFilter::Expr(other.clone()),
            },
        }
    }

    /// Splunk's search-command semantics on a row: terms and phrases against `_raw`
    /// (case-insensitive), `field=value` against the row's fields (wildcards, numbers
    /// compared as numbers).
    pub fn matches(&self, row: &Row) -> bool {
        let owned;
        let raw: &str = match row.get("_raw") {
            Some(Value::Str(s)) => s,
            Some(v) => {
                owned = v.to_string();
                &owned
            }
            None => "",
        };
        // Lower-cased at most once per row, and only for the checks that need it.
        self.matches_raw(row, &Text::new(raw.as_bytes()))
    }

    /// False when the event's text `raw` alone rules the row out: its words and phrases
    /// cannot hold, whatever its other fields. Asked before a row is built, so that most
    /// events of a scan are dropped with their bytes still undecoded; [`RowFilter::matches`]
    /// decides the rest.
    pub fn may_match_text(&self, raw: &[u8]) -> bool {
        self.text_allows(&Text::new(raw)) != Some(false)
    }

    /// The answer the text alone gives, when it gives one.
    fn text_allows(&self, text: &Text<'_>) -> Option<bool> {
        match self {
            RowFilter::And(items) => Self::text_joined(items, text, false),
            RowFilter::Or(items) => Self::text_joined(items, text, true),
            RowFilter::Not(inner) => inner.text_allows(text).map(|b| !b),
            RowFilter::AnyWord(set) => Some(words_of(text.lower()).any(|w| set.contains(w))),
            RowFilter::Phrase(m) => Some(m.matches(text)),
            RowFilter::Expr(_) => None,
        }
    }

    /// The text's answer for `items` joined by AND (`decisive` false) or OR (`decisive`
    /// true): an item answering `decisive` decides; an undecided one leaves the rest open.
    fn text_joined(items: &[RowFilter], text: &Text<'_>, decisive: bool) -> Option<bool> {
        let mut joined = Some(!decisive);
        for i in items {
            match i.text_allows(text) {
                Some(b) if b == decisive => return Some(decisive),
                Some(_) => {}
                None => joined = None,
            }
        }
        joined
    }

    fn matches_raw(&self, row: &Row, text: &Text<'_>) -> bool {
        match self {
            RowFilter::And(items) => items.iter().all(|i| i.matches_raw(row, text)),
            RowFilter::Or(items) => items.iter().any(|i| i.matches_raw(row, text)),
            RowFilter::Not(inner) => !inner.matches_raw(row, text),
            RowFilter::AnyWord(set) => words_of(text.lower()).any(|w| set.contains(w)),
            RowFilter::Phrase(m) => m.matches(text),
            RowFilter::Expr(e) => matches_row(e, row, text.lower()),
        }
    }
}

/// An event's text as a filter reads it: bytes, matched as they are when ASCII (nearly all
/// log text), lower-cased as Unicode text only when a matcher needs it.
struct Text<'a> {
    raw: &'a [u8],
    ascii: bool,
    lower: std::cell::OnceCell<String>,
}

impl<'a> Text<'a> {
    fn new(raw: &'a [u8]) -> Text<'a> {
        Text {
            raw,
            ascii: raw.is_ascii(),
            lower: std::cell::OnceCell::new(),
        }
    }

    fn lower(&self) -> &str {
        self.lower
            .get_or_init(|| String::from_utf8_lossy(self.raw).to_lowercase())
    }
}

/// A word or phrase of the base search, compiled once per search: its words are looked for in
/// the text as written, case-insensitively, by a vectorised finder for the first word and a
/// comparison of the tokens after it, instead of lower-casing and splitting every event. The
/// answer is [`holds_phrase`]'s: the words, as runs of alphanumerics, one after the other.
/// Text that is not ASCII takes [`holds_phrase`] itself (Unicode lower-casing can turn a
/// non-ASCII letter into an ASCII one, as the index's tokenizer does).
#[derive(Debug, Clone)]
pub struct PhraseMatcher {
    /// The needle lower-cased, for the non-ASCII path.
    needle: String,
    /// Its words, lower-cased ASCII.
    words: Vec<String>,
    /// Finds the first word (digits only: bytes as they are; else ASCII case folded).
    first: FirstWord,
}

#[derive(Debug, Clone)]
enum FirstWord {
    Exact(Box<memchr::memmem::Finder<'static>>),
    Folded(aho_corasick::AhoCorasick),
}

impl PhraseMatcher {
    /// A matcher for a plain term or phrase (no wildcard, no directive) of ASCII words.
    fn new(expr: &SearchExpr) -> Option<PhraseMatcher> {
        let (SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. }) = expr else {
            return None;
        };
        if text.contains('*') || loupe_query::directive::Directive::parse(text).is_some() {
            return None;
        }
        let needle = text.to_lowercase();
        let words: Vec<String> = words_of(&needle).map(str::to_string).collect();
        let first = words.first()?;
        if !words.iter().all(|w| w.is_ascii()) {
            return None;
        }
        let first = if first.bytes().all(|b| b.is_ascii_digit()) {
            FirstWord::Exact(Box::new(
                memchr::memmem::Finder::new(first.as_bytes()).into_owned(),
            ))
        } else {
            FirstWord::Folded(
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build([first.as_str()])
                    .ok()?,
            )
        };
        Some(PhraseMatcher {
            needle,
            words,
            first,
        })
    }

    fn matches(&self, text: &Text<'_>) -> bool {
        if !text.ascii {
            return holds_phrase(text.lower(), &self.needle);
        }
        let bytes = text.raw;
        let alnum = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_alphanumeric);
        let first_len = self.words[0].len();
        let mut from = 0;
        while from < bytes.len() {
            let found = match &self.first {
                FirstWord::Exact(f) => f.find(&bytes[from..]),
                FirstWord::Folded(ac) => ac.find(&bytes[from..]).map(|m| m.start()),
            };
            let Some(at) = found.map(|i| i + from) else {
                return false;
            };
            from = at + 1;
            if (at > 0 && alnum(at - 1)) || alnum(at + first_len) {
                continue;
            }
            if self.rest_follows(bytes, at + first_len) {
                return true;
            }
        }
        false
    }

    /// True when the words after the first come next in `bytes`, from `pos` (the end of the
    /// first word), each a whole token.
    fn rest_follows(&self, bytes: &[u8], mut pos: usize) -> bool {
        for word in &self.words[1..] {
            while pos < bytes.len() && !bytes[pos].is_ascii_alphanumeric() {
                pos += 1;
            }
            let end = pos + word.len();
            if end > bytes.len()
                || !bytes[pos..end].eq_ignore_ascii_case(word.as_bytes())
                || bytes.get(end).is_some_and(u8::is_ascii_alphanumeric)
            {
                return false;
            }
            pos = end;
        }
        true
    }
}

/// The words of lower-cased text, as a phrase check splits it (runs of alphanumerics).
fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

fn matches_row(expr: &SearchExpr, row: &Row, raw: &str) -> bool {
    match expr {
        SearchExpr::All | SearchExpr::TimeBound { .. } | SearchExpr::Subsearch { .. } => true,
        SearchExpr::And(items) => items.iter().all(|i| matches_row(i, row, raw)),
        SearchExpr::Or(items) => items.iter().any(|i| matches_row(i, row, raw)),
        SearchExpr::Not(inner) => !matches_row(inner, row, raw),
        // A directive reads the text as written (`CASE` minds the case `raw` has lost).
        SearchExpr::Term { text, .. }
            if loupe_query::directive::Directive::parse(text).is_some() =>
        {
            let written = row.get("_raw").map(|v| v.to_string()).unwrap_or_default();
            loupe_query::directive::Directive::parse(text).is_some_and(|d| d.matches(&written))
        }
        SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. } => {
            let needle = text.to_lowercase();
            if needle.contains('*') {
                raw.split(|c: char| c.is_whitespace())
                    .any(|w| super::pushdown::wildcard_eq(&needle, w))
                    || super::pushdown::wildcard_eq(&format!("*{needle}*"), raw)
            } else {
                holds_phrase(raw, &needle)
            }
        }
        SearchExpr::Field {
            field, op, value, ..
        } => field_matches(row, field, *op, value),
        SearchExpr::FieldIn { field, values, .. } => values
            .iter()
            .any(|v| field_matches(row, field, CmpOp::Eq, v)),
    }
}

/// True when the tokens of `needle` occur one after the other among the tokens of `raw` (both
/// lower-cased): what a phrase means in the index, checked on the text.
fn holds_phrase(raw: &str, needle: &str) -> bool {
    let words = |s: &str| -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in s.char_indices() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(st)) => {
                    out.push((st, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(st) = start {
            out.push((st, s.len()));
        }
        out
    };
    let want: Vec<&str> = words(needle)
        .into_iter()
        .map(|(a, b)| &needle[a..b])
        .collect();
    if want.is_empty() {
        return true;
    }
    // Cheap rejection before splitting the event.
    if !want.iter().all(|w| raw.contains(w)) {
        return false;
    }
    let have: Vec<&str> = words(raw).into_iter().map(|(a, b)| &raw[a..b]).collect();
    have.windows(want.len()).any(|w| w == want.as_slice())
}

fn field_matches(row: &Row, field: &str, op: CmpOp, value: &str) -> bool {
    let Some(v) = row.get(field) else {
        // `field!=x` is true for events without the field in Splunk only for NOT field=x; != needs the field.
        return false;
    };
    let values: Vec<&Value> = match v {
        Value::Multi(items) => items.iter().collect(),
        other => vec![other],
    };
    values.iter().any(|v| compare(v, op, value))
}

fn compare(v: &Value, op: CmpOp, value: &str) -> bool {
    let text = v.to_string();
    let numeric = v.as_f64().zip(value.trim().parse::<f64>().ok());
    match op {
        CmpOp::Eq => match numeric {
            Some((a, b)) if !value.contains('*') => a == b,
            _ => super::pushdown::wildcard_eq(value, &text),
        },
        CmpOp::Ne => !compare(v, CmpOp::Eq, value),
        _ => {
            let ord = match numeric {
                Some((a, b)) => a.partial_cmp(&b),
                None => Some(text.as_str().cmp(value)),
            };
            match (op, ord) {
                (CmpOp::Lt, Some(o)) => o.is_lt(),
                (CmpOp::Le, Some(o)) => o.is_le(),
                (CmpOp::Gt, Some(o)) => o.is_gt(),
                (CmpOp::Ge, Some(o)) => o.is_ge(),
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(text: &str) -> SearchExpr {
        loupe_query::parse(&format!("search {text}"))
            .ok()
            .and_then(|q| match q.commands.into_iter().next().map(|c| c.kind) {
                Some(loupe_query::CommandKind::Search(s)) => Some(s),
                _ => None,
            })
            .expect("a search")
    }

    /// The compiled matcher answers as the lower-case-and-split check does, on ASCII and
    /// non-ASCII text, at token boundaries, across punctuation, in any case.
    #[test]
    fn the_phrase_matcher_agrees_with_the_split_check() {
        let needles = [
            "22",
            "\"port 22\"",
            "\"failed password\"",
            "\"Failed  PASSWORD for\"",
            "error",
            "\"user-admin\"",
            "\"a.b.c\"",
        ];
        let texts = [
            "sshd: Failed password for root from 10.0.0.1 port 22 ssh2",
            "port=22;",
            "port 220 and 122 and x22",
            "FAILED-PASSWORD:FOR root",
            "failed passwords for",
            "Error: errors",
            "user-admin logged in; user_admin not",
            "a.b.c.d",
            "ab.c",
            "Ünïcode erröR, port 22 ok",
            "KELVIN \u{212A}elvin error22 22",
            "",
            "22",
        ];
        for n in needles {
            let expr = term(n);
            let m = PhraseMatcher::new(&expr).expect("compiles");
            let needle = match &expr {
                SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. } => {
                    text.to_lowercase()
                }
                other => panic!("{other:?}"),
            };
            for t in texts {
                let text = Text::new(t.as_bytes());
                assert_eq!(
                    m.matches(&text),
                    holds_phrase(&t.to_lowercase(), &needle),
                    "{n:?} in {t:?}"
                );
            }
        }
        // Terms ANDed are each compiled; the row filter needs no lower-cased copy for them.
        let f = RowFilter::new(&term("port 22 NOT error"));
        let row = |raw: &str| {
            let mut r = Row::new();
            r.set("_raw", Value::Str(raw.into()));
            r
        };
        assert!(f.matches(&row("Port 22 open")));
        assert!(!f.matches(&row("port 22 ERROR")));
        assert!(!f.matches(&row("port 2222")));
        // Wildcards and directives keep the general check.
        assert!(PhraseMatcher::new(&term("err*")).is_none());
        assert!(PhraseMatcher::new(&term("CASE(Error)")).is_none());
    }

    /// The check on the text alone, made before a row is built, never rules out a row the
    /// whole filter keeps, and decides alone whenever the filter names no field.
    #[test]
    fn the_text_check_never_drops_a_row_the_filter_keeps() {
        let row = |raw: &str, user: Option<&str>| {
            let mut r = Row::new();
            r.set("_raw", Value::Str(raw.into()));
            if let Some(u) = user {
                r.set("user", Value::Str(u.into()));
            }
            r
        };
        let texts = [
            "port 22 open",
            "Failed password for root",
            "error at 22:01",
            "nothing here",
            "",
        ];
        let filters = [
            ("22", true),
            ("NOT 22", true),
            ("22 OR error", true),
            ("\"failed password\" NOT (error OR 22)", true),
            ("a OR b OR c OR d OR e OR f OR g OR h OR port", true),
            ("22 user=root", false),
            ("22 OR user=root", false),
            ("NOT (22 user=root)", false),
            ("NOT 22 OR NOT user=admin", false),
        ];
        let mut dropped = 0;
        for (q, text_only) in filters {
            let f = RowFilter::new(&term(q));
            for t in texts {
                for user in [None, Some("root"), Some("admin")] {
                    let r = row(t, user);
                    let keeps = f.matches(&r);
                    let may = f.may_match_text(t.as_bytes());
                    assert!(may || !keeps, "{q:?} on {t:?} {user:?}");
                    if text_only {
                        assert_eq!(may, keeps, "{q:?} on {t:?}");
                    }
                    dropped += usize::from(!may);
                }
            }
        }
        assert!(dropped > 20, "the text alone rules rows out ({dropped})");
    }
}
