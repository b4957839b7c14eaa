//! The tantivy schema every bucket shares (DESIGN.md §5) and the tokenizers it names.
//!
//! `_raw` is split like Splunk's minor breakers (every non-alphanumeric character) and
//! lower-cased, without positions: phrases are answered by word-pair terms (see
//! [`super::vocabulary`]). `host`, `source`, `sourcetype` are
//! keywords: indexed lower-cased (searches are case-insensitive) and kept as-is in
//! fast columns (stats show the original spelling). Structured fields go to one
//! JSON field, `_fields`.

use tantivy::schema::{
    Field, IndexRecordOption, JsonObjectOptions, NumericOptions, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};

/// Tokenizer of `_raw`: minor-breaker segmentation, lower case, terms over 255 bytes dropped.
pub const RAW_TOKENIZER: &str = "loupe_raw";
/// Tokenizer of keyword fields: the whole value, lower-cased.
pub const KEYWORD_TOKENIZER: &str = "loupe_keyword";

/// The fields of a bucket, resolved once so the hot path never looks names up.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub time: Field,
    pub raw: Field,
    pub host: Field,
    pub source: Field,
    pub sourcetype: Field,
    pub fields: Field,
    /// `_indextime`, epoch seconds the event was written into its bucket (`None` in buckets
    /// made before it existed: their events have no index time).
    pub indextime: Option<Field>,
    /// `_warning`, the repairs ingest made to the event (`timestamp_unparsed`, `truncated`…),
    /// searched and shown as `ingest_warning` (`None` in buckets made before it: theirs are in
    /// `_fields.ingest_warning`).
    pub warning: Option<Field>,
}

/// The field name a user searches and sees ingest's repairs under.
pub const WARNING_NAME: &str = "ingest_warning";

/// Builds the schema; identical for every bucket so searches can treat buckets alike.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // A fast column only: time ranges run on it (tantivy picks the columnar range query), so
    // an inverted index of ~one term per event and a stored copy would only cost space.
    let time = b.add_i64_field("_time", NumericOptions::default().set_fast());
    // Documents only, no positions: phrases are answered by word-pair terms (see `vocabulary`).
    let raw_indexing = TextFieldIndexing::default()
        .set_tokenizer(RAW_TOKENIZER)
        .set_fieldnorms(false)
        .set_index_option(IndexRecordOption::Basic);
    let raw = b.add_text_field(
        "_raw",
        TextOptions::default()
            .set_indexing_options(raw_indexing)
            .set_stored(),
    );
    let kw_indexing = TextFieldIndexing::default()
        .set_tokenizer(KEYWORD_TOKENIZER)
        .set_fieldnorms(false)
        .set_index_option(IndexRecordOption::Basic);
    // Not stored: searches read them from the fast columns, which the doc store would only duplicate.
    let keyword = TextOptions::default()
        .set_indexing_options(kw_indexing.clone())
        .set_fast("raw");
    let host = b.add_text_field("host", keyword.clone());
    let source = b.add_text_field("source", keyword.clone());
    let sourcetype = b.add_text_field("sourcetype", keyword);
    let json = JsonObjectOptions::default()
        .set_indexing_options(kw_indexing.clone())
        .set_stored()
        .set_fast("raw")
        .set_expand_dots_enabled();
    let fields = b.add_json_field("_fields", json);
    // Last, so the fields before it keep their ids in buckets made without it. A fast column
    // only: ingest lag is charted from it and `_index_earliest` is a range over it.
    let indextime = b.add_i64_field("_indextime", NumericOptions::default().set_fast());
    // After it, for the same reason. A keyword of its own, not a key of `_fields`: nine in ten
    // lines of a file without timestamps carry `timestamp_unparsed`, and as a JSON object each
    // cost a map, a JSON path term, a JSON fast column entry and an object in the doc store (9–12 %
    // of such an import's CPU); here it is one stored string and one term of a tiny vocabulary.
    let warning = b.add_text_field(
        "_warning",
        TextOptions::default()
            .set_indexing_options(kw_indexing)
            .set_stored(),
    );
    (
        b.build(),
        Fields {
            time,
            raw,
            host,
            source,
            sourcetype,
            fields,
            indextime: Some(indextime),
            warning: Some(warning),
        },
    )
}

/// Registers Loupe's tokenizers; tantivy does not persist them, so every opened index needs this.
pub fn register_tokenizers(index: &tantivy::Index) {
    let raw = TextAnalyzer::from(super::vocabulary::LogTokenizer::default());
    index.tokenizers().register(RAW_TOKENIZER, raw);
    let keyword = TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .build();
    index.tokenizers().register(KEYWORD_TOKENIZER, keyword);
}
