"""A plain Python evaluator of the same rule trees: the yardstick the durable_rules engine is
tested against, and a baseline in the benchmark. Kleene three-valued logic, None for unknown."""

from __future__ import annotations

from typing import Any

from .conditions import All, Any_, Cmp, Cond, Present
from ..case.facts import Facts
from .loader import Evaluation, RuleSet, Tri

_OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "contains": lambda a, b: b in a,
}


def eval_cond(c: Cond, facts: Facts) -> Tri:
    if isinstance(c, Cmp):
        v = facts.get(c.field)
        return None if v is None else _OPS[c.op](v, c.value)
    if isinstance(c, Present):
        return (c.field in facts) == c.present
    if isinstance(c, All):
        vals = [eval_cond(p, facts) for p in c.parts]
        return False if False in vals else (None if None in vals else True)
    if isinstance(c, Any_):
        vals = [eval_cond(p, facts) for p in c.parts]
        return True if True in vals else (None if None in vals else False)
    inner = eval_cond(c.part, facts)
    return None if inner is None else not inner


def derive(rules: RuleSet, facts: Facts) -> dict[str, Any]:
    """Derived values, stratum by stratum; unknown ones are left out."""
    known = dict(facts)
    out: dict[str, Any] = {}
    for stratum in rules.strata:
        for did in stratum:
            d = rules.derived[did]
            value: Any = None
            if d.sum:
                terms = [known.get(t) for t in d.sum]
                value = None if None in terms else sum(terms)
            else:
                for v, cond in d.cases:
                    r = eval_cond(cond, known)
                    if r is None:
                        break
                    if r:
                        value = v
                        break
                else:
                    value = d.otherwise
            if value is not None:
                out[did] = value
        known.update(out)
    return out


def evaluate(rules: RuleSet, facts: Facts) -> Evaluation:
    derived = derive(rules, facts)
    known = {**facts, **derived}
    outcomes = {r.id: eval_cond(r.when, known) for r in rules.all_rules()}
    return Evaluation(derived, outcomes)
