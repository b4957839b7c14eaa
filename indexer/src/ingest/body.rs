//! Request bodies before they are events: gzip inflated within a size limit, so a small
//! compressed body cannot expand into gigabytes (a "zip bomb") on its way in.

use std::io::Read;

/// Why a body could not be inflated.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("Invalid gzip body: {0}")]
    Gzip(std::io::Error),
    #[error("Content too large: the limit is {0} bytes")]
    TooLarge(usize),
}

/// Inflates a gzip body (several members back to back, as some senders write) to at most
/// `limit` bytes.
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit));
    let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(BodyError::Gzip)?;
    if out.len() > limit {
        return Err(BodyError::TooLarge(limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn inflates_within_the_limit() {
        let mut two = gz(b"{\"event\":\"a\"}");
        two.extend(gz(b"{\"event\":\"b\"}"));
        assert_eq!(
            gunzip(&two, 1000).unwrap(),
            b"{\"event\":\"a\"}{\"event\":\"b\"}"
        );
        // Ten megabytes of zeros compress to a few kilobytes: refused past the limit.
        let bomb = gz(&vec![0u8; 10 << 20]);
        assert!(bomb.len() * 100 < 10 << 20, "{} bytes", bomb.len());
        assert!(matches!(
            gunzip(&bomb, 1 << 20),
            Err(BodyError::TooLarge(_))
        ));
        assert!(matches!(gunzip(b"not gzip", 1000), Err(BodyError::Gzip(_))));
    }
}
