//! Every `sh` example of `docs/api.md` runs against a server holding the web samples and
//! succeeds (`curl -f`): the page cannot drift from what the server answers.

use loupe_e2e::{load_web, Server, TOKEN};

fn sh_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        match (&mut cur, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => cur = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => out.extend(cur.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_api_example_runs() {
    let s = Server::start("");
    load_web(&s);
    s.flush();
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md"))
        .expect("docs/api.md");
    let blocks = sh_blocks(&doc);
    assert!(blocks.len() >= 6, "{} examples", blocks.len());
    for block in blocks {
        let out = std::process::Command::new("timeout")
            .args(["120", "bash", "-ec", &block])
            .env("LOUPE", &s.url)
            .env("TOKEN", TOKEN)
            .output()
            .expect("run bash");
        assert!(
            out.status.success(),
            "example failed ({:?}):\n{block}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
