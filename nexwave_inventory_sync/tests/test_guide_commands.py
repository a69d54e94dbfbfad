"""docs/frappe.md's "Try it against the emulator" run as written: the emulator started with the
guide's flags (on a free port instead of 18090), a level changed with the guide's admin_edit
command, and the prepare command's arguments are the fixture's own. The browser walkthrough runs
the same set-up on a site; this checks the guide's words themselves. (unittest, not pytest: the
bench's run-tests imports these modules too.)"""

import ast
import json
import re
import shlex
import subprocess
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "frappe.md"
PREPARE = ROOT / "nexwave_inventory_sync" / "testing" / "desk_demo.py"


def try_it_commands() -> list[list[str]]:
    """The shell commands of the section, continuation lines joined, split as the shell would."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## Try it against the emulator", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [shlex.split(block.replace("\\\n", " ")) for block in blocks]


def guide_command(program: str) -> list[str]:
    found = [c for c in try_it_commands() if program in c]
    assert len(found) == 1, (program, try_it_commands())
    return found[0]


def python_args(command: list[str]) -> list[str]:
    assert command[0] == "./env/bin/python" and command[1] == "-m", command
    return command[2:]


class GuideCommandsTest(unittest.TestCase):
    def start_guide_emulator(self) -> tuple[str, str]:
        """The guide's emulator, on a free port (18090 may be a walkthrough's): its URL and token."""
        args = python_args(guide_command("nexwave_inventory_sync.emulator"))
        port = args.index("--port") + 1
        self.assertEqual(args[port], "18090")
        args[port] = "0"
        process = subprocess.Popen(
            [sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.addCleanup(process.wait, 10)
        self.addCleanup(process.kill)
        self.addCleanup(process.stdout.close)
        return process.stdout.readline().strip(), args[args.index("--token") + 1]

    def test_the_guides_admin_edit_changes_a_level_on_the_guides_emulator(self):
        url, token = self.start_guide_emulator()
        self.assertTrue(url.startswith("http://127.0.0.1:"), url)
        args = python_args(guide_command("nexwave_inventory_sync.emulator.admin_edit"))
        self.assertEqual(args[args.index("--url") + 1], "http://127.0.0.1:18090")
        self.assertEqual(args[args.index("--token") + 1], token)
        args[args.index("--url") + 1] = url
        done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        # As the guide says it prints: "SKU-000001 at Location 1: available 3 -> 500".
        self.assertRegex(done.stdout, r"\ASKU-000001 at Location 1: available \d+ -> 500\n\Z")

    def test_the_guides_prepare_command_names_the_fixtures_own_arguments(self):
        command = guide_command("--kwargs")
        self.assertEqual(command[:4], ["bench", "--site", "your.site", "execute"])
        module, function = command[4].rsplit(".", 1)
        self.assertEqual(module, "nexwave_inventory_sync.testing.desk_demo")
        tree = ast.parse(PREPARE.read_text(encoding="utf-8"))
        prepare = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
        parameters = {a.arg for a in prepare.args.args}
        kwargs = json.loads(command[command.index("--kwargs") + 1])
        self.assertLessEqual(set(kwargs), parameters)
        # The same shop and endpoint the store and the emulator of the guide use.
        self.assertEqual(kwargs["endpoint"], "http://127.0.0.1:18090")
        self.assertIn("`" + kwargs["shop_domain"] + "`", GUIDE.read_text(encoding="utf-8"))


if __name__ == "__main__":
    unittest.main()
