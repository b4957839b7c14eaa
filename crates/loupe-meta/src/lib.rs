//! # loupe-meta
//!
//! The objects users make — saved searches (optionally scheduled alerts), dashboards — and the
//! one SQLite file in the data dir that keeps them with their run and firing history.
//!
//! - [`objects`]: [`SavedSearch`], [`Alert`], [`Condition`], [`Action`]: the shapes of the
//!   API bodies and of the files `loupe apply` reads.
//! - [`dashboard`]: [`Dashboard`] with its inputs, base searches and panels.
//! - [`users`]: users (role, argon2 hash), their API tokens and browser sessions.
//! - [`store`]: [`MetaStore`], the SQLite file (`meta.sqlite`, WAL, one writer thread,
//!   versioned migrations) holding them with their run and firing history.
//! - [`files`]: the objects as files in a directory kept in git (`loupe apply`/`export`);
//!   [`splunk`] reads Splunk's `savedsearches.conf` as it is.
//!
//! ```
//! use loupe_meta::{SavedSearch, Condition};
//! let s: SavedSearch = serde_json::from_str(
//!     r#"{"name": "silent job", "query": "index=batchs source=*purge*", "earliest": "-26h",
//!         "cron": "0 8 * * *", "alert": {"condition": {"type": "no_data"}, "actions": []}}"#,
//! ).unwrap();
//! assert_eq!(s.alert.unwrap().condition, Condition::NoData);
//! ```

pub mod dashboard;
pub mod files;
pub mod objects;
pub mod roles;
pub mod splunk;
pub mod store;
pub mod users;

pub use dashboard::Dashboard;
pub use objects::{
    Action, Alert, AlertMode, Attachment, CatchUp, Condition, Relation, SavedSearch, Severity,
};
pub use roles::StoredRole;
pub use store::{MetaError, MetaStore, RunRecord, StoredDashboard, StoredSearch};
pub use users::{TokenInfo, User};
