"""Why a rule came out as it did: the facts it still needs.

These explain a decision already made by the engine; they never make one.
"""

from __future__ import annotations

from typing import Any

from .conditions import All, Any_, Cmp, Cond, Not, Present
from .fields import COMPUTED_FROM
from .reference import eval_cond
from .loader import RuleSet


def missing_for(cond: Cond, known: dict[str, Any], rules: RuleSet) -> list[str]:
    """The case fields whose absence leaves `cond` unknown (empty if it is decided)."""
    out: dict[str, None] = {}
    _missing(cond, known, rules, out, set())
    return list(out)


def missing_for_field(field: str, known: dict[str, Any], rules: RuleSet) -> list[str]:
    """The case fields whose absence leaves `field` (a case, computed or derived field) unknown."""
    out: dict[str, None] = {}
    _field_missing(field, known, rules, out, set())
    return list(out)


def _missing(cond: Cond, known: dict[str, Any], rules: RuleSet, out: dict[str, None], seen: set[str]) -> None:
    if eval_cond(cond, known) is not None:
        return
    if isinstance(cond, (Cmp, Present)):
        _field_missing(cond.field, known, rules, out, seen)
    elif isinstance(cond, (All, Any_)):
        for p in cond.parts:
            _missing(p, known, rules, out, seen)
    elif isinstance(cond, Not):
        _missing(cond.part, known, rules, out, seen)


def _field_missing(field: str, known: dict[str, Any], rules: RuleSet, out: dict[str, None], seen: set[str]) -> None:
    if field in known or field in seen:
        return
    seen.add(field)
    if field in COMPUTED_FROM:
        out.update(dict.fromkeys(f for f in COMPUTED_FROM[field] if f not in known))
        return
    d = rules.derived.get(field)
    if d is None:
        out[field] = None
        return
    if d.sum:
        for t in d.sum:
            _field_missing(t, known, rules, out, seen)
        return
    for _, c in d.cases:
        r = eval_cond(c, known)
        if r is None:
            _missing(c, known, rules, out, seen)
            return
        if r:
            return
