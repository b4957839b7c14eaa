//! Shared test harness: a fake searcher, a scheduler over in-memory state, a webhook receiver.
#![allow(dead_code)]

use jiff::{SignedDuration, Timestamp};
use loupe_alerts::*;
use loupe_meta::SavedSearch;
use parking_lot::Mutex;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

pub type Answer = dyn Fn(&SearchRequest) -> Result<SearchResults, SearchError> + Send + Sync;

/// A searcher that answers with a closure and remembers every request.
pub struct FakeSearcher {
    pub answer: Box<Answer>,
    pub requests: Mutex<Vec<SearchRequest>>,
}

impl FakeSearcher {
    pub fn new(
        answer: impl Fn(&SearchRequest) -> Result<SearchResults, SearchError> + Send + Sync + 'static,
    ) -> Arc<FakeSearcher> {
        Arc::new(FakeSearcher {
            answer: Box::new(answer),
            requests: Mutex::new(Vec::new()),
        })
    }

    pub fn requests_of(&self, name: &str) -> Vec<SearchRequest> {
        self.requests
            .lock()
            .iter()
            .filter(|r| r.search_name == name)
            .cloned()
            .collect()
    }
}

impl Searcher for FakeSearcher {
    fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        self.requests.lock().push(req.clone());
        (self.answer)(req)
    }
}

pub fn rows(v: serde_json::Value) -> SearchResults {
    let rows: Vec<Row> = serde_json::from_value(v).expect("rows");
    SearchResults::from_rows(rows)
}

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

pub fn saved(json: serde_json::Value) -> SavedSearch {
    serde_json::from_value(json).expect("saved search")
}

/// A scheduler with its fakes.
pub struct Harness {
    pub clock: Arc<ManualClock>,
    pub state: Arc<MemoryStateStore>,
    pub sink: Arc<MemorySink>,
    pub sleeper: Arc<RecordingSleeper>,
    pub searcher: Arc<FakeSearcher>,
    pub scheduler: Scheduler,
}

impl Harness {
    pub fn new(start: Timestamp, searcher: Arc<FakeSearcher>) -> Harness {
        Harness::with(
            start,
            searcher,
            Arc::new(MemoryStateStore::new()),
            SchedulerConfig::default(),
        )
    }

    pub fn with(
        start: Timestamp,
        searcher: Arc<FakeSearcher>,
        state: Arc<MemoryStateStore>,
        mut config: SchedulerConfig,
    ) -> Harness {
        config.default_timezone = jiff::tz::TimeZone::UTC;
        let clock = Arc::new(ManualClock::new(start));
        let sink = Arc::new(MemorySink::default());
        let sleeper = Arc::new(RecordingSleeper::default());
        let deps = SchedulerDeps {
            searcher: searcher.clone(),
            state: state.clone(),
            sink: sink.clone(),
            clock: clock.clone(),
            sleeper: sleeper.clone(),
        };
        Harness {
            clock,
            state,
            sink,
            sleeper,
            searcher,
            scheduler: Scheduler::new(deps, config),
        }
    }

    pub fn set(&self, searches: Vec<SavedSearch>) {
        let errors = self.scheduler.set_searches(searches);
        assert!(errors.is_empty(), "{errors:?}");
    }

    /// Ticks at the clock's time, waits for the runs.
    pub fn tick(&self) -> TickReport {
        let r = self.scheduler.tick(self.clock.now());
        self.scheduler.wait_idle();
        r
    }

    /// Advances the clock by `secs` and ticks.
    pub fn step(&self, secs: i64) -> TickReport {
        self.clock.advance(SignedDuration::from_secs(secs));
        self.tick()
    }
}

/// One request the webhook receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub content_type: String,
    pub body: String,
}

/// A local HTTP server answering each request with the next status of `statuses` (the last
/// one repeats), keeping what it received.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
}

pub fn receiver(statuses: Vec<u16>) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        let mut n = 0usize;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut len = 0usize;
            let mut content_type = String::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                let lower = h.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("content-type:") {
                    content_type = h["content-type:".len()..].trim().to_string();
                }
            }
            let mut body = vec![0u8; len];
            let _ = reader.read_exact(&mut body);
            keep.lock().push(Received {
                path,
                content_type,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let status = statuses[n.min(statuses.len() - 1)];
            n += 1;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    Receiver { url, got }
}
