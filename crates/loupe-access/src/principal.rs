//! Who acts: a user (by password, session or one of their tokens), a `[[tokens]]` entry of
//! `loupe.toml`, or the scheduler acting for an object. Each carries the role that decides
//! what it reads; `None` is the unrestricted principal of the config tokens and of the
//! command line on a data dir (whoever holds the files holds the data anyway).

use crate::role::{Capability, Role};
use std::sync::Arc;

/// How a principal proved who it is, as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A browser session (login with a password).
    Session,
    /// A user's API token (`loupe token create`).
    UserToken,
    /// A `[[tokens]]` entry of `loupe.toml`.
    ConfigToken,
    /// The scheduler running a saved search with its service role.
    Scheduler,
    /// The command line on a data dir.
    Local,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Session => "session",
            Kind::UserToken => "user_token",
            Kind::ConfigToken => "config_token",
            Kind::Scheduler => "scheduler",
            Kind::Local => "local",
        }
    }
}

/// A principal and its role.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: Kind,
    /// The user, token or saved search name.
    pub name: String,
    /// `None`: unrestricted.
    pub role: Option<Arc<Role>>,
}

impl Principal {
    pub fn unrestricted(kind: Kind, name: impl Into<String>) -> Principal {
        Principal {
            kind,
            name: name.into(),
            role: None,
        }
    }

    pub fn with_role(kind: Kind, name: impl Into<String>, role: Role) -> Principal {
        Principal {
            kind,
            name: name.into(),
            role: Some(Arc::new(role)),
        }
    }

    /// The role's name for the audit trail (`-` when unrestricted).
    pub fn role_name(&self) -> &str {
        self.role.as_ref().map_or("-", |r| r.name.as_str())
    }

    pub fn may(&self, c: Capability) -> bool {
        self.role.as_ref().is_none_or(|r| r.may(c))
    }
}
