"""The values each field can take, read from the Case model's own constraints, and what a written
condition does over them: sometimes hold, never hold, or always hold.

A condition that can never hold (`risk.ogrs3_2yr gt 100`, `needs.x.score gte 13`) is a typo that
silently makes a rule fail everyone; one that always holds when the field is known
(`risk.ogrs3_2yr gte 0`) reads as a test but only asks whether the field is there, and the
engine (which reasons over every value a missing field could take) would take it as true. The
rule loader refuses both. Number ranges are the field registry's, which reads them from the Case
model's own Field constraints (ge, le): never a copy, and the same ranges the engine reasons over.
"""

from __future__ import annotations

import bisect
import math
import types
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Mapping
from typing import Any, Callable, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..case.model import RECORDS, Case
from .conditions import All, Any_, Cmp, Cond, Not, Present
from .fields import FieldType

# integer ranges up to this size are enumerated, so `in` and `not_in` are judged exactly
_ENUMERATE = 1000


@dataclass(frozen=True)
class Domain:
    """What a field's known value can be: a finite set, or numbers between two bounds."""

    values: tuple[Any, ...] | None = None
    lo: float = -math.inf
    lo_open: bool = False
    hi: float = math.inf
    hi_open: bool = False
    integer: bool = False
    # for text and list items: whether a value is one the field can hold
    accepts: Callable[[Any], bool] | None = field(default=None, compare=False)

    def contains(self, v: Any) -> bool:
        if self.values is not None:
            return any(type(v) is type(a) and v == a for a in self.values) or (
                _is_number(v) and any(_is_number(a) and v == a for a in self.values))
        if not _is_number(v) or math.isnan(v):
            return False
        if self.integer and not float(v).is_integer():
            return False
        above = v > self.lo if self.lo_open else v >= self.lo
        below = v < self.hi if self.hi_open else v <= self.hi
        return bool(above and below)

    def describe(self) -> str:
        if self.values is not None:
            if self.integer and len(self.values) > 6:
                return f"a whole number from {self.values[0]} to {self.values[-1]}"
            return "one of " + ", ".join(_show(v) for v in self.values)
        what = "a whole number" if self.integer else "a number"
        lo = None if self.lo == -math.inf else _show(self.lo)
        hi = None if self.hi == math.inf else _show(self.hi)
        if lo is not None and hi is not None and not self.lo_open and not self.hi_open:
            return f"{what} from {lo} to {hi}"
        parts = []
        if lo is not None:
            parts.append(f"more than {lo}" if self.lo_open else f"{lo} or more")
        if hi is not None:
            parts.append(f"less than {hi}" if self.hi_open else f"{hi} or less")
        return what + (", " + " and ".join(parts) if parts else "")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def number_domain(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False, integer: bool = False) -> Domain:
    if integer:
        first = math.floor(lo) + 1 if lo_open or lo != math.floor(lo) else int(lo)
        last = math.ceil(hi) - 1 if hi_open or hi != math.ceil(hi) else int(hi)
        if last - first < _ENUMERATE:
            return Domain(values=tuple(range(first, last + 1)), integer=True)
        return Domain(lo=first, hi=last, integer=True)
    return Domain(lo=lo, lo_open=lo_open, hi=hi, hi_open=hi_open)


def _strip(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _strip(args[0]) if len(args) == 1 else tp
    if typing.get_origin(tp) is typing.Annotated and typing.get_origin(_strip(typing.get_args(tp)[0])) is Literal:
        return _strip(typing.get_args(tp)[0])
    return tp


def _accepting(annotation: Any) -> Domain:
    """A text field, or a list's items: whatever the Case model's own validation accepts."""
    adapter = TypeAdapter(annotation)

    def accepts(v: Any) -> bool:
        # the value as the model keeps it: a case's `Northampton` is read as northampton, so a rule
        # naming `Northampton` could never match
        try:
            return bool(adapter.validate_python(v, strict=True) == v)
        except ValidationError:
            return False

    return Domain(accepts=accepts)


def _walk(model: type[BaseModel], prefix: str, out: dict[str, Domain]) -> None:
    for name, info in model.model_fields.items():
        if prefix == "" and (name == "id" or name in RECORDS):
            continue
        tp = _strip(info.annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            _walk(tp, f"{prefix}{name}.", out)
        elif typing.get_origin(tp) is list:
            item = _strip(typing.get_args(tp)[0])
            if typing.get_origin(item) is not Literal:
                out[f"{prefix}{name}"] = _accepting(item)
        elif typing.get_origin(tp) is typing.Annotated or tp is str:
            if _strip(typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp) is str:
                out[f"{prefix}{name}"] = _accepting(tp)


@lru_cache(maxsize=1)
def _text_domains() -> dict[str, Domain]:
    out: dict[str, Domain] = {}
    _walk(Case, "", out)
    return out


def field_domains(registry: Mapping[str, FieldType]) -> dict[str, Domain]:
    """The domain of every case and computed field of a registry: numbers over the range the
    registry carries (the Case model's own ge/le, the range the engine reasons over), choices and
    flags over their values, text and list items by the Case model's validation."""
    text = _text_domains()
    out: dict[str, Domain] = {}
    for name, ft in registry.items():
        if ft.kind == "number":
            lo = -math.inf if ft.lo is None else ft.lo
            hi = math.inf if ft.hi is None else ft.hi
            out[name] = number_domain(lo, hi, integer=ft.integer)
        elif ft.kind == "choice":
            out[name] = Domain(values=ft.values, integer=all(_is_number(v) for v in ft.values))
        elif ft.kind == "flag":
            out[name] = Domain(values=(False, True))
        elif ft.kind == "list" and ft.values:
            out[name] = Domain(values=ft.values)
        elif name in text:
            out[name] = text[name]
    return out


def holds(c: Cond, v: Any) -> bool:
    """A condition on one field, evaluated for a known value `v` of it."""
    if isinstance(c, Present):
        return c.present
    if isinstance(c, Cmp):
        x = c.value
        if c.op == "contains":
            return x in v
        if c.op in ("eq", "ne"):
            same = (type(v) is type(x) or (_is_number(v) and _is_number(x))) and v == x
            return same if c.op == "eq" else not same
        if not (_is_number(v) and _is_number(x)):
            return False
        return bool({"lt": v < x, "lte": v <= x, "gt": v > x, "gte": v >= x}[c.op])
    if isinstance(c, All):
        return all(holds(p, v) for p in c.parts)
    if isinstance(c, Any_):
        return any(holds(p, v) for p in c.parts)
    return not holds(c.part, v)


def _constants(c: Cond) -> list[float]:
    if isinstance(c, Cmp):
        return [c.value] if _is_number(c.value) else []
    if isinstance(c, (All, Any_)):
        return [x for p in c.parts for x in _constants(p)]
    if isinstance(c, Not):
        return _constants(c.part)
    return []


def _candidates(d: Domain, c: Cond) -> list[Any]:
    """Values of an infinite domain that between them take every outcome the condition can have:
    the condition is constant between consecutive constants, so the constants, the points between
    them and one point beyond each end stand for every value."""
    points = sorted({*(_constants(c)), *(b for b in (d.lo, d.hi) if math.isfinite(b))})
    if not points:
        points = [0.0]
    out: list[float] = list(points)
    out += [(a + b) / 2 for a, b in zip(points, points[1:])]
    out += [points[0] - 1, points[-1] + 1]
    if d.integer:
        out = [n for p in out for n in (math.floor(p), math.ceil(p), math.floor(p) + 1, math.ceil(p) - 1)]
    return [v for v in out if d.contains(v)]


def _representatives(values: tuple[Any, ...], c: Cond) -> list[Any]:
    """Of a long sorted list of whole numbers, the few that take every outcome the condition can
    have: at, just below and just above each constant, and both ends (the condition is constant
    between consecutive constants, and this keeps the first value past each)."""
    vals = sorted(values)
    out = {vals[0], vals[-1]}
    for x in _constants(c):
        i = bisect.bisect_left(vals, x)
        out.update(vals[j] for j in (i - 1, i, i + 1) if 0 <= j < len(vals))
    return sorted(out)


def _key(v: Any) -> tuple[str, Any]:
    # 1 and 1.0 are the same number; true is not the number 1
    return ("number", float(v)) if _is_number(v) else (type(v).__name__, v)


def _membership(c: All | Any_, d: Domain) -> set[bool]:
    """Outcomes of an `in` / `not_in` list, by set operations (a list of 5,000 towns or numbers
    would take millions of steps evaluated value by value)."""
    op, _, listed = c.sugar  # type: ignore[misc]
    keys = {_key(v) for v in listed}
    if d.values is not None:
        some_in = any(_key(v) in keys for v in d.values)
        some_out = any(_key(v) not in keys for v in d.values)
    else:
        some_in = any(d.contains(v) for v in listed)
        some_out = True  # a range of more values than any list names
    holds_if_in = op == "in"
    return ({holds_if_in} if some_in else set()) | ({not holds_if_in} if some_out else set())


def outcomes(c: Cond, d: Domain) -> set[bool] | None:
    """The outcomes a one-field condition can have when the field is known; None when the domain
    cannot be enumerated (free text)."""
    if isinstance(c, (All, Any_)) and c.sugar and c.sugar[0] in ("in", "not_in") and d.accepts is None:
        return _membership(c, d)
    if d.values is not None:
        vals: list[Any] = _representatives(d.values, c) if d.integer else list(d.values)
    elif d.accepts is None:
        vals = _candidates(d, c)
    else:
        return None
    return {holds(c, v) for v in vals}
