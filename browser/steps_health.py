"""The store's health (indicator, Recent Runs chart, next run) and the Shopify Inventory
workspace's number cards."""

from __future__ import annotations

import re
import time

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from walk import Walk


def no_horizontal_scrollbar(walk: Walk) -> None:
    """Nothing on the page is wider than the window; names the first few that are."""
    page_width, window_width, wide = walk.driver.execute_script(
        """const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > width + 1)
            .slice(0, 8)
            .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)} in ${
                e.parentElement.outerHTML.slice(0, 200)}`);
        return [document.documentElement.scrollWidth, width, wide];"""
    )
    assert page_width <= window_width, (page_width, window_width, wide)


def list_names(walk: Walk, doctype: str) -> list[str]:
    """The names in the list view of this doctype once it is the current one, else []."""
    return walk.driver.execute_script(
        "return window.cur_list && cur_list.doctype === arguments[0] && cur_list.data"
        " ? cur_list.data.map((r) => r.name) : []",
        doctype,
    )


def store_health(walk: Walk) -> None:
    walk.goto(f"/app/shopify-store/{walk.args.shop}")
    indicator = walk.text(lambda: walk.css(".page-head .indicator-pill")).strip()
    assert indicator == "Healthy", indicator
    chart = walk.css(".shopify-runs-chart svg")
    walk.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", chart)
    time.sleep(1.5)  # frappe-charts grows its bars from zero: let the animation end
    next_run = walk.text(lambda: walk.css(".shopify-next-run"))
    assert "Next scheduled run" in next_run, next_run
    # Items not on Shopify: a note with a link, the badge stays Healthy (asserted above).
    note = walk.text(lambda: walk.css(".shopify-not-on-shopify"))
    assert note.startswith(f"{walk.args.offline_items} items are not on Shopify"), note
    walk.shot("07-store-health")
    no_horizontal_scrollbar(walk)
    walk.click(lambda: walk.css(".shopify-not-on-shopify-list"))
    expected = sorted(walk.args.offline_item_codes)
    try:  # the Item list, once its filtered rows are in
        walk.wait.until(lambda d: sorted(list_names(walk, "Item")) == expected)
    except TimeoutException:
        raise AssertionError(f"the note's link lists {list_names(walk, 'Item')}, not {expected}") from None
    listed = expected
    walk.step(
        f"store indicator {indicator!r} with the note {note!r} (its link lists {listed}); chart drawn; "
        f"{next_run!r}; no horizontal scrollbar"
    )


def number_cards(walk: Walk) -> list[str]:
    """The workspace's number cards once each shows its figure."""
    walk.goto("/app/shopify-inventory")
    walk.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".widget.number-widget-box")) >= 3)
    walk.wait.until(
        lambda d: all(
            re.search(r"\d\s*$", w.text)
            for w in d.find_elements(By.CSS_SELECTOR, ".widget.number-widget-box")
        )
    )
    try:  # the chart is for the eye only: give it a moment to draw
        WebDriverWait(walk.driver, 10).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".widget.dashboard-widget-box svg")
        )
    except TimeoutException:
        pass
    return walk.wait.until(
        lambda d: [
            w.text.replace("\n", " ") for w in d.find_elements(By.CSS_SELECTOR, ".widget.number-widget-box")
        ]
    )


def runs_chart_legend(walk: Walk) -> list[str]:
    """The fill of each legend dot of the workspace's runs chart, in order."""
    return walk.driver.execute_script(
        """const chart = [...document.querySelectorAll(".widget.dashboard-widget-box")]
            .find((w) => w.textContent.includes("Shopify Runs by Status"));
        return chart ? [...chart.querySelectorAll("rect.legend-dot")].map((r) => r.getAttribute("fill")) : [];"""
    )


def workspace(walk: Walk) -> None:
    cards = number_cards(walk)
    # The donut's slices in the chart's own colours (the Shopify Log list's, checked by
    # test_shopify_runs_by_status), as frappe-charts drew them.
    configured = walk.driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        frappe.db.get_value("Dashboard Chart", "Shopify Runs by Status", "custom_options")
            .then((r) => done(JSON.parse(r.message.custom_options).colors));"""
    )
    walk.wait.until(lambda d: len(runs_chart_legend(walk)) == len(configured))
    drawn = [fill.lower() for fill in runs_chart_legend(walk)]
    assert drawn == [colour.lower() for colour in configured], (drawn, configured)
    walk.shot("08-workspace")
    walk.step(f"workspace number cards: {cards}; runs chart drawn in {drawn}")


def desktop(walk: Walk) -> None:
    """Frappe 16's desktop: the app's own icon opens the workspace, whose sidebar shows it too."""
    if walk.driver.execute_script("return parseInt(frappe.boot.versions.frappe)") < 16:
        walk.step("desktop: Frappe 15 has none (the workspace is in the sidebar)")
        return
    walk.goto("/desk")
    icon = ".desktop-icon[data-id='Shopify Inventory']"
    image = walk.css(f"{icon} img.app-icon").get_attribute("src")
    assert "/assets/nexwave_inventory_sync/" in image, image
    loaded = walk.driver.execute_script(
        "const i = document.querySelector(arguments[0]); return i.complete && i.naturalWidth > 0",
        f"{icon} img.app-icon",
    )
    assert loaded, f"the icon {image} did not load"
    walk.shot("08a-desktop")
    walk.click(lambda: walk.css(icon))
    walk.wait.until(lambda d: d.current_url.rstrip("/").endswith("/shopify-inventory"))
    header = walk.css(".sidebar-header img").get_attribute("src")
    assert "/assets/nexwave_inventory_sync/" in header, header
    walk.step(
        f"desktop: the app's icon ({image.rsplit('/', 1)[-1]}) opens the workspace; its sidebar shows it"
    )


STEPS = [("store-health", store_health), ("workspace", workspace), ("desktop", desktop)]
