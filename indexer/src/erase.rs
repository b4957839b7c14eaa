//! Erasure on request (GDPR art. 17): `loupe erase` and `POST /api/v1/erase`.
//!
//! An erasure is a search expression over one index, in the caller's scope. By default it
//! only tells what matches (a count and a sample). Confirmed, it runs with the store's writer
//! to itself (the pipeline's index thread, or the command line holding the data dir's lock):
//! the index's open buckets are committed and closed, the matching events found again, and
//! each bucket holding some is rewritten without them ([`crate::store::erase`]); then the
//! write-ahead log is purged of every committed record, so no copy survives there either.
//! An erasure matching more than `[access] erase_max_events` is refused unless forced: a
//! mistyped search must not empty an index.

use crate::search::{self, SearchError, SearchRequest, SearchScope};
use crate::store::erase::{erase_from_bucket, BucketErased};
use crate::store::{Store, StoreError, StoreWriter};
use serde::Serialize;

/// What to erase.
#[derive(Debug, Clone, Default)]
pub struct EraseRequest {
    pub index: String,
    /// A search expression (no `|`): terms, `field=value`, `earliest=`…
    pub search: String,
    pub earliest: Option<String>,
    pub latest: Option<String>,
}

/// Why an erasure did not happen.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("may not read index {0:?}, so may not erase from it")]
    Forbidden(String),
    #[error("the search matches {matched} events, more than the {max} an erasure removes at once ([access] erase_max_events): narrow it, or force it")]
    TooMany { matched: u64, max: u64 },
}

impl EraseError {
    /// True when the request, not the system, is at fault.
    pub fn is_request_error(&self) -> bool {
        match self {
            EraseError::Search(e) => e.is_query_error(),
            EraseError::Store(_) => false,
            _ => true,
        }
    }
}

/// A dry run's answer: what a confirmed erasure would remove now.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub matched: u64,
    pub buckets: usize,
    pub sample: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// A confirmed erasure's answer.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Erased {
    pub erased: u64,
    pub buckets_rewritten: usize,
    pub buckets_removed: usize,
}

/// The search an erasure runs: its expression within its index, nothing else.
fn search_request(req: &EraseRequest, scope: &SearchScope) -> Result<SearchRequest, EraseError> {
    crate::store::validate_index_name(&req.index)
        .map_err(|e| EraseError::Invalid(e.to_string()))?;
    if !scope.allows_index(&req.index) {
        return Err(EraseError::Forbidden(req.index.clone()));
    }
    search::role_filter(&req.search)
        .map_err(|e| EraseError::Invalid(format!("erase {:?}: {e}", req.search)))?;
    Ok(SearchRequest {
        query: format!("index=\"{}\" ({})", req.index, req.search),
        earliest: req.earliest.clone(),
        latest: req.latest.clone(),
        limit: usize::MAX / 2,
        ..SearchRequest::default()
    })
}

/// What `req` matches now, with up to `sample` of the events (masked as the caller sees them).
pub fn preview(
    store: &Store,
    scope: &SearchScope,
    req: &EraseRequest,
    sample: usize,
) -> Result<Preview, EraseError> {
    let sreq = search_request(req, scope)?;
    let (matches, sample) = search::erasure_matches(store, scope, &sreq, sample)?;
    Ok(Preview {
        matched: matches.iter().map(|m| m.docs.len() as u64).sum(),
        buckets: matches.len(),
        sample,
    })
}

/// Erases what `req` matches, with the store's writer to itself; refused above `max` events.
pub fn erase(
    writer: &mut StoreWriter,
    scope: &SearchScope,
    req: &EraseRequest,
    max: Option<u64>,
) -> Result<Erased, EraseError> {
    let sreq = search_request(req, scope)?;
    // No writer may hold a bucket being rewritten, and the addresses found stay valid only
    // while nothing is added.
    writer.close_index(&req.index)?;
    let store = writer.store().clone();
    let (matches, _) = search::erasure_matches(&store, scope, &sreq, 0)?;
    let matched: u64 = matches.iter().map(|m| m.docs.len() as u64).sum();
    if let Some(max) = max.filter(|&m| matched > m) {
        return Err(EraseError::TooMany { matched, max });
    }
    let mut out = Erased::default();
    for m in matches {
        match erase_from_bucket(&store, &m.bucket, &m.searcher, &m.docs)? {
            BucketErased::Rewritten { .. } => out.buckets_rewritten += 1,
            BucketErased::Removed => out.buckets_removed += 1,
        }
        out.erased += m.docs.len() as u64;
    }
    Ok(out)
}
