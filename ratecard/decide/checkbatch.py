"""Many referral checks at once, from a JSON Lines or CSV file of (case, intervention) rows.

Each row is checked on its own: a bad row gives an error row naming the row and the field, and
never stops or changes the others. Results come out in input order, one JSON object a line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from ..case.model import Case, case_from_document, load_case
from ..catalog.load import Catalog
from ..errors import InputError, RatecardError, UnknownInterventionError
from .findings import Out
from .referral import ReferralCheck, check_referral
from ..inputs.yamlio import Document

Format = Literal["jsonl", "csv"]


class RowError(Out):
    field: str  # "case", "intervention", or the case field at fault, e.g. "case.risk.rosh"
    message: str


class BatchRow(Out):
    row: int  # 1-based position among the data rows
    line: int  # line in the file
    status: Literal["checked", "error"]
    case: str | None  # the case file, or the id of an inline case
    intervention: str | None
    result: ReferralCheck | None
    errors: list[RowError]


class BatchError(RatecardError):
    pass


def _format(path: Path, text: str) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line, raw row) pairs; a raw row is a dict, or an error message when the line cannot be read."""
    try:
        # utf-8-sig: Excel starts the CSV files it saves with a byte-order mark
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise BatchError(f"{path}: cannot read the batch file ({e}); give a JSON Lines or CSV file") from None
    if _format(path, text) == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                yield n, f"not valid JSON ({e.msg} at column {e.colno})"
        return
    first = text.split("\n", 1)[0]
    # Excel in many European locales separates CSV columns with semicolons
    delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = reader.fieldnames or []
    if "case" not in header or "intervention" not in header:
        raise BatchError(f"{path}:1: a CSV batch needs a header row with the columns 'case' and 'intervention' "
                         f"(found: {', '.join(header) or 'none'}); a JSON Lines batch needs one {{...}} object a line")
    for rec in reader:
        at = reader.line_num
        if None in rec:
            yield at, "more values than header columns"
            continue
        row: dict[str, Any] = {k: v for k, v in rec.items() if v not in (None, "")}
        # an inline case in a CSV cell is JSON text
        if isinstance(row.get("case"), str) and row["case"].lstrip().startswith("{"):
            try:
                row["case"] = json.loads(row["case"])
            except json.JSONDecodeError as e:
                yield at, f"case: the inline case is not valid JSON ({e.msg})"
                continue
        yield at, row


def _case(value: Any, base: Path, line: int, cache: dict[str, Case]) -> tuple[Case | None, str | None, list[RowError]]:
    if isinstance(value, str):
        p = Path(value) if Path(value).is_absolute() else base / value
        key = str(p)
        if key not in cache:
            try:
                cache[key] = load_case(p)
            except InputError as e:
                hint = "" if Path(value).is_absolute() else f" (a case path is read relative to the batch file's folder, {base})"
                return None, value, [RowError(field=f"case.{x.where}" if x.where else "case", message=str(x) + hint) for x in e.problems]
        return cache[key], value, []
    if isinstance(value, dict):
        try:
            c = case_from_document(Document(f"row at line {line}", value, {}))
        except InputError as e:
            ident = value.get("id") if isinstance(value.get("id"), str) else None
            return None, ident, [RowError(field=f"case.{x.where}" if x.where else "case", message=x.message) for x in e.problems]
        return c, c.id, []
    if value is None:
        return None, None, [RowError(field="case", message="missing: give a case file path or an inline case")]
    return None, None, [RowError(field="case", message="must be a file path or a case object")]


def check_rows(path: str | Path, catalog: Catalog | None = None, *, on: dt.date | None = None,
               progress: Callable[[int], None] | None = None) -> Iterator[BatchRow]:
    """Check every row of a batch file; case paths are relative to the batch file's folder."""
    from ..catalog.load import default_catalog

    path = Path(path)
    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    cache: dict[str, Case] = {}
    for i, (line, raw) in enumerate(read_rows(path), start=1):
        yield _one(i, line, raw, path.parent, catalog, on, cache)
        if progress:
            progress(i)


def _one(i: int, line: int, raw: Any, base: Path, catalog: Catalog, on: dt.date, cache: dict[str, Case]) -> BatchRow:
    def error(errors: list[RowError], case: str | None = None, iv: str | None = None) -> BatchRow:
        return BatchRow(row=i, line=line, status="error", case=case, intervention=iv, result=None, errors=errors)

    if isinstance(raw, str):
        return error([RowError(field="row", message=raw)])
    if not isinstance(raw, dict):
        return error([RowError(field="row", message="each row must be an object with 'case' and 'intervention'")])
    unknown = sorted(set(raw) - {"case", "intervention"})
    errors = [RowError(field=k, message="unknown field; a row has 'case' and 'intervention'") for k in unknown]
    iv = raw.get("intervention")
    if not isinstance(iv, str) or not iv:
        errors.append(RowError(field="intervention", message="missing: give an intervention id"))
        iv = None
    elif iv not in catalog.interventions:
        errors.append(RowError(field="intervention", message=str(UnknownInterventionError(iv, sorted(catalog.interventions)))))
    case, label, case_errors = _case(raw.get("case"), base, line, cache)
    errors += case_errors
    if errors or case is None or iv is None:
        return error(errors, label, iv)
    try:
        result = check_referral(case, iv, catalog, on=on)
    except InputError as e:  # e.g. a date of birth after the reference date
        return error([RowError(field=f"case.{x.where}" if x.where else "case", message=x.message) for x in e.problems], label, iv)
    except RatecardError as e:
        return error([RowError(field="row", message=str(e))], label, iv)
    return BatchRow(row=i, line=line, status="checked", case=label, intervention=iv, result=result, errors=[])


def count_rows(path: str | Path) -> int:
    return sum(1 for _ in read_rows(Path(path)))
