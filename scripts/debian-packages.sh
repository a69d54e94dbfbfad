# Sourced by .ci/run, make-bench.sh and browser-test.sh: installs Debian packages that are
# missing, one installer at a time. apt-get holds /var/lib/apt/lists/lock while it updates and
# dpkg's lock while it installs; its own DPkg::Lock::Timeout waits only for the second, so two
# benches built side by side on a fresh machine failed with "Could not get lock
# /var/lib/apt/lists/lock". .ci/run installs everything once before the versions fork, and every
# caller also takes NEXWAVE_APT_LOCK, so an install started by hand cannot collide either.

NEXWAVE_APT_LOCK="${NEXWAVE_APT_LOCK:-/tmp/nexwave-apt.lock}"

# What a bench needs (make-bench.sh) and what the browser walkthrough needs (browser-test.sh).
BENCH_DEBIAN_PACKAGES=(mariadb-server mariadb-client redis-server libmariadb-dev pkg-config build-essential
  python3-dev python3-venv git)
BROWSER_DEBIAN_PACKAGES=(chromium chromium-driver)

# missing_debian_packages PKG...: prints the ones not installed.
missing_debian_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

# install_debian_packages PKG...: installs the missing ones under the lock; checks again once
# it holds the lock (another caller may have installed them meanwhile).
install_debian_packages() {
  local missing
  missing=$(missing_debian_packages "$@")
  [ -z "$missing" ] && return 0
  local sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  (
    flock 7
    # shellcheck disable=SC2046 # one package a word
    missing=$(missing_debian_packages "$@")
    [ -z "$missing" ] && exit 0
    echo "   installing Debian packages: $(echo $missing)"
    $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq $missing >/dev/null
  ) 7>"$NEXWAVE_APT_LOCK"
}
