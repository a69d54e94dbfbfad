#!/usr/bin/env bash
# Runs the FrappeTestCases of this checkout on an existing Frappe bench (argument 1; v15 or v16).
# It builds nothing (scripts/make-bench.sh does): it takes the bench's lock, starts the bench's
# MariaDB and Redis if they are down, points the bench's app folder at this checkout, migrates
# the site and runs the app's tests. Extra arguments go to run-tests (e.g. --module X).
#
# Several worktrees share one bench, so a run holds /tmp/bench-v<major>.lock (flock; another
# lock for a bench elsewhere than ~/frappe-bench or ~/frappe-bench-v16). Callers
# that already hold it are not made to wait on themselves: BENCH_LOCK_HELD=<lock path> says so
# (this script sets it when it takes the lock), and a lock taken by hand with flock(1)
# (`flock /tmp/bench-v15.lock bash scripts/bench-tests.sh ...`) is found open in an ancestor.
set -euo pipefail
app_dir="$(cd "$(dirname "$0")/.." && pwd)"
bench_path="${1:?usage: bench-tests.sh BENCH_PATH [run-tests options]}"
shift
cd "$bench_path"
bench_path="$(pwd)"

major=$(sed -n 's/^__version__ = "\([0-9]*\)\..*/\1/p' apps/frappe/frappe/__init__.py 2>/dev/null || true)
# The lock guards one bench's app link: the shared benches (~/frappe-bench for 15,
# ~/frappe-bench-v16 for 16) use the paths everyone wraps by hand; any other bench (a scratch
# one of .ci/run or make-bench.sh --bench) its own, so it never queues behind the shared one.
lock="/tmp/bench-v${major:-15}.lock"
default_bench="$HOME/frappe-bench"; [ "${major:-15}" -ge 16 ] && default_bench="$HOME/frappe-bench-v16"
if [ "$bench_path" != "$(cd "$default_bench" 2>/dev/null && pwd)" ]; then
  lock="/tmp/bench-v${major:-15}$(echo "$bench_path" | tr -c 'A-Za-z0-9\n' '-').lock"
fi
lock="${BENCH_LOCK_FILE:-$lock}"
held_by_ancestor() {
  local pid=$PPID
  for _ in 1 2 3 4 5; do
    [ -z "$pid" ] || [ "$pid" -le 1 ] && return 1
    find "/proc/$pid/fd" -maxdepth 1 -lname "$lock" 2>/dev/null | grep -q . && return 0
    pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null || true)
  done
  return 1
}
if [ "${BENCH_LOCK_HELD:-}" != "$lock" ] && ! held_by_ancestor; then
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

# Starts a daemon without the lock files this script holds open: flock(1) hands its lock's fd
# to the command it runs, and a Redis or MariaDB that inherited it would hold the lock forever.
detach() {
  (
    for fd in $(ls "/proc/$BASHPID/fd"); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    cd / && exec setsid "$@" </dev/null
  )
}

# Services die with the session that started them; CI starts its own.
if ! mysqladmin ping --silent >/dev/null 2>&1; then
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  (detach mysqld_safe >/tmp/mysqld_safe.out 2>&1 &)
  for _ in $(seq 60); do mysqladmin ping --silent >/dev/null 2>&1 && break; sleep 1; done
fi
for conf in config/redis_cache.conf config/redis_queue.conf; do
  port=$(awk '$1 == "port" {print $2}' "$conf" 2>/dev/null || true)
  if [ -n "$port" ] && ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    detach redis-server "$bench_path/$conf" --daemonize yes >/dev/null
    for _ in $(seq 20); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
done

# The bench runs this checkout's code.
ln -sfn "$app_dir" apps/nexwave_inventory_sync
# Frappe 16 declares Python >= 3.14; benches on 3.13 run it with a shim (make-bench.sh).
export PIP_IGNORE_REQUIRES_PYTHON=1
./env/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e apps/nexwave_inventory_sync
grep -qx nexwave_inventory_sync sites/apps.txt || echo nexwave_inventory_sync >> sites/apps.txt
if ! bench --site "$site" list-apps 2>/dev/null | grep -q nexwave_inventory_sync; then
  bench --site "$site" install-app nexwave_inventory_sync
fi
# make-bench.sh, which has just migrated, sets BENCH_TESTS_SKIP_MIGRATE (a minute saved per run).
[ -n "${BENCH_TESTS_SKIP_MIGRATE:-}" ] || bench --site "$site" migrate --skip-search-index >/dev/null
bench --site "$site" set-config allow_tests true >/dev/null
# Without CI set, Frappe 15's run-tests exits 0 even when a test fails.
CI=1 bench --site "$site" run-tests --app nexwave_inventory_sync "$@"
