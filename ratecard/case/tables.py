"""Tables of cases (JSON Lines, a JSON array, CSV, Parquet, a DataFrame or Arrow table, case
records in Python) read into validated cases: one typed Polars frame with a column per case field,
plus one error row per invalid case.

The one validation is the case model's (ratecard/case/model.py), applied to whole columns:

- each distinct value of a column is validated once by the model's own type for that field (a
  pydantic TypeAdapter of the field's annotation: its choices, forms, bounds, folding of capitals);
- each distinct combination of the fields a Refusal reads is tested once by the Refusal itself
  (ratecard/case/consistency.py), the same test the model runs.

Nothing here restates a check. A row all of whose values pass is valid, with the values the model
gives it. Any other row, and any row the readers could not put into columns (a duplicate key, a
value of another type, two objects on a line), is judged alone by the one-case path (`screen`'s:
the project's JSON reader and the model), which gives the verdict and the messages. So a row gets
the same verdict and message alone or among others, in a file, over HTTP and from Python
(tests/test_one_validation.py generates rows with export mistakes and compares every path).

At about 80-100 microseconds a row, validating every row with the model would take half a minute
for the national caseload (262,388 rows); a column has few distinct values, so this takes well
under a second (benchmarks/bench_read.py).

Error rows never echo the values they reject (case data is sensitive): they name the field and say
what is expected, in the words `ratecard screen` uses.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import typing
import types
from contextvars import ContextVar
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..extras import explain

try:
    import polars as pl
    import pyarrow as pa
except ImportError as _missing:  # the batch extra
    raise (explain(_missing) or _missing) from None

from ..errors import InputError, Problem
from ..inputs.files import ParseError, decode
from ..inputs.numbers import parse_number
from ..inputs.tablefiles import (ROW, JsonLines, TableError, first_char, json_array_lines, parsed_cells, read_csv_rows,
                                 BLOCK_BYTES, read_parquet, table_blocks, table_format, unknown_names)
from ..inputs.yamlio import parse_text
from .coerce import CaseInput, coerce_case
from .consistency import Refusal
from .facts import date_of_birth_problem
from .model import NOT_A_MAPPING, Case, case_from_document

__all__ = ["ROW", "CaseTable", "CasesInput", "TableError", "read_cases", "from_records", "from_frame", "flat_case", "dated_errors"]

# what the readers may not exceed for a row to be judged by columns alone: rows beyond are judged
# by the one-case path, whose limits (ratecard/inputs/limits.py) then apply
_ROW_BYTES = 1024 * 1024
_LIST_ITEMS = 1_000
OUTPUT_RECORDS = ("rar_ledger",)  # records kept in the frame (events are validated, not kept)

Kind = Literal["flag", "int", "float", "text", "date", "list", "records"]


# ---- the model's layout ------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """A field of the case (or of one record) that holds a value or a list of values."""

    path: str  # dotted, from the case (or from the record)
    kind: Kind
    adapter: TypeAdapter[Any] | None  # the model's validation of one value (of one item, for a list)
    record: Layout | None = None  # the layout of one record, for a list of records
    item: Kind | None = None  # the kind of a list's items


@dataclass(frozen=True)
class Layout:
    leaves: tuple[Leaf, ...]
    refusals: tuple[tuple[str, Refusal], ...]  # (where the model sits, as a path prefix; the refusal)

    @property
    def by_path(self) -> dict[str, Leaf]:
        return {leaf.path: leaf for leaf in self.leaves}


def _strip(tp: Any) -> Any:
    """The type inside Optional[...] and Annotated[...]."""
    while True:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        elif origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        else:
            return tp


def _kind(tp: Any) -> Kind:
    base = _strip(tp)
    if base is bool:
        return "flag"
    if base is int:
        return "int"
    if base is float:
        return "float"
    if base is dt.date:
        return "date"
    if base is str:
        return "text"
    if typing.get_origin(base) is Literal:
        values = typing.get_args(base)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "int"
        if all(isinstance(v, str) for v in values):
            return "text"
    raise TypeError(f"the batch reader does not know how to hold {tp!r} in a column; "
                    "declare the field with the types of ratecard/inputs/types.py")


_KNOWN_VALIDATORS = {"_refusals", "_absent"}


def _layout(model: type[BaseModel], prefix: str = "") -> Layout:
    # a model validator this module does not run would be a check the columns skip: refuse it here
    # (declare the check as a Refusal instead), so that the two can never drift apart
    decorators = model.__pydantic_decorators__
    unknown = (set(decorators.model_validators) | set(decorators.field_validators)) - _KNOWN_VALIDATORS
    if unknown:
        raise TypeError(f"{model.__name__} validates with {sorted(unknown)}: declare the check as a Refusal "
                        "(ratecard/case/consistency.py) so that tables are checked the same way")
    leaves: list[Leaf] = []
    refusals: list[tuple[str, Refusal]] = [(prefix, r) for r in getattr(model, "REFUSALS", ())]
    for name, info in model.model_fields.items():
        path = prefix + name
        tp = _strip(info.annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            inner = _layout(tp, path + ".")
            leaves += inner.leaves
            refusals += inner.refusals
        elif typing.get_origin(tp) is list:
            (item,) = typing.get_args(tp)
            if isinstance(_strip(item), type) and issubclass(_strip(item), BaseModel):
                leaves.append(Leaf(path, "records", None, _layout(_strip(item))))
            else:
                leaves.append(Leaf(path, "list", TypeAdapter(item), item=_kind(item)))
        else:
            annotation = typing.Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
            leaves.append(Leaf(path, _kind(info.annotation), TypeAdapter(annotation)))  # type: ignore[arg-type]  # every field is annotated
    return Layout(tuple(leaves), tuple(refusals))


@lru_cache(maxsize=1)
def layout() -> Layout:
    """The case model's fields and refusals, as the column checks use them (`id` included)."""
    return _layout(Case)


def _raw_dtype(leaf: Leaf) -> pl.DataType:
    """How a column holds a field's values before they are validated (as JSON gives them)."""
    return {"flag": pl.Boolean(), "int": pl.Int64(), "float": pl.Float64(), "text": pl.String(),
            "date": pl.String()}.get(leaf.kind) or (
        pl.List(_scalar_dtype(leaf.item or "text")) if leaf.kind == "list" else _record_dtype(leaf.record))  # type: ignore[arg-type]


def _scalar_dtype(kind: Kind) -> pl.DataType:
    return {"flag": pl.Boolean(), "int": pl.Int64(), "float": pl.Float64()}.get(kind, pl.String())


def _record_dtype(record: Layout) -> pl.DataType:
    return pl.List(pl.Struct({leaf.path: _raw_dtype(leaf) for leaf in record.leaves}))


def _out_dtype(leaf: Leaf) -> pl.DataType:
    """How the validated frame holds a field: dates as dates; in records, dates as ISO text."""
    return pl.Date() if leaf.kind == "date" else _raw_dtype(leaf)


@lru_cache(maxsize=1)
def arrow_schema() -> pa.Schema:
    """The case format as an Arrow schema, so that the JSON reader takes each value as JSON typed
    it and never guesses types from the first lines."""
    def arrow(dtype: pl.DataType) -> pa.DataType:
        return pl.Series([], dtype=dtype).to_arrow().type

    tree: dict[str, Any] = {}
    for leaf in layout().leaves:
        node = tree
        *parents, last = leaf.path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = arrow(_raw_dtype(leaf))

    def build(d: dict[str, Any]) -> list[pa.Field]:
        return [pa.field(k, pa.struct(build(v)) if isinstance(v, dict) else _large_to_plain(v)) for k, v in d.items()]

    return pa.schema(build(tree))


def _large_to_plain(t: pa.DataType) -> pa.DataType:
    # Polars hands Arrow large strings and large lists; the JSON reader wants the plain ones
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_list(t) or pa.types.is_list(t) or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return pa.list_(_large_to_plain(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(t.field(i).name, _large_to_plain(t.field(i).type)) for i in range(t.num_fields)])
    return t


def _schema() -> dict[str, pl.DataType]:
    """The validated frame: row, id, every field by dotted path, and the records kept."""
    out: dict[str, pl.DataType] = {ROW: pl.Int64()}
    for leaf in layout().leaves:
        if leaf.kind != "records":
            out[leaf.path] = _out_dtype(leaf)
    for name in OUTPUT_RECORDS:
        out[name] = _raw_dtype(layout().by_path[name])
    return out


# ---- the result --------------------------------------------------------------------------------


@dataclass
class CaseTable:
    """Valid cases as one frame (column `row`, `id`, every case field by dotted path, `rar_ledger`),
    in input order, and the invalid ones as error rows {case_id, row, errors: [{field, message}]}."""

    frame: pl.DataFrame
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.frame.height + len(self.errors)


# what screen_many and build_caseload accept: one case or many (each as screen() takes it), a
# CaseTable, or a Polars frame (a pyarrow Table too, typed Any: pyarrow ships no type hints)
CasesInput: TypeAlias = Iterable[CaseInput] | CaseInput | CaseTable | pl.DataFrame | pl.LazyFrame


def flat_case(case: Case, row: int) -> dict[str, Any]:
    """A valid case as its row of the validated frame."""
    out: dict[str, Any] = {ROW: row}
    data = case.model_dump()
    for leaf in layout().leaves:
        if leaf.kind == "records":
            continue
        v: Any = data
        for part in leaf.path.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        out[leaf.path] = v
    for name in OUTPUT_RECORDS:
        recs = data.get(name)
        out[name] = None if recs is None else [
            {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in recs]
    return out


# ---- judging one row with the one-case path ----------------------------------------------------

Judged = tuple["Case | None", list[dict[str, str]], "str | None"]  # (case, errors, the id it gives)


def _errors(problems: Iterable[Problem]) -> list[dict[str, str]]:
    return [{"field": p.field or "row", "message": p.message} for p in problems]


def _given_id(data: Any) -> str | None:
    given = data.get("id") if isinstance(data, Mapping) else None
    return given if isinstance(given, str) else None


def judge_text(text: bytes | str, row: int) -> Judged:
    """A row given as JSON text, judged as `ratecard screen` judges a .json case file."""
    source = f"row {row}"
    try:
        doc = parse_text(decode(text, source) if isinstance(text, bytes) else text, source, as_json=True)
    except ParseError as e:
        return None, _errors(e.problems), None
    try:
        return case_from_document(doc, stand_in=source), [], None
    except InputError as e:
        return None, _errors(e.problems), _given_id(doc.data)


def judge_data(data: Any, row: int) -> Judged:
    """A row given as data (a dict, JSON or YAML text, a Case), judged as `screen(data)` judges it."""
    source = f"row {row}"
    try:
        return coerce_case(data, source, stand_in=source), [], None
    except InputError as e:
        return None, _errors(e.problems), _given_id(data)
    except TypeError:
        return None, [{"field": "row", "message": NOT_A_MAPPING}], None


# ---- validation over columns --------------------------------------------------------------------


def _false(n: int) -> pl.Series:
    return pl.repeat(False, n, eager=True, dtype=pl.Boolean)


def _nulls(name: str, n: int, dtype: pl.DataType) -> pl.Series:
    return pl.repeat(None, n, eager=True, dtype=dtype).alias(name)


class _Check:
    """Which rows of a frame fail a column check: the masks, combined once at the end."""

    def __init__(self, height: int):
        self.height = height
        self.masks: list[pl.Series] = []

    def flag(self, mask: pl.Series) -> None:
        self.masks.append(mask)

    def failed(self) -> pl.Series:
        if not self.masks:
            return _false(self.height)
        return pl.DataFrame({str(i): m for i, m in enumerate(self.masks)}).select(
            pl.any_horizontal(pl.all().fill_null(False)).alias("bad"))["bad"]


# Within one read of a file in blocks, each value a field's type has judged, by (type, value): the
# blocks of a national caseload repeat most values (dates), and each is validated once
_JUDGED: ContextVar[dict[int, dict[tuple[type, Any], tuple[bool, Any]]] | None] = ContextVar("_JUDGED", default=None)


def _validated_values(values: list[Any], adapter: TypeAdapter[Any]) -> tuple[dict[Any, Any], list[Any]]:
    """(value -> the model's value, for the values that pass; the values that do not)."""
    judged = _JUDGED.get()
    memo = judged.setdefault(id(adapter), {}) if judged is not None else {}
    good: dict[Any, Any] = {}
    bad: list[Any] = []
    for v in values:
        key = (type(v), v)
        got = memo.get(key)
        if got is None:
            try:
                got = (True, adapter.validate_python(v, strict=True))
            except (ValidationError, ValueError, TypeError):
                got = (False, None)
            if judged is not None:
                memo[key] = got
        if got[0]:
            good[v] = got[1]
        else:
            bad.append(v)
    return good, bad


# Core schemas simple enough to be checked as whole columns, with what each key means as an
# expression. Any other schema (a literal, a date, a function of ours) is checked one distinct value
# at a time by the model's own validator; a key not listed here sends the field there too.
_BOUNDS = {"ge": lambda c, v: c >= v, "le": lambda c, v: c <= v, "gt": lambda c, v: c > v, "lt": lambda c, v: c < v}
_SIMPLE: dict[str, dict[str, Callable[[pl.Expr, Any], pl.Expr]]] = {
    "int": dict(_BOUNDS),
    "float": dict(_BOUNDS),
    "str": {"min_length": lambda c, v: c.str.len_chars() >= v, "max_length": lambda c, v: c.str.len_chars() <= v,
            "pattern": lambda c, v: c.str.contains(v)},
}
_DTYPES = {"int": pl.Int64, "float": pl.Float64, "str": pl.String}


def _column_check(schema: dict[str, Any], dtype: pl.DataType) -> pl.Expr | None:
    """The expression that holds where a value passes `schema` (a pydantic core schema), when the
    schema is one of the simple ones; None otherwise."""
    if schema.get("type") == "nullable":
        schema = schema["schema"]
    kind = schema.get("type")
    checks = _SIMPLE.get(str(kind))
    if checks is None or dtype != _DTYPES[str(kind)]:
        return None
    c = pl.col("v")
    ok = pl.lit(True)
    for key, value in schema.items():
        if key in ("type", "metadata", "ref"):
            continue
        if key not in checks:
            return None
        ok = ok & checks[key](c, value)
    if kind == "float":  # unless the schema allows them (it does not say so here), never NaN or infinity
        ok = ok & c.is_finite()
    return ok


def _check_leaf(s: pl.Series, leaf: Leaf) -> tuple[pl.Series, pl.Series]:
    """(the column with the model's values, in its validated dtype; the rows whose value fails)."""
    n = len(s)
    none = _false(n)
    if leaf.kind == "flag":
        return s, none
    assert leaf.adapter is not None
    if leaf.kind == "list":
        return _check_list(s, leaf)
    simple = _column_check(leaf.adapter.core_schema, s.dtype)  # type: ignore[arg-type]
    if simple is not None:
        failed = pl.DataFrame({"v": s}).select((pl.col("v").is_not_null() & ~simple.fill_null(False)).alias("bad"))["bad"]
        return s.cast(_out_dtype(leaf)), failed
    uniques = s.drop_nulls().unique().to_list()
    good, bad = _validated_values(uniques, leaf.adapter)
    failed = s.is_in(bad, nulls_equal=False).fill_null(False) if bad else none
    if leaf.kind == "float":
        failed = failed | (s.is_nan() | s.is_infinite()).fill_null(False)
    if leaf.kind == "date":
        if s.dtype == pl.Date:
            return s, failed
        return s.replace_strict(list(good), list(good.values()), default=None, return_dtype=pl.Date), failed
    changed = {k: v for k, v in good.items() if v != k or type(v) is not type(k)}
    if changed:
        s = s.replace(list(changed), list(changed.values()))
    return s.cast(_out_dtype(leaf)), failed


def _check_list(s: pl.Series, leaf: Leaf) -> tuple[pl.Series, pl.Series]:
    assert leaf.adapter is not None
    items = _items(s)
    uniques = items.drop_nulls().unique().to_list()
    good, bad = _validated_values(uniques, leaf.adapter)
    # a null item is never a valid value (no list holds optional items)
    item_bad = items.is_null() | (items.is_in(bad, nulls_equal=False).fill_null(False) if bad else False)
    failed = _any_per_row(item_bad, s)
    # lists long enough to near the one-case path's limits are its business (it counts them)
    failed = failed | (s.list.len() > _LIST_ITEMS).fill_null(False)
    changed = {k: v for k, v in good.items() if v != k}
    if changed:
        s = s.list.eval(pl.element().replace(list(changed), list(changed.values())))
    return s, failed


def _items(s: pl.Series) -> pl.Series:
    """Every item of a list column, in order (empty and null lists give none)."""
    return s.explode(empty_as_null=False, keep_nulls=False)


def _owners(s: pl.Series) -> pl.Series:
    """For each item of `_items(s)`, the index of the row it came from."""
    return pl.Series(range(len(s)), dtype=pl.Int64).repeat_by(s.list.len().fill_null(0)).explode(
        empty_as_null=False, keep_nulls=False)


def _any_per_row(item_flags: pl.Series | bool, s: pl.Series) -> pl.Series:
    if isinstance(item_flags, bool):
        return pl.Series([item_flags] * len(s))
    flagged = _owners(s).filter(item_flags).unique().to_list()
    return pl.Series(range(len(s)), dtype=pl.Int64).is_in(flagged)


def _check_refusals(frame: pl.DataFrame, refusals: Iterable[tuple[str, Refusal]], skip: pl.Series) -> pl.Series:
    """Rows (not in `skip`) where a refusal holds: each distinct combination of values tested once."""
    bad = _false(frame.height)
    index = pl.Series("__i", range(frame.height), dtype=pl.Int64)
    for prefix, r in refusals:
        cols = [prefix + p for p in r.reads]
        sub = pl.DataFrame([frame[c] if c in frame.columns else _nulls(c, frame.height, pl.Null()) for c in cols] + [index])
        groups = sub.filter(~skip).group_by(cols, maintain_order=True).agg(pl.col("__i"))
        hit: list[int] = []
        for *combo, rows in groups.iter_rows():
            if r.refuses(*combo):
                hit += rows
        if hit:
            bad = bad | index.is_in(hit)
    return bad & ~skip


def _check_records(s: pl.Series, leaf: Leaf) -> tuple[pl.Series, pl.Series]:
    """A list of records (the RAR ledger, events): every record's fields and refusals, as for a case."""
    record = leaf.record
    assert record is not None
    target = _raw_dtype(leaf)
    failed = (s.list.len() > _LIST_ITEMS).fill_null(False)
    items = _items(s)
    if len(items) == 0 or not isinstance(items.dtype, pl.Struct):
        return s.cast(target), failed
    owners = _owners(s)
    item_bad = items.is_null()  # a null record is never valid
    fields = items.struct.unnest()
    cols: dict[str, pl.Series] = {}
    for sub in record.leaves:
        col = fields[sub.path] if sub.path in fields.columns else _nulls(sub.path, len(items), _raw_dtype(sub))
        fixed, bad = _check_records(col, sub) if sub.kind == "records" else _check_leaf(col, sub)
        if sub.adapter is not None and sub.kind != "list":
            # a field every record must give (a ledger entry's date): absent or null fails its type
            _, refused = _validated_values([None], sub.adapter)
            if refused:
                bad = bad | col.is_null()
        item_bad = item_bad | bad
        cols[sub.path] = fixed.dt.to_string("%Y-%m-%d") if sub.kind == "date" else fixed
    checked = pl.DataFrame(cols)
    item_bad = item_bad | _check_refusals(checked, record.refusals, item_bad)
    failed = failed | _any_per_row(item_bad, s)
    inner = target.inner  # type: ignore[attr-defined]
    per_row = (pl.DataFrame({"__owner": owners, "__item": checked.select(pl.struct(pl.all()).alias("r"))["r"].cast(inner)})
               .group_by("__owner", maintain_order=True).agg("__item"))
    rebuilt = (pl.DataFrame({"__owner": range(len(s))}, schema={"__owner": pl.Int64})
               .join(per_row, on="__owner", how="left", maintain_order="left")["__item"])
    out = pl.select(pl.when(s.is_null()).then(None).when(s.list.len() == 0).then(pl.lit([], dtype=target))
                    .otherwise(rebuilt).alias(s.name)).to_series()
    return out.cast(target), failed


def _validate(flat: pl.DataFrame, judge: Callable[[int], Judged], suspects: set[int] = frozenset(),  # type: ignore[assignment]
              failed: Mapping[int, list[dict[str, str]]] | None = None,
              given_ids: Callable[[int], str | None] | None = None) -> CaseTable:
    """The validation of a frame of rows (column `row`, dotted case fields in their raw types,
    records as lists of structs): rows that pass every column check are kept with the model's
    values; rows in `suspects`, or that fail a check, are judged one by one with `judge(row)`;
    rows in `failed` are error rows already (with their errors)."""
    lay = layout()
    failed = dict(failed or {})
    check = _Check(flat.height)
    columns: dict[str, pl.Series] = {ROW: flat[ROW]}
    for leaf in lay.leaves:
        if leaf.path not in flat.columns:
            continue
        s = flat[leaf.path]
        if leaf.path == "id":
            continue
        if leaf.kind == "records":
            fixed, bad = _check_records(s, leaf)
        else:
            fixed, bad = _check_leaf(s, leaf)
        columns[leaf.path] = fixed.alias(leaf.path)
        check.flag(bad)
    # id: when a case gives none, its row stands in (docs/formats.md)
    ids = flat["id"] if "id" in flat.columns else _nulls("id", flat.height, pl.String())
    _, bad_ids = _check_leaf(ids, lay.by_path["id"])
    check.flag(bad_ids)
    columns["id"] = pl.select(pl.when(ids.is_null()).then(pl.format("row {}", flat[ROW])).otherwise(ids).alias("id")).to_series()
    checked = pl.DataFrame(columns)
    rows = flat[ROW]
    known_bad = rows.is_in(list(suspects) + list(failed))
    bad = check.failed() | known_bad
    bad = bad | _check_refusals(checked, lay.refusals, bad)
    good = _conform(checked.filter(~bad))
    errors: list[dict[str, Any]] = []
    rescued: list[dict[str, Any]] = []
    # rows a check failed, and rows the readers could not put into columns at all
    for row in sorted((set(rows.filter(bad).to_list()) | set(suspects)) - set(failed)):
        case, errs, given = judge(row)
        if case is None:
            errors.append({"case_id": given, "row": row, "errors": errs})
        else:
            rescued.append(flat_case(case, row))
    for row, errs in failed.items():
        errors.append({"case_id": given_ids(row) if given_ids else None, "row": row, "errors": errs})
    if rescued:
        good = pl.concat([good, _frame_of(rescued)]).sort(ROW)
    errors.sort(key=lambda e: e["row"])
    return CaseTable(good, errors)


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    schema = _schema()
    return frame.select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in schema.items()])


def _frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = _schema()
    return pl.DataFrame({k: [r.get(k) for r in rows] for k in schema}, schema=schema)


def _empty() -> CaseTable:
    return CaseTable(pl.DataFrame(schema=_schema()))


# ---- frames as they come ------------------------------------------------------------------------


def _flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Sections (struct columns) unnested into dotted names; records stay lists of structs."""
    records = {leaf.path for leaf in layout().leaves if leaf.kind == "records"}
    while True:
        structs = [c for c, t in frame.schema.items() if isinstance(t, pl.Struct) and c not in records]
        if not structs:
            return frame
        exprs: list[pl.Expr] = []
        for c, t in frame.schema.items():
            if c in structs:
                exprs += [pl.col(c).struct.field(f.name).alias(f"{c}.{f.name}") for f in t.fields]  # type: ignore[attr-defined]
            else:
                exprs.append(pl.col(c))
        frame = frame.select(exprs)


def _normalise(s: pl.Series, target: pl.DataType) -> tuple[pl.Series, pl.Series]:
    """A column of another writer's types in the raw type the checks take: (the column, the rows
    whose value cannot be carried over exactly, to be judged one by one)."""
    src, name, n = s.dtype, s.name, len(s)
    none = _false(n).alias(name)
    if src == target:
        return s, none
    if src == pl.Null:
        return _nulls(name, n, target), none
    if target == pl.Float64 and (src.is_integer() or src == pl.Float32):
        return s.cast(pl.Float64), none
    if target == pl.Int64 and src.is_integer():
        c = s.cast(pl.Int64, strict=False)
        return c, c.is_null() & s.is_not_null()
    if target == pl.String and src in (pl.Categorical, pl.Enum):
        return s.cast(pl.String), none
    if target == pl.String and src == pl.Date:  # a date column (Parquet, a DataFrame) is a date
        ok = s.dt.year().is_between(1, 9999)
        return s.dt.to_string("%Y-%m-%d"), s.is_not_null() & ~ok.fill_null(False)
    if isinstance(target, pl.List) and isinstance(src, pl.List):
        try:
            return s.cast(target, strict=True), none
        except Exception:
            pass
    # another type (a date and time, a decimal, a number where text belongs): judged one by one
    return _nulls(name, n, target), s.is_not_null()


def _nest(row: Mapping[str, Any]) -> dict[str, Any]:
    """A flat row (dotted names) as the nested case the one-case path reads; null is absent."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if v is None or k == ROW:
            continue
        *parents, last = k.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        if isinstance(v, list):
            v = [{a: b for a, b in e.items() if b is not None} if isinstance(e, dict) else e for e in v]
        node[last] = v
    return out


def from_frame(table: Any, source: str = "<table>") -> CaseTable:
    """A Polars DataFrame or a pyarrow Table: nested struct columns (as JSON reads) or flat dotted
    columns (as CSV or a spreadsheet gives). A null is an absent field."""
    if not isinstance(table, pl.DataFrame):
        try:
            got = pl.from_arrow(table)
        except Exception:
            raise TableError(f"{source}: not a table; give a Polars DataFrame, a pyarrow Table or case records") from None
        if not isinstance(got, pl.DataFrame):
            raise TableError(f"{source}: not a table; give a Polars DataFrame, a pyarrow Table or case records")
        table = got
    if table.height == 0:
        return _empty()
    flat = _flatten(table).drop(ROW, strict=False)
    flat = flat.with_columns(pl.Series(ROW, range(1, flat.height + 1), dtype=pl.Int64))
    lay = layout().by_path
    suspects: set[int] = set()
    columns: list[pl.Series] = [flat[ROW]]
    for c in flat.columns:
        if c == ROW:
            continue
        if c not in lay:  # an unknown field: a row that gives it is an error (a null is absent)
            suspects |= set(flat.filter(flat[c].is_not_null())[ROW].to_list())
            continue
        s, odd = _normalise(flat[c], pl.String() if c == "id" else _raw_dtype(lay[c]))
        suspects |= set(flat.filter(odd)[ROW].to_list())
        columns.append(s)
    original = flat

    def judge(row: int) -> Judged:
        try:
            data = _nest(original.row(row - 1, named=True))
        except Exception:  # a value Python cannot hold (a date before year 1)
            return None, [{"field": "row", "message": "holds a value that is not a case value; export the cases again"}], None
        return judge_data(data, row)

    return _validate(pl.DataFrame(columns), judge, suspects)


# ---- JSON Lines and JSON arrays -----------------------------------------------------------------


def _from_json_lines(lines: JsonLines, judge: Callable[[int], Judged] | None = None,
                     alone: Iterable[int] = (), base: int = 0) -> CaseTable:
    """Rows as JSON Lines; `judge` judges a row alone (default: its line, as a .json case file),
    and the rows in `alone` are judged so whatever their line holds. `base`: the rows before
    these (a block of a larger file), so that rows are numbered, and named, in the whole file."""
    expected = arrow_schema()
    tables, loose = lines.read(expected)
    judge = judge or (lambda row: judge_text(lines.line(row - base), row))
    suspects: set[int] = {r + base for r in loose} | set(alone)
    frames: list[pl.DataFrame] = []
    unknown: set[str] = set()
    for first, table in tables:
        unknown |= set(unknown_names(table.schema, expected))
        # unknown keys are found in the text below; what Arrow made of them is not needed (and a
        # key Polars cannot name, such as "", must not stop the other rows)
        table = table.select([n for n in table.column_names if n in expected.names])
        try:
            frame = pl.from_arrow(table)
        except Exception:  # whatever Arrow built that Polars cannot hold: each row judged alone
            suspects |= set(range(base + first, base + first + table.num_rows))
            continue
        assert isinstance(frame, pl.DataFrame)
        frames.append(frame.with_columns(pl.Series(ROW, range(base + first, base + first + frame.height), dtype=pl.Int64)))
    if not frames:
        frame = pl.DataFrame({ROW: []}, schema={ROW: pl.Int64})
    else:
        frame = _flatten(pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0])
    lay = layout().by_path
    if unknown:
        # a row that gives an unknown key, even as null, is refused by the model: find each one in
        # the text (a key written with \u escapes is found by looking at every such row)
        written = {f'"{k}"'.encode("utf-8", "surrogatepass") for k in unknown} | {json.dumps(k).encode() for k in unknown}
        suspects |= {base + r for r in lines.rows_with([*written, b"\\u", b"\\/"])}
        for c in [c for c in frame.columns if c != ROW and c not in lay]:
            suspects |= set(frame.filter(frame[c].is_not_null())[ROW].to_list())
    suspects |= {base + r for r in lines.rows_longer_than(_ROW_BYTES)}
    keep = [ROW] + [c for c in frame.columns if c in lay]
    frame = frame.select(keep)
    casts = []
    for c in frame.columns:
        if c == ROW:
            continue
        want = _raw_dtype(lay[c])
        if frame.schema[c] != want:
            casts.append(c)
    for c in casts:  # records with fields Arrow inferred besides the known ones: keep the known
        fixed, odd = _normalise_records(frame[c], _raw_dtype(lay[c]))
        frame = frame.with_columns(fixed)
        suspects |= set(frame.filter(odd)[ROW].to_list())
    return _validate(frame, judge, suspects)


def _normalise_records(s: pl.Series, target: pl.DataType) -> tuple[pl.Series, pl.Series]:
    inner = target.inner  # type: ignore[attr-defined]
    if isinstance(s.dtype, pl.List) and isinstance(s.dtype.inner, pl.Struct):
        have = {f.name for f in s.dtype.inner.fields}
        fields = [(pl.element().struct.field(f.name) if f.name in have else pl.lit(None, dtype=f.dtype)).cast(f.dtype).alias(f.name)
                  for f in inner.fields]
        try:
            return s.list.eval(pl.struct(fields)).cast(target), _false(len(s))
        except Exception:
            pass
    return _normalise(s, target)


# ---- CSV ---------------------------------------------------------------------------------------

_TRUE_FALSE = {"true": True, "false": False}


def _parse_flag(text: str) -> bool:
    try:
        return _TRUE_FALSE[text.strip().lower()]
    except KeyError:
        raise ValueError("must be true or false") from None


def _parse_list(text: str) -> list[str]:
    t = text.strip()
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    return [p.strip() for p in t.split(";") if p.strip()]


def read_csv(data: bytes, source: str) -> CaseTable:
    """CSV with dotted column names (person.sex, needs.relationships.score), lists separated by
    ';' (`[]` for an empty list), records (rar_ledger, events) as JSON text; an empty cell is an
    absent field. Numbers as typed (a decimal comma is read: inputs/numbers.py), dates as
    YYYY-MM-DD or DD/MM/YYYY, true/false in any capitals."""
    rows = read_csv_rows(data, source)
    cells = rows.frame
    if cells.height == 0:
        raise TableError(f"{source}: no cases in the file (only a header row)")
    lay = layout().by_path
    failed: dict[int, list[dict[str, str]]] = {r: [{"field": "row", "message": why}] for r, why in rows.errors.items()}

    def fail(mask: pl.Series, name: str, message: str | dict[str, str], values: pl.Series) -> None:
        for row, v in zip(cells.filter(mask)[ROW].to_list(), values.filter(mask).to_list()):
            text = message if isinstance(message, str) else message.get(v, "cannot be read")
            failed.setdefault(row, []).append({"field": name, "message": text})

    typed: dict[str, pl.Series] = {ROW: cells[ROW]}
    record_cells: dict[str, pl.Series] = {}
    for name in cells.columns:
        if name == ROW:
            continue
        s = cells[name]
        leaf = lay.get(name)
        if leaf is None:
            fail(s.is_not_null(), name, "unknown column; use the dotted field names of `ratecard schema`", s)
            continue
        if leaf.kind in ("text", "date") or name == "id":
            typed[name] = s
        elif leaf.kind == "records":
            record_cells[name] = s
        elif leaf.kind == "list":
            item = leaf.item
            parsed, bad, why = parsed_cells(s, _parse_list, pl.List(pl.String))
            typed[name] = parsed if item == "text" else parsed.cast(_raw_dtype(leaf), strict=False)
            fail(bad, name, why, s)
        else:
            if leaf.kind == "flag":
                parse: Callable[[str], Any] = _parse_flag
            else:
                parse = functools.partial(parse_number, whole=leaf.kind == "int")
            parsed, bad, why = parsed_cells(s, parse, _raw_dtype(leaf))
            typed[name] = parsed
            fail(bad, name, why, s)
    frame = pl.DataFrame(typed)
    suspects: set[int] = set()
    record_values: dict[str, dict[int, str]] = {}
    for name, s in record_cells.items():
        column, odd = _records_from_json_cells(s, name, cells[ROW])
        frame = frame.with_columns(column)
        suspects |= odd
        record_values[name] = dict(zip(cells[ROW].to_list(), s.to_list()))
    given = dict(zip(cells[ROW].to_list(), cells["id"].to_list())) if "id" in cells.columns else {}

    position = {row: i for i, row in enumerate(frame[ROW].to_list())}

    def judge(row: int) -> Judged:
        flat = frame.row(position[row], named=True)
        data = _nest({k: v for k, v in flat.items() if k not in record_values})
        for name, texts in record_values.items():
            text = texts.get(row)
            if text is not None:
                try:
                    data[name] = parse_text(text, f"row {row}", as_json=True).data
                except ParseError as e:
                    return None, [{"field": name, "message": p.message} for p in e.problems], given.get(row)
        return judge_data(data, row)

    return _validate(frame, judge, suspects, failed, given_ids=given.get)


def _records_from_json_cells(s: pl.Series, name: str, rows: pl.Series) -> tuple[pl.Series, set[int]]:
    """Records given as JSON text in CSV cells, read as JSON Lines are (`{"<name>": <cell>}` a
    line); a cell Arrow cannot read alone makes its row one to judge alone."""
    present = s.is_not_null()
    texts = s.filter(present).to_list()
    out = _nulls(name, len(s), _raw_dtype(layout().by_path[name]))
    if not texts:
        return out, set()
    body = "\n".join('{"%s": %s}' % (name, t.replace("\r", " ").replace("\n", " ")) for t in texts).encode("utf-8", "surrogatepass")
    lines = JsonLines(body)
    schema = pa.schema([arrow_schema().field(name)])
    tables, loose = lines.read(schema)
    at = rows.filter(present).to_list()  # the table row of each cell given
    odd = {at[r - 1] for r in loose}
    values: dict[int, Any] = {}
    for first, table in tables:
        if unknown_names(table.schema, schema):
            odd |= {at[first - 1 + i] for i in range(table.num_rows)}
            continue
        col = pl.from_arrow(table)
        assert isinstance(col, pl.DataFrame)
        for i, v in enumerate(col[name].to_list()):
            values[at[first - 1 + i]] = v
    index = {row: i for i, row in enumerate(rows.to_list())}
    filled = [None] * len(s)
    for row, v in values.items():
        filled[index[row]] = v
    try:
        out = pl.Series(name, filled, dtype=_raw_dtype(layout().by_path[name]), strict=True)
    except Exception:
        odd |= set(values)
    return out, odd


# ---- in memory ---------------------------------------------------------------------------------


def _json_default(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()  # as the one-case path sends dates to the model
    raise TypeError("not JSON")


def from_records(items: Iterable[Any]) -> CaseTable:
    """Cases given as dicts (the case format, dates as dates or ISO text), JSON or YAML text, or
    Case objects: each judged as `screen()` judges it, many at once."""
    objs = list(items)
    if not objs:
        return _empty()
    lines: list[str] = []
    alone: set[int] = set()
    for row, x in enumerate(objs, start=1):
        if isinstance(x, Case):
            x = x.model_dump(mode="json", exclude_none=True)
        if isinstance(x, Mapping):
            try:
                lines.append(json.dumps(x, default=_json_default, allow_nan=False, ensure_ascii=False))
                continue
            except (TypeError, ValueError):
                pass
        alone.add(row)  # text (JSON or YAML), values JSON cannot carry, not a case at all
        lines.append("{}")
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    return _from_json_lines(JsonLines(data), lambda row: judge_data(objs[row - 1], row), alone)


# ---- files -------------------------------------------------------------------------------------


def read_cases(path: str | Path) -> CaseTable:
    """Read a file of cases: JSON Lines (.jsonl, .ndjson), a JSON array (.json), CSV (.csv, .tsv,
    .txt: dotted column names, lists separated by ';') or Parquet (.parquet). A pipe, a device or a
    file too large is refused before it is read."""
    path = Path(path)
    source = str(path)
    # JSON Lines a block of lines at a time: the national caseload's 454 MiB are never in memory
    # at once (each row's verdict is its own, so blocks give what the whole file gives)
    blocks = table_blocks(path, BLOCK_BYTES)
    first = next(blocks, b"")
    fmt = table_format(path, first)
    if fmt == "jsonl":
        if not isinstance(first, memoryview) or not first_char(first):
            raise TableError(f"{source}: no cases in the file; give one JSON case object a line")
        head = [first]
        del first  # each block is let go once read
        parts: list[CaseTable] = []
        rows = 0
        token = _JUDGED.set({})
        try:
            for block in _chained(head, blocks):
                part = _from_json_lines(JsonLines(block.obj, first=not parts, end=len(block)), base=rows)  # type: ignore[arg-type]
                rows += part.total
                parts.append(part)
                del block  # let go of the block: the next is read into the same memory
        finally:
            _JUDGED.reset(token)
        return _joined(parts)
    data = b"".join([first, *blocks])
    del first
    if fmt == "parquet":
        return from_frame(read_parquet(data, source), source=source)
    if fmt == "json":
        return _from_json_lines(JsonLines(json_array_lines(data, source)))
    return read_csv(data, source)


def _chained(head: list[memoryview], rest: Iterator[memoryview]) -> Iterator[memoryview]:
    yield head.pop()
    yield from rest


def _joined(parts: list[CaseTable]) -> CaseTable:
    if len(parts) == 1:
        return parts[0]
    # one chunk: a frame of several chunks (a block each) is copied whole by operations that want
    # one (a select over the screened table did: 0.37 GiB at the national caseload report's peak)
    return CaseTable(pl.concat([p.frame for p in parts], rechunk=True), [e for p in parts for e in p.errors])


# ---- on a reference date -----------------------------------------------------------------------


def dated_errors(table: CaseTable, on: dt.date) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """The valid cases that can be screened on `on`, and the error rows (the table's own, and the
    cases whose date of birth does not fit `on`, as `screen()` refuses them: case/facts.py)."""
    frame = table.frame
    errors = list(table.errors)
    born, start, convicted = pl.col("person.date_of_birth"), pl.col("sentence.start"), pl.col("offence.conviction_date")
    # a superset of the rows the one test refuses (any date the age may be measured at); that test
    # decides each of them
    early = pl.min_horizontal(pl.lit(on), start, convicted)
    maybe = frame.filter((born > early) | (pl.lit(on).dt.year() - born.dt.year() >= 150))
    refused: list[int] = []
    for rid, row, b, c, s in maybe.select("id", ROW, "person.date_of_birth", "offence.conviction_date", "sentence.start").iter_rows():
        wrong = date_of_birth_problem(b, c, s, on)
        if wrong is not None:
            refused.append(row)
            errors.append({"case_id": rid, "row": row, "errors": [{"field": "person.date_of_birth", "message": wrong}]})
    if refused:
        frame = frame.filter(~pl.col(ROW).is_in(refused))
    return frame, errors
