"""Change a level as a merchant does in Shopify admin, on a running emulator (or any shop the
token may write to): the variant found by SKU, the location by name or number, `available`
set with inventorySetQuantities (reason "correction") through the shop's own GraphQL API.
The docs' way to see what a sync or a reconciliation does with an edit made on Shopify:

    python -m nexwave_inventory_sync.emulator.admin_edit --url http://127.0.0.1:18090 \\
        --token shpat_desk_demo_token SKU-000001 "Location 1" 5

Standard library only, and nothing from sync/: the emulator checks that client, it does not
share its code."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
import uuid
from dataclasses import dataclass

# The request shape of 2026-04 and later (@idempotent, changeFromQuantity): the same in every
# version since, so one fixed version serves as long as Shopify (and the emulator) serve it.
API_VERSION = "2026-04"

_FIND = """
query AdminEditFind($query: String!) {
  productVariants(first: 2, query: $query) { nodes { sku inventoryItem { id } } }
  locations(first: 250) { nodes { id name } }
}
"""
_LEVEL = """
query AdminEditLevel($id: ID!, $locationId: ID!) {
  inventoryItem(id: $id) {
    inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { quantity } }
  }
}
"""
_SET = """
mutation AdminEditSet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    userErrors { field message code }
  }
}
"""


class AdminEditError(Exception):
    """What the edit could not do, in words."""


@dataclass(frozen=True)
class LevelEdit:
    sku: str
    location: str
    before: int | None  # None: the item was not stocked there
    after: int


def _call(url: str, token: str, document: str, variables: dict) -> dict:
    request = urllib.request.Request(
        f"{url.rstrip('/')}/admin/api/{API_VERSION}/graphql.json",
        data=json.dumps({"query": document, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "X-Shopify-Access-Token": token},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = json.loads(answer.read())
    except OSError as error:  # URLError, HTTPError (a 401 for a wrong token), refused
        raise AdminEditError(f"the shop at {url} did not answer: {error}") from None
    if body.get("errors"):
        raise AdminEditError(f"the shop refused the request: {body['errors']}")
    return body["data"]


def _location_id(locations: list[dict], wanted: str) -> tuple[str, str]:
    for location in locations:
        number = location["id"].rsplit("/", 1)[-1]
        if wanted in (location["name"], number, location["id"]):
            return location["id"], location["name"]
    names = ", ".join(repr(location["name"]) for location in locations)
    raise AdminEditError(f"no location {wanted!r} on the shop (it has {names})")


def set_available(url: str, token: str, sku: str, location: str, quantity: int) -> LevelEdit:
    """Sets `available` of the variant with this SKU at the location; what it was and is."""
    if quantity < 0:
        raise AdminEditError("a level set in Shopify admin is 0 or more")
    found = _call(url, token, _FIND, {"query": f"sku:{sku}"})
    variants = [v for v in found["productVariants"]["nodes"] if v["sku"] == sku]
    if len(variants) != 1:
        raise AdminEditError(
            f"no variant with SKU {sku!r} on the shop"
            if not variants
            else f"{len(variants)} variants have SKU {sku!r}"
        )
    item_id = variants[0]["inventoryItem"]["id"]
    location_id, location_name = _location_id(found["locations"]["nodes"], location)
    level = _call(url, token, _LEVEL, {"id": item_id, "locationId": location_id})
    stocked = (level.get("inventoryItem") or {}).get("inventoryLevel")
    before = stocked["quantities"][0]["quantity"] if stocked else None
    change = {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": item_id,
                "locationId": location_id,
                "quantity": quantity,
                "changeFromQuantity": None,
            }
        ],
    }
    answer = _call(url, token, _SET, {"input": change, "key": str(uuid.uuid4())})
    errors = answer["inventorySetQuantities"]["userErrors"]
    if errors:
        raise AdminEditError("; ".join(error["message"] for error in errors))
    return LevelEdit(sku, location_name, before, quantity)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nexwave_inventory_sync.emulator.admin_edit",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--url", required=True, help="the shop, e.g. http://127.0.0.1:18090")
    parser.add_argument("--token", required=True, help="the access token the emulator was started with")
    parser.add_argument("sku")
    parser.add_argument("location", help="the location's name or number (e.g. 'Location 1' or 1)")
    parser.add_argument("available", type=int)
    args = parser.parse_args(argv)
    try:
        edit = set_available(args.url, args.token, args.sku, args.location, args.available)
    except AdminEditError as error:
        print(f"admin_edit: {error}", file=sys.stderr)
        return 1
    before = "not stocked" if edit.before is None else edit.before
    print(f"{edit.sku} at {edit.location}: available {before} -> {edit.after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
