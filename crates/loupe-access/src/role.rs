//! Roles: what a principal may read (indexes, rows, time), how it sees it (maskers) and
//! what it may do (capabilities). Four are built in; the others are `[roles.NAME]` tables
//! of `loupe.toml`, read with unknown keys refused so a typo never widens a role.

use crate::mask::{Builtin, MaskRule, Masker};
use crate::AccessError;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Something a role may do beyond searching what it can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// Run searches (every built-in role has it).
    Search,
    /// `GET /api/v1/export`: whole result sets leave the server.
    Export,
    /// `outputlookup`: write lookup tables other searches read.
    Outputlookup,
    /// Create, change and delete saved searches, alerts and dashboards.
    Schedule,
    /// `loupe apply` and `/api/v1/config/apply`.
    Apply,
    /// Erase events (GDPR art. 17).
    Erase,
    /// Users, roles and tokens.
    Admin,
}

impl Capability {
    /// Every capability, in the order config errors list them.
    pub const ALL: [Capability; 7] = [
        Capability::Search,
        Capability::Export,
        Capability::Outputlookup,
        Capability::Schedule,
        Capability::Apply,
        Capability::Erase,
        Capability::Admin,
    ];

    /// The name in `capabilities = [...]`.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Search => "search",
            Capability::Export => "export",
            Capability::Outputlookup => "outputlookup",
            Capability::Schedule => "schedule",
            Capability::Apply => "apply",
            Capability::Erase => "erase",
            Capability::Admin => "admin",
        }
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A `[roles.NAME]` table as written in `loupe.toml`.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// Index names or wildcards (`web*`); `*` does not reach internal (`_`) indexes, which
    /// are named (`_audit`) or matched by `_*`. Absent: none.
    #[serde(default)]
    pub indexes_allowed: Vec<String>,
    /// Names or wildcards refused even when allowed: a deny wins.
    #[serde(default)]
    pub indexes_denied: Vec<String>,
    /// Indexes a search that names none reads (default: every allowed one).
    #[serde(default)]
    pub default_indexes: Option<Vec<String>>,
    /// An SPL search expression ANDed into every search of the role (Splunk's `srchFilter`).
    #[serde(default)]
    pub search_filter: Option<String>,
    /// Longest time range a search may cover (`7d`, `12h`); a wider one is narrowed to its
    /// last part (Splunk's `srchTimeWin`).
    #[serde(default)]
    pub max_time_window: Option<String>,
    /// Built-in maskers applied to `_raw` and fields of every event the role reads.
    #[serde(default)]
    pub mask: Vec<String>,
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Lookup tables it may read (names or wildcards); `outputlookup` writes to the same.
    /// Absent: every table when the role reads every index, none otherwise.
    #[serde(default)]
    pub lookups: Option<Vec<String>>,
}

/// A role, checked and ready to apply.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub indexes_allowed: Vec<String>,
    pub indexes_denied: Vec<String>,
    pub default_indexes: Option<Vec<String>>,
    pub search_filter: Option<String>,
    /// Seconds.
    pub max_time_window: Option<u64>,
    pub maskers: Vec<Builtin>,
    /// Compiled once: every search of the role shares it.
    pub masker: Option<Arc<Masker>>,
    pub capabilities: BTreeSet<Capability>,
    /// `None`: every table.
    pub lookups: Option<Vec<String>>,
}

/// The built-in role names.
pub const BUILTIN_ROLES: [&str; 4] = ["admin", "power", "user", "auditor"];

/// `*` in `pattern` matches any run of characters; a leading `*` never matches an internal
/// (`_`) name, which must be asked for by a pattern starting with `_`.
pub fn index_matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('_') && !pattern.starts_with('_') {
        return false;
    }
    glob(pattern.as_bytes(), name.as_bytes())
}

/// `*` in `pattern` matches any run of characters, case-insensitively, with no rule for
/// internal names (sourcetypes such as `_json` are ordinary).
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    glob(pattern.as_bytes(), name.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    // Iterative with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&s[si]) {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// `90d`, `12h`, `30m`, `45s` or seconds.
pub fn parse_span(text: &str) -> Option<u64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

impl Role {
    /// Checks a config table: every masker, capability and span must be known.
    pub fn from_config(name: &str, c: &RoleConfig) -> Result<Role, AccessError> {
        let bad = |m: String| AccessError::Role {
            role: name.to_string(),
            message: m,
        };
        let maskers = c
            .mask
            .iter()
            .map(|m| {
                Builtin::from_name(m)
                    .ok_or_else(|| bad(format!("unknown masker {m:?} ({})", Builtin::names())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let capabilities = c
            .capabilities
            .iter()
            .map(|m| {
                Capability::from_name(m).ok_or_else(|| {
                    bad(format!(
                        "unknown capability {m:?} ({})",
                        Capability::ALL.map(Capability::name).join(", ")
                    ))
                })
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        let max_time_window = c
            .max_time_window
            .as_deref()
            .map(|w| {
                parse_span(w)
                    .filter(|s| *s > 0)
                    .ok_or_else(|| bad(format!("max_time_window {w:?}: expected 7d, 12h, 30m")))
            })
            .transpose()?;
        let every_index = c.indexes_allowed.iter().any(|p| p == "*") && c.indexes_denied.is_empty();
        Ok(Role {
            name: name.to_string(),
            indexes_allowed: c.indexes_allowed.clone(),
            indexes_denied: c.indexes_denied.clone(),
            default_indexes: c.default_indexes.clone(),
            search_filter: c.search_filter.clone().filter(|f| !f.trim().is_empty()),
            max_time_window,
            masker: (!maskers.is_empty()).then(|| {
                Arc::new(Masker::new(
                    maskers.iter().map(|b| MaskRule::partial(*b)).collect(),
                ))
            }),
            maskers,
            capabilities,
            lookups: match &c.lookups {
                Some(l) => Some(l.clone()),
                None if every_index => None,
                None => Some(Vec::new()),
            },
        })
    }

    /// One of [`BUILTIN_ROLES`].
    pub fn builtin(name: &str) -> Option<Role> {
        Role::from_config(name, &Role::builtin_config(name)?).ok()
    }

    /// The table of one of [`BUILTIN_ROLES`], as if written in `loupe.toml` (what the API
    /// shows of it).
    pub fn builtin_config(name: &str) -> Option<RoleConfig> {
        let caps = |c: &[&str]| c.iter().map(|s| s.to_string()).collect();
        let cfg = match name {
            "admin" => RoleConfig {
                indexes_allowed: vec!["*".into(), "_*".into()],
                capabilities: Capability::ALL.map(|c| c.name().to_string()).to_vec(),
                ..RoleConfig::default()
            },
            "power" => RoleConfig {
                indexes_allowed: vec!["*".into()],
                capabilities: caps(&["search", "export", "outputlookup", "schedule"]),
                ..RoleConfig::default()
            },
            "user" => RoleConfig {
                indexes_allowed: vec!["*".into()],
                capabilities: caps(&["search"]),
                ..RoleConfig::default()
            },
            "auditor" => RoleConfig {
                indexes_allowed: vec!["_audit".into()],
                default_indexes: Some(vec!["_audit".into()]),
                capabilities: caps(&["search", "export"]),
                ..RoleConfig::default()
            },
            _ => return None,
        };
        Some(cfg)
    }

    /// True when a search of this role may open `index`.
    pub fn allows_index(&self, index: &str) -> bool {
        self.indexes_allowed.iter().any(|p| index_matches(p, index))
            && !self.indexes_denied.iter().any(|p| index_matches(p, index))
    }

    pub fn may(&self, c: Capability) -> bool {
        self.capabilities.contains(&c)
    }
}

/// The roles of an instance: the built-ins and those of `loupe.toml`.
#[derive(Debug, Clone)]
pub struct Roles {
    roles: BTreeMap<String, Role>,
}

impl Default for Roles {
    fn default() -> Self {
        Roles {
            roles: BUILTIN_ROLES
                .iter()
                .filter_map(|n| Role::builtin(n).map(|r| (n.to_string(), r)))
                .collect(),
        }
    }
}

impl Roles {
    /// The built-ins plus `custom`; a custom role may not take a built-in's name (what
    /// `admin` means is not a config choice).
    pub fn new(custom: &BTreeMap<String, RoleConfig>) -> Result<Roles, AccessError> {
        let mut roles = Roles::default();
        for (name, cfg) in custom {
            roles.add(name, cfg)?;
        }
        Ok(roles)
    }

    /// Adds (or replaces) custom role `name`, checked; a built-in cannot be redefined.
    pub fn add(&mut self, name: &str, cfg: &RoleConfig) -> Result<(), AccessError> {
        if BUILTIN_ROLES.contains(&name) {
            return Err(AccessError::Role {
                role: name.to_string(),
                message: "is a built-in role and cannot be redefined".into(),
            });
        }
        self.roles
            .insert(name.to_string(), Role::from_config(name, cfg)?);
        Ok(())
    }

    /// Removes custom role `name` (its users are then refused, never widened).
    pub fn remove(&mut self, name: &str) {
        if !BUILTIN_ROLES.contains(&name) {
            self.roles.remove(name);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_internal_and_deny() {
        assert!(index_matches("web*", "web_front"));
        assert!(
            !index_matches("*", "_audit"),
            "* never reaches internal indexes"
        );
        assert!(index_matches("_*", "_audit"));
        assert!(!index_matches("web", "webx"));
        let cfg: RoleConfig =
            toml_like(r#"{"indexes_allowed": ["sante*", "main"], "indexes_denied": ["sante_rh"]}"#);
        let r = Role::from_config("helpdesk", &cfg).unwrap();
        assert!(r.allows_index("sante_patients"));
        assert!(!r.allows_index("sante_rh"), "a deny wins");
        assert!(!r.allows_index("web"));
        assert_eq!(
            r.lookups,
            Some(Vec::new()),
            "a partial reader gets no table"
        );
        assert!(!r.may(Capability::Export));
    }

    #[test]
    fn unknown_names_are_errors() {
        let e = Role::from_config("x", &toml_like(r#"{"mask": ["fr_nri"]}"#)).unwrap_err();
        assert!(e.to_string().contains("fr_nri"), "{e}");
        let e = Role::from_config("x", &toml_like(r#"{"capabilities": ["exprot"]}"#)).unwrap_err();
        assert!(e.to_string().contains("exprot"), "{e}");
        let e = Roles::new(&BTreeMap::from([(
            "admin".to_string(),
            RoleConfig::default(),
        )]))
        .unwrap_err();
        assert!(e.to_string().contains("built-in"), "{e}");
        assert!(serde_json::from_str::<RoleConfig>(r#"{"indexes": ["a"]}"#).is_err());
    }

    #[test]
    fn builtins() {
        let roles = Roles::default();
        let auditor = roles.get("auditor").unwrap();
        assert!(auditor.allows_index("_audit") && !auditor.allows_index("main"));
        let admin = roles.get("admin").unwrap();
        assert!(admin.allows_index("_internal") && admin.may(Capability::Erase));
        assert!(!roles.get("user").unwrap().may(Capability::Export));
        assert_eq!(parse_span("7d"), Some(604_800));
        assert_eq!(parse_span("7x"), None);
    }

    fn toml_like(json: &str) -> RoleConfig {
        serde_json::from_str(json).unwrap()
    }
}
