//! `GET /api/v1/context` and `GET /api/v1/tail` over real HTTP: the neighbours of an event are
//! its own stream's, whatever a search filtered, and only from indexes the caller may read; a
//! tail sends an event indexed after it began, ends when its client goes away, and refuses a
//! transforming search.

use loupe_e2e::{Server, TOKEN};
use std::io::{BufRead, BufReader};

const LIMITED: &str =
    "[[tokens]]\nname = \"web-only\"\ntoken = \"web-only-token-123\"\nindexes = [\"web\"]\n";
const T0: i64 = 1_767_225_600;

/// Eight lines of `app-1` with an error in the middle, and `app-2`'s lines between them.
fn load(s: &Server) {
    let mut body = String::new();
    for i in 0..8 {
        let raw = if i == 4 {
            "app-1 line 4 ERROR".to_string()
        } else {
            format!("app-1 line {i}")
        };
        for (host, raw, dt) in [
            ("app-1", raw, 0.0),
            ("app-2", format!("app-2 line {i}"), 0.5),
        ] {
            body.push_str(
                &serde_json::json!({"time": (T0 + i) as f64 + dt, "host": host, "source": "/var/log/app.log",
                    "index": "main", "event": raw})
                .to_string(),
            );
        }
    }
    let (status, answer) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(status, 200, "{answer}");
    s.flush();
}

fn raws(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|e| e["_raw"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn context_url(s: &Server, before: usize, after: usize) -> String {
    format!(
        "{}/api/v1/context?index=main&host=app-1&source=%2Fvar%2Flog%2Fapp.log&time={}&before={before}&after={after}",
        s.url,
        T0 + 4
    )
}

fn get(url: &str, token: &str) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("request");
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (
        r.status().as_u16(),
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

fn tails_open(s: &Server) -> u64 {
    let text = ureq::get(&format!("{}/metrics", s.url))
        .call()
        .expect("metrics")
        .body_mut()
        .read_to_string()
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix("loupe_tails_open "))
        .and_then(|v| v.trim().parse().ok())
        .expect("loupe_tails_open in /metrics")
}

#[test]
fn context_is_the_events_own_stream_and_only_what_the_caller_may_read() {
    let s = Server::start(LIMITED);
    load(&s);
    let (status, c) = get(&context_url(&s, 3, 2), TOKEN);
    assert_eq!(status, 200, "{c}");
    assert_eq!(
        raws(&c["before"]),
        ["app-1 line 1", "app-1 line 2", "app-1 line 3"]
    );
    assert_eq!(raws(&c["at"]), ["app-1 line 4 ERROR"]);
    assert_eq!(raws(&c["after"]), ["app-1 line 5", "app-1 line 6"]);
    // More asked than there is: what there is, the last line included.
    let (_, c) = get(&context_url(&s, 100, 100), TOKEN);
    assert_eq!(raws(&c["before"]).len(), 4);
    assert_eq!(
        raws(&c["after"]).last().map(String::as_str),
        Some("app-1 line 7")
    );
    // A token that may read only `web` learns nothing of `main`.
    let (status, c) = get(&context_url(&s, 3, 3), "web-only-token-123");
    assert!(
        status == 403
            || (status == 200
                && [&c["before"], &c["at"], &c["after"]]
                    .iter()
                    .all(|l| raws(l).is_empty())),
        "{status} {c}"
    );
    let (status, c) = get(
        &format!("{}/api/v1/context?index=main&time=yesterday", s.url),
        TOKEN,
    );
    assert_eq!(status, 400, "{c}");
}

/// The data line of the stream's next `events` message, `None` when the stream ends first.
fn next_events(lines: &mut impl Iterator<Item = std::io::Result<String>>) -> Option<String> {
    let mut last = String::new();
    for line in lines {
        let line = line.expect("read the stream");
        if last == "event: events" {
            return Some(line);
        }
        last = line;
    }
    None
}

#[test]
fn a_tail_sends_what_is_indexed_after_it_began_and_refuses_a_transforming_search() {
    let s = Server::start("");
    let (status, c) = get(
        &format!(
            "{}/api/v1/tail?query=index%3Dmain%20%7C%20stats%20count",
            s.url
        ),
        TOKEN,
    );
    // The stream says why and ends.
    assert_eq!(status, 200);
    let text = c.as_str().unwrap_or_default().to_string();
    assert!(text.starts_with("event: error\n"), "{text}");
    let (status, c) = get(
        &format!("{}/api/v1/tail?query=head%20abc%20%7C", s.url),
        TOKEN,
    );
    assert_eq!(status, 400, "{c}");

    let mut curl = std::process::Command::new("curl")
        .args(["-sN", "--max-time", "120", "-H"])
        .arg(format!("Authorization: Bearer {TOKEN}"))
        .arg(format!("{}/api/v1/tail?query=tailprobe", s.url))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("curl");
    let mut lines = BufReader::new(curl.stdout.take().expect("stdout")).lines();
    // Whether this lands before the tail's first poll (then it comes as the backlog) or after
    // (as a new event), the stream carries it: read until it does.
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"event": "tailprobe <b>one</b>", "index": "main"}"#,
        &[],
    );
    assert_eq!(status, 200);
    s.flush();
    let seen = next_events(&mut lines);
    // An event stamped years ago but indexed now is new to the tail (it follows index time),
    // and the first one is not sent twice.
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"time": 1600000000, "event": "tailprobe stamped in 2020", "index": "main"}"#,
        &[],
    );
    assert_eq!(status, 200);
    s.flush();
    let later = next_events(&mut lines);
    let later: serde_json::Value = serde_json::from_str(
        later
            .as_deref()
            .and_then(|l| l.strip_prefix("data: "))
            .expect("a second events message"),
    )
    .expect("JSON");
    assert_eq!(raws(&later), ["tailprobe stamped in 2020"]);
    assert_eq!(tails_open(&s), 1);
    // The client goes away: the server's tail ends (seen in /metrics; it notices at its next
    // write at the latest, the keep-alive every 10 s).
    let _ = curl.kill();
    let _ = curl.wait();
    let mut tries = 0;
    while tails_open(&s) != 0 {
        tries += 1;
        assert!(
            tries < 300,
            "the tail still runs 30 s after its client left"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let data = seen.expect("an events message before the stream ended");
    let rows: serde_json::Value =
        serde_json::from_str(data.strip_prefix("data: ").expect("a data line")).expect("JSON");
    assert_eq!(raws(&rows), ["tailprobe <b>one</b>"]);
}
