#!/usr/bin/env python3
"""The console in a browser (part of `make bench`, not a test): serves DATA_DIR with `loupe serve`, drives
Debian's chromium through web/bench/browser.mjs and prints the figures: compressed JavaScript of the first
load (target <= 300 KB), Enter to the first event on screen, frame rate scrolling 10,000 events and a
1,000-row table (target 60 fps). With --write, adds a section to docs/benchmarks.md.

    scripts/bench_browser.py [--write] [--loupe PATH] DATA_DIR [QUERY]

DATA_DIR is served in place (make bench gives bench-out/data-hec, the 2M-event corpus); QUERY defaults to
`error`. LOUPE_BROWSER names another chromium.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-browser-token-0123456789"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("query", nargs="?", default="error")
    ap.add_argument("--loupe", default=os.path.join(ROOT, "target", "release", "loupe"))
    ap.add_argument("--write", action="store_true", help="add the figures to docs/benchmarks.md")
    a = ap.parse_args()
    if not os.path.isdir(a.data_dir):
        sys.exit(f"no data dir {a.data_dir} (make bench builds bench-out/data-hec)")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "loupe.toml")
        with open(cfg, "w") as f:
            f.write(f'data_dir = "{os.path.abspath(a.data_dir)}"\nlisten = "127.0.0.1:0"\n'
                    f'[[tokens]]\nname = "bench"\ntoken = "{TOKEN}"\n')
        server = subprocess.Popen([a.loupe, "serve", "--config", cfg], stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ, RUST_LOG="warn"))
        try:
            url = None
            for line in server.stdout:
                if line.startswith("loupe listening on "):
                    url = line.split()[-1]
                    break
            if url is None:
                sys.exit("the server did not start")
            p = subprocess.run(["node", "bench/browser.mjs", url, TOKEN, a.query], cwd=os.path.join(ROOT, "web"),
                               capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"browser bench failed:\n{p.stdout}{p.stderr}")
            r = json.loads(p.stdout.strip().splitlines()[-1])
        finally:
            server.terminate()
            server.wait()
    rows = [
        ("first load: compressed JavaScript (target <= 300 KB)", f"{r['js_gzip_bytes'] / 1024:.0f} KB"),
        (f"Enter to the first event on screen (`{a.query}`, median of 5)",
         f"{r['enter_to_first_event_median_ms']:.0f} ms (runs: {', '.join(f'{x:.0f}' for x in r['enter_to_first_event_ms'])})"),
        (f"scrolling {r['events_shown']:,} events (target 60 fps)",
         f"{r['scroll_events']['fps']:.1f} fps, longest frame {r['scroll_events']['worst_frame_ms']:.0f} ms"),
        (f"scrolling a {r['table_rows']:,}-row table (target 60 fps)",
         f"{r['scroll_table']['fps']:.1f} fps, longest frame {r['scroll_table']['worst_frame_ms']:.0f} ms"),
    ]
    table = "| what | console (this run) |\n|---|---|\n" + "".join(f"| {w} | {v} |\n" for w, v in rows)
    print(table)
    if a.write:
        with open(os.path.join(ROOT, "docs", "benchmarks.md"), "a") as f:
            f.write(f"\n## Console in a browser (`scripts/bench_browser.py`, {datetime.date.today()})\n\n"
                    f"Headless Debian chromium (software rendering, no GPU) on the same machine, `loupe serve` over "
                    f"`{os.path.basename(os.path.normpath(a.data_dir))}`. Enter is timed in the page from the keydown to the "
                    f"first event row in the DOM; scrolling moves the list 120 px per animation frame for 3 s.\n\n{table}")


if __name__ == "__main__":
    main()
