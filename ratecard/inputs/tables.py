"""Tables of cases (JSON Lines, a JSON array, CSV, Parquet, or an in-memory table) read into one
typed Polars frame with a column per case field, plus one error row per invalid case.

Why not validate every row with the Case model: at about 80-100 microseconds a row on these
machines, the national caseload (262,388 rows) would spend half a minute in validation alone.
So the checks the model makes are made on whole columns (types, allowed values, ranges,
identifiers, the model's cross-field rules), and a row is trusted only when every check passes
on every column. Any row the column checks cannot vouch for (an unexpected type in its column, an
unknown key, a section given as null, a value out of range...) is validated on its own with the
Case model, which has the last word: it either yields the case or the error messages. The fast
path can therefore only be faster, never more lenient (tests/test_tables.py checks this).

Error rows never echo the values they reject (case data is sensitive): they name the field and
say what is expected.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError

from ..case.model import LEGAL_RANGES, RECORDS, Case
from ..errors import RatecardError
from ..rules.fields import CASE_FIELDS

ROW = "row"  # 1-based position of the case among the data rows of the input
LEDGER = pl.List(pl.Struct({"date": pl.String, "kind": pl.String, "intervention": pl.String}))
SECTIONS = ("person", "offence", "history", "risk", "needs", "responsivity", "sentence")
_ID_MAX = 120


class TableError(RatecardError):
    """The file as a whole cannot be read as a table of cases."""


@dataclass(frozen=True)
class Spec:
    """What the Case model accepts for one field, as column checks."""

    kind: str  # number | flag | choice | text | list | date
    dtype: pl.DataType
    values: tuple[Any, ...] = ()  # choice values, or list items when closed
    minimum: float | None = None
    maximum: float | None = None
    item_pattern: str | None = None  # for text fields and list items
    max_length: int | None = None


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    for alt in node.get("anyOf", ()):
        if alt.get("type") != "null":
            return _resolve(schema, alt)
    return node


@lru_cache(maxsize=1)
def specs() -> dict[str, Spec]:
    """Every case field (dotted path) with the checks the Case model makes on it, read from the
    model's own JSON Schema so that a change to the model changes the checks."""
    schema = Case.model_json_schema()
    out: dict[str, Spec] = {}

    def walk(props: dict[str, Any], prefix: str) -> None:
        for name, node in props.items():
            path = prefix + name
            if prefix == "" and (name == "id" or name in RECORDS):
                continue
            target = _resolve(schema, node)
            if "properties" in target:
                walk(target["properties"], path + ".")
                continue
            ft = CASE_FIELDS[path]
            item = _resolve(schema, target["items"]) if target.get("type") == "array" else target
            if ft.kind == "number":
                dtype: pl.DataType = pl.Int64() if target.get("type") == "integer" else pl.Float64()
            elif ft.kind == "flag":
                dtype = pl.Boolean()
            elif ft.kind == "list":
                dtype = pl.List(pl.String)
            elif ft.kind == "date":
                dtype = pl.Date()
            elif ft.kind == "choice" and all(isinstance(v, int) for v in ft.values):
                dtype = pl.Int64()
            else:
                dtype = pl.String()
            out[path] = Spec(ft.kind, dtype, ft.values, target.get("minimum"), target.get("maximum"),
                             item.get("pattern"), item.get("maxLength"))

    walk(schema["properties"], "")
    return out


@dataclass
class CaseTable:
    """Valid cases as one frame (column `row`, `id`, every case field by dotted path, `rar_ledger`),
    in input order, and the invalid ones as error rows."""

    frame: pl.DataFrame
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.frame.height + len(self.errors)


# ---- reading files ------------------------------------------------------------------------------


def read_cases(path: str | Path) -> CaseTable:
    """Read a file of cases: JSON Lines (.jsonl, .ndjson), a JSON array (.json), CSV (.csv, .tsv,
    .txt: dotted column names, lists separated by ';') or Parquet (.parquet)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TableError(f"{path}: cannot read the cases file ({e.strerror}); check the path") from None
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except Exception as e:  # polars raises several types for a broken file
            raise TableError(f"{path}: not a readable Parquet file ({type(e).__name__}); export the cases again") from None
        return from_frame(frame, source=str(path))
    if data.startswith(b"\xef\xbb\xbf"):  # Excel starts its UTF-8 CSV files with a byte-order mark
        data = data[3:]
    head = data.lstrip()[:1]
    if suffix in (".csv", ".tsv", ".txt") and head not in (b"{", b"["):
        return read_csv_bytes(data, source=str(path))
    if head == b"[":
        return read_json_array(data, source=str(path))
    if head == b"{" or suffix in (".jsonl", ".ndjson", ".json"):
        return read_jsonl_bytes(data, source=str(path))
    return read_csv_bytes(data, source=str(path))


def read_jsonl_bytes(data: bytes, source: str = "<cases>") -> CaseTable:
    """JSON Lines: one case object a line, blank lines skipped.

    Arrow's JSON reader parses the whole file at once (several times faster than a line at a
    time, and faster than Polars' own reader here); a file it refuses (a line that is not an
    object, a value whose type changes between lines...) is read one line at a time."""
    lines = _Lines(data)
    if not data.strip():
        raise TableError(f"{source}: no cases in the file; give one JSON case object a line")
    try:
        import pyarrow as pa
        import pyarrow.json as pj

        table = pj.read_json(pa.BufferReader(lines.joined()),
                             read_options=pj.ReadOptions(block_size=1 << 24),
                             parse_options=pj.ParseOptions(explicit_schema=_arrow_schema(), unexpected_field_behavior="infer"))
        raw = pl.from_arrow(table)  # one row per non-blank line: the reader skips blank lines
        if not isinstance(raw, pl.DataFrame):
            raise ValueError("not a table")
    except Exception:  # one line at a time; the model names what is wrong on each
        return _from_objects([_parse_line(ln) for ln in lines.all()])
    unknown = [f'"{k}"'.encode() for k in _unknown_names(raw)]
    suspects = lines.matching([(_NULL_SECTION, b"null"), *((re.compile(re.escape(k)), k) for k in unknown)])
    return _validate(raw, lines.get, suspects)


class _Lines:
    """The non-blank lines of a JSON Lines buffer, split only when needed. The Arrow reader takes
    the buffer as it is (it skips blank lines itself); only the few lines the column checks
    question are cut out, and only a file with blank lines is split to number its rows."""

    def __init__(self, data: bytes):
        self.data = data
        self._all: list[bytes] | None = None
        self._clean: bool | None = None

    def clean(self) -> bool:
        """No blank or whitespace-only line: then row i is line i (plain substring tests first,
        a regex over hundreds of MiB costs a second)."""
        if self._clean is None:
            d = self.data
            self._clean = not (b"\n\n" in d or d.startswith(b"\n") or b"\r" in d
                               or ((b"\n " in d or b"\n\t" in d) and re.search(rb"\n[ \t]+\n", d) is not None))
        return self._clean

    def all(self) -> list[bytes]:
        if self._all is None:
            self._all = [ln for ln in self.data.split(b"\n") if ln.strip()]
        return self._all

    def joined(self) -> bytes:
        return self.data

    def get(self, i: int) -> bytes:
        return self.all()[i]  # only rows the column checks question come here

    def matching(self, patterns: list[tuple[re.Pattern[bytes], bytes]]) -> set[int]:
        """Rows (0-based) of the lines where any pattern matches (each with a literal it contains)."""
        text = self.data
        found: set[int] = set()
        for p, anchor in patterns:
            # find the anchor with a fast substring search, then try the pattern around it
            at = text.find(anchor)
            while at != -1:
                m = p.search(text, max(0, at - 40), at + 40)
                if m:
                    found.add(m.start())
                at = text.find(anchor, at + 1)
        lines: list[int] = []
        line = prev = 0
        for pos in sorted(found):  # one pass over the text, however many matches
            line += text.count(b"\n", prev, pos)
            prev = pos
            lines.append(line)
        if self.clean():
            return set(lines)
        row_of: dict[int, int] = {}
        row = 0
        for n, ln in enumerate(text.split(b"\n")):
            if ln.strip():
                row_of[n] = row
                row += 1
        return {row_of[n] for n in lines if n in row_of}


def _arrow_schema() -> Any:
    """The case format as an Arrow schema, so that the reader does not guess types from the first
    lines (dates stay text and are checked here)."""
    import pyarrow as pa

    def arrow(dtype: pl.DataType) -> Any:
        if dtype == pl.Int64:
            return pa.int64()
        if dtype == pl.Float64:
            return pa.float64()
        if dtype == pl.Boolean:
            return pa.bool_()
        if isinstance(dtype, pl.List):
            return pa.list_(pa.string())
        return pa.string()

    tree: dict[str, Any] = {}
    for path, spec in specs().items():
        d = tree
        *parents, last = path.split(".")
        for p in parents:
            d = d.setdefault(p, {})
        d[last] = arrow(spec.dtype)

    def build(d: dict[str, Any]) -> list[Any]:
        return [pa.field(k, pa.struct(build(v)) if isinstance(v, dict) else v) for k, v in d.items()]

    ledger = pa.list_(pa.struct([pa.field("date", pa.string()), pa.field("kind", pa.string()),
                                 pa.field("intervention", pa.string())]))
    return pa.schema([pa.field("id", pa.string()), *build(tree), pa.field("rar_ledger", ledger)])


def read_json_array(data: bytes, source: str = "<cases>") -> CaseTable:
    try:
        items = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TableError(f"{source}: not valid JSON ({getattr(e, 'msg', e)}); give a JSON array of case objects, "
                         "or one case object a line") from None
    if not isinstance(items, list) or not items:
        raise TableError(f"{source}: expected a non-empty JSON array of case objects")
    return from_records(items)


def _parse_line(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        return _BadRow(f"not valid JSON ({getattr(e, 'msg', 'cannot decode')}); write one case object a line")


@dataclass(frozen=True)
class _BadRow:
    message: str


def _unknown_names(raw: pl.DataFrame) -> set[str]:
    """Keys in the file that the case format does not have (a null-valued one is an error too)."""
    known = set(specs()) | {"id", *RECORDS}
    out: set[str] = set()

    def walk(name: str, dtype: pl.DataType) -> None:
        if name not in known and not any(k.startswith(name + ".") for k in known):
            out.add(name.rsplit(".", 1)[-1])  # whatever its value, even {} or null
        elif isinstance(dtype, pl.Struct) and name not in RECORDS:
            for f in dtype.fields:
                walk(f"{name}.{f.name}", f.dtype)

    for name, dtype in raw.schema.items():
        walk(name, dtype)
    return out


# a section given as null: the model refuses it, and the frame cannot tell it from an absent one
_NULL_SECTION = re.compile(rb'"(?:' + b"|".join(s.encode() for s in SECTIONS) + rb')"\s*:\s*null')


# ---- CSV --------------------------------------------------------------------------------------


def read_csv_bytes(data: bytes, source: str = "<cases>") -> CaseTable:
    """CSV with dotted column names (person.sex, needs.relationships.score), lists separated by ';'.
    Excel's exports are read as they are: a byte-order mark, ';' as the column separator (then a
    decimal comma is read too), dates as DD/MM/YYYY (the UK order) as well as YYYY-MM-DD.
    An empty cell is an absent field; `[]` is an empty list."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TableError(f"{source}: not UTF-8 text; save the CSV as 'CSV UTF-8'") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header or "id" not in [h.strip() for h in header]:
        raise TableError(f"{source}:1: a CSV of cases needs a header row with an 'id' column and dotted field names "
                         "such as person.sex or needs.relationships.score (see `ratecard schema`)")
    header = [h.strip() for h in header]
    rows: list[list[str]] = []
    broken: dict[int, str] = {}
    for rec in reader:
        if not any(c.strip() for c in rec):
            continue
        if len(rec) != len(header):
            broken[len(rows)] = f"has {len(rec)} cells but the header has {len(header)} columns"
            rec = (rec + [""] * len(header))[: len(header)]
        rows.append(rec)
    if not rows:
        raise TableError(f"{source}: no cases in the file (only a header row)")
    columns = {h: [r[j] for r in rows] for j, h in enumerate(header)}
    frame = pl.DataFrame(columns, schema={h: pl.String for h in header})
    return _from_text(frame, decimal_comma=delimiter == ";", broken=broken)


_TRUE, _FALSE = ("true",), ("false",)


def _from_text(text: pl.DataFrame, decimal_comma: bool, broken: dict[int, str]) -> CaseTable:
    """Typed columns from text cells; a cell that does not parse is an error naming the field."""
    sp = specs()
    cols: dict[str, pl.Series] = {}
    problems: dict[int, list[dict[str, str]]] = {i: [{"field": "row", "message": m}] for i, m in broken.items()}
    unknown = [c for c in text.columns if c not in sp and c not in ("id", *RECORDS)]
    for c in unknown:
        filled = text[c].str.strip_chars().str.len_chars().fill_null(0) > 0
        for i in filled.arg_true().to_list():
            problems.setdefault(i, []).append({"field": c, "message": "unknown column; use the dotted field names of `ratecard schema`"})
    for name in text.columns:
        if name in unknown:
            continue
        stripped = text[name].str.strip_chars()
        s = pl.select(pl.when(stripped == "").then(None).otherwise(stripped).alias(name)).to_series()
        given = s.is_not_null()
        if name == "id":
            cols[name] = s
            continue
        if name == "rar_ledger":
            parsed, bad = _json_cells(s, LEDGER)
            cols[name] = parsed
            _note(problems, bad, name, "is not a JSON list of {date, kind, intervention} entries")
            continue
        if name == "events":
            cols[name] = s  # validated row by row with the model
            continue
        spec = sp[name]
        typed, bad, what = _parse_cells(s, spec, decimal_comma)
        cols[name] = typed
        _note(problems, bad & given, name, what)
    frame = pl.DataFrame(cols)
    frame, errors = _check(frame, lambda i: _nest(frame.row(i, named=True)), set(), failed=set(problems))
    for i, errs in problems.items():
        rid = text["id"][i] if "id" in text.columns else None
        errors.append({"case_id": rid or None, "row": i + 1, "errors": errs})
    errors.sort(key=lambda e: e["row"])
    return CaseTable(frame, errors)


def _note(problems: dict[int, list[dict[str, str]]], bad: pl.Series, name: str, message: str) -> None:
    for i in bad.fill_null(False).arg_true().to_list():
        problems.setdefault(i, []).append({"field": name, "message": message})


def _json_cells(s: pl.Series, dtype: pl.DataType) -> tuple[pl.Series, pl.Series]:
    values: list[Any] = []
    bad: list[bool] = []
    for v in s.to_list():
        if v is None:
            values.append(None)
            bad.append(False)
            continue
        try:
            x = json.loads(v)
            ok = isinstance(x, list) and all(isinstance(e, dict) for e in x)
        except json.JSONDecodeError:
            x, ok = None, False
        values.append(x if ok else None)
        bad.append(not ok)
    try:
        series = pl.Series(s.name, values, dtype=dtype, strict=False)
    except Exception:
        series = pl.Series(s.name, [None] * len(values), dtype=dtype)
        bad = [v is not None for v in s.to_list()]
    return series, pl.Series(bad)


def _parse_cells(s: pl.Series, spec: Spec, decimal_comma: bool) -> tuple[pl.Series, pl.Series, str]:
    lower = s.str.to_lowercase()
    if spec.kind == "flag":
        typed = pl.select(pl.when(lower.is_in(_TRUE)).then(True).when(lower.is_in(_FALSE)).then(False)
                          .otherwise(None).alias(s.name)).to_series()
        return typed, typed.is_null() & s.is_not_null(), "must be true or false"
    if spec.kind == "list":
        items = s.str.strip_chars("[]").str.split(";").list.eval(pl.element().str.strip_chars())
        items = items.list.eval(pl.element().filter(pl.element() != ""))
        return items.alias(s.name), pl.Series([False] * len(s)), ""
    if spec.kind == "date":
        iso = s.str.to_date("%Y-%m-%d", strict=False)
        uk = s.str.to_date("%d/%m/%Y", strict=False)
        typed = iso.fill_null(uk).alias(s.name)
        return typed, typed.is_null(), "must be a date, YYYY-MM-DD (or DD/MM/YYYY as Excel writes it)"
    if spec.dtype == pl.Int64 or spec.dtype == pl.Float64:
        num = s.str.replace(",", ".", literal=True) if decimal_comma else s
        f = num.cast(pl.Float64, strict=False)
        if spec.dtype == pl.Int64:
            whole = f.is_not_null() & (f == f.floor()) & f.is_finite()
            typed = pl.select(pl.when(whole).then(f).otherwise(None).cast(pl.Int64).alias(s.name)).to_series()
            return typed, typed.is_null(), "must be a whole number"
        return f.alias(s.name), f.is_null() | ~f.is_finite(), "must be a number"
    return s, pl.Series([False] * len(s)), ""


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """A flat row (dotted names) as the nested case object the model reads."""
    out: dict[str, Any] = {}
    for k, v in flat.items():
        if v is None or k == ROW:
            continue
        if hasattr(v, "isoformat"):
            v = v.isoformat()
        *parents, last = k.split(".") if k not in RECORDS else [k]
        d = out
        for p in parents:
            d = d.setdefault(p, {})
        if k == "events" and isinstance(v, str):
            try:
                v = json.loads(v)
            except json.JSONDecodeError:
                pass
        if k == "rar_ledger" and isinstance(v, list):
            v = [{a: b for a, b in e.items() if b is not None} if isinstance(e, dict) else e for e in v]
        d[last] = v
    return out


# ---- in-memory input --------------------------------------------------------------------------


def from_records(items: Iterable[Any]) -> CaseTable:
    """Cases given as dicts (the case format) or Case objects."""
    objs: list[Any] = []
    for x in items:
        if isinstance(x, Case):
            objs.append(x.model_dump(mode="json", exclude_none=True))
        else:
            objs.append(x)
    if not objs:
        return CaseTable(_empty_frame())
    return _from_objects(objs)


def _from_objects(objs: list[Any]) -> CaseTable:
    """Row-by-row validation with the model (used when the columns cannot be read at once)."""
    good: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for i, obj in enumerate(objs):
        case, errs = _validate_one(obj)
        if case is None:
            errors.append({"case_id": _id_of(obj), "row": i + 1, "errors": errs})
        else:
            good.append(_flat_case(case, i + 1))
    return CaseTable(_frame_of(good), errors)


def from_frame(table: Any, source: str = "<table>") -> CaseTable:
    """A Polars DataFrame or a pyarrow Table: nested struct columns (as JSON reads) or flat dotted
    columns (as CSV or a spreadsheet gives)."""
    if not isinstance(table, pl.DataFrame):
        try:
            table = pl.from_arrow(table)
        except Exception:
            raise TableError(f"{source}: not a table; give a Polars DataFrame, a pyarrow Table or case records") from None
    if "id" not in _flatten(table).columns:
        raise TableError(f"{source}: the table has no 'id' column; every case needs an id")
    flat = _flatten(table)
    unknown = [c for c in flat.columns if c not in specs() and c not in ("id", *RECORDS)]
    suspects: set[int] = set()
    for c in unknown:
        suspects |= set(flat[c].is_not_null().arg_true().to_list())
    flat = flat.drop(unknown)
    return _validate(flat, lambda i: _nest(flat.row(i, named=True)), suspects, flat_input=True)


def _flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Struct columns unnested into dotted names (records stay lists)."""
    while True:
        structs = [c for c, t in frame.schema.items() if isinstance(t, pl.Struct) and c not in RECORDS]
        if not structs:
            return frame
        exprs = []
        for c, t in frame.schema.items():
            if c in structs:
                exprs += [pl.col(c).struct.field(f.name).alias(f"{c}.{f.name}") for f in t.fields]  # type: ignore[union-attr]
            else:
                exprs.append(pl.col(c))
        frame = frame.select(exprs)


# ---- validation -------------------------------------------------------------------------------


def _validate_one(obj: Any) -> tuple[Case | None, list[dict[str, str]]]:
    if isinstance(obj, _BadRow):
        return None, [{"field": "row", "message": obj.message}]
    try:
        if isinstance(obj, (bytes, str)):
            return Case.model_validate_json(obj), []
        if not isinstance(obj, dict):
            return None, [{"field": "row", "message": "each case must be an object with 'id', 'person', 'risk', ..."}]
        return Case.model_validate_json(json.dumps(obj, default=str)), []
    except ValidationError as e:
        return None, problems_of(e)


def problems_of(e: ValidationError) -> list[dict[str, str]]:
    """The model's complaints as {field, message}, without the values given (they are sensitive)."""
    out = []
    for x in e.errors(include_url=False, include_input=False):
        loc = [p for p in x["loc"] if not (isinstance(p, str) and (p.startswith(("function-", "literal[")) or "[" in p))]
        where = ".".join(str(p) for p in loc) or "row"
        t = x["type"]
        if t == "extra_forbidden":
            msg = "unknown field; check the spelling against `ratecard schema`"
        elif t == "missing":
            msg = "is required"
        elif t == "string_pattern_mismatch":
            msg = "must be a lower-case identifier such as northampton or east_northamptonshire"
        elif t == "literal_error":
            msg = f"is not one of the allowed values: {x.get('ctx', {}).get('expected', '')}"
        elif t == "model_type" and len(loc) == 1:
            msg = "must be an object of fields (leave it out when nothing is known)"
        else:
            msg = x["msg"]
        out.append({"field": where, "message": msg})
    return out


def _id_of(obj: Any) -> str | None:
    if isinstance(obj, (bytes, str)):
        try:
            obj = json.loads(obj)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return obj["id"]
    return None


def _flat_case(case: Case, row: int) -> dict[str, Any]:
    out: dict[str, Any] = {ROW: row, "id": case.id, **dict.fromkeys(specs())}

    def walk(prefix: str, data: Any) -> None:
        for k, v in data.items():
            if isinstance(v, dict):
                walk(f"{prefix}{k}.", v)
            elif prefix + k in out:  # a section left out (None) leaves its fields None
                out[prefix + k] = v

    walk("", case.model_dump(exclude={"id", *RECORDS}))
    out["rar_ledger"] = None if case.rar_ledger is None else [
        {"date": e.date.isoformat(), "kind": e.kind, "intervention": e.intervention} for e in case.rar_ledger]
    return out


def _schema() -> dict[str, pl.DataType]:
    return {ROW: pl.Int64(), "id": pl.String(), **{k: s.dtype for k, s in specs().items()}, "rar_ledger": LEDGER}


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=_schema())


def _frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = _schema()
    if not rows:
        return _empty_frame()
    return pl.DataFrame({k: [r.get(k) for r in rows] for k in schema}, schema=schema)


def _normalise(s: pl.Series, target: pl.DataType) -> tuple[pl.Series, pl.Series]:
    """(column in the target type, rows whose value could not be carried over exactly)."""
    src = s.dtype
    name = s.name
    n = len(s)
    none = pl.Series(name, [False] * n)
    if src == target:
        return s, none
    if src == pl.Null:
        return pl.Series(name, [None] * n, dtype=target), none
    if target == pl.Float64 and (src.is_integer() or src == pl.Float32):
        return s.cast(pl.Float64), none
    if target == pl.Int64 and src.is_integer():
        c = s.cast(pl.Int64, strict=False)
        return c, c.is_null() & s.is_not_null()
    if target == pl.String and src in (pl.Categorical, pl.Enum):
        return s.cast(pl.String), none
    if target == pl.Date and src == pl.String:
        ok = s.str.contains(r"^\d{4}-\d{2}-\d{2}$")
        d = s.str.to_date("%Y-%m-%d", strict=False)
        return d, s.is_not_null() & (d.is_null() | ~ok.fill_null(False))
    if target == pl.Date and src == pl.Datetime:
        d = s.dt.date()
        return d, s.is_not_null() & (s != s.dt.truncate("1d"))
    if isinstance(target, pl.List) and isinstance(src, pl.List) and src.inner in (pl.Categorical, pl.Null, pl.String):  # type: ignore[attr-defined]
        return s.cast(target), none
    # another type: the model decides, row by row
    return pl.Series(name, [None] * n, dtype=target), s.is_not_null()


def _validate(raw: pl.DataFrame, original: Callable[[int], Any], suspects: set[int], flat_input: bool = False) -> CaseTable:
    flat = raw if flat_input else _flatten(raw)
    cols: dict[str, pl.Series] = {}
    unsure = pl.Series([False] * flat.height)
    for name, spec in specs().items():
        if name in flat.columns:
            col, bad = _normalise(flat[name], spec.dtype)
            cols[name] = col
            unsure = unsure | bad
    for name in ("id", *RECORDS):
        if name in flat.columns:
            cols[name] = flat[name]
    frame = pl.DataFrame(cols, height=flat.height) if cols else pl.DataFrame(height=flat.height)
    frame, errors = _check(frame, original, suspects | set(unsure.arg_true().to_list()))
    return CaseTable(frame, errors)


def _check(frame: pl.DataFrame, original: Callable[[int], Any], decided: set[int],
           failed: set[int] = frozenset()) -> tuple[pl.DataFrame, list[dict[str, Any]]]:  # type: ignore[assignment]
    """Column checks; rows that fail any (or are in `decided`: already known to need the model)
    are taken out and judged by the Case model one by one; rows in `failed` (already in error)
    are only taken out."""
    n = frame.height
    sp = specs()
    for name, spec in sp.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=spec.dtype).alias(name))
    if "id" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("id"))
    bad = [pl.col("id").is_null() | ~pl.col("id").cast(pl.String, strict=False).str.len_chars().is_between(1, _ID_MAX)]
    if frame.schema["id"] != pl.String:
        bad.append(pl.lit(True))
    for name, spec in sp.items():
        c = pl.col(name)
        if spec.kind == "choice":
            bad.append(c.is_not_null() & ~c.is_in(list(spec.values)))
        elif spec.kind == "number":
            if spec.dtype == pl.Float64:
                bad.append(c.is_not_null() & ~c.is_finite())
            if spec.minimum is not None:
                bad.append(c < spec.minimum)
            if spec.maximum is not None:
                bad.append(c > spec.maximum)
        elif spec.kind == "text":
            bad.append(~c.str.contains(spec.item_pattern or ".*"))
            if spec.max_length:
                bad.append(c.str.len_chars() > spec.max_length)
        elif spec.kind == "list":
            items_ok = (c.list.eval(pl.element().is_in(list(spec.values))).list.all() if spec.values else
                        c.list.eval(pl.element().str.contains(spec.item_pattern or ".*")
                                    & (pl.element().str.len_chars() <= (spec.max_length or 10**6))).list.all())
            bad.append(~items_ok.fill_null(True))
            bad.append(c.list.eval(pl.element().is_null()).list.any())
    # the model's own cross-field rules
    reqs = pl.col("sentence.requirements")
    bad.append(reqs.list.n_unique() != reqs.list.len())
    bad.append(pl.col("sentence.rar_days").is_not_null() & reqs.is_not_null() & ~reqs.list.contains("rar"))
    # legal ranges by sentence type, and a conviction before the order and after the tenth birthday
    # (case/model.py LEGAL_RANGES and Case._consistent); a row that fails goes to the model for its message
    for kind in ("community_order", "suspended_sentence_order"):
        lo, hi, _ = LEGAL_RANGES[kind]
        bad.append((pl.col("sentence.type") == kind) & ~pl.col("sentence.length_months").is_between(lo, hi))
    convicted = pl.col("offence.conviction_date")
    bad.append(convicted > pl.col("sentence.start"))
    bad.append(convicted < pl.col("person.date_of_birth").dt.offset_by("10y"))
    # records: the ledger checked column-wise when its shape is the expected one; events by the model
    if "events" in frame.columns:
        bad.append(pl.col("events").is_not_null())
    if "rar_ledger" in frame.columns:
        if frame.schema["rar_ledger"] == LEDGER or frame.schema["rar_ledger"] == pl.List(pl.Struct({"date": pl.String, "kind": pl.String})):
            e = pl.element()
            entry_ok = (e.is_not_null() & e.struct.field("date").str.contains(r"^\d{4}-\d{2}-\d{2}$").fill_null(False)
                        & e.struct.field("date").str.to_date("%Y-%m-%d", strict=False).is_not_null()
                        & e.struct.field("kind").is_in(["activity", "supervision"]).fill_null(False))
            if "intervention" in [f.name for f in frame.schema["rar_ledger"].inner.fields]:  # type: ignore[attr-defined]
                iv = e.struct.field("intervention")
                entry_ok = entry_ok & (iv.is_null() | (iv.str.contains(r"^[a-z][a-z0-9_]*$") & (iv.str.len_chars() <= 60)))
            bad.append(~pl.col("rar_ledger").list.eval(entry_ok).list.all().fill_null(True))
        elif frame.schema["rar_ledger"] != pl.Null:
            bad.append(pl.col("rar_ledger").is_not_null())
    flags = frame.select(pl.any_horizontal([b.fill_null(False) for b in bad]).alias("bad"))["bad"]
    judge = sorted((decided | set(flags.arg_true().to_list())) - failed)
    keep = pl.Series([True] * n)
    if judge or failed:
        keep = keep.scatter(sorted(set(judge) | failed), False)
    good = frame.filter(keep).with_columns(pl.Series(ROW, range(1, n + 1)).filter(keep))
    good = _conform(good)
    rescued: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for i in judge:
        obj = original(i)
        case, errs = _validate_one(obj)
        if case is None:
            errors.append({"case_id": _id_of(obj), "row": i + 1, "errors": errs})
        else:
            rescued.append(_flat_case(case, i + 1))
    if rescued:
        good = pl.concat([good, _frame_of(rescued)]).sort(ROW)
    return good, errors


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    schema = _schema()
    exprs = []
    for name, dtype in schema.items():
        if name in frame.columns and frame.schema[name] == dtype:
            exprs.append(pl.col(name))
        elif name == "rar_ledger" and name in frame.columns and frame.schema[name] != pl.Null:
            exprs.append(pl.col(name).list.eval(pl.struct(
                pl.element().struct.field("date"), pl.element().struct.field("kind"),
                (pl.element().struct.field("intervention") if "intervention" in [f.name for f in frame.schema[name].inner.fields]  # type: ignore[attr-defined]
                 else pl.lit(None, dtype=pl.String)).alias("intervention"))).cast(LEDGER).alias(name))
        elif name in frame.columns:
            exprs.append(pl.col(name).cast(dtype).alias(name))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)
