"""Many referral checks at once, from a JSON Lines or CSV file of (case, intervention) rows.

Each row is checked on its own: a bad row gives an error row naming the row and the field, and
never stops or changes the others. Results come out in input order.

Files as people make them: CSV saved by Excel (a byte-order mark, UTF-16 "Unicode text",
semicolons or tabs, `Case` or ` intervention ` as headers, spaces around cells, empty trailing
rows, extra columns such as notes, which are passed through). And files as an attacker makes
them: a case path is read only from the batch file's folder (or folders allowed by the caller),
only when it is a regular file of bounded size (never a device or a pipe, which would hang or
fill memory), and error rows say what is wrong without repeating the values given, which may be
sensitive.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..case.model import Case, case_from_document, load_case
from ..catalog.load import Catalog
from ..errors import InputError, RatecardError, UnknownInterventionError
from ..inputs.files import ParseError, read_bytes
from ..inputs.sheets import csv_records, decode_sheet
from ..inputs.limits import Limits
from ..inputs.yamlio import Document, parse_text
from .findings import Out
from .results import FrozenDict
from .referral import ReferralCheck, check_referral

Format = Literal["jsonl", "csv"]

MAX_BATCH_BYTES = 64 * 1024 * 1024  # about 100,000 rows with inline cases
MAX_ROW_BYTES = 1024 * 1024  # a JSON line or an inline case
MAX_CASE_BYTES = 1024 * 1024  # a case file named by a row
COLUMNS = ("case", "intervention")


class RowError(Out):
    field: str  # "case", "intervention", "row", or the case field at fault, e.g. "case.risk.rosh"
    message: str


class BatchRow(Out):
    row: int  # 1-based position among the data rows
    line: int  # line in the file
    status: Literal["checked", "error"]
    case: str | None  # the case file, or the id of an inline case
    intervention: str | None
    result: ReferralCheck | None
    errors: tuple[RowError, ...]
    extra: FrozenDict = FrozenDict()  # a CSV batch's columns besides case and intervention, as given


class BatchError(RatecardError):
    pass


@dataclass
class Batch:
    """A batch file read and split into rows; `extra_columns` are passed through to the results."""

    path: Path
    format: Format
    rows: list[tuple[int, Any]]  # (line, a dict, or an error message when the row cannot be read)
    extra_columns: list[str] = field(default_factory=list)
    extras: dict[int, dict[str, str]] = field(default_factory=dict)  # line -> the CSV's other columns


def _open_regular(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, through the one guard every input file
    goes through (ratecard/inputs/files.py): a device (/dev/zero), a pipe or a socket is refused
    without blocking (opening a FIFO for reading would wait for a writer)."""
    try:
        return read_bytes(path, Limits(max_bytes=limit))
    except ParseError as e:
        raise BatchError(f"{path}: {e.problems[0].message} ({what})") from None


def _decode(path: Path, raw: bytes) -> str:
    try:
        return decode_sheet(raw, str(path))
    except ParseError as e:
        raise BatchError(str(e.problems[0])) from None


def _format(path: Path, text: str) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_batch(path: str | Path) -> Batch:
    """Read a batch file into rows, or raise BatchError when the file as a whole cannot be used."""
    path = Path(path)
    text = _decode(path, _open_regular(path, MAX_BATCH_BYTES, "batch file"))
    if _format(path, text) == "jsonl":
        return Batch(path, "jsonl", list(_jsonl_rows(text)))
    return _csv_batch(path, text)


def _jsonl_rows(text: str) -> Iterator[tuple[int, Any]]:
    # lines end at \n only: str.splitlines() would also split at U+2028 and other separators, which
    # JSON allows unescaped inside a string
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        if len(line) > MAX_ROW_BYTES:
            yield n, f"the line is longer than {MAX_ROW_BYTES // 1024} KiB; give the case as a file path instead"
            continue
        yield n, _json_value(line, "")


class _Unreadable(str):
    """Why a row (or a cell of it) cannot be read, with the field at fault."""

    field: str = "row"


def _json_value(text: str, field: str) -> Any:
    """A JSON value read as a .json case file is (ratecard/inputs/jsonread.py): a duplicate key,
    NaN or a number too large is refused, never kept or dropped silently as json.loads would."""
    try:
        return parse_text(text, "row", as_json=True).data
    except ParseError as e:
        p = e.problems[0]
        where = ".".join(x for x in (field, p.field) if x)
        why = _Unreadable(p.message)
        why.field = where or "row"
        return why


def _norm(header: str) -> str:
    return header.strip().lower()


def _dialect(text: str) -> list[str]:
    """Candidate delimiters, most likely first: csv.Sniffer's guess, then by count in the header."""
    sample = text[:64 * 1024]
    first = re.split(r"\r\n|\r|\n", sample, maxsplit=1)[0]  # lines end in \r alone in Excel for Mac's CSV
    order = sorted(",;\t|", key=first.count, reverse=True)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        order.remove(sniffed)
        order.insert(0, sniffed)
    except csv.Error:
        pass  # one column, or too irregular to guess: the counts decide
    return order


def _csv_batch(path: Path, text: str) -> Batch:
    header: list[str] = []
    for delimiter in _dialect(text):
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        if {"case", "intervention"} <= {_norm(h) for h in header}:
            break
    else:
        found = ", ".join(h.strip() for h in header if h.strip()) or "none"
        raise BatchError(f"{path}:1: a CSV batch needs a header row with the columns 'case' and 'intervention' "
                         f"(found: {found}); a JSON Lines batch needs one {{...}} object a line")
    names = [_norm(h) for h in header]
    dup = sorted({n for n in names if n and names.count(n) > 1})
    if dup:
        raise BatchError(f"{path}:1: the column {', '.join(repr(d) for d in dup)} appears twice in the header; keep one")
    extra = [h.strip() for h, n in zip(header, names) if n not in COLUMNS and n]
    rows: list[tuple[int, Any]] = []
    extras: dict[int, dict[str, str]] = {}
    for at, record in csv_records(text, delimiter, len(names)):
        if isinstance(record, str):
            rows.append((at, record))
            continue
        cells = [c.strip() for c in record]
        if not any(cells):
            continue  # blank rows, and rows of separators only (';;'), as Excel leaves at the end
        row: dict[str, Any] = {}
        passed: dict[str, str] = {}
        for h, n, c in zip(header, names, cells):
            if n in COLUMNS:
                if c:
                    row[n] = c
            elif n:
                passed[h.strip()] = c
        if passed:
            extras[at] = passed
        # an inline case in a CSV cell is JSON text
        if isinstance(row.get("case"), str) and row["case"].startswith("{"):
            row["case"] = _json_value(row["case"], "case")
            if isinstance(row["case"], _Unreadable):
                rows.append((at, row["case"]))
                continue
        rows.append((at, row))
    return Batch(path, "csv", rows, extra, extras)


# ---- one row ----------------------------------------------------------------------------------


def _inside(p: Path, folder: Path) -> bool:
    return p == folder or folder in p.parents


def _case_file(value: str, base: Path, allowed: Sequence[Path]) -> tuple[Path | None, str]:
    """The case file a row names, resolved (symbolic links followed), or why it may not be read."""
    if "\x00" in value:  # no file name holds one; the system refuses it
        return None, "the case path holds a NUL character, which no file name can; check the cell"
    p = Path(value) if Path(value).is_absolute() else base / value
    try:
        real = p.resolve()
    except (OSError, RuntimeError):
        return None, "the case path cannot be resolved (a loop of links?)"
    folders = [base.resolve(), *(a.resolve() for a in allowed)]
    if not any(_inside(real, f) for f in folders):
        return None, (f"the case file is outside the batch file's folder ({base}); move it there, "
                      "or allow its folder with --allow-paths DIR")
    try:
        st = real.stat()
    except FileNotFoundError:
        return None, f"the case file {value} was not found (a case path is read relative to the batch file's folder, {base})"
    except OSError as e:
        return None, f"the case file cannot be read ({e.strerror})"
    if stat.S_ISDIR(st.st_mode):
        return None, "the case path is a folder; give a case file"
    if not stat.S_ISREG(st.st_mode):
        return None, "the case path is not a regular file (a device, pipe or socket); give a case file"
    if st.st_size > MAX_CASE_BYTES:
        return None, f"the case file is larger than {MAX_CASE_BYTES // 1024} KiB; a case is a few KiB"
    return real, ""


def _at(data: Any, where: str) -> tuple[bool, Any]:
    """The value at a dotted path in the case data, if there is one."""
    node = data
    for part in where.split(".") if where else []:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return bool(where), node


def _redact(message: str, data: Any, where: str) -> str:
    """The message without the value given at `where`, which may be sensitive (an id, a date of
    birth, a town): an error row says what is wrong, the case file holds what was written."""
    found, v = _at(data, where)
    if not found or isinstance(v, (dict, list)) or v is None or isinstance(v, bool):
        return message
    forms = {repr(v), str(v), json.dumps(v, default=str)}
    r = repr(v)
    if len(r) > 40:
        forms.add(r[:37] + "...")
    for form in sorted(forms, key=len, reverse=True):
        if len(form) >= 1:
            message = message.replace(form, "the value given")
    return message


def _case_errors(e: InputError, data: Any) -> list[RowError]:
    out = []
    for x in e.problems:
        out.append(RowError(field=f"case.{x.field}" if x.field else "case", message=_redact(x.message, data, x.field)))
    return out


def _raw_data(p: Path) -> Any:
    """The case file's data, only to know which values to keep out of messages."""
    from ..inputs.yamlio import ParseError, load_file

    try:
        return load_file(p).data
    except ParseError:  # a file that does not parse has no values to hide
        return None


def _case(value: Any, base: Path, line: int, allowed: Sequence[Path],
          cache: dict[str, Case | list[RowError]]) -> tuple[Case | None, str | None, list[RowError]]:
    if isinstance(value, str):
        p, why = _case_file(value, base, allowed)
        if p is None:
            return None, value, [RowError(field="case", message=why)]
        key = str(p)
        if key not in cache:
            try:
                cache[key] = load_case(p)
            except InputError as e:
                cache[key] = _case_errors(e, _raw_data(p))
        got = cache[key]
        return (None, value, got) if isinstance(got, list) else (got, value, [])
    if isinstance(value, dict):
        try:
            c = case_from_document(Document(f"row at line {line}", value, {}))
        except InputError as e:
            ident = value.get("id") if isinstance(value.get("id"), str) else None
            return None, ident, _case_errors(e, value)
        return c, c.id, []
    if value is None:
        return None, None, [RowError(field="case", message="missing: give a case file path or an inline case")]
    return None, None, [RowError(field="case", message="must be a file path or a case object")]


def check_batch(batch: Batch, catalog: Catalog | None = None, *, on: dt.date | None = None,
                allow_paths: Sequence[str | Path] = (), progress: Callable[[int], None] | None = None) -> Iterator[BatchRow]:
    """Check every row of a batch already read; case paths are relative to the batch file's folder
    and must stay inside it or inside one of `allow_paths`."""
    from ..catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    allowed = [Path(a) for a in allow_paths]
    cache: dict[str, Case | list[RowError]] = {}
    for i, (line, raw) in enumerate(batch.rows, start=1):
        yield _one(i, line, raw, batch.path.parent, allowed, catalog, on, cache, batch.extras.get(line, {}))
        if progress:
            progress(i)


def check_rows(path: str | Path, catalog: Catalog | None = None, *, on: dt.date | None = None,
               allow_paths: Sequence[str | Path] = (), progress: Callable[[int], None] | None = None) -> Iterator[BatchRow]:
    """Check every row of a batch file (see check_batch)."""
    return check_batch(read_batch(path), catalog, on=on, allow_paths=allow_paths, progress=progress)


def _one(i: int, line: int, raw: Any, base: Path, allowed: Sequence[Path], catalog: Catalog, on: dt.date,
         cache: dict[str, Case | list[RowError]], extra: dict[str, str]) -> BatchRow:
    def error(errors: list[RowError], case: str | None = None, iv: str | None = None) -> BatchRow:
        return BatchRow(row=i, line=line, status="error", case=case, intervention=iv, result=None, errors=errors, extra=extra)

    if isinstance(raw, str):
        return error([RowError(field=getattr(raw, "field", "row"), message=raw)])
    if not isinstance(raw, dict):
        return error([RowError(field="row", message="each row must be an object with 'case' and 'intervention'")])
    # a JSON Lines row is written by a program: another key is a mistake (a misspelt 'case'?);
    # a CSV's other columns (notes, owner) are people's and were set aside as `extra`
    unknown = sorted(str(k) for k in raw if k not in COLUMNS)
    errors = [RowError(field=k, message="unknown field; a row has 'case' and 'intervention'") for k in unknown]
    iv = raw.get("intervention")
    if not isinstance(iv, str) or not iv.strip():
        errors.append(RowError(field="intervention", message="missing: give an intervention id"))
        iv = None
    else:
        iv = iv.strip()
        if iv not in catalog.interventions:
            errors.append(RowError(field="intervention", message=str(UnknownInterventionError(iv, sorted(catalog.interventions)))))
    case_value = raw.get("case")
    if isinstance(case_value, str):
        case_value = case_value.strip() or None
    case, label, case_errors = _case(case_value, base, line, allowed, cache)
    errors += case_errors
    if errors or case is None or iv is None:
        return error(errors, label, iv)
    try:
        result = check_referral(case, iv, catalog, on=on)
    except InputError as e:  # e.g. a date of birth after the reference date
        return error(_case_errors(e, case.model_dump(mode="json")), label, iv)
    except RatecardError as e:
        return error([RowError(field="row", message=str(e))], label, iv)
    return BatchRow(row=i, line=line, status="checked", case=label, intervention=iv, result=result, errors=[], extra=extra)


def count_rows(path: str | Path) -> int:
    return len(read_batch(path).rows)


# ---- results as CSV, for people who open them in Excel -----------------------------------------

CSV_COLUMNS = ("row", "line", "status", "case", "intervention", "verdict", "reasons", "warnings", "missing",
               "to_agree", "alternatives", "errors")


def _cell(value: Any) -> str:
    # Excel runs a cell that starts with = + - @ as a formula: data from a batch must stay data
    # (one rule for every CSV ratecard writes: ratecard/spreadsheet.py)
    from ..spreadsheet import cell

    return cell(value)


def csv_header(extra_columns: Sequence[str]) -> list[str]:
    return [*CSV_COLUMNS, *(c for c in extra_columns if c not in CSV_COLUMNS)]


def csv_record(row: BatchRow, extra_columns: Sequence[str]) -> list[str]:
    r = row.result
    cells: list[Any] = [row.row, row.line, row.status, row.case, row.intervention]
    if r is not None:
        cells += [r.verdict, " | ".join(f.text for f in r.reasons), " | ".join(f.text for f in r.warnings),
                  "; ".join(m.field for m in r.missing), " | ".join(f"{j.by}: {j.text}" for j in r.to_agree),
                  "; ".join(a.intervention for a in r.alternatives)]
    else:
        cells += ["", "", "", "", "", ""]
    cells.append(" | ".join(f"{e.field}: {e.message}" for e in row.errors))
    cells += [row.extra.get(c, "") for c in extra_columns if c not in CSV_COLUMNS]
    return [_cell(c) for c in cells]
