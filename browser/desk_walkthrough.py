"""The store as an admin meets it, in Debian's Chromium driven by Selenium: log in, create a
store pointed at the emulator, Test Connection, Fetch Locations, map a warehouse, Sync
Inventory (progress dialog, end alert), open the log and read its counts, the kill switch's
message, and a user without write permission who sees no button. Screenshots of the main
steps go to docs/screens/. Run by scripts/browser-test.sh, which starts the servers.

Every step asserts what the admin would see; the first failure stops the walk with a
screenshot named after the step."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "docs" / "screens"
KILL_SWITCH_KEY = "nexwave_shopify_disable_graphql_inventory_sync"
WIDTH = 900  # screenshots are scaled to this width: small PNGs for the docs


class Walk:
    def __init__(self, args):
        self.args = args
        self.base = args.url.rstrip("/")
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
        self.driver = webdriver.Chrome(service=Service(args.chromedriver), options=options)
        self.wait = WebDriverWait(self.driver, args.timeout)
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
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        try:
            element.click()
        except Exception:
            self.driver.execute_script("arguments[0].click();", element)

    def button(self, label: str):
        """A form button (custom buttons and group items) by its visible text."""
        return self.xpath(
            f"//div[contains(@class,'page-actions') or contains(@class,'custom-actions') or contains(@class,'inner-group-button')]"
            f"//*[self::button or self::a][normalize-space()='{label}']"
        )

    def group_item(self, group: str, label: str):
        self.click(
            self.xpath(f"//div[contains(@class,'inner-group-button')]//button[normalize-space()='{group}']")
        )
        return self.xpath(
            f"//div[contains(@class,'inner-group-button')]//a[contains(@class,'dropdown-item')][normalize-space()='{label}']"
        )

    def modal(self):
        return self.css(".modal.show .modal-dialog")

    def sync_button(self) -> None:
        """Sync Inventory asks which rows to push (changed only by default): take the default."""
        self.click(self.button("Sync Inventory"))
        self.click(self.css(".modal.show .modal-footer .btn-primary"))

    def close_modal(self) -> None:
        self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        self.wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, ".modal.show")))

    def field_value(self, fieldname: str) -> str:
        element = self.css(f".frappe-control[data-fieldname='{fieldname}'] .control-value", visible=False)
        return element.get_attribute("textContent").strip()

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
        bench = Path(self.args.bench)
        subprocess.run(
            [str(bench / "env" / "bin" / "python"), "-m", "frappe.utils.bench_helper", "frappe"]
            + ["--site", self.args.site, "set-config", "-p", KILL_SWITCH_KEY, json.dumps(value)],
            cwd=bench / "sites",
            check=True,
            capture_output=True,
        )

    # -- the walk --------------------------------------------------------------------------
    def login(self, user: str, password: str) -> None:
        self.driver.delete_all_cookies()
        self.driver.get(self.base + "/login")
        self.css("#login_email").send_keys(user)
        self.css("#login_password").send_keys(password)
        self.click(self.css(".btn-login"))
        # Frappe 15 lands on /app, Frappe 16 on its /desk desktop; /app is served by both.
        self.wait.until(lambda d: "/app" in d.current_url or "/desk" in d.current_url)
        self.goto("/app")

    def create_store(self) -> None:
        domain = self.args.shop
        self.goto("/app/shopify-store/new")
        self.css(".frappe-control[data-fieldname='shop_domain'] input").send_keys(domain)
        # The walkthrough's emulator takes a pasted token: choose that way of connecting first
        # (the form shows the token field only then; new stores default to client credentials).
        Select(self.css(".frappe-control[data-fieldname='auth_method'] select")).select_by_value(
            "Access token (app created before 2026)"
        )
        self.css(".frappe-control[data-fieldname='access_token'] input").send_keys(self.args.token)
        self.shot("01-new-store")
        self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "s")
        # The saved form's route: /app/... on Frappe 15, /desk/... on 16.
        self.wait.until(
            lambda d: d.current_url.rstrip("/").endswith(
                ("/app/shopify-store/" + domain, "/desk/shopify-store/" + domain)
            )
        )
        self.button("Sync Inventory")
        api = self.field_value("api_version")
        assert api == self.args.newest_version, f"API version defaults to {api!r}"
        self.step(f"store {domain} created; API version defaults to {api}")

    def test_connection(self) -> None:
        self.click(self.group_item("Shopify", "Test Connection"))
        dialog = self.modal()
        self.wait.until(lambda d: "Connected to Shopify" in dialog.text or "problems" in dialog.text)
        text = dialog.text
        assert "Connected to Shopify" in text, text
        assert "Emulated Shop" in text and "write_inventory" in text, text
        self.shot("02-test-connection")
        self.close_modal()
        self.step("Test Connection: shop, plan, scopes and version shown, nothing missing")

    def map_warehouse(self) -> None:
        self.click(self.group_item("Shopify", "Fetch Locations"))
        dialog = self.modal()
        self.wait.until(lambda d: "Location 2" in dialog.text)
        assert "inactive" in dialog.text.lower(), "the inactive location is not marked"
        # The grid re-renders its row while it is edited: find things from the dialog each time.
        row_css = ".modal.show .frappe-control[data-fieldname='mappings'] .grid-body .grid-row"
        self.click(self.css(f"{row_css} [data-fieldname='warehouse']"))
        warehouse = self.css(f"{row_css} [data-fieldname='warehouse'] input")
        self.click(warehouse)
        warehouse.send_keys(self.args.warehouse)
        option = self.wait.until(
            lambda d: next(
                (
                    li
                    for li in d.find_elements(By.XPATH, "//ul[@role='listbox']/*[@role='option']")
                    if li.is_displayed() and self.args.warehouse in li.get_attribute("textContent")
                ),
                None,
            )
        )
        self.click(option)
        self.click(self.css(f"{row_css} [data-fieldname='location']"))
        select = self.css(f"{row_css} [data-fieldname='location'] select")
        from selenium.webdriver.support.ui import Select

        Select(select).select_by_visible_text("Location 1")
        self.shot("03-map-warehouse")
        self.click(dialog.find_element(By.CSS_SELECTOR, ".modal-footer .btn-primary"))
        self.wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, ".modal.show")))
        self.wait.until(
            lambda d: (
                d.execute_script(
                    "return cur_frm && !cur_frm.is_dirty() && (cur_frm.doc.locations||[]).length === 1"
                    " && cur_frm.doc.locations[0].shopify_location_id"
                )
                == "gid://shopify/Location/1"
            )
        )
        self.step(f"Fetch Locations: {self.args.warehouse} mapped to 'Location 1' by name, saved")

    def sync(self) -> None:
        self.sync_button()
        progress = self.xpath(
            "//div[contains(@class,'modal') and contains(@class,'show')]//*[contains(text(),'Syncing inventory to Shopify')]"
        )
        self.shot("04-progress")
        self.step(f"progress dialog: {progress.text!r}")
        alert = self.xpath("//div[@id='alert-container']//*[contains(.,'Inventory sync Success')]")
        self.shot("05-end-alert")
        self.step(f"end alert: {alert.text.strip()!r}")

    def read_log(self) -> None:
        self.wait.until(lambda d: d.execute_script("return !!(window.cur_frm && cur_frm.doc.last_log)"))
        log = self.driver.execute_script("return cur_frm.doc.last_log")
        self.goto(f"/app/shopify-log/{log}")
        self.css(".frappe-control[data-fieldname='pushed']", visible=False)
        counts = {f: self.field_value(f) for f in ("status", "considered", "pushed", "failed")}
        assert counts["status"] == "Success", counts
        assert counts["pushed"] == str(self.args.items), counts
        assert counts["failed"] == "0", counts
        save_visible = self.driver.execute_script(
            "return $('.page-actions .primary-action:visible').filter((i, b) => $(b).text().trim() === 'Save').length"
        )
        assert save_visible == 0, "the log offers Save"
        self.shot("06-log")
        self.step(f"log {log}: {counts}; no Save button")

    def log_list(self) -> None:
        self.goto(f"/app/shopify-log?shopify_store={self.args.shop}&status=Success")
        pill = self.css(".list-row-container .indicator-pill")
        classes = pill.get_attribute("class")
        assert pill.text.strip() == "Success" and "green" in classes, (pill.text, classes)
        filters = self.driver.execute_script(
            "return cur_list.filter_area.get().map((f) => f[1] + ' ' + f[3])"
        )
        assert sorted(filters) == sorted([f"shopify_store {self.args.shop}", "status Success"]), filters
        self.shot("06b-log-list")
        self.step(f"log list filtered by {filters}: a green 'Success' pill")

    def health_and_workspace(self) -> None:
        self.goto(f"/app/shopify-store/{self.args.shop}")
        indicator = self.css(".page-head .indicator-pill").text.strip()
        assert indicator == "Healthy", indicator
        chart = self.css(".shopify-runs-chart svg")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", chart)
        time.sleep(1.5)  # frappe-charts grows its bars from zero: let the animation end
        next_run = self.css(".shopify-next-run").text
        assert "Next scheduled run" in next_run, next_run
        self.shot("07-store-health")
        # No horizontal scrollbar on the store form: nothing in it is wider than the window.
        page_width, window_width, wide = self.driver.execute_script(
            """const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll("body *")]
                .filter((e) => e.getBoundingClientRect().right > width + 1)
                .slice(0, 8)
                .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)} in ${
                    e.parentElement.outerHTML.slice(0, 200)}`);
            return [document.documentElement.scrollWidth, width, wide];"""
        )
        assert page_width <= window_width, (page_width, window_width, wide)
        self.step(f"store indicator {indicator!r}; chart drawn; {next_run!r}; no horizontal scrollbar")
        self.goto("/app/shopify-inventory")
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".widget.number-widget-box")) >= 3)
        self.wait.until(
            lambda d: all(
                re.search(r"\d\s*$", w.text)
                for w in d.find_elements(By.CSS_SELECTOR, ".widget.number-widget-box")
            )
        )
        try:  # the chart is for the eye only: give it a moment to draw
            WebDriverWait(self.driver, 10).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, ".widget.dashboard-widget-box svg")
            )
        except TimeoutException:
            pass
        self.shot("08-workspace")
        cards = [
            w.text.replace("\n", " ")
            for w in self.driver.find_elements(By.CSS_SELECTOR, ".widget.number-widget-box")
        ]
        self.step(f"workspace number cards: {cards}")

    def kill_switch(self) -> None:
        # A test bench only: the walk sets the list to this shop alone, then empties it.
        self.bench_config([self.args.shop])
        try:
            self.goto(f"/app/shopify-store/{self.args.shop}")
            self.sync_button()
            alert = self.xpath("//div[@id='alert-container']//*[contains(.,'switched off')]")
            self.shot("09-kill-switch")
            self.step(f"kill switch: {alert.text.strip()!r}")
        finally:
            self.bench_config([])

    def viewer_sees_no_button(self) -> None:
        self.login(self.args.viewer, self.args.viewer_password)
        self.goto(f"/app/shopify-store/{self.args.shop}")
        self.css(".frappe-control[data-fieldname='shop_domain']", visible=False)
        time.sleep(1)  # let refresh() add whatever buttons it would
        labels = [
            b.text.strip()
            for b in self.driver.find_elements(
                By.CSS_SELECTOR, ".page-actions button, .inner-group-button button"
            )
        ]
        for forbidden in ("Sync Inventory", "Shopify"):
            assert forbidden not in labels, labels
        self.shot("10-read-only-user")
        self.step(f"read-only user sees buttons {[x for x in labels if x]} and no Sync/Shopify")

    def run(self) -> None:
        current = "login"
        try:
            for name, action in (
                ("login", lambda: self.login("Administrator", self.args.admin_password)),
                ("create-store", self.create_store),
                ("test-connection", self.test_connection),
                ("map-warehouse", self.map_warehouse),
                ("sync", self.sync),
                ("read-log", self.read_log),
                ("log-list", self.log_list),
                ("health-and-workspace", self.health_and_workspace),
                ("kill-switch", self.kill_switch),
                ("viewer", self.viewer_sees_no_button),
            ):
                current = name
                action()
        except (AssertionError, TimeoutException):
            self.shot(f"failed-{current}")
            Path(tempfile.gettempdir(), f"desk-walkthrough-failed-{current}.html").write_text(
                self.driver.page_source
            )
            print(
                f"FAILED at step {current}; screenshot {self.screens}/failed-{current}.png", file=sys.stderr
            )
            raise
        finally:
            self.driver.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--shop", default="desk-demo.myshopify.com")
    parser.add_argument("--token", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--admin-password", default=os.environ.get("ADMIN_PASSWORD", "admin"))
    parser.add_argument("--viewer", default="shopify-viewer@example.com")
    parser.add_argument("--viewer-password", default="viewer-Pass-123")
    parser.add_argument("--newest-version", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--screens", type=Path, default=SCREENS, help="where the screenshots go")
    import steps_catalog
    import steps_connect

    steps_connect.add_arguments(parser)
    args = parser.parse_args()
    walk = Walk(args)
    print("Browser walkthrough:", flush=True)
    walk.run()
    # Issue 18's catalog and issue 16's connect steps, each in a browser of its own.
    for steps in (steps_catalog, steps_connect):
        more = Walk(args)
        steps.run(more)
        walk.steps += more.steps
    print(f"PASSED: {len(walk.steps)} steps; screenshots in {args.screens}/", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
