//! The e-mail action against a real SMTP server — Python's aiosmtpd from the venv at
//! `$LOUPE_PYTHON` (`make test` sets it; a plain `cargo test` without it skips with a note) —
//! with authentication, then the MIME parts read back by Python's `email` package and the PDF's
//! text by `pdftotext`.

mod common;

use common::*;
use loupe_alerts::*;
use loupe_e2e::smtp::{python, start_smtp, start_smtp_tls, EXPLODE};
use serde_json::json;
use std::process::Command;
use std::sync::Arc;

#[test]
fn an_alert_mail_has_text_html_csv_and_a_pdf_whose_text_holds_the_error_lines() {
    let Some(py) = python() else { return };
    let smtp = start_smtp(&py);
    let secret = smtp.dir.path().join("smtp.pass");
    std::fs::write(&secret, "s3cret\n").unwrap();

    let lines = [
        "07:00:12 02/03/2026 ERROR envoi_mail: échec de connexion au serveur SMTP relais-2 (délai dépassé)",
        "07:05:40 02/03/2026 ERROR purge_clients: 1532 lignes rejetées, contrainte FK_CLIENT violée sur la table COMMANDES_ARCHIVES_2025",
        "07:10:02 02/03/2026 ERROR export_compta: fichier D:\\exports\\compta\\2026-03-01.csv introuvable",
    ];
    let rows_: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({"host": format!("SRV-BATCH-0{}", i + 1), "date": "02/03/2026",
                   "log_path": format!("D:\\batchs\\job{i}\\run.log"), "batch": format!("batch{i}"),
                   "client": "Acme", "_raw": l})
        })
        .collect();
    let columns: Vec<String> = ["host", "date", "log_path", "batch", "client", "_raw"]
        .map(String::from)
        .to_vec();
    let cols = columns.clone();
    let searcher = FakeSearcher::new(move |_| {
        let mut r = rows(json!(rows_.clone()));
        r.columns = cols.clone();
        Ok(r)
    });
    let email = EmailConfig {
        smtp: format!("smtp://127.0.0.1:{}", smtp.port),
        from: "Loupe <loupe@example.org>".into(),
        username: Some("loupe".into()),
        password_file: Some(secret),
        starttls: StartTls::Auto,
        ca_file: None,
    };
    let run = fire(
        searcher,
        email,
        json!({
            "name": "Batch errors", "query": "index=batchs error | lookup inventory.csv path AS source",
            "cron": "0 8 * * *", "timezone": "Europe/Paris", "earliest": "-24h@h", "latest": "@h",
            "alert": {"condition": {"type": "results", "relation": "greater_than", "quantity": 0},
                      "severity": "high",
                      "actions": [{"type": "email", "to": ["batch-team@example.org", "ops@example.org"],
                                   "subject": "[$severity$] $search_name$: $result_count$ errors", "attach": ["csv", "pdf"]}]}
        }),
    );
    assert!(run.fired);
    assert!(run.actions[0].ok, "{:?}", run.actions);

    let mail_dir = smtp.dir.path().join("mail");
    let envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(mail_dir.join("0.json")).unwrap()).unwrap();
    assert_eq!(
        envelope["rcpt_tos"],
        json!(["batch-team@example.org", "ops@example.org"])
    );
    assert_eq!(envelope["mail_from"], "loupe@example.org");
    assert_eq!(envelope["authenticated"], true);

    let explode = smtp.dir.path().join("explode.py");
    std::fs::write(&explode, EXPLODE).unwrap();
    let parts_dir = smtp.dir.path().join("parts");
    std::fs::create_dir(&parts_dir).unwrap();
    let out = Command::new(&py)
        .arg(&explode)
        .arg(mail_dir.join("0.eml"))
        .arg(&parts_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mime: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(mime["subject"], "[high] Batch errors: 3 errors");
    let types: Vec<&str> = mime["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/csv",
            "application/pdf"
        ]
    );
    let part = |ty: &str| {
        let p = mime["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["type"] == ty)
            .unwrap()
            .clone();
        (
            std::fs::read(p["path"].as_str().unwrap()).unwrap(),
            p["filename"].clone(),
        )
    };
    let text = String::from_utf8(part("text/plain").0).unwrap();
    let html = String::from_utf8(part("text/html").0).unwrap();
    let (csv, csv_name) = part("text/csv");
    let (pdf, pdf_name) = part("application/pdf");
    assert_eq!(csv_name, "results.csv");
    assert_eq!(pdf_name, "results.pdf");
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("host,date,log_path,batch,client,_raw\n"),
        "{csv}"
    );
    for l in lines {
        assert!(text.contains(l), "text part lacks {l}");
        assert!(
            html.contains(&l.replace('<', "&lt;")),
            "html part lacks {l}"
        );
        assert!(csv.contains(l), "csv lacks {l}");
    }
    assert!(html.contains("<table") && html.contains("<th") && html.contains("SRV-BATCH-02"));
    assert!(text.contains("http://127.0.0.1:8088/search?q=index%3Dbatchs"));

    // The PDF's text, as a person copying from it would get it.
    let pdf_path = smtp.dir.path().join("results.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let extracted = Command::new("pdftotext")
        .arg("-raw")
        .arg(&pdf_path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils; make pydeps installs it)");
    assert!(extracted.status.success());
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let got = flat(&String::from_utf8_lossy(&extracted.stdout));
    assert!(got.contains("Batch errors"), "{got}");
    for l in lines {
        assert!(got.contains(&flat(l)), "pdftotext lacks {l:?} in:\n{got}");
    }
    for v in [
        "SRV-BATCH-01",
        "D:\\batchs\\job2\\run.log",
        "Acme",
        "log_path",
    ] {
        assert!(got.contains(v), "pdftotext lacks {v}");
    }
}

#[test]
fn a_weekly_report_pdf_has_its_chart_labels_and_values() {
    let Some(_py) = python() else { return };
    let mut results = rows(json!([
        {"client": "Acme", "batch": "envoi_mail", "count": 12},
        {"client": "Globex", "batch": "purge", "count": 5},
        {"client": "Initech", "batch": "export_compta", "count": 30}
    ]));
    results.columns = ["client", "batch", "count"].map(String::from).to_vec();
    let report = report::Report::for_results(
        "Errors last week",
        vec!["2026-02-23 to 2026-03-02".into()],
        &results,
    );
    assert!(matches!(report.blocks[0], report::Block::BarChart(_)));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weekly.pdf");
    std::fs::write(&path, report::render_pdf(&report)).unwrap();
    let out = Command::new("pdftotext")
        .arg("-raw")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&out.stdout);
    for v in [
        "Errors last week",
        "count by client, batch",
        "Initech / export_compta",
        "30",
        "Globex / purge",
    ] {
        assert!(text.contains(v), "{v} not in {text}");
    }
}

/// The saved search `search` (scheduled at 08:00 Paris) run once with `email` as `[email]`; its run.
fn fire(searcher: Arc<FakeSearcher>, email: EmailConfig, search: serde_json::Value) -> RunRecord {
    let name = search["name"].as_str().unwrap_or_default().to_string();
    let mut config = SchedulerConfig::default();
    config.actions.email = Some(email);
    let h = Harness::with(
        ts("2026-03-02T05:00:00Z"),
        searcher,
        Arc::new(MemoryStateStore::new()),
        config,
    );
    h.set(vec![saved(search)]);
    h.tick();
    h.clock.set(ts("2026-03-02T07:00:00Z"));
    h.tick();
    h.state.runs_of(&name).pop().expect("a run")
}

/// One alert with an e-mail action through `email`, fired once at 08:00 Paris; its run.
fn fire_mail(email: EmailConfig) -> RunRecord {
    let searcher = FakeSearcher::new(|_| Ok(rows(json!([{"host": "SRV-BATCH-01", "count": 3}]))));
    fire(
        searcher,
        email,
        json!({
            "name": "Errors", "query": "index=batchs error | stats count by host",
            "cron": "0 8 * * *", "timezone": "Europe/Paris",
            "alert": {"condition": {"type": "results", "relation": "greater_than", "quantity": 0},
                      "actions": [{"type": "email", "to": ["team@example.org"]}]}
        }),
    )
}

#[test]
fn starttls_required_upgrades_before_the_login_and_trusts_the_ca_file() {
    let Some(py) = python() else { return };
    let smtp = start_smtp_tls(&py);
    let secret = smtp.dir.path().join("smtp.pass");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let email = |ca_file: Option<std::path::PathBuf>| EmailConfig {
        smtp: format!("smtp://127.0.0.1:{}", smtp.port),
        from: "loupe@example.org".into(),
        username: Some("loupe".into()),
        password_file: Some(secret.clone()),
        starttls: StartTls::Required,
        ca_file,
    };
    // Without the CA the self-signed certificate is refused: nothing goes out in clear.
    let run = fire_mail(email(None));
    assert!(!run.actions[0].ok, "{:?}", run.actions);
    assert!(smtp.mails().is_empty());
    let run = fire_mail(email(Some(smtp.cert())));
    assert!(run.actions[0].ok, "{:?}", run.actions);
    let envelope: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(smtp.dir.path().join("mail/0.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(envelope["tls"], true, "{envelope}");
    assert_eq!(envelope["authenticated"], true, "{envelope}");
}

#[test]
fn a_refused_login_fails_the_action_once_with_the_servers_answer() {
    let Some(py) = python() else { return };
    let smtp = start_smtp(&py);
    let secret = smtp.dir.path().join("smtp.pass");
    std::fs::write(&secret, "not-the-password\n").unwrap();
    let run = fire_mail(EmailConfig {
        smtp: format!("smtp://127.0.0.1:{}", smtp.port),
        from: "loupe@example.org".into(),
        username: Some("loupe".into()),
        password_file: Some(secret),
        starttls: StartTls::Never,
        ca_file: None,
    });
    let outcome = &run.actions[0];
    assert!(!outcome.ok, "{outcome:?}");
    // A wrong password stays wrong: no retry storm against the relay, which would lock the account.
    assert_eq!(outcome.attempts, 1, "{outcome:?}");
    let error = outcome.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("535"),
        "the server's answer is kept: {error}"
    );
    assert!(smtp.mails().is_empty());
}
