//! The IP location database of `iplocation`: a MaxMind-format file (GeoIP2 or GeoLite2 City,
//! or any database of the same shape) named by `[geoip] database` in `loupe.toml`. It is read
//! into memory once when the server starts and shared by every search, so a search never
//! opens a file and a database replaced on disk takes effect at the next restart.

use loupe_query::{GeoError, Geolocator, Location};
use maxminddb::geoip2::{self, Names};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The database could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("[geoip] database {path}: {message}")]
pub struct GeoipError {
    pub path: PathBuf,
    pub message: String,
}

/// A MaxMind-format database held in memory.
pub struct MmdbGeolocator {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl std::fmt::Debug for MmdbGeolocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbGeolocator")
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

impl MmdbGeolocator {
    /// Reads the file at `path`; an unreadable or malformed file is an error at start, not at
    /// the first search.
    pub fn open(path: &Path) -> Result<MmdbGeolocator, GeoipError> {
        let err = |message: String| GeoipError {
            path: path.to_path_buf(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let reader = maxminddb::Reader::from_source(bytes)
            .map_err(|e| err(format!("not a MaxMind DB file ({e})")))?;
        Ok(MmdbGeolocator { reader })
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
        // An IPv6 address in an IPv4-only database is not in it.
        if ip.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return Ok(None);
        }
        let found = self.reader.lookup(ip).map_err(fail)?;
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
