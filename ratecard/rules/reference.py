"""The plain evaluator of the compiled program (forms.py): the yardstick the durable_rules engine
and the batch back end are tested against, and a baseline in the benchmarks.

`Knowledge` holds what is known of one case at a point in the chain: case field values, and for
each derived fact the values still possible. The meaning of a literal is defined here once; the
explanations (explain.py) use the same class.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .forms import DerivedProgram, Form, Lit, Program, RuleProgram
from .loader import Evaluation, Tri


@dataclass
class Knowledge:
    facts: dict[str, Any]  # case and computed fields that are given
    possible: dict[str, frozenset[Any]] = field(default_factory=dict)  # derived facts with cases
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)  # derived sums

    def holds(self, lit: Lit) -> bool:
        """Whether the literal holds whatever the missing case fields turn out to be."""
        f = lit.field
        if lit.present is not None:
            return (f in self.facts) == lit.present
        if f in self.possible:
            P = self.possible[f]
            if lit.ranges is not None:
                return all(any(r.contains(x) for r in lit.ranges) for x in P)
            assert lit.values is not None
            return P <= lit.values
        if f in self.bounds:
            lo, hi = self.bounds[f]
            return any(r.covers(lo, hi) for r in lit.ranges or ())
        v = self.facts.get(f)
        if v is None:
            return False
        if lit.item is not None:
            return (lit.item in v) in (lit.values or ())
        if lit.ranges is not None:
            return any(r.contains(v) for r in lit.ranges)
        assert lit.values is not None
        return (v in lit.values) != lit.exclude

    def can_hold(self, lit: Lit) -> bool:
        """Whether the literal could still hold once more is known (a given value decides it)."""
        f = lit.field
        if lit.present is not None:
            return self.holds(lit)
        if f in self.possible:
            P = self.possible[f]
            if lit.ranges is not None:
                return any(any(r.contains(x) for r in lit.ranges) for x in P)
            return bool(P & (lit.values or frozenset()))
        if f in self.bounds:
            lo, hi = self.bounds[f]
            return any(r.contains(lo) or r.contains(hi) or (r.lo is not None and lo <= r.lo <= hi) for r in lit.ranges or ())
        if f not in self.facts:
            return True  # compiled literals are never empty over the field's domain
        return self.holds(lit)

    def form(self, form: Form) -> bool:
        return any(all(self.holds(lit) for lit in term) for term in form)

    def decided(self, f: str) -> bool:
        if f in self.possible:
            return len(self.possible[f]) == 1
        if f in self.bounds:
            lo, hi = self.bounds[f]
            return lo == hi
        return f in self.facts


def derive(program: Program, facts: dict[str, Any]) -> Knowledge:
    """What is known of every derived fact, stratum by stratum."""
    k = Knowledge(dict(facts))
    derive_into(k, (d for stratum in program.strata for d in stratum), program.registry)
    return k


def derive_into(k: Knowledge, derived: Iterable[DerivedProgram], registry: dict[str, Any]) -> None:
    """Work out these derived facts into `k`, in strata order (each sees the ones before it)."""
    for d in derived:
        if d.sum:
            lo = hi = 0.0
            for t in d.sum:
                tlo, thi = term_bounds(t, k, registry)
                lo, hi = lo + tlo, hi + thi
            k.bounds[d.id] = (lo, hi)
        else:
            k.possible[d.id] = frozenset(v for v in d.universe if not k.form(d.impossible[v]))


def term_bounds(t: str, k: Knowledge, registry: dict[str, Any]) -> tuple[float, float]:
    """The range of a number a sum adds: its value, its derived bounds, or the field's whole range."""
    if t in k.bounds:
        return k.bounds[t]
    if t in k.possible:
        return min(k.possible[t]), max(k.possible[t])
    if t in k.facts:
        return k.facts[t], k.facts[t]
    ft = registry[t]
    return ft.lo, ft.hi


def outcome(r: RuleProgram, k: Knowledge) -> Tri:
    if k.form(r.true):
        return True
    if k.form(r.false):
        return False
    return None


def evaluate(program: Program, facts: dict[str, Any]) -> Evaluation:
    k = derive(program, facts)
    outcomes = {rid: outcome(r, k) for rid, r in program.rules.items()}
    return Evaluation(
        derived=decided_values(k),
        outcomes=outcomes,
        possible=dict(k.possible),
        bounds=dict(k.bounds),
        eligibility={iid: False if fails(r, outcomes) or k.form(r.false) else None for iid, r in program.eligibility.items()},
    )


def fails(elig: RuleProgram, outcomes: dict[str, Tri]) -> bool:
    """Whether one of an intervention's rules is decided against the person."""
    return any(outcomes[rid] is (kind != "criterion") for rid, kind in elig.members)


def decided_values(k: Knowledge) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d, P in k.possible.items():
        if len(P) == 1:
            (out[d],) = P
    for d, (lo, hi) in k.bounds.items():
        if lo == hi:
            out[d] = int(lo) if float(lo).is_integer() else lo
    return out
