"""The quantity rule: what an ERPNext stock figure becomes as a Shopify `available` number.
This is its only home; the Frappe side and the CLI both call it."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from .errors import EngineError, ErrorKind

if TYPE_CHECKING:  # results imports nothing from here; the name is for annotations only
    from .results import StockRow

# Shopify answers INVALID_QUANTITY_TOO_HIGH above this; refusing locally names the row.
MAX_QUANTITY = 1_000_000_000
# ERPNext stores stock as floats (4.9999999 for 5 after some arithmetic); round to this many
# places before flooring so float noise never costs a whole unit.
_FLOAT_NOISE_PLACES = 6


class QuantityError(EngineError, ValueError):
    """A stock figure that cannot be pushed; `code` names why, for the row's failure."""

    kind = ErrorKind.INVALID_QUANTITY

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def shopify_quantity(stock: float | int | Decimal | str, safety_buffer: float = 0) -> int:
    """Floor fractional stock, hold back the safety buffer, clamp below zero to 0 (Shopify
    would refuse a negative and a merchant never wants one shown), refuse absurd values."""
    try:
        value = Decimal(str(stock)) - Decimal(str(safety_buffer or 0))
    except ArithmeticError:
        raise QuantityError("INVALID_QUANTITY", f"{stock!r} is not a number") from None
    if not value.is_finite():
        raise QuantityError("INVALID_QUANTITY", f"{stock!r} is not a finite number")
    # Compare before rounding: round() of a Decimal with more digits than the context's 28
    # (1e22 and up) raises InvalidOperation, which once crashed the whole run.
    if value >= MAX_QUANTITY + 1:
        raise QuantityError(
            "INVALID_QUANTITY_TOO_HIGH", f"quantity {stock} is above Shopify's maximum of {MAX_QUANTITY:,}"
        )
    if value <= 0:
        return 0
    try:
        whole = math.floor(round(value, _FLOAT_NOISE_PLACES))
    except ArithmeticError:
        raise QuantityError("INVALID_QUANTITY", f"{stock!r} cannot be rounded to a whole number") from None
    if whole > MAX_QUANTITY:
        raise QuantityError(
            "INVALID_QUANTITY_TOO_HIGH", f"quantity {whole} is above Shopify's maximum of {MAX_QUANTITY:,}"
        )
    return whole


def row_quantity(row: StockRow, safety_buffer: float = 0) -> int:
    """The figure a row sets on Shopify: its fixed target when the engine decided one, else the
    quantity rule applied to its ERPNext figure."""
    if row.target is not None:
        return row.target
    return shopify_quantity(row.quantity, safety_buffer)


def check_safety_buffer(buffer: float | int | Decimal | str | None) -> None:
    """A negative buffer would push more than ERPNext has: refuse it wherever it comes from."""
    try:
        value = Decimal(str(buffer or 0))
    except ArithmeticError:
        raise ValueError(f"safety buffer {buffer!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"safety buffer {buffer!r} must be a number of units, 0 or more")


def item_figure(
    stock: float | int | Decimal | str,
    *,
    factor: float | int | Decimal | str = 1,
    item_buffer: float | int | Decimal | str | None = None,
    store_buffer: float | int | Decimal | str = 0,
) -> float | int | Decimal | str:
    """An item's ERPNext figure as the engine is handed it, for `shopify_quantity(figure,
    store_buffer)` to give floor(stock ÷ factor − item_buffer), clamped at 0.

    `factor`: the unit Shopify sells in, in stock units (a Sales UOM's conversion factor: 12
    for a box of 12); the division comes before the floor, so 5.5 kg sold by the 0.5 kg bag
    is 11 bags. `item_buffer`: the item's own safety stock, in the unit Shopify sells, used
    instead of the store's (None: the store's). The engine applies one buffer per run (the
    store's), so the item's takes its place here: one home for each rule, and a store without
    per-item settings hands the engine ERPNext's figure untouched."""
    if item_buffer is None and Decimal(str(factor or 1)) == 1:
        return stock
    try:
        value = Decimal(str(stock))
        divisor = Decimal(str(factor or 1))
        if divisor <= 0 or not value.is_finite():
            return stock  # the engine refuses a non-finite figure with its reason; a bad factor is not used
        value = value / divisor
        if item_buffer is not None:
            check_safety_buffer(item_buffer)
            value = value - Decimal(str(item_buffer)) + Decimal(str(store_buffer or 0))
    except ArithmeticError:
        return stock
    return value
