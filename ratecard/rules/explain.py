"""Why a result came out as it did, in case fields: what is still missing, and what was missing but
made no difference. These explain decisions already made; they never make one.

A result that is undetermined names the case fields whose answers could still settle it (never a
derived fact such as the PNI pathway, which nobody can fill in): the missing fields in the terms of
its forms that can still hold, following undecided derived facts back to the case fields they read.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from typing import Any

from .fields import COMPUTED_FROM
from .forms import Form, Lit, Program
from .reference import Knowledge


class _Shared:
    """Explanations of one program, shared by every case (cases differ mostly in values that no
    rule tells apart). An explanation depends only on the fields in the cone of what it explains,
    and of a number only on where it lies among the thresholds the rules name (every literal holds
    for all of a piece or none of it): so it is kept under the rule or fact and those pieces."""

    def __init__(self, program: Program):
        self.cones = {k: tuple(sorted(c)) for k, c in program.cones.items()}
        summed = {t for d in program.derived.values() for t in d.sum}
        cuts: dict[str, set[float]] = {}
        exact: set[str] = set(summed)
        forms = [f for r in (*program.rules.values(), *program.eligibility.values()) for f in (r.true, r.false)]
        forms += [f for d in program.derived.values() for f in (*d.impossible.values(), *d.certain.values())]
        for form in forms:
            for term in form:
                for lit in term:
                    if lit.field in program.derived or lit.present is not None or lit.item is not None:
                        continue
                    named = cuts.setdefault(lit.field, set())
                    if lit.ranges is not None:
                        named.update(x for r in lit.ranges for x in (r.lo, r.hi) if x is not None)
                    elif all(type(x) in (int, float) for x in lit.values or ()):
                        named.update(lit.values or ())  # a number named by value is a point piece
                    else:
                        exact.add(lit.field)
        # a number a sum adds counts by its value (its bounds are the sum's), and so does anything
        # but a number
        self.cuts = {f: sorted(c) for f, c in cuts.items() if f not in exact and program.registry[f].kind == "number"}
        self.missing: dict[tuple[str, tuple[Any, ...]], frozenset[str]] = {}


# bounded: a service explaining for years starts again past this many explanations
MAX_SHARED = 100_000
_SHARED: dict[int, _Shared] = {}
_SHARED_LOCK = threading.Lock()


def _shared(program: Program) -> _Shared:
    got = _SHARED.get(id(program))
    if got is None:
        with _SHARED_LOCK:
            got = _SHARED.get(id(program))
            if got is None:
                got = _SHARED[id(program)] = _Shared(program)
                # gone with its program: an id is reused only once its object is freed
                weakref.finalize(program, _SHARED.pop, id(program), None)
    return got


class Explainer:
    """Explanations for one case, given what the program knows of it."""

    def __init__(self, program: Program, k: Knowledge):
        self.program = program
        self.k = k
        self._derived = program.derived
        self._derived_memo: dict[str, frozenset[str]] = {}
        self._cone_memo: dict[frozenset[str], frozenset[str]] = {}
        self._shared = _shared(program)
        self._pieces: dict[str, Any] | None = None

    def _key(self, what: str) -> tuple[str, tuple[Any, ...]]:
        """`what` (a rule or derived fact) and the pieces of the case values in its cone."""
        pieces = self._pieces
        if pieces is None:
            pieces = dict(self.k.facts)
            for f, cuts in self._shared.cuts.items():
                v = pieces.get(f)
                if v is not None:
                    i = bisect.bisect_left(cuts, v)
                    pieces[f] = 2 * i + (i < len(cuts) and cuts[i] == v)
            self._pieces = pieces
        return what, tuple(map(pieces.get, self._shared.cones[what]))

    def _remember(self, key: tuple[str, tuple[Any, ...]], got: frozenset[str]) -> frozenset[str]:
        missing = self._shared.missing
        if len(missing) > MAX_SHARED:
            missing.clear()
        missing[key] = got
        return got

    # ---- what would settle an undecided result ----

    def rule_missing(self, rid: str) -> frozenset[str]:
        """The case fields whose answers could settle an undecided rule."""
        key = self._key(rid)
        got = self._shared.missing.get(key)
        if got is None:
            r = self.program.rules[rid]
            got = self._remember(key, self._form_missing(r.true) | self._form_missing(r.false))
        return got

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
        key = self._key(did)
        got = self._shared.missing.get(key)
        if got is not None:
            self._derived_memo[did] = got
            return got
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
        self._derived_memo[did] = self._remember(key, frozenset(out))
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
