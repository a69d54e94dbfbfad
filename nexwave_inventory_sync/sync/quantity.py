"""The quantity rule: what an ERPNext stock figure becomes as a Shopify `available` number.
This is its only home; the Frappe side and the CLI both call it."""

from __future__ import annotations

import math
from decimal import Decimal

# Shopify answers INVALID_QUANTITY_TOO_HIGH above this; refusing locally names the row.
MAX_QUANTITY = 1_000_000_000
# ERPNext stores stock as floats (4.9999999 for 5 after some arithmetic); round to this many
# places before flooring so float noise never costs a whole unit.
_FLOAT_NOISE_PLACES = 6


class QuantityError(ValueError):
    """A stock figure that cannot be pushed; `code` names why, for the row's failure."""

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
    whole = math.floor(round(value, _FLOAT_NOISE_PLACES))
    if whole > MAX_QUANTITY:
        raise QuantityError(
            "INVALID_QUANTITY_TOO_HIGH", f"quantity {whole} is above Shopify's maximum of {MAX_QUANTITY}"
        )
    return max(whole, 0)
