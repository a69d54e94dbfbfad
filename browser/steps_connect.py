"""The walkthrough's connect steps (issue 16): a store set up today, as its admin does it.

* Client credentials: a new store, Authentication "Client credentials", the Dev Dashboard app's
  client ID and secret; Test Connection gets a token from the emulator's
  /admin/oauth/access_token and says the method, when the token expires and that it renews.
* Authorization code: a store with the app of another organization; Install on Shopify opens
  the emulator's approval page (/admin/oauth/authorize), its Install button sends the browser
  back to the site's callback (the whitelisted guest method) over HTTP, which keeps the token
  and lands on the store; Test Connection then says so.

After each, the page's HTML and the form's data hold no client secret and no token (the
emulator's tokens are shpat_/shprt_ and 32 hex digits). Screenshots 11-15 go to docs/screens/.
`run(walk)` takes a fresh Walk (browser/desk_walkthrough.py) and closes its browser."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from steps_runner import bench_execute, run_steps

FIXTURES = "nexwave_inventory_sync.testing.desk_connect"
CLIENT_CREDENTIALS = "Client credentials (Dev Dashboard app on your own store)"
AUTHORIZATION_CODE = "Authorization code (app installed on a store of another organization)"
CC_SHOP = "desk-connect.myshopify.com"
# The emulator signs its redirect for its own shop, and the callback checks that `shop` is the
# store's: the installed store is the emulator's shop.
INSTALLED_SHOP = "emulated-shop.myshopify.com"
WRONG_SECRET = "shpss_mistyped_0000"
ISSUED_TOKEN = re.compile(r"shp(at|rt)_[0-9a-f]{32}")


def add_arguments(parser) -> None:
    """The Dev Dashboard app the emulator serves (scripts/browser-test.sh starts it with these)."""
    parser.add_argument("--client-id", default="desk0connect0client0id0000000001")
    parser.add_argument("--client-secret", default="shpss_desk_connect_secret_never_shown")


def run(walk) -> None:
    steps = ConnectSteps(walk)
    run_steps(
        walk,
        (
            ("connect-login", lambda: walk.login("Administrator", walk.args.admin_password)),
            ("connect-prepare", steps.prepare),
            ("client-credentials", steps.client_credentials),
            ("authorization-code", steps.authorization_code),
        ),
    )


class ConnectSteps:
    def __init__(self, walk):
        self.walk = walk
        self.args = walk.args

    def prepare(self) -> None:
        answer = bench_execute(
            self.walk, f"{FIXTURES}.prepare", domains=[CC_SHOP, INSTALLED_SHOP], like=self.args.shop
        )
        assert answer.get("endpoint"), answer
        self.walk.step(f"stores {CC_SHOP} and {INSTALLED_SHOP} pointed at the emulator {answer['endpoint']}")

    # -- the form ----------------------------------------------------------------------------
    def new_store(self, domain: str, method: str, shot: str, secret: str | None = None) -> None:
        walk = self.walk
        walk.goto("/app/shopify-store/new")
        walk.css(".frappe-control[data-fieldname='shop_domain'] input").send_keys(domain)
        Select(walk.css(".frappe-control[data-fieldname='auth_method'] select")).select_by_value(method)
        walk.css(".frappe-control[data-fieldname='client_id'] input").send_keys(self.args.client_id)
        walk.css(".frappe-control[data-fieldname='client_secret'] input").send_keys(
            secret or self.args.client_secret
        )
        assert not walk.driver.find_element(
            By.CSS_SELECTOR, ".frappe-control[data-fieldname='access_token']"
        ).is_displayed(), "the pasted token's field is shown for a Dev Dashboard app"
        walk.shot(shot)
        walk.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "s")
        self.wait_for_store(domain)

    def wait_for_store(self, domain: str) -> None:
        walk = self.walk
        walk.wait.until(
            lambda d: d.current_url.rstrip("/").endswith(
                ("/app/shopify-store/" + domain, "/desk/shopify-store/" + domain)
            )
        )
        walk.wait.until(
            lambda d: d.execute_script(
                "return !!(window.cur_frm && cur_frm.doc.name === arguments[0] && !cur_frm.is_dirty())",
                domain,
            )
        )
        walk.button("Sync Inventory")

    def test_connection(self, method: str, shot: str) -> str:
        walk = self.walk
        walk.click(walk.group_item("Shopify", "Test Connection"))
        dialog = walk.modal()
        walk.wait.until(lambda d: "Connected to Shopify" in dialog.text or "problems" in dialog.text)
        text = dialog.text
        assert "Connected to Shopify" in text, text
        assert method in text, text
        expiry = re.search(r"Token expires\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", text)
        assert expiry, f"no expiry shown: {text}"
        assert "renewed just now" in text, text
        self.assert_no_secret(text)
        walk.shot(shot)
        walk.close_modal()
        return expiry.group(1)

    def assert_no_secret(self, *more: str) -> None:
        """The page as the browser has it (HTML, the form's data) and what the dialog said."""
        walk = self.walk
        seen = [
            walk.driver.page_source,
            walk.driver.execute_script("return JSON.stringify(window.cur_frm ? cur_frm.doc : {})"),
            *more,
        ]
        for text in seen:
            assert self.args.client_secret not in text, "the client secret is on the page"
            found = ISSUED_TOKEN.search(text)
            assert found is None, "a token is on the page"

    # -- the steps ---------------------------------------------------------------------------
    def wrong_secret(self) -> None:
        """A secret mistyped: Test Connection says Shopify refused it, in words, and that the
        token could not be renewed (not that it is a pasted token)."""
        walk = self.walk
        self.new_store(CC_SHOP, CLIENT_CREDENTIALS, "11-client-credentials", secret=WRONG_SECRET)
        walk.click(walk.group_item("Shopify", "Test Connection"))
        dialog = walk.modal()
        walk.wait.until(lambda d: "problems" in dialog.text or "Connected to Shopify" in dialog.text)
        text = dialog.text
        assert "Shopify refused the client ID or secret" in text, text
        assert "failed: see below" in text and "a pasted token" not in text, text
        assert WRONG_SECRET not in text and "Traceback" not in text, text
        walk.close_modal()
        # The right secret, typed over the wrong one, and saved.
        field = walk.css(".frappe-control[data-fieldname='client_secret'] input")
        field.clear()
        field.send_keys(self.args.client_secret)
        walk.wait.until(lambda d: d.execute_script("return !!(window.cur_frm && cur_frm.is_dirty())"))
        walk.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "s")
        walk.wait.until(lambda d: d.execute_script("return !!(window.cur_frm && !cur_frm.is_dirty())"))
        walk.step("a mistyped secret: 'Shopify refused the client ID or secret', renewal failed")

    def client_credentials(self) -> None:
        self.wrong_secret()
        expires = self.test_connection("Client credentials", "12-test-connection-client-credentials")
        self.assert_no_secret()
        self.walk.step(
            f"client credentials: {CC_SHOP} connected, token expires {expires}, renewable; no secret on the page"
        )

    def authorization_code(self) -> None:
        walk = self.walk
        self.new_store(INSTALLED_SHOP, AUTHORIZATION_CODE, "13-authorization-code")
        walk.click(walk.group_item("Shopify", "Install on Shopify"))
        walk.wait.until(lambda d: "/admin/oauth/authorize" in d.current_url)
        heading = walk.css("h1").text
        assert INSTALLED_SHOP in heading, heading
        scopes = walk.css("#scopes").text
        for scope in ("read_inventory", "write_inventory", "read_products", "read_locations"):
            assert scope in scopes, scopes
        walk.shot("14-approve-on-shopify")
        walk.step(f"Install on Shopify: the approval page asks for {scopes}")
        # Install: Shopify's redirect to the site's callback (code, hmac, shop, state,
        # timestamp), which checks it, keeps the token and sends the admin to the store.
        walk.click(walk.css("#install"))
        walk.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        walk.wait.until(lambda d: d.execute_script("return !!(window.frappe && frappe.boot)"))
        self.wait_for_store(INSTALLED_SHOP)
        expires = self.test_connection("Authorization code", "15-installed-test-connection")
        self.assert_no_secret()
        walk.step(
            f"authorization code: approved, the callback connected {INSTALLED_SHOP}; token expires "
            f"{expires}, renewable; no secret on the page"
        )
