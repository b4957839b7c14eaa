//! The scheduler over a manual clock and a fake searcher: firing, throttling, modes, no-data,
//! restarts, catch-up, overlap, windows. Nothing here sleeps to wait for a schedule.

mod common;

use common::*;
use loupe_alerts::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_seconds_level_alert_fires_once_then_is_throttled() {
    let searcher = FakeSearcher::new(|_| Ok(rows(json!([{"status": 503, "host": "web-1"}]))));
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), searcher);
    h.set(vec![saved(json!({
        "name": "5xx", "query": "status>=500", "cron": "* * * * * *", "earliest": "-1s",
        "alert": {"condition": {"type": "results", "relation": "greater_than", "quantity": 0},
                  "throttle": "30s", "actions": [{"type": "index", "index": "alerts_web"}]}
    }))]);
    assert!(
        h.tick().dispatched.is_empty(),
        "first sight only starts the schedule"
    );
    h.step(1);
    h.step(1);
    h.step(1);
    let runs = h.state.runs_of("5xx");
    assert_eq!(runs.len(), 3);
    assert!(runs[0].fired && runs[0].firings == 1 && runs[0].throttled == 0);
    assert_eq!(runs[0].state_change, Some(StateChange::Fired));
    for r in &runs[1..] {
        assert!(!r.fired);
        assert_eq!(r.throttled, 1);
        assert_eq!(r.state_change, Some(StateChange::StillFiring));
    }
    assert_eq!(
        h.sink.events_in("alerts_web").len(),
        1,
        "the index action wrote once"
    );
    assert_eq!(
        h.sink.events_in(ALERTS_INDEX).len(),
        1,
        "every firing is in _alerts"
    );
    assert_eq!(h.state.firings().len(), 1);
    // 30 s after the firing the throttle has passed.
    h.step(30);
    let runs = h.state.runs_of("5xx");
    let last = runs.last().unwrap();
    assert!(last.fired, "{last:?}");
    // The 29 seconds not run (catch_up = skip) are one skipped event, not 29.
    let skipped: Vec<_> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("29 scheduled"),
        "{:?}",
        skipped[0].reason
    );
    // Every run is a _scheduler event, searchable by its fields.
    let events = h.sink.events_in(SCHEDULER_INDEX);
    assert_eq!(events.len(), runs.len());
    assert_eq!(events[0]["search_name"], "5xx");
    assert_eq!(events[0]["status"], "success");
    assert_eq!(events[0]["fired"], true);
    assert_eq!(events[0]["result_count"], 1);
    assert_eq!(events[1]["throttled"], 1);
    // A fraction of a millisecond, not a whole number rounded down to 0.
    let took = events[0]["duration_ms"].as_f64().unwrap_or(-1.0);
    assert!(took > 0.0, "duration_ms {took}");
    assert_eq!(events[0]["actions"][0]["action"], "index");
    assert_eq!(events[0]["actions"][0]["ok"], true);
}

#[test]
fn per_field_throttling_two_hosts_two_firings_then_none() {
    let hosts = Arc::new(parking_lot::Mutex::new(vec!["web-1", "web-2"]));
    let h2 = hosts.clone();
    let searcher = FakeSearcher::new(move |_| {
        let rows_: Vec<_> = h2
            .lock()
            .iter()
            .map(|h| json!({"host": h, "count": 60}))
            .collect();
        Ok(rows(json!(rows_)))
    });
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), searcher);
    h.set(vec![saved(json!({
        "name": "burst", "query": "status>=500 | stats count by host | where count > 50",
        "cron": "*/5 * * * *", "earliest": "-5m",
        "alert": {"condition": {"type": "always"}, "throttle": "30m", "throttle_fields": ["host"],
                  "actions": [{"type": "index"}]}
    }))]);
    h.tick();
    h.step(300);
    h.step(300);
    let runs = h.state.runs_of("burst");
    assert_eq!((runs[0].firings, runs[0].throttled), (2, 0));
    assert_eq!((runs[1].firings, runs[1].throttled), (0, 2));
    let fired = h.state.firings();
    assert_eq!(fired.len(), 2);
    assert_eq!(fired[0].key, r#"["web-1"]"#);
    assert_eq!(fired[1].key, r#"["web-2"]"#);
    assert_eq!(
        fired[0].result_count, 1,
        "each host's firing carries its own rows"
    );
    // A third host is not throttled by the other two.
    hosts.lock().push("web-3");
    h.step(300);
    let runs = h.state.runs_of("burst");
    assert_eq!((runs[2].firings, runs[2].throttled), (1, 2));
    assert_eq!(h.state.firings()[2].key, r#"["web-3"]"#);
    // 30 minutes after the first firings, web-1 and web-2 fire again.
    h.step(1500);
    let last = h.state.runs_of("burst").pop().unwrap();
    assert_eq!((last.firings, last.throttled), (2, 1), "{last:?}");
}

#[test]
fn per_result_mode_fires_once_per_row_to_a_real_webhook() {
    let hook = receiver(vec![200]);
    let searcher = FakeSearcher::new(|_| {
        Ok(rows(json!([
            {"user": "alice", "count": 12}, {"user": "bob", "count": 30}, {"user": "carol", "count": 7}
        ])))
    });
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), searcher);
    h.set(vec![saved(json!({
        "name": "failed logins", "query": "index=auth action=failure | stats count by user",
        "cron": "* * * * *", "earliest": "-1m",
        "alert": {"condition": {"type": "where", "expr": "count >= 10"}, "mode": "per_result",
                  "severity": "high", "actions": [{"type": "webhook", "url": hook.url}]}
    }))]);
    h.tick();
    h.step(60);
    let run = h.state.runs_of("failed logins").pop().unwrap();
    assert_eq!(run.firings, 2, "carol's 7 does not meet the where");
    assert_eq!(run.actions.len(), 2);
    assert!(run.actions.iter().all(|a| a.ok && a.attempts == 1));
    let got = hook.got.lock().clone();
    assert_eq!(got.len(), 2);
    let bodies: Vec<serde_json::Value> = got
        .iter()
        .map(|g| serde_json::from_str(&g.body).unwrap())
        .collect();
    assert_eq!(bodies[0]["result"]["user"], "alice");
    assert_eq!(bodies[1]["result"]["user"], "bob");
    assert_eq!(bodies[1]["results"].as_array().unwrap().len(), 1);
    assert_eq!(bodies[0]["search_name"], "failed logins");
    assert_eq!(bodies[0]["owner"], "nobody");
    assert_eq!(bodies[0]["app"], "search");
    assert_eq!(bodies[0]["severity"], "high");
    assert_eq!(bodies[0]["sid"], run.sid);
    let link = bodies[0]["results_link"].as_str().unwrap();
    assert!(
        link.starts_with("http://127.0.0.1:8088/search?q=index%3Dauth"),
        "{link}"
    );
    assert!(got[0].content_type.starts_with("application/json"));
}

#[test]
fn a_no_data_alert_fires_when_the_job_went_silent_and_resolves_when_it_speaks() {
    let hook = receiver(vec![200]);
    let silent = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let s2 = silent.clone();
    let searcher = FakeSearcher::new(move |_| {
        if s2.load(Ordering::SeqCst) {
            Ok(SearchResults::default())
        } else {
            Ok(rows(json!([{"_raw": "08:00:01 02/03/2026 OK purge"}])))
        }
    });
    let h = Harness::new(ts("2026-03-02T06:00:00Z"), searcher);
    h.set(vec![saved(json!({
        "name": "purge silent", "query": "index=batchs source=*purge*", "cron": "0 * * * *",
        "earliest": "-26h", "timezone": "Europe/Paris",
        "alert": {"condition": {"type": "no_data"}, "notify_resolved": true,
                  "actions": [{"type": "webhook", "url": hook.url,
                               "body_template": "{\"text\": \"$search_name$ $state$ ($result_count$)\"}"}]}
    }))]);
    h.tick();
    h.step(3600);
    let run = h.state.runs_of("purge silent").pop().unwrap();
    assert!(run.fired);
    assert_eq!(run.result_count, Some(0));
    silent.store(false, Ordering::SeqCst);
    h.step(3600);
    let run = h.state.runs_of("purge silent").pop().unwrap();
    assert!(!run.fired);
    assert_eq!(run.state_change, Some(StateChange::Resolved));
    h.step(3600);
    let run = h.state.runs_of("purge silent").pop().unwrap();
    assert_eq!(run.state_change, None, "resolved is told once");
    let got: Vec<String> = hook.got.lock().iter().map(|g| g.body.clone()).collect();
    assert_eq!(
        got,
        vec![
            r#"{"text": "purge silent fired (0)"}"#,
            r#"{"text": "purge silent resolved (0)"}"#
        ]
    );
    let fired = h.state.firings();
    assert!(!fired[0].resolved && fired[1].resolved);
    assert_eq!(h.sink.events_in(ALERTS_INDEX)[1]["event_type"], "resolved");
}

#[test]
fn a_restart_in_the_middle_of_a_schedule_neither_doubles_nor_loses_runs() {
    let searcher = FakeSearcher::new(|_| Ok(rows(json!([{"n": 1}]))));
    let state = Arc::new(MemoryStateStore::new());
    let search = saved(json!({
        "name": "minutely", "query": "*", "cron": "* * * * *", "earliest": "-1m",
        "catch_up": "run_missed",
        "alert": {"condition": {"type": "always"}, "actions": [{"type": "index"}]}
    }));
    {
        let a = Harness::with(
            ts("2026-01-05T10:00:30Z"),
            searcher.clone(),
            state.clone(),
            SchedulerConfig::default(),
        );
        a.set(vec![search.clone()]);
        a.tick();
        a.step(60); // 10:01:30 -> runs 10:01
                    // the scheduler goes away (restart); its in-flight runs finished on drop
    }
    let b = Harness::with(
        ts("2026-01-05T10:04:40Z"),
        searcher.clone(),
        state.clone(),
        SchedulerConfig::default(),
    );
    b.set(vec![search.clone()]);
    let r = b.tick();
    assert_eq!(r.dispatched.len(), 1);
    assert_eq!(
        b.tick().dispatched.len(),
        0,
        "a second tick at the same time runs nothing"
    );
    let latest: Vec<String> = searcher
        .requests_of("minutely")
        .iter()
        .map(|r| r.latest.to_string())
        .collect();
    assert_eq!(
        latest,
        vec![
            "2026-01-05T10:01:00Z",
            "2026-01-05T10:02:00Z",
            "2026-01-05T10:03:00Z",
            "2026-01-05T10:04:00Z"
        ],
        "each minute once, oldest first, the window from its scheduled time"
    );
    let earliest = searcher.requests_of("minutely")[2].earliest.unwrap();
    assert_eq!(earliest, ts("2026-01-05T10:02:00Z"));
    assert_eq!(state.firings().len(), 4);
    drop(b);
    // Under catch_up = skip, a long downtime is the newest run plus one skipped event.
    let mut skip = search.clone();
    skip.catch_up = loupe_meta::CatchUp::Skip;
    let c = Harness::with(
        ts("2026-01-05T11:00:10Z"),
        searcher.clone(),
        state.clone(),
        SchedulerConfig::default(),
    );
    c.set(vec![skip]);
    c.tick();
    let runs = state.runs_of("minutely");
    let tail: Vec<_> = runs[4..]
        .iter()
        .map(|r| (r.status, r.scheduled_time.to_string()))
        .collect();
    assert_eq!(
        tail,
        vec![
            (RunStatus::Skipped, "2026-01-05T10:59:00Z".to_string()),
            (RunStatus::Success, "2026-01-05T11:00:00Z".to_string())
        ]
    );
    assert!(
        runs[4]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("55 scheduled time(s) from 2026-01-05T10:05:00Z"),
        "{:?}",
        runs[4].reason
    );
}

#[test]
fn run_missed_is_capped() {
    let searcher = FakeSearcher::new(|_| Ok(SearchResults::default()));
    let config = SchedulerConfig {
        catch_up_cap: 3,
        ..SchedulerConfig::default()
    };
    let h = Harness::with(
        ts("2026-01-05T10:00:00Z"),
        searcher.clone(),
        Arc::new(MemoryStateStore::new()),
        config,
    );
    h.set(vec![saved(
        json!({"name": "m", "query": "*", "cron": "* * * * *", "catch_up": "run_missed"}),
    )]);
    h.tick();
    h.step(600);
    let runs = h.state.runs_of("m");
    let ok: Vec<String> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Success)
        .map(|r| r.scheduled_time.to_string())
        .collect();
    assert_eq!(
        ok,
        vec![
            "2026-01-05T10:08:00Z",
            "2026-01-05T10:09:00Z",
            "2026-01-05T10:10:00Z"
        ]
    );
    let skipped: Vec<_> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0]
        .reason
        .as_deref()
        .unwrap()
        .starts_with("7 scheduled"));
}

/// A searcher whose "slow" search blocks until released, counting overlaps.
struct Gate {
    open: parking_lot::Mutex<bool>,
    cv: parking_lot::Condvar,
    running: AtomicUsize,
    max_running: AtomicUsize,
}

#[test]
fn runs_of_one_search_never_overlap_and_a_slow_search_does_not_delay_others() {
    let gate = Arc::new(Gate {
        open: parking_lot::Mutex::new(false),
        cv: parking_lot::Condvar::new(),
        running: AtomicUsize::new(0),
        max_running: AtomicUsize::new(0),
    });
    let g = gate.clone();
    let searcher = FakeSearcher::new(move |req| {
        if req.search_name == "slow" {
            let n = g.running.fetch_add(1, Ordering::SeqCst) + 1;
            g.max_running.fetch_max(n, Ordering::SeqCst);
            let mut open = g.open.lock();
            while !*open {
                g.cv.wait(&mut open);
            }
            g.running.fetch_sub(1, Ordering::SeqCst);
        }
        Ok(SearchResults::default())
    });
    let config = SchedulerConfig {
        workers: 2,
        ..SchedulerConfig::default()
    };
    let h = Harness::with(
        ts("2026-01-05T10:00:00Z"),
        searcher.clone(),
        Arc::new(MemoryStateStore::new()),
        config,
    );
    h.set(vec![
        saved(json!({"name": "slow", "query": "*", "cron": "* * * * * *"})),
        saved(json!({"name": "fast", "query": "*", "cron": "* * * * * *"})),
    ]);
    h.scheduler.tick(h.clock.now());
    for i in 1..=3 {
        let now = h.clock.advance(jiff::SignedDuration::from_secs(1));
        let r = h.scheduler.tick(now);
        if i > 1 {
            assert_eq!(r.busy, vec!["slow".to_string()], "tick {i}");
        }
        wait_for("fast's run", || h.state.runs_of("fast").len() == i);
    }
    assert!(h.state.runs_of("slow").is_empty());
    *gate.open.lock() = true;
    gate.cv.notify_all();
    h.scheduler.wait_idle();
    h.step(1);
    assert_eq!(
        gate.max_running.load(Ordering::SeqCst),
        1,
        "never two runs of slow at once"
    );
    let slow = h.state.runs_of("slow");
    let statuses: Vec<_> = slow
        .iter()
        .map(|r| (r.status, r.scheduled_time.to_string()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (RunStatus::Success, "2026-01-05T10:00:01Z".to_string()),
            (RunStatus::Skipped, "2026-01-05T10:00:03Z".to_string()),
            (RunStatus::Success, "2026-01-05T10:00:04Z".to_string()),
        ]
    );
}

#[test]
fn a_run_past_its_schedule_window_is_skipped_and_recorded() {
    let gate = Arc::new((parking_lot::Mutex::new(false), parking_lot::Condvar::new()));
    let g = gate.clone();
    let searcher = FakeSearcher::new(move |req| {
        if req.search_name == "hog" {
            let mut open = g.0.lock();
            while !*open {
                g.1.wait(&mut open);
            }
        }
        Ok(SearchResults::default())
    });
    let config = SchedulerConfig {
        workers: 1,
        ..SchedulerConfig::default()
    };
    let h = Harness::with(
        ts("2026-01-05T10:00:00Z"),
        searcher,
        Arc::new(MemoryStateStore::new()),
        config,
    );
    h.set(vec![
        saved(json!({"name": "hog", "query": "*", "cron": "* * * * *"})),
        saved(
            json!({"name": "spread", "query": "*", "cron": "* * * * *", "schedule_window": "1m"}),
        ),
    ]);
    h.scheduler.tick(h.clock.now());
    let now = h.clock.advance(jiff::SignedDuration::from_secs(60));
    h.scheduler.tick(now);
    h.clock.advance(jiff::SignedDuration::from_secs(120));
    *gate.0.lock() = true;
    gate.1.notify_all();
    h.scheduler.wait_idle();
    let spread = h.state.runs_of("spread");
    assert_eq!(spread.len(), 1);
    assert_eq!(spread[0].status, RunStatus::Skipped);
    assert!(
        spread[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("schedule_window"),
        "{:?}",
        spread[0].reason
    );
}

#[test]
fn a_failed_search_is_a_failed_run_event() {
    let searcher =
        FakeSearcher::new(|_| Err(SearchError::new("unknown command `stast` at column 10")));
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), searcher);
    h.set(vec![saved(
        json!({"name": "broken", "query": "* | stast count", "cron": "* * * * *",
        "alert": {"condition": {"type": "always"}, "actions": [{"type": "index"}]}}),
    )]);
    h.tick();
    h.step(60);
    let run = h.state.runs_of("broken").pop().unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert!(run.error.as_deref().unwrap().contains("stast"));
    let ev = &h.sink.events_in(SCHEDULER_INDEX)[0];
    assert_eq!(ev["status"], "failed");
    assert!(ev["error"].as_str().unwrap().contains("column 10"));
    assert!(h.state.firings().is_empty());
}

#[test]
fn the_scheduled_time_not_the_start_time_defines_the_window() {
    let searcher = FakeSearcher::new(|_| Ok(SearchResults::default()));
    let h = Harness::new(ts("2026-03-10T06:00:00Z"), searcher.clone());
    h.set(vec![saved(
        json!({"name": "daily", "query": "error", "cron": "0 8 * * *",
        "timezone": "Europe/Paris", "earliest": "-1d@d", "latest": "@d"}),
    )]);
    h.tick();
    h.clock.set(ts("2026-03-10T07:31:00Z")); // 08:31 in Paris: the run starts 31 minutes late
    h.tick();
    let req = searcher.requests_of("daily").pop().unwrap();
    assert_eq!(req.earliest, Some(ts("2026-03-08T23:00:00Z")));
    assert_eq!(req.latest, ts("2026-03-09T23:00:00Z"));
    assert_eq!(req.timezone, "Europe/Paris");
    assert_eq!(req.sid, "scheduler__daily__1773126000");
    let run = h.state.runs_of("daily").pop().unwrap();
    assert_eq!(run.scheduled_time, ts("2026-03-10T07:00:00Z"));
    assert_eq!(run.lag_ms, 31 * 60 * 1000);
}

#[test]
fn rises_by_compares_with_the_previous_run_even_after_a_restart() {
    let n = Arc::new(AtomicUsize::new(2));
    let n2 = n.clone();
    let searcher = FakeSearcher::new(move |_| {
        let rows_: Vec<_> = (0..n2.load(Ordering::SeqCst))
            .map(|i| json!({"i": i}))
            .collect();
        Ok(rows(json!(rows_)))
    });
    let state = Arc::new(MemoryStateStore::new());
    let search = saved(json!({"name": "growth", "query": "*", "cron": "* * * * *",
        "alert": {"condition": {"type": "results", "relation": "rises_by", "quantity": 3}, "actions": []}}));
    {
        let a = Harness::with(
            ts("2026-01-05T10:00:00Z"),
            searcher.clone(),
            state.clone(),
            SchedulerConfig::default(),
        );
        a.set(vec![search.clone()]);
        a.tick();
        a.step(60);
    }
    n.store(6, Ordering::SeqCst);
    let b = Harness::with(
        ts("2026-01-05T10:02:00Z"),
        searcher,
        state.clone(),
        SchedulerConfig::default(),
    );
    b.set(vec![search]);
    b.tick();
    let runs = state.runs_of("growth");
    assert!(!runs[0].fired, "the first run sets the baseline");
    assert!(runs[1].fired, "2 -> 6 rises by 4 >= 3");
}

#[test]
fn invalid_saved_searches_are_refused_with_the_reason() {
    let searcher = FakeSearcher::new(|_| Ok(SearchResults::default()));
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), searcher);
    let errors = h.scheduler.set_searches(vec![
        saved(json!({"name": "a", "query": "*", "cron": "* * *"})),
        saved(json!({"name": "b", "query": "*", "cron": "* * * * *", "timezone": "Mars/Olympus"})),
        saved(json!({"name": "c", "query": "*", "cron": "* * * * *",
            "alert": {"condition": {"type": "always"}, "throttle": "soon", "actions": []}})),
        saved(json!({"name": "d", "query": "*", "cron": "* * * * *", "earliest": "-3x"})),
        saved(json!({"name": "ok", "query": "*", "cron": "* * * * *"})),
    ]);
    let names: Vec<_> = errors.iter().map(|(n, e)| format!("{n}: {e}")).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names[0].contains("expected 5 fields"));
    assert!(names[1].contains("Mars/Olympus"));
    assert!(names[2].contains("throttle"));
    assert!(names[3].contains("-3x"));
    assert!(validate(
        &saved(json!({"name": "ok", "query": "*", "cron": "0 8 * * 1"})),
        &jiff::tz::TimeZone::UTC
    )
    .is_ok());
}

#[test]
fn run_now_runs_on_demand_without_moving_the_schedule() {
    let searcher = FakeSearcher::new(|_| Ok(rows(json!([{"a": 1}]))));
    let h = Harness::new(ts("2026-01-05T10:00:30Z"), searcher);
    h.set(vec![saved(
        json!({"name": "adhoc", "query": "*", "cron": "* * * * *", "earliest": "-1h"}),
    )]);
    h.tick();
    let r = h.scheduler.run_now("adhoc").unwrap();
    assert_eq!(r.status, RunStatus::Success);
    assert_eq!(r.result_count, Some(1));
    assert_eq!(r.earliest, Some(ts("2026-01-05T09:00:30Z")));
    h.step(60);
    assert_eq!(h.state.runs_of("adhoc").len(), 2);
    assert!(matches!(
        h.scheduler.run_now("nope"),
        Err(AlertError::UnknownSearch(_))
    ));
    assert_eq!(h.state.kept_results("adhoc").len(), 2);
}

#[test]
fn a_disabled_search_starts_afresh_when_enabled_again() {
    let searcher = FakeSearcher::new(|_| Ok(SearchResults::default()));
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), searcher);
    let mut s =
        saved(json!({"name": "d", "query": "*", "cron": "* * * * *", "catch_up": "run_missed"}));
    h.set(vec![s.clone()]);
    h.tick();
    h.step(60);
    s.enabled = false;
    h.set(vec![s.clone()]);
    h.step(600);
    assert_eq!(h.state.runs_of("d").len(), 1);
    s.enabled = true;
    h.set(vec![s]);
    h.tick();
    h.step(60);
    let runs = h.state.runs_of("d");
    assert_eq!(
        runs.len(),
        2,
        "no catch-up of the ten disabled minutes: {runs:?}"
    );
    assert_eq!(runs[1].scheduled_time, ts("2026-01-05T10:12:00Z"));
}

#[test]
fn the_spawned_ticker_runs_what_is_due_on_the_clock() {
    let searcher = FakeSearcher::new(|_| Ok(SearchResults::default()));
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), searcher);
    h.set(vec![saved(
        json!({"name": "s", "query": "*", "cron": "* * * * * *"}),
    )]);
    let scheduler = Arc::new(h.scheduler);
    let handle = scheduler.clone().spawn();
    wait_for("the first tick", || h.state.cursor("s").unwrap().is_some());
    h.clock.advance(jiff::SignedDuration::from_secs(1));
    wait_for("a run", || !h.state.runs_of("s").is_empty());
    handle.stop();
    assert_eq!(
        h.state.runs_of("s")[0].scheduled_time,
        ts("2026-01-05T10:00:01Z")
    );
}
