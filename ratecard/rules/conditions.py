"""Condition trees, as written in rule files, parsed and checked against the field registry.

A tree is the one representation of a rule: the durable_rules compiler, the plain reference
evaluator and the plain-English renderer all read it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from ..docs import formats_doc
from ..errors import Problem
from .fields import FieldType
from ..inputs.yamlio import Document, Loc

COMPARISONS = ("eq", "ne", "lt", "lte", "gt", "gte")
ORDERING = frozenset({"lt", "lte", "gt", "gte"})
ATOM_OPS = (*COMPARISONS, "between", "in", "not_in", "contains", "present")


@dataclass(frozen=True)
class Cmp:
    field: str
    op: str  # one of COMPARISONS or "contains"
    value: Any


@dataclass(frozen=True)
class Present:
    field: str
    present: bool


@dataclass(frozen=True)
class All:
    parts: tuple[Cond, ...]
    # how the author wrote it, kept for plain-English rendering ("between", "in"...)
    sugar: tuple[str, str, tuple[Any, ...]] | None = None


@dataclass(frozen=True)
class Any_:
    parts: tuple[Cond, ...]
    sugar: tuple[str, str, tuple[Any, ...]] | None = None


@dataclass(frozen=True)
class Not:
    part: Cond


Cond = Union[Cmp, Present, All, Any_, Not]


def fields_of(c: Cond) -> tuple[str, ...]:
    """Every field a condition names, in first-use order, without repeats."""
    out: dict[str, None] = {}

    def walk(x: Cond) -> None:
        if isinstance(x, (Cmp, Present)):
            out[x.field] = None
        elif isinstance(x, (All, Any_)):
            for p in x.parts:
                walk(p)
        else:
            walk(x.part)

    walk(c)
    return tuple(out)


def _same_value(a: Any, b: Any) -> bool:
    # True == 1 in Python; a flag must never match a MAPPA level
    return type(a) is type(b) and a == b


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class ConditionParser:
    """Parses the YAML form into trees, collecting every problem rather than stopping at the first."""

    def __init__(self, registry: dict[str, FieldType], doc: Document):
        self.registry = registry
        self.doc = doc
        self.problems: list[Problem] = []

    def _fail(self, loc: Loc, msg: str) -> None:
        self.problems.append(Problem(self.doc.path, self.doc.line(loc), ".".join(map(str, loc)), msg))

    def parse(self, raw: Any, loc: Loc) -> Cond | None:
        if not isinstance(raw, dict):
            self._fail(loc, "a condition must be a mapping such as {field: age, gte: 18} or {all: [...]}")
            return None
        keys = set(raw)
        for group in ("all", "any"):
            if group in keys:
                if keys != {group}:
                    self._fail(loc, f"'{group}' must stand alone in its mapping; found also {sorted(keys - {group})}")
                    return None
                items = raw[group]
                if not isinstance(items, list) or not items:
                    self._fail(loc + (group,), f"'{group}' takes a non-empty list of conditions")
                    return None
                parts = [self.parse(item, loc + (group, i)) for i, item in enumerate(items)]
                if any(p is None for p in parts):
                    return None
                return All(tuple(parts)) if group == "all" else Any_(tuple(parts))  # type: ignore[arg-type]
        if "not" in keys:
            if keys != {"not"}:
                self._fail(loc, f"'not' must stand alone in its mapping; found also {sorted(keys - {'not'})}")
                return None
            inner = self.parse(raw["not"], loc + ("not",))
            return Not(inner) if inner is not None else None
        if "field" not in keys:
            self._fail(loc, f"unknown condition keys {sorted(map(str, keys))}; use field + one operator, or all / any / not")
            return None
        ops = keys - {"field"}
        unknown = sorted(str(o) for o in ops if o not in ATOM_OPS)
        if unknown:
            self._fail(loc, f"unknown operator {unknown[0]!r}; use one of {', '.join(ATOM_OPS)}")
            return None
        if len(ops) != 1:
            self._fail(loc, f"give exactly one operator with 'field' (found {len(ops)}); combine with all / any")
            return None
        (op,) = ops
        return self._atom(raw["field"], op, raw[op], loc)

    def _atom(self, field: Any, op: str, value: Any, loc: Loc) -> Cond | None:
        if not isinstance(field, str):
            self._fail(loc + ("field",), "the field name must be text, e.g. risk.ogrs3_2yr")
            return None
        ft = self.registry.get(field)
        if ft is None:
            close = [k for k in self.registry if k.split(".")[-1] == field.split(".")[-1]][:3]
            hint = f" Did you mean {' or '.join(close)}?" if close else f" The fields are listed in {formats_doc()}."
            self._fail(loc + ("field",), f"no field named '{field}'.{hint}")
            return None
        vloc = loc + (op,)
        if ft.kind == "date":
            self._fail(loc + ("field",), f"'{field}' is a date and rules cannot compare dates; use 'age' or 'months_left'")
            return None
        if op == "present":
            if not isinstance(value, bool):
                self._fail(vloc, "'present' takes true or false")
                return None
            return Present(field, value)
        if op == "contains":
            if ft.kind != "list":
                self._fail(vloc, f"'contains' is for list fields; '{field}' is {ft.describe()}")
                return None
            if not isinstance(value, str) or (ft.values and value not in ft.values):
                self._fail(vloc, f"'{field}' holds {ft.describe() if ft.values else 'identifiers'}; got {value!r}")
                return None
            return Cmp(field, "contains", value)
        if ft.kind == "list":
            self._fail(vloc, f"'{field}' is a list; use 'contains'")
            return None
        if op == "between":
            if not (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)):
                self._fail(vloc, "'between' takes two numbers [low, high], both included")
                return None
            if ft.kind != "number":
                self._fail(vloc, f"'between' is for numbers; '{field}' is {ft.describe()}")
                return None
            lo, hi = value
            if lo > hi:
                self._fail(vloc, f"'between' low end {lo} is above high end {hi}; swap them")
                return None
            return All((Cmp(field, "gte", lo), Cmp(field, "lte", hi)), sugar=("between", field, (lo, hi)))
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                self._fail(vloc, f"'{op}' takes a non-empty list of values")
                return None
            if not all(self._check_value(field, ft, v, vloc) for v in value):
                return None
            if op == "in":
                return Any_(tuple(Cmp(field, "eq", v) for v in value), sugar=("in", field, tuple(value)))
            return All(tuple(Cmp(field, "ne", v) for v in value), sugar=("not_in", field, tuple(value)))
        if op in ORDERING and ft.kind != "number":
            self._fail(vloc, f"'{op}' compares numbers; '{field}' is {ft.describe()} (use eq, ne or in)")
            return None
        if not self._check_value(field, ft, value, vloc):
            return None
        return Cmp(field, op, value)

    def _check_value(self, field: str, ft: FieldType, v: Any, loc: Loc) -> bool:
        ok = (
            (ft.kind == "number" and _is_number(v))
            or (ft.kind == "flag" and isinstance(v, bool))
            or (ft.kind == "text" and isinstance(v, str))
            or (ft.kind == "choice" and any(_same_value(v, a) for a in ft.values))
        )
        if not ok:
            self._fail(loc, f"'{field}' is {ft.describe()}; {v!r} can never match it")
        elif _is_number(v) and v != 0 and not (1e-4 <= abs(v) < 1e15):
            # the engine reads numbers without exponents; thresholds this small or large are typos
            self._fail(loc, f"{v!r} is out of the range a rule can use (0.0001 to 10^15, or 0); write a plain number")
            ok = False
        return ok
