"""A sync as the admin watches it (progress dialog, end alert), its log and the log list, and
the kill switch's message."""

from __future__ import annotations

from walk import Walk


def sync(walk: Walk) -> None:
    walk.sync_button()
    progress = walk.text(
        lambda: walk.xpath(
            "//div[contains(@class,'modal') and contains(@class,'show')]//*[contains(text(),'Syncing inventory to Shopify')]"
        )
    )
    walk.shot("04-progress")
    walk.step(f"progress dialog: {progress!r}")
    alert = walk.text(
        lambda: walk.xpath("//div[@id='alert-container']//*[contains(.,'Inventory sync Success')]")
    )
    walk.shot("05-end-alert")
    walk.step(f"end alert: {alert.strip()!r}")


def read_log(walk: Walk) -> None:
    walk.wait.until(lambda d: d.execute_script("return !!(window.cur_frm && cur_frm.doc.last_log)"))
    log = walk.driver.execute_script("return cur_frm.doc.last_log")
    walk.goto(f"/app/shopify-log/{log}")
    walk.css(".frappe-control[data-fieldname='pushed']", visible=False)
    counts = {
        f: walk.field_value(f) for f in ("status", "considered", "pushed", "failed", "skipped_unmapped")
    }
    # The store's catalog has items Shopify does not sell: a state, not a failure. The run is a
    # Success, they are counted apart and said on a line of their own in Warnings.
    assert counts["status"] == "Success", counts
    assert counts["pushed"] == str(walk.args.items), counts
    assert counts["failed"] == "0", counts
    assert counts["skipped_unmapped"] == str(walk.args.offline_items), counts
    warnings = walk.driver.execute_script("return cur_frm.doc.warnings || ''").splitlines()
    assert "Shopify does not" in walk.field_value("warnings"), "the Warnings field is not shown"
    line = [w for w in warnings if "Shopify does not" in w]
    assert line and line[0].startswith(f"{walk.args.offline_items} rows are items ERPNext has"), warnings
    save_visible = walk.driver.execute_script(
        "return $('.page-actions .primary-action:visible').filter((i, b) => $(b).text().trim() === 'Save').length"
    )
    assert save_visible == 0, "the log offers Save"
    walk.shot("06-log")
    walk.step(f"log {log}: {counts}; not on Shopify on its own line: {line[0][:60]!r}...; no Save button")


def log_list(walk: Walk) -> None:
    walk.goto(f"/app/shopify-log?shopify_store={walk.args.shop}&status=Success")
    pill = walk.css(".list-row-container .indicator-pill")
    classes = pill.get_attribute("class")
    assert pill.text.strip() == "Success" and "green" in classes, (pill.text, classes)
    filters = walk.driver.execute_script("return cur_list.filter_area.get().map((f) => f[1] + ' ' + f[3])")
    assert sorted(filters) == sorted([f"shopify_store {walk.args.shop}", "status Success"]), filters
    walk.shot("06b-log-list")
    walk.step(f"log list filtered by {filters}: a green 'Success' pill")


def kill_switch(walk: Walk) -> None:
    # A test bench only: the walk sets the list to this shop alone, then empties it.
    walk.bench_config([walk.args.shop])
    try:
        walk.goto(f"/app/shopify-store/{walk.args.shop}")
        walk.sync_button()
        alert = walk.text(lambda: walk.xpath("//div[@id='alert-container']//*[contains(.,'switched off')]"))
        walk.shot("09-kill-switch")
        walk.step(f"kill switch: {alert.strip()!r}")
    finally:
        walk.bench_config([])


STEPS = [("sync", sync), ("read-log", read_log), ("log-list", log_list)]
