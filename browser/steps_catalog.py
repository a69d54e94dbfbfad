"""The walkthrough's catalog steps (issue 18), after the main walk synced the demo store:

* the Item form says the item's Shopify state per store, in words (pushed: figure, when, which
  run), with its log linked;
* Push this item now queues one run of the store for that item, which leaves a Shopify Log
  naming the item;
* with a few items moved in ERPNext, Preview Next Sync lists the rows the next run would send
  (ERPNext's, the confirmed and Shopify's figures) and says nothing was sent.

Screenshots 16-18 go to docs/screens/. `run(walk)` takes a fresh Walk (browser/
desk_walkthrough.py) and closes its browser."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from steps_connect import CC_SHOP, FIXTURES, INSTALLED_SHOP
from steps_runner import bench_execute, run_steps

ITEM = "SKU-000001"  # the demo's items are the emulated shop's SKUs (testing/desk_demo.py)
MOVED = {"SKU-000002": 4, "SKU-000003": 2, "SKU-000004": 5}  # receipts: a walk run again never runs out


def run(walk) -> None:
    steps = CatalogSteps(walk)
    run_steps(
        walk,
        (
            ("catalog-login", lambda: walk.login("Administrator", walk.args.admin_password)),
            ("catalog-prepare", steps.prepare),
            ("item-state", steps.item_state),
            ("push-item-now", steps.push_item_now),
            ("preview", steps.preview),
        ),
    )


class CatalogSteps:
    def __init__(self, walk):
        self.walk = walk
        self.args = walk.args

    def prepare(self) -> None:
        # Stores an earlier walk's connect steps left would add their rows to the Item form.
        bench_execute(
            self.walk,
            f"{FIXTURES}.prepare",
            domains=[CC_SHOP, INSTALLED_SHOP],
            like=self.args.shop,
            remove_only=True,
        )

    def state_rows(self) -> dict[str, list[str]]:
        walk = self.walk
        walk.css(".shopify-item-states", visible=False)
        # Frappe 16 keeps the form's dashboard on a tab of its own: open it.
        walk.driver.execute_script(
            """const pane = $(".shopify-item-states").closest(".tab-pane");
            const id = pane.attr("id");
            if (pane.length && !pane.is(":visible")) $(`[href="#${id}"], [aria-controls="${id}"]`).first().click();"""
        )
        table = walk.css(".shopify-item-states")
        return {
            cells[0]: cells[1:]
            for cells in (
                [td.text.strip() for td in row.find_elements(By.CSS_SELECTOR, "td")]
                for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
            )
        }

    def item_state(self) -> None:
        walk = self.walk
        walk.goto(f"/app/item/{ITEM}")
        rows = self.state_rows()
        assert self.args.shop in rows, rows
        state, why = rows[self.args.shop]
        assert state == "Pushed", (state, why)
        assert why.startswith("Pushed: ") and "SLOG-" in why, why
        walk.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'});", walk.css(".shopify-item-states")
        )
        walk.shot("16-item-shopify-state")
        walk.step(f"Item {ITEM}: {state!r} in {self.args.shop}: {why!r}")

    def push_item_now(self) -> None:
        walk = self.walk
        # One button per store the user may write (named after the store when there are several).
        several = len(self.state_rows()) > 1
        label = f"Push this item now to {self.args.shop}" if several else "Push this item now"
        walk.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'});", walk.css(".shopify-item-states")
        )
        walk.click(walk.group_item("Shopify", label))
        alert = walk.xpath("//div[@id='alert-container']//*[contains(.,'queued')]")
        text = alert.text.strip()
        assert ITEM in text and self.args.shop in text, text
        walk.shot("17-push-item-now")
        walk.driver.set_script_timeout(walk.args.timeout)
        log = walk.wait.until(
            lambda d: d.execute_async_script(
                """const [store, item, done] = arguments;
                frappe.db.get_list("Shopify Log", {
                    filters: {shopify_store: store, stock_read: ["like", `%${item}%`], status: ["!=", "Running"]},
                    fields: ["name", "status", "stock_read"], order_by: "creation desc", limit: 1,
                }).then((rows) => done(rows[0] || null), () => done(null));""",
                self.args.shop,
                ITEM,
            )
        )
        assert log["status"] == "Success", log
        walk.step(f"Push this item now: {text!r}; the run left {log['name']} ({log['stock_read']!r})")

    def preview(self) -> None:
        walk = self.walk
        bench_execute(
            walk,
            f"{FIXTURES}.move_stock",
            warehouse=self.args.warehouse,
            moves=MOVED,
            hold_fast_path_of=self.args.shop,
        )
        walk.goto(f"/app/shopify-store/{self.args.shop}")
        walk.button("Sync Inventory")
        walk.click(walk.group_item("Shopify", "Preview Next Sync"))
        dialog = walk.modal()
        walk.wait.until(lambda d: "would be sent" in dialog.text)
        title = dialog.find_element(By.CSS_SELECTOR, ".modal-title").text
        assert title.startswith(f"Next sync: {len(MOVED)} rows would be sent"), title
        assert "nothing was sent" in dialog.text, dialog.text
        rows = {
            cells[0]: cells
            for cells in (
                [td.text.strip() for td in row.find_elements(By.CSS_SELECTOR, "td")]
                for row in dialog.find_elements(By.CSS_SELECTOR, "table.shopify-preview tbody tr")
            )
        }
        assert set(rows) == set(MOVED), rows
        action, erpnext, confirmed, shopify = rows["SKU-000002"][3:7]
        assert action == "change", rows["SKU-000002"]
        assert int(erpnext) == int(confirmed) + MOVED["SKU-000002"], rows["SKU-000002"]
        assert shopify == confirmed, rows["SKU-000002"]
        walk.shot("18-preview-next-sync")
        walk.close_modal()
        walk.step(
            f"Preview Next Sync: {title!r}; {len(rows)} rows with ERPNext's, the confirmed and Shopify's figures"
        )
