"""Who sees what: a user without write permission on the store sees no Sync or Shopify button."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By
from walk import Walk


def viewer_sees_no_button(walk: Walk) -> None:
    walk.login(walk.args.viewer, walk.args.viewer_password)
    walk.goto(f"/app/shopify-store/{walk.args.shop}")
    walk.css(".frappe-control[data-fieldname='shop_domain']", visible=False)
    time.sleep(1)  # let refresh() add whatever buttons it would
    labels = walk.wait.until(
        lambda d: [
            b.text.strip()
            for b in d.find_elements(By.CSS_SELECTOR, ".page-actions button, .inner-group-button button")
        ]
    )
    for forbidden in ("Sync Inventory", "Shopify"):
        assert forbidden not in labels, labels
    walk.shot("10-read-only-user")
    walk.step(f"read-only user sees buttons {[x for x in labels if x]} and no Sync/Shopify")


STEPS = [("viewer", viewer_sees_no_button)]
