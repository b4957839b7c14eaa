//! The audit trail: every search, export, tail, login, failed login and configuration
//! change becomes an event of `_audit`, sealed into `loupe-access`'s hash chain and written
//! through the durable ingest path (so it is an ordinary, searchable, alertable index).
//!
//! The chain's head (last sequence number and hash) is kept in `meta.sqlite` apart from the
//! events, so `loupe audit verify` also notices events cut off its end. Events are sealed
//! and written one at a time, in order: the chain never forks.

use crate::ingest::pipeline::Pipeline;
use crate::search::{self, SearchRequest, SearchScope};
use crate::store::wal::LoggedBatch;
use crate::store::Store;
use loupe_access::audit::{Broken, Chain};
use loupe_event::{Event, EventFlags};
use loupe_meta::MetaStore;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The index of the audit trail; no sender may write to it.
pub const AUDIT_INDEX: &str = "_audit";

const HEAD_SCOPE: &str = "audit";
const HEAD_KEY: &str = "head";

/// Writes audit events, each linked to the one before.
pub struct Auditor {
    pipeline: Arc<Pipeline>,
    meta: Arc<MetaStore>,
    host: String,
    chain: tokio::sync::Mutex<Chain>,
}

/// The chain head recorded in the metadata (none before the first event).
fn head(meta: &MetaStore) -> Result<Chain, loupe_meta::MetaError> {
    Ok(meta
        .get_kv(HEAD_SCOPE, HEAD_KEY)?
        .and_then(|v| {
            let (seq, hash) = v.split_once(' ')?;
            Some(Chain {
                seq: seq.parse().ok()?,
                last: hash.to_string(),
            })
        })
        .unwrap_or_default())
}

impl Auditor {
    /// Continues the chain where the metadata says it stands.
    pub fn open(
        store: &Store,
        pipeline: Arc<Pipeline>,
        meta: Arc<MetaStore>,
        host: String,
    ) -> Result<Auditor, String> {
        store.create_index(AUDIT_INDEX).map_err(|e| e.to_string())?;
        let chain = head(&meta).map_err(|e| e.to_string())?;
        Ok(Auditor {
            pipeline,
            meta,
            host,
            chain: tokio::sync::Mutex::new(chain),
        })
    }

    /// Records one event: `action`, who did it, and `detail`. A failure is logged, never
    /// the caller's: the action already happened, and hiding it is worse than noise.
    pub async fn record(&self, action: &str, user: &str, role: &str, detail: Value) {
        if let Err(e) = self.try_record(action, user, role, detail).await {
            tracing::error!("audit event {action:?} by {user:?} not written: {e}");
        }
    }

    async fn try_record(
        &self,
        action: &str,
        user: &str,
        role: &str,
        detail: Value,
    ) -> Result<(), String> {
        let time_ns = crate::ingest::now_ns();
        let mut event = Map::new();
        event.insert(
            "time".into(),
            json!(format!(
                "{}.{:06}",
                time_ns.div_euclid(1_000_000_000),
                time_ns.rem_euclid(1_000_000_000) / 1000
            )),
        );
        event.insert("action".into(), json!(action));
        event.insert("user".into(), json!(user));
        event.insert("role".into(), json!(role));
        if let Value::Object(d) = detail {
            for (k, v) in d {
                event.entry(k).or_insert(v);
            }
        }
        let mut chain = self.chain.lock().await;
        let mut next = chain.clone();
        let sealed = next.seal(event);
        let mut fields = Vec::new();
        crate::ingest::hec::flatten_json("", &sealed, &mut fields, 0);
        let raw = Value::Object(sealed).to_string();
        let batch = LoggedBatch {
            channel: None,
            sequence: None,
            events: vec![Event {
                time_ns,
                raw,
                host: self.host.clone(),
                source: "loupe:audit".into(),
                sourcetype: "_json".into(),
                index: AUDIT_INDEX.into(),
                fields,
                flags: EventFlags::default(),
            }],
        };
        // Acknowledged means durable: the head moves only once the event is.
        self.pipeline
            .submit(batch)
            .await
            .map_err(|e| e.to_string())?;
        let head = format!("{} {}", next.seq, next.last);
        let meta = self.meta.clone();
        tokio::task::spawn_blocking(move || meta.set_kv(HEAD_SCOPE, HEAD_KEY, Some(head)))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        *chain = next;
        Ok(())
    }

    /// A search by `scope`: its text, time range, the indexes it read and how many
    /// results it gave (or why it failed).
    pub async fn search(
        &self,
        action: &str,
        scope: &SearchScope,
        req: &SearchRequest,
        outcome: Result<(&search::SearchStats, usize), String>,
    ) {
        let mut detail = json!({
            "query": req.query,
            "earliest": req.earliest,
            "latest": req.latest,
        });
        if let Value::Object(d) = &mut detail {
            match outcome {
                Ok((stats, results)) => {
                    // One comma-separated field: `indexes=*sante*` finds it, as a list would not.
                    d.insert("indexes".into(), json!(stats.indexes.join(",")));
                    d.insert("result_count".into(), json!(results));
                    d.insert("scanned".into(), json!(stats.scanned));
                }
                Err(e) => {
                    d.insert("error".into(), json!(e));
                }
            }
        }
        self.record(action, &scope.principal, scope.role_name(), detail)
            .await;
    }
}

impl Auditor {
    /// A change of configuration (`saved_search_update`, …): the object's name and what it
    /// was before and after (`null` for a creation or a deletion).
    pub async fn change(
        &self,
        action: &str,
        scope: &SearchScope,
        name: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) {
        let detail = json!({"object": name, "before": before, "after": after});
        self.record(action, &scope.principal, scope.role_name(), detail)
            .await;
    }
}

/// `loupe audit verify`: every `_audit` event of a data dir checked against the chain and
/// its recorded head; the number of events, or the first broken link.
pub fn verify(data_dir: &std::path::Path) -> Result<Result<u64, Broken>, String> {
    let store = Store::open(data_dir).map_err(|e| e.to_string())?;
    let meta = MetaStore::open(data_dir).map_err(|e| e.to_string())?;
    let head = head(&meta).map_err(|e| e.to_string())?;
    let req = SearchRequest {
        query: format!("index={AUDIT_INDEX} | fields _raw"),
        limit: usize::MAX / 2,
        ..SearchRequest::default()
    };
    let resp = search::run(&store, &SearchScope::default(), &req).map_err(|e| e.to_string())?;
    let mut events = Vec::with_capacity(resp.rows.len());
    for row in resp.rows {
        let raw = row.get("_raw").and_then(Value::as_str).unwrap_or("");
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(m)) => events.push(m),
            _ => {
                return Ok(Err(Broken {
                    seq: 0,
                    reason: format!("an event of {AUDIT_INDEX} is not an audit record: {raw:?}"),
                }))
            }
        }
    }
    Ok(loupe_access::audit::verify(events, Some(head.seq)))
}
