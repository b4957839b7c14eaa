//! Retention: whole buckets are deleted when too old or when their index is too big.

use super::bucket::{Bucket, BucketKey};
use super::{Store, StoreError, StoreWriter};
use crate::config::IndexConfig;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Asked with the buckets of one index retention is about to delete, before any goes; an
/// error keeps them all for the next pass. The audit trail needs it: its hash chain must
/// learn where it will start before its oldest links vanish, or the deletion reads as
/// tampering (see `crate::audit::retention_guard`).
#[derive(Clone)]
pub struct BeforeDelete(pub Arc<BeforeDeleteFn>);

/// The index's name and the buckets about to go.
pub type BeforeDeleteFn = dyn Fn(&str, &[Arc<Bucket>]) -> Result<(), String> + Send + Sync;

impl std::fmt::Debug for BeforeDelete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BeforeDelete(..)")
    }
}

/// What one retention pass removed, for `_internal` and the logs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RetentionReport {
    pub deleted: Vec<(BucketKey, &'static str)>,
}

/// Chooses the buckets to delete: by age (newest event older than `max_age`), then oldest
/// first while the index is larger than `max_size`. Pure, so it is tested without disks.
pub fn choose(
    buckets: &[(BucketKey, i64, u64)],
    cfg: &IndexConfig,
    now_ns: i64,
) -> Vec<(BucketKey, &'static str)> {
    let mut out = Vec::new();
    let mut kept: Vec<&(BucketKey, i64, u64)> = Vec::new();
    for b in buckets {
        let too_old = cfg.max_age.is_some_and(|age| {
            b.1 < now_ns.saturating_sub(age.0.as_nanos().min(i64::MAX as u128) as i64)
        });
        if too_old {
            out.push((b.0.clone(), "max_age"));
        } else {
            kept.push(b);
        }
    }
    if let Some(max) = cfg.max_size {
        kept.sort_by_key(|b| b.1);
        let mut total: u64 = kept.iter().map(|b| b.2).sum();
        for b in kept {
            if total <= max.0 {
                break;
            }
            total -= b.2;
            out.push((b.0.clone(), "max_size"));
        }
    }
    out
}

/// Applies retention to every configured index, closing hot buckets before deleting them.
/// `before` hears of each index's buckets first (an index it refuses keeps them, logged).
pub fn enforce(
    store: &Store,
    writer: Option<&mut StoreWriter>,
    configs: &BTreeMap<String, IndexConfig>,
    now_ns: i64,
    before: Option<&BeforeDelete>,
) -> Result<RetentionReport, StoreError> {
    let mut report = RetentionReport::default();
    let mut writer = writer;
    for (index, cfg) in configs {
        if cfg.max_age.is_none() && cfg.max_size.is_none() {
            continue;
        }
        let open = store.buckets_of(index);
        let buckets: Vec<(BucketKey, i64, u64)> = open
            .iter()
            .map(|b| {
                (
                    b.key.clone(),
                    b.time_range().map(|r| r.1).unwrap_or(i64::MIN),
                    b.disk_bytes(),
                )
            })
            .collect();
        let chosen = choose(&buckets, cfg, now_ns);
        if chosen.is_empty() {
            continue;
        }
        if let Some(before) = before {
            let going: Vec<Arc<Bucket>> = open
                .iter()
                .filter(|b| chosen.iter().any(|(k, _)| *k == b.key))
                .cloned()
                .collect();
            if let Err(e) = (before.0)(index, &going) {
                tracing::warn!(%index, "retention postponed: {e}");
                continue;
            }
        }
        for (key, why) in chosen {
            if let Some(w) = writer.as_deref_mut() {
                w.close_bucket(&key)?;
            }
            store.remove_bucket(&key)?;
            tracing::info!(index = %key.index, bucket = %key.dir_name(), reason = why, "retention deleted a bucket");
            report.deleted.push((key, why));
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ByteSize, DurationText};
    use std::time::Duration;

    fn key(day: i64) -> BucketKey {
        BucketKey {
            index: "main".into(),
            day,
            seq: 0,
        }
    }

    const DAY: i64 = 86_400_000_000_000;

    #[test]
    fn age_and_size_limits_pick_the_oldest_buckets() {
        let buckets = vec![
            (key(1), DAY * 2, 100),
            (key(5), DAY * 6, 100),
            (key(9), DAY * 10, 100),
        ];
        let by_age = IndexConfig {
            max_age: Some(DurationText(Duration::from_secs(5 * 86_400))),
            max_size: None,
        };
        assert_eq!(
            choose(&buckets, &by_age, DAY * 10),
            vec![(key(1), "max_age")]
        );
        let by_size = IndexConfig {
            max_age: None,
            max_size: Some(ByteSize(150)),
        };
        assert_eq!(
            choose(&buckets, &by_size, DAY * 10),
            vec![(key(1), "max_size"), (key(5), "max_size")]
        );
        let none = IndexConfig::default();
        assert!(choose(&buckets, &none, DAY * 10).is_empty());
    }

    #[test]
    fn enforce_deletes_old_buckets_from_a_real_store() {
        use crate::store::{Store, StoreWriter, WriterOptions};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let mut w = StoreWriter::new(store.clone(), WriterOptions::default());
        for d in [100i64, 101, 110] {
            for i in 0..5 {
                let ev = loupe_event::Event {
                    time_ns: d * DAY + i,
                    raw: format!("day {d}"),
                    index: "main".into(),
                    ..Default::default()
                };
                w.add(ev, 0).unwrap();
            }
        }
        w.commit().unwrap();
        let mut cfgs = BTreeMap::new();
        cfgs.insert(
            "main".to_string(),
            IndexConfig {
                max_age: Some(DurationText(Duration::from_secs(5 * 86_400))),
                max_size: None,
            },
        );
        let report = enforce(&store, Some(&mut w), &cfgs, 111 * DAY, None).unwrap();
        assert_eq!(report.deleted.len(), 2);
        assert_eq!(store.event_count("main"), 5);
        assert_eq!(
            std::fs::read_dir(dir.path().join("indexes/main"))
                .unwrap()
                .count(),
            1,
            "bucket folders are gone"
        );
        // The writer keeps working after its hot buckets were closed under it.
        w.add(
            loupe_event::Event {
                time_ns: 110 * DAY + 9,
                raw: "later".into(),
                index: "main".into(),
                ..Default::default()
            },
            0,
        )
        .unwrap();
        w.close_all().unwrap();
        assert_eq!(store.event_count("main"), 6);
    }
}
