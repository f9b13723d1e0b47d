"""Why a result came out as it did, in case fields: what is still missing, and what was missing but
made no difference. These explain decisions already made; they never make one.

A result that is undetermined names the case fields whose answers could still settle it (never a
derived fact such as the PNI pathway, which nobody can fill in): the missing fields in the terms of
its forms that can still hold, following undecided derived facts back to the case fields they read.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .fields import COMPUTED_FROM
from .forms import Form, Lit, Program
from .reference import Knowledge


class Explainer:
    """Explanations for one case, given what the program knows of it."""

    def __init__(self, program: Program, k: Knowledge):
        self.program = program
        self.k = k
        self._derived_memo: dict[str, frozenset[str]] = {}
        self._cone_memo: dict[frozenset[str], frozenset[str]] = {}

    @cached_property
    def _derived(self) -> dict[str, Any]:
        return self.program.derived

    # ---- what would settle an undecided result ----

    def rule_missing(self, rid: str) -> frozenset[str]:
        """The case fields whose answers could settle an undecided rule."""
        r = self.program.rules[rid]
        return self._form_missing(r.true) | self._form_missing(r.false)

    def field_missing(self, f: str) -> frozenset[str]:
        """The case fields that leave `f` (a case, computed or derived field) undecided."""
        if f in self._derived:
            return self._derived_missing(f)
        if self.k.decided(f):
            return frozenset()
        return frozenset(COMPUTED_FROM.get(f, (f,)))

    def _derived_missing(self, did: str) -> frozenset[str]:
        if did in self._derived_memo:
            return self._derived_memo[did]
        self._derived_memo[did] = frozenset()  # strata make cycles impossible; this guards anyway
        d = self._derived[did]
        out: set[str] = set()
        if not self.k.decided(did):
            if d.sum:
                for t in d.sum:
                    out |= self.field_missing(t)
            else:
                for v in self.k.possible[did]:
                    out |= self._form_missing(d.impossible[v])
        self._derived_memo[did] = frozenset(out)
        return self._derived_memo[did]

    def _form_missing(self, form: Form) -> frozenset[str]:
        out: set[str] = set()
        for term in form:
            if all(self.k.can_hold(lit) for lit in term):
                for lit in term:
                    if not self.k.holds(lit):
                        out |= self._lit_missing(lit)
        return frozenset(out)

    def _lit_missing(self, lit: Lit) -> frozenset[str]:
        if lit.present is not None:
            return frozenset()
        return self.field_missing(lit.field)

    # ---- what was missing and made no difference ----

    def absent(self, cone: frozenset[str]) -> frozenset[str]:
        """The case fields behind a cone (Program.cones: every field a rule reads, through derived
        facts too) that the case does not give."""
        # A large catalog asks this for thousands of results a case, and many read the same fields
        # (every 'for men' rule has one cone): worked out once per cone and case, as a set
        # difference (the computed fields, age and months_left, stand for the fields they come from)
        got = self._cone_memo.get(cone)
        if got is None:
            facts = self.k.facts
            plain, computed = _split(cone)
            got = plain.difference(facts)
            for x in computed:
                if x not in facts:
                    got = got.union(COMPUTED_FROM[x])
            self._cone_memo[cone] = got
        return got


_SPLIT: dict[frozenset[str], tuple[frozenset[str], tuple[str, ...]]] = {}


def _split(cone: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """A cone's case fields and its computed fields (cones are few and live as long as a catalog)."""
    got = _SPLIT.get(cone)
    if got is None:
        if len(_SPLIT) > 100_000:
            _SPLIT.clear()
        got = _SPLIT[cone] = (frozenset(x for x in cone if x not in COMPUTED_FROM), tuple(x for x in cone if x in COMPUTED_FROM))
    return got


def order_fields(per_result: list[frozenset[str]], usable: list[frozenset[str]] | None = None) -> list[str]:
    """Every field named, the one that appears in the most results first (it would settle the most
    decisions), then by name. With `usable` (the lists of results that could be used if decided,
    e.g. not withdrawn), fields that settle those come first: a question about a withdrawn course
    is not the first a PSO should ask."""
    count: dict[str, int] = {}
    for fs in per_result:
        for f in fs:
            count[f] = count.get(f, 0) + 1
    first: dict[str, int] = {}
    for fs in usable or ():
        for f in fs:
            first[f] = first.get(f, 0) + 1
    return sorted(count, key=lambda f: (-first.get(f, 0), -count[f], f))
