//! The batch supervisor's first job, end to end through a real `loupe serve`: a scheduled
//! alert over the batch logs fires on its own, mails the error lines with CSV and PDF to a
//! real SMTP server, writes `_alerts` and `_scheduler`, and is throttled afterwards; a
//! no-data alert tells when a daily job went silent.

use loupe_e2e::smtp::{pdf_text, python, start_smtp};
use loupe_e2e::{load_batch_world, wait_until, Server};
use serde_json::json;

#[test]
fn a_scheduled_alert_mails_the_batch_errors_with_a_pdf_and_is_throttled() {
    let Some(py) = python() else { return };
    let smtp = start_smtp(&py);
    let secret = smtp.dir.path().join("smtp.pass");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let s = Server::start(&format!(
        "[email]\nsmtp = \"smtp://127.0.0.1:{}\"\nfrom = \"loupe@example.org\"\nusername = \"loupe\"\npassword_file = {:?}\n",
        smtp.port, secret
    ));
    load_batch_world(&s);
    s.flush();
    let errors = s.count("index=batchs ERROR");
    assert!(errors >= 12, "{errors} error lines in the samples");
    let (status, a) = s.api("POST", "/api/v1/saved-searches", Some(&json!({
        "name": "Batch errors",
        "query": "index=batchs ERROR | lookup batchs.csv chemin_logs AS source OUTPUT nom_du_batch AS batch client | table host _time source batch client _raw",
        "cron": "* * * * * *",
        "timezone": "Europe/Paris",
        "alert": {"condition": {"type": "results", "relation": "greater_than", "quantity": 0},
                  "throttle": "1h", "severity": "high",
                  "actions": [{"type": "email", "to": ["batchs-team@example.org"],
                               "subject": "$result_count$ batch errors", "attach": ["csv", "pdf"]},
                              {"type": "index"}]}
    })));
    assert_eq!(status, 201, "{a}");
    // It runs every second on its own; the first run mails, the next ones are throttled.
    wait_until(60, "two scheduled runs", || {
        s.flush();
        s.count("index=_scheduler search_name=\"Batch errors\" status=success") >= 2
    });
    assert_eq!(smtp.mails().len(), 1, "throttled after the first firing");
    assert_eq!(
        s.count("index=_alerts search_name=\"Batch errors\" event_type=fired"),
        1
    );
    assert!(s.count("index=_scheduler search_name=\"Batch errors\" throttled>0") >= 1);
    let (_, fired) = s.api("GET", "/api/v1/alerts/fired", None);
    assert_eq!(fired["fired"][0]["search_name"], "Batch errors", "{fired}");
    // The mail: the error lines in text, CSV and the PDF's extractable text.
    let mail = &smtp.mails()[0];
    let mime = smtp.parts(&py, mail);
    assert_eq!(mime["subject"], format!("{errors} batch errors"), "{mime}");
    let path_of = |ty: &str| {
        mime["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["type"] == ty)
            .map(|p| p["path"].as_str().unwrap().to_string())
    };
    let csv = std::fs::read_to_string(path_of("text/csv").expect("a CSV part")).unwrap();
    assert!(
        csv.starts_with("host,_time,source,batch,client,_raw"),
        "{csv}"
    );
    let pdf = smtp.dir.path().join("errors.pdf");
    std::fs::copy(path_of("application/pdf").expect("a PDF part"), &pdf).unwrap();
    let text = pdf_text(&pdf);
    let (_, lines) = s.search("index=batchs ERROR | head 3 | table _raw", 3);
    for row in lines["rows"].as_array().unwrap() {
        let raw = row["_raw"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(&raw), "the PDF lacks {raw:?}");
    }
    assert!(text.contains("ORDO-PROD-0"), "server names in the PDF");
}

#[test]
fn a_silent_daily_job_fires_a_no_data_alert() {
    let s = Server::start("");
    load_batch_world(&s);
    s.flush();
    let (status, a) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&json!({
            "name": "purge silent",
            "query": "index=batchs source=\"/batchs/*/purge*\" earliest=-26h",
            "alert": {"condition": {"type": "no_data"}, "actions": [{"type": "index"}]}
        })),
    );
    assert_eq!(status, 201, "{a}");
    let (status, run) = s.api(
        "POST",
        "/api/v1/saved-searches/purge%20silent/run?trigger_actions=true",
        None,
    );
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["fired"], true, "nothing in 26 hours: {run}");
    s.flush();
    assert_eq!(s.count("index=_alerts search_name=\"purge silent\""), 1);
    // The same search over the samples' own days has data: no firing.
    let (status, _) = s.api(
        "PUT",
        "/api/v1/saved-searches/purge%20silent",
        Some(&json!({
            "name": "purge silent",
            "query": "index=batchs source=\"/batchs/*/purge*\"",
            "alert": {"condition": {"type": "no_data"}, "actions": [{"type": "index"}]}
        })),
    );
    assert_eq!(status, 200);
    let (_, run) = s.api(
        "POST",
        "/api/v1/saved-searches/purge%20silent/run?trigger_actions=true",
        None,
    );
    assert_eq!(run["fired"], false, "{run}");
}
