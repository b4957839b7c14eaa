#!/usr/bin/env bash
# make demo: a temp data dir, `loupe serve`, the bundled samples shipped over HEC, the URL and example queries.
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
ship() { "$LOUPE" import --url "$URL" --token "$TOKEN" "$@" | sed 's/^/  /'; }
echo "shipping the samples of $DATA to $URL ..."
for dir in "$DATA"/loghub/*/; do
  sys=$(basename "$dir")
  ship --index main --sourcetype "$sys" --host "$sys-demo" "$dir${sys}_2k.log"
done
ship --index web --sourcetype access_combined --host portal-web-1 "$DATA/web/access.log"
ship --index app --sourcetype _json --host portal-app-1 "$DATA/app/portal.json.log"
for log in "$DATA"/batchs/*/batchs/*/*.log; do
  server=$(echo "$log" | sed -E 's#.*/batchs/([^/]+)/batchs/.*#\1#')
  path=/batchs/${log#*/batchs/*/batchs/}
  [ -s "$log" ] && ship --index batchs --sourcetype batch --timezone Europe/Paris --host "$server" --source "$path" "$log"
done
curl -s -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/flush" > /dev/null
cat <<MSG

Loupe is running: $URL   (data: $WORK/data, token: $TOKEN)
The console comes with a later issue; until then, search from the command line or the API:

  $LOUPE search --url $URL --token $TOKEN 'index=batchs ERROR | head 20'
  $LOUPE search --url $URL --token $TOKEN 'sourcetype=OpenSSH "Failed password" | stats count'
  $LOUPE search --url $URL --token $TOKEN 'index=web wp-login | head 5'
  curl -s -H "Authorization: Bearer $TOKEN" $URL/api/v1/search -d '{"query":"index=app action=login | stats count"}'

Ctrl-C stops the server.
MSG
wait $SERVER
