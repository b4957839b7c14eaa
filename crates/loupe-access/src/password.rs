//! Passwords at rest: argon2id in its PHC string (`$argon2id$v=19$m=…`), salt and
//! parameters inside, so a stolen `meta.sqlite` gives no password without a costly guess
//! per user, and the parameters can grow without a migration.

use crate::AccessError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted: below this a guess is cheap whatever the hash.
pub const MIN_LENGTH: usize = 10;

/// The PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, AccessError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(AccessError::WeakPassword(MIN_LENGTH));
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| AccessError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccessError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccessError::Hash(e.to_string()))
}

/// True when `password` is the one `phc` was made from (constant time inside argon2); an
/// unreadable stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_verify_and_salt() {
        let a = super::hash("correct horse battery").unwrap();
        let b = super::hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(super::verify("correct horse battery", &a));
        assert!(!super::verify("correct horse batterY", &a));
        assert!(!super::verify("x", "not a hash"));
        assert!(super::hash("short").is_err());
    }
}
