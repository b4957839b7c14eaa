//! A real third-party HEC client (the `splunk_handler` Python logging handler, from PyPI) ships into Loupe.

use loupe_e2e::{Server, TOKEN};
use std::process::Command;

#[test]
fn python_splunk_handler_ships_into_loupe() {
    let python = std::env::var("LOUPE_PYTHON")
        .expect("LOUPE_PYTHON is set by `make test` (a venv with splunk_handler)");
    let s = Server::start("");
    let port = s.url.rsplit(':').next().unwrap().to_string();
    let script = r#"
import logging, sys
from splunk_handler import SplunkHandler
h = SplunkHandler(host='127.0.0.1', port=sys.argv[1], token=sys.argv[2], index='main', protocol='http',
                  verify=False, flush_interval=0, sourcetype='python', hostname='clinic-app-1', debug=False)
log = logging.getLogger('clinic')
log.setLevel(logging.INFO)
log.addHandler(h)
for i in range(25):
    log.warning('appointment export failed pyhandler-probe n=%d', i)
h.close()
"#;
    let out = Command::new(python)
        .args(["-c", script, &port, TOKEN])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.count("pyhandler-probe"), 25);
    assert_eq!(
        s.count("pyhandler-probe host=clinic-app-1 sourcetype=python"),
        25
    );
}
