"""walk.py's own rules, without a browser (a stand-in driver): a finder whose element went
stale is called again, and a step failing with any exception leaves a screenshot named after
it. Run by scripts/browser-test.sh before the walk: `python browser/test_walk.py`."""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from walk import Walk  # noqa: E402

# A 1x1 grey PNG: what a screenshot is, small.
ONE_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c6368000000820081dd436af40000000049454e44ae426082"
)


class StandInDriver:
    def __init__(self):
        self.scripts: list[str] = []
        self.quit_called = False

    def execute_script(self, script, *args):
        self.scripts.append(script)

    def get_screenshot_as_png(self) -> bytes:
        return ONE_PIXEL_PNG

    page_source = "<html>the failing page</html>"

    def quit(self):
        self.quit_called = True


class Element:
    """Stale for its first `stale` clicks, like a button Frappe re-rendered."""

    def __init__(self, stale: int = 0):
        self.stale = stale
        self.clicks = 0

    def click(self):
        if self.stale:
            self.stale -= 1
            raise StaleElementReferenceException("element is not attached to the page document")
        self.clicks += 1


def walk(screens: Path) -> tuple[Walk, StandInDriver]:
    driver = StandInDriver()
    args = SimpleNamespace(url="http://127.0.0.1:1", timeout=1, screens=screens)
    return Walk(args, driver=driver), driver


class TestWalk(unittest.TestCase):
    def setUp(self):
        self.screens = Path(tempfile.mkdtemp(prefix="walk-test-"))

    def test_a_stale_element_is_found_again_and_clicked(self):
        w, _ = walk(self.screens)
        found = []

        def finder():
            # The first element found goes stale (the form re-rendered); the second is fresh.
            found.append(Element(stale=1) if not found else Element())
            return found[-1]

        w.click(finder)
        self.assertEqual(len(found), 2)
        self.assertEqual(found[-1].clicks, 1)

    def test_an_element_stale_every_time_fails_after_a_few_finds(self):
        w, _ = walk(self.screens)
        finds = []

        def finder():
            finds.append(1)
            return Element(stale=1)

        with self.assertRaises(StaleElementReferenceException):
            w.click(finder)
        self.assertGreater(len(finds), 1)

    def test_text_is_read_again_from_a_fresh_find(self):
        w, _ = walk(self.screens)
        calls = []

        class Gone:
            @property
            def text(self):
                raise StaleElementReferenceException("gone")

        def finder():
            calls.append(1)
            return Gone() if len(calls) == 1 else SimpleNamespace(text="Connected to Shopify")

        self.assertEqual(w.text(finder), "Connected to Shopify")

    def test_any_exception_leaves_a_screenshot_named_after_its_step(self):
        w, driver = walk(self.screens)

        def broken(_walk):
            raise KeyError("not an assertion nor a timeout")

        with self.assertRaises(KeyError), contextlib.redirect_stderr(io.StringIO()):
            w.run([("first", lambda _walk: None), ("broken-step", broken)])
        self.assertTrue((self.screens / "failed-broken-step.png").exists())
        self.assertFalse((self.screens / "failed-first.png").exists())
        self.assertTrue(driver.quit_called)


if __name__ == "__main__":
    unittest.main()
