#!/usr/bin/env bash
# Runs the FrappeTestCases of this checkout on an existing Frappe bench (argument 1; v15 or v16).
# It builds nothing (scripts/make-bench.sh does): it takes the bench's lock, starts the bench's
# MariaDB and Redis if they are down, points the bench's app folder at this checkout, migrates
# the site and runs the app's tests. Extra arguments go to run-tests (e.g. --module X).
#
# Several worktrees share one bench, so a run holds /tmp/bench-v<major>.lock (flock; see
# bench-lock.sh for other benches). A caller that already holds it (make-bench.sh, or
# `flock /tmp/bench-v15.lock bash scripts/bench-tests.sh ...` by hand) is not waited on.
set -euo pipefail
app_dir="$(cd "$(dirname "$0")/.." && pwd)"
bench_path="${1:?usage: bench-tests.sh BENCH_PATH [run-tests options]}"
shift
cd "$bench_path"
bench_path="$(pwd)"

# shellcheck source=bench-lock.sh
. "$app_dir/scripts/bench-lock.sh"
lock=$(bench_lock_path "$bench_path")
if ! bench_lock_held "$lock"; then
  echo "bench-tests: taking $lock" >&2
  BENCH_LOCK_HELD="$lock" exec flock "$lock" bash "$app_dir/scripts/bench-tests.sh" "$bench_path" "$@"
fi
export BENCH_LOCK_HELD="$lock"

default_site=$(python3 -c 'import json; print(json.load(open("sites/common_site_config.json")).get("default_site", ""))' 2>/dev/null || true)
site="${FRAPPE_SITE:-${default_site:-test_site}}"

# The bench CLI when installed (make-bench.sh leaves it in ~/.cache); else Frappe's own command
# runner, which the CLI calls anyway.
cli_venv="${XDG_CACHE_HOME:-$HOME/.cache}/nexwave-bench-cli"
[ -x "$cli_venv/bin/bench" ] && export PATH="$cli_venv/bin:$PATH"
bench() {
  if command -v bench >/dev/null 2>&1; then command bench "$@"
  else (cd sites && ../env/bin/python -m frappe.utils.bench_helper frappe "$@"); fi
}

# Services die with the session that started them; CI starts its own.
# shellcheck source=services.sh
. "$app_dir/scripts/services.sh"
start_mariadb || { echo "bench-tests: MariaDB did not start (see /tmp/mysqld_safe.out)" >&2; exit 1; }
for conf in config/redis_cache.conf config/redis_queue.conf; do
  port=$(awk '$1 == "port" {print $2}' "$conf" 2>/dev/null || true)
  [ -z "$port" ] || start_redis "$bench_path/$conf" "$port" || { echo "bench-tests: Redis on $port did not start" >&2; exit 1; }
done

# The bench runs this checkout's code.
# Frappe 16 declares Python >= 3.14; benches on 3.13 run it with a shim (make-bench.sh).
export PIP_IGNORE_REQUIRES_PYTHON=1
link_checkout "$app_dir" --no-deps
if ! grep -q '^nexwave_inventory_sync' <<<"$(bench --site "$site" list-apps 2>/dev/null || true)"; then
  bench --site "$site" install-app nexwave_inventory_sync
fi
# make-bench.sh, which has just migrated, sets BENCH_TESTS_SKIP_MIGRATE (a minute saved per run).
[ -n "${BENCH_TESTS_SKIP_MIGRATE:-}" ] || bench --site "$site" migrate --skip-search-index >/dev/null
bench --site "$site" set-config allow_tests true >/dev/null
# Without CI set, Frappe 15's run-tests exits 0 even when a test fails.
CI=1 bench --site "$site" run-tests --app nexwave_inventory_sync "$@"
