"""Read a stock CSV (`sku,location_id,quantity`) into StockRows, refusing a bad file whole.

The file is streamed: `check_stock_csv` reads it once to refuse a bad file before anything is
pushed (and counts its rows), `iter_stock_csv` yields the rows for the push. Neither holds
the file in memory. Every error names the file and its line.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

from ..sync.api import IdError, StockRow, to_gid

REQUIRED_COLUMNS = ("sku", "location_id", "quantity")
DEFAULT_ENCODING = "utf-8-sig"  # UTF-8, with or without the BOM Excel writes


class StockFileError(ValueError):
    pass


def _lines(path: str | Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, text) per physical line, decoded one line at a time so a bad byte is
    reported with its line, not as a traceback from the middle of a buffer."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise StockFileError(f"unknown encoding {encoding!r} (try utf-8, cp1252 or latin-1)") from None
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise StockFileError(f"cannot read {path}: {exc.strerror}") from None
    decoder_encoding = encoding
    with handle:
        for number, raw in enumerate(handle, start=1):
            if (
                number == 1
                and encoding.replace("_", "-").lower() in ("utf-8", "utf8")
                and raw.startswith(codecs.BOM_UTF8)
            ):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield number, raw.decode(decoder_encoding)
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                hint = (
                    " If it was saved by Excel, try --encoding cp1252."
                    if encoding.lower().startswith("utf")
                    else ""
                )
                raise StockFileError(
                    f"{path}:{number}: byte 0x{bad} at column {exc.start + 1} is not valid {encoding}.{hint}"
                ) from None


def _records(path: str | Path, encoding: str) -> Iterator[tuple[int, dict[str, str]]]:
    numbered = _lines(path, encoding)
    current = {"line": 0}

    def texts() -> Iterator[str]:
        for number, text in numbered:
            current["line"] = number
            yield text

    reader = csv.reader(texts())
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise StockFileError(f"{path}:{current['line']}: {exc}") from None
    columns = [c.strip().lower() for c in header or []]
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        raise StockFileError(
            f"{path}:1: column(s) {', '.join(duplicated)} appear more than once in the header; "
            "which one is meant cannot be guessed"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise StockFileError(
            f"{path}:1: missing column(s) {', '.join(missing)}; the header must be sku,location_id,quantity"
        )
    while True:
        start = current["line"] + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise StockFileError(f"{path}:{current['line']}: {exc}") from None
        if len(values) > len(columns) and any(v.strip() for v in values[len(columns) :]):
            raise StockFileError(f"{path}:{start}: {len(values)} values for {len(columns)} columns")
        record = {c: (values[i] if i < len(values) else "").strip() for i, c in enumerate(columns) if c}
        yield start, record


def _row(path: str | Path, line: int, record: dict[str, str]) -> StockRow:
    if not record["sku"]:
        raise StockFileError(f"{path}:{line}: empty sku")
    try:
        location = to_gid("Location", record["location_id"])
    except IdError as exc:
        raise StockFileError(f"{path}:{line}: {exc}") from None
    return StockRow(location_id=location, quantity=record["quantity"], sku=record["sku"], ref=record["sku"])


def iter_stock_csv(path: str | Path, encoding: str = DEFAULT_ENCODING) -> Iterator[StockRow]:
    """The file's rows, one at a time; raises StockFileError at the first bad line reached."""
    for line, record in _records(path, encoding):
        if any(record.values()):
            yield _row(path, line, record)


def check_stock_csv(path: str | Path, encoding: str = DEFAULT_ENCODING) -> int:
    """Read the whole file once without keeping it; the number of rows, or StockFileError."""
    return sum(1 for _ in iter_stock_csv(path, encoding))


def read_stock_csv(path: str | Path, encoding: str = DEFAULT_ENCODING) -> list[StockRow]:
    """All rows in a list (small files and tests; the CLI streams)."""
    return list(iter_stock_csv(path, encoding))
