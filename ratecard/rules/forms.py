"""Exact forms of the rule trees: the one compiled program that every back end evaluates.

A court file is rarely complete, so a rule is *unknown* only when two ways of filling in the missing
case fields would answer it differently; otherwise it is decided. Kleene logic on the trees as written
is not enough for that: `any: [{sex: male, osp: high}, {sex: female, rsr: high}]` is decided for a
person with a high OSP and a high RSR whatever their sex, yet Kleene calls it unknown because `sex` is.

So each condition is compiled, once per catalog, into two disjunctions of terms ("forms"):

- `true`, every prime implicant of the condition: it holds when the condition holds whatever the
  missing fields turn out to be;
- `false`, every prime implicant of its negation.

A term is a conjunction of literals "this field's value lies in this set". Evaluating a form is
two-valued (a literal on a missing field simply does not hold), and checking the disjunction of
*all* prime implicants is exact: the set of completions is a product of per-field possibilities,
and such a product lies inside the condition exactly when it lies inside one prime implicant
(Blake's canonical form). The literals are multi-valued (a number's range, a set of choices), so
correlations through one field (the same field read twice, the cases of one derived fact read in
order) are exact too.

A derived fact gets, for each value it can take, the form of the condition under which that value
is *ruled out*. What remains possible is a set (choices and flags) or an interval (numbers), and a
condition that reads the fact is exact with respect to that set. It is not exact when two inputs of
one condition are derived from the same missing case field: their sets are combined as if
independent (docs/engine.md says where this can and cannot happen in the shipped rules).

The durable_rules engine (durable.py), the plain reference evaluator (reference.py) and the Polars
batch back end all evaluate these forms; none of them reads the trees for a decision.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable

from ..errors import RatecardError
from .conditions import All, Cmp, Cond, Not, Present
from .fields import FieldType
from .loader import Derived, Rule, RuleSet

# ---- the compiled program ---------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Range:
    """An interval of numbers; None is unbounded."""

    lo: float | None
    lo_closed: bool
    hi: float | None
    hi_closed: bool

    def contains(self, x: float) -> bool:
        if self.lo is not None and (x < self.lo or (x == self.lo and not self.lo_closed)):
            return False
        if self.hi is not None and (x > self.hi or (x == self.hi and not self.hi_closed)):
            return False
        return True

    def covers(self, lo: float, hi: float) -> bool:
        """Whether [lo, hi] lies inside this range."""
        return self.contains(lo) and self.contains(hi)

    def covers_range(self, r: Range) -> bool:
        """Whether range r lies inside this one."""
        lo_ok = self.lo is None or (r.lo is not None and (r.lo > self.lo or (r.lo == self.lo and (self.lo_closed or not r.lo_closed))))
        hi_ok = self.hi is None or (r.hi is not None and (r.hi < self.hi or (r.hi == self.hi and (self.hi_closed or not r.hi_closed))))
        return lo_ok and hi_ok

    def __str__(self) -> str:
        left = "(-inf" if self.lo is None else ("[" if self.lo_closed else "(") + f"{self.lo:g}"
        right = "inf)" if self.hi is None else f"{self.hi:g}" + ("]" if self.hi_closed else ")")
        return f"{left}, {right}"


@dataclass(frozen=True)
class Lit:
    """A literal: "the value of `field` lies in this set". Exactly one of values, ranges, item and
    present describes the set.

    - `values`: for choices, flags and text identifiers; with `exclude`, the value lies outside them
      (only for text, whose values are open-ended);
    - `ranges`: for numbers, a union of disjoint ranges in order;
    - `item` with `values` {True} or {False}: whether a list field holds the item;
    - `present`: whether the case gives the field at all (known even when the value is not).
    """

    field: str
    values: frozenset[Any] | None = None
    exclude: bool = False
    ranges: tuple[Range, ...] | None = None
    item: str | None = None
    present: bool | None = None

    def __str__(self) -> str:
        if self.present is not None:
            return f"{self.field} {'given' if self.present else 'not given'}"
        if self.item is not None:
            return f"{self.item} {'in' if True in (self.values or ()) else 'not in'} {self.field}"
        if self.ranges is not None:
            return f"{self.field} in " + " or ".join(map(str, self.ranges))
        vals = ", ".join(sorted(map(str, self.values or ())))
        return f"{self.field} {'not in' if self.exclude else 'in'} {{{vals}}}"


Term = tuple[Lit, ...]  # all literals hold; () always holds
Form = tuple[Term, ...]  # some term holds; () never holds


@dataclass(frozen=True)
class DerivedProgram:
    id: str
    kind: str  # "choice", "flag" or "number"
    universe: tuple[Any, ...]  # every value the fact can take; () for a sum
    impossible: dict[Any, Form]  # the value is ruled out when its form holds
    # the value is the answer when its form holds and every input is decided (then any cover of the
    # condition is exact, so this is the plain one, smaller than the prime implicants)
    certain: dict[Any, Form]
    inputs: tuple[str, ...]  # the fields its cases read (or its sum's terms)
    sum: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleProgram:
    id: str
    true: Form  # the condition holds in every completion
    false: Form  # it holds in none
    inputs: tuple[str, ...]
    kind: str = "criterion"  # or "exclusion"; for an intervention's whole eligibility, "eligibility"
    members: tuple[tuple[str, str], ...] = ()  # eligibility: its rules as (id, kind)
    # a person decides it (loader.Rule.judgement): its forms are those of when it applies
    # (applies_when; without one, `true` is the empty term that always holds), and a back end
    # reports whether it applies, never whether it is met
    judgement: bool = False


@dataclass(frozen=True)
class Program:
    strata: tuple[tuple[DerivedProgram, ...], ...]
    rules: dict[str, RuleProgram]
    # A person can fail one criterion or another whatever the missing answers are: then no single
    # rule is decided while the decision is. Per intervention where that can happen, `false` holds
    # the prime implicants of "fails its rules" that no single rule's own failing form covers (its
    # `true` is empty: when every rule passes, the intervention is passed).
    eligibility: dict[str, RuleProgram]
    registry: dict[str, FieldType] = field(repr=False)

    @cached_property
    def derived(self) -> dict[str, DerivedProgram]:
        return {d.id: d for s in self.strata for d in s}

    @cached_property
    def cones(self) -> dict[str, frozenset[str]]:
        """For each derived fact and rule: every case or computed field it is worked out from."""
        out: dict[str, frozenset[str]] = {}
        shared: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct cone: cheap to look up

        def of(fields: Iterable[str]) -> frozenset[str]:
            acc: set[str] = set()
            for f in fields:
                acc |= out[f] if f in out else {f}
            cone = frozenset(acc)
            return shared.setdefault(cone, cone)

        for stratum in self.strata:
            for d in stratum:
                out[d.id] = of(d.inputs)
        for r in self.rules.values():
            out[r.id] = of(r.inputs)
        return out


class FormTooBig(RatecardError):
    """A condition whose exact forms would be too large to evaluate quickly."""

    def __init__(self, message: str, file: str = "", line: int | None = None, field: str = ""):
        super().__init__(message)
        self.file, self.line, self.field = file, line, field


# Limits on one condition's forms. The shipped rules need a few dozen terms at most; these stop a
# pathological rule before it stalls loading. Terms bound what the engines must match; work
# bounds the compiling itself, which can grow much faster than the terms it keeps (13 two-term
# clauses in a cycle once took 14 s and never passed 2,000 terms). A unit of work is one
# comparison of two cubes (a subsumption test, a product, a consensus); the costliest shipped
# condition (the PNI sex domain) takes about 21,000 and a unit costs about a microsecond, so the limit refuses a rule
# within about half a second, before anything else is compiled (docs/engine.md).
MAX_TERMS = 2000
MAX_WORK = 150_000


class _TooMuchWork(Exception):
    """Internal: a condition passed MAX_TERMS or MAX_WORK; the compiler names the rule."""


# ---- pieces: the values of one variable that a condition cannot tell apart --------------------

# A variable is a field, a list field's item, or a field's presence.
Var = tuple[str, str, Any]  # (field, "value" | "item" | "present", item)
OTHER = object()  # any text value a condition does not name


@dataclass
class _Pieces:
    """The partition of one variable's domain by the thresholds and values a condition names."""

    kind: str  # "num" or "finite"
    pieces: list[Any]  # Range for numbers, values for finite variables
    full: frozenset[int] = field(init=False)
    # each value's own piece (see _key), so that an `in:` list of n values costs n look-ups, not n
    # scans of n pieces
    index: dict[tuple[type, Any], int] = field(init=False)

    def __post_init__(self) -> None:
        self.full = frozenset(range(len(self.pieces)))
        if self.kind == "num":  # the point pieces, one for each value a rule names
            self.index = {_key("num", r.lo): i for i, r in enumerate(self.pieces) if r.lo is not None and r.lo == r.hi}
        else:
            self.index = {_key("finite", x): i for i, x in enumerate(self.pieces) if x is not OTHER}


def _number_pieces(lo: float | None, hi: float | None, integer: bool, points: list[float] | None,
                   thresholds: Iterable[float]) -> list[Range]:
    """Split [lo, hi] at each threshold into point pieces and the open pieces between them, keeping
    only pieces that hold a possible value (whole numbers only for integer fields; only `points`
    when the possible values are a finite set)."""
    cuts = sorted({t for t in thresholds if (lo is None or t >= lo) and (hi is None or t <= hi)})
    raw: list[Range] = []
    prev: float | None = lo
    prev_closed = True
    for t in cuts:
        raw.append(Range(prev, prev_closed, t, False))
        raw.append(Range(t, True, t, True))
        prev, prev_closed = t, False
    raw.append(Range(prev, prev_closed, hi, True))

    def inhabited(r: Range) -> bool:
        if points is not None:
            return any(r.contains(p) for p in points)
        a = -math.inf if r.lo is None else r.lo
        b = math.inf if r.hi is None else r.hi
        if a > b or (a == b and not (r.lo_closed and r.hi_closed)):
            return False
        if not integer:
            return True
        first = math.ceil(a) if r.lo_closed or a != math.ceil(a) else a + 1
        if not r.lo_closed and first == a:
            first += 1
        last = math.floor(b) if r.hi_closed or b != math.floor(b) else b - 1
        if not r.hi_closed and last == b:
            last -= 1
        return first <= last

    return [r for r in raw if inhabited(r)]


class _Space:
    """The variables of one formula and their pieces."""

    def __init__(self, registry: dict[str, FieldType], universes: dict[str, tuple[Any, ...]],
                 number_domains: dict[str, tuple[float, float, bool]]):
        self.registry = registry
        self.universes = universes  # derived choice/flag/number-from-cases: the values they can take
        self.number_domains = number_domains  # derived sums: (lo, hi, integer)
        self.vars: dict[Var, _Pieces] = {}
        self.work = 0  # units spent on this condition (see MAX_WORK)

    def spend(self, units: int) -> None:
        """Count work, and stop once the condition has cost more than MAX_WORK."""
        self.work += units
        if self.work > MAX_WORK:
            raise _TooMuchWork()

    def prepare(self, conds: Iterable[Cond]) -> None:
        thresholds: dict[Var, set[float]] = {}
        named: dict[Var, set[Any]] = {}
        for c in conds:
            for atom in _atoms(c):
                if isinstance(atom, Present):
                    self.vars[(atom.field, "present", None)] = _Pieces("finite", [True, False])
                    continue
                if atom.op == "contains":
                    self.vars[(atom.field, "item", atom.value)] = _Pieces("finite", [True, False])
                    continue
                v: Var = (atom.field, "value", None)
                if self._is_number(atom.field):
                    thresholds.setdefault(v, set()).add(atom.value)
                else:
                    named.setdefault(v, set()).add(atom.value)
        for v, ts in thresholds.items():
            self.vars[v] = _Pieces("num", self._num_pieces(v[0], ts))
        for v, vals in named.items():
            self.vars[v] = _Pieces("finite", self._finite_values(v[0], vals))

    def _is_number(self, f: str) -> bool:
        return self.registry[f].kind == "number"

    def _num_pieces(self, f: str, thresholds: set[float]) -> list[Range]:
        if f in self.universes:  # a derived number with a finite set of values
            pts = [float(x) for x in self.universes[f]]
            return _number_pieces(min(pts), max(pts), False, pts, thresholds)
        if f in self.number_domains:
            lo, hi, integer = self.number_domains[f]
            return _number_pieces(lo, hi, integer, None, thresholds)
        ft = self.registry[f]
        return _number_pieces(ft.lo, ft.hi, ft.integer, None, thresholds)

    def _finite_values(self, f: str, named: set[Any]) -> list[Any]:
        if f in self.universes:
            return list(self.universes[f])
        ft = self.registry[f]
        if ft.kind == "flag":
            return [True, False]
        if ft.kind == "choice":
            return list(ft.values)
        # text: open-ended, so the values named plus "anything else"
        return sorted(named, key=str) + [OTHER]

    def atom_set(self, atom: Cmp | Present, negate: bool) -> tuple[Var, frozenset[int]]:
        v, small, complemented = self._atom(atom, negate)
        return v, (self.vars[v].full - small) if complemented else small

    def _atom(self, atom: Cmp | Present, negate: bool) -> tuple[Var, frozenset[int], bool]:
        """The pieces an atom allows, as a set or as the complement of a set (`eq` and `ne` allow
        one piece or all but one: kept small, so that a list of them costs its length)."""
        if isinstance(atom, Present):
            v: Var = (atom.field, "present", None)
            want = atom.present != negate
            return v, frozenset({0 if want else 1}), False
        if atom.op == "contains":
            v = (atom.field, "item", atom.value)
            return v, frozenset({1 if negate else 0}), False
        v = (atom.field, "value", None)
        p = self.vars[v]
        if atom.op in ("eq", "ne"):
            # the value's own piece; "ne" is every other ("anything else", OTHER, included)
            # (a number every piece is cut at: no piece but its own point can equal it, and that
            # point is absent only when no possible value is it)
            at = p.index.get(_key(p.kind, atom.value))
            small = frozenset() if at is None else frozenset((at,))
            return v, small, (atom.op == "ne") != negate
        if p.kind != "num":
            raise ValueError(f"'{atom.op}' on a non-number")
        s = frozenset(i for i, r in enumerate(p.pieces) if _cmp_range(r, atom.op, atom.value))
        return v, s, negate

    def same_var_set(self, parts: tuple[Cond, ...], negate: bool, conj: bool) -> tuple[Var, frozenset[int]] | None:
        """For an `in:` or `not_in:` list (comparisons of one field, joined by any or all): the
        one set of pieces they allow, in time linear in the list; None for any other shape."""
        if len(parts) < 2 or not all(isinstance(p, Cmp) and p.op != "contains" for p in parts):
            return None
        field_ = parts[0].field  # type: ignore[union-attr]
        if any(p.field != field_ for p in parts):  # type: ignore[union-attr]
            return None
        self.spend(len(parts))
        atoms = [self._atom(p, negate) for p in parts]  # type: ignore[arg-type]
        v = atoms[0][0]
        full = self.vars[v].full
        if all(c for _, _, c in atoms):
            # complements: their union is the complement of the common part, and the reverse
            smalls = [s for _, s, _ in atoms]
            return v, full - (frozenset.intersection(*smalls) if not conj else frozenset.union(*smalls))
        sets = [full - s if c else s for _, s, c in atoms]
        return v, (frozenset.intersection(*sets) if conj else frozenset.union(*sets))


def _key(kind: str, value: Any) -> tuple[type, Any]:
    # a number is found by its value (5 is 5.0); any other value by its type too (True is not 1)
    return (float, float(value)) if kind == "num" else (type(value), value)


def _cmp_range(r: Range, op: str, c: float) -> bool:
    """Whether every number in the piece satisfies `x op c` (pieces never straddle a threshold)."""
    # a point piece, or any interior point, decides for the whole piece
    if r.lo is not None and r.hi is not None and r.lo == r.hi:
        x = r.lo
    elif r.lo is None:
        x = (r.hi if r.hi is not None else 0.0) - 1.0
    elif r.hi is None:
        x = r.lo + 1.0
    else:
        x = (r.lo + r.hi) / 2
    return {"eq": x == c, "ne": x != c, "lt": x < c, "lte": x <= c, "gt": x > c, "gte": x >= c}[op]


def _atoms(c: Cond) -> Iterable[Cmp | Present]:
    if isinstance(c, (Cmp, Present)):
        yield c
    elif isinstance(c, Not):
        yield from _atoms(c.part)
    else:
        for p in c.parts:
            yield from _atoms(p)


# ---- cubes, DNF and Blake's canonical form ----------------------------------------------------

Cube = tuple[tuple[Var, frozenset[int]], ...]  # sorted by variable; a missing variable is unrestricted


def _cube(d: dict[Var, frozenset[int]], space: _Space) -> Cube | None:
    out = []
    for v, s in d.items():
        if not s:
            return None
        if s != space.vars[v].full:
            out.append((v, s))
    return tuple(sorted(out, key=lambda t: (t[0][0], t[0][1], str(t[0][2]))))


def _and(a: list[Cube], b: list[Cube], space: _Space, limit: int) -> list[Cube]:
    space.spend(len(a) * len(b))  # up front: the product is refused before it is built
    out: set[Cube] = set()
    for x in a:
        for y in b:
            d = dict(x)
            for v, s in y:
                d[v] = d[v] & s if v in d else s
            c = _cube(d, space)
            if c is not None:
                out.add(c)
                if len(out) > limit:
                    raise _TooMuchWork()
    return _absorb(out, space)


def _dnf(c: Cond, negate: bool, space: _Space, limit: int) -> list[Cube]:
    if isinstance(c, (Cmp, Present)):
        v, s = space.atom_set(c, negate)
        cube = _cube({v: s}, space)
        return [] if cube is None else [cube]
    if isinstance(c, Not):
        return _dnf(c.part, not negate, space, limit)
    conj = isinstance(c, All) != negate
    one = space.same_var_set(c.parts, negate, conj)
    if one is not None:
        cube = _cube({one[0]: one[1]}, space)
        return [] if cube is None else [cube]
    parts = [_dnf(p, negate, space, limit) for p in c.parts]
    if conj:
        acc: list[Cube] = [()]
        for p in parts:
            acc = _and(acc, p, space, limit)
            if not acc:
                return []
        return acc
    out: set[Cube] = set()
    for p in parts:
        out.update(p)
    joined = _join(out, space)
    if len(joined) > limit:
        raise _TooMuchWork()
    return joined


def _within(a: Cube, b: Cube) -> bool:
    """Every point of cube a lies in cube b."""
    da = dict(a)
    for v, s in b:
        if v not in da or not da[v] <= s:
            return False
    return True


def _join(cubes: Iterable[Cube], space: _Space) -> list[Cube]:
    """Cubes that differ in one variable only, joined into one (x in {a} or x in {b} is x in {a, b}).

    Blake's consensus would find each join too, but only one pair at a time: an `in:` list of n
    values would pass through every subset of them (12 towns took 140 s). The joined cube is an
    implicant of the same function, so the prime implicants found from here are the same."""
    current = set(cubes)
    while True:
        space.spend(sum(len(c) for c in current))
        groups: dict[tuple[Cube, Var], frozenset[int]] = {}
        for c in current:
            for k, (v, s) in enumerate(c):
                key = (c[:k] + c[k + 1:], v)
                groups[key] = groups.get(key, frozenset()) | s
        joined: set[Cube] = set()
        for (rest, v), s in groups.items():
            d = dict(rest)
            d[v] = s
            cube = _cube(d, space)
            if cube is not None:
                joined.add(cube)
        grown = _absorb(current | joined, space)
        if set(grown) == current:
            return grown
        current = set(grown)


def _absorb(cubes: Iterable[Cube], space: _Space) -> list[Cube]:
    # larger cubes (fewer restricted variables) first, so each cube is checked against the keepers
    order = sorted(set(cubes), key=lambda c: (len(c), -sum(len(s) for _, s in c)))
    kept: list[Cube] = []
    for c in order:
        space.spend(len(kept))
        if not any(_within(c, k) for k in kept):
            kept.append(c)
    return kept


def blake(cubes: list[Cube], space: _Space, limit: int = MAX_TERMS) -> list[Cube]:
    """All prime implicants of the disjunction of `cubes` (iterated consensus with absorption)."""
    primes = _join(cubes, space)
    if () in primes:
        return [()]
    frontier = list(primes)
    while frontier:
        new: list[Cube] = []
        for a in frontier:
            space.spend(len(primes))
            for b in primes:
                if a is b:
                    continue
                for c in _consensus(a, b, space):
                    space.spend(len(primes) + len(new))
                    if not any(_within(c, p) for p in primes) and not any(_within(c, n) for n in new):
                        new = [n for n in new if not _within(n, c)]
                        new.append(c)
        if not new:
            break
        primes = _absorb(primes + new, space)
        if len(primes) > limit:
            raise _TooMuchWork()
        kept = set(primes)
        frontier = [n for n in new if n in kept]
    return sorted(primes, key=lambda c: (len(c), str(c)))


def _consensus(a: Cube, b: Cube, space: _Space) -> Iterable[Cube]:
    da, db = dict(a), dict(b)
    for v in da.keys() & db.keys():
        union = da[v] | db[v]
        if union == da[v] or union == db[v]:
            continue
        d: dict[Var, frozenset[int]] = {}
        ok = True
        for w in da.keys() | db.keys():
            if w == v:
                d[w] = union
                continue
            s = da.get(w, space.vars[w].full) & db.get(w, space.vars[w].full)
            if not s:
                ok = False
                break
            d[w] = s
        if ok:
            c = _cube(d, space)
            if c is not None:
                yield c


# ---- from cubes back to literals --------------------------------------------------------------


def _lit(v: Var, s: frozenset[int], space: _Space) -> Lit:
    f, what, item = v
    pieces = space.vars[v].pieces
    if what == "present":
        return Lit(f, present=pieces[min(s)])
    if what == "item":
        return Lit(f, values=frozenset({pieces[min(s)]}), item=item)
    if space.vars[v].kind == "num":
        ranges: list[Range] = []
        for i in sorted(s):
            r = pieces[i]
            if ranges and i - 1 in s:
                last = ranges[-1]
                ranges[-1] = Range(last.lo, last.lo_closed, r.hi, r.hi_closed)
            else:
                ranges.append(r)
        return Lit(f, ranges=tuple(ranges))
    vals = [pieces[i] for i in s]
    if any(x is OTHER for x in vals):
        named = frozenset(x for x in pieces if x is not OTHER) - frozenset(vals)
        return Lit(f, values=named, exclude=True)
    return Lit(f, values=frozenset(vals))


def _form(cubes: list[Cube], space: _Space) -> Form:
    return tuple(tuple(_lit(v, s, space) for v, s in c) for c in cubes)


# ---- compiling a rule set ---------------------------------------------------------------------


class _Compiler:
    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.registry = rules.registry
        self.universes: dict[str, tuple[Any, ...]] = {}
        self.number_domains: dict[str, tuple[float, float, bool]] = {}

    def space(self, conds: Iterable[Cond]) -> _Space:
        s = _Space(self.registry, self.universes, self.number_domains)
        s.prepare(conds)
        return s

    def forms(self, cond: Cond, r: Rule, *, what: str = "this condition", true_too: bool = True) -> tuple[Form, Form]:
        space = self.space([cond])
        try:
            true = blake(_dnf(cond, False, space, MAX_TERMS), space) if true_too else []
            false = blake(_dnf(cond, True, space, MAX_TERMS), space)
        except _TooMuchWork:
            raise FormTooBig(f"{what} is too complex to decide exactly: {_TOO_MUCH}; split it into simpler rules or "
                             "a derived fact", r.file, r.line, r.id) from None
        return _form(true, space), _form(false, space)

    def derived(self, d: Derived) -> DerivedProgram:
        if d.sum:
            lo = hi = 0.0
            integer = True
            for t in d.sum:
                tlo, thi, tint = self.number_range(t)
                lo, hi, integer = lo + tlo, hi + thi, integer and tint
            self.number_domains[d.id] = (lo, hi, integer)
            return DerivedProgram(d.id, "number", (), {}, {}, d.sum, d.sum)
        universe = tuple(dict.fromkeys([*(v for v, _ in d.cases), d.otherwise]))
        conds = [c for _, c in d.cases]
        space = self.space(conds)
        impossible: dict[Any, Form] = {}
        certain: dict[Any, Form] = {}
        try:
            # the cases as cubes, with and without negation, computed once
            pos = [_dnf(c, False, space, MAX_TERMS) for c in conds]
            neg = [_dnf(c, True, space, MAX_TERMS) for c in conds]
            for value in universe:
                # the value is the answer when an earlier case fails and this one holds (or, for
                # the otherwise value, when every case fails)
                reach: list[Cube] = []
                prefix: list[Cube] = [()]
                for i, (v, _) in enumerate(d.cases):
                    if _same_value(v, value):
                        reach.extend(_and(prefix, pos[i], space, MAX_TERMS))
                    prefix = _and(prefix, neg[i], space, MAX_TERMS)
                    if not prefix:
                        break
                if _same_value(d.otherwise, value):
                    reach.extend(prefix)
                reach = _absorb(reach, space)
                # used only when every input is decided, where any cover of the condition is exact
                certain[value] = _form(reach, space)
                impossible[value] = _form(blake(self._negate(reach, space), space), space)
        except _TooMuchWork:
            raise FormTooBig(f"this derived fact is too complex to decide exactly: {_TOO_MUCH}; split it into simpler "
                             "facts", d.file, d.line, d.id) from None
        self.universes[d.id] = universe
        return DerivedProgram(d.id, self.registry[d.id].kind, universe, impossible, certain, d.uses())

    def _negate(self, cubes: list[Cube], space: _Space) -> list[Cube]:
        """The DNF of the negation of a disjunction of cubes: the product of each cube's complement."""
        acc: list[Cube] = [()]
        for c in cubes:
            comp = [cc for v, s in c if (cc := _cube({v: space.vars[v].full - s}, space)) is not None]
            acc = _and(acc, comp, space, MAX_TERMS)
            if not acc:
                return []
        return acc

    def number_range(self, f: str) -> tuple[float, float, bool]:
        if f in self.universes:
            pts = self.universes[f]
            return min(pts), max(pts), all(float(p).is_integer() for p in pts)
        if f in self.number_domains:
            return self.number_domains[f]
        ft = self.registry[f]
        assert ft.lo is not None and ft.hi is not None, f"number field {f} has no range"
        return ft.lo, ft.hi, ft.integer


def _same_value(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


_TOO_MUCH = (f"its exact forms would need more than {MAX_TERMS:,} terms, or more than {MAX_WORK:,} steps to work out "
             "(docs/engine.md, 'How big a rule may be')")


def compile_program(rules: RuleSet) -> Program:
    """The exact forms of every derived fact and rule, stratum by stratum."""
    comp = _Compiler(rules)
    strata = tuple(tuple(comp.derived(rules.derived[did]) for did in stratum) for stratum in rules.strata)
    progs: dict[str, RuleProgram] = {}
    for r in rules.all_rules():
        if r.judgement:
            # a person decides it; case data decides only whether it applies (always, without
            # applies_when: the one empty term, which always holds)
            if r.applies is None:
                progs[r.id] = RuleProgram(r.id, ((),), (), (), r.kind, judgement=True)
            else:
                true, false = comp.forms(r.applies, r)
                progs[r.id] = RuleProgram(r.id, true, false, r.fields, r.kind, judgement=True)
            continue
        assert r.when is not None  # the loader gives every rule but a judgement its condition
        true, false = comp.forms(r.when, r)
        progs[r.id] = RuleProgram(r.id, true, false, r.fields, r.kind)
    eligibility: dict[str, RuleProgram] = {}
    for iid in rules.rules:
        # a judgement can never be failed from case data (at most it applies), so it adds nothing to
        # "fails whatever the missing answers are"; the decidable rules alone give that
        rs = rules.decidable(iid)
        if len(rs) < 2:
            continue  # one rule: its own forms decide
        whole = All(tuple(r.when if r.kind == "criterion" else Not(r.when) for r in rs if r.when is not None))
        # only the failing form is used; its first rule stands for where the rules are written
        _, false = comp.forms(whole, rs[0], what=f"the rules of '{iid}' taken together", true_too=False)
        failing = [term for r in rs for term in (progs[r.id].false if r.kind == "criterion" else progs[r.id].true)]
        extra = tuple(term for term in false if not any(term_within(term, m) for m in failing))
        if extra:
            eligibility[iid] = RuleProgram(iid, (), extra, tuple(dict.fromkeys(f for r in rs for f in r.fields)),
                                           "eligibility", tuple((r.id, r.kind) for r in rs))
    return Program(strata, progs, eligibility, rules.registry)


# ---- relevant values: one value from each piece of a field's range --------------------------

OTHER_TEXT = "zz_not_named_by_any_rule"  # a text value no rule names


def _conds(rules: RuleSet) -> Iterable[Cond]:
    for d in rules.derived.values():
        for _, c in d.cases:
            yield c
    for r in rules.all_rules():
        if r.condition is not None:
            yield r.condition


# A list field's items are tried together only up to this many: every combination of them is a
# value to try, 2^n of them (docs/engine.md, "Lists: items tried together").
MAX_LIST_ITEMS = 12


class TooManyItems(RatecardError):
    """The rules ask about more items of one list field than can be tried in every combination."""

    def __init__(self, field: str, items: int, what: str = "the rules", most: int = MAX_LIST_ITEMS):
        self.field, self.items = field, items
        super().__init__(f"{field}: {what} ask about {items} of its items, and trying every combination of them "
                         f"would take {2 ** items:,} values (at most {most} items, {2 ** most:,} "
                         "combinations); ask about the items one at a time (list_items) instead")


def list_items(rules: RuleSet) -> dict[str, tuple[str, ...]]:
    """For each list field the rules read (with `contains`), the items they ask about, sorted.

    Items enter the rules only through `contains`, each as its own yes-or-no question, so each is a
    piece of its own; a list value is one answer to every item at once."""
    items: dict[str, set[str]] = {}
    for c in _conds(rules):
        for a in _atoms(c):
            if isinstance(a, Cmp) and a.op == "contains" and a.field not in rules.derived:
                items.setdefault(a.field, set()).add(a.value)
    return {f: tuple(sorted(its)) for f, its in items.items()}


def item_combinations(field: str, items: Iterable[str], what: str = "the rules",
                      most: int = MAX_LIST_ITEMS) -> list[tuple[str, ...]]:
    """Every combination of `items` as a list value (each held or not, in a fixed order: the first
    item varies slowest), or TooManyItems naming the field when there are more than `most`."""
    ordered = sorted(items)
    if len(ordered) > most:
        raise TooManyItems(field, len(ordered), what, most)
    return [tuple(x for x, keep in zip(ordered, bits) if keep) for bits in itertools.product((False, True), repeat=len(ordered))]


def form_items(forms: Iterable[Form]) -> dict[str, set[str]]:
    """For each list field, the items these forms ask about."""
    out: dict[str, set[str]] = {}
    for form in forms:
        for term in form:
            for lit in term:
                if lit.item is not None:
                    out.setdefault(lit.field, set()).add(lit.item)
    return out


def item_cubes(chosen: Iterable[frozenset[str]], items: Iterable[str]) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Lists (as sets of `items`) described as "holds these and none of those", as few such as a
    greedy cover finds, whose union is exactly `chosen`: one, when `chosen` is exactly that
    ("do not include BBR"); else several ("include Kaizen, or include New Me Strengths").

    The candidates are the prime implicants (Quine-McCluskey: two descriptions that differ only in
    whether one item is held merge into one that leaves it open); items are at most MAX_LIST_ITEMS,
    so this stays small. The result is sorted, so it never depends on the order of a set."""
    universe = frozenset(items)
    wanted = {frozenset(c) for c in chosen}
    level: set[tuple[frozenset[str], frozenset[str]]] = {(c, universe - c) for c in wanted}
    primes: set[tuple[frozenset[str], frozenset[str]]] = set()
    while level:
        merged: set[tuple[frozenset[str], frozenset[str]]] = set()
        used: set[tuple[frozenset[str], frozenset[str]]] = set()
        for must, never in level:
            for x in must:
                other = (must - {x}, never | {x})
                if other in level:
                    merged.add((must - {x}, never))
                    used.update(((must, never), other))
        primes |= level - used
        level = merged

    def key(p: tuple[frozenset[str], frozenset[str]]) -> tuple[int, list[str], list[str]]:
        return len(p[0]) + len(p[1]), sorted(p[0]), sorted(p[1])

    covers = {p: {c for c in wanted if p[0] <= c and not p[1] & c} for p in sorted(primes, key=key)}
    left, out = set(wanted), []
    while left:
        best = max(covers, key=lambda p: len(covers[p] & left))  # the first of the most (covers is in key order)
        out.append(best)
        left -= covers[best]
    return sorted(out, key=key)


def relevant_pieces(rules: RuleSet, fields: Iterable[str] | None = None,
                    lists: bool = True) -> dict[str, list[tuple[Any, Any]]]:
    """For each case or computed field the rules read (or only `fields`): its pieces, each with one
    value inside it.

    A number's range is cut at every threshold the rules name (a piece is a Range); a choice or flag
    has each value; text has each value named and one that no rule names; a list (unless `lists`
    is False) has every combination of the items the rules ask about, TooManyItems past
    MAX_LIST_ITEMS of them: a caller that meets many items asks about each (list_items). Any value
    of a piece stands for all of them.
    """
    reg = rules.registry
    only = None if fields is None else frozenset(fields)
    thresholds: dict[str, set[Any]] = {}
    for c in _conds(rules):
        for a in _atoms(c):
            if isinstance(a, Present) or a.field in rules.derived or a.op == "contains":
                continue
            if only is None or a.field in only:
                thresholds.setdefault(a.field, set()).add(a.value)
    summed = {t for d in rules.derived.values() for t in d.sum if t not in rules.derived}
    for t in summed:
        if only is None or t in only:
            thresholds.setdefault(t, set())
    out: dict[str, list[tuple[Any, Any]]] = {}
    for f, named in thresholds.items():
        ft = reg[f]
        if ft.kind == "number" and f in summed:
            # a sum's own thresholds are on the total, so every whole value of a term may matter
            assert ft.integer and ft.lo is not None and ft.hi is not None and ft.hi - ft.lo <= 200, f
            out[f] = [(Range(n, True, n, True), n) for n in range(int(ft.lo), int(ft.hi) + 1)]
        elif ft.kind == "number":
            out[f] = [(r, _inside(r, ft.integer)) for r in _number_pieces(ft.lo, ft.hi, ft.integer, None, named)]
        elif ft.kind == "flag":
            out[f] = [(True, True), (False, False)]
        elif ft.kind == "choice":
            out[f] = [(v, v) for v in ft.values]
        else:
            out[f] = [(v, v) for v in sorted(named)] + [(OTHER, OTHER_TEXT)]
    if lists:
        for f, its in list_items(rules).items():
            if only is None or f in only:
                out[f] = [(held, held) for held in item_combinations(f, its)]
    return out


def relevant_values(rules: RuleSet, fields: Iterable[str] | None = None) -> dict[str, list[Any]]:
    """For each case or computed field the rules read (or only `fields`), the values a completion
    tries (TooManyItems for a list field whose rules ask about more than MAX_LIST_ITEMS items)."""
    return {f: [v for _, v in pieces] for f, pieces in relevant_pieces(rules, fields).items()}


def _inside(r: Any, integer: bool) -> float:
    """One number inside a piece (pieces never straddle a threshold, so any one stands for all)."""
    lo: float = r.lo
    hi: float = r.hi
    if lo == hi:
        return lo
    if integer:
        x = math.floor((lo + hi) / 2)
        for cand in (x, x + 1, x - 1, math.ceil(lo), math.floor(hi)):
            if r.contains(cand):
                return cand
    return (lo + hi) / 2


def lit_within(a: Lit, b: Lit) -> bool:
    """Whether literal a can hold only where literal b holds (same field, smaller set)."""
    if a.field != b.field or a.item != b.item or (a.present is None) != (b.present is None):
        return False
    if a.present is not None:
        return a.present == b.present
    if a.ranges is not None and b.ranges is not None:
        return all(any(rb.covers_range(ra) for rb in b.ranges) for ra in a.ranges)
    if a.values is None or b.values is None or a.exclude != b.exclude:
        return False
    return a.values <= b.values if not a.exclude else b.values <= a.values


def term_within(a: Term, b: Term) -> bool:
    """Whether term a can hold only where term b holds."""
    return all(any(lit_within(x, y) for x in a) for y in b)


def form_fields(form: Form) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lit.field for term in form for lit in term))


def terms_count(program: Program) -> int:
    """How many terms the program has in all (a measure of what the engine must match)."""
    n = sum(len(r.true) + len(r.false) for r in program.rules.values())
    n += sum(len(f) for d in program.derived.values() for f in itertools.chain(d.impossible.values(), d.certain.values()))
    return n
