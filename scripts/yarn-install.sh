# Sourced by make-bench.sh: the apps' node packages (`yarn install`), one install at a time.
# Yarn 1 keeps one cache per user (~/.cache/yarn) and two installs writing it at once corrupt
# it: on a fresh machine .ci/run builds the v15 and v16 benches side by side, and v16 failed
# with "Extracting tar content of undefined failed, the file appears to be corrupt". Every
# install takes NEXWAVE_YARN_LOCK, as the Debian packages take NEXWAVE_APT_LOCK.

NEXWAVE_YARN_LOCK="${NEXWAVE_YARN_LOCK:-${XDG_CACHE_HOME:-$HOME/.cache}/nexwave-yarn.lock}"

# yarn_install_apps DIR...: `yarn install` in each folder, under the lock.
yarn_install_apps() {
  mkdir -p "$(dirname "$NEXWAVE_YARN_LOCK")"
  (
    flock 8
    local dir
    for dir in "$@"; do
      (cd "$dir" && yarn install --silent --network-timeout 600000) || exit 1
    done
  ) 8>"$NEXWAVE_YARN_LOCK"
}

# install_yarn PREFIX: yarn 1 from npm into PREFIX, under the same lock (two benches would
# otherwise write one folder at once).
install_yarn() {
  mkdir -p "$(dirname "$NEXWAVE_YARN_LOCK")"
  (
    flock 8
    [ -x "$1/node_modules/.bin/yarn" ] || npm install --silent --prefix "$1" yarn@1 >/dev/null
  ) 8>"$NEXWAVE_YARN_LOCK"
}
