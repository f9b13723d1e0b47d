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
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from .conditions import All, Any_, Cmp, Cond, Present
from .forms import item_combinations, list_items, relevant_pieces, relevant_values
from .loader import RuleSet

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: type(a) is type(b) and a == b,
    "ne": lambda a, b: not (type(a) is type(b) and a == b),
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "contains": lambda a, b: b in a,
}


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


@dataclass(frozen=True)
class Spread:
    """What the completions of one case give: each derived fact's values, each rule's outcomes."""

    derived: dict[str, frozenset[Any]]
    outcomes: dict[str, frozenset[bool | None]]  # None: a judgement, never decided by case data
    # per intervention: whether every rule lets the person pass (None: every rule case data decides
    # does, and a judgement that applies is left for a person)
    eligible: dict[str, frozenset[bool | None]]
    completions: int


def spread(rules: RuleSet, facts: dict[str, Any], limit: int = 200_000) -> Spread:
    """Every completion of `facts` over the missing fields the rules read."""
    # counted before any value is made: a list field has 2^n values for n items (each in or out),
    # so a catalog that names many items is refused here, not after filling the memory
    values = {f: [v for _, v in pieces] for f, pieces in relevant_pieces(rules, lists=False).items()}
    items = list_items(rules)
    missing = sorted(f for f in (*values, *items) if f not in facts)
    n = 1
    for f in missing:
        n *= len(values[f]) if f in values else 2 ** len(items[f])
    if n > limit:
        raise ValueError(f"{n} completions: too many to enumerate")
    for f in missing:
        if f in items:
            values[f] = list(item_combinations(f, items[f], most=limit.bit_length()))
    given = frozenset(facts)
    derived: dict[str, set[Any]] = {d: set() for d in rules.derived}
    outcomes: dict[str, set[bool | None]] = {r.id: set() for r in rules.all_rules()}
    eligible: dict[str, set[bool | None]] = {iid: set() for iid in rules.rules}
    for combo in itertools.product(*(values[f] for f in missing)):
        full = dict(facts)
        full.update(zip(missing, combo))
        der = derive_complete(rules, full, given)
        for d, v in der.items():
            derived[d].add(v)
        known = {**full, **der}
        # a judgement is never decided by case data, whatever the completion: only whether it
        # applies (always, without applies_when)
        got = {r.id: True if r.condition is None else eval_tree(r.condition, known, given) for r in rules.all_rules()}
        for rid, o in got.items():
            outcomes[rid].add(o)
        for iid, rs in rules.rules.items():
            if not all(got[r.id] == (r.kind == "criterion") for r in rs if not r.judgement):
                eligible[iid].add(False)
            else:
                eligible[iid].add(None if any(got[r.id] for r in rs if r.judgement) else True)
    return Spread(derived={k: frozenset(v) for k, v in derived.items()}, outcomes={k: frozenset(v) for k, v in outcomes.items()},
                  eligible={k: frozenset(v) for k, v in eligible.items()}, completions=n)
