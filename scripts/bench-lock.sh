# Sourced by make-bench.sh, bench-tests.sh and browser-test.sh: which lock guards a bench, and whether this
# process already holds it. Several worktrees share a bench, and its apps/nexwave_inventory_sync
# link points at one checkout at a time, so linking, migrating and testing happen under it.

# frappe_major BENCH_PATH: the bench's Frappe major version (15 when it cannot tell).
frappe_major() {
  local major
  major=$(sed -n 's/^__version__ = "\([0-9]*\)\..*/\1/p' "$1/apps/frappe/frappe/__init__.py" 2>/dev/null || true)
  echo "${major:-15}"
}

# link_checkout APP_DIR [PIP_ARGS...]: run in a bench folder, under its lock: points
# apps/nexwave_inventory_sync at APP_DIR and makes the editable install again (it records the
# checkout the link pointed at when it was made, and Python imports from there whatever the
# link says later), and lists the app in apps.txt.
link_checkout() {
  local app_dir="$1"; shift
  ln -sfn "$app_dir" apps/nexwave_inventory_sync
  ./env/bin/python -m pip install --quiet --disable-pip-version-check "$@" -e apps/nexwave_inventory_sync
  grep -qx nexwave_inventory_sync sites/apps.txt || echo nexwave_inventory_sync >> sites/apps.txt
}

# bench_lock_path BENCH_PATH: the shared benches (~/frappe-bench for 15, ~/frappe-bench-v16 for
# 16) use the paths everyone also wraps by hand (`flock /tmp/bench-v15.lock ...`); any other
# bench (a scratch one of .ci/run or make-bench.sh --bench) its own, so it never queues behind
# the shared one. BENCH_LOCK_FILE overrides.
bench_lock_path() {
  local bench major default
  bench="$(cd "$1" && pwd)"
  major=$(frappe_major "$bench")
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
