#!/usr/bin/env bash
# make bench: installs ripgrep if missing, then runs scripts/bench.py (corpus, import, queries, docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v rg >/dev/null; then
  if command -v apt-get >/dev/null; then
    (apt-get install -y -q ripgrep || sudo apt-get install -y -q ripgrep) >/dev/null
  fi
fi
command -v /usr/bin/time >/dev/null || { apt-get install -y -q time >/dev/null || sudo apt-get install -y -q time >/dev/null; }
exec python3 scripts/bench.py
