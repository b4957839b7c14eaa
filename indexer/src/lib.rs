//! # loupe (the indexer)
//!
//! Receives events, makes them durable, indexes them in time-partitioned tantivy
//! buckets and answers searches. The data flows through the folders in order:
//!
//! - [`ingest`] turns HEC bodies, raw text and files into [`loupe_event::Event`]s and
//!   runs the durable [`ingest::pipeline::Pipeline`] (write-ahead log, group commit, dedup).
//! - [`store`] keeps them: a [`store::Store`] of indexes made of day [`store::bucket::Bucket`]s,
//!   written by one [`store::StoreWriter`], trimmed by [`store::retention`].
//! - [`search`] plans an SPL query onto the store (pushdown into tantivy) and runs it.
//! - [`api`] is the HTTP face (axum): HEC, search, health, metrics.
//! - [`geoip`] opens the `[geoip] database` that `iplocation` reads, once per server, and
//!   reads it again when the file changes.
//! - [`import`] is the bulk path of `loupe import`; [`config`] reads `loupe.toml`;
//!   [`preview`] shows how a sourcetype cuts and timestamps a file (`loupe sourcetypes test`).
//! - [`audit`] seals every access into `_audit`; [`erase`] removes events on request (GDPR
//!   art. 17), physically, from the buckets and the write-ahead log.
//!
//! ```no_run
//! use std::sync::Arc;
//! use loupe::store::{Store, StoreWriter, WriterOptions};
//! use loupe::search::{run, SearchRequest, SearchScope};
//! let store = Arc::new(Store::open(std::path::Path::new("/tmp/loupe-data")).unwrap());
//! let mut writer = StoreWriter::new(store.clone(), WriterOptions::default());
//! writer.add(loupe_event::Event { raw: "user bob failed".into(), index: "main".into(), ..Default::default() }, 0).unwrap();
//! writer.close_all().unwrap();
//! let req = SearchRequest { query: "failed | stats count".into(), ..Default::default() };
//! let resp = run(&store, &SearchScope::default(), &req).unwrap();
//! assert_eq!(resp.rows[0]["count"], 1);
//! ```

pub mod api;
pub mod apply;
pub mod audit;
pub mod config;
pub mod directory;
pub mod erase;
pub mod geoip;
pub mod import;
pub mod ingest;
pub mod jobs;
pub mod postprocess;
pub mod preview;
pub mod roles;
pub mod schedule;
pub mod search;
pub mod server;
pub mod store;
