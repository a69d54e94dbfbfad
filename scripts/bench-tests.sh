#!/usr/bin/env bash
# Runs the FrappeTestCases of this checkout on an existing Frappe v15 bench (argument 1).
# It builds nothing: it starts the bench's MariaDB and Redis if they are down, points the
# bench's app folder at this checkout, migrates the site and runs the app's tests.
set -euo pipefail
app_dir="$(cd "$(dirname "$0")/.." && pwd)"
bench_path="${1:?usage: bench-tests.sh BENCH_PATH}"
cd "$bench_path"
default_site=$(python3 -c 'import json; print(json.load(open("sites/common_site_config.json")).get("default_site", ""))' 2>/dev/null || true)
site="${FRAPPE_SITE:-${default_site:-test_site}}"

# The bench CLI when installed; else Frappe's own command runner, which the CLI calls anyway.
bench() {
  if command -v bench >/dev/null 2>&1; then command bench "$@"
  else (cd sites && ../env/bin/python -m frappe.utils.bench_helper frappe "$@"); fi
}

# Services die with the session that started them; CI starts its own.
if ! mysqladmin ping --silent 2>/dev/null; then
  (service mariadb start || service mysql start) >/dev/null 2>&1 || (mysqld_safe >/dev/null 2>&1 &)
  for _ in $(seq 60); do mysqladmin ping --silent 2>/dev/null && break; sleep 1; done
fi
for conf in config/redis_cache.conf config/redis_queue.conf; do
  port=$(awk '$1 == "port" {print $2}' "$conf" 2>/dev/null || true)
  if [ -n "$port" ] && ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    redis-server "$conf" --daemonize yes >/dev/null
  fi
done

# The bench runs this checkout's code.
ln -sfn "$app_dir" apps/nexwave_inventory_sync
./env/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e apps/nexwave_inventory_sync
grep -qx nexwave_inventory_sync sites/apps.txt || echo nexwave_inventory_sync >> sites/apps.txt
if ! bench --site "$site" list-apps 2>/dev/null | grep -q nexwave_inventory_sync; then
  bench --site "$site" install-app nexwave_inventory_sync
fi
bench --site "$site" migrate --skip-search-index >/dev/null
bench --site "$site" set-config allow_tests true >/dev/null
# Without CI set, Frappe 15's run-tests exits 0 even when a test fails.
CI=1 bench --site "$site" run-tests --app nexwave_inventory_sync
