//! Syslog input (`[[syslog]]` in `loupe.toml`): UDP datagrams and TCP streams, RFC 3164 and
//! RFC 5424 messages, onto the durable path ([`Pipeline::submit`]).
//!
//! Network devices and many daemons can only speak syslog; this lets them send straight to the
//! indexer. The shape is: one task per socket (and per TCP connection) cuts messages out of the
//! bytes and puts them on one bounded queue; one batcher task parses them into events and logs
//! them in batches (a few hundred milliseconds or [`BATCH_MAX`] messages, whichever comes first),
//! so a burst of datagrams costs one write-ahead-log sync per batch, not one per message.
//!
//! Memory is bounded everywhere: a message is at most `max_message_bytes` (longer ones are cut and
//! flagged), a TCP connection buffers at most one message plus one read, and the queue holds at
//! most [`QUEUE_MESSAGES`] messages. When the queue is full a UDP datagram is dropped and counted
//! (`loupe_syslog_dropped_total`, `_internal` `component=syslog`): UDP has no way to slow the
//! sender, and blocking the socket would only move the loss into the kernel, uncounted. A TCP
//! connection instead waits, which slows its sender through TCP's own flow control.

use crate::config::{SyslogConfig, SyslogTransport};
use crate::ingest::pipeline::{IngestError, Pipeline};
use crate::store::wal::LoggedBatch;
use loupe_event::{Event, EventFlags, Value};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Messages waiting between the sockets and the batcher; beyond this UDP datagrams are dropped.
pub const QUEUE_MESSAGES: usize = 16_384;
/// Most messages in one logged batch.
pub const BATCH_MAX: usize = 1_000;
/// Longest a received message waits for its batch to fill before being logged anyway.
pub const BATCH_WAIT: Duration = Duration::from_millis(200);
/// Largest UDP payload (65,507 over IPv4, 65,527 over IPv6, without jumbograms): the receive
/// buffer never needs more (+1 to see that a datagram was longer than the limit).
const UDP_MAX: usize = 65_535;
/// Bytes read from a TCP connection at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Why the syslog listeners could not start.
#[derive(Debug, thiserror::Error)]
pub enum SyslogError {
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// What the batcher needs to turn messages into events, taken from `loupe.toml` once.
#[derive(Debug, Clone)]
pub struct SyslogContext {
    /// The server's `max_event_bytes`: a message is also cut there.
    pub max_event_bytes: usize,
    /// `default_year` of `loupe.toml`: when set, year-less RFC 3164 stamps take it.
    pub default_year: Option<i32>,
    /// Zone of zone-less RFC 3164 stamps (`timezone` of `loupe.toml`).
    pub tz: jiff::tz::TimeZone,
}

/// Where a message came from: the settings of its input, shared by all its messages.
#[derive(Debug)]
struct Input {
    index: String,
    sourcetype: String,
    host: Option<String>,
    /// `udp:5514`, as Splunk names network inputs.
    source: String,
}

/// One message cut out of a datagram or a stream, not yet parsed.
struct Message {
    bytes: Vec<u8>,
    peer: IpAddr,
    truncated: bool,
    received_ns: i64,
    input: Arc<Input>,
}

/// The running listeners; [`SyslogInputs::stop`] ends them and logs what is still queued.
pub struct SyslogInputs {
    stop: watch::Sender<bool>,
    sockets: Vec<JoinHandle<()>>,
    batcher: Option<JoinHandle<()>>,
    /// The addresses actually bound (useful when a port is 0).
    pub local_addrs: Vec<(SyslogTransport, SocketAddr)>,
}

impl SyslogInputs {
    /// Binds every `[[syslog]]` listener (any failure is returned naming the address, before
    /// anything runs) and starts receiving.
    pub async fn start(
        configs: &[SyslogConfig],
        pipeline: Arc<Pipeline>,
        ctx: SyslogContext,
    ) -> Result<SyslogInputs, SyslogError> {
        SyslogInputs::start_with_queue(configs, pipeline, ctx, QUEUE_MESSAGES).await
    }

    /// [`SyslogInputs::start`] with a chosen queue length (tests make it tiny to see drops).
    pub async fn start_with_queue(
        configs: &[SyslogConfig],
        pipeline: Arc<Pipeline>,
        ctx: SyslogContext,
        queue: usize,
    ) -> Result<SyslogInputs, SyslogError> {
        let (stop, stop_rx) = watch::channel(false);
        let (tx, rx) = mpsc::channel::<Message>(queue.max(1));
        let mut bound = Vec::new();
        for cfg in configs {
            let (transport, addr) = cfg.endpoint().map_err(SyslogError::Config)?;
            let bind_err = |source| SyslogError::Bind {
                addr: cfg.listen.clone(),
                source,
            };
            match transport {
                SyslogTransport::Udp => {
                    let sock = tokio::net::UdpSocket::bind(addr).await.map_err(bind_err)?;
                    let local = sock.local_addr().map_err(bind_err)?;
                    bound.push((cfg, transport, local, Socket::Udp(sock)));
                }
                SyslogTransport::Tcp => {
                    let sock = tokio::net::TcpListener::bind(addr)
                        .await
                        .map_err(bind_err)?;
                    let local = sock.local_addr().map_err(bind_err)?;
                    bound.push((cfg, transport, local, Socket::Tcp(sock)));
                }
            }
        }
        let mut sockets = Vec::new();
        let mut local_addrs = Vec::new();
        for (cfg, transport, local, socket) in bound {
            let input = Arc::new(Input {
                index: cfg.index.clone(),
                sourcetype: cfg.sourcetype.clone(),
                host: cfg.host.clone(),
                source: format!("{transport}:{}", local.port()),
            });
            let max = cfg.max_message_bytes.min(ctx.max_event_bytes).max(1);
            local_addrs.push((transport, local));
            tracing::info!(listen = %cfg.listen, "syslog input listening on {transport}://{local}");
            let tx = tx.clone();
            let stop = stop_rx.clone();
            let counters = pipeline.counters.clone();
            sockets.push(match socket {
                Socket::Udp(sock) => tokio::spawn(udp_loop(sock, input, max, tx, stop, counters)),
                Socket::Tcp(sock) => tokio::spawn(tcp_loop(sock, input, max, tx, stop, counters)),
            });
        }
        drop(tx);
        let batcher = tokio::spawn(batch_loop(rx, pipeline, ctx, stop_rx));
        Ok(SyslogInputs {
            stop,
            sockets,
            batcher: Some(batcher),
            local_addrs,
        })
    }

    /// Stops receiving, then logs what the queue still holds (waiting at most `grace`).
    pub async fn stop(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        for s in self.sockets.drain(..) {
            let _ = s.await;
        }
        if let Some(b) = self.batcher.take() {
            if tokio::time::timeout(grace, b).await.is_err() {
                tracing::warn!("syslog: queued messages not logged within {grace:?} of shutdown");
            }
        }
    }
}

enum Socket {
    Udp(tokio::net::UdpSocket),
    Tcp(tokio::net::TcpListener),
}

/// Receives datagrams, one message each; never waits for the queue (see the module docs).
async fn udp_loop(
    sock: tokio::net::UdpSocket,
    input: Arc<Input>,
    max: usize,
    tx: mpsc::Sender<Message>,
    mut stop: watch::Receiver<bool>,
    counters: Arc<crate::ingest::pipeline::Counters>,
) {
    // One byte more than kept, so a longer datagram is seen as such (the kernel cuts the rest).
    let mut buf = vec![0u8; max.min(UDP_MAX) + 1];
    loop {
        let received = tokio::select! {
            _ = stop.changed() => return,
            r = sock.recv_from(&mut buf) => r,
        };
        let (n, peer) = match received {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors and the like surface here on some systems; the socket stays usable.
                tracing::debug!(error = %e, "syslog udp receive");
                continue;
            }
        };
        counters.syslog_received.fetch_add(1, Ordering::Relaxed);
        let truncated = n > max;
        let mut bytes = buf[..n.min(max)].to_vec();
        // Senders often end a datagram with a newline (or NUL): it is not part of the message.
        while matches!(bytes.last(), Some(b'\n' | b'\r' | 0)) {
            bytes.pop();
        }
        let msg = Message {
            bytes,
            peer: peer.ip(),
            truncated,
            received_ns: super::now_ns(),
            input: input.clone(),
        };
        match tx.try_send(msg) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                counters.syslog_dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

/// Accepts connections; each gets its own task and buffer.
async fn tcp_loop(
    listener: tokio::net::TcpListener,
    input: Arc<Input>,
    max: usize,
    tx: mpsc::Sender<Message>,
    mut stop: watch::Receiver<bool>,
    counters: Arc<crate::ingest::pipeline::Counters>,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => return,
            r = listener.accept() => r,
        };
        match accepted {
            Ok((stream, peer)) => {
                tokio::spawn(tcp_connection(
                    stream,
                    peer.ip(),
                    input.clone(),
                    max,
                    tx.clone(),
                    stop.clone(),
                    counters.clone(),
                ));
            }
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than spin.
                tracing::warn!(error = %e, "syslog tcp accept");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Reads one connection until it closes (or the server stops), framing messages as they come.
async fn tcp_connection(
    mut stream: tokio::net::TcpStream,
    peer: IpAddr,
    input: Arc<Input>,
    max: usize,
    tx: mpsc::Sender<Message>,
    mut stop: watch::Receiver<bool>,
    counters: Arc<crate::ingest::pipeline::Counters>,
) {
    let mut framer = Framer::new(max);
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut frames = Vec::new();
    loop {
        let read = tokio::select! {
            _ = stop.changed() => return,
            r = stream.read(&mut chunk) => r,
        };
        let n = match read {
            Ok(0) => {
                framer.finish(&mut frames);
                0
            }
            Ok(n) => {
                framer.push(&chunk[..n], &mut frames);
                n
            }
            Err(e) => {
                tracing::debug!(error = %e, %peer, "syslog tcp read");
                framer.finish(&mut frames);
                0
            }
        };
        for (bytes, truncated) in frames.drain(..) {
            counters.syslog_received.fetch_add(1, Ordering::Relaxed);
            let msg = Message {
                bytes,
                peer,
                truncated,
                received_ns: super::now_ns(),
                input: input.clone(),
            };
            // Waiting here is the back-pressure: the sender's TCP window fills.
            if tx.send(msg).await.is_err() {
                return;
            }
        }
        if n == 0 {
            return;
        }
    }
}

/// Cuts a TCP stream into messages: octet counting (RFC 6587 §3.4.1, `LEN SP MSG`) when a frame
/// starts with a digit, else newline-terminated (§3.4.2). Senders may mix both, frame by frame.
///
/// Holds at most `max` bytes of one message plus the bytes of one read: a frame longer than
/// `max` is emitted cut (flagged) and the rest of it is skipped as it arrives.
#[derive(Debug)]
pub struct Framer {
    max: usize,
    buf: Vec<u8>,
    /// Bytes of an over-long frame still to skip: a count for octet-counted frames, or
    /// `None` with `skip_line` for a line whose end has not come yet.
    skip_bytes: usize,
    skip_line: bool,
}

/// Longest `LEN` accepted in an octet-counted frame (digits), so garbage cannot keep us waiting.
const MAX_LEN_DIGITS: usize = 9;

impl Framer {
    /// A framer keeping at most `max` bytes of a message.
    pub fn new(max: usize) -> Framer {
        Framer {
            max: max.max(1),
            buf: Vec::new(),
            skip_bytes: 0,
            skip_line: false,
        }
    }

    /// Adds bytes; complete messages go to `out` as (bytes, truncated).
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<(Vec<u8>, bool)>) {
        if self.skip_bytes > 0 {
            let k = self.skip_bytes.min(data.len());
            self.skip_bytes -= k;
            data = &data[k..];
        }
        if self.skip_line {
            match memchr(b'\n', data) {
                Some(p) => {
                    self.skip_line = false;
                    data = &data[p + 1..];
                }
                None => return,
            }
        }
        self.buf.extend_from_slice(data);
        self.drain(out);
    }

    /// The connection ended: what is left is one last (unterminated) message.
    pub fn finish(&mut self, out: &mut Vec<(Vec<u8>, bool)>) {
        if self.skip_bytes == 0 && !self.skip_line {
            let rest = std::mem::take(&mut self.buf);
            let msg = trim_line(&rest);
            if !msg.is_empty() {
                out.push((msg.to_vec(), false));
            }
        }
        self.buf.clear();
    }

    fn drain(&mut self, out: &mut Vec<(Vec<u8>, bool)>) {
        let mut start = 0;
        loop {
            // Blank lines and NULs between frames carry nothing.
            while start < self.buf.len() && matches!(self.buf[start], b'\n' | b'\r' | 0) {
                start += 1;
            }
            let rest = &self.buf[start..];
            if rest.is_empty() {
                break;
            }
            if rest[0].is_ascii_digit() {
                match octet_count(rest) {
                    Count::Frame { header, len } => {
                        let body = &rest[header..];
                        if len <= self.max {
                            if body.len() < len {
                                break; // wait for the rest of the frame
                            }
                            out.push((trim_line(&body[..len]).to_vec(), false));
                            start += header + len;
                            continue;
                        }
                        if body.len() < self.max {
                            break;
                        }
                        out.push((body[..self.max].to_vec(), true));
                        let have = body.len().min(len);
                        self.skip_bytes = len - have;
                        start += header + have;
                        continue;
                    }
                    Count::NeedMore => break,
                    Count::NotCounted => {}
                }
            }
            match memchr(b'\n', rest) {
                Some(p) => {
                    let line = trim_line(&rest[..p]);
                    let truncated = line.len() > self.max;
                    out.push((line[..line.len().min(self.max)].to_vec(), truncated));
                    start += p + 1;
                }
                None if rest.len() >= self.max => {
                    out.push((rest[..self.max].to_vec(), true));
                    self.skip_line = true;
                    start = self.buf.len();
                }
                None => break,
            }
        }
        // An over-long line being skipped consumed the whole buffer (start is its end).
        self.buf.drain(..start);
    }
}

enum Count {
    Frame { header: usize, len: usize },
    NeedMore,
    NotCounted,
}

/// Reads `LEN SP` at the start of `b`.
fn octet_count(b: &[u8]) -> Count {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > MAX_LEN_DIGITS {
        return Count::NotCounted;
    }
    match b.get(digits) {
        None => Count::NeedMore,
        Some(b' ') => match std::str::from_utf8(&b[..digits])
            .ok()
            .and_then(|d| d.parse::<usize>().ok())
        {
            Some(len) if len > 0 => Count::Frame {
                header: digits + 1,
                len,
            },
            _ => Count::NotCounted,
        },
        Some(_) => Count::NotCounted,
    }
}

fn trim_line(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b'\n' | b'\r' | 0) {
        end -= 1;
    }
    &b[..end]
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// Parses queued messages and logs them in batches until every socket task is gone.
async fn batch_loop(
    mut rx: mpsc::Receiver<Message>,
    pipeline: Arc<Pipeline>,
    ctx: SyslogContext,
    stop: watch::Receiver<bool>,
) {
    let mut events: Vec<Event> = Vec::new();
    loop {
        let first = match rx.recv().await {
            Some(m) => m,
            None => break,
        };
        events.push(to_event(first, &ctx));
        let deadline = tokio::time::Instant::now() + BATCH_WAIT;
        while events.len() < BATCH_MAX {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(m)) => events.push(to_event(m, &ctx)),
                Ok(None) | Err(_) => break,
            }
        }
        submit(&pipeline, std::mem::take(&mut events), &stop).await;
    }
}

/// Logs one batch, retrying while the pipeline is busy (the queue fills meanwhile, which is
/// what makes UDP drops visible rather than silent) — except once the server is stopping.
async fn submit(pipeline: &Pipeline, events: Vec<Event>, stop: &watch::Receiver<bool>) {
    let n = events.len();
    let batch = LoggedBatch {
        channel: None,
        sequence: None,
        events,
    };
    let mut wait = Duration::from_millis(50);
    let mut tries = 0u32;
    loop {
        match pipeline.submit(batch.clone()).await {
            Ok(_) => return,
            Err(
                e @ (IngestError::Busy | IngestError::Unavailable(_) | IngestError::DiskFull(_)),
            ) => {
                tries += 1;
                if *stop.borrow() && tries > 20 {
                    tracing::error!(error = %e, "syslog: {n} message(s) not logged at shutdown");
                    return;
                }
                if tries == 1 {
                    tracing::warn!(error = %e, "syslog: ingest refused a batch; retrying");
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            Err(e) => {
                tracing::error!(error = %e, "syslog: {n} message(s) lost");
                return;
            }
        }
    }
}

/// A message as an event: parsed syslog, or raw text flagged `not_syslog`.
fn to_event(m: Message, ctx: &SyslogContext) -> Event {
    let text = String::from_utf8_lossy(&m.bytes);
    let lossy = matches!(text, std::borrow::Cow::Owned(_));
    let mut raw = text.into_owned();
    let mut truncated = m.truncated;
    if raw.len() > ctx.max_event_bytes {
        let mut cut = ctx.max_event_bytes;
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        raw.truncate(cut);
        truncated = true;
    }
    let parsed = parse(&raw, m.received_ns, ctx);
    let mut ev = Event {
        time_ns: m.received_ns,
        host: m.peer.to_string(),
        source: m.input.source.clone(),
        sourcetype: m.input.sourcetype.clone(),
        index: m.input.index.clone(),
        flags: EventFlags {
            truncated,
            lossy_utf8: lossy,
            not_syslog: parsed.is_none(),
            ..EventFlags::default()
        },
        ..Event::default()
    };
    if let Some(p) = parsed {
        match p.time_ns {
            Some(t) => ev.time_ns = t,
            None => ev.flags.time_from_receipt = true,
        }
        if let Some(h) = p.host {
            ev.host = h;
        }
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                ev.fields.push((k.to_string(), Value::Str(v)));
            }
        };
        put("appname", p.appname);
        put("procid", p.procid);
        put("msgid", p.msgid);
        put(
            "severity",
            Some(SEVERITIES[p.severity as usize].to_string()),
        );
        put("facility", Some(facility_name(p.facility).to_string()));
    }
    if let Some(h) = &m.input.host {
        ev.host = h.clone();
    }
    ev.raw = raw;
    ev
}

/// Severity names by number (RFC 5424 §6.2.1), as syslog.conf and `logger -p` spell them.
pub const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// Facility names by number (RFC 5424 §6.2.1); 12-15 have no name in the brief's list, these
/// are rsyslog's.
pub fn facility_name(f: u8) -> &'static str {
    const NAMES: [&str; 24] = [
        "kern",
        "user",
        "mail",
        "daemon",
        "auth",
        "syslog",
        "lpr",
        "news",
        "uucp",
        "cron",
        "authpriv",
        "ftp",
        "ntp",
        "security",
        "console",
        "solaris-cron",
        "local0",
        "local1",
        "local2",
        "local3",
        "local4",
        "local5",
        "local6",
        "local7",
    ];
    NAMES.get(f as usize).copied().unwrap_or("unknown")
}

/// What a syslog header holds; absent parts are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub time_ns: Option<i64>,
    pub host: Option<String>,
    pub appname: Option<String>,
    pub procid: Option<String>,
    pub msgid: Option<String>,
    pub facility: u8,
    pub severity: u8,
}

/// Parses an RFC 5424 or RFC 3164 message; `None` when it does not start with a `<PRI>`,
/// i.e. is not syslog at all. `now_ns` decides the year of year-less RFC 3164 stamps when
/// `default_year` is not set.
pub fn parse(msg: &str, now_ns: i64, ctx: &SyslogContext) -> Option<Parsed> {
    let rest = msg.strip_prefix('<')?;
    let close = rest.find('>')?;
    let pri_text = &rest[..close];
    if pri_text.is_empty() || pri_text.len() > 3 || !pri_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pri: u16 = pri_text.parse().ok()?;
    if pri > 191 {
        return None;
    }
    let mut p = Parsed {
        time_ns: None,
        host: None,
        appname: None,
        procid: None,
        msgid: None,
        facility: (pri / 8) as u8,
        severity: (pri % 8) as u8,
    };
    let body = &rest[close + 1..];
    if let Some(v5424) = body.strip_prefix("1 ") {
        parse_5424(v5424, &mut p);
    } else {
        parse_3164(body, now_ns, ctx, &mut p);
    }
    Some(p)
}

/// `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`, `-` meaning absent.
fn parse_5424(s: &str, p: &mut Parsed) {
    let mut parts = s.splitn(6, ' ');
    let nil = |v: Option<&str>| v.filter(|v| *v != "-" && !v.is_empty()).map(str::to_string);
    if let Some(ts) = parts.next() {
        p.time_ns = ts
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_nanosecond() as i64);
    }
    p.host = nil(parts.next());
    p.appname = nil(parts.next());
    p.procid = nil(parts.next());
    p.msgid = nil(parts.next());
}

/// `Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`; the HOSTNAME is optional in practice (many
/// daemons writing to /dev/log omit it), the timestamp too.
fn parse_3164(s: &str, now_ns: i64, ctx: &SyslogContext, p: &mut Parsed) {
    let mut rest = s;
    if let Some((t, after)) = stamp_3164(s, now_ns, ctx) {
        p.time_ns = Some(t);
        rest = after.strip_prefix(' ').unwrap_or(after);
        // A hostname is a word not followed by `[` or `:`; otherwise the word is the tag.
        let word_end = rest.find(' ').unwrap_or(rest.len());
        let word = &rest[..word_end];
        if !word.is_empty() && !word.contains('[') && !word.ends_with(':') && word_end < rest.len()
        {
            p.host = Some(word.to_string());
            rest = &rest[word_end + 1..];
        }
    }
    // TAG: up to 48 characters of [A-Za-z0-9._/-], then `[pid]` and/or `:`.
    let tag_len = rest
        .bytes()
        .take(48)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
        .count();
    if tag_len == 0 {
        return;
    }
    let after = &rest[tag_len..];
    if let Some(pid_part) = after.strip_prefix('[') {
        if let Some(end) = pid_part.find(']') {
            if pid_part[end + 1..].starts_with(':') {
                p.appname = Some(rest[..tag_len].to_string());
                let pid = &pid_part[..end];
                if !pid.is_empty() {
                    p.procid = Some(pid.to_string());
                }
            }
        }
    } else if after.starts_with(':') {
        p.appname = Some(rest[..tag_len].to_string());
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Mmm dd hh:mm:ss` (day space-padded or not) at the start of `s`: epoch ns and the rest.
fn stamp_3164<'a>(s: &'a str, now_ns: i64, ctx: &SyslogContext) -> Option<(i64, &'a str)> {
    let b = s.as_bytes();
    if b.len() < 15 {
        return None;
    }
    let month = MONTHS.iter().position(|m| s.starts_with(m))? as i8 + 1;
    if b[3] != b' ' {
        return None;
    }
    let (day, i) = match (b[4], b[5]) {
        (b' ', d) if d.is_ascii_digit() => ((d - b'0') as i8, 6),
        (d1, d2) if d1.is_ascii_digit() && d2.is_ascii_digit() => {
            (((d1 - b'0') * 10 + (d2 - b'0')) as i8, 6)
        }
        (d, b' ') if d.is_ascii_digit() => ((d - b'0') as i8, 5),
        _ => return None,
    };
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let t = s.get(i + 1..i + 9)?;
    let tb = t.as_bytes();
    if tb[2] != b':' || tb[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i8>().ok();
    let (hh, mm, ss) = (num(0..2)?, num(3..5)?, num(6..8)?);
    let mut end = i + 9;
    // An optional fraction (`.123456`), which rsyslog's high-precision 3164 writes.
    let mut nanos = 0i32;
    if b.get(end) == Some(&b'.') {
        let digits = b[end + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits > 0 {
            let frac = &s[end + 1..end + 1 + digits.min(9)];
            nanos = frac.parse::<i32>().ok()? * 10i32.pow(9 - digits.min(9) as u32);
            end += 1 + digits;
        }
    }
    let at = |year: i16| -> Option<i64> {
        let dt = jiff::civil::DateTime::new(year, month, day, hh, mm, ss, nanos).ok()?;
        let ts = ctx.tz.to_ambiguous_timestamp(dt).compatible().ok()?;
        Some(ts.as_nanosecond() as i64)
    };
    let ns = match ctx.default_year {
        Some(y) => at(i16::try_from(y).ok()?)?,
        None => {
            // The stamp is recent: this year, unless that is more than a day ahead (a December
            // message received in January belongs to last year).
            let now = jiff::Timestamp::from_nanosecond(now_ns as i128).ok()?;
            let year = now.to_zoned_datetime(ctx.tz.clone()).year();
            let this = at(year)?;
            if this > now_ns + 86_400 * 1_000_000_000 {
                at(year - 1)?
            } else {
                this
            }
        }
    };
    Some((ns, &s[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SyslogContext {
        SyslogContext {
            max_event_bytes: 1 << 20,
            default_year: None,
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    fn ns(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_nanosecond() as i64
    }

    #[test]
    fn rfc5424() {
        let m = "<35>1 2026-03-02T10:00:05.123+01:00 web1 myapp 4242 ID47 [x@1 a=\"b\"] hello";
        let p = parse(m, 0, &ctx()).unwrap();
        assert_eq!(p.time_ns, Some(ns("2026-03-02T09:00:05.123Z")));
        assert_eq!(p.host.as_deref(), Some("web1"));
        assert_eq!(p.appname.as_deref(), Some("myapp"));
        assert_eq!(p.procid.as_deref(), Some("4242"));
        assert_eq!(p.msgid.as_deref(), Some("ID47"));
        assert_eq!(
            (facility_name(p.facility), SEVERITIES[p.severity as usize]),
            ("auth", "err")
        );
        let p = parse("<13>1 - - - - - - bare", 0, &ctx()).unwrap();
        assert_eq!((p.time_ns, p.host, p.appname), (None, None, None));
    }

    #[test]
    fn rfc3164_with_and_without_host() {
        let now = ns("2026-03-05T00:00:00Z");
        let p = parse("<86>Mar  2 10:00:05 web1 sshd[999]: Accepted", now, &ctx()).unwrap();
        assert_eq!(p.time_ns, Some(ns("2026-03-02T10:00:05Z")));
        assert_eq!(p.host.as_deref(), Some("web1"));
        assert_eq!(p.appname.as_deref(), Some("sshd"));
        assert_eq!(p.procid.as_deref(), Some("999"));
        assert_eq!(facility_name(p.facility), "authpriv");
        assert_eq!(SEVERITIES[p.severity as usize], "info");
        let p = parse("<14>Mar 12 10:00:05 cron: ran", now, &ctx()).unwrap();
        assert_eq!(p.host, None);
        assert_eq!(p.appname.as_deref(), Some("cron"));
        // December seen in early March is last year's.
        let p = parse("<14>Dec 31 23:59:59 h app: x", now, &ctx()).unwrap();
        assert_eq!(p.time_ns, Some(ns("2025-12-31T23:59:59Z")));
        let paris = SyslogContext {
            default_year: Some(2024),
            tz: jiff::tz::TimeZone::get("Europe/Paris").unwrap(),
            ..ctx()
        };
        let p = parse("<14>Jul  1 12:00:00 h app: x", now, &paris).unwrap();
        assert_eq!(p.time_ns, Some(ns("2024-07-01T10:00:00Z")));
    }

    #[test]
    fn not_syslog() {
        for m in ["hello world", "<abc>x", "<999>x", "<13 x", ""] {
            assert_eq!(parse(m, 0, &ctx()), None, "{m}");
        }
    }

    /// A full queue drops datagrams and counts them, without blocking the socket.
    #[tokio::test]
    async fn full_queue_counts_drops() {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        let (tx, _rx) = mpsc::channel(1);
        let (_stop_tx, stop) = watch::channel(false);
        let counters = Arc::new(crate::ingest::pipeline::Counters::default());
        let input = Arc::new(Input {
            index: "main".into(),
            sourcetype: "syslog".into(),
            host: None,
            source: "udp:0".into(),
        });
        tokio::spawn(udp_loop(sock, input, 1024, tx, stop, counters.clone()));
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..5 {
            client
                .send_to(format!("<13>m{i}").as_bytes(), addr)
                .unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while counters.syslog_received.load(Ordering::Relaxed) < 5 {
            assert!(
                std::time::Instant::now() < deadline,
                "datagrams not received"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(counters.syslog_dropped.load(Ordering::Relaxed), 4);
    }

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<(String, bool)> {
        let mut f = Framer::new(max);
        let mut out = Vec::new();
        for c in chunks {
            f.push(c, &mut out);
        }
        f.finish(&mut out);
        out.into_iter()
            .map(|(b, t)| (String::from_utf8(b).unwrap(), t))
            .collect()
    }

    #[test]
    fn framing_newline_and_octet_counted() {
        let got = frames(
            100,
            &[b"<13>a\n<13>b\r\n11 <13>c\nd e", b"f\n5 <13>", b"g<13>h"],
        );
        let want: Vec<(String, bool)> = [
            ("<13>a", false),
            ("<13>b", false),
            ("<13>c\nd ef", false),
            ("<13>g", false),
            ("<13>h", false),
        ]
        .iter()
        .map(|(s, t)| (s.to_string(), *t))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn framing_bounds_long_frames() {
        let long = vec![b'x'; 250];
        let mut line = long.clone();
        line.extend_from_slice(b"\n<13>after\n");
        let got = frames(100, &[&line[..120], &line[120..]]);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0.len(), got[0].1), (100, true));
        assert_eq!(got[1], ("<13>after".to_string(), false));
        let mut counted = b"250 ".to_vec();
        counted.extend_from_slice(&long);
        counted.extend_from_slice(b"8 <13>next");
        let got = frames(100, &[&counted[..50], &counted[50..130], &counted[130..]]);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0.len(), got[0].1), (100, true));
        assert_eq!(got[1], ("<13>next".to_string(), false));
    }
}
