"""The walkthrough's browser and what every step uses: Debian's Chromium driven by Selenium,
finding things as an admin sees them (form buttons by their text, the open dialog, a field's
shown value), screenshots scaled for the docs, and the run loop that stops at the first failure
with a screenshot and the page's HTML named after the step.

Steps are functions of a Walk (`def step(walk: Walk) -> None`) in the browser/steps_*.py
modules; desk_walkthrough.py lists them in order."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "docs" / "screens"
KILL_SWITCH_KEY = "nexwave_shopify_disable_graphql_inventory_sync"
WIDTH = 900  # screenshots are scaled to this width: small PNGs for the docs
STALE_ATTEMPTS = 4  # Frappe re-renders a form, grid or dialog after a refresh: find it again

Step = tuple[str, Callable[["Walk"], None]]


def chromium(args) -> webdriver.Chrome:
    profile = tempfile.mkdtemp(prefix="nexwave-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = args.chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(args.chromedriver), options=options)


def again(action: Callable[[], object], attempts: int = STALE_ATTEMPTS):
    """action() again when an element it found went stale before it was used (Frappe replaced
    it: a form refresh, a grid row re-rendered); action must find what it uses itself."""
    for attempt in range(attempts):
        try:
            return action()
        except StaleElementReferenceException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.3)
    return None


class Walk:
    def __init__(self, args, driver=None):
        self.args = args
        self.base = args.url.rstrip("/")
        self.driver = driver if driver is not None else chromium(args)
        # Conditions re-run after a stale element instead of failing the wait.
        self.wait = WebDriverWait(
            self.driver, args.timeout, ignored_exceptions=(StaleElementReferenceException,)
        )
        self.steps: list[str] = []
        self.screens: Path = args.screens

    # -- helpers ---------------------------------------------------------------------------
    def step(self, text: str) -> None:
        self.steps.append(text)
        print(f"  - {text}", flush=True)

    def shot(self, name: str) -> None:
        png = self.driver.get_screenshot_as_png()
        try:
            from PIL import Image

            image = Image.open(io.BytesIO(png))
            image = image.resize((WIDTH, round(image.height * WIDTH / image.width)))
            image = image.convert("P", palette=Image.ADAPTIVE, colors=128)
            out = io.BytesIO()
            image.save(out, "PNG", optimize=True)
            png = out.getvalue()
        except ImportError:
            pass  # full size then
        self.screens.mkdir(parents=True, exist_ok=True)
        (self.screens / f"{name}.png").write_bytes(png)

    def css(self, selector: str, visible: bool = True):
        condition = EC.visibility_of_element_located if visible else EC.presence_of_element_located
        return self.wait.until(condition((By.CSS_SELECTOR, selector)))

    def xpath(self, path: str):
        return self.wait.until(EC.visibility_of_element_located((By.XPATH, path)))

    def click(self, element) -> None:
        """Clicks an element, or what a finder (a callable) returns: a finder is called again
        when its element went stale before the click."""

        def find_and_click():
            target = element() if callable(element) else element
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", target)
            try:
                target.click()
            except StaleElementReferenceException:
                raise
            except Exception:
                self.driver.execute_script("arguments[0].click();", target)

        if callable(element):
            again(find_and_click)
        else:
            find_and_click()

    def text(self, find: Callable[[], object]) -> str:
        """The visible text of what find() returns, found again if it went stale."""
        return again(lambda: find().text)

    def button(self, label: str):
        """A form button (custom buttons and group items) by its visible text."""
        return self.xpath(
            f"//div[contains(@class,'page-actions') or contains(@class,'custom-actions') or contains(@class,'inner-group-button')]"
            f"//*[self::button or self::a][normalize-space()='{label}']"
        )

    def group_item(self, group: str, label: str):
        self.click(
            lambda: self.xpath(
                f"//div[contains(@class,'inner-group-button')]//button[normalize-space()='{group}']"
            )
        )
        return self.xpath(
            f"//div[contains(@class,'inner-group-button')]//a[contains(@class,'dropdown-item')][normalize-space()='{label}']"
        )

    def modal(self):
        return self.css(".modal.show .modal-dialog")

    def sync_button(self) -> None:
        """Sync Inventory asks which rows to push (changed only by default): take the default."""
        self.click(lambda: self.button("Sync Inventory"))
        self.click(lambda: self.css(".modal.show .modal-footer .btn-primary"))

    def close_modal(self) -> None:
        self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        self.wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, ".modal.show")))

    def field_value(self, fieldname: str) -> str:
        return again(
            lambda: (
                self.css(f".frappe-control[data-fieldname='{fieldname}'] .control-value", visible=False)
                .get_attribute("textContent")
                .strip()
            )
        )

    def goto(self, path: str) -> None:
        # Close this page's socket.io connection before loading the next page: socket.io 4.7.2
        # (Frappe 15's) drops a site's namespace when the old page's socket closes while the new
        # page's socket is still being authenticated, and every realtime event (progress, the
        # end alert) is then lost for that page. A person's browser closes first; headless
        # Chrome loading pages back to back often does not.
        self.driver.execute_script(
            "window.frappe && frappe.realtime && frappe.realtime.socket && frappe.realtime.socket.disconnect()"
        )
        self.driver.get(self.base + path)
        self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        self.wait.until(lambda d: d.execute_script("return !!(window.frappe && frappe.boot)"))

    def freeze_gone(self) -> None:
        self.wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, ".freeze")))

    def bench_config(self, value) -> None:
        """Set the kill switch as an admin does: bench set-config."""
        self.bench("set-config", "-p", KILL_SWITCH_KEY, json.dumps(value))

    def bench(self, *command: str) -> str:
        """`bench --site SITE COMMAND...` on the walk's bench; its output."""
        bench = Path(self.args.bench)
        done = subprocess.run(
            [str(bench / "env" / "bin" / "python"), "-m", "frappe.utils.bench_helper", "frappe"]
            + ["--site", self.args.site, *command],
            cwd=bench / "sites",
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def login(self, user: str, password: str) -> None:
        self.driver.delete_all_cookies()
        self.driver.get(self.base + "/login")
        self.css("#login_email").send_keys(user)
        self.css("#login_password").send_keys(password)
        self.click(lambda: self.css(".btn-login"))
        # Frappe 15 lands on /app, Frappe 16 on its /desk desktop; /app is served by both.
        self.wait.until(lambda d: "/app" in d.current_url or "/desk" in d.current_url)
        self.goto("/app")

    # -- the run ---------------------------------------------------------------------------
    def run(self, steps: Sequence[Step]) -> None:
        """Each step in order; the first exception of any kind stops the walk with a screenshot
        and the page's HTML named after its step, then is raised."""
        current = steps[0][0] if steps else ""
        try:
            for name, action in steps:
                current = name
                action(self)
        except Exception as error:
            self.save_failure(current, error)
            raise
        finally:
            self.driver.quit()

    def save_failure(self, name: str, error: BaseException) -> None:
        where = [f"FAILED at step {name}: {type(error).__name__}"]
        try:
            self.shot(f"failed-{name}")
            where.append(f"screenshot {self.screens}/failed-{name}.png")
            page = Path(tempfile.gettempdir(), f"desk-walkthrough-failed-{name}.html")
            page.write_text(self.driver.page_source)
            where.append(f"page {page}")
        except Exception as shot_error:  # the browser itself may be what failed
            where.append(f"no screenshot ({type(shot_error).__name__}: {shot_error})")
        print("; ".join(where), file=sys.stderr, flush=True)
