# Sourced by make-bench.sh and bench-tests.sh: which lock guards a bench, and whether this
# process already holds it. Several worktrees share a bench, and its apps/nexwave_inventory_sync
# link points at one checkout at a time, so linking, migrating and testing happen under it.

# bench_lock_path BENCH_PATH: the shared benches (~/frappe-bench for 15, ~/frappe-bench-v16 for
# 16) use the paths everyone also wraps by hand (`flock /tmp/bench-v15.lock ...`); any other
# bench (a scratch one of .ci/run or make-bench.sh --bench) its own, so it never queues behind
# the shared one. BENCH_LOCK_FILE overrides.
bench_lock_path() {
  local bench major default
  bench="$(cd "$1" && pwd)"
  major=$(sed -n 's/^__version__ = "\([0-9]*\)\..*/\1/p' "$bench/apps/frappe/frappe/__init__.py" 2>/dev/null || true)
  major="${major:-15}"
  default="$HOME/frappe-bench"; [ "$major" -ge 16 ] && default="$HOME/frappe-bench-v16"
  if [ -n "${BENCH_LOCK_FILE:-}" ]; then
    echo "$BENCH_LOCK_FILE"
  elif [ "$bench" = "$(cd "$default" 2>/dev/null && pwd)" ]; then
    echo "/tmp/bench-v$major.lock"
  else
    echo "/tmp/bench-v$major$(echo "$bench" | tr -c 'A-Za-z0-9\n' '-').lock"
  fi
}

# bench_lock_held LOCK: true when BENCH_LOCK_HELD names it (set by whoever took it in these
# scripts) or when an ancestor process has it open, as flock(1) run by hand does; waiting on it
# then would wait forever.
bench_lock_held() {
  local lock="$1" pid=$PPID
  [ "${BENCH_LOCK_HELD:-}" = "$lock" ] && return 0
  for _ in 1 2 3 4 5 6; do
    { [ -z "$pid" ] || [ "$pid" -le 1 ]; } && return 1
    find "/proc/$pid/fd" -maxdepth 1 -lname "$lock" 2>/dev/null | grep -q . && return 0
    pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null || true)
  done
  return 1
}
