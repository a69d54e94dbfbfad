#!/usr/bin/env bash
# The browser walkthrough (browser/desk_walkthrough.py) on a bench with built assets: starts an
# emulated shop, the bench's socket.io server, a worker and a dev web server, runs the walk in
# Debian's Chromium, then stops what it started. Skips (exit 0, saying why) where there is no
# bench, no built assets or no Chromium; nothing here downloads a browser.
#
#   bash scripts/browser-test.sh [BENCH_PATH]      (default $FRAPPE_BENCH_PATH, else ~/frappe-bench)
#   env: UPDATE_SCREENS=1 (write docs/screens/; default a temporary folder), SITE (default: the bench's default_site),
#        WEB_PORT (default: the bench's webserver_port + 10000, so a `bench start` on the bench does not collide),
#        EMULATOR_PORT (default WEB_PORT + 60: the v15 and v16 benches' walks can run at once),
#        ADMIN_PASSWORD (admin), ITEMS (600: three batches, so the progress dialog is seen)
set -euo pipefail
app_dir="$(cd "$(dirname "$0")/.." && pwd)"
bench_path="$(cd "${1:-${FRAPPE_BENCH_PATH:-$HOME/frappe-bench}}" 2>/dev/null && pwd || true)"
# With BROWSER_TEST_REQUIRED=1 (.ci/run) a reason to skip is a failure: CI must look at the desk.
skip() {
  if [ -n "${BROWSER_TEST_REQUIRED:-}" ]; then echo "FAILED: browser test could not run: $*"; exit 1; fi
  echo "SKIPPED: browser test: $*"; exit 0
}

[ -n "$bench_path" ] && [ -x "$bench_path/env/bin/python" ] && [ -d "$bench_path/sites" ] \
  || skip "no bench at ${1:-${FRAPPE_BENCH_PATH:-$HOME/frappe-bench}}"
[ -d "$bench_path/sites/assets/frappe/dist" ] || skip "the bench at $bench_path has no built assets (bench build)"
# Debian's Chromium and its driver, installed when missing (nothing here downloads a browser).
# shellcheck source=debian-packages.sh
. "$app_dir/scripts/debian-packages.sh"
install_debian_packages "${BROWSER_DEBIAN_PACKAGES[@]}" || true
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || skip "Debian's chromium and chromium-driver could not be installed"
command -v node >/dev/null || skip "no node for the socket.io server"

# The bench's app link is re-pointed below: hold the bench's lock as bench-tests.sh does.
# shellcheck source=bench-lock.sh
. "$app_dir/scripts/bench-lock.sh"
lock=$(bench_lock_path "$bench_path")
if ! bench_lock_held "$lock"; then
  echo "browser-test: taking $lock" >&2
  BENCH_LOCK_HELD="$lock" exec flock "$lock" bash "$app_dir/scripts/browser-test.sh" "$bench_path"
fi

cd "$bench_path"
site="${SITE:-$(python3 -c 'import json; print(json.load(open("sites/common_site_config.json")).get("default_site", ""))')}"
[ -n "$site" ] && [ -d "sites/$site" ] || skip "no site (set SITE)"
items="${ITEMS:-600}"
shop="desk-demo.myshopify.com"
token="shpat_desk_demo_token"
client_id="desk0connect0client0id0000000001" client_secret="shpss_desk_connect_secret_never_shown"  # steps_connect.py
# The bench's own ports (make-bench.sh gives each bench its own): a socket.io server already
# listening there is this bench's, and the pages' realtime events come through it.
bench_port() { python3 -c 'import json, sys; print(json.load(open("sites/common_site_config.json")).get(sys.argv[1], sys.argv[2]))' "$@"; }
socketio_port=$(bench_port socketio_port 9000)
web_port="${WEB_PORT:-$(( $(bench_port webserver_port 8000) + 10000 ))}"
emulator_port="${EMULATOR_PORT:-$((web_port + 60))}"

bench() {
  if type -P bench >/dev/null; then command bench "$@"
  else (cd sites && ../env/bin/python -m frappe.utils.bench_helper frappe "$@"); fi
}

# Selenium and Pillow (for small screenshots) in a venv of this checkout; the browser is Debian's.
venv="$app_dir/.venv-browser"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import selenium, PIL' 2>/dev/null \
  || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "selenium>=4.10" pillow

# The bench runs this checkout's code (as scripts/bench-tests.sh does).
PIP_IGNORE_REQUIRES_PYTHON=1 link_checkout "$app_dir" --no-deps >/dev/null 2>&1
bench --site "$site" list-apps 2>/dev/null | grep -q nexwave_inventory_sync || bench --site "$site" install-app nexwave_inventory_sync
bench --site "$site" migrate --skip-search-index >/dev/null
# The app's public folder as /assets/nexwave_inventory_sync (its logo and desktop icons), as
# `bench build` links it; the bench's assets were built before the app was linked in.
[ -e sites/assets/nexwave_inventory_sync ] \
  || ln -s "$bench_path/apps/nexwave_inventory_sync/nexwave_inventory_sync/public" sites/assets/nexwave_inventory_sync

started=()
cleanup() {
  for pid in "${started[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
logs="$(mktemp -d /tmp/browser-test-logs.XXXX)"
start() {  # name, command...: in its own process group, so cleanup stops its children too
  local name="$1"; shift
  setsid "$@" >"$logs/$name.log" 2>&1 &
  started+=("$!")
}
wait_port() {
  for _ in $(seq 120); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.5; done
  echo "port $1 ($2) never opened; its log:"; tail -30 "$logs/$2.log"; exit 1
}

start emulator ./env/bin/python -m nexwave_inventory_sync.emulator --items "$items" --locations 2 \
  --port "$emulator_port" --token "$token" --plan plus --latency-ms 1000 --inactive-location "Closed Depot" \
  --client-id "$client_id" --client-secret "$client_secret"
wait_port "$emulator_port" emulator
if ! (exec 3<>"/dev/tcp/127.0.0.1/$socketio_port") 2>/dev/null; then
  start socketio node apps/frappe/socketio.js
  wait_port "$socketio_port" socketio
fi
start worker bash -c "cd sites && ../env/bin/python -m frappe.utils.bench_helper frappe --site $site worker --queue long,default,short"
start web bash -c "cd sites && DEV_SERVER=1 ../env/bin/python -m frappe.utils.bench_helper frappe --site $site serve --port $web_port --noreload"
wait_port "$web_port" web

prepared=$(bench --site "$site" execute nexwave_inventory_sync.testing.desk_demo.prepare \
  --kwargs "{\"shop_domain\": \"$shop\", \"endpoint\": \"http://127.0.0.1:$emulator_port\", \"items\": $items}" | tail -1)
prepared_value() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$prepared" "$1"; }
warehouse=$(prepared_value warehouse)
# Screenshots go to a temporary folder (a CI run must not rewrite the docs); with
# UPDATE_SCREENS=1 to docs/screens/ from Frappe 15 (the ones docs/frappe.md shows) and
# docs/screens/v16/ from 16.
major=$(frappe_major .)
if [ -n "${UPDATE_SCREENS:-}" ]; then
  screens="$app_dir/docs/screens"; [ "$major" = 15 ] || screens="$screens/v$major"
else
  screens="$(mktemp -d "/tmp/browser-test-screens-v$major.XXXX")"
fi
echo "browser-test: screenshots in $screens"
newest=$(./env/bin/python -c "from nexwave_inventory_sync.sync.versions import DEFAULT_API_VERSION as v; print(v)")

# The walk's own helpers first (a stale element found again, a screenshot for any failure).
"$venv/bin/python" "$app_dir/browser/test_walk.py"
SE_OFFLINE=true "$venv/bin/python" "$app_dir/browser/desk_walkthrough.py" \
  --url "http://127.0.0.1:$web_port" --bench "$bench_path" --site "$site" \
  --shop "$shop" --token "$token" --warehouse "$warehouse" --items "$items" --newest-version "$newest" \
  --offline-items "$(prepared_value offline_items)" \
  --admin-password "${ADMIN_PASSWORD:-admin}" --screens "$screens" --client-id "$client_id" --client-secret "$client_secret"
# No client secret and no token the emulator issued in what the servers wrote (steps_connect.py).
! grep -rlE "$client_secret|shp(at|rt)_[0-9a-f]{32}" "$logs" || { echo "FAILED: a secret in the servers' logs ($logs)"; exit 1; }
