"""inventorySetQuantities as Shopify applies it: input checks, per-row userErrors with their
field paths, compare-and-set (changeFromQuantity from 2026-04, compareQuantity before), and
all-or-nothing application (or good rows only, for a shop emulating partial application)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog, gid, parse_gid
from .views import InventoryItem, Location

# Shopify's documented reasons for inventory changes.
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
SETTABLE_NAMES = ("available", "on_hand")
MAX_QUANTITY = 1_000_000_000
# "A valid URI with scheme and content": gid://app/Type/id, https://..., custom-scheme://...
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


@dataclass
class SetOutcome:
    payload: dict  # {"inventoryAdjustmentGroup": ..., "userErrors": [...]}
    rows_written: int = 0
    changes: int = 0
    user_errors: list[dict] = field(default_factory=list)


def user_error(code: str, message: str, *path: Any) -> dict:
    return {"code": code, "field": [str(p) for p in path] if path else None, "message": message}


def _row_error(index: int, code: str, message: str, input_field: str) -> dict:
    return user_error(code, message, "input", "quantities", index, input_field)


def _check_input(data: dict) -> list[dict]:
    errors = []
    if data.get("name") not in SETTABLE_NAMES:
        errors.append(
            user_error(
                "INVALID_NAME", "The quantity name must be either 'available' or 'on_hand'.", "input", "name"
            )
        )
    if data.get("reason") not in REASONS:
        errors.append(
            user_error(
                "INVALID_REASON",
                f"The specified reason is invalid. Valid values are: {', '.join(sorted(REASONS))}.",
                "input",
                "reason",
            )
        )
    uri = data.get("referenceDocumentUri")
    if uri is not None and not _URI.match(uri):
        errors.append(
            user_error(
                "INVALID_REFERENCE_DOCUMENT",
                "The reference document URI must be a valid URI with a scheme and content.",
                "input",
                "referenceDocumentUri",
            )
        )
    return errors


def set_quantities(
    catalog: Catalog,
    data: dict,
    *,
    change_from_era: bool,
    partial_apply: bool,
    group_number: int,
    created_at: str,
) -> SetOutcome:
    """Check and (if accepted) write one inventorySetQuantities input. The caller holds the
    catalog lock, so a batch is written as one step."""
    errors = _check_input(data)
    if errors:
        return SetOutcome({"inventoryAdjustmentGroup": None, "userErrors": errors}, user_errors=errors)

    compare_required = not change_from_era and not data.get("ignoreCompareQuantity")
    good: list[tuple[int, int, int, int]] = []  # (row, loc, quantity, current)
    seen: set[tuple[int, int]] = set()
    for index, quantity_input in enumerate(data.get("quantities") or []):
        row, loc, current = _target(catalog, data, quantity_input)
        quantity = quantity_input.get("quantity")
        error = _target_error(catalog, data, index, (row, loc, current), quantity, seen) or _compare_error(
            index, quantity_input, current, change_from_era=change_from_era, compare_required=compare_required
        )
        if row is not None and loc is not None:
            seen.add((row, loc))
        if error is not None:
            errors.append(error)
        else:
            good.append((row, loc, quantity, current))

    if errors and not partial_apply:
        return SetOutcome({"inventoryAdjustmentGroup": None, "userErrors": errors}, user_errors=errors)
    group, changes = _write(catalog, data, good, group_number, created_at)
    return SetOutcome(
        {"inventoryAdjustmentGroup": group, "userErrors": errors},
        rows_written=len(good),
        changes=changes,
        user_errors=errors,
    )


def _target(catalog: Catalog, data: dict, quantity_input: dict) -> tuple[int | None, int | None, int | None]:
    """The row and location a quantity names, and the current figure of the named quantity
    there (None where either is unknown or the item is not stocked there)."""
    item = parse_gid(quantity_input.get("inventoryItemId"))
    location = parse_gid(quantity_input.get("locationId"))
    row = catalog.item_row(item[1]) if item and item[0] == "InventoryItem" else None
    loc = catalog.location_row(location[1]) if location and location[0] == "Location" else None
    # Compare-and-set and the write both act on the named quantity. Documented: `name`
    # is available or on_hand, and available = on_hand - committed - reserved - ...
    # (Shopify's inventory states); changeFromQuantity is "the quantity currently expected
    # at this location" (admin_2026-07). That it is compared with the NAMED quantity is our
    # reading (a guess the simulation depends on for on_hand mode).
    on_hand = data.get("name") == "on_hand"
    if row is None or loc is None:
        return row, loc, None
    return row, loc, (catalog.on_hand(row, loc) if on_hand else catalog.level(row, loc))


def _target_error(
    catalog: Catalog,
    data: dict,
    index: int,
    target: tuple[int | None, int | None, int | None],
    quantity: Any,
    seen: set[tuple[int, int]],
) -> dict | None:
    """What is wrong with the item, the location or the figure, checked in Shopify's order."""
    row, loc, current = target
    if row is None:
        return _row_error(
            index,
            "INVALID_INVENTORY_ITEM",
            "The specified inventory item could not be found.",
            "inventoryItemId",
        )
    if catalog.requires_components(row):
        # Shopify's wording for the code (InventorySetQuantitiesUserErrorCode, 2026-07).
        return _row_error(
            index,
            "NON_MUTABLE_INVENTORY_ITEM",
            "The specified inventory item is not allowed to be adjusted via API. Example: if the inventory item is a parent bundle.",
            "inventoryItemId",
        )
    if loc is None:
        return _row_error(
            index, "INVALID_LOCATION", "The specified location could not be found.", "locationId"
        )
    if current is None:
        return _row_error(
            index,
            "ITEM_NOT_STOCKED_AT_LOCATION",
            "The specified inventory item is not stocked at the location.",
            "locationId",
        )
    if quantity < 0:
        return _row_error(index, "INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.", "quantity")
    if quantity + (catalog.committed(row, loc) if data.get("name") == "available" else 0) > MAX_QUANTITY:
        # The limit is on the item's total at the location, not on the figure sent: setting
        # `available` also moves on_hand (available + committed). The code and its message
        # are documented (InventorySetQuantitiesUserErrorCode); that it applies to the total
        # is our reading of "quantity can't be higher" for the quantity the change produces.
        return _row_error(
            index,
            "INVALID_QUANTITY_TOO_HIGH",
            f"The quantity can't be higher than {MAX_QUANTITY:,}.",
            "quantity",
        )
    if (row, loc) in seen:
        return _row_error(
            index,
            "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
            "The combination of inventoryItemId and locationId must be unique.",
            "locationId",
        )
    return None


def _compare_error(
    index: int, quantity_input: dict, current: int | None, *, change_from_era: bool, compare_required: bool
) -> dict | None:
    """The compare-and-set check: changeFromQuantity (2026-04 on) or compareQuantity (before)."""
    if change_from_era:
        expected = quantity_input.get("changeFromQuantity")
        if expected is not None and expected != current:
            return _row_error(
                index,
                "CHANGE_FROM_QUANTITY_STALE",
                "The changeFromQuantity value does not match the current quantity.",
                "changeFromQuantity",
            )
    elif compare_required:
        expected = quantity_input.get("compareQuantity")
        if expected is None:
            return _row_error(
                index,
                "COMPARE_QUANTITY_REQUIRED",
                "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.",
                "compareQuantity",
            )
        if expected != current:
            return _row_error(
                index,
                "COMPARE_QUANTITY_STALE",
                "The compareQuantity value does not match persisted value.",
                "compareQuantity",
            )
    return None


def _write(
    catalog: Catalog, data: dict, good: list[tuple[int, int, int, int]], group_number: int, created_at: str
) -> tuple[dict | None, int]:
    """Write the accepted rows; the adjustment group of those that changed (None when none
    did) and how many changed."""
    changes = []
    for row, loc, quantity, current in good:
        # Setting on_hand keeps committed: available becomes the new on_hand minus it (and may
        # go below 0, as Shopify's does when on_hand is set under the committed units).
        written = quantity - catalog.committed(row, loc) if data["name"] == "on_hand" else quantity
        catalog.write_level(row, loc, written)
        if catalog.write_listener is not None:
            catalog.write_listener(row, loc, written, data.get("referenceDocumentUri"))
        if quantity != current:
            changes.append(
                {
                    "__typename": "InventoryChange",
                    "name": data["name"],
                    "delta": quantity - current,
                    "quantityAfterChange": quantity,
                    "item": InventoryItem(catalog, row),
                    "location": Location(catalog, loc),
                }
            )
    if not changes:
        return None, 0
    group = {
        "__typename": "InventoryAdjustmentGroup",
        "id": gid("InventoryAdjustmentGroup", group_number),
        "createdAt": created_at,
        "reason": data["reason"],
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "changes": changes,
    }
    return group, len(changes)
