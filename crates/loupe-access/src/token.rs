//! Secrets handed out once (API tokens, session ids, setup links): 32 random bytes, kept
//! at rest only as their SHA-256. They carry 256 bits of entropy, so a fast hash is enough
//! (no guessing to slow down), and a stolen `meta.sqlite` holds nothing that authenticates.

use crate::AccessError;
use sha2::{Digest, Sha256};

/// A new secret: `prefix` then 64 hex digits (`lpt_…` tokens, `lps_…` sessions); the
/// prefix tells a leaked secret's kind in a log or a secret scanner.
pub fn generate(prefix: &str) -> Result<String, AccessError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| AccessError::Random(e.to_string()))?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

/// What is stored of a secret, and what a presented one is looked up by.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_and_hashed() {
        let a = super::generate("lpt_").unwrap();
        let b = super::generate("lpt_").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert_eq!(super::digest(&a), super::digest(&a));
        assert_ne!(super::digest(&a), super::digest(&b));
        assert!(!super::digest(&a).contains(&a[4..]));
    }
}
