//! # loupe-access
//!
//! Who may read what in Loupe, how they see it, and the trace of what they did.
//!
//! - [`principal::Principal`]: who acts — a user (browser session or one of their API
//!   tokens), a `[[tokens]]` entry of `loupe.toml`, the scheduler — and its role.
//! - [`role::Role`]: the built-in `admin` (everything), `power` (search, export,
//!   `outputlookup`, saved searches and dashboards), `user` (search), `auditor` (reads
//!   `_audit` only), and `[roles.NAME]` tables: `indexes_allowed` (wildcards),
//!   `indexes_denied` (wins), `default_indexes`, `search_filter` (ANDed into every
//!   search), `max_time_window`, `mask`, `capabilities`, `lookups`. The indexer's planner
//!   applies a role once, below every command.
//! - [`mask`]: checked detectors of personal data (`fr_nir`, `email`, `iban`,
//!   `credit_card`, `phone_fr`, `ipv4`), shared with the forwarder.
//! - [`password`] (argon2id) and [`token`] (random secrets stored as SHA-256).
//! - [`audit`]: the hash chain every `_audit` event is sealed into, and its check.
//! - [`throttle`]: failed logins per user name, and the lock-out after too many.
//!
//! ```
//! use loupe_access::role::{Capability, RoleConfig, Roles};
//! let helpdesk: RoleConfig = toml_role();
//! # fn toml_role() -> RoleConfig { serde_json::from_value(serde_json::json!({
//! #   "indexes_allowed": ["sante*"], "indexes_denied": ["sante_rh"],
//! #   "search_filter": "NOT confidential", "mask": ["fr_nir"], "capabilities": ["search"]})).unwrap() }
//! let roles = Roles::new(&[("helpdesk".to_string(), helpdesk)].into()).unwrap();
//! let r = roles.get("helpdesk").unwrap();
//! assert!(r.allows_index("sante_patients") && !r.allows_index("sante_rh"));
//! assert!(!r.may(Capability::Export));
//! let mut raw = "patient 1 85 05 75 701 169 92 admitted".to_string();
//! r.masker.as_ref().unwrap().apply(&mut raw);
//! assert_eq!(raw, "patient 1 85 05 ** *** *** ** admitted");
//! ```

pub mod audit;
pub mod mask;
pub mod password;
pub mod principal;
pub mod role;
pub mod throttle;
pub mod token;

pub use principal::{Kind, Principal};
pub use role::{Capability, Role, RoleConfig, Roles};

/// Why a role, a password or a secret could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("[roles.{role}]: {message}")]
    Role { role: String, message: String },
    #[error("a password must have at least {0} characters")]
    WeakPassword(usize),
    #[error("no randomness from the system: {0}")]
    Random(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}
