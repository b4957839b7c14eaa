//! `iplocation` through the real server: the `[geoip] database` of `loupe.toml` (the small
//! GeoIP2-City-shaped file that `tests/data/geoip/write_mmdb.py` writes) is read at start and
//! answers every search, and read again when the file is replaced; without one the search is
//! refused naming the setting.

use loupe_e2e::Server;
use std::path::PathBuf;
use std::process::Command;

fn database() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/geoip/test-city.mmdb")
}

/// One access line per client: two known networks, one IPv6, one private, one not an address.
fn server_with_clients() -> Server {
    let s = Server::start(&format!("[geoip]\ndatabase = {:?}\n", database()));
    let mut body = String::new();
    for (i, ip) in [
        "81.2.69.160",
        "216.160.83.56",
        "2a02:d280::7",
        "10.1.2.3",
        "unknown-client",
    ]
    .iter()
    .enumerate()
    {
        body.push_str(
            &serde_json::json!({
                "time": 1_772_409_600 + i,
                "index": "web",
                "sourcetype": "access",
                "event": format!("{ip} - - \"GET /item/{i} HTTP/1.1\" 200 512"),
            })
            .to_string(),
        );
    }
    let (status, answer) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(status, 200, "{answer}");
    s
}

fn rows(s: &Server, query: &str) -> Vec<serde_json::Value> {
    let (status, answer) = s.search(query, 100);
    assert_eq!(status, 200, "{query}: {answer}");
    answer["rows"].as_array().cloned().unwrap_or_default()
}

#[test]
fn known_addresses_get_city_country_and_coordinates_unknown_ones_empty_fields() {
    let s = server_with_clients();
    let got = rows(
        &s,
        r#"index=web | rex "^(?<clientip>\S+)" | iplocation clientip | sort _time | table clientip City Country Region lat lon"#,
    );
    assert_eq!(got.len(), 5, "{got:?}");
    let london = &got[0];
    assert_eq!(london["City"], "London");
    assert_eq!(london["Country"], "United Kingdom");
    assert_eq!(london["Region"], "England");
    assert_eq!(london["lat"], 51.5142);
    assert_eq!(london["lon"], -0.0931);
    assert_eq!(got[1]["City"], "Milton");
    assert_eq!(got[1]["Region"], "Washington");
    assert_eq!(got[2]["Country"], "Germany", "IPv6: {:?}", got[2]);
    // A private address is in no network: the fields are there, empty.
    for f in ["City", "Country", "Region", "lat", "lon"] {
        assert_eq!(got[3][f], "", "{f} of {:?}", got[3]);
    }
    // A value that is not an address is left alone: no fields at all.
    assert_eq!(got[4]["clientip"], "unknown-client");
    assert!(got[4]["City"].is_null(), "{:?}", got[4]);
}

#[test]
fn a_new_edition_of_the_database_takes_over_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("GeoLite2-City.mmdb");
    std::fs::copy(database(), &path).expect("copy");
    let s = Server::start(&format!("[geoip]\ndatabase = {path:?}\n"));
    let q = r#"| makeresults | eval ip="81.2.69.160" | iplocation ip | table City Country"#;
    assert_eq!(rows(&s, q)[0]["City"], "London");
    // As geoipupdate does: the new file written beside, then renamed over the old one.
    let next = dir.path().join("GeoLite2-City.mmdb.new");
    std::fs::copy(database().with_file_name("test-city-next.mmdb"), &next).expect("copy");
    std::fs::rename(&next, &path).expect("rename");
    // The server looks at the file at most every 2 s, at a lookup.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let got = rows(&s, q);
        if got[0]["City"] == "Paris" {
            assert_eq!(got[0]["Country"], "France", "{got:?}");
            break;
        }
        assert_eq!(got[0]["City"], "London", "{got:?}");
        assert!(
            std::time::Instant::now() < deadline,
            "still the old edition: {got:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

#[test]
fn prefix_and_allfields_name_and_widen_the_output() {
    let s = server_with_clients();
    let got = rows(
        &s,
        r#"index=web | rex "^(?<clientip>\S+)" | iplocation prefix=geo_ allfields=t clientip | where geo_Country!="" | stats count by geo_Continent geo_Timezone geo_MetroCode"#,
    );
    let seen: Vec<String> = got
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}|{}",
                r["geo_Continent"].as_str().unwrap_or_default(),
                r["geo_Timezone"].as_str().unwrap_or_default(),
                r["geo_MetroCode"],
                r["count"]
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            "Europe|Europe/Berlin|\"\"|1",
            "Europe|Europe/London|\"\"|1",
            "North America|America/Los_Angeles|819|1",
        ],
        "{got:?}"
    );
}

#[test]
fn without_a_database_the_search_is_refused_naming_the_setting() {
    let s = Server::start("");
    let (status, answer) = s.search(
        "| makeresults | eval ip=\"81.2.69.160\" | iplocation ip",
        10,
    );
    assert_eq!(status, 400, "{answer}");
    let message = answer["error"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("iplocation: ") && message.contains("[geoip]"),
        "{answer}"
    );
    // A saved search using it is accepted: the server it runs on decides.
    let body = serde_json::json!({"name": "where", "query": "index=web | iplocation clientip"});
    let (status, answer) = s.api("POST", "/api/v1/saved-searches", Some(&body));
    assert!(status == 200 || status == 201, "{status} {answer}");
}

#[test]
fn a_database_that_cannot_be_read_stops_the_server_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bogus = dir.path().join("GeoLite2-City.mmdb");
    std::fs::write(&bogus, "not a database").expect("write");
    let config = dir.path().join("loupe.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\nlisten = \"127.0.0.1:0\"\n[geoip]\ndatabase = {bogus:?}\n",
            dir.path().join("data")
        ),
    )
    .expect("write config");
    let out = Command::new(loupe_e2e::bin("loupe"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .expect("run loupe serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("GeoLite2-City.mmdb") && err.contains("[geoip]"),
        "stderr: {err}"
    );
}
