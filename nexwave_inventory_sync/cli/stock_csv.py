"""Read a stock CSV (`sku,location_id,quantity`) into StockRows, refusing a bad file whole."""

from __future__ import annotations

import csv
from pathlib import Path

from ..sync.ids import IdError, to_gid
from ..sync.results import StockRow

REQUIRED_COLUMNS = ("sku", "location_id", "quantity")


class StockFileError(ValueError):
    pass


def read_stock_csv(path: str | Path) -> list[StockRow]:
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise StockFileError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise StockFileError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must be sku,location_id,quantity"
            )
        rows = []
        for line_no, record in enumerate(reader, start=2):
            record = {k.strip().lower(): (v or "").strip() for k, v in record.items() if k}
            if not any(record.values()):
                continue
            if not record["sku"]:
                raise StockFileError(f"{path}:{line_no}: empty sku")
            try:
                location = to_gid("Location", record["location_id"])
            except IdError as exc:
                raise StockFileError(f"{path}:{line_no}: {exc}") from None
            rows.append(
                StockRow(
                    location_id=location, quantity=record["quantity"], sku=record["sku"], ref=record["sku"]
                )
            )
    return rows
