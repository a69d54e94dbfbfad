"""Who sees what: a Shopify Manager (that role alone) sees the whole workspace and the store; a
user without write permission on the store sees no Sync or Shopify button."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By
from steps_health import list_names, number_cards
from walk import Walk


def manager_sees_workspace(walk: Walk) -> None:
    walk.login(walk.args.manager, walk.args.manager_password)
    cards = number_cards(walk)
    assert len(cards) >= 3, cards
    chart = walk.css(".widget.dashboard-widget-box")
    assert "Shopify Runs by Status" in chart.text, chart.text
    walk.shot("11-shopify-manager")
    walk.goto("/app/shopify-store")
    walk.wait.until(lambda d: walk.args.shop in list_names(walk, "Shopify Store"))
    walk.step(f"Shopify Manager sees the workspace's cards {cards}, the runs chart and the store")


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


STEPS = [("shopify-manager", manager_sees_workspace), ("viewer", viewer_sees_no_button)]
