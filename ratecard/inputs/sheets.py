"""CSV as spreadsheets save it, read row by row: one reader for a table of cases (when Polars'
reader cannot take the file: ratecard/inputs/tablefiles.py) and for a check-batch file.

Excel's kinds of CSV: "CSV UTF-8" (a byte-order mark), "Unicode text" (UTF-16, tab separated),
"CSV (Macintosh)" (lines ending in \\r alone), cells of any length (Python's reader stops at
128 KiB unless told otherwise), quotes around cells.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator

from .files import _fail


def decode_sheet(raw: bytes, path: str) -> str:
    """The text of a CSV file as spreadsheets save it: UTF-8 with or without a byte-order mark
    ("CSV UTF-8"), or UTF-16 with one ("Unicode text"); a workbook or UTF-16 without a mark is
    refused with how to save it."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _fail(path, "is an Excel workbook, not a CSV file; in Excel use File > Save As > 'CSV UTF-8'")
    elif b"\x00" in raw[:4096] and raw[:4096].count(b"\x00") * 4 > len(raw[:4096]):
        raise _fail(path, "looks like UTF-16 text without a byte-order mark; save it as 'CSV UTF-8' or JSON Lines")
    else:
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise _fail(path, f"is not UTF-8 or UTF-16 text (byte {e.start}); save it as 'CSV UTF-8' or JSON Lines") from None


def csv_records(text: str, delimiter: str, width: int) -> Iterator[tuple[int, list[str] | str]]:
    """Each row after the header: (its last line, its cells, cut or padded to `width`), or (its line,
    why it cannot be read): broken quotes, or more cells than the header with any of them filled."""
    csv.field_size_limit(min(sys.maxsize, 2 ** 31 - 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        next(reader)  # the header
    except (StopIteration, csv.Error):
        return
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield reader.line_num, f"the row cannot be read as CSV ({e}); check its quotes"
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            yield reader.line_num, f"the row has {len(cells)} cells but the header has {width} columns"
            continue
        yield reader.line_num, (cells + [""] * width)[:width]
