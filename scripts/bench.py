#!/usr/bin/env python3
"""make bench: Loupe's figures on the 2M-line corpus of ../shared/bench/corpus.py, beside rg in the same run.

Writes docs/benchmarks.md and prints the table. Environment: LOUPE_SHARED (the shared folder),
BENCH_LINES (default 2000000), BENCH_OUT (default bench-out), LOUPE_BIN (default target/release/loupe;
a debug build checks the script on a small BENCH_LINES, its figures mean nothing).
`--only-spl` prints only the SPL rows of issue 18 (tstats/metadata, PCRE rex, log patterns' grouping
accuracy on the Loghub samples), importing the corpus
into BENCH_OUT/data-hec when no earlier run left it there.
VICTORIA_LOGS=path/to/victoria-logs (built from its vendored source, see shared/ANCHORS.md) adds
VictoriaLogs beside Loupe: the same HEC ingest over HTTP, the same questions in LogsQL, runs
alternating (scripts/victorialogs.py); `--only-victorialogs` runs just those rows.
"""
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import threading
import urllib.error
import urllib.parse
import urllib.request

from victorialogs import LOGSQL, VictoriaLogs, in_parallel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("LOUPE_SHARED", os.path.join(ROOT, "..", "shared"))
OUT = os.path.abspath(os.environ.get("BENCH_OUT", os.path.join(ROOT, "bench-out")))
LINES = int(os.environ.get("BENCH_LINES", "2000000"))
LOUPE = os.environ.get("LOUPE_BIN", os.path.join(ROOT, "target", "release", "loupe"))
TOKEN = "bench-token-0123456789"
REPEAT = 7
# Figures of this run other rows compare with (Loupe's HEC ingest, for VictoriaLogs' row).
MEASURED = {}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def corpus():
    os.makedirs(OUT, exist_ok=True)
    raw = os.path.join(OUT, f"corpus-{LINES}.log")
    hec = os.path.join(OUT, f"corpus-{LINES}.hec.ndjson")
    gen = os.path.join(SHARED, "bench", "corpus.py")
    for path, extra in ((raw, []), (hec, ["--hec"])):
        if not os.path.exists(path):
            print(f"generating {path} ...", flush=True)
            sh([sys.executable, gen, path + ".tmp", str(LINES)] + extra)
            os.rename(path + ".tmp", path)
    return raw, hec


# Dates and times as the loghub systems write them: kept as they are in the dated corpus.
DATE_SPANS = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?"  # 2015-10-18 18:01:47,978
    r"|\d{4}[.-]\d{2}[.-]\d{2}[-.]\d{2}[.:]\d{2}[.:]\d{2}(?:\.\d+)?"  # BGL 2005-06-03-15.42.50.363779
    r"|\d{4}\.\d{2}\.\d{2}"  # BGL 2005.06.03
    r"|\d{2}/\d{2}/\d{2,4}[ :]\d{2}:\d{2}:\d{2}"  # 17/06/09 20:10:40
    r"|\d{8}-\d{1,2}:\d{1,2}:\d{1,2}(?::\d+)?"  # HealthApp 20171223-22:15:29:606
    r"|\d{6} \d{6}"  # HDFS 081109 203615
    r"|\d{2}\.\d{2} \d{2}:\d{2}:\d{2}"  # Proxifier [10.30 16:49:06]
    r"|\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+"  # Android 03-17 16:13:38.811
    r"|(?<!\d)1[01]\d{8}(?!\d)"  # epoch seconds (BGL, HPC, Thunderbird)
    r"|[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}(?: \d{4})?"  # Sun Dec 04 04:47:44 2005
    r"|[A-Z][a-z]{2} +\d{1,2},? \d{2}:\d{2}:\d{2}"  # Jun 14 15:16:01
    r"|\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?"  # a bare time
)


def dated_corpus(raw_path):
    """The corpus with real timestamps: the same cycling over the loghub samples as
    corpus.py, but only the digits outside date and time spans are scrambled, so every
    line keeps the time format (and the time) its software wrote. This is what users
    import; the plain corpus scrambles dates into times no recogniser accepts."""
    path = raw_path.replace(".log", ".dated.log")
    if os.path.exists(path):
        return path
    print(f"generating {path} ...", flush=True)
    import glob
    import random
    files = sorted(glob.glob(os.path.join(SHARED, "data", "loghub", "*", "*_2k.log")))
    lines = [open(f, errors="replace").read().splitlines() for f in files]
    rnd = random.Random(42)
    digits = re.compile(r"\d+")

    def scramble(text):
        return digits.sub(lambda m: "".join(rnd.choice("0123456789") for _ in m.group(0)), text)

    def keep_dates(line):
        out, last = [], 0
        for m in DATE_SPANS.finditer(line):
            out.append(scramble(line[last:m.start()]))
            out.append(m.group(0))
            last = m.end()
        out.append(scramble(line[last:]))
        return "".join(out)

    with open(path + ".tmp", "w") as o:
        for i in range(LINES):
            src = lines[i % len(lines)]
            o.write(keep_dates(src[(i // len(lines)) % len(src)]) + "\n")
    os.rename(path + ".tmp", path)
    return path


def plain_imports(raw):
    """`loupe import --sourcetype auto` of the plain corpus and of the dated one, with how
    many events kept receipt time (issue 15: at least 40 MB/s on 2 cores)."""
    rows = []
    for label, path in (("plain corpus (dates scrambled)", raw),
                        ("dated corpus (real timestamps, other digits scrambled)", dated_corpus(raw))):
        size = os.path.getsize(path)
        data_dir = os.path.join(OUT, "data-auto")
        secs, rss, cpu, out = timed_import(data_dir, ["--sourcetype", "auto", "--year", "2026", "--index", "main", path])
        print(out)
        rg_secs = rg(["-c", ""], path) / 1000
        rows.append((f"import, {label} (`--sourcetype auto`: line breaking + timestamp recognition)",
                     f"{size / 1e6 / secs:.1f} MB/s, {size / 1e6 / cpu:.1f} MB per CPU-second, peak RSS {rss:.0f} MiB "
                     f"(import said: {out.splitlines()[-1] if out else ''}); `rg -c ''` {rg_secs * 1000:.0f} ms", ""))
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def timed_import(data_dir, args):
    """Runs `loupe import` under /usr/bin/time -v; returns (seconds, peak RSS MiB, cpu seconds, stdout)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    cmd = ["/usr/bin/time", "-v", LOUPE, "import", "--data-dir", data_dir] + args
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"import failed: {p.stderr}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", p.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", p.stderr).group(1))
    return secs, rss_kb / 1024, user + system, p.stdout.strip()


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(d, f))
            except OSError:
                pass
    return total


def rss_parts(pid):
    """(RSS, anonymous, file-backed) in MiB of process `pid`: file-backed pages are the mapped
    index files, page cache the kernel takes back under pressure; anonymous is what it holds."""
    got = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                got[key] = int(line.split()[1]) / 1024
    return got.get("VmRSS", 0.0), got.get("RssAnon", 0.0), got.get("RssFile", 0.0) + got.get("RssShmem", 0.0)


def cpu_seconds(pid):
    """User + system CPU time of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_hwm(pid):
    """The peak RSS (VmHWM) of process `pid` so far, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmHWM"))


class PeakSampler:
    """The peak of (RSS, anonymous, file-backed) of a process, sampled every 50 ms while in use."""

    def __init__(self, pid):
        self.pid, self.peak, self.done = pid, [0.0, 0.0, 0.0], threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        while not self.done.is_set():
            self.peak[:] = [max(a, b) for a, b in zip(self.peak, rss_parts(self.pid))]
            self.done.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def hec_bodies(hec, body_bytes=1 << 20):
    """The HEC corpus cut into request bodies of about `body_bytes`, at line ends."""
    bodies, chunk, size = [], [], 0
    with open(hec, "rb") as f:
        for line in f:
            chunk.append(line)
            size += len(line)
            if size >= body_bytes:
                bodies.append(b"".join(chunk))
                chunk, size = [], 0
    if chunk:
        bodies.append(b"".join(chunk))
    return bodies


class Server:
    def __init__(self, data_dir, extra=""):
        cfg = os.path.join(OUT, "bench-loupe.toml")
        with open(cfg, "w") as f:
            f.write(f'data_dir = "{data_dir}"\nlisten = "127.0.0.1:0"\n{extra}\n[[tokens]]\nname = "bench"\ntoken = "{TOKEN}"\n')
        self.p = subprocess.Popen([LOUPE, "serve", "--config", cfg], stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ, RUST_LOG="warn"))
        for line in self.p.stdout:
            if line.startswith("loupe listening on "):
                self.url = line.split()[-1]
                break
        else:
            sys.exit("server did not start")

    def search(self, query, timeout=None):
        body = json.dumps({"query": query, "limit": 100}).encode()
        req = urllib.request.Request(self.url + "/api/v1/search", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                answer = json.loads(r.read())
        except urllib.error.HTTPError as e:
            answer = json.loads(e.read())
        wall = (time.perf_counter() - t0) * 1000
        return answer, wall

    def api(self, method, path, body=None):
        """`method path` of the API with the bench token; the JSON answer."""
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    def metric(self, name):
        with urllib.request.urlopen(self.url + "/metrics") as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[-1])
        return 0.0

    def rss_mib(self):
        return self.rss_parts()[0]

    def rss_parts(self):
        return rss_parts(self.p.pid)

    def cpu_seconds(self):
        return cpu_seconds(self.p.pid)

    def close(self):
        self.p.terminate()
        self.p.wait()


def median_ms(fn):
    fn()  # warm
    samples = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def rg(args, path):
    return median_ms(lambda: subprocess.run(["rg"] + args + [path], capture_output=True))


def or_terms(raw, n):
    """`n` distinct words of letters only from the corpus (numbers and identifiers are not
    plain index terms), as a subsearch or a pasted list would bring them."""
    seen, out = set(), []
    with open(raw, encoding="utf-8", errors="replace") as f:
        for line in f:
            for w in re.findall(r"(?<![A-Za-z0-9])[A-Za-z]{4,12}(?![A-Za-z0-9])", line):
                w = w.lower()
                if w not in seen:
                    seen.add(w)
                    out.append(w)
                    if len(out) == n // 2:
                        break
            if len(out) == n // 2:
                break
    # The other half matches nothing, as most values of a long list do.
    out += [f"nomatch{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676 % 26)}q" for i in range(n - len(out))]
    return out


def hardening(data_dir, raw):
    """Issue 14's figures: a 10,000-term OR beside `rg -F -f`, the time a cancelled search takes
    to stop, and the server's peak RSS while 20 heavy searches run under a 1 GB budget."""
    rows = []
    budget_mb = 1000
    server = Server(data_dir, f'[limits]\nserver_memory = "{budget_mb}MB"\n')
    try:
        terms = or_terms(raw, 10_000)
        terms_file = os.path.join(OUT, "or-terms.txt")
        with open(terms_file, "w") as f:
            f.write("\n".join(terms) + "\n")
        q = " OR ".join(terms) + " | stats count"
        answer, _ = server.search(q)
        count = answer["rows"][0]["count"]
        server_ms = statistics.median([server.search(q)[0]["stats"]["elapsed_ms"] for _ in range(3)])
        # As the issue measures it; with -i or -w, rg leaves its literal matcher and takes minutes.
        rg_args = ["-c", "-F", "-f", terms_file]
        t0 = time.perf_counter()
        subprocess.run(["rg"] + rg_args + [raw], capture_output=True)
        rg_ms = (time.perf_counter() - t0) * 1000
        rg_count = subprocess.run(["rg"] + rg_args + [raw], capture_output=True, text=True).stdout.strip()
        rows.append((f"10,000-term OR `w1 OR w2 … OR w10000 | stats count` ({len(q) // 1000} KB) -> {count} (rg: {rg_count})",
                     f"server {server_ms:.1f} ms; `rg -F -f terms.txt -c` (substrings) {rg_ms:.0f} ms (ratio {server_ms / rg_ms:.2f})",
                     "before: 8,000 terms took 5.2 s over 377,000 events, 60,000 never answered"))

        heavy = '* | rex "from (?<ip>[0-9.]+)" | eval k=host . ":" . ip | stats count by k | sort 0 - count'
        answer, full_ms = server.search(heavy)
        cpu0 = server.cpu_seconds()
        t0 = time.perf_counter()
        try:
            server.search(heavy, timeout=1.0)
        except (TimeoutError, urllib.error.URLError, OSError):
            pass
        gone = time.perf_counter()
        while server.metric("loupe_searches_running") > 0:
            time.sleep(0.005)
        stopped = time.perf_counter()
        cpu_after = server.cpu_seconds() - cpu0
        rows.append(("a search cancelled by its client after 1 s (the client disconnects)",
                     f"stopped {(stopped - gone) * 1000:.0f} ms after the disconnect; {cpu_after:.2f} CPU-s in all "
                     f"(the same search run to its end: {full_ms / 1000:.1f} s)",
                     "before: a disconnected search ran on for 6 minutes and held SIGTERM"))

        mixes = [
            "* | stats dc(_raw) as d",
            '* | rex "from (?<ip>[0-9.]+)" | stats dc(ip) by host',
            "* | sort 0 _raw | head 10",
            "* | eval u=_raw . host | stats count by u | head 5",
        ]
        peak = [server.rss_mib()]
        idle = peak[0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], server.rss_mib())
                time.sleep(0.02)

        outcomes = []

        def run(q):
            a, _ = server.search(q)
            outcomes.append(a.get("stopped_by") or ("error" if "error" in a else "ok"))

        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.perf_counter()
        workers = [threading.Thread(target=run, args=(mixes[i % len(mixes)],)) for i in range(20)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        secs = time.perf_counter() - t0
        done.set()
        sampler.join()
        tally = ", ".join(f"{k} {outcomes.count(k)}" for k in sorted(set(outcomes)))
        rows.append((f"20 heavy searches at once (dc of every event, rex + dc, sort 0, count by a unique field; server_memory = {budget_mb} MB)",
                     f"peak RSS {peak[0]:.0f} MiB (idle {idle:.0f} MiB, budget {budget_mb / 1.048576:.0f} MiB); {secs:.1f} s; outcomes: {tally}",
                     "before: 0.29 -> 5.07 GB with nothing limiting concurrency"))
    finally:
        server.close()
    rows.extend(jobs_and_export(data_dir, raw))
    return rows


def jobs_and_export(data_dir, raw):
    """Issue 16's figures: the job API's first preview and end, and an export of every event
    streamed as NDJSON beside rg printing the same file, with the server's RSS growth."""
    rows = []
    server = Server(data_dir)
    try:
        call = server.api
        t0 = time.perf_counter()
        sid = call("POST", "/api/v1/jobs", {"query": "error", "max_count": 1000})["sid"]
        first = None
        while True:
            st = call("GET", f"/api/v1/jobs/{sid}")
            if first is None and call("GET", f"/api/v1/jobs/{sid}/events?count=100")["rows"]:
                first = time.perf_counter() - t0
            if st["state"] not in ("queued", "running"):
                break
            time.sleep(0.005)
        done = time.perf_counter() - t0
        rows.append(("job API: `error` over the corpus (first page of events / done)",
                     f"first page {first * 1000:.0f} ms, done {done * 1000:.0f} ms ({st['progress']['matched']:,} matched)", ""))
        rss0 = server.rss_parts()
        peak = list(rss0)
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                now = server.rss_parts()
                for i in range(3):
                    peak[i] = max(peak[i], now[i])
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        url = server.url + "/api/v1/export?" + urllib.parse.urlencode({"query": "*", "output": "ndjson"})
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        t0 = time.perf_counter()
        total, lines = 0, 0
        with urllib.request.urlopen(req) as r:
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                lines += chunk.count(b"\n")
        secs = time.perf_counter() - t0
        stop.set()
        sampler.join()
        t0 = time.perf_counter()
        subprocess.run(["rg", "", raw], stdout=subprocess.DEVNULL)
        rg_secs = time.perf_counter() - t0
        raw_mb = os.path.getsize(raw) / 1e6
        rows.append((f"`GET /api/v1/export?query=*` as NDJSON: {lines:,} rows, {total / 1e6:.0f} MB",
                     f"{secs:.1f} s = {raw_mb / secs:.1f} MB/s of raw; server RSS +{peak[0] - rss0[0]:.0f} MiB peak "
                     f"(anonymous +{peak[1] - rss0[1]:.0f} MiB, target <= 64; mapped index files +{peak[2] - rss0[2]:.0f} MiB, page cache); "
                     f"`rg '' corpus` {rg_secs * 1000:.0f} ms", ""))
    finally:
        server.close()
    return rows


def hec_over_http(hec, raw_bytes, senders=4, body_bytes=1 << 20):
    """Issue 20's memory row: `loupe serve` ingesting the corpus over HTTP from `senders`
    concurrent HEC clients (bodies of about 1 MiB; a 503 is retried after the `Retry-After`
    or 50 ms, as shippers do), until `* | stats count` sees every event. Reports wall time,
    the server's peak RSS (VmHWM) and CPU, how many 503s back-pressure sent, and the data dir
    against the index once idle (the write-ahead log trimmed)."""
    data_dir = os.path.join(OUT, "data-http")
    shutil.rmtree(data_dir, ignore_errors=True)
    server = Server(data_dir, os.environ.get("BENCH_HEC_CONFIG", ""))
    bodies = hec_bodies(hec, body_bytes)
    busy = [0] * senders
    failed = []

    def send(i):
        for body in bodies[i::senders]:
            while True:
                req = urllib.request.Request(server.url + "/services/collector/event", data=body, method="POST",
                                             headers={"Authorization": f"Splunk {TOKEN}"})
                try:
                    with urllib.request.urlopen(req, timeout=300) as r:
                        r.read()
                    break
                except urllib.error.HTTPError as e:
                    if e.code in (429, 503):
                        busy[i] += 1
                        time.sleep(float(e.headers.get("Retry-After") or 0.05) if e.code == 429 else 0.05)
                        continue
                    failed.append(f"{e.code} {e.read()[:200]!r}")
                    return

    try:
        cpu0 = server.cpu_seconds()
        t0 = time.perf_counter()
        with PeakSampler(server.p.pid) as sampler:
            in_parallel(send, senders)
            acked = time.perf_counter() - t0
            while True:
                answer, _ = server.search("* | stats count")
                if answer.get("rows") and answer["rows"][0]["count"] >= LINES:
                    break
                time.sleep(0.2)
            secs = time.perf_counter() - t0
            cpu = server.cpu_seconds() - cpu0
        peak = sampler.peak
        hwm = peak_hwm(server.p.pid)
        # Idle: the last commit trims the log (commit_interval is 1 s); wait for the trim.
        deadline = time.time() + 30
        while du(os.path.join(data_dir, "wal")) > (1 << 20) and time.time() < deadline:
            time.sleep(0.2)
        index = du(os.path.join(data_dir, "indexes"))
        whole = du(data_dir)
    finally:
        server.close()
    if failed:
        sys.exit(f"HEC over HTTP failed: {failed[:3]}")
    shutil.rmtree(data_dir, ignore_errors=True)
    MEASURED["hec"] = dict(secs=secs, hwm=hwm, cpu=cpu, idle=whole)
    return [
        (f"HEC over HTTP, {senders} senders, ~1 MiB bodies, until all searchable",
         f"{secs:.1f} s = {raw_bytes / 1e6 / secs:.1f} MB/s raw (acknowledged after {acked:.1f} s); peak RSS {hwm:.0f} MiB "
         f"(sampled every 50 ms: anonymous {peak[1]:.0f}, file-backed {peak[2]:.0f}); "
         f"server CPU {cpu:.1f} s; {sum(busy)} answers 503/429 (back-pressure)",
         "VictoriaLogs 276 MiB peak (issue 20); Loupe be4c375: 838 MiB"),
        ("data dir while idle after that ingest / index",
         f"{whole / max(index, 1):.2f} ({whole / 1e6:.0f} MB / {index / 1e6:.0f} MB)",
         "VictoriaLogs 90 MB; Loupe be4c375: 557 MB"),
    ]


def victorialogs_ingest(binary, hec, raw_bytes, senders=4):
    """VictoriaLogs fed the same bodies by the same number of senders as `hec_over_http`, until
    all searchable; its figures beside Loupe's of this run. Returns the running instance (the
    queries ask it next) and its rows."""
    vl = VictoriaLogs(binary, os.path.join(OUT, "data-victorialogs"))
    bodies = hec_bodies(hec)
    cpu0 = cpu_seconds(vl.p.pid)
    with PeakSampler(vl.p.pid) as sampler:
        secs, acked = vl.ingest(bodies, senders, LINES)
        cpu = cpu_seconds(vl.p.pid) - cpu0
    hwm = peak_hwm(vl.p.pid)
    # Idle: in-memory parts flushed and the background merges of the last seconds done.
    # Both calls return before the work is done: the size is read once it has held still for 3 s.
    urllib.request.urlopen(vl.url + "/internal/force_flush").read()
    urllib.request.urlopen(vl.url + "/internal/force_merge").read()
    sizes, deadline = [du(vl.data_dir)], time.time() + 120
    while (len(sizes) < 4 or len(set(sizes[-4:])) > 1) and time.time() < deadline:
        time.sleep(1)
        sizes.append(du(vl.data_dir))
    idle = sizes[-1]
    ours = MEASURED.get("hec", {})

    def ratio(key, theirs):
        return f"{ours[key] / theirs:.2f}" if key in ours and theirs else "-"

    return vl, [
        (f"VictoriaLogs (this run): the same HEC corpus as JSON lines, {senders} senders, until all searchable",
         f"Loupe / VictoriaLogs: time {ratio('secs', secs)}, CPU {ratio('cpu', cpu)}, peak RSS {ratio('hwm', hwm)}, "
         f"idle data dir {ratio('idle', idle)}",
         f"VictoriaLogs {secs:.1f} s = {raw_bytes / 1e6 / secs:.1f} MB/s (acknowledged after {acked:.1f} s), CPU {cpu:.1f} s, "
         f"peak RSS {hwm:.0f} MiB (anonymous {sampler.peak[1]:.0f}), data dir {idle / 1e6:.0f} MB = {idle / raw_bytes:.2f} of raw"),
    ]


def victorialogs_rows(binary):
    """`--only-victorialogs`: both ingests over HTTP, then every question of `LOGSQL` asked of
    both side by side (Loupe on the data dir of an earlier run's HEC import)."""
    raw, hec = corpus()
    raw_bytes = os.path.getsize(raw)
    rows = hec_over_http(hec, raw_bytes)
    vl, vl_rows = victorialogs_ingest(binary, hec, raw_bytes)
    rows.extend(vl_rows)
    data_dir = os.path.join(OUT, "data-hec")
    if not os.path.isdir(data_dir):
        timed_import(data_dir, ["--format", "hec", "--index", "main", hec])
    server = Server(data_dir)
    try:
        for q in LOGSQL:
            answer, _ = server.search(q)
            peer, _ = vl_column(vl, server, q, answer["rows"], 3 if "rex" in q else REPEAT)
            n = len(answer.get("rows") or answer.get("events") or [])
            rows.append((f"`{q}` -> {n} rows", f"server {answer['stats']['elapsed_ms']:.1f} ms", peer))
    finally:
        server.close()
        vl.close()
    return rows


def side_by_side(server, vl, q, repeat=REPEAT):
    """Loupe's and VictoriaLogs' answers to the same question, runs alternating after one warm
    run each: (Loupe engine ms, Loupe round trip ms, VictoriaLogs round trip ms, VictoriaLogs
    rows). Round trips are what both can be compared on."""
    server.search(q)
    vl_rows, _ = vl.query(LOGSQL[q])
    ours, walls, theirs = [], [], []
    for _ in range(repeat):
        answer, wall = server.search(q)
        ours.append(answer["stats"]["elapsed_ms"])
        walls.append(wall)
        theirs.append(vl.query(LOGSQL[q])[1])
    return statistics.median(ours), statistics.median(walls), statistics.median(theirs), vl_rows


def vl_column(vl, server, q, loupe_rows, repeat=REPEAT, published=""):
    """The third column of a query row: VictoriaLogs' time this run and the ratio of the round
    trips, with whether it answered the same (a count, or the number of groups); `published`
    when no binary was given."""
    if vl is None or q not in LOGSQL:
        return published, None
    _, wall, vl_ms, vl_rows = side_by_side(server, vl, q, repeat)
    if len(loupe_rows) == 1 and "count" in loupe_rows[0] and vl_rows and "count" in vl_rows[0]:
        same = "same count" if int(loupe_rows[0]["count"]) == int(vl_rows[0]["count"]) else f"count {vl_rows[0]['count']}"
    else:
        same = f"{len(vl_rows)} rows"
    return (f"VictoriaLogs {vl_ms:.1f} ms round trip ({same}); Loupe round trip {wall:.1f} ms, "
            f"**Loupe / VL {wall / max(vl_ms, 1e-9):.2f}**"), wall


def server_ms(server, q, repeat=REPEAT):
    """Median `elapsed_ms` of `q` after one warm run, and the warm run's answer; an error answer
    stops the bench (a refused query would time as fast)."""
    answer, _ = server.search(q)
    if "error" in answer:
        sys.exit(f"{q}: {answer['error']}")
    return statistics.median([server.search(q)[0]["stats"]["elapsed_ms"] for _ in range(repeat)]), answer


def spl_second_wave(data_dir):
    """Issue 18's targets, each beside its reference in the same run: `tstats` and `metadata`
    answer counts by host from summaries (target: within 2x of `stats count by host`), and a
    lookahead `rex` (the backtracking fallback) beside the same extraction without lookahead."""
    rows = []
    server = Server(data_dir)
    try:
        base_ms, base = server_ms(server, "* | stats count by host")
        for name, q in [
            ("tstats", "| tstats count where index=main by host"),
            ("metadata", "| metadata type=hosts index=main"),
        ]:
            ms, answer = server_ms(server, q)
            # Same hosts, same counts: a fast wrong answer is not a result.
            want = {r["host"]: int(r["count"]) for r in base["rows"]}
            got = {r["host"]: int(r.get("count", r.get("totalCount", 0))) for r in answer["rows"]}
            same = "same counts" if got == want else "COUNTS DIFFER"
            rows.append((f"{name} counts by host `{q}` -> {len(answer['rows'])} rows ({same} as `* | stats count by host`)",
                         f"server {ms:.2f} ms; `* | stats count by host` {base_ms:.2f} ms (ratio {ms / max(base_ms, 1e-9):.2f})",
                         "target: ratio <= 2"))
        plain = '* | rex "(?<login>\\w+) from" | stats count by login'
        ahead = '* | rex "(?<login>\\w+)(?= from)" | stats count by login'
        plain_ms, plain_answer = server_ms(server, plain, 3)
        ahead_ms, ahead_answer = server_ms(server, ahead, 3)
        same = "same groups" if plain_answer["rows"] == ahead_answer["rows"] else "GROUPS DIFFER"
        rows.append((f"PCRE fallback: lookahead rex `{ahead}` -> {len(ahead_answer['rows'])} groups ({same} as without lookahead)",
                     f"server {ahead_ms:.0f} ms; `{plain}` (linear-time engine) {plain_ms:.0f} ms "
                     f"(ratio {ahead_ms / max(plain_ms, 1e-9):.1f})", ""))
    finally:
        server.close()
    return rows


def log_patterns():
    """Issue 18's log-pattern target: grouping accuracy of `cluster labelonly=t` on the 16 Loghub
    samples (an event counts when the events sharing its label are those sharing its EventId),
    each beside Drain's published figure, and the clustering speed, from
    `query/tests/patterns.rs` built in release (it parses the samples' ground truth itself)."""
    env = dict(os.environ, LOUPE_SHARED_DATA=os.path.join(SHARED, "data"))
    out = subprocess.run(
        ["cargo", "test", "--release", "-q", "-p", "loupe-query", "--test", "patterns",
         "cluster_grouping_accuracy_on_loghub", "--", "--exact", "--nocapture"],
        cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"query/tests/patterns.rs failed:\n{out.stdout}\n{out.stderr}")
    systems = re.findall(r"^(\w+)\s+([01]\.\d+)\s+\(Drain ([01]\.\d+)\)$", out.stdout, re.M)
    total = re.search(r"^average ([01]\.\d+) \(Drain 0\.865\), lowest ([01]\.\d+); (\d+) lines clustered in .*?, (\d+) lines/s$",
                      out.stdout, re.M)
    if len(systems) != 16 or total is None:
        sys.exit(f"unexpected output of query/tests/patterns.rs:\n{out.stdout}")
    avg, worst, lines, speed = total.groups()
    rows = [(f"log patterns: grouping accuracy of `cluster labelonly=t` on the 16 Loghub samples ({int(lines):,} lines)",
             f"average **{avg}**, lowest {worst}; {int(speed):,} lines/s on one thread",
             "Drain (ICSE-SEIP 2019, with a header format and regexes per system): average 0.865; target >= 0.90, none < 0.75, >= 500,000 lines/s")]
    rows.append(("grouping accuracy per system: Loupe (Drain)",
                 ", ".join(f"{name} {ours} ({drain})" for name, ours, drain in systems), ""))
    return rows


def scheduler_load(data_dir, searches=1000, minutes=None):
    """Issue 16: `searches` saved searches (each a small `stats count`) every minute for
    `minutes` (BENCH_SCHED_MINUTES, default 5) on the corpus's data dir: runs missed, and the
    scheduler's lag (start of a run minus its scheduled time) read back from `_scheduler`."""
    minutes = minutes or int(os.environ.get("BENCH_SCHED_MINUTES", "5"))
    server = Server(data_dir)
    try:
        call = server.api
        hosts = [r["host"] for r in server.search("* | stats count by host")[0]["rows"]] or ["x"]
        for i in range(searches):
            call("POST", "/api/v1/saved-searches", {
                "name": f"load-{i:04d}", "query": f"host={hosts[i % len(hosts)]} | stats count",
                "cron": "* * * * *", "earliest": "-1m@m", "latest": "@m", "enabled": True})
        # Whole minutes only: from the next minute boundary, `minutes` of them.
        start = (int(time.time()) // 60 + 1) * 60
        end = start + minutes * 60
        time.sleep(max(0, end - time.time()) + 20)
        q = (f'index=_scheduler search_name=load-* | where _time >= {start} AND _time < {end} '
             '| stats count AS runs dc(_time) AS times BY search_name')
        rows = server.search(q.replace("| stats", "| head 1000000 | stats"))[0]["rows"]
        per = {r["search_name"]: int(r["times"]) for r in rows}
        missed = sum(max(0, minutes - per.get(f"load-{i:04d}", 0)) for i in range(searches))
        lag = server.search(f'index=_scheduler search_name=load-* | where _time >= {start} AND _time < {end} '
                            '| stats count perc50(lag_ms) AS p50 perc99(lag_ms) AS p99 max(lag_ms) AS worst avg(duration_ms) AS run_ms')[0]["rows"][0]
        return [(f"scheduler: {searches:,} saved searches (`host=H | stats count`) every minute for {minutes} min",
                 f"{int(lag['count']):,} runs, {missed} missed; lag p50 {float(lag['p50']):.0f} ms, p99 {float(lag['p99']):.0f} ms, "
                 f"worst {float(lag['worst']):.0f} ms; a run takes {float(lag['run_ms']):.1f} ms on average", "")]
    finally:
        server.close()


def query_rows(data_dir, raw, vl=None):
    """The query rows of the main table, over an imported `data_dir` (`vl`: a running
    VictoriaLogs holding the same corpus, for its column)."""
    raw_bytes = os.path.getsize(raw)
    rows = []
    server = Server(data_dir)
    try:
        queries = [
            ("rare term count", '"zebra-needle-771" | stats count', ["-c", "zebra-needle-771"]),
            ("phrase count", '"Failed password" | stats count', ["-c", "Failed password"]),
            ("common word count", "error | stats count", ["-c", "-w", "-i", "error"]),
            ("everything count", "* | stats count", ["-c", ""]),
            # The prices of a small index: identifiers are hashed (candidates checked on their
            # text), numbers of one or two digits are not indexed (the phrase narrows by `port`,
            # a bare number reads every event).
            ("hashed identifier count", '"blk_-5182337498941343524" | stats count', ["-c", "-e", "blk_-5182337498941343524"]),
            # rg patterns with the index's token boundaries (every non-alphanumeric breaks).
            ("phrase with a 2-digit number", '"port 22" | stats count',
             ["-c", "-i", "-e", "(^|[^a-zA-Z0-9])port[^a-zA-Z0-9]+22([^a-zA-Z0-9]|$)"]),
            ("bare 2-digit number", "22 | stats count", ["-c", "-e", "(^|[^a-zA-Z0-9])22([^a-zA-Z0-9]|$)"]),
        ]
        for name, q, rg_args in queries:
            answer, _ = server.search(q)
            count = answer["rows"][0]["count"]
            server_ms = statistics.median([server.search(q)[0]["stats"]["elapsed_ms"] for _ in range(REPEAT)])
            wall_ms = statistics.median([server.search(q)[1] for _ in range(REPEAT)])
            rg_ms = rg(rg_args, raw)
            rg_count = subprocess.run(["rg"] + rg_args + [raw], capture_output=True, text=True).stdout.strip()
            peer, _ = vl_column(vl, server, q, answer["rows"])
            rows.append((f"{name} `{q}` -> {count} (rg: {rg_count})",
                         f"server {server_ms:.2f} ms, HTTP round trip {wall_ms:.2f} ms; `rg {' '.join(rg_args)}` {rg_ms:.0f} ms "
                         f"(ratio {wall_ms / rg_ms:.3f})", peer))
        for name, q, peer in [
            ("count by host (50 groups)", "* | stats count by host", "VictoriaLogs 1.5 ms, Quickwit 6.9 ms, awk 166 ms"),
            ("count by sourcetype", "* | stats count by sourcetype", ""),
            ("count by host of a phrase", '"Failed password" | stats count by host', ""),
            ("hourly histogram (169 bins)", "* | timechart span=1h count", "VictoriaLogs 20 ms, Quickwit 21.7 ms, awk 137 ms"),
            # From the buckets' streams (host, source, sourcetype combinations) or fast columns.
            ("distinct hosts", "* | stats dc(host)", "VictoriaLogs 4.8 ms (Loupe be4c375: 529 ms)"),
            ("count by two keys", "* | stats count by host, sourcetype", "VictoriaLogs 24 ms (Loupe be4c375: 1,263 ms)"),
            ("distinct hosts by sourcetype of a phrase (fast columns)", '"Failed password" | stats dc(host), max(_time) by sourcetype', ""),
            ("count by two keys, then sorted", "* | stats count by host, sourcetype | sort - count | head 5", ""),
        ]:
            t0 = time.perf_counter()
            answer, _ = server.search(q)
            first_ms = (time.perf_counter() - t0) * 1000
            server_ms = statistics.median([server.search(q)[0]["stats"]["elapsed_ms"] for _ in range(3 if first_ms > 1000 else REPEAT)])
            peer, _ = vl_column(vl, server, q, answer["rows"], 3 if first_ms > 1000 else REPEAT, peer)
            rows.append((f"{name} `{q}` -> {len(answer['rows'])} rows", f"server {server_ms:.2f} ms", peer))
        q = '* | rex "from (?<ip>[0-9.]+)" | stats count by ip'
        answer, _ = server.search(q)  # warm
        runs = []
        for _ in range(3):
            cpu0 = server.cpu_seconds()
            answer, _ = server.search(q)
            runs.append((answer["stats"]["elapsed_ms"], server.cpu_seconds() - cpu0))
        server_ms = statistics.median([r[0] for r in runs])
        cpu_s = statistics.median([r[1] for r in runs])
        rg_ms = median_ms(lambda: subprocess.run(f"rg -o 'from [0-9.]+' {raw} | sort | uniq -c | wc -l", shell=True, capture_output=True))
        rows.append((f"search-time rex + count by (`{q}`) -> {len(answer['rows'])} groups",
                     f"server {server_ms:.0f} ms = {raw_bytes / 1e6 / (server_ms / 1000):.1f} MB/s of raw on {os.cpu_count()} cores, "
                     f"{cpu_s:.2f} CPU-s = {raw_bytes / 1e6 / max(cpu_s, 1e-9):.0f} MB per CPU-second; `rg -o | sort | uniq -c` {rg_ms:.0f} ms "
                     f"(ratio {server_ms / rg_ms:.1f})",
                     vl_column(vl, server, q, answer["rows"], 3, "VictoriaLogs 314 ms; rg pipeline 164 ms")[0]))
        answer, _ = server.search("error | head 100")
        server_ms = statistics.median([server.search("error | head 100")[0]["stats"]["elapsed_ms"] for _ in range(REPEAT)])
        rows.append(("newest 100 events with `error` (`error | head 100`)", f"server {server_ms:.2f} ms",
                     vl_column(vl, server, "error | head 100", answer["rows"],
                               published="VictoriaLogs 103 ms; `tac | rg -m 100` 8 ms")[0]))
    finally:
        server.close()
    return rows


def main():
    if not os.path.exists(LOUPE):
        sys.exit("build first: cargo build --release")
    if shutil.which("rg") is None:
        sys.exit("ripgrep (rg) is needed: apt-get install ripgrep")
    raw, hec = corpus()
    raw_bytes = os.path.getsize(raw)
    ncpu = os.cpu_count()
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    rows = []

    data_dir = os.path.join(OUT, "data-hec")
    secs, rss, cpu, out = timed_import(data_dir, ["--format", "hec", "--index", "main", hec])
    print(out)
    size = du(os.path.join(data_dir, "indexes"))
    rows.append(("import, HEC envelopes (time, host, sourcetype given)", f"{raw_bytes / 1e6 / secs:.1f} MB/s raw, "
                 f"{LINES / secs:,.0f} events/s, {raw_bytes / 1e6 / cpu:.1f} MB per CPU-second, peak RSS {rss:.0f} MiB",
                 "Quickwit 9-11 MB/s, 8 MB/CPU-s, ~1 GB RSS; VictoriaLogs 39 MB/s, 281 MiB"))
    rows.append(("index size / raw size (`_raw` stored; phrases by word-pair terms)", f"{size / raw_bytes:.2f} ({size / 1e6:.0f} MB)",
                 "Quickwit 0.83, VictoriaLogs 0.32, zstd -3 0.29"))

    rows.extend(plain_imports(raw))
    rows.extend(hec_over_http(hec, raw_bytes))
    vl = None
    if os.environ.get("VICTORIA_LOGS"):
        vl, vl_rows = victorialogs_ingest(os.environ["VICTORIA_LOGS"], hec, raw_bytes)
        rows.extend(vl_rows)

    try:
        rows.extend(query_rows(data_dir, raw, vl))
    finally:
        if vl is not None:
            vl.close()

    rows.extend(spl_second_wave(data_dir))
    rows.extend(log_patterns())
    rows.extend(hardening(data_dir, raw))
    rows.extend(scheduler_load(data_dir))

    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {ncpu} CPUs ({cpu_model}), {mem_gib:.0f} GiB, "
        f"{platform.system()} {platform.release()}. Corpus: `shared/bench/corpus.py` with {LINES:,} lines "
        f"({raw_bytes / 1e6:.0f} MB raw); figures from one run, reference tools in the same run. "
        "Peers' figures (third column) are from `shared/ANCHORS.md`, same corpus shape and machine kind.",
        "",
        "Commands: `loupe import --data-dir D --format hec corpus.hec.ndjson`; `loupe import --data-dir D --sourcetype auto corpus.log`; "
        "queries through `POST /api/v1/search` of `loupe serve` (median of 7, warm; `server` is the engine's own `elapsed_ms`).",
        "",
        "| what | Loupe (this run) | peers (ANCHORS.md) |",
        "|---|---|---|",
    ]
    for what, ours, peers in rows:
        lines.append(f"| {what} | {ours} | {peers} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--only-import"]:
        raw, _ = corpus()
        for what, ours, peers in plain_imports(raw):
            print(f"| {what} | {ours} | {peers} |")
    elif sys.argv[1:2] == ["--only-queries"]:
        # The main table's query rows alone, on the data dir of an earlier run.
        raw, _ = corpus()
        for what, ours, peers in query_rows(os.path.join(OUT, "data-hec"), raw):
            print(f"| {what} | {ours} | {peers} |")
    elif sys.argv[1:2] == ["--only-hec"]:
        raw, hec = corpus()
        for what, ours, peers in hec_over_http(hec, os.path.getsize(raw)):
            print(f"| {what} | {ours} | {peers} |")
    elif sys.argv[1:2] == ["--only-scheduler"]:
        for what, ours, peers in scheduler_load(os.path.join(OUT, "data-hec")):
            print(f"| {what} | {ours} | {peers} |")
    elif sys.argv[1:2] == ["--only-spl"]:
        _, hec = corpus()
        data_dir = os.path.join(OUT, "data-hec")
        if not os.path.isdir(data_dir):
            timed_import(data_dir, ["--format", "hec", "--index", "main", hec])
        for what, ours, peers in spl_second_wave(data_dir) + log_patterns():
            print(f"| {what} | {ours} | {peers} |")
    elif sys.argv[1:2] == ["--only-victorialogs"]:
        # VictoriaLogs' ingest row and the query rows side by side, on an earlier run's data-hec.
        for what, ours, peers in victorialogs_rows(os.environ["VICTORIA_LOGS"]):
            print(f"| {what} | {ours} | {peers} |")
    elif sys.argv[1:2] == ["--only-api"]:
        # The rows of issues 14 and 16 alone, on the data dir of an earlier full run.
        raw, _ = corpus()
        for what, ours, peers in hardening(os.path.join(OUT, "data-hec"), raw):
            print(f"| {what} | {ours} | {peers} |")
    else:
        main()
