"""The bench scripts start MariaDB and Redis as daemons that must not keep the scripts' locks.

In CI the v15 and v16 benches are prepared side by side and both take MariaDB's start lock;
a MariaDB started under it once kept it (through a wrapper shell waiting on it), and the
other version's suite waited for 90 minutes. These tests run scripts/services.sh's own
functions in bash, with a stand-in daemon (sleep) in place of mysqld_safe.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"


@unittest.skipUnless(shutil.which("bash") and shutil.which("flock"), "needs bash and flock(1)")
class DetachTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.lock = os.path.join(self.dir, "start.lock")
        self.pidfile = os.path.join(self.dir, "daemon.pid")
        # A stand-in daemon that says its pid, then runs on as mysqld_safe would.
        self.stand_in = f"bash -c 'echo $$ > {self.pidfile}; exec sleep 120'"
        self.pids = []

    def tearDown(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def _start_under_lock(self, start: str) -> int:
        """Takes the lock on fd 9 as make-bench.sh does, runs `start`, releases fd 9 and
        answers the daemon's pid (the stand-in writes it to a file)."""
        script = f"""
            set -euo pipefail
            . {SERVICES}
            exec 9>{self.lock}
            flock 9
            {start}
            for _ in $(seq 50); do [ -s {self.pidfile} ] && break; sleep 0.1; done
            exec 9>&-
        """
        subprocess.run(["bash", "-c", script], check=True, timeout=30)
        pid = int(Path(self.pidfile).read_text())
        self.pids.append(pid)
        return pid

    def test_a_detached_daemon_does_not_hold_the_lock_of_the_script_that_started_it(self):
        pid = self._start_under_lock(f"detach {self.stand_in} >/dev/null 2>&1")
        self.assertTrue(Path(f"/proc/{pid}").exists(), "the daemon outlives the script")
        free = subprocess.run(["flock", "-n", self.lock, "true"], timeout=10)
        self.assertEqual(free.returncode, 0, "the lock is still held after the script released it")

    def test_the_daemon_runs_in_its_own_session_without_the_scripts_fds(self):
        pid = self._start_under_lock(f"detach {self.stand_in} >/dev/null 2>&1")
        self.assertEqual(os.getsid(pid), pid)
        fds = {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}
        self.assertEqual(fds - {0, 1, 2}, set())


DEBIAN = Path(__file__).resolve().parents[2] / "scripts" / "debian-packages.sh"
YARN = Path(__file__).resolve().parents[2] / "scripts" / "yarn-install.sh"


@unittest.skipUnless(shutil.which("bash") and shutil.which("flock"), "needs bash and flock(1)")
class DebianPackagesTest(unittest.TestCase):
    """Two installs at once (the v15 and v16 benches on a fresh machine) must not collide on
    apt's locks. A stand-in apt-get holds a stand-in lists lock while it "updates" and fails at
    once when it is taken, as apt-get does ("Could not get lock /var/lib/apt/lists/lock"); a
    stand-in dpkg-query says the packages are missing until apt-get "installed" them."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        installed = os.path.join(self.dir, "installed")
        lists_lock = os.path.join(self.dir, "lists.lock")
        self.log = os.path.join(self.dir, "apt.log")
        scripts = {
            "apt-get": f"""#!/bin/bash
exec 5>{lists_lock}
flock -n 5 || {{ echo "E: Could not get lock {lists_lock}" >> {self.log}; exit 100; }}
sleep 0.5
if [[ " $* " == *" install "* ]]; then for p in "$@"; do echo "$p" >> {installed}; done; fi
echo "ok $*" >> {self.log}
""",
            "dpkg-query": f"""#!/bin/bash
grep -qx "${{@: -1}}" {installed} 2>/dev/null && printf 'install ok installed' || exit 1
""",
        }
        for name, text in scripts.items():
            path = os.path.join(bin_dir, name)
            with open(path, "w") as handle:
                handle.write(text)
            os.chmod(path, 0o755)
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "NEXWAVE_APT_LOCK": os.path.join(self.dir, "nexwave-apt.lock"),
        }

    def install(self, *packages: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["bash", "-c", f'. "{DEBIAN}"; install_debian_packages {" ".join(packages)}'],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def test_two_installs_at_once_take_turns(self):
        first, second = (
            self.install("mariadb-server", "redis-server"),
            self.install("redis-server", "chromium"),
        )
        outputs = [p.communicate(timeout=60)[0] for p in (first, second)]
        self.assertEqual([first.returncode, second.returncode], [0, 0], outputs)
        with open(self.log) as handle:
            log = handle.read()
        self.assertNotIn("Could not get lock", log)

    def test_nothing_is_installed_when_nothing_is_missing(self):
        self.assertEqual(self.install("mariadb-server").wait(timeout=60), 0)
        os.remove(self.log)
        self.assertEqual(self.install("mariadb-server").wait(timeout=60), 0)
        self.assertFalse(os.path.exists(self.log))


BENCH_CONFIG = Path(__file__).resolve().parents[2] / "scripts" / "bench-config.sh"


@unittest.skipUnless(shutil.which("bash"), "needs bash")
class BenchPortsTest(unittest.TestCase):
    """The v15 and v16 benches (Redis bases 13000 and 13100) get socket.io and web ports of
    their own, also when their config already names the shared 9000 and 8000 (benches made
    before, which CI reuses): one bench's socket.io server answered the other's pages."""

    def write_ports(self, config: Path, cache: int) -> dict:
        subprocess.run(
            ["bash", "-c", f'. "{BENCH_CONFIG}"; write_bench_ports "$@"', "bash"]
            + [shutil.which("python3"), str(config), str(cache), str(cache + 1), "frappe"],
            check=True,
            timeout=30,
        )
        return json.loads(config.read_text())

    def test_each_bench_gets_its_own_ports_and_an_old_config_is_corrected(self):
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder, True)
        configs = {}
        for cache in (13000, 13100):
            config = folder / f"{cache}.json"
            old = {"default_site": "test.localhost", "socketio_port": 9000, "webserver_port": 8000}
            config.write_text(json.dumps(old))
            configs[cache] = self.write_ports(config, cache)
        v15, v16 = configs[13000], configs[13100]
        self.assertNotEqual(v15["socketio_port"], v16["socketio_port"])
        self.assertNotEqual(v15["webserver_port"], v16["webserver_port"])
        self.assertEqual((v15["socketio_port"], v15["webserver_port"]), (9030, 8030))
        self.assertEqual((v16["socketio_port"], v16["webserver_port"]), (9031, 8031))
        self.assertEqual(v16["redis_queue"], "redis://127.0.0.1:13101")
        self.assertEqual(v16["default_site"], "test.localhost")  # other keys are kept
        self.assertEqual(v16["frappe_user"], "frappe")


class YarnInstallTest(unittest.TestCase):
    """Two benches' `yarn install` at once (the v15 and v16 benches on a fresh machine) wrote
    yarn's one shared cache together and one failed ("the file appears to be corrupt"). A
    stand-in yarn fails the same way when another yarn holds the stand-in cache."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        cache = os.path.join(self.dir, "cache.lock")
        self.log = os.path.join(self.dir, "yarn.log")
        with open(os.path.join(bin_dir, "yarn"), "w") as handle:
            handle.write(
                f"""#!/bin/bash
exec 5>{cache}
flock -n 5 || {{ echo "error: the file appears to be corrupt" >> {self.log}; exit 1; }}
sleep 0.5
echo "ok $(pwd)" >> {self.log}
"""
            )
        os.chmod(os.path.join(bin_dir, "yarn"), 0o755)
        self.apps = [os.path.join(self.dir, name) for name in ("v15-frappe", "v16-frappe")]
        for app in self.apps:
            os.mkdir(app)
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "NEXWAVE_YARN_LOCK": os.path.join(self.dir, "nexwave-yarn.lock"),
        }

    def test_two_benches_install_in_turn(self):
        installs = [
            subprocess.Popen(
                ["bash", "-c", f'. "{YARN}"; yarn_install_apps "{app}"'],
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for app in self.apps
        ]
        outputs = [p.communicate(timeout=60)[0] for p in installs]
        self.assertEqual([p.returncode for p in installs], [0, 0], outputs)
        with open(self.log) as handle:
            log = handle.read()
        self.assertNotIn("corrupt", log)
        self.assertEqual(log.count("ok "), 2)
