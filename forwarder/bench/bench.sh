#!/usr/bin/env bash
# Forwarder figures (issue 4 targets): catch-up rate on a ~275 MB file and on a ~1.1 GB file,
# CPU and RSS at a sustained 1,000 lines/s, stripped binary size — the indexer replaced by a sink
# that acknowledges everything, so the numbers are the forwarder's own; then end to end, the
# 2M-line corpus through `--once` into a release `loupe serve` until `* | stats count` sees it all.
# Usage: forwarder/bench/bench.sh   (from the workspace root; needs python3, GNU time and rg)
# The corpus is $LOUPE_BENCH_CORPUS, else ${BENCH_OUT:-bench-out}/corpus-2000000.log (made by `make bench`), else
# generated with $LOUPE_SHARED/bench/corpus.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p loupe-forwarder -p loupe >/dev/null
W=$(mktemp -d)
SINK=; LOUPE=
trap 'kill $SINK $LOUPE 2>/dev/null || true; rm -rf "$W"' EXIT
cp target/release/loupe-forwarder "$W/lf" && strip "$W/lf"
echo "binary (stripped): $(stat -c %s "$W/lf") bytes"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 forwarder/bench/hec_sink.py "$PORT" & SINK=$!
sleep 0.5
python3 - "$W/big.log" <<'PY'
import random, sys
random.seed(1)
with open(sys.argv[1], 'w') as f:
    for i in range(2_500_000):
        f.write(f'10.0.{i%256}.{i%200} - - [02/Mar/2026:10:{(i//60)%60:02d}:{i%60:02d} +0100] "GET /api/v1/item/{random.randint(0,10**9)} HTTP/1.1" 200 {random.randint(100,9999)} "-" "Mozilla/5.0"\n')
PY
cat > "$W/catch.toml" <<TOML
state_dir = "$W/state1"
[output]
urls = ["http://127.0.0.1:$PORT"]
token = "x"
[[input]]
path = "$W/big.log"
sourcetype = "access_combined"
TOML
SIZE=$(stat -c %s "$W/big.log")
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS" "$W/lf" --config "$W/catch.toml" --once 2>&1 | tail -2
echo "catch-up file: $SIZE bytes"
touch "$W/sus.log"
cat > "$W/sus.toml" <<TOML
state_dir = "$W/state2"
[output]
urls = ["http://127.0.0.1:$PORT"]
token = "x"
[[input]]
path = "$W/sus.log"
sourcetype = "access_combined"
[[input.mask]]
builtin = "email"
[[input.mask]]
builtin = "fr_nir"
TOML
"$W/lf" --config "$W/sus.toml" & FWD=$!
python3 - "$W/sus.log" <<'PY'
import sys, time
f = open(sys.argv[1], 'a'); i = 0; t0 = time.time()
while time.time() - t0 < 30:
    for _ in range(100):
        f.write(f'10.0.0.{i%200} - - [02/Mar/2026:10:00:{i%60:02d} +0100] "GET /api/v1/item/{i} HTTP/1.1" 200 {i%9999} "-" "Mozilla/5.0"\n'); i += 1
    f.flush(); time.sleep(0.1)
print(f"sustained: {i} lines in 30 s")
PY
sleep 1
TICKS=$(awk '{print $14+$15}' /proc/$FWD/stat)
echo "sustained CPU: $TICKS ticks (1/100 s) over ~31 s; $(grep VmHWM /proc/$FWD/status)"
kill $FWD

# --- 1 GB class: the corpus four times over, read + gzip + spool + ship to the sink.
CORPUS=${LOUPE_BENCH_CORPUS:-${BENCH_OUT:-bench-out}/corpus-2000000.log}
if [ ! -f "$CORPUS" ]; then
  CORPUS="$W/corpus-2000000.log"
  python3 "${LOUPE_SHARED:-../shared}/bench/corpus.py" "$CORPUS" 2000000 >/dev/null
fi
for _ in 1 2 3 4; do cat "$CORPUS"; done > "$W/gig.log"
GIG=$(stat -c %s "$W/gig.log")
cat > "$W/gig.toml" <<TOML
state_dir = "$W/state3"
[output]
urls = ["http://127.0.0.1:$PORT"]
token = "x"
[[input]]
path = "$W/gig.log"
sourcetype = "auto"
TOML
RG0=$(date +%s.%N); RGN=$(rg -c '' "$W/gig.log"); RG1=$(date +%s.%N)
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS" -o "$W/gig.time" "$W/lf" --config "$W/gig.toml" --once 2>&1 | tail -1
echo "catch-up 1 GB: $(cat "$W/gig.time") for $GIG bytes = $(python3 -c "import sys; w=float(open(sys.argv[1]).read().split()[0]); print(f'{int(sys.argv[2])/w/1e6:.0f} MB/s')" "$W/gig.time" "$GIG") (reference: rg -c '' on the same file, warm: $RGN lines in $(python3 -c "print(f'{$RG1-$RG0:.2f}')") s)"
rm -f "$W/gig.log"; rm -rf "$W/state3"

# --- End to end: the corpus through --once into a release loupe serve, until searchable.
kill $SINK 2>/dev/null || true; SINK=
LPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$W/loupe.toml" <<TOML
data_dir = "$W/data"
listen = "127.0.0.1:$LPORT"
[[tokens]]
name = "bench"
token = "bench-token-0123456789"
TOML
target/release/loupe serve --config "$W/loupe.toml" > "$W/loupe.out" 2>"$W/loupe.err" & LOUPE=$!
until grep -q "loupe listening" "$W/loupe.out" 2>/dev/null; do sleep 0.1; done
cat > "$W/e2e.toml" <<TOML
state_dir = "$W/state4"
[output]
urls = ["http://127.0.0.1:$LPORT"]
token = "bench-token-0123456789"
[[input]]
path = "$CORPUS"
sourcetype = "auto"
TOML
CSIZE=$(stat -c %s "$CORPUS")
T0=$(date +%s.%N)
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS" -o "$W/e2e.time" "$W/lf" --config "$W/e2e.toml" --once 2>"$W/e2e.err"
T1=$(date +%s.%N)
EVENTS=$(sed -n 's/.*shipped \([0-9]*\) events.*/\1/p' "$W/e2e.err")
python3 - "$LPORT" "$EVENTS" "$T0" "$T1" "$CSIZE" "$(cat "$W/e2e.time")" <<'PY'
import json, sys, time, urllib.request
port, events, t0, t1, size, ftime = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
req = lambda: urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/search",
    data=json.dumps({"query": "* | stats count"}).encode(),
    headers={"Authorization": "Bearer bench-token-0123456789", "Content-Type": "application/json"})
deadline = time.time() + 600
while True:
    rows = json.load(urllib.request.urlopen(req()))["rows"]
    n = rows[0]["count"] if rows else 0
    if n >= events or time.time() > deadline:
        break
    time.sleep(0.1)
t2 = time.time()
print(f"end to end: {size} bytes, {events} events: forwarder --once {t1-t0:.1f} s ({ftime}); "
      f"searchable (* | stats count = {n}) after {t2-t0:.1f} s = {size/(t2-t0)/1e6:.1f} MB/s, {events/(t2-t0):,.0f} events/s")
PY
echo "indexer: $(grep VmHWM /proc/$LOUPE/status | tr -s ' \t' ' '), CPU $(awk '{printf "%.1f", ($14+$15)/100}' /proc/$LOUPE/stat) s"
