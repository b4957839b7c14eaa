//! Actions against real receivers: a local webhook server that fails, a shell script reading
//! its CSV, a body template; retries with backoff recorded (through a recording sleeper).

mod common;

use common::*;
use loupe_alerts::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn alert_with(actions: serde_json::Value) -> loupe_meta::SavedSearch {
    saved(
        json!({"name": "hooked", "query": "status>=500 | stats count by host", "cron": "* * * * *",
        "alert": {"condition": {"type": "always"}, "actions": actions}}),
    )
}

fn one_row() -> Arc<FakeSearcher> {
    FakeSearcher::new(|_| Ok(rows(json!([{"host": "web-1", "count": 61}]))))
}

#[test]
fn a_broken_webhook_is_retried_with_backoff_and_recorded() {
    // A port nobody listens on: connection refused, every attempt.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", dead.local_addr().unwrap());
    drop(dead);
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), one_row());
    h.set(vec![alert_with(
        json!([{"type": "webhook", "url": url}, {"type": "index", "index": "copy"}]),
    )]);
    h.tick();
    h.step(60);
    let run = h.state.runs_of("hooked").pop().unwrap();
    assert_eq!(
        run.status,
        RunStatus::Success,
        "the search ran; its action failed"
    );
    assert_eq!(run.actions_failed, 1);
    let hook = &run.actions[0];
    assert_eq!(
        (hook.action.as_str(), hook.ok, hook.attempts),
        ("webhook", false, 3)
    );
    assert!(
        hook.error
            .as_deref()
            .unwrap()
            .contains("POST http://127.0.0.1"),
        "{hook:?}"
    );
    assert!(
        run.actions[1].ok,
        "a failed action does not stop the next one"
    );
    assert_eq!(
        h.sleeper.slept(),
        vec![Duration::from_secs(2), Duration::from_secs(4)]
    );
    let ev = &h.sink.events_in(SCHEDULER_INDEX)[0];
    assert_eq!(ev["actions_failed"], 1);
    assert_eq!(ev["actions"][0]["attempts"], 3);
    assert_eq!(ev["actions"][0]["ok"], false);
    assert!(
        !h.state.firings()[0].actions[0].ok,
        "the firing history says so too"
    );
}

#[test]
fn a_webhook_that_recovers_succeeds_on_a_later_attempt() {
    let hook = receiver(vec![500, 503, 200]);
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), one_row());
    h.set(vec![alert_with(
        json!([{"type": "webhook", "url": hook.url}]),
    )]);
    h.tick();
    h.step(60);
    let run = h.state.runs_of("hooked").pop().unwrap();
    assert_eq!((run.actions[0].ok, run.actions[0].attempts), (true, 3));
    assert_eq!(run.actions_failed, 0);
    assert_eq!(hook.got.lock().len(), 3);
}

#[test]
fn a_4xx_answer_is_not_retried() {
    let hook = receiver(vec![404]);
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), one_row());
    h.set(vec![alert_with(
        json!([{"type": "webhook", "url": hook.url}]),
    )]);
    h.tick();
    h.step(60);
    let a = &h.state.runs_of("hooked").pop().unwrap().actions[0];
    assert_eq!((a.ok, a.attempts), (false, 1));
    assert!(a.error.as_deref().unwrap().contains("HTTP 404"));
    assert!(h.sleeper.slept().is_empty());
}

#[test]
fn a_body_template_gives_a_slack_shaped_body() {
    let hook = receiver(vec![200]);
    let h = Harness::new(ts("2026-01-05T10:00:00Z"), one_row());
    let template = r#"{"text": ":rotating_light: *$search_name$* ($severity$): $result.host$ has $result.count$ errors <$results_link$|open>"}"#;
    h.set(vec![alert_with(
        json!([{"type": "webhook", "url": hook.url, "body_template": template}]),
    )]);
    h.tick();
    h.step(60);
    let got = hook.got.lock().clone();
    let body: serde_json::Value = serde_json::from_str(&got[0].body).expect("valid JSON");
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with(":rotating_light: *hooked* (medium): web-1 has 61 errors <http://127.0.0.1:8088/search?q=status"), "{text}");
}

#[test]
fn a_script_gets_the_results_as_csv_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("got.csv");
    let script = dir.path().join("page.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\ncat > \"$1\"\necho \"$LOUPE_SEARCH_NAME $LOUPE_RESULT_COUNT\" >> \"$1\"\n",
    )
    .unwrap();
    let mut config = SchedulerConfig::default();
    config.actions.scripts.insert(
        "page".into(),
        ScriptConfig {
            program: "/bin/sh".into(),
            args: vec![script.display().to_string(), out.display().to_string()],
        },
    );
    config.actions.scripts.insert(
        "fails".into(),
        ScriptConfig {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), "echo no pager >&2; exit 3".into()],
        },
    );
    let h = Harness::with(
        ts("2026-01-05T10:00:00Z"),
        one_row(),
        Arc::new(MemoryStateStore::new()),
        config,
    );
    h.set(vec![alert_with(json!([{"type": "script", "name": "page"}, {"type": "script", "name": "fails"}, {"type": "script", "name": "/bin/rm"}]))]);
    h.tick();
    h.step(60);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "count,host\n61,web-1\nhooked 1\n"
    );
    let run = h.state.runs_of("hooked").pop().unwrap();
    assert!(run.actions[0].ok);
    let fails = &run.actions[1];
    assert_eq!((fails.ok, fails.attempts), (false, 3));
    assert!(
        fails
            .error
            .as_deref()
            .unwrap()
            .contains("exit status: 3: no pager"),
        "{fails:?}"
    );
    let not_listed = &run.actions[2];
    assert_eq!((not_listed.ok, not_listed.attempts), (false, 1));
    assert!(not_listed
        .error
        .as_deref()
        .unwrap()
        .contains("not allow-listed"));
}
