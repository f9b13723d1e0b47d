"""The brute-force yardstick of the semantics: fill in the missing case fields every relevant way.

A completion gives each missing field one of its *relevant values*: for a number, one value from each
piece that the thresholds the rules name cut its range into (both sides of every threshold and the
threshold itself); for a choice or a flag, every value; for text, each value the rules name and one
they do not; for a list, each item the rules ask about in or out. With every field given, the rule
trees are evaluated as written (classical logic), so this needs no compiled program at all.

A result is decided correctly exactly when every completion gives it. The tests use this to check
the compiled program (forms.py), as every back end evaluates it:

- soundness: whatever is decided, every completion agrees with;
- completeness: where every completion agrees, it is decided.

It is exponential in the number of missing fields, so it is for tests and benchmarks only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .conditions import All, Any_, Cmp, Cond, Not, Present
from .forms import _number_pieces
from .loader import RuleSet

_OPS = {
    "eq": lambda a, b: type(a) is type(b) and a == b,
    "ne": lambda a, b: not (type(a) is type(b) and a == b),
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "contains": lambda a, b: b in a,
}
OTHER_TEXT = "zz_not_named_by_any_rule"


def eval_tree(c: Cond, facts: dict[str, Any], given: frozenset[str]) -> bool:
    """A condition on a complete case. `given` is what the real case gives (for `present`)."""
    if isinstance(c, Cmp):
        return _OPS[c.op](facts[c.field], c.value)
    if isinstance(c, Present):
        return (c.field in given) == c.present
    if isinstance(c, All):
        return all(eval_tree(p, facts, given) for p in c.parts)
    if isinstance(c, Any_):
        return any(eval_tree(p, facts, given) for p in c.parts)
    return not eval_tree(c.part, facts, given)


def derive_complete(rules: RuleSet, facts: dict[str, Any], given: frozenset[str]) -> dict[str, Any]:
    known = dict(facts)
    for stratum in rules.strata:
        for did in stratum:
            d = rules.derived[did]
            if d.sum:
                known[did] = sum(known[t] for t in d.sum)
                continue
            for v, cond in d.cases:
                if eval_tree(cond, known, given):
                    known[did] = v
                    break
            else:
                known[did] = d.otherwise
    return {d: known[d] for d in rules.derived}


def _conds(rules: RuleSet) -> Iterator[Cond]:
    for d in rules.derived.values():
        for _, c in d.cases:
            yield c
    for r in rules.all_rules():
        yield r.when


def _atoms(c: Cond) -> Iterator[Cmp | Present]:
    if isinstance(c, (Cmp, Present)):
        yield c
    elif isinstance(c, Not):
        yield from _atoms(c.part)
    else:
        for p in c.parts:
            yield from _atoms(p)


def relevant_values(rules: RuleSet) -> dict[str, list[Any]]:
    """For each case or computed field the rules read, the values a completion tries."""
    reg = rules.registry
    thresholds: dict[str, set[Any]] = {}
    items: dict[str, set[str]] = {}
    for c in _conds(rules):
        for a in _atoms(c):
            if isinstance(a, Present) or a.field in rules.derived:
                continue
            if a.op == "contains":
                items.setdefault(a.field, set()).add(a.value)
            else:
                thresholds.setdefault(a.field, set()).add(a.value)
    summed = {t for d in rules.derived.values() for t in d.sum if t not in rules.derived}
    for t in summed:
        thresholds.setdefault(t, set())
    out: dict[str, list[Any]] = {}
    for f, named in thresholds.items():
        ft = reg[f]
        if ft.kind == "number" and f in summed:
            # a sum's own thresholds are on the total, so every whole value of a term may matter
            assert ft.integer and ft.lo is not None and ft.hi is not None and ft.hi - ft.lo <= 200, f
            out[f] = list(range(int(ft.lo), int(ft.hi) + 1))
        elif ft.kind == "number":
            out[f] = [_inside(r, ft.integer) for r in _number_pieces(ft.lo, ft.hi, ft.integer, None, named)]
        elif ft.kind == "flag":
            out[f] = [True, False]
        elif ft.kind == "choice":
            out[f] = list(ft.values)
        else:
            out[f] = sorted(named) + [OTHER_TEXT]
    for f, its in items.items():
        ordered = sorted(its)
        out[f] = [tuple(x for x, keep in zip(ordered, bits) if keep) for bits in itertools.product((False, True), repeat=len(ordered))]
    return out


def _inside(r: Any, integer: bool) -> float:
    """One number inside a piece (pieces never straddle a threshold, so any one stands for all)."""
    import math

    if r.lo == r.hi:
        return r.lo
    lo, hi = r.lo, r.hi
    if integer:
        x = math.floor((lo + hi) / 2)
        for cand in (x, x + 1, x - 1, math.ceil(lo), math.floor(hi)):
            if r.contains(cand):
                return cand
    return (lo + hi) / 2


@dataclass(frozen=True)
class Spread:
    """What the completions of one case give: each derived fact's values, each rule's outcomes."""

    derived: dict[str, frozenset[Any]]
    outcomes: dict[str, frozenset[bool]]
    eligible: dict[str, frozenset[bool]]  # per intervention: whether every rule lets the person pass
    completions: int


def spread(rules: RuleSet, facts: dict[str, Any], limit: int = 200_000) -> Spread:
    """Every completion of `facts` over the missing fields the rules read."""
    values = relevant_values(rules)
    missing = sorted(f for f in values if f not in facts)
    n = 1
    for f in missing:
        n *= len(values[f])
    if n > limit:
        raise ValueError(f"{n} completions: too many to enumerate")
    given = frozenset(facts)
    derived: dict[str, set[Any]] = {d: set() for d in rules.derived}
    outcomes: dict[str, set[bool]] = {r.id: set() for r in rules.all_rules()}
    eligible: dict[str, set[bool]] = {iid: set() for iid in rules.rules}
    for combo in itertools.product(*(values[f] for f in missing)):
        full = dict(facts)
        full.update(zip(missing, combo))
        der = derive_complete(rules, full, given)
        for d, v in der.items():
            derived[d].add(v)
        known = {**full, **der}
        got = {r.id: eval_tree(r.when, known, given) for r in rules.all_rules()}
        for rid, o in got.items():
            outcomes[rid].add(o)
        for iid, rs in rules.rules.items():
            eligible[iid].add(all(got[r.id] == (r.kind == "criterion") for r in rs))
    return Spread(*({k: frozenset(v) for k, v in x.items()} for x in (derived, outcomes, eligible)), completions=n)
