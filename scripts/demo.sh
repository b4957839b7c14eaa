#!/usr/bin/env bash
# make demo: a temp data dir, `loupe serve`, the bundled samples shipped by loupe-forwarder (batch logs by `loupe import`
# so their source keeps the inventory's path form), the URL and example queries.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${LOUPE_SHARED:-../shared}
DATA=${SHARED}/data
LOUPE=target/release/loupe
PORT=${LOUPE_PORT:-8088}
WORK=$(mktemp -d -t loupe-demo-XXXXXX)
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$WORK/loupe.toml" <<TOML
data_dir = "$WORK/data"
listen = "127.0.0.1:$PORT"
[[tokens]]
name = "demo"
token = "$TOKEN"
TOML
"$LOUPE" serve --config "$WORK/loupe.toml" > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$WORK/serve.log" && break
  kill -0 $SERVER 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  read -r -t 0.1 < /dev/zero || true
done
URL=$(sed -n 's/^loupe listening on //p' "$WORK/serve.log")
echo "forwarding the samples of $DATA to $URL with loupe-forwarder ..."
DATA_ABS=$(cd "$DATA" && pwd)
{
  echo "state_dir = \"$WORK/forwarder-state\""
  echo "[output]"
  echo "urls = [\"$URL\"]"
  echo "token = \"$TOKEN\""
  for dir in "$DATA_ABS"/loghub/*/; do
    sys=$(basename "$dir")
    printf '[[input]]\npath = "%s"\nindex = "main"\nsourcetype = "%s"\nhost = "%s-demo"\n' "$dir${sys}_2k.log" "$sys" "$sys"
  done
  printf '[[input]]\npath = "%s"\nindex = "web"\nsourcetype = "access_combined"\nhost = "portal-web-1"\n' "$DATA_ABS/web/access.log"
  printf '[[input]]\npath = "%s"\nindex = "app"\nsourcetype = "_json"\nhost = "portal-app-1"\n' "$DATA_ABS/app/portal.json.log"
  printf '[[input.mask]]\nbuiltin = "fr_nir"\n[[input.mask]]\nbuiltin = "email"\n'
} > "$WORK/forwarder.toml"
target/release/loupe-forwarder --config "$WORK/forwarder.toml" --once 2>&1 | sed 's/^/  /'
# The batch logs keep the inventory's path form (/batchs/<client>/<batch>.log) as their source.
for log in "$DATA"/batchs/*/batchs/*/*.log; do
  server=$(echo "$log" | sed -E 's#.*/batchs/([^/]+)/batchs/.*#\1#')
  path=/batchs/${log#*/batchs/*/batchs/}
  [ -s "$log" ] && "$LOUPE" import --url "$URL" --token "$TOKEN" --index batchs --sourcetype batch --timezone Europe/Paris --host "$server" --source "$path" "$log"
done
curl -s -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/flush" > /dev/null
# The batch supervisor's alerts, dashboard and inventory lookup (docs/examples/batch-supervision) and the
# monitoring dashboards (docs/examples/monitoring), the DPO dashboard and the audit-chain alert
# (docs/examples/security), as files: one directory, since an apply removes the managed objects its
# directory no longer holds.
mkdir -p "$WORK/config"
cp -r docs/examples/batch-supervision/. docs/examples/monitoring/. docs/examples/security/. "$WORK/config/"
"$LOUPE" apply --url "$URL" --token "$TOKEN" "$WORK/config" | sed 's/^/  /'
SEARCH_Q='index%3Dbatchs%20ERROR%20%7C%20lookup%20batchs%20chemin_logs%20AS%20source%20OUTPUT%20client%20nom_du_batch%20%7C%20table%20_time%20host%20source%20nom_du_batch%20client%20_raw' 
cat <<MSG

Loupe is running: $URL   (data: $WORK/data, token: $TOKEN)

Console: $URL/search?q=$SEARCH_Q&earliest=&latest=&token=$TOKEN
Dashboards: $URL/dashboards?token=$TOKEN
  (the batch samples are of March 2026: $URL/dashboards/batch-jobs?now=2026-03-13T12:00:00%2B01:00&token=$TOKEN)
  (the console signs in with ?token=, takes it out of the address bar at once and keeps it in the tab only)

From the command line or the API:

  $LOUPE search --url $URL --token $TOKEN 'index=batchs ERROR | lookup batchs chemin_logs AS source OUTPUT client nom_du_batch | table _time host source nom_du_batch client'
  $LOUPE search --url $URL --token $TOKEN 'sourcetype=OpenSSH "Failed password" | stats count'
  $LOUPE search --url $URL --token $TOKEN 'index=web wp-login | head 5'
  curl -s -H "Authorization: Bearer $TOKEN" $URL/api/v1/search -d '{"query":"index=app action=login | stats count"}'

Ctrl-C stops the server.
MSG
wait $SERVER
