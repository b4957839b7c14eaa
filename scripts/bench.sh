#!/usr/bin/env bash
# make bench: installs ripgrep if missing, runs scripts/bench.py (corpus, import, queries -> docs/benchmarks.md),
# then the forwarder's own figures (forwarder/bench/bench.sh), appended to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
install() { apt-get install -y -q "$@" >/dev/null 2>&1 || sudo apt-get install -y -q "$@" >/dev/null; }
command -v rg >/dev/null || install ripgrep
[ -x /usr/bin/time ] || install time
python3 scripts/bench.py
out=$(forwarder/bench/bench.sh 2>&1) || { echo "$out"; echo "forwarder/bench/bench.sh failed" >&2; exit 1; }
echo "$out"
{
  echo
  echo "## Forwarder (\`forwarder/bench/bench.sh\`, same run; the indexer replaced by a sink that acknowledges everything)"
  echo
  echo "Targets: catch-up of a 1 GB-class file >= 100 MB/s; 1,000 lines/s at <= 1 % of a core and <= 15 MB RSS; stripped binary <= 10 MB."
  echo
  echo '```'
  echo "$out"
  echo '```'
} >> docs/benchmarks.md
