//! The IP location database of `iplocation`: a MaxMind-format file (GeoIP2 or GeoLite2 City,
//! or any database of the same shape) named by `[geoip] database` in `loupe.toml`. It is read
//! into memory when the server starts (a missing or malformed file stops it, naming the file)
//! and shared by every search, so a search never waits on a file. MaxMind publishes new
//! editions weekly and `geoipupdate` replaces the file in place: at most once every
//! [`RECHECK`] a lookup looks at the file's modification time and size, and when they changed
//! the new file is read and takes over, without a restart. A replacement that cannot be read
//! (half written, not a database) is logged and the database in memory stays.

use loupe_query::{GeoError, Geolocator, Location};
use maxminddb::geoip2::{self, Names};
use parking_lot::{Mutex, RwLock};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How often at most the file is looked at for a new edition.
pub const RECHECK: Duration = Duration::from_secs(2);

/// The database could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("[geoip] database {path}: {message}")]
pub struct GeoipError {
    pub path: PathBuf,
    pub message: String,
}

/// What tells one edition of the file from the next: its modification time and size.
type Stamp = (Option<SystemTime>, u64);

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.modified().ok(), meta.len()))
}

/// A MaxMind-format database held in memory, read again when its file changes.
pub struct MmdbGeolocator {
    path: PathBuf,
    reader: RwLock<Arc<maxminddb::Reader<Vec<u8>>>>,
    /// The edition last looked at (read, or found unreadable: it is not tried again).
    seen: Mutex<Stamp>,
    /// When the file was last looked at, in milliseconds after `born`.
    checked_ms: AtomicU64,
    born: Instant,
}

impl std::fmt::Debug for MmdbGeolocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbGeolocator")
            .field("path", &self.path)
            .field(
                "database_type",
                &self.reader.read().metadata().database_type,
            )
            .finish()
    }
}

fn read(path: &Path) -> Result<maxminddb::Reader<Vec<u8>>, GeoipError> {
    let err = |message: String| GeoipError {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    maxminddb::Reader::from_source(bytes).map_err(|e| err(format!("not a MaxMind DB file ({e})")))
}

impl MmdbGeolocator {
    /// Reads the file at `path`; an unreadable or malformed file is an error at start, not at
    /// the first search.
    pub fn open(path: &Path) -> Result<MmdbGeolocator, GeoipError> {
        let seen = stamp(path).map_err(|e| GeoipError {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let reader = read(path)?;
        Ok(MmdbGeolocator {
            path: path.to_path_buf(),
            reader: RwLock::new(Arc::new(reader)),
            seen: Mutex::new(seen),
            checked_ms: AtomicU64::new(0),
            born: Instant::now(),
        })
    }

    /// The database to answer from: the one in memory, after reading the file again if
    /// [`RECHECK`] has passed since it was last looked at and it changed since.
    fn current(&self) -> Arc<maxminddb::Reader<Vec<u8>>> {
        let now = self.born.elapsed().as_millis() as u64;
        let last = self.checked_ms.load(Ordering::Relaxed);
        let due = now.saturating_sub(last) >= RECHECK.as_millis() as u64;
        // One lookup among those running at once looks at the file; the others go on.
        if due
            && self
                .checked_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.reload_if_changed();
        }
        self.reader.read().clone()
    }

    /// Reads the file again when its stamp differs from the edition last seen; whether it
    /// can be read or not, that edition is not tried again until the file changes once more.
    pub fn reload_if_changed(&self) {
        let Ok(now) = stamp(&self.path) else {
            // Gone for a moment (replaced by rename): the next check sees the new file.
            return;
        };
        {
            let mut seen = self.seen.lock();
            if *seen == now {
                return;
            }
            *seen = now;
        }
        match read(&self.path) {
            Ok(reader) => {
                *self.reader.write() = Arc::new(reader);
                tracing::info!("[geoip] database {} read again", self.path.display());
            }
            Err(e) => tracing::warn!("{e}; the database read before stays in use"),
        }
    }
}

/// The name in `lang`, English when the database has none in it (as MaxMind's own readers do).
fn name(names: &Names<'_>, lang: &str) -> Option<String> {
    let wanted = match lang {
        "de" => names.german,
        "es" => names.spanish,
        "fr" => names.french,
        "ja" => names.japanese,
        "pt-BR" => names.brazilian_portuguese,
        "ru" => names.russian,
        "zh-CN" => names.simplified_chinese,
        _ => names.english,
    };
    wanted.or(names.english).map(str::to_string)
}

impl Geolocator for MmdbGeolocator {
    fn locate(&self, ip: IpAddr, lang: &str) -> Result<Option<Location>, GeoError> {
        let fail = |e: maxminddb::MaxMindDbError| GeoError(e.to_string());
        let reader = self.current();
        // An IPv6 address in an IPv4-only database is not in it.
        if ip.is_ipv6() && reader.metadata().ip_version == 4 {
            return Ok(None);
        }
        let found = reader.lookup(ip).map_err(fail)?;
        let Some(rec) = found.decode::<geoip2::City<'_>>().map_err(fail)? else {
            return Ok(None);
        };
        Ok(Some(Location {
            city: name(&rec.city.names, lang),
            country: name(&rec.country.names, lang),
            region: rec.subdivisions.first().and_then(|s| name(&s.names, lang)),
            continent: name(&rec.continent.names, lang),
            lat: rec.location.latitude,
            lon: rec.location.longitude,
            metro_code: rec.location.metro_code,
            timezone: rec.location.time_zone.map(str::to_string),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> MmdbGeolocator {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/geoip/test-city.mmdb");
        MmdbGeolocator::open(&path).expect("test database")
    }

    #[test]
    fn the_test_database_answers_v4_and_v6_addresses_and_not_private_ones() {
        let g = db();
        let london = g
            .locate("81.2.69.160".parse().unwrap(), "en")
            .unwrap()
            .unwrap();
        assert_eq!(london.city.as_deref(), Some("London"));
        assert_eq!(london.region.as_deref(), Some("England"));
        let berlin = g
            .locate("2a02:d280::1".parse().unwrap(), "en")
            .unwrap()
            .unwrap();
        assert_eq!(berlin.country.as_deref(), Some("Germany"));
        assert_eq!(
            g.locate("192.168.1.1".parse().unwrap(), "en").unwrap(),
            None
        );
        // No German names in it: English stands in.
        let milton = g
            .locate("216.160.83.56".parse().unwrap(), "de")
            .unwrap()
            .unwrap();
        assert_eq!(milton.city.as_deref(), Some("Milton"));
        assert_eq!(milton.metro_code, Some(819));
    }

    #[test]
    fn a_replaced_file_is_read_again_and_a_broken_replacement_keeps_the_old_one() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/geoip");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("GeoLite2-City.mmdb");
        std::fs::copy(data.join("test-city.mmdb"), &path).unwrap();
        let g = MmdbGeolocator::open(&path).unwrap();
        let city = |g: &MmdbGeolocator| {
            g.locate("81.2.69.160".parse().unwrap(), "en")
                .unwrap()
                .and_then(|l| l.city)
        };
        assert_eq!(city(&g).as_deref(), Some("London"));
        // Half written: logged, and the database in memory goes on answering.
        std::fs::write(&path, b"not yet a database").unwrap();
        g.reload_if_changed();
        assert_eq!(city(&g).as_deref(), Some("London"));
        // The next edition, put in place by rename as geoipupdate does.
        let next = dir.path().join("next.mmdb");
        std::fs::copy(data.join("test-city-next.mmdb"), &next).unwrap();
        std::fs::rename(&next, &path).unwrap();
        g.reload_if_changed();
        assert_eq!(city(&g).as_deref(), Some("Paris"));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("GeoLite2-City.mmdb");
        std::fs::write(&path, b"not a database").unwrap();
        let e = MmdbGeolocator::open(&path).unwrap_err().to_string();
        assert!(
            e.contains("GeoLite2-City.mmdb") && e.contains("[geoip]"),
            "{e}"
        );
        let e = MmdbGeolocator::open(&dir.path().join("missing.mmdb")).unwrap_err();
        assert!(e.to_string().contains("missing.mmdb"), "{e}");
    }
}
