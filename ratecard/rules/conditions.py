"""Condition trees, as written in rule files, parsed and checked against the field registry.

A tree is the one representation of a rule: the durable_rules compiler, the plain reference
evaluator and the plain-English renderer all read it, so they cannot drift apart.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Union

from ..docs import formats_doc
from ..errors import Problem
from .fields import FieldType
from ..inputs.yamlio import Document, Loc

if TYPE_CHECKING:
    from .domain import Domain

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
    """Parses the YAML form into trees, collecting every problem rather than stopping at the first.

    With `domains` (the values each field can take, see domain.py) a condition that can never
    hold, or always holds when its field is known, is refused. `vocab` lists, per field, the only
    values a rule may name (the catalog's towns, areas and intervention ids) with a phrase saying
    where they come from; `never_given` maps fields a case can never give to the reason."""

    def __init__(self, registry: dict[str, FieldType], doc: Document, domains: Mapping[str, Domain] | None = None,
                 vocab: Mapping[str, tuple[frozenset[str], str]] | None = None,
                 never_given: Mapping[str, str] | None = None):
        self.registry = registry
        self.doc = doc
        self.domains = domains or {}
        self.vocab = vocab or {}
        self.never_given = never_given or {}
        self.problems: list[Problem] = []

    def _fail(self, loc: Loc, msg: str) -> None:
        self.problems.append(self.doc.problem(loc, msg))

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
            close = suggest(field, self.registry)
            hint = f" Did you mean {' or '.join(close)}?" if close else f" The fields are listed in {formats_doc()}."
            self._fail(loc + ("field",), f"no field named '{field}'.{hint}")
            return None
        vloc = loc + (op,)
        if ft.kind == "date":
            self._fail(loc + ("field",), f"'{field}' is a date and rules cannot compare dates; use 'age' or 'months_left'")
            return None
        if field in self.never_given:
            self._fail(loc + ("field",), f"no case can give '{field}': {self.never_given[field]}")
            return None
        cond = self._build(field, ft, op, value, vloc)
        if cond is not None and not self._possible(field, ft, op, value, cond, vloc):
            return None
        return cond

    def _build(self, field: str, ft: FieldType, op: str, value: Any, vloc: Loc) -> Cond | None:
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
                close = difflib.get_close_matches(value, [str(v) for v in ft.values], n=1) if isinstance(value, str) else []
                hint = f"; did you mean {close[0]}?" if close else ""
                self._fail(vloc, f"'{field}' holds {ft.describe() if ft.values else 'identifiers'}; got {value!r}{hint}")
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
            close = difflib.get_close_matches(v, [str(a) for a in ft.values], n=1) if isinstance(v, str) and ft.kind == "choice" else []
            hint = f"; did you mean {close[0]}?" if close else ""
            if ft.kind == "flag" and isinstance(v, str) and v.strip().lower() in ("yes", "no", "on", "off", "y", "n"):
                hint = "; write true or false (yes, no, on and off are read differently by different YAML readers)"
            self._fail(loc, f"'{field}' is {ft.describe()}; {v!r} can never match it{hint}")
        elif _is_number(v) and v != 0 and not (1e-4 <= abs(v) < 1e15):
            # the engine reads numbers without exponents; thresholds this small or large are typos
            self._fail(loc, f"{v!r} is out of the range a rule can use (0.0001 to 10^15, or 0); write a plain number")
            ok = False
        return ok

    def _close(self, v: str, field: str, known: frozenset[str]) -> list[str]:
        return _closest(v, known)

    def _possible(self, field: str, ft: FieldType, op: str, value: Any, cond: Cond, vloc: Loc) -> bool:
        """False (with the problem recorded) when the written condition can never hold, always
        holds when its field is known, or names a value the field or the catalog cannot have."""
        from .domain import outcomes

        written = f"{field} {op} {_written(value)}"
        if op == "present":
            return True
        named = value if isinstance(value, list) else [value]
        d = self.domains.get(field)
        if d is not None and d.accepts is not None:
            for v in named:
                if not d.accepts(v):
                    lower = v.strip().lower().replace(" ", "_") if isinstance(v, str) else None
                    fix = f"; ids are lower case: write {lower}" if lower and d.accepts(lower) else ""
                    self._fail(vloc, f"'{written}' can never hold: {v!r} is not a value '{field}' can have{fix}")
                    return False
        if field in self.vocab:
            known, where = self.vocab[field]
            for v in named:
                if isinstance(v, str) and v not in known:
                    close = self._close(v, field, known)
                    shown = sorted(known)[:20]
                    hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(shown)}{' ...' if len(known) > 20 else ''}"
                    self._fail(vloc, f"'{written}' names '{v}', which is not {where}; {hint}")
                    return False
        if d is None or ft.kind == "list":
            return True
        can = outcomes(cond, d)
        if can is None:
            return True
        if True not in can:
            self._fail(vloc, f"'{written}' can never hold: '{field}' is {d.describe()}. Check the value")
            return False
        if False not in can:
            self._fail(vloc, f"'{written}' always holds when '{field}' is known ('{field}' is {d.describe()}): drop it; "
                             f"to require that '{field}' is known, write {{field: {field}, present: true}}")
            return False
        return True


@lru_cache(maxsize=256)
def _closest(v: str, known: frozenset[str]) -> list[str]:
    # a misspelt id tends to recur (copied rules); difflib over 2,000 ids takes tens of ms
    return difflib.get_close_matches(v, sorted(known), n=1)


def _written(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(map(_written, v)) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def suggest(name: str, known: Mapping[str, Any] | list[str], n: int = 3) -> list[str]:
    """Names close to a misspelt one: same last part first (ogrs3_2yr -> risk.ogrs3_2yr), then
    close spellings of the whole name or of its last part (need_finanse -> need_finance)."""
    names = list(known)
    last = name.split(".")[-1]
    out = [k for k in names if k.split(".")[-1] == last]
    out += difflib.get_close_matches(name, names, n=n, cutoff=0.75)
    by_last: dict[str, list[str]] = {}
    for k in names:
        by_last.setdefault(k.split(".")[-1], []).append(k)
    for close in difflib.get_close_matches(last, list(by_last), n=n, cutoff=0.75):
        out += by_last[close]
    return list(dict.fromkeys(out))[:n]
