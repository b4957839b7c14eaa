//! Masking end to end: the portal's JSON log (e-mails and French NIRs) shipped by the
//! real forwarder; no NIR value and no e-mail address may reach the index.

use loupe_e2e::{forwarder_config, forwarder_once, raws, shared_data, Server};

#[test]
fn forwarder_masks_nir_and_email_in_portal_log() {
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let src = shared_data().join("app/portal.json.log");
    let text = std::fs::read_to_string(&src).expect("portal.json.log");
    let total = text.lines().filter(|l| !l.trim().is_empty()).count();
    let nirs: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["nir"].as_str().map(str::to_string))
        .collect();
    assert!(nirs.len() > 100);
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    std::fs::copy(&src, dir.path().join("logs/portal.json.log")).unwrap();
    let inputs = format!(
        "[[input]]\npath = \"{}/*.log\"\nindex = \"main\"\nsourcetype = \"_json\"\n[[input.mask]]\nbuiltin = \"fr_nir\"\n[[input.mask]]\nbuiltin = \"email\"\n[[input.mask]]\nregex = \"patient(\\\\d+)\"\nreplace = \"patient-x\"\nname = \"patient_id\"\n",
        dir.path().join("logs").display()
    );
    let cfg = forwarder_config(dir.path(), &[&server.url], &inputs);
    let (code, err) = forwarder_once(&cfg, 120);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.count("index=main"), total as u64);
    let all = raws(&server, "index=main", total + 10);
    assert_eq!(all.len(), total);
    let email = regex_lite_email();
    for raw in &all {
        assert!(!email(raw), "an e-mail address survived: {raw}");
        for nir in &nirs {
            assert!(!raw.contains(nir.as_str()), "NIR {nir} survived: {raw}");
            assert!(!raw.contains(&nir[..13]), "NIR body {nir} survived: {raw}");
        }
        assert!(!raw.contains("patient0"), "regex rule not applied: {raw}");
    }
    assert_eq!(server.count("masked=fr_nir"), nirs.len() as u64);
    assert_eq!(server.count("masked=email"), nirs.len() as u64);
    assert_eq!(server.count("masked=patient_id"), total as u64);
}

/// A plain check for `something@something.tld` without pulling a regex crate into the tests.
fn regex_lite_email() -> impl Fn(&str) -> bool {
    |s: &str| {
        s.char_indices().any(|(i, c)| {
            c == '@'
                && i > 0
                && s[..i]
                    .chars()
                    .last()
                    .is_some_and(|p| p.is_ascii_alphanumeric())
                && s[i + 1..]
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                    .next()
                    .is_some_and(|d| d.contains('.'))
        })
    }
}
