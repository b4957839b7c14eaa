#!/usr/bin/env bash
# Forwarder figures (issue 4 targets): catch-up rate on a ~275 MB file, CPU and RSS at a
# sustained 1,000 lines/s, stripped binary size. The indexer is replaced by a sink that
# acknowledges everything, so the numbers are the forwarder's own.
# Usage: forwarder/bench/bench.sh   (from the workspace root; needs python3 and GNU time)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p loupe-forwarder >/dev/null
W=$(mktemp -d)
trap 'kill $SINK 2>/dev/null || true; rm -rf "$W"' EXIT
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
