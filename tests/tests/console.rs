//! The console as people get it: served by `loupe serve` itself (CSP, ETags, gzip) and driven
//! in a real browser (Debian's chromium through playwright-core, `web/tests/console.mjs`).

use loupe_e2e::{load_web, Server, TOKEN};
use std::path::Path;

#[test]
fn the_console_is_served_with_its_security_headers_and_cache_validators() {
    let s = Server::start("");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(&format!("{}/search?q=error", s.url))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let header = |r: &ureq::http::Response<ureq::Body>, k: &str| {
        r.headers()
            .get(k)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(header(&r, "content-type").starts_with("text/html"));
    let csp = header(&r, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    let etag = header(&r, "etag");
    let html = r.body_mut().read_to_string().unwrap();
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .expect("a script in the page")
        .to_string();
    assert!(script.starts_with("/assets/"), "{script}");
    // Revalidation: the same ETag gives 304.
    let r = agent
        .get(&format!("{}/", s.url))
        .header("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 304);
    // The bundle: cached for good, compressed when asked.
    // (curl shows the headers as sent: the HTTP client here inflates gzip by itself.)
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-H",
            "Accept-Encoding: gzip",
        ])
        .arg(format!("{}{script}", s.url))
        .output()
        .expect("curl");
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains("cache-control: public, max-age=31536000, immutable"),
        "{head}"
    );
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let r = agent
        .get(&format!("{}/assets/nope.js", s.url))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[test]
fn the_search_page_works_in_a_real_browser() {
    let browser = std::env::var("LOUPE_BROWSER").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&browser).exists() {
        eprintln!("note: no browser at {browser} (make test installs Debian's chromium): skipping");
        return;
    }
    let s = Server::start("");
    load_web(&s);
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"xssprobe <img src=x onerror=alert(1)>","index":"web"}"#,
        &[],
    );
    assert_eq!(status, 200);
    s.flush();
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    let out = std::process::Command::new("node")
        .arg("tests/console.mjs")
        .arg(&s.url)
        .arg(TOKEN)
        .current_dir(&web)
        .env("LOUPE_BROWSER", &browser)
        .output()
        .expect("run node (the console's tests need Node.js and `make web`)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
