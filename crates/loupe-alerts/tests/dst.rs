//! Daylight saving time in Europe/Paris: 2026-03-29 02:00 CET jumps to 03:00 CEST, 2026-10-25
//! 03:00 CEST falls back to 02:00 CET. The rules are documented in `loupe_alerts::schedule`.

mod common;

use common::*;
use jiff::tz::TimeZone;
use loupe_alerts::*;
use serde_json::json;

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").expect("tzdb has Europe/Paris")
}

fn times(cron: &str, from: &str, n: usize) -> Vec<String> {
    let s = Schedule::parse(cron, paris()).unwrap();
    let mut t = ts(from);
    let mut out = Vec::new();
    for _ in 0..n {
        t = s.next_after(t).unwrap();
        out.push(
            t.to_zoned_datetime(paris())
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string(),
        );
    }
    out
}

#[test]
fn spring_forward_a_fixed_time_in_the_gap_is_shifted_to_the_end_of_the_gap() {
    assert_eq!(
        times("30 2 * * *", "2026-03-27T12:00:00Z", 3),
        vec![
            "2026-03-28 02:30 CET",
            "2026-03-29 03:00 CEST",
            "2026-03-30 02:30 CEST"
        ]
    );
    // Not in the gap: unchanged.
    assert_eq!(
        times("0 8 * * *", "2026-03-28T12:00:00Z", 2),
        vec!["2026-03-29 08:00 CEST", "2026-03-30 08:00 CEST"]
    );
}

#[test]
fn spring_forward_an_interval_skips_the_wall_times_that_do_not_exist() {
    assert_eq!(
        times("*/30 * * * *", "2026-03-29T00:15:00Z", 3),
        vec![
            "2026-03-29 01:30 CET",
            "2026-03-29 03:00 CEST",
            "2026-03-29 03:30 CEST"
        ]
    );
}

#[test]
fn fall_back_a_fixed_time_that_happens_twice_runs_once() {
    assert_eq!(
        times("30 2 * * *", "2026-10-24T12:00:00Z", 2),
        vec!["2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]
    );
}

#[test]
fn fall_back_an_interval_runs_on_each_real_occurrence() {
    assert_eq!(
        times("*/30 * * * *", "2026-10-24T23:45:00Z", 5),
        vec![
            "2026-10-25 02:00 CEST",
            "2026-10-25 02:30 CEST",
            "2026-10-25 02:00 CET",
            "2026-10-25 02:30 CET",
            "2026-10-25 03:00 CET"
        ]
    );
}

/// The scheduler, ticking every 10 minutes over both change days: one run a day each time.
#[test]
fn the_scheduler_runs_a_nightly_job_once_per_day_across_both_changes() {
    for (start, days) in [("2026-03-27T12:00:00Z", 4), ("2026-10-23T12:00:00Z", 4)] {
        let searcher = FakeSearcher::new(|_| Ok(SearchResults::default()));
        let h = Harness::new(ts(start), searcher.clone());
        h.set(vec![saved(
            json!({"name": "nightly", "query": "*", "cron": "30 2 * * *",
            "timezone": "Europe/Paris", "earliest": "-1d@d", "latest": "@d"}),
        )]);
        h.tick();
        for _ in 0..(days * 24 * 6) {
            h.step(600);
        }
        let runs: Vec<String> = h
            .state
            .runs_of("nightly")
            .iter()
            .map(|r| {
                assert_eq!(r.status, RunStatus::Success);
                r.scheduled_time
                    .to_zoned_datetime(paris())
                    .strftime("%m-%d %H:%M %Z")
                    .to_string()
            })
            .collect();
        if start.starts_with("2026-03") {
            assert_eq!(
                runs,
                vec![
                    "03-28 02:30 CET",
                    "03-29 03:00 CEST",
                    "03-30 02:30 CEST",
                    "03-31 02:30 CEST"
                ]
            );
            // The window of the shifted run is still yesterday, midnight to midnight, in Paris.
            let req = &searcher.requests_of("nightly")[1];
            assert_eq!(req.earliest, Some(ts("2026-03-27T23:00:00Z")));
            assert_eq!(req.latest, ts("2026-03-28T23:00:00Z"));
        } else {
            assert_eq!(
                runs,
                vec![
                    "10-24 02:30 CEST",
                    "10-25 02:30 CEST",
                    "10-26 02:30 CET",
                    "10-27 02:30 CET"
                ]
            );
        }
    }
}
