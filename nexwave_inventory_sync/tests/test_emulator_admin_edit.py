"""emulator/admin_edit.py: a level changed "in Shopify admin" on a running emulator, by SKU
and location name, through the shop's GraphQL API, as docs/frappe.md tells an admin to."""

import contextlib
import io

import pytest

from nexwave_inventory_sync.emulator import Catalog, Emulator
from nexwave_inventory_sync.emulator.admin_edit import AdminEditError, main, set_available

TOKEN = "shpat_admin_edit"


@pytest.fixture
def shop():
    catalog = Catalog.generate(3, 2)
    with Emulator(catalog, access_token=TOKEN) as emulator:
        yield emulator, catalog


def test_sets_available_by_sku_and_location_name(shop):
    emulator, catalog = shop
    item, other = (
        next(v for v in catalog.variants if v["sku"] == sku) for sku in ("SKU-000002", "SKU-000001")
    )
    location = "gid://shopify/Location/2"
    before = catalog.available(item["inventory_item_id"], location)
    untouched = [catalog.available(other["inventory_item_id"], location)]
    untouched.append(catalog.available(item["inventory_item_id"], "gid://shopify/Location/1"))
    edit = set_available(emulator.base_url, TOKEN, "SKU-000002", "Location 2", before + 7)
    assert (edit.before, edit.after, edit.location) == (before, before + 7, "Location 2")
    assert catalog.available(item["inventory_item_id"], location) == before + 7
    # The other item and the other location are untouched.
    assert [
        catalog.available(other["inventory_item_id"], location),
        catalog.available(item["inventory_item_id"], "gid://shopify/Location/1"),
    ] == untouched


def test_the_command_prints_the_change_and_fails_in_words(shop):
    emulator, catalog = shop
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["--url", emulator.base_url, "--token", TOKEN, "SKU-000001", "1", "0"]) == 0
        assert main(["--url", emulator.base_url, "--token", TOKEN, "SKU-999999", "1", "4"]) == 1
        assert main(["--url", emulator.base_url, "--token", "wrong", "SKU-000001", "1", "4"]) == 1
    assert out.getvalue().startswith("SKU-000001 at Location 1: available ")
    assert out.getvalue().rstrip().endswith("-> 0")
    assert "no variant with SKU 'SKU-999999'" in err.getvalue()
    assert "did not answer" in err.getvalue()  # a 401 for the wrong token, said as such


def test_an_unknown_location_names_the_shops_locations(shop):
    emulator, _ = shop
    with pytest.raises(AdminEditError, match="no location 'Depot' on the shop .*'Location 1'"):
        set_available(emulator.base_url, TOKEN, "SKU-000001", "Depot", 3)
