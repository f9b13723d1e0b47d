"""Tables of cases as files: JSON Lines, a JSON array, CSV as spreadsheets save it, and Parquet,
read into rows. Formats only: what makes a row a valid case is the case model's business
(ratecard/case/tables.py, which passes in the Arrow schema of the format).

Every file is opened with the one guard (ratecard/inputs/files.py: regular files only, within a
size limit), so a named pipe or /dev/zero is refused at once, as for a case file.

Rows are the non-blank lines of JSON Lines (ending in \\n, \\r\\n or \\r, as Arrow reads them), the
items of a JSON array, and the non-blank data rows of a CSV; `row` numbers them from 1 in that
order, whatever happens to the other rows.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.json as pj

from ..errors import RatecardError
from .files import ParseError, open_regular, read_into
from .sheets import csv_records, decode_sheet
from .limits import Limits

ROW = "row"  # 1-based position of the case among the rows of the input

# A table file may be far larger than one case file (the national caseload is 454 MiB of JSON
# Lines); what bounds it is memory: reading takes about twice the file's size.
TABLE_LIMITS = Limits(max_bytes=4 * 1024 ** 3)


class TableError(RatecardError):
    """The file as a whole cannot be read as a table of cases."""


def arrow_pool() -> pa.MemoryPool:
    """The memory pool for Arrow's large work (reading JSON, gathering the long table, writing
    Parquet): jemalloc where pyarrow has it. Arrow's default (mimalloc) hands freed memory back to
    the system within milliseconds, so each chunk of a national caseload faulted in fresh pages (huge
    ones, zeroed, where transparent huge pages are on): 1.4 s more system time writing 100,000
    cases as Parquet on the development machines; jemalloc keeps them for the next chunk."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it
        return pa.default_memory_pool()


# JSON Lines are read this much at a time (then cut at the last line end): Arrow's reader and the
# column checks work on a block, and the whole file is never in memory at once
BLOCK_BYTES = 96 * 1024 * 1024


def table_blocks(path: str | Path, size: int = BLOCK_BYTES) -> Iterator[memoryview]:
    """The bytes of a table file in blocks of whole lines (each but the last ends in \\n; a line
    longer than `size` makes a longer block); TableError for a missing file, a pipe, a device or a file
    too large. The first block holds the file's first character that is not white space, if it has one.

    Each block is a view of the start of one buffer (`view.obj`), read into again for the next block once the caller has let
    go of the view (a caller that keeps a block gets the next in a new buffer): reading a file of
    hundreds of MiB a block at a time then costs one block's memory, and no fresh memory per block."""
    try:
        fd, _ = open_regular(path, TABLE_LIMITS)
    except ParseError as e:
        raise TableError(str(e.problems[0])) from None
    try:
        buf = bytearray(max(size, 1))
        have = 0  # bytes in the buffer not yet given (the end of a line, carried to the next block)
        total = 0  # bytes read
        given = False  # a block with a character that is not white space has been given
        while True:
            if have == len(buf):  # a line as long as the buffer, or white space only so far: a larger one
                buf = buf + bytearray(len(buf))
            n = _read(fd, path, total, memoryview(buf)[have:])
            total += n
            have += n
            if n:
                if have < len(buf):
                    continue  # a read may give less than asked: fill the buffer
                cut = buf.rfind(b"\n", 0, have) + 1
                # until text is given, look at everything read so far: a byte-order mark can be
                # split between two reads, and its first byte alone is no text
                if cut == 0 or not (given or _has_text(memoryview(buf)[:cut])):
                    continue
            else:
                cut = have
                if cut == 0:
                    return
            yield memoryview(buf)[:cut]
            if not n:
                return
            given = True
            # the block's view is let go of by now unless the caller kept it (refcount: this frame's
            # name and getrefcount's argument); a kept block is never written over
            # (CPython counts references; elsewhere a block is never written over)
            if sys.implementation.name != "cpython" or sys.getrefcount(buf) > 2:
                buf = bytearray(buf[cut:have]) + bytearray(len(buf) - (have - cut))
            else:
                buf[:have - cut] = buf[cut:have]
            have -= cut
    finally:
        os.close(fd)


def _read(fd: int, path: str | Path, total: int, into: memoryview) -> int:
    try:
        return read_into(fd, path, TABLE_LIMITS, total, into)
    except ParseError as e:
        raise TableError(str(e.problems[0])) from None


def _has_text(start: memoryview) -> bool:
    """Whether the start of a file holds a character that is not white space (a byte-order mark,
    or the first bytes of one, is none)."""
    return not (len(start) <= len(_BOM) and _BOM.startswith(bytes(start))) and bool(first_char(start))


def table_format(path: str | Path, data: bytes | memoryview) -> str:
    """jsonl, json (an array), csv or parquet: by the file's suffix, then by its first character."""
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq") or data[:4] == b"PAR1":
        return "parquet"
    head = first_char(data)
    if head == b"[":
        return "json"
    if head == b"{":
        return "jsonl"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "csv"


_TEXT = re.compile(rb"[^ \t\r\n]")
_BOM = b"\xef\xbb\xbf"


def first_char(data: bytes | memoryview) -> bytes:
    """The first byte that is not white space (after a byte-order mark), or b"" (without copying
    the data, which may be hundreds of MiB)."""
    m = _TEXT.search(data, len(_BOM) if bytes(data[:len(_BOM)]) == _BOM else 0)
    return bytes(data[m.start():m.start() + 1]) if m else b""


def read_parquet(data: bytes, source: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(io.BytesIO(data))
    except Exception as e:  # polars raises several types for a broken file
        raise TableError(f"{source}: not a readable Parquet file ({type(e).__name__}); export the cases again") from None


# ---- JSON Lines ---------------------------------------------------------------------------------

_LINE_END = re.compile(rb"\r\n|\r|\n")
_TWO_OBJECTS = re.compile(rb"\}[ \t]*\{")  # outside a string value, only two objects on one line


class JsonLines:
    """The rows of a JSON Lines buffer: read in one go by Arrow's JSON reader where it can, and the
    few rows it cannot read (or reads differently from a JSON parser: two objects on one line) kept
    as text, for the caller to judge one by one."""

    def __init__(self, data: bytes | bytearray, first: bool = True, end: int | None = None):
        # `end`: the rows are in data[:end] (a block of a file is the start of the reader's buffer,
        # table_blocks, searched in place and never copied whole)
        self.data = data
        self.end = len(data) if end is None else end
        # a byte-order mark is the file's, before its first line (`first`: this block starts the file)
        self.begin = len(_BOM) if first and data[:len(_BOM)] == _BOM else 0
        self._starts: list[int] | None = None  # where each row's line starts
        self._count: int | None = None

    # -- rows and their lines

    def count(self) -> int:
        """The number of rows (non-blank lines)."""
        if self._count is None:
            self._count = len(self.starts())
        return self._count

    def _lines(self) -> int:
        """The number of lines, blank ones included, counted without splitting 454 MiB into lines
        when every line ends in \\n or \\r\\n; else the rows (lines that are not blank)."""
        d, b, e = self.data, self.begin, self.end
        if d.find(b"\r", b, e) != -1 and d.count(b"\r", b, e) != d.count(b"\r\n", b, e):
            return self.count()
        return d.count(b"\n", b, e) + (0 if d.endswith(b"\n", b, e) else 1)

    def starts(self) -> list[int]:
        """The offset of each row's line (lines that are blank or spaces are not rows)."""
        if self._starts is None:
            d, end = self.data, self.end
            out: list[int] = []
            at = self.begin
            for m in _LINE_END.finditer(d, at, end):
                if d[at:m.start()].strip():
                    out.append(at)
                at = m.end()
            if d[at:end].strip():
                out.append(at)
            self._starts = out
        return self._starts

    def line(self, row: int) -> bytes:
        """The text of a row (1-based), without its line end."""
        start = self.starts()[row - 1]
        m = _LINE_END.search(self.data, start, self.end)
        return bytes(self.data[start:m.start() if m else self.end])

    def row_at(self, offset: int) -> int:
        """The row whose line holds the byte at `offset`."""
        return bisect_right(self.starts(), offset)

    def rows_with(self, needles: Iterable[bytes]) -> set[int]:
        """Rows whose line contains any of the byte strings (found with a plain search)."""
        found: set[int] = set()
        for needle in needles:
            at = self.data.find(needle, self.begin, self.end)
            while at != -1:
                found.add(self.row_at(at))
                at = self.data.find(needle, at + 1, self.end)
        return found

    def rows_longer_than(self, limit: int) -> set[int]:
        """Rows whose line is longer than `limit` bytes, found in steps of `limit` (a few hundred
        searches for a file of hundreds of MiB, rather than one per line)."""
        d, end = self.data, self.end
        found: set[int] = set()
        at = self.begin  # always the start of a line
        while end - at > limit:
            last = max(d.rfind(b"\n", at, at + limit + 1), d.rfind(b"\r", at, at + limit + 1))
            if last != -1:  # every line starting before it ends within the limit
                at = last + 1
                continue
            m = _LINE_END.search(d, at + limit + 1, end)
            if d[at:m.start() if m else end].strip():
                found.add(self.row_at(at))
            at = m.end() if m else end
        return found

    # -- reading

    def read(self, schema: pa.Schema) -> tuple[list[tuple[int, pa.Table]], list[int]]:
        """Arrow tables of consecutive rows, each with the row number of its first row, and the
        rows read alone that Arrow refused (or read as other than one row).

        The whole buffer is tried first (Arrow parses it on every core); when it is refused, the
        rows are read in blocks, and a block refused is halved until the rows at fault are found."""
        # One object a line, checked without splitting the buffer into lines: with no line holding
        # the end of one object and the start of another, each row takes at least one line, so as
        # many rows as lines means one line each (and none blank: Arrow skips blank lines).
        whole = self._arrow(memoryview(self.data)[self.begin:self.end], schema, None)
        if whole is not None and (whole.num_rows == self._lines() or whole.num_rows == self.count()):
            return ([(1, whole)] if whole.num_rows else []), []
        tables: list[tuple[int, pa.Table]] = []
        loose: list[int] = []
        starts = self.starts()
        ends = starts[1:] + [self.end]

        def block(first: int, last: int) -> None:  # rows first..last, 1-based, inclusive
            n = last - first + 1
            got = self._arrow(self.data[starts[first - 1]:ends[last - 1]], schema, n)
            if got is not None:
                tables.append((first, got))
            elif n <= 8:  # a few rows: the caller judges each one
                loose.extend(range(first, last + 1))
            else:
                middle = first + n // 2
                block(first, middle - 1)
                block(middle, last)

        step = 20_000
        for first in range(1, len(starts) + 1, step):
            block(first, min(first + step - 1, len(starts)))
        tables.sort(key=lambda t: t[0])
        return tables, loose

    @staticmethod
    def _arrow(data: bytes | bytearray | memoryview, schema: pa.Schema, rows: int | None) -> pa.Table | None:
        try:
            table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=1 << 24),
                                 parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
                                 memory_pool=arrow_pool())
        except Exception:  # a line Arrow refuses (its messages name no line we can use)
            return None
        # two objects on one line are two rows to Arrow and an error to every JSON parser; an object
        # over several lines is one row to Arrow and several to a reader of lines. Rows judged alone
        # settle a `} {` inside a text value.
        if _TWO_OBJECTS.search(data) is not None:
            return None
        return table if rows is None or table.num_rows == rows else None


def json_array_lines(data: bytes, source: str) -> bytes:
    """The items of a JSON array as JSON Lines: each item's own text on one line, so that the items
    are read, and judged, exactly as the rows of a JSON Lines file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TableError(f"{source}: not UTF-8 text (byte {e.start}); save the file as UTF-8") from None
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\r\n]*")
    at = ws.match(text, 0).end()  # type: ignore[union-attr]
    if text[at:at + 1] != "[":
        raise TableError(f"{source}: expected a JSON array of case objects")
    at = ws.match(text, at + 1).end()  # type: ignore[union-attr]
    items: list[str] = []
    try:
        if text[at:at + 1] != "]":
            while True:
                _, end = decoder.raw_decode(text, at)
                # a raw line end can only be white space between tokens in valid JSON
                items.append(text[at:end].replace("\r", " ").replace("\n", " "))
                at = ws.match(text, end).end()  # type: ignore[union-attr]
                if text[at:at + 1] == ",":
                    at = ws.match(text, at + 1).end()  # type: ignore[union-attr]
                    continue
                if text[at:at + 1] == "]":
                    break
                raise json.JSONDecodeError("expected ',' or ']' after an item", text, at)
    except json.JSONDecodeError as e:
        raise TableError(f"{source}:{e.lineno}: not valid JSON ({e.msg}, column {e.colno}); give a JSON array of "
                         "case objects, or one case object a line") from None
    except RecursionError:
        raise TableError(f"{source}: nested too deeply to read; check the brackets") from None
    if text[at + 1:].strip():
        raise TableError(f"{source}: text after the end of the JSON array; give one array of case objects")
    if not items:
        raise TableError(f"{source}: the JSON array is empty; give at least one case object")
    return "\n".join(items).encode("utf-8", "surrogatepass")


def unknown_names(schema: pa.Schema, expected: pa.Schema) -> list[str]:
    """Field names in `schema` (what Arrow found) that `expected` does not have, at any depth
    (inside sections and inside the items of lists of records): the last part of each path."""
    out: list[str] = []

    def walk(got: pa.DataType, want: pa.DataType | None, name: str) -> None:
        if want is None:
            out.append(name)
            return
        if pa.types.is_struct(got) and pa.types.is_struct(want):
            names = {want.field(i).name: want.field(i).type for i in range(want.num_fields)}
            for i in range(got.num_fields):
                f = got.field(i)
                walk(f.type, names.get(f.name), f.name)
        elif pa.types.is_list(got) and pa.types.is_list(want):
            walk(got.value_type, want.value_type, name)

    walk(pa.struct(list(schema)), pa.struct(list(expected)), "")
    return out


# ---- CSV ---------------------------------------------------------------------------------------


@dataclass
class CsvRows:
    """The cells of a CSV file: one text column per header name (stripped, lower case), null for an
    empty cell, in a frame with `row`; and the rows that cannot be read, with why."""

    frame: pl.DataFrame
    errors: dict[int, str] = field(default_factory=dict)


def _decode_csv(data: bytes, source: str) -> str:
    try:
        return decode_sheet(data, source)
    except ParseError as e:
        raise TableError(str(e.problems[0])) from None


def _header_line(text: str) -> str:
    m = re.search(r"\r\n|\r|\n", text)
    return text[:m.start()] if m else text


def read_csv_rows(data: bytes, source: str, required: str | None = None) -> CsvRows:
    """The rows of a CSV file as spreadsheets save it: a byte-order mark or UTF-16, `,` `;` tab or
    `|` between cells (whichever the header row uses most), quotes around cells, lines ending in
    \\r\\n, \\n or \\r (Excel for Mac's "CSV (Macintosh)"), cells of any length. A row with more
    cells than the header, any of them filled, is an error row; a row with fewer has its last
    cells empty (as some programs leave them off); blank rows and rows of separators only are
    skipped. `required`: a column the header must have."""
    text = _decode_csv(data, source)
    first = _header_line(text)
    delimiter = max(",;\t|", key=first.count)
    header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter), [])]
    if not any(header) or (required and required not in header):
        raise TableError(f"{source}:1: a CSV of cases needs a header row of dotted field names such as person.sex or "
                         "needs.relationships.score (see `ratecard schema`)")
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if dup:
        raise TableError(f"{source}:1: the column {', '.join(repr(d) for d in dup)} appears more than once in the header; "
                         "keep one (a table gives each field once)")
    if "" in header:
        raise TableError(f"{source}:1: a column of the header has no name; name it or delete the column")
    try:
        frame, errors = _polars_csv(text, header, delimiter)
    except (pl.exceptions.PolarsError, ValueError):  # broken quotes, a row too long...: Python's reader, row by row
        frame, errors = _python_csv(text, header, delimiter)
    cells = frame.select([pl.col(c).str.strip_chars().replace("", None).alias(c) for c in header])
    given = cells.select(pl.any_horizontal(pl.all().is_not_null()).alias("given"))["given"]
    bad = pl.Series([i in errors for i in range(cells.height)], dtype=pl.Boolean)
    keep = given | bad
    rows = keep.cast(pl.Int64).cum_sum()  # the row number of each kept line
    numbered = cells.with_columns(rows.alias(ROW)).filter(keep)
    renumbered = {int(rows[i]): why for i, why in errors.items()}
    return CsvRows(numbered.select([ROW, *header]), renumbered)


def _polars_csv(text: str, header: list[str], delimiter: str) -> tuple[pl.DataFrame, dict[int, str]]:
    lone_cr = "\r" in text and "\n" not in text
    frame = pl.read_csv(text.encode("utf-8", "surrogatepass"), has_header=True, new_columns=header, infer_schema=False,
                        separator=delimiter, quote_char='"', eol_char="\r" if lone_cr else "\n",
                        raise_if_empty=False, truncate_ragged_lines=False)
    if frame.width != len(header):
        raise ValueError("columns")
    return frame, {}


def _python_csv(text: str, header: list[str], delimiter: str) -> tuple[pl.DataFrame, dict[int, str]]:
    rows: list[list[str]] = []
    errors: dict[int, str] = {}
    for _, record in csv_records(text, delimiter, len(header)):
        if isinstance(record, str):
            errors[len(rows)] = record
            record = [""] * len(header)
        rows.append(record)
    columns = {h: [r[j] for r in rows] for j, h in enumerate(header)}
    return pl.DataFrame(columns, schema={h: pl.String for h in header}), errors


def parsed_cells(values: pl.Series, parse: Callable[[str], Any], dtype: pl.DataType) -> tuple[pl.Series, pl.Series, dict[str, str]]:
    """A column of text cells read with `parse` (one call per distinct text): (the values in
    `dtype`, whether each cell could not be read, each unreadable text's reason)."""
    out: dict[str, Any] = {}
    why: dict[str, str] = {}
    for text in values.drop_nulls().unique().to_list():
        try:
            out[text] = parse(text)
        except ValueError as e:
            why[text] = str(e)
    mapping = pl.DataFrame({"k": pl.Series(list(out), dtype=pl.String), "v": pl.Series(list(out.values()), dtype=dtype, strict=False)})
    typed = pl.DataFrame({"k": values}).join(mapping, on="k", how="left", maintain_order="left")["v"].alias(values.name)
    return typed, values.is_in(list(why)).fill_null(False), why
