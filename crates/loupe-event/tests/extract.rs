//! Search-time field extraction, checked against the Loghub ground truth columns
//! and against the project's samples.

mod common;

use common::*;
use loupe_event::extract::extract_fields;
use loupe_event::Value;
use std::collections::HashMap;

fn fields(st: &str, raw: &str) -> HashMap<String, Value> {
    let mut out = Vec::new();
    extract_fields(st, raw, &mut out);
    let n = out.len();
    let map: HashMap<String, Value> = out.into_iter().collect();
    assert_eq!(map.len(), n, "duplicate field names in {raw}");
    map
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

/// (our field, Loghub column) pairs that must agree on every line.
fn mapping(system: &str) -> &'static [(&'static str, &'static str)] {
    match system {
        "Android" => &[
            ("pid", "Pid"),
            ("tid", "Tid"),
            ("level", "Level"),
            ("component", "Component"),
        ],
        "Apache" => &[("level", "Level")],
        "BGL" => &[
            ("node", "Node"),
            ("type", "Type"),
            ("component", "Component"),
            ("level", "Level"),
        ],
        "HDFS" => &[
            ("pid", "Pid"),
            ("level", "Level"),
            ("component", "Component"),
        ],
        "HPC" => &[
            ("node", "Node"),
            ("component", "Component"),
            ("state", "State"),
            ("flag", "Flag"),
        ],
        "Hadoop" => &[
            ("level", "Level"),
            ("process", "Process"),
            ("component", "Component"),
        ],
        "HealthApp" => &[("component", "Component"), ("pid", "Pid")],
        "Linux" => &[("component", "Component"), ("pid", "PID")],
        "Mac" => &[("component", "Component"), ("pid", "PID")],
        "OpenSSH" => &[("pid", "Pid")],
        "OpenStack" => &[
            ("logrecord", "Logrecord"),
            ("pid", "Pid"),
            ("level", "Level"),
            ("component", "Component"),
        ],
        "Proxifier" => &[("program", "Program")],
        "Spark" => &[("level", "Level"), ("component", "Component")],
        "Thunderbird" => &[
            ("node", "User"),
            ("location", "Location"),
            ("component", "Component"),
            ("pid", "PID"),
        ],
        "Windows" => &[("level", "Level"), ("component", "Component")],
        "Zookeeper" => &[("level", "Level"), ("line", "Id")],
        _ => &[],
    }
}

#[test]
fn loghub_fields_match_ground_truth() {
    let mut failures = Vec::new();
    for system in SYSTEMS {
        let bytes = read(&data_dir().join(format!("loghub/{system}/{system}_2k.log")));
        let lines = lines(&bytes);
        let rows = structured_rows(system);
        assert_eq!(lines.len(), rows.len());
        let mut bad = 0;
        for (line, row) in lines.iter().zip(&rows) {
            let f = fields(system, line);
            for (ours, col) in mapping(system) {
                let want = row[*col].trim();
                let got = f.get(*ours).map(|v| v.to_string());
                let ok = if want.is_empty() {
                    got.is_none()
                } else {
                    got.as_deref() == Some(want)
                };
                if !ok {
                    bad += 1;
                    if failures.len() < 20 {
                        failures.push(format!(
                            "{system} {ours}: want {want:?} got {got:?} in {line}"
                        ));
                    }
                }
            }
        }
        if bad > 0 {
            failures.push(format!("{system}: {bad} mismatches"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn access_combined_fields() {
    let line = r#"82.48.80.203 - - [02/Mar/2026:00:04:16 +0100] "GET /api/x?a=1&b=two HTTP/1.1" 503 13813 "https://r.example/" "Mozilla/5.0 (X11)" 29"#;
    let f = fields("access_combined", line);
    for (k, v) in [
        ("clientip", "82.48.80.203"),
        ("ident", "-"),
        ("user", "-"),
        ("method", "GET"),
        ("uri", "/api/x?a=1&b=two"),
        ("uri_path", "/api/x"),
        ("uri_query", "a=1&b=two"),
        ("version", "HTTP/1.1"),
        ("status", "503"),
        ("bytes", "13813"),
        ("referer", "https://r.example/"),
        ("useragent", "Mozilla/5.0 (X11)"),
        ("response_time_ms", "29"),
        // Automatic key=value on the query string, as Splunk does.
        ("a", "1"),
        ("b", "two"),
    ] {
        assert_eq!(f.get(k), Some(&s(v)), "{k}");
    }
    // Every line of the sample access log yields the core fields.
    let bytes = read(&data_dir().join("web/access.log"));
    let mut statuses = HashMap::new();
    for line in lines(&bytes) {
        let f = fields("access_combined", &line);
        for k in [
            "clientip",
            "method",
            "uri_path",
            "status",
            "bytes",
            "useragent",
        ] {
            assert!(f.contains_key(k), "{k} missing in {line}");
        }
        *statuses.entry(f["status"].to_string()).or_insert(0) += 1;
    }
    assert!(
        statuses.keys().any(|k| k.starts_with('5')),
        "the 5xx incident is visible"
    );
}

#[test]
fn linux_secure_fields() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
            &[("user", "webmaster"), ("src", "173.234.31.186"), ("src_port", "38926"), ("action", "failure"), ("process", "sshd"), ("pid", "24200")],
        ),
        (
            "Mar  2 10:00:02 web-1 sshd[42]: Accepted publickey for bob from 10.0.0.5 port 50000 ssh2",
            &[("user", "bob"), ("src", "10.0.0.5"), ("src_port", "50000"), ("action", "success")],
        ),
        (
            "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
            &[("user", "webmaster"), ("src", "173.234.31.186"), ("action", "failure")],
        ),
        (
            "Dec 10 07:02:47 LabSZ sshd[24203]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root",
            &[("user", "root"), ("src", "5.36.59.76.dynamic-dsl-ip.omantel.net.om"), ("action", "failure"), ("uid", "0")],
        ),
        (
            "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
            &[("src", "173.234.31.186")],
        ),
        (
            "Dec 10 09:32:20 LabSZ sshd[24680]: Connection closed by 112.95.230.3 [preauth]",
            &[("src", "112.95.230.3")],
        ),
    ];
    for (line, want) in cases {
        let f = fields("linux_secure", line);
        for (k, v) in *want {
            assert_eq!(f.get(*k), Some(&s(v)), "{k} in {line}");
        }
    }
    // Over the OpenSSH sample, failures are common and every failure has a source.
    let bytes = read(&data_dir().join("loghub/OpenSSH/OpenSSH_2k.log"));
    let mut failures = 0;
    for line in lines(&bytes) {
        let f = fields("OpenSSH", &line);
        if f.get("action") == Some(&s("failure")) {
            failures += 1;
            assert!(f.contains_key("src"), "{line}");
        }
    }
    assert!(failures > 300, "{failures}");
}

#[test]
fn batch_fields() {
    let f = fields(
        "batch",
        "01:45:13 02/03/2026 ERROR Échec de l'envoi (client=assur-sante-idf)",
    );
    assert_eq!(f.get("status"), Some(&s("ERROR")));
    assert_eq!(
        f.get("message"),
        Some(&s("Échec de l'envoi (client=assur-sante-idf)"))
    );
    assert_eq!(f.get("client"), Some(&s("assur-sante-idf")));
}

#[test]
fn json_fields() {
    let line = r#"{"ts": "2026-03-02T00:27:59.155+01:00", "level": "INFO", "duration_ms": 58, "ok": true, "user": {"id": 7, "roles": ["a", "b"]}, "items": [{"sku": "x"}, {"sku": "y"}], "none": null}"#;
    let f = fields("_json", line);
    assert_eq!(f.get("ts"), Some(&s("2026-03-02T00:27:59.155+01:00")));
    assert_eq!(f.get("level"), Some(&s("INFO")));
    assert_eq!(f.get("duration_ms"), Some(&Value::Int(58)));
    assert_eq!(f.get("ok"), Some(&Value::Bool(true)));
    assert_eq!(f.get("user.id"), Some(&Value::Int(7)));
    assert_eq!(
        f.get("user.roles{}"),
        Some(&Value::Multi(vec![s("a"), s("b")]))
    );
    assert_eq!(
        f.get("items{}.sku"),
        Some(&Value::Multi(vec![s("x"), s("y")]))
    );
    assert!(!f.contains_key("none"));
    // `auto` recognizes a JSON object too.
    assert_eq!(fields("auto", line).get("user.id"), Some(&Value::Int(7)));
    // Every portal event has its keys.
    let bytes = read(&data_dir().join("app/portal.json.log"));
    for line in lines(&bytes) {
        let f = fields("_json", &line);
        for k in ["ts", "level", "service", "user", "client_ip", "action"] {
            assert!(f.contains_key(k), "{k} in {line}");
        }
    }
}

#[test]
fn automatic_key_values() {
    let f = fields(
        "auto",
        r#"msg="disk \"sda\" full" user=bob, count=3; empty= path=/a/b?x=1 x=1 x=2 -flag=on 9bad=no"#,
    );
    assert_eq!(f.get("msg"), Some(&s(r#"disk "sda" full"#)));
    assert_eq!(f.get("user"), Some(&s("bob")));
    assert_eq!(f.get("count"), Some(&s("3")));
    assert!(!f.contains_key("empty"));
    assert_eq!(f.get("path"), Some(&s("/a/b?x=1")));
    assert_eq!(f.get("x"), Some(&Value::Multi(vec![s("1"), s("2")])));
    assert_eq!(f.get("flag"), Some(&s("on")));
    assert_eq!(f.get("bad"), Some(&s("no")));
    // Unknown sourcetypes still get automatic key=value.
    assert_eq!(fields("my_custom", "a=1").get("a"), Some(&s("1")));
    // Unterminated quotes and odd input do not panic.
    for raw in ["a=\"", "=", "==", "a=", "\"=\"", "é=ü", "k=\"\\"] {
        let _ = fields("auto", raw);
    }
}

#[test]
fn caller_fields_are_kept() {
    let mut out = vec![("host".to_owned(), s("web-1"))];
    extract_fields("auto", "host=other a=1", &mut out);
    assert_eq!(out[0], ("host".to_owned(), s("web-1")));
    assert!(out.contains(&("a".to_owned(), s("1"))));
}
