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
use loupe_access::audit::{Broken, Chain, Floor, Intact, RETENTION_ACTION};
use loupe_event::{Event, EventFlags};
use loupe_meta::MetaStore;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The index of the audit trail; no sender may write to it.
pub const AUDIT_INDEX: &str = "_audit";

const HEAD_SCOPE: &str = "audit";
const HEAD_KEY: &str = "head";
/// Audit events of the command line waiting for whoever holds the store (`meta.sqlite`
/// scope): `loupe user add` runs while the server holds the data dir's lock.
const PENDING_SCOPE: &str = "audit_pending";

/// An audit event of the command line, kept in `meta.sqlite` until it is sealed into the chain.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Pending {
    action: String,
    user: String,
    role: String,
    detail: Value,
}

/// Records an audit event of a command run on the data dir (`loupe user add`, `loupe token
/// create`…): queued in `meta.sqlite`, then sealed into `_audit` at once when no server holds
/// the store, else by the server within seconds ([`Auditor::watch_pending`]). A crash between
/// sealing and dequeuing writes it twice, never zero times.
pub fn record_from_cli(
    data_dir: &std::path::Path,
    meta: &MetaStore,
    action: &str,
    detail: Value,
) -> Result<(), String> {
    let p = Pending {
        action: action.to_string(),
        user: cli_principal(),
        role: "-".to_string(),
        detail,
    };
    let key = format!("{:020}-{:08x}", crate::ingest::now_ns(), std::process::id());
    let value = serde_json::to_string(&p).map_err(|e| e.to_string())?;
    meta.set_kv(PENDING_SCOPE, &key, Some(value))
        .map_err(|e| e.to_string())?;
    let store = match Store::open(data_dir) {
        Ok(s) => Arc::new(s),
        // A server runs: it seals the queue.
        Err(crate::store::StoreError::Locked(_)) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let mut audit = OfflineAudit::open(meta)?;
    let done = crate::ingest::pipeline::offline(&store, |w| {
        audit
            .drain(w, meta)
            .map_err(crate::store::StoreError::Corrupt)
    })
    .map_err(|e| e.to_string())?;
    audit.commit_head(meta)?;
    for key in done {
        meta.set_kv(PENDING_SCOPE, &key, None)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The queued events, oldest first (an unreadable one is logged and dropped from the queue).
fn pending(meta: &MetaStore) -> Result<Vec<(String, Pending)>, String> {
    let mut out = Vec::new();
    for (key, value) in meta.kv_scope(PENDING_SCOPE).map_err(|e| e.to_string())? {
        match serde_json::from_str::<Pending>(&value) {
            Ok(p) => out.push((key, p)),
            Err(e) => {
                tracing::error!("queued audit event {key} unreadable, dropped: {e}: {value}");
                meta.set_kv(PENDING_SCOPE, &key, None)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(out)
}

/// Writes audit events, each linked to the one before.
pub struct Auditor {
    pipeline: Arc<Pipeline>,
    meta: Arc<MetaStore>,
    host: String,
    chain: tokio::sync::Mutex<Chain>,
    /// Wakes the chain watch before its interval (after an erasure touched `_audit`).
    check_now: tokio::sync::Notify,
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

/// The `_audit` event of `action` by `user`, sealed into `chain` (which moves on).
fn sealed_event(
    chain: &mut Chain,
    host: &str,
    action: &str,
    user: &str,
    role: &str,
    detail: Value,
    time_ns: i64,
) -> Event {
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
    let sealed = chain.seal(event);
    let mut fields = Vec::new();
    crate::ingest::hec::flatten_json("", &sealed, &mut fields, 0);
    Event {
        time_ns,
        raw: Value::Object(sealed).to_string(),
        host: host.to_string(),
        source: "loupe:audit".into(),
        sourcetype: "_json".into(),
        index: AUDIT_INDEX.into(),
        fields,
        flags: EventFlags::default(),
    }
}

/// Records an audit event with the writer of a data dir this process holds the lock of (the
/// command line, no server running), continuing the chain recorded in `meta`. The head moves
/// once the writer has committed: call [`OfflineAudit::commit_head`] after.
pub struct OfflineAudit {
    chain: Chain,
}

impl OfflineAudit {
    /// Where the chain stands in `meta`.
    pub fn open(meta: &MetaStore) -> Result<OfflineAudit, String> {
        Ok(OfflineAudit {
            chain: head(meta).map_err(|e| e.to_string())?,
        })
    }

    /// Adds the sealed event to `writer` (committed with the writer's next commit).
    pub fn record(
        &mut self,
        writer: &mut crate::store::StoreWriter,
        (action, user, role): (&str, &str, &str),
        detail: Value,
    ) -> Result<(), String> {
        writer
            .store()
            .create_index(AUDIT_INDEX)
            .map_err(|e| e.to_string())?;
        let host = crate::ingest::pipeline::hostname();
        let event = sealed_event(
            &mut self.chain,
            &host,
            action,
            user,
            role,
            detail,
            crate::ingest::now_ns(),
        );
        writer.add(event, 0).map_err(|e| e.to_string())
    }

    /// Seals every queued command-line event into `writer`; the keys to dequeue once committed.
    fn drain(
        &mut self,
        writer: &mut crate::store::StoreWriter,
        meta: &MetaStore,
    ) -> Result<Vec<String>, String> {
        let mut done = Vec::new();
        for (key, p) in pending(meta)? {
            self.record(writer, (&p.action, &p.user, &p.role), p.detail)?;
            done.push(key);
        }
        Ok(done)
    }

    /// Records the new head, once the events are committed (an event beyond the head is
    /// accepted by `verify`; a head beyond the events is not).
    pub fn commit_head(&self, meta: &MetaStore) -> Result<(), String> {
        meta.set_kv(
            HEAD_SCOPE,
            HEAD_KEY,
            Some(format!("{} {}", self.chain.seq, self.chain.last)),
        )
        .map_err(|e| e.to_string())
    }
}

/// The principal of a command run on the data dir itself: the system account running it.
pub fn cli_principal() -> String {
    let who = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{who}")
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
            check_now: tokio::sync::Notify::new(),
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
        let mut chain = self.chain.lock().await;
        let mut next = chain.clone();
        let event = sealed_event(
            &mut next,
            &self.host,
            action,
            user,
            role,
            detail,
            crate::ingest::now_ns(),
        );
        let batch = LoggedBatch {
            channel: None,
            sequence: None,
            events: vec![event],
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
pub fn verify(data_dir: &std::path::Path) -> Result<Result<Intact, Broken>, String> {
    let store = Store::open(data_dir).map_err(|e| e.to_string())?;
    let meta = MetaStore::open(data_dir).map_err(|e| e.to_string())?;
    let head = head(&meta).map_err(|e| e.to_string())?;
    verify_events(&store, head.seq, pending_floor(&meta)?)
}

/// Retention's hook: before buckets of `_audit` go, the last event in them becomes the
/// chain's new start, queued as an audit event of its own in `meta.sqlite` (durable before
/// anything is deleted, sealed into the chain within seconds by whoever holds the store).
/// Until it is sealed, `verify` takes the queued floor; once sealed, the event itself. A
/// bucket deleted by anything else leaves no such event, so it still breaks the chain.
pub fn retention_guard(meta: Arc<MetaStore>) -> crate::store::retention::BeforeDelete {
    crate::store::retention::BeforeDelete(Arc::new(move |index, buckets| {
        if index != AUDIT_INDEX {
            return Ok(());
        }
        let Some((floor, events)) = last_event_of(buckets)? else {
            return Ok(());
        };
        let names: Vec<String> = buckets.iter().map(|b| b.key.dir_name()).collect();
        let p = Pending {
            action: RETENTION_ACTION.to_string(),
            user: "system:retention".to_string(),
            role: "-".to_string(),
            detail: json!({
                "through_seq": floor.seq,
                "through_hash": floor.hash,
                "buckets": names.join(","),
                "events_removed": events,
            }),
        };
        let key = format!("{:020}-{:08x}", crate::ingest::now_ns(), std::process::id());
        let value = serde_json::to_string(&p).map_err(|e| e.to_string())?;
        meta.set_kv(PENDING_SCOPE, &key, Some(value))
            .map_err(|e| e.to_string())
    }))
}

/// The audit event with the highest sequence number in `buckets` (as a floor), and how many
/// audit events they hold.
fn last_event_of(
    buckets: &[Arc<crate::store::bucket::Bucket>],
) -> Result<Option<(Floor, u64)>, String> {
    use tantivy::schema::Value as _;
    let mut best: Option<Floor> = None;
    let mut events = 0;
    for b in buckets {
        let searcher = b.reader.searcher();
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            for doc in 0..seg.max_doc() {
                if seg.is_deleted(doc) {
                    continue;
                }
                let d: tantivy::TantivyDocument = searcher
                    .doc(tantivy::DocAddress::new(ord as u32, doc))
                    .map_err(|e| e.to_string())?;
                let raw = d.get_first(b.fields.raw).and_then(|v| v.as_str());
                let Some(Value::Object(m)) = raw.and_then(|r| serde_json::from_str(r).ok()) else {
                    continue;
                };
                let (Some(seq), Some(hash)) = (
                    m.get("seq").and_then(Value::as_u64),
                    m.get("hash").and_then(Value::as_str),
                ) else {
                    continue;
                };
                events += 1;
                if best.as_ref().is_none_or(|f| seq > f.seq) {
                    best = Some(Floor {
                        seq,
                        hash: hash.to_string(),
                    });
                }
            }
        }
    }
    Ok(best.map(|f| (f, events)))
}

/// The highest floor of a retention whose audit event is queued but not sealed yet.
fn pending_floor(meta: &MetaStore) -> Result<Option<Floor>, String> {
    let mut best: Option<Floor> = None;
    for (_, p) in pending(meta)? {
        let mut event = match p.detail {
            Value::Object(m) => m,
            _ => continue,
        };
        event.insert("action".into(), json!(p.action));
        if let Some(f) = Floor::of_event(&event) {
            if best.as_ref().is_none_or(|b| f.seq > b.seq) {
                best = Some(f);
            }
        }
    }
    Ok(best)
}

impl Auditor {
    /// Checks the chain while the server runs. The head is read first, then everything
    /// acknowledged is committed: the head moves only once its event is acknowledged, so all
    /// events it counts are searchable; events sealed meanwhile are either there too (after
    /// every one before them, the log being indexed in order) or not yet, and the check
    /// accepts both. Audit writes are not held up while it reads the whole trail.
    pub async fn verify_now(&self, store: Arc<Store>) -> Result<Result<Intact, Broken>, String> {
        let head = self.chain.lock().await.seq;
        let pipeline = self.pipeline.clone();
        let meta = self.meta.clone();
        tokio::task::spawn_blocking(move || {
            // Read before the flush: a queued floor sealed meanwhile is then among the events.
            let pending = pending_floor(&meta)?;
            pipeline.flush().map_err(|e| e.to_string())?;
            verify_events(&store, head, pending)
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

impl Auditor {
    /// Seals the command line's queued events (`loupe user add` while the server runs).
    pub async fn drain_pending(&self) -> Result<usize, String> {
        let meta = self.meta.clone();
        let queued = tokio::task::spawn_blocking(move || pending(&meta))
            .await
            .map_err(|e| e.to_string())??;
        let n = queued.len();
        for (key, p) in queued {
            self.try_record(&p.action, &p.user, &p.role, p.detail)
                .await?;
            let meta = self.meta.clone();
            tokio::task::spawn_blocking(move || meta.set_kv(PENDING_SCOPE, &key, None))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        }
        Ok(n)
    }

    /// Looks for queued command-line events every `every` (a query of one small table).
    pub async fn watch_pending(self: Arc<Self>, every: std::time::Duration) {
        loop {
            if let Err(e) = self.drain_pending().await {
                tracing::warn!("cannot seal the command line's audit events: {e}");
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Asks the chain watch to check now rather than at its next interval.
    pub fn check_soon(&self) {
        self.check_now.notify_one();
    }

    /// Checks the chain at start, then every `interval` and whenever [`Auditor::check_soon`]
    /// asks; each check that finds it broken writes [`broken_chain_event`] to `_internal`
    /// (every time, so an alert with a short window keeps seeing it until it is mended).
    pub async fn watch_chain(self: Arc<Self>, store: Arc<Store>, interval: std::time::Duration) {
        loop {
            match self.verify_now(store.clone()).await {
                Ok(Ok(n)) => tracing::debug!(first = n.first, last = n.last, "audit chain intact"),
                Ok(Err(broken)) => {
                    tracing::error!("{broken}");
                    let batch = LoggedBatch {
                        channel: None,
                        sequence: None,
                        events: vec![broken_chain_event(&broken, &self.host)],
                    };
                    if let Err(e) = self.pipeline.submit(batch).await {
                        tracing::error!("cannot record the broken audit chain: {e}");
                    }
                }
                Err(e) => tracing::warn!("cannot check the audit chain: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.check_now.notified() => {}
            }
        }
    }
}

/// What the server writes to `_internal` when the chain is broken, for the bundled alert
/// (`docs/examples/security/saved-searches/audit-chain-broken.toml`) to find.
pub fn broken_chain_event(broken: &Broken, host: &str) -> Event {
    use loupe_event::Value as V;
    let reason = broken.reason.replace('"', "'");
    Event {
        time_ns: crate::ingest::now_ns(),
        raw: format!(
            "component=audit audit_chain=broken first_bad={} reason=\"{reason}\"",
            broken.seq
        ),
        host: host.to_string(),
        source: "loupe:audit".into(),
        sourcetype: "loupe_audit_check".into(),
        index: "_internal".into(),
        fields: vec![
            ("component".into(), V::Str("audit".into())),
            ("audit_chain".into(), V::Str("broken".into())),
            ("first_bad".into(), V::Int(broken.seq as i64)),
            ("reason".into(), V::Str(broken.reason.clone())),
        ],
        flags: EventFlags::default(),
    }
}

/// The `_audit` events of `store` checked against the chain, a head of `head` events and the
/// floor of a retention not sealed yet.
fn verify_events(
    store: &Store,
    head_seq: u64,
    pending: Option<Floor>,
) -> Result<Result<Intact, Broken>, String> {
    let req = SearchRequest {
        query: format!("index={AUDIT_INDEX} | fields _raw"),
        limit: usize::MAX / 2,
        ..SearchRequest::default()
    };
    let resp = search::run(store, &SearchScope::default(), &req).map_err(|e| e.to_string())?;
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
    Ok(loupe_access::audit::verify(events, Some(head_seq), pending))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DurationText, IndexConfig};
    use crate::store::{retention, StoreWriter, WriterOptions};
    use std::collections::BTreeMap;
    use std::time::Duration;

    const DAY: i64 = 86_400_000_000_000;

    /// A trail of 3 events 400 days old, 2 of 100 days, 2 of today (three buckets), its
    /// head recorded; `_audit` kept a year.
    fn trail() -> (tempfile::TempDir, Arc<Store>, Arc<MetaStore>, StoreWriter) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let meta = Arc::new(MetaStore::open(dir.path()).unwrap());
        store.create_index(AUDIT_INDEX).unwrap();
        let mut w = StoreWriter::new(store.clone(), WriterOptions::default());
        let mut chain = Chain::default();
        let now = crate::ingest::now_ns();
        for (i, age) in [400, 400, 400, 100, 100, 0, 0].into_iter().enumerate() {
            let detail = json!({"query": format!("search {i}")});
            let t = now - age * DAY + i as i64;
            let ev = sealed_event(&mut chain, "h", "search", "ana", "user", detail, t);
            w.add(ev, 0).unwrap();
        }
        w.commit().unwrap();
        meta.set_kv(
            HEAD_SCOPE,
            HEAD_KEY,
            Some(format!("{} {}", chain.seq, chain.last)),
        )
        .unwrap();
        (dir, store, meta, w)
    }

    fn a_year() -> BTreeMap<String, IndexConfig> {
        let mut cfgs = BTreeMap::new();
        cfgs.insert(
            AUDIT_INDEX.to_string(),
            IndexConfig {
                max_age: Some(DurationText(Duration::from_secs(365 * 86_400))),
                max_size: None,
            },
        );
        cfgs
    }

    fn check(store: &Store, meta: &MetaStore) -> Result<Intact, Broken> {
        let head = head(meta).unwrap();
        verify_events(store, head.seq, pending_floor(meta).unwrap()).unwrap()
    }

    #[test]
    fn retention_of_the_oldest_audit_bucket_leaves_the_chain_intact() {
        let (_dir, store, meta, mut w) = trail();
        assert_eq!(check(&store, &meta), Ok(Intact { first: 1, last: 7 }));
        let guard = retention_guard(meta.clone());
        let now = crate::ingest::now_ns();
        let report = retention::enforce(&store, Some(&mut w), &a_year(), now, Some(&guard));
        assert_eq!(report.unwrap().deleted.len(), 1);
        assert_eq!(store.event_count(AUDIT_INDEX), 4);
        // Queued, not sealed yet: the floor in meta.sqlite covers the gap.
        assert_eq!(check(&store, &meta), Ok(Intact { first: 4, last: 7 }));

        // Sealed as the command line or the server does it: the event carries the floor.
        let mut audit = OfflineAudit::open(&meta).unwrap();
        let done = audit.drain(&mut w, &meta).unwrap();
        assert_eq!(done.len(), 1);
        w.commit().unwrap();
        audit.commit_head(&meta).unwrap();
        for key in done {
            meta.set_kv(PENDING_SCOPE, &key, None).unwrap();
        }
        assert_eq!(pending_floor(&meta).unwrap(), None);
        assert_eq!(check(&store, &meta), Ok(Intact { first: 4, last: 8 }));
        let found = search::run(
            &store,
            &SearchScope::default(),
            &SearchRequest {
                query: format!(
                    "index={AUDIT_INDEX} action={RETENTION_ACTION} through_seq=3 events_removed=3"
                ),
                ..SearchRequest::default()
            },
        )
        .unwrap();
        assert_eq!(found.rows.len(), 1, "the retention is itself in the trail");

        // A bucket removed by anything but retention is still a removal.
        let middle = store
            .buckets_of(AUDIT_INDEX)
            .iter()
            .map(|b| b.key.clone())
            .min()
            .unwrap();
        w.close_bucket(&middle).unwrap();
        store.remove_bucket(&middle).unwrap();
        let broken = check(&store, &meta).unwrap_err();
        assert_eq!(
            (broken.seq, broken.reason.as_str()),
            (4, "missing (removed)")
        );
    }

    #[test]
    fn without_the_guard_retention_reads_as_tampering() {
        let (_dir, store, meta, mut w) = trail();
        let now = crate::ingest::now_ns();
        retention::enforce(&store, Some(&mut w), &a_year(), now, None).unwrap();
        assert_eq!(check(&store, &meta).unwrap_err().seq, 1);
    }
}
