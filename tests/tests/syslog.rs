//! `[[syslog]]` inputs end to end: the real `loupe serve`, util-linux `logger` (Debian's
//! `bsdutils`) sending RFC 3164 and RFC 5424 over UDP and TCP, octet-counted framing from a
//! plain socket, text that is not syslog, and messages larger than the limits.

use loupe_e2e::{free_port, wait_until, Server};
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::process::Command;

/// Ports of a server with three inputs: UDP and TCP with defaults, and a UDP one with a small
/// `max_message_bytes` into its own index.
struct Syslog {
    server: Server,
    udp: u16,
    tcp: u16,
    small_udp: u16,
}

const SMALL: usize = 16_384;

fn start() -> Syslog {
    let (udp, tcp, small_udp) = (free_port(), free_port(), free_port());
    let server = Server::start(&format!(
        "[[syslog]]\nlisten = \"udp://127.0.0.1:{udp}\"\n\
         [[syslog]]\nlisten = \"tcp://127.0.0.1:{tcp}\"\n\
         [[syslog]]\nlisten = \"udp://127.0.0.1:{small_udp}\"\nindex = \"small\"\nsourcetype = \"net_syslog\"\nhost = \"fw1\"\nmax_message_bytes = {SMALL}\n"
    ));
    Syslog {
        server,
        udp,
        tcp,
        small_udp,
    }
}

/// Runs `logger` towards `port`; `args` are its transport, format and message options.
fn logger(port: u16, args: &[&str]) {
    let out = Command::new("logger")
        .args(["-n", "127.0.0.1", "-P", &port.to_string()])
        .args(args)
        .output()
        .expect("run logger (Debian package bsdutils; `make test` installs it)");
    assert!(
        out.status.success(),
        "logger {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until `query` counts `n` events (the batch is logged within a few hundred ms).
fn wait_count(s: &Server, query: &str, n: u64) {
    wait_until(30, query, || s.count(query) >= n);
    assert_eq!(s.count(query), n, "{query}");
}

/// `len(_raw)` of the single event `query` finds.
fn raw_len(s: &Server, query: &str) -> u64 {
    let (status, body) = s.search(
        &format!("{query} | eval n=len(_raw) | stats max(n) as n count"),
        1,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0]["count"].as_u64(), Some(1), "{body}");
    let n = &body["rows"][0]["n"];
    n.as_u64()
        .or_else(|| n.as_f64().map(|f| f as u64))
        .or_else(|| n.as_str().and_then(|t| t.parse().ok()))
        .unwrap_or_else(|| panic!("no length in {body}"))
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

#[test]
fn logger_rfc3164_and_rfc5424_over_udp_and_tcp() {
    let s = start();
    let cases = [
        ("--udp", "--rfc3164", "app3u", "auth.err", "err", "auth"),
        (
            "--udp",
            "--rfc5424",
            "app5u",
            "local3.warning",
            "warning",
            "local3",
        ),
        (
            "--tcp",
            "--rfc3164",
            "app3t",
            "daemon.notice",
            "notice",
            "daemon",
        ),
        ("--tcp", "--rfc5424", "app5t", "mail.debug", "debug", "mail"),
    ];
    for (transport, format, tag, prio, _, _) in cases {
        let port = if transport == "--udp" { s.udp } else { s.tcp };
        let msg = format!("hello from {tag}");
        logger(
            port,
            &[transport, format, "-t", tag, "--id=4242", "-p", prio, &msg],
        );
    }
    logger(
        s.udp,
        &[
            "--udp",
            "--rfc5424",
            "-t",
            "myapp",
            "-p",
            "auth.err",
            "message",
        ],
    );
    let srv = &s.server;
    wait_count(srv, "appname=myapp severity=err facility=auth", 1);
    for (_, format, tag, _, severity, facility) in cases {
        // Parsed fields, the time from the message (not far from now) and the sender's host.
        let q = format!(
            "earliest=-10m appname={tag} procid=4242 severity={severity} facility={facility} sourcetype=syslog"
        );
        wait_count(srv, &q, 1);
        let host = this_host();
        if !host.is_empty() {
            wait_count(srv, &format!("appname={tag} host=\"{host}\""), 1);
        }
        assert_eq!(
            srv.count(&format!("appname={tag} ingest_warning=*")),
            0,
            "{format}"
        );
        // `_raw` keeps the whole message, header included.
        assert_eq!(srv.count(&format!("\"hello from {tag}\" \"{tag}\"")), 1);
    }
    assert_eq!(srv.count("source=\"udp:*\" appname=app*"), 2);
    assert!(srv.metric("loupe_syslog_received_total") >= 5.0);
    assert_eq!(srv.metric("loupe_syslog_dropped_total"), 0.0);
    wait_until(30, "syslog counters in _internal", || {
        srv.count("index=_internal component=syslog received>0") >= 1
    });
}

#[test]
fn octet_counted_and_newline_frames_on_one_connection() {
    let s = start();
    let frame = |m: &str| format!("{} {m}", m.len());
    let first = "<165>1 2026-03-02T10:00:05.123Z web1 octapp 77 ID1 - first\nline two";
    let second = "<13>Mar  2 10:00:06 web2 octapp[78]: second";
    let mut c = TcpStream::connect(("127.0.0.1", s.tcp)).expect("connect");
    let mut bytes = frame(first).into_bytes();
    bytes.extend_from_slice(frame(second).as_bytes());
    bytes.extend_from_slice(b"<14>Mar  2 10:00:07 web3 lineapp: third\n");
    let fourth = frame("<14>1 2026-03-02T10:00:08Z web4 octapp - - - fourth split");
    bytes.extend_from_slice(fourth.as_bytes());
    // Split mid-length and mid-message: framing must not depend on how reads fall.
    let (a, rest) = bytes.split_at(2);
    let (b, rest) = rest.split_at(rest.len() - 5);
    for part in [a, b, rest] {
        c.write_all(part).expect("write");
        c.flush().expect("flush");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(c);
    let srv = &s.server;
    wait_count(srv, "appname=octapp", 3);
    wait_count(srv, "appname=lineapp host=web3", 1);
    // The octet-counted frame keeps its embedded newline: one event, not two.
    assert_eq!(
        srv.count("appname=octapp \"line two\" first msgid=ID1 procid=77"),
        1
    );
    assert_eq!(
        srv.count("appname=octapp host=web1 severity=notice facility=local4"),
        1
    );
    // Its time is the message's (2026-03-02T10:00:05.123Z), not the receipt time.
    assert_eq!(
        srv.count("appname=octapp host=web1 earliest=1772445605 latest=1772445606"),
        1
    );
    assert_eq!(srv.count("appname=octapp \"fourth split\""), 1);
    // Listeners stop with the server: SIGTERM still ends it cleanly.
    let mut s = s;
    assert!(s.server.terminate().success());
}

#[test]
fn text_that_is_not_syslog_is_kept_and_flagged() {
    let s = start();
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.send_to(b"just some text, no priority\n", ("127.0.0.1", s.udp))
        .expect("send");
    let srv = &s.server;
    wait_count(
        srv,
        "ingest_warning=not_syslog \"just some text\" host=127.0.0.1 earliest=-10m",
        1,
    );
    assert_eq!(srv.count("\"no priority\" appname=*"), 0);
}

#[test]
fn datagrams_at_the_size_limits() {
    let s = start();
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    // The OS refuses a 1 MB datagram outright: nothing to receive.
    let huge = vec![b'x'; 1 << 20];
    assert!(sock.send_to(&huge, ("127.0.0.1", s.udp)).is_err());
    // The largest IPv4 datagram: whole under the default limit (64 KiB), cut and flagged
    // under a smaller `max_message_bytes`.
    let mut big = b"<13>Mar  2 10:00:05 h1 bigudp: ".to_vec();
    big.resize(65_507, b'y');
    sock.send_to(&big, ("127.0.0.1", s.udp))
        .expect("send 65507");
    sock.send_to(&big, ("127.0.0.1", s.small_udp))
        .expect("send 65507");
    let srv = &s.server;
    wait_count(srv, "index=main appname=bigudp", 1);
    assert_eq!(raw_len(srv, "index=main appname=bigudp"), 65_507);
    assert_eq!(srv.count("index=main appname=bigudp ingest_warning=*"), 0);
    wait_count(
        srv,
        "index=small appname=bigudp ingest_warning=truncated host=fw1 sourcetype=net_syslog",
        1,
    );
    assert_eq!(raw_len(srv, "index=small appname=bigudp"), SMALL as u64);
    assert_eq!(srv.count("index=small ingest_warning=*"), 1);
}

#[test]
fn a_megabyte_tcp_line_is_cut_and_the_connection_keeps_working() {
    let s = start();
    let mut c = TcpStream::connect(("127.0.0.1", s.tcp)).expect("connect");
    let mut line = b"<13>Mar  2 10:00:05 h1 bigtcp: ".to_vec();
    line.resize(1 << 20, b'z');
    line.push(b'\n');
    c.write_all(&line).expect("write 1 MB");
    c.write_all(b"<13>Mar  2 10:00:06 h1 aftertcp: still here\n")
        .expect("write");
    let srv = &s.server;
    wait_count(srv, "appname=aftertcp \"still here\"", 1);
    wait_count(srv, "appname=bigtcp ingest_warning=truncated", 1);
    assert_eq!(raw_len(srv, "appname=bigtcp"), 65_536);
    // Same connection, later: still read.
    c.write_all(b"<13>Mar  2 10:00:07 h1 aftertcp: and again\n")
        .expect("write");
    wait_count(srv, "appname=aftertcp", 2);
}

#[test]
fn a_taken_port_stops_the_server_naming_it() {
    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("loupe.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\nlisten = \"127.0.0.1:0\"\n[[syslog]]\nlisten = \"udp://127.0.0.1:{port}\"\n",
            dir.path().join("data")
        ),
    )
    .expect("write config");
    let out = Command::new(loupe_e2e::bin("loupe"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .expect("run loupe serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("udp://127.0.0.1:{port}")),
        "stderr: {err}"
    );
    // A bad scheme is refused at load with the key's value.
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[[syslog]]\nlisten = \"syslog://127.0.0.1:514\"\n",
            dir.path().join("data")
        ),
    )
    .expect("write config");
    let out = Command::new(loupe_e2e::bin("loupe"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .expect("run loupe serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown scheme"), "stderr: {err}");
}
