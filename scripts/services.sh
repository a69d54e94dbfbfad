# Sourced by make-bench.sh and bench-tests.sh: starting MariaDB and Redis without systemd, as
# daemons that outlive the script and hold none of its lock files.

# detach CMD...: runs CMD in the background in its own session, stdin from /dev/null, with every
# fd above 2 closed. flock(1) hands its lock's fd to the command it runs, and this script holds
# locks on fds 8 and 9: a MariaDB or Redis that inherited one would hold that lock forever.
# The subshell that closes the fds is the one that execs CMD, and nothing waits on it: a
# wrapper left waiting for CMD (as `(detach CMD &)` around a `( ... )` did) keeps the fds, and
# with them the lock, for as long as CMD runs (the v15 suite waited on MariaDB's lock for 90
# minutes in CI that way).
detach() {
  (
    for fd in $(ls "/proc/$BASHPID/fd"); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    cd / && exec setsid "$@" </dev/null
  ) &
}

# start_mariadb: starts MariaDB when it does not answer, and waits up to a minute for it.
start_mariadb() {
  mysqladmin ping --silent >/dev/null 2>&1 && return 0
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  detach mysqld_safe >/tmp/mysqld_safe.out 2>&1
  for _ in $(seq 60); do mysqladmin ping --silent >/dev/null 2>&1 && return 0; sleep 1; done
  return 1
}

# start_redis CONF PORT: starts a Redis from CONF unless PORT answers, and waits for it.
start_redis() {
  local conf="$1" port="$2"
  redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
  detach redis-server "$conf" --daemonize yes >/dev/null
  for _ in $(seq 20); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}
