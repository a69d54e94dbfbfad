"""Setting a store up as docs/frappe.md tells an admin: a new Shopify Store pointed at the
emulator, Test Connection, Fetch Locations and a warehouse mapped by the location's name."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from walk import Walk


def login_admin(walk: Walk) -> None:
    walk.login("Administrator", walk.args.admin_password)


def create_store(walk: Walk) -> None:
    domain = walk.args.shop
    walk.goto("/app/shopify-store/new")
    walk.css(".frappe-control[data-fieldname='shop_domain'] input").send_keys(domain)
    # The walkthrough's emulator takes a pasted token: choose that way of connecting first
    # (the form shows the token field only then; new stores default to client credentials).
    Select(walk.css(".frappe-control[data-fieldname='auth_method'] select")).select_by_value(
        "Access token (app created before 2026)"
    )
    walk.css(".frappe-control[data-fieldname='access_token'] input").send_keys(walk.args.token)
    walk.shot("01-new-store")
    walk.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "s")
    # The saved form's route: /app/... on Frappe 15, /desk/... on 16.
    walk.wait.until(
        lambda d: d.current_url.rstrip("/").endswith(
            ("/app/shopify-store/" + domain, "/desk/shopify-store/" + domain)
        )
    )
    walk.button("Sync Inventory")
    api = walk.field_value("api_version")
    assert api == walk.args.newest_version, f"API version defaults to {api!r}"
    walk.step(f"store {domain} created; API version defaults to {api}")


def test_connection(walk: Walk) -> None:
    walk.click(lambda: walk.group_item("Shopify", "Test Connection"))
    walk.wait.until(lambda d: "Connected to Shopify" in walk.modal().text or "problems" in walk.modal().text)
    text = walk.text(walk.modal)
    assert "Connected to Shopify" in text, text
    assert "Emulated Shop" in text and "write_inventory" in text, text
    walk.shot("02-test-connection")
    walk.close_modal()
    walk.step("Test Connection: shop, plan, scopes and version shown, nothing missing")


def map_warehouse(walk: Walk) -> None:
    walk.click(lambda: walk.group_item("Shopify", "Fetch Locations"))
    walk.wait.until(lambda d: "Location 2" in walk.modal().text)
    assert "inactive" in walk.text(walk.modal).lower(), "the inactive location is not marked"
    # The grid re-renders its row while it is edited: find things from the dialog each time.
    row_css = ".modal.show .frappe-control[data-fieldname='mappings'] .grid-body .grid-row"
    walk.click(lambda: walk.css(f"{row_css} [data-fieldname='warehouse']"))
    warehouse_input = f"{row_css} [data-fieldname='warehouse'] input"
    walk.click(lambda: walk.css(warehouse_input))
    walk.css(warehouse_input).send_keys(walk.args.warehouse)
    walk.click(
        lambda: walk.wait.until(
            lambda d: next(
                (
                    li
                    for li in d.find_elements(By.XPATH, "//ul[@role='listbox']/*[@role='option']")
                    if li.is_displayed() and walk.args.warehouse in li.get_attribute("textContent")
                ),
                None,
            )
        )
    )
    walk.click(lambda: walk.css(f"{row_css} [data-fieldname='location']"))
    Select(walk.css(f"{row_css} [data-fieldname='location'] select")).select_by_visible_text("Location 1")
    walk.shot("03-map-warehouse")
    walk.click(lambda: walk.css(".modal.show .modal-footer .btn-primary"))
    walk.wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, ".modal.show")))
    walk.wait.until(
        lambda d: (
            d.execute_script(
                "return cur_frm && !cur_frm.is_dirty() && (cur_frm.doc.locations||[]).length === 1"
                " && cur_frm.doc.locations[0].shopify_location_id"
            )
            == "gid://shopify/Location/1"
        )
    )
    walk.step(f"Fetch Locations: {walk.args.warehouse} mapped to 'Location 1' by name, saved")


STEPS = [
    ("login", login_admin),
    ("create-store", create_store),
    ("test-connection", test_connection),
    ("map-warehouse", map_warehouse),
]
